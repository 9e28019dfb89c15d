//! `school add` and `school set-payee`: the schools invoices are imported for, with the symbols
//! printed on their receipts and the payee (payOS channel, one bank account) their VietQR
//! transfers are paid into.
//!
//! Invariants: a school's fields are parsed (id, name, template and series symbols, payee) before
//! the store sees them; adding a school that exists replaces its name and symbols, and keeps its
//! payee and commune/ward unless new ones are given; only `set-payee` removes a payee.

use std::fmt;

use chrono::{DateTime, Utc};
use hocphi_domain::{Actor, Label, PayeeId, School, SchoolId, Store, StoreError, Symbol};

use crate::text::{payee_line, text_problem};

/// Why a school could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum SchoolError {
    #[error("mã trường không hợp lệ (chữ không dấu, số, - và _, 2–32 ký tự): \"{0}\"")]
    Id(String),
    #[error("tên trường không hợp lệ: {0}")]
    Name(String),
    #[error("xã/phường không hợp lệ: {0}")]
    Commune(String),
    #[error("ký hiệu không hợp lệ (chữ không dấu, số, - và /, tối đa 20 ký tự): \"{0}\"")]
    Symbol(String),
    #[error("mã tài khoản nhận tiền không hợp lệ (chữ không dấu, số, - và _, 2–32 ký tự): \"{0}\"")]
    Payee(String),
    #[error("không có trường \"{0}\"; thêm trường bằng \"hocphi-admin school add\"")]
    NotFound(String),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// A school as an operator types it.
#[derive(Clone, Debug, Default)]
pub struct NewSchool {
    pub id: String,
    pub name: String,
    /// "Ký hiệu mẫu biên lai", e.g. `01BLP0-001`.
    pub template: String,
    /// "Ký hiệu biên lai", e.g. `HP-25E`.
    pub series: String,
    /// The payee its VietQR transfers go to, e.g. `BD-THCS-NGOQUYEN`; `None` keeps the payee of
    /// a school that exists (a new school has none).
    pub payee: Option<String>,
    /// The commune or ward ("xã/phường") it is in; `None` keeps the one a school that exists has.
    pub commune: Option<String>,
}

/// What `school add` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolAdded {
    pub school: School,
    /// True when a school with this id existed and was replaced.
    pub replaced: bool,
}

impl fmt::Display for SchoolAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.school;
        writeln!(
            f,
            "{} trường {} — {} (ký hiệu mẫu {}, ký hiệu {}).",
            if self.replaced {
                "Đã cập nhật"
            } else {
                "Đã thêm"
            },
            s.id,
            s.name,
            s.receipt_template,
            s.receipt_series
        )?;
        if let Some(commune) = &s.commune {
            writeln!(f, "Xã/phường: {commune}.")?;
        }
        writeln!(f, "{}", payee_line(s.payee.as_ref()))
    }
}

fn school_id(raw: &str) -> Result<SchoolId, SchoolError> {
    SchoolId::parse(raw).map_err(|_| SchoolError::Id(raw.to_owned()))
}

fn payee_id(raw: &str) -> Result<PayeeId, SchoolError> {
    PayeeId::parse(raw).map_err(|_| SchoolError::Payee(raw.to_owned()))
}

/// Adds or replaces a school.
pub async fn add<S: Store>(
    store: &S,
    new: &NewSchool,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<SchoolAdded, SchoolError> {
    let symbol = |raw: &str| Symbol::parse(raw).map_err(|_| SchoolError::Symbol(raw.to_owned()));
    let mut school = School {
        id: school_id(&new.id)?,
        name: Label::parse(&new.name)
            .map_err(|e| SchoolError::Name(text_problem(&e, "tên trường")))?,
        receipt_template: symbol(&new.template)?,
        receipt_series: symbol(&new.series)?,
        payee: new.payee.as_deref().map(payee_id).transpose()?,
        commune: new
            .commune
            .as_deref()
            .map(|raw| {
                Label::parse(raw).map_err(|e| SchoolError::Commune(text_problem(&e, "xã/phường")))
            })
            .transpose()?,
    };
    let existing = store.school(&school.id).await?;
    if school.payee.is_none() {
        school.payee = existing.as_ref().and_then(|s| s.payee.clone());
    }
    if school.commune.is_none() {
        school.commune = existing.as_ref().and_then(|s| s.commune.clone());
    }
    store.upsert_school(&school, now, by).await?;
    Ok(SchoolAdded {
        school,
        replaced: existing.is_some(),
    })
}

/// What `school set-payee` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayeeSet {
    pub school: School,
    /// The payee the school had before.
    pub previous: Option<PayeeId>,
}

impl fmt::Display for PayeeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.school;
        let what = match (&self.previous, &s.payee) {
            (before, after) if before == after => "Không đổi",
            (_, Some(_)) => "Đã đặt",
            (_, None) => "Đã bỏ",
        };
        writeln!(
            f,
            "{what} tài khoản nhận tiền của trường {} — {}.",
            s.id, s.name
        )?;
        writeln!(f, "{}", payee_line(s.payee.as_ref()))
    }
}

/// Names the payee a school's VietQR transfers go to (`None`: the school's students are not
/// offered a bank transfer). Payments already opened keep the payee they were opened with.
pub async fn set_payee<S: Store>(
    store: &S,
    id: &str,
    payee: Option<&str>,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<PayeeSet, SchoolError> {
    let id = school_id(id)?;
    let payee = payee.map(payee_id).transpose()?;
    let mut school = store
        .school(&id)
        .await?
        .ok_or_else(|| SchoolError::NotFound(id.to_string()))?;
    let previous = std::mem::replace(&mut school.payee, payee);
    if previous != school.payee {
        store.upsert_school(&school, now, by).await?;
    }
    Ok(PayeeSet { school, previous })
}
