//! `privacy export|erase|retention`: a data subject's requests under the Personal Data
//! Protection Law 91/2025/QH15 and Decree 356/2025/NĐ-CP, and the retention job on demand.
//!
//! Invariants: the student code is parsed before the store is asked; `export` writes nothing
//! to the store and its file is new (never overwrites) and readable by its owner only; `erase`
//! goes through [`Store::erase_student`], so it changes nothing while a payment is pending,
//! deletes what nothing obliges hocphi to keep and pseudonymises what the Law on Accounting
//! keeps, under a fresh random pseudonym; a second erase finds nothing.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::privacy::unpaid_payment_retention;
use hocphi_domain::{
    Actor, Erasure, ErasureReport, RetentionReport, Store, StoreError, StudentCode, StudentRecords,
};

/// Why a privacy command failed.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("mã học sinh không hợp lệ: \"{0}\"")]
    BadStudent(String),
    #[error("không ghi được tệp {0}")]
    Write(PathBuf, #[source] std::io::Error),
    #[error("không tạo được mã bí danh")]
    Random,
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

fn student(raw: &str) -> Result<StudentCode, PrivacyError> {
    StudentCode::parse(raw).map_err(|_| PrivacyError::BadStudent(raw.to_owned()))
}

/// Everything held about a student, as pretty JSON.
pub async fn export<S: Store>(
    store: &S,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<(StudentCode, StudentRecords, String), PrivacyError> {
    let code = student(raw)?;
    let records = store.student_records(&code, now).await?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "student_code": code,
        "exported_at": now,
        "records": records,
    }))
    .map_err(|e| PrivacyError::Store(StoreError::Corrupt(e.to_string())))?;
    Ok((code, records, json))
}

/// Writes `json` to a new file readable by its owner only.
pub fn write_new(path: &Path, json: &str) -> Result<(), PrivacyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(json.as_bytes()))
        .map_err(|e| PrivacyError::Write(path.to_owned(), e))
}

/// A summary of an export, for the terminal.
#[derive(Debug)]
pub struct ExportSummary<'a>(pub &'a StudentCode, pub &'a StudentRecords);

impl fmt::Display for ExportSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ExportSummary(code, r) = self;
        if r.is_empty() {
            return writeln!(f, "hocphi không lưu dữ liệu nào về học sinh {code}.");
        }
        writeln!(
            f,
            "Học sinh {code}: {} hồ sơ học sinh, {} khoản thu, {} giao dịch, {} biên lai, {} lần nhập sai mã tra cứu đang được đếm.",
            u8::from(r.student.is_some()),
            r.invoices.len(),
            r.payments.len(),
            r.receipts.len(),
            r.failed_lookups
        )
    }
}

/// What `erase` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EraseReport {
    pub student: StudentCode,
    pub pseudonym: StudentCode,
    pub outcome: Erasure,
}

/// Erases a student under a fresh pseudonym.
pub async fn erase<S: Store>(
    store: &S,
    raw: &str,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<EraseReport, PrivacyError> {
    let code = student(raw)?;
    let mut entropy = [0u8; 8];
    getrandom::fill(&mut entropy).map_err(|_| PrivacyError::Random)?;
    let pseudonym = StudentCode::pseudonym(entropy);
    let outcome = store.erase_student(&code, &pseudonym, now, by).await?;
    Ok(EraseReport {
        student: code,
        pseudonym,
        outcome,
    })
}

impl fmt::Display for EraseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = &self.student;
        match &self.outcome {
            Erasure::PaymentPending(reference) => writeln!(
                f,
                "Chưa xóa gì: giao dịch {reference} của học sinh {code} đang chờ kết quả. Chạy \
                 lại lệnh sau khi giao dịch kết thúc hoặc hết hạn (tối đa vài giờ)."
            ),
            Erasure::Erased(report) if report.is_nothing() => writeln!(
                f,
                "Không còn dữ liệu nào của học sinh {code} để xóa (đã xóa từ trước hoặc chưa từng có)."
            ),
            Erasure::Erased(report) => {
                let ErasureReport {
                    student_deleted,
                    invoices_deleted,
                    invoices_pseudonymised,
                    payments_deleted,
                    payments_pseudonymised,
                    receipts_pseudonymised,
                    counters_deleted,
                } = report;
                writeln!(f, "Đã xóa dữ liệu của học sinh {code}:")?;
                if *student_deleted {
                    writeln!(f, "- xóa hồ sơ học sinh (họ tên viết tắt, lớp, mã tra cứu)")?;
                }
                writeln!(
                    f,
                    "- xóa {invoices_deleted} khoản thu chưa nộp hoặc đã huỷ, {payments_deleted} giao dịch không thành công, {counters_deleted} bộ đếm nhập sai mã"
                )?;
                writeln!(
                    f,
                    "- ẩn danh (mã học sinh thành {}, họ tên và lớp bị xóa) {invoices_pseudonymised} khoản thu đã nộp, {payments_pseudonymised} giao dịch đã thu tiền, {receipts_pseudonymised} biên lai: chứng từ kế toán phải lưu theo Luật Kế toán 88/2015/QH13",
                    self.pseudonym
                )
            }
        }
    }
}

/// Runs the retention job now over the last `days` days before the periods ran out (a catch-up
/// after the sweeper stopped).
pub async fn retention<S: Store>(
    store: &S,
    days: u32,
    now: DateTime<Utc>,
) -> Result<RetentionReport, PrivacyError> {
    let to = now - unpaid_payment_retention();
    Ok(store
        .apply_retention(now, to - Duration::days(i64::from(days)), to, usize::MAX)
        .await?)
}

/// A retention run, for the terminal.
#[derive(Debug)]
pub struct RetentionSummary(pub RetentionReport);

impl fmt::Display for RetentionSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let RetentionReport {
            counters,
            idempotency,
            nonces,
            payments,
        } = self.0;
        writeln!(
            f,
            "Đã xóa {counters} bộ đếm nhập sai mã đã hết hạn, {idempotency} bản ghi chống gửi trùng, {nonces} nonce của đối tác; xóa họ tên và lớp của {payments} giao dịch không thành công đã quá thời hạn lưu."
        )
    }
}
