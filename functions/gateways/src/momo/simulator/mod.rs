//! A MoMo simulator for the local stack: towards hocphi it behaves as MoMo's AIO v2 does, through
//! plain function calls ([`SimRequest`] in, [`SimResponse`] out, the types every simulator
//! shares).
//!
//! Invariants: a create request is answered with a pay URL only when it is this partner's, signed
//! with its secret key, within MoMo's amount limits and for an `orderId` not seen before, and the
//! same request sent again (same `requestId`) gets the same answer, as MoMo's idempotency promises
//! for a final result; an order waiting for the parent ends with `1005` once its
//! `orderExpireTime` has passed; every IPN and redirect it produces is signed as MoMo signs them,
//! so hocphi's own adapter verifies them; each IPN is handed out once, as MoMo sends it (a lost
//! one is for the sweeper's query).

mod page;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::wire::{self, CreateRequest, Ipn, Number, QueryRequest};
use super::{IpnFields, Momo, MomoConfig};
use crate::ConfigError;
use crate::simulator::{SimRequest, SimResponse, form_value, with_query};
use page::{PayPage, message_page, pay_page};

/// Every path the simulator answers starts with this: point `MomoConfig::endpoint` here.
pub const BASE_PATH: &str = "/sim/momo";
/// The pay page a create answer sends the parent to.
pub const PAY_PATH: &str = "/sim/momo/pay";
/// Where the pay page posts the parent's choice.
pub const COMPLETE_PATH: &str = "/sim/momo/complete";

/// `resultCode` of a paid order.
const PAID: u64 = 0;
/// `resultCode` of an order the parent declined in the app.
const USER_DECLINED: u64 = 1006;
/// `resultCode` of an order waiting for the parent to confirm.
const AWAITING_USER: u64 = 1000;
/// `resultCode` of an order whose pay link expired.
const LINK_EXPIRED: u64 = 1005;
/// The simulator's pay-link lifetime when a create request names none.
const DEFAULT_EXPIRE_MINUTES: u64 = 15;

/// An IPN to POST as JSON, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpnCall {
    pub order_id: String,
    pub url: String,
    pub body: String,
}

/// The simulated MoMo partner.
#[derive(Debug)]
pub struct MomoSimulator {
    /// The partner's credentials, held as an adapter of its own (MoMo signs as the adapter
    /// verifies).
    momo: Momo,
    /// The site's origin, for the pay URL.
    origin: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    orders: BTreeMap<String, Order>,
    issued: u64,
    outbox: Vec<IpnCall>,
}

#[derive(Debug)]
struct Order {
    request: CreateRequest,
    result: Option<Done>,
    /// The code a query answers while the order has no result: `1000` (waiting for the
    /// parent) unless [`MomoSimulator::set_processing`] says otherwise.
    processing: u64,
    /// When the pay link stops working for an order still waiting for the parent.
    expires_at: DateTime<Utc>,
    /// The create answer, sent again for the same request.
    answer: String,
}

impl Order {
    /// The code of an order without a result: the processing code, or `1005` once the link
    /// of an order waiting for the parent has expired.
    fn open_code(&self, now: DateTime<Utc>) -> u64 {
        if self.processing == AWAITING_USER && now >= self.expires_at {
            LINK_EXPIRED
        } else {
            self.processing
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Done {
    result_code: u64,
    trans_id: u64,
    response_time: i64,
}

impl MomoSimulator {
    /// The first `transId` handed out.
    pub const FIRST_TRANS_ID: u64 = 4_088_878_653;

    /// A simulator for the partner `config` describes, serving pay pages under `origin`.
    pub fn new(config: MomoConfig, origin: impl Into<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            momo: Momo::new(config)?,
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
            ("POST", _) if api == wire::CREATE_PATH => self.create(request.body, request.now),
            ("POST", _) if api == wire::QUERY_PATH => self.query(request.body, request.now),
            ("GET", PAY_PATH) => match form_value(request.query.as_bytes(), "orderId") {
                Some(order_id) => self.open(&order_id, request.now),
                None => SimResponse::html(400, message_page("Thiếu mã đơn hàng.")),
            },
            ("POST", COMPLETE_PATH) => {
                let order = form_value(request.body, "orderId");
                let code = form_value(request.body, "resultCode").and_then(|c| c.parse().ok());
                match (order, code) {
                    (Some(order), Some(code @ (PAID | USER_DECLINED))) => {
                        match self.complete(&order, code, request.now) {
                            Some(redirect) => SimResponse::redirect(redirect),
                            None => SimResponse::html(
                                409,
                                message_page("Đơn hàng không chờ thanh toán."),
                            ),
                        }
                    }
                    _ => SimResponse::html(400, message_page("Lựa chọn không hợp lệ.")),
                }
            }
            _ => SimResponse::html(404, message_page("Không có trang này.")),
        }
    }

    /// Makes MoMo report an open order as still being processed with `result_code` (`7000`,
    /// `7002`, `8000`, `9000`, or a code outside MoMo's table) until it completes; `false` when
    /// no open order has this id.
    pub fn set_processing(&self, order_id: &str, result_code: u64) -> bool {
        let mut state = self.state();
        match state
            .orders
            .get_mut(order_id)
            .filter(|o| o.result.is_none())
        {
            Some(order) => {
                order.processing = result_code;
                true
            }
            None => false,
        }
    }

    /// The IPNs due, each handed out once.
    pub fn take_ipns(&self) -> Vec<IpnCall> {
        std::mem::take(&mut self.state().outbox)
    }

    fn create(&self, body: &[u8], now: DateTime<Utc>) -> SimResponse {
        let answer = |code: u64, message: &str| {
            SimResponse::json(json!({ "resultCode": code, "message": message }).to_string())
        };
        let Ok(request) = serde_json::from_slice::<CreateRequest>(body) else {
            return answer(20, "Bad format request.");
        };
        if request.partner_code != self.momo.partner_code {
            return answer(11, "Access denied.");
        }
        let message = self.momo.create_message(&request);
        if self
            .momo
            .key
            .verify_hex(message.as_bytes(), &request.signature)
            .is_err()
        {
            return answer(13, "Merchant authentication failed.");
        }
        if !valid_order_id(&request.order_id) {
            return answer(20, "Bad format request.");
        }
        let (min, max) = self.momo.request_type.limits();
        if !(min..=max).contains(&request.amount) {
            return answer(21, "Invalid amount.");
        }
        let mut state = self.state();
        if let Some(order) = state.orders.get(&request.order_id) {
            if order.request.request_id == request.request_id
                && order.request.amount == request.amount
            {
                return SimResponse::json(order.answer.clone());
            }
            return answer(41, "Duplicated orderId.");
        }
        let expires_at = i64::try_from(request.order_expire_time.unwrap_or(DEFAULT_EXPIRE_MINUTES))
            .ok()
            .and_then(Duration::try_minutes)
            .and_then(|lifetime| now.checked_add_signed(lifetime))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let pay_url = with_query(
            &format!("{}{PAY_PATH}", self.origin),
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("orderId", &request.order_id)
                .finish(),
        );
        let reply = json!({
            "partnerCode": request.partner_code,
            "orderId": request.order_id,
            "requestId": request.request_id,
            "amount": request.amount,
            "responseTime": 0,
            "message": "Thành công.",
            "resultCode": PAID,
            "payUrl": pay_url,
        });
        let reply = reply.to_string();
        state.orders.insert(
            request.order_id.clone(),
            Order {
                request,
                result: None,
                processing: AWAITING_USER,
                expires_at,
                answer: reply.clone(),
            },
        );
        SimResponse::json(reply)
    }

    fn query(&self, body: &[u8], now: DateTime<Utc>) -> SimResponse {
        let Ok(request) = serde_json::from_slice::<QueryRequest>(body) else {
            return SimResponse::json(json!({ "resultCode": 20 }).to_string());
        };
        let message = self
            .momo
            .query_message(&request.order_id, &request.request_id);
        if request.partner_code != self.momo.partner_code
            || self
                .momo
                .key
                .verify_hex(message.as_bytes(), &request.signature)
                .is_err()
        {
            return SimResponse::json(json!({ "resultCode": 13 }).to_string());
        }
        let state = self.state();
        let reply = match state.orders.get(&request.order_id) {
            None => json!({
                "partnerCode": request.partner_code,
                "orderId": request.order_id,
                "resultCode": 42,
            }),
            Some(order) => {
                let done = order.result;
                json!({
                    "partnerCode": request.partner_code,
                    "orderId": request.order_id,
                    "amount": order.request.amount,
                    "transId": done.map_or(0, |d| d.trans_id),
                    "resultCode": done.map_or_else(|| order.open_code(now), |d| d.result_code),
                    "responseTime": done.map_or(0, |d| d.response_time),
                })
            }
        };
        SimResponse::json(reply.to_string())
    }

    fn open(&self, order_id: &str, now: DateTime<Utc>) -> SimResponse {
        let state = self.state();
        let Some(order) = state
            .orders
            .get(order_id)
            .filter(|o| o.result.is_none() && o.open_code(now) != LINK_EXPIRED)
        else {
            return SimResponse::html(
                404,
                message_page("Không tìm thấy đơn hàng đang chờ thanh toán."),
            );
        };
        let r = &order.request;
        let html = pay_page(&PayPage {
            order_id: &r.order_id,
            order_info: &r.order_info,
            amount: r.amount,
            paid: PAID,
            declined: USER_DECLINED,
        });
        SimResponse::html(200, html)
    }

    /// Ends an order with `result_code`, queues its IPN and answers the signed redirect URL.
    fn complete(&self, order_id: &str, result_code: u64, now: DateTime<Utc>) -> Option<String> {
        let mut state = self.state();
        let trans_id = Self::FIRST_TRANS_ID + state.issued;
        let order = state
            .orders
            .get_mut(order_id)
            .filter(|o| o.result.is_none() && o.open_code(now) != LINK_EXPIRED)?;
        let done = Done {
            result_code,
            trans_id,
            response_time: now.timestamp_millis(),
        };
        order.result = Some(done);
        let r = order.request.clone();
        state.issued += 1;
        let message = if result_code == PAID {
            "Thành công."
        } else {
            "Giao dịch bị từ chối bởi người dùng."
        };
        let mut ipn = Ipn {
            partner_code: Some(r.partner_code.clone()),
            order_id: Some(r.order_id.clone()),
            request_id: Some(r.request_id.clone()),
            amount: Some(Number::Int(r.amount)),
            order_info: Some(r.order_info.clone()),
            order_type: Some("momo_wallet".into()),
            trans_id: Some(Number::Int(trans_id)),
            result_code: Some(Number::Int(result_code)),
            message: Some(message.into()),
            pay_type: Some("qr".into()),
            response_time: Some(Number::Int(
                u64::try_from(done.response_time).unwrap_or_default(),
            )),
            extra_data: Some(r.extra_data.clone()),
            signature: None,
        };
        let signed = self.momo.ipn_message(&IpnFields::of(&ipn));
        ipn.signature = Some(self.momo.key.sign_hex(signed.as_bytes()));
        let body = serde_json::to_value(&ipn).ok()?;
        state.outbox.push(IpnCall {
            order_id: r.order_id.clone(),
            url: r.ipn_url.clone(),
            body: body.to_string(),
        });
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(body.as_object()?.iter().map(|(key, value)| {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                (key.clone(), text)
            }))
            .finish();
        Some(with_query(&r.redirect_url, &query))
    }
}

/// MoMo's `orderId` pattern, `^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$`.
fn valid_order_id(id: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alnum(id.chars().next())
        && alnum(id.chars().last())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests;
