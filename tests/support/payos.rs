//! payOS as the suites see it, written here without hocphi's payOS code: a fake payment-link
//! API (create, read, cancel) that signs its answers, and webhook bodies signed with a payee's
//! checksum key, as payOS signs them (payos.vn/docs, "Webhook": HMAC-SHA256 over the `data`
//! object's keys sorted, `key=value` joined by `&`, `null` as empty).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use hocphi_runtime::config::{
    LOCAL_PAYOS_CHECKSUM_KEY_LL, LOCAL_PAYOS_CHECKSUM_KEY_NQ, LOCAL_PAYOS_CLIENT_ID_LL,
    LOCAL_PAYOS_CLIENT_ID_NQ, LOCAL_PAYOS_PATH, LOCAL_PAYOS_PAYEE_LL, LOCAL_PAYOS_PAYEE_NQ,
};
use serde_json::{Value, json};
use sha2::Sha256;

/// The payee of the suites' school, and the other local payee.
pub const PAYEE: &str = LOCAL_PAYOS_PAYEE_NQ;
pub const OTHER_PAYEE: &str = LOCAL_PAYOS_PAYEE_LL;

/// The checksum key of a local payee.
pub fn checksum_key(payee: &str) -> &'static str {
    match payee {
        LOCAL_PAYOS_PAYEE_NQ => LOCAL_PAYOS_CHECKSUM_KEY_NQ,
        LOCAL_PAYOS_PAYEE_LL => LOCAL_PAYOS_CHECKSUM_KEY_LL,
        other => panic!("no local payee {other}"),
    }
}

fn payee_of_client(client_id: &str) -> Option<&'static str> {
    match client_id {
        LOCAL_PAYOS_CLIENT_ID_NQ => Some(LOCAL_PAYOS_PAYEE_NQ),
        LOCAL_PAYOS_CLIENT_ID_LL => Some(LOCAL_PAYOS_PAYEE_LL),
        _ => None,
    }
}

/// The text payOS signs for a `data` object.
pub fn signed_text(data: &Value) -> String {
    let object: BTreeMap<&String, &Value> = data.as_object().unwrap().iter().collect();
    object
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Null => String::new(),
                Value::String(s) if s == "null" || s == "undefined" => String::new(),
                Value::String(s) => s.clone(),
                Value::Array(items) => {
                    let sorted: Vec<BTreeMap<&String, &Value>> = items
                        .iter()
                        .map(|i| i.as_object().unwrap().iter().collect())
                        .collect();
                    serde_json::to_string(&sorted).unwrap()
                }
                other => other.to_string(),
            };
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature of `data` under `key`.
pub fn sign(key: &str, data: &Value) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(signed_text(data).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A webhook's body: `data` with `signature`.
pub fn envelope(data: &Value, signature: &str) -> String {
    json!({"code": "00", "desc": "success", "success": true, "data": data, "signature": signature})
        .to_string()
}

/// One transfer's webhook `data`, as payOS sends it.
pub fn transfer_data(order_code: u64, amount: u64, txn: &str, at: &str) -> Value {
    json!({"orderCode": order_code, "amount": amount, "description": "HOCPHI",
        "accountNumber": "0071000123456", "reference": txn, "transactionDateTime": at,
        "currency": "VND", "paymentLinkId": format!("link{order_code}"), "code": "00",
        "desc": "success", "counterAccountBankId": "970415", "counterAccountBankName": "",
        "counterAccountName": "NGUYEN VAN AN", "counterAccountNumber": "0011001234567",
        "virtualAccountName": "", "virtualAccountNumber": ""})
}

/// A webhook about `data`, signed with `payee`'s key.
pub fn webhook(payee: &str, data: &Value) -> String {
    envelope(data, &sign(checksum_key(payee), data))
}

/// A payment link the fake API holds.
#[derive(Clone, Debug)]
struct Link {
    payee: &'static str,
    amount: u64,
    paid: u64,
    status: &'static str,
    /// Each transfer received, as the link's information lists it.
    transactions: Vec<Value>,
}

/// The fake payment-link API: answers what hocphi sends under [`LOCAL_PAYOS_PATH`].
#[derive(Debug, Default)]
pub struct FakePayos {
    links: Mutex<HashMap<u64, Link>>,
    /// Every cancel request received, by order code.
    pub cancelled: Mutex<Vec<u64>>,
    /// A transfer (amount, bank reference) the bank completes just before the next cancel
    /// arrives, its webhook lost: money landing between the sweeper's query and its cancel.
    pub transfer_before_cancel: Mutex<Option<(u64, &'static str)>>,
}

impl FakePayos {
    /// Answers one request: status and body.
    pub fn handle(&self, method: &str, path: &str, client_id: &str, body: &str) -> (u16, String) {
        let Some(payee) = payee_of_client(client_id) else {
            return (
                401,
                json!({"code": "401", "desc": "Unauthorized"}).to_string(),
            );
        };
        let rest = path
            .strip_prefix(LOCAL_PAYOS_PATH)
            .and_then(|p| p.strip_prefix("/v2/payment-requests"))
            .unwrap_or("?");
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (method, segments.as_slice()) {
            ("POST", []) => self.create(payee, body),
            ("GET", [code]) => self.read(payee, code.parse().unwrap_or(0), None),
            ("POST", [code, "cancel"]) => {
                let code = code.parse().unwrap_or(0);
                self.cancelled.lock().unwrap().push(code);
                if let Some((amount, txn)) = self.transfer_before_cancel.lock().unwrap().take() {
                    self.transfer(code, amount, txn);
                }
                self.read(payee, code, Some("CANCELLED"))
            }
            _ => (404, json!({"code": "404", "desc": "Not found"}).to_string()),
        }
    }

    fn create(&self, payee: &'static str, body: &str) -> (u16, String) {
        let request: Value = serde_json::from_str(body).unwrap();
        let order_code = request["orderCode"].as_u64().unwrap();
        let amount = request["amount"].as_u64().unwrap();
        let description = request["description"].as_str().unwrap();
        self.links.lock().unwrap().insert(
            order_code,
            Link {
                payee,
                amount,
                paid: 0,
                status: "PENDING",
                transactions: Vec::new(),
            },
        );
        let (bin, account, name) = match payee {
            LOCAL_PAYOS_PAYEE_NQ => ("970436", "0071000123456", "TRUONG THCS NGO QUYEN"),
            _ => ("970415", "113000456789", "TRUONG TIEU HOC LE LOI"),
        };
        let data = json!({"bin": bin, "accountNumber": account, "accountName": name,
            "amount": amount, "description": description, "orderCode": order_code,
            "currency": "VND", "paymentLinkId": format!("link{order_code}"), "status": "PENDING",
            "expiredAt": request["expiredAt"], "checkoutUrl": format!("https://pay.payos.vn/web/link{order_code}"),
            "qrCode": format!("VIETQR-{bin}-{account}-{amount}-{description}")});
        let signature = sign(checksum_key(payee), &data);
        (
            200,
            json!({"code": "00", "desc": "success", "data": data, "signature": signature})
                .to_string(),
        )
    }

    fn read(
        &self,
        payee: &'static str,
        order_code: u64,
        cancel: Option<&'static str>,
    ) -> (u16, String) {
        let mut links = self.links.lock().unwrap();
        let Some(link) = links.get_mut(&order_code).filter(|l| l.payee == payee) else {
            return (
                200,
                json!({"code": "101", "desc": "Không tìm thấy đơn thanh toán"}).to_string(),
            );
        };
        if let Some(status) = cancel
            && link.status == "PENDING"
        {
            link.status = status;
        }
        let data = json!({"id": format!("link{order_code}"), "orderCode": order_code,
            "amount": link.amount, "amountPaid": link.paid,
            "amountRemaining": link.amount.saturating_sub(link.paid), "status": link.status,
            "createdAt": "2025-09-15T09:00:00+07:00", "transactions": link.transactions,
            "cancellationReason": null, "canceledAt": null});
        let signature = sign(checksum_key(payee), &data);
        (
            200,
            json!({"code": "00", "desc": "success", "data": data, "signature": signature})
                .to_string(),
        )
    }

    /// A transfer of `amount` to the link of `order_code` (the bank's side); answers the
    /// webhook payOS sends for it.
    pub fn transfer(&self, order_code: u64, amount: u64, txn: &str) -> String {
        let mut links = self.links.lock().unwrap();
        let link = links.get_mut(&order_code).expect("a link hocphi created");
        link.paid += amount;
        link.status = if link.paid >= link.amount {
            "PAID"
        } else {
            "UNDERPAID"
        };
        let data = transfer_data(order_code, amount, txn, "2025-09-15 09:05:00");
        link.transactions
            .push(json!({"reference": txn, "amount": amount,
            "accountNumber": "0071000123456", "description": "HOCPHI",
            "transactionDateTime": "2025-09-15T09:05:00+07:00"}));
        webhook(link.payee, &data)
    }

    /// Sets a link's status as payOS would report it (`PROCESSING`, `EXPIRED`, …).
    pub fn set_status(&self, order_code: u64, status: &'static str) {
        if let Some(link) = self.links.lock().unwrap().get_mut(&order_code) {
            link.status = status;
        }
    }
}
