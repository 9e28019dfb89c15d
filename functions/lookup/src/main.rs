//! The `lookup` function: `GET /api/invoices`: a student's open invoices, behind the lookup code and the guessing limit.

use hocphi_runtime::Function;
use hocphi_runtime::aws::{Error, run_http};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_http(Function::Lookup).await
}
