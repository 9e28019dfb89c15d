//! The simulator against the adapter: each side accepts what the other produces, and the
//! simulator refuses what VNPay refuses.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money, Payment};

use super::*;
use crate::testkit::{self, TMN_CODE, VNPAY_SECRET};
use crate::vnpay::Vnpay;
use crate::{CallbackOutcome, QueryContext, QueryError, QueryStatus};

const HOST: &str = "http://127.0.0.1:8080";
const IPN_URL: &str = "http://127.0.0.1:8080/api/callbacks/vnpay";
const REFERENCE: &str = "HP240901031010ABCD2345";

fn simulator() -> Simulator {
    Simulator::new(SimulatorConfig {
        tmn_code: TMN_CODE.to_owned(),
        hash_secret: Secret::new(VNPAY_SECRET).unwrap(),
        ipn_url: IPN_URL.to_owned(),
        retry_interval: Duration::milliseconds(200),
        max_deliveries: SimulatorConfig::VNPAY_MAX_DELIVERIES,
    })
    .unwrap()
}

fn adapter_with(tmn_code: &str, secret: &str) -> Vnpay {
    Vnpay::new(crate::vnpay::VnpayConfig {
        tmn_code: tmn_code.to_owned(),
        hash_secret: Secret::new(secret).unwrap(),
        pay_url: format!("{HOST}{PAY_PATH}"),
        api_url: format!("{HOST}{API_PATH}"),
    })
    .unwrap()
}

fn adapter() -> Vnpay {
    adapter_with(TMN_CODE, VNPAY_SECRET)
}

fn payment() -> Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Vnpay)
}

fn opened_at() -> DateTime<Utc> {
    testkit::created_at() + Duration::seconds(5)
}

fn query_part(url: &str) -> &str {
    url.split_once('?').map_or("", |(_, query)| query)
}

/// The query of a payment URL the adapter builds for `payment`.
fn pay_query(adapter: &Vnpay, payment: &Payment) -> String {
    let url = adapter
        .payment_url(
            payment,
            &testkit::checkout_context("Học phí HK1 – Nguyễn V. A."),
        )
        .unwrap();
    assert!(url.starts_with(&format!("{HOST}{PAY_PATH}?")), "{url}");
    query_part(&url).to_owned()
}

fn opened(sim: &Simulator) {
    sim.open(&pay_query(&adapter(), &payment()), opened_at())
        .unwrap();
}

fn get(path: &str, query: &str, now: DateTime<Utc>) -> SimRequest<'static> {
    SimRequest {
        method: "GET",
        path: Box::leak(path.to_owned().into_boxed_str()),
        query: Box::leak(query.to_owned().into_boxed_str()),
        body: b"",
        now,
    }
}

fn header<'r>(response: &'r SimResponse, name: &str) -> &'r str {
    response
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, v)| v.as_str())
}

#[test]
fn a_payment_url_built_by_the_adapter_opens_a_self_contained_vietnamese_pay_page() {
    // Arrange
    let sim = simulator();
    let query = pay_query(&adapter(), &payment());

    // Act
    let response = sim.handle(&get(PAY_PATH, &query, opened_at()));

    // Assert
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    let html = &response.body;
    assert!(html.starts_with("<!doctype html><html lang=\"vi\">"));
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains("1.500.000\u{a0}₫"));
    assert!(html.contains(REFERENCE));
    assert!(html.contains("Hoc phi HK1 Nguyen V. A."));
    assert!(html.contains(&format!("action=\"{COMPLETE_PATH}\"")));
    for choice in ["00", "51", "24"] {
        assert!(
            html.contains(&format!("value=\"{choice}\"")),
            "choice {choice}"
        );
    }
    for external in ["<script", "<link", "src=", "url("] {
        assert!(!html.contains(external), "no external asset: {external}");
    }
}

#[test]
fn a_url_signed_with_the_wrong_secret_or_a_tampered_amount_is_refused_with_code_70() {
    let sim = simulator();
    let wrong_secret = pay_query(
        &adapter_with(TMN_CODE, "ANOTHERSECRETANOTHERSECRET123456"),
        &payment(),
    );
    let tampered =
        pay_query(&adapter(), &payment()).replace("vnp_Amount=150000000", "vnp_Amount=100000");
    for query in [wrong_secret, tampered] {
        assert_eq!(
            sim.open(&query, opened_at()),
            Err(Refusal::InvalidSignature)
        );
        let response = sim.handle(&get(PAY_PATH, &query, opened_at()));
        assert_eq!(response.status, 302);
        assert_eq!(
            header(&response, "location"),
            format!("{ERROR_PATH}?code=70")
        );
        let page = sim.handle(&get(ERROR_PATH, "code=70", opened_at()));
        assert!(page.body.contains("Sai chữ ký"), "{}", page.body);
    }
}

/// Parameters of a well-formed payment request, to be spoilt one at a time.
fn request_params<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        (field::AMOUNT, "150000000"),
        (field::COMMAND, "pay"),
        (field::CREATE_DATE, "20240901101010"),
        (field::CURR_CODE, "VND"),
        (field::EXPIRE_DATE, "20240901102510"),
        (field::IP_ADDR, "127.0.0.1"),
        (field::LOCALE, "vn"),
        (field::ORDER_INFO, "Hoc phi HK1"),
        (field::ORDER_TYPE, "other"),
        (field::RETURN_URL, "https://example.vn/return"),
        (field::TMN_CODE, TMN_CODE),
        (field::TXN_REF, REFERENCE),
        (field::VERSION, "2.1.0"),
    ];
    for (name, value) in overrides {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params
}

fn sim_key() -> Sha512Key {
    Sha512Key::new(&Secret::new(VNPAY_SECRET).unwrap()).unwrap()
}

#[test]
fn malformed_or_foreign_requests_are_refused_as_vnpay_refuses_them() {
    let sim = simulator();
    let key = sim_key();
    let cases: Vec<(Vec<(&str, &str)>, Refusal)> = vec![
        (
            vec![(field::TMN_CODE, "OTHERTMN")],
            Refusal::InvalidMerchant,
        ),
        (
            vec![(field::AMOUNT, "150000050")],
            Refusal::InvalidFormat(field::AMOUNT),
        ),
        (
            vec![(field::AMOUNT, "1500000.00")],
            Refusal::InvalidFormat(field::AMOUNT),
        ),
        (
            vec![(field::AMOUNT, "0")],
            Refusal::InvalidFormat(field::AMOUNT),
        ),
        (
            vec![(field::AMOUNT, "")],
            Refusal::InvalidFormat(field::AMOUNT),
        ),
        (
            vec![(field::CREATE_DATE, "2024-09-01")],
            Refusal::InvalidFormat(field::CREATE_DATE),
        ),
        (
            vec![(field::EXPIRE_DATE, "20240901101010")],
            Refusal::InvalidFormat(field::EXPIRE_DATE),
        ),
        (
            vec![(field::EXPIRE_DATE, "20241301101010")],
            Refusal::InvalidFormat(field::EXPIRE_DATE),
        ),
        (
            vec![(field::VERSION, "2.0.1")],
            Refusal::InvalidFormat(field::VERSION),
        ),
        (
            vec![(field::COMMAND, "querydr")],
            Refusal::InvalidFormat(field::COMMAND),
        ),
        (
            vec![(field::CURR_CODE, "USD")],
            Refusal::InvalidFormat(field::CURR_CODE),
        ),
        (
            vec![(field::LOCALE, "fr")],
            Refusal::InvalidFormat(field::LOCALE),
        ),
        (
            vec![(field::IP_ADDR, "localhost")],
            Refusal::InvalidFormat(field::IP_ADDR),
        ),
        (
            vec![(field::ORDER_INFO, "Học phí")],
            Refusal::InvalidFormat(field::ORDER_INFO),
        ),
        (
            vec![(field::ORDER_INFO, "a&b")],
            Refusal::InvalidFormat(field::ORDER_INFO),
        ),
        (
            vec![(field::RETURN_URL, "")],
            Refusal::InvalidFormat(field::RETURN_URL),
        ),
        (
            vec![(field::RETURN_URL, "ftp://example.vn")],
            Refusal::InvalidFormat(field::RETURN_URL),
        ),
        (
            vec![(field::TXN_REF, "HP 1")],
            Refusal::InvalidFormat(field::TXN_REF),
        ),
        (
            vec![(field::BANK_CODE, "N!")],
            Refusal::InvalidFormat(field::BANK_CODE),
        ),
    ];
    for (overrides, expected) in cases {
        let params = request_params(&[&[(field::TXN_REF, "HP2")], &overrides[..]].concat());
        let query = signed_query(&key, &params);
        assert_eq!(
            sim.open(&query, opened_at()),
            Err(expected),
            "{overrides:?}"
        );
    }
    let first = signed_query(&key, &request_params(&[]));
    sim.open(&first, opened_at()).unwrap();
    let reopened = sim.open(&first, opened_at() + Duration::seconds(30));
    assert!(reopened.is_ok(), "the same URL may be opened again");
    let reused = signed_query(&key, &request_params(&[(field::AMOUNT, "100000000")]));
    assert_eq!(
        sim.open(&reused, opened_at()),
        Err(Refusal::TransactionExists)
    );
    sim.complete(REFERENCE, Choice::Pay, opened_at()).unwrap();
    assert_eq!(
        sim.open(&first, opened_at()),
        Err(Refusal::TransactionExists),
        "a completed transaction cannot be paid again"
    );
    let doubled = format!("{first}&vnp_Amount=150000000");
    assert_eq!(
        sim.open(&doubled, opened_at()),
        Err(Refusal::InvalidFormat("a duplicated field"))
    );
    let expired = signed_query(&key, &request_params(&[(field::TXN_REF, "HP3")]));
    let after_expiry = testkit::created_at() + Duration::minutes(15);
    assert_eq!(sim.open(&expired, after_expiry), Err(Refusal::Expired));
}

#[test]
fn a_successful_payment_yields_an_ipn_and_a_return_url_that_the_adapter_verifies_as_paid() {
    // Arrange
    let sim = simulator();
    let adapter = adapter();
    opened(&sim);

    // Act
    let completion = sim
        .complete(REFERENCE, Choice::Pay, opened_at() + Duration::seconds(20))
        .unwrap();

    // Assert
    assert!(completion.ipn_url.starts_with(&format!("{IPN_URL}?")));
    assert!(
        completion
            .return_url
            .starts_with("https://example.vn/return?")
    );
    let ipn = adapter.verify_ipn(query_part(&completion.ipn_url)).unwrap();
    assert_eq!(ipn.reference.as_str(), REFERENCE);
    assert_eq!(
        ipn.event(),
        Some(&GatewayEvent::Paid {
            txn: GatewayTxnNo::parse(&Simulator::FIRST_TRANSACTION_NO.to_string()).unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
        })
    );
    assert_eq!(ipn.paid_at, Some(opened_at() + Duration::seconds(20)));
    let notice = adapter
        .verify_return(query_part(&completion.return_url))
        .unwrap();
    assert_eq!(notice.notification, ipn.into_inner());
    for name in [
        field::BANK_CODE,
        field::PAY_DATE,
        field::TRANSACTION_NO,
        field::CARD_TYPE,
    ] {
        assert!(completion.ipn_url.contains(&format!("{name}=")), "{name}");
    }
}

#[test]
fn a_failure_or_a_cancel_yields_a_signed_decline_with_its_code() {
    let adapter = adapter();
    let cases = [
        (ResponseCode::InsufficientBalance, "51", true),
        (ResponseCode::CustomerCancelled, "24", false),
    ];
    for (code, expected, has_txn) in cases {
        let sim = simulator();
        opened(&sim);
        let completion = sim
            .complete(REFERENCE, Choice::Decline(code), opened_at())
            .unwrap();
        let ipn = adapter.verify_ipn(query_part(&completion.ipn_url)).unwrap();
        match ipn.event() {
            Some(GatewayEvent::Declined { txn, code }) => {
                assert_eq!(code, &GatewayCode::parse(expected).unwrap());
                assert_eq!(txn.is_some(), has_txn, "{expected}");
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
}

#[test]
fn choosing_after_the_expiry_ends_the_payment_with_code_11() {
    let sim = simulator();
    opened(&sim);
    let late = testkit::created_at() + Duration::minutes(16);
    let completion = sim.complete(REFERENCE, Choice::Pay, late).unwrap();
    let ipn = adapter()
        .verify_ipn(query_part(&completion.ipn_url))
        .unwrap();
    assert!(matches!(
        ipn.event(),
        Some(GatewayEvent::Declined { code, .. }) if code.as_str() == "11"
    ));
    assert_eq!(
        sim.result_of(REFERENCE),
        Some((ResponseCode::PaymentTimedOut, TransactionStatus::Error))
    );
}

#[test]
fn the_pay_page_form_completes_through_handle_and_redirects_the_browser() {
    let sim = simulator();
    opened(&sim);
    let post = |body: &'static [u8]| {
        sim.handle(&SimRequest {
            method: "POST",
            path: COMPLETE_PATH,
            query: "",
            body,
            now: opened_at(),
        })
    };
    assert_eq!(
        post(b"vnp_TxnRef=HP240901031010ABCD2345&choice=42").status,
        400
    );
    assert_eq!(post(b"choice=00").status, 400);
    assert_eq!(post(b"vnp_TxnRef=HPNOPE&choice=00").status, 404);
    let done = post(b"vnp_TxnRef=HP240901031010ABCD2345&choice=00");
    assert_eq!(done.status, 302);
    let location = header(&done, "location");
    assert!(
        adapter().verify_return(query_part(location)).is_ok(),
        "{location}"
    );
    assert_eq!(
        post(b"vnp_TxnRef=HP240901031010ABCD2345&choice=00").status,
        409
    );
    assert_eq!(
        sim.complete("HPNOPE", Choice::Pay, opened_at()),
        Err(SimError::UnknownTransaction)
    );
}

#[test]
fn a_return_url_with_its_own_query_keeps_it_and_still_verifies() {
    let sim = simulator();
    let mut ctx = testkit::checkout_context("Hoc phi");
    ctx.return_url = "https://hocphi.example.vn/ket-qua?lang=vi".to_owned();
    let url = adapter().payment_url(&payment(), &ctx).unwrap();
    sim.open(query_part(&url), opened_at()).unwrap();
    let completion = sim.complete(REFERENCE, Choice::Pay, opened_at()).unwrap();
    assert!(
        completion
            .return_url
            .starts_with("https://hocphi.example.vn/ket-qua?lang=vi&vnp_")
    );
    assert!(
        adapter()
            .verify_return(query_part(&completion.return_url))
            .is_ok()
    );
}

#[test]
fn the_ipn_is_repeated_until_the_merchant_answers_00_or_02() {
    // Arrange
    let sim = simulator();
    opened(&sim);
    let t0 = opened_at();
    sim.complete(REFERENCE, Choice::Pay, t0).unwrap();
    let unknown_error = Vnpay::reply(CallbackOutcome::Unavailable).body;
    let confirmed = Vnpay::reply(CallbackOutcome::AlreadyFinal).body;

    // Act and assert: the first call is due at once.
    let first = sim.next_delivery(t0).unwrap();
    assert_eq!((first.txn_ref.as_str(), first.due_at), (REFERENCE, t0));
    sim.record_reply(
        REFERENCE,
        Some(&unknown_error),
        t0 + Duration::milliseconds(10),
    );
    // The next one is announced for one interval later, and not handed out early.
    let early = t0 + Duration::milliseconds(100);
    let waiting = sim.next_delivery(early).unwrap();
    assert_eq!(waiting.due_at, t0 + Duration::milliseconds(210));
    assert_eq!(sim.delivery(REFERENCE), Some((DeliveryState::Pending, 1)));
    // Due: handed out, answered 02, done.
    let second = sim.next_delivery(waiting.due_at).unwrap();
    assert_eq!(second.url, first.url);
    sim.record_reply(REFERENCE, Some(&confirmed), waiting.due_at);
    assert_eq!(
        sim.delivery(REFERENCE),
        Some((DeliveryState::Acknowledged, 2))
    );
    assert_eq!(sim.next_delivery(waiting.due_at + Duration::hours(1)), None);
}

#[test]
fn vnpay_stops_after_ten_calls_answered_otherwise_or_not_at_all() {
    let sim = simulator();
    opened(&sim);
    let mut now = opened_at();
    sim.complete(REFERENCE, Choice::Pay, now).unwrap();
    let replies = [
        Some(Vnpay::reply(CallbackOutcome::Rejected).body),
        Some(Vnpay::reply(CallbackOutcome::UnknownPayment).body),
        Some(Vnpay::reply(CallbackOutcome::AmountMismatch).body),
        Some("<html>502 Bad Gateway</html>".to_owned()),
        None,
    ];
    let mut calls = 0;
    while let Some(delivery) = sim.next_delivery(now) {
        if delivery.due_at > now {
            now = delivery.due_at;
            continue;
        }
        calls += 1;
        sim.record_reply(REFERENCE, replies[calls % replies.len()].as_deref(), now);
    }
    assert_eq!(calls, 10);
    assert_eq!(sim.delivery(REFERENCE), Some((DeliveryState::GaveUp, 10)));
}

#[test]
fn a_call_left_unanswered_counts_as_a_timeout_and_is_made_again() {
    let mut schedule = IpnSchedule::new(
        "http://x/ipn?a=1".to_owned(),
        opened_at(),
        Duration::milliseconds(200),
        3,
    );
    let t0 = opened_at();
    assert_eq!(schedule.next_delivery(t0).map(|d| d.1), Some(t0));
    assert_eq!(
        schedule
            .next_delivery(t0 + Duration::milliseconds(199))
            .map(|d| d.1),
        Some(t0 + Duration::milliseconds(200)),
        "announced, not handed out"
    );
    assert_eq!(schedule.attempts(), 1);
    assert!(
        schedule
            .next_delivery(t0 + Duration::milliseconds(200))
            .is_some()
    );
    assert!(
        schedule
            .next_delivery(t0 + Duration::milliseconds(400))
            .is_some()
    );
    assert_eq!(schedule.attempts(), 3);
    assert_eq!(schedule.next_delivery(t0 + Duration::seconds(9)), None);
    assert_eq!(schedule.state(), DeliveryState::GaveUp);
}

#[test]
fn only_00_and_02_replies_end_a_delivery() {
    let cases = [
        (
            Some(r#"{"RspCode":"00","Message":"Confirm Success"}"#),
            DeliveryState::Acknowledged,
        ),
        (
            Some(r#"{"RspCode":"02","Message":"Order already confirmed"}"#),
            DeliveryState::Acknowledged,
        ),
        (
            Some(r#"{"RspCode":"01","Message":"Order not found"}"#),
            DeliveryState::Pending,
        ),
        (
            Some(r#"{"RspCode":"04","Message":"Invalid amount"}"#),
            DeliveryState::Pending,
        ),
        (
            Some(r#"{"RspCode":"97","Message":"Invalid signature"}"#),
            DeliveryState::Pending,
        ),
        (
            Some(r#"{"RspCode":"99","Message":"Unknown error"}"#),
            DeliveryState::Pending,
        ),
        (Some("00"), DeliveryState::Pending),
        (Some(""), DeliveryState::Pending),
        (None, DeliveryState::Pending),
    ];
    for (reply, expected) in cases {
        let mut schedule = IpnSchedule::new(
            "http://x/ipn".to_owned(),
            opened_at(),
            Duration::seconds(1),
            10,
        );
        schedule.next_delivery(opened_at()).unwrap();
        schedule.record_reply(reply, opened_at());
        assert_eq!(schedule.state(), expected, "{reply:?}");
    }
}

#[test]
fn deliveries_of_several_transactions_come_earliest_first() {
    let sim = simulator();
    let key = sim_key();
    let t0 = opened_at();
    for (txn_ref, offset) in [("HPB", 3), ("HPA", 1), ("HPC", 2)] {
        let query = signed_query(&key, &request_params(&[(field::TXN_REF, txn_ref)]));
        sim.open(&query, t0).unwrap();
        sim.complete(txn_ref, Choice::Pay, t0 + Duration::seconds(offset))
            .unwrap();
    }
    let late = t0 + Duration::seconds(10);
    let order: Vec<String> = std::iter::from_fn(|| {
        let delivery = sim.next_delivery(late)?;
        sim.record_reply(
            &delivery.txn_ref,
            Some(r#"{"RspCode":"00","Message":"Confirm Success"}"#),
            late,
        );
        Some(delivery.txn_ref)
    })
    .collect();
    assert_eq!(order, ["HPA", "HPC", "HPB"]);
}

#[test]
fn the_adapter_and_the_simulator_close_the_ipn_loop() {
    // Arrange
    let sim = simulator();
    let adapter = adapter();
    opened(&sim);
    let now = opened_at();
    sim.complete(REFERENCE, Choice::Pay, now).unwrap();

    // Act: a driver's loop, with the store answering "applied".
    while let Some(delivery) = sim.next_delivery(now) {
        let outcome = match adapter.verify_ipn(query_part(&delivery.url)) {
            Ok(_) => CallbackOutcome::Recorded,
            Err(error) => CallbackOutcome::from_rejection(&error),
        };
        sim.record_reply(&delivery.txn_ref, Some(&Vnpay::reply(outcome).body), now);
    }

    // Assert
    assert_eq!(
        sim.delivery(REFERENCE),
        Some((DeliveryState::Acknowledged, 1))
    );
}

fn query_context(entropy: u8) -> QueryContext {
    QueryContext {
        request_entropy: [entropy; 16],
        server_ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
        now: testkit::created_at() + Duration::minutes(20),
    }
}

fn round_trip(
    sim: &Simulator,
    adapter: &Vnpay,
    payment: &Payment,
    entropy: u8,
) -> Result<QueryStatus, QueryError> {
    let request = adapter
        .query_request(payment, &query_context(entropy))
        .unwrap();
    assert!(request.url.ends_with(API_PATH));
    let response = sim.handle(&SimRequest {
        method: "POST",
        path: API_PATH,
        query: "",
        body: request.body.as_bytes(),
        now: query_context(entropy).now,
    });
    assert_eq!(response.status, 200);
    adapter
        .query_response(payment, response.body.as_bytes())
        .map(|answer| answer.into_inner().status)
}

#[test]
fn querydr_round_trips_reflect_the_simulated_transaction() {
    let sim = simulator();
    let adapter = adapter();
    let payment = payment();
    assert_eq!(
        round_trip(&sim, &adapter, &payment, 1).unwrap(),
        QueryStatus::NotFound
    );
    opened(&sim);
    assert_eq!(
        round_trip(&sim, &adapter, &payment, 2).unwrap(),
        QueryStatus::Pending
    );
    sim.complete(REFERENCE, Choice::Pay, opened_at()).unwrap();
    assert_eq!(
        round_trip(&sim, &adapter, &payment, 3).unwrap(),
        QueryStatus::Paid {
            txn: GatewayTxnNo::parse(&Simulator::FIRST_TRANSACTION_NO.to_string()).unwrap(),
            amount: Money::from_vnd(1_500_000).unwrap(),
            paid_at: Some(opened_at()),
        }
    );
    let repeated = round_trip(&sim, &adapter, &payment, 3).unwrap_err();
    assert!(matches!(repeated, QueryError::Refused { code } if code == "94"));
}

#[test]
fn querydr_reports_a_decline_as_failed() {
    let sim = simulator();
    let adapter = adapter();
    opened(&sim);
    sim.complete(
        REFERENCE,
        Choice::Decline(ResponseCode::InsufficientBalance),
        opened_at(),
    )
    .unwrap();
    assert!(matches!(
        round_trip(&sim, &adapter, &payment(), 1).unwrap(),
        QueryStatus::Failed { code, txn: Some(_) } if code.as_str() == "02"
    ));
}

#[test]
fn a_debit_held_as_suspicious_is_not_final_at_the_ipn_and_needs_review_at_querydr() {
    let sim = simulator();
    let adapter = adapter();
    opened(&sim);

    let completion = sim
        .complete(
            REFERENCE,
            Choice::Decline(ResponseCode::DebitedSuspicious),
            opened_at(),
        )
        .unwrap();

    let ipn = adapter.verify_ipn(query_part(&completion.ipn_url)).unwrap();
    assert_eq!(ipn.event(), None, "{:?}", ipn.outcome);
    assert!(matches!(
        round_trip(&sim, &adapter, &payment(), 1).unwrap(),
        QueryStatus::NeedsReview { code } if code.as_str() == "07"
    ));
}

#[test]
fn querydr_requests_with_a_bad_checksum_foreign_terminal_or_bad_format_are_answered_with_vnpays_codes()
 {
    let sim = simulator();
    let request = adapter()
        .query_request(&payment(), &query_context(1))
        .unwrap();
    let mut tampered: wire::QueryDrRequest = serde_json::from_str(&request.body).unwrap();
    tampered.txn_ref = "HP999".to_owned();
    let foreign = adapter_with("OTHERTMN", VNPAY_SECRET)
        .query_request(&payment(), &query_context(2))
        .unwrap();
    let cases = [
        (serde_json::to_vec(&tampered).unwrap(), "97"),
        (foreign.body.into_bytes(), "02"),
        (b"{\"vnp_RequestId\":1}".to_vec(), "03"),
    ];
    for (body, code) in cases {
        let answer = sim.query(&body);
        assert_eq!(
            answer
                .response_code
                .as_ref()
                .map(|c| c.to_text().into_owned()),
            Some(code.to_owned())
        );
        assert!(answer.secure_hash.is_some(), "every answer is signed");
    }
}

#[test]
fn unknown_paths_and_methods_get_http_errors() {
    let sim = simulator();
    assert_eq!(
        sim.handle(&get("/sim/vnpay/nope", "", opened_at())).status,
        404
    );
    assert_eq!(sim.handle(&get(API_PATH, "", opened_at())).status, 405);
    assert_eq!(sim.handle(&get(COMPLETE_PATH, "", opened_at())).status, 405);
    for path in [PAY_PATH, ERROR_PATH, COMPLETE_PATH, API_PATH] {
        assert!(path.starts_with(BASE_PATH), "{path}");
    }
}

#[test]
fn a_simulator_needs_a_terminal_code_an_ipn_url_and_a_positive_interval() {
    let config = |tmn: &str, ipn: &str, interval: Duration| SimulatorConfig {
        tmn_code: tmn.to_owned(),
        hash_secret: Secret::new(VNPAY_SECRET).unwrap(),
        ipn_url: ipn.to_owned(),
        retry_interval: interval,
        max_deliveries: 10,
    };
    assert!(Simulator::new(config(TMN_CODE, IPN_URL, Duration::milliseconds(200))).is_ok());
    assert!(Simulator::new(config("TMN", IPN_URL, Duration::milliseconds(200))).is_err());
    assert!(Simulator::new(config(TMN_CODE, "ipn", Duration::milliseconds(200))).is_err());
    assert!(Simulator::new(config(TMN_CODE, IPN_URL, Duration::zero())).is_err());
    assert_eq!(SimulatorConfig::VNPAY_RETRY_INTERVAL, Duration::minutes(5));
}

#[test]
fn a_transaction_that_exhausts_its_calls_does_not_hide_the_others() {
    let sim = simulator();
    let key = sim_key();
    let t0 = opened_at();
    for (txn_ref, offset) in [("HPA", 0), ("HPB", 60)] {
        let query = signed_query(&key, &request_params(&[(field::TXN_REF, txn_ref)]));
        sim.open(&query, t0).unwrap();
        sim.complete(txn_ref, Choice::Pay, t0 + Duration::seconds(offset))
            .unwrap();
    }
    let mut now = t0;
    let mut calls_to_a = 0;
    let next_b = loop {
        let delivery = sim.next_delivery(now).unwrap();
        if delivery.due_at > now {
            now = delivery.due_at;
            continue;
        }
        if delivery.txn_ref == "HPB" {
            break delivery;
        }
        calls_to_a += 1;
    };
    assert_eq!(calls_to_a, 10, "HPA's calls all went unanswered");
    assert_eq!(sim.delivery("HPA"), Some((DeliveryState::GaveUp, 10)));
    assert_eq!(next_b.due_at, t0 + Duration::seconds(60));
}
