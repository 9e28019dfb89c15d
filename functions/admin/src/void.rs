//! `void`: cancels an open invoice, recording the reason.
//!
//! Invariants: the id and the reason are checked before the store is asked; a void goes through
//! [`Store::void_invoice`], so a Paid invoice and one a live payment holds are refused, and the
//! refusal says why.

use std::fmt;

use chrono::{DateTime, Utc};
use hocphi_domain::{Actor, InvoiceId, Label, Store, StoreError, VoidOutcome};

use crate::text::text_problem;

/// Why an invoice could not be voided.
#[derive(Debug, thiserror::Error)]
pub enum VoidError {
    #[error("mã khoản thu không hợp lệ: \"{0}\"")]
    BadId(String),
    #[error("lý do huỷ không hợp lệ: {0}")]
    BadReason(String),
    #[error("lỗi kho dữ liệu")]
    Store(#[from] StoreError),
}

/// What `void` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoidReport {
    pub invoice: InvoiceId,
    pub outcome: VoidOutcome,
}

impl VoidReport {
    /// True when the invoice could not be voided.
    pub fn refused(&self) -> bool {
        match self.outcome {
            VoidOutcome::Voided | VoidOutcome::AlreadyVoided => false,
            VoidOutcome::RefusedPaid | VoidOutcome::RefusedHeld | VoidOutcome::NotFound => true,
        }
    }
}

/// Voids an open invoice, recording the reason.
pub async fn void<S: Store>(
    store: &S,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<VoidReport, VoidError> {
    let id = InvoiceId::parse(id).map_err(|_| VoidError::BadId(id.to_owned()))?;
    let reason =
        Label::parse(reason).map_err(|e| VoidError::BadReason(text_problem(&e, "lý do")))?;
    let outcome = store.void_invoice(&id, &reason, now, by).await?;
    Ok(VoidReport {
        invoice: id,
        outcome,
    })
}

impl fmt::Display for VoidReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = &self.invoice;
        match self.outcome {
            VoidOutcome::Voided => writeln!(f, "Đã huỷ khoản thu {id}."),
            VoidOutcome::AlreadyVoided => {
                writeln!(f, "Khoản thu {id} đã được huỷ từ trước; không thay đổi gì.")
            }
            VoidOutcome::RefusedPaid => writeln!(
                f,
                "Không huỷ được khoản thu {id}: khoản thu đã được nộp (đã có biên lai). Nếu phải \
                 trả lại tiền, hãy làm thủ tục hoàn tiền."
            ),
            VoidOutcome::RefusedHeld => writeln!(
                f,
                "Không huỷ được khoản thu {id}: phụ huynh đang thanh toán khoản này và giao dịch \
                 chưa kết thúc. Thử lại sau khi giao dịch kết thúc hoặc hết hạn."
            ),
            VoidOutcome::NotFound => writeln!(f, "Không tìm thấy khoản thu {id}."),
        }
    }
}
