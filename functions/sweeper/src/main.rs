//! The `sweeper` function: on a schedule, asks the gateway about payments whose notification has
//! not come and settles or expires them.

use hocphi_runtime::aws::{Error, run_sweeper};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run_sweeper().await
}
