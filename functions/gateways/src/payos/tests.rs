use chrono::{Duration, TimeZone, Utc};
use hocphi_domain::{GatewayKind, PayeeId, Payment};
use serde_json::{Value, json};

use super::*;
use crate::testkit;
use signed::RawObject;
use signed::reference::SignedObject;
use vietqr::{VietQr, VietQrError, crc16_ccitt_false};
use wire::Transaction;

/// The checksum key of payOS's documented webhook sample (payos.vn/docs, "Webhook").
const DOCS_KEY: &str = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675";
/// The documented sample's signature.
const DOCS_SIGNATURE: &str = "412e915d2871504ed31be63c8f62a149a4410d34c4c42affc9006ef9917eaa03";
/// A payOS reference created at [`testkit::created_at`], and its order code.
const REFERENCE: &str = "HP240901031010ABCD";
const ORDER_CODE: u64 = 718_938_389_119_636;

fn docs_data() -> Value {
    json!({"orderCode":123,"amount":3000,"description":"VQRIO123","accountNumber":"12345678",
        "reference":"TF230204212323","transactionDateTime":"2023-02-04 18:25:00","currency":"VND",
        "paymentLinkId":"124c33293c43417ab7879e14c8d9eb18","code":"00","desc":"Thành công",
        "counterAccountBankId":"","counterAccountBankName":"","counterAccountName":"",
        "counterAccountNumber":"","virtualAccountName":"","virtualAccountNumber":""})
}

/// A webhook for [`REFERENCE`] with Vietnamese text, a `null` and the strings "null" and
/// "undefined". Its signature was computed by payOS's Node SDK, `@payos/node` 2.0.5,
/// `NodeCryptoProvider.createSignatureFromObj(data, DOCS_KEY)`.
fn sdk_webhook_data() -> Value {
    json!({"orderCode":ORDER_CODE,"amount":1500000,"description":"HP240901031010ABCD",
        "accountNumber":"0123456789","reference":"FT24245123456",
        "transactionDateTime":"2024-09-01 10:12:30","currency":"VND",
        "paymentLinkId":"9a1b2c3d4e5f60718293a4b5c6d7e8f9","code":"00","desc":"Thành công",
        "counterAccountBankId":"970436",
        "counterAccountBankName":"Ngân hàng TMCP Ngoại thương Việt Nam",
        "counterAccountName":"NGUYỄN VĂN AN","counterAccountNumber":null,
        "virtualAccountName":"null","virtualAccountNumber":"undefined"})
}
const SDK_WEBHOOK_SIGNATURE: &str =
    "7e0f8c3c992434e9f19c4cdcb39b8351b99db83a7de080320cfd901ce415967c";

/// A link's information with an array of transactions, a float and a boolean; signed by
/// `@payos/node` 2.0.5 as above.
fn sdk_query_data() -> Value {
    json!({"id":"9a1b2c3d4e5f60718293a4b5c6d7e8f9","orderCode":ORDER_CODE,"amount":1500000,
        "amountPaid":1500000,"amountRemaining":0,"status":"PAID",
        "createdAt":"2024-09-01T10:10:11+07:00",
        "transactions":[{"reference":"FT24245123456","amount":1500000,
            "accountNumber":"0123456789","description":"HP240901031010ABCD chuyển khoản",
            "transactionDateTime":"2024-09-01T10:12:30+07:00","virtualAccountName":null,
            "virtualAccountNumber":null,"counterAccountBankId":"970436",
            "counterAccountBankName":null,"counterAccountName":"NGUYỄN VĂN AN",
            "counterAccountNumber":"0011001234567"}],
        "cancellationReason":null,"canceledAt":null,"ratio":1.5,"flag":true})
}
const SDK_QUERY_SIGNATURE: &str =
    "373117af39b63e480eccebb983580940d99c50227aca71063c1ffd8905c034b1";

/// `@payos/node` 2.0.5, `createSignatureOfPaymentRequest` of the create request below.
const SDK_CREATE_SIGNATURE: &str =
    "702daa5f149c34c2feeba6e09d30b882a2874b1214e77459e985281d7f65fdcf";

/// A channel on a bank account linked through payOS (the create request's vector signs the
/// whole reference as the description).
fn config() -> PayosConfig {
    PayosConfig {
        client_id: "0b7c1a8e-5f44-4a3c-9d2e-1f0a2b3c4d5e".to_owned(),
        api_key: Secret::new("6a1d3c5e-7b9f-4e2d-8c0a-123456789abc").unwrap(),
        checksum_key: Secret::new(DOCS_KEY).unwrap(),
        endpoint: wire::API_BASE.to_owned(),
        linked_account: true,
    }
}

fn payos() -> Payos {
    Payos::new(config()).unwrap()
}

fn payment(vnd: u64) -> Payment {
    testkit::payment(REFERENCE, vnd, GatewayKind::Vnpay)
}

fn envelope(data: &Value, signature: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"code":"00","desc":"success","success":true,"data":data,
        "signature":signature}),
    )
    .unwrap()
}

fn sign(data: &Value) -> String {
    let object: SignedObject = serde_json::from_value(data.clone()).unwrap();
    let key = Sha256Key::new(&Secret::new(DOCS_KEY).unwrap()).unwrap();
    key.sign_hex(object.message().unwrap().as_bytes())
}

#[test]
fn the_documented_webhook_sample_signs_to_the_documented_signature() {
    let object: SignedObject = serde_json::from_value(docs_data()).unwrap();
    assert_eq!(
        object.message().unwrap(),
        "accountNumber=12345678&amount=3000&code=00&counterAccountBankId=&counterAccountBankName=\
         &counterAccountName=&counterAccountNumber=&currency=VND&desc=Thành công\
         &description=VQRIO123&orderCode=123&paymentLinkId=124c33293c43417ab7879e14c8d9eb18\
         &reference=TF230204212323&transactionDateTime=2023-02-04 18:25:00\
         &virtualAccountName=&virtualAccountNumber="
    );
    assert_eq!(sign(&docs_data()), DOCS_SIGNATURE);
    let transfer = payos()
        .verify_webhook(&envelope(&docs_data(), DOCS_SIGNATURE))
        .unwrap();
    assert_eq!(transfer.amount, Money::from_vnd(3000).unwrap());
}

#[test]
fn signatures_computed_by_payos_node_sdk_verify() {
    assert_eq!(sign(&sdk_webhook_data()), SDK_WEBHOOK_SIGNATURE);
    assert_eq!(sign(&sdk_query_data()), SDK_QUERY_SIGNATURE);
    let transfer = payos()
        .verify_webhook(&envelope(&sdk_webhook_data(), SDK_WEBHOOK_SIGNATURE))
        .unwrap()
        .into_inner();
    assert_eq!(
        transfer,
        Transfer {
            reference: PaymentRef::parse(REFERENCE).unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
            outcome: Outcome::Final(GatewayEvent::Paid {
                txn: GatewayTxnNo::parse("FT24245123456").unwrap(),
                amount: Money::from_vnd(1_500_000).unwrap(),
            }),
            paid_at: Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 12, 30).unwrap()),
        }
    );
}

#[test]
fn any_change_to_a_signed_webhook_is_refused() {
    let good = sdk_webhook_data();
    let Value::Object(fields) = &good else {
        unreachable!()
    };
    for (name, value) in fields {
        let mut changed = good.clone();
        changed[name] = match value {
            Value::Number(n) => json!(n.as_u64().unwrap() + 1),
            Value::String(s) => json!(format!("{s}x")),
            _ => json!("x"),
        };
        let err = payos()
            .verify_webhook(&envelope(&changed, SDK_WEBHOOK_SIGNATURE))
            .unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature), "{name}: {err}");
    }
    let mut extra = good.clone();
    extra["note"] = json!("");
    let mut without = good.clone();
    without.as_object_mut().unwrap().remove("desc");
    let mut last_byte = SDK_WEBHOOK_SIGNATURE.to_owned();
    last_byte.replace_range(63.., "d");
    let mut first_byte = SDK_WEBHOOK_SIGNATURE.to_owned();
    first_byte.replace_range(..1, "0");
    let duplicated = String::from_utf8(envelope(&good, SDK_WEBHOOK_SIGNATURE))
        .unwrap()
        .replacen("\"amount\":1500000", "\"amount\":1500000,\"amount\":1", 1);
    let cases: [(Vec<u8>, &str); 12] = [
        (envelope(&extra, SDK_WEBHOOK_SIGNATURE), "BadSignature"),
        (envelope(&without, SDK_WEBHOOK_SIGNATURE), "BadSignature"),
        (envelope(&good, &last_byte), "BadSignature"),
        (envelope(&good, &first_byte), "BadSignature"),
        (
            envelope(&good, &SDK_WEBHOOK_SIGNATURE[..62]),
            "MalformedSignature",
        ),
        (
            envelope(&good, &format!("{SDK_WEBHOOK_SIGNATURE}00")),
            "MalformedSignature",
        ),
        (
            envelope(&good, &SDK_WEBHOOK_SIGNATURE.replace('e', "g")),
            "MalformedSignature",
        ),
        (envelope(&good, ""), "MissingSignature"),
        (
            br#"{"code":"00","desc":"success","signature":"ab"}"#.to_vec(),
            "MissingField",
        ),
        (duplicated.into_bytes(), "NotJson"),
        (b"code=00".to_vec(), "NotJson"),
        (
            envelope(&json!({"items":["a"]}), SDK_WEBHOOK_SIGNATURE),
            "InvalidField",
        ),
    ];
    for (body, expected) in cases {
        let err = payos().verify_webhook(&body).unwrap_err();
        assert!(
            format!("{err:?}").starts_with(expected),
            "{expected}: {err:?} for {}",
            String::from_utf8_lossy(&body)
        );
    }
    let upper = payos().verify_webhook(&envelope(&good, &SDK_WEBHOOK_SIGNATURE.to_uppercase()));
    assert!(upper.is_ok(), "a digest is compared as bytes, either case");
}

#[test]
fn a_signed_webhook_hocphi_cannot_act_on_is_refused_with_the_reason() {
    let with = |name: &str, value: Value| {
        let mut data = sdk_webhook_data();
        data[name] = value;
        let signature = sign(&data);
        payos().verify_webhook(&envelope(&data, &signature))
    };
    let cases = [
        (
            with("orderCode", json!(OrderCode::MAX + 1)),
            "UnknownReference",
        ),
        (with("orderCode", json!(u64::MAX)), "UnknownReference"),
        (with("amount", json!(0)), "InvalidAmount"),
        (with("currency", json!("USD")), "InvalidAmount"),
        (
            with("paymentLinkId", json!("")),
            "InvalidField(\"paymentLinkId\")",
        ),
        (with("amount", json!("1500000")), "NotJson"),
        (with("code", json!("")), "InvalidField(\"code\")"),
    ];
    for (result, expected) in cases {
        let err = result.unwrap_err();
        assert!(
            format!("{err:?}").starts_with(expected),
            "{expected}: {err:?}"
        );
    }
    let not_paid = with("code", json!("01")).unwrap();
    assert!(matches!(not_paid.outcome, Outcome::NotFinal { .. }));
}

#[test]
fn the_create_request_is_signed_like_the_payos_sdk_signs_it() {
    let request = payos()
        .create_request(&payment(1_500_000), &testkit::checkout_context("Học phí"))
        .unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url,
        "https://api-merchant.payos.vn/v2/payment-requests"
    );
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"orderCode":ORDER_CODE,"amount":1500000,"description":REFERENCE,
            "cancelUrl":"https://example.vn/return","returnUrl":"https://example.vn/return",
            "expiredAt":(testkit::created_at() + Duration::minutes(15)).timestamp(),
            "signature":SDK_CREATE_SIGNATURE})
    );
    let names: Vec<_> = request.headers.iter().map(|h| (h.name, h.secret)).collect();
    assert_eq!(names, [("x-client-id", false), ("x-api-key", true)]);
    let shown = format!("{request:?}");
    assert!(!shown.contains("6a1d3c5e"), "{shown}");
    assert!(shown.contains("x-api-key: ***"), "{shown}");
}

#[test]
fn a_create_request_is_refused_for_an_expired_payment_a_bad_url_or_a_long_reference() {
    let mut late = testkit::checkout_context("");
    late.now = testkit::created_at() + Duration::minutes(15);
    let mut bad_url = testkit::checkout_context("");
    bad_url.return_url = "http://example.vn/return".to_owned();
    let long = testkit::payment("HP240901031010ABCDEFGH", 1000, GatewayKind::Vnpay);
    let cases = [
        (payment(1000), late, "Expired"),
        (payment(1000), bad_url, "InvalidReturnUrl"),
        (long, testkit::checkout_context(""), "UnsupportedReference"),
    ];
    for (payment, ctx, expected) in cases {
        let err = payos().create_request(&payment, &ctx).unwrap_err();
        assert!(
            format!("{err:?}").starts_with(expected),
            "{expected}: {err:?}"
        );
    }
}

fn link_data() -> Value {
    json!({"bin":"970436","accountNumber":"0011001234567","accountName":"TRUONG THCS NGO QUYEN",
        "amount":1500000,"description":REFERENCE,"orderCode":ORDER_CODE,"currency":"VND",
        "paymentLinkId":"9a1b2c3d4e5f60718293a4b5c6d7e8f9","status":"PENDING",
        "expiredAt":1725160510,"checkoutUrl":"https://pay.payos.vn/web/9a1b2c3d4e5f",
        "qrCode":"00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA5303704540715000005802VN62220818HP240901031010ABCD6304B164"})
}

#[test]
fn the_memo_a_parent_is_shown_is_the_one_the_qr_code_carries() {
    let carried = "CSED51ZGP85 31010ABCD";
    let qr = VietQr {
        bin: "970436".to_owned(),
        account: "0011001234567".to_owned(),
        amount: Some(1_500_000),
        memo: Some(carried.to_owned()),
    }
    .payload()
    .unwrap();
    let cases = [
        (json!(qr), carried),
        (json!("not a VietQR payload"), REFERENCE),
    ];
    for (qr_code, expected) in cases {
        let mut data = link_data();
        data["qrCode"] = qr_code;
        let link = payos()
            .create_response(&payment(1_500_000), &envelope(&data, &sign(&data)))
            .unwrap();
        assert_eq!(link.memo, expected);
    }
}

#[test]
fn a_signed_create_answer_about_this_order_gives_the_link() {
    let data = link_data();
    let link = payos()
        .create_response(&payment(1_500_000), &envelope(&data, &sign(&data)))
        .unwrap();
    assert_eq!(link.checkout_url, "https://pay.payos.vn/web/9a1b2c3d4e5f");
    let qr = VietQr::parse(&link.qr_code).unwrap();
    assert_eq!(qr.memo.as_deref(), Some(REFERENCE));

    let with = |name: &str, value: Value| {
        let mut data = link_data();
        data[name] = value;
        envelope(&data, &sign(&data))
    };
    let mut tampered = link_data();
    tampered["checkoutUrl"] = json!("https://evil.example/pay");
    let cases = [
        (envelope(&tampered, &sign(&link_data())), "BadSignature"),
        (envelope(&link_data(), ""), "BadSignature"),
        (with("amount", json!(1000)), "Mismatch"),
        (with("orderCode", json!(ORDER_CODE + 1)), "Mismatch"),
        (
            with("checkoutUrl", json!("http://pay.payos.vn/x")),
            "Mismatch",
        ),
        (
            br#"{"code":"231","desc":"Don thanh toan da ton tai","data":null,"signature":null}"#
                .to_vec(),
            "Refused",
        ),
        (b"<html>".to_vec(), "Malformed"),
    ];
    for (body, expected) in cases {
        let err = payos()
            .create_response(&payment(1_500_000), &body)
            .unwrap_err();
        assert!(
            format!("{err:?}").starts_with(expected),
            "{expected}: {err:?}"
        );
    }
}

#[test]
fn the_query_and_cancel_requests_name_the_order_code() {
    let query = payos().query_request(&payment(1000)).unwrap();
    assert_eq!(query.method, "GET");
    assert_eq!(
        query.url,
        format!("https://api-merchant.payos.vn/v2/payment-requests/{ORDER_CODE}")
    );
    assert_eq!(query.headers.len(), 2);
    let cancel = payos()
        .cancel_request(&payment(1000), "Hết hạn thanh toán")
        .unwrap();
    assert_eq!(
        cancel.url,
        format!("https://api-merchant.payos.vn/v2/payment-requests/{ORDER_CODE}/cancel")
    );
    assert_eq!(
        cancel.body,
        r#"{"cancellationReason":"Het han thanh toan"}"#
    );
}

#[test]
fn a_signed_paid_answer_settles_with_its_one_transfers_bank_reference() {
    let state = payos()
        .query_response(
            &payment(1_500_000),
            &envelope(&sdk_query_data(), SDK_QUERY_SIGNATURE),
        )
        .unwrap();
    assert_eq!(
        state.status,
        QueryStatus::Paid {
            txn: GatewayTxnNo::parse("FT24245123456").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
            paid_at: Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 12, 30).unwrap()),
        }
    );
    let cases = [
        (payment(1_000_000), "WrongPayment"),
        (
            testkit::payment("HP240901031010ABCE", 1_500_000, GatewayKind::Vnpay),
            "WrongPayment",
        ),
    ];
    for (payment, expected) in cases {
        let err = payos()
            .query_response(&payment, &envelope(&sdk_query_data(), SDK_QUERY_SIGNATURE))
            .unwrap_err();
        assert!(
            format!("{err:?}").starts_with(expected),
            "{expected}: {err:?}"
        );
    }
    let mut tampered = sdk_query_data();
    tampered["status"] = json!("PENDING");
    let err = payos()
        .query_response(
            &payment(1_500_000),
            &envelope(&tampered, SDK_QUERY_SIGNATURE),
        )
        .unwrap_err();
    assert!(matches!(err, QueryError::BadSignature), "{err:?}");
}

#[test]
fn only_paid_in_full_settles_and_money_that_does_not_match_goes_to_review() {
    let info = |status: &str, paid: u64| PaymentLinkInfo {
        id: "9a1b2c3d4e5f60718293a4b5c6d7e8f9".to_owned(),
        order_code: ORDER_CODE,
        amount: 10_000,
        amount_paid: paid,
        amount_remaining: 10_000u64.saturating_sub(paid),
        status: status.to_owned(),
        created_at: None,
        transactions: Vec::<Transaction>::new(),
        cancellation_reason: None,
        canceled_at: None,
    };
    let code = |c: &str| GatewayCode::parse(c).unwrap();
    let txn = || GatewayTxnNo::parse("9a1b2c3d4e5f60718293a4b5c6d7e8f9").unwrap();
    let transfer = |reference: &str, amount: u64| Transaction {
        reference: reference.to_owned(),
        amount,
        account_number: None,
        description: None,
        transaction_date_time: Some("2025-09-10 09:05:00".to_owned()),
        virtual_account_name: None,
        virtual_account_number: None,
        counter_account_bank_id: None,
        counter_account_bank_name: None,
        counter_account_name: None,
        counter_account_number: None,
    };
    let with = |mut link: PaymentLinkInfo, transfers: Vec<Transaction>| {
        link.transactions = transfers;
        link
    };
    let cases = [
        (
            with(
                info("PAID", 10_000),
                vec![transfer("FT25253000000001", 10_000)],
            ),
            QueryStatus::Paid {
                txn: GatewayTxnNo::parse("FT25253000000001").unwrap(),
                amount: Money::from_vnd(10_000).unwrap(),
                paid_at: Some(Utc.with_ymd_and_hms(2025, 9, 10, 2, 5, 0).unwrap()),
            },
        ),
        (
            with(
                info("PAID", 10_000),
                vec![transfer("FT1", 4_000), transfer("FT2", 6_000)],
            ),
            QueryStatus::NeedsReview { code: code("PAID") },
        ),
        (
            info("PAID", 10_000),
            QueryStatus::NeedsReview { code: code("PAID") },
        ),
        (
            info("PAID", 12_000),
            QueryStatus::NeedsReview { code: code("PAID") },
        ),
        (
            info("PAID", 0),
            QueryStatus::NeedsReview { code: code("PAID") },
        ),
        (
            info("UNDERPAID", 4_000),
            QueryStatus::NeedsReview {
                code: code("UNDERPAID"),
            },
        ),
        (info("PENDING", 0), QueryStatus::Pending),
        (
            info("PENDING", 4_000),
            QueryStatus::NeedsReview {
                code: code("PENDING"),
            },
        ),
        (
            info("PROCESSING", 0),
            QueryStatus::InProgress {
                code: code("PROCESSING"),
            },
        ),
        (
            info("CANCELLED", 0),
            QueryStatus::Failed {
                txn: Some(txn()),
                code: code("CANCELLED"),
            },
        ),
        (
            info("EXPIRED", 0),
            QueryStatus::Failed {
                txn: Some(txn()),
                code: code("EXPIRED"),
            },
        ),
        (
            info("FAILED", 0),
            QueryStatus::Failed {
                txn: Some(txn()),
                code: code("FAILED"),
            },
        ),
        (
            info("EXPIRED", 1),
            QueryStatus::NeedsReview {
                code: code("EXPIRED"),
            },
        ),
        (
            info("REFUNDED", 0),
            QueryStatus::InProgress {
                code: code("REFUNDED"),
            },
        ),
    ];
    for (info, expected) in cases {
        assert_eq!(
            status_of(&info).unwrap(),
            expected,
            "{} {}",
            info.status,
            info.amount_paid
        );
    }
}

#[test]
fn every_webhook_outcome_gets_payos_json_reply() {
    let cases = [
        (CallbackOutcome::Recorded, 200, r#"{"success":true}"#),
        (CallbackOutcome::AlreadyFinal, 200, r#"{"success":true}"#),
        (CallbackOutcome::UnknownPayment, 200, r#"{"success":true}"#),
        (CallbackOutcome::AmountMismatch, 200, r#"{"success":true}"#),
        (CallbackOutcome::NotFinal, 200, r#"{"success":true}"#),
        (CallbackOutcome::Rejected, 400, r#"{"success":false}"#),
        (CallbackOutcome::Unavailable, 500, r#"{"success":false}"#),
    ];
    for (outcome, status, body) in cases {
        let reply = Payos::reply(outcome);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (status, body),
            "{outcome:?}"
        );
    }
}

#[test]
fn the_description_is_the_reference_within_payos_limit_for_the_channel_keeping_its_end() {
    let reference = PaymentRef::parse(REFERENCE).unwrap();
    let long = PaymentRef::parse(&format!("{}Z9", "A1".repeat(15))).unwrap();
    let cases = [
        (true, &reference, REFERENCE.to_owned()),
        (
            false,
            &reference,
            REFERENCE[REFERENCE.len() - 9..].to_owned(),
        ),
        (true, &long, "1A1A1A1A1A1A1A1A1A1A1A1Z9".to_owned()),
        (false, &long, "1A1A1A1Z9".to_owned()),
    ];
    for (linked_account, reference, expected) in cases {
        let channel = Payos::new(PayosConfig {
            linked_account,
            ..config()
        })
        .unwrap();
        let description = channel.description(reference);
        assert_eq!(
            description, expected,
            "{reference} linked: {linked_account}"
        );
        let limit = if linked_account {
            Payos::DESCRIPTION_MAX
        } else {
            Payos::DESCRIPTION_MAX_UNLINKED
        };
        assert!(
            description.len() <= limit && description.bytes().all(|b| b.is_ascii_alphanumeric())
        );
    }
}

#[test]
fn order_codes_map_back_to_their_references_and_never_collide() {
    assert_eq!(
        OrderCode::of(&PaymentRef::parse(REFERENCE).unwrap()).map(OrderCode::get),
        Some(ORDER_CODE)
    );
    let mut seen = std::collections::HashSet::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    for i in 0..50_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let at = start + Duration::seconds((i / 8) as i64 * 37);
        let reference = payos_reference(at, state.to_le_bytes()).unwrap();
        let code = OrderCode::of(&reference).unwrap();
        assert!(code.get() <= OrderCode::MAX);
        assert_eq!(code.reference().as_ref(), Some(&reference));
        seen.insert((reference, code.get()));
    }
    let codes: std::collections::HashSet<u64> = seen.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        codes.len(),
        seen.len(),
        "distinct references, distinct codes"
    );

    let last = OrderCode::of(&PaymentRef::parse("HP991231235959ZZ99").unwrap());
    assert!(last.is_some_and(|c| c.get() <= OrderCode::MAX));
    let earlier = OrderCode::of(&PaymentRef::parse("HP240901031009ZZZZ").unwrap()).unwrap();
    assert!(earlier.get() < ORDER_CODE, "codes sort by creation time");
}

#[test]
fn references_and_codes_payos_cannot_carry_map_to_nothing() {
    for raw in [
        "HP240901031010ABCDEFGH",
        "HP240901031010ABC",
        "HP240901031010ABC0",
        "HP241301031010ABCD",
        "HP240230031010ABCD",
        "XX240901031010ABCD",
        "HP24090103101AABCD",
    ] {
        assert_eq!(
            OrderCode::of(&PaymentRef::parse(raw).unwrap()),
            None,
            "{raw}"
        );
    }
    assert_eq!(OrderCode::new(OrderCode::MAX + 1), None);
    let beyond = (Utc
        .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
        .unwrap()
        .naive_utc()
        - chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap())
    .num_seconds() as u64
        * 31u64.pow(4);
    assert_eq!(OrderCode::new(beyond).and_then(OrderCode::reference), None);
    assert_eq!(
        payos_reference(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(), [0; 8]),
        None
    );
}

/// Payloads written by `vietnam-qr-pay` 1.5.1 (`QRPay.initVietQR(...).build()`), and the
/// fields its decoder (`new QRPay(payload)`) read back from them.
/// A payload, its BIN, account, amount and memo.
type DecoderVector = (
    &'static str,
    &'static str,
    &'static str,
    Option<u64>,
    Option<&'static str>,
);

const DECODER_VECTORS: [DecoderVector; 3] = [
    (
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
        "970416",
        "257678859",
        None,
        None,
    ),
    (
        "00020101021238570010A00000072701270006970436011300110012345670208QRIBFTTA5303704540715000005802VN62220818HP240901031010ABCD6304B164",
        "970436",
        "0011001234567",
        Some(1_500_000),
        Some("HP240901031010ABCD"),
    ),
    (
        "00020101021238570010A000000727012700069704220113VQRQABCD123450208QRIBFTTA5303704540430005802VN62240820CSWXYZ1 HP24 Hoc phi630408E4",
        "970422",
        "VQRQABCD12345",
        Some(3000),
        Some("CSWXYZ1 HP24 Hoc phi"),
    ),
];

#[test]
fn vietqr_payloads_match_an_independent_encoder_and_decoder() {
    for (payload, bin, account, amount, memo) in DECODER_VECTORS {
        let qr = VietQr {
            bin: bin.to_owned(),
            account: account.to_owned(),
            amount,
            memo: memo.map(str::to_owned),
        };
        assert_eq!(qr.payload().unwrap(), payload);
        assert_eq!(VietQr::parse(payload).unwrap(), qr);
    }
}

#[test]
fn crc16_ccitt_false_has_its_check_value() {
    assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
}

#[test]
fn vietqr_round_trips_and_refuses_what_it_cannot_write() {
    let qr = VietQr {
        bin: "970436".to_owned(),
        account: "0011001234567".to_owned(),
        amount: Some(50_000_000),
        memo: Some("HP240901031010ABCD".to_owned()),
    };
    assert_eq!(VietQr::parse(&qr.payload().unwrap()).unwrap(), qr);
    let with = |f: fn(&mut VietQr)| {
        let mut bad = qr.clone();
        f(&mut bad);
        bad.payload().unwrap_err()
    };
    assert_eq!(
        with(|q| q.bin = "97043".into()),
        VietQrError::Invalid("bin")
    );
    assert_eq!(
        with(|q| q.account = "1".repeat(20)),
        VietQrError::Invalid("account")
    );
    assert_eq!(
        with(|q| q.account = "12-34".into()),
        VietQrError::Invalid("account")
    );
    assert_eq!(
        with(|q| q.memo = Some("x".repeat(26))),
        VietQrError::Invalid("memo")
    );
    assert_eq!(
        with(|q| q.memo = Some("Học phí".into())),
        VietQrError::Invalid("memo")
    );
    assert_eq!(with(|q| q.amount = Some(0)), VietQrError::Invalid("amount"));
}

#[test]
fn malformed_vietqr_payloads_are_refused_with_the_reason() {
    let good = DECODER_VECTORS[1].0;
    let body = &good[..good.len() - 4];
    let resigned = |body: &str| format!("{body}{:04X}", crc16_ccitt_false(body.as_bytes()));
    let cases = [
        (good.replace("B164", "B165"), VietQrError::BadCrc),
        (good.replace("B164", "b164"), VietQrError::BadCrc),
        (good.replace("B164", "B16G"), VietQrError::BadCrc),
        (good[..good.len() - 1].to_owned(), VietQrError::NoCrc),
        (String::new(), VietQrError::NoCrc),
        (good.replace("1500000", "1500001"), VietQrError::BadCrc),
        (
            resigned(&body.replace("5802VN", "5803VN")),
            VietQrError::Truncated,
        ),
        (
            resigned(&body.replace("5303704", "5303840")),
            VietQrError::Invalid("53"),
        ),
        (
            resigned(&body.replace("5802VN", "5802US")),
            VietQrError::Invalid("58"),
        ),
        (
            resigned(&body.replace("010212", "010211")),
            VietQrError::Invalid("01"),
        ),
        (
            resigned(&body.replace("A000000727", "A000000728")),
            VietQrError::Invalid("38.00"),
        ),
        (
            resigned(&body.replace("QRIBFTTA", "QRIBFTTC")),
            VietQrError::Invalid("38.02"),
        ),
        (
            resigned(&body.replace("000201", "000202")),
            VietQrError::Invalid("00"),
        ),
        (
            resigned(&body.replace("5802VN", "5802VN5802VN")),
            VietQrError::Repeated("58".into()),
        ),
        (
            resigned(&body.replace("540715000005802VN", "5802VN")),
            VietQrError::Invalid("01"),
        ),
        (
            resigned(&body.replace("54071500000", "54070000000")),
            VietQrError::Invalid("54"),
        ),
        (format!("{good}é"), VietQrError::Invalid("payload")),
    ];
    for (payload, expected) in cases {
        assert_eq!(VietQr::parse(&payload), Err(expected), "{payload}");
    }
}

fn channels() -> crate::PayosChannels {
    crate::PayosChannels::new([(PayeeId::parse("BD-THCS-NGOQUYEN").unwrap(), payos())])
}

fn payee_payment(vnd: u64, payee: Option<&str>) -> Payment {
    Payment {
        payee: payee.map(|p| PayeeId::parse(p).unwrap()),
        ..testkit::payment(REFERENCE, vnd, GatewayKind::Payos)
    }
}

#[test]
fn the_gateway_enum_dispatches_every_operation_to_the_payments_own_payee() {
    let gateway = crate::Gateway::Payos(channels());
    let payment = payee_payment(1_500_000, Some("BD-THCS-NGOQUYEN"));
    let data = sdk_webhook_data();
    let webhook = envelope(&data, SDK_WEBHOOK_SIGNATURE);
    let raw = |path_param| crate::RawCallback {
        query: "",
        body: &webhook,
        path_param,
    };

    let checkout = gateway
        .checkout(&payment, &testkit::checkout_context("Hoc phi"))
        .unwrap();
    let link = link_data();
    let finished = gateway
        .finish_checkout(&payment, &envelope(&link, &sign(&link)))
        .unwrap();
    let verified = gateway.verify(raw(Some("bd-thcs-ngoquyen"))).unwrap();
    let query = gateway.query_request(&payment, &query_context()).unwrap();
    let cancel = gateway.cancel_request(&payment).unwrap().unwrap();

    assert_eq!(gateway.kind(), GatewayKind::Payos);
    assert!(
        matches!(checkout, crate::Checkout::Call(ref r) if r.url.ends_with("/v2/payment-requests"))
    );
    assert_eq!(
        finished.redirect_url,
        "https://pay.payos.vn/web/9a1b2c3d4e5f"
    );
    let transfer = finished.transfer.unwrap();
    assert_eq!(transfer.bank_bin, "970436");
    assert_eq!(transfer.bank_name, Some("Vietcombank"));
    assert_eq!(transfer.account_number, "0011001234567");
    assert_eq!(transfer.account_name, "TRUONG THCS NGO QUYEN");
    assert_eq!(transfer.memo, REFERENCE);
    assert_eq!(verified.gateway, GatewayKind::Payos);
    assert_eq!(verified.reference.as_str(), REFERENCE);
    assert!(
        query
            .url
            .ends_with(&format!("/v2/payment-requests/{ORDER_CODE}"))
    );
    assert!(
        cancel
            .url
            .ends_with(&format!("/v2/payment-requests/{ORDER_CODE}/cancel"))
    );
    assert_eq!(gateway.acknowledge(CallbackOutcome::Rejected).status, 400);
    assert!(gateway.verify_return("code=00&orderCode=1").is_err());
    assert_eq!(gateway.amount_limits(), None);
}

#[test]
fn a_webhook_for_a_payee_without_a_channel_or_without_a_payee_is_rejected() {
    let gateway = crate::Gateway::Payos(channels());
    let webhook = envelope(&sdk_webhook_data(), SDK_WEBHOOK_SIGNATURE);
    for path_param in [None, Some("BD-TH-LELOI"), Some(""), Some("not a payee!")] {
        let err = gateway
            .verify(crate::RawCallback {
                query: "",
                body: &webhook,
                path_param,
            })
            .unwrap_err();
        assert!(
            matches!(err, VerifyError::WrongMerchant),
            "{path_param:?}: {err}"
        );
        assert_eq!(
            CallbackOutcome::from_rejection(&err),
            CallbackOutcome::Rejected
        );
    }
}

#[test]
fn a_payment_whose_payee_has_no_channel_gets_no_request() {
    let gateway = crate::Gateway::Payos(channels());
    for payee in [None, Some("BD-TH-LELOI")] {
        let payment = payee_payment(1_500_000, payee);

        let checkout = gateway.checkout(&payment, &testkit::checkout_context("Hoc phi"));
        let query = gateway.query_request(&payment, &query_context());
        let cancel = gateway.cancel_request(&payment);

        assert!(
            matches!(checkout, Err(CheckoutError::NoChannel)),
            "{payee:?}"
        );
        assert!(matches!(query, Err(QueryError::NoChannel)), "{payee:?}");
        assert!(matches!(cancel, Err(QueryError::NoChannel)), "{payee:?}");
    }
}

#[test]
fn a_link_that_ended_with_nothing_paid_expires_the_payment_and_money_still_settles() {
    let gateway = crate::Gateway::Payos(channels());
    let payment = payee_payment(1_500_000, Some("BD-THCS-NGOQUYEN"));
    let answer = |status: &str, paid: u64| {
        let mut data = sdk_query_data();
        data["status"] = json!(status);
        data["amountPaid"] = json!(paid);
        data["amountRemaining"] = json!(1_500_000 - paid);
        gateway
            .query_response(&payment, &envelope(&data, &sign(&data)))
            .unwrap()
            .into_inner()
            .status
    };

    assert_eq!(answer("EXPIRED", 0), QueryStatus::NotFound);
    assert_eq!(answer("CANCELLED", 0), QueryStatus::NotFound);
    assert_eq!(answer("PENDING", 0), QueryStatus::Pending);
    assert!(matches!(answer("FAILED", 0), QueryStatus::Failed { .. }));
    assert!(matches!(
        answer("PAID", 1_500_000),
        QueryStatus::Paid { .. }
    ));
    assert!(matches!(
        answer("EXPIRED", 500_000),
        QueryStatus::NeedsReview { .. }
    ));
}

fn query_context() -> crate::QueryContext {
    crate::QueryContext {
        request_entropy: [7; 16],
        server_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        now: testkit::created_at(),
    }
}

#[test]
fn each_transfer_to_a_link_is_its_own_transaction_and_a_repeat_is_the_same() {
    let transfer = |reference: &str| {
        let mut data = sdk_webhook_data();
        data["reference"] = json!(reference);
        data["amount"] = json!(500_000);
        let Outcome::Final(GatewayEvent::Paid { txn, .. }) = payos()
            .verify_webhook(&envelope(&data, &sign(&data)))
            .unwrap()
            .into_inner()
            .outcome
        else {
            panic!("a paid transfer");
        };
        txn
    };

    assert_ne!(transfer("FT24245000001"), transfer("FT24245000002"));
    assert_eq!(transfer("FT24245000001"), transfer("FT24245000001"));
    assert_eq!(
        transfer("").as_str(),
        "9a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "without the bank's reference, the link's id"
    );
}

#[test]
fn the_confirm_webhook_request_posts_the_url_with_the_channels_keys() {
    let url = "https://hocphi.example.vn/api/callbacks/payos/BD-THCS-NGOQUYEN";

    let call = payos().confirm_webhook_request(url).unwrap();

    assert_eq!(
        (call.method, call.url.as_str()),
        ("POST", "https://api-merchant.payos.vn/confirm-webhook")
    );
    assert_eq!(call.body, format!(r#"{{"webhookUrl":"{url}"}}"#));
    let names: Vec<&str> = call.headers.iter().map(|h| h.name).collect();
    assert_eq!(names, ["x-client-id", "x-api-key"]);
    assert!(call.headers[1].secret);
    for bad in [
        "http://hocphi.example.vn/api/callbacks/payos/A",
        "https://hocphi.example.vn/api/callbacks/payos/A?x=1",
        "hocphi.example.vn",
        "",
    ] {
        assert!(payos().confirm_webhook_request(bad).is_err(), "{bad}");
    }
}

#[test]
fn only_a_2xx_answer_with_code_00_confirms_a_webhook_url() {
    let ok = br#"{"code":"00","desc":"success","data":{"webhookUrl":"https://a.vn/x","accountName":"TRUONG THCS NGO QUYEN","accountNumber":"0071000123456","name":"Vietcombank","shortName":"VCB"}}"#;
    assert_eq!(
        Payos::confirm_webhook_response(200, ok),
        WebhookConfirmation::Confirmed {
            webhook_url: Some("https://a.vn/x".to_owned()),
            account_name: Some("TRUONG THCS NGO QUYEN".to_owned()),
            account_number: Some("0071000123456".to_owned()),
            bank: Some("VCB".to_owned()),
        }
    );
    assert!(matches!(
        Payos::confirm_webhook_response(200, br#"{"code":0,"desc":"success"}"#),
        WebhookConfirmation::Confirmed { .. }
    ));
    let refused = |status: u16, body: &[u8]| Payos::confirm_webhook_response(status, body);
    assert_eq!(
        refused(
            400,
            "{\"code\":\"400\",\"desc\":\"Webhook URL không hợp lệ\\u0007\"}".as_bytes()
        ),
        WebhookConfirmation::Refused {
            status: 400,
            code: Some("400".to_owned()),
            desc: Some("Webhook URL không hợp lệ".to_owned()),
        }
    );
    assert_eq!(
        refused(
            200,
            r#"{"code":"20","desc":"Thông tin truyền lên không đúng."}"#.as_bytes()
        ),
        WebhookConfirmation::Refused {
            status: 200,
            code: Some("20".to_owned()),
            desc: Some("Thông tin truyền lên không đúng.".to_owned()),
        }
    );
    assert_eq!(
        refused(502, b"<html>bad gateway</html>"),
        WebhookConfirmation::Refused {
            status: 502,
            code: None,
            desc: None,
        }
    );
    assert!(matches!(
        refused(401, br#"{"code":"00"}"#),
        WebhookConfirmation::Refused { status: 401, .. }
    ));
}

#[test]
fn each_transfer_keeps_a_number_of_its_own_even_when_its_bank_reference_cannot_be_stored_as_is() {
    let link = || GatewayTxnNo::parse("9a1b2c3d4e5f60718293a4b5c6d7e8f9").unwrap();

    let plain = transfer_txn("FT25253000000001", link());
    let dotted = transfer_txn("FT.2525/3000 0001", link());
    let other = transfer_txn("FT.2525/3000 0002", link());
    let none = transfer_txn("", link());

    assert_eq!(plain.as_str(), "FT25253000000001");
    assert!(dotted.as_str().starts_with('R') && dotted.as_str().len() == 41);
    assert_eq!(
        dotted,
        transfer_txn("FT.2525/3000 0001", link()),
        "the same transfer, the same number"
    );
    assert_ne!(dotted, other, "two transfers never share a number");
    assert_eq!(none, link());
}

#[test]
fn the_borrowed_reading_signs_the_same_text_as_the_map_it_replaced() {
    let cases = [
        r#"{"b":"2","a":"1","c":"Thành công"}"#,
        r#"{"s":"q\"uote \\ back\/slash\nline\ttab \u00e0 \ud83d\ude00 \u0000"}"#,
        r#"{"n":null,"s1":"null","s2":"undefined","s3":"nul\u006c","s4":"Null","s5":""}"#,
        r#"{"i":0,"j":123,"k":-5,"l":-0,"m":1.0,"o":1.50,"p":1e3,"q":1E+2,"r":0.1,"s":-1.25e-7}"#,
        r#"{"u":18446744073709551615,"v":18446744073709551616,"w":9999999999999999999,"x":1234567890123456789012}"#,
        r#"{"t":true,"f":false}"#,
        r#"{"o":{"z":1,"a":[1,2]},"e":{}}"#,
        r#"{"items":[{"z":"1","a":null,"m":{"y":2,"b":1}},{"k":1.5}],"none":[]}"#,
        r#"{"\u0061mount":1,"b\"c":"d","":"empty key","Z":"upper","é":"é"}"#,
        r#"{ "spaced" :  "v" , "n" : 12 , "t" :true }"#,
        "{}",
        r#"{"items":["a"]}"#,
        r#"{"items":[{"a":1},2]}"#,
        r#"{"a":1,"a":2}"#,
        r#"{"a":1,"\u0061":2}"#,
        r#"{"s":"\ud800"}"#,
        r#"["not","an","object"]"#,
        "null",
        r#""text""#,
    ];
    for case in cases {
        let old = serde_json::from_str::<SignedObject>(case)
            .map_err(|_| ())
            .and_then(|object| object.message().map_err(|_| ()));
        let new = serde_json::from_str::<RawObject<'_>>(case)
            .map_err(|_| ())
            .and_then(|object| object.message().map_err(|_| ()));
        assert_eq!(new, old, "{case}");
    }
    for data in [
        docs_data(),
        sdk_webhook_data(),
        sdk_query_data(),
        link_data(),
    ] {
        let text = data.to_string();
        let old = serde_json::from_str::<SignedObject>(&text)
            .unwrap()
            .message();
        let new = serde_json::from_str::<RawObject<'_>>(&text)
            .unwrap()
            .message();
        assert_eq!(new, old, "{text}");
    }
}

#[test]
fn a_webhook_with_escaped_texts_verifies_and_reads_them_unescaped() {
    let data = json!({"orderCode":ORDER_CODE,"amount":1500000,"description":"HP240901031010ABCD",
        "accountNumber":"0123456789","reference":"FT24245123456",
        "transactionDateTime":"2024-09-01 10:12:30","currency":"VND",
        "paymentLinkId":"9a1b2c3d4e5f60718293a4b5c6d7e8f9","code":"00","desc":"Thành công"});
    let signature = sign(&data);
    let body = String::from_utf8(envelope(&data, &signature))
        .unwrap()
        .replace("\"VND\"", "\"\\u0056ND\"")
        .replace("\"FT24245123456\"", "\"FT2424512345\\u0036\"")
        .replace("\"orderCode\"", "\"order\\u0043ode\"");
    assert!(body.contains("\\u0056ND"), "{body}");

    let transfer = payos()
        .verify_webhook(body.as_bytes())
        .unwrap()
        .into_inner();

    assert_eq!(transfer.reference, PaymentRef::parse(REFERENCE).unwrap());
    assert_eq!(
        transfer.outcome,
        Outcome::Final(GatewayEvent::Paid {
            txn: GatewayTxnNo::parse("FT24245123456").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
        })
    );
}
