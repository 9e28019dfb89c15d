//! What `cargo xtask crash` and `cargo xtask load` share: the real `hocphi-local` binary on a
//! free loopback port over a data directory, a loopback HTTP client, the signed channel messages
//! (VNPay IPNs signed by a VNPay simulator of the local terminal, partner confirmations signed with
//! the local bank's key), invoices seeded through the store, the app's sweeper run against the
//! same file, and the checks of the payment path's invariants.
//!
//! Invariants checked ([`check`]): every Succeeded payment has exactly one receipt and its
//! invoices are Paid; any other payment has none and its invoices are not Paid; no receipt
//! belongs to a payment the run did not make; receipt numbers of each school and school year are
//! 1..=n with no gap or repeat.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_app::{Transport, TransportError};
use hocphi_domain::{
    Clock, GatewayTxnNo, Invoice, InvoiceDraft, InvoiceId, InvoiceStatus, Label, LineItem,
    LookupCode, LookupKey, MaskedName, Money, PartnerId, PaymentRef, PaymentStatus, SchoolId,
    SchoolYear, Store, Student, StudentCode,
};
use hocphi_gateways::ApiRequest;
use hocphi_gateways::partner::generic;
use hocphi_gateways::simulator::SimRequest;
use hocphi_gateways::vnpay::simulator::{Choice, Simulator, SimulatorConfig};
use hocphi_gateways::{Secret, partner::generic::sign};
use hocphi_runtime::config::{
    LOCAL_BANK_KEY, LOCAL_BANK_PARTNER, LOCAL_HASH_SECRET, LOCAL_LOOKUP_KEY_FILE, LOCAL_TMN_CODE,
};
use hocphi_runtime::{Config, SystemClock, build_app};
use hocphi_store::SqliteStore;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::run::{Failure, cargo_linted, step, target_dir};

/// The SQLite file the local stack keeps in its data directory.
pub const DB_FILE: &str = "hocphi.db";
/// The school year the seeded invoices belong to (the demo data's).
const YEAR: u16 = 2025;
/// How long one HTTP call may take before it counts as an error.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds `hocphi-local` (debug, or release with `release`) as the tests' build is made
/// ([`cargo_linted`], so after `cargo xtask test`'s test build nothing is compiled again);
/// answers the binary's path.
pub fn build_server(release: bool) -> Result<PathBuf, Failure> {
    let mut command = cargo_linted()?;
    command.args(["build", "--locked", "-p", "hocphi-local"]);
    if release {
        command.arg("--release");
    }
    step(
        if release {
            "building the local server (release)"
        } else {
            "building the local server"
        },
        &mut command,
    )?;
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("hocphi-local"))
}

/// A fresh, empty data directory under the system's temporary directory.
pub fn fresh_data_dir(task: &str) -> Result<PathBuf, Failure> {
    let mut entropy = [0u8; 4];
    getrandom::fill(&mut entropy).map_err(|e| Failure(format!("no randomness: {e}")))?;
    let dir = std::env::temp_dir().join(format!(
        "hocphi-{task}-{}-{}",
        std::process::id(),
        u32::from_le_bytes(entropy)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// One running `hocphi-local`; killed (SIGKILL) when dropped. Its data directory is kept.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts the binary on a free loopback port over `data` and waits until it accepts
    /// connections (it listens only once its store is open and seeded).
    pub fn start(binary: &Path, data: &Path) -> Result<Server, Failure> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| Failure(format!("no free loopback port: {e}")))?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))
            .map_err(|e| Failure(format!("cannot open the server's log: {e}")))?;
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--data"])
            .arg(data)
            .env("RUST_LOG", "warn")
            .env_remove("HOCPHI_TABLE")
            .env_remove("HOCPHI_DATA")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| Failure(format!("cannot start {}: {e}", binary.display())))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(Failure(format!(
                    "hocphi-local exited at start ({status}); see {}",
                    data.with_extension("log").display()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.kill();
        Err(Failure(
            "the local server did not listen within 30 s".into(),
        ))
    }

    /// `kill -9`: the process ends wherever it is, its writes cut short.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `PRAGMA integrity_check` of the data directory's SQLite file, opened read-only.
pub fn integrity(data: &Path) -> Result<(), String> {
    let connection = rusqlite::Connection::open_with_flags(
        data.join(DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| format!("cannot open the SQLite file read-only: {e}"))?;
    let answer: String = connection
        .pragma_query_value(None, "integrity_check", |row| row.get(0))
        .map_err(|e| format!("integrity_check did not run: {e}"))?;
    if answer == "ok" {
        Ok(())
    } else {
        Err(format!("integrity_check: {answer}"))
    }
}

/// The store over the data directory's file, opened beside the running server.
pub fn open_store(data: &Path) -> Result<SqliteStore, Failure> {
    SqliteStore::open(data.join(DB_FILE))
        .map_err(|e| Failure(format!("cannot open the store: {e}")))
}

/// The data directory's lookup key, which the server generated on its first start.
pub fn lookup_key(data: &Path) -> Result<LookupKey, Failure> {
    let text = std::fs::read_to_string(data.join(LOCAL_LOOKUP_KEY_FILE))
        .map_err(|e| Failure(format!("cannot read the lookup key: {e}")))?;
    LookupKey::new(text.trim()).map_err(|e| Failure(format!("the lookup key: {e}")))
}

fn invalid(err: impl std::fmt::Display) -> Failure {
    Failure(format!("seed data: {err}"))
}

/// A student the run pays for: code, lookup code, school.
#[derive(Clone, Debug)]
pub struct Pupil {
    pub code: String,
    pub lookup: String,
    pub school: String,
    name: String,
    class: String,
}

impl Pupil {
    /// The demo students of the schools paid into a payee: those every channel, the demo bank
    /// and the portal included, collects for.
    pub fn demo() -> Vec<Pupil> {
        hocphi_local::DEMO_STUDENTS
            .iter()
            .filter(|(_, _, _, school, _)| {
                hocphi_local::DEMO_PAYEES
                    .iter()
                    .any(|(payee, ..)| payee == school)
            })
            .map(|(code, lookup, name, school, class)| Pupil {
                code: (*code).into(),
                lookup: (*lookup).into(),
                school: (*school).into(),
                name: (*name).into(),
                class: (*class).into(),
            })
            .collect()
    }

    /// `count` more students of the demo schools, each with the lookup code `lookup`.
    pub fn extra(count: usize, lookup: &str) -> Vec<Pupil> {
        let schools = Pupil::demo();
        (0..count)
            .map(|n| Pupil {
                code: format!("TAI{n:06}"),
                lookup: lookup.into(),
                school: schools[n % schools.len()].school.clone(),
                name: "Phạm Văn Tải".into(),
                class: "5A".into(),
            })
            .collect()
    }
}

/// Stores `pupils` (their lookup digests under the data directory's key).
pub async fn seed_students(
    store: &SqliteStore,
    key: &LookupKey,
    pupils: &[Pupil],
) -> Result<(), Failure> {
    for pupil in pupils {
        let code = StudentCode::parse(&pupil.code).map_err(invalid)?;
        store
            .upsert_student(
                &Student {
                    lookup: LookupCode::parse(&pupil.lookup)
                        .map_err(invalid)?
                        .digest(&code, key),
                    code,
                    school: SchoolId::parse(&pupil.school).map_err(invalid)?,
                    name: MaskedName::mask(&pupil.name).map_err(invalid)?,
                    class_name: Label::parse(&pupil.class).map_err(invalid)?,
                },
                SystemClock.now(),
                &hocphi_domain::Actor::operator(Label::parse("storm").map_err(invalid)?),
            )
            .await
            .map_err(|e| Failure(format!("cannot store a student: {e}")))?;
    }
    Ok(())
}

/// An invoice the run seeded: id, student, amount.
#[derive(Clone, Debug)]
pub struct Bill {
    pub id: String,
    pub pupil: Pupil,
    pub amount: u64,
}

/// Stores one open invoice of one line for each of `bills`.
pub async fn seed_invoices(store: &SqliteStore, bills: &[Bill]) -> Result<(), Failure> {
    let due = NaiveDate::from_ymd_opt(2025, 12, 31).ok_or_else(|| invalid("due date"))?;
    for bill in bills {
        let invoice = Invoice::new(InvoiceDraft {
            id: InvoiceId::parse(&bill.id).map_err(invalid)?,
            school: SchoolId::parse(&bill.pupil.school).map_err(invalid)?,
            student: StudentCode::parse(&bill.pupil.code).map_err(invalid)?,
            student_name: MaskedName::mask(&bill.pupil.name).map_err(invalid)?,
            class_name: Label::parse(&bill.pupil.class).map_err(invalid)?,
            school_year: SchoolYear::starting(YEAR).map_err(invalid)?,
            term: Label::parse("Học kỳ 2").map_err(invalid)?,
            items: vec![LineItem::new(
                Label::parse("Tiền học thêm").map_err(invalid)?,
                Money::from_vnd(bill.amount).map_err(invalid)?,
            )],
            due_date: due,
        })
        .map_err(invalid)?;
        store
            .upsert_invoice(
                &invoice,
                SystemClock.now(),
                &hocphi_domain::Actor::operator(Label::parse("storm").map_err(invalid)?),
            )
            .await
            .map_err(|e| Failure(format!("cannot store an invoice: {e}")))?;
    }
    Ok(())
}

/// A loopback HTTP client, optionally from a given source address (each `127.x.y.z` is its own
/// source to the lookup's rate limits).
#[derive(Clone, Debug)]
pub struct Http {
    client: HyperClient<HttpConnector, Full<Bytes>>,
}

/// An HTTP answer: status and body.
pub type Answer = (u16, Bytes);

impl Http {
    pub fn new(source: Option<IpAddr>) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_local_address(source);
        connector.set_nodelay(true);
        Http {
            client: HyperClient::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// Sends one request; `Err` when no whole answer came (refused, cut or too slow).
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Answer, String> {
        let mut request = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(CALL_TIMEOUT, call)
            .await
            .map_err(|_| "no answer in time".to_owned())?
    }

    pub async fn get(&self, url: &str) -> Result<Answer, String> {
        self.send("GET", url, &[], Vec::new()).await
    }
}

/// 16 random bytes in hex: idempotency keys and nonces.
pub fn random_hex() -> String {
    let mut entropy = [0u8; 16];
    let _ = getrandom::fill(&mut entropy);
    entropy.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random number below `bound` (0 when `bound` is 0).
pub fn below(bound: u64) -> u64 {
    let mut entropy = [0u8; 8];
    let _ = getrandom::fill(&mut entropy);
    u64::from_le_bytes(entropy).checked_rem(bound).unwrap_or(0)
}

/// A parent's checkout through `POST /api/payments`; answers the payment's reference and the
/// query of its signed VNPay payment URL.
pub async fn checkout(http: &Http, base: &str, bill: &Bill) -> Result<(String, String), String> {
    let body = serde_json::json!({
        "student": bill.pupil.code,
        "code": bill.pupil.lookup,
        "invoice_ids": [bill.id],
        "gateway": "vnpay",
    })
    .to_string();
    let (status, answer) = http
        .send(
            "POST",
            &format!("{base}/api/payments"),
            &[
                ("content-type", "application/json".into()),
                ("idempotency-key", random_hex()),
            ],
            body.into_bytes(),
        )
        .await?;
    if status != 201 {
        return Err(format!(
            "checkout answered {status}: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| e.to_string())?;
    let reference = json["payment_ref"].as_str().unwrap_or_default().to_owned();
    let query = json["redirect_url"]
        .as_str()
        .and_then(|url| url.split_once('?'))
        .map(|(_, query)| query.to_owned())
        .unwrap_or_default();
    Ok((reference, query))
}

/// The local terminal as VNPay: opens payment URLs, completes them as a parent chooses and signs
/// the IPNs; answers the sweeper's status queries about them.
#[derive(Debug)]
pub struct Vnpay {
    sim: Simulator,
}

impl Vnpay {
    pub fn new() -> Result<Vnpay, Failure> {
        let secret = Secret::new(LOCAL_HASH_SECRET.to_owned())
            .map_err(|e| Failure(format!("the local hash secret: {e}")))?;
        let sim = Simulator::new(SimulatorConfig {
            tmn_code: LOCAL_TMN_CODE.into(),
            hash_secret: secret,
            ipn_url: "http://127.0.0.1/api/callbacks/vnpay".into(),
            retry_interval: chrono::Duration::seconds(2),
            max_deliveries: 1,
        })
        .map_err(|e| Failure(format!("the VNPay simulator: {e}")))?;
        Ok(Vnpay { sim })
    }

    /// The signed IPN query for payment `reference` (opened from its payment URL's `query`)
    /// after the parent chose `code` (`00` pays).
    pub fn ipn(&self, reference: &str, query: &str, code: &str) -> Result<String, String> {
        let now = SystemClock.now();
        self.sim
            .open(query, now)
            .map_err(|e| format!("the VNPay simulator refused the payment URL: {e}"))?;
        let choice = Choice::parse(code).ok_or_else(|| format!("not a choice: {code}"))?;
        let completion = self
            .sim
            .complete(reference, choice, now)
            .map_err(|e| format!("the VNPay simulator: {e}"))?;
        completion
            .ipn_url
            .split_once('?')
            .map(|(_, query)| query.to_owned())
            .ok_or_else(|| "an IPN without a query".into())
    }
}

/// Delivers an IPN; answers VNPay's `RspCode`.
pub async fn deliver_ipn(http: &Http, base: &str, query: &str) -> Result<String, String> {
    let (status, body) = http
        .get(&format!("{base}/api/callbacks/vnpay?{query}"))
        .await?;
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| format!("IPN answered {status}: {}", String::from_utf8_lossy(&body)))?;
    Ok(json["RspCode"].as_str().unwrap_or_default().to_owned())
}

/// A bank's confirmation of a bill it collected (the local partner `BANKDEMO`).
#[derive(Clone, Debug)]
pub struct Confirmation {
    pub txn: String,
    pub bill: Bill,
}

impl Confirmation {
    /// The payment the confirmation records.
    pub fn reference(&self) -> Result<PaymentRef, String> {
        let partner = PartnerId::parse(LOCAL_BANK_PARTNER).map_err(|e| e.to_string())?;
        let txn = GatewayTxnNo::parse(&self.txn).map_err(|e| e.to_string())?;
        Ok(PaymentRef::for_partner(&partner, &txn))
    }

    /// Sends it, freshly signed (a new nonce each time); answers the HTTP status.
    pub async fn send(&self, http: &Http, base: &str) -> Result<u16, String> {
        let path = format!("/api/partners/{LOCAL_BANK_PARTNER}/confirmations");
        let body = serde_json::json!({
            "transaction_id": self.txn,
            "invoice_ids": [self.bill.id],
            "amount": self.bill.amount.to_string(),
        })
        .to_string();
        let timestamp = SystemClock.now().timestamp();
        let nonce = random_hex();
        let signature = sign(LOCAL_BANK_KEY, "POST", &path, timestamp, &nonce, &body);
        let headers = [
            ("content-type", "application/json".to_owned()),
            (generic::TIMESTAMP_HEADER, timestamp.to_string()),
            (generic::NONCE_HEADER, nonce),
            (generic::SIGNATURE_HEADER, signature),
        ];
        let (status, _) = http
            .send(
                "POST",
                &format!("{base}{path}"),
                &headers,
                body.into_bytes(),
            )
            .await?;
        Ok(status)
    }
}

/// Answers the sweeper's VNPay status queries from [`Vnpay`]'s record of what parents chose.
struct QueryLine {
    vnpay: Arc<Vnpay>,
    origin: String,
}

impl Transport for QueryLine {
    async fn send(&self, request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let path = request
            .url
            .strip_prefix(&self.origin)
            .ok_or_else(|| TransportError(format!("not the simulator: {}", request.url)))?;
        let answer = self.vnpay.sim.handle(&SimRequest {
            method: request.method,
            path,
            query: "",
            body: request.body.as_bytes(),
            now: SystemClock.now(),
        });
        Ok((answer.status, answer.body.into_bytes()))
    }
}

/// Runs the app's sweeper once over the data directory's file (beside the running server),
/// asking about every pending payment at once (no five-minute wait); answers what it did.
pub async fn sweep(data: &Path, vnpay: Arc<Vnpay>) -> Result<hocphi_app::SweepReport, Failure> {
    let origin = "http://127.0.0.1:9";
    let mut config = Config::local(origin);
    config.settings.sweep_after = chrono::Duration::zero();
    let app = build_app(
        config,
        open_store(data)?,
        SystemClock,
        QueryLine {
            vnpay,
            origin: origin.into(),
        },
    );
    app.sweep(10_000)
        .await
        .map_err(|e| Failure(format!("the sweep failed: {e}")))
}

/// A payment the run made, and how it must end.
#[derive(Clone, Debug)]
pub struct Tracked {
    pub reference: String,
    pub invoice: String,
    /// Money was taken: after re-delivery and a sweep the payment must be Succeeded.
    pub captured: bool,
    /// The channel refused it: it must never be Succeeded.
    pub declined: bool,
}

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct Findings {
    pub violations: Vec<String>,
    pub receipts: usize,
    pub succeeded: usize,
}

/// Checks the invariants over every payment the run made (`finished`: every capture must be
/// settled by now).
pub async fn check(
    store: &SqliteStore,
    tracked: &[Tracked],
    finished: bool,
) -> Result<Findings, Failure> {
    let storage = |e: hocphi_domain::StoreError| Failure(format!("the store: {e}"));
    let mut findings = Findings::default();
    let far = SystemClock.now() + chrono::Duration::days(1);
    let receipts = store
        .receipts_issued(DateTime::<Utc>::UNIX_EPOCH, far, None)
        .await
        .map_err(storage)?;
    findings.receipts = receipts.len();
    let mut per_payment: HashMap<String, usize> = HashMap::new();
    let mut sequences: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    for receipt in &receipts {
        *per_payment
            .entry(receipt.payment.as_str().to_owned())
            .or_default() += 1;
        sequences
            .entry((
                receipt.school.as_str().to_owned(),
                receipt.number.school_year.to_string(),
            ))
            .or_default()
            .push(receipt.number.sequence);
    }
    for ((school, year), mut numbers) in sequences {
        numbers.sort_unstable();
        let expected: Vec<u32> = (1..).take(numbers.len()).collect();
        if numbers != expected {
            findings.violations.push(format!(
                "receipt numbers of {school} {year} are not 1..={}: {numbers:?}",
                numbers.len()
            ));
        }
    }
    let known: std::collections::HashSet<&str> =
        tracked.iter().map(|t| t.reference.as_str()).collect();
    for reference in per_payment.keys() {
        if !known.contains(reference.as_str()) {
            findings.violations.push(format!(
                "a receipt for a payment the run never made: {reference}"
            ));
        }
    }
    for t in tracked {
        let reference = PaymentRef::parse(&t.reference).map_err(invalid)?;
        let payment = store.payment(&reference).await.map_err(storage)?;
        let invoice = store
            .invoice(&InvoiceId::parse(&t.invoice).map_err(invalid)?)
            .await
            .map_err(storage)?;
        let receipts = per_payment.get(&t.reference).copied().unwrap_or(0);
        let paid = invoice
            .as_ref()
            .is_some_and(|i| i.status == InvoiceStatus::Paid);
        let status = payment.as_ref().map(|p| p.status);
        match status {
            Some(PaymentStatus::Succeeded) => {
                findings.succeeded += 1;
                if receipts != 1 {
                    findings.violations.push(format!(
                        "{}: Succeeded with {receipts} receipts",
                        t.reference
                    ));
                }
                if !paid {
                    findings.violations.push(format!(
                        "{}: Succeeded but invoice {} is not Paid",
                        t.reference, t.invoice
                    ));
                }
                if t.declined {
                    findings
                        .violations
                        .push(format!("{}: declined yet Succeeded", t.reference));
                }
            }
            None
            | Some(PaymentStatus::Pending | PaymentStatus::Failed | PaymentStatus::Expired) => {
                if receipts != 0 {
                    findings.violations.push(format!(
                        "{}: {status:?} with {receipts} receipts",
                        t.reference
                    ));
                }
                if paid {
                    findings.violations.push(format!(
                        "{}: {status:?} but invoice {} is Paid",
                        t.reference, t.invoice
                    ));
                }
                if finished && t.captured {
                    findings.violations.push(format!(
                        "{}: captured but {status:?} after re-delivery and the sweep",
                        t.reference
                    ));
                }
            }
            Some(other) => findings
                .violations
                .push(format!("{}: unexpected status {other:?}", t.reference)),
        }
    }
    Ok(findings)
}

/// The payment's status as the API answers it (`GET /api/payments/{ref}`), and whether it names
/// a receipt.
pub async fn api_status(
    http: &Http,
    base: &str,
    reference: &str,
) -> Result<(String, bool), String> {
    let (status, body) = http
        .get(&format!("{base}/api/payments/{reference}"))
        .await?;
    if status != 200 {
        return Err(format!("status answered {status}"));
    }
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok((
        json["status"].as_str().unwrap_or_default().to_owned(),
        !json["receipt"].is_null(),
    ))
}

/// A multi-threaded tokio runtime for a task.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("no tokio runtime: {e}")))
}

/// Reads `--name value` as a number.
pub fn flag(args: &[String], name: &str, default: u64) -> Result<u64, Failure> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Failure(format!("{name} needs a whole number"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use hocphi_domain::{GatewayEvent, GatewayKind, Payment, ReceiptToken, School, Symbol};

    use super::*;

    /// A store with one invoice of a demo student and a VNPay payment of it, settled when `pay`.
    async fn one_payment(pay: bool) -> (SqliteStore, PathBuf, Tracked) {
        let dir = fresh_data_dir("storm-test").unwrap();
        let store = open_store(&dir).unwrap();
        let pupil = Pupil::demo().remove(0);
        let school = School {
            id: SchoolId::parse(&pupil.school).unwrap(),
            name: Label::parse("Trường thử").unwrap(),
            receipt_template: Symbol::parse("01BLP0-001").unwrap(),
            receipt_series: Symbol::parse("TT-25E").unwrap(),
            payee: None,
            commune: None,
        };
        store
            .upsert_school(
                &school,
                SystemClock.now(),
                &hocphi_domain::Actor::operator(Label::parse("storm").unwrap()),
            )
            .await
            .unwrap();
        let bill = Bill {
            id: "CHECK-1".into(),
            pupil,
            amount: 100_000,
        };
        seed_invoices(&store, std::slice::from_ref(&bill))
            .await
            .unwrap();
        let invoice = store
            .invoice(&InvoiceId::parse(&bill.id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let now = SystemClock.now();
        let payment = Payment::open(
            PaymentRef::generate(now, [1; 8]),
            &[invoice],
            &[],
            GatewayKind::Vnpay,
            now,
            chrono::Duration::minutes(15),
        )
        .unwrap();
        store
            .create_payment(&payment, now, &hocphi_domain::Actor::Parent)
            .await
            .unwrap();
        if pay {
            let event = GatewayEvent::Paid {
                txn: GatewayTxnNo::parse("14000001").unwrap(),
                amount: payment.amount,
            };
            let token = ReceiptToken::from_entropy([2; 16]);
            store
                .settle(
                    &payment.reference,
                    GatewayKind::Vnpay,
                    &event,
                    now,
                    &token,
                    &hocphi_domain::Actor::Channel {
                        gateway: GatewayKind::Vnpay,
                    },
                )
                .await
                .unwrap();
        }
        let tracked = Tracked {
            reference: payment.reference.to_string(),
            invoice: bill.id,
            captured: true,
            declined: false,
        };
        (store, dir, tracked)
    }

    #[tokio::test]
    async fn a_settled_payment_with_its_one_receipt_and_an_intact_file_pass() {
        let (store, dir, tracked) = one_payment(true).await;

        let findings = check(&store, &[tracked], true).await.unwrap();

        assert!(findings.violations.is_empty(), "{:?}", findings.violations);
        assert_eq!((findings.receipts, findings.succeeded), (1, 1));
        assert_eq!(integrity(&dir), Ok(()));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_declined_payment_that_succeeded_and_a_receipt_nobody_paid_for_are_violations() {
        let (store, dir, mut tracked) = one_payment(true).await;
        tracked.declined = true;

        let declined = check(&store, &[tracked], true).await.unwrap();
        let unknown = check(&store, &[], true).await.unwrap();

        assert!(declined.violations[0].ends_with("declined yet Succeeded"));
        assert!(unknown.violations[0].starts_with("a receipt for a payment the run never made"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_capture_still_pending_is_a_violation_only_once_the_run_is_finished() {
        let (store, dir, tracked) = one_payment(false).await;

        let after_the_kill = check(&store, std::slice::from_ref(&tracked), false)
            .await
            .unwrap();
        let at_the_end = check(&store, &[tracked], true).await.unwrap();

        assert!(after_the_kill.violations.is_empty());
        assert_eq!(at_the_end.violations.len(), 1);
        assert!(at_the_end.violations[0].contains("captured but Some(Pending)"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_that_is_not_a_database_fails_the_integrity_check() {
        let dir = fresh_data_dir("storm-test").unwrap();
        std::fs::write(dir.join(DB_FILE), vec![0x5a; 8192]).unwrap();

        assert!(integrity(&dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn random_numbers_stay_below_their_bound() {
        assert!((0..1000).all(|_| below(7) < 7));
        assert_eq!(below(0), 0);
    }
}
