//! The page's screens, one per route, and the small pieces they share. Screens render and wire
//! events; every decision they show comes from the plain modules (`lookup`, `checkout`,
//! `status`, `format`, `qr`).

mod arriving;
mod lookup;
mod receipt;
mod result;
mod transfer;

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::api::ClientError;
use crate::app::use_current_lang;
use crate::browser::{self, WebStorage};
use crate::checkout::Attempt;
use crate::i18n::Text;
use crate::read::{LastRead, Read};

pub use arriving::{arrived, arriving, receipt_screen, result_screen};
pub use lookup::LookupScreen;
pub use receipt::ReceiptScreenProps;
pub use result::ResultScreenProps;

/// A QR code drawn as one SVG path on white, named for screen readers by `label`.
#[component]
fn QrImage(qr: hocphi_api::QrPicture, label: Text) -> impl IntoView {
    let current_lang = use_current_lang();
    let view_box = crate::qr::view_box(&qr);
    view! {
        <svg
            xmlns="http://www.w3.org/2000/svg"
            viewBox=view_box
            role="img"
            aria-label=current_lang.t(label)
            shape-rendering="crispEdges"
        >
            <rect width="100%" height="100%" fill="#fff"></rect>
            <path d=qr.path fill="#000"></path>
        </svg>
    }
}

/// A failed call, in the parent's language, announced at once, with a retry when one may help.
#[component]
fn ErrorNotice(
    /// What went wrong.
    error: ClientError,
    /// The id other elements use to point at this message (`aria-describedby`).
    #[prop(optional)]
    id: Option<&'static str>,
    /// Sends the same request again; offered only when the error is worth retrying.
    #[prop(optional)]
    retry: Option<Callback<()>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let retry = retry.filter(|_| error.is_retryable());
    view! {
        <div class="notice notice--error" role="alert" id=id>
            <p>{move || error.message(current_lang.lang())}</p>
            {retry.map(|retry| view! {
                <button type="button" class="button" on:click=move |_| retry.run(())>
                    {current_lang.t(Text::TryAgain)}
                </button>
            }.into_any())}
        </div>
    }
}

/// A labelled value in a description list.
fn entry(label: Text, value: impl Into<String>) -> AnyView {
    let current_lang = use_current_lang();
    let value = value.into();
    view! {
        <div class="entry">
            <dt>{current_lang.t(label)}</dt>
            <dd>{value}</dd>
        </div>
    }
    .into_any()
}

/// The way back to the look-up form, as a button.
fn back_to_lookup() -> AnyView {
    let current_lang = use_current_lang();
    view! { <p><a class="button" href="/">{current_lang.t(Text::BackToLookup)}</a></p> }.into_any()
}

/// An address that cannot lead anywhere, said at once, and the way back to the look-up form.
fn dead_end(text: Text) -> AnyView {
    let current_lang = use_current_lang();
    view! {
        <div class="notice notice--error" role="alert">
            <p>{current_lang.t(text)}</p>
        </div>
        {back_to_lookup()}
    }
    .into_any()
}

/// An address the page does not serve.
#[component]
pub fn NotFoundScreen() -> impl IntoView {
    let current_lang = use_current_lang();
    view! {
        <h1>{current_lang.t(Text::PageNotFound)}</h1>
        <p><a href="/">{current_lang.t(Text::BackToLookup)}</a></p>
    }
}

/// The payment attempt saved for this browser tab, if any. The browser parses the stored text,
/// and the same text is read once (see [`LastRead`]): a transfer's attempt
/// carries its QR code, and a screen's mount asks several times.
pub(crate) fn stored_attempt() -> Option<Attempt> {
    thread_local! {
        static LAST: RefCell<LastRead<JsValue, Attempt>> = const { RefCell::new(LastRead::new()) };
    }
    let text = browser::load_value(WebStorage::Session, Attempt::STORAGE_KEY)?;
    LAST.with_borrow_mut(|last| {
        last.read(text, |text| {
            browser::parse_json(text).and_then(|value| Attempt::read(&value))
        })
    })
}
