//! The Vietnamese words and number formats operators read in this tool's output.
//!
//! Invariant: every status has exactly one Vietnamese name here (exhaustive matches, no `_`).

use hocphi_domain::{InvoiceStatus, PayeeId, PaymentStatus, TextError, UpsertOutcome};

/// Digits grouped by dots, the Vietnamese way: `1.500.000`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    grouped
}

/// An amount of đồng for people: `1.500.000 ₫` (any size, unlike `Money`, for sums).
pub(crate) fn vnd(n: u64) -> String {
    format!("{}\u{a0}₫", group_digits(n))
}

/// An invoice status as operators say it.
pub(crate) fn invoice_status(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Open => "chưa nộp",
        InvoiceStatus::Paid => "đã nộp",
        InvoiceStatus::Cancelled => "đã huỷ",
    }
}

/// A payment status as operators say it.
pub(crate) fn payment_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Pending => "đang chờ kết quả",
        PaymentStatus::Succeeded => "thành công",
        PaymentStatus::Failed => "không thành công",
        PaymentStatus::Expired => "hết hạn",
        PaymentStatus::RefundDue => "cần hoàn tiền",
        PaymentStatus::Mismatched => "chuyển sai số tiền, cần hoàn tiền",
    }
}

/// A school's payee as operators read it: where its VietQR (payOS) transfers are paid.
pub(crate) fn payee_line(payee: Option<&PayeeId>) -> String {
    match payee {
        Some(payee) => format!("Tài khoản nhận tiền (VietQR qua payOS): {payee}"),
        None => "Tài khoản nhận tiền (VietQR qua payOS): chưa có, học sinh trường này không được \
                 mời chuyển khoản VietQR"
            .to_owned(),
    }
}

/// What an import did (or would do) to one invoice.
pub(crate) fn upsert_outcome(outcome: UpsertOutcome) -> &'static str {
    match outcome {
        UpsertOutcome::Created => "tạo mới",
        UpsertOutcome::Updated => "cập nhật",
        UpsertOutcome::Unchanged => "không đổi",
        UpsertOutcome::RefusedPaid => "từ chối: khoản thu đã nộp, không được sửa",
        UpsertOutcome::RefusedCancelled => "từ chối: khoản thu đã huỷ",
        UpsertOutcome::RefusedHeld => {
            "từ chối: đang có giao dịch thanh toán chưa kết thúc, nhập lại sau"
        }
        UpsertOutcome::RefusedOtherOwner => {
            "từ chối: mã khoản thu này đã dùng cho học sinh khác (hoặc trường khác); hãy đặt mã khác"
        }
    }
}

/// Why a text (`what`: "tên lớp", "nội dung", …) was refused.
pub(crate) fn text_problem(err: &TextError, what: &str) -> String {
    match err {
        TextError::Empty => crate::values::EMPTY.to_owned(),
        TextError::TooLong(max) => format!("{what} dài quá {max} ký tự"),
        TextError::Control => format!("{what} có ký tự điều khiển"),
        TextError::SchoolYear | TextError::NotMasked => format!("{what} không hợp lệ"),
    }
}

/// Pads `text` with spaces to `width` characters (Vietnamese letters count as one).
pub(crate) fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_dots() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1.000"),
            (12_345_678_901, "12.345.678.901"),
        ];
        for (n, shown) in cases {
            assert_eq!(group_digits(n), shown);
        }
        assert_eq!(vnd(1_500_000), "1.500.000\u{a0}₫");
    }
}
