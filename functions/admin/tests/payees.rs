//! Payees and mismatched transfers: `school add --payee`, `school set-payee`, and what `show`
//! tells operators about the money a payment received that was not its amount.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Output};

use chrono::Duration;
use hocphi_admin::school::{NewSchool, SchoolError, add, set_payee};
use hocphi_admin::show::{payment, student};
use hocphi_domain::{
    GatewayKind, InvoiceId, PayeeId, Payment, PaymentRef, PaymentStatus, SchoolId, Settled, Store,
};
use support::{Env, NQ, capture, now, vn};

fn new_school(payee: Option<&str>) -> NewSchool {
    NewSchool {
        id: "bd-thcs-tranphu".into(),
        name: "Trường THCS Trần Phú".into(),
        template: "01BLP0-001".into(),
        series: "TP-25E".into(),
        payee: payee.map(str::to_owned),
        commune: None,
    }
}

async fn payee_of(env: &Env, id: &str) -> Option<PayeeId> {
    let id = SchoolId::parse(id).unwrap();
    env.store.school(&id).await.unwrap().unwrap().payee
}

#[tokio::test]
async fn a_school_names_its_payee_and_keeps_it_when_updated_without_one() {
    let env = Env::new().await;

    let added = add(
        &env.store,
        &new_school(Some("bd-thcs-tranphu")),
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let updated = add(&env.store, &new_school(None), now(), &support::operator())
        .await
        .unwrap();

    assert_eq!(
        added.school.payee,
        Some(PayeeId::parse("BD-THCS-TRANPHU").unwrap())
    );
    assert!(
        added
            .to_string()
            .contains("Tài khoản nhận tiền (VietQR qua payOS): BD-THCS-TRANPHU"),
        "{added}"
    );
    assert!(updated.replaced);
    assert_eq!(updated.school.payee, added.school.payee);
    assert_eq!(payee_of(&env, "BD-THCS-TRANPHU").await, added.school.payee);
}

#[tokio::test]
async fn an_operator_changes_or_removes_a_schools_payee() {
    let env = Env::new().await;

    let shared = set_payee(
        &env.store,
        NQ,
        Some("BD-PGD-TPQN"),
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let same = set_payee(
        &env.store,
        NQ,
        Some("BD-PGD-TPQN"),
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let removed = set_payee(&env.store, NQ, None, now(), &support::operator())
        .await
        .unwrap();

    assert_eq!(shared.previous, None);
    assert!(
        shared
            .to_string()
            .starts_with("Đã đặt tài khoản nhận tiền của trường BD-THCS-NGOQUYEN"),
        "{shared}"
    );
    assert!(same.to_string().starts_with("Không đổi"), "{same}");
    assert_eq!(
        removed.previous,
        Some(PayeeId::parse("BD-PGD-TPQN").unwrap())
    );
    assert!(removed.to_string().starts_with("Đã bỏ"), "{removed}");
    assert!(
        removed.to_string().contains("chưa có, học sinh trường này"),
        "{removed}"
    );
    assert_eq!(payee_of(&env, NQ).await, None);
}

#[tokio::test]
async fn a_bad_payee_or_an_unknown_school_is_refused_and_nothing_is_written() {
    let env = Env::new().await;
    let cases: [(&str, Option<&str>, &str); 4] = [
        (NQ, Some("NGÔ QUYỀN"), "mã tài khoản nhận tiền không hợp lệ"),
        (NQ, Some("X"), "mã tài khoản nhận tiền không hợp lệ"),
        (
            NQ,
            Some(&"A".repeat(33)),
            "mã tài khoản nhận tiền không hợp lệ",
        ),
        (
            "BD-THCS-KHONGCO",
            Some("BD-PGD"),
            "không có trường \"BD-THCS-KHONGCO\"",
        ),
    ];

    for (school, payee, message) in cases {
        let refused = set_payee(&env.store, school, payee, now(), &support::operator())
            .await
            .unwrap_err();
        assert!(refused.to_string().starts_with(message), "{refused}");
    }
    let bad_add = add(
        &env.store,
        &new_school(Some("a b")),
        now(),
        &support::operator(),
    )
    .await;

    assert!(matches!(bad_add, Err(SchoolError::Payee(_))), "{bad_add:?}");
    assert_eq!(payee_of(&env, NQ).await, None);
}

#[tokio::test]
async fn show_student_tells_where_the_schools_transfers_are_paid() {
    let env = Env::new().await;
    env.import(&env.csv(
        "hoc-phi.csv",
        &support::nq_0001().each_ref().map(String::as_str),
    ))
    .await;
    let before = student(&env.store, "HS0001").await.unwrap().to_string();
    set_payee(&env.store, NQ, Some(NQ), now(), &support::operator())
        .await
        .unwrap();

    let after = student(&env.store, "HS0001").await.unwrap().to_string();

    assert!(
        before.contains("Tài khoản nhận tiền (VietQR qua payOS): chưa có"),
        "{before}"
    );
    assert!(
        after.contains(
            "Trường BD-THCS-NGOQUYEN — Trường THCS Ngô Quyền\nTài khoản nhận tiền (VietQR qua payOS): BD-THCS-NGOQUYEN\n"
        ),
        "{after}"
    );
}

#[tokio::test]
async fn show_payment_lists_its_payee_and_every_transfer_of_another_amount() {
    let env = Env::new().await;
    env.import(&env.csv(
        "hoc-phi.csv",
        &support::nq_0001().each_ref().map(String::as_str),
    ))
    .await;
    let invoice = env
        .store
        .invoice(&InvoiceId::parse("NQ-0001").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut opened = Payment::open(
        PaymentRef::parse("HP1").unwrap(),
        &[invoice],
        &[],
        GatewayKind::Vnpay,
        now(),
        Duration::minutes(15),
    )
    .unwrap();
    opened.payee = Some(PayeeId::parse(NQ).unwrap());
    env.store
        .create_payment(&opened, now(), &hocphi_domain::Actor::Parent)
        .await
        .unwrap();

    let short = capture(
        &env.store,
        "HP1",
        "FT2509011",
        2_000_000,
        vn(2025, 9, 1, 10, 5),
    )
    .await;
    let over = capture(
        &env.store,
        "HP1",
        "FT2509012",
        2_200_000,
        vn(2025, 9, 1, 10, 7),
    )
    .await;
    let shown = payment(&env.store, "HP1").await.unwrap().to_string();

    for settled in [short, over] {
        assert!(
            matches!(settled, Settled::AmountMismatch { recorded: true, .. }),
            "{settled:?}"
        );
    }
    assert!(
        shown.starts_with("Giao dịch HP1 — chuyển sai số tiền, cần hoàn tiền\n"),
        "{shown}"
    );
    for line in [
        "  Tài khoản nhận tiền: BD-THCS-NGOQUYEN\n",
        "  Chuyển sai số tiền (2), không dùng để nộp khoản thu nào, cần hoàn lại cho phụ huynh:\n",
        "    - Mã giao dịch FT2509011: 2.000.000\u{a0}₫ (đúng phải là 2.150.000\u{a0}₫), nhận lúc 01/09/2025 10:05\n",
        "    - Mã giao dịch FT2509012: 2.200.000\u{a0}₫ (đúng phải là 2.150.000\u{a0}₫), nhận lúc 01/09/2025 10:07\n",
        "    NQ-0001: 2.150.000\u{a0}₫ (chưa nộp)\n",
        "  Chưa có biên lai.\n",
    ] {
        assert!(shown.contains(line), "{line}\n{shown}");
    }
    let stored = env.store.payment(&opened.reference).await.unwrap().unwrap();
    assert_eq!(stored.status, PaymentStatus::Mismatched);
}

fn admin(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hocphi-admin"))
        .current_dir(dir)
        .args(args)
        .env_remove("HOCPHI_DYNAMODB_ENDPOINT")
        .env("USER", "ketoan01")
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

#[test]
fn the_command_line_adds_a_school_with_its_payee_then_changes_and_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let school = [
        "school",
        "add",
        "--id",
        NQ,
        "--name",
        "Trường THCS Ngô Quyền",
        "--template",
        "01BLP0-001",
        "--series",
        "NQ-25E",
    ];

    let added = admin(dir.path(), &[&school[..], &["--payee", NQ]].concat());
    let changed = admin(
        dir.path(),
        &["school", "set-payee", "--id", NQ, "--payee", "BD-PGD-TPQN"],
    );
    let removed = admin(dir.path(), &["school", "set-payee", "--id", NQ, "--none"]);
    let neither = admin(dir.path(), &["school", "set-payee", "--id", NQ]);
    let both = admin(
        dir.path(),
        &["school", "set-payee", "--id", NQ, "--payee", NQ, "--none"],
    );
    let unknown = admin(
        dir.path(),
        &["school", "set-payee", "--id", "BD-KHONGCO", "--none"],
    );

    assert_eq!(added.status.code(), Some(0), "{}", text(&added));
    assert!(
        text(&added).contains("Tài khoản nhận tiền (VietQR qua payOS): BD-THCS-NGOQUYEN"),
        "{}",
        text(&added)
    );
    assert_eq!(changed.status.code(), Some(0), "{}", text(&changed));
    assert!(text(&changed).contains("BD-PGD-TPQN"), "{}", text(&changed));
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed));
    assert!(text(&removed).starts_with("Đã bỏ"), "{}", text(&removed));
    assert_eq!(neither.status.code(), Some(2), "{}", text(&neither));
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown));
    assert!(
        text(&unknown).contains("không có trường \"BD-KHONGCO\""),
        "{}",
        text(&unknown)
    );
}
