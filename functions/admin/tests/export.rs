//! `export receipts`: the receipts of Vietnamese days, one row per line, a totals row, in CSV
//! (with a BOM) and XLSX (read back with calamine).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::NaiveDate;
use hocphi_admin::export::{ExportError, ExportOptions, RECEIPT_HEADERS, receipts};
use support::{Env, LL, NQ, pay, row, vn};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, d).unwrap()
}

/// Three receipts at Ngô Quyền (10/09 09:00, 30/09 23:30 and 01/10 00:10 Vietnam time) and one at
/// Lê Lợi (15/09).
async fn paid_receipts() -> Env {
    let env = Env::new().await;
    let [first, second] = support::nq_0001();
    let rows = [
        first,
        second,
        row(
            "HS0002",
            "Lê Thị Bình",
            "NQ-0002",
            "Học phí học kỳ 1",
            "1.500.000",
        ),
        row(
            "HS0003",
            "Phạm Văn Cường",
            "NQ-0003",
            "Học phí học kỳ 1",
            "1.200.000",
        ),
        format!(
            "{LL},HS0004,Trần Thị Dung,3B,2025-2026,Học kỳ 1,LL-0001,Tiền ăn,720.000,15/10/2025,"
        ),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let report = env.import(&env.csv("hoc-phi.csv", &refs)).await;
    assert!(report.problems.is_empty(), "{report}");
    pay(
        &env.store,
        &["NQ-0001"],
        "HP1",
        "1001",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    pay(
        &env.store,
        &["NQ-0002"],
        "HP2",
        "1002",
        vn(2025, 9, 30, 23, 30),
    )
    .await;
    pay(
        &env.store,
        &["NQ-0003"],
        "HP3",
        "1003",
        vn(2025, 10, 1, 0, 10),
    )
    .await;
    pay(
        &env.store,
        &["LL-0001"],
        "HP4",
        "1004",
        vn(2025, 9, 15, 8, 0),
    )
    .await;
    env
}

fn options(out: PathBuf) -> ExportOptions {
    ExportOptions {
        school: Some(NQ.to_owned()),
        from: day(1),
        to: day(30),
        out: Some(out),
    }
}

#[tokio::test]
async fn the_csv_export_lists_each_receipt_line_of_the_days_and_totals_them() {
    // Arrange
    let env = paid_receipts().await;

    // Act
    let summary = receipts(&env.store, &options(env.path("bien-lai.csv")))
        .await
        .unwrap();

    // Assert
    assert_eq!(
        (summary.receipts, summary.lines, summary.total),
        (2, 3, 3_650_000)
    );
    let lines = support::lines(&summary.path);
    assert_eq!(
        lines,
        [
            RECEIPT_HEADERS.join(","),
            "10/09/2025 09:00,0000001,01BLP0-001,NQ-25E,HS0001,Nguyễn V. A.,6A1,NQ-0001,Học phí,,Học phí học kỳ 1,,,,1500000,VNPay,1001,HP1".to_owned(),
            "10/09/2025 09:00,0000001,01BLP0-001,NQ-25E,HS0001,Nguyễn V. A.,6A1,NQ-0001,Học phí,,Tiền ăn tháng 9,,,,650000,VNPay,1001,HP1".to_owned(),
            "30/09/2025 23:30,0000002,01BLP0-001,NQ-25E,HS0002,Lê T. B.,6A1,NQ-0002,Học phí,,Học phí học kỳ 1,,,,1500000,VNPay,1002,HP2".to_owned(),
            "Tổng cộng,2 biên lai,,,,,,,,,,,,,3650000,,,".to_owned(),
        ],
        "00:10 on 1 October (Vietnam) is outside; Lê Lợi's receipt is another school's"
    );
}

#[tokio::test]
async fn the_xlsx_export_has_number_and_date_cells_and_the_same_totals() {
    // Arrange
    let env = paid_receipts().await;

    // Act
    let summary = receipts(&env.store, &options(env.path("bien-lai.xlsx")))
        .await
        .unwrap();

    // Assert
    let mut workbook: Xlsx<_> = open_workbook(&summary.path).unwrap();
    let sheet = workbook.worksheet_range("Biên lai").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 5);
    let headers: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(headers, RECEIPT_HEADERS);
    assert!(
        matches!(rows[1][0], Data::DateTime(ref at) if at.as_datetime().unwrap().to_string() == "2025-09-10 09:00:00"),
        "{:?}",
        rows[1][0]
    );
    assert_eq!(rows[1][1], Data::String("0000001".into()));
    assert_eq!(rows[1][5], Data::String("Nguyễn V. A.".into()));
    assert_eq!(rows[1][14], Data::Float(1_500_000.0));
    assert_eq!(rows[3][14], Data::Float(1_500_000.0));
    assert_eq!(rows[4][0], Data::String("Tổng cộng".into()));
    assert_eq!(rows[4][1], Data::String("2 biên lai".into()));
    assert_eq!(rows[4][14], Data::Float(3_650_000.0));
}

#[tokio::test]
async fn without_a_school_every_school_is_exported() {
    let env = paid_receipts().await;
    let summary = receipts(
        &env.store,
        &ExportOptions {
            school: None,
            ..options(env.path("tat-ca.csv"))
        },
    )
    .await
    .unwrap();
    assert_eq!((summary.receipts, summary.total), (3, 4_370_000));
}

#[tokio::test]
async fn an_empty_range_still_writes_headers_and_a_zero_total() {
    let env = paid_receipts().await;
    let summary = receipts(
        &env.store,
        &ExportOptions {
            from: day(20),
            to: day(29),
            ..options(env.path("trong.csv"))
        },
    )
    .await
    .unwrap();
    assert_eq!(
        support::lines(&summary.path),
        [
            RECEIPT_HEADERS.join(","),
            "Tổng cộng,0 biên lai,,,,,,,,,,,,,0,,,".to_owned()
        ]
    );
}

#[tokio::test]
async fn a_reversed_range_is_refused() {
    let env = Env::new().await;
    let err = receipts(
        &env.store,
        &ExportOptions {
            from: day(30),
            to: day(1),
            ..options(env.path("x.csv"))
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ExportError::Range { .. }), "{err}");
}

#[tokio::test]
async fn cells_a_spreadsheet_would_run_as_formulas_are_escaped_and_amounts_stay_numbers() {
    // Arrange: a name, a class and items that a spreadsheet would read as formulas.
    let env = Env::new().await;
    let line = |item: &str, amount: &str| {
        format!(
            "{NQ},HS0009,=Nguyễn Văn An,@6A1,2025-2026,Học kỳ 1,NQ-0009,{item},{amount},15/10/2025,"
        )
    };
    let rows = [
        line("=1+2", "100.000"),
        line("+Quỹ lớp", "200.000"),
        line("-Giảm trừ", "300.000"),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let report = env.import(&env.csv("hoc-phi.csv", &refs)).await;
    assert!(report.problems.is_empty(), "{report}");
    pay(
        &env.store,
        &["NQ-0009"],
        "HP9",
        "1009",
        vn(2025, 9, 10, 9, 0),
    )
    .await;

    // Act
    let summary = receipts(&env.store, &options(env.path("bien-lai.csv")))
        .await
        .unwrap();

    // Assert
    let lines = support::lines(&summary.path);
    assert_eq!(
        lines[1..],
        [
            "10/09/2025 09:00,0000001,01BLP0-001,NQ-25E,HS0009,'=Nguyễn V. A.,'@6A1,NQ-0009,Học phí,,'=1+2,,,,100000,VNPay,1009,HP9",
            "10/09/2025 09:00,0000001,01BLP0-001,NQ-25E,HS0009,'=Nguyễn V. A.,'@6A1,NQ-0009,Học phí,,'+Quỹ lớp,,,,200000,VNPay,1009,HP9",
            "10/09/2025 09:00,0000001,01BLP0-001,NQ-25E,HS0009,'=Nguyễn V. A.,'@6A1,NQ-0009,Học phí,,'-Giảm trừ,,,,300000,VNPay,1009,HP9",
            "Tổng cộng,1 biên lai,,,,,,,,,,,,,600000,,,",
        ]
    );
    let codes = support::lines(&report.codes_file.unwrap());
    assert!(
        codes[1].starts_with(&format!("{NQ},HS0009,'=Nguyễn Văn An,'@6A1,")),
        "{}",
        codes[1]
    );
}

#[tokio::test]
async fn each_line_carries_its_kind_item_pricing_and_beneficiary_and_deductions_are_negative() {
    // Arrange: a public school's invoice paid with its voluntary item, and tuition less a
    // subsidy and a reduction.
    use hocphi_domain::{LineRef, Payment, PaymentRef, Store};
    use hocphi_fixtures::{InvoiceFixture, private_school_lines, public_school_lines};
    let env = Env::new().await;
    let public = InvoiceFixture {
        school: NQ,
        ..InvoiceFixture::new("NQ-2026-0001", &[])
    }
    .build_with(public_school_lines());
    let private = InvoiceFixture {
        school: NQ,
        student: "HS0002",
        ..InvoiceFixture::new("NQ-2026-0002", &[])
    }
    .build_with(private_school_lines());
    for invoice in [&public, &private] {
        env.store
            .upsert_invoice(invoice, vn(2025, 9, 1, 8, 0), &support::operator())
            .await
            .unwrap();
    }
    let at = vn(2025, 9, 10, 9, 0);
    let chosen = Payment::open(
        PaymentRef::parse("HP1").unwrap(),
        std::slice::from_ref(&public),
        &[LineRef {
            invoice: public.id.clone(),
            line: 3,
        }],
        hocphi_domain::GatewayKind::Vnpay,
        at,
        chrono::Duration::minutes(15),
    )
    .unwrap();
    env.store
        .create_payment(&chosen, at, &hocphi_domain::Actor::Parent)
        .await
        .unwrap();
    support::capture(&env.store, "HP1", "1001", chosen.amount.vnd(), at).await;
    pay(&env.store, &["NQ-2026-0002"], "HP2", "1002", at).await;

    // Act
    let summary = receipts(&env.store, &options(env.path("bien-lai.csv")))
        .await
        .unwrap();

    // Assert
    let columns = |line: &str| -> Vec<String> {
        let record = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .unwrap()
            .unwrap();
        (8..=14).map(|i| record[i].to_owned()).collect()
    };
    let lines = support::lines(&summary.path);
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| columns(l)).collect();
    let expected = [
        [
            "Dịch vụ",
            "BANTRU",
            "Tiền ăn bán trú",
            "21 ngày",
            "25000",
            "",
            "525000",
        ],
        ["Dịch vụ", "", "Chăm sóc bán trú", "", "", "", "200000"],
        [
            "Thu hộ",
            "BHYT",
            "Bảo hiểm y tế học sinh",
            "",
            "",
            "Bảo hiểm xã hội tỉnh Gia Lai",
            "884520",
        ],
        [
            "Tự nguyện",
            "KHUYENHOC",
            "Quỹ khuyến học",
            "",
            "",
            "",
            "100000",
        ],
        ["Học phí", "", "Học phí học kỳ 1", "", "", "", "3000000"],
        [
            "Hỗ trợ học phí",
            "",
            "Hỗ trợ học phí",
            "",
            "",
            "",
            "-1500000",
        ],
        [
            "Miễn, giảm",
            "",
            "Miễn, giảm theo quy định",
            "",
            "",
            "",
            "-300000",
        ],
        ["", "", "", "", "", "", "2909520"],
    ];
    assert_eq!(rows, expected.map(|row| row.map(str::to_owned).to_vec()));
    assert_eq!(summary.total, 1_709_520 + 1_200_000, "the receipts' totals");
    let by_kind: Vec<(&str, Option<&str>, u64)> = summary
        .by_kind
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
        by_kind,
        [
            ("tuition", None, 3_000_000),
            ("service", None, 725_000),
            ("on_behalf", Some("Bảo hiểm xã hội tỉnh Gia Lai"), 884_520),
            ("voluntary", None, 100_000),
            ("subsidy", None, 1_500_000),
            ("reduction", None, 300_000),
        ]
    );
    let said = summary.to_string();
    assert!(
        said.contains("Thu hộ — Bảo hiểm xã hội tỉnh Gia Lai: 884.520\u{a0}₫ (1 dòng)")
            && said.contains("Miễn, giảm: −300.000\u{a0}₫"),
        "{said}"
    );
}
