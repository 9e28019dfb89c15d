//! The page's frame: the language in force, the header with its language switch, the screen the
//! address names, and the footer. The markup mirrors the static first screen of `index.html`,
//! so replacing one by the other does not move anything on the parent's screen.

use leptos::prelude::*;

use crate::browser::{self, StaticForm, WebStorage};
use crate::i18n::{Lang, Text};
use crate::route::Screen;
use crate::screens::{LookupScreen, NotFoundScreen, ReceiptScreen, ResultScreen};

/// The language in force, shared by every component through the context.
#[derive(Clone, Copy, Debug)]
pub struct CurrentLang(RwSignal<Lang>);

impl CurrentLang {
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
        browser::save(WebStorage::Local, Lang::STORAGE_KEY, next.code());
    }
}

/// The [`CurrentLang`] provided by [`App`].
pub fn use_current_lang() -> CurrentLang {
    use_context::<CurrentLang>().unwrap_or_else(|| CurrentLang(RwSignal::new(Lang::default())))
}

/// The whole page for the current address.
#[component]
pub fn App(
    /// What the parent had typed into the static first screen.
    typed: StaticForm,
) -> impl IntoView {
    let stored = browser::load(WebStorage::Local, Lang::STORAGE_KEY);
    let current_lang = CurrentLang(RwSignal::new(
        stored
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or_default(),
    ));
    provide_context(current_lang);

    let (path, search) = browser::address();
    let screen = Screen::parse(&path, &search).resolve(crate::screens::stored_attempt().as_ref());
    let title = match &screen {
        Screen::Lookup { .. } => Text::LookupTitle,
        Screen::Result { .. } | Screen::PayosReturn => Text::ResultTitle,
        Screen::Receipt { .. } => Text::ReceiptTitle,
        Screen::NotFound => Text::PageNotFound,
    };
    Effect::new(move || {
        let lang = current_lang.lang();
        let title = format!("{} · {}", lang.text(title), lang.text(Text::SiteName));
        browser::set_document(lang.code(), &title);
    });

    let content = match screen {
        Screen::Lookup { student } => view! { <LookupScreen student typed/> }.into_any(),
        Screen::Result { reference } => view! { <ResultScreen reference/> }.into_any(),
        Screen::PayosReturn => view! { <ResultScreen reference=None/> }.into_any(),
        Screen::Receipt { id, token } => view! { <ReceiptScreen id token/> }.into_any(),
        Screen::NotFound => view! { <NotFoundScreen/> }.into_any(),
    };

    view! {
        <a class="skip" href="#main">{current_lang.t(Text::SkipToContent)}</a>
        <header class="site no-print">
            <a class="site__name" href="/">{current_lang.t(Text::SiteName)}</a>
            <button
                type="button"
                class="site__lang"
                lang=move || current_lang.lang().other().code()
                on:click=move |_| current_lang.switch()
            >
                {move || current_lang.lang().other().native_name()}
            </button>
        </header>
        <main id="main" tabindex="-1">{content}</main>
        <footer class="site-footer no-print">
            <p>{current_lang.t(Text::FooterPrivacy)}</p>
        </footer>
    }
}
