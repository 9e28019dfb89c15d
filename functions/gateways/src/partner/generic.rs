//! hocphi's own partner API, which a bank's integration team is given (described, request by
//! request, in `openapi.json`, [`OPENAPI`]).
//!
//! A request carries `X-Hocphi-Timestamp` (Unix seconds), `X-Hocphi-Nonce` (1–64 of
//! `[A-Za-z0-9_.-]`) and `X-Hocphi-Signature: v1=<64 lowercase hex>`, the HMAC-SHA256 (RFC 2104)
//! under the partner's key (its UTF-8 bytes) of the canonical string ([`canonical_string`]):
//!
//! ```text
//! v1\n{METHOD}\n{PATH}\n{TIMESTAMP}\n{NONCE}\n{hex(SHA-256(body))}
//! ```
//!
//! where PATH is the request's path without its query (`/api/partners/BANKDEMO/bills`). Header
//! names are matched in any case (HTTP's rule); a header given twice is refused. Every route is a
//! `POST` with `Content-Type: application/json`.
//!
//! Invariants:
//! - the signature is checked in constant time over the exact bytes received, before the
//!   timestamp's value, the nonce's form or the body are read (a request missing one of the three
//!   headers is refused first: there is nothing to check); only then the timestamp must lie
//!   within ±[`REPLAY_WINDOW`] of hocphi's clock (inclusive) and the nonce become a [`NonceKey`];
//! - a request signed for another partner's path, or another operation's, is a bad signature;
//! - bodies are strict: an unknown field, a field given twice, a `null` where a value is needed
//!   or an amount that is not a string of whole đồng (`"1500000"`: no sign, fraction, exponent or
//!   separators) is refused, so a partner never believes hocphi acted on a field it ignored;
//! - every [`Answer`] has one status and JSON body ([`reply`]); a refusal's message is in
//!   Vietnamese, and only a malformed body's (answered to the partner that sent it, after its
//!   signature checked out) names what in it is wrong, at most 160 characters.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hocphi_domain::{GatewayTxnNo, InvoiceId, Money, NonceKey, PaymentCode, StudentCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    Answer, Bill, BillKey, BillRef, Confirmation, Message, Partner, PartnerError, PartnerOp,
    PartnerRequest, REPLAY_WINDOW, Refusal, Reversal, Signed,
};
use crate::Reply;
use crate::signing::verify_mac;

/// The partner API's OpenAPI 3.1 document (served at `GET /api/partners/openapi.json`).
pub const OPENAPI: &str = include_str!("openapi.json");

/// The request's signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Hocphi-Timestamp";
/// The request's nonce: 1–64 of `[A-Za-z0-9_.-]`, never reused by a partner.
pub const NONCE_HEADER: &str = "X-Hocphi-Nonce";
/// `v1=` and the signature's 64 lowercase hex digits.
pub const SIGNATURE_HEADER: &str = "X-Hocphi-Signature";

/// The method every partner route is called with.
const METHOD: &str = "POST";
/// The longest detail a malformed body's refusal gives.
const DETAIL_MAX: usize = 160;

/// The text a request's signature covers.
pub fn canonical_string(
    method: &str,
    path: &str,
    timestamp: &str,
    nonce: &str,
    body: &[u8],
) -> String {
    format!(
        "v1\n{method}\n{path}\n{timestamp}\n{nonce}\n{}",
        crate::hex_lower(&Sha256::digest(body))
    )
}

/// The `X-Hocphi-Signature` value of a request: `v1=` and the lowercase hex HMAC-SHA256 of its
/// [`canonical_string`] under `key`. Public for the partner's side: the local bank simulator,
/// tests and the partner's guide.
pub fn sign(
    key: &str,
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: impl AsRef<[u8]>,
) -> String {
    let canonical = canonical_string(method, path, &timestamp.to_string(), nonce, body.as_ref());
    // HMAC takes a key of any length (RFC 2104 §2), so this never fails.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()) else {
        return String::from("v1=");
    };
    mac.update(canonical.as_bytes());
    format!("v1={}", crate::hex_lower(&mac.finalize().into_bytes()))
}

pub(super) fn verify(
    partner: &Partner,
    request: &PartnerRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Signed, PartnerError> {
    let signature = header(request.headers, SIGNATURE_HEADER)
        .map_err(|()| PartnerError::BadSignature)?
        .ok_or(PartnerError::MissingSignature)?;
    let digest = signature
        .strip_prefix("v1=")
        .filter(|hex| {
            hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
        .ok_or(PartnerError::BadSignature)?;
    let timestamp = header(request.headers, TIMESTAMP_HEADER)
        .ok()
        .flatten()
        .ok_or(PartnerError::Stale)?;
    let nonce = header(request.headers, NONCE_HEADER)
        .ok()
        .flatten()
        .ok_or(PartnerError::BadNonce)?;
    if request.path != super::path(&partner.id, request.op) {
        return Err(PartnerError::BadSignature);
    }
    let mut mac = partner.hmac.start();
    mac.update(canonical_string(METHOD, request.path, timestamp, nonce, request.body).as_bytes());
    verify_mac(mac, digest).map_err(|_| PartnerError::BadSignature)?;

    let signed_at = parse_timestamp(timestamp).ok_or(PartnerError::Stale)?;
    if (now - signed_at).abs() > REPLAY_WINDOW {
        return Err(PartnerError::Stale);
    }
    let nonce = NonceKey::new(&partner.id, nonce).ok_or(PartnerError::BadNonce)?;
    let message = parse_body(request.op, request.body)?;
    Ok(Signed {
        message,
        nonce: Some(nonce),
    })
}

/// The one value of a header named in any case; `Err` when it is given twice.
fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Result<Option<&'a str>, ()> {
    let mut found = None;
    for (key, value) in headers {
        if key.eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(());
            }
            found = Some(*value);
        }
    }
    Ok(found)
}

/// Unix seconds written as 1 to 12 ASCII digits.
fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    DateTime::from_timestamp(raw.parse().ok()?, 0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BillsBody {
    student: Option<String>,
    payment_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    transaction_id: String,
    invoice_ids: Option<Vec<String>>,
    payment_code: Option<String>,
    amount: String,
    paid_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReverseBody {
    transaction_id: String,
}

/// A verified body read into the operation's message.
fn parse_body(op: PartnerOp, body: &[u8]) -> Result<Message, PartnerError> {
    match op {
        PartnerOp::Bills => {
            let body: BillsBody = json(body)?;
            let key = match (body.student, body.payment_code) {
                (Some(student), None) => BillKey::Student(
                    StudentCode::parse(&student).map_err(|e| malformed(format!("student: {e}")))?,
                ),
                (None, Some(code)) => BillKey::Code(payment_code(&code)?),
                _ => {
                    return Err(malformed(
                        "give exactly one of `student` and `payment_code`".into(),
                    ));
                }
            };
            Ok(Message::Bills(key))
        }
        PartnerOp::Confirm => {
            let body: ConfirmBody = json(body)?;
            let bill = match (body.invoice_ids, body.payment_code) {
                (Some(ids), None) => BillRef::Invoices(invoice_ids(&ids)?),
                (None, Some(code)) => BillRef::Code(payment_code(&code)?),
                _ => {
                    return Err(malformed(
                        "give exactly one of `invoice_ids` and `payment_code`".into(),
                    ));
                }
            };
            let amount = Money::parse(&body.amount)
                .map_err(|_| malformed("amount: not a string of whole đồng above zero".into()))?;
            let paid_at = body
                .paid_at
                .map(|raw| {
                    DateTime::parse_from_rfc3339(&raw)
                        .map(|at| at.with_timezone(&Utc))
                        .map_err(|_| malformed("paid_at: not an RFC 3339 time".into()))
                })
                .transpose()?;
            Ok(Message::Confirm(Confirmation {
                txn: txn(&body.transaction_id)?,
                bill,
                amount,
                paid_at,
            }))
        }
        PartnerOp::Reverse => {
            let body: ReverseBody = json(body)?;
            Ok(Message::Reverse(Reversal {
                txn: txn(&body.transaction_id)?,
            }))
        }
    }
}

fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, PartnerError> {
    serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))
}

fn malformed(detail: String) -> PartnerError {
    PartnerError::Malformed(detail.chars().take(DETAIL_MAX).collect())
}

fn payment_code(raw: &str) -> Result<PaymentCode, PartnerError> {
    PaymentCode::parse(raw).map_err(|e| malformed(format!("payment_code: {e}")))
}

fn txn(raw: &str) -> Result<GatewayTxnNo, PartnerError> {
    GatewayTxnNo::parse(raw).map_err(|e| malformed(format!("transaction_id: {e}")))
}

fn invoice_ids(raw: &[String]) -> Result<Vec<InvoiceId>, PartnerError> {
    if raw.is_empty() {
        return Err(malformed("invoice_ids: lists no invoice".into()));
    }
    let ids = raw
        .iter()
        .map(|id| InvoiceId::parse(id).map_err(|e| malformed(format!("invoice_ids: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(malformed("invoice_ids: lists an invoice twice".into()));
    }
    Ok(ids)
}

/// The HTTP status the generic profile answers a refusal with.
pub fn status(refusal: &Refusal) -> u16 {
    match refusal {
        Refusal::BadRequest(PartnerError::MissingSignature | PartnerError::BadSignature) => 401,
        Refusal::BadRequest(PartnerError::Stale) => 401,
        Refusal::BadRequest(PartnerError::BadNonce | PartnerError::Malformed(_)) => 400,
        Refusal::NotCollectable => 403,
        Refusal::BadRequest(PartnerError::UnknownPartner)
        | Refusal::NoBill
        | Refusal::UnknownTxn => 404,
        Refusal::Replayed
        | Refusal::AlreadyPaid { .. }
        | Refusal::TxnReused
        | Refusal::NotReversible(_) => 409,
        Refusal::AmountMismatch { .. } => 422,
        Refusal::RateLimited => 429,
        Refusal::Unavailable => 503,
    }
}

/// The refusal's message, in Vietnamese, for the partner's operators.
fn message(refusal: &Refusal) -> String {
    let text = match refusal {
        Refusal::BadRequest(PartnerError::UnknownPartner) => "Không có đối tác này.",
        Refusal::BadRequest(PartnerError::MissingSignature | PartnerError::BadSignature) => {
            "Chữ ký không hợp lệ."
        }
        Refusal::BadRequest(PartnerError::Stale) => {
            "Thời điểm ký (X-Hocphi-Timestamp) thiếu hoặc lệch quá 5 phút so với đồng hồ của hocphi."
        }
        Refusal::BadRequest(PartnerError::BadNonce) => {
            "Yêu cầu không đúng định dạng (X-Hocphi-Nonce: 1–64 ký tự A-Z a-z 0-9 _ . -)."
        }
        Refusal::BadRequest(PartnerError::Malformed(detail)) => {
            return format!("Yêu cầu không đúng định dạng ({detail}).");
        }
        Refusal::Replayed => "Nonce này đã được dùng; mỗi yêu cầu cần một nonce mới.",
        Refusal::RateLimited => "Quá nhiều lượt tra cứu; vui lòng thử lại sau.",
        Refusal::NoBill => "Không tìm thấy khoản thu cần nộp.",
        Refusal::NotCollectable => "Đối tác không được thu hộ cho trường của khoản thu này.",
        Refusal::AlreadyPaid { .. } => {
            "Khoản thu đã được nộp trước đó; số tiền của giao dịch này được ghi nhận để hoàn trả."
        }
        Refusal::AmountMismatch { .. } => {
            "Số tiền không khớp với khoản thu; khoản thu chưa được nộp, số tiền được ghi nhận để hoàn trả."
        }
        Refusal::TxnReused => "Mã giao dịch này đã được xác nhận với khoản thu hoặc số tiền khác.",
        Refusal::UnknownTxn => "Không có giao dịch nào của đối tác với mã này.",
        Refusal::NotReversible(reason) => reason,
        Refusal::Unavailable => "Hệ thống tạm thời gián đoạn; vui lòng gửi lại sau.",
    };
    text.to_owned()
}

#[derive(Serialize)]
struct BillsReply<'a> {
    bills: Vec<BillJson<'a>>,
}

#[derive(Serialize)]
struct BillJson<'a> {
    student: &'a StudentCode,
    student_name: &'a str,
    school: &'a str,
    school_name: &'a str,
    class_name: &'a str,
    school_year: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_code: Option<String>,
    invoices: Vec<InvoiceJson<'a>>,
    total: Money,
}

#[derive(Serialize)]
struct InvoiceJson<'a> {
    id: &'a InvoiceId,
    term: &'a str,
    items: Vec<ItemJson<'a>>,
    amount: Money,
    due_date: String,
}

#[derive(Serialize)]
struct ItemJson<'a> {
    description: &'a str,
    amount: Money,
}

#[derive(Serialize)]
struct ConfirmedReply<'a> {
    status: &'static str,
    payment_ref: &'a str,
    receipt_number: String,
    receipt_url: &'a str,
}

#[derive(Serialize)]
struct ErrorReply {
    error: ErrorJson,
}

#[derive(Serialize)]
struct ErrorJson {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<Money>,
}

fn bill_json(bill: &Bill) -> BillJson<'_> {
    BillJson {
        student: &bill.student,
        student_name: bill.student_name.as_str(),
        school: bill.school.as_str(),
        school_name: bill.school_name.as_str(),
        class_name: bill.class_name.as_str(),
        school_year: bill.school_year.to_string(),
        payment_code: bill.payment_code.as_ref().map(ToString::to_string),
        invoices: bill
            .invoices
            .iter()
            .map(|invoice| InvoiceJson {
                id: &invoice.id,
                term: invoice.term.as_str(),
                items: invoice
                    .items
                    .iter()
                    .map(|(description, amount)| ItemJson {
                        description: description.as_str(),
                        amount: *amount,
                    })
                    .collect(),
                amount: invoice.amount,
                due_date: invoice.due_date.format("%Y-%m-%d").to_string(),
            })
            .collect(),
        total: bill.total,
    }
}

/// The generic profile's answer: its HTTP status and JSON body. It needs no partner, so it also
/// answers a request for a partner that does not exist.
pub fn reply(answer: &Answer) -> Reply {
    let (status, body) = match answer {
        Answer::Bills(bills) => (
            200,
            serde_json::to_string(&BillsReply {
                bills: bills.iter().map(bill_json).collect(),
            }),
        ),
        Answer::Confirmed(receipted) => (
            200,
            serde_json::to_string(&ConfirmedReply {
                status: "confirmed",
                payment_ref: receipted.payment.as_str(),
                receipt_number: receipted.receipt.to_string(),
                receipt_url: &receipted.receipt_url,
            }),
        ),
        Answer::Refused(refusal) => (
            status(refusal),
            serde_json::to_string(&ErrorReply {
                error: ErrorJson {
                    code: refusal.code(),
                    message: message(refusal),
                    payment_ref: match refusal {
                        Refusal::AlreadyPaid { payment } => Some(payment.to_string()),
                        _ => None,
                    },
                    expected: match refusal {
                        Refusal::AmountMismatch { expected } => Some(*expected),
                        _ => None,
                    },
                },
            }),
        ),
    };
    Reply {
        status,
        content_type: Some("application/json; charset=utf-8"),
        // Serialising these borrowed strings and numbers cannot fail.
        body: body.unwrap_or_default(),
    }
}
