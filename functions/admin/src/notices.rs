//! `notices`: the fee notices ("giấy báo thu") a school sends home, as one print-ready HTML file
//! the browser prints: one A5 page per student, or two A5 notices side by side on A4 landscape.
//!
//! Invariants: a notice lists the student's Open invoices of the school (a class's, with
//! `--class`), one notice per student ordered by class then student code; the name is the masked
//! one the store keeps, never the full name of the codes file; a lookup code is printed only when
//! the codes file the import wrote when it issued it is given (the store keeps only digests);
//! the QR code opens the parents' page with the student code filled in (`?student=`), or, when
//! bill-payment partners are on, with the payment code (`?ma=`, the look-up made at once) which
//! is then printed for the portal and banks too. The total is what the invoices require
//! ([`Invoice::total`]): voluntary items are listed apart as "không bắt buộc" and never added,
//! adjustments are shown as deductions. Every text is HTML-escaped; fonts are system fonts that
//! cover Vietnamese, so nothing is downloaded to print.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hocphi_domain::{
    Invoice, InvoiceStatus, LineItem, LineKind, LookupKey, Money, PaymentCode, School, SchoolId,
    SchoolYear, Store, StoreError, StudentCode, escape_html,
};

use crate::header::{ColumnSpec, fold, resolve};
use crate::table::{Table, TableError};

/// How notices are laid out on paper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// One notice per A5 page.
    #[default]
    A5,
    /// Two A5 notices side by side on an A4 landscape page.
    A4TwoUp,
}

/// What `notices` is asked for.
#[derive(Clone, Debug)]
pub struct NoticeOptions {
    pub school: String,
    pub class: Option<String>,
    pub out: PathBuf,
    pub layout: Layout,
    /// The codes file an import wrote (`--codes-out`), to print the lookup codes it issued.
    pub codes: Option<PathBuf>,
    /// The parents' page, e.g. `https://hocphi.gialai.edu.vn`.
    pub site: String,
    /// Bill-payment partners are on: print each student's payment code (issued under this key).
    pub payment_codes: Option<LookupKey>,
    /// The day printed on the notices.
    pub printed: NaiveDate,
}

/// Why no notices were written.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("mã trường không hợp lệ: \"{0}\"")]
    BadSchool(String),
    #[error("không có trường \"{0}\"")]
    NoSchool(String),
    #[error(
        "địa chỉ trang phụ huynh không hợp lệ: \"{0}\" (viết như https://hocphi.gialai.edu.vn)"
    )]
    BadSite(String),
    #[error("không đọc được tệp mã tra cứu")]
    Codes(#[from] TableError),
    #[error("tệp mã tra cứu {0} thiếu cột \"Mã học sinh\" hoặc \"Mã tra cứu\"")]
    CodesHeaders(PathBuf),
    #[error("không có khoản thu chưa nộp nào của trường {school}{class} để in giấy báo")]
    Nothing { school: String, class: String },
    #[error("không ghi được tệp {path}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// What `notices` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticesWritten {
    pub path: PathBuf,
    pub notices: usize,
    pub invoices: usize,
    /// Notices printed with a lookup code from the codes file.
    pub with_lookup_code: usize,
}

impl fmt::Display for NoticesWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Đã ghi {} giấy báo ({} khoản thu, {} có mã tra cứu) vào {}: mở bằng trình duyệt và in \
             (khổ giấy theo tệp, tỉ lệ 100 %).",
            self.notices,
            self.invoices,
            self.with_lookup_code,
            self.path.display()
        )
    }
}

/// One student's notice.
#[derive(Clone, Debug)]
pub struct Notice {
    pub student: StudentCode,
    pub invoices: Vec<Invoice>,
    pub lookup_code: Option<String>,
    pub payment_codes: Vec<(SchoolYear, PaymentCode)>,
}

/// Reads the codes file: student code → lookup code.
async fn read_codes(path: &Path) -> Result<HashMap<String, String>, NoticeError> {
    const COLUMNS: [ColumnSpec; 2] = [
        ColumnSpec::required("Mã học sinh", &[]),
        ColumnSpec::required("Mã tra cứu", &[]),
    ];
    let mut table = Table::open(path).await?;
    let columns = table
        .header(|h| resolve(h, &COLUMNS), |_| false)
        .await?
        .map_err(|_| NoticeError::CodesHeaders(path.to_owned()))?;
    let (Some(student), Some(code)) = (columns[0], columns[1]) else {
        return Err(NoticeError::CodesHeaders(path.to_owned()));
    };
    let mut codes = HashMap::new();
    while let Some(row) = table.next().await {
        let row = row?;
        let key = fold(&row.cell(student).text()).to_uppercase();
        let value = row.cell(code).text().trim().to_owned();
        if !key.is_empty() && !value.is_empty() {
            codes.insert(key, value);
        }
    }
    Ok(codes)
}

/// The parents' page address without a trailing slash, checked to be an http(s) URL.
fn site_url(raw: &str) -> Result<String, NoticeError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(host)
            if !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c)) =>
        {
            Ok(trimmed.to_owned())
        }
        _ => Err(NoticeError::BadSite(raw.to_owned())),
    }
}

/// The school's notices, each student's Open invoices in due date order.
pub async fn collect<S: Store>(
    store: &S,
    options: &NoticeOptions,
) -> Result<(School, Vec<Notice>), NoticeError> {
    let id = SchoolId::parse(&options.school)
        .map_err(|_| NoticeError::BadSchool(options.school.clone()))?;
    let school = store
        .school(&id)
        .await?
        .ok_or_else(|| NoticeError::NoSchool(options.school.clone()))?;
    let codes = match &options.codes {
        Some(path) => read_codes(path).await?,
        None => HashMap::new(),
    };
    let class = options.class.as_deref().map(|c| fold(c).to_uppercase());
    let mut by_student: BTreeMap<(String, String), Vec<Invoice>> = BTreeMap::new();
    let (first, last) = (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
    );
    let mut page = None;
    loop {
        let answer = store
            .invoices_due(&id, first, last, page.as_ref(), 500)
            .await?;
        for invoice in answer.invoices {
            let in_class = class
                .as_ref()
                .is_none_or(|c| fold(invoice.class_name.as_str()).to_uppercase() == *c);
            if invoice.status == InvoiceStatus::Open && in_class {
                let key = (
                    invoice.class_name.as_str().to_owned(),
                    invoice.student.as_str().to_owned(),
                );
                by_student.entry(key).or_default().push(invoice);
            }
        }
        page = answer.next;
        if page.is_none() {
            break;
        }
    }
    let notices = by_student
        .into_values()
        .filter_map(|invoices| {
            let student = invoices.first()?.student.clone();
            let mut years: Vec<SchoolYear> = invoices.iter().map(|i| i.school_year).collect();
            years.sort_unstable();
            years.dedup();
            let payment_codes = options
                .payment_codes
                .as_ref()
                .map(|key| {
                    years
                        .iter()
                        .map(|y| (*y, PaymentCode::issue(&student, *y, key)))
                        .collect()
                })
                .unwrap_or_default();
            Some(Notice {
                lookup_code: codes.get(student.as_str()).cloned(),
                student,
                invoices,
                payment_codes,
            })
        })
        .collect();
    Ok((school, notices))
}

/// Writes the school's notices to `options.out`.
pub async fn notices<S: Store>(
    store: &S,
    options: &NoticeOptions,
) -> Result<NoticesWritten, NoticeError> {
    let site = site_url(&options.site)?;
    let (school, notices) = collect(store, options).await?;
    if notices.is_empty() {
        return Err(NoticeError::Nothing {
            school: options.school.clone(),
            class: options
                .class
                .as_ref()
                .map(|c| format!(", lớp {c}"))
                .unwrap_or_default(),
        });
    }
    let html = render(&school, &notices, &site, options.layout, options.printed);
    std::fs::write(&options.out, html).map_err(|source| NoticeError::Write {
        path: options.out.clone(),
        source,
    })?;
    Ok(NoticesWritten {
        path: options.out.clone(),
        notices: notices.len(),
        invoices: notices.iter().map(|n| n.invoices.len()).sum(),
        with_lookup_code: notices.iter().filter(|n| n.lookup_code.is_some()).count(),
    })
}

/// A QR code of `text` as an inline SVG (error correction Medium, four-module quiet zone).
pub fn qr_svg(text: &str) -> Option<String> {
    let picture = hocphi_app::qr::picture(text)?;
    let (side, path) = (picture.side, picture.path);
    Some(format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"{}\"><rect width=\"{side}\" \
         height=\"{side}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        escape_html(text)
    ))
}

/// "học phí" only when every line is tuition; "các khoản thu" when none is; both otherwise.
fn what_is_collected(invoices: &[Invoice]) -> &'static str {
    let lines = || invoices.iter().flat_map(|i| i.items());
    let charges = || lines().filter(|l| !l.kind.is_adjustment());
    if charges().all(|l| l.kind == LineKind::Tuition) {
        "HỌC PHÍ"
    } else if charges().all(|l| l.kind != LineKind::Tuition) {
        "CÁC KHOẢN THU"
    } else {
        "HỌC PHÍ VÀ CÁC KHOẢN THU"
    }
}

fn day(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn line_row(out: &mut String, line: &LineItem) {
    let mut what = escape_html(line.description.as_str());
    if let Some(beneficiary) = &line.beneficiary {
        let _ = write!(
            what,
            "<div class=\"note\">Thu hộ: {}</div>",
            escape_html(beneficiary.as_str())
        );
    }
    if line.is_voluntary() {
        what.push_str("<div class=\"note\">Tự nguyện — không bắt buộc</div>");
    }
    let pricing = line
        .pricing
        .map(|p| {
            format!(
                "{} {} × {}",
                p.quantity,
                p.unit.label_vi(),
                escape_html(&p.unit_price.to_string())
            )
        })
        .unwrap_or_default();
    let amount = if line.kind.is_adjustment() {
        line.amount.as_deduction()
    } else {
        line.amount.to_string()
    };
    let class = if line.kind.is_adjustment() {
        " class=\"deduction\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<tr{class}><td>{what}</td><td class=\"qty\">{pricing}</td><td class=\"amt\">{}</td></tr>",
        escape_html(&amount)
    );
}

fn notice_html(out: &mut String, school: &School, notice: &Notice, site: &str, printed: NaiveDate) {
    let first = &notice.invoices[0];
    let total = Money::sum(notice.invoices.iter().map(Invoice::total)).ok();
    let due = notice.invoices.iter().map(|i| i.due_date).min();
    let link = match notice.payment_codes.first() {
        Some((_, code)) => format!("{site}/?ma={code}"),
        None => format!("{site}/?student={}", notice.student),
    };
    let terms: Vec<String> = {
        let mut terms: Vec<String> = notice
            .invoices
            .iter()
            .map(|i| format!("{} năm học {}", i.term, i.school_year))
            .collect();
        terms.dedup();
        terms
    };
    out.push_str("<section class=\"notice\">");
    let _ = write!(
        out,
        "<header><div class=\"school\">{}</div>{}<h1>GIẤY BÁO THU {}</h1><div class=\"term\">{}</div></header>",
        escape_html(school.name.as_str()),
        school
            .commune
            .as_ref()
            .map(|c| format!("<div class=\"commune\">{}</div>", escape_html(c.as_str())))
            .unwrap_or_default(),
        what_is_collected(&notice.invoices),
        escape_html(&terms.join("; "))
    );
    let _ = write!(
        out,
        "<table class=\"who\"><tr><th>Học sinh</th><td>{}</td><th>Lớp</th><td>{}</td></tr>\
         <tr><th>Mã học sinh</th><td class=\"code\">{}</td><th>Hạn nộp</th><td><b>{}</b></td></tr></table>",
        escape_html(first.student_name.as_str()),
        escape_html(first.class_name.as_str()),
        escape_html(notice.student.as_str()),
        due.map(day).unwrap_or_default()
    );
    let _ = write!(
        out,
        "<table class=\"lines\">{COLUMNS}<thead><tr><th>Nội dung</th><th>Số lượng × đơn giá</th><th>Số tiền</th></tr></thead><tbody>",
    );
    let several = notice.invoices.len() > 1;
    for invoice in &notice.invoices {
        if several {
            let _ = write!(
                out,
                "<tr class=\"invoice\"><td colspan=\"3\">{} — mã khoản thu {} — hạn {}</td></tr>",
                escape_html(invoice.term.as_str()),
                escape_html(invoice.id.as_str()),
                day(invoice.due_date)
            );
        }
        for line in invoice.items().iter().filter(|l| !l.is_voluntary()) {
            line_row(out, line);
        }
    }
    let _ = write!(
        out,
        "</tbody><tfoot><tr class=\"total\"><td colspan=\"2\">Tổng số tiền phải nộp</td><td class=\"amt\">{}</td></tr></tfoot></table>",
        total
            .map(|t| escape_html(&t.to_string()))
            .unwrap_or_default()
    );
    if let Some(total) = total {
        let _ = write!(
            out,
            "<p class=\"words\">Bằng chữ: <i>{}</i></p>",
            escape_html(&total.in_words())
        );
    }
    let voluntary: Vec<&LineItem> = notice
        .invoices
        .iter()
        .flat_map(|i| i.items())
        .filter(|l| l.is_voluntary())
        .collect();
    if !voluntary.is_empty() {
        let _ = write!(
            out,
            "<table class=\"lines voluntary\">{COLUMNS}<thead><tr><th colspan=\"3\">Khoản tự nguyện (không bắt buộc, không tính vào tổng; phụ huynh chọn khi nộp trên trang)</th></tr></thead><tbody>",
        );
        for line in voluntary {
            line_row(out, line);
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("<div class=\"pay\">");
    if let Some(svg) = qr_svg(&link) {
        out.push_str(&svg);
    }
    out.push_str("<div class=\"how\"><b>Cách nộp</b><ol>");
    let _ = write!(
        out,
        "<li>Quét mã QR bằng điện thoại, hoặc vào <b>{}</b> và nhập Mã học sinh <b class=\"code\">{}</b>",
        escape_html(site),
        escape_html(notice.student.as_str())
    );
    match &notice.lookup_code {
        Some(code) => {
            let _ = write!(
                out,
                " cùng Mã tra cứu <b class=\"code\">{}</b> (giữ kín mã này).",
                escape_html(code)
            );
        }
        None if notice.payment_codes.is_empty() => {
            out.push_str(" cùng Mã tra cứu nhà trường đã cấp.");
        }
        None => out.push('.'),
    }
    out.push_str("</li>");
    let transfer = if school.payee.is_some() {
        "chuyển khoản ngân hàng bằng mã VietQR hiện trên trang (không mất phí), hoặc thẻ, ví điện tử"
    } else {
        "thẻ ngân hàng hoặc ví điện tử"
    };
    let _ = write!(
        out,
        "<li>Trên trang, chọn cách thanh toán: {transfer}. Biên lai hiện ngay khi nộp xong.</li>"
    );
    for (year, code) in &notice.payment_codes {
        let _ = write!(
            out,
            "<li>Hoặc nộp qua Cổng Dịch vụ công quốc gia, ứng dụng ngân hàng (thanh toán học phí) \
             bằng Mã thanh toán năm học {year}: <b class=\"code\">{}</b>.</li>",
            escape_html(&code.to_string())
        );
    }
    out.push_str("</ol></div></div>");
    let _ = write!(
        out,
        "<footer>Giấy báo in ngày {}. Thắc mắc về các khoản thu, xin liên hệ nhà trường.</footer>",
        day(printed)
    );
    out.push_str("</section>");
}

/// The columns of the lines tables, alike in both so amounts line up.
const COLUMNS: &str = "<colgroup><col><col class=\"c-qty\"><col class=\"c-amt\"></colgroup>";

const STYLE: &str = r#"
* { box-sizing: border-box; }
body { margin: 0; font-family: "Noto Sans", "DejaVu Sans", Arial, "Times New Roman", sans-serif;
  font-size: 10pt; color: #000; background: #fff; }
.notice { width: 148mm; height: 210mm; padding: 9mm 10mm; overflow: hidden;
  display: flex; flex-direction: column; gap: 2.2mm; }
header { text-align: center; }
.school { font-weight: bold; text-transform: uppercase; font-size: 10pt; }
.commune { font-size: 9pt; }
h1 { font-size: 13pt; margin: 2mm 0 0.5mm; letter-spacing: 0.02em; }
.term { font-size: 9.5pt; }
table { width: 100%; border-collapse: collapse; }
.who th { text-align: left; font-weight: normal; color: #333; width: 22mm; padding: 0.6mm 0; }
.who td { padding: 0.6mm 0; }
.lines { table-layout: fixed; }
.c-qty { width: 34mm; }
.c-amt { width: 27mm; }
.lines th, .lines td { border: 0.3mm solid #444; padding: 1mm 1.5mm; vertical-align: top; }
.lines thead th { background: #eee; font-size: 9pt; }
.qty { white-space: nowrap; font-size: 9pt; }
.amt { text-align: right; white-space: nowrap; }
.note { font-size: 8.5pt; font-style: italic; }
.deduction td { font-style: italic; }
.invoice td { background: #f6f6f6; font-size: 8.5pt; }
.total td { font-weight: bold; }
.words { margin: 0; }
.voluntary th { text-align: left; font-weight: normal; font-style: italic; }
.pay { display: flex; gap: 3mm; align-items: flex-start; border: 0.4mm solid #000; padding: 2mm;
  margin-top: auto; }
.qr { width: 30mm; height: 30mm; flex: none; }
.how ol { margin: 1mm 0 0; padding-left: 4.5mm; }
.how li { margin-bottom: 0.8mm; }
.code { white-space: nowrap; font-family: "DejaVu Sans Mono", "Noto Sans Mono", "Courier New", monospace;
  letter-spacing: 0.04em; }
footer { font-size: 8pt; color: #333; }
"#;

/// The whole HTML document.
pub fn render(
    school: &School,
    notices: &[Notice],
    site: &str,
    layout: Layout,
    printed: NaiveDate,
) -> String {
    let (page, per_sheet) = match layout {
        Layout::A5 => ("A5 portrait", 1),
        Layout::A4TwoUp => ("A4 landscape", 2),
    };
    let mut out = String::with_capacity(4096 * notices.len() + STYLE.len());
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Giấy báo thu — {}</title>\
         <style>@page {{ size: {page}; margin: 0; }}{STYLE}\
         .sheet {{ display: flex; break-after: page; page-break-after: always; }}\
         .sheet:last-child {{ break-after: auto; page-break-after: auto; }}\
         .sheet + .sheet .notice, .sheet .notice + .notice {{ border-left: 0.2mm dashed #999; }}\
         @media screen {{ .sheet {{ margin: 4mm auto; width: max-content; box-shadow: 0 0 2mm #999; }} }}\
         </style></head><body>",
        escape_html(school.name.as_str())
    );
    for sheet in notices.chunks(per_sheet) {
        out.push_str("<div class=\"sheet\">");
        for notice in sheet {
            notice_html(&mut out, school, notice, site, printed);
        }
        out.push_str("</div>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html("<b>\"A&B\"</b>'"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;&#39;"
        );
    }

    #[test]
    fn the_site_must_be_an_http_address() {
        assert_eq!(
            site_url("https://hocphi.gialai.edu.vn/").unwrap(),
            "https://hocphi.gialai.edu.vn"
        );
        for bad in [
            "",
            "hocphi.vn",
            "javascript:alert(1)",
            "https://a\"b",
            "https://",
        ] {
            assert!(site_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_qr_code_is_an_inline_svg_path() {
        let svg = qr_svg("https://hocphi.gialai.edu.vn/?student=HS001234").unwrap();
        assert!(svg.starts_with("<svg class=\"qr\""));
        assert!(
            svg.contains("<path d=\"M4 4h7v1h-7z"),
            "a finder pattern's top row"
        );
    }
}
