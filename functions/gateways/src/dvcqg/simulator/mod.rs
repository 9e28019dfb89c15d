//! A simulator of the portal's payment platform for the local stack and the end-to-end suites:
//! towards hocphi it behaves as the platform does in the sources this channel follows (see
//! [`super`]), through plain function calls ([`SimRequest`] in, [`SimResponse`] out).
//!
//! Invariants: an Init is answered with a pay URL only when it is this partner's, carries its
//! valid `MaXacThuc` and a valid amount, and names a `MaThamChieu` not seen before (the same
//! Init sent again gets the same answer); every Confirm it produces is signed as the adapter
//! verifies it, and is handed out once (a lost one is for the sweeper's status check); a status
//! check is answered only when signed and naming the transaction as its Init did (`MaThamChieu`
//! and `ThoiGianGD`). Its own refusal codes (`02`, `03`, `05`, `06`, `07`, and `01` for an unknown
//! transaction) and the citizen's cancel (`24`) are the simulator's choice: the platform's table
//! is not public.

mod page;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use hocphi_domain::Money;
use serde_json::json;

use super::wire::{self, Confirm, InitRequest, QueryRequest, Text};
use super::{Dvcqg, DvcqgConfig};
use crate::ConfigError;
use crate::simulator::{SimRequest, SimResponse, form_value, with_query};
use crate::vnpay::vn_time;
use page::{PayPage, message_page, pay_page};

/// Every path the simulator answers starts with this: point `DvcqgConfig::endpoint` here.
pub const BASE_PATH: &str = "/sim/dvcqg";
/// The page where the citizen pays, which an Init's answer sends the browser to.
pub const PAY_PATH: &str = "/sim/dvcqg/pay";
/// Where the pay page posts the citizen's choice.
pub const COMPLETE_PATH: &str = "/sim/dvcqg/complete";
/// Where hocphi receives the Confirm, under the site's origin.
pub const CALLBACK_PATH: &str = "/api/callbacks/dvcqg";
/// Where the platform returns the browser, under the site's origin (the address a province
/// registers with the platform's operator).
pub const RETURN_PATH: &str = "/ket-qua";

/// `MaLoi` of a payment the citizen made, and of one the citizen cancelled.
pub const PAID: &str = wire::OK;
pub const CANCELLED: &str = "24";
/// `LoaiBanTin` of the Confirm the simulator sends.
const CONFIRM: &str = "CONFIRM";
/// The bank the simulated citizen pays through.
const BANK: &str = "VCB";

/// A Confirm to POST as JSON, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmCall {
    pub reference: String,
    pub url: String,
    pub body: String,
}

/// The simulated platform, for one agency.
#[derive(Debug)]
pub struct DvcqgSimulator {
    /// The agency's partner code and key, held as an adapter of its own (the platform signs
    /// as the adapter verifies).
    dvcqg: Dvcqg,
    /// The site's origin: the pay page's, the Confirm's and the return's.
    origin: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    transactions: BTreeMap<String, Transaction>,
    issued: u64,
    outbox: Vec<ConfirmCall>,
}

#[derive(Debug)]
struct Transaction {
    init: InitRequest,
    amount: u64,
    result: Option<Done>,
    /// The platform waits on the citizen's bank (`TrangThaiGD` 3) until a result.
    at_bank: bool,
    /// The Init's answer, sent again for the same Init.
    answer: String,
}

#[derive(Clone, Debug)]
struct Done {
    ma_loi: &'static str,
    ma_giao_dich: String,
    thoi_gian_gd: String,
}

impl DvcqgSimulator {
    /// The first `MaGiaoDich` number handed out.
    pub const FIRST_TXN: u64 = 2_409_010_001;

    /// A simulator for the agency `config` describes, for a site served at `origin`.
    pub fn new(config: DvcqgConfig, origin: impl Into<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            dvcqg: Dvcqg::new(config)?,
            origin: origin.into().trim_end_matches('/').to_owned(),
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers one request under [`BASE_PATH`].
    pub fn handle(&self, request: &SimRequest<'_>) -> SimResponse {
        let api = request.path.strip_prefix(BASE_PATH).unwrap_or_default();
        match (request.method, request.path) {
            ("POST", _) if api == wire::INIT_PATH => self.init(request.body),
            ("POST", _) if api == wire::QUERY_PATH => self.query(request.body),
            ("GET", PAY_PATH) => match form_value(request.query.as_bytes(), "MaThamChieu") {
                Some(reference) => self.open(&reference),
                None => SimResponse::html(400, message_page("Thiếu mã tham chiếu.")),
            },
            ("POST", COMPLETE_PATH) => {
                let reference = form_value(request.body, "MaThamChieu");
                let choice = form_value(request.body, "MaLoi");
                let code = match choice.as_deref() {
                    Some(PAID) => PAID,
                    Some(CANCELLED) => CANCELLED,
                    _ => return SimResponse::html(400, message_page("Lựa chọn không hợp lệ.")),
                };
                match reference.and_then(|r| self.complete(&r, code, request.now)) {
                    Some(redirect) => SimResponse::redirect(redirect),
                    None => SimResponse::html(409, message_page("Giao dịch không chờ thanh toán.")),
                }
            }
            _ => SimResponse::html(404, message_page("Không có trang này.")),
        }
    }

    /// Makes the platform report an open transaction as waiting on the citizen's bank
    /// (`TrangThaiGD` 3) until it completes; `false` when no open transaction has this reference.
    pub fn set_at_bank(&self, reference: &str) -> bool {
        let mut state = self.state();
        match state
            .transactions
            .get_mut(reference)
            .filter(|t| t.result.is_none())
        {
            Some(transaction) => {
                transaction.at_bank = true;
                true
            }
            None => false,
        }
    }

    /// The Confirms due, each handed out once.
    pub fn take_confirms(&self) -> Vec<ConfirmCall> {
        std::mem::take(&mut self.state().outbox)
    }

    fn refusal(code: &str, text: &str) -> SimResponse {
        SimResponse::json(json!({ "MaLoi": code, "MoTaLoi": text }).to_string())
    }

    fn init(&self, body: &[u8]) -> SimResponse {
        let Ok(init) = serde_json::from_slice::<InitRequest>(body) else {
            return Self::refusal("02", "Thông điệp không hợp lệ");
        };
        if init.ma_doi_tac != self.dvcqg.partner_code {
            return Self::refusal("03", "Đối tác không hợp lệ");
        }
        if !wire::checks_out(
            &wire::init_fields(&init),
            &self.dvcqg.key,
            &init.ma_xac_thuc,
        ) {
            return Self::refusal("05", "Sai mã xác thực");
        }
        let Ok(amount) = Money::parse(&init.so_tien) else {
            return Self::refusal("06", "Số tiền không hợp lệ");
        };
        let mut state = self.state();
        if let Some(known) = state.transactions.get(&init.ma_tham_chieu) {
            if known.init == init {
                return SimResponse::json(known.answer.clone());
            }
            return Self::refusal("07", "Trùng mã tham chiếu");
        }
        let pay_url = with_query(
            &format!("{}{PAY_PATH}", self.origin),
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("MaThamChieu", &init.ma_tham_chieu)
                .finish(),
        );
        let answer = json!({
            "MaLoi": wire::OK,
            "MoTaLoi": "Thành công",
            "MaDoiTac": init.ma_doi_tac,
            "MaThamChieu": init.ma_tham_chieu,
            "SoTien": init.so_tien,
            "UrlThanhToan": pay_url,
        })
        .to_string();
        state.transactions.insert(
            init.ma_tham_chieu.clone(),
            Transaction {
                init,
                amount: amount.vnd(),
                result: None,
                at_bank: false,
                answer: answer.clone(),
            },
        );
        SimResponse::json(answer)
    }

    fn query(&self, body: &[u8]) -> SimResponse {
        let Ok(query) = serde_json::from_slice::<QueryRequest>(body) else {
            return Self::refusal("02", "Thông điệp không hợp lệ");
        };
        if query.ma_doi_tac != self.dvcqg.partner_code {
            return Self::refusal("03", "Đối tác không hợp lệ");
        }
        if !wire::checks_out(
            &wire::query_fields(&query),
            &self.dvcqg.key,
            &query.ma_xac_thuc,
        ) {
            return Self::refusal("05", "Sai mã xác thực");
        }
        let state = self.state();
        let Some(transaction) = state
            .transactions
            .get(&query.ma_tham_chieu)
            .filter(|t| t.init.thoi_gian_gd == query.thoi_gian_gd)
        else {
            return Self::refusal("01", "Không tìm thấy giao dịch");
        };
        let init = &transaction.init;
        let mut answer = wire::QueryAnswer {
            ma_loi: Some(wire::OK.to_owned()),
            mo_ta_loi: Some("Thành công".to_owned()),
            ma_doi_tac: Some(init.ma_doi_tac.clone()),
            ma_tham_chieu: Some(init.ma_tham_chieu.clone()),
            so_tien: Some(Text::Int(transaction.amount)),
            ma_tien_te: Some(wire::CURRENCY.to_owned()),
            ..wire::QueryAnswer::default()
        };
        match &transaction.result {
            Some(done) => {
                let state = if done.ma_loi == PAID {
                    wire::PAID
                } else {
                    wire::FAILED
                };
                answer.trang_thai_gd = Some(Text::Str(state.to_owned()));
                answer.ma_giao_dich = Some(done.ma_giao_dich.clone());
                answer.ma_ngan_hang = Some(BANK.to_owned());
                answer.thoi_gian_gd = Some(done.thoi_gian_gd.clone());
            }
            None if transaction.at_bank => {
                answer.trang_thai_gd = Some(Text::Str(wire::PENDING.to_owned()));
            }
            None => {}
        }
        SimResponse::json(serde_json::to_string(&answer).unwrap_or_default())
    }

    fn open(&self, reference: &str) -> SimResponse {
        let state = self.state();
        let Some(transaction) = state
            .transactions
            .get(reference)
            .filter(|t| t.result.is_none())
        else {
            return SimResponse::html(
                404,
                message_page("Không tìm thấy giao dịch đang chờ thanh toán."),
            );
        };
        let init = &transaction.init;
        SimResponse::html(
            200,
            pay_page(&PayPage {
                reference: &init.ma_tham_chieu,
                agency: &init.thong_tin_bien_lai.ma_don_vi,
                info: &init.thong_tin_giao_dich,
                amount: transaction.amount,
            }),
        )
    }

    /// Ends a transaction with `ma_loi`, queues its signed Confirm and answers where the browser
    /// returns: `{origin}/ket-qua?MaThamChieu=…&MaLoi=…`.
    fn complete(
        &self,
        reference: &str,
        ma_loi: &'static str,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let mut state = self.state();
        let number = Self::FIRST_TXN + state.issued;
        let transaction = state
            .transactions
            .get_mut(reference)
            .filter(|t| t.result.is_none())?;
        let paid = ma_loi == PAID;
        let done = Done {
            ma_loi,
            ma_giao_dich: format!("DVC{number}"),
            thoi_gian_gd: vn_time(now),
        };
        transaction.result = Some(done.clone());
        let init = transaction.init.clone();
        let amount = transaction.amount;
        state.issued += 1;
        let mut confirm = Confirm {
            loai_ban_tin: Some(CONFIRM.to_owned()),
            ma_loi: Some(ma_loi.to_owned()),
            ma_doi_tac: Some(init.ma_doi_tac.clone()),
            ma_tham_chieu: Some(init.ma_tham_chieu.clone()),
            so_tien: Some(Text::Int(amount)),
            ma_tien_te: Some(wire::CURRENCY.to_owned()),
            ma_giao_dich: paid.then(|| done.ma_giao_dich.clone()),
            ma_ngan_hang: paid.then(|| BANK.to_owned()),
            thoi_gian_gd: Some(done.thoi_gian_gd),
            thong_tin_giao_dich: Some(init.thong_tin_giao_dich.clone()),
            ma_xac_thuc: None,
        };
        confirm.ma_xac_thuc = Some(sign_confirm(&confirm, &self.dvcqg));
        state.outbox.push(ConfirmCall {
            reference: init.ma_tham_chieu.clone(),
            url: format!("{}{CALLBACK_PATH}", self.origin),
            body: serde_json::to_string(&confirm).ok()?,
        });
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("MaThamChieu", &init.ma_tham_chieu)
            .append_pair("MaLoi", ma_loi)
            .finish();
        Some(with_query(&format!("{}{RETURN_PATH}", self.origin), &query))
    }
}

/// The `MaXacThuc` of a Confirm under the agency's key.
fn sign_confirm(confirm: &Confirm, dvcqg: &Dvcqg) -> String {
    let fields = wire::confirm_fields(confirm);
    let fields: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
    wire::ma_xac_thuc(&fields, &dvcqg.key)
}

#[cfg(test)]
mod tests;
