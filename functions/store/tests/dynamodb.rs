//! The conformance suite against DynamoDB's API, served by moto's server mode.
//!
//! `cargo xtask test` starts moto on a free loopback port and passes its address in
//! `HOCPHI_DYNAMODB_ENDPOINT`. Each test gets its own table. Without the variable every test is
//! reported ignored, or fails where DynamoDB is required (`cargo xtask test`, CI). The
//! `reindex` trials rewrite the index attributes of items an earlier version wrote.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use hocphi_store::conformance::Harness;
use hocphi_store::conformance::fixtures::{dynamodb, harness};
use hocphi_store::dynamodb::{DynamoStore, client, create_table};

#[path = "dynamodb/reindex.rs"]
mod reindex;

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
    let mut trials = hocphi_store::conformance_trials!(fresh(), skip.as_deref());
    trials.extend([
        harness::trial(
            "items_written_before_their_indexes_are_found_once_reindexed_and_a_second_run_updates_nothing",
            skip.as_deref(),
            reindex::items_written_before_their_indexes_are_found_once_reindexed_and_a_second_run_updates_nothing,
        ),
        harness::trial(
            "an_index_attribute_the_body_no_longer_calls_for_is_removed",
            skip.as_deref(),
            reindex::an_index_attribute_the_body_no_longer_calls_for_is_removed,
        ),
        harness::trial(
            "an_item_changed_between_read_and_write_is_skipped_and_a_rerun_indexes_it",
            skip.as_deref(),
            reindex::an_item_changed_between_read_and_write_is_skipped_and_a_rerun_indexes_it,
        ),
    ]);
    harness::run(trials, skip.as_deref())
}
