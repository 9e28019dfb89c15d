//! Dates and instants on the wire: written by chrono's own `Serialize` (RFC 3339 instants,
//! `YYYY-MM-DD` dates) on every target. Read by chrono's own `Deserialize` everywhere but in the
//! page's WebAssembly, which reads the forms chrono writes with [`parse_utc`] and [`parse_date`]
//! instead of linking chrono's general parser. The functions are built for other targets, so
//! what they read and write is chrono's, byte for byte.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// An RFC 3339 instant (`2025-10-05T07:18:00Z`, `2025-10-05T14:18:00.5+07:00`) as UTC; `T` may
/// be `t` or a space, `Z` may be `z` (RFC 3339, section 5.6 and its NOTE).
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let date = parse_date(text.get(..10)?)?;
    if !matches!(bytes.get(10)?, b'T' | b't' | b' ')
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
    {
        return None;
    }
    let (hour, minute, second) = (
        digits(bytes, 11, 2)?,
        digits(bytes, 14, 2)?,
        digits(bytes, 17, 2)?,
    );
    let mut at = 19;
    let mut nanos = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(bytes[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((at - start) as u32));
    }
    let offset_seconds = match (bytes.get(at)?, bytes.len() - at) {
        (b'Z' | b'z', 1) => 0,
        (sign @ (b'+' | b'-'), 6) if bytes[at + 3] == b':' => {
            let (h, m) = (digits(bytes, at + 1, 2)?, digits(bytes, at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let local = date.and_time(time).and_utc();
    local.checked_sub_signed(chrono::TimeDelta::seconds(offset_seconds))
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(bytes, 0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(bytes, 5, 2)?, digits(bytes, 8, 2)?)
}

fn digits(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    bytes.get(at..at + len)?.iter().try_fold(0, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// `#[serde(with = "wire_time::utc")]` for a `DateTime<Utc>`.
pub mod utc {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        at.serialize(serializer)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::deserialize(deserializer)
    }

    #[cfg(target_arch = "wasm32")]
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        super::parse_utc(&text).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 instant"))
    }
}

/// `#[serde(with = "wire_time::date")]` for a `NaiveDate`.
pub mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        date.serialize(serializer)
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        NaiveDate::deserialize(deserializer)
    }

    #[cfg(target_arch = "wasm32")]
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        super::parse_date(&text).ok_or_else(|| serde::de::Error::custom("not a YYYY-MM-DD date"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_light_readers_agree_with_chrono_on_what_chrono_writes() {
        let instants = [
            "2025-10-05T07:18:00Z",
            "2025-12-31T23:59:59.999999999Z",
            "2025-10-05T07:18:00.5Z",
            "2025-10-05T14:18:00+07:00",
            "2025-10-05T02:18:00-05:30",
            "2024-02-29T00:00:00Z",
            "2025-10-05t07:18:00z",
            "2025-10-05 07:18:00Z",
        ];
        for text in instants {
            let chrono: DateTime<Utc> = DateTime::parse_from_rfc3339(text).unwrap().into();
            assert_eq!(parse_utc(text), Some(chrono), "{text}");
            let written = serde_json::to_string(&chrono).unwrap();
            assert_eq!(
                parse_utc(written.trim_matches('"')),
                Some(chrono),
                "{written}"
            );
        }
        for text in ["2025-10-05", "2024-02-29", "0001-01-01", "9999-12-31"] {
            let chrono: NaiveDate = text.parse().unwrap();
            assert_eq!(parse_date(text), Some(chrono), "{text}");
        }
    }

    #[test]
    fn the_light_readers_refuse_what_is_not_a_date_or_an_instant() {
        let instants = [
            "",
            "2025-10-05",
            "2025-10-05T07:18:00",
            "2025-10-05T07:18Z",
            "2025-10-05T24:00:00Z",
            "2025-10-05T07:60:00Z",
            "2025-10-05T07:18:00.Z",
            "2025-10-05T07:18:00+0700",
            "2025-10-05T07:18:00+24:00",
            "2025-10-05T07:18:00Zjunk",
            "2025-02-30T07:18:00Z",
            "2025-10-05X07:18:00Z",
            "+2025-10-05T07:18:00Z",
            "2025-10-05T07:18:00Ž",
        ];
        for text in instants {
            assert_eq!(parse_utc(text), None, "{text:?}");
        }
        for text in [
            "",
            "2025-1-05",
            "2025-13-01",
            "2025-02-29",
            "2025/10/05",
            "+2025-10-05",
            "２０２５-10-05",
        ] {
            assert_eq!(parse_date(text), None, "{text:?}");
        }
    }
}
