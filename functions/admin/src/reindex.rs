//! `store reindex`: the index attributes of DynamoDB items an earlier version wrote, brought up
//! to date so the Department's report and a privacy export find them.
//!
//! The work is the store's ([`DynamoStore::reindex`]: conditioned on each item's body, a second
//! run updates nothing); this module draws its progress on stderr and prints the summary. A
//! SQLite store has nothing to do: its schema migrations already indexed old rows when the file
//! was opened.

use std::fmt;
use std::future::Future;

use hocphi_domain::StoreError;
use hocphi_store::SqliteStore;
use hocphi_store::dynamodb::{DynamoStore, IndexedKind, ReindexReport};

use crate::progress::Progress;
use crate::text::group_digits;

/// What `store reindex` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reindexed {
    /// A SQLite store: nothing to do.
    Sqlite,
    /// A DynamoDB table, scanned.
    Dynamo(ReindexReport),
}

impl Reindexed {
    /// Items changed by someone else while the command ran, left for a rerun.
    pub fn skipped(&self) -> u64 {
        match self {
            Self::Sqlite => 0,
            Self::Dynamo(report) => report.skipped(),
        }
    }
}

/// A store `store reindex` runs on.
pub trait Reindex {
    /// Brings every item's index attributes up to date (a dry run only counts), with a progress
    /// bar on stderr when `progress` and stderr is a terminal.
    fn reindex(
        &self,
        dry_run: bool,
        progress: bool,
    ) -> impl Future<Output = Result<Reindexed, StoreError>> + Send;
}

impl Reindex for SqliteStore {
    async fn reindex(&self, _dry_run: bool, _progress: bool) -> Result<Reindexed, StoreError> {
        Ok(Reindexed::Sqlite)
    }
}

impl Reindex for DynamoStore {
    async fn reindex(&self, dry_run: bool, progress: bool) -> Result<Reindexed, StoreError> {
        let mut bar = None;
        let report = DynamoStore::reindex(self, dry_run, |at| {
            let bar = bar.get_or_insert_with(|| {
                Progress::items(progress, at.estimate.filter(|n| *n > 0), "Đọc bảng")
            });
            bar.set(at.report.read);
        })
        .await;
        if let Some(bar) = bar {
            bar.finish();
        }
        Ok(Reindexed::Dynamo(report?))
    }
}

fn label(kind: IndexedKind) -> &'static str {
    match kind {
        IndexedKind::School => "Trường",
        IndexedKind::Invoice => "Khoản thu",
        IndexedKind::Payment => "Giao dịch thanh toán",
        IndexedKind::Receipt => "Biên lai",
    }
}

impl fmt::Display for Reindexed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = match self {
            Self::Sqlite => {
                return writeln!(
                    f,
                    "Kho SQLite không cần lập lại chỉ mục: các bước nâng cấp cơ sở dữ liệu đã làm \
                     việc này khi mở tệp."
                );
            }
            Self::Dynamo(report) => report,
        };
        if report.dry_run {
            writeln!(f, "Chạy thử (--dry-run): không ghi gì. Nếu chạy thật thì:")?;
        }
        writeln!(f, "Đã đọc {} mục của bảng.", group_digits(report.read))?;
        let updated = if report.dry_run {
            "cần cập nhật chỉ mục"
        } else {
            "đã cập nhật chỉ mục"
        };
        for kind in IndexedKind::ALL {
            let counts = report.of(kind);
            write!(
                f,
                "  {}: {} mục, {updated} {}",
                label(kind),
                group_digits(counts.scanned),
                group_digits(counts.updated)
            )?;
            if counts.skipped > 0 {
                write!(f, ", bỏ qua {}", group_digits(counts.skipped))?;
            }
            writeln!(f)?;
        }
        if report.updated() == 0 && report.skipped() == 0 {
            writeln!(f, "Chỉ mục đã đầy đủ: không có gì phải cập nhật.")?;
        } else if report.dry_run {
            writeln!(f, "Chạy lại không có --dry-run để cập nhật.")?;
        }
        if report.skipped() > 0 {
            writeln!(
                f,
                "{} mục thay đổi trong lúc chạy nên chưa cập nhật; chạy lại lệnh để cập nhật chúng.",
                group_digits(report.skipped())
            )?;
        }
        Ok(())
    }
}
