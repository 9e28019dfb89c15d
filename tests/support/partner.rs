//! The bill-payment partners' side of the partner API's generic profile: requests signed as a
//! bank signs them (the local `BANKDEMO` with its public local key), each under a fresh nonce.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use hocphi_domain::{Clock, Store};
use hocphi_runtime::config::{LOCAL_BANK_KEY, LOCAL_BANK_PARTNER};
use serde_json::Value;

use crate::{Answer, World};

/// A nonce never used before in this process.
pub fn fresh_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("nonce-{:06}", NEXT.fetch_add(1, Ordering::SeqCst))
}

/// One signed request of the generic profile, as a bank sends it.
#[derive(Clone, Debug)]
pub struct Signed {
    pub path: String,
    pub body: String,
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
}

/// The bank's request for `op` (`bills`, `confirmations`, `reversals`) with `body`, signed with
/// `key` at `at` under a fresh nonce.
pub fn signed_as(partner: &str, key: &str, op: &str, body: &Value, at: DateTime<Utc>) -> Signed {
    let path = format!("/api/partners/{partner}/{op}");
    let body = body.to_string();
    let nonce = fresh_nonce();
    let timestamp = at.timestamp();
    let signature = hocphi_gateways::partner::generic::sign(
        key,
        "POST",
        &path,
        timestamp,
        &nonce,
        body.as_bytes(),
    );
    Signed {
        path,
        body,
        timestamp: timestamp.to_string(),
        nonce,
        signature,
    }
}

pub async fn send<S: Store>(world: &World<S>, request: &Signed) -> Answer {
    world
        .call(
            "POST",
            &request.path,
            &[
                ("content-type", "application/json"),
                ("x-hocphi-timestamp", &request.timestamp),
                ("x-hocphi-nonce", &request.nonce),
                ("x-hocphi-signature", &request.signature),
            ],
            &request.body,
        )
        .await
}

/// The demo bank's request, signed now with its key.
pub fn bank(world: &World<impl Store>, op: &str, body: &Value) -> Signed {
    signed_as(
        LOCAL_BANK_PARTNER,
        LOCAL_BANK_KEY,
        op,
        body,
        world.clock.now(),
    )
}

/// The demo bank asks and hocphi answers.
pub async fn bank_says<S: Store>(world: &World<S>, op: &str, body: Value) -> Answer {
    send(world, &bank(world, op, &body)).await
}
