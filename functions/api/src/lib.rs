//! The HTTP contract's bodies, shared by the functions (which write them) and the page (which
//! reads them), so both sides agree by construction. Serde only; builds for wasm32.
//!
//! Amounts are [`Money`] and travel as strings of digits. Requests carry raw strings so the
//! functions can answer each malformed field with its own message.

pub mod site;

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_domain::{
    GatewayKind, GatewayTxnNo, Invoice, InvoiceId, Label, MaskedName, Money, Payment, PaymentRef,
    PaymentStatus, Receipt, ReceiptId, ReceiptLine, ReceiptNumber, ReceiptToken, SchoolId,
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
    pub due_date: NaiveDate,
}

/// One line of an invoice or a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub description: String,
    pub amount: Money,
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
}

/// `POST /api/payments` answer (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePaymentResponse {
    pub payment_ref: PaymentRef,
    pub amount: Money,
    pub status: PaymentStatus,
    pub redirect_url: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/payments/{ref}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentStatusResponse {
    pub payment_ref: PaymentRef,
    pub status: PaymentStatus,
    pub amount: Money,
    pub gateway: GatewayKind,
    pub invoices: Vec<InvoiceId>,
    pub expires_at: DateTime<Utc>,
    /// The gateway's result code when the payment failed (e.g. `24`: cancelled by the payer).
    pub failure_code: Option<String>,
    pub receipt: Option<ReceiptLink>,
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
        }
    }
}

/// `GET /api/receipts/{id}?t=…`: the receipt as printed. Whoever holds its link (or scans the
/// printed QR code) reads this answer, so the student code is masked here, not only on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptResponse {
    pub id: ReceiptId,
    pub number: ReceiptNumber,
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
}

impl From<&Receipt> for ReceiptResponse {
    fn from(receipt: &Receipt) -> Self {
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
    pub code: String,
    pub message: String,
}
