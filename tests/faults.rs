//! Every state-changing use case with the store failing at each of its calls, in each way a store
//! fails ([`Fault`]: an error with nothing done, the same after a timeout, or a lost answer after
//! the change committed), against the SQLite store and against DynamoDB's API (moto).
//!
//! For each use case a fault-free run first counts its store calls and records its answer, the
//! answer a repeated request gets, and the ledger it leaves. Then, for every call index and every
//! fault, on a fresh world: the use case answers an error or its normal answer (never a panic),
//! the ledger keeps its invariants ([`Ledger::violations`]), and the same request sent again
//! without faults once the idempotency lease has lapsed answers as the fault-free run or its
//! repeat did and leaves the fault-free ledger. The DynamoDB trials are reported ignored where no
//! endpoint is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::panic::AssertUnwindSafe;

use chrono::Duration;
use futures_util::FutureExt;
use hocphi_domain::{ClientSource, Clock, FailureCounter, Store, StudentCode};
use hocphi_fixtures::{dynamodb, harness};
use hocphi_tests::partner::bank_says;
use hocphi_tests::{Answer, CODE, Fault, Outline, PARENT_IP, STUDENT, World, payos};
use serde_json::{Value, json};

/// The state-changing use cases, each from the state just before it.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// A parent's checkout through VNPay (a signed redirect, no gateway call).
    CheckoutVnpay,
    /// A parent's checkout through payOS (a payment link created at payOS).
    CheckoutPayos,
    /// VNPay's IPN of a paid payment.
    VnpayIpn,
    /// MoMo's IPN of a paid payment.
    MomoIpn,
    /// payOS's webhook of an exact transfer.
    PayosWebhook,
    /// The portal platform's Confirm of a paid payment.
    PortalConfirm,
    /// A bank's confirmation of a bill it collected (generic profile).
    PartnerConfirmation,
    /// The sweeper finds by querydr a VNPay payment whose IPN was lost.
    SweepSettle,
    /// The sweeper expires a VNPay payment nobody completed.
    SweepExpire,
    /// The sweeper cancels a payOS link nobody paid, then expires its payment.
    SweepCancel,
    /// A parent's look-up with the right code (counted, then forgiven).
    LookupRightCode,
    /// A look-up with a wrong code (counted).
    LookupWrongCode,
}

const CASES: [Case; 12] = [
    Case::CheckoutVnpay,
    Case::CheckoutPayos,
    Case::VnpayIpn,
    Case::MomoIpn,
    Case::PayosWebhook,
    Case::PortalConfirm,
    Case::PartnerConfirmation,
    Case::SweepSettle,
    Case::SweepExpire,
    Case::SweepCancel,
    Case::LookupRightCode,
    Case::LookupWrongCode,
];

const KEY: &str = "key-fault-0001";

/// What a use case is asked, again the same way on a retry.
#[derive(Clone, Debug)]
enum Request {
    Http {
        method: &'static str,
        uri: String,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Signed afresh each time (a partner's retry carries a new nonce and time).
    Partner(Value),
    Sweep,
}

/// A use case's answer without its random parts, and whether it is an error answer (one the
/// caller retries: a 5xx, VNPay's `99`, a sweep that failed on a payment).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reply {
    text: String,
    error: bool,
}

/// The answers' fields that differ between two runs of one story: references, links, times,
/// and the QR codes that draw them.
const RANDOM: &[&str] = &[
    "payment_ref",
    "redirect_url",
    "expires_at",
    "qr_code",
    "qr",
    "memo",
    "receipt_url",
];

fn scrub(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                if RANDOM.contains(&key.as_str()) && !value.is_null() {
                    *value = Value::String("…".into());
                } else {
                    scrub(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

fn reply_of(answer: &Answer) -> Reply {
    let mut json = answer.json.clone();
    scrub(&mut json);
    let error = answer.status >= 500 || json["RspCode"] == "99";
    Reply {
        text: format!("{} {json}", answer.status),
        error,
    }
}

async fn prepare<S: Store>(case: Case, world: &World<S>) -> Request {
    let post = |uri: String, body: String| Request::Http {
        method: "POST",
        uri,
        headers: vec![("content-type", "application/json".to_owned())],
        body,
    };
    let checkout = |gateway: &str| Request::Http {
        method: "POST",
        uri: "/api/payments".into(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("idempotency-key", KEY.to_owned()),
        ],
        body: json!({
            "student": STUDENT, "code": CODE, "invoice_ids": ["INV-1"], "gateway": gateway
        })
        .to_string(),
    };
    let lookup = |code: &str| Request::Http {
        method: "GET",
        uri: format!("/api/invoices?student={STUDENT}&code={code}"),
        headers: Vec::new(),
        body: String::new(),
    };
    let opened = |gateway: &'static str| async move {
        let answer = world.checkout_through(gateway, KEY, &["INV-1"]).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer
    };
    match case {
        Case::CheckoutVnpay => checkout("vnpay"),
        Case::CheckoutPayos => checkout("payos"),
        Case::VnpayIpn => {
            let (ipn, _) = world.pay_at_gateway(&opened("vnpay").await, "00");
            Request::Http {
                method: "GET",
                uri: ipn.strip_prefix(hocphi_tests::SITE).unwrap().to_owned(),
                headers: Vec::new(),
                body: String::new(),
            }
        }
        Case::MomoIpn => {
            let ipns = world.pay_at_momo(&opened("momo").await, 0);
            post("/api/callbacks/momo".into(), ipns[0].clone())
        }
        Case::PayosWebhook => {
            let link = opened("payos").await;
            let code = hocphi_tests::order_code(link.json["payment_ref"].as_str().unwrap());
            let webhook = world.payos.transfer(code, 1_700_000, "FT25258000901");
            post(format!("/api/callbacks/payos/{}", payos::PAYEE), webhook)
        }
        Case::PortalConfirm => {
            let (_, confirms) = world.pay_at_dvcqg(&opened("dvcqg").await, "00");
            post("/api/callbacks/dvcqg".into(), confirms[0].clone())
        }
        Case::PartnerConfirmation => Request::Partner(json!({
            "transaction_id": "FT25258000902", "invoice_ids": ["INV-1"], "amount": "1700000"
        })),
        Case::SweepSettle => {
            let _lost = world.pay_at_gateway(&opened("vnpay").await, "00");
            world.clock.advance(Duration::minutes(6));
            Request::Sweep
        }
        Case::SweepExpire => {
            let link = opened("vnpay").await;
            let redirect = link.json["redirect_url"].as_str().unwrap();
            world
                .sim
                .open(redirect.split_once('?').unwrap().1, world.clock.now())
                .unwrap();
            world.clock.advance(Duration::minutes(16));
            Request::Sweep
        }
        Case::SweepCancel => {
            opened("payos").await;
            world.clock.advance(Duration::minutes(20));
            Request::Sweep
        }
        Case::LookupRightCode => lookup(CODE),
        Case::LookupWrongCode => lookup("WRONG234"),
    }
}

async fn send<S: Store>(world: &World<S>, request: &Request) -> Reply {
    match request {
        Request::Http {
            method,
            uri,
            headers,
            body,
        } => {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            reply_of(&world.call(method, uri, &headers, body).await)
        }
        Request::Partner(body) => reply_of(&bank_says(world, "confirmations", body.clone()).await),
        Request::Sweep => match world.app.sweep(10).await {
            Ok(report) => Reply {
                text: format!("{report:?}"),
                error: report.failed > 0,
            },
            Err(err) => Reply {
                text: format!("error: {err}"),
                error: true,
            },
        },
    }
}

/// The failed look-ups each of the parent's counters holds.
async fn counters<S: Store>(world: &World<S>) -> Vec<u32> {
    let student = StudentCode::parse(STUDENT).unwrap();
    let source = ClientSource::of(PARENT_IP.parse().unwrap());
    let mut counts = Vec::new();
    for counter in [
        FailureCounter::Student(student.clone()),
        FailureCounter::StudentFrom(student, source),
        FailureCounter::Source(source),
    ] {
        let count = world
            .app
            .store
            .inner
            .failed_lookups(&counter, world.clock.now())
            .await
            .unwrap();
        counts.push(count);
    }
    counts
}

/// What the fault-free run did.
struct Baseline {
    calls: Vec<&'static str>,
    first: Reply,
    repeat: Reply,
    outline: Outline,
    counters: Vec<u32>,
}

async fn assert_whole<S: Store>(world: &World<S>, when: &str) -> Outline {
    let ledger = world.ledger().await;
    let broken = ledger.violations();
    assert!(broken.is_empty(), "{when}: {broken:#?}\n{ledger:#?}");
    ledger.outline()
}

/// Lets the idempotency lease of a run that died lapse, as a client's retry comes later.
fn wait_to_retry<S: Store>(world: &World<S>) {
    world
        .clock
        .advance(world.app.settings.idempotency_lease + Duration::seconds(1));
}

async fn baseline<S: Store>(case: Case, world: &World<S>) -> Baseline {
    let request = Box::pin(prepare(case, world)).await;
    world.app.store.reset();
    let first = Box::pin(send(world, &request)).await;
    let calls = world.app.store.calls();
    assert!(!first.error, "{case:?} without faults: {first:?}");
    let outline = assert_whole(world, "without faults").await;
    let counters = counters(world).await;
    wait_to_retry(world);
    let repeat = Box::pin(send(world, &request)).await;
    assert!(!repeat.error, "{case:?} repeated: {repeat:?}");
    assert_eq!(
        assert_whole(world, "repeated").await,
        outline,
        "{case:?}: a repeat changes nothing"
    );
    Baseline {
        calls,
        first,
        repeat,
        outline,
        counters,
    }
}

/// Runs `case` with every fault at every store call, each on a world from `make`; answers how
/// many (call, fault) cases ran.
async fn every_fault<S: Store, F: Future<Output = World<S>>>(
    case: Case,
    make: impl Fn() -> F,
) -> usize {
    let expected = Box::pin(baseline(case, &Box::pin(make()).await)).await;
    let mut ran = 0;
    for at in 1..=expected.calls.len() {
        for fault in Fault::ALL {
            let world = Box::pin(make()).await;
            let request = Box::pin(prepare(case, &world)).await;
            let call = expected.calls[at - 1];
            let what = format!("{case:?} with {fault:?} at call {at} ({call})");
            world.app.store.inject(at, fault);

            let faulted = AssertUnwindSafe(Box::pin(send(&world, &request)))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| panic!("{what}: the use case panicked"));

            assert_eq!(
                world.app.store.fired(),
                Some((call, fault)),
                "{what}: the fault hit the call counted without faults"
            );
            assert!(
                faulted.error || faulted == expected.first,
                "{what}: answered neither an error nor its answer: {faulted:?}, not {:?}",
                expected.first
            );
            assert_whole(&world, &format!("{what}, after it")).await;
            world.app.store.reset();
            wait_to_retry(&world);

            let retry = Box::pin(send(&world, &request)).await;

            assert!(
                retry == expected.first || retry == expected.repeat,
                "{what}: the retry answered {retry:?}, not {:?} nor {:?}",
                expected.first,
                expected.repeat
            );
            let outline = assert_whole(&world, &format!("{what}, after the retry")).await;
            assert_eq!(outline, expected.outline, "{what}: the retry's ledger");
            let counters = counters(&world).await;
            for (got, base) in counters.iter().zip(&expected.counters) {
                assert!(
                    (*base..=base + 1).contains(got),
                    "{what}: a counter holds {got} after the retry, {base} without faults"
                );
            }
            ran += 1;
        }
    }
    println!(
        "{case:?}: {} store calls × {} faults = {ran} cases ({})",
        expected.calls.len(),
        Fault::ALL.len(),
        expected.calls.join(", ")
    );
    ran
}

fn trials<S: Store, F: Future<Output = World<S>> + 'static>(
    store: &'static str,
    skip: Option<&str>,
    make: fn() -> F,
) -> Vec<harness::Trial> {
    CASES
        .iter()
        .map(|&case| {
            harness::trial(
                &format!("{store}::{case:?}_fails_at_every_store_call_and_is_retried_whole"),
                skip,
                move || async move {
                    Box::pin(every_fault(case, make)).await;
                },
            )
        })
        .collect()
}

fn main() {
    let skip = dynamodb::skip_reason();
    let mut all = trials("sqlite", None, hocphi_tests::sqlite_world);
    all.extend(trials(
        "dynamodb",
        skip.as_deref(),
        hocphi_tests::dynamodb_world,
    ));
    harness::run(all, skip.as_deref())
}
