//! `/`: the look-up form, then the student's open invoices with the payment summary and the
//! Pay button that sends the parent to the gateway, or, for a bank transfer, shows the transfer
//! in place of the invoices.
//!
//! An invoice's required lines are listed with their detail (quantity × unit price, who a line
//! is collected for, adjustments as deductions) and ticked only with the whole invoice; its
//! voluntary lines are listed apart, each with its own box, never ticked at first.

use hocphi_api::{ErrorCode, InvoiceView, InvoicesResponse, ItemView};
use hocphi_domain::{Collected, GatewayKind, InvoiceId, LineKind, Money};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::arriving::{arriving, invoices, outcome, preload_invoices, preload_outcome};
use super::result::OutcomeProps;
use super::{ErrorNotice, entry, stored_attempt};
use crate::api::{self, ClientError};
use crate::app::use_current_lang;
use crate::browser::{self, StaticForm, WebStorage};
use crate::checkout::{self, Attempt, Fee, KeyFate, Offer, Opened, Quote, Selection};
use crate::format;
use crate::i18n::{self, Lang, Text};
use crate::lookup::{Field, FieldErrors, LookupInput, LookupQuery};
use crate::write::to_json;

fn ids(parts: &[Option<&str>]) -> Option<String> {
    let joined: Vec<&str> = parts.iter().flatten().copied().collect();
    (!joined.is_empty()).then(|| joined.join(" "))
}

/// The look-up form and, once found, the invoices.
#[component]
pub fn LookupScreen(
    /// The student code from the address (`?student=`, else the payment code's).
    student: Option<String>,
    /// The look-up by the payment code in the address (`?ma=`), made at once.
    payment: Option<LookupQuery>,
    /// What the parent typed into the static first screen while the app loaded.
    typed: StaticForm,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let input = RwSignal::new(LookupInput {
        student: match typed.student.trim() {
            "" => student.unwrap_or_default(),
            kept => kept.to_owned(),
        },
        code: typed.code.clone(),
    });
    let errors = RwSignal::new(FieldErrors::default());
    let editing = RwSignal::new(true);
    let pending = RwSignal::new(false);
    let found = RwSignal::new(None::<(LookupQuery, InvoicesResponse)>);
    let failure = RwSignal::new(None::<ClientError>);
    let announce = RwSignal::new(String::new());
    let paying = RwSignal::new(None::<Opened>);
    let renew = RwSignal::new(None::<Callback<()>>);

    let look_up = move |query: LookupQuery| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        failure.set(None);
        announce.set(
            current_lang
                .lang_untracked()
                .text(Text::LookupBusy)
                .to_owned(),
        );
        spawn_local(async {
            let _ = preload_invoices().await;
        });
        spawn_local(async move {
            let answer = api::invoices(&query).await;
            if answer.is_ok() {
                let _ = preload_invoices().await;
            }
            pending.set(false);
            match answer {
                Ok(response) => {
                    announce.set(
                        current_lang
                            .lang_untracked()
                            .found_invoices(response.invoices.len()),
                    );
                    found.set(Some((query, response)));
                    editing.set(false);
                    request_animation_frame(|| browser::focus("invoices-heading"));
                }
                Err(error) => {
                    announce.set(String::new());
                    failure.set(Some(error));
                    editing.set(true);
                }
            }
        });
    };
    let submit = move || match input.get_untracked().parse() {
        Ok(query) => {
            errors.set(FieldErrors::default());
            look_up(query);
        }
        Err(problems) => {
            errors.set(problems);
            let first = if problems.student.is_some() {
                Field::Student
            } else {
                Field::Code
            };
            if let Some(problem) = problems.of(first) {
                announce.set(
                    current_lang
                        .lang_untracked()
                        .text(problem.message(first))
                        .to_owned(),
                );
            }
            browser::focus(first.id());
        }
    };
    let change_student = Callback::new(move |()| {
        input.update(|i| i.code.clear());
        editing.set(true);
        request_animation_frame(|| browser::focus(Field::Student.id()));
    });
    let reload = Callback::new(move |()| {
        if let Some((query, _)) = found.get_untracked() {
            look_up(query);
        }
    });
    let retry = Callback::new(move |()| submit());

    if typed.submitted {
        request_animation_frame(submit);
    } else if let Some(query) = payment {
        look_up(query);
    }

    let described_by = move |field: Field| {
        move || {
            ids(&[
                Some(field.hint_id()),
                errors.with(|e| e.of(field)).map(|_| field.error_id()),
                failure.with(Option::is_some).then_some("lookup-error"),
            ])
        }
    };
    let invalid = move |field: Field| {
        move || {
            let problem = errors.with(|e| e.of(field).is_some());
            let refused = failure
                .with(|f| f.as_ref().and_then(ClientError::code) == Some(ErrorCode::NotFound));
            (problem || refused).then_some("true")
        }
    };
    let code_field = move |field: Field| {
        view! {
            <div class="field">
                <label for=field.id()>{t(field.label())}</label>
                <p class="hint" id=field.hint_id()>{t(field.help())}</p>
                {move || errors.with(|e| e.of(field)).map(|problem| view! {
                    <p class="field__error" id=field.error_id()>{t(problem.message(field))}</p>
                }.into_any())}
                <input
                    id=field.id()
                    name=field.form_name()
                    type="text"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    enterkeyhint=field.enter_key_hint()
                    maxlength="32"
                    aria-describedby=described_by(field)
                    aria-invalid=invalid(field)
                    prop:value=move || input.with(|i| i.of(field).to_owned())
                    on:input=move |ev| {
                        input.update(|i| i.set(field, event_target_value(&ev)));
                        errors.update(|e| e.clear(field));
                    }
                />
            </div>
        }
    };

    view! {
        <p class="visually-hidden" role="status">{move || announce.get()}</p>
        <section class="lookup" hidden=move || !editing.get()>
            <h1>{t(Text::LookupTitle)}</h1>
            <p class="lead">{t(Text::LookupIntro)}</p>
            <form
                id="lookup-form"
                class="card"
                novalidate
                aria-busy=move || pending.get().then_some("true")
                on:submit=move |ev| {
                    ev.prevent_default();
                    if !pending.get_untracked() {
                        submit();
                    }
                }
            >
                {code_field(Field::Student)}
                {code_field(Field::Code)}
                {move || failure.get().map(|error| view! {
                    <ErrorNotice error id="lookup-error" retry/>
                }.into_any())}
                <button type="submit" class="button button--primary" disabled=move || pending.get()>
                    {move || {
                        if pending.get() { t(Text::LookupBusy)() } else { t(Text::LookupSubmit)() }
                    }}
                </button>
            </form>
        </section>
        <div hidden=move || paying.with(Option::is_some)>
            {move || {
                found
                    .get()
                    .filter(|_| !editing.get())
                    .map(|(query, response)| {
                        arriving(move || {
                            invoices(InvoicesProps {
                                query: query.clone(),
                                response: response.clone(),
                                change_student,
                                reload,
                                paying,
                                renew,
                            })
                        })
                    })
            }}
        </div>
        {move || paying.get().map(|opened| {
            let reference = opened.payment_ref.clone();
            let renew = renew.get_untracked();
            request_animation_frame(|| browser::focus("transfer-heading"));
            let outcome = arriving(move || {
                let (reference, opened) = (reference.clone(), Some(opened.clone()));
                outcome(OutcomeProps { reference, opened, renew })
            });
            view! {
                <h1>{t(Text::SummaryHeading)}</h1>
                {outcome}
            }.into_any()
        })}
    }
}

/// The student, their open invoices to tick, and the payment summary.
#[component]
pub(super) fn Invoices(
    /// The look-up that found them (its codes go into the payment request).
    query: LookupQuery,
    /// What the functions answered.
    response: InvoicesResponse,
    /// Back to the form for another student.
    change_student: Callback<()>,
    /// Runs the same look-up again (after an invoice changed under the parent).
    reload: Callback<()>,
    /// The bank transfer shown instead of the invoices.
    paying: RwSignal<Option<Opened>>,
    /// Where the summary leaves the way to make a new QR code.
    renew: RwSignal<Option<Callback<()>>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let InvoicesResponse {
        student,
        invoices,
        gateways,
    } = response;
    let listed = invoices.len();
    let collected = Collected::of(invoices.iter().flat_map(|i| i.items.iter().map(|l| l.kind)));
    let heading = if listed == 0 {
        Text::InvoicesHeading
    } else {
        i18n::due(collected)
    };
    let selection = RwSignal::new(Selection::all(&invoices));
    let invoices = StoredValue::new(invoices);
    let offers = checkout::offers(&gateways);
    let chosen = RwSignal::new(checkout::first_choice(
        &offers,
        stored_attempt().as_ref(),
        &query,
    ));
    let quote = Priced {
        selection,
        chosen,
        invoices,
    };
    let today = browser::now();

    let cards = invoices
        .get_value()
        .into_iter()
        .map(|invoice| view! { <InvoiceCard invoice selection invoices today/> }.into_any())
        .collect_view();

    let student_card = view! {
        <div class="card student">
            <dl class="entries">
                {entry(Text::StudentName, student.name.clone())}
                {entry(Text::StudentCodeLabel, student.code.clone())}
                {entry(Text::School, student.school.clone())}
                {entry(Text::Class, student.class_name.clone())}
            </dl>
            <button
                type="button"
                class="button button--link no-print"
                on:click=move |_| change_student.run(())
            >
                {t(Text::ChangeStudent)}
            </button>
        </div>
    };

    view! {
        <section class="invoices" aria-labelledby="invoices-heading">
            <h1 id="invoices-heading" tabindex="-1">{t(heading)}</h1>
            <h2 class="visually-hidden">{t(Text::StudentHeading)}</h2>
            {student_card}
            {if listed == 0 {
                view! { <p class="notice notice--good">{t(Text::NoInvoices)}</p> }.into_any()
            } else {
                view! {
                    <fieldset class="choices">
                        <legend>{t(Text::ChooseInvoices)}</legend>
                        <ul class="invoice-list">{cards}</ul>
                    </fieldset>
                    <PaySummary query selection quote listed reload offers chosen paying renew/>
                }
                .into_any()
            }}
        </section>
    }
}

/// One invoice with its checkbox, due date and items.
#[component]
fn InvoiceCard(
    /// The invoice.
    invoice: InvoiceView,
    /// The ticked invoices.
    selection: RwSignal<Selection>,
    /// Every listed invoice (to keep the selection in listing order).
    invoices: StoredValue<Vec<InvoiceView>>,
    /// Now, to mark overdue invoices.
    today: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let InvoiceView {
        id,
        school_year,
        term,
        items,
        total,
        due_date,
    } = invoice;
    let dom_id = format!("invoice-{}", id.as_str());
    let details = format!("{dom_id}-due {dom_id}-items");
    let overdue = format::is_overdue(due_date, today);
    let is_ticked = |id: &hocphi_domain::InvoiceId| {
        let id = id.clone();
        move || selection.with(|s| s.contains(&id))
    };
    let (ticked, highlighted) = (is_ticked(&id), is_ticked(&id));
    let voluntary: Vec<(u16, ItemView)> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.kind == LineKind::Voluntary)
        .filter_map(|(n, item)| Some((u16::try_from(n).ok()?, item.clone())))
        .collect();
    let required: Vec<ItemView> = items
        .into_iter()
        .filter(|item| item.kind != LineKind::Voluntary)
        .collect();
    let extras = (!voluntary.is_empty()).then(|| {
        let offered = voluntary
            .into_iter()
            .map(|(line, item)| {
                view! { <VoluntaryLine invoice=id.clone() line item selection invoices/> }
                    .into_any()
            })
            .collect_view();
        view! {
            <div class="voluntary" role="group" aria-labelledby=format!("{dom_id}-voluntary")>
                <p class="voluntary__heading" id=format!("{dom_id}-voluntary")>
                    {current_lang.t(Text::VoluntaryHeading)}
                </p>
                <p class="hint">{current_lang.t(Text::VoluntaryHint)}</p>
                <ul class="items">{offered}</ul>
            </div>
        }
        .into_any()
    });
    let toggle = move |_| invoices.with_value(|list| selection.update(|s| s.toggle(&id, list)));
    view! {
        <li class="card invoice" class:invoice--ticked=highlighted>
            <label class="invoice__choice">
                <input
                    type="checkbox"
                    id=dom_id.clone()
                    aria-describedby=details
                    prop:checked=ticked
                    on:change=toggle
                />
                <span class="invoice__term">
                    {move || current_lang.lang().term_of_year(&term, &school_year)}
                </span>
                <span class="amount invoice__total">{total.to_string()}</span>
            </label>
            <p class="invoice__due" id=format!("{dom_id}-due")>
                {move || current_lang.lang().due_on(due_date)}
                {overdue.then(|| view! {
                    " "
                    <span class="badge badge--late">{current_lang.t(Text::Overdue)}</span>
                }.into_any())}
            </p>
            <ul class="items" id=format!("{dom_id}-items")>
                {required
                    .into_iter()
                    .map(|item| {
                        let adjustment = item.kind.is_adjustment();
                        let (description, amount) = (item.description.clone(), shown_amount(&item));
                        view! {
                            <li class:items__line--deduction=adjustment>
                                <span>
                                    {description}
                                    {move || line_detail(current_lang.lang(), &item)}
                                </span>
                                <span class="amount">{amount}</span>
                            </li>
                        }.into_any()
                    })
                    .collect_view()}
            </ul>
            {extras}
        </li>
    }
}

/// A line's amount: a deduction for an adjustment.
fn shown_amount(item: &ItemView) -> String {
    if item.kind.is_adjustment() {
        item.amount.as_deduction()
    } else {
        item.amount.to_string()
    }
}

/// What a line says beside its description: quantity × unit price, who it is collected for.
fn line_detail(lang: Lang, item: &ItemView) -> Option<AnyView> {
    let detail = match (&item.beneficiary, item.pricing) {
        (Some(beneficiary), Some(pricing)) => {
            format!("{} · {}", lang.priced(pricing), lang.on_behalf(beneficiary))
        }
        (Some(beneficiary), None) => lang.on_behalf(beneficiary),
        (None, Some(pricing)) => lang.priced(pricing),
        (None, None) => return None,
    };
    Some(view! { <small class="items__detail">{detail}</small> }.into_any())
}

/// One voluntary line with its own box: never ticked at first, ticked only beside its invoice.
#[component]
fn VoluntaryLine(
    /// The invoice it belongs to.
    invoice: InvoiceId,
    /// Its position in the invoice's items.
    line: u16,
    /// The line.
    item: ItemView,
    /// The ticked invoices and lines.
    selection: RwSignal<Selection>,
    /// Every listed invoice.
    invoices: StoredValue<Vec<InvoiceView>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let dom_id = format!("invoice-{}-line-{line}", invoice.as_str());
    let (mine, theirs) = (invoice.clone(), invoice.clone());
    let ticked = move || selection.with(|s| s.chose(&mine, line));
    let open = move || selection.with(|s| s.contains(&theirs));
    let toggle = move |_| {
        invoices.with_value(|list| selection.update(|s| s.toggle_voluntary(&invoice, line, list)));
    };
    let (description, amount) = (item.description.clone(), item.amount.to_string());
    view! {
        <li>
            <label class="voluntary__choice" for=dom_id.clone()>
                <input
                    type="checkbox"
                    id=dom_id.clone()
                    prop:checked=ticked
                    disabled=move || !open()
                    on:change=toggle
                />
                <span>
                    {description}
                    {move || line_detail(current_lang.lang(), &item)}
                </span>
            </label>
            <span class="amount">{amount}</span>
        </li>
    }
}

/// The price of the ticked invoices with the chosen method, worked out whenever it is read
/// (tracked by whoever reads it, like the signals it reads).
#[derive(Clone, Copy)]
struct Priced {
    selection: RwSignal<Selection>,
    chosen: RwSignal<Offer>,
    invoices: StoredValue<Vec<InvoiceView>>,
}

impl Priced {
    fn get(self) -> Option<Result<Quote, hocphi_domain::MoneyError>> {
        let offer = self.chosen.get();
        self.invoices
            .with_value(|list| self.selection.with(|s| checkout::quote(s, list, offer)))
    }

    fn get_untracked(self) -> Option<Result<Quote, hocphi_domain::MoneyError>> {
        untrack(|| self.get())
    }
}

/// The total, the fee, the method and the Pay button.
#[component]
fn PaySummary(
    /// The look-up whose codes authorise the payment.
    query: LookupQuery,
    /// The ticked invoices.
    selection: RwSignal<Selection>,
    /// Their price.
    quote: Priced,
    /// How many invoices are listed.
    listed: usize,
    /// Runs the look-up again.
    reload: Callback<()>,
    /// The payment methods the province offers.
    offers: Vec<Offer>,
    /// The one chosen.
    chosen: RwSignal<Offer>,
    /// Set to the bank transfer to show once the functions answer with one.
    paying: RwSignal<Option<Opened>>,
    /// Filled with the way to make a new QR code (a new attempt for the same selection).
    renew: RwSignal<Option<Callback<()>>>,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let redirecting = RwSignal::new(false);
    let pending = RwSignal::new(false);
    let failure = RwSignal::new(None::<ClientError>);
    let back_from_gateway =
        window_event_listener_untyped("pageshow", move |_| redirecting.set(false));
    on_cleanup(move || back_from_gateway.remove());

    let busy = move || pending.get() || redirecting.get();
    let takes = move |offer: Offer| match quote.get() {
        Some(Ok(quote)) => offer.accepts(quote.fees),
        Some(Err(_)) | None => true,
    };
    let pay = Callback::new(move |()| {
        let ticked = selection.get_untracked();
        let takes_it = match quote.get_untracked() {
            Some(Ok(quote)) => chosen.get_untracked().accepts(quote.fees),
            Some(Err(_)) | None => false,
        };
        if pending.get_untracked() || redirecting.get_untracked() || ticked.is_empty() || !takes_it
        {
            return;
        }
        failure.set(None);
        let previous = stored_attempt();
        let now = browser::now();
        let offer = chosen.get_untracked();
        let attempt = Attempt::for_selection(
            previous.clone(),
            &query,
            &ticked,
            offer.gateway,
            now,
            browser::random_bytes,
        );
        if !attempt.would_hide(previous.as_ref(), now) {
            browser::save(
                WebStorage::Session,
                Attempt::STORAGE_KEY,
                &to_json(&attempt),
            );
        }
        let request =
            checkout::payment_request(&query, &ticked, offer, current_lang.lang_untracked());
        pending.set(true);
        if offer.gateway == GatewayKind::Payos {
            spawn_local(async {
                let _ = preload_outcome().await;
            });
        }
        spawn_local(async move {
            let created = api::create_payment(&request, &attempt.key).await;
            let moved_on = pending.try_set(false).is_some();
            match created {
                Ok(created) => {
                    let attempt = attempt.opened(&created);
                    browser::save(
                        WebStorage::Session,
                        Attempt::STORAGE_KEY,
                        &to_json(&attempt),
                    );
                    if moved_on {
                        return;
                    }
                    if let Some(opened) = attempt.opened.filter(|o| o.transfer.is_some()) {
                        let _ = preload_outcome().await;
                        let _ = paying.try_set(Some(opened));
                        return;
                    }
                    redirecting.set(true);
                    if !browser::go_to(&created.redirect_url) {
                        redirecting.set(false);
                        failure.set(Some(ClientError::Unexpected { status: 201 }));
                    }
                }
                Err(error) => {
                    if Attempt::fate_after(&error) == KeyFate::Discard
                        && stored_attempt().is_some_and(|s| s.key == attempt.key)
                    {
                        browser::forget(WebStorage::Session, Attempt::STORAGE_KEY);
                    }
                    let _ = failure.try_set(Some(error));
                }
            }
        });
    });
    renew.set(Some(Callback::new(move |()| {
        paying.set(None);
        pay.run(());
    })));
    let label = move || {
        if redirecting.get() {
            t(redirecting_to(chosen.get().gateway))().to_owned()
        } else if pending.get() {
            t(Text::PayBusy)().to_owned()
        } else {
            match quote.get() {
                Some(Ok(quote)) => current_lang.lang().pay_amount(quote.total),
                Some(Err(_)) | None => t(Text::SummaryHeading)().to_owned(),
            }
        }
    };
    let totals = move || match quote.get() {
        None => view! { <p class="notice">{t(Text::NothingSelected)}</p> }.into_any(),
        Some(Err(_)) => {
            view! { <ErrorNotice error=ClientError::Unexpected { status: 200 }/> }.into_any()
        }
        Some(Ok(quote)) => {
            let fee = match quote.fee {
                Fee::Free => t(Text::NoFee)().to_owned(),
                Fee::Charged(fee) => fee.to_string(),
            };
            view! {
                <dl class="entries totals">
                    {entry(Text::Fees, quote.fees.to_string())}
                    {quote.voluntary.map(|v| entry(Text::VoluntaryChosen, v.to_string()))}
                    {entry(Text::TransactionFee, fee)}
                    <div class="entry entry--total">
                        <dt>{t(Text::TotalToPay)}</dt>
                        <dd class="amount">{quote.total.to_string()}</dd>
                    </div>
                </dl>
            }
            .into_any()
        }
    };
    let methods = if offers.len() > 1 {
        let choices = offers
            .into_iter()
            .map(|offer| {
                view! {
                    <label class="method-choice">
                        <input
                            type="radio"
                            name="gateway"
                            value=offer.gateway.as_str()
                            prop:checked=move || chosen.get() == offer
                            disabled=move || !takes(offer) && chosen.get() != offer
                            on:change=move |_| chosen.set(offer)
                        />
                        {t(method_name(offer.gateway))}
                    </label>
                }
                .into_any()
            })
            .collect_view();
        view! {
            <fieldset class="methods">
                <legend>{t(Text::PaymentMethod)}</legend>
                {choices}
            </fieldset>
        }
        .into_any()
    } else {
        view! {
            <p class="method">
                <strong>{t(Text::PaymentMethod)}": "</strong>
                {move || t(method_name(chosen.get().gateway))()}
            </p>
        }
        .into_any()
    };
    let outside_limits = move || {
        let offer = chosen.get();
        let (min, max) = offer.limits?;
        if takes(offer) {
            return None;
        }
        let (min, max) = (Money::from_vnd(min).ok()?, Money::from_vnd(max).ok()?);
        let sentence = current_lang
            .lang()
            .outside_limits(offer.gateway.display_name(), min, max);
        Some(view! { <p class="notice" id="method-limits" role="status">{sentence}</p> })
    };
    let unavailable = move || {
        failure
            .with(|f| f.as_ref().and_then(ClientError::code) == Some(ErrorCode::InvoiceUnavailable))
    };

    view! {
        <section class="card summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">{t(Text::SummaryHeading)}</h2>
            <p class="summary__count">
                {move || current_lang.lang().selected_count(selection.with(Selection::len), listed)}
            </p>
            {totals}
            {methods}
            {outside_limits}
            <p class="hint">{move || t(pay_note(chosen.get().gateway))()}</p>
            {move || failure.get().map(|error| view! { <ErrorNotice error/> }.into_any())}
            {move || unavailable().then(|| view! {
                <button type="button" class="button" on:click=move |_| reload.run(())>
                    {t(Text::ReloadInvoices)}
                </button>
            }.into_any())}
            <button
                type="button"
                class="button button--primary button--pay"
                disabled=move || {
                    busy() || !matches!(quote.get(), Some(Ok(_))) || !takes(chosen.get())
                }
                on:click=move |_| pay.run(())
            >
                {label}
            </button>
            <p class="visually-hidden" role="status">
                {move || {
                    if redirecting.get() { t(redirecting_to(chosen.get().gateway))() } else { "" }
                }}
            </p>
        </section>
    }
}

/// The words of a method the page offers ([`checkout::offers`] never offers a partner).
fn method_name(gateway: GatewayKind) -> Text {
    match gateway {
        GatewayKind::Payos => Text::BankTransferMethod,
        GatewayKind::Vnpay | GatewayKind::Partner => Text::VnpayMethod,
        GatewayKind::Momo => Text::MomoMethod,
        GatewayKind::Dvcqg => Text::PortalMethod,
    }
}

fn redirecting_to(gateway: GatewayKind) -> Text {
    match gateway {
        GatewayKind::Payos => Text::RedirectingPayos,
        GatewayKind::Vnpay | GatewayKind::Partner => Text::Redirecting,
        GatewayKind::Momo => Text::RedirectingMomo,
        GatewayKind::Dvcqg => Text::RedirectingPortal,
    }
}

fn pay_note(gateway: GatewayKind) -> Text {
    match gateway {
        GatewayKind::Payos => Text::PayNotePayos,
        GatewayKind::Vnpay | GatewayKind::Partner => Text::PayNote,
        GatewayKind::Momo => Text::PayNoteMomo,
        GatewayKind::Dvcqg => Text::PayNotePortal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_method_has_its_own_name_note_and_redirect_words_in_both_languages() {
        for lang in [Lang::Vi, Lang::En] {
            for pick in [method_name, redirecting_to, pay_note] {
                let words: std::collections::HashSet<_> = GatewayKind::CHECKOUT
                    .map(|g| lang.text(pick(g)))
                    .into_iter()
                    .collect();
                assert_eq!(words.len(), GatewayKind::CHECKOUT.len(), "{lang:?}");
            }
        }
        assert_eq!(
            Lang::Vi.text(method_name(GatewayKind::Payos)),
            "Chuyển khoản ngân hàng (VietQR) — miễn phí"
        );
        assert_eq!(
            Lang::Vi.text(method_name(GatewayKind::Dvcqg)),
            "Thanh toán qua Cổng Dịch vụ công"
        );
    }
}
