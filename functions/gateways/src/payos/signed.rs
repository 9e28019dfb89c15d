//! The text payOS signs for a `data` object: its keys sorted, `key=value` joined by `&`, values
//! raw (no URL encoding), as the Node SDK's `createSignatureFromObj` (`@payos/node` 2.0.5,
//! `sortObjDataByKey` and `convertObjToQueryStr`) builds it.
//!
//! Invariants: the object is read once from the bytes received, and a duplicated key rejects it
//! (a JSON reader that keeps the last value would sign one value and act on another); every key
//! present is signed, known to hocphi or not; a value is written as the SDK writes it: strings
//! raw, numbers as JSON prints them, `null` and the strings `"null"` and `"undefined"` empty,
//! booleans `true`/`false`, arrays as the compact JSON of their objects with sorted keys, any
//! other object as JavaScript's `[object Object]`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

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

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SignedObject, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if map.contains_key(&key) {
                        let shown: String = key.chars().take(40).collect();
                        return Err(de::Error::custom(format_args!("duplicate field `{shown}`")));
                    }
                    map.insert(key, value);
                }
                Ok(SignedObject(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Why an object has no signed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsignable;

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

    /// The object read into one of payOS's typed bodies.
    pub(crate) fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.0.clone()))
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
