//! Verified-and-settled VNPay IPNs per second through hocphi's HTTP mapping on the SQLite store
//! (durable commits), with 1 and 8 concurrent callers. Figures are printed, never asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::Duration;
use hocphi_domain::{
    Clock, GatewayKind, Invoice, InvoiceDraft, InvoiceId, Label, LineItem, MaskedName, Money,
    Payment, PaymentRef, SchoolId, SchoolYear, Store, StudentCode,
};
use hocphi_gateways::{Checkout, CheckoutContext, Locale};
use hocphi_store::SqliteStore;
use hocphi_tests::{PARENT_IP, SITE, World, join_all, sqlite_world};

const IPNS: usize = 2_000;

async fn prepare(world: &World<SqliteStore>, run: usize) -> Vec<String> {
    let now = world.clock.now();
    let gateway = world.app.gateways.vnpay.as_ref().unwrap();
    let mut ipns = Vec::with_capacity(IPNS);
    for n in 0..IPNS {
        let invoice = Invoice::new(InvoiceDraft {
            id: InvoiceId::parse(&format!("B{run}-{n}")).unwrap(),
            school: SchoolId::parse("BD-THCS-NQ").unwrap(),
            student: StudentCode::parse(&format!("HS{run}{n:06}")).unwrap(),
            student_name: MaskedName::mask("Nguyễn Văn An").unwrap(),
            class_name: Label::parse("6A1").unwrap(),
            school_year: SchoolYear::starting(2025).unwrap(),
            term: Label::parse("Học kỳ 1").unwrap(),
            items: vec![LineItem::new(
                Label::parse("Học phí").unwrap(),
                Money::from_vnd(1_500_000).unwrap(),
            )],
            due_date: chrono::NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
        })
        .unwrap();
        world
            .app
            .store
            .upsert_invoice(
                &invoice,
                now,
                &hocphi_domain::Actor::operator(hocphi_domain::Label::parse("ketoan01").unwrap()),
            )
            .await
            .unwrap();
        let reference = PaymentRef::parse(&format!("HPB{run}N{n}")).unwrap();
        let payment = Payment::open(
            reference,
            &[invoice],
            &[],
            GatewayKind::Vnpay,
            now,
            Duration::minutes(15),
        )
        .unwrap();
        world
            .app
            .store
            .create_payment(&payment, now, &hocphi_domain::Actor::Parent)
            .await
            .unwrap();
        let context = CheckoutContext {
            client_ip: PARENT_IP.parse().unwrap(),
            locale: Locale::Vietnamese,
            return_url: format!("{SITE}/ket-qua"),
            order_info: "Thanh toan hoc phi".into(),
            bank_code: None,
            now,
        };
        let Ok(Checkout::Redirect { url }) = gateway.checkout(&payment, &context) else {
            panic!("VNPay redirects");
        };
        world.sim.open(url.split_once('?').unwrap().1, now).unwrap();
        let completion = world
            .sim
            .complete(
                payment.reference.as_str(),
                hocphi_gateways::vnpay::simulator::Choice::Pay,
                now,
            )
            .unwrap();
        ipns.push(completion.ipn_url);
    }
    ipns
}

async fn deliver_all(world: &World<SqliteStore>, ipns: &[String], callers: usize) -> u128 {
    let started = Instant::now();
    let chunks: Vec<&[String]> = ipns.chunks(ipns.len().div_ceil(callers)).collect();
    join_all(
        chunks
            .into_iter()
            .map(|chunk| async move {
                for ipn in chunk {
                    let reply = world.deliver(ipn).await;
                    assert_eq!(reply["RspCode"], "00", "{reply}");
                }
            })
            .collect(),
    )
    .await;
    (ipns.len() as u128) * 1_000_000 / started.elapsed().as_micros().max(1)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let world = sqlite_world().await;
        for (run, callers) in [(1, 1), (2, 8)] {
            let ipns = prepare(&world, run).await;
            let rate = deliver_all(&world, &ipns, callers).await;
            println!(
                "callback/vnpay/sqlite/{callers} caller(s): {rate} verified-and-settled IPNs/s ({IPNS} IPNs)"
            );
        }
    });
}
