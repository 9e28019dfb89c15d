//! VNPay's IPN signed with the local hash secret, so the parser behind the signature is reached.
#![no_main]

use arbitrary::Arbitrary;
use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

/// A parameter: one of VNPay's names or any other, and any value.
#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Other(String),
}

const NAMES: [&str; 14] = [
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_BankTranNo",
    "vnp_CardType",
    "vnp_OrderInfo",
    "vnp_PayDate",
    "vnp_ResponseCode",
    "vnp_TmnCode",
    "vnp_TransactionNo",
    "vnp_TransactionStatus",
    "vnp_TxnRef",
    "vnp_SecureHashType",
    "vnp_Locale",
    "vnp_CurrCode",
];

fuzz_target!(|pairs: Vec<(Name, String)>| {
    hocphi_fuzz::assert_signing_agrees();
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(name, value)| {
            let name = match name {
                Name::Known(i) => NAMES[usize::from(i) % NAMES.len()].to_owned(),
                Name::Other(name) => name,
            };
            (name, value)
        })
        .collect();
    let query = hocphi_fuzz::vnpay_signed_query(&pairs);
    let vnpay = &hocphi_fuzz::channels().vnpay;
    let _ = vnpay.verify(RawCallback {
        query: &query,
        body: &[],
        path_param: None,
    });
    let _ = vnpay.verify_return(&query);
});
