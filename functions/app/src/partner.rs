//! The partner API: a bank's or the portal platform's bill look-ups, payment confirmations and
//! reversal requests (`/api/partners/{partner}/…`).
//!
//! A partner bills what the invoices require and nothing else: a bill lists the mandatory
//! charges and the deductions (marked "Trừ: …"), never a voluntary item, which a parent chooses
//! on the page only; its amount is the invoices' totals.
//!
//! Invariants: nothing is read before the partner is known and its signature checked out (by
//! [`Partner::verify`], in constant time, with the timestamp inside the replay window); a
//! request's nonce is claimed before anything else is read or written, so a replay does nothing.
//! A confirmation is the partner's callback, the only door through which its payment becomes
//! paid: the payment is stored already captured and settled in one atomic step
//! ([`Store::record_capture`]), idempotent by (partner, transaction id) through
//! [`PaymentRef::for_partner`], and a repeat answers the first answer; money confirmed for a
//! genuine payment code whose school year has nothing open left is recorded as refund due. A
//! look-up by student code never hands out the payment code. A look-up shows only the
//! open invoices at schools the partner collects for, counts against the partner's rate limit,
//! and never says why nothing was found. A reversal is always refused: the receipt was issued at
//! confirmation. Logs name the partner, the payment reference and the outcome, never a student
//! code, a name or a key.

use std::collections::BTreeMap;

use hocphi_domain::{
    Actor, Clock, FailureCounter, GatewayEvent, GatewayKind, Invoice, Label, Payment, PaymentError,
    PaymentRef, PaymentStatus, ReceiptId, ReceiptToken, SchoolId, SchoolYear, Settled, Store,
    Student,
};
use hocphi_gateways::Reply;
use hocphi_gateways::partner::{
    Answer, Bill, BillInvoice, BillKey, BillRef, Confirmation, Message, Partner, PartnerError,
    PartnerOp, PartnerRequest, REPLAY_WINDOW, Receipted, Refusal, Reversal, generic,
};

use crate::{App, Transport, alarm, random};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// Answers one partner request in the partner's own format; `None` when this deployment has
    /// no partners (the route is then unknown).
    pub async fn partner(&self, partner: &str, request: PartnerRequest<'_>) -> Option<Reply> {
        let partners = self.gateways.partners.as_ref()?;
        let id = hocphi_domain::PartnerId::parse(partner).ok();
        let Some(partner) = id.as_ref().and_then(|id| partners.get(id)) else {
            let named = id.as_ref().map_or("(malformed)", |id| id.as_str());
            tracing::warn!(partner = named, op = ?request.op, reason = %PartnerError::UnknownPartner, "{}", alarm::CALLBACK_REJECTED);
            return Some(generic::reply(&Answer::Refused(Refusal::BadRequest(
                PartnerError::UnknownPartner,
            ))));
        };
        let answer = self.answer(partner, request).await;
        Some(partner.reply(request.op, &answer))
    }

    async fn answer(&self, partner: &Partner, request: PartnerRequest<'_>) -> Answer {
        let now = self.clock.now();
        let op = request.op;
        let signed = match partner.verify(&request, now) {
            Ok(signed) => signed.into_inner(),
            Err(err @ PartnerError::Malformed(_)) => {
                refused(partner, op, &Refusal::BadRequest(err.clone()));
                return Answer::Refused(Refusal::BadRequest(err));
            }
            Err(err) => {
                tracing::warn!(partner = %partner.id, op = ?op, reason = %err, "{}", alarm::CALLBACK_REJECTED);
                return Answer::Refused(Refusal::BadRequest(err));
            }
        };
        if let Some(nonce) = &signed.nonce {
            match self
                .store
                .use_nonce(
                    nonce,
                    now + REPLAY_WINDOW * 2 + chrono::Duration::seconds(1),
                    now,
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    refused(partner, op, &Refusal::Replayed);
                    return Answer::Refused(Refusal::Replayed);
                }
                Err(err) => {
                    tracing::error!(partner = %partner.id, error = %err, "could not claim the nonce");
                    return Answer::Refused(Refusal::Unavailable);
                }
            }
        }
        let answer = match (op, signed.message) {
            (PartnerOp::Bills, Message::Bills(key)) => self.bills(partner, key).await,
            (PartnerOp::Confirm, Message::Confirm(confirmation)) => {
                self.confirm(partner, confirmation).await
            }
            (PartnerOp::Reverse, Message::Reverse(reversal)) => {
                self.reverse(partner, reversal).await
            }
            _ => Answer::Refused(Refusal::BadRequest(PartnerError::Malformed(
                "the message is not for this address".into(),
            ))),
        };
        if let Answer::Refused(refusal) = &answer {
            refused(partner, op, refusal);
        }
        answer
    }

    /// A bill look-up: the open invoices the partner may collect, one bill per school and year.
    async fn bills(&self, partner: &Partner, key: BillKey) -> Answer {
        let now = self.clock.now();
        let counter = FailureCounter::Partner(partner.id.clone());
        let count = match self
            .store
            .note_failed_lookup(&counter, now, self.settings.partner_window)
            .await
        {
            Ok(count) => count,
            Err(err) => {
                tracing::error!(partner = %partner.id, error = %err, "could not count the look-up");
                return Answer::Refused(Refusal::Unavailable);
            }
        };
        let answer = if count > self.settings.partner_lookups {
            Answer::Refused(Refusal::RateLimited)
        } else {
            match self.find_bills(partner, key).await {
                Ok(bills) if bills.is_empty() => Answer::Refused(Refusal::NoBill),
                Ok(bills) => Answer::Bills(bills),
                Err(refusal) => Answer::Refused(refusal),
            }
        };
        let (outcome, found) = match &answer {
            Answer::Bills(bills) => ("FOUND", bills.len()),
            Answer::Refused(refusal) => (refusal.code(), 0),
            Answer::Confirmed(_) => ("CONFIRMED", 0),
        };
        tracing::info!(partner = %partner.id, outcome, bills = found, lookups = count, "partner bill look-up");
        answer
    }

    async fn find_bills(&self, partner: &Partner, key: BillKey) -> Result<Vec<Bill>, Refusal> {
        let (student, code) = match &key {
            BillKey::Student(student) => (student.clone(), None),
            BillKey::Code(code) => {
                let Some(lookup_key) = self.settings.lookup_key.as_ref() else {
                    tracing::error!(
                        "this function has no lookup key: payment codes cannot be checked"
                    );
                    return Err(Refusal::Unavailable);
                };
                if !code.verify(lookup_key) {
                    return Ok(Vec::new());
                }
                (code.student().clone(), Some(code))
            }
        };
        let invoices = self.store.open_invoices(&student).await.map_err(|err| {
            tracing::error!(error = %err, "could not read open invoices");
            Refusal::Unavailable
        })?;
        let mut groups: BTreeMap<(SchoolId, SchoolYear), Vec<Invoice>> = BTreeMap::new();
        for invoice in invoices {
            if code.is_none_or(|code| code.is_for(invoice.school_year)) {
                groups
                    .entry((invoice.school.clone(), invoice.school_year))
                    .or_default()
                    .push(invoice);
            }
        }
        let mut bills = Vec::new();
        for ((school_id, school_year), invoices) in groups {
            let school = self.store.school(&school_id).await.map_err(|err| {
                tracing::error!(error = %err, "could not read the school");
                Refusal::Unavailable
            })?;
            let Some(school) = school.filter(|s| partner.collects_for(s)) else {
                continue;
            };
            let Some(first) = invoices.first() else {
                continue;
            };
            let total = hocphi_domain::Money::sum(invoices.iter().map(Invoice::total))
                .map_err(|_| Refusal::Unavailable)?;
            bills.push(Bill {
                student: student.clone(),
                student_name: first.student_name.clone(),
                school: school.id.clone(),
                school_name: school.name.clone(),
                class_name: first.class_name.clone(),
                school_year,
                payment_code: code.cloned(),
                invoices: invoices.iter().map(bill_invoice).collect(),
                total,
            });
        }
        Ok(bills)
    }

    /// A confirmation: the partner took the parent's money for a bill; record it and answer the
    /// receipt (or why not).
    async fn confirm(&self, partner: &Partner, confirmation: Confirmation) -> Answer {
        let reference = PaymentRef::for_partner(&partner.id, &confirmation.txn);
        match self.store.payment(&reference).await {
            Ok(Some(payment)) => return self.repeated(&payment, &confirmation).await,
            Ok(None) => {}
            Err(err) => {
                tracing::error!(payment_ref = %reference, error = %err, "could not read the payment");
                return Answer::Refused(Refusal::Unavailable);
            }
        }
        let resolved = match self.resolve(&confirmation.bill).await {
            Ok(resolved) => resolved,
            Err(refusal) => return Answer::Refused(refusal),
        };
        let now = self.clock.now();
        let captured = match resolved {
            Resolved::Invoices(invoices) => {
                Payment::captured(&partner.id, &confirmation.txn, &invoices, now)
            }
            Resolved::NothingOpen(student, year) => Ok(Payment::captured_unbilled(
                &partner.id,
                &confirmation.txn,
                &student,
                year,
                confirmation.amount,
                now,
            )),
        };
        let payment = match captured {
            Ok(payment) => payment,
            Err(PaymentError::Mixed | PaymentError::NoInvoices | PaymentError::NotOpen(_)) => {
                return Answer::Refused(Refusal::NoBill);
            }
            Err(err) => {
                return Answer::Refused(Refusal::BadRequest(PartnerError::Malformed(
                    err.to_string(),
                )));
            }
        };
        match self.store.school(&payment.school).await {
            Ok(Some(school)) if partner.collects_for(&school) => {}
            Ok(_) => return Answer::Refused(Refusal::NotCollectable),
            Err(err) => {
                tracing::error!(error = %err, "could not read the school");
                return Answer::Refused(Refusal::Unavailable);
            }
        }
        let token = match random::<16>() {
            Ok(entropy) => ReceiptToken::from_entropy(entropy),
            Err(err) => {
                err.log();
                return Answer::Refused(Refusal::Unavailable);
            }
        };
        let event = GatewayEvent::Paid {
            txn: confirmation.txn.clone(),
            amount: confirmation.amount,
        };
        let settled = match self
            .store
            .record_capture(
                &payment,
                &event,
                now,
                &token,
                &Actor::Partner {
                    partner: partner.id.clone(),
                },
            )
            .await
        {
            Ok(settled) => settled,
            Err(err) => {
                tracing::error!(payment_ref = %reference, error = %err, "record_capture failed");
                return Answer::Refused(Refusal::Unavailable);
            }
        };
        alarm::settled(&reference, GatewayKind::Partner, &settled);
        let answer = match settled {
            Settled::Applied(state) => self.answer_for(&state.payment, state.receipt.as_ref()),
            Settled::AmountMismatch { expected, .. } => {
                Answer::Refused(Refusal::AmountMismatch { expected })
            }
            Settled::AlreadyFinal(state) => {
                return self.repeated(&state.payment, &confirmation).await;
            }
            Settled::NotDue(_) | Settled::UnknownPayment => {
                tracing::error!(payment_ref = %reference, "record_capture answered an unexpected outcome");
                Answer::Refused(Refusal::Unavailable)
            }
        };
        tracing::info!(partner = %partner.id, payment_ref = %reference, outcome = answer_name(&answer), "partner confirmation applied");
        answer
    }

    /// What a confirmation pays: the invoices it names, or the open invoices of its payment
    /// code's school year; when that year has none open any more (paid meanwhile), the genuine
    /// code's student and year, for the money to be recorded as refund due.
    async fn resolve(&self, bill: &BillRef) -> Result<Resolved, Refusal> {
        let unavailable = |err: hocphi_domain::StoreError| {
            tracing::error!(error = %err, "could not read the bill's invoices");
            Refusal::Unavailable
        };
        match bill {
            BillRef::Invoices(ids) => {
                let mut invoices = Vec::with_capacity(ids.len());
                for id in ids {
                    match self.store.invoice(id).await.map_err(unavailable)? {
                        Some(invoice) => invoices.push(invoice),
                        None => return Err(Refusal::NoBill),
                    }
                }
                Ok(Resolved::Invoices(invoices))
            }
            BillRef::Code(code) => {
                let genuine = self
                    .settings
                    .lookup_key
                    .as_ref()
                    .is_some_and(|key| code.verify(key));
                if !genuine {
                    return Err(Refusal::NoBill);
                }
                let open = self
                    .store
                    .open_invoices(code.student())
                    .await
                    .map_err(unavailable)?;
                let open: Vec<Invoice> = open
                    .into_iter()
                    .filter(|i| code.is_for(i.school_year))
                    .collect();
                if !open.is_empty() {
                    return Ok(Resolved::Invoices(open));
                }
                match self
                    .store
                    .student(code.student())
                    .await
                    .map_err(unavailable)?
                {
                    Some(student) => Ok(Resolved::NothingOpen(student, code.school_year())),
                    None => Err(Refusal::NoBill),
                }
            }
        }
    }

    /// The answer to a confirmation whose transaction is already recorded: the first answer
    /// when it names the same bill and amount, else the transaction id was reused.
    async fn repeated(&self, payment: &Payment, confirmation: &Confirmation) -> Answer {
        if !self.same_confirmation(payment, confirmation) {
            return Answer::Refused(Refusal::TxnReused);
        }
        let receipt = match payment.status {
            PaymentStatus::Succeeded => {
                match self
                    .store
                    .receipt(&ReceiptId::for_payment(&payment.reference))
                    .await
                {
                    Ok(receipt) => receipt,
                    Err(err) => {
                        tracing::error!(payment_ref = %payment.reference, error = %err, "could not read the receipt");
                        return Answer::Refused(Refusal::Unavailable);
                    }
                }
            }
            _ => None,
        };
        let answer = self.answer_for(payment, receipt.as_ref());
        tracing::info!(payment_ref = %payment.reference, outcome = answer_name(&answer), "partner confirmation repeated");
        answer
    }

    /// What a recorded partner payment answers.
    fn answer_for(&self, payment: &Payment, receipt: Option<&hocphi_domain::Receipt>) -> Answer {
        match (payment.status, receipt) {
            (PaymentStatus::Succeeded, Some(receipt)) => Answer::Confirmed(Receipted {
                payment: payment.reference.clone(),
                receipt: receipt.number.clone(),
                receipt_url: self.receipt_url(receipt),
            }),
            (PaymentStatus::RefundDue, _) => Answer::Refused(Refusal::AlreadyPaid {
                payment: payment.reference.clone(),
            }),
            (PaymentStatus::Mismatched, _) => Answer::Refused(Refusal::AmountMismatch {
                expected: payment.amount,
            }),
            (status, _) => {
                tracing::error!(payment_ref = %payment.reference, status = ?status, "a partner payment without its outcome");
                Answer::Refused(Refusal::Unavailable)
            }
        }
    }

    /// Whether `confirmation` names the bill and amount the recorded `payment` was confirmed with.
    fn same_confirmation(&self, payment: &Payment, confirmation: &Confirmation) -> bool {
        let same_bill = match &confirmation.bill {
            BillRef::Invoices(ids) => payment.covers_exactly(ids),
            BillRef::Code(code) => {
                payment.is_named_by(code)
                    && self
                        .settings
                        .lookup_key
                        .as_ref()
                        .is_some_and(|key| code.verify(key))
            }
        };
        let same_amount = if payment.status == PaymentStatus::Mismatched {
            payment
                .mismatches
                .iter()
                .any(|m| m.txn == confirmation.txn && m.amount == confirmation.amount)
        } else {
            payment.amount == confirmation.amount
        };
        same_bill && same_amount
    }

    /// A reversal: always refused ([`Refusal::REVERSAL_REASON`]), nothing written.
    async fn reverse(&self, partner: &Partner, reversal: Reversal) -> Answer {
        let reference = PaymentRef::for_partner(&partner.id, &reversal.txn);
        let refusal = match self.store.payment(&reference).await {
            Ok(Some(_)) => Refusal::NotReversible(Refusal::REVERSAL_REASON),
            Ok(None) => Refusal::UnknownTxn,
            Err(err) => {
                tracing::error!(payment_ref = %reference, error = %err, "could not read the payment");
                return Answer::Refused(Refusal::Unavailable);
            }
        };
        tracing::warn!(partner = %partner.id, payment_ref = %reference, outcome = refusal.code(), "{}", alarm::PARTNER_REVERSAL_REFUSED);
        Answer::Refused(refusal)
    }
}

/// What a confirmation's bill resolved to.
enum Resolved {
    /// The invoices it pays (their status as read).
    Invoices(Vec<Invoice>),
    /// A genuine payment code of a known student whose school year has no open invoice left:
    /// the money is recorded as refund due ([`Payment::captured_unbilled`]).
    NothingOpen(Student, SchoolYear),
}

fn bill_invoice(invoice: &Invoice) -> BillInvoice {
    BillInvoice {
        id: invoice.id.clone(),
        term: invoice.term.clone(),
        items: invoice
            .items()
            .iter()
            .filter(|item| !item.is_voluntary())
            .map(|item| {
                let description = if item.kind.is_adjustment() {
                    Label::parse(&format!("Trừ: {}", item.description))
                        .unwrap_or_else(|_| item.description.clone())
                } else {
                    item.description.clone()
                };
                (description, item.amount)
            })
            .collect(),
        amount: invoice.total(),
        due_date: invoice.due_date,
    }
}

/// Logs a refusal the operators' alarms watch: a confirmation refused with nothing recorded
/// (the partner may hold a parent's money); look-ups and reversals log their own lines.
fn refused(partner: &Partner, op: PartnerOp, refusal: &Refusal) {
    let recorded = matches!(
        refusal,
        Refusal::AlreadyPaid { .. } | Refusal::AmountMismatch { .. } | Refusal::Unavailable
    );
    if op == PartnerOp::Confirm && !recorded {
        tracing::warn!(partner = %partner.id, refusal = refusal.code(), "{}", alarm::PARTNER_REFUSED);
    }
}

/// An answer's name in logs: a refusal's code, else what was answered.
fn answer_name(answer: &Answer) -> &'static str {
    match answer {
        Answer::Bills(_) => "BILLS",
        Answer::Confirmed(_) => "CONFIRMED",
        Answer::Refused(refusal) => refusal.code(),
    }
}
