//! hocphi's domain: the pure rules and types every other crate stands on.
//!
//! Owns money ([`Money`], VND with no fractional part), the parsed identifiers, the kinds of
//! collection and the catalogue, invoices, payments, the audit history
//! with their exhaustive state machine, receipts, and the ports ([`Store`], [`Clock`]) through which
//! the use cases reach the world. Nothing here performs I/O, reads a clock or draws randomness:
//! time and entropy are passed in, so every rule is deterministic and the crate builds for
//! `wasm32-unknown-unknown` as well as for Lambda.

mod audit;
mod collection;
mod ids;
mod invoice;
mod money;
mod payment;
pub mod privacy;
mod receipt;
mod store;
mod text;
mod words;

pub use audit::{Action, Actor, AuditEvent, Rule, Subject};
pub use collection::{CatalogueError, CatalogueItem, Collected, LineKind, Unit};
pub use ids::{
    ClientSource, GatewayCode, GatewayTxnNo, IdError, IdempotencyKey, InvoiceId, ItemCode,
    LeaseToken, LookupCode, LookupDigest, LookupKey, LookupScheme, PartnerId, PayeeId, PaymentCode,
    PaymentRef, ProvinceCode, ReceiptId, ReceiptToken, SchoolId, StudentCode, Symbol,
};
pub use invoice::{
    Cancellation, Invoice, InvoiceDraft, InvoiceError, InvoiceStatus, LineItem, Pricing, School,
    Student,
};
pub use money::{Money, MoneyError};
pub use payment::{
    Decision, EventKind, GatewayEvent, GatewayKind, LineRef, Mismatch, Payment, PaymentError,
    PaymentStatus, Transition,
};
pub use privacy::{Erasure, ErasureReport, RetentionReport, StudentRecords};
pub use receipt::{Receipt, ReceiptLine, ReceiptNumber, ReceiptSection};
pub use store::{
    CatalogueOutcome, Claim, ConflictReason, CreatePaymentError, FailureCounter, Fingerprint,
    IdempotencyBegin, InvoicePage, NonceKey, PageToken, PaymentState, Settled, Store, StoreError,
    StoredResponse, StudentPage, UpsertOutcome, VoidOutcome,
};
pub use text::{ERASED, Label, MaskedName, SchoolYear, TextError, escape_html, escape_html_into};
pub use words::amount_in_words;

/// The source of the current time. Use cases take it as a parameter so tests never sleep.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}
