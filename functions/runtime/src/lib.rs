//! What every hocphi process wires at start-up, so each `main.rs` stays a few lines.
//!
//! - [`Config`]: one deployment's configuration (store, site, limits, channels), read from the
//!   table of variables by one reader that reports every missing or invalid variable together;
//!   [`Config::local`] for the local stack and the tests.
//! - [`Function`]: the deployed functions as data (binary, routes, whether they talk to channels).
//! - [`build_app`]: the one place an [`App`] is assembled from a [`Config`].
//! - [`SystemClock`]: the real clock.
//! - `HttpTransport` (feature `process`): an HTTPS client (rustls/ring, Mozilla roots) for the
//!   gateways' APIs, bounded in time and size.
//! - `init_logging` (feature `process`): structured JSON logs (or plain text for a terminal).
//! - `aws` (feature `aws`): the Lambda functions' glue.

pub mod config;
mod function;
#[cfg(feature = "process")]
mod transport;

#[cfg(feature = "aws")]
pub mod aws;

pub use config::{Config, ConfigError, Env, StoreConfig};
pub use function::Function;
#[cfg(feature = "process")]
pub use transport::HttpTransport;

use chrono::{DateTime, Utc};
use hocphi_app::{App, Transport};
use hocphi_domain::{Clock, Store};

/// The app over `store`, `clock` and `transport`, with the settings and channels of `config`:
/// the Lambda functions, the local stack and the test suites all assemble it here.
pub fn build_app<S: Store, C: Clock, T: Transport>(
    config: Config,
    store: S,
    clock: C,
    transport: T,
) -> App<S, C, T> {
    App::new(store, clock, transport, config.gateways, config.settings)
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Installs the global logger: JSON lines (for CloudWatch) or compact text, filtered by
/// `RUST_LOG` (default `info`). Logs carry payment references, never secrets or personal data.
#[cfg(feature = "process")]
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.compact().try_init()
    };
}
