//! The static first screens in `index.html` must stay faithful to the app's: the look-up form
//! (same words, same ids), since the app replaces it in place and carries over what the parent
//! typed by those ids, and the result and receipt screens' waiting states (same words); and
//! `build.sh` rewrites exactly the asset paths checked here.

use hocphi_frontend::i18n::{Lang, Text};
use hocphi_frontend::lookup::Field;

const INDEX: &str = include_str!("../index.html");
const BOOT: &str = include_str!("../boot.js");

#[test]
fn the_static_form_shows_the_apps_vietnamese_words() {
    let texts = [
        Text::SkipToContent,
        Text::SiteName,
        Text::LookupTitle,
        Text::LookupIntro,
        Text::StudentCodeLabel,
        Text::StudentCodeHelp,
        Text::LookupCodeLabel,
        Text::LookupCodeHelp,
        Text::LookupSubmit,
        Text::FooterPrivacy,
    ];
    for text in texts {
        let words = Lang::Vi.text(text);
        assert!(INDEX.contains(words), "index.html lacks {text:?}: {words}");
    }
    assert!(INDEX.contains(r#"<html lang="vi">"#));
    assert!(INDEX.contains(Lang::Vi.other().native_name()));
}

#[test]
fn the_static_result_and_receipt_screens_use_the_apps_words() {
    let texts = [
        Text::ResultTitle,
        Text::ResultChecking,
        Text::PaymentReference,
        Text::ReceiptTitle,
        Text::ReceiptLoading,
        Text::PrintHint,
    ];
    for text in texts {
        let words = Lang::Vi.text(text).trim_end_matches('…');
        assert!(INDEX.contains(words), "index.html lacks {text:?}: {words}");
    }
    let online = hocphi_app::receipt::words::Lang::Vi.words().online;
    assert!(
        INDEX.contains(online),
        "index.html lacks the receipt's own words: {online}"
    );
    for parameter in ["vnp_TxnRef", "orderId", "MaThamChieu", "\"ref\""] {
        assert!(
            BOOT.contains(parameter),
            "boot.js does not read the reference from {parameter}"
        );
    }
    let head = &INDEX[..INDEX.find("</head>").expect("a head")];
    assert!(
        head.contains(r#"<script src="/boot.js"></script>"#),
        "boot.js names the route before the first paint, so it loads in <head>"
    );
}

#[test]
fn the_static_form_has_the_ids_the_app_reads_back() {
    for id in [
        "app",
        "main",
        "lookup-form",
        Field::Student.id(),
        Field::Student.hint_id(),
        Field::Code.id(),
        Field::Code.hint_id(),
        "boot-status",
    ] {
        assert!(
            INDEX.contains(&format!(r#"id="{id}""#)),
            "index.html lacks #{id}"
        );
    }
}

#[test]
fn the_static_inputs_are_named_and_keyed_as_the_apps() {
    for field in [Field::Student, Field::Code] {
        let input = INDEX
            .split("<input")
            .find(|input| input.contains(&format!(r#"id="{}""#, field.id())))
            .expect("the field's input");
        let tag = &input[..input.find('>').expect("a closed tag")];
        let name = field.form_name().map(|name| format!(r#"name="{name}""#));
        assert_eq!(tag.contains("name="), name.is_some(), "{field:?}: {tag}");
        assert!(
            name.is_none_or(|name| tag.contains(&name)),
            "{field:?}: {tag}"
        );
        let key = format!(r#"enterkeyhint="{}""#, field.enter_key_hint());
        assert!(tag.contains(&key), "{field:?}: {tag}");
        let hint = format!(r#"aria-describedby="{}""#, field.hint_id());
        assert!(tag.contains(&hint), "{field:?}: {tag}");
    }
}

#[test]
fn the_lookup_code_is_never_a_named_form_field() {
    let code_input = INDEX
        .split("<input")
        .find(|input| input.contains(r#"id="lookup-code""#))
        .expect("the lookup code input");
    let tag = &code_input[..code_input.find('>').expect("a closed tag")];
    assert!(
        !tag.contains("name="),
        "a named field would put the code in the address if the form were sent without script"
    );
}

#[test]
fn the_boot_script_shares_the_apps_names() {
    assert!(BOOT.contains(Lang::STORAGE_KEY));
    assert!(BOOT.contains("data-submitted"));
    let head = &INDEX[..INDEX.find("</head>").expect("a head")];
    for (name, path) in [
        ("hocphi-glue", "/hocphi.js"),
        ("hocphi-wasm", "/hocphi_bg.wasm"),
    ] {
        assert!(
            BOOT.contains(name),
            "boot.js no longer reads the {name} meta"
        );
        let meta = format!(r#"<meta name="{name}" content="{path}">"#);
        assert!(
            head.contains(&meta),
            "index.html no longer names {path}: {meta}"
        );
    }
    for path in ["/style.css", "/boot.js", "/en.json"] {
        assert!(
            INDEX.contains(path),
            "index.html no longer references {path}"
        );
    }
}
