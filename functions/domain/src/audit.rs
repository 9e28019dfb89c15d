//! The audit history: what happened to a school, a student, an invoice or a payment, who did it
//! and which rule decided.
//!
//! Invariants: a store appends an [`AuditEvent`] in the same atomic step as the change it records
//! (no change without its event, no event without its change); events of one [`Subject`] are
//! numbered 1, 2, 3… and keyed by (subject, sequence), so two writers can never append the same
//! one; an event is never updated or deleted. Events hold identifiers, codes, amounts and
//! channels, never a person's name or address: an operator is named by the login name they act
//! under, which is staff's, not a parent's or a student's.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    GatewayCode, GatewayKind, GatewayTxnNo, InvoiceId, ItemCode, Label, LineKind, Money, PartnerId,
    PaymentRef, ReceiptId, SchoolId, StudentCode,
};

/// What an event is about: its history is read by this.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    School(SchoolId),
    Student(StudentCode),
    Invoice(InvoiceId),
    Payment(PaymentRef),
    /// An entry of the catalogue: its code and, for a school's own entry, the school.
    CatalogueItem(ItemCode, Option<SchoolId>),
}

impl Subject {
    /// The subject's key in a store: the partition key of its own item (`INVOICE#INV-1`).
    pub fn key(&self) -> String {
        match self {
            Self::School(id) => format!("SCHOOL#{id}"),
            Self::Student(code) => format!("STUDENT#{code}"),
            Self::Invoice(id) => format!("INVOICE#{id}"),
            Self::Payment(reference) => format!("PAYMENT#{reference}"),
            Self::CatalogueItem(code, school) => format!(
                "CATALOGUE#{code}#{}",
                school.as_ref().map_or("", SchoolId::as_str)
            ),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// An operator at the admin command line, by the name they act under (`--by`, else the
    /// login name); `file` names the file an import read.
    Operator { name: Label, file: Option<Label> },
    /// A payment channel's verified server-to-server notification (its transaction number is in
    /// the event's action).
    Channel { gateway: GatewayKind },
    /// A bill-payment partner's signed confirmation.
    Partner { partner: PartnerId },
    /// A parent on the page (a checkout, a look-up).
    Parent,
    /// The sweeper: a payment's time ran out, or a channel answered its query.
    Sweeper,
    /// The retention job.
    Retention,
}

impl Actor {
    /// An operator acting under `name`, outside any import.
    pub fn operator(name: Label) -> Self {
        Self::Operator { name, file: None }
    }
}

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    SchoolSaved,
    StudentSaved,
    /// A student's lookup digest was replaced (a new key or scheme); the codes stay secret.
    LookupRekeyed,
    InvoiceCreated {
        version: u64,
        total: Money,
    },
    InvoiceChanged {
        version: u64,
        total: Money,
    },
    InvoiceVoided {
        version: u64,
    },
    InvoicePaid {
        version: u64,
        payment: PaymentRef,
        receipt: ReceiptId,
    },
    PaymentCreated {
        gateway: GatewayKind,
        amount: Money,
        invoices: Vec<InvoiceId>,
    },
    PaymentSettled {
        txn: GatewayTxnNo,
        amount: Money,
        receipt: ReceiptId,
        sequence: u32,
    },
    PaymentFailed {
        txn: Option<GatewayTxnNo>,
        code: GatewayCode,
    },
    PaymentExpired,
    /// Money was captured but the invoices could no longer be paid by it.
    PaymentRefundDue {
        txn: GatewayTxnNo,
        amount: Money,
    },
    /// A transfer of another amount than the payment's was recorded.
    TransferMismatched {
        txn: GatewayTxnNo,
        amount: Money,
        expected: Money,
    },
    /// A catalogue entry created or changed: its kind and cap as saved.
    CatalogueItemSaved {
        line_kind: LineKind,
        cap: Option<Money>,
    },
    /// A data subject's erasure request: the record was pseudonymised (kept for the accounts)
    /// or deleted.
    PersonalDataErased {
        kept: bool,
    },
    /// The retention job removed the personal fields its period had run out for.
    PersonalDataRemoved,
}

/// The rule that decided a change, where more than one could have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The captured amount is not the payment's: nothing is paid.
    AmountMismatch,
    /// A capture arrived after the payment had expired: money in hand wins.
    LateCaptureAfterExpiry,
    /// A capture arrived after the channel had reported a failure: money in hand wins.
    LateCaptureAfterFailure,
    /// An exact capture arrived after a transfer of another amount.
    CaptureAfterMismatch,
    /// An invoice was paid, voided or changed meanwhile: the money must be returned.
    InvoicesNoLongerOpen,
    /// The payment's time ran out with no outcome.
    TimeRanOut,
}

/// One entry of a subject's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub subject: Subject,
    /// 1 for a subject's first event, then one more for each.
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub action: Action,
    pub by: Actor,
    pub rule: Option<Rule>,
}

impl Action {
    /// What happened, in Vietnamese, for operators and school accountants.
    pub fn label_vi(&self) -> String {
        match self {
            Self::SchoolSaved => "Lưu thông tin trường".into(),
            Self::StudentSaved => "Lưu thông tin học sinh".into(),
            Self::LookupRekeyed => "Đổi khoá mã tra cứu".into(),
            Self::InvoiceCreated { version, total } => {
                format!("Tạo khoản thu (phiên bản {version}), tổng {total}")
            }
            Self::InvoiceChanged { version, total } => {
                format!("Sửa khoản thu (phiên bản {version}), tổng {total}")
            }
            Self::InvoiceVoided { version } => format!("Huỷ khoản thu (phiên bản {version})"),
            Self::InvoicePaid {
                payment, receipt, ..
            } => format!("Đã nộp qua giao dịch {payment}, biên lai {receipt}"),
            Self::PaymentCreated {
                gateway,
                amount,
                invoices,
            } => {
                let ids: Vec<&str> = invoices.iter().map(InvoiceId::as_str).collect();
                format!(
                    "Tạo giao dịch {amount} qua {} cho khoản thu {}",
                    gateway.display_name(),
                    ids.join(", ")
                )
            }
            Self::PaymentSettled {
                txn,
                amount,
                receipt,
                sequence,
            } => format!(
                "Thanh toán thành công {amount}, mã giao dịch tại cổng {txn}; biên lai số \
                 {sequence:07} ({receipt})"
            ),
            Self::PaymentFailed { txn, code } => match txn {
                Some(txn) => {
                    format!("Thanh toán không thành công (mã lỗi {code}, giao dịch {txn})")
                }
                None => format!("Thanh toán không thành công (mã lỗi {code})"),
            },
            Self::PaymentExpired => "Hết hạn, chưa thanh toán".into(),
            Self::PaymentRefundDue { txn, amount } => {
                format!("Đã nhận {amount} (mã giao dịch {txn}) nhưng phải hoàn lại")
            }
            Self::TransferMismatched {
                txn,
                amount,
                expected,
            } => format!(
                "Nhận chuyển khoản sai số tiền: {amount} (đúng phải là {expected}), mã giao \
                 dịch {txn}; cần hoàn lại"
            ),
            Self::CatalogueItemSaved { line_kind, cap } => match cap {
                Some(cap) => format!(
                    "Lưu khoản thu trong danh mục ({}), mức trần {cap}",
                    line_kind.label_vi()
                ),
                None => format!("Lưu khoản thu trong danh mục ({})", line_kind.label_vi()),
            },
            Self::PersonalDataErased { kept: true } => {
                "Xoá dữ liệu cá nhân theo yêu cầu; giữ bản ẩn danh cho sổ sách kế toán".into()
            }
            Self::PersonalDataErased { kept: false } => "Xoá dữ liệu cá nhân theo yêu cầu".into(),
            Self::PersonalDataRemoved => "Xoá họ tên, lớp khi hết thời hạn lưu trữ".into(),
        }
    }
}

impl Actor {
    /// Who, in Vietnamese.
    pub fn label_vi(&self) -> String {
        match self {
            Self::Operator { name, file: None } => format!("cán bộ {name}"),
            Self::Operator {
                name,
                file: Some(file),
            } => format!("cán bộ {name}, từ tệp {file}"),
            Self::Channel { gateway } => format!("thông báo của {}", gateway.display_name()),
            Self::Partner { partner } => format!("xác nhận của đối tác {partner}"),
            Self::Parent => "phụ huynh trên trang nộp học phí".into(),
            Self::Sweeper => "tác vụ rà soát tự động".into(),
            Self::Retention => "tác vụ xoá dữ liệu hết hạn lưu trữ".into(),
        }
    }
}

impl Rule {
    /// Why, in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::AmountMismatch => "số tiền nhận khác số tiền của giao dịch",
            Self::LateCaptureAfterExpiry => "tiền về sau khi giao dịch đã hết hạn",
            Self::LateCaptureAfterFailure => "tiền về sau khi cổng báo không thành công",
            Self::CaptureAfterMismatch => "tiền đúng số về sau một lần chuyển sai số tiền",
            Self::InvoicesNoLongerOpen => "khoản thu đã được nộp, huỷ hoặc sửa trong lúc chờ",
            Self::TimeRanOut => "quá thời hạn thanh toán",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_round_trips_through_json_without_names() {
        let event = AuditEvent {
            subject: Subject::Payment(PaymentRef::parse("HP0000000001").unwrap()),
            seq: 2,
            at: DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
            action: Action::PaymentRefundDue {
                txn: GatewayTxnNo::parse("14000001").unwrap(),
                amount: Money::from_vnd(1_500_000).unwrap(),
            },
            by: Actor::Channel {
                gateway: GatewayKind::Vnpay,
            },
            rule: Some(Rule::InvoicesNoLongerOpen),
        };
        let json = serde_json::to_string(&event).unwrap();
        assert!(json.contains("\"kind\":\"payment_refund_due\""), "{json}");
        assert_eq!(serde_json::from_str::<AuditEvent>(&json).unwrap(), event);
    }

    #[test]
    fn a_subject_is_keyed_as_its_own_item() {
        let subject = Subject::Invoice(InvoiceId::parse("INV-1").unwrap());
        assert_eq!(subject.key(), "INVOICE#INV-1");
    }
}
