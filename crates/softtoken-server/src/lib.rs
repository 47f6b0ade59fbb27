//! softtoken-server: the reference bank side. The token service (online provisioning, validation, the bank's
//! admin operations) as a JSON API under `/v1`, and internet-banking pages under `/ib` that mirror the shinkin
//! banks' guides (login, 利用登録 register, 交換 exchange, 利用停止 stop, 振込 transfer, login-OTP setting).
//!
//! SQLite is the embedded default; PostgreSQL is used when `--database postgres://…` is given. The rules live in
//! softtoken-core (codes, serials, the verifier's decisions, the provisioning crypto); this crate stores state and
//! speaks HTTP.
#![forbid(unsafe_code)]

pub mod api;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod housekeeping;
pub mod ib;
pub mod limiter;
pub mod model;
pub mod proxy;
pub mod serve;
pub mod service;
pub mod writer;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use sha2::{Digest, Sha256};

pub use config::{main_with_args, Args};
pub use service::{Service, Settings, Shared};

/// Largest request body of every route but the PSKC import: JSON requests and the pages' forms are tiny. The PSKC
/// import (`/v1/admin/pskc`) takes up to `softtoken_core::pskc::MAX_PSKC_BYTES`, its own limit.
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub svc: Shared,
    /// Opens /v1/validate and /v1/resync.
    pub api_token: Arc<zeroize::Zeroizing<String>>,
    /// Opens /v1/admin.
    pub admin_token: Arc<zeroize::Zeroizing<String>>,
    pub limiter: Arc<limiter::Limiter>,
    /// `--trusted-proxy`: peers whose `X-Forwarded-For` names the client (proxy.rs).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// The key of the CSRF tokens of visitors who have no stored session (ib/session.rs).
    pub csrf_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("svc", &self.svc)
            .finish_non_exhaustive()
    }
}

/// HSTS for a year: once a browser has reached the bank over https, it never tries plain http again.
pub const HSTS: &str = "max-age=31536000";

/// The whole HTTP application. When the public URL is https (the server behind TLS), every answer carries HSTS.
pub fn app(state: AppState) -> Router {
    let https = state.svc.settings.public_url.starts_with("https://");
    let router = Router::new()
        .merge(api::router())
        .merge(ib::router())
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            serve::BODY_TIMEOUT,
        ))
        .with_state(state);
    if https {
        router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

/// A new one-time activation code: 16 characters in 4 groups, from an alphabet without look-alikes.
pub fn new_activation_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let chars: Vec<u8> = (0..16)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())])
        .collect();
    chars
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Activation codes are stored hashed (SHA-256 of the normalised code): a database leak does not reveal usable
/// codes.
pub fn hash_code(code: &str) -> String {
    let norm = softtoken_core::provisioning::normalize_activation_code(Some(code))
        .ok()
        .flatten()
        .unwrap_or_default();
    data_encoding::HEXLOWER.encode(&Sha256::digest(norm.as_bytes()))
}

/// Whether a free-form identifier from a request (contract ID, foreign serial, audit filter) is worth a database
/// lookup: at most 64 characters, no control characters (PostgreSQL refuses NUL in text, and none of ours
/// contain any). Anything else cannot match a stored row.
pub fn sane_id(s: &str) -> bool {
    !s.is_empty() && s.chars().count() <= 64 && !s.chars().any(char::is_control)
}

/// What the fuzz targets (`fuzz/`) call: the request parsing this crate does itself rather than through a
/// library. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    /// Reads a cookie header, an `X-Forwarded-For` chain (behind a trusted proxy), a form body as every form of
    /// the pages, and a stored session stage; none may panic.
    pub fn request(cookie: &str, forwarded: &[&str], form: &[u8], stage: &str, stage_data: &str) {
        crate::ib::read_request(cookie, form, stage, stage_data);
        let trusted: Vec<ipnet::IpNet> = ["10.0.0.0/8", "::1/128"]
            .iter()
            .filter_map(|t| crate::proxy::parse_trusted(t).ok())
            .collect();
        let peer = std::net::IpAddr::from([10, 0, 0, 1]);
        let _ = crate::proxy::client_ip(peer, forwarded, &trusted);
        for id in forwarded {
            let _ = crate::sane_id(id);
            let _ = crate::hash_code(id);
        }
    }
}
