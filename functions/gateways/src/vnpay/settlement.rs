//! VNPay's transaction list (the settlement export of VNPay's merchant portal, read by
//! `hocphi-admin reconcile`): the columns it has and the headers that name them, the unit of
//! `vnp_Amount`, and which rows are captures. No I/O: the caller reads the file and hands over
//! the text of each cell.
//!
//! Invariants:
//! - a `vnp_Amount` cell is read by the same code as `vnp_Amount` in an IPN (VND × 100, a whole
//!   number of đồng), after the leading zeros a spreadsheet may keep;
//! - a code cell is read through the same tables as an IPN's codes ([`ResponseCode`],
//!   [`TransactionStatus`]), after restoring the leading zero a spreadsheet drops (`00` kept as the
//!   number `0`); only the success code `00` counts as captured;
//! - a row is a capture only when every outcome it gives says so, as an IPN is paid only when
//!   `vnp_ResponseCode` and `vnp_TransactionStatus` both are `00`.

use hocphi_domain::Money;

use super::wire::{ResponseCode, TransactionStatus, field};
use super::{parse_amount_x100, response_succeeded, status_succeeded};

/// A column of the transaction list that reconciliation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// `vnp_TxnRef`: the merchant's reference (hocphi's payment reference).
    Reference,
    /// `vnp_TransactionNo`: VNPay's transaction number.
    TransactionNo,
    /// The amount in đồng.
    Amount,
    /// `vnp_Amount`: the amount in VNPay's unit, đồng × 100.
    AmountX100,
    /// `vnp_ResponseCode`: how the parent's attempt ended.
    ResponseCode,
    /// `vnp_TransactionStatus`, or the portal's wording of it.
    TransactionStatus,
    /// `vnp_PayDate`: when it was paid.
    PayDate,
}

impl Column {
    /// Every column, in the order reconciliation looks them up.
    pub const ALL: [Column; 7] = [
        Column::Reference,
        Column::TransactionNo,
        Column::Amount,
        Column::AmountX100,
        Column::ResponseCode,
        Column::TransactionStatus,
        Column::PayDate,
    ];

    /// The header messages quote.
    pub fn name(self) -> &'static str {
        match self {
            Column::Reference => "Mã giao dịch merchant",
            Column::TransactionNo => "Mã GD VNPAY",
            Column::Amount => "Số tiền",
            Column::AmountX100 => field::AMOUNT,
            Column::ResponseCode => "Mã phản hồi",
            Column::TransactionStatus => "Trạng thái",
            Column::PayDate => "Ngày thanh toán",
        }
    }

    /// The other headers that name the column: its `vnp_*` parameter and the portal's wordings.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Reference => &[
                field::TXN_REF,
                "Mã GD merchant",
                "Mã đơn hàng",
                "Mã thanh toán",
                "Mã tham chiếu",
            ],
            Column::TransactionNo => &[
                field::TRANSACTION_NO,
                "Mã giao dịch VNPAY",
                "Mã GD tại VNPAY",
            ],
            Column::Amount => &["Số tiền giao dịch", "Số tiền thanh toán"],
            Column::AmountX100 => &[],
            Column::ResponseCode => &[field::RESPONSE_CODE, "Mã lỗi"],
            Column::TransactionStatus => &[
                field::TRANSACTION_STATUS,
                "Trạng thái giao dịch",
                "Tình trạng",
            ],
            Column::PayDate => &[
                field::PAY_DATE,
                "Thời gian thanh toán",
                "Ngày giao dịch",
                "Thời gian giao dịch",
                "Ngày GD",
            ],
        }
    }

    /// Whether a file without the column is refused outright. (A file also needs one amount
    /// column and one outcome column, whichever it has.)
    pub fn required(self) -> bool {
        match self {
            Column::Reference => true,
            Column::TransactionNo
            | Column::Amount
            | Column::AmountX100
            | Column::ResponseCode
            | Column::TransactionStatus
            | Column::PayDate => false,
        }
    }

    /// Whether the column holds amounts in whole đồng, written as people write them.
    pub fn in_dong(self) -> bool {
        match self {
            Column::Amount => true,
            Column::Reference
            | Column::TransactionNo
            | Column::AmountX100
            | Column::ResponseCode
            | Column::TransactionStatus
            | Column::PayDate => false,
        }
    }

    /// Whether the column tells a row's outcome.
    pub fn is_outcome(self) -> bool {
        match self {
            Column::ResponseCode | Column::TransactionStatus => true,
            Column::Reference
            | Column::TransactionNo
            | Column::Amount
            | Column::AmountX100
            | Column::PayDate => false,
        }
    }
}

/// How the portal words the status of a captured transaction when it writes words, not codes.
/// Callers compare them the way they compare headers (case and accents aside).
pub const CAPTURED_WORDINGS: [&str; 5] = [
    "Thành công",
    "Giao dịch thành công",
    "Success",
    "Successful",
    "Đã thanh toán",
];

/// The most characters of a `vnp_Amount` cell: the digits a spreadsheet keeps exactly.
const AMOUNT_CELL_MAX: usize = 15;

/// The amount of a `vnp_Amount` cell (đồng × 100, digits only, zero-padded or not), `None` when
/// it is not a whole, valid number of đồng.
pub fn amount_x100(cell: &str) -> Option<Money> {
    if cell.is_empty() || cell.len() > AMOUNT_CELL_MAX || !cell.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    parse_amount_x100(cell.trim_start_matches('0'))
}

/// What a code in an outcome column says: `Some(true)` for the success code, `Some(false)` for
/// any other code, `None` when the cell holds no code (empty, or not only digits) or the column
/// tells no outcome.
pub fn code_captured(column: Column, cell: &str) -> Option<bool> {
    if cell.is_empty() || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = format!("{:0>2}", cell.trim_start_matches('0'));
    match column {
        Column::ResponseCode => Some(response_succeeded(&ResponseCode::parse(&code))),
        Column::TransactionStatus => Some(status_succeeded(&TransactionStatus::parse(&code))),
        Column::Reference
        | Column::TransactionNo
        | Column::Amount
        | Column::AmountX100
        | Column::PayDate => None,
    }
}

/// Whether a row is a capture, from the verdicts of the outcome cells it fills: captured only
/// when all say so, `None` when it fills none.
pub fn captured(verdicts: impl IntoIterator<Item = bool>) -> Option<bool> {
    verdicts
        .into_iter()
        .fold(None, |all, verdict| Some(all.unwrap_or(true) && verdict))
}

/// One readable row of the transaction list, in hocphi's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRow {
    /// The merchant's reference, as written (it may not be one hocphi issued).
    pub reference: String,
    /// VNPay's transaction number, when the row gives one (`0` for an attempt without one).
    pub transaction_no: Option<String>,
    /// The amount, in đồng.
    pub amount: Money,
    /// Whether VNPay captured the money ([`captured`]).
    pub captured: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_distinct_name_and_only_the_reference_is_required() {
        let mut names: Vec<&str> = Column::ALL
            .iter()
            .flat_map(|c| std::iter::once(c.name()).chain(c.aliases().iter().copied()))
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a header names one column only");
        let required: Vec<Column> = Column::ALL.into_iter().filter(|c| c.required()).collect();
        assert_eq!(required, [Column::Reference]);
        let in_dong: Vec<Column> = Column::ALL.into_iter().filter(|c| c.in_dong()).collect();
        assert_eq!(in_dong, [Column::Amount]);
        let outcomes: Vec<Column> = Column::ALL.into_iter().filter(|c| c.is_outcome()).collect();
        assert_eq!(outcomes, [Column::ResponseCode, Column::TransactionStatus]);
    }

    #[test]
    fn each_column_is_also_named_by_its_vnp_parameter() {
        let named = |column: Column, parameter: &str| {
            column.name() == parameter || column.aliases().contains(&parameter)
        };
        assert!(named(Column::Reference, "vnp_TxnRef"));
        assert!(named(Column::TransactionNo, "vnp_TransactionNo"));
        assert!(named(Column::AmountX100, "vnp_Amount"));
        assert!(named(Column::ResponseCode, "vnp_ResponseCode"));
        assert!(named(Column::TransactionStatus, "vnp_TransactionStatus"));
        assert!(named(Column::PayDate, "vnp_PayDate"));
    }

    #[test]
    fn vnp_amount_is_dong_times_100_as_in_an_ipn() {
        let vnd = |n: u64| Money::from_vnd(n).ok();
        let cases = [
            ("150000000", vnd(1_500_000)),
            ("100", vnd(1)),
            ("000000150000000", vnd(1_500_000)),
            ("999999999900", vnd(Money::MAX_VND)),
            ("150000050", None),
            ("0", None),
            ("000", None),
            ("", None),
            ("1.500.000", None),
            (" 150000000", None),
            ("-150000000", None),
            ("1000000000000", None),
            ("0000000000000100", None),
        ];
        for (cell, amount) in cases {
            assert_eq!(amount_x100(cell), amount, "{cell:?}");
            if cell.len() <= 12 && !cell.starts_with('0') {
                assert_eq!(
                    parse_amount_x100(cell),
                    amount,
                    "{cell:?} reads as in an IPN"
                );
            }
        }
    }

    #[test]
    fn only_the_success_code_is_a_capture_even_without_its_leading_zero() {
        for column in [Column::ResponseCode, Column::TransactionStatus] {
            for cell in ["00", "0", "000"] {
                assert_eq!(code_captured(column, cell), Some(true), "{column:?} {cell}");
            }
            for cell in ["07", "7", "02", "24", "99", "100", "01"] {
                assert_eq!(
                    code_captured(column, cell),
                    Some(false),
                    "{column:?} {cell}"
                );
            }
            for cell in ["", "Thành công", "0 0", "-0"] {
                assert_eq!(code_captured(column, cell), None, "{column:?} {cell:?}");
            }
        }
        assert_eq!(code_captured(Column::Amount, "00"), None);
    }

    #[test]
    fn a_row_is_a_capture_only_when_every_outcome_it_gives_says_so() {
        assert_eq!(captured([true, true]), Some(true));
        assert_eq!(captured([true]), Some(true));
        assert_eq!(captured([true, false]), Some(false));
        assert_eq!(captured([false, true]), Some(false));
        assert_eq!(captured([]), None);
    }
}
