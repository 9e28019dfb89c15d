//! The simulator against hocphi's own payOS adapter, and against checks written here from
//! payOS's documentation alone: signatures recomputed over literal text, the VietQR payload
//! decoded field by field with a CRC computed bit by bit.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use hocphi_domain::{GatewayEvent, GatewayKind, Money, PayeeId, Payment};
use serde_json::Value;
use sha2::Sha256;

use super::*;
use crate::payos::{Payos, PayosConfig};
use crate::testkit;
use crate::{ApiRequest, Outcome, QueryStatus};

const ORIGIN: &str = "http://127.0.0.1:8080";
/// A payOS reference created at [`testkit::created_at`], and its order code.
const REFERENCE: &str = "HP240901031010ABCD";
const ORDER_CODE: u64 = 718_938_389_119_636;
/// The local channels of the design (`LOCAL_PAYOS_*` in hocphi-runtime's configuration).
const NQ: (&str, &str, &str) = (
    "LOCALPAYOS-NQ",
    "LOCALPAYOSAPIKEY-NQ",
    "LOCALPAYOSCHECKSUMKEYNGOQUYEN0001",
);
const LL: (&str, &str, &str) = (
    "LOCALPAYOS-LL",
    "LOCALPAYOSAPIKEY-LL",
    "LOCALPAYOSCHECKSUMKEYLELOI000000001",
);

/// As on the local stack, NQ's account is linked through payOS and LL's is not.
fn linked_account(client_id: &str) -> bool {
    client_id == NQ.0
}

fn channel(
    payee: &str,
    (client_id, api_key, checksum_key): (&str, &str, &str),
    bin: &str,
    number: &str,
    name: &str,
) -> SimChannel {
    SimChannel {
        payee: PayeeId::parse(payee).unwrap(),
        client_id: client_id.to_owned(),
        api_key: Secret::new(api_key).unwrap(),
        checksum_key: Secret::new(checksum_key).unwrap(),
        account: BankAccount {
            bin: bin.to_owned(),
            number: number.to_owned(),
            name: name.to_owned(),
        },
        linked_account: linked_account(client_id),
    }
}

fn simulator() -> PayosSimulator {
    PayosSimulator::new(
        vec![
            channel(
                "BD-THCS-NGOQUYEN",
                NQ,
                "970436",
                "0071000123456",
                "TRUONG THCS NGO QUYEN",
            ),
            channel(
                "BD-TH-LELOI",
                LL,
                "970415",
                "113000456789",
                "TRUONG TIEU HOC LE LOI",
            ),
        ],
        ORIGIN,
    )
    .unwrap()
}

/// hocphi's configuration of a channel: `(client id, API key, checksum key)`.
fn config((client_id, api_key, checksum_key): (&str, &str, &str)) -> PayosConfig {
    PayosConfig {
        client_id: client_id.to_owned(),
        api_key: Secret::new(api_key).unwrap(),
        checksum_key: Secret::new(checksum_key).unwrap(),
        endpoint: format!("{ORIGIN}{BASE_PATH}"),
        linked_account: linked_account(client_id),
    }
}

/// hocphi's adapter for a channel.
fn adapter(keys: (&str, &str, &str)) -> Payos {
    Payos::new(config(keys)).unwrap()
}

/// The adapter's create request for [`payment`].
fn create_request(payos: &Payos) -> ApiRequest {
    payos
        .create_request(&payment(), &testkit::checkout_context("Học phí HK1"))
        .unwrap()
}

fn payment() -> Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Payos)
}

fn at(minutes: i64) -> DateTime<Utc> {
    testkit::created_at() + Duration::minutes(minutes)
}

fn call(
    sim: &PayosSimulator,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    now: DateTime<Utc>,
) -> SimResponse {
    let path = url.trim_start_matches(ORIGIN);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    sim.handle(
        &SimRequest {
            method,
            path,
            query,
            body,
            now,
        },
        headers,
    )
}

/// Sends an adapter's request with its own headers.
fn send(sim: &PayosSimulator, request: &ApiRequest, now: DateTime<Utc>) -> SimResponse {
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|h| (h.name, h.value.as_str()))
        .collect();
    call(
        sim,
        request.method,
        &request.url,
        &headers,
        request.body.as_bytes(),
        now,
    )
}

fn json(answer: &SimResponse) -> Value {
    serde_json::from_str(&answer.body).unwrap()
}

/// Creates the link through the adapter and answers the simulator's raw answer.
fn create(sim: &PayosSimulator) -> SimResponse {
    send(sim, &create_request(&adapter(NQ)), at(0))
}

fn bank(sim: &PayosSimulator, form: &str, now: DateTime<Utc>) -> SimResponse {
    let path = format!("{BANK_PATH}/{ORDER_CODE}");
    call(sim, "POST", &path, &[], form.as_bytes(), now)
}

fn query(sim: &PayosSimulator, now: DateTime<Utc>) -> (Value, QueryStatus) {
    let answer = send(sim, &adapter(NQ).query_request(&payment()).unwrap(), now);
    let status = adapter(NQ)
        .query_response(&payment(), answer.body.as_bytes())
        .unwrap()
        .into_inner()
        .status;
    (json(&answer), status)
}

fn hmac_sha256_hex(key: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// payOS's signature over a flat `data` object, as its documentation describes it.
fn flat_signature(key: &str, data: &Value) -> String {
    let mut pairs: Vec<(String, String)> = data
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let raw = match v {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), raw)
        })
        .collect();
    pairs.sort();
    let message: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    hmac_sha256_hex(key, &message.join("&"))
}

/// CRC-16/CCITT-FALSE one bit at a time (the table-free textbook form).
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        for i in (0..8).rev() {
            let bit = u16::from((byte >> i) & 1);
            let top = crc >> 15;
            crc <<= 1;
            if top ^ bit == 1 {
                crc ^= 0x1021;
            }
        }
    }
    crc
}

/// An EMVCo TLV run as (id, value) pairs; panics on any malformed length.
fn tlv(mut rest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        let id = &rest[..2];
        let len: usize = rest[2..4].parse().unwrap();
        out.push((id.to_owned(), rest[4..4 + len].to_owned()));
        rest = &rest[4 + len..];
    }
    out
}

fn tag<'a>(fields: &'a [(String, String)], id: &str) -> &'a str {
    let found: Vec<&str> = fields
        .iter()
        .filter(|(i, _)| i == id)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(found.len(), 1, "tag {id} once in {fields:?}");
    found[0]
}

#[test]
fn a_create_request_gets_a_signed_link_to_the_bank_page() {
    let sim = simulator();
    let answer = create(&sim);

    let body = json(&answer);
    assert_eq!(
        (body["code"].as_str(), body["desc"].as_str()),
        (Some("00"), Some("success"))
    );
    let data = &body["data"];
    assert_eq!(
        body["signature"].as_str().unwrap(),
        flat_signature(NQ.2, data),
        "signed as payOS documents it"
    );
    assert_eq!(data["bin"], "970436");
    assert_eq!(data["accountNumber"], "0071000123456");
    assert_eq!(data["accountName"], "TRUONG THCS NGO QUYEN");
    assert_eq!(data["amount"], 1_500_000);
    assert_eq!(data["description"], REFERENCE);
    assert_eq!(data["orderCode"], ORDER_CODE);
    assert_eq!(data["currency"], "VND");
    assert_eq!(data["status"], "PENDING");
    assert_eq!(data["expiredAt"], payment().expires_at.timestamp());
    let link = adapter(NQ)
        .create_response(&payment(), answer.body.as_bytes())
        .unwrap()
        .into_inner();
    assert_eq!(
        link.checkout_url,
        format!("{ORIGIN}/sim/payos/bank/{ORDER_CODE}")
    );
    assert_eq!(link.payment_link_id.as_str(), data["paymentLinkId"]);
    assert_eq!(link.qr_code, data["qrCode"]);
}

#[test]
fn the_qr_code_is_a_vietqr_payload_for_the_payees_account_amount_and_memo() {
    assert_eq!(crc16(b"123456789"), 0x29B1, "the CRC's check value");
    let sim = simulator();
    let qr = json(&create(&sim))["data"]["qrCode"]
        .as_str()
        .unwrap()
        .to_owned();

    let (body, crc) = qr.split_at(qr.len() - 4);
    assert!(body.ends_with("6304"), "{qr}");
    assert_eq!(crc, format!("{:04X}", crc16(body.as_bytes())), "{qr}");
    let top = tlv(&qr);
    let ids: Vec<&str> = top.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["00", "01", "38", "53", "54", "58", "62", "63"]);
    assert_eq!(tag(&top, "00"), "01");
    assert_eq!(tag(&top, "01"), "12", "dynamic: one payment");
    let merchant = tlv(tag(&top, "38"));
    assert_eq!(tag(&merchant, "00"), "A000000727", "NAPAS");
    assert_eq!(tag(&merchant, "02"), "QRIBFTTA", "transfer to an account");
    let beneficiary = tlv(tag(&merchant, "01"));
    assert_eq!(tag(&beneficiary, "00"), "970436");
    assert_eq!(tag(&beneficiary, "01"), "0071000123456");
    assert_eq!(tag(&top, "53"), "704");
    assert_eq!(tag(&top, "54"), "1500000");
    assert_eq!(tag(&top, "58"), "VN");
    assert_eq!(tag(&tlv(tag(&top, "62")), "08"), REFERENCE);
}

#[test]
fn an_account_not_linked_through_payos_carries_a_matching_code_before_the_short_description() {
    let sim = simulator();
    let request = create_request(&adapter(LL));
    let sent: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(sent["description"], "31010ABCD", "the reference's last 9");

    let answer = send(&sim, &request, at(0));
    let data = &json(&answer)["data"];
    let memo = tag(
        &tlv(tag(&tlv(data["qrCode"].as_str().unwrap()), "62")),
        "08",
    )
    .to_owned();
    assert_eq!(memo, "CS2UBQIFXQS 31010ABCD");
    let link = adapter(LL)
        .create_response(&payment(), answer.body.as_bytes())
        .unwrap()
        .into_inner();
    assert_eq!(link.memo, memo, "the memo a parent types is the QR code's");

    assert_eq!(bank(&sim, "choice=exact", at(1)).status, 302);
    let webhook = sim.take_webhooks().pop().unwrap();
    let body: Value = serde_json::from_str(&webhook.body).unwrap();
    assert_eq!(body["data"]["description"], memo.as_str());
}

#[test]
fn a_description_longer_than_the_channel_takes_is_refused() {
    let sim = simulator();
    let claims_linked = Payos::new(PayosConfig {
        linked_account: true,
        ..config(LL)
    })
    .unwrap();
    let request = create_request(&claims_linked);

    let answer = json(&send(&sim, &request, at(0)));

    assert_eq!(
        (&answer["code"], &answer["desc"]),
        (&json!("20"), &json!("Mô tả tối đa 9 kí tự"))
    );
    let err = claims_linked
        .create_response(&payment(), &serde_json::to_vec(&answer).unwrap())
        .unwrap_err();
    assert!(format!("{err:?}").starts_with("Refused"), "{err:?}");
}

/// A case, the headers, the body, and the HTTP status and payOS `code` answered.
type RefusedCreate<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, u16, &'a str);

#[test]
fn create_requests_are_refused_as_payos_refuses_them() {
    let sim = simulator();
    let request = create_request(&adapter(NQ));
    let wrong_key = create_request(&adapter((NQ.0, NQ.1, LL.2)));
    let tampered = request.body.replace("1500000", "1500001");
    let good = [("x-client-id", NQ.0), ("x-api-key", NQ.1)];
    let cases: [RefusedCreate<'_>; 8] = [
        ("no credentials", &[], &request.body, 401, "401"),
        (
            "another channel's API key",
            &[("x-client-id", NQ.0), ("x-api-key", LL.1)],
            &request.body,
            401,
            "401",
        ),
        (
            "an unknown client",
            &[("x-client-id", "OTHER"), ("x-api-key", NQ.1)],
            &request.body,
            401,
            "401",
        ),
        (
            "a repeated header",
            &[
                ("x-client-id", NQ.0),
                ("X-Client-Id", NQ.0),
                ("x-api-key", NQ.1),
            ],
            &request.body,
            401,
            "401",
        ),
        ("not JSON", &good, "{", 200, "20"),
        ("a tampered amount", &good, &tampered, 200, "201"),
        (
            "another channel's checksum key",
            &good,
            &wrong_key.body,
            200,
            "201",
        ),
        (
            "no signature",
            &good,
            &request.body.replace("\"signature\"", "\"unsigned\""),
            200,
            "201",
        ),
    ];
    for (case, headers, body, status, code) in cases {
        let answer = call(&sim, "POST", &request.url, headers, body.as_bytes(), at(0));
        assert_eq!(
            (answer.status, json(&answer)["code"].as_str().unwrap()),
            (status, code),
            "{case}"
        );
        assert!(json(&answer)["data"].is_null(), "{case}");
    }

    assert_eq!(json(&send(&sim, &request, at(0)))["code"], "00");
    assert_eq!(
        json(&send(&sim, &request, at(0)))["code"],
        "231",
        "an orderCode is created once"
    );
    let other_channel = create_request(&adapter(LL));
    assert_eq!(
        json(&send(&sim, &other_channel, at(0)))["code"],
        "00",
        "order codes are per channel"
    );
    let late = send(&sim, &request, at(15));
    assert_eq!(json(&late)["code"], "20", "expiredAt already passed");
}

#[test]
fn paying_the_exact_amount_sends_one_signed_webhook_and_the_link_is_paid() {
    let sim = simulator();
    let link = json(&create(&sim))["data"].clone();
    let link_id = link["paymentLinkId"].as_str().unwrap();
    let page = call(
        &sim,
        "GET",
        link["checkoutUrl"].as_str().unwrap(),
        &[],
        b"",
        at(1),
    );
    assert_eq!(page.status, 200);
    for shown in [
        "Vietcombank",
        "0071000123456",
        "TRUONG THCS NGO QUYEN",
        "1.500.000 ₫",
        REFERENCE,
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }

    let done = bank(&sim, "choice=exact", at(1));

    assert_eq!(done.status, 302);
    assert_eq!(
        done.headers[0],
        (
            "location",
            format!(
                "https://example.vn/return?code=00&id={link_id}&cancel=false&status=PAID\
                 &orderCode={ORDER_CODE}"
            )
        )
    );
    let webhooks = sim.take_webhooks();
    assert_eq!(webhooks.len(), 1);
    assert!(
        sim.take_webhooks().is_empty(),
        "each webhook is handed out once"
    );
    let webhook = &webhooks[0];
    assert_eq!(webhook.payee.as_str(), "BD-THCS-NGOQUYEN");
    assert_eq!(
        webhook.url,
        "http://127.0.0.1:8080/api/callbacks/payos/BD-THCS-NGOQUYEN"
    );
    let body: Value = serde_json::from_str(&webhook.body).unwrap();
    assert_eq!(
        (&body["code"], &body["desc"], &body["success"]),
        (&"00".into(), &"success".into(), &true.into())
    );
    let reference = format!("FT{}", PayosSimulator::FIRST_REFERENCE);
    let message = format!(
        "accountNumber=0071000123456&amount=1500000&code=00&counterAccountBankId=970418\
         &counterAccountBankName=Ngân hàng TMCP Đầu tư và Phát triển Việt Nam\
         &counterAccountName=NGUYEN VAN PHU HUYNH&counterAccountNumber=21510000123456\
         &currency=VND&desc=Thành công&description={REFERENCE}&orderCode={ORDER_CODE}\
         &paymentLinkId={link_id}&reference={reference}\
         &transactionDateTime=2024-09-01 10:11:10&virtualAccountName=&virtualAccountNumber="
    );
    assert_eq!(body["signature"], hmac_sha256_hex(NQ.2, &message));
    let transfer = adapter(NQ)
        .verify_webhook(webhook.body.as_bytes())
        .unwrap()
        .into_inner();
    assert_eq!(transfer.reference.as_str(), REFERENCE);
    assert_eq!(transfer.amount, Money::from_vnd(1_500_000).unwrap());
    assert_eq!(transfer.paid_at, Some(at(1)));
    assert!(matches!(
        transfer.outcome,
        Outcome::Final(GatewayEvent::Paid { ref txn, .. }) if txn.as_str() == reference
    ));

    let (info, status) = query(&sim, at(2));
    assert_eq!(info["data"]["status"], "PAID");
    assert_eq!(info["data"]["amountPaid"], 1_500_000);
    assert_eq!(info["data"]["amountRemaining"], 0);
    assert_eq!(info["data"]["transactions"][0]["reference"], reference);
    assert!(matches!(status, QueryStatus::Paid { paid_at: Some(t), .. } if t == at(1)));
    assert_eq!(bank(&sim, "choice=exact", at(2)).status, 409, "paid once");
    assert!(sim.take_webhooks().is_empty());
}

#[test]
fn paying_another_amount_sends_that_amount_and_the_link_is_underpaid_or_overpaid() {
    let cases = [
        ("amount=1000000", 1_000_000, "UNDERPAID", 500_000),
        ("amount=1.000.000", 1_000_000, "UNDERPAID", 500_000),
        ("amount=2000000", 2_000_000, "PAID", 0),
    ];
    for (form, amount, status, remaining) in cases {
        let sim = simulator();
        create(&sim);

        let done = bank(&sim, &format!("choice=other&{form}"), at(1));

        assert_eq!(done.status, 302, "{form}");
        assert!(
            done.headers[0].1.contains(&format!("status={status}")),
            "{form}: {:?}",
            done.headers
        );
        let webhooks = sim.take_webhooks();
        assert_eq!(webhooks.len(), 1, "{form}");
        let transfer = adapter(NQ)
            .verify_webhook(webhooks[0].body.as_bytes())
            .unwrap()
            .into_inner();
        assert_eq!(transfer.amount, Money::from_vnd(amount).unwrap(), "{form}");
        let (info, query_status) = query(&sim, at(2));
        assert_eq!(info["data"]["status"], status, "{form}");
        assert_eq!(info["data"]["amountPaid"], amount, "{form}");
        assert_eq!(info["data"]["amountRemaining"], remaining, "{form}");
        assert!(
            matches!(query_status, QueryStatus::NeedsReview { ref code } if code.as_str() == status),
            "{form}: {query_status:?}"
        );
    }
}

#[test]
fn an_underpaid_link_takes_a_further_transfer_and_leaving_changes_nothing() {
    let sim = simulator();
    create(&sim);
    let left = bank(&sim, "choice=leave", at(1));
    assert!(
        left.headers[0].1.contains("status=PENDING"),
        "{:?}",
        left.headers
    );
    assert!(sim.take_webhooks().is_empty(), "no transfer, no webhook");

    bank(&sim, "choice=other&amount=500000", at(1));
    let page = call(
        &sim,
        "GET",
        &format!("{BANK_PATH}/{ORDER_CODE}"),
        &[],
        b"",
        at(2),
    );
    assert!(page.body.contains("còn thiếu 1.000.000 ₫"), "{}", page.body);
    bank(&sim, "choice=other&amount=1000000", at(2));

    assert_eq!(sim.take_webhooks().len(), 2);
    assert_eq!(query(&sim, at(3)).0["data"]["status"], "PAID");
}

#[test]
fn a_bad_choice_or_amount_is_refused_without_a_transfer() {
    let sim = simulator();
    create(&sim);
    let cases = [
        "",
        "choice=steal",
        "choice=other",
        "choice=other&amount=",
        "choice=other&amount=0",
        "choice=other&amount=-5",
        "choice=other&amount=abc",
        "choice=other&amount=99999999999",
        "choice=exact&choice=leave",
    ];
    for form in cases {
        assert_eq!(bank(&sim, form, at(1)).status, 400, "{form:?}");
    }
    let unknown = call(&sim, "GET", &format!("{BANK_PATH}/1"), &[], b"", at(1));
    assert_eq!(unknown.status, 404);
    let not_a_code = call(&sim, "GET", &format!("{BANK_PATH}/x1"), &[], b"", at(1));
    assert_eq!(not_a_code.status, 404);
    assert!(sim.take_webhooks().is_empty());
}

#[test]
fn an_expired_link_takes_no_transfer_and_reads_expired() {
    let sim = simulator();
    create(&sim);

    let page = call(
        &sim,
        "GET",
        &format!("{BANK_PATH}/{ORDER_CODE}"),
        &[],
        b"",
        at(15),
    );
    assert_eq!(page.status, 409);
    assert!(page.body.contains("hết hạn"), "{}", page.body);
    assert_eq!(bank(&sim, "choice=exact", at(15)).status, 409);
    assert!(sim.take_webhooks().is_empty());
    let (info, status) = query(&sim, at(15));
    assert_eq!(info["data"]["status"], "EXPIRED");
    assert!(matches!(status, QueryStatus::Failed { ref code, .. } if code.as_str() == "EXPIRED"));
    assert_eq!(query(&sim, at(14)).0["data"]["status"], "PENDING");
}

#[test]
fn a_cancelled_link_takes_no_transfer_and_its_cancel_answer_is_signed() {
    let sim = simulator();
    create(&sim);
    let cancel = adapter(NQ)
        .cancel_request(&payment(), "Hết hạn thanh toán")
        .unwrap();

    let answer = send(&sim, &cancel, at(5));

    let state = adapter(NQ)
        .query_response(&payment(), answer.body.as_bytes())
        .unwrap();
    assert!(
        matches!(&state.status, QueryStatus::Failed { code, .. } if code.as_str() == "CANCELLED")
    );
    let data = &json(&answer)["data"];
    assert_eq!(data["cancellationReason"], "Het han thanh toan");
    assert_eq!(data["canceledAt"], "2024-09-01T10:15:10+07:00");
    assert_eq!(bank(&sim, "choice=exact", at(6)).status, 409);
    let page = call(
        &sim,
        "GET",
        &format!("{BANK_PATH}/{ORDER_CODE}"),
        &[],
        b"",
        at(6),
    );
    assert!(page.body.contains("đã bị hủy"), "{}", page.body);
    assert!(sim.take_webhooks().is_empty());
    assert_eq!(
        json(&send(&sim, &cancel, at(6)))["code"],
        "20",
        "a link is cancelled once"
    );
}

#[test]
fn a_link_is_read_by_order_code_or_id_and_only_by_its_own_channel() {
    let sim = simulator();
    let link_id = json(&create(&sim))["data"]["paymentLinkId"]
        .as_str()
        .unwrap()
        .to_owned();
    bank(&sim, "choice=other&amount=1000000", at(1));
    let by_id = adapter(NQ).query_request(&payment()).unwrap();
    let by_id = ApiRequest {
        url: by_id.url.replace(&ORDER_CODE.to_string(), &link_id),
        ..by_id
    };

    let answer = send(&sim, &by_id, at(2));

    let body = json(&answer);
    assert_eq!(body["data"]["id"], link_id.as_str());
    assert_eq!(body["data"]["createdAt"], "2024-09-01T10:10:10+07:00");
    assert_eq!(
        body["data"]["transactions"][0]["transactionDateTime"],
        "2024-09-01T10:11:10+07:00"
    );
    adapter(NQ)
        .query_response(&payment(), answer.body.as_bytes())
        .unwrap();
    let other = send(&sim, &adapter(LL).query_request(&payment()).unwrap(), at(2));
    assert_eq!(
        json(&other)["code"],
        "101",
        "another channel's link is unknown"
    );
    let unsigned = adapter(NQ).query_response(&payment(), other.body.as_bytes());
    assert!(unsigned.is_err());
    let nowhere = call(
        &sim,
        "GET",
        &format!("{BASE_PATH}/nowhere"),
        &[("x-client-id", NQ.0), ("x-api-key", NQ.1)],
        b"",
        at(2),
    );
    assert_eq!(nowhere.status, 404);
}

#[test]
fn confirming_a_webhook_url_queues_payos_test_webhook_to_it() {
    let sim = simulator();
    let url = "http://127.0.0.1:8080/api/callbacks/payos/BD-TH-LELOI";
    let headers = [("x-client-id", LL.0), ("x-api-key", LL.1)];
    let body = format!("{{\"webhookUrl\":\"{url}\"}}");

    let answer = call(
        &sim,
        "POST",
        "/sim/payos/confirm-webhook",
        &headers,
        body.as_bytes(),
        at(0),
    );

    let answer = json(&answer);
    assert_eq!(answer["code"], "00");
    assert_eq!(answer["data"]["webhookUrl"], url);
    assert_eq!(answer["data"]["accountNumber"], "113000456789");
    let webhooks = sim.take_webhooks();
    assert_eq!(webhooks.len(), 1);
    assert_eq!(
        (webhooks[0].url.as_str(), webhooks[0].order_code),
        (url, 123)
    );
    let sent: Value = serde_json::from_str(&webhooks[0].body).unwrap();
    assert_eq!(sent["signature"], flat_signature(LL.2, &sent["data"]));
    let refused = call(
        &sim,
        "POST",
        "/sim/payos/confirm-webhook",
        &headers,
        b"{}",
        at(0),
    );
    assert_eq!(json(&refused)["code"], "20");
}

#[test]
fn channels_are_refused_when_a_client_id_repeats_or_an_account_is_not_a_bank_account() {
    let nq = || channel("BD-THCS-NGOQUYEN", NQ, "970436", "0071000123456", "TRUONG");
    let cases = [
        vec![nq(), nq()],
        vec![channel("A1", NQ, "97043", "0071000123456", "TRUONG")],
        vec![channel("A1", NQ, "970436", "0071-000", "TRUONG")],
        vec![channel("A1", NQ, "970436", "0071000123456", "")],
    ];
    for channels in cases {
        assert!(PayosSimulator::new(channels, ORIGIN).is_err());
    }
}

#[test]
fn channels_are_read_from_the_configuration_value_with_the_accounts_given() {
    let account = BankAccount {
        bin: "970436".to_owned(),
        number: "0071000123456".to_owned(),
        name: "TRUONG THCS NGO QUYEN".to_owned(),
    };
    let value = format!(
        r#"{{"BD-THCS-NGOQUYEN":{{"client_id":"{}","api_key":"{}","checksum_key":"{}","linked_account":true}},
            "BD-TH-LELOI":{{"client_id":"{}","api_key":"{}","checksum_key":"{}"}}}}"#,
        NQ.0, NQ.1, NQ.2, LL.0, LL.1, LL.2
    );

    let (channels, left_out) =
        channels_from_config(&value, &[("BD-THCS-NGOQUYEN", account.clone())]).unwrap();

    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].client_id, NQ.0);
    assert_eq!(channels[0].account, account);
    assert!(channels[0].linked_account);
    assert_eq!(left_out, [PayeeId::parse("BD-TH-LELOI").unwrap()]);
    let sim = PayosSimulator::new(channels, ORIGIN).unwrap();
    assert_eq!(
        json(&create(&sim))["code"],
        "00",
        "the configured keys sign"
    );
    let bad = [
        "",
        "[]",
        r#"{"bad payee!":{"client_id":"a","api_key":"LOCALPAYOSAPIKEY-NQ","checksum_key":"LOCALPAYOSCHECKSUMKEYNGOQUYEN0001"}}"#,
        r#"{"BD-THCS-NGOQUYEN":{"client_id":"a"}}"#,
        r#"{"BD-THCS-NGOQUYEN":{"client_id":"a","api_key":"short","checksum_key":"LOCALPAYOSCHECKSUMKEYNGOQUYEN0001"}}"#,
    ];
    for value in bad {
        assert!(
            channels_from_config(value, &[("BD-THCS-NGOQUYEN", account.clone())]).is_err(),
            "{value}"
        );
    }
}
