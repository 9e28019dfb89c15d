//! `HOCPHI_PARTNERS` read into [`Partner`]s.
//!
//! Invariants: every field is read by hand from the JSON, so no refusal can quote a value (a
//! mistyped key would otherwise appear in serde's "invalid type" message); a partner id or a field
//! given twice, an unknown field and a `code` on a generic partner are refused, naming the
//! partner and the reason; each key becomes its HMAC state here, once.

use std::collections::BTreeMap;
use std::fmt;

use hocphi_domain::{Label, PartnerId, PayeeId, SchoolId};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Partner, PartnersError, Profile};
use crate::Secret;
use crate::signing::Sha256Key;

/// The longest `code` accepted.
const CODE_MAX: usize = 50;

pub(super) fn parse(json: &str) -> Result<BTreeMap<PartnerId, Partner>, PartnersError> {
    let Entries(entries) = serde_json::from_str::<Entries<Object>>(json).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "not a map of partner id to partner object",
            serde_json::error::Category::Eof => "unexpected end",
            _ => "syntax error",
        };
        PartnersError::Json(format!("{what} at line {} column {}", e.line(), e.column()))
    })?;
    let mut partners = BTreeMap::new();
    for (raw_id, Object(fields)) in entries {
        let refuse = |reason: String| PartnersError::Partner {
            partner: raw_id.chars().take(32).collect(),
            reason,
        };
        let id = PartnerId::parse(&raw_id).map_err(|e| refuse(e.to_string()))?;
        if partners.contains_key(&id) {
            return Err(refuse("is listed twice".into()));
        }
        let fields = fields.ok_or_else(|| refuse("must be a JSON object".into()))?;
        let partner = partner(id.clone(), fields).map_err(refuse)?;
        partners.insert(id, partner);
    }
    Ok(partners)
}

fn partner(id: PartnerId, fields: Vec<(String, Value)>) -> Result<Partner, String> {
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in fields {
        if !matches!(
            name.as_str(),
            "name" | "profile" | "key" | "schools" | "payees" | "code"
        ) {
            return Err(format!(
                "unknown field `{}`",
                name.chars().take(32).collect::<String>()
            ));
        }
        if seen.contains_key(&name) {
            return Err(format!("field `{name}` is given twice"));
        }
        seen.insert(name, value);
    }
    let name = match seen.remove("name") {
        Some(Value::String(raw)) => Label::parse(&raw).map_err(|e| format!("name: {e}"))?,
        Some(_) => return Err("name must be a string".into()),
        None => return Err("missing `name`".into()),
    };
    let profile = match seen.remove("profile") {
        Some(Value::String(raw)) if raw == "generic" => Profile::Generic,
        Some(Value::String(raw)) if raw == "dvcqg" => Profile::Dvcqg,
        Some(_) => return Err("profile must be \"generic\" or \"dvcqg\"".into()),
        None => return Err("missing `profile`".into()),
    };
    let key = match seen.remove("key") {
        Some(Value::String(raw)) => Secret::new(raw).map_err(|e| format!("key: {e}"))?,
        Some(_) => return Err("key must be a string".into()),
        None => return Err("missing `key`".into()),
    };
    let hmac = Sha256Key::new(&key).map_err(|e| format!("key: {e}"))?;
    let schools = ids(seen.remove("schools"), "schools", SchoolId::parse)?;
    let payees = ids(seen.remove("payees"), "payees", PayeeId::parse)?;
    if schools.is_empty() && payees.is_empty() {
        return Err("collects for no school: list `schools` or `payees`".into());
    }
    let code = match (seen.remove("code"), profile) {
        (None, _) => None,
        (Some(_), Profile::Generic) => {
            return Err("`code` belongs to the dvcqg profile only".into());
        }
        (Some(Value::String(code)), Profile::Dvcqg) if is_code(&code) => Some(code),
        (Some(_), Profile::Dvcqg) => {
            return Err(format!("code must be 1 to {CODE_MAX} of A-Z a-z 0-9 . _ -"));
        }
    };
    Ok(Partner {
        id,
        name,
        profile,
        code,
        key,
        hmac,
        schools,
        payees,
    })
}

fn ids<T, E: fmt::Display>(
    value: Option<Value>,
    field: &str,
    parse: fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, String> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(raw) => parse(raw).map_err(|e| format!("{field}: {e}")),
                _ => Err(format!("{field} must list strings")),
            })
            .collect(),
        Some(_) => Err(format!("{field} must be a list")),
    }
}

fn is_code(code: &str) -> bool {
    (1..=CODE_MAX).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A JSON object's entries in the order written, duplicates kept (a map would keep only one).
pub(super) struct Entries<V>(pub(super) Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

struct EntriesVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
    type Value = Entries<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Entries<V>, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = access.next_entry::<String, V>()? {
            entries.push(entry);
        }
        Ok(Entries(entries))
    }
}

/// A value that may be a JSON object: its entries as [`Entries`] reads them, or `None`.
struct Object(Option<Vec<(String, Value)>>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Object, A::Error> {
                EntriesVisitor(std::marker::PhantomData)
                    .visit_map(access)
                    .map(|Entries(entries)| Object(Some(entries)))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Object, A::Error> {
                while access.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Object(None))
            }

            fn visit_bool<E>(self, _: bool) -> Result<Object, E> {
                Ok(Object(None))
            }

            fn visit_i64<E>(self, _: i64) -> Result<Object, E> {
                Ok(Object(None))
            }

            fn visit_u64<E>(self, _: u64) -> Result<Object, E> {
                Ok(Object(None))
            }

            fn visit_f64<E>(self, _: f64) -> Result<Object, E> {
                Ok(Object(None))
            }

            fn visit_str<E>(self, _: &str) -> Result<Object, E> {
                Ok(Object(None))
            }

            fn visit_unit<E>(self) -> Result<Object, E> {
                Ok(Object(None))
            }
        }

        deserializer.deserialize_any(ObjectVisitor)
    }
}
