//! The client's address as the limits and the audit see it: the TCP peer, or behind a trusted proxy the client it
//! names (`proxy.rs`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;

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
