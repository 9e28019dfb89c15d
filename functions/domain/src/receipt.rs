//! Receipts ("biên lai"): the proof a parent keeps.
//!
//! Invariant: a receipt is issued once per succeeded payment, numbered from its school's sequence
//! for the payment's school year (consecutive, never reused), and carries everything a printed
//! receipt shows: symbols and number, school, student (masked), items, total and total in words,
//! gateway and its transaction number. Its token is the capability that lets anyone verify it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{
    GatewayKind, GatewayTxnNo, Invoice, InvoiceId, ItemCode, Label, LineKind, MaskedName, Money,
    Payment, PaymentRef, Pricing, ReceiptId, ReceiptToken, School, SchoolId, SchoolYear,
    StudentCode, Symbol,
};

/// "Mẫu số 01BLP0-001, ký hiệu HP-25E, số 0000042".
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReceiptNumber {
    pub template: Symbol,
    pub series: Symbol,
    pub school_year: SchoolYear,
    /// Starts at 1 for each school and school year.
    pub sequence: u32,
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:07}", self.series, self.sequence)
    }
}

/// One paid line of one invoice on a receipt: a charge, a chosen voluntary line, or an
/// adjustment (whose amount was deducted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub invoice: InvoiceId,
    pub term: Label,
    pub description: Label,
    pub amount: Money,
    #[serde(default)]
    pub kind: LineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<Label>,
}

/// A receipt for one succeeded payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub number: ReceiptNumber,
    pub issued_at: DateTime<Utc>,
    pub school: SchoolId,
    pub school_name: Label,
    pub student: StudentCode,
    pub student_name: MaskedName,
    pub class_name: Label,
    pub lines: Vec<ReceiptLine>,
    pub total: Money,
    pub amount_in_words: String,
    pub gateway: GatewayKind,
    pub gateway_txn: GatewayTxnNo,
    pub payment: PaymentRef,
    pub token: ReceiptToken,
    /// The e-invoice number, once an e-invoice provider is connected and issued one: the
    /// receipt keeps a place for it and never claims to be one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_invoice: Option<Label>,
}

impl Receipt {
    /// The receipt for `payment`, which paid `invoices` (in payment order) at `school`.
    pub fn issue(
        payment: &Payment,
        invoices: &[Invoice],
        school: &School,
        sequence: u32,
        gateway_txn: GatewayTxnNo,
        issued_at: DateTime<Utc>,
        token: ReceiptToken,
    ) -> Self {
        let chosen = |invoice: &Invoice, line: usize| {
            payment
                .voluntary
                .iter()
                .any(|r| r.invoice == invoice.id && usize::from(r.line) == line)
        };
        let lines = invoices
            .iter()
            .flat_map(|invoice| {
                invoice
                    .items()
                    .iter()
                    .enumerate()
                    .filter(move |(n, item)| !item.is_voluntary() || chosen(invoice, *n))
                    .map(|(_, item)| ReceiptLine {
                        invoice: invoice.id.clone(),
                        term: invoice.term.clone(),
                        description: item.description.clone(),
                        amount: item.amount,
                        kind: item.kind,
                        item: item.item.clone(),
                        pricing: item.pricing,
                        beneficiary: item.beneficiary.clone(),
                    })
            })
            .collect();
        Self {
            id: ReceiptId::for_payment(&payment.reference),
            number: ReceiptNumber {
                template: school.receipt_template.clone(),
                series: school.receipt_series.clone(),
                school_year: payment.school_year,
                sequence,
            },
            issued_at,
            school: school.id.clone(),
            school_name: school.name.clone(),
            student: payment.student.clone(),
            student_name: payment.student_name.clone(),
            class_name: payment.class_name.clone(),
            lines,
            total: payment.amount,
            amount_in_words: payment.amount.in_words(),
            gateway: payment.gateway,
            gateway_txn,
            payment: payment.reference.clone(),
            token,
            e_invoice: None,
        }
    }
}
