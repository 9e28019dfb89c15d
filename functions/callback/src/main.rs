//! The `callback` function: `/api/callbacks/{vnpay,momo}`: verified gateway notifications, the only way a payment is paid.

use hocphi_runtime::Function;
use hocphi_runtime::aws::{Error, run_http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_http(Function::Callback).await
}
