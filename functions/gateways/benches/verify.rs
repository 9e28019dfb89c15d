//! Callback verification time next to the bare HMAC of the same signed string, keyed once
//! (`hmac_prekeyed`: a clone of a keyed state, as the adapters do) and keyed per call.
//!
//! Two PHP-signed VNPay IPNs: a typical one (VNPay echoes the plain-ASCII `vnp_OrderInfo` hocphi
//! sends) and the adapter tests' worst case (Vietnamese text and reserved characters, mostly
//! percent-escapes); a MoMo IPN and a payOS webhook signed by payOS's Node SDK. The work measured
//! is the whole of it: reading the message (form-decoding and sorting, or JSON), the signed
//! string, the HMAC, the constant-time comparison and the fields read into a notification.
//! `cargo xtask bench gateways` reads the medians of `verify`, `hmac_prekeyed` and
//! `hmac_keyed_per_call` of the groups `vnpay_ipn_typical`, `momo_ipn` and `payos_webhook`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hocphi_gateways::momo::RequestType;
use hocphi_gateways::{Momo, MomoConfig, Payos, PayosConfig, Secret, Vnpay, VnpayConfig};
use sha2::{Sha256, Sha512};

const VNPAY_SECRET: &str = "SECRETSECRETSECRETSECRETSECRET12";
const CANONICAL: &str = "vnp_Amount=150000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=H%E1%BB%8Dc+ph%C3%AD+h%E1%BB%8Dc+k%E1%BB%B3+1+%E2%80%93+Nguy%E1%BB%85n+V%C4%83n+A%3B+a+b%2Bc%2Ad%7Ee%26f%3Dg%25h&vnp_PayDate=20240901101500&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14226112&vnp_TransactionStatus=00&vnp_TxnRef=HP240901031010ABCD2345";
const HASH: &str = "a4cb60f011b0a952cec99043b82269043ec627c6762d12e3b0a4b2efcf51853c861e563ca626e72c4685b75df27c5d7b6efb036ed4a1cfe58ad2118d118df14a";

/// A typical IPN: VNPay echoes the plain-ASCII order info hocphi sends (signed by PHP).
const TYPICAL_CANONICAL: &str = "vnp_Amount=150000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14226112&vnp_CardType=ATM&vnp_OrderInfo=Hoc+phi+HK1+2024-2025+Nguyen+V.+A.&vnp_PayDate=20240901101500&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14226112&vnp_TransactionStatus=00&vnp_TxnRef=HP240901031010ABCD2345";
const TYPICAL_HASH: &str = "54944d32c2b471a26349c0bf994557b328c8d36283e768665989b8b19d6bb14ec5cf55551eba6ce9cea908f014ad28540018278558a3a2d13879789d775223f7";

const MOMO_ACCESS_KEY: &str = "F8BBA842ECF85";
const MOMO_SECRET: &str = "K951B6PE1waDMi640xX08PD3vg6EkVlz";
const MOMO_IPN: &str = r#"{"partnerCode":"MOMO","orderId":"HP240901031010ABCD2345","requestId":"HP240901031010ABCD2345","amount":1500000,"orderInfo":"Học phí HK1 – Nguyễn V. A.","orderType":"momo_wallet","transId":4088878653,"resultCode":0,"message":"Thành công.","payType":"qr","responseTime":1725160510000,"extraData":"","signature":"1698a58fecd10728103e4650cded0f79adb0d1ce4c17be63b499a5ce938e1b45"}"#;
const MOMO_SIGNED: &str = "accessKey=F8BBA842ECF85&amount=1500000&extraData=&message=Thành công.&orderId=HP240901031010ABCD2345&orderInfo=Học phí HK1 – Nguyễn V. A.&orderType=momo_wallet&partnerCode=MOMO&payType=qr&requestId=HP240901031010ABCD2345&responseTime=1725160510000&resultCode=0&transId=4088878653";

/// payOS's documented checksum key, and a webhook for a payOS payment signed with it by
/// `@payos/node` 2.0.5 (`createSignatureFromObj`).
const PAYOS_KEY: &str = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675";
const PAYOS_WEBHOOK: &str = r#"{"code":"00","desc":"success","success":true,"data":{"orderCode":718938389119636,"amount":1500000,"description":"HP240901031010ABCD","accountNumber":"0123456789","reference":"FT24245123456","transactionDateTime":"2024-09-01 10:12:30","currency":"VND","paymentLinkId":"9a1b2c3d4e5f60718293a4b5c6d7e8f9","code":"00","desc":"Thành công","counterAccountBankId":"970436","counterAccountBankName":"Ngân hàng TMCP Ngoại thương Việt Nam","counterAccountName":"NGUYỄN VĂN AN","counterAccountNumber":null,"virtualAccountName":"null","virtualAccountNumber":"undefined"},"signature":"7e0f8c3c992434e9f19c4cdcb39b8351b99db83a7de080320cfd901ce415967c"}"#;
const PAYOS_SIGNED: &str = "accountNumber=0123456789&amount=1500000&code=00&counterAccountBankId=970436&counterAccountBankName=Ngân hàng TMCP Ngoại thương Việt Nam&counterAccountName=NGUYỄN VĂN AN&counterAccountNumber=&currency=VND&desc=Thành công&description=HP240901031010ABCD&orderCode=718938389119636&paymentLinkId=9a1b2c3d4e5f60718293a4b5c6d7e8f9&reference=FT24245123456&transactionDateTime=2024-09-01 10:12:30&virtualAccountName=&virtualAccountNumber=";
const PAYOS_SIGNATURE: &str = "7e0f8c3c992434e9f19c4cdcb39b8351b99db83a7de080320cfd901ce415967c";

fn vnpay_ipn(c: &mut Criterion) {
    let vnpay = Vnpay::new(VnpayConfig {
        tmn_code: "TESTTMN1".to_owned(),
        hash_secret: Secret::new(VNPAY_SECRET).unwrap(),
        pay_url: Vnpay::SANDBOX_PAY_URL.to_owned(),
        api_url: Vnpay::SANDBOX_API_URL.to_owned(),
    })
    .unwrap();
    let prekeyed = <Hmac<Sha512> as KeyInit>::new_from_slice(VNPAY_SECRET.as_bytes()).unwrap();
    let vectors = [
        ("vnpay_ipn_typical", TYPICAL_CANONICAL, TYPICAL_HASH),
        ("vnpay_ipn_diacritics", CANONICAL, HASH),
    ];
    for (name, canonical, hash) in vectors {
        let query = format!("{canonical}&vnp_SecureHash={hash}");
        assert!(vnpay.verify_ipn(&query).is_ok(), "{name}");
        let mut group = c.benchmark_group(name);
        group.bench_function("verify", |b| {
            b.iter(|| vnpay.verify_ipn(black_box(&query)).unwrap())
        });
        group.bench_function("hmac_keyed_per_call", |b| {
            b.iter(|| {
                let mut mac =
                    <Hmac<Sha512> as KeyInit>::new_from_slice(black_box(VNPAY_SECRET).as_bytes())
                        .unwrap();
                mac.update(black_box(canonical).as_bytes());
                mac.finalize().into_bytes()
            })
        });
        group.bench_function("hmac_prekeyed", |b| {
            b.iter(|| {
                let mut mac = prekeyed.clone();
                mac.update(black_box(canonical).as_bytes());
                mac.finalize().into_bytes()
            })
        });
        group.finish();
    }
}

fn momo_ipn(c: &mut Criterion) {
    let momo = Momo::new(MomoConfig {
        partner_code: "MOMO".to_owned(),
        access_key: MOMO_ACCESS_KEY.to_owned(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: Momo::SANDBOX_ENDPOINT.to_owned(),
        ipn_url: "https://hocphi.example.vn/api/callbacks/momo".to_owned(),
        request_type: RequestType::CaptureWallet,
    })
    .unwrap();
    assert!(momo.verify_ipn(MOMO_IPN.as_bytes()).is_ok());

    let prekeyed = <Hmac<Sha256> as KeyInit>::new_from_slice(MOMO_SECRET.as_bytes()).unwrap();
    let mut group = c.benchmark_group("momo_ipn");
    group.bench_function("verify", |b| {
        b.iter(|| momo.verify_ipn(black_box(MOMO_IPN.as_bytes())).unwrap())
    });
    group.bench_function("hmac_keyed_per_call", |b| {
        b.iter(|| {
            let mut mac =
                <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(MOMO_SECRET).as_bytes())
                    .unwrap();
            mac.update(black_box(MOMO_SIGNED).as_bytes());
            mac.finalize().into_bytes()
        })
    });
    group.bench_function("hmac_prekeyed", |b| {
        b.iter(|| {
            let mut mac = prekeyed.clone();
            mac.update(black_box(MOMO_SIGNED).as_bytes());
            mac.finalize().into_bytes()
        })
    });
    group.finish();
}

fn payos_webhook(c: &mut Criterion) {
    let payos = Payos::new(PayosConfig {
        client_id: "0b7c1a8e-5f44-4a3c-9d2e-1f0a2b3c4d5e".to_owned(),
        api_key: Secret::new("6a1d3c5e-7b9f-4e2d-8c0a-123456789abc").unwrap(),
        checksum_key: Secret::new(PAYOS_KEY).unwrap(),
        endpoint: "https://api-merchant.payos.vn".to_owned(),
        linked_account: true,
    })
    .unwrap();
    let prekeyed = <Hmac<Sha256> as KeyInit>::new_from_slice(PAYOS_KEY.as_bytes()).unwrap();
    let mut check = prekeyed.clone();
    check.update(PAYOS_SIGNED.as_bytes());
    let hex: String = check
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex, PAYOS_SIGNATURE,
        "the bare HMAC signs the webhook's text"
    );
    assert!(payos.verify_webhook(PAYOS_WEBHOOK.as_bytes()).is_ok());

    let mut group = c.benchmark_group("payos_webhook");
    group.bench_function("verify", |b| {
        b.iter(|| {
            payos
                .verify_webhook(black_box(PAYOS_WEBHOOK.as_bytes()))
                .unwrap()
        })
    });
    group.bench_function("hmac_keyed_per_call", |b| {
        b.iter(|| {
            let mut mac =
                <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(PAYOS_KEY).as_bytes()).unwrap();
            mac.update(black_box(PAYOS_SIGNED).as_bytes());
            mac.finalize().into_bytes()
        })
    });
    group.bench_function("hmac_prekeyed", |b| {
        b.iter(|| {
            let mut mac = prekeyed.clone();
            mac.update(black_box(PAYOS_SIGNED).as_bytes());
            mac.finalize().into_bytes()
        })
    });
    group.finish();
}

/// Verification and the bare pre-keyed HMAC timed in alternating batches, so that a machine
/// whose load changes during the run slows both alike: the median of the batches' ratios (in
/// thousandths) and each one's median time per call (in nanoseconds), written to
/// `<target>/criterion/<group>/paired.txt` as `verify_ns bare_ns ratio_permille`.
fn paired(group: &str, mut verify: impl FnMut(), mut bare: impl FnMut()) {
    const CALLS: u32 = 200;
    let (mut ratios, mut ours, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..401 {
        let started = Instant::now();
        for _ in 0..CALLS {
            verify();
        }
        let a = started.elapsed().as_nanos();
        let started = Instant::now();
        for _ in 0..CALLS {
            bare();
        }
        let b = started.elapsed().as_nanos().max(1);
        if round > 0 {
            ratios.push(a * 1000 / b);
            ours.push(a / u128::from(CALLS));
            theirs.push(b / u128::from(CALLS));
        }
    }
    for list in [&mut ratios, &mut ours, &mut theirs] {
        list.sort_unstable();
    }
    let middle = ratios.len() / 2;
    let line = format!("{} {} {}", ours[middle], theirs[middle], ratios[middle]);
    println!("{group}/paired (verify ns, bare ns, ratio ‰): {line}");
    let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
    else {
        return;
    };
    let dir = target.join("criterion").join(group);
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("paired.txt"), line);
    }
}

fn paired_all() {
    let vnpay = Vnpay::new(VnpayConfig {
        tmn_code: "TESTTMN1".to_owned(),
        hash_secret: Secret::new(VNPAY_SECRET).unwrap(),
        pay_url: Vnpay::SANDBOX_PAY_URL.to_owned(),
        api_url: Vnpay::SANDBOX_API_URL.to_owned(),
    })
    .unwrap();
    let query = format!("{TYPICAL_CANONICAL}&vnp_SecureHash={TYPICAL_HASH}");
    let sha512 = <Hmac<Sha512> as KeyInit>::new_from_slice(VNPAY_SECRET.as_bytes()).unwrap();
    paired(
        "vnpay_ipn_typical",
        || {
            black_box(vnpay.verify_ipn(black_box(&query)).unwrap());
        },
        || {
            let mut mac = sha512.clone();
            mac.update(black_box(TYPICAL_CANONICAL).as_bytes());
            black_box(mac.finalize().into_bytes());
        },
    );
    let momo = Momo::new(MomoConfig {
        partner_code: "MOMO".to_owned(),
        access_key: MOMO_ACCESS_KEY.to_owned(),
        secret_key: Secret::new(MOMO_SECRET).unwrap(),
        endpoint: Momo::SANDBOX_ENDPOINT.to_owned(),
        ipn_url: "https://hocphi.example.vn/api/callbacks/momo".to_owned(),
        request_type: RequestType::CaptureWallet,
    })
    .unwrap();
    let momo_key = <Hmac<Sha256> as KeyInit>::new_from_slice(MOMO_SECRET.as_bytes()).unwrap();
    paired(
        "momo_ipn",
        || {
            black_box(momo.verify_ipn(black_box(MOMO_IPN.as_bytes())).unwrap());
        },
        || {
            let mut mac = momo_key.clone();
            mac.update(black_box(MOMO_SIGNED).as_bytes());
            black_box(mac.finalize().into_bytes());
        },
    );
    let payos = Payos::new(PayosConfig {
        client_id: "0b7c1a8e-5f44-4a3c-9d2e-1f0a2b3c4d5e".to_owned(),
        api_key: Secret::new("6a1d3c5e-7b9f-4e2d-8c0a-123456789abc").unwrap(),
        checksum_key: Secret::new(PAYOS_KEY).unwrap(),
        endpoint: "https://api-merchant.payos.vn".to_owned(),
        linked_account: true,
    })
    .unwrap();
    let payos_key = <Hmac<Sha256> as KeyInit>::new_from_slice(PAYOS_KEY.as_bytes()).unwrap();
    paired(
        "payos_webhook",
        || {
            black_box(
                payos
                    .verify_webhook(black_box(PAYOS_WEBHOOK.as_bytes()))
                    .unwrap(),
            );
        },
        || {
            let mut mac = payos_key.clone();
            mac.update(black_box(PAYOS_SIGNED).as_bytes());
            black_box(mac.finalize().into_bytes());
        },
    );
}

criterion_group!(benches, vnpay_ipn, momo_ipn, payos_webhook);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") {
        paired_all();
    }
}
