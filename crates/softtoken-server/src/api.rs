//! The JSON API under `/v1`: provisioning and time (for the app, no credentials), validation and resync (for the
//! bank's systems, the API token), and the bank operations under `/v1/admin` (the admin token).

mod contracts;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use softtoken_core::provisioning::{self, IssuedToken, ProvisionRequest, ProvisionResponse};
use softtoken_core::{qr, OtpAuthUri, OtpKind, Serial};
use subtle::ConstantTimeEq;

use crate::db::{state, AuditFilter, AuditRow};
use crate::error::{json_rejection, ApiError};
use crate::service::{audit_id, now, Bind, Shared};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/time", get(time))
        .route("/v1/provision", post(provision))
        .route("/v1/validate", post(validate))
        .route("/v1/resync", post(resync))
        .route("/v1/admin/tokens/{serial}", get(admin_token))
        .route("/v1/admin/tokens/{serial}/revoke", post(admin_revoke))
        .route("/v1/admin/tokens/{serial}/unlock", post(admin_unlock))
        .route("/v1/admin/tokens/{serial}/assign", post(admin_assign))
        .route(
            "/v1/admin/contracts/{contract}/tokens",
            get(admin_contract_tokens),
        )
        .route("/v1/admin/contracts/{contract}/reissue", post(admin_reissue))
        .route(
            "/v1/admin/contracts/{contract}/unlock-transfer",
            post(contracts::unlock_transfer),
        )
        .route(
            "/v1/admin/contracts/{contract}/unlock-registration",
            post(contracts::unlock_registration),
        )
        .route("/v1/admin/audit", get(admin_audit))
        .route("/v1/admin/qr", post(admin_qr))
        .route("/v1/admin/status", get(admin_status))
        .route(
            "/v1/admin/pskc",
            post(admin_pskc).layer(axum::extract::DefaultBodyLimit::max(
                softtoken_core::pskc::MAX_PSKC_BYTES,
            )),
        )
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

/// `/v1/admin/…`: the admin token.
fn authorize(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    authorize_scope(st, headers, Scope::Admin)
}

fn body<T>(j: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    j.map(|Json(v)| v).map_err(json_rejection)
}

async fn time() -> Json<Value> {
    Json(json!({ "time": now() }))
}

/// New tokens one client address may provision per minute (a customer needs one; a tester a few).
pub const PROVISIONS_PER_MINUTE_PER_CLIENT: u32 = 20;
/// New tokens provisioned per minute in all.
pub const PROVISIONS_PER_MINUTE: u32 = 600;

/// `POST /v1/provision`: a new token for the app, its seed encrypted to the app's ephemeral key.
async fn provision(
    State(st): State<AppState>,
    addr: crate::ib::ClientAddr,
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
            Ok(provisioning::respond(&req, &tok, softtoken_core::now())?)
        })
        .await?;
    Ok(Json(resp))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateReq {
    serial: String,
    otp: String,
}

/// `POST /v1/validate {serial, otp}` → `{valid: true, …}` or `{valid: false, reason, …}`.
async fn validate(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<ValidateReq>, JsonRejection>,
) -> Result<Json<crate::service::Validation>, ApiError> {
    authorize_validation(&st, &headers)?;
    let req = body(req)?;
    let v = st
        .svc
        .validate(&req.serial, &req.otp, state::ACTIVE, "api", "validate")
        .await?;
    Ok(Json(v))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResyncReq {
    serial: String,
    otp1: String,
    otp2: String,
}

/// `POST /v1/resync {serial, otp1, otp2}`: two consecutive codes re-measure the token's clock drift.
async fn resync(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<ResyncReq>, JsonRejection>,
) -> Result<Json<crate::service::Validation>, ApiError> {
    authorize_validation(&st, &headers)?;
    let req = body(req)?;
    let v = st.svc.resync(&req.serial, &req.otp1, &req.otp2, "api").await?;
    Ok(Json(v))
}

fn token_json(r: &crate::db::TokenRow) -> Value {
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

async fn token_or_404(st: &AppState, typed: &str) -> Result<crate::db::TokenRow, ApiError> {
    let unknown = || ApiError::not_found("unknown_serial", "no token has this serial number");
    let serial = Serial::parse(typed)
        .map(String::from)
        .unwrap_or_else(|_| typed.trim().to_string());
    if !crate::sane_id(&serial) {
        return Err(unknown());
    }
    st.svc.db.token(&serial).await?.ok_or_else(unknown)
}

async fn customer_or_404(st: &AppState, contract: &str) -> Result<crate::db::CustomerRow, ApiError> {
    let unknown = || ApiError::not_found("unknown_contract", "no customer has this contract ID");
    if !crate::sane_id(contract) {
        return Err(unknown());
    }
    st.svc.db.customer(contract).await?.ok_or_else(unknown)
}

async fn admin_token(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    Ok(Json(token_json(&token_or_404(&st, &serial).await?)))
}

/// Revoke (lost phone, uninstalled app): the token stops working at once, whatever its state.
async fn admin_revoke(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    let row = token_or_404(&st, &serial).await?;
    let moved = st
        .svc
        .db
        .set_state(
            &row.serial,
            &[state::ISSUED, state::ACTIVE],
            state::REVOKED,
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

async fn admin_unlock(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    let row = token_or_404(&st, &serial).await?;
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
struct AssignReq {
    contract_id: String,
}

/// Assigns an unregistered token (imported by PSKC, e.g. a hardware token sent by post) to a contract, making it
/// the contract's active token without the IB registration step.
async fn admin_assign(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(serial): Path<String>,
    req: Result<Json<AssignReq>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    let req = body(req)?;
    let row = token_or_404(&st, &serial).await?;
    customer_or_404(&st, &req.contract_id).await?;
    if !st
        .svc
        .db
        .set_state(
            &row.serial,
            &[state::ISSUED],
            state::ACTIVE,
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

async fn admin_contract_tokens(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(contract): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    customer_or_404(&st, &contract).await?;
    let tokens = st.svc.db.tokens_of(&contract).await?;
    Ok(Json(
        json!({ "contract_id": contract, "tokens": tokens.iter().map(token_json).collect::<Vec<_>>() }),
    ))
}

/// Reissue (the customer lost the phone or uninstalled the app): revoke the contract's active tokens and issue
/// a one-time activation code, valid 7 days, with which the new app obtains a token bound to the contract.
async fn admin_reissue(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(contract): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    customer_or_404(&st, &contract).await?;
    let code = crate::new_activation_code();
    let link = activation_link(&st, &code)?;
    let audit = |action: &str| admin_audit_row(action, &contract);
    let revoked = st
        .svc
        .db
        .reissue(
            &contract,
            &crate::hash_code(&code),
            now() + ACTIVATION_SECONDS,
            &AuditRow {
                detail: "reissue".into(),
                ..audit("revoke")
            },
            &audit("reissue"),
        )
        .await?;
    Ok(Json(
        json!({ "contract_id": contract, "revoked": revoked, "activation_code": code, "activation_link": link }),
    ))
}

/// `softtoken://activate?server=…&code=…`: what the app scans to provision with an activation code.
fn activation_link(st: &AppState, code: &str) -> Result<String, ApiError> {
    provisioning::ActivationLink::new(&st.svc.settings.public_url, code)
        .map(|l| l.to_link())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Deserialize)]
struct AuditQuery {
    serial: Option<String>,
    contract_id: Option<String>,
    action: Option<String>,
    /// Paging: only entries older than this audit id (the last `id` of the previous page).
    before: Option<String>,
    limit: Option<i64>,
}

async fn admin_audit(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QrReq {
    /// `activation`: a one-time activation link for a contract; `otpauth`: a new token as an otpauth URI (for
    /// third-party authenticator apps and testers; the seed is in the picture).
    kind: String,
    contract_id: String,
    #[serde(default)]
    format: Option<String>,
}

/// A provisioning QR code, PNG (default) or SVG.
async fn admin_qr(
    State(st): State<AppState>,
    headers: HeaderMap,
    req: Result<Json<QrReq>, JsonRejection>,
) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let req = body(req)?;
    let format = req.format.as_deref().unwrap_or("png");
    if !matches!(format, "png" | "svg") {
        return Err(ApiError::bad("bad_format", "format must be png or svg"));
    }
    if !matches!(req.kind.as_str(), "activation" | "otpauth") {
        return Err(ApiError::bad("bad_kind", "kind must be activation or otpauth"));
    }
    customer_or_404(&st, &req.contract_id).await?;
    // The QR is rendered before anything is stored: a failure leaves no token and no code behind.
    let render = |text: &str| -> Result<Response, ApiError> {
        let (content_type, body) = match format {
            "svg" => ("image/svg+xml", Bytes::from(qr::render_svg(text)?)),
            _ => ("image/png", Bytes::from(qr::render_png(text)?)),
        };
        Ok((
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response())
    };
    match req.kind.as_str() {
        "activation" => {
            let code = crate::new_activation_code();
            let resp = render(&zeroize::Zeroizing::new(activation_link(&st, &code)?))?;
            st.svc
                .db
                .insert_activation_audited(
                    &crate::hash_code(&code),
                    &req.contract_id,
                    now() + ACTIVATION_SECONDS,
                    &admin_audit_row("qr_activation", &req.contract_id),
                )
                .await?;
            Ok(resp)
        }
        _ => {
            // An active token for the contract: refused (409 has_active_token) if it has one already.
            let (resp, _) = st
                .svc
                .issue(
                    Bind::Contract(&req.contract_id),
                    "qr",
                    "admin",
                    "qr_otpauth",
                    |serial, seed| {
                        let uri = OtpAuthUri {
                            kind: OtpKind::Totp {
                                period: st.svc.settings.period,
                            },
                            issuer: Some(st.svc.settings.issuer.clone()),
                            account: req.contract_id.clone(),
                            seed: seed.duplicate(),
                            params: st.svc.settings.params,
                            serial: Some(serial.as_str().to_string()),
                        };
                        render(&uri.to_uri())
                    },
                )
                .await?;
            Ok(resp)
        }
    }
}

/// How long an activation code can be used: 7 days.
const ACTIVATION_SECONDS: i64 = 7 * 86_400;

/// An audit row for a bank operation on a contract.
fn admin_audit_row(action: &str, contract: &str) -> AuditRow {
    AuditRow {
        id: audit_id(),
        at: now(),
        actor: "admin".into(),
        action: action.into(),
        serial: None,
        contract_id: Some(contract.to_string()),
        result: "ok".into(),
        detail: String::new(),
    }
}

/// PSKC (RFC 6030) import: `POST /v1/admin/pskc` with the XML as the body and, for encrypted files, the
/// pre-shared AES-128 key as 32 hex digits in `X-PSKC-Key`. All keys are imported as unregistered tokens (the
/// customer registers the serial at the IB, as with the app), or none: any bad key, a non-TOTP key or a serial
/// that already exists refuses the whole file.
async fn admin_pskc(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    use softtoken_core::pskc::{self, Protection};
    authorize(&st, &headers)?;
    let psk = match headers.get("x-pskc-key") {
        Some(v) => {
            Some(pskc::pre_shared_key_from_hex(v.to_str().map_err(|_| {
                ApiError::bad("pskc", "X-PSKC-Key must be 32 hex digits")
            })?)?)
        }
        None => None,
    };
    let protection = match &psk {
        Some(k) => Protection::PreSharedKey(k),
        None => Protection::None,
    };
    let keys = pskc::parse(&body, protection)?;
    let t = now();
    let mut rows = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let OtpKind::Totp { period } = k.kind else {
            return Err(ApiError::bad(
                "pskc",
                format!(
                    "key {} ({}) is HOTP: this server validates TOTP tokens only",
                    i + 1,
                    k.serial
                ),
            ));
        };
        if !crate::sane_id(&k.serial) {
            return Err(ApiError::bad(
                "pskc",
                format!("key {} has an unusable serial", i + 1),
            ));
        }
        rows.push(crate::db::TokenRow {
            serial: k.serial.clone(),
            contract_id: None,
            state: state::ISSUED.to_string(),
            seed_sealed: st.svc.master.seal(&k.serial, &k.seed)?,
            algorithm: k.params.algorithm.as_str().to_string(),
            digits: i64::from(k.params.digits.get()),
            period: i64::try_from(period.seconds()).unwrap_or(30),
            last_step: None,
            drift: k.time_offset_steps,
            fail_count: 0,
            locked: false,
            source: "pskc".to_string(),
            created_at: t,
            updated_at: t,
        });
    }
    if let Some(dup) = st.svc.db.insert_tokens_all(&rows).await? {
        return Err(ApiError::conflict(
            "duplicate_serial",
            format!("a token with serial {dup} already exists; nothing was imported"),
        ));
    }
    let serials: Vec<&str> = rows.iter().map(|r| r.serial.as_str()).collect();
    st.svc
        .audit(
            "admin",
            "pskc_import",
            None,
            None,
            "ok",
            &format!("{} tokens", rows.len()),
        )
        .await?;
    Ok(Json(json!({ "imported": serials.len(), "serials": serials })))
}

/// Database kind and row counts, for operators and tests.
async fn admin_status(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
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

/// 404 for everything else, in the same error shape.
pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": { "code": "not_found", "message": "no such endpoint" } })),
    )
        .into_response()
}
