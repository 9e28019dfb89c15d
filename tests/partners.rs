//! The partner API end to end through hocphi's HTTP mapping, against the SQLite store and against
//! DynamoDB's API (moto): a bank (the local `BANKDEMO`, generic profile) and the portal platform
//! (the local `DVCQG`, its own profile) look bills up and confirm payments, signed with the local
//! keys; a confirmation is the partner's callback and its receipt is the page's receipt. The
//! DynamoDB trials are reported ignored where no endpoint is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use hocphi_domain::{
    Clock, GatewayTxnNo, InvoiceId, InvoiceStatus, PartnerId, PaymentCode, PaymentRef,
    PaymentStatus, SchoolYear, Store, StudentCode,
};
use hocphi_fixtures::{InvoiceFixture, dynamodb, harness};
use hocphi_gateways::Secret;
use hocphi_gateways::partner::dvcqg;
use hocphi_runtime::config::{
    LOCAL_BANK_KEY, LOCAL_BANK_PARTNER, LOCAL_DVCQG_PARTNER_CODE, LOCAL_PORTAL_KEY,
    LOCAL_PORTAL_PARTNER,
};
use hocphi_tests::partner::{Signed, bank, bank_says, send, signed_as};
use hocphi_tests::{Answer, CODE, OTHER_STUDENT, SITE, STUDENT, World};
use serde_json::{Value, json};

macro_rules! trials {
    ($make:expr, $store:literal, $skip:expr; $($name:ident),* $(,)?) => {
        vec![$(
            harness::trial(concat!($store, "::", stringify!($name)), $skip, || async {
                let mut world = $make.await;
                $name(&mut world).await;
            })
        ),*]
    };
}

macro_rules! all_trials {
    ($make:expr, $store:literal, $skip:expr) => {
        trials!($make, $store, $skip;
            a_bank_looks_a_student_up_pays_and_gets_the_pages_receipt,
            a_bank_pays_by_the_fee_notices_payment_code,
            a_repeated_confirmation_answers_the_first_answer_and_twenty_at_once_issue_one_receipt,
            a_wrong_signature_a_stale_timestamp_and_a_replayed_nonce_change_nothing,
            an_unknown_partner_is_refused,
            a_school_outside_the_partners_list_is_not_collectable_and_nothing_is_written,
            a_wrong_amount_is_refused_recorded_once_and_pays_nothing,
            an_invoice_paid_by_vnpay_meanwhile_is_already_paid_and_recorded_for_refund,
            a_payment_code_confirmed_after_vnpay_paid_its_year_is_recorded_for_refund,
            money_in_hand_wins_over_a_parents_payment_still_pending,
            a_transaction_id_reused_for_another_bill_or_amount_is_refused,
            a_reversal_is_refused_with_a_reason_and_changes_nothing,
            a_partner_over_its_look_up_rate_is_refused_until_the_window_closes,
            a_payment_code_on_the_page_shows_that_years_invoices_and_a_forged_one_counts_as_a_wrong_code,
            a_parent_who_came_by_payment_code_pays_that_years_invoices_with_it,
            bad_partner_requests_get_a_clear_refusal,
            the_portal_gets_a_bill_by_payment_code_and_confirms_it,
            a_notice_paid_twice_on_the_portal_is_recorded_for_refund_the_second_time,
        )
    };
}

fn main() {
    let skip = dynamodb::skip_reason();
    let mut trials = all_trials!(hocphi_tests::sqlite_world(), "sqlite", None);
    trials.extend(all_trials!(
        hocphi_tests::dynamodb_world(),
        "dynamodb",
        skip.as_deref()
    ));
    trials.push(harness::trial(
        "unavailable::a_forged_or_unknown_partners_request_is_refused_before_the_store_is_read",
        None,
        unavailable::a_forged_or_unknown_partners_request_is_refused_before_the_store_is_read,
    ));
    trials.push(harness::trial(
        "document::the_partner_apis_openapi_document_is_served",
        None,
        document::the_partner_apis_openapi_document_is_served,
    ));
    let alone = vec![harness::single_threaded(
        "logs::partner_requests_raise_their_alarms_once_and_log_no_personal_data_or_key",
        logs::partner_requests_raise_their_alarms_once_and_log_no_personal_data_or_key,
    )];
    harness::run_alone_first(alone, trials, skip.as_deref())
}

async fn confirm<S: Store>(world: &World<S>, txn: &str, invoices: &[&str], amount: &str) -> Answer {
    bank_says(
        world,
        "confirmations",
        json!({"transaction_id": txn, "invoice_ids": invoices, "amount": amount}),
    )
    .await
}

fn error_code(answer: &Answer) -> &str {
    answer.json["error"]["code"].as_str().unwrap_or("<none>")
}

fn partner_ref(txn: &str) -> PaymentRef {
    PaymentRef::for_partner(
        &PartnerId::parse(LOCAL_BANK_PARTNER).unwrap(),
        &GatewayTxnNo::parse(txn).unwrap(),
    )
}

fn year() -> SchoolYear {
    SchoolYear::starting(2025).unwrap()
}

fn payment_code(student: &str) -> PaymentCode {
    PaymentCode::issue(
        &StudentCode::parse(student).unwrap(),
        year(),
        &hocphi_fixtures::lookup_key(),
    )
}

async fn invoice_status<S: Store>(world: &World<S>, id: &str) -> InvoiceStatus {
    world
        .app
        .store
        .invoice(&InvoiceId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn receipts<S: Store>(world: &World<S>) -> usize {
    let t = world.clock.now();
    world
        .app
        .store
        .receipts_issued(t - Duration::days(1), t + Duration::days(1), None)
        .await
        .unwrap()
        .len()
}

/// `/api/receipts/{id}?t=…` for a receipt page's URL.
fn receipt_api(url: &str) -> String {
    let page = url.strip_prefix(SITE).expect("the receipt is on the site");
    let rest = page.strip_prefix("/bien-lai/").expect("the receipt route");
    format!("/api/receipts/{rest}")
}

async fn a_bank_looks_a_student_up_pays_and_gets_the_pages_receipt<S: Store>(world: &mut World<S>) {
    let found = bank_says(world, "bills", json!({"student": STUDENT})).await;

    assert_eq!(found.status, 200, "{}", found.text);
    let bills = found.json["bills"].as_array().unwrap();
    assert_eq!(bills.len(), 1, "one school, one year: {}", found.text);
    let bill = &bills[0];
    assert_eq!(bill["student"], STUDENT);
    assert_eq!(bill["student_name"], "Nguyễn V. A.", "masked");
    assert_eq!(bill["school"], hocphi_fixtures::SCHOOL);
    assert_eq!(bill["school_name"], hocphi_fixtures::SCHOOL_NAME);
    assert_eq!(bill["school_year"], "2025-2026");
    assert!(
        bill.get("payment_code").is_none()
            && !found.text.contains(&payment_code(STUDENT).to_string()),
        "a student code alone never hands out the payment code: {}",
        found.text
    );
    assert_eq!(bill["total"], "2050000", "money is a string of đồng");
    let ids: Vec<&str> = bill["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["INV-1", "INV-2"]);
    assert_eq!(bill["invoices"][0]["amount"], "1700000");
    assert_eq!(bill["invoices"][0]["items"][0]["amount"], "1500000");
    assert!(
        !found.text.contains("Nguyễn Văn An"),
        "never the whole name: {}",
        found.text
    );

    let paid = confirm(world, "FT25258000001", &["INV-1", "INV-2"], "2050000").await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(paid.json["status"], "confirmed");
    let reference = partner_ref("FT25258000001");
    assert_eq!(paid.json["payment_ref"], reference.as_str());
    let url = paid.json["receipt_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{SITE}/bien-lai/")), "{url}");
    let receipt = world.get(&receipt_api(url)).await;
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    assert_eq!(receipt.json["number"]["sequence"], 1);
    assert_eq!(paid.json["receipt_number"], "HP-25E-0000001");
    assert_eq!(receipt.json["total"], "2050000");
    assert_eq!(receipt.json["gateway"], "partner");
    assert_eq!(receipt.json["gateway_txn"], "FT25258000001");
    assert_eq!(receipt.json["student"], "•••001", "masked like a page's");
    let status = world
        .get(&format!("/api/payments/{}", reference.as_str()))
        .await;
    assert_eq!(status.json["status"], "succeeded", "{}", status.text);
    let link = &status.json["receipt"];
    assert_eq!(
        url,
        format!(
            "{SITE}/bien-lai/{}?t={}",
            link["id"].as_str().unwrap(),
            link["token"].as_str().unwrap()
        ),
        "the same link the page's result screen opens"
    );
    for id in ["INV-1", "INV-2"] {
        assert_eq!(invoice_status(world, id).await, InvoiceStatus::Paid);
    }
    let again = bank_says(world, "bills", json!({"student": STUDENT})).await;
    assert_eq!(error_code(&again), "NO_BILL", "{}", again.text);
    assert_eq!(again.status, 404);
}

async fn a_bank_pays_by_the_fee_notices_payment_code<S: Store>(world: &mut World<S>) {
    let code = payment_code(STUDENT).to_string();
    let found = bank_says(world, "bills", json!({"payment_code": code})).await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.json["bills"][0]["total"], "2050000");
    assert_eq!(
        found.json["bills"][0]["payment_code"], code,
        "the code it was asked by"
    );

    let paid = bank_says(
        world,
        "confirmations",
        json!({"transaction_id": "FT25258000002", "payment_code": code, "amount": "2050000", "paid_at": "2025-09-15T09:00:00+07:00"}),
    )
    .await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(paid.json["status"], "confirmed");
    for id in ["INV-1", "INV-2"] {
        assert_eq!(invoice_status(world, id).await, InvoiceStatus::Paid);
    }
    assert_eq!(invoice_status(world, "INV-3").await, InvoiceStatus::Open);
    let forged = format!("{STUDENT}-25AAAAAAAA");
    let refused = bank_says(world, "bills", json!({"payment_code": forged})).await;
    assert_eq!(error_code(&refused), "NO_BILL", "{}", refused.text);
}

async fn a_repeated_confirmation_answers_the_first_answer_and_twenty_at_once_issue_one_receipt<
    S: Store,
>(
    world: &mut World<S>,
) {
    let first = confirm(world, "FT25258000003", &["INV-1"], "1700000").await;
    let repeat = confirm(world, "FT25258000003", &["INV-1"], "1700000").await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(repeat.status, 200, "{}", repeat.text);
    assert_eq!(first.json, repeat.json, "a repeat answers the first answer");

    let requests: Vec<Signed> = (0..20)
        .map(|_| {
            bank(
                world,
                "confirmations",
                &json!({"transaction_id": "FT25258000004", "invoice_ids": ["INV-2"], "amount": "350000"}),
            )
        })
        .collect();
    let answers = hocphi_tests::join_all(requests.iter().map(|r| send(world, r)).collect()).await;

    for answer in &answers {
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json, answers[0].json);
    }
    assert_eq!(receipts(world).await, 2, "one receipt for each transaction");
    assert_eq!(answers[0].json["receipt_number"], "HP-25E-0000002");
    let next = confirm(world, "FT25258000014", &["INV-3"], "1500000").await;
    assert_eq!(
        next.json["receipt_number"], "HP-25E-0000003",
        "no number skipped or reused: {}",
        next.text
    );
}

async fn a_wrong_signature_a_stale_timestamp_and_a_replayed_nonce_change_nothing<S: Store>(
    world: &mut World<S>,
) {
    let body =
        json!({"transaction_id": "FT25258000005", "invoice_ids": ["INV-1"], "amount": "1700000"});
    let mut forged = bank(world, "confirmations", &body);
    forged.signature = signed_as(
        LOCAL_BANK_PARTNER,
        "ANOTHERKEYANOTHERKEYANOTHERKEY01",
        "confirmations",
        &body,
        world.clock.now(),
    )
    .signature;
    let mut tampered = bank(world, "confirmations", &body);
    tampered.body = tampered.body.replace("1700000", "1700001");
    let stale = signed_as(
        LOCAL_BANK_PARTNER,
        LOCAL_BANK_KEY,
        "confirmations",
        &body,
        world.clock.now() - Duration::minutes(6),
    );
    let early = signed_as(
        LOCAL_BANK_PARTNER,
        LOCAL_BANK_KEY,
        "confirmations",
        &body,
        world.clock.now() + Duration::minutes(6),
    );

    for (case, request, status, code) in [
        ("another key", &forged, 401, "BAD_SIGNATURE"),
        ("a tampered body", &tampered, 401, "BAD_SIGNATURE"),
        ("six minutes old", &stale, 401, "STALE_REQUEST"),
        ("six minutes ahead", &early, 401, "STALE_REQUEST"),
    ] {
        let answer = send(world, request).await;
        assert_eq!(answer.status, status, "{case}: {}", answer.text);
        assert_eq!(error_code(&answer), code, "{case}: {}", answer.text);
    }
    assert_eq!(invoice_status(world, "INV-1").await, InvoiceStatus::Open);
    assert!(
        world
            .app
            .store
            .payment(&partner_ref("FT25258000005"))
            .await
            .unwrap()
            .is_none()
    );

    let genuine = bank(world, "bills", &json!({"student": STUDENT}));
    let once = send(world, &genuine).await;
    world.clock.advance(Duration::minutes(4));
    let replayed = send(world, &genuine).await;

    assert_eq!(once.status, 200, "{}", once.text);
    assert_eq!(replayed.status, 409, "{}", replayed.text);
    assert_eq!(error_code(&replayed), "REPLAYED");
}

async fn an_unknown_partner_is_refused<S: Store>(world: &mut World<S>) {
    let request = signed_as(
        "NOBANK",
        LOCAL_BANK_KEY,
        "bills",
        &json!({"student": STUDENT}),
        world.clock.now(),
    );

    let answer = send(world, &request).await;

    assert_eq!(answer.status, 404, "{}", answer.text);
    assert_eq!(error_code(&answer), "UNKNOWN_PARTNER");
}

/// A school without a payee, and so outside the demo bank's list; its student HS0003 owes INV-9.
async fn seed_another_school<S: Store>(world: &World<S>) {
    let store = &world.app.store;
    store
        .upsert_school(
            &hocphi_fixtures::school("BD-TH-KHAC", "Trường Tiểu học Khác"),
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    store
        .upsert_student(
            &hocphi_fixtures::student("HS0003", "BD-TH-KHAC", "Lê Văn Cường", "KLMN2345"),
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let invoice = InvoiceFixture {
        student: "HS0003",
        school: "BD-TH-KHAC",
        ..InvoiceFixture::new("INV-9", &[("Học phí", 900_000)])
    }
    .build();
    store
        .upsert_invoice(
            &invoice,
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
}

async fn a_school_outside_the_partners_list_is_not_collectable_and_nothing_is_written<S: Store>(
    world: &mut World<S>,
) {
    seed_another_school(world).await;

    let looked = bank_says(world, "bills", json!({"student": "HS0003"})).await;
    let paid = confirm(world, "FT25258000006", &["INV-9"], "900000").await;

    assert_eq!(looked.status, 404, "{}", looked.text);
    assert_eq!(error_code(&looked), "NO_BILL", "never why");
    assert_eq!(paid.status, 403, "{}", paid.text);
    assert_eq!(error_code(&paid), "NOT_COLLECTABLE");
    assert_eq!(invoice_status(world, "INV-9").await, InvoiceStatus::Open);
    assert!(
        world
            .app
            .store
            .payment(&partner_ref("FT25258000006"))
            .await
            .unwrap()
            .is_none()
    );
    let mixed = confirm(world, "FT25258000007", &["INV-1", "INV-3"], "3200000").await;
    let missing = confirm(world, "FT25258000008", &["INV-404"], "100000").await;
    assert_eq!(error_code(&mixed), "NO_BILL", "{}", mixed.text);
    assert_eq!(error_code(&missing), "NO_BILL", "{}", missing.text);
}

async fn a_wrong_amount_is_refused_recorded_once_and_pays_nothing<S: Store>(world: &mut World<S>) {
    let short = confirm(world, "FT25258000009", &["INV-1"], "1000000").await;
    let repeat = confirm(world, "FT25258000009", &["INV-1"], "1000000").await;

    assert_eq!(short.status, 422, "{}", short.text);
    assert_eq!(error_code(&short), "AMOUNT_MISMATCH");
    assert_eq!(short.json["error"]["expected"], "1700000");
    assert_eq!(repeat.json, short.json, "a repeat answers the first answer");
    let payment = world
        .app
        .store
        .payment(&partner_ref("FT25258000009"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Mismatched);
    assert_eq!(payment.mismatches.len(), 1, "recorded once");
    assert_eq!(invoice_status(world, "INV-1").await, InvoiceStatus::Open);
    assert_eq!(receipts(world).await, 0);
}

async fn an_invoice_paid_by_vnpay_meanwhile_is_already_paid_and_recorded_for_refund<S: Store>(
    world: &mut World<S>,
) {
    let checkout = world.checkout("key-0201-partner-vnpay", &["INV-1"]).await;
    let (ipn, _) = world.pay_at_gateway(&checkout, "00");
    assert_eq!(world.deliver(&ipn).await["RspCode"], "00");

    let late = confirm(world, "FT25258000010", &["INV-1"], "1700000").await;

    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(error_code(&late), "ALREADY_PAID");
    let reference = partner_ref("FT25258000010");
    assert_eq!(late.json["error"]["payment_ref"], reference.as_str());
    let payment = world.app.store.payment(&reference).await.unwrap().unwrap();
    assert_eq!(payment.status, PaymentStatus::RefundDue);
    let status = world
        .get(&format!("/api/payments/{}", reference.as_str()))
        .await;
    assert_eq!(status.json["status"], "refund_due", "{}", status.text);
    assert_eq!(receipts(world).await, 1, "only VNPay's");
}

async fn a_payment_code_confirmed_after_vnpay_paid_its_year_is_recorded_for_refund<S: Store>(
    world: &mut World<S>,
) {
    let code = payment_code(STUDENT).to_string();
    let by_code = |txn: &'static str| json!({"transaction_id": txn, "payment_code": code, "amount": "2050000"});
    let checkout = world.checkout("key-0204-partner-code-a", &["INV-1"]).await;
    let (ipn, _) = world.pay_at_gateway(&checkout, "00");
    assert_eq!(world.deliver(&ipn).await["RspCode"], "00");

    let partly_open = bank_says(world, "confirmations", by_code("FT25258000030")).await;

    assert_eq!(partly_open.status, 422, "{}", partly_open.text);
    assert_eq!(error_code(&partly_open), "AMOUNT_MISMATCH");
    assert_eq!(
        partly_open.json["error"]["expected"], "350000",
        "INV-2 is left"
    );
    let mismatched = partner_ref("FT25258000030");
    let payment = world.app.store.payment(&mismatched).await.unwrap().unwrap();
    assert_eq!(payment.status, PaymentStatus::Mismatched, "recorded");

    let checkout = world.checkout("key-0205-partner-code-b", &["INV-2"]).await;
    let (ipn, _) = world.pay_at_gateway(&checkout, "00");
    assert_eq!(world.deliver(&ipn).await["RspCode"], "00");

    let late = bank_says(world, "confirmations", by_code("FT25258000031")).await;
    let repeat = bank_says(world, "confirmations", by_code("FT25258000031")).await;

    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(error_code(&late), "ALREADY_PAID");
    let reference = partner_ref("FT25258000031");
    assert_eq!(late.json["error"]["payment_ref"], reference.as_str());
    assert_eq!(repeat.json, late.json, "a repeat answers the first answer");
    let payment = world.app.store.payment(&reference).await.unwrap().unwrap();
    assert_eq!(payment.status, PaymentStatus::RefundDue);
    assert_eq!(payment.amount.vnd(), 2_050_000, "the money the bank took");
    assert!(payment.invoices.is_empty(), "it covers no invoice");
    assert_eq!(payment.student.as_str(), STUDENT);
    assert_eq!(payment.school_year, year());
    let status = world
        .get(&format!("/api/payments/{}", reference.as_str()))
        .await;
    assert_eq!(status.json["status"], "refund_due", "{}", status.text);
    assert_eq!(receipts(world).await, 2, "only VNPay's");
    let forged = format!("{STUDENT}-25AAAAAAAA");
    let refused = bank_says(
        world,
        "confirmations",
        json!({"transaction_id": "FT25258000032", "payment_code": forged, "amount": "2050000"}),
    )
    .await;
    assert_eq!(error_code(&refused), "NO_BILL", "{}", refused.text);
    assert_eq!(
        world
            .app
            .store
            .payment(&partner_ref("FT25258000032"))
            .await
            .unwrap(),
        None,
        "a forged code records nothing"
    );
}

async fn money_in_hand_wins_over_a_parents_payment_still_pending<S: Store>(world: &mut World<S>) {
    let checkout = world.checkout("key-0202-partner-held", &["INV-1"]).await;
    assert_eq!(checkout.status, 201, "{}", checkout.text);

    let paid = confirm(world, "FT25258000011", &["INV-1"], "1700000").await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(invoice_status(world, "INV-1").await, InvoiceStatus::Paid);
    let (ipn, _) = world.pay_at_gateway(&checkout, "00");
    world.deliver(&ipn).await;
    let parents = world
        .get(&format!(
            "/api/payments/{}",
            checkout.json["payment_ref"].as_str().unwrap()
        ))
        .await;
    assert_eq!(parents.json["status"], "refund_due", "{}", parents.text);
    assert_eq!(receipts(world).await, 1, "only the bank's");
}

async fn a_transaction_id_reused_for_another_bill_or_amount_is_refused<S: Store>(
    world: &mut World<S>,
) {
    let first = confirm(world, "FT25258000012", &["INV-1"], "1700000").await;
    assert_eq!(first.status, 200, "{}", first.text);

    let other_bill = confirm(world, "FT25258000012", &["INV-2"], "350000").await;
    let other_amount = confirm(world, "FT25258000012", &["INV-1"], "1700001").await;

    for answer in [&other_bill, &other_amount] {
        assert_eq!(answer.status, 409, "{}", answer.text);
        assert_eq!(error_code(answer), "TRANSACTION_REUSED");
    }
    assert_eq!(invoice_status(world, "INV-2").await, InvoiceStatus::Open);
    assert_eq!(receipts(world).await, 1);
}

async fn a_reversal_is_refused_with_a_reason_and_changes_nothing<S: Store>(world: &mut World<S>) {
    let paid = confirm(world, "FT25258000013", &["INV-1"], "1700000").await;
    assert_eq!(paid.status, 200, "{}", paid.text);

    let reversal = bank_says(
        world,
        "reversals",
        json!({"transaction_id": "FT25258000013"}),
    )
    .await;
    let unknown = bank_says(
        world,
        "reversals",
        json!({"transaction_id": "FT-NEVER-SEEN"}),
    )
    .await;

    assert_eq!(reversal.status, 409, "{}", reversal.text);
    assert_eq!(error_code(&reversal), "REVERSAL_REFUSED");
    assert!(
        !reversal.json["error"]["message"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "with a reason"
    );
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(error_code(&unknown), "UNKNOWN_TRANSACTION");
    let payment = world
        .app
        .store
        .payment(&partner_ref("FT25258000013"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    let receipt = world
        .get(&receipt_api(paid.json["receipt_url"].as_str().unwrap()))
        .await;
    assert_eq!(receipt.status, 200, "the receipt stands");
}

async fn a_partner_over_its_look_up_rate_is_refused_until_the_window_closes<S: Store>(
    world: &mut World<S>,
) {
    world.app.settings.partner_lookups = 3;
    let mut statuses = Vec::new();
    for student in [STUDENT, OTHER_STUDENT, "HS9999", STUDENT] {
        statuses.push(
            bank_says(world, "bills", json!({"student": student}))
                .await
                .status,
        );
    }
    let limited = bank_says(world, "bills", json!({"student": STUDENT})).await;

    assert_eq!(statuses, [200, 200, 404, 429], "every look-up counts");
    assert_eq!(error_code(&limited), "RATE_LIMITED", "{}", limited.text);
    world.clock.advance(Duration::seconds(61));
    let later = bank_says(world, "bills", json!({"student": STUDENT})).await;
    assert_eq!(later.status, 200, "{}", later.text);
    assert_eq!(
        world
            .app
            .store
            .failed_lookups(
                &hocphi_domain::FailureCounter::Student(StudentCode::parse(STUDENT).unwrap()),
                world.clock.now()
            )
            .await
            .unwrap(),
        0,
        "a partner's look-ups never count against a parent's"
    );
}

async fn a_parent_who_came_by_payment_code_pays_that_years_invoices_with_it<S: Store>(
    world: &mut World<S>,
) {
    let next_year = InvoiceFixture {
        year: 2026,
        ..InvoiceFixture::new("INV-26", &[("Học phí", 2_000_000)])
    }
    .build();
    world
        .app
        .store
        .upsert_invoice(
            &next_year,
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let code = payment_code(STUDENT).to_string();
    let world: &World<S> = world;
    let pay =
        |student: &'static str, code: String, invoices: Vec<&'static str>, key: &'static str| {
            let body = json!({
                "student": student, "code": code, "invoice_ids": invoices, "gateway": "vnpay"
            });
            async move {
                world
                    .call(
                        "POST",
                        "/api/payments",
                        &[
                            ("content-type", "application/json"),
                            ("idempotency-key", key),
                        ],
                        &body.to_string(),
                    )
                    .await
            }
        };

    let other_year = pay(STUDENT, code.clone(), vec!["INV-26"], "by-code-other-year").await;
    let other_student = pay(OTHER_STUDENT, code.clone(), vec!["INV-1"], "by-code-other").await;
    let forged = pay(
        STUDENT,
        format!("{STUDENT}-25AAAAAAAA"),
        vec!["INV-1"],
        "by-code-forged",
    )
    .await;
    let paid = pay(
        STUDENT,
        code.clone(),
        vec!["INV-1", "INV-2"],
        "by-code-this-year",
    )
    .await;

    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.json["status"], "pending");
    assert_eq!(
        other_year.status, 409,
        "another year's invoice is not the code's: {}",
        other_year.text
    );
    assert_eq!(other_student.status, 404, "{}", other_student.text);
    assert_eq!(forged.status, 404, "{}", forged.text);
    let held = world
        .app
        .store
        .invoice(&InvoiceId::parse("INV-1").unwrap())
        .await
        .unwrap();
    assert_eq!(held.unwrap().status, InvoiceStatus::Open, "held, not paid");
    let still_open = world
        .app
        .store
        .invoice(&InvoiceId::parse("INV-26").unwrap())
        .await
        .unwrap();
    assert_eq!(still_open.unwrap().status, InvoiceStatus::Open);
}

async fn a_payment_code_on_the_page_shows_that_years_invoices_and_a_forged_one_counts_as_a_wrong_code<
    S: Store,
>(
    world: &mut World<S>,
) {
    let next_year = InvoiceFixture {
        year: 2026,
        ..InvoiceFixture::new("INV-26", &[("Học phí", 2_000_000)])
    }
    .build();
    world
        .app
        .store
        .upsert_invoice(
            &next_year,
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let code = payment_code(STUDENT);

    let by_code = world.get(&format!("/api/invoices?ma={code}")).await;
    let by_lookup = world
        .get(&format!("/api/invoices?student={STUDENT}&code={CODE}"))
        .await;

    assert_eq!(by_code.status, 200, "{}", by_code.text);
    assert_eq!(by_code.json["student"], by_lookup.json["student"]);
    let ids = |answer: &Answer| -> Vec<String> {
        answer.json["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&by_code), ["INV-1", "INV-2"], "that year's only");
    assert_eq!(ids(&by_lookup), ["INV-1", "INV-2", "INV-26"]);
    assert_eq!(by_code.json["gateways"], by_lookup.json["gateways"]);
    let typed = code.to_string().to_lowercase().replace('-', " ");
    let typed = world
        .get(&format!("/api/invoices?ma={}", typed.replace(' ', "%20")))
        .await;
    assert_eq!(
        typed.status, 200,
        "spaces and case as typed: {}",
        typed.text
    );

    let forged = format!("{STUDENT}-25AAAAAAAA");
    let wrong = world.get(&format!("/api/invoices?ma={forged}")).await;
    let wrong_code = world
        .get(&format!("/api/invoices?student={STUDENT}&code=ZZZZ9999"))
        .await;
    assert_eq!(wrong.status, 404, "{}", wrong.text);
    assert_eq!(
        wrong.json, wrong_code.json,
        "the same answer as a wrong code"
    );
    let unknown = world.get("/api/invoices?ma=HS9999-25AAAAAAAA").await;
    assert_eq!(unknown.json, wrong_code.json, "an unknown student too");
    for _ in 0..3 {
        world.get(&format!("/api/invoices?ma={forged}")).await;
    }
    let locked = world.get(&format!("/api/invoices?ma={code}")).await;
    let locked_lookup = world
        .get(&format!("/api/invoices?student={STUDENT}&code={CODE}"))
        .await;
    assert_eq!(locked.status, 429, "{}", locked.text);
    assert_eq!(locked.json["error"]["code"], "too_many_attempts");
    assert_eq!(locked_lookup.status, 429, "the same counters");
    let other = world
        .get_from("203.113.9.9", &format!("/api/invoices?ma={code}"))
        .await;
    assert_eq!(other.status, 200, "another source is not locked out");
    let malformed = world.get("/api/invoices?ma=%%%").await;
    assert_eq!(malformed.status, 400, "{}", malformed.text);
}

async fn bad_partner_requests_get_a_clear_refusal<S: Store>(world: &mut World<S>) {
    let plain = world
        .call(
            "POST",
            "/api/partners/BANKDEMO/bills",
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_eq!(plain.status, 415, "{}", plain.text);
    let get = world.get("/api/partners/BANKDEMO/bills").await;
    assert_eq!(get.status, 405, "{}", get.text);

    let cases = [
        ("bills", json!({}), "MALFORMED"),
        (
            "bills",
            json!({"student": "no spaces allowed"}),
            "MALFORMED",
        ),
        ("bills", json!({"payment_code": "x"}), "MALFORMED"),
        (
            "confirmations",
            json!({"transaction_id": "FT1", "invoice_ids": ["INV-1"], "amount": "1.5"}),
            "MALFORMED",
        ),
        (
            "confirmations",
            json!({"transaction_id": "FT1", "invoice_ids": ["INV-1"]}),
            "MALFORMED",
        ),
        (
            "confirmations",
            json!({"transaction_id": "", "invoice_ids": ["INV-1"], "amount": "1700000"}),
            "MALFORMED",
        ),
        (
            "confirmations",
            json!({"transaction_id": "FT1", "invoice_ids": ["INV-1", "INV-1"], "amount": "3400000"}),
            "MALFORMED",
        ),
        ("reversals", json!({}), "MALFORMED"),
    ];
    for (op, body, code) in cases {
        let answer = bank_says(world, op, body.clone()).await;
        assert_eq!(answer.status, 400, "{op} {body}: {}", answer.text);
        assert_eq!(error_code(&answer), code, "{op} {body}: {}", answer.text);
        assert!(
            !answer.json["error"]["message"]
                .as_str()
                .unwrap_or("")
                .is_empty(),
            "a message for people"
        );
    }
    assert_eq!(invoice_status(world, "INV-1").await, InvoiceStatus::Open);
}

/// A demo school the portal collects for (its id is in the local portal partner's list), with
/// student HS0004 owing INV-40 and INV-41.
async fn seed_a_portal_school<S: Store>(world: &World<S>) {
    let store = &world.app.store;
    let school = hocphi_runtime::config::LOCAL_PAYOS_PAYEE_NQ;
    store
        .upsert_school(
            &hocphi_fixtures::school(school, "Trường THCS Ngô Quyền"),
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    store
        .upsert_student(
            &hocphi_fixtures::student("HS0004", school, "Phạm Thị Dung", "PQRS2345"),
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    for (id, amount) in [("INV-40", 1_200_000), ("INV-41", 300_000)] {
        let invoice = InvoiceFixture {
            student: "HS0004",
            school,
            ..InvoiceFixture::new(id, &[("Học phí", amount)])
        }
        .build();
        store
            .upsert_invoice(
                &invoice,
                world.clock.now(),
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
    }
}

fn portal_key() -> Secret {
    Secret::new(LOCAL_PORTAL_KEY).unwrap()
}

/// The portal platform posts `body` to its `op` address.
async fn portal_says<S: Store>(world: &World<S>, op: &str, body: &str) -> Answer {
    let answer = world
        .call(
            "POST",
            &format!("/api/partners/{LOCAL_PORTAL_PARTNER}/{op}"),
            &[("content-type", "application/json")],
            body,
        )
        .await;
    assert_eq!(
        answer.status, 200,
        "the platform reads MaLoi: {}",
        answer.text
    );
    assert!(
        dvcqg::reply_checks_out(&answer.text, &portal_key()),
        "hocphi signs its reply: {}",
        answer.text
    );
    answer
}

fn get_bill(world: &World<impl Store>, code: &str) -> String {
    dvcqg::GetBill {
        version: "1.0.0",
        agency: LOCAL_DVCQG_PARTNER_CODE,
        payment_code: code,
        at: world.clock.now(),
    }
    .signed_body(&portal_key())
}

fn portal_confirm(world: &World<impl Store>, code: &str, txn: &str, amount: u64) -> String {
    dvcqg::Confirm {
        agency: LOCAL_DVCQG_PARTNER_CODE,
        payment_code: code,
        amount: hocphi_domain::Money::from_vnd(amount).unwrap(),
        txn,
        bank: "970436",
        at: world.clock.now(),
        info: "Thanh toan hoc phi",
    }
    .signed_body(&portal_key())
}

async fn the_portal_gets_a_bill_by_payment_code_and_confirms_it<S: Store>(world: &mut World<S>) {
    seed_a_portal_school(world).await;
    let code = payment_code("HS0004").to_string();

    let bill = portal_says(world, "bills", &get_bill(world, &code)).await;

    assert_eq!(bill.json["MaLoi"], "00", "{}", bill.text);
    assert_eq!(bill.json["MaThamChieu"], code);
    assert_eq!(bill.json["SoTien"], "1500000");
    assert_eq!(
        bill.json["ThongTinBienLai"]["HoTenNguoiNop"], "Nguyễn V. A.",
        "the invoice's name (the fixtures' student), masked: {}",
        bill.text
    );

    let paid = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &code, "DVC2509150001", 1_500_000),
    )
    .await;
    let repeat = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &code, "DVC2509150001", 1_500_000),
    )
    .await;

    assert_eq!(paid.json["MaLoi"], "00", "{}", paid.text);
    assert_eq!(repeat.json["SoBienLai"], paid.json["SoBienLai"]);
    let url = paid.json["DuongDanBienLai"].as_str().unwrap();
    let receipt = world.get(&receipt_api(url)).await;
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    assert_eq!(receipt.json["total"], "1500000");
    assert_eq!(receipt.json["gateway"], "partner");
    for id in ["INV-40", "INV-41"] {
        assert_eq!(invoice_status(world, id).await, InvoiceStatus::Paid);
    }

    let outside = payment_code(STUDENT).to_string();
    let not_listed = portal_says(world, "bills", &get_bill(world, &outside)).await;
    let not_collectable = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &outside, "DVC2509150002", 2_050_000),
    )
    .await;
    let mut forged: Value = serde_json::from_str(&get_bill(world, &code)).unwrap();
    forged["MaXacThuc"] = Value::from("0".repeat(64));
    let forged = portal_says(world, "bills", &forged.to_string()).await;
    let reversal = world
        .call(
            "POST",
            &format!("/api/partners/{LOCAL_PORTAL_PARTNER}/reversals"),
            &[("content-type", "application/json")],
            "{}",
        )
        .await;

    assert_eq!(not_listed.json["MaLoi"], "04", "{}", not_listed.text);
    assert_eq!(
        not_collectable.json["MaLoi"], "05",
        "{}",
        not_collectable.text
    );
    assert_eq!(forged.json["MaLoi"], "01", "{}", forged.text);
    assert_eq!(reversal.json["MaLoi"], "02", "{}", reversal.text);
    assert_eq!(invoice_status(world, "INV-1").await, InvoiceStatus::Open);
}

async fn a_notice_paid_twice_on_the_portal_is_recorded_for_refund_the_second_time<S: Store>(
    world: &mut World<S>,
) {
    seed_a_portal_school(world).await;
    let code = payment_code("HS0004").to_string();
    let portal_ref = |txn: &str| {
        PaymentRef::for_partner(
            &PartnerId::parse(LOCAL_PORTAL_PARTNER).unwrap(),
            &GatewayTxnNo::parse(txn).unwrap(),
        )
    };

    let first = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &code, "DVC2509150011", 1_500_000),
    )
    .await;
    let second = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &code, "DVC2509150012", 1_500_000),
    )
    .await;
    let later = InvoiceFixture {
        student: "HS0004",
        school: hocphi_runtime::config::LOCAL_PAYOS_PAYEE_NQ,
        ..InvoiceFixture::new("INV-42", &[("Học phí", 1_500_000)])
    }
    .build();
    world
        .app
        .store
        .upsert_invoice(
            &later,
            world.clock.now(),
            &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
        )
        .await
        .unwrap();
    let repeated = portal_says(
        world,
        "confirmations",
        &portal_confirm(world, &code, "DVC2509150012", 1_500_000),
    )
    .await;

    assert_eq!(first.json["MaLoi"], "00", "{}", first.text);
    assert_eq!(second.json["MaLoi"], "06", "ALREADY_PAID: {}", second.text);
    assert_eq!(
        repeated.json, second.json,
        "the first answer, not the later invoice"
    );
    let payment = world
        .app
        .store
        .payment(&portal_ref("DVC2509150012"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::RefundDue);
    assert_eq!(payment.amount.vnd(), 1_500_000);
    assert!(payment.invoices.is_empty());
    assert_eq!(
        payment.partner,
        Some(PartnerId::parse(LOCAL_PORTAL_PARTNER).unwrap())
    );
    assert_eq!(
        payment.school.as_str(),
        hocphi_runtime::config::LOCAL_PAYOS_PAYEE_NQ
    );
    assert_eq!(invoice_status(world, "INV-42").await, InvoiceStatus::Open);
    assert_eq!(receipts(world).await, 1, "the first confirmation's");
}

mod unavailable {
    use super::*;

    pub async fn a_forged_or_unknown_partners_request_is_refused_before_the_store_is_read() {
        let world = hocphi_tests::unavailable_world().await;
        let body = json!({"student": STUDENT});
        let mut forged = bank(&world, "bills", &body);
        forged.signature = format!("v1={}", "0".repeat(64));
        let unknown = signed_as("NOBANK", LOCAL_BANK_KEY, "bills", &body, world.clock.now());

        let forged = send(&world, &forged).await;
        let unknown = send(&world, &unknown).await;
        let genuine = bank_says(&world, "bills", body).await;

        assert_eq!(error_code(&forged), "BAD_SIGNATURE", "{}", forged.text);
        assert_eq!(error_code(&unknown), "UNKNOWN_PARTNER", "{}", unknown.text);
        assert_eq!(genuine.status, 503, "{}", genuine.text);
        assert_eq!(error_code(&genuine), "UNAVAILABLE");
    }
}

mod document {
    use super::*;

    pub async fn the_partner_apis_openapi_document_is_served() {
        let world = hocphi_tests::sqlite_world().await;

        let document = world.get("/api/partners/openapi.json").await;

        assert_eq!(document.status, 200, "{}", document.text);
        assert_eq!(
            document.json,
            serde_json::from_str::<Value>(hocphi_gateways::partner::generic::OPENAPI).unwrap()
        );
        assert!(
            document.json["openapi"]
                .as_str()
                .unwrap_or("")
                .starts_with("3."),
            "{}",
            document.text
        );
    }
}

mod logs {
    use super::*;
    use hocphi_app::alarm;
    use hocphi_fixtures::CapturedLogs as Captured;

    pub async fn partner_requests_raise_their_alarms_once_and_log_no_personal_data_or_key() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let world = hocphi_tests::sqlite_world().await;
        seed_another_school(&world).await;
        let body = json!({"student": STUDENT});
        let mut forged = bank(&world, "bills", &body);
        forged.signature = format!("v1={}", "0".repeat(64));

        send(&world, &forged).await;
        bank_says(&world, "bills", body).await;
        confirm(&world, "FT25258000020", &["INV-2"], "1").await;
        confirm(&world, "FT25258000020", &["INV-2"], "1").await;
        confirm(&world, "FT25258000021", &["INV-9"], "900000").await;
        let checkout = world.checkout("key-0203-partner-logs", &["INV-1"]).await;
        let (ipn, _) = world.pay_at_gateway(&checkout, "00");
        world.deliver(&ipn).await;
        confirm(&world, "FT25258000022", &["INV-1"], "1700000").await;
        bank_says(
            &world,
            "reversals",
            json!({"transaction_id": "FT25258000022"}),
        )
        .await;

        let mismatch = partner_ref("FT25258000020");
        let refund = partner_ref("FT25258000022");
        let count = |message: &str, needle: &str| captured.lines_with(message, needle).len();
        assert_eq!(count(alarm::CALLBACK_REJECTED, LOCAL_BANK_PARTNER), 1);
        assert_eq!(count(alarm::AMOUNT_MISMATCH, mismatch.as_str()), 1, "once");
        assert_eq!(count(alarm::REFUND_DUE, refund.as_str()), 1);
        assert_eq!(count(alarm::PARTNER_REFUSED, "NOT_COLLECTABLE"), 1);
        assert_eq!(count(alarm::PARTNER_REVERSAL_REFUSED, refund.as_str()), 1);
        assert_eq!(count("partner bill look-up", LOCAL_BANK_PARTNER), 1);
        let logs = captured.text();
        for secret in [
            LOCAL_BANK_KEY,
            &forged.signature[3..],
            STUDENT,
            "HS0003",
            "Nguyễn",
            "Lê Văn",
            "V. A.",
            &payment_code(STUDENT).to_string(),
        ] {
            assert!(
                !logs.contains(secret),
                "the logs contain {secret:?}:\n{logs}"
            );
        }
    }
}
