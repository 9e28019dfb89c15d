//! Receipts ("biên lai"): the proof a parent keeps.
//!
//! Invariant: a receipt is issued once per succeeded payment, numbered from its school's sequence
//! for the payment's school year (consecutive, never reused), and carries everything a printed
//! receipt shows: symbols and number, school, student (masked), items, total and total in words,
//! gateway and its transaction number. Its token is the capability that lets anyone verify it.
//! It is printed in [`ReceiptSection`]s: the school's own collections (adjustments deducted
//! there), then one per organisation money was collected on behalf of, whose subtotals add up to
//! the total.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{
    GatewayKind, GatewayTxnNo, Invoice, InvoiceId, ItemCode, Label, LineKind, MaskedName, Money,
    Payment, PaymentRef, Pricing, ReceiptId, ReceiptToken, School, SchoolId, SchoolYear,
    StudentCode, Symbol,
};

/// "Mẫu số 01BLP0-001, ký hiệu HP-25E, số 0000042".
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReceiptNumber {
    pub template: Symbol,
    pub series: Symbol,
    pub school_year: SchoolYear,
    /// Starts at 1 for each school and school year.
    pub sequence: u32,
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:07}", self.series, self.sequence)
    }
}

/// One paid line of one invoice on a receipt: a charge, a chosen voluntary line, or an
/// adjustment (whose amount was deducted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub invoice: InvoiceId,
    pub term: Label,
    pub description: Label,
    pub amount: Money,
    #[serde(default)]
    pub kind: LineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<Label>,
}

/// A receipt for one succeeded payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub number: ReceiptNumber,
    pub issued_at: DateTime<Utc>,
    pub school: SchoolId,
    pub school_name: Label,
    pub student: StudentCode,
    pub student_name: MaskedName,
    pub class_name: Label,
    pub lines: Vec<ReceiptLine>,
    pub total: Money,
    pub amount_in_words: String,
    pub gateway: GatewayKind,
    pub gateway_txn: GatewayTxnNo,
    pub payment: PaymentRef,
    pub token: ReceiptToken,
    /// The e-invoice number, once an e-invoice provider is connected and issued one: the
    /// receipt keeps a place for it and never claims to be one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e_invoice: Option<Label>,
}

/// One section of a printed receipt: the school's own collections ("Các khoản thu của nhà
/// trường": tuition, services, chosen voluntary items, less subsidies and reductions) or what was
/// collected on behalf of one organisation ("Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai"), which the
/// school pays over to it in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptSection<'a> {
    /// None for the school's own section.
    pub beneficiary: Option<&'a Label>,
    /// Its lines in receipt order, charges first, then the deductions.
    pub lines: Vec<&'a ReceiptLine>,
    /// Its charges less its deductions; none when they cancel out (a full exemption).
    pub subtotal: Option<Money>,
}

impl<'a> ReceiptSection<'a> {
    /// The school's own section first (when it has lines), then one section per beneficiary in
    /// the order their first line appears.
    pub fn of(lines: &'a [ReceiptLine]) -> Vec<Self> {
        let mut sections: Vec<Self> = Vec::new();
        let mut school = Self {
            beneficiary: None,
            lines: Vec::new(),
            subtotal: None,
        };
        for line in lines.iter().filter(|l| !l.kind.is_adjustment()) {
            match line
                .beneficiary
                .as_ref()
                .filter(|_| !line.kind.is_schools_own())
            {
                None => school.lines.push(line),
                Some(beneficiary) => match sections
                    .iter_mut()
                    .find(|s| s.beneficiary == Some(beneficiary))
                {
                    Some(section) => section.lines.push(line),
                    None => sections.push(Self {
                        beneficiary: Some(beneficiary),
                        lines: vec![line],
                        subtotal: None,
                    }),
                },
            }
        }
        school
            .lines
            .extend(lines.iter().filter(|l| l.kind.is_adjustment()));
        if !school.lines.is_empty() {
            sections.insert(0, school);
        }
        for section in &mut sections {
            section.subtotal = subtotal(&section.lines);
        }
        sections
    }

    /// The heading a printout gives the section.
    pub fn title_vi(&self) -> String {
        match self.beneficiary {
            None => "Các khoản thu của nhà trường".to_owned(),
            Some(beneficiary) => format!("Thu hộ: {beneficiary}"),
        }
    }
}

/// Charges less deductions, in whole đồng; none when nothing (or less) is left.
fn subtotal(lines: &[&ReceiptLine]) -> Option<Money> {
    let (deductions, charges): (Vec<&&ReceiptLine>, Vec<&&ReceiptLine>) =
        lines.iter().partition(|l| l.kind.is_adjustment());
    let sum = |lines: Vec<&&ReceiptLine>| -> u64 { lines.iter().map(|l| l.amount.vnd()).sum() };
    sum(charges)
        .checked_sub(sum(deductions))
        .and_then(|vnd| Money::from_vnd(vnd).ok())
}

impl Receipt {
    /// The receipt's sections, as printed: see [`ReceiptSection::of`].
    pub fn sections(&self) -> Vec<ReceiptSection<'_>> {
        ReceiptSection::of(&self.lines)
    }

    /// The receipt for `payment`, which paid `invoices` (in payment order) at `school`.
    pub fn issue(
        payment: &Payment,
        invoices: &[Invoice],
        school: &School,
        sequence: u32,
        gateway_txn: GatewayTxnNo,
        issued_at: DateTime<Utc>,
        token: ReceiptToken,
    ) -> Self {
        let chosen = |invoice: &Invoice, line: usize| {
            payment
                .voluntary
                .iter()
                .any(|r| r.invoice == invoice.id && usize::from(r.line) == line)
        };
        let lines = invoices
            .iter()
            .flat_map(|invoice| {
                invoice
                    .items()
                    .iter()
                    .enumerate()
                    .filter(move |(n, item)| !item.is_voluntary() || chosen(invoice, *n))
                    .map(|(_, item)| ReceiptLine {
                        invoice: invoice.id.clone(),
                        term: invoice.term.clone(),
                        description: item.description.clone(),
                        amount: item.amount,
                        kind: item.kind,
                        item: item.item.clone(),
                        pricing: item.pricing,
                        beneficiary: item.beneficiary.clone(),
                    })
            })
            .collect();
        Self {
            id: ReceiptId::for_payment(&payment.reference),
            number: ReceiptNumber {
                template: school.receipt_template.clone(),
                series: school.receipt_series.clone(),
                school_year: payment.school_year,
                sequence,
            },
            issued_at,
            school: school.id.clone(),
            school_name: school.name.clone(),
            student: payment.student.clone(),
            student_name: payment.student_name.clone(),
            class_name: payment.class_name.clone(),
            lines,
            total: payment.amount,
            amount_in_words: payment.amount.in_words(),
            gateway: payment.gateway,
            gateway_txn,
            payment: payment.reference.clone(),
            token,
            e_invoice: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::tests::{private_school, public_school};
    use crate::{LineRef, PayeeId};

    fn school() -> School {
        School {
            id: SchoolId::parse("BD-THCS-NQ").unwrap(),
            name: Label::parse("Trường THCS Ngô Quyền").unwrap(),
            receipt_template: Symbol::parse("01BLP0-001").unwrap(),
            receipt_series: Symbol::parse("HP-26E").unwrap(),
            payee: None::<PayeeId>,
            commune: Some(Label::parse("Phường Quy Nhơn").unwrap()),
        }
    }

    fn issue(invoice: &Invoice, voluntary: &[u16]) -> Receipt {
        let choices: Vec<LineRef> = voluntary
            .iter()
            .map(|line| LineRef {
                invoice: invoice.id.clone(),
                line: *line,
            })
            .collect();
        let payment = Payment::open(
            PaymentRef::parse("HP0000000001").unwrap(),
            std::slice::from_ref(invoice),
            &choices,
            GatewayKind::Vnpay,
            DateTime::UNIX_EPOCH,
            chrono::Duration::minutes(15),
        )
        .unwrap();
        Receipt::issue(
            &payment,
            std::slice::from_ref(invoice),
            &school(),
            1,
            GatewayTxnNo::parse("14000001").unwrap(),
            DateTime::UNIX_EPOCH,
            ReceiptToken::from_entropy([7; 16]),
        )
    }

    /// A section as a test states it: title, line descriptions, subtotal in đồng.
    type Shown<'a> = (&'a str, &'a [&'a str], u64);

    /// Each section as (title, line descriptions, subtotal in đồng).
    fn shown(receipt: &Receipt) -> Vec<(String, Vec<String>, u64)> {
        receipt
            .sections()
            .iter()
            .map(|s| {
                (
                    s.title_vi(),
                    s.lines.iter().map(|l| l.description.to_string()).collect(),
                    s.subtotal.map_or(0, Money::vnd),
                )
            })
            .collect()
    }

    fn owned(sections: &[Shown]) -> Vec<(String, Vec<String>, u64)> {
        sections
            .iter()
            .map(|(title, lines, subtotal)| {
                (
                    (*title).to_owned(),
                    lines.iter().map(ToString::to_string).collect(),
                    *subtotal,
                )
            })
            .collect()
    }

    #[test]
    fn a_receipt_is_printed_in_the_schools_section_and_one_per_beneficiary() {
        let public = public_school();
        let private = private_school();
        let cases: [(&str, Receipt, Vec<Shown>); 3] = [
            (
                "public school, nothing voluntary chosen",
                issue(&public, &[]),
                vec![
                    (
                        "Các khoản thu của nhà trường",
                        &["Tiền ăn bán trú", "Chăm sóc bán trú"],
                        725_000,
                    ),
                    (
                        "Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai",
                        &["Bảo hiểm y tế học sinh"],
                        884_520,
                    ),
                ],
            ),
            (
                "public school, the voluntary item chosen",
                issue(&public, &[3]),
                vec![
                    (
                        "Các khoản thu của nhà trường",
                        &["Tiền ăn bán trú", "Chăm sóc bán trú", "Quỹ khuyến học"],
                        825_000,
                    ),
                    (
                        "Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai",
                        &["Bảo hiểm y tế học sinh"],
                        884_520,
                    ),
                ],
            ),
            (
                "private school: the subsidy and the reduction are deductions",
                issue(&private, &[]),
                vec![(
                    "Các khoản thu của nhà trường",
                    &[
                        "Học phí học kỳ 1",
                        "Hỗ trợ học phí",
                        "Miễn, giảm theo quy định",
                    ],
                    1_200_000,
                )],
            ),
        ];
        for (case, receipt, expected) in cases {
            assert_eq!(shown(&receipt), owned(&expected), "{case}");
            let sum: u64 = receipt
                .sections()
                .iter()
                .filter_map(|s| s.subtotal)
                .map(Money::vnd)
                .sum();
            assert_eq!(sum, receipt.total.vnd(), "{case}: subtotals add up");
        }
    }

    #[test]
    fn a_receipt_lists_the_required_lines_and_only_the_chosen_voluntary_ones() {
        let public = public_school();
        let kinds = |r: &Receipt| r.lines.iter().map(|l| l.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(&issue(&public, &[])),
            [LineKind::Service, LineKind::Service, LineKind::OnBehalf]
        );
        let chosen = issue(&public, &[3]);
        assert_eq!(
            kinds(&chosen),
            [
                LineKind::Service,
                LineKind::Service,
                LineKind::OnBehalf,
                LineKind::Voluntary
            ]
        );
        assert_eq!(chosen.total.vnd(), 1_709_520);
        assert_eq!(chosen.lines[0].pricing, public.items()[0].pricing);
        assert_eq!(
            chosen.lines[2].beneficiary.as_ref().map(Label::as_str),
            Some("Bảo hiểm xã hội tỉnh Gia Lai")
        );
        assert_eq!(chosen.e_invoice, None);
    }

    #[test]
    fn a_full_exemption_leaves_the_schools_section_at_nothing() {
        let line = |kind, description: &str, amount: u64, beneficiary: Option<&str>| ReceiptLine {
            invoice: InvoiceId::parse("NQ-1").unwrap(),
            term: Label::parse("Học kỳ 1").unwrap(),
            description: Label::parse(description).unwrap(),
            amount: Money::from_vnd(amount).unwrap(),
            kind,
            item: None,
            pricing: None,
            beneficiary: beneficiary.map(|b| Label::parse(b).unwrap()),
        };
        let lines = [
            line(LineKind::Tuition, "Học phí", 1_000_000, None),
            line(
                LineKind::OnBehalf,
                "BHYT",
                884_520,
                Some("BHXH tỉnh Gia Lai"),
            ),
            line(LineKind::Reduction, "Miễn, giảm", 1_000_000, None),
            line(
                LineKind::OnBehalf,
                "Bảo hiểm tai nạn",
                100_000,
                Some("Bảo Việt"),
            ),
            line(
                LineKind::OnBehalf,
                "BHYT bổ sung",
                1_000,
                Some("BHXH tỉnh Gia Lai"),
            ),
        ];
        let sections = ReceiptSection::of(&lines);
        let summary: Vec<(Option<&str>, usize, Option<u64>)> = sections
            .iter()
            .map(|s| {
                (
                    s.beneficiary.map(Label::as_str),
                    s.lines.len(),
                    s.subtotal.map(Money::vnd),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (None, 2, None),
                (Some("BHXH tỉnh Gia Lai"), 2, Some(885_520)),
                (Some("Bảo Việt"), 1, Some(100_000)),
            ]
        );
        assert!(ReceiptSection::of(&[]).is_empty());
    }
}
