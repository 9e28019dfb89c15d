//! `/bien-lai/{id}?t=…`: the school's receipt voucher ("biên lai thu tiền"), laid out to print on
//! A5, with a QR code that opens this same address, so whoever holds the paper can check it
//! against the system.
//!
//! One receipt per payment under the school's own template, series and number, in sections: the
//! school's own collections (adjustments as deductions), then one section per organisation money
//! was collected for, each with its subtotal. It never calls itself an e-invoice: it keeps a
//! labelled place for the e-invoice number, "(chưa có)" until a provider issues one.

use hocphi_api::ReceiptResponse;
use hocphi_domain::{ReceiptId, ReceiptSection, ReceiptToken};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ErrorNotice, QrImage, back_to_lookup, dead_end, entry};
use crate::api::{self, ClientError};
use crate::app::use_current_lang;
use crate::browser;
use crate::format;
use crate::i18n::{self, Collected, Text};
use crate::qr::QrSvg;
use crate::route;

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
    let address = format!("{}{}", browser::origin(), route::receipt_path(&id, &token));
    let loaded = RwSignal::new(None::<Result<ReceiptResponse, ClientError>>);
    let fetch = move || {
        let (id, token) = (id.clone(), token.clone());
        loaded.set(None);
        spawn_local(async move {
            let answer = api::receipt(&id, &token).await;
            let _ = loaded.try_set(Some(answer));
        });
    };
    fetch();
    let retry = Callback::new(move |()| fetch());
    let shown = move || match loaded.get() {
        None => view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            <p class="outcome outcome--waiting" role="status">
                <span class="spinner" aria-hidden="true"></span>
                {t(Text::ReceiptLoading)}
            </p>
        }
        .into_any(),
        Some(Ok(receipt)) => {
            view! { <ReceiptDocument receipt address=address.clone()/> }.into_any()
        }
        Some(Err(error)) => view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            <ErrorNotice error retry/>
            {back_to_lookup()}
        }
        .into_any(),
    };
    shown.into_any()
}

/// The printable receipt.
#[component]
fn ReceiptDocument(
    /// The receipt as the functions answered it.
    receipt: ReceiptResponse,
    /// This page's absolute address, which the QR code encodes.
    address: String,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let t = move |text| current_lang.t(text);
    let qr = QrSvg::encode(&address);
    let number = receipt.number.clone();
    let parts = ReceiptSection::of(&receipt.lines);
    let several = parts.len() > 1;
    let lines = parts
        .into_iter()
        .map(|section| {
            let title = match section.beneficiary {
                None => {
                    let kinds = section.lines.iter().map(|l| l.kind);
                    let text = Collected::of(kinds).schools();
                    (move || t(text)().to_owned()).into_any()
                }
                Some(beneficiary) => {
                    let beneficiary = beneficiary.as_str().to_owned();
                    (move || current_lang.lang().collected_for(&beneficiary)).into_any()
                }
            };
            let rows = section
                .lines
                .into_iter()
                .map(|line| {
                    let amount = if line.kind.is_adjustment() {
                        i18n::deduction(line.amount)
                    } else {
                        line.amount.to_string()
                    };
                    let pricing = line.pricing;
                    view! {
                        <tr class:receipt__deduction=line.kind.is_adjustment()>
                            <td>
                                {line.description.as_str().to_owned()}
                                {pricing.map(|p| view! {
                                    <small class="receipt__detail">
                                        {move || current_lang.lang().priced(p)}
                                    </small>
                                }.into_any())}
                            </td>
                            <td>{line.term.as_str().to_owned()}</td>
                            <td class="amount">{amount}</td>
                        </tr>
                    }
                    .into_any()
                })
                .collect_view();
            let subtotal = section
                .subtotal
                .map_or_else(|| "0\u{a0}₫".to_owned(), |m| m.to_string());
            view! {
                <tbody>
                    <tr class="receipt__section">
                        <th scope="colgroup" colspan="3">{title}</th>
                    </tr>
                    {rows}
                    {several.then(|| view! {
                        <tr class="receipt__subtotal">
                            <th scope="row" colspan="2">{t(Text::InvoiceTotal)}</th>
                            <td class="amount">{subtotal}</td>
                        </tr>
                    }.into_any())}
                </tbody>
            }
            .into_any()
        })
        .collect_view();
    let e_invoice = receipt.e_invoice.as_ref().map(|n| n.as_str().to_owned());
    view! {
        <article class="receipt" aria-labelledby="receipt-title">
            <header class="receipt__head">
                <p class="receipt__school">{receipt.school_name.as_str().to_owned()}</p>
                <dl class="receipt__number">
                    {entry(Text::ReceiptTemplate, number.template.to_string())}
                    {entry(Text::ReceiptSeries, number.series.to_string())}
                    {entry(Text::ReceiptNumber, format::receipt_sequence(number.sequence))}
                </dl>
            </header>
            <h1 id="receipt-title" class="receipt__title">{t(Text::ReceiptTitle)}</h1>
            <p class="receipt__date">
                {t(Text::ReceiptIssuedAt)}": " {format::date_time(receipt.issued_at)}
            </p>
            <dl class="entries receipt__party">
                {entry(Text::StudentName, receipt.student_name.as_str().to_owned())}
                {entry(Text::StudentCodeLabel, receipt.student.clone())}
                {entry(Text::Class, receipt.class_name.as_str().to_owned())}
                {entry(Text::ReceiptCollector, receipt.school_name.as_str().to_owned())}
            </dl>
            <table class="receipt__lines">
                <caption class="visually-hidden">{t(Text::ReceiptItems)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t(Text::ReceiptDescription)}</th>
                        <th scope="col">{t(Text::ReceiptTerm)}</th>
                        <th scope="col" class="amount">{t(Text::Amount)}</th>
                    </tr>
                </thead>
                {lines}
                <tfoot>
                    <tr>
                        <th scope="row" colspan="2">{t(Text::ReceiptTotal)}</th>
                        <td class="amount">{receipt.total.to_string()}</td>
                    </tr>
                </tfoot>
            </table>
            <p class="receipt__words">
                <span>{t(Text::ReceiptInWords)}": "</span>
                <em>{receipt.amount_in_words.clone()}</em>
            </p>
            <dl class="entries receipt__payment">
                {entry(Text::ReceiptPaidThrough, receipt.gateway.display_name())}
                {entry(Text::ReceiptGatewayTxn, receipt.gateway_txn.to_string())}
                {entry(Text::PaymentReference, receipt.payment.to_string())}
                <div class="entry">
                    <dt>{t(Text::EInvoiceNumber)}</dt>
                    <dd>
                        {match e_invoice {
                            Some(number) => number.into_any(),
                            None => t(Text::EInvoiceNone).into_any(),
                        }}
                    </dd>
                </div>
            </dl>
            <figure class="receipt__qr">
                {qr.map(|qr| view! { <QrImage qr=qr label=Text::ReceiptQrLabel /> }.into_any())}
                <figcaption>{t(Text::ReceiptVerify)}</figcaption>
            </figure>
            <p class="receipt__online">{t(Text::ReceiptNature)}</p>
            <p class="receipt__online">{t(Text::ReceiptOnline)}</p>
        </article>
        <div class="actions no-print">
            <button type="button" class="button button--primary" on:click=move |_| browser::print()>
                {t(Text::Print)}
            </button>
            <p class="hint">{t(Text::PrintHint)}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use hocphi_domain::LineKind;

    use super::*;

    #[test]
    fn the_schools_section_is_worded_by_the_kinds_it_holds() {
        let cases = [
            (
                &[LineKind::Tuition, LineKind::Subsidy][..],
                Text::SchoolTuition,
            ),
            (&[LineKind::Service, LineKind::Voluntary], Text::SchoolFees),
            (&[LineKind::Tuition, LineKind::Service], Text::SchoolBoth),
        ];
        for (kinds, text) in cases {
            assert_eq!(
                Collected::of(kinds.iter().copied()).schools(),
                text,
                "{kinds:?}"
            );
        }
        assert_eq!(
            crate::i18n::Lang::Vi.text(Text::SchoolBoth),
            "Học phí và các khoản thu của nhà trường"
        );
    }
}
