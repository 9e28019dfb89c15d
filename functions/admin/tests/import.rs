//! `import`: every row checked and reported by row and column, nothing written on a bad file,
//! the CSV and XLSX dialects schools produce, idempotent re-imports, Paid invoices untouched,
//! dry runs, `--skip-invalid`, and the lookup codes file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use chrono::NaiveDate;
use hocphi_admin::import::{CODES_HEADERS, ImportError, ImportOptions, import};
use hocphi_domain::{
    InvoiceId, InvoiceStatus, Label, LookupCode, Store, Student, StudentCode, UpsertOutcome,
};
use rust_xlsxwriter::{Format, Workbook};
use support::{Env, HEADER, LL, NQ, now, open_payment, pay, row};

fn id(raw: &str) -> InvoiceId {
    InvoiceId::parse(raw).unwrap()
}

fn student(raw: &str) -> StudentCode {
    StudentCode::parse(raw).unwrap()
}

/// Two good rows (rows 2 and 3): invoice NQ-0001 of HS0001, 1.500.000 + 650.000.
fn good() -> [String; 2] {
    support::nq_0001()
}

fn full(fields: [&str; 11]) -> String {
    fields.join(",")
}

#[tokio::test]
async fn every_kind_of_bad_row_is_reported_by_row_and_column_and_nothing_is_written() {
    let nbsp = '\u{a0}';
    let ngo = |student: &str, invoice: &str, item: &str, amount: &str| {
        row(student, "Lê Thị Bình", invoice, item, amount)
    };
    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "an unknown school",
            vec![full([
                "XX-KHONG-CO", "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002",
                "Học phí", "1.500.000", "15/10/2025", "",
            ])],
            vec![r#"Dòng 4, cột "Mã trường": trường "XX-KHONG-CO" chưa có trong hệ thống; thêm bằng lệnh "hocphi-admin school add""#.into()],
        ),
        (
            "a student code with a space",
            vec![ngo("HS 02", "NQ-0002", "Học phí", "1.500.000")],
            vec![r#"Dòng 4, cột "Mã học sinh": mã học sinh có ký tự không được phép (4–20 chữ cái không dấu hoặc chữ số), nhận được "HS 02""#.into()],
        ),
        (
            "a student code too short",
            vec![ngo("HS1", "NQ-0002", "Học phí", "1.500.000")],
            vec![r#"Dòng 4, cột "Mã học sinh": mã học sinh ngắn quá (4–20 chữ cái không dấu hoặc chữ số), nhận được "HS1""#.into()],
        ),
        (
            "a malformed invoice id",
            vec![ngo("HS0002", "NQ/0002", "Học phí", "1.500.000")],
            vec![r#"Dòng 4, cột "Mã khoản thu": mã khoản thu có ký tự không được phép (chữ không dấu, số, - _ và ., tối đa 64 ký tự), nhận được "NQ/0002""#.into()],
        ),
        (
            "a decimal comma",
            vec![ngo("HS0002", "NQ-0002", "Học phí", "\"1,5\"")],
            vec![r#"Dòng 4, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "1,5""#.into()],
        ),
        (
            "a fraction of a đồng",
            vec![ngo("HS0002", "NQ-0002", "Học phí", "\"1.500.000,50\"")],
            vec![r#"Dòng 4, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "1.500.000,50""#.into()],
        ),
        (
            "a negative amount",
            vec![ngo("HS0002", "NQ-0002", "Học phí", "-150000")],
            vec![r#"Dòng 4, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "-150000""#.into()],
        ),
        (
            "a zero amount",
            vec![ngo("HS0002", "NQ-0002", "Học phí", "0")],
            vec![r#"Dòng 4, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "0""#.into()],
        ),
        (
            "a missing amount",
            vec![ngo("HS0002", "NQ-0002", "Học phí", "")],
            vec![r#"Dòng 4, cột "Số tiền": không được để trống"#.into()],
        ),
        (
            "items that do not add up to the stated total",
            vec![
                full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "15/10/2025", "2.000.000"]),
                full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Tiền ăn", "400.000", "15/10/2025", ""]),
            ],
            vec![format!(r#"Dòng 4, cột "Tổng tiền": tổng tiền 2.000.000{nbsp}₫ khác tổng các khoản 1.900.000{nbsp}₫ của khoản thu "NQ-0002""#)],
        ),
        (
            "two stated totals that disagree",
            vec![
                full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "15/10/2025", "1.900.000"]),
                full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Tiền ăn", "400.000", "15/10/2025", "1.500.000"]),
            ],
            vec![format!(r#"Dòng 5, cột "Tổng tiền": khoản thu "NQ-0002" ở dòng 4 có tổng tiền "1.900.000{nbsp}₫", dòng này ghi "1.500.000{nbsp}₫""#)],
        ),
        (
            "an invoice whose rows name two students",
            vec![ngo("HS0002", "NQ-0001", "Quỹ lớp", "100.000")],
            vec![r#"Dòng 4, cột "Mã học sinh": khoản thu "NQ-0001" ở dòng 2 có mã học sinh "HS0001", dòng này ghi "HS0002""#.into()],
        ),
        (
            "an invoice whose rows name two schools",
            vec![full([LL, "HS0001", "Nguyễn Văn An", "6A1", "2025-2026", "Học kỳ 1", "NQ-0001", "Quỹ lớp", "100.000", "15/10/2025", ""])],
            vec![
                r#"Dòng 4, cột "Mã trường": học sinh "HS0001" ở dòng 2 có mã trường "BD-THCS-NGOQUYEN", dòng này ghi "BD-TH-LELOI""#.into(),
                r#"Dòng 4, cột "Mã trường": khoản thu "NQ-0001" ở dòng 2 có mã trường "BD-THCS-NGOQUYEN", dòng này ghi "BD-TH-LELOI""#.into(),
            ],
        ),
        (
            "an invoice whose rows name two terms",
            vec![full([NQ, "HS0001", "Nguyễn Văn An", "6A1", "2025-2026", "Học kỳ 2", "NQ-0001", "Quỹ lớp", "100.000", "15/10/2025", ""])],
            vec![r#"Dòng 4, cột "Học kỳ": khoản thu "NQ-0001" ở dòng 2 có học kỳ "Học kỳ 1", dòng này ghi "Học kỳ 2""#.into()],
        ),
        (
            "an invoice whose rows name two due dates",
            vec![full([NQ, "HS0001", "Nguyễn Văn An", "6A1", "2025-2026", "Học kỳ 1", "NQ-0001", "Quỹ lớp", "100.000", "30/10/2025", ""])],
            vec![r#"Dòng 4, cột "Hạn nộp": khoản thu "NQ-0001" ở dòng 2 có hạn nộp "15/10/2025", dòng này ghi "30/10/2025""#.into()],
        ),
        (
            "a duplicate item line",
            vec![row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí học kỳ 1", "1.500.000")],
            vec![r#"Dòng 4, cột "Nội dung": khoản thu "NQ-0001" đã có khoản "Học phí học kỳ 1" ở dòng 2"#.into()],
        ),
        (
            "a date that does not exist",
            vec![full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "31/02/2025", ""])],
            vec![r#"Dòng 4, cột "Hạn nộp": ngày không hợp lệ (viết theo dạng dd/mm/yyyy), nhận được "31/02/2025""#.into()],
        ),
        (
            "a month-first date",
            vec![full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "10/15/2025", ""])],
            vec![r#"Dòng 4, cột "Hạn nộp": ngày không hợp lệ (viết theo dạng dd/mm/yyyy), nhận được "10/15/2025""#.into()],
        ),
        (
            "a school year that is not two consecutive years",
            vec![full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2027", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "15/10/2025", ""])],
            vec![r#"Dòng 4, cột "Năm học": năm học viết theo dạng 2025-2026, nhận được "2025-2027""#.into()],
        ),
        (
            "a missing name",
            vec![full([NQ, "HS0002", "", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "15/10/2025", ""])],
            vec![r#"Dòng 4, cột "Họ và tên": không được để trống"#.into()],
        ),
        (
            "a student in two classes",
            vec![full([NQ, "HS0001", "Nguyễn Văn An", "6A2", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "1.500.000", "15/10/2025", ""])],
            vec![r#"Dòng 4, cột "Lớp": học sinh "HS0001" ở dòng 2 có lớp "6A1", dòng này ghi "6A2""#.into()],
        ),
        (
            "several problems in one row, in column order",
            vec![full([NQ, "HS0002", "Lê Thị Bình", "6A1", "2025-2026", "Học kỳ 1", "NQ-0002", "Học phí", "abc", "hôm qua", ""])],
            vec![
                r#"Dòng 4, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "abc""#.into(),
                r#"Dòng 4, cột "Hạn nộp": ngày không hợp lệ (viết theo dạng dd/mm/yyyy), nhận được "hôm qua""#.into(),
            ],
        ),
    ];
    for (case, extra, expected) in cases {
        // Arrange
        let env = Env::new().await;
        let mut rows: Vec<String> = good().to_vec();
        rows.extend(extra);
        let file = env.csv(
            "hoc-phi.csv",
            &rows.iter().map(String::as_str).collect::<Vec<_>>(),
        );

        // Act
        let report = env.import(&file).await;

        // Assert
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems, expected, "{case}");
        assert!(report.refused, "{case}: the file is refused");
        assert_eq!(
            env.store.invoice(&id("NQ-0001")).await.unwrap(),
            None,
            "{case}: nothing is written"
        );
        assert_eq!(
            env.store.student(&student("HS0001")).await.unwrap(),
            None,
            "{case}"
        );
        assert!(report.codes_file.is_none(), "{case}: no codes file");
    }
}

#[tokio::test]
async fn a_file_without_a_required_column_is_refused_naming_it() {
    let env = Env::new().await;
    let file = env.file(
        "thieu-cot.csv",
        "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Nội dung,Hạn nộp\n"
            .as_bytes(),
    );
    let err = import(&env.store, &env.options(&file)).await.unwrap_err();
    assert!(
        matches!(err, ImportError::MissingColumns(ref m) if m == &["Số tiền"]),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "tệp thiếu cột: \"Số tiền\"");
}

#[tokio::test]
async fn an_amount_column_in_thousands_is_refused_even_below_a_title_row() {
    let env = Env::new().await;
    let header = HEADER.replace("Số tiền,", "Số tiền (nghìn đồng),");
    let text = format!(
        "DANH SÁCH KHOẢN THU HỌC KỲ 1\n{header}\n{}\n",
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "1.500")
    );
    let file = env.file("nghin-dong.csv", text.as_bytes());

    let err = import(&env.store, &env.options(&file)).await.unwrap_err();

    assert!(
        matches!(err, ImportError::ScaledColumn(ref h) if h == "Số tiền (nghìn đồng)"),
        "{err:?}"
    );
    assert!(env.store.invoice(&id("NQ-0001")).await.unwrap().is_none());
}

#[tokio::test]
async fn a_file_that_is_not_utf8_is_refused_with_advice() {
    let env = Env::new().await;
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"\nBD-THCS-NGOQUYEN,HS0001,Nguy\xea\xf5n,6A1,2025-2026,HK1,NQ-1,Hoc phi,100000,15/10/2025,\n");
    let file = env.file("windows-1258.csv", &bytes);
    let err = import(&env.store, &env.options(&file)).await.unwrap_err();
    assert!(
        err.to_string().contains("dòng 2: tệp không phải UTF-8"),
        "{err}"
    );
}

#[tokio::test]
async fn files_with_and_without_a_bom_import_alike() {
    for bom in [true, false] {
        let env = Env::new().await;
        let mut bytes = if bom {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend_from_slice(format!("{HEADER}\n{}\n{}\n", good()[0], good()[1]).as_bytes());
        let file = env.file("hoc-phi.csv", &bytes);

        let report = env.import(&file).await;

        assert!(report.problems.is_empty(), "bom {bom}: {report}");
        assert_eq!(report.invoices.created, 1, "bom {bom}");
        let invoice = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
        assert_eq!(invoice.total().vnd(), 2_150_000, "bom {bom}");
    }
}

#[tokio::test]
async fn semicolon_files_with_loose_headers_and_written_amounts_are_read() {
    // Arrange: headers in another order, in capitals, without accents; `;` between cells.
    let env = Env::new().await;
    let text = "\u{feff}STT; MA HOC SINH ;Họ tên;Mã trường;Lớp;Năm học;Học kỳ;Mã khoản thu;Nội dung;Số tiền (VNĐ);Hạn nộp\n\
                1;HS0001;Nguyễn Văn An;BD-THCS-NGOQUYEN;6A1;2025 - 2026;Học kỳ 1;NQ-0001;Học phí;1.500.000 ₫;15/10/2025\n\
                2;HS0001;Nguyễn Văn An;BD-THCS-NGOQUYEN;6A1;2025 - 2026;Học kỳ 1;NQ-0001;Tiền ăn;650000đ;15/10/2025\n\
                3;HS0001;Nguyễn Văn An;BD-THCS-NGOQUYEN;6A1;2025 - 2026;Học kỳ 1;NQ-0001;Quỹ lớp;1 000 000;15/10/2025\n";
    let file = env.file("hoc-phi.csv", text.as_bytes());

    // Act
    let report = env.import(&file).await;

    // Assert
    assert!(report.problems.is_empty(), "{report}");
    let invoice = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    let amounts: Vec<u64> = invoice.items().iter().map(|i| i.amount.vnd()).collect();
    assert_eq!(amounts, [1_500_000, 650_000, 1_000_000]);
}

#[tokio::test]
async fn an_excel_sep_line_sets_the_delimiter_and_is_not_counted_as_a_row() {
    let env = Env::new().await;
    let text = format!(
        "sep=;\n{}\n{}\n",
        HEADER.replace(',', ";"),
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "-1").replace(',', ";")
    );
    let file = env.file("hoc-phi.csv", text.as_bytes());
    let report = env.import(&file).await;
    assert_eq!(report.problems[0].row, 2, "{report}");
    assert_eq!(report.problems[0].column, Some("Số tiền"));
}

#[tokio::test]
async fn title_rows_above_the_header_are_skipped_and_row_numbers_stay_true() {
    let env = Env::new().await;
    let text = format!(
        "DANH SÁCH THU HỌC PHÍ HỌC KỲ 1,,,,,,,,,,\nTrường THCS Ngô Quyền,,,,,,,,,,\n\n{HEADER}\n{}\n{}\n",
        good()[0],
        row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "\"1,5\"")
    );
    let file = env.file("hoc-phi.csv", text.as_bytes());

    let report = env.import(&file).await;

    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [r#"Dòng 6, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "1,5""#]
    );
}

fn xlsx_fixture(path: &std::path::Path) {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (col, header) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    let text = |sheet: &mut rust_xlsxwriter::Worksheet, row: u32, cells: [&str; 8]| {
        for (col, value) in cells.iter().enumerate() {
            sheet.write_string(row, col as u16, *value).unwrap();
        }
    };
    // Row 2: the due date as a real date cell; amount and student code as number cells.
    text(
        sheet,
        1,
        [
            NQ,
            "",
            "Nguyễn Văn An",
            "6A1",
            "2025-2026",
            "Học kỳ 1",
            "NQ-0001",
            "Học phí học kỳ 1",
        ],
    );
    sheet.write_number(1, 1, 5_201_234_567.0).unwrap();
    sheet.write_number(1, 8, 1_500_000.0).unwrap();
    sheet
        .write_datetime_with_format(1, 9, NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(), &date)
        .unwrap();
    // Row 3: the due date as a bare serial number, the amount as text.
    text(
        sheet,
        2,
        [
            NQ,
            "5201234567",
            "Nguyễn Văn An",
            "6A1",
            "2025-2026",
            "Học kỳ 1",
            "NQ-0001",
            "Tiền ăn tháng 9",
        ],
    );
    sheet.write_string(2, 8, "650.000").unwrap();
    sheet.write_number(2, 9, 45_945.0).unwrap();
    // Row 5 (row 4 left empty): another invoice, due date as text.
    text(
        sheet,
        4,
        [
            LL,
            "5201234568",
            "Trần Thị Bình",
            "3B",
            "2025-2026",
            "Học kỳ 1",
            "LL-0001",
            "Tiền ăn tháng 9",
        ],
    );
    sheet.write_number(4, 8, 720_000.0).unwrap();
    sheet.write_string(4, 9, "15/10/2025").unwrap();
    workbook.save(path).unwrap();
}

#[tokio::test]
async fn xlsx_files_with_date_cells_and_serial_numbers_import() {
    // Arrange
    let env = Env::new().await;
    let file = env.path("hoc-phi.xlsx");
    xlsx_fixture(&file);

    // Act
    let report = env.import(&file).await;

    // Assert
    assert!(report.problems.is_empty(), "{report}");
    assert_eq!((report.rows, report.invoices.created), (3, 2));
    let first = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(
        first.due_date,
        NaiveDate::from_ymd_opt(2025, 10, 15).unwrap()
    );
    assert_eq!(first.student.as_str(), "5201234567");
    assert_eq!(first.total().vnd(), 2_150_000);
    let second = env.store.invoice(&id("LL-0001")).await.unwrap().unwrap();
    assert_eq!(
        second.due_date,
        NaiveDate::from_ymd_opt(2025, 10, 15).unwrap()
    );
}

#[tokio::test]
async fn xlsx_problems_are_reported_with_the_row_number_excel_shows() {
    let env = Env::new().await;
    let file = env.path("hoc-phi.xlsx");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, header) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for (col, value) in row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "x")
        .split(',')
        .enumerate()
    {
        sheet.write_string(6, col as u16, value).unwrap();
    }
    sheet.write_number(6, 8, 1_500_000.5).unwrap();
    sheet.write_number(6, 1, 520_123_456_789_012_345.0).unwrap();
    workbook.save(&file).unwrap();

    let report = env.import(&file).await;

    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with(
            r#"Dòng 7, cột "Mã học sinh": mã dài hơn 15 chữ số nằm trong ô kiểu số nên Excel đã làm tròn"#
        ),
        "{problems:#?}"
    );
    assert_eq!(
        problems[1],
        r#"Dòng 7, cột "Số tiền": số tiền phải là số nguyên dương (VND), nhận được "1500000.5""#
    );
}

#[tokio::test]
async fn importing_the_same_file_again_changes_nothing() {
    // Arrange
    let env = Env::new().await;
    let [a, b] = good();
    let file = env.csv("hoc-phi.csv", &[&a, &b]);
    let first = env.import(&file).await;
    let before = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();

    // Act
    let again = env.import(&file).await;

    // Assert
    assert_eq!((first.invoices.created, first.students_new), (1, 1));
    assert_eq!(again.invoices.unchanged, 1, "{again}");
    assert_eq!((again.invoices.created, again.invoices.updated), (0, 0));
    assert_eq!((again.students_new, again.students_unchanged), (0, 1));
    assert_eq!(again.codes_file, None, "no new student, no codes file");
    assert!(!again.needs_attention());
    let after = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(after.version, before.version, "not even the version moves");
}

#[tokio::test]
async fn a_changed_open_invoice_is_updated() {
    let env = Env::new().await;
    let [a, b] = good();
    env.import(&env.csv("v1.csv", &[&a, &b])).await;
    let changed = b.replace("650.000", "700.000");

    let report = env.import(&env.csv("v2.csv", &[&a, &changed])).await;

    assert_eq!(report.invoices.updated, 1, "{report}");
    let invoice = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(invoice.total().vnd(), 2_200_000);
}

#[tokio::test]
async fn a_paid_invoice_is_never_altered_and_the_refusal_is_reported() {
    // Arrange
    let env = Env::new().await;
    let [a, b] = good();
    env.import(&env.csv("v1.csv", &[&a, &b])).await;
    pay(&env.store, &["NQ-0001"], "HP1", "14226112", now()).await;
    let changed = b.replace("650.000", "700.000");

    // Act
    let report = env.import(&env.csv("v2.csv", &[&a, &changed])).await;

    // Assert
    assert_eq!(report.invoices.refused_paid, 1, "{report}");
    assert_eq!(
        report.refusals,
        [(id("NQ-0001"), UpsertOutcome::RefusedPaid)]
    );
    assert!(report.needs_attention());
    assert!(
        report
            .to_string()
            .contains("NQ-0001: từ chối: khoản thu đã nộp, không được sửa")
    );
    let invoice = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(invoice.status, InvoiceStatus::Paid);
    assert_eq!(invoice.total().vnd(), 2_150_000, "the paid amount stands");
}

#[tokio::test]
async fn invoices_held_by_a_live_payment_or_voided_are_refused() {
    let env = Env::new().await;
    let rows = [
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "1.500.000"),
        row("HS0001", "Nguyễn Văn An", "NQ-0002", "Học phí", "1.500.000"),
    ];
    env.import(&env.csv("v1.csv", &[&rows[0], &rows[1]])).await;
    open_payment(&env.store, &["NQ-0001"], "HP1", now(), 60).await;
    env.store
        .void_invoice(
            &id("NQ-0002"),
            &Label::parse("Nhập nhầm").unwrap(),
            now(),
            &support::operator(),
        )
        .await
        .unwrap();
    let changed = rows.map(|r| r.replace("1.500.000", "1.600.000"));

    let report = env
        .import(&env.csv("v2.csv", &[&changed[0], &changed[1]]))
        .await;

    assert_eq!(
        report.refusals,
        [
            (id("NQ-0001"), UpsertOutcome::RefusedHeld),
            (id("NQ-0002"), UpsertOutcome::RefusedCancelled)
        ]
    );
    let held = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(held.total().vnd(), 1_500_000);
}

#[tokio::test]
async fn another_schools_file_numbering_alike_never_takes_over_an_invoice() {
    let env = Env::new().await;
    let [a, b] = good();
    env.import(&env.csv("ngo-quyen.csv", &[&a, &b])).await;
    let le_loi = row("HS0009", "Lê Thị Hoa", "NQ-0001", "Học phí", "900.000")
        .replacen(NQ, LL, 1)
        .replacen("6A1", "3B", 1);

    for dry_run in [true, false] {
        let file = env.csv("le-loi.csv", &[&le_loi]);
        let options = ImportOptions {
            dry_run,
            ..env.options(&file)
        };

        let report = import(&env.store, &options).await.unwrap();

        assert_eq!(
            report.refusals,
            [(id("NQ-0001"), UpsertOutcome::RefusedOtherOwner)],
            "dry run {dry_run}: {report}"
        );
        assert!(report.needs_attention());
        assert!(report.to_string().contains(
            "NQ-0001: từ chối: mã khoản thu này đã dùng cho học sinh khác (hoặc trường khác)"
        ));
    }
    let kept = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(kept.student, student("HS0001"));
    assert_eq!(kept.total().vnd(), 2_150_000);
}

#[tokio::test]
async fn a_student_code_another_school_already_uses_is_refused_in_a_dry_run_and_for_real() {
    // Arrange: HS0001 is Ngô Quyền's; Lê Lợi numbers one of its own students HS0001 too.
    let env = Env::new().await;
    let [a, b] = good();
    env.import(&env.csv("ngo-quyen.csv", &[&a, &b])).await;
    let before = env
        .store
        .student(&student("HS0001"))
        .await
        .unwrap()
        .unwrap();
    let le_loi = [
        row("HS0001", "Trần Thị Hoa", "LL-0001", "Học phí", "900.000")
            .replacen(NQ, LL, 1)
            .replacen("6A1", "3B", 1),
        row("HS0002", "Lê Thị Bình", "LL-0002", "Học phí", "900.000")
            .replacen(NQ, LL, 1)
            .replacen("6A1", "3B", 1),
    ];
    let file = env.csv("le-loi.csv", &[&le_loi[0], &le_loi[1]]);

    for dry_run in [true, false] {
        // Act
        let report = import(
            &env.store,
            &ImportOptions {
                dry_run,
                ..env.options(&file)
            },
        )
        .await
        .unwrap();

        // Assert
        assert!(report.refused, "dry run {dry_run}: {report}");
        assert_eq!(
            report
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [format!(
                r#"Dòng 2, cột "Mã trường": học sinh "HS0001" đã thuộc trường "{NQ}" trong hệ thống, tệp này ghi trường "{LL}"; mỗi mã học sinh chỉ thuộc một trường, hãy dùng mã khác cho học sinh của trường "{LL}""#
            )],
            "dry run {dry_run}"
        );
        assert_eq!((report.rejected_invoices, report.rejected_rows), (1, 1));
    }
    assert_eq!(
        env.store
            .student(&student("HS0001"))
            .await
            .unwrap()
            .unwrap(),
        before,
        "the student, their school and their lookup digest are untouched"
    );
    assert_eq!(env.store.invoice(&id("LL-0001")).await.unwrap(), None);
    assert_eq!(env.store.invoice(&id("LL-0002")).await.unwrap(), None);
    let skipping = import(
        &env.store,
        &ImportOptions {
            skip_invalid: true,
            ..env.options(&file)
        },
    )
    .await
    .unwrap();
    assert_eq!(skipping.invoices.created, 1, "{skipping}");
    assert_eq!(env.store.invoice(&id("LL-0001")).await.unwrap(), None);
    assert!(env.store.invoice(&id("LL-0002")).await.unwrap().is_some());
    assert_eq!(
        env.store
            .student(&student("HS0001"))
            .await
            .unwrap()
            .unwrap(),
        before
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_codes_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new().await;
    let [a, b] = good();

    let new = row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "1.500.000");

    let csv = env.import(&env.csv("hoc-phi.csv", &[&a, &b])).await;
    let xlsx = import(
        &env.store,
        &ImportOptions {
            codes_out: Some(env.path("ma-tra-cuu.xlsx")),
            ..env.options(&env.csv("them.csv", &[&new]))
        },
    )
    .await
    .unwrap();

    for report in [csv, xlsx] {
        let path = report.codes_file.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", path.display());
    }
}

#[tokio::test]
async fn the_store_keeps_a_digest_that_a_copied_database_cannot_check() {
    let env = Env::new().await;
    let [a, b] = good();

    let report = env.import(&env.csv("hoc-phi.csv", &[&a, &b])).await;

    let code = support::lines(&report.codes_file.unwrap())[1]
        .rsplit(',')
        .next()
        .unwrap()
        .replace('-', "");
    let stored = env
        .store
        .student(&student("HS0001"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored
            .lookup
            .as_str()
            .contains(&hocphi_fixtures::unkeyed_digest("HS0001", &code)),
        "{}",
        stored.lookup.as_str()
    );
    let typed = LookupCode::parse(&code).unwrap();
    let other_key = hocphi_domain::LookupKey::new(&"k".repeat(40)).unwrap();
    assert!(
        stored
            .lookup
            .admits(&stored.code, &typed, &hocphi_fixtures::lookup_key())
    );
    assert!(!stored.lookup.admits(&stored.code, &typed, &other_key));
}

#[tokio::test]
async fn new_students_need_the_lookup_key_and_a_dry_run_does_not() {
    let env = Env::new().await;
    let [a, b] = good();
    let file = env.csv("hoc-phi.csv", &[&a, &b]);
    let without = |dry_run| ImportOptions {
        dry_run,
        lookup_key: None,
        ..env.options(&file)
    };

    let dry = import(&env.store, &without(true)).await.unwrap();
    let real = import(&env.store, &without(false)).await;

    assert_eq!(dry.students_new, 1, "{dry}");
    assert!(matches!(real, Err(ImportError::NoLookupKey)), "{real:?}");
    assert_eq!(env.store.student(&student("HS0001")).await.unwrap(), None);
}

#[tokio::test]
async fn a_dry_run_reports_what_would_happen_and_writes_nothing() {
    // Arrange: one invoice already imported, then a file that changes it and adds another.
    let env = Env::new().await;
    let [a, b] = good();
    env.import(&env.csv("v1.csv", &[&a, &b])).await;
    let files_before = std::fs::read_dir(env.dir.path()).unwrap().count();
    let db_before = std::fs::read(env.db()).unwrap();
    let changed = b.replace("650.000", "700.000");
    let new = row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "1.500.000");
    let file = env.csv("v2.csv", &[&a, &changed, &new]);
    let options = ImportOptions {
        dry_run: true,
        ..env.options(&file)
    };

    // Act
    let report = import(&env.store, &options).await.unwrap();

    // Assert
    assert!(report.dry_run);
    assert_eq!(
        (report.invoices.created, report.invoices.updated),
        (1, 1),
        "{report}"
    );
    assert_eq!((report.students_new, report.students_unchanged), (1, 1));
    assert_eq!(report.codes_file, None);
    assert!(
        report
            .to_string()
            .contains("Chạy thử (--dry-run): không ghi gì.")
    );
    assert_eq!(env.store.invoice(&id("NQ-0002")).await.unwrap(), None);
    assert_eq!(env.store.student(&student("HS0002")).await.unwrap(), None);
    let kept = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(kept.total().vnd(), 2_150_000);
    assert_eq!(
        std::fs::read_dir(env.dir.path()).unwrap().count(),
        files_before + 1,
        "only the input file was added: no codes file"
    );
    assert_eq!(std::fs::read(env.db()).unwrap(), db_before);
}

#[tokio::test]
async fn skip_invalid_imports_the_good_invoices_and_skips_each_bad_invoice_whole() {
    // Arrange: NQ-0001 good; NQ-0002 has one good and one bad row; one row has no valid id.
    let env = Env::new().await;
    let [a, b] = good();
    let rows = [
        a,
        b,
        row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "1.500.000"),
        row("HS0002", "Lê Thị Bình", "NQ-0002", "Tiền ăn", "\"1,5\""),
        row(
            "HS0003",
            "Phạm Văn Cường",
            "NQ 0003",
            "Học phí",
            "1.500.000",
        ),
    ];
    let file = env.csv(
        "hoc-phi.csv",
        &rows.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let options = ImportOptions {
        skip_invalid: true,
        ..env.options(&file)
    };

    // Act
    let report = import(&env.store, &options).await.unwrap();

    // Assert
    assert!(!report.refused);
    assert_eq!(report.problems.len(), 2, "{report}");
    assert_eq!((report.rejected_invoices, report.rejected_rows), (1, 3));
    assert_eq!(report.invoices.created, 1);
    assert!(report.needs_attention());
    assert!(env.store.invoice(&id("NQ-0001")).await.unwrap().is_some());
    assert_eq!(
        env.store.invoice(&id("NQ-0002")).await.unwrap(),
        None,
        "skipped whole"
    );
    assert_eq!(
        env.store.student(&student("HS0002")).await.unwrap(),
        None,
        "no valid invoice"
    );
    assert_eq!(env.store.student(&student("HS0003")).await.unwrap(), None);
    assert_eq!(report.students_new, 1);
}

#[tokio::test]
async fn only_new_students_get_codes_and_the_store_keeps_only_matching_digests() {
    // Arrange: HS0001 is already known with a code; HS0002 and HS0003 are new.
    let env = Env::new().await;
    let known_code = LookupCode::parse("ABCD2345").unwrap();
    let known = Student {
        code: student("HS0001"),
        school: hocphi_domain::SchoolId::parse(NQ).unwrap(),
        name: hocphi_domain::MaskedName::mask("Nguyễn Văn An").unwrap(),
        class_name: Label::parse("5A1").unwrap(),
        lookup: known_code.digest(&student("HS0001"), &hocphi_fixtures::lookup_key()),
    };
    env.store
        .upsert_student(&known, now(), &support::operator())
        .await
        .unwrap();
    let rows = [
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "1.500.000"),
        full([
            LL,
            "HS0003",
            "Trần Thị Bích Ngọc",
            "3B",
            "2025-2026",
            "Học kỳ 1",
            "LL-0001",
            "Học phí",
            "900.000",
            "15/10/2025",
            "",
        ]),
        row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "1.500.000"),
    ];
    let file = env.csv(
        "hoc-phi.csv",
        &rows.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    // Act
    let report = env.import(&file).await;

    // Assert
    assert_eq!(
        (report.students_new, report.students_updated),
        (2, 1),
        "{report}"
    );
    let path = report.codes_file.clone().unwrap();
    assert_eq!(path, env.path("ma-tra-cuu-2025-09-01.csv"));
    let lines = support::lines(&path);
    assert_eq!(lines[0], CODES_HEADERS.join(","));
    assert_eq!(
        lines.len(),
        3,
        "two new students, sorted by school: {lines:?}"
    );
    let codes: HashMap<String, (String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (
                cells[1].to_owned(),
                (cells[2].to_owned(), cells[4].to_owned()),
            )
        })
        .collect();
    assert!(lines[1].starts_with("BD-TH-LELOI,HS0003,Trần Thị Bích Ngọc,3B,"));
    assert!(lines[2].starts_with("BD-THCS-NGOQUYEN,HS0002,Lê Thị Bình,6A1,"));
    for (code, (_, lookup)) in &codes {
        assert_eq!(lookup.len(), 9, "printed as XXXX-XXXX: {lookup}");
        let stored = env.store.student(&student(code)).await.unwrap().unwrap();
        let typed = LookupCode::parse(lookup).unwrap();
        assert!(
            stored
                .lookup
                .admits(&stored.code, &typed, &hocphi_fixtures::lookup_key()),
            "{code}"
        );
        assert_ne!(stored.lookup.as_str(), typed.as_str());
    }
    let kept = env
        .store
        .student(&student("HS0001"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        kept.lookup
            .admits(&kept.code, &known_code, &hocphi_fixtures::lookup_key()),
        "a known student keeps their code"
    );
    assert_eq!(
        kept.class_name.as_str(),
        "6A1",
        "but their class follows the file"
    );
    let masked = env
        .store
        .student(&student("HS0003"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(masked.name.as_str(), "Trần T. B. N.");
}

#[tokio::test]
async fn full_names_and_codes_never_reach_the_store() {
    let env = Env::new().await;
    let [a, b] = good();
    let report = env.import(&env.csv("hoc-phi.csv", &[&a, &b])).await;
    let code = support::lines(&report.codes_file.unwrap())[1]
        .rsplit(',')
        .next()
        .unwrap()
        .replace('-', "");
    drop(env.store);
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("hocphi.db") {
            stored.extend(std::fs::read(path).unwrap());
        }
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(!stored.contains("Nguyễn Văn An"));
    assert!(stored.contains("Nguyễn V. A."));
    assert!(!stored.contains(&code));
}

#[tokio::test]
async fn an_existing_codes_file_is_never_overwritten() {
    // Arrange
    let env = Env::new().await;
    let [a, b] = good();
    let file = env.csv("hoc-phi.csv", &[&a, &b]);
    let taken = env.file("ma-tra-cuu.csv", b"codes printed yesterday");

    // Act
    let named = import(
        &env.store,
        &ImportOptions {
            codes_out: Some(taken.clone()),
            ..env.options(&file)
        },
    )
    .await;
    env.file("ma-tra-cuu-2025-09-01.csv", b"earlier today");
    let defaulted = env.import(&file).await;

    // Assert
    assert!(
        matches!(named, Err(ImportError::CodesFileExists(_))),
        "{named:?}"
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"codes printed yesterday");
    assert_eq!(
        defaulted.codes_file,
        Some(env.path("ma-tra-cuu-2025-09-01-2.csv")),
        "the default name steps aside"
    );
    assert_eq!(
        std::fs::read(env.path("ma-tra-cuu-2025-09-01.csv")).unwrap(),
        b"earlier today"
    );
}

#[tokio::test]
async fn the_shipped_samples_import_cleanly_and_alike() {
    let sample = |name: &str| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name)
    };
    let csv_env = Env::new().await;
    let xlsx_env = Env::new().await;

    let from_csv = csv_env.import(&sample("hoc-phi-mau.csv")).await;
    let from_xlsx = xlsx_env.import(&sample("hoc-phi-mau.xlsx")).await;

    assert!(from_csv.problems.is_empty(), "{from_csv}");
    assert!(from_xlsx.problems.is_empty(), "{from_xlsx}");
    assert_eq!(from_csv.invoices.created, 5);
    assert_eq!(from_xlsx.invoices, from_csv.invoices);
    for invoice in [
        "NQ-2526-HK1-0101",
        "NQ-2526-HK1-0102",
        "NQ-2526-BHYT-0103",
        "LL-2526-HK1-0201",
    ] {
        let a = csv_env.store.invoice(&id(invoice)).await.unwrap().unwrap();
        let b = xlsx_env.store.invoice(&id(invoice)).await.unwrap().unwrap();
        assert!(a.same_content(&b), "{invoice}");
    }
}

#[tokio::test]
async fn rows_of_one_invoice_may_be_anywhere_in_the_file() {
    let env = Env::new().await;
    let rows = [
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Học phí", "1.500.000"),
        row("HS0002", "Lê Thị Bình", "NQ-0002", "Học phí", "1.500.000"),
        row("HS0001", "Nguyễn Văn An", "NQ-0001", "Tiền ăn", "650.000"),
    ];
    let report = env
        .import(&env.csv("hoc-phi.csv", &[&rows[0], &rows[1], &rows[2]]))
        .await;
    assert_eq!(report.invoices.created, 2, "{report}");
    let invoice = env.store.invoice(&id("NQ-0001")).await.unwrap().unwrap();
    assert_eq!(invoice.items().len(), 2);
}

/// Regenerates `samples/hoc-phi-mau.xlsx` from the CSV sample: `cargo test -p hocphi-admin
/// --test import -- --ignored regenerate`.
#[test]
#[ignore = "writes into the source tree; run by hand when the CSV sample changes"]
fn regenerate_the_xlsx_sample() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let text = std::fs::read_to_string(dir.join("hoc-phi-mau.csv")).unwrap();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title("Học phí mẫu")
            .set_creation_datetime(&rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 9, 1).unwrap()),
    );
    let sheet = workbook.add_worksheet().set_name("Học phí").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let bold = Format::new().set_bold();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            match (r, c) {
                (0, _) => {
                    sheet.write_string_with_format(r, c, cell, &bold).unwrap();
                }
                (_, 8) | (_, 10) if !cell.is_empty() => {
                    let vnd: u32 = cell.replace('.', "").parse().unwrap();
                    sheet.write_number(r, c, vnd).unwrap();
                }
                (_, 9) => {
                    let day = NaiveDate::parse_from_str(cell, "%d/%m/%Y").unwrap();
                    sheet.write_datetime_with_format(r, c, day, &date).unwrap();
                }
                _ => {
                    sheet.write_string(r, c, cell).unwrap();
                }
            }
        }
    }
    sheet.autofit();
    workbook.save(dir.join("hoc-phi-mau.xlsx")).unwrap();
}
