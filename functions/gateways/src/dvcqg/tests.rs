//! Tests of the portal platform's channel. Vectors marked Python were computed with Python 3's
//! `hashlib.sha256` over the strings the sources build (`"|".join(fields + [key])`, UTF-8), with
//! the test key [`KEY`]; they pin the field orders this module assumes (see the module doc).

use chrono::{TimeZone, Utc};
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money};
use serde_json::{Value, json};

use super::*;
use crate::testkit;
use crate::{CallbackOutcome, Checkout, Gateway, QueryStatus, RawCallback};

const REFERENCE: &str = "HP240901031010K7M2QXAB";
const PARTNER: &str = "HOCPHIGL";
const KEY: &str = "DVCQGTESTKEYDVCQGTESTKEY00000001";
const ENDPOINT: &str = "https://thanhtoan.dichvucong.example.vn/api";

/// Python: `INIT|1.0.6|HOCPHIGL|HP240901031010K7M2QXAB|1500000|PAY|1|1|vi-VN|VND|PAYMENT|
/// Hoc phi HK1 HS0001|20240901101010|127.0.0.1|key`.
const PYTHON_INIT: &str = "ab2f7f103b552e3da4988f9b113c9a26232e8362fa686f8062a57b18379587bf";
/// Python: `QUERY|1.0.6|HOCPHIGL|HP240901031010K7M2QXAB|20240901101010|key`.
const PYTHON_QUERY: &str = "b756a650745d7082f8a932b40634fe1e387eacfaba9ef6e17a2bf19d27ec1941";
/// Python: a paid Confirm with Vietnamese text in `ThongTinGiaoDich`.
const PYTHON_PAID_CONFIRM: &str = r#"{"LoaiBanTin":"CONFIRM","MaLoi":"00","MaDoiTac":"HOCPHIGL","MaThamChieu":"HP240901031010K7M2QXAB","SoTien":1500000,"MaTienTe":"VND","MaGiaoDich":"DVC0001","MaNganHang":"VCB","ThoiGianGD":"20240901101500","ThongTinGiaoDich":"Thanh toán học phí","MaXacThuc":"96a59cd0321082d09952232e136470ef0d2431bc80801a6b618a1c9d4e05d95c"}"#;
/// Python: a failed Confirm (`MaLoi` 24) with no transaction, bank or time.
const PYTHON_FAILED_CONFIRM: &str = r#"{"LoaiBanTin":"CONFIRM","MaLoi":"24","MaDoiTac":"HOCPHIGL","MaThamChieu":"HP240901031010K7M2QXAB","SoTien":"1500000","MaTienTe":"VND","ThongTinGiaoDich":"Thanh toán học phí","MaXacThuc":"F94CC3CA460D25CC27347D536D91D868C066BF66437FC9827EB8D57200955A62"}"#;

/// Whether an error is the one a case expects.
type IsVerifyError = fn(&VerifyError) -> bool;
type IsQueryError = fn(&QueryError) -> bool;

fn config() -> DvcqgConfig {
    DvcqgConfig {
        partner_code: PARTNER.to_owned(),
        hash_key: Secret::new(KEY).unwrap(),
        endpoint: ENDPOINT.to_owned(),
    }
}

fn dvcqg() -> Dvcqg {
    Dvcqg::new(config()).unwrap()
}

fn payment() -> Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Dvcqg)
}

fn context() -> CheckoutContext {
    testkit::checkout_context("Học phí HK1 – HS0001")
}

fn query_context() -> QueryContext {
    QueryContext {
        request_entropy: [0; 16],
        server_ip: "127.0.0.1".parse().unwrap(),
        now: testkit::created_at(),
    }
}

/// A Confirm signed by this crate, for tests about what happens after the checksum.
fn signed_confirm(overrides: Value) -> Vec<u8> {
    let mut body: Value = serde_json::from_str(PYTHON_PAID_CONFIRM).unwrap();
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    let confirm: Confirm = serde_json::from_value(body.clone()).unwrap();
    let fields = wire::confirm_fields(&confirm);
    let fields: Vec<&str> = fields.iter().map(Cow::as_ref).collect();
    body["MaXacThuc"] = json!(wire::ma_xac_thuc(&fields, &Secret::new(KEY).unwrap()));
    serde_json::to_vec(&body).unwrap()
}

fn body_of(request: &ApiRequest) -> Value {
    serde_json::from_str(&request.body).unwrap()
}

#[test]
fn init_is_a_json_post_signed_in_both_sources_field_order() {
    let request = dvcqg().init_request(&payment(), &context()).unwrap();

    let body = body_of(&request);
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, format!("{ENDPOINT}/init"));
    assert_eq!(request.timeout, Dvcqg::INIT_TIMEOUT);
    assert_eq!(body["MaXacThuc"], PYTHON_INIT);
    let expected = [
        ("LoaiBanTin", "INIT"),
        ("PhienBan", "1.0.6"),
        ("MaDoiTac", PARTNER),
        ("MaThamChieu", REFERENCE),
        ("SoTien", "1500000"),
        ("LoaiHinhThanhToan", "PAY"),
        ("MaKenhThanhToan", "1"),
        ("MaThietBi", "1"),
        ("NgonNgu", "vi-VN"),
        ("MaTienTe", "VND"),
        ("MaNganHang", "PAYMENT"),
        ("ThongTinGiaoDich", "Hoc phi HK1 HS0001"),
        ("ThoiGianGD", "20240901101010"),
        ("Ip", "127.0.0.1"),
    ];
    for (field, value) in expected {
        assert_eq!(body[field], value, "{field}");
    }
    assert_eq!(body["ThongTinBienLai"]["MaDonVi"], "BD-THCS-NGOQUYEN");
    assert_eq!(body["ThongTinBienLai"]["MaHoSo"], REFERENCE);
    assert_eq!(body["ThongTinBienLai"]["HoTenNguoiNop"], "");
    assert_eq!(
        body["ThongTinBienLai"]["DSKhoanNop"][0]["SoTien"],
        "1500000"
    );
}

#[test]
fn the_gateway_checks_out_through_an_api_call_and_offers_no_transfer() {
    let gateway = Gateway::Dvcqg(dvcqg());
    let answer = json!({"MaLoi": "00", "MoTaLoi": "Thành công", "MaThamChieu": REFERENCE,
        "UrlThanhToan": "https://thanhtoan.dichvucong.example.vn/pay/abc"});

    let checkout = gateway.checkout(&payment(), &context()).unwrap();
    let finished = gateway
        .finish_checkout(&payment(), answer.to_string().as_bytes())
        .unwrap();

    assert!(matches!(checkout, Checkout::Call(_)));
    assert_eq!(gateway.kind(), GatewayKind::Dvcqg);
    assert_eq!(gateway.amount_limits(), None);
    assert_eq!(
        finished.redirect_url,
        "https://thanhtoan.dichvucong.example.vn/pay/abc"
    );
    assert_eq!(finished.transfer, None);
    assert!(gateway.cancel_request(&payment()).unwrap().is_none());
    assert!(matches!(
        gateway.verify_return(&format!("MaThamChieu={REFERENCE}")),
        Err(VerifyError::MissingSignature)
    ));
}

#[test]
fn init_is_refused_for_another_channel_s_payment_or_an_expired_one() {
    let momo = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Momo);
    let late = CheckoutContext {
        now: payment().expires_at,
        ..context()
    };

    assert!(matches!(
        dvcqg().init_request(&momo, &context()),
        Err(CheckoutError::WrongGateway { .. })
    ));
    assert!(matches!(
        dvcqg().init_request(&payment(), &late),
        Err(CheckoutError::Expired)
    ));
}

#[test]
fn english_pages_are_asked_for_and_an_empty_description_names_the_payment() {
    let ctx = CheckoutContext {
        locale: Locale::English,
        order_info: "–".into(),
        ..context()
    };

    let body = body_of(&dvcqg().init_request(&payment(), &ctx).unwrap());

    assert_eq!(body["NgonNgu"], "en-US");
    assert_eq!(
        body["ThongTinGiaoDich"],
        format!("Thanh toan hoc phi {REFERENCE}")
    );
}

#[test]
fn the_pay_url_is_read_from_the_flat_answer_and_from_the_wrapped_one() {
    let flat = json!({"MaLoi": "00", "UrlThanhToan": "https://pay.example.vn/a"});
    let inner = json!({"MaThamChieu": REFERENCE, "SoTien": 1_500_000,
        "UrlThanhToan": "https://pay.example.vn/b"});
    let wrapped = json!({"error_code": "0", "message": inner.to_string()});

    let from_flat = dvcqg().init_response(&payment(), flat.to_string().as_bytes());
    let from_wrapped = dvcqg().init_response(&payment(), wrapped.to_string().as_bytes());

    assert_eq!(from_flat.unwrap(), "https://pay.example.vn/a");
    assert_eq!(from_wrapped.unwrap(), "https://pay.example.vn/b");
}

#[test]
fn an_init_answer_that_is_not_a_success_about_this_payment_is_refused() {
    let cases: [(&str, Value); 11] = [
        (
            "a refusal",
            json!({"MaLoi": "05", "MoTaLoi": "Sai mã xác thực"}),
        ),
        (
            "a wrapped refusal",
            json!({"error_code": "1", "message": "lỗi"}),
        ),
        (
            "a wrapped answer refusing inside",
            json!({"error_code": "0", "message": json!({"MaLoi": "99"}).to_string()}),
        ),
        (
            "a wrapped answer that is not JSON inside",
            json!({"error_code": "0", "message": "<html>"}),
        ),
        (
            "no code at all",
            json!({"UrlThanhToan": "https://pay.example.vn"}),
        ),
        (
            "another partner",
            json!({"MaLoi": "00", "MaDoiTac": "OTHER", "UrlThanhToan": "https://pay.example.vn"}),
        ),
        (
            "another payment",
            json!({"MaLoi": "00", "MaThamChieu": "HP1", "UrlThanhToan": "https://pay.example.vn"}),
        ),
        (
            "another amount",
            json!({"MaLoi": "00", "SoTien": "1", "UrlThanhToan": "https://pay.example.vn"}),
        ),
        ("no URL", json!({"MaLoi": "00"})),
        (
            "a plain-HTTP URL",
            json!({"MaLoi": "00", "UrlThanhToan": "http://pay.example.vn"}),
        ),
        (
            "a script URL",
            json!({"MaLoi": "00", "UrlThanhToan": "javascript:alert(1)"}),
        ),
    ];
    for (case, answer) in cases {
        let result = dvcqg().init_response(&payment(), answer.to_string().as_bytes());
        assert!(result.is_err(), "{case}: {result:?}");
    }
    assert!(matches!(
        dvcqg().init_response(&payment(), b"not json"),
        Err(CheckoutError::Malformed(_))
    ));
    assert!(matches!(
        dvcqg().init_response(&payment(), br#"{"MaLoi":"05"}"#),
        Err(CheckoutError::Refused { code }) if code == "05"
    ));
}

#[test]
fn a_paid_confirm_signed_as_python_signs_it_verifies() {
    let verified = dvcqg()
        .verify_confirm(PYTHON_PAID_CONFIRM.as_bytes())
        .unwrap()
        .into_inner();

    assert_eq!(verified.gateway, GatewayKind::Dvcqg);
    assert_eq!(verified.reference.as_str(), REFERENCE);
    assert_eq!(verified.amount, Money::from_vnd(1_500_000).unwrap());
    assert_eq!(
        verified.outcome,
        Outcome::Final(GatewayEvent::Paid {
            txn: GatewayTxnNo::parse("DVC0001").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
        })
    );
    assert_eq!(
        verified.paid_at,
        Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 0).unwrap())
    );
}

#[test]
fn a_failed_confirm_with_an_uppercase_checksum_is_a_final_decline() {
    let verified = Gateway::Dvcqg(dvcqg())
        .verify(RawCallback {
            query: "",
            body: PYTHON_FAILED_CONFIRM.as_bytes(),
            path_param: None,
        })
        .unwrap()
        .into_inner();

    assert_eq!(
        verified.outcome,
        Outcome::Final(GatewayEvent::Declined {
            txn: None,
            code: GatewayCode::parse("24").unwrap(),
        })
    );
    assert_eq!(verified.paid_at, None);
}

#[test]
fn a_confirm_whose_fields_or_checksum_were_changed_is_rejected_before_anything_is_read() {
    let paid: Value = serde_json::from_str(PYTHON_PAID_CONFIRM).unwrap();
    let changed = |field: &str, value: Value| {
        let mut body = paid.clone();
        body[field] = value;
        body.to_string()
    };
    let cases: [(&str, String); 11] = [
        ("another amount", changed("SoTien", json!(1_000))),
        ("another result", changed("MaLoi", json!("24"))),
        ("another payment", changed("MaThamChieu", json!("HP1"))),
        (
            "another transaction",
            changed("MaGiaoDich", json!("DVC0002")),
        ),
        ("another bank", changed("MaNganHang", json!("BIDV"))),
        (
            "another time",
            changed("ThoiGianGD", json!("20240901101501")),
        ),
        (
            "another text",
            changed("ThongTinGiaoDich", json!("Thanh toan hoc phi")),
        ),
        ("another message type", changed("LoaiBanTin", json!("INIT"))),
        ("another currency", changed("MaTienTe", json!("USD"))),
        (
            "a checksum over nothing",
            changed(
                "MaXacThuc",
                json!(wire::ma_xac_thuc(&[], &Secret::new(KEY).unwrap())),
            ),
        ),
        ("a field left out", {
            let mut body = paid.clone();
            body.as_object_mut().unwrap().remove("MaNganHang");
            body.to_string()
        }),
    ];
    let other_key = Dvcqg::new(DvcqgConfig {
        hash_key: Secret::new("ANOTHERKEYANOTHERKEYANOTHERKEY01").unwrap(),
        ..config()
    })
    .unwrap();
    for (case, body) in &cases {
        assert!(
            matches!(
                dvcqg().verify_confirm(body.as_bytes()),
                Err(VerifyError::BadSignature)
            ),
            "{case}"
        );
    }
    assert!(matches!(
        other_key.verify_confirm(PYTHON_PAID_CONFIRM.as_bytes()),
        Err(VerifyError::BadSignature)
    ));
}

#[test]
fn a_confirm_without_a_well_formed_checksum_or_that_is_not_one_json_message_is_rejected() {
    let paid: Value = serde_json::from_str(PYTHON_PAID_CONFIRM).unwrap();
    let with_checksum = |value: Value| {
        let mut body = paid.clone();
        body["MaXacThuc"] = value;
        body.to_string()
    };
    let duplicated = PYTHON_PAID_CONFIRM.replacen(
        r#""SoTien":1500000,"#,
        r#""SoTien":1500000,"SoTien":1000,"#,
        1,
    );
    let cases: [(&str, String, IsVerifyError); 7] = [
        ("no checksum", with_checksum(Value::Null), |e| {
            matches!(e, VerifyError::MissingSignature)
        }),
        ("an empty checksum", with_checksum(json!(" ")), |e| {
            matches!(e, VerifyError::MissingSignature)
        }),
        ("a short checksum", with_checksum(json!("abc123")), |e| {
            matches!(e, VerifyError::MalformedSignature)
        }),
        (
            "a checksum that is not hex",
            with_checksum(json!("z".repeat(64))),
            |e| matches!(e, VerifyError::MalformedSignature),
        ),
        ("a duplicated field", duplicated, |e| {
            matches!(e, VerifyError::NotJson(_))
        }),
        ("not JSON", "MaLoi=00".to_owned(), |e| {
            matches!(e, VerifyError::NotJson(_))
        }),
        (
            "a number where text is signed",
            paid.to_string().replace(r#""MaLoi":"00""#, r#""MaLoi":0"#),
            |e| matches!(e, VerifyError::NotJson(_)),
        ),
    ];
    for (case, body, expected) in &cases {
        let err = dvcqg().verify_confirm(body.as_bytes()).unwrap_err();
        assert!(expected(&err), "{case}: {err}");
    }
}

#[test]
fn a_genuine_confirm_with_unusable_values_gets_the_answer_its_error_maps_to() {
    let cases: [(&str, Value, IsVerifyError); 8] = [
        ("another partner", json!({"MaDoiTac": "OTHER"}), |e| {
            matches!(e, VerifyError::WrongMerchant)
        }),
        (
            "a reference hocphi never issues",
            json!({"MaThamChieu": "HP-1/2"}),
            |e| matches!(e, VerifyError::UnknownReference),
        ),
        ("no reference", json!({"MaThamChieu": ""}), |e| {
            matches!(e, VerifyError::MissingField("MaThamChieu"))
        }),
        ("a zero amount", json!({"SoTien": 0}), |e| {
            matches!(e, VerifyError::InvalidAmount)
        }),
        ("a fractional amount", json!({"SoTien": "1500000.5"}), |e| {
            matches!(e, VerifyError::InvalidAmount)
        }),
        (
            "a paid result without a transaction",
            json!({"MaGiaoDich": ""}),
            |e| matches!(e, VerifyError::MissingField("MaGiaoDich")),
        ),
        (
            "a transaction number with spaces",
            json!({"MaGiaoDich": "DVC 1"}),
            |e| matches!(e, VerifyError::InvalidField("MaGiaoDich")),
        ),
        (
            "a result code that is not a code",
            json!({"MaLoi": "0-0"}),
            |e| matches!(e, VerifyError::InvalidField("MaLoi")),
        ),
    ];
    for (case, overrides, expected) in &cases {
        let err = dvcqg()
            .verify_confirm(&signed_confirm(overrides.clone()))
            .unwrap_err();
        assert!(expected(&err), "{case}: {err}");
    }
    let err = dvcqg()
        .verify_confirm(&signed_confirm(json!({"MaThamChieu": "HP-1/2"})))
        .unwrap_err();
    assert_eq!(
        CallbackOutcome::from_rejection(&err),
        CallbackOutcome::UnknownPayment
    );
}

#[test]
fn every_outcome_gets_its_reply_and_only_a_handled_confirm_gets_00() {
    let cases = [
        (CallbackOutcome::Recorded, 200, "00"),
        (CallbackOutcome::AlreadyFinal, 200, "00"),
        (CallbackOutcome::NotFinal, 200, "00"),
        (CallbackOutcome::UnknownPayment, 200, "01"),
        (CallbackOutcome::AmountMismatch, 200, "04"),
        (CallbackOutcome::Rejected, 400, "97"),
        (CallbackOutcome::Unavailable, 500, "99"),
    ];
    for (outcome, status, code) in cases {
        let reply = Gateway::Dvcqg(dvcqg()).acknowledge(outcome);
        let body: Value = serde_json::from_str(&reply.body).unwrap();

        assert_eq!(reply.status, status, "{outcome:?}");
        assert_eq!(body["MaLoi"], code, "{outcome:?}");
        assert_eq!(body["MaDoiTac"], PARTNER, "{outcome:?}");
        assert!(!body["MoTaLoi"].as_str().unwrap().is_empty(), "{outcome:?}");
        assert_eq!(reply.content_type, Some("application/json; charset=utf-8"));
    }
}

#[test]
fn the_status_check_names_the_transaction_as_init_did_and_is_signed_as_python_signs_it() {
    let request = dvcqg().query_request(&payment(), &query_context()).unwrap();

    let body = body_of(&request);
    assert_eq!(request.url, format!("{ENDPOINT}/query"));
    assert_eq!(request.timeout, crate::QUERY_TIMEOUT);
    assert_eq!(body["LoaiBanTin"], "QUERY");
    assert_eq!(body["PhienBan"], "1.0.6");
    assert_eq!(body["MaDoiTac"], PARTNER);
    assert_eq!(body["MaThamChieu"], REFERENCE);
    assert_eq!(body["ThoiGianGD"], "20240901101010");
    assert_eq!(body["MaXacThuc"], PYTHON_QUERY);
    assert!(matches!(
        dvcqg().query_request(
            &testkit::payment(REFERENCE, 1_000, GatewayKind::Vnpay),
            &query_context()
        ),
        Err(QueryError::WrongGateway { .. })
    ));
}

#[test]
fn each_trang_thai_gd_means_what_the_provincial_implementation_says() {
    let base = json!({"MaLoi": "00", "MaDoiTac": PARTNER, "MaThamChieu": REFERENCE,
        "SoTien": 1_500_000, "MaTienTe": "VND", "MaGiaoDich": "DVC0001",
        "ThoiGianGD": "20240901101500"});
    let with = |state: Value| {
        let mut body = base.clone();
        body["TrangThaiGD"] = state;
        body.to_string()
    };
    let code = |c: &str| GatewayCode::parse(c).unwrap();
    let cases = [
        (
            with(json!("1")),
            QueryStatus::Paid {
                txn: GatewayTxnNo::parse("DVC0001").unwrap(),
                amount: Money::from_vnd(1_500_000).unwrap(),
                paid_at: Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 0).unwrap()),
            },
        ),
        (
            with(json!(1)),
            QueryStatus::Paid {
                txn: GatewayTxnNo::parse("DVC0001").unwrap(),
                amount: Money::from_vnd(1_500_000).unwrap(),
                paid_at: Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 0).unwrap()),
            },
        ),
        (
            with(json!("3")),
            QueryStatus::InProgress { code: code("3") },
        ),
        (
            with(json!("4")),
            QueryStatus::Failed {
                txn: Some(GatewayTxnNo::parse("DVC0001").unwrap()),
                code: code("4"),
            },
        ),
        (
            with(json!("2")),
            QueryStatus::InProgress { code: code("2") },
        ),
        (with(Value::Null), QueryStatus::Pending),
        (with(json!("")), QueryStatus::Pending),
    ];
    for (body, expected) in cases {
        let answer = Gateway::Dvcqg(dvcqg())
            .query_response(&payment(), body.as_bytes())
            .unwrap()
            .into_inner();
        assert_eq!(answer.status, expected, "{body}");
        assert_eq!(answer.reference.as_str(), REFERENCE);
        assert_eq!(answer.gateway, GatewayKind::Dvcqg);
    }
}

#[test]
fn a_status_answer_about_someone_else_or_unusable_is_refused() {
    let paid = json!({"MaLoi": "00", "MaDoiTac": PARTNER, "MaThamChieu": REFERENCE,
        "TrangThaiGD": "1", "SoTien": "1500000", "MaGiaoDich": "DVC0001"});
    let changed = |field: &str, value: Value| {
        let mut body = paid.clone();
        body[field] = value;
        body.to_string()
    };
    let without = |field: &str| {
        let mut body = paid.clone();
        body.as_object_mut().unwrap().remove(field);
        body.to_string()
    };
    let cases: [(&str, String, IsQueryError); 11] = [
        ("paid, naming no partner", without("MaDoiTac"), |e| {
            matches!(e, QueryError::WrongMerchant)
        }),
        ("paid, naming no payment", without("MaThamChieu"), |e| {
            matches!(e, QueryError::WrongPayment)
        }),
        (
            "paid, naming an empty payment",
            changed("MaThamChieu", json!("")),
            |e| matches!(e, QueryError::WrongPayment),
        ),
        (
            "another partner",
            changed("MaDoiTac", json!("OTHER")),
            |e| matches!(e, QueryError::WrongMerchant),
        ),
        (
            "another payment",
            changed("MaThamChieu", json!("HP1")),
            |e| matches!(e, QueryError::WrongPayment),
        ),
        (
            "a refused check",
            changed("MaLoi", json!("07")),
            |e| matches!(e, QueryError::Refused { code } if code == "07"),
        ),
        ("no result code", changed("MaLoi", Value::Null), |e| {
            matches!(e, QueryError::InvalidField("MaLoi"))
        }),
        (
            "paid without an amount",
            changed("SoTien", Value::Null),
            |e| matches!(e, QueryError::InvalidField("SoTien")),
        ),
        (
            "paid without a transaction",
            changed("MaGiaoDich", json!("")),
            |e| matches!(e, QueryError::InvalidField("MaGiaoDich")),
        ),
        (
            "paid in another currency",
            changed("MaTienTe", json!("USD")),
            |e| matches!(e, QueryError::InvalidField("MaTienTe")),
        ),
        ("not JSON", "<html>".to_owned(), |e| {
            matches!(e, QueryError::Malformed(_))
        }),
    ];
    for (case, body, expected) in &cases {
        let err = dvcqg()
            .query_response(&payment(), body.as_bytes())
            .unwrap_err();
        assert!(expected(&err), "{case}: {err}");
    }
    assert!(matches!(
        dvcqg().query_response(
            &testkit::payment(REFERENCE, 1_000, GatewayKind::Momo),
            paid.to_string().as_bytes()
        ),
        Err(QueryError::WrongGateway { .. })
    ));
}

#[test]
fn the_configuration_is_checked_at_start_up() {
    let cases = [
        ("partner code", "", ENDPOINT),
        ("partner code", "HOC PHI", ENDPOINT),
        ("partner code", &"A".repeat(51), ENDPOINT),
        ("endpoint", PARTNER, "http://thanhtoan.example.vn"),
        ("endpoint", PARTNER, "https://thanhtoan.example.vn/api?x=1"),
        ("endpoint", PARTNER, ""),
    ];
    for (case, partner_code, endpoint) in cases {
        let result = Dvcqg::new(DvcqgConfig {
            partner_code: partner_code.to_owned(),
            hash_key: Secret::new(KEY).unwrap(),
            endpoint: endpoint.to_owned(),
        });
        assert!(
            matches!(result, Err(ConfigError::Invalid { .. })),
            "{case}: {partner_code:?} {endpoint:?}"
        );
    }
    let local = Dvcqg::new(DvcqgConfig {
        endpoint: "http://127.0.0.1:8080/sim/dvcqg/".into(),
        ..config()
    })
    .unwrap();
    assert_eq!(local.partner_code(), PARTNER);
    assert!(!format!("{local:?}").contains(KEY), "the key never prints");
}
