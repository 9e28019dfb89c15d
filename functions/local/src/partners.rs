//! The bill-payment partners' simulators: a bank's "pay a bill" app at
//! [`LOCAL_BANK_PATH`] and the national portal's payment page at [`LOCAL_PORTAL_PATH`]. Unlike
//! the channels' simulators they play the partner's side of hocphi's partner API: each look-up
//! and each payment is a signed request over real loopback HTTP to
//! `{origin}/api/partners/{partner}/…`, as a bank's or the portal platform's server sends it.
//!
//! The bank is [`LOCAL_BANK_PARTNER`] (generic profile, signed with
//! [`hocphi_gateways::partner::generic::sign`]); the portal is [`LOCAL_PORTAL_PARTNER`] (the
//! portal platform's profile, its `GetBill` and `Confirm` signed with `MaXacThuc`). Their keys
//! (and the portal's `code`, hocphi's `MaDoiTac`) are read from the same `HOCPHI_PARTNERS` the
//! app verifies with, so what they sign the app accepts.
//!
//! Invariants: the pages are server-rendered HTML forms (no script), in Vietnamese, and every
//! value placed in them is escaped; each payment gets a fresh transaction id (and the bank's
//! request a fresh nonce); a refusal shows the API's own Vietnamese message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hocphi_domain::{Money, PartnerId, escape_html};
use hocphi_gateways::Secret;
use hocphi_gateways::partner::{self, PartnerOp, dvcqg, generic};
use hocphi_runtime::config::{
    LOCAL_BANK_PARTNER, LOCAL_BANK_PATH, LOCAL_PORTAL_PARTNER, LOCAL_PORTAL_PATH,
};
use http::{Method, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{Value, json};

/// How long a call to the partner API may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The bank code the portal's simulated intermediary reports (`MaNganHang`).
const PORTAL_BANK: &str = "NHMOPHONG";

/// A page to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub html: String,
}

/// The bank's side: its id at hocphi, its name and key.
#[derive(Debug)]
struct Bank {
    id: PartnerId,
    name: String,
    key: String,
}

/// The portal platform's side: its id at hocphi, hocphi's code at the platform and the key.
#[derive(Debug)]
struct Portal {
    id: PartnerId,
    agency: String,
    key: Secret,
}

/// Both simulators, and the HTTP client they call the partner API with.
#[derive(Debug)]
pub struct PartnerSimulators {
    origin: String,
    bank: Option<Bank>,
    portal: Option<Portal>,
    client: Client<HttpConnector, Full<Bytes>>,
    sequence: AtomicU64,
}

/// What the partner API answered: its status and body.
struct Answered {
    status: u16,
    body: String,
}

impl PartnerSimulators {
    /// The simulators of the local partners `partners` (the `HOCPHI_PARTNERS` JSON) names,
    /// calling the API at `origin`; a partner it does not name (or names without a usable key)
    /// has a page saying so.
    pub fn new(partners: Option<&str>, origin: &str) -> Self {
        let config: Value = partners
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or(Value::Null);
        let entry = |id: &str| {
            let entry = config.get(id)?;
            let text = |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned);
            Some((
                PartnerId::parse(id).ok()?,
                text("name"),
                text("key")?,
                text("code"),
            ))
        };
        let bank = entry(LOCAL_BANK_PARTNER).map(|(id, name, key, _)| Bank {
            name: name.unwrap_or_else(|| id.to_string()),
            id,
            key,
        });
        let portal = entry(LOCAL_PORTAL_PARTNER).and_then(|(id, _, key, code)| {
            Some(Portal {
                agency: code.unwrap_or_else(|| id.to_string()),
                key: Secret::new(key).ok()?,
                id,
            })
        });
        Self {
            origin: origin.trim_end_matches('/').to_owned(),
            bank,
            portal,
            client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
            sequence: AtomicU64::new(0),
        }
    }

    /// Answers a request for a page under either simulator's path.
    pub async fn handle(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Page {
        let bank_pay = format!("{LOCAL_BANK_PATH}/thanh-toan");
        let portal_pay = format!("{LOCAL_PORTAL_PATH}/thanh-toan");
        let page = path.trim_end_matches('/');
        match (method, page) {
            (&Method::GET | &Method::HEAD, p) if p == LOCAL_BANK_PATH => {
                self.bank_lookup(field(query.as_bytes(), "ma"), now).await
            }
            (&Method::POST, p) if p == bank_pay => self.bank_pay(body, now).await,
            (&Method::GET | &Method::HEAD, p) if p == LOCAL_PORTAL_PATH => {
                self.portal_lookup(field(query.as_bytes(), "ma"), now).await
            }
            (&Method::POST, p) if p == portal_pay => self.portal_pay(body, now).await,
            (_, p)
                if [
                    LOCAL_BANK_PATH,
                    LOCAL_PORTAL_PATH,
                    bank_pay.as_str(),
                    portal_pay.as_str(),
                ]
                .contains(&p) =>
            {
                Page {
                    status: 405,
                    html: shell(
                        "Không hỗ trợ",
                        Theme::Bank,
                        "<p>Trang này không nhận yêu cầu kiểu này.</p>",
                    ),
                }
            }
            _ => Page {
                status: 404,
                html: shell(
                    "Không có trang này",
                    Theme::Bank,
                    "<p>Không có trang này.</p>",
                ),
            },
        }
    }

    /// A fresh id: `prefix`, the time to the millisecond and a sequence number.
    fn fresh(&self, prefix: &str, now: DateTime<Utc>) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed) % 10_000;
        format!("{prefix}{}{n:04}", now.format("%y%m%d%H%M%S%3f"))
    }

    /// POSTs `body` to `path` on the origin with `headers`.
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<Answered, String> {
        let mut request = http::Request::post(format!("{}{path}", self.origin))
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| "hocphi không trả lời kịp".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answered {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// A signed request of the bank (generic profile), with a fresh nonce.
    async fn bank_call(
        &self,
        bank: &Bank,
        op: PartnerOp,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<Answered, String> {
        let path = partner::path(&bank.id, op);
        let body = body.to_string();
        let nonce = self.fresh("n", now);
        let timestamp = now.timestamp();
        let signature = generic::sign(&bank.key, "POST", &path, timestamp, &nonce, &body);
        let headers = [
            (generic::TIMESTAMP_HEADER, timestamp.to_string()),
            (generic::NONCE_HEADER, nonce),
            (generic::SIGNATURE_HEADER, signature),
        ];
        self.post(&path, &headers, body).await
    }

    async fn bank_lookup(&self, typed: Option<String>, now: DateTime<Utc>) -> Page {
        let Some(bank) = &self.bank else {
            return not_configured(Theme::Bank, LOCAL_BANK_PARTNER);
        };
        let typed = typed.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let mut html = format!(
            "<p class=\"note\">Thanh toán hoá đơn › Học phí, lệ phí trường học</p>\
             <div class=\"card\"><form method=\"get\" action=\"{LOCAL_BANK_PATH}\">\
             <label for=\"ma\">Mã học sinh hoặc mã thanh toán (in trên giấy báo thu)</label>\
             <input id=\"ma\" name=\"ma\" value=\"{}\" required autocomplete=\"off\">\
             <button class=\"pay\">Tra cứu</button></form></div>",
            escape_html(typed.as_deref().unwrap_or_default())
        );
        let title = format!("{} — Thanh toán học phí", bank.name);
        let Some(typed) = typed else {
            return Page {
                status: 200,
                html: shell(&title, Theme::Bank, &html),
            };
        };
        let body = if typed.contains('-') {
            json!({ "payment_code": typed })
        } else {
            json!({ "student": typed })
        };
        let status = match self.bank_call(bank, PartnerOp::Bills, &body, now).await {
            Ok(answered) if answered.status == 200 => {
                match serde_json::from_str::<BillsReply>(&answered.body) {
                    Ok(reply) if reply.bills.is_empty() => {
                        html.push_str(&refusal("Không có khoản thu nào cần nộp.", None));
                        200
                    }
                    Ok(reply) => {
                        for bill in &reply.bills {
                            html.push_str(&bill_card(bill, &typed));
                        }
                        200
                    }
                    Err(_) => {
                        html.push_str(&unreachable("hocphi trả lời không đúng định dạng"));
                        502
                    }
                }
            }
            Ok(answered) => {
                html.push_str(&api_refusal(&answered));
                answered.status
            }
            Err(reason) => {
                html.push_str(&unreachable(&reason));
                502
            }
        };
        Page {
            status,
            html: shell(&title, Theme::Bank, &html),
        }
    }

    async fn bank_pay(&self, form: &[u8], now: DateTime<Utc>) -> Page {
        let Some(bank) = &self.bank else {
            return not_configured(Theme::Bank, LOCAL_BANK_PARTNER);
        };
        let title = format!("{} — Kết quả thanh toán", bank.name);
        let typed = field(form, "ma").unwrap_or_default();
        let (Some(invoices), Some(amount)) = (field(form, "invoices"), field(form, "amount"))
        else {
            return Page {
                status: 400,
                html: shell(
                    &title,
                    Theme::Bank,
                    &refusal("Thiếu khoản thu hoặc số tiền cần thanh toán.", None),
                ),
            };
        };
        let invoice_ids: Vec<&str> = invoices.split(',').filter(|id| !id.is_empty()).collect();
        let txn = self.fresh("FT", now);
        let body = json!({
            "transaction_id": txn,
            "invoice_ids": invoice_ids,
            "amount": amount,
            "paid_at": now.to_rfc3339(),
        });
        let (status, mut html) = match self.bank_call(bank, PartnerOp::Confirm, &body, now).await {
            Ok(answered) if answered.status == 200 => {
                match serde_json::from_str::<ConfirmedReply>(&answered.body) {
                    Ok(reply) => (
                        200,
                        success(&txn, &reply.receipt_number, &reply.receipt_url),
                    ),
                    Err(_) => (502, unreachable("hocphi trả lời không đúng định dạng")),
                }
            }
            Ok(answered) => (answered.status, api_refusal(&answered)),
            Err(reason) => (502, unreachable(&reason)),
        };
        html.push_str(&back(LOCAL_BANK_PATH, &typed));
        Page {
            status,
            html: shell(&title, Theme::Bank, &html),
        }
    }

    async fn portal_lookup(&self, typed: Option<String>, now: DateTime<Utc>) -> Page {
        let Some(portal) = &self.portal else {
            return not_configured(Theme::Portal, LOCAL_PORTAL_PARTNER);
        };
        let title = "Cổng Dịch vụ công quốc gia — Thanh toán trực tuyến";
        let typed = typed.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let mut html = format!(
            "<p class=\"note\">Thanh toán nghĩa vụ tài chính › Học phí</p>\
             <div class=\"card\"><form method=\"get\" action=\"{LOCAL_PORTAL_PATH}\">\
             <label for=\"ma\">Mã thanh toán (in trên giấy báo thu)</label>\
             <input id=\"ma\" name=\"ma\" value=\"{}\" required autocomplete=\"off\">\
             <button class=\"pay\">Tra cứu</button></form></div>",
            escape_html(typed.as_deref().unwrap_or_default())
        );
        let Some(typed) = typed else {
            return Page {
                status: 200,
                html: shell(title, Theme::Portal, &html),
            };
        };
        let body = dvcqg::GetBill {
            version: "1.0.0",
            agency: &portal.agency,
            payment_code: &typed,
            at: now,
        }
        .signed_body(&portal.key);
        let path = partner::path(&portal.id, PartnerOp::Bills);
        let status = match self.post(&path, &[], body).await {
            Ok(answered) => match serde_json::from_str::<PortalReply>(&answered.body) {
                Ok(reply) if reply.ma_loi == dvcqg::OK => {
                    html.push_str(&portal_bill_card(&reply, &typed, &self.origin));
                    200
                }
                Ok(reply) => {
                    html.push_str(&refusal(&reply.mo_ta_loi, Some(&reply.ma_loi)));
                    200
                }
                Err(_) => {
                    html.push_str(&unreachable("hocphi trả lời không đúng định dạng"));
                    502
                }
            },
            Err(reason) => {
                html.push_str(&unreachable(&reason));
                502
            }
        };
        Page {
            status,
            html: shell(title, Theme::Portal, &html),
        }
    }

    async fn portal_pay(&self, form: &[u8], now: DateTime<Utc>) -> Page {
        let Some(portal) = &self.portal else {
            return not_configured(Theme::Portal, LOCAL_PORTAL_PARTNER);
        };
        let title = "Cổng Dịch vụ công quốc gia — Kết quả thanh toán";
        let typed = field(form, "ma").unwrap_or_default();
        let amount = field(form, "amount").and_then(|raw| Money::parse(&raw).ok());
        let Some(amount) = amount.filter(|_| !typed.is_empty()) else {
            return Page {
                status: 400,
                html: shell(
                    title,
                    Theme::Portal,
                    &refusal("Thiếu mã thanh toán hoặc số tiền.", None),
                ),
            };
        };
        let txn = self.fresh("GD", now);
        let info = format!("Nop hoc phi {typed}");
        let body = dvcqg::Confirm {
            agency: &portal.agency,
            payment_code: &typed,
            amount,
            txn: &txn,
            bank: PORTAL_BANK,
            at: now,
            info: &info,
        }
        .signed_body(&portal.key);
        let path = partner::path(&portal.id, PartnerOp::Confirm);
        let (status, mut html) = match self.post(&path, &[], body).await {
            Ok(answered) => match serde_json::from_str::<PortalReply>(&answered.body) {
                Ok(_) if !dvcqg::reply_checks_out(&answered.body, &portal.key) => (
                    502,
                    unreachable("mã xác thực (MaXacThuc) của câu trả lời không đúng"),
                ),
                Ok(reply) if reply.ma_loi == dvcqg::OK => (
                    200,
                    success(
                        &txn,
                        reply.so_bien_lai.as_deref().unwrap_or_default(),
                        reply.duong_dan_bien_lai.as_deref().unwrap_or_default(),
                    ),
                ),
                Ok(reply) => (200, refusal(&reply.mo_ta_loi, Some(&reply.ma_loi))),
                Err(_) => (502, unreachable("hocphi trả lời không đúng định dạng")),
            },
            Err(reason) => (502, unreachable(&reason)),
        };
        html.push_str(&back(LOCAL_PORTAL_PATH, &typed));
        Page {
            status,
            html: shell(title, Theme::Portal, &html),
        }
    }
}

#[derive(Deserialize)]
struct BillsReply {
    bills: Vec<BillJson>,
}

#[derive(Deserialize)]
struct BillJson {
    student: String,
    student_name: String,
    school_name: String,
    class_name: String,
    school_year: String,
    /// Only when the look-up was by payment code: a student code never gets it.
    #[serde(default)]
    payment_code: Option<String>,
    invoices: Vec<InvoiceJson>,
    total: Money,
}

#[derive(Deserialize)]
struct InvoiceJson {
    id: String,
    term: String,
    items: Vec<ItemJson>,
    amount: Money,
    due_date: String,
}

#[derive(Deserialize)]
struct ItemJson {
    description: String,
    amount: Money,
}

#[derive(Deserialize)]
struct ConfirmedReply {
    receipt_number: String,
    receipt_url: String,
}

#[derive(Deserialize)]
struct ErrorReply {
    error: ErrorJson,
}

#[derive(Deserialize)]
struct ErrorJson {
    code: String,
    message: String,
}

#[derive(Deserialize)]
struct PortalReply {
    #[serde(rename = "MaLoi")]
    ma_loi: String,
    #[serde(rename = "MoTaLoi", default)]
    mo_ta_loi: String,
    #[serde(rename = "SoTien")]
    so_tien: Option<String>,
    #[serde(rename = "ThongTinBienLai")]
    thong_tin: Option<PortalBill>,
    #[serde(rename = "SoBienLai")]
    so_bien_lai: Option<String>,
    #[serde(rename = "DuongDanBienLai")]
    duong_dan_bien_lai: Option<String>,
}

#[derive(Deserialize)]
struct PortalBill {
    #[serde(rename = "TenDonVi", default)]
    ten_don_vi: String,
    #[serde(rename = "NoiDungThanhToan", default)]
    noi_dung: String,
    #[serde(rename = "HoTenNguoiNop", default)]
    ho_ten: String,
    #[serde(rename = "DSKhoanNop", default)]
    khoan_nop: Vec<PortalItem>,
}

#[derive(Deserialize)]
struct PortalItem {
    #[serde(rename = "NoiDung", default)]
    noi_dung: String,
    #[serde(rename = "SoTien", default)]
    so_tien: String,
}

/// The single value of a form or query field, `None` when absent or repeated.
fn field(form: &[u8], name: &str) -> Option<String> {
    let mut values = form_urlencoded::parse(form).filter(|(key, _)| key == name);
    let (_, value) = values.next()?;
    values.next().is_none().then(|| value.into_owned())
}

/// A whole-đồng amount written by the API, shown the Vietnamese way.
fn shown_amount(raw: &str) -> String {
    Money::parse(raw).map_or_else(|_| raw.to_owned(), |m| m.to_string())
}

/// `2026-12-31` shown as `31/12/2026`.
fn shown_date(raw: &str) -> String {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_or_else(|_| raw.to_owned(), |d| d.format("%d/%m/%Y").to_string())
}

#[derive(Clone, Copy)]
enum Theme {
    Bank,
    Portal,
}

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
background:#f2f4f7;color:#1d2939}main{max-width:26rem;margin:0 auto;padding:1rem;min-height:100vh;\
background:#f9fafb}header{color:#fff;margin:-1rem -1rem 1rem;padding:1rem}\
h1{font-size:1.15rem;margin:0}h2{font-size:1.05rem;margin:0 0 .5rem}\
.sim{display:inline-block;font-size:.7rem;background:#fef0c7;color:#93370d;border-radius:.25rem;\
padding:0 .4rem;margin-left:.4rem;vertical-align:middle}\
.card{background:#fff;border-radius:.75rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}\
dl{margin:0}dt{font-size:.8rem;color:#667085}dd{margin:0 0 .5rem;word-break:break-word}\
ul{padding-left:1.1rem;margin:.25rem 0}.amount{font-size:1.4rem;font-weight:700;color:#b42318}\
form{display:grid;gap:.6rem}input{font:inherit;padding:.7rem;border:1px solid #d0d5dd;border-radius:.5rem}\
button{font:inherit;padding:.8rem;border:0;border-radius:.5rem;cursor:pointer}\
.pay{color:#fff}.ok{background:#ecfdf3;color:#05603a}.fail{background:#fee4e2;color:#912018}\
.note{font-size:.85rem;color:#667085}a{color:inherit}";

/// A whole page: the phone-sized shell, its header in the partner's colour, `content`.
fn shell(title: &str, theme: Theme, content: &str) -> String {
    let (colour, brand) = match theme {
        Theme::Bank => ("#067647", "Ngân hàng số"),
        Theme::Portal => ("#b42318", "Cổng Dịch vụ công quốc gia"),
    };
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}header{{background:{colour}}}.pay{{background:{colour}}}</style>\
</head><body><main><header><h1>{brand}<span class=\"sim\">mô phỏng</span></h1></header>{content}\
</main></body></html>",
        title = escape_html(title),
    )
}

fn not_configured(theme: Theme, partner: &str) -> Page {
    Page {
        status: 503,
        html: shell(
            "Chưa cấu hình",
            theme,
            &format!(
                "<div class=\"card fail\">HOCPHI_PARTNERS không có đối tác {} (có khoá): \
                 trang mô phỏng này không gửi được yêu cầu nào.</div>",
                escape_html(partner)
            ),
        ),
    }
}

/// A refusal: the message in Vietnamese, and its code.
fn refusal(message: &str, code: Option<&str>) -> String {
    let code = code.map_or_else(String::new, |c| {
        format!("<p class=\"note\">Mã lỗi: {}</p>", escape_html(c))
    });
    format!(
        "<div class=\"card fail\"><h2>Không thực hiện được</h2><p>{}</p>{code}</div>",
        escape_html(message)
    )
}

/// A refusal of the generic API: its `error.message` and `error.code`.
fn api_refusal(answered: &Answered) -> String {
    match serde_json::from_str::<ErrorReply>(&answered.body) {
        Ok(reply) => refusal(&reply.error.message, Some(&reply.error.code)),
        Err(_) => unreachable(&format!("hocphi trả lời HTTP {}", answered.status)),
    }
}

fn unreachable(reason: &str) -> String {
    format!(
        "<div class=\"card fail\"><h2>Không kết nối được với hocphi</h2><p>{}</p>\
         <p class=\"note\">Chưa trừ tiền. Vui lòng thử lại sau.</p></div>",
        escape_html(reason)
    )
}

fn success(txn: &str, receipt: &str, url: &str) -> String {
    format!(
        "<div class=\"card ok\"><h2>Thanh toán thành công</h2><dl>\
         <dt>Mã giao dịch</dt><dd>{}</dd><dt>Số biên lai</dt><dd>{}</dd></dl>\
         <p><a href=\"{}\">Xem biên lai của nhà trường</a></p></div>",
        escape_html(txn),
        escape_html(receipt),
        escape_html(url)
    )
}

fn back(path: &str, typed: &str) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("ma", typed)
        .finish();
    format!(
        "<p><a href=\"{path}?{}\">‹ Quay lại tra cứu</a></p>",
        escape_html(&query)
    )
}

/// One bill as the bank's app shows it, with the button that pays it.
fn bill_card(bill: &BillJson, typed: &str) -> String {
    let mut invoices = String::new();
    for invoice in &bill.invoices {
        let items: String = invoice
            .items
            .iter()
            .map(|item| {
                format!(
                    "<li>{}: {}</li>",
                    escape_html(&item.description),
                    escape_html(&item.amount.to_string())
                )
            })
            .collect();
        invoices.push_str(&format!(
            "<li><b>{}</b> — hạn nộp {}<ul>{items}</ul>Cộng: {}</li>",
            escape_html(&invoice.term),
            escape_html(&shown_date(&invoice.due_date)),
            escape_html(&invoice.amount.to_string())
        ));
    }
    let ids: Vec<&str> = bill.invoices.iter().map(|i| i.id.as_str()).collect();
    format!(
        "<div class=\"card\"><h2>{school}</h2><dl>\
         <dt>Học sinh</dt><dd>{name} ({student})</dd><dt>Lớp</dt><dd>{class}</dd>\
         <dt>Năm học</dt><dd>{year}</dd>{code}</dl>\
         <ul>{invoices}</ul><p class=\"amount\">{total}</p>\
         <form method=\"post\" action=\"{LOCAL_BANK_PATH}/thanh-toan\">\
         <input type=\"hidden\" name=\"invoices\" value=\"{ids}\">\
         <input type=\"hidden\" name=\"amount\" value=\"{amount}\">\
         <input type=\"hidden\" name=\"ma\" value=\"{typed}\">\
         <button class=\"pay\">Thanh toán {total}</button></form></div>",
        school = escape_html(&bill.school_name),
        name = escape_html(&bill.student_name),
        student = escape_html(&bill.student),
        class = escape_html(&bill.class_name),
        year = escape_html(&bill.school_year),
        code = bill
            .payment_code
            .as_deref()
            .map_or(String::new(), |code| format!(
                "<dt>Mã thanh toán</dt><dd>{}</dd>",
                escape_html(code)
            )),
        total = escape_html(&bill.total.to_string()),
        ids = escape_html(&ids.join(",")),
        amount = bill.total.vnd(),
        typed = escape_html(typed),
    )
}

/// The bill the portal platform received, as its payment page shows it, with the pay button and
/// the link to hocphi's own page (the portal's service page links there with `?ma=`).
fn portal_bill_card(reply: &PortalReply, code: &str, origin: &str) -> String {
    let total = reply.so_tien.as_deref().unwrap_or_default();
    let (school, what, name, items) = match &reply.thong_tin {
        Some(bill) => (
            bill.ten_don_vi.as_str(),
            bill.noi_dung.as_str(),
            bill.ho_ten.as_str(),
            bill.khoan_nop
                .iter()
                .map(|item| {
                    format!(
                        "<li>{}: {}</li>",
                        escape_html(&item.noi_dung),
                        escape_html(&shown_amount(&item.so_tien))
                    )
                })
                .collect::<String>(),
        ),
        None => ("", "", "", String::new()),
    };
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("ma", code)
        .finish();
    let link = format!("{origin}/?{query}");
    format!(
        "<div class=\"card\"><h2>{school}</h2><dl><dt>Người nộp</dt><dd>{name}</dd>\
         <dt>Nội dung</dt><dd>{what}</dd><dt>Mã thanh toán</dt><dd>{code_shown}</dd></dl>\
         <ul>{items}</ul><p class=\"amount\">{total_shown}</p>\
         <form method=\"post\" action=\"{LOCAL_PORTAL_PATH}/thanh-toan\">\
         <input type=\"hidden\" name=\"ma\" value=\"{code_shown}\">\
         <input type=\"hidden\" name=\"amount\" value=\"{total}\">\
         <button class=\"pay\">Thanh toán {total_shown}</button></form>\
         <p class=\"note\"><a href=\"{link}\">Hoặc nộp trên trang học phí của tỉnh</a></p></div>",
        school = escape_html(school),
        name = escape_html(name),
        what = escape_html(what),
        code_shown = escape_html(code),
        total = escape_html(total),
        total_shown = escape_html(&shown_amount(total)),
        link = escape_html(&link),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::sync::Arc;

    use hocphi_domain::{
        InvoiceId, InvoiceStatus, LookupKey, PaymentCode, SchoolYear, Store, StudentCode,
    };
    use hocphi_runtime::config::{DATA, LOCAL_LOOKUP_KEY_FILE};
    use hocphi_store::SqliteStore;
    use tempfile::TempDir;

    use super::*;
    use crate::{Options, Stack, server};

    /// A local stack serving on a free loopback port, with its data in a fresh folder.
    struct Running {
        origin: String,
        dir: TempDir,
        client: Client<HttpConnector, Full<Bytes>>,
    }

    async fn running() -> Running {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let options = Options {
            port,
            site_dir: dir.path().join("site"),
            overrides: vec![(DATA, dir.path().join("data").display().to_string())],
        };
        let stack: Arc<Stack> = Arc::new(crate::stack(&options).await.unwrap());
        tokio::spawn(server::serve(listener, stack));
        Running {
            origin: options.origin(),
            dir,
            client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        }
    }

    struct Got {
        status: u16,
        csp: Option<String>,
        body: String,
    }

    impl Running {
        async fn send(&self, request: http::Request<Full<Bytes>>) -> Got {
            let response = self.client.request(request).await.unwrap();
            let status = response.status().as_u16();
            let csp = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            Got {
                status,
                csp,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }

        async fn get(&self, path_and_query: &str) -> Got {
            let request = http::Request::get(format!("{}{path_and_query}", self.origin))
                .body(Full::default())
                .unwrap();
            self.send(request).await
        }

        async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Got {
            let form = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            let request = http::Request::post(format!("{}{path}", self.origin))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(form)))
                .unwrap();
            self.send(request).await
        }

        fn store(&self) -> SqliteStore {
            SqliteStore::open(self.dir.path().join("data").join("hocphi.db")).unwrap()
        }

        fn lookup_key(&self) -> LookupKey {
            let path = self.dir.path().join("data").join(LOCAL_LOOKUP_KEY_FILE);
            LookupKey::new(&std::fs::read_to_string(path).unwrap()).unwrap()
        }
    }

    /// The value of the hidden field `name` in a page's first form that has it.
    fn hidden(page: &str, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.find(&marker).expect(name) + marker.len();
        let end = start + page[start..].find('"').unwrap();
        page[start..end].to_owned()
    }

    /// The receipt link on a result page.
    fn receipt_link(page: &str) -> String {
        let start = page.find("<a href=\"").expect("a receipt link") + "<a href=\"".len();
        let end = start + page[start..].find('"').unwrap();
        page[start..end].replace("&amp;", "&")
    }

    const STUDENT: &str = "5201234567";

    /// What the demo bills today: its school year, term and month.
    fn calendar() -> (u16, &'static str, u32) {
        crate::demo::calendar((chrono::Utc::now() + chrono::Duration::hours(7)).date_naive())
    }

    /// The demo's invoice ids' year part: `2627`.
    fn years() -> String {
        let first = calendar().0;
        format!("{:02}{:02}", first % 100, (first + 1) % 100)
    }

    fn this_year() -> SchoolYear {
        SchoolYear::starting(calendar().0).unwrap()
    }

    /// The demo's due date `days` from today, as the bank's app shows it.
    fn due(days: i64) -> String {
        let day = (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
            + chrono::Duration::days(days);
        day.format("%d/%m/%Y").to_string()
    }

    #[tokio::test]
    async fn the_bank_app_and_the_portal_show_their_lookup_forms() {
        let stack = running().await;

        for path in [LOCAL_BANK_PATH, LOCAL_PORTAL_PATH, "/sim/portal/"] {
            let page = stack.get(path).await;

            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(page.body.contains("<form method=\"get\""), "{path}");
            assert!(page.body.contains("name=\"ma\""), "{path}");
            assert!(page.body.contains("lang=\"vi\""), "{path}");
            assert!(!page.body.contains("<script"), "{path}");
            assert!(
                page.csp
                    .as_deref()
                    .is_some_and(|csp| csp.contains("form-action 'self'")),
                "{path}"
            );
        }
        assert_eq!(stack.get("/sim/bank/khong-co").await.status, 404);
        assert_eq!(stack.post_form(LOCAL_BANK_PATH, &[]).await.status, 405);
    }

    #[tokio::test]
    async fn a_bill_is_looked_up_and_paid_in_the_bank_app_over_the_partner_api() {
        // Arrange
        let stack = running().await;
        let (month, years) = (calendar().2, years());

        // Act
        let bills = stack.get(&format!("{LOCAL_BANK_PATH}?ma={STUDENT}")).await;
        let invoices = hidden(&bills.body, "invoices");
        let amount = hidden(&bills.body, "amount");
        let paid = stack
            .post_form(
                &format!("{LOCAL_BANK_PATH}/thanh-toan"),
                &[
                    ("invoices", &invoices),
                    ("amount", &amount),
                    ("ma", STUDENT),
                ],
            )
            .await;

        // Assert
        assert_eq!(bills.status, 200, "{}", bills.body);
        for shown in [
            "Nguyễn V. A. (5201234567)",
            "Trường THCS Ngô Quyền, phường Quy Nhơn",
            "<dd>7A2</dd>",
            &format!("Tiền ăn bán trú tháng {month}: 525.000\u{a0}₫"),
            &format!("hạn nộp {}", due(10)),
            "Bảo hiểm y tế học sinh: 884.520\u{a0}₫",
            "1.559.520\u{a0}₫",
        ] {
            assert!(bills.body.contains(shown), "{shown}: {}", bills.body);
        }
        assert!(
            !bills.body.contains("Nguyễn Văn An"),
            "only the masked name"
        );
        assert_eq!(invoices, format!("NQ-{years}-T-0001,NQ-{years}-BHYT-0001"));
        assert_eq!(amount, "1559520");
        assert_eq!(paid.status, 200, "{}", paid.body);
        assert!(paid.body.contains("Thanh toán thành công"), "{}", paid.body);
        let link = receipt_link(&paid.body);
        assert!(
            link.starts_with(&format!("{}/bien-lai/", stack.origin)) && link.contains("?t="),
            "{link}"
        );
        let store = stack.store();
        for id in invoices.split(',') {
            let invoice = store
                .invoice(&InvoiceId::parse(id).unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(invoice.status, InvoiceStatus::Paid, "{id}");
        }
        let again = stack.get(&format!("{LOCAL_BANK_PATH}?ma={STUDENT}")).await;
        assert!(
            again.body.contains("Không tìm thấy khoản thu cần nộp."),
            "{}",
            again.body
        );
    }

    #[tokio::test]
    async fn the_bank_app_shows_the_payment_code_only_to_a_look_up_by_it() {
        let stack = running().await;
        let student = "5201234568";
        let code = PaymentCode::issue(
            &StudentCode::parse(student).unwrap(),
            this_year(),
            &stack.lookup_key(),
        )
        .to_string();

        let by_code = stack.get(&format!("{LOCAL_BANK_PATH}?ma={code}")).await;
        let by_student = stack.get(&format!("{LOCAL_BANK_PATH}?ma={student}")).await;

        assert_eq!((by_code.status, by_student.status), (200, 200));
        assert!(
            by_code
                .body
                .contains(&format!("<dt>Mã thanh toán</dt><dd>{code}</dd>")),
            "{}",
            by_code.body
        );
        assert!(
            by_student.body.contains("Trần T. B."),
            "{}",
            by_student.body
        );
        assert!(
            !by_student.body.contains("<dt>Mã thanh toán</dt>") && !by_student.body.contains(&code),
            "{}",
            by_student.body
        );
    }

    #[tokio::test]
    async fn the_bank_app_shows_the_apis_vietnamese_refusals() {
        // Arrange
        let stack = running().await;
        let bills = stack.get(&format!("{LOCAL_BANK_PATH}?ma={STUDENT}")).await;
        let invoices = hidden(&bills.body, "invoices");
        let pay = |amount: &'static str| {
            let invoices = invoices.clone();
            let stack = &stack;
            async move {
                stack
                    .post_form(
                        &format!("{LOCAL_BANK_PATH}/thanh-toan"),
                        &[("invoices", &invoices), ("amount", amount), ("ma", STUDENT)],
                    )
                    .await
            }
        };

        // Act
        let short = pay("1000").await;
        let paid = pay("1559520").await;
        let twice = pay("1559520").await;
        let unknown = stack.get(&format!("{LOCAL_BANK_PATH}?ma=9999999999")).await;

        // Assert
        assert_eq!(short.status, 422, "{}", short.body);
        assert!(
            short
                .body
                .contains("Số tiền không khớp với khoản thu; khoản thu chưa được nộp"),
            "{}",
            short.body
        );
        assert!(short.body.contains("AMOUNT_MISMATCH"));
        assert!(paid.body.contains("Thanh toán thành công"), "{}", paid.body);
        assert_eq!(twice.status, 409, "{}", twice.body);
        assert!(
            twice
                .body
                .contains("Khoản thu đã được nộp trước đó; số tiền của giao dịch này được ghi nhận để hoàn trả."),
            "each payment is a new transaction: {}",
            twice.body
        );
        assert_eq!(unknown.status, 404, "{}", unknown.body);
        assert!(unknown.body.contains("Không tìm thấy khoản thu cần nộp."));
    }

    #[tokio::test]
    async fn a_bill_is_paid_on_the_portal_by_its_payment_code() {
        // Arrange
        let stack = running().await;
        let year = this_year();
        let code = PaymentCode::issue(
            &StudentCode::parse("5201234568").unwrap(),
            year,
            &stack.lookup_key(),
        )
        .to_string();
        let forged = PaymentCode::issue(
            &StudentCode::parse("5201234568").unwrap(),
            year,
            &LookupKey::new(&"x".repeat(32)).unwrap(),
        )
        .to_string();

        // Act
        let bill = stack.get(&format!("{LOCAL_PORTAL_PATH}?ma={code}")).await;
        let amount = hidden(&bill.body, "amount");
        let paid = stack
            .post_form(
                &format!("{LOCAL_PORTAL_PATH}/thanh-toan"),
                &[("ma", &code), ("amount", &amount)],
            )
            .await;
        let wrong = stack.get(&format!("{LOCAL_PORTAL_PATH}?ma={forged}")).await;

        // Assert
        assert_eq!(bill.status, 200, "{}", bill.body);
        for shown in [
            "Trường Tiểu học Lê Lợi, phường Quy Nhơn Nam",
            "Trần T. B.",
            &format!("Tiền ăn bán trú tháng {}: 600.000\u{a0}₫", calendar().2),
            "720.000\u{a0}₫",
            &format!("{}/?ma={code}", stack.origin),
        ] {
            assert!(bill.body.contains(shown), "{shown}: {}", bill.body);
        }
        assert_eq!(amount, "720000");
        assert_eq!(paid.status, 200, "{}", paid.body);
        assert!(paid.body.contains("Thanh toán thành công"), "{}", paid.body);
        assert!(
            receipt_link(&paid.body).starts_with(&format!("{}/bien-lai/", stack.origin)),
            "{}",
            paid.body
        );
        let invoice = stack
            .store()
            .invoice(&InvoiceId::parse(&format!("LL-{}-T-0002", years())).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(invoice.status, InvoiceStatus::Paid);
        assert!(
            wrong.body.contains("Không tìm thấy khoản thu") && wrong.body.contains("Mã lỗi: 04"),
            "{}",
            wrong.body
        );
    }

    #[tokio::test]
    async fn what_is_typed_is_escaped_on_every_page() {
        let stack = running().await;
        let typed = "<script>alert(1)</script>";
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("ma", typed)
            .finish();

        for path in [LOCAL_BANK_PATH, LOCAL_PORTAL_PATH] {
            let page = stack.get(&format!("{path}?{query}")).await;

            assert!(!page.body.contains("<script"), "{path}: {}", page.body);
            assert!(
                page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}: {}",
                page.body
            );
        }
        let paid = stack
            .post_form(
                &format!("{LOCAL_PORTAL_PATH}/thanh-toan"),
                &[("ma", typed), ("amount", "1000")],
            )
            .await;
        assert!(!paid.body.contains("<script"), "{}", paid.body);
    }

    #[test]
    fn the_simulators_play_the_partners_the_configuration_names() {
        let origin = "http://127.0.0.1:8080";
        let configured =
            PartnerSimulators::new(Some(&hocphi_runtime::config::local_partners()), origin);
        let none = PartnerSimulators::new(None, origin);

        assert_eq!(
            configured.bank.as_ref().map(|b| b.id.as_str()),
            Some(LOCAL_BANK_PARTNER)
        );
        assert_eq!(
            configured.portal.as_ref().map(|p| p.agency.as_str()),
            Some(hocphi_runtime::config::LOCAL_DVCQG_PARTNER_CODE)
        );
        assert!(none.bank.is_none() && none.portal.is_none());
        let a = configured.fresh("FT", Utc::now());
        let b = configured.fresh("FT", Utc::now());
        assert_ne!(a, b, "each payment gets a fresh transaction id");
    }
}
