//! `hocphi-local`: runs hocphi on this machine (see the crate docs for the settings).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    hocphi_runtime::init_logging(false);
    let options = match hocphi_local::Options::from_env_and_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("hocphi-local: {err}");
            return ExitCode::from(2);
        }
    };
    match hocphi_local::run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hocphi-local: {err}");
            ExitCode::FAILURE
        }
    }
}
