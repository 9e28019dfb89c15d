//! `export receipts`: the receipts of a school (or all schools) issued on a range of days, for the
//! accountant's books.
//!
//! Invariants: the days are Vietnamese calendar days, both ends included; one row per receipt
//! line (so items can be booked by kind), in issue order; the totals row counts receipts and sums
//! every line, which equals the sum of the receipts' totals.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hocphi_domain::{IdError, SchoolId, Store, StoreError};

use crate::sheet::{Create, SheetError, SheetWriter, Value};
use crate::text::{group_digits, vnd};
use crate::time;

/// The headers of the receipts export.
pub const RECEIPT_HEADERS: [&str; 13] = [
    "Ngày thu",
    "Số biên lai",
    "Ký hiệu mẫu",
    "Ký hiệu",
    "Mã học sinh",
    "Họ tên",
    "Lớp",
    "Mã khoản thu",
    "Nội dung",
    "Số tiền",
    "Cổng thanh toán",
    "Mã giao dịch cổng",
    "Mã thanh toán",
];

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// One school, or every school.
    pub school: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `.csv` or `.xlsx`; by default `bien-lai-<school>-<from>-<to>.csv` in the current folder.
    pub out: Option<PathBuf>,
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub receipts: usize,
    pub lines: usize,
    /// Whole đồng.
    pub total: u64,
}

/// Why the export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("mã trường không hợp lệ: \"{0}\"")]
    School(String),
    #[error("ngày bắt đầu {from} sau ngày kết thúc {to}")]
    Range { from: NaiveDate, to: NaiveDate },
    #[error("tổng tiền vượt quá giới hạn tính toán")]
    Overflow,
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

impl fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Đã ghi {} biên lai ({} dòng), tổng {} vào {}.",
            group_digits(self.receipts as u64),
            group_digits(self.lines as u64),
            vnd(self.total),
            self.path.display()
        )
    }
}

fn default_path(school: Option<&SchoolId>, from: NaiveDate, to: NaiveDate) -> PathBuf {
    let who = school.map_or("tat-ca", SchoolId::as_str);
    PathBuf::from(format!("bien-lai-{who}-{from}-{to}.csv"))
}

/// Writes the receipts issued on `from..=to` (Vietnam time) to a CSV or XLSX file.
pub async fn receipts<S: Store>(
    store: &S,
    options: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let school = options
        .school
        .as_deref()
        .map(|raw| SchoolId::parse(raw).map_err(|_: IdError| ExportError::School(raw.to_owned())))
        .transpose()?;
    let (from, to) = (options.from, options.to);
    let (start, end) = time::day_bounds(from, to)
        .filter(|_| from <= to)
        .ok_or(ExportError::Range { from, to })?;
    let receipts = store.receipts_issued(start, end, school.as_ref()).await?;
    let path = options
        .out
        .clone()
        .unwrap_or_else(|| default_path(school.as_ref(), from, to));
    write(&path, &receipts)
}

fn write(path: &Path, receipts: &[hocphi_domain::Receipt]) -> Result<ExportSummary, ExportError> {
    let mut sheet = SheetWriter::create(path, "Biên lai", &RECEIPT_HEADERS, Create::Overwrite)?;
    let (mut lines, mut total) = (0usize, 0u64);
    for receipt in receipts {
        let issued = time::local(receipt.issued_at);
        for line in &receipt.lines {
            sheet.row(&[
                Value::Moment(issued),
                Value::text(format!("{:07}", receipt.number.sequence)),
                Value::text(receipt.number.template.as_str()),
                Value::text(receipt.number.series.as_str()),
                Value::text(receipt.student.as_str()),
                Value::text(receipt.student_name.as_str()),
                Value::text(receipt.class_name.as_str()),
                Value::text(line.invoice.as_str()),
                Value::text(line.description.as_str()),
                Value::Amount(line.amount.vnd()),
                Value::text(receipt.gateway.display_name()),
                Value::text(receipt.gateway_txn.as_str()),
                Value::text(receipt.payment.as_str()),
            ])?;
            lines += 1;
            total = total
                .checked_add(line.amount.vnd())
                .ok_or(ExportError::Overflow)?;
        }
    }
    let mut totals = vec![Value::Empty; RECEIPT_HEADERS.len()];
    totals[0] = Value::text("Tổng cộng");
    totals[1] = Value::text(format!("{} biên lai", receipts.len()));
    totals[9] = Value::Amount(total);
    sheet.total_row(&totals)?;
    Ok(ExportSummary {
        path: sheet.finish()?,
        receipts: receipts.len(),
        lines,
        total,
    })
}
