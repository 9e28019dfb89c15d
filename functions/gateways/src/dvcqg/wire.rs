//! The platform's names and its `MaXacThuc` checksum, verbatim.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Secret;

/// `MaXacThuc`: SHA-256, lowercase hex, of the message's fields in their documented order joined
/// by `|`, followed by `|` and the shared key. (An older platform version used HMAC-SHA256 under
/// the key over the same fields; the platform's operator confirms which a province gets.)
pub fn ma_xac_thuc(fields: &[&str], key: &Secret) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update(b"|");
    }
    hasher.update(key.expose());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `presented` is the `MaXacThuc` of `fields` (either case), compared in constant time.
pub fn checks_out(fields: &[&str], key: &Secret, presented: &str) -> bool {
    let expected = ma_xac_thuc(fields, key);
    let presented = presented.trim().to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}
