//! Partner protocol tests. Vectors marked Python were computed with Python 3.12's `hmac` and
//! `hashlib` (`hmac.new(key, canonical, hashlib.sha256).hexdigest()`,
//! `hashlib.sha256(text.encode()).hexdigest()`) and checked with OpenSSL 3's `openssl dgst
//! -sha256 [-hmac key]` over the same bytes.

use chrono::{NaiveDate, TimeZone, Utc};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hocphi_domain::{
    GatewayTxnNo, InvoiceId, Label, MaskedName, Money, PartnerId, PaymentCode, PaymentRef,
    ReceiptNumber, School, SchoolId, SchoolYear, StudentCode, Symbol,
};
use serde_json::{Value, json};
use sha2::Sha256;

use super::*;

pub(super) const BANK_KEY: &str = "LOCALPARTNERKEYBANKDEMO000000001";
pub(super) const PORTAL_KEY: &str = "LOCALPARTNERKEYDVCQG00000000001";
pub(super) const AGENCY: &str = "HOCPHIGL";
/// 2026-01-01T00:00:00Z.
pub(super) const NOW: i64 = 1_767_225_600;
const CODE: &str = "HS0012345-26K7M2QXAB";

/// Python: `v1\nPOST\n/api/partners/BANKDEMO/confirmations\n1767225600\nn-0001\n` + the body's
/// SHA-256 (`fef15de3…dcaa`), under [`BANK_KEY`].
const PY_CONFIRM_BODY: &str =
    r#"{"transaction_id":"FT26001ABC","invoice_ids":["NQ-2026-HK1-000123"],"amount":"1500000"}"#;
const PY_CONFIRM_SIGNATURE: &str =
    "v1=e2886d930ae80beba4c811d873bda9ecebf4ced74789398fa024252343b95bee";
/// Python and `openssl dgst -sha256 -hmac`: `{"student":"HS0012345"}` to `…/BANKDEMO/bills`,
/// nonce `abc.DEF_123-x`, at [`NOW`].
const PY_BILLS_SIGNATURE: &str =
    "v1=62708cd1de34a322acf5a36654d532db8ea942612b82d745be79f53d41fe0f38";

/// Python and `openssl dgst -sha256`: `Confirm|00|HOCPHIGL|HS0012345-26K7M2QXAB|1500000|VND|
/// PG260001|VCB|20260901083000|Học phí HK1|` + [`PORTAL_KEY`].
const PY_PORTAL_CONFIRM: &str = "e6821accb3927f105c75c4637712446e918ad84227af4ef6ffdbfb1229d1e199";
/// Python and `sha256sum`: `GetBill|1.0.0|HOCPHIGL|HS0012345-26K7M2QXAB|20260901083000|` +
/// [`PORTAL_KEY`].
const PY_PORTAL_GET_BILL: &str = "ce0308c7943f9769b02599a40de53f4f098fc5b874f406360b383e1255cfa7e8";
/// Python: `04|HOCPHIGL||` + [`PORTAL_KEY`], the reply to a look-up that found nothing.
const PY_PORTAL_NO_BILL_REPLY: &str =
    "ae236b29c9ee2a31e168478ce13b208d4a3b9e7d80a05961a7281ceaeb94c95c";

pub(super) fn config() -> Value {
    json!({
        "BANKDEMO": {
            "name": "Ngân hàng mô phỏng",
            "profile": "generic",
            "key": BANK_KEY,
            "payees": ["BD-THCS-NGOQUYEN"],
        },
        "DVCQG": {
            "name": "Cổng Dịch vụ công quốc gia",
            "profile": "dvcqg",
            "key": PORTAL_KEY,
            "code": AGENCY,
            "schools": ["BD-THCS-NGOQUYEN", "BD-THPT-LELOI"],
        },
    })
}

pub(super) fn partners() -> Partners {
    Partners::parse(&config().to_string()).unwrap()
}

pub(super) fn id(raw: &str) -> PartnerId {
    PartnerId::parse(raw).unwrap()
}

pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// A request as the app hands it over.
#[derive(Clone, Debug)]
pub(super) struct Raw {
    pub op: PartnerOp,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub(super) fn verify(&self, partner: &Partner, now: i64) -> Result<Signed, PartnerError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = PartnerRequest {
            op: self.op,
            path: &self.path,
            headers: &headers,
            body: &self.body,
        };
        partner.verify(&request, at(now)).map(Verified::into_inner)
    }

    fn set(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }
}

/// A request of BANKDEMO signed with the generic profile's [`generic::sign`].
pub(super) fn bank_request(op: PartnerOp, body: &str, timestamp: i64, nonce: &str) -> Raw {
    let path = path(&id("BANKDEMO"), op);
    let signature = generic::sign(BANK_KEY, "POST", &path, timestamp, nonce, body);
    Raw {
        op,
        path,
        headers: vec![
            ("x-hocphi-timestamp".into(), timestamp.to_string()),
            ("x-hocphi-nonce".into(), nonce.into()),
            ("x-hocphi-signature".into(), signature),
            ("content-type".into(), "application/json".into()),
        ],
        body: body.as_bytes().to_vec(),
    }
}

/// A request signed over raw header texts (which [`generic::sign`] would not write).
fn raw_signed(op: PartnerOp, path: &str, timestamp: &str, nonce: &str, body: &str) -> Raw {
    let canonical = generic::canonical_string("POST", path, timestamp, nonce, body.as_bytes());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(BANK_KEY.as_bytes()).unwrap();
    mac.update(canonical.as_bytes());
    let signature = format!("v1={}", crate::hex_lower(&mac.finalize().into_bytes()));
    Raw {
        op,
        path: path.to_owned(),
        headers: vec![
            ("x-hocphi-timestamp".into(), timestamp.into()),
            ("x-hocphi-nonce".into(), nonce.into()),
            ("x-hocphi-signature".into(), signature),
        ],
        body: body.as_bytes().to_vec(),
    }
}

fn invoice(raw: &str) -> InvoiceId {
    InvoiceId::parse(raw).unwrap()
}

fn money(vnd: u64) -> Money {
    Money::from_vnd(vnd).unwrap()
}

fn txn(raw: &str) -> GatewayTxnNo {
    GatewayTxnNo::parse(raw).unwrap()
}

fn code() -> PaymentCode {
    PaymentCode::parse(CODE).unwrap()
}

/// [`bill`] as a look-up by student code finds it: without its payment code.
pub(super) fn bill_by_student() -> Bill {
    Bill {
        payment_code: None,
        ..bill()
    }
}

/// A bill as a look-up by its payment code finds it.
pub(super) fn bill() -> Bill {
    let label = |raw: &str| Label::parse(raw).unwrap();
    Bill {
        student: StudentCode::parse("HS0012345").unwrap(),
        student_name: MaskedName::parse("Nguyễn V. A.").unwrap(),
        school: SchoolId::parse("BD-THCS-NGOQUYEN").unwrap(),
        school_name: label("Trường THCS Ngô Quyền"),
        class_name: label("6A"),
        school_year: SchoolYear::starting(2026).unwrap(),
        payment_code: Some(code()),
        invoices: vec![BillInvoice {
            id: invoice("NQ-2026-HK1-000123"),
            term: label("Học kỳ I"),
            items: vec![
                (label("Học phí"), money(1_200_000)),
                (label("Bảo hiểm y tế"), money(300_000)),
            ],
            amount: money(1_500_000),
            due_date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        }],
        total: money(1_500_000),
    }
}

pub(super) fn receipted() -> Receipted {
    Receipted {
        payment: PaymentRef::for_partner(&id("BANKDEMO"), &txn("FT26001ABC")),
        receipt: ReceiptNumber {
            template: Symbol::parse("01BLP0-001").unwrap(),
            series: Symbol::parse("HP-26E").unwrap(),
            school_year: SchoolYear::starting(2026).unwrap(),
            sequence: 42,
        },
        receipt_url: "https://hocphi.example.vn/bien-lai/R1?t=0123456789abcdef0123456789abcdef"
            .into(),
    }
}

/// Every refusal, once.
pub(super) fn refusals() -> Vec<Refusal> {
    vec![
        Refusal::BadRequest(PartnerError::UnknownPartner),
        Refusal::BadRequest(PartnerError::MissingSignature),
        Refusal::BadRequest(PartnerError::BadSignature),
        Refusal::BadRequest(PartnerError::Stale),
        Refusal::BadRequest(PartnerError::BadNonce),
        Refusal::BadRequest(PartnerError::Malformed("amount: not digits".into())),
        Refusal::Replayed,
        Refusal::RateLimited,
        Refusal::NoBill,
        Refusal::NotCollectable,
        Refusal::AlreadyPaid {
            payment: PaymentRef::for_partner(&id("BANKDEMO"), &txn("FT26001ABC")),
        },
        Refusal::AmountMismatch {
            expected: money(1_500_000),
        },
        Refusal::TxnReused,
        Refusal::UnknownTxn,
        Refusal::NotReversible(Refusal::REVERSAL_REASON),
        Refusal::Unavailable,
    ]
}

mod configuration {
    use super::*;

    #[test]
    fn a_province_configuration_reads_into_partners() {
        let partners = partners();
        let bank = partners.get(&id("bankdemo")).unwrap();
        assert_eq!(bank.profile, Profile::Generic);
        assert_eq!(bank.name.as_str(), "Ngân hàng mô phỏng");
        assert_eq!(bank.code, None);
        let portal = partners.get(&id("DVCQG")).unwrap();
        assert_eq!(portal.profile, Profile::Dvcqg);
        assert_eq!(portal.platform_code(), AGENCY);
        assert_eq!(portal.schools.len(), 2);
        assert_eq!(partners.iter().count(), 2);
        assert!(Partners::parse("{}").unwrap().iter().next().is_none());
    }

    #[test]
    fn a_portal_partner_without_a_code_is_known_to_the_platform_by_its_id() {
        let mut config = config();
        config["DVCQG"].as_object_mut().unwrap().remove("code");
        let partners = Partners::parse(&config.to_string()).unwrap();
        assert_eq!(partners.get(&id("DVCQG")).unwrap().platform_code(), "DVCQG");
    }

    #[test]
    fn a_partner_collects_for_its_schools_and_for_schools_paid_into_its_payees() {
        let school = |raw: &str, payee: Option<&str>| School {
            id: SchoolId::parse(raw).unwrap(),
            name: Label::parse("Trường").unwrap(),
            receipt_template: Symbol::parse("01BLP0-001").unwrap(),
            receipt_series: Symbol::parse("HP-26E").unwrap(),
            payee: payee.map(|p| hocphi_domain::PayeeId::parse(p).unwrap()),
            commune: None,
        };
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let portal = partners.get(&id("DVCQG")).unwrap();
        assert!(bank.collects_for(&school("BD-X", Some("BD-THCS-NGOQUYEN"))));
        assert!(!bank.collects_for(&school("BD-THCS-NGOQUYEN", None)));
        assert!(portal.collects_for(&school("BD-THPT-LELOI", None)));
        assert!(!portal.collects_for(&school("BD-X", Some("BD-THCS-NGOQUYEN"))));
    }

    #[test]
    fn a_bad_configuration_is_refused_naming_the_partner_and_the_reason_never_the_key() {
        let secret = "SUPERSECRETKEY-DO-NOT-PRINT-0001";
        let entry = |extra: Value| {
            let mut entry =
                json!({"name": "VCB", "profile": "generic", "key": secret, "payees": ["BD-A"]});
            for (k, v) in extra.as_object().unwrap() {
                if v.is_null() {
                    entry.as_object_mut().unwrap().remove(k);
                } else {
                    entry[k] = v.clone();
                }
            }
            json!({ "VCB": entry }).to_string()
        };
        let cases: Vec<(&str, String, &str)> = vec![
            ("not JSON", "{\"VCB\": ".into(), "unexpected end"),
            ("not a map", "[1, 2]".into(), "not a map"),
            (
                "entry not an object",
                json!({"VCB": secret}).to_string(),
                "must be a JSON object",
            ),
            ("bad id", json!({"V": {}}).to_string(), "partner id"),
            ("no name", entry(json!({"name": null})), "missing `name`"),
            (
                "no profile",
                entry(json!({"profile": null})),
                "missing `profile`",
            ),
            (
                "bad profile",
                entry(json!({"profile": "bank"})),
                "profile must be",
            ),
            ("no key", entry(json!({"key": null})), "missing `key`"),
            ("short key", entry(json!({"key": "short"})), "at least 16"),
            (
                "padded key",
                entry(json!({"key": format!(" {secret}")})),
                "white space",
            ),
            (
                "numeric key",
                entry(json!({"key": 1234567890123456789u64})),
                "key must be a string",
            ),
            (
                "no school",
                entry(json!({"payees": null})),
                "collects for no school",
            ),
            (
                "empty lists",
                entry(json!({"payees": [], "schools": []})),
                "collects for no school",
            ),
            (
                "bad school",
                entry(json!({"schools": ["B D"]})),
                "schools: invalid school id",
            ),
            (
                "payees not a list",
                entry(json!({"payees": "BD-A"})),
                "payees must be a list",
            ),
            (
                "unknown field",
                entry(json!({"secret": secret})),
                "unknown field `secret`",
            ),
            (
                "code on generic",
                entry(json!({"code": "X"})),
                "dvcqg profile only",
            ),
            (
                "bad code",
                entry(json!({"profile": "dvcqg", "code": "A|B"})),
                "code must be",
            ),
        ];
        for (case, json, reason) in cases {
            let error = Partners::parse(&json).unwrap_err();
            let shown = error.to_string();
            assert!(shown.contains(reason), "{case}: {shown}");
            assert!(!shown.contains(secret), "{case}: {shown}");
            assert!(!format!("{error:?}").contains(secret), "{case}");
            if !matches!(case, "not JSON" | "not a map") {
                assert!(shown.starts_with("partner V"), "{case}: {shown}");
            }
        }
    }

    #[test]
    fn a_partner_or_a_field_given_twice_is_refused() {
        let twice_id = format!(
            r#"{{"VCB": {0}, "vcb": {0}}}"#,
            json!({"name": "A", "profile": "generic", "key": BANK_KEY, "payees": ["BD-A"]})
        );
        let shown = Partners::parse(&twice_id).unwrap_err().to_string();
        assert!(shown.contains("listed twice"), "{shown}");
        let twice_key = format!(
            r#"{{"VCB": {{"name": "A", "profile": "generic", "key": "{BANK_KEY}", "key": "{PORTAL_KEY}", "payees": ["BD-A"]}}}}"#
        );
        let shown = Partners::parse(&twice_key).unwrap_err().to_string();
        assert!(shown.contains("`key` is given twice"), "{shown}");
        assert!(!shown.contains(BANK_KEY) && !shown.contains(PORTAL_KEY));
    }

    #[test]
    fn a_partner_never_prints_its_key() {
        let partners = partners();
        let shown = format!("{partners:?}");
        assert!(!shown.contains(BANK_KEY), "{shown}");
        assert!(!shown.contains(PORTAL_KEY), "{shown}");
        assert!(shown.contains("BANKDEMO"));
    }
}

mod generic_profile {
    use super::*;

    #[test]
    fn the_signature_matches_independently_computed_vectors() {
        let path = "/api/partners/BANKDEMO/confirmations";
        assert_eq!(
            generic::canonical_string(
                "POST",
                path,
                "1767225600",
                "n-0001",
                PY_CONFIRM_BODY.as_bytes()
            ),
            "v1\nPOST\n/api/partners/BANKDEMO/confirmations\n1767225600\nn-0001\n\
             fef15de373a8718e2fab2aa22fca5754da976fa5ed14ac4f2473d784f9d0dcaa"
        );
        assert_eq!(
            generic::sign(BANK_KEY, "POST", path, NOW, "n-0001", PY_CONFIRM_BODY),
            PY_CONFIRM_SIGNATURE
        );
        assert_eq!(
            generic::sign(
                BANK_KEY,
                "POST",
                "/api/partners/BANKDEMO/bills",
                NOW,
                "abc.DEF_123-x",
                r#"{"student":"HS0012345"}"#
            ),
            PY_BILLS_SIGNATURE
        );
    }

    #[test]
    fn a_signed_request_verifies_into_its_message_and_nonce() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let cases = [
            (
                PartnerOp::Bills,
                r#"{"student":"hs0012345"}"#,
                Message::Bills(BillKey::Student(StudentCode::parse("HS0012345").unwrap())),
            ),
            (
                PartnerOp::Bills,
                r#"{"payment_code":"HS0012345-26K7M2QXAB"}"#,
                Message::Bills(BillKey::Code(code())),
            ),
            (
                PartnerOp::Confirm,
                PY_CONFIRM_BODY,
                Message::Confirm(Confirmation {
                    txn: txn("FT26001ABC"),
                    bill: BillRef::Invoices(vec![invoice("NQ-2026-HK1-000123")]),
                    amount: money(1_500_000),
                    paid_at: None,
                }),
            ),
            (
                PartnerOp::Confirm,
                r#"{"transaction_id":"FT26001ABD","payment_code":"HS0012345-26K7M2QXAB","amount":"3000000","paid_at":"2026-01-01T07:00:00+07:00"}"#,
                Message::Confirm(Confirmation {
                    txn: txn("FT26001ABD"),
                    bill: BillRef::Code(code()),
                    amount: money(3_000_000),
                    paid_at: Some(at(NOW)),
                }),
            ),
            (
                PartnerOp::Reverse,
                r#"{"transaction_id":"FT26001ABC"}"#,
                Message::Reverse(Reversal {
                    txn: txn("FT26001ABC"),
                }),
            ),
        ];
        for (op, body, message) in cases {
            let signed = bank_request(op, body, NOW, "n-0001")
                .verify(bank, NOW)
                .unwrap();
            assert_eq!(signed.message, message, "{body}");
            assert_eq!(
                signed.nonce.as_ref().map(NonceKey::as_str),
                Some("BANKDEMO:n-0001")
            );
        }
        let by_python = bank_request(PartnerOp::Confirm, PY_CONFIRM_BODY, NOW, "n-0001");
        assert_eq!(by_python.headers[2].1, PY_CONFIRM_SIGNATURE);
    }

    #[test]
    fn header_names_match_in_any_case() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let mut request = bank_request(PartnerOp::Bills, r#"{"student":"HS0012345"}"#, NOW, "n1");
        for (name, _) in &mut request.headers {
            *name = match name.as_str() {
                "x-hocphi-timestamp" => "X-Hocphi-Timestamp".into(),
                "x-hocphi-nonce" => "X-HOCPHI-NONCE".into(),
                other => other.to_owned(),
            };
        }
        assert!(request.verify(bank, NOW).is_ok());
    }

    #[test]
    fn the_timestamp_may_lie_up_to_five_minutes_either_way() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let body = r#"{"student":"HS0012345"}"#;
        for (signed_at, ok) in [
            (NOW - 300, true),
            (NOW + 300, true),
            (NOW - 301, false),
            (NOW + 301, false),
            (0, false),
        ] {
            let verified = bank_request(PartnerOp::Bills, body, signed_at, "n1").verify(bank, NOW);
            match ok {
                true => assert!(verified.is_ok(), "{signed_at}"),
                false => assert_eq!(verified, Err(PartnerError::Stale), "{signed_at}"),
            }
        }
    }

    #[test]
    fn bad_headers_signatures_and_paths_are_refused_before_the_body_is_read() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let body = r#"{"student":"HS0012345"}"#;
        let good = || bank_request(PartnerOp::Bills, body, NOW, "n1");
        let signature = good().headers[2].1.clone();
        let other_key = {
            let mut request = good();
            request.headers[2].1 =
                generic::sign(PORTAL_KEY, "POST", &request.path, NOW, "n1", body);
            request
        };
        let one_byte_changed = {
            let mut request = good();
            request.body[3] ^= 0x01;
            request
        };
        let other_partner = {
            let path = "/api/partners/OTHER/bills";
            let mut request = good();
            request.path = path.into();
            request.headers[2].1 = generic::sign(BANK_KEY, "POST", path, NOW, "n1", body);
            request
        };
        let other_op = {
            let mut request = good();
            request.op = PartnerOp::Confirm;
            request
        };
        let with_query = {
            let path = "/api/partners/BANKDEMO/bills?x=1";
            let mut request = good();
            request.path = path.into();
            request.headers[2].1 = generic::sign(BANK_KEY, "POST", path, NOW, "n1", body);
            request
        };
        let twice = {
            let mut request = good();
            request
                .headers
                .push(("X-Hocphi-Signature".into(), signature.clone()));
            request
        };
        let garbage_body = {
            let mut request = raw_signed(
                PartnerOp::Bills,
                "/api/partners/BANKDEMO/bills",
                "1767225600",
                "n1",
                "not json",
            );
            request.headers[2].1 =
                generic::sign(PORTAL_KEY, "POST", &request.path, NOW, "n1", "not json");
            request
        };
        let cases = [
            (
                "no signature",
                good().without("x-hocphi-signature"),
                PartnerError::MissingSignature,
            ),
            (
                "no timestamp",
                good().without("x-hocphi-timestamp"),
                PartnerError::Stale,
            ),
            (
                "no nonce",
                good().without("x-hocphi-nonce"),
                PartnerError::BadNonce,
            ),
            ("signature twice", twice, PartnerError::BadSignature),
            (
                "empty signature",
                good().set("x-hocphi-signature", ""),
                PartnerError::BadSignature,
            ),
            (
                "no scheme",
                good().set("x-hocphi-signature", &signature[3..]),
                PartnerError::BadSignature,
            ),
            (
                "scheme upper case",
                good().set("x-hocphi-signature", &signature.replacen("v1=", "V1=", 1)),
                PartnerError::BadSignature,
            ),
            (
                "hex upper case",
                good().set(
                    "x-hocphi-signature",
                    &format!("v1={}", signature[3..].to_uppercase()),
                ),
                PartnerError::BadSignature,
            ),
            (
                "other scheme",
                good().set("x-hocphi-signature", &signature.replacen("v1=", "v2=", 1)),
                PartnerError::BadSignature,
            ),
            (
                "truncated",
                good().set("x-hocphi-signature", &signature[..66]),
                PartnerError::BadSignature,
            ),
            (
                "not hex",
                good().set("x-hocphi-signature", &format!("v1={}", "g".repeat(64))),
                PartnerError::BadSignature,
            ),
            ("other key", other_key, PartnerError::BadSignature),
            (
                "body changed by one byte",
                one_byte_changed,
                PartnerError::BadSignature,
            ),
            (
                "timestamp changed",
                good().set("x-hocphi-timestamp", "1767225601"),
                PartnerError::BadSignature,
            ),
            (
                "nonce changed",
                good().set("x-hocphi-nonce", "n2"),
                PartnerError::BadSignature,
            ),
            (
                "another partner's path",
                other_partner,
                PartnerError::BadSignature,
            ),
            (
                "another operation's path",
                other_op,
                PartnerError::BadSignature,
            ),
            (
                "a query in the path",
                with_query,
                PartnerError::BadSignature,
            ),
            (
                "bad JSON signed by someone else",
                garbage_body,
                PartnerError::BadSignature,
            ),
        ];
        for (case, request, expected) in cases {
            assert_eq!(request.verify(bank, NOW), Err(expected), "{case}");
        }
    }

    #[test]
    fn signed_but_garbled_timestamps_and_nonces_are_refused() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let path = "/api/partners/BANKDEMO/bills";
        let body = r#"{"student":"HS0012345"}"#;
        let cases = [
            ("1767225600.0", "n1", PartnerError::Stale),
            ("+1767225600", "n1", PartnerError::Stale),
            (" 1767225600", "n1", PartnerError::Stale),
            ("", "n1", PartnerError::Stale),
            ("99999999999999", "n1", PartnerError::Stale),
            ("1767225600", "", PartnerError::BadNonce),
            ("1767225600", "a b", PartnerError::BadNonce),
            ("1767225600", "nonce/1", PartnerError::BadNonce),
            ("1767225600", "nonce:1", PartnerError::BadNonce),
            ("1767225600", "số", PartnerError::BadNonce),
            ("1767225600", &"n".repeat(65), PartnerError::BadNonce),
        ];
        for (timestamp, nonce, expected) in cases {
            let request = raw_signed(PartnerOp::Bills, path, timestamp, nonce, body);
            assert_eq!(
                request.verify(bank, NOW),
                Err(expected),
                "{timestamp:?} {nonce:?}"
            );
        }
        let longest = "n".repeat(64);
        assert!(
            raw_signed(PartnerOp::Bills, path, "1767225600", &longest, body)
                .verify(bank, NOW)
                .is_ok()
        );
    }

    #[test]
    fn signed_but_malformed_bodies_are_refused() {
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        let confirm = |amount: &str| {
            format!(r#"{{"transaction_id":"FT1","invoice_ids":["NQ-1"],"amount":{amount}}}"#)
        };
        let cases: Vec<(&str, PartnerOp, String)> = vec![
            ("bad JSON", PartnerOp::Bills, "{\"student\":".into()),
            ("not an object", PartnerOp::Bills, "[\"HS0012345\"]".into()),
            ("empty body", PartnerOp::Bills, String::new()),
            ("neither key", PartnerOp::Bills, "{}".into()),
            ("both keys", PartnerOp::Bills, r#"{"student":"HS0012345","payment_code":"HS0012345-26K7M2QXAB"}"#.into()),
            ("bad student", PartnerOp::Bills, r#"{"student":"HS 1"}"#.into()),
            ("bad payment code", PartnerOp::Bills, r#"{"payment_code":"HS0012345-26K7M2QXA0"}"#.into()),
            ("unknown field", PartnerOp::Bills, r#"{"student":"HS0012345","school":"X"}"#.into()),
            ("duplicate key", PartnerOp::Bills, r#"{"student":"HS0012345","student":"HS0099999"}"#.into()),
            ("another op's body", PartnerOp::Bills, PY_CONFIRM_BODY.into()),
            ("amount with a fraction", PartnerOp::Confirm, confirm("\"1.5\"")),
            ("negative amount", PartnerOp::Confirm, confirm("\"-1\"")),
            ("amount with an exponent", PartnerOp::Confirm, confirm("\"1e6\"")),
            ("zero amount", PartnerOp::Confirm, confirm("\"0\"")),
            ("grouped amount", PartnerOp::Confirm, confirm("\"1.500.000\"")),
            ("amount too large", PartnerOp::Confirm, confirm("\"10000000000\"")),
            ("empty amount", PartnerOp::Confirm, confirm("\"\"")),
            ("amount as a number", PartnerOp::Confirm, confirm("1500000")),
            ("null amount", PartnerOp::Confirm, confirm("null")),
            ("duplicate amount", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ-1"],"amount":"1","amount":"2"}"#.into()),
            ("no amount", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ-1"]}"#.into()),
            ("no transaction", PartnerOp::Confirm, r#"{"invoice_ids":["NQ-1"],"amount":"1"}"#.into()),
            ("bad transaction", PartnerOp::Confirm, r#"{"transaction_id":"FT 1","invoice_ids":["NQ-1"],"amount":"1"}"#.into()),
            ("no bill", PartnerOp::Confirm, r#"{"transaction_id":"FT1","amount":"1"}"#.into()),
            ("both bills", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ-1"],"payment_code":"HS0012345-26K7M2QXAB","amount":"1"}"#.into()),
            ("no invoices", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":[],"amount":"1"}"#.into()),
            ("an invoice twice", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ-1","NQ-1"],"amount":"1"}"#.into()),
            ("bad invoice id", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ 1"],"amount":"1"}"#.into()),
            ("bad paid_at", PartnerOp::Confirm, r#"{"transaction_id":"FT1","invoice_ids":["NQ-1"],"amount":"1","paid_at":"2026-01-01 07:00"}"#.into()),
            ("unknown op body", PartnerOp::Reverse, r#"{"op":"cancel","transaction_id":"FT1"}"#.into()),
            ("reversal without a transaction", PartnerOp::Reverse, "{}".into()),
        ];
        for (case, op, body) in cases {
            let verified = bank_request(op, &body, NOW, "n1").verify(bank, NOW);
            assert!(
                matches!(verified, Err(PartnerError::Malformed(_))),
                "{case}: {verified:?}"
            );
        }
    }

    #[test]
    fn every_answer_has_its_status_code_and_vietnamese_message() {
        let expected = [
            ("UNKNOWN_PARTNER", 404),
            ("BAD_SIGNATURE", 401),
            ("BAD_SIGNATURE", 401),
            ("STALE_REQUEST", 401),
            ("MALFORMED", 400),
            ("MALFORMED", 400),
            ("REPLAYED", 409),
            ("RATE_LIMITED", 429),
            ("NO_BILL", 404),
            ("NOT_COLLECTABLE", 403),
            ("ALREADY_PAID", 409),
            ("AMOUNT_MISMATCH", 422),
            ("TRANSACTION_REUSED", 409),
            ("UNKNOWN_TRANSACTION", 404),
            ("REVERSAL_REFUSED", 409),
            ("UNAVAILABLE", 503),
        ];
        let partners = partners();
        let bank = partners.get(&id("BANKDEMO")).unwrap();
        for (refusal, (code, status)) in refusals().into_iter().zip(expected) {
            assert_eq!(refusal.code(), code);
            let reply = bank.reply(PartnerOp::Confirm, &Answer::Refused(refusal.clone()));
            assert_eq!(reply, generic::reply(&Answer::Refused(refusal.clone())));
            assert_eq!(reply.status, status, "{code}");
            assert_eq!(reply.content_type, Some("application/json; charset=utf-8"));
            let body: Value = serde_json::from_str(&reply.body).unwrap();
            let error = body["error"].as_object().unwrap();
            assert_eq!(error["code"], code);
            let message = error["message"].as_str().unwrap();
            assert!(
                message
                    .chars()
                    .any(|c| "ơưạảấầẫậắằẳặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ".contains(c)),
                "{code}: {message}"
            );
            match &refusal {
                Refusal::AlreadyPaid { payment } => {
                    assert_eq!(error["payment_ref"], payment.as_str())
                }
                Refusal::AmountMismatch { .. } => assert_eq!(error["expected"], "1500000"),
                Refusal::NotReversible(reason) => assert_eq!(message, *reason),
                _ => assert_eq!(error.len(), 2, "{code}"),
            }
        }
    }

    #[test]
    fn bills_and_confirmations_answer_the_documented_json() {
        let reply = generic::reply(&Answer::Bills(vec![bill()]));
        assert_eq!(reply.status, 200);
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            body,
            json!({"bills": [{
                "student": "HS0012345",
                "student_name": "Nguyễn V. A.",
                "school": "BD-THCS-NGOQUYEN",
                "school_name": "Trường THCS Ngô Quyền",
                "class_name": "6A",
                "school_year": "2026-2027",
                "payment_code": "HS0012345-26K7M2QXAB",
                "invoices": [{
                    "id": "NQ-2026-HK1-000123",
                    "term": "Học kỳ I",
                    "items": [
                        {"description": "Học phí", "amount": "1200000"},
                        {"description": "Bảo hiểm y tế", "amount": "300000"},
                    ],
                    "amount": "1500000",
                    "due_date": "2026-12-31",
                }],
                "total": "1500000",
            }]})
        );
        let reply = generic::reply(&Answer::Bills(vec![bill_by_student()]));
        let by_student: Value = serde_json::from_str(&reply.body).unwrap();
        let mut without_code = body.clone();
        without_code["bills"][0]
            .as_object_mut()
            .unwrap()
            .remove("payment_code");
        assert_eq!(
            by_student, without_code,
            "a student code never gets the payment code"
        );
        let reply = generic::reply(&Answer::Bills(Vec::new()));
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, r#"{"bills":[]}"#)
        );
        let receipted = receipted();
        let reply = generic::reply(&Answer::Confirmed(receipted.clone()));
        assert_eq!(reply.status, 200);
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            body,
            json!({
                "status": "confirmed",
                "payment_ref": receipted.payment.as_str(),
                "receipt_number": "HP-26E-0000042",
                "receipt_url": receipted.receipt_url,
            })
        );
    }
}

mod portal_profile {
    use super::*;

    fn paid_at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, 1, 1, 30, 0).unwrap()
    }

    fn portal_key() -> Secret {
        Secret::new(PORTAL_KEY).unwrap()
    }

    fn confirm() -> dvcqg::Confirm<'static> {
        dvcqg::Confirm {
            agency: AGENCY,
            payment_code: CODE,
            amount: money(1_500_000),
            txn: "PG260001",
            bank: "VCB",
            at: paid_at(),
            info: "Học phí HK1",
        }
    }

    fn get_bill() -> dvcqg::GetBill<'static> {
        dvcqg::GetBill {
            version: "1.0.0",
            agency: AGENCY,
            payment_code: CODE,
            at: paid_at(),
        }
    }

    pub(in super::super) fn portal_request(op: PartnerOp, body: &str) -> Raw {
        Raw {
            op,
            path: path(&id("DVCQG"), op),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn edited(body: &str, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut value: Value = serde_json::from_str(body).unwrap();
        edit(value.as_object_mut().unwrap());
        value.to_string()
    }

    #[test]
    fn vietnam_time_is_written_as_the_platform_writes_it() {
        assert_eq!(dvcqg::time(paid_at()), "20260901083000");
    }

    #[test]
    fn the_checksums_match_independently_computed_vectors() {
        let key = portal_key();
        let confirm: Value = serde_json::from_str(&confirm().signed_body(&key)).unwrap();
        assert_eq!(confirm["MaXacThuc"], PY_PORTAL_CONFIRM);
        assert_eq!(confirm["ThoiGianGD"], "20260901083000");
        let get_bill: Value = serde_json::from_str(&get_bill().signed_body(&key)).unwrap();
        assert_eq!(get_bill["MaXacThuc"], PY_PORTAL_GET_BILL);
        assert_eq!(
            crate::dvcqg::wire::ma_xac_thuc(&["04", AGENCY, ""], &key),
            PY_PORTAL_NO_BILL_REPLY
        );
    }

    #[test]
    fn a_signed_get_bill_and_confirm_verify_into_their_messages() {
        let partners = partners();
        let portal = partners.get(&id("DVCQG")).unwrap();
        let key = portal_key();
        let signed = portal_request(PartnerOp::Bills, &get_bill().signed_body(&key))
            .verify(portal, NOW)
            .unwrap();
        assert_eq!(
            signed,
            Signed {
                message: Message::Bills(BillKey::Code(code())),
                nonce: None
            }
        );
        let expected = Signed {
            message: Message::Confirm(Confirmation {
                txn: txn("PG260001"),
                bill: BillRef::Code(code()),
                amount: money(1_500_000),
                paid_at: Some(paid_at()),
            }),
            nonce: None,
        };
        let body = confirm().signed_body(&key);
        assert_eq!(
            portal_request(PartnerOp::Confirm, &body)
                .verify(portal, NOW)
                .unwrap(),
            expected
        );
        let as_number = edited(&body, |o| {
            o.insert("SoTien".into(), json!(1_500_000));
        });
        assert_eq!(
            portal_request(PartnerOp::Confirm, &as_number)
                .verify(portal, NOW)
                .unwrap(),
            expected
        );
        let without_agency = edited(&body, |o| {
            o.remove("MaDoiTac");
        });
        assert_eq!(
            portal_request(PartnerOp::Confirm, &without_agency)
                .verify(portal, NOW)
                .unwrap(),
            expected
        );
        let with_unsigned = edited(&body, |o| {
            o.insert("Ip".into(), json!("10.0.0.1"));
            o.insert("MaXacThuc".into(), json!(PY_PORTAL_CONFIRM.to_uppercase()));
        });
        assert_eq!(
            portal_request(PartnerOp::Confirm, &with_unsigned)
                .verify(portal, NOW)
                .unwrap(),
            expected
        );
    }

    #[test]
    fn bad_portal_messages_are_refused() {
        let partners = partners();
        let portal = partners.get(&id("DVCQG")).unwrap();
        let key = portal_key();
        let body = confirm().signed_body(&key);
        let other_key = confirm().signed_body(&Secret::new(BANK_KEY).unwrap());
        let resigned = |edit: fn(&mut dvcqg::Confirm<'static>)| {
            let mut message = confirm();
            edit(&mut message);
            message.signed_body(&key)
        };
        let unpaid = {
            let values = [
                "Confirm",
                "24",
                AGENCY,
                CODE,
                "1500000",
                "VND",
                "PG260001",
                "VCB",
                "20260901083000",
                "Học phí HK1",
            ];
            edited(&body, |o| {
                o.insert("MaLoi".into(), json!("24"));
                o.insert(
                    "MaXacThuc".into(),
                    json!(crate::dvcqg::wire::ma_xac_thuc(&values, &key)),
                );
            })
        };
        let dollars = {
            let values = [
                "Confirm",
                "00",
                AGENCY,
                CODE,
                "1500000",
                "USD",
                "PG260001",
                "VCB",
                "20260901083000",
                "Học phí HK1",
            ];
            edited(&body, |o| {
                o.insert("MaTienTe".into(), json!("USD"));
                o.insert(
                    "MaXacThuc".into(),
                    json!(crate::dvcqg::wire::ma_xac_thuc(&values, &key)),
                );
            })
        };
        let says_confirm = {
            let values = ["Confirm", "1.0.0", AGENCY, CODE, "20260901083000"];
            edited(&get_bill().signed_body(&key), |o| {
                o.insert("LoaiBanTin".into(), json!("Confirm"));
                o.insert(
                    "MaXacThuc".into(),
                    json!(crate::dvcqg::wire::ma_xac_thuc(&values, &key)),
                );
            })
        };
        let cases: Vec<(&str, PartnerOp, String, &str)> = vec![
            ("other key", PartnerOp::Confirm, other_key, "BadSignature"),
            (
                "amount changed",
                PartnerOp::Confirm,
                edited(&body, |o| {
                    o.insert("SoTien".into(), json!("1500001"));
                }),
                "BadSignature",
            ),
            (
                "txn changed",
                PartnerOp::Confirm,
                edited(&body, |o| {
                    o.insert("MaGiaoDich".into(), json!("PG260002"));
                }),
                "BadSignature",
            ),
            (
                "no checksum",
                PartnerOp::Confirm,
                edited(&body, |o| {
                    o.remove("MaXacThuc");
                }),
                "MissingSignature",
            ),
            (
                "signed for another agency",
                PartnerOp::Confirm,
                resigned(|m| m.agency = "OTHER"),
                "BadSignature",
            ),
            (
                "addressed to another agency",
                PartnerOp::Confirm,
                edited(&body, |o| {
                    o.insert("MaDoiTac".into(), json!("OTHER"));
                }),
                "Malformed",
            ),
            (
                "a field twice",
                PartnerOp::Confirm,
                body.replacen('{', r#"{"SoTien":"1","#, 1),
                "Malformed",
            ),
            (
                "a number where text is signed",
                PartnerOp::Confirm,
                edited(&body, |o| {
                    o.insert("MaGiaoDich".into(), json!(260001));
                }),
                "Malformed",
            ),
            (
                "not JSON",
                PartnerOp::Confirm,
                "MaLoi=00".into(),
                "Malformed",
            ),
            (
                "a GetBill at the confirmations path",
                PartnerOp::Confirm,
                get_bill().signed_body(&key),
                "BadSignature",
            ),
            (
                "a Confirm at the bills path",
                PartnerOp::Bills,
                body.clone(),
                "BadSignature",
            ),
            (
                "a GetBill that says Confirm",
                PartnerOp::Bills,
                says_confirm,
                "Malformed",
            ),
            ("a reversal", PartnerOp::Reverse, body.clone(), "Malformed"),
            ("not paid", PartnerOp::Confirm, unpaid, "Malformed"),
            ("another currency", PartnerOp::Confirm, dollars, "Malformed"),
            (
                "bad payment code",
                PartnerOp::Confirm,
                resigned(|m| m.payment_code = "HS1"),
                "Malformed",
            ),
            (
                "bad transaction id",
                PartnerOp::Confirm,
                resigned(|m| m.txn = "PG 1"),
                "Malformed",
            ),
        ];
        for (case, op, body, expected) in cases {
            let verified = portal_request(op, &body).verify(portal, NOW);
            let got = match &verified {
                Err(PartnerError::Malformed(_)) => "Malformed",
                Err(PartnerError::BadSignature) => "BadSignature",
                Err(PartnerError::MissingSignature) => "MissingSignature",
                _ => "other",
            };
            assert_eq!(got, expected, "{case}: {verified:?}");
        }
    }

    #[test]
    fn every_refusal_has_its_own_ma_loi_and_a_signed_reply() {
        let partners = partners();
        let portal = partners.get(&id("DVCQG")).unwrap();
        let key = portal_key();
        let mut codes = Vec::new();
        for refusal in refusals() {
            let (code, text) = dvcqg::ma_loi(&refusal);
            let reply = portal.reply(PartnerOp::Confirm, &Answer::Refused(refusal.clone()));
            assert_eq!(reply.status, 200);
            let body: Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(body["MaLoi"], code);
            assert_eq!(body["MoTaLoi"], text);
            assert_eq!(body["MaDoiTac"], AGENCY);
            assert_eq!(body["LoaiBanTin"], "Confirm");
            assert!(dvcqg::reply_checks_out(&reply.body, &key), "{code}");
            assert_ne!(code, dvcqg::OK);
            if let Refusal::AmountMismatch { .. } = refusal {
                assert_eq!(body["SoTien"], "1500000");
            }
            codes.push((refusal.code(), code));
        }
        codes.sort();
        codes.dedup();
        let generic_codes: std::collections::BTreeSet<_> = codes.iter().map(|(g, _)| g).collect();
        let portal_codes: std::collections::BTreeSet<_> = codes.iter().map(|(_, p)| p).collect();
        assert_eq!(
            generic_codes.len(),
            codes.len(),
            "a generic code has two MaLoi: {codes:?}"
        );
        assert_eq!(
            portal_codes.len(),
            codes.len(),
            "a MaLoi has two generic codes: {codes:?}"
        );
        let no_bill = portal.reply(PartnerOp::Bills, &Answer::Refused(Refusal::NoBill));
        let body: Value = serde_json::from_str(&no_bill.body).unwrap();
        assert_eq!(body["MaXacThuc"], PY_PORTAL_NO_BILL_REPLY);
        assert_eq!(
            portal.reply(PartnerOp::Bills, &Answer::Bills(Vec::new())),
            no_bill
        );
    }

    #[test]
    fn a_found_bill_and_a_confirmation_answer_with_the_platforms_names() {
        let partners = partners();
        let portal = partners.get(&id("DVCQG")).unwrap();
        let key = portal_key();
        let reply = portal.reply(PartnerOp::Bills, &Answer::Bills(vec![bill()]));
        assert!(dvcqg::reply_checks_out(&reply.body, &key));
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body["MaLoi"], "00");
        assert_eq!(body["LoaiBanTin"], "GetBill");
        assert_eq!(body["MaThamChieu"], CODE);
        assert_eq!(body["SoTien"], "1500000");
        assert_eq!(body["MaTienTe"], "VND");
        let info = &body["ThongTinBienLai"];
        assert_eq!(info["MaDonVi"], "BD-THCS-NGOQUYEN");
        assert_eq!(info["HoTenNguoiNop"], "Nguyễn V. A.");
        assert_eq!(
            info["DSKhoanNop"][1],
            json!({"NoiDung": "Học kỳ I – Bảo hiểm y tế", "SoTien": "300000"})
        );
        let reply = portal.reply(PartnerOp::Bills, &Answer::Bills(vec![bill_by_student()]));
        assert!(dvcqg::reply_checks_out(&reply.body, &key));
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            (&body["MaLoi"], &body["MaThamChieu"]),
            (&json!("00"), &json!(""))
        );
        let receipted = receipted();
        let reply = portal.reply(PartnerOp::Confirm, &Answer::Confirmed(receipted.clone()));
        assert!(dvcqg::reply_checks_out(&reply.body, &key));
        let body: Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(body["MaLoi"], "00");
        assert_eq!(body["SoBienLai"], "HP-26E-0000042");
        assert_eq!(body["DuongDanBienLai"], receipted.receipt_url);
        let tampered = reply
            .body
            .replace("HP-26E", "HP-27E")
            .replace("\"00\"", "\"01\"");
        assert!(!dvcqg::reply_checks_out(&tampered, &key));
    }
}
