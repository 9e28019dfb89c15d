//! The conformance suite against the embedded SQLite store, plus what only a file can show.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocphi_store::SqliteStore;
use hocphi_store::conformance::Harness;

struct Sqlite {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl Harness for Sqlite {
    type Store = SqliteStore;

    fn store(&self) -> &SqliteStore {
        &self.store
    }

    fn break_next_settle(&self) {
        self.store.break_next_settle();
    }

    fn collide_next_event(&self) {
        self.store.collide_next_event();
    }
}

async fn fresh() -> Sqlite {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path().join("hocphi.db")).expect("the store opens");
    Sqlite { store, _dir: dir }
}

hocphi_store::conformance_tests!(fresh());

/// The tables of the first schema that later migrations change, as a file written before them
/// holds them.
const FIRST_SCHEMA: &str = "
    CREATE TABLE invoices (id TEXT PRIMARY KEY, student TEXT NOT NULL, status TEXT NOT NULL,
        due_date TEXT NOT NULL, held_by TEXT, held_until INTEGER, body TEXT NOT NULL);
    CREATE TABLE payments (reference TEXT PRIMARY KEY, status TEXT NOT NULL,
        created_at INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE INDEX payments_by_status ON payments (status, created_at);
    CREATE TABLE lookup_failures (student TEXT PRIMARY KEY, failures INTEGER NOT NULL,
        window_ends INTEGER NOT NULL);
    CREATE TABLE idempotency (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,
        state TEXT NOT NULL, lease_until INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        response_status INTEGER, response_body TEXT);
    PRAGMA user_version = 1;";

mod durability {
    use chrono::{TimeZone, Utc};
    use hocphi_domain::{FailureCounter, Label, SchoolId, Store, Symbol};
    use hocphi_store::SqliteStore;

    #[tokio::test]
    async fn what_was_written_survives_closing_and_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hocphi.db");
        let school = hocphi_domain::School {
            id: SchoolId::parse("BD-THCS-NQ").unwrap(),
            name: Label::parse("Trường THCS Ngô Quyền").unwrap(),
            receipt_template: Symbol::parse("01BLP0-001").unwrap(),
            receipt_series: Symbol::parse("HP-25E").unwrap(),
            payee: None,
            commune: None,
        };
        let student = FailureCounter::Student(hocphi_domain::StudentCode::parse("HS0001").unwrap());
        let at = Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap();
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .upsert_school(&school, at, &hocphi_domain::Actor::Sweeper)
                .await
                .unwrap();
            store
                .note_failed_lookup(&student, at, chrono::Duration::minutes(15))
                .await
                .unwrap();
        }

        let reopened = SqliteStore::open(&path).unwrap();

        assert_eq!(reopened.school(&school.id).await.unwrap(), Some(school));
        assert_eq!(reopened.failed_lookups(&student, at).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_students_failure_counter_written_before_sources_were_counted_still_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hocphi.db");
        let at = Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap();
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::FIRST_SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO lookup_failures VALUES ('HS0001', 4, ?1)",
                [(at + chrono::Duration::minutes(10)).timestamp_millis()],
            )
            .unwrap();
        }
        let student = FailureCounter::Student(hocphi_domain::StudentCode::parse("HS0001").unwrap());

        let migrated = SqliteStore::open(&path).unwrap();

        assert_eq!(migrated.failed_lookups(&student, at).await.unwrap(), 4);
        assert_eq!(
            migrated
                .note_failed_lookup(&student, at, chrono::Duration::minutes(15))
                .await
                .unwrap(),
            5
        );
    }
}

mod migration {
    use chrono::{Duration, TimeZone, Utc};
    use hocphi_domain::{GatewayKind, Payment, PaymentRef, PaymentStatus, Store};
    use hocphi_store::SqliteStore;
    use hocphi_store::conformance::fixtures::InvoiceFixture;

    #[tokio::test]
    async fn payments_written_before_the_expiry_column_are_found_by_their_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hocphi.db");
        let created =
            Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap() + Duration::milliseconds(250);
        let mut payment = Payment::open(
            PaymentRef::parse("HP0000000001").unwrap(),
            &[InvoiceFixture::new("INV-1", &[("Học phí", 100_000)]).build()],
            &[],
            GatewayKind::Vnpay,
            created,
            Duration::minutes(15),
        )
        .unwrap();
        payment.status = PaymentStatus::Expired;
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::FIRST_SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO payments (reference, status, created_at, body) VALUES (?1, ?2, ?3, ?4)",
                (
                    payment.reference.as_str(),
                    "expired",
                    created.timestamp_millis(),
                    serde_json::to_string(&payment).unwrap(),
                ),
            )
            .unwrap();
        }

        let store = SqliteStore::open(&path).unwrap();
        let exact = store
            .unpaid_expired_between(
                payment.expires_at,
                payment.expires_at + Duration::milliseconds(1),
                10,
            )
            .await
            .unwrap();
        let before = store
            .unpaid_expired_between(created, payment.expires_at, 10)
            .await
            .unwrap();

        assert_eq!(exact, [payment], "its expiry, to the millisecond");
        assert!(before.is_empty());
    }
}
