//! Every outcome that leaves a parent owed money is logged with its `hocphi_app::alarm` message,
//! the text the template's metric filters turn into an operator's alarm: a capture for invoices
//! paid meanwhile (a refund is due) and a capture of another amount, whether the gateway's
//! notification or the sweeper's query brings it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use hocphi_app::{App, Gateways, Settings, Transport, TransportError, alarm};
use hocphi_domain::{Clock, GatewayKind, PaymentRef, Store};
use hocphi_fixtures::{InvoiceFixture, ManualClock, SCHOOL, SCHOOL_NAME};
use hocphi_gateways::simulator::SimRequest;
use hocphi_gateways::vnpay::simulator::{self, Choice, Simulator, SimulatorConfig};
use hocphi_gateways::{ApiRequest, Checkout, CheckoutContext, Gateway, Locale, Secret};
use hocphi_gateways::{Vnpay, VnpayConfig};
use hocphi_store::SqliteStore;
use serde_json::Value;

const SITE: &str = "http://127.0.0.1:8080";
const TMN_CODE: &str = "HOCPHI01";
const HASH_SECRET: &str = "ALARMSECRETALARMSECRETALARM12345";
const STUDENT: &str = "HS0001";
const CODE: &str = "ABCD2345";

/// Sends the gateway's API calls to the simulator.
#[derive(Clone, Debug)]
struct SimTransport {
    sim: Arc<Simulator>,
    clock: ManualClock,
}

impl Transport for SimTransport {
    async fn send(&self, request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let path = request.url.strip_prefix(SITE).unwrap();
        let response = self.sim.handle(&SimRequest {
            method: request.method,
            path,
            query: "",
            body: request.body.as_bytes(),
            now: self.clock.now(),
        });
        Ok((response.status, response.body.into_bytes()))
    }
}

use hocphi_fixtures::CapturedLogs as Captured;

struct World {
    app: App<SqliteStore, ManualClock, SimTransport>,
    sim: Arc<Simulator>,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("hocphi.db")).unwrap();
        let start = Utc.with_ymd_and_hms(2025, 9, 15, 2, 0, 0).unwrap();
        store
            .upsert_school(
                &hocphi_fixtures::school(SCHOOL, SCHOOL_NAME),
                start,
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
        store
            .upsert_student(
                &hocphi_fixtures::student(STUDENT, SCHOOL, "Nguyễn Văn An", CODE),
                start,
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
        let invoice = InvoiceFixture::new("INV-1", &[("Học phí", 1_500_000)]).build();
        store
            .upsert_invoice(
                &invoice,
                start,
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
        let clock = ManualClock::at(start);
        let sim = Arc::new(
            Simulator::new(SimulatorConfig {
                tmn_code: TMN_CODE.into(),
                hash_secret: Secret::new(HASH_SECRET).unwrap(),
                ipn_url: format!("{SITE}/api/callbacks/vnpay"),
                retry_interval: Duration::milliseconds(200),
                max_deliveries: 10,
            })
            .unwrap(),
        );
        let vnpay = Vnpay::new(VnpayConfig {
            tmn_code: TMN_CODE.into(),
            hash_secret: Secret::new(HASH_SECRET).unwrap(),
            pay_url: format!("{SITE}{}", simulator::PAY_PATH),
            api_url: format!("{SITE}{}", simulator::API_PATH),
        })
        .unwrap();
        let gateways = Gateways {
            vnpay: Some(Gateway::Vnpay(vnpay)),
            ..Gateways::default()
        };
        let transport = SimTransport {
            sim: Arc::clone(&sim),
            clock: clock.clone(),
        };
        let app = App::new(
            store,
            clock.clone(),
            transport,
            gateways,
            Settings {
                lookup_key: Some(hocphi_fixtures::lookup_key()),
                ..Settings::new(SITE)
            },
        );
        Self {
            app,
            sim,
            clock,
            _dir: dir,
        }
    }

    /// `POST /api/payments` for INV-1: the payment's reference and VNPay's URL.
    async fn checkout(&self, key: &str) -> (String, String) {
        let body = serde_json::json!({
            "student": STUDENT, "code": CODE, "invoice_ids": ["INV-1"], "gateway": "vnpay"
        });
        let request = http::Request::builder()
            .method("POST")
            .uri("/api/payments")
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_string().into_bytes())
            .unwrap();
        let response = self
            .app
            .handle(request, IpAddr::from([203, 0, 113, 9]))
            .await;
        let answer: Value = serde_json::from_str(response.body()).unwrap();
        assert_eq!(response.status(), 201, "{answer}");
        (
            answer["payment_ref"].as_str().unwrap().to_owned(),
            answer["redirect_url"].as_str().unwrap().to_owned(),
        )
    }

    /// The parent pays at VNPay; answers the IPN VNPay then sends.
    fn pay(&self, reference: &str, url: &str) -> String {
        self.sim
            .open(url.split_once('?').unwrap().1, self.clock.now())
            .unwrap();
        self.sim
            .complete(reference, Choice::parse("00").unwrap(), self.clock.now())
            .unwrap()
            .ipn_url
    }

    /// Delivers an IPN; answers VNPay's `RspCode`.
    async fn deliver(&self, ipn_url: &str) -> String {
        let request = http::Request::builder()
            .uri(ipn_url.strip_prefix(SITE).unwrap())
            .body(Vec::new())
            .unwrap();
        let response = self
            .app
            .handle(request, IpAddr::from([203, 0, 113, 1]))
            .await;
        let reply: Value = serde_json::from_str(response.body()).unwrap();
        reply["RspCode"].as_str().unwrap().to_owned()
    }

    /// A payment for INV-1 paid at VNPay whose hold lapsed while INV-1 was paid by a second
    /// payment; answers the first one's reference and its IPN.
    async fn capture_after_the_invoice_was_paid_again(&self) -> (String, String) {
        let (first, url) = self.checkout("key-first").await;
        let late_ipn = self.pay(&first, &url);
        self.clock.advance(Duration::minutes(20));
        let (second, url) = self.checkout("key-second").await;
        let ipn = self.pay(&second, &url);
        assert_eq!(self.deliver(&ipn).await, "00");
        (first, late_ipn)
    }

    /// A payment for INV-1 whose parent paid VNPay a different amount (VNPay signs what was
    /// captured); answers its reference and the IPN.
    async fn capture_of_another_amount(&self) -> (String, String) {
        let (reference, _) = self.checkout("key-amount").await;
        let mut cheaper = self
            .app
            .store
            .payment(&PaymentRef::parse(&reference).unwrap())
            .await
            .unwrap()
            .unwrap();
        cheaper.amount = hocphi_domain::Money::from_vnd(1_000).unwrap();
        let context = CheckoutContext {
            client_ip: IpAddr::from([203, 0, 113, 9]),
            locale: Locale::Vietnamese,
            return_url: format!("{SITE}/ket-qua"),
            order_info: "Thanh toan".into(),
            bank_code: None,
            now: self.clock.now(),
        };
        let gateway = self.app.gateways.get(GatewayKind::Vnpay).unwrap();
        let Checkout::Redirect { url } = gateway.checkout(&cheaper, &context).unwrap() else {
            panic!("VNPay redirects");
        };
        let ipn = self.pay(&reference, &url);
        (reference, ipn)
    }
}

/// Runs `test` on one thread with the JSON logger writing into the captured lines.
fn logged<T>(test: impl std::future::Future<Output = T>) -> (T, Captured) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
    (answer, captured)
}

#[test]
fn a_notified_capture_for_invoices_paid_meanwhile_raises_the_refund_alarm() {
    let (payment, logs) = logged(async {
        let world = World::new().await;
        let (first, late_ipn) = world.capture_after_the_invoice_was_paid_again().await;

        assert_eq!(world.deliver(&late_ipn).await, "00");
        first
    });

    assert_eq!(
        logs.lines_with(alarm::REFUND_DUE, &payment).len(),
        1,
        "{}",
        logs.text()
    );
}

#[test]
fn a_queried_capture_for_invoices_paid_meanwhile_raises_the_refund_alarm() {
    let (payment, logs) = logged(async {
        let world = World::new().await;
        let (first, _lost_ipn) = world.capture_after_the_invoice_was_paid_again().await;

        let report = world.app.sweep(100).await.unwrap();

        assert_eq!(report.settled, 1, "{report:?}");
        first
    });

    assert_eq!(
        logs.lines_with(alarm::REFUND_DUE, &payment).len(),
        1,
        "{}",
        logs.text()
    );
}

#[test]
fn a_notified_capture_of_another_amount_raises_the_mismatch_alarm() {
    let (payment, logs) = logged(async {
        let world = World::new().await;
        let (reference, ipn) = world.capture_of_another_amount().await;

        assert_eq!(world.deliver(&ipn).await, "04");
        reference
    });

    assert_eq!(
        logs.lines_with(alarm::AMOUNT_MISMATCH, &payment).len(),
        1,
        "{}",
        logs.text()
    );
}

#[test]
fn a_queried_capture_of_another_amount_raises_the_mismatch_alarm() {
    let (payment, logs) = logged(async {
        let world = World::new().await;
        let (reference, _lost_ipn) = world.capture_of_another_amount().await;
        world.clock.advance(Duration::minutes(6));

        let report = world.app.sweep(100).await.unwrap();

        assert_eq!(report.needs_review, 1, "{report:?}");
        reference
    });

    assert_eq!(
        logs.lines_with(alarm::AMOUNT_MISMATCH, &payment).len(),
        1,
        "{}",
        logs.text()
    );
}

#[test]
fn a_replayed_notification_of_a_refund_raises_no_second_alarm() {
    let (payment, logs) = logged(async {
        let world = World::new().await;
        let (first, late_ipn) = world.capture_after_the_invoice_was_paid_again().await;
        assert_eq!(world.deliver(&late_ipn).await, "00");

        assert_eq!(world.deliver(&late_ipn).await, "02");
        first
    });

    assert_eq!(
        logs.lines_with(alarm::REFUND_DUE, &payment).len(),
        1,
        "{}",
        logs.text()
    );
}
