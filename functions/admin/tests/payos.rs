//! `payos confirm-webhook`: the payee's webhook URL put to payOS (the payOS simulator, in the
//! process or served on a loopback port) with that channel's keys, and every way it can fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use hocphi_admin::payos::{ConfirmOptions, PayosError, confirm_webhook};
use hocphi_app::{Transport, TransportError};
use hocphi_gateways::ApiRequest;
use hocphi_gateways::payos::WebhookConfirmation;
use hocphi_gateways::payos::simulator::{BankAccount, PayosSimulator, channels_from_config};
use hocphi_gateways::simulator::SimRequest;
use hocphi_runtime::Env;
use hocphi_runtime::config::{
    LOCAL_PAYOS_API_KEY_LL, LOCAL_PAYOS_API_KEY_NQ, LOCAL_PAYOS_CHECKSUM_KEY_LL,
    LOCAL_PAYOS_CHECKSUM_KEY_NQ, PAYOS_CHANNELS, PAYOS_ENDPOINT, SITE_URL, local_payos_channels,
};

const SITE: &str = "https://hocphi.example.vn";
const SIM_HOST: &str = "https://payos.test";
const SECRETS: [&str; 4] = [
    LOCAL_PAYOS_API_KEY_NQ,
    LOCAL_PAYOS_API_KEY_LL,
    LOCAL_PAYOS_CHECKSUM_KEY_NQ,
    LOCAL_PAYOS_CHECKSUM_KEY_LL,
];

fn simulator() -> PayosSimulator {
    let accounts = [
        (
            "BD-THCS-NGOQUYEN",
            BankAccount {
                bin: "970436".to_owned(),
                number: "0071000123456".to_owned(),
                name: "TRUONG THCS NGO QUYEN".to_owned(),
            },
        ),
        (
            "BD-TH-LELOI",
            BankAccount {
                bin: "970415".to_owned(),
                number: "113000456789".to_owned(),
                name: "TRUONG TIEU HOC LE LOI".to_owned(),
            },
        ),
    ];
    let (channels, left_out) = channels_from_config(&local_payos_channels(), &accounts).unwrap();
    assert!(left_out.is_empty());
    PayosSimulator::new(channels, SITE).unwrap()
}

/// Hands each request to the simulator, as payOS's host would answer it.
struct Simulated(Arc<PayosSimulator>);

impl Transport for Simulated {
    async fn send(&self, request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let path = request
            .url
            .strip_prefix(SIM_HOST)
            .ok_or_else(|| TransportError(format!("unexpected host: {}", request.url)))?;
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|h| (h.name, h.value.as_str()))
            .collect();
        let answer = self.0.handle(
            &SimRequest {
                method: request.method,
                path,
                query: "",
                body: request.body.as_bytes(),
                now: Utc.with_ymd_and_hms(2025, 9, 10, 2, 0, 0).unwrap(),
            },
            &headers,
        );
        Ok((answer.status, answer.body.into_bytes()))
    }
}

fn env(channels: &str) -> Env {
    Env::from_pairs([
        (PAYOS_CHANNELS, channels.to_owned()),
        (PAYOS_ENDPOINT, format!("{SIM_HOST}/sim/payos")),
        (SITE_URL, SITE.to_owned()),
    ])
}

fn options(payee: &str) -> ConfirmOptions {
    ConfirmOptions {
        payee: payee.to_owned(),
        url: None,
    }
}

#[tokio::test]
async fn the_payees_callback_under_the_site_is_confirmed_with_that_channels_keys() {
    // Arrange
    let sim = Arc::new(simulator());

    // Act
    let report = confirm_webhook(
        env(&local_payos_channels()),
        &options("bd-th-leloi"),
        &Simulated(sim.clone()),
    )
    .await
    .unwrap();

    // Assert
    let url = "https://hocphi.example.vn/api/callbacks/payos/BD-TH-LELOI";
    assert_eq!(report.url, url);
    assert!(report.confirmed(), "{report}");
    let WebhookConfirmation::Confirmed { account_number, .. } = &report.answer else {
        unreachable!()
    };
    assert_eq!(account_number.as_deref(), Some("113000456789"));
    let webhooks = sim.take_webhooks();
    assert_eq!(webhooks.len(), 1, "payOS's test webhook goes to the URL");
    assert_eq!(webhooks[0].url, url);
    let shown = report.to_string();
    assert!(
        shown.starts_with("payOS đã xác nhận địa chỉ webhook của tài khoản BD-TH-LELOI:"),
        "{shown}"
    );
    assert!(
        shown.contains("113000456789 — TRUONG TIEU HOC LE LOI"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_url_given_on_the_command_line_is_the_one_registered() {
    let sim = Arc::new(simulator());
    let given = "https://thu.hocphi.example.vn/api/callbacks/payos/BD-THCS-NGOQUYEN";
    let options = ConfirmOptions {
        payee: "BD-THCS-NGOQUYEN".to_owned(),
        url: Some(given.to_owned()),
    };

    let report = confirm_webhook(
        Env::from_pairs([
            (PAYOS_CHANNELS, local_payos_channels()),
            (PAYOS_ENDPOINT, format!("{SIM_HOST}/sim/payos")),
        ]),
        &options,
        &Simulated(sim.clone()),
    )
    .await
    .unwrap();

    assert!(report.confirmed(), "{report}");
    assert_eq!(sim.take_webhooks()[0].url, given);
}

#[tokio::test]
async fn a_refusal_by_payos_says_what_payos_said_and_what_to_do() {
    // Arrange: the secret holds another API key than payOS knows for the channel.
    let sim = Arc::new(simulator());
    let wrong = local_payos_channels().replace(LOCAL_PAYOS_API_KEY_NQ, "WRONGAPIKEYWRONG-NQ");

    // Act
    let report = confirm_webhook(
        env(&wrong),
        &options("BD-THCS-NGOQUYEN"),
        &Simulated(sim.clone()),
    )
    .await
    .unwrap();

    // Assert
    assert!(!report.confirmed());
    assert!(sim.take_webhooks().is_empty());
    let shown = report.to_string();
    assert!(
        shown.contains("payOS KHÔNG xác nhận địa chỉ webhook https://hocphi.example.vn/api/callbacks/payos/BD-THCS-NGOQUYEN"),
        "{shown}"
    );
    assert!(shown.contains("HTTP 401, mã 401: Unauthorized"), "{shown}");
    assert!(shown.contains("Client ID hoặc API Key"), "{shown}");
    assert!(!shown.contains("WRONGAPIKEY"), "{shown}");
}

#[test]
fn a_refusal_other_than_the_keys_asks_to_deploy_first_and_answer_2xx() {
    let report = hocphi_admin::payos::ConfirmReport {
        payee: hocphi_domain::PayeeId::parse("BD-TH-LELOI").unwrap(),
        url: "https://hocphi.example.vn/api/callbacks/payos/BD-TH-LELOI".to_owned(),
        answer: WebhookConfirmation::Refused {
            status: 400,
            code: Some("400".to_owned()),
            desc: Some("Webhook URL không hợp lệ".to_owned()),
        },
    };

    let shown = report.to_string();

    assert!(
        shown.contains("(HTTP 400, mã 400: Webhook URL không hợp lệ)."),
        "{shown}"
    );
    assert!(shown.contains("triển khai trước"), "{shown}");
    assert!(shown.contains("trả lời 2xx"), "{shown}");
}

#[tokio::test]
async fn every_problem_before_payos_is_called_is_named_without_printing_a_key() {
    let sim = Arc::new(simulator());
    let no_site = Env::from_pairs([(PAYOS_CHANNELS, local_payos_channels())]);
    let bad_map = local_payos_channels().replace(LOCAL_PAYOS_CHECKSUM_KEY_LL, "short");
    let cases: [(Env, &str, &str); 6] = [
        (
            Env::from_pairs([(SITE_URL, SITE)]),
            "BD-TH-LELOI",
            "chưa có kênh payOS nào: đặt HOCPHI_PAYOS_CHANNELS_ARN",
        ),
        (
            env(&local_payos_channels()),
            "BD-PGD-TPQN",
            "tài khoản BD-PGD-TPQN không có trong secret các kênh payOS (có: BD-TH-LELOI, BD-THCS-NGOQUYEN)",
        ),
        (
            env(&local_payos_channels()),
            "BD TH",
            "\"BD TH\" không phải mã tài khoản nhận tiền",
        ),
        (
            env(&bad_map),
            "BD-TH-LELOI",
            "cấu hình kênh payOS không hợp lệ",
        ),
        (
            env("not json"),
            "BD-TH-LELOI",
            "cấu hình kênh payOS không hợp lệ",
        ),
        (
            no_site,
            "BD-TH-LELOI",
            "chưa biết địa chỉ trang: đặt HOCPHI_SITE_URL",
        ),
    ];
    for (env, payee, expected) in cases {
        let err: PayosError = confirm_webhook(env, &options(payee), &Simulated(sim.clone()))
            .await
            .unwrap_err();
        let mut text = err.to_string();
        let mut cause = std::error::Error::source(&err);
        while let Some(inner) = cause {
            text.push_str(&format!(" / {inner}"));
            cause = inner.source();
        }
        assert!(text.contains(expected), "{payee}: {text}");
        for secret in SECRETS {
            assert!(!text.contains(secret), "{payee}: {text}");
        }
    }
    assert!(sim.take_webhooks().is_empty(), "payOS was never called");
}

/// Serves the simulator over HTTP/1.1 on a loopback port for `requests` requests.
fn serve(sim: Arc<PayosSimulator>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end().to_owned();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut parts = first.split_whitespace();
            let (method, path) = (parts.next().unwrap(), parts.next().unwrap());
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let answer = sim.handle(
                &SimRequest {
                    method,
                    path,
                    query: "",
                    body: &body,
                    now: Utc::now(),
                },
                &pairs,
            );
            write!(
                stream,
                "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                answer.status,
                answer.body.len(),
                answer.body
            )
            .unwrap();
        }
    });
    origin
}

fn admin(args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hocphi-admin"));
    command.args(args);
    for name in [
        PAYOS_CHANNELS,
        "HOCPHI_PAYOS_CHANNELS_ARN",
        PAYOS_ENDPOINT,
        SITE_URL,
        "HOCPHI_DYNAMODB_ENDPOINT",
    ] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied()).output().unwrap()
}

#[test]
fn the_command_registers_the_url_with_payos_over_http_and_needs_no_store() {
    // Arrange
    let sim = Arc::new(simulator());
    let origin = serve(sim.clone(), 1);
    let endpoint = format!("{origin}/sim/payos");
    let channels = local_payos_channels();

    // Act
    let out = admin(
        &[
            "--store",
            "sqlite:/nonexistent/hocphi.db",
            "payos",
            "confirm-webhook",
            "--payee",
            "BD-THCS-NGOQUYEN",
        ],
        &[
            (PAYOS_CHANNELS, &channels),
            (PAYOS_ENDPOINT, &endpoint),
            (SITE_URL, "http://127.0.0.1:9"),
        ],
    );

    // Assert
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("payOS đã xác nhận"), "{stdout}");
    assert!(
        stdout.contains("http://127.0.0.1:9/api/callbacks/payos/BD-THCS-NGOQUYEN"),
        "{stdout}"
    );
    assert_eq!(
        sim.take_webhooks()[0].url,
        "http://127.0.0.1:9/api/callbacks/payos/BD-THCS-NGOQUYEN"
    );
    for secret in SECRETS {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
}

#[test]
fn the_command_fails_clearly_without_the_channels_secret() {
    let none = admin(
        &["payos", "confirm-webhook", "--payee", "BD-TH-LELOI"],
        &[(SITE_URL, SITE)],
    );
    let unreachable = admin(
        &["payos", "confirm-webhook", "--payee", "BD-TH-LELOI"],
        &[
            (SITE_URL, SITE),
            (
                "HOCPHI_PAYOS_CHANNELS_ARN",
                "hocphi/binh-dinh/payos-channels",
            ),
            ("HOCPHI_DYNAMODB_ENDPOINT", "http://127.0.0.1:9"),
            ("AWS_REGION", "ap-southeast-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_MAX_ATTEMPTS", "1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );

    assert_eq!(none.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(
        stderr.contains("Lỗi: chưa có kênh payOS nào: đặt HOCPHI_PAYOS_CHANNELS_ARN"),
        "{stderr}"
    );
    assert_eq!(unreachable.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.contains("Lỗi: không đọc được secret HOCPHI_PAYOS_CHANNELS_ARN"),
        "{stderr}"
    );
}
