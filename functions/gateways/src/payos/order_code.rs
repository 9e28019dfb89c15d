//! payOS's `orderCode` for a hocphi payment reference, and back.
//!
//! payOS names an order by an integer, at most 2⁵³−1 (a JavaScript safe integer; payOS's SDKs
//! hold it in a JS `number`). A reference from `PaymentRef::generate` (`HP`, `yyMMddHHmmss`, 8
//! symbols of a 31-letter alphabet) carries about 71 bits (31·10⁸ seconds of a century, 31⁸
//! symbols), so no integer of 53 bits can name every such reference exactly.
//!
//! A payOS reference is therefore shorter: `HP`, the creation time `yyMMddHHmmss` (UTC, years
//! 2000–2099) and 4 symbols of the same alphabet, 18 characters. Its order code is the seconds
//! since 2000-01-01 00:00:00 UTC times 31⁴, plus the symbols read as a base-31 number (first
//! symbol most significant), which is at most 3 155 759 999 · 923 521 + 923 520 ≈ 2.9·10¹⁵.
//!
//! Invariants: the mapping is a bijection between payOS references and the codes it yields, so
//! two references never share a code and a code maps back to its reference without a look-up;
//! the uniqueness of the code per channel is the uniqueness of the reference, which the store
//! already guarantees (a payment is created only if its reference is new). Codes sort by
//! creation time. Anything else, including a code payOS sends that hocphi did not issue, maps
//! to nothing.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use hocphi_domain::PaymentRef;

/// Upper-case letters and digits without the look-alikes 0/O, 1/I/L (as `PaymentRef`'s).
const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const SYMBOLS: u32 = 4;
const SPREAD: u64 = 31u64.pow(SYMBOLS);
const PREFIX: &str = "HP";
const TIME_FORMAT: &str = "%y%m%d%H%M%S";

/// A payOS `orderCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderCode(u64);

impl OrderCode {
    /// The largest `orderCode` payOS can carry: 2⁵³−1.
    pub const MAX: u64 = (1 << 53) - 1;

    /// The code as payOS writes it.
    pub fn get(self) -> u64 {
        self.0
    }

    /// A code received from payOS; `None` past [`OrderCode::MAX`].
    pub fn new(raw: u64) -> Option<Self> {
        (raw <= Self::MAX).then_some(Self(raw))
    }

    /// The code of a payOS reference; `None` for any other reference.
    pub fn of(reference: &PaymentRef) -> Option<Self> {
        let raw = reference.as_str().strip_prefix(PREFIX)?;
        let (time, symbols) = (raw.get(..12)?, raw.get(12..)?);
        if symbols.len() != SYMBOLS as usize || !time.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let at = NaiveDateTime::parse_from_str(&format!("20{time}"), "%Y%m%d%H%M%S").ok()?;
        let seconds = u64::try_from((at - epoch()).num_seconds()).ok()?;
        let mut rest = 0u64;
        for b in symbols.bytes() {
            let digit = ALPHABET.iter().position(|a| *a == b)?;
            rest = rest * 31 + digit as u64;
        }
        Self::new(seconds.checked_mul(SPREAD)?.checked_add(rest)?)
    }

    /// The reference this code was made from; `None` for a code hocphi does not issue.
    pub fn reference(self) -> Option<PaymentRef> {
        let seconds = i64::try_from(self.0 / SPREAD).ok()?;
        let at = epoch().checked_add_signed(chrono::Duration::seconds(seconds))?;
        if at.date() >= end() {
            return None;
        }
        let mut text = [0u8; 18];
        text[..2].copy_from_slice(PREFIX.as_bytes());
        let fields = [
            at.year().rem_euclid(100).unsigned_abs(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
        ];
        for (pair, field) in text[2..14].chunks_exact_mut(2).zip(fields) {
            pair[0] = b'0' + (field / 10 % 10) as u8;
            pair[1] = b'0' + (field % 10) as u8;
        }
        let mut rest = self.0 % SPREAD;
        for slot in text[14..].iter_mut().rev() {
            *slot = ALPHABET[(rest % 31) as usize];
            rest /= 31;
        }
        PaymentRef::parse(std::str::from_utf8(&text).ok()?).ok()
    }
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2100, 1, 1).unwrap_or_default()
}

/// A fresh payOS reference: `HP`, the creation time `yyMMddHHmmss` (UTC) and 4 symbols taken
/// from `entropy` as the base-31 digits of one number. `None` outside the years 2000–2099.
pub fn payos_reference(at: DateTime<Utc>, entropy: [u8; 8]) -> Option<PaymentRef> {
    let naive = at.naive_utc();
    if naive < epoch() || naive.date() >= end() {
        return None;
    }
    let mut rest = u64::from_le_bytes(entropy);
    let symbols: String = (0..SYMBOLS)
        .map(|_| {
            let digit = (rest % 31) as usize;
            rest /= 31;
            char::from(ALPHABET[digit])
        })
        .collect();
    PaymentRef::parse(&format!("{PREFIX}{}{symbols}", at.format(TIME_FORMAT))).ok()
}
