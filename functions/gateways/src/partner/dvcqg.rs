//! The national public-service portal's payment platform as a bill-payment partner: the citizen
//! types a fee notice's payment code on the portal, the platform asks hocphi for the bill
//! (`GetBill`), the citizen pays through a bank or an intermediary, and the platform confirms the
//! payment (`Confirm`). Posted to `/api/partners/{partner}/bills` and `…/confirmations`.
//!
//! No public specification exists. The open-source OpenCPS one-stop system (VietOpenCPS/opencps-v2,
//! `modules/pay-gate-integration`: `PayGateTerm.java`, `PayGateUtil.java`,
//! `PayGateIntegrationActionImpl.java`) speaks the platform's messages, as does a second,
//! independent implementation, a provincial one-stop API (github.com/HuanVu201/
//! DichVuCong_KhoaLuan_PASETO, `DichVuCongApi/src`). What follows them, and what is assumed:
//!
//! Confirmed by those sources:
//! - JSON bodies with the fields `LoaiBanTin`, `PhienBan`, `MaDoiTac`, `MaThamChieu`, `SoTien`,
//!   `MaTienTe`, `MaGiaoDich`, `MaNganHang`, `ThoiGianGD` (`yyyyMMddHHmmss`), `ThongTinGiaoDich`,
//!   `MaXacThuc`; replies carry `MaLoi` (`00` success, `99` "Các lỗi khác") and `MoTaLoi`;
//! - `MaXacThuc` = SHA-256, lowercase hex, of the fields joined by `|` and `|key`
//!   ([`crate::dvcqg::wire::ma_xac_thuc`]); a Confirm signs [`CONFIRM_FIELDS`] in that order
//!   (`…|MaNganHang|ThoiGianGD|ThongTinGiaoDich`: OpenCPS's `generateChecksum` and the second
//!   implementation agree), OpenCPS's GetBill signs [`GET_BILL_FIELDS`];
//! - `MaDoiTac` is the agency's own code at the platform (OpenCPS signs a Confirm with its
//!   configured code, not with a value from the body): here [`super::Partner::platform_code`],
//!   the partner's `code` in `HOCPHI_PARTNERS` (the partner id when none is given);
//! - a Confirm's `MaLoi` is the payment's result, `00` paid; `SoTien` arrives as a string or as
//!   a JSON integer (OpenCPS sends the one and reads the other).
//!
//! Assumed (the province gets the platform operator's specification and corrects these here):
//! - in OpenCPS, GetBill is sent by the agency to the platform; hocphi assumes the platform sends
//!   the same five fields to hocphi to look a bill up, with `MaThamChieu` = the payment code;
//! - `LoaiBanTin` is `GetBill` or `Confirm` (OpenCPS keeps the values in configuration); a
//!   message of the other kind than the path's operation is refused; the platform has no
//!   reversal message, so nothing is verified at `…/reversals`;
//! - a signed field that is absent reads as empty (OpenCPS's `getString`); fields not signed
//!   (`Ip`, `MaKenhThanhToan`, …) are ignored; a field given twice refuses the message;
//! - `MaTienTe` is `VND` or `704` (ISO 4217); `MaGiaoDich` is 1–64 of `[A-Za-z0-9_-]`;
//!   `ThoiGianGD` is Vietnam's time (UTC+7);
//! - no timestamp window and no nonce: a repeated GetBill only reads, and a repeated Confirm is
//!   idempotent by `MaGiaoDich`;
//! - replies are HTTP 200 with `MaLoi` saying the outcome ([`ma_loi`]: one code per refusal,
//!   `01`–`13`, and `99`), `MaDoiTac`, `MaThamChieu` (the bill's payment code when the look-up
//!   presented it, else empty) and `MaXacThuc` over `MaLoi|MaDoiTac|MaThamChieu|key` ([`REPLY_FIELDS`]); a
//!   GetBill's answer adds `SoTien`, `MaTienTe` and `ThongTinBienLai` (OpenCPS's receipt-info
//!   names: `MaDonVi`, `TenDonVi`, `NoiDungThanhToan`, `HoTenNguoiNop`, `DSKhoanNop` of
//!   `NoiDung`/`SoTien`), a Confirm's answer `SoBienLai` and `DuongDanBienLai` (the receipt).

use chrono::{DateTime, Utc};
use hocphi_domain::{GatewayTxnNo, Money, PaymentCode};
use serde_json::{Map, Value, json};

use super::config::Entries;
use super::{
    Answer, Bill, BillKey, BillRef, Confirmation, Message, Partner, PartnerError, PartnerOp,
    PartnerRequest, Refusal, Signed,
};
use crate::dvcqg::wire::{checks_out, ma_xac_thuc};
use crate::vnpay::{parse_vn_time, vn_time};
use crate::{Reply, Secret};

/// `LoaiBanTin` of a bill look-up.
pub const GET_BILL: &str = "GetBill";
/// `LoaiBanTin` of a payment confirmation.
pub const CONFIRM: &str = "Confirm";
/// The fields a GetBill's `MaXacThuc` covers, in order.
pub const GET_BILL_FIELDS: [&str; 5] = [
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "ThoiGianGD",
];
/// The fields a Confirm's `MaXacThuc` covers, in order.
pub const CONFIRM_FIELDS: [&str; 10] = [
    "LoaiBanTin",
    "MaLoi",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "MaTienTe",
    "MaGiaoDich",
    "MaNganHang",
    "ThoiGianGD",
    "ThongTinGiaoDich",
];
/// The fields a reply's `MaXacThuc` covers, in order.
pub const REPLY_FIELDS: [&str; 3] = ["MaLoi", "MaDoiTac", "MaThamChieu"];
/// `MaTienTe` of đồng.
pub const CURRENCY: &str = "VND";
/// `MaLoi` of success.
pub const OK: &str = "00";

/// `ThoiGianGD` of an instant: `yyyyMMddHHmmss` in Vietnam's time.
pub fn time(at: DateTime<Utc>) -> String {
    vn_time(at)
}

/// A bill look-up as the platform sends it (for the local portal simulator and tests).
#[derive(Clone, Debug)]
pub struct GetBill<'a> {
    /// `PhienBan`, the message version.
    pub version: &'a str,
    /// `MaDoiTac`: hocphi's code at the platform.
    pub agency: &'a str,
    /// `MaThamChieu`: the fee notice's payment code.
    pub payment_code: &'a str,
    /// `ThoiGianGD`.
    pub at: DateTime<Utc>,
}

impl GetBill<'_> {
    /// The JSON body, signed with `key`.
    pub fn signed_body(&self, key: &Secret) -> String {
        let at = time(self.at);
        let values = [GET_BILL, self.version, self.agency, self.payment_code, &at];
        signed(&GET_BILL_FIELDS, &values, &[], key)
    }
}

/// A payment confirmation as the platform sends it (for the local portal simulator and tests).
#[derive(Clone, Debug)]
pub struct Confirm<'a> {
    /// `MaDoiTac`: hocphi's code at the platform.
    pub agency: &'a str,
    /// `MaThamChieu`: the payment code paid.
    pub payment_code: &'a str,
    /// `SoTien`.
    pub amount: Money,
    /// `MaGiaoDich`: the platform's transaction id.
    pub txn: &'a str,
    /// `MaNganHang`: the bank or intermediary that took the money.
    pub bank: &'a str,
    /// `ThoiGianGD`.
    pub at: DateTime<Utc>,
    /// `ThongTinGiaoDich`: the payment's description.
    pub info: &'a str,
}

impl Confirm<'_> {
    /// The JSON body, signed with `key`.
    pub fn signed_body(&self, key: &Secret) -> String {
        let amount = self.amount.vnd().to_string();
        let at = time(self.at);
        let values = [
            CONFIRM,
            OK,
            self.agency,
            self.payment_code,
            &amount,
            CURRENCY,
            self.txn,
            self.bank,
            &at,
            self.info,
        ];
        signed(&CONFIRM_FIELDS, &values, &[("PhienBan", "1.0.0")], key)
    }
}

fn signed(names: &[&str], values: &[&str], unsigned: &[(&str, &str)], key: &Secret) -> String {
    let mut body = Map::new();
    for (name, value) in names.iter().zip(values) {
        body.insert((*name).to_owned(), Value::from(*value));
    }
    for (name, value) in unsigned {
        body.insert((*name).to_owned(), Value::from(*value));
    }
    body.insert("MaXacThuc".into(), Value::from(ma_xac_thuc(values, key)));
    Value::Object(body).to_string()
}

pub(super) fn verify(
    partner: &Partner,
    request: &PartnerRequest<'_>,
) -> Result<Signed, PartnerError> {
    let (kind, names): (&str, &[&str]) = match request.op {
        PartnerOp::Bills => (GET_BILL, &GET_BILL_FIELDS),
        PartnerOp::Confirm => (CONFIRM, &CONFIRM_FIELDS),
        PartnerOp::Reverse => {
            return Err(malformed("the platform has no reversal message"));
        }
    };
    let Entries(entries) = serde_json::from_slice::<Entries<Value>>(request.body)
        .map_err(|_| malformed("the body is not a JSON object"))?;
    let mut fields = Map::new();
    for (name, value) in entries {
        if fields.contains_key(&name) {
            return Err(malformed("a field is given twice"));
        }
        fields.insert(name, value);
    }
    let agency = partner.platform_code();
    let values = names
        .iter()
        .map(|name| match (*name, fields.get(*name)) {
            ("MaDoiTac", _) => Ok(agency.to_owned()),
            (_, None) => Ok(String::new()),
            (_, Some(Value::String(text))) => Ok(text.clone()),
            ("SoTien", Some(Value::Number(n))) if n.is_u64() => Ok(n.to_string()),
            (name, Some(_)) => Err(PartnerError::Malformed(format!("{name} is not a string"))),
        })
        .collect::<Result<Vec<String>, _>>()?;
    let presented = match fields.get("MaXacThuc") {
        Some(Value::String(text)) if !text.is_empty() => text,
        _ => return Err(PartnerError::MissingSignature),
    };
    let signed: Vec<&str> = values.iter().map(String::as_str).collect();
    if !checks_out(&signed, &partner.key, presented) {
        return Err(PartnerError::BadSignature);
    }

    let value = |name: &str| -> &str {
        names
            .iter()
            .position(|n| *n == name)
            .and_then(|i| signed.get(i))
            .copied()
            .unwrap_or_default()
    };
    if value("LoaiBanTin") != kind {
        return Err(malformed("LoaiBanTin is not this path's message"));
    }
    match fields.get("MaDoiTac") {
        None => {}
        Some(Value::String(text)) if text == agency => {}
        Some(_) => return Err(malformed("MaDoiTac names another agency")),
    }
    let code = PaymentCode::parse(value("MaThamChieu"))
        .map_err(|e| PartnerError::Malformed(format!("MaThamChieu: {e}")))?;
    let message = match request.op {
        PartnerOp::Bills => {
            if value("PhienBan").is_empty() {
                return Err(malformed("PhienBan is empty"));
            }
            parse_vn_time(value("ThoiGianGD"))
                .ok_or_else(|| malformed("ThoiGianGD: not yyyyMMddHHmmss"))?;
            Message::Bills(BillKey::Code(code))
        }
        _ => {
            if value("MaLoi") != OK {
                return Err(malformed(
                    "MaLoi is not 00: the platform confirms paid transactions only",
                ));
            }
            if !matches!(value("MaTienTe"), "VND" | "704") {
                return Err(malformed("MaTienTe is not VND"));
            }
            let amount = Money::parse(value("SoTien"))
                .map_err(|_| malformed("SoTien: not a whole number of đồng above zero"))?;
            let txn = GatewayTxnNo::parse(value("MaGiaoDich"))
                .map_err(|e| PartnerError::Malformed(format!("MaGiaoDich: {e}")))?;
            let paid_at = match value("ThoiGianGD") {
                "" => None,
                raw => Some(
                    parse_vn_time(raw)
                        .ok_or_else(|| malformed("ThoiGianGD: not yyyyMMddHHmmss"))?,
                ),
            };
            Message::Confirm(Confirmation {
                txn,
                bill: BillRef::Code(code),
                amount,
                paid_at,
            })
        }
    };
    Ok(Signed {
        message,
        nonce: None,
    })
}

fn malformed(reason: &str) -> PartnerError {
    PartnerError::Malformed(reason.to_owned())
}

/// `MaLoi` and `MoTaLoi` of a refusal.
///
/// | Refusal | MaLoi | MoTaLoi |
/// |---|---|---|
/// | (success) | 00 | Thành công |
/// | bad or missing `MaXacThuc` | 01 | Sai mã xác thực |
/// | malformed message | 02 | Dữ liệu không hợp lệ |
/// | unknown partner | 03 | Đối tác không tồn tại |
/// | `NoBill` | 04 | Không tìm thấy khoản thu |
/// | `NotCollectable` | 05 | Đối tác không được thu hộ khoản thu này |
/// | `AlreadyPaid` | 06 | Khoản thu đã được thanh toán |
/// | `AmountMismatch` | 07 | Số tiền không khớp với khoản thu |
/// | `TxnReused` | 08 | Mã giao dịch đã được dùng cho khoản thu khác |
/// | `UnknownTxn` | 09 | Không tìm thấy giao dịch |
/// | `NotReversible` | 10 | Không hoàn tác giao dịch |
/// | `Replayed` | 11 | Yêu cầu trùng lặp |
/// | `RateLimited` | 12 | Quá nhiều yêu cầu, vui lòng thử lại sau |
/// | stale (not raised by this profile, which has no timestamp window) | 13 | Yêu cầu đã quá hạn |
/// | `Unavailable` | 99 | Các lỗi khác (OpenCPS's text): thử lại sau |
pub fn ma_loi(refusal: &Refusal) -> (&'static str, &'static str) {
    match refusal {
        Refusal::BadRequest(PartnerError::MissingSignature | PartnerError::BadSignature) => {
            ("01", "Sai mã xác thực")
        }
        Refusal::BadRequest(PartnerError::Malformed(_) | PartnerError::BadNonce) => {
            ("02", "Dữ liệu không hợp lệ")
        }
        Refusal::BadRequest(PartnerError::Stale) => ("13", "Yêu cầu đã quá hạn"),
        Refusal::BadRequest(PartnerError::UnknownPartner) => ("03", "Đối tác không tồn tại"),
        Refusal::NoBill => ("04", "Không tìm thấy khoản thu"),
        Refusal::NotCollectable => ("05", "Đối tác không được thu hộ khoản thu này"),
        Refusal::AlreadyPaid { .. } => ("06", "Khoản thu đã được thanh toán"),
        Refusal::AmountMismatch { .. } => ("07", "Số tiền không khớp với khoản thu"),
        Refusal::TxnReused => ("08", "Mã giao dịch đã được dùng cho khoản thu khác"),
        Refusal::UnknownTxn => ("09", "Không tìm thấy giao dịch"),
        Refusal::NotReversible(_) => ("10", "Không hoàn tác giao dịch"),
        Refusal::Replayed => ("11", "Yêu cầu trùng lặp"),
        Refusal::RateLimited => ("12", "Quá nhiều yêu cầu, vui lòng thử lại sau"),
        Refusal::Unavailable => ("99", "Các lỗi khác, vui lòng thử lại sau"),
    }
}

/// The platform's answer: HTTP 200, `MaLoi` saying the outcome.
pub(super) fn reply(partner: &Partner, op: PartnerOp, answer: &Answer) -> Reply {
    let agency = partner.platform_code();
    let mut body = Map::new();
    match op {
        PartnerOp::Bills => {
            body.insert("LoaiBanTin".into(), GET_BILL.into());
        }
        PartnerOp::Confirm => {
            body.insert("LoaiBanTin".into(), CONFIRM.into());
        }
        PartnerOp::Reverse => {}
    }
    let mut reference = String::new();
    let (code, text) = match answer {
        Answer::Bills(bills) => match bills.first() {
            Some(bill) => {
                reference = bill
                    .payment_code
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                bill_fields(&mut body, bill);
                (OK, "Thành công")
            }
            None => ma_loi(&Refusal::NoBill),
        },
        Answer::Confirmed(receipted) => {
            body.insert("SoBienLai".into(), receipted.receipt.to_string().into());
            body.insert(
                "DuongDanBienLai".into(),
                receipted.receipt_url.clone().into(),
            );
            (OK, "Thành công")
        }
        Answer::Refused(refusal) => {
            if let Refusal::AmountMismatch { expected } = refusal {
                body.insert("SoTien".into(), expected.vnd().to_string().into());
            }
            ma_loi(refusal)
        }
    };
    let signature = ma_xac_thuc(&[code, agency, &reference], &partner.key);
    body.insert("MaLoi".into(), code.into());
    body.insert("MoTaLoi".into(), text.into());
    body.insert("MaDoiTac".into(), agency.into());
    body.insert("MaThamChieu".into(), reference.into());
    body.insert("MaXacThuc".into(), signature.into());
    Reply {
        status: 200,
        content_type: Some("application/json; charset=utf-8"),
        body: Value::Object(body).to_string(),
    }
}

fn bill_fields(body: &mut Map<String, Value>, bill: &Bill) {
    let items: Vec<Value> = bill
        .invoices
        .iter()
        .flat_map(|invoice| {
            invoice.items.iter().map(|(description, amount)| {
                json!({
                    "NoiDung": format!("{} – {}", invoice.term.as_str(), description.as_str()),
                    "SoTien": amount.vnd().to_string(),
                })
            })
        })
        .collect();
    body.insert("SoTien".into(), bill.total.vnd().to_string().into());
    body.insert("MaTienTe".into(), CURRENCY.into());
    body.insert(
        "ThongTinBienLai".into(),
        json!({
            "MaDonVi": bill.school.as_str(),
            "TenDonVi": bill.school_name.as_str(),
            "NoiDungThanhToan": format!(
                "Học phí năm học {}, học sinh {}, lớp {}",
                bill.school_year,
                bill.student,
                bill.class_name.as_str()
            ),
            "HoTenNguoiNop": bill.student_name.as_str(),
            "DSKhoanNop": items,
        }),
    );
}

/// Whether a reply's `MaXacThuc` checks out under `key` (for the portal simulator and tests).
pub fn reply_checks_out(body: &str, key: &Secret) -> bool {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
        return false;
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let values: Option<Vec<&str>> = REPLY_FIELDS.iter().map(|name| text(name)).collect();
    match (values, text("MaXacThuc")) {
        (Some(values), Some(presented)) => checks_out(&values, key, presented),
        _ => false,
    }
}
