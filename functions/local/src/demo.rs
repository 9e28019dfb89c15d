//! The demo data seeded on first start: schools of Gia Lai as a province collects in the current
//! school year, three students and their fee notices. The README lists the codes a visitor types.
//!
//! Two public schools in the wards of Quy Nhơn (each paid into its own bank account through its
//! own payOS channel) bill what a public school may collect: no tuition (Resolution
//! 217/2025/QH15 exempts public-school pupils), no extra classes taught inside the school
//! (Circular 29/2024/TT-BGDĐT forbids charging for them), but meals by the day, semi-boarding
//! care, the pupils' health insurance collected on behalf of Social Security, and a voluntary
//! contribution offered beside the rest. A private school in Pleiku (the former Gia Lai) bills
//! tuition less the state subsidy and a reduction; it has no payOS channel, so it is offered no
//! bank transfer. The school ids of Quy Nhơn's schools (`BD-…`) are the ones they were imported
//! under in Bình Định: an id is data and stays.
//!
//! Dates follow the day the store is seeded: the current school year (September to May; from
//! June the coming one), due dates in the coming weeks.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use hocphi_domain::{
    Actor, Invoice, InvoiceDraft, InvoiceId, Label, LineItem, LineKind, LookupCode, LookupKey,
    MaskedName, Money, PayeeId, Pricing, School, SchoolId, SchoolYear, Store, StoreError, Student,
    StudentCode, Symbol, Unit,
};

/// A demo student: code, lookup code, full name (masked before it is stored), school, class.
pub const STUDENTS: [(&str, &str, &str, &str, &str); 4] = [
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
    (
        "6401234570",
        "RS7TU3VW",
        "Phạm Minh Duy",
        "GL-TH-ANHDUONG",
        "4A",
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

/// A demo school: id, name, commune or ward, receipt series, whether it has a payee (named
/// like the school).
struct DemoSchool {
    id: &'static str,
    name: &'static str,
    commune: &'static str,
    series: &'static str,
    payee: bool,
}

const SCHOOLS: [DemoSchool; 3] = [
    DemoSchool {
        id: "BD-THCS-NGOQUYEN",
        name: "Trường THCS Ngô Quyền, phường Quy Nhơn",
        commune: "Phường Quy Nhơn",
        series: "NQ-26E",
        payee: true,
    },
    DemoSchool {
        id: "BD-TH-LELOI",
        name: "Trường Tiểu học Lê Lợi, phường Quy Nhơn Nam",
        commune: "Phường Quy Nhơn Nam",
        series: "LL-26E",
        payee: true,
    },
    DemoSchool {
        id: "GL-TH-ANHDUONG",
        name: "Trường Tiểu học tư thục Ánh Dương, phường Pleiku",
        commune: "Phường Pleiku",
        series: "AD-26E",
        payee: false,
    },
];

/// Who the pupils' health insurance is collected for.
pub const SOCIAL_SECURITY: &str = "Bảo hiểm xã hội tỉnh Gia Lai";

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

fn school(demo: &DemoSchool) -> Result<School, DemoError> {
    Ok(School {
        id: SchoolId::parse(demo.id).map_err(invalid)?,
        name: label(demo.name)?,
        receipt_template: Symbol::parse("BLTT-01").map_err(invalid)?,
        receipt_series: Symbol::parse(demo.series).map_err(invalid)?,
        payee: if demo.payee {
            Some(PayeeId::parse(demo.id).map_err(invalid)?)
        } else {
            None
        },
        commune: Some(label(demo.commune)?),
    })
}

/// One line of a demo notice: kind, description (`{month}` is this month), amount or unit price,
/// and the quantity and unit when priced per unit.
struct Line {
    kind: LineKind,
    description: &'static str,
    vnd: u64,
    per: Option<(u32, Unit)>,
}

const fn flat(kind: LineKind, description: &'static str, vnd: u64) -> Line {
    Line {
        kind,
        description,
        vnd,
        per: None,
    }
}

const fn per(
    kind: LineKind,
    description: &'static str,
    quantity: u32,
    unit: Unit,
    unit_price: u64,
) -> Line {
    Line {
        kind,
        description,
        vnd: unit_price,
        per: Some((quantity, unit)),
    }
}

/// The pupil's share of a year's health insurance: 12 months of 4.5 % of the base salary
/// (2.340.000 ₫, Decree 73/2024/NĐ-CP) less the state's 30 % (Law on Health Insurance, art. 15).
const HEALTH_INSURANCE: Line = per(
    LineKind::OnBehalf,
    "Bảo hiểm y tế học sinh",
    12,
    Unit::Month,
    73_710,
);

/// A demo notice: id suffix (after the school's prefix and the year), student, term (`None`: the
/// current term), days until due, lines.
struct Notice {
    prefix: &'static str,
    suffix: &'static str,
    student: usize,
    term: Option<&'static str>,
    due_in_days: i64,
    lines: &'static [Line],
}

const NOTICES: [Notice; 6] = [
    Notice {
        prefix: "NQ",
        suffix: "T-0001",
        student: 0,
        term: None,
        due_in_days: 10,
        lines: &[
            per(
                LineKind::Service,
                "Tiền ăn bán trú tháng {month}",
                21,
                Unit::Day,
                25_000,
            ),
            per(
                LineKind::Service,
                "Tiền chăm sóc bán trú tháng {month}",
                1,
                Unit::Month,
                150_000,
            ),
            flat(LineKind::Voluntary, "Quỹ khuyến học (tự nguyện)", 100_000),
        ],
    },
    Notice {
        prefix: "NQ",
        suffix: "BHYT-0001",
        student: 0,
        term: Some("Cả năm"),
        due_in_days: 24,
        lines: &[HEALTH_INSURANCE],
    },
    Notice {
        prefix: "LL",
        suffix: "T-0002",
        student: 1,
        term: None,
        due_in_days: 10,
        lines: &[
            per(
                LineKind::Service,
                "Tiền ăn bán trú tháng {month}",
                20,
                Unit::Day,
                30_000,
            ),
            per(
                LineKind::Service,
                "Tiền chăm sóc bán trú tháng {month}",
                1,
                Unit::Month,
                120_000,
            ),
        ],
    },
    Notice {
        prefix: "NQ",
        suffix: "T-0003",
        student: 2,
        term: None,
        due_in_days: 10,
        lines: &[per(
            LineKind::Service,
            "Tiền ăn bán trú tháng {month}",
            19,
            Unit::Day,
            25_000,
        )],
    },
    Notice {
        prefix: "NQ",
        suffix: "BHYT-0003",
        student: 2,
        term: Some("Cả năm"),
        due_in_days: 24,
        lines: &[HEALTH_INSURANCE],
    },
    Notice {
        prefix: "AD",
        suffix: "HK-0001",
        student: 3,
        term: None,
        due_in_days: 14,
        lines: &[
            per(LineKind::Tuition, "Học phí", 4, Unit::Month, 1_500_000),
            flat(LineKind::Subsidy, "Hỗ trợ học phí", 1_200_000),
            flat(LineKind::Reduction, "Miễn, giảm theo quy định", 300_000),
            per(
                LineKind::Service,
                "Tiền ăn bán trú tháng {month}",
                21,
                Unit::Day,
                35_000,
            ),
        ],
    },
];

/// The school year, term and month the demo bills on `today`: September to May is the current
/// school year (the first term to December), June to August already the coming one's first
/// month.
pub fn calendar(today: NaiveDate) -> (u16, &'static str, u32) {
    let (year, month) = (today.year(), today.month());
    let first = if month >= 6 { year } else { year - 1 };
    let term = if month <= 5 {
        "Học kỳ 2"
    } else {
        "Học kỳ 1"
    };
    let billed = if (6..=8).contains(&month) { 9 } else { month };
    (u16::try_from(first).unwrap_or(2026), term, billed)
}

fn line(line: &Line, month: u32) -> Result<LineItem, DemoError> {
    let description = label(&line.description.replace("{month}", &month.to_string()))?;
    let price = Money::from_vnd(line.vnd).map_err(invalid)?;
    let mut item = match line.per {
        None => LineItem::of_kind(line.kind, description, price),
        Some((quantity, unit)) => {
            let amount = line
                .vnd
                .checked_mul(u64::from(quantity))
                .ok_or_else(|| invalid("amount"))
                .and_then(|vnd| Money::from_vnd(vnd).map_err(invalid))?;
            LineItem {
                pricing: Some(Pricing {
                    quantity,
                    unit,
                    unit_price: price,
                }),
                ..LineItem::of_kind(line.kind, description, amount)
            }
        }
    };
    if line.kind == LineKind::OnBehalf {
        item.beneficiary = Some(label(SOCIAL_SECURITY)?);
    }
    Ok(item)
}

/// Seeds the demo data unless the store already has it, the lookup digests under `key`; demo
/// schools seeded before payees existed get theirs. Answers whether it seeded.
pub async fn seed<S: Store>(
    store: &S,
    now: DateTime<Utc>,
    key: &LookupKey,
) -> Result<bool, DemoError> {
    let by = Actor::operator(label("demo")?);
    let first = SchoolId::parse(SCHOOLS[0].id).map_err(invalid)?;
    if store.school(&first).await?.is_some() {
        for demo in SCHOOLS.iter().filter(|s| s.payee) {
            let id = SchoolId::parse(demo.id).map_err(invalid)?;
            if store.school(&id).await?.is_some_and(|s| s.payee.is_none()) {
                store.upsert_school(&school(demo)?, now, &by).await?;
            }
        }
        return Ok(false);
    }
    for demo in &SCHOOLS {
        store.upsert_school(&school(demo)?, now, &by).await?;
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
    let today = (now + Duration::hours(7)).date_naive();
    let (first_year, term, month) = calendar(today);
    let school_year = SchoolYear::starting(first_year).map_err(invalid)?;
    let years = format!("{:02}{:02}", first_year % 100, (first_year + 1) % 100);
    for notice in &NOTICES {
        let (code, _, name, school_id, class) = STUDENTS[notice.student];
        let items = notice
            .lines
            .iter()
            .map(|l| line(l, month))
            .collect::<Result<Vec<_>, DemoError>>()?;
        let id = format!("{}-{years}-{}", notice.prefix, notice.suffix);
        let invoice = Invoice::new(InvoiceDraft {
            id: InvoiceId::parse(&id).map_err(invalid)?,
            school: SchoolId::parse(school_id).map_err(invalid)?,
            student: StudentCode::parse(code).map_err(invalid)?,
            student_name: MaskedName::mask(name).map_err(invalid)?,
            class_name: label(class)?,
            school_year,
            term: label(notice.term.unwrap_or(term))?,
            items,
            due_date: today + Duration::days(notice.due_in_days),
        })
        .map_err(invalid)?;
        store.upsert_invoice(&invoice, now, &by).await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_demo_bills_the_current_school_year_and_term() {
        let cases = [
            (day(2026, 12, 5), (2026, "Học kỳ 1", 12)),
            (day(2027, 3, 1), (2026, "Học kỳ 2", 3)),
            (day(2027, 6, 15), (2027, "Học kỳ 1", 9)),
            (day(2026, 9, 1), (2026, "Học kỳ 1", 9)),
        ];
        for (today, expected) in cases {
            assert_eq!(calendar(today), expected, "{today}");
        }
    }

    #[test]
    fn every_demo_notice_is_a_valid_invoice_without_tuition_at_a_public_school() {
        for notice in &NOTICES {
            let private = STUDENTS[notice.student].3 == "GL-TH-ANHDUONG";
            for l in notice.lines {
                let item = line(l, 12).unwrap();
                assert!(
                    private || item.kind != LineKind::Tuition,
                    "{}",
                    l.description
                );
                assert!(!item.description.to_string().contains("học thêm"));
            }
        }
        assert_eq!(line(&HEALTH_INSURANCE, 12).unwrap().amount.vnd(), 884_520);
    }
}
