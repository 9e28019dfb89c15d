//! `reconcile --gateway vnpay`: each kind of discrepancy between VNPay's transaction list and
//! hocphi, the report file, and the exit code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use chrono::{Duration, NaiveDate};
use hocphi_admin::reconcile::{
    Category, REPORT_HEADERS, ReconcileOptions, reconcile, write_report,
};
use hocphi_domain::{GatewayKind, PaymentStatus, Settled};
use support::{Env, capture, open_payment, pay, row, vn};

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

/// hocphi's side of every kind of finding, on 10 and 11 September 2025.
async fn payments(env: &Env) {
    let s = &env.store;
    let t0 = vn(2025, 9, 10, 9, 0);
    pay(s, &["NQ-0001"], "HPOK1", "2001", t0).await;
    open_payment(s, &["NQ-0002"], "HPPEND", t0, 15).await;
    pay(s, &["NQ-0003"], "HPMISS", "2003", vn(2025, 9, 11, 9, 0)).await;
    pay(s, &["NQ-0004"], "HPDECL", "2004", vn(2025, 9, 11, 10, 0)).await;
    pay(s, &["NQ-0005"], "HPAMT", "2005", t0).await;
    open_payment(s, &["NQ-0006"], "HPRFA", t0, 15).await;
    pay(s, &["NQ-0006"], "HPRFB", "2062", t0 + Duration::minutes(40)).await;
    let late = capture(s, "HPRFA", "2061", 1_500_000, t0 + Duration::minutes(45)).await;
    assert!(
        matches!(late, Settled::Applied(ref st) if st.payment.status == PaymentStatus::RefundDue),
        "{late:?}"
    );
    open_payment(s, &["NQ-0007"], "HPTW1", t0, 15).await;
    pay(s, &["NQ-0007"], "HPTW2", "2072", t0 + Duration::minutes(40)).await;
    pay(s, &["NQ-0008"], "HPDUP2", "2008", t0).await;
}

const SETTLEMENT: &str =
    "STT,Mã GD merchant,Mã GD VNPAY,Số tiền,Ngân hàng,Trạng thái,Ngày thanh toán
1,HPOK1,2001,1.000.000,NCB,Thành công,10/09/2025 09:00:05
2,HPOK1,2001,1.000.000,NCB,Thành công,10/09/2025 09:00:05
3,HPPEND,2002,1.100.000,NCB,Thành công,10/09/2025 09:01:00
4,HPDECL,0,1.300.000,NCB,Khách hàng hủy giao dịch,11/09/2025 10:00:00
5,HPAMT,2005,1.500.000,NCB,Thành công,10/09/2025 09:00:00
6,HPRFA,2061,1.500.000,NCB,Thành công,10/09/2025 09:44:00
7,HPRFB,2062,1.500.000,NCB,Thành công,10/09/2025 09:40:00
8,HPTW1,2071,1.600.000,NCB,Thành công,10/09/2025 09:05:00
9,HPTW2,2072,1.600.000,NCB,Thành công,10/09/2025 09:40:00
10,HPDUP2,2008,1.700.000,NCB,Thành công,10/09/2025 09:00:00
11,HPDUP2,2099,1.700.000,NCB,Thành công,10/09/2025 09:03:00
12,HPUNKNOWN1,2012,500.000,NCB,Thành công,10/09/2025 11:00:00
13,ORDER-77,2013,500.000,NCB,Thành công,10/09/2025 11:00:00
14,HPX,2014,abc,NCB,Thành công,10/09/2025 11:00:00
";

fn options(env: &Env, file: &str) -> ReconcileOptions {
    ReconcileOptions {
        gateway: GatewayKind::Vnpay,
        partner: None,
        file: env.path(file),
        school: None,
        from: None,
        to: None,
    }
}

#[tokio::test]
async fn every_kind_of_discrepancy_is_found_and_categorised() {
    // Arrange
    let env = invoices().await;
    payments(&env).await;
    env.file("vnpay.csv", SETTLEMENT.as_bytes());

    // Act
    let report = reconcile(&env.store, &options(&env, "vnpay.csv"))
        .await
        .unwrap();

    // Assert
    let refs = |category| -> Vec<&str> {
        let mut refs: Vec<&str> = report.of(category).map(|e| e.reference.as_str()).collect();
        refs.sort_unstable();
        refs
    };
    assert_eq!(
        refs(Category::Matched),
        ["HPDUP2", "HPOK1", "HPRFB", "HPTW2"]
    );
    assert_eq!(refs(Category::PaidNotRecorded), ["HPPEND", "HPTW1"]);
    assert_eq!(refs(Category::PaidUnknown), ["HPUNKNOWN1", "ORDER-77"]);
    assert_eq!(refs(Category::Mismatch), ["HPAMT"]);
    assert_eq!(refs(Category::MissingAtGateway), ["HPDECL", "HPMISS"]);
    assert_eq!(refs(Category::Duplicate), ["HPDUP2", "HPOK1"]);
    assert_eq!(refs(Category::RefundDue), ["HPDUP2", "HPRFA", "HPTW1"]);
    assert_eq!(refs(Category::Unreadable), ["HPX"]);
    assert!(report.needs_attention());
    assert_eq!((report.rows, report.captured, report.declined), (14, 10, 1));
    assert_eq!(
        report.days,
        Some((
            NaiveDate::from_ymd_opt(2025, 9, 10).unwrap(),
            NaiveDate::from_ymd_opt(2025, 9, 11).unwrap()
        ))
    );
    let note = |category, reference: &str| {
        report
            .of(category)
            .find(|e| e.reference == reference)
            .unwrap()
            .note
            .clone()
    };
    assert_eq!(
        note(Category::Mismatch, "HPAMT"),
        "cổng thu 1.500.000\u{a0}₫, hocphi ghi 1.400.000\u{a0}₫"
    );
    assert_eq!(
        note(Category::MissingAtGateway, "HPDECL"),
        "cổng báo giao dịch không thành công nhưng hocphi đã lập biên lai"
    );
    assert_eq!(
        note(Category::MissingAtGateway, "HPMISS"),
        "không có trong tệp của cổng"
    );
    assert!(
        note(Category::RefundDue, "HPTW1")
            .starts_with("khoản thu \"NQ-0007\" được cổng thu tiền 2 lần (cả giao dịch HPTW2)")
    );
    assert!(note(Category::RefundDue, "HPDUP2").starts_with("cổng đã thu 2 lần"));
    assert_eq!(
        note(Category::Unreadable, "HPX"),
        "cột \"Số tiền\": số tiền phải là số nguyên dương (VND), nhận được \"abc\""
    );
    let duplicate = report
        .of(Category::Duplicate)
        .find(|e| e.reference == "HPOK1")
        .unwrap();
    assert_eq!(duplicate.rows, [2, 3]);
    let matched = report
        .of(Category::Matched)
        .find(|e| e.reference == "HPOK1")
        .unwrap();
    assert_eq!(matched.receipt.as_deref(), Some("NQ-25E-0000001"));

    let shown = report.to_string();
    assert!(shown.contains("Cần hoàn tiền (3):"), "{shown}");
    assert!(shown.contains("Có chênh lệch cần xử lý."));
}

#[tokio::test]
async fn the_report_file_lists_every_entry_under_vietnamese_headers() {
    let env = invoices().await;
    payments(&env).await;
    env.file("vnpay.csv", SETTLEMENT.as_bytes());
    let report = reconcile(&env.store, &options(&env, "vnpay.csv"))
        .await
        .unwrap();

    let path = write_report(&report, &env.path("doi-soat.csv")).unwrap();

    let lines = support::lines(&path);
    assert_eq!(lines[0], REPORT_HEADERS.join(","));
    assert_eq!(lines.len(), report.entries.len() + 1);
    assert!(
        lines.contains(&"Lệch số tiền hoặc mã giao dịch,HPAMT,2005,1500000,1400000,thành công,10/09/2025 09:00,NQ-25E-0000004,6,\"cổng thu 1.500.000\u{a0}₫, hocphi ghi 1.400.000\u{a0}₫\"".to_owned()),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn title_rows_vnp_headers_and_amounts_in_vnpay_units_are_read_and_a_clean_file_needs_no_attention()
 {
    // Arrange
    let env = invoices().await;
    pay(
        &env.store,
        &["NQ-0001"],
        "HPOK1",
        "2001",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    pay(
        &env.store,
        &["NQ-0002"],
        "HPOK2",
        "2002",
        vn(2025, 9, 10, 9, 30),
    )
    .await;
    env.file(
        "vnpay.csv",
        "BÁO CÁO GIAO DỊCH\nTừ ngày 10/09/2025 đến ngày 10/09/2025\n\
          vnp_TxnRef;vnp_TransactionNo;vnp_Amount;vnp_ResponseCode;vnp_TransactionStatus;vnp_PayDate\n\
          HPOK1;2001;100000000;00;00;20250910090005\n\
          HPOK2;2002;110000000;00;00;20250910093001\n\
          HPNOPE;0;90000000;24;02;20250910100000\n"
            .as_bytes(),
    );

    // Act
    let report = reconcile(&env.store, &options(&env, "vnpay.csv"))
        .await
        .unwrap();

    // Assert
    assert_eq!(report.of(Category::Matched).count(), 2, "{report}");
    assert_eq!((report.captured, report.declined), (2, 1));
    assert!(!report.needs_attention(), "{report}");
    assert!(report.to_string().contains("Tất cả giao dịch đều khớp."));
}

#[tokio::test]
async fn a_settlement_file_without_an_outcome_column_is_refused() {
    let env = Env::new().await;
    env.file(
        "vnpay.csv",
        "Mã GD merchant,Số tiền\nHP1,100000\n".as_bytes(),
    );
    let err = reconcile(&env.store, &options(&env, "vnpay.csv"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("tệp đối soát thiếu cột: \"Trạng thái\""),
        "{err}"
    );
}

fn admin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args(args)
        .env_remove("HOCPHI_DYNAMODB_ENDPOINT")
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_command_exits_3_when_anything_needs_attention_and_0_when_all_match() {
    // Arrange
    let env = invoices().await;
    payments(&env).await;
    env.file("vnpay.csv", SETTLEMENT.as_bytes());
    env.file(
        "sach.csv",
        "Mã GD merchant,Mã GD VNPAY,Số tiền,Trạng thái,Ngày thanh toán\nHPOK1,2001,1.000.000,Thành công,10/09/2025 09:00:05\n"
            .as_bytes(),
    );
    let store = format!("sqlite:{}", env.db().display());
    let messy = env.path("vnpay.csv").display().to_string();
    let clean = env.path("sach.csv").display().to_string();
    let out = env.path("bao-cao.xlsx").display().to_string();

    // Act
    let flagged = admin(&[
        "--store",
        &store,
        "reconcile",
        "--gateway",
        "vnpay",
        &messy,
        "--out",
        &out,
    ]);
    let matched = admin(&[
        "--store",
        &store,
        "reconcile",
        "--gateway",
        "vnpay",
        &clean,
        "--from",
        "2025-09-10",
        "--to",
        "2025-09-10",
        "--school",
        "BD-TH-LELOI",
    ]);

    // Assert
    let stdout = String::from_utf8_lossy(&flagged.stdout);
    assert_eq!(
        flagged.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&flagged.stderr)
    );
    assert!(
        stdout.contains("Cổng đã thu, hocphi chưa ghi nhận (2):"),
        "{stdout}"
    );
    assert!(stdout.contains("Đã ghi kết quả đối soát vào"));
    assert!(std::path::Path::new(&out).exists());
    assert_eq!(
        matched.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&matched.stdout),
        String::from_utf8_lossy(&matched.stderr)
    );
}

#[tokio::test]
async fn the_money_matched_is_given_by_kind_and_beneficiary() {
    // Arrange: a public school's invoice paid with its voluntary item and a private school's
    // tuition less a subsidy and a reduction, both in VNPay's file.
    use hocphi_domain::{LineRef, Payment, PaymentRef, Store};
    use hocphi_fixtures::{InvoiceFixture, private_school_lines, public_school_lines};
    let env = Env::new().await;
    let public = InvoiceFixture {
        school: support::NQ,
        ..InvoiceFixture::new("NQ-2026-0001", &[])
    }
    .build_with(public_school_lines());
    let private = InvoiceFixture {
        school: support::NQ,
        student: "HS0002",
        ..InvoiceFixture::new("NQ-2026-0002", &[])
    }
    .build_with(private_school_lines());
    let t0 = vn(2025, 9, 10, 9, 0);
    for invoice in [&public, &private] {
        env.store
            .upsert_invoice(invoice, t0, &support::operator())
            .await
            .unwrap();
    }
    let chosen = Payment::open(
        PaymentRef::parse("HPPUB").unwrap(),
        std::slice::from_ref(&public),
        &[LineRef {
            invoice: public.id.clone(),
            line: 3,
        }],
        GatewayKind::Vnpay,
        t0,
        Duration::minutes(15),
    )
    .unwrap();
    env.store
        .create_payment(&chosen, t0, &hocphi_domain::Actor::Parent)
        .await
        .unwrap();
    capture(&env.store, "HPPUB", "3001", 1_709_520, t0).await;
    pay(&env.store, &["NQ-2026-0002"], "HPPRI", "3002", t0).await;
    env.file(
        "vnpay.csv",
        "Mã GD merchant,Mã GD VNPAY,Số tiền,Trạng thái,Ngày thanh toán
HPPUB,3001,1.709.520,Thành công,10/09/2025 09:00:05
HPPRI,3002,1.200.000,Thành công,10/09/2025 09:00:09
"
        .as_bytes(),
    );

    // Act
    let report = reconcile(&env.store, &options(&env, "vnpay.csv"))
        .await
        .unwrap();

    // Assert
    assert!(!report.needs_attention(), "{report}");
    let totals: Vec<(&str, Option<&str>, u64)> = report
        .matched_by_kind
        .totals()
        .iter()
        .map(|t| {
            (
                t.kind.as_str(),
                t.beneficiary.as_ref().map(|b| b.as_str()),
                t.amount,
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            ("tuition", None, 3_000_000),
            ("service", None, 725_000),
            ("on_behalf", Some("Bảo hiểm xã hội tỉnh Gia Lai"), 884_520),
            ("voluntary", None, 100_000),
            ("subsidy", None, 1_500_000),
            ("reduction", None, 300_000),
        ]
    );
    let said = report.to_string();
    assert!(
        said.contains("Tiền đã khớp theo loại khoản thu:\n")
            && said.contains("  Thu hộ — Bảo hiểm xã hội tỉnh Gia Lai: 884.520\u{a0}₫ (1 dòng)"),
        "{said}"
    );
}
