//! Reading amounts and dates the way Vietnamese spreadsheets write them.
//!
//! Invariants: an amount is a positive whole number of đồng, grouped by `.` or spaces in threes
//! or not at all, optionally followed by `₫`, `đ`, `VND` or `VNĐ`; a comma anywhere, a fraction,
//! a sign or zero is refused, because `1,5` and `1.500.000,50` mean fractions in Vietnamese. A
//! number cell is an amount only when it is whole. Dates are `dd/mm/yyyy` (day first, also with
//! `-` or `.`), `yyyy-mm-dd`, an Excel date cell or an Excel serial number. Every refusal is a
//! Vietnamese sentence quoting what was received.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use hocphi_domain::{Money, MoneyError};

use crate::table::Cell;
use crate::text::group_digits;

/// The reason an empty required cell is refused.
pub(crate) const EMPTY: &str = "không được để trống";

/// A cell's text quoted for a message, cut at 40 characters.
pub(crate) fn received(cell: &Cell) -> String {
    let text = cell.text();
    let shown: String = text.chars().take(40).collect();
    if shown.len() < text.len() {
        format!("\"{shown}…\"")
    } else {
        format!("\"{shown}\"")
    }
}

fn not_an_amount(cell: &Cell) -> String {
    format!(
        "số tiền phải là số nguyên dương (VND), nhận được {}",
        received(cell)
    )
}

/// An amount in đồng from a cell.
pub(crate) fn amount(cell: &Cell) -> Result<Money, String> {
    let digits = match cell {
        Cell::Empty => return Err(EMPTY.to_owned()),
        Cell::Text(raw) if raw.trim().is_empty() => return Err(EMPTY.to_owned()),
        Cell::Text(raw) => amount_digits(raw),
        Cell::Number(n) => n.bytes().all(|b| b.is_ascii_digit()).then(|| n.clone()),
        Cell::DateTime(_) | Cell::Other(_) => None,
    }
    .ok_or_else(|| not_an_amount(cell))?;
    let significant = digits.trim_start_matches('0');
    if significant.len() > 11 {
        return Err(too_large(cell));
    }
    Money::parse(if significant.is_empty() {
        "0"
    } else {
        significant
    })
    .map_err(|e| match e {
        MoneyError::TooLarge => too_large(cell),
        MoneyError::NotDigits(_) | MoneyError::Fractional | MoneyError::NotPositive => {
            not_an_amount(cell)
        }
    })
}

fn too_large(cell: &Cell) -> String {
    format!(
        "số tiền vượt quá mức tối đa {} ₫, nhận được {}",
        group_digits(Money::MAX_VND),
        received(cell)
    )
}

/// The digits of a written amount, or `None` when it is not a well-formed whole amount.
fn amount_digits(raw: &str) -> Option<String> {
    let mut text = raw.trim().to_lowercase();
    for suffix in ["₫", "vnđ", "vnd", "đồng", "đ"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            text = rest.trim_end().to_owned();
            break;
        }
    }
    let is_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
    let separator = text.chars().find(|c| *c == '.' || is_space(*c));
    let groups: Vec<&str> = match separator {
        None => vec![text.as_str()],
        Some('.') => text.split('.').collect(),
        Some(_) => text.split(is_space).collect(),
    };
    let well_grouped = groups.iter().enumerate().all(|(i, g)| {
        let digits = !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
        digits && (groups.len() == 1 || if i == 0 { g.len() <= 3 } else { g.len() == 3 })
    });
    well_grouped.then(|| groups.concat())
}

fn not_a_date(cell: &Cell) -> String {
    format!(
        "ngày không hợp lệ (viết theo dạng dd/mm/yyyy), nhận được {}",
        received(cell)
    )
}

/// The earliest and latest dates hocphi accepts in a file, to catch typos such as `15/10/225`.
const FIRST: (i32, u32, u32) = (2000, 1, 1);
const LAST: (i32, u32, u32) = (2099, 12, 31);

fn plausible(date: NaiveDate) -> bool {
    let bound = |(y, m, d): (i32, u32, u32)| NaiveDate::from_ymd_opt(y, m, d);
    matches!((bound(FIRST), bound(LAST)), (Some(a), Some(b)) if (a..=b).contains(&date))
}

/// A calendar date from a cell.
pub(crate) fn date(cell: &Cell) -> Result<NaiveDate, String> {
    let parsed = match cell {
        Cell::Empty => return Err(EMPTY.to_owned()),
        Cell::Text(raw) if raw.trim().is_empty() => return Err(EMPTY.to_owned()),
        Cell::DateTime(at) => Some(at.date()),
        Cell::Number(serial) => excel_serial(serial),
        Cell::Text(raw) => date_text(raw.trim()),
        Cell::Other(_) => None,
    };
    parsed
        .filter(|d| plausible(*d))
        .ok_or_else(|| not_a_date(cell))
}

/// An Excel serial date (1900 system; a time of day after the point is ignored).
fn excel_serial(serial: &str) -> Option<NaiveDate> {
    let whole = serial.split('.').next()?;
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let days: i64 = whole.parse().ok()?;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::try_days(days)?)
}

fn date_text(raw: &str) -> Option<NaiveDate> {
    let day = raw.split_whitespace().next()?;
    if day.bytes().all(|b| b.is_ascii_digit()) && day.len() <= 7 {
        return excel_serial(day);
    }
    let parts: Vec<&str> = day.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, dayn) = if a.len() == 4 {
        (a, number(b)?, number(c)?)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (c, number(b)?, number(a)?)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(number(year)?).ok()?, month, dayn)
}

/// A moment written as `dd/mm/yyyy HH:MM[:SS]`, `yyyy-mm-dd HH:MM:SS`, VNPay's `yyyyMMddHHmmss`,
/// a bare date (midnight) or an Excel date cell.
pub(crate) fn datetime(cell: &Cell) -> Result<NaiveDateTime, String> {
    let parsed = match cell {
        Cell::Empty => return Err(EMPTY.to_owned()),
        Cell::Text(raw) if raw.trim().is_empty() => return Err(EMPTY.to_owned()),
        Cell::DateTime(at) => Some(*at),
        Cell::Number(n) if n.len() == 14 => NaiveDateTime::parse_from_str(n, "%Y%m%d%H%M%S").ok(),
        Cell::Number(serial) => excel_serial(serial).map(|d| d.and_time(NaiveTime::MIN)),
        Cell::Text(raw) => datetime_text(raw.trim()),
        Cell::Other(_) => None,
    };
    parsed.filter(|at| plausible(at.date())).ok_or_else(|| {
        format!(
            "thời gian không hợp lệ (viết theo dạng dd/mm/yyyy HH:MM:SS), nhận được {}",
            received(cell)
        )
    })
}

fn datetime_text(raw: &str) -> Option<NaiveDateTime> {
    if raw.len() == 14 && raw.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDateTime::parse_from_str(raw, "%Y%m%d%H%M%S").ok();
    }
    let mut parts = raw.split_whitespace();
    let day = date_text(parts.next()?)?;
    let Some(clock) = parts.next() else {
        return Some(day.and_time(NaiveTime::MIN));
    };
    let time = NaiveTime::parse_from_str(clock, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(clock, "%H:%M"))
        .ok()?;
    parts.next().is_none().then(|| day.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> Cell {
        Cell::Text(raw.to_owned())
    }

    #[test]
    fn amounts_written_the_vietnamese_way_are_read() {
        let cases = [
            ("1500000", 1_500_000),
            ("1.500.000", 1_500_000),
            ("1 500 000", 1_500_000),
            ("1\u{a0}500\u{a0}000", 1_500_000),
            ("1.500.000 ₫", 1_500_000),
            ("1.500.000₫", 1_500_000),
            ("1500000đ", 1_500_000),
            ("1.500.000 VNĐ", 1_500_000),
            ("1500000 vnd", 1_500_000),
            ("  650.000  ", 650_000),
            ("999", 999),
            ("9.999.999.999", 9_999_999_999),
        ];
        for (raw, vnd) in cases {
            assert_eq!(amount(&text(raw)).map(Money::vnd), Ok(vnd), "{raw:?}");
        }
        assert_eq!(
            amount(&Cell::Number("1500000".into())).map(Money::vnd),
            Ok(1_500_000)
        );
    }

    #[test]
    fn fractions_commas_signs_zero_and_bad_grouping_are_refused() {
        let bad = [
            "1,5",
            "1.500.000,50",
            "1,500,000",
            "-1500000",
            "+1500000",
            "0",
            "0.000",
            "1.5",
            "15.00",
            "1.5000.000",
            "1 500.000",
            "1500000 USD",
            "một triệu",
            "1e6",
            "đ",
        ];
        for raw in bad {
            let err = amount(&text(raw)).expect_err(raw);
            assert_eq!(
                err,
                format!("số tiền phải là số nguyên dương (VND), nhận được \"{raw}\""),
                "{raw:?}"
            );
        }
        for number in ["1500000.5", "-5", "0"] {
            assert!(amount(&Cell::Number(number.into())).is_err(), "{number}");
        }
        assert_eq!(amount(&text(" ")), Err(EMPTY.to_owned()));
        assert_eq!(
            amount(&text("10.000.000.000")),
            Err(
                "số tiền vượt quá mức tối đa 9.999.999.999 ₫, nhận được \"10.000.000.000\""
                    .to_owned()
            )
        );
    }

    #[test]
    fn dates_are_read_day_first_or_from_excel() {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let cases = [
            (text("15/10/2025"), ymd(2025, 10, 15)),
            (text("5/1/2026"), ymd(2026, 1, 5)),
            (text("15-10-2025"), ymd(2025, 10, 15)),
            (text("15.10.2025"), ymd(2025, 10, 15)),
            (text("2025-10-15"), ymd(2025, 10, 15)),
            (text("15/10/2025 0:00"), ymd(2025, 10, 15)),
            (text("45945"), ymd(2025, 10, 15)),
            (Cell::Number("45945".into()), ymd(2025, 10, 15)),
            (Cell::Number("45945.5".into()), ymd(2025, 10, 15)),
            (
                Cell::DateTime(ymd(2025, 10, 15).and_time(NaiveTime::MIN)),
                ymd(2025, 10, 15),
            ),
        ];
        for (cell, expected) in cases {
            assert_eq!(date(&cell), Ok(expected), "{cell:?}");
        }
        for raw in [
            "31/02/2025",
            "10/15/2025",
            "15/10/25",
            "2025/10",
            "hôm nay",
            "15/10/1999",
        ] {
            assert_eq!(
                date(&text(raw)),
                Err(format!(
                    "ngày không hợp lệ (viết theo dạng dd/mm/yyyy), nhận được \"{raw}\""
                )),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn moments_are_read_in_the_settlement_formats() {
        let at = NaiveDate::from_ymd_opt(2025, 9, 1)
            .unwrap()
            .and_hms_opt(10, 15, 30)
            .unwrap();
        for raw in [
            "01/09/2025 10:15:30",
            "2025-09-01 10:15:30",
            "20250901101530",
        ] {
            assert_eq!(datetime(&text(raw)), Ok(at), "{raw}");
        }
        assert_eq!(datetime(&Cell::Number("20250901101530".into())), Ok(at));
        assert_eq!(
            datetime(&text("01/09/2025")),
            Ok(at.date().and_time(NaiveTime::MIN))
        );
        assert!(datetime(&text("01/09/2025 25:00")).is_err());
    }
}
