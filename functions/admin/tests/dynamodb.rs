//! The import, reconcile, report, notices and `store reindex` happy paths (a channel's file and a partner's) against DynamoDB's
//! API, served by moto.
//!
//! `cargo xtask test` starts moto and passes its address in `HOCPHI_DYNAMODB_ENDPOINT` (with test
//! credentials and a region). Each test gets a fresh table. Without the variable the tests are
//! reported ignored, or fail where DynamoDB is required (`cargo xtask test`, CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hocphi_admin::cli::{Command, Exit, StoreCommand, execute};
use hocphi_admin::import::catalogue::{self, CatalogueOptions};
use hocphi_admin::import::import;
use hocphi_admin::reconcile::{Category, ReconcileOptions, reconcile};
use hocphi_domain::{GatewayKind, InvoiceId, InvoiceStatus, LookupCode, Store, StudentCode};
use hocphi_fixtures::{dynamodb, harness};
use hocphi_store::dynamodb::{DynamoStore, client, create_table};
use support::{add_schools, confirm, options, pay, vn};

async fn fresh() -> (DynamoStore, String) {
    let client = client(Some(&dynamodb::endpoint())).await;
    let table = dynamodb::table_name("admin");
    create_table(&client, &table)
        .await
        .expect("the table is created");
    let store = DynamoStore::new(client, table.clone());
    add_schools(&store).await;
    (store, table)
}

fn sample() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hoc-phi-mau.csv")
}

fn main() {
    let skip = dynamodb::skip_reason();
    let trials = vec![
        harness::trial(
            "the_sample_imports_into_dynamodb_once_and_then_changes_nothing",
            skip.as_deref(),
            the_sample_imports_into_dynamodb_once_and_then_changes_nothing,
        ),
        harness::trial(
            "the_catalogue_and_the_2026_sample_import_into_dynamodb_and_a_line_over_the_cap_is_refused",
            skip.as_deref(),
            the_catalogue_and_the_2026_sample_import_into_dynamodb_and_a_line_over_the_cap_is_refused,
        ),
        harness::trial(
            "a_matching_vnpay_file_reconciles_cleanly_against_dynamodb",
            skip.as_deref(),
            a_matching_vnpay_file_reconciles_cleanly_against_dynamodb,
        ),
        harness::trial(
            "a_partners_daily_file_reconciles_against_dynamodb",
            skip.as_deref(),
            a_partners_daily_file_reconciles_against_dynamodb,
        ),
        harness::trial(
            "the_report_and_the_notices_read_dynamodb_through_its_indexes",
            skip.as_deref(),
            the_report_and_the_notices_read_dynamodb_through_its_indexes,
        ),
        harness::trial(
            "store_reindex_indexes_what_an_earlier_version_wrote_and_then_finds_nothing_to_do",
            skip.as_deref(),
            store_reindex_indexes_what_an_earlier_version_wrote_and_then_finds_nothing_to_do,
        ),
    ];
    harness::run(trials, skip.as_deref())
}

async fn the_sample_imports_into_dynamodb_once_and_then_changes_nothing() {
    // Arrange
    let (store, _) = fresh().await;
    let dir = tempfile::tempdir().unwrap();

    // Act
    let first = import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();
    let again = import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();

    // Assert
    assert!(first.problems.is_empty(), "{first}");
    assert_eq!(
        (first.invoices.created, first.students_new),
        (5, 4),
        "{first}"
    );
    assert_eq!(
        (again.invoices.unchanged, again.students_unchanged),
        (5, 4),
        "{again}"
    );
    let codes = support::lines(&first.codes_file.unwrap());
    assert_eq!(codes.len(), 5);
    for line in &codes[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        let code = StudentCode::parse(cells[1]).unwrap();
        let stored = store.student(&code).await.unwrap().unwrap();
        let typed = LookupCode::parse(cells[4]).unwrap();
        assert!(
            stored
                .lookup
                .admits(&code, &typed, &hocphi_fixtures::lookup_key()),
            "{line}"
        );
    }
    let invoice = store
        .invoice(&InvoiceId::parse("NQ-2526-HK1-0102").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invoice.total().vnd(), 2_450_000);
}

async fn the_catalogue_and_the_2026_sample_import_into_dynamodb_and_a_line_over_the_cap_is_refused()
{
    // Arrange
    let (store, _) = fresh().await;
    store
        .upsert_school(
            &hocphi_domain::School {
                payee: None,
                ..hocphi_fixtures::school("GL-THCS-DTHOANG", "Trường THCS tư thục Đinh Tiên Hoàng")
            },
            vn(2026, 9, 1, 8, 0),
            &support::operator(),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let catalogue = CatalogueOptions {
        file: samples.join("danh-muc-mau.csv"),
        dry_run: false,
        progress: false,
        now: vn(2026, 9, 1, 8, 0),
        by: support::operator(),
    };
    let over_cap = dir.path().join("vuot-tran.csv");
    std::fs::write(
        &over_cap,
        "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Mã khoản,Nội dung,Số lượng,Đơn giá,Số tiền,Hạn nộp\n\
         BD-TH-LELOI,HS0099,Lê Văn Tâm,2C,2026-2027,Tháng 9/2026,LL-0099,BANTRU,Tiền ăn,21,30.000,,30/09/2026\n",
    )
    .unwrap();

    // Act
    let first = catalogue::import(&store, &catalogue).await.unwrap();
    let again = catalogue::import(&store, &catalogue).await.unwrap();
    let invoices = import(
        &store,
        &options(&samples.join("hoc-phi-2026-mau.csv"), dir.path()),
    )
    .await
    .unwrap();
    let refused = import(&store, &options(&over_cap, dir.path()))
        .await
        .unwrap();

    // Assert
    assert_eq!((first.created, again.unchanged), (7, 7), "{first}{again}");
    assert_eq!(store.catalogue().await.unwrap().len(), 7);
    assert!(invoices.problems.is_empty(), "{invoices}");
    assert_eq!(invoices.invoices.created, 4, "{invoices}");
    let private = store
        .invoice(&InvoiceId::parse("DTH-2627-HK1-0001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(private.total().vnd(), 3_000_000);
    let problems: Vec<String> = refused.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "Dòng 2, cột \"Đơn giá\": 30.000\u{a0}₫ vượt mức trần 25.000\u{a0}₫/ngày của khoản BANTRU"
        ]
    );
}

async fn a_matching_vnpay_file_reconciles_cleanly_against_dynamodb() {
    // Arrange
    let (store, table) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();
    pay(
        &store,
        &["NQ-2526-HK1-0101"],
        "HPDDB1",
        "3001",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    let file = dir.path().join("vnpay.csv");
    std::fs::write(
        &file,
        "Mã GD merchant,Mã GD VNPAY,Số tiền,Trạng thái,Ngày thanh toán\n\
         HPDDB1,3001,2.150.000,Thành công,10/09/2025 09:00:04\n",
    )
    .unwrap();

    // Act
    let report = reconcile(
        &store,
        &ReconcileOptions {
            gateway: GatewayKind::Vnpay,
            partner: None,
            file: file.clone(),
            school: None,
            from: None,
            to: None,
        },
    )
    .await
    .unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args([
            "--store",
            &format!("dynamodb:{table}"),
            "reconcile",
            "--gateway",
            "vnpay",
        ])
        .arg(&file)
        .output()
        .unwrap();

    // Assert
    assert_eq!(report.of(Category::Matched).count(), 1, "{report}");
    assert!(!report.needs_attention(), "{report}");
    assert_eq!(
        cli.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr)
    );
    let paid = store
        .invoice(&InvoiceId::parse("NQ-2526-HK1-0101").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.status, InvoiceStatus::Paid);
}

async fn a_partners_daily_file_reconciles_against_dynamodb() {
    // Arrange
    let (store, table) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();
    let at = vn(2025, 9, 10, 9, 0);
    let paid = confirm(
        &store,
        "BANKDEMO",
        "FT1",
        &["NQ-2526-HK1-0101"],
        2_150_000,
        at,
    )
    .await;
    confirm(
        &store,
        "BANKDEMO",
        "FT2",
        &["NQ-2526-HK1-0102"],
        2_450_000,
        at,
    )
    .await;
    confirm(
        &store,
        "OTHERBANK",
        "FT3",
        &["NQ-2526-BHYT-0103"],
        1_263_600,
        at,
    )
    .await;
    let file = dir.path().join("bank.csv");
    std::fs::write(
        &file,
        "Mã giao dịch,Số tiền,Thời gian\n\
         FT1,2.150.000,10/09/2025 09:00:04\n\
         FT9,100.000,10/09/2025 10:00:00\n",
    )
    .unwrap();

    // Act
    let report = reconcile(
        &store,
        &ReconcileOptions {
            gateway: GatewayKind::Partner,
            partner: Some("BANKDEMO".to_owned()),
            file: file.clone(),
            school: None,
            from: None,
            to: None,
        },
    )
    .await
    .unwrap();
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args([
            "--store",
            &format!("dynamodb:{table}"),
            "reconcile",
            "--partner",
            "BANKDEMO",
        ])
        .arg(&file)
        .output()
        .unwrap();

    // Assert
    assert!(
        matches!(paid, hocphi_domain::Settled::Applied(_)),
        "{paid:?}"
    );
    let txns = |category| -> Vec<String> {
        report
            .of(category)
            .filter_map(|e| e.gateway_txn.clone())
            .collect()
    };
    assert_eq!(txns(Category::Matched), ["FT1"], "{report}");
    assert_eq!(txns(Category::PaidUnknown), ["FT9"], "{report}");
    assert_eq!(
        txns(Category::MissingAtGateway),
        ["FT2"],
        "not the other partner's FT3: {report}"
    );
    assert_eq!(
        cli.status.code(),
        Some(3),
        "{}{}",
        String::from_utf8_lossy(&cli.stdout),
        String::from_utf8_lossy(&cli.stderr)
    );
}

async fn the_report_and_the_notices_read_dynamodb_through_its_indexes() {
    // Arrange
    let (store, _) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();
    pay(
        &store,
        &["NQ-2526-HK1-0101"],
        "HPDDB3",
        "3003",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2025, m, d).unwrap();

    // Act
    let written = hocphi_admin::report::report(
        &store,
        &hocphi_admin::report::ReportOptions {
            from: day(10, 1),
            to: day(10, 31),
            school: None,
            out: dir.path().join("bao-cao.xlsx"),
            now: vn(2025, 11, 1, 8, 0),
        },
    )
    .await
    .unwrap();
    let notices = hocphi_admin::notices::notices(
        &store,
        &hocphi_admin::notices::NoticeOptions {
            school: "BD-THCS-NGOQUYEN".into(),
            class: None,
            out: dir.path().join("giay-bao.html"),
            layout: hocphi_admin::notices::Layout::A5,
            codes: None,
            site: "https://hocphi.gialai.edu.vn".into(),
            payment_codes: None,
            printed: day(9, 1),
        },
    )
    .await
    .unwrap();

    // Assert
    assert_eq!(written.schools, 2);
    let f = written.figures;
    assert_eq!((f.invoices, f.invoiced), (5, 8_483_600));
    assert_eq!((f.collected, f.outstanding), (2_150_000, 6_333_600));
    assert_eq!(
        (notices.notices, notices.invoices),
        (2, 3),
        "the paid invoice is not noticed"
    );
}

/// Removes every index attribute of the schools, invoices, payments and receipts, as an earlier
/// version would have left them; how many of each kind (by sort key) were stripped.
async fn strip_indexes(table: &str) -> std::collections::BTreeMap<String, u64> {
    let client = client(Some(&dynamodb::endpoint())).await;
    let mut stripped = std::collections::BTreeMap::new();
    let output = client
        .scan()
        .table_name(table)
        .projection_expression("PK, SK")
        .send()
        .await
        .unwrap();
    assert!(output.last_evaluated_key.is_none(), "one page");
    for item in output.items.unwrap() {
        let sk = item["SK"].as_s().unwrap().clone();
        if !["SCHOOL", "INVOICE", "PAYMENT", "RECEIPT"].contains(&sk.as_str()) {
            continue;
        }
        client
            .update_item()
            .table_name(table)
            .set_key(Some(item))
            .update_expression("REMOVE GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK")
            .send()
            .await
            .unwrap();
        *stripped.entry(sk).or_default() += 1;
    }
    stripped
}

async fn store_reindex_indexes_what_an_earlier_version_wrote_and_then_finds_nothing_to_do() {
    // Arrange
    let (store, table) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    import(&store, &options(&sample(), dir.path()))
        .await
        .unwrap();
    pay(
        &store,
        &["NQ-2526-HK1-0101"],
        "HPDDB4",
        "3004",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    let stripped = strip_indexes(&table).await;
    let reindex = |dry_run| Command::Store(StoreCommand::Reindex { dry_run });
    let run = |command| {
        let store = store.clone();
        async move {
            let mut out = Vec::new();
            let exit = execute(
                &store,
                command,
                vn(2025, 11, 1, 8, 0),
                &support::operator(),
                None,
                &mut out,
            )
            .await
            .unwrap();
            (exit, String::from_utf8(out).unwrap())
        }
    };

    // Act
    let schools_before = store.schools().await.unwrap().len();
    let dry = run(reindex(true)).await;
    let first = run(reindex(false)).await;
    let again = run(reindex(false)).await;

    // Assert
    assert_eq!(schools_before, 0, "the stripped schools are missed");
    assert_eq!(store.schools().await.unwrap().len(), 2);
    let n = |sk: &str| stripped[sk];
    let lines = |updated: &str, counted: bool| {
        [
            ("Trường", "SCHOOL"),
            ("Khoản thu", "INVOICE"),
            ("Giao dịch thanh toán", "PAYMENT"),
            ("Biên lai", "RECEIPT"),
        ]
        .map(|(label, sk)| {
            let done = if counted { n(sk) } else { 0 };
            format!("  {label}: {} mục, {updated} {done}\n", n(sk))
        })
    };
    assert_eq!(
        (n("SCHOOL"), n("INVOICE"), n("PAYMENT"), n("RECEIPT")),
        (2, 5, 1, 1)
    );
    assert_eq!(dry.0, Exit::Done);
    assert!(
        dry.1.starts_with("Chạy thử (--dry-run): không ghi gì."),
        "{}",
        dry.1
    );
    for line in lines("cần cập nhật chỉ mục", true) {
        assert!(dry.1.contains(&line), "{line:?} in {}", dry.1);
    }
    assert_eq!(first.0, Exit::Done);
    for line in lines("đã cập nhật chỉ mục", true) {
        assert!(first.1.contains(&line), "{line:?} in {}", first.1);
    }
    assert_eq!(again.0, Exit::Done);
    for line in lines("đã cập nhật chỉ mục", false) {
        assert!(again.1.contains(&line), "{line:?} in {}", again.1);
    }
    assert!(
        again
            .1
            .ends_with("Chỉ mục đã đầy đủ: không có gì phải cập nhật.\n"),
        "{}",
        again.1
    );
}
