//! VNPay 2.1.0 on the wire: parameter names, fixed values, result codes and JSON bodies, spelled
//! exactly as VNPay spells them.
//!
//! Invariants: every code enum is declared from one table (`vnpay_codes!`) that lists each
//! documented code once and maps it both ways, and keeps an unknown code as `Other` so it is
//! never mistaken for a known one; JSON
//! structs rename each field to its verbatim `vnp_*` name and reject duplicated fields.

use serde::{Deserialize, Serialize};

/// Declares a VNPay code enum from one table: each documented code once with its wire text,
/// `Other` for anything else, and `KNOWN`, `as_str` and `parse` derived from that table.
macro_rules! vnpay_codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal, otherwise $other:literal) {
            $( $(#[$doc:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$doc])* $variant, )+
            #[doc = $other]
            Other(String),
        }

        impl $name {
            #[doc = concat!("Every documented ", $what, ".")]
            pub const KNOWN: [$name; [$($code),+].len()] = [$(Self::$variant),+];

            #[doc = concat!("The ", $what, " as VNPay writes it.")]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Other(code) => code,
                }
            }

            #[doc = concat!("Reads a ", $what, "; an undocumented one is kept as `Other`.")]
            pub fn parse(raw: &str) -> Self {
                match raw {
                    $($code => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

/// The API version hocphi speaks.
pub const VERSION: &str = "2.1.0";
/// `vnp_Command` of a payment.
pub const COMMAND_PAY: &str = "pay";
/// `vnp_Command` of a status query.
pub const COMMAND_QUERYDR: &str = "querydr";
/// The only currency VNPay takes.
pub const CURRENCY: &str = "VND";
/// The goods category hocphi declares (VNPay's demos use it for generic payments).
pub const ORDER_TYPE: &str = "other";
/// The prefix of every parameter VNPay signs.
pub const PREFIX: &str = "vnp_";
/// `vnp_TransactionType` of a payment, in querydr answers.
pub const TRANSACTION_TYPE_PAYMENT: &str = "01";

/// Parameter names, verbatim.
pub mod field {
    pub const AMOUNT: &str = "vnp_Amount";
    pub const BANK_CODE: &str = "vnp_BankCode";
    pub const BANK_TRAN_NO: &str = "vnp_BankTranNo";
    pub const CARD_TYPE: &str = "vnp_CardType";
    pub const COMMAND: &str = "vnp_Command";
    pub const CREATE_DATE: &str = "vnp_CreateDate";
    pub const CURR_CODE: &str = "vnp_CurrCode";
    pub const EXPIRE_DATE: &str = "vnp_ExpireDate";
    pub const IP_ADDR: &str = "vnp_IpAddr";
    pub const LOCALE: &str = "vnp_Locale";
    pub const ORDER_INFO: &str = "vnp_OrderInfo";
    pub const ORDER_TYPE: &str = "vnp_OrderType";
    pub const PAY_DATE: &str = "vnp_PayDate";
    pub const RESPONSE_CODE: &str = "vnp_ResponseCode";
    pub const RETURN_URL: &str = "vnp_ReturnUrl";
    pub const SECURE_HASH: &str = "vnp_SecureHash";
    pub const SECURE_HASH_TYPE: &str = "vnp_SecureHashType";
    pub const TMN_CODE: &str = "vnp_TmnCode";
    pub const TRANSACTION_NO: &str = "vnp_TransactionNo";
    pub const TRANSACTION_STATUS: &str = "vnp_TransactionStatus";
    pub const TXN_REF: &str = "vnp_TxnRef";
    pub const VERSION: &str = "vnp_Version";
}

vnpay_codes! {
    /// `vnp_ResponseCode` of an IPN or a return URL: how the parent's attempt ended.
    pub enum ResponseCode ("code", otherwise "A code VNPay did not document: never a success.") {
        /// 00
        Success = "00",
        /// 07: debited, but flagged as suspicious; the merchant approves or denies it at VNPay.
        DebitedSuspicious = "07",
        /// 09: card or account not registered for internet banking.
        NotRegisteredForInternetBanking = "09",
        /// 10: card or account verification failed more than 3 times.
        VerificationFailedTooOften = "10",
        /// 11: the time to pay ran out.
        PaymentTimedOut = "11",
        /// 12: card or account locked.
        CardLocked = "12",
        /// 13: wrong one-time password.
        WrongOtp = "13",
        /// 24: the parent cancelled.
        CustomerCancelled = "24",
        /// 51: insufficient balance.
        InsufficientBalance = "51",
        /// 65: daily limit exceeded.
        DailyLimitExceeded = "65",
        /// 75: the bank is under maintenance.
        BankMaintenance = "75",
        /// 79: wrong payment password too many times.
        WrongPasswordTooOften = "79",
        /// 99: any other error.
        OtherError = "99",
    }
}

impl ResponseCode {
    /// What the code means, in Vietnamese, for pages a parent sees.
    pub fn meaning_vi(&self) -> &'static str {
        match self {
            Self::Success => "Giao dịch thành công",
            Self::DebitedSuspicious => "Đã trừ tiền, giao dịch đang được kiểm tra",
            Self::NotRegisteredForInternetBanking => {
                "Thẻ/tài khoản chưa đăng ký dịch vụ Internet Banking"
            }
            Self::VerificationFailedTooOften => {
                "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần"
            }
            Self::PaymentTimedOut => "Đã hết hạn chờ thanh toán",
            Self::CardLocked => "Thẻ/tài khoản bị khóa",
            Self::WrongOtp => "Nhập sai mật khẩu xác thực giao dịch (OTP)",
            Self::CustomerCancelled => "Khách hàng hủy giao dịch",
            Self::InsufficientBalance => "Tài khoản không đủ số dư",
            Self::DailyLimitExceeded => "Tài khoản đã vượt quá hạn mức giao dịch trong ngày",
            Self::BankMaintenance => "Ngân hàng thanh toán đang bảo trì",
            Self::WrongPasswordTooOften => "Nhập sai mật khẩu thanh toán quá số lần quy định",
            Self::OtherError | Self::Other(_) => "Giao dịch không thành công",
        }
    }
}

vnpay_codes! {
    /// `vnp_TransactionStatus`: the state of the transaction at VNPay.
    pub enum TransactionStatus ("status", otherwise "A status VNPay did not document: never a success.") {
        /// 00
        Success = "00",
        /// 01: not completed.
        NotCompleted = "01",
        /// 02: failed.
        Error = "02",
        /// 04: reversed (debited at the bank, not successful at VNPay).
        Reversed = "04",
        /// 05: VNPay is processing a refund.
        RefundProcessing = "05",
        /// 06: refund request sent to the bank.
        RefundSentToBank = "06",
        /// 07: suspected fraud.
        SuspectedFraud = "07",
        /// 09: refund rejected.
        RefundRejected = "09",
    }
}

impl TransactionStatus {}

vnpay_codes! {
    /// `vnp_ResponseCode` of a querydr answer: whether the *query* worked (the payment's own state is
    /// in `vnp_TransactionStatus`).
    pub enum QueryResponseCode ("code", otherwise "An undocumented code.") {
        /// 00
        Success = "00",
        /// 02: the TmnCode is not valid.
        InvalidMerchant = "02",
        /// 03: the request is not well-formed.
        InvalidFormat = "03",
        /// 91: no such transaction.
        NotFound = "91",
        /// 94: the same request was sent within VNPay's time limit.
        DuplicateRequest = "94",
        /// 97: the request's checksum is wrong.
        InvalidChecksum = "97",
        /// 99: any other error.
        OtherError = "99",
    }
}

impl QueryResponseCode {
    /// VNPay's message for the code.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Success => "QueryDR Success",
            Self::InvalidMerchant => "Merchant is not valid",
            Self::InvalidFormat => "Invalid data format",
            Self::NotFound => "Transaction not found",
            Self::DuplicateRequest => "Duplicate request",
            Self::InvalidChecksum => "Invalid checksum",
            Self::OtherError | Self::Other(_) => "Unknown error",
        }
    }
}

/// `RspCode` of hocphi's reply to an IPN. `00` and `02` end VNPay's retries; every other code
/// makes VNPay call again (up to 10 calls, 5 minutes apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpnRspCode {
    /// 00: the result is recorded, success or failure.
    ConfirmSuccess,
    /// 01: no such order.
    OrderNotFound,
    /// 02: the order already had its outcome.
    AlreadyConfirmed,
    /// 04: the amount differs from the order's.
    InvalidAmount,
    /// 97: the checksum is wrong.
    InvalidChecksum,
    /// 99: hocphi failed; VNPay should try again.
    UnknownError,
}

impl IpnRspCode {
    /// Every code hocphi answers with.
    pub const ALL: [IpnRspCode; 6] = [
        Self::ConfirmSuccess,
        Self::OrderNotFound,
        Self::AlreadyConfirmed,
        Self::InvalidAmount,
        Self::InvalidChecksum,
        Self::UnknownError,
    ];

    /// The code as VNPay reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmSuccess => "00",
            Self::OrderNotFound => "01",
            Self::AlreadyConfirmed => "02",
            Self::InvalidAmount => "04",
            Self::InvalidChecksum => "97",
            Self::UnknownError => "99",
        }
    }

    /// The message VNPay's integration guide pairs with the code.
    pub fn message(self) -> &'static str {
        match self {
            Self::ConfirmSuccess => "Confirm Success",
            Self::OrderNotFound => "Order not found",
            Self::AlreadyConfirmed => "Order already confirmed",
            Self::InvalidAmount => "Invalid amount",
            Self::InvalidChecksum => "Invalid signature",
            Self::UnknownError => "Unknown error",
        }
    }

    /// Whether VNPay stops calling after this answer.
    pub fn ends_retries(self) -> bool {
        match self {
            Self::ConfirmSuccess | Self::AlreadyConfirmed => true,
            Self::OrderNotFound
            | Self::InvalidAmount
            | Self::InvalidChecksum
            | Self::UnknownError => false,
        }
    }
}

/// The JSON body of an IPN reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpnReply {
    #[serde(rename = "RspCode")]
    pub rsp_code: String,
    #[serde(rename = "Message")]
    pub message: String,
}

impl From<IpnRspCode> for IpnReply {
    fn from(code: IpnRspCode) -> Self {
        Self {
            rsp_code: code.as_str().to_owned(),
            message: code.message().to_owned(),
        }
    }
}

/// A querydr request, POSTed as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryDrRequest {
    #[serde(rename = "vnp_RequestId")]
    pub request_id: String,
    #[serde(rename = "vnp_Version")]
    pub version: String,
    #[serde(rename = "vnp_Command")]
    pub command: String,
    #[serde(rename = "vnp_TmnCode")]
    pub tmn_code: String,
    #[serde(rename = "vnp_TxnRef")]
    pub txn_ref: String,
    #[serde(rename = "vnp_OrderInfo")]
    pub order_info: String,
    #[serde(
        rename = "vnp_TransactionNo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub transaction_no: Option<String>,
    #[serde(rename = "vnp_TransactionDate")]
    pub transaction_date: String,
    #[serde(rename = "vnp_CreateDate")]
    pub create_date: String,
    #[serde(rename = "vnp_IpAddr")]
    pub ip_addr: String,
    #[serde(rename = "vnp_SecureHash")]
    pub secure_hash: String,
}

impl QueryDrRequest {
    /// The values VNPay signs, in its order: `RequestId|Version|Command|TmnCode|TxnRef|
    /// TransactionDate|CreateDate|IpAddr|OrderInfo`.
    pub fn signed_values(&self) -> [&str; 9] {
        [
            &self.request_id,
            &self.version,
            &self.command,
            &self.tmn_code,
            &self.txn_ref,
            &self.transaction_date,
            &self.create_date,
            &self.ip_addr,
            &self.order_info,
        ]
    }
}

/// A JSON value VNPay may send as a string or as a bare integer; it is signed as its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Str(String),
    Int(u64),
}

impl Text {
    /// The text VNPay signed.
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Str(s) => std::borrow::Cow::Borrowed(s),
            Self::Int(n) => std::borrow::Cow::Owned(n.to_string()),
        }
    }
}

/// A querydr answer. Fields VNPay leaves out are signed as empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryDrResponse {
    #[serde(rename = "vnp_ResponseId", default)]
    pub response_id: Option<Text>,
    #[serde(rename = "vnp_Command", default)]
    pub command: Option<Text>,
    #[serde(rename = "vnp_ResponseCode", default)]
    pub response_code: Option<Text>,
    #[serde(rename = "vnp_Message", default)]
    pub message: Option<Text>,
    #[serde(rename = "vnp_TmnCode", default)]
    pub tmn_code: Option<Text>,
    #[serde(rename = "vnp_TxnRef", default)]
    pub txn_ref: Option<Text>,
    #[serde(rename = "vnp_Amount", default)]
    pub amount: Option<Text>,
    #[serde(rename = "vnp_OrderInfo", default)]
    pub order_info: Option<Text>,
    #[serde(rename = "vnp_BankCode", default)]
    pub bank_code: Option<Text>,
    #[serde(rename = "vnp_PayDate", default)]
    pub pay_date: Option<Text>,
    #[serde(rename = "vnp_TransactionNo", default)]
    pub transaction_no: Option<Text>,
    #[serde(rename = "vnp_TransactionType", default)]
    pub transaction_type: Option<Text>,
    #[serde(rename = "vnp_TransactionStatus", default)]
    pub transaction_status: Option<Text>,
    #[serde(rename = "vnp_PromotionCode", default)]
    pub promotion_code: Option<Text>,
    #[serde(rename = "vnp_PromotionAmount", default)]
    pub promotion_amount: Option<Text>,
    #[serde(rename = "vnp_SecureHash", default)]
    pub secure_hash: Option<String>,
}

impl QueryDrResponse {
    /// The values VNPay signs, in its order: `ResponseId|Command|ResponseCode|Message|TmnCode|
    /// TxnRef|Amount|BankCode|PayDate|TransactionNo|TransactionType|TransactionStatus|OrderInfo|
    /// PromotionCode|PromotionAmount`.
    pub fn signed_values(&self) -> [&Option<Text>; 15] {
        [
            &self.response_id,
            &self.command,
            &self.response_code,
            &self.message,
            &self.tmn_code,
            &self.txn_ref,
            &self.amount,
            &self.bank_code,
            &self.pay_date,
            &self.transaction_no,
            &self.transaction_type,
            &self.transaction_status,
            &self.order_info,
            &self.promotion_code,
            &self.promotion_amount,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_response_code_reads_back_as_itself() {
        let codes = [
            "00", "07", "09", "10", "11", "12", "13", "24", "51", "65", "75", "79", "99",
        ];
        assert_eq!(codes.len(), ResponseCode::KNOWN.len());
        for raw in codes {
            let code = ResponseCode::parse(raw);
            assert!(
                !matches!(code, ResponseCode::Other(_)),
                "{raw} is documented"
            );
            assert_eq!(code.as_str(), raw);
            assert!(!code.meaning_vi().is_empty());
        }
        assert_eq!(ResponseCode::parse("42"), ResponseCode::Other("42".into()));
        assert_eq!(ResponseCode::parse("42").as_str(), "42");
    }

    #[test]
    fn every_documented_transaction_status_reads_back_as_itself() {
        let statuses = ["00", "01", "02", "04", "05", "06", "07", "09"];
        assert_eq!(statuses.len(), TransactionStatus::KNOWN.len());
        for raw in statuses {
            let status = TransactionStatus::parse(raw);
            assert!(!matches!(status, TransactionStatus::Other(_)), "{raw}");
            assert_eq!(status.as_str(), raw);
        }
        assert_eq!(
            TransactionStatus::parse("03"),
            TransactionStatus::Other("03".into())
        );
    }

    #[test]
    fn every_documented_querydr_code_reads_back_as_itself() {
        let codes = ["00", "02", "03", "91", "94", "97", "99"];
        assert_eq!(codes.len(), QueryResponseCode::KNOWN.len());
        for raw in codes {
            let code = QueryResponseCode::parse(raw);
            assert!(!matches!(code, QueryResponseCode::Other(_)), "{raw}");
            assert_eq!(code.as_str(), raw);
        }
    }

    #[test]
    fn only_00_and_02_end_vnpays_retries() {
        let table = [
            (IpnRspCode::ConfirmSuccess, "00", true),
            (IpnRspCode::OrderNotFound, "01", false),
            (IpnRspCode::AlreadyConfirmed, "02", true),
            (IpnRspCode::InvalidAmount, "04", false),
            (IpnRspCode::InvalidChecksum, "97", false),
            (IpnRspCode::UnknownError, "99", false),
        ];
        assert_eq!(table.len(), IpnRspCode::ALL.len());
        for (code, raw, ends) in table {
            assert_eq!(code.as_str(), raw);
            assert_eq!(code.ends_retries(), ends, "{raw}");
        }
    }

    #[test]
    fn querydr_bodies_accept_numbers_as_strings_or_integers_and_refuse_duplicates() {
        let both: QueryDrResponse =
            serde_json::from_str(r#"{"vnp_Amount":"1000000","vnp_TransactionNo":14226112}"#)
                .unwrap();
        assert_eq!(both.amount.unwrap().to_text(), "1000000");
        assert_eq!(both.transaction_no.unwrap().to_text(), "14226112");
        let dup = serde_json::from_str::<QueryDrResponse>(
            r#"{"vnp_Amount":"1000000","vnp_Amount":"2000000"}"#,
        );
        assert!(dup.is_err());
    }
}
