//! VNPay's signed query strings: the canonical string of `vnp_*` parameters, the signed query of
//! a payment URL (or of a simulated callback), and the reading of a received query.
//!
//! Invariants:
//! - what is signed is the `vnp_*` parameters minus `vnp_SecureHash`/`vnp_SecureHashType` and empty
//!   values, sorted by byte order, each key and value encoded as PHP's `urlencode`, joined with
//!   `&`, under HMAC-SHA512; a payment URL's query *is* that string plus the hash;
//! - a received query is form-decoded and each pair re-encoded before hashing, so the order and
//!   the encoding of the query as received do not matter (a raw `key=value` piece is hashed as it
//!   is only when it already is, byte for byte, that re-encoding); a signed parameter that appears
//!   twice rejects the query.

use std::borrow::Cow;

use super::wire::{self, field};
use crate::VerifyError;
use crate::signing::{DigestError, Sha512Key, php_urlencode_into};

/// The canonical string: each pair as `urlencode(key)=urlencode(value)`, joined with `&`.
pub(crate) fn canonical<'p>(
    pairs: impl IntoIterator<Item = (&'p str, &'p str)>,
    capacity: usize,
) -> String {
    let mut out = String::with_capacity(capacity);
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        php_urlencode_into(&mut out, key);
        out.push('=');
        php_urlencode_into(&mut out, value);
    }
    out
}

/// A signed query string: the non-empty parameters sorted by key, encoded, then
/// `&vnp_SecureHash=<hex>`.
pub(crate) fn signed_query(key: &Sha512Key, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .copied()
        .filter(|(_, value)| !value.is_empty())
        .collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut query = canonical(sorted, 512);
    let hash = key.sign_hex(query.as_bytes());
    query.push('&');
    query.push_str(field::SECURE_HASH);
    query.push('=');
    query.push_str(&hash);
    query
}

/// One decoded pair of a query, with the piece it came from when that piece already is its own
/// canonical encoding.
pub(crate) struct FormPair<'q> {
    pub(crate) key: Cow<'q, str>,
    pub(crate) value: Cow<'q, str>,
    /// The raw `key=value` piece, when PHP-encoding the decoded key and value gives back exactly
    /// these bytes: no `%`, exactly one `=`, and otherwise only `[A-Za-z0-9-_.+]`.
    pub(crate) canonical: Option<&'q str>,
}

const PERCENT: u8 = 1;
const PLUS: u8 = 2;
const RESERVED: u8 = 4;
const EQUALS: u8 = 8;

/// What each byte is to the form decoder and to PHP's `urlencode`.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [RESERVED; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.' {
            table[b] = 0;
        }
        b += 1;
    }
    table[b'%' as usize] = PERCENT | RESERVED;
    table[b'+' as usize] = PLUS;
    table[b'=' as usize] = EQUALS;
    table
};

fn classes(text: &str) -> u8 {
    text.bytes()
        .fold(0, |seen, b| seen | BYTE_CLASS[usize::from(b)])
}

/// The pairs of a query exactly as `form_urlencoded::parse` decodes them (`+` is a space, `%XX` a
/// byte, a piece without `=` has an empty value, empty pieces are skipped). Every piece holding a
/// `%` or a `+` is decoded by `form_urlencoded`; a piece with neither decodes to itself and is
/// borrowed as it is.
pub(crate) fn form_pairs(query: &str) -> impl Iterator<Item = FormPair<'_>> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .filter_map(|piece| {
            let split = piece.split_once('=');
            let (key, value) = split.unwrap_or((piece, ""));
            let (key_class, value_class) = (classes(key), classes(value));
            let class = key_class | value_class;
            let canonical = (split.is_some() && class & RESERVED == 0 && value_class & EQUALS == 0)
                .then_some(piece);
            if class & (PERCENT | PLUS) != 0 {
                let (key, value) = form_urlencoded::parse(piece.as_bytes()).next()?;
                return Some(FormPair {
                    key,
                    value,
                    canonical,
                });
            }
            Some(FormPair {
                key: Cow::Borrowed(key),
                value: Cow::Borrowed(value),
                canonical,
            })
        })
}

/// The `vnp_*` parameters of a received query, form-decoded, sorted by key and free of
/// duplicates, with the received hash set apart.
pub(crate) struct SignedQuery<'q> {
    pairs: Vec<FormPair<'q>>,
    hash: Option<Cow<'q, str>>,
    capacity: usize,
}

impl<'q> SignedQuery<'q> {
    pub(crate) fn parse(query: &'q str) -> Result<Self, VerifyError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs = Vec::with_capacity(20);
        let mut hash = None;
        for pair in form_pairs(query) {
            if !pair.key.starts_with(wire::PREFIX) || pair.key == field::SECURE_HASH_TYPE {
                continue;
            }
            if pair.key == field::SECURE_HASH {
                if hash.replace(pair.value).is_some() {
                    return Err(VerifyError::duplicate(field::SECURE_HASH));
                }
                continue;
            }
            pairs.push(pair);
        }
        pairs.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        if let Some(name) = pairs.windows(2).find_map(|w| match w {
            [a, b] if a.key == b.key => Some(a.key.clone()),
            _ => None,
        }) {
            return Err(VerifyError::duplicate(&name));
        }
        pairs.retain(|pair| !pair.value.is_empty());
        Ok(Self {
            pairs,
            hash,
            capacity: query.len(),
        })
    }

    /// The canonical string VNPay signed for these parameters.
    pub(crate) fn canonical(&self) -> String {
        let mut out = String::with_capacity(self.capacity);
        for pair in &self.pairs {
            if !out.is_empty() {
                out.push('&');
            }
            match pair.canonical {
                Some(piece) => out.push_str(piece),
                None => {
                    php_urlencode_into(&mut out, &pair.key);
                    out.push('=');
                    php_urlencode_into(&mut out, &pair.value);
                }
            }
        }
        out
    }

    pub(crate) fn verify(&self, key: &Sha512Key) -> Result<(), VerifyError> {
        let hash = self
            .hash
            .as_deref()
            .filter(|h| !h.is_empty())
            .ok_or(VerifyError::MissingSignature)?;
        key.verify_hex(self.canonical().as_bytes(), hash)
            .map_err(|e| match e {
                DigestError::Malformed => VerifyError::MalformedSignature,
                DigestError::Mismatch => VerifyError::BadSignature,
            })
    }

    /// A non-empty signed parameter. (A scan by equality: keys differ mostly in length, so it
    /// compares fewer bytes than a binary search over a dozen keys.)
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|pair| pair.key == name)
            .map(|pair| pair.value.as_ref())
    }

    pub(crate) fn require(&self, name: &'static str) -> Result<&str, VerifyError> {
        self.get(name).ok_or(VerifyError::MissingField(name))
    }
}
