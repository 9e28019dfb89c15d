//! A payOS simulator for the local stack: towards hocphi it behaves as payOS's merchant API does
//! (payos.vn/docs: "Tạo link thanh toán", "Lấy thông tin link thanh toán", "Hủy link thanh
//! toán", "Xác thực webhook", "Webhook"), through plain function calls ([`SimRequest`] and the
//! request's headers in, [`SimResponse`] out), and it plays the parent's banking app at
//! [`BANK_PATH`]`/{orderCode}`, where the VietQR code leads.
//!
//! Invariants:
//! - it signs and checks with code of its own, not hocphi's adapter: a create request is taken
//!   only from a known `x-client-id` with its `x-api-key` and a valid HMAC-SHA256 of
//!   `amount=…&cancelUrl=…&description=…&orderCode=…&returnUrl=…` under that channel's checksum
//!   key, and an `orderCode` is created once per channel (`231` after that, as payOS answers);
//! - every `data` it answers or sends is signed over its keys sorted, values raw, `null` empty;
//! - a description is refused (`20`) above 25 characters, or above 9 on a channel whose account
//!   is not linked through payOS; there the memo is a matching code of the simulator's own
//!   (`CS` and 9 letters or digits, after the shape of a payOS webhook's) before the
//!   description, elsewhere the description alone;
//! - a link's `qrCode` is a VietQR payload (NAPAS/EMVCo, CRC-16/CCITT-FALSE) for the channel's
//!   own account, the link's amount and its memo, which its transfers' webhooks carry as their
//!   `description`;
//! - a transfer is taken only for a link neither cancelled, paid in full nor past its
//!   `expiredAt`; each transfer queues one webhook with that transfer's amount, handed out once;
//! - a link's status follows its money: `PAID` once the amount is reached (more is still
//!   `PAID`), `UNDERPAID` below it, else `CANCELLED`, `EXPIRED` or `PENDING`.
//!
//! The bank page names a link by its `orderCode` alone; hocphi's codes are unique across its
//! channels (`order_code.rs`), so the first link with that code is the one.

mod page;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hocphi_domain::PayeeId;
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::vietqr::VietQr;
use crate::simulator::{SimRequest, SimResponse, form_value, with_query};
use crate::{ConfigError, Secret};
use page::{BankPage, bank_page, message_page};

/// Every path the simulator answers starts with this: point `PayosConfig::endpoint` here.
pub const BASE_PATH: &str = "/sim/payos";
/// The banking app's page for a link: `{BANK_PATH}/{orderCode}` (the link's `checkoutUrl`).
pub const BANK_PATH: &str = "/sim/payos/bank";
/// Where a channel's webhooks go, under the site's origin: `{CALLBACK_PATH}/{payee}`.
pub const CALLBACK_PATH: &str = "/api/callbacks/payos";

const LINKS_PATH: &str = "/v2/payment-requests";
const CONFIRM_WEBHOOK_PATH: &str = "/confirm-webhook";
/// The largest amount a simulated transfer carries: 10 digits, as payOS's `amount`.
const MAX_AMOUNT: u64 = 9_999_999_999;

/// A payOS channel: who calls with which keys, and the bank account its money goes to.
#[derive(Debug)]
pub struct SimChannel {
    pub payee: PayeeId,
    pub client_id: String,
    pub api_key: Secret,
    pub checksum_key: Secret,
    pub account: BankAccount,
    /// The account is linked through payOS (the channel map's `linked_account`).
    pub linked_account: bool,
}

/// The account a channel is paid into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    /// The bank's 6-digit BIN (NAPAS).
    pub bin: String,
    pub number: String,
    /// The holder's name, upper-case ASCII as banks show it.
    pub name: String,
}

/// A webhook to POST as JSON, once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookCall {
    pub payee: PayeeId,
    pub order_code: u64,
    pub url: String,
    pub body: String,
}

/// The simulated payOS.
#[derive(Debug)]
pub struct PayosSimulator {
    channels: Vec<Channel>,
    /// The site's origin: checkout URLs and webhooks are under it.
    origin: String,
    state: Mutex<State>,
}

#[derive(Debug)]
struct Channel {
    payee: PayeeId,
    client_id: String,
    api_key: Secret,
    key: Hmac<Sha256>,
    account: BankAccount,
    linked_account: bool,
}

#[derive(Debug, Default)]
struct State {
    links: Vec<Link>,
    transfers: u64,
    outbox: Vec<WebhookCall>,
}

#[derive(Debug)]
struct Link {
    channel: usize,
    id: String,
    order_code: u64,
    amount: u64,
    /// The memo its QR code carries and its transfers' descriptions.
    memo: String,
    return_url: String,
    cancel_url: String,
    /// Unix seconds, as the create request gave it.
    expired_at: Option<i64>,
    created_at: DateTime<Utc>,
    cancelled: Option<(DateTime<Utc>, Option<String>)>,
    transactions: Vec<Transfer>,
}

#[derive(Debug)]
struct Transfer {
    reference: String,
    amount: u64,
    at: DateTime<Utc>,
}

/// The parent's simulated account, the other side of every transfer.
const COUNTER_BANK_ID: &str = "970418";
const COUNTER_BANK_NAME: &str = "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam";
const COUNTER_NAME: &str = "NGUYEN VAN PHU HUYNH";
const COUNTER_NUMBER: &str = "21510000123456";

impl Link {
    fn paid(&self) -> u64 {
        self.transactions.iter().map(|t| t.amount).sum()
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expired_at.is_some_and(|at| now.timestamp() >= at)
    }

    fn status(&self, now: DateTime<Utc>) -> &'static str {
        let paid = self.paid();
        if paid >= self.amount {
            "PAID"
        } else if paid > 0 {
            "UNDERPAID"
        } else if self.cancelled.is_some() {
            "CANCELLED"
        } else if self.expired(now) {
            "EXPIRED"
        } else {
            "PENDING"
        }
    }

    /// Why no transfer is taken for this link now, if so.
    fn closed(&self, now: DateTime<Utc>) -> Option<&'static str> {
        if self.cancelled.is_some() {
            Some("Mã QR này đã bị hủy: không thể chuyển tiền.")
        } else if self.paid() >= self.amount {
            Some("Khoản này đã được thanh toán đủ.")
        } else if self.expired(now) {
            Some("Mã QR này đã hết hạn: không thể chuyển tiền.")
        } else {
            None
        }
    }

    /// The link's information as `GET /v2/payment-requests/{id}` answers it.
    fn info(&self, account_number: &str, now: DateTime<Utc>) -> Value {
        let paid = self.paid();
        let transactions: Vec<Value> = self
            .transactions
            .iter()
            .map(|t| {
                json!({
                    "reference": t.reference,
                    "amount": t.amount,
                    "accountNumber": account_number,
                    "description": self.memo,
                    "transactionDateTime": rfc3339(t.at),
                    "virtualAccountName": Value::Null,
                    "virtualAccountNumber": Value::Null,
                    "counterAccountBankId": COUNTER_BANK_ID,
                    "counterAccountBankName": COUNTER_BANK_NAME,
                    "counterAccountName": COUNTER_NAME,
                    "counterAccountNumber": COUNTER_NUMBER,
                })
            })
            .collect();
        json!({
            "id": self.id,
            "orderCode": self.order_code,
            "amount": self.amount,
            "amountPaid": paid,
            "amountRemaining": self.amount.saturating_sub(paid),
            "status": self.status(now),
            "createdAt": rfc3339(self.created_at),
            "transactions": transactions,
            "canceledAt": self.cancelled.as_ref().map(|(at, _)| rfc3339(*at)),
            "cancellationReason": self.cancelled.as_ref().and_then(|(_, why)| why.clone()),
        })
    }
}

impl PayosSimulator {
    /// The first transfer reference handed out (a bank's `FT…` number).
    pub const FIRST_REFERENCE: u64 = 24_245_000_000_001;

    /// A simulator for `channels`, serving pages and sending webhooks under `origin`.
    pub fn new(channels: Vec<SimChannel>, origin: impl Into<String>) -> Result<Self, ConfigError> {
        let mut known: Vec<Channel> = Vec::with_capacity(channels.len());
        for c in channels {
            if c.client_id.is_empty() || known.iter().any(|k| k.client_id == c.client_id) {
                return Err(ConfigError::Invalid {
                    field: "clientId",
                    reason: "must be set and differ between channels",
                });
            }
            let account_ok = VietQr {
                bin: c.account.bin.clone(),
                account: c.account.number.clone(),
                amount: None,
                memo: None,
            }
            .payload()
            .is_ok();
            if !account_ok || c.account.name.is_empty() || !c.account.name.is_ascii() {
                return Err(ConfigError::Invalid {
                    field: "account",
                    reason: "needs a 6-digit BIN, an account number and an ASCII name",
                });
            }
            let key = <Hmac<Sha256> as KeyInit>::new_from_slice(c.checksum_key.expose()).map_err(
                |_| ConfigError::Invalid {
                    field: "checksumKey",
                    reason: "not a valid HMAC key",
                },
            )?;
            known.push(Channel {
                payee: c.payee,
                client_id: c.client_id,
                api_key: c.api_key,
                key,
                account: c.account,
                linked_account: c.linked_account,
            });
        }
        Ok(Self {
            channels: known,
            origin: origin.into().trim_end_matches('/').to_owned(),
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The webhooks due, each handed out once.
    pub fn take_webhooks(&self) -> Vec<WebhookCall> {
        std::mem::take(&mut self.state().outbox)
    }

    /// Answers one request under [`BASE_PATH`]; `headers` are the request's (names in any case).
    pub fn handle(&self, request: &SimRequest<'_>, headers: &[(&str, &str)]) -> SimResponse {
        let now = request.now;
        if let Some(code) = request
            .path
            .strip_prefix(BANK_PATH)
            .and_then(|rest| rest.strip_prefix('/'))
        {
            let Some(code) = parse_code(code) else {
                return SimResponse::html(404, message_page("Không có khoản thanh toán này."));
            };
            return match request.method {
                "GET" => self.bank(code, now),
                "POST" => self.transfer(code, request.body, now),
                _ => SimResponse::html(405, message_page("Không có trang này.")),
            };
        }
        let api = request.path.strip_prefix(BASE_PATH).unwrap_or_default();
        let Some(channel) = self.authenticate(headers) else {
            return error(401, "401", "Unauthorized");
        };
        match (request.method, api) {
            ("POST", LINKS_PATH) => self.create(channel, request.body, now),
            ("POST", CONFIRM_WEBHOOK_PATH) => self.confirm_webhook(channel, request.body),
            (method, _) => {
                let Some(rest) = api
                    .strip_prefix(LINKS_PATH)
                    .and_then(|r| r.strip_prefix('/'))
                else {
                    return error(404, "404", "Not Found");
                };
                match (method, rest.strip_suffix("/cancel")) {
                    ("GET", None) => self.query(channel, rest, now),
                    ("POST", Some(id)) => self.cancel(channel, id, request.body, now),
                    _ => error(404, "404", "Not Found"),
                }
            }
        }
    }

    /// The channel whose client id and API key the headers carry.
    fn authenticate(&self, headers: &[(&str, &str)]) -> Option<usize> {
        let header = |name: &str| {
            let mut values = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v);
            let value = values.next()?;
            values.next().is_none().then_some(value)
        };
        let (client_id, api_key) = (header("x-client-id")?, header("x-api-key")?);
        self.channels
            .iter()
            .position(|c| c.client_id == client_id && c.api_key.expose() == api_key.as_bytes())
    }

    fn create(&self, channel: usize, body: &[u8], now: DateTime<Utc>) -> SimResponse {
        let invalid = || error(200, "20", "Thông tin truyền lên không đúng.");
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return invalid();
        };
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
        let number = |name: &str| fields.get(name).and_then(Value::as_u64);
        let (Some(order_code), Some(amount), Some(description), Some(cancel_url), Some(return_url)) = (
            number("orderCode"),
            number("amount"),
            text("description"),
            text("cancelUrl"),
            text("returnUrl"),
        ) else {
            return invalid();
        };
        let message = format!(
            "amount={amount}&cancelUrl={cancel_url}&description={description}\
             &orderCode={order_code}&returnUrl={return_url}"
        );
        let c = &self.channels[channel];
        let signature = text("signature").unwrap_or_default();
        if signature.to_ascii_lowercase() != hmac_hex(&c.key, &message) {
            return error(200, "201", "Mã kiểm tra(signature) không hợp lệ");
        }
        let expired_at = match fields.get("expiredAt") {
            None | Some(Value::Null) => None,
            Some(at) => match at.as_i64() {
                Some(at) if at > now.timestamp() => Some(at),
                _ => return invalid(),
            },
        };
        if !(1..=(1 << 53) - 1).contains(&order_code)
            || !(1..=MAX_AMOUNT).contains(&amount)
            || return_url.is_empty()
            || cancel_url.is_empty()
        {
            return invalid();
        }
        let longest = if c.linked_account { 25 } else { 9 };
        if description.chars().count() > longest {
            return error(200, "20", &format!("Mô tả tối đa {longest} kí tự"));
        }
        let memo = if c.linked_account {
            description.clone()
        } else {
            format!("{} {description}", matching_code(order_code))
        };
        let Ok(qr_code) = (VietQr {
            bin: c.account.bin.clone(),
            account: c.account.number.clone(),
            amount: Some(amount),
            memo: Some(memo.clone()),
        })
        .payload() else {
            return invalid();
        };
        let mut state = self.state();
        if state
            .links
            .iter()
            .any(|l| l.channel == channel && l.order_code == order_code)
        {
            return error(200, "231", "Đơn thanh toán đã tồn tại");
        }
        let id = format!("{:08x}{order_code:024x}", state.links.len() + 1);
        let data = json!({
            "bin": c.account.bin,
            "accountNumber": c.account.number,
            "accountName": c.account.name,
            "amount": amount,
            "description": description,
            "orderCode": order_code,
            "currency": "VND",
            "paymentLinkId": id,
            "status": "PENDING",
            "expiredAt": expired_at,
            "checkoutUrl": format!("{}{BANK_PATH}/{order_code}", self.origin),
            "qrCode": qr_code,
        });
        state.links.push(Link {
            channel,
            id,
            order_code,
            amount,
            memo,
            return_url,
            cancel_url,
            expired_at,
            created_at: now,
            cancelled: None,
            transactions: Vec::new(),
        });
        signed(&c.key, data)
    }

    /// The link `id` (an `orderCode` or a `paymentLinkId`) names among a channel's.
    fn find(state: &mut State, channel: usize, id: &str) -> Option<usize> {
        let code = parse_code(id);
        state
            .links
            .iter()
            .position(|l| l.channel == channel && (Some(l.order_code) == code || l.id == id))
    }

    fn query(&self, channel: usize, id: &str, now: DateTime<Utc>) -> SimResponse {
        let mut state = self.state();
        match Self::find(&mut state, channel, id) {
            Some(i) => {
                let c = &self.channels[channel];
                signed(&c.key, state.links[i].info(&c.account.number, now))
            }
            None => not_found(),
        }
    }

    fn cancel(&self, channel: usize, id: &str, body: &[u8], now: DateTime<Utc>) -> SimResponse {
        let reason = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(fields)) => match fields.get("cancellationReason") {
                None | Some(Value::Null) => None,
                Some(Value::String(why)) => Some(why.clone()),
                Some(_) => return error(200, "20", "Thông tin truyền lên không đúng."),
            },
            _ if body.is_empty() => None,
            _ => return error(200, "20", "Thông tin truyền lên không đúng."),
        };
        let mut state = self.state();
        let Some(i) = Self::find(&mut state, channel, id) else {
            return not_found();
        };
        let link = &mut state.links[i];
        if matches!(link.status(now), "PAID" | "CANCELLED") {
            return error(200, "20", "Đơn thanh toán không thể hủy");
        }
        link.cancelled = Some((now, reason));
        let c = &self.channels[channel];
        signed(&c.key, link.info(&c.account.number, now))
    }

    /// Queues payOS's test webhook (the documented sample's order, `123`) to the URL given, as
    /// payOS calls it before confirming; the answer assumes the URL took it.
    fn confirm_webhook(&self, channel: usize, body: &[u8]) -> SimResponse {
        let url = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("webhookUrl")?.as_str().map(str::to_owned))
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
        let Some(url) = url else {
            return error(200, "20", "Thông tin truyền lên không đúng.");
        };
        let c = &self.channels[channel];
        let data = json!({
            "orderCode": 123,
            "amount": 3000,
            "description": "VQRIO123",
            "accountNumber": c.account.number,
            "reference": "TF230204212323",
            "transactionDateTime": "2023-02-04 18:25:00",
            "currency": "VND",
            "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18",
            "code": "00",
            "desc": "Thành công",
            "counterAccountBankId": "",
            "counterAccountBankName": "",
            "counterAccountName": "",
            "counterAccountNumber": "",
            "virtualAccountName": "",
            "virtualAccountNumber": "",
        });
        self.state().outbox.push(WebhookCall {
            payee: c.payee.clone(),
            order_code: 123,
            url: url.clone(),
            body: webhook_body(&c.key, data),
        });
        SimResponse::json(
            json!({
                "code": "00",
                "desc": "success",
                "data": {
                    "webhookUrl": url,
                    "accountName": c.account.name,
                    "accountNumber": c.account.number,
                    "name": c.account.name,
                    "shortName": page::bank_name(&c.account.bin),
                },
            })
            .to_string(),
        )
    }

    fn bank(&self, order_code: u64, now: DateTime<Utc>) -> SimResponse {
        let state = self.state();
        let Some(link) = state.links.iter().find(|l| l.order_code == order_code) else {
            return SimResponse::html(404, message_page("Không có khoản thanh toán này."));
        };
        if let Some(why) = link.closed(now) {
            return SimResponse::html(409, message_page(why));
        }
        let account = &self.channels[link.channel].account;
        let html = bank_page(&BankPage {
            order_code,
            bin: &account.bin,
            account_number: &account.number,
            account_name: &account.name,
            amount: link.amount,
            paid: link.paid(),
            memo: &link.memo,
        });
        SimResponse::html(200, html)
    }

    /// The parent's choice on the bank page: a transfer of the exact amount, of another amount,
    /// or none; then back to the shop as payOS sends the browser back.
    fn transfer(&self, order_code: u64, form: &[u8], now: DateTime<Utc>) -> SimResponse {
        let choice = form_value(form, "choice");
        let mut state = self.state();
        let Some(i) = state.links.iter().position(|l| l.order_code == order_code) else {
            return SimResponse::html(404, message_page("Không có khoản thanh toán này."));
        };
        let amount = match choice.as_deref() {
            Some("leave") => return SimResponse::redirect(back(&state.links[i], now)),
            Some("exact") => state.links[i].amount,
            Some("other") => match form_value(form, "amount")
                .map(|a| a.trim().replace(['.', ','], ""))
                .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|a| a.parse::<u64>().ok())
                .filter(|a| (1..=MAX_AMOUNT).contains(a))
            {
                Some(amount) => amount,
                None => {
                    return SimResponse::html(
                        400,
                        message_page("Số tiền phải là một số nguyên dương (đồng)."),
                    );
                }
            },
            _ => return SimResponse::html(400, message_page("Lựa chọn không hợp lệ.")),
        };
        if let Some(why) = state.links[i].closed(now) {
            return SimResponse::html(409, message_page(why));
        }
        let reference = format!("FT{}", Self::FIRST_REFERENCE + state.transfers);
        state.transfers += 1;
        let link = &mut state.links[i];
        link.transactions.push(Transfer {
            reference: reference.clone(),
            amount,
            at: now,
        });
        let c = &self.channels[link.channel];
        let data = json!({
            "orderCode": link.order_code,
            "amount": amount,
            "description": link.memo,
            "accountNumber": c.account.number,
            "reference": reference,
            "transactionDateTime": now.with_timezone(&Ho_Chi_Minh).format("%Y-%m-%d %H:%M:%S").to_string(),
            "currency": "VND",
            "paymentLinkId": link.id,
            "code": "00",
            "desc": "Thành công",
            "counterAccountBankId": COUNTER_BANK_ID,
            "counterAccountBankName": COUNTER_BANK_NAME,
            "counterAccountName": COUNTER_NAME,
            "counterAccountNumber": COUNTER_NUMBER,
            "virtualAccountName": "",
            "virtualAccountNumber": "",
        });
        let call = WebhookCall {
            payee: c.payee.clone(),
            order_code: link.order_code,
            url: format!("{}{CALLBACK_PATH}/{}", self.origin, c.payee.as_str()),
            body: webhook_body(&c.key, data),
        };
        let location = back(link, now);
        state.outbox.push(call);
        SimResponse::redirect(location)
    }
}

/// The channels a `HOCPHI_PAYOS_CHANNELS` value names (`{"<PAYEE>": {"client_id": …,
/// "api_key": …, "checksum_key": …, "linked_account": …}, …}`), each paid into the account
/// `accounts` gives its payee; a payee without an account is left out, and its name is answered
/// beside them.
pub fn channels_from_config(
    json: &str,
    accounts: &[(&str, BankAccount)],
) -> Result<(Vec<SimChannel>, Vec<PayeeId>), ConfigError> {
    let invalid = |reason| ConfigError::Invalid {
        field: "HOCPHI_PAYOS_CHANNELS",
        reason,
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
        return Err(invalid("must be a JSON object of payees"));
    };
    let (mut channels, mut left_out) = (Vec::new(), Vec::new());
    for (payee, keys) in map {
        let payee = PayeeId::parse(&payee).map_err(|_| invalid("a payee id is not valid"))?;
        let key = |name: &str| {
            keys.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(invalid(
                    "each payee needs client_id, api_key and checksum_key",
                ))
        };
        let (client_id, api_key, checksum_key) =
            (key("client_id")?, key("api_key")?, key("checksum_key")?);
        match accounts.iter().find(|(p, _)| *p == payee.as_str()) {
            Some((_, account)) => channels.push(SimChannel {
                payee,
                client_id,
                api_key: Secret::new(api_key)?,
                checksum_key: Secret::new(checksum_key)?,
                account: account.clone(),
                linked_account: keys
                    .get("linked_account")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            None => left_out.push(payee),
        }
    }
    Ok((channels, left_out))
}

/// The return URL with payOS's query: `code`, `id`, `cancel`, `status`, `orderCode`.
fn back(link: &Link, now: DateTime<Utc>) -> String {
    let status = link.status(now);
    let cancelled = status == "CANCELLED";
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", "00")
        .append_pair("id", &link.id)
        .append_pair("cancel", if cancelled { "true" } else { "false" })
        .append_pair("status", status)
        .append_pair("orderCode", &link.order_code.to_string())
        .finish();
    let base = if cancelled {
        &link.cancel_url
    } else {
        &link.return_url
    };
    with_query(base, &query)
}

/// An `orderCode` as a path names it: digits only.
fn parse_code(raw: &str) -> Option<u64> {
    (!raw.is_empty() && raw.len() <= 16 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.with_timezone(&Ho_Chi_Minh)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The matching code the simulator writes before the description on an account not linked
/// through payOS: `CS` and the order code's last 9 base-36 digits, upper case.
fn matching_code(order_code: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rest = order_code;
    let mut code = [b'0'; 9];
    for slot in code.iter_mut().rev() {
        *slot = DIGITS[(rest % 36) as usize];
        rest /= 36;
    }
    format!("CS{}", String::from_utf8_lossy(&code))
}

fn error(status: u16, code: &str, desc: &str) -> SimResponse {
    let mut answer =
        SimResponse::json(json!({ "code": code, "desc": desc, "data": Value::Null }).to_string());
    answer.status = status;
    answer
}

fn not_found() -> SimResponse {
    error(200, "101", "Mã thanh toán không tồn tại")
}

/// payOS's success envelope around a signed `data`.
fn signed(key: &Hmac<Sha256>, data: Value) -> SimResponse {
    let signature = sign(key, &data);
    SimResponse::json(
        json!({ "code": "00", "desc": "success", "data": data, "signature": signature })
            .to_string(),
    )
}

fn webhook_body(key: &Hmac<Sha256>, data: Value) -> String {
    let signature = sign(key, &data);
    json!({ "code": "00", "desc": "success", "success": true, "data": data, "signature": signature })
        .to_string()
}

/// The signature payOS puts on a `data` object: HMAC-SHA256 over `key=value` pairs in sorted key
/// order joined by `&`, values raw, `null` and the strings `"null"`/`"undefined"` empty, arrays
/// as the JSON of their objects with sorted keys.
fn sign(key: &Hmac<Sha256>, data: &Value) -> String {
    let Value::Object(fields) = data else {
        return String::new();
    };
    let sorted: BTreeMap<&String, &Value> = fields.iter().collect();
    let mut message = String::new();
    for (key, value) in sorted {
        if !message.is_empty() {
            message.push('&');
        }
        let _ = write!(message, "{key}=");
        match value {
            Value::Null => {}
            Value::String(s) if s == "null" || s == "undefined" => {}
            Value::String(s) => message.push_str(s),
            Value::Array(items) => {
                let items: Vec<BTreeMap<&String, &Value>> = items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|o: &Map<String, Value>| o.iter().collect())
                    .collect();
                message.push_str(&serde_json::to_string(&items).unwrap_or_default());
            }
            other => message.push_str(&other.to_string()),
        }
    }
    hmac_hex(key, &message)
}

fn hmac_hex(key: &Hmac<Sha256>, message: &str) -> String {
    let mut mac = key.clone();
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests;
