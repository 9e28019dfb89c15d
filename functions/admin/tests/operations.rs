//! `school add`, `void`, `show` and the command line itself: what operators read, and the exit
//! codes scripts rely on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Output};

use hocphi_admin::cli::{AdminError, Command as Cmd, Exit, ShowCommand, execute};
use hocphi_admin::school::{NewSchool, SchoolError, add};
use hocphi_admin::show::{ShowError, invoice, payment, student};
use hocphi_admin::void::void;
use hocphi_domain::{
    InvoiceId, InvoiceStatus, LookupCode, LookupDigest, LookupKey, LookupScheme, Store,
    StudentCode, VoidOutcome,
};
use support::{Env, now, open_payment, pay, row};

async fn two_invoices() -> Env {
    let env = Env::new().await;
    let [first, second] = support::nq_0001();
    let rows = [
        first,
        second,
        row(
            "HS0001",
            "Nguyễn Văn An",
            "NQ-0002",
            "Bảo hiểm y tế",
            "1.263.600",
        ),
        row(
            "HS0002",
            "Lê Thị Bình",
            "NQ-0003",
            "Học phí học kỳ 1",
            "1.500.000",
        ),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    env.import(&env.csv("hoc-phi.csv", &refs)).await;
    env
}

#[tokio::test]
async fn a_school_is_added_then_updated_and_bad_symbols_are_refused() {
    let env = Env::new().await;
    let new = NewSchool {
        id: "bd-thcs-tranphu".into(),
        name: "Trường THCS Trần Phú".into(),
        template: "01BLP0-001".into(),
        series: "TP-25E".into(),
        payee: None,
        commune: None,
    };

    let added = add(&env.store, &new, now(), &support::operator())
        .await
        .unwrap();
    let again = add(&env.store, &new, now(), &support::operator())
        .await
        .unwrap();
    let bad = add(
        &env.store,
        &NewSchool {
            series: "TP 25".into(),
            ..new
        },
        now(),
        &support::operator(),
    )
    .await;

    assert!(!added.replaced && again.replaced);
    assert_eq!(added.school.id.as_str(), "BD-THCS-TRANPHU");
    assert!(
        added
            .to_string()
            .starts_with("Đã thêm trường BD-THCS-TRANPHU — Trường THCS Trần Phú")
    );
    assert!(matches!(bad, Err(SchoolError::Symbol(_))), "{bad:?}");
}

#[tokio::test]
async fn a_schools_commune_is_kept_until_a_new_one_is_given() {
    let env = Env::new().await;
    let new = NewSchool {
        id: "bd-thcs-tranphu".into(),
        name: "Trường THCS Trần Phú".into(),
        template: "01BLP0-001".into(),
        series: "TP-25E".into(),
        commune: Some("Phường Quy Nhơn".into()),
        ..NewSchool::default()
    };

    let added = add(&env.store, &new, now(), &support::operator())
        .await
        .unwrap();
    let renamed = add(
        &env.store,
        &NewSchool {
            name: "Trường THCS Trần Phú (Quy Nhơn)".into(),
            commune: None,
            ..new.clone()
        },
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let moved = add(
        &env.store,
        &NewSchool {
            commune: Some("Phường Quy Nhơn Nam".into()),
            ..new.clone()
        },
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let bad = add(
        &env.store,
        &NewSchool {
            commune: Some("  ".into()),
            ..new
        },
        now(),
        &support::operator(),
    )
    .await;

    let commune = |s: &hocphi_domain::School| s.commune.as_ref().map(|c| c.to_string());
    assert_eq!(commune(&added.school).as_deref(), Some("Phường Quy Nhơn"));
    assert!(added.to_string().contains("Xã/phường: Phường Quy Nhơn."));
    assert_eq!(commune(&renamed.school).as_deref(), Some("Phường Quy Nhơn"));
    assert_eq!(
        commune(&moved.school).as_deref(),
        Some("Phường Quy Nhơn Nam")
    );
    let stored = env.store.school(&moved.school.id).await.unwrap().unwrap();
    assert_eq!(stored, moved.school);
    assert!(matches!(bad, Err(SchoolError::Commune(_))), "{bad:?}");
}

#[tokio::test]
async fn voiding_an_open_invoice_records_the_reason() {
    let env = two_invoices().await;

    let report = void(
        &env.store,
        "NQ-0002",
        "Nhập trùng",
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let twice = void(
        &env.store,
        "NQ-0002",
        "Nhập trùng",
        now(),
        &support::operator(),
    )
    .await
    .unwrap();

    assert_eq!(report.outcome, VoidOutcome::Voided);
    assert_eq!(twice.outcome, VoidOutcome::AlreadyVoided);
    let shown = invoice(&env.store, "NQ-0002").await.unwrap().to_string();
    assert!(shown.starts_with("Khoản thu NQ-0002 — đã huỷ"), "{shown}");
    assert!(
        shown.contains("Huỷ lúc 01/09/2025 10:00: Nhập trùng"),
        "{shown}"
    );
}

#[tokio::test]
async fn voiding_a_paid_or_held_invoice_is_refused_and_says_why() {
    // Arrange
    let env = two_invoices().await;
    pay(&env.store, &["NQ-0001"], "HP1", "14226112", now()).await;
    open_payment(&env.store, &["NQ-0003"], "HP2", now(), 15).await;

    // Act
    let paid = void(&env.store, "NQ-0001", "Sai", now(), &support::operator())
        .await
        .unwrap();
    let held = void(&env.store, "NQ-0003", "Sai", now(), &support::operator())
        .await
        .unwrap();
    let missing = void(&env.store, "NQ-9999", "Sai", now(), &support::operator())
        .await
        .unwrap();

    // Assert
    assert_eq!(paid.outcome, VoidOutcome::RefusedPaid);
    assert!(paid.to_string().contains("khoản thu đã được nộp"), "{paid}");
    assert_eq!(held.outcome, VoidOutcome::RefusedHeld);
    assert!(
        held.to_string()
            .contains("phụ huynh đang thanh toán khoản này"),
        "{held}"
    );
    assert_eq!(missing.outcome, VoidOutcome::NotFound);
    let id = |raw| InvoiceId::parse(raw).unwrap();
    assert_eq!(
        env.store
            .invoice(&id("NQ-0001"))
            .await
            .unwrap()
            .unwrap()
            .status,
        InvoiceStatus::Paid
    );
    assert_eq!(
        env.store
            .invoice(&id("NQ-0003"))
            .await
            .unwrap()
            .unwrap()
            .status,
        InvoiceStatus::Open
    );
}

#[tokio::test]
async fn exit_codes_of_void_say_done_attention_or_refused() {
    let env = two_invoices().await;
    pay(&env.store, &["NQ-0001"], "HP1", "14226112", now()).await;
    let mut out = Vec::new();
    let run = |invoice: &str| Cmd::Void {
        invoice: invoice.into(),
        reason: "Sai".into(),
    };

    let voided = execute(
        &env.store,
        run("NQ-0002"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();
    let refused = execute(
        &env.store,
        run("NQ-0001"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();
    let missing = execute(
        &env.store,
        run("NQ-9999"),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await
    .unwrap();

    assert_eq!(
        (voided, refused, missing),
        (Exit::Done, Exit::Attention, Exit::Refused)
    );
    assert_eq!((voided.code(), refused.code(), missing.code()), (0, 3, 1));
}

#[tokio::test]
async fn show_student_lists_the_open_invoices_with_amounts() {
    let env = two_invoices().await;

    let shown = student(&env.store, "hs0001").await.unwrap().to_string();

    assert!(shown.starts_with("Học sinh HS0001 — Nguyễn V. A., lớp 6A1\nTrường BD-THCS-NGOQUYEN — Trường THCS Ngô Quyền\n"), "{shown}");
    assert!(
        shown.contains("Khoản thu chưa nộp (2), tổng 3.413.600\u{a0}₫:"),
        "{shown}"
    );
    assert!(
        shown.contains("  Khoản thu NQ-0001 — chưa nộp\n"),
        "{shown}"
    );
    assert!(
        shown.contains("    - Học phí học kỳ 1: 1.500.000\u{a0}₫\n"),
        "{shown}"
    );
    assert!(
        shown.contains("    Tổng: 2.150.000\u{a0}₫ (Hai triệu một trăm năm mươi nghìn đồng)"),
        "{shown}"
    );
    assert!(!shown.contains("Nguyễn Văn An"));
}

#[tokio::test]
async fn show_payment_gives_its_status_invoices_and_receipt_number() {
    let env = two_invoices().await;
    pay(
        &env.store,
        &["NQ-0001", "NQ-0002"],
        "HP1",
        "14226112",
        now(),
    )
    .await;

    let shown = payment(&env.store, "HP1").await.unwrap().to_string();

    assert!(shown.starts_with("Giao dịch HP1 — thành công\n"), "{shown}");
    assert!(shown.contains("3.413.600\u{a0}₫ qua VNPay"), "{shown}");
    assert!(shown.contains("Mã giao dịch tại cổng: 14226112"), "{shown}");
    assert!(
        shown.contains("    NQ-0001: 2.150.000\u{a0}₫ (đã nộp)"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "Biên lai: mẫu số 01BLP0-001, ký hiệu NQ-25E, số 0000001, lập lúc 01/09/2025 10:00"
        ),
        "{shown}"
    );
}

#[tokio::test]
async fn show_payment_prints_its_history_with_who_acted_and_why() {
    let env = two_invoices().await;
    pay(&env.store, &["NQ-0002"], "HP1", "14226112", now()).await;

    let shown = payment(&env.store, "HP1").await.unwrap().to_string();

    let history = shown.split("  Lịch sử:\n").nth(1).expect("a history");
    assert_eq!(
        history,
        "    1. 01/09/2025 09:58 — Tạo giao dịch 1.263.600\u{a0}₫ qua VNPay cho khoản thu NQ-0002 — \
         phụ huynh trên trang nộp học phí\n    \
         2. 01/09/2025 10:00 — Thanh toán thành công 1.263.600\u{a0}₫, mã giao dịch tại cổng \
         14226112; biên lai số 0000001 (BLHP1) — thông báo của VNPay\n"
    );
}

#[tokio::test]
async fn show_invoice_prints_who_imported_changed_and_voided_it_and_from_which_file() {
    let env = two_invoices().await;
    let changed = row(
        "HS0001",
        "Nguyễn Văn An",
        "NQ-0002",
        "Bảo hiểm y tế",
        "1.300.000",
    );
    let [first, second] = support::nq_0001();
    env.import(&env.csv("sua.csv", &[&first, &second, &changed]))
        .await;
    void(
        &env.store,
        "NQ-0002",
        "Nhập trùng",
        now(),
        &support::operator(),
    )
    .await
    .unwrap();

    let shown = invoice(&env.store, "NQ-0002").await.unwrap().to_string();

    let history = shown.split("  Lịch sử:\n").nth(1).expect("a history");
    assert_eq!(
        history.lines().collect::<Vec<_>>(),
        [
            "    1. 01/09/2025 10:00 — Tạo khoản thu (phiên bản 1), tổng 1.263.600\u{a0}₫ — cán bộ \
             ketoan01, từ tệp hoc-phi.csv",
            "    2. 01/09/2025 10:00 — Sửa khoản thu (phiên bản 2), tổng 1.300.000\u{a0}₫ — cán bộ \
             ketoan01, từ tệp sua.csv",
            "    3. 01/09/2025 10:00 — Huỷ khoản thu (phiên bản 3) — cán bộ ketoan01",
        ]
    );
}

#[tokio::test]
async fn show_payment_names_the_rule_behind_a_late_capture() {
    let env = two_invoices().await;
    let opened = open_payment(&env.store, &["NQ-0002"], "HP2", now(), 15).await;
    let later = now() + chrono::Duration::minutes(30);
    env.store
        .expire(&opened.reference, later, &hocphi_domain::Actor::Sweeper)
        .await
        .unwrap();
    support::capture(&env.store, "HP2", "T9", opened.amount.vnd(), later).await;

    let shown = payment(&env.store, "HP2").await.unwrap().to_string();

    assert!(
        shown.contains(
            "2. 01/09/2025 10:30 — Hết hạn, chưa thanh toán — tác vụ rà soát tự động (vì quá \
             thời hạn thanh toán)\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("— thông báo của VNPay (vì tiền về sau khi giao dịch đã hết hạn)\n"),
        "{shown}"
    );
}

#[tokio::test]
async fn showing_what_does_not_exist_or_cannot_exist_is_an_error() {
    let env = two_invoices().await;
    let mut out = Vec::new();
    let missing = execute(
        &env.store,
        Cmd::Show(ShowCommand::Student {
            code: "HS9999".into(),
        }),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await;
    assert_eq!(
        missing.unwrap_err().to_string(),
        "không tìm thấy học sinh \"HS9999\""
    );
    assert!(matches!(
        payment(&env.store, "HP-1").await,
        Err(ShowError::BadId { .. })
    ));
}

#[tokio::test]
async fn rekey_lookups_keys_every_unkeyed_digest_once_and_no_parent_needs_a_new_code() {
    // Arrange: HS0001's digest as hocphi stored it before keys; HS0002's keyed.
    let env = two_invoices().await;
    let code = StudentCode::parse("HS0001").unwrap();
    let mut legacy = env.store.student(&code).await.unwrap().unwrap();
    let unkeyed = hocphi_fixtures::unkeyed_digest("HS0001", "ABCD2345");
    legacy.lookup = LookupDigest::parse(&unkeyed).unwrap();
    env.store
        .upsert_student(&legacy, now(), &support::operator())
        .await
        .unwrap();
    let other = StudentCode::parse("HS0002").unwrap();
    let other_before = env.store.student(&other).await.unwrap();
    let key = hocphi_fixtures::lookup_key();
    let rekey = |dry_run| Cmd::RekeyLookups { dry_run };
    let mut out = Vec::new();

    // Act
    let dry = execute(
        &env.store,
        rekey(true),
        now(),
        &support::operator(),
        Some(&key),
        &mut out,
    )
    .await
    .unwrap();
    let after_dry = env.store.student(&code).await.unwrap().unwrap().lookup;
    let first = execute(
        &env.store,
        rekey(false),
        now(),
        &support::operator(),
        Some(&key),
        &mut out,
    )
    .await
    .unwrap();
    let rekeyed = env.store.student(&code).await.unwrap().unwrap().lookup;
    let again = execute(
        &env.store,
        rekey(false),
        now(),
        &support::operator(),
        Some(&key),
        &mut out,
    )
    .await
    .unwrap();
    let without_key = execute(
        &env.store,
        rekey(false),
        now(),
        &support::operator(),
        None,
        &mut out,
    )
    .await;

    // Assert
    assert_eq!((dry, first, again), (Exit::Done, Exit::Done, Exit::Done));
    assert_eq!(after_dry, legacy.lookup, "a dry run writes nothing");
    assert_eq!(rekeyed.scheme(), LookupScheme::Wrapped);
    assert!(rekeyed.admits(&code, &LookupCode::parse("ABCD2345").unwrap(), &key));
    assert!(!rekeyed.as_str().contains(&unkeyed));
    assert_eq!(env.store.student(&other).await.unwrap(), other_before);
    let printed = String::from_utf8(out).unwrap();
    for line in [
        "Chạy thử (--dry-run): không ghi gì. Nếu chạy thật thì:",
        "Đã đọc 2 học sinh: 1 mã tra cứu chuyển sang dạng có khoá, 1 đã có khoá từ trước.",
        "Đã đọc 2 học sinh: 0 mã tra cứu chuyển sang dạng có khoá, 2 đã có khoá từ trước.",
    ] {
        assert!(printed.contains(line), "{printed}");
    }
    assert!(
        matches!(without_key, Err(AdminError::NoLookupKey)),
        "{without_key:?}"
    );
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
fn the_command_line_from_an_empty_folder_to_an_import() {
    // Arrange: an empty folder, the default store path.
    let dir = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hoc-phi-mau.csv");
    let sample = sample.to_str().unwrap();
    std::fs::write(
        dir.path().join("loi.csv"),
        format!(
            "{}\n{}\n",
            support::HEADER,
            row("HS0001", "Nguyễn Văn An", "NQ-1", "Học phí", "\"1,5\"")
        ),
    )
    .unwrap();

    // Act
    let no_database = admin(dir.path(), &["import", sample]);
    let bad_store = admin(
        dir.path(),
        &["--store", "postgres:x", "show", "student", "HS0001"],
    );
    let schools: Vec<Output> = [
        ["BD-THCS-NGOQUYEN", "Trường THCS Ngô Quyền", "NQ-25E"],
        ["BD-TH-LELOI", "Trường Tiểu học Lê Lợi", "LL-25E"],
    ]
    .iter()
    .map(|[id, name, series]| {
        admin(
            dir.path(),
            &[
                "school",
                "add",
                "--id",
                id,
                "--name",
                name,
                "--template",
                "01BLP0-001",
                "--series",
                series,
            ],
        )
    })
    .collect();
    let dry = admin(dir.path(), &["import", sample, "--dry-run"]);
    let bad_file = admin(dir.path(), &["import", "loi.csv"]);
    let imported = admin(dir.path(), &["import", sample, "--codes-out", "ma.csv"]);
    let again = admin(dir.path(), &["import", sample]);
    let shown = admin(dir.path(), &["show", "student", "5201234570"]);
    let rekeyed = admin(dir.path(), &["rekey-lookups"]);

    // Assert
    assert_eq!(no_database.status.code(), Some(1), "{}", text(&no_database));
    assert!(
        text(&no_database).contains("không có cơ sở dữ liệu .hocphi/hocphi.db"),
        "{}",
        text(&no_database)
    );
    assert_eq!(bad_store.status.code(), Some(2), "{}", text(&bad_store));
    for school in &schools {
        assert_eq!(school.status.code(), Some(0), "{}", text(school));
    }
    assert!(dir.path().join(".hocphi/hocphi.db").exists());
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        text(&dry).contains("Khoản thu: 5 tạo mới"),
        "{}",
        text(&dry)
    );
    assert_eq!(bad_file.status.code(), Some(1), "{}", text(&bad_file));
    assert!(
        text(&bad_file).contains("Dòng 2, cột \"Số tiền\""),
        "{}",
        text(&bad_file)
    );
    assert_eq!(imported.status.code(), Some(0), "{}", text(&imported));
    assert!(dir.path().join("ma.csv").exists());
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("5 không đổi"), "{}", text(&again));
    assert!(
        text(&shown).contains("Học sinh 5201234570 — Phạm M. C., lớp 6A1"),
        "{}",
        text(&shown)
    );
    assert_eq!(rekeyed.status.code(), Some(0), "{}", text(&rekeyed));
    assert!(
        text(&rekeyed).contains("0 mã tra cứu chuyển sang dạng có khoá, 4 đã có khoá"),
        "{}",
        text(&rekeyed)
    );
    let key_file = dir.path().join(".hocphi/lookup-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let key = LookupKey::new(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let codes = std::fs::read_to_string(dir.path().join("ma.csv")).unwrap();
    let first = codes.lines().nth(1).unwrap();
    let cells: Vec<&str> = first.split(',').collect();
    let (student, code) = (
        StudentCode::parse(cells[1]).unwrap(),
        LookupCode::parse(cells[4]).unwrap(),
    );
    let store = hocphi_store::SqliteStore::open(dir.path().join(".hocphi/hocphi.db")).unwrap();
    let stored = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(store.student(&student))
        .unwrap()
        .unwrap();
    assert!(
        stored.lookup.admits(&student, &code, &key),
        "keyed with the local stack's key file beside the database"
    );
}

#[test]
fn store_reindex_on_sqlite_has_nothing_to_do_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let added = admin(
        dir.path(),
        &[
            "school",
            "add",
            "--id",
            "BD-THCS-NGOQUYEN",
            "--name",
            "Trường THCS Ngô Quyền",
            "--template",
            "01BLP0-001",
            "--series",
            "NQ-25E",
        ],
    );

    let reindexed = admin(dir.path(), &["store", "reindex"]);
    let dry = admin(dir.path(), &["store", "reindex", "--dry-run"]);

    assert!(added.status.success(), "{}", text(&added));
    for output in [&reindexed, &dry] {
        assert_eq!(output.status.code(), Some(0), "{}", text(output));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "Kho SQLite không cần lập lại chỉ mục: các bước nâng cấp cơ sở dữ liệu đã làm việc \
             này khi mở tệp.\n"
        );
    }
}
