//! What hocphi's fuzz targets share: the gateways and partners of the local configuration
//! (`hocphi_runtime::Config::local`, whose keys are public constants), the signatures each
//! channel's "signed" target puts on a fuzzed message so the parser behind the MAC is reached, a
//! pending payment for status answers, and the HTTP mapping over an in-memory SQLite store.
//!
//! Invariants: nothing here writes outside a temporary directory; every signature is computed as
//! the channel's public documentation describes it, and [`assert_signing_agrees`] proves at start
//! that each one is accepted (a signed target whose signature were wrong would silently test only
//! the refusal).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use hocphi_app::{App, Transport, TransportError};
use hocphi_domain::{
    GatewayKind, InvoiceId, Label, MaskedName, Money, PayeeId, Payment, PaymentRef, PaymentStatus,
    SchoolId, SchoolYear, Store, StudentCode,
};
use hocphi_fixtures::ManualClock;
use hocphi_gateways::partner::Partners;
use hocphi_gateways::{ApiRequest, Gateway, Secret};
use hocphi_runtime::Config;
use hocphi_runtime::config::{
    LOCAL_BANK_KEY, LOCAL_DVCQG_HASH_KEY, LOCAL_HASH_SECRET, LOCAL_MOMO_ACCESS_KEY,
    LOCAL_MOMO_SECRET_KEY, LOCAL_PAYOS_CHECKSUM_KEY_NQ, LOCAL_PORTAL_KEY,
};
use hocphi_store::SqliteStore;
use serde_json::{Map, Value};
use sha2::{Sha256, Sha512};

pub use hocphi_runtime::config::{
    LOCAL_BANK_PARTNER, LOCAL_DVCQG_PARTNER_CODE, LOCAL_MOMO_PARTNER, LOCAL_PAYOS_PAYEE_NQ,
    LOCAL_PORTAL_PARTNER, LOCAL_TMN_CODE,
};

/// The origin the local configuration is built for.
pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// The instant every target runs at: 2026-09-01 10:00 in Vietnam.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 3, 0, 0).unwrap()
}

/// The channels and partners of the local configuration, built once.
pub struct Channels {
    pub vnpay: Gateway,
    pub momo: Gateway,
    pub payos: Gateway,
    pub dvcqg: Gateway,
    pub partners: Partners,
}

/// The local configuration's channels and partners.
pub fn channels() -> &'static Channels {
    static CHANNELS: OnceLock<Channels> = OnceLock::new();
    CHANNELS.get_or_init(|| {
        let gateways = Config::local(ORIGIN).gateways;
        Channels {
            vnpay: gateways.vnpay.expect("local VNPay"),
            momo: gateways.momo.expect("local MoMo"),
            payos: gateways.payos.expect("local payOS"),
            dvcqg: gateways.dvcqg.expect("local portal channel"),
            partners: gateways.partners.expect("local partners"),
        }
    })
}

/// A pending payment of `gateway` with this reference (or a fixed one when it is not valid).
pub fn payment(reference: &str, gateway: GatewayKind) -> Payment {
    let created = now() - Duration::minutes(10);
    Payment {
        reference: PaymentRef::parse(reference)
            .unwrap_or_else(|_| PaymentRef::parse("HP2609011000ABCDEF").unwrap()),
        school: SchoolId::parse(LOCAL_PAYOS_PAYEE_NQ).unwrap(),
        student: StudentCode::parse("5201234567").unwrap(),
        student_name: MaskedName::mask("Nguyễn Văn An").unwrap(),
        class_name: Label::parse("7A2").unwrap(),
        school_year: SchoolYear::parse("2026-2027").unwrap(),
        invoices: vec![InvoiceId::parse("NQ-2627-HK1-0001").unwrap()],
        amount: Money::from_vnd(1_500_000).unwrap(),
        gateway,
        status: PaymentStatus::Pending,
        created_at: created,
        expires_at: created + Duration::minutes(15),
        gateway_txn: None,
        failure_code: None,
        payee: Some(PayeeId::parse(LOCAL_PAYOS_PAYEE_NQ).unwrap()),
        mismatches: Vec::new(),
        partner: None,
        voluntary: Vec::new(),
        version: 0,
    }
}

fn hmac_hex<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> String {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    hex(&mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PHP's `urlencode`, which VNPay signs: ASCII letters, digits and `-_.` bare, space as `+`,
/// everything else `%XX` (upper-case hex) byte by byte.
pub fn php_urlencode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(char::from(b)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A VNPay query signed with the local hash secret: the non-empty `vnp_*` pairs sorted by key,
/// each encoded as PHP's `urlencode`, under HMAC-SHA512 (VNPay's payment API 2.1.0 guide).
pub fn vnpay_signed_query(pairs: &[(String, String)]) -> String {
    let mut signed: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && k.starts_with("vnp_")
                && k != "vnp_SecureHash"
                && k != "vnp_SecureHashType"
        })
        .collect();
    signed.sort_by(|a, b| a.0.cmp(&b.0));
    let canonical = signed
        .iter()
        .map(|(k, v)| format!("{}={}", php_urlencode(k), php_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let hash = hmac_hex::<Hmac<Sha512>>(LOCAL_HASH_SECRET.as_bytes(), canonical.as_bytes());
    let mut query = pairs
        .iter()
        .filter(|(k, _)| k != "vnp_SecureHash")
        .map(|(k, v)| format!("{}={}", php_urlencode(k), php_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str("vnp_SecureHash=");
    query.push_str(&hash);
    query
}

/// A querydr answer with its `vnp_SecureHash` set: HMAC-SHA512 of the signed values joined by
/// `|` (VNPay's querydr documentation).
pub fn vnpay_signed_querydr(mut answer: hocphi_gateways::vnpay::wire::QueryDrResponse) -> Vec<u8> {
    let message = answer
        .signed_values()
        .iter()
        .map(|v| {
            v.as_ref()
                .map(|t| t.to_text().into_owned())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("|");
    answer.secure_hash = Some(hmac_hex::<Hmac<Sha512>>(
        LOCAL_HASH_SECRET.as_bytes(),
        message.as_bytes(),
    ));
    serde_json::to_vec(&answer).unwrap()
}

/// A MoMo IPN's fields; numbers may arrive as numbers or strings.
#[derive(Arbitrary, Debug)]
pub struct MomoIpn {
    pub partner_code: Option<String>,
    pub order_id: Option<String>,
    pub request_id: Option<String>,
    pub amount: Option<MomoNumber>,
    pub order_info: Option<String>,
    pub order_type: Option<String>,
    pub trans_id: Option<MomoNumber>,
    pub result_code: Option<MomoNumber>,
    pub message: Option<String>,
    pub pay_type: Option<String>,
    pub response_time: Option<MomoNumber>,
    pub extra_data: Option<String>,
    /// Use the local partner code rather than the fuzzed one.
    pub ours: bool,
}

/// A value MoMo signs as its decimal text.
#[derive(Arbitrary, Debug)]
pub enum MomoNumber {
    Int(u64),
    Str(String),
}

impl MomoNumber {
    fn text(&self) -> String {
        match self {
            Self::Int(n) => n.to_string(),
            Self::Str(s) => s.clone(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Self::Int(n) => Value::from(*n),
            Self::Str(s) => Value::from(s.as_str()),
        }
    }
}

/// The IPN's JSON body signed with the local MoMo keys: HMAC-SHA256 of
/// `accessKey=…&amount=…&…&transId=…` in MoMo's order (MoMo's AIO v2 documentation).
pub fn momo_signed_ipn(ipn: &MomoIpn) -> Vec<u8> {
    let partner = if ipn.ours {
        Some(LOCAL_MOMO_PARTNER.to_owned())
    } else {
        ipn.partner_code.clone()
    };
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: &Option<MomoNumber>| v.as_ref().map(MomoNumber::text).unwrap_or_default();
    let message = format!(
        "accessKey={LOCAL_MOMO_ACCESS_KEY}&amount={}&extraData={}&message={}&orderId={}&orderInfo={}&orderType={}&partnerCode={}&payType={}&requestId={}&responseTime={}&resultCode={}&transId={}",
        n(&ipn.amount),
        s(&ipn.extra_data),
        s(&ipn.message),
        s(&ipn.order_id),
        s(&ipn.order_info),
        s(&ipn.order_type),
        s(&partner),
        s(&ipn.pay_type),
        s(&ipn.request_id),
        n(&ipn.response_time),
        n(&ipn.result_code),
        n(&ipn.trans_id),
    );
    let mut body = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            body.insert(name.to_owned(), value);
        }
    };
    let text = |v: &Option<String>| v.as_deref().map(Value::from);
    let number = |v: &Option<MomoNumber>| v.as_ref().map(MomoNumber::json);
    put("partnerCode", text(&partner));
    put("orderId", text(&ipn.order_id));
    put("requestId", text(&ipn.request_id));
    put("amount", number(&ipn.amount));
    put("orderInfo", text(&ipn.order_info));
    put("orderType", text(&ipn.order_type));
    put("transId", number(&ipn.trans_id));
    put("resultCode", number(&ipn.result_code));
    put("message", text(&ipn.message));
    put("payType", text(&ipn.pay_type));
    put("responseTime", number(&ipn.response_time));
    put("extraData", text(&ipn.extra_data));
    put(
        "signature",
        Some(Value::from(hmac_hex::<Hmac<Sha256>>(
            LOCAL_MOMO_SECRET_KEY.as_bytes(),
            message.as_bytes(),
        ))),
    );
    Value::Object(body).to_string().into_bytes()
}

/// A scalar value of a payOS `data` object.
#[derive(Arbitrary, Debug)]
pub enum PayosValue {
    Str(String),
    Int(i64),
    Bool(bool),
    Null,
}

impl PayosValue {
    fn json(&self) -> Value {
        match self {
            Self::Str(s) => Value::from(s.as_str()),
            Self::Int(n) => Value::from(*n),
            Self::Bool(b) => Value::from(*b),
            Self::Null => Value::Null,
        }
    }
}

/// A payOS webhook's `data`: its usual fields, each possibly absent or of another type, and
/// extra fields.
#[derive(Arbitrary, Debug)]
pub struct PayosData {
    pub order_code: Option<PayosValue>,
    pub amount: Option<PayosValue>,
    pub description: Option<PayosValue>,
    pub account_number: Option<PayosValue>,
    pub reference: Option<PayosValue>,
    pub transaction_date_time: Option<PayosValue>,
    pub currency: Option<PayosValue>,
    pub payment_link_id: Option<PayosValue>,
    pub code: Option<PayosValue>,
    pub desc: Option<PayosValue>,
    pub extra: Vec<(String, PayosValue)>,
}

impl PayosData {
    /// The `data` object.
    pub fn object(&self) -> Map<String, Value> {
        let mut data = Map::new();
        for (name, value) in [
            ("orderCode", &self.order_code),
            ("amount", &self.amount),
            ("description", &self.description),
            ("accountNumber", &self.account_number),
            ("reference", &self.reference),
            ("transactionDateTime", &self.transaction_date_time),
            ("currency", &self.currency),
            ("paymentLinkId", &self.payment_link_id),
            ("code", &self.code),
            ("desc", &self.desc),
        ] {
            if let Some(value) = value {
                data.insert(name.to_owned(), value.json());
            }
        }
        for (name, value) in &self.extra {
            data.entry(name.clone()).or_insert_with(|| value.json());
        }
        data
    }
}

/// A webhook body whose `data` is signed with the local NQ payee's checksum key: HMAC-SHA256 of
/// the keys sorted, `key=value` joined by `&`, `null` as empty (payOS's webhook documentation).
pub fn payos_signed_webhook(data: Map<String, Value>) -> Vec<u8> {
    let mut keys: Vec<&String> = data.keys().collect();
    keys.sort();
    let message = keys
        .iter()
        .map(|k| {
            let value = match &data[*k] {
                Value::Null => String::new(),
                Value::String(s) if s == "null" || s == "undefined" => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&");
    let signature =
        hmac_hex::<Hmac<Sha256>>(LOCAL_PAYOS_CHECKSUM_KEY_NQ.as_bytes(), message.as_bytes());
    serde_json::json!({
        "code": "00",
        "desc": "success",
        "success": true,
        "data": Value::Object(data),
        "signature": signature,
    })
    .to_string()
    .into_bytes()
}

/// A value the portal platform signs as its text.
#[derive(Arbitrary, Debug)]
pub enum PortalText {
    Int(u64),
    Str(String),
}

/// The portal platform's Confirm, field by field.
#[derive(Arbitrary, Debug)]
pub struct PortalConfirm {
    pub loai_ban_tin: Option<String>,
    pub ma_loi: Option<String>,
    pub ma_doi_tac: Option<String>,
    pub ma_tham_chieu: Option<String>,
    pub so_tien: Option<PortalText>,
    pub ma_tien_te: Option<String>,
    pub ma_giao_dich: Option<String>,
    pub ma_ngan_hang: Option<String>,
    pub thoi_gian_gd: Option<String>,
    pub thong_tin_giao_dich: Option<String>,
    /// Use the local partner code rather than the fuzzed one.
    pub ours: bool,
}

/// The Confirm's JSON body with its `MaXacThuc` under the local channel key.
pub fn dvcqg_signed_confirm(c: PortalConfirm) -> Vec<u8> {
    use hocphi_gateways::dvcqg::wire;
    let mut confirm = wire::Confirm {
        loai_ban_tin: c.loai_ban_tin,
        ma_loi: c.ma_loi,
        ma_doi_tac: if c.ours {
            Some(LOCAL_DVCQG_PARTNER_CODE.to_owned())
        } else {
            c.ma_doi_tac
        },
        ma_tham_chieu: c.ma_tham_chieu,
        so_tien: c.so_tien.map(|t| match t {
            PortalText::Int(n) => wire::Text::Int(n),
            PortalText::Str(s) => wire::Text::Str(s),
        }),
        ma_tien_te: c.ma_tien_te,
        ma_giao_dich: c.ma_giao_dich,
        ma_ngan_hang: c.ma_ngan_hang,
        thoi_gian_gd: c.thoi_gian_gd,
        thong_tin_giao_dich: c.thong_tin_giao_dich,
        ma_xac_thuc: None,
    };
    let key = Secret::new(LOCAL_DVCQG_HASH_KEY).unwrap();
    let fields = wire::confirm_fields(&confirm);
    let fields: Vec<&str> = fields.iter().map(|f| f.as_ref()).collect();
    confirm.ma_xac_thuc = Some(wire::ma_xac_thuc(&fields, &key));
    serde_json::to_vec(&confirm).unwrap()
}

/// A portal-profile partner message: its signed fields by name, with `MaXacThuc` under the local
/// portal partner's key over the fields of `names` in their order.
pub fn portal_signed_message(
    names: &[&str],
    values: &[Option<String>],
    extra: &[(String, String)],
) -> Vec<u8> {
    let mut body = Map::new();
    let mut signed = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let value = match *name {
            "MaDoiTac" => Some(LOCAL_DVCQG_PARTNER_CODE.to_owned()),
            _ => values.get(i).cloned().flatten(),
        };
        signed.push(value.clone().unwrap_or_default());
        if let Some(value) = value {
            body.insert((*name).to_owned(), Value::from(value));
        }
    }
    for (name, value) in extra {
        body.entry(name.clone())
            .or_insert_with(|| Value::from(value.as_str()));
    }
    let key = Secret::new(LOCAL_PORTAL_KEY).unwrap();
    let signed: Vec<&str> = signed.iter().map(String::as_str).collect();
    body.insert(
        "MaXacThuc".to_owned(),
        Value::from(hocphi_gateways::dvcqg::wire::ma_xac_thuc(&signed, &key)),
    );
    Value::Object(body).to_string().into_bytes()
}

/// The generic-profile signature of a request of the local bank partner.
pub fn bank_signature(path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    hocphi_gateways::partner::generic::sign(LOCAL_BANK_KEY, "POST", path, timestamp, nonce, body)
}

/// Panics unless a message signed by each helper passes its channel's signature check: run once
/// by every signed target before its first input.
pub fn assert_signing_agrees() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        use hocphi_gateways::{RawCallback, VerifyError};
        let c = channels();
        let signed = |result: Result<_, VerifyError>, what: &str| {
            assert!(
                !matches!(
                    result,
                    Err(VerifyError::BadSignature
                        | VerifyError::MalformedSignature
                        | VerifyError::MissingSignature)
                ),
                "{what}: the harness's signature is refused: {result:?}"
            );
        };
        let query = vnpay_signed_query(&[
            ("vnp_TmnCode".into(), LOCAL_TMN_CODE.into()),
            ("vnp_TxnRef".into(), "HP2609011000ABCDEF".into()),
            ("vnp_OrderInfo".into(), "Hoc phi: 1/2 (HK1)".into()),
            ("vnp_Amount".into(), "150000000".into()),
        ]);
        signed(
            c.vnpay.verify(RawCallback {
                query: &query,
                body: b"",
                path_param: None,
            }),
            "VNPay IPN",
        );
        let body = momo_signed_ipn(&MomoIpn {
            partner_code: None,
            order_id: Some("HP2609011000ABCDEF".into()),
            request_id: Some("r".into()),
            amount: Some(MomoNumber::Int(1_500_000)),
            order_info: Some("Học phí".into()),
            order_type: Some("momo_wallet".into()),
            trans_id: Some(MomoNumber::Int(42)),
            result_code: Some(MomoNumber::Str("0".into())),
            message: None,
            pay_type: Some("qr".into()),
            response_time: Some(MomoNumber::Int(1)),
            extra_data: Some(String::new()),
            ours: true,
        });
        signed(c.momo.verify(body_callback(&body, None)), "MoMo IPN");
        let mut data = Map::new();
        data.insert("orderCode".into(), Value::from(123));
        data.insert("amount".into(), Value::from(1000));
        data.insert("description".into(), Value::from("HP 1"));
        data.insert("reference".into(), Value::Null);
        let body = payos_signed_webhook(data);
        signed(
            c.payos
                .verify(body_callback(&body, Some(LOCAL_PAYOS_PAYEE_NQ))),
            "payOS webhook",
        );
        let body = dvcqg_signed_confirm(PortalConfirm {
            loai_ban_tin: Some("Confirm".into()),
            ma_loi: Some("00".into()),
            ma_doi_tac: None,
            ma_tham_chieu: Some("HP2609011000ABCDEF".into()),
            so_tien: Some(PortalText::Int(1_500_000)),
            ma_tien_te: Some("VND".into()),
            ma_giao_dich: Some("1".into()),
            ma_ngan_hang: None,
            thoi_gian_gd: Some("20260901100000".into()),
            thong_tin_giao_dich: Some("x".into()),
            ours: true,
        });
        signed(c.dvcqg.verify(body_callback(&body, None)), "portal Confirm");
        let query = vnpay_querydr_seed();
        let answer = c.vnpay.query_response(
            &payment("HP2609011000ABCDEF", GatewayKind::Vnpay),
            &vnpay_signed_querydr(serde_json::from_slice(&query).unwrap()),
        );
        assert!(
            !matches!(
                answer,
                Err(hocphi_gateways::QueryError::BadSignature
                    | hocphi_gateways::QueryError::MalformedSignature)
            ),
            "VNPay querydr: the harness's signature is refused: {answer:?}"
        );
        partner_signing_agrees();
    });
}

fn body_callback<'a>(
    body: &'a [u8],
    path_param: Option<&'a str>,
) -> hocphi_gateways::RawCallback<'a> {
    hocphi_gateways::RawCallback {
        query: "",
        body,
        path_param,
    }
}

fn partner_signing_agrees() {
    use hocphi_domain::PartnerId;
    use hocphi_gateways::partner::{PartnerError, PartnerOp, PartnerRequest, path};
    let partners = &channels().partners;
    let bank = partners
        .get(&PartnerId::parse(LOCAL_BANK_PARTNER).unwrap())
        .unwrap();
    let path_text = path(&bank.id, PartnerOp::Bills);
    let body = br#"{"student_code":"5201234567"}"#;
    let ts = now().timestamp();
    let signature = bank_signature(&path_text, ts, "n1", body);
    let ts_text = ts.to_string();
    let headers = [
        ("x-hocphi-timestamp", ts_text.as_str()),
        ("x-hocphi-nonce", "n1"),
        ("x-hocphi-signature", signature.as_str()),
    ];
    let answer = bank.verify(
        &PartnerRequest {
            op: PartnerOp::Bills,
            path: &path_text,
            headers: &headers,
            body,
        },
        now(),
    );
    assert!(
        !matches!(answer, Err(PartnerError::BadSignature)),
        "bank partner: the harness's signature is refused: {answer:?}"
    );
    let portal = partners
        .get(&PartnerId::parse(LOCAL_PORTAL_PARTNER).unwrap())
        .unwrap();
    let names = hocphi_gateways::partner::dvcqg::GET_BILL_FIELDS;
    let body = portal_signed_message(
        &names,
        &[
            Some("GetBill".into()),
            Some("1.0.0".into()),
            None,
            Some("5201234567-26ABCDEFGH".into()),
            Some("20260901100000".into()),
        ],
        &[],
    );
    let path_text = path(&portal.id, PartnerOp::Bills);
    let answer = portal.verify(
        &PartnerRequest {
            op: PartnerOp::Bills,
            path: &path_text,
            headers: &[],
            body: &body,
        },
        now(),
    );
    assert!(
        !matches!(answer, Err(PartnerError::BadSignature)),
        "portal partner: the harness's signature is refused: {answer:?}"
    );
}

/// A querydr answer's JSON, unsigned: a capture of the local payment.
pub fn vnpay_querydr_seed() -> Vec<u8> {
    serde_json::json!({
        "vnp_ResponseId": "4f1a", "vnp_Command": "querydr", "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success", "vnp_TmnCode": LOCAL_TMN_CODE,
        "vnp_TxnRef": "HP2609011000ABCDEF", "vnp_Amount": "150000000",
        "vnp_OrderInfo": "Hoc phi", "vnp_BankCode": "NCB", "vnp_PayDate": "20260901100500",
        "vnp_TransactionNo": "14422574", "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00", "vnp_PromotionCode": "", "vnp_PromotionAmount": ""
    })
    .to_string()
    .into_bytes()
}

/// One tokio runtime (current thread, with its blocking pool) reused by every input.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A transport to gateways' APIs that never gets an answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unreachable;

impl Transport for Unreachable {
    async fn send(&self, _request: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        Err(TransportError("the fuzz harness answers nothing".into()))
    }
}

/// The app over a fresh in-memory SQLite store holding the fixtures' school (paid into the NQ
/// payee), student and one open invoice, with the local configuration's channels and partners.
pub async fn app() -> App<SqliteStore, ManualClock, Unreachable> {
    let store = SqliteStore::in_memory().unwrap();
    let mut school = hocphi_fixtures::school(hocphi_fixtures::SCHOOL, hocphi_fixtures::SCHOOL_NAME);
    school.payee = Some(PayeeId::parse(LOCAL_PAYOS_PAYEE_NQ).unwrap());
    store
        .upsert_school(
            &school,
            now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    store
        .upsert_student(
            &hocphi_fixtures::student(
                hocphi_fixtures::STUDENT,
                hocphi_fixtures::SCHOOL,
                hocphi_fixtures::STUDENT_NAME,
                hocphi_fixtures::LOOKUP_CODE,
            ),
            now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let invoice =
        hocphi_fixtures::InvoiceFixture::new("NQ-2025-HK1-0001", &[("Học phí", 1_500_000)]).build();
    store
        .upsert_invoice(
            &invoice,
            now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let config = Config::local(ORIGIN);
    let mut settings = config.settings;
    settings.lookup_key = Some(hocphi_fixtures::lookup_key());
    App::new(
        store,
        ManualClock::at(now()),
        Unreachable,
        config.gateways,
        settings,
    )
}

/// The client address every HTTP input comes from.
pub const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

/// The operators' import over fuzzed file contents.
pub mod import {
    use std::sync::OnceLock;

    use hocphi_admin::import::{ImportOptions, import};
    use hocphi_domain::{PayeeId, Store};
    use hocphi_store::SqliteStore;

    struct Fixture {
        dir: tempfile::TempDir,
        store: SqliteStore,
    }

    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            spreadsheet_panics_are_the_readers_to_report();
            let store = SqliteStore::in_memory().unwrap();
            super::runtime().block_on(async {
                for (id, name) in [
                    ("BD-THCS-NGOQUYEN", "Trường THCS Ngô Quyền"),
                    ("BD-TH-LELOI", "Trường Tiểu học Lê Lợi"),
                ] {
                    let mut school = hocphi_fixtures::school(id, name);
                    school.payee = Some(PayeeId::parse(id).unwrap());
                    store
                        .upsert_school(
                            &school,
                            super::now(),
                            &hocphi_domain::Actor::operator(
                                hocphi_domain::Label::parse("ketoan01").unwrap(),
                            ),
                        )
                        .await
                        .unwrap();
                }
            });
            Fixture {
                dir: tempfile::tempdir().unwrap(),
                store,
            }
        })
    }

    /// calamine 0.38 panics on some malformed XLSX (a column reference of many letters
    /// overflows under overflow checks); the import's reader catches that and reports the file
    /// as unreadable (`hocphi_admin`'s `table` tests). Such a panic is let unwind to that catch
    /// instead of aborting as libFuzzer's hook does; a panic anywhere else still aborts.
    fn spreadsheet_panics_are_the_readers_to_report() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info
                .location()
                .is_some_and(|at| at.file().contains("/calamine-"))
            {
                return;
            }
            previous(info);
        }));
    }

    /// A dry-run import of `data` as a file with extension `ext` (`csv` or `xlsx`), in a
    /// temporary directory, against a store that knows the sample files' two schools.
    pub fn check(data: &[u8], ext: &str) {
        let fixture = fixture();
        let file = fixture.dir.path().join(format!("input.{ext}"));
        std::fs::write(&file, data).unwrap();
        let options = ImportOptions {
            file,
            dry_run: true,
            skip_invalid: false,
            codes_out: None,
            codes_dir: fixture.dir.path().to_owned(),
            progress: false,
            now: super::now(),
            lookup_key: None,
            by: hocphi_domain::Actor::operator(hocphi_domain::Label::parse("fuzz").unwrap()),
        };
        let _ = super::runtime().block_on(import(&fixture.store, &options));
    }
}
