//! VND amounts.
//!
//! Invariant: a [`Money`] is a whole number of đồng, strictly positive and at most
//! [`Money::MAX`] (VNPay carries amounts ×100 in 12 digits). It travels as a decimal string and is
//! never a float. Conversion to a gateway's unit happens only in that gateway's module.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A strictly positive whole amount of Vietnamese đồng.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Money(Decimal);

/// Why a value is not a valid amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount must be written with digits only, got {0:?}")]
    NotDigits(String),
    #[error("an amount in VND has no fractional part")]
    Fractional,
    #[error("an amount must be greater than zero")]
    NotPositive,
    #[error("an amount may not exceed 9,999,999,999 VND")]
    TooLarge,
}

impl Money {
    /// The largest amount hocphi accepts: 9,999,999,999 ₫.
    pub const MAX_VND: u64 = 9_999_999_999;

    /// An amount from a whole number of đồng.
    pub fn from_vnd(vnd: u64) -> Result<Self, MoneyError> {
        match vnd {
            0 => Err(MoneyError::NotPositive),
            v if v > Self::MAX_VND => Err(MoneyError::TooLarge),
            v => Ok(Self(Decimal::from(v))),
        }
    }

    /// Parses the canonical wire form: ASCII digits only, no sign, separators or fraction.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        if raw.is_empty() || raw.len() > 11 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotDigits(raw.chars().take(24).collect()));
        }
        let vnd: u64 = raw
            .parse()
            .map_err(|_| MoneyError::NotDigits(raw.to_owned()))?;
        Self::from_vnd(vnd)
    }

    /// Whole đồng as an integer (what a gateway module scales to its own unit).
    pub fn vnd(self) -> u64 {
        let mut digits = self.0;
        digits.rescale(0);
        digits.mantissa().unsigned_abs() as u64
    }

    /// The amount as a `Decimal` with scale 0.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// The sum of two amounts, refused when it leaves the accepted range.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        Self::from_vnd(self.vnd().saturating_add(other.vnd()))
    }

    /// The sum of a non-empty list of amounts.
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(None::<Money>, |acc, m| match acc {
                None => Ok(Some(m)),
                Some(a) => a.checked_add(m).map(Some),
            })?
            .ok_or(MoneyError::NotPositive)
    }

    /// The amount in Vietnamese words, accounting style: "Một triệu năm trăm nghìn đồng".
    pub fn in_words(self) -> String {
        crate::amount_in_words(self.vnd())
    }

    /// Grouped with dots and followed by a no-break space and the đồng sign: `1.500.000 ₫`.
    pub fn display_vnd(self) -> String {
        format!("{self}")
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        if !value.fract().is_zero() {
            return Err(MoneyError::Fractional);
        }
        if value <= Decimal::ZERO {
            return Err(MoneyError::NotPositive);
        }
        let whole: u64 = value.trunc().try_into().map_err(|_| MoneyError::TooLarge)?;
        Self::from_vnd(whole)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Money {
    type Error = MoneyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Money> for String {
    fn from(value: Money) -> Self {
        value.vnd().to_string()
    }
}

impl Money {
    /// The amount as an adjustment lowers a total: "−300.000 ₫" (a minus sign, not a hyphen).
    pub fn as_deduction(self) -> String {
        format!("\u{2212}{self}")
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.vnd().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        write!(f, "{grouped}\u{a0}₫")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_grouped_by_dots_with_the_dong_sign() {
        let cases = [
            (1, "1\u{a0}₫"),
            (999, "999\u{a0}₫"),
            (1_000, "1.000\u{a0}₫"),
            (1_500_000, "1.500.000\u{a0}₫"),
            (9_999_999_999, "9.999.999.999\u{a0}₫"),
        ];
        for (vnd, shown) in cases {
            assert_eq!(Money::from_vnd(vnd).unwrap().to_string(), shown, "{vnd}");
        }
    }

    #[test]
    fn a_deduction_is_shown_with_a_minus_sign() {
        assert_eq!(
            Money::from_vnd(300_000).unwrap().as_deduction(),
            "\u{2212}300.000\u{a0}₫"
        );
    }

    #[test]
    fn only_canonical_digit_strings_parse() {
        assert_eq!(Money::parse("1500000").unwrap().vnd(), 1_500_000);
        let bad = [
            ("", "empty"),
            ("0", "zero"),
            ("-5", "negative"),
            ("1.5", "fraction"),
            ("1.500.000", "grouped"),
            ("1e6", "exponent"),
            (" 100", "space"),
            ("10000000000", "above the maximum"),
            ("99999999999999999999999", "overflow"),
            ("١٢٣", "non-ASCII digits"),
        ];
        for (raw, why) in bad {
            assert!(Money::parse(raw).is_err(), "{why}: {raw:?} parsed");
        }
    }

    #[test]
    fn decimals_with_a_fraction_are_refused() {
        assert_eq!(
            Money::try_from(Decimal::new(15, 1)),
            Err(MoneyError::Fractional)
        );
        assert_eq!(Money::try_from(Decimal::new(1500, 2)).unwrap().vnd(), 15);
        assert_eq!(Money::try_from(Decimal::ZERO), Err(MoneyError::NotPositive));
        assert_eq!(
            Money::try_from(Decimal::from(10_000_000_000u64)),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn money_travels_as_a_json_string() {
        let m = Money::from_vnd(1_500_000).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"1500000\"");
        assert_eq!(serde_json::from_str::<Money>("\"1500000\"").unwrap(), m);
        assert!(serde_json::from_str::<Money>("1500000").is_err());
        assert!(serde_json::from_str::<Money>("1500000.0").is_err());
    }

    #[test]
    fn sums_stay_inside_the_accepted_range() {
        let a = Money::from_vnd(9_000_000_000).unwrap();
        assert_eq!(a.checked_add(a), Err(MoneyError::TooLarge));
        let parts = [1_000, 2_500, 500].map(|v| Money::from_vnd(v).unwrap());
        assert_eq!(Money::sum(parts).unwrap().vnd(), 4_000);
        assert_eq!(Money::sum([]), Err(MoneyError::NotPositive));
    }
}
