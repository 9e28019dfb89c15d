//! The portal platform's Confirm with its `MaXacThuc` under the local key, so the parser behind
//! the checksum is reached.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|confirm: hocphi_fuzz::PortalConfirm| {
    hocphi_fuzz::assert_signing_agrees();
    let body = hocphi_fuzz::dvcqg_signed_confirm(confirm);
    let dvcqg = &hocphi_fuzz::channels().dvcqg;
    let _ = dvcqg.verify(RawCallback {
        query: "",
        body: &body,
        path_param: None,
    });
});
