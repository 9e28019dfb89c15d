//! Reads the JSON the page receives (the functions' answers, the attempt it keeps in session
//! storage) into the contract's types: one small reader per type over a parsed [`Node`], the
//! value the browser's `JSON.parse` returned on the page, a `serde_json::Value` off it.
//!
//! Each reader of a contract type accepts exactly what the type's serde `Deserialize` accepts
//! from the same JSON (the tests hold every reader to it, field by field): a required field may
//! not be absent or `null`, an `Option` field may be either, a defaulted field may be absent but
//! not `null`, and members the contract does not name are ignored. The stored attempt follows the
//! same rules and reads what [`crate::write`] writes and what older pages stored. A value the
//! domain refuses (a malformed id, a fractional amount) fails the whole answer. The answer is `None` without a reason: the page
//! only asks whether an answer reads as the contract says, so no serde visitors and no error
//! text are compiled into the WebAssembly.

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_api::wire_time::{parse_date, parse_utc};
use hocphi_api::{
    BankTransfer, CreatePaymentResponse, ErrorBody, ErrorCode, ErrorResponse, InvoiceView,
    InvoicesResponse, ItemView, PaymentStatusResponse, QrPicture, ReceiptDocument, ReceiptLink,
    StudentView,
};
use hocphi_domain::{
    GatewayKind, GatewayTxnNo, IdempotencyKey, InvoiceId, ItemCode, Label, LineKind, MaskedName,
    Money, PaymentRef, PaymentStatus, Pricing, ReceiptId, ReceiptNumber, ReceiptToken, SchoolId,
    SchoolYear, Symbol, Unit,
};

use crate::checkout::{Attempt, Chosen, Opened, Transfer};

/// A parsed JSON value.
pub trait Node: Sized {
    /// The member `key` of an object (`null` included); `None` when absent or not an object.
    fn get(&self, key: &str) -> Option<Self>;
    /// A string's text.
    fn text(&self) -> Option<String>;
    /// A whole number within ±(2^53 − 1).
    fn integer(&self) -> Option<i64>;
    /// An array's items.
    fn items(&self) -> Option<Vec<Self>>;
    /// True for `null`.
    fn is_null(&self) -> bool;
}

/// A type read from JSON as its serde `Deserialize` reads it.
pub trait Read: Sized {
    /// `node` as a `Self`, if it reads as one.
    fn read<N: Node>(node: &N) -> Option<Self>;
}

/// Reads a JSON text off the page, with serde_json as the functions do. The page carries no JSON
/// parser: it reads what the browser's `JSON.parse` made of a text that never left JavaScript
/// ([`crate::browser::parse_json`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn from_json<T: Read>(json: &str) -> Option<T> {
    T::read(&serde_json::from_str::<serde_json::Value>(json).ok()?)
}

/// What one text read as, kept so that the same text asked again is answered without reading it
/// again (a screen's mount asks for the stored attempt several times). Keyed on the whole text:
/// any other text is read anew and replaces what was kept.
#[derive(Debug)]
pub struct LastRead<K, T> {
    last: Option<(K, Option<T>)>,
}

impl<K: PartialEq, T: Clone> LastRead<K, T> {
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// What `text` reads as: what was kept if `text` is the one read last, else `read(&text)`.
    pub fn read(&mut self, text: K, read: impl FnOnce(&K) -> Option<T>) -> Option<T> {
        if let Some((seen, value)) = &self.last
            && *seen == text
        {
            return value.clone();
        }
        let value = read(&text);
        self.last = Some((text, value.clone()));
        value
    }
}

impl<K: PartialEq, T: Clone> Default for LastRead<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// A required member.
fn field<T: Read, N: Node>(node: &N, key: &str) -> Option<T> {
    T::read(&node.get(key)?)
}

/// A `#[serde(default)]` member (or an `Option`, which serde defaults too): absent is `default`,
/// anything present must read.
fn or_else<T: Read, N: Node>(node: &N, key: &str, default: impl FnOnce() -> T) -> Option<T> {
    match node.get(key) {
        Some(value) => T::read(&value),
        None => Some(default()),
    }
}

/// A `#[serde(default)]` member whose default is `T::default()`, or an `Option` member.
fn or_default<T: Read + Default, N: Node>(node: &N, key: &str) -> Option<T> {
    or_else(node, key, T::default)
}

impl Read for String {
    fn read<N: Node>(node: &N) -> Option<Self> {
        node.text()
    }
}

impl Read for u16 {
    fn read<N: Node>(node: &N) -> Option<Self> {
        Self::try_from(node.integer()?).ok()
    }
}

impl Read for u32 {
    fn read<N: Node>(node: &N) -> Option<Self> {
        Self::try_from(node.integer()?).ok()
    }
}

impl<T: Read> Read for Vec<T> {
    fn read<N: Node>(node: &N) -> Option<Self> {
        node.items()?.iter().map(T::read).collect()
    }
}

impl<T: Read> Read for Option<T> {
    fn read<N: Node>(node: &N) -> Option<Self> {
        if node.is_null() {
            Some(None)
        } else {
            T::read(node).map(Some)
        }
    }
}

/// Types serde reads from a string: through their own parser (`try_from = "String"`), or by
/// exact wire name (`LineKind` and `Unit` by their `ALL` and `as_str`: their own parsers also take
/// the Vietnamese names accountants type in spreadsheets, which would link Unicode's case
/// tables into the page).
macro_rules! parsed {
    ($($ty:ty => $parse:expr),* $(,)?) => {$(
        impl Read for $ty {
            fn read<N: Node>(node: &N) -> Option<Self> {
                let parse: fn(&str) -> Option<Self> = $parse;
                parse(&node.text()?)
            }
        }
    )*};
}

parsed! {
    InvoiceId => |raw| InvoiceId::parse(raw).ok(),
    PaymentRef => |raw| PaymentRef::parse(raw).ok(),
    ReceiptId => |raw| ReceiptId::parse(raw).ok(),
    ReceiptToken => |raw| ReceiptToken::parse(raw).ok(),
    SchoolId => |raw| SchoolId::parse(raw).ok(),
    GatewayTxnNo => |raw| GatewayTxnNo::parse(raw).ok(),
    IdempotencyKey => |raw| IdempotencyKey::parse(raw).ok(),
    ItemCode => |raw| ItemCode::parse(raw).ok(),
    Symbol => |raw| Symbol::parse(raw).ok(),
    Label => |raw| Label::parse(raw).ok(),
    MaskedName => |raw| MaskedName::parse(raw).ok(),
    SchoolYear => |raw| SchoolYear::parse(raw).ok(),
    Money => |raw| Money::parse(raw).ok(),
    GatewayKind => GatewayKind::parse,
    PaymentStatus => PaymentStatus::parse,
    LineKind => |raw| LineKind::ALL.into_iter().find(|k| k.as_str() == raw),
    Unit => |raw| Unit::ALL.into_iter().find(|u| u.as_str() == raw),
    ErrorCode => |raw| Some(ErrorCode::parse(raw)),
    DateTime<Utc> => parse_utc,
    NaiveDate => parse_date,
}

impl Read for InvoicesResponse {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            student: field(n, "student")?,
            invoices: field(n, "invoices")?,
            gateways: or_default(n, "gateways")?,
        })
    }
}

impl Read for StudentView {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            code: field(n, "code")?,
            name: field(n, "name")?,
            school: field(n, "school")?,
            class_name: field(n, "class_name")?,
        })
    }
}

impl Read for InvoiceView {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            id: field(n, "id")?,
            school_year: field(n, "school_year")?,
            term: field(n, "term")?,
            items: field(n, "items")?,
            total: field(n, "total")?,
            due_date: field(n, "due_date")?,
        })
    }
}

impl Read for ItemView {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            description: field(n, "description")?,
            amount: field(n, "amount")?,
            kind: or_default(n, "kind")?,
            pricing: or_default(n, "pricing")?,
            beneficiary: or_default(n, "beneficiary")?,
        })
    }
}

impl Read for Pricing {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            quantity: field(n, "quantity")?,
            unit: field(n, "unit")?,
            unit_price: field(n, "unit_price")?,
        })
    }
}

impl Read for CreatePaymentResponse {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            payment_ref: field(n, "payment_ref")?,
            amount: field(n, "amount")?,
            status: field(n, "status")?,
            redirect_url: field(n, "redirect_url")?,
            expires_at: field(n, "expires_at")?,
            transfer: or_default(n, "transfer")?,
        })
    }
}

impl Read for BankTransfer {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            qr_code: field(n, "qr_code")?,
            bank_bin: field(n, "bank_bin")?,
            bank_name: or_default(n, "bank_name")?,
            account_number: field(n, "account_number")?,
            account_name: field(n, "account_name")?,
            amount: field(n, "amount")?,
            memo: field(n, "memo")?,
            qr: or_default(n, "qr")?,
        })
    }
}

impl Read for QrPicture {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            side: field(n, "side")?,
            path: field(n, "path")?,
        })
    }
}

impl Read for PaymentStatusResponse {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            payment_ref: field(n, "payment_ref")?,
            status: field(n, "status")?,
            amount: field(n, "amount")?,
            gateway: field(n, "gateway")?,
            invoices: field(n, "invoices")?,
            expires_at: field(n, "expires_at")?,
            failure_code: or_default(n, "failure_code")?,
            receipt: or_default(n, "receipt")?,
            mismatched_amounts: or_default(n, "mismatched_amounts")?,
        })
    }
}

impl Read for ReceiptLink {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            id: field(n, "id")?,
            number: field(n, "number")?,
            token: field(n, "token")?,
        })
    }
}

impl Read for ReceiptDocument {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            document: field(n, "document")?,
        })
    }
}

impl Read for ReceiptNumber {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            template: field(n, "template")?,
            series: field(n, "series")?,
            school_year: field(n, "school_year")?,
            sequence: field(n, "sequence")?,
        })
    }
}

impl Read for ErrorResponse {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            error: field(n, "error")?,
        })
    }
}

impl Read for ErrorBody {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            code: field(n, "code")?,
            message: field(n, "message")?,
        })
    }
}

impl Read for Attempt {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            student: field(n, "student")?,
            invoices: field(n, "invoices")?,
            voluntary: or_default(n, "voluntary")?,
            gateway: or_else(n, "gateway", || GatewayKind::Vnpay)?,
            key: field(n, "key")?,
            opened: or_default(n, "opened")?,
        })
    }
}

impl Read for Chosen {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            invoice: field(n, "invoice")?,
            line: field(n, "line")?,
        })
    }
}

impl Read for Opened {
    fn read<N: Node>(n: &N) -> Option<Self> {
        let millis = n.get("expires_at")?.integer()?;
        Some(Self {
            payment_ref: field(n, "payment_ref")?,
            expires_at: DateTime::from_timestamp_millis(millis)?,
            transfer: or_default(n, "transfer")?,
        })
    }
}

impl Read for Transfer {
    fn read<N: Node>(n: &N) -> Option<Self> {
        Some(Self {
            details: field(n, "details")?,
            checkout_url: field(n, "checkout_url")?,
        })
    }
}

/// The browser's parsed value.
impl Node for wasm_bindgen::JsValue {
    fn get(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &Self::from_str(key))
            .ok()
            .filter(|value| !value.is_undefined())
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn integer(&self) -> Option<i64> {
        let number = self.as_f64()?;
        js_sys::Number::is_safe_integer(self).then_some(number as i64)
    }

    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self)
            .then(|| wasm_bindgen::JsCast::unchecked_ref::<js_sys::Array>(self).to_vec())
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }
}

/// serde_json's parsed value, for the functions' own answers in the tests.
#[cfg(not(target_arch = "wasm32"))]
impl Node for serde_json::Value {
    fn get(&self, key: &str) -> Option<Self> {
        self.as_object()?.get(key).cloned()
    }

    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    fn integer(&self) -> Option<i64> {
        const SAFE: i64 = (1 << 53) - 1;
        self.as_i64().filter(|n| (-SAFE..=SAFE).contains(n))
    }

    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use chrono::TimeZone;
    use hocphi_api::ReceiptResponse;
    use hocphi_domain::{
        GatewayKind, InvoiceId, ItemCode, Label, LineKind, MaskedName, Money, PaymentRef,
        PaymentStatus, Pricing, ReceiptId, ReceiptLine, ReceiptToken, SchoolId, SchoolYear, Symbol,
        Unit,
    };
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::*;
    use crate::fixtures::{attempt, bank_transfer};

    fn money(vnd: u64) -> Money {
        Money::from_vnd(vnd).unwrap()
    }

    fn label(text: &str) -> Label {
        Label::parse(text).unwrap()
    }

    fn qr() -> QrPicture {
        QrPicture {
            side: 29,
            path: "M4 4h7v1h-7zM12 4h1v1h-1z".into(),
        }
    }

    fn invoices() -> InvoicesResponse {
        InvoicesResponse {
            student: StudentView {
                code: "HS001234".into(),
                name: "N. V. An".into(),
                school: "THCS Ngô Quyền".into(),
                class_name: "6A1".into(),
            },
            invoices: vec![InvoiceView {
                id: InvoiceId::parse("NQ-2025-HK1-0001").unwrap(),
                school_year: "2025-2026".into(),
                term: "Học kỳ I".into(),
                items: vec![
                    ItemView {
                        description: "Tiền ăn bán trú".into(),
                        amount: money(525_000),
                        kind: LineKind::Service,
                        pricing: Some(Pricing {
                            quantity: 21,
                            unit: Unit::Day,
                            unit_price: money(25_000),
                        }),
                        beneficiary: None,
                    },
                    ItemView {
                        description: "Bảo hiểm y tế".into(),
                        amount: money(884_520),
                        kind: LineKind::OnBehalf,
                        pricing: None,
                        beneficiary: Some("BHXH tỉnh Gia Lai".into()),
                    },
                    ItemView {
                        description: "Học phí".into(),
                        amount: money(1_000_000),
                        kind: LineKind::Tuition,
                        pricing: None,
                        beneficiary: None,
                    },
                ],
                total: money(1_409_520),
                due_date: NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
            }],
            gateways: vec![GatewayKind::Payos, GatewayKind::Vnpay],
        }
    }

    fn created(transfer: Option<BankTransfer>) -> CreatePaymentResponse {
        CreatePaymentResponse {
            payment_ref: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            amount: money(1_409_520),
            status: PaymentStatus::Pending,
            redirect_url: "https://pay.payos.vn/web/abc".into(),
            expires_at: Utc.with_ymd_and_hms(2025, 10, 5, 7, 18, 0).unwrap(),
            transfer,
        }
    }

    fn status(settled: bool) -> PaymentStatusResponse {
        PaymentStatusResponse {
            payment_ref: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            status: if settled {
                PaymentStatus::Mismatched
            } else {
                PaymentStatus::Pending
            },
            amount: money(1_409_520),
            gateway: GatewayKind::Payos,
            invoices: vec![InvoiceId::parse("NQ-2025-HK1-0001").unwrap()],
            expires_at: Utc.timestamp_millis_opt(1_759_648_680_123).unwrap(),
            failure_code: settled.then(|| "24".into()),
            receipt: settled.then(|| ReceiptLink {
                id: ReceiptId::parse("RC0001").unwrap(),
                number: "HP-25E-0000042".into(),
                token: ReceiptToken::parse("0123456789abcdef0123456789abcdef").unwrap(),
            }),
            mismatched_amounts: if settled { vec![money(1_000)] } else { vec![] },
        }
    }

    fn receipt(full: bool) -> ReceiptResponse {
        let line = ReceiptLine {
            invoice: InvoiceId::parse("NQ-2025-HK1-0001").unwrap(),
            term: label("Học kỳ I"),
            description: label("Tiền ăn bán trú"),
            amount: money(525_000),
            kind: LineKind::Service,
            item: full.then(|| ItemCode::parse("AN-BT").unwrap()),
            pricing: full.then(|| Pricing {
                quantity: 21,
                unit: Unit::Day,
                unit_price: money(25_000),
            }),
            beneficiary: full.then(|| label("Nhà trường")),
        };
        ReceiptResponse {
            id: ReceiptId::parse("RC0001").unwrap(),
            number: ReceiptNumber {
                template: Symbol::parse("01BLP0-001").unwrap(),
                series: Symbol::parse("HP-25E").unwrap(),
                school_year: SchoolYear::starting(2025).unwrap(),
                sequence: 42,
            },
            issued_at: Utc.with_ymd_and_hms(2025, 10, 5, 7, 3, 0).unwrap(),
            school: SchoolId::parse("THCS-NQ").unwrap(),
            school_name: label("THCS Ngô Quyền"),
            student: "••••••1234".into(),
            student_name: MaskedName::parse("Nguyễn V. A.").unwrap(),
            class_name: label("6A1"),
            lines: vec![line],
            total: money(525_000),
            amount_in_words: "Năm trăm hai mươi lăm nghìn đồng".into(),
            gateway: GatewayKind::Vnpay,
            gateway_txn: GatewayTxnNo::parse("14567890").unwrap(),
            payment: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            e_invoice: full.then(|| label("00000123")),
            qr: full.then(qr),
            document: r#"<h1 id="receipt-title">Biên lai thu tiền</h1>"#.into(),
        }
    }

    fn refusal(code: ErrorCode) -> ErrorResponse {
        ErrorResponse {
            error: ErrorBody {
                code,
                message: "Không tìm thấy khoản thu nào.".into(),
            },
        }
    }

    /// What a member is replaced by: every JSON type, and values each reader must refuse or
    /// take as serde does.
    fn replacements() -> Vec<Value> {
        vec![
            Value::Null,
            json!(true),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(9_007_199_254_740_993_u64),
            json!(""),
            json!("x"),
            json!("1500000"),
            json!("2025-10-05T07:18:00Z"),
            json!([]),
            json!({}),
        ]
    }

    /// Every value reachable from `value` changed once: each member removed or replaced, each
    /// item replaced.
    fn mutations(value: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    let mut removed = members.clone();
                    removed.remove(key);
                    out.push(Value::Object(removed));
                    let changed = replacements().into_iter().chain(mutations(member));
                    for replacement in changed {
                        let mut with = members.clone();
                        with.insert(key.clone(), replacement);
                        out.push(Value::Object(with));
                    }
                }
            }
            Value::Array(items) => {
                for (at, item) in items.iter().enumerate() {
                    for replacement in replacements().into_iter().chain(mutations(item)) {
                        let mut with = items.clone();
                        with[at] = replacement;
                        out.push(Value::Array(with));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// `T`'s reader agrees with its serde `Deserialize` on `value` as the functions write it,
    /// and on every mutation of it: both refuse it, or both read the same value.
    fn agrees_with_serde<T>(value: &T) -> usize
    where
        T: Read + Serialize + DeserializeOwned + PartialEq + Debug,
    {
        let written = serde_json::to_value(value).unwrap();
        assert_eq!(T::read(&written).as_ref(), Some(value), "{written}");
        agrees_with_serde_on::<T>(&written)
    }

    /// `T`'s reader agrees with its serde `Deserialize` on every mutation of `written`.
    fn agrees_with_serde_on<T>(written: &Value) -> usize
    where
        T: Read + DeserializeOwned + PartialEq + Debug,
    {
        let mutated = mutations(written);
        for json in &mutated {
            let by_serde = serde_json::from_value::<T>(json.clone()).ok();
            assert_eq!(T::read(json), by_serde, "{json}");
        }
        mutated.len()
    }

    #[test]
    fn every_answer_reads_back_as_the_functions_wrote_it_and_refuses_what_serde_refuses() {
        let mut checked = 0;
        checked += agrees_with_serde(&invoices());
        checked += agrees_with_serde(&InvoicesResponse {
            invoices: vec![],
            gateways: vec![],
            ..invoices()
        });
        checked += agrees_with_serde(&created(Some(bank_transfer())));
        checked += agrees_with_serde(&created(Some(BankTransfer {
            bank_name: None,
            qr: None,
            ..bank_transfer()
        })));
        checked += agrees_with_serde(&created(None));
        checked += agrees_with_serde(&status(true));
        checked += agrees_with_serde(&status(false));
        checked += agrees_with_serde(&ReceiptDocument {
            document: receipt(true).document,
        });
        for full in [true, false] {
            let answer = serde_json::to_value(receipt(full)).unwrap();
            assert_eq!(
                ReceiptDocument::read(&answer).map(|d| d.document),
                Some(receipt(full).document)
            );
            checked += agrees_with_serde_on::<ReceiptDocument>(&answer);
        }
        checked += agrees_with_serde(&refusal(ErrorCode::NotFound));
        checked += agrees_with_serde(&refusal(ErrorCode::Unknown));
        assert!(checked > 2_000, "{checked} mutations");
    }

    #[test]
    fn every_wire_name_reads_as_its_variant_and_nothing_else_does() {
        for kind in GatewayKind::ALL {
            agrees_with_serde(&kind);
        }
        for status in PaymentStatus::ALL {
            agrees_with_serde(&status);
        }
        for kind in LineKind::ALL {
            agrees_with_serde(&kind);
        }
        for unit in Unit::ALL {
            agrees_with_serde(&unit);
        }
        for code in ErrorCode::ALL {
            agrees_with_serde(&code);
        }
        let spreadsheet_names = [
            json!("học phí"),
            json!("Tuition"),
            json!("ngày"),
            json!("VNPAY"),
        ];
        for name in spreadsheet_names {
            assert_eq!(LineKind::read(&name), None);
            assert_eq!(Unit::read(&name), None);
            assert_eq!(GatewayKind::read(&name), None);
        }
        assert_eq!(
            ErrorCode::read(&json!("payment_too_early")),
            Some(ErrorCode::Unknown)
        );
    }

    #[test]
    fn instants_with_a_fraction_or_an_offset_read_as_chrono_reads_them() {
        for text in [
            "2025-10-05T07:18:00Z",
            "2025-10-05T07:18:00.123Z",
            "2025-10-05T14:18:00+07:00",
            "2025-10-05T14:18:00.5+07:00",
        ] {
            let by_chrono: DateTime<Utc> = serde_json::from_value(json!(text)).unwrap();
            assert_eq!(
                DateTime::<Utc>::read(&json!(text)),
                Some(by_chrono),
                "{text}"
            );
        }
        for text in [
            "2025-10-05",
            "2025-10-05T07:18Z",
            "2025-02-30T07:18:00Z",
            "x",
        ] {
            assert_eq!(DateTime::<Utc>::read(&json!(text)), None, "{text}");
        }
    }

    #[test]
    fn a_stored_attempt_reads_back_as_the_page_wrote_it() {
        let opened = attempt();
        let fresh = Attempt {
            voluntary: vec![],
            opened: None,
            ..attempt()
        };
        for stored in [opened, fresh] {
            let text = crate::write::to_json(&stored);
            assert_eq!(from_json::<Attempt>(&text), Some(stored), "{text}");
        }
    }

    #[test]
    fn an_attempt_stored_by_an_older_page_was_vnpays_and_chose_no_voluntary_line() {
        let older = r#"{"student":"HS001234","invoices":["NQ-1"],
            "key":"0b6f3a52-8d1c-4c47-9a35-2f7a0c5e9d11","opened":null}"#;
        let read = from_json::<Attempt>(older).unwrap();
        assert_eq!(read.gateway, GatewayKind::Vnpay);
        assert_eq!(read.voluntary, []);
        assert_eq!(read.opened, None);
    }

    #[test]
    fn the_same_text_is_read_once_and_any_other_text_anew() {
        let mut last = LastRead::<String, usize>::new();
        let mut reads = Vec::new();
        let mut ask = |last: &mut LastRead<String, usize>, text: &str| {
            last.read(text.to_owned(), |t| {
                reads.push(t.clone());
                t.parse().ok()
            })
        };
        assert_eq!(ask(&mut last, "1"), Some(1));
        assert_eq!(ask(&mut last, "1"), Some(1));
        assert_eq!(ask(&mut last, "2"), Some(2));
        assert_eq!(ask(&mut last, "1"), Some(1));
        assert_eq!(ask(&mut last, "x"), None);
        assert_eq!(ask(&mut last, "x"), None);
        assert_eq!(reads, ["1", "2", "1", "x"]);
    }

    #[test]
    fn a_damaged_stored_attempt_is_not_read() {
        let stored = crate::write::to_json(&attempt());
        let cases = [
            ("empty", String::new()),
            ("not JSON", "{".into()),
            ("null", "null".into()),
            ("an array", "[]".into()),
            ("no student", stored.replace(r#""student":"HS001234","#, "")),
            ("no key", stored.replace(r#""key":"#, r#""kee":"#)),
            (
                "a key too short",
                stored.replace("0b6f3a52-8d1c-4c47-9a35-2f7a0c5e9d11", "0b6f"),
            ),
            (
                "a gateway this page does not know",
                stored.replace("payos", "zalopay"),
            ),
            (
                "a negative line",
                stored.replace(r#""line":2"#, r#""line":-2"#),
            ),
            (
                "an expiry as text",
                stored.replace("1759648680123", r#""soon""#),
            ),
            (
                "a fractional expiry",
                stored.replace("1759648680123", "1759648680123.5"),
            ),
            (
                "an amount as a number",
                stored.replace(r#""1409520""#, "1409520"),
            ),
        ];
        for (what, text) in cases {
            assert_ne!(text, stored, "{what}: the case changes nothing");
            assert_eq!(from_json::<Attempt>(&text), None, "{what}: {text}");
        }
    }
}
