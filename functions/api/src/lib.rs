//! The HTTP contract's bodies, shared by the functions (which write them) and the page (which
//! reads them), so both sides agree by construction. Serde only; builds for wasm32.
//!
//! Amounts are [`Money`] and travel as strings of digits. Requests carry raw strings so the
//! functions can answer each malformed field with its own message. Error answers carry an
//! [`ErrorCode`], so both sides match on the same names.

pub mod site;
pub mod wire_time;

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_domain::{
    GatewayKind, GatewayTxnNo, Invoice, InvoiceId, Label, LineKind, MaskedName, Money, Payment,
    PaymentRef, PaymentStatus, Pricing, Receipt, ReceiptId, ReceiptLine, ReceiptNumber,
    ReceiptSection, ReceiptToken, SchoolId,
};
use serde::{Deserialize, Serialize};

/// `GET /api/invoices?student=…&code=…`: the student, their open invoices, and the gateways the
/// province offers (VNPay first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicesResponse {
    pub student: StudentView,
    pub invoices: Vec<InvoiceView>,
    #[serde(default)]
    pub gateways: Vec<GatewayKind>,
}

/// Who the invoices are for, with the name masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentView {
    pub code: String,
    pub name: String,
    pub school: String,
    pub class_name: String,
}

/// One open invoice as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: InvoiceId,
    pub school_year: String,
    pub term: String,
    pub items: Vec<ItemView>,
    pub total: Money,
    #[serde(with = "wire_time::date")]
    pub due_date: NaiveDate,
}

/// One line of an invoice, at its position in the invoice (which a voluntary choice names).
/// `total` of the invoice is what it requires: mandatory charges less adjustments; voluntary
/// lines are offered beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub description: String,
    pub amount: Money,
    #[serde(default)]
    pub kind: LineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<String>,
}

/// A voluntary line the parent chose to pay: the invoice and the line's position in its items
/// (counting from 0, as [`InvoiceView::items`] lists them). Only a voluntary line of an invoice
/// being paid can be chosen, once; anything else is answered 422 `invalid_invoice_ids`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoluntaryChoice {
    pub invoice_id: String,
    pub line: u16,
}

impl From<&Invoice> for InvoiceView {
    fn from(invoice: &Invoice) -> Self {
        Self {
            id: invoice.id.clone(),
            school_year: invoice.school_year.to_string(),
            term: invoice.term.to_string(),
            items: invoice
                .items()
                .iter()
                .map(|i| ItemView {
                    description: i.description.to_string(),
                    amount: i.amount,
                    kind: i.kind,
                    pricing: i.pricing,
                    beneficiary: i.beneficiary.as_ref().map(ToString::to_string),
                })
                .collect(),
            total: invoice.total(),
            due_date: invoice.due_date,
        }
    }
}

/// `POST /api/payments` body (with an `Idempotency-Key` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePaymentRequest {
    pub student: String,
    pub code: String,
    pub invoice_ids: Vec<String>,
    pub gateway: String,
    /// `vi` (default) or `en`: the language of the gateway's own pages.
    #[serde(default)]
    pub locale: Option<String>,
    /// The voluntary lines the parent ticked (none unless they did).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voluntary: Vec<VoluntaryChoice>,
}

/// `POST /api/payments` answer (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePaymentResponse {
    pub payment_ref: PaymentRef,
    pub amount: Money,
    pub status: PaymentStatus,
    /// Where the browser goes to pay: the gateway's page (for a bank transfer, payOS's hosted
    /// page, the fallback when the page cannot draw the QR code itself).
    pub redirect_url: String,
    #[serde(with = "wire_time::utc")]
    pub expires_at: DateTime<Utc>,
    /// A bank transfer's details, which the page shows without leaving the site; none for a
    /// gateway's own page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<BankTransfer>,
}

/// How to pay a payment by bank transfer: the VietQR code and what it says, for a parent who
/// types the transfer by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTransfer {
    /// The VietQR (NAPAS/EMVCo) payload to draw as a QR code.
    pub qr_code: String,
    /// The receiving bank's NAPAS BIN, e.g. `970436`.
    pub bank_bin: String,
    /// The bank's short name (`Vietcombank`), when hocphi knows the BIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    pub account_number: String,
    pub account_name: String,
    /// The exact amount to transfer (the payment's).
    pub amount: Money,
    /// The transfer memo ("nội dung chuyển khoản"), which names the payment: it must not be
    /// changed.
    pub memo: String,
    /// [`BankTransfer::qr_code`] drawn, for the page to show and to save as a picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrPicture>,
}

/// A QR code drawn by the functions, so the page carries no encoder: the page shows it as
/// `<svg viewBox="0 0 {side} {side}"><path d="{path}"/></svg>`. `side` counts modules with the
/// four-module quiet zone; `path` holds one closed sub-path per horizontal run of dark modules,
/// `M{x} {y}h{n}v1h-{n}z`, row by row, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrPicture {
    pub side: u16,
    pub path: String,
}

/// `GET /api/payments/{ref}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStatusResponse {
    pub payment_ref: PaymentRef,
    pub status: PaymentStatus,
    pub amount: Money,
    pub gateway: GatewayKind,
    pub invoices: Vec<InvoiceId>,
    #[serde(with = "wire_time::utc")]
    pub expires_at: DateTime<Utc>,
    /// The gateway's result code when the payment failed (e.g. `24`: cancelled by the payer).
    pub failure_code: Option<String>,
    pub receipt: Option<ReceiptLink>,
    /// What arrived when the status is `mismatched`: the amounts of the transfers that did not
    /// match the payment's amount, which the school returns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatched_amounts: Vec<Money>,
}

/// Enough to open a receipt: `/bien-lai/{id}?t={token}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLink {
    pub id: ReceiptId,
    pub number: String,
    pub token: ReceiptToken,
}

impl PaymentStatusResponse {
    /// The status view of a payment and its receipt.
    pub fn new(payment: &Payment, receipt: Option<&Receipt>) -> Self {
        Self {
            payment_ref: payment.reference.clone(),
            status: payment.status,
            amount: payment.amount,
            gateway: payment.gateway,
            invoices: payment.invoices.clone(),
            expires_at: payment.expires_at,
            failure_code: payment.failure_code.as_ref().map(ToString::to_string),
            receipt: receipt.map(|r| ReceiptLink {
                id: r.id.clone(),
                number: r.number.to_string(),
                token: r.token.clone(),
            }),
            mismatched_amounts: payment.mismatches.iter().map(|m| m.amount).collect(),
        }
    }
}

/// `GET /api/receipts/{id}?t=…&lang=…`: the receipt as printed. Whoever holds its link (or scans the
/// printed QR code) reads this answer, so the student code is masked here, not only on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptResponse {
    pub id: ReceiptId,
    pub number: ReceiptNumber,
    #[serde(with = "wire_time::utc")]
    pub issued_at: DateTime<Utc>,
    pub school: SchoolId,
    pub school_name: Label,
    /// Masked: `••••••4568`.
    pub student: String,
    pub student_name: MaskedName,
    pub class_name: Label,
    pub lines: Vec<ReceiptLine>,
    pub total: Money,
    pub amount_in_words: String,
    pub gateway: GatewayKind,
    pub gateway_txn: GatewayTxnNo,
    pub payment: PaymentRef,
    /// The e-invoice number, once an e-invoice provider is connected and issued one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_invoice: Option<Label>,
    /// This receipt's own address drawn as a QR code, printed so that whoever holds the paper
    /// can open it and check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrPicture>,
    /// The printable receipt as HTML (the inside of the page's `<article class="receipt">`),
    /// written by the functions in the language asked with `lang=vi|en`, Vietnamese by default.
    /// The page shows it as it is, so it carries no code to lay a receipt out.
    #[serde(default)]
    pub document: String,
}

/// What the page reads of a [`ReceiptResponse`]: only its printable document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDocument {
    pub document: String,
}

impl ReceiptResponse {
    /// The receipt's sections as printed: the school's own collections with deductions, then
    /// one per organisation collected for ([`ReceiptSection::of`] over the lines).
    pub fn sections(&self) -> Vec<ReceiptSection<'_>> {
        ReceiptSection::of(&self.lines)
    }

    /// The answer for `receipt`, with its address drawn as `qr`; its `document` is left for
    /// the functions to write.
    pub fn new(receipt: &Receipt, qr: Option<QrPicture>) -> Self {
        Self {
            id: receipt.id.clone(),
            number: receipt.number.clone(),
            issued_at: receipt.issued_at,
            school: receipt.school.clone(),
            school_name: receipt.school_name.clone(),
            student: receipt.student.masked(),
            student_name: receipt.student_name.clone(),
            class_name: receipt.class_name.clone(),
            lines: receipt.lines.clone(),
            total: receipt.total,
            amount_in_words: receipt.amount_in_words.clone(),
            gateway: receipt.gateway,
            gateway_txn: receipt.gateway_txn.clone(),
            payment: receipt.payment.clone(),
            e_invoice: receipt.e_invoice.clone(),
            qr,
            document: String::new(),
        }
    }
}

/// Every error answer: `{"error": {"code", "message"}}`, the message in Vietnamese.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

/// A machine-readable code and a sentence a parent can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

/// What went wrong, for machines: each code travels as its `snake_case` name.
///
/// A code this build does not know reads as [`ErrorCode::Unknown`], so a page older than the
/// functions still reads their answers; the functions never send `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The student code is malformed.
    InvalidStudent,
    /// The lookup code is malformed.
    InvalidCode,
    /// The invoices chosen are none, too many, malformed, or cannot be paid together.
    InvalidInvoiceIds,
    /// The payment method is unknown or not offered.
    InvalidGateway,
    /// The gateway pages' language is neither `vi` nor `en`.
    InvalidLocale,
    /// The `Idempotency-Key` header is malformed. It travels as `invalid_request`, the code the
    /// contract has always given it.
    #[serde(rename = "invalid_request")]
    InvalidIdempotencyKey,
    /// The `Idempotency-Key` header is missing.
    MissingIdempotencyKey,
    /// The body is not JSON of the expected shape.
    InvalidBody,
    /// The body is larger than any route reads.
    TooLarge,
    /// The body is not sent as JSON.
    UnsupportedMediaType,
    /// No route has this path.
    NoRoute,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// No student has this student code and lookup code.
    NotFound,
    /// Too many wrong lookup codes for the student within the window.
    TooManyAttempts,
    /// No payment has this reference.
    UnknownPayment,
    /// No receipt has this id, or its token is wrong.
    UnknownReceipt,
    /// An invoice chosen is held by another payment still in progress.
    InvoiceHeld,
    /// An invoice chosen is paid, voided, changed or gone.
    InvoiceUnavailable,
    /// The same checkout is still being processed under this key.
    RequestInProgress,
    /// The key was already used for another request.
    IdempotencyKeyReused,
    /// The total of the invoices chosen is outside what the payment method takes in one payment.
    AmountOutOfRange,
    /// The payment gateway could not be reached.
    GatewayUnavailable,
    /// Something failed on the functions' side.
    Internal,
    /// A code newer than this build.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Every code the functions send.
    pub const ALL: [Self; 23] = [
        Self::InvalidStudent,
        Self::InvalidCode,
        Self::InvalidInvoiceIds,
        Self::InvalidGateway,
        Self::InvalidLocale,
        Self::InvalidIdempotencyKey,
        Self::MissingIdempotencyKey,
        Self::InvalidBody,
        Self::TooLarge,
        Self::UnsupportedMediaType,
        Self::NoRoute,
        Self::MethodNotAllowed,
        Self::NotFound,
        Self::TooManyAttempts,
        Self::UnknownPayment,
        Self::UnknownReceipt,
        Self::InvoiceHeld,
        Self::InvoiceUnavailable,
        Self::RequestInProgress,
        Self::IdempotencyKeyReused,
        Self::AmountOutOfRange,
        Self::GatewayUnavailable,
        Self::Internal,
    ];

    /// The name the code travels as.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidStudent => "invalid_student",
            Self::InvalidCode => "invalid_code",
            Self::InvalidInvoiceIds => "invalid_invoice_ids",
            Self::InvalidGateway => "invalid_gateway",
            Self::InvalidLocale => "invalid_locale",
            Self::InvalidIdempotencyKey => "invalid_request",
            Self::MissingIdempotencyKey => "missing_idempotency_key",
            Self::InvalidBody => "invalid_body",
            Self::TooLarge => "too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NoRoute => "no_route",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotFound => "not_found",
            Self::TooManyAttempts => "too_many_attempts",
            Self::UnknownPayment => "unknown_payment",
            Self::UnknownReceipt => "unknown_receipt",
            Self::InvoiceHeld => "invoice_held",
            Self::InvoiceUnavailable => "invoice_unavailable",
            Self::RequestInProgress => "request_in_progress",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::AmountOutOfRange => "amount_out_of_range",
            Self::GatewayUnavailable => "gateway_unavailable",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }

    /// The code named `name`; [`ErrorCode::Unknown`] for a name this build does not know.
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code and the exact string it has on the wire.
    const WIRE: [(ErrorCode, &str); 23] = [
        (ErrorCode::InvalidStudent, "invalid_student"),
        (ErrorCode::InvalidCode, "invalid_code"),
        (ErrorCode::InvalidInvoiceIds, "invalid_invoice_ids"),
        (ErrorCode::InvalidGateway, "invalid_gateway"),
        (ErrorCode::InvalidLocale, "invalid_locale"),
        (ErrorCode::InvalidIdempotencyKey, "invalid_request"),
        (ErrorCode::MissingIdempotencyKey, "missing_idempotency_key"),
        (ErrorCode::InvalidBody, "invalid_body"),
        (ErrorCode::TooLarge, "too_large"),
        (ErrorCode::UnsupportedMediaType, "unsupported_media_type"),
        (ErrorCode::NoRoute, "no_route"),
        (ErrorCode::MethodNotAllowed, "method_not_allowed"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::TooManyAttempts, "too_many_attempts"),
        (ErrorCode::UnknownPayment, "unknown_payment"),
        (ErrorCode::UnknownReceipt, "unknown_receipt"),
        (ErrorCode::InvoiceHeld, "invoice_held"),
        (ErrorCode::InvoiceUnavailable, "invoice_unavailable"),
        (ErrorCode::RequestInProgress, "request_in_progress"),
        (ErrorCode::IdempotencyKeyReused, "idempotency_key_reused"),
        (ErrorCode::AmountOutOfRange, "amount_out_of_range"),
        (ErrorCode::GatewayUnavailable, "gateway_unavailable"),
        (ErrorCode::Internal, "internal"),
    ];

    #[test]
    fn every_error_code_travels_as_the_string_it_always_had() {
        for (code, wire) in WIRE {
            let json = format!("\"{wire}\"");
            assert_eq!(serde_json::to_string(&code).unwrap(), json, "{code:?}");
            assert_eq!(
                serde_json::from_str::<ErrorCode>(&json).unwrap(),
                code,
                "{wire}"
            );
            assert_eq!(code.as_str(), wire);
            assert_eq!(ErrorCode::parse(wire), code);
        }
        assert_eq!(ErrorCode::ALL, WIRE.map(|(code, _)| code));
        let distinct: std::collections::HashSet<_> = WIRE.iter().map(|(code, _)| code).collect();
        assert_eq!(distinct.len(), WIRE.len());
    }

    #[test]
    fn a_code_from_a_newer_server_reads_as_unknown() {
        let body = r#"{"error":{"code":"payment_too_early","message":"Vui lòng đợi."}}"#;
        let read: ErrorResponse = serde_json::from_str(body).unwrap();
        assert_eq!(read.error.code, ErrorCode::Unknown);
        assert_eq!(read.error.message, "Vui lòng đợi.");
        assert_eq!(ErrorCode::parse("payment_too_early"), ErrorCode::Unknown);
        assert_eq!(ErrorCode::parse("Internal"), ErrorCode::Unknown);
    }
}
