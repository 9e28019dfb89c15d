//! The log messages the operators' alarms watch: each deployed stack has a metric filter on
//! `$.message` for every one of [`ALARMED`] in the log group of every function whose use cases
//! log it ([`logged_by`]; the template checks hold the template to both), so a use case logs
//! them only through these constants.

use hocphi_domain::{GatewayKind, PaymentRef, PaymentStatus, Settled};

/// A callback failed verification (a forged, tampered or misaddressed notification).
pub const CALLBACK_REJECTED: &str = "callback rejected";
/// The sweeper found a payment that only an operator can resolve.
pub const NEEDS_REVIEW: &str = "payment needs an operator's review";
/// The sweeper could not finish one payment.
pub const SWEEP_FAILED: &str = "sweep of one payment failed";
/// A gateway captured money for invoices no longer open (paid or changed meanwhile): the payment
/// is recorded RefundDue and the parent is owed a refund.
pub const REFUND_DUE: &str = "money captured for invoices no longer open: refund due";
/// A gateway reports a capture of another amount than the payment's: nothing is paid, and the
/// money must be returned. Logged once per newly recorded transfer, not on a repeated one.
pub const AMOUNT_MISMATCH: &str = "captured amount differs from the payment's";

/// A partner's verified confirmation was refused (no such bill, a school it does not collect
/// for, a transaction id reused for another bill, a replayed nonce): the partner may hold a
/// parent's money that hocphi did not record as paid.
pub const PARTNER_REFUSED: &str = "partner confirmation refused";
/// A partner asked to reverse a payment; hocphi never does, so an operator follows it up.
pub const PARTNER_REVERSAL_REFUSED: &str = "partner reversal refused";

/// Every alarmed message.
pub const ALARMED: [&str; 7] = [
    CALLBACK_REJECTED,
    NEEDS_REVIEW,
    SWEEP_FAILED,
    REFUND_DUE,
    AMOUNT_MISMATCH,
    PARTNER_REFUSED,
    PARTNER_REVERSAL_REFUSED,
];

/// Logs the alarm a settle's outcome raises, if any: money captured for invoices no longer open
/// ([`REFUND_DUE`]) or a capture of another amount ([`AMOUNT_MISMATCH`]). Both the callback and
/// the sweeper settle through here, so neither can forget one.
pub(crate) fn settled(reference: &PaymentRef, gateway: GatewayKind, settled: &Settled) {
    match settled {
        Settled::Applied(state) if state.payment.status == PaymentStatus::RefundDue => {
            tracing::warn!(payment_ref = %reference, gateway = gateway.as_str(), "{}", REFUND_DUE);
        }
        Settled::AmountMismatch {
            expected,
            recorded: true,
        } => {
            tracing::warn!(payment_ref = %reference, gateway = gateway.as_str(), expected = %expected, "{}", AMOUNT_MISMATCH);
        }
        Settled::AmountMismatch {
            recorded: false, ..
        }
        | Settled::Applied(_)
        | Settled::AlreadyFinal(_)
        | Settled::NotDue(_)
        | Settled::UnknownPayment => {}
    }
}

/// A use case that logs alarmed messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UseCase {
    /// A gateway's notification ([`crate::App::callback`]), on every channel.
    Callback,
    /// The sweeper's queries ([`crate::App::sweep`]).
    Sweep,
    /// The partner API: look-ups, confirmations and reversals (a signature that fails logs
    /// [`CALLBACK_REJECTED`], as a channel's does).
    Partner,
}

/// The alarmed messages `use_case` logs.
pub fn logged_by(use_case: UseCase) -> &'static [&'static str] {
    match use_case {
        UseCase::Callback => &[CALLBACK_REJECTED, REFUND_DUE, AMOUNT_MISMATCH],
        UseCase::Sweep => &[NEEDS_REVIEW, SWEEP_FAILED, REFUND_DUE, AMOUNT_MISMATCH],
        UseCase::Partner => &[
            CALLBACK_REJECTED,
            PARTNER_REFUSED,
            PARTNER_REVERSAL_REFUSED,
            REFUND_DUE,
            AMOUNT_MISMATCH,
        ],
    }
}
