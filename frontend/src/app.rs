//! The page's frame: the language in force, the header with its language switch, the screen the
//! address names, and the footer. The markup mirrors the static first screen of `index.html`,
//! so replacing one by the other does not move anything on the parent's screen.

use leptos::prelude::*;

use crate::browser::{self, StaticForm, Store};
use crate::i18n::{Lang, Text};
use crate::route::Route;
use crate::screens::{LookupScreen, NotFoundScreen, ReceiptScreen, ResultScreen};

/// The language in force, shared by every component through the context.
#[derive(Clone, Copy, Debug)]
pub struct Locale(RwSignal<Lang>);

impl Locale {
    /// The language, read reactively.
    pub fn lang(self) -> Lang {
        self.0.get()
    }

    /// The language, read without subscribing (in event handlers).
    pub fn lang_untracked(self) -> Lang {
        self.0.get_untracked()
    }

    /// A fixed text that follows the language switch.
    pub fn t(self, text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.0.get().text(text)
    }

    fn switch(self) {
        let next = self.0.get_untracked().other();
        self.0.set(next);
        browser::save(Store::Local, Lang::STORAGE_KEY, next.code());
    }
}

/// The [`Locale`] provided by [`App`].
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_else(|| Locale(RwSignal::new(Lang::default())))
}

/// The whole page for the current address.
#[component]
pub fn App(
    /// What the parent had typed into the static first screen.
    typed: StaticForm,
) -> impl IntoView {
    let stored = browser::load(Store::Local, Lang::STORAGE_KEY);
    let locale = Locale(RwSignal::new(
        stored
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or_default(),
    ));
    provide_context(locale);

    let (path, search) = browser::address();
    let route = Route::parse(&path, &search);
    let title = match &route {
        Route::Lookup { .. } => Text::LookupTitle,
        Route::Result { .. } => Text::ResultTitle,
        Route::Receipt { .. } => Text::ReceiptTitle,
        Route::NotFound => Text::PageNotFound,
    };
    Effect::new(move || {
        let lang = locale.lang();
        let title = format!("{} · {}", lang.text(title), lang.text(Text::SiteName));
        browser::set_document(lang.code(), &title);
    });

    let screen = match route {
        Route::Lookup { student } => view! { <LookupScreen student typed/> }.into_any(),
        Route::Result { reference } => view! { <ResultScreen reference/> }.into_any(),
        Route::Receipt { id, token } => view! { <ReceiptScreen id token/> }.into_any(),
        Route::NotFound => view! { <NotFoundScreen/> }.into_any(),
    };

    view! {
        <a class="skip" href="#main">{locale.t(Text::SkipToContent)}</a>
        <header class="site no-print">
            <a class="site__name" href="/">{locale.t(Text::SiteName)}</a>
            <button
                type="button"
                class="site__lang"
                lang=move || locale.lang().other().code()
                on:click=move |_| locale.switch()
            >
                {move || locale.lang().other().native_name()}
            </button>
        </header>
        <main id="main" tabindex="-1">{screen}</main>
        <footer class="site-footer no-print">
            <p>{locale.t(Text::FooterPrivacy)}</p>
        </footer>
    }
}
