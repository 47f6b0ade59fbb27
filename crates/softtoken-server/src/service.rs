//! What the bank does with tokens, independent of HTTP: issue, validate (with the atomic accept), resync, and
//! the audit trail. The API handlers and the internet-banking pages both call these.

use std::sync::Arc;

use serde::Serialize;
use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::{self, Decision, Policy, Reject, VerifierState};
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial, Totp};

use crate::db::{state, AuditRow, Db, TokenRow};
use crate::error::ApiError;

/// Settings the operator chooses.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The bank's name, shown in the app above the code.
    pub issuer: String,
    /// Prefix of new serials.
    pub serial_prefix: String,
    /// New tokens' parameters.
    pub params: Params,
    pub period: Period,
    /// The verifier's policy.
    pub policy: Policy,
    /// The public base URL, for activation links in QR codes.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            issuer: "しんきん銀行 (softtoken demo)".into(),
            serial_prefix: softtoken_core::serial::DEFAULT_PREFIX.into(),
            params: Params {
                algorithm: Algorithm::Sha1,
                digits: Digits::SIX,
            },
            period: Period::THIRTY,
            policy: Policy::default(),
            public_url: "http://127.0.0.1:8787".into(),
        }
    }
}

/// Shared by every request.
pub struct Service {
    pub db: Db,
    /// Group commit of validation outcomes (see `writer`).
    pub writer: crate::writer::Writer,
    pub master: MasterKey,
    pub settings: Settings,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("db", &self.db.kind)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

pub type Shared = Arc<Service>;

/// Unix seconds as the database stores them.
pub fn now() -> i64 {
    i64::try_from(softtoken_core::now()).unwrap_or(i64::MAX)
}

/// Time-ordered unique id for audit rows: microseconds since the epoch, then random bits.
pub fn audit_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{micros:016x}{:016x}", rand::random::<u64>())
}

/// The outcome of a validation, as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub valid: bool,
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_count: Option<i64>,
    pub locked: bool,
}

/// Stable reason codes beyond the core's: the token is unknown or in the wrong state.
pub mod reason {
    pub const UNKNOWN_SERIAL: &str = "unknown_serial";
    pub const NOT_ACTIVE: &str = "not_active";
}

fn message_for(reason: &str) -> &'static str {
    match reason {
        "locked" => "the token is locked after too many wrong codes; the bank must unlock it",
        "replayed" => "this code was already used; wait for the next code",
        "wrong_otp" => "the code is wrong",
        "bad_format" => "a code is 6 digits",
        "unknown_serial" => "no token has this serial number",
        "not_active" => "the token is not registered, or was stopped, replaced or revoked",
        _ => "refused",
    }
}

impl Validation {
    fn refused(serial: &str, reason: &'static str, fail_count: Option<i64>, locked: bool) -> Validation {
        Validation {
            valid: false,
            serial: serial.to_string(),
            reason: Some(reason),
            message: Some(message_for(reason)),
            drift: None,
            fail_count,
            locked,
        }
    }
}

impl Service {
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        serial: Option<&str>,
        contract_id: Option<&str>,
        result: &str,
        detail: &str,
    ) -> Result<(), ApiError> {
        self.db
            .audit(&AuditRow {
                id: audit_id(),
                at: now(),
                actor: actor.to_string(),
                action: action.to_string(),
                serial: serial.map(str::to_string),
                contract_id: contract_id.map(str::to_string),
                result: result.to_string(),
                detail: detail.to_string(),
            })
            .await
    }

    /// Creates a token with a fresh serial and seed, sealed and stored in `token_state`.
    pub async fn issue(
        &self,
        contract_id: Option<&str>,
        token_state: &str,
        source: &str,
    ) -> Result<(Serial, Seed), ApiError> {
        let seed = Seed::generate(20)?;
        for _ in 0..20 {
            let serial = Serial::random(&self.settings.serial_prefix)?;
            let t = now();
            let row = TokenRow {
                serial: serial.as_str().to_string(),
                contract_id: contract_id.map(str::to_string),
                state: token_state.to_string(),
                seed_sealed: self.master.seal(serial.as_str(), &seed)?,
                algorithm: self.settings.params.algorithm.as_str().to_string(),
                digits: i64::from(self.settings.params.digits.get()),
                period: i64::try_from(self.settings.period.seconds()).unwrap_or(30),
                last_step: None,
                drift: 0,
                fail_count: 0,
                locked: false,
                source: source.to_string(),
                created_at: t,
                updated_at: t,
            };
            if self.db.insert_token(&row).await? {
                return Ok((serial, seed));
            }
        }
        Err(ApiError::Internal(
            "could not find a free serial number after 20 tries".into(),
        ))
    }

    /// The generator of a stored token.
    pub fn totp(&self, row: &TokenRow) -> Result<Totp, ApiError> {
        let seed = self.master.open(&row.serial, &row.seed_sealed)?;
        let params = Params {
            algorithm: row.algorithm.parse()?,
            digits: Digits::new(u32::try_from(row.digits).unwrap_or(0))?,
        };
        let period = Period::new(u64::try_from(row.period).unwrap_or(0))?;
        Ok(Totp::new(&seed, params, period))
    }

    /// Looks a typed serial up. A typo (check digit) is a 400 `serial_check_digit`, an unknown serial a 404
    /// `unknown_serial`; neither changes the database (they are logged, not audited: no token is involved).
    pub async fn find_token(&self, typed_serial: &str) -> Result<TokenRow, ApiError> {
        let serial = Serial::parse(typed_serial)?;
        match self.db.token(serial.as_str()).await? {
            Some(row) => Ok(row),
            None => {
                tracing::info!(serial = serial.as_str(), "unknown serial");
                Err(ApiError::not_found(
                    reason::UNKNOWN_SERIAL,
                    "no token has this serial number",
                ))
            }
        }
    }

    /// Checks `otp` for the token `typed_serial`, which must be in `required_state`. An accept is one atomic
    /// compare-and-set, committed together with its audit row: of any number of concurrent requests with the
    /// same code, exactly one succeeds.
    pub async fn validate(
        &self,
        typed_serial: &str,
        otp: &str,
        required_state: &str,
        actor: &str,
        action: &str,
    ) -> Result<Validation, ApiError> {
        let row = self.find_token(typed_serial).await?;
        self.decide(&row, required_state, actor, action, |totp, st, now| {
            validation::check(totp, st, otp, now, &self.settings.policy)
        })
        .await
    }

    /// Resynchronises the token with two consecutive codes.
    pub async fn resync(
        &self,
        typed_serial: &str,
        otp1: &str,
        otp2: &str,
        actor: &str,
    ) -> Result<Validation, ApiError> {
        let row = self.find_token(typed_serial).await?;
        self.decide(&row, state::ACTIVE, actor, "resync", |totp, st, now| {
            validation::resync(totp, st, otp1, otp2, now, &self.settings.policy)
        })
        .await
    }

    fn audit_row(&self, actor: &str, action: &str, row: &TokenRow, result: &str, detail: String) -> AuditRow {
        AuditRow {
            id: audit_id(),
            at: now(),
            actor: actor.to_string(),
            action: action.to_string(),
            serial: Some(row.serial.clone()),
            contract_id: row.contract_id.clone(),
            result: result.to_string(),
            detail,
        }
    }

    async fn decide(
        &self,
        row: &TokenRow,
        required_state: &str,
        actor: &str,
        action: &str,
        decide: impl FnOnce(&Totp, &VerifierState, u64) -> Decision,
    ) -> Result<Validation, ApiError> {
        let refused = |v: Validation| async move {
            let reason = v.reason.unwrap_or("refused");
            self.db
                .audit(&self.audit_row(actor, action, row, reason, String::new()))
                .await?;
            Ok::<_, ApiError>(v)
        };
        if row.state != required_state {
            return refused(Validation::refused(
                &row.serial,
                reason::NOT_ACTIVE,
                None,
                row.locked,
            ))
            .await;
        }
        let totp = self.totp(row)?;
        let st = VerifierState {
            last_step: row.last_step.and_then(|s| u64::try_from(s).ok()),
            drift: row.drift,
            fail_count: u32::try_from(row.fail_count).unwrap_or(u32::MAX),
            locked: row.locked,
        };
        let t = now();
        match decide(&totp, &st, u64::try_from(t).unwrap_or(0)) {
            Decision::Accept { step, drift } => {
                let step = i64::try_from(step).map_err(|_| ApiError::Internal("step out of range".into()))?;
                let audit = self.audit_row(actor, action, row, "ok", format!("drift {drift}"));
                if self
                    .writer
                    .accept(&row.serial, required_state, step, drift, t, audit)
                    .await?
                {
                    return Ok(Validation {
                        valid: true,
                        serial: row.serial.clone(),
                        reason: None,
                        message: None,
                        drift: Some(drift),
                        fail_count: Some(0),
                        locked: false,
                    });
                }
                // Another request accepted this step (or a later one) first, or the token changed meanwhile.
                let now_row = self.db.token(&row.serial).await?;
                let locked = now_row.as_ref().is_some_and(|r| r.locked);
                let reason = match now_row {
                    Some(r) if r.locked => Reject::Locked.code(),
                    Some(r) if r.state != required_state => reason::NOT_ACTIVE,
                    _ => Reject::Replayed.code(),
                };
                refused(Validation::refused(&row.serial, reason, None, locked)).await
            }
            Decision::Reject { reason, .. } if reason.counts() => {
                let max = i64::from(self.settings.policy.max_failures);
                let lock_row = self.audit_row(actor, "lock", row, "locked", "too many wrong codes".into());
                let fail_row = self.audit_row(actor, action, row, reason.code(), String::new());
                let (fails, locked) = self
                    .writer
                    .failure(&row.serial, max, t, move |fails, locked| {
                        let mut rows = vec![AuditRow {
                            detail: format!("failures {fails}"),
                            ..fail_row
                        }];
                        // The failure that reached the limit is the one that locked the token.
                        if locked && fails == max {
                            rows.push(lock_row);
                        }
                        rows
                    })
                    .await?;
                Ok(Validation::refused(
                    &row.serial,
                    reason.code(),
                    Some(fails),
                    locked,
                ))
            }
            Decision::Reject { reason, .. } => {
                refused(Validation::refused(&row.serial, reason.code(), None, row.locked)).await
            }
        }
    }
}
