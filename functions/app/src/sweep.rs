//! The sweeper: pending payments whose callback has not come are asked about at their gateway
//! and settled or expired, so no parent waits a day for a lost IPN; payments that ended unpaid
//! within [`crate::Settings::recheck_window`] are asked about once more, so money captured after
//! the end whose notifications were all lost is found without an operator.
//!
//! Invariants: the sweeper changes state only through the same store steps as callbacks (settle,
//! expire) and only on a verified gateway answer or on the payment's own expiry; a payment whose
//! channel says money is in flight is never expired, only kept pending and, past
//! [`crate::Settings::in_flight_limit`], reported for review; like a callback, it logs every
//! outcome that leaves a parent owed money with its [`alarm`] message. A channel whose payment
//! stays open at the gateway until cancelled (payOS's link) has it cancelled before the payment
//! is expired, so a stale QR code stops taking money; if the cancel's answer says it was paid
//! meanwhile, that is settled instead.
//!
//! Each run is also the retention job (Law 91/2025/QH15; the periods are
//! [`hocphi_domain::privacy`]'s, as `infra/PRIVACY.md` lists them): [`App::retain`] drops
//! closed look-up windows and ended idempotency records and nonces, and removes the name and
//! class of payments that ended unpaid more than
//! [`hocphi_domain::privacy::UNPAID_PAYMENT_RETENTION_DAYS`] days ago.

use chrono::Duration;
use hocphi_domain::privacy::unpaid_payment_retention;
use hocphi_domain::{Actor, Clock, Payment, ReceiptToken, RetentionReport, Settled, Store};
use hocphi_gateways::{QueryAnswer, QueryContext, QueryStatus};

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
    /// Payments that had ended unpaid, asked about once more (their captures count in `settled`).
    pub rechecked: u32,
}

enum Swept {
    Settled,
    Expired,
    StillPending,
    NeedsReview,
    /// A recheck that found nothing new.
    Unchanged,
}

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Sweeps up to `limit` pending payments older than [`crate::Settings::sweep_after`],
    /// newest first (so old payments that only an operator can resolve never crowd out a
    /// parent's fresh one), then up to `limit` payments that ended unpaid within
    /// [`crate::Settings::recheck_window`], starting no query after
    /// [`crate::Settings::sweep_budget`].
    pub async fn sweep(&self, limit: usize) -> Result<SweepReport, ApiError> {
        let started = self.clock.now();
        let pending = self
            .store
            .pending_created_before(started - self.settings.sweep_after, limit)
            .await?;
        let ended = self
            .store
            .unpaid_expired_between(started - self.settings.recheck_window, started, limit)
            .await?;
        let mut report = SweepReport::default();
        for (payment, recheck) in pending
            .iter()
            .map(|p| (p, false))
            .chain(ended.iter().map(|p| (p, true)))
        {
            if self.clock.now() - started >= self.settings.sweep_budget {
                report.deferred += 1;
                continue;
            }
            let swept = if recheck {
                report.rechecked += 1;
                self.recheck(payment).await
            } else {
                report.examined += 1;
                self.sweep_one(payment).await
            };
            match swept {
                Ok(Swept::Settled) => report.settled += 1,
                Ok(Swept::Expired) => report.expired += 1,
                Ok(Swept::StillPending) => report.still_pending += 1,
                Ok(Swept::NeedsReview) => report.needs_review += 1,
                Ok(Swept::Unchanged) => {}
                Err(err) => {
                    report.failed += 1;
                    tracing::warn!(payment_ref = %payment.reference, error = %err, "{}", alarm::SWEEP_FAILED);
                }
            }
        }
        tracing::info!(?report, "sweep done");
        Ok(report)
    }

    /// The retention job: what [`Store::apply_retention`] removes, for payments that ended
    /// unpaid up to [`App::RETENTION_LOOKBACK`] before their period ran out (so a sweeper
    /// stopped for less than that misses none), at most `limit` of them.
    pub async fn retain(&self, limit: usize) -> Result<RetentionReport, ApiError> {
        let now = self.clock.now();
        let to = now - unpaid_payment_retention();
        let report = self
            .store
            .apply_retention(now, to - Self::RETENTION_LOOKBACK, to, limit)
            .await?;
        tracing::info!(?report, "retention done");
        Ok(report)
    }

    /// How far back each retention run looks for payments past their period.
    pub const RETENTION_LOOKBACK: Duration = Duration::days(3);

    /// Asks the payment's channel where it stands.
    async fn ask(&self, payment: &Payment) -> Result<QueryAnswer, ApiError> {
        let gateway = self
            .gateways
            .get(payment.gateway)
            .ok_or(ApiError::GatewayNotOffered)?;
        let request = gateway
            .query_request(
                payment,
                &QueryContext {
                    request_entropy: random()?,
                    server_ip: self.settings.server_ip,
                    now: self.clock.now(),
                },
            )
            .map_err(|e| ApiError::Internal(e.into()))?;
        let (_, body) = self
            .transport
            .send(&request)
            .await
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?;
        Ok(gateway
            .query_response(payment, &body)
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?
            .into_inner())
    }

    /// Applies a final answer through [`Store::settle`], as a callback would.
    async fn apply(
        &self,
        payment: &Payment,
        answer: &QueryAnswer,
    ) -> Result<Option<Swept>, ApiError> {
        let Some(event) = answer.status.event() else {
            return Ok(None);
        };
        let token = ReceiptToken::from_entropy(random()?);
        let settled = self
            .store
            .settle(
                &payment.reference,
                payment.gateway,
                &event,
                self.clock.now(),
                &token,
                &Actor::Sweeper,
            )
            .await?;
        tracing::info!(payment_ref = %payment.reference, outcome = outcome_name(&settled), "swept by query");
        alarm::settled(&payment.reference, payment.gateway, &settled);
        if let Settled::AmountMismatch { .. } = settled {
            tracing::warn!(payment_ref = %payment.reference, "{}", alarm::NEEDS_REVIEW);
        }
        Ok(Some(match settled {
            Settled::Applied(_) | Settled::AlreadyFinal(_) => Swept::Settled,
            Settled::AmountMismatch { .. } => Swept::NeedsReview,
            Settled::NotDue(_) | Settled::UnknownPayment => Swept::StillPending,
        }))
    }

    async fn sweep_one(&self, payment: &Payment) -> Result<Swept, ApiError> {
        let answer = self.ask(payment).await?;
        if let Some(swept) = self.apply(payment, &answer).await? {
            return Ok(swept);
        }
        let now = self.clock.now();
        match answer.status {
            QueryStatus::NeedsReview { code } => {
                tracing::warn!(payment_ref = %payment.reference, code = %code, "{}", alarm::NEEDS_REVIEW);
                Ok(Swept::NeedsReview)
            }
            QueryStatus::InProgress { code }
                if now >= payment.expires_at + self.settings.in_flight_limit =>
            {
                tracing::warn!(payment_ref = %payment.reference, code = %code, "{}", alarm::NEEDS_REVIEW);
                Ok(Swept::NeedsReview)
            }
            QueryStatus::InProgress { .. } => Ok(Swept::StillPending),
            QueryStatus::Pending if now < payment.expires_at => Ok(Swept::StillPending),
            QueryStatus::Pending | QueryStatus::NotFound => {
                if matches!(answer.status, QueryStatus::Pending)
                    && let Some(swept) = self.cancel(payment).await?
                {
                    return Ok(swept);
                }
                match self
                    .store
                    .expire(&payment.reference, now, &Actor::Sweeper)
                    .await?
                {
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

    /// Cancels the payment at its gateway when the channel has such a step; answers what was
    /// settled if the gateway says it was paid meanwhile, and keeps the payment from expiring
    /// when the answer shows money that does not settle it (for review) or money in flight.
    async fn cancel(&self, payment: &Payment) -> Result<Option<Swept>, ApiError> {
        let gateway = self
            .gateways
            .get(payment.gateway)
            .ok_or(ApiError::GatewayNotOffered)?;
        let Some(request) = gateway
            .cancel_request(payment)
            .map_err(|e| ApiError::Internal(e.into()))?
        else {
            return Ok(None);
        };
        let (_, body) = self
            .transport
            .send(&request)
            .await
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?;
        let answer = gateway
            .query_response(payment, &body)
            .map_err(|e| ApiError::GatewayUnavailable(e.into()))?
            .into_inner();
        tracing::info!(payment_ref = %payment.reference, "payment link cancelled");
        match answer.status {
            QueryStatus::Paid { .. } => self.apply(payment, &answer).await,
            QueryStatus::NeedsReview { code } => {
                tracing::warn!(payment_ref = %payment.reference, code = %code, "{}", alarm::NEEDS_REVIEW);
                Ok(Some(Swept::NeedsReview))
            }
            QueryStatus::InProgress { .. } => Ok(Some(Swept::StillPending)),
            QueryStatus::Pending | QueryStatus::NotFound | QueryStatus::Failed { .. } => Ok(None),
        }
    }

    /// Asks once more about a payment that ended unpaid; only a capture changes anything, under
    /// [`Store::settle`]'s late-capture rules (its invoices are paid if still open as it found
    /// them, else it is marked for refund).
    async fn recheck(&self, payment: &Payment) -> Result<Swept, ApiError> {
        let answer = self.ask(payment).await?;
        if let QueryStatus::Paid { .. } = answer.status {
            tracing::warn!(payment_ref = %payment.reference, status = payment.status.as_str(), "captured after it ended unpaid");
            if let Some(swept) = self.apply(payment, &answer).await? {
                return Ok(swept);
            }
        }
        Ok(Swept::Unchanged)
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
