//! Internet-banking pages under `/ib`, mirroring the shinkin banks' guides: every flow starts with the contract ID
//! and login password, then asks for what the guide asks for, and ends on a 処理結果 (result) page.
//!
//! - `session.rs`: cookies, CSRF, the language, and the session's [`session::Stage`];
//! - `flows/`: one module per flow (login, 利用登録, 交換, 利用停止, 振込, the login-OTP setting);
//! - `proofs.rs`: the proofs the flows share (the transfer password, a code, a new token);
//! - `home.rs`, `view.rs` (HTML), `text.rs` (the words, Japanese and English), `password.rs` (Argon2).

mod flow;
mod flows;
mod home;
pub mod password;
mod proofs;
mod respond;
pub mod session;
pub mod text;
pub mod view;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;

use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::model::now;
use crate::AppState;
pub use password::hash_password;
use respond::{render, secure_headers};
use text::{t, Key, Lang};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ib/") }))
        .route("/ib", get(|| async { Redirect::to("/ib/") }))
        .route("/ib/", get(top))
        .route("/ib/style.css", get(css))
        .route("/ib/lang", get(lang))
        .route("/ib/logout", get(logout))
        .route("/ib/home", get(home::home))
        .route("/ib/{flow}", get(flows::show).post(flows::submit))
        .layer(axum::middleware::map_response(html_errors))
}

/// A request that fails with an `ApiError` (the database, a rate limit, an oversized form) gets an HTML page in
/// both languages instead of the API's JSON: what happened in the customer's words, and the way back to the top.
/// Internal details stay in the server's log.
async fn html_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let key = match status {
        StatusCode::TOO_MANY_REQUESTS => Key::ErrRate,
        StatusCode::SERVICE_UNAVAILABLE => Key::ErrBusy,
        s if s.is_server_error() => Key::ErrInternal,
        _ => Key::ErrRequest,
    };
    let html = view::page(
        Lang::Ja,
        "/ib/",
        Key::ErrorTitle,
        html! {
            (view::error_box(Some(t(Lang::Ja, key))))
            p.error lang="en" { (t(Lang::En, key)) }
            p { a href="/ib/" { (t(Lang::Ja, Key::Top)) " / " (t(Lang::En, Key::Top)) } }
        },
    );
    secure_headers((status, Html(html)).into_response())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        view::CSS,
    )
        .into_response()
}

async fn top(State(st): State<AppState>, headers: HeaderMap, addr: ClientAddr) -> Result<Response, ApiError> {
    let mut s = session::load(&st, &headers).await?;
    let lang = s.lang;
    render(
        &st,
        &addr,
        &mut s,
        StatusCode::OK,
        view::page(lang, "/ib/", Key::Top, view::menu(lang)),
    )
    .await
}

#[derive(serde::Deserialize)]
struct LangQuery {
    to: String,
    back: Option<String>,
}

/// Switches the language (a cookie of its own: nothing is stored) and goes back to the page it came from (only
/// pages under /ib/).
async fn lang(State(st): State<AppState>, Query(q): Query<LangQuery>) -> Result<Response, ApiError> {
    let back = q
        .back
        .filter(|b| b.starts_with("/ib/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/ib/".into());
    let cookie = session::lang_cookie(&st, Lang::parse(&q.to))?;
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(id) = session::cookie_value(&headers, session::COOKIE) {
        if let Some(s) = st.svc.db.session(&id, now()).await? {
            if let Some(c) = &s.contract_id {
                st.svc
                    .audit(&format!("ib:{c}"), "ib_logout", None, Some(c), "ok", "")
                    .await?;
            }
        }
        st.svc.db.delete_session(&id).await?;
    }
    let mut resp = Redirect::to("/ib/login").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session::cookie(&st, session::COOKIE, "", 0)?);
    Ok(resp)
}

/// The request parsing of the pages (for the fuzz targets, `fuzz/`): the cookie header, every form, a stored
/// stage.
#[doc(hidden)]
pub fn read_request(cookie: &str, form: &[u8], stage: &str, stage_data: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, v);
        let _ = session::cookie_value(&headers, session::COOKIE);
        let _ = session::lang_of(&headers);
    }
    flows::read_every_form(form);
    let _ = session::Stage::from_row(stage, stage_data);
}
