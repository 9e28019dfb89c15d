//! What every hocphi process wires at start-up, so each `main.rs` stays a few lines.
//!
//! - [`Env`]: reads configuration from the environment and reports every missing or invalid
//!   variable together, once, at start-up.
//! - [`SystemClock`], [`HttpTransport`]: the real clock and an HTTPS client (rustls/ring, Mozilla
//!   roots) for the gateways' APIs, bounded in time and size.
//! - [`init_logging`]: structured JSON logs (or plain text for a terminal).
//! - `aws` (feature `aws`): the Lambda functions' glue.

mod config;
mod transport;

#[cfg(feature = "aws")]
pub mod aws;

pub use config::{ConfigError, Env, momo_from_env, vnpay_from_env};
pub use transport::HttpTransport;

use chrono::{DateTime, Utc};
use hocphi_domain::Clock;

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
