//! hocphi's use cases and its one HTTP mapping.
//!
//! [`App`] holds the ports (a [`Store`], a [`Clock`], a [`Transport`] for the gateways' APIs) and
//! the configured gateways. Each use case is a method: look up invoices, check out, apply a
//! gateway callback, answer a bill-payment partner, report a payment's status, show a receipt,
//! sweep pending payments.
//! [`App::handle`] maps an `http::Request` to an `http::Response` for every route; the Lambda
//! functions and the local server both call it, so they cannot drift apart.

pub mod alarm;
mod callback;
mod checkout;
mod error;
mod http_map;
mod lookup;
mod partner;
pub mod qr;
pub mod receipt;
mod status;
mod sweep;

use std::future::Future;
use std::net::IpAddr;

use chrono::Duration;
use hocphi_domain::{Clock, GatewayKind, LookupKey, PayeeId, Store};
use hocphi_gateways::{ApiRequest, Gateway};

pub use error::{ApiError, Field};
pub use http_map::{MAX_BODY, Route};
pub use sweep::SweepReport;

/// A failure to reach a gateway's API.
#[derive(Debug, thiserror::Error)]
#[error("gateway API unreachable: {0}")]
pub struct TransportError(pub String);

/// Sends the requests gateways' APIs need (MoMo's create call, status queries).
pub trait Transport: Send + Sync {
    /// Sends `request`; answers the HTTP status and body, or fails once `request.timeout` has
    /// passed without an answer.
    fn send(
        &self,
        request: &ApiRequest,
    ) -> impl Future<Output = Result<(u16, Vec<u8>), TransportError>> + Send;
}

/// Settings of one province's deployment that the use cases need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The site's origin, e.g. `https://hocphi.binhdinh.gov.vn`: the gateway returns the browser
    /// to `{site_url}/ket-qua`.
    pub site_url: String,
    /// How long a payment holds its invoices (and the gateway's own expiry).
    pub time_to_pay: Duration,
    /// Wrong lookup codes allowed for one student from one source within
    /// [`Settings::lookup_window`]; that source is then refused for that student.
    pub lookup_attempts: u32,
    /// Wrong lookup codes allowed for one student from all sources together within the window:
    /// the guessing bound, after which nobody is let in.
    pub student_attempts: u32,
    /// Wrong lookup codes allowed from one source for all students together within the window;
    /// the source is then refused for every student.
    pub source_attempts: u32,
    pub lookup_window: Duration,
    /// The key of lookup digests; only the functions that check lookup codes have it.
    pub lookup_key: Option<LookupKey>,
    /// How long an in-flight checkout holds its idempotency key: longer than the checkout
    /// function may run (28 seconds in the template), so a lapsed lease means its run has ended
    /// and a retry may take over and resume its payment.
    pub idempotency_lease: Duration,
    /// How long a completed checkout is replayed for its key.
    pub idempotency_keep: Duration,
    /// How long a checkout may take, gateway call included: the checkout function's 28 seconds
    /// less 2 for starting and answering. A gateway call gets what is left of it, less a second
    /// for the writes that follow, and never more than its own timeout, so the call gives up
    /// before the function is stopped and the function before API Gateway's 30-second
    /// integration timeout.
    pub checkout_budget: std::time::Duration,
    /// A pending payment older than this is asked about at its gateway by the sweeper.
    pub sweep_after: Duration,
    /// How long one sweep starts new queries for: the rest waits for the next run, so a slow
    /// gateway never has the sweeper killed mid-run by its 60-second Lambda timeout (a query
    /// started just before the budget ends has its 15 seconds, `hocphi_gateways::QUERY_TIMEOUT`,
    /// to finish).
    pub sweep_budget: Duration,
    /// How long past its expiry a payment whose channel says money is in flight stays pending
    /// before the sweeper reports it for review (it never expires it).
    pub in_flight_limit: Duration,
    /// How far back the sweeper asks again about payments that ended unpaid, for captures whose
    /// notifications were all lost.
    pub recheck_window: Duration,
    /// hocphi's own address, sent with status queries.
    pub server_ip: IpAddr,
    /// Bill look-ups one partner may make within [`Settings::partner_window`]; the rest are
    /// refused until the window closes.
    pub partner_lookups: u32,
    pub partner_window: Duration,
}

impl Settings {
    /// The documented defaults: 15 minutes to pay; per 15 minutes, 5 wrong codes for a student
    /// from one source, 20 from all sources, 30 from one source for all students; a 30-second
    /// checkout lease replayed for 24 hours, 26 seconds for a checkout, sweeping after 5 minutes
    /// for 40 seconds a run, money in flight waited for an hour past expiry, payments that ended
    /// unpaid asked about again for 2 hours; 600 bill look-ups a minute for each partner; no
    /// lookup key.
    pub fn new(site_url: impl Into<String>) -> Self {
        Self {
            site_url: site_url.into().trim_end_matches('/').to_owned(),
            time_to_pay: Duration::minutes(15),
            lookup_attempts: 5,
            student_attempts: 20,
            source_attempts: 30,
            lookup_window: Duration::minutes(15),
            lookup_key: None,
            idempotency_lease: Duration::seconds(30),
            idempotency_keep: Duration::hours(24),
            checkout_budget: std::time::Duration::from_secs(26),
            sweep_after: Duration::minutes(5),
            sweep_budget: Duration::seconds(40),
            in_flight_limit: Duration::hours(1),
            recheck_window: Duration::hours(2),
            server_ip: IpAddr::from([127, 0, 0, 1]),
            partner_lookups: 600,
            partner_window: Duration::minutes(1),
        }
    }
}

/// The gateways a province offers.
#[derive(Debug, Default)]
pub struct Gateways {
    pub vnpay: Option<Gateway>,
    pub momo: Option<Gateway>,
    /// payOS ([`Gateway::Payos`]): one channel per payee.
    pub payos: Option<Gateway>,
    /// The national portal's payment platform as a redirect channel.
    pub dvcqg: Option<Gateway>,
    /// The province's bill-payment partners (not a channel a parent chooses).
    pub partners: Option<hocphi_gateways::partner::Partners>,
    /// The channels the province offers, named for a function that holds none of them (the
    /// look-up, `HOCPHI_CHANNELS`): it tells the parent what checkout will take.
    pub listed: Vec<GatewayKind>,
}

impl Gateways {
    /// The gateways a parent may choose, in [`GatewayKind::CHECKOUT`]'s order (payOS first):
    /// those configured here and those listed (a bill-payment partner never is).
    pub fn offered(&self) -> Vec<GatewayKind> {
        GatewayKind::CHECKOUT
            .into_iter()
            .filter(|kind| self.get(*kind).is_some() || self.listed.contains(kind))
            .collect()
    }

    /// The gateways offered to a student of a school paid into `payee`: payOS only when the
    /// school has a payee (and, where the channels are configured, the payee has one).
    pub fn offered_to(&self, payee: Option<&PayeeId>) -> Vec<GatewayKind> {
        self.offered()
            .into_iter()
            .filter(|kind| *kind != GatewayKind::Payos || self.pays_into(payee))
            .collect()
    }

    /// Whether payOS can take a payment into `payee`.
    fn pays_into(&self, payee: Option<&PayeeId>) -> bool {
        match (payee, &self.payos) {
            (None, _) => false,
            (Some(payee), Some(Gateway::Payos(channels))) => channels.serves(payee),
            (Some(_), _) => true,
        }
    }

    /// The configured gateway of a kind.
    pub fn get(&self, kind: GatewayKind) -> Option<&Gateway> {
        match kind {
            GatewayKind::Vnpay => self.vnpay.as_ref(),
            GatewayKind::Momo => self.momo.as_ref(),
            GatewayKind::Payos => self.payos.as_ref(),
            GatewayKind::Dvcqg => self.dvcqg.as_ref(),
            GatewayKind::Partner => None,
        }
    }
}

/// hocphi's use cases over its ports.
#[derive(Debug)]
pub struct App<S, C, T> {
    pub store: S,
    pub clock: C,
    pub transport: T,
    pub gateways: Gateways,
    pub settings: Settings,
}

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Wires the ports together.
    pub fn new(store: S, clock: C, transport: T, gateways: Gateways, settings: Settings) -> Self {
        Self {
            store,
            clock,
            transport,
            gateways,
            settings,
        }
    }
}

/// `N` bytes from the operating system's generator.
fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(e.to_string().into()))?;
    Ok(bytes)
}
