//! A store that passes every call to the store under test, counting them, except a fault a test
//! arms: at the Nth call from now one of the [`Fault`]s, or the next `complete_request` failing
//! as an unreachable store would, after the payment was created.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::{
    Actor, AuditEvent, CatalogueItem, CatalogueOutcome, Claim, CreatePaymentError, FailureCounter,
    Fingerprint, GatewayEvent, GatewayKind, IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId,
    Label, LeaseToken, LookupDigest, NonceKey, PageToken, Payment, PaymentRef, Receipt, ReceiptId,
    ReceiptToken, School, SchoolId, Settled, Store, StoreError, StoredResponse, Student,
    StudentCode, StudentPage, Subject, UpsertOutcome, VoidOutcome,
};
use hocphi_fixtures::ManualClock;

/// How an armed store call goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The call fails at once; nothing is done.
    Fail,
    /// Nothing is done either, but only after [`Faulty::TIMEOUT`] on the use case's clock, as a
    /// call that waited for an answer until its client gave up.
    Timeout,
    /// The call is made and commits, then its answer is lost: the caller gets an error.
    Ambiguous,
}

impl Fault {
    pub const ALL: [Self; 3] = [Self::Fail, Self::Timeout, Self::Ambiguous];
}

/// The store under test, with failures a test can arm.
#[derive(Clone, Debug)]
pub struct Faulty<S> {
    pub inner: S,
    clock: Option<ManualClock>,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// The store calls made since the last [`Faulty::reset`], by method name.
    calls: Vec<&'static str>,
    /// The fault to inject at that index of `calls` (1-based).
    armed: Option<(usize, Fault)>,
    /// The call the armed fault hit.
    fired: Option<(&'static str, Fault)>,
    fail_next_complete: bool,
}

#[derive(Debug)]
struct Injected;

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected: the store did not answer")
    }
}

impl std::error::Error for Injected {}

/// The error type of a store method, built for an injected fault.
trait InjectedError {
    fn injected() -> Self;
}

impl InjectedError for StoreError {
    fn injected() -> Self {
        Self::unavailable(Injected)
    }
}

impl InjectedError for CreatePaymentError {
    fn injected() -> Self {
        Self::Store(StoreError::injected())
    }
}

impl<S> Faulty<S> {
    /// How long a [`Fault::Timeout`] takes on the use case's clock: longer than any store call
    /// answers, short of every time limit a use case keeps.
    pub const TIMEOUT: Duration = Duration::seconds(10);

    pub fn new(inner: S) -> Self {
        Self {
            inner,
            clock: None,
            state: Arc::default(),
        }
    }

    /// A store whose [`Fault::Timeout`]s advance `clock`, the clock the use cases read.
    pub fn with_clock(inner: S, clock: ManualClock) -> Self {
        Self {
            clock: Some(clock),
            ..Self::new(inner)
        }
    }

    /// Makes the next `complete_request` fail without recording anything.
    pub fn fail_next_complete(&self) {
        self.state.lock().unwrap().fail_next_complete = true;
    }

    /// Starts counting calls afresh and disarms any fault.
    pub fn reset(&self) {
        *self.state.lock().unwrap() = State::default();
    }

    /// The store calls made since the last [`Faulty::reset`], by method name, in order.
    pub fn calls(&self) -> Vec<&'static str> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Counts calls afresh and makes the `at`-th call from now (1-based) go wrong as `fault`.
    pub fn inject(&self, at: usize, fault: Fault) {
        *self.state.lock().unwrap() = State {
            armed: Some((at, fault)),
            ..State::default()
        };
    }

    /// The call the armed fault hit, if it was reached.
    pub fn fired(&self) -> Option<(&'static str, Fault)> {
        self.state.lock().unwrap().fired
    }

    async fn call<T, E: InjectedError>(
        &self,
        name: &'static str,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let fault = {
            let mut state = self.state.lock().unwrap();
            state.calls.push(name);
            let fault = match state.armed {
                Some((at, fault)) if at == state.calls.len() => Some(fault),
                _ => None,
            };
            if name == "complete_request" && std::mem::take(&mut state.fail_next_complete) {
                return Err(E::injected());
            }
            if let Some(fault) = fault {
                state.fired = Some((name, fault));
            }
            fault
        };
        match fault {
            None => call.await,
            Some(Fault::Fail) => Err(E::injected()),
            Some(Fault::Timeout) => {
                if let Some(clock) = &self.clock {
                    clock.advance(Self::TIMEOUT);
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                Err(E::injected())
            }
            Some(Fault::Ambiguous) => {
                let _lost = call.await;
                Err(E::injected())
            }
        }
    }
}

impl<S: Store> Store for Faulty<S> {
    async fn upsert_school(
        &self,
        school: &School,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<(), StoreError> {
        self.call("upsert_school", self.inner.upsert_school(school, now, by))
            .await
    }

    async fn school(&self, id: &SchoolId) -> Result<Option<School>, StoreError> {
        self.call("school", self.inner.school(id)).await
    }

    async fn upsert_catalogue_item(
        &self,
        item: &CatalogueItem,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<CatalogueOutcome, StoreError> {
        self.call(
            "upsert_catalogue_item",
            self.inner.upsert_catalogue_item(item, now, by),
        )
        .await
    }

    async fn catalogue(&self) -> Result<Vec<CatalogueItem>, StoreError> {
        self.call("catalogue", self.inner.catalogue()).await
    }

    async fn upsert_student(
        &self,
        student: &Student,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<(), StoreError> {
        self.call(
            "upsert_student",
            self.inner.upsert_student(student, now, by),
        )
        .await
    }

    async fn student(&self, code: &StudentCode) -> Result<Option<Student>, StoreError> {
        self.call("student", self.inner.student(code)).await
    }

    async fn upsert_invoice(
        &self,
        invoice: &Invoice,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<UpsertOutcome, StoreError> {
        self.call(
            "upsert_invoice",
            self.inner.upsert_invoice(invoice, now, by),
        )
        .await
    }

    async fn invoice(&self, id: &InvoiceId) -> Result<Option<Invoice>, StoreError> {
        self.call("invoice", self.inner.invoice(id)).await
    }

    async fn open_invoices(&self, student: &StudentCode) -> Result<Vec<Invoice>, StoreError> {
        self.call("open_invoices", self.inner.open_invoices(student))
            .await
    }

    async fn void_invoice(
        &self,
        id: &InvoiceId,
        reason: &Label,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<VoidOutcome, StoreError> {
        self.call("void_invoice", self.inner.void_invoice(id, reason, now, by))
            .await
    }

    async fn create_payment(
        &self,
        payment: &Payment,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<(), CreatePaymentError> {
        self.call(
            "create_payment",
            self.inner.create_payment(payment, now, by),
        )
        .await
    }

    async fn payment(&self, reference: &PaymentRef) -> Result<Option<Payment>, StoreError> {
        self.call("payment", self.inner.payment(reference)).await
    }

    async fn settle(
        &self,
        reference: &PaymentRef,
        channel: GatewayKind,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> Result<Settled, StoreError> {
        self.call(
            "settle",
            self.inner
                .settle(reference, channel, event, at, receipt_token, by),
        )
        .await
    }

    async fn record_capture(
        &self,
        payment: &Payment,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
        by: &Actor,
    ) -> Result<Settled, StoreError> {
        self.call(
            "record_capture",
            self.inner
                .record_capture(payment, event, at, receipt_token, by),
        )
        .await
    }

    async fn use_nonce(
        &self,
        key: &NonceKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.call("use_nonce", self.inner.use_nonce(key, until, now))
            .await
    }

    async fn expire(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<Settled, StoreError> {
        self.call("expire", self.inner.expire(reference, now, by))
            .await
    }

    async fn history(&self, subject: &Subject) -> Result<Vec<AuditEvent>, StoreError> {
        self.call("history", self.inner.history(subject)).await
    }

    async fn receipt(&self, id: &ReceiptId) -> Result<Option<Receipt>, StoreError> {
        self.call("receipt", self.inner.receipt(id)).await
    }

    async fn receipts_issued(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        school: Option<&SchoolId>,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.call(
            "receipts_issued",
            self.inner.receipts_issued(from, to, school),
        )
        .await
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        self.call(
            "pending_created_before",
            self.inner.pending_created_before(before, limit),
        )
        .await
    }

    async fn unpaid_expired_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        self.call(
            "unpaid_expired_between",
            self.inner.unpaid_expired_between(from, to, limit),
        )
        .await
    }

    async fn note_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        self.call(
            "note_failed_lookup",
            self.inner.note_failed_lookup(counter, now, window),
        )
        .await
    }

    async fn forgive_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.call(
            "forgive_failed_lookup",
            self.inner.forgive_failed_lookup(counter, now),
        )
        .await
    }

    async fn failed_lookups(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.call("failed_lookups", self.inner.failed_lookups(counter, now))
            .await
    }

    async fn rekey_lookup(
        &self,
        student: &StudentCode,
        from: &LookupDigest,
        to: &LookupDigest,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<bool, StoreError> {
        self.call(
            "rekey_lookup",
            self.inner.rekey_lookup(student, from, to, now, by),
        )
        .await
    }

    async fn students(
        &self,
        from: Option<&PageToken>,
        limit: usize,
    ) -> Result<StudentPage, StoreError> {
        self.call("students", self.inner.students(from, limit))
            .await
    }

    async fn begin_request(
        &self,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        claim: &Claim,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.call(
            "begin_request",
            self.inner
                .begin_request(key, fingerprint, claim, now, lease),
        )
        .await
    }

    async fn complete_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
        response: &StoredResponse,
        now: DateTime<Utc>,
        keep: Duration,
    ) -> Result<(), StoreError> {
        self.call(
            "complete_request",
            self.inner.complete_request(key, token, response, now, keep),
        )
        .await
    }

    async fn release_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        self.call("release_request", self.inner.release_request(key, token))
            .await
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        self.call("schools", self.inner.schools()).await
    }

    async fn invoices_due(
        &self,
        school: &SchoolId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        page: Option<&PageToken>,
        limit: usize,
    ) -> Result<hocphi_domain::InvoicePage, StoreError> {
        self.call(
            "invoices_due",
            self.inner.invoices_due(school, from, to, page, limit),
        )
        .await
    }

    async fn refunds_due(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Payment>, StoreError> {
        self.call("refunds_due", self.inner.refunds_due(from, to))
            .await
    }

    async fn student_records(
        &self,
        student: &StudentCode,
        now: DateTime<Utc>,
    ) -> Result<hocphi_domain::StudentRecords, StoreError> {
        self.call("student_records", self.inner.student_records(student, now))
            .await
    }

    async fn erase_student(
        &self,
        student: &StudentCode,
        pseudonym: &StudentCode,
        now: DateTime<Utc>,
        by: &Actor,
    ) -> Result<hocphi_domain::Erasure, StoreError> {
        self.call(
            "erase_student",
            self.inner.erase_student(student, pseudonym, now, by),
        )
        .await
    }

    async fn apply_retention(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<hocphi_domain::RetentionReport, StoreError> {
        self.call(
            "apply_retention",
            self.inner.apply_retention(now, from, to, limit),
        )
        .await
    }
}
