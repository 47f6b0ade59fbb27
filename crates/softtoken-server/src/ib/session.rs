//! Internet-banking sessions: the cookie, the CSRF token, the language, and where the customer is in a flow
//! ([`Stage`]).
//!
//! A visitor who has proved nothing has no row in the database: their cookie holds a random id, and their forms'
//! CSRF token is a keyed hash of that id (HKDF-SHA256 under a key derived from the master key, the same on every
//! instance), so that a page view writes nothing and a script that fetches pages cannot fill the sessions table.
//! A session is stored (under the SHA-256 of its id, `db/sessions.rs`) once it holds something: from the login
//! password on. The language is a cookie of its own.

use axum::http::{header, HeaderMap, HeaderValue};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::flow::Flow;
use super::text::Lang;
use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::model::{now, SessionRow};
use crate::AppState;

/// The session cookie.
pub(super) const COOKIE: &str = "st_sid";
/// The language cookie (`ja` or `en`).
const LANG_COOKIE: &str = "st_lang";
/// A session's idle lifetime; its absolute one is `db::SESSION_MAX_SECONDS`.
pub(super) const SESSION_SECONDS: i64 = 15 * 60;

/// New sessions one client address may store per minute. A browser keeps its cookie, so a customer needs one;
/// this is far above any person (and above many customers behind one carrier-grade NAT) and bounds what a
/// script can make the sessions table hold (expired rows are purged, see [`crate::housekeeping`]).
pub const NEW_SESSIONS_PER_MINUTE: u32 = 300;

/// Wrong proofs of a new token (利用登録, 交換) one session may make before it must log in again. The contract's
/// own count (`db/lockouts.rs`) bounds them across sessions.
pub(super) const NEW_TOKEN_TRIES: u32 = 3;

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stage {
    /// Nothing proved in this flow (a visitor, or a flow that ended).
    Start,
    /// The login password is proved; the login waits for a one-time password (login OTP on).
    LoginCode,
    /// Logged in to internet banking.
    LoggedIn,
    /// The login password is proved for 利用登録, 交換 or 利用停止: the flow's second step, with the wrong proofs
    /// of a new token made so far.
    Proved { flow: Flow, tries: u32 },
    /// 交換: the old token's code is proved; the new token is next.
    ExchangeNew { old_serial: String, tries: u32 },
}

/// What a stage keeps beside its name (`sessions.data`, JSON).
#[derive(Debug, Default, Serialize, Deserialize)]
struct StageData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    old_serial: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    tries: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Stage {
    /// Whether the session is in the middle of `flow` (at a step after its first).
    pub fn is_in(&self, flow: Flow) -> bool {
        match self {
            Stage::LoginCode => flow == Flow::Login,
            Stage::Proved { flow: f, .. } => *f == flow,
            Stage::ExchangeNew { .. } => flow == Flow::Exchange,
            Stage::Start | Stage::LoggedIn => false,
        }
    }

    /// The stage stored as `name` and `data`. Anything else (a row of an older server) starts over.
    pub(super) fn from_row(name: &str, data: &str) -> Stage {
        let data: StageData = serde_json::from_str(data).unwrap_or_default();
        match name {
            "in" => Stage::LoggedIn,
            "login:otp" => Stage::LoginCode,
            "exchange:old" => match data.old_serial {
                Some(old_serial) => Stage::ExchangeNew {
                    old_serial,
                    tries: data.tries,
                },
                None => Stage::Start,
            },
            other => match other.strip_suffix(":auth").and_then(Flow::parse) {
                Some(flow @ (Flow::Register | Flow::Exchange | Flow::Stop)) => Stage::Proved {
                    flow,
                    tries: data.tries,
                },
                _ => Stage::Start,
            },
        }
    }

    /// The name and data stored for the stage.
    fn to_row(&self) -> (String, String) {
        let json = |d: StageData| serde_json::to_string(&d).unwrap_or_default();
        match self {
            Stage::Start => (String::new(), String::new()),
            Stage::LoginCode => ("login:otp".into(), String::new()),
            Stage::LoggedIn => ("in".into(), String::new()),
            Stage::Proved { flow, tries } => (
                format!("{}:auth", flow.name()),
                json(StageData {
                    old_serial: None,
                    tries: *tries,
                }),
            ),
            Stage::ExchangeNew { old_serial, tries } => (
                "exchange:old".into(),
                json(StageData {
                    old_serial: Some(old_serial.clone()),
                    tries: *tries,
                }),
            ),
        }
    }
}

/// A session as the pages use it. `Debug` shows neither its id (the cookie) nor its CSRF token.
#[derive(Clone)]
pub(super) struct Session {
    pub id: String,
    pub csrf: String,
    /// The contract whose login password was proved.
    pub contract_id: Option<String>,
    pub stage: Stage,
    pub lang: Lang,
    /// When the login password was proved (the absolute lifetime counts from here).
    pub started_at: i64,
    /// Whether the session has a row in the database.
    pub stored: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("contract_id", &self.contract_id)
            .field("stage", &self.stage)
            .field("lang", &self.lang)
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The contract, when the customer is logged in to internet banking.
    pub fn logged_in(&self) -> Option<&str> {
        (self.stage == Stage::LoggedIn)
            .then_some(self.contract_id.as_deref())
            .flatten()
    }

    /// Whether `csrf` (from a form) is this session's token, compared in constant time.
    pub fn csrf_matches(&self, csrf: &str) -> bool {
        bool::from(csrf.as_bytes().ct_eq(self.csrf.as_bytes()))
    }

    /// After a proof of the login password: a new id and CSRF token (no session fixation; a token seen before
    /// the login is worth nothing after it), the absolute lifetime starting now. The old row, if any, is deleted.
    pub async fn renew(&mut self, st: &AppState, contract: &str) -> Result<(), ApiError> {
        if self.stored {
            st.svc.db.delete_session(&self.id).await?;
        }
        self.id = random_token();
        self.csrf = random_token();
        self.started_at = now();
        self.contract_id = Some(contract.to_string());
        self.stored = false;
        Ok(())
    }
}

/// The key of visitors' CSRF tokens: derived from the master key, so that every instance of one bank computes the
/// same tokens and no other file is needed.
pub fn csrf_key(master: &softtoken_core::sealed::MasterKey) -> zeroize::Zeroizing<[u8; 32]> {
    let ikm = master.to_text();
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(b"softtoken-server"), ikm.as_bytes())
        .expand(b"ib visitor csrf v1", key.as_mut_slice());
    key
}

/// A visitor's CSRF token: a keyed hash of their cookie's id.
fn visitor_csrf(st: &AppState, id: &str) -> String {
    let mut out = [0u8; 24];
    // The key is 32 bytes, a valid pseudorandom key; 24 bytes of output cannot fail.
    if let Ok(prf) = Hkdf::<Sha256>::from_prk(st.csrf_key.as_slice()) {
        let _ = prf.expand(id.as_bytes(), &mut out);
    }
    data_encoding::BASE64URL_NOPAD.encode(&out)
}

pub(super) fn random_token() -> String {
    let mut b = [0u8; 24];
    rand::fill(&mut b);
    data_encoding::BASE64URL_NOPAD.encode(&b)
}

/// Whether a cookie's value could be an id this server made (32 characters of base64url): only such a value is
/// kept as a visitor's id.
fn plausible_id(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
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

/// The page language the browser chose (Japanese unless it chose English).
pub(super) fn lang_of(headers: &HeaderMap) -> Lang {
    cookie_value(headers, LANG_COOKIE).map_or(Lang::Ja, |v| Lang::parse(&v))
}

/// The session named by the cookie, or a visitor's (not stored): the cookie's id is kept when it is one this
/// server could have made, so that two tabs share one.
pub(super) async fn load(st: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let lang = lang_of(headers);
    let cookie = cookie_value(headers, COOKIE).filter(|v| plausible_id(v));
    if let Some(id) = &cookie {
        if let Some(row) = st.svc.db.session(id, now()).await? {
            return Ok(Session {
                id: row.id,
                csrf: row.csrf,
                contract_id: row.contract_id,
                stage: Stage::from_row(&row.stage, &row.data),
                lang,
                started_at: row.started_at,
                stored: true,
            });
        }
    }
    let id = cookie.unwrap_or_else(random_token);
    Ok(Session {
        csrf: visitor_csrf(st, &id),
        id,
        contract_id: None,
        stage: Stage::Start,
        lang,
        started_at: now(),
        stored: false,
    })
}

/// Stores the session when it holds something (a proved login password), with a sliding expiry, and returns the
/// Set-Cookie header for it. A visitor's session is not stored.
pub(super) async fn save(st: &AppState, addr: &ClientAddr, s: &mut Session) -> Result<HeaderValue, ApiError> {
    if s.contract_id.is_some() {
        if !s.stored
            && !st.limiter.allow(
                "ib-session",
                &crate::limiter::client_key(addr.0),
                NEW_SESSIONS_PER_MINUTE,
            )
        {
            return Err(ApiError::RateLimited);
        }
        let (stage, data) = s.stage.to_row();
        st.svc
            .db
            .put_session(&SessionRow {
                id: s.id.clone(),
                contract_id: s.contract_id.clone(),
                csrf: s.csrf.clone(),
                stage,
                data,
                lang: s.lang.code().to_string(),
                expires_at: now() + SESSION_SECONDS,
                started_at: s.started_at,
            })
            .await?;
        s.stored = true;
    }
    cookie(st, COOKIE, &s.id, SESSION_SECONDS)
}

/// A Set-Cookie header: HttpOnly, SameSite=Strict, Secure when the public URL is https.
pub(super) fn cookie(st: &AppState, name: &str, value: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    let secure = if st.svc.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The language cookie for a year.
pub(super) fn lang_cookie(st: &AppState, lang: Lang) -> Result<HeaderValue, ApiError> {
    cookie(st, LANG_COOKIE, lang.code(), 365 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stage is stored and read back as itself; a stage this server does not know starts over.
    #[test]
    fn stages_round_trip_through_their_row() {
        let stages = [
            Stage::Start,
            Stage::LoginCode,
            Stage::LoggedIn,
            Stage::Proved {
                flow: Flow::Register,
                tries: 2,
            },
            Stage::Proved {
                flow: Flow::Stop,
                tries: 0,
            },
            Stage::ExchangeNew {
                old_serial: "ST123".into(),
                tries: 1,
            },
        ];
        for s in stages {
            let (name, data) = s.to_row();
            assert_eq!(Stage::from_row(&name, &data), s, "{name} {data}");
        }
        assert_eq!(Stage::from_row("transfer:auth", ""), Stage::Start);
        assert_eq!(Stage::from_row("exchange:old", "not json"), Stage::Start);
        assert_eq!(Stage::from_row("bogus", ""), Stage::Start);
    }
}
