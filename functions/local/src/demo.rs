//! The demo data seeded on first start: two schools of Bình Định, each paid into its own bank
//! account through its own payOS channel (payee), three students, their fee notices. The README
//! lists the codes a visitor types.

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_domain::{
    Actor, Invoice, InvoiceDraft, InvoiceId, Label, LineItem, LookupCode, LookupKey, MaskedName,
    Money, PayeeId, School, SchoolId, SchoolYear, Store, StoreError, Student, StudentCode, Symbol,
};

/// A demo student: code, lookup code, full name (masked before it is stored), school, class.
pub const STUDENTS: [(&str, &str, &str, &str, &str); 3] = [
    (
        "5201234567",
        "AB12CD34",
        "Nguyễn Văn An",
        "BD-THCS-NGOQUYEN",
        "7A2",
    ),
    (
        "5201234568",
        "EF56GH78",
        "Trần Thị Bình",
        "BD-TH-LELOI",
        "3B",
    ),
    (
        "5201234569",
        "JK9MN2PQ",
        "Lê Hoàng Cường",
        "BD-THCS-NGOQUYEN",
        "9A1",
    ),
];

/// A demo school's payee (its payOS channel, named like the school) and the account the payOS
/// simulator pays it into: payee, bank BIN, account number, account name.
pub const PAYEES: [(&str, &str, &str, &str); 2] = [
    (
        "BD-THCS-NGOQUYEN",
        "970436",
        "0071000123456",
        "TRUONG THCS NGO QUYEN",
    ),
    (
        "BD-TH-LELOI",
        "970415",
        "113000456789",
        "TRUONG TIEU HOC LE LOI",
    ),
];

/// The demo schools: id (also its payee), name, receipt series.
const SCHOOLS: [(&str, &str, &str); 2] = [
    (
        "BD-THCS-NGOQUYEN",
        "Trường THCS Ngô Quyền, TP Quy Nhơn",
        "NQ-25E",
    ),
    (
        "BD-TH-LELOI",
        "Trường Tiểu học Lê Lợi, TP Quy Nhơn",
        "LL-25E",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data is not valid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(err: impl std::fmt::Display) -> DemoError {
    DemoError::Invalid(err.to_string())
}

fn label(text: &str) -> Result<Label, DemoError> {
    Label::parse(text).map_err(invalid)
}

fn school(id: &str, name: &str, series: &str) -> Result<School, DemoError> {
    Ok(School {
        id: SchoolId::parse(id).map_err(invalid)?,
        name: label(name)?,
        receipt_template: Symbol::parse("01BLP0-001").map_err(invalid)?,
        receipt_series: Symbol::parse(series).map_err(invalid)?,
        payee: Some(PayeeId::parse(id).map_err(invalid)?),
        commune: None,
    })
}

struct Notice<'a> {
    id: &'a str,
    student: usize,
    term: &'a str,
    due: (i32, u32, u32),
    items: &'a [(&'a str, u64)],
}

const NOTICES: [Notice<'static>; 5] = [
    Notice {
        id: "NQ-2526-HK1-0001",
        student: 0,
        term: "Học kỳ 1",
        due: (2025, 10, 15),
        items: &[
            ("Học phí học kỳ 1", 1_500_000),
            ("Tiền ăn bán trú tháng 9", 650_000),
        ],
    },
    Notice {
        id: "NQ-2526-BHYT-0001",
        student: 0,
        term: "Cả năm",
        due: (2025, 10, 31),
        items: &[("Bảo hiểm y tế học sinh (12 tháng)", 1_263_600)],
    },
    Notice {
        id: "LL-2526-HK1-0002",
        student: 1,
        term: "Học kỳ 1",
        due: (2025, 10, 15),
        items: &[
            ("Tiền ăn bán trú tháng 9", 720_000),
            ("Tiền học Tiếng Anh tăng cường", 300_000),
        ],
    },
    Notice {
        id: "NQ-2526-HK1-0003",
        student: 2,
        term: "Học kỳ 1",
        due: (2025, 10, 15),
        items: &[("Học phí học kỳ 1", 1_500_000)],
    },
    Notice {
        id: "NQ-2526-HK1-0004",
        student: 2,
        term: "Học kỳ 1",
        due: (2025, 11, 15),
        items: &[("Tiền học thêm môn Toán", 450_000)],
    },
];

/// Seeds the demo data unless the store already has it, the lookup digests under `key`; demo
/// schools seeded before payees existed get theirs. Answers whether it seeded.
pub async fn seed<S: Store>(
    store: &S,
    now: DateTime<Utc>,
    key: &LookupKey,
) -> Result<bool, DemoError> {
    let by = Actor::operator(label("demo")?);
    let first = SchoolId::parse(SCHOOLS[0].0).map_err(invalid)?;
    if store.school(&first).await?.is_some() {
        for (id, name, series) in SCHOOLS {
            let id = SchoolId::parse(id).map_err(invalid)?;
            if store.school(&id).await?.is_some_and(|s| s.payee.is_none()) {
                store
                    .upsert_school(&school(id.as_str(), name, series)?, now, &by)
                    .await?;
            }
        }
        return Ok(false);
    }
    for (id, name, series) in SCHOOLS {
        store
            .upsert_school(&school(id, name, series)?, now, &by)
            .await?;
    }
    for (code, lookup, name, school_id, class) in STUDENTS {
        let code = StudentCode::parse(code).map_err(invalid)?;
        store
            .upsert_student(
                &Student {
                    lookup: LookupCode::parse(lookup)
                        .map_err(invalid)?
                        .digest(&code, key),
                    code,
                    school: SchoolId::parse(school_id).map_err(invalid)?,
                    name: MaskedName::mask(name).map_err(invalid)?,
                    class_name: label(class)?,
                },
                now,
                &by,
            )
            .await?;
    }
    for notice in &NOTICES {
        let (code, _, name, school_id, class) = STUDENTS[notice.student];
        let items = notice
            .items
            .iter()
            .map(|(description, vnd)| {
                Ok(LineItem::new(
                    label(description)?,
                    Money::from_vnd(*vnd).map_err(invalid)?,
                ))
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let (y, m, d) = notice.due;
        let invoice = Invoice::new(InvoiceDraft {
            id: InvoiceId::parse(notice.id).map_err(invalid)?,
            school: SchoolId::parse(school_id).map_err(invalid)?,
            student: StudentCode::parse(code).map_err(invalid)?,
            student_name: MaskedName::mask(name).map_err(invalid)?,
            class_name: label(class)?,
            school_year: SchoolYear::starting(2025).map_err(invalid)?,
            term: label(notice.term)?,
            items,
            due_date: NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| invalid("due date"))?,
        })
        .map_err(invalid)?;
        store.upsert_invoice(&invoice, now, &by).await?;
    }
    Ok(true)
}
