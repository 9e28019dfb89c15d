//! `report`: the Department's collection report, one XLSX workbook read province → commune/ward
//! → school, per kind and item, with how parents paid and the money to give back.
//!
//! Period semantics (written on the first sheet too): the invoices are those **due** on the days
//! `from..=to`. Invoiced ("Phải thu") is what those not voided require ([`Invoice::total`]);
//! collected ("Đã thu") what the Paid ones required, whenever they were paid up to the report's
//! run; outstanding ("Còn phải thu") what the Open ones require; the collection rate is collected
//! over invoiced. Voluntary items are never invoiced: "Tự nguyện đã thu" is what parents chose to
//! pay with those invoices. The channel of a paid invoice is the gateway of the receipt that
//! lists it (receipts issued from a year before `from` to the run); every hocphi channel is
//! cashless, and an invoice the school voided was closed outside hocphi (paid in cash at the
//! office, or dropped), so the cashless share is collected ÷ (collected + voided), by amount: a
//! lower bound of the true share. Refunds due are the payments created on those days with money
//! to give back ([`Store::refunds_due`]). Adjustments (subsidies, reductions) are shown as
//! negative amounts in the by-item sheet, so its column sums equal the invoices' totals.
//!
//! Invariants: the store is read through its report indexes (the schools, each school's invoices
//! by due date a page at a time, receipts by issue time, refunds by creation time), never row by
//! row (a paid invoice's channel comes from one pass over the receipts); amounts are whole đồng
//! summed as integers, rates are exact decimals rounded to four places.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, Utc};
use hocphi_domain::{
    GatewayKind, Invoice, InvoiceId, InvoiceStatus, LineKind, Payment, PaymentStatus, School,
    SchoolId, Store, StoreError,
};
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};

use crate::time;

/// What `report` is asked for.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub school: Option<String>,
    pub out: PathBuf,
    pub now: DateTime<Utc>,
}

/// Why no report was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("mã trường không hợp lệ: \"{0}\"")]
    BadSchool(String),
    #[error("không có trường \"{0}\"")]
    NoSchool(String),
    #[error("kỳ báo cáo không hợp lệ: ngày đầu sau ngày cuối")]
    Period,
    #[error("tệp {0}: báo cáo ghi ra tệp .xlsx")]
    NotXlsx(PathBuf),
    #[error("không ghi được tệp Excel {path}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// Collection figures of a set of invoices, in whole đồng.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub invoices: u64,
    pub invoiced: u64,
    pub collected: u64,
    pub outstanding: u64,
    pub voided: u64,
    pub voluntary: u64,
}

impl Figures {
    fn add_invoice(&mut self, invoice: &Invoice) {
        let total = invoice.total().vnd();
        self.invoices += 1;
        match invoice.status {
            InvoiceStatus::Open => {
                self.invoiced += total;
                self.outstanding += total;
            }
            InvoiceStatus::Paid => {
                self.invoiced += total;
                self.collected += total;
            }
            InvoiceStatus::Cancelled => self.voided += total,
        }
    }

    fn merge(&mut self, other: &Figures) {
        self.invoices += other.invoices;
        self.invoiced += other.invoiced;
        self.collected += other.collected;
        self.outstanding += other.outstanding;
        self.voided += other.voided;
        self.voluntary += other.voluntary;
    }
}

/// A ratio as a fraction (0..=1) for a percentage cell; `None` when nothing is counted.
fn ratio(part: u64, whole: u64) -> Option<Decimal> {
    (whole > 0).then(|| (Decimal::from(part) / Decimal::from(whole)).round_dp(4))
}

/// One line of the by-item sheet: its kind and item (or description when it names none).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct ItemKey {
    kind: u8,
    label: String,
    item: String,
    beneficiary: String,
}

fn kind_order(kind: LineKind) -> u8 {
    match kind {
        LineKind::Tuition => 0,
        LineKind::Service => 1,
        LineKind::OnBehalf => 2,
        LineKind::Voluntary => 3,
        LineKind::Subsidy => 4,
        LineKind::Reduction => 5,
    }
}

const KINDS: [LineKind; 6] = [
    LineKind::Tuition,
    LineKind::Service,
    LineKind::OnBehalf,
    LineKind::Voluntary,
    LineKind::Subsidy,
    LineKind::Reduction,
];

/// Signed sums of one item (adjustments negative).
#[derive(Clone, Copy, Debug, Default)]
struct ItemFigures {
    invoiced: i128,
    collected: i128,
    outstanding: i128,
}

/// A channel's key in [`Collected::channels`].
fn channel_key(gateway: Option<GatewayKind>) -> usize {
    gateway
        .and_then(|g| GatewayKind::ALL.iter().position(|k| *k == g))
        .unwrap_or(GatewayKind::ALL.len())
}

/// The channel parents paid an invoice through, as the report names it.
fn channel_label(gateway: Option<GatewayKind>) -> &'static str {
    match gateway {
        Some(GatewayKind::Payos) => "Chuyển khoản VietQR (payOS)",
        Some(GatewayKind::Vnpay) => "VNPAY (thẻ, QR ngân hàng)",
        Some(GatewayKind::Momo) => "Ví MoMo",
        Some(GatewayKind::Dvcqg) => "Cổng Dịch vụ công quốc gia",
        Some(GatewayKind::Partner) => "Ngân hàng, đối tác thu hộ",
        None => "Không tìm thấy biên lai",
    }
}

/// Everything the workbook shows.
#[derive(Debug, Default)]
pub struct Collected {
    pub schools: Vec<(School, Figures)>,
    by_item: BTreeMap<ItemKey, ItemFigures>,
    /// Per channel (its position in [`GatewayKind::ALL`], after them: no receipt found): paid
    /// invoices and amount (required plus chosen voluntary).
    pub channels: BTreeMap<usize, (u64, u64)>,
    pub refunds: Vec<(Payment, u64)>,
}

impl Collected {
    /// The province's figures.
    pub fn total(&self) -> Figures {
        let mut total = Figures::default();
        for (_, figures) in &self.schools {
            total.merge(figures);
        }
        total
    }
}

/// What a payment has to give back: its amount when RefundDue, and every transfer of another
/// amount it received.
fn refund_amount(payment: &Payment) -> u64 {
    let own = if payment.status == PaymentStatus::RefundDue {
        payment.amount.vnd()
    } else {
        0
    };
    own + payment
        .mismatches
        .iter()
        .map(|m| m.amount.vnd())
        .sum::<u64>()
}

/// Reads the period's figures from the store.
pub async fn collect<S: Store>(
    store: &S,
    options: &ReportOptions,
) -> Result<Collected, ReportError> {
    if options.from > options.to {
        return Err(ReportError::Period);
    }
    let schools = match &options.school {
        Some(raw) => {
            let id = SchoolId::parse(raw).map_err(|_| ReportError::BadSchool(raw.clone()))?;
            vec![
                store
                    .school(&id)
                    .await?
                    .ok_or_else(|| ReportError::NoSchool(raw.clone()))?,
            ]
        }
        None => store.schools().await?,
    };
    let mut collected = Collected::default();
    let mut paid: HashMap<InvoiceId, (usize, u64)> = HashMap::new();
    for (index, school) in schools.into_iter().enumerate() {
        let mut figures = Figures::default();
        let mut page = None;
        loop {
            let answer = store
                .invoices_due(&school.id, options.from, options.to, page.as_ref(), 1000)
                .await?;
            for invoice in &answer.invoices {
                figures.add_invoice(invoice);
                if invoice.status == InvoiceStatus::Paid {
                    paid.insert(invoice.id.clone(), (index, invoice.total().vnd()));
                }
                add_items(&mut collected.by_item, invoice);
            }
            page = answer.next;
            if page.is_none() {
                break;
            }
        }
        collected.schools.push((school, figures));
    }
    let window_start = options
        .from
        .checked_sub_days(Days::new(366))
        .unwrap_or(options.from);
    let today = time::today(options.now).max(options.to);
    if let Some((start, end)) = time::day_bounds(window_start, today) {
        let school = options
            .school
            .as_deref()
            .and_then(|s| SchoolId::parse(s).ok());
        let mut found: HashMap<InvoiceId, usize> = HashMap::new();
        for receipt in store.receipts_issued(start, end, school.as_ref()).await? {
            for line in &receipt.lines {
                let Some(&(index, _)) = paid.get(&line.invoice) else {
                    continue;
                };
                let key = channel_key(Some(receipt.gateway));
                found.insert(line.invoice.clone(), key);
                let channel = collected.channels.entry(key).or_default();
                if line.kind.is_adjustment() {
                    channel.1 = channel.1.saturating_sub(line.amount.vnd());
                } else {
                    channel.1 += line.amount.vnd();
                }
                if line.kind == LineKind::Voluntary {
                    collected.schools[index].1.voluntary += line.amount.vnd();
                    let key = item_key(
                        LineKind::Voluntary,
                        line.description.as_str(),
                        line.item.as_ref().map(|i| i.as_str()),
                        None,
                    );
                    collected.by_item.entry(key).or_default().collected +=
                        i128::from(line.amount.vnd());
                }
            }
        }
        let counted: BTreeMap<usize, u64> = found.values().fold(BTreeMap::new(), |mut m, g| {
            *m.entry(*g).or_default() += 1;
            m
        });
        for (gateway, count) in counted {
            collected.channels.entry(gateway).or_default().0 += count;
        }
        let missing: Vec<u64> = paid
            .iter()
            .filter(|(id, _)| !found.contains_key(*id))
            .map(|(_, (_, total))| *total)
            .collect();
        if !missing.is_empty() {
            let entry = collected.channels.entry(channel_key(None)).or_default();
            entry.0 += missing.len() as u64;
            entry.1 += missing.iter().sum::<u64>();
        }
        let (refund_start, refund_end) =
            time::day_bounds(options.from, options.to).ok_or(ReportError::Period)?;
        collected.refunds = store
            .refunds_due(refund_start, refund_end)
            .await?
            .into_iter()
            .filter(|p| school.as_ref().is_none_or(|s| *s == p.school))
            .map(|p| {
                let amount = refund_amount(&p);
                (p, amount)
            })
            .collect();
    }
    collected.schools.sort_by_key(|(s, _)| {
        (
            s.commune.as_ref().map(ToString::to_string),
            s.name.to_string(),
        )
    });
    Ok(collected)
}

fn item_key(
    kind: LineKind,
    description: &str,
    item: Option<&str>,
    beneficiary: Option<&str>,
) -> ItemKey {
    ItemKey {
        kind: kind_order(kind),
        label: description.to_owned(),
        item: item.unwrap_or_default().to_owned(),
        beneficiary: beneficiary.unwrap_or_default().to_owned(),
    }
}

fn add_items(by_item: &mut BTreeMap<ItemKey, ItemFigures>, invoice: &Invoice) {
    if invoice.status == InvoiceStatus::Cancelled {
        return;
    }
    for line in invoice.items() {
        if line.is_voluntary() {
            continue;
        }
        let key = item_key(
            line.kind,
            line.description.as_str(),
            line.item.as_ref().map(|i| i.as_str()),
            line.beneficiary.as_ref().map(|b| b.as_str()),
        );
        let amount = i128::from(line.amount.vnd());
        let signed = if line.kind.is_adjustment() {
            -amount
        } else {
            amount
        };
        let entry = by_item.entry(key).or_default();
        entry.invoiced += signed;
        match invoice.status {
            InvoiceStatus::Paid => entry.collected += signed,
            InvoiceStatus::Open => entry.outstanding += signed,
            InvoiceStatus::Cancelled => {}
        }
    }
}

/// What `report` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportWritten {
    pub path: PathBuf,
    pub schools: usize,
    pub figures: Figures,
    pub refunds: usize,
}

impl fmt::Display for ReportWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let f_ = &self.figures;
        writeln!(
            f,
            "Đã ghi báo cáo {} trường, {} khoản thu vào {}: phải thu {} đ, đã thu {} đ, còn phải \
             thu {} đ; {} giao dịch phải hoàn tiền.",
            self.schools,
            f_.invoices,
            self.path.display(),
            group(f_.invoiced),
            group(f_.collected),
            group(f_.outstanding),
            self.refunds
        )
    }
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Writes the report.
pub async fn report<S: Store>(
    store: &S,
    options: &ReportOptions,
) -> Result<ReportWritten, ReportError> {
    let is_xlsx = options
        .out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if !is_xlsx {
        return Err(ReportError::NotXlsx(options.out.clone()));
    }
    let collected = collect(store, options).await?;
    write_workbook(&collected, options).map_err(|source| ReportError::Xlsx {
        path: options.out.clone(),
        source,
    })?;
    Ok(ReportWritten {
        path: options.out.clone(),
        schools: collected.schools.len(),
        figures: collected.total(),
        refunds: collected.refunds.len(),
    })
}

struct Formats {
    title: Format,
    header: Format,
    amount: Format,
    amount_bold: Format,
    percent: Format,
    percent_bold: Format,
    bold: Format,
    note: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_background_color("#DDEBF7")
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            amount: Format::new().set_num_format("#,##0"),
            amount_bold: Format::new().set_num_format("#,##0").set_bold(),
            percent: Format::new().set_num_format("0.0%"),
            percent_bold: Format::new().set_num_format("0.0%").set_bold(),
            bold: Format::new().set_bold(),
            note: Format::new().set_italic().set_font_color("#444444"),
        }
    }
}

/// The header row of a table at `row`.
fn headers(
    sheet: &mut Worksheet,
    row: u32,
    names: &[&str],
    formats: &Formats,
) -> Result<(), XlsxError> {
    for (col, name) in (0u16..).zip(names) {
        sheet.write_string_with_format(row, col, *name, &formats.header)?;
    }
    sheet.set_row_height(row, 32)?;
    sheet.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

fn amount(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: i128,
    format: &Format,
) -> Result<(), XlsxError> {
    sheet.write_with_format(row, col, Decimal::from(value), format)?;
    Ok(())
}

/// Writes a figures row from column `col`: invoices, invoiced, collected, outstanding, rate,
/// voided, cashless share.
fn figures_cells(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    f: &Figures,
    bold: bool,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let (amt, pct) = if bold {
        (&formats.amount_bold, &formats.percent_bold)
    } else {
        (&formats.amount, &formats.percent)
    };
    let values = [f.invoices, f.invoiced, f.collected, f.outstanding];
    for (offset, value) in (0u16..).zip(values) {
        amount(sheet, row, col + offset, i128::from(value), amt)?;
    }
    if let Some(rate) = ratio(f.collected, f.invoiced) {
        sheet.write_with_format(row, col + 4, rate, pct)?;
    }
    amount(sheet, row, col + 5, i128::from(f.voided), amt)?;
    if let Some(share) = ratio(f.collected, f.collected + f.voided) {
        sheet.write_with_format(row, col + 6, share, pct)?;
    }
    amount(sheet, row, col + 7, i128::from(f.voluntary), amt)?;
    Ok(())
}

const FIGURE_HEADERS: [&str; 8] = [
    "Số khoản thu",
    "Phải thu (đ)",
    "Đã thu (đ)",
    "Còn phải thu (đ)",
    "Tỷ lệ thu",
    "Đã huỷ (đ)",
    "Tỷ lệ không dùng tiền mặt (ước tính thấp nhất)",
    "Tự nguyện đã thu (đ)",
];

fn sheet_name(name: &str) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    Ok(sheet)
}

/// A stacked bar chart of collected and outstanding per row `first..=last` of `sheet_name`,
/// categories in column `category`, figures from column `col` (invoiced at `col + 1`).
fn collection_chart(
    name: &str,
    title: &str,
    first: u32,
    last: u32,
    category: u16,
    col: u16,
) -> Chart {
    let mut chart = Chart::new(ChartType::BarStacked);
    chart.title().set_name(title);
    for (offset, series_name, color) in
        [(2u16, "Đã thu", "#4472C4"), (3, "Còn phải thu", "#ED7D31")]
    {
        chart
            .add_series()
            .set_name(series_name)
            .set_categories((name, first, category, last, category))
            .set_values((name, first, col + offset, last, col + offset))
            .set_format(
                rust_xlsxwriter::ChartFormat::new()
                    .set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(color)),
            );
    }
    chart.y_axis().set_num_format("#,##0");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart
}

fn write_workbook(collected: &Collected, options: &ReportOptions) -> Result<(), XlsxError> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let total = collected.total();
    let period = format!(
        "{} – {}",
        options.from.format("%d/%m/%Y"),
        options.to.format("%d/%m/%Y")
    );

    // Summary.
    let mut sheet = sheet_name("Tổng hợp")?;
    sheet.write_string_with_format(0, 0, "BÁO CÁO THU HỌC PHÍ VÀ CÁC KHOẢN THU", &formats.title)?;
    sheet.write_string(1, 0, format!("Khoản thu có hạn nộp từ {period}"))?;
    sheet.write_string(
        2,
        0,
        format!(
            "Số liệu đến {} (giờ Việt Nam){}",
            time::local(options.now).format("%H:%M %d/%m/%Y"),
            options
                .school
                .as_ref()
                .map(|s| format!(", trường {s}"))
                .unwrap_or_default()
        ),
    )?;
    let rows: [(&str, Option<u64>, Option<Decimal>); 9] = [
        ("Số trường", Some(collected.schools.len() as u64), None),
        ("Số khoản thu", Some(total.invoices), None),
        ("Phải thu (đ)", Some(total.invoiced), None),
        ("Đã thu (đ)", Some(total.collected), None),
        ("Còn phải thu (đ)", Some(total.outstanding), None),
        ("Tỷ lệ thu", None, ratio(total.collected, total.invoiced)),
        ("Đã huỷ (đ)", Some(total.voided), None),
        (
            "Tỷ lệ không dùng tiền mặt (ước tính thấp nhất)",
            None,
            ratio(total.collected, total.collected + total.voided),
        ),
        ("Tự nguyện đã thu (đ)", Some(total.voluntary), None),
    ];
    let mut row = 4;
    for (label, value, share) in rows {
        sheet.write_string_with_format(row, 0, label, &formats.bold)?;
        if let Some(value) = value {
            amount(&mut sheet, row, 1, i128::from(value), &formats.amount)?;
        }
        if let Some(share) = share {
            sheet.write_with_format(row, 1, share, &formats.percent)?;
        }
        row += 1;
    }
    let refunds: u64 = collected.refunds.iter().map(|(_, a)| a).sum();
    sheet.write_string_with_format(row, 0, "Phải hoàn cho phụ huynh (đ)", &formats.bold)?;
    amount(&mut sheet, row, 1, i128::from(refunds), &formats.amount)?;
    row += 2;
    sheet.write_string_with_format(row, 0, "Cách tính", &formats.bold)?;
    let notes = [
        "Khoản thu trong kỳ: các khoản có hạn nộp trong kỳ (cả hai ngày đầu, cuối).",
        "Phải thu: số tiền bắt buộc của các khoản không bị huỷ (học phí, dịch vụ, thu hộ trừ miễn giảm, hỗ trợ).",
        "Đã thu: số tiền của các khoản đã nộp qua hocphi, nộp vào bất kỳ lúc nào đến thời điểm lập báo cáo.",
        "Còn phải thu: số tiền của các khoản chưa nộp. Tỷ lệ thu = Đã thu ÷ Phải thu.",
        "Khoản tự nguyện không tính vào Phải thu; Tự nguyện đã thu là số phụ huynh chọn nộp cùng các khoản trong kỳ.",
        "Mọi kênh của hocphi đều không dùng tiền mặt; khoản bị huỷ là khoản nhà trường đóng ngoài hocphi (thu tiền mặt hoặc không thu).",
        "Tỷ lệ không dùng tiền mặt = Đã thu ÷ (Đã thu + Đã huỷ), theo số tiền: ước tính thấp nhất.",
        "Kênh thanh toán: kênh của biên lai ghi khoản đó (biên lai lập từ một năm trước ngày đầu kỳ đến lúc lập báo cáo).",
        "Phải hoàn: giao dịch tạo trong kỳ có tiền phải trả lại (khoản đã được nộp bằng giao dịch khác, chuyển khoản sai số tiền).",
        "Miễn, giảm và hỗ trợ ghi số âm ở trang Theo khoản thu, để tổng cột bằng tổng các khoản thu.",
    ];
    for note in notes {
        row += 1;
        sheet.write_string_with_format(row, 0, note, &formats.note)?;
    }
    sheet.set_column_width(0, 48)?;
    sheet.set_column_width(1, 18)?;
    if total.invoiced > 0 {
        let mut chart = Chart::new(ChartType::Doughnut);
        chart.title().set_name("Đã thu và còn phải thu");
        chart
            .add_series()
            .set_categories(("Tổng hợp", 7, 0, 8, 0))
            .set_values(("Tổng hợp", 7, 1, 8, 1));
        chart.legend().set_position(ChartLegendPosition::Bottom);
        sheet.insert_chart(3, 3, &chart)?;
    }
    workbook.push_worksheet(sheet);

    // By commune/ward.
    let mut communes: BTreeMap<String, (u64, Figures)> = BTreeMap::new();
    for (school, figures) in &collected.schools {
        let name = school
            .commune
            .as_ref()
            .map_or_else(|| "(chưa ghi xã/phường)".to_owned(), |c| c.to_string());
        let entry = communes.entry(name).or_default();
        entry.0 += 1;
        entry.1.merge(figures);
    }
    let name = "Theo xã phường";
    let mut sheet = sheet_name(name)?;
    let mut names = vec!["Xã/phường", "Số trường"];
    names.extend(FIGURE_HEADERS);
    headers(&mut sheet, 0, &names, &formats)?;
    let mut row = 1;
    for (commune, (schools, figures)) in &communes {
        sheet.write_string(row, 0, commune)?;
        amount(&mut sheet, row, 1, i128::from(*schools), &formats.amount)?;
        figures_cells(&mut sheet, row, 2, figures, false, &formats)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "Toàn tỉnh", &formats.bold)?;
    amount(
        &mut sheet,
        row,
        1,
        collected.schools.len() as i128,
        &formats.amount_bold,
    )?;
    figures_cells(&mut sheet, row, 2, &total, true, &formats)?;
    sheet.set_column_width(0, 28)?;
    for col in 1..10 {
        sheet.set_column_width(col, 16)?;
    }
    if !communes.is_empty() && communes.len() <= 40 {
        let chart = collection_chart(name, "Thu theo xã/phường", 1, row - 1, 0, 2);
        sheet.insert_chart(row + 2, 0, &chart)?;
    }
    workbook.push_worksheet(sheet);

    // By school.
    let name = "Theo trường";
    let mut sheet = sheet_name(name)?;
    let mut names = vec!["Xã/phường", "Mã trường", "Tên trường"];
    names.extend(FIGURE_HEADERS);
    names.push("Phải hoàn (đ)");
    headers(&mut sheet, 0, &names, &formats)?;
    let mut refunds_of: HashMap<&SchoolId, u64> = HashMap::new();
    for (payment, owed) in &collected.refunds {
        *refunds_of.entry(&payment.school).or_default() += owed;
    }
    let mut row = 1;
    for (school, figures) in &collected.schools {
        sheet.write_string(
            row,
            0,
            school.commune.as_ref().map(|c| c.as_str()).unwrap_or(""),
        )?;
        sheet.write_string(row, 1, school.id.as_str())?;
        sheet.write_string(row, 2, school.name.as_str())?;
        figures_cells(&mut sheet, row, 3, figures, false, &formats)?;
        let owed = refunds_of.get(&school.id).copied().unwrap_or(0);
        amount(&mut sheet, row, 11, i128::from(owed), &formats.amount)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "Toàn tỉnh", &formats.bold)?;
    figures_cells(&mut sheet, row, 3, &total, true, &formats)?;
    amount(
        &mut sheet,
        row,
        11,
        i128::from(refunds),
        &formats.amount_bold,
    )?;
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 36)?;
    for col in 3..12 {
        sheet.set_column_width(col, 16)?;
    }
    if !collected.schools.is_empty() && collected.schools.len() <= 30 {
        let chart = collection_chart(name, "Thu theo trường", 1, row - 1, 2, 3);
        sheet.insert_chart(row + 2, 0, &chart)?;
    }
    workbook.push_worksheet(sheet);

    // By kind and item.
    let name = "Theo khoản thu";
    let mut sheet = sheet_name(name)?;
    headers(
        &mut sheet,
        0,
        &[
            "Loại khoản",
            "Mã khoản",
            "Nội dung",
            "Thu hộ cho",
            "Phải thu (đ)",
            "Đã thu (đ)",
            "Còn phải thu (đ)",
            "Tỷ lệ thu",
        ],
        &formats,
    )?;
    let mut row = 1;
    let mut by_kind: BTreeMap<u8, ItemFigures> = BTreeMap::new();
    for (key, figures) in &collected.by_item {
        let kind = KINDS[usize::from(key.kind)];
        sheet.write_string(row, 0, kind.label_vi())?;
        sheet.write_string(row, 1, &key.item)?;
        sheet.write_string(row, 2, &key.label)?;
        sheet.write_string(row, 3, &key.beneficiary)?;
        amount(&mut sheet, row, 4, figures.invoiced, &formats.amount)?;
        amount(&mut sheet, row, 5, figures.collected, &formats.amount)?;
        amount(&mut sheet, row, 6, figures.outstanding, &formats.amount)?;
        if kind != LineKind::Voluntary && figures.invoiced != 0 {
            let rate = Decimal::from(figures.collected) / Decimal::from(figures.invoiced);
            sheet.write_with_format(row, 7, rate.round_dp(4), &formats.percent)?;
        }
        let entry = by_kind.entry(key.kind).or_default();
        entry.invoiced += figures.invoiced;
        entry.collected += figures.collected;
        entry.outstanding += figures.outstanding;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "Theo loại khoản", &formats.bold)?;
    row += 1;
    let kinds_first = row;
    for (kind, figures) in &by_kind {
        sheet.write_string(row, 0, KINDS[usize::from(*kind)].label_vi())?;
        amount(&mut sheet, row, 4, figures.invoiced, &formats.amount)?;
        amount(&mut sheet, row, 5, figures.collected, &formats.amount)?;
        amount(&mut sheet, row, 6, figures.outstanding, &formats.amount)?;
        row += 1;
    }
    sheet.set_column_width(0, 18)?;
    sheet.set_column_width(1, 14)?;
    sheet.set_column_width(2, 36)?;
    sheet.set_column_width(3, 30)?;
    for col in 4..8 {
        sheet.set_column_width(col, 16)?;
    }
    let charges: Vec<u32> = (kinds_first..row)
        .zip(by_kind.iter())
        .filter(|(_, (_, f))| f.invoiced > 0)
        .map(|(r, _)| r)
        .collect();
    if charges.len() > 1 {
        let mut chart = Chart::new(ChartType::Pie);
        chart.title().set_name("Phải thu theo loại khoản");
        let first = charges[0];
        let last = charges[charges.len() - 1];
        chart
            .add_series()
            .set_categories((name, first, 0, last, 0))
            .set_values((name, first, 4, last, 4));
        chart.legend().set_position(ChartLegendPosition::Right);
        sheet.insert_chart(row + 2, 0, &chart)?;
    }
    workbook.push_worksheet(sheet);

    // Channels.
    let name = "Kênh thanh toán";
    let mut sheet = sheet_name(name)?;
    headers(
        &mut sheet,
        0,
        &[
            "Kênh",
            "Số khoản thu đã nộp",
            "Số tiền (đ)",
            "Tỷ lệ theo số tiền",
        ],
        &formats,
    )?;
    let paid_total: u64 = collected.channels.values().map(|(_, a)| a).sum();
    let mut row = 1;
    for (gateway, (count, sum)) in &collected.channels {
        sheet.write_string(
            row,
            0,
            channel_label(GatewayKind::ALL.get(*gateway).copied()),
        )?;
        amount(&mut sheet, row, 1, i128::from(*count), &formats.amount)?;
        amount(&mut sheet, row, 2, i128::from(*sum), &formats.amount)?;
        if let Some(share) = ratio(*sum, paid_total) {
            sheet.write_with_format(row, 3, share, &formats.percent)?;
        }
        row += 1;
    }
    let channels_last = row - 1;
    sheet.write_string_with_format(row, 0, "Cộng", &formats.bold)?;
    let counted: u64 = collected.channels.values().map(|(c, _)| c).sum();
    amount(
        &mut sheet,
        row,
        1,
        i128::from(counted),
        &formats.amount_bold,
    )?;
    amount(
        &mut sheet,
        row,
        2,
        i128::from(paid_total),
        &formats.amount_bold,
    )?;
    row += 2;
    sheet.write_string_with_format(
        row,
        0,
        "Tỷ lệ không dùng tiền mặt (ước tính thấp nhất)",
        &formats.bold,
    )?;
    if let Some(share) = ratio(total.collected, total.collected + total.voided) {
        sheet.write_with_format(row, 2, share, &formats.percent_bold)?;
    }
    row += 1;
    sheet.write_string_with_format(
        row,
        0,
        "Số tiền gồm khoản bắt buộc và khoản tự nguyện phụ huynh chọn nộp cùng.",
        &formats.note,
    )?;
    sheet.set_column_width(0, 46)?;
    for col in 1..4 {
        sheet.set_column_width(col, 18)?;
    }
    if channels_last >= 1 {
        let mut chart = Chart::new(ChartType::Pie);
        chart.title().set_name("Phụ huynh nộp qua kênh nào");
        chart
            .add_series()
            .set_categories((name, 1, 0, channels_last, 0))
            .set_values((name, 1, 2, channels_last, 2));
        chart.legend().set_position(ChartLegendPosition::Right);
        sheet.insert_chart(1, 5, &chart)?;
    }
    workbook.push_worksheet(sheet);

    // Refunds due.
    let mut sheet = sheet_name("Phải hoàn")?;
    headers(
        &mut sheet,
        0,
        &[
            "Ngày tạo",
            "Mã trường",
            "Mã học sinh",
            "Mã giao dịch",
            "Kênh",
            "Trạng thái",
            "Số tiền phải hoàn (đ)",
        ],
        &formats,
    )?;
    let mut row = 1;
    let moment = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    for (payment, owed) in &collected.refunds {
        sheet.write_datetime_with_format(row, 0, time::local(payment.created_at), &moment)?;
        sheet.write_string(row, 1, payment.school.as_str())?;
        sheet.write_string(row, 2, payment.student.as_str())?;
        sheet.write_string(row, 3, payment.reference.as_str())?;
        sheet.write_string(row, 4, channel_label(Some(payment.gateway)))?;
        sheet.write_string(
            row,
            5,
            match payment.status {
                PaymentStatus::RefundDue => "Khoản đã được nộp bằng giao dịch khác",
                PaymentStatus::Mismatched => "Chuyển khoản sai số tiền",
                _ => "Đã nộp; có chuyển khoản thừa",
            },
        )?;
        amount(&mut sheet, row, 6, i128::from(*owed), &formats.amount)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "Cộng", &formats.bold)?;
    amount(
        &mut sheet,
        row,
        6,
        i128::from(refunds),
        &formats.amount_bold,
    )?;
    sheet.set_column_width(0, 17)?;
    for col in 1..6 {
        sheet.set_column_width(col, 22)?;
    }
    sheet.set_column_width(5, 38)?;
    sheet.set_column_width(6, 20)?;
    workbook.push_worksheet(sheet);

    workbook.save(&options.out)
}
