//! VNPay's signed query strings: the canonical string of `vnp_*` parameters, the signed query of
//! a payment URL (or of a simulated callback), and the reading of a received query.
//!
//! Invariants:
//! - what is signed is the `vnp_*` parameters minus `vnp_SecureHash`/`vnp_SecureHashType` and empty
//!   values, sorted by byte order, each key and value encoded as PHP's `urlencode`, joined with
//!   `&`, under HMAC-SHA512; a payment URL's query *is* that string plus the hash;
//! - a received query is form-decoded and each pair re-encoded before hashing, so the order and
//!   the encoding of the query as received do not matter (a raw `key=value` piece is hashed as it
//!   is only when it already is, byte for byte, that re-encoding, and the query's bytes are hashed
//!   in one run when they already are the whole canonical string); a signed parameter that
//!   appears twice rejects the query;
//! - a query as VNPay sends it (plain keys, signed keys in increasing order, every signed pair
//!   already canonical) is verified in one pass without allocating ([`verify_in_order`]); any
//!   other query is read by [`SignedQuery`], with the same results.

use std::borrow::Cow;
use std::cell::OnceCell;

use hmac::Mac;

use super::wire::{self, field};
use crate::VerifyError;
use crate::signing::{DigestError, Sha512Key, php_urlencode_into, verify_mac};

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
#[cfg(test)]
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
/// `&`, which ends a piece (and which `urlencode` escapes).
const AMP: u8 = 16;

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
    table[b'&' as usize] = AMP | RESERVED;
    table
};

/// The pairs of a query as [`SignedQuery`] reads them, which must be exactly as
/// `form_urlencoded::parse` decodes them (`+` is a space, `%XX` a byte, a piece without `=` has
/// an empty value, empty pieces are skipped).
#[cfg(test)]
pub(crate) fn form_pairs(query: &str) -> impl Iterator<Item = FormPair<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start <= query.len() {
            let (param, next) = Param::read(query, start);
            start = next;
            if let Some(param) = param {
                return Some(FormPair {
                    value: Cow::Owned(param.value().to_owned()),
                    key: param.key,
                    canonical: param.canonical,
                });
            }
        }
        None
    })
}

/// From byte `from` of `bytes`, the first byte whose class has a bit of `stop` (or the end), and
/// the union of the classes of the bytes before it.
fn scan(bytes: &[u8], from: usize, stop: u8) -> (usize, u8) {
    let mut seen = 0;
    for (at, &b) in bytes.iter().enumerate().skip(from) {
        let class = BYTE_CLASS[usize::from(b)];
        if class & stop != 0 {
            return (at, seen);
        }
        seen |= class;
    }
    (bytes.len().max(from), seen)
}

/// One signed parameter of a received query: its decoded key, the raw piece it came from (with
/// its place in the query), and its value, form-decoded only when first read.
struct Param<'q> {
    key: Cow<'q, str>,
    piece: &'q str,
    raw_value: &'q str,
    start: usize,
    /// The raw piece, when it already is its own canonical encoding.
    canonical: Option<&'q str>,
    /// The value holds a `%` or a `+`, so it differs from its form-decoding.
    encoded: bool,
    decoded: OnceCell<String>,
}

impl<'q> Param<'q> {
    /// Reads the piece that starts at byte `start` of `query`, in one pass over its bytes:
    /// `None` for an empty piece, and where the next piece starts.
    fn read(query: &'q str, start: usize) -> (Option<Self>, usize) {
        let bytes = query.as_bytes();
        let (key_end, key_class) = scan(bytes, start, AMP | EQUALS);
        let split = bytes.get(key_end) == Some(&b'=');
        let (end, value_class) = if split {
            scan(bytes, key_end + 1, AMP)
        } else {
            (key_end, 0)
        };
        let next = end + 1;
        let piece = query.get(start..end).unwrap_or("");
        if piece.is_empty() {
            return (None, next);
        }
        let raw_key = query.get(start..key_end).unwrap_or("");
        let raw_value = if split {
            query.get(key_end + 1..end).unwrap_or("")
        } else {
            ""
        };
        let key = if key_class & (PERCENT | PLUS) != 0 {
            match form_urlencoded::parse(piece.as_bytes()).next() {
                Some((key, _)) => key,
                None => return (None, next),
            }
        } else {
            Cow::Borrowed(raw_key)
        };
        let class = key_class | value_class;
        let canonical =
            (split && class & RESERVED == 0 && value_class & EQUALS == 0).then_some(piece);
        let param = Self {
            key,
            piece,
            raw_value,
            start,
            canonical,
            encoded: value_class & (PERCENT | PLUS) != 0,
            decoded: OnceCell::new(),
        };
        (Some(param), next)
    }

    fn value(&self) -> &str {
        if !self.encoded {
            return self.raw_value;
        }
        self.decoded.get_or_init(|| {
            form_urlencoded::parse(self.piece.as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        })
    }
}

/// The `vnp_*` parameters of a received query, sorted by key and free of duplicates, with the
/// received hash set apart. Values are form-decoded only when read, and the signed string is fed
/// to the MAC straight from the query: in one piece when the query already is the canonical
/// string followed by the hash (as VNPay sends it), otherwise pair by pair.
pub(crate) struct SignedQuery<'q> {
    query: &'q str,
    pairs: Vec<Param<'q>>,
    hash: Option<Cow<'q, str>>,
}

impl<'q> SignedQuery<'q> {
    pub(crate) fn parse(query: &'q str) -> Result<Self, VerifyError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs: Vec<Param<'q>> = Vec::with_capacity(16);
        let mut hash = None;
        let mut sorted = true;
        let mut start = 0;
        while start <= query.len() {
            let (param, next) = Param::read(query, start);
            start = next;
            let Some(param) = param else {
                continue;
            };
            let key = &param.key;
            if !key.starts_with(wire::PREFIX) || key == field::SECURE_HASH_TYPE {
                continue;
            }
            if key == field::SECURE_HASH {
                let value = if param.encoded {
                    Cow::Owned(param.value().to_owned())
                } else {
                    Cow::Borrowed(param.raw_value)
                };
                if hash.replace(value).is_some() {
                    return Err(VerifyError::duplicate(field::SECURE_HASH));
                }
                continue;
            }
            if let Some(last) = pairs.last() {
                sorted &= last.key < *key;
            }
            pairs.push(param);
        }
        if !sorted {
            pairs.sort_unstable_by(|a, b| a.key.cmp(&b.key));
            if let Some(name) = pairs.windows(2).find_map(|w| match w {
                [a, b] if a.key == b.key => Some(a.key.clone()),
                _ => None,
            }) {
                return Err(VerifyError::duplicate(&name));
            }
        }
        pairs.retain(|pair| !pair.raw_value.is_empty());
        Ok(Self { query, pairs, hash })
    }

    /// The canonical string when the query holds it as one piece: every signed pair already in
    /// its canonical encoding, in order, next to each other.
    fn contiguous(&self) -> Option<&'q str> {
        let (first, last) = (self.pairs.first()?, self.pairs.last()?);
        let mut end = first.start;
        for pair in &self.pairs {
            pair.canonical?;
            if pair.start != end {
                return None;
            }
            end = pair.start + pair.piece.len() + 1;
        }
        self.query.get(first.start..last.start + last.piece.len())
    }

    /// Feeds the canonical string VNPay signed for these parameters to `sink`, in pieces.
    fn write_canonical(&self, sink: &mut impl FnMut(&[u8])) {
        if let Some(whole) = self.contiguous() {
            sink(whole.as_bytes());
            return;
        }
        let mut scratch = String::new();
        for (i, pair) in self.pairs.iter().enumerate() {
            if i > 0 {
                sink(b"&");
            }
            match pair.canonical {
                Some(piece) => sink(piece.as_bytes()),
                None => {
                    scratch.clear();
                    php_urlencode_into(&mut scratch, &pair.key);
                    scratch.push('=');
                    php_urlencode_into(&mut scratch, pair.value());
                    sink(scratch.as_bytes());
                }
            }
        }
    }

    /// The canonical string VNPay signed for these parameters (for the simulator and the tests).
    #[cfg(any(test, feature = "simulators"))]
    pub(crate) fn canonical(&self) -> String {
        let mut out = Vec::with_capacity(self.query.len());
        self.write_canonical(&mut |bytes| out.extend_from_slice(bytes));
        String::from_utf8(out).unwrap_or_default()
    }

    pub(crate) fn verify(&self, key: &Sha512Key) -> Result<(), VerifyError> {
        let hash = self
            .hash
            .as_deref()
            .filter(|h| !h.is_empty())
            .ok_or(VerifyError::MissingSignature)?;
        let mut mac = key.start();
        self.write_canonical(&mut |bytes| mac.update(bytes));
        verify_mac(mac, hash).map_err(|e| match e {
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
            .map(Param::value)
    }
}

/// The fields of an IPN or a return URL the adapter reads, in this order in [`InOrder`].
pub(crate) const READ: [&str; 7] = [
    field::AMOUNT,
    field::PAY_DATE,
    field::RESPONSE_CODE,
    field::TMN_CODE,
    field::TRANSACTION_NO,
    field::TRANSACTION_STATUS,
    field::TXN_REF,
];

/// The non-empty values of [`READ`] of a query verified by [`verify_in_order`], borrowed from it.
pub(crate) struct InOrder<'q> {
    values: [&'q str; READ.len()],
}

impl<'q> InOrder<'q> {
    pub(crate) fn get(&self, name: &str) -> Option<&'q str> {
        let at = READ.iter().position(|read| *read == name)?;
        self.values
            .get(at)
            .copied()
            .filter(|value| !value.is_empty())
    }
}

/// Bytes PHP's `urlencode` leaves as they are.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.')
}

/// Verifies a query in one pass, without allocating, when it is as VNPay sends it: only
/// unreserved bytes, `+`, `=` and `&`; every piece one `key=value`; the signed keys in strictly
/// increasing order; the read fields free of `+`. Such a query holds its signed
/// pairs already canonical (a `+` is a space, encoded again as `+`, and sorts before every
/// unreserved byte as a space does), and they are fed to the MAC straight from it,
/// in as few runs as the skipped pieces between them allow. `None` for any other query, which
/// [`SignedQuery`] then reads (with the same result).
pub(crate) fn verify_in_order<'q>(
    query: &'q str,
    key: &Sha512Key,
) -> Option<Result<InOrder<'q>, VerifyError>> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let bytes = query.as_bytes();
    let allowed = bytes.iter().fold(true, |ok, &b| {
        ok & (unreserved(b) | (b == b'+') | (b == b'=') | (b == b'&'))
    });
    if !allowed {
        return None;
    }
    let mut read = InOrder {
        values: [""; READ.len()],
    };
    let mut mac = key.start();
    let mut hash: Option<&str> = None;
    let mut previous: &[u8] = &[];
    let mut run: Option<(usize, usize)> = None;
    let mut marks = memchr::memchr2_iter(b'=', b'&', bytes);
    let mut start = 0;
    while start <= bytes.len() {
        let at = start;
        let split = marks
            .next()
            .filter(|&split| bytes.get(split) == Some(&b'='))?;
        let end = match marks.next() {
            None => bytes.len(),
            Some(end) if bytes.get(end) == Some(&b'&') => end,
            Some(_) => return None,
        };
        start = end + 1;
        let name = bytes.get(at..split)?;
        let value = (split + 1, end);
        if !name.starts_with(wire::PREFIX.as_bytes()) || name == field::SECURE_HASH_TYPE.as_bytes()
        {
            continue;
        }
        if name == field::SECURE_HASH.as_bytes() {
            if hash.replace(query.get(value.0..value.1)?).is_some() {
                return None;
            }
            continue;
        }
        if previous >= name {
            return None;
        }
        previous = name;
        if value.0 == value.1 {
            continue;
        }
        if let Some(slot) = READ.iter().position(|read| read.as_bytes() == name) {
            let text = query.get(value.0..value.1)?;
            if text.bytes().fold(false, |plus, b| plus | (b == b'+')) {
                return None;
            }
            *read.values.get_mut(slot)? = text;
        }
        run = match run {
            Some((from, to)) if to + 1 == at => Some((from, end)),
            Some((from, to)) => {
                mac.update(bytes.get(from..to)?);
                mac.update(b"&");
                Some((at, end))
            }
            None => Some((at, end)),
        };
    }
    let hash = hash.filter(|hash| !hash.is_empty())?;
    if let Some((from, to)) = run {
        mac.update(bytes.get(from..to)?);
    }
    Some(verify_mac(mac, hash).map(|()| read).map_err(|e| match e {
        DigestError::Malformed => VerifyError::MalformedSignature,
        DigestError::Mismatch => VerifyError::BadSignature,
    }))
}
