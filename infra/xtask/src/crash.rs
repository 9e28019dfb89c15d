//! `cargo xtask crash [--rounds N] [--payments M]`: the local stack killed with SIGKILL in the
//! middle of a storm of settles, many times over one data directory.
//!
//! Each round seeds M invoices of the demo students; pays half of them through
//! `POST /api/payments` (VNPay: most paid, some declined, some paid but their IPN never sent) and
//! has the local bank confirm the other half; fires every IPN and confirmation twice, shuffled and
//! concurrent, and kills the server after a random delay; then checks the SQLite file
//! (`PRAGMA integrity_check`, read-only) and, after a restart, the invariants
//! ([`crate::storm::check`]) through the store and the API; re-delivers everything, runs the
//! app's sweeper (which must find the captures whose IPN was lost) and checks that every capture
//! is settled exactly once. Any violation fails the task; the data directory is then kept.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::run::{Failure, timed};
use crate::storm::{
    self, Bill, Confirmation, Http, Pupil, Server, Tracked, Vnpay, below, build_server, check,
    checkout, deliver_ipn, flag, fresh_data_dir, integrity, open_store, runtime,
};

/// Settles in flight at once during a storm.
const CONCURRENCY: usize = 16;

/// One settle: a VNPay IPN's signed query, or a bank's confirmation.
#[derive(Clone, Debug)]
enum Settle {
    Ipn(String),
    Confirm(Confirmation),
}

/// What the whole run did.
#[derive(Debug, Default)]
struct Summary {
    rounds: u64,
    kills: u64,
    kills_mid_storm: u64,
    vnpay_payments: u64,
    partner_payments: u64,
    lost_ipns: u64,
    settles_sent: u64,
    settles_answered: u64,
    redelivered: u64,
    swept_settled: u64,
    receipts: usize,
    violations: Vec<String>,
}

/// `cargo xtask crash`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    if let Some(other) = args
        .iter()
        .step_by(2)
        .find(|a| !matches!(a.as_str(), "--rounds" | "--payments"))
    {
        return Err(Failure(format!(
            "unknown flag {other}; flags: --rounds N, --payments M"
        )));
    }
    let rounds = flag(args, "--rounds", 20)?;
    let payments = flag(args, "--payments", 40)?;
    crash(rounds, payments)
}

/// `rounds` rounds of `payments` payments: a timed step of its own.
pub fn crash(rounds: u64, payments: u64) -> Result<(), Failure> {
    let binary = build_server(false)?;
    timed(
        &format!(
            "crash: {rounds} rounds of {payments} payments, a settle storm, kill -9 at random"
        ),
        || {
            let summary = runtime()?.block_on(rounds_over_one_store(&binary, rounds, payments))?;
            print_summary(&summary);
            if summary.violations.is_empty() {
                Ok(())
            } else {
                Err(Failure(format!(
                    "{} violations:\n  {}",
                    summary.violations.len(),
                    summary.violations.join("\n  ")
                )))
            }
        },
    )
}

fn print_summary(s: &Summary) {
    println!(
        "\ncrash summary: {} rounds, {} kills ({} in the middle of the storm), {} payments \
         ({} VNPay, {} partner; {} IPNs never sent), {} settles sent in storms ({} answered \
         before the kill), {} re-delivered, {} captures found by the sweeper, {} receipts, {} \
         violations",
        s.rounds,
        s.kills,
        s.kills_mid_storm,
        s.vnpay_payments + s.partner_payments,
        s.vnpay_payments,
        s.partner_payments,
        s.lost_ipns,
        s.settles_sent,
        s.settles_answered,
        s.redelivered,
        s.swept_settled,
        s.receipts,
        s.violations.len()
    );
}

async fn rounds_over_one_store(
    binary: &Path,
    rounds: u64,
    per_round: u64,
) -> Result<Summary, Failure> {
    let data = fresh_data_dir("crash")?;
    let mut server = Server::start(binary, &data)?;
    let store = open_store(&data)?;
    let vnpay = Arc::new(Vnpay::new()?);
    let http = Http::new(None);
    let run = storm::random_hex()[..6].to_ascii_uppercase();
    let pupils = Pupil::demo();
    let mut tracked: Vec<Tracked> = Vec::new();
    let mut summary = Summary::default();
    let mut window_ms: u64 = 300;
    for round in 1..=rounds {
        let bills: Vec<Bill> = (0..per_round)
            .map(|i| Bill {
                id: format!("CR-{run}-{round:03}-{i:04}"),
                pupil: pupils[usize::try_from(i).unwrap_or(0) % pupils.len()].clone(),
                amount: 100_000 + 1_000 * (i % 50),
            })
            .collect();
        storm::seed_invoices(&store, &bills).await?;
        let first_of_round = tracked.len();
        let mut settles = Vec::new();
        for (i, bill) in bills.iter().enumerate() {
            if i % 2 == 0 {
                let (reference, query) = checkout(&http, &server.base, bill)
                    .await
                    .map_err(|e| Failure(format!("round {round}: {e}")))?;
                let (code, captured, lost) = match below(100) {
                    0..15 => ("24", false, false),
                    15..25 => ("00", true, true),
                    _ => ("00", true, false),
                };
                let ipn = vnpay.ipn(&reference, &query, code).map_err(Failure)?;
                tracked.push(Tracked {
                    reference,
                    invoice: bill.id.clone(),
                    captured,
                    declined: !captured,
                });
                summary.vnpay_payments += 1;
                if lost {
                    summary.lost_ipns += 1;
                } else {
                    settles.push(Settle::Ipn(ipn));
                }
            } else {
                let confirmation = Confirmation {
                    txn: format!("BK{run}{round:03}{i:04}"),
                    bill: bill.clone(),
                };
                tracked.push(Tracked {
                    reference: confirmation.reference().map_err(Failure)?.to_string(),
                    invoice: bill.id.clone(),
                    captured: true,
                    declined: false,
                });
                summary.partner_payments += 1;
                settles.push(Settle::Confirm(confirmation));
            }
        }

        let mut storm: Vec<Settle> = settles.iter().chain(settles.iter()).cloned().collect();
        shuffle(&mut storm);
        summary.settles_sent += storm.len() as u64;
        let delay = below(window_ms + 1);
        let started = Instant::now();
        let fired = tokio::spawn(fire(http.clone(), server.base.clone(), storm));
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let mid_storm = !fired.is_finished();
        server.kill();
        summary.kills += 1;
        let outcome = fired
            .await
            .map_err(|e| Failure(format!("the storm's task: {e}")))?;
        if mid_storm {
            summary.kills_mid_storm += 1;
        } else {
            window_ms = u64::try_from(outcome.took.as_millis())
                .unwrap_or(u64::MAX)
                .max(50);
        }
        summary.settles_answered += outcome.answered;
        let mut violations: Vec<String> = outcome.wrong;

        if let Err(e) = integrity(&data) {
            violations.push(e);
        }
        server = Server::start(binary, &data)?;
        let findings = check(&store, &tracked, false).await?;
        violations.extend(findings.violations);
        for t in &tracked[first_of_round..] {
            violations.extend(api_agrees(&http, &server.base, &store, t).await?);
        }

        let again = fire(http.clone(), server.base.clone(), settles.clone()).await;
        summary.redelivered += again.answered;
        violations.extend(again.wrong);
        if again.answered != settles.len() as u64 {
            violations.push(format!(
                "re-delivery: {} of {} settles answered",
                again.answered,
                settles.len()
            ));
        }
        let report = storm::sweep(&data, Arc::clone(&vnpay)).await?;
        summary.swept_settled += u64::from(report.settled);
        let findings = check(&store, &tracked, true).await?;
        violations.extend(findings.violations);
        summary.receipts = findings.receipts;
        println!(
            "  round {round:>3}: killed after {delay:>4} ms {} ({}/{} storm settles answered); \
             sweep settled {}; {} receipts; {} violations",
            if mid_storm { "mid-storm" } else { "after it " },
            outcome.answered,
            settles.len() * 2,
            report.settled,
            findings.receipts,
            violations.len(),
        );
        summary.rounds += 1;
        summary.violations.extend(
            violations
                .into_iter()
                .map(|v| format!("round {round}: {v}")),
        );
        if started.elapsed() > Duration::from_secs(120) {
            summary
                .violations
                .push(format!("round {round} took over two minutes"));
        }
    }
    drop(server);
    if summary.violations.is_empty() {
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(data.with_extension("log"));
    } else {
        println!("  data kept for inspection: {}", data.display());
    }
    Ok(summary)
}

/// The API's view of a payment agrees with the store's: a Succeeded payment reads `succeeded`
/// with a receipt, any other reads without one (and a confirmation never stored is not found).
async fn api_agrees(
    http: &Http,
    base: &str,
    store: &hocphi_store::SqliteStore,
    t: &Tracked,
) -> Result<Vec<String>, Failure> {
    use hocphi_domain::{PaymentRef, PaymentStatus, Store};
    let reference = PaymentRef::parse(&t.reference).map_err(|e| Failure(e.to_string()))?;
    let stored = store
        .payment(&reference)
        .await
        .map_err(|e| Failure(format!("the store: {e}")))?;
    let answer = storm::api_status(http, base, &t.reference).await;
    Ok(match (stored, answer) {
        (None, Err(_)) => Vec::new(),
        (Some(p), Ok((status, receipt)))
            if (p.status == PaymentStatus::Succeeded) == (status == "succeeded" && receipt) =>
        {
            Vec::new()
        }
        (stored, answer) => vec![format!(
            "{}: the store says {:?}, the API {answer:?}",
            t.reference,
            stored.map(|p| p.status)
        )],
    })
}

/// What a volley of settles got.
struct Outcome {
    /// Settles that got a whole answer.
    answered: u64,
    /// Answers that are not what the channel's protocol allows for them.
    wrong: Vec<String>,
    /// Until the last settle was answered or cut.
    took: Duration,
}

/// Sends `settles` over [`CONCURRENCY`] connections until each is answered or cut.
async fn fire(http: Http, base: String, settles: Vec<Settle>) -> Outcome {
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(VecDeque::from(settles)));
    let answered = Arc::new(AtomicU64::new(0));
    let wrong = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, base) = (http.clone(), base.clone());
        let (queue, answered, wrong) = (
            Arc::clone(&queue),
            Arc::clone(&answered),
            Arc::clone(&wrong),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let next = queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                let Some(settle) = next else { break };
                let verdict = match &settle {
                    Settle::Ipn(query) => deliver_ipn(&http, &base, query).await.map(|code| {
                        matches!(code.as_str(), "00" | "02")
                            .then_some(())
                            .ok_or(format!("an IPN answered RspCode {code}"))
                    }),
                    Settle::Confirm(c) => c.send(&http, &base).await.map(|status| {
                        (status == 200)
                            .then_some(())
                            .ok_or(format!("confirmation {} answered {status}", c.txn))
                    }),
                };
                match verdict {
                    Ok(result) => {
                        answered.fetch_add(1, Ordering::Relaxed);
                        if let Err(w) = result {
                            wrong.lock().unwrap_or_else(PoisonError::into_inner).push(w);
                        }
                    }
                    Err(_cut) => {}
                }
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let wrong = std::mem::take(&mut *wrong.lock().unwrap_or_else(PoisonError::into_inner));
    Outcome {
        answered: answered.load(Ordering::Relaxed),
        wrong,
        took: started.elapsed(),
    }
}

/// Fisher–Yates.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = usize::try_from(below(i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shuffle_keeps_every_settle_once() {
        let mut items: Vec<u32> = (0..100).collect();

        shuffle(&mut items);

        items.sort_unstable();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }
}
