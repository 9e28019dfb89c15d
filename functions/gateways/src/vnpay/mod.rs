//! VNPay 2.1.0: the signed payment URL, verification of the IPN and of the return URL, the IPN
//! reply, and the querydr exchange.
//!
//! Invariants:
//! - the payment URL, the IPN and the return URL are signed query strings, built and read only by
//!   `query.rs`; querydr's checksums are over its values joined with `|`;
//! - dates are VNPay's `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh whatever the host's time zone, and
//!   `vnp_Amount` is VND × 100: both conversions live only here;
//! - a payment is paid only when `vnp_ResponseCode` and `vnp_TransactionStatus` are both `00`;
//!   `vnp_ResponseCode` `07` (debited, held as suspicious until the merchant approves or denies
//!   it in VNPay's portal) or `vnp_TransactionStatus` `07` is not final: the payment stays
//!   pending for querydr to settle.

mod query;
pub mod settlement;
#[cfg(any(test, feature = "simulators"))]
pub mod simulator;
pub mod wire;

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use hocphi_domain::{
    GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money, Payment, PaymentRef, Settled,
};

use crate::signing::{DigestError, Sha512Key};
use crate::text::plain_text;
use crate::{
    ApiRequest, CallbackOutcome, CheckoutContext, CheckoutError, ConfigError, Locale, Notification,
    Outcome, QueryAnswer, QueryContext, QueryError, QueryStatus, Reply, ReturnNotice, Secret,
    Verified, VerifyError,
};
use query::{SignedQuery, signed_query};
use wire::{
    IpnRspCode, QueryDrRequest, QueryDrResponse, QueryResponseCode, ResponseCode, Text,
    TransactionStatus, field,
};

/// What it takes to talk to VNPay as one merchant terminal.
#[derive(Debug)]
pub struct VnpayConfig {
    /// `vnp_TmnCode`: 8 letters or digits, issued by VNPay per terminal.
    pub tmn_code: String,
    /// `vnp_HashSecret`, issued with the terminal.
    pub hash_secret: Secret,
    /// The payment page, e.g. [`Vnpay::SANDBOX_PAY_URL`] (or the simulator's).
    pub pay_url: String,
    /// The querydr/refund API, e.g. [`Vnpay::SANDBOX_API_URL`].
    pub api_url: String,
}

/// A configured VNPay terminal.
#[derive(Debug)]
pub struct Vnpay {
    tmn_code: String,
    key: Sha512Key,
    pay_url: String,
    api_url: String,
}

impl Vnpay {
    /// VNPay's sandbox payment page.
    pub const SANDBOX_PAY_URL: &str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html";
    /// VNPay's sandbox querydr/refund API.
    pub const SANDBOX_API_URL: &str =
        "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction";
    /// The longest `vnp_OrderInfo` VNPay accepts.
    pub const ORDER_INFO_MAX: usize = 255;

    /// Checks the configuration and keys the HMAC once.
    pub fn new(config: VnpayConfig) -> Result<Self, ConfigError> {
        if !valid_tmn_code(&config.tmn_code) {
            return Err(ConfigError::Invalid {
                field: "vnp_TmnCode",
                reason: "must be 8 ASCII letters or digits",
            });
        }
        for (field, url) in [("pay_url", &config.pay_url), ("api_url", &config.api_url)] {
            if !crate::acceptable_url(url) || url.contains('?') {
                return Err(ConfigError::Invalid {
                    field,
                    reason: "must be an https URL (http only for loopback) without a query",
                });
            }
        }
        Ok(Self {
            key: Sha512Key::new(&config.hash_secret)?,
            tmn_code: config.tmn_code,
            pay_url: config.pay_url,
            api_url: config.api_url,
        })
    }

    /// The terminal this adapter signs for.
    pub fn tmn_code(&self) -> &str {
        &self.tmn_code
    }

    /// The signed URL that sends the parent to VNPay. `vnp_CreateDate` and `vnp_ExpireDate` are
    /// the payment's own creation and expiry, so a payment checked out again yields the same URL
    /// and a later querydr can name the transaction date.
    pub fn payment_url(
        &self,
        payment: &Payment,
        ctx: &CheckoutContext,
    ) -> Result<String, CheckoutError> {
        CheckoutError::unless_for(payment, GatewayKind::Vnpay)?;
        if ctx.now >= payment.expires_at {
            return Err(CheckoutError::Expired);
        }
        if ctx.return_url.len() < 10 || !crate::acceptable_url(&ctx.return_url) {
            return Err(CheckoutError::InvalidReturnUrl);
        }
        let bank_code = ctx.bank_code.as_deref().unwrap_or("");
        if !bank_code.is_empty() && !valid_bank_code(bank_code) {
            return Err(CheckoutError::InvalidBankCode);
        }
        let amount = amount_x100(payment.amount).to_string();
        let create_date = vn_time(payment.created_at);
        let expire_date = vn_time(payment.expires_at);
        let ip = ip_text(ctx.client_ip);
        let order_info = match plain_text(&ctx.order_info, Self::ORDER_INFO_MAX) {
            plain if plain.is_empty() => format!("Thanh toan hoc phi {}", payment.reference),
            plain => plain,
        };
        let params = [
            (field::AMOUNT, amount.as_str()),
            (field::BANK_CODE, bank_code),
            (field::COMMAND, wire::COMMAND_PAY),
            (field::CREATE_DATE, &create_date),
            (field::CURR_CODE, wire::CURRENCY),
            (field::EXPIRE_DATE, &expire_date),
            (field::IP_ADDR, &ip),
            (field::LOCALE, locale_code(ctx.locale)),
            (field::ORDER_INFO, &order_info),
            (field::ORDER_TYPE, wire::ORDER_TYPE),
            (field::RETURN_URL, &ctx.return_url),
            (field::TMN_CODE, &self.tmn_code),
            (field::TXN_REF, payment.reference.as_str()),
            (field::VERSION, wire::VERSION),
        ];
        Ok(format!(
            "{}?{}",
            self.pay_url,
            signed_query(&self.key, &params)
        ))
    }

    /// Verifies an IPN's query string (VNPay calls the IPN with GET) and reads its result.
    pub fn verify_ipn(&self, query: &str) -> Result<Verified<Notification>, VerifyError> {
        self.verified(query).map(Verified::new)
    }

    /// Verifies the browser's return to hocphi. The result is for display: only the IPN changes
    /// a payment.
    pub fn verify_return(&self, query: &str) -> Result<Verified<ReturnNotice>, VerifyError> {
        self.verified(query)
            .map(|notification| Verified::new(ReturnNotice { notification }))
    }

    fn verified(&self, query: &str) -> Result<Notification, VerifyError> {
        if let Some(read) = query::verify_in_order(query, &self.key) {
            let read = read?;
            return self.notification(|name| read.get(name));
        }
        let signed = SignedQuery::parse(query)?;
        signed.verify(&self.key)?;
        self.notification(|name| signed.get(name))
    }

    fn notification<'f>(
        &self,
        get: impl Fn(&'static str) -> Option<&'f str>,
    ) -> Result<Notification, VerifyError> {
        let require = |name| get(name).ok_or(VerifyError::MissingField(name));
        if require(field::TMN_CODE)? != self.tmn_code {
            return Err(VerifyError::WrongMerchant);
        }
        let reference = PaymentRef::parse(require(field::TXN_REF)?)
            .map_err(|_| VerifyError::UnknownReference)?;
        let amount =
            parse_amount_x100(require(field::AMOUNT)?).ok_or(VerifyError::InvalidAmount)?;
        let response = ResponseCode::parse(require(field::RESPONSE_CODE)?);
        let status = TransactionStatus::parse(require(field::TRANSACTION_STATUS)?);
        let txn = transaction_no(get(field::TRANSACTION_NO))
            .map_err(|()| VerifyError::InvalidField(field::TRANSACTION_NO))?;
        let paid_at = get(field::PAY_DATE)
            .map(|raw| parse_vn_time(raw).ok_or(VerifyError::InvalidField(field::PAY_DATE)))
            .transpose()?;
        let (name, raw_code) = decline_code(&response, &status);
        let code = || GatewayCode::parse(raw_code).map_err(|_| VerifyError::InvalidField(name));
        let outcome = if is_paid(&response, &status) {
            Outcome::Final(GatewayEvent::Paid {
                txn: txn.ok_or(VerifyError::MissingField(field::TRANSACTION_NO))?,
                amount,
            })
        } else if response == ResponseCode::DebitedSuspicious
            || status == TransactionStatus::SuspectedFraud
        {
            Outcome::NotFinal { code: code()? }
        } else {
            Outcome::Final(GatewayEvent::Declined { txn, code: code()? })
        };
        Ok(Notification {
            gateway: GatewayKind::Vnpay,
            reference,
            amount,
            outcome,
            paid_at,
        })
    }

    /// The `RspCode` for each outcome. A recorded failure is still `00` (as is a result with
    /// nothing to apply): VNPay only needs to know hocphi has the result, and any other code
    /// would make it call 9 more times.
    pub fn ipn_code(outcome: CallbackOutcome) -> IpnRspCode {
        match outcome {
            CallbackOutcome::Recorded | CallbackOutcome::NotFinal => IpnRspCode::ConfirmSuccess,
            CallbackOutcome::AlreadyFinal => IpnRspCode::AlreadyConfirmed,
            CallbackOutcome::UnknownPayment => IpnRspCode::OrderNotFound,
            CallbackOutcome::AmountMismatch => IpnRspCode::InvalidAmount,
            CallbackOutcome::Rejected => IpnRspCode::InvalidChecksum,
            CallbackOutcome::Unavailable => IpnRspCode::UnknownError,
        }
    }

    /// The IPN reply: always HTTP 200 with `{"RspCode":"..","Message":".."}`; the code tells
    /// VNPay whether to call again.
    pub fn reply(outcome: CallbackOutcome) -> Reply {
        let code = Self::ipn_code(outcome);
        Reply {
            status: 200,
            content_type: Some("application/json; charset=utf-8"),
            body: format!(
                r#"{{"RspCode":"{}","Message":"{}"}}"#,
                code.as_str(),
                code.message()
            ),
        }
    }

    /// The IPN reply for what the store answered to [`hocphi_domain::Store::settle`], or for its
    /// failure (`99`, so that VNPay calls again).
    pub fn settlement_reply<E>(result: &Result<Settled, E>) -> Reply {
        Self::reply(CallbackOutcome::from_settled(result))
    }

    /// The querydr request for a payment, signed over the pipe-joined values VNPay names.
    pub fn query_request(
        &self,
        payment: &Payment,
        ctx: &QueryContext,
    ) -> Result<ApiRequest, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Vnpay)?;
        let mut request = QueryDrRequest {
            request_id: crate::hex_lower(&ctx.request_entropy),
            version: wire::VERSION.to_owned(),
            command: wire::COMMAND_QUERYDR.to_owned(),
            tmn_code: self.tmn_code.clone(),
            txn_ref: payment.reference.as_str().to_owned(),
            order_info: format!("Truy van giao dich {}", payment.reference),
            transaction_no: None,
            transaction_date: vn_time(payment.created_at),
            create_date: vn_time(ctx.now),
            ip_addr: ip_text(ctx.server_ip),
            secure_hash: String::new(),
        };
        request.secure_hash = self
            .key
            .sign_hex(pipe_join(request.signed_values()).as_bytes());
        let body = serde_json::to_string(&request).map_err(QueryError::Encode)?;
        Ok(ApiRequest::post_json(
            &self.api_url,
            body,
            crate::QUERY_TIMEOUT,
        ))
    }

    /// Parses a querydr answer, checks its own checksum, and says where the payment stands.
    pub fn query_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<QueryAnswer>, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Vnpay)?;
        let response: QueryDrResponse =
            serde_json::from_slice(body).map_err(QueryError::Malformed)?;
        let hash = response
            .secure_hash
            .as_deref()
            .filter(|h| !h.is_empty())
            .ok_or(QueryError::MissingSignature)?;
        let signed = pipe_join(response.signed_values().map(text));
        self.key
            .verify_hex(signed.as_bytes(), hash)
            .map_err(|e| match e {
                DigestError::Malformed => QueryError::MalformedSignature,
                DigestError::Mismatch => QueryError::BadSignature,
            })?;
        if text(&response.tmn_code) != self.tmn_code {
            return Err(QueryError::WrongMerchant);
        }
        let code = QueryResponseCode::parse(&text(&response.response_code));
        let status = match code {
            QueryResponseCode::Success => {
                if text(&response.txn_ref) != payment.reference.as_str() {
                    return Err(QueryError::WrongPayment);
                }
                query_status(&response)?
            }
            QueryResponseCode::NotFound => QueryStatus::NotFound,
            QueryResponseCode::InvalidMerchant
            | QueryResponseCode::InvalidFormat
            | QueryResponseCode::DuplicateRequest
            | QueryResponseCode::InvalidChecksum
            | QueryResponseCode::OtherError
            | QueryResponseCode::Other(_) => {
                return Err(QueryError::Refused {
                    code: code.as_str().to_owned(),
                });
            }
        };
        Ok(Verified::new(QueryAnswer {
            gateway: GatewayKind::Vnpay,
            reference: payment.reference.clone(),
            status,
        }))
    }
}

/// Paid only when VNPay says so twice: `vnp_ResponseCode` 00 and `vnp_TransactionStatus` 00.
pub fn is_paid(response: &ResponseCode, status: &TransactionStatus) -> bool {
    response_succeeded(response) && status_succeeded(status)
}

fn response_succeeded(code: &ResponseCode) -> bool {
    match code {
        ResponseCode::Success => true,
        ResponseCode::DebitedSuspicious
        | ResponseCode::NotRegisteredForInternetBanking
        | ResponseCode::VerificationFailedTooOften
        | ResponseCode::PaymentTimedOut
        | ResponseCode::CardLocked
        | ResponseCode::WrongOtp
        | ResponseCode::CustomerCancelled
        | ResponseCode::InsufficientBalance
        | ResponseCode::DailyLimitExceeded
        | ResponseCode::BankMaintenance
        | ResponseCode::WrongPasswordTooOften
        | ResponseCode::OtherError
        | ResponseCode::Other(_) => false,
    }
}

fn status_succeeded(status: &TransactionStatus) -> bool {
    match status {
        TransactionStatus::Success => true,
        TransactionStatus::NotCompleted
        | TransactionStatus::Error
        | TransactionStatus::Reversed
        | TransactionStatus::RefundProcessing
        | TransactionStatus::RefundSentToBank
        | TransactionStatus::SuspectedFraud
        | TransactionStatus::RefundRejected
        | TransactionStatus::Other(_) => false,
    }
}

/// The code a decline is recorded with: the response code, or the transaction status when the
/// response code alone claims success.
fn decline_code<'c>(
    response: &'c ResponseCode,
    status: &'c TransactionStatus,
) -> (&'static str, &'c str) {
    if response_succeeded(response) {
        (field::TRANSACTION_STATUS, status.as_str())
    } else {
        (field::RESPONSE_CODE, response.as_str())
    }
}

fn query_status(response: &QueryDrResponse) -> Result<QueryStatus, QueryError> {
    let status = TransactionStatus::parse(&text(&response.transaction_status));
    let txn = transaction_no(Some(&text(&response.transaction_no)))
        .map_err(|()| QueryError::InvalidField(field::TRANSACTION_NO))?;
    let code = || {
        GatewayCode::parse(status.as_str())
            .map_err(|_| QueryError::InvalidField(field::TRANSACTION_STATUS))
    };
    Ok(match status {
        TransactionStatus::Success => QueryStatus::Paid {
            txn: txn.ok_or(QueryError::InvalidField(field::TRANSACTION_NO))?,
            amount: parse_amount_x100(&text(&response.amount))
                .ok_or(QueryError::InvalidField(field::AMOUNT))?,
            paid_at: Some(text(&response.pay_date))
                .filter(|raw| !raw.is_empty())
                .map(|raw| parse_vn_time(&raw).ok_or(QueryError::InvalidField(field::PAY_DATE)))
                .transpose()?,
        },
        TransactionStatus::NotCompleted => QueryStatus::Pending,
        TransactionStatus::Error | TransactionStatus::Reversed => {
            QueryStatus::Failed { txn, code: code()? }
        }
        TransactionStatus::RefundProcessing
        | TransactionStatus::RefundSentToBank
        | TransactionStatus::SuspectedFraud
        | TransactionStatus::RefundRejected
        | TransactionStatus::Other(_) => QueryStatus::NeedsReview { code: code()? },
    })
}

fn text(value: &Option<Text>) -> Cow<'_, str> {
    value.as_ref().map_or(Cow::Borrowed(""), Text::to_text)
}

/// `vnp_TransactionNo`, where `0` (a cancelled attempt) means none.
fn transaction_no(raw: Option<&str>) -> Result<Option<GatewayTxnNo>, ()> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.is_empty() || raw.bytes().all(|b| b == b'0') => Ok(None),
        Some(raw) => GatewayTxnNo::parse(raw).map(Some).map_err(|_| ()),
    }
}

fn valid_tmn_code(raw: &str) -> bool {
    raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn valid_bank_code(raw: &str) -> bool {
    (3..=20).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn locale_code(locale: Locale) -> &'static str {
    match locale {
        Locale::Vietnamese => "vn",
        Locale::English => "en",
    }
}

/// An address as VNPay records it; an IPv4 address mapped into IPv6 is written as IPv4.
fn ip_text(ip: IpAddr) -> String {
    ip.to_canonical().to_string()
}

/// `vnp_Amount`: VND × 100. [`Money`] stays below 10^10 VND, so the product fits VNPay's 12 digits.
pub(crate) fn amount_x100(amount: Money) -> u64 {
    amount.vnd().saturating_mul(100)
}

/// Reads `vnp_Amount` back: 1 to 12 digits, a whole number of đồng.
pub(crate) fn parse_amount_x100(raw: &str) -> Option<Money> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let x100 = raw.bytes().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    if !x100.is_multiple_of(100) {
        return None;
    }
    Money::from_vnd(x100 / 100).ok()
}

/// An instant as VNPay writes it: `yyyyMMddHHmmss` in Vietnam's time.
pub(crate) fn vn_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Ho_Chi_Minh)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// Reads a VNPay date (`yyyyMMddHHmmss`, Vietnam's time).
pub(crate) fn parse_vn_time(raw: &str) -> Option<DateTime<Utc>> {
    crate::vietnam::parse_compact(raw.as_bytes())
}

/// The message of querydr/refund checksums: raw values joined with `|`.
pub(crate) fn pipe_join<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> String {
    let mut out = String::with_capacity(256);
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        out.push_str(value.as_ref());
    }
    out
}

#[cfg(test)]
mod tests;
