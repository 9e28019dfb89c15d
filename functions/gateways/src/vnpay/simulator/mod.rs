//! A VNPay simulator for the local stack and end-to-end tests: it behaves towards hocphi as VNPay
//! does, through plain function calls.
//!
//! It is transport-free and deterministic: time is passed in, nothing sleeps and nothing opens a
//! socket. [`Simulator::handle`] takes a [`SimRequest`] and returns a [`SimResponse`] (the types
//! every simulator shares), so any HTTP server can mount it under [`BASE_PATH`]; IPN delivery
//! is a state machine ([`Simulator::next_delivery`], [`Simulator::record_reply`]) that a driver
//! runs with its own clock and HTTP client.
//!
//! Invariants: a payment URL is refused as VNPay refuses it (unknown terminal, wrong signature,
//! malformed or expired fields, a reused reference); every IPN, return URL and querydr answer it
//! produces is signed with the terminal's secret exactly as VNPay signs it; an IPN is delivered
//! until it is answered `00` or `02`, at most `max_deliveries` times, `retry_interval` apart.

mod page;

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};
use hocphi_domain::Money;

use super::query::{SignedQuery, signed_query};
use super::wire::{
    self, IpnReply, QueryDrRequest, QueryDrResponse, QueryResponseCode, ResponseCode, Text,
    TransactionStatus, field,
};
use super::{parse_amount_x100, parse_vn_time, pipe_join, vn_time};
use crate::signing::Sha512Key;
use crate::simulator::{SimRequest, SimResponse, form_value, with_query};
use crate::{ConfigError, Secret, VerifyError};

/// Every path the simulator answers starts with this.
pub const BASE_PATH: &str = "/sim/vnpay";
/// The payment page (VNPay's `/paymentv2/vpcpay.html`): point `VnpayConfig::pay_url` here.
pub const PAY_PATH: &str = "/sim/vnpay/paymentv2/vpcpay.html";
/// Where a refused payment URL is redirected, with `?code=NN`.
pub const ERROR_PATH: &str = "/sim/vnpay/paymentv2/Payment/Error.html";
/// Where the pay page posts the parent's choice.
pub const COMPLETE_PATH: &str = "/sim/vnpay/complete";
/// The querydr API (VNPay's `/merchant_webapi/api/transaction`): point `VnpayConfig::api_url` here.
pub const API_PATH: &str = "/sim/vnpay/merchant_webapi/api/transaction";

/// The simulated terminal.
#[derive(Debug)]
pub struct SimulatorConfig {
    /// The one terminal the simulator knows.
    pub tmn_code: String,
    pub hash_secret: Secret,
    /// The IPN URL registered for the terminal (VNPay keeps it in its portal, not in requests).
    pub ipn_url: String,
    /// Time between IPN calls: VNPay waits [`SimulatorConfig::VNPAY_RETRY_INTERVAL`]; a local
    /// stack compresses it (200 ms, say).
    pub retry_interval: Duration,
    /// Most IPN calls per transaction: VNPay makes [`SimulatorConfig::VNPAY_MAX_DELIVERIES`].
    pub max_deliveries: u32,
}

impl SimulatorConfig {
    /// VNPay's interval between IPN calls.
    pub const VNPAY_RETRY_INTERVAL: Duration = Duration::minutes(5);
    /// VNPay's limit on IPN calls for one transaction.
    pub const VNPAY_MAX_DELIVERIES: u32 = 10;
}

/// Why the simulator refuses a payment URL, with VNPay's error-page code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("01: the transaction already exists")]
    TransactionExists,
    #[error("02: the merchant (vnp_TmnCode) is not valid")]
    InvalidMerchant,
    #[error("03: {0} is missing or malformed")]
    InvalidFormat(&'static str),
    #[error("11: the time to pay has run out")]
    Expired,
    #[error("70: the signature is wrong")]
    InvalidSignature,
}

impl Refusal {
    /// The code VNPay's error page shows.
    pub fn code(self) -> &'static str {
        match self {
            Self::TransactionExists => "01",
            Self::InvalidMerchant => "02",
            Self::InvalidFormat(_) => "03",
            Self::Expired => "11",
            Self::InvalidSignature => "70",
        }
    }

    /// The Vietnamese message for an error-page code.
    pub fn message_vi(code: &str) -> &'static str {
        match code {
            "01" => "Giao dịch đã tồn tại",
            "02" => "Merchant không hợp lệ (kiểm tra lại vnp_TmnCode)",
            "03" => "Dữ liệu gửi sang không đúng định dạng",
            "11" => "Giao dịch đã hết hạn chờ thanh toán",
            "70" => "Sai chữ ký",
            _ => "Giao dịch không thành công",
        }
    }
}

/// Why a completion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("no transaction has this reference")]
    UnknownTransaction,
    #[error("the transaction is already completed")]
    AlreadyCompleted,
    #[error("the form does not name a transaction and a valid choice")]
    InvalidForm,
}

/// What the parent chooses on the pay page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Pay: `00`/`00`.
    Pay,
    /// Fail with this response code (`51` insufficient balance, `24` cancelled, ...).
    Decline(ResponseCode),
}

impl Choice {
    /// The form value: the response code itself (`00` pays; any other documented code declines).
    pub fn parse(raw: &str) -> Option<Self> {
        match ResponseCode::parse(raw) {
            ResponseCode::Success => Some(Self::Pay),
            ResponseCode::Other(_) => None,
            code @ (ResponseCode::DebitedSuspicious
            | ResponseCode::NotRegisteredForInternetBanking
            | ResponseCode::VerificationFailedTooOften
            | ResponseCode::PaymentTimedOut
            | ResponseCode::CardLocked
            | ResponseCode::WrongOtp
            | ResponseCode::CustomerCancelled
            | ResponseCode::InsufficientBalance
            | ResponseCode::DailyLimitExceeded
            | ResponseCode::BankMaintenance
            | ResponseCode::WrongPasswordTooOften
            | ResponseCode::OtherError) => Some(Self::Decline(code)),
        }
    }
}

/// Where the browser and the IPN go once the parent has chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The merchant's return URL with the signed result.
    pub return_url: String,
    /// The IPN call (the registered IPN URL with the same signed result).
    pub ipn_url: String,
}

/// Where an IPN delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// More calls will be made.
    Pending,
    /// The merchant answered `00` or `02`.
    Acknowledged,
    /// The last allowed call went unanswered or was answered otherwise.
    GaveUp,
}

/// The calls of one IPN, as VNPay makes them: the first at once, then one per interval while
/// the answer is neither `00` nor `02`, at most `max` in all. A call handed out and never
/// answered counts as a timeout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpnSchedule {
    url: String,
    interval: Duration,
    max: u32,
    attempts: u32,
    next_due: DateTime<Utc>,
    state: DeliveryState,
}

impl IpnSchedule {
    /// A schedule whose first call is due at `first_due`.
    pub fn new(url: String, first_due: DateTime<Utc>, interval: Duration, max: u32) -> Self {
        Self {
            url,
            interval,
            max,
            attempts: 0,
            next_due: first_due,
            state: if max == 0 {
                DeliveryState::GaveUp
            } else {
                DeliveryState::Pending
            },
        }
    }

    /// The next call and when it is due. When `due_at <= now` the call is handed out and
    /// counted: send it, then [`IpnSchedule::record_reply`]. When `due_at > now` nothing is
    /// counted: wait until `due_at` and ask again. `None` once the schedule has ended.
    pub fn next_delivery(&mut self, now: DateTime<Utc>) -> Option<(String, DateTime<Utc>)> {
        if self.state != DeliveryState::Pending {
            return None;
        }
        if self.attempts >= self.max {
            self.state = DeliveryState::GaveUp;
            return None;
        }
        let due = self.next_due;
        if due <= now {
            self.attempts += 1;
            self.next_due = now + self.interval;
        }
        Some((self.url.clone(), due))
    }

    /// Records the merchant's answer to the last call (`None`: no answer, a timeout or a
    /// transport error).
    pub fn record_reply(&mut self, reply_body: Option<&str>, now: DateTime<Utc>) {
        if self.state != DeliveryState::Pending {
            return;
        }
        let ends = reply_body
            .and_then(|body| serde_json::from_str::<IpnReply>(body).ok())
            .is_some_and(|reply| reply.rsp_code == "00" || reply.rsp_code == "02");
        if ends {
            self.state = DeliveryState::Acknowledged;
        } else if self.attempts >= self.max {
            self.state = DeliveryState::GaveUp;
        } else {
            self.next_due = now + self.interval;
        }
    }

    /// Calls handed out so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether more calls will be made.
    pub fn state(&self) -> DeliveryState {
        self.state
    }
}

/// One IPN call handed out by [`Simulator::next_delivery`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The transaction it is about: pass it back to [`Simulator::record_reply`].
    pub txn_ref: String,
    /// The full IPN URL to GET.
    pub url: String,
    pub due_at: DateTime<Utc>,
}

/// A payment request the simulator accepted.
#[derive(Clone, Debug)]
struct Order {
    txn_ref: String,
    amount: Money,
    amount_x100: String,
    order_info: String,
    return_url: String,
    bank_code: Option<String>,
    create_date: String,
    expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct Outcome {
    response: ResponseCode,
    status: TransactionStatus,
    transaction_no: String,
    bank_code: String,
    pay_date: String,
    delivery: IpnSchedule,
}

#[derive(Debug)]
struct Txn {
    order: Order,
    /// The canonical string of the request, to tell a reopened URL from a reused reference.
    canonical: String,
    outcome: Option<Outcome>,
}

#[derive(Debug, Default)]
struct State {
    txns: BTreeMap<String, Txn>,
    transactions_issued: u64,
    responses_issued: u64,
    request_ids: HashSet<String>,
}

/// The simulated gateway, with its transactions in memory.
#[derive(Debug)]
pub struct Simulator {
    tmn_code: String,
    key: Sha512Key,
    ipn_url: String,
    retry_interval: Duration,
    max_deliveries: u32,
    state: Mutex<State>,
}

impl Simulator {
    /// The first `vnp_TransactionNo` issued; later ones count up, so runs are reproducible.
    pub const FIRST_TRANSACTION_NO: u64 = 14_000_001;

    /// Checks the configuration and keys the terminal's HMAC once.
    pub fn new(config: SimulatorConfig) -> Result<Self, ConfigError> {
        if config.tmn_code.len() != 8 || !config.tmn_code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::Invalid {
                field: "vnp_TmnCode",
                reason: "must be 8 ASCII letters or digits",
            });
        }
        if !(config.ipn_url.starts_with("http://") || config.ipn_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                field: "ipn_url",
                reason: "must be an http(s) URL",
            });
        }
        if config.retry_interval <= Duration::zero() {
            return Err(ConfigError::Invalid {
                field: "retry_interval",
                reason: "must be positive",
            });
        }
        Ok(Self {
            key: Sha512Key::new(&config.hash_secret)?,
            tmn_code: config.tmn_code,
            ipn_url: config.ipn_url,
            retry_interval: config.retry_interval,
            max_deliveries: config.max_deliveries,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers one HTTP request under [`BASE_PATH`].
    pub fn handle(&self, request: &SimRequest<'_>) -> SimResponse {
        match (request.method, request.path) {
            ("GET", PAY_PATH) => match self.open(request.query, request.now) {
                Ok(html) => SimResponse::html(200, html),
                Err(refusal) => {
                    SimResponse::redirect(format!("{ERROR_PATH}?code={}", refusal.code()))
                }
            },
            ("GET", ERROR_PATH) => {
                let code = form_value(request.query.as_bytes(), "code").unwrap_or_default();
                SimResponse::html(200, page::error_page(&code, Refusal::message_vi(&code)))
            }
            ("POST", COMPLETE_PATH) => {
                let choice = form_value(request.body, "choice").and_then(|c| Choice::parse(&c));
                let txn_ref = form_value(request.body, field::TXN_REF);
                let result = match (txn_ref, choice) {
                    (Some(txn_ref), Some(choice)) => self.complete(&txn_ref, choice, request.now),
                    _ => Err(SimError::InvalidForm),
                };
                match result {
                    Ok(completion) => SimResponse::redirect(completion.return_url),
                    Err(error) => {
                        let status = match error {
                            SimError::UnknownTransaction => 404,
                            SimError::AlreadyCompleted => 409,
                            SimError::InvalidForm => 400,
                        };
                        SimResponse::html(status, page::error_page("", &error.to_string()))
                    }
                }
            }
            ("POST", API_PATH) => match serde_json::to_string(&self.query(request.body)) {
                Ok(body) => SimResponse::json(body),
                Err(_) => SimResponse::html(500, page::error_page("99", "Unknown error")),
            },
            (_, PAY_PATH | ERROR_PATH | COMPLETE_PATH | API_PATH) => {
                SimResponse::html(405, page::error_page("", "Method not allowed"))
            }
            _ => SimResponse::html(404, page::error_page("", "Not found")),
        }
    }

    /// Opens the pay page for a payment URL's query, or refuses it as VNPay would. Reopening the
    /// same URL shows the same page; reusing its reference for another request is refused.
    pub fn open(&self, query: &str, now: DateTime<Utc>) -> Result<String, Refusal> {
        let signed = SignedQuery::parse(query).map_err(|error| match error {
            VerifyError::DuplicateField(_) => Refusal::InvalidFormat("a duplicated field"),
            VerifyError::MissingSignature
            | VerifyError::MalformedSignature
            | VerifyError::BadSignature
            | VerifyError::MissingField(_)
            | VerifyError::InvalidField(_)
            | VerifyError::WrongMerchant
            | VerifyError::UnknownReference
            | VerifyError::InvalidAmount
            | VerifyError::NotJson(_) => Refusal::InvalidFormat("the query"),
        })?;
        if signed.get(field::TMN_CODE) != Some(self.tmn_code.as_str()) {
            return Err(Refusal::InvalidMerchant);
        }
        signed
            .verify(&self.key)
            .map_err(|_| Refusal::InvalidSignature)?;
        let order = read_order(&signed)?;
        if now >= order.expires_at {
            return Err(Refusal::Expired);
        }
        let canonical = signed.canonical();
        let mut state = self.state();
        match state.txns.get(&order.txn_ref) {
            Some(txn) if txn.canonical == canonical && txn.outcome.is_none() => {}
            Some(_) => return Err(Refusal::TransactionExists),
            None => {
                state.txns.insert(
                    order.txn_ref.clone(),
                    Txn {
                        order: order.clone(),
                        canonical,
                        outcome: None,
                    },
                );
            }
        }
        Ok(page::pay_page(&page::PayPage {
            tmn_code: &self.tmn_code,
            txn_ref: &order.txn_ref,
            order_info: &order.order_info,
            amount: order.amount,
            expires_at: order.expires_at,
        }))
    }

    /// Completes a transaction as the parent chose: signs the result, schedules its IPN and
    /// returns where the browser goes. Choosing after the payment's expiry ends it with `11`.
    pub fn complete(
        &self,
        txn_ref: &str,
        choice: Choice,
        now: DateTime<Utc>,
    ) -> Result<Completion, SimError> {
        let mut state = self.state();
        let issued = state.transactions_issued;
        let txn = state
            .txns
            .get_mut(txn_ref)
            .ok_or(SimError::UnknownTransaction)?;
        if txn.outcome.is_some() {
            return Err(SimError::AlreadyCompleted);
        }
        let (response, status) = if now >= txn.order.expires_at {
            (ResponseCode::PaymentTimedOut, TransactionStatus::Error)
        } else {
            match choice {
                Choice::Pay => (ResponseCode::Success, TransactionStatus::Success),
                Choice::Decline(ResponseCode::DebitedSuspicious) => (
                    ResponseCode::DebitedSuspicious,
                    TransactionStatus::SuspectedFraud,
                ),
                Choice::Decline(code) => (code, TransactionStatus::Error),
            }
        };
        let cancelled = response == ResponseCode::CustomerCancelled;
        let paid = response == ResponseCode::Success;
        let transaction_no = if cancelled {
            "0".to_owned()
        } else {
            (Self::FIRST_TRANSACTION_NO + issued).to_string()
        };
        let bank_code = txn
            .order
            .bank_code
            .clone()
            .unwrap_or_else(|| "NCB".to_owned());
        let pay_date = vn_time(now);
        let bank_tran_no = if paid {
            format!("VNP{transaction_no}")
        } else {
            String::new()
        };
        let params = [
            (field::AMOUNT, txn.order.amount_x100.as_str()),
            (field::BANK_CODE, &bank_code),
            (field::BANK_TRAN_NO, &bank_tran_no),
            (field::CARD_TYPE, if paid { "ATM" } else { "" }),
            (field::ORDER_INFO, &txn.order.order_info),
            (field::PAY_DATE, &pay_date),
            (field::RESPONSE_CODE, response.as_str()),
            (field::TMN_CODE, &self.tmn_code),
            (field::TRANSACTION_NO, &transaction_no),
            (field::TRANSACTION_STATUS, status.as_str()),
            (field::TXN_REF, &txn.order.txn_ref),
        ];
        let query = signed_query(&self.key, &params);
        let ipn_url = with_query(&self.ipn_url, &query);
        let return_url = with_query(&txn.order.return_url, &query);
        txn.outcome = Some(Outcome {
            response,
            status,
            transaction_no,
            bank_code,
            pay_date,
            delivery: IpnSchedule::new(
                ipn_url.clone(),
                now,
                self.retry_interval,
                self.max_deliveries,
            ),
        });
        if !cancelled {
            state.transactions_issued += 1;
        }
        Ok(Completion {
            return_url,
            ipn_url,
        })
    }

    /// The IPN call due first across all transactions (see [`IpnSchedule::next_delivery`]):
    /// handed out and counted when `due_at <= now`, otherwise only announced.
    pub fn next_delivery(&self, now: DateTime<Utc>) -> Option<Delivery> {
        let mut state = self.state();
        loop {
            let (txn_ref, schedule) = state
                .txns
                .iter_mut()
                .filter_map(|(txn_ref, txn)| {
                    let outcome = txn.outcome.as_mut()?;
                    (outcome.delivery.state == DeliveryState::Pending)
                        .then_some((txn_ref, &mut outcome.delivery))
                })
                .min_by_key(|(_, schedule)| schedule.next_due)?;
            if let Some((url, due_at)) = schedule.next_delivery(now) {
                return Some(Delivery {
                    txn_ref: txn_ref.clone(),
                    url,
                    due_at,
                });
            }
        }
    }

    /// Records the merchant's answer to a delivered IPN (`None`: no answer).
    pub fn record_reply(&self, txn_ref: &str, reply_body: Option<&str>, now: DateTime<Utc>) {
        if let Some(outcome) = self
            .state()
            .txns
            .get_mut(txn_ref)
            .and_then(|txn| txn.outcome.as_mut())
        {
            outcome.delivery.record_reply(reply_body, now);
        }
    }

    /// Where a transaction's IPN delivery stands, and how many calls were made.
    pub fn delivery(&self, txn_ref: &str) -> Option<(DeliveryState, u32)> {
        let state = self.state();
        let delivery = &state.txns.get(txn_ref)?.outcome.as_ref()?.delivery;
        Some((delivery.state(), delivery.attempts()))
    }

    /// Answers a querydr request body with a checksummed answer, as VNPay's API does.
    pub fn query(&self, body: &[u8]) -> QueryDrResponse {
        let Ok(request) = serde_json::from_slice::<QueryDrRequest>(body) else {
            return self.answer(QueryResponseCode::InvalidFormat, "", None);
        };
        if request.tmn_code != self.tmn_code {
            return self.answer(QueryResponseCode::InvalidMerchant, &request.txn_ref, None);
        }
        let signed = pipe_join(request.signed_values());
        if self
            .key
            .verify_hex(signed.as_bytes(), &request.secure_hash)
            .is_err()
        {
            return self.answer(QueryResponseCode::InvalidChecksum, &request.txn_ref, None);
        }
        let well_formed = request.version == wire::VERSION
            && request.command == wire::COMMAND_QUERYDR
            && (1..=32).contains(&request.request_id.len())
            && parse_vn_time(&request.transaction_date).is_some()
            && parse_vn_time(&request.create_date).is_some()
            && request.ip_addr.parse::<IpAddr>().is_ok();
        if !well_formed {
            return self.answer(QueryResponseCode::InvalidFormat, &request.txn_ref, None);
        }
        let mut state = self.state();
        if !state.request_ids.insert(request.request_id.clone()) {
            drop(state);
            return self.answer(QueryResponseCode::DuplicateRequest, &request.txn_ref, None);
        }
        let found = state
            .txns
            .get(&request.txn_ref)
            .filter(|txn| txn.order.create_date == request.transaction_date)
            .map(|txn| (txn.order.clone(), txn.outcome.clone()));
        drop(state);
        match found {
            Some(txn) => self.answer(QueryResponseCode::Success, &request.txn_ref, Some(txn)),
            None => self.answer(QueryResponseCode::NotFound, &request.txn_ref, None),
        }
    }

    fn answer(
        &self,
        code: QueryResponseCode,
        txn_ref: &str,
        txn: Option<(Order, Option<Outcome>)>,
    ) -> QueryDrResponse {
        let id = {
            let mut state = self.state();
            state.responses_issued += 1;
            state.responses_issued
        };
        let some = |s: &str| Some(Text::Str(s.to_owned()));
        let mut response = QueryDrResponse {
            response_id: some(&format!("{id:016x}")),
            command: some(wire::COMMAND_QUERYDR),
            response_code: some(code.as_str()),
            message: some(code.message()),
            tmn_code: some(&self.tmn_code),
            txn_ref: some(txn_ref),
            ..QueryDrResponse::default()
        };
        if let Some((order, outcome)) = txn {
            response.amount = some(&order.amount_x100);
            response.order_info = some(&order.order_info);
            response.transaction_type = some(wire::TRANSACTION_TYPE_PAYMENT);
            match outcome {
                Some(outcome) => {
                    response.bank_code = some(&outcome.bank_code);
                    response.pay_date = some(&outcome.pay_date);
                    response.transaction_no = some(&outcome.transaction_no);
                    response.transaction_status = some(outcome.status.as_str());
                }
                None => {
                    response.transaction_status = some(TransactionStatus::NotCompleted.as_str());
                }
            }
        }
        let signed = pipe_join(
            response
                .signed_values()
                .map(|v| v.as_ref().map(Text::to_text).unwrap_or_default()),
        );
        response.secure_hash = Some(self.key.sign_hex(signed.as_bytes()));
        response
    }

    /// The response code a completed transaction ended with.
    pub fn result_of(&self, txn_ref: &str) -> Option<(ResponseCode, TransactionStatus)> {
        let state = self.state();
        let outcome = state.txns.get(txn_ref)?.outcome.as_ref()?;
        Some((outcome.response.clone(), outcome.status.clone()))
    }
}

/// Reads and checks the fields of a signed payment request.
fn read_order(signed: &SignedQuery<'_>) -> Result<Order, Refusal> {
    let get = |name: &'static str| signed.get(name).ok_or(Refusal::InvalidFormat(name));
    let check = |name: &'static str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(Refusal::InvalidFormat(name))
        }
    };
    check(field::VERSION, get(field::VERSION)? == wire::VERSION)?;
    check(field::COMMAND, get(field::COMMAND)? == wire::COMMAND_PAY)?;
    check(field::CURR_CODE, get(field::CURR_CODE)? == wire::CURRENCY)?;
    check(field::LOCALE, matches!(get(field::LOCALE)?, "vn" | "en"))?;
    let amount_x100 = get(field::AMOUNT)?;
    let amount = parse_amount_x100(amount_x100).ok_or(Refusal::InvalidFormat(field::AMOUNT))?;
    let create_date = get(field::CREATE_DATE)?;
    let created_at =
        parse_vn_time(create_date).ok_or(Refusal::InvalidFormat(field::CREATE_DATE))?;
    let expires_at = parse_vn_time(get(field::EXPIRE_DATE)?)
        .filter(|expiry| *expiry > created_at)
        .ok_or(Refusal::InvalidFormat(field::EXPIRE_DATE))?;
    let ip = get(field::IP_ADDR)?;
    check(
        field::IP_ADDR,
        (7..=45).contains(&ip.len()) && ip.parse::<IpAddr>().is_ok(),
    )?;
    let order_info = get(field::ORDER_INFO)?;
    check(
        field::ORDER_INFO,
        order_info.len() <= 255
            && order_info
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" -_.,:".contains(&b)),
    )?;
    check(field::ORDER_TYPE, get(field::ORDER_TYPE)?.len() <= 100)?;
    let return_url = get(field::RETURN_URL)?;
    check(
        field::RETURN_URL,
        (10..=255).contains(&return_url.len())
            && (return_url.starts_with("https://") || return_url.starts_with("http://")),
    )?;
    let txn_ref = get(field::TXN_REF)?;
    check(
        field::TXN_REF,
        txn_ref.len() <= 100
            && txn_ref
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
    )?;
    let bank_code = signed.get(field::BANK_CODE);
    check(
        field::BANK_CODE,
        bank_code.is_none_or(|code| {
            (3..=20).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
        }),
    )?;
    Ok(Order {
        txn_ref: txn_ref.to_owned(),
        amount,
        amount_x100: amount_x100.to_owned(),
        order_info: order_info.to_owned(),
        return_url: return_url.to_owned(),
        bank_code: bank_code.map(str::to_owned),
        create_date: create_date.to_owned(),
        expires_at,
    })
}

#[cfg(test)]
mod tests;
