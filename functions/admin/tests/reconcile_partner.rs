//! `reconcile --partner`: a bill-payment partner's daily file against the confirmations hocphi
//! recorded for that partner, matched by the partner's transaction id.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Output};

use chrono::NaiveDate;
use hocphi_admin::reconcile::{
    Category, ReconcileError, ReconcileOptions, ReconcileReport, reconcile, report_headers,
    write_report,
};
use hocphi_domain::{
    GatewayKind, GatewayTxnNo, PartnerId, PaymentCode, PaymentRef, PaymentStatus, SchoolYear,
    Settled, StudentCode,
};
use support::{Env, confirm, pay, row, vn};

const BANK: &str = "BANKDEMO";
const OTHER: &str = "VCBTHUHO";

/// Invoices NQ-0001…NQ-0008 of students HS0001…HS0008, 1.000.000 ₫ + 100.000 ₫ × (n − 1).
async fn invoices() -> Env {
    let env = Env::new().await;
    let rows: Vec<String> = (1..=8u64)
        .map(|n| {
            row(
                &format!("HS000{n}"),
                "Nguyễn Văn An",
                &format!("NQ-000{n}"),
                "Học phí",
                &(900_000 + 100_000 * n).to_string(),
            )
        })
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let report = env.import(&env.csv("hoc-phi.csv", &rows)).await;
    assert!(report.problems.is_empty(), "{report}");
    env
}

/// hocphi's side of every kind of finding, on 10 September 2025.
async fn confirmations(env: &Env) {
    let s = &env.store;
    let at = |h, m| vn(2025, 9, 10, h, m);
    let applied = |settled: Settled| assert!(matches!(settled, Settled::Applied(_)), "{settled:?}");
    applied(confirm(s, BANK, "FT1001", &["NQ-0001"], 1_000_000, at(9, 0)).await);
    applied(confirm(s, BANK, "FT1002", &["NQ-0002"], 1_100_000, at(9, 5)).await);
    applied(confirm(s, BANK, "FT1003", &["NQ-0003"], 1_200_000, at(9, 10)).await);
    applied(confirm(s, BANK, "FT1004", &["NQ-0004"], 1_300_000, at(9, 20)).await);
    applied(confirm(s, OTHER, "FT1005", &["NQ-0005"], 1_400_000, at(10, 0)).await);
    applied(confirm(s, OTHER, "OT-6", &["NQ-0006"], 1_500_000, at(11, 30)).await);
    pay(s, &["NQ-0007"], "HPVNP7", "3007", at(11, 0)).await;
    let late = confirm(s, BANK, "FT1007", &["NQ-0007"], 1_600_000, at(12, 0)).await;
    assert!(
        matches!(late, Settled::Applied(ref st) if st.payment.status == PaymentStatus::RefundDue),
        "{late:?}"
    );
    applied(confirm(s, BANK, "FT1008", &["NQ-0008"], 1_700_000, at(13, 0)).await);
}

const DAILY_FILE: &str = "STT,Mã giao dịch,Số tiền,Thời gian,Mã hóa đơn
1,FT1001,1.000.000,10/09/2025 09:00:05,NQ-0001
2,FT1003,1.300.000,10/09/2025 09:10:00,NQ-0003
3,FT1004,1.300.000,10/09/2025 09:20:00,NQ-0004
4,FT1004,1.300.000,10/09/2025 09:20:00,NQ-0004
5,FT1099,500.000,10/09/2025 11:00:00,
6,OT-6,1.500.000,10/09/2025 11:30:00,
7,FT1007,1.600.000,10/09/2025 12:00:00,NQ-0007
8,FT1008,1.700.000,2025-09-10T13:00:00+07:00,NQ-0001
9,,100.000,10/09/2025 13:30:00,
";

fn options(env: &Env, partner: &str, file: &str) -> ReconcileOptions {
    ReconcileOptions {
        gateway: GatewayKind::Partner,
        partner: Some(partner.to_owned()),
        file: env.path(file),
        school: None,
        from: None,
        to: None,
    }
}

/// The partner's transaction ids of one category's entries, sorted.
fn txns(report: &ReconcileReport, category: Category) -> Vec<String> {
    let mut txns: Vec<String> = report
        .of(category)
        .map(|e| e.gateway_txn.clone().unwrap_or_default())
        .collect();
    txns.sort_unstable();
    txns
}

fn note(report: &ReconcileReport, category: Category, txn: &str) -> String {
    report
        .of(category)
        .find(|e| e.gateway_txn.as_deref() == Some(txn))
        .unwrap_or_else(|| panic!("{txn} in {category:?}: {report}"))
        .note
        .clone()
}

#[tokio::test]
async fn every_kind_of_discrepancy_in_a_partners_daily_file_is_found() {
    // Arrange
    let env = invoices().await;
    confirmations(&env).await;
    env.file("bank.csv", DAILY_FILE.as_bytes());

    // Act
    let report = reconcile(&env.store, &options(&env, BANK, "bank.csv"))
        .await
        .unwrap();

    // Assert
    assert_eq!(txns(&report, Category::Matched), ["FT1001", "FT1004"]);
    assert_eq!(txns(&report, Category::Mismatch), ["FT1003", "FT1008"]);
    assert_eq!(txns(&report, Category::MissingAtGateway), ["FT1002"]);
    assert_eq!(txns(&report, Category::Duplicate), ["FT1004"]);
    assert_eq!(txns(&report, Category::PaidUnknown), ["FT1099", "OT-6"]);
    assert_eq!(txns(&report, Category::RefundDue), ["FT1007"]);
    assert_eq!(report.of(Category::Unreadable).count(), 1, "{report}");
    assert_eq!(report.of(Category::PaidNotRecorded).count(), 0, "{report}");
    assert!(report.needs_attention());
    assert_eq!((report.rows, report.captured, report.declined), (9, 7, 0));
    let day = NaiveDate::from_ymd_opt(2025, 9, 10).unwrap();
    assert_eq!(report.days, Some((day, day)));
    assert_eq!(report.partner, Some(PartnerId::parse(BANK).unwrap()));

    let bank = PartnerId::parse(BANK).unwrap();
    let matched = report
        .of(Category::Matched)
        .find(|e| e.gateway_txn.as_deref() == Some("FT1001"))
        .unwrap();
    let expected = PaymentRef::for_partner(&bank, &GatewayTxnNo::parse("FT1001").unwrap());
    assert_eq!(matched.reference, expected.to_string());
    assert_eq!(matched.receipt.as_deref(), Some("NQ-25E-0000001"));
    assert_eq!(
        note(&report, Category::Mismatch, "FT1003"),
        "đối tác thu 1.300.000\u{a0}₫, hocphi ghi 1.200.000\u{a0}₫"
    );
    assert_eq!(
        note(&report, Category::Mismatch, "FT1008"),
        "tệp ghi khoản thu NQ-0001, hocphi ghi NQ-0008"
    );
    assert_eq!(
        note(&report, Category::MissingAtGateway, "FT1002"),
        "không có trong tệp của đối tác"
    );
    assert_eq!(
        note(&report, Category::PaidUnknown, "OT-6"),
        "hocphi không nhận được xác nhận nào của đối tác với mã giao dịch này",
        "another partner's transaction id is not this partner's"
    );
    let duplicate = report.of(Category::Duplicate).next().unwrap();
    assert_eq!(duplicate.rows, [4, 5]);
    let unreadable = report.of(Category::Unreadable).next().unwrap();
    assert_eq!(unreadable.note, "cột \"Mã giao dịch\": không được để trống");

    let shown = report.to_string();
    assert!(
        shown.starts_with("Đối soát đối tác thu hộ BANKDEMO — tệp"),
        "{shown}"
    );
    assert!(shown.contains("Mã GD đối tác"), "{shown}");
    assert!(shown.contains("Có chênh lệch cần xử lý."), "{shown}");
}

#[tokio::test]
async fn another_partners_payments_are_neither_matched_nor_missing() {
    // Arrange
    let env = invoices().await;
    confirmations(&env).await;
    env.file(
        "other.csv",
        "Mã giao dịch,Số tiền,Thời gian\n\
         FT1005,1.400.000,10/09/2025 10:00:00\n\
         OT-6,1.500.000,10/09/2025 11:30:00\n"
            .as_bytes(),
    );
    env.file(
        "bank-only-ft1001.csv",
        "Mã giao dịch,Số tiền,Thời gian\nFT1001,1.000.000,10/09/2025 09:00:00\n".as_bytes(),
    );

    // Act
    let other = reconcile(&env.store, &options(&env, OTHER, "other.csv"))
        .await
        .unwrap();
    let other_as_bank = reconcile(&env.store, &options(&env, BANK, "other.csv"))
        .await
        .unwrap();
    let bank = reconcile(&env.store, &options(&env, BANK, "bank-only-ft1001.csv"))
        .await
        .unwrap();

    // Assert
    assert!(!other.needs_attention(), "{other}");
    assert_eq!(txns(&other, Category::Matched), ["FT1005", "OT-6"]);
    assert_eq!(
        txns(&other_as_bank, Category::PaidUnknown),
        ["FT1005", "OT-6"],
        "the same transaction ids under another partner name no payment"
    );
    assert_eq!(txns(&bank, Category::Matched), ["FT1001"]);
    assert_eq!(
        txns(&bank, Category::MissingAtGateway),
        ["FT1002", "FT1003", "FT1004", "FT1008"],
        "only this partner's receipts, not the other partner's nor VNPay's: {bank}"
    );
}

#[tokio::test]
async fn a_portal_style_file_names_the_bill_by_payment_code() {
    // Arrange
    let env = invoices().await;
    let at = vn(2025, 9, 10, 9, 0);
    confirm(&env.store, "DVCQG", "GD0001", &["NQ-0001"], 1_000_000, at).await;
    confirm(&env.store, "DVCQG", "GD0002", &["NQ-0002"], 1_100_000, at).await;
    let key = hocphi_fixtures::lookup_key();
    let year = SchoolYear::parse("2025-2026").unwrap();
    let code = |student: &str| {
        PaymentCode::issue(&StudentCode::parse(student).unwrap(), year, &key).to_string()
    };
    env.file(
        "dvcqg.csv",
        format!(
            "MaGiaoDich,SoTien,ThoiGianGD,MaThamChieu\n\
             GD0001,1000000,20250910090000,{}\n\
             GD0002,1100000,20250910090000,{}\n",
            code("HS0001"),
            code("HS0003")
        )
        .as_bytes(),
    );

    // Act
    let report = reconcile(&env.store, &options(&env, "DVCQG", "dvcqg.csv"))
        .await
        .unwrap();

    // Assert
    assert_eq!(txns(&report, Category::Matched), ["GD0001"], "{report}");
    assert_eq!(txns(&report, Category::Mismatch), ["GD0002"], "{report}");
    assert!(
        note(&report, Category::Mismatch, "GD0002")
            .ends_with("hocphi ghi học sinh HS0002, năm học 2025-2026"),
        "{report}"
    );
}

#[tokio::test]
async fn the_report_file_names_the_partners_columns() {
    let env = invoices().await;
    confirmations(&env).await;
    env.file("bank.csv", DAILY_FILE.as_bytes());
    let report = reconcile(&env.store, &options(&env, BANK, "bank.csv"))
        .await
        .unwrap();

    let path = write_report(&report, &env.path("doi-soat.csv")).unwrap();

    let lines = support::lines(&path);
    let headers = report_headers(GatewayKind::Partner);
    assert_eq!(lines[0], headers.join(","));
    assert_eq!(headers[2], "Mã GD đối tác");
    assert_eq!(headers[3], "Số tiền tại đối tác");
    assert_eq!(lines.len(), report.entries.len() + 1);
}

#[tokio::test]
async fn a_partner_file_needs_a_partner_and_its_columns() {
    // Arrange
    let env = Env::new().await;
    env.file(
        "no-txn.csv",
        "Số tiền,Thời gian\n100000,10/09/2025\n".as_bytes(),
    );
    env.file("ok.csv", "Mã giao dịch,Số tiền\nFT1,100000\n".as_bytes());
    let cases: [(ReconcileOptions, &str); 4] = [
        (
            options(&env, BANK, "no-txn.csv"),
            "tệp đối soát thiếu cột: \"Mã giao dịch\"",
        ),
        (
            ReconcileOptions {
                partner: None,
                ..options(&env, BANK, "ok.csv")
            },
            "đối soát với đối tác thu hộ cần mã đối tác (--partner)",
        ),
        (
            options(&env, "bank demo!", "ok.csv"),
            "mã đối tác không hợp lệ: \"bank demo!\"",
        ),
        (
            ReconcileOptions {
                gateway: GatewayKind::Vnpay,
                ..options(&env, BANK, "ok.csv")
            },
            "mã đối tác chỉ dùng khi đối soát tệp của đối tác thu hộ, không dùng với --gateway",
        ),
    ];

    for (options, expected) in cases {
        // Act
        let err: ReconcileError = reconcile(&env.store, &options).await.unwrap_err();

        // Assert
        assert_eq!(err.to_string(), expected);
    }
}

fn admin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args(args)
        .env_remove("HOCPHI_DYNAMODB_ENDPOINT")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn the_command_reconciles_a_partner_and_refuses_a_partner_with_a_gateway() {
    // Arrange
    let env = invoices().await;
    confirmations(&env).await;
    env.file("bank.csv", DAILY_FILE.as_bytes());
    env.file(
        "clean.csv",
        "Mã giao dịch,Số tiền,Thời gian\nFT1005,1.400.000,10/09/2025 10:00:00\nOT-6,1.500.000,10/09/2025 11:30:00\n"
            .as_bytes(),
    );
    let store = format!("sqlite:{}", env.db().display());
    let messy = env.path("bank.csv").display().to_string();
    let clean = env.path("clean.csv").display().to_string();

    // Act
    let flagged = admin(&["--store", &store, "reconcile", "--partner", BANK, &messy]);
    let matched = admin(&["--store", &store, "reconcile", "--partner", OTHER, &clean]);
    let both = admin(&[
        "--store",
        &store,
        "reconcile",
        "--partner",
        BANK,
        "--gateway",
        "vnpay",
        &messy,
    ]);
    let neither = admin(&["--store", &store, "reconcile", &messy]);

    // Assert
    assert_eq!(flagged.status.code(), Some(3), "{}", text(&flagged));
    assert!(
        text(&flagged).contains("hocphi đã thu, cổng không có (1):"),
        "{}",
        text(&flagged)
    );
    assert_eq!(matched.status.code(), Some(0), "{}", text(&matched));
    assert!(text(&matched).contains("Tất cả giao dịch đều khớp."));
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert_eq!(neither.status.code(), Some(2), "{}", text(&neither));
}
