//! Mounts the parents' page, in a task of its own: the module's instantiation and the first
//! render then block the main thread one after the other, not together.

fn main() {
    leptos::prelude::set_timeout(hocphi_frontend::start, std::time::Duration::ZERO);
}
