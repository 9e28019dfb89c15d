//! The platform simulator's pages: the page where the citizen pays or cancels, and the page for
//! a request it cannot serve, in the shell every simulator shares ([`crate::simulator`]).

use std::fmt::Write;

use hocphi_domain::escape_html;

use super::{CANCELLED, COMPLETE_PATH, PAID};
use crate::simulator::head;

/// What the pay page shows.
pub(super) struct PayPage<'a> {
    pub reference: &'a str,
    /// The collecting unit (`ThongTinBienLai.MaDonVi`: the school).
    pub agency: &'a str,
    pub info: &'a str,
    /// The amount in đồng, as the Init gave it.
    pub amount: u64,
}

/// The pay page: the transaction, and one button per outcome, posted to [`COMPLETE_PATH`].
pub(super) fn pay_page(p: &PayPage<'_>) -> String {
    let mut html = head("Thanh toán trên Cổng Dịch vụ công quốc gia (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Cổng Dịch vụ công quốc gia<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><dl>\
<dt>Mã tham chiếu</dt><dd>{reference}</dd>\
<dt>Đơn vị thu</dt><dd>{agency}</dd>\
<dt>Nội dung thanh toán</dt><dd>{info}</dd>\
<dt>Số tiền</dt><dd class=\"amount\">{amount} ₫</dd></dl>\
<form method=\"post\" action=\"{COMPLETE_PATH}\">\
<input type=\"hidden\" name=\"MaThamChieu\" value=\"{reference}\">\
<button class=\"pay\" name=\"MaLoi\" value=\"{PAID}\">Thanh toán</button>\
<button class=\"cancel\" name=\"MaLoi\" value=\"{CANCELLED}\">Hủy giao dịch</button>\
</form></div>\
<p class=\"note\">Trang này chỉ dùng để thử nghiệm: không có tiền thật nào được chuyển.</p>\
</main></body></html>",
        reference = escape_html(p.reference),
        agency = escape_html(p.agency),
        info = escape_html(p.info),
        amount = p.amount,
    );
    html
}

/// A page with one message, for a request the simulator cannot serve.
pub(super) fn message_page(message: &str) -> String {
    let mut html = head("Cổng Dịch vụ công quốc gia (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Cổng Dịch vụ công quốc gia<span class=\"sim\">mô phỏng</span></h1>\
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
            reference: "HP1",
            agency: "<i>BD</i>",
            info: "<b>Hoc phi</b> & an",
            amount: 1_500_000,
        });
        assert!(
            page.contains("&lt;b&gt;Hoc phi&lt;/b&gt; &amp; an"),
            "{page}"
        );
        assert!(page.contains("&lt;i&gt;BD&lt;/i&gt;"), "{page}");
        assert!(message_page("a < b").contains("<p>a &lt; b</p>"));
    }
}
