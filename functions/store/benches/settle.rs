//! Settles per second on the SQLite store with durable commits, with 1 and 8 concurrent tasks.
//!
//! `cargo bench -p hocphi-store --bench settle` prints one line per concurrency level.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use hocphi_domain::{
    Actor, GatewayEvent, GatewayKind, GatewayTxnNo, Payment, PaymentRef, ReceiptToken, Settled,
    Store,
};
use hocphi_store::SqliteStore;
use hocphi_store::conformance::fixtures::{self, InvoiceFixture};

const SETTLES: u32 = 4_000;

async fn prepare(store: &SqliteStore, run: u32) -> Vec<Payment> {
    let at = Utc.with_ymd_and_hms(2025, 9, 15, 1, 0, 0).unwrap();
    store
        .upsert_school(
            &fixtures::school(fixtures::SCHOOL, fixtures::SCHOOL_NAME),
            at,
            &Actor::Sweeper,
        )
        .await
        .unwrap();
    let mut payments = Vec::new();
    for n in 0..SETTLES {
        let id = format!("R{run}-INV-{n}");
        let student = format!("HS{run}{n:06}");
        let invoice = InvoiceFixture {
            student: &student,
            ..InvoiceFixture::new(&id, &[("Học phí", 1_500_000), ("Bảo hiểm y tế", 680_400)])
        }
        .build();
        store
            .upsert_invoice(&invoice, at, &Actor::Sweeper)
            .await
            .unwrap();
        let reference = PaymentRef::parse(&format!("HPR{run}N{n}")).unwrap();
        let payment = Payment::open(
            reference,
            &[invoice],
            &[],
            GatewayKind::Vnpay,
            at,
            Duration::minutes(15),
        )
        .unwrap();
        store
            .create_payment(&payment, at, &Actor::Parent)
            .await
            .unwrap();
        payments.push(payment);
    }
    payments
}

async fn settle_all(store: &SqliteStore, payments: Vec<Payment>, tasks: usize) -> u128 {
    let at = Utc.with_ymd_and_hms(2025, 9, 15, 1, 5, 0).unwrap();
    let mut chunks: Vec<Vec<Payment>> = vec![Vec::new(); tasks];
    for (i, p) in payments.into_iter().enumerate() {
        chunks[i % tasks].push(p);
    }
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for chunk in chunks {
        let store = store.clone();
        set.spawn(async move {
            for payment in chunk {
                let event = GatewayEvent::Paid {
                    txn: GatewayTxnNo::parse("14226112").unwrap(),
                    amount: payment.amount,
                };
                let outcome = store
                    .settle(
                        &payment.reference,
                        payment.gateway,
                        &event,
                        at,
                        &ReceiptToken::from_entropy([7; 16]),
                        &Actor::Channel {
                            gateway: payment.gateway,
                        },
                    )
                    .await
                    .unwrap();
                assert!(matches!(outcome, Settled::Applied(_)));
            }
        });
    }
    set.join_all().await;
    u128::from(SETTLES) * 1_000_000 / started.elapsed().as_micros().max(1)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
        for (run, tasks) in [(1, 1), (2, 8)] {
            let payments = prepare(&store, run).await;
            let rate = settle_all(&store, payments, tasks).await;
            println!("settle/sqlite/{tasks} task(s): {rate} settles/s ({SETTLES} settles, synchronous=FULL, WAL)");
        }
    });
}
