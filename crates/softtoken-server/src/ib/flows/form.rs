//! Forms read into typed structs: every field trimmed, a missing field empty, passwords and codes in [`Secret`]
//! (zeroized, never shown by `Debug`). Unknown fields are ignored; a body that is not a form reads as empty
//! fields, which every step refuses in its own words.

use serde::{Deserialize, Deserializer};

/// A password or one-time password from a form.
#[derive(Default)]
pub(super) struct Secret(zeroize::Zeroizing<String>);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = zeroize::Zeroizing::new(String::deserialize(d)?);
        Ok(Secret(zeroize::Zeroizing::new(raw.trim().to_string())))
    }
}

/// A text field, trimmed.
pub(super) fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(String::deserialize(d)?.trim().to_string())
}

/// Reads a form body into `T`; a body that does not read (a field twice, bytes that are not a form) is the
/// form with every field empty.
pub(super) fn parse<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> T {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The CSRF token every form carries.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Csrf {
    #[serde(default)]
    pub csrf: String,
}

/// What the customer typed that a form shows again after an error: never a password or a code.
#[derive(Debug, Default, Clone)]
pub(in crate::ib) struct Kept {
    pub contract_id: String,
    pub serial: String,
    pub payee: String,
    pub amount: String,
}
