//! Values the page's unit tests share: a bank transfer as the functions answer it, and the
//! attempt that opened it as the page stores it.

use chrono::{TimeZone, Utc};
use hocphi_api::{BankTransfer, QrPicture};
use hocphi_domain::{GatewayKind, IdempotencyKey, InvoiceId, Money, PaymentRef};

use crate::checkout::{Attempt, Chosen, Opened, Transfer};

/// A school's account, the amount and the memo, with a (tiny) drawn code.
pub(crate) fn bank_transfer() -> BankTransfer {
    BankTransfer {
        qr_code: "00020101021238570010A000000727".into(),
        bank_bin: "970436".into(),
        bank_name: Some("Vietcombank".into()),
        account_number: "0071000123456".into(),
        account_name: "TRUONG THCS NGO QUYEN".into(),
        amount: Money::from_vnd(1_409_520).unwrap(),
        memo: "HP251005070000ABCD".into(),
        qr: Some(QrPicture {
            side: 29,
            path: "M4 4h7v1h-7zM12 4h1v1h-1z".into(),
        }),
    }
}

/// A payOS attempt with a voluntary line, which opened [`bank_transfer`].
pub(crate) fn attempt() -> Attempt {
    Attempt {
        student: "HS001234".into(),
        invoices: vec![InvoiceId::parse("NQ-1").unwrap()],
        voluntary: vec![Chosen {
            invoice: InvoiceId::parse("NQ-1").unwrap(),
            line: 2,
        }],
        gateway: GatewayKind::Payos,
        key: IdempotencyKey::parse("0b6f3a52-8d1c-4c47-9a35-2f7a0c5e9d11").unwrap(),
        opened: Some(Opened {
            payment_ref: PaymentRef::parse("HP251005070000ABCDEFGH").unwrap(),
            expires_at: Utc.timestamp_millis_opt(1_759_648_680_123).unwrap(),
            transfer: Some(Transfer {
                details: bank_transfer(),
                checkout_url: "https://pay.payos.vn/web/abc".into(),
            }),
        }),
    }
}
