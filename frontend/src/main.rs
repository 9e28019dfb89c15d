//! Mounts the parents' page.

fn main() {
    console_error_panic_hook::set_once();
    hocphi_frontend::start();
}
