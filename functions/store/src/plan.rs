//! What a settle, an expiry or a partner's capture changes, decided once for every adapter.
//!
//! An adapter reads the payment and its invoices, asks [`plan`] what to write, and writes it in
//! one atomic step (allocating the receipt number in that same step when the plan pays),
//! conditional on the payment's version as read. A partner's capture ([`capture`]) is the same
//! plan for a payment not stored yet: the adapter inserts the planned payment, conditional on
//! its reference being unused, instead of updating it.

use chrono::{DateTime, Utc};
use hocphi_domain::{
    Decision, GatewayEvent, GatewayTxnNo, Invoice, InvoiceStatus, Mismatch, Payment, PaymentStatus,
    StoreError, Transition,
};

/// The writes one transition needs.
#[derive(Debug)]
pub(crate) enum Plan {
    /// Nothing changes; the payment already has its outcome.
    Keep(Payment),
    /// The payment closes without paying anything (failed, expired, or refund due); its holds
    /// on invoices are released.
    Close(Payment),
    /// The payment succeeds: these invoices become Paid and a receipt is issued for `txn`.
    Pay {
        payment: Payment,
        invoices: Vec<Invoice>,
        txn: GatewayTxnNo,
    },
    /// A capture of another amount. When `recorded`, the transfer was appended to the payment's
    /// mismatches (and a payment still open to a capture became Mismatched): write the payment
    /// and release its holds on invoices. Otherwise the transfer was already there: write nothing.
    Mismatch { payment: Payment, recorded: bool },
}

/// Decides the writes of `transition` for `payment`, given its covered invoices as currently
/// stored (in the payment's order; `None` where one is missing). A capture pays only invoices
/// still as the payment found them ([`Payment::still_covers`]); otherwise the money is refund due.
pub(crate) fn plan(
    mut payment: Payment,
    decision: Decision,
    event: Option<&GatewayEvent>,
    invoices: Vec<Option<Invoice>>,
    at: DateTime<Utc>,
) -> Plan {
    let transition = match decision {
        Decision::Apply(transition) => transition,
        Decision::AmountMismatch { .. } => return mismatch(payment, event, at),
    };
    let status = match (transition, event) {
        (Transition::Settle, Some(GatewayEvent::Paid { txn, .. })) => {
            let current: Option<Vec<Invoice>> = invoices.into_iter().collect();
            if let Some(mut invoices) = current.filter(|i| payment.still_covers(i)) {
                for invoice in &mut invoices {
                    invoice.status = InvoiceStatus::Paid;
                    invoice.version += 1;
                }
                touch(&mut payment, event, PaymentStatus::Succeeded);
                return Plan::Pay {
                    txn: txn.clone(),
                    payment,
                    invoices,
                };
            }
            PaymentStatus::RefundDue
        }
        (Transition::Fail, Some(GatewayEvent::Declined { code, .. })) => {
            payment.failure_code = Some(code.clone());
            PaymentStatus::Failed
        }
        (Transition::Expire, _) => PaymentStatus::Expired,
        (Transition::Keep, _) | (Transition::Settle | Transition::Fail, _) => {
            return Plan::Keep(payment);
        }
    };
    touch(&mut payment, event, status);
    Plan::Close(payment)
}

/// Decides the writes of storing `payment`, which a partner already captured, with `event`
/// applied exactly as [`plan`] applies it to a stored payment: [`Plan::Pay`], [`Plan::Close`]
/// (refund due) or a recorded [`Plan::Mismatch`]. Refused (as corrupt input, nothing written)
/// unless `payment` is Pending with no transfer recorded yet and `event` is a capture.
pub(crate) fn capture(
    payment: Payment,
    event: &GatewayEvent,
    invoices: Vec<Option<Invoice>>,
    at: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    let fresh = payment.status == PaymentStatus::Pending
        && payment.mismatches.is_empty()
        && payment.gateway_txn.is_none();
    if !fresh || !matches!(event, GatewayEvent::Paid { .. }) {
        return Err(StoreError::Corrupt(
            "a capture to record is a Pending payment and its Paid event".into(),
        ));
    }
    let decision = payment.decide(event);
    Ok(plan(payment, decision, Some(event), invoices, at))
}

/// Records a transfer of another amount once per transaction number; it never pays.
fn mismatch(mut payment: Payment, event: Option<&GatewayEvent>, at: DateTime<Utc>) -> Plan {
    let Some(GatewayEvent::Paid { txn, amount }) = event else {
        return Plan::Keep(payment);
    };
    let recorded = !payment.mismatches.iter().any(|m| m.txn == *txn);
    if recorded {
        payment.mismatches.push(Mismatch {
            txn: txn.clone(),
            amount: *amount,
            at,
        });
        payment.version += 1;
        match payment.status {
            PaymentStatus::Pending | PaymentStatus::Failed | PaymentStatus::Expired => {
                payment.status = PaymentStatus::Mismatched;
            }
            PaymentStatus::Succeeded | PaymentStatus::RefundDue | PaymentStatus::Mismatched => {}
        }
    }
    Plan::Mismatch { payment, recorded }
}

fn touch(payment: &mut Payment, event: Option<&GatewayEvent>, status: PaymentStatus) {
    payment.status = status;
    payment.version += 1;
    match event {
        Some(GatewayEvent::Paid { txn, .. } | GatewayEvent::Declined { txn: Some(txn), .. }) => {
            payment.gateway_txn = Some(txn.clone());
        }
        Some(GatewayEvent::Declined { txn: None, .. }) | None => {}
    }
}
