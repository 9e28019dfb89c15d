//! MoMo adapter tests. Vectors marked Node were computed with Node 20's `crypto.createHmac('sha256')`
//! over the raw strings MoMo's samples build, using MoMo's public sandbox keys; the create vector
//! was also checked with PHP's `hash_hmac('sha256', …)`.

use chrono::{TimeZone, Utc};
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money};
use serde_json::{Value, json};

use super::*;
use crate::testkit::{self, MOMO_ACCESS_KEY, MOMO_PARTNER, MOMO_SECRET};
use crate::{CallbackOutcome, Checkout, Gateway, RawCallback};

const REFERENCE: &str = "HP240901031010ABCD2345";

/// Node: the create signature for [`REFERENCE`], 1.500.000 ₫, captureWallet.
const NODE_CREATE_SIGNATURE: &str =
    "1218b0e071f6a9829b2b9f29d848220900734c7d03b438ac3c2bb4062fe6ea81";

/// Node: a paid IPN (resultCode 0) with Vietnamese text in `orderInfo` and `message`.
const NODE_PAID_IPN: &str = r#"{"partnerCode":"MOMO","orderId":"HP240901031010ABCD2345","requestId":"HP240901031010ABCD2345","amount":1500000,"orderInfo":"Học phí HK1 – Nguyễn V. A.","orderType":"momo_wallet","transId":4088878653,"resultCode":0,"message":"Thành công.","payType":"qr","responseTime":1725160510000,"extraData":"","signature":"1698a58fecd10728103e4650cded0f79adb0d1ce4c17be63b499a5ce938e1b45"}"#;

/// Node: a pending IPN (resultCode 1000, empty payType).
const NODE_PENDING_IPN: &str = r#"{"partnerCode":"MOMO","orderId":"HP240901031010ABCD2345","requestId":"HP240901031010ABCD2345","amount":1500000,"orderInfo":"Học phí HK1 – Nguyễn V. A.","orderType":"momo_wallet","transId":4088878654,"resultCode":1000,"message":"Giao dịch đã được khởi tạo, chờ người dùng xác nhận thanh toán.","payType":"","responseTime":1725160510000,"extraData":"","signature":"8459743163b9b81e89bfa22d24ab6eaedc9a482cf493e93d66e5b5c75ac41acc"}"#;

/// Node: a declined IPN (resultCode 1006, the user declined).
const NODE_DECLINED_IPN: &str = r#"{"partnerCode":"MOMO","orderId":"HP240901031010ABCD2345","requestId":"HP240901031010ABCD2345","amount":1500000,"orderInfo":"Học phí HK1 – Nguyễn V. A.","orderType":"momo_wallet","transId":4088878655,"resultCode":1006,"message":"Giao dịch thất bại do người dùng đã từ chối xác nhận thanh toán.","payType":"qr","responseTime":1725160510000,"extraData":"","signature":"c956cbe7c104644022a30788c633a6edad8ef23e36c345bddf81e0e585e45b9c"}"#;

/// Node: the query signature for request id 00112233…eeff.
const NODE_QUERY_SIGNATURE: &str =
    "2c22cf87e412ccd3bfc2ba477bd1387a480ce4635b134ce386f7a0e921bdb493";

const SIGNED_FIELDS: [&str; 12] = [
    "amount",
    "extraData",
    "message",
    "orderId",
    "orderInfo",
    "orderType",
    "partnerCode",
    "payType",
    "requestId",
    "responseTime",
    "resultCode",
    "transId",
];

fn payment() -> hocphi_domain::Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Momo)
}

fn momo_with_access_key(access_key: &str) -> Momo {
    Momo::new(MomoConfig {
        partner_code: MOMO_PARTNER.to_owned(),
        access_key: access_key.to_owned(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: Momo::SANDBOX_ENDPOINT.to_owned(),
        ipn_url: "https://hocphi.example.vn/api/callbacks/momo".to_owned(),
        request_type: RequestType::CaptureWallet,
    })
    .unwrap()
}

/// An IPN body signed by this crate, for tests about what happens after the signature.
fn signed_ipn(overrides: Value) -> Vec<u8> {
    let momo = testkit::momo();
    let mut body: Value = serde_json::from_str(NODE_PAID_IPN).unwrap();
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    let ipn: Ipn = serde_json::from_value(body.clone()).unwrap();
    body["signature"] = json!(
        momo.key
            .sign_hex(momo.ipn_message(&IpnFields::of(&ipn)).as_bytes())
    );
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn the_create_request_is_signed_as_node_signs_it_in_momos_field_order() {
    // Arrange
    let momo = testkit::momo();
    let ctx = testkit::checkout_context("Học phí HK1 2024-2025 – Nguyễn V. A.");

    // Act
    let request = momo.create_request(&payment(), &ctx).unwrap();

    // Assert
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://test-payment.momo.vn/v2/gateway/api/create"
    );
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["signature"], NODE_CREATE_SIGNATURE);
    assert_eq!(body["amount"], json!(1_500_000));
    assert_eq!(body["orderId"], REFERENCE);
    assert_eq!(body["requestId"], REFERENCE);
    assert_eq!(body["orderInfo"], "Hoc phi HK1 2024-2025 Nguyen V. A.");
    assert_eq!(body["requestType"], "captureWallet");
    assert_eq!(body["lang"], "vi");
    assert_eq!(body["extraData"], "");
    assert!(
        body.get("accessKey").is_none(),
        "the access key is never sent"
    );
}

#[test]
fn an_ipn_signed_by_node_verifies_as_paid() {
    let notification = testkit::momo()
        .verify_ipn(NODE_PAID_IPN.as_bytes())
        .unwrap();
    assert_eq!(notification.gateway, GatewayKind::Momo);
    assert_eq!(notification.reference.as_str(), REFERENCE);
    assert_eq!(notification.amount, Money::from_vnd(1_500_000).unwrap());
    assert_eq!(
        notification.paid_at,
        Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 10).unwrap())
    );
    assert_eq!(
        notification.event(),
        Some(&GatewayEvent::Paid {
            txn: GatewayTxnNo::parse("4088878653").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
        })
    );
}

#[test]
fn the_access_key_in_the_signature_comes_from_configuration_never_from_the_body() {
    let mut body: Value = serde_json::from_str(NODE_PAID_IPN).unwrap();
    body["accessKey"] = json!("ATTACKERKEY1");
    let with_body_key = serde_json::to_vec(&body).unwrap();
    assert!(
        testkit::momo().verify_ipn(&with_body_key).is_ok(),
        "a body's accessKey is ignored"
    );
    let other = momo_with_access_key("ATTACKERKEY1");
    assert!(matches!(
        other.verify_ipn(NODE_PAID_IPN.as_bytes()),
        Err(VerifyError::BadSignature)
    ));
}

#[test]
fn changing_removing_or_duplicating_any_signed_field_is_rejected() {
    let momo = testkit::momo();
    let original: Value = serde_json::from_str(NODE_PAID_IPN).unwrap();
    for name in SIGNED_FIELDS {
        let mut changed = original.clone();
        changed[name] = match &original[name] {
            Value::Number(n) => json!(n.as_u64().unwrap() + 1),
            Value::String(s) => json!(format!("{s}x")),
            other => panic!("{name}: {other}"),
        };
        let mut removed = original.clone();
        removed.as_object_mut().unwrap().remove(name);
        let duplicated =
            NODE_PAID_IPN.replacen('{', &format!("{{\"{name}\":{},", original[name]), 1);
        // A field that is absent counts as empty, as in MoMo's samples; removing one that was
        // already empty leaves the signed string unchanged, so only non-empty ones are tampering.
        let removal = if original[name] == json!("") {
            "Verified"
        } else {
            "BadSignature"
        };
        let cases = [
            (
                "changed",
                serde_json::to_string(&changed).unwrap(),
                "BadSignature",
            ),
            ("removed", serde_json::to_string(&removed).unwrap(), removal),
            ("duplicated", duplicated, "NotJson"),
        ];
        for (how, body, expected) in cases {
            let result = format!("{:?}", momo.verify_ipn(body.as_bytes()));
            assert!(
                result.starts_with(&format!("Ok({expected}"))
                    || result.starts_with(&format!("Err({expected}")),
                "{name} {how}: {result}"
            );
        }
    }
}

#[test]
fn the_signature_is_accepted_in_either_case_and_refused_when_absent_or_malformed() {
    let momo = testkit::momo();
    let signature = "1698a58fecd10728103e4650cded0f79adb0d1ce4c17be63b499a5ce938e1b45";
    let upper = NODE_PAID_IPN.replace(signature, &signature.to_uppercase());
    assert!(momo.verify_ipn(upper.as_bytes()).is_ok());
    let cases = [
        (NODE_PAID_IPN.replace(signature, ""), "MissingSignature"),
        (
            NODE_PAID_IPN.replace(&format!(",\"signature\":\"{signature}\""), ""),
            "MissingSignature",
        ),
        (
            NODE_PAID_IPN.replace(signature, &signature[..60]),
            "MalformedSignature",
        ),
        (
            NODE_PAID_IPN.replace(signature, &"z".repeat(64)),
            "MalformedSignature",
        ),
        ("".to_owned(), "NotJson"),
        ("vnp_Amount=1".to_owned(), "NotJson"),
    ];
    for (body, expected) in cases {
        let error = momo.verify_ipn(body.as_bytes()).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{body}: {error:?}"
        );
    }
}

#[test]
fn non_final_codes_change_nothing_and_final_failures_decline() {
    let momo = testkit::momo();
    let pending = momo.verify_ipn(NODE_PENDING_IPN.as_bytes()).unwrap();
    assert_eq!(
        pending.outcome,
        Outcome::NotFinal {
            code: GatewayCode::parse("1000").unwrap()
        }
    );
    assert_eq!(pending.event(), None);
    let declined = momo.verify_ipn(NODE_DECLINED_IPN.as_bytes()).unwrap();
    assert_eq!(
        declined.event(),
        Some(&GatewayEvent::Declined {
            txn: Some(GatewayTxnNo::parse("4088878655").unwrap()),
            code: GatewayCode::parse("1006").unwrap(),
        })
    );
}

#[test]
fn every_result_class_yields_its_outcome() {
    let momo = testkit::momo();
    let cases = [
        (0, "paid"),
        (9000, "not final"),
        (7000, "not final"),
        (7002, "not final"),
        (8000, "not final"),
        (1000, "not final"),
        (21, "not final"),
        (4321, "not final"),
        (1001, "declined"),
        (1005, "declined"),
        (1006, "declined"),
        (99, "declined"),
    ];
    for (code, expected) in cases {
        let body = signed_ipn(json!({ "resultCode": code }));
        let outcome = momo.verify_ipn(&body).unwrap().into_inner().outcome;
        let actual = match outcome {
            Outcome::Final(GatewayEvent::Paid { .. }) => "paid",
            Outcome::Final(GatewayEvent::Declined { .. }) => "declined",
            Outcome::NotFinal { .. } => "not final",
        };
        assert_eq!(actual, expected, "resultCode {code}");
    }
}

#[test]
fn signed_but_unusable_fields_are_rejected_with_the_reason() {
    let momo = testkit::momo();
    let cases = [
        (json!({ "partnerCode": "MOMOOTHER" }), "WrongMerchant"),
        (json!({ "orderId": "HP-0001" }), "UnknownReference"),
        (json!({ "orderId": "" }), "MissingField(\"orderId\")"),
        (json!({ "amount": "15000.5" }), "InvalidAmount"),
        (json!({ "amount": 0 }), "InvalidAmount"),
        (json!({ "resultCode": "" }), "MissingField(\"resultCode\")"),
        (json!({ "transId": 0 }), "MissingField(\"transId\")"),
        (json!({ "transId": "12ab" }), "InvalidField(\"transId\")"),
    ];
    for (overrides, expected) in cases {
        let error = momo.verify_ipn(&signed_ipn(overrides.clone())).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{overrides}: {error:?}"
        );
    }
}

#[test]
fn the_ipn_reply_is_204_without_a_body_once_handled() {
    let table = [
        (CallbackOutcome::Recorded, 204),
        (CallbackOutcome::AlreadyFinal, 204),
        (CallbackOutcome::UnknownPayment, 204),
        (CallbackOutcome::AmountMismatch, 204),
        (CallbackOutcome::NotFinal, 204),
        (CallbackOutcome::Rejected, 400),
        (CallbackOutcome::Unavailable, 500),
    ];
    for (outcome, status) in table {
        let reply = Momo::reply(outcome);
        assert_eq!(reply.status, status, "{outcome:?}");
        assert_eq!(reply.content_type, None);
        assert!(reply.body.is_empty());
    }
}

#[test]
fn the_redirect_query_verifies_with_the_same_signature() {
    let momo = testkit::momo();
    let body: Value = serde_json::from_str(NODE_PAID_IPN).unwrap();
    let pairs: Vec<(String, String)> = body
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let notice = momo.verify_return(&query).unwrap();
    assert_eq!(notice.notification.reference.as_str(), REFERENCE);
    let tampered = query.replace("amount=1500000", "amount=1000");
    assert!(matches!(
        momo.verify_return(&tampered),
        Err(VerifyError::BadSignature)
    ));
    let doubled = format!("{query}&amount=1500000");
    assert!(matches!(
        momo.verify_return(&doubled),
        Err(VerifyError::DuplicateField(name)) if name == "amount"
    ));
}

#[test]
fn the_create_answer_yields_the_pay_url_only_for_this_order_and_amount() {
    let momo = testkit::momo();
    let ok = json!({
        "partnerCode": "MOMO", "orderId": REFERENCE, "requestId": REFERENCE, "amount": 1_500_000,
        "responseTime": 1_725_160_500_000_u64, "message": "Thành công.", "resultCode": 0,
        "payUrl": "https://test-payment.momo.vn/v2/gateway/pay?t=abc"
    });
    let with = |patch: Value| {
        let mut body = ok.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        serde_json::to_vec(&body).unwrap()
    };
    assert_eq!(
        momo.create_response(&payment(), &with(json!({}))).unwrap(),
        "https://test-payment.momo.vn/v2/gateway/pay?t=abc"
    );
    let cases = [
        (json!({ "resultCode": 41 }), "Refused"),
        (json!({ "orderId": "HP1" }), "Mismatch"),
        (json!({ "amount": 1_000_000 }), "Mismatch"),
        (json!({ "partnerCode": "OTHER" }), "Mismatch"),
        (json!({ "payUrl": null }), "Mismatch"),
        (json!({ "payUrl": "javascript:alert(1)" }), "Mismatch"),
    ];
    for (patch, expected) in cases {
        let error = momo
            .create_response(&payment(), &with(patch.clone()))
            .unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{patch}: {error:?}"
        );
    }
    assert!(matches!(
        momo.create_response(&payment(), b"<html>"),
        Err(CheckoutError::Malformed(_))
    ));
}

#[test]
fn checkout_respects_the_methods_amount_limits_and_the_payments_state() {
    let momo = testkit::momo();
    let ctx = testkit::checkout_context("Hoc phi");
    let cases = [
        (
            testkit::payment(REFERENCE, 999, GatewayKind::Momo),
            "AmountOutOfRange",
        ),
        (
            testkit::payment(REFERENCE, 50_000_001, GatewayKind::Momo),
            "AmountOutOfRange",
        ),
        (
            testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay),
            "WrongGateway",
        ),
    ];
    for (payment, expected) in cases {
        let error = momo.create_request(&payment, &ctx).unwrap_err();
        assert!(format!("{error:?}").starts_with(expected), "{error:?}");
    }
    let late = CheckoutContext {
        now: payment().expires_at,
        ..ctx
    };
    assert!(matches!(
        momo.create_request(&payment(), &late),
        Err(CheckoutError::Expired)
    ));
    assert_eq!(RequestType::PayWithAtm.limits(), (10_000, 50_000_000));
    assert_eq!(RequestType::PayWithCc.limits(), (1_000, 10_000_000));
}

fn query_context() -> crate::QueryContext {
    crate::QueryContext {
        request_entropy: [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ],
        server_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        now: testkit::created_at(),
    }
}

#[test]
fn the_query_request_is_signed_as_node_signs_it() {
    let request = testkit::momo()
        .query_request(&payment(), &query_context())
        .unwrap();
    assert_eq!(
        request.url,
        "https://test-payment.momo.vn/v2/gateway/api/query"
    );
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["signature"], NODE_QUERY_SIGNATURE);
    assert_eq!(body["requestId"], "00112233445566778899aabbccddeeff");
    assert_eq!(body["orderId"], REFERENCE);
}

#[test]
fn every_query_answer_maps_to_a_status_or_a_refusal() {
    let momo = testkit::momo();
    let answer = |code: u64, patch: Value| {
        let mut body = json!({
            "partnerCode": "MOMO", "orderId": REFERENCE, "requestId": "x", "amount": 1_500_000,
            "transId": 4_088_878_653_u64, "resultCode": code, "message": "", "responseTime": 1
        });
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        serde_json::to_vec(&body).unwrap()
    };
    let txn = GatewayTxnNo::parse("4088878653").unwrap();
    let table = [
        (
            0,
            QueryStatus::Paid {
                txn: txn.clone(),
                amount: Money::from_vnd(1_500_000).unwrap(),
                paid_at: None,
            },
        ),
        (
            1006,
            QueryStatus::Failed {
                txn: Some(txn),
                code: GatewayCode::parse("1006").unwrap(),
            },
        ),
        (1000, QueryStatus::Pending),
        (42, QueryStatus::NotFound),
    ];
    let in_progress = [7000, 7002, 8000, 9000, 8888].map(|code| {
        let status = QueryStatus::InProgress {
            code: GatewayCode::parse(&code.to_string()).unwrap(),
        };
        (code, status)
    });
    let table: Vec<_> = table.into_iter().chain(in_progress).collect();
    for (code, expected) in table {
        let status = momo
            .query_response(&payment(), &answer(code, json!({})))
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, expected, "resultCode {code}");
    }
    let errors = [
        (answer(11, json!({})), "Refused"),
        (
            answer(0, json!({ "partnerCode": "OTHER" })),
            "WrongMerchant",
        ),
        (answer(0, json!({ "orderId": "HP1" })), "WrongPayment"),
        (
            answer(0, json!({ "amount": "abc" })),
            "InvalidField(\"amount\")",
        ),
        (b"{}".to_vec(), "Malformed"),
    ];
    for (body, expected) in errors {
        let error = momo.query_response(&payment(), &body).unwrap_err();
        assert!(format!("{error:?}").starts_with(expected), "{error:?}");
    }
}

#[test]
fn a_partner_is_configured_only_with_valid_credentials_and_urls() {
    let config = |partner: &str, access: &str, endpoint: &str, ipn: &str| MomoConfig {
        partner_code: partner.to_owned(),
        access_key: access.to_owned(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: endpoint.to_owned(),
        ipn_url: ipn.to_owned(),
        request_type: RequestType::PayWithMethod,
    };
    let ipn = "https://hocphi.example.vn/api/callbacks/momo";
    assert!(
        Momo::new(config(
            MOMO_PARTNER,
            MOMO_ACCESS_KEY,
            "https://test-payment.momo.vn/",
            ipn
        ))
        .is_ok()
    );
    let cases = [
        config("", MOMO_ACCESS_KEY, Momo::SANDBOX_ENDPOINT, ipn),
        config("MO MO", MOMO_ACCESS_KEY, Momo::SANDBOX_ENDPOINT, ipn),
        config(MOMO_PARTNER, "", Momo::SANDBOX_ENDPOINT, ipn),
        config(MOMO_PARTNER, "short", Momo::SANDBOX_ENDPOINT, ipn),
        config(
            MOMO_PARTNER,
            MOMO_ACCESS_KEY,
            "http://test-payment.momo.vn",
            ipn,
        ),
        config(
            MOMO_PARTNER,
            MOMO_ACCESS_KEY,
            Momo::SANDBOX_ENDPOINT,
            "http://hocphi.example.vn/ipn",
        ),
    ];
    for case in cases {
        let described = format!("{case:?}");
        assert!(Momo::new(case).is_err(), "{described}");
    }
    let debug = format!("{:?}", testkit::momo());
    assert!(
        !debug.contains(MOMO_ACCESS_KEY) && !debug.contains(MOMO_SECRET),
        "{debug}"
    );
}

#[test]
fn the_gateway_enum_dispatches_every_operation_to_momo() {
    let gateway = Gateway::Momo(testkit::momo());
    let checkout = gateway
        .checkout(&payment(), &testkit::checkout_context("Hoc phi"))
        .unwrap();
    assert!(
        matches!(&checkout, Checkout::Call(request) if request.url.ends_with("/v2/gateway/api/create"))
    );
    let verified = gateway
        .verify(RawCallback {
            query: "",
            body: NODE_PAID_IPN.as_bytes(),
            path_param: None,
        })
        .unwrap();
    assert_eq!(verified.reference.as_str(), REFERENCE);
    assert_eq!(gateway.acknowledge(CallbackOutcome::Recorded).status, 204);
    assert_eq!(gateway.kind(), GatewayKind::Momo);
    assert!(gateway.query_request(&payment(), &query_context()).is_ok());
}

#[test]
fn the_momo_link_expires_no_later_than_its_payment() {
    let momo = testkit::momo();
    let payment = payment();
    for seconds_left in [15 * 60 - 1, 10 * 60 + 30, 5 * 60, 2 * 60 + 1] {
        let mut ctx = testkit::checkout_context("Học phí");
        ctx.now = payment.expires_at - chrono::Duration::seconds(seconds_left);

        let request = momo.create_request(&payment, &ctx).unwrap();

        let body: Value = serde_json::from_str(&request.body).unwrap();
        let minutes = body["orderExpireTime"]
            .as_i64()
            .unwrap_or_else(|| panic!("the create request carries orderExpireTime: {body}"));
        let link_expires = ctx.now + chrono::Duration::minutes(minutes);
        assert!(minutes >= 1, "{seconds_left} s left: {minutes} min");
        assert!(
            link_expires <= payment.expires_at,
            "{seconds_left} s left: the link would outlive the payment by {}",
            link_expires - payment.expires_at
        );
    }
}

#[test]
fn a_link_with_less_than_a_minute_left_is_refused() {
    let momo = testkit::momo();
    let payment = payment();
    let mut ctx = testkit::checkout_context("Học phí");
    ctx.now = payment.expires_at - chrono::Duration::seconds(84);

    let refused = momo.create_request(&payment, &ctx).unwrap_err();

    assert!(matches!(refused, CheckoutError::Expired), "{refused:?}");
}

#[test]
fn the_create_call_may_take_25_seconds_and_a_query_15() {
    let momo = testkit::momo();
    let payment = payment();
    let create = momo
        .create_request(&payment, &testkit::checkout_context("Học phí"))
        .unwrap();
    let ctx = QueryContext {
        request_entropy: [7; 16],
        server_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        now: testkit::created_at(),
    };
    let query = momo.query_request(&payment, &ctx).unwrap();

    assert_eq!(create.timeout, std::time::Duration::from_secs(25));
    assert_eq!(query.timeout, crate::QUERY_TIMEOUT);
}

#[test]
fn each_method_exposes_momos_documented_limits() {
    let cases = [
        (RequestType::CaptureWallet, (1_000, 50_000_000)),
        (RequestType::PayWithMethod, (1_000, 50_000_000)),
        (RequestType::PayWithAtm, (10_000, 50_000_000)),
        (RequestType::PayWithCc, (1_000, 10_000_000)),
    ];
    for (method, limits) in cases {
        assert_eq!(method.limits(), limits, "{method:?}");
    }
    assert_eq!(
        Gateway::Momo(testkit::momo()).amount_limits(),
        Some((1_000, 50_000_000))
    );
}
