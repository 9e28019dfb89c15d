//! `/bien-lai/{id}?t=…`: the school's receipt voucher ("biên lai thu tiền"), laid out to print on
//! A5, with a QR code that opens this same address, so whoever holds the paper can check it
//! against the system.
//!
//! One receipt per payment under the school's own template, series and number, in sections: the
//! school's own collections (adjustments as deductions), then one section per organisation money
//! was collected for, each with its subtotal. It never calls itself an e-invoice: it keeps a
//! labelled place for the e-invoice number, "(chưa có)" until a provider issues one.

use hocphi_api::ReceiptResponse;
use hocphi_domain::{ReceiptId, ReceiptToken};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ErrorNotice, back_to_lookup, dead_end};
use crate::api::{self, ClientError};
use crate::app::use_current_lang;
use crate::browser;
use crate::format;
use crate::i18n::{self, Collected, Lang, Text};
use crate::markup::Markup;

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
        Some(Ok(receipt)) => view! { <ReceiptDocument receipt/> }.into_any(),
        Some(Err(error)) => view! {
            <h1>{t(Text::ReceiptTitle)}</h1>
            <ErrorNotice error retry/>
            {back_to_lookup()}
        }
        .into_any(),
    };
    shown.into_any()
}

/// The printable receipt, written again when the language changes.
#[component]
fn ReceiptDocument(
    /// The receipt as the functions answered it, with its address drawn as a QR code.
    receipt: ReceiptResponse,
) -> impl IntoView {
    let current_lang = use_current_lang();
    let document = move || receipt_markup(&receipt, current_lang.lang());
    view! {
        <article class="receipt" aria-labelledby="receipt-title" inner_html=document></article>
        <div class="actions no-print">
            <button type="button" class="button button--primary" on:click=move |_| browser::print()>
                {current_lang.t(Text::Print)}
            </button>
            <p class="hint">{current_lang.t(Text::PrintHint)}</p>
        </div>
    }
}

/// The inside of `<article class="receipt">` in `lang`.
fn receipt_markup(receipt: &ReceiptResponse, lang: Lang) -> String {
    let t = |text| lang.text(text);
    let number = &receipt.number;
    let mut m = Markup::new();
    m.open("header", r#"class="receipt__head""#)
        .leaf(
            "p",
            r#"class="receipt__school""#,
            receipt.school_name.as_str(),
        )
        .open("dl", r#"class="receipt__number""#)
        .entry(t(Text::ReceiptTemplate), &number.template.to_string())
        .entry(t(Text::ReceiptSeries), &number.series.to_string())
        .entry(
            t(Text::ReceiptNumber),
            &format::receipt_sequence(number.sequence),
        )
        .close("dl")
        .close("header")
        .leaf(
            "h1",
            r#"id="receipt-title" class="receipt__title""#,
            t(Text::ReceiptTitle),
        )
        .leaf(
            "p",
            r#"class="receipt__date""#,
            &format!(
                "{}: {}",
                t(Text::ReceiptIssuedAt),
                format::date_time(receipt.issued_at)
            ),
        )
        .open("dl", r#"class="entries receipt__party""#)
        .entry(t(Text::StudentName), receipt.student_name.as_str())
        .entry(t(Text::StudentCodeLabel), &receipt.student)
        .entry(t(Text::Class), receipt.class_name.as_str())
        .entry(t(Text::ReceiptCollector), receipt.school_name.as_str())
        .close("dl")
        .open("table", r#"class="receipt__lines""#)
        .leaf(
            "caption",
            r#"class="visually-hidden""#,
            t(Text::ReceiptItems),
        )
        .open("thead", "")
        .open("tr", "")
        .leaf("th", r#"scope="col""#, t(Text::ReceiptDescription))
        .leaf("th", r#"scope="col""#, t(Text::ReceiptTerm))
        .leaf("th", r#"scope="col" class="amount""#, t(Text::Amount))
        .close("tr")
        .close("thead");
    let sections = receipt.sections();
    let several = sections.len() > 1;
    for section in sections {
        let title = match section.beneficiary {
            None => t(Collected::of(section.lines.iter().map(|l| l.kind)).schools()).to_owned(),
            Some(beneficiary) => lang.collected_for(beneficiary.as_str()),
        };
        m.open("tbody", "")
            .open("tr", r#"class="receipt__section""#)
            .leaf("th", r#"scope="colgroup" colspan="3""#, &title)
            .close("tr");
        for line in section.lines {
            let deduction = line.kind.is_adjustment();
            m.open(
                "tr",
                if deduction {
                    r#"class="receipt__deduction""#
                } else {
                    ""
                },
            )
            .open("td", "")
            .text(line.description.as_str());
            if let Some(pricing) = line.pricing {
                m.leaf("small", r#"class="receipt__detail""#, &lang.priced(pricing));
            }
            let amount = if deduction {
                i18n::deduction(line.amount)
            } else {
                line.amount.to_string()
            };
            m.close("td")
                .leaf("td", "", line.term.as_str())
                .leaf("td", r#"class="amount""#, &amount)
                .close("tr");
        }
        if several {
            let subtotal = section
                .subtotal
                .map_or_else(|| "0\u{a0}₫".to_owned(), |m| m.to_string());
            m.open("tr", r#"class="receipt__subtotal""#)
                .leaf("th", r#"scope="row" colspan="2""#, t(Text::InvoiceTotal))
                .leaf("td", r#"class="amount""#, &subtotal)
                .close("tr");
        }
        m.close("tbody");
    }
    m.open("tfoot", "")
        .open("tr", "")
        .leaf("th", r#"scope="row" colspan="2""#, t(Text::ReceiptTotal))
        .leaf("td", r#"class="amount""#, &receipt.total.to_string())
        .close("tr")
        .close("tfoot")
        .close("table")
        .open("p", r#"class="receipt__words""#)
        .leaf("span", "", &format!("{}: ", t(Text::ReceiptInWords)))
        .leaf("em", "", &receipt.amount_in_words)
        .close("p")
        .open("dl", r#"class="entries receipt__payment""#)
        .entry(t(Text::ReceiptPaidThrough), receipt.gateway.display_name())
        .entry(t(Text::ReceiptGatewayTxn), &receipt.gateway_txn.to_string())
        .entry(t(Text::PaymentReference), &receipt.payment.to_string())
        .entry(
            t(Text::EInvoiceNumber),
            receipt
                .e_invoice
                .as_ref()
                .map_or(t(Text::EInvoiceNone), |n| n.as_str()),
        )
        .close("dl")
        .open("figure", r#"class="receipt__qr""#);
    if let Some(qr) = &receipt.qr {
        m.qr(qr, t(Text::ReceiptQrLabel));
    }
    m.leaf("figcaption", "", t(Text::ReceiptVerify))
        .close("figure")
        .leaf("p", r#"class="receipt__online""#, t(Text::ReceiptNature))
        .leaf("p", r#"class="receipt__online""#, t(Text::ReceiptOnline));
    m.finish()
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
