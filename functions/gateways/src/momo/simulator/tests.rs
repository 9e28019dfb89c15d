//! The simulator against hocphi's own MoMo adapter: what one signs, the other verifies.

use chrono::Duration;
use hocphi_domain::{GatewayEvent, GatewayKind, GatewayTxnNo, Money, Payment};

use super::*;
use crate::momo::wire::CreateRequest;
use crate::testkit;
use crate::{QueryContext, QueryStatus};

const ORIGIN: &str = "http://127.0.0.1:8080";
const REFERENCE: &str = "HP240901031010ABCD2345";

fn simulator() -> MomoSimulator {
    MomoSimulator::new(testkit::momo_config(), ORIGIN).unwrap()
}

fn payment() -> Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Momo)
}

fn call(sim: &MomoSimulator, method: &'static str, url: &str, body: &[u8]) -> SimResponse {
    let path = url
        .strip_prefix(Momo::SANDBOX_ENDPOINT)
        .map(|api| format!("{BASE_PATH}{api}"))
        .unwrap_or_else(|| url.trim_start_matches(ORIGIN).to_owned());
    let (path, query) = path.split_once('?').unwrap_or((&path, ""));
    sim.handle(&SimRequest {
        method,
        path,
        query,
        body,
        now: testkit::created_at() + Duration::minutes(1),
    })
}

/// Creates the order through the adapter and answers the pay URL.
fn created(sim: &MomoSimulator) -> String {
    let adapter = testkit::momo();
    let request = adapter
        .create_request(&payment(), &testkit::checkout_context("Học phí HK1"))
        .unwrap();
    let answer = call(sim, "POST", &request.url, request.body.as_bytes());
    adapter
        .create_response(&payment(), answer.body.as_bytes())
        .unwrap()
}

fn choose(sim: &MomoSimulator, code: u64) -> SimResponse {
    let form = format!("orderId={REFERENCE}&resultCode={code}");
    call(sim, "POST", COMPLETE_PATH, form.as_bytes())
}

fn query(sim: &MomoSimulator) -> QueryStatus {
    let adapter = testkit::momo();
    let ctx = QueryContext {
        request_entropy: [7; 16],
        server_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        now: testkit::created_at(),
    };
    let request = adapter.query_request(&payment(), &ctx).unwrap();
    let answer = call(sim, "POST", &request.url, request.body.as_bytes());
    adapter
        .query_response(&payment(), answer.body.as_bytes())
        .unwrap()
        .into_inner()
        .status
}

#[test]
fn a_paid_order_yields_one_ipn_a_redirect_and_a_query_answer_the_adapter_verifies() {
    let sim = simulator();
    let pay_url = created(&sim);
    assert_eq!(pay_url, format!("{ORIGIN}{PAY_PATH}?orderId={REFERENCE}"));
    assert_eq!(query(&sim), QueryStatus::Pending);
    let page = call(&sim, "GET", &pay_url, b"");
    assert!(page.body.contains("1500000 ₫"), "{}", page.body);

    let done = choose(&sim, 0);

    let adapter = testkit::momo();
    let ipns = sim.take_ipns();
    assert_eq!(ipns.len(), 1);
    assert_eq!(ipns[0].url, "https://hocphi.example.vn/api/callbacks/momo");
    let txn = GatewayTxnNo::parse(&MomoSimulator::FIRST_TRANS_ID.to_string()).unwrap();
    let paid = GatewayEvent::Paid {
        txn: txn.clone(),
        amount: Money::from_vnd(1_500_000).unwrap(),
    };
    let ipn = adapter.verify_ipn(ipns[0].body.as_bytes()).unwrap();
    assert_eq!(ipn.event(), Some(&paid));
    assert!(sim.take_ipns().is_empty(), "each IPN is handed out once");
    let location = &done.headers[0].1;
    let (base, back) = location.split_once('?').unwrap();
    assert_eq!(base, "https://example.vn/return");
    assert!(back.contains(&format!("orderId={REFERENCE}")), "{back}");
    let shown = adapter.verify_return(back).unwrap().into_inner();
    assert_eq!(shown.notification.event(), Some(&paid));
    assert!(matches!(query(&sim), QueryStatus::Paid { txn: t, .. } if t == txn));
}

#[test]
fn a_declined_order_yields_a_signed_decline_with_code_1006() {
    let sim = simulator();
    created(&sim);

    choose(&sim, 1006);

    let ipn = testkit::momo()
        .verify_ipn(sim.take_ipns()[0].body.as_bytes())
        .unwrap();
    assert!(
        matches!(ipn.event(), Some(GatewayEvent::Declined { code, .. }) if code.as_str() == "1006")
    );
    assert!(matches!(query(&sim), QueryStatus::Failed { code, .. } if code.as_str() == "1006"));
    assert_eq!(choose(&sim, 0).status, 409, "an order ends once");
}

#[test]
fn requests_are_refused_as_momo_refuses_them() {
    let sim = simulator();
    let adapter = testkit::momo();
    let request = adapter
        .create_request(&payment(), &testkit::checkout_context("Học phí HK1"))
        .unwrap();
    let tampered = request.body.replace("1500000", "1500001");
    let code = |body: &str| {
        let answer = call(&sim, "POST", &request.url, body.as_bytes());
        serde_json::from_str::<serde_json::Value>(&answer.body).unwrap()["resultCode"].clone()
    };

    assert_eq!(code("{"), 20, "malformed");
    assert_eq!(code(&tampered), 13, "signature");
    assert_eq!(code(&request.body.replace("\"MOMO\"", "\"OTHER\"")), 11);
    assert_eq!(code(&request.body), 0);
    assert_eq!(
        code(&another_request(&request.body)),
        41,
        "an orderId is created once"
    );
    assert_eq!(call(&sim, "GET", "/sim/momo/nowhere", b"").status, 404);
    assert_eq!(choose(&sim, 7).status, 400, "only pay or decline");
}

/// The same order under another `requestId`, signed as the adapter signs.
fn another_request(body: &str) -> String {
    let adapter = testkit::momo();
    let mut request: CreateRequest = serde_json::from_str(body).unwrap();
    request.request_id = format!("{}-2", request.request_id);
    request.signature = adapter
        .key
        .sign_hex(adapter.create_message(&request).as_bytes());
    serde_json::to_string(&request).unwrap()
}

#[test]
fn the_same_create_request_sent_again_gets_the_same_pay_url() {
    let sim = simulator();
    let adapter = testkit::momo();
    let request = adapter
        .create_request(&payment(), &testkit::checkout_context("Học phí HK1"))
        .unwrap();

    let first = call(&sim, "POST", &request.url, request.body.as_bytes());
    let again = call(&sim, "POST", &request.url, request.body.as_bytes());

    assert_eq!(again.body, first.body);
    assert_eq!(
        adapter
            .create_response(&payment(), again.body.as_bytes())
            .unwrap(),
        format!("{ORIGIN}{PAY_PATH}?orderId={REFERENCE}")
    );
}

#[test]
fn an_unpaid_order_ends_with_1005_once_its_link_expires_unless_momo_is_processing_it() {
    let sim = simulator();
    let pay_url = created(&sim);
    let at = |minutes| testkit::created_at() + Duration::minutes(minutes);
    let query_at = |now| {
        let request = testkit::momo()
            .query_request(
                &payment(),
                &QueryContext {
                    request_entropy: [7; 16],
                    server_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                    now,
                },
            )
            .unwrap();
        let path = request.url.replace(Momo::SANDBOX_ENDPOINT, BASE_PATH);
        let answer = sim.handle(&SimRequest {
            method: "POST",
            path: &path,
            query: "",
            body: request.body.as_bytes(),
            now,
        });
        serde_json::from_str::<serde_json::Value>(&answer.body).unwrap()["resultCode"].clone()
    };
    let page_at = |now| {
        let query = pay_url.split_once('?').unwrap().1;
        sim.handle(&SimRequest {
            method: "GET",
            path: PAY_PATH,
            query,
            body: b"",
            now,
        })
        .status
    };

    assert_eq!((query_at(at(10)), page_at(at(10))), (1000.into(), 200));
    assert_eq!((query_at(at(15)), page_at(at(15))), (1005.into(), 404));
    assert!(sim.set_processing(REFERENCE, 7000));
    assert_eq!(
        query_at(at(15)),
        7000,
        "MoMo is processing it: money may be in flight"
    );
}

#[test]
fn order_ids_follow_momos_pattern() {
    let cases = [
        ("HP240901031010ABCD2345", true),
        ("HP-2409.01_x", true),
        ("a", true),
        ("", false),
        ("-HP1", false),
        ("HP1-", false),
        ("HP 1", false),
        ("HP1&x=1", false),
    ];
    for (id, valid) in cases {
        assert_eq!(valid_order_id(id), valid, "{id:?}");
    }
}
