//! `GET /api/receipts/{id}?t=…`: a receipt, only to whoever holds its token.
//!
//! Invariant: a malformed id, an unknown one and a wrong token are the same answer.

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
}
