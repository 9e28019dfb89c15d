//! payOS's transaction list (the export of my.payos.vn, read by `hocphi-admin reconcile
//! --gateway payos`): the columns it may have and the headers that may name them, which rows are
//! money received, and how a row names hocphi's payment. No I/O: the caller reads the file and
//! hands over the text of each cell.
//!
//! payOS does not publish the export's layout, and it could not be checked without a payOS
//! account: the headers below are the plausible Vietnamese and English wordings of the fields
//! payOS's API and webhook carry (payos.vn/docs, "Webhook": `orderCode`, `amount`,
//! `reference`, `transactionDateTime`, `description`; the payment link's `status`), unverified.
//!
//! Invariants:
//! - a row names a payment by its `orderCode` when it has one hocphi issued
//!   ([`OrderCode::reference`]), otherwise by a payOS payment reference written in its memo
//!   (banks may upper-case the memo, glue words to it or add their own text around it);
//! - a row is money received when its status says so (`PAID`, `UNDERPAID`, or a wording of
//!   success); a file without a status column lists transfers received, so every row is one.

use hocphi_domain::PaymentRef;

use super::order_code::OrderCode;

/// A column of the transaction list that reconciliation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// `orderCode`: the order the transfer paid (hocphi's payment, by its number).
    OrderCode,
    /// The amount of the transfer, in đồng.
    Amount,
    /// `reference`: the bank's reference of the transfer.
    Reference,
    /// `transactionDateTime`: when the money arrived.
    Time,
    /// `description`: the transfer's memo.
    Memo,
    /// The transfer's (or its link's) status.
    Status,
}

impl Column {
    /// Every column, in the order reconciliation looks them up.
    pub const ALL: [Column; 6] = [
        Column::OrderCode,
        Column::Amount,
        Column::Reference,
        Column::Time,
        Column::Memo,
        Column::Status,
    ];

    /// The header messages quote.
    pub fn name(self) -> &'static str {
        match self {
            Column::OrderCode => "Mã đơn hàng",
            Column::Amount => "Số tiền",
            Column::Reference => "Mã tham chiếu",
            Column::Time => "Thời gian",
            Column::Memo => "Nội dung",
            Column::Status => "Trạng thái",
        }
    }

    /// The other headers that may name the column: payOS's field name and plausible wordings.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::OrderCode => &["orderCode", "Order code", "Mã đơn", "Mã ĐH", "Đơn hàng"],
            Column::Amount => &[
                "amount",
                "Số tiền giao dịch",
                "Số tiền thanh toán",
                "Số tiền nhận",
                "Giá trị",
            ],
            Column::Reference => &[
                "reference",
                "Mã giao dịch",
                "Mã GD",
                "Mã giao dịch ngân hàng",
                "Số tham chiếu",
                "Mã tham chiếu ngân hàng",
                "Bank reference",
                "Transaction reference",
            ],
            Column::Time => &[
                "transactionDateTime",
                "Thời gian giao dịch",
                "Ngày giao dịch",
                "Thời gian thanh toán",
                "Ngày thanh toán",
                "Ngày GD",
                "Transaction time",
                "Date",
                "Time",
            ],
            Column::Memo => &[
                "description",
                "Nội dung chuyển khoản",
                "Nội dung thanh toán",
                "Nội dung giao dịch",
                "Mô tả",
                "Diễn giải",
                "Memo",
                "Content",
            ],
            Column::Status => &[
                "status",
                "Trạng thái giao dịch",
                "Trạng thái thanh toán",
                "Tình trạng",
            ],
        }
    }

    /// Whether a file without the column is refused outright. (A file also needs an order-code
    /// or a memo column, whichever it has.)
    pub fn required(self) -> bool {
        match self {
            Column::Amount => true,
            Column::OrderCode
            | Column::Reference
            | Column::Time
            | Column::Memo
            | Column::Status => false,
        }
    }

    /// Whether the column holds amounts in whole đồng, written as people write them.
    pub fn in_dong(self) -> bool {
        matches!(self, Column::Amount)
    }
}

/// How a status names money received: payOS's `PAID` and `UNDERPAID` (less than the link's
/// amount, but money all the same) and wordings of success. Callers compare them the way they
/// compare headers (case and accents aside).
pub const RECEIVED_WORDINGS: [&str; 10] = [
    "PAID",
    "UNDERPAID",
    "Đã thanh toán",
    "Thanh toán thiếu",
    "Thanh toán một phần",
    "Thành công",
    "Giao dịch thành công",
    "Success",
    "Successful",
    "Đã nhận",
];

/// The payment an order-code cell names: `None` unless it is a number hocphi issued.
pub fn order_reference(cell: &str) -> Option<PaymentRef> {
    let cell = cell.trim();
    if cell.is_empty() || cell.len() > 16 || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    OrderCode::new(cell.parse().ok()?)?.reference()
}

/// The first payOS payment reference written in a memo (`HP`, 12 digits, 4 symbols), wherever
/// it stands and in whatever case; `None` when there is none.
pub fn memo_reference(memo: &str) -> Option<PaymentRef> {
    let upper = memo.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    const LEN: usize = 18;
    (0..bytes.len().saturating_sub(LEN - 1))
        .filter(|&i| bytes[i..].starts_with(b"HP"))
        .find_map(|i| {
            let candidate = upper.get(i..i + LEN)?;
            let reference = PaymentRef::parse(candidate).ok()?;
            OrderCode::of(&reference).map(|_| reference)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_distinct_name_and_only_the_amount_is_required() {
        let fold = |s: &str| s.to_lowercase();
        let mut names: Vec<String> = Column::ALL
            .iter()
            .flat_map(|c| std::iter::once(c.name()).chain(c.aliases().iter().copied()))
            .map(fold)
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a header names one column only");
        let required: Vec<Column> = Column::ALL.into_iter().filter(|c| c.required()).collect();
        assert_eq!(required, [Column::Amount]);
        let in_dong: Vec<Column> = Column::ALL.into_iter().filter(|c| c.in_dong()).collect();
        assert_eq!(in_dong, [Column::Amount]);
    }

    #[test]
    fn an_order_code_names_the_payment_it_was_made_from_and_nothing_else() {
        let reference = PaymentRef::parse("HP250910090000ABCD").unwrap();
        let code = OrderCode::of(&reference).unwrap().get().to_string();

        assert_eq!(order_reference(&code), Some(reference.clone()));
        assert_eq!(order_reference(&format!(" {code} ")), Some(reference));
        for cell in ["", "abc", "-1", "1.5", "99999999999999999999"] {
            assert_eq!(order_reference(cell), None, "{cell:?}");
        }
    }

    #[test]
    fn a_reference_is_found_anywhere_in_a_memo_in_any_case() {
        let reference = PaymentRef::parse("HP250910090000ABCD").unwrap();
        for memo in [
            "HP250910090000ABCD",
            "hp250910090000abcd",
            "MBVCB.1234.HP250910090000ABCD.CT tu 0071000 toi 113000",
            "NGUYEN VAN A chuyen tien HP250910090000ABCD FT25253",
            "xxHP250910090000ABCDyy",
        ] {
            assert_eq!(memo_reference(memo), Some(reference.clone()), "{memo}");
        }
        for memo in [
            "",
            "HP2509100900",
            "HP250910090000ABC",
            "HP250910090000AB1D",
            "hoc phi NQ-0001",
            "HPHPHPHPHPHPHPHPHPHP",
        ] {
            assert_eq!(memo_reference(memo), None, "{memo}");
        }
    }
}
