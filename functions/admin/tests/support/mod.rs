//! Shared arrangements for the admin tests: a fresh SQLite store in a temporary folder, the two
//! demo schools, import files, and payments driven through the store port.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use hocphi_admin::import::{ImportOptions, ImportReport, import};
use hocphi_domain::{
    GatewayEvent, GatewayKind, GatewayTxnNo, InvoiceId, Money, Payment, PaymentRef, ReceiptToken,
    School, Settled, Store, Symbol,
};
use hocphi_store::SqliteStore;
use tempfile::TempDir;

/// 2025-09-01 10:00 in Vietnam.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 9, 1, 3, 0, 0).unwrap()
}

/// A Vietnamese wall-clock time as UTC.
pub fn vn(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(7)
}

pub const HEADER: &str = "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Nội dung,Số tiền,Hạn nộp,Tổng tiền";

pub const NQ: &str = "BD-THCS-NGOQUYEN";
pub const LL: &str = "BD-TH-LELOI";

/// A temporary folder with a fresh SQLite store in it.
pub struct Env {
    pub dir: TempDir,
    pub store: SqliteStore,
}

impl Env {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("hocphi.db")).unwrap();
        add_schools(&store).await;
        Self { dir, store }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.path("hocphi.db")
    }

    /// Writes an import file made of `HEADER` and `rows`.
    pub fn csv(&self, name: &str, rows: &[&str]) -> PathBuf {
        let mut text = String::from(HEADER);
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.push('\n');
        self.file(name, text.as_bytes())
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub fn options(&self, file: &Path) -> ImportOptions {
        options(file, self.dir.path())
    }

    pub async fn import(&self, file: &Path) -> ImportReport {
        import(&self.store, &self.options(file)).await.unwrap()
    }
}

pub fn options(file: &Path, dir: &Path) -> ImportOptions {
    ImportOptions {
        file: file.to_owned(),
        dry_run: false,
        skip_invalid: false,
        codes_out: None,
        codes_dir: dir.to_owned(),
        progress: false,
        now: now(),
        lookup_key: Some(hocphi_fixtures::lookup_key()),
        by: operator(),
    }
}

pub async fn add_schools<S: Store>(store: &S) {
    for (id, name, series) in [
        (NQ, "Trường THCS Ngô Quyền", "NQ-25E"),
        (LL, "Trường Tiểu học Lê Lợi", "LL-25E"),
    ] {
        store
            .upsert_school(
                &School {
                    receipt_series: Symbol::parse(series).unwrap(),
                    payee: None,
                    ..hocphi_fixtures::school(id, name)
                },
                now(),
                &operator(),
            )
            .await
            .unwrap();
    }
}

/// A row of the import file at the Ngô Quyền school.
pub fn row(student: &str, name: &str, invoice: &str, item: &str, amount: &str) -> String {
    format!("{NQ},{student},{name},6A1,2025-2026,Học kỳ 1,{invoice},{item},{amount},15/10/2025,")
}

/// Opens a Pending VNPay payment for `invoices`, live for `minutes`.
/// Two good rows: invoice NQ-0001 of HS0001, 1.500.000 + 650.000.
pub fn nq_0001() -> [String; 2] {
    [
        row(
            "HS0001",
            "Nguyễn Văn An",
            "NQ-0001",
            "Học phí học kỳ 1",
            "1.500.000",
        ),
        row(
            "HS0001",
            "Nguyễn Văn An",
            "NQ-0001",
            "Tiền ăn tháng 9",
            "650.000",
        ),
    ]
}

pub async fn open_payment<S: Store>(
    store: &S,
    invoices: &[&str],
    reference: &str,
    at: DateTime<Utc>,
    minutes: i64,
) -> Payment {
    let mut list = Vec::new();
    for id in invoices {
        list.push(
            store
                .invoice(&InvoiceId::parse(id).unwrap())
                .await
                .unwrap()
                .expect("the invoice exists"),
        );
    }
    let payment = Payment::open(
        PaymentRef::parse(reference).unwrap(),
        &list,
        &[],
        GatewayKind::Vnpay,
        at,
        Duration::minutes(minutes),
    )
    .unwrap();
    store
        .create_payment(&payment, at, &hocphi_domain::Actor::Parent)
        .await
        .unwrap();
    payment
}

/// Applies a verified VNPay capture of `vnd` to a payment.
pub async fn capture<S: Store>(
    store: &S,
    reference: &str,
    txn: &str,
    vnd: u64,
    at: DateTime<Utc>,
) -> Settled {
    capture_on(
        store,
        hocphi_domain::GatewayKind::Vnpay,
        reference,
        txn,
        vnd,
        at,
    )
    .await
}

/// Applies a verified capture of `vnd` through `channel` to a payment (payOS: one transfer, as
/// its webhook reports it).
pub async fn capture_on<S: Store>(
    store: &S,
    channel: hocphi_domain::GatewayKind,
    reference: &str,
    txn: &str,
    vnd: u64,
    at: DateTime<Utc>,
) -> Settled {
    store
        .settle(
            &PaymentRef::parse(reference).unwrap(),
            channel,
            &GatewayEvent::Paid {
                txn: GatewayTxnNo::parse(txn).unwrap(),
                amount: Money::from_vnd(vnd).unwrap(),
            },
            at,
            &ReceiptToken::from_entropy([7; 16]),
            &hocphi_domain::Actor::Channel { gateway: channel },
        )
        .await
        .unwrap()
}

/// Opens and captures a payment: its invoices become Paid and a receipt is issued at `at`.
pub async fn pay<S: Store>(
    store: &S,
    invoices: &[&str],
    reference: &str,
    txn: &str,
    at: DateTime<Utc>,
) -> Payment {
    let payment = open_payment(store, invoices, reference, at - Duration::minutes(2), 15).await;
    let settled = capture(store, reference, txn, payment.amount.vnd(), at).await;
    assert!(matches!(settled, Settled::Applied(_)), "{settled:?}");
    payment
}

/// The lines of a CSV file without its BOM.
pub fn lines(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.strip_prefix('\u{feff}')
        .expect("a BOM first")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A partner's confirmation of transaction `txn`, `vnd` for `invoices`, stored as the partner
/// API stores it ([`Payment::captured`] and [`Store::record_capture`]).
pub async fn confirm<S: Store>(
    store: &S,
    partner: &str,
    txn: &str,
    invoices: &[&str],
    vnd: u64,
    at: DateTime<Utc>,
) -> Settled {
    let mut list = Vec::new();
    for id in invoices {
        list.push(
            store
                .invoice(&InvoiceId::parse(id).unwrap())
                .await
                .unwrap()
                .expect("the invoice exists"),
        );
    }
    let partner = hocphi_domain::PartnerId::parse(partner).unwrap();
    let txn = GatewayTxnNo::parse(txn).unwrap();
    let payment = Payment::captured(&partner, &txn, &list, at).unwrap();
    store
        .record_capture(
            &payment,
            &GatewayEvent::Paid {
                txn,
                amount: Money::from_vnd(vnd).unwrap(),
            },
            at,
            &ReceiptToken::from_entropy([9; 16]),
            &hocphi_domain::Actor::Partner {
                partner: partner.clone(),
            },
        )
        .await
        .unwrap()
}

/// The operator the tests act as.
pub fn operator() -> hocphi_domain::Actor {
    hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap())
}
