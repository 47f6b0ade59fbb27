//! What the app calls, without credentials: the server's time and online provisioning (`/v1/provision`); and what
//! the bank's systems call with the API token: validation and resync.
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use softtoken_core::provisioning::{self, IssuedToken, ProvisionRequest, ProvisionResponse};

use super::{authorize_validation, body};
use crate::error::ApiError;
use crate::model::{TokenState, Validation};
use crate::service::{Bind, Shared};
use crate::AppState;

/// New tokens one client address may provision per minute (a customer needs one; a tester a few).
pub const PROVISIONS_PER_MINUTE_PER_CLIENT: u32 = 20;
/// New tokens provisioned per minute in all.
pub const PROVISIONS_PER_MINUTE: u32 = 600;

/// `POST /v1/provision`: a new token for the app, its seed encrypted to the app's ephemeral key.
pub(super) async fn provision(
    State(st): State<AppState>,
    addr: crate::client::ClientAddr,
    req: Result<Json<ProvisionRequest>, JsonRejection>,
) -> Result<Json<ProvisionResponse>, ApiError> {
    let req = body(req)?;
    provisioning::check_request(&req)?;
    // Anyone may provision (the token is useless until its serial is registered with a login), so the rate is
    // limited per client address and overall, and unregistered tokens expire (see crate::housekeeping). Requests
    // with an activation code have budgets of their own: a flood of anonymous ones cannot keep a customer whom
    // the bank gave a code from getting their token.
    let bucket = if req.activation_code.is_some() {
        "provision-activation"
    } else {
        "provision"
    };
    if !st.limiter.allow(
        bucket,
        &crate::limiter::client_key(addr.0),
        PROVISIONS_PER_MINUTE_PER_CLIENT,
    ) || !st.limiter.allow(bucket, "*", PROVISIONS_PER_MINUTE)
    {
        return Err(ApiError::RateLimited);
    }
    let svc: &Shared = &st.svc;
    // An activation code binds the new token to the contract it was issued for, ready to use. The code is used
    // up in the transaction that stores the token, so a wrong, used or expired code changes nothing.
    let code = provisioning::normalize_activation_code(req.activation_code.as_deref())?;
    let code_hash = code.as_deref().map(crate::hash_code);
    let bind = match &code_hash {
        Some(h) => Bind::Activation(h),
        None => Bind::Unbound,
    };
    let (resp, _contract) = svc
        .issue(bind, "provision", "app", "provision", |serial, seed| {
            let tok = IssuedToken {
                serial,
                issuer: &svc.settings.issuer,
                params: svc.settings.params,
                period: svc.settings.period,
                seed,
            };
            provisioning::respond(&req, &tok, softtoken_core::now())
        })
        .await?;
    Ok(Json(resp))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ValidateReq {
    serial: String,
    otp: String,
}

/// `POST /v1/validate {serial, otp}` → `{valid: true, …}` or `{valid: false, reason, …}`.
pub(super) async fn validate(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<ValidateReq>, JsonRejection>,
) -> Result<Json<Validation>, ApiError> {
    authorize_validation(&st, &headers)?;
    let req = body(req)?;
    let v = st
        .svc
        .validate(&req.serial, &req.otp, TokenState::Active, "api", "validate")
        .await?;
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResyncReq {
    serial: String,
    otp1: String,
    otp2: String,
}

/// `POST /v1/resync {serial, otp1, otp2}`: two consecutive codes re-measure the token's clock drift.
pub(super) async fn resync(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<ResyncReq>, JsonRejection>,
) -> Result<Json<Validation>, ApiError> {
    authorize_validation(&st, &headers)?;
    let req = body(req)?;
    let v = st.svc.resync(&req.serial, &req.otp1, &req.otp2, "api").await?;
    Ok(Json(v))
}
