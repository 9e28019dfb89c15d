//! The catalogue of collection items and the invoice import's new columns: the catalogue file
//! checked row by row, lines that take their kind, unit and beneficiary from the catalogue,
//! quantity × unit price, caps, adjustments with neutral labels, and the 2026 samples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};

use hocphi_admin::cli::{CatalogueCommand, Command, Exit, execute};
use hocphi_admin::import::catalogue::{CatalogueOptions, CatalogueReport, import};
use hocphi_domain::{InvoiceId, ItemCode, LineKind, Money, Pricing, School, Store, Symbol, Unit};
use support::{Env, LL, NQ, now, operator};

const PRIVATE: &str = "GL-THCS-DTHOANG";

const CATALOGUE_HEADER: &str = "Mã khoản,Tên khoản,Loại,Đơn vị,Mức trần,Đơn vị thu hộ,Mã trường";

const CATALOGUE: [&str; 4] = [
    "BANTRU,Tiền ăn bán trú,dịch vụ,ngày,25.000,,",
    "BHYT,Bảo hiểm y tế học sinh,thu hộ,năm,,Bảo hiểm xã hội tỉnh Gia Lai,",
    "KHUYENHOC,Ủng hộ quỹ khuyến học,tự nguyện,lần,,,",
    "BANTRU,Tiền ăn bán trú,dịch vụ,ngày,30.000,,BD-TH-LELOI",
];

const LINES_HEADER: &str = "Mã trường,Mã học sinh,Họ và tên,Lớp,Năm học,Học kỳ,Mã khoản thu,Mã khoản,Loại khoản,Nội dung,Số lượng,Đơn vị,Đơn giá,Số tiền,Hạn nộp,Tổng tiền,Đơn vị thu hộ";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn id(raw: &str) -> InvoiceId {
    InvoiceId::parse(raw).unwrap()
}

fn money(vnd: u64) -> Money {
    Money::from_vnd(vnd).unwrap()
}

fn file(env: &Env, name: &str, header: &str, rows: &[&str]) -> PathBuf {
    let mut text = header.to_owned();
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    env.file(name, text.as_bytes())
}

async fn add_private_school<S: Store>(store: &S) {
    store
        .upsert_school(
            &School {
                receipt_series: Symbol::parse("DTH-26E").unwrap(),
                payee: None,
                ..hocphi_fixtures::school(PRIVATE, "Trường THCS tư thục Đinh Tiên Hoàng")
            },
            now(),
            &operator(),
        )
        .await
        .unwrap();
}

async fn catalogue_import(env: &Env, path: &Path, dry_run: bool) -> CatalogueReport {
    import(
        &env.store,
        &CatalogueOptions {
            file: path.to_owned(),
            dry_run,
            progress: false,
            now: now(),
            by: operator(),
        },
    )
    .await
    .unwrap()
}

/// A store with the schools and the catalogue of [`CATALOGUE`].
async fn with_catalogue() -> Env {
    let env = Env::new().await;
    let path = file(&env, "danh-muc.csv", CATALOGUE_HEADER, &CATALOGUE);
    let report = catalogue_import(&env, &path, false).await;
    assert!(report.problems.is_empty(), "{report}");
    env
}

/// A line of invoice `LL-0001` of student HS0001 at Lê Lợi: item, kind, description, quantity,
/// unit, unit price, amount, beneficiary.
fn line(cells: [&str; 8]) -> String {
    let [
        item,
        kind,
        description,
        quantity,
        unit,
        price,
        amount,
        beneficiary,
    ] = cells;
    format!(
        "{LL},HS0001,Nguyễn Văn An,2C,2026-2027,Tháng 9/2026,LL-0001,{item},{kind},{description},{quantity},{unit},{price},{amount},30/09/2026,,{beneficiary}"
    )
}

#[tokio::test]
async fn the_catalogue_imports_once_then_changes_nothing_and_lists_every_entry() {
    let env = Env::new().await;
    add_private_school(&env.store).await;

    let dry = catalogue_import(&env, &sample("danh-muc-mau.csv"), true).await;
    let first = catalogue_import(&env, &sample("danh-muc-mau.csv"), false).await;
    let again = catalogue_import(&env, &sample("danh-muc-mau.csv"), false).await;
    let listed = hocphi_admin::import::catalogue::list(&env.store)
        .await
        .unwrap()
        .to_string();

    assert_eq!((dry.created, dry.dry_run), (7, true), "{dry}");
    assert_eq!((first.created, first.updated), (7, 0), "{first}");
    assert_eq!((again.unchanged, again.created), (7, 0), "{again}");
    assert!(
        listed.contains(
            "BANTRU: Tiền ăn bán trú | Dịch vụ | theo ngày | mức trần: 25.000\u{a0}₫/ngày | toàn tỉnh"
        ),
        "{listed}"
    );
    assert!(
        listed.contains("thu hộ cho: Bảo hiểm xã hội tỉnh Gia Lai"),
        "{listed}"
    );
    assert!(listed.contains("riêng trường GL-THCS-DTHOANG"), "{listed}");
}

#[tokio::test]
async fn a_changed_cap_updates_the_entry() {
    let env = with_catalogue().await;
    let raised = file(
        &env,
        "danh-muc-2.csv",
        CATALOGUE_HEADER,
        &["BANTRU,Tiền ăn bán trú,dịch vụ,ngày,28.000,,"],
    );

    let report = catalogue_import(&env, &raised, false).await;

    assert_eq!((report.updated, report.created), (1, 0), "{report}");
    let entries = env.store.catalogue().await.unwrap();
    assert_eq!(entries[0].cap, Some(money(28_000)));
}

#[tokio::test]
async fn every_kind_of_bad_catalogue_row_is_reported_and_nothing_is_written() {
    let cases = [
        (
            "an adjustment in the catalogue",
            "GIAM,Miễn giảm,miễn giảm,tháng,,,",
            r#"Dòng 2, cột "Loại": "Miễn, giảm" không phải khoản thu trong danh mục mà là dòng điều chỉnh của khoản thu (ghi trong tệp khoản thu); danh mục chỉ có học phí, dịch vụ, thu hộ hoặc tự nguyện"#,
        ),
        (
            "an unknown kind",
            "HOCTHEM,Tiền học thêm,học thêm,buổi,,,",
            r#"Dòng 2, cột "Loại": loại khoản viết là học phí, dịch vụ, thu hộ hoặc tự nguyện, nhận được "học thêm""#,
        ),
        (
            "an unknown unit",
            "NUOC,Nước uống,dịch vụ,tuần,,,",
            r#"Dòng 2, cột "Đơn vị": đơn vị viết là tháng, ngày, học kỳ, năm hoặc cái (bộ, lần), nhận được "tuần""#,
        ),
        (
            "an item collected on behalf without its beneficiary",
            "BHYT,Bảo hiểm y tế,thu hộ,năm,,,",
            r#"Dòng 2, cột "Đơn vị thu hộ": khoản thu hộ phải ghi đơn vị thu hộ (ví dụ: Bảo hiểm xã hội tỉnh Gia Lai)"#,
        ),
        (
            "a beneficiary on a service",
            "NUOC,Nước uống,dịch vụ,tháng,,Công ty cấp nước,",
            r#"Dòng 2, cột "Đơn vị thu hộ": chỉ khoản thu hộ mới ghi đơn vị thu hộ; khoản này là "Dịch vụ""#,
        ),
        (
            "a cap that is not an amount",
            "NUOC,Nước uống,dịch vụ,tháng,\"15,5\",,",
            r#"Dòng 2, cột "Mức trần": số tiền phải là số nguyên dương (VND), nhận được "15,5""#,
        ),
        (
            "a code with accents",
            "BÁN TRÚ,Tiền ăn,dịch vụ,ngày,,,",
            r#"Dòng 2, cột "Mã khoản": mã khoản chỉ gồm chữ không dấu, số, - và _, tối đa 24 ký tự, nhận được "BÁN TRÚ""#,
        ),
        (
            "an unknown school",
            "HOCPHI,Học phí,học phí,tháng,,,XX-KHONG-CO",
            r#"Dòng 2, cột "Mã trường": trường "XX-KHONG-CO" chưa có trong hệ thống; thêm bằng lệnh "hocphi-admin school add""#,
        ),
    ];
    for (case, bad, expected) in cases {
        let env = Env::new().await;
        let path = file(&env, "danh-muc.csv", CATALOGUE_HEADER, &[bad, CATALOGUE[0]]);

        let report = catalogue_import(&env, &path, false).await;

        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems, [expected], "{case}");
        assert!(report.refused, "{case}");
        assert_eq!(env.store.catalogue().await.unwrap(), vec![], "{case}");
    }
}

#[tokio::test]
async fn an_entry_twice_in_one_file_is_refused_naming_the_first_row() {
    let env = Env::new().await;
    let path = file(
        &env,
        "danh-muc.csv",
        CATALOGUE_HEADER,
        &[CATALOGUE[0], CATALOGUE[3], CATALOGUE[0]],
    );

    let report = catalogue_import(&env, &path, false).await;

    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [r#"Dòng 4, cột "Mã khoản": khoản "BANTRU" đã có ở dòng 2"#]
    );
}

#[tokio::test]
async fn a_line_takes_kind_unit_and_beneficiary_from_the_catalogue_and_its_amount_from_its_pricing()
{
    let env = with_catalogue().await;
    let rows = [
        line(["BANTRU", "", "Tiền ăn tháng 9", "21", "", "28.000", "", ""]),
        line([
            "BHYT",
            "",
            "Bảo hiểm y tế năm 2027",
            "",
            "",
            "",
            "884.520",
            "",
        ]),
        line(["KHUYENHOC", "", "Quỹ khuyến học", "", "", "", "50.000", ""]),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();

    let report = env
        .import(&file(&env, "hoc-phi.csv", LINES_HEADER, &refs))
        .await;

    assert!(report.problems.is_empty(), "{report}");
    let invoice = env.store.invoice(&id("LL-0001")).await.unwrap().unwrap();
    let items = invoice.items();
    assert_eq!(items[0].kind, LineKind::Service);
    assert_eq!(items[0].item, Some(ItemCode::parse("BANTRU").unwrap()));
    assert_eq!(
        items[0].pricing,
        Some(Pricing {
            quantity: 21,
            unit: Unit::Day,
            unit_price: money(28_000)
        }),
        "the school's own cap of 30.000 ₫ applies, not the province's"
    );
    assert_eq!(items[0].amount, money(588_000));
    assert_eq!(items[1].kind, LineKind::OnBehalf);
    assert_eq!(
        items[1].beneficiary.as_ref().map(|b| b.as_str()),
        Some("Bảo hiểm xã hội tỉnh Gia Lai")
    );
    assert_eq!(items[2].kind, LineKind::Voluntary);
    assert_eq!(invoice.total(), money(588_000 + 884_520));
}

#[tokio::test]
async fn every_kind_of_bad_line_is_reported_by_row_and_column_and_nothing_is_written() {
    let nbsp = '\u{a0}';
    let tuition = line(["", "", "Học phí tháng 9", "", "", "", "1.000.000", ""]);
    let cases: Vec<(&str, Vec<String>, String)> = vec![
        (
            "an item not in the catalogue",
            vec![line(["BANTRU2", "", "Tiền ăn", "", "", "", "100.000", ""])],
            r#"Dòng 2, cột "Mã khoản": khoản "BANTRU2" không có trong danh mục; thêm bằng lệnh "hocphi-admin catalogue import""#.into(),
        ),
        (
            "a school's own entry that belongs to another school",
            vec![format!(
                "{NQ},HS0009,Lê Văn Tâm,6A1,2026-2027,Tháng 9/2026,NQ-0009,BANTRU,,Tiền ăn,21,ngày,28.000,,30/09/2026,,"
            )],
            format!(r#"Dòng 2, cột "Đơn giá": 28.000{nbsp}₫ vượt mức trần 25.000{nbsp}₫/ngày của khoản BANTRU"#),
        ),
        (
            "a unit price over the cap",
            vec![line(["BANTRU", "", "Tiền ăn", "21", "ngày", "31.000", "", ""])],
            format!(r#"Dòng 2, cột "Đơn giá": 31.000{nbsp}₫ vượt mức trần 30.000{nbsp}₫/ngày của khoản BANTRU"#),
        ),
        (
            "an amount over the cap without pricing",
            vec![line(["BANTRU", "", "Tiền ăn", "", "", "", "525.000", ""])],
            format!(r#"Dòng 2, cột "Số tiền": 525.000{nbsp}₫ vượt mức trần 30.000{nbsp}₫/ngày của khoản BANTRU; nếu thu nhiều ngày, ghi số lượng và đơn giá"#),
        ),
        (
            "a kind that contradicts the catalogue",
            vec![line(["KHUYENHOC", "dịch vụ", "Quỹ khuyến học", "", "", "", "50.000", ""])],
            r#"Dòng 2, cột "Loại khoản": khoản "KHUYENHOC" trong danh mục là "Tự nguyện", dòng này ghi "Dịch vụ""#.into(),
        ),
        (
            "a unit that contradicts the catalogue",
            vec![line(["BANTRU", "", "Tiền ăn", "1", "tháng", "25.000", "", ""])],
            r#"Dòng 2, cột "Đơn vị": khoản "BANTRU" trong danh mục tính theo ngày, dòng này ghi "tháng""#.into(),
        ),
        (
            "a beneficiary that contradicts the catalogue",
            vec![line(["BHYT", "", "Bảo hiểm y tế", "", "", "", "884.520", "BHXH Bình Định"])],
            r#"Dòng 2, cột "Đơn vị thu hộ": khoản "BHYT" trong danh mục thu hộ cho "Bảo hiểm xã hội tỉnh Gia Lai", dòng này ghi "BHXH Bình Định""#.into(),
        ),
        (
            "quantity × unit price that is not the amount",
            vec![line(["BANTRU", "", "Tiền ăn", "21", "", "25.000", "500.000", ""])],
            format!(r#"Dòng 2, cột "Số tiền": số tiền 500.000{nbsp}₫ khác số lượng × đơn giá: 21 × 25.000{nbsp}₫ = 525.000{nbsp}₫"#),
        ),
        (
            "a quantity without a unit price",
            vec![line(["BANTRU", "", "Tiền ăn", "21", "", "", "525.000", ""])],
            r#"Dòng 2, cột "Đơn giá": đã ghi số lượng thì phải ghi đơn giá"#.into(),
        ),
        (
            "a quantity that is not a whole number",
            vec![line(["BANTRU", "", "Tiền ăn", "2.5", "", "25.000", "", ""])],
            r#"Dòng 2, cột "Số lượng": số lượng phải là số nguyên dương, nhận được "2.5""#.into(),
        ),
        (
            "pricing without a unit and without an item",
            vec![line(["", "dịch vụ", "Tiền ăn", "21", "", "25.000", "", ""])],
            r#"Dòng 2, cột "Đơn vị": đã ghi số lượng và đơn giá thì ghi cả đơn vị tính (tháng, ngày, học kỳ, năm hoặc cái (bộ, lần))"#.into(),
        ),
        (
            "a collection on behalf without a beneficiary",
            vec![line(["", "thu hộ", "Bảo hiểm y tế", "", "", "", "884.520", ""])],
            r#"Dòng 2, cột "Đơn vị thu hộ": khoản thu hộ phải ghi đơn vị thu hộ (ví dụ: Bảo hiểm xã hội tỉnh Gia Lai), hoặc mã khoản có trong danh mục"#.into(),
        ),
        (
            "a beneficiary on a service",
            vec![line(["", "dịch vụ", "Nước uống", "", "", "", "15.000", "Công ty cấp nước"])],
            r#"Dòng 2, cột "Đơn vị thu hộ": chỉ khoản thu hộ mới ghi đơn vị thu hộ; dòng này là "Dịch vụ""#.into(),
        ),
        (
            "an unknown kind",
            vec![line(["", "học thêm", "Tiền học thêm", "", "", "", "200.000", ""])],
            r#"Dòng 2, cột "Loại khoản": loại khoản viết là học phí, dịch vụ, thu hộ hoặc tự nguyện, hỗ trợ học phí hoặc miễn giảm, nhận được "học thêm""#.into(),
        ),
        (
            "adjustments that leave nothing due",
            vec![
                tuition.clone(),
                line(["", "hỗ trợ học phí", "", "", "", "", "600.000", ""]),
                line(["", "miễn giảm", "Hộ nghèo", "", "", "", "400.000", ""]),
            ],
            format!(r#"Dòng 3, cột "Số tiền": hỗ trợ, miễn giảm của khoản thu "LL-0001" (1.000.000{nbsp}₫) bằng hoặc vượt các khoản phải nộp (1.000.000{nbsp}₫); nếu học sinh được miễn toàn bộ, không lập khoản thu này"#),
        ),
        (
            "an invoice of voluntary lines only",
            vec![line(["KHUYENHOC", "", "Quỹ khuyến học", "", "", "", "50.000", ""])],
            r#"Dòng 2, cột "Loại khoản": khoản thu "LL-0001" không có khoản phải nộp nào (học phí, dịch vụ hoặc thu hộ); khoản tự nguyện chỉ được mời nộp kèm một khoản phải nộp"#.into(),
        ),
    ];
    for (case, rows, expected) in cases {
        let env = with_catalogue().await;
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();

        let report = env
            .import(&file(&env, "hoc-phi.csv", LINES_HEADER, &refs))
            .await;

        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems, [expected], "{case}");
        assert!(report.refused, "{case}");
        assert_eq!(
            env.store.invoice(&id("LL-0001")).await.unwrap(),
            None,
            "{case}"
        );
    }
}

#[tokio::test]
async fn an_adjustment_stores_its_amount_under_a_neutral_label_never_the_reason() {
    let env = with_catalogue().await;
    let rows = [
        line(["", "", "Học phí tháng 9", "", "", "", "1.000.000", ""]),
        line(["", "hỗ trợ học phí", "", "", "", "", "300.000", ""]),
        line(["", "miễn giảm", "Con hộ nghèo", "", "", "", "200.000", ""]),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();

    let report = env
        .import(&file(&env, "hoc-phi.csv", LINES_HEADER, &refs))
        .await;

    assert!(report.problems.is_empty(), "{report}");
    let invoice = env.store.invoice(&id("LL-0001")).await.unwrap().unwrap();
    let labels: Vec<(&str, LineKind)> = invoice
        .items()
        .iter()
        .map(|i| (i.description.as_str(), i.kind))
        .collect();
    assert_eq!(
        labels,
        [
            ("Học phí tháng 9", LineKind::Tuition),
            ("Hỗ trợ học phí theo quy định", LineKind::Subsidy),
            ("Miễn, giảm theo quy định", LineKind::Reduction),
        ]
    );
    assert_eq!(invoice.total(), money(500_000));
}

#[tokio::test]
async fn the_2026_sample_imports_after_the_catalogue_sample() {
    let env = Env::new().await;
    add_private_school(&env.store).await;
    catalogue_import(&env, &sample("danh-muc-mau.csv"), false).await;

    let report = env.import(&sample("hoc-phi-2026-mau.csv")).await;
    let again = env.import(&sample("hoc-phi-2026-mau.csv")).await;

    assert!(report.problems.is_empty(), "{report}");
    assert_eq!(report.invoices.created, 4, "{report}");
    assert_eq!(again.invoices.unchanged, 4, "{again}");
    let public = env
        .store
        .invoice(&id("LL-2627-T09-0201"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.total(), money(1_559_520));
    assert_eq!(public.items()[0].amount, money(525_000));
    assert_eq!(public.voluntary().count(), 1);
    let private = env
        .store
        .invoice(&id("DTH-2627-HK1-0001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(private.total(), money(3_000_000));
}

#[tokio::test]
async fn the_command_line_imports_and_lists_the_catalogue() {
    let env = Env::new().await;
    add_private_school(&env.store).await;
    let run = |command| {
        let store = env.store.clone();
        async move {
            let mut out = Vec::new();
            let exit = execute(&store, command, now(), &operator(), None, &mut out)
                .await
                .unwrap();
            (exit, String::from_utf8(out).unwrap())
        }
    };

    let (imported, report) = run(Command::Catalogue(CatalogueCommand::Import {
        file: sample("danh-muc-mau.csv"),
        dry_run: false,
    }))
    .await;
    let (listed, list) = run(Command::Catalogue(CatalogueCommand::List)).await;

    assert_eq!(imported, Exit::Done, "{report}");
    assert!(
        report.contains("Danh mục: 7 khoản tạo mới, 0 cập nhật, 0 không đổi."),
        "{report}"
    );
    assert_eq!(listed, Exit::Done);
    assert!(
        list.starts_with("Danh mục các khoản thu (7 khoản):"),
        "{list}"
    );
}
