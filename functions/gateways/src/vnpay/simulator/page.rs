//! The VNPay simulator's pages: the pay page where one chooses an outcome, and the error page,
//! in the shell every simulator shares ([`crate::simulator`]).

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use hocphi_domain::{Money, escape_html};

use super::COMPLETE_PATH;
use crate::simulator::head;
use crate::vnpay::wire::{ResponseCode, field};

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
        tmn = escape_html(p.tmn_code),
        txn = escape_html(p.txn_ref),
        info = escape_html(p.order_info),
        amount = escape_html(&p.amount.to_string()),
        action = COMPLETE_PATH,
        txn_field = field::TXN_REF,
        pay = ResponseCode::Success.as_str(),
        poor = ResponseCode::InsufficientBalance.as_str(),
        poor_text = escape_html(
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
        message = escape_html(message),
        code = escape_html(code),
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_text_is_escaped() {
        let page = error_page("<03>", "a & b");
        assert!(page.contains("a &amp; b"));
        assert!(page.contains("&lt;03&gt;"));
    }
}
