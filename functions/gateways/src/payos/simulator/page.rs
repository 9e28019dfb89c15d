//! The payOS simulator's pages: the banking app's transfer screen, where one pays the exact
//! amount, another amount, or nothing, and the page for a request it cannot serve, in the shell
//! every simulator shares ([`crate::simulator`]: no script, no external asset).

use std::fmt::Write;

use hocphi_domain::escape_html;

use super::BANK_PATH;
use crate::simulator::head;

/// What the transfer screen shows.
pub(super) struct BankPage<'a> {
    pub order_code: u64,
    pub bin: &'a str,
    pub account_number: &'a str,
    pub account_name: &'a str,
    /// The link's amount in đồng.
    pub amount: u64,
    /// What earlier transfers brought.
    pub paid: u64,
    pub memo: &'a str,
}

/// A bank's short name by its NAPAS BIN, as banking apps show it.
pub(super) fn bank_name(bin: &str) -> String {
    match bin {
        "970436" => "Vietcombank".to_owned(),
        "970415" => "VietinBank".to_owned(),
        "970418" => "BIDV".to_owned(),
        "970405" => "Agribank".to_owned(),
        "970422" => "MB Bank".to_owned(),
        "970407" => "Techcombank".to_owned(),
        "970416" => "ACB".to_owned(),
        other => format!("Ngân hàng (BIN {other})"),
    }
}

/// An amount in đồng with dots between thousands: `1.500.000`.
pub(super) fn dong(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The transfer screen: the payee, the amount and the memo, and three choices posted back to
/// [`BANK_PATH`]`/{orderCode}`.
pub(super) fn bank_page(p: &BankPage<'_>) -> String {
    let mut html = head("Chuyển khoản VietQR (mô phỏng)");
    let action = format!("{BANK_PATH}/{}", p.order_code);
    let received = if p.paid > 0 {
        format!(
            "<dt>Đã nhận trước đó</dt><dd>{} ₫ (còn thiếu {} ₫)</dd>",
            dong(p.paid),
            dong(p.amount.saturating_sub(p.paid))
        )
    } else {
        String::new()
    };
    let _ = write!(
        html,
        "<main><h1>Ứng dụng ngân hàng<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><dl>\
<dt>Ngân hàng nhận</dt><dd>{bank}</dd>\
<dt>Số tài khoản</dt><dd>{number}</dd>\
<dt>Chủ tài khoản</dt><dd>{name}</dd>\
<dt>Số tiền</dt><dd class=\"amount\">{amount} ₫</dd>{received}\
<dt>Nội dung chuyển khoản</dt><dd>{memo}</dd></dl>\
<form method=\"post\" action=\"{action}\">\
<button class=\"pay\" name=\"choice\" value=\"exact\">Chuyển đúng {amount} ₫</button></form>\
<form method=\"post\" action=\"{action}\">\
<label for=\"amount\">Hoặc chuyển số tiền khác (đồng)</label>\
<input id=\"amount\" name=\"amount\" inputmode=\"numeric\" pattern=\"[0-9.]+\" required \
style=\"font:inherit;padding:.6rem;border:1px solid #d0d5dd;border-radius:.5rem\">\
<button class=\"fail\" name=\"choice\" value=\"other\">Chuyển số tiền này</button></form>\
<form method=\"post\" action=\"{action}\">\
<button class=\"cancel\" name=\"choice\" value=\"leave\">Không chuyển, quay lại</button></form>\
</div>\
<p class=\"note\">Trang này chỉ dùng để thử nghiệm: không có tiền thật nào được chuyển.</p>\
</main></body></html>",
        bank = escape_html(&bank_name(p.bin)),
        number = escape_html(p.account_number),
        name = escape_html(p.account_name),
        amount = dong(p.amount),
        memo = escape_html(p.memo),
    );
    html
}

/// A page with one message, for a request the simulator cannot serve.
pub(super) fn message_page(message: &str) -> String {
    let mut html = head("Ứng dụng ngân hàng (mô phỏng)");
    let _ = write!(
        html,
        "<main><h1>Ứng dụng ngân hàng<span class=\"sim\">mô phỏng</span></h1>\
<div class=\"card\"><p>{}</p></div></main></body></html>",
        escape_html(message)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_text_is_escaped_and_the_page_has_no_script() {
        let page = bank_page(&BankPage {
            order_code: 42,
            bin: "970436",
            account_number: "0071000123456",
            account_name: "<b>TRUONG</b> & CO",
            amount: 1_500_000,
            paid: 0,
            memo: "HP'1",
        });
        assert!(
            page.contains("&lt;b&gt;TRUONG&lt;/b&gt; &amp; CO"),
            "{page}"
        );
        assert!(page.contains("HP&#39;1"), "{page}");
        assert!(page.contains("Vietcombank"), "{page}");
        assert!(page.contains("action=\"/sim/payos/bank/42\""), "{page}");
        assert!(
            !page.contains("<script") && !page.contains("src="),
            "{page}"
        );
        assert!(message_page("a < b").contains("<p>a &lt; b</p>"));
    }

    #[test]
    fn amounts_are_written_with_dots_between_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1.000"),
            (1_500_000, "1.500.000"),
            (12_345_678, "12.345.678"),
        ];
        for (amount, shown) in cases {
            assert_eq!(dong(amount), shown);
        }
    }
}
