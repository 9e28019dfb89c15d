//! `GET /api/payments/{ref}`: where a payment stands, with its receipt's link once it has one.
//!
//! Invariant: a malformed reference and an unknown one are the same answer.

use hocphi_api::PaymentStatusResponse;
use hocphi_domain::{Clock, PaymentRef, PaymentStatus, ReceiptId, Store};

use crate::{ApiError, App, Transport};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// `GET /api/payments/{ref}`: where a payment stands, with its receipt once it has one.
    pub async fn status(&self, reference: &str) -> Result<PaymentStatusResponse, ApiError> {
        let reference = PaymentRef::parse(reference).map_err(|_| ApiError::UnknownPayment)?;
        let payment = self
            .store
            .payment(&reference)
            .await?
            .ok_or(ApiError::UnknownPayment)?;
        let receipt = match payment.status {
            PaymentStatus::Succeeded => {
                self.store
                    .receipt(&ReceiptId::for_payment(&payment.reference))
                    .await?
            }
            PaymentStatus::Pending
            | PaymentStatus::Failed
            | PaymentStatus::Expired
            | PaymentStatus::RefundDue
            | PaymentStatus::Mismatched => None,
        };
        Ok(PaymentStatusResponse::new(&payment, receipt.as_ref()))
    }
}
