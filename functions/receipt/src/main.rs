//! The `receipt` function: `GET /api/receipts/{id}?t=…`: a receipt, to whoever holds its token.

use hocphi_runtime::Function;
use hocphi_runtime::aws::{Error, run_http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_http(Function::Receipt).await
}
