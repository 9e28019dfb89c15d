//! Dates and times as Vietnamese paperwork writes them.
//!
//! Dates are `dd/mm/yyyy`; "today" is the calendar day in Asia/Ho_Chi_Minh.
//! Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact for
//! every instant hocphi handles and spares the page a time-zone database. Money is shown by
//! `hocphi_domain::Money`'s own `Display` (`1.500.000 ₫`), never here.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, Utc};

/// Asia/Ho_Chi_Minh's offset from UTC, in seconds.
pub const VIETNAM_UTC_OFFSET_SECONDS: i32 = 7 * 3600;

fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_UTC_OFFSET_SECONDS).unwrap_or(Utc.fix())
}

/// `05/10/2025`.
pub fn date(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// The calendar date in Vietnam at an instant (what "overdue" is measured against).
pub fn vietnam_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&vietnam()).date_naive()
}

/// True when a due date is already behind us in Vietnam: the due day itself is still on time.
pub fn is_overdue(due: NaiveDate, now: DateTime<Utc>) -> bool {
    due < vietnam_date(now)
}

/// The time left before a deadline, as a countdown shows it: `14:05`, `0:09`, `1:02:03`;
/// `0:00` once it has passed.
pub fn countdown(seconds_left: i64) -> String {
    let left = seconds_left.max(0);
    let (hours, minutes, seconds) = (left / 3600, left / 60 % 60, left % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn dates_are_day_month_year_with_leading_zeros() {
        let cases = [
            ((2025, 10, 5), "05/10/2025"),
            ((2026, 1, 31), "31/01/2026"),
            ((2025, 12, 1), "01/12/2025"),
        ];
        for ((y, m, d), shown) in cases {
            assert_eq!(date(NaiveDate::from_ymd_opt(y, m, d).unwrap()), shown);
        }
    }

    #[test]
    fn a_countdown_shows_minutes_and_seconds_and_stops_at_zero() {
        let cases = [
            (900, "15:00"),
            (845, "14:05"),
            (59, "0:59"),
            (9, "0:09"),
            (0, "0:00"),
            (-30, "0:00"),
            (3_723, "1:02:03"),
        ];
        for (seconds, shown) in cases {
            assert_eq!(countdown(seconds), shown, "{seconds}");
        }
    }

    #[test]
    fn an_invoice_is_overdue_only_from_the_day_after_its_due_date_in_vietnam() {
        let due = NaiveDate::from_ymd_opt(2025, 10, 15).unwrap();
        let cases = [
            ("2025-10-15T16:59:00Z", false, "23:59 on the due day"),
            ("2025-10-15T17:00:00Z", true, "midnight after the due day"),
            ("2025-10-14T23:00:00Z", false, "the morning of the due day"),
        ];
        for (now, overdue, when) in cases {
            assert_eq!(is_overdue(due, utc(now)), overdue, "{when}");
        }
    }
}
