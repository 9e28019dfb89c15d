//! The personal-data behaviours (Law 91/2025/QH15): a student's records, erasure and the
//! retention job, on every adapter.

use chrono::Duration;
use hocphi_domain::privacy::unpaid_payment_retention;
use hocphi_domain::{
    Action, Actor, ERASED, Erasure, FailureCounter, InvoiceStatus, PaymentStatus, ReceiptId, Store,
    StudentCode, Subject, UpsertOutcome, VoidOutcome,
};

use super::{
    Harness, OTHER_STUDENT, applied, create, declined, invoice, invoice_for, minutes, open_payment,
    operator, paid, reason, seed, settle_vnpay, student, t0,
};
use crate::conformance::fixtures::{SCHOOL, STUDENT};

fn code(text: &str) -> StudentCode {
    StudentCode::parse(text).unwrap()
}

fn pseudonym() -> StudentCode {
    StudentCode::pseudonym([7; 8])
}

/// A student with a paid invoice (its receipt), an open one, a voided one and a failed payment,
/// a wrong lookup code counted, and another student's invoice beside them.
async fn a_student_with_history<S: Store>(store: &S) {
    let paid_inv = invoice("INV-PAID", &[300_000]);
    let open_inv = invoice("INV-OPEN", &[200_000]);
    let void_inv = invoice("INV-VOID", &[50_000]);
    let other = invoice_for("INV-OTHER", OTHER_STUDENT, SCHOOL, 2025, &[100_000]);
    seed(
        store,
        &[paid_inv.clone(), open_inv.clone(), void_inv.clone(), other],
    )
    .await;
    store
        .upsert_student(&student(OTHER_STUDENT), t0(), &operator())
        .await
        .unwrap();
    let settled = open_payment(1, std::slice::from_ref(&paid_inv), t0());
    create(store, &settled).await;
    applied(
        settle_vnpay(
            store,
            &settled,
            &paid("TXN1", &settled),
            t0() + minutes(1),
            1,
        )
        .await,
    );
    let failed = open_payment(2, std::slice::from_ref(&open_inv), t0() + minutes(2));
    create(store, &failed).await;
    applied(settle_vnpay(store, &failed, &declined("24"), t0() + minutes(3), 2).await);
    assert_eq!(
        store
            .void_invoice(&void_inv.id, &reason(), t0(), &operator())
            .await
            .unwrap(),
        VoidOutcome::Voided
    );
    store
        .note_failed_lookup(&FailureCounter::Student(code(STUDENT)), t0(), minutes(15))
        .await
        .unwrap();
}

pub async fn a_students_records_are_everything_the_store_holds_about_them<H: Harness>(h: &H) {
    let store = h.store();
    a_student_with_history(store).await;

    let records = store
        .student_records(&code(STUDENT), t0() + minutes(5))
        .await
        .unwrap();

    assert_eq!(records.student, Some(student(STUDENT)));
    let ids: Vec<_> = records.invoices.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(!ids.contains(&"INV-OTHER"));
    let statuses: Vec<_> = records.payments.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [PaymentStatus::Succeeded, PaymentStatus::Failed]);
    assert_eq!(records.receipts.len(), 1);
    assert_eq!(records.failed_lookups, 1);
    assert!(
        store
            .student_records(&code("HS9999"), t0())
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn erasing_a_student_deletes_what_nothing_keeps_and_pseudonymises_what_accounting_keeps<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    a_student_with_history(store).await;
    let now = t0() + minutes(30);

    let Erasure::Erased(report) = store
        .erase_student(&code(STUDENT), &pseudonym(), now, &operator())
        .await
        .unwrap()
    else {
        panic!("the erase was refused");
    };

    assert!(report.student_deleted);
    assert_eq!(
        (report.invoices_deleted, report.invoices_pseudonymised),
        (2, 1)
    );
    assert_eq!(
        store
            .history(&Subject::Student(code(STUDENT)))
            .await
            .unwrap(),
        [],
        "the history keyed by the student's code goes with it"
    );
    for (id, kept) in [("INV-PAID", true), ("INV-OPEN", false), ("INV-VOID", false)] {
        let events = store
            .history(&Subject::Invoice(id.parse().unwrap()))
            .await
            .unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            (&last.action, &last.by),
            (&Action::PersonalDataErased { kept }, &operator()),
            "{id}"
        );
    }
    assert_eq!(
        (report.payments_deleted, report.payments_pseudonymised),
        (1, 1)
    );
    assert_eq!(report.receipts_pseudonymised, 1);
    assert!(store.student(&code(STUDENT)).await.unwrap().is_none());
    assert!(
        store
            .student_records(&code(STUDENT), now)
            .await
            .unwrap()
            .is_empty()
    );
    let kept = store
        .invoice(&"INV-PAID".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, InvoiceStatus::Paid);
    assert_eq!(kept.student, pseudonym());
    assert_eq!(kept.student_name.as_str(), ERASED);
    assert_eq!(kept.class_name.as_str(), ERASED);
    assert!(
        store
            .invoice(&"INV-OPEN".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let receipt = store
        .receipt(&ReceiptId::for_payment(&super::reference(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            receipt.student.clone(),
            receipt.student_name.as_str(),
            receipt.total
        ),
        (pseudonym(), ERASED, kept.total())
    );
    let settled = store.payment(&super::reference(1)).await.unwrap().unwrap();
    assert_eq!(
        (settled.student, settled.status),
        (pseudonym(), PaymentStatus::Succeeded)
    );
    assert!(store.payment(&super::reference(2)).await.unwrap().is_none());
    assert_eq!(
        store
            .failed_lookups(&FailureCounter::Student(code(STUDENT)), t0() + minutes(1))
            .await
            .unwrap(),
        0
    );
    assert!(
        store.student(&code(OTHER_STUDENT)).await.unwrap().is_some(),
        "another student is untouched"
    );

    let again = store
        .erase_student(
            &code(STUDENT),
            &StudentCode::pseudonym([8; 8]),
            now,
            &operator(),
        )
        .await
        .unwrap();
    assert!(
        matches!(&again, Erasure::Erased(r) if r.is_nothing()),
        "{again:?}"
    );
}

pub async fn erasing_a_student_is_refused_while_a_payment_is_pending<H: Harness>(h: &H) {
    let store = h.store();
    let inv = invoice("INV-1", &[100_000]);
    seed(store, &[inv.clone()]).await;
    let pending = open_payment(1, &[inv.clone()], t0());
    create(store, &pending).await;

    let refused = store
        .erase_student(&code(STUDENT), &pseudonym(), t0() + minutes(1), &operator())
        .await
        .unwrap();

    assert_eq!(refused, Erasure::PaymentPending(pending.reference.clone()));
    assert!(store.student(&code(STUDENT)).await.unwrap().is_some());
    assert!(store.invoice(&inv.id).await.unwrap().is_some());
}

pub async fn retention_removes_the_names_of_payments_that_ended_unpaid_past_their_period<
    H: Harness,
>(
    h: &H,
) {
    let store = h.store();
    let invoices: Vec<_> = (1..=3)
        .map(|n| invoice(&format!("INV-{n}"), &[100_000]))
        .collect();
    seed(store, &invoices).await;
    let old = open_payment(1, &invoices[..1], t0());
    let recent = open_payment(2, &invoices[1..2], t0() + Duration::days(20));
    let succeeded = open_payment(3, &invoices[2..], t0());
    for payment in [&old, &recent, &succeeded] {
        create(store, payment).await;
    }
    applied(
        store
            .expire(&old.reference, t0() + minutes(20), &Actor::Sweeper)
            .await
            .unwrap(),
    );
    applied(
        settle_vnpay(
            store,
            &recent,
            &declined("24"),
            t0() + Duration::days(20),
            2,
        )
        .await,
    );
    applied(settle_vnpay(store, &succeeded, &paid("TXN3", &succeeded), t0(), 3).await);
    let now = t0() + Duration::days(35);
    let to = now - unpaid_payment_retention();

    let report = store
        .apply_retention(now, to - Duration::days(10), to, 100)
        .await
        .unwrap();
    let again = store
        .apply_retention(now, to - Duration::days(10), to, 100)
        .await
        .unwrap();

    assert_eq!((report.payments, again.payments), (1, 0));
    let last = |events: Vec<hocphi_domain::AuditEvent>| {
        events.last().map(|e| (e.action.clone(), e.by.clone()))
    };
    assert_eq!(
        last(
            store
                .history(&Subject::Payment(old.reference.clone()))
                .await
                .unwrap()
        ),
        Some((Action::PersonalDataRemoved, Actor::Retention)),
        "the retention job records what it removed, once"
    );
    assert_ne!(
        last(
            store
                .history(&Subject::Payment(succeeded.reference.clone()))
                .await
                .unwrap()
        )
        .map(|(action, _)| action),
        Some(Action::PersonalDataRemoved)
    );
    let forgotten = store.payment(&old.reference).await.unwrap().unwrap();
    assert_eq!(
        (
            forgotten.student_name.as_str(),
            forgotten.class_name.as_str()
        ),
        (ERASED, ERASED)
    );
    assert_eq!(
        (forgotten.status, forgotten.amount, &forgotten.student),
        (PaymentStatus::Expired, old.amount, &old.student)
    );
    for kept in [&recent, &succeeded] {
        let stored = store.payment(&kept.reference).await.unwrap().unwrap();
        assert_eq!(stored.student_name, kept.student_name, "{}", kept.reference);
    }
    assert_eq!(
        store
            .upsert_invoice(&invoices[0], now, &operator())
            .await
            .unwrap(),
        UpsertOutcome::Unchanged,
        "the invoice it covered is untouched"
    );
}

pub async fn retention_drops_closed_lookup_windows_and_ended_records<H: Harness>(h: &H) {
    let store = h.store();
    let counter = FailureCounter::Student(code(STUDENT));
    store
        .note_failed_lookup(&counter, t0(), minutes(15))
        .await
        .unwrap();

    store
        .apply_retention(t0() + minutes(5), t0(), t0(), 10)
        .await
        .unwrap();
    let open = store
        .failed_lookups(&counter, t0() + minutes(5))
        .await
        .unwrap();
    store
        .apply_retention(t0() + minutes(16), t0(), t0(), 10)
        .await
        .unwrap();

    assert_eq!(open, 1, "a window still open is kept");
    assert_eq!(
        store
            .failed_lookups(&counter, t0() + minutes(16))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .note_failed_lookup(&counter, t0() + minutes(17), minutes(15))
            .await
            .unwrap(),
        1
    );
}
