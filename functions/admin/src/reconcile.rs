//! `reconcile`: the gateway's transaction list (VNPay's settlement export) against hocphi's
//! payments and receipts.
//!
//! Owns reading the settlement file (CSV or XLSX, headers matched as in every operator's file),
//! matching its rows against the store, and the categories of the report; VNPay's own rules for
//! the file (its columns and the headers naming them, `vnp_Amount`'s unit, which codes are a
//! capture) are [`hocphi_gateways::vnpay::settlement`]'s. Invariants: every row of the file lands
//! in exactly one category except that a reference seen twice is also reported as a duplicate; a receipt hocphi issued on the file's
//! days for a VNPay payment the file does not show as captured is reported; nothing is written to
//! the store. The report needs attention when any entry is not [`Category::Matched`].

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use hocphi_domain::{
    GatewayKind, InvoiceId, Money, PaymentRef, PaymentStatus, ReceiptId, SchoolId, Store,
    StoreError,
};
use hocphi_gateways::vnpay::settlement::{self, Column, SettlementRow};

use crate::header::{ColumnSpec, HeaderProblem, fold, resolve};
use crate::sheet::{Create, SheetError, SheetWriter, Value};
use crate::table::{Cell, Row, Table, TableError};
use crate::text::{group_digits, pad, payment_status};
use crate::{time, values};

/// What kind of finding an entry of the report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Money must go back to a parent: hocphi marked the payment RefundDue, or the gateway
    /// captured twice for one reference or for one invoice.
    RefundDue,
    /// Captured at the gateway, but hocphi's payment is Pending, Failed or Expired.
    PaidNotRecorded,
    /// Captured at the gateway under a reference hocphi does not know.
    PaidUnknown,
    /// Captured at the gateway for another amount (or under another transaction number).
    Mismatch,
    /// hocphi issued a receipt on the file's days for a payment the file does not show captured.
    MissingAtGateway,
    /// The same reference appears more than once in the file.
    Duplicate,
    /// A row of the file that could not be read.
    Unreadable,
    /// Captured at the gateway, Succeeded in hocphi, same amount, receipt issued.
    Matched,
}

impl Category {
    /// Every category, in the order the report lists them.
    pub const ALL: [Category; 8] = [
        Category::RefundDue,
        Category::PaidNotRecorded,
        Category::PaidUnknown,
        Category::Mismatch,
        Category::MissingAtGateway,
        Category::Duplicate,
        Category::Unreadable,
        Category::Matched,
    ];

    /// The Vietnamese name used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Category::RefundDue => "Cần hoàn tiền",
            Category::PaidNotRecorded => "Cổng đã thu, hocphi chưa ghi nhận",
            Category::PaidUnknown => "Cổng đã thu, hocphi không có giao dịch",
            Category::Mismatch => "Lệch số tiền hoặc mã giao dịch",
            Category::MissingAtGateway => "hocphi đã thu, cổng không có",
            Category::Duplicate => "Trùng mã trong tệp",
            Category::Unreadable => "Dòng không đọc được",
            Category::Matched => "Khớp",
        }
    }

    /// True for every category but [`Category::Matched`].
    pub fn needs_attention(self) -> bool {
        match self {
            Category::Matched => false,
            Category::RefundDue
            | Category::PaidNotRecorded
            | Category::PaidUnknown
            | Category::Mismatch
            | Category::MissingAtGateway
            | Category::Duplicate
            | Category::Unreadable => true,
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub category: Category,
    /// The merchant reference (hocphi's payment reference), as written in the file.
    pub reference: String,
    pub gateway_txn: Option<String>,
    pub gateway_amount: Option<Money>,
    pub our_amount: Option<Money>,
    pub our_status: Option<PaymentStatus>,
    /// When the gateway says it was paid (Vietnam time).
    pub paid_at: Option<NaiveDateTime>,
    /// hocphi's receipt number (`Ký hiệu-Số`).
    pub receipt: Option<String>,
    /// The rows of the file concerned.
    pub rows: Vec<u64>,
    pub note: String,
}

/// The report headers (CSV/XLSX).
pub const REPORT_HEADERS: [&str; 10] = [
    "Loại",
    "Mã thanh toán",
    "Mã GD VNPAY",
    "Số tiền tại cổng",
    "Số tiền tại hocphi",
    "Trạng thái tại hocphi",
    "Ngày thanh toán",
    "Số biên lai",
    "Dòng trong tệp",
    "Ghi chú",
];

/// What to reconcile.
#[derive(Clone, Debug)]
pub struct ReconcileOptions {
    pub gateway: GatewayKind,
    pub file: PathBuf,
    /// Only this school's payments and receipts.
    pub school: Option<String>,
    /// The days the file covers; by default those of its pay dates.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The outcome of a reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconcileReport {
    pub file: PathBuf,
    /// Data rows read.
    pub rows: u64,
    /// References the file shows captured.
    pub captured: usize,
    /// References the file shows only as not successful.
    pub declined: usize,
    /// The days whose receipts were expected in the file.
    pub days: Option<(NaiveDate, NaiveDate)>,
    pub entries: Vec<Entry>,
}

impl ReconcileReport {
    /// Entries of one category.
    pub fn of(&self, category: Category) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.category == category)
    }

    /// True when anything but matches was found.
    pub fn needs_attention(&self) -> bool {
        self.entries.iter().any(|e| e.category.needs_attention())
    }
}

/// Why reconciliation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("chưa hỗ trợ đối soát với {0}")]
    Gateway(&'static str),
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("tệp đối soát thiếu cột: {0}")]
    MissingColumns(String),
    #[error("cột \"{0}\" xuất hiện hai lần trong dòng tiêu đề")]
    DuplicateColumn(&'static str),
    #[error("cột \"{0}\" ghi số tiền theo nghìn hoặc triệu đồng; cần tệp ghi đủ số đồng")]
    ScaledColumn(String),
    #[error("mã trường không hợp lệ: \"{0}\"")]
    School(String),
    #[error("ngày bắt đầu {from} sau ngày kết thúc {to}")]
    Range { from: NaiveDate, to: NaiveDate },
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// The settlement file's columns, as VNPay's transaction list names them.
fn settlement_specs() -> [ColumnSpec; 7] {
    Column::ALL.map(|column| {
        let spec = if column.required() {
            ColumnSpec::required(column.name(), column.aliases())
        } else {
            ColumnSpec::optional(column.name(), column.aliases())
        };
        if column.in_dong() { spec.money() } else { spec }
    })
}

/// One readable row of the settlement file.
struct Line {
    row: u64,
    vnpay: SettlementRow,
    paid_at: Option<NaiveDateTime>,
}

/// Where each of [`Column::ALL`] is in the file, in that order.
struct Columns(Vec<Option<usize>>);

impl Columns {
    fn index(&self, column: Column) -> Option<usize> {
        Column::ALL
            .iter()
            .zip(&self.0)
            .find_map(|(c, index)| if *c == column { *index } else { None })
    }

    fn cell<'r>(&self, row: &'r Row, column: Column) -> Option<&'r Cell> {
        self.index(column).map(|i| row.cell(i))
    }
}

/// What an outcome cell says: VNPay's code tables for a code, the portal's wordings otherwise.
fn says_captured(column: Column, cell: &Cell) -> Option<bool> {
    let text = cell.text();
    if text.is_empty() {
        return None;
    }
    if let Some(verdict) = settlement::code_captured(column, &text) {
        return Some(verdict);
    }
    let folded = fold(&text);
    Some(
        settlement::CAPTURED_WORDINGS
            .iter()
            .any(|wording| fold(wording) == folded),
    )
}

fn vnpay_unit(cell: &Cell) -> Result<Money, String> {
    let text = cell.text();
    if text.is_empty() {
        return Err(values::EMPTY.to_owned());
    }
    settlement::amount_x100(&text)
        .ok_or_else(|| format!("vnp_Amount phải là số nguyên (đồng × 100), nhận được \"{text}\""))
}

fn read_line(columns: &Columns, row: &Row) -> Result<Line, (Option<&'static str>, String)> {
    let reference = columns
        .cell(row, Column::Reference)
        .map(Cell::text)
        .unwrap_or_default();
    if reference.is_empty() {
        return Err((Some(Column::Reference.name()), values::EMPTY.to_owned()));
    }
    let amount = match (
        columns.cell(row, Column::Amount),
        columns.cell(row, Column::AmountX100),
    ) {
        (Some(cell), _) => values::amount(cell).map_err(|m| (Some(Column::Amount.name()), m))?,
        (None, Some(cell)) => vnpay_unit(cell).map_err(|m| (Some(Column::AmountX100.name()), m))?,
        (None, None) => return Err((None, "thiếu số tiền".to_owned())),
    };
    let verdicts = Column::ALL
        .into_iter()
        .filter(|column| column.is_outcome())
        .filter_map(|column| {
            columns
                .cell(row, column)
                .and_then(|cell| says_captured(column, cell))
        });
    let Some(captured) = settlement::captured(verdicts) else {
        return Err((
            Some(Column::TransactionStatus.name()),
            values::EMPTY.to_owned(),
        ));
    };
    let paid_at = match columns.cell(row, Column::PayDate) {
        Some(cell) if !cell.is_blank() => {
            Some(values::datetime(cell).map_err(|m| (Some(Column::PayDate.name()), m))?)
        }
        Some(_) | None => None,
    };
    let transaction_no = columns
        .cell(row, Column::TransactionNo)
        .map(Cell::text)
        .filter(|t| !t.is_empty());
    Ok(Line {
        row: row.number,
        vnpay: SettlementRow {
            reference,
            transaction_no,
            amount,
            captured,
        },
        paid_at,
    })
}

fn entry(category: Category, reference: &str) -> Entry {
    Entry {
        category,
        reference: reference.to_owned(),
        gateway_txn: None,
        gateway_amount: None,
        our_amount: None,
        our_status: None,
        paid_at: None,
        receipt: None,
        rows: Vec::new(),
        note: String::new(),
    }
}

fn from_line(category: Category, line: &Line) -> Entry {
    Entry {
        gateway_txn: line.vnpay.transaction_no.clone(),
        gateway_amount: Some(line.vnpay.amount),
        paid_at: line.paid_at,
        rows: vec![line.row],
        ..entry(category, &line.vnpay.reference)
    }
}

/// Where the settlement file's columns are; an amount and an outcome column are required.
fn settlement_columns(headers: &[String]) -> Result<Columns, ReconcileError> {
    let found = resolve(headers, &settlement_specs()).map_err(|p| match p {
        HeaderProblem::Missing(names) => ReconcileError::MissingColumns(
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        HeaderProblem::Duplicate(name) => ReconcileError::DuplicateColumn(name),
        HeaderProblem::Scaled(header) => ReconcileError::ScaledColumn(header),
    })?;
    let columns = Columns(found);
    let has = |column: Column| columns.index(column).is_some();
    if !has(Column::Amount) && !has(Column::AmountX100) {
        return Err(ReconcileError::MissingColumns(
            "\"Số tiền\" (hoặc \"vnp_Amount\")".to_owned(),
        ));
    }
    if !has(Column::ResponseCode) && !has(Column::TransactionStatus) {
        return Err(ReconcileError::MissingColumns(
            "\"Trạng thái\" hoặc \"Mã phản hồi\" (vnp_TransactionStatus, vnp_ResponseCode)"
                .to_owned(),
        ));
    }
    Ok(columns)
}

async fn read_file(
    path: &Path,
    entries: &mut Vec<Entry>,
) -> Result<(u64, Vec<(String, Vec<Line>)>), ReconcileError> {
    let mut table = Table::open(path).await?;
    let columns = table
        .header(settlement_columns, |e| {
            matches!(e, ReconcileError::ScaledColumn(_))
        })
        .await??;
    let mut rows = 0;
    let mut groups: Vec<(String, Vec<Line>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    while let Some(row) = table.next().await {
        let row = row?;
        rows += 1;
        match read_line(&columns, &row) {
            Ok(line) => {
                let at = *index
                    .entry(line.vnpay.reference.clone())
                    .or_insert_with(|| {
                        groups.push((line.vnpay.reference.clone(), Vec::new()));
                        groups.len() - 1
                    });
                groups[at].1.push(line);
            }
            Err((column, message)) => {
                let mut unreadable = entry(Category::Unreadable, "");
                unreadable.reference = columns
                    .cell(&row, Column::Reference)
                    .map(Cell::text)
                    .unwrap_or_default();
                unreadable.rows = vec![row.number];
                unreadable.note = match column {
                    Some(c) => format!("cột \"{c}\": {message}"),
                    None => message,
                };
                entries.push(unreadable);
            }
        }
    }
    Ok((rows, groups))
}

/// Reconciles a settlement file with the store.
pub async fn reconcile<S: Store>(
    store: &S,
    options: &ReconcileOptions,
) -> Result<ReconcileReport, ReconcileError> {
    match options.gateway {
        GatewayKind::Vnpay => {}
        kind @ (GatewayKind::Momo | GatewayKind::Payos) => {
            return Err(ReconcileError::Gateway(kind.display_name()));
        }
    }
    let school = options
        .school
        .as_deref()
        .map(|raw| SchoolId::parse(raw).map_err(|_| ReconcileError::School(raw.to_owned())))
        .transpose()?;
    let mut entries = Vec::new();
    let (rows, groups) = read_file(&options.file, &mut entries).await?;

    let mut captured: HashSet<String> = HashSet::new();
    let mut declined: HashSet<String> = HashSet::new();
    let mut payers: HashMap<InvoiceId, Vec<(String, PaymentStatus)>> = HashMap::new();
    let mut first_day: Option<NaiveDate> = None;
    let mut last_day: Option<NaiveDate> = None;
    for (reference, lines) in &groups {
        for day in lines.iter().filter_map(|l| l.paid_at.map(|at| at.date())) {
            first_day = Some(first_day.map_or(day, |d| d.min(day)));
            last_day = Some(last_day.map_or(day, |d| d.max(day)));
        }
        if lines.len() > 1 {
            let mut duplicate = entry(Category::Duplicate, reference);
            duplicate.rows = lines.iter().map(|l| l.row).collect();
            duplicate.note = format!("mã xuất hiện {} lần trong tệp", lines.len());
            entries.push(duplicate);
        }
        let captures: Vec<&Line> = lines.iter().filter(|l| l.vnpay.captured).collect();
        let Some(line) = captures.first() else {
            declined.insert(reference.clone());
            continue;
        };
        captured.insert(reference.clone());
        let txns: HashSet<Option<&String>> = captures
            .iter()
            .map(|l| l.vnpay.transaction_no.as_ref())
            .collect();
        if txns.len() > 1 {
            let mut twice = from_line(Category::RefundDue, line);
            twice.rows = captures.iter().map(|l| l.row).collect();
            twice.note = format!(
                "cổng đã thu {} lần cho cùng một mã thanh toán: hoàn lại các lần thừa",
                txns.len()
            );
            entries.push(twice);
        }
        let Ok(parsed) = PaymentRef::parse(reference) else {
            let mut unknown = from_line(Category::PaidUnknown, line);
            unknown.note = "mã này không phải mã thanh toán của hocphi".to_owned();
            entries.push(unknown);
            continue;
        };
        let Some(payment) = store.payment(&parsed).await? else {
            let mut unknown = from_line(Category::PaidUnknown, line);
            unknown.note = "hocphi không có giao dịch nào mang mã này".to_owned();
            entries.push(unknown);
            continue;
        };
        if school.as_ref().is_some_and(|s| *s != payment.school) {
            continue;
        }
        for invoice in &payment.invoices {
            payers
                .entry(invoice.clone())
                .or_default()
                .push((reference.clone(), payment.status));
        }
        let receipt = store.receipt(&ReceiptId::for_payment(&parsed)).await?;
        let mut found = from_line(Category::Matched, line);
        found.our_amount = Some(payment.amount);
        found.our_status = Some(payment.status);
        found.receipt = receipt
            .as_ref()
            .map(|r| format!("{}-{:07}", r.number.series, r.number.sequence));
        if line.vnpay.amount != payment.amount {
            found.category = Category::Mismatch;
            found.note = format!(
                "cổng thu {}, hocphi ghi {}",
                line.vnpay.amount, payment.amount
            );
        } else {
            match payment.status {
                PaymentStatus::Succeeded => {
                    if let (Some(ours), Some(theirs)) =
                        (&payment.gateway_txn, &line.vnpay.transaction_no)
                        && ours.as_str() != theirs
                    {
                        found.category = Category::Mismatch;
                        found.note = format!("mã GD tại cổng {theirs}, hocphi ghi {ours}");
                    }
                }
                PaymentStatus::Pending | PaymentStatus::Failed | PaymentStatus::Expired => {
                    found.category = Category::PaidNotRecorded;
                    found.note = format!(
                        "hocphi ghi \"{}\": kiểm tra lại với cổng (querydr); nếu không ghi nhận được thì hoàn tiền",
                        payment_status(payment.status)
                    );
                }
                PaymentStatus::RefundDue | PaymentStatus::Mismatched => {
                    found.category = Category::RefundDue;
                    found.note = "khoản thu đã được nộp bằng giao dịch khác hoặc đã huỷ khi tiền về: hoàn lại cho phụ huynh".to_owned();
                }
            }
        }
        entries.push(found);
    }
    for (invoice, refs) in &payers {
        if refs.len() < 2 || refs.iter().any(|(_, s)| *s == PaymentStatus::RefundDue) {
            continue;
        }
        let kept = refs
            .iter()
            .position(|(_, s)| *s == PaymentStatus::Succeeded)
            .unwrap_or(0);
        for (i, (reference, _)) in refs.iter().enumerate() {
            if i == kept {
                continue;
            }
            let mut twice = entry(Category::RefundDue, reference);
            twice.note = format!(
                "khoản thu \"{invoice}\" được cổng thu tiền {} lần (cả giao dịch {}): hoàn lại lần thừa",
                refs.len(),
                refs[kept].0
            );
            entries.push(twice);
        }
    }

    let days = match (options.from.or(first_day), options.to.or(last_day)) {
        (Some(from), Some(to)) if from > to => return Err(ReconcileError::Range { from, to }),
        (Some(from), Some(to)) => Some((from, to)),
        (Some(_) | None, Some(_) | None) => None,
    };
    if let Some((start, end)) = days.and_then(|(from, to)| time::day_bounds(from, to)) {
        for receipt in store.receipts_issued(start, end, school.as_ref()).await? {
            let reference = receipt.payment.as_str();
            if receipt.gateway != options.gateway || captured.contains(reference) {
                continue;
            }
            let mut missing = entry(Category::MissingAtGateway, reference);
            missing.our_amount = Some(receipt.total);
            missing.our_status = Some(PaymentStatus::Succeeded);
            missing.gateway_txn = Some(receipt.gateway_txn.to_string());
            missing.receipt = Some(format!(
                "{}-{:07}",
                receipt.number.series, receipt.number.sequence
            ));
            missing.paid_at = Some(time::local(receipt.issued_at));
            missing.note = if declined.contains(reference) {
                "cổng báo giao dịch không thành công nhưng hocphi đã lập biên lai".to_owned()
            } else {
                "không có trong tệp của cổng".to_owned()
            };
            entries.push(missing);
        }
    }
    entries.sort_by(|a, b| {
        (a.category, a.rows.first(), &a.reference).cmp(&(b.category, b.rows.first(), &b.reference))
    });
    Ok(ReconcileReport {
        file: options.file.clone(),
        rows,
        captured: captured.len(),
        declined: declined.len(),
        days,
        entries,
    })
}

fn rows_text(rows: &[u64]) -> String {
    rows.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the whole report (matches included) as CSV or XLSX.
pub fn write_report(report: &ReconcileReport, path: &Path) -> Result<PathBuf, SheetError> {
    let mut sheet = SheetWriter::create(path, "Đối soát", &REPORT_HEADERS, Create::Overwrite)?;
    let amount = |m: Option<Money>| m.map_or(Value::Empty, |m| Value::Amount(m.vnd()));
    let text = |t: Option<&str>| t.map_or(Value::Empty, Value::text);
    for e in &report.entries {
        sheet.row(&[
            Value::text(e.category.label()),
            Value::text(e.reference.as_str()),
            text(e.gateway_txn.as_deref()),
            amount(e.gateway_amount),
            amount(e.our_amount),
            text(e.our_status.map(payment_status)),
            e.paid_at.map_or(Value::Empty, Value::Moment),
            text(e.receipt.as_deref()),
            Value::text(rows_text(&e.rows)),
            Value::text(e.note.as_str()),
        ])?;
    }
    sheet.finish()
}

impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Đối soát VNPay — tệp {}: {} dòng, {} mã đã thu tiền, {} mã không thành công.",
            self.file.display(),
            group_digits(self.rows),
            group_digits(self.captured as u64),
            group_digits(self.declined as u64)
        )?;
        match self.days {
            Some((from, to)) => writeln!(
                f,
                "Biên lai đối chiếu: lập từ {} đến {} (giờ Việt Nam).",
                from.format("%d/%m/%Y"),
                to.format("%d/%m/%Y")
            )?,
            None => writeln!(
                f,
                "Không xác định được khoảng ngày (tệp không có ngày thanh toán): bỏ qua kiểm tra \
                 biên lai không có ở cổng; dùng --from và --to."
            )?,
        }
        writeln!(f)?;
        let width = Category::ALL
            .iter()
            .map(|c| c.label().chars().count())
            .max()
            .unwrap_or(0);
        for category in Category::ALL {
            writeln!(
                f,
                "  {}  {:>6}",
                pad(category.label(), width),
                self.of(category).count()
            )?;
        }
        for category in Category::ALL.into_iter().filter(|c| c.needs_attention()) {
            let rows: Vec<[String; 6]> = self
                .of(category)
                .map(|e| {
                    [
                        e.reference.clone(),
                        e.gateway_txn.clone().unwrap_or_default(),
                        e.gateway_amount.map(|m| m.to_string()).unwrap_or_default(),
                        e.our_amount.map(|m| m.to_string()).unwrap_or_default(),
                        rows_text(&e.rows),
                        e.note.clone(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            writeln!(f, "\n{} ({}):", category.label(), rows.len())?;
            let headers = [
                "Mã thanh toán",
                "Mã GD VNPAY",
                "Số tiền cổng",
                "Số tiền hocphi",
                "Dòng",
                "Ghi chú",
            ];
            let mut widths = headers.map(|h| h.chars().count());
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: [&str; 6]| {
                let mut out = String::from(" ");
                for (i, cell) in cells.iter().enumerate() {
                    out.push(' ');
                    if i + 1 == cells.len() {
                        out.push_str(cell);
                    } else {
                        out.push_str(&pad(cell, widths[i]));
                        out.push(' ');
                    }
                }
                out.trim_end().to_owned()
            };
            writeln!(f, "{}", line(headers))?;
            for row in &rows {
                writeln!(f, "{}", line(row.each_ref().map(String::as_str)))?;
            }
        }
        if self.needs_attention() {
            writeln!(f, "\nCó chênh lệch cần xử lý.")
        } else {
            writeln!(f, "\nTất cả giao dịch đều khớp.")
        }
    }
}
