//! The audit events a change appends, decided once for every adapter.
//!
//! An adapter names the [`Entry`]s of a change (what happened to which subject, and the rule
//! that decided) and appends them inside the transaction that makes the change, numbering each
//! after the subject's last event ([`Entry::event`]). [`of_plan`] names the entries of a settle,
//! an expiry or a partner's capture from what the plan wrote.

use chrono::{DateTime, Utc};
use hocphi_domain::{
    Action, Actor, AuditEvent, CatalogueItem, GatewayEvent, Invoice, Payment, PaymentStatus,
    Receipt, Rule, Subject,
};

/// One event to append, before it has its number.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub subject: Subject,
    pub action: Action,
    pub rule: Option<Rule>,
}

impl Entry {
    pub fn new(subject: Subject, action: Action) -> Self {
        Self {
            subject,
            action,
            rule: None,
        }
    }

    /// A catalogue entry created or changed.
    pub fn catalogue_saved(item: &CatalogueItem) -> Self {
        Self::new(
            Subject::CatalogueItem(item.code.clone(), item.school.clone()),
            Action::CatalogueItemSaved {
                line_kind: item.kind,
                cap: item.cap,
            },
        )
    }

    /// A record of `subject` erased at a data subject's request, `kept` pseudonymised.
    pub fn erased(subject: Subject, kept: bool) -> Self {
        Self::new(subject, Action::PersonalDataErased { kept })
    }

    /// An unpaid payment's name and class removed by the retention job.
    pub fn names_removed(payment: &Payment) -> Self {
        Self::new(
            Subject::Payment(payment.reference.clone()),
            Action::PersonalDataRemoved,
        )
    }

    pub fn because(self, rule: Option<Rule>) -> Self {
        Self { rule, ..self }
    }

    /// The event numbered `seq`.
    pub fn event(self, seq: u32, at: DateTime<Utc>, by: &Actor) -> AuditEvent {
        AuditEvent {
            subject: self.subject,
            seq,
            at,
            action: self.action,
            by: by.clone(),
            rule: self.rule,
        }
    }
}

/// The entry of an invoice as [`hocphi_domain::Store::upsert_invoice`] wrote it.
pub(crate) fn invoice_saved(invoice: &Invoice, created: bool) -> Entry {
    let (version, total) = (invoice.version, invoice.total());
    let action = if created {
        Action::InvoiceCreated { version, total }
    } else {
        Action::InvoiceChanged { version, total }
    };
    Entry::new(Subject::Invoice(invoice.id.clone()), action)
}

/// The entry of a new payment that holds its invoices.
pub(crate) fn payment_created(payment: &Payment) -> Entry {
    Entry::new(
        Subject::Payment(payment.reference.clone()),
        Action::PaymentCreated {
            gateway: payment.gateway,
            amount: payment.amount,
            invoices: payment.invoices.clone(),
        },
    )
}

/// The entries of a written plan: `before` is the payment's status as read (`None` for a
/// partner's capture, which stores the payment too), `payment` as written, `paid` the invoices
/// it paid with `receipt`, and `mismatch` whether it recorded a transfer of another amount.
pub(crate) fn of_plan(
    before: Option<PaymentStatus>,
    payment: &Payment,
    paid: &[Invoice],
    receipt: Option<&Receipt>,
    mismatch: bool,
    event: Option<&GatewayEvent>,
) -> Vec<Entry> {
    let subject = Subject::Payment(payment.reference.clone());
    let mut entries = Vec::new();
    if before.is_none() {
        entries.push(payment_created(payment));
    }
    let late = match before {
        Some(PaymentStatus::Expired) => Some(Rule::LateCaptureAfterExpiry),
        Some(PaymentStatus::Failed) => Some(Rule::LateCaptureAfterFailure),
        Some(PaymentStatus::Mismatched) => Some(Rule::CaptureAfterMismatch),
        Some(PaymentStatus::Pending | PaymentStatus::Succeeded | PaymentStatus::RefundDue)
        | None => None,
    };
    let captured = match event {
        Some(GatewayEvent::Paid { txn, amount }) => Some((txn.clone(), *amount)),
        Some(GatewayEvent::Declined { .. }) | None => None,
    };
    if mismatch {
        if let Some((txn, amount)) = captured {
            entries.push(
                Entry::new(
                    subject,
                    Action::TransferMismatched {
                        txn,
                        amount,
                        expected: payment.amount,
                    },
                )
                .because(Some(Rule::AmountMismatch)),
            );
        }
        return entries;
    }
    let entry = match (payment.status, receipt, captured) {
        (PaymentStatus::Succeeded, Some(receipt), _) => {
            for invoice in paid {
                entries.push(Entry::new(
                    Subject::Invoice(invoice.id.clone()),
                    Action::InvoicePaid {
                        version: invoice.version,
                        payment: payment.reference.clone(),
                        receipt: receipt.id.clone(),
                    },
                ));
            }
            Entry::new(
                subject,
                Action::PaymentSettled {
                    txn: receipt.gateway_txn.clone(),
                    amount: payment.amount,
                    receipt: receipt.id.clone(),
                    sequence: receipt.number.sequence,
                },
            )
            .because(late)
        }
        (PaymentStatus::RefundDue, _, Some((txn, amount))) => {
            Entry::new(subject, Action::PaymentRefundDue { txn, amount })
                .because(Some(Rule::InvoicesNoLongerOpen))
        }
        (PaymentStatus::Failed, _, _) => match event {
            Some(GatewayEvent::Declined { txn, code }) => Entry::new(
                subject,
                Action::PaymentFailed {
                    txn: txn.clone(),
                    code: code.clone(),
                },
            ),
            _ => return entries,
        },
        (PaymentStatus::Expired, _, _) => {
            Entry::new(subject, Action::PaymentExpired).because(Some(Rule::TimeRanOut))
        }
        _ => return entries,
    };
    entries.push(entry);
    entries
}
