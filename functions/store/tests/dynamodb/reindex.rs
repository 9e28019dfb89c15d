//! `DynamoStore::reindex` on a table whose items an earlier version wrote: without the index
//! attributes added since, the report's queries and a student's records miss them until the
//! reindex writes them.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hocphi_domain::{
    Actor, GatewayEvent, GatewayKind, GatewayTxnNo, Invoice, Label, Money, Payment, PaymentRef,
    ReceiptId, ReceiptToken, SchoolId, Settled, Store, StudentCode,
};
use hocphi_store::conformance::fixtures::{self, InvoiceFixture, SCHOOL, STUDENT, dynamodb};
use hocphi_store::dynamodb::{
    Client, DynamoStore, IndexedKind, KindCounts, ReindexReport, client, create_table,
};

const INDEX_ATTRIBUTES: [&str; 6] = ["GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"];

struct Old {
    client: Client,
    table: String,
    store: DynamoStore,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap()
}

fn operator() -> Actor {
    Actor::operator(Label::parse("ketoan01").unwrap())
}

fn invoice(id: &str) -> Invoice {
    InvoiceFixture::new(id, &[("Học phí", 100_000)]).build()
}

fn reference(n: u32) -> PaymentRef {
    PaymentRef::parse(&format!("HP{n:010}")).unwrap()
}

fn paid(txn: &str, vnd: u64) -> GatewayEvent {
    GatewayEvent::Paid {
        txn: GatewayTxnNo::parse(txn).unwrap(),
        amount: Money::from_vnd(vnd).unwrap(),
    }
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

/// A school, a student, a paid invoice with its receipt, and an invoice whose payment received
/// another amount (money to give back), written by the store and then stripped of every index
/// attribute, as an earlier version would have left them.
async fn old_table() -> Old {
    let client = client(Some(&dynamodb::endpoint())).await;
    let table = dynamodb::table_name("reindex");
    create_table(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), table.clone());
    store
        .upsert_school(
            &fixtures::school(SCHOOL, fixtures::SCHOOL_NAME),
            t0(),
            &operator(),
        )
        .await
        .unwrap();
    store
        .upsert_student(
            &fixtures::student(
                STUDENT,
                SCHOOL,
                fixtures::STUDENT_NAME,
                fixtures::LOOKUP_CODE,
            ),
            t0(),
            &operator(),
        )
        .await
        .unwrap();
    let invoices = [invoice("INV-1"), invoice("INV-2")];
    for (n, invoice) in (1..).zip(&invoices) {
        store
            .upsert_invoice(invoice, t0(), &operator())
            .await
            .unwrap();
        let at = t0() + Duration::minutes(i64::from(n));
        let payment = Payment::open(
            reference(n),
            std::slice::from_ref(invoice),
            &[],
            GatewayKind::Vnpay,
            at,
            Duration::minutes(15),
        )
        .unwrap();
        store
            .create_payment(&payment, at, &Actor::Parent)
            .await
            .unwrap();
        let amount = if n == 1 { 100_000 } else { 10_000 };
        let settled = store
            .settle(
                &payment.reference,
                GatewayKind::Vnpay,
                &paid(&format!("T{n}"), amount),
                at + Duration::minutes(1),
                &ReceiptToken::from_entropy([u8::try_from(n).unwrap(); 16]),
                &Actor::Channel {
                    gateway: GatewayKind::Vnpay,
                },
            )
            .await
            .unwrap();
        assert!(
            matches!(
                settled,
                Settled::Applied(_) | Settled::AmountMismatch { recorded: true, .. }
            ),
            "{settled:?}"
        );
    }
    let old = Old {
        client,
        table,
        store,
    };
    for (pk, sk) in [
        (format!("SCHOOL#{SCHOOL}"), "SCHOOL"),
        ("INVOICE#INV-1".to_owned(), "INVOICE"),
        ("INVOICE#INV-2".to_owned(), "INVOICE"),
        (format!("PAYMENT#{}", reference(1)), "PAYMENT"),
        (format!("PAYMENT#{}", reference(2)), "PAYMENT"),
        (
            format!("RECEIPT#{}", ReceiptId::for_payment(&reference(1))),
            "RECEIPT",
        ),
    ] {
        old.strip(&pk, sk).await;
    }
    old
}

impl Old {
    async fn strip(&self, pk: &str, sk: &str) {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .update_expression(format!("REMOVE {}", INDEX_ATTRIBUTES.join(", ")))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{pk} is stripped: {e:?}"));
    }

    async fn item(&self, pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .unwrap()
    }

    /// What the report and a privacy export find: schools, invoices due, refunds due, and the
    /// student's invoices, payments and receipts.
    async fn found(&self) -> [usize; 6] {
        let from = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let due = self
            .store
            .invoices_due(&SchoolId::parse(SCHOOL).unwrap(), from, to, None, 100)
            .await
            .unwrap();
        let records = self
            .store
            .student_records(&StudentCode::parse(STUDENT).unwrap(), t0())
            .await
            .unwrap();
        [
            self.store.schools().await.unwrap().len(),
            due.invoices.len(),
            self.store
                .refunds_due(t0(), t0() + Duration::hours(1))
                .await
                .unwrap()
                .len(),
            records.invoices.len(),
            records.payments.len(),
            records.receipts.len(),
        ]
    }
}

fn counts(scanned: u64, updated: u64, skipped: u64) -> KindCounts {
    KindCounts {
        scanned,
        updated,
        skipped,
    }
}

fn expected(dry_run: bool, updated: [u64; 4]) -> ReindexReport {
    ReindexReport {
        dry_run,
        read: 0,
        schools: counts(1, updated[0], 0),
        invoices: counts(2, updated[1], 0),
        payments: counts(2, updated[2], 0),
        receipts: counts(1, updated[3], 0),
    }
}

fn without_read(report: ReindexReport) -> ReindexReport {
    assert!(report.read >= 6, "every item is read: {report:?}");
    ReindexReport { read: 0, ..report }
}

/// Everything the store writes: a school, two invoices, two payments (one owing money back) and
/// one receipt.
const EVERYTHING: [usize; 6] = [1, 2, 1, 2, 2, 1];

pub async fn items_written_before_their_indexes_are_found_once_reindexed_and_a_second_run_updates_nothing()
 {
    let old = old_table().await;
    assert_eq!(old.found().await, [0; 6], "the stripped items are missed");

    let dry = old.store.reindex(true, |_| {}).await.unwrap();
    let after_dry = old.found().await;
    let mut heard = Vec::new();
    let first = old
        .store
        .reindex(false, |progress| heard.push(progress))
        .await
        .unwrap();
    let after = old.found().await;
    let again = old.store.reindex(false, |_| {}).await.unwrap();

    assert_eq!(without_read(dry), expected(true, [1, 2, 2, 1]));
    assert_eq!(after_dry, [0; 6], "a dry run writes nothing");
    assert_eq!(without_read(first.clone()), expected(false, [1, 2, 2, 1]));
    assert_eq!(heard.last().map(|p| &p.report), Some(&first));
    assert_eq!(after, EVERYTHING);
    assert_eq!(without_read(again), expected(false, [0; 4]));
}

pub async fn an_index_attribute_the_body_no_longer_calls_for_is_removed() {
    let old = old_table().await;
    old.store.reindex(false, |_| {}).await.unwrap();
    let paid = format!("PAYMENT#{}", reference(1));
    old.client
        .update_item()
        .table_name(&old.table)
        .set_key(Some(key(&paid, "PAYMENT")))
        .update_expression("SET GSI2PK = :pending, GSI2SK = :at")
        .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
        .expression_attribute_values(":at", AttributeValue::S("0#stale".into()))
        .send()
        .await
        .unwrap();

    let report = old.store.reindex(false, |_| {}).await.unwrap();

    assert_eq!(report.of(IndexedKind::Payment).updated, 1);
    assert_eq!(report.updated(), 1);
    let item = old.item(&paid, "PAYMENT").await;
    assert!(!item.contains_key("GSI2PK") && !item.contains_key("GSI2SK"));
    assert!(item.contains_key("GSI1PK"), "the other attributes stay");
}

pub async fn an_item_changed_between_read_and_write_is_skipped_and_a_rerun_indexes_it() {
    let old = old_table().await;
    let page = old.store.reindex_page(None).await.unwrap();
    assert_eq!(page.fixes.len(), 6);
    let edited = InvoiceFixture::new("INV-2", &[("Học phí học kỳ 1", 100_000)]).build();
    old.client
        .update_item()
        .table_name(&old.table)
        .set_key(Some(key("INVOICE#INV-2", "INVOICE")))
        .update_expression("SET body = :body")
        .expression_attribute_values(
            ":body",
            AttributeValue::S(serde_json::to_string(&edited).unwrap()),
        )
        .send()
        .await
        .unwrap();

    let mut written = Vec::new();
    for fix in &page.fixes {
        written.push((fix.kind, old.store.apply_index_fix(fix).await.unwrap()));
    }
    let due_meanwhile = old.found().await[1];
    let rerun = old.store.reindex(false, |_| {}).await.unwrap();
    let after = old.found().await;

    let skipped: Vec<_> = written.iter().filter(|(_, done)| !done).collect();
    assert_eq!(skipped, [&(IndexedKind::Invoice, false)]);
    assert_eq!(due_meanwhile, 1, "only the invoice left alone is found");
    assert_eq!(rerun.updated(), 1);
    assert_eq!(rerun.of(IndexedKind::Invoice).updated, 1);
    assert_eq!(after, EVERYTHING);
    let due = old
        .store
        .invoices_due(
            &SchoolId::parse(SCHOOL).unwrap(),
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            None,
            10,
        )
        .await
        .unwrap();
    assert!(
        due.invoices.contains(&edited),
        "the concurrent write is kept"
    );
}
