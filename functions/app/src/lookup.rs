//! `GET /api/invoices`: a student's open invoices, behind the second factor and the guessing
//! limit.
//!
//! Invariants: an unknown student and a wrong lookup code are the same answer, counted the same
//! way, so the endpoint reveals nothing about which student codes exist; every look-up is
//! counted before its code is checked (a right code is then forgiven), so guesses sent at once
//! get no more tries than guesses sent one by one.

use hocphi_api::{InvoiceView, InvoicesResponse, StudentView};
use hocphi_domain::{Clock, LookupCode, Store, Student, StudentCode};

use crate::{ApiError, App, Field, Transport};

impl<S: Store, C: Clock, T: Transport> App<S, C, T> {
    /// The student behind a student code and lookup code, or the one "not found" answer; too many
    /// wrong codes within the window answer "too many attempts" until it closes.
    pub(crate) async fn authenticate(
        &self,
        student: &str,
        code: &str,
    ) -> Result<Student, ApiError> {
        let student = StudentCode::parse(student).map_err(|_| ApiError::Invalid {
            field: Field::Student,
            message: "Mã học sinh không hợp lệ: chỉ gồm chữ và số, từ 4 đến 20 ký tự.",
        })?;
        let code = LookupCode::parse(code).map_err(|_| ApiError::Invalid {
            field: Field::Code,
            message: "Mã tra cứu không hợp lệ: gồm 6 đến 12 chữ và số, in trên giấy báo học phí.",
        })?;
        let now = self.clock.now();
        let tries = self
            .store
            .note_failed_lookup(&student, now, self.settings.lookup_window)
            .await?;
        if tries > self.settings.lookup_attempts {
            return Err(ApiError::TooManyAttempts);
        }
        let digest = code.digest(&student);
        match self.store.student(&student).await? {
            Some(found) if found.lookup.matches(&digest) => {
                self.store.forgive_failed_lookup(&student, now).await?;
                Ok(found)
            }
            Some(_) | None => {
                tracing::info!(failures = tries, "lookup refused");
                Err(ApiError::NotFound)
            }
        }
    }

    /// `GET /api/invoices`: the student (masked) and their open invoices.
    pub async fn lookup(&self, student: &str, code: &str) -> Result<InvoicesResponse, ApiError> {
        let student = self.authenticate(student, code).await?;
        let invoices = self.store.open_invoices(&student.code).await?;
        let school = self.store.school(&student.school).await?;
        Ok(InvoicesResponse {
            student: StudentView {
                code: student.code.to_string(),
                name: student.name.to_string(),
                school: school.map_or_else(|| student.school.to_string(), |s| s.name.to_string()),
                class_name: student.class_name.to_string(),
            },
            invoices: invoices.iter().map(InvoiceView::from).collect(),
            gateways: self.gateways.offered(),
        })
    }
}
