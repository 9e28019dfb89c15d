//! `GET /api/invoices`: a student's open invoices, behind the second factor and the guessing
//! limits.
//!
//! Invariants: an unknown student and a wrong lookup code are the same answer, counted the same
//! way, so the endpoint reveals nothing about which student codes exist; every look-up is
//! counted before its code is checked (a right code is then forgiven), so guesses sent at once
//! get no more tries than guesses sent one by one.
//!
//! The limits, per [`Settings::lookup_window`](crate::Settings), in the order they are counted:
//! a source (an IPv4 address or an IPv6 /64, [`ClientSource`]) has `source_attempts` wrong codes
//! for all students together; a source has `lookup_attempts` for one student, after which only
//! that source is refused for that student; a student has `student_attempts` from all sources
//! together, after which everyone is refused. A look-up refused by one limit is not counted by
//! the next, so a classmate's phone spends only its own allowance: locking a parent out takes
//! `student_attempts / lookup_attempts` sources (4 by default) within the window, while a guesser
//! still gets at most `student_attempts` tries at one student per window.
//!
//! A fee notice's payment code (`?ma=…`, the portal's deep link) stands in for the student code
//! and lookup code together: it is counted on the same limits, and one that is not genuine is
//! answered exactly as a wrong lookup code; it shows only its school year's invoices.
//!
//! A digest stored before digests were keyed still admits its code; that look-up replaces it
//! with the keyed digest (a conditional write: a digest changed meanwhile is left alone).

use std::net::IpAddr;

use hocphi_api::{InvoiceView, InvoicesResponse, StudentView};
use hocphi_domain::{
    Actor, ClientSource, Clock, FailureCounter, Invoice, LookupCode, LookupKey, PaymentCode, Store,
    Student, StudentCode,
};

use crate::{ApiError, App, Field, Transport};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// The student behind a student code and lookup code typed at `client_ip`, or the one "not
    /// found" answer; a source or student past its limit answers "too many attempts" until its
    /// window closes.
    pub(crate) async fn authenticate(
        &self,
        student: &str,
        code: &str,
        client_ip: IpAddr,
    ) -> Result<Student, ApiError> {
        let student = StudentCode::parse(student).map_err(|_| ApiError::Invalid {
            field: Field::Student,
            message: "Mã học sinh không hợp lệ: chỉ gồm chữ và số, từ 4 đến 20 ký tự.",
        })?;
        let code = LookupCode::parse(code).map_err(|_| ApiError::Invalid {
            field: Field::Code,
            message: "Mã tra cứu không hợp lệ: gồm 6 đến 12 chữ và số, in trên giấy báo học phí.",
        })?;
        let key = self.lookup_key()?;
        let (counters, tries) = self.count_attempt(&student, client_ip).await?;
        let now = self.clock.now();
        match self.store.student(&student).await? {
            Some(found) if found.lookup.admits(&student, &code, key) => {
                self.forgive(&counters, now).await?;
                if found.lookup.is_current() {
                    return Ok(found);
                }
                let keyed = code.digest(&student, key);
                if self
                    .store
                    .rekey_lookup(&student, &found.lookup, &keyed, now, &Actor::Parent)
                    .await?
                {
                    tracing::info!("lookup digest re-keyed");
                }
                Ok(Student {
                    lookup: keyed,
                    ..found
                })
            }
            Some(_) | None => {
                tracing::info!(failures = tries, "lookup refused");
                Err(ApiError::NotFound)
            }
        }
    }

    fn lookup_key(&self) -> Result<&LookupKey, ApiError> {
        self.settings
            .lookup_key
            .as_ref()
            .ok_or_else(|| ApiError::Internal("this function has no lookup key".into()))
    }

    /// Counts a look-up of `student` from `client_ip` on every limit, in order, before its code
    /// is checked; answers the counters to forgive when the code is right and the failures of
    /// the last one, or "too many attempts" when a limit is passed.
    async fn count_attempt(
        &self,
        student: &StudentCode,
        client_ip: IpAddr,
    ) -> Result<(Vec<FailureCounter>, u32), ApiError> {
        let source = ClientSource::of(client_ip);
        let settings = &self.settings;
        let counters = [
            (FailureCounter::Source(source), settings.source_attempts),
            (
                FailureCounter::StudentFrom(student.clone(), source),
                settings.lookup_attempts,
            ),
            (
                FailureCounter::Student(student.clone()),
                settings.student_attempts,
            ),
        ];
        let now = self.clock.now();
        let mut tries = 0;
        for (counter, allowed) in &counters {
            tries = self
                .store
                .note_failed_lookup(counter, now, settings.lookup_window)
                .await?;
            if tries > *allowed {
                tracing::info!(failures = tries, "lookup refused: too many attempts");
                return Err(ApiError::TooManyAttempts);
            }
        }
        Ok((
            counters.into_iter().map(|(counter, _)| counter).collect(),
            tries,
        ))
    }

    async fn forgive(
        &self,
        counters: &[FailureCounter],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        for counter in counters {
            self.store.forgive_failed_lookup(counter, now).await?;
        }
        Ok(())
    }

    /// `GET /api/invoices`: the student (masked) and their open invoices.
    pub async fn lookup(
        &self,
        student: &str,
        code: &str,
        client_ip: IpAddr,
    ) -> Result<InvoicesResponse, ApiError> {
        let student = self.authenticate(student, code, client_ip).await?;
        let invoices = self.store.open_invoices(&student.code).await?;
        self.invoices_of(student, invoices).await
    }

    /// `GET /api/invoices?ma=…`: the open invoices of the school year a fee notice's payment
    /// code names. A code that is not genuine is counted and answered as a wrong lookup code.
    pub async fn lookup_by_payment_code(
        &self,
        code: &str,
        client_ip: IpAddr,
    ) -> Result<InvoicesResponse, ApiError> {
        let code = parse_payment_code(code)?;
        let student = self.authenticate_payment_code(&code, client_ip).await?;
        let invoices = self
            .store
            .open_invoices(&student.code)
            .await?
            .into_iter()
            .filter(|i| code.is_for(i.school_year))
            .collect();
        self.invoices_of(student, invoices).await
    }

    /// The student a fee notice's payment code names, behind the same limits as a lookup code:
    /// one that is not genuine is counted and answered as a wrong lookup code.
    pub(crate) async fn authenticate_payment_code(
        &self,
        code: &PaymentCode,
        client_ip: IpAddr,
    ) -> Result<Student, ApiError> {
        let key = self.lookup_key()?;
        let (counters, tries) = self.count_attempt(code.student(), client_ip).await?;
        let now = self.clock.now();
        let found = if code.verify(key) {
            self.store.student(code.student()).await?
        } else {
            None
        };
        let Some(student) = found else {
            tracing::info!(failures = tries, "lookup refused");
            return Err(ApiError::NotFound);
        };
        self.forgive(&counters, now).await?;
        Ok(student)
    }

    async fn invoices_of(
        &self,
        student: Student,
        invoices: Vec<Invoice>,
    ) -> Result<InvoicesResponse, ApiError> {
        let school = self.store.school(&student.school).await?;
        Ok(InvoicesResponse {
            student: StudentView {
                code: student.code.to_string(),
                name: student.name.to_string(),
                school: school
                    .as_ref()
                    .map_or_else(|| student.school.to_string(), |s| s.name.to_string()),
                class_name: student.class_name.to_string(),
            },
            invoices: invoices.iter().map(InvoiceView::from).collect(),
            gateways: self
                .gateways
                .offered_to(school.as_ref().and_then(|s| s.payee.as_ref())),
        })
    }
}

/// A typed payment code, or the clear answer that it is not one.
pub(crate) fn parse_payment_code(raw: &str) -> Result<PaymentCode, ApiError> {
    PaymentCode::parse(raw).map_err(|_| ApiError::Invalid {
        field: Field::Code,
        message: "Mã thanh toán không hợp lệ: gồm mã học sinh, năm học và 8 ký tự, in trên giấy báo học phí.",
    })
}
