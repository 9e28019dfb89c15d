//! The national public-service portal's payment platform (Nền tảng thanh toán của Cổng Dịch vụ
//! công quốc gia) as a redirect channel: Init, the citizen pays on the platform, Confirm, and a
//! status check for the sweeper.
//!
//! No public specification exists; the province receives it from the platform's operator. Two
//! independent open-source implementations show the messages: the one-stop system OpenCPS
//! (github.com/VietOpenCPS/opencps-v2, `modules/pay-gate-integration`: `PayGateTerm`,
//! `PayGateUtil`, `PayGateIntegrationActionImpl`) and a provincial one-stop API that uses the
//! platform as a payment channel (`TD.DichVuCongApi`, public copy at
//! github.com/HuanVu201/DichVuCong_KhoaLuan_PASETO, `DichVuCongApi/src`: `DvcPaymentService`,
//! `ConfirmDvcPaymentCommandHandler`, `TaskGiaoDichThanhToanServices`). What hocphi takes from
//! them, and what it assumes where they are silent or disagree:
//! - Init is a JSON POST whose answer carries the pay URL (`UrlThanhToan`), not a signed
//!   redirect: both sources call the platform and read its answer. The answer is read flat
//!   (`MaLoi` `00`, OpenCPS) or in the provincial implementation's wrapper (`error_code` `0`,
//!   `message` holding the flat answer as a JSON string). *Assumed*: the paths [`wire::INIT_PATH`]
//!   and [`wire::QUERY_PATH`] under one configured endpoint (the sources configure whole URLs).
//! - `MaXacThuc` is SHA-256 hex of the fields joined by `|` with `|key` appended
//!   ([`wire::ma_xac_thuc`]); the field orders are [`wire::init_fields`] (both sources agree),
//!   [`wire::confirm_fields`] (the provincial implementation and OpenCPS's later version agree; an
//!   earlier OpenCPS draft used HMAC over fewer fields and never enforced it) and
//!   [`wire::query_fields`] (the provincial implementation).
//! - `ThoiGianGD` is `yyyyMMddHHmmss` in Asia/Ho_Chi_Minh; the Init's is the payment's creation
//!   time, so the sweeper's status check can name the same transaction. (The provincial
//!   implementation formats `hh`, a 12-hour clock; hocphi uses the 24-hour clock OpenCPS uses.)
//! - *Assumed*: `Ip` is the parent's address (both sources send their own server's; the field's
//!   meaning is not documented); `ThongTinBienLai` names the school and the payment, with no payer
//!   name (hocphi does not know who pays) and no `PhiLePhi` line (tuition is not a fee or charge).
//! - *Assumed*: Init carries no return address (neither source sends one): the province registers
//!   `{site}/ket-qua` with the platform's operator, which returns the browser there with
//!   `MaThamChieu`, the payment reference. The return is display only:
//!   [`crate::Gateway::verify_return`] refuses it, and the page asks hocphi for the payment's
//!   status.
//! - Confirm's `MaLoi` `00` is paid; any other code is a final failure (the provincial
//!   implementation marks it failed). hocphi's reply is HTTP 200 `{"MaLoi", "MoTaLoi",
//!   "MaDoiTac"}` with `00` once handled (OpenCPS answers `00`/`99` in that shape, the provincial
//!   implementation echoes `MaLoi`); *assumed*: `01` unknown payment, `04` amount mismatch, `97`
//!   (HTTP 400) a bad checksum, `99` (HTTP 500) try again.
//! - The status check answers `TrangThaiGD` `1` paid, `3` pending at a bank (money may be in
//!   flight: never expired), `4` failed. *Assumed*: no `TrangThaiGD` means nothing paid yet, any
//!   other value a state to wait on, and a `MaLoi` other than `00` a refused check (the payment
//!   is left as it is). The answer is not checked for a checksum (neither source checks one): it
//!   rests on the HTTPS exchange hocphi opened; an answer that says paid must name this partner
//!   (`MaDoiTac`) and this payment (`MaThamChieu`), or nothing is settled by it.
//!
//! Invariants: a Confirm's checksum is checked in constant time over the exact fields received
//! before any value in it is interpreted; a duplicated field rejects it; `MaDoiTac` must be the
//! configured partner code; the key never leaves the process and is never printed.

#[cfg(any(test, feature = "simulators"))]
pub mod simulator;
pub mod wire;

use std::borrow::Cow;
use std::time::Duration;

use hocphi_domain::{
    GatewayCode, GatewayEvent, GatewayKind, GatewayTxnNo, Money, Payment, PaymentRef,
};

use crate::text::plain_text;
use crate::vnpay::{parse_vn_time, vn_time};
use crate::{
    ApiRequest, CallbackOutcome, CheckoutContext, CheckoutError, ConfigError, Locale, Notification,
    Outcome, QueryAnswer, QueryContext, QueryError, QueryStatus, Reply, Secret, Verified,
    VerifyError,
};
use wire::{Confirm, ConfirmReply, InitAnswer, InitRequest, QueryRequest};

/// What it takes to talk to the platform as one collecting agency.
#[derive(Debug)]
pub struct DvcqgConfig {
    /// `MaDoiTac`, issued by the platform's operator.
    pub partner_code: String,
    /// The shared key of `MaXacThuc`.
    pub hash_key: Secret,
    /// The platform's base URL; Init and the status check are under it.
    pub endpoint: String,
}

/// A configured agency at the platform.
#[derive(Debug)]
pub struct Dvcqg {
    partner_code: String,
    key: Secret,
    init_url: String,
    query_url: String,
}

impl Dvcqg {
    /// The longest `ThongTinGiaoDich` hocphi sends (no limit is documented).
    pub const INFO_MAX: usize = 200;
    /// How long hocphi waits for the answer to Init: the most a checkout leaves for a gateway
    /// call, as for MoMo's create call ([`crate::Momo::CREATE_TIMEOUT`]).
    pub const INIT_TIMEOUT: Duration = Duration::from_secs(25);

    /// Checks the configuration.
    pub fn new(config: DvcqgConfig) -> Result<Self, ConfigError> {
        if config.partner_code.is_empty()
            || config.partner_code.len() > 50
            || !config
                .partner_code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ConfigError::Invalid {
                field: "MaDoiTac",
                reason: "must be 1 to 50 ASCII letters, digits, '-', '_' or '.'",
            });
        }
        let endpoint = config.endpoint.trim_end_matches('/');
        if !crate::acceptable_url(endpoint) || endpoint.contains('?') {
            return Err(ConfigError::Invalid {
                field: "endpoint",
                reason: "must be an https URL (http only for loopback) without a query",
            });
        }
        Ok(Self {
            init_url: format!("{endpoint}{}", wire::INIT_PATH),
            query_url: format!("{endpoint}{}", wire::QUERY_PATH),
            partner_code: config.partner_code,
            key: config.hash_key,
        })
    }

    /// `MaDoiTac`.
    pub fn partner_code(&self) -> &str {
        &self.partner_code
    }

    /// The Init for a payment: `MaThamChieu` is its reference, `ThoiGianGD` its creation time.
    pub fn init_request(
        &self,
        payment: &Payment,
        ctx: &CheckoutContext,
    ) -> Result<ApiRequest, CheckoutError> {
        CheckoutError::unless_for(payment, GatewayKind::Dvcqg)?;
        if ctx.now >= payment.expires_at {
            return Err(CheckoutError::Expired);
        }
        let info = match plain_text(&ctx.order_info, Self::INFO_MAX) {
            plain if plain.is_empty() => format!("Thanh toan hoc phi {}", payment.reference),
            plain => plain,
        };
        let amount = payment.amount.vnd().to_string();
        let mut request = InitRequest {
            loai_ban_tin: wire::INIT.to_owned(),
            phien_ban: wire::VERSION.to_owned(),
            ma_doi_tac: self.partner_code.clone(),
            ma_tham_chieu: payment.reference.as_str().to_owned(),
            so_tien: amount.clone(),
            loai_hinh_thanh_toan: wire::PAYMENT_KIND.to_owned(),
            ma_kenh_thanh_toan: wire::CHANNEL.to_owned(),
            ma_thiet_bi: wire::DEVICE.to_owned(),
            ngon_ngu: language(ctx.locale).to_owned(),
            ma_tien_te: wire::CURRENCY.to_owned(),
            ma_ngan_hang: wire::ANY_BANK.to_owned(),
            thong_tin_giao_dich: info.clone(),
            thoi_gian_gd: vn_time(payment.created_at),
            ip: ctx.client_ip.to_string(),
            thong_tin_bien_lai: wire::ReceiptInfo {
                ma_dich_vu: wire::SERVICE_FEE.to_owned(),
                ma_don_vi: payment.school.as_str().to_owned(),
                ma_ho_so: payment.reference.as_str().to_owned(),
                noi_dung_thanh_toan: info.clone(),
                ho_ten_nguoi_nop: String::new(),
                phi_le_phi: Vec::new(),
                ds_khoan_nop: vec![wire::Item {
                    noi_dung: info,
                    so_tien: amount,
                }],
            },
            ma_xac_thuc: String::new(),
        };
        request.ma_xac_thuc = wire::ma_xac_thuc(&wire::init_fields(&request), &self.key);
        let body = serde_json::to_string(&request).map_err(CheckoutError::Encode)?;
        Ok(ApiRequest::post_json(
            &self.init_url,
            body,
            Self::INIT_TIMEOUT,
        ))
    }

    /// The pay URL from the platform's answer to [`Dvcqg::init_request`], once the answer is a
    /// success about this very payment.
    pub fn init_response(&self, payment: &Payment, body: &[u8]) -> Result<String, CheckoutError> {
        let answer: InitAnswer = serde_json::from_slice(body).map_err(CheckoutError::Malformed)?;
        let answer = match (&answer.ma_loi, &answer.error_code) {
            (None, Some(code)) if code == "0" => {
                let inner: InitAnswer =
                    serde_json::from_str(answer.message.as_deref().unwrap_or(""))
                        .map_err(CheckoutError::Malformed)?;
                if inner.ma_loi.as_deref().is_some_and(|code| code != wire::OK) {
                    return Err(refused(inner.ma_loi.as_deref()));
                }
                inner
            }
            (None, Some(code)) => return Err(refused(Some(code))),
            (Some(code), _) if code == wire::OK => answer,
            (code, _) => return Err(refused(code.as_deref())),
        };
        let same_partner = answer
            .ma_doi_tac
            .as_deref()
            .is_none_or(|p| p == self.partner_code);
        let same_payment = answer
            .ma_tham_chieu
            .as_deref()
            .is_none_or(|r| r == payment.reference.as_str());
        let same_amount = answer
            .so_tien
            .as_ref()
            .is_none_or(|a| Money::parse(&a.to_text()).ok() == Some(payment.amount));
        if !(same_partner && same_payment && same_amount) {
            return Err(CheckoutError::Mismatch);
        }
        answer
            .url_thanh_toan
            .filter(|url| crate::acceptable_url(url) || url.starts_with("https://"))
            .ok_or(CheckoutError::Mismatch)
    }

    /// Verifies a Confirm over the body the platform POSTed.
    pub fn verify_confirm(&self, body: &[u8]) -> Result<Verified<Notification>, VerifyError> {
        let confirm: Confirm = serde_json::from_slice(body).map_err(VerifyError::NotJson)?;
        let presented = confirm
            .ma_xac_thuc
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or(VerifyError::MissingSignature)?;
        if !wire::well_formed(presented) {
            return Err(VerifyError::MalformedSignature);
        }
        let fields = wire::confirm_fields(&confirm);
        let fields: Vec<&str> = fields.iter().map(Cow::as_ref).collect();
        if !wire::checks_out(&fields, &self.key, presented) {
            return Err(VerifyError::BadSignature);
        }
        if confirm.ma_doi_tac.as_deref() != Some(self.partner_code.as_str()) {
            return Err(VerifyError::WrongMerchant);
        }
        let reference = PaymentRef::parse(required(&confirm.ma_tham_chieu, "MaThamChieu")?)
            .map_err(|_| VerifyError::UnknownReference)?;
        let amount = confirm
            .so_tien
            .as_ref()
            .map(wire::Text::to_text)
            .filter(|a| !a.is_empty())
            .ok_or(VerifyError::MissingField("SoTien"))?;
        let amount = Money::parse(&amount).map_err(|_| VerifyError::InvalidAmount)?;
        if !confirm
            .ma_tien_te
            .as_deref()
            .is_none_or(|c| c.is_empty() || c == wire::CURRENCY)
        {
            return Err(VerifyError::InvalidField("MaTienTe"));
        }
        let code = required(&confirm.ma_loi, "MaLoi")?;
        let txn = txn(confirm.ma_giao_dich.as_deref())
            .map_err(|()| VerifyError::InvalidField("MaGiaoDich"))?;
        let outcome = if code == wire::OK {
            Outcome::Final(GatewayEvent::Paid {
                txn: txn.ok_or(VerifyError::MissingField("MaGiaoDich"))?,
                amount,
            })
        } else {
            Outcome::Final(GatewayEvent::Declined {
                txn,
                code: GatewayCode::parse(code).map_err(|_| VerifyError::InvalidField("MaLoi"))?,
            })
        };
        Ok(Verified::new(Notification {
            gateway: GatewayKind::Dvcqg,
            reference,
            amount,
            paid_at: confirm.thoi_gian_gd.as_deref().and_then(parse_vn_time),
            outcome,
        }))
    }

    /// hocphi's reply to a Confirm: HTTP 200 with `MaLoi` `00` once it is handled, whatever its
    /// result; `01` for a payment hocphi does not have, `04` for another amount (recorded for an
    /// operator); HTTP 400 `97` for a Confirm that failed verification and HTTP 500 `99` when
    /// hocphi could not handle it now, so the platform sees that it was not taken.
    pub fn reply(&self, outcome: CallbackOutcome) -> Reply {
        let (status, code, text) = match outcome {
            CallbackOutcome::Recorded
            | CallbackOutcome::AlreadyFinal
            | CallbackOutcome::NotFinal => (200, wire::OK, "Thành công"),
            CallbackOutcome::UnknownPayment => {
                (200, wire::UNKNOWN_TRANSACTION, "Không tìm thấy giao dịch")
            }
            CallbackOutcome::AmountMismatch => (
                200,
                wire::AMOUNT_MISMATCH,
                "Số tiền không khớp với giao dịch; đã ghi nhận để xử lý",
            ),
            CallbackOutcome::Rejected => (
                400,
                wire::BAD_CHECKSUM,
                "Mã xác thực không đúng hoặc thông điệp không hợp lệ",
            ),
            CallbackOutcome::Unavailable => (
                500,
                wire::TRY_AGAIN,
                "Hệ thống đang bận, vui lòng gửi lại sau",
            ),
        };
        let body = ConfirmReply {
            ma_loi: code.to_owned(),
            mo_ta_loi: text.to_owned(),
            ma_doi_tac: self.partner_code.clone(),
        };
        Reply {
            status,
            content_type: Some("application/json; charset=utf-8"),
            body: serde_json::to_string(&body).unwrap_or_default(),
        }
    }

    /// The status check for a payment, naming the transaction as its Init did.
    pub fn query_request(
        &self,
        payment: &Payment,
        _ctx: &QueryContext,
    ) -> Result<ApiRequest, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Dvcqg)?;
        let mut request = QueryRequest {
            loai_ban_tin: wire::QUERY.to_owned(),
            phien_ban: wire::VERSION.to_owned(),
            ma_doi_tac: self.partner_code.clone(),
            ma_tham_chieu: payment.reference.as_str().to_owned(),
            thoi_gian_gd: vn_time(payment.created_at),
            ma_xac_thuc: String::new(),
        };
        request.ma_xac_thuc = wire::ma_xac_thuc(&wire::query_fields(&request), &self.key);
        let body = serde_json::to_string(&request).map_err(QueryError::Encode)?;
        Ok(ApiRequest::post_json(
            &self.query_url,
            body,
            crate::QUERY_TIMEOUT,
        ))
    }

    /// Reads the platform's answer to [`Dvcqg::query_request`].
    pub fn query_response(
        &self,
        payment: &Payment,
        body: &[u8],
    ) -> Result<Verified<QueryAnswer>, QueryError> {
        QueryError::unless_for(payment, GatewayKind::Dvcqg)?;
        let answer: wire::QueryAnswer =
            serde_json::from_slice(body).map_err(QueryError::Malformed)?;
        if answer
            .ma_doi_tac
            .as_deref()
            .is_some_and(|p| !p.is_empty() && p != self.partner_code)
        {
            return Err(QueryError::WrongMerchant);
        }
        if answer
            .ma_tham_chieu
            .as_deref()
            .is_some_and(|r| !r.is_empty() && r != payment.reference.as_str())
        {
            return Err(QueryError::WrongPayment);
        }
        match answer.ma_loi.as_deref() {
            Some(wire::OK) => {}
            Some(code) => {
                return Err(QueryError::Refused {
                    code: code.chars().take(16).collect(),
                });
            }
            None => return Err(QueryError::InvalidField("MaLoi")),
        }
        let state = answer.trang_thai_gd.as_ref().map(wire::Text::to_text);
        let txn = || {
            txn(answer.ma_giao_dich.as_deref()).map_err(|()| QueryError::InvalidField("MaGiaoDich"))
        };
        let status = match state.as_deref().map(str::trim) {
            None | Some("") => QueryStatus::Pending,
            Some(wire::PAID) => {
                if answer.ma_doi_tac.as_deref() != Some(self.partner_code.as_str()) {
                    return Err(QueryError::WrongMerchant);
                }
                if answer.ma_tham_chieu.as_deref() != Some(payment.reference.as_str()) {
                    return Err(QueryError::WrongPayment);
                }
                if !answer
                    .ma_tien_te
                    .as_deref()
                    .is_none_or(|c| c.is_empty() || c == wire::CURRENCY)
                {
                    return Err(QueryError::InvalidField("MaTienTe"));
                }
                QueryStatus::Paid {
                    txn: txn()?.ok_or(QueryError::InvalidField("MaGiaoDich"))?,
                    amount: answer
                        .so_tien
                        .as_ref()
                        .and_then(|a| Money::parse(&a.to_text()).ok())
                        .ok_or(QueryError::InvalidField("SoTien"))?,
                    paid_at: answer.thoi_gian_gd.as_deref().and_then(parse_vn_time),
                }
            }
            Some(wire::FAILED) => QueryStatus::Failed {
                txn: txn()?,
                code: state_code(wire::FAILED)?,
            },
            Some(other) => QueryStatus::InProgress {
                code: state_code(other)?,
            },
        };
        Ok(Verified::new(QueryAnswer {
            gateway: GatewayKind::Dvcqg,
            reference: payment.reference.clone(),
            status,
        }))
    }
}

fn refused(code: Option<&str>) -> CheckoutError {
    CheckoutError::Refused {
        code: code.unwrap_or("").chars().take(16).collect(),
    }
}

fn required<'v>(value: &'v Option<String>, name: &'static str) -> Result<&'v str, VerifyError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(VerifyError::MissingField(name))
}

/// `MaGiaoDich`, where an empty value means none.
fn txn(raw: Option<&str>) -> Result<Option<GatewayTxnNo>, ()> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => GatewayTxnNo::parse(raw).map(Some).map_err(|_| ()),
    }
}

/// A `TrangThaiGD` as the code kept with the payment.
fn state_code(raw: &str) -> Result<GatewayCode, QueryError> {
    GatewayCode::parse(raw).map_err(|_| QueryError::InvalidField("TrangThaiGD"))
}

/// `NgonNgu`: `vi-VN` as the provincial implementation sends it; `en-US` assumed.
fn language(locale: Locale) -> &'static str {
    match locale {
        Locale::Vietnamese => "vi-VN",
        Locale::English => "en-US",
    }
}

#[cfg(test)]
mod tests;
