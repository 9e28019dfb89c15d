//! MoMo's IPN body and return URL as received: refused or verified, never a panic.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let momo = &hocphi_fuzz::channels().momo;
    let _ = momo.verify(RawCallback {
        query: "",
        body: data,
        path_param: None,
    });
    if let Ok(query) = std::str::from_utf8(data) {
        let _ = momo.verify_return(query);
    }
});
