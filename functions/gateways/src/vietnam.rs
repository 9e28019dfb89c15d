//! Vietnam's local time as the gateways write it, read back to UTC.
//!
//! Asia/Ho_Chi_Minh has been UTC+07:00 since 13 June 1975 (IANA tz database, file `asia`, zone
//! `Asia/Ho_Chi_Minh`). Invariant: a local time from 1976 on is read with that fixed offset,
//! without a zone look-up; an earlier one goes through `chrono-tz`, so both give the same instant.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

/// The first year read with the fixed offset.
const FIXED_FROM_YEAR: i32 = 1976;
/// Vietnam's offset from UTC since 1975, in hours.
const OFFSET_HOURS: i64 = 7;

/// The instant of a local time in Vietnam; `None` for a local time that does not exist or is
/// ambiguous (only possible before 1976).
pub(crate) fn from_local(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    if naive.year() >= FIXED_FROM_YEAR {
        let utc = naive.checked_sub_signed(Duration::hours(OFFSET_HOURS))?;
        return Some(Utc.from_utc_datetime(&utc));
    }
    Ho_Chi_Minh
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// `yyyyMMddHHmmss` (14 ASCII digits), Vietnam's time.
pub(crate) fn parse_compact(raw: &[u8]) -> Option<DateTime<Utc>> {
    let digits: &[u8; 14] = raw.try_into().ok()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |at: usize, len: usize| {
        digits[at..at + len]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let year = i32::try_from(number(0, 4)).ok()?;
    let naive = NaiveDate::from_ymd_opt(year, number(4, 2), number(6, 2))?.and_hms_opt(
        number(8, 2),
        number(10, 2),
        number(12, 2),
    )?;
    from_local(naive)
}

/// `yyyy-MM-dd HH:mm:ss` exactly (19 bytes), Vietnam's time; `None` for any other layout.
pub(crate) fn parse_spaced(raw: &str) -> Option<DateTime<Utc>> {
    let bytes: &[u8; 19] = raw.as_bytes().try_into().ok()?;
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(at, sep)| bytes[at] == sep) {
        return None;
    }
    let mut compact = [0u8; 14];
    let digits = bytes
        .iter()
        .enumerate()
        .filter(|(at, _)| !separators.iter().any(|&(sep_at, _)| sep_at == *at))
        .map(|(_, b)| *b);
    for (slot, digit) in compact.iter_mut().zip(digits) {
        *slot = digit;
    }
    parse_compact(&compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_the_zone(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        Ho_Chi_Minh
            .from_local_datetime(&naive)
            .single()
            .map(|at| at.with_timezone(&Utc))
    }

    #[test]
    fn the_fixed_offset_gives_the_zones_instant_from_1976_on_and_before_it() {
        let start = NaiveDate::from_ymd_opt(1900, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        let mut naive = start;
        while naive.date() < NaiveDate::from_ymd_opt(2101, 1, 1).unwrap() {
            assert_eq!(from_local(naive), through_the_zone(naive), "{naive}");
            naive += Duration::hours(1_000) + Duration::minutes(17) + Duration::seconds(31);
        }
        for (y, m, d, h) in [
            (1975, 6, 12, 23),
            (1975, 6, 13, 0),
            (1975, 12, 31, 23),
            (1976, 1, 1, 0),
        ] {
            let naive = NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(h, 30, 0))
                .unwrap();
            assert_eq!(from_local(naive), through_the_zone(naive), "{naive}");
        }
    }

    #[test]
    fn both_layouts_read_the_same_instant_and_refuse_anything_else() {
        let at = Utc.with_ymd_and_hms(2024, 9, 1, 3, 12, 30).unwrap();
        assert_eq!(parse_compact(b"20240901101230"), Some(at));
        assert_eq!(parse_spaced("2024-09-01 10:12:30"), Some(at));
        assert_eq!(
            parse_spaced("2024-01-01 06:59:59"),
            Some(Utc.with_ymd_and_hms(2023, 12, 31, 23, 59, 59).unwrap())
        );
        for bad in [
            "2024-09-01T10:12:30",
            "2024-09-01 10:12:3",
            "2024-09-01 10:12:300",
            "2024-9-01 10:12:30 ",
            "2024-02-30 10:12:30",
            "2024-09-01 24:00:00",
            "2024-09-01 10:60:00",
            "２024-09-01 10:12:3",
            "+024-09-01 10:12:30",
        ] {
            assert_eq!(parse_spaced(bad), None, "{bad}");
        }
        for bad in [
            "2024090110123",
            "202409011012301",
            "2024090110123a",
            "20241301101230",
        ] {
            assert_eq!(parse_compact(bad.as_bytes()), None, "{bad}");
        }
    }
}
