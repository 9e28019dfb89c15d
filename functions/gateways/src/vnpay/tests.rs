//! VNPay adapter tests. Vectors marked PHP were printed by PHP 8.2 (`ksort`, `urlencode`,
//! `hash_hmac('sha512', …)`, as in VNPay's PHP demo); vectors marked npm by the `vnpay@2.5.0`
//! library's own signing utilities. Neither was produced by this crate.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{Duration, TimeZone, Utc};
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money};

use super::query::{FormPair, canonical, form_pairs};
use super::wire::{QueryDrResponse, ResponseCode, Text, TransactionStatus};
use super::*;
use crate::testkit::{self, TMN_CODE, VNPAY_SECRET};
use crate::{CallbackOutcome, Checkout, Gateway, QueryContext, RawCallback};

/// A known-answer vector: the canonical string and signature that VNPay's PHP reference code
/// (vnpay_php, `vnpay_create_payment.php`) and npm `vnpay` 2.5.0 both produce for these fields.
const KAT_CANONICAL: &str = "vnp_Amount=150000000&vnp_Command=pay&vnp_CreateDate=20240901101010&vnp_CurrCode=VND&vnp_ExpireDate=20240901102510&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+hoc+phi+HS+123%3A+ky+1&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fexample.vn%2Freturn&vnp_TmnCode=TESTTMN1&vnp_TxnRef=HP2024-0001&vnp_Version=2.1.0";
const KAT_HASH: &str = "6b8b71df543d09100ba7cadffe95d0f73f4cf015f93905c296b47159fbbf67cce51925f0c2b66c44ea892f73a8fcf46bcba120af77edc26ee6ec313ca696d07e";

/// PHP: the payment URL for payment HP240901031010ABCD2345 (1.500.000 ₫, bank NCB,
/// client 203.113.7.42, a return URL with its own query).
const PHP_PAYMENT_URL: &str = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=150000000&vnp_BankCode=NCB&vnp_Command=pay&vnp_CreateDate=20240901101010&vnp_CurrCode=VND&vnp_ExpireDate=20240901102510&vnp_IpAddr=203.113.7.42&vnp_Locale=vn&vnp_OrderInfo=Hoc+phi+HK1+2024-2025+Nguyen+V.+A.&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fhocphi.example.vn%2Fket-qua%3Fx%3D1%26y%3D2&vnp_TmnCode=TESTTMN1&vnp_TxnRef=HP240901031010ABCD2345&vnp_Version=2.1.0&vnp_SecureHash=6cd49fc7ac32c266c08f4b00a47dd17ed3e6303ab49b24980d4493d007ec07acc5be85910ac1e008eff37bbd749fd54aba01927bdd6322ac98bfbd29784333b1";

/// PHP: a paid IPN whose `vnp_OrderInfo` holds Vietnamese diacritics, space, `+`, `*`, `~`, `&`,
/// `=` and `%`: `Học phí học kỳ 1 – Nguyễn Văn A; a b+c*d~e&f=g%h`.
const PHP_IPN_CANONICAL: &str = "vnp_Amount=150000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=H%E1%BB%8Dc+ph%C3%AD+h%E1%BB%8Dc+k%E1%BB%B3+1+%E2%80%93+Nguy%E1%BB%85n+V%C4%83n+A%3B+a+b%2Bc%2Ad%7Ee%26f%3Dg%25h&vnp_PayDate=20240901101500&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14226112&vnp_TransactionStatus=00&vnp_TxnRef=HP240901031010ABCD2345";
const PHP_IPN_HASH: &str = "a4cb60f011b0a952cec99043b82269043ec627c6762d12e3b0a4b2efcf51853c861e563ca626e72c4685b75df27c5d7b6efb036ed4a1cfe58ad2118d118df14a";

/// PHP: an IPN declined for insufficient balance (51/02).
const PHP_DECLINED_IPN: &str = "vnp_Amount=150000000&vnp_BankCode=NCB&vnp_OrderInfo=Hoc+phi+HK1&vnp_PayDate=20240901101500&vnp_ResponseCode=51&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14226113&vnp_TransactionStatus=02&vnp_TxnRef=HP240901031010ABCD2345&vnp_SecureHash=ecb6731bb9c0dedddaf80f9814aa3885f734f57f5420f98f0a43e8127a7c4e085add1e070a30289c17b726d5d7e3c92711c42886e3eb9da2b33c1b59c17840d4";

/// npm `vnpay@2.5.0` (`buildPaymentUrlSearchParams` + `calculateSecureHash`): a cancelled attempt
/// (24/02, `vnp_TransactionNo=0`) whose order info has diacritics, `~`, `!`, `(`, `)` and `'`; the
/// library dropped an empty `vnp_BankTranNo`. PHP verifies it too.
const NPM_CANCELLED_IPN: &str = "vnp_Amount=2500000&vnp_BankCode=VNPAYQR&vnp_CardType=QRCODE&vnp_OrderInfo=%C4%90%C3%B3ng+h%E1%BB%8Dc+ph%C3%AD+%28%C4%91%E1%BB%A3t+2%29+%7E+Tr%E1%BA%A7n+Th%E1%BB%8B+B%C3%ADch%21+%27HK2%27&vnp_PayDate=20250115083000&vnp_ResponseCode=24&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=0&vnp_TransactionStatus=02&vnp_TxnRef=HP250115012500XYZW7788&vnp_SecureHash=888b3ae71820ffab0c2083ef548a321799912d9608d7380dc4078d5d9c4892d96fce4eafb8306eb9aa0f822e1d436a4268fd19b08134b56551025daf983357f3";

/// PHP: the querydr checksum for request id 00112233…eeff, created 2024-09-01 10:40:10 (GMT+7)
/// by server 10.0.0.5, about the payment of [`PHP_PAYMENT_URL`].
const PHP_QUERYDR_HASH: &str = "6a819a3e4584ee94125215869ff4e624df8b8078e52b1f90ecc9ae546e2091dd32d2b48e217a37e52825dc7691e2b2a1a49f76e5030051684390c8fed1021dae";

/// PHP: a querydr answer (paid) with its own checksum over the 15 pipe-joined values.
const PHP_QUERYDR_ANSWER: &str = r#"{"vnp_ResponseId":"8f3b2c1d0e","vnp_Command":"querydr","vnp_ResponseCode":"00","vnp_Message":"QueryDR Success","vnp_TmnCode":"TESTTMN1","vnp_TxnRef":"HP240901031010ABCD2345","vnp_Amount":"150000000","vnp_BankCode":"NCB","vnp_PayDate":"20240901101500","vnp_TransactionNo":"14226112","vnp_TransactionType":"01","vnp_TransactionStatus":"00","vnp_OrderInfo":"Hoc phi HK1 2024-2025 Nguyen V. A.","vnp_PromotionCode":"","vnp_PromotionAmount":"","vnp_SecureHash":"9ca877e9f8eb69cecb8009ce9c06be185f28505231ed9d5db0dd0a2f3813037c2a7b953e92eb74f12ef88ac797148925474780623a5eb711225fd7769dae3098"}"#;

const REFERENCE: &str = "HP240901031010ABCD2345";

fn key() -> Sha512Key {
    Sha512Key::new(&Secret::new(VNPAY_SECRET).unwrap()).unwrap()
}

fn pairs_of(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn query_of(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A query signed by this crate, for tests about what happens *after* the signature checks out.
fn signed(params: &[(&str, &str)]) -> String {
    signed_query(&key(), params)
}

fn ipn_params<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        (field::AMOUNT, "150000000"),
        (field::BANK_CODE, "NCB"),
        (field::ORDER_INFO, "Hoc phi HK1"),
        (field::PAY_DATE, "20240901101500"),
        (field::RESPONSE_CODE, "00"),
        (field::TMN_CODE, TMN_CODE),
        (field::TRANSACTION_NO, "14226112"),
        (field::TRANSACTION_STATUS, "00"),
        (field::TXN_REF, REFERENCE),
    ];
    for (name, value) in overrides {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params
}

fn php_ipn() -> String {
    format!("{PHP_IPN_CANONICAL}&vnp_SecureHash={PHP_IPN_HASH}")
}

#[test]
fn the_known_answer_vector_signs_to_the_documented_string_and_digest() {
    // Arrange
    let params = [
        (field::VERSION, "2.1.0"),
        (field::COMMAND, "pay"),
        (field::TMN_CODE, "TESTTMN1"),
        (field::AMOUNT, "150000000"),
        (field::CREATE_DATE, "20240901101010"),
        (field::CURR_CODE, "VND"),
        (field::IP_ADDR, "127.0.0.1"),
        (field::LOCALE, "vn"),
        (field::ORDER_INFO, "Thanh toan hoc phi HS 123: ky 1"),
        (field::ORDER_TYPE, "other"),
        (field::RETURN_URL, "https://example.vn/return"),
        (field::EXPIRE_DATE, "20240901102510"),
        (field::TXN_REF, "HP2024-0001"),
    ];

    // Act
    let query = signed(&params);

    // Assert
    assert_eq!(query, format!("{KAT_CANONICAL}&vnp_SecureHash={KAT_HASH}"));
    let parsed = SignedQuery::parse(&query).unwrap();
    assert_eq!(parsed.canonical(), KAT_CANONICAL);
    assert!(parsed.verify(&key()).is_ok());
}

#[test]
fn a_payment_url_is_byte_for_byte_the_one_php_builds_for_the_same_payment() {
    // Arrange
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);
    let mut ctx = testkit::checkout_context("Học phí HK1 2024-2025 – Nguyễn V. A.");
    ctx.client_ip = IpAddr::V4(Ipv4Addr::new(203, 113, 7, 42));
    ctx.return_url = "https://hocphi.example.vn/ket-qua?x=1&y=2".to_owned();
    ctx.bank_code = Some("NCB".to_owned());

    // Act
    let url = vnpay.payment_url(&payment, &ctx).unwrap();

    // Assert
    assert_eq!(url, PHP_PAYMENT_URL);
}

#[test]
fn the_payment_url_carries_every_required_parameter() {
    let url = testkit::vnpay()
        .payment_url(
            &testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay),
            &testkit::checkout_context("Hoc phi"),
        )
        .unwrap();
    let (_, query) = url.split_once('?').unwrap();
    let names: Vec<String> = pairs_of(query).into_iter().map(|(k, _)| k).collect();
    let required = [
        field::AMOUNT,
        field::COMMAND,
        field::CREATE_DATE,
        field::CURR_CODE,
        field::EXPIRE_DATE,
        field::IP_ADDR,
        field::LOCALE,
        field::ORDER_INFO,
        field::ORDER_TYPE,
        field::RETURN_URL,
        field::TMN_CODE,
        field::TXN_REF,
        field::VERSION,
        field::SECURE_HASH,
    ];
    for name in required {
        assert!(names.iter().any(|n| n == name), "{name} missing from {url}");
    }
    assert!(
        !names.iter().any(|n| n == field::BANK_CODE),
        "no empty bank code"
    );
    assert!(
        url.contains("vnp_Amount=1000000&"),
        "10.000 ₫ is sent as 1000000"
    );
}

#[test]
fn locale_and_client_ip_are_written_as_vnpay_expects() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay);
    let cases = [
        (
            Locale::Vietnamese,
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
            "vn",
            "10.1.2.3",
        ),
        (
            Locale::English,
            IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped()),
            "en",
            "10.1.2.3",
        ),
        (
            Locale::English,
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            "en",
            "::1",
        ),
    ];
    for (locale, ip, locale_text, ip_text) in cases {
        let mut ctx = testkit::checkout_context("Hoc phi");
        ctx.locale = locale;
        ctx.client_ip = ip;
        let url = vnpay.payment_url(&payment, &ctx).unwrap();
        let pairs = pairs_of(url.split_once('?').unwrap().1);
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).unwrap().1.clone();
        assert_eq!(get(field::LOCALE), locale_text, "{locale:?}");
        assert_eq!(get(field::IP_ADDR), ip_text, "{ip}");
    }
}

#[test]
fn order_info_is_plain_ascii_and_falls_back_to_the_reference() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay);
    let cases = [
        (
            "Tiền ăn bán trú – tháng 9/2024",
            "Tien an ban tru thang 9 2024",
        ),
        ("学费", "Thanh toan hoc phi HP240901031010ABCD2345"),
        ("", "Thanh toan hoc phi HP240901031010ABCD2345"),
    ];
    for (raw, sent) in cases {
        let url = vnpay
            .payment_url(&payment, &testkit::checkout_context(raw))
            .unwrap();
        let pairs = pairs_of(url.split_once('?').unwrap().1);
        let info = &pairs
            .iter()
            .find(|(k, _)| k == field::ORDER_INFO)
            .unwrap()
            .1;
        assert_eq!(info, sent, "{raw:?}");
    }
}

#[test]
fn dates_are_vietnam_time_whatever_the_instant_in_utc() {
    let cases = [
        (
            Utc.with_ymd_and_hms(2024, 9, 1, 3, 10, 10).unwrap(),
            "20240901101010",
        ),
        (
            Utc.with_ymd_and_hms(2024, 12, 31, 17, 30, 0).unwrap(),
            "20250101003000",
        ),
        (
            Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(),
            "20250301070000",
        ),
    ];
    for (instant, written) in cases {
        assert_eq!(vn_time(instant), written, "{instant}");
        assert_eq!(parse_vn_time(written), Some(instant), "{written}");
    }
    for bad in [
        "2024090110101",
        "202409011010100",
        "20241301101010",
        "2024-09-01 10:10",
        "20240230101010",
    ] {
        assert_eq!(parse_vn_time(bad), None, "{bad}");
    }
}

#[test]
fn amounts_travel_times_one_hundred_and_come_back_only_when_whole() {
    assert_eq!(amount_x100(Money::from_vnd(10_000).unwrap()), 1_000_000);
    assert_eq!(
        amount_x100(Money::from_vnd(Money::MAX_VND).unwrap())
            .to_string()
            .len(),
        12
    );
    let cases = [
        ("1000000", Some(10_000)),
        ("0150000000", Some(1_500_000)),
        ("999999999900", Some(9_999_999_999)),
        ("1000050", None),
        ("0", None),
        ("", None),
        ("-100", None),
        ("1e6", None),
        ("1000000000000", None),
    ];
    for (raw, vnd) in cases {
        assert_eq!(
            parse_amount_x100(raw),
            vnd.map(|v| Money::from_vnd(v).unwrap()),
            "{raw:?}"
        );
    }
}

#[test]
fn an_ipn_signed_by_php_with_diacritics_and_reserved_characters_verifies_as_paid() {
    // Arrange
    let vnpay = testkit::vnpay();
    let query = php_ipn();

    // Act
    let canonical = SignedQuery::parse(&query).unwrap().canonical();
    let notification = vnpay.verify_ipn(&query).unwrap();

    // Assert
    assert_eq!(canonical, PHP_IPN_CANONICAL);
    assert_eq!(notification.gateway, GatewayKind::Vnpay);
    assert_eq!(notification.reference.as_str(), REFERENCE);
    assert_eq!(notification.amount, Money::from_vnd(1_500_000).unwrap());
    assert_eq!(
        notification.paid_at,
        Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 0).unwrap())
    );
    assert_eq!(
        notification.event(),
        Some(&GatewayEvent::Paid {
            txn: GatewayTxnNo::parse("14226112").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
        })
    );
}

#[test]
fn a_declined_ipn_signed_by_php_carries_its_response_code() {
    let notification = testkit::vnpay().verify_ipn(PHP_DECLINED_IPN).unwrap();
    assert_eq!(
        notification.event(),
        Some(&GatewayEvent::Declined {
            txn: Some(GatewayTxnNo::parse("14226113").unwrap()),
            code: GatewayCode::parse("51").unwrap(),
        })
    );
}

#[test]
fn an_ipn_signed_by_the_npm_vnpay_library_verifies_and_a_cancel_has_no_transaction() {
    let notification = testkit::vnpay().verify_ipn(NPM_CANCELLED_IPN).unwrap();
    assert_eq!(notification.reference.as_str(), "HP250115012500XYZW7788");
    assert_eq!(notification.amount, Money::from_vnd(25_000).unwrap());
    assert_eq!(
        notification.event(),
        Some(&GatewayEvent::Declined {
            txn: None,
            code: GatewayCode::parse("24").unwrap(),
        })
    );
}

#[test]
fn changing_removing_or_duplicating_any_signed_field_is_rejected() {
    let vnpay = testkit::vnpay();
    let original = pairs_of(&php_ipn());
    let signed_names: Vec<String> = original
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| k != field::SECURE_HASH)
        .collect();
    assert_eq!(signed_names.len(), 11);
    for name in &signed_names {
        let changed: Vec<(String, String)> = original
            .iter()
            .map(|(k, v)| {
                let v = if k == name {
                    format!("{v}1")
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        let removed: Vec<(String, String)> = original
            .iter()
            .filter(|(k, _)| k != name)
            .cloned()
            .collect();
        let mut duplicated = original.clone();
        let value = original.iter().find(|(k, _)| k == name).unwrap().1.clone();
        duplicated.push((name.clone(), value));
        let cases = [
            ("changed", query_of(&changed), "BadSignature"),
            ("removed", query_of(&removed), "BadSignature"),
            ("duplicated", query_of(&duplicated), "DuplicateField"),
        ];
        for (how, query, expected) in cases {
            let error = vnpay.verify_ipn(&query).unwrap_err();
            assert!(
                format!("{error:?}").starts_with(expected),
                "{name} {how}: got {error:?}"
            );
        }
    }
}

#[test]
fn the_signature_itself_must_be_present_once_and_well_formed() {
    let vnpay = testkit::vnpay();
    let truncated = format!(
        "{PHP_IPN_CANONICAL}&vnp_SecureHash={}",
        &PHP_IPN_HASH[..126]
    );
    let not_hex = format!("{PHP_IPN_CANONICAL}&vnp_SecureHash={}", "g".repeat(128));
    let doubled = format!("{}&vnp_SecureHash={PHP_IPN_HASH}", php_ipn());
    let empty = format!("{PHP_IPN_CANONICAL}&vnp_SecureHash=");
    let flipped = format!(
        "{PHP_IPN_CANONICAL}&vnp_SecureHash={}0",
        &PHP_IPN_HASH[..127]
    );
    let cases = [
        (PHP_IPN_CANONICAL.to_owned(), "MissingSignature"),
        (empty, "MissingSignature"),
        (truncated, "MalformedSignature"),
        (not_hex, "MalformedSignature"),
        (doubled, "DuplicateField"),
        (flipped, "BadSignature"),
    ];
    for (query, expected) in cases {
        let error = vnpay.verify_ipn(&query).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{query}: {error:?}"
        );
    }
}

#[test]
fn harmless_variations_of_a_genuine_query_still_verify() {
    let vnpay = testkit::vnpay();
    let original = pairs_of(&php_ipn());
    let mut reversed = original.clone();
    reversed.reverse();
    let percent_spaces = php_ipn().replace('+', "%20");
    let cases = [
        (
            "uppercase hex",
            php_ipn().replace(PHP_IPN_HASH, &PHP_IPN_HASH.to_uppercase()),
        ),
        ("leading question mark", format!("?{}", php_ipn())),
        (
            "an empty vnp_ parameter",
            format!("vnp_Extra=&{}", php_ipn()),
        ),
        (
            "vnp_SecureHashType",
            format!("{}&vnp_SecureHashType=HmacSHA512", php_ipn()),
        ),
        (
            "a foreign parameter",
            format!("utm_source=zalo&{}", php_ipn()),
        ),
        ("another order", query_of(&reversed)),
        ("another encoder", query_of(&original)),
        ("%20 for spaces", percent_spaces),
    ];
    for (what, query) in cases {
        assert!(vnpay.verify_ipn(&query).is_ok(), "{what}: {query}");
    }
}

#[test]
fn signed_but_unusable_fields_are_rejected_with_the_field_named() {
    let vnpay = testkit::vnpay();
    let cases = [
        (vec![(field::TMN_CODE, "OTHERTMN")], "WrongMerchant"),
        (vec![(field::TXN_REF, "HP-2024-0001")], "UnknownReference"),
        (vec![(field::AMOUNT, "150000050")], "InvalidAmount"),
        (vec![(field::AMOUNT, "0")], "InvalidAmount"),
        (
            vec![(field::RESPONSE_CODE, "")],
            "MissingField(\"vnp_ResponseCode\")",
        ),
        (
            vec![(field::TRANSACTION_STATUS, "")],
            "MissingField(\"vnp_TransactionStatus\")",
        ),
        (
            vec![(field::PAY_DATE, "2024-09-01")],
            "InvalidField(\"vnp_PayDate\")",
        ),
        (
            vec![(field::TRANSACTION_NO, "")],
            "MissingField(\"vnp_TransactionNo\")",
        ),
        (
            vec![(field::TRANSACTION_NO, "14/226")],
            "InvalidField(\"vnp_TransactionNo\")",
        ),
        (
            vec![(field::RESPONSE_CODE, "5!")],
            "InvalidField(\"vnp_ResponseCode\")",
        ),
    ];
    for (overrides, expected) in cases {
        let query = signed(&ipn_params(&overrides));
        let error = vnpay.verify_ipn(&query).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{overrides:?}: {error:?}"
        );
    }
}

#[test]
fn paid_only_when_the_response_code_and_the_transaction_status_are_both_00() {
    let responses = ResponseCode::KNOWN
        .into_iter()
        .chain([ResponseCode::Other("01".into())]);
    for response in responses {
        let statuses = TransactionStatus::KNOWN
            .into_iter()
            .chain([TransactionStatus::Other("03".into())]);
        for status in statuses {
            let expected =
                response == ResponseCode::Success && status == TransactionStatus::Success;
            assert_eq!(
                is_paid(&response, &status),
                expected,
                "{response:?} / {status:?}"
            );
        }
    }
}

#[test]
fn every_code_pair_maps_to_paid_a_decline_or_a_review_with_the_telling_code() {
    enum Expected {
        Paid,
        Declined(&'static str),
        Review(&'static str),
    }
    use Expected::*;
    let vnpay = testkit::vnpay();
    let cases = [
        ("00", "00", Paid),
        ("00", "01", Declined("01")),
        ("00", "02", Declined("02")),
        ("07", "07", Review("07")),
        ("07", "00", Review("07")),
        ("00", "07", Review("07")),
        ("24", "02", Declined("24")),
        ("51", "02", Declined("51")),
        ("11", "02", Declined("11")),
        ("99", "02", Declined("99")),
        ("42", "02", Declined("42")),
        ("00", "77", Declined("77")),
    ];
    for (response, status, expected) in cases {
        let query = signed(&ipn_params(&[
            (field::RESPONSE_CODE, response),
            (field::TRANSACTION_STATUS, status),
        ]));
        let outcome = vnpay.verify_ipn(&query).unwrap().into_inner().outcome;
        match (outcome, expected) {
            (Outcome::Final(GatewayEvent::Paid { .. }), Paid) => {}
            (Outcome::Final(GatewayEvent::Declined { code, .. }), Declined(expected))
            | (Outcome::NotFinal { code }, Review(expected)) => {
                assert_eq!(code.as_str(), expected, "{response}/{status}");
            }
            (outcome, _) => panic!("{response}/{status}: unexpected {outcome:?}"),
        }
    }
}

#[test]
fn the_ipn_reply_is_always_http_200_json_with_the_code_for_the_outcome() {
    let table = [
        (CallbackOutcome::Recorded, "00", "Confirm Success"),
        (CallbackOutcome::NotFinal, "00", "Confirm Success"),
        (
            CallbackOutcome::AlreadyFinal,
            "02",
            "Order already confirmed",
        ),
        (CallbackOutcome::UnknownPayment, "01", "Order not found"),
        (CallbackOutcome::AmountMismatch, "04", "Invalid amount"),
        (CallbackOutcome::Rejected, "97", "Invalid signature"),
        (CallbackOutcome::Unavailable, "99", "Unknown error"),
    ];
    for (outcome, code, message) in table {
        let reply = Vnpay::reply(outcome);
        assert_eq!(reply.status, 200, "{outcome:?}");
        assert_eq!(reply.content_type, Some("application/json; charset=utf-8"));
        assert_eq!(
            reply.body,
            format!(r#"{{"RspCode":"{code}","Message":"{message}"}}"#)
        );
        let parsed: wire::IpnReply = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(parsed.rsp_code, code);
    }
}

#[test]
fn a_return_url_verifies_like_the_ipn_but_as_a_notice_for_display() {
    let vnpay = testkit::vnpay();
    let notice = vnpay.verify_return(&php_ipn()).unwrap();
    assert_eq!(notice.notification.reference.as_str(), REFERENCE);
    let tampered = php_ipn().replace("vnp_Amount=150000000", "vnp_Amount=100");
    assert!(matches!(
        vnpay.verify_return(&tampered),
        Err(VerifyError::BadSignature)
    ));
}

fn query_context() -> QueryContext {
    QueryContext {
        request_entropy: [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ],
        server_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
        now: testkit::created_at() + Duration::minutes(30),
    }
}

#[test]
fn a_querydr_request_carries_the_checksum_php_computes() {
    // Arrange
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);

    // Act
    let request = vnpay.query_request(&payment, &query_context()).unwrap();

    // Assert
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, Vnpay::SANDBOX_API_URL);
    let body: wire::QueryDrRequest = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body.request_id, "00112233445566778899aabbccddeeff");
    assert_eq!(body.command, "querydr");
    assert_eq!(body.transaction_date, "20240901101010");
    assert_eq!(body.create_date, "20240901104010");
    assert_eq!(body.ip_addr, "10.0.0.5");
    assert_eq!(body.secure_hash, PHP_QUERYDR_HASH);
    let json: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert!(json.get("vnp_TransactionNo").is_none());
}

#[test]
fn a_querydr_answer_signed_by_php_reads_as_paid() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);
    let answer = vnpay
        .query_response(&payment, PHP_QUERYDR_ANSWER.as_bytes())
        .unwrap();
    assert_eq!(answer.reference.as_str(), REFERENCE);
    assert_eq!(
        answer.status,
        QueryStatus::Paid {
            txn: GatewayTxnNo::parse("14226112").unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
            paid_at: Some(Utc.with_ymd_and_hms(2024, 9, 1, 3, 15, 0).unwrap()),
        }
    );
}

#[test]
fn a_tampered_or_unsigned_querydr_answer_is_refused() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);
    let other = testkit::payment("HP1", 1_500_000, GatewayKind::Vnpay);
    let unsigned = PHP_QUERYDR_ANSWER.replace("\"vnp_SecureHash\":", "\"vnp_Ignored\":");
    let cases = [
        (
            &payment,
            PHP_QUERYDR_ANSWER.replace("150000000", "15000000"),
            "BadSignature",
        ),
        (
            &payment,
            PHP_QUERYDR_ANSWER.replace("\"00\",\"vnp_Order", "\"02\",\"vnp_Order"),
            "BadSignature",
        ),
        (&payment, unsigned, "MissingSignature"),
        (&payment, "not json".to_owned(), "Malformed"),
        (&other, PHP_QUERYDR_ANSWER.to_owned(), "WrongPayment"),
    ];
    for (payment, body, expected) in cases {
        let error = vnpay.query_response(payment, body.as_bytes()).unwrap_err();
        assert!(
            format!("{error:?}").starts_with(expected),
            "{body}: {error:?}"
        );
    }
}

fn signed_answer(response_code: &str, status: &str, tmn_code: &str) -> Vec<u8> {
    let some = |s: &str| Some(Text::Str(s.to_owned()));
    let mut answer = QueryDrResponse {
        response_id: some("1"),
        command: some("querydr"),
        response_code: some(response_code),
        message: some("m"),
        tmn_code: some(tmn_code),
        txn_ref: some(REFERENCE),
        amount: Some(Text::Int(150_000_000)),
        transaction_no: Some(Text::Int(14_226_112)),
        transaction_status: some(status),
        ..QueryDrResponse::default()
    };
    let values = answer
        .signed_values()
        .map(|v| v.as_ref().map(Text::to_text).unwrap_or_default());
    answer.secure_hash = Some(key().sign_hex(pipe_join(values).as_bytes()));
    serde_json::to_vec(&answer).unwrap()
}

#[test]
fn every_querydr_outcome_maps_to_a_status_or_a_refusal() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);
    let txn = || Some(GatewayTxnNo::parse("14226112").unwrap());
    let code = |c: &str| GatewayCode::parse(c).unwrap();
    let statuses = [
        (
            "00",
            QueryStatus::Paid {
                txn: txn().unwrap(),
                amount: Money::from_vnd(1_500_000).unwrap(),
                paid_at: None,
            },
        ),
        ("01", QueryStatus::Pending),
        (
            "02",
            QueryStatus::Failed {
                txn: txn(),
                code: code("02"),
            },
        ),
        (
            "04",
            QueryStatus::Failed {
                txn: txn(),
                code: code("04"),
            },
        ),
        ("05", QueryStatus::NeedsReview { code: code("05") }),
        ("06", QueryStatus::NeedsReview { code: code("06") }),
        ("07", QueryStatus::NeedsReview { code: code("07") }),
        ("09", QueryStatus::NeedsReview { code: code("09") }),
        ("88", QueryStatus::NeedsReview { code: code("88") }),
    ];
    for (status, expected) in statuses {
        let body = signed_answer("00", status, TMN_CODE);
        let answer = vnpay.query_response(&payment, &body).unwrap();
        assert_eq!(answer.status, expected, "status {status}");
    }
    let not_found = vnpay
        .query_response(&payment, &signed_answer("91", "", TMN_CODE))
        .unwrap();
    assert_eq!(not_found.status, QueryStatus::NotFound);
    for refused in ["02", "03", "94", "97", "99", "12"] {
        let error = vnpay
            .query_response(&payment, &signed_answer(refused, "", TMN_CODE))
            .unwrap_err();
        assert!(
            matches!(&error, QueryError::Refused { code } if code == refused),
            "{refused}: {error:?}"
        );
    }
    let foreign = vnpay
        .query_response(&payment, &signed_answer("00", "00", "OTHERTMN"))
        .unwrap_err();
    assert!(matches!(foreign, QueryError::WrongMerchant));
}

#[test]
fn checkout_is_refused_for_another_gateway_an_expired_payment_or_bad_input() {
    let vnpay = testkit::vnpay();
    let payment = testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay);
    let momo_payment = testkit::payment(REFERENCE, 10_000, GatewayKind::Momo);
    let ok = testkit::checkout_context("Hoc phi");
    let late = CheckoutContext {
        now: payment.expires_at,
        ..ok.clone()
    };
    let plain_http = CheckoutContext {
        return_url: "http://example.vn/return".to_owned(),
        ..ok.clone()
    };
    let bad_bank = CheckoutContext {
        bank_code: Some("N C B".to_owned()),
        ..ok.clone()
    };
    let cases = [
        (&momo_payment, &ok, "WrongGateway"),
        (&payment, &late, "Expired"),
        (&payment, &plain_http, "InvalidReturnUrl"),
        (&payment, &bad_bank, "InvalidBankCode"),
    ];
    for (payment, ctx, expected) in cases {
        let error = vnpay.payment_url(payment, ctx).unwrap_err();
        assert!(format!("{error:?}").starts_with(expected), "{error:?}");
    }
}

#[test]
fn a_terminal_is_configured_only_with_a_valid_code_secret_and_urls() {
    let config = |tmn: &str, secret: &str, pay: &str| -> Result<Vnpay, ConfigError> {
        Vnpay::new(VnpayConfig {
            tmn_code: tmn.to_owned(),
            hash_secret: Secret::new(secret)?,
            pay_url: pay.to_owned(),
            api_url: Vnpay::SANDBOX_API_URL.to_owned(),
        })
    };
    assert!(config(TMN_CODE, VNPAY_SECRET, Vnpay::SANDBOX_PAY_URL).is_ok());
    let cases = [
        ("TESTTMN", VNPAY_SECRET, Vnpay::SANDBOX_PAY_URL),
        ("TEST-MN1", VNPAY_SECRET, Vnpay::SANDBOX_PAY_URL),
        (TMN_CODE, "", Vnpay::SANDBOX_PAY_URL),
        (TMN_CODE, "short", Vnpay::SANDBOX_PAY_URL),
        (
            TMN_CODE,
            VNPAY_SECRET,
            "http://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        ),
        (
            TMN_CODE,
            VNPAY_SECRET,
            "https://sandbox.vnpayment.vn/pay?x=1",
        ),
    ];
    for (tmn, secret, pay) in cases {
        assert!(config(tmn, secret, pay).is_err(), "{tmn} {secret:?} {pay}");
    }
    let debug = format!("{:?}", testkit::vnpay());
    assert!(!debug.contains(VNPAY_SECRET), "{debug}");
}

#[test]
fn the_gateway_enum_dispatches_every_operation_to_vnpay() {
    // Arrange
    let gateway = Gateway::Vnpay(testkit::vnpay());
    let payment = testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay);

    // Act
    let checkout = gateway
        .checkout(&payment, &testkit::checkout_context("Hoc phi"))
        .unwrap();
    let verified = gateway
        .verify(RawCallback {
            query: &php_ipn(),
            body: b"",
            path_param: None,
        })
        .unwrap();
    let reply = gateway.acknowledge(CallbackOutcome::AlreadyFinal);
    let query = gateway.query_request(&payment, &query_context()).unwrap();
    let answer = gateway
        .query_response(&payment, PHP_QUERYDR_ANSWER.as_bytes())
        .unwrap();

    // Assert
    assert_eq!(gateway.kind(), GatewayKind::Vnpay);
    assert!(
        matches!(checkout, Checkout::Redirect { url } if url.starts_with(Vnpay::SANDBOX_PAY_URL))
    );
    assert_eq!(verified.reference.as_str(), REFERENCE);
    assert!(gateway.verify_return(&php_ipn()).is_ok());
    assert_eq!(
        reply.body,
        r#"{"RspCode":"02","Message":"Order already confirmed"}"#
    );
    assert!(query.body.contains(PHP_QUERYDR_HASH));
    assert!(matches!(answer.status, QueryStatus::Paid { .. }));
    assert!(matches!(
        gateway.finish_checkout(&payment, b"{}"),
        Err(crate::CheckoutError::NoApiStep)
    ));
}

#[test]
fn query_pairs_are_exactly_what_form_urlencoded_decodes() {
    let queries = [
        "",
        "&",
        "&&a=1&&b=2&",
        "a",
        "a=",
        "=b",
        "a=b=c",
        "a+b=c+d",
        "a%20b=c%2Bd",
        "a=%zz&b=%E1%BB&c=%",
        "vnp_OrderInfo=H%E1%BB%8Dc+ph%C3%AD&vnp_Amount=100",
        "k=%E1%BA%BF&k=v",
        "a=%26%3D&b=x%25y",
        "ti%E1%BA%BFng=vi%E1%BB%87t",
        "x=%C3%28",
        "vnp_OrderInfo=Hoc+phi+HK1+2024-2025+Nguyen+V.+A.&vnp_TxnRef=HP1",
        "a+b=c&d=e=f&g=h:i&j=k*l&m=~&n=",
        "vnp_X=A%41&vnp_Y=%7e&vnp_Z=%20",
    ];
    for query in queries {
        let ours: Vec<FormPair<'_>> = form_pairs(query).collect();
        let decoded: Vec<(String, String)> = ours
            .iter()
            .map(|p| (p.key.to_string(), p.value.to_string()))
            .collect();
        let crate_pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(decoded, crate_pairs, "{query:?}");
        for pair in ours {
            if let Some(piece) = pair.canonical {
                assert_eq!(
                    piece,
                    canonical([(pair.key.as_ref(), pair.value.as_ref())], 0),
                    "{query:?}: a piece hashed as it is must be its own canonical form"
                );
            }
        }
    }
}

#[test]
fn every_store_answer_gets_its_ipn_reply() {
    use hocphi_domain::{PaymentState, StoreError};
    let state = PaymentState {
        payment: testkit::payment(REFERENCE, 10_000, GatewayKind::Vnpay),
        receipt: None,
    };
    let cases: [(Result<hocphi_domain::Settled, StoreError>, &str); 6] = [
        (Ok(Settled::Applied(state.clone())), "00"),
        (Ok(Settled::AlreadyFinal(state.clone())), "02"),
        (Ok(Settled::UnknownPayment), "01"),
        (
            Ok(Settled::AmountMismatch {
                expected: Money::from_vnd(10_000).unwrap(),
                recorded: true,
            }),
            "04",
        ),
        (Ok(Settled::NotDue(state)), "99"),
        (Err(StoreError::Contention), "99"),
    ];
    for (result, code) in cases {
        let reply = Vnpay::settlement_reply(&result);
        let parsed: wire::IpnReply = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            (reply.status, parsed.rsp_code.as_str()),
            (200, code),
            "{result:?}"
        );
    }
}

#[test]
fn an_ipn_verifies_alike_whether_it_holds_the_signed_string_in_one_run_or_in_scattered_pairs() {
    let vnpay = testkit::vnpay();
    let hash = format!("vnp_SecureHash={KAT_HASH}");
    let pairs: Vec<&str> = KAT_CANONICAL.split('&').collect();
    let reversed: Vec<&str> = pairs.iter().rev().copied().collect();
    let layouts = [
        format!("{KAT_CANONICAL}&{hash}"),
        format!("?{hash}&{KAT_CANONICAL}"),
        format!("{}&{hash}", reversed.join("&")),
        format!(
            "{}&utm_source=zalo&{}&{hash}",
            pairs[..3].join("&"),
            pairs[3..].join("&")
        ),
        format!(
            "{}&vnp_BankCode=&{}&{hash}",
            pairs[..1].join("&"),
            pairs[1..].join("&")
        ),
        format!(
            "{}&vnp_SecureHashType=HmacSHA512&{}&{hash}",
            pairs[..5].join("&"),
            pairs[5..].join("&")
        ),
        format!("{}&&{}&{hash}&", pairs[..2].join("&"), pairs[2..].join("&")),
        KAT_CANONICAL.replacen("vnp_Locale=vn", "vnp_Locale=%76n", 1) + "&" + &hash,
    ];
    for query in &layouts {
        let signed = SignedQuery::parse(query).unwrap();
        assert_eq!(signed.canonical(), KAT_CANONICAL, "{query}");
        assert!(signed.verify(&key()).is_ok(), "{query}");
    }
    let tampered = format!("{KAT_CANONICAL}&{hash}").replacen("vnp_Locale=vn", "vnp_Locale=en", 1);
    assert!(matches!(
        SignedQuery::parse(&tampered).unwrap().verify(&key()),
        Err(VerifyError::BadSignature)
    ));
    assert!(vnpay.verify_ipn(&tampered).is_err());
}

/// Runs the one-pass reader and the general reader on `query`; when the one-pass reader takes
/// the query, both must give the same result (the same error, or the same read fields). Returns
/// whether the one-pass reader took it.
fn readers_agree(query: &str) -> bool {
    let Some(in_order) = super::query::verify_in_order(query, &key()) else {
        return false;
    };
    let general =
        SignedQuery::parse(query).and_then(|signed| signed.verify(&key()).map(|()| signed));
    match (in_order, general) {
        (Ok(read), Ok(signed)) => {
            for name in super::query::READ {
                assert_eq!(read.get(name), signed.get(name), "{name} of {query}");
            }
        }
        (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{query}"),
        (a, b) => panic!("{query}: one pass {:?}, general {:?}", a.err(), b.err()),
    }
    true
}

#[test]
fn the_one_pass_reader_agrees_with_the_general_reader_on_every_layout() {
    let typical = signed(&ipn_params(&[]));
    let (body, hash) = typical.split_once("&vnp_SecureHash=").unwrap();
    let spaced_key = signed(&ipn_params(&[("vnp_Extra Key", "a b"), ("vnp_Extra", "c")]));
    let spaced_reference = signed(&ipn_params(&[(field::TXN_REF, " HP240901031010ABCD2345")]));
    let empty_value = signed(&ipn_params(&[(field::BANK_CODE, "")]));
    let layouts = [
        typical.clone(),
        php_ipn(),
        PHP_DECLINED_IPN.to_owned(),
        NPM_CANCELLED_IPN.to_owned(),
        spaced_key,
        spaced_reference,
        empty_value,
        format!("?{typical}"),
        format!("vnp_SecureHash={hash}&{body}"),
        format!("{body}&vnp_SecureHash={}", hash.to_uppercase()),
        format!("{body}&vnp_SecureHashType=HmacSHA512&vnp_SecureHash={hash}"),
        body.replacen("&vnp_OrderInfo", "&utm_source=zalo&vnp_OrderInfo", 1)
            + "&vnp_SecureHash="
            + hash,
        body.replacen("&vnp_OrderInfo", "&vnp_SecureHash=&vnp_OrderInfo", 1)
            + "&vnp_SecureHash="
            + hash,
        body.replacen("&vnp_OrderInfo", "&vnp_BankCode=&vnp_OrderInfo", 1)
            + "&vnp_SecureHash="
            + hash,
        body.replacen("&vnp_OrderInfo", "&vnp_Amount=1&vnp_OrderInfo", 1)
            + "&vnp_SecureHash="
            + hash,
        body.replacen("&vnp_OrderInfo", "&vnp_OrderInfo=&vnp_OrderInfo", 1)
            + "&vnp_SecureHash="
            + hash,
        format!("{body}&vnp_SecureHash={hash}&vnp_SecureHash={hash}"),
        format!("{body}&vnp_SecureHash={}", &hash[1..]),
        format!("{body}&vnp_SecureHash={}+", &hash[1..]),
        format!("{body}&vnp_SecureHash=x{}", &hash[1..]),
        body.to_owned(),
        String::new(),
        "vnp_SecureHash=".to_owned(),
    ];
    let mut taken = 0;
    for query in &layouts {
        taken += usize::from(readers_agree(query));
    }
    assert!(taken >= 12, "the one-pass reader took {taken}");
    assert!(readers_agree(&typical));
    assert!(matches!(
        super::query::verify_in_order(&typical, &key()),
        Some(Ok(_))
    ));
}

#[test]
fn the_one_pass_reader_agrees_with_the_general_reader_on_every_single_byte_mutation() {
    let typical = signed(&ipn_params(&[("vnp_Extra Key", "a b")]));
    let mut taken = 0;
    for at in 0..=typical.len() {
        for replacement in ["", "&", "=", "+", "%", "_", "A", " ", "&vnp_Z=1"] {
            let mut deleted = typical.clone();
            if at < typical.len() {
                deleted.replace_range(at..=at, replacement);
                taken += usize::from(readers_agree(&deleted));
            }
            let mut inserted = typical.clone();
            inserted.insert_str(at, replacement);
            taken += usize::from(readers_agree(&inserted));
        }
    }
    assert!(
        taken > typical.len() * 4,
        "the one-pass reader took {taken}"
    );
}
