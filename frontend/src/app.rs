//! The page's frame: the language in force, the header with its language switch, the screen the
//! address names, and the footer. The markup mirrors the static first screen of `index.html`,
//! so replacing one by the other does not move anything on the parent's screen. The frame and
//! the screen are built apart ([`Frame`], [`Content`]), so that the page can build them in two
//! tasks (see [`crate::start`]).

use leptos::prelude::*;

use crate::browser::{self, StaticForm, WebStorage};
use crate::i18n::{self, Lang, Text};
use crate::route::Screen;
use crate::screens::{
    self, LookupScreen, NotFoundScreen, ReceiptScreenProps, ResultScreenProps, arriving,
};

/// The `<meta name>` in `index.html` whose content is the published English texts' address.
const ENGLISH_META: &str = "hocphi-en";

/// The language in force: one per page, made by [`Page::new`] and found by every component
/// with [`use_current_lang`].
#[derive(Clone, Copy, Debug)]
pub struct CurrentLang(RwSignal<Lang>);

thread_local! {
    /// The page's [`CurrentLang`], once [`Page::new`] made it. A page has one language and
    /// one thread, so it is kept here rather than looked up through Leptos's context by type.
    static CURRENT_LANG: std::cell::Cell<Option<CurrentLang>> = const { std::cell::Cell::new(None) };
}

/// The English texts could not be fetched (offline): the page stays Vietnamese and says so.
#[derive(Clone, Copy, Debug)]
struct EnglishUnavailable(RwSignal<bool>);

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

    /// Shows the page in `lang`; English only once its texts have been fetched and installed,
    /// Vietnamese until then.
    fn show(self, lang: Lang, unavailable: EnglishUnavailable) {
        unavailable.0.set(false);
        if lang.ready() {
            self.0.set(lang);
            return;
        }
        leptos::task::spawn_local(async move {
            let fetched = match browser::meta(ENGLISH_META) {
                Some(path) => browser::fetch_strings(&path).await,
                None => None,
            };
            if fetched.is_some_and(i18n::install_english) {
                self.0.set(lang);
            } else {
                unavailable.0.set(true);
            }
        });
    }

    fn switch(self, unavailable: EnglishUnavailable) {
        let next = self.0.get_untracked().other();
        browser::save(WebStorage::Local, Lang::STORAGE_KEY, next.code());
        self.show(next, unavailable);
    }
}

/// The [`CurrentLang`] the page provides.
pub fn use_current_lang() -> CurrentLang {
    CURRENT_LANG.with(|current| {
        current.get().unwrap_or_else(|| {
            let lang = CurrentLang(RwSignal::new(Lang::default()));
            current.set(Some(lang));
            lang
        })
    })
}

/// What the frame and the screen in it share: the language in force (the parent's stored
/// choice, once its texts are there) and whether English could not be fetched.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    lang: CurrentLang,
    unavailable: EnglishUnavailable,
}

impl Page {
    /// The page in Vietnamese.
    pub fn new() -> Self {
        Self {
            lang: use_current_lang(),
            unavailable: EnglishUnavailable(RwSignal::new(false)),
        }
    }

    /// Switches to the language the parent chose, on an earlier visit or on the static first
    /// screen (which stores the choice), as soon as its texts are there.
    pub fn follow_stored_choice(self) {
        let stored = browser::load(WebStorage::Local, Lang::STORAGE_KEY);
        if let Some(chosen) = stored.as_deref().and_then(Lang::from_code) {
            self.lang.show(chosen, self.unavailable);
        }
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new()
    }
}

/// The page's frame: the header with the language switch, an empty `<main>` for [`Content`],
/// and the footer.
#[component]
pub fn Frame(
    /// The language shared with the screen.
    page: Page,
) -> impl IntoView {
    let Page { lang, unavailable } = page;
    view! {
        <a class="skip" href="#main">{lang.t(Text::SkipToContent)}</a>
        <header class="site no-print">
            <a class="site__name" href="/">{lang.t(Text::SiteName)}</a>
            <button
                type="button"
                class="site__lang"
                lang=move || lang.lang().other().code()
                on:click=move |_| lang.switch(unavailable)
            >
                {move || lang.lang().other().native_name()}
            </button>
        </header>
        {move || {
            unavailable.0.get().then(|| {
                view! {
                    <p class="notice notice--error no-print" role="alert">
                        {Lang::Vi.text(Text::EnglishUnavailable)}
                    </p>
                }.into_any()
            })
        }}
        <main id="main" tabindex="-1"></main>
        <footer class="site-footer no-print">
            <p>{lang.t(Text::FooterPrivacy)}</p>
            <p><a href=lang.t(Text::PrivacyHref)>{lang.t(Text::PrivacyLink)}</a></p>
        </footer>
    }
}

/// The screen the page's address names.
pub fn addressed() -> Screen {
    let (path, search) = browser::address();
    Screen::parse(&path, &search).resolve(screens::stored_attempt().as_ref())
}

/// The screen the address names, for the frame's `<main>`, and the document's title.
#[component]
pub fn Content(
    /// The language shared with the frame.
    page: Page,
    /// What the parent had typed into the static first screen.
    typed: StaticForm,
    /// The screen the address names ([`addressed`]).
    screen: Screen,
) -> impl IntoView {
    let current_lang = page.lang;
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

    match screen {
        Screen::Lookup { student, payment } => {
            view! { <LookupScreen student payment typed/> }.into_any()
        }
        Screen::Result { reference } => arriving(move || {
            let reference = reference.clone();
            screens::result_screen(ResultScreenProps { reference })
        }),
        Screen::PayosReturn => {
            arriving(|| screens::result_screen(ResultScreenProps { reference: None }))
        }
        Screen::Receipt { id, token } => arriving(move || {
            let (id, token) = (id.clone(), token.clone());
            screens::receipt_screen(ReceiptScreenProps { id, token })
        }),
        Screen::NotFound => view! { <NotFoundScreen/> }.into_any(),
    }
}
