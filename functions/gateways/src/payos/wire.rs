//! payOS on the wire: paths, header names, and the bodies of the payment-link API and the
//! webhook with payOS's own field names (payos.vn/docs, "Tạo link thanh toán", "Lấy thông tin
//! link thanh toán", "Hủy link thanh toán", "Webhook"; the Node SDK `@payos/node` 2.0.5).
//!
//! Invariants: JSON structs carry payOS's verbatim camelCase names (`rename_all`), a duplicated
//! field is rejected (serde's derive), and an absent optional field reads as `None`. These structs
//! read the fields hocphi uses; the signature is checked over the whole `data` object as received
//! (see `signed.rs`), so a field these structs do not name is still covered by it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// payOS's merchant API host.
pub const API_BASE: &str = "https://api-merchant.payos.vn";
/// Create (`POST`), and with `/{id}` read (`GET`), a payment link; `/{id}/cancel` cancels it.
pub const PAYMENT_REQUESTS_PATH: &str = "/v2/payment-requests";
/// Registers a channel's webhook URL (`POST`); payOS first calls the URL with a test webhook.
pub const CONFIRM_WEBHOOK_PATH: &str = "/confirm-webhook";
/// The header carrying the channel's client id.
pub const CLIENT_ID_HEADER: &str = "x-client-id";
/// The header carrying the channel's API key.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The `code` of a successful answer, and of a paid transfer in a webhook's `data`.
pub const SUCCESS_CODE: &str = "00";

/// The body of `POST /v2/payment-requests`. Only `amount`, `cancelUrl`, `description`,
/// `orderCode` and `returnUrl` are signed, in that order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    pub order_code: u64,
    pub amount: u64,
    pub description: String,
    pub cancel_url: String,
    pub return_url: String,
    /// Unix seconds after which payOS stops taking transfers for the link; not signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<i64>,
    pub signature: String,
}

/// The body of `POST /v2/payment-requests/{id}/cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
}

/// The body of `POST /confirm-webhook`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmWebhookRequest {
    pub webhook_url: String,
}

/// `data` of a successful answer to `POST /confirm-webhook`: the URL kept and the channel's
/// account (not signed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfirmWebhookData {
    pub webhook_url: Option<String>,
    pub account_name: Option<String>,
    pub account_number: Option<String>,
    pub name: Option<String>,
    pub short_name: Option<String>,
}

/// Every answer of the payment-link API and the webhook: `code` `"00"` is success; `data` is
/// signed. Texts are borrowed from the body where they have no escapes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<'a, T> {
    #[serde(borrow)]
    pub code: Cow<'a, str>,
    #[serde(default, borrow)]
    pub desc: Option<Cow<'a, str>>,
    /// The webhook's own flag; absent from API answers.
    #[serde(default)]
    pub success: Option<bool>,
    pub data: Option<T>,
    #[serde(borrow)]
    pub signature: Option<Cow<'a, str>>,
}

/// `data` of the answer to a create request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkData {
    pub bin: String,
    pub account_number: String,
    pub account_name: String,
    pub amount: u64,
    pub description: String,
    pub order_code: u64,
    pub currency: String,
    pub payment_link_id: String,
    pub status: String,
    #[serde(default)]
    pub expired_at: Option<i64>,
    pub checkout_url: String,
    pub qr_code: String,
}

/// `data` of a webhook: one transfer received for a payment link, its texts borrowed from the
/// body where they have no escapes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookData<'a> {
    pub order_code: u64,
    pub amount: u64,
    #[serde(borrow)]
    pub description: Cow<'a, str>,
    #[serde(borrow)]
    pub account_number: Cow<'a, str>,
    #[serde(borrow)]
    pub reference: Cow<'a, str>,
    /// `yyyy-MM-dd HH:mm:ss`, Vietnam time.
    #[serde(borrow)]
    pub transaction_date_time: Cow<'a, str>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(borrow)]
    pub payment_link_id: Cow<'a, str>,
    #[serde(borrow)]
    pub code: Cow<'a, str>,
    #[serde(borrow)]
    pub desc: Cow<'a, str>,
    #[serde(borrow)]
    pub counter_account_bank_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub counter_account_bank_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub counter_account_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub counter_account_number: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub virtual_account_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub virtual_account_number: Option<Cow<'a, str>>,
}

/// `data` of the answer to `GET /v2/payment-requests/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLinkInfo {
    pub id: String,
    pub order_code: u64,
    pub amount: u64,
    pub amount_paid: u64,
    pub amount_remaining: u64,
    pub status: String,
    pub created_at: Option<String>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
    pub cancellation_reason: Option<String>,
    pub canceled_at: Option<String>,
}

/// One transfer listed by a payment link's information.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub reference: String,
    pub amount: u64,
    pub account_number: Option<String>,
    pub description: Option<String>,
    pub transaction_date_time: Option<String>,
    pub virtual_account_name: Option<String>,
    pub virtual_account_number: Option<String>,
    pub counter_account_bank_id: Option<String>,
    pub counter_account_bank_name: Option<String>,
    pub counter_account_name: Option<String>,
    pub counter_account_number: Option<String>,
}

/// A payment link's `status`, as payOS lists them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for the transfer.
    Pending,
    /// A transfer is being processed.
    Processing,
    /// The amount was received in full.
    Paid,
    /// Less than the amount was received.
    Underpaid,
    /// Cancelled by the merchant.
    Cancelled,
    /// The link expired.
    Expired,
    /// The payment failed.
    Failed,
    /// A status payOS's list does not have.
    Other(String),
}

impl Status {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "PENDING" => Self::Pending,
            "PROCESSING" => Self::Processing,
            "PAID" => Self::Paid,
            "UNDERPAID" => Self::Underpaid,
            "CANCELLED" => Self::Cancelled,
            "EXPIRED" => Self::Expired,
            "FAILED" => Self::Failed,
            other => Self::Other(other.chars().take(16).collect()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Paid => "PAID",
            Self::Underpaid => "UNDERPAID",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
            Self::Failed => "FAILED",
            Self::Other(raw) => raw,
        }
    }
}
