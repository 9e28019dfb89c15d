//! Parsed identifiers.
//!
//! Invariant: every identifier here went through `parse` (directly or via serde), which
//! normalises it and checks its alphabet and length; logic never handles a bare `String` id.
//! Secrets among them (lookup codes, receipt tokens) compare in constant time.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {reason}")]
pub struct IdError {
    /// Which identifier was being parsed.
    pub what: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

macro_rules! identifier {
    (
        $(#[$doc:meta])*
        $name:ident, $what:literal, len $min:literal..=$max:literal,
        normalise $norm:expr, allow $allowed:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Normalises and validates the raw text.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let normalise: fn(&str) -> String = $norm;
                let allowed: fn(char) -> bool = $allowed;
                let value = normalise(raw);
                let len = value.chars().count();
                if len < $min {
                    return Err(IdError { what: $what, reason: "too short" });
                }
                if len > $max {
                    return Err(IdError { what: $what, reason: "too long" });
                }
                if !value.chars().all(allowed) {
                    return Err(IdError { what: $what, reason: "contains a character that is not allowed" });
                }
                Ok(Self(value))
            }

            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

fn trimmed(raw: &str) -> String {
    raw.trim().to_owned()
}

fn upper(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

fn lower(raw: &str) -> String {
    raw.trim().to_ascii_lowercase()
}

fn upper_alnum(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

identifier! {
    /// A province's short code, which names its stack: `binh-dinh`.
    ProvinceCode, "province code", len 2..=32, normalise lower,
    allow |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

identifier! {
    /// A school's identifier within a province: `BD-THCS-NGOQUYEN`.
    SchoolId, "school id", len 2..=32, normalise upper,
    allow |c| upper_alnum(c) || c == '-' || c == '_'
}

identifier! {
    /// A student's code as printed on the fee notice (the national student id or the school's own).
    StudentCode, "student code", len 4..=20, normalise upper, allow upper_alnum
}

identifier! {
    /// The second factor printed on the fee notice. Spaces and dashes typed by a parent are ignored.
    /// It is never stored: only its [`LookupDigest`] is.
    LookupCode, "lookup code", len 6..=12,
    normalise |raw| raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_uppercase(),
    allow upper_alnum
}

identifier! {
    /// A salted SHA-256 of a lookup code, as lowercase hex: what the store keeps.
    LookupDigest, "lookup digest", len 64..=64, normalise lower,
    allow |c| c.is_ascii_digit() || ('a'..='f').contains(&c)
}

identifier! {
    /// An invoice's identifier, as the school issued it: `NQ-2025-HK1-000123`.
    InvoiceId, "invoice id", len 1..=64, normalise trimmed,
    allow |c| alnum(c) || matches!(c, '-' | '_' | '.')
}

identifier! {
    /// The reference of one payment attempt, sent to the gateway as its order id.
    /// `[A-Za-z0-9]`, at most 32 characters, so it is valid for VNPay, MoMo and payOS alike.
    PaymentRef, "payment reference", len 1..=32, normalise trimmed, allow alnum
}

identifier! {
    /// A receipt's identifier (one receipt per succeeded payment).
    ReceiptId, "receipt id", len 1..=34, normalise trimmed, allow alnum
}

identifier! {
    /// Who holds an idempotency key's lease: 128 random bits as lowercase hex. Completing or
    /// releasing a request takes it, so a run whose lease lapsed cannot touch its successor's.
    LeaseToken, "lease token", len 32..=32, normalise lower,
    allow |c| c.is_ascii_digit() || ('a'..='f').contains(&c)
}

identifier! {
    /// The client's `Idempotency-Key` (a UUID is suggested).
    IdempotencyKey, "idempotency key", len 8..=255, normalise trimmed,
    allow |c| alnum(c) || matches!(c, '-' | '_' | '.' | ':')
}

identifier! {
    /// The gateway's own transaction number (`vnp_TransactionNo`, MoMo `transId`).
    GatewayTxnNo, "gateway transaction number", len 1..=64, normalise trimmed,
    allow |c| alnum(c) || matches!(c, '-' | '_')
}

identifier! {
    /// A gateway's result code for a payment (`vnp_ResponseCode`, MoMo `resultCode`): `24`, `1006`.
    GatewayCode, "gateway result code", len 1..=16, normalise trimmed, allow alnum
}

identifier! {
    /// A receipt template symbol or series ("ký hiệu mẫu", "ký hiệu"): `01BLP0-001`, `HP-25E`.
    Symbol, "receipt symbol", len 1..=20, normalise upper,
    allow |c| upper_alnum(c) || matches!(c, '-' | '/')
}

identifier! {
    /// The capability that lets anyone holding a receipt's link or QR code read it:
    /// 128 random bits as lowercase hex.
    ReceiptToken, "receipt token", len 32..=32, normalise lower,
    allow |c| c.is_ascii_digit() || ('a'..='f').contains(&c)
}

/// Upper-case letters and digits without the look-alikes 0/O, 1/I/L.
const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Eight symbols: the base-31 digits of the entropy read as one number. Each of the 31⁸ codes
/// then comes up with a probability within 31⁸/2⁶⁴ (< 5·10⁻⁸) of every other's, where reducing
/// each byte by itself would favour 8 of the symbols.
fn encode(entropy: [u8; 8]) -> String {
    let base = ALPHABET.len() as u64;
    let mut rest = u64::from_le_bytes(entropy);
    (0..8)
        .map(|_| {
            let digit = (rest % base) as usize;
            rest /= base;
            char::from(ALPHABET[digit])
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl LookupCode {
    /// A new 8-character code from 8 random bytes, in an alphabet without look-alike characters
    /// (no 0/O, 1/I/L). 31 symbols of 8 characters: about 39 bits.
    pub fn generate(entropy: [u8; 8]) -> Self {
        Self(encode(entropy))
    }

    /// The salted digest the store keeps for this code and student.
    pub fn digest(&self, student: &StudentCode) -> LookupDigest {
        let mut hasher = Sha256::new();
        hasher.update(b"hocphi/lookup/v1\0");
        hasher.update(student.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(self.0.as_bytes());
        LookupDigest(hex(&hasher.finalize()))
    }
}

impl StudentCode {
    /// The code as a receipt shows it: anyone holding the receipt's link can read it, so only
    /// its last characters (at most four, at most half) stay visible.
    pub fn masked(&self) -> String {
        let count = self.0.chars().count();
        let hidden = count.saturating_sub(4).max(count.div_ceil(2));
        self.0
            .chars()
            .enumerate()
            .map(|(i, c)| if i < hidden { '•' } else { c })
            .collect()
    }
}

impl LookupDigest {
    /// Constant-time equality, so a timing side channel cannot guess a code byte by byte.
    pub fn matches(&self, other: &LookupDigest) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl PaymentRef {
    /// A fresh reference: `HP`, the creation time `yyMMddHHmmss` (UTC), and 8 random characters.
    /// Unique within the day as VNPay asks, sortable by time, and free of look-alike characters.
    pub fn generate(at: chrono::DateTime<chrono::Utc>, entropy: [u8; 8]) -> Self {
        Self(format!(
            "HP{}{}",
            at.format("%y%m%d%H%M%S"),
            encode(entropy)
        ))
    }
}

impl ReceiptId {
    /// The id of the receipt issued for a payment: one payment, at most one receipt.
    pub fn for_payment(payment: &PaymentRef) -> Self {
        Self(format!("BL{}", payment.as_str()))
    }
}

impl LeaseToken {
    /// A token from 16 random bytes.
    pub fn from_entropy(entropy: [u8; 16]) -> Self {
        Self(hex(&entropy))
    }
}

impl ReceiptToken {
    /// A token from 16 random bytes.
    pub fn from_entropy(entropy: [u8; 16]) -> Self {
        Self(hex(&entropy))
    }

    /// Constant-time check of a token presented by a reader.
    pub fn admits(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_normalised_before_they_are_checked() {
        assert_eq!(
            StudentCode::parse(" hs001234 ").unwrap().as_str(),
            "HS001234"
        );
        assert_eq!(
            LookupCode::parse("ab3d-ef 7h").unwrap().as_str(),
            "AB3DEF7H"
        );
        assert_eq!(SchoolId::parse("bd-thcs-1").unwrap().as_str(), "BD-THCS-1");
        assert_eq!(
            ProvinceCode::parse("Binh-Dinh").unwrap().as_str(),
            "binh-dinh"
        );
    }

    #[test]
    fn malformed_identifiers_are_refused_with_the_reason() {
        let cases: [(Result<(), IdError>, &str); 9] = [
            (StudentCode::parse("ab").map(drop), "too short"),
            (StudentCode::parse("HS 001").map(drop), "not allowed"),
            (StudentCode::parse("HỌCSINH1").map(drop), "not allowed"),
            (PaymentRef::parse("HP-1").map(drop), "not allowed"),
            (PaymentRef::parse(&"A".repeat(33)).map(drop), "too long"),
            (LookupCode::parse("12345").map(drop), "too short"),
            (InvoiceId::parse("").map(drop), "too short"),
            (InvoiceId::parse("a/b").map(drop), "not allowed"),
            (ReceiptToken::parse("XYZ").map(drop), "too short"),
        ];
        for (result, reason) in cases {
            let err = result.expect_err(reason);
            assert!(
                err.to_string().contains(reason),
                "{err} should say {reason}"
            );
        }
    }

    #[test]
    fn identifiers_deserialize_only_when_valid() {
        let ok: StudentCode = serde_json::from_str("\"hs0001\"").unwrap();
        assert_eq!(ok.as_str(), "HS0001");
        assert!(serde_json::from_str::<StudentCode>("\"h\"").is_err());
    }

    #[test]
    fn a_lookup_digest_depends_on_the_student_and_the_code() {
        let code = LookupCode::parse("ABCD2345").unwrap();
        let a = StudentCode::parse("HS0001").unwrap();
        let b = StudentCode::parse("HS0002").unwrap();
        assert!(code.digest(&a).matches(&code.digest(&a)));
        assert!(!code.digest(&a).matches(&code.digest(&b)));
        let other = LookupCode::parse("ABCD2346").unwrap();
        assert!(!code.digest(&a).matches(&other.digest(&a)));
        assert_eq!(code.digest(&a).as_str().len(), 64);
    }

    #[test]
    fn generated_codes_are_the_base_31_digits_of_the_entropy() {
        let codes: std::collections::HashSet<String> = (0..31u64 * 31)
            .map(|n| LookupCode::generate(n.to_le_bytes()).as_str().to_owned())
            .collect();
        assert_eq!(codes.len(), 31 * 31, "two entropies gave one code");
        assert_eq!(LookupCode::generate([0; 8]).as_str(), "AAAAAAAA");
        assert_eq!(
            LookupCode::generate(30u64.to_le_bytes()).as_str(),
            "9AAAAAAA"
        );
        assert_eq!(
            LookupCode::generate(31u64.to_le_bytes()).as_str(),
            "ABAAAAAA"
        );
    }

    #[test]
    fn generated_values_are_valid_for_their_own_parsers() {
        let at = chrono::DateTime::from_timestamp(1_756_700_000, 0).unwrap();
        let reference = PaymentRef::generate(at, [7, 200, 31, 0, 255, 64, 9, 18]);
        assert_eq!(reference.as_str().len(), 22);
        assert_eq!(PaymentRef::parse(reference.as_str()).unwrap(), reference);
        let code = LookupCode::generate([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(LookupCode::parse(code.as_str()).unwrap(), code);
        assert!(!code.as_str().contains(['0', 'O', '1', 'I', 'L']));
        let token = ReceiptToken::from_entropy([0xab; 16]);
        assert!(token.admits(&"ab".repeat(16)));
        assert!(!token.admits(&"ab".repeat(15)));
        let receipt = ReceiptId::for_payment(&reference);
        assert_eq!(ReceiptId::parse(receipt.as_str()).unwrap(), receipt);
    }

    #[test]
    fn a_receipt_shows_only_the_end_of_the_student_code() {
        let cases = [
            ("HS001234", "••••1234"),
            ("0123456789", "••••••6789"),
            ("HS012", "•••12"),
            ("HS01", "••01"),
        ];
        for (code, shown) in cases {
            assert_eq!(StudentCode::parse(code).unwrap().masked(), shown, "{code}");
        }
    }
}
