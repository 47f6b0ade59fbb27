//! The audit trail for the bank (the admin token): by serial, contract or action, newest first, a page at a time.
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use softtoken_core::Serial;

use super::admin::Admin;
use crate::db::AuditFilter;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize)]
pub(super) struct AuditQuery {
    serial: Option<String>,
    contract_id: Option<String>,
    action: Option<String>,
    /// Paging: only entries older than this audit id (the last `id` of the previous page).
    before: Option<String>,
    limit: Option<i64>,
}

pub(super) async fn admin_audit(
    State(st): State<AppState>,
    _: Admin,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad("bad_query", e.body_text()))?;
    let serial = q.serial.as_deref().map(|s| {
        Serial::parse(s)
            .map(String::from)
            .unwrap_or_else(|_| s.to_string())
    });
    if q.before.as_deref().is_some_and(|b| !crate::sane_id(b)) {
        return Err(ApiError::bad(
            "bad_query",
            "before: give the id of the last entry of the previous page",
        ));
    }
    // A filter that no stored value can equal matches nothing; it never reaches the database.
    if [&serial, &q.contract_id, &q.action]
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| !crate::sane_id(v)))
    {
        return Ok(Json(json!({ "entries": [] })));
    }
    let filter = AuditFilter {
        serial: serial.as_deref(),
        contract_id: q.contract_id.as_deref(),
        action: q.action.as_deref(),
        before: q.before.as_deref(),
    };
    let rows = st
        .svc
        .db
        .audit_query(&filter, q.limit.unwrap_or(100).clamp(1, 1000))
        .await?;
    Ok(Json(json!({ "entries": rows })))
}
