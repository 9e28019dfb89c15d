//! VNPay's IPN and return URL as received: any query string is refused or verified, never a panic.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let vnpay = &hocphi_fuzz::channels().vnpay;
    let _ = vnpay.verify(RawCallback {
        query,
        body: &[],
        path_param: None,
    });
    let _ = vnpay.verify_return(query);
});
