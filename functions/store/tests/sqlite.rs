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
}

async fn fresh() -> Sqlite {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path().join("hocphi.db")).expect("the store opens");
    Sqlite { store, _dir: dir }
}

hocphi_store::conformance_tests!(fresh());

mod durability {
    use chrono::{TimeZone, Utc};
    use hocphi_domain::{Label, SchoolId, Store, Symbol};
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
        };
        let student = hocphi_domain::StudentCode::parse("HS0001").unwrap();
        let at = Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap();
        {
            let store = SqliteStore::open(&path).unwrap();
            store.upsert_school(&school).await.unwrap();
            store
                .note_failed_lookup(&student, at, chrono::Duration::minutes(15))
                .await
                .unwrap();
        }

        let reopened = SqliteStore::open(&path).unwrap();

        assert_eq!(reopened.school(&school.id).await.unwrap(), Some(school));
        assert_eq!(reopened.failed_lookups(&student, at).await.unwrap(), 1);
    }
}
