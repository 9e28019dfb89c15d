//! Fixtures shared by this crate's tests: payments, contexts and configured adapters.

use std::net::{IpAddr, Ipv4Addr};

use chrono::{DateTime, Duration, TimeZone, Utc};
use hocphi_domain::{
    GatewayKind, InvoiceId, Label, MaskedName, Money, Payment, PaymentRef, PaymentStatus, SchoolId,
    SchoolYear, StudentCode,
};

use crate::momo::{Momo, MomoConfig, RequestType};
use crate::vnpay::{Vnpay, VnpayConfig};
use crate::{CheckoutContext, Locale, Secret};

/// The secret of the VNPay known-answer vector (`vnpay::tests::KAT_HASH`).
pub const VNPAY_SECRET: &str = "SECRETSECRETSECRETSECRETSECRET12";
pub const TMN_CODE: &str = "TESTTMN1";
/// MoMo's public sandbox credentials, as printed in its samples.
pub const MOMO_PARTNER: &str = "MOMO";
pub const MOMO_ACCESS_KEY: &str = "F8BBA842ECF85";
pub const MOMO_SECRET: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";

/// 2024-09-01 10:10:10 in Vietnam (03:10:10 UTC), as in the known-answer vector.
pub fn created_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 9, 1, 3, 10, 10).unwrap()
}

/// A Pending payment created at [`created_at`] that expires 15 minutes later.
pub fn payment(reference: &str, vnd: u64, gateway: GatewayKind) -> Payment {
    Payment {
        reference: PaymentRef::parse(reference).unwrap(),
        school: SchoolId::parse("BD-THCS-NGOQUYEN").unwrap(),
        student: StudentCode::parse("HS0001").unwrap(),
        student_name: MaskedName::mask("Nguyễn Văn An").unwrap(),
        class_name: Label::parse("6A1").unwrap(),
        school_year: SchoolYear::parse("2024-2025").unwrap(),
        invoices: vec![InvoiceId::parse("NQ-2024-HK1-0001").unwrap()],
        amount: Money::from_vnd(vnd).unwrap(),
        gateway,
        status: PaymentStatus::Pending,
        created_at: created_at(),
        expires_at: created_at() + Duration::minutes(15),
        gateway_txn: None,
        failure_code: None,
        payee: None,
        mismatches: Vec::new(),
        partner: None,
        version: 0,
        voluntary: Vec::new(),
    }
}

pub fn checkout_context(order_info: &str) -> CheckoutContext {
    CheckoutContext {
        client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        locale: Locale::Vietnamese,
        return_url: "https://example.vn/return".to_owned(),
        order_info: order_info.to_owned(),
        bank_code: None,
        now: created_at() + Duration::seconds(1),
    }
}

pub fn vnpay_with(pay_url: &str, api_url: &str) -> Vnpay {
    Vnpay::new(VnpayConfig {
        tmn_code: TMN_CODE.to_owned(),
        hash_secret: Secret::new(VNPAY_SECRET).unwrap(),
        pay_url: pay_url.to_owned(),
        api_url: api_url.to_owned(),
    })
    .unwrap()
}

pub fn vnpay() -> Vnpay {
    vnpay_with(Vnpay::SANDBOX_PAY_URL, Vnpay::SANDBOX_API_URL)
}

pub fn momo_config() -> MomoConfig {
    MomoConfig {
        partner_code: MOMO_PARTNER.to_owned(),
        access_key: MOMO_ACCESS_KEY.to_owned(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: Momo::SANDBOX_ENDPOINT.to_owned(),
        ipn_url: "https://hocphi.example.vn/api/callbacks/momo".to_owned(),
        request_type: RequestType::CaptureWallet,
    }
}

pub fn momo() -> Momo {
    Momo::new(momo_config()).unwrap()
}
