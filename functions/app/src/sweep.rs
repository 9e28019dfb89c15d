//! The sweeper: pending payments whose callback has not come are asked about at their gateway
//! and settled or expired, so no parent waits a day for a lost IPN.
//!
//! Invariant: the sweeper changes state only through the same store steps as callbacks (settle,
//! expire) and only on a verified gateway answer or on the payment's own expiry; like a callback,
//! it logs every outcome that leaves a parent owed money with its [`alarm`] message.

use hocphi_domain::{Clock, Payment, PaymentStatus, ReceiptToken, Settled, Store};
use hocphi_gateways::{QueryContext, QueryStatus};

use crate::{ApiError, App, Transport, alarm, random};

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: u32,
    pub settled: u32,
    pub expired: u32,
    pub still_pending: u32,
    pub needs_review: u32,
    pub failed: u32,
    /// Listed but left for the next run once the time budget was spent.
    pub deferred: u32,
}

enum Swept {
    Settled,
    Expired,
    StillPending,
    NeedsReview,
}

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Sweeps up to `limit` pending payments older than [`crate::Settings::sweep_after`],
    /// newest first (so old payments that only an operator can resolve never crowd out a
    /// parent's fresh one), starting no query after [`crate::Settings::sweep_budget`].
    pub async fn sweep(&self, limit: usize) -> Result<SweepReport, ApiError> {
        let started = self.clock.now();
        let pending = self
            .store
            .pending_created_before(started - self.settings.sweep_after, limit)
            .await?;
        let mut report = SweepReport::default();
        for payment in pending {
            if self.clock.now() - started >= self.settings.sweep_budget {
                report.deferred += 1;
                continue;
            }
            report.examined += 1;
            match self.sweep_one(&payment).await {
                Ok(Swept::Settled) => report.settled += 1,
                Ok(Swept::Expired) => report.expired += 1,
                Ok(Swept::StillPending) => report.still_pending += 1,
                Ok(Swept::NeedsReview) => report.needs_review += 1,
                Err(err) => {
                    report.failed += 1;
                    tracing::warn!(payment_ref = %payment.reference, error = %err, "{}", alarm::SWEEP_FAILED);
                }
            }
        }
        tracing::info!(?report, "sweep done");
        Ok(report)
    }

    async fn sweep_one(&self, payment: &Payment) -> Result<Swept, ApiError> {
        let gateway = self
            .gateways
            .get(payment.gateway)
            .ok_or(ApiError::GatewayNotOffered)?;
        let now = self.clock.now();
        let request = gateway
            .query_request(
                payment,
                &QueryContext {
                    request_entropy: random()?,
                    server_ip: self.settings.server_ip,
                    now,
                },
            )
            .map_err(|e| ApiError::Internal(e.into()))?;
        let (_, body) = self
            .transport
            .send(&request)
            .await
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?;
        let answer = gateway
            .query_response(payment, &body)
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?
            .into_inner();
        if let Some(event) = answer.status.event() {
            let token = ReceiptToken::from_entropy(random()?);
            let settled = self
                .store
                .settle(&payment.reference, &event, now, &token)
                .await?;
            tracing::info!(payment_ref = %payment.reference, outcome = outcome_name(&settled), "swept by query");
            match &settled {
                Settled::Applied(state) if state.payment.status == PaymentStatus::RefundDue => {
                    tracing::warn!(payment_ref = %payment.reference, gateway = payment.gateway.as_str(), "{}", alarm::REFUND_DUE);
                }
                Settled::AmountMismatch { expected } => {
                    tracing::warn!(payment_ref = %payment.reference, gateway = payment.gateway.as_str(), expected = %expected, "{}", alarm::AMOUNT_MISMATCH);
                    tracing::warn!(payment_ref = %payment.reference, "{}", alarm::NEEDS_REVIEW);
                }
                _ => {}
            }
            return Ok(match settled {
                Settled::Applied(_) | Settled::AlreadyFinal(_) => Swept::Settled,
                Settled::AmountMismatch { .. } => Swept::NeedsReview,
                Settled::NotDue(_) | Settled::UnknownPayment => Swept::StillPending,
            });
        }
        match answer.status {
            QueryStatus::NeedsReview { code } => {
                tracing::warn!(payment_ref = %payment.reference, code = %code, "{}", alarm::NEEDS_REVIEW);
                Ok(Swept::NeedsReview)
            }
            QueryStatus::Pending | QueryStatus::NotFound => {
                match self.store.expire(&payment.reference, now).await? {
                    Settled::Applied(_) => {
                        tracing::info!(payment_ref = %payment.reference, "expired");
                        Ok(Swept::Expired)
                    }
                    Settled::NotDue(_)
                    | Settled::AlreadyFinal(_)
                    | Settled::AmountMismatch { .. }
                    | Settled::UnknownPayment => Ok(Swept::StillPending),
                }
            }
            QueryStatus::Paid { .. } | QueryStatus::Failed { .. } => Ok(Swept::StillPending),
        }
    }
}

fn outcome_name(settled: &Settled) -> &'static str {
    match settled {
        Settled::Applied(_) => "applied",
        Settled::AlreadyFinal(_) => "already_final",
        Settled::AmountMismatch { .. } => "amount_mismatch",
        Settled::NotDue(_) => "not_due",
        Settled::UnknownPayment => "unknown_payment",
    }
}
