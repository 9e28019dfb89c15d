//! `export receipts`: the receipts of a school (or all schools) issued on a range of days, for the
//! accountant's books.
//!
//! Invariants: the days are Vietnamese calendar days, both ends included; one row per receipt
//! line with its kind, catalogue item, pricing and beneficiary (so items can be booked by kind,
//! and money collected on behalf of an organisation paid over to it), in issue order; a subsidy
//! or reduction is a negative amount; the totals row counts receipts and sums every line, which
//! equals the sum of the receipts' totals; the summary gives the total of each kind (and of each
//! beneficiary).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hocphi_domain::{IdError, Label, LineKind, ReceiptLine, SchoolId, Store, StoreError};

use crate::sheet::{Create, SheetError, SheetWriter, Value};
use crate::text::{group_digits, vnd};
use crate::time;

/// The headers of the receipts export.
pub const RECEIPT_HEADERS: [&str; 18] = [
    "Ngày thu",
    "Số biên lai",
    "Ký hiệu mẫu",
    "Ký hiệu",
    "Mã học sinh",
    "Họ tên",
    "Lớp",
    "Mã khoản thu",
    "Loại khoản thu",
    "Mã mục",
    "Nội dung",
    "Số lượng",
    "Đơn giá",
    "Thu hộ cho",
    "Số tiền",
    "Cổng thanh toán",
    "Mã giao dịch cổng",
    "Mã thanh toán",
];

/// The column of the amount in [`RECEIPT_HEADERS`].
const AMOUNT: usize = 14;

/// What was received of one kind of collection (and, for money collected on behalf, for one
/// beneficiary): deductions are what subsidies and reductions took off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindTotal {
    pub kind: LineKind,
    pub beneficiary: Option<Label>,
    pub lines: usize,
    /// Whole đồng (taken off, for a subsidy or reduction).
    pub amount: u64,
}

/// Receipt lines summed by kind and beneficiary, in [`LineKind::ALL`]'s order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByKind(Vec<KindTotal>);

impl ByKind {
    /// Counts one receipt line; `None` when a sum leaves `u64`.
    pub fn add(&mut self, line: &ReceiptLine) -> Option<()> {
        let beneficiary = line
            .beneficiary
            .as_ref()
            .filter(|_| !line.kind.is_schools_own());
        let rank = |kind: LineKind| LineKind::ALL.iter().position(|k| *k == kind);
        let at = self
            .0
            .iter()
            .position(|t| t.kind == line.kind && t.beneficiary.as_ref() == beneficiary);
        let total = match at {
            Some(at) => &mut self.0[at],
            None => {
                let key = (rank(line.kind), beneficiary.map(Label::as_str));
                let at = self
                    .0
                    .iter()
                    .position(|t| (rank(t.kind), t.beneficiary.as_ref().map(Label::as_str)) > key)
                    .unwrap_or(self.0.len());
                self.0.insert(
                    at,
                    KindTotal {
                        kind: line.kind,
                        beneficiary: beneficiary.cloned(),
                        lines: 0,
                        amount: 0,
                    },
                );
                &mut self.0[at]
            }
        };
        total.lines += 1;
        total.amount = total.amount.checked_add(line.amount.vnd())?;
        Some(())
    }

    /// The totals, charges first.
    pub fn totals(&self) -> &[KindTotal] {
        &self.0
    }
}

impl fmt::Display for ByKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for total in &self.0 {
            let name = match &total.beneficiary {
                Some(beneficiary) => format!("{} — {beneficiary}", total.kind.label_vi()),
                None => total.kind.label_vi().to_owned(),
            };
            let sign = if total.kind.is_adjustment() {
                "−"
            } else {
                ""
            };
            writeln!(
                f,
                "  {name}: {sign}{} ({} dòng)",
                vnd(total.amount),
                group_digits(total.lines as u64)
            )?;
        }
        Ok(())
    }
}

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
    /// Whole đồng: charges less deductions.
    pub total: u64,
    /// The lines by kind and beneficiary.
    pub by_kind: ByKind,
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
        )?;
        if !self.by_kind.totals().is_empty() {
            writeln!(f, "Theo loại khoản thu:")?;
            write!(f, "{}", self.by_kind)?;
        }
        Ok(())
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
    let (mut lines, mut total) = (0usize, 0i128);
    let mut by_kind = ByKind::default();
    for receipt in receipts {
        let issued = time::local(receipt.issued_at);
        for line in &receipt.lines {
            let (amount, signed) = if line.kind.is_adjustment() {
                (
                    Value::Deduction(line.amount.vnd()),
                    -i128::from(line.amount.vnd()),
                )
            } else {
                (
                    Value::Amount(line.amount.vnd()),
                    i128::from(line.amount.vnd()),
                )
            };
            let beneficiary = line
                .beneficiary
                .as_ref()
                .filter(|_| !line.kind.is_schools_own());
            sheet.row(&[
                Value::Moment(issued),
                Value::text(format!("{:07}", receipt.number.sequence)),
                Value::text(receipt.number.template.as_str()),
                Value::text(receipt.number.series.as_str()),
                Value::text(receipt.student.as_str()),
                Value::text(receipt.student_name.as_str()),
                Value::text(receipt.class_name.as_str()),
                Value::text(line.invoice.as_str()),
                Value::text(line.kind.label_vi()),
                line.item
                    .as_ref()
                    .map_or(Value::Empty, |item| Value::text(item.as_str())),
                Value::text(line.description.as_str()),
                line.pricing.map_or(Value::Empty, |p| {
                    Value::text(format!("{} {}", p.quantity, p.unit.label_vi()))
                }),
                line.pricing
                    .map_or(Value::Empty, |p| Value::Amount(p.unit_price.vnd())),
                beneficiary.map_or(Value::Empty, |b| Value::text(b.as_str())),
                amount,
                Value::text(receipt.gateway.display_name()),
                Value::text(receipt.gateway_txn.as_str()),
                Value::text(receipt.payment.as_str()),
            ])?;
            lines += 1;
            total += signed;
            by_kind.add(line).ok_or(ExportError::Overflow)?;
        }
    }
    let total = u64::try_from(total).map_err(|_| ExportError::Overflow)?;
    let mut totals = vec![Value::Empty; RECEIPT_HEADERS.len()];
    totals[0] = Value::text("Tổng cộng");
    totals[1] = Value::text(format!("{} biên lai", receipts.len()));
    totals[AMOUNT] = Value::Amount(total);
    sheet.total_row(&totals)?;
    Ok(ExportSummary {
        path: sheet.finish()?,
        receipts: receipts.len(),
        lines,
        total,
        by_kind,
    })
}
