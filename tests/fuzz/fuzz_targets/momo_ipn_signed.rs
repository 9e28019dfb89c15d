//! MoMo's IPN signed with the local keys, so the parser behind the signature is reached.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|ipn: hocphi_fuzz::MomoIpn| {
    hocphi_fuzz::assert_signing_agrees();
    let body = hocphi_fuzz::momo_signed_ipn(&ipn);
    let momo = &hocphi_fuzz::channels().momo;
    let _ = momo.verify(RawCallback {
        query: "",
        body: &body,
        path_param: None,
    });
});
