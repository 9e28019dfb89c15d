//! Payments and their state machine.
//!
//! A [`Payment`] covers one or more Open invoices of one student, one school and one school year,
//! for exactly their totals plus the voluntary lines the parent chose on them, each named once by
//! its position ([`LineRef`]); a partner's capture pays the totals only, and one for a bill with
//! nothing left open covers none and is refund due. Its status changes only through [`PaymentStatus::next`], defined once
//! here and exhaustively; stores apply the resulting [`Transition`] atomically. Money the gateway
//! captured always wins over an earlier failure, expiry or mismatched transfer; nothing ever
//! leaves Succeeded or RefundDue.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    GatewayCode, GatewayTxnNo, Invoice, InvoiceId, InvoiceStatus, Label, MaskedName, Money,
    MoneyError, PartnerId, PayeeId, PaymentCode, PaymentRef, SchoolId, SchoolYear, Student,
    StudentCode,
};

/// The gateways hocphi speaks to. Every listing of gateways is either a `match` on this enum
/// (so a new kind does not compile until each one handles it) or [`GatewayKind::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    /// A bank transfer by VietQR through payOS, into the school's own account: free for the
    /// parent, so the page offers it first.
    Payos,
    Vnpay,
    Momo,
    /// The national public-service portal's payment platform as a redirect channel: the parent
    /// pays on the platform, which confirms to hocphi (Init / Confirm / status check).
    Dvcqg,
    /// A bill-payment partner (a bank's "pay a bill" service, the portal's bill look-up): the
    /// partner took the money before hocphi hears of it, so a parent never chooses it on the page
    /// and its payments are stored already captured ([`Payment::captured`]).
    Partner,
}

impl GatewayKind {
    /// Every kind, in the order the page offers them: a new kind goes here too.
    pub const ALL: [GatewayKind; 5] = [
        GatewayKind::Payos,
        GatewayKind::Vnpay,
        GatewayKind::Momo,
        GatewayKind::Dvcqg,
        GatewayKind::Partner,
    ];

    /// The kinds a parent can choose on the page, in [`GatewayKind::ALL`]'s order.
    pub const CHECKOUT: [GatewayKind; 4] = [
        GatewayKind::Payos,
        GatewayKind::Vnpay,
        GatewayKind::Momo,
        GatewayKind::Dvcqg,
    ];

    /// Whether a parent can choose it on the page (every kind but [`GatewayKind::Partner`]).
    pub fn is_checkout(self) -> bool {
        match self {
            Self::Payos | Self::Vnpay | Self::Momo | Self::Dvcqg => true,
            Self::Partner => false,
        }
    }

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payos => "payos",
            Self::Vnpay => "vnpay",
            Self::Momo => "momo",
            Self::Dvcqg => "dvcqg",
            Self::Partner => "partner",
        }
    }

    /// Parses the wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == raw)
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Payos => "VietQR",
            Self::Vnpay => "VNPay",
            Self::Momo => "MoMo",
            Self::Dvcqg => "Cổng Dịch vụ công",
            Self::Partner => "Thu hộ qua đối tác",
        }
    }
}

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Sent to the gateway; no verified outcome yet.
    Pending,
    /// Paid: its invoices are Paid and its receipt is issued.
    Succeeded,
    /// The gateway reported a failure or a cancellation.
    Failed,
    /// No outcome within its time; its invoices are free again.
    Expired,
    /// The gateway captured the money but the invoices could no longer be paid by it (paid by
    /// another payment or voided meanwhile): the money must be returned. Reported to operators.
    RefundDue,
    /// Money arrived that is not the payment's amount (a bank transfer of another sum, see
    /// [`Payment::mismatches`]): nothing is paid with it, the invoices are free again, and an
    /// operator returns the money. Reported to operators. A later transfer of the exact amount
    /// still settles, as a late capture does.
    Mismatched,
}

/// What a verified event does to a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The gateway captured the money.
    Paid,
    /// The gateway reported a failure.
    Declined,
    /// The payment's time ran out with no outcome.
    TimedOut,
}

/// The change a store applies, atomically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Pay the covered invoices and issue the receipt (or RefundDue if they are no longer open).
    Settle,
    /// Record the failure and free the invoices.
    Fail,
    /// Record the expiry and free the invoices.
    Expire,
    /// Nothing changes: the payment already has its outcome.
    Keep,
}

impl PaymentStatus {
    /// All statuses, for tables and tests.
    pub const ALL: [PaymentStatus; 6] = [
        Self::Pending,
        Self::Succeeded,
        Self::Failed,
        Self::Expired,
        Self::RefundDue,
        Self::Mismatched,
    ];

    /// Terminal for the parent's page: the outcome is known. (Failed and Expired still accept a
    /// late capture: see [`PaymentStatus::next`].)
    pub fn is_terminal(self) -> bool {
        match self {
            Self::Pending => false,
            Self::Succeeded | Self::Failed | Self::Expired | Self::RefundDue | Self::Mismatched => {
                true
            }
        }
    }

    /// The one definition of the state machine.
    pub fn next(self, event: EventKind) -> Transition {
        use EventKind::{Declined, Paid, TimedOut};
        match (self, event) {
            (Self::Pending, Paid) => Transition::Settle,
            (Self::Pending, Declined) => Transition::Fail,
            (Self::Pending, TimedOut) => Transition::Expire,
            (Self::Failed | Self::Expired | Self::Mismatched, Paid) => Transition::Settle,
            (Self::Failed | Self::Expired | Self::Mismatched, Declined | TimedOut) => {
                Transition::Keep
            }
            (Self::Succeeded | Self::RefundDue, Paid | Declined | TimedOut) => Transition::Keep,
        }
    }

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::RefundDue => "refund_due",
            Self::Mismatched => "mismatched",
        }
    }

    /// Parses the storage name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A verified outcome reported by a gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayEvent {
    /// The money was captured.
    Paid { txn: GatewayTxnNo, amount: Money },
    /// The payment failed or was cancelled; `code` is the gateway's own result code.
    Declined {
        txn: Option<GatewayTxnNo>,
        code: GatewayCode,
    },
}

impl GatewayEvent {
    /// The kind of event, for the state machine.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Paid { .. } => EventKind::Paid,
            Self::Declined { .. } => EventKind::Declined,
        }
    }
}

/// What to do with a verified event for a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The captured amount is not the payment's amount: apply nothing, report it.
    AmountMismatch { expected: Money },
    /// Apply this transition.
    Apply(Transition),
}

/// Why a payment could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("choose at least one invoice")]
    NoInvoices,
    #[error("a payment may cover at most {0} invoices")]
    TooManyInvoices(usize),
    #[error("invoice {0} is listed twice")]
    DuplicateInvoice(InvoiceId),
    #[error("invoice {0} is not open")]
    NotOpen(InvoiceId),
    #[error("the invoices belong to different students, schools or school years")]
    Mixed,
    #[error("the total is out of range: {0}")]
    Amount(#[from] MoneyError),
    #[error("{0}: a voluntary item is chosen only on an invoice being paid")]
    UncoveredChoice(LineRef),
    #[error("{0}: the invoice has no such line")]
    NoSuchLine(LineRef),
    #[error("{0} is not a voluntary item: only voluntary items are chosen, the rest is required")]
    NotVoluntary(LineRef),
    #[error("{0} is chosen twice")]
    DuplicateChoice(LineRef),
}

/// Money a channel reported received for a payment that is not its amount: never a
/// settlement, always for an operator to return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mismatch {
    pub txn: GatewayTxnNo,
    pub amount: Money,
    pub at: DateTime<Utc>,
}

/// One attempt to pay one or more invoices through a gateway.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub reference: PaymentRef,
    pub school: SchoolId,
    pub student: StudentCode,
    /// As on the first covered invoice, for the status page and the receipt.
    pub student_name: MaskedName,
    pub class_name: Label,
    pub school_year: SchoolYear,
    /// The covered invoices, in the order the parent chose them.
    pub invoices: Vec<InvoiceId>,
    pub amount: Money,
    pub gateway: GatewayKind,
    pub status: PaymentStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The gateway's transaction number, once an event carried one.
    pub gateway_txn: Option<GatewayTxnNo>,
    /// The gateway's result code of the last decline.
    pub failure_code: Option<GatewayCode>,
    /// The payee (payOS channel) paid by this payment: its school's when it was opened. Fixed
    /// for the payment's life; a channel's webhook only ever settles its own payee's payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<PayeeId>,
    /// Each transfer received whose amount is not the payment's, once per transaction number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<Mismatch>,
    /// The bill-payment partner that collected it (a [`GatewayKind::Partner`] payment only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<PartnerId>,
    /// The voluntary lines the parent chose to pay with the invoices (never pre-selected): the
    /// amount is the invoices' totals plus these lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub voluntary: Vec<LineRef>,
    /// Incremented by every stored change.
    pub version: u64,
}

/// One line of one covered invoice: its position in [`Invoice::items`], counting from 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineRef {
    pub invoice: InvoiceId,
    pub line: u16,
}

impl fmt::Display for LineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invoice {}, line at position {}",
            self.invoice, self.line
        )
    }
}

/// The amounts of the voluntary lines `choices` name on `invoices`: each must name a voluntary
/// line of one of them, once.
fn chosen_amounts(invoices: &[Invoice], choices: &[LineRef]) -> Result<Vec<Money>, PaymentError> {
    let mut seen = BTreeSet::new();
    choices
        .iter()
        .map(|choice| {
            let invoice = invoices
                .iter()
                .find(|i| i.id == choice.invoice)
                .ok_or_else(|| PaymentError::UncoveredChoice(choice.clone()))?;
            let line = invoice
                .items()
                .get(usize::from(choice.line))
                .ok_or_else(|| PaymentError::NoSuchLine(choice.clone()))?;
            if !line.is_voluntary() {
                return Err(PaymentError::NotVoluntary(choice.clone()));
            }
            if !seen.insert(choice) {
                return Err(PaymentError::DuplicateChoice(choice.clone()));
            }
            Ok(line.amount)
        })
        .collect()
}

/// What paying `invoices` with the voluntary lines `choices` costs: their totals plus the lines.
fn amount_of(invoices: &[Invoice], choices: &[LineRef]) -> Result<Money, PaymentError> {
    let chosen = chosen_amounts(invoices, choices)?;
    Ok(Money::sum(
        invoices.iter().map(Invoice::total).chain(chosen),
    )?)
}

impl Payment {
    /// The most invoices one payment may cover.
    pub const MAX_INVOICES: usize = 12;

    /// A Pending payment for exactly these invoices, which must be Open and belong to one
    /// student, school and school year, and the voluntary lines the parent chose on them
    /// (`voluntary`, usually none): its amount is the invoices' totals plus those lines.
    pub fn open(
        reference: PaymentRef,
        invoices: &[Invoice],
        voluntary: &[LineRef],
        gateway: GatewayKind,
        now: DateTime<Utc>,
        time_to_pay: Duration,
    ) -> Result<Self, PaymentError> {
        if let Some(closed) = invoices.iter().find(|i| i.status != InvoiceStatus::Open) {
            return Err(PaymentError::NotOpen(closed.id.clone()));
        }
        Self::covering(
            reference,
            invoices,
            voluntary,
            gateway,
            now,
            now + time_to_pay,
        )
    }

    /// A payment a partner already captured, for these invoices of one student, school and
    /// school year, whatever their status now, for their totals (a partner bills what the
    /// invoices require: voluntary items are paid on the page): stored with [`Store::record_capture`], which pays
    /// them, or records the money as refund due when they can no longer be paid by it. Its
    /// reference is [`PaymentRef::for_partner`] of the partner's transaction, so a repeated
    /// confirmation finds it; Pending until the store applies the capture, and due at once.
    ///
    /// [`Store::record_capture`]: crate::Store::record_capture
    pub fn captured(
        partner: &PartnerId,
        txn: &GatewayTxnNo,
        invoices: &[Invoice],
        now: DateTime<Utc>,
    ) -> Result<Self, PaymentError> {
        let reference = PaymentRef::for_partner(partner, txn);
        let mut payment = Self::covering(reference, invoices, &[], GatewayKind::Partner, now, now)?;
        payment.partner = Some(partner.clone());
        Ok(payment)
    }

    /// A payment a partner already captured, as `amount`, for `student`'s bill of `year` when
    /// none of that year's invoices is open any more (paid by another channel meanwhile, or the
    /// same notice paid twice): it covers no invoice, so [`Store::record_capture`] stores it
    /// RefundDue and the money is on record to return. School, name and class are the student's.
    ///
    /// [`Store::record_capture`]: crate::Store::record_capture
    pub fn captured_unbilled(
        partner: &PartnerId,
        txn: &GatewayTxnNo,
        student: &Student,
        year: SchoolYear,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            reference: PaymentRef::for_partner(partner, txn),
            school: student.school.clone(),
            student: student.code.clone(),
            student_name: student.name.clone(),
            class_name: student.class_name.clone(),
            school_year: year,
            invoices: Vec::new(),
            amount,
            gateway: GatewayKind::Partner,
            status: PaymentStatus::Pending,
            created_at: now,
            expires_at: now,
            gateway_txn: None,
            failure_code: None,
            payee: None,
            mismatches: Vec::new(),
            partner: Some(partner.clone()),
            voluntary: Vec::new(),
            version: 0,
        }
    }

    fn covering(
        reference: PaymentRef,
        invoices: &[Invoice],
        voluntary: &[LineRef],
        gateway: GatewayKind,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Self, PaymentError> {
        let first = invoices.first().ok_or(PaymentError::NoInvoices)?;
        if invoices.len() > Self::MAX_INVOICES {
            return Err(PaymentError::TooManyInvoices(Self::MAX_INVOICES));
        }
        for (i, invoice) in invoices.iter().enumerate() {
            if invoices[..i].iter().any(|earlier| earlier.id == invoice.id) {
                return Err(PaymentError::DuplicateInvoice(invoice.id.clone()));
            }
            if invoice.student != first.student
                || invoice.school != first.school
                || invoice.school_year != first.school_year
            {
                return Err(PaymentError::Mixed);
            }
        }
        Ok(Self {
            reference,
            school: first.school.clone(),
            student: first.student.clone(),
            student_name: first.student_name.clone(),
            class_name: first.class_name.clone(),
            school_year: first.school_year,
            invoices: invoices.iter().map(|i| i.id.clone()).collect(),
            amount: amount_of(invoices, voluntary)?,
            gateway,
            status: PaymentStatus::Pending,
            created_at: now,
            expires_at,
            gateway_txn: None,
            failure_code: None,
            payee: None,
            mismatches: Vec::new(),
            partner: None,
            voluntary: voluntary.to_vec(),
            version: 0,
        })
    }

    /// Checks a verified event against this payment and says what to apply.
    pub fn decide(&self, event: &GatewayEvent) -> Decision {
        if let GatewayEvent::Paid { amount, .. } = event
            && *amount != self.amount
        {
            return Decision::AmountMismatch {
                expected: self.amount,
            };
        }
        Decision::Apply(self.status.next(event.kind()))
    }

    /// True when `invoices`, as stored now and in this payment's order, are still what it was
    /// opened for: each Open, of its student, school and school year, and together with the
    /// chosen voluntary lines (still voluntary lines of them) its amount. A capture that arrives
    /// after the hold lapsed must not pay an invoice re-issued meanwhile.
    pub fn still_covers(&self, invoices: &[Invoice]) -> bool {
        invoices.len() == self.invoices.len()
            && invoices.iter().zip(&self.invoices).all(|(invoice, id)| {
                invoice.id == *id
                    && invoice.status == InvoiceStatus::Open
                    && invoice.student == self.student
                    && invoice.school == self.school
                    && invoice.school_year == self.school_year
            })
            && self.is_priced_by(invoices)
    }

    /// True when `invoices` (whatever their status) and the chosen voluntary lines on them come
    /// to exactly this payment's amount: what a store checks before it holds them.
    pub fn is_priced_by(&self, invoices: &[Invoice]) -> bool {
        amount_of(invoices, &self.voluntary).is_ok_and(|amount| amount == self.amount)
    }

    /// Whether `ids` name exactly the invoices this payment covers, in any order (a partner's
    /// repeated confirmation, a row of its daily file).
    pub fn covers_exactly(&self, ids: &[InvoiceId]) -> bool {
        let named: std::collections::BTreeSet<&InvoiceId> = ids.iter().collect();
        let covered: std::collections::BTreeSet<&InvoiceId> = self.invoices.iter().collect();
        named == covered
    }

    /// Whether a fee notice's payment code names this payment's student and school year (it
    /// says nothing about whether the code is genuine: [`PaymentCode::verify`] does).
    pub fn is_named_by(&self, code: &PaymentCode) -> bool {
        code.student() == &self.student && code.is_for(self.school_year)
    }

    /// True while the payment holds its invoices: Pending and not past its expiry.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == PaymentStatus::Pending && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventKind::*;
    use PaymentStatus::*;

    #[test]
    fn the_state_machine_is_the_documented_table() {
        let table = [
            (Pending, Paid, Transition::Settle),
            (Pending, Declined, Transition::Fail),
            (Pending, TimedOut, Transition::Expire),
            (Failed, Paid, Transition::Settle),
            (Failed, Declined, Transition::Keep),
            (Failed, TimedOut, Transition::Keep),
            (Expired, Paid, Transition::Settle),
            (Expired, Declined, Transition::Keep),
            (Expired, TimedOut, Transition::Keep),
            (Succeeded, Paid, Transition::Keep),
            (Succeeded, Declined, Transition::Keep),
            (Succeeded, TimedOut, Transition::Keep),
            (RefundDue, Paid, Transition::Keep),
            (RefundDue, Declined, Transition::Keep),
            (RefundDue, TimedOut, Transition::Keep),
            (Mismatched, Paid, Transition::Settle),
            (Mismatched, Declined, Transition::Keep),
            (Mismatched, TimedOut, Transition::Keep),
        ];
        assert_eq!(table.len(), PaymentStatus::ALL.len() * 3);
        for (status, event, expected) in table {
            assert_eq!(status.next(event), expected, "{status:?} on {event:?}");
        }
    }

    #[test]
    fn only_pending_is_not_terminal() {
        for status in PaymentStatus::ALL {
            assert_eq!(status.is_terminal(), status != Pending, "{status:?}");
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn every_gateway_kind_is_listed_once_and_reads_back_from_its_wire_name() {
        for (i, kind) in GatewayKind::ALL.into_iter().enumerate() {
            assert_eq!(GatewayKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
            assert!(!GatewayKind::ALL[..i].contains(&kind), "{kind:?} twice");
        }
        assert_eq!(GatewayKind::parse("paypal"), None);
    }

    #[test]
    fn a_captured_payment_is_the_partners_transaction_whatever_its_invoices_status() {
        let mut paid = Invoice::new(crate::invoice::tests::draft(&[1_500_000, 200_000])).unwrap();
        paid.status = InvoiceStatus::Paid;
        let partner = PartnerId::parse("BANKDEMO").unwrap();
        let txn = GatewayTxnNo::parse("FT26339000123").unwrap();

        let payment = Payment::captured(
            &partner,
            &txn,
            std::slice::from_ref(&paid),
            DateTime::UNIX_EPOCH,
        )
        .unwrap();

        assert_eq!(payment.reference, PaymentRef::for_partner(&partner, &txn));
        assert_eq!(payment.gateway, GatewayKind::Partner);
        assert_eq!(payment.partner, Some(partner.clone()));
        assert_eq!(payment.status, Pending);
        assert_eq!(payment.amount, Money::from_vnd(1_700_000).unwrap());
        assert_eq!(payment.expires_at, payment.created_at);
        assert!(!GatewayKind::Partner.is_checkout());
        let mut other = paid.clone();
        other.id = InvoiceId::parse("NQ-2025-HK1-0002").unwrap();
        other.student = StudentCode::parse("HS0002").unwrap();
        assert_eq!(
            Payment::captured(&partner, &txn, &[paid.clone(), other], DateTime::UNIX_EPOCH),
            Err(PaymentError::Mixed)
        );
        assert_eq!(
            Payment::open(
                PaymentRef::parse("HP1").unwrap(),
                &[paid.clone()],
                &[],
                GatewayKind::Vnpay,
                DateTime::UNIX_EPOCH,
                Duration::minutes(15),
            ),
            Err(PaymentError::NotOpen(paid.id))
        );
    }

    #[test]
    fn an_unbilled_capture_is_the_partners_transaction_for_the_student_covering_no_invoice() {
        let student = Student {
            code: StudentCode::parse("HS0001").unwrap(),
            school: SchoolId::parse("BD-THCS-NQ").unwrap(),
            name: MaskedName::mask("Nguyễn Văn An").unwrap(),
            class_name: Label::parse("6A1").unwrap(),
            lookup: crate::LookupDigest::parse(&"ab".repeat(32)).unwrap(),
        };
        let partner = PartnerId::parse("DVCQG").unwrap();
        let txn = GatewayTxnNo::parse("GD2026000123").unwrap();
        let year = SchoolYear::parse("2026-2027").unwrap();
        let amount = Money::from_vnd(1_700_000).unwrap();

        let payment = Payment::captured_unbilled(
            &partner,
            &txn,
            &student,
            year,
            amount,
            DateTime::UNIX_EPOCH,
        );

        assert_eq!(payment.reference, PaymentRef::for_partner(&partner, &txn));
        assert_eq!(payment.partner, Some(partner));
        assert_eq!(payment.gateway, GatewayKind::Partner);
        assert_eq!(payment.status, Pending);
        assert_eq!(
            (&payment.school, &payment.student, &payment.student_name),
            (&student.school, &student.code, &student.name)
        );
        assert_eq!(payment.class_name, student.class_name);
        assert_eq!(payment.school_year, year);
        assert_eq!(payment.amount, amount);
        assert!(payment.invoices.is_empty());
        assert!(!payment.still_covers(&[]), "nothing to pay: refund due");
    }

    #[test]
    fn a_payment_still_covers_only_its_invoices_as_it_found_them() {
        let invoice =
            |amounts: &[u64]| Invoice::new(crate::invoice::tests::draft(amounts)).unwrap();
        let found = invoice(&[1_500_000, 200_000]);
        let reference = PaymentRef::parse("HP0000000001").unwrap();
        let payment = Payment::open(
            reference,
            std::slice::from_ref(&found),
            &[],
            GatewayKind::Vnpay,
            DateTime::UNIX_EPOCH,
            Duration::minutes(15),
        )
        .unwrap();
        let mut paid = found.clone();
        paid.status = InvoiceStatus::Paid;
        let mut other_student = found.clone();
        other_student.student = StudentCode::parse("HS0002").unwrap();
        let mut bumped = found.clone();
        bumped.version += 3;
        let cases: [(&str, Vec<Invoice>, bool); 6] = [
            ("unchanged", vec![found.clone()], true),
            ("only its version moved", vec![bumped], true),
            (
                "re-issued at another amount",
                vec![invoice(&[2_000_000])],
                false,
            ),
            ("paid meanwhile", vec![paid], false),
            ("now another student's", vec![other_student], false),
            (
                "one more invoice",
                vec![found.clone(), found.clone()],
                false,
            ),
        ];
        for (case, invoices, expected) in cases {
            assert_eq!(payment.still_covers(&invoices), expected, "{case}");
        }
    }

    fn choice(invoice: &Invoice, line: u16) -> LineRef {
        LineRef {
            invoice: invoice.id.clone(),
            line,
        }
    }

    fn open(invoices: &[Invoice], voluntary: &[LineRef]) -> Result<Payment, PaymentError> {
        Payment::open(
            PaymentRef::parse("HP0000000001").unwrap(),
            invoices,
            voluntary,
            GatewayKind::Vnpay,
            DateTime::UNIX_EPOCH,
            Duration::minutes(15),
        )
    }

    #[test]
    fn a_payment_costs_the_totals_plus_the_voluntary_items_chosen() {
        let public = crate::invoice::tests::public_school();
        let mut second = crate::invoice::tests::public_school();
        second.id = InvoiceId::parse("NQ-2025-HK1-0002").unwrap();
        let cases: [(&str, Vec<Invoice>, Vec<LineRef>, u64); 3] = [
            ("nothing chosen", vec![public.clone()], vec![], 1_609_520),
            (
                "the voluntary item chosen",
                vec![public.clone()],
                vec![choice(&public, 3)],
                1_709_520,
            ),
            (
                "on both invoices",
                vec![public.clone(), second.clone()],
                vec![choice(&second, 3), choice(&public, 3)],
                3_419_040,
            ),
        ];
        for (case, invoices, voluntary, amount) in cases {
            let payment = open(&invoices, &voluntary).unwrap();
            assert_eq!(payment.amount.vnd(), amount, "{case}");
            assert_eq!(payment.voluntary, voluntary, "{case}");
            assert!(payment.still_covers(&invoices), "{case}");
            assert!(payment.is_priced_by(&invoices), "{case}");
        }
    }

    #[test]
    fn a_choice_must_name_a_voluntary_line_of_an_invoice_paid_once() {
        let public = crate::invoice::tests::public_school();
        let private = crate::invoice::tests::private_school();
        let cases: [(&str, Vec<LineRef>, PaymentError); 6] = [
            (
                "a mandatory line",
                vec![choice(&public, 0)],
                PaymentError::NotVoluntary(choice(&public, 0)),
            ),
            (
                "a line collected on behalf",
                vec![choice(&public, 2)],
                PaymentError::NotVoluntary(choice(&public, 2)),
            ),
            (
                "past the last line",
                vec![choice(&public, 4)],
                PaymentError::NoSuchLine(choice(&public, 4)),
            ),
            (
                "a line of an invoice not paid",
                vec![choice(&private, 0)],
                PaymentError::UncoveredChoice(choice(&private, 0)),
            ),
            (
                "the same line twice",
                vec![choice(&public, 3), choice(&public, 3)],
                PaymentError::DuplicateChoice(choice(&public, 3)),
            ),
            (
                "a good choice, then a bad one",
                vec![choice(&public, 3), choice(&public, 1)],
                PaymentError::NotVoluntary(choice(&public, 1)),
            ),
        ];
        for (case, voluntary, expected) in cases {
            assert_eq!(
                open(std::slice::from_ref(&public), &voluntary),
                Err(expected),
                "{case}"
            );
        }
        assert_eq!(
            PaymentError::NotVoluntary(choice(&public, 0)).to_string(),
            "invoice NQ-2025-HK1-0001, line at position 0 is not a voluntary item: only voluntary items are chosen, the rest is required"
        );
    }

    #[test]
    fn a_payment_with_a_voluntary_item_no_longer_covers_an_invoice_reissued_without_it() {
        let public = crate::invoice::tests::public_school();
        let payment = open(std::slice::from_ref(&public), &[choice(&public, 3)]).unwrap();
        let mut reordered_items = public.items().to_vec();
        reordered_items.swap(1, 3);
        let reissued = |items: Vec<crate::LineItem>| {
            Invoice::new(crate::InvoiceDraft {
                id: public.id.clone(),
                school: public.school.clone(),
                student: public.student.clone(),
                student_name: public.student_name.clone(),
                class_name: public.class_name.clone(),
                school_year: public.school_year,
                term: public.term.clone(),
                items,
                due_date: public.due_date,
            })
            .unwrap()
        };
        let mut cheaper = public.items().to_vec();
        cheaper[3].amount = Money::from_vnd(50_000).unwrap();
        let cases = [
            ("unchanged", public.clone(), true),
            ("its lines reordered", reissued(reordered_items), false),
            ("the voluntary item cheaper", reissued(cheaper), false),
            (
                "the voluntary item dropped",
                reissued(public.items()[..3].to_vec()),
                false,
            ),
        ];
        for (case, invoice, expected) in cases {
            assert_eq!(payment.still_covers(&[invoice]), expected, "{case}");
        }
    }

    #[test]
    fn a_partner_captures_the_required_total_only() {
        let public = crate::invoice::tests::public_school();
        let payment = Payment::captured(
            &PartnerId::parse("BANKDEMO").unwrap(),
            &GatewayTxnNo::parse("FT26339000123").unwrap(),
            std::slice::from_ref(&public),
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(payment.amount, public.total());
        assert!(payment.voluntary.is_empty());
    }
}
