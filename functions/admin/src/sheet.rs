//! Writing a report for spreadsheets: CSV (UTF-8 with a BOM, so Excel shows Vietnamese
//! correctly) or XLSX, chosen by the file's extension.
//!
//! Invariants: the header row comes first; amounts are whole numbers of đồng (plain digits in CSV,
//! number cells formatted `#,##0` in XLSX), never floats in this crate; dates are `dd/mm/yyyy`
//! (with `HH:MM` for moments); a totals row is bold in XLSX. A file this module creates is
//! readable and writable by its owner only (reports carry students' names, the codes file their
//! lookup codes). A CSV text cell that a spreadsheet would run as a formula (it starts with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`, as OWASP's "CSV
//! Injection" page advises; numbers are never prefixed, and the only negative amounts are
//! deductions (a subsidy or reduction taken off, [`Value::Deduction`]). XLSX cells are typed (a text cell is never a formula).

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

/// One cell of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Empty,
    Text(String),
    /// Whole đồng (or any count shown as a number).
    Amount(u64),
    /// Whole đồng taken off (a subsidy, a reduction): written as a negative number.
    Deduction(u64),
    Date(NaiveDate),
    /// A Vietnamese wall-clock time.
    Moment(NaiveDateTime),
}

impl Value {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("không ghi được tệp {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("không ghi được tệp CSV {path}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("không ghi được tệp Excel {path}")]
    Xlsx { path: PathBuf, source: XlsxError },
    #[error("tệp {0}: chỉ ghi được tệp .csv hoặc .xlsx")]
    Unsupported(PathBuf),
}

/// A report being written.
#[derive(Debug)]
pub struct SheetWriter {
    path: PathBuf,
    mode: Create,
    kind: Kind,
}

enum Kind {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx(Box<Xlsx>),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Csv(_) => f.write_str("Csv"),
            Kind::Xlsx(x) => write!(f, "Xlsx(row {})", x.row),
        }
    }
}

struct Xlsx {
    sheet: Worksheet,
    row: u32,
    widths: Vec<usize>,
    bold: Format,
    amount: Format,
    amount_bold: Format,
    date: Format,
    moment: Format,
}

/// How a new file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Create {
    /// Replace a file of the same name.
    Overwrite,
    /// Refuse if the file exists (files that must never be lost, such as lookup codes).
    New,
}

impl SheetWriter {
    /// Starts a `.csv` or `.xlsx` report at `path` with its header row.
    pub fn create(
        path: &Path,
        sheet_name: &str,
        headers: &[&str],
        mode: Create,
    ) -> Result<Self, SheetError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let io = |source| SheetError::Io {
            path: path.to_owned(),
            source,
        };
        let kind = match ext.as_deref() {
            Some("csv") => {
                let file = open(path, mode).map_err(io)?;
                let mut out = BufWriter::new(file);
                out.write_all("\u{feff}".as_bytes()).map_err(io)?;
                Kind::Csv(Box::new(csv::Writer::from_writer(out)))
            }
            Some("xlsx") => {
                if mode == Create::New && path.exists() {
                    return Err(io(std::io::ErrorKind::AlreadyExists.into()));
                }
                let mut sheet = Worksheet::new();
                sheet
                    .set_name(sheet_name)
                    .map_err(|source| SheetError::Xlsx {
                        path: path.to_owned(),
                        source,
                    })?;
                Kind::Xlsx(Box::new(Xlsx {
                    sheet,
                    row: 0,
                    widths: Vec::new(),
                    bold: Format::new().set_bold(),
                    amount: Format::new().set_num_format("#,##0"),
                    amount_bold: Format::new().set_num_format("#,##0").set_bold(),
                    date: Format::new().set_num_format("dd/mm/yyyy"),
                    moment: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
                }))
            }
            _ => return Err(SheetError::Unsupported(path.to_owned())),
        };
        let mut writer = Self {
            path: path.to_owned(),
            mode,
            kind,
        };
        let header: Vec<Value> = headers.iter().map(|h| Value::text(*h)).collect();
        writer.write(&header, true)?;
        if let Kind::Xlsx(x) = &mut writer.kind {
            x.sheet
                .set_freeze_panes(1, 0)
                .map_err(|source| SheetError::Xlsx {
                    path: path.to_owned(),
                    source,
                })?;
        }
        Ok(writer)
    }

    /// Appends a row.
    pub fn row(&mut self, values: &[Value]) -> Result<(), SheetError> {
        self.write(values, false)
    }

    /// Appends a totals row (bold in XLSX).
    pub fn total_row(&mut self, values: &[Value]) -> Result<(), SheetError> {
        self.write(values, true)
    }

    fn write(&mut self, values: &[Value], bold: bool) -> Result<(), SheetError> {
        let path = &self.path;
        match &mut self.kind {
            Kind::Csv(out) => out
                .write_record(values.iter().map(csv_cell))
                .map_err(|source| SheetError::Csv {
                    path: path.clone(),
                    source,
                }),
            Kind::Xlsx(x) => x.write(values, bold).map_err(|source| SheetError::Xlsx {
                path: path.clone(),
                source,
            }),
        }
    }

    /// Completes the file and makes it durable.
    pub fn finish(self) -> Result<PathBuf, SheetError> {
        let path = self.path;
        let io = |source| SheetError::Io {
            path: path.clone(),
            source,
        };
        match self.kind {
            Kind::Csv(out) => {
                let file = out
                    .into_inner()
                    .map_err(|e| io(e.error().kind().into()))?
                    .into_inner()
                    .map_err(|e| io(e.into_error()))?;
                file.sync_all().map_err(io)?;
            }
            Kind::Xlsx(x) => {
                let mut x = *x;
                for (col, width) in x.widths.iter().enumerate() {
                    let col = u16::try_from(col).unwrap_or(u16::MAX);
                    let width = u32::try_from((*width).clamp(8, 60)).unwrap_or(60);
                    let _ = x.sheet.set_column_width(col, width + 2);
                }
                let mut workbook = Workbook::new();
                workbook.push_worksheet(x.sheet);
                let mut out = BufWriter::new(open(&path, self.mode).map_err(io)?);
                workbook
                    .save_to_writer(&mut out)
                    .map_err(|source| SheetError::Xlsx {
                        path: path.clone(),
                        source,
                    })?;
                out.into_inner()
                    .map_err(|e| io(e.into_error()))?
                    .sync_all()
                    .map_err(io)?;
            }
        }
        Ok(path)
    }
}

/// Opens a report's file for writing; a file it creates is readable and writable by its owner
/// only.
fn open(path: &Path, mode: Create) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    match mode {
        Create::Overwrite => options.create(true).truncate(true),
        Create::New => options.create_new(true),
    };
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A CSV text cell a spreadsheet shows as text: a leading `'` before `=`, `+`, `-`, `@`, a tab or
/// a carriage return (<https://owasp.org/www-community/attacks/CSV_Injection>).
fn csv_safe(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A cell of a CSV report.
fn csv_cell(value: &Value) -> String {
    match value {
        Value::Text(t) => csv_safe(t).into_owned(),
        Value::Empty
        | Value::Amount(_)
        | Value::Deduction(_)
        | Value::Date(_)
        | Value::Moment(_) => csv_text(value),
    }
}

/// A cell as it reads.
fn csv_text(value: &Value) -> String {
    match value {
        Value::Empty => String::new(),
        Value::Text(t) => t.clone(),
        Value::Amount(n) => n.to_string(),
        Value::Deduction(n) => format!("-{n}"),
        Value::Date(d) => d.format("%d/%m/%Y").to_string(),
        Value::Moment(at) => at.format("%d/%m/%Y %H:%M").to_string(),
    }
}

impl Xlsx {
    fn write(&mut self, values: &[Value], bold: bool) -> Result<(), XlsxError> {
        for (i, value) in values.iter().enumerate() {
            let col = u16::try_from(i).unwrap_or(u16::MAX);
            let shown = csv_text(value).chars().count();
            if self.widths.len() <= i {
                self.widths.resize(i + 1, 0);
            }
            self.widths[i] = self.widths[i].max(shown);
            let (row, sheet) = (self.row, &mut self.sheet);
            match value {
                Value::Empty => {}
                Value::Text(t) if bold => {
                    sheet.write_string_with_format(row, col, t, &self.bold)?;
                }
                Value::Text(t) => {
                    sheet.write_string(row, col, t)?;
                }
                Value::Amount(n) => {
                    let format = if bold {
                        &self.amount_bold
                    } else {
                        &self.amount
                    };
                    sheet.write_with_format(row, col, Decimal::from(*n), format)?;
                }
                Value::Deduction(n) => {
                    let format = if bold {
                        &self.amount_bold
                    } else {
                        &self.amount
                    };
                    sheet.write_with_format(row, col, -Decimal::from(*n), format)?;
                }
                Value::Date(d) => {
                    sheet.write_datetime_with_format(row, col, d, &self.date)?;
                }
                Value::Moment(at) => {
                    sheet.write_datetime_with_format(row, col, at, &self.moment)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_a_spreadsheet_would_run_is_prefixed_and_numbers_are_not() {
        let cases = [
            ("=1+2", "'=1+2"),
            ("+84 90 000 0000", "'+84 90 000 0000"),
            ("-Giảm trừ", "'-Giảm trừ"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tTab", "'\tTab"),
            ("\rCR", "'\rCR"),
            ("Học phí = 1.500.000", "Học phí = 1.500.000"),
            ("'quoted", "'quoted"),
            ("", ""),
        ];
        for (text, written) in cases {
            assert_eq!(csv_cell(&Value::text(text)), written, "{text:?}");
        }
        assert_eq!(csv_cell(&Value::Amount(1_500_000)), "1500000");
        assert_eq!(csv_cell(&Value::Deduction(300_000)), "-300000");
        assert_eq!(csv_cell(&Value::Empty), "");
    }
}
