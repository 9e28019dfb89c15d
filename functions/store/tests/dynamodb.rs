//! The conformance suite against DynamoDB's API, served by moto's server mode.
//!
//! `cargo xtask test` starts moto on a free loopback port and passes its address in
//! `HOCPHI_DYNAMODB_ENDPOINT`. Each test gets its own table. Without the variable every test is
//! reported ignored, or fails where DynamoDB is required (`cargo xtask test`, CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocphi_store::conformance::Harness;
use hocphi_store::conformance::fixtures::{dynamodb, harness};
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

    fn collide_next_event(&self) {
        self.store.collide_next_event();
    }
}

async fn fresh() -> Dynamo {
    let client = client(Some(&dynamodb::endpoint())).await;
    let table = dynamodb::table_name("test");
    create_table(&client, &table)
        .await
        .expect("the table is created");
    Dynamo {
        store: DynamoStore::new(client, table),
    }
}

fn main() {
    let skip = dynamodb::skip_reason();
    let trials = hocphi_store::conformance_trials!(fresh(), skip.as_deref());
    harness::run(trials, skip.as_deref())
}
