//! The platform simulator, driven through hocphi's own adapter: what one signs the other accepts.

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::{GatewayCode, GatewayEvent, GatewayKind, Money, Payment};
use serde_json::{Value, json};

use super::*;
use crate::{Outcome, QueryContext, QueryStatus, Secret, testkit};

const ORIGIN: &str = "http://127.0.0.1:8080";
const PARTNER: &str = "HOCPHIGL";
const KEY: &str = "LOCALDVCQGHASHKEYLOCALDVCQG00001";
const REFERENCE: &str = "HP240901031010K7M2QXAB";

fn config() -> DvcqgConfig {
    DvcqgConfig {
        partner_code: PARTNER.into(),
        hash_key: Secret::new(KEY).unwrap(),
        endpoint: format!("{ORIGIN}{BASE_PATH}"),
    }
}

fn adapter() -> Dvcqg {
    Dvcqg::new(config()).unwrap()
}

fn simulator() -> DvcqgSimulator {
    DvcqgSimulator::new(config(), ORIGIN).unwrap()
}

fn payment() -> Payment {
    testkit::payment(REFERENCE, 1_500_000, GatewayKind::Dvcqg)
}

fn now() -> DateTime<Utc> {
    testkit::created_at() + Duration::minutes(2)
}

fn post(sim: &DvcqgSimulator, path: &str, body: &str) -> SimResponse {
    sim.handle(&SimRequest {
        method: "POST",
        path,
        query: "",
        body: body.as_bytes(),
        now: now(),
    })
}

fn json_of(response: &SimResponse) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

/// hocphi's Init for [`payment`], sent to the simulator; the answer's pay URL.
fn init(sim: &DvcqgSimulator) -> String {
    let request = adapter()
        .init_request(&payment(), &testkit::checkout_context("Hoc phi HK1"))
        .unwrap();
    let path = request.url.strip_prefix(ORIGIN).unwrap();
    let answer = post(sim, path, &request.body);
    adapter()
        .init_response(&payment(), answer.body.as_bytes())
        .unwrap()
}

fn complete(sim: &DvcqgSimulator, choice: &str) -> SimResponse {
    post(
        sim,
        COMPLETE_PATH,
        &format!("MaThamChieu={REFERENCE}&MaLoi={choice}"),
    )
}

fn status(sim: &DvcqgSimulator) -> QueryStatus {
    let ctx = QueryContext {
        request_entropy: [0; 16],
        server_ip: "127.0.0.1".parse().unwrap(),
        now: now(),
    };
    let request = adapter().query_request(&payment(), &ctx).unwrap();
    let answer = post(
        sim,
        request.url.strip_prefix(ORIGIN).unwrap(),
        &request.body,
    );
    adapter()
        .query_response(&payment(), answer.body.as_bytes())
        .unwrap()
        .into_inner()
        .status
}

#[test]
fn hocphi_s_init_gets_a_pay_page_that_shows_the_payment() {
    let sim = simulator();

    let url = init(&sim);
    let query = url.strip_prefix(&format!("{ORIGIN}{PAY_PATH}?")).unwrap();
    let page = sim.handle(&SimRequest {
        method: "GET",
        path: PAY_PATH,
        query,
        body: b"",
        now: now(),
    });

    assert_eq!(page.status, 200);
    assert!(page.body.contains(REFERENCE), "{}", page.body);
    assert!(page.body.contains("1500000 ₫"), "{}", page.body);
    assert!(page.body.contains("BD-THCS-NGOQUYEN"), "{}", page.body);
}

#[test]
fn paying_sends_one_confirm_the_adapter_verifies_and_returns_the_browser_to_the_site() {
    let sim = simulator();
    init(&sim);

    let done = complete(&sim, PAID);
    let confirms = sim.take_confirms();

    assert_eq!(done.status, 302);
    let location = &done
        .headers
        .iter()
        .find(|(n, _)| *n == "location")
        .unwrap()
        .1;
    assert_eq!(
        location,
        &format!("{ORIGIN}/ket-qua?MaThamChieu={REFERENCE}&MaLoi=00")
    );
    assert_eq!(confirms.len(), 1);
    assert_eq!(confirms[0].url, format!("{ORIGIN}/api/callbacks/dvcqg"));
    assert_eq!(confirms[0].reference, REFERENCE);
    let verified = adapter()
        .verify_confirm(confirms[0].body.as_bytes())
        .unwrap()
        .into_inner();
    let Outcome::Final(GatewayEvent::Paid { txn, amount }) = verified.outcome else {
        panic!("a paid Confirm: {verified:?}");
    };
    assert_eq!(txn.as_str(), format!("DVC{}", DvcqgSimulator::FIRST_TXN));
    assert_eq!(amount, Money::from_vnd(1_500_000).unwrap());
    assert_eq!(verified.paid_at, Some(now()));
    assert!(sim.take_confirms().is_empty(), "a Confirm is sent once");
    assert_eq!(complete(&sim, PAID).status, 409, "a transaction ends once");
}

#[test]
fn cancelling_sends_a_signed_failure_without_a_transaction() {
    let sim = simulator();
    init(&sim);

    assert_eq!(complete(&sim, CANCELLED).status, 302);
    let confirms = sim.take_confirms();

    let verified = adapter()
        .verify_confirm(confirms[0].body.as_bytes())
        .unwrap()
        .into_inner();
    assert_eq!(
        verified.outcome,
        Outcome::Final(GatewayEvent::Declined {
            txn: None,
            code: GatewayCode::parse(CANCELLED).unwrap()
        })
    );
}

#[test]
fn the_status_check_follows_the_transaction_from_init_to_its_end() {
    let paid = simulator();
    init(&paid);
    assert_eq!(status(&paid), QueryStatus::Pending);
    assert!(paid.set_at_bank(REFERENCE));
    assert_eq!(
        status(&paid),
        QueryStatus::InProgress {
            code: GatewayCode::parse("3").unwrap()
        }
    );
    complete(&paid, PAID);
    let cancelled = simulator();
    init(&cancelled);
    complete(&cancelled, CANCELLED);

    assert!(matches!(
        status(&paid),
        QueryStatus::Paid { amount, paid_at: Some(_), .. } if amount == Money::from_vnd(1_500_000).unwrap()
    ));
    assert!(matches!(status(&cancelled), QueryStatus::Failed { code, .. } if code.as_str() == "4"));
    assert!(
        !paid.set_at_bank(REFERENCE),
        "an ended transaction stays ended"
    );
}

#[test]
fn the_same_init_gets_the_same_answer_and_another_init_under_its_reference_is_refused() {
    let sim = simulator();
    let request = adapter()
        .init_request(&payment(), &testkit::checkout_context("Hoc phi HK1"))
        .unwrap();
    let path = request.url.strip_prefix(ORIGIN).unwrap();
    let other = adapter()
        .init_request(
            &testkit::payment(REFERENCE, 350_000, GatewayKind::Dvcqg),
            &testkit::checkout_context("Hoc phi HK1"),
        )
        .unwrap();

    let first = post(&sim, path, &request.body);
    let again = post(&sim, path, &request.body);
    let clash = post(&sim, path, &other.body);

    assert_eq!(first.body, again.body);
    assert_eq!(json_of(&clash)["MaLoi"], "07");
}

#[test]
fn an_init_or_a_status_check_that_is_not_this_agency_s_signed_message_is_refused() {
    let sim = simulator();
    let request = adapter()
        .init_request(&payment(), &testkit::checkout_context("Hoc phi HK1"))
        .unwrap();
    let init_path = format!("{BASE_PATH}/init");
    let query_path = format!("{BASE_PATH}/query");
    let changed = |field: &str, value: Value| {
        let mut body: Value = serde_json::from_str(&request.body).unwrap();
        body[field] = value;
        body.to_string()
    };
    let cases = [
        (&init_path, "{}".to_owned(), "02"),
        (&init_path, changed("MaDoiTac", json!("OTHER")), "03"),
        (&init_path, changed("SoTien", json!("1000")), "05"),
        (&query_path, "not json".to_owned(), "02"),
        (
            &query_path,
            json!({"LoaiBanTin": "QUERY", "PhienBan": "1.0.6", "MaDoiTac": PARTNER,
                "MaThamChieu": REFERENCE, "ThoiGianGD": "20240901101010",
                "MaXacThuc": "0".repeat(64)})
            .to_string(),
            "05",
        ),
    ];
    for (path, body, code) in cases {
        assert_eq!(json_of(&post(&sim, path, &body))["MaLoi"], code, "{body}");
    }
}

#[test]
fn a_status_check_for_an_unknown_transaction_or_another_time_is_refused() {
    let sim = simulator();
    let ctx = QueryContext {
        request_entropy: [0; 16],
        server_ip: "127.0.0.1".parse().unwrap(),
        now: now(),
    };
    let request = adapter().query_request(&payment(), &ctx).unwrap();
    let path = request.url.strip_prefix(ORIGIN).unwrap();
    let unknown = post(&sim, path, &request.body);
    init(&sim);
    let later = Payment {
        created_at: payment().created_at + Duration::seconds(1),
        ..payment()
    };
    let other_time = adapter().query_request(&later, &ctx).unwrap();

    assert_eq!(json_of(&unknown)["MaLoi"], "01");
    assert_eq!(json_of(&post(&sim, path, &other_time.body))["MaLoi"], "01");
    assert!(matches!(
        adapter().query_response(&payment(), unknown.body.as_bytes()),
        Err(crate::QueryError::Refused { code }) if code == "01"
    ));
}

#[test]
fn bad_choices_and_unknown_pages_get_a_clear_page() {
    let sim = simulator();
    init(&sim);
    let get = |path: &str, query: &str| {
        sim.handle(&SimRequest {
            method: "GET",
            path,
            query,
            body: b"",
            now: now(),
        })
    };

    assert_eq!(complete(&sim, "07").status, 400);
    assert_eq!(post(&sim, COMPLETE_PATH, "MaLoi=00").status, 409);
    assert_eq!(get(PAY_PATH, "").status, 400);
    assert_eq!(get(PAY_PATH, "MaThamChieu=HP1").status, 404);
    assert_eq!(get("/sim/dvcqg/other", "").status, 404);
    assert!(sim.take_confirms().is_empty());
}
