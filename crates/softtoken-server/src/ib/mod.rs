//! Internet-banking pages under `/ib`, mirroring the shinkin banks' guides: every flow starts with the contract ID
//! and login password, then asks for what the guide asks for, and ends on a 処理結果 (result) page.
//!
//! Sessions are server-side rows keyed by an HttpOnly, SameSite=Strict cookie; every form carries the session's
//! CSRF token; logins are rate-limited per contract ID and per client address.

mod proofs;
#[cfg(test)]
mod tests;
pub mod text;
pub mod view;

use std::collections::HashMap;
use std::net::SocketAddr;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::html;
use subtle::ConstantTimeEq;

use crate::db::{state, SessionRow, TokenRow};
use crate::error::ApiError;
use crate::service::{now, Validation};
use crate::AppState;
use text::{t, Key, Lang};
use view::Field;

const COOKIE: &str = "st_sid";
const SESSION_SECONDS: i64 = 15 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ib/") }))
        .route("/ib", get(|| async { Redirect::to("/ib/") }))
        .route("/ib/", get(top))
        .route("/ib/style.css", get(css))
        .route("/ib/lang", get(lang))
        .route("/ib/logout", get(logout))
        .route("/ib/home", get(home))
        .route("/ib/{flow}", get(show).post(submit))
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

/// Argon2id PHC string of a password.
pub fn hash_password(pw: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A hash to verify against when the contract ID is unknown (made once, on the blocking pool like every
/// Argon2 computation).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("softtoken-no-such-contract").unwrap_or_default())
}

/// How long a request waits for an Argon2 slot before the server answers 503 `busy` (nothing was done; try again).
const ARGON2_QUEUE: std::time::Duration = std::time::Duration::from_secs(5);

/// The Argon2 verifications that may run at once: twice the cores. Each takes 19 MiB and tens of milliseconds of
/// a core; more at once would only wait inside the OS while holding their memory (tokio's blocking pool alone
/// would allow 512, about 10 GiB).
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(2 * cores)
    })
}

/// Whether `pw` matches the Argon2id PHC string (`None`: a dummy hash, for an unknown contract ID, so that the
/// answer takes as long). Argon2 is made to be slow (tens of milliseconds of CPU), so it runs on tokio's blocking
/// pool, not on the threads that serve every other request, and at most [`argon2_slots`] at once.
///
/// # Errors
/// [`ApiError::Busy`] when no slot frees up within [`ARGON2_QUEUE`].
async fn verify_password(pw: &str, phc: Option<&str>) -> Result<bool, ApiError> {
    verify_in(argon2_slots(), ARGON2_QUEUE, pw, phc).await
}

async fn verify_in(
    slots: &tokio::sync::Semaphore,
    queue: std::time::Duration,
    pw: &str,
    phc: Option<&str>,
) -> Result<bool, ApiError> {
    let permit = tokio::time::timeout(queue, slots.acquire())
        .await
        .map_err(|_| ApiError::Busy("every password check is taken: try again in a moment".into()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let pw = zeroize::Zeroizing::new(pw.to_string());
    let phc = phc.map(str::to_string);
    let ok = tokio::task::spawn_blocking(move || {
        let phc = phc.as_deref().unwrap_or_else(|| dummy_hash());
        PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false);
    drop(permit);
    Ok(ok)
}

/// The client's address, when the server knows it (not in in-process tests): the TCP peer, or behind a trusted
/// proxy the client it names in `X-Forwarded-For` (proxy.rs; the port is then 0).
#[derive(Debug)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0) else {
            return Ok(ClientAddr(None));
        };
        if st.trusted_proxies.is_empty() {
            return Ok(ClientAddr(Some(peer)));
        }
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = crate::proxy::client_ip(peer.ip(), &forwarded, &st.trusted_proxies);
        Ok(ClientAddr(Some(if ip == peer.ip() {
            peer
        } else {
            SocketAddr::new(ip, 0)
        })))
    }
}

fn random_token() -> String {
    let mut b = [0u8; 24];
    rand::fill(&mut b);
    data_encoding::BASE64URL_NOPAD.encode(&b)
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// New sessions one client address may start per minute. A browser keeps its cookie, so a customer needs one;
/// this is far above any person (and above many customers behind one carrier-grade NAT) and bounds what a
/// script can make the sessions table hold (expired rows are purged, see [`crate::housekeeping`]).
pub const NEW_SESSIONS_PER_MINUTE: u32 = 300;

/// Loads the session named by the cookie, or starts a new anonymous one (limited per client address).
async fn session(st: &AppState, headers: &HeaderMap, addr: &ClientAddr) -> Result<SessionRow, ApiError> {
    if let Some(id) = cookie_value(headers, COOKIE) {
        if let Some(s) = st.svc.db.session(&id, now()).await? {
            return Ok(s);
        }
    }
    if !st.limiter.allow(
        "ib-session",
        &crate::limiter::client_key(addr.0),
        NEW_SESSIONS_PER_MINUTE,
    ) {
        return Err(ApiError::RateLimited);
    }
    Ok(SessionRow {
        id: random_token(),
        contract_id: None,
        csrf: random_token(),
        stage: String::new(),
        data: String::new(),
        lang: "ja".into(),
        expires_at: 0,
        started_at: now(),
    })
}

/// Saves the session (sliding expiry) and returns the Set-Cookie header for it.
async fn save(st: &AppState, s: &mut SessionRow) -> Result<HeaderValue, ApiError> {
    s.expires_at = now() + SESSION_SECONDS;
    st.svc.db.put_session(s).await?;
    let secure = if st.svc.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{secure}",
        s.id
    ))
    .map_err(|e| ApiError::Internal(e.to_string()))
}

fn secure_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// Renders a page and stores the session.
async fn render(
    st: &AppState,
    s: &mut SessionRow,
    status: StatusCode,
    html: String,
) -> Result<Response, ApiError> {
    let cookie = save(st, s).await?;
    let mut resp = (status, Html(html)).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(secure_headers(resp))
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
    let mut s = session(&st, &headers, &addr).await?;
    let lang = Lang::parse(&s.lang);
    render(
        &st,
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

/// Switches the language and goes back to the page it came from (only pages under /ib/).
async fn lang(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let mut s = session(&st, &headers, &addr).await?;
    s.lang = Lang::parse(&q.to).code().to_string();
    let back = q
        .back
        .filter(|b| b.starts_with("/ib/") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/ib/".into());
    let cookie = save(&st, &mut s).await?;
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(id) = cookie_value(&headers, COOKIE) {
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
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("st_sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(resp)
}

async fn active_token(st: &AppState, contract: &str) -> Result<Option<TokenRow>, ApiError> {
    Ok(st
        .svc
        .db
        .tokens_of(contract)
        .await?
        .into_iter()
        .find(|t| t.state == state::ACTIVE))
}

/// The contract's last token events (registered, exchanged, stopped, revoked by the bank), newest first, with
/// their time in Japan (UTC+9) and the token's serial as printed.
async fn token_events(st: &AppState, contract: &str) -> Result<Vec<(String, Key, String)>, ApiError> {
    const SHOWN: usize = 5;
    let rows = st
        .svc
        .db
        .audit_query(
            &crate::db::AuditFilter {
                contract_id: Some(contract),
                ..Default::default()
            },
            200,
        )
        .await?;
    let jst = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    Ok(rows
        .iter()
        .filter(|r| r.result == "ok")
        .filter_map(|r| {
            let what = match r.action.as_str() {
                "register" => Key::EventRegister,
                "exchange" => Key::EventExchange,
                "stop" => Key::EventStop,
                "revoke" => Key::EventRevoke,
                _ => return None,
            };
            let when = time::OffsetDateTime::from_unix_timestamp(r.at)
                .ok()?
                .to_offset(jst)
                .format(&format)
                .ok()?;
            let serial = r
                .serial
                .as_deref()
                .map(softtoken_core::serial::display_serial)
                .unwrap_or_default();
            Some((when, what, serial))
        })
        .take(SHOWN)
        .collect())
}

async fn home(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
) -> Result<Response, ApiError> {
    let mut s = session(&st, &headers, &addr).await?;
    let lang = Lang::parse(&s.lang);
    let Some(contract) = s.contract_id.clone().filter(|_| s.stage == "in") else {
        return Ok(Redirect::to("/ib/login").into_response());
    };
    let name = st
        .svc
        .db
        .customer(&contract)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    // Only the tokens the customer can use: replaced, stopped and revoked ones are history, not "in use".
    let tokens: Vec<TokenRow> = st
        .svc
        .db
        .tokens_of(&contract)
        .await?
        .into_iter()
        .filter(|t| t.state == state::ACTIVE)
        .collect();
    let events = token_events(&st, &contract).await?;
    let body = html! {
        p #welcome { (name) (t(lang, Key::Welcome)) }
        h2 { (t(lang, Key::YourTokens)) }
        @if tokens.is_empty() {
            p { (t(lang, Key::NoToken)) }
        } @else {
            table #tokens {
                tr { th { (t(lang, Key::Serial)) } th { (t(lang, Key::State)) } }
                @for tok in &tokens {
                    tr {
                        td.serial { (softtoken_core::serial::display_serial(&tok.serial)) }
                        td { (t(lang, if tok.locked { Key::StateLocked } else { Key::StateActive })) }
                    }
                }
            }
        }
        // What happened to the contract's tokens lately, so that a registration the customer did not make shows.
        h2 { (t(lang, Key::TokenEvents)) }
        @if events.is_empty() {
            p { (t(lang, Key::NoTokenEvents)) }
        } @else {
            table #token-events {
                tr { th { (t(lang, Key::When)) } th { (t(lang, Key::What)) } th { (t(lang, Key::Serial)) } }
                @for (when, what, serial) in &events {
                    tr {
                        td { (when) }
                        td { (t(lang, *what)) }
                        td.serial { (serial) }
                    }
                }
            }
        }
        p.note { (t(lang, Key::TokenEventsNote)) }
        ul.menu {
            li { a href="/ib/transfer" { (t(lang, Key::Transfer)) } }
            li { a href="/ib/login-otp" { (t(lang, Key::LoginOtpSetting)) } }
            li { a href="/ib/logout" { (t(lang, Key::Logout)) } }
        }
    };
    render(
        &st,
        &mut s,
        StatusCode::OK,
        view::page(lang, "/ib/home", Key::Top, body),
    )
    .await
}

/// The flows and the step the session is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Login,
    Register,
    Exchange,
    Stop,
    Transfer,
    LoginOtp,
}

impl Flow {
    fn parse(s: &str) -> Option<Flow> {
        Some(match s {
            "login" => Flow::Login,
            "register" => Flow::Register,
            "exchange" => Flow::Exchange,
            "stop" => Flow::Stop,
            "transfer" => Flow::Transfer,
            "login-otp" => Flow::LoginOtp,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Flow::Login => "login",
            Flow::Register => "register",
            Flow::Exchange => "exchange",
            Flow::Stop => "stop",
            Flow::Transfer => "transfer",
            Flow::LoginOtp => "login-otp",
        }
    }

    fn title(self) -> Key {
        match self {
            Flow::Login => Key::Login,
            Flow::Register => Key::Register,
            Flow::Exchange => Key::Exchange,
            Flow::Stop => Key::Stop,
            Flow::Transfer => Key::Transfer,
            Flow::LoginOtp => Key::LoginOtpSetting,
        }
    }

    /// Flows that need a logged-in session rather than their own first step.
    fn needs_login(self) -> bool {
        matches!(self, Flow::Transfer | Flow::LoginOtp)
    }
}

/// The step of `flow` the session is at: "" (first step) or a flow-specific stage.
fn step_of(s: &SessionRow, flow: Flow) -> String {
    s.stage
        .strip_prefix(flow.name())
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or("")
        .to_string()
}

async fn show(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(flow): Path<String>,
) -> Result<Response, ApiError> {
    let Some(flow) = Flow::parse(&flow) else {
        return Ok(crate::api::not_found().await);
    };
    let mut s = session(&st, &headers, &addr).await?;
    if flow.needs_login() && !(s.stage == "in" && s.contract_id.is_some()) {
        return Ok(Redirect::to("/ib/login").into_response());
    }
    // Opening a flow's page afresh starts it from its first step (unless logged in and the flow needs that).
    if !flow.needs_login() && !s.stage.starts_with(flow.name()) {
        s.stage = String::new();
    }
    let step = step_of(&s, flow);
    let html = form_page(&st, &s, flow, &step, None, &HashMap::new()).await?;
    render(&st, &mut s, StatusCode::OK, html).await
}

/// The form of `flow` at `step`, with an optional error message. `values` are what the customer typed before:
/// the contract ID, payee, amount and serial are kept after an error (passwords and codes never are).
async fn form_page(
    st: &AppState,
    s: &SessionRow,
    flow: Flow,
    step: &str,
    error: Option<&str>,
    values: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let lang = Lang::parse(&s.lang);
    let val = |k: &str| values.get(k).map(String::as_str).unwrap_or("");
    let action = format!("/ib/{}", flow.name());
    let credentials = [
        Field::Text {
            name: "contract_id",
            label: t(lang, Key::ContractId),
            value: val("contract_id"),
            autocomplete: "username",
        },
        Field::Password {
            name: "password",
            label: t(lang, Key::LoginPassword),
            autocomplete: "current-password",
        },
    ];
    let f = |intro: &str, fields: &[Field<'_>], submit: Key| {
        html! { (view::error_box(error)) (view::form(lang, &action, &s.csrf, intro, fields, submit)) }
    };
    let body = match (flow, step) {
        (Flow::Login, "otp") => f(
            t(lang, Key::LoginOtpIntro),
            &[Field::Otp {
                name: "otp",
                label: t(lang, Key::Otp),
            }],
            Key::Login,
        ),
        (Flow::Transfer, _) => f(
            t(lang, Key::TransferIntro),
            &[
                Field::Text {
                    name: "payee",
                    label: t(lang, Key::Payee),
                    value: val("payee"),
                    autocomplete: "off",
                },
                Field::Text {
                    name: "amount",
                    label: t(lang, Key::Amount),
                    value: val("amount"),
                    autocomplete: "off",
                },
                Field::Password {
                    name: "transfer_password",
                    label: t(lang, Key::TransferPassword),
                    autocomplete: "off",
                },
                Field::Otp {
                    name: "otp",
                    label: t(lang, Key::Otp),
                },
            ],
            Key::SubmitTransfer,
        ),
        (Flow::LoginOtp, _) => {
            let on = match &s.contract_id {
                Some(c) => st.svc.db.customer(c).await?.is_some_and(|c| c.login_otp),
                None => true,
            };
            f(
                t(lang, Key::LoginOtpSettingIntro),
                &[
                    Field::Radio {
                        name: "login_otp",
                        options: vec![("on", t(lang, Key::On), on), ("off", t(lang, Key::Off), !on)],
                    },
                    Field::Otp {
                        name: "otp",
                        label: t(lang, Key::Otp),
                    },
                ],
                Key::Save,
            )
        }
        (Flow::Register, "auth") => f(
            t(lang, Key::RegisterIntro),
            &[
                Field::Text {
                    name: "serial",
                    label: t(lang, Key::Serial),
                    value: val("serial"),
                    autocomplete: "off",
                },
                Field::Otp {
                    name: "otp",
                    label: t(lang, Key::Otp),
                },
                Field::Password {
                    name: "transfer_password",
                    label: t(lang, Key::TransferPassword),
                    autocomplete: "off",
                },
            ],
            Key::SubmitRegister,
        ),
        (Flow::Exchange, "auth") => f(
            t(lang, Key::ExchangeOldIntro),
            &[Field::Otp {
                name: "otp",
                label: t(lang, Key::OtpOld),
            }],
            Key::Next,
        ),
        (Flow::Exchange, "old") => f(
            t(lang, Key::ExchangeNewIntro),
            &[
                Field::Text {
                    name: "serial",
                    label: t(lang, Key::SerialNew),
                    value: val("serial"),
                    autocomplete: "off",
                },
                Field::Otp {
                    name: "otp",
                    label: t(lang, Key::OtpNew),
                },
            ],
            Key::SubmitRegister,
        ),
        (Flow::Stop, "auth") => f(
            t(lang, Key::StopIntro),
            &[
                Field::Otp {
                    name: "otp",
                    label: t(lang, Key::Otp),
                },
                Field::Password {
                    name: "transfer_password",
                    label: t(lang, Key::TransferPassword),
                    autocomplete: "off",
                },
            ],
            Key::SubmitStop,
        ),
        (Flow::Login, _) => f(t(lang, Key::LoginIntro), &credentials, Key::Login),
        _ => f(t(lang, Key::Step1Intro), &credentials, Key::Next),
    };
    Ok(view::page(lang, &action, flow.title(), body))
}

/// The words for a client that must wait before its next login password; after `wrong`, the password was wrong
/// too. (During the wait the password is not looked at, so nothing is said about it.)
fn login_wait_words(lang: Lang, seconds: i64, wrong: bool) -> String {
    let wait = t(lang, Key::ErrLoginWait).replace("{n}", &seconds.to_string());
    match (wrong, lang) {
        (false, _) => wait,
        (true, Lang::Ja) => format!("{}{wait}", t(lang, Key::ErrLogin)),
        (true, Lang::En) => format!("{} {wait}", t(lang, Key::ErrLogin)),
    }
}

/// The message for a refused code, with how many tries are left when that is useful.
fn refusal(st: &AppState, lang: Lang, v: &Validation) -> String {
    let key = match v.reason.unwrap_or("") {
        "locked" => Key::ErrLocked,
        "replayed" => Key::ErrReplayed,
        "bad_format" => Key::ErrBadFormat,
        "unknown_serial" => Key::ErrUnknownSerial,
        "not_active" => Key::ErrNotActive,
        _ => Key::ErrWrongOtp,
    };
    let mut msg = t(lang, key).to_string();
    if let (Some(n), false) = (v.fail_count, v.locked) {
        let left = i64::from(st.svc.settings.policy.max_failures) - n;
        if left > 0 && left <= 3 {
            if lang == Lang::En {
                msg.push(' ');
            }
            msg.push_str(&t(lang, Key::TriesLeft).replace("{n}", &left.to_string()));
        }
    }
    if v.locked && key != Key::ErrLocked {
        msg = t(lang, Key::ErrLocked).to_string();
    }
    msg
}

/// The step 利用登録 and 交換 share: the customer proves they hold a new, not yet registered token by its typed
/// serial and a current code. Returns the stored serial (see `Service::resolve_serial`: a token the bank imported
/// from another vendor keeps that vendor's serial), or the words to show.
///
/// An unknown serial, a taken one and a wrong code get the same words, so that nobody learns which serials exist
/// or belong to someone; and a wrong code does not count toward locking the token (it is nobody's yet, and the one
/// typing may not be its owner: the writer counts failures only for active tokens). Instead the contract that
/// types it counts its failures (db/lockouts.rs): at `MAX_REGISTER_FAILURES` in a row its registrations and
/// exchanges wait for the bank, which bounds the guessing of someone else's unregistered token's code.
async fn prove_new_token(
    st: &AppState,
    lang: Lang,
    contract: &str,
    typed_serial: &str,
    otp: &str,
    actor: &str,
    action: &str,
) -> Result<Result<String, String>, ApiError> {
    use crate::db::lockouts::MAX_REGISTER_FAILURES;
    let locked = || async {
        st.svc
            .audit(actor, action, None, Some(contract), "registration_locked", "")
            .await
            .map(|()| Err(t(lang, Key::ErrRegisterLocked).to_string()))
    };
    if st
        .svc
        .db
        .customer(contract)
        .await?
        .is_some_and(|c| c.register_failures >= MAX_REGISTER_FAILURES)
    {
        return locked().await;
    }
    let serial = match st.svc.resolve_serial(typed_serial).await {
        Ok(serial) => serial,
        // A typo the check digit catches is the customer's own: said as such, and not counted.
        Err(e) if matches!(e.code(), "bad_serial" | "serial_check_digit") => {
            return Ok(Err(serial_error(lang, &e)))
        }
        Err(e) => return Err(e),
    };
    let proved = match st
        .svc
        .validate(serial.as_str(), otp, state::ISSUED, actor, action)
        .await
    {
        Err(e) if e.code() == "unknown_serial" => false,
        other => other?.valid,
    };
    if proved {
        st.svc.db.register_passed(contract).await?;
        return Ok(Ok(serial));
    }
    if st.svc.db.register_failed(contract).await? >= MAX_REGISTER_FAILURES {
        return locked().await;
    }
    Ok(Err(t(lang, Key::ErrNewTokenRefused).to_string()))
}

fn serial_error(lang: Lang, e: &ApiError) -> String {
    match e.code() {
        "serial_check_digit" => t(lang, Key::ErrSerialTypo).to_string(),
        _ => t(lang, Key::ErrSerialFormat).to_string(),
    }
}

async fn submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    addr: ClientAddr,
    Path(flow): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(flow) = Flow::parse(&flow) else {
        return Ok(crate::api::not_found().await);
    };
    let form = crate::form(&body);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("").trim().to_string();
    let mut s = session(&st, &headers, &addr).await?;
    let lang = Lang::parse(&s.lang);
    // CSRF: the form must carry this session's token (a new session has none that a form could know).
    if s.expires_at == 0 || !bool::from(get("csrf").as_bytes().ct_eq(s.csrf.as_bytes())) {
        s.stage = String::new();
        let html = view::page(
            lang,
            "/ib/",
            Key::Top,
            html! { (view::error_box(Some(t(lang, Key::ErrSession)))) (view::menu(lang)) },
        );
        return render(&st, &mut s, StatusCode::FORBIDDEN, html).await;
    }
    if flow.needs_login() && !(s.stage == "in" && s.contract_id.is_some()) {
        return Ok(Redirect::to("/ib/login").into_response());
    }
    let step = step_of(&s, flow);
    let again = |s: &mut SessionRow, msg: String| {
        let st = st.clone();
        let mut s = s.clone();
        let step = step_of(&s, flow);
        let typed = &form;
        async move {
            let html = form_page(&st, &s, flow, &step, Some(&msg), typed).await?;
            render(&st, &mut s, StatusCode::UNPROCESSABLE_ENTITY, html).await
        }
    };
    let done = |s: &mut SessionRow, key: Key| {
        let st = st.clone();
        let mut s = s.clone();
        let msg = t(lang, key);
        async move {
            let html = view::page(lang, "/ib/", Key::Result, view::result(lang, msg));
            render(&st, &mut s, StatusCode::OK, html).await
        }
    };

    // First step of login / register / exchange / stop: contract ID and login password.
    if !flow.needs_login() && step.is_empty() {
        let contract = get("contract_id");
        let ip = crate::limiter::client_key(addr.0);
        // The client's address is limited first; only an identifier that could exist is counted, looked up or
        // recorded (a junk one cannot grow the limiter or reach the audit table).
        let plausible = crate::sane_id(&contract);
        // No limit per contract alone: it would let anyone keep a known contract ID out of its internet banking.
        // Guesses against one contract wait per contract and client address instead (below, in the database).
        if !st.limiter.allow("login-ip", &ip, 30) {
            let who = plausible.then_some(contract.as_str());
            st.svc
                .audit("ib", "ib_auth", None, who, "rate_limited", flow.name())
                .await?;
            return again(&mut s, t(lang, Key::ErrRate).to_string()).await;
        }
        let customer = if plausible {
            st.svc.db.customer(&contract).await?
        } else {
            None
        };
        if let Some(c) = &customer {
            let wait = st.svc.db.login_blocked_until(&c.contract_id, &ip).await? - now();
            if wait > 0 {
                st.svc
                    .audit(
                        "ib",
                        "ib_auth",
                        None,
                        Some(&c.contract_id),
                        "login_waiting",
                        &format!("{} from {ip}", flow.name()),
                    )
                    .await?;
                return again(&mut s, login_wait_words(lang, wait, false)).await;
            }
        }
        // An unknown contract ID costs the same Argon2 verification as a wrong password, so the answer's timing
        // does not tell which contract IDs exist.
        let ok = match &customer {
            Some(c) => verify_password(&get("password"), Some(&c.password_hash)).await?,
            None => {
                verify_password(&get("password"), None).await?;
                false
            }
        };
        if !ok {
            // With the contract ID when it exists (so that guessing against one contract shows in its audit),
            // and the client's address (its /64 for IPv6).
            let known = customer.as_ref().map(|c| c.contract_id.as_str());
            st.svc
                .audit(
                    "ib",
                    "ib_auth",
                    None,
                    known,
                    "bad_credentials",
                    &format!("{} from {ip}", flow.name()),
                )
                .await?;
            if let Some(c) = known {
                let wait = st.svc.db.login_failed(c, &ip, now()).await?;
                if wait > 0 {
                    return again(&mut s, login_wait_words(lang, wait, true)).await;
                }
            }
            return again(&mut s, t(lang, Key::ErrLogin).to_string()).await;
        }
        st.svc.db.login_passed(&contract, &ip).await?;
        st.svc
            .audit(
                &format!("ib:{contract}"),
                "ib_auth",
                None,
                Some(&contract),
                "ok",
                flow.name(),
            )
            .await?;
        // A new session id and CSRF token after authentication (no session fixation; a token seen before the
        // login is worth nothing after it), and the session's fixed lifetime starts now.
        let old = s.id.clone();
        s.id = random_token();
        s.csrf = random_token();
        s.started_at = now();
        st.svc.db.delete_session(&old).await?;
        s.contract_id = Some(contract.clone());
        let active = active_token(&st, &contract).await?;
        match flow {
            Flow::Login => {
                let otp_on = customer.is_some_and(|c| c.login_otp);
                if otp_on && active.is_some() {
                    s.stage = "login:otp".into();
                } else {
                    s.stage = "in".into();
                    st.svc
                        .audit(
                            &format!("ib:{contract}"),
                            "ib_login",
                            None,
                            Some(&contract),
                            "ok",
                            "no otp",
                        )
                        .await?;
                    let cookie = save(&st, &mut s).await?;
                    let mut resp = Redirect::to("/ib/home").into_response();
                    resp.headers_mut().insert(header::SET_COOKIE, cookie);
                    return Ok(resp);
                }
            }
            Flow::Register if active.is_some() => {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrHasToken).to_string()).await;
            }
            Flow::Exchange | Flow::Stop if active.is_none() => {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            }
            _ => s.stage = format!("{}:auth", flow.name()),
        }
        let html = form_page(&st, &s, flow, &step_of(&s, flow), None, &HashMap::new()).await?;
        return render(&st, &mut s, StatusCode::OK, html).await;
    }

    let Some(contract) = s.contract_id.clone() else {
        s.stage = String::new();
        return again(&mut s, t(lang, Key::ErrSession).to_string()).await;
    };
    let actor = format!("ib:{contract}");
    match (flow, step.as_str()) {
        (Flow::Login, "otp") => {
            let Some(tok) = active_token(&st, &contract).await? else {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            };
            let v = st
                .svc
                .validate(&tok.serial, &get("otp"), state::ACTIVE, &actor, "ib_login")
                .await?;
            if !v.valid {
                return again(&mut s, refusal(&st, lang, &v)).await;
            }
            s.stage = "in".into();
            let cookie = save(&st, &mut s).await?;
            let mut resp = Redirect::to("/ib/home").into_response();
            resp.headers_mut().insert(header::SET_COOKIE, cookie);
            Ok(resp)
        }
        (Flow::Register, "auth") => {
            // A mistyped serial is said first: its check digit is public, and checking it spends nothing.
            if let Err(e) = st.svc.resolve_serial(&get("serial")).await {
                if matches!(e.code(), "bad_serial" | "serial_check_digit") {
                    return again(&mut s, serial_error(lang, &e)).await;
                }
            }
            // Binding a token needs the factor the customer already holds besides the login password: without
            // it, a phished login password would be enough to bind the attacker's token.
            if let Some(words) = proofs::transfer_password(
                &st,
                lang,
                &contract,
                None,
                &actor,
                "register",
                &get("transfer_password"),
            )
            .await?
            {
                return again(&mut s, words).await;
            }
            let serial = match prove_new_token(
                &st,
                lang,
                &contract,
                &get("serial"),
                &get("otp"),
                &actor,
                "ib_register",
            )
            .await?
            {
                Ok(serial) => serial,
                Err(msg) => return again(&mut s, msg).await,
            };
            // The database allows a contract one active token: a registration racing another one loses here.
            match st
                .svc
                .db
                .set_state(
                    serial.as_str(),
                    &[state::ISSUED],
                    state::ACTIVE,
                    Some(&contract),
                    now(),
                )
                .await
            {
                Ok(true) => {}
                Ok(false) => return again(&mut s, t(lang, Key::ErrSerialTaken).to_string()).await,
                Err(e) if e.code() == "has_active_token" => {
                    return again(&mut s, t(lang, Key::ErrHasToken).to_string()).await
                }
                Err(e) => return Err(e),
            }
            st.svc.db.transfer_password_passed(&contract).await?;
            st.svc
                .audit(
                    &actor,
                    "register",
                    Some(serial.as_str()),
                    Some(&contract),
                    "ok",
                    "",
                )
                .await?;
            s.stage = String::new();
            done(&mut s, Key::DoneRegister).await
        }
        (Flow::Exchange, "auth") => {
            let Some(old) = active_token(&st, &contract).await? else {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            };
            let v = st
                .svc
                .validate(&old.serial, &get("otp"), state::ACTIVE, &actor, "ib_exchange_old")
                .await?;
            if !v.valid {
                return again(&mut s, refusal(&st, lang, &v)).await;
            }
            s.stage = "exchange:old".into();
            s.data = old.serial;
            let html = form_page(&st, &s, flow, "old", None, &HashMap::new()).await?;
            render(&st, &mut s, StatusCode::OK, html).await
        }
        (Flow::Exchange, "old") => {
            let serial = match prove_new_token(
                &st,
                lang,
                &contract,
                &get("serial"),
                &get("otp"),
                &actor,
                "ib_exchange_new",
            )
            .await?
            {
                Ok(serial) => serial,
                Err(msg) => return again(&mut s, msg).await,
            };
            let old = s.data.clone();
            if !st
                .svc
                .db
                .exchange(&contract, &old, serial.as_str(), now())
                .await?
            {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrSerialTaken).to_string()).await;
            }
            st.svc
                .audit(
                    &actor,
                    "exchange",
                    Some(serial.as_str()),
                    Some(&contract),
                    "ok",
                    &format!("replaced {old}"),
                )
                .await?;
            s.stage = String::new();
            s.data = String::new();
            done(&mut s, Key::DoneExchange).await
        }
        (Flow::Stop, "auth") => {
            let Some(tok) = active_token(&st, &contract).await? else {
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            };
            if let Some(msg) = proofs::transfer_proofs(
                &st,
                lang,
                &tok,
                &actor,
                "stop",
                &get("transfer_password"),
                &get("otp"),
            )
            .await?
            {
                return again(&mut s, msg).await;
            }
            if !st
                .svc
                .db
                .set_state(&tok.serial, &[state::ACTIVE], state::STOPPED, None, now())
                .await?
            {
                // The token changed (revoked, replaced) between the code check and now: nothing was stopped.
                st.svc
                    .audit(
                        &actor,
                        "stop",
                        Some(&tok.serial),
                        Some(&contract),
                        "not_active",
                        "",
                    )
                    .await?;
                s.stage = String::new();
                return again(&mut s, t(lang, Key::ErrNotActive).to_string()).await;
            }
            st.svc
                .audit(&actor, "stop", Some(&tok.serial), Some(&contract), "ok", "")
                .await?;
            s.stage = String::new();
            done(&mut s, Key::DoneStop).await
        }
        (Flow::Transfer, _) => {
            let Some(tok) = active_token(&st, &contract).await? else {
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            };
            let amount_ok = get("amount")
                .parse::<u64>()
                .is_ok_and(|a| (1..=10_000_000).contains(&a));
            if !amount_ok || get("payee").is_empty() || get("payee").chars().count() > 64 {
                return again(&mut s, t(lang, Key::ErrAmount).to_string()).await;
            }
            if let Some(msg) = proofs::transfer_proofs(
                &st,
                lang,
                &tok,
                &actor,
                "transfer",
                &get("transfer_password"),
                &get("otp"),
            )
            .await?
            {
                return again(&mut s, msg).await;
            }
            st.svc
                .audit(
                    &actor,
                    "transfer",
                    Some(&tok.serial),
                    Some(&contract),
                    "ok",
                    &format!("amount {}", get("amount")),
                )
                .await?;
            let html = view::page(
                lang,
                "/ib/home",
                Key::Result,
                html! {
                    div.card { p.done #result { (t(lang, Key::DoneTransfer)) } p { a href="/ib/home" { (t(lang, Key::Back)) } } }
                },
            );
            render(&st, &mut s, StatusCode::OK, html).await
        }
        (Flow::LoginOtp, _) => {
            let on = get("login_otp") == "on";
            if let Some(tok) = active_token(&st, &contract).await? {
                let v = st
                    .svc
                    .validate(
                        &tok.serial,
                        &get("otp"),
                        state::ACTIVE,
                        &actor,
                        "ib_login_otp_setting",
                    )
                    .await?;
                if !v.valid {
                    return again(&mut s, refusal(&st, lang, &v)).await;
                }
            } else {
                return again(&mut s, t(lang, Key::ErrNoToken).to_string()).await;
            }
            st.svc.db.set_login_otp(&contract, on).await?;
            st.svc
                .audit(
                    &actor,
                    "login_otp_setting",
                    None,
                    Some(&contract),
                    "ok",
                    if on { "on" } else { "off" },
                )
                .await?;
            let html = view::page(
                lang,
                "/ib/home",
                Key::Result,
                html! {
                    div.card { p.done #result { (t(lang, Key::DoneSetting)) } p { a href="/ib/home" { (t(lang, Key::Back)) } } }
                },
            );
            render(&st, &mut s, StatusCode::OK, html).await
        }
        _ => {
            s.stage = String::new();
            again(&mut s, t(lang, Key::ErrSession).to_string()).await
        }
    }
}
