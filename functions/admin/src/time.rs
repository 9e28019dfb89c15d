//! Days as operators mean them: calendar days in Vietnam (Asia/Ho_Chi_Minh), turned into the UTC
//! instants the store speaks.
//!
//! Invariant: a range of days `from..=to` is the half-open UTC interval from `from`'s local
//! midnight to the local midnight after `to`.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

/// The UTC instant of a Vietnamese wall-clock time (Vietnam has no daylight saving time).
pub(crate) fn from_local(at: NaiveDateTime) -> Option<DateTime<Utc>> {
    Ho_Chi_Minh
        .from_local_datetime(&at)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The Vietnamese wall-clock time of an instant.
pub(crate) fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Ho_Chi_Minh).naive_local()
}

/// Today in Vietnam.
pub(crate) fn today(now: DateTime<Utc>) -> NaiveDate {
    local(now).date()
}

/// The UTC bounds `[start, end)` of the Vietnamese days `from..=to`.
pub(crate) fn day_bounds(from: NaiveDate, to: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = from_local(from.and_time(chrono::NaiveTime::MIN))?;
    let end = from_local(
        to.checked_add_days(Days::new(1))?
            .and_time(chrono::NaiveTime::MIN),
    )?;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vietnamese_day_starts_at_17_utc_the_day_before() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (start, end) = day_bounds(d(2025, 9, 1), d(2025, 9, 30)).unwrap();
        assert_eq!(start.to_rfc3339(), "2025-08-31T17:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2025-09-30T17:00:00+00:00");
        assert_eq!(
            local(end).to_string(),
            "2025-10-01 00:00:00",
            "the end is the next local midnight"
        );
    }
}
