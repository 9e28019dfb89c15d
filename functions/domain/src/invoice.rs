//! Schools, students and invoices.
//!
//! Invariants: an [`Invoice`]'s lines are never empty; its total — what it requires — is the sum
//! of its mandatory charges less its adjustments, and is positive; adjustments lower only the
//! school's own charges (tuition, services), never money collected on behalf of another
//! organisation, which is passed over in full; voluntary lines are offered
//! beside it, never part of it; a line priced per unit is exactly quantity × unit price; an
//! invoice only ever moves Open → Paid (by a settled payment) or Open → Cancelled (voided by an
//! operator), and a Paid invoice never changes again.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    InvoiceId, ItemCode, Label, LineKind, LookupDigest, MaskedName, Money, MoneyError, PayeeId,
    SchoolId, SchoolYear, StudentCode, Symbol, Unit,
};

/// A school that collects tuition, with the symbols printed on its receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct School {
    pub id: SchoolId,
    pub name: Label,
    /// "Ký hiệu mẫu biên lai", e.g. `01BLP0-001`.
    pub receipt_template: Symbol,
    /// "Ký hiệu biên lai", e.g. `HP-25E`.
    pub receipt_series: Symbol,
    /// The payOS channel the school is paid through by bank transfer; none: the school is not
    /// offered bank transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<PayeeId>,
    /// The commune or ward ("xã/phường") the school is in: the Department reads collection by
    /// province → commune/ward → school. None for a school imported before communes were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commune: Option<Label>,
}

/// A student as the look-up sees them: who they are (masked), and the digest of their lookup code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    pub code: StudentCode,
    pub school: SchoolId,
    pub name: MaskedName,
    pub class_name: Label,
    pub lookup: LookupDigest,
}

/// One line of an invoice: a charge ("Tiền ăn bán trú", 21 ngày × 25.000 ₫ = 525.000 ₫) or an
/// adjustment ("Miễn, giảm", 300.000 ₫ deducted).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineItem {
    /// What the parent reads. For an adjustment, a neutral label ("Miễn, giảm theo quy định"),
    /// never the reason.
    pub description: Label,
    /// What the line charges, or for an adjustment what it deducts: always positive.
    pub amount: Money,
    #[serde(default)]
    pub kind: LineKind,
    /// The catalogue item it bills, where the school names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// Quantity × unit price, when the line is priced per unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// Who the money is collected for ([`LineKind::OnBehalf`] lines only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<Label>,
}

/// How a per-unit line is priced: `quantity` units of `unit` at `unit_price` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pricing {
    pub quantity: u32,
    pub unit: Unit,
    pub unit_price: Money,
}

impl LineItem {
    /// A tuition line with no item, pricing or beneficiary: what every line was before kinds.
    pub fn new(description: Label, amount: Money) -> Self {
        Self::of_kind(LineKind::Tuition, description, amount)
    }

    /// A line of `kind` with no item, pricing or beneficiary.
    pub fn of_kind(kind: LineKind, description: Label, amount: Money) -> Self {
        Self {
            description,
            amount,
            kind,
            item: None,
            pricing: None,
            beneficiary: None,
        }
    }

    /// True when the parent must pay this line with its invoice.
    pub fn is_mandatory(&self) -> bool {
        self.kind.is_mandatory_charge()
    }

    /// True for a voluntary line: offered beside the invoice, never required.
    pub fn is_voluntary(&self) -> bool {
        self.kind == LineKind::Voluntary
    }
}

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Open,
    Paid,
    Cancelled,
}

impl InvoiceStatus {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Open, Self::Paid, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Why and when an operator voided an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub reason: Label,
    pub at: DateTime<Utc>,
}

/// Everything an operator supplies for an invoice; [`Invoice::new`] checks it and computes the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceDraft {
    pub id: InvoiceId,
    pub school: SchoolId,
    pub student: StudentCode,
    pub student_name: MaskedName,
    pub class_name: Label,
    pub school_year: SchoolYear,
    pub term: Label,
    pub items: Vec<LineItem>,
    pub due_date: NaiveDate,
}

/// Why an invoice could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("an invoice needs at least one line item")]
    NoItems,
    #[error("an invoice may have at most {0} line items")]
    TooManyItems(usize),
    #[error("the invoice total is out of range: {0}")]
    Total(#[from] MoneyError),
    #[error("the stated total {stated} is not the sum of the items, {sum}")]
    TotalMismatch { stated: Money, sum: Money },
    #[error("line {line}: the amount is not quantity × unit price")]
    PricingMismatch { line: usize },
    #[error(
        "line {line}: only an item collected on behalf of another organisation names a beneficiary, and it must"
    )]
    Beneficiary { line: usize },
    #[error("the invoice has no mandatory charge: voluntary items are offered beside one")]
    NoMandatoryCharge,
    #[error(
        "the subsidies and reductions ({adjustments}) leave nothing due on charges of {charges}"
    )]
    NothingDue { charges: Money, adjustments: Money },
    #[error(
        "the subsidies and reductions ({adjustments}) exceed the school's own charges (tuition, services): money collected on behalf of another organisation is never reduced"
    )]
    AdjustmentOverOwnCharges { adjustments: Money },
}

/// A tuition invoice of one student.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "InvoiceRecord")]
pub struct Invoice {
    pub id: InvoiceId,
    pub school: SchoolId,
    pub student: StudentCode,
    pub student_name: MaskedName,
    pub class_name: Label,
    pub school_year: SchoolYear,
    pub term: Label,
    items: Vec<LineItem>,
    total: Money,
    pub due_date: NaiveDate,
    pub status: InvoiceStatus,
    /// Set when an operator voided the invoice.
    pub cancellation: Option<Cancellation>,
    /// Incremented by every stored change; stores use it for conditional writes.
    pub version: u64,
}

#[derive(Deserialize)]
struct InvoiceRecord {
    id: InvoiceId,
    school: SchoolId,
    student: StudentCode,
    student_name: MaskedName,
    class_name: Label,
    school_year: SchoolYear,
    term: Label,
    items: Vec<LineItem>,
    total: Money,
    due_date: NaiveDate,
    status: InvoiceStatus,
    #[serde(default)]
    cancellation: Option<Cancellation>,
    version: u64,
}

impl TryFrom<InvoiceRecord> for Invoice {
    type Error = InvoiceError;

    fn try_from(r: InvoiceRecord) -> Result<Self, Self::Error> {
        let mut invoice = Invoice::new(InvoiceDraft {
            id: r.id,
            school: r.school,
            student: r.student,
            student_name: r.student_name,
            class_name: r.class_name,
            school_year: r.school_year,
            term: r.term,
            items: r.items,
            due_date: r.due_date,
        })?;
        if invoice.total != r.total {
            return Err(InvoiceError::TotalMismatch {
                stated: r.total,
                sum: invoice.total,
            });
        }
        invoice.status = r.status;
        invoice.cancellation = r.cancellation;
        invoice.version = r.version;
        Ok(invoice)
    }
}

impl Invoice {
    /// The most line items an invoice may carry (a fee notice fits on one page).
    pub const MAX_ITEMS: usize = 30;

    /// A new Open invoice at version 0, its total the sum of its items.
    pub fn new(draft: InvoiceDraft) -> Result<Self, InvoiceError> {
        if draft.items.is_empty() {
            return Err(InvoiceError::NoItems);
        }
        if draft.items.len() > Self::MAX_ITEMS {
            return Err(InvoiceError::TooManyItems(Self::MAX_ITEMS));
        }
        let total = Self::required(&draft.items)?;
        Ok(Self {
            id: draft.id,
            school: draft.school,
            student: draft.student,
            student_name: draft.student_name,
            class_name: draft.class_name,
            school_year: draft.school_year,
            term: draft.term,
            items: draft.items,
            total,
            due_date: draft.due_date,
            status: InvoiceStatus::Open,
            cancellation: None,
            version: 0,
        })
    }

    /// Checks the lines and says what they require: mandatory charges less adjustments.
    fn required(items: &[LineItem]) -> Result<Money, InvoiceError> {
        for (i, item) in items.iter().enumerate() {
            let line = i + 1;
            if let Some(p) = item.pricing {
                let priced = u64::from(p.quantity).checked_mul(p.unit_price.vnd());
                if priced != Some(item.amount.vnd()) {
                    return Err(InvoiceError::PricingMismatch { line });
                }
            }
            if (item.kind == LineKind::OnBehalf) != item.beneficiary.is_some() {
                return Err(InvoiceError::Beneficiary { line });
            }
        }
        let mandatory: Vec<Money> = items
            .iter()
            .filter(|i| i.is_mandatory())
            .map(|i| i.amount)
            .collect();
        if mandatory.is_empty() {
            return Err(InvoiceError::NoMandatoryCharge);
        }
        let charges = Money::sum(mandatory)?;
        let adjustments: Vec<Money> = items
            .iter()
            .filter(|i| i.kind.is_adjustment())
            .map(|i| i.amount)
            .collect();
        if adjustments.is_empty() {
            return Ok(charges);
        }
        let adjustments = Money::sum(adjustments)?;
        let own: u64 = items
            .iter()
            .filter(|i| i.is_mandatory() && i.kind.is_schools_own())
            .map(|i| i.amount.vnd())
            .sum();
        if adjustments.vnd() > own {
            return Err(InvoiceError::AdjustmentOverOwnCharges { adjustments });
        }
        charges
            .vnd()
            .checked_sub(adjustments.vnd())
            .and_then(|due| Money::from_vnd(due).ok())
            .ok_or(InvoiceError::NothingDue {
                charges,
                adjustments,
            })
    }

    /// The lines, never empty, in the school's order.
    pub fn items(&self) -> &[LineItem] {
        &self.items
    }

    /// What the invoice requires: its mandatory charges less its adjustments (voluntary lines
    /// are not part of it).
    pub fn total(&self) -> Money {
        self.total
    }

    /// The voluntary lines with their positions in [`Invoice::items`].
    pub fn voluntary(&self) -> impl Iterator<Item = (usize, &LineItem)> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_voluntary())
    }

    /// True when `other` is for the same student of the same school: the only invoices an
    /// import may update under this id.
    pub fn same_owner(&self, other: &Invoice) -> bool {
        self.school == other.school && self.student == other.student
    }

    /// True when two versions of an invoice say the same thing to a parent (status and version
    /// aside): re-importing an unchanged invoice must change nothing.
    pub fn same_content(&self, other: &Invoice) -> bool {
        self.id == other.id
            && self.school == other.school
            && self.student == other.student
            && self.student_name == other.student_name
            && self.class_name == other.class_name
            && self.school_year == other.school_year
            && self.term == other.term
            && self.items == other.items
            && self.due_date == other.due_date
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn draft(amounts: &[u64]) -> InvoiceDraft {
        InvoiceDraft {
            id: InvoiceId::parse("NQ-2025-HK1-0001").unwrap(),
            school: SchoolId::parse("BD-THCS-NQ").unwrap(),
            student: StudentCode::parse("HS0001").unwrap(),
            student_name: MaskedName::mask("Nguyễn Văn An").unwrap(),
            class_name: Label::parse("6A1").unwrap(),
            school_year: SchoolYear::parse("2025-2026").unwrap(),
            term: Label::parse("Học kỳ 1").unwrap(),
            items: amounts
                .iter()
                .map(|a| {
                    LineItem::new(
                        Label::parse("Học phí").unwrap(),
                        Money::from_vnd(*a).unwrap(),
                    )
                })
                .collect(),
            due_date: NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        }
    }

    #[test]
    fn the_total_is_the_sum_of_the_items() {
        let invoice = Invoice::new(draft(&[1_500_000, 200_000, 50_000])).unwrap();
        assert_eq!(invoice.total().vnd(), 1_750_000);
        assert_eq!(invoice.status, InvoiceStatus::Open);
        assert_eq!(invoice.version, 0);
    }

    #[test]
    fn an_invoice_without_items_or_with_too_many_is_refused() {
        assert_eq!(Invoice::new(draft(&[])), Err(InvoiceError::NoItems));
        assert_eq!(
            Invoice::new(draft(&[1; 31])),
            Err(InvoiceError::TooManyItems(30))
        );
        assert!(matches!(
            Invoice::new(draft(&[9_000_000_000, 9_000_000_000])),
            Err(InvoiceError::Total(MoneyError::TooLarge))
        ));
    }

    fn line(kind: LineKind, description: &str, amount: u64) -> LineItem {
        let mut line = LineItem::of_kind(
            kind,
            Label::parse(description).unwrap(),
            Money::from_vnd(amount).unwrap(),
        );
        if kind == LineKind::OnBehalf {
            line.beneficiary = Some(Label::parse("Bảo hiểm xã hội tỉnh Gia Lai").unwrap());
        }
        line
    }

    fn with(items: Vec<LineItem>) -> Result<Invoice, InvoiceError> {
        Invoice::new(InvoiceDraft {
            items,
            ..draft(&[])
        })
    }

    /// A public school's 2026 invoice: meals by days, care, BHYT on behalf of Social Security
    /// and a voluntary item (line 3).
    pub(crate) fn public_school() -> Invoice {
        let mut meals = line(LineKind::Service, "Tiền ăn bán trú", 525_000);
        meals.pricing = Some(Pricing {
            quantity: 21,
            unit: Unit::Day,
            unit_price: Money::from_vnd(25_000).unwrap(),
        });
        with(vec![
            meals,
            line(LineKind::Service, "Chăm sóc bán trú", 200_000),
            line(LineKind::OnBehalf, "Bảo hiểm y tế học sinh", 884_520),
            line(LineKind::Voluntary, "Quỹ khuyến học", 100_000),
        ])
        .unwrap()
    }

    /// A private school's tuition with the state subsidy and a reduction deducted.
    pub(crate) fn private_school() -> Invoice {
        let mut invoice = with(vec![
            line(LineKind::Tuition, "Học phí học kỳ 1", 3_000_000),
            line(LineKind::Subsidy, "Hỗ trợ học phí", 1_500_000),
            line(LineKind::Reduction, "Miễn, giảm theo quy định", 300_000),
        ])
        .unwrap();
        invoice.id = InvoiceId::parse("NQ-2025-HK1-0009").unwrap();
        invoice
    }

    #[test]
    fn the_total_is_what_the_invoice_requires_voluntary_items_aside_and_adjustments_deducted() {
        assert_eq!(public_school().total().vnd(), 1_609_520);
        assert_eq!(
            public_school()
                .voluntary()
                .map(|(at, l)| (at, l.amount.vnd()))
                .collect::<Vec<_>>(),
            [(3, 100_000)]
        );
        assert_eq!(private_school().total().vnd(), 1_200_000);
        assert_eq!(private_school().voluntary().count(), 0);
    }

    #[test]
    fn invoices_whose_lines_break_the_rules_of_kinds_are_refused() {
        let priced = |quantity, unit_price| {
            let mut meals = line(LineKind::Service, "Tiền ăn", 525_000);
            meals.pricing = Some(Pricing {
                quantity,
                unit: Unit::Day,
                unit_price: Money::from_vnd(unit_price).unwrap(),
            });
            meals
        };
        let mut bhyt_unnamed = line(LineKind::OnBehalf, "BHYT", 884_520);
        bhyt_unnamed.beneficiary = None;
        let mut named_service = line(LineKind::Service, "Nước uống", 50_000);
        named_service.beneficiary = Some(Label::parse("Công ty nước").unwrap());
        let money = |vnd| Money::from_vnd(vnd).unwrap();
        let cases: Vec<(&str, Vec<LineItem>, InvoiceError)> = vec![
            (
                "21 days at 24.000 ₫ is not 525.000 ₫",
                vec![priced(21, 24_000)],
                InvoiceError::PricingMismatch { line: 1 },
            ),
            (
                "on behalf of nobody",
                vec![line(LineKind::Tuition, "Học phí", 1_000), bhyt_unnamed],
                InvoiceError::Beneficiary { line: 2 },
            ),
            (
                "a service naming a beneficiary",
                vec![named_service],
                InvoiceError::Beneficiary { line: 1 },
            ),
            (
                "only voluntary items",
                vec![line(LineKind::Voluntary, "Quỹ khuyến học", 100_000)],
                InvoiceError::NoMandatoryCharge,
            ),
            (
                "only an adjustment",
                vec![line(LineKind::Reduction, "Miễn, giảm", 100_000)],
                InvoiceError::NoMandatoryCharge,
            ),
            (
                "a full exemption leaves nothing due",
                vec![
                    line(LineKind::Tuition, "Học phí", 1_000_000),
                    line(LineKind::Reduction, "Miễn, giảm", 1_000_000),
                ],
                InvoiceError::NothingDue {
                    charges: money(1_000_000),
                    adjustments: money(1_000_000),
                },
            ),
            (
                "a reduction of money collected on behalf of Social Security",
                vec![
                    line(LineKind::Service, "Tiền ăn", 100_000),
                    line(LineKind::OnBehalf, "BHYT", 884_520),
                    line(LineKind::Reduction, "Miễn, giảm", 200_000),
                ],
                InvoiceError::AdjustmentOverOwnCharges {
                    adjustments: money(200_000),
                },
            ),
        ];
        for (case, items, expected) in cases {
            assert_eq!(with(items), Err(expected), "{case}");
        }
        assert_eq!(
            with(vec![priced(21, 25_000)]).unwrap().total().vnd(),
            525_000
        );
    }

    #[test]
    fn a_full_exemption_of_the_schools_own_charges_still_collects_on_behalf() {
        let invoice = with(vec![
            line(LineKind::Tuition, "Học phí", 1_000_000),
            line(LineKind::Reduction, "Miễn, giảm", 1_000_000),
            line(LineKind::OnBehalf, "BHYT", 884_520),
        ])
        .unwrap();
        assert_eq!(invoice.total().vnd(), 884_520);
    }

    #[test]
    fn a_stored_invoice_whose_total_disagrees_with_its_items_is_refused() {
        let invoice = Invoice::new(draft(&[100_000])).unwrap();
        let mut json = serde_json::to_value(&invoice).unwrap();
        assert_eq!(
            serde_json::from_value::<Invoice>(json.clone()).unwrap(),
            invoice
        );
        json["total"] = "100001".into();
        assert!(serde_json::from_value::<Invoice>(json).is_err());
    }
}
