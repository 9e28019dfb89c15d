//! MoMo AIO v2 on the wire: request and notification bodies with MoMo's own field names, and the
//! `resultCode` table.
//!
//! Invariants: JSON structs carry MoMo's verbatim camelCase names (`rename_all`), an absent
//! optional field reads as `None`, and a duplicated field is rejected; the result-code enum lists each code of MoMo's table once, decides
//! "final?" once, and keeps an unknown code as `Other`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The create-payment path under MoMo's host.
pub const CREATE_PATH: &str = "/v2/gateway/api/create";
/// The status-query path under MoMo's host.
pub const QUERY_PATH: &str = "/v2/gateway/api/query";

/// A JSON value MoMo sends as a number (`amount`, `transId`, `resultCode`, `responseTime`) but
/// that may arrive as a string (for example from the redirect's query). It is signed as its
/// decimal text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Number {
    Int(u64),
    Str(String),
}

impl Number {
    /// The text MoMo signed.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Self::Int(n) => Cow::Owned(n.to_string()),
            Self::Str(s) => Cow::Borrowed(s),
        }
    }
}

/// The body of `POST /v2/gateway/api/create`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    pub partner_code: String,
    pub request_id: String,
    pub amount: u64,
    pub order_id: String,
    pub order_info: String,
    pub redirect_url: String,
    pub ipn_url: String,
    pub request_type: String,
    pub extra_data: String,
    /// Minutes the order stays payable at MoMo; not signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_expire_time: Option<u64>,
    pub lang: String,
    pub signature: String,
}

/// MoMo's answer to a create request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateResponse {
    pub partner_code: Option<String>,
    pub order_id: Option<String>,
    pub amount: Option<Number>,
    pub result_code: Number,
    pub message: Option<String>,
    pub pay_url: Option<String>,
}

/// The body of MoMo's IPN (and the parameters of its redirect). Missing fields count as empty,
/// as in MoMo's own samples; the signature decides whether that is acceptable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ipn {
    pub partner_code: Option<String>,
    pub order_id: Option<String>,
    pub request_id: Option<String>,
    pub amount: Option<Number>,
    pub order_info: Option<String>,
    pub order_type: Option<String>,
    pub trans_id: Option<Number>,
    pub result_code: Option<Number>,
    pub message: Option<String>,
    pub pay_type: Option<String>,
    pub response_time: Option<Number>,
    pub extra_data: Option<String>,
    pub signature: Option<String>,
}

/// The body of `POST /v2/gateway/api/query`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    pub partner_code: String,
    pub request_id: String,
    pub order_id: String,
    pub lang: String,
    pub signature: String,
}

/// MoMo's answer to a status query.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResponse {
    pub partner_code: Option<String>,
    pub order_id: Option<String>,
    pub amount: Option<Number>,
    pub trans_id: Option<Number>,
    pub result_code: Number,
    pub response_time: Option<Number>,
}

/// `resultCode`, as in MoMo's result-code table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// 0
    Successful,
    /// 10: MoMo is under maintenance.
    Maintenance,
    /// 11: access denied (merchant settings).
    AccessDenied,
    /// 12: unsupported API version.
    UnsupportedVersion,
    /// 13: merchant authentication failed (credentials or signature).
    MerchantAuthenticationFailed,
    /// 20: bad request format.
    BadFormat,
    /// 21: invalid amount.
    InvalidAmount,
    /// 22: amount out of range for the method.
    AmountOutOfRange,
    /// 40: duplicated requestId.
    DuplicateRequestId,
    /// 41: duplicated orderId.
    DuplicateOrderId,
    /// 42: invalid or unknown orderId.
    OrderNotFound,
    /// 43: an analogous transaction is being processed.
    ConflictingTransaction,
    /// 45: duplicated itemId.
    DuplicateItemId,
    /// 47: inapplicable information in the given data.
    InapplicableData,
    /// 98: the QR code could not be generated.
    QrNotGenerated,
    /// 99: unknown error.
    UnknownError,
    /// 1000: initiated, waiting for the user to confirm.
    AwaitingUser,
    /// 1001: insufficient funds.
    InsufficientFunds,
    /// 1002: rejected by the issuer.
    RejectedByIssuer,
    /// 1003: cancelled after authorisation.
    CancelledAfterAuthorization,
    /// 1004: daily or monthly limit exceeded.
    LimitExceeded,
    /// 1005: the URL or QR code expired.
    Expired,
    /// 1006: the user declined.
    UserDeclined,
    /// 1007: inactive or nonexistent account.
    AccountInactive,
    /// 1017: cancelled by the merchant.
    CancelledByMerchant,
    /// 1026: restricted by promotion rules.
    PromotionRestricted,
    /// 1080: refund failed during processing.
    RefundFailed,
    /// 1081: refund rejected.
    RefundRejected,
    /// 1088: the payment is not refundable.
    NotRefundable,
    /// 2019: invalid orderGroupId.
    InvalidOrderGroup,
    /// 4001: the user's account is restricted.
    AccountRestricted,
    /// 4002: the user's account is not verified.
    AccountNotVerified,
    /// 4100: the user failed to log in.
    LoginFailed,
    /// 7000: being processed.
    Processing,
    /// 7002: being processed by the instrument's provider.
    ProcessingByProvider,
    /// 8000: waiting for the user to confirm again.
    AwaitingReconfirmation,
    /// 9000: authorised, not yet captured.
    Authorized,
    /// A code MoMo's table does not list.
    Other(String),
}

/// What a `resultCode` means for a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResultClass {
    /// The money was captured.
    Paid,
    /// The payment ended without capture.
    Failed,
    /// Waiting for the parent to confirm: nothing is paid yet.
    Pending,
    /// MoMo is processing a transaction, or answers a code outside its table: money may be in
    /// flight.
    InProgress,
    /// The *request* was refused; MoMo marks these codes "not final".
    RequestRefused,
}

impl ResultCode {
    /// Every code of MoMo's table.
    pub const KNOWN: [ResultCode; 37] = [
        Self::Successful,
        Self::Maintenance,
        Self::AccessDenied,
        Self::UnsupportedVersion,
        Self::MerchantAuthenticationFailed,
        Self::BadFormat,
        Self::InvalidAmount,
        Self::AmountOutOfRange,
        Self::DuplicateRequestId,
        Self::DuplicateOrderId,
        Self::OrderNotFound,
        Self::ConflictingTransaction,
        Self::DuplicateItemId,
        Self::InapplicableData,
        Self::QrNotGenerated,
        Self::UnknownError,
        Self::AwaitingUser,
        Self::InsufficientFunds,
        Self::RejectedByIssuer,
        Self::CancelledAfterAuthorization,
        Self::LimitExceeded,
        Self::Expired,
        Self::UserDeclined,
        Self::AccountInactive,
        Self::CancelledByMerchant,
        Self::PromotionRestricted,
        Self::RefundFailed,
        Self::RefundRejected,
        Self::NotRefundable,
        Self::InvalidOrderGroup,
        Self::AccountRestricted,
        Self::AccountNotVerified,
        Self::LoginFailed,
        Self::Processing,
        Self::ProcessingByProvider,
        Self::AwaitingReconfirmation,
        Self::Authorized,
    ];

    /// The code as MoMo writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Successful => "0",
            Self::Maintenance => "10",
            Self::AccessDenied => "11",
            Self::UnsupportedVersion => "12",
            Self::MerchantAuthenticationFailed => "13",
            Self::BadFormat => "20",
            Self::InvalidAmount => "21",
            Self::AmountOutOfRange => "22",
            Self::DuplicateRequestId => "40",
            Self::DuplicateOrderId => "41",
            Self::OrderNotFound => "42",
            Self::ConflictingTransaction => "43",
            Self::DuplicateItemId => "45",
            Self::InapplicableData => "47",
            Self::QrNotGenerated => "98",
            Self::UnknownError => "99",
            Self::AwaitingUser => "1000",
            Self::InsufficientFunds => "1001",
            Self::RejectedByIssuer => "1002",
            Self::CancelledAfterAuthorization => "1003",
            Self::LimitExceeded => "1004",
            Self::Expired => "1005",
            Self::UserDeclined => "1006",
            Self::AccountInactive => "1007",
            Self::CancelledByMerchant => "1017",
            Self::PromotionRestricted => "1026",
            Self::RefundFailed => "1080",
            Self::RefundRejected => "1081",
            Self::NotRefundable => "1088",
            Self::InvalidOrderGroup => "2019",
            Self::AccountRestricted => "4001",
            Self::AccountNotVerified => "4002",
            Self::LoginFailed => "4100",
            Self::Processing => "7000",
            Self::ProcessingByProvider => "7002",
            Self::AwaitingReconfirmation => "8000",
            Self::Authorized => "9000",
            Self::Other(code) => code,
        }
    }

    /// Reads a code; one outside the table is kept as [`ResultCode::Other`].
    pub fn parse(raw: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|code| code.as_str() == raw)
            .unwrap_or_else(|| Self::Other(raw.to_owned()))
    }

    /// What the code means for the payment: the one place that decides "final?".
    ///
    /// MoMo's result-code table (developers.momo.vn, "List Result Codes") marks `1000` as
    /// initiated and waiting for the user, and `7000`, `7002` (processing, at MoMo or at the
    /// instrument's provider), `8000` (waiting for the user to confirm again) and `9000`
    /// (authorised; with automatic capture "may be considered successful") as not final: these
    /// are in progress, money may be in flight, and only the final `0` is money received. An
    /// unknown code is in progress too: it changes nothing, and the sweeper keeps asking.
    pub fn class(&self) -> ResultClass {
        match self {
            Self::Successful => ResultClass::Paid,
            Self::QrNotGenerated
            | Self::UnknownError
            | Self::InsufficientFunds
            | Self::RejectedByIssuer
            | Self::CancelledAfterAuthorization
            | Self::LimitExceeded
            | Self::Expired
            | Self::UserDeclined
            | Self::AccountInactive
            | Self::CancelledByMerchant
            | Self::PromotionRestricted
            | Self::RefundFailed
            | Self::RefundRejected
            | Self::NotRefundable
            | Self::InvalidOrderGroup
            | Self::AccountRestricted
            | Self::AccountNotVerified
            | Self::LoginFailed => ResultClass::Failed,
            Self::AwaitingUser => ResultClass::Pending,
            Self::Processing
            | Self::ProcessingByProvider
            | Self::AwaitingReconfirmation
            | Self::Authorized
            | Self::Other(_) => ResultClass::InProgress,
            Self::Maintenance
            | Self::AccessDenied
            | Self::UnsupportedVersion
            | Self::MerchantAuthenticationFailed
            | Self::BadFormat
            | Self::InvalidAmount
            | Self::AmountOutOfRange
            | Self::DuplicateRequestId
            | Self::DuplicateOrderId
            | Self::OrderNotFound
            | Self::ConflictingTransaction
            | Self::DuplicateItemId
            | Self::InapplicableData => ResultClass::RequestRefused,
        }
    }

    /// Whether the code is a terminal result (MoMo's "final status").
    pub fn is_final(&self) -> bool {
        match self.class() {
            ResultClass::Paid | ResultClass::Failed => true,
            ResultClass::Pending | ResultClass::InProgress | ResultClass::RequestRefused => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_momos_table_has_its_documented_finality() {
        let table: [(&str, bool); 37] = [
            ("0", true),
            ("10", false),
            ("11", false),
            ("12", false),
            ("13", false),
            ("20", false),
            ("21", false),
            ("22", false),
            ("40", false),
            ("41", false),
            ("42", false),
            ("43", false),
            ("45", false),
            ("47", false),
            ("98", true),
            ("99", true),
            ("1000", false),
            ("1001", true),
            ("1002", true),
            ("1003", true),
            ("1004", true),
            ("1005", true),
            ("1006", true),
            ("1007", true),
            ("1017", true),
            ("1026", true),
            ("1080", true),
            ("1081", true),
            ("1088", true),
            ("2019", true),
            ("4001", true),
            ("4002", true),
            ("4100", true),
            ("7000", false),
            ("7002", false),
            ("8000", false),
            ("9000", false),
        ];
        assert_eq!(table.len(), ResultCode::KNOWN.len());
        for (raw, is_final) in table {
            let code = ResultCode::parse(raw);
            assert!(
                !matches!(code, ResultCode::Other(_)),
                "{raw} is in the table"
            );
            assert_eq!(code.as_str(), raw);
            assert_eq!(code.is_final(), is_final, "{raw}");
        }
    }

    #[test]
    fn only_zero_is_paid_and_unknown_codes_change_nothing() {
        for code in ResultCode::KNOWN {
            assert_eq!(
                code.class() == ResultClass::Paid,
                code == ResultCode::Successful,
                "{code:?}"
            );
        }
        let unknown = ResultCode::parse("8888");
        assert_eq!(unknown, ResultCode::Other("8888".into()));
        assert_eq!(unknown.class(), ResultClass::InProgress);
        assert!(!unknown.is_final());
    }

    #[test]
    fn a_duplicated_field_makes_the_notification_unreadable() {
        let dup = serde_json::from_str::<Ipn>(r#"{"amount":1000,"amount":2000}"#);
        assert!(dup.is_err());
        let numbers: Ipn =
            serde_json::from_str(r#"{"amount":"1000","transId":4088878653}"#).unwrap();
        assert_eq!(numbers.amount.unwrap().to_text(), "1000");
        assert_eq!(numbers.trans_id.unwrap().to_text(), "4088878653");
    }
}
