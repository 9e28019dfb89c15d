//! The simulator's pages: the pay page where one chooses an outcome, and the error page.
//!
//! Invariants: each page is one self-contained HTML document (inline style, no script, no external
//! asset) in Vietnamese, readable on a phone; every interpolated value is HTML-escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use hocphi_domain::Money;

use super::COMPLETE_PATH;
use crate::vnpay::wire::{ResponseCode, field};

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;\
background:#f2f4f7;color:#1d2939}main{max-width:28rem;margin:0 auto;padding:1rem}\
h1{font-size:1.25rem;color:#005baa;margin:.5rem 0}.sim{display:inline-block;font-size:.75rem;\
background:#fef0c7;color:#93370d;border-radius:.25rem;padding:0 .4rem;margin-left:.4rem}\
.card{background:#fff;border-radius:.75rem;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}\
dl{margin:0}dt{font-size:.8rem;color:#667085}dd{margin:0 0 .6rem;word-break:break-word}\
.amount{font-size:1.5rem;font-weight:700;color:#b42318}form{display:grid;gap:.6rem;margin-top:1rem}\
button{font:inherit;padding:.8rem;border:0;border-radius:.5rem;cursor:pointer}\
.pay{background:#005baa;color:#fff}.fail{background:#fee4e2;color:#912018}\
.cancel{background:#eaecf0;color:#344054}.note{font-size:.8rem;color:#667085}";

/// What the pay page shows.
pub(super) struct PayPage<'a> {
    pub tmn_code: &'a str,
    pub txn_ref: &'a str,
    pub order_info: &'a str,
    pub amount: Money,
    pub expires_at: DateTime<Utc>,
}

/// The pay page: the order, and one button per outcome, posted to [`COMPLETE_PATH`].
pub(super) fn pay_page(p: &PayPage<'_>) -> String {
    let expiry = p
        .expires_at
        .with_timezone(&Ho_Chi_Minh)
        .format("%H:%M %d/%m/%Y");
    let mut html = head("Thanh toán qua VNPay (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Cổng thanh toán VNPay<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><dl>\
<dt>Đơn vị chấp nhận</dt><dd>{tmn}</dd>\
<dt>Mã giao dịch</dt><dd>{txn}</dd>\
<dt>Nội dung thanh toán</dt><dd>{info}</dd>\
<dt>Số tiền</dt><dd class=\"amount\">{amount}</dd>\
<dt>Hết hạn lúc</dt><dd>{expiry} (giờ Việt Nam)</dd></dl>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"{txn_field}\" value=\"{txn}\">\
<button class=\"pay\" name=\"choice\" value=\"{pay}\">Thanh toán thành công</button>\
<button class=\"fail\" name=\"choice\" value=\"{poor}\">Thất bại: {poor_text}</button>\
<button class=\"cancel\" name=\"choice\" value=\"{cancel}\">Hủy giao dịch</button>\
</form></div>\
<p class=\"note\">Trang này chỉ dùng để thử nghiệm: không có tiền thật nào được chuyển.</p>\
</main></body></html>",
        tmn = escape(p.tmn_code),
        txn = escape(p.txn_ref),
        info = escape(p.order_info),
        amount = escape(&p.amount.to_string()),
        action = COMPLETE_PATH,
        txn_field = field::TXN_REF,
        pay = ResponseCode::Success.as_str(),
        poor = ResponseCode::InsufficientBalance.as_str(),
        poor_text = escape(
            &ResponseCode::InsufficientBalance
                .meaning_vi()
                .to_lowercase()
        ),
        cancel = ResponseCode::CustomerCancelled.as_str(),
    );
    html
}

/// The error page VNPay shows when it refuses a request.
pub(super) fn error_page(code: &str, message: &str) -> String {
    let mut html = head("Giao dịch không thành công (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Cổng thanh toán VNPay<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><p><strong>Giao dịch không thành công</strong></p>\
<p>{message}</p><p class=\"note\">Mã lỗi: {code}</p></div></main></body></html>",
        message = escape(message),
        code = escape(code),
    );
    html
}

pub(crate) fn head(title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>",
        escape(title)
    )
}

pub(crate) fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = error_page("<03>", "a & b");
        assert!(page.contains("a &amp; b"));
        assert!(page.contains("&lt;03&gt;"));
    }
}
