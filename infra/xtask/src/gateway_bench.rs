//! `cargo xtask bench gateways`: hocphi's callback verification against npm `vnpay`'s
//! `verifyIpnCall` on the same IPN and secret, and against the bare HMAC of the same signed
//! string keyed once, with the ratios checked against their targets.
//!
//! The Rust figures come from `functions/gateways/benches/verify.rs`: verification and the bare
//! HMAC timed in alternating batches (`<target>/criterion/<group>/paired.txt`, so that a change
//! of the machine's load slows both alike), and criterion's median of the HMAC keyed per call
//! (`<group>/hmac_keyed_per_call/new/estimates.json`); the Node figure is the median of
//! timed batches of `verifyIpnCall`, run in the same task on the same machine. npm `vnpay` is
//! installed pinned into the tools directory, as `frontend/build.sh` installs esbuild.

use std::path::Path;
use std::process::Command;

use crate::run::{Failure, cargo, step, target_dir, timed, tools_dir};

/// The npm package hocphi's VNPay verification is compared with, pinned.
const NPM_VNPAY: &str = "vnpay";
const NPM_VNPAY_VERSION: &str = "2.5.0";

/// hocphi must verify a VNPay IPN at least this many times faster than npm `vnpay` (in
/// hundredths).
const NODE_TARGET: u64 = 1000;
/// hocphi's verification may take at most this multiple of the bare pre-keyed HMAC (in
/// hundredths).
const BARE_TARGET: u64 = 130;

/// The bench's `vnpay_ipn_typical` IPN (signed by PHP with [`VNPAY_SECRET`] for [`TMN_CODE`]).
const TMN_CODE: &str = "TESTTMN1";
const VNPAY_SECRET: &str = "SECRETSECRETSECRETSECRETSECRET12";
const TYPICAL_IPN: &str = "vnp_Amount=150000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=Hoc+phi+HK1+2024-2025+Nguyen+V.+A.&vnp_PayDate=20240901101500&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14226112&vnp_TransactionStatus=00&vnp_TxnRef=HP240901031010ABCD2345&vnp_SecureHash=54944d32c2b471a26349c0bf994557b328c8d36283e768665989b8b19d6bb14ec5cf55551eba6ce9cea908f014ad28540018278558a3a2d13879789d775223f7";

/// Times `verifyIpnCall` on a query already parsed into an object (what an Express handler
/// passes it), and with the parsing; checks first that it accepts the IPN.
const NODE_SCRIPT: &str = r#"
const [pkg, tmnCode, secureSecret, query] = process.argv.slice(1);
const { VNPay, ignoreLogger } = require(pkg);
const vnpay = new VNPay({ tmnCode, secureSecret, enableLog: false, loggerFn: ignoreLogger });
const params = Object.fromEntries(new URLSearchParams(query));
const once = vnpay.verifyIpnCall(params);
if (!once.isVerified) {
  console.error("npm vnpay did not verify the IPN: " + JSON.stringify(once));
  process.exit(1);
}
function median(run) {
  const start = process.hrtime.bigint();
  while (process.hrtime.bigint() - start < 500000000n) run();
  const per = [];
  for (let round = 0; round < 21; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) run();
    per.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  per.sort((a, b) => a - b);
  return per[10];
}
const verify = median(() => vnpay.verifyIpnCall(params));
const parsed = median(() => vnpay.verifyIpnCall(Object.fromEntries(new URLSearchParams(query))));
console.log(Math.round(verify) + " " + Math.round(parsed));
"#;

/// One channel's figures: hocphi's verification and the bare HMAC keyed once, in nanoseconds.
struct Channel {
    name: &'static str,
    group: &'static str,
    hash: &'static str,
}

const CHANNELS: [Channel; 3] = [
    Channel {
        name: "VNPay IPN",
        group: "vnpay_ipn_typical",
        hash: "HMAC-SHA512",
    },
    Channel {
        name: "MoMo IPN",
        group: "momo_ipn",
        hash: "HMAC-SHA256",
    },
    Channel {
        name: "payOS webhook",
        group: "payos_webhook",
        hash: "HMAC-SHA256",
    },
];

/// The median criterion recorded for one benchmark, in whole nanoseconds.
fn criterion_median(group: &str, bench: &str) -> Result<u64, Failure> {
    let path = target_dir()
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let estimates: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Failure(format!("{} is not JSON: {e}", path.display())))?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .filter(|ns| ns.is_finite() && *ns >= 1.0)
        .map(|ns| ns.round() as u64)
        .ok_or_else(|| Failure(format!("{} has no median", path.display())))
}

/// The bench's paired figures for a group: verification and bare HMAC in nanoseconds, and the
/// median ratio of alternating batches in hundredths.
fn paired(group: &str) -> Result<(u64, u64, u64), Failure> {
    let path = target_dir()
        .join("criterion")
        .join(group)
        .join("paired.txt");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [ours, bare, permille] => Ok((ours, bare, permille.div_ceil(10))),
        _ => Err(Failure(format!(
            "{} is not `verify bare ratio`",
            path.display()
        ))),
    }
}

/// npm `vnpay`, installed pinned under the tools directory if it is not there yet.
fn npm_vnpay() -> Result<std::path::PathBuf, Failure> {
    let prefix = tools_dir().join("vnpay");
    let package = prefix.join("node_modules").join(NPM_VNPAY);
    let installed = std::fs::read_to_string(package.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|json| json["version"] == NPM_VNPAY_VERSION);
    if !installed {
        step(
            &format!("installing npm {NPM_VNPAY}@{NPM_VNPAY_VERSION} into the tools directory"),
            Command::new("npm")
                .args(["install", "--prefix"])
                .arg(&prefix)
                .args([
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--save-exact",
                ])
                .arg(format!("{NPM_VNPAY}@{NPM_VNPAY_VERSION}")),
        )?;
    }
    Ok(package)
}

/// npm `vnpay`'s `verifyIpnCall` on [`TYPICAL_IPN`]: (pre-parsed, with parsing) in nanoseconds.
fn node_figures(package: &Path) -> Result<(u64, u64), Failure> {
    timed(
        &format!("npm {NPM_VNPAY}@{NPM_VNPAY_VERSION} verifyIpnCall (Node)"),
        || {
            let output = Command::new("node")
                .arg("-e")
                .arg(NODE_SCRIPT)
                .arg(package)
                .args([TMN_CODE, VNPAY_SECRET, TYPICAL_IPN])
                .output()
                .map_err(|e| Failure(format!("cannot run node: {e}")))?;
            if !output.status.success() {
                return Err(Failure(
                    String::from_utf8_lossy(&output.stderr).into_owned(),
                ));
            }
            let text = String::from_utf8_lossy(&output.stdout);
            let mut numbers = text.split_whitespace().map(str::parse::<u64>);
            match (numbers.next(), numbers.next()) {
                (Some(Ok(verify)), Some(Ok(parsed))) => Ok((verify, parsed)),
                _ => Err(Failure(format!("unexpected answer from node: {text}"))),
            }
        },
    )
}

/// Nanoseconds as microseconds with two decimals.
fn micros(ns: u64) -> String {
    format!("{}.{:02}", ns / 1000, ns % 1000 / 10)
}

/// Hundredths as a multiple with two decimals.
fn times(hundredths: u64) -> String {
    format!("{}.{:02}×", hundredths / 100, hundredths % 100)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// Runs the benches and prints the comparison; fails when a ratio misses its target.
pub fn run() -> Result<(), Failure> {
    step(
        "gateway callback verification (criterion)",
        cargo().args([
            "bench",
            "--locked",
            "-p",
            "hocphi-gateways",
            "--bench",
            "verify",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "^(vnpay_ipn_typical|momo_ipn|payos_webhook)/",
        ]),
    )?;
    let package = npm_vnpay()?;
    let (node, node_parsing) = node_figures(&package)?;
    let mut all = true;
    println!(
        "\ncallback verification in µs, same run, same machine: hocphi and the bare HMAC timed in \
         alternating batches (medians; ratio: the median of the batches' ratios)\n"
    );
    println!(
        "{:<14} {:>8} {:>18} {:>16} {:>7}  verdict (≤ {} the bare HMAC)",
        "channel",
        "hocphi",
        "bare, keyed once",
        "keyed per call",
        "ratio",
        times(BARE_TARGET)
    );
    let mut vnpay = 1;
    for channel in &CHANNELS {
        let (ours, bare, ratio) = paired(channel.group)?;
        let per_call = criterion_median(channel.group, "hmac_keyed_per_call")?;
        if channel.group == "vnpay_ipn_typical" {
            vnpay = ours;
        }
        let ok = ratio <= BARE_TARGET;
        all &= ok;
        println!(
            "{:<14} {:>8} {:>18} {:>16} {:>7}  {} ({})",
            channel.name,
            micros(ours),
            micros(bare),
            micros(per_call),
            times(ratio),
            verdict(ok),
            channel.hash,
        );
    }
    let speedup = node * 100 / vnpay;
    let ok = speedup >= NODE_TARGET;
    all &= ok;
    println!(
        "\nVNPay IPN: hocphi {} µs (the raw query string in), npm {NPM_VNPAY}@{NPM_VNPAY_VERSION} \
         verifyIpnCall {} µs (the query already parsed; {} µs with URLSearchParams)\n\
         hocphi is {} faster: {} (target ≥ {})",
        micros(vnpay),
        micros(node),
        micros(node_parsing),
        times(speedup),
        verdict(ok),
        times(NODE_TARGET),
    );
    if all {
        Ok(())
    } else {
        Err(Failure(
            "a gateway verification figure missed its target (see the table above)".into(),
        ))
    }
}
