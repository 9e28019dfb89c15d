//! `import`: invoices from a school's spreadsheet into the store.
//!
//! Owns the import file's meaning (see the crate docs for its columns) and the order of writes.
//! Invariants:
//! - every row is checked before anything is written, and every problem is reported with its row
//!   number and column; with any problem nothing is written unless `skip_invalid`, which drops
//!   each invoice that has a bad row, whole (a row without a valid invoice id is dropped alone);
//! - a full name is masked before it reaches the store; the full name and a new student's lookup
//!   code are written only to the codes file, which is created (never overwritten) and made
//!   durable before any student is stored, so a code can never exist only as a digest;
//! - a known student keeps their lookup digest; only new students get a code, whose digest is
//!   keyed with the province's lookup key;
//! - a student code is one student of the province: a file that puts a known student at another
//!   school is refused for that student (dry runs too), whose invoices count as bad, so two
//!   schools numbering students alike never mix their invoices or share a lookup code;
//! - invoices go through [`Store::upsert_invoice`], so re-importing changes nothing and a Paid,
//!   voided or held invoice is refused and reported, never altered;
//! - a dry run reads the store but writes nothing (not even the codes file);
//! - the file is streamed: only the parsed invoices and students are kept, not the raw rows.

pub mod catalogue;
mod rows;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use hocphi_domain::{
    Actor, Invoice, InvoiceId, InvoiceStatus, Label, LookupCode, LookupDigest, LookupKey, SchoolId,
    Store, StoreError, Student, StudentCode, UpsertOutcome,
};

use crate::progress::Progress;
use crate::sheet::{Create, SheetError, SheetWriter, Value};
use crate::table::TableError;
use crate::text::{group_digits, upsert_outcome};
use crate::time;
use rows::{ImportColumn, StudentDraft};

/// How many store calls an import keeps in flight (DynamoDB gains from it; SQLite serialises).
const IN_FLIGHT: usize = 8;

/// The most problems a report prints (all are kept in [`ImportReport::problems`]).
const PRINTED_PROBLEMS: usize = 500;

/// The headers of the codes file handed to the school.
pub const CODES_HEADERS: [&str; 5] = ["Mã trường", "Mã học sinh", "Họ và tên", "Lớp", "Mã tra cứu"];

/// What to import and how.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The `.csv` or `.xlsx` file.
    pub file: PathBuf,
    /// Check and compare with the store, write nothing.
    pub dry_run: bool,
    /// Import the valid invoices even when other rows are bad.
    pub skip_invalid: bool,
    /// Where to write new students' lookup codes; by default `ma-tra-cuu-<date>.csv` in
    /// `codes_dir` (with `-2`, `-3`, … when that name is taken).
    pub codes_out: Option<PathBuf>,
    /// The folder of the default codes file.
    pub codes_dir: PathBuf,
    /// Show progress bars (only ever on a terminal).
    pub progress: bool,
    /// The current time, recorded on changed invoices.
    pub now: DateTime<Utc>,
    /// The key of new students' lookup digests; needed only when the import writes new students.
    pub lookup_key: Option<LookupKey>,
    /// Who imports, recorded in the history of every student and invoice the import writes
    /// (an operator with the name of the file read).
    pub by: Actor,
}

impl ImportOptions {
    /// Who writes: an operator from the file this import reads.
    fn actor(&self) -> Actor {
        from_file(&self.by, &self.file)
    }
}

/// `by` as the writer of what `file` holds: an operator is named with the file's name.
pub(crate) fn from_file(by: &Actor, file: &std::path::Path) -> Actor {
    match by {
        Actor::Operator { name, .. } => Actor::Operator {
            name: name.clone(),
            file: file
                .file_name()
                .and_then(|file| Label::parse(&file.to_string_lossy()).ok()),
        },
        other => other.clone(),
    }
}

/// One problem in the file: where, and what is wrong, in Vietnamese.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The row number a spreadsheet shows (the header is row 1).
    pub row: u64,
    /// The column's canonical header, when one column is at fault.
    pub column: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "Dòng {}, cột \"{column}\": {}", self.row, self.message),
            None => write!(f, "Dòng {}: {}", self.row, self.message),
        }
    }
}

/// How many invoices each outcome had.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused_paid: usize,
    pub refused_cancelled: usize,
    pub refused_held: usize,
    pub refused_other_owner: usize,
}

impl Tally {
    fn add(&mut self, outcome: UpsertOutcome) {
        let slot = match outcome {
            UpsertOutcome::Created => &mut self.created,
            UpsertOutcome::Updated => &mut self.updated,
            UpsertOutcome::Unchanged => &mut self.unchanged,
            UpsertOutcome::RefusedPaid => &mut self.refused_paid,
            UpsertOutcome::RefusedCancelled => &mut self.refused_cancelled,
            UpsertOutcome::RefusedHeld => &mut self.refused_held,
            UpsertOutcome::RefusedOtherOwner => &mut self.refused_other_owner,
        };
        *slot += 1;
    }

    /// Invoices the store refused.
    pub fn refused(&self) -> usize {
        self.refused_paid + self.refused_cancelled + self.refused_held + self.refused_other_owner
    }
}

/// What an import found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub file: PathBuf,
    pub dry_run: bool,
    /// Data rows read (the header and empty rows not counted).
    pub rows: u64,
    /// Distinct invoice ids in the file.
    pub invoices_in_file: usize,
    /// Every problem, by row then column.
    pub problems: Vec<Problem>,
    /// Rows not imported: those of invoices with a problem, and those without a valid invoice id.
    pub rejected_rows: u64,
    /// Invoices with a problem (skipped whole).
    pub rejected_invoices: usize,
    /// True when the file had problems and `skip_invalid` was not given: nothing was written.
    pub refused: bool,
    /// What happened (or, in a dry run, would happen) to the valid invoices.
    pub invoices: Tally,
    /// The invoices the store refused, with the reason.
    pub refusals: Vec<(InvoiceId, UpsertOutcome)>,
    pub students_new: usize,
    pub students_updated: usize,
    pub students_unchanged: usize,
    /// The file holding the new students' lookup codes, when there were new students.
    pub codes_file: Option<PathBuf>,
}

impl ImportReport {
    /// True when an operator must look at something: rows skipped or invoices refused.
    pub fn needs_attention(&self) -> bool {
        !self.problems.is_empty() || self.invoices.refused() > 0
    }
}

/// Why an import stopped before it could report.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("tệp thiếu cột: {}", quoted(.0))]
    MissingColumns(Vec<&'static str>),
    #[error("cột \"{0}\" xuất hiện hai lần trong dòng tiêu đề")]
    DuplicateColumn(&'static str),
    #[error(
        "cột \"{0}\" ghi số tiền theo nghìn hoặc triệu đồng; hãy ghi đủ số đồng (1.500.000) và bỏ ghi chú đơn vị"
    )]
    ScaledColumn(String),
    #[error("tệp mã tra cứu {0} đã có; chọn tên khác (mã tra cứu đã phát không được ghi đè)")]
    CodesFileExists(PathBuf),
    #[error(transparent)]
    CodesFile(SheetError),
    #[error("không lấy được số ngẫu nhiên từ hệ điều hành: {0}")]
    Entropy(getrandom::Error),
    #[error(
        "chưa có khoá mã tra cứu để cấp mã cho học sinh mới: đặt HOCPHI_LOOKUP_KEY_ARN là tên \
         hoặc ARN của secret hocphi/<tỉnh>/lookup-key (xem infra/README.md)"
    )]
    NoLookupKey,
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
    #[error(
        "lỗi kho dữ liệu, việc nhập bị dở dang. Tệp mã tra cứu {} đã ghi. {}: học sinh chưa kịp \
         ghi sẽ được cấp mã mới trong một tệp khác; với mỗi học sinh, dùng mã ở tệp mới nhất có \
         tên em đó",
        .codes_file.display(),
        if *.named { "Chạy lại lệnh này với --codes-out là một tên tệp mới" } else { "Chạy lại đúng lệnh này" }
    )]
    Interrupted {
        codes_file: PathBuf,
        /// The codes file was named with `--codes-out`, so a re-run needs another name.
        named: bool,
        #[source]
        source: StoreError,
    },
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn predict(existing: Option<Invoice>, incoming: &Invoice) -> UpsertOutcome {
    match existing {
        None => UpsertOutcome::Created,
        Some(known) if !known.same_owner(incoming) => UpsertOutcome::RefusedOtherOwner,
        Some(known) => match known.status {
            InvoiceStatus::Paid => UpsertOutcome::RefusedPaid,
            InvoiceStatus::Cancelled => UpsertOutcome::RefusedCancelled,
            InvoiceStatus::Open if known.same_content(incoming) => UpsertOutcome::Unchanged,
            InvoiceStatus::Open => UpsertOutcome::Updated,
        },
    }
}

fn codes_path(options: &ImportOptions) -> PathBuf {
    if let Some(path) = &options.codes_out {
        return path.clone();
    }
    let base = format!("ma-tra-cuu-{}", time::today(options.now));
    let mut path = options.codes_dir.join(format!("{base}.csv"));
    let mut n = 2;
    while path.exists() {
        path = options.codes_dir.join(format!("{base}-{n}.csv"));
        n += 1;
    }
    path
}

/// A lookup code as printed for parents: `ABCD-2345` (the dash is ignored when typed).
fn printable(code: &LookupCode) -> String {
    let text = code.as_str();
    match (text.get(..4), text.get(4..)) {
        (Some(head), Some(tail)) if !tail.is_empty() => format!("{head}-{tail}"),
        _ => text.to_owned(),
    }
}

/// Writes the new students' codes, sorted by school, class and student code, and makes the file
/// durable.
fn write_codes(
    path: &Path,
    rows: &mut [(&StudentDraft, LookupCode)],
) -> Result<PathBuf, ImportError> {
    rows.sort_by(|(a, _), (b, _)| {
        (&a.school, a.class_name.as_str(), &a.code).cmp(&(
            &b.school,
            b.class_name.as_str(),
            &b.code,
        ))
    });
    let mut sheet = SheetWriter::create(path, "Mã tra cứu", &CODES_HEADERS, Create::New).map_err(
        |e| match e {
            SheetError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                ImportError::CodesFileExists(path.to_owned())
            }
            other => ImportError::CodesFile(other),
        },
    )?;
    for (student, code) in rows.iter() {
        sheet
            .row(&[
                Value::text(student.school.as_str()),
                Value::text(student.code.as_str()),
                Value::text(student.full_name.as_str()),
                Value::text(student.class_name.as_str()),
                Value::text(printable(code)),
            ])
            .map_err(ImportError::CodesFile)?;
    }
    sheet.finish().map_err(ImportError::CodesFile)
}

fn new_code() -> Result<LookupCode, ImportError> {
    let mut entropy = [0u8; 8];
    getrandom::fill(&mut entropy).map_err(ImportError::Entropy)?;
    Ok(LookupCode::generate(entropy))
}

/// The students of the file as the store knows them.
async fn known_students<S: Store>(
    store: &S,
    students: &[StudentDraft],
) -> Result<HashMap<StudentCode, Student>, StoreError> {
    let known: Vec<Option<Student>> = stream::iter(students.iter().map(|s| store.student(&s.code)))
        .buffered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(known
        .into_iter()
        .flatten()
        .map(|student| (student.code.clone(), student))
        .collect())
}

/// Refuses the students the store knows at another school: a problem on the row that first
/// names each, and their invoices out of `valid`, counted as rejected.
fn refuse_school_conflicts(
    known: &HashMap<StudentCode, Student>,
    students: &[StudentDraft],
    valid: &mut Vec<(Invoice, usize)>,
    report: &mut ImportReport,
) {
    let conflicting: Vec<bool> = students
        .iter()
        .map(|draft| {
            known
                .get(&draft.code)
                .is_some_and(|known| known.school != draft.school)
        })
        .collect();
    for (draft, _) in students.iter().zip(&conflicting).filter(|(_, c)| **c) {
        let known_school = known.get(&draft.code).map(|k| &k.school);
        report.problems.push(Problem {
            row: draft.first_row,
            column: Some(ImportColumn::School.name()),
            message: school_conflict(&draft.code, known_school, &draft.school),
        });
    }
    valid.retain(|(invoice, at)| {
        if conflicting[*at] {
            report.rejected_invoices += 1;
            report.rejected_rows += invoice.items().len() as u64;
        }
        !conflicting[*at]
    });
    report.problems.sort_by_key(|p| p.row);
}

fn school_conflict(student: &StudentCode, known: Option<&SchoolId>, file: &SchoolId) -> String {
    let known = known.map_or("", SchoolId::as_str);
    format!(
        "học sinh \"{student}\" đã thuộc trường \"{known}\" trong hệ thống, tệp này ghi trường \
         \"{file}\"; mỗi mã học sinh chỉ thuộc một trường, hãy dùng mã khác cho học sinh của \
         trường \"{file}\""
    )
}

/// Which students of the valid invoices are new, changed or unchanged in the store.
struct StudentPlan<'a> {
    /// Not in the store yet: they get a lookup code.
    fresh: Vec<&'a StudentDraft>,
    /// Known, with another name or class: rewritten with their own lookup digest.
    changed: Vec<Student>,
    unchanged: usize,
}

impl<'a> StudentPlan<'a> {
    /// Compares the students of the valid invoices with the store's (`known`), none of which
    /// is at another school.
    fn of(
        valid: &[(Invoice, usize)],
        students: &'a [StudentDraft],
        known: &HashMap<StudentCode, Student>,
    ) -> Self {
        let mut seen = vec![false; students.len()];
        let mut plan = Self {
            fresh: Vec::new(),
            changed: Vec::new(),
            unchanged: 0,
        };
        for (_, at) in valid {
            if std::mem::replace(&mut seen[*at], true) {
                continue;
            }
            let draft = &students[*at];
            match known.get(&draft.code) {
                None => plan.fresh.push(draft),
                Some(known)
                    if known.school == draft.school
                        && known.name == draft.name
                        && known.class_name == draft.class_name =>
                {
                    plan.unchanged += 1;
                }
                Some(known) => plan.changed.push(record(draft, known.lookup.clone())),
            }
        }
        plan
    }
}

fn record(draft: &StudentDraft, lookup: LookupDigest) -> Student {
    Student {
        code: draft.code.clone(),
        school: draft.school.clone(),
        name: draft.name.clone(),
        class_name: draft.class_name.clone(),
        lookup,
    }
}

/// Imports (or, in a dry run, checks) the invoices of `options.file`.
pub async fn import<S: Store>(
    store: &S,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    if let Some(path) = &options.codes_out
        && !options.dry_run
        && path.exists()
    {
        return Err(ImportError::CodesFileExists(path.clone()));
    }
    let checked = rows::read(store, &options.file, options.progress).await?;
    let mut report = ImportReport {
        file: options.file.clone(),
        dry_run: options.dry_run,
        rows: checked.rows,
        invoices_in_file: checked.invoices_in_file,
        problems: checked.problems,
        rejected_rows: checked.rejected_rows,
        rejected_invoices: checked.rejected_invoices,
        ..ImportReport::default()
    };
    let known = known_students(store, &checked.students).await?;
    let mut valid = checked.valid;
    refuse_school_conflicts(&known, &checked.students, &mut valid, &mut report);
    if !report.problems.is_empty() && !options.skip_invalid {
        report.refused = true;
        return Ok(report);
    }
    let plan = StudentPlan::of(&valid, &checked.students, &known);
    report.students_new = plan.fresh.len();
    report.students_updated = plan.changed.len();
    report.students_unchanged = plan.unchanged;
    if options.dry_run {
        predict_all(store, &valid, options.progress, &mut report).await?;
    } else {
        let mut writes = plan.changed;
        if !plan.fresh.is_empty() {
            let key = options
                .lookup_key
                .as_ref()
                .ok_or(ImportError::NoLookupKey)?;
            let mut codes = Vec::with_capacity(plan.fresh.len());
            for draft in plan.fresh {
                let code = new_code()?;
                writes.push(record(draft, code.digest(&draft.code, key)));
                codes.push((draft, code));
            }
            report.codes_file = Some(write_codes(&codes_path(options), &mut codes)?);
        }
        if let Err(source) = write_all(store, &writes, &valid, options, &mut report).await {
            return Err(match report.codes_file.take() {
                Some(codes_file) => ImportError::Interrupted {
                    codes_file,
                    named: options.codes_out.is_some(),
                    source,
                },
                None => source.into(),
            });
        }
    }
    report.refusals.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(report)
}

/// What each valid invoice's upsert would answer, read from the store.
async fn predict_all<S: Store>(
    store: &S,
    valid: &[(Invoice, usize)],
    progress: bool,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let bar = Progress::steps(progress, valid.len(), "So sánh");
    let mut predictions = stream::iter(valid)
        .map(|(invoice, _)| async move {
            let known = store.invoice(&invoice.id).await?;
            Ok::<_, StoreError>((invoice.id.clone(), predict(known, invoice)))
        })
        .buffer_unordered(IN_FLIGHT);
    while let Some(result) = predictions.next().await {
        let (id, outcome) = result?;
        report.note(id, outcome);
        bar.inc();
    }
    bar.finish();
    Ok(())
}

/// Stores the students, then upserts every valid invoice.
async fn write_all<S: Store>(
    store: &S,
    students: &[Student],
    valid: &[(Invoice, usize)],
    options: &ImportOptions,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let bar = Progress::steps(options.progress, students.len() + valid.len(), "Ghi");
    let (now, by) = (options.now, &options.actor());
    let mut stored = stream::iter(students)
        .map(|student| store.upsert_student(student, now, by))
        .buffer_unordered(IN_FLIGHT);
    while let Some(result) = stored.next().await {
        result?;
        bar.inc();
    }
    let mut upserts = stream::iter(valid)
        .map(|(invoice, _)| async move {
            let outcome = store.upsert_invoice(invoice, now, by).await?;
            Ok::<_, StoreError>((invoice.id.clone(), outcome))
        })
        .buffer_unordered(IN_FLIGHT);
    while let Some(result) = upserts.next().await {
        let (id, outcome) = result?;
        report.note(id, outcome);
        bar.inc();
    }
    bar.finish();
    Ok(())
}

impl ImportReport {
    fn note(&mut self, id: InvoiceId, outcome: UpsertOutcome) {
        self.invoices.add(outcome);
        match outcome {
            UpsertOutcome::Created | UpsertOutcome::Updated | UpsertOutcome::Unchanged => {}
            UpsertOutcome::RefusedPaid
            | UpsertOutcome::RefusedCancelled
            | UpsertOutcome::RefusedHeld
            | UpsertOutcome::RefusedOtherOwner => self.refusals.push((id, outcome)),
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |v: usize| group_digits(v as u64);
        writeln!(
            f,
            "Tệp {}: {} dòng, {} khoản thu.",
            self.file.display(),
            group_digits(self.rows),
            n(self.invoices_in_file)
        )?;
        if !self.problems.is_empty() {
            writeln!(f, "Có {} lỗi:", n(self.problems.len()))?;
            for problem in self.problems.iter().take(PRINTED_PROBLEMS) {
                writeln!(f, "  {problem}")?;
            }
            if self.problems.len() > PRINTED_PROBLEMS {
                writeln!(
                    f,
                    "  … và {} lỗi khác.",
                    n(self.problems.len() - PRINTED_PROBLEMS)
                )?;
            }
        }
        if self.refused {
            return writeln!(
                f,
                "Không ghi gì vì tệp có lỗi. Sửa các dòng trên rồi nhập lại, hoặc dùng --skip-invalid \
                 để bỏ qua các khoản thu có lỗi."
            );
        }
        if self.dry_run {
            writeln!(f, "Chạy thử (--dry-run): không ghi gì. Nếu nhập thật thì:")?;
        }
        let t = &self.invoices;
        writeln!(
            f,
            "Khoản thu: {} tạo mới, {} cập nhật, {} không đổi; từ chối {} (đã nộp {}, đã huỷ {}, đang thanh toán {}, mã của học sinh khác {}).",
            n(t.created),
            n(t.updated),
            n(t.unchanged),
            n(t.refused()),
            n(t.refused_paid),
            n(t.refused_cancelled),
            n(t.refused_held),
            n(t.refused_other_owner)
        )?;
        if self.rejected_rows > 0 {
            writeln!(
                f,
                "Bỏ qua vì có lỗi: {} khoản thu ({} dòng).",
                n(self.rejected_invoices),
                group_digits(self.rejected_rows)
            )?;
        }
        writeln!(
            f,
            "Học sinh: {} mới, {} cập nhật, {} không đổi.",
            n(self.students_new),
            n(self.students_updated),
            n(self.students_unchanged)
        )?;
        match &self.codes_file {
            Some(path) => writeln!(
                f,
                "Mã tra cứu của {} học sinh mới đã ghi vào {}: in lên giấy báo học phí. Mã chỉ có \
                 trong tệp này, hãy giữ kỹ.",
                n(self.students_new),
                path.display()
            )?,
            None if self.dry_run && self.students_new > 0 => writeln!(
                f,
                "Khi nhập thật, {} học sinh mới sẽ được cấp mã tra cứu.",
                n(self.students_new)
            )?,
            None => {}
        }
        if !self.refusals.is_empty() {
            writeln!(f, "Khoản thu bị từ chối:")?;
            for (id, outcome) in &self.refusals {
                writeln!(f, "  {id}: {}", upsert_outcome(*outcome))?;
            }
        }
        Ok(())
    }
}
