//! The platform's names, codes, bodies and its `MaXacThuc` checksum, verbatim.
//!
//! Invariants: JSON structs carry the platform's Vietnamese field names exactly (`MaThamChieu`,
//! `ThoiGianGD`); an absent field reads as `None` and signs as empty; a duplicated field rejects
//! the whole message; each checksum's field order is written once, here ([`init_fields`],
//! [`confirm_fields`], [`query_fields`]).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Secret;

/// Where hocphi sends Init, under the configured endpoint (hocphi's naming: the platform's
/// operator gives each province its URLs; the sources configure them whole).
pub const INIT_PATH: &str = "/init";
/// Where hocphi sends the status check, under the configured endpoint (as [`INIT_PATH`]).
pub const QUERY_PATH: &str = "/query";

/// `LoaiBanTin` of hocphi's Init and status check, and `PhienBan`, as the provincial
/// implementation sends them (its `InitDvcPaymentRequest`, `CheckPaymentStatusRequest`).
pub const INIT: &str = "INIT";
pub const QUERY: &str = "QUERY";
pub const VERSION: &str = "1.0.6";
/// The Init fields hocphi fills as the provincial implementation does: a payment (`PAY`), the
/// web channel and device (`1`), `VND`, and `PAYMENT` as the bank (the citizen chooses the bank
/// or intermediary on the platform).
pub const PAYMENT_KIND: &str = "PAY";
pub const CHANNEL: &str = "1";
pub const DEVICE: &str = "1";
pub const CURRENCY: &str = "VND";
pub const ANY_BANK: &str = "PAYMENT";
/// `ThongTinBienLai.MaDichVu`: `2`, a public service's fee (`1` is for fines), as both sources
/// send it.
pub const SERVICE_FEE: &str = "2";

/// `MaLoi` of success: the one code both implementations agree on.
pub const OK: &str = "00";
/// hocphi's own `MaLoi` in its reply to a Confirm that is not success: the public material
/// documents no table, so these follow the codes the same operators know from VNPay.
pub const UNKNOWN_TRANSACTION: &str = "01";
pub const AMOUNT_MISMATCH: &str = "04";
pub const BAD_CHECKSUM: &str = "97";
pub const TRY_AGAIN: &str = "99";

/// `TrangThaiGD` of a status check: paid, not yet known to the platform (a bank or intermediary
/// has not answered it), failed.
pub const PAID: &str = "1";
pub const PENDING: &str = "3";
pub const FAILED: &str = "4";

/// A value the platform may send as a JSON number or a string (`SoTien`, `TrangThaiGD`); it is
/// signed as its decimal text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Int(u64),
    Str(String),
}

impl Text {
    /// The text the platform signed.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Self::Int(n) => Cow::Owned(n.to_string()),
            Self::Str(s) => Cow::Borrowed(s),
        }
    }
}

fn text(value: &Option<Text>) -> Cow<'_, str> {
    value.as_ref().map_or(Cow::Borrowed(""), Text::to_text)
}

fn or_empty(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// hocphi's Init: the payment the citizen is to pay on the platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitRequest {
    #[serde(rename = "LoaiBanTin")]
    pub loai_ban_tin: String,
    #[serde(rename = "PhienBan")]
    pub phien_ban: String,
    #[serde(rename = "MaDoiTac")]
    pub ma_doi_tac: String,
    #[serde(rename = "MaThamChieu")]
    pub ma_tham_chieu: String,
    /// Whole đồng, as text (both sources send a string).
    #[serde(rename = "SoTien")]
    pub so_tien: String,
    #[serde(rename = "LoaiHinhThanhToan")]
    pub loai_hinh_thanh_toan: String,
    #[serde(rename = "MaKenhThanhToan")]
    pub ma_kenh_thanh_toan: String,
    #[serde(rename = "MaThietBi")]
    pub ma_thiet_bi: String,
    #[serde(rename = "NgonNgu")]
    pub ngon_ngu: String,
    #[serde(rename = "MaTienTe")]
    pub ma_tien_te: String,
    #[serde(rename = "MaNganHang")]
    pub ma_ngan_hang: String,
    #[serde(rename = "ThongTinGiaoDich")]
    pub thong_tin_giao_dich: String,
    /// `yyyyMMddHHmmss`, Asia/Ho_Chi_Minh.
    #[serde(rename = "ThoiGianGD")]
    pub thoi_gian_gd: String,
    #[serde(rename = "Ip")]
    pub ip: String,
    #[serde(rename = "ThongTinBienLai")]
    pub thong_tin_bien_lai: ReceiptInfo,
    #[serde(rename = "MaXacThuc")]
    pub ma_xac_thuc: String,
}

/// The 14 signed fields of an Init, in the order both sources sign them.
pub fn init_fields(r: &InitRequest) -> [&str; 14] {
    [
        &r.loai_ban_tin,
        &r.phien_ban,
        &r.ma_doi_tac,
        &r.ma_tham_chieu,
        &r.so_tien,
        &r.loai_hinh_thanh_toan,
        &r.ma_kenh_thanh_toan,
        &r.ma_thiet_bi,
        &r.ngon_ngu,
        &r.ma_tien_te,
        &r.ma_ngan_hang,
        &r.thong_tin_giao_dich,
        &r.thoi_gian_gd,
        &r.ip,
    ]
}

/// `ThongTinBienLai`: what the platform prints on its own receipt. Not signed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptInfo {
    #[serde(rename = "MaDichVu")]
    pub ma_dich_vu: String,
    /// The school's id.
    #[serde(rename = "MaDonVi")]
    pub ma_don_vi: String,
    /// The payment reference (the sources put the dossier number here).
    #[serde(rename = "MaHoSo")]
    pub ma_ho_so: String,
    #[serde(rename = "NoiDungThanhToan")]
    pub noi_dung_thanh_toan: String,
    /// Left empty: hocphi does not know who pays (a parent, not the student).
    #[serde(rename = "HoTenNguoiNop")]
    pub ho_ten_nguoi_nop: String,
    /// Empty: tuition is neither a fee nor a charge under the Law on Fees and Charges.
    #[serde(rename = "PhiLePhi")]
    pub phi_le_phi: Vec<serde_json::Value>,
    #[serde(rename = "DSKhoanNop")]
    pub ds_khoan_nop: Vec<Item>,
}

/// One line of `DSKhoanNop`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    #[serde(rename = "NoiDung")]
    pub noi_dung: String,
    #[serde(rename = "SoTien")]
    pub so_tien: String,
}

/// The platform's answer to Init, flat (`{"MaLoi": "00", "UrlThanhToan": …}`, as the one-stop
/// implementation reads it) or inside the wrapper the provincial implementation reads
/// (`{"error_code": "0", "message": "<the flat answer as a JSON string>"}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct InitAnswer {
    #[serde(rename = "MaLoi")]
    pub ma_loi: Option<String>,
    #[serde(rename = "MoTaLoi")]
    pub mo_ta_loi: Option<String>,
    #[serde(rename = "MaDoiTac")]
    pub ma_doi_tac: Option<String>,
    #[serde(rename = "MaThamChieu")]
    pub ma_tham_chieu: Option<String>,
    #[serde(rename = "SoTien")]
    pub so_tien: Option<Text>,
    #[serde(rename = "UrlThanhToan")]
    pub url_thanh_toan: Option<String>,
    pub error_code: Option<String>,
    pub message: Option<String>,
}

/// The platform's Confirm: the result of a payment, POSTed to hocphi's callback. Fields hocphi
/// does not sign over (the provincial implementation's `AutoCheck`) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirm {
    #[serde(skip_serializing_if = "Option::is_none", rename = "LoaiBanTin")]
    pub loai_ban_tin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaLoi")]
    pub ma_loi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaDoiTac")]
    pub ma_doi_tac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaThamChieu")]
    pub ma_tham_chieu: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "SoTien")]
    pub so_tien: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaTienTe")]
    pub ma_tien_te: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaGiaoDich")]
    pub ma_giao_dich: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaNganHang")]
    pub ma_ngan_hang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "ThoiGianGD")]
    pub thoi_gian_gd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "ThongTinGiaoDich")]
    pub thong_tin_giao_dich: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "MaXacThuc")]
    pub ma_xac_thuc: Option<String>,
}

/// The signed fields of a Confirm, in the order the provincial implementation's
/// `ConfirmDvcPaymentCommandHandler` checks and OpenCPS's later `PayGateUtil.generateChecksum`
/// builds: `LoaiBanTin|MaLoi|MaDoiTac|MaThamChieu|SoTien|MaTienTe|MaGiaoDich|MaNganHang|
/// ThoiGianGD|ThongTinGiaoDich`.
pub fn confirm_fields(c: &Confirm) -> [Cow<'_, str>; 10] {
    [
        Cow::Borrowed(or_empty(&c.loai_ban_tin)),
        Cow::Borrowed(or_empty(&c.ma_loi)),
        Cow::Borrowed(or_empty(&c.ma_doi_tac)),
        Cow::Borrowed(or_empty(&c.ma_tham_chieu)),
        text(&c.so_tien),
        Cow::Borrowed(or_empty(&c.ma_tien_te)),
        Cow::Borrowed(or_empty(&c.ma_giao_dich)),
        Cow::Borrowed(or_empty(&c.ma_ngan_hang)),
        Cow::Borrowed(or_empty(&c.thoi_gian_gd)),
        Cow::Borrowed(or_empty(&c.thong_tin_giao_dich)),
    ]
}

/// hocphi's reply to a Confirm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmReply {
    #[serde(rename = "MaLoi")]
    pub ma_loi: String,
    #[serde(rename = "MoTaLoi")]
    pub mo_ta_loi: String,
    #[serde(rename = "MaDoiTac")]
    pub ma_doi_tac: String,
}

/// hocphi's status check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRequest {
    #[serde(rename = "LoaiBanTin")]
    pub loai_ban_tin: String,
    #[serde(rename = "PhienBan")]
    pub phien_ban: String,
    #[serde(rename = "MaDoiTac")]
    pub ma_doi_tac: String,
    #[serde(rename = "MaThamChieu")]
    pub ma_tham_chieu: String,
    /// The Init's `ThoiGianGD`.
    #[serde(rename = "ThoiGianGD")]
    pub thoi_gian_gd: String,
    #[serde(rename = "MaXacThuc")]
    pub ma_xac_thuc: String,
}

/// The signed fields of a status check, in the provincial implementation's order
/// (`LoaiBanTin|PhienBan|MaDoiTac|MaThamChieu|ThoiGianGD`).
pub fn query_fields(q: &QueryRequest) -> [&str; 5] {
    [
        &q.loai_ban_tin,
        &q.phien_ban,
        &q.ma_doi_tac,
        &q.ma_tham_chieu,
        &q.thoi_gian_gd,
    ]
}

/// The platform's answer to a status check: a Confirm's fields and `TrangThaiGD`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAnswer {
    #[serde(rename = "MaLoi")]
    pub ma_loi: Option<String>,
    #[serde(rename = "MoTaLoi", default, skip_serializing_if = "Option::is_none")]
    pub mo_ta_loi: Option<String>,
    #[serde(rename = "MaDoiTac")]
    pub ma_doi_tac: Option<String>,
    #[serde(rename = "MaThamChieu")]
    pub ma_tham_chieu: Option<String>,
    #[serde(
        rename = "TrangThaiGD",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub trang_thai_gd: Option<Text>,
    #[serde(rename = "SoTien", default, skip_serializing_if = "Option::is_none")]
    pub so_tien: Option<Text>,
    #[serde(rename = "MaTienTe", default, skip_serializing_if = "Option::is_none")]
    pub ma_tien_te: Option<String>,
    #[serde(
        rename = "MaGiaoDich",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ma_giao_dich: Option<String>,
    #[serde(
        rename = "MaNganHang",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ma_ngan_hang: Option<String>,
    #[serde(
        rename = "ThoiGianGD",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub thoi_gian_gd: Option<String>,
}

/// `MaXacThuc`: SHA-256, lowercase hex, of the message's fields in their documented order joined
/// by `|`, followed by `|` and the shared key. (An older platform version used HMAC-SHA256 under
/// the key over the same fields; the platform's operator confirms which a province gets.)
pub fn ma_xac_thuc(fields: &[&str], key: &Secret) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update(b"|");
    }
    hasher.update(key.expose());
    crate::hex_lower(&hasher.finalize())
}

/// Whether `presented` is the `MaXacThuc` of `fields` (either case), compared in constant time.
pub fn checks_out(fields: &[&str], key: &Secret, presented: &str) -> bool {
    let expected = ma_xac_thuc(fields, key);
    let presented = presented.trim().to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// Whether `raw` has the shape of a `MaXacThuc`: 64 hex digits.
pub fn well_formed(raw: &str) -> bool {
    let raw = raw.trim();
    raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}
