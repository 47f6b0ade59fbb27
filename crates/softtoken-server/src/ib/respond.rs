//! Every page's answer: the security headers, and the session stored with its cookie.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::session::{self, Session};
use crate::client::ClientAddr;
use crate::error::ApiError;
use crate::AppState;

pub(super) fn secure_headers(mut resp: Response) -> Response {
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
pub(super) async fn render(
    st: &AppState,
    addr: &ClientAddr,
    s: &mut Session,
    status: StatusCode,
    html: String,
) -> Result<Response, ApiError> {
    let cookie = session::save(st, addr, s).await?;
    let mut resp = (status, Html(html)).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(secure_headers(resp))
}
