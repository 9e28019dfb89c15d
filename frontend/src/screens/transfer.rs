//! The bank transfer shown on the site (payOS): the VietQR code of payOS's `qrCode` payload as
//! the functions drew it, what a parent types by hand (bank, account, exact amount, memo, each with a copy
//! button), the time left, the rule that amount and memo must not change, a picture of the code
//! to save on a phone, and payOS's own page as the fallback.
//!
//! The picture, the panel's heaviest work, is made in a task of its own once the panel is drawn,
//! and its link's place is kept until then.
//!
//! No VietQR deep link into a banking app is offered: NAPAS publishes none; the one public
//! scheme (`dl.vietqr.io`) is a third party's redirector that needs a per-app list and would
//! receive the account, amount and memo. payOS's page, linked here, opens banking apps itself.

use chrono::{DateTime, Utc};
use hocphi_domain::PaymentRef;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::QrImage;
use crate::app::use_current_lang;
use crate::browser::{self, Copied};
use crate::checkout::Transfer;
use crate::format;
use crate::i18n::Text;
use crate::qr;

/// Pixels a module in the picture a phone saves: a 400–500 px code, plenty for a banking app.
const SAVED_SCALE: u32 = 8;

/// The transfer to make, until the QR code expires.
#[component]
pub fn TransferPanel(
    /// The payment the transfer pays.
    reference: PaymentRef,
    /// What to transfer, and payOS's page.
    transfer: Transfer,
    /// When the QR code stops being accepted.
    expires_at: DateTime<Utc>,
    /// The clock, ticking every second.
    now: RwSignal<DateTime<Utc>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let Transfer {
        details,
        checkout_url,
    } = transfer;
    let svg = details.qr.clone();
    let picture = RwSignal::new(None::<String>);
    if let Some(drawn) = svg.clone() {
        set_timeout(
            move || {
                let _ = picture.try_set(qr::png_data_url(&drawn, SAVED_SCALE));
            },
            std::time::Duration::ZERO,
        );
    }
    let fallback = (checkout_url.starts_with("https://") || checkout_url.starts_with("http://"))
        .then_some(checkout_url);
    let copied = RwSignal::new(None::<(&'static str, Copied)>);

    let row = move |id: &'static str, label: Text, shown: String, copy: Option<String>| {
        let button = copy.map(|text| {
            view! {
                <button
                    type="button"
                    class="button button--copy"
                    on:click=move |_| {
                        let text = text.clone();
                        spawn_local(async move {
                            let done = browser::copy(&text, id).await;
                            let _ = copied.try_set(Some((id, done)));
                        });
                    }
                >
                    {move || {
                        if copied.get() == Some((id, Copied::Done)) {
                            t(Text::Copied)()
                        } else {
                            t(Text::Copy)()
                        }
                    }}
                    <span class="visually-hidden">" · "{t(label)}</span>
                </button>
            }
            .into_any()
        });
        view! {
            <div class="entry transfer__row">
                <dt>{t(label)}</dt>
                <dd><span id=id class="transfer__value">{shown}</span>{button}</dd>
            </div>
        }
    };
    let bank = details
        .bank_name
        .clone()
        .unwrap_or_else(|| format!("BIN {}", details.bank_bin));
    let announced = move || match copied.get() {
        Some((_, Copied::Done)) => t(Text::Copied)(),
        Some((_, Copied::Selected)) => t(Text::CopyManually)(),
        None => "",
    };
    let no_qr = svg.is_none();
    let qr_view = match svg {
        Some(svg) => {
            let save = view! {
                <p class="transfer__phone">
                    <a
                        class="button"
                        href=move || picture.get()
                        download=format!("VietQR-{}.png", reference.as_str())
                    >
                        {t(Text::SaveQr)}
                    </a>
                </p>
                <p class="hint transfer__phone">{t(Text::SaveQrHint)}</p>
            };
            view! {
                <figure class="transfer__qr">
                    <QrImage qr=svg label=Text::TransferQrLabel />
                </figure>
                {save}
            }
            .into_any()
        }
        None => view! {
            <p class="notice notice--warn">{t(Text::NoQr)}</p>
        }
        .into_any(),
    };
    let fallback_link = fallback.map(|href| {
        let class = if no_qr {
            "button button--primary"
        } else {
            "button button--link"
        };
        view! {
            <p><a class=class href=href rel="noopener noreferrer">{t(Text::OpenPayos)}</a></p>
        }
        .into_any()
    });

    view! {
        <section class="card transfer" aria-labelledby="transfer-heading">
            <h2 id="transfer-heading" tabindex="-1">{t(Text::TransferTitle)}</h2>
            <p>{t(Text::TransferIntro)}</p>
            <p class="transfer__time">
                {t(Text::TimeLeft)}": "
                <strong role="timer" class="amount">
                    {move || format::countdown((expires_at - now.get()).num_seconds())}
                </strong>
            </p>
            {qr_view}
            <p class="notice notice--warn"><strong>{t(Text::TransferKeepExact)}</strong></p>
            <dl class="entries transfer__details">
                {row("transfer-bank", Text::TransferBank, bank, None)}
                {row(
                    "transfer-account",
                    Text::TransferAccountNumber,
                    details.account_number.clone(),
                    Some(details.account_number.clone()),
                )}
                {row(
                    "transfer-name",
                    Text::TransferAccountName,
                    details.account_name.clone(),
                    Some(details.account_name.clone()),
                )}
                {row(
                    "transfer-amount",
                    Text::Amount,
                    details.amount.to_string(),
                    Some(details.amount.vnd().to_string()),
                )}
                {row(
                    "transfer-memo",
                    Text::TransferMemo,
                    details.memo.clone(),
                    Some(details.memo.clone()),
                )}
            </dl>
            <p class="visually-hidden" role="status">{announced}</p>
            {move || (copied.get().map(|(_, c)| c) == Some(Copied::Selected)).then(|| view! {
                <p class="hint">{t(Text::CopyManually)}</p>
            }.into_any())}
            {fallback_link}
        </section>
    }
}
