//! Bill-payment partners: banks' "pay a bill" services, the national portal's payment platform
//! and a province's integration platform (LGSP), which look a bill up and confirm its payment
//! after they have taken the parent's money.
//!
//! Owns the partners' configuration ([`Partners`], one JSON map per province), the verification
//! of their signed requests ([`Partner::verify`]) and the answers in each partner's own format
//! ([`Partner::reply`]). Each partner speaks one [`Profile`]: [`generic`] (JSON, HMAC-SHA256 over
//! a documented canonical string, timestamp and nonce) or [`dvcqg`] (the portal platform's
//! GetBill / Confirm messages with their `MaXacThuc` checksum). Like the channels' adapters it
//! performs no I/O: the app claims nonces, reads and writes the store.
//!
//! Invariants: a [`Verified`] message exists only after the partner's signature checked out in
//! constant time over the exact bytes received, inside the replay window; a partner's key is
//! never printed; every refusal has one code in each profile's reply.

mod config;
pub mod dvcqg;
pub mod generic;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hocphi_domain::{
    GatewayTxnNo, InvoiceId, Label, MaskedName, Money, NonceKey, PartnerId, PayeeId, PaymentCode,
    PaymentRef, ReceiptNumber, School, SchoolId, SchoolYear, StudentCode,
};
use serde::Deserialize;

use crate::signing::Sha256Key;
use crate::{Reply, Secret, Verified};

/// How far a signed request's timestamp may lie from hocphi's clock, either way; its nonce is
/// kept this long after the timestamp's window closes.
pub const REPLAY_WINDOW: Duration = Duration::minutes(5);

/// A partner's message format and signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// hocphi's own JSON API ([`generic`]): what a bank's integration team is given.
    Generic,
    /// The national public-service portal's payment platform ([`dvcqg`]).
    Dvcqg,
}

/// One configured partner.
#[derive(Debug)]
pub struct Partner {
    pub id: PartnerId,
    /// Shown to operators and on receipts ("Vietcombank", "Cổng Dịch vụ công quốc gia").
    pub name: Label,
    pub profile: Profile,
    /// The dvcqg profile only: hocphi's own code at the platform (`MaDoiTac`), which the
    /// platform's messages carry and sign; the partner's id when the configuration gives none.
    pub code: Option<String>,
    key: Secret,
    /// The key's HMAC state, keyed once here (the generic profile's signatures).
    hmac: Sha256Key,
    /// The schools it may collect for, besides those paid into `payees`.
    pub schools: Vec<SchoolId>,
    /// The payees (schools' accounts) it may collect for.
    pub payees: Vec<PayeeId>,
}

/// Why a partners' configuration is refused. No message quotes a key.
#[derive(Debug, thiserror::Error)]
pub enum PartnersError {
    #[error("the partners' configuration is not valid JSON: {0}")]
    Json(String),
    #[error("partner {partner}: {reason}")]
    Partner { partner: String, reason: String },
}

/// The province's partners (`HOCPHI_PARTNERS`): a JSON map from partner id to
/// `{"name", "profile": "generic"|"dvcqg", "key", "schools": [...], "payees": [...]}`, and for
/// the dvcqg profile an optional `"code"` (hocphi's `MaDoiTac` at the platform, see
/// [`Partner::code`]).
#[derive(Debug, Default)]
pub struct Partners(BTreeMap<PartnerId, Partner>);

impl Partners {
    /// Parses the configuration; every partner needs a name, a profile, a key of at least
    /// [`Secret::MIN_LEN`] characters and at least one school or payee. An unknown field, a field
    /// or partner given twice, and a `code` on a generic partner are refused; `{}` is no partner.
    pub fn parse(json: &str) -> Result<Self, PartnersError> {
        config::parse(json).map(Self)
    }

    /// A partner by id.
    pub fn get(&self, id: &PartnerId) -> Option<&Partner> {
        self.0.get(id)
    }

    /// Every partner, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Partner> {
        self.0.values()
    }
}

impl Partner {
    /// Whether it may collect for `school` (listed itself, or paid into a listed payee).
    pub fn collects_for(&self, school: &School) -> bool {
        self.schools.contains(&school.id)
            || school
                .payee
                .as_ref()
                .is_some_and(|p| self.payees.contains(p))
    }

    /// Checks a request's signature (and, for the generic profile, its timestamp) and parses it.
    pub fn verify(
        &self,
        request: &PartnerRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Verified<Signed>, PartnerError> {
        match self.profile {
            Profile::Generic => generic::verify(self, request, now),
            Profile::Dvcqg => dvcqg::verify(self, request),
        }
        .map(Verified::new)
    }

    /// The answer in the partner's format.
    pub fn reply(&self, op: PartnerOp, answer: &Answer) -> Reply {
        match self.profile {
            Profile::Generic => generic::reply(answer),
            Profile::Dvcqg => dvcqg::reply(self, op, answer),
        }
    }

    /// The `MaDoiTac` the platform's messages carry for hocphi (dvcqg profile).
    pub fn platform_code(&self) -> &str {
        self.code.as_deref().unwrap_or(self.id.as_str())
    }
}

/// The path a partner signs and posts an operation to: `/api/partners/{partner}/bills`,
/// `…/confirmations`, `…/reversals`.
pub fn path(partner: &PartnerId, op: PartnerOp) -> String {
    let tail = match op {
        PartnerOp::Bills => "bills",
        PartnerOp::Confirm => "confirmations",
        PartnerOp::Reverse => "reversals",
    };
    format!("/api/partners/{partner}/{tail}")
}

/// What a partner asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartnerOp {
    /// Look bills up (`POST /api/partners/{partner}/bills`).
    Bills,
    /// Confirm a payment it took (`POST /api/partners/{partner}/confirmations`).
    Confirm,
    /// Reverse a confirmed payment (`POST /api/partners/{partner}/reversals`).
    Reverse,
}

/// A partner's request as received: the operation its path names, its headers (names in
/// lower case) and its exact body.
#[derive(Clone, Copy, Debug)]
pub struct PartnerRequest<'a> {
    pub op: PartnerOp,
    /// The request's path, as signed (`/api/partners/VCB/confirmations`).
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// A verified request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub message: Message,
    /// The nonce to claim before acting ([`hocphi_domain::Store::use_nonce`], until
    /// `now + 2 × REPLAY_WINDOW + 1 s`, past the last instant its signed time is still
    /// accepted); `None` for a profile without nonces.
    pub nonce: Option<NonceKey>,
}

/// What a verified request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Bills(BillKey),
    Confirm(Confirmation),
    Reverse(Reversal),
}

/// Which bills a look-up asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillKey {
    /// The open invoices of a student (at the schools the partner collects for).
    Student(StudentCode),
    /// The open invoices a fee notice's payment code names (its student and school year).
    Code(PaymentCode),
}

/// What a confirmation pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillRef {
    /// These invoices, as the look-up listed them.
    Invoices(Vec<InvoiceId>),
    /// Every invoice open under this payment code when the confirmation arrives.
    Code(PaymentCode),
}

/// A partner's confirmation that it took a parent's money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// The partner's transaction id: a confirmation is idempotent by (partner, txn).
    pub txn: GatewayTxnNo,
    pub bill: BillRef,
    pub amount: Money,
    /// When the partner took the money, as it says.
    pub paid_at: Option<DateTime<Utc>>,
}

/// A partner's request to undo a confirmed payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reversal {
    pub txn: GatewayTxnNo,
}

/// One student's open invoices at one school and school year, as a partner sees them: what a
/// parent holding the fee notice would see, and nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    pub student: StudentCode,
    pub student_name: MaskedName,
    pub school: SchoolId,
    pub school_name: Label,
    pub class_name: Label,
    pub school_year: SchoolYear,
    /// The fee notice's payment code for this student and year, only when the look-up presented
    /// it: the code unlocks the public page (`GET /api/invoices?ma=`, checkout), so a look-up by
    /// student code alone never hands it out.
    pub payment_code: Option<PaymentCode>,
    pub invoices: Vec<BillInvoice>,
    pub total: Money,
}

/// One invoice of a [`Bill`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillInvoice {
    pub id: InvoiceId,
    pub term: Label,
    pub items: Vec<(Label, Money)>,
    pub amount: Money,
    pub due_date: NaiveDate,
}

/// A confirmation's outcome that a partner can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipted {
    pub payment: PaymentRef,
    pub receipt: ReceiptNumber,
    /// The receipt's page, the same a parent paying on the page gets.
    pub receipt_url: String,
}

/// hocphi's answer to a verified (or refused) partner request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Bills(Vec<Bill>),
    /// Paid (or, for a repeated confirmation, already paid by this same transaction).
    Confirmed(Receipted),
    Refused(Refusal),
}

/// Why hocphi did not do what a partner asked; each profile maps every one to its own code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The signature, the partner or the body's shape is wrong: nothing was read or written.
    BadRequest(PartnerError),
    /// The request's nonce was already used within the replay window.
    Replayed,
    /// Too many look-ups from this partner within the window.
    RateLimited,
    /// No open invoice matches (or the payment code is not genuine).
    NoBill,
    /// The invoices are at a school the partner does not collect for.
    NotCollectable,
    /// The invoices were paid (or voided) meanwhile: the money is recorded as refund due.
    AlreadyPaid { payment: PaymentRef },
    /// The amount is not the bill's: nothing is paid, the money is recorded for return.
    AmountMismatch { expected: Money },
    /// The transaction id was already confirmed with another bill or amount.
    TxnReused,
    /// No payment of this partner has this transaction id.
    UnknownTxn,
    /// A reversal hocphi does not apply, with why (for the partner's operators).
    NotReversible(&'static str),
    /// The store could not be reached: retry later; nothing was written.
    Unavailable,
}

impl Refusal {
    /// Why hocphi refuses every reversal ([`Refusal::NotReversible`]), for the partner's
    /// operators: the receipt was issued at confirmation and handed to the parent.
    pub const REVERSAL_REASON: &'static str = "hocphi không hoàn tác giao dịch đã xác nhận: \
        biên lai đã được cấp cho phụ huynh khi xác nhận. Nếu khoản trích nợ của đối tác không \
        thành công, đối tác báo nhà trường để đối soát.";

    /// The refusal's code as the generic profile answers it and the logs name it
    /// (`BAD_SIGNATURE`, `NO_BILL`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(error) => error.code(),
            Self::Replayed => "REPLAYED",
            Self::RateLimited => "RATE_LIMITED",
            Self::NoBill => "NO_BILL",
            Self::NotCollectable => "NOT_COLLECTABLE",
            Self::AlreadyPaid { .. } => "ALREADY_PAID",
            Self::AmountMismatch { .. } => "AMOUNT_MISMATCH",
            Self::TxnReused => "TRANSACTION_REUSED",
            Self::UnknownTxn => "UNKNOWN_TRANSACTION",
            Self::NotReversible(_) => "REVERSAL_REFUSED",
            Self::Unavailable => "UNAVAILABLE",
        }
    }
}

/// Why a partner's request failed verification or parsing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartnerError {
    /// No partner has the path's id: the app answers it with [`generic::reply`], as there is no
    /// partner whose format to speak.
    #[error("no such partner")]
    UnknownPartner,
    #[error("the signature is missing")]
    MissingSignature,
    #[error("the signature does not match")]
    BadSignature,
    #[error("the timestamp is missing, malformed or outside the replay window")]
    Stale,
    #[error("the nonce is missing or malformed")]
    BadNonce,
    #[error("the body is not valid: {0}")]
    Malformed(String),
}

impl PartnerError {
    /// The error's code as the generic profile answers it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownPartner => "UNKNOWN_PARTNER",
            Self::MissingSignature | Self::BadSignature => "BAD_SIGNATURE",
            Self::Stale => "STALE_REQUEST",
            Self::BadNonce | Self::Malformed(_) => "MALFORMED",
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod openapi_tests;
