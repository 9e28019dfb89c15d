//! payOS (payos.vn): a bank transfer by VietQR over NAPAS 24/7, free for the parent. hocphi
//! creates a payment link, the parent scans its VietQR code (or opens its `checkoutUrl`), and
//! payOS's webhook reports each transfer received.
//!
//! Wired as [`crate::Gateway::Payos`] over a province's [`PayosChannels`] (one channel per
//! payee, `channels.rs`): this module's own verified values ([`Transfer`], [`LinkState`],
//! [`PaymentLink`]) become a [`crate::Notification`], a [`crate::QueryAnswer`] and a
//! [`crate::Finished`] with `GatewayKind::Payos` there. `banks.rs` names the receiving bank;
//! `settlement.rs` reads my.payos.vn's transaction export for reconciliation;
//! [`Payos::confirm_webhook_request`] registers a payee's webhook URL.
//!
//! Invariants:
//! - only the `data` object is signed: HMAC-SHA256 (the checksum key) over its sorted
//!   `key=value` pairs with raw values (`signed.rs`), checked in constant time; a create request
//!   signs `amount`, `cancelUrl`, `description`, `orderCode`, `returnUrl` in that order;
//! - every answer is read from the exact bytes received, and a duplicated field rejects it;
//! - the `orderCode` is the payment reference's own number (`order_code.rs`), so a webhook names
//!   its payment without a look-up, and one hocphi did not issue is an unknown payment;
//! - a webhook reports one transfer, with that transfer's amount and, as its transaction number,
//!   the bank's reference of that transfer (so two transfers to one link are two records, and a
//!   repeated webhook one): a partial or larger transfer is an amount mismatch for the store,
//!   never a settlement; a status answer settles only when
//!   payOS says `PAID` and the amount paid is the link's amount, which is the payment's;
//! - the description is the payment's reference in ASCII letters and digits: whole (18
//!   characters, within payOS's 25) on a channel whose account is linked through payOS, else
//!   its last 9, payOS's limit there (it keeps the rest of the memo for a matching code of its
//!   own); the webhook names the payment by its `orderCode` either way;
//! - credentials travel as headers marked secret, never printed.

pub mod banks;
mod channels;
pub mod order_code;
pub mod settlement;
mod signed;
#[cfg(any(test, feature = "simulators"))]
pub mod simulator;
pub mod vietqr;
pub mod wire;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::Mac;
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayTxnNo, Money, Payment, PaymentRef};

use crate::signing::{DigestError, Sha256Key};
use crate::{
    ApiRequest, CallbackOutcome, CheckoutContext, CheckoutError, ConfigError, Header, Outcome,
    QueryError, QueryStatus, Reply, Secret, Verified, VerifyError,
};
pub use channels::{ChannelsError, PayosChannels};
pub use order_code::{OrderCode, payos_reference};
use signed::RawObject;
use wire::{
    CancelRequest, CreateRequest, Envelope, PaymentLinkData, PaymentLinkInfo, Status, WebhookData,
};

/// What it takes to talk to payOS as one payment channel (my.payos.vn issues all three).
#[derive(Debug)]
pub struct PayosConfig {
    /// `x-client-id`.
    pub client_id: String,
    /// `x-api-key`.
    pub api_key: Secret,
    /// The checksum key, which signs requests and answers.
    pub checksum_key: Secret,
    /// payOS's host, e.g. [`wire::API_BASE`].
    pub endpoint: String,
    /// The channel's bank account is linked through payOS (my.payos.vn says which): payOS takes
    /// a description of [`Payos::DESCRIPTION_MAX`] characters for such an account and of
    /// [`Payos::DESCRIPTION_MAX_UNLINKED`] for any other, keeping the rest of the memo for a
    /// matching code of its own.
    pub linked_account: bool,
}

/// A configured payOS channel.
#[derive(Debug)]
pub struct Payos {
    client_id: String,
    api_key: Secret,
    key: Sha256Key,
    links_url: String,
    confirm_url: String,
    description_max: usize,
}

/// A payment link payOS created, from its signed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentLink {
    /// payOS's page for the payment.
    pub checkout_url: String,
    /// The VietQR payload to show as a QR code (see [`vietqr`]).
    pub qr_code: String,
    pub payment_link_id: GatewayTxnNo,
    /// The receiving bank's BIN and account.
    pub bin: String,
    pub account_number: String,
    pub account_name: String,
    /// The transfer memo the link asks for: the one its VietQR code carries (`62`/`08`), which
    /// is what a banking app sends and what a parent must type by hand (payOS may put a matching
    /// code of its own before the description, or shorten it); the description payOS answered
    /// when the code has no memo hocphi can read.
    pub memo: String,
}

/// A transfer reported by a webhook. With `GatewayKind::Payos` it becomes the
/// [`crate::Notification`] with the same fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub reference: PaymentRef,
    /// The amount of this transfer.
    pub amount: Money,
    pub outcome: Outcome,
    /// `transactionDateTime`.
    pub paid_at: Option<DateTime<Utc>>,
}

/// Where payOS says a payment link stands. With `GatewayKind::Payos` it becomes the
/// [`crate::QueryAnswer`] with the same fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkState {
    pub reference: PaymentRef,
    pub status: QueryStatus,
}

impl Payos {
    /// The longest description payOS takes.
    pub const DESCRIPTION_MAX: usize = 25;
    /// The longest description payOS takes for a bank account not linked through it.
    pub const DESCRIPTION_MAX_UNLINKED: usize = 9;
    /// How long hocphi waits for the answer to a create request (as MoMo's, for the same
    /// reason: API Gateway's 30 seconds).
    pub const CREATE_TIMEOUT: Duration = Duration::from_secs(25);

    /// Checks the configuration and keys the HMAC once.
    pub fn new(config: PayosConfig) -> Result<Self, ConfigError> {
        if config.client_id.is_empty()
            || config.client_id.len() > 64
            || !config
                .client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ConfigError::Invalid {
                field: "clientId",
                reason: "must be 1 to 64 ASCII letters, digits or dashes",
            });
        }
        if !std::str::from_utf8(config.api_key.expose())
            .is_ok_and(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::Invalid {
                field: "apiKey",
                reason: "must be printable ASCII",
            });
        }
        let endpoint = config.endpoint.trim_end_matches('/');
        if !crate::acceptable_url(endpoint) || endpoint.contains('?') {
            return Err(ConfigError::Invalid {
                field: "endpoint",
                reason: "must be an https URL (http only for loopback) without a query",
            });
        }
        Ok(Self {
            key: Sha256Key::new(&config.checksum_key)?,
            links_url: format!("{endpoint}{}", wire::PAYMENT_REQUESTS_PATH),
            confirm_url: format!("{endpoint}{}", wire::CONFIRM_WEBHOOK_PATH),
            client_id: config.client_id,
            api_key: config.api_key,
            description_max: if config.linked_account {
                Self::DESCRIPTION_MAX
            } else {
                Self::DESCRIPTION_MAX_UNLINKED
            },
        })
    }

    /// The description of a payment on this channel: its reference reduced to ASCII letters
    /// and digits, whole on a linked account (a payOS reference has 18 characters), else its
    /// last [`Payos::DESCRIPTION_MAX_UNLINKED`] (the creation time's last digits and the four
    /// symbols, which differ from one payment to the next where the prefix and date do not).
    pub fn description(&self, reference: &PaymentRef) -> String {
        let plain: String = reference
            .as_str()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let from = plain.len().saturating_sub(self.description_max);
        plain.get(from..).unwrap_or_default().to_owned()
    }

    fn headers(&self) -> Vec<Header> {
        vec![
            Header {
                name: wire::CLIENT_ID_HEADER,
                value: self.client_id.clone(),
                secret: false,
            },
            Header {
                name: wire::API_KEY_HEADER,
                value: String::from_utf8_lossy(self.api_key.expose()).into_owned(),
                secret: true,
            },
        ]
    }

    /// The create-payment-link request. The link expires with the payment; the browser comes
    /// back to the return URL whether the parent paid or cancelled.
    pub fn create_request(
        &self,
        payment: &Payment,
        ctx: &CheckoutContext,
    ) -> Result<ApiRequest, CheckoutError> {
        if ctx.now >= payment.expires_at {
            return Err(CheckoutError::Expired);
        }
        if ctx.return_url.len() < 10 || !crate::acceptable_url(&ctx.return_url) {
            return Err(CheckoutError::InvalidReturnUrl);
        }
        let order_code =
            OrderCode::of(&payment.reference).ok_or(CheckoutError::UnsupportedReference)?;
        let mut request = CreateRequest {
            order_code: order_code.get(),
            amount: payment.amount.vnd(),
            description: self.description(&payment.reference),
            cancel_url: ctx.return_url.clone(),
            return_url: ctx.return_url.clone(),
            expired_at: Some(payment.expires_at.timestamp()),
            signature: String::new(),
        };
        request.signature = self.key.sign_hex(create_message(&request).as_bytes());
        let body = serde_json::to_string(&request).map_err(CheckoutError::Encode)?;
        let mut call = ApiRequest::post_json(&self.links_url, body, Self::CREATE_TIMEOUT);
        call.headers = self.headers();
        Ok(call)
    }

    /// The link from payOS's answer to [`Payos::create_request`], once the answer is a signed
    /// success about this very order and amount.
    pub fn create_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<PaymentLink>, CheckoutError> {
        let envelope: Envelope<'_, RawObject<'_>> = json_text(body)
            .and_then(serde_json::from_str)
            .map_err(CheckoutError::Malformed)?;
        if envelope.code != wire::SUCCESS_CODE {
            return Err(CheckoutError::Refused {
                code: envelope.code.chars().take(16).collect(),
            });
        }
        let data = envelope.data.ok_or(CheckoutError::Mismatch)?;
        let signature = envelope.signature.unwrap_or_default();
        self.check(&data, &signature)
            .map_err(|_| CheckoutError::BadSignature)?;
        let link: PaymentLinkData = data.typed().map_err(CheckoutError::Malformed)?;
        let expected =
            OrderCode::of(&payment.reference).ok_or(CheckoutError::UnsupportedReference)?;
        if link.order_code != expected.get()
            || link.amount != payment.amount.vnd()
            || link.currency != "VND"
            || !link.checkout_url.starts_with("https://")
                && !crate::acceptable_url(&link.checkout_url)
        {
            return Err(CheckoutError::Mismatch);
        }
        let payment_link_id =
            GatewayTxnNo::parse(&link.payment_link_id).map_err(|_| CheckoutError::Mismatch)?;
        let memo = vietqr::VietQr::parse(&link.qr_code)
            .ok()
            .and_then(|qr| qr.memo)
            .unwrap_or(link.description);
        Ok(Verified::new(PaymentLink {
            checkout_url: link.checkout_url,
            qr_code: link.qr_code,
            payment_link_id,
            bin: link.bin,
            account_number: link.account_number,
            account_name: link.account_name,
            memo,
        }))
    }

    /// Checks a signature over a `data` object: missing, malformed or different.
    fn check(&self, data: &RawObject<'_>, signature: &str) -> Result<(), SignatureFault> {
        if signature.is_empty() {
            return Err(SignatureFault::Missing);
        }
        let mut mac = self.key.start();
        data.write(&mut |piece| mac.update(piece))
            .map_err(|_| SignatureFault::Unsignable)?;
        crate::signing::verify_mac(mac, signature).map_err(|e| match e {
            DigestError::Malformed => SignatureFault::Malformed,
            DigestError::Mismatch => SignatureFault::Mismatch,
        })
    }

    /// Verifies a webhook over the exact body bytes payOS POSTed.
    pub fn verify_webhook(&self, body: &[u8]) -> Result<Verified<Transfer>, VerifyError> {
        let envelope: Envelope<'_, RawObject<'_>> = json_text(body)
            .and_then(serde_json::from_str)
            .map_err(VerifyError::NotJson)?;
        let data = envelope.data.ok_or(VerifyError::MissingField("data"))?;
        let signature = envelope.signature.unwrap_or_default();
        self.check(&data, &signature).map_err(|fault| match fault {
            SignatureFault::Missing => VerifyError::MissingSignature,
            SignatureFault::Malformed => VerifyError::MalformedSignature,
            SignatureFault::Mismatch => VerifyError::BadSignature,
            SignatureFault::Unsignable => VerifyError::InvalidField("data"),
        })?;
        let data: WebhookData<'_> = data.typed().map_err(VerifyError::NotJson)?;
        let reference = OrderCode::new(data.order_code)
            .and_then(OrderCode::reference)
            .ok_or(VerifyError::UnknownReference)?;
        let amount = Money::from_vnd(data.amount).map_err(|_| VerifyError::InvalidAmount)?;
        if data.currency != "VND" {
            return Err(VerifyError::InvalidAmount);
        }
        let link = GatewayTxnNo::parse(&data.payment_link_id)
            .map_err(|_| VerifyError::InvalidField("paymentLinkId"))?;
        let txn = transfer_txn(&data.reference, link);
        let (outcome, paid_at) = if data.code == wire::SUCCESS_CODE {
            (
                Outcome::Final(GatewayEvent::Paid { txn, amount }),
                vietnam_time(&data.transaction_date_time),
            )
        } else {
            let code =
                GatewayCode::parse(&data.code).map_err(|_| VerifyError::InvalidField("code"))?;
            (Outcome::NotFinal { code }, None)
        };
        Ok(Verified::new(Transfer {
            reference,
            amount,
            outcome,
            paid_at,
        }))
    }

    /// payOS wants HTTP 2xx once a webhook is handled (it confirms a webhook URL only if the
    /// URL answers its test webhook, whose order hocphi does not know, with 2xx). A rejected
    /// webhook gets 400 and a failure of hocphi 500, so payOS sends it again.
    pub fn reply(outcome: CallbackOutcome) -> Reply {
        let (status, success) = match outcome {
            CallbackOutcome::Recorded
            | CallbackOutcome::AlreadyFinal
            | CallbackOutcome::UnknownPayment
            | CallbackOutcome::AmountMismatch
            | CallbackOutcome::NotFinal => (200, true),
            CallbackOutcome::Rejected => (400, false),
            CallbackOutcome::Unavailable => (500, false),
        };
        Reply {
            status,
            content_type: Some("application/json; charset=utf-8"),
            body: format!("{{\"success\":{success}}}"),
        }
    }

    fn link_url(&self, payment: &Payment) -> Result<String, QueryError> {
        let code = OrderCode::of(&payment.reference).ok_or(QueryError::WrongPayment)?;
        Ok(format!("{}/{}", self.links_url, code.get()))
    }

    /// The status query for a payment: `GET /v2/payment-requests/{orderCode}`.
    pub fn query_request(&self, payment: &Payment) -> Result<ApiRequest, QueryError> {
        Ok(ApiRequest {
            method: "GET",
            url: self.link_url(payment)?,
            content_type: "application/json; charset=utf-8",
            body: String::new(),
            timeout: crate::QUERY_TIMEOUT,
            headers: self.headers(),
        })
    }

    /// Cancels a payment's link, so no transfer is taken for it any more.
    pub fn cancel_request(
        &self,
        payment: &Payment,
        reason: &str,
    ) -> Result<ApiRequest, QueryError> {
        let reason = crate::plain_text(reason, 255);
        let body = serde_json::to_string(&CancelRequest {
            cancellation_reason: (!reason.is_empty()).then_some(reason),
        })
        .map_err(QueryError::Encode)?;
        let mut call = ApiRequest::post_json(
            &format!("{}/cancel", self.link_url(payment)?),
            body,
            crate::QUERY_TIMEOUT,
        );
        call.headers = self.headers();
        Ok(call)
    }

    /// Reads payOS's signed answer to [`Payos::query_request`] (or to a cancel).
    pub fn query_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<LinkState>, QueryError> {
        let envelope: Envelope<'_, RawObject<'_>> = json_text(body)
            .and_then(serde_json::from_str)
            .map_err(QueryError::Malformed)?;
        if envelope.code != wire::SUCCESS_CODE {
            return Err(QueryError::Refused {
                code: envelope.code.chars().take(16).collect(),
            });
        }
        let data = envelope.data.ok_or(QueryError::InvalidField("data"))?;
        let signature = envelope.signature.unwrap_or_default();
        self.check(&data, &signature).map_err(|fault| match fault {
            SignatureFault::Missing => QueryError::MissingSignature,
            SignatureFault::Malformed => QueryError::MalformedSignature,
            SignatureFault::Mismatch => QueryError::BadSignature,
            SignatureFault::Unsignable => QueryError::InvalidField("data"),
        })?;
        let info: PaymentLinkInfo = data.typed().map_err(QueryError::Malformed)?;
        let expected = OrderCode::of(&payment.reference).ok_or(QueryError::WrongPayment)?;
        if info.order_code != expected.get() || info.amount != payment.amount.vnd() {
            return Err(QueryError::WrongPayment);
        }
        Ok(Verified::new(LinkState {
            reference: payment.reference.clone(),
            status: status_of(&info)?,
        }))
    }
}

/// payOS's answer to [`Payos::confirm_webhook_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookConfirmation {
    /// payOS called the URL, got 2xx, and keeps it for the channel.
    Confirmed {
        webhook_url: Option<String>,
        account_name: Option<String>,
        account_number: Option<String>,
        /// The bank's short name.
        bank: Option<String>,
    },
    /// payOS refused: its HTTP status and, when it gave them, its `code` and `desc`.
    Refused {
        status: u16,
        code: Option<String>,
        desc: Option<String>,
    },
}

impl Payos {
    /// How long hocphi waits for payOS to call the URL and answer.
    pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

    /// Registers `webhook_url` as the channel's webhook: `POST /confirm-webhook` with
    /// `{"webhookUrl": …}` and the channel's `x-client-id`/`x-api-key` (payos.vn/docs, "Xác
    /// thực webhook"). payOS answers once it has called the URL with a test webhook.
    pub fn confirm_webhook_request(&self, webhook_url: &str) -> Result<ApiRequest, ConfigError> {
        if !crate::acceptable_url(webhook_url) || webhook_url.contains('?') {
            return Err(ConfigError::Invalid {
                field: "webhookUrl",
                reason: "must be an https URL (http only for loopback) without a query",
            });
        }
        let body = serde_json::to_string(&wire::ConfirmWebhookRequest {
            webhook_url: webhook_url.to_owned(),
        })
        .map_err(|_| ConfigError::Invalid {
            field: "webhookUrl",
            reason: "cannot be encoded",
        })?;
        let mut call = ApiRequest::post_json(&self.confirm_url, body, Self::CONFIRM_TIMEOUT);
        call.headers = self.headers();
        Ok(call)
    }

    /// Reads payOS's answer to [`Payos::confirm_webhook_request`]: confirmed only on HTTP 2xx
    /// with `code` `00` (written as a string or a number); payOS's texts are kept printable and
    /// at most 200 characters.
    pub fn confirm_webhook_response(status: u16, body: &[u8]) -> WebhookConfirmation {
        let answer: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| -> Option<String> {
            let value = answer.as_ref()?.get(name)?;
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some(printable(&text)).filter(|t| !t.is_empty())
        };
        let code = field("code");
        let success = matches!(code.as_deref(), Some("00" | "0"));
        if (200..300).contains(&status) && success {
            let data: wire::ConfirmWebhookData = answer
                .as_ref()
                .and_then(|a| a.get("data"))
                .and_then(|d| serde_json::from_value(d.clone()).ok())
                .unwrap_or_default();
            let clean = |t: Option<String>| t.map(|t| printable(&t)).filter(|t| !t.is_empty());
            return WebhookConfirmation::Confirmed {
                webhook_url: clean(data.webhook_url),
                account_name: clean(data.account_name),
                account_number: clean(data.account_number),
                bank: clean(data.short_name.or(data.name)),
            };
        }
        WebhookConfirmation::Refused {
            status,
            code,
            desc: field("desc"),
        }
    }
}

/// A body as text: JSON is UTF-8, so it is checked once here and every string read from it is
/// borrowed without another check.
fn json_text(body: &[u8]) -> Result<&str, serde_json::Error> {
    std::str::from_utf8(body)
        .map_err(|_| <serde_json::Error as serde::de::Error>::custom("the body is not UTF-8"))
}

/// Third-party text made safe to print: no control characters, at most 200 characters.
fn printable(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Why a signature was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SignatureFault {
    Missing,
    Malformed,
    Mismatch,
    Unsignable,
}

/// The signed text of a create request, in payOS's order.
fn create_message(r: &CreateRequest) -> String {
    format!(
        "amount={}&cancelUrl={}&description={}&orderCode={}&returnUrl={}",
        r.amount, r.cancel_url, r.description, r.order_code, r.return_url
    )
}

/// What a link's status means for the payment. Money received that is not exactly the link's
/// amount (`UNDERPAID`, `PAID` with another amount paid or paid in several transfers, any other
/// status with money paid) is for an operator, never a settlement, as each transfer's webhook is;
/// a settlement is one transfer of the whole amount, numbered by its bank reference as the
/// webhook numbers it; `PROCESSING` and a status payOS does not list may have
/// money in flight, so the payment is not expired on them.
pub fn status_of(info: &PaymentLinkInfo) -> Result<QueryStatus, QueryError> {
    let status = Status::parse(&info.status);
    let code =
        || GatewayCode::parse(status.as_str()).map_err(|_| QueryError::InvalidField("status"));
    let txn = || GatewayTxnNo::parse(&info.id).map_err(|_| QueryError::InvalidField("id"));
    Ok(match (&status, info.transactions.as_slice()) {
        (Status::Paid, [one]) if info.amount_paid == info.amount && one.amount == info.amount => {
            QueryStatus::Paid {
                txn: transfer_txn(&one.reference, txn()?),
                amount: Money::from_vnd(one.amount)
                    .map_err(|_| QueryError::InvalidField("amountPaid"))?,
                paid_at: one.transaction_date_time.as_deref().and_then(vietnam_time),
            }
        }
        (status, _) => match status {
            Status::Processing | Status::Other(_) => QueryStatus::InProgress { code: code()? },
            _ if info.amount_paid > 0 => QueryStatus::NeedsReview { code: code()? },
            Status::Paid | Status::Underpaid => QueryStatus::NeedsReview { code: code()? },
            Status::Pending => QueryStatus::Pending,
            Status::Cancelled | Status::Expired | Status::Failed => QueryStatus::Failed {
                txn: Some(txn()?),
                code: code()?,
            },
        },
    })
}

/// The number hocphi records for one transfer: the bank's reference, unique per transfer (a
/// link's id is the same for every transfer to it). A reference hocphi cannot keep as it is
/// becomes `R` and 40 hex digits of its SHA-256, so two transfers never share a number; only a
/// transfer without any reference takes the link's id.
fn transfer_txn(reference: &str, link: GatewayTxnNo) -> GatewayTxnNo {
    use sha2::Digest;
    if reference.is_empty() {
        return link;
    }
    GatewayTxnNo::parse(reference)
        .ok()
        .or_else(|| {
            let digest = sha2::Sha256::digest(reference.as_bytes());
            let hex: String = digest[..20].iter().map(|b| format!("{b:02x}")).collect();
            GatewayTxnNo::parse(&format!("R{hex}")).ok()
        })
        .unwrap_or(link)
}

/// payOS's `yyyy-MM-dd HH:mm:ss`, in Vietnam's time (the webhook), or an RFC 3339 time (a
/// link's transactions).
fn vietnam_time(raw: &str) -> Option<DateTime<Utc>> {
    if let Some(at) = crate::vietnam::parse_spaced(raw) {
        return Some(at);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    crate::vietnam::from_local(NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S").ok()?)
}

#[cfg(test)]
mod tests;
