//! `rekey-lookups`: every lookup digest stored before digests were keyed, made keyed without its
//! code and without a new code for any parent.
//!
//! An unkeyed digest (SHA-256 of the student and code) becomes HMAC-SHA256 of that digest under
//! the province's lookup key (`LookupDigest::rewrapped`), which still admits the same code and
//! which a copy of the store cannot check without the key. Invariants: each replacement is
//! conditional on the digest read (a look-up that re-keyed the student meanwhile wins); keyed
//! digests are left alone, so running the command again changes nothing; a dry run writes
//! nothing.

use std::fmt;

use chrono::{DateTime, Utc};
use hocphi_domain::{Actor, LookupKey, Store, StoreError};

use crate::text::group_digits;

/// Students read per page.
const PAGE: usize = 200;

/// What `rekey-lookups` found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RekeyReport {
    pub dry_run: bool,
    /// Students read.
    pub students: u64,
    /// Unkeyed digests made keyed (or, in a dry run, that would be).
    pub rekeyed: u64,
    /// Digests that were keyed already.
    pub keyed: u64,
    /// Unkeyed digests that changed while the command ran (a parent's look-up re-keyed them).
    pub changed_meanwhile: u64,
}

/// Re-keys every unkeyed lookup digest in `store` under `key`.
pub async fn rekey<S: Store>(
    store: &S,
    key: &LookupKey,
    dry_run: bool,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<RekeyReport, StoreError> {
    let mut report = RekeyReport {
        dry_run,
        ..RekeyReport::default()
    };
    let mut from = None;
    loop {
        let page = store.students(from.as_ref(), PAGE).await?;
        for student in page.students {
            report.students += 1;
            let Some(keyed) = student.lookup.rewrapped(key) else {
                report.keyed += 1;
                continue;
            };
            if dry_run
                || store
                    .rekey_lookup(&student.code, &student.lookup, &keyed, now, by)
                    .await?
            {
                report.rekeyed += 1;
            } else {
                report.changed_meanwhile += 1;
            }
        }
        match page.next {
            Some(next) => from = Some(next),
            None => return Ok(report),
        }
    }
}

impl fmt::Display for RekeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(f, "Chạy thử (--dry-run): không ghi gì. Nếu chạy thật thì:")?;
        }
        writeln!(
            f,
            "Đã đọc {} học sinh: {} mã tra cứu chuyển sang dạng có khoá, {} đã có khoá từ trước.",
            group_digits(self.students),
            group_digits(self.rekeyed),
            group_digits(self.keyed)
        )?;
        if self.changed_meanwhile > 0 {
            writeln!(
                f,
                "{} mã đã được đổi trong lúc chạy (phụ huynh vừa tra cứu); chạy lại lệnh để kiểm tra.",
                group_digits(self.changed_meanwhile)
            )?;
        }
        Ok(())
    }
}
