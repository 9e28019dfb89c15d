//! hocphi on one machine, without AWS: one process on loopback serving the built page, every
//! `/api` route through the same app code as the Lambda functions, and the VNPay and MoMo
//! simulators, over
//! the embedded SQLite store (a file under `.hocphi/` that survives restarts, seeded with demo
//! data on first start).
//!
//! Settings (flags win over the environment):
//! - `--port N` / `PORT` (8080), `--data DIR` / `HOCPHI_DATA` (`.hocphi`), `--site DIR` /
//!   `HOCPHI_SITE_DIR` (`target/site`, the built page);
//! - `HOCPHI_VNPAY_TMN_CODE` (`HOCPHI01`) and `HOCPHI_VNPAY_HASH_SECRET` (a documented local
//!   secret) for the terminal; `HOCPHI_VNPAY_PAY_URL` / `HOCPHI_VNPAY_API_URL` point at a real
//!   VNPay sandbox instead of the simulator.
//!
//! The VNPay simulator's IPN calls go over real HTTP to the configured IPN URL, repeated on a
//! compressed schedule (every 2 s, at most 10 calls) until answered `00` or `02`; the MoMo
//! simulator's are POSTed once, as MoMo sends them. MoMo uses a local partner
//! ([`LOCAL_MOMO_PARTNER`]) whose keys protect nothing but the simulator.

mod demo;
mod server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Duration;
use hocphi_app::{App, Gateways, Settings};
use hocphi_domain::Clock;
use hocphi_gateways::momo::RequestType;
use hocphi_gateways::momo::simulator::{self as momo_simulator, MomoSimulator};
use hocphi_gateways::vnpay::simulator::{self, Simulator, SimulatorConfig};
use hocphi_gateways::{Gateway, Momo, MomoConfig, Secret, Vnpay, VnpayConfig};
use hocphi_runtime::{HttpTransport, SystemClock};
use hocphi_store::SqliteStore;

pub use demo::STUDENTS as DEMO_STUDENTS;

/// The terminal code the local stack uses unless told otherwise.
pub const LOCAL_TMN_CODE: &str = "HOCPHI01";
/// The local terminal's hash secret (public: it protects nothing but the local simulator).
pub const LOCAL_HASH_SECRET: &str = "LOCALSECRETLOCALSECRETLOCAL12345";
/// The local MoMo partner (public: its keys protect nothing but the local simulator).
pub const LOCAL_MOMO_PARTNER: &str = "MOMOHOCPHI01";
const LOCAL_MOMO_ACCESS_KEY: &str = "LOCALACCESSKEY01";
const LOCAL_MOMO_SECRET_KEY: &str = "LOCALMOMOSECRETLOCALMOMOSECRET01";

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
}

/// Where and how to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub port: u16,
    pub data_dir: PathBuf,
    pub site_dir: PathBuf,
    pub tmn_code: String,
    pub hash_secret: String,
    /// A real VNPay payment page instead of the simulator.
    pub pay_url: Option<String>,
    pub api_url: Option<String>,
}

impl Options {
    /// Reads the environment, then the flags.
    pub fn from_env_and_args(args: impl IntoIterator<Item = String>) -> Result<Self, LocalError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut options = Options {
            port: 8080,
            data_dir: PathBuf::from(var("HOCPHI_DATA").unwrap_or_else(|| ".hocphi".into())),
            site_dir: PathBuf::from(var("HOCPHI_SITE_DIR").unwrap_or_else(|| "target/site".into())),
            tmn_code: var("HOCPHI_VNPAY_TMN_CODE").unwrap_or_else(|| LOCAL_TMN_CODE.into()),
            hash_secret: var("HOCPHI_VNPAY_HASH_SECRET")
                .unwrap_or_else(|| LOCAL_HASH_SECRET.into()),
            pay_url: var("HOCPHI_VNPAY_PAY_URL"),
            api_url: var("HOCPHI_VNPAY_API_URL"),
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
                "--data" => options.data_dir = value()?.into(),
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
}

fn parse_port(raw: &str) -> Result<u16, LocalError> {
    raw.parse()
        .map_err(|_| LocalError::Usage(format!("not a port number: {raw}")))
}

/// The app as the local stack runs it.
pub type LocalApp = App<SqliteStore, SystemClock, HttpTransport>;

/// Everything the server shares between requests.
#[derive(Debug)]
pub struct Stack {
    pub app: LocalApp,
    pub simulator: Arc<Simulator>,
    pub momo_simulator: MomoSimulator,
    pub site_dir: PathBuf,
}

/// Opens the store (seeding it on first start) and configures the gateway and its simulator.
pub async fn stack(options: &Options) -> Result<Stack, LocalError> {
    std::fs::create_dir_all(&options.data_dir)
        .map_err(|e| LocalError::DataDir(options.data_dir.clone(), e))?;
    let store = SqliteStore::open(options.data_dir.join("hocphi.db"))?;
    if demo::seed(&store, SystemClock.now()).await? {
        tracing::info!("seeded the demo schools, students and invoices");
    }
    let origin = options.origin();
    let vnpay = Vnpay::new(VnpayConfig {
        tmn_code: options.tmn_code.clone(),
        hash_secret: Secret::new(options.hash_secret.clone())?,
        pay_url: options
            .pay_url
            .clone()
            .unwrap_or_else(|| format!("{origin}{}", simulator::PAY_PATH)),
        api_url: options
            .api_url
            .clone()
            .unwrap_or_else(|| format!("{origin}{}", simulator::API_PATH)),
    })?;
    let simulator = Simulator::new(SimulatorConfig {
        tmn_code: options.tmn_code.clone(),
        hash_secret: Secret::new(options.hash_secret.clone())?,
        ipn_url: format!("{origin}/api/callbacks/vnpay"),
        retry_interval: Duration::seconds(2),
        max_deliveries: SimulatorConfig::VNPAY_MAX_DELIVERIES,
    })?;
    let momo = || -> Result<MomoConfig, LocalError> {
        Ok(MomoConfig {
            partner_code: LOCAL_MOMO_PARTNER.to_owned(),
            access_key: LOCAL_MOMO_ACCESS_KEY.to_owned(),
            secret_key: Secret::new(LOCAL_MOMO_SECRET_KEY)?,
            endpoint: format!("{origin}{}", momo_simulator::BASE_PATH),
            ipn_url: format!("{origin}/api/callbacks/momo"),
            request_type: RequestType::CaptureWallet,
        })
    };
    let momo_simulator = MomoSimulator::new(momo()?, origin.clone())?;
    let momo = Momo::new(momo()?)?;
    let mut settings = Settings::new(origin);
    settings.server_ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let app = App::new(
        store,
        SystemClock,
        HttpTransport::new(),
        Gateways {
            vnpay: Some(Gateway::Vnpay(vnpay)),
            momo: Some(Gateway::Momo(momo)),
        },
        settings,
    );
    Ok(Stack {
        app,
        simulator: Arc::new(simulator),
        momo_simulator,
        site_dir: options.site_dir.clone(),
    })
}

/// Runs the local stack until Ctrl-C.
pub async fn run(options: Options) -> Result<(), LocalError> {
    let stack = Arc::new(stack(&options).await?);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| LocalError::Listen(address, e))?;
    print_banner(&options);
    tokio::spawn(server::deliver_ipns(Arc::clone(&stack)));
    tokio::spawn(server::sweep_periodically(Arc::clone(&stack)));
    tokio::select! {
        () = server::serve(listener, stack) => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            println!("\nhocphi stopped; data kept in {}", options.data_dir.display());
            Ok(())
        }
    }
}

fn print_banner(options: &Options) {
    println!("\nhocphi is running at {}/", options.origin());
    println!(
        "  data: {}/hocphi.db (kept across restarts)",
        options.data_dir.display()
    );
    if options.pay_url.is_none() {
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
    println!("  demo students (student code / lookup code):");
    for (code, lookup, _, school, class) in demo::STUDENTS {
        println!("    {code} / {lookup}   class {class}, {school}");
    }
    println!("  stop with Ctrl-C\n");
}
