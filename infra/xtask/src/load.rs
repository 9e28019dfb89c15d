//! `cargo xtask load [--secs N] [--concurrency C] [--release]`: a bounded load on the local stack
//! over loopback, its figures printed (a benchmark: nothing is asserted about speed).
//!
//! C workers run for N seconds, each picking its next request from a fixed mix: a parent's
//! look-up with the right code; a look-up with a well-formed code for a student code that does
//! not exist (answered as a wrong code is, 404), each such source (`127.x.y.z`, its own to the
//! rate limits) used at most 20 times so the per-source limit is not what is measured; a VNPay
//! checkout (`POST /api/payments`) of a seeded invoice; the signed IPN of a checkout made
//! earlier; a bank's signed confirmation of another invoice. It prints requests, requests per
//! second, p50 and p99 latency and errors per kind (an error: no whole answer, or an answer the
//! protocol does not allow). Afterwards what was not answered is re-sent, IPNs still queued are
//! delivered, and every captured payment must be Succeeded with exactly one receipt, the receipt
//! count equal to the captures and the numbers without gap ([`crate::storm::check`]).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::run::{Failure, timed};
use crate::storm::{
    self, Bill, Confirmation, Http, Pupil, Server, Tracked, Vnpay, below, build_server, check,
    checkout, deliver_ipn, flag, fresh_data_dir, open_store, runtime,
};

/// Students the load pays for; each has `invoices / STUDENTS` open invoices to begin with.
const STUDENTS: usize = 200;
/// Their lookup code.
const CODE: &str = "AB12CD34";
/// Invoices seeded per second of the run: more than the checkouts and confirmations take.
const INVOICES_PER_SEC: u64 = 120;
/// Wrong look-ups made from one source before the next source is used.
const WRONG_PER_SOURCE: u64 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    LookupRight,
    LookupWrong,
    Checkout,
    Ipn,
    Confirm,
}

const KINDS: [(Kind, &str); 5] = [
    (Kind::LookupRight, "look-up, right code"),
    (Kind::LookupWrong, "look-up, wrong pair"),
    (Kind::Checkout, "checkout (VNPay)"),
    (Kind::Ipn, "VNPay IPN"),
    (Kind::Confirm, "partner confirmation"),
];

fn index(kind: Kind) -> usize {
    KINDS.iter().position(|(k, _)| *k == kind).unwrap_or(0)
}

/// Latencies (µs) and errors of one kind.
#[derive(Debug, Default)]
struct Tally {
    micros: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

/// What the workers share.
#[derive(Debug)]
struct Shared {
    base: String,
    pupils: Vec<Pupil>,
    bills: Mutex<VecDeque<Bill>>,
    ipns: Mutex<VecDeque<(String, String)>>,
    vnpay: Vnpay,
    tallies: [Mutex<Tally>; 5],
    /// Checkouts (reference, invoice) made.
    checkouts: Mutex<Vec<(String, String)>>,
    /// IPNs that got no allowed answer: delivered again afterwards.
    unsettled_ipns: Mutex<Vec<String>>,
    confirmations: Mutex<Vec<(Confirmation, bool)>>,
    sources: AtomicU64,
    exhausted: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `cargo xtask load`.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--secs" | "--concurrency" => {
                rest.next();
            }
            "--release" => {}
            other => {
                return Err(Failure(format!(
                    "unknown flag {other}; flags: --secs N, --concurrency C, --release"
                )));
            }
        }
    }
    let secs = flag(args, "--secs", 30)?.max(1);
    let concurrency = flag(args, "--concurrency", 16)?.max(1);
    let release = args.iter().any(|a| a == "--release");
    let binary = build_server(release)?;
    timed(
        &format!("load: {secs} s, {concurrency} at once, on loopback"),
        || runtime()?.block_on(load(&binary, secs, concurrency)),
    )
}

async fn load(binary: &Path, secs: u64, concurrency: u64) -> Result<(), Failure> {
    let data = fresh_data_dir("load")?;
    let server = Server::start(binary, &data)?;
    let store = open_store(&data)?;
    let pupils = Pupil::extra(STUDENTS, CODE);
    storm::seed_students(&store, &storm::lookup_key(&data)?, &pupils).await?;
    let invoices = secs * INVOICES_PER_SEC;
    let run = storm::random_hex()[..6].to_ascii_uppercase();
    let mut bills: VecDeque<Bill> = (0..invoices)
        .map(|i| Bill {
            id: format!("LD-{run}-{i:06}"),
            pupil: pupils[usize::try_from(i).unwrap_or(0) % pupils.len()].clone(),
            amount: 50_000 + 1_000 * (i % 100),
        })
        .collect();
    let seeding = Instant::now();
    storm::seed_invoices(&store, bills.make_contiguous()).await?;
    println!(
        "  seeded {STUDENTS} students and {invoices} invoices in {:.1?}",
        seeding.elapsed()
    );
    let shared = Arc::new(Shared {
        base: server.base.clone(),
        pupils,
        bills: Mutex::new(bills),
        ipns: Mutex::new(VecDeque::new()),
        vnpay: Vnpay::new()?,
        tallies: Default::default(),
        checkouts: Mutex::new(Vec::new()),
        unsettled_ipns: Mutex::new(Vec::new()),
        confirmations: Mutex::new(Vec::new()),
        sources: AtomicU64::new(0),
        exhausted: AtomicU64::new(0),
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(Arc::clone(&shared), deadline)))
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed();
    print_table(&shared, elapsed);
    if shared.exhausted.load(Ordering::Relaxed) > 0 {
        println!(
            "  the seeded invoices ran out: {} checkouts or confirmations became look-ups",
            shared.exhausted.load(Ordering::Relaxed)
        );
    }

    let http = Http::new(None);
    let mut leftovers: Vec<String> = lock(&shared.ipns).drain(..).map(|(_, q)| q).collect();
    leftovers.append(&mut lock(&shared.unsettled_ipns));
    let mut failures = Vec::new();
    for query in &leftovers {
        match deliver_ipn(&http, &shared.base, query).await {
            Ok(code) if code == "00" || code == "02" => {}
            other => failures.push(format!("an IPN delivered afterwards: {other:?}")),
        }
    }
    let confirmations = lock(&shared.confirmations).clone();
    for (confirmation, answered) in &confirmations {
        if !answered {
            match confirmation.send(&http, &shared.base).await {
                Ok(200) => {}
                other => failures.push(format!("a confirmation sent again: {other:?}")),
            }
        }
    }
    let mut tracked: Vec<Tracked> = lock(&shared.checkouts)
        .iter()
        .map(|(reference, invoice)| Tracked {
            reference: reference.clone(),
            invoice: invoice.clone(),
            captured: true,
            declined: false,
        })
        .collect();
    for (confirmation, _) in &confirmations {
        tracked.push(Tracked {
            reference: confirmation.reference().map_err(Failure)?.to_string(),
            invoice: confirmation.bill.id.clone(),
            captured: true,
            declined: false,
        });
    }
    let findings = check(&store, &tracked, true).await?;
    failures.extend(findings.violations);
    if findings.receipts != tracked.len() || findings.succeeded != tracked.len() {
        failures.push(format!(
            "{} captures, {} succeeded, {} receipts",
            tracked.len(),
            findings.succeeded,
            findings.receipts
        ));
    }
    println!(
        "\n  afterwards: {} IPNs delivered late, {} captures ({} checkouts, {} confirmations): \
         {} succeeded, {} receipts, {} violations",
        leftovers.len(),
        tracked.len(),
        tracked.len() - confirmations.len(),
        confirmations.len(),
        findings.succeeded,
        findings.receipts,
        failures.len()
    );
    drop(server);
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(data.with_extension("log"));
        Ok(())
    } else {
        Err(Failure(format!(
            "something was lost (data kept in {}):\n  {}",
            data.display(),
            failures.join("\n  ")
        )))
    }
}

/// `127.x.y.z` for the `n`th wrong-look-up source (never 127.0.0.1).
fn source(n: u64) -> IpAddr {
    let n = n + 1;
    let [_, _, _, _, _, x, y, z] = n.to_be_bytes();
    IpAddr::V4(Ipv4Addr::new(127, x.wrapping_add(1), y, z))
}

async fn worker(shared: Arc<Shared>, deadline: Instant) {
    let http = Http::new(None);
    let mut wrong: Option<(Http, u64)> = None;
    while Instant::now() < deadline {
        let mut kind = match below(100) {
            0..30 => Kind::LookupRight,
            30..45 => Kind::LookupWrong,
            45..65 => Kind::Checkout,
            65..85 => Kind::Ipn,
            _ => Kind::Confirm,
        };
        let ipn = if kind == Kind::Ipn {
            let next = lock(&shared.ipns).pop_front();
            if next.is_none() {
                kind = Kind::Checkout;
            }
            next
        } else {
            None
        };
        let bill = if matches!(kind, Kind::Checkout | Kind::Confirm) {
            let next = lock(&shared.bills).pop_front();
            if next.is_none() {
                shared.exhausted.fetch_add(1, Ordering::Relaxed);
                kind = Kind::LookupRight;
            }
            next
        } else {
            None
        };
        let started = Instant::now();
        let result: Result<(), String> = match (kind, bill, ipn) {
            (Kind::Checkout, Some(bill), _) => match checkout(&http, &shared.base, &bill).await {
                Ok((reference, query)) => {
                    let took = started.elapsed();
                    lock(&shared.checkouts).push((reference.clone(), bill.id.clone()));
                    let signed = shared.vnpay.ipn(&reference, &query, "00");
                    let result = signed.map(|ipn| lock(&shared.ipns).push_back((reference, ipn)));
                    note(&shared, Kind::Checkout, Some(took), result);
                    continue;
                }
                Err(e) => Err(e),
            },
            (Kind::Confirm, Some(bill), _) => {
                let confirmation = Confirmation {
                    txn: format!("LB{}", &bill.id[3..].replace('-', "")),
                    bill,
                };
                let answer = confirmation.send(&http, &shared.base).await;
                let ok = answer == Ok(200);
                lock(&shared.confirmations).push((confirmation, ok));
                answer.and_then(|status| {
                    ok.then_some(())
                        .ok_or(format!("a confirmation answered {status}"))
                })
            }
            (Kind::Ipn, _, Some((_, query))) => {
                let answer = deliver_ipn(&http, &shared.base, &query).await;
                let ok = matches!(answer.as_deref(), Ok("00" | "02"));
                if !ok {
                    lock(&shared.unsettled_ipns).push(query);
                }
                answer.and_then(|code| {
                    ok.then_some(())
                        .ok_or(format!("an IPN answered RspCode {code}"))
                })
            }
            (Kind::LookupWrong, _, _) => {
                let (client, used) = match wrong.take() {
                    Some((client, used)) if used < WRONG_PER_SOURCE => (client, used),
                    _ => (
                        Http::new(Some(source(shared.sources.fetch_add(1, Ordering::Relaxed)))),
                        0,
                    ),
                };
                let started = Instant::now();
                let student = format!("KHONGCO{:010}", below(10_000_000_000));
                let answer = client
                    .get(&format!(
                        "{}/api/invoices?student={student}&code={CODE}",
                        shared.base
                    ))
                    .await;
                wrong = Some((client, used + 1));
                let result = answer.and_then(|(status, _)| {
                    (status == 404)
                        .then_some(())
                        .ok_or(format!("a wrong look-up answered {status}"))
                });
                note(&shared, kind, Some(started.elapsed()), result);
                continue;
            }
            _ => {
                let pupil =
                    &shared.pupils[usize::try_from(below(shared.pupils.len() as u64)).unwrap_or(0)];
                http.get(&format!(
                    "{}/api/invoices?student={}&code={CODE}",
                    shared.base, pupil.code
                ))
                .await
                .and_then(|(status, _)| {
                    (status == 200)
                        .then_some(())
                        .ok_or(format!("a look-up answered {status}"))
                })
            }
        };
        note(&shared, kind, Some(started.elapsed()), result);
    }
}

fn note(shared: &Shared, kind: Kind, took: Option<Duration>, result: Result<(), String>) {
    let mut tally = lock(&shared.tallies[index(kind)]);
    match result {
        Ok(()) => {
            if let Some(took) = took {
                tally
                    .micros
                    .push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
            }
        }
        Err(e) => {
            tally.errors += 1;
            tally.first_error.get_or_insert(e);
        }
    }
}

/// Milliseconds with one decimal, from microseconds.
fn ms(micros: u64) -> String {
    format!("{}.{}", micros / 1000, (micros % 1000) / 100)
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    sorted
        .get(sorted.len().saturating_sub(1) * p / 100)
        .copied()
        .unwrap_or(0)
}

fn per_second(count: u64, elapsed: Duration) -> u64 {
    let millis = u64::try_from(elapsed.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    count * 1000 / millis
}

fn print_table(shared: &Shared, elapsed: Duration) {
    println!(
        "\n  {:<22} {:>9} {:>8} {:>9} {:>9} {:>7}",
        "kind", "requests", "per s", "p50 ms", "p99 ms", "errors"
    );
    let mut total = 0;
    let mut errors = 0;
    let mut all = Vec::new();
    for (kind, name) in KINDS {
        let mut tally = lock(&shared.tallies[index(kind)]);
        tally.micros.sort_unstable();
        let count = tally.micros.len() as u64 + tally.errors;
        total += count;
        errors += tally.errors;
        all.extend_from_slice(&tally.micros);
        println!(
            "  {name:<22} {count:>9} {:>8} {:>9} {:>9} {:>7}",
            per_second(count, elapsed),
            ms(percentile(&tally.micros, 50)),
            ms(percentile(&tally.micros, 99)),
            tally.errors
        );
        if let Some(e) = &tally.first_error {
            println!("    first error: {e}");
        }
    }
    all.sort_unstable();
    println!(
        "  {:<22} {total:>9} {:>8} {:>9} {:>9} {errors:>7}",
        "all",
        per_second(total, elapsed),
        ms(percentile(&all, 50)),
        ms(percentile(&all, 99)),
    );
    println!("  ({elapsed:.1?} of load)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wrong_look_up_source_is_its_own_loopback_address_never_127_0_0_1() {
        let sources: std::collections::HashSet<IpAddr> = (0..70_000).map(source).collect();

        assert_eq!(sources.len(), 70_000);
        assert!(sources.iter().all(IpAddr::is_loopback));
        assert!(!sources.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn percentiles_take_the_value_at_their_rank() {
        let sorted: Vec<u64> = (1..=100).collect();

        assert_eq!(percentile(&sorted, 50), 50);
        assert_eq!(percentile(&sorted, 99), 99);
        assert_eq!(percentile(&[], 99), 0);
        assert_eq!(ms(1_234_567), "1234.5");
        assert_eq!(per_second(300, Duration::from_secs(2)), 150);
    }
}
