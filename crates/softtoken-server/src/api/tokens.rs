//! The bank's operations on tokens (the admin token): look up, revoke, unlock, assign, a contract's tokens.
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use softtoken_core::Serial;

use super::admin::{customer_or_404, token_or_404, AdminContract, AdminToken};
use super::body;
use crate::error::ApiError;
use crate::model::{now, TokenRow, TokenState};
use crate::AppState;

pub(super) fn token_json(r: &TokenRow) -> Value {
    json!({
        "serial": r.serial,
        "serial_display": Serial::parse(&r.serial).map(|s| s.grouped()).unwrap_or_else(|_| r.serial.clone()),
        "contract_id": r.contract_id,
        "state": r.state,
        "algorithm": r.algorithm,
        "digits": r.digits,
        "period": r.period,
        "last_step": r.last_step,
        "drift": r.drift,
        "fail_count": r.fail_count,
        "locked": r.locked,
        "source": r.source,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

pub(super) async fn admin_token(AdminToken(row): AdminToken) -> Json<Value> {
    Json(token_json(&row))
}

/// Revoke (lost phone, uninstalled app): the token stops working at once, whatever its state.
pub(super) async fn admin_revoke(
    State(st): State<AppState>,
    AdminToken(row): AdminToken,
) -> Result<Json<Value>, ApiError> {
    let moved = st
        .svc
        .db
        .set_state(
            &row.serial,
            &[TokenState::Issued, TokenState::Active],
            TokenState::Revoked,
            None,
            now(),
        )
        .await?;
    st.svc
        .audit(
            "admin",
            "revoke",
            Some(&row.serial),
            row.contract_id.as_deref(),
            if moved { "ok" } else { "not_active" },
            "",
        )
        .await?;
    if !moved {
        return Err(ApiError::conflict(
            "not_active",
            format!("the token is already {}", row.state),
        ));
    }
    Ok(Json(token_json(&token_or_404(&st, &row.serial).await?)))
}

pub(super) async fn admin_unlock(
    State(st): State<AppState>,
    AdminToken(row): AdminToken,
) -> Result<Json<Value>, ApiError> {
    st.svc.db.unlock(&row.serial, now()).await?;
    st.svc
        .audit(
            "admin",
            "unlock",
            Some(&row.serial),
            row.contract_id.as_deref(),
            "ok",
            "",
        )
        .await?;
    Ok(Json(token_json(&token_or_404(&st, &row.serial).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AssignReq {
    contract_id: String,
}

/// Assigns an unregistered token (imported by PSKC, e.g. a hardware token sent by post) to a contract, making it
/// the contract's active token without the IB registration step.
pub(super) async fn admin_assign(
    State(st): State<AppState>,
    AdminToken(row): AdminToken,
    req: Result<Json<AssignReq>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let req = body(req)?;
    customer_or_404(&st, &req.contract_id).await?;
    if !st
        .svc
        .db
        .set_state(
            &row.serial,
            &[TokenState::Issued],
            TokenState::Active,
            Some(&req.contract_id),
            now(),
        )
        .await?
    {
        return Err(ApiError::conflict(
            "not_issued",
            format!("the token is {}, not waiting to be assigned", row.state),
        ));
    }
    st.svc
        .audit(
            "admin",
            "assign",
            Some(&row.serial),
            Some(&req.contract_id),
            "ok",
            "",
        )
        .await?;
    Ok(Json(token_json(&token_or_404(&st, &row.serial).await?)))
}

pub(super) async fn admin_contract_tokens(
    State(st): State<AppState>,
    AdminContract(customer): AdminContract,
) -> Result<Json<Value>, ApiError> {
    let tokens = st.svc.db.tokens_of(&customer.contract_id).await?;
    Ok(Json(
        json!({ "contract_id": customer.contract_id, "tokens": tokens.iter().map(token_json).collect::<Vec<_>>() }),
    ))
}
