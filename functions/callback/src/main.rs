//! The `callback` function: one channel's verified notifications (`/api/callbacks/{vnpay,momo}`),
//! the only way a payment is paid. The binary is deployed once per channel;
//! `HOCPHI_CALLBACK_CHANNEL` names the one it serves.

use hocphi_runtime::aws::{Error, run_callback};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_callback().await
}
