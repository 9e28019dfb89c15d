//! The local HTTP server: routes each request to a simulator (the channels' or the partners'),
//! the app or the page's files; and
//! the two background loops (IPN and webhook delivery, sweeping).
//!
//! Invariants: request bodies are bounded before they are read; static files are served only
//! from inside the site directory; hashed asset names are cached for a year, the HTML never.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hocphi_api::site;
use hocphi_domain::Clock;
use hocphi_gateways::dvcqg::simulator as dvcqg_simulator;
use hocphi_gateways::momo::simulator as momo_simulator;
use hocphi_gateways::payos::simulator as payos_simulator;
use hocphi_gateways::simulator::SimRequest;
use hocphi_gateways::vnpay::simulator;
use hocphi_runtime::SystemClock;
use hocphi_runtime::config::{LOCAL_BANK_PATH, LOCAL_PORTAL_PATH};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;

use crate::Stack;

const MAX_BODY: usize = 64 * 1024;
/// The simulators' pages (their own inline styles and forms), and nothing else, get a looser
/// policy than the page's.
const SIMULATOR_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                             frame-ancestors 'none'; base-uri 'none'";

type Answer = Response<Full<Bytes>>;

/// Accepts connections forever.
pub async fn serve(listener: tokio::net::TcpListener, stack: Arc<Stack>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let stack = Arc::clone(&stack);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let stack = Arc::clone(&stack);
                async move { Ok::<_, Infallible>(answer(&stack, request, peer).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn plain(status: StatusCode, text: &str) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn answer(stack: &Stack, request: Request<Incoming>, peer: SocketAddr) -> Answer {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
    };
    let path = parts.uri.path().to_owned();
    let vnpay = path.starts_with(simulator::BASE_PATH);
    let payos = path.starts_with(payos_simulator::BASE_PATH);
    let dvcqg = path.starts_with(dvcqg_simulator::BASE_PATH);
    if vnpay || payos || dvcqg || path.starts_with(momo_simulator::BASE_PATH) {
        let request = SimRequest {
            method: parts.method.as_str(),
            path: &path,
            query: parts.uri.query().unwrap_or(""),
            body: &body,
            now: SystemClock.now(),
        };
        let sim = if vnpay {
            stack.simulator.handle(&request)
        } else if payos {
            let headers: Vec<(&str, &str)> = parts
                .headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                .collect();
            stack.payos_simulator.handle(&request, &headers)
        } else if dvcqg {
            stack.dvcqg_simulator.handle(&request)
        } else {
            stack.momo_simulator.handle(&request)
        };
        let mut response = Response::new(Full::new(Bytes::from(sim.body)));
        *response.status_mut() = StatusCode::from_u16(sim.status).unwrap_or(StatusCode::OK);
        for (name, value) in sim.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SIMULATOR_CSP),
        );
        return response;
    }
    if path.starts_with(LOCAL_BANK_PATH) || path.starts_with(LOCAL_PORTAL_PATH) {
        let page = stack
            .partner_simulators
            .handle(
                &parts.method,
                &path,
                parts.uri.query().unwrap_or(""),
                &body,
                SystemClock.now(),
            )
            .await;
        let mut response = Response::new(Full::new(Bytes::from(page.html)));
        *response.status_mut() = StatusCode::from_u16(page.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SIMULATOR_CSP),
        );
        return response;
    }
    if path.starts_with("/api/") {
        let request = Request::from_parts(parts, body.to_vec());
        let ip: IpAddr = peer.ip();
        return stack
            .app
            .handle(request, ip)
            .await
            .map(|text| Full::new(Bytes::from(text)));
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    let accepts_brotli = parts
        .headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("br"));
    let accepts_gzip = parts
        .headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    static_file(&stack.site_dir, &path, accepts_brotli, accepts_gzip).await
}

/// The file under `site` for a URL path; the page's `index.html` for its own routes.
fn resolve(site: &Path, path: &str) -> Option<(PathBuf, bool)> {
    let relative = path.trim_start_matches('/');
    let clean = Path::new(relative)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !clean {
        return None;
    }
    let candidate = site.join(relative);
    if !relative.is_empty() && candidate.is_file() {
        return Some((candidate, false));
    }
    let page_route = relative.is_empty()
        || relative == "ket-qua"
        || relative.starts_with("bien-lai/")
        || relative == "index.html";
    page_route.then(|| (site.join("index.html"), true))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "webmanifest" => "application/json",
        _ => "application/octet-stream",
    }
}

async fn static_file(site: &Path, path: &str, brotli: bool, gzip: bool) -> Answer {
    let Some((file, is_page)) = resolve(site, path) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let encoded = [(brotli, "br"), (gzip, "gz")]
        .into_iter()
        .filter(|(accepted, _)| *accepted)
        .map(|(_, ext)| {
            let mut name = file.clone().into_os_string();
            name.push(format!(".{ext}"));
            (PathBuf::from(name), if ext == "br" { "br" } else { "gzip" })
        })
        .find(|(candidate, _)| candidate.is_file());
    let (read_from, encoding) = match &encoded {
        Some((candidate, encoding)) => (candidate.as_path(), Some(*encoding)),
        None => (file.as_path(), None),
    };
    let Ok(bytes) = tokio::fs::read(read_from).await else {
        return plain(
            StatusCode::NOT_FOUND,
            "The page is not built. Run `cargo xtask dev`, which builds it and starts hocphi.",
        );
    };
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    let cache = if is_page || file.extension().is_some_and(|e| e == "html") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(site::CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static(site::REFERRER_POLICY),
    );
    response
}

/// Sends the simulators' IPN calls over HTTP: VNPay's on its schedule, MoMo's IPNs, payOS's
/// webhooks and the portal platform's Confirms once each.
pub async fn deliver_ipns(stack: Arc<Stack>) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    loop {
        let now = SystemClock.now();
        match stack.simulator.next_delivery(now) {
            Some(delivery) if delivery.due_at <= now => {
                let reply = match delivery.url.parse::<http::Uri>() {
                    Ok(uri) => {
                        match tokio::time::timeout(Duration::from_secs(10), client.get(uri)).await {
                            Ok(Ok(response)) => response
                                .into_body()
                                .collect()
                                .await
                                .ok()
                                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned()),
                            Ok(Err(_)) | Err(_) => None,
                        }
                    }
                    Err(_) => None,
                };
                tracing::info!(payment_ref = %delivery.txn_ref, answered = reply.is_some(), "simulator delivered an IPN");
                stack.simulator.record_reply(
                    &delivery.txn_ref,
                    reply.as_deref(),
                    SystemClock.now(),
                );
            }
            Some(_) | None => {
                for call in stack.momo_simulator.take_ipns() {
                    let status = post_json(&client, &call.url, call.body).await;
                    tracing::info!(payment_ref = %call.order_id, ?status, "MoMo simulator delivered an IPN");
                }
                for call in stack.payos_simulator.take_webhooks() {
                    let status = post_json(&client, &call.url, call.body).await;
                    tracing::info!(order_code = call.order_code, payee = %call.payee, ?status, "payOS simulator delivered a webhook");
                }
                for call in stack.dvcqg_simulator.take_confirms() {
                    let status = post_json(&client, &call.url, call.body).await;
                    tracing::info!(payment_ref = %call.reference, ?status, "portal platform simulator delivered a Confirm");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// POSTs a JSON body once; the answer's status, if any came within 10 seconds.
async fn post_json(
    client: &hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
    url: &str,
    body: String,
) -> Option<u16> {
    let request = http::Request::post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    match tokio::time::timeout(Duration::from_secs(10), client.request(request)).await {
        Ok(Ok(response)) => Some(response.status().as_u16()),
        Ok(Err(_)) | Err(_) => None,
    }
}

/// Runs the sweeper and the retention job every minute, as the schedule does on AWS.
pub async fn sweep_periodically(stack: Arc<Stack>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(err) = stack.app.sweep(100).await {
            err.log();
        }
        if let Err(err) = stack.app.retain(100).await {
            err.log();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_site_and_the_pages_own_routes_resolve() {
        let site = tempfile::tempdir().unwrap();
        std::fs::write(site.path().join("index.html"), "<html>").unwrap();
        std::fs::write(site.path().join("app-1a2b.wasm"), "wasm").unwrap();
        let cases = [
            ("/", Some("index.html")),
            ("/ket-qua", Some("index.html")),
            ("/bien-lai/BLHP1", Some("index.html")),
            ("/app-1a2b.wasm", Some("app-1a2b.wasm")),
            ("/../etc/passwd", None),
            ("/%2e%2e/secret", None),
            ("/nothing.js", None),
        ];
        for (path, expected) in cases {
            let resolved = resolve(site.path(), path)
                .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned());
            assert_eq!(resolved.as_deref(), expected, "{path}");
        }
    }
}
