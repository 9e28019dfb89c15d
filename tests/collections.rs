//! What schools collect in 2026, end to end through hocphi's HTTP mapping, against the SQLite
//! store and against DynamoDB's API (moto): a public school's invoice (meals by days, care, BHYT
//! on behalf of Social Security, a voluntary item) and a private school's tuition less the state
//! subsidy and a reduction are looked up with their kinds, paid with and without the voluntary
//! item through VNPay's simulated callback and a bank's signed confirmation, and receipted in
//! sections; a payment naming a line that is not a voluntary line of its invoices is refused.
//! The DynamoDB trials are reported ignored where no endpoint is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocphi_api::ReceiptResponse;
use hocphi_domain::{Clock, Money, PayeeId, Store};
use hocphi_fixtures::{self as fixtures, BHXH, InvoiceFixture, dynamodb, harness};
use hocphi_tests::partner::bank_says;
use hocphi_tests::{Answer, CODE, SITE, World, payos};
use serde_json::{Value, json};

macro_rules! trials {
    ($make:expr, $store:literal, $skip:expr; $($name:ident),* $(,)?) => {
        vec![$(
            harness::trial(concat!($store, "::", stringify!($name)), $skip, || async {
                let world = $make.await;
                seed(&world).await;
                $name(&world).await;
            })
        ),*]
    };
}

macro_rules! all_trials {
    ($make:expr, $store:literal, $skip:expr) => {
        trials!($make, $store, $skip;
            a_public_schools_invoice_is_looked_up_with_its_kinds_and_what_it_requires,
            a_parent_pays_the_voluntary_item_through_vnpay_and_the_receipt_separates_the_kinds,
            a_parent_who_ticks_nothing_pays_what_the_invoice_requires,
            a_private_schools_tuition_is_paid_less_its_subsidy_and_reduction,
            a_bank_bills_and_collects_the_required_total_only,
            a_choice_of_a_mandatory_or_foreign_line_is_refused_and_holds_nothing,
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
    harness::run_alone_first(Vec::new(), trials, skip.as_deref())
}

/// The public school's student (at the suites' school, paid into its payee).
const PUBLIC_STUDENT: &str = "HS2601";
const PUBLIC_INVOICE: &str = "NQ-2026-HK1-0001";
/// The private school's student.
const PRIVATE_STUDENT: &str = "HS2602";
const PRIVATE_INVOICE: &str = "TT-2026-HK1-0001";
const PRIVATE_SCHOOL: &str = "GL-THPT-TT";
/// The voluntary line's position in the public school's invoice.
const VOLUNTARY: u16 = 3;

fn operator() -> hocphi_domain::Actor {
    hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap())
}

/// The private school (a payee the demo bank collects for), both students and their 2026
/// invoices.
async fn seed<S: Store>(world: &World<S>) {
    let store = &world.app.store;
    store
        .upsert_school(
            &hocphi_domain::School {
                payee: Some(PayeeId::parse(payos::OTHER_PAYEE).unwrap()),
                ..fixtures::school(PRIVATE_SCHOOL, "Trường THPT tư thục Trần Thị")
            },
            world.clock.now(),
            &operator(),
        )
        .await
        .unwrap();
    for (student, school, id, lines) in [
        (
            PUBLIC_STUDENT,
            fixtures::SCHOOL,
            PUBLIC_INVOICE,
            fixtures::public_school_lines(),
        ),
        (
            PRIVATE_STUDENT,
            PRIVATE_SCHOOL,
            PRIVATE_INVOICE,
            fixtures::private_school_lines(),
        ),
    ] {
        store
            .upsert_student(
                &fixtures::student(student, school, "Phạm Thị Hoa", CODE),
                world.clock.now(),
                &operator(),
            )
            .await
            .unwrap();
        let invoice = InvoiceFixture {
            student,
            school,
            year: 2026,
            ..InvoiceFixture::new(id, &[])
        }
        .build_with(lines);
        store
            .upsert_invoice(&invoice, world.clock.now(), &operator())
            .await
            .unwrap();
    }
}

/// `POST /api/payments` for `student`'s `invoices` through VNPay, ticking `voluntary`.
async fn pay<S: Store>(
    world: &World<S>,
    key: &str,
    student: &str,
    invoices: &[&str],
    voluntary: Value,
) -> Answer {
    let body = json!({
        "student": student, "code": CODE, "invoice_ids": invoices, "gateway": "vnpay",
        "voluntary": voluntary,
    });
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

/// The parent pays at VNPay's (simulated) page and VNPay's IPN arrives; answers the receipt.
async fn paid_through_vnpay<S: Store>(world: &World<S>, checkout: &Answer) -> ReceiptResponse {
    assert_eq!(checkout.status, 201, "{}", checkout.text);
    let (ipn, _) = world.pay_at_gateway(checkout, "00");
    let reply = world.deliver(&ipn).await;
    assert_eq!(reply["RspCode"], "00", "{reply}");
    let reference = checkout.json["payment_ref"].as_str().unwrap();
    let status = world.get(&format!("/api/payments/{reference}")).await;
    assert_eq!(status.json["status"], "succeeded", "{}", status.text);
    let link = &status.json["receipt"];
    receipt_at(
        world,
        &format!(
            "/api/receipts/{}?t={}",
            link["id"].as_str().unwrap(),
            link["token"].as_str().unwrap()
        ),
    )
    .await
}

async fn receipt_at<S: Store>(world: &World<S>, uri: &str) -> ReceiptResponse {
    let answer = world.get(uri).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    serde_json::from_str(&answer.text).unwrap()
}

/// Each section of a receipt as (title, line descriptions, subtotal in đồng).
fn sections(receipt: &ReceiptResponse) -> Vec<(String, Vec<String>, u64)> {
    receipt
        .sections()
        .iter()
        .map(|s| {
            (
                s.title_vi(),
                s.lines.iter().map(|l| l.description.to_string()).collect(),
                s.subtotal.map_or(0, Money::vnd),
            )
        })
        .collect()
}

fn section(title: &str, lines: &[&str], subtotal: u64) -> (String, Vec<String>, u64) {
    (
        title.to_owned(),
        lines.iter().map(ToString::to_string).collect(),
        subtotal,
    )
}

const SCHOOLS_OWN: &str = "Các khoản thu của nhà trường";

fn on_behalf() -> String {
    format!("Thu hộ: {BHXH}")
}

async fn a_public_schools_invoice_is_looked_up_with_its_kinds_and_what_it_requires<S: Store>(
    world: &World<S>,
) {
    let found = world
        .get(&format!(
            "/api/invoices?student={PUBLIC_STUDENT}&code={CODE}"
        ))
        .await;

    assert_eq!(found.status, 200, "{}", found.text);
    let invoice = &found.json["invoices"][0];
    assert_eq!(invoice["id"], PUBLIC_INVOICE);
    assert_eq!(
        invoice["total"], "1609520",
        "what it requires: the voluntary item is offered beside it"
    );
    let items = invoice["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["service", "service", "on_behalf", "voluntary"]);
    assert_eq!(
        items[0]["pricing"],
        json!({"quantity": 21, "unit": "day", "unit_price": "25000"})
    );
    assert_eq!(items[0]["amount"], "525000");
    assert_eq!(items[2]["beneficiary"], BHXH);
    assert_eq!(items[3]["amount"], "100000");
    assert!(items[1].get("pricing").is_none() && items[1].get("beneficiary").is_none());
}

async fn a_parent_pays_the_voluntary_item_through_vnpay_and_the_receipt_separates_the_kinds<
    S: Store,
>(
    world: &World<S>,
) {
    let checkout = pay(
        world,
        "key-2601-with-voluntary",
        PUBLIC_STUDENT,
        &[PUBLIC_INVOICE],
        json!([{"invoice_id": PUBLIC_INVOICE, "line": VOLUNTARY}]),
    )
    .await;
    assert_eq!(checkout.json["amount"], "1709520", "{}", checkout.text);

    let receipt = paid_through_vnpay(world, &checkout).await;

    assert_eq!(receipt.total.vnd(), 1_709_520);
    assert_eq!(
        sections(&receipt),
        [
            section(
                SCHOOLS_OWN,
                &["Tiền ăn bán trú", "Chăm sóc bán trú", "Quỹ khuyến học"],
                825_000
            ),
            section(&on_behalf(), &["Bảo hiểm y tế học sinh"], 884_520),
        ]
    );
    assert_eq!(
        receipt.lines[0]
            .pricing
            .map(|p| (p.quantity, p.unit_price.vnd())),
        Some((21, 25_000))
    );
    assert_eq!(
        receipt
            .lines
            .iter()
            .filter_map(|l| l.item.as_ref())
            .map(|i| i.as_str())
            .collect::<Vec<_>>(),
        ["BANTRU", "BHYT", "KHUYENHOC"]
    );
    assert_eq!(receipt.e_invoice, None);
}

async fn a_parent_who_ticks_nothing_pays_what_the_invoice_requires<S: Store>(world: &World<S>) {
    let checkout = pay(
        world,
        "key-2601-required-only",
        PUBLIC_STUDENT,
        &[PUBLIC_INVOICE],
        json!([]),
    )
    .await;
    assert_eq!(checkout.json["amount"], "1609520", "{}", checkout.text);

    let receipt = paid_through_vnpay(world, &checkout).await;

    assert_eq!(
        sections(&receipt),
        [
            section(
                SCHOOLS_OWN,
                &["Tiền ăn bán trú", "Chăm sóc bán trú"],
                725_000
            ),
            section(&on_behalf(), &["Bảo hiểm y tế học sinh"], 884_520),
        ]
    );
    let found = world
        .get(&format!(
            "/api/invoices?student={PUBLIC_STUDENT}&code={CODE}"
        ))
        .await;
    assert_eq!(
        found.json["invoices"],
        json!([]),
        "the invoice is paid: its voluntary item is no longer offered"
    );
}

async fn a_private_schools_tuition_is_paid_less_its_subsidy_and_reduction<S: Store>(
    world: &World<S>,
) {
    let found = world
        .get(&format!(
            "/api/invoices?student={PRIVATE_STUDENT}&code={CODE}"
        ))
        .await;
    assert_eq!(
        found.json["invoices"][0]["total"], "1200000",
        "{}",
        found.text
    );
    let kinds: Vec<&str> = found.json["invoices"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["tuition", "subsidy", "reduction"]);

    let checkout = pay(
        world,
        "key-2602-tuition",
        PRIVATE_STUDENT,
        &[PRIVATE_INVOICE],
        json!([]),
    )
    .await;
    let receipt = paid_through_vnpay(world, &checkout).await;

    assert_eq!(receipt.total.vnd(), 1_200_000);
    assert_eq!(
        sections(&receipt),
        [section(
            SCHOOLS_OWN,
            &[
                "Học phí học kỳ 1",
                "Hỗ trợ học phí",
                "Miễn, giảm theo quy định"
            ],
            1_200_000
        )]
    );
    assert!(receipt.lines[1].kind.is_adjustment() && receipt.lines[2].kind.is_adjustment());
}

async fn a_bank_bills_and_collects_the_required_total_only<S: Store>(world: &World<S>) {
    let found = bank_says(world, "bills", json!({"student": PUBLIC_STUDENT})).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let bill = &found.json["bills"][0];
    assert_eq!(bill["total"], "1609520");
    let items: Vec<&str> = bill["invoices"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        [
            "Tiền ăn bán trú",
            "Chăm sóc bán trú",
            "Bảo hiểm y tế học sinh"
        ],
        "never the voluntary item"
    );
    let confirm = |txn: &'static str, amount: &'static str| {
        bank_says(
            world,
            "confirmations",
            json!({"transaction_id": txn, "invoice_ids": [PUBLIC_INVOICE], "amount": amount}),
        )
    };

    let with_voluntary = confirm("FT26001000001", "1709520").await;
    let required = confirm("FT26001000002", "1609520").await;

    assert_eq!(
        with_voluntary.json["error"]["code"], "AMOUNT_MISMATCH",
        "{}",
        with_voluntary.text
    );
    assert_eq!(with_voluntary.json["error"]["expected"], "1609520");
    assert_eq!(required.json["status"], "confirmed", "{}", required.text);
    let url = required.json["receipt_url"].as_str().unwrap();
    let receipt = receipt_at(
        world,
        &url.replacen(&format!("{SITE}/bien-lai/"), "/api/receipts/", 1),
    )
    .await;
    assert_eq!(
        sections(&receipt),
        [
            section(
                SCHOOLS_OWN,
                &["Tiền ăn bán trú", "Chăm sóc bán trú"],
                725_000
            ),
            section(&on_behalf(), &["Bảo hiểm y tế học sinh"], 884_520),
        ]
    );

    let private = bank_says(world, "bills", json!({"student": PRIVATE_STUDENT})).await;
    let bill = &private.json["bills"][0];
    assert_eq!(bill["total"], "1200000", "{}", private.text);
    let items: Vec<(&str, &str)> = bill["invoices"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["description"].as_str().unwrap(),
                i["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("Học phí học kỳ 1", "3000000"),
            ("Trừ: Hỗ trợ học phí", "1500000"),
            ("Trừ: Miễn, giảm theo quy định", "300000"),
        ]
    );
}

async fn a_choice_of_a_mandatory_or_foreign_line_is_refused_and_holds_nothing<S: Store>(
    world: &World<S>,
) {
    let choice = |invoice: &str, line: u16| json!([{"invoice_id": invoice, "line": line}]);
    let cases = [
        (
            "a mandatory line",
            choice(PUBLIC_INVOICE, 0),
            "Chỉ chọn thêm",
        ),
        (
            "a line collected on behalf",
            choice(PUBLIC_INVOICE, 2),
            "Chỉ chọn thêm",
        ),
        (
            "no such line",
            choice(PUBLIC_INVOICE, 9),
            "không còn trong khoản thu",
        ),
        (
            "another student's invoice",
            choice(PRIVATE_INVOICE, 0),
            "không thuộc các khoản thu đang thanh toán",
        ),
        (
            "the voluntary line twice",
            json!([
                {"invoice_id": PUBLIC_INVOICE, "line": VOLUNTARY},
                {"invoice_id": PUBLIC_INVOICE, "line": VOLUNTARY},
            ]),
            "chỉ chọn một lần",
        ),
        (
            "a malformed invoice id",
            choice("NQ 2026/1", 3),
            "không hợp lệ",
        ),
    ];

    for (n, (case, voluntary, message)) in cases.into_iter().enumerate() {
        let key = format!("key-2601-bad-choice-{n}");
        let refused = pay(world, &key, PUBLIC_STUDENT, &[PUBLIC_INVOICE], voluntary).await;

        assert_eq!(refused.status, 422, "{case}: {}", refused.text);
        assert_eq!(
            refused.json["error"]["code"], "invalid_invoice_ids",
            "{case}"
        );
        let said = refused.json["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{case}: {said}");
    }

    let checkout = pay(
        world,
        "key-2601-after-refusals",
        PUBLIC_STUDENT,
        &[PUBLIC_INVOICE],
        choice(PUBLIC_INVOICE, VOLUNTARY),
    )
    .await;
    assert_eq!(
        checkout.status, 201,
        "nothing was held by the refused requests: {}",
        checkout.text
    );
}
