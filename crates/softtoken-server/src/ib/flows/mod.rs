//! The internet-banking flows, one module each: what each step's form asks for and what its answer does. A
//! flow's step is the session's [`Stage`]; a step reads its form into a typed struct ([`form::parse`]) and
//! answers with an [`Outcome`], which this module renders.
//!
//! 利用登録, 交換 and 利用停止 begin with the contract ID and login password (`login.rs`, [`login::credentials`]),
//! as the bank's guides do; 振込 and the login-OTP setting need a logged-in session instead.

mod exchange;
mod form;
mod login;
mod login_otp;
mod register;
mod step;
mod stop;
mod transfer;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::flow::Flow;
use super::session::{self, Session, Stage};
use super::text::{t, Key};
use super::view;
use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::AppState;
use form::Kept;
use step::{Ctx, Outcome};

/// GET `/ib/{flow}`: the form of the step the session is at; opening a flow afresh starts it over.
pub(super) async fn show(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(flow): Path<String>,
) -> Result<Response, ApiError> {
    let Some(flow) = Flow::parse(&flow) else {
        return Ok(crate::error::not_found().await);
    };
    let mut s = session::load(&st, &headers).await?;
    if flow.needs_login() && s.logged_in().is_none() {
        return Ok(Redirect::to("/ib/login").into_response());
    }
    if !flow.needs_login() && !s.stage.is_in(flow) {
        s.stage = Stage::Start;
    }
    let ctx = Ctx {
        st: &st,
        addr: &addr,
        lang: s.lang,
    };
    let html = form_page(&ctx, &s, flow, None, &Kept::default()).await?;
    crate::ib::respond::render(&st, &addr, &mut s, StatusCode::OK, html).await
}

/// POST `/ib/{flow}`: the step the session is at, after the CSRF check.
pub(super) async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(flow): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(flow) = Flow::parse(&flow) else {
        return Ok(crate::error::not_found().await);
    };
    let mut s = session::load(&st, &headers).await?;
    let lang = s.lang;
    let ctx = Ctx {
        st: &st,
        addr: &addr,
        lang,
    };
    // CSRF: the form must carry this session's token.
    let csrf = form::parse::<form::Csrf>(&body).csrf;
    if !s.csrf_matches(&csrf) {
        s.stage = Stage::Start;
        let html = view::page(
            lang,
            "/ib/",
            Key::Top,
            html! { (view::error_box(Some(t(lang, Key::ErrSession)))) (view::menu(lang)) },
        );
        return crate::ib::respond::render(&st, &addr, &mut s, StatusCode::FORBIDDEN, html).await;
    }
    if flow.needs_login() && s.logged_in().is_none() {
        return Ok(Redirect::to("/ib/login").into_response());
    }
    if !flow.needs_login() && !s.stage.is_in(flow) {
        s.stage = Stage::Start;
    }
    // Every step after the first is the proved contract's: it is checked here once.
    let contract = s.contract_id.clone().filter(|_| s.stage != Stage::Start);
    let outcome = match (flow, s.stage.clone(), contract) {
        (Flow::Login | Flow::Register | Flow::Exchange | Flow::Stop, Stage::Start, _) => {
            login::credentials(&ctx, &mut s, flow, &body).await?
        }
        (Flow::Login, Stage::LoginCode, Some(c)) => login::code(&ctx, &mut s, &c, &body).await?,
        (Flow::Register, Stage::Proved { .. }, Some(c)) => register::submit(&ctx, &mut s, &c, &body).await?,
        (Flow::Exchange, Stage::Proved { .. }, Some(c)) => {
            exchange::old_token(&ctx, &mut s, &c, &body).await?
        }
        (Flow::Exchange, Stage::ExchangeNew { old_serial, .. }, Some(c)) => {
            exchange::new_token(&ctx, &mut s, &c, &old_serial, &body).await?
        }
        (Flow::Stop, Stage::Proved { .. }, Some(c)) => stop::submit(&ctx, &mut s, &c, &body).await?,
        (Flow::Transfer, Stage::LoggedIn, Some(c)) => transfer::submit(&ctx, &c, &body).await?,
        (Flow::LoginOtp, Stage::LoggedIn, Some(c)) => login_otp::submit(&ctx, &c, &body).await?,
        _ => {
            s.stage = Stage::Start;
            Outcome::Again(t(lang, Key::ErrSession).to_string(), Kept::default())
        }
    };
    answer(&ctx, &mut s, flow, outcome).await
}

/// Renders a step's outcome and stores the session.
async fn answer(ctx: &Ctx<'_>, s: &mut Session, flow: Flow, outcome: Outcome) -> Result<Response, ApiError> {
    let (st, lang) = (ctx.st, ctx.lang);
    let (status, html) = match outcome {
        Outcome::Next => (
            StatusCode::OK,
            form_page(ctx, s, flow, None, &Kept::default()).await?,
        ),
        Outcome::Again(words, kept) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(ctx, s, flow, Some(&words), &kept).await?,
        ),
        Outcome::Done(key) => (
            StatusCode::OK,
            view::page(lang, "/ib/", Key::Result, view::result(lang, t(lang, key))),
        ),
        Outcome::DoneHome(key) => (
            StatusCode::OK,
            view::page(
                lang,
                "/ib/home",
                Key::Result,
                html! {
                    div.card { p.done #result { (t(lang, key)) } p { a href="/ib/home" { (t(lang, Key::Back)) } } }
                },
            ),
        ),
        Outcome::Home => {
            let cookie = session::save(st, ctx.addr, s).await?;
            let mut resp = Redirect::to("/ib/home").into_response();
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            return Ok(resp);
        }
    };
    crate::ib::respond::render(st, ctx.addr, s, status, html).await
}

/// The form of `flow` at the session's stage, with an optional error and the values kept from before.
async fn form_page(
    ctx: &Ctx<'_>,
    s: &Session,
    flow: Flow,
    error: Option<&str>,
    kept: &Kept,
) -> Result<String, ApiError> {
    let lang = ctx.lang;
    let action = format!("/ib/{}", flow.name());
    let spec = match (flow, &s.stage) {
        (Flow::Login, Stage::LoginCode) => login::code_form(lang),
        (Flow::Register, Stage::Proved { .. }) => register::form(lang, kept),
        (Flow::Exchange, Stage::Proved { .. }) => exchange::old_token_form(lang),
        (Flow::Exchange, Stage::ExchangeNew { .. }) => exchange::new_token_form(lang, kept),
        (Flow::Stop, Stage::Proved { .. }) => stop::form(lang),
        (Flow::Transfer, _) => transfer::form(lang, kept),
        (Flow::LoginOtp, _) => login_otp::form(ctx, s).await?,
        _ => login::credentials_form(lang, flow, kept),
    };
    let body = html! {
        (view::error_box(error))
        (view::form(lang, &action, &s.csrf, spec.intro, &spec.fields, spec.submit))
    };
    Ok(view::page(lang, &action, flow.title(), body))
}

/// Reads `body` as every form of every flow (for the fuzz targets, `fuzz/`): none may panic, whatever the bytes.
pub(super) fn read_every_form(body: &[u8]) {
    let _: form::Csrf = form::parse(body);
    let _: login::Credentials = form::parse(body);
    let _: login::Code = form::parse(body);
    let _: register::Form = form::parse(body);
    let _: exchange::OldToken = form::parse(body);
    let _: exchange::NewTokenForm = form::parse(body);
    let _: stop::Form = form::parse(body);
    let _: transfer::Form = form::parse(body);
    let _: login_otp::Form = form::parse(body);
}
