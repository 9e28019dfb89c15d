//! What a school collects: the kinds of collection, their units, the province's catalogue of
//! items, and the adjustments (state subsidy, reduction/exemption) an invoice may carry.
//!
//! Invariants: an adjustment line only ever lowers what is due and stores an amount with a
//! neutral label, never its reason (the reason — a family's circumstances, a disability — is
//! sensitive personal data); a voluntary line is never part of what an invoice requires, so it is
//! never pre-selected and never needed to pay the rest; a catalogue cap bounds the unit price of
//! its item.

use serde::{Deserialize, Serialize};

use crate::{ItemCode, Label, Money, SchoolId};

/// What one invoice line is: a charge of one kind of collection, or an adjustment.
///
/// Wire and storage names are the snake-case variant names; a line stored before kinds existed
/// reads as [`LineKind::Tuition`], which is what hocphi then billed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Học phí: private schools, vocational centres (public schools collect none since 2025–26).
    #[default]
    Tuition,
    /// Thu hộ: collected on behalf of another organisation (BHYT for Social Security…), named by
    /// the line's beneficiary.
    OnBehalf,
    /// Dịch vụ: meals, semi-boarding care, water, uniforms, agreed services.
    Service,
    /// Tự nguyện: a voluntary contribution; never required, never pre-selected.
    Voluntary,
    /// Hỗ trợ học phí: the state subsidy deducted from tuition.
    Subsidy,
    /// Miễn, giảm: an exemption or reduction deducted from what is due.
    Reduction,
}

impl LineKind {
    /// Every kind, charges first, in the order receipts and reports list them.
    pub const ALL: [Self; 6] = [
        Self::Tuition,
        Self::Service,
        Self::OnBehalf,
        Self::Voluntary,
        Self::Subsidy,
        Self::Reduction,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tuition => "tuition",
            Self::OnBehalf => "on_behalf",
            Self::Service => "service",
            Self::Voluntary => "voluntary",
            Self::Subsidy => "subsidy",
            Self::Reduction => "reduction",
        }
    }

    /// Parses the wire name, or the Vietnamese one an accountant types in a spreadsheet
    /// (`học phí`, `thu hộ`, `dịch vụ`, `tự nguyện`, `hỗ trợ`, `miễn giảm`), case-insensitively.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim().to_lowercase();
        let text = text.replace(['_', '-'], " ");
        Self::ALL.into_iter().find(|kind| {
            kind.as_str().replace('_', " ") == text
                || kind.vietnamese_names().contains(&text.as_str())
        })
    }

    fn vietnamese_names(self) -> &'static [&'static str] {
        match self {
            Self::Tuition => &["học phí", "hoc phi"],
            Self::OnBehalf => &["thu hộ", "thu ho"],
            Self::Service => &["dịch vụ", "dich vu"],
            Self::Voluntary => &["tự nguyện", "tu nguyen"],
            Self::Subsidy => &["hỗ trợ", "ho tro", "hỗ trợ học phí", "ho tro hoc phi"],
            Self::Reduction => &["miễn giảm", "mien giam", "miễn", "giảm", "mien", "giam"],
        }
    }

    /// The Vietnamese name a parent reads.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Tuition => "Học phí",
            Self::OnBehalf => "Thu hộ",
            Self::Service => "Dịch vụ",
            Self::Voluntary => "Tự nguyện",
            Self::Subsidy => "Hỗ trợ học phí",
            Self::Reduction => "Miễn, giảm",
        }
    }

    /// True for the two adjustments, which lower what is due.
    pub fn is_adjustment(self) -> bool {
        matches!(self, Self::Subsidy | Self::Reduction)
    }

    /// True for a charge the parent must pay with the invoice (everything but voluntary items
    /// and adjustments).
    pub fn is_mandatory_charge(self) -> bool {
        matches!(self, Self::Tuition | Self::OnBehalf | Self::Service)
    }

    /// True for the school's own collections (not collected on behalf of another organisation).
    pub fn is_schools_own(self) -> bool {
        !matches!(self, Self::OnBehalf)
    }
}

/// What a set of lines collects, for the words of a heading or a receipt's section: tuition
/// only where every charge is tuition, "fees" where none is, both when mixed. Adjustments follow
/// the charges they lower and count for neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collected {
    Tuition,
    Fees,
    Both,
}

impl Collected {
    /// What lines of `kinds` collect.
    pub fn of(kinds: impl IntoIterator<Item = LineKind>) -> Self {
        let (mut tuition, mut other) = (false, false);
        for kind in kinds {
            match kind {
                LineKind::Tuition => tuition = true,
                LineKind::Service | LineKind::OnBehalf | LineKind::Voluntary => other = true,
                LineKind::Subsidy | LineKind::Reduction => {}
            }
        }
        match (tuition, other) {
            (true, false) => Self::Tuition,
            (true, true) => Self::Both,
            (false, _) => Self::Fees,
        }
    }
}

/// The unit an item's price is set per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Month,
    Day,
    Term,
    Year,
    Item,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Self; 5] = [Self::Month, Self::Day, Self::Term, Self::Year, Self::Item];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Day => "day",
            Self::Term => "term",
            Self::Year => "year",
            Self::Item => "item",
        }
    }

    /// The Vietnamese unit a notice prints after a quantity: "21 ngày".
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Month => "tháng",
            Self::Day => "ngày",
            Self::Term => "học kỳ",
            Self::Year => "năm",
            Self::Item => "cái",
        }
    }

    /// Parses the wire name or the Vietnamese one (`tháng`, `ngày`, `học kỳ`/`kỳ`, `năm`,
    /// `cái`/`bộ`/`lần`), case-insensitively.
    pub fn parse(raw: &str) -> Option<Self> {
        let text = raw.trim().to_lowercase();
        Self::ALL.into_iter().find(|unit| {
            unit.as_str() == text
                || match unit {
                    Self::Month => matches!(text.as_str(), "tháng" | "thang"),
                    Self::Day => matches!(text.as_str(), "ngày" | "ngay" | "buổi" | "buoi"),
                    Self::Term => matches!(text.as_str(), "học kỳ" | "hoc ky" | "kỳ" | "ky"),
                    Self::Year => matches!(text.as_str(), "năm" | "nam" | "năm học" | "nam hoc"),
                    Self::Item => {
                        matches!(
                            text.as_str(),
                            "cái" | "cai" | "bộ" | "bo" | "lần" | "lan" | "thẻ" | "the"
                        )
                    }
                }
        })
    }
}

/// One entry of the province's catalogue of collection items (or a school's, where the province
/// lets schools add their own): what it is, its kind and unit, and the cap the province's
/// resolution sets on its price per unit, where one exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueItem {
    pub code: ItemCode,
    pub name: Label,
    /// A charge kind: never an adjustment.
    pub kind: LineKind,
    pub unit: Unit,
    /// The most a unit may cost, as the province's resolution sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Money>,
    /// Who the money is collected for ([`LineKind::OnBehalf`] only): "Bảo hiểm xã hội tỉnh Gia Lai".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<Label>,
    /// The school this entry belongs to; none: the province's, for every school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<SchoolId>,
}

/// Why a catalogue entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error(
        "a catalogue item is a charge (tuition, on behalf, service, voluntary), not an adjustment"
    )]
    Adjustment,
    #[error("an item collected on behalf of another organisation must name it (beneficiary)")]
    NoBeneficiary,
    #[error("only an item collected on behalf of another organisation names a beneficiary")]
    UnexpectedBeneficiary,
}

impl CatalogueItem {
    /// Checks the entry's rules: a charge kind, and a beneficiary exactly for on-behalf items.
    pub fn check(&self) -> Result<(), CatalogueError> {
        if self.kind.is_adjustment() {
            return Err(CatalogueError::Adjustment);
        }
        match (self.kind, &self.beneficiary) {
            (LineKind::OnBehalf, None) => Err(CatalogueError::NoBeneficiary),
            (LineKind::OnBehalf, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err(CatalogueError::UnexpectedBeneficiary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_their_wire_and_vietnamese_names() {
        for (raw, kind) in [
            ("tuition", LineKind::Tuition),
            ("Học phí", LineKind::Tuition),
            ("on_behalf", LineKind::OnBehalf),
            ("THU HỘ", LineKind::OnBehalf),
            ("dịch vụ", LineKind::Service),
            ("tự nguyện", LineKind::Voluntary),
            ("Hỗ trợ học phí", LineKind::Subsidy),
            ("miễn giảm", LineKind::Reduction),
        ] {
            assert_eq!(LineKind::parse(raw), Some(kind), "{raw}");
        }
        assert_eq!(LineKind::parse("học thêm"), None);
    }

    #[test]
    fn lines_collect_tuition_only_where_every_charge_is_tuition() {
        use LineKind::*;
        for (kinds, collected) in [
            (&[Tuition, Subsidy, Reduction][..], Collected::Tuition),
            (&[Service, OnBehalf, Voluntary], Collected::Fees),
            (&[Tuition, Service], Collected::Both),
            (&[Voluntary, Tuition], Collected::Both),
            (&[Reduction], Collected::Fees),
            (&[], Collected::Fees),
        ] {
            assert_eq!(Collected::of(kinds.iter().copied()), collected, "{kinds:?}");
        }
    }

    #[test]
    fn units_parse_from_their_wire_and_vietnamese_names() {
        for (raw, unit) in [
            ("day", Unit::Day),
            ("Ngày", Unit::Day),
            ("tháng", Unit::Month),
            ("học kỳ", Unit::Term),
            ("năm", Unit::Year),
            ("bộ", Unit::Item),
        ] {
            assert_eq!(Unit::parse(raw), Some(unit), "{raw}");
        }
        assert_eq!(Unit::parse("tuần"), None);
    }

    #[test]
    fn a_catalogue_item_names_a_beneficiary_exactly_when_collected_on_behalf() {
        let item = |kind, beneficiary: Option<&str>| CatalogueItem {
            code: ItemCode::parse("bhyt").unwrap(),
            name: Label::parse("Bảo hiểm y tế học sinh").unwrap(),
            kind,
            unit: Unit::Year,
            cap: None,
            beneficiary: beneficiary.map(|b| Label::parse(b).unwrap()),
            school: None,
        };
        assert_eq!(
            item(LineKind::OnBehalf, Some("BHXH tỉnh Gia Lai")).check(),
            Ok(())
        );
        assert_eq!(
            item(LineKind::OnBehalf, None).check(),
            Err(CatalogueError::NoBeneficiary)
        );
        assert_eq!(
            item(LineKind::Service, Some("BHXH")).check(),
            Err(CatalogueError::UnexpectedBeneficiary)
        );
        assert_eq!(
            item(LineKind::Reduction, None).check(),
            Err(CatalogueError::Adjustment)
        );
        assert_eq!(item(LineKind::Service, None).check(), Ok(()));
    }

    #[test]
    fn item_codes_are_upper_cased_and_checked() {
        assert_eq!(ItemCode::parse(" bantru ").unwrap().as_str(), "BANTRU");
        assert!(ItemCode::parse("").is_err());
        assert!(ItemCode::parse("BÁN TRÚ").is_err());
        assert!(ItemCode::parse(&"X".repeat(25)).is_err());
    }
}
