//! `payment-code`: a student's payment code for a school year, the code a fee notice prints for
//! the portal and banks' "pay a bill" services to look the bill up by.
//!
//! Invariants: the code is issued under the province's lookup key (the key the partner API
//! verifies it with), so it is printed only for a student the store knows; nothing is written.
//! Without `--year`, one code per school year of the student's open invoices, else the current
//! school year (September to August, Vietnam time).

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use hocphi_domain::{LookupKey, PaymentCode, SchoolYear, Store, StoreError, Student, StudentCode};

use crate::time;

/// Why no code was printed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentCodeError {
    #[error("mã học sinh không hợp lệ: \"{0}\"")]
    BadStudent(String),
    #[error("năm học không hợp lệ: \"{0}\" (viết như 2026-2027)")]
    BadYear(String),
    #[error("không tìm thấy học sinh \"{0}\"")]
    NotFound(String),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// The codes of one student.
#[derive(Clone, Debug)]
pub struct PaymentCodes {
    pub student: Student,
    /// Each school year with its code and the number of the student's open invoices of it.
    pub codes: Vec<(SchoolYear, PaymentCode, usize)>,
}

/// The school year running on `now`'s day in Vietnam (a school year starts in September).
fn current_year(now: DateTime<Utc>) -> Option<SchoolYear> {
    let today = time::today(now);
    let first = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    SchoolYear::starting(u16::try_from(first).ok()?).ok()
}

/// The payment codes of `student` (for `year`, or see the module docs), issued under `key`.
pub async fn payment_codes<S: Store>(
    store: &S,
    key: &LookupKey,
    student: &str,
    year: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PaymentCodes, PaymentCodeError> {
    let code = StudentCode::parse(student)
        .map_err(|_| PaymentCodeError::BadStudent(student.to_owned()))?;
    let year = year
        .map(|raw| SchoolYear::parse(raw).map_err(|_| PaymentCodeError::BadYear(raw.to_owned())))
        .transpose()?;
    let found = store
        .student(&code)
        .await?
        .ok_or_else(|| PaymentCodeError::NotFound(code.to_string()))?;
    let open = store.open_invoices(&code).await?;
    let mut years: Vec<SchoolYear> = match year {
        Some(year) => vec![year],
        None => open.iter().map(|i| i.school_year).collect(),
    };
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        years.extend(current_year(now));
    }
    let codes = years
        .into_iter()
        .map(|year| {
            let count = open.iter().filter(|i| i.school_year == year).count();
            (year, PaymentCode::issue(&code, year, key), count)
        })
        .collect();
    Ok(PaymentCodes {
        student: found,
        codes,
    })
}

impl fmt::Display for PaymentCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.student;
        writeln!(
            f,
            "Học sinh {} — {}, lớp {}, trường {}",
            s.code, s.name, s.class_name, s.school
        )?;
        for (year, code, open) in &self.codes {
            writeln!(
                f,
                "Mã thanh toán năm học {year}: {code} ({open} khoản thu chưa nộp)"
            )?;
        }
        writeln!(
            f,
            "(In mã này trên giấy báo thu: phụ huynh nộp qua Cổng Dịch vụ công hoặc ứng dụng \
             ngân hàng bằng mã này.)"
        )
    }
}
