//! Reading the import file into checked invoices and students.
//!
//! Owns the meaning of each column and the rules that span rows: the rows of one invoice agree on
//! school, student, school year, term, due date and stated total, and never repeat an item; a
//! student has one school, name and class in a file; a school must already exist. A line naming
//! a catalogue item takes the item's kind, unit and beneficiary (a file that says otherwise is
//! refused) and stays within its cap; quantity × unit price is the amount; an adjustment line
//! keeps a neutral label, never its reason; a file without the optional columns reads as tuition
//! lines, as before they existed. Invariant: every problem is recorded with its row and column,
//! and an invoice with any problem is marked bad whole; only the parsed values are kept, never
//! the raw rows.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use hocphi_domain::{
    CatalogueItem, IdError, Invoice, InvoiceDraft, InvoiceError, InvoiceId, ItemCode, Label,
    LineItem, LineKind, MaskedName, Money, Pricing, SchoolId, SchoolYear, Store, StoreError,
    StudentCode, Unit,
};

use super::catalogue::{Catalogue, KINDS_VI, code_problem, per_unit, unit_problem};
use super::{ImportError, Problem};
use crate::header::{ColumnSpec, HeaderProblem, resolve};
use crate::progress::Progress;
use crate::table::{Cell, Row, Table};
use crate::text::{group_digits, text_problem};
use crate::values;

/// The columns of the import file, in the order of [`COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ImportColumn {
    School,
    Student,
    Name,
    Class,
    Year,
    Term,
    Invoice,
    Description,
    Amount,
    Due,
    Total,
    Kind,
    Item,
    Quantity,
    Unit,
    UnitPrice,
    Beneficiary,
}

const COLUMNS: [ColumnSpec; 17] = [
    ColumnSpec::required("Mã trường", &["Mã trường học"]),
    ColumnSpec::required("Mã học sinh", &["Mã HS"]),
    ColumnSpec::required(
        "Họ và tên",
        &["Họ tên", "Họ và tên học sinh", "Tên học sinh"],
    ),
    ColumnSpec::required("Lớp", &["Tên lớp"]),
    ColumnSpec::required("Năm học", &[]),
    ColumnSpec::required("Học kỳ", &["Kỳ thu", "Đợt thu"]),
    ColumnSpec::required("Mã khoản thu", &["Mã hóa đơn", "Mã phiếu thu"]),
    ColumnSpec::required("Nội dung", &["Nội dung thu", "Tên khoản thu"]),
    ColumnSpec::required("Số tiền", &["Thành tiền"]).money(),
    ColumnSpec::required("Hạn nộp", &["Hạn thanh toán", "Hạn nộp tiền"]),
    ColumnSpec::optional("Tổng tiền", &["Tổng cộng"]).money(),
    ColumnSpec::optional("Loại khoản", &["loai", "Loại", "Loại khoản thu", "kind"]),
    ColumnSpec::optional("Mã khoản", &["ma_khoan", "Mã danh mục", "item"]),
    ColumnSpec::optional("Số lượng", &["so_luong", "SL", "quantity"]),
    ColumnSpec::optional("Đơn vị", &["don_vi", "Đơn vị tính", "ĐVT", "unit"]),
    ColumnSpec::optional("Đơn giá", &["don_gia", "unit_price"]).money(),
    ColumnSpec::optional(
        "Đơn vị thu hộ",
        &["don_vi_thu_ho", "Thu hộ cho", "beneficiary"],
    ),
];

/// What an adjustment line says instead of its reason (a family's circumstances are sensitive
/// personal data, Law 91/2025/QH15): a reduction always, a subsidy when the file gives no text.
fn neutral_label(kind: LineKind) -> Option<&'static str> {
    match kind {
        LineKind::Subsidy => Some("Hỗ trợ học phí theo quy định"),
        LineKind::Reduction => Some("Miễn, giảm theo quy định"),
        LineKind::Tuition | LineKind::OnBehalf | LineKind::Service | LineKind::Voluntary => None,
    }
}

impl ImportColumn {
    pub(super) fn name(self) -> &'static str {
        COLUMNS[self as usize].name
    }
}

/// A value all rows of one invoice must agree on, with the row that first gave it.
type Slot<T> = Option<(T, u64)>;

/// A due date, shown `dd/mm/yyyy` in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Day(NaiveDate);

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%d/%m/%Y"))
    }
}

/// An invoice being assembled from its rows.
struct Draft {
    id: InvoiceId,
    rows: u64,
    school: Slot<SchoolId>,
    student: Slot<StudentCode>,
    year: Slot<SchoolYear>,
    term: Slot<Label>,
    due: Slot<Day>,
    total: Slot<Money>,
    items: Vec<(LineItem, u64)>,
    bad: bool,
    first_row: u64,
}

/// A student as the file describes them; the full name is kept only for the codes file.
pub(super) struct StudentDraft {
    pub(super) code: StudentCode,
    pub(super) school: SchoolId,
    pub(super) full_name: String,
    pub(super) name: MaskedName,
    pub(super) class_name: Label,
    /// The first row that names the student.
    pub(super) first_row: u64,
}

/// One row's values; `None` where the cell was bad (its problem already recorded) or blank.
#[derive(Default)]
struct Fields {
    school: Option<SchoolId>,
    student: Option<StudentCode>,
    name: Option<(String, MaskedName)>,
    class_name: Option<Label>,
    year: Option<SchoolYear>,
    term: Option<Label>,
    invoice: Option<InvoiceId>,
    description: Option<Label>,
    amount: Option<Money>,
    due: Option<NaiveDate>,
    total: Option<Money>,
    kind: Option<LineKind>,
    item: Option<ItemCode>,
    quantity: Option<u32>,
    unit: Option<Unit>,
    unit_price: Option<Money>,
    beneficiary: Option<Label>,
}

/// A problem as recorded while reading: row, column, message.
type Found = (u64, Option<ImportColumn>, String);

/// What the rows said, before each invoice is checked whole.
struct Parsed {
    rows: u64,
    drafts: Vec<Draft>,
    students: Vec<StudentDraft>,
    student_index: HashMap<StudentCode, usize>,
    problems: Vec<Found>,
    orphan_rows: u64,
}

/// A read in progress: the store (to know schools), where each column is, and what was read.
struct Reader<'a, S> {
    store: &'a S,
    columns: Vec<Option<usize>>,
    schools: HashMap<SchoolId, bool>,
    index: HashMap<InvoiceId, usize>,
    /// Read from the store when the file names items.
    catalogue: Catalogue,
    parsed: Parsed,
}

/// Excel keeps 15 significant digits: a longer code typed into a number cell has been rounded.
fn not_rounded(cell: &Cell) -> Result<(), String> {
    match cell {
        Cell::Number(n) if n.bytes().filter(u8::is_ascii_digit).count() > 15 => Err(format!(
            "mã dài hơn 15 chữ số nằm trong ô kiểu số nên Excel đã làm tròn (nhận được {n}); \
             định dạng cột là Văn bản (Text) rồi gõ lại mã"
        )),
        _ => Ok(()),
    }
}

/// A quantity of units: a positive whole number.
fn quantity(cell: &Cell) -> Result<u32, String> {
    let text = cell.text();
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u32>().ok())
        .flatten()
        .filter(|q| *q > 0)
        .ok_or_else(|| {
            format!(
                "số lượng phải là số nguyên dương, nhận được {}",
                values::received(cell)
            )
        })
}

fn id_problem(err: &IdError, cell: &Cell, rule: &str) -> String {
    if cell.is_blank() {
        return values::EMPTY.to_owned();
    }
    let what = match err.reason {
        "too short" => "ngắn quá",
        "too long" => "dài quá",
        _ => "có ký tự không được phép",
    };
    let name = match err.what {
        "school id" => "mã trường",
        "student code" => "mã học sinh",
        "invoice id" => "mã khoản thu",
        _ => "mã",
    };
    format!(
        "{name} {what} ({rule}), nhận được {}",
        values::received(cell)
    )
}

impl<S: Store> Reader<'_, S> {
    fn cell<'r>(&self, row: &'r Row, col: ImportColumn) -> &'r Cell {
        match self.columns[col as usize] {
            Some(index) => row.cell(index),
            None => &Cell::Empty,
        }
    }

    fn fields(&self, row: &Row, problems: &mut Vec<(ImportColumn, String)>) -> Fields {
        let mut f = Fields::default();
        let mut check = |col: ImportColumn, result: Result<(), String>| {
            if let Err(message) = result {
                problems.push((col, message));
            }
        };
        let cell = |col| self.cell(row, col);
        check(
            ImportColumn::School,
            SchoolId::parse(&cell(ImportColumn::School).text())
                .map(|v| f.school = Some(v))
                .map_err(|e| {
                    id_problem(
                        &e,
                        cell(ImportColumn::School),
                        "chữ không dấu, số, - và _, 2–32 ký tự",
                    )
                }),
        );
        check(
            ImportColumn::Student,
            not_rounded(cell(ImportColumn::Student)).and_then(|()| {
                StudentCode::parse(&cell(ImportColumn::Student).text())
                    .map(|v| f.student = Some(v))
                    .map_err(|e| {
                        id_problem(
                            &e,
                            cell(ImportColumn::Student),
                            "4–20 chữ cái không dấu hoặc chữ số",
                        )
                    })
            }),
        );
        let full_name = cell(ImportColumn::Name).text();
        check(
            ImportColumn::Name,
            MaskedName::mask(&full_name)
                .map(|masked| {
                    let cleaned = full_name.split_whitespace().collect::<Vec<_>>().join(" ");
                    f.name = Some((cleaned, masked));
                })
                .map_err(|e| text_problem(&e, "họ và tên")),
        );
        check(
            ImportColumn::Class,
            Label::parse(&cell(ImportColumn::Class).text())
                .map(|v| f.class_name = Some(v))
                .map_err(|e| text_problem(&e, "tên lớp")),
        );
        check(
            ImportColumn::Year,
            if cell(ImportColumn::Year).is_blank() {
                Err(values::EMPTY.to_owned())
            } else {
                SchoolYear::parse(&cell(ImportColumn::Year).text())
                    .map(|v| f.year = Some(v))
                    .map_err(|_| {
                        format!(
                            "năm học viết theo dạng 2025-2026, nhận được {}",
                            values::received(cell(ImportColumn::Year))
                        )
                    })
            },
        );
        check(
            ImportColumn::Term,
            Label::parse(&cell(ImportColumn::Term).text())
                .map(|v| f.term = Some(v))
                .map_err(|e| text_problem(&e, "học kỳ")),
        );
        check(
            ImportColumn::Invoice,
            not_rounded(cell(ImportColumn::Invoice)).and_then(|()| {
                InvoiceId::parse(&cell(ImportColumn::Invoice).text())
                    .map(|v| f.invoice = Some(v))
                    .map_err(|e| {
                        id_problem(
                            &e,
                            cell(ImportColumn::Invoice),
                            "chữ không dấu, số, - _ và ., tối đa 64 ký tự",
                        )
                    })
            }),
        );
        if !cell(ImportColumn::Kind).is_blank() {
            check(
                ImportColumn::Kind,
                LineKind::parse(&cell(ImportColumn::Kind).text())
                    .map(|v| f.kind = Some(v))
                    .ok_or_else(|| {
                        format!(
                            "loại khoản viết là {KINDS_VI}, hỗ trợ học phí hoặc miễn giảm, nhận \
                             được {}",
                            values::received(cell(ImportColumn::Kind))
                        )
                    }),
            );
        }
        let neutral = f.kind.and_then(neutral_label);
        match neutral {
            Some(label)
                if f.kind == Some(LineKind::Reduction)
                    || cell(ImportColumn::Description).is_blank() =>
            {
                f.description = Label::parse(label).ok();
            }
            Some(_) | None => check(
                ImportColumn::Description,
                Label::parse(&cell(ImportColumn::Description).text())
                    .map(|v| f.description = Some(v))
                    .map_err(|e| text_problem(&e, "nội dung")),
            ),
        }
        let priced =
            !cell(ImportColumn::Quantity).is_blank() && !cell(ImportColumn::UnitPrice).is_blank();
        if !(priced && cell(ImportColumn::Amount).is_blank()) {
            check(
                ImportColumn::Amount,
                values::amount(cell(ImportColumn::Amount)).map(|v| f.amount = Some(v)),
            );
        }
        check(
            ImportColumn::Due,
            values::date(cell(ImportColumn::Due)).map(|v| f.due = Some(v)),
        );
        if !cell(ImportColumn::Total).is_blank() {
            check(
                ImportColumn::Total,
                values::amount(cell(ImportColumn::Total)).map(|v| f.total = Some(v)),
            );
        }
        if !cell(ImportColumn::Item).is_blank() {
            check(
                ImportColumn::Item,
                ItemCode::parse(&cell(ImportColumn::Item).text())
                    .map(|v| f.item = Some(v))
                    .map_err(|_| code_problem(cell(ImportColumn::Item))),
            );
        }
        if !cell(ImportColumn::Quantity).is_blank() {
            check(
                ImportColumn::Quantity,
                quantity(cell(ImportColumn::Quantity)).map(|v| f.quantity = Some(v)),
            );
        }
        if !cell(ImportColumn::Unit).is_blank() {
            check(
                ImportColumn::Unit,
                Unit::parse(&cell(ImportColumn::Unit).text())
                    .map(|v| f.unit = Some(v))
                    .ok_or_else(|| unit_problem(cell(ImportColumn::Unit))),
            );
        }
        if !cell(ImportColumn::UnitPrice).is_blank() {
            check(
                ImportColumn::UnitPrice,
                values::amount(cell(ImportColumn::UnitPrice)).map(|v| f.unit_price = Some(v)),
            );
        }
        if !cell(ImportColumn::Beneficiary).is_blank() {
            check(
                ImportColumn::Beneficiary,
                Label::parse(&cell(ImportColumn::Beneficiary).text())
                    .map(|v| f.beneficiary = Some(v))
                    .map_err(|e| text_problem(&e, "đơn vị thu hộ")),
            );
        }
        f
    }

    /// The row's line: its kind, unit and beneficiary from the catalogue when it names an item
    /// (a file that says otherwise is wrong), its amount from quantity × unit price when only
    /// those are given, within the item's cap. `None` with the problems recorded.
    fn line(&self, f: &Fields, problems: &mut Vec<(ImportColumn, String)>) -> Option<LineItem> {
        let mut found = |col: ImportColumn, message: String| problems.push((col, message));
        let entry: Option<&CatalogueItem> = match &f.item {
            Some(code) => {
                let entry = self.catalogue.find(code, f.school.as_ref());
                if entry.is_none() {
                    found(
                        ImportColumn::Item,
                        format!(
                            "khoản \"{code}\" không có trong danh mục; thêm bằng lệnh \
                             \"hocphi-admin catalogue import\""
                        ),
                    );
                    return None;
                }
                entry
            }
            None => None,
        };
        let mut ok = true;
        let kind = match (f.kind, entry) {
            (Some(kind), Some(e)) if kind != e.kind => {
                ok = false;
                found(
                    ImportColumn::Kind,
                    format!(
                        "khoản \"{}\" trong danh mục là \"{}\", dòng này ghi \"{}\"",
                        e.code,
                        e.kind.label_vi(),
                        kind.label_vi()
                    ),
                );
                e.kind
            }
            (_, Some(e)) => e.kind,
            (Some(kind), None) => kind,
            (None, None) => LineKind::Tuition,
        };
        let unit = match (f.unit, entry) {
            (Some(unit), Some(e)) if unit != e.unit => {
                ok = false;
                found(
                    ImportColumn::Unit,
                    format!(
                        "khoản \"{}\" trong danh mục tính theo {}, dòng này ghi \"{}\"",
                        e.code,
                        e.unit.label_vi(),
                        unit.label_vi()
                    ),
                );
                Some(e.unit)
            }
            (_, Some(e)) => Some(e.unit),
            (unit, None) => unit,
        };
        let listed = entry.and_then(|e| e.beneficiary.as_ref());
        let beneficiary = match (&f.beneficiary, listed) {
            (Some(given), Some(listed)) if given != listed => {
                ok = false;
                found(
                    ImportColumn::Beneficiary,
                    format!(
                        "khoản \"{}\" trong danh mục thu hộ cho \"{listed}\", dòng này ghi \
                         \"{given}\"",
                        entry.map_or("", |e| e.code.as_str())
                    ),
                );
                Some(listed.clone())
            }
            (_, Some(listed)) => Some(listed.clone()),
            (given, None) => given.clone(),
        };
        match (kind, &beneficiary) {
            (LineKind::OnBehalf, None) => {
                ok = false;
                found(
                    ImportColumn::Beneficiary,
                    "khoản thu hộ phải ghi đơn vị thu hộ (ví dụ: Bảo hiểm xã hội tỉnh Gia Lai), \
                     hoặc mã khoản có trong danh mục"
                        .to_owned(),
                );
            }
            (LineKind::OnBehalf, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                ok = false;
                found(
                    ImportColumn::Beneficiary,
                    format!(
                        "chỉ khoản thu hộ mới ghi đơn vị thu hộ; dòng này là \"{}\"",
                        kind.label_vi()
                    ),
                );
            }
        }
        let pricing = match (f.quantity, f.unit_price, unit) {
            (Some(quantity), Some(unit_price), Some(unit)) => Some(Pricing {
                quantity,
                unit,
                unit_price,
            }),
            (Some(_), Some(_), None) => {
                ok = false;
                found(
                    ImportColumn::Unit,
                    format!(
                        "đã ghi số lượng và đơn giá thì ghi cả đơn vị tính ({})",
                        super::catalogue::UNITS_VI
                    ),
                );
                None
            }
            (Some(_), None, _) => {
                ok = false;
                found(
                    ImportColumn::UnitPrice,
                    "đã ghi số lượng thì phải ghi đơn giá".to_owned(),
                );
                None
            }
            (None, Some(_), _) => {
                ok = false;
                found(
                    ImportColumn::Quantity,
                    "đã ghi đơn giá thì phải ghi số lượng".to_owned(),
                );
                None
            }
            (None, None, _) => None,
        };
        let amount = match pricing {
            Some(p) => {
                let priced = u64::from(p.quantity)
                    .checked_mul(p.unit_price.vnd())
                    .and_then(|vnd| Money::from_vnd(vnd).ok());
                match (priced, f.amount) {
                    (None, _) => {
                        found(
                            ImportColumn::Amount,
                            format!(
                                "số lượng × đơn giá vượt quá mức tối đa {} ₫",
                                group_digits(Money::MAX_VND)
                            ),
                        );
                        None
                    }
                    (Some(priced), Some(stated)) if priced != stated => {
                        found(
                            ImportColumn::Amount,
                            format!(
                                "số tiền {stated} khác số lượng × đơn giá: {} × {} = {priced}",
                                p.quantity, p.unit_price
                            ),
                        );
                        None
                    }
                    (Some(priced), _) => Some(priced),
                }
            }
            None => f.amount,
        };
        if ok
            && let Some(e) = entry
            && let Some(cap) = e.cap
        {
            let cap_text = per_unit(cap, e.unit);
            match (pricing, amount) {
                (Some(p), _) if p.unit_price.vnd() > cap.vnd() => {
                    ok = false;
                    found(
                        ImportColumn::UnitPrice,
                        format!(
                            "{} vượt mức trần {cap_text} của khoản {}",
                            p.unit_price, e.code
                        ),
                    );
                }
                (None, Some(amount)) if amount.vnd() > cap.vnd() => {
                    ok = false;
                    found(
                        ImportColumn::Amount,
                        format!(
                            "{amount} vượt mức trần {cap_text} của khoản {}; nếu thu nhiều {}, \
                             ghi số lượng và đơn giá",
                            e.code,
                            e.unit.label_vi()
                        ),
                    );
                }
                _ => {}
            }
        }
        let (true, Some(description), Some(amount)) = (ok, f.description.clone(), amount) else {
            return None;
        };
        Some(LineItem {
            description,
            amount,
            kind,
            item: f.item.clone(),
            pricing,
            beneficiary,
        })
    }

    async fn school_known(&mut self, id: &SchoolId) -> Result<bool, StoreError> {
        if let Some(known) = self.schools.get(id) {
            return Ok(*known);
        }
        let known = self.store.school(id).await?.is_some();
        self.schools.insert(id.clone(), known);
        Ok(known)
    }

    async fn take(&mut self, row: &Row) -> Result<(), StoreError> {
        self.parsed.rows += 1;
        let mut problems = Vec::new();
        let f = self.fields(row, &mut problems);
        if let Some(school) = &f.school
            && !self.school_known(school).await?
        {
            problems.push((
                ImportColumn::School,
                format!(
                    "trường \"{school}\" chưa có trong hệ thống; thêm bằng lệnh \"hocphi-admin school add\""
                ),
            ));
        }
        self.check_student(row.number, &f, &mut problems);
        let Some(id) = f.invoice.clone() else {
            self.parsed.orphan_rows += 1;
            self.record(row.number, problems);
            return Ok(());
        };
        let at = *self.index.entry(id.clone()).or_insert_with(|| {
            self.parsed.drafts.push(Draft {
                id,
                rows: 0,
                school: None,
                student: None,
                year: None,
                term: None,
                due: None,
                total: None,
                items: Vec::new(),
                bad: false,
                first_row: row.number,
            });
            self.parsed.drafts.len() - 1
        });
        let line_ok = !problems.iter().any(|(col, _)| {
            matches!(
                col,
                ImportColumn::Description
                    | ImportColumn::Amount
                    | ImportColumn::Kind
                    | ImportColumn::Item
                    | ImportColumn::Quantity
                    | ImportColumn::Unit
                    | ImportColumn::UnitPrice
                    | ImportColumn::Beneficiary
            )
        });
        let line = if line_ok {
            self.line(&f, &mut problems)
        } else {
            None
        };
        let draft = &mut self.parsed.drafts[at];
        draft.rows += 1;
        agree_into(draft, row.number, &f, line, &mut problems);
        if !problems.is_empty() {
            draft.bad = true;
        }
        self.record(row.number, problems);
        Ok(())
    }

    fn check_student(&mut self, row: u64, f: &Fields, problems: &mut Vec<(ImportColumn, String)>) {
        let (Some(code), Some(school), Some((full_name, name)), Some(class_name)) =
            (&f.student, &f.school, &f.name, &f.class_name)
        else {
            return;
        };
        let parsed = &mut self.parsed;
        let Some(&at) = parsed.student_index.get(code) else {
            parsed
                .student_index
                .insert(code.clone(), parsed.students.len());
            parsed.students.push(StudentDraft {
                code: code.clone(),
                school: school.clone(),
                full_name: full_name.clone(),
                name: name.clone(),
                class_name: class_name.clone(),
                first_row: row,
            });
            return;
        };
        let known = &parsed.students[at];
        let mut differs = |col, what, before: &str, now: &str| {
            if before != now {
                problems.push((
                    col,
                    format!(
                        "học sinh \"{code}\" ở dòng {} có {what} \"{before}\", dòng này ghi \"{now}\"",
                        known.first_row
                    ),
                ));
            }
        };
        differs(
            ImportColumn::School,
            "mã trường",
            known.school.as_str(),
            school.as_str(),
        );
        differs(ImportColumn::Name, "họ và tên", &known.full_name, full_name);
        differs(
            ImportColumn::Class,
            "lớp",
            known.class_name.as_str(),
            class_name.as_str(),
        );
    }

    fn record(&mut self, row: u64, problems: Vec<(ImportColumn, String)>) {
        self.parsed
            .problems
            .extend(problems.into_iter().map(|(c, m)| (row, Some(c), m)));
    }
}

/// Checks a row against the invoice it belongs to and adds its line item.
fn agree_into(
    draft: &mut Draft,
    row: u64,
    f: &Fields,
    line: Option<LineItem>,
    problems: &mut Vec<(ImportColumn, String)>,
) {
    fn agree<T: PartialEq + Clone + fmt::Display>(
        slot: &mut Slot<T>,
        value: Option<&T>,
        row: u64,
        invoice: &InvoiceId,
        what: &str,
    ) -> Option<String> {
        let value = value?;
        match slot {
            Some((known, at)) if known != value => Some(format!(
                "khoản thu \"{invoice}\" ở dòng {at} có {what} \"{known}\", dòng này ghi \"{value}\""
            )),
            Some(_) => None,
            None => {
                *slot = Some((value.clone(), row));
                None
            }
        }
    }
    let id = &draft.id;
    let checks = [
        (
            ImportColumn::School,
            agree(&mut draft.school, f.school.as_ref(), row, id, "mã trường"),
        ),
        (
            ImportColumn::Student,
            agree(
                &mut draft.student,
                f.student.as_ref(),
                row,
                id,
                "mã học sinh",
            ),
        ),
        (
            ImportColumn::Year,
            agree(&mut draft.year, f.year.as_ref(), row, id, "năm học"),
        ),
        (
            ImportColumn::Term,
            agree(&mut draft.term, f.term.as_ref(), row, id, "học kỳ"),
        ),
        (
            ImportColumn::Due,
            agree(&mut draft.due, f.due.map(Day).as_ref(), row, id, "hạn nộp"),
        ),
        (
            ImportColumn::Total,
            agree(&mut draft.total, f.total.as_ref(), row, id, "tổng tiền"),
        ),
    ];
    problems.extend(checks.into_iter().filter_map(|(c, p)| p.map(|p| (c, p))));
    let Some(line) = line else {
        return;
    };
    let description = &line.description;
    if let Some((_, at)) = draft
        .items
        .iter()
        .find(|(i, _)| &i.description == description)
    {
        problems.push((
            ImportColumn::Description,
            format!("khoản thu \"{id}\" đã có khoản \"{description}\" ở dòng {at}"),
        ));
    } else if draft.items.len() >= Invoice::MAX_ITEMS {
        problems.push((
            ImportColumn::Invoice,
            format!(
                "khoản thu \"{id}\" có quá {} khoản (một dòng một khoản)",
                Invoice::MAX_ITEMS
            ),
        ));
    } else {
        draft.items.push((line, row));
    }
}

/// The file, read and checked.
pub(super) struct Checked {
    /// Data rows read.
    pub(super) rows: u64,
    /// Distinct invoice ids.
    pub(super) invoices_in_file: usize,
    /// The invoices without any problem, with the index of their student in `students`.
    pub(super) valid: Vec<(Invoice, usize)>,
    pub(super) students: Vec<StudentDraft>,
    /// By row, then column.
    pub(super) problems: Vec<Problem>,
    pub(super) rejected_invoices: usize,
    pub(super) rejected_rows: u64,
}

/// Reads and checks the whole file.
pub(super) async fn read<S: Store>(
    store: &S,
    path: &Path,
    progress: bool,
) -> Result<Checked, ImportError> {
    let mut table = Table::open(path).await?;
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
    let catalogue = if columns[ImportColumn::Item as usize].is_some() {
        Catalogue::new(store.catalogue().await?)
    } else {
        Catalogue::default()
    };
    let bar = Progress::reading(progress, table.has_offsets.then_some(table.size).flatten());
    let mut reader = Reader {
        store,
        columns,
        catalogue,
        schools: HashMap::new(),
        index: HashMap::new(),
        parsed: Parsed {
            rows: 0,
            drafts: Vec::new(),
            students: Vec::new(),
            student_index: HashMap::new(),
            problems: Vec::new(),
            orphan_rows: 0,
        },
    };
    while let Some(row) = table.next().await {
        let row = row?;
        reader.take(&row).await?;
        bar.at(row.offset);
    }
    bar.finish();
    Ok(check_whole(reader.parsed))
}

/// Checks every invoice whole (stated total, size) and turns the good ones into invoices,
/// consuming the drafts so an invoice is never held twice.
fn check_whole(mut parsed: Parsed) -> Checked {
    let drafts = std::mem::take(&mut parsed.drafts);
    let invoices_in_file = drafts.len();
    let mut valid = Vec::with_capacity(drafts.len());
    let (mut rejected_invoices, mut rejected_rows) = (0, parsed.orphan_rows);
    for draft in drafts {
        let rows = draft.rows;
        match finish(draft, &parsed) {
            Ok(pair) => valid.push(pair),
            Err(problem) => {
                parsed.problems.extend(problem);
                rejected_invoices += 1;
                rejected_rows += rows;
            }
        }
    }
    parsed.problems.sort_by_key(|p| (p.0, p.1));
    Checked {
        rows: parsed.rows,
        invoices_in_file,
        valid,
        students: parsed.students,
        problems: parsed
            .problems
            .into_iter()
            .map(|(row, col, message)| Problem {
                row,
                column: col.map(ImportColumn::name),
                message,
            })
            .collect(),
        rejected_invoices,
        rejected_rows,
    }
}

/// The invoice of a draft with no problem, or the problem found now (if any: a draft already
/// marked bad has its problems recorded).
fn finish(draft: Draft, parsed: &Parsed) -> Result<(Invoice, usize), Option<Found>> {
    if draft.bad {
        return Err(None);
    }
    let Draft {
        id,
        school: Some((school, _)),
        student: Some((code, _)),
        year: Some((year, _)),
        term: Some((term, _)),
        due: Some((due, _)),
        total,
        items,
        first_row,
        ..
    } = draft
    else {
        return Err(None);
    };
    let at = *parsed.student_index.get(&code).ok_or(None)?;
    let known = &parsed.students[at];
    let rows: Vec<u64> = items.iter().map(|(_, row)| *row).collect();
    let lines: Vec<LineItem> = items.into_iter().map(|(item, _)| item).collect();
    let first_adjustment = lines
        .iter()
        .zip(&rows)
        .find(|(line, _)| line.kind.is_adjustment())
        .map_or(first_row, |(_, row)| *row);
    let invoice = Invoice::new(InvoiceDraft {
        id: id.clone(),
        school,
        student: code,
        student_name: known.name.clone(),
        class_name: known.class_name.clone(),
        school_year: year,
        term,
        items: lines,
        due_date: due.0,
    })
    .map_err(|err| {
        let row_of = |line: usize| rows.get(line.wrapping_sub(1)).copied().unwrap_or(first_row);
        Some(invoice_problem(
            &err,
            &id,
            first_row,
            first_adjustment,
            row_of,
        ))
    })?;
    let plain = invoice.items().iter().all(|line| line.is_mandatory());
    match total {
        Some((stated, row)) if stated != invoice.total() => Err(Some((
            row,
            Some(ImportColumn::Total),
            format!(
                "tổng tiền {stated} khác tổng các khoản {} của khoản thu \"{id}\"{}",
                invoice.total(),
                if plain {
                    ""
                } else {
                    " (các khoản phải nộp trừ hỗ trợ, miễn giảm; không tính khoản tự nguyện)"
                }
            ),
        ))),
        Some(_) | None => Ok((invoice, at)),
    }
}

/// Why the domain refused an invoice, in Vietnamese, at the row and column at fault.
fn invoice_problem(
    err: &InvoiceError,
    id: &InvoiceId,
    first_row: u64,
    first_adjustment: u64,
    row_of: impl Fn(usize) -> u64,
) -> Found {
    match err {
        InvoiceError::Total(_) => (
            first_row,
            Some(ImportColumn::Amount),
            format!(
                "tổng các khoản của khoản thu \"{id}\" vượt quá mức tối đa {} ₫",
                group_digits(Money::MAX_VND)
            ),
        ),
        InvoiceError::NoItems | InvoiceError::TooManyItems(_) => (
            first_row,
            Some(ImportColumn::Invoice),
            format!(
                "khoản thu \"{id}\" phải có từ 1 đến {} khoản (một dòng một khoản)",
                Invoice::MAX_ITEMS
            ),
        ),
        InvoiceError::TotalMismatch { stated, sum } => (
            first_row,
            Some(ImportColumn::Total),
            format!("tổng tiền {stated} khác tổng các khoản {sum} của khoản thu \"{id}\""),
        ),
        InvoiceError::PricingMismatch { line } => (
            row_of(*line),
            Some(ImportColumn::Amount),
            "số tiền khác số lượng × đơn giá".to_owned(),
        ),
        InvoiceError::Beneficiary { line } => (
            row_of(*line),
            Some(ImportColumn::Beneficiary),
            "khoản thu hộ phải ghi đơn vị thu hộ, và chỉ khoản thu hộ mới ghi".to_owned(),
        ),
        InvoiceError::NoMandatoryCharge => (
            first_row,
            Some(ImportColumn::Kind),
            format!(
                "khoản thu \"{id}\" không có khoản phải nộp nào (học phí, dịch vụ hoặc thu hộ); \
                 khoản tự nguyện chỉ được mời nộp kèm một khoản phải nộp"
            ),
        ),
        InvoiceError::AdjustmentOverOwnCharges { adjustments } => (
            first_adjustment,
            Some(ImportColumn::Amount),
            format!(
                "hỗ trợ, miễn giảm của khoản thu \"{id}\" ({adjustments}) vượt các khoản thu của \
                 nhà trường (học phí, dịch vụ); khoản thu hộ (như BHYT) không được giảm"
            ),
        ),
        InvoiceError::NothingDue {
            charges,
            adjustments,
        } => (
            first_adjustment,
            Some(ImportColumn::Amount),
            format!(
                "hỗ trợ, miễn giảm của khoản thu \"{id}\" ({adjustments}) bằng hoặc vượt các \
                 khoản phải nộp ({charges}); nếu học sinh được miễn toàn bộ, không lập khoản thu \
                 này"
            ),
        ),
    }
}
