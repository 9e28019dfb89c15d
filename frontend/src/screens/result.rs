//! `/ket-qua`: where the gateway sends the parent back. The page keeps only the payment
//! reference from the address, drops the gateway's parameters from it, and asks
//! `GET /api/payments/{ref}` on the [`Backoff`] schedule until the outcome is known.
//!
//! A bank transfer (payOS) is followed here too: while it is pending and its QR code is valid
//! the transfer itself is shown, and the page asks again as soon as the parent comes back from
//! the banking app. The transfer is drawn once: what it follows is a memo of whether the payment
//! is still pending, so a first answer that says "pending" does not draw it again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use hocphi_api::PaymentStatusResponse;
use hocphi_domain::{GatewayKind, PaymentRef, PaymentStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::transfer::TransferPanel;
use super::{ErrorNotice, back_to_lookup, dead_end, entry, stored_attempt};
use crate::api::{self, ClientError};
use crate::app::use_current_lang;
use crate::browser::{self, WebStorage};
use crate::checkout::{Attempt, Opened};
use crate::i18n::Text;
use crate::route;
use crate::status::{self, Backoff, NextStep, Tone};

/// The outcome of one payment.
#[component]
pub fn ResultScreen(
    /// The payment's reference, if the address carried a valid one.
    reference: Option<PaymentRef>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let body = match reference {
        Some(reference) => {
            let opened = stored_attempt().and_then(|a| a.opened);
            view! { <Outcome reference opened renew=None/> }.into_any()
        }
        None => dead_end(Text::ResultNoReference),
    };
    view! {
        <h1>{t(Text::ResultTitle)}</h1>
        {body}
    }
}

/// The polled status of one payment and what to do next.
#[component]
pub(super) fn Outcome(
    /// The payment to follow.
    reference: PaymentRef,
    /// What this tab's attempt opened: a bank transfer to show if it opened this payment.
    opened: Option<Opened>,
    /// Makes a new QR code in place (the look-up screen, which still has the codes); without
    /// it the parent goes back to the form.
    renew: Option<Callback<()>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    browser::replace_address(&route::result_path(&reference));
    let student = stored_attempt().map(|a| a.student);
    let transfer = opened
        .filter(|o| o.payment_ref == reference)
        .and_then(|o| Some((o.transfer?, o.expires_at)));
    let expires_at = transfer.as_ref().map(|(_, at)| *at);
    let now = RwSignal::new(browser::now());
    if expires_at.is_some() {
        spawn_local(async move {
            while now.try_set(browser::now()).is_none() {
                browser::sleep(1_000).await;
            }
        });
    }
    let qr_expired = Memo::new(move |_| expires_at.is_some_and(|at| now.get() >= at));

    let latest = RwSignal::new(None::<PaymentStatusResponse>);
    let trouble = RwSignal::new(false);
    let gave_up = RwSignal::new(false);
    let fatal = RwSignal::new(None::<ClientError>);
    let generation = Arc::new(AtomicU32::new(0));

    let poll = {
        let reference = reference.clone();
        let generation = Arc::clone(&generation);
        move || {
            let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
            let current = Arc::clone(&generation);
            let reference = reference.clone();
            gave_up.set(false);
            spawn_local(async move {
                let mut backoff = match expires_at {
                    Some(at) => Backoff::for_transfer((at - browser::now()).num_milliseconds()),
                    None => Backoff::default(),
                };
                loop {
                    let answer = api::payment_status(&reference).await;
                    if current.load(Ordering::SeqCst) != mine {
                        return;
                    }
                    match answer {
                        Ok(answer) => {
                            if trouble.get_untracked() {
                                trouble.set(false);
                            }
                            let known = answer.status.is_terminal();
                            if latest.with_untracked(|l| l.as_ref() != Some(&answer)) {
                                latest.set(Some(answer));
                            }
                            if known {
                                if stored_attempt().is_some_and(|a| a.opened_payment(&reference)) {
                                    browser::forget(WebStorage::Session, Attempt::STORAGE_KEY);
                                }
                                return;
                            }
                        }
                        Err(error) if error.keeps_polling() => {
                            if !trouble.get_untracked() {
                                trouble.set(true);
                            }
                        }
                        Err(error) => {
                            fatal.set(Some(error));
                            return;
                        }
                    }
                    let Some(wait) = backoff.next_wait_ms() else {
                        gave_up.set(true);
                        return;
                    };
                    browser::sleep(wait).await;
                    if current.load(Ordering::SeqCst) != mine {
                        return;
                    }
                }
            });
        }
    };
    poll();
    let stop = Arc::clone(&generation);
    on_cleanup(move || {
        stop.fetch_add(1, Ordering::SeqCst);
    });
    let check_again = Callback::new(move |()| poll());
    let pending = Memo::new(move |_| {
        latest.with(|l| {
            l.as_ref()
                .is_none_or(|a| a.status == PaymentStatus::Pending)
        })
    });
    if expires_at.is_some() {
        let back = window_event_listener_untyped("visibilitychange", move |_| {
            if !browser::hidden()
                && pending.get_untracked()
                && fatal.with_untracked(Option::is_none)
            {
                check_again.run(());
            }
        });
        on_cleanup(move || back.remove());
    }
    let back_to_form = route::lookup_path(student.as_deref());
    let new_qr = move || match renew {
        Some(renew) => view! {
            <button type="button" class="button button--primary" on:click=move |_| renew.run(())>
                {t(Text::NewQr)}
            </button>
        }
        .into_any(),
        None => view! {
            <a class="button button--primary" href=back_to_form.clone()>
                {t(Text::NewQr)}
            </a>
        }
        .into_any(),
    };
    let check_again_button = move || {
        view! {
            <button
                type="button"
                class="button button--primary"
                on:click=move |_| check_again.run(())
            >
                {t(Text::CheckAgain)}
            </button>
        }
        .into_any()
    };
    let trouble_hint =
        move || view! { <p class="hint">{t(Text::ConnectionTrouble)}</p> }.into_any();
    let waiting_bits = move || {
        view! {
            {move || trouble.get().then(trouble_hint)}
            {move || gave_up.get().then(check_again_button)}
        }
    };

    let shown = move || {
        if let Some(error) = fatal.get() {
            return view! {
                <ErrorNotice error/>
                {back_to_lookup()}
            }
            .into_any();
        }
        if let Some((transfer, at)) = transfer.clone().filter(|_| pending.get()) {
            if qr_expired.get() {
                return view! {
                    <div class="outcome outcome--notice">
                        <p class="outcome__title">{t(Text::QrExpiredTitle)}</p>
                        <p>{t(Text::QrExpiredBody)}</p>
                        {waiting_bits()}
                        <div class="actions">{new_qr()}</div>
                    </div>
                }
                .into_any();
            }
            let reference = reference.clone();
            return view! {
                <TransferPanel reference transfer expires_at=at now/>
                <p class="outcome outcome--waiting">
                    <span class="spinner" aria-hidden="true"></span>
                    {t(Text::TransferWaiting)}
                </p>
                {waiting_bits()}
            }
            .into_any();
        }
        let Some(answer) = latest.get() else {
            return view! {
                <div class="outcome outcome--waiting">
                    <p class="outcome__title">
                        <span class="spinner" aria-hidden="true"></span>
                        {t(Text::ResultChecking)}
                    </p>
                    {waiting_bits()}
                </div>
            }
            .into_any();
        };
        let outcome = status::outcome(answer.gateway, answer.status);
        let reason = status::failure_reason(answer.gateway, answer.failure_code.as_deref());
        let body = match (outcome.next, gave_up.get()) {
            (NextStep::Wait, true) => Text::PendingSlowBody,
            _ => outcome.body,
        };
        let action = match outcome.next {
            NextStep::Wait => gave_up.get().then(check_again_button),
            NextStep::OpenReceipt => Some(match &answer.receipt {
                Some(link) => {
                    let href = route::receipt_path(&link.id, &link.token);
                    view! {
                        <a class="button button--primary" href=href>{t(Text::OpenReceipt)}</a>
                    }
                    .into_any()
                }
                None => view! { <p>{t(Text::SucceededNoReceipt)}</p> }.into_any(),
            }),
            NextStep::PayAgain if answer.gateway == GatewayKind::Payos => Some(new_qr()),
            NextStep::PayAgain => {
                let href = route::lookup_path(student.as_deref());
                Some(
                    view! {
                        <a class="button button--primary" href=href>{t(Text::PayAgain)}</a>
                    }
                    .into_any(),
                )
            }
            NextStep::KeepReference => Some(
                view! {
                    <a class="button" href="/">{t(Text::BackToLookup)}</a>
                }
                .into_any(),
            ),
        };
        view! {
            <div class=outcome.tone.class()>
                <p class="outcome__title">
                    {(outcome.tone == Tone::Waiting).then(|| view! {
                        <span class="spinner" aria-hidden="true"></span>
                    }.into_any())}
                    {t(outcome.title)}
                </p>
                <p>{t(body)}</p>
                {reason.map(|reason| view! { <p class="outcome__reason">{t(reason)}</p> }.into_any())}
                <dl class="entries">
                    <div class="entry entry--reference">
                        <dt>{t(Text::PaymentReference)}</dt>
                        <dd><strong class="reference">{answer.payment_ref.to_string()}</strong></dd>
                    </div>
                    {entry(Text::Amount, answer.amount.to_string())}
                    {answer
                        .mismatched_amounts
                        .iter()
                        .map(|received| entry(Text::AmountReceived, received.to_string()))
                        .collect_view()}
                    {entry(Text::Gateway, answer.gateway.display_name())}
                </dl>
                {trouble.get().then(trouble_hint)}
                <div class="actions">{action}</div>
            </div>
        }
        .into_any()
    };
    let announcement = move || {
        let waiting = latest.with(|l| l.as_ref().is_none_or(|a| !a.status.is_terminal()));
        match (fatal.get(), latest.get()) {
            (Some(error), _) => error.message(current_lang.lang()),
            (None, _) if waiting && gave_up.get() => t(Text::PendingSlowBody)().to_owned(),
            (None, _) if waiting && trouble.get() => t(Text::ConnectionTrouble)().to_owned(),
            (None, Some(answer)) => {
                t(status::outcome(answer.gateway, answer.status).title)().to_owned()
            }
            (None, None) => String::new(),
        }
    };

    view! {
        <p class="visually-hidden" role="status">{announcement}</p>
        {shown}
    }
}
