//! Parsed identifiers.
//!
//! Invariant: every identifier here went through `parse` (directly or via serde), which
//! normalises it and checks its alphabet and length; logic never handles a bare `String` id.
//! Secrets among them (lookup codes, receipt tokens) compare in constant time.
//!
//! A lookup code is stored only as a [`LookupDigest`]: HMAC-SHA256 (RFC 2104) under the
//! province's [`LookupKey`], so a copy of the store (a backup, an export, a copied SQLite file)
//! cannot confirm a guessed code without the key. A digest names its scheme; the unkeyed SHA-256
//! digests stored before keys still verify, and are replaced by keyed ones (see
//! [`LookupDigest::rewrapped`] and [`LookupDigest::is_current`]).

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};

use crate::SchoolYear;
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
    /// A payee: the payOS channel (one bank account) a school's collections are paid into,
    /// `BD-THCS-NGOQUYEN` or, where the province collects centrally, one shared by many schools.
    /// It names the channel's credentials in the configuration and its webhook path
    /// (`/api/callbacks/payos/{payee}`); it is not secret.
    PayeeId, "payee id", len 2..=32, normalise upper,
    allow |c| upper_alnum(c) || c == '-' || c == '_'
}

identifier! {
    /// A bill-payment partner (a bank, the national portal's payment platform, a province's
    /// integration platform) configured for the province: `VCB`, `DVCQG`. It names the partner's
    /// keys in the configuration and its API path (`/api/partners/{partner}/…`); it is not secret.
    PartnerId, "partner id", len 2..=32, normalise upper,
    allow |c| upper_alnum(c) || c == '-' || c == '_'
}

identifier! {
    /// An item's code in the province's catalogue of collections: `BANTRU`, `BHYT`, `HOCPHI`.
    ItemCode, "item code", len 1..=24, normalise upper,
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

    /// The digest the store keeps for this code and student: HMAC-SHA256 under `key`.
    pub fn digest(&self, student: &StudentCode, key: &LookupKey) -> LookupDigest {
        LookupDigest::new(
            LookupScheme::Keyed,
            &key.mac(&[
                KEYED_LABEL,
                student.as_str().as_bytes(),
                b"\0",
                self.0.as_bytes(),
            ]),
        )
    }

    /// The unkeyed SHA-256 digest hocphi stored before digests were keyed.
    fn unkeyed_hex(&self, student: &StudentCode) -> String {
        let mut hasher = Sha256::new();
        hasher.update(UNKEYED_LABEL);
        hasher.update(student.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(self.0.as_bytes());
        hex(&hasher.finalize())
    }
}

/// The code a fee notice prints for paying at a bank or on the national portal: the student's
/// code, the school year's first two digits (`26` for 2026–2027) and an 8-symbol tag, HMAC-SHA256
/// under the province's [`LookupKey`] of both. Stable for a student and school year, printable at
/// any time by whoever holds the key, and as hard to guess as a lookup code (about 39 bits): it
/// stands in for the lookup code where a partner or a portal link presents it. Shown as
/// `HS0012345-26K7M2QXAB`; spaces and dashes typed are ignored.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PaymentCode {
    student: StudentCode,
    year: u8,
    tag: String,
}

impl PaymentCode {
    const TAG_LEN: usize = 8;

    /// The code of `student` for `year`.
    pub fn issue(student: &StudentCode, year: SchoolYear, key: &LookupKey) -> Self {
        let year = (year.first_year() % 100) as u8;
        Self {
            student: student.clone(),
            year,
            tag: Self::tag(student, year, key),
        }
    }

    fn tag(student: &StudentCode, year: u8, key: &LookupKey) -> String {
        let mac = key.mac_bytes(&[
            PAYMENT_CODE_LABEL,
            student.as_str().as_bytes(),
            b"\0",
            &[year],
        ]);
        let mut entropy = [0u8; 8];
        entropy.copy_from_slice(&mac[..8]);
        encode(entropy)
    }

    /// Parses a typed code; it says nothing about whether the code is genuine
    /// ([`PaymentCode::verify`] does).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let what = "payment code";
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        let suffix = 2 + Self::TAG_LEN;
        if compact.len() < suffix + 4 {
            return Err(IdError {
                what,
                reason: "too short",
            });
        }
        if !compact.is_ascii() {
            return Err(IdError {
                what,
                reason: "contains a character that is not allowed",
            });
        }
        let (student, rest) = compact.split_at(compact.len() - suffix);
        let (year, tag) = rest.split_at(2);
        let student = StudentCode::parse(student).map_err(|e| IdError {
            what,
            reason: e.reason,
        })?;
        let year: u8 = year.parse().map_err(|_| IdError {
            what,
            reason: "has no school year",
        })?;
        if !tag.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(IdError {
                what,
                reason: "contains a character that is not allowed",
            });
        }
        Ok(Self {
            student,
            year,
            tag: tag.to_owned(),
        })
    }

    /// Whether the code was issued under `key`, compared in constant time.
    pub fn verify(&self, key: &LookupKey) -> bool {
        let expected = Self::tag(&self.student, self.year, key);
        bool::from(expected.as_bytes().ct_eq(self.tag.as_bytes()))
    }

    /// The student it pays for.
    pub fn student(&self) -> &StudentCode {
        &self.student
    }

    /// Whether it is the code of `year` (compared by the year's last two digits).
    pub fn is_for(&self, year: SchoolYear) -> bool {
        (year.first_year() % 100) as u8 == self.year
    }

    /// The school year it is for, read from its two digits as starting in 2000–2099.
    pub fn school_year(&self) -> SchoolYear {
        SchoolYear::of_this_century(self.year)
    }
}

impl fmt::Display for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}{}", self.student, self.year, self.tag)
    }
}

impl fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentCode({}-{:02}…)", self.student, self.year)
    }
}

impl Serialize for PaymentCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PaymentCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

const PAYMENT_CODE_LABEL: &[u8] = b"hocphi/payment-code/v1\0";

const UNKEYED_LABEL: &[u8] = b"hocphi/lookup/v1\0";
const KEYED_LABEL: &[u8] = b"hocphi/lookup/v2\0";
const WRAPPED_LABEL: &[u8] = b"hocphi/lookup/v2-wrapped\0";

/// The province's secret that keys lookup digests. Its text (the Secrets Manager secret's value,
/// or the local stack's generated file) is the HMAC key; it is never printed, not even by `Debug`.
#[derive(Clone)]
pub struct LookupKey(Hmac<Sha256>);

impl LookupKey {
    /// The fewest characters a key may have (the deployed key has 64, generated).
    pub const MIN_LEN: usize = 32;

    /// A key from its text, trimmed: at least [`LookupKey::MIN_LEN`] visible ASCII characters.
    pub fn new(text: &str) -> Result<Self, IdError> {
        let text = text.trim();
        let what = "lookup key";
        if text.len() < Self::MIN_LEN {
            return Err(IdError {
                what,
                reason: "too short",
            });
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdError {
                what,
                reason: "contains a character that is not allowed",
            });
        }
        Hmac::new_from_slice(text.as_bytes())
            .map(Self)
            .map_err(|_| IdError {
                what,
                reason: "not a valid HMAC key",
            })
    }

    /// A new key's text from 32 random bytes: 64 lowercase hex characters.
    pub fn text_from_entropy(entropy: [u8; 32]) -> String {
        hex(&entropy)
    }

    /// HMAC-SHA256 of the concatenated `parts`, as lowercase hex.
    fn mac(&self, parts: &[&[u8]]) -> String {
        hex(&self.mac_bytes(parts))
    }

    /// HMAC-SHA256 of the concatenated `parts`.
    fn mac_bytes(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LookupKey(<hidden>)")
    }
}

/// How a stored [`LookupDigest`] was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LookupScheme {
    /// SHA-256 of the code without a key (stored bare): what hocphi kept before keys. It still
    /// admits its code, which then re-keys it.
    Unkeyed,
    /// HMAC-SHA256 under the key of an unkeyed digest (`k1w:`): what `hocphi-admin
    /// rekey-lookups` makes of an unkeyed digest without knowing the code.
    Wrapped,
    /// HMAC-SHA256 under the key of the student and code (`k1:`): every new digest.
    Keyed,
}

impl LookupScheme {
    fn prefix(self) -> &'static str {
        match self {
            LookupScheme::Unkeyed => "",
            LookupScheme::Wrapped => "k1w:",
            LookupScheme::Keyed => "k1:",
        }
    }
}

/// What the store keeps of a lookup code: its scheme's prefix, then 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LookupDigest {
    scheme: LookupScheme,
    /// The prefix of the scheme, then the hex digits.
    text: String,
}

impl LookupDigest {
    fn new(scheme: LookupScheme, hex: &str) -> Self {
        Self {
            scheme,
            text: format!("{}{hex}", scheme.prefix()),
        }
    }

    fn hex(&self) -> &str {
        &self.text[self.scheme.prefix().len()..]
    }

    /// Parses a stored digest: `k1:<hex>`, `k1w:<hex>`, or bare hex (unkeyed).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let raw = raw.trim().to_ascii_lowercase();
        let (scheme, hex) = [LookupScheme::Keyed, LookupScheme::Wrapped]
            .into_iter()
            .find_map(|scheme| raw.strip_prefix(scheme.prefix()).map(|hex| (scheme, hex)))
            .unwrap_or((LookupScheme::Unkeyed, raw.as_str()));
        let invalid = |reason| IdError {
            what: "lookup digest",
            reason,
        };
        if hex.len() != 64 {
            return Err(invalid(if hex.len() < 64 {
                "too short"
            } else {
                "too long"
            }));
        }
        if !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid("contains a character that is not allowed"));
        }
        Ok(Self::new(scheme, hex))
    }

    /// The stored text: the scheme's prefix and the hex digits.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// How this digest was made.
    pub fn scheme(&self) -> LookupScheme {
        self.scheme
    }

    /// Whether this digest is made the way new digests are (keyed over the code).
    pub fn is_current(&self) -> bool {
        self.scheme == LookupScheme::Keyed
    }

    /// Whether `code` is the student's lookup code, compared in constant time so a timing side
    /// channel cannot guess a code byte by byte.
    pub fn admits(&self, student: &StudentCode, code: &LookupCode, key: &LookupKey) -> bool {
        let expected = match self.scheme {
            LookupScheme::Keyed => code.digest(student, key).hex().to_owned(),
            LookupScheme::Unkeyed => code.unkeyed_hex(student),
            LookupScheme::Wrapped => wrap(&code.unkeyed_hex(student), key),
        };
        self.hex().as_bytes().ct_eq(expected.as_bytes()).into()
    }

    /// An unkeyed digest made keyed without its code (HMAC of the digest under `key`); `None`
    /// for a digest that is keyed already.
    pub fn rewrapped(&self, key: &LookupKey) -> Option<LookupDigest> {
        (self.scheme == LookupScheme::Unkeyed)
            .then(|| LookupDigest::new(LookupScheme::Wrapped, &wrap(self.hex(), key)))
    }
}

fn wrap(unkeyed_hex: &str, key: &LookupKey) -> String {
    key.mac(&[WRAPPED_LABEL, unkeyed_hex.as_bytes()])
}

impl fmt::Debug for LookupDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LookupDigest({:?})", self.as_str())
    }
}

impl TryFrom<String> for LookupDigest {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LookupDigest> for String {
    fn from(value: LookupDigest) -> Self {
        value.text
    }
}

/// Where look-ups come from, as the guessing limits count them: an IPv4 address, or the /64
/// network of an IPv6 address (one subscriber's usual allocation, RFC 6177), so the addresses of
/// one network count as one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientSource(IpAddr);

impl ClientSource {
    /// The source of a client address (an IPv4-mapped IPv6 address is its IPv4 address).
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let network = u128::from(v6) & !u128::from(u64::MAX);
                    Self(IpAddr::V6(network.into()))
                }
            },
        }
    }
}

impl fmt::Display for ClientSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

impl StudentCode {
    /// What an erased student's code becomes on the records accounting law keeps (receipts,
    /// settled payments, paid invoices): `ANDANH` and 8 random characters, linked to the student
    /// by nothing hocphi keeps (Law 91/2025/QH15: pseudonymised, not deleted).
    pub fn pseudonym(entropy: [u8; 8]) -> Self {
        Self(format!("{}{}", Self::PSEUDONYM_PREFIX, encode(entropy)))
    }

    /// The prefix of [`StudentCode::pseudonym`].
    pub const PSEUDONYM_PREFIX: &'static str = "ANDANH";

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

    /// The reference of the payment recording partner `partner`'s transaction `txn`: `P` and 31
    /// hex digits of SHA-256 over both, so a repeated confirmation of one transaction finds its
    /// payment, and two partners' transactions never share one.
    pub fn for_partner(partner: &PartnerId, txn: &GatewayTxnNo) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"hocphi/partner-payment/v1\0");
        hasher.update(partner.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(txn.as_str().as_bytes());
        let mut text = hex(&hasher.finalize());
        text.truncate(31);
        Self(format!("P{text}"))
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

    /// Vectors computed outside hocphi with Python's `hmac` and `hashlib` (HMAC-SHA256 under
    /// [`KAT_KEY`] of `hocphi/payment-code/v1\0 STUDENT \0 YY`, the first 8 bytes read as a
    /// little-endian integer written in base 31 over [`ALPHABET`], least significant first).
    #[test]
    fn payment_codes_are_the_known_answers_and_verify_only_under_their_key() {
        let cases = [
            ("HS0012345", 2026, "HS0012345-26N7DCAXJ2"),
            ("HS0012345", 2025, "HS0012345-25CMMD9GH3"),
            ("HS0012346", 2026, "HS0012346-265YYZQWE2"),
        ];
        let other_key = LookupKey::new(&KAT_KEY.replace('0', "1")).unwrap();
        for (student, year, expected) in cases {
            let student = StudentCode::parse(student).unwrap();
            let year = SchoolYear::starting(year).unwrap();

            let code = PaymentCode::issue(&student, year, &kat_key());

            assert_eq!(code.to_string(), expected);
            let typed = PaymentCode::parse(&expected.to_lowercase().replace('-', " ")).unwrap();
            assert_eq!(typed, code);
            assert!(typed.verify(&kat_key()));
            assert!(!typed.verify(&other_key));
            assert_eq!(typed.student(), &student);
            assert!(typed.is_for(year));
            assert_eq!(typed.school_year(), year);
            assert!(!typed.is_for(SchoolYear::starting(2024).unwrap()));
        }
    }

    #[test]
    fn a_payment_code_with_one_symbol_changed_or_malformed_is_refused() {
        let forged = PaymentCode::parse("HS0012345-26N7DCAXJ3").unwrap();
        assert!(!forged.verify(&kat_key()));
        let cases = [
            ("", "too short"),
            ("HS0-26N7DCAXJ2", "too short"),
            ("HS0012345-2XN7DCAXJ2", "school year"),
            ("HS0012345-26N7DCAXJ0", "not allowed"),
            ("HS00123Ữ5-26N7DCAXJ2", "not allowed"),
        ];
        for (raw, reason) in cases {
            let err = PaymentCode::parse(raw).unwrap_err();
            assert!(err.reason.contains(reason), "{raw}: {err}");
        }
    }

    #[test]
    fn a_partner_transaction_names_one_payment_reference() {
        let partner = PartnerId::parse("bankdemo").unwrap();
        let txn = GatewayTxnNo::parse("FT26339000123").unwrap();

        let reference = PaymentRef::for_partner(&partner, &txn);

        assert_eq!(reference.as_str(), "Pc4dbf908a953ad7820aa344b713b989");
        assert_eq!(PaymentRef::parse(reference.as_str()), Ok(reference.clone()));
        let other = PartnerId::parse("DVCQG").unwrap();
        assert_ne!(PaymentRef::for_partner(&other, &txn), reference);
    }

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

    /// The key of the known-answer vectors below.
    const KAT_KEY: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";

    fn kat_key() -> LookupKey {
        LookupKey::new(KAT_KEY).unwrap()
    }

    /// Computed independently with Python 3.11's standard library, e.g. for the first row:
    /// `hashlib.sha256(b"hocphi/lookup/v1\0HS0001\0ABCD2345").hexdigest()` (unkeyed),
    /// `hmac.new(key, b"hocphi/lookup/v2\0HS0001\0ABCD2345", hashlib.sha256).hexdigest()` (keyed),
    /// `hmac.new(key, b"hocphi/lookup/v2-wrapped\0" + unkeyed.encode(), hashlib.sha256).hexdigest()`
    /// (wrapped), with `key = KAT_KEY.encode()`.
    const VECTORS: [(&str, &str, &str, &str, &str); 2] = [
        (
            "HS0001",
            "ABCD2345",
            "7ab6839fa7ab02cee3eab0147d5760b56a559a53f058307bb272aab29934fe01",
            "5137ec6030c829096b3e7165b1766c38e8e1db8e036a8527a6d36e56199d9ba8",
            "571c849e19f17aa5ea7a94f2d2804f65b7a8e42344948c5467ea1cae8d673b58",
        ),
        (
            "5201234567",
            "AB12CD34",
            "db3e2129b4e8948ae9a11bb892c83ac5655e9f2e5f8f086d56cc22dfbc4783b6",
            "e388cb34cfe7174a33f5fb73ede4141daaa370dcb193e0e6137d9e6fe3d9881a",
            "740255989fac68454559bb9f789fe58748dc80b884e4fa3e669e561b4001add3",
        ),
    ];

    #[test]
    fn digests_match_the_known_answer_vectors() {
        let key = kat_key();
        for (student, code, unkeyed, keyed, wrapped) in VECTORS {
            let student = StudentCode::parse(student).unwrap();
            let code = LookupCode::parse(code).unwrap();

            let digest = code.digest(&student, &key);
            let legacy = LookupDigest::parse(unkeyed).unwrap();

            assert_eq!(digest.as_str(), format!("k1:{keyed}"));
            assert_eq!(
                legacy.rewrapped(&key).unwrap().as_str(),
                format!("k1w:{wrapped}")
            );
        }
    }

    #[test]
    fn every_scheme_admits_its_code_only_and_only_keyed_digests_are_current() {
        let key = kat_key();
        let other_key = LookupKey::new(&KAT_KEY.replace('0', "1")).unwrap();
        let wrong = LookupCode::parse("ABCD2346").unwrap();
        for (student, code, unkeyed, keyed, wrapped) in VECTORS {
            let student = StudentCode::parse(student).unwrap();
            let code = LookupCode::parse(code).unwrap();
            let cases = [
                (unkeyed.to_owned(), LookupScheme::Unkeyed),
                (format!("k1:{keyed}"), LookupScheme::Keyed),
                (
                    format!("K1W:{}", wrapped.to_uppercase()),
                    LookupScheme::Wrapped,
                ),
            ];
            for (stored, scheme) in cases {
                let digest = LookupDigest::parse(&stored).unwrap();

                assert_eq!(digest.scheme(), scheme, "{stored}");
                assert!(digest.admits(&student, &code, &key), "{stored}");
                assert!(!digest.admits(&student, &wrong, &key), "{stored}");
                assert_eq!(digest.is_current(), scheme == LookupScheme::Keyed);
                if scheme != LookupScheme::Unkeyed {
                    assert!(!digest.admits(&student, &code, &other_key), "{stored}");
                    assert_eq!(digest.rewrapped(&key), None);
                }
            }
        }
    }

    #[test]
    fn a_lookup_digest_depends_on_the_student_and_the_code() {
        let key = kat_key();
        let code = LookupCode::parse("ABCD2345").unwrap();
        let a = StudentCode::parse("HS0001").unwrap();
        let b = StudentCode::parse("HS0002").unwrap();
        assert!(code.digest(&a, &key).admits(&a, &code, &key));
        assert!(!code.digest(&a, &key).admits(&b, &code, &key));
        assert_ne!(code.digest(&a, &key), code.digest(&b, &key));
        let round_trip: LookupDigest =
            serde_json::from_str(&serde_json::to_string(&code.digest(&a, &key)).unwrap()).unwrap();
        assert_eq!(round_trip, code.digest(&a, &key));
    }

    #[test]
    fn malformed_digests_and_short_keys_are_refused() {
        let cases = [
            ("ab".repeat(31), "too short"),
            (format!("k1:{}", "ab".repeat(33)), "too long"),
            (format!("k2:{}", "ab".repeat(32)), "too long"),
            (format!("k1:{}", "xy".repeat(32)), "not allowed"),
        ];
        for (raw, reason) in cases {
            let err = LookupDigest::parse(&raw).unwrap_err();
            assert!(err.to_string().contains(reason), "{raw}: {err}");
        }
        assert!(LookupKey::new(&"a".repeat(31)).is_err());
        assert!(LookupKey::new(&format!("{} b", "a".repeat(32))).is_err());
        assert!(LookupKey::new(&format!(" {}\n", "a".repeat(32))).is_ok());
    }

    #[test]
    fn a_lookup_key_never_prints() {
        let key = kat_key();

        let shown = format!("{key:?} {:?}", Some(key.clone()));

        assert!(!shown.contains("0123456789"), "{shown}");
        assert_eq!(LookupKey::text_from_entropy([0xab; 32]), "ab".repeat(32));
    }

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_network() {
        let source = |raw: &str| ClientSource::of(raw.parse().unwrap());
        assert_eq!(source("203.113.1.2").to_string(), "203.113.1.2");
        assert_eq!(source("::ffff:203.113.1.2"), source("203.113.1.2"));
        assert_eq!(source("2001:db8:1:2::1"), source("2001:db8:1:2:ffff::9"));
        assert_ne!(source("2001:db8:1:2::1"), source("2001:db8:1:3::1"));
        assert_eq!(
            source("2001:db8:1:2:3:4:5:6").to_string(),
            "2001:db8:1:2::/64"
        );
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
