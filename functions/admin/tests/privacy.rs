//! `privacy export|erase|retention`: what an operator runs for a data subject's request, and the
//! exit codes scripts rely on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hocphi_admin::cli::{Command as Cmd, Exit, PrivacyCommand, execute};
use hocphi_domain::{ERASED, InvoiceId, Store};
use support::{Env, now, open_payment, pay, row};

async fn a_paid_and_an_open_invoice() -> Env {
    let env = Env::new().await;
    let [first, second] = support::nq_0001();
    let third = row(
        "HS0001",
        "Nguyễn Văn An",
        "NQ-0002",
        "Bảo hiểm y tế",
        "1.263.600",
    );
    let other = row(
        "HS0002",
        "Lê Thị Bình",
        "NQ-0003",
        "Học phí học kỳ 1",
        "1.500.000",
    );
    env.import(&env.csv("hoc-phi.csv", &[&first, &second, &third, &other]))
        .await;
    pay(&env.store, &["NQ-0001"], "HP1", "14226112", now()).await;
    env
}

fn erase(student: &str) -> Cmd {
    Cmd::Privacy(PrivacyCommand::Erase {
        student: student.into(),
    })
}

#[tokio::test]
async fn an_export_holds_everything_about_the_student_and_is_written_to_a_new_private_file() {
    let env = a_paid_and_an_open_invoice().await;
    let path = env.path("hs0001.json");
    let export = |out| {
        Cmd::Privacy(PrivacyCommand::Export {
            student: "hs0001".into(),
            out,
        })
    };
    let mut printed = Vec::new();

    let done = execute(
        &env.store,
        export(Some(path.clone())),
        now(),
        &support::operator(),
        None,
        &mut printed,
    )
    .await
    .unwrap();
    let again = execute(
        &env.store,
        export(Some(path.clone())),
        now(),
        &support::operator(),
        None,
        &mut Vec::new(),
    )
    .await;

    assert_eq!(done, Exit::Done);
    assert!(again.is_err(), "an existing file is never overwritten");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let records = &json["records"];
    assert_eq!(records["student"]["name"], "Nguyễn V. A.");
    assert_eq!(records["invoices"].as_array().unwrap().len(), 2);
    assert_eq!(records["payments"][0]["reference"], "HP1");
    assert_eq!(records["receipts"].as_array().unwrap().len(), 1);
    assert!(
        !json.to_string().contains("NQ-0003"),
        "another student's invoice"
    );
    let summary = String::from_utf8(printed).unwrap();
    assert!(
        summary.contains("2 khoản thu, 1 giao dịch, 1 biên lai"),
        "{summary}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
}

#[tokio::test]
async fn erasing_deletes_the_open_invoice_pseudonymises_the_receipt_and_a_second_run_finds_nothing()
{
    let env = a_paid_and_an_open_invoice().await;
    let mut out = Vec::new();

    let first = execute(
        &env.store,
        erase("HS0001"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();
    let second = execute(
        &env.store,
        erase("HS0001"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();

    assert_eq!((first, second), (Exit::Done, Exit::Done));
    let printed = String::from_utf8(out).unwrap();
    assert!(
        printed.contains("Đã xóa dữ liệu của học sinh HS0001:"),
        "{printed}"
    );
    assert!(printed.contains("- xóa 1 khoản thu chưa nộp"), "{printed}");
    assert!(
        printed.contains("1 biên lai: chứng từ kế toán"),
        "{printed}"
    );
    assert!(
        printed.contains("Không còn dữ liệu nào của học sinh HS0001"),
        "{printed}"
    );
    let paid = env
        .store
        .invoice(&InvoiceId::parse("NQ-0001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        paid.student.as_str().starts_with("ANDANH"),
        "{}",
        paid.student
    );
    assert_eq!(paid.student_name.as_str(), ERASED);
    assert!(
        env.store
            .invoice(&InvoiceId::parse("NQ-0003").unwrap())
            .await
            .unwrap()
            .is_some(),
        "another student's invoice stays"
    );
}

#[tokio::test]
async fn erasing_while_a_payment_is_pending_changes_nothing_and_asks_for_attention() {
    let env = a_paid_and_an_open_invoice().await;
    open_payment(&env.store, &["NQ-0002"], "HP2", now(), 15).await;
    let mut out = Vec::new();

    let refused = execute(
        &env.store,
        erase("HS0001"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();
    let bad = execute(
        &env.store,
        erase("HS 1"),
        now(),
        &support::operator(),
        None,
        &mut Vec::new(),
    )
    .await;

    assert_eq!(refused.code(), 3);
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("Chưa xóa gì: giao dịch HP2"), "{printed}");
    assert!(
        env.store
            .student(&"HS0001".parse().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("mã học sinh không hợp lệ")
    );
}

#[tokio::test]
async fn the_retention_command_reports_what_it_removed() {
    let env = a_paid_and_an_open_invoice().await;
    let mut out = Vec::new();

    let done = execute(
        &env.store,
        Cmd::Privacy(PrivacyCommand::Retention { days: 3 }),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();

    assert_eq!(done, Exit::Done);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("Đã xóa 0 bộ đếm")
    );
}
