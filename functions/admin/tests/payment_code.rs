//! `payment-code`: a student's payment code, issued under the lookup key the partner API
//! verifies it with.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Command;

use hocphi_admin::cli::{AdminError, Command as Cmd, Exit, execute};
use hocphi_domain::{LookupKey, PaymentCode, SchoolYear, StudentCode};
use support::{Env, now};

async fn one_student() -> Env {
    let env = Env::new().await;
    let rows = support::nq_0001();
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    env.import(&env.csv("hoc-phi.csv", &refs)).await;
    env
}

fn command(student: &str, year: Option<&str>) -> Cmd {
    Cmd::PaymentCode {
        student: student.to_owned(),
        year: year.map(str::to_owned),
    }
}

/// The payment codes printed, parsed.
fn codes(printed: &str) -> Vec<PaymentCode> {
    printed
        .lines()
        .filter_map(|line| line.strip_prefix("Mã thanh toán năm học "))
        .map(|rest| {
            let code = rest.split_once(": ").unwrap().1;
            PaymentCode::parse(code.split(' ').next().unwrap()).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_code_printed_verifies_under_the_key_and_names_the_student_and_year() {
    // Arrange
    let env = one_student().await;
    let key = hocphi_fixtures::lookup_key();
    let mut by_year = Vec::new();
    let mut by_default = Vec::new();

    // Act
    let given = execute(
        &env.store,
        command("HS0001", Some("2026-2027")),
        now(),
        &support::operator(),
        Some(&key),
        &mut by_year,
    )
    .await
    .unwrap();
    let open = execute(
        &env.store,
        command("hs0001", None),
        now(),
        &support::operator(),
        Some(&key),
        &mut by_default,
    )
    .await
    .unwrap();

    // Assert
    assert_eq!((given, open), (Exit::Done, Exit::Done));
    let by_year = String::from_utf8(by_year).unwrap();
    let by_default = String::from_utf8(by_default).unwrap();
    let student = StudentCode::parse("HS0001").unwrap();
    let [code] = codes(&by_year).try_into().unwrap();
    assert!(code.verify(&key));
    assert_eq!(code.student(), &student);
    assert!(code.is_for(SchoolYear::parse("2026-2027").unwrap()));
    assert!(
        by_year.contains("Mã thanh toán năm học 2026-2027: HS0001-26"),
        "{by_year}"
    );
    let [open_year] = codes(&by_default).try_into().unwrap();
    let year = SchoolYear::parse("2025-2026").unwrap();
    assert_eq!(
        open_year.to_string(),
        PaymentCode::issue(&student, year, &key).to_string(),
        "without --year, the year of the open invoices"
    );
    assert!(
        by_default.contains("(1 khoản thu chưa nộp)"),
        "{by_default}"
    );
    let other_key = LookupKey::new(&"k".repeat(32)).unwrap();
    assert!(!code.verify(&other_key));
}

#[tokio::test]
async fn an_unknown_student_a_bad_year_and_a_missing_key_print_no_code() {
    let env = one_student().await;
    let key = hocphi_fixtures::lookup_key();
    let cases: [(Cmd, Option<&LookupKey>, &str); 4] = [
        (
            command("HS9999", None),
            Some(&key),
            "không tìm thấy học sinh \"HS9999\"",
        ),
        (
            command("HS0001", Some("2026")),
            Some(&key),
            "năm học không hợp lệ: \"2026\" (viết như 2026-2027)",
        ),
        (
            command("HS 0001!", None),
            Some(&key),
            "mã học sinh không hợp lệ: \"HS 0001!\"",
        ),
        (command("HS0001", None), None, "chưa có khoá mã tra cứu"),
    ];
    for (command, key, expected) in cases {
        let mut out = Vec::new();

        let err: AdminError = execute(
            &env.store,
            command,
            now(),
            &support::operator(),
            key,
            &mut out,
        )
        .await
        .unwrap_err();

        assert!(err.to_string().starts_with(expected), "{err}");
        assert!(out.is_empty());
    }
}

#[tokio::test]
async fn the_command_issues_the_code_under_the_local_key_file_beside_the_database() {
    // Arrange
    let env = one_student().await;

    // Act
    let output = Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .args(["--store", &format!("sqlite:{}", env.db().display())])
        .args(["payment-code", "--student", "HS0001", "--year", "2025-2026"])
        .env_remove("HOCPHI_LOOKUP_KEY")
        .env_remove("HOCPHI_LOOKUP_KEY_ARN")
        .env_remove("HOCPHI_DYNAMODB_ENDPOINT")
        .output()
        .unwrap();

    // Assert
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = LookupKey::new(&std::fs::read_to_string(env.path("lookup-key")).unwrap()).unwrap();
    let [code] = codes(&printed).try_into().unwrap();
    assert!(code.verify(&key), "{printed}");
    assert!(
        printed.starts_with("Học sinh HS0001 — Nguyễn V. A., lớp 6A1, trường BD-THCS-NGOQUYEN"),
        "{printed}"
    );
}
