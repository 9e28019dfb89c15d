//! `notices` and `report` on a SQLite store: what a parent's notice says, and the Department's
//! workbook read back with calamine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::NaiveDate;
use hocphi_admin::notices::{Layout, NoticeError, NoticeOptions, notices};
use hocphi_admin::report::{ReportOptions, report};
use hocphi_domain::{
    Invoice, InvoiceDraft, InvoiceId, Label, LineItem, LineKind, MaskedName, Money, PaymentCode,
    Pricing, SchoolId, SchoolYear, Store, StudentCode, Unit,
};
use support::{Env, LL, NQ, capture, now, nq_0001, open_payment, pay, row, vn};

const SITE: &str = "https://hocphi.gialai.edu.vn";

fn money(vnd: u64) -> Money {
    Money::from_vnd(vnd).unwrap()
}

fn label(text: &str) -> Label {
    Label::parse(text).unwrap()
}

/// A public school's invoice: meals by days, semi-boarding care, health insurance on behalf of
/// the province's social insurance, a voluntary item and a reduction.
fn public_school_invoice(id: &str, school: &str, student: &str, due: NaiveDate) -> Invoice {
    let meals = LineItem {
        pricing: Some(Pricing {
            quantity: 21,
            unit: Unit::Day,
            unit_price: money(25_000),
        }),
        ..LineItem::of_kind(LineKind::Service, label("Tiền ăn bán trú"), money(525_000))
    };
    let insurance = LineItem {
        beneficiary: Some(label("Bảo hiểm xã hội tỉnh Gia Lai")),
        ..LineItem::of_kind(LineKind::OnBehalf, label("Bảo hiểm y tế"), money(884_520))
    };
    Invoice::new(InvoiceDraft {
        id: InvoiceId::parse(id).unwrap(),
        school: SchoolId::parse(school).unwrap(),
        student: StudentCode::parse(student).unwrap(),
        student_name: MaskedName::mask("Trần Thị Bình").unwrap(),
        class_name: label("2A"),
        school_year: SchoolYear::parse("2025-2026").unwrap(),
        term: label("Học kỳ 1"),
        items: vec![
            meals,
            LineItem::of_kind(LineKind::Service, label("Chăm sóc bán trú"), money(150_000)),
            insurance,
            LineItem::of_kind(LineKind::Voluntary, label("Quỹ khuyến học"), money(50_000)),
            LineItem::of_kind(
                LineKind::Reduction,
                label("Miễn, giảm theo quy định"),
                money(100_000),
            ),
        ],
        due_date: due,
    })
    .unwrap()
}

fn options(env: &Env, school: &str) -> NoticeOptions {
    NoticeOptions {
        school: school.into(),
        class: None,
        out: env.path("giay-bao.html"),
        layout: Layout::A5,
        codes: None,
        site: SITE.into(),
        payment_codes: None,
        printed: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn a_notice_shows_the_masked_name_lines_total_in_words_and_a_qr_code_without_a_lookup_code() {
    let env = Env::new().await;
    let rows = nq_0001();
    env.import(&env.csv("a.csv", &[&rows[0], &rows[1]])).await;
    let invoice = public_school_invoice("LL-0001", LL, "HS0002", day(2025, 10, 15));
    env.store
        .upsert_invoice(&invoice, now(), &support::operator())
        .await
        .unwrap();

    let written = notices(&env.store, &options(&env, NQ)).await.unwrap();
    let public = notices(
        &env.store,
        &NoticeOptions {
            out: env.path("le-loi.html"),
            ..options(&env, LL)
        },
    )
    .await
    .unwrap();

    assert_eq!((written.notices, written.invoices), (1, 1));
    assert_eq!(written.with_lookup_code, 0);
    let html = std::fs::read_to_string(&written.path).unwrap();
    assert!(html.contains("Nguyễn V. A."), "the masked name");
    assert!(!html.contains("Nguyễn Văn An"), "never the full name");
    assert!(
        html.contains("GIẤY BÁO THU HỌC PHÍ"),
        "every line is tuition"
    );
    assert!(html.contains("2.150.000\u{a0}₫"));
    assert!(html.contains("Hai triệu một trăm năm mươi nghìn đồng"));
    assert!(html.contains("15/10/2025"));
    assert!(html.contains("<svg class=\"qr\""));
    assert!(html.contains(&format!("aria-label=\"{SITE}/?student=HS0001\"")));
    assert!(html.contains("Mã tra cứu nhà trường đã cấp"));
    assert!(
        !html.contains("(giữ kín mã này)"),
        "no lookup code without --codes"
    );
    assert!(html.contains("@page { size: A5 portrait"));

    let html = std::fs::read_to_string(&public.path).unwrap();
    assert!(
        html.contains("GIẤY BÁO THU CÁC KHOẢN THU"),
        "no tuition line"
    );
    assert!(html.contains("21 ngày × 25.000\u{a0}₫"));
    assert!(html.contains("Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai"));
    assert!(html.contains("Tự nguyện — không bắt buộc"));
    assert!(
        html.contains("−100.000\u{a0}₫"),
        "a reduction is a deduction"
    );
    assert!(
        html.contains("1.459.520\u{a0}₫"),
        "525.000 + 150.000 + 884.520 − 100.000, the voluntary item not added"
    );
    assert!(html.contains("Một triệu bốn trăm năm mươi chín nghìn năm trăm hai mươi đồng"));
}

#[tokio::test]
async fn lookup_codes_come_only_from_the_codes_file_and_payment_codes_only_when_asked() {
    let env = Env::new().await;
    let rows = nq_0001();
    let second = row(
        "HS0003",
        "Lê Văn Cường",
        "NQ-0003",
        "Học phí học kỳ 1",
        "900000",
    );
    let report = env
        .import(&env.csv("a.csv", &[&rows[0], &rows[1], &second]))
        .await;
    let codes = report.codes_file.expect("new students got codes");
    let text = String::from_utf8(std::fs::read(&codes).unwrap()).unwrap();
    let code_of_first = text
        .lines()
        .find(|l| l.contains("HS0001"))
        .and_then(|l| l.rsplit(',').next())
        .unwrap()
        .trim()
        .to_owned();
    let key = hocphi_fixtures::lookup_key();

    let with_codes = notices(
        &env.store,
        &NoticeOptions {
            codes: Some(codes.clone()),
            layout: Layout::A4TwoUp,
            ..options(&env, NQ)
        },
    )
    .await
    .unwrap();
    let html = std::fs::read_to_string(&with_codes.path).unwrap();
    let with_payment_codes = notices(
        &env.store,
        &NoticeOptions {
            out: env.path("ma-thanh-toan.html"),
            payment_codes: Some(key.clone()),
            ..options(&env, NQ)
        },
    )
    .await
    .unwrap();
    let paying = std::fs::read_to_string(&with_payment_codes.path).unwrap();

    assert_eq!(with_codes.notices, 2);
    assert_eq!(with_codes.with_lookup_code, 2);
    assert!(html.contains(&format!(
        "<b class=\"code\">{code_of_first}</b> (giữ kín mã này)"
    )));
    assert!(
        !html.contains("Lê Văn Cường"),
        "the codes file's full name is not printed"
    );
    assert!(html.contains("Lê V. C."));
    assert!(html.contains("@page { size: A4 landscape"));
    assert_eq!(html.matches("<div class=\"sheet\">").count(), 1, "two-up");
    let year = SchoolYear::parse("2025-2026").unwrap();
    let code = PaymentCode::issue(&StudentCode::parse("HS0001").unwrap(), year, &key);
    assert!(paying.contains(&format!("aria-label=\"{SITE}/?ma={code}\"")));
    assert!(paying.contains(&format!(
        "Mã thanh toán năm học 2025-2026: <b class=\"code\">{code}</b>"
    )));
    assert!(!paying.contains("(giữ kín mã này)"));
}

#[tokio::test]
async fn paid_invoices_and_other_classes_get_no_notice_and_bad_input_is_refused() {
    let env = Env::new().await;
    let rows = nq_0001();
    let other_class =
        row("HS0003", "Lê Văn Cường", "NQ-0003", "Học phí", "900000").replace("6A1", "7B2");
    env.import(&env.csv("a.csv", &[&rows[0], &rows[1], &other_class]))
        .await;
    pay(
        &env.store,
        &["NQ-0001"],
        "HP0000000001",
        "T1",
        vn(2025, 9, 2, 9, 0),
    )
    .await;

    let all = notices(&env.store, &options(&env, NQ)).await.unwrap();
    let none = notices(
        &env.store,
        &NoticeOptions {
            class: Some("6a1".into()),
            ..options(&env, NQ)
        },
    )
    .await;
    let bad_site = notices(
        &env.store,
        &NoticeOptions {
            site: "javascript:alert(1)".into(),
            ..options(&env, NQ)
        },
    )
    .await;
    let unknown = notices(&env.store, &options(&env, "BD-KHONG-CO")).await;

    assert_eq!(all.notices, 1, "only the open invoice of 7B2");
    assert!(matches!(none, Err(NoticeError::Nothing { .. })), "{none:?}");
    assert!(
        matches!(bad_site, Err(NoticeError::BadSite(_))),
        "{bad_site:?}"
    );
    assert!(
        matches!(unknown, Err(NoticeError::NoSchool(_))),
        "{unknown:?}"
    );
}

fn cell(sheet: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    sheet.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn number(sheet: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match cell(sheet, row, col) {
        Data::Float(f) => f,
        Data::Int(i) => i as f64,
        other => panic!("({row}, {col}) is {other:?}"),
    }
}

fn find_row(sheet: &calamine::Range<Data>, col: u32, text: &str) -> u32 {
    (0..sheet.height() as u32)
        .find(|r| cell(sheet, *r, col) == Data::String(text.to_owned()))
        .unwrap_or_else(|| panic!("no row {text}"))
}

#[tokio::test]
async fn the_report_reads_back_by_commune_school_item_and_channel_with_refunds_due() {
    let env = Env::new().await;
    for (id, commune) in [(NQ, "Phường Quy Nhơn"), (LL, "Phường Pleiku")] {
        let id = SchoolId::parse(id).unwrap();
        let mut school = env.store.school(&id).await.unwrap().unwrap();
        school.commune = Some(label(commune));
        env.store
            .upsert_school(&school, now(), &support::operator())
            .await
            .unwrap();
    }
    let rows = nq_0001();
    let second = row(
        "HS0003",
        "Lê Văn Cường",
        "NQ-0003",
        "Học phí học kỳ 1",
        "900000",
    );
    let voided = row(
        "HS0004",
        "Phạm Thị Dung",
        "NQ-0004",
        "Học phí học kỳ 1",
        "400000",
    );
    let late = row(
        "HS0005",
        "Võ Văn Em",
        "NQ-0005",
        "Học phí học kỳ 1",
        "700000",
    )
    .replace("15/10/2025", "15/12/2025");
    env.import(&env.csv("a.csv", &[&rows[0], &rows[1], &second, &voided, &late]))
        .await;
    let public = public_school_invoice("LL-0001", LL, "HS0002", day(2025, 10, 1));
    env.store
        .upsert_invoice(&public, now(), &support::operator())
        .await
        .unwrap();
    pay(
        &env.store,
        &["NQ-0001"],
        "HP0000000001",
        "T1",
        vn(2025, 9, 10, 9, 0),
    )
    .await;
    pay(
        &env.store,
        &["LL-0001"],
        "HP0000000002",
        "T2",
        vn(2025, 9, 11, 9, 0),
    )
    .await;
    hocphi_admin::void::void(
        &env.store,
        "NQ-0004",
        "Đã nộp tiền mặt tại trường",
        now(),
        &support::operator(),
    )
    .await
    .unwrap();
    let first = open_payment(
        &env.store,
        &["NQ-0003"],
        "HP0000000003",
        vn(2025, 9, 12, 9, 0),
        15,
    )
    .await;
    env.store
        .expire(
            &first.reference,
            vn(2025, 9, 12, 9, 30),
            &hocphi_domain::Actor::Sweeper,
        )
        .await
        .unwrap();
    pay(
        &env.store,
        &["NQ-0003"],
        "HP0000000004",
        "T4",
        vn(2025, 9, 12, 10, 0),
    )
    .await;
    capture(
        &env.store,
        "HP0000000003",
        "T3",
        900_000,
        vn(2025, 9, 12, 10, 5),
    )
    .await;

    let out = env.path("bao-cao.xlsx");
    let options = ReportOptions {
        from: day(2025, 9, 1),
        to: day(2025, 10, 31),
        school: None,
        out: out.clone(),
        now: vn(2025, 11, 1, 8, 0),
    };
    let written = report(&env.store, &options).await.unwrap();

    assert_eq!(written.schools, 2);
    assert_eq!(written.refunds, 1);
    let f = written.figures;
    assert_eq!(f.invoices, 4, "NQ-0005 is due after the period");
    assert_eq!(f.invoiced, 2_150_000 + 900_000 + 1_459_520);
    assert_eq!(f.collected, f.invoiced, "every invoice not voided was paid");
    assert_eq!((f.outstanding, f.voided), (0, 400_000));
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            "Tổng hợp",
            "Theo xã phường",
            "Theo trường",
            "Theo khoản thu",
            "Kênh thanh toán",
            "Phải hoàn"
        ]
    );
    let summary = book.worksheet_range("Tổng hợp").unwrap();
    let invoiced = find_row(&summary, 0, "Phải thu (đ)");
    assert_eq!(number(&summary, invoiced, 1), 4_509_520.0);
    let rate = find_row(&summary, 0, "Tỷ lệ thu");
    assert_eq!(number(&summary, rate, 1), 1.0);
    let cashless = find_row(
        &summary,
        0,
        "Tỷ lệ không dùng tiền mặt (ước tính thấp nhất)",
    );
    assert_eq!(
        number(&summary, cashless, 1),
        0.9185,
        "4.509.520 ÷ (4.509.520 + 400.000), four places"
    );
    let owed = find_row(&summary, 0, "Phải hoàn cho phụ huynh (đ)");
    assert_eq!(number(&summary, owed, 1), 900_000.0);

    let communes = book.worksheet_range("Theo xã phường").unwrap();
    let pleiku = find_row(&communes, 0, "Phường Pleiku");
    assert_eq!(number(&communes, pleiku, 1), 1.0);
    assert_eq!(number(&communes, pleiku, 3), 1_459_520.0);
    let quy_nhon = find_row(&communes, 0, "Phường Quy Nhơn");
    assert_eq!(number(&communes, quy_nhon, 4), 3_050_000.0);
    assert_eq!(number(&communes, quy_nhon, 7), 400_000.0, "voided");

    let schools = book.worksheet_range("Theo trường").unwrap();
    let nq = find_row(&schools, 1, NQ);
    assert_eq!(
        cell(&schools, nq, 0),
        Data::String("Phường Quy Nhơn".into())
    );
    assert_eq!(number(&schools, nq, 11), 900_000.0, "refund due");

    let items = book.worksheet_range("Theo khoản thu").unwrap();
    let insurance = find_row(&items, 2, "Bảo hiểm y tế");
    assert_eq!(cell(&items, insurance, 0), Data::String("Thu hộ".into()));
    assert_eq!(
        cell(&items, insurance, 3),
        Data::String("Bảo hiểm xã hội tỉnh Gia Lai".into())
    );
    assert_eq!(number(&items, insurance, 5), 884_520.0);
    let reduction = find_row(&items, 2, "Miễn, giảm theo quy định");
    assert_eq!(number(&items, reduction, 4), -100_000.0);

    let channels = book.worksheet_range("Kênh thanh toán").unwrap();
    let vnpay = find_row(&channels, 0, "VNPAY (thẻ, QR ngân hàng)");
    assert_eq!(number(&channels, vnpay, 1), 3.0);
    assert_eq!(number(&channels, vnpay, 2), 4_509_520.0);
    assert_eq!(number(&channels, vnpay, 3), 1.0);

    let refunds = book.worksheet_range("Phải hoàn").unwrap();
    assert_eq!(cell(&refunds, 1, 3), Data::String("HP0000000003".into()));
    assert_eq!(number(&refunds, 1, 6), 900_000.0);

    let one = report(
        &env.store,
        &ReportOptions {
            school: Some(LL.into()),
            out: env.path("le-loi.xlsx"),
            ..options.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (one.schools, one.figures.invoiced, one.refunds),
        (1, 1_459_520, 0)
    );
    let bad = report(
        &env.store,
        &ReportOptions {
            from: day(2025, 11, 1),
            ..options.clone()
        },
    )
    .await;
    assert!(bad.is_err());
}
