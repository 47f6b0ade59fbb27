//! What the bank does with tokens, independent of HTTP: issue, validate (with the atomic accept), resync, and
//! the audit trail. The API handlers and the internet-banking pages both call these.

use std::sync::Arc;

use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::Policy;
use softtoken_core::{Algorithm, Digits, Params, Period, Seed, Serial};

use crate::db::{Db, DbError, Inserted};
use crate::model::{audit_id, now, AuditRow, TokenRow, TokenState, Validation};
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

/// What the service could not do. The HTTP edge (`error.rs`) turns each into its status and code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The database refused or failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The core refused what was given (a serial, a provisioning request) or could not seal or encode.
    #[error(transparent)]
    Core(#[from] softtoken_core::Error),
    /// The activation code is wrong, used or expired: nothing was stored.
    #[error("the activation code is wrong, used or expired: ask the bank for a new one")]
    ActivationCodeInvalid,
    /// Twenty random serials in a row were taken: the serial space of the prefix is nearly full.
    #[error("could not find a free serial number after 20 tries")]
    NoFreeSerial,
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
    ) -> Result<(), DbError> {
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
        make: impl Fn(&Serial, &Seed) -> Result<T, softtoken_core::Error>,
    ) -> Result<(T, Option<String>), ServiceError> {
        let seed = Seed::generate(20)?;
        for _ in 0..20 {
            let serial = Serial::random(&self.settings.serial_prefix)?;
            let out = make(&serial, &seed)?;
            let t = now();
            let (token_state, contract_id, activation, detail) = match bind {
                Bind::Unbound => (TokenState::Issued, None, None, "issued"),
                Bind::Contract(c) => (TokenState::Active, Some(c.to_string()), None, ""),
                Bind::Activation(h) => (TokenState::Issued, None, Some(h), "activated"),
            };
            let row = TokenRow {
                serial: serial.as_str().to_string(),
                contract_id: contract_id.clone(),
                state: token_state,
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
                    return Err(ServiceError::ActivationCodeInvalid);
                }
            }
        }
        Err(ServiceError::NoFreeSerial)
    }

    /// Checks `otp` for the token `typed_serial`, which must be in `required_state`. The decision and its
    /// recording are done by the group-commit writer (see `writer`): of any number of concurrent requests with the
    /// same code, exactly one succeeds. A mistyped serial is a 400, an unknown one a 404; neither writes anything.
    pub async fn validate(
        &self,
        typed_serial: &str,
        otp: &str,
        required_state: TokenState,
        actor: &str,
        action: &str,
    ) -> Result<Validation, ServiceError> {
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
    ) -> Result<Validation, ServiceError> {
        self.check(
            typed_serial,
            Kind::Resync(otp1.to_string(), otp2.to_string()),
            TokenState::Active,
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
    pub async fn resolve_serial(&self, typed: &str) -> Result<String, ServiceError> {
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
        required_state: TokenState,
        actor: &str,
        action: &str,
    ) -> Result<Validation, ServiceError> {
        let serial = self.resolve_serial(typed_serial).await?;
        Ok(self
            .writer
            .check(Check {
                serial,
                required_state,
                kind,
                actor: actor.to_string(),
                action: action.to_string(),
            })
            .await?)
    }
}
