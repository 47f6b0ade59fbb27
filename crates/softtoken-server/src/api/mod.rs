//! The JSON API under `/v1`: provisioning and time (for the app, no credentials), validation and resync (for the
//! bank's systems, the API token), and the bank operations under `/v1/admin` (the admin token).

mod admin;
mod app;
mod audit;
mod contracts;
mod issue;
mod tokens;

pub use app::{PROVISIONS_PER_MINUTE, PROVISIONS_PER_MINUTE_PER_CLIENT};

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::error::{json_rejection, ApiError};
use crate::model::now;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/time", get(time))
        .route("/v1/provision", post(app::provision))
        .route("/v1/validate", post(app::validate))
        .route("/v1/resync", post(app::resync))
        .route("/v1/admin/tokens/{serial}", get(tokens::admin_token))
        .route("/v1/admin/tokens/{serial}/revoke", post(tokens::admin_revoke))
        .route("/v1/admin/tokens/{serial}/unlock", post(tokens::admin_unlock))
        .route("/v1/admin/tokens/{serial}/assign", post(tokens::admin_assign))
        .route(
            "/v1/admin/contracts/{contract}/tokens",
            get(tokens::admin_contract_tokens),
        )
        .route(
            "/v1/admin/contracts/{contract}/reissue",
            post(issue::admin_reissue),
        )
        .route(
            "/v1/admin/contracts/{contract}/unlock-transfer",
            post(contracts::unlock_transfer),
        )
        .route(
            "/v1/admin/contracts/{contract}/unlock-registration",
            post(contracts::unlock_registration),
        )
        .route("/v1/admin/audit", get(audit::admin_audit))
        .route("/v1/admin/qr", post(issue::admin_qr))
        .route("/v1/admin/status", get(admin_status))
        .route("/v1/admin/pskc", post(issue::admin_pskc))
}

/// The two credentials: `DATA/api-token` lets the bank's systems validate and resync codes, nothing else;
/// `DATA/admin-token` opens `/v1/admin` (reissue, QR codes with seeds, unlocks), nothing else. A system that only
/// checks codes holds no power over tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Validation,
    Admin,
}

/// Checks `Authorization: Bearer <token>` in constant time against the scope's token: 401 without a token or with
/// an unknown one, 403 with the other scope's.
fn authorize_scope(st: &AppState, headers: &HeaderMap, scope: Scope) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?
        .trim()
        .as_bytes();
    let (mine, other) = match scope {
        Scope::Validation => (&st.api_token, &st.admin_token),
        Scope::Admin => (&st.admin_token, &st.api_token),
    };
    if bool::from(given.ct_eq(mine.as_bytes())) {
        Ok(())
    } else if bool::from(given.ct_eq(other.as_bytes())) {
        Err(ApiError::Forbidden {
            message: match scope {
                Scope::Validation => {
                    "the admin token does not validate codes: use the API token (DATA/api-token)"
                }
                Scope::Admin => {
                    "the API token only validates and resyncs codes: use the admin token (DATA/admin-token)"
                }
            },
        })
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// `/v1/validate` and `/v1/resync`: the API token.
fn authorize_validation(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    authorize_scope(st, headers, Scope::Validation)
}

fn body<T>(j: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    j.map(|Json(v)| v).map_err(json_rejection)
}

async fn time() -> Json<Value> {
    Json(json!({ "time": now() }))
}

/// Database kind and row counts, for operators and tests.
async fn admin_status(State(st): State<AppState>, _: admin::Admin) -> Result<Json<Value>, ApiError> {
    let counts: serde_json::Map<String, Value> = st
        .svc
        .db
        .counts()
        .await?
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    Ok(Json(
        json!({ "database": format!("{:?}", st.svc.db.kind).to_lowercase(), "counts": counts }),
    ))
}
