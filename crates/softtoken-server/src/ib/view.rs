//! HTML for the internet-banking pages (maud: escaped by construction). No JavaScript.

use maud::{html, Markup, DOCTYPE};

use super::text::{t, Key, Lang};

pub const CSS: &str = r#"
:root { color-scheme: light dark; --accent: #0b6e4f; --on-accent: #fff; --err: #b00020; --bg: #fff; --fg: #1b1b1b; --muted: #5f6368; --card: #f4f7f6; }
@media (prefers-color-scheme: dark) { :root { --bg: #121212; --fg: #eee; --muted: #aaa; --card: #1e2624; --accent: #4cc39a; --on-accent: #0d1f19; --err: #ff6b81; } }
* { box-sizing: border-box; }
body { margin: 0; word-break: auto-phrase; font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic", Meiryo, sans-serif; background: var(--bg); color: var(--fg); line-height: 1.6; }
header { background: var(--accent); color: var(--on-accent); padding: .6rem 1rem; display: flex; justify-content: space-between; align-items: center; flex-wrap: wrap; gap: .5rem; }
header nav { display: flex; gap: 1rem; }
header a { color: var(--on-accent); }
.bank { font-weight: bold; }
main { max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.35rem; border-left: .3rem solid var(--accent); padding-left: .6rem; }
form, .card { background: var(--card); padding: 1rem 1.2rem; border-radius: .5rem; }
form > p:first-of-type { margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; font-weight: bold; }
input[type=text], input[type=password], input[type=number] { width: 100%; font-size: 1.1rem; padding: .5rem; border: 1px solid var(--muted); border-radius: .3rem; background: var(--bg); color: var(--fg); }
input.otp { display: block; font-family: monospace; font-size: 1.6rem; letter-spacing: .3rem; max-width: 12rem; }
button { display: block; margin-top: 1.2rem; font-size: 1.05rem; padding: .55rem 1.6rem; background: var(--accent); color: var(--on-accent); border: 0; border-radius: .3rem; cursor: pointer; }
.error { color: var(--err); font-weight: bold; border: 2px solid var(--err); padding: .6rem .8rem; border-radius: .4rem; margin-bottom: 1rem; }
.done { font-size: 1.15rem; font-weight: bold; color: var(--accent); }
.muted { color: var(--muted); font-size: .9rem; }
ul.menu li { margin: .5rem 0; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--muted); }
footer { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted); font-size: .85rem; }
"#;

/// A form field.
#[derive(Debug)]
pub enum Field<'a> {
    Text {
        name: &'a str,
        label: &'a str,
        value: &'a str,
        autocomplete: &'a str,
    },
    Password {
        name: &'a str,
        label: &'a str,
        autocomplete: &'a str,
    },
    Otp {
        name: &'a str,
        label: &'a str,
    },
    Radio {
        name: &'a str,
        options: Vec<(&'a str, &'a str, bool)>,
    },
}

/// The page frame: header with the language switch, title, content, the lost-phone note.
pub fn page(lang: Lang, path: &str, title_key: Key, content: Markup) -> String {
    let other = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(lang, title_key)) " — " (t(lang, Key::Bank)) }
                link rel="stylesheet" href="/ib/style.css";
            }
            body {
                header {
                    span.bank { (t(lang, Key::Bank)) }
                    nav {
                        a href="/ib/" { (t(lang, Key::Top)) }
                        a #lang-switch href={ "/ib/lang?to=" (other.code()) "&back=" (path) } lang=(other.code()) { (t(lang, Key::LangSwitch)) }
                    }
                }
                main {
                    h1 { (t(lang, title_key)) }
                    (content)
                }
                footer { p { (t(lang, Key::LostPhone)) } }
            }
        }
    }
    .into_string()
}

pub fn error_box(msg: Option<&str>) -> Markup {
    html! { @if let Some(m) = msg { p.error role="alert" { (m) } } }
}

pub fn form(
    lang: Lang,
    action: &str,
    csrf: &str,
    intro: &str,
    fields: &[Field<'_>],
    submit_key: Key,
) -> Markup {
    html! {
        form method="post" action=(action) {
            p { (intro) }
            input type="hidden" name="csrf" value=(csrf);
            @for f in fields {
                @match f {
                    Field::Text { name, label, value, autocomplete } => {
                        label for=(name) { (label) }
                        input type="text" id=(name) name=(name) value=(value) autocomplete=(autocomplete) required;
                    }
                    Field::Password { name, label, autocomplete } => {
                        label for=(name) { (label) }
                        input type="password" id=(name) name=(name) autocomplete=(autocomplete) required;
                    }
                    Field::Otp { name, label } => {
                        label for=(name) { (label) }
                        input.otp type="text" id=(name) name=(name) inputmode="numeric" autocomplete="one-time-code" maxlength="12" required;
                    }
                    Field::Radio { name, options } => {
                        @for (value, label, checked) in options {
                            label { input type="radio" name=(name) value=(value) checked[*checked]; " " (label) }
                        }
                    }
                }
            }
            button type="submit" { (t(lang, submit_key)) }
        }
    }
}

pub fn result(lang: Lang, message: &str) -> Markup {
    html! {
        div.card {
            p.done #result { (message) }
            p { a href="/ib/login" { (t(lang, Key::BackToLogin)) } }
        }
    }
}

pub fn menu(lang: Lang) -> Markup {
    html! {
        ul.menu {
            li { a href="/ib/login" { (t(lang, Key::Login)) } }
            li { a href="/ib/register" { (t(lang, Key::Register)) } }
            li { a href="/ib/exchange" { (t(lang, Key::Exchange)) } }
            li { a href="/ib/stop" { (t(lang, Key::Stop)) } }
        }
    }
}
