//! The page's screens, one per route, and the small pieces they share. Screens render and wire
//! events; every decision they show comes from the plain modules (`lookup`, `checkout`,
//! `status`, `format`, `qr`).

mod lookup;
mod receipt;
mod result;

use leptos::prelude::*;

use crate::api::ClientError;
use crate::app::use_locale;
use crate::browser::{self, Store};
use crate::checkout::Attempt;
use crate::i18n::Text;

pub use lookup::LookupScreen;
pub use receipt::ReceiptScreen;
pub use result::ResultScreen;

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
    let locale = use_locale();
    let retry = retry.filter(|_| error.is_retryable());
    view! {
        <div class="notice notice--error" role="alert" id=id>
            <p>{move || error.message(locale.lang())}</p>
            {retry.map(|retry| view! {
                <button type="button" class="button" on:click=move |_| retry.run(())>
                    {locale.t(Text::TryAgain)}
                </button>
            })}
        </div>
    }
}

/// A labelled value in a description list.
fn entry(label: Text, value: impl Into<String>) -> AnyView {
    let locale = use_locale();
    let value = value.into();
    view! {
        <div class="entry">
            <dt>{locale.t(label)}</dt>
            <dd>{value}</dd>
        </div>
    }
    .into_any()
}

/// An address the page does not serve.
#[component]
pub fn NotFoundScreen() -> impl IntoView {
    let locale = use_locale();
    view! {
        <h1>{locale.t(Text::PageNotFound)}</h1>
        <p><a href="/">{locale.t(Text::BackToLookup)}</a></p>
    }
}

/// The payment attempt saved for this browser tab, if any.
fn stored_attempt() -> Option<Attempt> {
    browser::load(Store::Session, Attempt::STORAGE_KEY)
        .and_then(|json| serde_json::from_str(&json).ok())
}
