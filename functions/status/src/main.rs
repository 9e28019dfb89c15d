//! The `status` function: `GET /api/payments/{ref}`: where a payment stands.

use hocphi_runtime::Function;
use hocphi_runtime::aws::{Error, run_http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_http(Function::Status).await
}
