//! The HTTP mapping (`App::handle`) over a fresh in-memory SQLite store with the local
//! configuration: any method, path, query, headers and body get an answer, never a panic, and
//! every error answer is the documented `{"error": {"code", "message"}}` JSON.
#![no_main]

use arbitrary::Arbitrary;
use hocphi_app::Route;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Method {
    Get,
    Post,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Path {
    /// A route's path, each `{param}` replaced by the given text.
    Route(u8, String),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: Method,
    path: Path,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn path(path: &Path) -> String {
    match path {
        Path::Route(i, param) => {
            let route = Route::ALL[usize::from(*i) % Route::ALL.len()];
            route
                .path()
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') {
                        param.as_str()
                    } else {
                        segment
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        }
        Path::Raw(raw) => raw.clone(),
    }
}

fuzz_target!(|input: Input| {
    let mut uri = path(&input.path);
    if let Some(query) = &input.query {
        uri.push('?');
        uri.push_str(query);
    }
    let method = match &input.method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Other(name) => match http::Method::from_bytes(name.as_bytes()) {
            Ok(method) => method,
            Err(_) => return,
        },
    };
    let mut request = http::Request::builder().method(method).uri(uri.as_str());
    for (name, value) in &input.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let Ok(request) = request.body(input.body) else {
        return;
    };
    let runtime = hocphi_fuzz::runtime();
    let response = runtime.block_on(async {
        let app = hocphi_fuzz::app().await;
        app.handle(request, hocphi_fuzz::CLIENT).await
    });
    let json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status().as_u16() >= 400 && json && !response.body().is_empty() {
        let body: serde_json::Value = serde_json::from_str(response.body()).unwrap_or_else(|e| {
            panic!(
                "an error answer that is not JSON ({e}): {}",
                response.body()
            )
        });
        if let Some(error) = body.get("error") {
            assert!(
                error.get("code").is_some_and(serde_json::Value::is_string),
                "{body}"
            );
            assert!(
                error
                    .get("message")
                    .is_some_and(serde_json::Value::is_string),
                "{body}"
            );
        }
    }
});
