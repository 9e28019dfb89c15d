//! Writes the JSON the page sends (the payment request) and keeps (the attempt in session
//! storage): one small writer per type, over a `String`.
//!
//! The payment request's text is exactly what `serde_json` writes for the contract's
//! `Serialize` (the tests hold it to that), so the functions read it as they read any client's;
//! the attempt's text is the one the page has always stored (held by a known-answer test), so a
//! tab's attempt survives an update of the page. Strings are escaped as RFC 8259 requires and
//! serde_json does: `"`, `\` and the control characters, with the short forms `\b \f \n \r \t`
//! where they exist. No serde serializer and no float formatting is compiled into the
//! WebAssembly.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use hocphi_api::{BankTransfer, CreatePaymentRequest, QrPicture, VoluntaryChoice};
use hocphi_domain::{GatewayKind, IdempotencyKey, InvoiceId, Money, PaymentRef};

use crate::checkout::{Attempt, Chosen, Opened, Transfer};

/// A value written as JSON.
pub trait Write {
    /// Appends `self` as JSON to `out`.
    fn write(&self, out: &mut String);
}

/// `value` as JSON text.
pub fn to_json<T: Write + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write(&mut out);
    out
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

/// An object being written, member by member, in the order serde writes a struct's fields.
struct Object<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Object<'o> {
    fn start(out: &'o mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    fn member(mut self, key: &str, value: &dyn Write) -> Self {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        string(self.out, key);
        self.out.push(':');
        value.write(self.out);
        self
    }

    /// A member serde skips when `skip` (`skip_serializing_if`).
    fn member_unless(self, skip: bool, key: &str, value: &dyn Write) -> Self {
        if skip { self } else { self.member(key, value) }
    }

    fn end(self) {
        self.out.push('}');
    }
}

impl Write for str {
    fn write(&self, out: &mut String) {
        string(out, self);
    }
}

impl Write for String {
    fn write(&self, out: &mut String) {
        string(out, self);
    }
}

impl Write for u16 {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl<T: Write> Write for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(value) => value.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Write> Write for [T] {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write(out);
        }
        out.push(']');
    }
}

impl<T: Write> Write for Vec<T> {
    fn write(&self, out: &mut String) {
        self.as_slice().write(out);
    }
}

/// Types serde writes as a string of their own (`into = "String"`, or a wire name).
macro_rules! as_text {
    ($($ty:ty => $text:expr),* $(,)?) => {$(
        impl Write for $ty {
            fn write(&self, out: &mut String) {
                let text: fn(&Self) -> &str = $text;
                string(out, text(self));
            }
        }
    )*};
}

as_text! {
    InvoiceId => InvoiceId::as_str,
    PaymentRef => PaymentRef::as_str,
    IdempotencyKey => IdempotencyKey::as_str,
    GatewayKind => |gateway| gateway.as_str(),
}

impl Write for Money {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "\"{}\"", self.vnd());
    }
}

/// An instant as whole milliseconds since 1970 (how an attempt keeps its expiry).
struct Millis(DateTime<Utc>);

impl Write for Millis {
    fn write(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0.timestamp_millis());
    }
}

impl Write for CreatePaymentRequest {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("student", &self.student)
            .member("code", &self.code)
            .member("invoice_ids", &self.invoice_ids)
            .member("gateway", &self.gateway)
            .member("locale", &self.locale)
            .member_unless(self.voluntary.is_empty(), "voluntary", &self.voluntary)
            .end();
    }
}

impl Write for VoluntaryChoice {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("invoice_id", &self.invoice_id)
            .member("line", &self.line)
            .end();
    }
}

impl Write for BankTransfer {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("qr_code", &self.qr_code)
            .member("bank_bin", &self.bank_bin)
            .member_unless(self.bank_name.is_none(), "bank_name", &self.bank_name)
            .member("account_number", &self.account_number)
            .member("account_name", &self.account_name)
            .member("amount", &self.amount)
            .member("memo", &self.memo)
            .member_unless(self.qr.is_none(), "qr", &self.qr)
            .end();
    }
}

impl Write for QrPicture {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("side", &self.side)
            .member("path", &self.path)
            .end();
    }
}

impl Write for Attempt {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("student", &self.student)
            .member("invoices", &self.invoices)
            .member_unless(self.voluntary.is_empty(), "voluntary", &self.voluntary)
            .member("gateway", &self.gateway)
            .member("key", &self.key)
            .member("opened", &self.opened)
            .end();
    }
}

impl Write for Chosen {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("invoice", &self.invoice)
            .member("line", &self.line)
            .end();
    }
}

impl Write for Opened {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("payment_ref", &self.payment_ref)
            .member("expires_at", &Millis(self.expires_at))
            .member_unless(self.transfer.is_none(), "transfer", &self.transfer)
            .end();
    }
}

impl Write for Transfer {
    fn write(&self, out: &mut String) {
        Object::start(out)
            .member("details", &self.details)
            .member("checkout_url", &self.checkout_url)
            .end();
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;
    use crate::fixtures::{attempt, bank_transfer};

    fn text_with_every_escape() -> String {
        let controls: String = (0u8..0x20).map(char::from).collect();
        format!("Nguyễn \"Văn\" \\ A/B {controls} \u{7f} ₫ 😀")
    }

    fn same_as_serde_json<T: Write + Serialize>(value: &T) {
        assert_eq!(to_json(value), serde_json::to_string(value).unwrap());
    }

    fn transfer() -> BankTransfer {
        BankTransfer {
            account_name: text_with_every_escape(),
            ..bank_transfer()
        }
    }

    #[test]
    fn the_payment_request_is_what_serde_json_writes_and_what_the_functions_read() {
        let request = CreatePaymentRequest {
            student: text_with_every_escape(),
            code: "ABCD2345".into(),
            invoice_ids: vec!["NQ-1".into(), "NQ-2".into()],
            gateway: "payos".into(),
            locale: Some("vi".into()),
            voluntary: vec![VoluntaryChoice {
                invoice_id: "NQ-1".into(),
                line: u16::MAX,
            }],
        };
        let plain = CreatePaymentRequest {
            invoice_ids: vec![],
            locale: None,
            voluntary: vec![],
            ..request.clone()
        };
        for sent in [&request, &plain] {
            same_as_serde_json(sent);
            let read: CreatePaymentRequest = serde_json::from_str(&to_json(sent)).unwrap();
            assert_eq!(&read, sent);
        }
    }

    #[test]
    fn a_bank_transfer_is_what_serde_json_writes_with_or_without_its_optional_parts() {
        same_as_serde_json(&transfer());
        same_as_serde_json(&BankTransfer {
            bank_name: None,
            qr: None,
            ..transfer()
        });
    }

    #[test]
    fn an_attempt_is_stored_as_the_page_has_always_stored_it() {
        let stored = concat!(
            r#"{"student":"HS001234","invoices":["NQ-1"],"voluntary":[{"invoice":"NQ-1","line":2}],"#,
            r#""gateway":"payos","key":"0b6f3a52-8d1c-4c47-9a35-2f7a0c5e9d11","#,
            r#""opened":{"payment_ref":"HP251005070000ABCDEFGH","expires_at":1759648680123,"#,
            r#""transfer":{"details":{"qr_code":"00020101021238570010A000000727","#,
            r#""bank_bin":"970436","bank_name":"Vietcombank","account_number":"0071000123456","#,
            r#""account_name":"TRUONG THCS NGO QUYEN","amount":"1409520","#,
            r#""memo":"HP251005070000ABCD","qr":{"side":29,"path":"M4 4h7v1h-7zM12 4h1v1h-1z"}},"#,
            r#""checkout_url":"https://pay.payos.vn/web/abc"}}}"#,
        );
        assert_eq!(to_json(&attempt()), stored);
        let fresh = Attempt {
            voluntary: vec![],
            gateway: GatewayKind::Vnpay,
            opened: None,
            ..attempt()
        };
        assert_eq!(
            to_json(&fresh),
            r#"{"student":"HS001234","invoices":["NQ-1"],"gateway":"vnpay","key":"0b6f3a52-8d1c-4c47-9a35-2f7a0c5e9d11","opened":null}"#
        );
    }
}
