//! The world the end-to-end suites run in: hocphi's app over a real store (behind [`Faulty`], so
//! a test can make one store call fail), a manual clock, and the VNPay, MoMo and portal payment
//! platform simulators and a fake payOS API ([`payos`]) standing in for the channels (payment
//! pages, IPNs and Confirms, status queries, MoMo's create call and the platform's Init, payOS's
//! payment links) through plain calls, over a line a test can cut or silence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faulty;
mod ledger;
pub mod partner;
pub mod payos;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use hocphi_app::{App, Transport, TransportError};
use hocphi_domain::{Clock, Invoice, Store};
use hocphi_fixtures::{self as fixtures, InvoiceFixture, SCHOOL, SCHOOL_NAME, dynamodb};
use hocphi_gateways::dvcqg::simulator::{self as dvcqg_simulator, DvcqgSimulator};
use hocphi_gateways::momo::simulator::MomoSimulator;
use hocphi_gateways::simulator::SimRequest;
use hocphi_gateways::vnpay::simulator::{Choice, Simulator, SimulatorConfig};
use hocphi_gateways::{ApiRequest, DvcqgConfig, Gateway, Secret};
use hocphi_runtime::{Config, build_app};
use hocphi_store::SqliteStore;
use hocphi_store::dynamodb::{DynamoStore, client, create_table};
use serde_json::Value;

pub const SITE: &str = "http://127.0.0.1:8080";
pub const TMN_CODE: &str = hocphi_runtime::config::LOCAL_TMN_CODE;
pub const HASH_SECRET: &str = hocphi_runtime::config::LOCAL_HASH_SECRET;
pub const STUDENT: &str = "HS0001";
pub const CODE: &str = "ABCD2345";
pub const OTHER_STUDENT: &str = "HS0002";
pub const OTHER_CODE: &str = "WXYZ6789";
pub const PARENT_IP: &str = "203.113.1.2";

/// What an independent decoder reads from a QR picture as the functions answer it
/// (`{"side", "path"}`); `None` when it is not one or holds no single code.
pub fn read_qr(picture: &Value) -> Option<String> {
    fixtures::qr::read(&serde_json::from_value(picture.clone()).ok()?)
}

pub use faulty::{Fault, Faulty};
pub use hocphi_fixtures::ManualClock;
pub use ledger::{Hold, Ledger, Outline, Raw};

/// How the channels' APIs answer hocphi's calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// The simulators answer.
    Up,
    /// Every call fails at once, as a refused connection does.
    Down,
    /// No call is ever answered: the caller waits until something drops it.
    Silent,
}

/// Sends gateway API calls to the simulators instead of the network (MoMo's under
/// `/sim/momo`, the portal platform's under `/sim/dvcqg`, VNPay's elsewhere); each call takes
/// `latency` of the test's clock (none unless a test sets it).
#[derive(Clone, Debug)]
pub struct SimTransport {
    pub sim: Arc<Simulator>,
    pub momo: Arc<MomoSimulator>,
    pub payos: Arc<payos::FakePayos>,
    pub dvcqg: Arc<DvcqgSimulator>,
    pub clock: ManualClock,
    pub latency: Arc<Mutex<Duration>>,
    pub line: Arc<Mutex<Line>>,
    /// The timeout each call was sent with, in order.
    pub timeouts: Arc<Mutex<Vec<std::time::Duration>>>,
}

impl Transport for SimTransport {
    async fn send(&self, request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let path = request
            .url
            .strip_prefix(SITE)
            .ok_or_else(|| TransportError(format!("unexpected URL {}", request.url)))?;
        self.timeouts.lock().unwrap().push(request.timeout);
        let line = *self.line.lock().unwrap();
        match line {
            Line::Up => {}
            Line::Down => return Err(TransportError("connection refused".into())),
            Line::Silent => std::future::pending::<()>().await,
        }
        let latency = *self.latency.lock().unwrap();
        self.clock.advance(latency);
        if path.starts_with(hocphi_runtime::config::LOCAL_PAYOS_PATH) {
            let client_id = request
                .headers
                .iter()
                .find(|h| h.name == "x-client-id")
                .map_or("", |h| h.value.as_str());
            let (status, body) = self
                .payos
                .handle(request.method, path, client_id, &request.body);
            return Ok((status, body.into_bytes()));
        }
        let request = SimRequest {
            method: request.method,
            path,
            query: "",
            body: request.body.as_bytes(),
            now: self.clock.now(),
        };
        let response = if path.starts_with(hocphi_gateways::momo::simulator::BASE_PATH) {
            self.momo.handle(&request)
        } else if path.starts_with(dvcqg_simulator::BASE_PATH) {
            self.dvcqg.handle(&request)
        } else {
            self.sim.handle(&request)
        };
        Ok((response.status, response.body.into_bytes()))
    }
}

pub type TestApp<S> = App<Faulty<S>, ManualClock, SimTransport>;

/// hocphi over one store, with the simulators and the clock.
#[allow(missing_debug_implementations)]
pub struct World<S> {
    pub app: TestApp<S>,
    pub sim: Arc<Simulator>,
    pub momo: Arc<MomoSimulator>,
    pub payos: Arc<payos::FakePayos>,
    /// The portal's payment platform, as the local configuration names its agency.
    pub dvcqg: Arc<DvcqgSimulator>,
    pub clock: ManualClock,
    /// How long each gateway API call takes on `clock`.
    pub gateway_latency: Arc<Mutex<Duration>>,
    /// How the channels' APIs answer.
    pub line: Arc<Mutex<Line>>,
    /// The timeout each gateway call was sent with, in order.
    pub call_timeouts: Arc<Mutex<Vec<std::time::Duration>>>,
    /// Where the store keeps its rows, for [`World::ledger`].
    pub raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

/// An HTTP answer, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 15, 2, 0, 0).unwrap()
}

pub const MOMO_PARTNER: &str = "MOMOHOCPHI01";
pub const MOMO_ACCESS_KEY: &str = "F8BBA842ECF85";
pub const MOMO_SECRET: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";

/// The suites' MoMo partner, at the MoMo simulator's address.
fn momo_config() -> hocphi_gateways::MomoConfig {
    hocphi_gateways::MomoConfig {
        partner_code: MOMO_PARTNER.into(),
        access_key: MOMO_ACCESS_KEY.into(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: format!("{SITE}{}", hocphi_gateways::momo::simulator::BASE_PATH),
        ipn_url: format!("{SITE}/api/callbacks/momo"),
        request_type: hocphi_gateways::momo::RequestType::CaptureWallet,
    }
}

fn momo_gateway() -> Gateway {
    Gateway::Momo(hocphi_gateways::Momo::new(momo_config()).unwrap())
}

fn momo_simulator() -> Arc<MomoSimulator> {
    Arc::new(MomoSimulator::new(momo_config(), SITE).unwrap())
}

/// The portal platform's simulator, playing the agency of the local configuration.
fn dvcqg_simulator() -> Arc<DvcqgSimulator> {
    use hocphi_runtime::config::{LOCAL_DVCQG_HASH_KEY, LOCAL_DVCQG_PARTNER_CODE};
    Arc::new(
        DvcqgSimulator::new(
            DvcqgConfig {
                partner_code: LOCAL_DVCQG_PARTNER_CODE.into(),
                hash_key: Secret::new(LOCAL_DVCQG_HASH_KEY).unwrap(),
                endpoint: format!("{SITE}{}", dvcqg_simulator::BASE_PATH),
            },
            SITE,
        )
        .unwrap(),
    )
}

fn simulator() -> Arc<Simulator> {
    Arc::new(
        Simulator::new(SimulatorConfig {
            tmn_code: TMN_CODE.into(),
            hash_secret: Secret::new(HASH_SECRET).unwrap(),
            ipn_url: format!("{SITE}/api/callbacks/vnpay"),
            retry_interval: Duration::milliseconds(200),
            max_deliveries: 10,
        })
        .unwrap(),
    )
}

fn invoice(id: &str, student: &str, term: &str, amounts: &[(&str, u64)]) -> Invoice {
    InvoiceFixture {
        student,
        term,
        ..InvoiceFixture::new(id, amounts)
    }
    .build()
}

/// One school, paid into the local payee [`payos::PAYEE`]; student HS0001 with INV-1 (1.500.000 ₫ + 200.000 ₫) and INV-2 (350.000 ₫);
/// student HS0002 with INV-3.
pub async fn seed<S: Store>(store: &S) {
    store
        .upsert_school(
            &hocphi_domain::School {
                payee: Some(hocphi_domain::PayeeId::parse(payos::PAYEE).unwrap()),
                ..fixtures::school(SCHOOL, SCHOOL_NAME)
            },
            t0(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    for (code, lookup, name) in [
        (STUDENT, CODE, "Nguyễn Văn An"),
        (OTHER_STUDENT, OTHER_CODE, "Trần Thị Bình"),
    ] {
        store
            .upsert_student(
                &fixtures::student(code, SCHOOL, name, lookup),
                t0(),
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
    }
    let invoices = [
        invoice(
            "INV-1",
            STUDENT,
            "Học kỳ 1",
            &[("Học phí", 1_500_000), ("Bán trú", 200_000)],
        ),
        invoice("INV-2", STUDENT, "Học kỳ 1", &[("Bảo hiểm y tế", 350_000)]),
        invoice(
            "INV-3",
            OTHER_STUDENT,
            "Học kỳ 1",
            &[("Học phí", 1_500_000)],
        ),
    ];
    for invoice in &invoices {
        store
            .upsert_invoice(
                invoice,
                t0(),
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
    }
}

impl<S: Store> World<S> {
    async fn over(store: S, raw: Raw, dir: Option<tempfile::TempDir>) -> Self {
        seed(&store).await;
        Self::wired(store, raw, dir)
    }

    fn wired(store: S, raw: Raw, dir: Option<tempfile::TempDir>) -> Self {
        let clock = ManualClock::at(t0());
        let sim = simulator();
        let momo = momo_simulator();
        let payos = Arc::new(payos::FakePayos::default());
        let dvcqg = dvcqg_simulator();
        let gateway_latency = Arc::new(Mutex::new(Duration::zero()));
        let line = Arc::new(Mutex::new(Line::Up));
        let call_timeouts = Arc::new(Mutex::new(Vec::new()));
        let transport = SimTransport {
            sim: Arc::clone(&sim),
            momo: Arc::clone(&momo),
            payos: Arc::clone(&payos),
            dvcqg: Arc::clone(&dvcqg),
            clock: clock.clone(),
            latency: Arc::clone(&gateway_latency),
            line: Arc::clone(&line),
            timeouts: Arc::clone(&call_timeouts),
        };
        let mut config = Config::local(SITE);
        config.gateways.momo = Some(momo_gateway());
        config.settings.lookup_key = Some(fixtures::lookup_key());
        let app = build_app(
            config,
            Faulty::with_clock(store, clock.clone()),
            clock.clone(),
            transport,
        );
        Self {
            app,
            sim,
            momo,
            payos,
            dvcqg,
            clock,
            gateway_latency,
            line,
            call_timeouts,
            raw,
            _dir: dir,
        }
    }

    /// Sets how the channels' APIs answer from now on.
    pub fn set_line(&self, line: Line) {
        *self.line.lock().unwrap() = line;
    }

    /// Sends one request through hocphi's HTTP mapping, from the parent's address.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        self.call_from(PARENT_IP, method, uri, headers, body).await
    }

    /// Sends one request through hocphi's HTTP mapping from the address `ip`.
    pub async fn call_from(
        &self,
        ip: &str,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(body.as_bytes().to_vec()).unwrap();
        let response = self
            .app
            .handle(request, ip.parse::<IpAddr>().unwrap())
            .await;
        let status = response.status().as_u16();
        let text = response.into_body();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, json, text }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call("GET", uri, &[], "").await
    }

    /// `GET uri` from the address `ip`.
    pub async fn get_from(&self, ip: &str, uri: &str) -> Answer {
        self.call_from(ip, "GET", uri, &[], "").await
    }

    /// `POST /api/payments` for some of HS0001's invoices through VNPay under an idempotency key.
    pub async fn checkout(&self, key: &str, invoices: &[&str]) -> Answer {
        self.checkout_through("vnpay", key, invoices).await
    }

    /// `POST /api/payments` for some of HS0001's invoices through `gateway`.
    pub async fn checkout_through(&self, gateway: &str, key: &str, invoices: &[&str]) -> Answer {
        let body = serde_json::json!({
            "student": STUDENT, "code": CODE, "invoice_ids": invoices, "gateway": gateway
        });
        self.call(
            "POST",
            "/api/payments",
            &[
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ],
            &body.to_string(),
        )
        .await
    }

    /// The parent follows the redirect to the (simulated) gateway and chooses; answers the IPN
    /// URL the gateway would call and the return URL the browser goes to.
    pub fn pay_at_gateway(&self, checkout: &Answer, choice: &str) -> (String, String) {
        let redirect = checkout.json["redirect_url"].as_str().unwrap();
        let query = redirect.split_once('?').unwrap().1;
        self.sim
            .open(query, self.clock.now())
            .expect("the simulator accepts hocphi's URL");
        let reference = checkout.json["payment_ref"].as_str().unwrap();
        let completion = self
            .sim
            .complete(reference, Choice::parse(choice).unwrap(), self.clock.now())
            .unwrap();
        (completion.ipn_url, completion.return_url)
    }

    /// The parent pays (`0`) or declines (`1006`) on MoMo's page for a MoMo checkout; answers the
    /// IPN bodies MoMo would POST (the test decides whether they arrive).
    pub fn pay_at_momo(&self, checkout: &Answer, result_code: u64) -> Vec<String> {
        let reference = checkout.json["payment_ref"].as_str().unwrap();
        let form = format!("orderId={reference}&resultCode={result_code}");
        let done = self.momo.handle(&SimRequest {
            method: "POST",
            path: hocphi_gateways::momo::simulator::COMPLETE_PATH,
            query: "",
            body: form.as_bytes(),
            now: self.clock.now(),
        });
        assert_eq!(
            done.status, 302,
            "MoMo's page takes the choice: {}",
            done.body
        );
        self.momo
            .take_ipns()
            .into_iter()
            .map(|call| call.body)
            .collect()
    }

    /// The citizen pays (`00`) or cancels (`24`) on the portal platform's page for a checkout
    /// through it, and the browser comes back; answers the return address and the Confirm
    /// bodies the platform would POST (the test decides whether they arrive).
    pub fn pay_at_dvcqg(&self, checkout: &Answer, choice: &str) -> (String, Vec<String>) {
        let redirect = checkout.json["redirect_url"].as_str().unwrap();
        let (page, query) = redirect
            .strip_prefix(SITE)
            .unwrap()
            .split_once('?')
            .unwrap();
        let shown = self.dvcqg.handle(&SimRequest {
            method: "GET",
            path: page,
            query,
            body: b"",
            now: self.clock.now(),
        });
        assert_eq!(
            shown.status, 200,
            "the platform shows the payment: {}",
            shown.body
        );
        let reference = checkout.json["payment_ref"].as_str().unwrap();
        let form = format!("MaThamChieu={reference}&MaLoi={choice}");
        let done = self.dvcqg.handle(&SimRequest {
            method: "POST",
            path: dvcqg_simulator::COMPLETE_PATH,
            query: "",
            body: form.as_bytes(),
            now: self.clock.now(),
        });
        assert_eq!(
            done.status, 302,
            "the platform takes the choice: {}",
            done.body
        );
        let back = done
            .headers
            .iter()
            .find(|(name, _)| *name == "location")
            .map(|(_, value)| value.clone())
            .unwrap();
        let confirms = self
            .dvcqg
            .take_confirms()
            .into_iter()
            .map(|call| {
                assert_eq!(call.url, format!("{SITE}/api/callbacks/dvcqg"));
                call.body
            })
            .collect();
        (back, confirms)
    }

    /// POSTs a Confirm body to `/api/callbacks/dvcqg`, as the portal platform does.
    pub async fn deliver_dvcqg(&self, body: &str) -> Answer {
        self.call(
            "POST",
            "/api/callbacks/dvcqg",
            &[("content-type", "application/json")],
            body,
        )
        .await
    }

    /// POSTs a payOS webhook body to `/api/callbacks/payos/{payee}`.
    pub async fn deliver_payos(&self, payee: &str, body: &str) -> Answer {
        self.call(
            "POST",
            &format!("/api/callbacks/payos/{payee}"),
            &[("content-type", "application/json")],
            body,
        )
        .await
    }

    /// Delivers an IPN URL to hocphi as VNPay would, answering the parsed reply.
    pub async fn deliver(&self, ipn_url: &str) -> Value {
        let path = ipn_url.strip_prefix(SITE).unwrap();
        let answer = self.get(path).await;
        assert_eq!(
            answer.status, 200,
            "an IPN is always answered 200: {}",
            answer.text
        );
        answer.json
    }
}

/// The payOS `orderCode` of a payment reference.
pub fn order_code(reference: &str) -> u64 {
    hocphi_gateways::payos::OrderCode::of(&hocphi_domain::PaymentRef::parse(reference).unwrap())
        .expect("a payOS reference")
        .get()
}

/// hocphi over a fresh SQLite file.
pub async fn sqlite_world() -> World<SqliteStore> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hocphi.db");
    let store = SqliteStore::open(&path).unwrap();
    World::over(store, Raw::Sqlite(path), Some(dir)).await
}

/// hocphi over a fresh DynamoDB table.
pub async fn dynamodb_world() -> World<DynamoStore> {
    let client = client(Some(&dynamodb::endpoint())).await;
    let table = dynamodb::table_name("flow");
    create_table(&client, &table).await.unwrap();
    let raw = Raw::Dynamo {
        client: client.clone(),
        table: table.clone(),
    };
    World::over(DynamoStore::new(client, table), raw, None).await
}

/// hocphi over a DynamoDB endpoint where nothing listens: every store call fails.
pub async fn unavailable_world() -> World<DynamoStore> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(Some(&format!("http://127.0.0.1:{port}"))).await;
    World::wired(DynamoStore::new(client, "nowhere"), Raw::None, None)
}

/// Polls every future together on the current task and collects their outputs in order.
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        if done { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// The IPN another run of the gateway would send for the same payment URL with `code`: a
/// genuinely signed result that differs from the one the parent chose.
pub fn twin_ipn<S: Store>(world: &World<S>, checkout: &Answer, code: &str) -> String {
    let twin = simulator();
    let redirect = checkout.json["redirect_url"].as_str().unwrap();
    twin.open(redirect.split_once('?').unwrap().1, world.clock.now())
        .unwrap();
    let reference = checkout.json["payment_ref"].as_str().unwrap();
    twin.complete(reference, Choice::parse(code).unwrap(), world.clock.now())
        .unwrap()
        .ipn_url
}

/// A signed IPN for a payment the store has never seen (it needs no store to make).
pub fn signed_ipn_for_a_fresh_payment<S: Store>(world: &World<S>, code: &str) -> String {
    let invoice = invoice("INV-9", STUDENT, "Học kỳ 1", &[("Học phí", 1_000_000)]);
    let now = world.clock.now();
    let payment = hocphi_domain::Payment::open(
        hocphi_domain::PaymentRef::generate(now, [9; 8]),
        &[invoice],
        &[],
        hocphi_domain::GatewayKind::Vnpay,
        now,
        Duration::minutes(15),
    )
    .unwrap();
    let context = hocphi_gateways::CheckoutContext {
        client_ip: PARENT_IP.parse().unwrap(),
        locale: hocphi_gateways::Locale::Vietnamese,
        return_url: format!("{SITE}/ket-qua"),
        order_info: "Thanh toan hoc phi".into(),
        bank_code: None,
        now,
    };
    let vnpay = world
        .app
        .gateways
        .get(hocphi_domain::GatewayKind::Vnpay)
        .unwrap();
    let Ok(hocphi_gateways::Checkout::Redirect { url }) = vnpay.checkout(&payment, &context) else {
        panic!("VNPay checkout redirects");
    };
    world.sim.open(url.split_once('?').unwrap().1, now).unwrap();
    world
        .sim
        .complete(
            payment.reference.as_str(),
            Choice::parse(code).unwrap(),
            now,
        )
        .unwrap()
        .ipn_url
}
