//! A province's payOS channels: one [`Payos`] per payee (one school's bank account, or one a
//! province shares between schools), read from the JSON map of the channels' secret:
//! `{"<PAYEE>": {"client_id": "…", "api_key": "…", "checksum_key": "…"}, …}`, each channel
//! with `"linked_account": true` when its bank account is linked through payOS (absent is
//! `false`: the shorter description payOS takes for any account).
//!
//! Invariants: a map is accepted whole or refused with every problem named by payee and field,
//! and no problem quotes a value (a key or a client id pasted in the wrong place stays out of the
//! logs); a payee is named once (after normalisation); a payment is only ever signed, verified
//! and queried with its own payee's channel.

use std::collections::BTreeMap;
use std::fmt;

use hocphi_domain::{PayeeId, Payment};
use serde_json::Value;

use super::{Payos, PayosConfig};
use crate::Secret;

/// The payOS channels of a province, by payee.
#[derive(Debug)]
pub struct PayosChannels {
    channels: BTreeMap<PayeeId, Payos>,
}

/// Why a channels map was refused: every problem, each naming the payee and the field at fault,
/// none quoting a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ChannelsError {
    pub problems: Vec<String>,
}

impl fmt::Display for ChannelsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("; "))
    }
}

/// The fields of one channel in the map.
const FIELDS: [&str; 4] = ["client_id", "api_key", "checksum_key", "linked_account"];

impl PayosChannels {
    /// The channels of a map, all at `endpoint` (payOS's host, or the local simulator).
    pub fn from_json(json: &str, endpoint: &str) -> Result<Self, ChannelsError> {
        let mut problems = Vec::new();
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
            return Err(ChannelsError {
                problems: vec![
                    "not a JSON object of payees, each {\"client_id\", \"api_key\", \"checksum_key\"}"
                        .to_owned(),
                ],
            });
        };
        if map.is_empty() {
            problems.push("names no payee".to_owned());
        }
        let mut channels = BTreeMap::new();
        for (position, (name, entry)) in map.iter().enumerate() {
            let Ok(payee) = PayeeId::parse(name) else {
                problems.push(format!(
                    "payee #{} is not a payee id (2 to 32 letters, digits, '-' or '_')",
                    position + 1
                ));
                continue;
            };
            if channels.contains_key(&payee) {
                problems.push(format!("payee {payee} is named twice"));
                continue;
            }
            match channel(entry, endpoint) {
                Ok(payos) => {
                    channels.insert(payee, payos);
                }
                Err(faults) => problems.extend(
                    faults
                        .into_iter()
                        .map(|fault| format!("payee {payee}: {fault}")),
                ),
            }
        }
        if problems.is_empty() {
            Ok(Self { channels })
        } else {
            Err(ChannelsError { problems })
        }
    }

    /// Channels built elsewhere (tests).
    pub fn new(channels: impl IntoIterator<Item = (PayeeId, Payos)>) -> Self {
        Self {
            channels: channels.into_iter().collect(),
        }
    }

    /// The channel of a payee.
    pub fn get(&self, payee: &PayeeId) -> Option<&Payos> {
        self.channels.get(payee)
    }

    /// The channel a payment is paid into: its payee's.
    pub fn of(&self, payment: &Payment) -> Option<&Payos> {
        self.get(payment.payee.as_ref()?)
    }

    /// Whether a payee has a channel.
    pub fn serves(&self, payee: &PayeeId) -> bool {
        self.channels.contains_key(payee)
    }

    /// The payees, in order.
    pub fn payees(&self) -> impl Iterator<Item = &PayeeId> {
        self.channels.keys()
    }
}

/// One channel of the map, or what is wrong with it (field names and reasons only).
fn channel(entry: &Value, endpoint: &str) -> Result<Payos, Vec<String>> {
    let Value::Object(fields) = entry else {
        return Err(vec![
            "is not an object of client_id, api_key and checksum_key".to_owned(),
        ]);
    };
    let mut faults = Vec::new();
    for name in fields.keys() {
        if !FIELDS.contains(&name.as_str()) {
            faults.push(format!(
                "has an unknown field (only {} are read)",
                FIELDS.join(", ")
            ));
        }
    }
    let mut text = |field: &'static str| match fields.get(field) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.clone()),
        Some(Value::String(_)) | None => {
            faults.push(format!("{field} is missing"));
            None
        }
        Some(_) => {
            faults.push(format!("{field} is not a string"));
            None
        }
    };
    let (client_id, api_key, checksum_key) =
        (text("client_id"), text("api_key"), text("checksum_key"));
    let linked_account = match fields.get("linked_account") {
        None => false,
        Some(Value::Bool(linked)) => *linked,
        Some(_) => {
            faults.push("linked_account is not true or false".to_owned());
            false
        }
    };
    let mut secret = |field: &'static str, value: Option<String>| {
        Secret::new(value?)
            .map_err(|err| faults.push(format!("{field}: {err}")))
            .ok()
    };
    let api_key = secret("api_key", api_key);
    let checksum_key = secret("checksum_key", checksum_key);
    let (Some(client_id), Some(api_key), Some(checksum_key), true) =
        (client_id, api_key, checksum_key, faults.is_empty())
    else {
        return Err(faults);
    };
    Payos::new(PayosConfig {
        client_id,
        api_key,
        checksum_key,
        endpoint: endpoint.to_owned(),
        linked_account,
    })
    .map_err(|err| vec![err.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://api-merchant.payos.vn";
    const API_KEY: &str = "APIKEYAPIKEYAPIKEY-0001";
    const CHECKSUM_KEY: &str = "CHECKSUMKEYCHECKSUMKEYCHECKSUM01";

    fn entry(client_id: &str) -> Value {
        serde_json::json!({"client_id": client_id, "api_key": API_KEY, "checksum_key": CHECKSUM_KEY})
    }

    #[test]
    fn a_map_of_payees_gives_one_channel_per_payee() {
        let json = serde_json::json!({"BD-THCS-NGOQUYEN": entry("CLIENT-NQ"), "bd-th-leloi": entry("CLIENT-LL")});

        let channels = PayosChannels::from_json(&json.to_string(), ENDPOINT).unwrap();

        let payees: Vec<&str> = channels.payees().map(PayeeId::as_str).collect();
        assert_eq!(payees, ["BD-TH-LELOI", "BD-THCS-NGOQUYEN"]);
        assert!(channels.serves(&PayeeId::parse("bd-th-leloi").unwrap()));
        assert!(!channels.serves(&PayeeId::parse("BD-OTHER").unwrap()));
        assert!(!format!("{channels:?}").contains(API_KEY));
        assert!(!format!("{channels:?}").contains(CHECKSUM_KEY));
    }

    #[test]
    fn every_problem_of_a_map_is_named_by_payee_and_field_without_quoting_a_value() {
        let short = "shortkey";
        let cases: [(String, &[&str]); 10] = [
            ("not json".to_owned(), &["not a JSON object"]),
            (format!("[\"{CHECKSUM_KEY}\"]"), &["not a JSON object"]),
            ("{}".to_owned(), &["names no payee"]),
            (
                serde_json::json!({"BD-A": {"client_id": "C1", "api_key": API_KEY}}).to_string(),
                &["payee BD-A: checksum_key is missing"],
            ),
            (
                serde_json::json!({"BD-A": {"client_id": "C1", "api_key": API_KEY, "checksum_key": short}})
                    .to_string(),
                &["payee BD-A: checksum_key: a gateway secret must have at least 16 characters"],
            ),
            (
                serde_json::json!({"BD-A": {"client_id": "C1", "api_key": 7, "checksum_key": CHECKSUM_KEY}})
                    .to_string(),
                &["payee BD-A: api_key is not a string"],
            ),
            (
                serde_json::json!({"BD-A": {"client_id": "C1", "api_key": API_KEY, "checksum_key": CHECKSUM_KEY, "linked_account": "yes"}})
                    .to_string(),
                &["payee BD-A: linked_account is not true or false"],
            ),
            (
                serde_json::json!({"BD-A": entry("C1"), "bd-a": entry("C2")}).to_string(),
                &["payee BD-A is named twice"],
            ),
            (
                serde_json::json!({(CHECKSUM_KEY.to_owned() + "!"): entry("C1")}).to_string(),
                &["payee #1 is not a payee id"],
            ),
            (
                serde_json::json!({"BD-A": {"client_id": "C1", "api_key": API_KEY, "checksum_key": CHECKSUM_KEY, CHECKSUM_KEY: 1}, "BD-B": CHECKSUM_KEY})
                    .to_string(),
                &["payee BD-A: has an unknown field", "payee BD-B: is not an object"],
            ),
        ];
        for (json, expected) in cases {
            let err = PayosChannels::from_json(&json, ENDPOINT).unwrap_err();
            let text = err.to_string();
            assert_eq!(err.problems.len(), expected.len(), "{json}: {text}");
            for (problem, fragment) in err.problems.iter().zip(expected) {
                assert!(problem.contains(fragment), "{json}: {text}");
            }
            for secret in [CHECKSUM_KEY, API_KEY, short] {
                assert!(!text.contains(secret), "{json}: {text}");
            }
        }
    }

    #[test]
    fn a_linked_account_describes_a_payment_by_its_whole_reference_and_any_other_by_its_last_nine()
    {
        let mut linked = entry("C1");
        linked["linked_account"] = Value::Bool(true);
        let mut unlinked = entry("C2");
        unlinked["linked_account"] = Value::Bool(false);
        let json = serde_json::json!({"BD-A": linked, "BD-B": unlinked, "BD-C": entry("C3")});
        let channels = PayosChannels::from_json(&json.to_string(), ENDPOINT).unwrap();
        let reference = hocphi_domain::PaymentRef::parse("HP240901031010ABCD").unwrap();

        let described: Vec<String> = ["BD-A", "BD-B", "BD-C"]
            .iter()
            .map(|payee| {
                let channel = channels.get(&PayeeId::parse(payee).unwrap()).unwrap();
                channel.description(&reference)
            })
            .collect();

        assert_eq!(described, ["HP240901031010ABCD", "31010ABCD", "31010ABCD"]);
    }

    #[test]
    fn a_bad_client_id_or_endpoint_refuses_the_map() {
        let bad_client = serde_json::json!({"BD-A": entry("client id with spaces")}).to_string();

        let client = PayosChannels::from_json(&bad_client, ENDPOINT).unwrap_err();
        let endpoint = PayosChannels::from_json(
            &serde_json::json!({"BD-A": entry("C1")}).to_string(),
            "http://payos.example",
        )
        .unwrap_err();

        assert!(client.problems[0].contains("clientId"), "{client}");
        assert!(endpoint.problems[0].contains("endpoint"), "{endpoint}");
    }
}
