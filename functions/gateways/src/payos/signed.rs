//! The text payOS signs for a `data` object: its keys sorted, `key=value` joined by `&`, values
//! raw (no URL encoding), as the Node SDK's `createSignatureFromObj` (`@payos/node` 2.0.5,
//! `sortObjDataByKey` and `convertObjToQueryStr`) builds it.
//!
//! Invariants: the object is read once from the bytes received, each value kept as its raw JSON
//! text borrowed from them, and a duplicated key rejects it (a JSON reader that keeps the last
//! value would sign one value and act on another); the signed text is fed to the MAC piece by
//! piece, and the typed body is read from the same raw values after the check; every key
//! present is signed, known to hocphi or not; a value is written as the SDK writes it: strings
//! raw, numbers as JSON prints them, `null` and the strings `"null"` and `"undefined"` empty,
//! booleans `true`/`false`, arrays as the compact JSON of their objects with sorted keys, any
//! other object as JavaScript's `[object Object]`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapDeserializer;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// A JSON object as received: its keys (unescaped) sorted, each with its value's raw JSON text,
/// duplicate keys refused.
#[derive(Debug)]
pub(crate) struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// An object key, borrowed from the input unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<RawObject<'de>, A::Error> {
                let mut entries: Vec<(Cow<'de, str>, &'de RawValue)> =
                    Vec::with_capacity(access.size_hint().unwrap_or(20));
                while let Some(Key(key)) = access.next_key()? {
                    entries.push((key, access.next_value()?));
                }
                entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                    let shown: String = pair[0].0.chars().take(40).collect();
                    return Err(de::Error::custom(format_args!("duplicate field `{shown}`")));
                }
                Ok(RawObject { entries })
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Why an object has no signed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsignable;

impl<'a> RawObject<'a> {
    /// Feeds the signed text to `put` piece by piece, or says `Unsignable` for an array holding
    /// something other than objects (which the SDK cannot sign either: it would sort the keys of
    /// a string or of `null`) or a value serde_json cannot read back.
    pub(crate) fn write(&self, put: &mut impl FnMut(&[u8])) -> Result<(), Unsignable> {
        for (i, (key, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                put(b"&");
            }
            put(key.as_bytes());
            put(b"=");
            write_raw(put, value.get())?;
        }
        Ok(())
    }

    /// The signed text as a string (tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn message(&self) -> Result<String, Unsignable> {
        let mut out = Vec::new();
        self.write(&mut |piece| out.extend_from_slice(piece))?;
        String::from_utf8(out).map_err(|_| Unsignable)
    }

    /// The object read into one of payOS's typed bodies, its strings borrowed where they have
    /// no escapes.
    pub(crate) fn typed<T: Deserialize<'a>>(&self) -> Result<T, serde_json::Error> {
        let pairs = self
            .entries
            .iter()
            .map(|(key, value)| (key.as_ref(), *value));
        T::deserialize(MapDeserializer::new(pairs))
    }
}

/// One value as the SDK writes it, from its raw JSON text.
fn write_raw(put: &mut impl FnMut(&[u8]), raw: &str) -> Result<(), Unsignable> {
    match raw.as_bytes().first() {
        Some(b'n') => {}
        Some(b't' | b'f') => put(raw.as_bytes()),
        Some(b'"') => {
            let inner = raw
                .get(1..raw.len() - 1)
                .filter(|inner| !inner.contains('\\'));
            let text = match inner {
                Some(inner) => Cow::Borrowed(inner),
                None => Cow::Owned(serde_json::from_str::<String>(raw).map_err(|_| Unsignable)?),
            };
            if text != "null" && text != "undefined" {
                put(text.as_bytes());
            }
        }
        Some(b'{') => put(b"[object Object]"),
        Some(b'[') => {
            let items: Vec<Value> = serde_json::from_str(raw).map_err(|_| Unsignable)?;
            if !items.iter().all(Value::is_object) {
                return Err(Unsignable);
            }
            let sorted: Vec<BTreeMap<&String, &Value>> = items
                .iter()
                .filter_map(Value::as_object)
                .map(|object| object.iter().collect())
                .collect();
            let json = serde_json::to_string(&sorted).map_err(|_| Unsignable)?;
            put(json.as_bytes());
        }
        _ if plain_integer(raw) => put(raw.as_bytes()),
        _ => {
            let number: serde_json::Number = serde_json::from_str(raw).map_err(|_| Unsignable)?;
            put(number.to_string().as_bytes());
        }
    }
    Ok(())
}

/// Whether a JSON number is a non-negative integer that serde_json prints back digit for digit
/// (it fits a `u64`).
fn plain_integer(raw: &str) -> bool {
    let digits = raw.as_bytes();
    (1..=19).contains(&digits.len())
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1)
}

/// The reading this module replaced, kept as the reference the borrowed reading is checked
/// against: the object read into a `serde_json::Map`, its entries sorted, each value written from
/// its `Value`.
#[cfg(test)]
pub(crate) mod reference {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
    use serde_json::{Map, Value};

    use super::Unsignable;

    /// A JSON object read with duplicate keys refused, keys in sorted order.
    #[derive(Clone, Debug, PartialEq)]
    pub(crate) struct SignedObject(pub(crate) Map<String, Value>);

    impl<'de> Deserialize<'de> for SignedObject {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct ObjectVisitor;

            impl<'de> Visitor<'de> for ObjectVisitor {
                type Value = SignedObject;

                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON object")
                }

                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut access: A,
                ) -> Result<SignedObject, A::Error> {
                    let mut map = Map::new();
                    while let Some(key) = access.next_key::<String>()? {
                        let value: Value = access.next_value()?;
                        if map.contains_key(&key) {
                            let shown: String = key.chars().take(40).collect();
                            return Err(de::Error::custom(format_args!(
                                "duplicate field `{shown}`"
                            )));
                        }
                        map.insert(key, value);
                    }
                    Ok(SignedObject(map))
                }
            }

            deserializer.deserialize_map(ObjectVisitor)
        }
    }

    impl SignedObject {
        /// The signed text, or `Unsignable` for an array holding something other than objects
        /// (which the SDK cannot sign either: it would sort the keys of a string or of `null`).
        pub(crate) fn message(&self) -> Result<String, Unsignable> {
            let mut out = String::new();
            for (i, (key, value)) in sorted(&self.0).into_iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(key);
                out.push('=');
                write_value(&mut out, value)?;
            }
            Ok(out)
        }
    }

    /// An object's entries in sorted key order, whatever order `serde_json::Map` keeps (with its
    /// `preserve_order` feature, which another crate of a build may turn on, it keeps insertion
    /// order).
    fn sorted(object: &Map<String, Value>) -> BTreeMap<&String, &Value> {
        object.iter().collect()
    }

    fn write_value(out: &mut String, value: &Value) -> Result<(), Unsignable> {
        match value {
            Value::Null => {}
            Value::String(s) if s == "null" || s == "undefined" => {}
            Value::String(s) => out.push_str(s),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::Array(items) => {
                if !items.iter().all(Value::is_object) {
                    return Err(Unsignable);
                }
                let sorted: Vec<BTreeMap<&String, &Value>> = items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(sorted)
                    .collect();
                let json = serde_json::to_string(&sorted).map_err(|_| Unsignable)?;
                out.push_str(&json);
            }
            Value::Object(_) => out.push_str("[object Object]"),
        }
        Ok(())
    }
}
