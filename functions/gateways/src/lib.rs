//! hocphi's payment-gateway adapters: VNPay 2.1.0, MoMo AIO v2, payOS (VietQR bank transfer
//! into each payee's own account, [`payos`], one channel per payee: [`PayosChannels`]) and the
//! national public-service portal's payment platform ([`dvcqg`]), plus simulators of them
//! (feature `simulators`, for the local stack and the end-to-end suites only), and the
//! bill-payment partners' message profiles ([`partner`]).
//!
//! Owns everything that speaks a gateway's protocol: signed checkout requests, verification of
//! callbacks (IPN and return URL), the reply each gateway expects for every outcome, and the
//! status-query exchange. It performs no I/O: it builds the requests to send and checks the bytes
//! received, so the HTTP client, the server and the clock belong to the caller.
//!
//! Invariants:
//! - a [`Verified`] value exists only after a gateway's signature checked out in constant time;
//!   the rest of the system acts on nothing else;
//! - secrets are refused at construction when empty or short ([`Secret`]) and never printed;
//! - every gateway is a folder of the same shape: `mod.rs` (the adapter: configuration, checkout,
//!   verification, replies, status query), `wire.rs` (its names, codes and bodies, verbatim),
//!   `tests.rs`, and `simulator/` (`mod.rs`, `page.rs`, `tests.rs`, behind `simulators`, on what
//!   every simulator shares, `simulator.rs`); what is one gateway's alone stays in its folder
//!   (VNPay's signed query strings, `vnpay/query.rs`; its settlement file, [`vnpay::settlement`]);
//! - dispatch is by the [`Gateway`] enum: adding a gateway fails to compile until every match
//!   handles it.
//!
//! # Adding a channel
//!
//! A new channel X touches exactly these places:
//! 1. `functions/gateways/src/x/`: `mod.rs`, `wire.rs`, `tests.rs` and `simulator/{mod.rs,
//!    page.rs, tests.rs}`; in this file, `pub mod x;` and the re-export of `X` and `XConfig`.
//! 2. `Gateway::X` in this file, and its arm in each `match` of `Gateway`'s methods (`kind`,
//!    `checkout`, `amount_limits`, `finish_checkout`, `verify`, `verify_return`, `acknowledge`,
//!    `query_request`, `query_response`, `cancel_request`).
//! 3. `GatewayKind::X` in `functions/domain/src/payment.rs`: its arms in `as_str` and
//!    `display_name`, and its place in `GatewayKind::ALL` (the order the page offers gateways in).
//! 4. The app's `Gateways` in `functions/app/src/lib.rs`: a field for X and its arm in
//!    `Gateways::get` (`offered` follows `GatewayKind::ALL`; `offered_to` filters what a
//!    student's school cannot take).
//! 5. The route in `functions/app/src/http_map.rs`: `Route::Callback(GatewayKind::X)` in
//!    `Route::ALL` and `Route::CALLBACKS`, and its arms in `Route::method` (the method X calls it
//!    with) and `Route::path` (`/api/callbacks/x`, or with a `{payee}` segment for a channel
//!    that has one account per payee, as payOS: it reaches [`Gateway::verify`] as
//!    [`RawCallback::path_param`]). X's callback is its own deployed function:
//!    `Function::Callback(GatewayKind::X)` in `Function::DEPLOYED`, its arms in `name` and
//!    `channels` (`functions/runtime/src/function.rs`).
//! 6. The configuration in `functions/runtime/src/config.rs`: X's `HOCPHI_X_*` rows in
//!    `VARIABLES`, read by `ReadBy::Channel(GatewayKind::X)` (its secret as a value row and an ARN
//!    row), `read_x` called by `Config::read`, and X's local defaults in `local_defaults`; a
//!    province lists X in `HOCPHI_CHANNELS` (read by the look-up, which holds no channel).
//! 7. The template `infra/template.yaml` (X's parameters, rule and condition; X's callback
//!    function, role, log group, integration and route; the `HOCPHI_X_*` environment and the
//!    secret permission of checkout, X's callback and the sweeper; X's alarms and metric
//!    filters), `infra/policy/waf.yaml` (X's IPN sources, if it publishes them), and their checks
//!    in `infra/checks/tests/` (which hold the environment to `VARIABLES`, the routes to
//!    `Route::ALL` and the functions to `Function::DEPLOYED`); the operators' guide
//!    `infra/README.md`; a province turns X on in `infra/samconfig.toml`.
//! 8. The page's choice in `frontend/src/`: `offers` in `checkout.rs`; `method_name`,
//!    `redirecting_to` and `pay_note` in `screens/lookup.rs` (their texts in `i18n.rs`);
//!    `failure_reason` in `status.rs`; `return_reference` in `route.rs`.
//! 9. The local stack in `functions/local/src/`: its simulator in `Stack` (`simulators` in
//!    `lib.rs`); its `BASE_PATH` in `answer` and its IPNs in `deliver_ipns` (`server.rs`).
//! 10. The end-to-end world in `tests/support/lib.rs` (it starts from `Config::local`, so X comes
//!     with the local defaults) and X's flows in `tests/flows.rs`.
//! 11. Reconciliation, once X's settlement file is supported: `x/settlement.rs`, X's arm of the
//!     `GatewayKind` match in `reconcile` (`functions/admin/src/reconcile.rs`, which refuses X
//!     until then) and `Gateway` in `functions/admin/src/cli.rs`.
//!
//! The compiler finds most of them: once `Gateway::X` and `GatewayKind::X` exist, each `match` of
//! steps 2, 3, 4 (`get`), 5 (`method`, `path`), 8 and 11 (`reconcile`), none of which has a
//! wildcard. Tests find the lists that follow `GatewayKind::ALL`: `Route::CALLBACKS` and
//! `Route::ALL` (app), each route served by exactly one function (runtime), the template against
//! `Route::ALL` and `VARIABLES` (infra checks). What nothing finds: a kind left out of
//! `GatewayKind::ALL` itself, and the texts.

mod error;
mod secret;
mod signing;
mod text;
mod vietnam;

pub mod dvcqg;
pub mod momo;
pub mod partner;
pub mod payos;
#[cfg(any(test, feature = "simulators"))]
pub mod simulator;
pub mod vnpay;

use std::net::IpAddr;
use std::ops::Deref;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hocphi_domain::{
    GatewayCode, GatewayEvent, GatewayKind, Money, PayeeId, Payment, PaymentRef, Settled,
};

pub use dvcqg::{Dvcqg, DvcqgConfig};
pub use error::{CheckoutError, ConfigError, QueryError, VerifyError};
pub use momo::{Momo, MomoConfig};
pub use payos::{ChannelsError, Payos, PayosChannels, PayosConfig};
pub use secret::Secret;
pub use text::{fold_diacritics, plain_text};
pub use vnpay::{Vnpay, VnpayConfig};

/// A value that a gateway's signature vouches for.
///
/// Only this crate can make one, and only at the end of a successful verification; it has no
/// public constructor, no `Default` and no `Deserialize`. Code that changes state takes a
/// `Verified<Notification>`, so unverified input cannot reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(value)
    }

    /// The verified value, consumed. It cannot be wrapped again.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// The language of the gateway's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    Vietnamese,
    English,
}

/// What a checkout needs besides the payment itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutContext {
    /// The parent's address as seen by hocphi; VNPay records it with the transaction.
    pub client_ip: IpAddr,
    pub locale: Locale,
    /// Where the gateway sends the browser back (display only: the IPN is authoritative).
    pub return_url: String,
    /// A description of the payment; each gateway reduces it to what it accepts.
    pub order_info: String,
    /// VNPay only: preselects a method (`VNBANK`, `INTCARD`, `VNPAYQR`, a bank code).
    pub bank_code: Option<String>,
    /// Checkout is refused once the payment has expired.
    pub now: DateTime<Utc>,
}

/// Where checkout goes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checkout {
    /// Send the browser here (VNPay: the signed payment URL).
    Redirect { url: String },
    /// Send this request to the gateway, then pass its answer to [`Gateway::finish_checkout`]
    /// to learn where the browser goes (MoMo: the create API returns a `payUrl`; payOS: a
    /// payment link, with the bank transfer's details).
    Call(ApiRequest),
}

/// What the gateway's answer to [`Checkout::Call`] gives the parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// Where the browser goes to pay (payOS: its hosted page, the fallback to the QR code).
    pub redirect_url: String,
    /// How to pay by bank transfer without leaving the site (payOS only).
    pub transfer: Option<TransferDetails>,
}

/// A bank transfer that pays a payment: to this account, the payment's amount, with this memo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferDetails {
    /// The VietQR payload to draw as a QR code.
    pub qr_code: String,
    /// The receiving bank's NAPAS BIN.
    pub bank_bin: String,
    /// The bank's short name, when [`payos::banks`] knows the BIN.
    pub bank_name: Option<&'static str>,
    pub account_number: String,
    pub account_name: String,
    /// The transfer memo, which names the payment.
    pub memo: String,
}

/// How long a status query may take before the caller gives up on it: the sweeper's run
/// (60 seconds) leaves every query started within its budget this long to finish.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP request for the caller to send: hocphi's gateway code does no network I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: &'static str,
    pub url: String,
    pub content_type: &'static str,
    pub body: String,
    /// The longest the caller may wait for the answer; a caller may only shorten it.
    pub timeout: Duration,
    /// Headers besides `Content-Type` (payOS's credentials); none for VNPay and MoMo.
    pub headers: Vec<Header>,
}

impl ApiRequest {
    fn post_json(url: &str, body: String, timeout: Duration) -> Self {
        Self {
            method: "POST",
            url: url.to_owned(),
            content_type: "application/json; charset=utf-8",
            body,
            timeout,
            headers: Vec::new(),
        }
    }
}

/// One header of an [`ApiRequest`]. A credential's value never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    pub name: &'static str,
    pub value: String,
    /// The value is a credential.
    pub secret: bool,
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.secret { "***" } else { &self.value };
        write!(f, "{}: {value}", self.name)
    }
}

/// A callback as it arrived, before any parsing: each gateway reads the part it signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawCallback<'a> {
    /// The raw query string (VNPay's IPN is a GET), with or without the leading `?`.
    pub query: &'a str,
    /// The raw body bytes (MoMo's IPN is a JSON POST).
    pub body: &'a [u8],
    /// The path's parameter: payOS's payee (`/api/callbacks/payos/{payee}`), which names the
    /// channel whose key verifies the body; none for VNPay and MoMo.
    pub path_param: Option<&'a str>,
}

/// What a gateway's result means for the payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A final result: apply it.
    Final(GatewayEvent),
    /// The gateway is still working (MoMo's pending codes): change nothing.
    NotFinal { code: GatewayCode },
}

/// A gateway's notification about one payment, in hocphi's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub gateway: GatewayKind,
    pub reference: PaymentRef,
    /// The amount the gateway reports, already converted to VND.
    pub amount: Money,
    pub outcome: Outcome,
    /// The time the gateway gives for the result, if it gives one (VNPay's `vnp_PayDate`, MoMo's
    /// `responseTime` of a payment).
    pub paid_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// The event to apply, or `None` when the result is not final.
    pub fn event(&self) -> Option<&GatewayEvent> {
        match &self.outcome {
            Outcome::Final(event) => Some(event),
            Outcome::NotFinal { .. } => None,
        }
    }
}

/// The parameters of a return URL: signed like a notification, but shown, never applied.
///
/// It is a distinct type so that a verified return URL cannot be passed where a
/// `Verified<Notification>` is required.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnNotice {
    pub notification: Notification,
}

/// What hocphi did with a callback, which decides the reply the gateway gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallbackOutcome {
    /// The store applied the result, success or failure.
    Recorded,
    /// The payment already had its outcome; nothing changed.
    AlreadyFinal,
    /// No payment has this reference.
    UnknownPayment,
    /// The reported amount is not the payment's.
    AmountMismatch,
    /// The callback failed verification.
    Rejected,
    /// The result is not final, so nothing was applied.
    NotFinal,
    /// hocphi could not process it now; the gateway should try again.
    Unavailable,
}

impl CallbackOutcome {
    /// The outcome of handing a verified event to the store: every answer of
    /// [`hocphi_domain::Store::settle`], and its failure.
    pub fn from_settled<E>(result: &Result<Settled, E>) -> Self {
        match result {
            Ok(Settled::Applied(_)) => Self::Recorded,
            Ok(Settled::AlreadyFinal(_)) => Self::AlreadyFinal,
            Ok(Settled::AmountMismatch { .. }) => Self::AmountMismatch,
            Ok(Settled::UnknownPayment) => Self::UnknownPayment,
            Ok(Settled::NotDue(_)) | Err(_) => Self::Unavailable,
        }
    }

    /// The outcome for a callback that failed verification. A signed reference that hocphi
    /// cannot have issued is an unknown payment, and a signed amount that is not a valid VND
    /// amount is a mismatch; everything else is a rejection.
    pub fn from_rejection(error: &VerifyError) -> Self {
        match error {
            VerifyError::UnknownReference => Self::UnknownPayment,
            VerifyError::InvalidAmount => Self::AmountMismatch,
            VerifyError::MissingSignature
            | VerifyError::MalformedSignature
            | VerifyError::BadSignature
            | VerifyError::DuplicateField(_)
            | VerifyError::MissingField(_)
            | VerifyError::InvalidField(_)
            | VerifyError::WrongMerchant
            | VerifyError::NotJson(_) => Self::Rejected,
        }
    }
}

/// The HTTP answer to a callback, in the gateway's own format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: String,
}

/// What a status query needs besides the payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryContext {
    /// 16 random bytes that make the request id (VNPay wants it unique within the day).
    pub request_entropy: [u8; 16],
    /// hocphi's own address, which VNPay records with the query.
    pub server_ip: IpAddr,
    pub now: DateTime<Utc>,
}

/// A gateway's answer to a status query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryAnswer {
    pub gateway: GatewayKind,
    pub reference: PaymentRef,
    pub status: QueryStatus,
}

/// Where the gateway says a payment stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryStatus {
    /// The money was captured.
    Paid {
        txn: hocphi_domain::GatewayTxnNo,
        amount: Money,
        paid_at: Option<DateTime<Utc>>,
    },
    /// The payment failed; it will not succeed.
    Failed {
        txn: Option<hocphi_domain::GatewayTxnNo>,
        code: GatewayCode,
    },
    /// No outcome yet: nothing has been paid (the parent has not confirmed).
    Pending,
    /// The channel is still processing a transaction the parent confirmed, or answers a state
    /// hocphi does not know: money may be in flight, so the payment is never expired on it.
    InProgress { code: GatewayCode },
    /// The gateway has no such transaction (the parent never reached it).
    NotFound,
    /// A state hocphi must not decide alone (refunds, fraud review): an operator looks at it.
    NeedsReview { code: GatewayCode },
}

impl QueryStatus {
    /// The event a sweeper may apply, if the answer is final.
    pub fn event(&self) -> Option<GatewayEvent> {
        match self {
            Self::Paid { txn, amount, .. } => Some(GatewayEvent::Paid {
                txn: txn.clone(),
                amount: *amount,
            }),
            Self::Failed { txn, code } => Some(GatewayEvent::Declined {
                txn: txn.clone(),
                code: code.clone(),
            }),
            Self::Pending | Self::InProgress { .. } | Self::NotFound | Self::NeedsReview { .. } => {
                None
            }
        }
    }
}

/// A configured gateway. Dispatch is by `match`, so a new gateway is a compile error until
/// every operation handles it.
#[derive(Debug)]
pub enum Gateway {
    Vnpay(Vnpay),
    Momo(Momo),
    /// payOS: one channel per payee, each payment through its own payee's.
    Payos(PayosChannels),
    /// The national public-service portal's payment platform.
    Dvcqg(Dvcqg),
}

impl Gateway {
    /// Which gateway this is.
    pub fn kind(&self) -> GatewayKind {
        match self {
            Self::Vnpay(_) => GatewayKind::Vnpay,
            Self::Momo(_) => GatewayKind::Momo,
            Self::Payos(_) => GatewayKind::Payos,
            Self::Dvcqg(_) => GatewayKind::Dvcqg,
        }
    }

    /// Where to send the parent to pay.
    pub fn checkout(
        &self,
        payment: &Payment,
        ctx: &CheckoutContext,
    ) -> Result<Checkout, CheckoutError> {
        match self {
            Self::Vnpay(g) => g
                .payment_url(payment, ctx)
                .map(|url| Checkout::Redirect { url }),
            Self::Momo(g) => g.create_request(payment, ctx).map(Checkout::Call),
            Self::Payos(channels) => channels
                .of(payment)
                .ok_or(CheckoutError::NoChannel)?
                .create_request(payment, ctx)
                .map(Checkout::Call),
            Self::Dvcqg(g) => g.init_request(payment, ctx).map(Checkout::Call),
        }
    }

    /// The smallest and largest amounts in VND the channel takes in one payment, when it
    /// documents them; a checkout outside them is refused before any payment is stored.
    pub fn amount_limits(&self) -> Option<(u64, u64)> {
        match self {
            Self::Vnpay(_) | Self::Payos(_) | Self::Dvcqg(_) => None,
            Self::Momo(g) => Some(g.amount_limits()),
        }
    }

    /// Where the browser goes, and how to pay by transfer, from the gateway's answer to
    /// [`Checkout::Call`].
    pub fn finish_checkout(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Finished, CheckoutError> {
        match self {
            Self::Vnpay(_) => Err(CheckoutError::NoApiStep),
            Self::Momo(g) => g
                .create_response(payment, body)
                .map(|redirect_url| Finished {
                    redirect_url,
                    transfer: None,
                }),
            Self::Payos(channels) => {
                let link = channels
                    .of(payment)
                    .ok_or(CheckoutError::NoChannel)?
                    .create_response(payment, body)?
                    .into_inner();
                Ok(Finished {
                    redirect_url: link.checkout_url,
                    transfer: Some(TransferDetails {
                        bank_name: payos::banks::bank_name(&link.bin),
                        qr_code: link.qr_code,
                        bank_bin: link.bin,
                        account_number: link.account_number,
                        account_name: link.account_name,
                        memo: link.memo,
                    }),
                })
            }
            Self::Dvcqg(g) => g.init_response(payment, body).map(|redirect_url| Finished {
                redirect_url,
                transfer: None,
            }),
        }
    }

    /// Checks a server-to-server notification (IPN) over the exact bytes received. A payOS
    /// webhook is verified with the key of the payee its path names; a path naming no payee
    /// with a channel is addressed to another merchant.
    pub fn verify(&self, raw: RawCallback<'_>) -> Result<Verified<Notification>, VerifyError> {
        match self {
            Self::Vnpay(g) => g.verify_ipn(raw.query),
            Self::Momo(g) => g.verify_ipn(raw.body),
            Self::Payos(channels) => {
                let channel = raw
                    .path_param
                    .and_then(|payee| PayeeId::parse(payee).ok())
                    .and_then(|payee| channels.get(&payee))
                    .ok_or(VerifyError::WrongMerchant)?;
                let transfer = channel.verify_webhook(raw.body)?.into_inner();
                Ok(Verified::new(Notification {
                    gateway: GatewayKind::Payos,
                    reference: transfer.reference,
                    amount: transfer.amount,
                    outcome: transfer.outcome,
                    paid_at: transfer.paid_at,
                }))
            }
            Self::Dvcqg(g) => g.verify_confirm(raw.body),
        }
    }

    /// Checks the parameters of the browser's return, for display only.
    pub fn verify_return(&self, query: &str) -> Result<Verified<ReturnNotice>, VerifyError> {
        match self {
            Self::Vnpay(g) => g.verify_return(query),
            Self::Momo(g) => g.verify_return(query),
            Self::Payos(_) | Self::Dvcqg(_) => Err(VerifyError::MissingSignature),
        }
    }

    /// The reply the gateway expects for this outcome.
    pub fn acknowledge(&self, outcome: CallbackOutcome) -> Reply {
        match self {
            Self::Vnpay(_) => Vnpay::reply(outcome),
            Self::Momo(_) => Momo::reply(outcome),
            Self::Payos(_) => Payos::reply(outcome),
            Self::Dvcqg(g) => g.reply(outcome),
        }
    }

    /// The status query to send for a payment.
    pub fn query_request(
        &self,
        payment: &Payment,
        ctx: &QueryContext,
    ) -> Result<ApiRequest, QueryError> {
        match self {
            Self::Vnpay(g) => g.query_request(payment, ctx),
            Self::Momo(g) => g.query_request(payment, ctx),
            Self::Payos(channels) => channels
                .of(payment)
                .ok_or(QueryError::NoChannel)?
                .query_request(payment),
            Self::Dvcqg(g) => g.query_request(payment, ctx),
        }
    }

    /// Parses and checks the gateway's answer to [`Gateway::query_request`].
    pub fn query_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<QueryAnswer>, QueryError> {
        match self {
            Self::Vnpay(g) => g.query_response(payment, body),
            Self::Momo(g) => g.query_response(payment, body),
            Self::Payos(channels) => {
                let state = channels
                    .of(payment)
                    .ok_or(QueryError::NoChannel)?
                    .query_response(payment, body)?
                    .into_inner();
                Ok(Verified::new(QueryAnswer {
                    gateway: GatewayKind::Payos,
                    reference: state.reference,
                    status: closed_link(state.status),
                }))
            }
            Self::Dvcqg(g) => g.query_response(payment, body),
        }
    }

    /// The request that stops the gateway taking money for a payment about to be expired, for
    /// a channel whose payment stays open at the gateway until cancelled (payOS's link); its
    /// answer reads as [`Gateway::query_response`]. `None` for VNPay, MoMo and the portal's
    /// platform (whose public message set has no cancel).
    pub fn cancel_request(&self, payment: &Payment) -> Result<Option<ApiRequest>, QueryError> {
        match self {
            Self::Vnpay(_) | Self::Momo(_) | Self::Dvcqg(_) => Ok(None),
            Self::Payos(channels) => channels
                .of(payment)
                .ok_or(QueryError::NoChannel)?
                .cancel_request(payment, "Het han thanh toan")
                .map(Some),
        }
    }
}

/// A payOS link that ended with nothing paid (`EXPIRED`, `CANCELLED`) takes no more money: the
/// payment expires as one whose gateway has no transaction, rather than failing.
fn closed_link(status: QueryStatus) -> QueryStatus {
    match status {
        QueryStatus::Failed { code, .. } if matches!(code.as_str(), "EXPIRED" | "CANCELLED") => {
            QueryStatus::NotFound
        }
        other => other,
    }
}

/// Lowercase hex of a byte string (request ids, digests).
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Whether a configured URL may be used: HTTPS, or plain HTTP to a loopback host (the local stack).
pub(crate) fn acceptable_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://").filter(|r| is_loopback_host(r)))
    else {
        return false;
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && url.len() <= 255
        && url.bytes().all(|b| b.is_ascii_graphic())
}

fn is_loopback_host(rest: &str) -> bool {
    ["localhost", "127.0.0.1", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/', '?']))
    })
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
mod tests {
    use super::*;
    use hocphi_domain::{GatewayTxnNo, PaymentState, StoreError};

    #[test]
    fn every_store_answer_maps_to_one_callback_outcome() {
        let state = PaymentState {
            payment: testkit::payment("HP1", 1_500_000, GatewayKind::Vnpay),
            receipt: None,
        };
        let cases: [(Result<Settled, StoreError>, CallbackOutcome); 6] = [
            (
                Ok(Settled::Applied(state.clone())),
                CallbackOutcome::Recorded,
            ),
            (
                Ok(Settled::AlreadyFinal(state.clone())),
                CallbackOutcome::AlreadyFinal,
            ),
            (
                Ok(Settled::AmountMismatch {
                    expected: Money::from_vnd(1).unwrap(),
                    recorded: true,
                }),
                CallbackOutcome::AmountMismatch,
            ),
            (Ok(Settled::UnknownPayment), CallbackOutcome::UnknownPayment),
            (Ok(Settled::NotDue(state)), CallbackOutcome::Unavailable),
            (Err(StoreError::Contention), CallbackOutcome::Unavailable),
        ];
        for (result, expected) in cases {
            assert_eq!(
                CallbackOutcome::from_settled(&result),
                expected,
                "{result:?}"
            );
        }
    }

    #[test]
    fn a_signed_but_foreign_reference_is_an_unknown_payment_and_a_bad_amount_a_mismatch() {
        let cases = [
            (
                VerifyError::UnknownReference,
                CallbackOutcome::UnknownPayment,
            ),
            (VerifyError::InvalidAmount, CallbackOutcome::AmountMismatch),
            (VerifyError::BadSignature, CallbackOutcome::Rejected),
            (VerifyError::MissingSignature, CallbackOutcome::Rejected),
            (VerifyError::MalformedSignature, CallbackOutcome::Rejected),
            (
                VerifyError::DuplicateField("vnp_Amount".into()),
                CallbackOutcome::Rejected,
            ),
            (
                VerifyError::MissingField("vnp_TxnRef"),
                CallbackOutcome::Rejected,
            ),
            (
                VerifyError::InvalidField("vnp_PayDate"),
                CallbackOutcome::Rejected,
            ),
            (VerifyError::WrongMerchant, CallbackOutcome::Rejected),
        ];
        for (error, expected) in cases {
            assert_eq!(CallbackOutcome::from_rejection(&error), expected, "{error}");
        }
    }

    #[test]
    fn only_final_query_answers_carry_an_event() {
        let txn = GatewayTxnNo::parse("14226112").unwrap();
        let code = GatewayCode::parse("02").unwrap();
        let amount = Money::from_vnd(10_000).unwrap();
        let paid = QueryStatus::Paid {
            txn: txn.clone(),
            amount,
            paid_at: None,
        };
        assert_eq!(
            paid.event(),
            Some(GatewayEvent::Paid {
                txn: txn.clone(),
                amount
            })
        );
        let failed = QueryStatus::Failed {
            txn: None,
            code: code.clone(),
        };
        assert_eq!(
            failed.event(),
            Some(GatewayEvent::Declined {
                txn: None,
                code: code.clone()
            })
        );
        for status in [
            QueryStatus::Pending,
            QueryStatus::InProgress { code: code.clone() },
            QueryStatus::NotFound,
            QueryStatus::NeedsReview { code },
        ] {
            assert_eq!(status.event(), None, "{status:?}");
        }
    }

    #[test]
    fn configured_urls_must_be_https_unless_they_point_at_this_machine() {
        let cases = [
            ("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", true),
            ("http://127.0.0.1:8080/sim/vnpay", true),
            ("http://localhost/ipn", true),
            ("http://[::1]:3000", true),
            ("http://example.vn/ipn", false),
            ("http://localhost.example.vn/ipn", false),
            ("https://", false),
            ("https:///path", false),
            ("ftp://example.vn", false),
            ("https://example.vn/a b", false),
            ("", false),
        ];
        for (url, ok) in cases {
            assert_eq!(acceptable_url(url), ok, "{url}");
        }
    }

    #[test]
    fn hex_is_lowercase_and_two_digits_per_byte() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex_lower(&[]), "");
    }
}
