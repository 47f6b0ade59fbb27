//! The server's records and outcomes, shared by the database, the validation writer, the service and the HTTP
//! edge: the rows as stored, token states, refusal reasons and a validation's outcome. It imports nothing of the
//! crate, so that the layers above it depend on it and not on each other.

use serde::Serialize;
use softtoken_core::validation::Reject;

/// The states a token moves through: `Issued` (nobody's yet) → `Active` (a contract's token in use) → `Replaced`
/// (交換), `Stopped` (利用停止) or `Revoked` (by the bank). Stored as their [`TokenState::as_str`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenState {
    /// Provisioned or imported, waiting for its customer's 利用登録.
    Issued,
    /// The contract's token in use (at most one per contract).
    Active,
    /// Replaced by a new token in 交換.
    Replaced,
    /// Stopped by its customer (利用停止).
    Stopped,
    /// Revoked by the bank (a lost phone, a reissue).
    Revoked,
}

impl TokenState {
    /// The name stored in the `tokens.state` column and shown by the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Issued => "issued",
            TokenState::Active => "active",
            TokenState::Replaced => "replaced",
            TokenState::Stopped => "stopped",
            TokenState::Revoked => "revoked",
        }
    }

    /// The state stored as `name`. A name this server never writes reads as `Revoked`, the state nothing
    /// accepts: a row the server does not understand validates nothing.
    pub fn from_db(name: &str) -> TokenState {
        match name {
            "issued" => TokenState::Issued,
            "active" => TokenState::Active,
            "replaced" => TokenState::Replaced,
            "stopped" => TokenState::Stopped,
            _ => TokenState::Revoked,
        }
    }
}

impl std::fmt::Display for TokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TokenState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A token row, seed still sealed. `Debug` leaves out the sealed seed.
#[derive(Clone)]
pub struct TokenRow {
    pub serial: String,
    pub contract_id: Option<String>,
    pub state: TokenState,
    pub seed_sealed: String,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    pub last_step: Option<i64>,
    pub drift: i64,
    pub fail_count: i64,
    pub locked: bool,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A customer row. `Debug` shows neither password hash.
#[derive(Clone)]
pub struct CustomerRow {
    pub contract_id: String,
    pub name: String,
    pub password_hash: String,
    pub transfer_password_hash: String,
    pub login_otp: bool,
    /// Too many wrong transfer passwords: locked until the bank unlocks it (db/lockouts.rs).
    pub transfer_locked: bool,
    /// Wrong proofs of a new token in a row (利用登録, 交換): at `lockouts::MAX_REGISTER_FAILURES` they wait for the
    /// bank.
    pub register_failures: i64,
}

impl std::fmt::Debug for TokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRow")
            .field("serial", &self.serial)
            .field("contract_id", &self.contract_id)
            .field("state", &self.state)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CustomerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerRow")
            .field("contract_id", &self.contract_id)
            .field("login_otp", &self.login_otp)
            .finish_non_exhaustive()
    }
}

/// An audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub serial: Option<String>,
    pub contract_id: Option<String>,
    pub result: String,
    pub detail: String,
}

/// A session row. `Debug` shows neither the session id (the cookie) nor the CSRF token.
#[derive(Clone)]
pub struct SessionRow {
    pub id: String,
    pub contract_id: Option<String>,
    pub csrf: String,
    pub stage: String,
    pub data: String,
    pub lang: String,
    pub expires_at: i64,
    /// When the session started (its login), Unix seconds: it ends `db::SESSION_MAX_SECONDS` later at the latest.
    pub started_at: i64,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("contract_id", &self.contract_id)
            .field("stage", &self.stage)
            .field("lang", &self.lang)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

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

/// Why a code was refused: the verifier's reasons, and the token's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The verifier's decision (locked, replayed, wrong, malformed).
    Code(Reject),
    /// No token has the serial.
    UnknownSerial,
    /// The token is not in the state the step needs (not yet registered; stopped, replaced or revoked).
    NotActive,
}

impl Refusal {
    /// The stable reason code of the API and the audit.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Code(r) => r.code(),
            Refusal::UnknownSerial => "unknown_serial",
            Refusal::NotActive => "not_active",
        }
    }

    /// The reason in a sentence, for the API's callers.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Code(Reject::Locked) => {
                "the token is locked after too many wrong codes; the bank must unlock it"
            }
            Refusal::Code(Reject::Replayed) => "this code was already used; wait for the next code",
            Refusal::Code(Reject::WrongOtp) => "the code is wrong",
            Refusal::Code(Reject::BadFormat) => "a code is 6 digits",
            Refusal::UnknownSerial => "no token has this serial number",
            Refusal::NotActive => "the token is not registered, or was stopped, replaced or revoked",
            Refusal::Code(_) => "the code is refused",
        }
    }
}

impl Serialize for Refusal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The outcome of a validation, as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub valid: bool,
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Refusal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_count: Option<i64>,
    pub locked: bool,
}

impl Validation {
    pub fn accepted(serial: &str, drift: i64) -> Validation {
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

    pub fn refused(serial: &str, reason: Refusal, fail_count: Option<i64>, locked: bool) -> Validation {
        Validation {
            valid: false,
            serial: serial.to_string(),
            reason: Some(reason),
            message: Some(reason.message()),
            drift: None,
            fail_count,
            locked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_row_debug_leaves_out_the_sealed_seed() {
        let token = TokenRow {
            serial: "SKTN12345671".into(),
            contract_id: Some("1000000001".into()),
            state: TokenState::Active,
            seed_sealed: "v1.SEALED-SEED-TEXT".into(),
            algorithm: "SHA1".into(),
            digits: 6,
            period: 30,
            last_step: None,
            drift: 0,
            fail_count: 0,
            locked: false,
            source: "issued".into(),
            created_at: 0,
            updated_at: 0,
        };
        let shown = format!("{token:?}");
        assert!(
            shown.contains("SKTN12345671") && !shown.contains("SEALED-SEED-TEXT"),
            "{shown}"
        );
    }
}
