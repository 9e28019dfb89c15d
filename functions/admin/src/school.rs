//! `school add`: the schools invoices are imported for, with the symbols printed on their receipts.
//!
//! Invariant: a school's fields are parsed (id, name, template and series symbols) before the
//! store sees them; adding a school that exists replaces its name and symbols.

use std::fmt;

use hocphi_domain::{Label, School, SchoolId, Store, StoreError, Symbol};

use crate::text::text_problem;

/// Why a school could not be added.
#[derive(Debug, thiserror::Error)]
pub enum SchoolError {
    #[error("mã trường không hợp lệ (chữ không dấu, số, - và _, 2–32 ký tự): \"{0}\"")]
    Id(String),
    #[error("tên trường không hợp lệ: {0}")]
    Name(String),
    #[error("ký hiệu không hợp lệ (chữ không dấu, số, - và /, tối đa 20 ký tự): \"{0}\"")]
    Symbol(String),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// A school as an operator types it.
#[derive(Clone, Debug)]
pub struct NewSchool {
    pub id: String,
    pub name: String,
    /// "Ký hiệu mẫu biên lai", e.g. `01BLP0-001`.
    pub template: String,
    /// "Ký hiệu biên lai", e.g. `HP-25E`.
    pub series: String,
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
        )
    }
}

/// Adds or replaces a school.
pub async fn add<S: Store>(store: &S, new: &NewSchool) -> Result<SchoolAdded, SchoolError> {
    let symbol = |raw: &str| Symbol::parse(raw).map_err(|_| SchoolError::Symbol(raw.to_owned()));
    let school = School {
        id: SchoolId::parse(&new.id).map_err(|_| SchoolError::Id(new.id.clone()))?,
        name: Label::parse(&new.name)
            .map_err(|e| SchoolError::Name(text_problem(&e, "tên trường")))?,
        receipt_template: symbol(&new.template)?,
        receipt_series: symbol(&new.series)?,
        payee: None,
    };
    let replaced = store.school(&school.id).await?.is_some();
    store.upsert_school(&school).await?;
    Ok(SchoolAdded { school, replaced })
}
