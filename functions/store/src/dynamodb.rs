//! The DynamoDB adapter: one table per province, single-table design.
//!
//! | item | PK | SK | other attributes |
//! |---|---|---|---|
//! | school | `SCHOOL#{id}` | `SCHOOL` | body; GSI3 `SCHOOLS` / `{id}` |
//! | student | `STUDENT#{code}` | `STUDENT` | body |
//! | invoice | `INVOICE#{id}` | `INVOICE` | body, status, version, held_by, held_until; GSI1 `STUDENT#{code}` / `{status}#{due}#{id}`; GSI3 `DUE#{school}` / `{due}#{id}` |
//! | payment | `PAYMENT#{ref}` | `PAYMENT` | body, status, version; GSI2 `PENDING` / `{created ms}#{ref}` while pending, `UNPAID#{expiry yyyy-mm-dd}` / `{expires ms}#{ref}` once failed or expired; GSI3 `REFUNDS` / `{created ms}#{ref}` while it has money to give back |
//! | receipt | `RECEIPT#{id}` | `RECEIPT` | body; GSI2 `RECEIPTS#{yyyy-mm}` / `{issued ms}#{id}` |
//! | receipt counter | `COUNTER#{school}#{year}` | `COUNTER` | last |
//! | look-up failures | `LOOKUPFAIL#{counter key}` | `LOOKUPFAIL` | failures, window_ends, expires_epoch (TTL) |
//! | idempotency record | `IDEMPOTENCY#{key}` | `IDEMPOTENCY` | fingerprint, state, lease_until, lease_token, payment, expires_at, response, expires_epoch (TTL) |
//! | signed request's nonce | `NONCE#{partner}:{nonce}` | `NONCE` | used_until, expires_epoch (TTL) |
//! | catalogue entry | `CATALOGUE#ITEMS` | `{code}#{school}` (`{code}#` for the province's) | body |
//! | audit event | its subject's own PK (`SCHOOL#`, `STUDENT#`, `INVOICE#`, `PAYMENT#`) | `EVENT#{seq:010}` | body |
//! | audit event head | the same PK | `EVENTS` | last (the number of the subject's last event) |
//!
//! Every change is conditional. A settle is one `TransactWriteItems` (the payment, every covered
//! invoice, the school-year counter and the receipt), conditioned on the versions it read and on
//! the counter's last value, so receipt numbers are consecutive and never reused; paying an
//! invoice puts it whole, which ends any hold on it. A mismatched transfer is one too (the
//! payment with the transfer appended, and the release of its holds), conditioned on the
//! payment's version; a cancelled transaction is re-read and retried. A partner's capture is the
//! same transaction with the payment put only if its reference is unused; cancelled for that
//! reason, it answers the payment found. A Mismatched payment leaves GSI2 (the sweeper neither
//! expires nor re-asks about it). Times are epoch milliseconds; the TTL attribute is in seconds,
//! and expiry is also checked on read because TTL deletion is lazy (a nonce's condition compares
//! its end with the request's time). GSI3 serves the Department's report: the schools, a
//! school's invoices by due date, and the payments with money to give back (a sparse index:
//! only those payments carry its keys).
//! Every change of a school, a student, an invoice or a
//! payment puts its audit events in its own `TransactWriteItems`, each only if its key is
//! unused, with the subject's head only if it still holds the number read: a writer that read the
//! same last number loses the whole transaction and retries.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hocphi_domain::privacy::{self, Erasure, ErasureReport, RetentionReport, StudentRecords};
use hocphi_domain::{
    Action, Actor, AuditEvent, Cancellation, CatalogueItem, CatalogueOutcome, Claim,
    ConflictReason, CreatePaymentError, Decision, EventKind, FailureCounter, Fingerprint,
    GatewayEvent, GatewayKind, IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId, InvoicePage,
    InvoiceStatus, Label, LeaseToken, LookupDigest, NonceKey, PageToken, Payment, PaymentRef,
    PaymentState, PaymentStatus, Receipt, ReceiptId, ReceiptToken, School, SchoolId, Settled,
    Store, StoreError, StoredResponse, Student, StudentCode, StudentPage, Subject, Transition,
    UpsertOutcome, VoidOutcome,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::events::{self, Entry};
use crate::plan::{Plan, capture, plan};

mod reindex;
pub use reindex::{IndexFix, IndexedKind, KindCounts, ReindexPage, ReindexProgress, ReindexReport};

type Item = HashMap<String, AttributeValue>;
type Result<T, E = StoreError> = std::result::Result<T, E>;

const ATTEMPTS: u32 = 40;
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// The DynamoDB adapter of the [`Store`] port.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    break_next_settle: Arc<AtomicBool>,
    collide_next_event: Arc<AtomicBool>,
    collided: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure in a settle transaction")]
struct InjectedFailure;

pub use aws_config::SdkConfig;
pub use aws_sdk_dynamodb::Client;

/// The AWS SDK configuration hocphi uses: a rustls/ring HTTPS stack, region and credentials from
/// the environment (as Lambda provides them); `endpoint` overrides the service address (tests).
pub async fn sdk_config(endpoint: Option<&str>) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// A DynamoDB client over [`sdk_config`].
pub async fn client(endpoint: Option<&str>) -> Client {
    Client::new(&sdk_config(endpoint).await)
}

/// The table's global secondary indexes: each `NAME` is keyed by `NAMEPK` and `NAMESK` (strings)
/// and projects every attribute, as the infrastructure template declares them.
pub const INDEXES: [&str; 3] = ["GSI1", "GSI2", "GSI3"];

/// Creates the table with its [`INDEXES`] and TTL, as the infrastructure template declares it.
pub async fn create_table(client: &Client, table: &str) -> Result<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(StoreError::unavailable)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(StoreError::unavailable)
    };
    let index = |name: &str, pk: &str, sk: &str| -> Result<GlobalSecondaryIndex> {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(StoreError::unavailable)
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash)?)
        .key_schema(key("SK", KeyType::Range)?)
        .attribute_definitions(attribute("PK")?)
        .attribute_definitions(attribute("SK")?);
    for name in INDEXES {
        let (pk, sk) = (format!("{name}PK"), format!("{name}SK"));
        request = request
            .global_secondary_indexes(index(name, &pk, &sk)?)
            .attribute_definitions(attribute(&pk)?)
            .attribute_definitions(attribute(&sk)?);
    }
    request.send().await.map_err(StoreError::unavailable)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_epoch")
                .build()
                .map_err(StoreError::unavailable)?,
        )
        .send()
        .await
        .map_err(StoreError::unavailable)?;
    Ok(())
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The kinds of item, by the prefix of their partition key, as the table above lists them (the
/// template checks hold each public function's `dynamodb:LeadingKeys` to these).
pub const ITEM_KINDS: [&str; 10] = [
    "SCHOOL#",
    "STUDENT#",
    "INVOICE#",
    "PAYMENT#",
    "RECEIPT#",
    "COUNTER#",
    "LOOKUPFAIL#",
    "IDEMPOTENCY#",
    "NONCE#",
    "CATALOGUE#",
];

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(StoreError::Corrupt(format!("attribute {name} is missing"))),
    }
}

fn number(item: &Item, name: &str) -> Result<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a number"))),
        _ => Err(StoreError::Corrupt(format!("attribute {name} is missing"))),
    }
}

fn body<T: DeserializeOwned>(item: &Item) -> Result<T> {
    serde_json::from_str(text(item, "body")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `#name` placeholders in an expression stand for the attribute of the same name.
fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
    let mut map = HashMap::new();
    for expression in expressions {
        for (i, _) in expression.match_indices('#') {
            let name: String = expression[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            map.insert(format!("#{name}"), name);
        }
    }
    (!map.is_empty()).then_some(map)
}

fn values(pairs: &[(&str, AttributeValue)]) -> Option<HashMap<String, AttributeValue>> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    })
}

fn student_key(code: &StudentCode) -> Item {
    key(format!("STUDENT#{code}"), "STUDENT")
}

/// The one partition of the catalogue: a province has tens of entries, read together.
const CATALOGUE: &str = "CATALOGUE#ITEMS";

/// A catalogue entry's key; `#` sorts before every character of a code, so the sort keys run
/// by code, then the province's entry, then schools' by id.
fn catalogue_key(item: &CatalogueItem) -> Item {
    let school = item.school.as_ref().map_or("", SchoolId::as_str);
    key(CATALOGUE.to_owned(), &format!("{}#{school}", item.code))
}

fn failure_key(counter: &FailureCounter) -> Item {
    key(format!("LOOKUPFAIL#{}", counter.key()), "LOOKUPFAIL")
}

/// A scan's position as a page token: the key of the last item it read.
fn page_token(last: &Item) -> Result<PageToken> {
    Ok(PageToken::new(format!(
        "{}\n{}",
        text(last, "PK")?,
        text(last, "SK")?
    )))
}

fn page_start(token: &PageToken) -> Result<Item> {
    let (pk, sk) = token
        .as_str()
        .split_once('\n')
        .ok_or_else(|| StoreError::Corrupt("a page token of another store".into()))?;
    Ok(key(pk.to_owned(), sk))
}

fn nonce_key(nonce: &NonceKey) -> Item {
    key(format!("NONCE#{}", nonce.as_str()), "NONCE")
}

/// `record_capture` was given something other than a fresh captured payment and its capture.
fn invoice_key(id: &InvoiceId) -> Item {
    key(format!("INVOICE#{id}"), "INVOICE")
}

fn payment_key(reference: &PaymentRef) -> Item {
    key(format!("PAYMENT#{reference}"), "PAYMENT")
}

fn receipt_key(id: &ReceiptId) -> Item {
    key(format!("RECEIPT#{id}"), "RECEIPT")
}

fn counter_key(payment: &Payment) -> Item {
    key(
        format!(
            "COUNTER#{}#{}",
            payment.school,
            payment.school_year.first_year()
        ),
        "COUNTER",
    )
}

/// The GSI2 partition of the payments that ended unpaid with their expiry on a day (UTC).
fn unpaid_day(day: chrono::NaiveDate) -> String {
    format!("UNPAID#{}", day.format("%Y-%m-%d"))
}

/// The GSI2 partition of the receipts issued in a calendar month (UTC).
fn receipt_month(at: DateTime<Utc>) -> String {
    format!("RECEIPTS#{}", at.format("%Y-%m"))
}

fn first_of_month(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(at)
}

fn next_month(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Months;
    first_of_month(at)
        .checked_add_months(Months::new(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A school's item without its body (which [`DynamoStore::save_body`] adds).
fn school_item(school: &School) -> Item {
    let mut item = key(format!("SCHOOL#{}", school.id), "SCHOOL");
    item.extend([
        ("GSI3PK".to_owned(), s("SCHOOLS")),
        ("GSI3SK".to_owned(), s(school.id.to_string())),
    ]);
    item
}

fn invoice_item(invoice: &Invoice) -> Result<Item> {
    let mut item = invoice_key(&invoice.id);
    item.extend([
        ("status".to_owned(), s(invoice.status.as_str())),
        ("version".to_owned(), n(invoice.version)),
        ("body".to_owned(), s(to_json(invoice)?)),
        (
            "GSI1PK".to_owned(),
            s(format!("STUDENT#{}", invoice.student)),
        ),
        (
            "GSI1SK".to_owned(),
            s(format!(
                "{}#{}#{}",
                invoice.status.as_str(),
                invoice.due_date,
                invoice.id
            )),
        ),
        ("GSI3PK".to_owned(), s(format!("DUE#{}", invoice.school))),
        (
            "GSI3SK".to_owned(),
            s(format!("{}#{}", invoice.due_date, invoice.id)),
        ),
    ]);
    Ok(item)
}

fn payment_item(payment: &Payment) -> Result<Item> {
    let mut item = payment_key(&payment.reference);
    item.extend([
        ("status".to_owned(), s(payment.status.as_str())),
        ("version".to_owned(), n(payment.version)),
        ("body".to_owned(), s(to_json(payment)?)),
    ]);
    item.extend([
        (
            "GSI1PK".to_owned(),
            s(format!("STUDENT#{}", payment.student)),
        ),
        (
            "GSI1SK".to_owned(),
            s(format!(
                "PAYMENT#{:015}#{}",
                millis(payment.created_at),
                payment.reference
            )),
        ),
    ]);
    let index = match payment.status {
        PaymentStatus::Pending => Some(("PENDING".to_owned(), payment.created_at)),
        PaymentStatus::Failed | PaymentStatus::Expired => Some((
            unpaid_day(payment.expires_at.date_naive()),
            payment.expires_at,
        )),
        PaymentStatus::Succeeded | PaymentStatus::RefundDue | PaymentStatus::Mismatched => None,
    };
    if let Some((partition, at)) = index {
        item.extend([
            ("GSI2PK".to_owned(), s(partition)),
            (
                "GSI2SK".to_owned(),
                s(format!("{:015}#{}", millis(at), payment.reference)),
            ),
        ]);
    }
    if owes_refund(payment) {
        item.extend([
            ("GSI3PK".to_owned(), s("REFUNDS")),
            (
                "GSI3SK".to_owned(),
                s(format!(
                    "{:015}#{}",
                    millis(payment.created_at),
                    payment.reference
                )),
            ),
        ]);
    }
    Ok(item)
}

/// True when money the payment received is to be given back (see [`Store::refunds_due`]).
fn owes_refund(payment: &Payment) -> bool {
    matches!(
        payment.status,
        PaymentStatus::RefundDue | PaymentStatus::Mismatched
    ) || !payment.mismatches.is_empty()
}

/// A page token for a GSI3 query: the last item's table and index keys.
fn index_page_token(last: &Item) -> Result<PageToken> {
    let parts = ["PK", "SK", "GSI3PK", "GSI3SK"]
        .into_iter()
        .map(|name| text(last, name))
        .collect::<Result<Vec<_>>>()?;
    Ok(PageToken::new(parts.join("\n")))
}

fn index_page_start(token: &PageToken) -> Result<Item> {
    let parts: Vec<&str> = token.as_str().split('\n').collect();
    let [pk, sk, ipk, isk] = parts[..] else {
        return Err(StoreError::Corrupt("a page token of another store".into()));
    };
    Ok(HashMap::from([
        ("PK".to_owned(), s(pk)),
        ("SK".to_owned(), s(sk)),
        ("GSI3PK".to_owned(), s(ipk)),
        ("GSI3SK".to_owned(), s(isk)),
    ]))
}

fn receipt_item(receipt: &Receipt) -> Result<Item> {
    let mut item = receipt_key(&receipt.id);
    let issued = millis(receipt.issued_at);
    item.extend([
        ("body".to_owned(), s(to_json(receipt)?)),
        ("GSI2PK".to_owned(), s(receipt_month(receipt.issued_at))),
        (
            "GSI2SK".to_owned(),
            s(format!("{issued:015}#{}", receipt.id)),
        ),
        (
            "GSI1PK".to_owned(),
            s(format!("STUDENT#{}", receipt.student)),
        ),
        (
            "GSI1SK".to_owned(),
            s(format!("RECEIPT#{issued:015}#{}", receipt.id)),
        ),
    ]);
    Ok(item)
}

/// The sort key prefix of audit events, kept in their subject's partition.
const EVENT: &str = "EVENT#";

/// The sort key of a subject's event head: the number of its last event.
const HEAD: &str = "EVENTS";

fn event_key(subject: &str, seq: u32) -> Item {
    key(subject.to_owned(), &format!("{EVENT}{seq:010}"))
}

/// What a plan's events need besides the plan: the payment's status as read (`None` for a
/// capture it stores), the gateway's event, and who made the change.
struct Change<'a> {
    before: Option<PaymentStatus>,
    event: Option<&'a GatewayEvent>,
    by: &'a Actor,
}

/// An invoice as stored, with the payment holding it and until when.
struct StoredInvoice {
    invoice: Invoice,
    held_by: Option<String>,
    held_until: Option<i64>,
}

impl StoredInvoice {
    fn from_item(item: &Item) -> Result<Self> {
        Ok(Self {
            invoice: body(item)?,
            held_by: text(item, "held_by").ok().map(str::to_owned),
            held_until: number(item, "held_until").ok(),
        })
    }

    fn live_hold(&self, now: DateTime<Utc>) -> bool {
        self.held_by.is_some() && self.held_until.is_some_and(|until| until > millis(now))
    }
}

/// The invoices of `stored` as [`plan`] reads them.
fn current(stored: &[Option<StoredInvoice>]) -> Vec<Option<Invoice>> {
    stored
        .iter()
        .map(|s| s.as_ref().map(|s| s.invoice.clone()))
        .collect()
}

/// What a plan writes.
enum Writes {
    /// Nothing: this is the answer.
    Nothing(Settled),
    /// These items and the payment's own.
    Items(Planned),
}

/// A plan's items besides the payment's own, and the payment and receipt they leave.
struct Planned {
    items: Vec<TransactWriteItem>,
    payment: Payment,
    receipt: Option<Receipt>,
    mismatch: bool,
}

/// A cancelled [`DynamoStore::commit`]: whether the payment's own condition failed (another
/// condition or a concurrent transaction may also have cancelled it).
struct Cancelled {
    payment_refused: bool,
}

enum Committed {
    Yes,
    /// Cancelled; the code of each item's cancellation reason, in request order.
    No(Vec<Option<String>>),
}

impl DynamoStore {
    /// A store over an existing table.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            break_next_settle: Arc::new(AtomicBool::new(false)),
            collide_next_event: Arc::new(AtomicBool::new(false)),
            collided: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Makes the next event put reuse its subject's last number, as a writer that appended first
    /// would make it: its transaction must be cancelled whole, and the change then fails instead
    /// of being retried. The subject must have an event already.
    #[cfg(feature = "conformance")]
    pub fn collide_next_event(&self) {
        self.collide_next_event.store(true, Ordering::SeqCst);
    }

    /// The puts that append `entries` to their subjects' histories, each numbered after its
    /// subject's last event and only if that number is unused, and the puts of the subjects'
    /// heads (their last number), each only if it is still the one read. Reading a head is one
    /// `GetItem`: a function that writes needs no other permission to append.
    async fn event_items(
        &self,
        entries: impl IntoIterator<Item = Entry>,
        at: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Vec<TransactWriteItem>> {
        let mut heads: Vec<(String, u32, u32)> = Vec::new();
        let mut items = Vec::new();
        for entry in entries {
            let subject = entry.subject.key();
            let position = match heads.iter().position(|(s, _, _)| *s == subject) {
                Some(position) => position,
                None => {
                    let read = Box::pin(self.last_event(&subject)).await?;
                    heads.push((subject.clone(), read, read));
                    heads.len() - 1
                }
            };
            heads[position].2 += 1;
            let seq = heads[position].2;
            let seq = if self.collide_next_event.swap(false, Ordering::SeqCst) {
                self.collided.store(true, Ordering::SeqCst);
                seq - 1
            } else {
                seq
            };
            let mut item = event_key(&subject, seq);
            item.insert("body".to_owned(), s(to_json(&entry.event(seq, at, by))?));
            items.push(self.put(item, "attribute_not_exists(PK)", &[])?);
        }
        for (subject, read, last) in heads {
            let mut head = key(subject, HEAD);
            head.insert("last".to_owned(), n(last));
            items.push(match read {
                0 => self.put(head, "attribute_not_exists(PK)", &[])?,
                read => self.put(head, "#last = :read", &[(":read", n(read))])?,
            });
        }
        Ok(items)
    }

    /// The number of a subject's last event (0 before the first), from its head.
    async fn last_event(&self, subject: &str) -> Result<u32> {
        match self.get(key(subject.to_owned(), HEAD)).await? {
            Some(item) => u32::try_from(number(&item, "last")?)
                .map_err(|_| StoreError::Corrupt("event number".into())),
            None => Ok(0),
        }
    }

    /// Puts `item` (read as `read`, its `body` attribute, or absent) whole with `entry`, unless it
    /// is already as given; retried while a concurrent change gets there first.
    async fn put_whole(
        &self,
        item: Item,
        read: Option<String>,
        entry: Entry,
        at: DateTime<Utc>,
        by: &Actor,
    ) -> Result<bool> {
        let put = match &read {
            Some(read) => self.put(item, "#body = :read", &[(":read", s(read.as_str()))])?,
            None => self.put(item, "attribute_not_exists(PK)", &[])?,
        };
        let mut items = vec![put];
        items.extend(self.event_items([entry], at, by).await?);
        Ok(matches!(self.transact(items, None).await?, Committed::Yes))
    }

    /// Creates or replaces the body of the item at `item_key` with `value`, recording `entry`
    /// unless it is already as given.
    async fn save_body<T: Serialize>(
        &self,
        item_key: Item,
        value: &T,
        entry: Entry,
        at: DateTime<Utc>,
        by: &Actor,
    ) -> Result<()> {
        let body = to_json(value)?;
        for attempt in 0..ATTEMPTS {
            let read = match self.get(item_key.clone()).await? {
                Some(item) => Some(text(&item, "body")?.to_owned()),
                None => None,
            };
            if read.as_deref() == Some(body.as_str()) {
                return Ok(());
            }
            let mut item = item_key.clone();
            item.insert("body".to_owned(), s(body.as_str()));
            if self.put_whole(item, read, entry.clone(), at, by).await? {
                return Ok(());
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    /// Makes the next settle or recorded capture that issues a receipt fail as a whole (its
    /// transaction cancelled), to prove DynamoDB applies none of it.
    #[cfg(feature = "conformance")]
    pub fn break_next_settle(&self) {
        self.break_next_settle.store(true, Ordering::SeqCst);
    }

    async fn get(&self, key: Item) -> Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.item)
    }

    async fn get_body<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>> {
        self.get(key).await?.as_ref().map(body).transpose()
    }

    /// A conditional put; `false` when the condition failed.
    async fn put_if(
        &self,
        item: Item,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
    ) -> Result<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .set_expression_attribute_values(values(pairs))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError::unavailable(other)),
            },
        }
    }

    fn put(
        &self,
        item: Item,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .set_expression_attribute_values(values(pairs))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(
        &self,
        key: Item,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .set_expression_attribute_values(values(pairs))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Writes `write` and appends `entries` to their histories in one transaction; `false` when
    /// a condition failed (a concurrent change got there first).
    async fn write_with(
        &self,
        write: TransactWriteItem,
        entries: Vec<Entry>,
        at: DateTime<Utc>,
        by: &Actor,
    ) -> Result<bool> {
        let mut items = vec![write];
        items.extend(self.event_items(entries, at, by).await?);
        Ok(matches!(self.transact(items, None).await?, Committed::Yes))
    }

    /// Every item of the partition `pk` (whose sort key starts with `prefix`, when given), read
    /// page by page, consistently.
    async fn partition(&self, pk: String, prefix: Option<&str>) -> Result<Vec<Item>> {
        let condition = match prefix {
            Some(_) => "PK = :pk AND begins_with(SK, :prefix)",
            None => "PK = :pk",
        };
        let mut values = HashMap::from([(":pk".to_owned(), s(pk))]);
        if let Some(prefix) = prefix {
            values.insert(":prefix".to_owned(), s(prefix));
        }
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Deletes a subject's whole history and its head (an erased student's, whose key is their
    /// code).
    async fn delete_history(&self, subject: &Subject) -> Result<()> {
        for item in self.partition(subject.key(), Some("EVENT")).await? {
            let item_key = key(text(&item, "PK")?.to_owned(), text(&item, "SK")?);
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(item_key))
                .send()
                .await
                .map_err(StoreError::unavailable)?;
        }
        Ok(())
    }

    fn update(
        &self,
        key: Item,
        expression: &str,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[expression, condition]))
            .set_expression_attribute_values(values(pairs))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Writes `items` in one transaction. With `token`, an SDK retry of a request that did
    /// commit is answered as committed instead of failing its own conditions. A transaction an
    /// injected event collision cancelled fails.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        token: Option<String>,
    ) -> Result<Committed> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .set_client_request_token(token)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Committed::Yes),
            Err(err) => match err.into_service_error() {
                TransactWriteItemsError::TransactionCanceledException(_)
                    if self.collided.swap(false, Ordering::SeqCst) =>
                {
                    Err(StoreError::unavailable(InjectedFailure))
                }
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    Ok(Committed::No(
                        cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().map(str::to_owned))
                            .collect(),
                    ))
                }
                other => Err(StoreError::unavailable(other)),
            },
        }
    }

    /// Writes the next version of an invoice with `entry`, only if the stored one is still the
    /// version before it and no payment has taken a live hold on it since it was read (a hold
    /// leaves the version as it is); `false` when a concurrent change got there first.
    async fn put_next_version(
        &self,
        next: &Invoice,
        now: DateTime<Utc>,
        entry: Entry,
        by: &Actor,
    ) -> Result<bool> {
        let mut items = vec![self.put(
            invoice_item(next)?,
            "#version = :read_version AND (attribute_not_exists(held_until) OR held_until <= :now)",
            &[
                (":read_version", n(next.version - 1)),
                (":now", n(millis(now))),
            ],
        )?];
        items.extend(self.event_items([entry], now, by).await?);
        Ok(matches!(self.transact(items, None).await?, Committed::Yes))
    }

    async fn invoice_item_of(&self, id: &InvoiceId) -> Result<Option<StoredInvoice>> {
        self.get(invoice_key(id))
            .await?
            .as_ref()
            .map(StoredInvoice::from_item)
            .transpose()
    }

    async fn state_of(&self, payment: Payment) -> Result<PaymentState> {
        let receipt = match payment.status {
            PaymentStatus::Succeeded => {
                self.get_body(receipt_key(&ReceiptId::for_payment(&payment.reference)))
                    .await?
            }
            PaymentStatus::Pending
            | PaymentStatus::Failed
            | PaymentStatus::Expired
            | PaymentStatus::RefundDue
            | PaymentStatus::Mismatched => None,
        };
        Ok(PaymentState { payment, receipt })
    }

    /// The covered invoices as stored now, in the payment's order (`None` where one is missing).
    async fn invoice_items(&self, payment: &Payment) -> Result<Vec<Option<StoredInvoice>>> {
        let mut stored = Vec::with_capacity(payment.invoices.len());
        for id in &payment.invoices {
            stored.push(self.invoice_item_of(id).await?);
        }
        Ok(stored)
    }

    /// One attempt at a transition: read, plan, write. `None` when a concurrent change cancelled
    /// the transaction and the caller should try again.
    async fn try_apply(
        &self,
        payment: Payment,
        decision: Decision,
        event: Option<&GatewayEvent>,
        at: DateTime<Utc>,
        token: Option<&ReceiptToken>,
        by: &Actor,
    ) -> Result<Option<Settled>> {
        let read_version = payment.version;
        let before = Some(payment.status);
        let stored = if decision == Decision::Apply(Transition::Keep) {
            Vec::new()
        } else {
            self.invoice_items(&payment).await?
        };
        let planned = plan(payment, decision, event, current(&stored), at);
        let change = Change { before, event, by };
        let writes = match self.writes(planned, &stored, at, token, change).await? {
            Writes::Nothing(answer) => return Ok(Some(answer)),
            Writes::Items(writes) => writes,
        };
        let payment = self.put(
            payment_item(&writes.payment)?,
            "#version = :read_version",
            &[(":read_version", n(read_version))],
        )?;
        Ok(self.commit(payment, writes).await?.ok())
    }

    /// The items that write `planned` besides the payment's own item: the invoices it pays or
    /// releases, the school-year counter and the receipt; or the answer when nothing is written.
    async fn writes(
        &self,
        planned: Plan,
        stored: &[Option<StoredInvoice>],
        at: DateTime<Utc>,
        token: Option<&ReceiptToken>,
        change: Change<'_>,
    ) -> Result<Writes> {
        let mut items = Vec::new();
        let mismatch = matches!(planned, Plan::Mismatch { .. });
        let (payment, receipt) = match planned {
            Plan::Keep(payment) => {
                return Ok(Writes::Nothing(Settled::AlreadyFinal(
                    self.state_of(payment).await?,
                )));
            }
            Plan::Mismatch {
                payment,
                recorded: false,
            } => {
                return Ok(Writes::Nothing(Settled::AmountMismatch {
                    expected: payment.amount,
                    recorded: false,
                }));
            }
            Plan::Close(payment)
            | Plan::Mismatch {
                payment,
                recorded: true,
            } => {
                for held in stored.iter().flatten() {
                    if held.held_by.as_deref() == Some(payment.reference.as_str()) {
                        items.push(self.update(
                            invoice_key(&held.invoice.id),
                            "REMOVE held_by, held_until",
                            "held_by = :reference",
                            &[(":reference", s(payment.reference.as_str()))],
                        )?);
                    }
                }
                let entries =
                    events::of_plan(change.before, &payment, &[], None, mismatch, change.event);
                items.extend(self.event_items(entries, at, change.by).await?);
                (payment, None)
            }
            Plan::Pay {
                payment,
                invoices,
                txn,
            } => {
                for invoice in &invoices {
                    items.push(self.put(
                        invoice_item(invoice)?,
                        "#version = :read_version AND #status = :open",
                        &[
                            (":read_version", n(invoice.version - 1)),
                            (":open", s(InvoiceStatus::Open.as_str())),
                        ],
                    )?);
                }
                let school: School = self
                    .get_body(key(format!("SCHOOL#{}", payment.school), "SCHOOL"))
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("school {} is missing", payment.school))
                    })?;
                let counter = self.get(counter_key(&payment)).await?;
                let last = counter.as_ref().map(|c| number(c, "last")).transpose()?;
                let sequence = u32::try_from(last.unwrap_or(0) + 1)
                    .map_err(|_| StoreError::Corrupt("receipt counter overflow".into()))?;
                let mut counter_item = counter_key(&payment);
                counter_item.insert("last".to_owned(), n(sequence));
                items.push(match last {
                    Some(last) => self.put(counter_item, "#last = :last", &[(":last", n(last))])?,
                    None => self.put(counter_item, "attribute_not_exists(PK)", &[])?,
                });
                let token = token.ok_or_else(|| {
                    StoreError::Corrupt("a capture without a receipt token".into())
                })?;
                let receipt = Receipt::issue(
                    &payment,
                    &invoices,
                    &school,
                    sequence,
                    txn,
                    at,
                    token.clone(),
                );
                items.push(self.put(receipt_item(&receipt)?, "attribute_not_exists(PK)", &[])?);
                let entries = events::of_plan(
                    change.before,
                    &payment,
                    &invoices,
                    Some(&receipt),
                    false,
                    change.event,
                );
                items.extend(self.event_items(entries, at, change.by).await?);
                (payment, Some(receipt))
            }
        };
        Ok(Writes::Items(Planned {
            items,
            payment,
            receipt,
            mismatch,
        }))
    }

    /// Commits the payment's item (`payment`, a conditional put) and the plan's other items in
    /// one transaction, the payment's first: a cancellation's first reason is the payment's.
    async fn commit(
        &self,
        payment: TransactWriteItem,
        planned: Planned,
    ) -> Result<Result<Settled, Cancelled>> {
        let Planned {
            mut items,
            payment: written,
            receipt,
            mismatch,
        } = planned;
        items.insert(0, payment);
        let injected = receipt.is_some() && self.break_next_settle.swap(false, Ordering::SeqCst);
        if injected {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key("FAULT#injected".into(), "FAULT")))
                .condition_expression("attribute_exists(PK)")
                .build()
                .map_err(StoreError::unavailable)?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
        }
        match self.transact(items, None).await? {
            Committed::Yes if mismatch => Ok(Ok(Settled::AmountMismatch {
                expected: written.amount,
                recorded: true,
            })),
            Committed::Yes => Ok(Ok(Settled::Applied(PaymentState {
                payment: written,
                receipt,
            }))),
            Committed::No(_) if injected => Err(StoreError::unavailable(InjectedFailure)),
            Committed::No(codes) => Ok(Err(Cancelled {
                payment_refused: codes.first().and_then(Option::as_deref) == Some(CONDITION_FAILED),
            })),
        }
    }

    async fn backoff(attempt: u32) {
        let millis = u64::from(attempt.min(10)) * 3 + u64::from(attempt % 3);
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
    }

    async fn query_index(
        &self,
        index: &str,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
        limit: Option<usize>,
        newest_first: bool,
    ) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(condition)
                .set_expression_attribute_values(values(pairs))
                .set_exclusive_start_key(start)
                .scan_index_forward(!newest_first)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            let enough = limit.is_some_and(|l| items.len() >= l);
            if start.is_none() || enough {
                return Ok(items);
            }
        }
    }
}

impl DynamoStore {
    /// A conditional delete; `false` when the condition failed.
    async fn delete_if(
        &self,
        key: Item,
        condition: &str,
        pairs: &[(&str, AttributeValue)],
    ) -> Result<bool> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .set_expression_attribute_values(values(pairs))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                DeleteItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(StoreError::unavailable(other)),
            },
        }
    }

    /// The invoices and payments GSI1 lists under a student, each read again by its key.
    async fn student_items(
        &self,
        student: &StudentCode,
    ) -> Result<(Vec<StoredInvoice>, Vec<Payment>)> {
        let listed = self
            .query_index(
                "GSI1",
                "GSI1PK = :student",
                &[(":student", s(format!("STUDENT#{student}")))],
                None,
                false,
            )
            .await?;
        let (mut invoices, mut payments) = (Vec::new(), Vec::<Payment>::new());
        for item in &listed {
            let pk = text(item, "PK")?;
            if pk.starts_with("INVOICE#") {
                if let Some(stored) = self.get(key(pk.to_owned(), "INVOICE")).await? {
                    invoices.push(StoredInvoice::from_item(&stored)?);
                }
            } else if pk.starts_with("PAYMENT#")
                && let Some(stored) = self.get_body(key(pk.to_owned(), "PAYMENT")).await?
            {
                payments.push(stored);
            }
        }
        invoices.retain(|i| i.invoice.student == *student);
        payments.retain(|p| p.student == *student);
        Ok((invoices, payments))
    }

    /// Erases one invoice as [`hocphi_domain::privacy`] says; the reference of the live payment
    /// holding it, if one does.
    async fn erase_invoice(
        &self,
        id: &InvoiceId,
        student: &StudentCode,
        pseudonym: &StudentCode,
        now: DateTime<Utc>,
        by: &Actor,
        report: &mut ErasureReport,
    ) -> Result<Option<PaymentRef>> {
        for attempt in 0..ATTEMPTS {
            let Some(stored) = self.invoice_item_of(id).await? else {
                return Ok(None);
            };
            if stored.invoice.student != *student {
                return Ok(None);
            }
            let version = (":version", n(stored.invoice.version));
            let kept = privacy::invoice_kept(&stored.invoice);
            let entry = Entry::erased(Subject::Invoice(id.clone()), kept);
            if kept {
                let erased = privacy::pseudonymise_invoice(&stored.invoice, pseudonym);
                let write =
                    self.put(invoice_item(&erased)?, "#version = :version", &[version])?;
                if self.write_with(write, vec![entry], now, by).await? {
                    report.invoices_pseudonymised += 1;
                    return Ok(None);
                }
            } else if stored.live_hold(now) {
                return Ok(stored.held_by.and_then(|r| PaymentRef::parse(&r).ok()));
            } else if self
                .write_with(
                    self.delete(
                        invoice_key(id),
                        "#version = :version AND (attribute_not_exists(held_until) OR held_until <= :now)",
                        &[version, (":now", n(millis(now)))],
                    )?,
                    vec![entry],
                    now,
                    by,
                )
                .await?
            {
                report.invoices_deleted += 1;
                return Ok(None);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }
}

impl Store for DynamoStore {
    async fn upsert_school(&self, school: &School, now: DateTime<Utc>, by: &Actor) -> Result<()> {
        let entry = Entry::new(Subject::School(school.id.clone()), Action::SchoolSaved);
        self.save_body(school_item(school), school, entry, now, by)
            .await
    }

    async fn school(&self, id: &SchoolId) -> Result<Option<School>> {
        self.get_body(key(format!("SCHOOL#{id}"), "SCHOOL")).await
    }

    async fn upsert_catalogue_item(
        &self,
        item: &CatalogueItem,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<CatalogueOutcome> {
        let entry = Entry::catalogue_saved(item);
        for attempt in 0..ATTEMPTS {
            let mut next = catalogue_key(item);
            next.insert("body".to_owned(), s(to_json(item)?));
            let (write, outcome) = match self.get(catalogue_key(item)).await? {
                None => (
                    self.put(next, "attribute_not_exists(PK)", &[])?,
                    CatalogueOutcome::Created,
                ),
                Some(known) if body::<CatalogueItem>(&known)? == *item => {
                    return Ok(CatalogueOutcome::Unchanged);
                }
                Some(known) => {
                    let read = text(&known, "body")?.to_owned();
                    (
                        self.put(next, "#body = :read", &[(":read", s(read))])?,
                        CatalogueOutcome::Updated,
                    )
                }
            };
            if self.write_with(write, vec![entry.clone()], now, by).await? {
                return Ok(outcome);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn catalogue(&self) -> Result<Vec<CatalogueItem>> {
        let items = self.partition(CATALOGUE.to_owned(), None).await?;
        items.iter().map(body).collect()
    }

    async fn upsert_student(
        &self,
        student: &Student,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<()> {
        let entry = Entry::new(Subject::Student(student.code.clone()), Action::StudentSaved);
        self.save_body(student_key(&student.code), student, entry, now, by)
            .await
    }

    async fn student(&self, code: &StudentCode) -> Result<Option<Student>> {
        self.get_body(student_key(code)).await
    }

    async fn rekey_lookup(
        &self,
        student: &StudentCode,
        from: &LookupDigest,
        to: &LookupDigest,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<bool> {
        let entry = Entry::new(Subject::Student(student.clone()), Action::LookupRekeyed);
        for attempt in 0..ATTEMPTS {
            let Some(item) = self.get(student_key(student)).await? else {
                return Ok(false);
            };
            let mut stored: Student = body(&item)?;
            if stored.lookup != *from {
                return Ok(false);
            }
            stored.lookup = to.clone();
            let read = text(&item, "body")?.to_owned();
            let mut next = student_key(student);
            next.insert("body".to_owned(), s(to_json(&stored)?));
            if self
                .put_whole(next, Some(read), entry.clone(), now, by)
                .await?
            {
                return Ok(true);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn students(&self, from: Option<&PageToken>, limit: usize) -> Result<StudentPage> {
        let output = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("SK = :student")
            .expression_attribute_values(":student", s("STUDENT"))
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(from.map(page_start).transpose()?)
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let students = output
            .items
            .unwrap_or_default()
            .iter()
            .map(body)
            .collect::<Result<Vec<Student>>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .map(page_token)
            .transpose()?;
        Ok(StudentPage { students, next })
    }

    async fn upsert_invoice(
        &self,
        invoice: &Invoice,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<UpsertOutcome> {
        for attempt in 0..ATTEMPTS {
            let Some(existing) = self.invoice_item_of(&invoice.id).await? else {
                let mut created = invoice.clone();
                created.status = InvoiceStatus::Open;
                created.version = 1;
                let mut items =
                    vec![self.put(invoice_item(&created)?, "attribute_not_exists(PK)", &[])?];
                let entry = events::invoice_saved(&created, true);
                items.extend(self.event_items([entry], now, by).await?);
                if let Committed::Yes = self.transact(items, None).await? {
                    return Ok(UpsertOutcome::Created);
                }
                Self::backoff(attempt).await;
                continue;
            };
            if !existing.invoice.same_owner(invoice) {
                return Ok(UpsertOutcome::RefusedOtherOwner);
            }
            match existing.invoice.status {
                InvoiceStatus::Paid => return Ok(UpsertOutcome::RefusedPaid),
                InvoiceStatus::Cancelled => return Ok(UpsertOutcome::RefusedCancelled),
                InvoiceStatus::Open => {}
            }
            if existing.invoice.same_content(invoice) {
                return Ok(UpsertOutcome::Unchanged);
            }
            if existing.live_hold(now) {
                return Ok(UpsertOutcome::RefusedHeld);
            }
            let mut updated = invoice.clone();
            updated.status = InvoiceStatus::Open;
            updated.version = existing.invoice.version + 1;
            let entry = events::invoice_saved(&updated, false);
            if self.put_next_version(&updated, now, entry, by).await? {
                return Ok(UpsertOutcome::Updated);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn invoice(&self, id: &InvoiceId) -> Result<Option<Invoice>> {
        self.get_body(invoice_key(id)).await
    }

    async fn open_invoices(&self, student: &StudentCode) -> Result<Vec<Invoice>> {
        let items = self
            .query_index(
                "GSI1",
                "GSI1PK = :student AND begins_with(GSI1SK, :open)",
                &[
                    (":student", s(format!("STUDENT#{student}"))),
                    (":open", s("open#")),
                ],
                None,
                false,
            )
            .await?;
        items.iter().map(body).collect()
    }

    async fn void_invoice(
        &self,
        id: &InvoiceId,
        reason: &Label,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<VoidOutcome> {
        for attempt in 0..ATTEMPTS {
            let Some(existing) = self.invoice_item_of(id).await? else {
                return Ok(VoidOutcome::NotFound);
            };
            match existing.invoice.status {
                InvoiceStatus::Paid => return Ok(VoidOutcome::RefusedPaid),
                InvoiceStatus::Cancelled => return Ok(VoidOutcome::AlreadyVoided),
                InvoiceStatus::Open => {}
            }
            if existing.live_hold(now) {
                return Ok(VoidOutcome::RefusedHeld);
            }
            let mut voided = existing.invoice.clone();
            voided.status = InvoiceStatus::Cancelled;
            voided.cancellation = Some(Cancellation {
                reason: reason.clone(),
                at: now,
            });
            voided.version += 1;
            let entry = Entry::new(
                Subject::Invoice(id.clone()),
                Action::InvoiceVoided {
                    version: voided.version,
                },
            );
            if self.put_next_version(&voided, now, entry, by).await? {
                return Ok(VoidOutcome::Voided);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn create_payment(
        &self,
        payment: &Payment,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<(), CreatePaymentError> {
        let conflict = |invoice: &InvoiceId, reason| {
            Err(CreatePaymentError::Conflict {
                invoice: invoice.clone(),
                reason,
            })
        };
        for attempt in 0..ATTEMPTS {
            if self.get(payment_key(&payment.reference)).await?.is_some() {
                return Err(CreatePaymentError::DuplicateReference);
            }
            let mut items =
                vec![self.put(payment_item(payment)?, "attribute_not_exists(PK)", &[])?];
            let mut found = Vec::with_capacity(payment.invoices.len());
            for id in &payment.invoices {
                let Some(stored) = self.invoice_item_of(id).await? else {
                    return conflict(id, ConflictReason::Missing);
                };
                let invoice = &stored.invoice;
                if invoice.status != InvoiceStatus::Open {
                    return conflict(id, ConflictReason::NotOpen);
                }
                if invoice.student != payment.student || invoice.school != payment.school {
                    return conflict(id, ConflictReason::Changed);
                }
                if stored.live_hold(now) {
                    return conflict(id, ConflictReason::Held);
                }
                found.push(invoice.clone());
                items.push(self.update(
                    invoice_key(id),
                    "SET held_by = :reference, held_until = :until",
                    "#version = :read_version AND #status = :open AND (attribute_not_exists(held_until) OR held_until <= :now)",
                    &[
                        (":reference", s(payment.reference.as_str())),
                        (":until", n(millis(payment.expires_at))),
                        (":read_version", n(invoice.version)),
                        (":open", s(InvoiceStatus::Open.as_str())),
                        (":now", n(millis(now))),
                    ],
                )?);
            }
            if !payment.is_priced_by(&found) {
                return conflict(&payment.invoices[0], ConflictReason::Changed);
            }
            items.extend(
                self.event_items([events::payment_created(payment)], now, by)
                    .await?,
            );
            let token = format!("{}-{attempt}", payment.reference);
            match self.transact(items, Some(token)).await? {
                Committed::Yes => return Ok(()),
                Committed::No(codes)
                    if codes.first().and_then(Option::as_deref) == Some(CONDITION_FAILED) =>
                {
                    return Err(CreatePaymentError::DuplicateReference);
                }
                Committed::No(_) => Self::backoff(attempt).await,
            }
        }
        Err(StoreError::Contention.into())
    }

    async fn payment(&self, reference: &PaymentRef) -> Result<Option<Payment>> {
        self.get_body(payment_key(reference)).await
    }

    async fn settle(
        &self,
        reference: &PaymentRef,
        channel: GatewayKind,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> Result<Settled> {
        for attempt in 0..ATTEMPTS {
            let Some(payment) = self
                .payment(reference)
                .await?
                .filter(|p| p.gateway == channel)
            else {
                return Ok(Settled::UnknownPayment);
            };
            let decision = payment.decide(event);
            if let Some(outcome) = self
                .try_apply(payment, decision, Some(event), at, Some(receipt_token), by)
                .await?
            {
                return Ok(outcome);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn record_capture(
        &self,
        payment: &Payment,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> Result<Settled> {
        for attempt in 0..ATTEMPTS {
            if let Some(stored) = self.payment(&payment.reference).await? {
                return Ok(Settled::AlreadyFinal(self.state_of(stored).await?));
            }
            let stored = self.invoice_items(payment).await?;
            let planned = capture(payment.clone(), event, current(&stored), at)?;
            let change = Change {
                before: None,
                event: Some(event),
                by,
            };
            let writes = match self
                .writes(planned, &stored, at, Some(receipt_token), change)
                .await?
            {
                Writes::Nothing(answer) => return Ok(answer),
                Writes::Items(writes) => writes,
            };
            let new = self.put(
                payment_item(&writes.payment)?,
                "attribute_not_exists(PK)",
                &[],
            )?;
            match self.commit(new, writes).await? {
                Ok(answer) => return Ok(answer),
                Err(Cancelled {
                    payment_refused: true,
                }) => {}
                Err(Cancelled {
                    payment_refused: false,
                }) => Self::backoff(attempt).await,
            }
        }
        Err(StoreError::Contention)
    }

    async fn use_nonce(
        &self,
        key: &NonceKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut item = nonce_key(key);
        item.extend([
            ("used_until".to_owned(), n(millis(until))),
            ("expires_epoch".to_owned(), n(until.timestamp() + 1)),
        ]);
        self.put_if(
            item,
            "attribute_not_exists(PK) OR used_until <= :now",
            &[(":now", n(millis(now)))],
        )
        .await
    }

    async fn expire(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Settled> {
        for attempt in 0..ATTEMPTS {
            let Some(payment) = self.payment(reference).await? else {
                return Ok(Settled::UnknownPayment);
            };
            if payment.is_live(now) {
                return Ok(Settled::NotDue(self.state_of(payment).await?));
            }
            let transition = payment.status.next(EventKind::TimedOut);
            if let Some(outcome) = self
                .try_apply(payment, Decision::Apply(transition), None, now, None, by)
                .await?
            {
                return Ok(outcome);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<AuditEvent>> {
        let items = self.partition(subject.key(), Some(EVENT)).await?;
        items.iter().map(body).collect()
    }

    async fn receipt(&self, id: &ReceiptId) -> Result<Option<Receipt>> {
        self.get_body(receipt_key(id)).await
    }

    async fn receipts_issued(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        school: Option<&SchoolId>,
    ) -> Result<Vec<Receipt>> {
        let mut receipts = Vec::new();
        let mut month = first_of_month(from);
        while month < to {
            let items = self
                .query_index(
                    "GSI2",
                    "GSI2PK = :month AND GSI2SK BETWEEN :from AND :to",
                    &[
                        (":month", s(receipt_month(month))),
                        (":from", s(format!("{:015}", millis(from)))),
                        (":to", s(format!("{:015}", millis(to) - 1))),
                    ],
                    None,
                    false,
                )
                .await?;
            for item in &items {
                let receipt: Receipt = body(item)?;
                if receipt.issued_at >= from
                    && receipt.issued_at < to
                    && school.is_none_or(|s| *s == receipt.school)
                {
                    receipts.push(receipt);
                }
            }
            month = next_month(month);
        }
        Ok(receipts)
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>> {
        let items = self
            .query_index(
                "GSI2",
                "GSI2PK = :pending AND GSI2SK < :before",
                &[
                    (":pending", s("PENDING")),
                    (":before", s(format!("{:015}", millis(before)))),
                ],
                Some(limit),
                true,
            )
            .await?;
        let mut payments = Vec::with_capacity(items.len());
        for item in &items {
            let payment: Payment = body(item)?;
            if payment.status == PaymentStatus::Pending {
                payments.push(payment);
            }
        }
        payments.truncate(limit);
        Ok(payments)
    }

    async fn unpaid_expired_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>> {
        let mut payments = Vec::new();
        let Some(last) = to.checked_sub_signed(Duration::milliseconds(1)) else {
            return Ok(payments);
        };
        let mut day = last.date_naive();
        while payments.len() < limit && day >= from.date_naive() {
            let items = self
                .query_index(
                    "GSI2",
                    "GSI2PK = :day AND GSI2SK BETWEEN :from AND :to",
                    &[
                        (":day", s(unpaid_day(day))),
                        (":from", s(format!("{:015}", millis(from)))),
                        (":to", s(format!("{:015}", millis(to)))),
                    ],
                    Some(limit - payments.len()),
                    true,
                )
                .await?;
            for item in &items {
                let payment: Payment = body(item)?;
                let unpaid = matches!(
                    payment.status,
                    PaymentStatus::Failed | PaymentStatus::Expired
                );
                if unpaid && payment.expires_at >= from && payment.expires_at < to {
                    payments.push(payment);
                }
            }
            let Some(previous) = day.pred_opt() else {
                break;
            };
            day = previous;
        }
        payments.truncate(limit);
        Ok(payments)
    }

    async fn note_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32> {
        let item_key = failure_key(counter);
        for attempt in 0..ATTEMPTS {
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(item_key.clone()))
                .update_expression("SET failures = failures + :one")
                .condition_expression("window_ends > :now")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(millis(now)))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match counted {
                Ok(output) => {
                    let failures = output
                        .attributes
                        .as_ref()
                        .map(|a| number(a, "failures"))
                        .transpose()?
                        .unwrap_or(1);
                    return u32::try_from(failures)
                        .map_err(|_| StoreError::Corrupt("failure count".into()));
                }
                Err(err) => match err.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(_) => {}
                    other => return Err(StoreError::unavailable(other)),
                },
            }
            let ends = now + window;
            let mut fresh = item_key.clone();
            fresh.extend([
                ("failures".to_owned(), n(1)),
                ("window_ends".to_owned(), n(millis(ends))),
                ("expires_epoch".to_owned(), n(ends.timestamp())),
            ]);
            if self
                .put_if(
                    fresh,
                    "attribute_not_exists(PK) OR window_ends <= :now",
                    &[(":now", n(millis(now)))],
                )
                .await?
            {
                return Ok(1);
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn forgive_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let forgiven = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(failure_key(counter)))
            .update_expression("SET failures = failures - :one")
            .condition_expression("window_ends > :now AND failures > :zero")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(millis(now)))
            .send()
            .await;
        unless_condition_failed(forgiven.map_err(SdkError::into_service_error))
    }

    async fn failed_lookups(&self, counter: &FailureCounter, now: DateTime<Utc>) -> Result<u32> {
        let Some(item) = self.get(failure_key(counter)).await? else {
            return Ok(0);
        };
        if number(&item, "window_ends")? <= millis(now) {
            return Ok(0);
        }
        u32::try_from(number(&item, "failures")?)
            .map_err(|_| StoreError::Corrupt("failure count".into()))
    }

    async fn begin_request(
        &self,
        key_: &IdempotencyKey,
        fingerprint: Fingerprint,
        claim: &Claim,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin> {
        let until = now + lease;
        let record = |payment: &PaymentRef| {
            let mut item = key(format!("IDEMPOTENCY#{key_}"), "IDEMPOTENCY");
            item.extend([
                ("fingerprint".to_owned(), s(fingerprint.to_hex())),
                ("state".to_owned(), s("in_progress")),
                ("lease_until".to_owned(), n(millis(until))),
                ("expires_at".to_owned(), n(millis(until))),
                ("expires_epoch".to_owned(), n(until.timestamp() + 86_400)),
                ("lease_token".to_owned(), s(claim.token.as_str())),
                ("payment".to_owned(), s(payment.as_str())),
            ]);
            item
        };
        for attempt in 0..ATTEMPTS {
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(record(&claim.payment)))
                .condition_expression("attribute_not_exists(PK)")
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let old = match result {
                Ok(_) => {
                    return Ok(IdempotencyBegin::Started {
                        payment: claim.payment.clone(),
                    });
                }
                Err(err) => match err.into_service_error() {
                    PutItemError::ConditionalCheckFailedException(failed) => {
                        failed.item().cloned().ok_or_else(|| {
                            StoreError::Corrupt("no record returned on conflict".into())
                        })?
                    }
                    other => return Err(StoreError::unavailable(other)),
                },
            };
            let same = Fingerprint::from_hex(text(&old, "fingerprint")?) == Some(fingerprint);
            let state = text(&old, "state")?;
            let expires_at = number(&old, "expires_at")?;
            if expires_at > millis(now) {
                return Ok(match (same, state) {
                    (false, _) => IdempotencyBegin::Mismatch,
                    (true, "completed") => IdempotencyBegin::Replay(StoredResponse {
                        status: u16::try_from(number(&old, "response_status")?)
                            .map_err(|_| StoreError::Corrupt("response status".into()))?,
                        body: text(&old, "response_body")?.to_owned(),
                    }),
                    (true, _) => IdempotencyBegin::InProgress,
                });
            }
            let inherited = match text(&old, "payment") {
                Ok(recorded) if same && state == "in_progress" => Some(
                    PaymentRef::parse(recorded)
                        .map_err(|e| StoreError::Corrupt(format!("recorded payment: {e}")))?,
                ),
                Ok(_) | Err(_) => None,
            };
            let payment = inherited.unwrap_or_else(|| claim.payment.clone());
            if self
                .put_if(
                    record(&payment),
                    "expires_at = :read_expires_at",
                    &[(":read_expires_at", n(expires_at))],
                )
                .await?
            {
                return Ok(IdempotencyBegin::Started { payment });
            }
            Self::backoff(attempt).await;
        }
        Err(StoreError::Contention)
    }

    async fn complete_request(
        &self,
        key_: &IdempotencyKey,
        token: &LeaseToken,
        response: &StoredResponse,
        now: DateTime<Utc>,
        keep: Duration,
    ) -> Result<()> {
        let until = now + keep;
        let expression = "SET #state = :completed, expires_at = :until, expires_epoch = :epoch, response_status = :status, response_body = :body";
        let condition = "lease_token = :token AND #state = :in_progress";
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("IDEMPOTENCY#{key_}"), "IDEMPOTENCY")))
            .update_expression(expression)
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[expression, condition]))
            .set_expression_attribute_values(values(&[
                (":completed", s("completed")),
                (":in_progress", s("in_progress")),
                (":until", n(millis(until))),
                (":epoch", n(until.timestamp() + 86_400)),
                (":status", n(response.status)),
                (":body", s(response.body.as_str())),
                (":token", s(token.as_str())),
            ]))
            .send()
            .await;
        unless_condition_failed(result.map_err(SdkError::into_service_error))
    }

    async fn release_request(&self, key_: &IdempotencyKey, token: &LeaseToken) -> Result<()> {
        let condition = "lease_token = :token AND #state = :in_progress";
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("IDEMPOTENCY#{key_}"), "IDEMPOTENCY")))
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[condition]))
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":token", s(token.as_str()))
            .send()
            .await;
        unless_condition_failed(result.map_err(SdkError::into_service_error))
    }

    async fn schools(&self) -> Result<Vec<School>> {
        let items = self
            .query_index(
                "GSI3",
                "GSI3PK = :schools",
                &[(":schools", s("SCHOOLS"))],
                None,
                false,
            )
            .await?;
        items.iter().map(body).collect()
    }

    async fn invoices_due(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
        page: Option<&PageToken>,
        limit: usize,
    ) -> Result<InvoicePage> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :school AND GSI3SK BETWEEN :from AND :to")
            .expression_attribute_values(":school", s(format!("DUE#{school}")))
            .expression_attribute_values(":from", s(format!("{from}#")))
            .expression_attribute_values(":to", s(format!("{to}#\u{10FFFF}")))
            .limit(i32::try_from(limit.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(page.map(index_page_start).transpose()?)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let invoices = output
            .items
            .unwrap_or_default()
            .iter()
            .map(body)
            .collect::<Result<Vec<Invoice>>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .map(index_page_token)
            .transpose()?;
        Ok(InvoicePage { invoices, next })
    }

    async fn refunds_due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Payment>> {
        let items = self
            .query_index(
                "GSI3",
                "GSI3PK = :refunds AND GSI3SK BETWEEN :from AND :to",
                &[
                    (":refunds", s("REFUNDS")),
                    (":from", s(format!("{:015}", millis(from)))),
                    (":to", s(format!("{:015}", millis(to) - 1))),
                ],
                None,
                false,
            )
            .await?;
        let mut payments = Vec::with_capacity(items.len());
        for item in &items {
            let payment: Payment = body(item)?;
            if owes_refund(&payment) && payment.created_at >= from && payment.created_at < to {
                payments.push(payment);
            }
        }
        Ok(payments)
    }

    async fn student_records(
        &self,
        student: &StudentCode,
        now: DateTime<Utc>,
    ) -> Result<StudentRecords> {
        let (invoices, mut payments) = self.student_items(student).await?;
        let mut invoices: Vec<Invoice> = invoices.into_iter().map(|i| i.invoice).collect();
        invoices.sort_by(|a, b| (a.due_date, &a.id).cmp(&(b.due_date, &b.id)));
        payments.sort_by(|a, b| (a.created_at, &a.reference).cmp(&(b.created_at, &b.reference)));
        let mut receipts = Vec::new();
        for payment in &payments {
            receipts.extend(
                self.receipt(&ReceiptId::for_payment(&payment.reference))
                    .await?,
            );
        }
        Ok(StudentRecords {
            student: self.student(student).await?,
            invoices,
            payments,
            receipts,
            failed_lookups: self
                .failed_lookups(&FailureCounter::Student(student.clone()), now)
                .await?,
        })
    }

    async fn erase_student(
        &self,
        student: &StudentCode,
        pseudonym: &StudentCode,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Erasure> {
        let (invoices, payments) = self.student_items(student).await?;
        if let Some(pending) = payments.iter().find(|p| p.status == PaymentStatus::Pending) {
            return Ok(Erasure::PaymentPending(pending.reference.clone()));
        }
        let mut report = ErasureReport {
            student_deleted: self
                .delete_if(student_key(student), "attribute_exists(PK)", &[])
                .await?,
            ..ErasureReport::default()
        };
        for stored in &invoices {
            if let Some(holder) = self
                .erase_invoice(&stored.invoice.id, student, pseudonym, now, by, &mut report)
                .await?
            {
                return Ok(Erasure::PaymentPending(holder));
            }
        }
        for payment in &payments {
            let id = ReceiptId::for_payment(&payment.reference);
            if let Some(item) = self.get(receipt_key(&id)).await? {
                let receipt: Receipt = body(&item)?;
                if receipt.student == *student {
                    let read = text(&item, "body")?.to_owned();
                    let erased = privacy::pseudonymise_receipt(&receipt, pseudonym);
                    if !self
                        .put_if(
                            receipt_item(&erased)?,
                            "#body = :read",
                            &[(":read", s(read))],
                        )
                        .await?
                    {
                        return Err(StoreError::Contention);
                    }
                    report.receipts_pseudonymised += 1;
                }
            }
            let version = [(":version", n(payment.version))];
            let kept = privacy::keeps_accounts(payment);
            let entry = Entry::erased(Subject::Payment(payment.reference.clone()), kept);
            let write = if kept {
                report.payments_pseudonymised += 1;
                let erased = privacy::pseudonymise_payment(payment, pseudonym);
                self.put(payment_item(&erased)?, "#version = :version", &version)?
            } else {
                report.payments_deleted += 1;
                self.delete(
                    payment_key(&payment.reference),
                    "#version = :version",
                    &version,
                )?
            };
            let done = self.write_with(write, vec![entry], now, by).await?;
            if !done {
                return Err(StoreError::Contention);
            }
        }
        if self
            .delete_if(
                failure_key(&FailureCounter::Student(student.clone())),
                "attribute_exists(PK)",
                &[],
            )
            .await?
        {
            report.counters_deleted += 1;
        }
        self.delete_history(&Subject::Student(student.clone()))
            .await?;
        Ok(Erasure::Erased(report))
    }

    async fn apply_retention(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<RetentionReport> {
        let mut report = RetentionReport::default();
        if from >= to {
            return Ok(report);
        }
        let enough = |report: &RetentionReport| {
            usize::try_from(report.payments).unwrap_or(usize::MAX) >= limit
        };
        let mut day = from.date_naive();
        let last = (to - Duration::milliseconds(1)).date_naive();
        while day <= last && !enough(&report) {
            let listed = self
                .query_index(
                    "GSI2",
                    "GSI2PK = :day AND GSI2SK BETWEEN :from AND :to",
                    &[
                        (":day", s(unpaid_day(day))),
                        (":from", s(format!("{:015}#", millis(from)))),
                        (":to", s(format!("{:015}#", millis(to)))),
                    ],
                    None,
                    false,
                )
                .await?;
            for item in &listed {
                if enough(&report) {
                    break;
                }
                let Some(payment) = self
                    .get_body::<Payment>(key(text(item, "PK")?.to_owned(), "PAYMENT"))
                    .await?
                else {
                    continue;
                };
                if !privacy::unpaid_past_retention(&payment, to) {
                    continue;
                }
                let mut forgotten = payment_item(&privacy::forget_payment_names(&payment))?;
                forgotten.remove("GSI2PK");
                forgotten.remove("GSI2SK");
                let write = self.put(
                    forgotten,
                    "#version = :version",
                    &[(":version", n(payment.version))],
                )?;
                let entry = Entry::names_removed(&payment);
                if self
                    .write_with(write, vec![entry], now, &Actor::Retention)
                    .await?
                {
                    report.payments += 1;
                }
            }
            let Some(next) = day.succ_opt() else {
                break;
            };
            day = next;
        }
        Ok(report)
    }
}

/// A conditional write whose failed condition only means there was nothing left to do.
fn unless_condition_failed<T, E>(result: std::result::Result<T, E>) -> Result<()>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(()),
        Err(err) => Err(StoreError::unavailable(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hocphi_domain::PartnerId;

    fn partition(item: &Item) -> String {
        text(item, "PK").map(str::to_owned).unwrap_or_default()
    }

    #[test]
    fn every_item_key_starts_with_its_listed_kind() {
        let student = StudentCode::parse("HS0001").unwrap();
        let keys = [
            ("STUDENT#", student_key(&student)),
            (
                "LOOKUPFAIL#",
                failure_key(&FailureCounter::Student(student.clone())),
            ),
            ("INVOICE#", invoice_key(&InvoiceId::parse("INV-1").unwrap())),
            (
                "PAYMENT#",
                payment_key(&PaymentRef::parse("HP0000000001").unwrap()),
            ),
            (
                "RECEIPT#",
                receipt_key(&ReceiptId::parse("BLHP0000000001").unwrap()),
            ),
            (
                "NONCE#",
                nonce_key(&NonceKey::new(&PartnerId::parse("BANKDEMO").unwrap(), "n-1").unwrap()),
            ),
            (
                "CATALOGUE#",
                catalogue_key(&CatalogueItem {
                    code: hocphi_domain::ItemCode::parse("BANTRU").unwrap(),
                    name: Label::parse("Tiền ăn bán trú").unwrap(),
                    kind: hocphi_domain::LineKind::Service,
                    unit: hocphi_domain::Unit::Day,
                    cap: None,
                    beneficiary: None,
                    school: None,
                }),
            ),
            (
                "LOOKUPFAIL#",
                failure_key(&FailureCounter::Partner(
                    PartnerId::parse("BANKDEMO").unwrap(),
                )),
            ),
        ];

        for (kind, item) in keys {
            assert!(ITEM_KINDS.contains(&kind), "{kind}");
            assert!(partition(&item).starts_with(kind), "{}", partition(&item));
        }
    }
}
