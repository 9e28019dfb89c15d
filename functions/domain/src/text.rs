//! Human-readable texts that appear on pages and receipts, and the school year.
//!
//! Invariant: a [`Label`] is trimmed, non-empty, at most 120 characters and free of control
//! characters; a [`MaskedName`] never holds more of a name than the family name and initials;
//! a [`SchoolYear`] spans two consecutive calendar years; [`escape_html`] is the one way any of
//! them, or anything else people wrote, is placed in HTML.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("a text may not be empty")]
    Empty,
    #[error("a text may not exceed {0} characters")]
    TooLong(usize),
    #[error("a text may not contain control characters")]
    Control,
    #[error("a name must be masked to the family name and initials")]
    NotMasked,
    #[error("a school year is written like 2025-2026")]
    SchoolYear,
}

fn clean(raw: &str, max: usize) -> Result<String, TextError> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong(max));
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    Ok(text)
}

/// A short display text: a school's name, a class, a term, a line item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    /// The longest label accepted.
    pub const MAX: usize = 120;

    /// Collapses runs of white space, then checks length and characters.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        clean(raw, Self::MAX).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A student's name reduced to the family name and initials: "Nguyễn Văn An" → "Nguyễn V. A.".
/// hocphi never stores a full name; this is what pages and receipts show.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MaskedName(String);

impl MaskedName {
    /// Masks a full name at the edge where it enters the system.
    pub fn mask(full_name: &str) -> Result<Self, TextError> {
        let cleaned = clean(full_name, Label::MAX)?;
        let mut words = cleaned.split(' ');
        let family = words.next().unwrap_or_default();
        let mut parts = vec![family.to_owned()];
        parts.extend(
            words.filter_map(|w| w.chars().next().map(|c| format!("{}.", c.to_uppercase()))),
        );
        if let (1, Some(first)) = (parts.len(), family.chars().next()) {
            parts[0] = format!("{}.", first.to_uppercase());
        }
        Ok(Self(parts.join(" ")))
    }

    /// Accepts a name [`MaskedName::mask`] produced, unchanged: a family name followed by
    /// initials, or a lone initial. Anything longer than an initial after the family name is
    /// refused, so an unmasked name can never slip in on the way back from storage or the wire.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = clean(raw, Label::MAX)?;
        if text == ERASED {
            return Ok(Self::erased());
        }
        let initial = |word: &str| {
            let mut chars = word.chars();
            matches!((chars.next(), chars.next(), chars.next()), (Some(c), Some('.'), None) if c != '.')
        };
        let mut words = text.split(' ');
        let family = words.next().unwrap_or_default();
        let masked = if text.contains(' ') {
            words.all(initial)
        } else {
            initial(family)
        };
        if masked {
            Ok(Self(text))
        } else {
            Err(TextError::NotMasked)
        }
    }

    /// The masked text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What a name becomes once the student's data is erased or past its retention
    /// (Law 91/2025/QH15): [`ERASED`].
    pub fn erased() -> Self {
        Self(ERASED.to_owned())
    }

    /// True once the name was erased.
    pub fn is_erased(&self) -> bool {
        self.0 == ERASED
    }
}

/// What a personal field holds once erased: a name, a class.
pub const ERASED: &str = "(đã xóa)";

impl Label {
    /// A class or other personal label once erased: [`ERASED`].
    pub fn erased() -> Self {
        Self(ERASED.to_owned())
    }
}

/// A school year, written `2025-2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchoolYear(u16);

impl SchoolYear {
    /// The school year that starts in `first` (September) and ends in `first + 1`.
    pub fn starting(first: u16) -> Result<Self, TextError> {
        if (2000..=2999).contains(&first) {
            Ok(Self(first))
        } else {
            Err(TextError::SchoolYear)
        }
    }

    /// Parses `2025-2026` (also `2025 - 2026` and `2025/2026`).
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let (a, b) = compact
            .split_once(['-', '/'])
            .ok_or(TextError::SchoolYear)?;
        let (first, second): (u16, u16) = (
            a.parse().map_err(|_| TextError::SchoolYear)?,
            b.parse().map_err(|_| TextError::SchoolYear)?,
        );
        if second != first.wrapping_add(1) {
            return Err(TextError::SchoolYear);
        }
        Self::starting(first)
    }

    /// The school year starting in 20`yy` (`yy` taken modulo 100).
    pub(crate) fn of_this_century(yy: u8) -> Self {
        Self(2000 + u16::from(yy % 100))
    }

    /// The calendar year in which it starts.
    pub fn first_year(self) -> u16 {
        self.0
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

macro_rules! string_conversions {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = TextError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_string()
            }
        }
    )*};
}
string_conversions!(Label, MaskedName, SchoolYear);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for MaskedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends `text` made safe to place in HTML, in element content and in quoted attribute values.
pub fn escape_html_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text` made safe to place in HTML, in element content and in quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_html_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_family_name_and_initials_only() {
        let cases = [
            ("Nguyễn Văn An", "Nguyễn V. A."),
            ("  trần   thị   bích ngọc ", "trần T. B. N."),
            ("Lê An", "Lê A."),
            ("Đặng", "Đ."),
            ("Nguyễn V. A.", "Nguyễn V. A."),
        ];
        for (full, masked) in cases {
            assert_eq!(MaskedName::mask(full).unwrap().as_str(), masked, "{full}");
        }
    }

    #[test]
    fn a_masked_name_reads_back_unchanged() {
        for name in ["Phạm M. C.", "Lê A.", "Đ.", "trần T. B. N."] {
            let parsed: MaskedName = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(parsed.as_str(), name);
            assert_eq!(MaskedName::mask(name).unwrap(), parsed, "{name}");
        }
    }

    #[test]
    fn a_name_that_is_not_masked_is_refused_on_the_way_in() {
        for raw in [
            "Phạm Minh Châu",
            "Phạm M. Châu",
            "Đặng",
            "Lê A",
            "Lê .",
            "Lê A..",
            "",
        ] {
            assert!(
                serde_json::from_str::<MaskedName>(&format!("\"{raw}\"")).is_err(),
                "{raw}"
            );
        }
    }

    #[test]
    fn school_years_span_consecutive_years() {
        assert_eq!(
            SchoolYear::parse("2025-2026").unwrap().to_string(),
            "2025-2026"
        );
        assert_eq!(SchoolYear::parse("2025 / 2026").unwrap().first_year(), 2025);
        for bad in ["2025", "2025-2027", "abcd-abce", "1999-2000", ""] {
            assert!(SchoolYear::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(Label::parse("  Học   phí  ").unwrap().as_str(), "Học phí");
        assert_eq!(Label::parse("   "), Err(TextError::Empty));
        assert_eq!(
            Label::parse(&"a".repeat(121)),
            Err(TextError::TooLong(Label::MAX))
        );
        assert_eq!(Label::parse("a\u{7}b"), Err(TextError::Control));
    }

    #[test]
    fn text_placed_in_html_never_becomes_markup() {
        let cases = [
            ("Trường THCS A & B", "Trường THCS A &amp; B"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (r#"" onmouseover="x"#, "&quot; onmouseover=&quot;x"),
            ("O'Neil", "O&#39;Neil"),
            ("Nguyễn Văn An", "Nguyễn Văn An"),
            ("", ""),
        ];
        for (text, escaped) in cases {
            assert_eq!(escape_html(text), escaped, "{text}");
        }
    }
}
