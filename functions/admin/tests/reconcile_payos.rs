//! `reconcile --gateway payos`: payOS's transaction export against hocphi's payOS payments, one
//! transfer per row, matched by orderCode or by the payment reference in the memo.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hocphi_admin::reconcile::{
    Category, ReconcileOptions, reconcile, report_headers, write_report,
};
use hocphi_domain::{
    GatewayKind, InvoiceId, PayeeId, Payment, PaymentRef, PaymentStatus, Settled, Store,
};
use hocphi_gateways::payos::OrderCode;
use support::{Env, row, vn};

const P1: &str = "HP250910020000AAAA";
const P2: &str = "HP250910020000AAAB";
const P3: &str = "HP250910020000AAAC";
const P4: &str = "HP250910020000AAAD";
const P5: &str = "HP250910020000AAAE";
const P6: &str = "HP250910020000AAAF";
const P7: &str = "HP250910020000AAAG";
const P8: &str = "HP250910020000AAAH";

fn code(reference: &str) -> u64 {
    OrderCode::of(&PaymentRef::parse(reference).unwrap())
        .unwrap()
        .get()
}

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

async fn open<S: Store>(store: &S, invoice: &str, reference: &str, at: DateTime<Utc>) -> Payment {
    let invoice = store
        .invoice(&InvoiceId::parse(invoice).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut payment = Payment::open(
        PaymentRef::parse(reference).unwrap(),
        &[invoice],
        &[],
        GatewayKind::Payos,
        at,
        Duration::minutes(15),
    )
    .unwrap();
    payment.payee = Some(PayeeId::parse("BD-THCS-NGOQUYEN").unwrap());
    store
        .create_payment(&payment, at, &hocphi_domain::Actor::Parent)
        .await
        .unwrap();
    payment
}

/// A verified payOS transfer of `vnd` for a payment, as its webhook reports it.
async fn transfer<S: Store>(
    store: &S,
    reference: &str,
    txn: &str,
    vnd: u64,
    at: DateTime<Utc>,
) -> Settled {
    support::capture_on(store, GatewayKind::Payos, reference, txn, vnd, at).await
}

/// hocphi's side of every kind of finding, on 10 September 2025.
async fn payments(env: &Env) {
    let s = &env.store;
    let t0 = vn(2025, 9, 10, 9, 0);
    for (invoice, reference) in [
        ("NQ-0001", P1),
        ("NQ-0002", P2),
        ("NQ-0003", P3),
        ("NQ-0004", P4),
        ("NQ-0005", P5),
        ("NQ-0006", P6),
        ("NQ-0007", P7),
        ("NQ-0008", P8),
    ] {
        open(s, invoice, reference, t0).await;
    }
    let at = t0 + Duration::minutes(1);
    assert!(matches!(
        transfer(s, P1, "FT001", 1_000_000, at).await,
        Settled::Applied(_)
    ));
    let short = transfer(s, P3, "FT003", 200_000, at).await;
    assert!(matches!(short, Settled::AmountMismatch { .. }), "{short:?}");
    transfer(s, P5, "FT005", 400_000, at).await;
    transfer(s, P6, "FT006", 1_500_000, at).await;
    transfer(s, P7, "FT007", 1_600_000, at).await;
    transfer(s, P8, "FT008", 1_700_000, at).await;
    let p5 = s.payment(&PaymentRef::parse(P5).unwrap()).await.unwrap();
    assert_eq!(p5.unwrap().status, PaymentStatus::Mismatched);
}

fn export() -> String {
    let c = code;
    format!(
        "STT,Mã đơn hàng,Số tiền,Mã tham chiếu,Thời gian,Nội dung,Trạng thái
1,{},1.000.000,FT001,2025-09-10 09:01:00,{P1},PAID
2,{},1.000.000,FT001,2025-09-10 09:01:00,{P1},PAID
3,{},1.100.000,FT002,2025-09-10 09:02:00,{P2},PAID
4,{},200.000,FT003,2025-09-10 09:01:00,{P3},UNDERPAID
5,{},300.000,FT004,2025-09-10 09:03:00,{P4},UNDERPAID
6,{},400.000,FT005,2025-09-10 09:01:00,{P5},UNDERPAID
7,{},1.400.000,FT005B,2025-09-10 09:20:00,{P5},PAID
8,{},1.500.000,FT006,2025-09-10 09:01:00,{P6},PAID
9,{},1.500.000,FT006B,2025-09-10 09:30:00,{P6},PAID
10,,1.600.000,FT007,2025-09-10 09:01:00,NGUYEN VAN A chuyen khoan {} FT25253,PAID
11,123,3.000,TF230204212323,2025-09-10 10:00:00,VQRIO123,PAID
12,,500.000,FT012,2025-09-10 11:00:00,hoc phi con em,PAID
13,,500.000,FT013,2025-09-10 11:00:00,{P2},CANCELLED
14,{},abc,FT014,2025-09-10 11:00:00,{P4},PAID
",
        c(P1),
        c(P1),
        c(P2),
        c(P3),
        c(P4),
        c(P5),
        c(P5),
        c(P6),
        c(P6),
        P7.to_lowercase(),
        c(P4),
    )
}

fn options(env: &Env, file: &str) -> ReconcileOptions {
    ReconcileOptions {
        gateway: GatewayKind::Payos,
        partner: None,
        file: env.path(file),
        school: None,
        from: None,
        to: None,
    }
}

#[tokio::test]
async fn every_kind_of_discrepancy_in_a_payos_export_is_found_and_categorised() {
    // Arrange
    let env = invoices().await;
    payments(&env).await;
    env.file("payos.csv", export().as_bytes());

    // Act
    let report = reconcile(&env.store, &options(&env, "payos.csv"))
        .await
        .unwrap();

    // Assert
    let refs = |category| -> Vec<(String, Option<String>)> {
        let mut refs: Vec<_> = report
            .of(category)
            .map(|e| (e.reference.clone(), e.gateway_txn.clone()))
            .collect();
        refs.sort_unstable();
        refs
    };
    let r = |reference: &str, txn: &str| (reference.to_owned(), Some(txn.to_owned()));
    assert_eq!(
        refs(Category::Matched),
        [r(P1, "FT001"), r(P6, "FT006"), r(P7, "FT007")],
        "{report}"
    );
    assert_eq!(refs(Category::PaidNotRecorded), [r(P2, "FT002")]);
    assert_eq!(
        refs(Category::Mismatch),
        [r(P3, "FT003"), r(P4, "FT004"), r(P5, "FT005")]
    );
    assert_eq!(
        refs(Category::RefundDue),
        [r(P5, "FT005B"), r(P6, "FT006B")]
    );
    assert_eq!(
        refs(Category::PaidUnknown),
        [r("123", "TF230204212323"), r("hoc phi con em", "FT012")]
    );
    assert_eq!(refs(Category::Duplicate), [r(P1, "FT001")]);
    assert_eq!(refs(Category::MissingAtGateway), [r(P8, "FT008")]);
    assert_eq!(report.of(Category::Unreadable).count(), 1);
    assert!(report.needs_attention());
    assert_eq!((report.rows, report.captured, report.declined), (14, 9, 0));
    let day = NaiveDate::from_ymd_opt(2025, 9, 10).unwrap();
    assert_eq!(report.days, Some((day, day)));

    let note = |category, reference: &str, txn: &str| {
        report
            .of(category)
            .find(|e| e.reference == reference && e.gateway_txn.as_deref() == Some(txn))
            .unwrap()
            .note
            .clone()
    };
    assert_eq!(
        note(Category::Mismatch, P3, "FT003"),
        "cổng thu 200.000\u{a0}₫, hocphi ghi 1.200.000\u{a0}₫: đã ghi nhận, cần hoàn tiền"
    );
    assert_eq!(
        note(Category::Mismatch, P4, "FT004"),
        "cổng thu 300.000\u{a0}₫, hocphi ghi 1.300.000\u{a0}₫"
    );
    let mismatched = note(Category::RefundDue, P5, "FT005B");
    assert!(
        mismatched.starts_with(
            "hocphi ghi nhận chuyển sai số tiền (400.000\u{a0}₫): hoàn lại cho phụ huynh"
        ),
        "{mismatched}"
    );
    assert!(!mismatched.contains("giao dịch khác"), "{mismatched}");
    assert!(note(Category::RefundDue, P6, "FT006B").starts_with("chuyển đủ tiền 2 lần"));
    assert_eq!(
        note(Category::Matched, P7, "FT007"),
        "tìm theo nội dung chuyển khoản"
    );
    assert_eq!(
        note(Category::PaidUnknown, "123", "TF230204212323"),
        "hocphi không có giao dịch nào mang mã này"
    );
    assert!(
        note(Category::PaidUnknown, "hoc phi con em", "FT012")
            .starts_with("mã đơn hàng không phải của hocphi")
    );
    let unreadable = report.of(Category::Unreadable).next().unwrap();
    assert_eq!(unreadable.rows, [15]);
    assert!(
        unreadable.note.starts_with("cột \"Số tiền\""),
        "{}",
        unreadable.note
    );
    let matched = report
        .of(Category::Matched)
        .find(|e| e.reference == P1)
        .unwrap();
    assert_eq!(matched.receipt.as_deref(), Some("NQ-25E-0000001"));

    let shown = report.to_string();
    assert!(
        shown.starts_with("Đối soát payOS (VietQR) — tệp"),
        "{shown}"
    );
    assert!(shown.contains("Mã tham chiếu"), "{shown}");
    assert!(shown.contains("Có chênh lệch cần xử lý."));
    let path = write_report(&report, &env.path("doi-soat.csv")).unwrap();
    let lines = support::lines(&path);
    assert_eq!(lines[0], report_headers(GatewayKind::Payos).join(","));
    assert_eq!(lines.len(), report.entries.len() + 1);
}

#[tokio::test]
async fn english_headers_and_a_file_without_status_read_as_transfers_received() {
    // Arrange
    let env = invoices().await;
    let t0 = vn(2025, 9, 10, 9, 0);
    open(&env.store, "NQ-0001", P1, t0).await;
    transfer(
        &env.store,
        P1,
        "FT001",
        1_000_000,
        t0 + Duration::minutes(1),
    )
    .await;
    env.file(
        "payos.csv",
        format!(
            "orderCode;amount;reference;transactionDateTime;description\n{};1000000;FT001;10/09/2025 09:01:00;{P1}\n",
            code(P1)
        )
        .as_bytes(),
    );

    // Act
    let report = reconcile(&env.store, &options(&env, "payos.csv"))
        .await
        .unwrap();

    // Assert
    assert_eq!(report.of(Category::Matched).count(), 1, "{report}");
    assert!(!report.needs_attention(), "{report}");
    assert!(report.to_string().contains("Tất cả giao dịch đều khớp."));
}

#[tokio::test]
async fn an_export_naming_no_order_and_no_memo_is_refused() {
    let env = Env::new().await;
    env.file(
        "payos.csv",
        "Số tiền,Mã tham chiếu\n100000,FT1\n".as_bytes(),
    );

    let err = reconcile(&env.store, &options(&env, "payos.csv"))
        .await
        .unwrap_err();

    assert!(
        err.to_string()
            .starts_with("tệp đối soát thiếu cột: \"Mã đơn hàng\" hoặc \"Nội dung\""),
        "{err}"
    );
}

#[tokio::test]
async fn the_shipped_sample_reads_without_unreadable_rows() {
    let env = invoices().await;
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/giao-dich-payos-mau.csv");
    let options = ReconcileOptions {
        file: sample,
        ..options(&env, "")
    };

    let report = reconcile(&env.store, &options).await.unwrap();

    assert!(report.rows > 0);
    assert_eq!(report.of(Category::Unreadable).count(), 0, "{report}");
}

#[tokio::test]
async fn the_command_exits_3_when_a_payos_transfer_needs_attention() {
    // Arrange
    let env = invoices().await;
    payments(&env).await;
    env.file("payos.csv", export().as_bytes());
    let store = format!("sqlite:{}", env.db().display());
    let file = env.path("payos.csv").display().to_string();

    // Act
    let out = Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args(["--store", &store, "reconcile", "--gateway", "payos", &file])
        .env_remove("HOCPHI_DYNAMODB_ENDPOINT")
        .output()
        .unwrap();

    // Assert
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Lệch số tiền hoặc mã giao dịch (3):"),
        "{stdout}"
    );
    assert!(stdout.contains("đã ghi nhận, cần hoàn tiền"), "{stdout}");
}
