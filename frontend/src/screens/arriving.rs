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

use hocphi_api::InvoicesResponse;
use hocphi_domain::{PaymentRef, ReceiptId, ReceiptToken};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_split_helpers::{SplitLoaderError, wasm_split};

use super::ErrorNotice;
use super::lookup::Invoices;
use super::receipt::ReceiptScreen;
use super::result::{Outcome, ResultScreen};
use crate::api::ClientError;
use crate::browser;
use crate::checkout::Opened;
use crate::lookup::LookupQuery;
use crate::route::Screen;

/// The student's invoices and the payment summary, once a look-up found them (see
/// [`Invoices`]).
#[wasm_split(invoices, fallible, preload(preload_invoices))]
pub fn invoices(
    query: LookupQuery,
    response: InvoicesResponse,
    change_student: Callback<()>,
    reload: Callback<()>,
    paying: RwSignal<Option<Opened>>,
    renew: RwSignal<Option<Callback<()>>>,
) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <Invoices query response change_student reload paying renew/> }.into_any())
}

/// The result screen for `reference`.
#[wasm_split(outcome, fallible, preload(preload_outcome))]
pub fn result_screen(reference: Option<PaymentRef>) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ResultScreen reference/> }.into_any())
}

/// The polled outcome of one payment (see [`Outcome`]).
#[wasm_split(outcome, fallible)]
pub fn outcome(
    reference: PaymentRef,
    opened: Option<Opened>,
    renew: Option<Callback<()>>,
) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <Outcome reference opened renew/> }.into_any())
}

/// The receipt screen for `id` and its token.
#[wasm_split(receipt, fallible, preload(preload_receipt))]
pub fn receipt_screen(
    id: ReceiptId,
    token: Option<ReceiptToken>,
) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <ReceiptScreen id token/> }.into_any())
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
