//! The conformance suite against DynamoDB's API, served by moto's server mode.
//!
//! `cargo xtask test` starts moto on a free loopback port and passes its address in
//! `HOCPHI_DYNAMODB_ENDPOINT`. Each test gets its own table. Without the variable the tests fail
//! under CI and are skipped (with a message) elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use hocphi_store::conformance::Harness;
use hocphi_store::dynamodb::{DynamoStore, client, create_table};

struct Dynamo {
    store: DynamoStore,
}

impl Harness for Dynamo {
    type Store = DynamoStore;

    fn store(&self) -> &DynamoStore {
        &self.store
    }

    fn break_next_settle(&self) {
        self.store.break_next_settle();
    }
}

static TABLES: AtomicU32 = AtomicU32::new(0);

async fn fresh() -> Dynamo {
    let endpoint = match std::env::var("HOCPHI_DYNAMODB_ENDPOINT") {
        Ok(endpoint) => endpoint,
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("HOCPHI_DYNAMODB_ENDPOINT is not set: run the tests with `cargo xtask test`")
        }
        Err(_) => {
            eprintln!(
                "skipped: set HOCPHI_DYNAMODB_ENDPOINT (cargo xtask test does) to run against DynamoDB"
            );
            std::process::exit(0);
        }
    };
    let client = client(Some(&endpoint)).await;
    let table = format!(
        "hocphi-test-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::SeqCst)
    );
    create_table(&client, &table)
        .await
        .expect("the table is created");
    Dynamo {
        store: DynamoStore::new(client, table),
    }
}

hocphi_store::conformance_tests!(fresh());
