//! The Lambda functions' figures: stripped release binary size, cold start (process start to
//! the first answered invocation through a Lambda Runtime API emulator) and peak memory.
//!
//! The emulator is a few lines of HTTP over `std::net`: it hands out one event on
//! `/runtime/invocation/next` and waits for the function's `/response`. The functions talk to
//! moto for DynamoDB, so their first request does real store work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::run::{Failure, cargo, step, target_dir};

const TABLE: &str = "hocphi-bench";
/// The origin secret the HTTP functions require, sent as CloudFront would send it.
const ORIGIN_SECRET: &str = "BENCHORIGINBENCHORIGINBENCHORIGIN0123456789";

/// The functions, each with the event its first invocation receives.
fn functions() -> Vec<(&'static str, String)> {
    let http = |method: &str, path: &str, query: &str, body: &str| {
        format!(
            r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"{query}",
"headers":{{"host":"bench.invalid","content-type":"application/json","idempotency-key":"bench-key-0001","x-hocphi-origin":"{ORIGIN_SECRET}"}},
"requestContext":{{"accountId":"123456789012","apiId":"bench","domainName":"bench.invalid","domainPrefix":"bench",
"http":{{"method":"{method}","path":"{path}","protocol":"HTTP/1.1","sourceIp":"203.113.1.2","userAgent":"bench"}},
"requestId":"bench-1","routeKey":"$default","stage":"$default","time":"27/Nov/2026:04:00:00 +0000","timeEpoch":1764216000000}},
"body":{body},"isBase64Encoded":false}}"#
        )
    };
    let checkout_body = r#""{\"student\":\"HS0001\",\"code\":\"ABCD2345\",\"invoice_ids\":[\"INV-1\"],\"gateway\":\"vnpay\"}""#;
    vec![
        ("lookup", http("GET", "/api/invoices", "student=HS0001&code=ABCD2345", "null")),
        ("checkout", http("POST", "/api/payments", "", checkout_body)),
        ("callback", http("GET", "/api/callbacks/vnpay", "vnp_TxnRef=HP1&vnp_SecureHash=00", "null")),
        ("status", http("GET", "/api/payments/HP0000000000", "", "null")),
        ("receipt", http("GET", "/api/receipts/BLHP0000000000", "t=00000000000000000000000000000000", "null")),
        ("sweeper", r#"{"version":"0","id":"bench","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#.to_owned()),
    ]
}

fn create_table(moto: &Moto) -> Result<(), Failure> {
    let body = format!(
        r#"{{"TableName":"{TABLE}","BillingMode":"PAY_PER_REQUEST",
"AttributeDefinitions":[{{"AttributeName":"PK","AttributeType":"S"}},{{"AttributeName":"SK","AttributeType":"S"}},
{{"AttributeName":"GSI1PK","AttributeType":"S"}},{{"AttributeName":"GSI1SK","AttributeType":"S"}},
{{"AttributeName":"GSI2PK","AttributeType":"S"}},{{"AttributeName":"GSI2SK","AttributeType":"S"}}],
"KeySchema":[{{"AttributeName":"PK","KeyType":"HASH"}},{{"AttributeName":"SK","KeyType":"RANGE"}}],
"GlobalSecondaryIndexes":[
{{"IndexName":"GSI1","KeySchema":[{{"AttributeName":"GSI1PK","KeyType":"HASH"}},{{"AttributeName":"GSI1SK","KeyType":"RANGE"}}],"Projection":{{"ProjectionType":"ALL"}}}},
{{"IndexName":"GSI2","KeySchema":[{{"AttributeName":"GSI2PK","KeyType":"HASH"}},{{"AttributeName":"GSI2SK","KeyType":"RANGE"}}],"Projection":{{"ProjectionType":"ALL"}}}}]}}"#
    );
    let (status, answer) = moto.call("CreateTable", &body)?;
    if status == 200 || answer.contains("ResourceInUseException") {
        Ok(())
    } else {
        Err(Failure(format!(
            "moto refused CreateTable ({status}): {answer}"
        )))
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((line, body))
}

/// Serves one connection of the runtime API: the event once, then the response is reported.
fn runtime_connection(stream: TcpStream, event: String, done: mpsc::Sender<(Instant, String)>) {
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    while let Some((line, body)) = read_request(&mut reader) {
        let reply = if line.starts_with("GET /2018-06-01/runtime/invocation/next") {
            format!(
                "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: bench-1\r\n\
                 Lambda-Runtime-Deadline-Ms: 9999999999999\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            let _ = done.send((Instant::now(), String::from_utf8_lossy(&body).into_owned()));
            "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".to_owned()
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// The status code and error code of a function's first answer, e.g. `404 not_found`.
fn summary(response: &str) -> String {
    let after = |marker: &str| {
        response.split_once(marker).map(|(_, rest)| {
            rest.trim_start_matches(['\\', '"'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
    };
    match (after("\"statusCode\":"), after("code\\\":")) {
        (Some(status), Some(code)) => format!("{status} {code}"),
        (Some(status), None) => status,
        (None, _) => response.chars().take(60).collect(),
    }
}

/// Bytes as mebibytes with two decimals.
fn mib(bytes: u64) -> String {
    format!(
        "{}.{:02}",
        bytes / 1_048_576,
        bytes % 1_048_576 * 100 / 1_048_576
    )
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One cold start: milliseconds to the first response, peak RSS in KiB, and the response.
fn cold_start(
    binary: &std::path::Path,
    event: &str,
    moto: &Moto,
) -> Result<(u128, u64, String), Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| Failure(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure(e.to_string()))?
        .port();
    let (done, finished) = mpsc::channel();
    let event = event.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (event, done) = (event.clone(), done.clone());
            std::thread::spawn(move || runtime_connection(stream, event, done));
        }
    });
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("HOCPHI_TABLE", TABLE)
        .env("HOCPHI_SITE_URL", "https://hocphi.bench.invalid")
        .env("HOCPHI_VNPAY_TMN_CODE", "HOCPHI01")
        .env(
            "HOCPHI_VNPAY_HASH_SECRET",
            "BENCHSECRETBENCHSECRETBENCH12345",
        )
        .env("HOCPHI_ORIGIN_SECRET", ORIGIN_SECRET)
        .env("HOCPHI_CALLBACK_CHANNEL", "vnpay")
        .env("HOCPHI_LOOKUP_KEY", "BENCHLOOKUPKEYBENCHLOOKUPKEYBENCH123")
        .env("HOCPHI_DYNAMODB_ENDPOINT", &moto.endpoint)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Failure(format!("cannot start {}: {e}", binary.display())))?;
    let outcome = finished.recv_timeout(Duration::from_secs(30));
    let rss = peak_rss_kib(child.id()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    let (at, response) = outcome
        .map_err(|_| Failure(format!("{} answered nothing within 30 s", binary.display())))?;
    Ok((at.duration_since(started).as_millis(), rss, response))
}

/// Builds the functions for release and reports size, cold start and peak memory of each.
pub fn run(moto: &Moto) -> Result<(), Failure> {
    let names: Vec<&str> = functions().iter().map(|(n, _)| *n).collect();
    let mut build = cargo();
    build.args(["build", "--release", "--locked"]);
    for name in &names {
        build.args(["-p", name]);
    }
    step("building the Lambda functions for release", &mut build)?;
    create_table(moto)?;
    let dir = target_dir().join("lambda-bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure(e.to_string()))?;
    println!("\nfunction   stripped size   cold start   peak RSS   first answer");
    for (name, event) in functions() {
        let built = target_dir().join("release").join(name);
        let stripped = dir.join(name);
        std::fs::copy(&built, &stripped).map_err(|e| Failure(format!("{name}: {e}")))?;
        step(
            &format!("stripping {name}"),
            Command::new("strip").arg(&stripped),
        )?;
        let size = std::fs::metadata(&stripped).map(|m| m.len()).unwrap_or(0);
        let mut starts = Vec::new();
        let mut last = (0, String::new());
        for _ in 0..5 {
            let (ms, rss, response) = cold_start(&stripped, &event, moto)?;
            starts.push(ms);
            last = (rss, response);
        }
        starts.sort_unstable();
        let answer = summary(&last.1);
        println!(
            "{name:<10} {:>8} MB   {:>5} ms (median of 5, min {} ms)   {:>6} MB   {answer}",
            mib(size),
            starts[2],
            starts[0],
            mib(last.0 * 1024),
        );
    }
    Ok(())
}
