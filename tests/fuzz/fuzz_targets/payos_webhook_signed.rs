//! payOS's webhook signed with the local payee's checksum key, so the parser behind the
//! signature is reached.
#![no_main]

use hocphi_gateways::RawCallback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: hocphi_fuzz::PayosData| {
    hocphi_fuzz::assert_signing_agrees();
    let body = hocphi_fuzz::payos_signed_webhook(data.object());
    let payos = &hocphi_fuzz::channels().payos;
    let _ = payos.verify(RawCallback {
        query: "",
        body: &body,
        path_param: Some(hocphi_fuzz::LOCAL_PAYOS_PAYEE_NQ),
    });
});
