//! Signing primitives shared by the gateways: PHP-compatible URL encoding, keyed HMAC states and
//! hex digests.
//!
//! Invariants: a secret becomes an HMAC state once, when an adapter is built, and every message is
//! signed or checked on a clone of that state; a received digest is hex-decoded (either case) and
//! compared only through `Mac::verify_slice`, in constant time. Nothing here prints key material.

use std::fmt;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Sha256, Sha512};

use crate::{ConfigError, Secret};

/// What PHP's `urlencode` leaves bare: ASCII letters, digits and `-_.` (space becomes `+`).
const PHP_URLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Appends `raw` encoded exactly as PHP's `urlencode` encodes it, which is what VNPay signs.
pub(crate) fn php_urlencode_into(out: &mut String, raw: &str) {
    let plain = raw.bytes().fold(true, |plain, b| {
        plain & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_') | (b == b'.') | (b == b' '))
    });
    if plain {
        for (i, word) in raw.split(' ').enumerate() {
            if i > 0 {
                out.push('+');
            }
            out.push_str(word);
        }
        return;
    }
    for chunk in utf8_percent_encode(raw, PHP_URLENCODE) {
        if chunk == "%20" {
            out.push('+');
        } else {
            out.push_str(chunk);
        }
    }
}

/// Why a received digest was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestError {
    /// Not hex, or not the digest's length.
    Malformed,
    /// Well-formed but different.
    Mismatch,
}

/// An HMAC keyed once with a gateway secret.
#[derive(Clone)]
pub(crate) struct HmacKey<M> {
    keyed: M,
}

/// VNPay's HMAC-SHA512.
pub(crate) type Sha512Key = HmacKey<Hmac<Sha512>>;
/// MoMo's HMAC-SHA256.
pub(crate) type Sha256Key = HmacKey<Hmac<Sha256>>;

impl<M: Mac + KeyInit + Clone> HmacKey<M> {
    pub(crate) fn new(secret: &Secret) -> Result<Self, ConfigError> {
        let keyed =
            <M as KeyInit>::new_from_slice(secret.expose()).map_err(|_| ConfigError::Invalid {
                field: "secret",
                reason: "not a valid HMAC key",
            })?;
        Ok(Self { keyed })
    }

    /// A fresh MAC over nothing yet, for messages fed in pieces.
    pub(crate) fn start(&self) -> M {
        self.keyed.clone()
    }

    /// The lowercase hex digest of `message`.
    pub(crate) fn sign_hex(&self, message: &[u8]) -> String {
        let mut mac = self.start();
        mac.update(message);
        crate::hex_lower(&mac.finalize().into_bytes())
    }

    /// Checks a received hex digest of `message`, in constant time.
    pub(crate) fn verify_hex(&self, message: &[u8], received: &str) -> Result<(), DigestError> {
        let mut mac = self.start();
        mac.update(message);
        verify_mac(mac, received)
    }
}

impl<M> fmt::Debug for HmacKey<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(***)")
    }
}

/// Finishes `mac` and compares it with a received hex digest in constant time. The hex may be
/// upper or lower case; only its decoded bytes are compared.
pub(crate) fn verify_mac<M: Mac>(mac: M, received: &str) -> Result<(), DigestError> {
    let mut buf = [0u8; 64];
    let bytes = decode_hex(received, &mut buf).ok_or(DigestError::Malformed)?;
    let ours = mac.finalize().into_bytes();
    if bytes.len() != ours.len() {
        return Err(DigestError::Malformed);
    }
    if constant_time_eq(&ours, bytes) {
        Ok(())
    } else {
        Err(DigestError::Mismatch)
    }
}

/// Whether two digests of the same length are equal, in time independent of their bytes: every
/// word is compared, the differences are folded together, and `subtle` decides the result.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let word = |chunk: &[u8]| chunk.try_into().map_or(0, u64::from_ne_bytes);
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a_words
        .remainder()
        .iter()
        .zip(b_words.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let diff = a_words
        .zip(b_words)
        .fold(tail, |acc, (x, y)| acc | (word(x) ^ word(y)));
    a.len() == b.len() && bool::from(diff.ct_eq(&0))
}

/// Decodes hex (either case) into `buf`. The check and the decoding are branch-free passes
/// over the bytes: a hex digit's value is its low nibble, plus 9 for a letter (bit 6 set).
fn decode_hex<'b>(hex: &str, buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    let hex = hex.as_bytes();
    if !hex.len().is_multiple_of(2) || hex.len() / 2 > buf.len() {
        return None;
    }
    if !hex.iter().fold(true, |ok, b| ok & b.is_ascii_hexdigit()) {
        return None;
    }
    let nibble = |b: u8| (b & 0x0f) + 9 * (b >> 6);
    for (byte, pair) in buf.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = (nibble(pair[0]) << 4) | nibble(pair[1]);
    }
    buf.get(..hex.len() / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(raw: &str) -> String {
        let mut out = String::new();
        php_urlencode_into(&mut out, raw);
        out
    }

    #[test]
    fn url_encoding_matches_php_urlencode_byte_for_byte() {
        // Expected values printed by PHP 8.2's urlencode().
        let cases = [
            ("Thanh toan hoc phi", "Thanh+toan+hoc+phi"),
            ("a-b_c.d", "a-b_c.d"),
            ("a*b~c!d(e)f'g", "a%2Ab%7Ec%21d%28e%29f%27g"),
            ("x+y&z=w%v", "x%2By%26z%3Dw%25v"),
            (
                "https://example.vn/return",
                "https%3A%2F%2Fexample.vn%2Freturn",
            ),
            (
                "Học phí – Nguyễn",
                "H%E1%BB%8Dc+ph%C3%AD+%E2%80%93+Nguy%E1%BB%85n",
            ),
            ("", ""),
            (
                "a b*~!()':/?&=+,;@#$%[]{}|\\^`\"<>ế",
                "a+b%2A%7E%21%28%29%27%3A%2F%3F%26%3D%2B%2C%3B%40%23%24%25%5B%5D%7B%7D%7C%5C%5E%60%22%3C%3E%E1%BA%BF",
            ),
        ];
        for (raw, php) in cases {
            assert_eq!(encoded(raw), php, "{raw:?}");
        }
    }

    #[test]
    fn a_digest_is_accepted_in_either_case_and_only_at_full_length() {
        let key = Sha256Key::new(&Secret::new("0123456789abcdef0123").unwrap()).unwrap();
        let hex = key.sign_hex(b"message");
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(key.verify_hex(b"message", &hex), Ok(()));
        assert_eq!(key.verify_hex(b"message", &hex.to_uppercase()), Ok(()));
        let cases = [
            (&hex[..62], DigestError::Malformed),
            ("", DigestError::Malformed),
            ("zz", DigestError::Malformed),
            ("abc", DigestError::Malformed),
            (&"ab".repeat(64), DigestError::Malformed),
        ];
        for (received, expected) in cases {
            assert_eq!(
                key.verify_hex(b"message", received),
                Err(expected),
                "{received:?}"
            );
        }
        assert_eq!(key.verify_hex(b"messagE", &hex), Err(DigestError::Mismatch));
    }

    #[test]
    fn a_keyed_state_signs_like_a_fresh_hmac_every_time() {
        let secret = Secret::new("SECRETSECRETSECRETSECRETSECRET12").unwrap();
        let key = Sha512Key::new(&secret).unwrap();
        let first = key.sign_hex(b"a=1");
        let second = key.sign_hex(b"a=1");
        assert_eq!(first, second);
        let mut fresh = <Hmac<Sha512> as KeyInit>::new_from_slice(secret.expose()).unwrap();
        fresh.update(b"a=1");
        assert_eq!(first, crate::hex_lower(&fresh.finalize().into_bytes()));
        assert_eq!(format!("{key:?}"), "HmacKey(***)");
    }
}
