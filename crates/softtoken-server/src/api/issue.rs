//! The bank hands out tokens (the admin token): a reissue with a new activation code, a provisioning QR code, and
//! the import of hardware or other vendors' tokens (PSKC).
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use softtoken_core::provisioning::{self};
use softtoken_core::{qr, OtpAuthUri, OtpKind};

use super::admin::{customer_or_404, Admin, AdminContract};
use super::body;
use crate::error::ApiError;
use crate::model::{audit_id, now, AuditRow, TokenRow, TokenState};
use crate::service::Bind;
use crate::AppState;

/// Reissue (the customer lost the phone or uninstalled the app): revoke the contract's active tokens and issue
/// a one-time activation code, valid 7 days, with which the new app obtains a token bound to the contract.
pub(super) async fn admin_reissue(
    State(st): State<AppState>,
    AdminContract(customer): AdminContract,
) -> Result<Json<Value>, ApiError> {
    let contract = customer.contract_id;
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
pub(super) fn activation_link(st: &AppState, code: &str) -> Result<String, ApiError> {
    provisioning::ActivationLink::new(&st.svc.settings.public_url, code)
        .map(|l| l.to_link())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QrReq {
    /// `activation`: a one-time activation link for a contract; `otpauth`: a new token as an otpauth URI (for
    /// third-party authenticator apps and testers; the seed is in the picture).
    kind: String,
    contract_id: String,
    #[serde(default)]
    format: Option<String>,
}

/// A provisioning QR code, PNG (default) or SVG.
pub(super) async fn admin_qr(
    State(st): State<AppState>,
    _: Admin,
    req: Result<Json<QrReq>, JsonRejection>,
) -> Result<Response, ApiError> {
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
    let render = |text: &str| -> Result<Response, softtoken_core::Error> {
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
pub(super) const ACTIVATION_SECONDS: i64 = 7 * 86_400;

/// An audit row for a bank operation on a contract.
pub(super) fn admin_audit_row(action: &str, contract: &str) -> AuditRow {
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
pub(super) async fn admin_pskc(
    State(st): State<AppState>,
    // The credential first: the body (up to 10 MiB) is read only for the bank.
    _: Admin,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    use softtoken_core::pskc::{self, Protection, MAX_PSKC_BYTES};
    let psk = match headers.get("x-pskc-key") {
        Some(v) => {
            Some(pskc::pre_shared_key_from_hex(v.to_str().map_err(|_| {
                ApiError::bad("pskc", "X-PSKC-Key must be 32 hex digits")
            })?)?)
        }
        None => None,
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_PSKC_BYTES as u64) {
        return Err(ApiError::TooLarge);
    }
    let body = axum::body::to_bytes(body, MAX_PSKC_BYTES)
        .await
        .map_err(|e| ApiError::bad("bad_body", format!("the PSKC file could not be read: {e}")))?;
    // Parsing up to 10 MiB of XML (and decrypting its keys) takes a while: not on the threads that serve requests.
    let keys = tokio::task::spawn_blocking(move || {
        let protection = match &psk {
            Some(k) => Protection::PreSharedKey(k),
            None => Protection::None,
        };
        pskc::parse(&body, protection)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
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
        rows.push(TokenRow {
            serial: k.serial.clone(),
            contract_id: None,
            state: TokenState::Issued,
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
