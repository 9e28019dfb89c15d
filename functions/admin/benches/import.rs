//! Import throughput: a generated 100,000-row CSV (about 30,000 students, 2–4 items per invoice)
//! into a fresh SQLite store, then the same file again (everything unchanged), then a 100,000-row
//! file with the catalogue columns (item code, kind, quantity × unit price, checked against the
//! catalogue and its caps) into another fresh store; with `HOCPHI_DYNAMODB_ENDPOINT` set, a
//! 5,000-row file of each kind into a fresh DynamoDB table. Prints rows per second and the
//! process's peak resident memory (`VmHWM`). Figures are printed, never asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use hocphi_admin::import::{ImportOptions, ImportReport, import};
use hocphi_domain::{
    CatalogueItem, ItemCode, Label, LineKind, Money, School, SchoolId, Store, Symbol, Unit,
};
use hocphi_store::SqliteStore;
use hocphi_store::dynamodb::{DynamoStore, client, create_table};

const SCHOOLS: u64 = 12;
const ITEMS: [(&str, u64); 6] = [
    ("Học phí học kỳ 1", 1_500_000),
    ("Tiền ăn bán trú tháng 9", 650_000),
    ("Tiền học Tiếng Anh tăng cường", 300_000),
    ("Bảo hiểm y tế học sinh (12 tháng)", 1_263_600),
    ("Quỹ hoạt động lớp", 100_000),
    ("Tiền nước uống", 60_000),
];
/// A catalogue item's line: code, name, kind, unit, quantity (none: priced whole), unit price.
type PricedLine = (&'static str, &'static str, LineKind, Unit, Option<u32>, u64);

/// The lines of the file with the catalogue columns; each unit price is its item's cap.
const PRICED: [PricedLine; 6] = [
    (
        "HOCPHI",
        "Học phí học kỳ 1",
        LineKind::Tuition,
        Unit::Month,
        Some(4),
        375_000,
    ),
    (
        "BANTRU",
        "Tiền ăn bán trú tháng 9",
        LineKind::Service,
        Unit::Day,
        Some(21),
        25_000,
    ),
    (
        "CHAMSOC-BT",
        "Chăm sóc bán trú",
        LineKind::Service,
        Unit::Month,
        Some(1),
        150_000,
    ),
    (
        "BHYT",
        "Bảo hiểm y tế học sinh",
        LineKind::OnBehalf,
        Unit::Year,
        None,
        884_520,
    ),
    (
        "KHUYENHOC",
        "Ủng hộ quỹ khuyến học",
        LineKind::Voluntary,
        Unit::Item,
        None,
        50_000,
    ),
    (
        "NUOC",
        "Nước uống",
        LineKind::Service,
        Unit::Month,
        Some(1),
        15_000,
    ),
];

const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"];
const GIVEN: [&str; 8] = [
    "Văn An",
    "Thị Bình",
    "Minh Châu",
    "Quang Huy",
    "Bảo Ngọc",
    "Thanh Hà",
    "Đức Minh",
    "Thu Trang",
];

/// A small deterministic generator, so every run imports the same file.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn school(n: u64) -> String {
    format!("BD-THCS-{n:02}")
}

/// Writes `rows` rows: one invoice per student, then second invoices from the first student on,
/// until the file is full; each invoice has 2 to 4 items.
fn generate(path: &Path, rows: u64, students: u64, priced: bool) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    if priced {
        writeln!(out, "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Mã khoản,Nội dung,Số lượng,Đơn giá,Số tiền,Hạn nộp").unwrap();
    } else {
        writeln!(out, "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Nội dung,Số tiền,Hạn nộp,Tổng tiền").unwrap();
    }
    let mut mix = Mix(0x9e37_79b9_7f4a_7c15);
    let (mut written, mut invoice) = (0, 0u64);
    while written < rows {
        let student = invoice % students;
        let round = invoice / students;
        let items = (2 + mix.next() % 3).min(rows - written);
        let name = format!(
            "{} {}",
            FAMILY[(student % 8) as usize],
            GIVEN[((student / 8) % 8) as usize]
        );
        let class = format!("{}A{}", 6 + student % 4, 1 + (student / 4) % 6);
        let term = if round == 0 {
            "Học kỳ 1"
        } else {
            "Học kỳ 2"
        };
        let first = (mix.next() % 3) as usize;
        for k in 0..items {
            if priced {
                let (code, item, _, _, quantity, price) = PRICED[first + k as usize];
                let (quantity, price, amount) = match quantity {
                    Some(q) => (q.to_string(), grouped(price), String::new()),
                    None => (String::new(), String::new(), grouped(price)),
                };
                writeln!(
                    out,
                    "{},{:010},{name},{class},2026-2027,{term},HD-{round}-{invoice:07},{code},{item},{quantity},{price},{amount},15/10/2026",
                    school(student % SCHOOLS),
                    5_200_000_000 + student,
                )
                .unwrap();
                continue;
            }
            let (item, amount) = ITEMS[first + k as usize];
            writeln!(
                out,
                "{},{:010},{name},{class},2025-2026,{term},HD-{round}-{invoice:07},{item},{},15/10/2025,",
                school(student % SCHOOLS),
                5_200_000_000 + student,
                grouped(amount)
            )
            .unwrap();
        }
        written += items;
        invoice += 1;
    }
    out.flush().unwrap();
}

fn grouped(vnd: u64) -> String {
    let digits = vnd.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    grouped
}

async fn add_schools<S: Store>(store: &S) {
    for n in 0..SCHOOLS {
        store
            .upsert_school(
                &School {
                    id: SchoolId::parse(&school(n)).unwrap(),
                    name: Label::parse(&format!("Trường THCS số {n}")).unwrap(),
                    receipt_template: Symbol::parse("01BLP0-001").unwrap(),
                    receipt_series: Symbol::parse(&format!("S{n:02}-25E")).unwrap(),
                    payee: None,
                    commune: None,
                },
                chrono::Utc::now(),
                &hocphi_domain::Actor::operator(Label::parse("bench").unwrap()),
            )
            .await
            .unwrap();
    }
}

async fn add_catalogue<S: Store>(store: &S) {
    for (code, name, kind, unit, _, price) in PRICED {
        store
            .upsert_catalogue_item(
                &CatalogueItem {
                    code: ItemCode::parse(code).unwrap(),
                    name: Label::parse(name).unwrap(),
                    kind,
                    unit,
                    cap: Some(Money::from_vnd(price).unwrap()),
                    beneficiary: (kind == LineKind::OnBehalf)
                        .then(|| Label::parse("Bảo hiểm xã hội tỉnh Gia Lai").unwrap()),
                    school: None,
                },
                chrono::Utc::now(),
                &hocphi_domain::Actor::operator(Label::parse("bench").unwrap()),
            )
            .await
            .unwrap();
    }
}

/// Resets the peak resident set size, so each figure is that import's own peak.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn timed<S: Store>(
    label: &str,
    store: &S,
    file: &Path,
    dir: &Path,
    rows: u64,
) -> ImportReport {
    let options = ImportOptions {
        file: file.to_owned(),
        dry_run: false,
        skip_invalid: false,
        codes_out: None,
        codes_dir: dir.to_owned(),
        progress: false,
        now: Utc.with_ymd_and_hms(2025, 9, 1, 3, 0, 0).unwrap(),
        lookup_key: Some(hocphi_fixtures::lookup_key()),
        by: hocphi_domain::Actor::operator(Label::parse("ketoan01").unwrap()),
    };
    reset_peak_memory();
    let started = Instant::now();
    let report = import(store, &options).await.unwrap();
    let millis = started.elapsed().as_millis().max(1);
    assert!(report.problems.is_empty(), "{report}");
    println!(
        "{label}: {rows} rows, {} invoices, {} new students in {}.{} s = {} rows/s; peak memory (VmHWM) {} MiB",
        report.invoices_in_file,
        report.students_new,
        millis / 1000,
        (millis % 1000) / 100,
        u128::from(rows) * 1000 / millis,
        peak_memory_kib().map_or(0, |k| k / 1024)
    );
    report
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hoc-phi-100k.csv");
        generate(&file, 100_000, 30_000, false);
        println!(
            "generated {} ({} MiB); peak memory before importing {} MiB",
            file.display(),
            std::fs::metadata(&file).unwrap().len() / (1024 * 1024),
            peak_memory_kib().map_or(0, |k| k / 1024)
        );
        let store = SqliteStore::open(dir.path().join("hocphi.db")).unwrap();
        add_schools(&store).await;
        let first = timed("SQLite, fresh store", &store, &file, dir.path(), 100_000).await;
        assert_eq!(first.invoices.created, first.invoices_in_file);
        let again = timed(
            "SQLite, same file again",
            &store,
            &file,
            dir.path(),
            100_000,
        )
        .await;
        assert_eq!(again.invoices.unchanged, again.invoices_in_file);
        let priced = dir.path().join("hoc-phi-2026-100k.csv");
        generate(&priced, 100_000, 30_000, true);
        let store = SqliteStore::open(dir.path().join("hocphi-2026.db")).unwrap();
        add_schools(&store).await;
        add_catalogue(&store).await;
        let first = timed(
            "SQLite, catalogue columns, fresh store",
            &store,
            &priced,
            dir.path(),
            100_000,
        )
        .await;
        assert_eq!(first.invoices.created, first.invoices_in_file);

        match std::env::var("HOCPHI_DYNAMODB_ENDPOINT") {
            Ok(endpoint) => {
                let small = dir.path().join("hoc-phi-5k.csv");
                generate(&small, 5_000, 1_500, false);
                let client = client(Some(&endpoint)).await;
                let table = format!("hocphi-admin-bench-{}", std::process::id());
                create_table(&client, &table).await.unwrap();
                let store = DynamoStore::new(client.clone(), table);
                add_schools(&store).await;
                timed(
                    "DynamoDB (moto), fresh table",
                    &store,
                    &small,
                    dir.path(),
                    5_000,
                )
                .await;
                let small = dir.path().join("hoc-phi-2026-5k.csv");
                generate(&small, 5_000, 1_500, true);
                let table = format!("hocphi-admin-bench-2026-{}", std::process::id());
                create_table(&client, &table).await.unwrap();
                let store = DynamoStore::new(client, table);
                add_schools(&store).await;
                add_catalogue(&store).await;
                timed(
                    "DynamoDB (moto), catalogue columns, fresh table",
                    &store,
                    &small,
                    dir.path(),
                    5_000,
                )
                .await;
            }
            Err(_) => println!(
                "DynamoDB: skipped (set HOCPHI_DYNAMODB_ENDPOINT, as `cargo xtask test` does)"
            ),
        }
    });
}
