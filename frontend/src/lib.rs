//! hocphi's page for parents, compiled to WebAssembly: look up a student's open invoices with
//! the codes on the paper fee notice, pay one or several through the gateway, follow the
//! payment until its outcome is known, and print the receipt.
//!
//! The decisions live in plain modules that compile and are tested on the host:
//! [`lookup`] (the form), [`checkout`] (selection, quote, idempotency keys), [`status`]
//! (outcomes and the polling schedule), [`route`], [`format`], [`qr`], [`i18n`], [`read`] (the
//! answers read from JSON) and [`write`] (the bodies written as JSON).
//! [`api`] is the only module that knows the functions' addresses, [`browser`] the only one
//! that touches browser APIs outside the DOM, and the components (`app`, `screens`) only render
//! and wire events. Contract types and money come from `hocphi-api` and `hocphi-domain`, so the
//! page and the functions agree by construction. The invoices a look-up finds, the result
//! screen and the receipt are built by code that arrives when first needed
//! (`screens::arriving`), not with the first visit to `/`.

pub mod api;
mod app;
pub mod browser;
pub mod checkout;
#[cfg(test)]
mod fixtures;
pub mod format;
pub mod i18n;
pub mod lookup;
pub mod qr;
pub mod read;
pub mod route;
mod screens;
pub mod status;
pub mod write;

pub use app::{Content, Frame, Page};

/// Runs when the module is instantiated, and mounts the page in a task of its own: the module's
/// instantiation and the first render then block the main thread one after the other, not
/// together.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn run() {
    leptos::prelude::set_timeout(start, std::time::Duration::ZERO);
}

/// Replaces the static first screen of `index.html` with the app, in two tasks so that neither
/// blocks the parent's taps for long (the WebAssembly's functions are compiled on their first
/// call, on the main thread): first the frame, built outside the document; then, in the next
/// task and once the code of the address's screen has arrived ([`screens::arrived`]), the screen
/// in it, built from what the parent typed (and the language chosen) on the static screen
/// meanwhile, and the whole put in place of the static screen with the keyboard focus carried
/// over, so that no keystroke lands between the two screens. The static screen stays in place,
/// usable, until then.
pub fn start() {
    use leptos::prelude::*;
    use leptos::task::spawn_local;

    let page = Page::new();
    let screen = app::addressed();
    let (Some(shown), Some(built)) = (browser::static_screen(), browser::staging_root()) else {
        spawn_local(async move {
            screens::arrived(&screen).await;
            mount(page, None, browser::StaticForm::default(), screen);
        });
        return;
    };
    leptos::mount::mount_to(built.clone(), move || view! { <Frame page/> }).forget();
    set_timeout(
        move || {
            spawn_local(async move {
                screens::arrived(&screen).await;
                let typed = browser::typed_into_static_screen();
                let focused = typed.focused;
                mount(page, Some(&built), typed, screen);
                browser::replace(&shown, &built);
                if let Some(field) = focused {
                    browser::focus(field.id());
                }
            });
        },
        std::time::Duration::ZERO,
    );
}

/// Builds `screen` into the `<main>` of `built` (the frame already there), or the whole page
/// into `<body>` when `index.html` has no static screen.
fn mount(
    page: Page,
    built: Option<&web_sys::HtmlElement>,
    typed: browser::StaticForm,
    screen: route::Screen,
) {
    use leptos::prelude::*;

    page.follow_stored_choice();
    let main = match built {
        Some(frame) => browser::main_of(frame),
        None => {
            leptos::mount::mount_to_body(move || view! { <Frame page/> });
            browser::body().as_ref().and_then(browser::main_of)
        }
    };
    if let Some(main) = main {
        leptos::mount::mount_to(main, move || view! { <Content page typed screen/> }).forget();
    }
}
