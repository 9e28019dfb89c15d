//! Reads what the browser's `JSON.parse` returned straight into serde types, on the page only.
//!
//! A failure is one [`Invalid`] without a message: the page only asks whether an answer reads as
//! the contract says, so no error text (and none of the formatting machinery behind serde's
//! messages: numbers, floats, expected types) is compiled into the WebAssembly.
//!
//! The values are JSON's: `null`, booleans, numbers (whole numbers up to 2^53 − 1 read as
//! integers, others as floats), strings, arrays and objects. Enums are a variant name, or an
//! object with the variant name as its one key (serde's external tagging).

use std::fmt;

use js_sys::{Array, JsString, Number, Object};
use serde::de::value::StringDeserializer;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;
use wasm_bindgen::{JsCast, JsValue};

/// Something that did not read as the expected type.
#[derive(Debug)]
pub struct Invalid;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid")
    }
}

impl std::error::Error for Invalid {}

impl de::Error for Invalid {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Invalid
    }
}

/// Reads `value` (a result of `JSON.parse`) as a `T`.
pub fn from_value<T: de::DeserializeOwned>(value: JsValue) -> Result<T, Invalid> {
    T::deserialize(Value(value))
}

/// One parsed JSON value.
#[derive(Debug)]
struct Value(JsValue);

impl Value {
    fn whole(&self) -> Result<f64, Invalid> {
        match self.0.as_f64() {
            Some(number) if Number::is_safe_integer(&self.0) => Ok(number),
            _ => Err(Invalid),
        }
    }

    fn unsigned(&self) -> Result<u64, Invalid> {
        let number = self.whole()?;
        if number < 0.0 {
            return Err(Invalid);
        }
        Ok(number as u64)
    }

    fn signed(&self) -> Result<i64, Invalid> {
        Ok(self.whole()? as i64)
    }

    fn text(&self) -> Result<String, Invalid> {
        self.0.as_string().ok_or(Invalid)
    }

    fn items(self) -> Result<Items, Invalid> {
        if !Array::is_array(&self.0) {
            return Err(Invalid);
        }
        Ok(Items(self.0.unchecked_into::<Array>().into_iter()))
    }

    fn entries(self) -> Result<Entries, Invalid> {
        if !self.0.is_object() || Array::is_array(&self.0) {
            return Err(Invalid);
        }
        Ok(Entries {
            entries: Object::entries(self.0.unchecked_ref()).into_iter(),
            value: None,
        })
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Invalid;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(flag) = value.as_bool() {
            visitor.visit_bool(flag)
        } else if let Some(number) = value.as_f64() {
            if !Number::is_safe_integer(&value) {
                visitor.visit_f64(number)
            } else if number < 0.0 {
                visitor.visit_i64(number as i64)
            } else {
                visitor.visit_u64(number as u64)
            }
        } else if let Some(text) = value.as_string() {
            visitor.visit_string(text)
        } else if Array::is_array(&value) {
            visitor.visit_seq(Value(value).items()?)
        } else if value.is_object() {
            visitor.visit_map(Value(value).entries()?)
        } else {
            Err(Invalid)
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_bool(self.0.as_bool().ok_or(Invalid)?)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_u64(self.unsigned()?)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_u64(self.unsigned()?)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_u64(self.unsigned()?)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_u64(self.unsigned()?)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_i64(self.signed()?)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_i64(self.signed()?)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_i64(self.signed()?)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_i64(self.signed()?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_f64(self.0.as_f64().ok_or(Invalid)?)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_f64(self.0.as_f64().ok_or(Invalid)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_string(self.text()?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_string(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_string(self.text()?)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_string(self.text()?)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_unit()
        } else {
            Err(Invalid)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_seq(self.items()?)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_seq(self.items()?)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_seq(self.items()?)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_map(self.entries()?)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_map(self.entries()?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        if let Some(name) = self.0.as_string() {
            return visitor.visit_enum(IntoDeserializer::<Invalid>::into_deserializer(name));
        }
        if !self.0.is_object() {
            return Err(Invalid);
        }
        let entries = Object::entries(self.0.unchecked_ref());
        if entries.length() != 1 {
            return Err(Invalid);
        }
        let entry: Array = entries.get(0).unchecked_into();
        let name = entry.get(0).as_string().ok_or(Invalid)?;
        visitor.visit_enum(Variant {
            name,
            value: Value(entry.get(1)),
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 bytes byte_buf
    }
}

/// An array's items, in order.
#[derive(Debug)]
struct Items(js_sys::ArrayIntoIter);

impl<'de> SeqAccess<'de> for Items {
    type Error = Invalid;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Invalid> {
        self.0
            .next()
            .map(|item| seed.deserialize(Value(item)))
            .transpose()
    }
}

/// An object's `[key, value]` entries, in order.
#[derive(Debug)]
struct Entries {
    entries: js_sys::ArrayIntoIter,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Invalid;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Invalid> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        let entry: Array = entry.unchecked_into();
        let key = entry.get(0).dyn_into::<JsString>().map_err(|_| Invalid)?;
        self.value = Some(entry.get(1));
        seed.deserialize(StringDeserializer::<Invalid>::new(key.into()))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Invalid> {
        seed.deserialize(Value(self.value.take().ok_or(Invalid)?))
    }
}

/// An enum written as `{"variant": value}`.
#[derive(Debug)]
struct Variant {
    name: String,
    value: Value,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Invalid;
    type Variant = Value;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Value), Invalid> {
        let name = seed.deserialize(StringDeserializer::<Invalid>::new(self.name))?;
        Ok((name, self.value))
    }
}

impl<'de> VariantAccess<'de> for Value {
    type Error = Invalid;

    fn unit_variant(self) -> Result<(), Invalid> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Invalid> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Invalid> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
