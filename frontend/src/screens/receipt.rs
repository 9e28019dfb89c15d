//! `/bien-lai/{id}?t=…`: the school's receipt voucher ("biên lai thu tiền"), laid out to print on
//! A5, with a QR code that opens this same address, so whoever holds the paper can check it
//! against the system.
//!
//! The functions write the receipt's document in the parent's language (`lang`); the screen
//! fetches it again when the language changes, keeps the one shown until the other arrives
//! (or if it cannot), and adds what is the page's own: the title while loading, errors with a
//! retry, and the print button.

use hocphi_domain::{ReceiptId, ReceiptToken};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ErrorNotice, back_to_lookup, dead_end};
use crate::api::{self, ClientError};
use crate::app::use_current_lang;
use crate::browser;
use crate::i18n::Text;

/// A receipt, fetched with its token.
#[component]
pub fn ReceiptScreen(
    /// The receipt's id from the address.
    id: ReceiptId,
    /// Its token from `?t=`, if the address carried a valid one.
    token: Option<ReceiptToken>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let Some(token) = token else {
        return view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            {dead_end(Text::ReceiptBadLink)}
        }
        .into_any();
    };
    let document = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<ClientError>);
    let fetch = Callback::new(move |()| {
        let (id, token) = (id.clone(), token.clone());
        let lang = current_lang.lang_untracked();
        spawn_local(async move {
            let answer = api::receipt(&id, &token, lang).await;
            if current_lang.lang_untracked() != lang {
                return;
            }
            match answer {
                Ok(receipt) => {
                    let _ = failure.try_set(None);
                    let _ = document.try_set(Some(receipt.document));
                }
                Err(error) if document.try_with_untracked(Option::is_none) == Some(true) => {
                    let _ = failure.try_set(Some(error));
                }
                Err(_) => {}
            }
        });
    });
    Effect::new(move || {
        current_lang.lang();
        fetch.run(());
    });
    let retry = Callback::new(move |()| {
        failure.set(None);
        fetch.run(());
    });
    let shown = move || match (document.get(), failure.get()) {
        (Some(document), _) => view! {
            <article class="receipt" aria-labelledby="receipt-title" inner_html=document></article>
            <div class="actions no-print">
                <button
                    type="button"
                    class="button button--primary"
                    on:click=move |_| browser::print()
                >
                    {t(Text::Print)}
                </button>
                <p class="hint">{t(Text::PrintHint)}</p>
            </div>
        }
        .into_any(),
        (None, None) => view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            <p class="outcome outcome--waiting" role="status">
                <span class="spinner" aria-hidden="true"></span>
                {t(Text::ReceiptLoading)}
            </p>
        }
        .into_any(),
        (None, Some(error)) => view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            <ErrorNotice error retry/>
            {back_to_lookup()}
        }
        .into_any(),
    };
    shown.into_any()
}
