//! Mounts the parents' page.

fn main() {
    hocphi_frontend::start();
}
