//! The embedded store: one SQLite file in WAL mode with durable (`synchronous=FULL`) commits.
//!
//! Every [`Store`] method is one `BEGIN IMMEDIATE` transaction on the single writer connection, so
//! each atomic step either commits whole or leaves nothing behind; SQLite's one-writer rule makes
//! every read-decide-write inside it race-free. Paying an invoice ends any hold on it, as
//! DynamoDB's put of the whole invoice does. Blocking work runs on tokio's blocking pool.
//! The schema migrates forward at open (`PRAGMA user_version`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::events::{self, Entry};
use crate::plan::{Plan, capture, plan};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hocphi_domain::privacy::{self, Erasure, ErasureReport, RetentionReport, StudentRecords};
use hocphi_domain::{
    Action, Actor, AuditEvent, Cancellation, CatalogueItem, CatalogueOutcome, Claim,
    ConflictReason, CreatePaymentError, Decision, ERASED, FailureCounter, Fingerprint,
    GatewayEvent, GatewayKind, GatewayTxnNo, IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId,
    InvoicePage, InvoiceStatus, Label, LeaseToken, LookupDigest, NonceKey, PageToken, Payment,
    PaymentRef, PaymentState, PaymentStatus, Receipt, ReceiptId, ReceiptToken, School, SchoolId,
    Settled, Store, StoreError, StoredResponse, Student, StudentCode, StudentPage, Subject,
    Transition, UpsertOutcome, VoidOutcome,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The schema, one step per version: 1 the tables; 2 failure counters keyed by
/// [`FailureCounter::key`] (a student's counter keeps its key) and found by window end, so closed
/// windows are dropped; 3 the idempotency record's lease token and payment, and payments found by
/// expiry (the sweeper asks again about those that ended unpaid); 4 signed requests' nonces, each
/// until its end (an ended one counts as absent and is dropped); 5 the catalogue of collection
/// items, keyed by code and school (`''` for the province's entry); 6 the report's indexes: a
/// school's invoices by due date; 7 the audit history, one row per event keyed by (subject,
/// sequence), so a second append of one number fails its transaction.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE schools (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE students (code TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    student TEXT NOT NULL,
    status TEXT NOT NULL,
    due_date TEXT NOT NULL,
    held_by TEXT,
    held_until INTEGER,
    body TEXT NOT NULL
);
CREATE INDEX invoices_by_student ON invoices (student, status, due_date, id);
CREATE TABLE payments (
    reference TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX payments_by_status ON payments (status, created_at);
CREATE TABLE receipt_counters (
    school TEXT NOT NULL,
    school_year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (school, school_year)
);
CREATE TABLE receipts (
    id TEXT PRIMARY KEY,
    payment TEXT NOT NULL UNIQUE,
    school TEXT NOT NULL,
    school_year INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (school, school_year, sequence)
);
CREATE TABLE lookup_failures (
    student TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_ends INTEGER NOT NULL
);
CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    response_status INTEGER,
    response_body TEXT
);
"#,
    r#"
ALTER TABLE lookup_failures RENAME COLUMN student TO counter;
CREATE INDEX lookup_failures_by_window_end ON lookup_failures (window_ends);
"#,
    r#"
ALTER TABLE idempotency ADD COLUMN lease_token TEXT;
ALTER TABLE idempotency ADD COLUMN payment TEXT;
ALTER TABLE payments ADD COLUMN expires_at INTEGER;
UPDATE payments SET expires_at = CAST(ROUND(
    (julianday(json_extract(body, '$.expires_at')) - 2440587.5) * 86400000) AS INTEGER);
CREATE INDEX payments_by_expiry ON payments (status, expires_at);
"#,
    r#"
CREATE TABLE nonces (key TEXT PRIMARY KEY, used_until INTEGER NOT NULL);
CREATE INDEX nonces_by_end ON nonces (used_until);
"#,
    r#"
CREATE TABLE catalogue (
    code TEXT NOT NULL,
    school TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (code, school)
);
"#,
    r#"
CREATE INDEX invoices_by_school_due ON invoices (json_extract(body, '$.school'), due_date, id);
"#,
    r#"
CREATE TABLE events (
    subject TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (subject, seq)
) WITHOUT ROWID;
"#,
];

/// The SQLite adapter of the [`Store`] port.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Mutex<Connection>,
    break_next_settle: AtomicBool,
    collide_next_event: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure half-way through a settle")]
struct InjectedFailure;

type Result<T, E = StoreError> = std::result::Result<T, E>;

/// `record_capture` was given something other than a fresh captured payment and its capture.
fn db(err: rusqlite::Error) -> StoreError {
    StoreError::unavailable(err)
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and migrates its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::with_connection(Connection::open(path).map_err(db)?)
    }

    /// A private in-memory database, for quick experiments; tests use files.
    pub fn in_memory() -> Result<Self> {
        Self::with_connection(Connection::open_in_memory().map_err(db)?)
    }

    fn with_connection(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "busy_timeout", 5_000)
            .map_err(db)?;
        migrate(&mut conn)?;
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                break_next_settle: AtomicBool::new(false),
                collide_next_event: AtomicBool::new(false),
            }),
        })
    }

    /// Makes the next settle or recorded capture fail after it has paid the invoices and before
    /// it writes the receipt, to prove that a failure half-way leaves nothing behind.
    #[cfg(feature = "conformance")]
    pub fn break_next_settle(&self) {
        self.inner.break_next_settle.store(true, Ordering::SeqCst);
    }

    /// Makes the next event appended reuse its subject's last number, as a writer that appended
    /// first would make it: the duplicate key must fail the change with it. The subject must have
    /// an event already.
    #[cfg(feature = "conformance")]
    pub fn collide_next_event(&self) {
        self.inner.collide_next_event.store(true, Ordering::SeqCst);
    }

    /// Creates or replaces a keyed JSON body (`select` reads it, `upsert` writes it), recording
    /// `entry` unless the body is already as given.
    async fn put_body(
        &self,
        (select, upsert): (&'static str, &'static str),
        key: String,
        body: String,
        entry: Entry,
        at: DateTime<Utc>,
        by: &Actor,
    ) -> Result<()> {
        let by = by.clone();
        self.write(move |tx, inner| {
            let stored = query_one(tx, select, [&key], |row| row.get::<_, String>(0))?;
            if stored.as_deref() == Some(body.as_str()) {
                return Ok(());
            }
            exec(tx, upsert, params![key, body])?;
            append(tx, inner, [entry], at, &by)
        })
        .await
    }

    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Inner) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.conn.lock().unwrap_or_else(|p| p.into_inner());
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let value = work(&tx, &inner)?;
            tx.commit().map_err(db)?;
            Ok(value)
        })
        .await
        .map_err(StoreError::unavailable)?
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let current: usize = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db)?;
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(sql).map_err(db)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(db)?;
    }
    tx.commit().map_err(db)
}

/// Appends `entries` to their subjects' histories inside the caller's transaction, each numbered
/// after its subject's last event. A number already taken fails the transaction.
fn append(
    tx: &Transaction<'_>,
    inner: &Inner,
    entries: impl IntoIterator<Item = Entry>,
    at: DateTime<Utc>,
    by: &Actor,
) -> Result<()> {
    for entry in entries {
        let subject = entry.subject.key();
        let last: u32 = query_one(
            tx,
            "SELECT COALESCE(MAX(seq), 0) FROM events WHERE subject = ?1",
            [&subject],
            |row| row.get(0),
        )?
        .unwrap_or(0);
        let seq = if inner.collide_next_event.swap(false, Ordering::SeqCst) {
            last
        } else {
            last + 1
        };
        let event = entry.event(seq, at, by);
        exec(
            tx,
            "INSERT INTO events (subject, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
            params![subject, seq, millis(at), to_json(&event)?],
        )?;
    }
    Ok(())
}

fn exec(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
    tx.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute(params))
        .map_err(db)
}

fn query_one<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    tx.prepare_cached(sql)
        .and_then(|mut stmt| stmt.query_row(params, read).optional())
        .map_err(db)
}

fn get_body<T: DeserializeOwned>(tx: &Transaction<'_>, sql: &str, key: &str) -> Result<Option<T>> {
    query_one(tx, sql, [key], |row| row.get::<_, String>(0))?
        .map(|body| from_json(&body))
        .transpose()
}

/// The JSON bodies a query selects, decoded.
fn bodies<T: DeserializeOwned>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let mut stmt = tx.prepare_cached(sql).map_err(db)?;
    let texts = stmt
        .query_map(params, |row| row.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    texts.iter().map(|b| from_json(b)).collect()
}

fn load_payment(tx: &Transaction<'_>, reference: &PaymentRef) -> Result<Option<Payment>> {
    get_body(
        tx,
        "SELECT body FROM payments WHERE reference = ?1",
        reference.as_str(),
    )
}

fn load_invoice(tx: &Transaction<'_>, id: &InvoiceId) -> Result<Option<Invoice>> {
    get_body(tx, "SELECT body FROM invoices WHERE id = ?1", id.as_str())
}

fn load_receipt(tx: &Transaction<'_>, id: &ReceiptId) -> Result<Option<Receipt>> {
    get_body(tx, "SELECT body FROM receipts WHERE id = ?1", id.as_str())
}

fn save_payment(tx: &Transaction<'_>, payment: &Payment) -> Result<()> {
    exec(
        tx,
        "UPDATE payments SET status = ?2, body = ?3 WHERE reference = ?1",
        params![
            payment.reference.as_str(),
            payment.status.as_str(),
            to_json(payment)?
        ],
    )?;
    Ok(())
}

fn insert_payment(tx: &Transaction<'_>, payment: &Payment) -> Result<()> {
    exec(
        tx,
        "INSERT INTO payments (reference, status, created_at, expires_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            payment.reference.as_str(),
            payment.status.as_str(),
            millis(payment.created_at),
            millis(payment.expires_at),
            to_json(payment)?
        ],
    )?;
    Ok(())
}

fn save_invoice(tx: &Transaction<'_>, invoice: &Invoice) -> Result<()> {
    exec(
        tx,
        "UPDATE invoices SET student = ?2, status = ?3, due_date = ?4, body = ?5 WHERE id = ?1",
        params![
            invoice.id.as_str(),
            invoice.student.as_str(),
            invoice.status.as_str(),
            invoice.due_date.to_string(),
            to_json(invoice)?
        ],
    )?;
    Ok(())
}

/// The reference of the live payment holding an invoice, if any.
fn live_hold(tx: &Transaction<'_>, id: &InvoiceId, now: DateTime<Utc>) -> Result<Option<String>> {
    query_one(
        tx,
        "SELECT held_by FROM invoices WHERE id = ?1 AND held_by IS NOT NULL AND held_until > ?2",
        params![id.as_str(), millis(now)],
        |row| row.get(0),
    )
}

fn release_holds(tx: &Transaction<'_>, payment: &Payment) -> Result<()> {
    for id in &payment.invoices {
        exec(
            tx,
            "UPDATE invoices SET held_by = NULL, held_until = NULL WHERE id = ?1 AND held_by = ?2",
            params![id.as_str(), payment.reference.as_str()],
        )?;
    }
    Ok(())
}

fn state_of(tx: &Transaction<'_>, payment: Payment) -> Result<PaymentState> {
    let receipt = match payment.status {
        PaymentStatus::Succeeded => load_receipt(tx, &ReceiptId::for_payment(&payment.reference))?,
        PaymentStatus::Pending
        | PaymentStatus::Failed
        | PaymentStatus::Expired
        | PaymentStatus::RefundDue
        | PaymentStatus::Mismatched => None,
    };
    Ok(PaymentState { payment, receipt })
}

/// The covered invoices as stored now, in the payment's order (`None` where one is missing).
fn load_invoices(tx: &Transaction<'_>, payment: &Payment) -> Result<Vec<Option<Invoice>>> {
    payment
        .invoices
        .iter()
        .map(|id| load_invoice(tx, id))
        .collect()
}

/// Reads what [`plan`] needs, then writes the plan, all inside the caller's transaction.
fn apply(
    tx: &Transaction<'_>,
    inner: &Inner,
    payment: Payment,
    decision: Decision,
    at: DateTime<Utc>,
    token: Option<&ReceiptToken>,
    change: Change<'_>,
) -> Result<Settled> {
    let invoices = match decision {
        Decision::Apply(Transition::Settle) => load_invoices(tx, &payment)?,
        Decision::Apply(Transition::Fail | Transition::Expire | Transition::Keep)
        | Decision::AmountMismatch { .. } => Vec::new(),
    };
    let planned = plan(payment, decision, change.event, invoices, at);
    write_plan(tx, inner, planned, at, token, change, save_payment)
}

/// What a plan's events need besides the plan: the payment's status as read (`None` for a
/// capture it stores), the gateway's event, and who made the change.
struct Change<'a> {
    before: Option<PaymentStatus>,
    event: Option<&'a GatewayEvent>,
    by: &'a Actor,
}

/// Writes a plan inside the caller's transaction; `store` writes the payment (an update of a
/// stored one, or the insert of a captured one).
fn write_plan(
    tx: &Transaction<'_>,
    inner: &Inner,
    planned: Plan,
    at: DateTime<Utc>,
    token: Option<&ReceiptToken>,
    change: Change<'_>,
    store: fn(&Transaction<'_>, &Payment) -> Result<()>,
) -> Result<Settled> {
    let Change { before, event, by } = change;
    let record = |payment: &Payment, paid: &[Invoice], receipt: Option<&Receipt>, mismatch| {
        let entries = events::of_plan(before, payment, paid, receipt, mismatch, event);
        append(tx, inner, entries, at, by)
    };
    match planned {
        Plan::Keep(payment) => Ok(Settled::AlreadyFinal(state_of(tx, payment)?)),
        Plan::Mismatch { payment, recorded } => {
            if recorded {
                release_holds(tx, &payment)?;
                store(tx, &payment)?;
                record(&payment, &[], None, true)?;
            }
            Ok(Settled::AmountMismatch {
                expected: payment.amount,
                recorded,
            })
        }
        Plan::Close(payment) => {
            release_holds(tx, &payment)?;
            store(tx, &payment)?;
            record(&payment, &[], None, false)?;
            Ok(Settled::Applied(PaymentState {
                payment,
                receipt: None,
            }))
        }
        Plan::Pay {
            payment,
            invoices,
            txn,
        } => {
            for invoice in &invoices {
                save_invoice(tx, invoice)?;
                exec(
                    tx,
                    "UPDATE invoices SET held_by = NULL, held_until = NULL WHERE id = ?1",
                    [invoice.id.as_str()],
                )?;
            }
            if inner.break_next_settle.swap(false, Ordering::SeqCst) {
                return Err(StoreError::unavailable(InjectedFailure));
            }
            let token = token
                .ok_or_else(|| StoreError::Corrupt("a capture without a receipt token".into()))?;
            let receipt = issue_receipt(tx, &payment, &invoices, txn, at, token)?;
            store(tx, &payment)?;
            record(&payment, &invoices, Some(&receipt), false)?;
            Ok(Settled::Applied(PaymentState {
                payment,
                receipt: Some(receipt),
            }))
        }
    }
}

fn issue_receipt(
    tx: &Transaction<'_>,
    payment: &Payment,
    invoices: &[Invoice],
    txn: GatewayTxnNo,
    at: DateTime<Utc>,
    token: &ReceiptToken,
) -> Result<Receipt> {
    let school: School = get_body(
        tx,
        "SELECT body FROM schools WHERE id = ?1",
        payment.school.as_str(),
    )?
    .ok_or_else(|| StoreError::Corrupt(format!("school {} is missing", payment.school)))?;
    let sequence: u32 = query_one(
        tx,
        "INSERT INTO receipt_counters (school, school_year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (school, school_year) DO UPDATE SET last = last + 1
         RETURNING last",
        params![payment.school.as_str(), payment.school_year.first_year()],
        |row| row.get(0),
    )?
    .ok_or_else(|| StoreError::Corrupt("the receipt counter returned no row".into()))?;
    let receipt = Receipt::issue(payment, invoices, &school, sequence, txn, at, token.clone());
    exec(
        tx,
        "INSERT INTO receipts (id, payment, school, school_year, sequence, issued_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            receipt.id.as_str(),
            payment.reference.as_str(),
            payment.school.as_str(),
            payment.school_year.first_year(),
            sequence,
            millis(at),
            to_json(&receipt)?
        ],
    )?;
    Ok(receipt)
}

impl Store for SqliteStore {
    async fn upsert_school(&self, school: &School, now: DateTime<Utc>, by: &Actor) -> Result<()> {
        let select = "SELECT body FROM schools WHERE id = ?1";
        let upsert = "INSERT INTO schools (id, body) VALUES (?1, ?2)
                      ON CONFLICT (id) DO UPDATE SET body = excluded.body";
        let entry = Entry::new(Subject::School(school.id.clone()), Action::SchoolSaved);
        let (key, body) = (school.id.to_string(), to_json(school)?);
        self.put_body((select, upsert), key, body, entry, now, by)
            .await
    }

    async fn school(&self, id: &SchoolId) -> Result<Option<School>> {
        let id = id.to_string();
        self.write(move |tx, _| get_body(tx, "SELECT body FROM schools WHERE id = ?1", &id))
            .await
    }

    async fn upsert_catalogue_item(
        &self,
        item: &CatalogueItem,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<CatalogueOutcome> {
        let entry = Entry::catalogue_saved(item);
        let by = by.clone();
        let code = item.code.to_string();
        let school = item
            .school
            .as_ref()
            .map_or_else(String::new, SchoolId::to_string);
        let item = item.clone();
        let body = to_json(&item)?;
        self.write(move |tx, inner| {
            let known: Option<CatalogueItem> = query_one(
                tx,
                "SELECT body FROM catalogue WHERE code = ?1 AND school = ?2",
                params![code, school],
                |row| row.get::<_, String>(0),
            )?
            .map(|body| from_json(&body))
            .transpose()?;
            match known {
                Some(known) if known == item => Ok(CatalogueOutcome::Unchanged),
                Some(_) => {
                    exec(
                        tx,
                        "UPDATE catalogue SET body = ?3 WHERE code = ?1 AND school = ?2",
                        params![code, school, body],
                    )?;
                    append(tx, inner, [entry], now, &by)?;
                    Ok(CatalogueOutcome::Updated)
                }
                None => {
                    exec(
                        tx,
                        "INSERT INTO catalogue (code, school, body) VALUES (?1, ?2, ?3)",
                        params![code, school, body],
                    )?;
                    append(tx, inner, [entry], now, &by)?;
                    Ok(CatalogueOutcome::Created)
                }
            }
        })
        .await
    }

    async fn catalogue(&self) -> Result<Vec<CatalogueItem>> {
        self.write(|tx, _| bodies(tx, "SELECT body FROM catalogue ORDER BY code, school", []))
            .await
    }

    async fn upsert_student(
        &self,
        student: &Student,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<()> {
        let select = "SELECT body FROM students WHERE code = ?1";
        let upsert = "INSERT INTO students (code, body) VALUES (?1, ?2)
                      ON CONFLICT (code) DO UPDATE SET body = excluded.body";
        let entry = Entry::new(Subject::Student(student.code.clone()), Action::StudentSaved);
        let (key, body) = (student.code.to_string(), to_json(student)?);
        self.put_body((select, upsert), key, body, entry, now, by)
            .await
    }

    async fn student(&self, code: &StudentCode) -> Result<Option<Student>> {
        let code = code.to_string();
        self.write(move |tx, _| get_body(tx, "SELECT body FROM students WHERE code = ?1", &code))
            .await
    }

    async fn rekey_lookup(
        &self,
        student: &StudentCode,
        from: &LookupDigest,
        to: &LookupDigest,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<bool> {
        let (code, from, to, by) = (student.to_string(), from.clone(), to.clone(), by.clone());
        let entry = Entry::new(Subject::Student(student.clone()), Action::LookupRekeyed);
        self.write(move |tx, inner| {
            let sql = "SELECT body FROM students WHERE code = ?1";
            let Some(mut student) = get_body::<Student>(tx, sql, &code)? else {
                return Ok(false);
            };
            if student.lookup != from {
                return Ok(false);
            }
            student.lookup = to;
            exec(
                tx,
                "UPDATE students SET body = ?2 WHERE code = ?1",
                params![code, to_json(&student)?],
            )?;
            append(tx, inner, [entry], now, &by)?;
            Ok(true)
        })
        .await
    }

    async fn students(&self, from: Option<&PageToken>, limit: usize) -> Result<StudentPage> {
        let after = from.map(|t| t.as_str().to_owned()).unwrap_or_default();
        self.write(move |tx, _| {
            let students: Vec<Student> = bodies(
                tx,
                "SELECT body FROM students WHERE code > ?1 ORDER BY code LIMIT ?2",
                params![after, limit],
            )?;
            let next = (students.len() == limit && limit > 0)
                .then(|| students.last().map(|s| PageToken::new(s.code.to_string())))
                .flatten();
            Ok(StudentPage { students, next })
        })
        .await
    }

    async fn upsert_invoice(
        &self,
        invoice: &Invoice,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<UpsertOutcome> {
        let (incoming, by) = (invoice.clone(), by.clone());
        self.write(move |tx, inner| {
            let Some(existing) = load_invoice(tx, &incoming.id)? else {
                let mut created = incoming;
                created.status = InvoiceStatus::Open;
                created.version = 1;
                exec(
                    tx,
                    "INSERT INTO invoices (id, student, status, due_date, body)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        created.id.as_str(),
                        created.student.as_str(),
                        created.status.as_str(),
                        created.due_date.to_string(),
                        to_json(&created)?
                    ],
                )?;
                append(tx, inner, [events::invoice_saved(&created, true)], now, &by)?;
                return Ok(UpsertOutcome::Created);
            };
            if !existing.same_owner(&incoming) {
                return Ok(UpsertOutcome::RefusedOtherOwner);
            }
            match existing.status {
                InvoiceStatus::Paid => return Ok(UpsertOutcome::RefusedPaid),
                InvoiceStatus::Cancelled => return Ok(UpsertOutcome::RefusedCancelled),
                InvoiceStatus::Open => {}
            }
            if existing.same_content(&incoming) {
                return Ok(UpsertOutcome::Unchanged);
            }
            if live_hold(tx, &existing.id, now)?.is_some() {
                return Ok(UpsertOutcome::RefusedHeld);
            }
            let mut updated = incoming;
            updated.status = InvoiceStatus::Open;
            updated.version = existing.version + 1;
            save_invoice(tx, &updated)?;
            append(
                tx,
                inner,
                [events::invoice_saved(&updated, false)],
                now,
                &by,
            )?;
            Ok(UpsertOutcome::Updated)
        })
        .await
    }

    async fn invoice(&self, id: &InvoiceId) -> Result<Option<Invoice>> {
        let id = id.clone();
        self.write(move |tx, _| load_invoice(tx, &id)).await
    }

    async fn open_invoices(&self, student: &StudentCode) -> Result<Vec<Invoice>> {
        let student = student.to_string();
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM invoices WHERE student = ?1 AND status = 'open'
                     ORDER BY due_date, id",
                [student],
            )
        })
        .await
    }

    async fn void_invoice(
        &self,
        id: &InvoiceId,
        reason: &Label,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<VoidOutcome> {
        let (id, reason, by) = (id.clone(), reason.clone(), by.clone());
        self.write(move |tx, inner| {
            let Some(mut invoice) = load_invoice(tx, &id)? else {
                return Ok(VoidOutcome::NotFound);
            };
            match invoice.status {
                InvoiceStatus::Paid => return Ok(VoidOutcome::RefusedPaid),
                InvoiceStatus::Cancelled => return Ok(VoidOutcome::AlreadyVoided),
                InvoiceStatus::Open => {}
            }
            if live_hold(tx, &id, now)?.is_some() {
                return Ok(VoidOutcome::RefusedHeld);
            }
            invoice.status = InvoiceStatus::Cancelled;
            invoice.cancellation = Some(Cancellation { reason, at: now });
            invoice.version += 1;
            save_invoice(tx, &invoice)?;
            let voided = Action::InvoiceVoided {
                version: invoice.version,
            };
            append(
                tx,
                inner,
                [Entry::new(Subject::Invoice(id), voided)],
                now,
                &by,
            )?;
            Ok(VoidOutcome::Voided)
        })
        .await
    }

    async fn create_payment(
        &self,
        payment: &Payment,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<(), CreatePaymentError> {
        let (payment, by) = (payment.clone(), by.clone());
        self.write(move |tx, inner| {
            let conflict = |invoice: &InvoiceId, reason| {
                Ok(Err(CreatePaymentError::Conflict {
                    invoice: invoice.clone(),
                    reason,
                }))
            };
            if load_payment(tx, &payment.reference)?.is_some() {
                return Ok(Err(CreatePaymentError::DuplicateReference));
            }
            let mut found = Vec::with_capacity(payment.invoices.len());
            for id in &payment.invoices {
                let Some(invoice) = load_invoice(tx, id)? else {
                    return conflict(id, ConflictReason::Missing);
                };
                if invoice.status != InvoiceStatus::Open {
                    return conflict(id, ConflictReason::NotOpen);
                }
                if invoice.student != payment.student || invoice.school != payment.school {
                    return conflict(id, ConflictReason::Changed);
                }
                if live_hold(tx, id, now)?.is_some() {
                    return conflict(id, ConflictReason::Held);
                }
                found.push(invoice);
            }
            if !payment.is_priced_by(&found) {
                return conflict(&payment.invoices[0], ConflictReason::Changed);
            }
            insert_payment(tx, &payment)?;
            for id in &payment.invoices {
                exec(
                    tx,
                    "UPDATE invoices SET held_by = ?2, held_until = ?3 WHERE id = ?1",
                    params![
                        id.as_str(),
                        payment.reference.as_str(),
                        millis(payment.expires_at)
                    ],
                )?;
            }
            append(tx, inner, [events::payment_created(&payment)], now, &by)?;
            Ok(Ok(()))
        })
        .await?
    }

    async fn payment(&self, reference: &PaymentRef) -> Result<Option<Payment>> {
        let reference = reference.clone();
        self.write(move |tx, _| load_payment(tx, &reference)).await
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
        let (reference, event, token) = (reference.clone(), event.clone(), receipt_token.clone());
        let by = by.clone();
        self.write(move |tx, inner| {
            let Some(payment) = load_payment(tx, &reference)?.filter(|p| p.gateway == channel)
            else {
                return Ok(Settled::UnknownPayment);
            };
            let decision = payment.decide(&event);
            let change = Change {
                before: Some(payment.status),
                event: Some(&event),
                by: &by,
            };
            apply(tx, inner, payment, decision, at, Some(&token), change)
        })
        .await
    }

    async fn record_capture(
        &self,
        payment: &Payment,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> Result<Settled> {
        let (payment, event, token) = (payment.clone(), event.clone(), receipt_token.clone());
        let by = by.clone();
        self.write(move |tx, inner| {
            if let Some(stored) = load_payment(tx, &payment.reference)? {
                return Ok(Settled::AlreadyFinal(state_of(tx, stored)?));
            }
            let invoices = load_invoices(tx, &payment)?;
            let planned = capture(payment, &event, invoices, at)?;
            let change = Change {
                before: None,
                event: Some(&event),
                by: &by,
            };
            write_plan(tx, inner, planned, at, Some(&token), change, insert_payment)
        })
        .await
    }

    async fn use_nonce(
        &self,
        key: &NonceKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let key = key.as_str().to_owned();
        self.write(move |tx, _| {
            exec(
                tx,
                "DELETE FROM nonces WHERE used_until <= ?1",
                [millis(now)],
            )?;
            let recorded = exec(
                tx,
                "INSERT INTO nonces (key, used_until) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, millis(until)],
            )?;
            Ok(recorded == 1)
        })
        .await
    }

    async fn expire(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Settled> {
        let (reference, by) = (reference.clone(), by.clone());
        self.write(move |tx, inner| {
            let Some(payment) = load_payment(tx, &reference)? else {
                return Ok(Settled::UnknownPayment);
            };
            if payment.is_live(now) {
                return Ok(Settled::NotDue(state_of(tx, payment)?));
            }
            let transition = payment.status.next(hocphi_domain::EventKind::TimedOut);
            let change = Change {
                before: Some(payment.status),
                event: None,
                by: &by,
            };
            apply(
                tx,
                inner,
                payment,
                Decision::Apply(transition),
                now,
                None,
                change,
            )
        })
        .await
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<AuditEvent>> {
        let subject = subject.key();
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM events WHERE subject = ?1 ORDER BY seq",
                [subject],
            )
        })
        .await
    }

    async fn receipt(&self, id: &ReceiptId) -> Result<Option<Receipt>> {
        let id = id.clone();
        self.write(move |tx, _| load_receipt(tx, &id)).await
    }

    async fn receipts_issued(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        school: Option<&SchoolId>,
    ) -> Result<Vec<Receipt>> {
        let school = school.map(ToString::to_string);
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM receipts WHERE issued_at >= ?1 AND issued_at < ?2
                     AND (?3 IS NULL OR school = ?3) ORDER BY issued_at, id",
                params![millis(from), millis(to), school],
            )
        })
        .await
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM payments WHERE status = 'pending' AND created_at < ?1
                     ORDER BY created_at DESC, reference DESC LIMIT ?2",
                params![millis(before), limit],
            )
        })
        .await
    }

    async fn unpaid_expired_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM payments WHERE status IN ('failed', 'expired')
                     AND expires_at >= ?1 AND expires_at < ?2
                     ORDER BY expires_at DESC, reference DESC LIMIT ?3",
                params![millis(from), millis(to), limit],
            )
        })
        .await
    }

    async fn note_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32> {
        let counter = counter.key();
        self.write(move |tx, _| {
            exec(
                tx,
                "DELETE FROM lookup_failures WHERE window_ends <= ?1 AND counter <> ?2",
                params![millis(now), counter],
            )?;
            query_one(
                tx,
                "INSERT INTO lookup_failures (counter, failures, window_ends) VALUES (?1, 1, ?3)
                 ON CONFLICT (counter) DO UPDATE SET
                   failures = CASE WHEN window_ends > ?2 THEN failures + 1 ELSE 1 END,
                   window_ends = CASE WHEN window_ends > ?2 THEN window_ends ELSE ?3 END
                 RETURNING failures",
                params![counter, millis(now), millis(now + window)],
                |row| row.get(0),
            )?
            .ok_or_else(|| StoreError::Corrupt("the failure counter returned no row".into()))
        })
        .await
    }

    async fn forgive_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let counter = counter.key();
        self.write(move |tx, _| {
            exec(
                tx,
                "UPDATE lookup_failures SET failures = failures - 1
                 WHERE counter = ?1 AND window_ends > ?2 AND failures > 0",
                params![counter, millis(now)],
            )
            .map(drop)
        })
        .await
    }

    async fn failed_lookups(&self, counter: &FailureCounter, now: DateTime<Utc>) -> Result<u32> {
        let counter = counter.key();
        self.write(move |tx, _| {
            Ok(tx
                .query_row(
                    "SELECT failures FROM lookup_failures WHERE counter = ?1 AND window_ends > ?2",
                    params![counter, millis(now)],
                    |row| row.get(0),
                )
                .optional()
                .map_err(db)?
                .unwrap_or(0))
        })
        .await
    }

    async fn begin_request(
        &self,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        claim: &Claim,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin> {
        let (key, claim) = (key.to_string(), claim.clone());
        self.write(move |tx, _| {
            let existing = tx
                .query_row(
                    "SELECT fingerprint, state, lease_until, expires_at, response_status,
                            response_body, payment
                     FROM idempotency WHERE key = ?1",
                    [&key],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, i64>(2)?,
                            row.get::<_, i64>(3)?,
                            row.get::<_, Option<u16>>(4)?,
                            row.get::<_, Option<String>>(5)?,
                            row.get::<_, Option<String>>(6)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            let now_ms = millis(now);
            let mut payment = claim.payment.as_str().to_owned();
            if let Some((stored, state, lease_until, expires_at, status, body, recorded)) = existing
            {
                let same = Fingerprint::from_hex(&stored) == Some(fingerprint);
                match (state.as_str(), status, body) {
                    ("completed", Some(status), Some(body)) if expires_at > now_ms => {
                        return Ok(if same {
                            IdempotencyBegin::Replay(StoredResponse { status, body })
                        } else {
                            IdempotencyBegin::Mismatch
                        });
                    }
                    ("in_progress", _, _) if lease_until > now_ms => {
                        return Ok(if same {
                            IdempotencyBegin::InProgress
                        } else {
                            IdempotencyBegin::Mismatch
                        });
                    }
                    ("in_progress", _, _) if same => {
                        if let Some(recorded) = recorded {
                            payment = recorded;
                        }
                    }
                    _ => {}
                }
            }
            let payment = PaymentRef::parse(&payment)
                .map_err(|e| StoreError::Corrupt(format!("recorded payment: {e}")))?;
            let lease_until = millis(now + lease);
            exec(
                tx,
                "INSERT INTO idempotency (key, fingerprint, state, lease_until, expires_at,
                                          lease_token, payment)
                 VALUES (?1, ?2, 'in_progress', ?3, ?3, ?4, ?5)
                 ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,
                   state = 'in_progress', lease_until = excluded.lease_until,
                   expires_at = excluded.expires_at, lease_token = excluded.lease_token,
                   payment = excluded.payment, response_status = NULL, response_body = NULL",
                params![
                    key,
                    fingerprint.to_hex(),
                    lease_until,
                    claim.token.as_str(),
                    payment.as_str()
                ],
            )?;
            Ok(IdempotencyBegin::Started { payment })
        })
        .await
    }

    async fn complete_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
        response: &StoredResponse,
        now: DateTime<Utc>,
        keep: Duration,
    ) -> Result<()> {
        let (key, token, response) = (key.to_string(), token.clone(), response.clone());
        self.write(move |tx, _| {
            exec(
                tx,
                "UPDATE idempotency SET state = 'completed', expires_at = ?3,
                   response_status = ?4, response_body = ?5
                 WHERE key = ?1 AND lease_token = ?2 AND state = 'in_progress'",
                params![
                    key,
                    token.as_str(),
                    millis(now + keep),
                    response.status,
                    response.body
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn release_request(&self, key: &IdempotencyKey, token: &LeaseToken) -> Result<()> {
        let (key, token) = (key.to_string(), token.clone());
        self.write(move |tx, _| {
            exec(
                tx,
                "DELETE FROM idempotency WHERE key = ?1 AND lease_token = ?2
                   AND state = 'in_progress'",
                params![key, token.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    async fn schools(&self) -> Result<Vec<School>> {
        self.write(|tx, _| bodies(tx, "SELECT body FROM schools ORDER BY id", []))
            .await
    }

    async fn invoices_due(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
        page: Option<&PageToken>,
        limit: usize,
    ) -> Result<InvoicePage> {
        let (after_due, after_id) = match page {
            Some(token) => {
                let (due, id) = token
                    .as_str()
                    .split_once('\n')
                    .ok_or_else(|| StoreError::Corrupt("a page token of another store".into()))?;
                (due.to_owned(), id.to_owned())
            }
            None => (String::new(), String::new()),
        };
        let school = school.to_string();
        let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx, _| {
            let invoices: Vec<Invoice> = bodies(
                tx,
                "SELECT body FROM invoices
                 WHERE json_extract(body, '$.school') = ?1 AND due_date >= ?2 AND due_date <= ?3
                   AND (due_date > ?4 OR (due_date = ?4 AND id > ?5))
                 ORDER BY due_date, id LIMIT ?6",
                params![
                    school,
                    from.to_string(),
                    to.to_string(),
                    after_due,
                    after_id,
                    sql_limit
                ],
            )?;
            let next = (invoices.len() == limit && limit > 0)
                .then(|| {
                    invoices
                        .last()
                        .map(|i| PageToken::new(format!("{}\n{}", i.due_date, i.id)))
                })
                .flatten();
            Ok(InvoicePage { invoices, next })
        })
        .await
    }

    async fn refunds_due(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Payment>> {
        self.write(move |tx, _| {
            bodies(
                tx,
                "SELECT body FROM payments
                 WHERE status IN ('refund_due', 'mismatched', 'succeeded')
                   AND created_at >= ?1 AND created_at < ?2
                   AND (status IN ('refund_due', 'mismatched')
                        OR json_array_length(body, '$.mismatches') > 0)
                 ORDER BY created_at, reference",
                params![millis(from), millis(to)],
            )
        })
        .await
    }

    async fn student_records(
        &self,
        student: &StudentCode,
        now: DateTime<Utc>,
    ) -> Result<StudentRecords> {
        let code = student.to_string();
        self.write(move |tx, _| {
            let payments: Vec<Payment> = bodies(
                tx,
                "SELECT body FROM payments WHERE json_extract(body, '$.student') = ?1
                     ORDER BY created_at, reference",
                [&code],
            )?;
            let mut receipts = Vec::new();
            for payment in &payments {
                receipts.extend(load_receipt(
                    tx,
                    &ReceiptId::for_payment(&payment.reference),
                )?);
            }
            Ok(StudentRecords {
                student: get_body(tx, "SELECT body FROM students WHERE code = ?1", &code)?,
                invoices: bodies(
                    tx,
                    "SELECT body FROM invoices WHERE student = ?1 ORDER BY due_date, id",
                    [&code],
                )?,
                payments,
                receipts,
                failed_lookups: query_one(
                    tx,
                    "SELECT failures FROM lookup_failures WHERE counter = ?1 AND window_ends > ?2",
                    params![code, millis(now)],
                    |row| row.get(0),
                )?
                .unwrap_or(0),
            })
        })
        .await
    }

    async fn erase_student(
        &self,
        student: &StudentCode,
        pseudonym: &StudentCode,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Erasure> {
        let (code, pseudonym, by) = (student.to_string(), pseudonym.clone(), by.clone());
        self.write(move |tx, inner| {
            let mut entries = Vec::new();
            let payments: Vec<Payment> = bodies(
                tx,
                "SELECT body FROM payments WHERE json_extract(body, '$.student') = ?1",
                [&code],
            )?;
            if let Some(pending) = payments.iter().find(|p| p.status == PaymentStatus::Pending) {
                return Ok(Erasure::PaymentPending(pending.reference.clone()));
            }
            let mut report = ErasureReport {
                student_deleted: exec(tx, "DELETE FROM students WHERE code = ?1", [&code])? > 0,
                ..ErasureReport::default()
            };
            let invoices: Vec<Invoice> =
                bodies(tx, "SELECT body FROM invoices WHERE student = ?1", [&code])?;
            for invoice in &invoices {
                let kept = privacy::invoice_kept(invoice);
                if kept {
                    save_invoice(tx, &privacy::pseudonymise_invoice(invoice, &pseudonym))?;
                    report.invoices_pseudonymised += 1;
                } else {
                    exec(tx, "DELETE FROM invoices WHERE id = ?1", [invoice.id.as_str()])?;
                    report.invoices_deleted += 1;
                }
                entries.push(Entry::erased(Subject::Invoice(invoice.id.clone()), kept));
            }
            for payment in &payments {
                entries.push(Entry::erased(
                    Subject::Payment(payment.reference.clone()),
                    privacy::keeps_accounts(payment),
                ));
                if privacy::keeps_accounts(payment) {
                    save_payment(tx, &privacy::pseudonymise_payment(payment, &pseudonym))?;
                    report.payments_pseudonymised += 1;
                } else {
                    exec(
                        tx,
                        "DELETE FROM payments WHERE reference = ?1",
                        [payment.reference.as_str()],
                    )?;
                    report.payments_deleted += 1;
                }
                let id = ReceiptId::for_payment(&payment.reference);
                if let Some(receipt) = load_receipt(tx, &id)? {
                    exec(
                        tx,
                        "UPDATE receipts SET body = ?2 WHERE id = ?1",
                        params![
                            id.as_str(),
                            to_json(&privacy::pseudonymise_receipt(&receipt, &pseudonym))?
                        ],
                    )?;
                    report.receipts_pseudonymised += 1;
                }
            }
            let counters = exec(
                tx,
                "DELETE FROM lookup_failures WHERE counter = ?1 OR substr(counter, 1, length(?1) + 1) = ?1 || '@'",
                [&code],
            )?;
            report.counters_deleted = u32::try_from(counters).unwrap_or(u32::MAX);
            exec(
                tx,
                "DELETE FROM events WHERE subject = ?1",
                [Subject::Student(StudentCode::parse(&code).map_err(|_| {
                    StoreError::Corrupt("student code".into())
                })?)
                .key()],
            )?;
            append(tx, inner, entries, now, &by)?;
            Ok(Erasure::Erased(report))
        })
        .await
    }

    async fn apply_retention(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<RetentionReport> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx, inner| {
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            let mut report = RetentionReport {
                counters: count(exec(
                    tx,
                    "DELETE FROM lookup_failures WHERE window_ends <= ?1",
                    [millis(now)],
                )?),
                idempotency: count(exec(
                    tx,
                    "DELETE FROM idempotency WHERE expires_at <= ?1 AND lease_until <= ?1",
                    [millis(now)],
                )?),
                nonces: count(exec(
                    tx,
                    "DELETE FROM nonces WHERE used_until <= ?1",
                    [millis(now)],
                )?),
                payments: 0,
            };
            let unpaid: Vec<Payment> = bodies(
                tx,
                "SELECT body FROM payments WHERE status IN ('failed', 'expired')
                     AND expires_at >= ?1 AND expires_at < ?2
                     AND json_extract(body, '$.student_name') IS NOT ?3
                     ORDER BY expires_at, reference LIMIT ?4",
                params![millis(from), millis(to), ERASED, limit],
            )?;
            for payment in unpaid
                .iter()
                .filter(|p| privacy::unpaid_past_retention(p, to))
            {
                save_payment(tx, &privacy::forget_payment_names(payment))?;
                append(
                    tx,
                    inner,
                    [Entry::names_removed(payment)],
                    now,
                    &Actor::Retention,
                )?;
                report.payments += 1;
            }
            Ok(report)
        })
        .await
    }
}
