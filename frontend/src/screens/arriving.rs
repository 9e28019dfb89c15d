//! What a first visit does not need at once, each built by code that arrives in a WebAssembly
//! module of its own (split off by `frontend/build.sh`): the invoices a look-up found (fetched
//! beside the look-up itself), the outcome of a payment (`/ket-qua`, and the look-up's bank
//! transfer after a checkout, fetched beside the checkout) and the receipt (`/bien-lai/…`). Off
//! the browser they are plain calls.
//!
//! A module is fetched once and kept; a failed fetch is not remembered, so showing the screen
//! again fetches it again. [`arrived`] fetches what an address's screen needs, so that the page
//! keeps the static first screen until the app can show that screen at once; [`arriving`] shows
//! a screen as soon as its module is there, or the failure with a retry.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_split_helpers::{SplitLoaderError, wasm_split};

use super::ErrorNotice;
use super::lookup::{Invoices, InvoicesProps};
use super::receipt::{ReceiptScreen, ReceiptScreenProps};
use super::result::{Outcome, OutcomeProps, ResultScreen, ResultScreenProps};
use crate::api::ClientError;
use crate::browser;
use crate::route::Screen;

/// The student's invoices and the payment summary, once a look-up found them.
#[wasm_split(invoices, fallible, preload(preload_invoices))]
pub(super) fn invoices(props: InvoicesProps) -> Result<AnyView, SplitLoaderError> {
    Ok(Invoices(props).into_any())
}

/// The result screen.
#[wasm_split(outcome, fallible, preload(preload_outcome))]
pub fn result_screen(props: ResultScreenProps) -> Result<AnyView, SplitLoaderError> {
    Ok(ResultScreen(props).into_any())
}

/// The polled outcome of one payment, also shown by the look-up after a bank-transfer checkout.
#[wasm_split(outcome, fallible)]
pub(super) fn outcome(props: OutcomeProps) -> Result<AnyView, SplitLoaderError> {
    Ok(Outcome(props).into_any())
}

/// The receipt screen.
#[wasm_split(receipt, fallible, preload(preload_receipt))]
pub fn receipt_screen(props: ReceiptScreenProps) -> Result<AnyView, SplitLoaderError> {
    Ok(ReceiptScreen(props).into_any())
}

/// Fetches the module `screen` is built by, if it has one and it is not there yet. A failure is
/// left to [`arriving`], which says it.
pub async fn arrived(screen: &Screen) {
    let _ = match screen {
        Screen::Result { .. } | Screen::PayosReturn => preload_outcome().await,
        Screen::Receipt { .. } => preload_receipt().await,
        Screen::Lookup { .. } | Screen::NotFound => Ok(()),
    };
}

/// The view `build` makes once its module is there: at once when it already is, else when it
/// arrives, or the failure to fetch it with a retry.
pub fn arriving<F>(build: impl Fn() -> F + Send + Sync + 'static) -> AnyView
where
    F: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    let tries = RwSignal::new(0_u32);
    let retry = Callback::new(move |()| tries.update(|n| *n += 1));
    (move || {
        tries.track();
        let built = build();
        Suspend::new(SendWrapper::new(async move {
            built.await.unwrap_or_else(|_| {
                let error = if browser::online() {
                    ClientError::Network
                } else {
                    ClientError::Offline
                };
                view! { <ErrorNotice error retry/> }.into_any()
            })
        }))
    })
    .into_any()
}
