//! What every bank operation under `/v1/admin` begins with, as extractors: the admin token checked (401 or 403
//! first, before anything is looked up or read), then the token or the contract the path names (404 when there is
//! none). A handler that takes [`AdminToken`] or [`AdminContract`] cannot forget the credential.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use softtoken_core::Serial;

use super::{authorize_scope, Scope};
use crate::error::ApiError;
use crate::model::{CustomerRow, TokenRow};
use crate::AppState;

/// The admin token, checked.
#[derive(Debug)]
pub(super) struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        authorize_scope(st, &parts.headers, Scope::Admin)?;
        Ok(Admin)
    }
}

/// The token whose serial is the path's one parameter (`/v1/admin/tokens/{serial}/…`), after the admin token.
#[derive(Debug)]
pub(super) struct AdminToken(pub TokenRow);

impl FromRequestParts<AppState> for AdminToken {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Admin::from_request_parts(parts, st).await?;
        let typed = path(parts, st).await?;
        Ok(AdminToken(token_or_404(st, &typed).await?))
    }
}

/// The customer whose contract ID is the path's one parameter (`/v1/admin/contracts/{contract}/…`), after the
/// admin token.
#[derive(Debug)]
pub(super) struct AdminContract(pub CustomerRow);

impl FromRequestParts<AppState> for AdminContract {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Admin::from_request_parts(parts, st).await?;
        let contract = path(parts, st).await?;
        Ok(AdminContract(customer_or_404(st, &contract).await?))
    }
}

async fn path(parts: &mut Parts, st: &AppState) -> Result<String, ApiError> {
    Path::<String>::from_request_parts(parts, st)
        .await
        .map(|Path(p)| p)
        .map_err(|e| ApiError::bad("bad_path", e.body_text()))
}

/// The token with this serial, as typed (grouped, full-width: [`Serial::parse`]) or stored.
pub(super) async fn token_or_404(st: &AppState, typed: &str) -> Result<TokenRow, ApiError> {
    let unknown = || ApiError::not_found("unknown_serial", "no token has this serial number");
    let serial = Serial::parse(typed)
        .map(String::from)
        .unwrap_or_else(|_| typed.trim().to_string());
    if !crate::sane_id(&serial) {
        return Err(unknown());
    }
    st.svc.db.token(&serial).await?.ok_or_else(unknown)
}

/// The customer with this contract ID.
pub(super) async fn customer_or_404(st: &AppState, contract: &str) -> Result<CustomerRow, ApiError> {
    let unknown = || ApiError::not_found("unknown_contract", "no customer has this contract ID");
    if !crate::sane_id(contract) {
        return Err(unknown());
    }
    st.svc.db.customer(contract).await?.ok_or_else(unknown)
}
