//! hocphi on one machine, without AWS: one process on loopback serving the built page, every
//! `/api` route through the same app code as the Lambda functions, the VNPay, MoMo, payOS and
//! portal payment platform simulators and the bill-payment partners' (a bank's app, the
//! national portal's bill look-up), over the embedded SQLite store (a file under `.hocphi/` that
//! survives restarts,
//! seeded with demo data on first start).
//!
//! Settings: `--port N` / `PORT` (8080) and `--site DIR` / `HOCPHI_SITE_DIR` (`target/site`, the
//! built page) say where to serve; everything else is the functions' own configuration
//! (`hocphi_runtime::Config`), read from the same variables as on Lambda over the local defaults
//! (`hocphi_runtime::config::local_defaults`): `--data DIR` / `HOCPHI_DATA` (`.hocphi`), the
//! local VNPay terminal, MoMo partner, the demo schools' payOS channels and the portal platform's
//! agency, whose public keys protect nothing but the simulators.
//! `HOCPHI_VNPAY_PAY_URL` / `HOCPHI_VNPAY_API_URL` (with a real terminal's code and secret) point
//! at a real VNPay sandbox instead of the simulator. The lookup key is generated on first start
//! into `lookup-key` in the data directory (readable by its owner only) unless
//! `HOCPHI_LOOKUP_KEY` is set.
//!
//! The VNPay simulator's IPN calls go over real HTTP to the configured IPN URL, repeated on a
//! compressed schedule (every 2 s, at most 10 calls) until answered `00` or `02`; the MoMo
//! simulator's IPNs, the payOS simulator's webhooks and the portal platform simulator's Confirms
//! are POSTed once, as they send them. The partners' simulators ([`partners`]) call the partner
//! API over real HTTP as a partner's server does, signed with the keys of the local
//! `HOCPHI_PARTNERS`.

mod demo;
pub mod partners;
mod server;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Duration;
use hocphi_domain::Clock;
use hocphi_gateways::dvcqg::simulator::{self as dvcqg_simulator, DvcqgSimulator};
use hocphi_gateways::momo::RequestType;
use hocphi_gateways::momo::simulator::{self as momo_simulator, MomoSimulator};
use hocphi_gateways::payos::simulator::{
    self as payos_simulator, BankAccount, PayosSimulator, channels_from_config,
};
use hocphi_gateways::vnpay::simulator::{self, Simulator, SimulatorConfig};
use hocphi_gateways::{DvcqgConfig, MomoConfig, Secret};
use hocphi_runtime::config::{
    DATA, DVCQG_HASH_KEY, DVCQG_PARTNER_CODE, LOCAL_BANK_PATH, LOCAL_PORTAL_PATH, LOOKUP_KEY,
    MOMO_ACCESS_KEY, MOMO_PARTNER_CODE, MOMO_SECRET_KEY, PARTNERS, PAYOS_CHANNELS,
    VNPAY_HASH_SECRET, VNPAY_PAY_URL, VNPAY_TMN_CODE, local_defaults, local_lookup_key,
};
use hocphi_runtime::{Config, Env, Function, HttpTransport, StoreConfig, SystemClock, build_app};
use hocphi_store::SqliteStore;
use partners::PartnerSimulators;

pub use demo::{PAYEES as DEMO_PAYEES, STUDENTS as DEMO_STUDENTS};

/// Why the local stack could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot prepare the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Store(#[from] hocphi_domain::StoreError),
    #[error(transparent)]
    Demo(#[from] demo::DemoError),
    #[error("gateway settings: {0}")]
    Gateway(#[from] hocphi_gateways::ConfigError),
    #[error(transparent)]
    Config(#[from] hocphi_runtime::ConfigError),
    #[error("the local stack keeps its state in SQLite: unset HOCPHI_TABLE")]
    NotLocal,
    #[error("the lookup key is not set")]
    NoLookupKey,
}

/// Where to serve, and the flags that set configuration variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub port: u16,
    pub site_dir: PathBuf,
    /// Variables set by flags (`--data` sets `HOCPHI_DATA`); they win over the environment.
    pub overrides: Vec<(&'static str, String)>,
}

impl Options {
    /// Reads `PORT` and `HOCPHI_SITE_DIR`, then the flags.
    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Self, LocalError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut options = Options {
            port: 8080,
            site_dir: PathBuf::from(var("HOCPHI_SITE_DIR").unwrap_or_else(|| "target/site".into())),
            overrides: Vec::new(),
        };
        if let Some(port) = var("PORT") {
            options.port = parse_port(&port)?;
        }
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| LocalError::Usage(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "--port" => options.port = parse_port(&value()?)?,
                "--data" => options.overrides.push((DATA, value()?)),
                "--site" => options.site_dir = value()?.into(),
                other => {
                    return Err(LocalError::Usage(format!(
                        "unknown flag {other}; flags: --port N, --data DIR, --site DIR"
                    )));
                }
            }
        }
        Ok(options)
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The configuration variables: flags, then the environment, then the local defaults.
    fn env(&self) -> Env {
        Env::new()
            .with_defaults(local_defaults(&self.origin()))
            .overriding(self.overrides.clone())
    }
}

fn parse_port(raw: &str) -> Result<u16, LocalError> {
    raw.parse()
        .map_err(|_| LocalError::Usage(format!("not a port number: {raw}")))
}

/// The app as the local stack runs it.
pub type LocalApp = hocphi_app::App<SqliteStore, SystemClock, HttpTransport>;

/// Everything the server shares between requests.
#[derive(Debug)]
pub struct Stack {
    pub app: LocalApp,
    pub simulator: Arc<Simulator>,
    pub momo_simulator: MomoSimulator,
    pub payos_simulator: PayosSimulator,
    pub dvcqg_simulator: DvcqgSimulator,
    /// The bank's app and the portal's page, partners of the partner API.
    pub partner_simulators: PartnerSimulators,
    pub site_dir: PathBuf,
    pub data_dir: PathBuf,
    /// Whether VNPay is the simulator (not a real sandbox named by `HOCPHI_VNPAY_PAY_URL`).
    pub simulated_vnpay: bool,
}

/// The simulators play the channels whose keys the configuration names, so what they sign the
/// app verifies.
fn simulators(
    env: &Env,
    origin: &str,
) -> Result<(Simulator, MomoSimulator, PayosSimulator, DvcqgSimulator), LocalError> {
    let value = |name| env.get(name).unwrap_or_default();
    let vnpay = Simulator::new(SimulatorConfig {
        tmn_code: value(VNPAY_TMN_CODE),
        hash_secret: Secret::new(value(VNPAY_HASH_SECRET))?,
        ipn_url: format!("{origin}/api/callbacks/vnpay"),
        retry_interval: Duration::seconds(2),
        max_deliveries: SimulatorConfig::VNPAY_MAX_DELIVERIES,
    })?;
    let momo = MomoSimulator::new(
        MomoConfig {
            partner_code: value(MOMO_PARTNER_CODE),
            access_key: value(MOMO_ACCESS_KEY),
            secret_key: Secret::new(value(MOMO_SECRET_KEY))?,
            endpoint: format!("{origin}{}", momo_simulator::BASE_PATH),
            ipn_url: format!("{origin}/api/callbacks/momo"),
            request_type: RequestType::CaptureWallet,
        },
        origin,
    )?;
    let accounts: Vec<(&str, BankAccount)> = demo::PAYEES
        .iter()
        .map(|(payee, bin, number, name)| {
            let account = BankAccount {
                bin: (*bin).to_owned(),
                number: (*number).to_owned(),
                name: (*name).to_owned(),
            };
            (*payee, account)
        })
        .collect();
    let channels = match env.get(PAYOS_CHANNELS) {
        Some(value) => {
            let (channels, left_out) = channels_from_config(&value, &accounts)?;
            for payee in left_out {
                tracing::warn!(%payee, "the payOS simulator has no bank account for this payee");
            }
            channels
        }
        None => Vec::new(),
    };
    let payos = PayosSimulator::new(channels, origin)?;
    let dvcqg = DvcqgSimulator::new(
        DvcqgConfig {
            partner_code: value(DVCQG_PARTNER_CODE),
            hash_key: Secret::new(value(DVCQG_HASH_KEY))?,
            endpoint: format!("{origin}{}", dvcqg_simulator::BASE_PATH),
        },
        origin,
    )?;
    Ok((vnpay, momo, payos, dvcqg))
}

/// Reads the configuration, opens the store (seeding it on first start) and builds the app and
/// the simulators.
pub async fn stack(options: &Options) -> Result<Stack, LocalError> {
    let origin = options.origin();
    let env = options.env();
    let simulated_vnpay = env
        .get(VNPAY_PAY_URL)
        .is_some_and(|url| url.starts_with(&origin));
    let (simulator, momo_simulator, payos_simulator, dvcqg_simulator) = simulators(&env, &origin)?;
    let partner_simulators = PartnerSimulators::new(env.get(PARTNERS).as_deref(), &origin);
    let data = PathBuf::from(env.get(DATA).unwrap_or_default());
    std::fs::create_dir_all(&data).map_err(|e| LocalError::DataDir(data.clone(), e))?;
    let key = local_lookup_key(&data).map_err(|e| LocalError::DataDir(data.clone(), e))?;
    let config = Config::from_env(env.with_defaults([(LOOKUP_KEY, key)]), Function::Local)?;
    let StoreConfig::Sqlite { dir } = config.store.clone() else {
        return Err(LocalError::NotLocal);
    };
    let key = config
        .settings
        .lookup_key
        .clone()
        .ok_or(LocalError::NoLookupKey)?;
    let store = SqliteStore::open(dir.join("hocphi.db"))?;
    if demo::seed(&store, SystemClock.now(), &key).await? {
        tracing::info!("seeded the demo schools, students and invoices");
    }
    Ok(Stack {
        app: build_app(config, store, SystemClock, HttpTransport::new()),
        simulator: Arc::new(simulator),
        momo_simulator,
        payos_simulator,
        dvcqg_simulator,
        partner_simulators,
        site_dir: options.site_dir.clone(),
        data_dir: dir,
        simulated_vnpay,
    })
}

/// Runs the local stack until Ctrl-C.
pub async fn run(options: Options) -> Result<(), LocalError> {
    let stack = Arc::new(stack(&options).await?);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| LocalError::Listen(address, e))?;
    print_banner(&options, &stack);
    tokio::spawn(server::deliver_ipns(Arc::clone(&stack)));
    tokio::spawn(server::sweep_periodically(Arc::clone(&stack)));
    tokio::select! {
        () = server::serve(listener, Arc::clone(&stack)) => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            println!("\nhocphi stopped; data kept in {}", stack.data_dir.display());
            Ok(())
        }
    }
}

fn print_banner(options: &Options, stack: &Stack) {
    println!("\nhocphi is running at {}/", options.origin());
    println!(
        "  data: {}/hocphi.db (kept across restarts)",
        stack.data_dir.display()
    );
    if stack.simulated_vnpay {
        println!(
            "  gateway: the VNPay simulator at {}{}",
            options.origin(),
            simulator::BASE_PATH
        );
    }
    println!(
        "  MoMo: the MoMo simulator at {}{}",
        options.origin(),
        momo_simulator::BASE_PATH
    );
    println!(
        "  VietQR: the payOS simulator's banking app at {}{}/<orderCode>",
        options.origin(),
        payos_simulator::BANK_PATH
    );
    println!(
        "  Cổng Dịch vụ công: the portal payment platform simulator at {}{}",
        options.origin(),
        dvcqg_simulator::BASE_PATH
    );
    println!(
        "  partners: the bank's app at {0}{LOCAL_BANK_PATH}, the portal at {0}{LOCAL_PORTAL_PATH}",
        options.origin()
    );
    println!("  demo students (student code / lookup code):");
    for (code, lookup, _, school, class) in demo::STUDENTS {
        println!("    {code} / {lookup}   class {class}, {school}");
    }
    println!("  stop with Ctrl-C\n");
}

#[cfg(test)]
mod tests {
    use hocphi_gateways::momo::simulator as momo_simulator;
    use hocphi_gateways::payos::simulator as payos_simulator;
    use hocphi_gateways::vnpay::simulator;
    use hocphi_runtime::config::{
        LOCAL_DVCQG_PATH, LOCAL_MOMO_PATH, LOCAL_PAYOS_PATH, LOCAL_VNPAY_API_PATH,
        LOCAL_VNPAY_PAY_PATH,
    };

    use super::*;

    #[test]
    fn the_local_configuration_points_each_channel_at_its_simulator() {
        assert_eq!(LOCAL_VNPAY_PAY_PATH, simulator::PAY_PATH);
        assert_eq!(LOCAL_VNPAY_API_PATH, simulator::API_PATH);
        assert_eq!(LOCAL_MOMO_PATH, momo_simulator::BASE_PATH);
        assert_eq!(LOCAL_PAYOS_PATH, payos_simulator::BASE_PATH);
        assert_eq!(LOCAL_DVCQG_PATH, dvcqg_simulator::BASE_PATH);
    }

    #[test]
    fn the_portal_platform_simulator_plays_the_agency_the_local_configuration_names() {
        use hocphi_domain::{
            GatewayKind, InvoiceId, Label, MaskedName, Money, Payment, PaymentRef, PaymentStatus,
            SchoolId, SchoolYear, StudentCode,
        };
        let origin = "http://127.0.0.1:8080";
        let env = Env::from_pairs(local_defaults(origin));
        let config = Config::local(origin);
        let (_, _, _, simulator) = simulators(&env, origin).unwrap();
        let now = chrono::Utc::now();
        let payment = Payment {
            reference: PaymentRef::generate(now, [7; 8]),
            school: SchoolId::parse(demo::PAYEES[0].0).unwrap(),
            student: StudentCode::parse("HS0001").unwrap(),
            student_name: MaskedName::mask("Nguyễn Văn An").unwrap(),
            class_name: Label::parse("6A1").unwrap(),
            school_year: SchoolYear::parse("2025-2026").unwrap(),
            invoices: vec![InvoiceId::parse("INV-1").unwrap()],
            amount: Money::from_vnd(1_500_000).unwrap(),
            gateway: GatewayKind::Dvcqg,
            status: PaymentStatus::Pending,
            created_at: now,
            expires_at: now + Duration::minutes(15),
            gateway_txn: None,
            failure_code: None,
            payee: None,
            mismatches: Vec::new(),
            partner: None,
            version: 0,
            voluntary: Vec::new(),
        };
        let gateway = config.gateways.get(GatewayKind::Dvcqg).unwrap();
        let context = hocphi_gateways::CheckoutContext {
            client_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            locale: hocphi_gateways::Locale::Vietnamese,
            return_url: format!("{origin}/ket-qua"),
            order_info: "Hoc phi".into(),
            bank_code: None,
            now,
        };
        let Ok(hocphi_gateways::Checkout::Call(init)) = gateway.checkout(&payment, &context) else {
            panic!("the portal platform's checkout is an API call");
        };

        let answer = simulator.handle(&hocphi_gateways::simulator::SimRequest {
            method: init.method,
            path: init.url.strip_prefix(origin).unwrap(),
            query: "",
            body: init.body.as_bytes(),
            now,
        });

        let finished = gateway.finish_checkout(&payment, answer.body.as_bytes());
        assert!(
            finished.is_ok_and(|f| f
                .redirect_url
                .starts_with(&format!("{origin}{}", dvcqg_simulator::PAY_PATH))),
            "{}",
            answer.body
        );
    }

    #[test]
    fn the_payos_simulator_plays_every_demo_payee_the_local_configuration_names() {
        let origin = "http://127.0.0.1:8080";
        let env = Env::from_pairs(local_defaults(origin));

        let (_, _, payos, _) = simulators(&env, origin).unwrap();

        let page = payos.handle(
            &hocphi_gateways::simulator::SimRequest {
                method: "GET",
                path: "/sim/payos/bank/1",
                query: "",
                body: b"",
                now: chrono::Utc::now(),
            },
            &[],
        );
        assert_eq!(page.status, 404, "no link yet, but the simulator answers");
        let channels = env.get(PAYOS_CHANNELS).expect("local payOS channels");
        let (configured, left_out) = channels_from_config(&channels, &[]).unwrap();
        assert!(configured.is_empty());
        let mut payees: Vec<String> = left_out.iter().map(|p| p.as_str().to_owned()).collect();
        payees.sort();
        let mut demo: Vec<&str> = demo::PAYEES.iter().map(|p| p.0).collect();
        demo.sort_unstable();
        assert_eq!(
            payees, demo,
            "each local channel is a demo payee with an account"
        );
    }
}
