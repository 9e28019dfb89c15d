//! hocphi's page for parents, compiled to WebAssembly: look up a student's open invoices with
//! the codes on the paper fee notice, pay one or several through the gateway, follow the
//! payment until its outcome is known, and print the receipt.
//!
//! The decisions live in plain modules that compile and are tested on the host:
//! [`lookup`] (the form), [`checkout`] (selection, quote, idempotency keys), [`status`]
//! (outcomes and the polling schedule), [`route`], [`format`], [`qr`], [`i18n`] and [`read`]
//! (the answers read from JSON).
//! [`api`] is the only module that knows the functions' addresses, [`browser`] the only one
//! that touches browser APIs outside the DOM, and the components (`app`, `screens`) only render
//! and wire events. Contract types and money come from `hocphi-api` and `hocphi-domain`, so the
//! page and the functions agree by construction.

pub mod api;
mod app;
pub mod browser;
pub mod checkout;
pub mod format;
pub mod i18n;
mod json_text;
pub mod lookup;
mod markup;
pub mod qr;
pub mod read;
pub mod route;
mod screens;
pub mod status;

pub use app::App;

/// Replaces the static first screen of `index.html` with the app, carrying over what the parent
/// typed while the WebAssembly loaded and, in the same task, the keyboard focus, so that no
/// keystroke lands between the two screens.
pub fn start() {
    use leptos::prelude::*;

    match browser::take_static_screen() {
        Some((root, typed)) => {
            let focused = typed.focused;
            leptos::mount::mount_to(root, move || view! { <App typed/> }).forget();
            if let Some(field) = focused {
                browser::focus(field.id());
            }
        }
        None => {
            leptos::mount::mount_to_body(|| view! { <App typed=browser::StaticForm::default()/> })
        }
    }
}
