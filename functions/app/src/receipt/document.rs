//! The printable receipt voucher ("biên lai thu tiền") as the inside of the page's
//! `<article class="receipt">`, laid out by the page's print styles for A5.
//!
//! One receipt per payment under the school's own template, series and number, in sections: the
//! school's own collections (adjustments as deductions), then one section per organisation money
//! was collected for, each with its subtotal when there are several. It never calls itself an
//! e-invoice: it keeps a labelled place for the e-invoice number, "(chưa có)" until a provider
//! issues one. Its QR code opens the receipt's own address.
//!
//! Invariant: every value is escaped ([`Markup`]); the only markup is this module's own.

use chrono::{DateTime, FixedOffset, Offset, Utc};
use hocphi_api::ReceiptResponse;
use hocphi_domain::Collected;

use super::markup::Markup;
use super::words::Lang;

/// Asia/Ho_Chi_Minh: UTC+7 without daylight saving since 1975, exact for every receipt.
const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

/// An instant as Vietnamese paperwork writes it, in Vietnam's time: `05/10/2025 14:03`.
fn date_time(at: DateTime<Utc>) -> String {
    let vietnam = FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECONDS).unwrap_or(Utc.fix());
    at.with_timezone(&vietnam)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// The receipt's document in `lang`.
pub fn document(receipt: &ReceiptResponse, lang: Lang) -> String {
    let w = lang.words();
    let number = &receipt.number;
    let mut m = Markup::new();
    m.open("header", r#"class="receipt__head""#)
        .leaf(
            "p",
            r#"class="receipt__school""#,
            receipt.school_name.as_str(),
        )
        .open("dl", r#"class="receipt__number""#)
        .entry(w.template, &number.template.to_string())
        .entry(w.series, &number.series.to_string())
        .entry(w.number, &format!("{:07}", number.sequence))
        .close("dl")
        .close("header")
        .leaf(
            "h1",
            r#"id="receipt-title" class="receipt__title""#,
            w.title,
        )
        .leaf(
            "p",
            r#"class="receipt__date""#,
            &format!("{}: {}", w.issued_at, date_time(receipt.issued_at)),
        )
        .open("dl", r#"class="entries receipt__party""#)
        .entry(w.student_name, receipt.student_name.as_str())
        .entry(w.student_code, &receipt.student)
        .entry(w.class, receipt.class_name.as_str())
        .entry(w.collector, receipt.school_name.as_str())
        .close("dl")
        .open("table", r#"class="receipt__lines""#)
        .leaf("caption", r#"class="visually-hidden""#, w.items)
        .open("thead", "")
        .open("tr", "")
        .leaf("th", r#"scope="col""#, w.description)
        .leaf("th", r#"scope="col""#, w.term)
        .leaf("th", r#"scope="col" class="amount""#, w.amount)
        .close("tr")
        .close("thead");
    let sections = receipt.sections();
    let several = sections.len() > 1;
    for section in sections {
        let title = match section.beneficiary {
            None => lang
                .schools(Collected::of(section.lines.iter().map(|l| l.kind)))
                .to_owned(),
            Some(beneficiary) => lang.collected_for(beneficiary.as_str()),
        };
        m.open("tbody", "")
            .open("tr", r#"class="receipt__section""#)
            .leaf("th", r#"scope="colgroup" colspan="3""#, &title)
            .close("tr");
        for line in section.lines {
            let deducted = line.kind.is_adjustment();
            m.open(
                "tr",
                if deducted {
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
            let amount = if deducted {
                line.amount.as_deduction()
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
                .leaf("th", r#"scope="row" colspan="2""#, w.subtotal)
                .leaf("td", r#"class="amount""#, &subtotal)
                .close("tr");
        }
        m.close("tbody");
    }
    m.open("tfoot", "")
        .open("tr", "")
        .leaf("th", r#"scope="row" colspan="2""#, w.total)
        .leaf("td", r#"class="amount""#, &receipt.total.to_string())
        .close("tr")
        .close("tfoot")
        .close("table")
        .open("p", r#"class="receipt__words""#)
        .leaf("span", "", &format!("{}: ", w.in_words))
        .leaf("em", "", &receipt.amount_in_words)
        .close("p")
        .open("dl", r#"class="entries receipt__payment""#)
        .entry(w.paid_through, receipt.gateway.display_name())
        .entry(w.gateway_txn, &receipt.gateway_txn.to_string())
        .entry(w.payment_reference, &receipt.payment.to_string())
        .entry(
            w.e_invoice,
            receipt
                .e_invoice
                .as_ref()
                .map_or(w.e_invoice_none, |n| n.as_str()),
        )
        .close("dl")
        .open("figure", r#"class="receipt__qr""#);
    if let Some(qr) = &receipt.qr {
        m.qr(qr, w.qr_label);
    }
    m.leaf("figcaption", "", w.verify)
        .close("figure")
        .leaf("p", r#"class="receipt__online""#, w.nature)
        .leaf("p", r#"class="receipt__online""#, w.online);
    m.finish()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use hocphi_api::QrPicture;
    use hocphi_domain::{
        GatewayKind, GatewayTxnNo, InvoiceId, Label, LineKind, MaskedName, Money, PaymentRef,
        Pricing, ReceiptId, ReceiptLine, ReceiptNumber, SchoolId, SchoolYear, Symbol, Unit,
    };

    use super::*;

    fn money(vnd: u64) -> Money {
        Money::from_vnd(vnd).unwrap()
    }

    fn label(text: &str) -> Label {
        Label::parse(text).unwrap()
    }

    fn line(kind: LineKind, description: &str, vnd: u64) -> ReceiptLine {
        ReceiptLine {
            invoice: InvoiceId::parse("NQ-2025-HK1-0001").unwrap(),
            term: label("Học kỳ I"),
            description: label(description),
            amount: money(vnd),
            kind,
            item: None,
            pricing: None,
            beneficiary: None,
        }
    }

    /// Paid at 07:03 UTC on 5 October 2025 through VietQR, by a school whose name needs escaping.
    fn receipt(lines: Vec<ReceiptLine>, total: u64) -> ReceiptResponse {
        ReceiptResponse {
            id: ReceiptId::parse("RC0001").unwrap(),
            number: ReceiptNumber {
                template: Symbol::parse("01BLP0-001").unwrap(),
                series: Symbol::parse("HP-25E").unwrap(),
                school_year: SchoolYear::starting(2025).unwrap(),
                sequence: 42,
            },
            issued_at: Utc.with_ymd_and_hms(2025, 10, 5, 7, 3, 0).unwrap(),
            school: SchoolId::parse("THCS-NQ").unwrap(),
            school_name: label("THCS <Ngô> Quyền & Co"),
            student: "••••••1234".into(),
            student_name: MaskedName::parse("Nguyễn V. A.").unwrap(),
            class_name: label("6A1"),
            total: money(total),
            lines,
            amount_in_words: "Một triệu đồng".into(),
            gateway: GatewayKind::Payos,
            gateway_txn: GatewayTxnNo::parse("14567890").unwrap(),
            payment: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            e_invoice: None,
            qr: Some(QrPicture {
                side: 29,
                path: "M4 4h7v1h-7z".into(),
            }),
            document: String::new(),
        }
    }

    /// Tuition less a reduction and meals priced per day, then health insurance collected for
    /// Social Security.
    fn two_sections() -> ReceiptResponse {
        let meals = ReceiptLine {
            pricing: Some(Pricing {
                quantity: 21,
                unit: Unit::Day,
                unit_price: money(25_000),
            }),
            ..line(LineKind::Service, "Tiền ăn bán trú", 525_000)
        };
        let insurance = ReceiptLine {
            beneficiary: Some(label("Bảo hiểm xã hội tỉnh Gia Lai")),
            ..line(LineKind::OnBehalf, "Bảo hiểm y tế", 400_000)
        };
        receipt(
            vec![
                line(LineKind::Tuition, "Học phí", 300_000),
                meals,
                insurance,
                line(LineKind::Reduction, "Miễn, giảm", 225_000),
            ],
            1_000_000,
        )
    }

    /// `haystack` holds every one of `needles`, in that order (amounts' no-break spaces read
    /// as spaces).
    fn in_order(haystack: &str, needles: &[&str]) {
        let haystack = haystack.replace('\u{a0}', " ");
        let mut rest = haystack.as_str();
        for needle in needles {
            let at = rest
                .find(needle)
                .unwrap_or_else(|| panic!("{needle:?} missing or out of order in {haystack}"));
            rest = &rest[at + needle.len()..];
        }
    }

    #[test]
    fn a_receipt_reads_in_vietnamese_section_by_section_with_its_number_time_and_qr_code() {
        let html = document(&two_sections(), Lang::Vi);
        in_order(
            &html,
            &[
                r#"<p class="receipt__school">THCS &lt;Ngô&gt; Quyền &amp; Co</p>"#,
                "<dt>Mẫu số</dt><dd>01BLP0-001</dd>",
                "<dt>Ký hiệu</dt><dd>HP-25E</dd>",
                "<dt>Số</dt><dd>0000042</dd>",
                r#"<h1 id="receipt-title" class="receipt__title">Biên lai thu tiền</h1>"#,
                "Thời gian thu: 05/10/2025 14:03",
                "<dt>Họ tên</dt><dd>Nguyễn V. A.</dd>",
                "<dt>Mã học sinh</dt><dd>••••••1234</dd>",
                "<dt>Lớp</dt><dd>6A1</dd>",
                r#"colspan="3">Học phí và các khoản thu của nhà trường</th>"#,
                "<td>Học phí</td>",
                r#"Tiền ăn bán trú<small class="receipt__detail">21 ngày × 25.000 ₫</small>"#,
                r#"<tr class="receipt__deduction"><td>Miễn, giảm</td><td>Học kỳ I</td><td class="amount">−225.000 ₫</td>"#,
                r#"<th scope="row" colspan="2">Cộng</th><td class="amount">600.000 ₫</td>"#,
                r#"colspan="3">Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai</th>"#,
                r#"<td class="amount">400.000 ₫</td>"#,
                r#"<th scope="row" colspan="2">Tổng cộng</th><td class="amount">1.000.000 ₫</td>"#,
                "<em>Một triệu đồng</em>",
                "<dt>Hình thức thanh toán</dt><dd>VietQR</dd>",
                "<dt>Mã giao dịch của cổng thanh toán</dt><dd>14567890</dd>",
                "<dt>Mã giao dịch</dt><dd>HP251005070000ABCDEFGH</dd>",
                "<dt>Số hóa đơn điện tử</dt><dd>(chưa có)</dd>",
                r#"viewBox="0 0 29 29" role="img" aria-label="Mã QR mở biên lai này""#,
                "không phải hóa đơn điện tử",
            ],
        );
        assert!(!html.contains("<Ngô>"));
        assert!(html.contains("1.000.000\u{a0}₫"));
    }

    #[test]
    fn a_receipt_asked_in_english_has_every_label_in_english() {
        let html = document(&two_sections(), Lang::En);
        in_order(
            &html,
            &[
                "<dt>Form</dt>",
                ">Receipt</h1>",
                "Paid at: 05/10/2025 14:03",
                "The school&#39;s tuition and fees",
                "21 × 25.000 ₫ per day",
                "Subtotal",
                "Collected on behalf of: Bảo hiểm xã hội tỉnh Gia Lai",
                "Total",
                "Amount in words",
                "<dt>E-invoice number</dt><dd>(none yet)</dd>",
                r#"aria-label="QR code that opens this receipt""#,
            ],
        );
        for vietnamese in ["Mẫu số", "Tổng cộng", "Thu hộ", "chưa có"] {
            assert!(!html.contains(vietnamese), "{vietnamese}");
        }
    }

    #[test]
    fn one_section_has_no_subtotal_and_an_issued_e_invoice_is_shown() {
        let mut one = receipt(
            vec![line(LineKind::Tuition, "Học phí", 1_000_000)],
            1_000_000,
        );
        one.e_invoice = Some(label("00000123"));
        one.qr = None;
        let html = document(&one, Lang::Vi);
        assert!(html.contains(r#"colspan="3">Học phí</th>"#));
        assert!(!html.contains("receipt__subtotal"));
        assert!(html.contains("<dt>Số hóa đơn điện tử</dt><dd>00000123</dd>"));
        assert!(!html.contains("<svg"));
    }

    #[test]
    fn the_time_paid_is_vietnams_across_midnight_utc() {
        let late = Utc.with_ymd_and_hms(2025, 12, 31, 17, 30, 0).unwrap();
        assert_eq!(date_time(late), "01/01/2026 00:30");
    }
}
