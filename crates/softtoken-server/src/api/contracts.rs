//! The bank's actions on a contract beyond its tokens: unlocking its transfer password, and its registrations.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::admin::AdminContract;
use crate::error::ApiError;
use crate::AppState;

/// Unlocks the contract's transfer password (locked after `--max-transfer-failures` wrong ones in a row), after the
/// bank has confirmed the customer by its own means.
pub(super) async fn unlock_transfer(
    State(st): State<AppState>,
    AdminContract(customer): AdminContract,
) -> Result<Json<Value>, ApiError> {
    let contract = customer.contract_id;
    st.svc.db.unlock_transfer_password(&contract).await?;
    st.svc
        .audit("admin", "unlock_transfer", None, Some(&contract), "ok", "")
        .await?;
    Ok(Json(
        json!({ "contract_id": contract, "transfer_password_locked": false }),
    ))
}

/// Lets the contract register and exchange tokens again after `MAX_REGISTER_FAILURES` wrong proofs of a new token
/// in a row, once the bank has talked to the customer.
pub(super) async fn unlock_registration(
    State(st): State<AppState>,
    AdminContract(customer): AdminContract,
) -> Result<Json<Value>, ApiError> {
    let contract = customer.contract_id;
    st.svc.db.register_passed(&contract).await?;
    st.svc
        .audit("admin", "unlock_registration", None, Some(&contract), "ok", "")
        .await?;
    Ok(Json(
        json!({ "contract_id": contract, "registration_locked": false }),
    ))
}
