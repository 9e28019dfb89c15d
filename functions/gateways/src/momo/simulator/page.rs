//! The MoMo simulator's pages: the pay page where one confirms or declines, and the page for a
//! request it cannot serve, in the shell every simulator shares ([`crate::simulator`]).

use std::fmt::Write;

use hocphi_domain::escape_html;

use super::COMPLETE_PATH;
use crate::simulator::head;

/// What the pay page shows.
pub(super) struct PayPage<'a> {
    pub order_id: &'a str,
    pub order_info: &'a str,
    /// The amount in đồng, as the create request gave it.
    pub amount: u64,
    /// The `resultCode` the confirm button posts.
    pub paid: u64,
    /// The `resultCode` the decline button posts.
    pub declined: u64,
}

/// The pay page: the order, and one button per outcome, posted to [`COMPLETE_PATH`].
pub(super) fn pay_page(p: &PayPage<'_>) -> String {
    let mut html = head("Thanh toán qua Ví MoMo (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Ví MoMo<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><dl>\
<dt>Mã đơn hàng</dt><dd>{order}</dd>\
<dt>Nội dung thanh toán</dt><dd>{info}</dd>\
<dt>Số tiền</dt><dd class=\"amount\">{amount} ₫</dd></dl>\
<form method=\"post\" action=\"{COMPLETE_PATH}\">\
<input type=\"hidden\" name=\"orderId\" value=\"{order}\">\
<button class=\"pay\" name=\"resultCode\" value=\"{paid}\">Xác nhận thanh toán</button>\
<button class=\"cancel\" name=\"resultCode\" value=\"{declined}\">Từ chối thanh toán</button>\
</form></div>\
<p class=\"note\">Trang này chỉ dùng để thử nghiệm: không có tiền thật nào được chuyển.</p>\
</main></body></html>",
        order = escape_html(p.order_id),
        info = escape_html(p.order_info),
        amount = p.amount,
        paid = p.paid,
        declined = p.declined,
    );
    html
}

/// A page with one message, for a request the simulator cannot serve.
pub(super) fn message_page(message: &str) -> String {
    let mut html = head("Ví MoMo (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Ví MoMo<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><p>{}</p></div></main></body></html>",
        escape_html(message)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_text_is_escaped() {
        let page = pay_page(&PayPage {
            order_id: "HP1",
            order_info: "<b>Học phí</b> & ăn",
            amount: 1_500_000,
            paid: 0,
            declined: 1006,
        });
        assert!(
            page.contains("&lt;b&gt;Học phí&lt;/b&gt; &amp; ăn"),
            "{page}"
        );
        assert!(message_page("a < b").contains("<p>a &lt; b</p>"));
    }
}
