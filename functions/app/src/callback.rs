//! Gateway callbacks: the only door through which a payment becomes paid.
//!
//! Invariants: the signature is verified (in constant time, by the gateway module) before
//! anything else; nothing is written for a callback that fails verification; a verified final
//! result is applied in one atomic store step; every outcome gets the gateway's own reply; every
//! outcome that leaves a parent owed money (a refund due, a capture of another amount) is logged
//! with its [`alarm`] message, once, when it happens. A payOS webhook is verified with the key of
//! the payee its path names, then applies only to a payment of that payee: one for another payee
//! is rejected like a forged one, with nothing written.

use hocphi_domain::{Actor, Clock, GatewayKind, PayeeId, PaymentRef, ReceiptToken, Store};
use hocphi_gateways::{CallbackOutcome, RawCallback, Reply};

use crate::{App, Transport, alarm, random};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Applies a gateway's server-to-server notification and answers in its format.
    pub async fn callback(&self, kind: GatewayKind, raw: RawCallback<'_>) -> Option<Reply> {
        let gateway = self.gateways.get(kind)?;
        let notification = match gateway.verify(raw) {
            Ok(verified) => verified.into_inner(),
            Err(err) => {
                tracing::warn!(gateway = kind.as_str(), reason = %err, "{}", alarm::CALLBACK_REJECTED);
                let outcome = CallbackOutcome::from_rejection(&err);
                if outcome == CallbackOutcome::AmountMismatch {
                    tracing::warn!(gateway = kind.as_str(), reason = %err, "{}", alarm::AMOUNT_MISMATCH);
                }
                return Some(gateway.acknowledge(outcome));
            }
        };
        let reference = &notification.reference;
        if kind == GatewayKind::Payos {
            match self.payee_matches(reference, raw.path_param).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(payment_ref = %reference, gateway = kind.as_str(), reason = "the payment is another payee's", "{}", alarm::CALLBACK_REJECTED);
                    return Some(gateway.acknowledge(CallbackOutcome::Rejected));
                }
                Err(err) => {
                    tracing::error!(payment_ref = %reference, error = %err, "could not read the payment's payee");
                    return Some(gateway.acknowledge(CallbackOutcome::Unavailable));
                }
            }
        }
        let Some(event) = notification.event() else {
            tracing::info!(payment_ref = %reference, gateway = kind.as_str(), outcome = ?notification.outcome, "callback not final");
            return Some(gateway.acknowledge(CallbackOutcome::NotFinal));
        };
        let outcome = match random::<16>() {
            Ok(entropy) => {
                let token = ReceiptToken::from_entropy(entropy);
                let result = self
                    .store
                    .settle(
                        reference,
                        kind,
                        event,
                        self.clock.now(),
                        &token,
                        &Actor::Channel { gateway: kind },
                    )
                    .await;
                match &result {
                    Err(err) => {
                        tracing::error!(payment_ref = %reference, error = %err, "settle failed");
                    }
                    Ok(settled) => alarm::settled(reference, kind, settled),
                }
                CallbackOutcome::from_settled(&result)
            }
            Err(err) => {
                err.log();
                CallbackOutcome::Unavailable
            }
        };
        tracing::info!(
            payment_ref = %reference,
            gateway = kind.as_str(),
            outcome = ?outcome,
            "callback applied"
        );
        Some(gateway.acknowledge(outcome))
    }

    /// Whether the payment is paid into the payee the webhook's path names; a payment hocphi
    /// does not have is left to the store to answer (unknown).
    async fn payee_matches(
        &self,
        reference: &PaymentRef,
        path_param: Option<&str>,
    ) -> Result<bool, hocphi_domain::StoreError> {
        let Some(payment) = self.store.payment(reference).await? else {
            return Ok(true);
        };
        let named = path_param.and_then(|p| PayeeId::parse(p).ok());
        Ok(payment.gateway == GatewayKind::Payos
            && payment.payee.is_some()
            && payment.payee == named)
    }
}
