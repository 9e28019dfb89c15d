//! A store that passes every call to the store under test, except a failure a test arms: the
//! next `complete_request` fails as an unreachable store would, after the payment was created.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::{
    Claim, CreatePaymentError, FailureCounter, Fingerprint, GatewayEvent, GatewayKind,
    IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId, Label, LeaseToken, LookupDigest,
    NonceKey, PageToken, Payment, PaymentRef, Receipt, ReceiptId, ReceiptToken, School, SchoolId,
    Settled, Store, StoreError, StoredResponse, Student, StudentCode, StudentPage, UpsertOutcome,
    VoidOutcome,
};

/// The store under test, with failures a test can arm.
#[derive(Clone, Debug)]
pub struct Faulty<S> {
    pub inner: S,
    fail_next_complete: Arc<AtomicBool>,
}

#[derive(Debug)]
struct Injected;

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected: the store did not answer")
    }
}

impl std::error::Error for Injected {}

impl<S> Faulty<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            fail_next_complete: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Makes the next `complete_request` fail without recording anything.
    pub fn fail_next_complete(&self) {
        self.fail_next_complete.store(true, Ordering::SeqCst);
    }
}

impl<S: Store> Store for Faulty<S> {
    async fn upsert_school(&self, school: &School) -> Result<(), StoreError> {
        self.inner.upsert_school(school).await
    }

    async fn school(&self, id: &SchoolId) -> Result<Option<School>, StoreError> {
        self.inner.school(id).await
    }

    async fn upsert_student(&self, student: &Student) -> Result<(), StoreError> {
        self.inner.upsert_student(student).await
    }

    async fn student(&self, code: &StudentCode) -> Result<Option<Student>, StoreError> {
        self.inner.student(code).await
    }

    async fn upsert_invoice(
        &self,
        invoice: &Invoice,
        now: DateTime<Utc>,
    ) -> Result<UpsertOutcome, StoreError> {
        self.inner.upsert_invoice(invoice, now).await
    }

    async fn invoice(&self, id: &InvoiceId) -> Result<Option<Invoice>, StoreError> {
        self.inner.invoice(id).await
    }

    async fn open_invoices(&self, student: &StudentCode) -> Result<Vec<Invoice>, StoreError> {
        self.inner.open_invoices(student).await
    }

    async fn void_invoice(
        &self,
        id: &InvoiceId,
        reason: &Label,
        now: DateTime<Utc>,
    ) -> Result<VoidOutcome, StoreError> {
        self.inner.void_invoice(id, reason, now).await
    }

    async fn create_payment(
        &self,
        payment: &Payment,
        now: DateTime<Utc>,
    ) -> Result<(), CreatePaymentError> {
        self.inner.create_payment(payment, now).await
    }

    async fn payment(&self, reference: &PaymentRef) -> Result<Option<Payment>, StoreError> {
        self.inner.payment(reference).await
    }

    async fn settle(
        &self,
        reference: &PaymentRef,
        channel: GatewayKind,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
    ) -> Result<Settled, StoreError> {
        self.inner
            .settle(reference, channel, event, at, receipt_token)
            .await
    }

    async fn record_capture(
        &self,
        payment: &Payment,
        event: &GatewayEvent,
        at: DateTime<Utc>,
        receipt_token: &ReceiptToken,
    ) -> Result<Settled, StoreError> {
        self.inner
            .record_capture(payment, event, at, receipt_token)
            .await
    }

    async fn use_nonce(
        &self,
        key: &NonceKey,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.inner.use_nonce(key, until, now).await
    }

    async fn expire(
        &self,
        reference: &PaymentRef,
        now: DateTime<Utc>,
    ) -> Result<Settled, StoreError> {
        self.inner.expire(reference, now).await
    }

    async fn receipt(&self, id: &ReceiptId) -> Result<Option<Receipt>, StoreError> {
        self.inner.receipt(id).await
    }

    async fn receipts_issued(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        school: Option<&SchoolId>,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.inner.receipts_issued(from, to, school).await
    }

    async fn pending_created_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        self.inner.pending_created_before(before, limit).await
    }

    async fn unpaid_expired_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Payment>, StoreError> {
        self.inner.unpaid_expired_between(from, to, limit).await
    }

    async fn note_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        self.inner.note_failed_lookup(counter, now, window).await
    }

    async fn forgive_failed_lookup(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner.forgive_failed_lookup(counter, now).await
    }

    async fn failed_lookups(
        &self,
        counter: &FailureCounter,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.inner.failed_lookups(counter, now).await
    }

    async fn rekey_lookup(
        &self,
        student: &StudentCode,
        from: &LookupDigest,
        to: &LookupDigest,
    ) -> Result<bool, StoreError> {
        self.inner.rekey_lookup(student, from, to).await
    }

    async fn students(
        &self,
        from: Option<&PageToken>,
        limit: usize,
    ) -> Result<StudentPage, StoreError> {
        self.inner.students(from, limit).await
    }

    async fn begin_request(
        &self,
        key: &IdempotencyKey,
        fingerprint: Fingerprint,
        claim: &Claim,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.inner
            .begin_request(key, fingerprint, claim, now, lease)
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
        if self.fail_next_complete.swap(false, Ordering::SeqCst) {
            return Err(StoreError::unavailable(Injected));
        }
        self.inner
            .complete_request(key, token, response, now, keep)
            .await
    }

    async fn release_request(
        &self,
        key: &IdempotencyKey,
        token: &LeaseToken,
    ) -> Result<(), StoreError> {
        self.inner.release_request(key, token).await
    }
}
