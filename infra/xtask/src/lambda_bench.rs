//! The Lambda functions' figures, per deployed function ([`Function::DEPLOYED`]; each channel's
//! callback is the one `callback` binary started for its channel): stripped release binary size,
//! cold start (process start to the first answered invocation through a Lambda Runtime API
//! emulator) and peak memory, each against its target.
//!
//! The emulator is a few lines of HTTP over `std::net`: it hands out one event on
//! `/runtime/invocation/next` and waits for the function's `/response`. The functions talk to
//! moto for DynamoDB, so their first request does real store work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hocphi_domain::GatewayKind;
use hocphi_runtime::Function;
use hocphi_runtime::config;

use crate::moto::Moto;
use crate::run::{Failure, cargo, step, target_dir};

const TABLE: &str = "hocphi-bench";
/// The origin secret the HTTP functions require, sent as CloudFront would send it.
const ORIGIN_SECRET: &str = "BENCHORIGINBENCHORIGINBENCHORIGIN0123456789";

/// The figures each deployed function must meet: binary (stripped) at most 8 MB, median cold
/// start at most 20 ms, peak memory at most 10 MB.
const MAX_BINARY: u64 = 8 * 1_048_576;
const MAX_COLD_MS: u128 = 20;
const MAX_RSS_KIB: u64 = 10 * 1024;

/// The payee of the payOS channel the bench configures.
const PAYEE: &str = "BD-THCS-NGOQUYEN";

/// An API Gateway HTTP API (payload 2.0) event, as CloudFront and the API forward it.
fn http(method: &str, path: &str, query: &str, body: &str) -> String {
    format!(
        r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"{query}",
"headers":{{"host":"bench.invalid","content-type":"application/json","idempotency-key":"bench-key-0001","x-hocphi-origin":"{ORIGIN_SECRET}"}},
"requestContext":{{"accountId":"123456789012","apiId":"bench","domainName":"bench.invalid","domainPrefix":"bench",
"http":{{"method":"{method}","path":"{path}","protocol":"HTTP/1.1","sourceIp":"203.113.1.2","userAgent":"bench"}},
"requestId":"bench-1","routeKey":"$default","stage":"$default","time":"27/Nov/2026:04:00:00 +0000","timeEpoch":1764216000000}},
"body":{body},"isBase64Encoded":false}}"#
    )
}

/// The event a deployed function's first invocation receives (`None` for the local stack).
fn event(function: Function) -> Option<String> {
    let checkout_body = r#""{\"student\":\"HS0001\",\"code\":\"ABCD2345\",\"invoice_ids\":[\"INV-1\"],\"gateway\":\"vnpay\"}""#;
    let empty = r#""{}""#;
    Some(match function {
        Function::Lookup => http("GET", "/api/invoices", "student=HS0001&code=ABCD2345", "null"),
        Function::Checkout => http("POST", "/api/payments", "", checkout_body),
        Function::Status => http("GET", "/api/payments/HP0000000000", "", "null"),
        Function::Receipt => http(
            "GET",
            "/api/receipts/BLHP0000000000",
            "t=00000000000000000000000000000000",
            "null",
        ),
        Function::Callback(GatewayKind::Vnpay) => http(
            "GET",
            "/api/callbacks/vnpay",
            "vnp_TxnRef=HP1&vnp_SecureHash=00",
            "null",
        ),
        Function::Callback(GatewayKind::Momo) => http("POST", "/api/callbacks/momo", "", empty),
        Function::Callback(GatewayKind::Payos) => http(
            "POST",
            &format!("/api/callbacks/payos/{PAYEE}"),
            "",
            empty,
        ),
        Function::Callback(GatewayKind::Dvcqg) => http("POST", "/api/callbacks/dvcqg", "", empty),
        Function::Callback(GatewayKind::Partner) => http(
            "POST",
            &format!("/api/partners/{}/bills", config::LOCAL_BANK_PARTNER),
            "",
            empty,
        ),
        Function::Sweeper => r#"{"version":"0","id":"bench","detail-type":"Scheduled Event","source":"aws.events","detail":{}}"#.to_owned(),
        Function::Local => return None,
    })
}

/// What `HOCPHI_CALLBACK_CHANNEL` names for a callback function.
fn channel_name(function: Function) -> Option<&'static str> {
    match function {
        Function::Callback(GatewayKind::Vnpay) => Some("vnpay"),
        Function::Callback(GatewayKind::Momo) => Some("momo"),
        Function::Callback(GatewayKind::Payos) => Some("payos"),
        Function::Callback(GatewayKind::Dvcqg) => Some("dvcqg"),
        Function::Callback(GatewayKind::Partner) => Some("partner"),
        _ => None,
    }
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
    function: Function,
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
        .env("HOCPHI_CALLBACK_CHANNEL", channel_name(function).unwrap_or(""))
        .env("HOCPHI_MOMO_PARTNER_CODE", config::LOCAL_MOMO_PARTNER)
        .env("HOCPHI_MOMO_ACCESS_KEY", config::LOCAL_MOMO_ACCESS_KEY)
        .env("HOCPHI_MOMO_SECRET_KEY", config::LOCAL_MOMO_SECRET_KEY)
        .env("HOCPHI_MOMO_ENDPOINT", "https://test-payment.momo.vn")
        .env(
            "HOCPHI_PAYOS_CHANNELS",
            format!(
                r#"{{"{PAYEE}":{{"client_id":"BENCHPAYOS-NQ","api_key":"BENCHPAYOSAPIKEY0123456789","checksum_key":"BENCHPAYOSCHECKSUMKEY0123456789"}}}}"#
            ),
        )
        .env("HOCPHI_PAYOS_ENDPOINT", "https://api-merchant.payos.vn")
        .env("HOCPHI_DVCQG_PARTNER_CODE", config::LOCAL_DVCQG_PARTNER_CODE)
        .env("HOCPHI_DVCQG_HASH_KEY", "BENCHDVCQGHASHKEYBENCHDVCQG01234")
        .env("HOCPHI_DVCQG_ENDPOINT", "https://dvcqg.bench.invalid")
        .env("HOCPHI_PARTNERS", config::local_partners())
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

/// `value` against `max`: `PASS` or `FAIL`.
fn verdict<T: PartialOrd>(value: T, max: T) -> &'static str {
    if value <= max { "PASS" } else { "FAIL" }
}

/// Builds the functions for release and reports, per deployed function ([`Function::DEPLOYED`]),
/// the stripped binary size, the median cold start and the peak memory against their targets.
pub fn run(moto: &Moto) -> Result<(), Failure> {
    let deployed: Vec<(Function, String)> = Function::DEPLOYED
        .into_iter()
        .filter_map(|f| Some((f, event(f)?)))
        .collect();
    let mut binaries: Vec<&str> = deployed.iter().map(|(f, _)| f.binary()).collect();
    binaries.sort_unstable();
    binaries.dedup();
    let mut build = cargo();
    build.args(["build", "--release", "--locked"]);
    for binary in &binaries {
        build.args(["-p", binary]);
    }
    step("building the Lambda functions for release", &mut build)?;
    create_table(moto)?;
    let dir = target_dir().join("lambda-bench");
    std::fs::create_dir_all(&dir).map_err(|e| Failure(format!("{}: {e}", dir.display())))?;
    for binary in &binaries {
        let stripped = dir.join(binary);
        std::fs::copy(target_dir().join("release").join(binary), &stripped)
            .map_err(|e| Failure(format!("{binary}: {e}")))?;
        step(
            &format!("stripping {binary}"),
            Command::new("strip").arg(&stripped),
        )?;
    }
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    for (function, event) in &deployed {
        let stripped = dir.join(function.binary());
        let size = std::fs::metadata(&stripped).map(|m| m.len()).unwrap_or(0);
        let mut starts = Vec::new();
        let mut peak = 0;
        let mut answer = String::new();
        for _ in 0..5 {
            let (ms, rss, response) = cold_start(&stripped, *function, event, moto)?;
            starts.push(ms);
            peak = peak.max(rss);
            answer = response;
        }
        starts.sort_unstable();
        let median = starts[starts.len() / 2];
        let verdicts = [
            verdict(size, MAX_BINARY),
            verdict(median, MAX_COLD_MS),
            verdict(peak, MAX_RSS_KIB),
        ];
        if verdicts.contains(&"FAIL") {
            failed.push(function.name());
        }
        rows.push(format!(
            "{:<16} {:>7} MB {}  {:>4} ms {} (min {:>3} ms)  {:>6} MB {}  {}",
            function.name(),
            mib(size),
            verdicts[0],
            median,
            verdicts[1],
            starts[0],
            mib(peak * 1024),
            verdicts[2],
            summary(&answer),
        ));
    }
    println!(
        "\nfunction         binary (≤ 8 MB)   cold start, median of 5 (≤ {MAX_COLD_MS} ms)   peak RSS (≤ 10 MB)   first answer"
    );
    for row in rows {
        println!("{row}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure(format!(
            "over a Lambda target: {}",
            failed.join(", ")
        )))
    }
}
