//! Every word a printed receipt carries, in the languages the parents' page offers: Vietnamese
//! (the default) and English.
//!
//! Invariants: both languages fill the same fields (a [`Words`] has no optional text), and no
//! text calls the receipt an electronic receipt or an e-invoice: it is the school's receipt for
//! an online payment, with a labelled place for an e-invoice's number.

use hocphi_domain::{Collected, Pricing, Unit};

/// The language a receipt is written in, from the page's `lang` (its BCP 47 tag).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `vi` or `en`; anything else (or nothing) is Vietnamese.
    pub fn from_code(code: &str) -> Self {
        match code {
            "en" => Self::En,
            _ => Self::Vi,
        }
    }

    /// The receipt's words in this language.
    pub fn words(self) -> &'static Words {
        match self {
            Self::Vi => &VI,
            Self::En => &EN,
        }
    }

    /// A per-unit line's detail: "21 ngày × 25.000 ₫", "21 × 25.000 ₫ per day".
    pub fn priced(self, pricing: Pricing) -> String {
        let words = self.words();
        let unit = match pricing.unit {
            Unit::Month => words.month,
            Unit::Day => words.day,
            Unit::Term => words.term_unit,
            Unit::Year => words.year,
            Unit::Item => words.item,
        };
        let (quantity, price) = (pricing.quantity, pricing.unit_price);
        match self {
            Self::Vi => format!("{quantity} {unit} × {price}"),
            Self::En => format!("{quantity} × {price} per {unit}"),
        }
    }

    /// The title of a section collected on behalf of `beneficiary`.
    pub fn collected_for(self, beneficiary: &str) -> String {
        format!("{}: {beneficiary}", self.words().collected_for)
    }

    /// The title of the school's own section, by what its lines collect.
    pub fn schools(self, collected: Collected) -> &'static str {
        let words = self.words();
        match collected {
            Collected::Tuition => words.school_tuition,
            Collected::Fees => words.school_fees,
            Collected::Both => words.school_both,
        }
    }
}

/// The fixed texts of a receipt in one language.
#[derive(Debug)]
pub struct Words {
    pub title: &'static str,
    pub template: &'static str,
    pub series: &'static str,
    pub number: &'static str,
    pub issued_at: &'static str,
    pub student_name: &'static str,
    pub student_code: &'static str,
    pub class: &'static str,
    pub collector: &'static str,
    pub items: &'static str,
    pub description: &'static str,
    pub term: &'static str,
    pub amount: &'static str,
    pub subtotal: &'static str,
    pub total: &'static str,
    pub in_words: &'static str,
    pub paid_through: &'static str,
    pub gateway_txn: &'static str,
    pub payment_reference: &'static str,
    pub e_invoice: &'static str,
    pub e_invoice_none: &'static str,
    pub qr_label: &'static str,
    pub verify: &'static str,
    pub nature: &'static str,
    pub online: &'static str,
    pub school_tuition: &'static str,
    pub school_fees: &'static str,
    pub school_both: &'static str,
    pub collected_for: &'static str,
    pub month: &'static str,
    pub day: &'static str,
    pub term_unit: &'static str,
    pub year: &'static str,
    pub item: &'static str,
}

#[cfg(test)]
impl Words {
    /// Every text, for checks over all of them.
    pub fn all(&self) -> [&'static str; 34] {
        [
            self.title,
            self.template,
            self.series,
            self.number,
            self.issued_at,
            self.student_name,
            self.student_code,
            self.class,
            self.collector,
            self.items,
            self.description,
            self.term,
            self.amount,
            self.subtotal,
            self.total,
            self.in_words,
            self.paid_through,
            self.gateway_txn,
            self.payment_reference,
            self.e_invoice,
            self.e_invoice_none,
            self.qr_label,
            self.verify,
            self.nature,
            self.online,
            self.school_tuition,
            self.school_fees,
            self.school_both,
            self.collected_for,
            self.month,
            self.day,
            self.term_unit,
            self.year,
            self.item,
        ]
    }
}

const VI: Words = Words {
    title: "Biên lai thu tiền",
    template: "Mẫu số",
    series: "Ký hiệu",
    number: "Số",
    issued_at: "Thời gian thu",
    student_name: "Họ tên",
    student_code: "Mã học sinh",
    class: "Lớp",
    collector: "Đơn vị thu",
    items: "Các khoản đã nộp",
    description: "Nội dung",
    term: "Kỳ thu",
    amount: "Số tiền",
    subtotal: "Cộng",
    total: "Tổng cộng",
    in_words: "Số tiền bằng chữ",
    paid_through: "Hình thức thanh toán",
    gateway_txn: "Mã giao dịch của cổng thanh toán",
    payment_reference: "Mã giao dịch",
    e_invoice: "Số hóa đơn điện tử",
    e_invoice_none: "(chưa có)",
    qr_label: "Mã QR mở biên lai này",
    verify: "Quét mã QR để mở và đối chiếu biên lai này trên hệ thống thu tiền của nhà trường.",
    nature: "Biên lai thu tiền của nhà trường cho khoản thanh toán trực tuyến này, không phải hóa đơn điện tử. Khi nhà trường lập hóa đơn điện tử, số hóa đơn được ghi ở mục trên.",
    online: "Nội dung biên lai được lấy trực tiếp từ hệ thống thu tiền khi mở trang.",
    school_tuition: "Học phí",
    school_fees: "Các khoản thu của nhà trường",
    school_both: "Học phí và các khoản thu của nhà trường",
    collected_for: "Thu hộ",
    month: "tháng",
    day: "ngày",
    term_unit: "học kỳ",
    year: "năm",
    item: "cái",
};

const EN: Words = Words {
    title: "Receipt",
    template: "Form",
    series: "Series",
    number: "No.",
    issued_at: "Paid at",
    student_name: "Name",
    student_code: "Student code",
    class: "Class",
    collector: "Collected by",
    items: "Fees paid",
    description: "Description",
    term: "Term",
    amount: "Amount",
    subtotal: "Subtotal",
    total: "Total",
    in_words: "Amount in words",
    paid_through: "Paid through",
    gateway_txn: "Gateway transaction number",
    payment_reference: "Payment reference",
    e_invoice: "E-invoice number",
    e_invoice_none: "(none yet)",
    qr_label: "QR code that opens this receipt",
    verify: "Scan the QR code to open this receipt on the school's payment system and check it.",
    nature: "The school's receipt for this online payment; it is not an e-invoice. When the school issues an e-invoice, its number is shown above.",
    online: "This receipt is read directly from the payment system when the page opens.",
    school_tuition: "Tuition",
    school_fees: "The school's fees",
    school_both: "The school's tuition and fees",
    collected_for: "Collected on behalf of",
    month: "month",
    day: "day",
    term_unit: "term",
    year: "year",
    item: "item",
};

#[cfg(test)]
mod tests {
    use hocphi_domain::Money;

    use super::*;

    #[test]
    fn every_text_is_written_in_both_languages_and_translated() {
        for (vi, en) in VI.all().into_iter().zip(EN.all()) {
            for text in [vi, en] {
                assert!(!text.trim().is_empty());
                assert_eq!(text, text.trim(), "stray spaces: {text:?}");
            }
            assert_ne!(vi, en, "left untranslated");
        }
    }

    #[test]
    fn no_text_calls_the_receipt_an_electronic_receipt() {
        for text in VI.all().into_iter().chain(EN.all()) {
            let text = text.to_lowercase();
            assert!(
                !text.contains("biên lai điện tử") && !text.contains("e-receipt"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_language_is_vietnamese_unless_english_is_asked() {
        assert_eq!(Lang::from_code("en"), Lang::En);
        for code in ["vi", "", "EN", "fr", "en-US"] {
            assert_eq!(Lang::from_code(code), Lang::Vi, "{code}");
        }
    }

    #[test]
    fn a_line_shows_its_quantity_and_unit_price_and_a_section_who_it_is_for() {
        let pricing = Pricing {
            quantity: 21,
            unit: Unit::Day,
            unit_price: Money::from_vnd(25_000).unwrap(),
        };
        assert_eq!(Lang::Vi.priced(pricing), "21 ngày × 25.000\u{a0}₫");
        assert_eq!(Lang::En.priced(pricing), "21 × 25.000\u{a0}₫ per day");
        assert_eq!(
            Lang::Vi.collected_for("Bảo hiểm xã hội tỉnh Gia Lai"),
            "Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai"
        );
        assert_eq!(
            Lang::En.collected_for("BHXH"),
            "Collected on behalf of: BHXH"
        );
    }

    #[test]
    fn the_schools_section_is_worded_by_what_its_lines_collect() {
        assert_eq!(Lang::Vi.schools(Collected::Tuition), "Học phí");
        assert_eq!(
            Lang::Vi.schools(Collected::Both),
            "Học phí và các khoản thu của nhà trường"
        );
        assert_eq!(Lang::En.schools(Collected::Fees), "The school's fees");
    }
}
