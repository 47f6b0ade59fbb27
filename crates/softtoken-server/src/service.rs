//! What the bank does with tokens, independent of HTTP: issue, validate (with the atomic accept), resync, and
//! the audit trail. The API handlers and the internet-banking pages both call these.

use std::sync::Arc;

use serde::Serialize;
use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::Policy;
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial};

use crate::db::{state, AuditRow, Db, Inserted, TokenRow};
use crate::error::ApiError;
use crate::writer::{Check, Kind};

/// Whom a new token belongs to.
#[derive(Clone, Copy)]
pub enum Bind<'a> {
    /// Nobody yet: the customer registers its serial at the IB (利用登録).
    Unbound,
    /// This contract, as its active token (the bank's otpauth QR).
    Contract(&'a str),
    /// The contract of this activation code (given by its hash), which is used up in the same transaction.
    Activation(&'a str),
}

/// `Debug` names the kind and the contract, never an activation code's hash.
impl std::fmt::Debug for Bind<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bind::Unbound => f.write_str("Unbound"),
            Bind::Contract(c) => f.debug_tuple("Contract").field(c).finish(),
            Bind::Activation(_) => f.write_str("Activation(..)"),
        }
    }
}

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
    /// Seconds after which a token provisioned online but never registered is deleted (`None`: never).
    pub unregistered_ttl: Option<i64>,
    /// Consecutive wrong transfer passwords that lock a contract's transfer password.
    pub max_transfer_failures: u32,
}

/// The default of [`Settings::unregistered_ttl`]: 7 days.
pub const UNREGISTERED_TTL: i64 = 7 * 24 * 60 * 60;

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
            unregistered_ttl: Some(UNREGISTERED_TTL),
            max_transfer_failures: 5,
        }
    }
}

/// Shared by every request.
pub struct Service {
    pub db: Db,
    /// Group commit of validation outcomes (see `writer`).
    pub writer: crate::writer::Writer,
    pub master: Arc<MasterKey>,
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
    pub(crate) fn accepted(serial: &str, drift: i64) -> Validation {
        Validation {
            valid: true,
            serial: serial.to_string(),
            reason: None,
            message: None,
            drift: Some(drift),
            fail_count: Some(0),
            locked: false,
        }
    }

    pub(crate) fn refused(
        serial: &str,
        reason: &'static str,
        fail_count: Option<i64>,
        locked: bool,
    ) -> Validation {
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

    /// Creates a token with a fresh serial and seed, and stores it sealed together with its audit row
    /// (`actor`, `action`) in one transaction. `make` turns the serial and seed into what the caller hands out
    /// (the provisioning response, a QR code); it runs before anything is stored, so a failure there, like a
    /// refused activation code or a contract that already has a token, leaves the database as it was. Returns
    /// what `make` made and the contract the token is bound to.
    pub async fn issue<T>(
        &self,
        bind: Bind<'_>,
        source: &str,
        actor: &str,
        action: &str,
        make: impl Fn(&Serial, &Seed) -> Result<T, ApiError>,
    ) -> Result<(T, Option<String>), ApiError> {
        let seed = Seed::generate(20)?;
        for _ in 0..20 {
            let serial = Serial::random(&self.settings.serial_prefix)?;
            let out = make(&serial, &seed)?;
            let t = now();
            let (token_state, contract_id, activation, detail) = match bind {
                Bind::Unbound => (state::ISSUED, None, None, "issued"),
                Bind::Contract(c) => (state::ACTIVE, Some(c.to_string()), None, ""),
                Bind::Activation(h) => (state::ISSUED, None, Some(h), "activated"),
            };
            let row = TokenRow {
                serial: serial.as_str().to_string(),
                contract_id: contract_id.clone(),
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
            let audit = AuditRow {
                id: audit_id(),
                at: t,
                actor: actor.to_string(),
                action: action.to_string(),
                serial: Some(row.serial.clone()),
                contract_id,
                result: "ok".to_string(),
                detail: detail.to_string(),
            };
            match self.db.insert_token_audited(&row, activation, &audit).await? {
                Inserted::Done(contract) => return Ok((out, contract)),
                Inserted::SerialTaken => continue,
                Inserted::CodeUnusable => {
                    tracing::info!("provisioning with an unusable activation code");
                    return Err(ApiError::bad(
                        "activation_code_invalid",
                        "the activation code is wrong, used or expired: ask the bank for a new one",
                    ));
                }
            }
        }
        Err(ApiError::Internal(
            "could not find a free serial number after 20 tries".into(),
        ))
    }

    /// Checks `otp` for the token `typed_serial`, which must be in `required_state`. The decision and its
    /// recording are done by the group-commit writer (see `writer`): of any number of concurrent requests with the
    /// same code, exactly one succeeds. A mistyped serial is a 400, an unknown one a 404; neither writes anything.
    pub async fn validate(
        &self,
        typed_serial: &str,
        otp: &str,
        required_state: &str,
        actor: &str,
        action: &str,
    ) -> Result<Validation, ApiError> {
        self.check(
            typed_serial,
            Kind::Otp(otp.to_string()),
            required_state,
            actor,
            action,
        )
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
        self.check(
            typed_serial,
            Kind::Resync(otp1.to_string(), otp2.to_string()),
            state::ACTIVE,
            actor,
            "resync",
        )
        .await
    }

    /// The stored serial that `typed` names: a softtoken serial (spaces, hyphens and case forgiven, its check
    /// digit verified), or, when `typed` is not one, the serial of a token the bank imported from another vendor
    /// (PSKC), compared exactly after trimming. Only that second case reads the database.
    ///
    /// # Errors
    /// The serial's own error (`serial_check_digit`: a typo; `bad_serial`: not a serial) when neither matches.
    pub async fn resolve_serial(&self, typed: &str) -> Result<String, ApiError> {
        match Serial::parse(typed) {
            Ok(s) => Ok(s.as_str().to_string()),
            Err(e) => {
                let raw = typed.trim();
                if crate::sane_id(raw) && self.db.token(raw).await?.is_some() {
                    Ok(raw.to_string())
                } else {
                    Err(e.into())
                }
            }
        }
    }

    async fn check(
        &self,
        typed_serial: &str,
        kind: Kind,
        required_state: &str,
        actor: &str,
        action: &str,
    ) -> Result<Validation, ApiError> {
        let serial = self.resolve_serial(typed_serial).await?;
        self.writer
            .check(Check {
                serial,
                required_state: required_state.to_string(),
                kind,
                actor: actor.to_string(),
                action: action.to_string(),
            })
            .await
    }
}
