//! The `checkout` function: `POST /api/payments`: an idempotent payment attempt and its gateway redirect.

use hocphi_runtime::Function;
use hocphi_runtime::aws::{Error, run_http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_http(Function::Checkout).await
}
