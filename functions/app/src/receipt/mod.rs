//! `GET /api/receipts/{id}?t=…&lang=…`: a receipt, only to whoever holds its token, with its
//! printable document written in the language asked.
//!
//! Invariant: a malformed id, an unknown one and a wrong token are the same answer.

mod document;
mod markup;
pub mod words;

use hocphi_api::ReceiptResponse;
use hocphi_domain::{Clock, Receipt, ReceiptId, Store};

use crate::{ApiError, App, Transport};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// The receipt `id`, only to whoever holds its token.
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

    /// `GET /api/receipts/{id}?t=…&lang=…` as answered: the receipt with its own address drawn
    /// and its document written in `lang` (`en`; anything else is Vietnamese).
    pub async fn receipt_response(
        &self,
        id: &str,
        token: &str,
        lang: &str,
    ) -> Result<ReceiptResponse, ApiError> {
        let receipt = self.receipt(id, token).await?;
        let mut answer =
            ReceiptResponse::new(&receipt, crate::qr::picture(&self.receipt_url(&receipt)));
        answer.document = document::document(&answer, words::Lang::from_code(lang));
        Ok(answer)
    }
}
