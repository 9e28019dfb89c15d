//! `catalogue`: the province's catalogue of collection items, imported from its own spreadsheet
//! and listed; and the catalogue as the invoice import reads it.
//!
//! Invariants: every row is checked (code, name, a charge kind, unit, cap, a beneficiary exactly
//! for items collected on behalf, a known school) and every problem reported with its row and
//! column before anything is written; with any problem nothing is written; an entry is keyed by
//! its code and school (none: the province's), once per file; entries go through
//! [`Store::upsert_catalogue_item`], so importing the same file again changes nothing. A line
//! of an invoice finds a school's own entry before the province's.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use hocphi_domain::{
    Actor, CatalogueError, CatalogueItem, CatalogueOutcome, ItemCode, Label, LineKind, Money,
    SchoolId, Store, StoreError, Unit,
};

use super::{ImportError, Problem};
use crate::header::{ColumnSpec, HeaderProblem, resolve};
use crate::progress::Progress;
use crate::table::{Cell, Table};
use crate::text::{group_digits, text_problem};
use crate::values;

/// The columns of the catalogue file, in the order of [`COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Code,
    Name,
    Kind,
    Unit,
    Cap,
    Beneficiary,
    School,
}

const COLUMNS: [ColumnSpec; 7] = [
    ColumnSpec::required("Mã khoản", &["ma_khoan", "Mã danh mục"]),
    ColumnSpec::required("Tên khoản", &["ten_khoan", "Tên khoản thu"]),
    ColumnSpec::required("Loại", &["loai", "Loại khoản", "Loại khoản thu"]),
    ColumnSpec::required("Đơn vị", &["don_vi", "Đơn vị tính", "ĐVT"]),
    ColumnSpec::optional("Mức trần", &["muc_tran", "Mức thu tối đa", "Mức tối đa"]).money(),
    ColumnSpec::optional("Đơn vị thu hộ", &["don_vi_thu_ho", "Thu hộ cho"]),
    ColumnSpec::optional("Mã trường", &["truong", "ma_truong", "Trường"]),
];

impl Column {
    fn name(self) -> &'static str {
        COLUMNS[self as usize].name
    }
}

/// The kinds an accountant may write, for messages.
pub(crate) const KINDS_VI: &str = "học phí, dịch vụ, thu hộ hoặc tự nguyện";

/// The units an accountant may write, for messages.
pub(crate) const UNITS_VI: &str = "tháng, ngày, học kỳ, năm hoặc cái (bộ, lần)";

/// A cap as an accountant reads it: `25.000 ₫/ngày`.
pub(crate) fn per_unit(amount: Money, unit: Unit) -> String {
    format!("{amount}/{}", unit.label_vi())
}

pub(crate) fn code_problem(cell: &Cell) -> String {
    if cell.is_blank() {
        return values::EMPTY.to_owned();
    }
    format!(
        "mã khoản chỉ gồm chữ không dấu, số, - và _, tối đa 24 ký tự, nhận được {}",
        values::received(cell)
    )
}

pub(crate) fn unit_problem(cell: &Cell) -> String {
    format!(
        "đơn vị viết là {UNITS_VI}, nhận được {}",
        values::received(cell)
    )
}

/// The catalogue as the invoice import looks items up in it.
#[derive(Debug, Default)]
pub(crate) struct Catalogue {
    by_code: HashMap<ItemCode, Vec<CatalogueItem>>,
}

impl Catalogue {
    pub(crate) fn new(entries: Vec<CatalogueItem>) -> Self {
        let mut by_code: HashMap<ItemCode, Vec<CatalogueItem>> = HashMap::new();
        for entry in entries {
            by_code.entry(entry.code.clone()).or_default().push(entry);
        }
        Self { by_code }
    }

    /// The entry a line of `school` naming `code` bills: the school's own, else the province's.
    pub(crate) fn find(
        &self,
        code: &ItemCode,
        school: Option<&SchoolId>,
    ) -> Option<&CatalogueItem> {
        let entries = self.by_code.get(code)?;
        entries
            .iter()
            .find(|e| e.school.is_some() && e.school.as_ref() == school)
            .or_else(|| entries.iter().find(|e| e.school.is_none()))
    }
}

/// What to import and how.
#[derive(Clone, Debug)]
pub struct CatalogueOptions {
    /// The `.csv` or `.xlsx` file.
    pub file: PathBuf,
    /// Check and compare with the store, write nothing.
    pub dry_run: bool,
    /// Show progress bars (only ever on a terminal).
    pub progress: bool,
    /// When the entries are written (their events' time).
    pub now: DateTime<Utc>,
    /// Who imports, with the file's name: the events of the entries written name them.
    pub by: Actor,
}

/// What a catalogue import found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogueReport {
    pub file: PathBuf,
    pub dry_run: bool,
    /// Data rows read.
    pub rows: u64,
    /// Every problem, by row then column.
    pub problems: Vec<Problem>,
    /// True when the file had problems: nothing was written.
    pub refused: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl CatalogueReport {
    fn note(&mut self, outcome: CatalogueOutcome) {
        match outcome {
            CatalogueOutcome::Created => self.created += 1,
            CatalogueOutcome::Updated => self.updated += 1,
            CatalogueOutcome::Unchanged => self.unchanged += 1,
        }
    }
}

impl fmt::Display for CatalogueReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Tệp {}: {} dòng.",
            self.file.display(),
            group_digits(self.rows)
        )?;
        if !self.problems.is_empty() {
            writeln!(f, "Có {} lỗi:", group_digits(self.problems.len() as u64))?;
            for problem in &self.problems {
                writeln!(f, "  {problem}")?;
            }
        }
        if self.refused {
            return writeln!(
                f,
                "Không ghi gì vì tệp có lỗi. Sửa các dòng trên rồi nhập lại."
            );
        }
        if self.dry_run {
            writeln!(f, "Chạy thử (--dry-run): không ghi gì. Nếu nhập thật thì:")?;
        }
        writeln!(
            f,
            "Danh mục: {} khoản tạo mới, {} cập nhật, {} không đổi.",
            self.created, self.updated, self.unchanged
        )
    }
}

/// One row's entry, or the problems found in it.
fn entry(
    cell: impl Fn(Column) -> Cell,
    problems: &mut Vec<(Column, String)>,
) -> Option<CatalogueItem> {
    let code = ItemCode::parse(&cell(Column::Code).text())
        .map_err(|_| problems.push((Column::Code, code_problem(&cell(Column::Code)))))
        .ok();
    let name = Label::parse(&cell(Column::Name).text())
        .map_err(|e| problems.push((Column::Name, text_problem(&e, "tên khoản"))))
        .ok();
    let kind_cell = cell(Column::Kind);
    let kind = match LineKind::parse(&kind_cell.text()) {
        _ if kind_cell.is_blank() => {
            problems.push((Column::Kind, values::EMPTY.to_owned()));
            None
        }
        Some(kind) if kind.is_adjustment() => {
            problems.push((
                Column::Kind,
                format!(
                    "\"{}\" không phải khoản thu trong danh mục mà là dòng điều chỉnh của khoản \
                     thu (ghi trong tệp khoản thu); danh mục chỉ có {KINDS_VI}",
                    kind.label_vi()
                ),
            ));
            None
        }
        Some(kind) => Some(kind),
        None => {
            problems.push((
                Column::Kind,
                format!(
                    "loại khoản viết là {KINDS_VI}, nhận được {}",
                    values::received(&kind_cell)
                ),
            ));
            None
        }
    };
    let unit_cell = cell(Column::Unit);
    let unit = if unit_cell.is_blank() {
        problems.push((Column::Unit, values::EMPTY.to_owned()));
        None
    } else {
        Unit::parse(&unit_cell.text()).or_else(|| {
            problems.push((Column::Unit, unit_problem(&unit_cell)));
            None
        })
    };
    let cap_cell = cell(Column::Cap);
    let cap = if cap_cell.is_blank() {
        None
    } else {
        values::amount(&cap_cell)
            .map_err(|m| problems.push((Column::Cap, m)))
            .ok()
    };
    let beneficiary_cell = cell(Column::Beneficiary);
    let beneficiary = if beneficiary_cell.is_blank() {
        None
    } else {
        Label::parse(&beneficiary_cell.text())
            .map_err(|e| problems.push((Column::Beneficiary, text_problem(&e, "đơn vị thu hộ"))))
            .ok()
    };
    let school_cell = cell(Column::School);
    let school = if school_cell.is_blank() {
        None
    } else {
        SchoolId::parse(&school_cell.text())
            .map_err(|_| {
                problems.push((
                    Column::School,
                    format!(
                        "mã trường chỉ gồm chữ không dấu, số, - và _, 2–32 ký tự, nhận được {}",
                        values::received(&school_cell)
                    ),
                ));
            })
            .ok()
    };
    let invalid_school = !school_cell.is_blank() && school.is_none();
    let invalid_beneficiary = !beneficiary_cell.is_blank() && beneficiary.is_none();
    let (Some(code), Some(name), Some(kind), Some(unit)) = (code, name, kind, unit) else {
        return None;
    };
    if invalid_school || invalid_beneficiary || (!cap_cell.is_blank() && cap.is_none()) {
        return None;
    }
    let item = CatalogueItem {
        code,
        name,
        kind,
        unit,
        cap,
        beneficiary,
        school,
    };
    match item.check() {
        Ok(()) => Some(item),
        Err(CatalogueError::NoBeneficiary) => {
            problems.push((
                Column::Beneficiary,
                "khoản thu hộ phải ghi đơn vị thu hộ (ví dụ: Bảo hiểm xã hội tỉnh Gia Lai)"
                    .to_owned(),
            ));
            None
        }
        Err(CatalogueError::UnexpectedBeneficiary) => {
            problems.push((
                Column::Beneficiary,
                format!(
                    "chỉ khoản thu hộ mới ghi đơn vị thu hộ; khoản này là \"{}\"",
                    item.kind.label_vi()
                ),
            ));
            None
        }
        Err(CatalogueError::Adjustment) => None,
    }
}

/// Reads and checks the catalogue file, then (unless a dry run, or the file has problems)
/// writes every entry.
pub async fn import<S: Store>(
    store: &S,
    options: &CatalogueOptions,
) -> Result<CatalogueReport, ImportError> {
    let mut table = Table::open(&options.file).await?;
    let columns = table
        .header(
            |headers| resolve(headers, &COLUMNS),
            |problem| matches!(problem, HeaderProblem::Scaled(_)),
        )
        .await?
        .map_err(|p| match p {
            HeaderProblem::Missing(names) => ImportError::MissingColumns(names),
            HeaderProblem::Duplicate(name) => ImportError::DuplicateColumn(name),
            HeaderProblem::Scaled(header) => ImportError::ScaledColumn(header),
        })?;
    let mut report = CatalogueReport {
        file: options.file.clone(),
        dry_run: options.dry_run,
        ..CatalogueReport::default()
    };
    let bar = Progress::reading(
        options.progress,
        table.has_offsets.then_some(table.size).flatten(),
    );
    let mut entries: Vec<CatalogueItem> = Vec::new();
    let mut seen: HashMap<(ItemCode, Option<SchoolId>), u64> = HashMap::new();
    let mut schools: HashMap<SchoolId, bool> = HashMap::new();
    let mut found: Vec<(u64, Column, String)> = Vec::new();
    while let Some(row) = table.next().await {
        let row = row?;
        report.rows += 1;
        bar.at(row.offset);
        let cell = |col: Column| match columns[col as usize] {
            Some(index) => row.cell(index).clone(),
            None => Cell::Empty,
        };
        let mut problems = Vec::new();
        let parsed = entry(cell, &mut problems);
        if let Some(item) = parsed {
            if let Some(school) = &item.school {
                let known = match schools.get(school) {
                    Some(known) => *known,
                    None => {
                        let known = store.school(school).await?.is_some();
                        schools.insert(school.clone(), known);
                        known
                    }
                };
                if !known {
                    problems.push((
                        Column::School,
                        format!(
                            "trường \"{school}\" chưa có trong hệ thống; thêm bằng lệnh \
                             \"hocphi-admin school add\""
                        ),
                    ));
                }
            }
            let key = (item.code.clone(), item.school.clone());
            if let Some(first) = seen.get(&key) {
                let whose = item
                    .school
                    .as_ref()
                    .map_or_else(String::new, |s| format!(" của trường \"{s}\""));
                problems.push((
                    Column::Code,
                    format!("khoản \"{}\"{whose} đã có ở dòng {first}", item.code),
                ));
            } else {
                seen.insert(key, row.number);
            }
            if problems.is_empty() {
                entries.push(item);
            }
        }
        found.extend(problems.into_iter().map(|(c, m)| (row.number, c, m)));
    }
    bar.finish();
    found.sort_by_key(|p| (p.0, p.1));
    report.problems = found
        .into_iter()
        .map(|(row, column, message)| Problem {
            row,
            column: Some(column.name()),
            message,
        })
        .collect();
    if !report.problems.is_empty() {
        report.refused = true;
        return Ok(report);
    }
    if options.dry_run {
        let stored: HashMap<(ItemCode, Option<SchoolId>), CatalogueItem> = store
            .catalogue()
            .await?
            .into_iter()
            .map(|item| ((item.code.clone(), item.school.clone()), item))
            .collect();
        for item in entries {
            report.note(
                match stored.get(&(item.code.clone(), item.school.clone())) {
                    None => CatalogueOutcome::Created,
                    Some(known) if *known == item => CatalogueOutcome::Unchanged,
                    Some(_) => CatalogueOutcome::Updated,
                },
            );
        }
        return Ok(report);
    }
    let by = super::from_file(&options.by, &options.file);
    let bar = Progress::steps(options.progress, entries.len(), "Ghi");
    for item in &entries {
        report.note(store.upsert_catalogue_item(item, options.now, &by).await?);
        bar.inc();
    }
    bar.finish();
    Ok(report)
}

/// The catalogue as an operator reads it, one entry a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueListing(pub Vec<CatalogueItem>);

/// Every entry of the store's catalogue.
pub async fn list<S: Store>(store: &S) -> Result<CatalogueListing, StoreError> {
    Ok(CatalogueListing(store.catalogue().await?))
}

impl fmt::Display for CatalogueListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return writeln!(
                f,
                "Danh mục các khoản thu đang trống; nhập bằng lệnh \"hocphi-admin catalogue import <tệp>\"."
            );
        }
        writeln!(f, "Danh mục các khoản thu ({} khoản):", self.0.len())?;
        for item in &self.0 {
            let cap = item
                .cap
                .map_or_else(|| "không có".to_owned(), |cap| per_unit(cap, item.unit));
            write!(
                f,
                "  {}: {} | {} | theo {} | mức trần: {cap}",
                item.code,
                item.name,
                item.kind.label_vi(),
                item.unit.label_vi()
            )?;
            if let Some(beneficiary) = &item.beneficiary {
                write!(f, " | thu hộ cho: {beneficiary}")?;
            }
            match &item.school {
                Some(school) => writeln!(f, " | riêng trường {school}")?,
                None => writeln!(f, " | toàn tỉnh")?,
            }
        }
        Ok(())
    }
}
