//! The `Store` port: the only way hocphi's state changes.
//!
//! Every method is one atomic step. Writes are conditional: an adapter never reads, decides and
//! writes without a condition that makes a concurrent writer fail. In particular [`Store::settle`]
//! pays the invoices, takes the next receipt number and writes the receipt all together or not at
//! all, and settling a payment that already has its outcome changes nothing and reports that
//! outcome. Every method that changes a school, a student, an invoice or a payment takes the
//! [`Actor`] behind the change and appends the [`AuditEvent`]s that record it in that same
//! atomic step (the rule that decided is the adapter's to name, from what it decided); records
//! that only guard requests (nonces, look-up failure counters, idempotency leases) are not
//! history and take none. Every adapter passes the conformance suite in `hocphi-store`.

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    Actor, AuditEvent, CatalogueItem, ClientSource, Erasure, GatewayEvent, GatewayKind,
    IdempotencyKey, Invoice, InvoiceId, Label, LeaseToken, LookupDigest, Money, PartnerId, Payment,
    PaymentRef, Receipt, ReceiptId, ReceiptToken, RetentionReport, School, SchoolId, Student,
    StudentCode, StudentRecords, Subject,
};

/// A failure of the store itself (as opposed to an answer such as "conflict").
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("the change kept conflicting with concurrent changes")]
    Contention,
}

impl StoreError {
    /// Wraps an adapter's error as "unavailable".
    pub fn unavailable<E: std::error::Error + Send + Sync + 'static>(err: E) -> Self {
        Self::Unavailable(Box::new(err))
    }
}

/// What [`Store::upsert_invoice`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
    /// Paid invoices are never altered.
    RefusedPaid,
    /// A voided invoice stays voided.
    RefusedCancelled,
    /// A live payment covers it; changing its amount now would break that payment.
    RefusedHeld,
    /// The id is another student's or another school's invoice: an import never moves an
    /// invoice (two schools numbering alike would take over each other's invoices).
    RefusedOtherOwner,
}

/// What [`Store::upsert_catalogue_item`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueOutcome {
    Created,
    Updated,
    Unchanged,
}

/// What [`Store::void_invoice`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoidOutcome {
    Voided,
    AlreadyVoided,
    RefusedPaid,
    RefusedHeld,
    NotFound,
}

/// Why an invoice stopped a payment from being created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictReason {
    /// No such invoice.
    Missing,
    /// Paid or voided.
    NotOpen,
    /// A live payment covers it.
    Held,
    /// Its amount or owner is not what the payment expects.
    Changed,
}

/// Why [`Store::create_payment`] refused.
#[derive(Debug, thiserror::Error)]
pub enum CreatePaymentError {
    #[error("invoice {invoice} cannot be paid now ({reason:?})")]
    Conflict {
        invoice: InvoiceId,
        reason: ConflictReason,
    },
    #[error("the payment reference is already used")]
    DuplicateReference,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A payment with its receipt, if it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentState {
    pub payment: Payment,
    pub receipt: Option<Receipt>,
}

/// The answer of [`Store::settle`] and [`Store::expire`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
    /// This call changed the payment; here is its new state.
    Applied(PaymentState),
    /// The payment already had its outcome; nothing changed. Here is that outcome.
    AlreadyFinal(PaymentState),
    /// The captured amount differs from the payment's: nothing is paid. The transfer is in the
    /// payment's [`Payment::mismatches`]; `recorded` says whether this call added it (a
    /// transfer already recorded changes nothing), so its alarm is raised once.
    AmountMismatch { expected: Money, recorded: bool },
    /// Only from `expire`: the payment is still within its time; nothing changed.
    NotDue(PaymentState),
    /// No payment of the event's channel has this reference.
    UnknownPayment,
}

/// Whose wrong lookup codes a counter counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FailureCounter {
    /// Every source's, for one student.
    Student(StudentCode),
    /// One source's, for one student.
    StudentFrom(StudentCode, ClientSource),
    /// One source's, for every student.
    Source(ClientSource),
    /// Every bill look-up of one partner (each one counts: the limit is a rate, not a guess).
    Partner(PartnerId),
}

impl FailureCounter {
    /// The counter's key in a store: the student code, `code@source`, `@source`, or `#partner`
    /// (a student code never holds `@` or `#`). A student's own counter keeps the key it had before sources were
    /// counted.
    pub fn key(&self) -> String {
        match self {
            Self::Student(student) => student.to_string(),
            Self::StudentFrom(student, source) => format!("{student}@{source}"),
            Self::Source(source) => format!("@{source}"),
            Self::Partner(partner) => format!("#{partner}"),
        }
    }
}

/// A signed request's nonce as a store keeps it: `partner:nonce`, at most 100 characters of
/// `[A-Za-z0-9_.:-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NonceKey(String);

impl NonceKey {
    /// The key of `nonce` sent by `partner`; `None` when the nonce is empty, longer than 64
    /// characters or holds other characters than `[A-Za-z0-9_.-]`.
    pub fn new(partner: &PartnerId, nonce: &str) -> Option<Self> {
        let fine = !nonce.is_empty()
            && nonce.len() <= 64
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        fine.then(|| Self(format!("{partner}:{nonce}")))
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a listing of students resumes: opaque, made by the adapter that answered the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageToken(String);

impl PageToken {
    /// A token for an adapter to answer.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The adapter's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of [`Store::students`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudentPage {
    pub students: Vec<Student>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<PageToken>,
}

/// One page of [`Store::invoices_due`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoicePage {
    pub invoices: Vec<Invoice>,
    /// Where the next page starts; `None` after the last page.
    pub next: Option<PageToken>,
}

/// SHA-256 of a request's meaningful content, to tell a replay from a different request that
/// reuses an idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `payload`.
    pub fn of(payload: &[u8]) -> Self {
        Self(Sha256::digest(payload).into())
    }

    /// Lowercase hex, for storage.
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses [`Fingerprint::to_hex`]'s output.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }
}

/// The response remembered for a completed request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// What a run asks for when it begins a request under an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// Names this run's lease: completing and releasing the request take it.
    pub token: LeaseToken,
    /// The payment this run would create, recorded with the lease before anything else happens.
    pub payment: PaymentRef,
}

/// The answer of [`Store::begin_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The caller holds the lease and must run the request, then complete or release it. It
    /// works on `payment`: the one it claimed, or, when it took over the lapsed lease of a run of
    /// the same request, the one that run recorded (which may already exist).
    Started { payment: PaymentRef },
    /// The same request is running elsewhere and its lease has not expired.
    InProgress,
    /// The same request already completed: answer this.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
}

/// Everything the use cases read and change. See the module docs for the guarantees.
pub trait Store: Send + Sync {
    /// Creates or replaces a school.
    fn upsert_school(
        &self,
        school: &School,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A school by id.
    fn school(
        &self,
        id: &SchoolId,
    ) -> impl Future<Output = Result<Option<School>, StoreError>> + Send;

    /// Creates or replaces a catalogue entry, keyed by its code and school (none: the
    /// province's entry, for every school). The same entry again is `Unchanged`. Conditional on
    /// what was read: of concurrent writers of one key, each writes over the entry it read or
    /// reads again, so exactly one creates it. A created or changed entry records its event.
    fn upsert_catalogue_item(
        &self,
        item: &CatalogueItem,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<CatalogueOutcome, StoreError>> + Send;

    /// Every catalogue entry (a province has tens): by code, the province's entry before the
    /// schools' own, those by school id.
    fn catalogue(&self) -> impl Future<Output = Result<Vec<CatalogueItem>, StoreError>> + Send;

    /// Creates or replaces a student (their lookup digest included).
    fn upsert_student(
        &self,
        student: &Student,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A student by code.
    fn student(
        &self,
        code: &StudentCode,
    ) -> impl Future<Output = Result<Option<Student>, StoreError>> + Send;

    /// Replaces a student's lookup digest `from` with `to`, only if the stored digest is still
    /// `from` (the rest of the student as it is then); answers whether it did.
    fn rekey_lookup(
        &self,
        student: &StudentCode,
        from: &LookupDigest,
        to: &LookupDigest,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every student, a page at a time: at most `limit` from where `from` says (the first page
    /// without it), each student on exactly one page of a listing. A page may hold fewer than
    /// `limit` students, even none, before the last.
    fn students(
        &self,
        from: Option<&PageToken>,
        limit: usize,
    ) -> impl Future<Output = Result<StudentPage, StoreError>> + Send;

    /// Creates an invoice or updates an Open one that no live payment covers. Idempotent: the same
    /// content again is `Unchanged` and does not bump the version. A new invoice is stored Open
    /// whatever the status of the value passed.
    fn upsert_invoice(
        &self,
        invoice: &Invoice,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<UpsertOutcome, StoreError>> + Send;

    /// An invoice by id, whatever its status.
    fn invoice(
        &self,
        id: &InvoiceId,
    ) -> impl Future<Output = Result<Option<Invoice>, StoreError>> + Send;

    /// A student's Open invoices, by due date then id.
    fn open_invoices(
        &self,
        student: &StudentCode,
    ) -> impl Future<Output = Result<Vec<Invoice>, StoreError>> + Send;

    /// Voids an Open invoice that no live payment covers, recording why.
    fn void_invoice(
        &self,
        id: &InvoiceId,
        reason: &Label,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<VoidOutcome, StoreError>> + Send;

    /// Stores a new Pending payment and makes it hold its invoices, only if every covered invoice
    /// exists, is Open, belongs to the payment's student, is not held by another live payment, and
    /// the invoices' totals add up to the payment's amount.
    fn create_payment(
        &self,
        payment: &Payment,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<(), CreatePaymentError>> + Send;

    /// A payment by reference.
    fn payment(
        &self,
        reference: &PaymentRef,
    ) -> impl Future<Output = Result<Option<Payment>, StoreError>> + Send;

    /// Applies a verified gateway event of `channel` to a payment of that channel, atomically, as
    /// [`Payment::decide`] says: Settle pays every covered invoice, takes the next number of the
    /// school's sequence for the payment's school year and writes the receipt (or marks the
    /// payment RefundDue when an invoice is no longer Open); Fail records the failure and frees
    /// the invoices; Keep changes nothing and reports the earlier outcome. A capture of another
    /// amount than the payment's never pays: unless its transaction number is already recorded,
    /// it is appended to [`Payment::mismatches`], and a Pending, Failed or Expired payment becomes
    /// Mismatched and frees its invoices (a Succeeded, RefundDue or Mismatched one keeps its
    /// status). A payment of another channel is an unknown payment to this one, and nothing
    /// changes.
    fn settle(
        &self,
        reference: &PaymentRef,
        channel: GatewayKind,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// Stores a payment a partner already captured ([`Payment::captured`], Pending) and applies
    /// `event` (its [`GatewayEvent::Paid`]) to it in the same atomic step, exactly as
    /// [`Store::settle`] would to a stored one: the invoices still as the payment found them are
    /// paid (an invoice held by another live payment included: money in hand wins over an
    /// attempt, whose hold ends and whose own capture then becomes refund due; its expiry leaves
    /// the invoice paid) and the receipt is numbered in the school year's one sequence and
    /// written; otherwise (a payment covering no invoice, [`Payment::captured_unbilled`],
    /// included) the payment is stored RefundDue; a capture of another amount stores it
    /// Mismatched with the transfer recorded. Nothing is written unless all of it is. When a
    /// payment with this reference already exists nothing changes and its state is answered as
    /// [`Settled::AlreadyFinal`] (the caller compares it with the confirmation it holds); of
    /// concurrent calls with one reference exactly one stores it. Anything but a Pending payment
    /// with no transfer recorded and a Paid event is refused as an error, nothing written.
    fn record_capture(
        &self,
        payment: &Payment,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// Records a signed request's nonce until `until`, only if it is not already recorded (an
    /// entry whose time has passed counts as absent): `true` the first time, `false` for a
    /// replay. Atomic: of concurrent calls with one key exactly one gets `true`.
    fn use_nonce(
        &self,
        key: &NonceKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Expires a Pending payment whose time has passed and frees its invoices.
    fn expire(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<Settled, StoreError>> + Send;

    /// A subject's history, oldest first.
    fn history(
        &self,
        subject: &Subject,
    ) -> impl Future<Output = Result<Vec<AuditEvent>, StoreError>> + Send;

    /// A receipt by id.
    fn receipt(
        &self,
        id: &ReceiptId,
    ) -> impl Future<Output = Result<Option<Receipt>, StoreError>> + Send;

    /// Receipts issued in `[from, to)`, of one school or all, by issue time then id.
    fn receipts_issued(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        school: Option<&SchoolId>,
    ) -> impl Future<Output = Result<Vec<Receipt>, StoreError>> + Send;

    /// Pending payments created before `before`, newest first, at most `limit`: the sweeper
    /// reaches a parent's fresh payment before old ones that only an operator can resolve.
    fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Payment>, StoreError>> + Send;

    /// Payments that ended unpaid (Failed or Expired) whose expiry lies in `[from, to)`, latest
    /// expiry first, at most `limit`: the sweeper asks their channel once more, since money
    /// captured after the end is found only by asking when its notifications were lost. A
    /// Mismatched payment is not among them: money did arrive, an operator already has to
    /// return it, and asking again would only find the same transfer (and raise its alarm again);
    /// an exact transfer after it still settles by its notification. A payment whose name the
    /// retention job removed ([`Store::apply_retention`], long after any recheck) may be left out.
    fn unpaid_expired_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Payment>, StoreError>> + Send;

    /// Counts a failed look-up on a counter and returns its failures in the current window,
    /// this one included. A window opens at the first failure and closes `window` later; a
    /// closed window's counter may be dropped.
    fn note_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
        window: Duration,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Takes back one failure counted in the counter's current window, never going below zero:
    /// a look-up is counted before its code is checked, and a right code is forgiven.
    fn forgive_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Failures counted in the counter's current window (0 once it has closed).
    fn failed_lookups(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Starts a client request under an idempotency key, taking a lease named by
    /// `claim.token` until `now + lease` and recording `claim.payment` with it. A completed
    /// record is kept until its own expiry; a lapsed lease can be taken over, and a run that takes
    /// over the lease of the same request (same fingerprint) inherits the payment recorded with
    /// it, so a retry finds the payment of a run that died mid-way.
    fn begin_request(
        &self,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        claim: &Claim,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> impl Future<Output = Result<IdempotencyBegin, StoreError>> + Send;

    /// Records a request's response so replays get it, until `now + keep`, only while the lease
    /// named `token` is the key's; otherwise nothing changes.
    fn complete_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
        response: &StoredResponse,
        now: DateTime<Utc>,
        keep: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drops the lease named `token` after a failed request so a retry can run; a successor's
    /// lease, or a completed record, stays.
    fn release_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every school, by id (the Department's report lists them by commune/ward).
    fn schools(&self) -> impl Future<Output = Result<Vec<School>, StoreError>> + Send;

    /// A school's invoices due on the days `from..=to`, whatever their status, by due date then
    /// id, a page at a time: at most `limit` from where `page` says (the first page without it),
    /// each invoice on exactly one page. Read through an index of the school's invoices by due
    /// date, never by scanning every invoice.
    fn invoices_due(
        &self,
        school: &SchoolId,
        from: NaiveDate,
        to: NaiveDate,
        page: Option<&PageToken>,
        limit: usize,
    ) -> impl Future<Output = Result<InvoicePage, StoreError>> + Send;

    /// Payments created in `[from, to)` with money to give back, by creation time then
    /// reference: RefundDue and Mismatched ones, and any other with a transfer of another amount
    /// recorded ([`Payment::mismatches`]). Read through an index of such payments.
    fn refunds_due(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Payment>, StoreError>> + Send;
    /// Everything the store holds about one student ([`StudentRecords`]): the data subject's
    /// access (Law 91/2025/QH15).
    fn student_records(
        &self,
        student: &StudentCode,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<StudentRecords, StoreError>> + Send;

    /// Erases a student as [`crate::privacy`] says, the kept records under `pseudonym`; refuses,
    /// changing nothing, while a payment of the student is pending. Idempotent: a second call
    /// finds nothing left. Each change is conditional; where the store cannot do it all in one
    /// step (DynamoDB) an interrupted erase finishes when run again. Every record kept or
    /// deleted records [`crate::Action::PersonalDataErased`] on its invoice's or payment's
    /// history in the same step; the student's own history (keyed by their code) is deleted.
    fn erase_student(
        &self,
        student: &StudentCode,
        pseudonym: &StudentCode,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> impl Future<Output = Result<Erasure, StoreError>> + Send;

    /// The retention job (its events are by [`Actor::Retention`]): drops failed-look-up counters whose window closed, idempotency
    /// records and nonces past their end (where the store has no expiry of its own; DynamoDB's
    /// TTL deletes those), and removes the name and class of at most `limit` payments that
    /// ended unpaid with their expiry in `[from, to)`, each conditionally. Idempotent.
    fn apply_retention(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<RetentionReport, StoreError>> + Send;
}
