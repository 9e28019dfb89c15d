//! The page's few touches of the browser outside the DOM Leptos manages: the address, storage,
//! randomness, the clock, timers, printing, the clipboard, the static first screen `index.html`
//! shows before the WebAssembly arrives, and the element the app is built in to replace it.
//!
//! Every call tolerates a missing API (storage disabled in private mode, an old WebView) by
//! doing nothing or answering `None`; none of them panics.

use chrono::{DateTime, Utc};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlInputElement, Storage};

use crate::lookup::Field;

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn document() -> Option<web_sys::Document> {
    window()?.document()
}

/// `location.pathname` and `location.search`.
pub fn address() -> (String, String) {
    let location = window().map(|w| w.location());
    let path = location.as_ref().and_then(|l| l.pathname().ok());
    let search = location.as_ref().and_then(|l| l.search().ok());
    (
        path.unwrap_or_else(|| "/".to_owned()),
        search.unwrap_or_default(),
    )
}

/// `location.origin`, for the absolute address a receipt's QR code encodes.
pub fn origin() -> String {
    window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}

/// Replaces the current history entry's address without reloading, unless it is `path` already.
pub fn replace_address(path: &str) {
    let (current, search) = address();
    if path.strip_prefix(current.as_str()) == Some(search.as_str()) {
        return;
    }
    if let Some(history) = window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(path));
    }
}

/// Leaves the page for `url`; only `http(s)` addresses are followed.
pub fn go_to(url: &str) -> bool {
    let safe = url.starts_with("https://") || url.starts_with("http://");
    safe && window().is_some_and(|w| w.location().assign(url).is_ok())
}

/// `navigator.onLine`, assuming online when unknown.
pub fn online() -> bool {
    window().is_none_or(|w| w.navigator().on_line())
}

/// The current instant from the browser's clock.
pub fn now() -> DateTime<Utc> {
    let millis = js_sys::Date::now() as i64;
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// Bytes from `crypto.getRandomValues`, or from the clock and `Math.random` where the Web
/// Crypto API is missing (these feed idempotency keys, which need uniqueness, not secrecy).
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    let crypto = window().and_then(|w| w.crypto().ok());
    if crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok()) {
        return bytes;
    }
    let clock = js_sys::Date::now().to_bits().to_le_bytes();
    let dice = js_sys::Math::random().to_bits().to_le_bytes();
    bytes[..8].copy_from_slice(&clock);
    bytes[8..].copy_from_slice(&dice);
    bytes
}

/// Which of the browser's two Web Storage areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebStorage {
    /// Kept across visits: the language choice.
    Local,
    /// Kept for this tab only: the current payment attempt.
    Session,
}

fn storage(area: WebStorage) -> Option<Storage> {
    let window = window()?;
    match area {
        WebStorage::Local => window.local_storage().ok().flatten(),
        WebStorage::Session => window.session_storage().ok().flatten(),
    }
}

pub fn load(area: WebStorage, key: &str) -> Option<String> {
    storage(area)?.get_item(key).ok().flatten()
}

#[wasm_bindgen]
extern "C" {
    /// A `Storage` whose `getItem` answers the JavaScript string itself.
    type TextStorage;

    #[wasm_bindgen(method, js_name = getItem, catch)]
    fn get_item_value(this: &TextStorage, key: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// The text stored under `key`, left a JavaScript string (no copy into the WebAssembly's
/// memory); `None` when nothing is stored.
pub fn load_value(area: WebStorage, key: &str) -> Option<JsValue> {
    storage(area)?
        .unchecked_into::<TextStorage>()
        .get_item_value(key)
        .ok()
        .filter(JsValue::is_string)
}

/// The browser's `JSON.parse` of a JavaScript string; `None` when it is not JSON.
pub fn parse_json(text: &JsValue) -> Option<JsValue> {
    json_parse(text).ok()
}

pub fn save(area: WebStorage, key: &str, value: &str) {
    if let Some(storage) = storage(area) {
        let _ = storage.set_item(key, value);
    }
}

pub fn forget(area: WebStorage, key: &str) {
    if let Some(storage) = storage(area) {
        let _ = storage.remove_item(key);
    }
}

/// Sets `<html lang>` and the window title.
pub fn set_document(lang: &str, title: &str) {
    if let Some(document) = document() {
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", lang);
        }
        document.set_title(title);
    }
}

/// The `content` of the page's `<meta name=…>`: where `index.html` names the build's assets.
pub fn meta(name: &str) -> Option<String> {
    document()?
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??
        .get_attribute("content")
}

/// A same-origin `GET` of a JSON array of strings, parsed by the browser; `None` if it cannot be
/// had (offline, not found) or is not such an array.
pub async fn fetch_strings(path: &str) -> Option<Vec<String>> {
    let fetched = wasm_bindgen_futures::JsFuture::from(window()?.fetch_with_str(path)).await;
    let response = fetched.ok()?.dyn_into::<web_sys::Response>().ok()?;
    if !response.ok() {
        return None;
    }
    let parsed = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
        .await
        .ok()?;
    let array = parsed.dyn_into::<js_sys::Array>().ok()?;
    array.iter().map(|text| text.as_string()).collect()
}

/// Moves keyboard focus to an element, if it is there.
pub fn focus(id: &str) {
    if let Some(element) = document()
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// Opens the browser's print dialog.
pub fn print() {
    if let Some(window) = window() {
        let _ = window.print();
    }
}

fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

/// How a copy went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copied {
    /// The text is on the clipboard.
    Done,
    /// The browser refused: the element's text is selected for the parent to copy by hand.
    Selected,
}

/// Copies `text` with the Clipboard API (`navigator.clipboard.writeText`); where it is missing
/// or refuses, selects the text of the element `id` and tries `document.execCommand("copy")`.
pub async fn copy(text: &str, id: &str) -> Copied {
    let navigator = window().map(|w| JsValue::from(w.navigator()));
    let clipboard = navigator
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()).ok())
        .filter(JsValue::is_object);
    let written = clipboard
        .as_ref()
        .and_then(|c| Some((c, method(c, "writeText")?)))
        .and_then(|(c, write)| write.call1(c, &text.into()).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    if let Some(promise) = written
        && wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    {
        return Copied::Done;
    }
    let selected = (|| {
        let window = window()?;
        let element = document()?.get_element_by_id(id)?;
        let selection = method(&window, "getSelection")?.call0(&window).ok()?;
        method(&selection, "selectAllChildren")?
            .call1(&selection, &element)
            .ok()
    })();
    let copied = selected.is_some()
        && document()
            .and_then(|d| {
                let d = JsValue::from(d);
                method(&d, "execCommand")?.call1(&d, &"copy".into()).ok()
            })
            .is_some_and(|done| done.is_truthy());
    if copied {
        Copied::Done
    } else {
        Copied::Selected
    }
}

/// True while the page is not shown (`document.hidden`): the parent is in another app.
pub fn hidden() -> bool {
    document()
        .and_then(|d| js_sys::Reflect::get(&d, &"hidden".into()).ok())
        .is_some_and(|h| h.is_truthy())
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let delay = i32::try_from(ms).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// What the parent did on the static look-up form before the app arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticForm {
    pub student: String,
    pub code: String,
    /// The form was submitted while the app was loading: look up at once.
    pub submitted: bool,
    /// The field that had the keyboard focus.
    pub focused: Option<Field>,
}

/// The static first screen `index.html` shows (`#app`), which the app replaces whole.
pub fn static_screen() -> Option<HtmlElement> {
    document()?.get_element_by_id("app")?.dyn_into().ok()
}

/// What the parent has typed into the static first screen so far, and where the keyboard focus
/// is.
pub fn typed_into_static_screen() -> StaticForm {
    let Some(document) = document() else {
        return StaticForm::default();
    };
    let value = |id: &str| {
        document
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    };
    let active = document.active_element().map(|e| e.id());
    StaticForm {
        student: value(Field::Student.id()),
        code: value(Field::Code.id()),
        submitted: document
            .get_element_by_id("lookup-form")
            .is_some_and(|f| f.has_attribute("data-submitted")),
        focused: [Field::Student, Field::Code]
            .into_iter()
            .find(|field| active.as_deref() == Some(field.id())),
    }
}

/// A `<div id="app">` outside the document, where the app is built while the static first
/// screen stays in place.
pub fn staging_root() -> Option<HtmlElement> {
    let root: HtmlElement = document()?.create_element("div").ok()?.dyn_into().ok()?;
    root.set_id("app");
    Some(root)
}

/// `<body>`.
pub fn body() -> Option<HtmlElement> {
    document()?.body()
}

/// `root`'s `<main>`, where the screens go.
pub fn main_of(root: &HtmlElement) -> Option<HtmlElement> {
    root.query_selector("main").ok()??.dyn_into().ok()
}

/// Puts `built` in the document in place of `shown`, in one step.
pub fn replace(shown: &HtmlElement, built: &HtmlElement) {
    let _ = shown.replace_with_with_node_1(built);
}
