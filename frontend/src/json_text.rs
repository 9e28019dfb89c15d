//! Writes serde values as JSON text: the payment request the page sends and the attempt it keeps
//! in session storage. The text is what `serde_json::to_string` writes for the same value (the
//! tests hold it to that), without a float formatter: the page's types carry no floats (money is
//! a string, instants whole milliseconds), so a float is refused rather than written.
//!
//! Strings are escaped as RFC 8259 requires and serde_json does: `"`, `\` and the control
//! characters, with the short forms `\b \f \n \r \t` where they exist.

use std::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

/// A value JSON text cannot hold here: a float, a map key that is not a string.
#[derive(Debug)]
pub struct Unwritable;

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unwritable")
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unwritable
    }
}

/// `value` as JSON text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::new();
    value.serialize(Writer(&mut out)).ok()?;
    Some(out)
}

fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Writer<'a>(&'a mut String);

impl<'a> Writer<'a> {
    fn open(self, open: &str, close: &'static str) -> Compound<'a> {
        self.0.push_str(open);
        Compound {
            out: self.0,
            first: true,
            close,
        }
    }

    fn open_variant(self, variant: &str, open: char, close: &'static str) -> Compound<'a> {
        self.0.push('{');
        string(self.0, variant);
        self.0.push(':');
        self.0.push(open);
        Compound {
            out: self.0,
            first: true,
            close,
        }
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Unwritable> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Unwritable> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Unwritable> {
        write!(self.0, "{v}").map_err(|_| Unwritable)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Unwritable> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Unwritable> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Unwritable> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Unwritable> {
        write!(self.0, "{v}").map_err(|_| Unwritable)
    }

    fn serialize_f32(self, _: f32) -> Result<(), Unwritable> {
        Err(Unwritable)
    }

    fn serialize_f64(self, _: f64) -> Result<(), Unwritable> {
        Err(Unwritable)
    }

    fn serialize_char(self, v: char) -> Result<(), Unwritable> {
        string(self.0, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Unwritable> {
        string(self.0, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unwritable> {
        let mut items = self.open("[", "]");
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut items, byte)?;
        }
        ser::SerializeSeq::end(items)
    }

    fn serialize_none(self) -> Result<(), Unwritable> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unwritable> {
        self.0.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unwritable> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unwritable> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        self.0.push('{');
        string(self.0, variant);
        self.0.push(':');
        value.serialize(Writer(self.0))?;
        self.0.push('}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("[", "]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open_variant(variant, '[', "]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("{", "}"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open("{", "}"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        Ok(self.open_variant(variant, '{', "}}"))
    }
}

/// An array or object being written: a comma before every member but the first.
struct Compound<'a> {
    out: &'a mut String,
    first: bool,
    close: &'static str,
}

impl Compound<'_> {
    fn next(&mut self) -> Writer<'_> {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        Writer(self.out)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Unwritable> {
        let out = self.next().0;
        string(out, key);
        out.push(':');
        value.serialize(Writer(out))
    }

    fn end(self) -> Result<(), Unwritable> {
        self.out.push_str(self.close);
        Ok(())
    }
}

/// serde's four positional compounds (sequence, tuple, tuple struct, tuple variant) write their
/// members alike: comma-separated values.
macro_rules! positional {
    ($($trait:ident :: $method:ident),+) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Unwritable;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
                value.serialize(self.next())
            }

            fn end(self) -> Result<(), Unwritable> {
                Compound::end(self)
            }
        }
    )+};
}

positional!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// serde's two keyed compounds (struct, struct variant) write `"key":value` members.
macro_rules! keyed {
    ($($trait:ident),+) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Unwritable;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Unwritable> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Unwritable> {
                Compound::end(self)
            }
        }
    )+};
}

keyed!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unwritable> {
        let text = to_string(key)
            .filter(|k| k.starts_with('"'))
            .ok_or(Unwritable)?;
        let out = self.next().0;
        out.push_str(&text);
        out.push(':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        value.serialize(Writer(self.out))
    }

    fn end(self) -> Result<(), Unwritable> {
        Compound::end(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::to_string;

    #[derive(Serialize)]
    enum Shape {
        Dot,
        Named(String),
        Pair(u8, i64),
        Rect { wide: u32, tall: Option<u16> },
    }

    #[derive(Serialize)]
    struct Sample {
        text: String,
        flag: bool,
        none: Option<String>,
        list: Vec<Shape>,
        unit: (),
        letter: char,
        bytes: serde_bytes_like::Bytes,
        keyed: BTreeMap<String, i32>,
    }

    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);

        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn the_text_is_what_serde_json_writes() {
        let escapes: String = (0u8..0x20).map(char::from).collect();
        let sample = Sample {
            text: format!("Nguyễn \"Văn\" \\ A/B {escapes} \u{7f} ₫ 😀"),
            flag: true,
            none: None,
            list: vec![
                Shape::Dot,
                Shape::Named("n".into()),
                Shape::Pair(255, i64::MIN),
                Shape::Rect {
                    wide: u32::MAX,
                    tall: Some(7),
                },
                Shape::Rect {
                    wide: 0,
                    tall: None,
                },
            ],
            unit: (),
            letter: '"',
            bytes: serde_bytes_like::Bytes(vec![0, 1, 255]),
            keyed: BTreeMap::from([("a\"b".to_owned(), -1), ("c".to_owned(), 2)]),
        };
        assert_eq!(
            to_string(&sample),
            Some(serde_json::to_string(&sample).unwrap())
        );
        assert_eq!(
            to_string(&[u64::MAX]).as_deref(),
            Some("[18446744073709551615]")
        );
    }

    #[test]
    fn floats_and_keys_that_are_not_strings_are_refused() {
        assert_eq!(to_string(&1.5_f64), None);
        assert_eq!(to_string(&vec![0.0_f32]), None);
        assert_eq!(to_string(&BTreeMap::from([(1, 2)])), None);
    }
}
