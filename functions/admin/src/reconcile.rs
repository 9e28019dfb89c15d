//! `reconcile`: a channel's transaction list (VNPay's settlement export, payOS's transaction
//! export, a bill-payment partner's daily file) against hocphi's payments and receipts.
//!
//! Owns reading the file (CSV or XLSX, headers matched as in every operator's file), matching
//! its rows against the store, and the categories of the report, one machinery for every
//! channel; each channel's own rules for its file (its columns and the headers naming them,
//! which rows are money received, how a row names a payment) are its `settlement` module's:
//! [`hocphi_gateways::vnpay::settlement`], [`hocphi_gateways::payos::settlement`]. payOS's
//! export layout is not public: its headers are unverified guesses (see that module).
//!
//! A VNPay row names a payment by `vnp_TxnRef`, one transaction per reference; a payOS row names
//! one by its `orderCode` (or, failing that, a payment reference in the transfer's memo), and
//! one order may receive several transfers, each named by its bank reference and judged on its
//! own: another amount is a [`Category::Mismatch`] (said to be recorded when hocphi holds it in
//! the payment's mismatches), a second transfer of the full amount is a refund due. A partner's
//! row names its transaction id, which names hocphi's payment through
//! [`PaymentRef::for_partner`] (the partner's confirmation is idempotent by it), and may name the
//! bill (a payment code or invoice ids) as the confirmation did; the partner's file is its own
//! (columns in [`PartnerColumn`]), so every row is money the partner took.
//!
//! Invariants: every row of the file lands in exactly one category except that a repeated row
//! (a VNPay reference, a payOS bank reference, a partner's transaction id) is also reported as a
//! duplicate; a receipt hocphi issued on the file's days for a payment of the channel the file
//! does not show as captured is reported (for a partner, only its own payments' receipts);
//! nothing is written to the store. The report needs attention when any entry is not
//! [`Category::Matched`]. The money matched is also given by kind of collection and beneficiary
//! (from the matched payments' receipts), so the accountant knows what to pay over to each
//! organisation collected for.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use hocphi_domain::{
    GatewayKind, GatewayTxnNo, InvoiceId, Money, PartnerId, Payment, PaymentCode, PaymentRef,
    PaymentStatus, Receipt, ReceiptId, SchoolId, Store, StoreError,
};
use hocphi_gateways::payos::settlement::{self as payos_settlement, Column as PayosColumn};
use hocphi_gateways::vnpay::settlement::{self, Column, SettlementRow};

use crate::export::ByKind;
use crate::header::{ColumnSpec, HeaderProblem, fold, resolve};
use crate::sheet::{Create, SheetError, SheetWriter, Value};
use crate::table::{Cell, Row, Table, TableError};
use crate::text::{group_digits, pad, payment_status};
use crate::{time, values};

/// What kind of finding an entry of the report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Money must go back to a parent: hocphi marked the payment RefundDue or Mismatched, or
    /// the gateway captured twice for one reference or for one invoice.
    RefundDue,
    /// Captured at the gateway, but hocphi's payment is Pending, Failed or Expired.
    PaidNotRecorded,
    /// Captured at the gateway under a reference hocphi does not know.
    PaidUnknown,
    /// Captured at the gateway for another amount (or under another VNPay transaction number).
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

/// The report headers (CSV/XLSX) of a VNPay reconciliation; see [`report_headers`].
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

/// The header of the gateway's transaction number in a channel's report.
fn txn_header(gateway: GatewayKind) -> &'static str {
    match gateway {
        GatewayKind::Payos => "Mã tham chiếu",
        GatewayKind::Partner => "Mã GD đối tác",
        GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg => "Mã GD VNPAY",
    }
}

/// The name of a channel in a report's title.
fn channel_name(gateway: GatewayKind) -> &'static str {
    match gateway {
        GatewayKind::Payos => "payOS (VietQR)",
        GatewayKind::Partner => "đối tác thu hộ",
        GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg => gateway.display_name(),
    }
}

/// Where the file comes from, as notes name it.
fn source(gateway: GatewayKind) -> &'static str {
    match gateway {
        GatewayKind::Partner => "đối tác",
        GatewayKind::Vnpay | GatewayKind::Payos | GatewayKind::Momo | GatewayKind::Dvcqg => "cổng",
    }
}

/// The report headers (CSV/XLSX) of a channel's reconciliation.
pub fn report_headers(gateway: GatewayKind) -> [&'static str; 10] {
    let mut headers = REPORT_HEADERS;
    headers[2] = txn_header(gateway);
    if gateway == GatewayKind::Partner {
        headers[3] = "Số tiền tại đối tác";
    }
    headers
}

/// What to reconcile.
#[derive(Clone, Debug)]
pub struct ReconcileOptions {
    pub gateway: GatewayKind,
    /// The partner whose daily file it is (with [`GatewayKind::Partner`] only).
    pub partner: Option<String>,
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
    pub gateway: GatewayKind,
    /// The partner whose file it was.
    pub partner: Option<PartnerId>,
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
    /// The matched payments' receipt lines by kind and beneficiary.
    pub matched_by_kind: ByKind,
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
    #[error("mã đối tác không hợp lệ: \"{0}\"")]
    Partner(String),
    #[error("đối soát với đối tác thu hộ cần mã đối tác (--partner)")]
    NoPartner,
    #[error("mã đối tác chỉ dùng khi đối soát tệp của đối tác thu hộ, không dùng với --gateway")]
    PartnerWithGateway,
    #[error("ngày bắt đầu {from} sau ngày kết thúc {to}")]
    Range { from: NaiveDate, to: NaiveDate },
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
    #[error("tổng tiền vượt quá giới hạn tính toán")]
    Overflow,
}

/// VNPay's settlement file's columns, as VNPay's transaction list names them.
fn vnpay_specs() -> [ColumnSpec; 7] {
    Column::ALL.map(|column| {
        let spec = if column.required() {
            ColumnSpec::required(column.name(), column.aliases())
        } else {
            ColumnSpec::optional(column.name(), column.aliases())
        };
        if column.in_dong() { spec.money() } else { spec }
    })
}

/// payOS's transaction list's columns, as [`payos_settlement::Column`] guesses them.
fn payos_specs() -> [ColumnSpec; 6] {
    PayosColumn::ALL.map(|column| {
        let spec = if column.required() {
            ColumnSpec::required(column.name(), column.aliases())
        } else {
            ColumnSpec::optional(column.name(), column.aliases())
        };
        if column.in_dong() { spec.money() } else { spec }
    })
}

/// A column of a bill-payment partner's daily file: one row per payment it confirmed, named
/// as its confirmation named it (hocphi's partner API, `POST …/confirmations`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartnerColumn {
    /// The partner's transaction id (`transaction_id`, the portal's `MaGiaoDich`).
    Txn,
    /// The amount taken, in đồng.
    Amount,
    /// When it was taken (optional).
    Time,
    /// The payment code the confirmation paid (optional).
    Code,
    /// The invoice ids the confirmation paid (optional; several separated by `,`, `;` or spaces).
    Invoices,
}

impl PartnerColumn {
    /// Every column, in the order reconciliation looks them up.
    pub const ALL: [PartnerColumn; 5] = [
        PartnerColumn::Txn,
        PartnerColumn::Amount,
        PartnerColumn::Time,
        PartnerColumn::Code,
        PartnerColumn::Invoices,
    ];

    /// The header messages quote.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    fn spec(self) -> ColumnSpec {
        match self {
            PartnerColumn::Txn => ColumnSpec::required(
                "Mã giao dịch",
                &[
                    "transaction_id",
                    "Mã GD",
                    "Mã giao dịch đối tác",
                    "Số tham chiếu",
                    "MaGiaoDich",
                ],
            ),
            PartnerColumn::Amount => ColumnSpec::required(
                "Số tiền",
                &[
                    "amount",
                    "Số tiền giao dịch",
                    "Số tiền thanh toán",
                    "SoTien",
                ],
            )
            .money(),
            PartnerColumn::Time => ColumnSpec::optional(
                "Thời gian",
                &[
                    "paid_at",
                    "Thời gian giao dịch",
                    "Thời gian thanh toán",
                    "Ngày giao dịch",
                    "Ngày thanh toán",
                    "ThoiGianGD",
                ],
            ),
            PartnerColumn::Code => {
                ColumnSpec::optional("Mã thanh toán", &["payment_code", "MaThamChieu"])
            }
            PartnerColumn::Invoices => {
                ColumnSpec::optional("Mã hóa đơn", &["invoice_ids", "invoice_id", "Mã khoản thu"])
            }
        }
    }
}

/// The bill a partner's row names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum WrittenBill {
    Code(PaymentCode),
    Invoices(Vec<InvoiceId>),
}

/// One readable row of a channel's file, in hocphi's terms.
struct Line {
    row: u64,
    /// The payment reference the row names (or, when it names none, what it wrote instead).
    reference: String,
    /// Whether `reference` may be one hocphi issued (a payOS row naming no payment is not).
    named: bool,
    /// What the row names the payment by, as written (a payOS order code, else `reference`).
    written: String,
    /// The payment was found through the transfer's memo, not its order code.
    by_memo: bool,
    /// The gateway's transaction number (VNPay) or the bank's reference (payOS).
    txn: Option<String>,
    amount: Money,
    captured: bool,
    paid_at: Option<NaiveDateTime>,
    /// The bill a partner's row names.
    bill: Option<WrittenBill>,
}

/// Where each of a channel's columns is in the file, in the order of its `Column::ALL`.
struct Found(Vec<Option<usize>>);

impl Found {
    fn at<C: PartialEq + Copy>(&self, all: &[C], column: C) -> Option<usize> {
        all.iter()
            .zip(&self.0)
            .find_map(|(c, index)| if *c == column { *index } else { None })
    }
}

/// The columns of the file being read, by channel.
enum Columns {
    Vnpay(Found),
    Payos(Found),
    Partner(Found, PartnerId),
}

impl Columns {
    fn vnpay<'r>(found: &Found, row: &'r Row, column: Column) -> Option<&'r Cell> {
        found.at(&Column::ALL, column).map(|i| row.cell(i))
    }

    fn payos<'r>(found: &Found, row: &'r Row, column: PayosColumn) -> Option<&'r Cell> {
        found.at(&PayosColumn::ALL, column).map(|i| row.cell(i))
    }

    fn partner<'r>(found: &Found, row: &'r Row, column: PartnerColumn) -> Option<&'r Cell> {
        found.at(&PartnerColumn::ALL, column).map(|i| row.cell(i))
    }

    /// What the row names, as written, for a row that cannot be read.
    fn written_reference(&self, row: &Row) -> String {
        match self {
            Columns::Vnpay(found) => Self::vnpay(found, row, Column::Reference),
            Columns::Payos(found) => Self::payos(found, row, PayosColumn::OrderCode),
            Columns::Partner(found, _) => Self::partner(found, row, PartnerColumn::Txn),
        }
        .map(Cell::text)
        .unwrap_or_default()
    }

    fn read(&self, row: &Row) -> Result<Line, (Option<&'static str>, String)> {
        match self {
            Columns::Vnpay(found) => read_vnpay(found, row),
            Columns::Payos(found) => read_payos(found, row),
            Columns::Partner(found, partner) => read_partner(found, partner, row),
        }
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

fn paid_at(
    cell: Option<&Cell>,
    name: &'static str,
) -> Result<Option<NaiveDateTime>, (Option<&'static str>, String)> {
    match cell {
        Some(cell) if !cell.is_blank() => {
            Ok(Some(values::datetime(cell).map_err(|m| (Some(name), m))?))
        }
        Some(_) | None => Ok(None),
    }
}

fn read_vnpay(found: &Found, row: &Row) -> Result<Line, (Option<&'static str>, String)> {
    let cell = |column| Columns::vnpay(found, row, column);
    let reference = cell(Column::Reference).map(Cell::text).unwrap_or_default();
    if reference.is_empty() {
        return Err((Some(Column::Reference.name()), values::EMPTY.to_owned()));
    }
    let amount = match (cell(Column::Amount), cell(Column::AmountX100)) {
        (Some(c), _) => values::amount(c).map_err(|m| (Some(Column::Amount.name()), m))?,
        (None, Some(c)) => vnpay_unit(c).map_err(|m| (Some(Column::AmountX100.name()), m))?,
        (None, None) => return Err((None, "thiếu số tiền".to_owned())),
    };
    let verdicts = Column::ALL
        .into_iter()
        .filter(|column| column.is_outcome())
        .filter_map(|column| cell(column).and_then(|c| says_captured(column, c)));
    let Some(captured) = settlement::captured(verdicts) else {
        return Err((
            Some(Column::TransactionStatus.name()),
            values::EMPTY.to_owned(),
        ));
    };
    let vnpay = SettlementRow {
        reference,
        transaction_no: cell(Column::TransactionNo)
            .map(Cell::text)
            .filter(|t| !t.is_empty()),
        amount,
        captured,
    };
    Ok(Line {
        row: row.number,
        written: vnpay.reference.clone(),
        reference: vnpay.reference,
        named: true,
        by_memo: false,
        txn: vnpay.transaction_no,
        amount: vnpay.amount,
        captured: vnpay.captured,
        paid_at: paid_at(cell(Column::PayDate), Column::PayDate.name())?,
        bill: None,
    })
}

fn read_payos(found: &Found, row: &Row) -> Result<Line, (Option<&'static str>, String)> {
    let cell = |column| Columns::payos(found, row, column);
    let text = |column| {
        cell(column)
            .map(Cell::text)
            .filter(|t: &String| !t.is_empty())
    };
    let amount = match cell(PayosColumn::Amount) {
        Some(c) => values::amount(c).map_err(|m| (Some(PayosColumn::Amount.name()), m))?,
        None => return Err((None, "thiếu số tiền".to_owned())),
    };
    let captured = match text(PayosColumn::Status) {
        Some(status) => {
            let folded = fold(&status);
            payos_settlement::RECEIVED_WORDINGS
                .iter()
                .any(|wording| fold(wording) == folded)
        }
        None if found.at(&PayosColumn::ALL, PayosColumn::Status).is_some() => {
            return Err((Some(PayosColumn::Status.name()), values::EMPTY.to_owned()));
        }
        None => true,
    };
    let order = text(PayosColumn::OrderCode);
    let memo = text(PayosColumn::Memo);
    let by_order = order.as_deref().and_then(payos_settlement::order_reference);
    let by_memo = match by_order {
        Some(_) => None,
        None => memo.as_deref().and_then(payos_settlement::memo_reference),
    };
    let written = order.clone();
    let (reference, named) = match (&by_order, &by_memo) {
        (Some(reference), _) | (None, Some(reference)) => (reference.to_string(), true),
        (None, None) => match (order, memo) {
            (None, None) => {
                return Err((
                    Some(PayosColumn::OrderCode.name()),
                    "không có mã đơn hàng lẫn nội dung chuyển khoản".to_owned(),
                ));
            }
            (Some(order), _) => (order, false),
            (None, Some(memo)) => (memo.chars().take(40).collect(), false),
        },
    };
    Ok(Line {
        row: row.number,
        written: written.unwrap_or_else(|| reference.clone()),
        reference,
        named,
        by_memo: by_memo.is_some(),
        txn: text(PayosColumn::Reference),
        amount,
        captured,
        paid_at: paid_at(cell(PayosColumn::Time), PayosColumn::Time.name())?,
        bill: None,
    })
}

/// A moment as the settlement files write it, or as RFC 3339 (the partner API's `paid_at`).
fn partner_time(cell: Option<&Cell>) -> Result<Option<NaiveDateTime>, String> {
    let Some(cell) = cell.filter(|c| !c.is_blank()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(cell.text().trim()) {
        return Ok(Some(time::local(at.with_timezone(&Utc))));
    }
    values::datetime(cell).map(Some)
}

fn written_bill(
    code: Option<&Cell>,
    invoices: Option<&Cell>,
) -> Result<Option<WrittenBill>, (Option<&'static str>, String)> {
    let text = |cell: Option<&Cell>| cell.map(Cell::text).filter(|t| !t.trim().is_empty());
    if let Some(raw) = text(code) {
        let code = PaymentCode::parse(&raw).map_err(|_| {
            (
                Some(PartnerColumn::Code.name()),
                format!("mã thanh toán không hợp lệ, nhận được \"{raw}\""),
            )
        })?;
        return Ok(Some(WrittenBill::Code(code)));
    }
    let Some(raw) = text(invoices) else {
        return Ok(None);
    };
    let ids = raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|id| !id.is_empty())
        .map(|id| {
            InvoiceId::parse(id).map_err(|_| {
                (
                    Some(PartnerColumn::Invoices.name()),
                    format!("mã khoản thu không hợp lệ, nhận được \"{id}\""),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(WrittenBill::Invoices(ids)))
}

fn read_partner(
    found: &Found,
    partner: &PartnerId,
    row: &Row,
) -> Result<Line, (Option<&'static str>, String)> {
    let cell = |column| Columns::partner(found, row, column);
    let named = |column: PartnerColumn| Some(column.name());
    let written = cell(PartnerColumn::Txn).map(Cell::text).unwrap_or_default();
    if written.trim().is_empty() {
        return Err((named(PartnerColumn::Txn), values::EMPTY.to_owned()));
    }
    let txn = GatewayTxnNo::parse(&written).map_err(|_| {
        (
            named(PartnerColumn::Txn),
            format!("mã giao dịch không hợp lệ, nhận được \"{written}\""),
        )
    })?;
    let amount = match cell(PartnerColumn::Amount) {
        Some(c) => values::amount(c).map_err(|m| (named(PartnerColumn::Amount), m))?,
        None => return Err((None, "thiếu số tiền".to_owned())),
    };
    let paid_at =
        partner_time(cell(PartnerColumn::Time)).map_err(|m| (named(PartnerColumn::Time), m))?;
    let reference = PaymentRef::for_partner(partner, &txn).to_string();
    Ok(Line {
        row: row.number,
        written: reference.clone(),
        reference,
        named: true,
        by_memo: false,
        txn: Some(txn.to_string()),
        amount,
        captured: true,
        paid_at,
        bill: written_bill(cell(PartnerColumn::Code), cell(PartnerColumn::Invoices))?,
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
        gateway_txn: line.txn.clone(),
        gateway_amount: Some(line.amount),
        paid_at: line.paid_at,
        rows: vec![line.row],
        ..entry(category, &line.reference)
    }
}

fn header_problem(p: HeaderProblem) -> ReconcileError {
    match p {
        HeaderProblem::Missing(names) => ReconcileError::MissingColumns(
            names
                .iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        HeaderProblem::Duplicate(name) => ReconcileError::DuplicateColumn(name),
        HeaderProblem::Scaled(header) => ReconcileError::ScaledColumn(header),
    }
}

/// Where VNPay's file's columns are; an amount and an outcome column are required.
fn vnpay_columns(headers: &[String]) -> Result<Columns, ReconcileError> {
    let found = Found(resolve(headers, &vnpay_specs()).map_err(header_problem)?);
    let has = |column: Column| found.at(&Column::ALL, column).is_some();
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
    Ok(Columns::Vnpay(found))
}

/// Where a partner's file's columns are; the transaction id and the amount are required.
fn partner_columns(headers: &[String], partner: &PartnerId) -> Result<Columns, ReconcileError> {
    let specs = PartnerColumn::ALL.map(PartnerColumn::spec);
    let found = Found(resolve(headers, &specs).map_err(header_problem)?);
    Ok(Columns::Partner(found, partner.clone()))
}

/// Where payOS's file's columns are; an amount and an order-code or memo column are required.
fn payos_columns(headers: &[String]) -> Result<Columns, ReconcileError> {
    let found = Found(resolve(headers, &payos_specs()).map_err(header_problem)?);
    let has = |column: PayosColumn| found.at(&PayosColumn::ALL, column).is_some();
    if !has(PayosColumn::OrderCode) && !has(PayosColumn::Memo) {
        return Err(ReconcileError::MissingColumns(
            "\"Mã đơn hàng\" hoặc \"Nội dung\" (orderCode, description)".to_owned(),
        ));
    }
    Ok(Columns::Payos(found))
}

async fn read_file(
    path: &Path,
    gateway: GatewayKind,
    partner: Option<&PartnerId>,
    entries: &mut Vec<Entry>,
) -> Result<(u64, Vec<(String, Vec<Line>)>), ReconcileError> {
    let mut table = Table::open(path).await?;
    let fits = |headers: &[String]| match (gateway, partner) {
        (GatewayKind::Payos, _) => payos_columns(headers),
        (_, Some(partner)) => partner_columns(headers, partner),
        (GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg | GatewayKind::Partner, _) => {
            vnpay_columns(headers)
        }
    };
    let columns = table
        .header(fits, |e| matches!(e, ReconcileError::ScaledColumn(_)))
        .await??;
    let mut rows = 0;
    let mut groups: Vec<(String, Vec<Line>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    while let Some(row) = table.next().await {
        let row = row?;
        rows += 1;
        match columns.read(&row) {
            Ok(line) => {
                let at = *index.entry(line.reference.clone()).or_insert_with(|| {
                    groups.push((line.reference.clone(), Vec::new()));
                    groups.len() - 1
                });
                groups[at].1.push(line);
            }
            Err((column, message)) => {
                let mut unreadable = entry(Category::Unreadable, "");
                unreadable.reference = columns.written_reference(&row);
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

/// The note of a transfer of another amount than the payment's.
fn mismatch_note(gateway: GatewayKind, line: &Line, payment: &Payment) -> String {
    let mut note = format!(
        "{} thu {}, hocphi ghi {}",
        source(gateway),
        line.amount,
        payment.amount
    );
    let recorded = line.txn.as_deref().is_some_and(|txn| {
        payment
            .mismatches
            .iter()
            .any(|m| m.txn.as_str() == txn && m.amount == line.amount)
    });
    if recorded {
        note.push_str(": đã ghi nhận, cần hoàn tiền");
    }
    note
}

/// How the bill a partner's row names differs from what hocphi's payment paid, if it does.
fn bill_note(line: &Line, payment: &Payment) -> Option<String> {
    match line.bill.as_ref()? {
        WrittenBill::Code(code) => (!payment.is_named_by(code)).then(|| {
            format!(
                "tệp ghi mã thanh toán {code}, hocphi ghi học sinh {}, năm học {}",
                payment.student, payment.school_year
            )
        }),
        WrittenBill::Invoices(ids) => {
            let mut written: Vec<&InvoiceId> = ids.iter().collect();
            let mut ours: Vec<&InvoiceId> = payment.invoices.iter().collect();
            written.sort_unstable();
            written.dedup();
            ours.sort_unstable();
            (!payment.covers_exactly(ids)).then(|| {
                let list = |ids: &[&InvoiceId]| {
                    ids.iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "tệp ghi khoản thu {}, hocphi ghi {}",
                    list(&written),
                    list(&ours)
                )
            })
        }
    }
}

/// What a Mismatched payment needs: the transfers hocphi recorded go back to the parent.
fn mismatched_note(payment: &Payment) -> String {
    let amounts: Vec<String> = payment
        .mismatches
        .iter()
        .map(|m| m.amount.to_string())
        .collect();
    format!(
        "hocphi ghi nhận chuyển sai số tiền ({}): hoàn lại cho phụ huynh (xem \"hocphi-admin show payment {}\"); khoản đúng số tiền này hocphi chưa ghi nhận: kiểm tra lại với cổng",
        amounts.join(", "),
        payment.reference
    )
}

/// The finding of a capture of the payment's very amount, by what hocphi recorded.
fn judge(found: &mut Entry, line: &Line, payment: &Payment, compare_txn: bool) {
    match payment.status {
        PaymentStatus::Succeeded => {
            if let (true, Some(ours), Some(theirs)) = (compare_txn, &payment.gateway_txn, &line.txn)
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
        PaymentStatus::RefundDue => {
            found.category = Category::RefundDue;
            found.note = "khoản thu đã được nộp bằng giao dịch khác hoặc đã huỷ khi tiền về: hoàn lại cho phụ huynh".to_owned();
        }
        PaymentStatus::Mismatched => {
            found.category = Category::RefundDue;
            found.note = mismatched_note(payment);
        }
    }
}

/// The rows of one reference that repeat a row: VNPay's reference is one transaction, payOS's
/// order may get several transfers, each named by its bank reference.
fn duplicates(gateway: GatewayKind, reference: &str, lines: &[Line]) -> Vec<Entry> {
    match gateway {
        GatewayKind::Payos => {
            let mut by_txn: Vec<(&str, Vec<u64>)> = Vec::new();
            for line in lines {
                let Some(txn) = line.txn.as_deref() else {
                    continue;
                };
                match by_txn.iter_mut().find(|(t, _)| *t == txn) {
                    Some((_, rows)) => rows.push(line.row),
                    None => by_txn.push((txn, vec![line.row])),
                }
            }
            by_txn
                .into_iter()
                .filter(|(_, rows)| rows.len() > 1)
                .map(|(txn, rows)| {
                    let mut duplicate = entry(Category::Duplicate, reference);
                    duplicate.gateway_txn = Some(txn.to_owned());
                    duplicate.note =
                        format!("giao dịch {txn} xuất hiện {} lần trong tệp", rows.len());
                    duplicate.rows = rows;
                    duplicate
                })
                .collect()
        }
        GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg | GatewayKind::Partner
            if lines.len() > 1 =>
        {
            let mut duplicate = entry(Category::Duplicate, reference);
            if gateway == GatewayKind::Partner {
                duplicate.gateway_txn = lines[0].txn.clone();
            }
            duplicate.rows = lines.iter().map(|l| l.row).collect();
            duplicate.note = format!("mã xuất hiện {} lần trong tệp", lines.len());
            vec![duplicate]
        }
        GatewayKind::Vnpay | GatewayKind::Momo | GatewayKind::Dvcqg | GatewayKind::Partner => {
            Vec::new()
        }
    }
}

/// The transfers of a payOS order, each once (a repeated bank reference is one transfer).
fn transfers<'l>(captures: &[&'l Line]) -> Vec<&'l Line> {
    let mut seen: HashSet<&str> = HashSet::new();
    captures
        .iter()
        .copied()
        .filter(|l| l.txn.as_deref().is_none_or(|txn| seen.insert(txn)))
        .collect()
}

fn receipt_number(receipt: Option<&Receipt>) -> Option<String> {
    receipt.map(|r| format!("{}-{:07}", r.number.series, r.number.sequence))
}

/// Reconciles a channel's transaction file with the store.
pub async fn reconcile<S: Store>(
    store: &S,
    options: &ReconcileOptions,
) -> Result<ReconcileReport, ReconcileError> {
    let gateway = options.gateway;
    match gateway {
        GatewayKind::Vnpay | GatewayKind::Payos | GatewayKind::Partner => {}
        kind @ (GatewayKind::Momo | GatewayKind::Dvcqg) => {
            return Err(ReconcileError::Gateway(kind.display_name()));
        }
    }
    let partner = match (gateway, options.partner.as_deref()) {
        (GatewayKind::Partner, Some(raw)) => Some(
            PartnerId::parse(raw.trim()).map_err(|_| ReconcileError::Partner(raw.to_owned()))?,
        ),
        (GatewayKind::Partner, None) => return Err(ReconcileError::NoPartner),
        (_, Some(_)) => return Err(ReconcileError::PartnerWithGateway),
        (_, None) => None,
    };
    let school = options
        .school
        .as_deref()
        .map(|raw| SchoolId::parse(raw).map_err(|_| ReconcileError::School(raw.to_owned())))
        .transpose()?;
    let mut entries = Vec::new();
    let (rows, groups) = read_file(&options.file, gateway, partner.as_ref(), &mut entries).await?;

    let mut captured: HashSet<String> = HashSet::new();
    let mut declined: HashSet<String> = HashSet::new();
    let mut payers: HashMap<InvoiceId, Vec<(String, PaymentStatus)>> = HashMap::new();
    let mut first_day: Option<NaiveDate> = None;
    let mut last_day: Option<NaiveDate> = None;
    let mut receipts: HashMap<String, Receipt> = HashMap::new();
    for (reference, lines) in &groups {
        for day in lines.iter().filter_map(|l| l.paid_at.map(|at| at.date())) {
            first_day = Some(first_day.map_or(day, |d| d.min(day)));
            last_day = Some(last_day.map_or(day, |d| d.max(day)));
        }
        entries.extend(duplicates(gateway, reference, lines));
        let captures: Vec<&Line> = lines.iter().filter(|l| l.captured).collect();
        let Some(line) = captures.first() else {
            declined.insert(reference.clone());
            continue;
        };
        captured.insert(reference.clone());
        let payos = gateway == GatewayKind::Payos;
        if !payos {
            let txns: HashSet<Option<&String>> = captures.iter().map(|l| l.txn.as_ref()).collect();
            if txns.len() > 1 {
                let mut twice = from_line(Category::RefundDue, line);
                twice.rows = captures.iter().map(|l| l.row).collect();
                twice.note = format!(
                    "cổng đã thu {} lần cho cùng một mã thanh toán: hoàn lại các lần thừa",
                    txns.len()
                );
                entries.push(twice);
            }
        }
        let considered = if payos {
            transfers(&captures)
        } else {
            vec![*line]
        };
        let unknown = |note: &str| -> Vec<Entry> {
            considered
                .iter()
                .map(|l| {
                    let mut unknown = from_line(Category::PaidUnknown, l);
                    unknown.reference = l.written.clone();
                    unknown.note = note.to_owned();
                    unknown
                })
                .collect()
        };
        let parsed = PaymentRef::parse(reference).ok().filter(|_| line.named);
        let Some(parsed) = parsed else {
            entries.extend(unknown(if payos {
                "mã đơn hàng không phải của hocphi và nội dung chuyển khoản không có mã thanh toán"
            } else {
                "mã này không phải mã thanh toán của hocphi"
            }));
            continue;
        };
        let Some(payment) = store.payment(&parsed).await? else {
            entries.extend(unknown(if partner.is_some() {
                "hocphi không nhận được xác nhận nào của đối tác với mã giao dịch này"
            } else {
                "hocphi không có giao dịch nào mang mã này"
            }));
            continue;
        };
        if school.as_ref().is_some_and(|s| *s != payment.school) {
            continue;
        }
        let issued = store.receipt(&ReceiptId::for_payment(&parsed)).await?;
        let receipt = receipt_number(issued.as_ref());
        if let Some(issued) = issued {
            receipts.insert(reference.clone(), issued);
        }
        let ours = |category, line: &Line| {
            let mut found = from_line(category, line);
            found.our_amount = Some(payment.amount);
            found.our_status = Some(payment.status);
            found.receipt = receipt.clone();
            if line.by_memo {
                found.note = "tìm theo nội dung chuyển khoản".to_owned();
            }
            found
        };
        if !payos {
            for invoice in &payment.invoices {
                payers
                    .entry(invoice.clone())
                    .or_default()
                    .push((reference.clone(), payment.status));
            }
            let mut found = ours(Category::Matched, line);
            if line.amount != payment.amount {
                found.category = Category::Mismatch;
                found.note = mismatch_note(gateway, line, &payment);
            } else if let Some(note) = bill_note(line, &payment) {
                found.category = Category::Mismatch;
                found.note = note;
            } else {
                judge(&mut found, line, &payment, true);
            }
            entries.push(found);
            continue;
        }
        let (exact, other): (Vec<&Line>, Vec<&Line>) =
            considered.iter().partition(|l| l.amount == payment.amount);
        for line in other {
            let mut found = ours(Category::Mismatch, line);
            found.note = mismatch_note(gateway, line, &payment);
            entries.push(found);
        }
        let kept = exact
            .iter()
            .position(|l| {
                l.txn.as_deref().is_some_and(|t| {
                    payment
                        .gateway_txn
                        .as_ref()
                        .is_some_and(|g| g.as_str() == t)
                })
            })
            .unwrap_or(0);
        for (i, line) in exact.iter().enumerate() {
            let mut found = ours(Category::Matched, line);
            if i == kept {
                let memo = std::mem::take(&mut found.note);
                judge(&mut found, line, &payment, false);
                if !memo.is_empty() {
                    found.note = if found.note.is_empty() {
                        memo
                    } else {
                        format!("{}; {memo}", found.note)
                    };
                }
            } else {
                found.category = Category::RefundDue;
                found.note = format!(
                    "chuyển đủ tiền {} lần cho cùng một mã thanh toán: hoàn lại các lần thừa",
                    exact.len()
                );
            }
            entries.push(found);
        }
        if !exact.is_empty() {
            for invoice in &payment.invoices {
                payers
                    .entry(invoice.clone())
                    .or_default()
                    .push((reference.clone(), payment.status));
            }
        }
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
            let theirs = partner.as_ref().is_none_or(|p| {
                PaymentRef::for_partner(p, &receipt.gateway_txn) == receipt.payment
            });
            if receipt.gateway != gateway || !theirs || captured.contains(reference) {
                continue;
            }
            let mut missing = entry(Category::MissingAtGateway, reference);
            missing.our_amount = Some(receipt.total);
            missing.our_status = Some(PaymentStatus::Succeeded);
            missing.gateway_txn = Some(receipt.gateway_txn.to_string());
            missing.receipt = receipt_number(Some(&receipt));
            missing.paid_at = Some(time::local(receipt.issued_at));
            missing.note = if declined.contains(reference) {
                "cổng báo giao dịch không thành công nhưng hocphi đã lập biên lai".to_owned()
            } else {
                format!("không có trong tệp của {}", source(gateway))
            };
            entries.push(missing);
        }
    }
    entries.sort_by(|a, b| {
        (a.category, a.rows.first(), &a.reference).cmp(&(b.category, b.rows.first(), &b.reference))
    });
    let mut matched_by_kind = ByKind::default();
    let mut counted: HashSet<&str> = HashSet::new();
    for entry in report_matches(&entries) {
        if let Some(receipt) = receipts.get(&entry.reference)
            && counted.insert(receipt.payment.as_str())
        {
            for line in &receipt.lines {
                matched_by_kind.add(line).ok_or(ReconcileError::Overflow)?;
            }
        }
    }
    Ok(ReconcileReport {
        gateway,
        partner,
        file: options.file.clone(),
        rows,
        captured: captured.len(),
        declined: declined.len(),
        days,
        entries,
        matched_by_kind,
    })
}

fn report_matches(entries: &[Entry]) -> impl Iterator<Item = &Entry> {
    entries.iter().filter(|e| e.category == Category::Matched)
}

fn rows_text(rows: &[u64]) -> String {
    rows.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the whole report (matches included) as CSV or XLSX.
pub fn write_report(report: &ReconcileReport, path: &Path) -> Result<PathBuf, SheetError> {
    let headers = report_headers(report.gateway);
    let mut sheet = SheetWriter::create(path, "Đối soát", &headers, Create::Overwrite)?;
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
        let channel = match &self.partner {
            Some(partner) => format!("{} {partner}", channel_name(self.gateway)),
            None => channel_name(self.gateway).to_owned(),
        };
        writeln!(
            f,
            "Đối soát {channel} — tệp {}: {} dòng, {} mã đã thu tiền, {} mã không thành công.",
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
                 biên lai không có ở {}; dùng --from và --to.",
                source(self.gateway)
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
            let theirs = format!("Số tiền {}", source(self.gateway));
            let headers = [
                "Mã thanh toán",
                txn_header(self.gateway),
                theirs.as_str(),
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
        if !self.matched_by_kind.totals().is_empty() {
            writeln!(f, "\nTiền đã khớp theo loại khoản thu:")?;
            write!(f, "{}", self.matched_by_kind)?;
        }
        if self.needs_attention() {
            writeln!(f, "\nCó chênh lệch cần xử lý.")
        } else {
            writeln!(f, "\nTất cả giao dịch đều khớp.")
        }
    }
}
