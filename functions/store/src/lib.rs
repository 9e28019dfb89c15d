//! Adapters of the domain's [`Store`](hocphi_domain::Store) port.
//!
//! - [`SqliteStore`]: the embedded store a province or a developer runs without AWS; a file that
//!   survives restarts and is as strict as DynamoDB.
//! - `dynamodb::DynamoStore` (feature `dynamodb`): the store of a province's AWS stack, one
//!   table, every state change conditional, a settle one transaction.
//! - `conformance` (feature `conformance`): the one suite every adapter passes, one async
//!   function per behaviour, instantiated as named tests by [`conformance_tests!`].

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
mod events;
mod plan;
mod sqlite;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use sqlite::SqliteStore;
