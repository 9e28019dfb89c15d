//! `GET /api/receipts/{id}?t=…`: a receipt, only to whoever holds its token.
//!
//! Invariant: a malformed id, an unknown one and a wrong token are the same answer.

use hocphi_api::ReceiptResponse;
use hocphi_domain::{Clock, Receipt, ReceiptId, Store};

use crate::{ApiError, App, Transport};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// `GET /api/receipts/{id}?t=…`: the receipt, only to whoever holds its token.
    pub async fn receipt(&self, id: &str, token: &str) -> Result<Receipt, ApiError> {
        let id = ReceiptId::parse(id).map_err(|_| ApiError::UnknownReceipt)?;
        match self.store.receipt(&id).await? {
            Some(receipt) if receipt.token.admits(token) => Ok(receipt),
            Some(_) | None => Err(ApiError::UnknownReceipt),
        }
    }

    /// The receipt's page on the site, the address its QR code holds and partners link to.
    pub fn receipt_url(&self, receipt: &Receipt) -> String {
        format!(
            "{}/bien-lai/{}?t={}",
            self.settings.site_url,
            receipt.id.as_str(),
            receipt.token.as_str()
        )
    }

    /// `GET /api/receipts/{id}?t=…` as answered: the receipt with its own address drawn.
    pub async fn receipt_response(
        &self,
        id: &str,
        token: &str,
    ) -> Result<ReceiptResponse, ApiError> {
        let receipt = self.receipt(id, token).await?;
        Ok(ReceiptResponse::new(
            &receipt,
            crate::qr::picture(&self.receipt_url(&receipt)),
        ))
    }
}
