//! The conformance suite: what every adapter of the `Store` port must do, written once.
//!
//! Each behaviour is an async function over a [`Harness`] (a fresh, empty store plus the fault
//! hook the suite needs). [`conformance_tests!`](crate::conformance_tests) turns every behaviour
//! into a named `#[tokio::test]` for one adapter ([`conformance_trials!`](crate::conformance_trials)
//! into trials of a binary that may report them skipped), so the SQLite and DynamoDB adapters run exactly
//! the same checks. Races use real concurrency: tasks on a multi-threaded runtime.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cloned_ref_to_slice_refs
)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hocphi_domain::{
    Action, Actor, AuditEvent, CatalogueItem, CatalogueOutcome, Claim, ClientSource,
    ConflictReason, CreatePaymentError, FailureCounter, Fingerprint, GatewayCode, GatewayEvent,
    GatewayKind, GatewayTxnNo, IdempotencyBegin, IdempotencyKey, Invoice, InvoiceId, InvoiceStatus,
    Label, LeaseToken, LineRef, LookupCode, LookupDigest, Mismatch, Money, NonceKey, PartnerId,
    PayeeId, Payment, PaymentRef, PaymentStatus, ReceiptId, ReceiptToken, Rule, School, SchoolId,
    Settled, Store, StoredResponse, Student, StudentCode, Subject, UpsertOutcome, VoidOutcome,
};
use hocphi_domain::{ItemCode, LineKind, Unit};
use tokio::task::JoinSet;

mod privacy;
pub use privacy::*;

/// A fresh, empty store of one adapter, and the hooks the suite needs.
pub trait Harness: Send + Sync + 'static {
    type Store: Store + Clone + 'static;

    /// The store under test.
    fn store(&self) -> &Self::Store;

    /// Makes the next settle or recorded capture that pays fail after part of its work, as a
    /// crash would.
    fn break_next_settle(&self);

    /// Makes the next audit event appended reuse its subject's last number, as a writer that
    /// appended first would make it.
    fn collide_next_event(&self);
}

/// Instantiates every behaviour of the suite as a named `#[tokio::test]`. `$make` is an
/// expression that evaluates to a future yielding a fresh [`Harness`].
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::__conformance_each!(tests[$make]);
    };
}

/// Every behaviour of the suite as a [`Trial`](hocphi_fixtures::harness::Trial) for a binary
/// with its own harness (`harness = false`): reported ignored when `$skip` (an `Option<&str>`)
/// says why the adapter cannot run here.
#[macro_export]
macro_rules! conformance_trials {
    ($make:expr, $skip:expr) => {
        $crate::__conformance_each!(trials [$make, $skip])
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_each {
    ($mode:ident [$($args:tt)*]) => {
        $crate::__conformance_each! { @each $mode [$($args)*];
            a_school_and_a_student_read_back_as_written,
            a_schools_payee_and_a_payments_payee_are_kept_through_every_change,
            a_new_invoice_is_stored_open_at_version_one,
            upserting_the_same_invoice_again_changes_nothing,
            upserting_new_content_updates_an_open_invoice_and_bumps_its_version,
            a_paid_invoice_is_never_altered_by_an_upsert,
            an_invoice_held_by_a_live_payment_is_not_altered,
            an_invoice_is_never_moved_to_another_student_or_school,
            open_invoices_are_the_students_own_by_due_date,
            a_payment_holds_its_invoices_against_a_second_payment,
            a_payment_for_a_missing_or_closed_invoice_is_refused_with_the_reason,
            a_payment_whose_amount_disagrees_with_its_invoices_is_refused,
            kinds_of_lines_voluntary_choices_and_a_schools_commune_read_back_as_written,
            a_voluntary_choice_that_no_longer_prices_the_payment_is_refused_or_refund_due,
            a_payment_reference_cannot_be_used_twice,
            two_payments_racing_for_one_invoice_let_exactly_one_win,
            an_edit_racing_a_new_payment_never_erases_its_hold,
            an_expired_hold_no_longer_blocks_a_new_payment,
            a_capture_pays_the_invoices_and_issues_receipt_number_one,
            settling_again_reports_the_first_outcome_and_changes_nothing,
            two_settles_racing_issue_exactly_one_receipt,
            twenty_identical_captures_at_once_issue_one_receipt,
            receipt_numbers_are_consecutive_per_school_year_under_concurrency,
            a_decline_fails_the_payment_and_frees_its_invoices,
            a_late_capture_after_a_failure_still_pays_open_invoices,
            a_late_capture_for_invoices_paid_elsewhere_is_marked_refund_due,
            a_late_capture_for_an_invoice_reissued_at_another_amount_is_marked_refund_due,
            a_late_failure_after_success_changes_nothing,
            a_transfer_of_another_amount_is_recorded_and_frees_the_invoices,
            the_same_mismatched_transfer_again_is_not_recorded_twice,
            two_different_mismatched_transfers_are_both_recorded,
            a_failed_or_expired_payment_receiving_another_amount_becomes_mismatched,
            a_paid_payment_receiving_another_amount_stays_paid_with_the_transfer_recorded,
            an_exact_transfer_after_a_mismatched_one_settles_as_a_late_capture,
            an_exact_transfer_after_a_mismatch_for_invoices_paid_meanwhile_is_refund_due,
            twenty_identical_mismatched_transfers_at_once_record_one,
            a_mismatched_transfer_racing_the_exact_capture_loses_neither,
            settling_an_unknown_payment_says_so,
            a_settle_that_fails_half_way_leaves_nothing_changed,
            expiry_applies_only_to_pending_payments_past_their_time,
            pending_payments_created_before_a_time_are_listed_newest_first,
            failed_lookups_are_counted_within_a_window_and_forgotten_after,
            a_forgiven_failure_is_taken_back_once_and_never_below_zero,
            each_failure_counter_counts_on_its_own,
            failures_noted_at_once_are_each_counted,
            a_lookup_digest_is_replaced_only_while_it_is_the_one_read,
            two_rekeys_racing_from_one_digest_let_exactly_one_win,
            every_student_is_listed_once_page_by_page,
            a_completed_request_replays_its_stored_response,
            the_same_key_with_a_different_payload_is_refused,
            a_live_lease_blocks_a_second_runner_and_an_expired_one_is_taken_over,
            a_released_request_can_run_again,
            a_run_taking_over_a_lapsed_lease_inherits_its_payment_only_for_the_same_request,
            a_run_whose_lease_lapsed_cannot_release_or_complete_its_successors_lease,
            a_payment_settles_only_by_events_of_its_own_channel,
            payments_that_ended_unpaid_are_listed_by_expiry_within_a_window,
            voiding_cancels_an_open_invoice_and_never_a_paid_one,
            receipts_are_listed_by_issue_time_for_one_school_or_all,
            a_partners_capture_pays_its_invoices_and_numbers_its_receipt_in_the_schools_sequence,
            a_repeated_capture_changes_nothing_and_answers_the_first_state,
            twenty_identical_captures_recorded_at_once_store_one_payment_and_one_receipt,
            a_capture_for_invoices_that_can_no_longer_be_paid_by_it_is_refund_due_and_changes_nothing_else,
            a_capture_covering_no_invoice_is_stored_refund_due_with_no_receipt,
            a_capture_pays_invoices_held_by_a_live_payment_whose_own_capture_is_then_refund_due,
            a_capture_of_another_amount_is_stored_mismatched_once,
            a_capture_whose_receipt_cannot_be_written_leaves_nothing,
            only_a_pending_payment_and_its_capture_can_be_recorded,
            a_nonce_is_accepted_once_until_its_end_and_again_after,
            the_same_nonce_of_two_partners_is_two_nonces,
            twenty_uses_of_one_nonce_at_once_let_exactly_one_through,
            a_catalogue_entry_is_created_then_unchanged_then_updated,
            the_catalogue_lists_entries_by_code_the_provinces_before_the_schools,
            twenty_writers_of_one_new_catalogue_entry_create_it_once,
            every_school_is_listed_by_id_with_its_commune,
            a_schools_invoices_due_in_a_period_are_listed_page_by_page_whatever_their_status,
            payments_with_money_to_give_back_are_listed_by_creation_time,
            a_students_records_are_everything_the_store_holds_about_them,
            erasing_a_student_deletes_what_nothing_keeps_and_pseudonymises_what_accounting_keeps,
            erasing_a_student_is_refused_while_a_payment_is_pending,
            retention_removes_the_names_of_payments_that_ended_unpaid_past_their_period,
            retention_drops_closed_lookup_windows_and_ended_records,
            every_change_of_an_invoice_appends_one_event_in_order,
            saving_a_school_or_a_student_records_it_once_per_change,
            two_writers_racing_on_one_subject_each_append_under_their_own_number,
            a_paid_payment_records_who_created_and_settled_it_and_its_invoices_payment,
            twenty_identical_callbacks_at_once_record_one_settle_event,
            each_outcome_names_the_rule_that_decided_it,
            a_partners_capture_records_its_creation_and_outcome_by_the_partner,
            a_change_whose_event_cannot_be_appended_leaves_neither,
            a_settle_that_fails_half_way_records_no_event,
        }
    };
    (@each tests [$make:expr]; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let harness = $make.await;
                $crate::conformance::$name(&harness).await;
            }
        )*
    };
    (@each trials [$make:expr, $skip:expr]; $($name:ident),* $(,)?) => {
        vec![$(
            $crate::conformance::fixtures::harness::trial(stringify!($name), $skip, || async {
                let harness = $make.await;
                $crate::conformance::$name(&harness).await;
            })
        ),*]
    };
}

// ----- fixtures ---------------------------------------------------------------------------

pub use hocphi_fixtures as fixtures;
use hocphi_fixtures::{InvoiceFixture, SCHOOL, STUDENT};

const OTHER_SCHOOL: &str = "BD-THPT-QT";
const OTHER_STUDENT: &str = "HS0002";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap()
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

fn school(id: &str) -> School {
    fixtures::school(id, fixtures::SCHOOL_NAME)
}

fn student(code: &str) -> Student {
    fixtures::student(code, SCHOOL, fixtures::STUDENT_NAME, fixtures::LOOKUP_CODE)
}

fn invoice_for(id: &str, student: &str, school: &str, year: u16, amounts: &[u64]) -> Invoice {
    let items: Vec<(&str, u64)> = amounts.iter().map(|a| ("Học phí", *a)).collect();
    InvoiceFixture {
        student,
        school,
        year,
        ..InvoiceFixture::new(id, &items)
    }
    .build()
}

fn invoice(id: &str, amounts: &[u64]) -> Invoice {
    invoice_for(id, STUDENT, SCHOOL, 2025, amounts)
}

/// The suite's payments are VNPay's.
const VNPAY: GatewayKind = GatewayKind::Vnpay;

fn reference(n: u32) -> PaymentRef {
    PaymentRef::parse(&format!("HP{n:010}")).unwrap()
}

fn open_payment(n: u32, invoices: &[Invoice], now: DateTime<Utc>) -> Payment {
    Payment::open(reference(n), invoices, &[], VNPAY, now, minutes(15)).unwrap()
}

fn paid(txn: &str, payment: &Payment) -> GatewayEvent {
    GatewayEvent::Paid {
        txn: GatewayTxnNo::parse(txn).unwrap(),
        amount: payment.amount,
    }
}

fn declined(code: &str) -> GatewayEvent {
    GatewayEvent::Declined {
        txn: None,
        code: GatewayCode::parse(code).unwrap(),
    }
}

fn token(n: u8) -> ReceiptToken {
    ReceiptToken::from_entropy([n; 16])
}

fn reason() -> Label {
    Label::parse("Học sinh chuyển trường").unwrap()
}

fn operator() -> Actor {
    Actor::operator(Label::parse("ketoan01").unwrap())
}

fn channel() -> Actor {
    Actor::Channel { gateway: VNPAY }
}

fn bank() -> Actor {
    Actor::Partner {
        partner: partner("BANKDEMO"),
    }
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).unwrap()
}

async fn seed<S: Store>(store: &S, invoices: &[Invoice]) {
    store
        .upsert_school(&school(SCHOOL), t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_school(&school(OTHER_SCHOOL), t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_student(&student(STUDENT), t0(), &operator())
        .await
        .unwrap();
    for invoice in invoices {
        assert_eq!(
            store
                .upsert_invoice(invoice, t0(), &operator())
                .await
                .unwrap(),
            UpsertOutcome::Created,
            "seeding {}",
            invoice.id
        );
    }
}

async fn status_of<S: Store>(store: &S, id: &InvoiceId) -> InvoiceStatus {
    store.invoice(id).await.unwrap().unwrap().status
}

async fn create<S: Store>(store: &S, payment: &Payment) {
    store
        .create_payment(payment, payment.created_at, &Actor::Parent)
        .await
        .unwrap();
}

/// Settles one of the suite's (VNPay) payments with `event` at `at`, with receipt token `n`.
async fn settle_vnpay<S: Store>(
    store: &S,
    payment: &Payment,
    event: &GatewayEvent,
    at: DateTime<Utc>,
    n: u8,
) -> Settled {
    store
        .settle(&payment.reference, VNPAY, event, at, &token(n), &channel())
        .await
        .unwrap()
}

fn applied(outcome: Settled) -> hocphi_domain::PaymentState {
    match outcome {
        Settled::Applied(state) => state,
        other => panic!("expected Applied, got {other:?}"),
    }
}

// ----- schools, students, invoices ---------------------------------------------------------

pub async fn a_school_and_a_student_read_back_as_written<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;

    let read_school = store
        .school(&SchoolId::parse(SCHOOL).unwrap())
        .await
        .unwrap();
    let read_student = store
        .student(&StudentCode::parse(STUDENT).unwrap())
        .await
        .unwrap();

    assert_eq!(read_school, Some(school(SCHOOL)));
    assert_eq!(read_student, Some(student(STUDENT)));
    let unknown = StudentCode::parse("HS9999").unwrap();
    assert_eq!(store.student(&unknown).await.unwrap(), None);
}

pub async fn a_schools_payee_and_a_payments_payee_are_kept_through_every_change<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;
    let payee = PayeeId::parse("BD-THCS-NGOQUYEN").unwrap();
    let with_payee = School {
        payee: Some(payee.clone()),
        ..school(SCHOOL)
    };
    store
        .upsert_school(&with_payee, t0(), &operator())
        .await
        .unwrap();
    let payment = Payment {
        payee: Some(payee.clone()),
        ..Payment::open(
            reference(1),
            &[inv],
            &[],
            GatewayKind::Payos,
            t0(),
            minutes(15),
        )
        .unwrap()
    };
    create(store, &payment).await;

    let settled = applied(
        store
            .settle(
                &payment.reference,
                GatewayKind::Payos,
                &paid("FT26339000000001", &payment),
                t0() + minutes(2),
                &token(1),
                &channel(),
            )
            .await
            .unwrap(),
    );

    let school_id = SchoolId::parse(SCHOOL).unwrap();
    assert_eq!(store.school(&school_id).await.unwrap(), Some(with_payee));
    assert_eq!(settled.payment.payee, Some(payee.clone()));
    let read = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(read.payee, Some(payee));
    assert_eq!(read.gateway, GatewayKind::Payos);
    assert_eq!(read.status, PaymentStatus::Succeeded);
    let without = school(SCHOOL);
    store
        .upsert_school(&without, t0(), &operator())
        .await
        .unwrap();
    assert_eq!(store.school(&school_id).await.unwrap().unwrap().payee, None);
    assert_eq!(
        store
            .payment(&payment.reference)
            .await
            .unwrap()
            .unwrap()
            .payee,
        read.payee,
        "a payment keeps the payee it was opened with"
    );
}

pub async fn a_new_invoice_is_stored_open_at_version_one<H: Harness>(h: &H) {
    let store = h.store();
    let mut inv = invoice("INV-1", &[1_500_000, 200_000]);
    inv.status = InvoiceStatus::Paid;

    seed(store, &[inv.clone()]).await;

    let stored = store.invoice(&inv.id).await.unwrap().unwrap();
    assert_eq!(stored.status, InvoiceStatus::Open);
    assert_eq!(stored.version, 1);
    assert!(stored.same_content(&inv));
    assert_eq!(stored.total().vnd(), 1_700_000);
}

pub async fn upserting_the_same_invoice_again_changes_nothing<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;

    let again = store.upsert_invoice(&inv, t0(), &operator()).await.unwrap();

    assert_eq!(again, UpsertOutcome::Unchanged);
    assert_eq!(store.invoice(&inv.id).await.unwrap().unwrap().version, 1);
}

pub async fn upserting_new_content_updates_an_open_invoice_and_bumps_its_version<H: Harness>(
    h: &H,
) {
    let store = h.store();
    seed(store, &[invoice("INV-1", &[1_500_000])]).await;
    let changed = invoice("INV-1", &[1_400_000]);

    let outcome = store
        .upsert_invoice(&changed, t0(), &operator())
        .await
        .unwrap();

    assert_eq!(outcome, UpsertOutcome::Updated);
    let stored = store.invoice(&changed.id).await.unwrap().unwrap();
    assert_eq!(stored.total().vnd(), 1_400_000);
    assert_eq!(stored.version, 2);
}

pub async fn a_paid_invoice_is_never_altered_by_an_upsert<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);

    let outcome = store
        .upsert_invoice(&invoice("INV-1", &[1]), t0(), &operator())
        .await
        .unwrap();

    assert_eq!(outcome, UpsertOutcome::RefusedPaid);
    let stored = store.invoice(&inv.id).await.unwrap().unwrap();
    assert_eq!(stored.total().vnd(), 1_500_000);
    assert_eq!(stored.status, InvoiceStatus::Paid);
}

pub async fn an_invoice_held_by_a_live_payment_is_not_altered<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;
    create(store, &open_payment(1, &[inv.clone()], t0())).await;

    let during = store
        .upsert_invoice(&invoice("INV-1", &[1_000]), t0() + minutes(5), &operator())
        .await;
    let after = store
        .upsert_invoice(&invoice("INV-1", &[1_000]), t0() + minutes(16), &operator())
        .await;

    assert_eq!(during.unwrap(), UpsertOutcome::RefusedHeld);
    assert_eq!(after.unwrap(), UpsertOutcome::Updated);
}

pub async fn an_invoice_is_never_moved_to_another_student_or_school<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;
    let cases = [
        invoice_for("INV-1", OTHER_STUDENT, SCHOOL, 2025, &[1_500_000]),
        invoice_for("INV-1", STUDENT, OTHER_SCHOOL, 2025, &[900_000]),
    ];

    for taker in cases {
        let outcome = store
            .upsert_invoice(&taker, t0(), &operator())
            .await
            .unwrap();

        assert_eq!(outcome, UpsertOutcome::RefusedOtherOwner, "{taker:?}");
    }
    let stored = store.invoice(&inv.id).await.unwrap().unwrap();
    assert!(stored.same_owner(&inv) && stored.same_content(&inv));
    assert_eq!(stored.version, 1);
}

pub async fn open_invoices_are_the_students_own_by_due_date<H: Harness>(h: &H) {
    let store = h.store();
    let mut late = invoice("INV-B", &[100_000]);
    late.due_date = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let mut early = invoice("INV-C", &[200_000]);
    early.due_date = NaiveDate::from_ymd_opt(2025, 9, 30).unwrap();
    let other = invoice_for("INV-A", OTHER_STUDENT, SCHOOL, 2025, &[300_000]);
    let voided = invoice("INV-D", &[400_000]);
    seed(store, &[late, early, other, voided.clone()]).await;
    store
        .void_invoice(&voided.id, &reason(), t0(), &operator())
        .await
        .unwrap();

    let open = store
        .open_invoices(&StudentCode::parse(STUDENT).unwrap())
        .await
        .unwrap();

    let ids: Vec<_> = open.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["INV-C", "INV-B"]);
}

// ----- creating payments -------------------------------------------------------------------

pub async fn a_payment_holds_its_invoices_against_a_second_payment<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[200_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    create(store, &open_payment(1, &[a.clone()], t0())).await;

    let second = open_payment(2, &[b.clone(), a.clone()], t0() + minutes(1));
    let refused = store
        .create_payment(&second, second.created_at, &Actor::Parent)
        .await;

    match refused {
        Err(CreatePaymentError::Conflict { invoice, reason }) => {
            assert_eq!(invoice, a.id);
            assert_eq!(reason, ConflictReason::Held);
        }
        other => panic!("expected a Held conflict, got {other:?}"),
    }
    assert_eq!(store.payment(&second.reference).await.unwrap(), None);
    let alone = open_payment(3, &[b], t0() + minutes(1));
    store
        .create_payment(&alone, alone.created_at, &Actor::Parent)
        .await
        .unwrap();
}

pub async fn a_payment_for_a_missing_or_closed_invoice_is_refused_with_the_reason<H: Harness>(
    h: &H,
) {
    let store = h.store();
    let (open, voided) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[open.clone(), voided.clone()]).await;
    store
        .void_invoice(&voided.id, &reason(), t0(), &operator())
        .await
        .unwrap();
    let missing = invoice("INV-404", &[100_000]);
    let foreign = invoice_for("INV-9", OTHER_STUDENT, SCHOOL, 2025, &[100_000]);
    store
        .upsert_invoice(&foreign, t0(), &operator())
        .await
        .unwrap();
    let mut foreign_claimed = foreign.clone();
    foreign_claimed.student = StudentCode::parse(STUDENT).unwrap();

    let cases = [
        (missing, ConflictReason::Missing),
        (voided, ConflictReason::NotOpen),
        (foreign_claimed, ConflictReason::Changed),
    ];
    for (n, (bad, reason)) in (1..).zip(cases) {
        let payment = open_payment(n, &[open.clone(), bad.clone()], t0());
        match store.create_payment(&payment, t0(), &Actor::Parent).await {
            Err(CreatePaymentError::Conflict {
                invoice,
                reason: got,
            }) => {
                assert_eq!((invoice, got), (bad.id.clone(), reason), "case {n}");
            }
            other => panic!("case {n}: expected a conflict, got {other:?}"),
        }
    }
    let retry = open_payment(9, &[open], t0());
    store
        .create_payment(&retry, t0(), &Actor::Parent)
        .await
        .unwrap();
}

pub async fn a_payment_whose_amount_disagrees_with_its_invoices_is_refused<H: Harness>(h: &H) {
    let store = h.store();
    let stale = invoice("INV-1", &[100_000]);
    seed(store, &[stale.clone()]).await;
    store
        .upsert_invoice(&invoice("INV-1", &[120_000]), t0(), &operator())
        .await
        .unwrap();

    let payment = open_payment(1, &[stale.clone()], t0());
    let outcome = store.create_payment(&payment, t0(), &Actor::Parent).await;

    assert!(
        matches!(
            outcome,
            Err(CreatePaymentError::Conflict {
                reason: ConflictReason::Changed,
                ..
            })
        ),
        "{outcome:?}"
    );
}

pub async fn kinds_of_lines_voluntary_choices_and_a_schools_commune_read_back_as_written<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let public = InvoiceFixture::new("INV-1", &[]).build_with(fixtures::public_school_lines());
    seed(store, &[public.clone()]).await;
    let ward = School {
        commune: Some(Label::parse("Phường Quy Nhơn Nam").unwrap()),
        ..school(OTHER_SCHOOL)
    };
    store.upsert_school(&ward, t0(), &operator()).await.unwrap();
    let chosen = [LineRef {
        invoice: public.id.clone(),
        line: 3,
    }];
    let payment = Payment::open(
        reference(1),
        &[public.clone()],
        &chosen,
        VNPAY,
        t0(),
        minutes(15),
    )
    .unwrap();
    create(store, &payment).await;

    let read_invoice = store.invoice(&public.id).await.unwrap().unwrap();
    let read_payment = store.payment(&reference(1)).await.unwrap().unwrap();
    let state = applied(settle_vnpay(store, &payment, &paid("14000001", &payment), t0(), 1).await);

    assert_eq!(read_invoice.items(), public.items());
    assert_eq!(read_payment, payment);
    assert_eq!(read_payment.amount.vnd(), 1_709_520);
    assert_eq!(
        store.school(&ward.id).await.unwrap().unwrap().commune,
        ward.commune
    );
    let receipt = state.receipt.unwrap();
    assert_eq!(
        store.receipt(&receipt.id).await.unwrap().as_ref(),
        Some(&receipt)
    );
    let lines: Vec<_> = receipt
        .lines
        .iter()
        .map(|l| (l.kind, l.item.clone(), l.pricing, l.beneficiary.clone()))
        .collect();
    let expected: Vec<_> = public
        .items()
        .iter()
        .map(|l| (l.kind, l.item.clone(), l.pricing, l.beneficiary.clone()))
        .collect();
    assert_eq!(lines, expected);
    assert_eq!(receipt.total, payment.amount);
}

pub async fn a_voluntary_choice_that_no_longer_prices_the_payment_is_refused_or_refund_due<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (first, second) = (
        InvoiceFixture::new("INV-1", &[]).build_with(fixtures::public_school_lines()),
        InvoiceFixture::new("INV-2", &[]).build_with(fixtures::public_school_lines()),
    );
    seed(store, &[first.clone(), second.clone()]).await;
    let choose = |invoice: &Invoice, line| {
        [LineRef {
            invoice: invoice.id.clone(),
            line,
        }]
    };
    let mut mandatory = Payment::open(
        reference(1),
        &[first.clone()],
        &choose(&first, 3),
        VNPAY,
        t0(),
        minutes(15),
    )
    .unwrap();
    mandatory.voluntary = choose(&first, 1).to_vec();

    let refused = store.create_payment(&mandatory, t0(), &Actor::Parent).await;

    assert!(
        matches!(
            refused,
            Err(CreatePaymentError::Conflict {
                reason: ConflictReason::Changed,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(store.payment(&reference(1)).await.unwrap(), None);

    let payment = Payment::open(
        reference(2),
        &[second.clone()],
        &choose(&second, 3),
        VNPAY,
        t0(),
        minutes(15),
    )
    .unwrap();
    create(store, &payment).await;
    store
        .expire(&payment.reference, t0() + minutes(16), &Actor::Sweeper)
        .await
        .unwrap();
    let mut lines = fixtures::public_school_lines();
    lines.truncate(3);
    let without = InvoiceFixture::new("INV-2", &[]).build_with(lines);
    assert_eq!(
        store
            .upsert_invoice(&without, t0() + minutes(17), &operator())
            .await
            .unwrap(),
        UpsertOutcome::Updated
    );

    let late = settle_vnpay(
        store,
        &payment,
        &paid("14000002", &payment),
        t0() + minutes(18),
        2,
    )
    .await;

    let state = applied(late);
    assert_eq!(state.payment.status, PaymentStatus::RefundDue);
    assert_eq!(state.receipt, None);
    assert_eq!(
        store.invoice(&second.id).await.unwrap().unwrap().status,
        InvoiceStatus::Open
    );
}

pub async fn a_payment_reference_cannot_be_used_twice<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    create(store, &open_payment(1, &[a], t0())).await;

    let reused = open_payment(1, &[b.clone()], t0());
    let outcome = store.create_payment(&reused, t0(), &Actor::Parent).await;

    assert!(
        matches!(outcome, Err(CreatePaymentError::DuplicateReference)),
        "{outcome:?}"
    );
    let unchanged = store.payment(&reference(1)).await.unwrap().unwrap();
    assert_eq!(unchanged.invoices, [InvoiceId::parse("INV-1").unwrap()]);
}

pub async fn two_payments_racing_for_one_invoice_let_exactly_one_win<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    for round in 0..5u32 {
        let at = t0() + minutes(20 * i64::from(round));
        let (p, q) = (
            open_payment(round * 2 + 1, &[inv.clone()], at),
            open_payment(round * 2 + 2, &[inv.clone()], at),
        );

        let (first, second) = tokio::join!(
            store.create_payment(&p, at, &Actor::Parent),
            store.create_payment(&q, at, &Actor::Parent)
        );

        let winners = [&first, &second].iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {first:?} / {second:?}");
        let loser = if first.is_ok() { second } else { first };
        assert!(
            matches!(
                loser,
                Err(CreatePaymentError::Conflict {
                    reason: ConflictReason::Held,
                    ..
                })
            ),
            "round {round}: {loser:?}"
        );
    }
}

pub async fn an_edit_racing_a_new_payment_never_erases_its_hold<H: Harness>(h: &H) {
    let store = h.store();
    for round in 0..24u32 {
        let id = format!("INV-{round}");
        let inv = invoice(&id, &[1_500_000]);
        seed(store, &[inv.clone()]).await;
        let payment = open_payment(round + 1, &[inv.clone()], t0());
        let edit = invoice(&id, &[2_000_000]);
        let edit_later = std::time::Duration::from_micros(u64::from(round) * 400);

        let (created, edited) = tokio::join!(
            store.create_payment(&payment, t0(), &Actor::Parent),
            async {
                tokio::time::sleep(edit_later).await;
                store.upsert_invoice(&edit, t0(), &operator()).await
            }
        );

        let stored = store.invoice(&inv.id).await.unwrap().unwrap();
        let edited = edited.unwrap();
        if created.is_ok() {
            assert_eq!(edited, UpsertOutcome::RefusedHeld, "round {round}");
            assert_eq!(stored.total(), payment.amount, "round {round}");
            let again = store
                .upsert_invoice(&edit, t0() + minutes(1), &operator())
                .await;
            assert_eq!(again.unwrap(), UpsertOutcome::RefusedHeld, "round {round}");
        } else {
            assert_eq!(edited, UpsertOutcome::Updated, "round {round}: {created:?}");
            assert_eq!(stored.total().vnd(), 2_000_000, "round {round}");
        }
    }
}

pub async fn an_expired_hold_no_longer_blocks_a_new_payment<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    create(store, &open_payment(1, &[inv.clone()], t0())).await;

    let at_expiry = open_payment(2, &[inv.clone()], t0() + minutes(15));
    let outcome = store
        .create_payment(&at_expiry, at_expiry.created_at, &Actor::Parent)
        .await;

    outcome.unwrap();
}

// ----- settling ----------------------------------------------------------------------------

pub async fn a_capture_pays_the_invoices_and_issues_receipt_number_one<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (
        invoice("INV-1", &[1_500_000, 50_000]),
        invoice("INV-2", &[200_000]),
    );
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = open_payment(1, &[a.clone(), b.clone()], t0());
    create(store, &payment).await;

    let state = applied(
        settle_vnpay(
            store,
            &payment,
            &paid("14226112", &payment),
            t0() + minutes(2),
            7,
        )
        .await,
    );

    assert_eq!(state.payment.status, PaymentStatus::Succeeded);
    assert_eq!(
        state.payment.gateway_txn,
        Some(GatewayTxnNo::parse("14226112").unwrap())
    );
    let receipt = state.receipt.expect("a receipt");
    assert_eq!(receipt.number.sequence, 1);
    assert_eq!(receipt.total.vnd(), 1_750_000);
    assert_eq!(
        receipt.amount_in_words,
        "Một triệu bảy trăm năm mươi nghìn đồng"
    );
    assert_eq!(receipt.lines.len(), 3);
    assert_eq!(receipt.token, token(7));
    assert_eq!(
        store.receipt(&receipt.id).await.unwrap(),
        Some(receipt.clone())
    );
    for id in [&a.id, &b.id] {
        assert_eq!(status_of(store, id).await, InvoiceStatus::Paid, "{id}");
    }
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored, state.payment);
}

pub async fn settling_again_reports_the_first_outcome_and_changes_nothing<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let first = applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);

    let again = settle_vnpay(store, &payment, &paid("T1", &payment), t0() + minutes(5), 2).await;

    assert_eq!(again, Settled::AlreadyFinal(first.clone()));
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(first.payment)
    );
}

pub async fn two_settles_racing_issue_exactly_one_receipt<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let (event, one, two) = (paid("T1", &payment), token(1), token(2));

    let by = channel();
    let (x, y) = tokio::join!(
        store.settle(&payment.reference, VNPAY, &event, t0(), &one, &by),
        store.settle(&payment.reference, VNPAY, &event, t0(), &two, &by),
    );

    let (x, y) = (x.unwrap(), y.unwrap());
    let applied_count = [&x, &y]
        .iter()
        .filter(|s| matches!(s, Settled::Applied(_)))
        .count();
    let final_count = [&x, &y]
        .iter()
        .filter(|s| matches!(s, Settled::AlreadyFinal(_)))
        .count();
    assert_eq!((applied_count, final_count), (1, 1), "{x:?} / {y:?}");
    let receipt = store
        .receipt(&ReceiptId::for_payment(&payment.reference))
        .await
        .unwrap();
    assert_eq!(receipt.unwrap().number.sequence, 1);
}

pub async fn twenty_identical_captures_at_once_issue_one_receipt<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let mut tasks = JoinSet::new();
    for n in 0..20u8 {
        let (store, payment) = (store.clone(), payment.clone());
        tasks.spawn(async move {
            store
                .settle(
                    &payment.reference,
                    VNPAY,
                    &paid("T1", &payment),
                    t0(),
                    &token(n),
                    &channel(),
                )
                .await
                .unwrap()
        });
    }

    let outcomes = tasks.join_all().await;

    let applied_count = outcomes
        .iter()
        .filter(|s| matches!(s, Settled::Applied(_)))
        .count();
    assert_eq!(applied_count, 1);
    let receipts: Vec<_> = outcomes
        .iter()
        .filter_map(|s| match s {
            Settled::Applied(state) | Settled::AlreadyFinal(state) => state.receipt.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(receipts.len(), 20);
    assert!(
        receipts.iter().all(|r| *r == receipts[0]),
        "every caller sees the same receipt"
    );
    let next = invoice("INV-2", &[100_000]);
    store
        .upsert_invoice(&next, t0(), &operator())
        .await
        .unwrap();
    let p2 = open_payment(2, &[next], t0());
    create(store, &p2).await;
    let state = applied(
        store
            .settle(
                &p2.reference,
                VNPAY,
                &paid("T2", &p2),
                t0(),
                &token(99),
                &channel(),
            )
            .await
            .unwrap(),
    );
    assert_eq!(
        state.receipt.unwrap().number.sequence,
        2,
        "no number was consumed twice"
    );
}

pub async fn receipt_numbers_are_consecutive_per_school_year_under_concurrency<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;
    let mut payments = Vec::new();
    for n in 0..12u32 {
        let (school, year) = match n % 3 {
            0 | 1 => (SCHOOL, 2025),
            _ => (OTHER_SCHOOL, 2025),
        };
        let year = if n == 11 { 2026 } else { year };
        let inv = invoice_for(
            &format!("INV-{n}"),
            STUDENT,
            school,
            year,
            &[10_000 + u64::from(n)],
        );
        store.upsert_invoice(&inv, t0(), &operator()).await.unwrap();
        let payment = open_payment(n, &[inv], t0());
        create(store, &payment).await;
        payments.push(payment);
    }
    let mut tasks = JoinSet::new();
    for payment in payments.clone() {
        let store = store.clone();
        tasks.spawn(async move {
            applied(settle_vnpay(&store, &payment, &paid("T", &payment), t0(), 1).await)
        });
    }

    let states = tasks.join_all().await;

    let mut by_sequence: std::collections::BTreeMap<(String, u16), Vec<u32>> = Default::default();
    for state in states {
        let number = state.receipt.unwrap().number;
        let school = state.payment.school.to_string();
        by_sequence
            .entry((school, number.school_year.first_year()))
            .or_default()
            .push(number.sequence);
    }
    for sequences in by_sequence.values_mut() {
        sequences.sort_unstable();
    }
    let expected: std::collections::BTreeMap<(String, u16), Vec<u32>> = [
        ((SCHOOL.to_owned(), 2025), (1..=8).collect()),
        ((OTHER_SCHOOL.to_owned(), 2025), (1..=3).collect()),
        ((OTHER_SCHOOL.to_owned(), 2026), vec![1]),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_sequence, expected);
}

pub async fn a_decline_fails_the_payment_and_frees_its_invoices<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;

    let state = applied(
        store
            .settle(
                &payment.reference,
                VNPAY,
                &declined("24"),
                t0(),
                &token(1),
                &channel(),
            )
            .await
            .unwrap(),
    );

    assert_eq!(state.payment.status, PaymentStatus::Failed);
    assert_eq!(
        state.payment.failure_code,
        Some(GatewayCode::parse("24").unwrap())
    );
    assert_eq!(state.receipt, None);
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    let retry = open_payment(2, &[inv], t0() + minutes(1));
    store
        .create_payment(&retry, retry.created_at, &Actor::Parent)
        .await
        .unwrap();
}

pub async fn a_late_capture_after_a_failure_still_pays_open_invoices<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    applied(
        store
            .settle(
                &payment.reference,
                VNPAY,
                &declined("07"),
                t0(),
                &token(1),
                &channel(),
            )
            .await
            .unwrap(),
    );

    let state = applied(
        settle_vnpay(
            store,
            &payment,
            &paid("T1", &payment),
            t0() + minutes(40),
            2,
        )
        .await,
    );

    assert_eq!(state.payment.status, PaymentStatus::Succeeded);
    assert_eq!(state.receipt.unwrap().number.sequence, 1);
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Paid);
}

pub async fn a_late_capture_for_invoices_paid_elsewhere_is_marked_refund_due<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let first = open_payment(1, &[inv.clone()], t0());
    create(store, &first).await;
    applied(
        store
            .expire(&first.reference, t0() + minutes(16), &Actor::Sweeper)
            .await
            .unwrap(),
    );
    let second = open_payment(2, &[inv.clone()], t0() + minutes(17));
    create(store, &second).await;
    applied(settle_vnpay(store, &second, &paid("T2", &second), t0() + minutes(18), 2).await);

    let late =
        applied(settle_vnpay(store, &first, &paid("T1", &first), t0() + minutes(19), 1).await);

    assert_eq!(late.payment.status, PaymentStatus::RefundDue);
    assert_eq!(late.receipt, None);
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&first.reference))
            .await
            .unwrap(),
        None
    );
    let paid_by_second = store
        .receipt(&ReceiptId::for_payment(&second.reference))
        .await
        .unwrap();
    assert_eq!(paid_by_second.unwrap().number.sequence, 1);
}

pub async fn a_late_capture_for_an_invoice_reissued_at_another_amount_is_marked_refund_due<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let inv = invoice("INV-1", &[1_500_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    let reissued = store
        .upsert_invoice(
            &invoice("INV-1", &[2_000_000]),
            t0() + minutes(16),
            &operator(),
        )
        .await
        .unwrap();

    let late = applied(
        settle_vnpay(
            store,
            &payment,
            &paid("T1", &payment),
            t0() + minutes(17),
            1,
        )
        .await,
    );

    assert_eq!(reissued, UpsertOutcome::Updated);
    assert_eq!(late.payment.status, PaymentStatus::RefundDue);
    assert_eq!(late.receipt, None);
    let stored = store.invoice(&inv.id).await.unwrap().unwrap();
    assert_eq!(stored.status, InvoiceStatus::Open);
    assert_eq!(stored.total().vnd(), 2_000_000);
}

pub async fn a_late_failure_after_success_changes_nothing<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    let success = applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);

    let late = store
        .settle(
            &payment.reference,
            VNPAY,
            &declined("99"),
            t0(),
            &token(2),
            &channel(),
        )
        .await
        .unwrap();

    assert_eq!(late, Settled::AlreadyFinal(success));
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Paid);
}

fn transfer(txn: &str, vnd: u64) -> GatewayEvent {
    GatewayEvent::Paid {
        txn: GatewayTxnNo::parse(txn).unwrap(),
        amount: Money::from_vnd(vnd).unwrap(),
    }
}

fn mismatch(txn: &str, vnd: u64, at: DateTime<Utc>) -> Mismatch {
    Mismatch {
        txn: GatewayTxnNo::parse(txn).unwrap(),
        amount: Money::from_vnd(vnd).unwrap(),
        at,
    }
}

fn mismatched(payment: &Payment, recorded: bool) -> Settled {
    Settled::AmountMismatch {
        expected: payment.amount,
        recorded,
    }
}

pub async fn a_transfer_of_another_amount_is_recorded_and_frees_the_invoices<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;

    let outcome = settle_vnpay(
        store,
        &payment,
        &transfer("T1", 10_000),
        t0() + minutes(1),
        1,
    )
    .await;

    assert_eq!(outcome, mismatched(&payment, true));
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Mismatched);
    assert_eq!(
        stored.mismatches,
        [mismatch("T1", 10_000, t0() + minutes(1))]
    );
    assert_eq!(stored.version, payment.version + 1);
    assert_eq!(stored.gateway_txn, None, "nothing was paid by it");
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    let retry = open_payment(2, &[inv], t0() + minutes(2));
    store
        .create_payment(&retry, retry.created_at, &Actor::Parent)
        .await
        .expect("the invoice is free again while the first payment's time still runs");
    let later = t0() + Duration::days(1);
    let pending = store.pending_created_before(later, 10).await.unwrap();
    assert!(pending.iter().all(|p| p.reference != payment.reference));
    let unpaid = store
        .unpaid_expired_between(t0() - Duration::days(1), later, 10)
        .await
        .unwrap();
    assert!(
        unpaid.is_empty(),
        "a mismatched payment is not asked about again"
    );
}

pub async fn the_same_mismatched_transfer_again_is_not_recorded_twice<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let first = settle_vnpay(store, &payment, &transfer("T1", 10_000), t0(), 1).await;
    let recorded = store.payment(&payment.reference).await.unwrap().unwrap();

    let again = settle_vnpay(
        store,
        &payment,
        &transfer("T1", 10_000),
        t0() + minutes(5),
        2,
    )
    .await;

    assert_eq!(first, mismatched(&payment, true));
    assert_eq!(again, mismatched(&payment, false));
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(recorded)
    );
}

pub async fn two_different_mismatched_transfers_are_both_recorded<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let events = [
        (transfer("T1", 10_000), t0()),
        (transfer("T2", 150_000), t0() + minutes(3)),
    ];

    for (event, at) in &events {
        let outcome = store
            .settle(&payment.reference, VNPAY, event, *at, &token(1), &channel())
            .await
            .unwrap();
        assert_eq!(outcome, mismatched(&payment, true));
    }

    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(
        stored.mismatches,
        [
            mismatch("T1", 10_000, t0()),
            mismatch("T2", 150_000, t0() + minutes(3))
        ]
    );
    assert_eq!(stored.status, PaymentStatus::Mismatched);
    assert_eq!(stored.version, payment.version + 2);
}

pub async fn a_failed_or_expired_payment_receiving_another_amount_becomes_mismatched<H: Harness>(
    h: &H,
) {
    let store = h.store();
    let invoices = [invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000])];
    seed(store, &invoices).await;
    let failed = open_payment(1, &invoices[..1], t0());
    let expired = open_payment(2, &invoices[1..], t0());
    create(store, &failed).await;
    create(store, &expired).await;
    applied(
        store
            .settle(
                &failed.reference,
                VNPAY,
                &declined("24"),
                t0(),
                &token(1),
                &channel(),
            )
            .await
            .unwrap(),
    );
    applied(
        store
            .expire(&expired.reference, t0() + minutes(16), &Actor::Sweeper)
            .await
            .unwrap(),
    );

    for payment in [&failed, &expired] {
        let outcome = settle_vnpay(
            store,
            payment,
            &transfer("T9", 5_000),
            t0() + minutes(20),
            2,
        )
        .await;

        assert_eq!(outcome, mismatched(payment, true));
        let stored = store.payment(&payment.reference).await.unwrap().unwrap();
        assert_eq!(
            stored.status,
            PaymentStatus::Mismatched,
            "{}",
            payment.reference
        );
        assert_eq!(
            stored.mismatches,
            [mismatch("T9", 5_000, t0() + minutes(20))]
        );
    }
    for inv in &invoices {
        assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    }
}

pub async fn a_paid_payment_receiving_another_amount_stays_paid_with_the_transfer_recorded<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    let success = applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);

    let outcome = settle_vnpay(
        store,
        &payment,
        &transfer("T2", 100_001),
        t0() + minutes(3),
        2,
    )
    .await;

    assert_eq!(outcome, mismatched(&payment, true));
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Succeeded);
    assert_eq!(stored.gateway_txn, success.payment.gateway_txn);
    assert_eq!(
        stored.mismatches,
        [mismatch("T2", 100_001, t0() + minutes(3))]
    );
    assert_eq!(stored.version, success.payment.version + 1);
    let receipt = store
        .receipt(&ReceiptId::for_payment(&payment.reference))
        .await
        .unwrap();
    assert_eq!(receipt, success.receipt, "the receipt is unchanged");
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Paid);
}

pub async fn an_exact_transfer_after_a_mismatched_one_settles_as_a_late_capture<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    settle_vnpay(store, &payment, &transfer("T1", 10_000), t0(), 1).await;

    let state = applied(
        settle_vnpay(
            store,
            &payment,
            &paid("T2", &payment),
            t0() + minutes(30),
            2,
        )
        .await,
    );

    assert_eq!(state.payment.status, PaymentStatus::Succeeded);
    assert_eq!(
        state.payment.gateway_txn,
        Some(GatewayTxnNo::parse("T2").unwrap())
    );
    assert_eq!(state.payment.mismatches, [mismatch("T1", 10_000, t0())]);
    assert_eq!(state.receipt.unwrap().number.sequence, 1);
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Paid);
}

pub async fn an_exact_transfer_after_a_mismatch_for_invoices_paid_meanwhile_is_refund_due<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let first = open_payment(1, &[inv.clone()], t0());
    create(store, &first).await;
    settle_vnpay(store, &first, &transfer("T1", 10_000), t0(), 1).await;
    let second = open_payment(2, &[inv.clone()], t0() + minutes(1));
    create(store, &second).await;
    applied(settle_vnpay(store, &second, &paid("T2", &second), t0() + minutes(2), 2).await);

    let late =
        applied(settle_vnpay(store, &first, &paid("T3", &first), t0() + minutes(3), 3).await);

    assert_eq!(late.payment.status, PaymentStatus::RefundDue);
    assert_eq!(late.receipt, None);
    assert_eq!(late.payment.mismatches, [mismatch("T1", 10_000, t0())]);
    let by_second = store
        .receipt(&ReceiptId::for_payment(&second.reference))
        .await
        .unwrap();
    assert_eq!(by_second.unwrap().number.sequence, 1);
}

pub async fn twenty_identical_mismatched_transfers_at_once_record_one<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv], t0());
    create(store, &payment).await;
    let mut tasks = JoinSet::new();
    for n in 0..20u8 {
        let (store, reference) = (store.clone(), payment.reference.clone());
        tasks.spawn(async move {
            store
                .settle(
                    &reference,
                    VNPAY,
                    &transfer("T1", 10_000),
                    t0(),
                    &token(n),
                    &channel(),
                )
                .await
                .unwrap()
        });
    }

    let outcomes = tasks.join_all().await;

    let recorded = outcomes
        .iter()
        .filter(|o| **o == mismatched(&payment, true))
        .count();
    let repeated = outcomes
        .iter()
        .filter(|o| **o == mismatched(&payment, false))
        .count();
    assert_eq!((recorded, repeated), (1, 19), "{outcomes:?}");
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored.mismatches, [mismatch("T1", 10_000, t0())]);
    assert_eq!(stored.version, payment.version + 1);
}

pub async fn a_mismatched_transfer_racing_the_exact_capture_loses_neither<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    let (exact, short) = (paid("T1", &payment), transfer("T2", 10_000));
    let (one, two) = (token(1), token(2));

    let by = channel();
    let (x, y) = tokio::join!(
        store.settle(&payment.reference, VNPAY, &exact, t0(), &one, &by),
        store.settle(&payment.reference, VNPAY, &short, t0(), &two, &by),
    );

    assert!(matches!(x.unwrap(), Settled::Applied(_)));
    assert_eq!(y.unwrap(), mismatched(&payment, true));
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Succeeded);
    assert_eq!(stored.mismatches, [mismatch("T2", 10_000, t0())]);
    assert_eq!(stored.version, payment.version + 2);
    let receipt = store
        .receipt(&ReceiptId::for_payment(&payment.reference))
        .await
        .unwrap();
    assert_eq!(receipt.unwrap().number.sequence, 1);
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Paid);
}

pub async fn a_payment_settles_only_by_events_of_its_own_channel<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;

    let paid_elsewhere = store
        .settle(
            &payment.reference,
            GatewayKind::Momo,
            &paid("4088878653", &payment),
            t0(),
            &token(1),
            &channel(),
        )
        .await
        .unwrap();
    let declined_elsewhere = store
        .settle(
            &payment.reference,
            GatewayKind::Momo,
            &declined("1006"),
            t0(),
            &token(2),
            &channel(),
        )
        .await
        .unwrap();

    assert_eq!(paid_elsewhere, Settled::UnknownPayment);
    assert_eq!(declined_elsewhere, Settled::UnknownPayment);
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(payment)
    );
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    assert!(
        store
            .receipt(&ReceiptId::for_payment(&reference(1)))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn settling_an_unknown_payment_says_so<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;
    let ghost = open_payment(404, &[invoice("INV-1", &[100_000])], t0());

    let outcome = store
        .settle(
            &ghost.reference,
            VNPAY,
            &paid("T1", &ghost),
            t0(),
            &token(1),
            &channel(),
        )
        .await;
    let expired = store.expire(&ghost.reference, t0(), &Actor::Sweeper).await;

    assert_eq!(outcome.unwrap(), Settled::UnknownPayment);
    assert_eq!(expired.unwrap(), Settled::UnknownPayment);
}

pub async fn a_settle_that_fails_half_way_leaves_nothing_changed<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = open_payment(1, &[a.clone(), b.clone()], t0());
    create(store, &payment).await;
    h.break_next_settle();

    let broken = store
        .settle(
            &payment.reference,
            VNPAY,
            &paid("T1", &payment),
            t0(),
            &token(1),
            &channel(),
        )
        .await;

    assert!(broken.is_err(), "the injected failure surfaces: {broken:?}");
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(payment.clone())
    );
    for id in [&a.id, &b.id] {
        let stored = store.invoice(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.version),
            (InvoiceStatus::Open, 1),
            "{id}"
        );
    }
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    let retried = applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);
    assert_eq!(
        retried.receipt.unwrap().number.sequence,
        1,
        "no number was consumed"
    );
}

pub async fn expiry_applies_only_to_pending_payments_past_their_time<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = open_payment(1, &[a.clone()], t0());
    create(store, &payment).await;
    let settled = open_payment(2, &[b.clone()], t0());
    create(store, &settled).await;
    let done = applied(settle_vnpay(store, &settled, &paid("T2", &settled), t0(), 2).await);

    let early = store
        .expire(&payment.reference, t0() + minutes(14), &Actor::Sweeper)
        .await
        .unwrap();
    let due = store
        .expire(&payment.reference, t0() + minutes(15), &Actor::Sweeper)
        .await
        .unwrap();
    let twice = store
        .expire(&payment.reference, t0() + minutes(16), &Actor::Sweeper)
        .await
        .unwrap();
    let not_pending = store
        .expire(&settled.reference, t0() + minutes(16), &Actor::Sweeper)
        .await
        .unwrap();

    assert_eq!(
        early,
        Settled::NotDue(hocphi_domain::PaymentState {
            payment: payment.clone(),
            receipt: None
        })
    );
    let expired = applied(due);
    assert_eq!(expired.payment.status, PaymentStatus::Expired);
    assert_eq!(twice, Settled::AlreadyFinal(expired));
    assert_eq!(not_pending, Settled::AlreadyFinal(done));
    let fresh = open_payment(3, &[a], t0() + minutes(16));
    store
        .create_payment(&fresh, fresh.created_at, &Actor::Parent)
        .await
        .unwrap();
}

pub async fn pending_payments_created_before_a_time_are_listed_newest_first<H: Harness>(h: &H) {
    let store = h.store();
    let invoices: Vec<_> = (1..=4)
        .map(|n| invoice(&format!("INV-{n}"), &[100_000]))
        .collect();
    seed(store, &invoices).await;
    for (n, inv) in (1..).zip(&invoices) {
        let created = t0() + minutes(10 * (5 - i64::from(n)));
        create(store, &open_payment(n, std::slice::from_ref(inv), created)).await;
    }
    let done = store.payment(&reference(4)).await.unwrap().unwrap();
    applied(
        store
            .settle(
                &done.reference,
                VNPAY,
                &paid("T4", &done),
                t0(),
                &token(4),
                &channel(),
            )
            .await
            .unwrap(),
    );

    let listed = store
        .pending_created_before(t0() + minutes(35), 10)
        .await
        .unwrap();
    let limited = store
        .pending_created_before(t0() + minutes(35), 1)
        .await
        .unwrap();

    let refs: Vec<_> = listed.iter().map(|p| p.reference.clone()).collect();
    assert_eq!(refs, [reference(2), reference(3)]);
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].reference, reference(2));
}

pub async fn payments_that_ended_unpaid_are_listed_by_expiry_within_a_window<H: Harness>(h: &H) {
    let store = h.store();
    let invoices: Vec<_> = (1..=6)
        .map(|n| invoice(&format!("INV-{n}"), &[100_000]))
        .collect();
    seed(store, &invoices).await;
    let created = |n: u32| t0() + minutes(10 * i64::from(n));
    let payments: Vec<_> = (1..)
        .zip(&invoices)
        .map(|(n, inv)| open_payment(n, std::slice::from_ref(inv), created(n)))
        .collect();
    for payment in &payments {
        create(store, payment).await;
    }
    let late = t0() + Duration::hours(3);
    for n in [1, 2, 4] {
        applied(
            store
                .expire(&reference(n), late, &Actor::Sweeper)
                .await
                .unwrap(),
        );
    }
    applied(
        store
            .settle(
                &reference(3),
                VNPAY,
                &declined("24"),
                t0(),
                &token(3),
                &channel(),
            )
            .await
            .unwrap(),
    );
    applied(
        store
            .settle(
                &reference(5),
                VNPAY,
                &paid("T5", &payments[4]),
                t0(),
                &token(5),
                &channel(),
            )
            .await
            .unwrap(),
    );
    let expiry = |n: u32| created(n) + minutes(15);

    let window = store
        .unpaid_expired_between(expiry(2), expiry(5), 10)
        .await
        .unwrap();
    let limited = store
        .unpaid_expired_between(expiry(1), late, 2)
        .await
        .unwrap();
    let across_days = store
        .unpaid_expired_between(t0() - Duration::days(2), t0() + Duration::days(2), 10)
        .await
        .unwrap();

    let refs = |listed: &[Payment]| {
        listed
            .iter()
            .map(|p| p.reference.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refs(&window),
        [reference(4), reference(3), reference(2)],
        "failed and expired, latest expiry first, the window's end excluded"
    );
    assert_eq!(refs(&limited), [reference(4), reference(3)]);
    assert_eq!(
        refs(&across_days),
        [reference(4), reference(3), reference(2), reference(1)],
        "neither the paid payment nor the pending one"
    );
}

// ----- look-up throttling -------------------------------------------------------------------

fn student_counter(code: &str) -> FailureCounter {
    FailureCounter::Student(StudentCode::parse(code).unwrap())
}

fn source(ip: &str) -> ClientSource {
    ClientSource::of(ip.parse().unwrap())
}

pub async fn failed_lookups_are_counted_within_a_window_and_forgotten_after<H: Harness>(h: &H) {
    let store = h.store();
    let (who, other) = (student_counter(STUDENT), student_counter(OTHER_STUDENT));
    let window = minutes(15);

    let mut counts = Vec::new();
    for n in 0..5 {
        counts.push(
            store
                .note_failed_lookup(&who, t0() + minutes(n), window)
                .await
                .unwrap(),
        );
    }

    assert_eq!(counts, [1, 2, 3, 4, 5]);
    assert_eq!(
        store
            .failed_lookups(&who, t0() + minutes(14))
            .await
            .unwrap(),
        5
    );
    assert_eq!(store.failed_lookups(&other, t0()).await.unwrap(), 0);
    assert_eq!(
        store
            .failed_lookups(&who, t0() + minutes(15))
            .await
            .unwrap(),
        0
    );
    let fresh = store
        .note_failed_lookup(&who, t0() + minutes(16), window)
        .await
        .unwrap();
    assert_eq!(fresh, 1);
}

// ----- idempotency ----------------------------------------------------------------------------

pub async fn a_forgiven_failure_is_taken_back_once_and_never_below_zero<H: Harness>(h: &H) {
    let store = h.store();
    let who =
        FailureCounter::StudentFrom(StudentCode::parse(STUDENT).unwrap(), source("203.113.1.2"));
    let window = minutes(15);
    for n in 0..2 {
        store
            .note_failed_lookup(&who, t0() + minutes(n), window)
            .await
            .unwrap();
    }
    let count = |at| store.failed_lookups(&who, at);

    store
        .forgive_failed_lookup(&who, t0() + minutes(2))
        .await
        .unwrap();
    let after_one = count(t0() + minutes(2)).await.unwrap();
    for _ in 0..2 {
        store
            .forgive_failed_lookup(&who, t0() + minutes(3))
            .await
            .unwrap();
    }
    let after_three = count(t0() + minutes(3)).await.unwrap();
    store
        .forgive_failed_lookup(&who, t0() + minutes(20))
        .await
        .unwrap();
    let next = store
        .note_failed_lookup(&who, t0() + minutes(20), window)
        .await
        .unwrap();

    assert_eq!((after_one, after_three), (1, 0));
    assert_eq!(
        next, 1,
        "a closed window is not touched and a new one starts at one"
    );
}

pub async fn each_failure_counter_counts_on_its_own<H: Harness>(h: &H) {
    let store = h.store();
    let code = StudentCode::parse(STUDENT).unwrap();
    let counters = [
        FailureCounter::Student(code.clone()),
        FailureCounter::StudentFrom(code.clone(), source("203.113.1.2")),
        FailureCounter::StudentFrom(code, source("2001:db8:1:2::7")),
        FailureCounter::Source(source("203.113.1.2")),
        FailureCounter::Source(source("2001:db8:1:2::7")),
        FailureCounter::Partner(partner(PARTNER)),
        FailureCounter::Partner(partner(STUDENT)),
    ];

    for (n, counter) in counters.iter().enumerate() {
        for _ in 0..=n {
            store
                .note_failed_lookup(counter, t0(), minutes(15))
                .await
                .unwrap();
        }
    }

    for (n, counter) in counters.iter().enumerate() {
        assert_eq!(
            store.failed_lookups(counter, t0()).await.unwrap(),
            u32::try_from(n + 1).unwrap(),
            "{counter:?}"
        );
    }
    assert_eq!(
        store
            .failed_lookups(&FailureCounter::Source(source("2001:db8:1:2::9")), t0())
            .await
            .unwrap(),
        5,
        "one IPv6 network is one source"
    );
}

pub async fn failures_noted_at_once_are_each_counted<H: Harness>(h: &H) {
    let store = h.store().clone();
    let counter = FailureCounter::Source(source("198.51.100.7"));
    let mut tasks = JoinSet::new();
    for _ in 0..12 {
        let (store, counter) = (store.clone(), counter.clone());
        tasks.spawn(async move {
            store
                .note_failed_lookup(&counter, t0(), minutes(15))
                .await
                .unwrap()
        });
    }

    let mut counts = tasks.join_all().await;

    counts.sort_unstable();
    assert_eq!(counts, (1..=12).collect::<Vec<u32>>());
}

fn keyed(code: &str) -> LookupDigest {
    LookupCode::parse(code).unwrap().digest(
        &StudentCode::parse(STUDENT).unwrap(),
        &fixtures::lookup_key(),
    )
}

pub async fn a_lookup_digest_is_replaced_only_while_it_is_the_one_read<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;
    let code = StudentCode::parse(STUDENT).unwrap();
    let before = store.student(&code).await.unwrap().unwrap();
    let (stale, next) = (keyed("ZZZZ9999"), keyed("WXYZ6789"));

    let from_stale = store
        .rekey_lookup(&code, &stale, &next, t0(), &operator())
        .await
        .unwrap();
    let unchanged = store.student(&code).await.unwrap().unwrap();
    let from_read = store
        .rekey_lookup(&code, &before.lookup, &next, t0(), &operator())
        .await
        .unwrap();
    let after = store.student(&code).await.unwrap().unwrap();
    let unknown = store
        .rekey_lookup(
            &StudentCode::parse(OTHER_STUDENT).unwrap(),
            &before.lookup,
            &next,
            t0(),
            &operator(),
        )
        .await
        .unwrap();

    assert!(!from_stale);
    assert_eq!(unchanged, before);
    assert!(from_read);
    assert_eq!(
        after,
        Student {
            lookup: next,
            ..before
        },
        "only the digest changes"
    );
    assert!(!unknown);
    assert_eq!(
        store
            .student(&StudentCode::parse(OTHER_STUDENT).unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn two_rekeys_racing_from_one_digest_let_exactly_one_win<H: Harness>(h: &H) {
    let store = h.store().clone();
    seed(&store, &[]).await;
    let code = StudentCode::parse(STUDENT).unwrap();
    let read = store.student(&code).await.unwrap().unwrap().lookup;
    let mut tasks = JoinSet::new();
    for next in ["WXYZ6789", "ABCD2346"] {
        let (store, code, read) = (store.clone(), code.clone(), read.clone());
        tasks.spawn(async move {
            let to = keyed(next);
            (
                store
                    .rekey_lookup(&code, &read, &to, t0(), &operator())
                    .await
                    .unwrap(),
                to,
            )
        });
    }

    let outcomes = tasks.join_all().await;

    let winners: Vec<&LookupDigest> = outcomes
        .iter()
        .filter(|(won, _)| *won)
        .map(|(_, to)| to)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert_eq!(
        &store.student(&code).await.unwrap().unwrap().lookup,
        winners[0]
    );
}

pub async fn every_student_is_listed_once_page_by_page<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[invoice("INV-1", &[1_000_000])]).await;
    let mut expected: Vec<String> = vec![STUDENT.to_owned()];
    for n in 2..=7 {
        let code = format!("HS{n:04}");
        store
            .upsert_student(&student(&code), t0(), &operator())
            .await
            .unwrap();
        expected.push(code);
    }

    let mut listed = Vec::new();
    let mut from = None;
    for _ in 0..100 {
        let page = store.students(from.as_ref(), 3).await.unwrap();
        assert!(page.students.len() <= 3);
        listed.extend(page.students.into_iter().map(|s| s.code.to_string()));
        from = page.next;
        if from.is_none() {
            break;
        }
    }

    listed.sort();
    assert_eq!(listed, expected);
}

/// A run's claim: lease token `n` and the payment reference `HP{n}`.
fn claim(n: u32) -> Claim {
    Claim {
        token: LeaseToken::from_entropy([u8::try_from(n).unwrap(); 16]),
        payment: reference(n),
    }
}

fn started(n: u32) -> IdempotencyBegin {
    IdempotencyBegin::Started {
        payment: reference(n),
    }
}

pub async fn a_completed_request_replays_its_stored_response<H: Harness>(h: &H) {
    let store = h.store();
    let (k, fp) = (key("9f1c2d3e-key-1"), Fingerprint::of(b"payload"));
    let response = StoredResponse {
        status: 201,
        body: "{\"payment_ref\":\"HP1\"}".into(),
    };

    let first = store
        .begin_request(&k, fp, &claim(1), t0(), minutes(1))
        .await
        .unwrap();
    store
        .complete_request(&k, &claim(1).token, &response, t0(), Duration::hours(24))
        .await
        .unwrap();
    let replay = store
        .begin_request(&k, fp, &claim(2), t0() + minutes(5), minutes(1))
        .await
        .unwrap();
    let after_expiry = store
        .begin_request(&k, fp, &claim(3), t0() + Duration::hours(25), minutes(1))
        .await
        .unwrap();

    assert_eq!(first, started(1));
    assert_eq!(replay, IdempotencyBegin::Replay(response));
    assert_eq!(
        after_expiry,
        started(3),
        "a new run after the record expired claims its own payment"
    );
}

pub async fn the_same_key_with_a_different_payload_is_refused<H: Harness>(h: &H) {
    let store = h.store();
    let k = key("9f1c2d3e-key-2");
    let (fp, other) = (Fingerprint::of(b"one"), Fingerprint::of(b"two"));
    store
        .begin_request(&k, fp, &claim(1), t0(), minutes(1))
        .await
        .unwrap();

    let while_running = store
        .begin_request(&k, other, &claim(2), t0(), minutes(1))
        .await
        .unwrap();
    store
        .complete_request(
            &k,
            &claim(1).token,
            &StoredResponse {
                status: 201,
                body: "{}".into(),
            },
            t0(),
            Duration::hours(24),
        )
        .await
        .unwrap();
    let once_done = store
        .begin_request(&k, other, &claim(3), t0(), minutes(1))
        .await
        .unwrap();

    assert_eq!(while_running, IdempotencyBegin::Mismatch);
    assert_eq!(once_done, IdempotencyBegin::Mismatch);
}

pub async fn a_live_lease_blocks_a_second_runner_and_an_expired_one_is_taken_over<H: Harness>(
    h: &H,
) {
    let store = h.store();
    let (k, fp) = (key("9f1c2d3e-key-3"), Fingerprint::of(b"payload"));

    let (one, two) = (claim(1), claim(2));
    let (x, y) = tokio::join!(
        store.begin_request(&k, fp, &one, t0(), minutes(1)),
        store.begin_request(&k, fp, &two, t0(), minutes(1)),
    );
    let taken_over = store
        .begin_request(&k, fp, &claim(3), t0() + minutes(2), minutes(1))
        .await
        .unwrap();

    let mut outcomes = [x.unwrap(), y.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, IdempotencyBegin::InProgress));
    let IdempotencyBegin::Started { payment: winner } = outcomes[0].clone() else {
        panic!("one runner starts: {outcomes:?}");
    };
    assert!([reference(1), reference(2)].contains(&winner));
    assert_eq!(outcomes[1], IdempotencyBegin::InProgress);
    assert_eq!(
        taken_over,
        IdempotencyBegin::Started { payment: winner },
        "the run that takes over inherits the payment recorded with the lapsed lease"
    );
}

pub async fn a_run_taking_over_a_lapsed_lease_inherits_its_payment_only_for_the_same_request<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (k, fp, other) = (
        key("9f1c2d3e-key-6"),
        Fingerprint::of(b"payload"),
        Fingerprint::of(b"another payload"),
    );
    let released = key("9f1c2d3e-key-7");

    let first = store
        .begin_request(&k, fp, &claim(1), t0(), minutes(1))
        .await
        .unwrap();
    let same_request = store
        .begin_request(&k, fp, &claim(2), t0() + minutes(2), minutes(1))
        .await
        .unwrap();
    let third_run = store
        .begin_request(&k, fp, &claim(3), t0() + minutes(4), minutes(1))
        .await
        .unwrap();
    let another_request = store
        .begin_request(&k, other, &claim(4), t0() + minutes(6), minutes(1))
        .await
        .unwrap();
    store
        .begin_request(&released, fp, &claim(5), t0(), minutes(1))
        .await
        .unwrap();
    store
        .release_request(&released, &claim(5).token)
        .await
        .unwrap();
    let after_release = store
        .begin_request(&released, fp, &claim(6), t0(), minutes(1))
        .await
        .unwrap();

    assert_eq!(first, started(1));
    assert_eq!(same_request, started(1));
    assert_eq!(third_run, started(1), "inherited from run to run");
    assert_eq!(another_request, started(4), "nothing to inherit");
    assert_eq!(after_release, started(6), "a released key starts afresh");
}

pub async fn a_released_request_can_run_again<H: Harness>(h: &H) {
    let store = h.store();
    let (k, fp) = (key("9f1c2d3e-key-4"), Fingerprint::of(b"payload"));
    store
        .begin_request(&k, fp, &claim(1), t0(), minutes(1))
        .await
        .unwrap();

    store.release_request(&k, &claim(1).token).await.unwrap();
    let again = store
        .begin_request(&k, fp, &claim(2), t0(), minutes(1))
        .await
        .unwrap();

    assert_eq!(again, started(2));
}

pub async fn a_run_whose_lease_lapsed_cannot_release_or_complete_its_successors_lease<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (k, fp) = (key("9f1c2d3e-key-5"), Fingerprint::of(b"payload"));
    let late = StoredResponse {
        status: 409,
        body: "{\"late\":true}".into(),
    };
    store
        .begin_request(&k, fp, &claim(1), t0(), minutes(1))
        .await
        .unwrap();
    let successor = store
        .begin_request(&k, fp, &claim(2), t0() + minutes(2), minutes(1))
        .await
        .unwrap();

    store.release_request(&k, &claim(1).token).await.unwrap();
    let after_release = store
        .begin_request(&k, fp, &claim(3), t0() + minutes(2), minutes(1))
        .await
        .unwrap();
    store
        .complete_request(&k, &claim(1).token, &late, t0(), Duration::hours(24))
        .await
        .unwrap();
    let after_complete = store
        .begin_request(&k, fp, &claim(4), t0() + minutes(2), minutes(1))
        .await
        .unwrap();

    assert_eq!(successor, started(1));
    assert_eq!(
        after_release,
        IdempotencyBegin::InProgress,
        "the successor's lease still stands"
    );
    assert_eq!(
        after_complete,
        IdempotencyBegin::InProgress,
        "the late run's answer was not recorded"
    );
}

// ----- partners' captures -------------------------------------------------------------------

const PARTNER: &str = "BANKDEMO";

fn partner(id: &str) -> PartnerId {
    PartnerId::parse(id).unwrap()
}

/// A payment partner [`PARTNER`] captured as its transaction `txn`, for `invoices`, at `at`.
fn captured(txn: &str, invoices: &[Invoice], at: DateTime<Utc>) -> Payment {
    Payment::captured(
        &partner(PARTNER),
        &GatewayTxnNo::parse(txn).unwrap(),
        invoices,
        at,
    )
    .unwrap()
}

/// The partner's transaction of the suite's captures.
const TXN: &str = "FT25258000123";

/// Records `payment`'s capture of its whole amount as transaction [`TXN`] at `at`, with receipt
/// token `n`.
async fn record<S: Store>(store: &S, payment: &Payment, at: DateTime<Utc>, n: u8) -> Settled {
    store
        .record_capture(payment, &paid(TXN, payment), at, &token(n), &bank())
        .await
        .unwrap()
}

fn receipt_of(outcome: &Settled) -> Option<hocphi_domain::Receipt> {
    match outcome {
        Settled::Applied(state) | Settled::AlreadyFinal(state) => state.receipt.clone(),
        _ => None,
    }
}

/// Settles a new VNPay payment `n` for a new invoice `id` and answers its receipt number.
async fn settle_another<S: Store>(store: &S, n: u32, id: &str) -> u32 {
    let inv = invoice(id, &[50_000]);
    store.upsert_invoice(&inv, t0(), &operator()).await.unwrap();
    let payment = open_payment(n, &[inv], t0());
    create(store, &payment).await;
    let state = applied(settle_vnpay(store, &payment, &paid("T", &payment), t0(), 50).await);
    state.receipt.unwrap().number.sequence
}

pub async fn a_partners_capture_pays_its_invoices_and_numbers_its_receipt_in_the_schools_sequence<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (a, b) = (
        invoice("INV-1", &[1_500_000, 50_000]),
        invoice("INV-2", &[200_000]),
    );
    seed(store, &[a.clone(), b.clone()]).await;
    let before = settle_another(store, 1, "INV-0").await;
    let payment = captured(TXN, &[a.clone(), b.clone()], t0() + minutes(3));

    let state = applied(record(store, &payment, t0() + minutes(3), 7).await);
    let after = settle_another(store, 2, "INV-9").await;

    assert_eq!((before, after), (1, 3), "one sequence for every channel");
    assert_eq!(state.payment.status, PaymentStatus::Succeeded);
    assert_eq!(state.payment.gateway, GatewayKind::Partner);
    assert_eq!(state.payment.partner, Some(partner(PARTNER)));
    assert_eq!(state.payment.version, payment.version + 1);
    let receipt = state.receipt.clone().expect("a receipt");
    assert_eq!(receipt.number.sequence, 2);
    assert_eq!(receipt.id, ReceiptId::for_payment(&payment.reference));
    assert_eq!((receipt.total.vnd(), receipt.lines.len()), (1_750_000, 3));
    assert_eq!(receipt.gateway, GatewayKind::Partner);
    assert_eq!(
        Some(&receipt.gateway_txn),
        state.payment.gateway_txn.as_ref()
    );
    assert_eq!(receipt.token, token(7));
    assert_eq!(store.receipt(&receipt.id).await.unwrap(), Some(receipt));
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(state.payment)
    );
    for id in [&a.id, &b.id] {
        let stored = store.invoice(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.version),
            (InvoiceStatus::Paid, 2),
            "{id}"
        );
    }
    let later = t0() + Duration::days(1);
    let pending = store.pending_created_before(later, 10).await.unwrap();
    assert!(pending.iter().all(|p| p.reference != payment.reference));
}

pub async fn a_repeated_capture_changes_nothing_and_answers_the_first_state<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = captured(TXN, &[a.clone()], t0());
    let first = applied(record(store, &payment, t0(), 1).await);
    let same_txn_other_bill = Payment {
        reference: payment.reference.clone(),
        ..captured(TXN, &[b.clone()], t0() + minutes(5))
    };

    let repeats = [
        record(store, &payment, t0() + minutes(5), 2).await,
        record(store, &same_txn_other_bill, t0() + minutes(6), 3).await,
        store
            .record_capture(
                &payment,
                &transfer(TXN, 1_000),
                t0() + minutes(7),
                &token(4),
                &bank(),
            )
            .await
            .unwrap(),
    ];

    for (n, repeat) in repeats.into_iter().enumerate() {
        assert_eq!(repeat, Settled::AlreadyFinal(first.clone()), "repeat {n}");
    }
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(first.payment)
    );
    assert_eq!(status_of(store, &b.id).await, InvoiceStatus::Open);
    assert_eq!(settle_another(store, 1, "INV-9").await, 2);
}

pub async fn twenty_identical_captures_recorded_at_once_store_one_payment_and_one_receipt<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = captured(TXN, &[inv], t0());

    let mut tasks = JoinSet::new();
    for n in 0..20u8 {
        let (store, payment) = (store.clone(), payment.clone());
        tasks.spawn(async move { record(&store, &payment, t0(), n).await });
    }

    let outcomes = tasks.join_all().await;

    let applied_count = outcomes
        .iter()
        .filter(|s| matches!(s, Settled::Applied(_)))
        .count();
    let final_count = outcomes
        .iter()
        .filter(|s| matches!(s, Settled::AlreadyFinal(_)))
        .count();
    assert_eq!((applied_count, final_count), (1, 19), "{outcomes:?}");
    let receipts: Vec<_> = outcomes.iter().filter_map(receipt_of).collect();
    assert_eq!(receipts.len(), 20);
    assert!(
        receipts.iter().all(|r| *r == receipts[0]),
        "every caller sees the same receipt"
    );
    assert_eq!(receipts[0].number.sequence, 1);
    assert_eq!(
        settle_another(store, 1, "INV-9").await,
        2,
        "no number was consumed twice"
    );
}

pub async fn a_capture_for_invoices_that_can_no_longer_be_paid_by_it_is_refund_due_and_changes_nothing_else<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (paid_elsewhere, voided, reissued, missing) = (
        invoice("INV-1", &[100_000]),
        invoice("INV-2", &[100_000]),
        invoice("INV-3", &[100_000]),
        invoice("INV-4", &[100_000]),
    );
    seed(
        store,
        &[paid_elsewhere.clone(), voided.clone(), reissued.clone()],
    )
    .await;
    let by_vnpay = open_payment(1, &[paid_elsewhere.clone()], t0());
    create(store, &by_vnpay).await;
    applied(settle_vnpay(store, &by_vnpay, &paid("T1", &by_vnpay), t0(), 1).await);
    store
        .void_invoice(&voided.id, &reason(), t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_invoice(&invoice("INV-3", &[120_000]), t0(), &operator())
        .await
        .unwrap();
    let cases = [
        ("paid by another payment", paid_elsewhere),
        ("voided", voided),
        ("re-issued at another amount", reissued),
        ("missing", missing),
    ];

    for (n, (case, inv)) in (1..).zip(cases) {
        let before = store.invoice(&inv.id).await.unwrap();
        let payment = captured(&format!("FT2525800{n}"), &[inv.clone()], t0() + minutes(n));
        let event = paid(&format!("FT2525800{n}"), &payment);

        let state = applied(
            store
                .record_capture(&payment, &event, t0() + minutes(n), &token(2), &bank())
                .await
                .unwrap(),
        );

        assert_eq!(state.payment.status, PaymentStatus::RefundDue, "{case}");
        assert_eq!(state.receipt, None, "{case}");
        assert_eq!(
            store.payment(&payment.reference).await.unwrap(),
            Some(state.payment),
            "{case}"
        );
        assert_eq!(store.invoice(&inv.id).await.unwrap(), before, "{case}");
        assert_eq!(
            store
                .receipt(&ReceiptId::for_payment(&payment.reference))
                .await
                .unwrap(),
            None,
            "{case}"
        );
    }
    assert_eq!(
        settle_another(store, 2, "INV-9").await,
        2,
        "no number was taken"
    );
}

pub async fn a_capture_covering_no_invoice_is_stored_refund_due_with_no_receipt<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = Payment::captured_unbilled(
        &partner(PARTNER),
        &GatewayTxnNo::parse(TXN).unwrap(),
        &student(STUDENT),
        inv.school_year,
        Money::from_vnd(100_000).unwrap(),
        t0(),
    );

    let state = applied(record(store, &payment, t0(), 1).await);
    let repeated = record(store, &payment, t0() + minutes(1), 2).await;

    assert_eq!(state.payment.status, PaymentStatus::RefundDue);
    assert_eq!(
        state.payment.gateway_txn,
        Some(GatewayTxnNo::parse(TXN).unwrap())
    );
    assert!(state.payment.invoices.is_empty());
    assert_eq!(state.receipt, None);
    assert_eq!(repeated, Settled::AlreadyFinal(state.clone()));
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(state.payment)
    );
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    assert_eq!(
        settle_another(store, 1, "INV-9").await,
        1,
        "no number was taken"
    );
}

pub async fn a_capture_pays_invoices_held_by_a_live_payment_whose_own_capture_is_then_refund_due<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[200_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let captures_later = open_payment(1, &[a.clone()], t0());
    let expires_later = open_payment(2, &[b.clone()], t0());
    create(store, &captures_later).await;
    create(store, &expires_later).await;
    let by_partner = captured(TXN, &[a.clone(), b.clone()], t0() + minutes(1));

    let state = applied(record(store, &by_partner, t0() + minutes(1), 1).await);
    let late = applied(
        settle_vnpay(
            store,
            &captures_later,
            &paid("T1", &captures_later),
            t0() + minutes(2),
            2,
        )
        .await,
    );
    let expired = applied(
        store
            .expire(
                &expires_later.reference,
                t0() + minutes(16),
                &Actor::Sweeper,
            )
            .await
            .unwrap(),
    );

    assert_eq!(state.payment.status, PaymentStatus::Succeeded);
    assert_eq!(state.receipt.unwrap().number.sequence, 1);
    assert_eq!(late.payment.status, PaymentStatus::RefundDue);
    assert_eq!(late.receipt, None);
    assert_eq!(expired.payment.status, PaymentStatus::Expired);
    for id in [&a.id, &b.id] {
        let stored = store.invoice(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.version),
            (InvoiceStatus::Paid, 2),
            "{id}"
        );
        assert_eq!(
            store
                .void_invoice(id, &reason(), t0() + minutes(17), &operator())
                .await
                .unwrap(),
            VoidOutcome::RefusedPaid,
            "{id}"
        );
    }
    assert_eq!(
        store
            .upsert_invoice(&invoice("INV-2", &[1]), t0() + minutes(17), &operator())
            .await
            .unwrap(),
        UpsertOutcome::RefusedPaid
    );
}

pub async fn a_capture_of_another_amount_is_stored_mismatched_once<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = captured(TXN, &[inv.clone()], t0());
    let short = transfer(TXN, 90_000);

    let first = store
        .record_capture(&payment, &short, t0(), &token(1), &bank())
        .await
        .unwrap();
    let again = store
        .record_capture(&payment, &short, t0() + minutes(1), &token(2), &bank())
        .await
        .unwrap();

    assert_eq!(first, mismatched(&payment, true));
    let stored = store.payment(&payment.reference).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Mismatched);
    assert_eq!(stored.mismatches, [mismatch(TXN, 90_000, t0())]);
    assert_eq!(stored.gateway_txn, None, "nothing was paid by it");
    assert_eq!(
        again,
        Settled::AlreadyFinal(hocphi_domain::PaymentState {
            payment: stored,
            receipt: None
        })
    );
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    let unpaid = store
        .unpaid_expired_between(t0() - Duration::days(1), t0() + Duration::days(1), 10)
        .await
        .unwrap();
    assert!(unpaid.is_empty(), "a mismatched capture is not asked about");
}

pub async fn a_capture_whose_receipt_cannot_be_written_leaves_nothing<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = captured(TXN, &[a.clone(), b.clone()], t0());
    h.break_next_settle();

    let broken = store
        .record_capture(&payment, &paid(TXN, &payment), t0(), &token(1), &bank())
        .await;

    assert!(broken.is_err(), "the injected failure surfaces: {broken:?}");
    assert_eq!(store.payment(&payment.reference).await.unwrap(), None);
    for id in [&a.id, &b.id] {
        let stored = store.invoice(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.version),
            (InvoiceStatus::Open, 1),
            "{id}"
        );
    }
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    let retried = applied(record(store, &payment, t0(), 1).await);
    assert_eq!(
        retried.receipt.unwrap().number.sequence,
        1,
        "no number was consumed"
    );
}

pub async fn only_a_pending_payment_and_its_capture_can_be_recorded<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = captured(TXN, &[inv.clone()], t0());
    let settled_already = Payment {
        status: PaymentStatus::Succeeded,
        ..payment.clone()
    };
    let with_a_transfer = Payment {
        mismatches: vec![mismatch("FT1", 1_000, t0())],
        ..payment.clone()
    };
    let cases = [
        ("a decline", payment.clone(), declined("24")),
        ("a settled payment", settled_already, paid("FT1", &payment)),
        (
            "a recorded transfer",
            with_a_transfer,
            paid("FT1", &payment),
        ),
    ];

    for (case, bad, event) in cases {
        let refused = store
            .record_capture(&bad, &event, t0(), &token(1), &bank())
            .await;

        assert!(refused.is_err(), "{case}: {refused:?}");
        assert_eq!(
            store.payment(&payment.reference).await.unwrap(),
            None,
            "{case}"
        );
    }
    assert_eq!(status_of(store, &inv.id).await, InvoiceStatus::Open);
}

// ----- nonces ---------------------------------------------------------------------------------

fn nonce(partner_id: &str, text: &str) -> NonceKey {
    NonceKey::new(&partner(partner_id), text).unwrap()
}

pub async fn a_nonce_is_accepted_once_until_its_end_and_again_after<H: Harness>(h: &H) {
    let store = h.store();
    let (key, until) = (nonce(PARTNER, "9f1c-2d3e.4b_5a"), t0() + minutes(10));
    let steps = [
        ("first use", t0(), until, true),
        ("replay", t0() + minutes(1), t0() + minutes(11), false),
        (
            "replay just before its end",
            until - Duration::milliseconds(1),
            until,
            false,
        ),
        ("at its end", until, until + minutes(10), true),
        (
            "replay of the new use",
            until + minutes(1),
            until + minutes(11),
            false,
        ),
    ];

    for (step, now, new_until, expected) in steps {
        let used = store.use_nonce(&key, new_until, now).await.unwrap();

        assert_eq!(used, expected, "{step}");
    }
}

pub async fn the_same_nonce_of_two_partners_is_two_nonces<H: Harness>(h: &H) {
    let store = h.store();
    let until = t0() + minutes(10);
    let keys = [
        nonce(PARTNER, "abc"),
        nonce("DVCQG", "abc"),
        nonce(PARTNER, "abcd"),
    ];

    for key in &keys {
        assert!(store.use_nonce(key, until, t0()).await.unwrap(), "{key:?}");
    }
    for key in &keys {
        assert!(!store.use_nonce(key, until, t0()).await.unwrap(), "{key:?}");
    }
}

pub async fn twenty_uses_of_one_nonce_at_once_let_exactly_one_through<H: Harness>(h: &H) {
    let store = h.store();
    let key = nonce(PARTNER, "race");

    let mut tasks = JoinSet::new();
    for _ in 0..20 {
        let (store, key) = (store.clone(), key.clone());
        tasks.spawn(async move {
            store
                .use_nonce(&key, t0() + minutes(10), t0())
                .await
                .unwrap()
        });
    }

    let used = tasks.join_all().await;

    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
}

// ----- voiding ----------------------------------------------------------------------------

pub async fn voiding_cancels_an_open_invoice_and_never_a_paid_one<H: Harness>(h: &H) {
    let store = h.store();
    let (open, held, to_pay) = (
        invoice("INV-1", &[100_000]),
        invoice("INV-2", &[100_000]),
        invoice("INV-3", &[100_000]),
    );
    seed(store, &[open.clone(), held.clone(), to_pay.clone()]).await;
    create(store, &open_payment(1, &[held.clone()], t0())).await;
    let payment = open_payment(2, &[to_pay.clone()], t0());
    create(store, &payment).await;
    applied(settle_vnpay(store, &payment, &paid("T", &payment), t0(), 1).await);

    let why = reason();
    let missing = InvoiceId::parse("INV-404").unwrap();
    let outcomes = [
        store
            .void_invoice(&open.id, &why, t0(), &operator())
            .await
            .unwrap(),
        store
            .void_invoice(&open.id, &why, t0(), &operator())
            .await
            .unwrap(),
        store
            .void_invoice(&held.id, &why, t0(), &operator())
            .await
            .unwrap(),
        store
            .void_invoice(&to_pay.id, &why, t0(), &operator())
            .await
            .unwrap(),
        store
            .void_invoice(&missing, &why, t0(), &operator())
            .await
            .unwrap(),
    ];

    assert_eq!(
        outcomes,
        [
            VoidOutcome::Voided,
            VoidOutcome::AlreadyVoided,
            VoidOutcome::RefusedHeld,
            VoidOutcome::RefusedPaid,
            VoidOutcome::NotFound,
        ]
    );
    let voided = store.invoice(&open.id).await.unwrap().unwrap();
    assert_eq!(voided.status, InvoiceStatus::Cancelled);
    assert_eq!(
        voided.cancellation.map(|c| (c.reason, c.at)),
        Some((why, t0()))
    );
    assert_eq!(
        store
            .upsert_invoice(&open, t0(), &operator())
            .await
            .unwrap(),
        UpsertOutcome::RefusedCancelled
    );
}

// ----- listing receipts ---------------------------------------------------------------------

pub async fn receipts_are_listed_by_issue_time_for_one_school_or_all<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;
    let issue_times = [
        (SCHOOL, t0() + Duration::days(40)),
        (OTHER_SCHOOL, t0()),
        (SCHOOL, t0() + Duration::hours(1)),
        (SCHOOL, t0() - Duration::days(20)),
    ];
    for (n, (school, at)) in (0..).zip(issue_times) {
        let inv = invoice_for(&format!("INV-{n}"), STUDENT, school, 2025, &[100_000]);
        store.upsert_invoice(&inv, t0(), &operator()).await.unwrap();
        let payment = open_payment(n, &[inv], at);
        store
            .create_payment(&payment, at, &Actor::Parent)
            .await
            .unwrap();
        applied(settle_vnpay(store, &payment, &paid("T", &payment), at, 1).await);
    }

    let all = store
        .receipts_issued(t0() - Duration::days(1), t0() + Duration::days(41), None)
        .await
        .unwrap();
    let one = SchoolId::parse(SCHOOL).unwrap();
    let of_school = store
        .receipts_issued(t0(), t0() + Duration::days(40), Some(&one))
        .await
        .unwrap();

    let payments = |receipts: &[hocphi_domain::Receipt]| {
        receipts
            .iter()
            .map(|r| r.payment.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(payments(&all), [reference(1), reference(2), reference(0)]);
    assert_eq!(
        payments(&of_school),
        [reference(2)],
        "the end of the range is excluded"
    );
}

// ----- the catalogue of collection items -------------------------------------------------

fn catalogue_item(code: &str, school: Option<&str>, cap: Option<u64>) -> CatalogueItem {
    CatalogueItem {
        code: ItemCode::parse(code).unwrap(),
        name: Label::parse("Tiền ăn bán trú").unwrap(),
        kind: LineKind::Service,
        unit: Unit::Day,
        cap: cap.map(|vnd| Money::from_vnd(vnd).unwrap()),
        beneficiary: None,
        school: school.map(|id| SchoolId::parse(id).unwrap()),
    }
}

pub async fn a_catalogue_entry_is_created_then_unchanged_then_updated<H: Harness>(h: &H) {
    let store = h.store();
    let first = catalogue_item("BANTRU", None, Some(25_000));
    let raised = catalogue_item("BANTRU", None, Some(30_000));

    let created = store
        .upsert_catalogue_item(&first, t0(), &operator())
        .await
        .unwrap();
    let again = store
        .upsert_catalogue_item(&first, t0(), &operator())
        .await
        .unwrap();
    let updated = store
        .upsert_catalogue_item(&raised, t0(), &operator())
        .await
        .unwrap();

    assert_eq!(
        (created, again, updated),
        (
            CatalogueOutcome::Created,
            CatalogueOutcome::Unchanged,
            CatalogueOutcome::Updated
        )
    );
    assert_eq!(store.catalogue().await.unwrap(), vec![raised]);
    let saved: Vec<Action> = history(
        store,
        &Subject::CatalogueItem(ItemCode::parse("BANTRU").unwrap(), None),
    )
    .await
    .into_iter()
    .map(|e| e.action)
    .collect();
    assert_eq!(
        saved,
        [25_000, 30_000].map(|cap| Action::CatalogueItemSaved {
            line_kind: LineKind::Service,
            cap: Some(vnd(cap)),
        }),
        "a created and a changed entry record their events; an unchanged one none"
    );
}

pub async fn the_catalogue_lists_entries_by_code_the_provinces_before_the_schools<H: Harness>(
    h: &H,
) {
    let store = h.store();
    let bhyt = CatalogueItem {
        code: ItemCode::parse("BHYT").unwrap(),
        name: Label::parse("Bảo hiểm y tế học sinh").unwrap(),
        kind: LineKind::OnBehalf,
        unit: Unit::Year,
        cap: None,
        beneficiary: Some(Label::parse("Bảo hiểm xã hội tỉnh Gia Lai").unwrap()),
        school: None,
    };
    let entries = [
        catalogue_item("BANTRU-2", None, None),
        catalogue_item("BANTRU", Some(SCHOOL), Some(28_000)),
        bhyt.clone(),
        catalogue_item("BANTRU", None, Some(25_000)),
        catalogue_item("BANTRU", Some(OTHER_SCHOOL), None),
    ];
    for entry in &entries {
        store
            .upsert_catalogue_item(entry, t0(), &operator())
            .await
            .unwrap();
    }

    let listed = store.catalogue().await.unwrap();

    assert!(SCHOOL < OTHER_SCHOOL);
    assert_eq!(
        listed,
        vec![
            catalogue_item("BANTRU", None, Some(25_000)),
            catalogue_item("BANTRU", Some(SCHOOL), Some(28_000)),
            catalogue_item("BANTRU", Some(OTHER_SCHOOL), None),
            catalogue_item("BANTRU-2", None, None),
            bhyt,
        ]
    );
}

pub async fn twenty_writers_of_one_new_catalogue_entry_create_it_once<H: Harness>(h: &H) {
    let store = h.store();
    let mut writers = JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        writers.spawn(async move {
            store
                .upsert_catalogue_item(
                    &catalogue_item("NUOC", None, Some(15_000)),
                    t0(),
                    &operator(),
                )
                .await
                .unwrap()
        });
    }

    let outcomes = writers.join_all().await;

    let created = outcomes
        .iter()
        .filter(|o| **o == CatalogueOutcome::Created)
        .count();
    let unchanged = outcomes
        .iter()
        .filter(|o| **o == CatalogueOutcome::Unchanged)
        .count();
    assert_eq!((created, unchanged), (1, 19), "{outcomes:?}");
    assert_eq!(store.catalogue().await.unwrap().len(), 1);
}

// ----- the Department's report ---------------------------------------------------------------

pub async fn every_school_is_listed_by_id_with_its_commune<H: Harness>(h: &H) {
    let store = h.store();
    assert_eq!(store.schools().await.unwrap(), []);
    let in_ward = School {
        commune: Some(Label::parse("Phường Quy Nhơn").unwrap()),
        ..school(OTHER_SCHOOL)
    };
    store
        .upsert_school(&in_ward, t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_school(&school(SCHOOL), t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_school(&in_ward, t0(), &operator())
        .await
        .unwrap();

    let listed = store.schools().await.unwrap();

    assert_eq!(listed, [school(SCHOOL), in_ward]);
}

pub async fn a_schools_invoices_due_in_a_period_are_listed_page_by_page_whatever_their_status<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let due = |id: &str, school: &str, day: (i32, u32, u32)| {
        let mut inv = invoice_for(id, STUDENT, school, 2025, &[100_000]);
        inv.due_date = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
        inv
    };
    let invoices = [
        due("INV-AUG", SCHOOL, (2025, 8, 31)),
        due("INV-SEP-B", SCHOOL, (2025, 9, 1)),
        due("INV-SEP-A", SCHOOL, (2025, 9, 1)),
        due("INV-OCT", SCHOOL, (2025, 10, 15)),
        due("INV-OTHER", OTHER_SCHOOL, (2025, 10, 1)),
        due("INV-NOV", SCHOOL, (2025, 11, 30)),
        due("INV-DEC", SCHOOL, (2025, 12, 1)),
    ];
    seed(store, &invoices).await;
    let payment = open_payment(1, &invoices[3..4], t0());
    create(store, &payment).await;
    applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);
    store
        .void_invoice(&invoices[5].id, &reason(), t0(), &operator())
        .await
        .unwrap();
    let school_id = SchoolId::parse(SCHOOL).unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
    );

    let mut listed = Vec::new();
    let mut page = None;
    for _ in 0..100 {
        let answer = store
            .invoices_due(&school_id, from, to, page.as_ref(), 2)
            .await
            .unwrap();
        assert!(answer.invoices.len() <= 2);
        listed.extend(answer.invoices);
        page = answer.next;
        if page.is_none() {
            break;
        }
    }

    let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["INV-SEP-A", "INV-SEP-B", "INV-OCT", "INV-NOV"]);
    let statuses: Vec<InvoiceStatus> = listed.iter().map(|i| i.status).collect();
    assert_eq!(
        statuses,
        [
            InvoiceStatus::Open,
            InvoiceStatus::Open,
            InvoiceStatus::Paid,
            InvoiceStatus::Cancelled
        ]
    );
    let later = NaiveDate::from_ymd_opt(2025, 12, 2).unwrap();
    let none = store
        .invoices_due(&school_id, later, later, None, 10)
        .await
        .unwrap();
    assert_eq!(none.invoices, []);
    assert_eq!(none.next, None);
}

pub async fn payments_with_money_to_give_back_are_listed_by_creation_time<H: Harness>(h: &H) {
    let store = h.store();
    let invoices: Vec<Invoice> = (1..=4)
        .map(|n| invoice(&format!("INV-{n}"), &[100_000]))
        .collect();
    seed(store, &invoices).await;
    let at = |m: i64| t0() + minutes(m);
    let plain = open_payment(1, &invoices[0..1], at(0));
    create(store, &plain).await;
    applied(settle_vnpay(store, &plain, &paid("T1", &plain), at(1), 1).await);
    let overpaid = open_payment(2, &invoices[1..2], at(2));
    create(store, &overpaid).await;
    applied(settle_vnpay(store, &overpaid, &paid("T2", &overpaid), at(3), 2).await);
    settle_vnpay(store, &overpaid, &transfer("T2B", 150_000), at(4), 3).await;
    let wrong = open_payment(3, &invoices[2..3], at(5));
    create(store, &wrong).await;
    settle_vnpay(store, &wrong, &transfer("T3", 10_000), at(6), 4).await;
    let late = open_payment(4, &invoices[3..4], at(7));
    create(store, &late).await;
    applied(
        store
            .expire(&late.reference, at(30), &Actor::Sweeper)
            .await
            .unwrap(),
    );
    let winner = open_payment(5, &invoices[3..4], at(31));
    create(store, &winner).await;
    applied(settle_vnpay(store, &winner, &paid("T5", &winner), at(32), 5).await);
    let refund = applied(settle_vnpay(store, &late, &paid("T4", &late), at(33), 6).await);
    assert_eq!(refund.payment.status, PaymentStatus::RefundDue);

    let listed = store.refunds_due(t0(), at(60)).await.unwrap();
    let from_the_second = store.refunds_due(at(3), at(7)).await.unwrap();

    let references = |payments: &[Payment]| {
        payments
            .iter()
            .map(|p| p.reference.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        references(&listed),
        [reference(2), reference(3), reference(4)]
    );
    assert_eq!(
        references(&from_the_second),
        [reference(3)],
        "by creation time, the end excluded"
    );
}

// ----- audit history ------------------------------------------------------------------------

fn invoice_subject(invoice: &Invoice) -> Subject {
    Subject::Invoice(invoice.id.clone())
}

fn payment_subject(payment: &Payment) -> Subject {
    Subject::Payment(payment.reference.clone())
}

async fn history<S: Store>(store: &S, subject: &Subject) -> Vec<AuditEvent> {
    store.history(subject).await.unwrap()
}

/// Each event's (number, action, rule), in order.
async fn actions<S: Store>(store: &S, subject: &Subject) -> Vec<(u32, Action, Option<Rule>)> {
    history(store, subject)
        .await
        .into_iter()
        .map(|e| (e.seq, e.action, e.rule))
        .collect()
}

fn vnd(amount: u64) -> Money {
    Money::from_vnd(amount).unwrap()
}

pub async fn every_change_of_an_invoice_appends_one_event_in_order<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let changed = invoice("INV-1", &[120_000]);

    store
        .upsert_invoice(&changed, t0(), &operator())
        .await
        .unwrap();
    store
        .upsert_invoice(&changed, t0(), &operator())
        .await
        .unwrap();
    store
        .void_invoice(&inv.id, &reason(), t0() + minutes(1), &operator())
        .await
        .unwrap();
    store
        .void_invoice(&inv.id, &reason(), t0() + minutes(2), &operator())
        .await
        .unwrap();

    let events = history(store, &invoice_subject(&inv)).await;
    let seen: Vec<_> = events.iter().map(|e| (e.seq, e.action.clone())).collect();
    assert_eq!(
        seen,
        [
            (
                1,
                Action::InvoiceCreated {
                    version: 1,
                    total: vnd(100_000)
                }
            ),
            (
                2,
                Action::InvoiceChanged {
                    version: 2,
                    total: vnd(120_000)
                }
            ),
            (3, Action::InvoiceVoided { version: 3 }),
        ],
        "an unchanged upsert and a second void record nothing"
    );
    assert!(events.iter().all(|e| e.by == operator()));
    assert_eq!(events[2].at, t0() + minutes(1));
}

pub async fn saving_a_school_or_a_student_records_it_once_per_change<H: Harness>(h: &H) {
    let store = h.store();
    seed(store, &[]).await;
    seed(store, &[]).await;
    let mut renamed = school(SCHOOL);
    renamed.name = Label::parse("Trường THCS Ngô Mây").unwrap();
    store
        .upsert_school(&renamed, t0(), &operator())
        .await
        .unwrap();

    let school_events = actions(store, &Subject::School(renamed.id.clone())).await;
    let student_events = actions(store, &Subject::Student(student(STUDENT).code)).await;

    assert_eq!(
        school_events,
        [
            (1, Action::SchoolSaved, None),
            (2, Action::SchoolSaved, None)
        ]
    );
    assert_eq!(student_events, [(1, Action::StudentSaved, None)]);
}

pub async fn two_writers_racing_on_one_subject_each_append_under_their_own_number<H: Harness>(
    h: &H,
) {
    let store = h.store();
    seed(store, &[]).await;
    let (mut one, mut two) = (school(SCHOOL), school(SCHOOL));
    one.name = Label::parse("Trường Một").unwrap();
    two.name = Label::parse("Trường Hai").unwrap();

    let by = operator();
    let (x, y) = tokio::join!(
        store.upsert_school(&one, t0(), &by),
        store.upsert_school(&two, t0(), &by),
    );

    x.unwrap();
    y.unwrap();
    let seqs: Vec<u32> = history(store, &Subject::School(one.id.clone()))
        .await
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
}

pub async fn a_paid_payment_records_who_created_and_settled_it_and_its_invoices_payment<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;

    let state =
        applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0() + minutes(2), 1).await);

    let receipt = state.receipt.unwrap();
    let events = history(store, &payment_subject(&payment)).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        (events[0].seq, &events[0].action, &events[0].by),
        (
            1,
            &Action::PaymentCreated {
                gateway: VNPAY,
                amount: vnd(100_000),
                invoices: vec![inv.id.clone()]
            },
            &Actor::Parent
        )
    );
    assert_eq!(
        (
            events[1].seq,
            &events[1].action,
            &events[1].by,
            events[1].rule
        ),
        (
            2,
            &Action::PaymentSettled {
                txn: GatewayTxnNo::parse("T1").unwrap(),
                amount: vnd(100_000),
                receipt: receipt.id.clone(),
                sequence: 1
            },
            &channel(),
            None
        )
    );
    assert_eq!(events[1].at, t0() + minutes(2));
    assert_eq!(
        actions(store, &invoice_subject(&inv)).await[1],
        (
            2,
            Action::InvoicePaid {
                version: 2,
                payment: payment.reference.clone(),
                receipt: receipt.id
            },
            None
        )
    );
}

pub async fn twenty_identical_callbacks_at_once_record_one_settle_event<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;

    let mut set = JoinSet::new();
    for n in 0..20u8 {
        let (store, payment) = (store.clone(), payment.clone());
        set.spawn(
            async move { settle_vnpay(&store, &payment, &paid("T1", &payment), t0(), n).await },
        );
    }
    set.join_all().await;
    settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 99).await;

    let settled: Vec<u32> = actions(store, &payment_subject(&payment))
        .await
        .into_iter()
        .filter(|(_, action, _)| matches!(action, Action::PaymentSettled { .. }))
        .map(|(seq, _, _)| seq)
        .collect();
    assert_eq!(settled, [2]);
    assert_eq!(history(store, &invoice_subject(&inv)).await.len(), 2);
}

pub async fn each_outcome_names_the_rule_that_decided_it<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b, c) = (
        invoice("INV-1", &[100_000]),
        invoice("INV-2", &[100_000]),
        invoice("INV-3", &[100_000]),
    );
    seed(store, &[a.clone(), b.clone(), c.clone()]).await;
    let late = open_payment(1, &[a.clone()], t0());
    let short = open_payment(2, &[b.clone()], t0());
    let declined_then_paid = open_payment(3, &[c.clone()], t0());
    for payment in [&late, &short, &declined_then_paid] {
        create(store, payment).await;
    }
    let after = t0() + minutes(20);

    store
        .expire(&late.reference, after, &Actor::Sweeper)
        .await
        .unwrap();
    settle_vnpay(store, &late, &paid("T1", &late), after, 1).await;
    settle_vnpay(store, &short, &transfer("T2", 90_000), after, 2).await;
    settle_vnpay(store, &short, &transfer("T2", 90_000), after, 3).await;
    settle_vnpay(store, &declined_then_paid, &declined("24"), t0(), 4).await;
    store
        .void_invoice(&c.id, &reason(), t0(), &operator())
        .await
        .unwrap();
    let refund = paid("T3", &declined_then_paid);
    settle_vnpay(store, &declined_then_paid, &refund, after, 5).await;

    let rules = |events: Vec<(u32, Action, Option<Rule>)>| {
        events
            .into_iter()
            .map(|(_, _, rule)| rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(actions(store, &payment_subject(&late)).await),
        [
            None,
            Some(Rule::TimeRanOut),
            Some(Rule::LateCaptureAfterExpiry)
        ]
    );
    assert_eq!(
        actions(store, &payment_subject(&short)).await[1..],
        [(
            2,
            Action::TransferMismatched {
                txn: GatewayTxnNo::parse("T2").unwrap(),
                amount: vnd(90_000),
                expected: vnd(100_000)
            },
            Some(Rule::AmountMismatch)
        )],
        "the same transfer again records nothing"
    );
    assert_eq!(
        actions(store, &payment_subject(&declined_then_paid)).await[1..],
        [
            (
                2,
                Action::PaymentFailed {
                    txn: None,
                    code: GatewayCode::parse("24").unwrap()
                },
                None
            ),
            (
                3,
                Action::PaymentRefundDue {
                    txn: GatewayTxnNo::parse("T3").unwrap(),
                    amount: vnd(100_000)
                },
                Some(Rule::InvoicesNoLongerOpen)
            ),
        ]
    );
    let swept = history(store, &payment_subject(&late)).await;
    assert_eq!(swept[1].by, Actor::Sweeper);
}

pub async fn a_partners_capture_records_its_creation_and_outcome_by_the_partner<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = captured(TXN, &[inv.clone()], t0());

    record(store, &payment, t0(), 1).await;
    record(store, &payment, t0(), 2).await;

    let events = history(store, &payment_subject(&payment)).await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| matches!(e.action, Action::PaymentSettled { .. }))
        .collect();
    assert_eq!(kinds, [false, true], "{events:?}");
    assert!(matches!(events[0].action, Action::PaymentCreated { .. }));
    assert!(events.iter().all(|e| e.by == bank()));
    assert_eq!(history(store, &invoice_subject(&inv)).await.len(), 2);
}

pub async fn a_change_whose_event_cannot_be_appended_leaves_neither<H: Harness>(h: &H) {
    let store = h.store();
    let (a, b) = (invoice("INV-1", &[100_000]), invoice("INV-2", &[100_000]));
    seed(store, &[a.clone(), b.clone()]).await;
    let payment = open_payment(1, &[b.clone()], t0());
    create(store, &payment).await;
    let count = |events: Vec<AuditEvent>| events.len();

    h.collide_next_event();
    let voided = store
        .void_invoice(&a.id, &reason(), t0(), &operator())
        .await;
    h.collide_next_event();
    let changed = store
        .upsert_invoice(&invoice("INV-1", &[5_000]), t0(), &operator())
        .await;
    h.collide_next_event();
    let settled = store
        .settle(
            &payment.reference,
            VNPAY,
            &paid("T1", &payment),
            t0(),
            &token(1),
            &channel(),
        )
        .await;
    h.collide_next_event();
    let moved = Student {
        class_name: Label::parse("9A2").unwrap(),
        ..student(STUDENT)
    };
    let renamed = store.upsert_student(&moved, t0(), &operator()).await;

    assert!(voided.is_err(), "{voided:?}");
    assert!(changed.is_err(), "{changed:?}");
    assert!(settled.is_err(), "{settled:?}");
    assert!(renamed.is_err(), "{renamed:?}");
    let kept = store.invoice(&a.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.status, kept.version, kept.total()),
        (InvoiceStatus::Open, 1, vnd(100_000))
    );
    assert_eq!(
        store.payment(&payment.reference).await.unwrap(),
        Some(payment.clone())
    );
    assert_eq!(status_of(store, &b.id).await, InvoiceStatus::Open);
    assert_eq!(
        store
            .receipt(&ReceiptId::for_payment(&payment.reference))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.student(&student(STUDENT).code).await.unwrap(),
        Some(student(STUDENT))
    );
    assert_eq!(count(history(store, &invoice_subject(&a)).await), 1);
    assert_eq!(count(history(store, &invoice_subject(&b)).await), 1);
    assert_eq!(count(history(store, &payment_subject(&payment)).await), 1);
    assert_eq!(
        count(history(store, &Subject::Student(student(STUDENT).code)).await),
        1
    );
    let retried = applied(settle_vnpay(store, &payment, &paid("T1", &payment), t0(), 1).await);
    assert_eq!(retried.receipt.unwrap().number.sequence, 1);
    assert_eq!(count(history(store, &payment_subject(&payment)).await), 2);
}

pub async fn a_settle_that_fails_half_way_records_no_event<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let payment = open_payment(1, &[inv.clone()], t0());
    create(store, &payment).await;
    h.break_next_settle();

    let broken = store
        .settle(
            &payment.reference,
            VNPAY,
            &paid("T1", &payment),
            t0(),
            &token(1),
            &channel(),
        )
        .await;

    assert!(broken.is_err());
    assert_eq!(history(store, &payment_subject(&payment)).await.len(), 1);
    assert_eq!(history(store, &invoice_subject(&inv)).await.len(), 1);
}
