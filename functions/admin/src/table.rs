//! Reading an operator's spreadsheet (CSV or XLSX) as a stream of rows.
//!
//! Owns the file formats' quirks: a UTF-8 BOM, the `,`/`;`/tab delimiter (sniffed from the header
//! line, or given by an Excel `sep=` line), Excel's cell types. A blocking thread parses the file
//! and hands rows over a bounded channel, so neither the raw text nor the whole sheet is ever held
//! at once. Invariants: the header is the first row a command recognises among the first few (titles
//! may sit above it); empty rows are skipped; a row's
//! `number` is the one a spreadsheet shows (1-based; Excel hides a `sep=` line, and so do we); number cells
//! arrive as their exact decimal text, never as floats. A reader that fails part-way (an error, or
//! a panic of the spreadsheet library on a malformed file) ends the rows with an error, never with
//! a silent end of file.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use chrono::{NaiveDate, NaiveDateTime};
use tokio::sync::mpsc;

/// One cell, typed as far as the file says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell {
    Empty,
    /// Text as written (a CSV cell is always text).
    Text(String),
    /// An XLSX number cell, as its shortest exact decimal text (`1500000`, `45945`, `1.5`).
    Number(String),
    /// An XLSX date cell.
    DateTime(NaiveDateTime),
    /// Anything else (a boolean, an error such as `#N/A`), as Excel shows it.
    Other(String),
}

impl Cell {
    /// True when the cell holds nothing but white space.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            Cell::Number(_) | Cell::DateTime(_) | Cell::Other(_) => false,
        }
    }

    /// The cell as text, trimmed: what an operator sees in it.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) | Cell::Number(t) | Cell::Other(t) => t.trim().to_owned(),
            Cell::DateTime(dt) => dt.format("%d/%m/%Y").to_string(),
        }
    }
}

/// A non-empty row of the file.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// The row number a spreadsheet shows.
    pub number: u64,
    pub cells: Vec<Cell>,
    /// How far into the file this row starts, in bytes (CSV only), for progress.
    pub offset: Option<u64>,
}

impl Row {
    /// The cell in column `index`, `Empty` past the row's end.
    pub(crate) fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&Cell::Empty)
    }
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("không mở được tệp {path}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("tệp {0}: chỉ đọc được tệp .csv hoặc .xlsx")]
    Unsupported(PathBuf),
    #[error(
        "dòng {row}: tệp không phải UTF-8; trong Excel hãy lưu lại bằng \"CSV UTF-8 (Comma delimited)\""
    )]
    NotUtf8 { row: u64 },
    #[error("tệp CSV không đọc được")]
    Csv(#[from] csv::Error),
    #[error("tệp Excel không đọc được")]
    Xlsx(#[from] XlsxError),
    #[error("tệp Excel không có trang tính nào")]
    NoSheet,
    #[error("tệp trống: không có dòng tiêu đề")]
    Empty,
    #[error("việc đọc tệp bị gián đoạn")]
    Interrupted,
    /// The reader gave up on the file's contents half-way (a malformed XLSX can make the
    /// spreadsheet library panic); the rows read so far are not the whole file.
    #[error("tệp {0} không đọc được hết: nội dung hỏng; hãy mở và lưu lại tệp bằng Excel")]
    Unreadable(PathBuf),
}

/// An open spreadsheet: its header row, then its rows on demand.
#[derive(Debug)]
pub(crate) struct Table {
    pub headers: Vec<String>,
    /// The file's size in bytes, for a progress bar over CSV offsets.
    pub size: Option<u64>,
    /// True for CSV (row offsets are known).
    pub has_offsets: bool,
    rows: mpsc::Receiver<Result<Row, TableError>>,
}

type Sender = mpsc::Sender<Result<Row, TableError>>;

/// How many rows from the top may be titles above the header row.
pub(crate) const HEADER_SEARCH: usize = 10;

enum Format {
    Csv,
    Xlsx,
}

fn format_of(path: &Path) -> Result<Format, TableError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv" | "txt") => Ok(Format::Csv),
        Some("xlsx" | "xlsm") => Ok(Format::Xlsx),
        _ => Err(TableError::Unsupported(path.to_owned())),
    }
}

impl Table {
    /// Opens a `.csv` or `.xlsx` file and reads its header row.
    pub(crate) async fn open(path: &Path) -> Result<Table, TableError> {
        let format = format_of(path)?;
        let size = std::fs::metadata(path)
            .map_err(|source| TableError::Open {
                path: path.to_owned(),
                source,
            })?
            .len();
        let (tx, mut rows) = mpsc::channel(512);
        let owned = path.to_owned();
        let has_offsets = matches!(format, Format::Csv);
        tokio::task::spawn_blocking(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| match format {
                Format::Csv => produce_csv(&owned, &tx),
                Format::Xlsx => produce_xlsx(&owned, &tx),
            }))
            .unwrap_or_else(|_| Err(TableError::Unreadable(owned.clone())));
            if let Err(err) = result {
                let _ = tx.blocking_send(Err(err));
            }
        });
        let header = rows.recv().await.ok_or(TableError::Empty)??;
        Ok(Table {
            headers: header.cells.iter().map(Cell::text).collect(),
            size: Some(size),
            has_offsets,
            rows,
        })
    }

    /// Finds the header row: the first of the first [`HEADER_SEARCH`] rows that `fits` accepts,
    /// since title rows above a table are common in exported reports. A row refused for a reason
    /// that only a header row can have (`is_header`: a column in thousands, say) is the answer;
    /// without either, the answer for the first row.
    pub(crate) async fn header<T, E>(
        &mut self,
        fits: impl Fn(&[String]) -> Result<T, E>,
        is_header: impl Fn(&E) -> bool,
    ) -> Result<Result<T, E>, TableError> {
        let first = fits(&self.headers);
        if first.as_ref().err().is_none_or(&is_header) {
            return Ok(first);
        }
        for _ in 1..HEADER_SEARCH {
            let Some(row) = self.next().await else {
                break;
            };
            let headers: Vec<String> = row?.cells.iter().map(Cell::text).collect();
            let answer = fits(&headers);
            if answer.as_ref().err().is_none_or(&is_header) {
                self.headers = headers;
                return Ok(answer);
            }
        }
        Ok(first)
    }

    /// The next non-empty row, `None` at the end of the file.
    pub(crate) async fn next(&mut self) -> Option<Result<Row, TableError>> {
        self.rows.recv().await
    }
}

fn send(tx: &Sender, row: Row) -> bool {
    if row.cells.iter().all(Cell::is_blank) {
        return true;
    }
    tx.blocking_send(Ok(row)).is_ok()
}

const SNIFF: usize = 64 * 1024;

fn produce_csv(path: &Path, tx: &Sender) -> Result<(), TableError> {
    let open_err = |source| TableError::Open {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(open_err)?;
    let mut prefix = Vec::with_capacity(SNIFF);
    (&mut file)
        .take(SNIFF as u64)
        .read_to_end(&mut prefix)
        .map_err(open_err)?;
    let mut start = if prefix.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let first_line = |from: usize| {
        let rest = &prefix[from..];
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        &rest[..end]
    };
    let line = first_line(start);
    let delimiter = match line.strip_prefix(b"sep=") {
        Some(&[d, ..]) => {
            start += line.len() + 1;
            d
        }
        Some(&[]) | None => sniff_delimiter(&prefix[start..]),
    };
    let body = Cursor::new(prefix.get(start..).unwrap_or_default().to_vec()).chain(file);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(BufReader::new(body));
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let position = record.position();
                let line = position.map_or(0, csv::Position::line);
                let row = Row {
                    number: line,
                    cells: record.iter().map(|c| Cell::Text(c.to_owned())).collect(),
                    offset: position.map(|p| p.byte()),
                };
                if !send(tx, row) {
                    return Ok(());
                }
            }
            Err(err) => {
                return Err(match err.kind() {
                    csv::ErrorKind::Utf8 { pos, .. } => TableError::NotUtf8 {
                        row: pos.as_ref().map_or(0, csv::Position::line),
                    },
                    _ => TableError::Csv(err),
                });
            }
        }
    }
}

/// The delimiter of a CSV file: whichever of `,`, `;` and tab occurs most, outside quotes, on
/// one of its first lines (titles above the header may have none).
fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut best = (b',', 0usize);
    for line in text.split(|b| *b == b'\n').take(HEADER_SEARCH + 1) {
        let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
        let mut quoted = false;
        for b in line {
            if *b == b'"' {
                quoted = !quoted;
            } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| d == b) {
                entry.1 += 1;
            }
        }
        for candidate in counts {
            if candidate.1 > best.1 {
                best = candidate;
            }
        }
    }
    best.0
}

fn produce_xlsx(path: &Path, tx: &Sender) -> Result<(), TableError> {
    let mut workbook: Xlsx<BufReader<File>> = calamine::open_workbook(path)?;
    let name = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(TableError::NoSheet)?;
    let mut cells = workbook.worksheet_cells_reader(&name)?;
    let mut current: Option<Row> = None;
    while let Some(cell) = cells.next_cell()? {
        let (r, c) = cell.get_position();
        let number = u64::from(r) + 1;
        if current.as_ref().is_some_and(|row| row.number != number)
            && let Some(done) = current.take()
            && !send(tx, done)
        {
            return Ok(());
        }
        let row = current.get_or_insert_with(|| Row {
            number,
            cells: Vec::new(),
            offset: None,
        });
        let column = usize::try_from(c).unwrap_or(usize::MAX);
        if column >= 16_384 {
            continue;
        }
        if row.cells.len() <= column {
            row.cells.resize(column + 1, Cell::Empty);
        }
        row.cells[column] = from_excel(cell.get_value());
    }
    if let Some(done) = current {
        send(tx, done);
    }
    Ok(())
}

fn from_excel(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::Int(i) => Cell::Number(i.to_string()),
        DataRef::Float(f) => Cell::Number(f.to_string()),
        DataRef::Bool(b) => Cell::Other(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(at) if dt.is_datetime() => Cell::DateTime(at),
            Some(_) | None => Cell::Number(dt.as_f64().to_string()),
        },
        DataRef::DateTimeIso(s) => {
            iso_datetime(s).map_or_else(|| Cell::Text(s.clone()), Cell::DateTime)
        }
        DataRef::DurationIso(s) => Cell::Other(s.clone()),
        DataRef::Error(e) => Cell::Other(e.to_string()),
    }
}

fn iso_datetime(raw: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_most_frequent_one_outside_quotes_on_one_line() {
        assert_eq!(sniff_delimiter(b"a,b,c"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b"\"a,b\";c;d"), b';');
        assert_eq!(sniff_delimiter(b"a\tb"), b'\t');
        assert_eq!(sniff_delimiter(b"single"), b',');
        assert_eq!(sniff_delimiter(b"TITLE\n\na;b;c\n1;2,5;3"), b';');
    }

    /// Found by the `import_xlsx` fuzz target (kept in `tests/fuzz/corpus/import_xlsx/`): a
    /// cell reference of many letters overflows calamine 0.38's column arithmetic, which panics
    /// under overflow checks. The rows must end with an error, not look like the end of the file.
    #[tokio::test]
    async fn a_reader_that_panics_part_way_ends_the_rows_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hong.xlsx");
        std::fs::write(&path, include_bytes!("../tests/data/column-overflow.xlsx")).unwrap();

        let opened = Table::open(&path).await;

        let ended = match opened {
            Err(err) => Some(err),
            Ok(mut table) => {
                let mut last = None;
                while let Some(row) = table.next().await {
                    if let Err(err) = row {
                        last = Some(err);
                    }
                }
                last
            }
        };
        let err = ended.expect("the rows end with an error");
        assert!(
            matches!(err, TableError::Unreadable(_) | TableError::Xlsx(_)),
            "{err:?}"
        );
    }

    #[test]
    fn excel_numbers_arrive_as_exact_decimal_text() {
        assert_eq!(
            from_excel(&DataRef::Float(1_500_000.0)),
            Cell::Number("1500000".into())
        );
        assert_eq!(from_excel(&DataRef::Float(1.5)), Cell::Number("1.5".into()));
        assert_eq!(from_excel(&DataRef::Int(42)), Cell::Number("42".into()));
    }
}
