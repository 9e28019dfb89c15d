//! Personal data duties under the Personal Data Protection Law 91/2025/QH15 and Decree
//! 356/2025/NĐ-CP: what a store answers about one student, what erasing a student does, and
//! what the retention job removes after its periods.
//!
//! Invariants: erasing deletes what nothing obliges hocphi to keep (the student record with
//! its lookup digest, open and cancelled invoices, payments that ended unpaid, look-up
//! counters) and pseudonymises what the Law on Accounting 88/2015/QH13 (art. 41) keeps
//! (receipts, payments that moved money, paid invoices): the student code becomes a
//! [`StudentCode::pseudonym`], the name and class [`crate::text::ERASED`]. Nothing is erased
//! while a payment of the student is pending. Every period here is the one `infra/PRIVACY.md`
//! states.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::{
    Invoice, InvoiceStatus, Label, MaskedName, Payment, PaymentStatus, Receipt, Student,
    StudentCode,
};

/// How long a payment that ended unpaid (failed or expired) keeps the student's name and
/// class: 30 days after its expiry, for a parent's or school's question about an attempt.
pub const UNPAID_PAYMENT_RETENTION_DAYS: i64 = 30;

/// [`UNPAID_PAYMENT_RETENTION_DAYS`] as a duration.
pub fn unpaid_payment_retention() -> Duration {
    Duration::days(UNPAID_PAYMENT_RETENTION_DAYS)
}

/// Everything a store holds about one student: what `hocphi-admin privacy export` prints.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StudentRecords {
    pub student: Option<Student>,
    /// Every invoice of the student, whatever its status.
    pub invoices: Vec<Invoice>,
    /// Every payment of the student, whatever its status.
    pub payments: Vec<Payment>,
    pub receipts: Vec<Receipt>,
    /// Wrong lookup codes counted for the student (all sources) in the current window.
    pub failed_lookups: u32,
}

impl StudentRecords {
    /// True when the store holds nothing about the student.
    pub fn is_empty(&self) -> bool {
        self.student.is_none()
            && self.invoices.is_empty()
            && self.payments.is_empty()
            && self.receipts.is_empty()
            && self.failed_lookups == 0
    }
}

/// What [`crate::Store::erase_student`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The student record (with its lookup digest) was deleted.
    pub student_deleted: bool,
    pub invoices_deleted: u32,
    pub invoices_pseudonymised: u32,
    pub payments_deleted: u32,
    pub payments_pseudonymised: u32,
    pub receipts_pseudonymised: u32,
    pub counters_deleted: u32,
}

impl ErasureReport {
    /// True when there was nothing left to erase (a repeated erase).
    pub fn is_nothing(&self) -> bool {
        *self == Self::default()
    }
}

/// The answer of [`crate::Store::erase_student`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Erasure {
    /// Done (or nothing was left); what changed.
    Erased(ErasureReport),
    /// A payment of the student is pending: nothing was changed; erase once it has ended.
    PaymentPending(crate::PaymentRef),
}

/// What one retention run removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Failed-look-up counters whose window had closed.
    pub counters: u32,
    /// Idempotency records past their expiry.
    pub idempotency: u32,
    /// Partners' nonces past their end.
    pub nonces: u32,
    /// Payments that ended unpaid whose name and class were removed.
    pub payments: u32,
}

/// True for a payment that moved money, which accounting law keeps: pseudonymised, never
/// deleted.
pub fn keeps_accounts(payment: &Payment) -> bool {
    match payment.status {
        PaymentStatus::Succeeded | PaymentStatus::RefundDue | PaymentStatus::Mismatched => true,
        PaymentStatus::Pending | PaymentStatus::Failed | PaymentStatus::Expired => false,
    }
}

/// True for an invoice that accounting law keeps (paid).
pub fn invoice_kept(invoice: &Invoice) -> bool {
    match invoice.status {
        InvoiceStatus::Paid => true,
        InvoiceStatus::Open | InvoiceStatus::Cancelled => false,
    }
}

/// A paid invoice with its student pseudonymised, one version on.
pub fn pseudonymise_invoice(invoice: &Invoice, pseudonym: &StudentCode) -> Invoice {
    let mut erased = invoice.clone();
    erased.student = pseudonym.clone();
    erased.student_name = MaskedName::erased();
    erased.class_name = Label::erased();
    erased.version += 1;
    erased
}

/// A payment with its student pseudonymised, one version on.
pub fn pseudonymise_payment(payment: &Payment, pseudonym: &StudentCode) -> Payment {
    let mut erased = forget_payment_names(payment);
    erased.student = pseudonym.clone();
    erased
}

/// A payment without the student's name and class (the retention of unpaid payments), one
/// version on.
pub fn forget_payment_names(payment: &Payment) -> Payment {
    let mut erased = payment.clone();
    erased.student_name = MaskedName::erased();
    erased.class_name = Label::erased();
    erased.version += 1;
    erased
}

/// A receipt with its student pseudonymised.
pub fn pseudonymise_receipt(receipt: &Receipt, pseudonym: &StudentCode) -> Receipt {
    let mut erased = receipt.clone();
    erased.student = pseudonym.clone();
    erased.student_name = MaskedName::erased();
    erased.class_name = Label::erased();
    erased
}

/// True for a payment that ended unpaid before `before` and still holds a name: what the
/// retention job pseudonymises.
pub fn unpaid_past_retention(payment: &Payment, before: DateTime<Utc>) -> bool {
    matches!(
        payment.status,
        PaymentStatus::Failed | PaymentStatus::Expired
    ) && payment.expires_at < before
        && !payment.student_name.is_erased()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::ERASED;

    #[test]
    fn an_erased_name_and_a_pseudonym_read_back_from_storage() {
        let name: MaskedName = serde_json::from_str(&format!("\"{ERASED}\"")).unwrap();
        let pseudonym = StudentCode::pseudonym([1, 2, 3, 4, 5, 6, 7, 8]);

        assert!(name.is_erased());
        assert_eq!(
            StudentCode::parse(pseudonym.as_str()),
            Ok(pseudonym.clone())
        );
        assert!(
            pseudonym
                .as_str()
                .starts_with(StudentCode::PSEUDONYM_PREFIX)
        );
        assert_ne!(pseudonym, StudentCode::pseudonym([8, 7, 6, 5, 4, 3, 2, 1]));
        assert_eq!(Label::erased().as_str(), ERASED);
    }

    #[test]
    fn only_payments_that_moved_money_are_kept_for_the_accounts() {
        use PaymentStatus::*;
        let kept: Vec<_> = PaymentStatus::ALL
            .into_iter()
            .filter(|s| {
                keeps_accounts(&Payment {
                    status: *s,
                    ..sample()
                })
            })
            .collect();

        assert_eq!(kept, [Succeeded, RefundDue, Mismatched]);
    }

    fn sample() -> Payment {
        serde_json::from_value(serde_json::json!({
            "reference": "HP0000000001", "school": "SCHOOL1", "student": "HS0001",
            "student_name": "Nguyễn V. A.", "class_name": "6A1", "school_year": "2025-2026",
            "invoices": ["INV-1"], "amount": "100000", "gateway": "vnpay", "status": "pending",
            "created_at": "2025-09-15T01:00:00Z", "expires_at": "2025-09-15T01:15:00Z",
            "gateway_txn": null, "failure_code": null, "version": 1
        }))
        .unwrap()
    }
}
