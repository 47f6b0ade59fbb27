//! The encrypted vault file format. Pure: bytes in, bytes out; no filesystem, keychain or UI side effects.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "SOFTTOKV"
//! 8       1     format version (1)
//! 9       1     key kind: 1 = Argon2id from a passphrase, 2 = raw 256-bit key (kept in the OS keychain)
//! 10      28    kind 1 only: Argon2id m_cost (KiB), t_cost, p_cost as u32 little-endian, then a 16-byte salt
//! ..      24    XChaCha20-Poly1305 nonce, fresh for every write
//! ..      ..    ciphertext + 16-byte tag of the JSON payload {"tokens":[{"info":{…},"seed":"BASE32"}]}
//! ```
//! Everything before the ciphertext is the AEAD's associated data, so a changed version, KDF parameter, salt or
//! nonce fails authentication like a changed ciphertext does. Readers refuse unknown versions and KDF parameters
//! outside sane bounds (a crafted file cannot make us allocate gigabytes).

use argon2::{Argon2, Params as ArgonParams, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::seed::Seed;
use crate::token::TokenInfo;

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"SOFTTOKV";
/// The format version this build writes and reads.
pub const VERSION: u8 = 1;
const KIND_ARGON2ID: u8 = 1;
const KIND_RAW: u8 = 2;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The shortest passphrase the shells accept for a new vault (characters). Argon2id makes each guess slow, not a
/// short passphrase strong.
pub const MIN_NEW_PASSPHRASE: usize = 8;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for KdfParams {
    /// OWASP's Argon2id recommendation (19 MiB, 2 passes, 1 lane): about 50 ms on a phone-class core.
    fn default() -> Self {
        DEFAULT_KDF
    }
}

const DEFAULT_KDF: KdfParams = KdfParams {
    m_kib: 19 * 1024,
    t: 2,
    p: 1,
};

/// The most a vault file may ask of Argon2id, so that a crafted file cannot make opening it take seconds or the
/// memory a phone does not have. Far above what softtoken writes (19 MiB, 2 passes, 1 lane): memory up to 64 MiB,
/// passes up to 8, lanes up to 4, and memory × passes up to 128 MiB (about 3.4 times the default's work). A future
/// default must stay inside these bounds, or readers that keep them could not open its vaults.
pub const KDF_MAX_M_KIB: u32 = 64 * 1024;
/// See [`KDF_MAX_M_KIB`].
pub const KDF_MAX_T: u32 = 8;
/// See [`KDF_MAX_M_KIB`].
pub const KDF_MAX_P: u32 = 4;
/// See [`KDF_MAX_M_KIB`]: memory (KiB) × passes.
pub const KDF_MAX_WORK: u64 = 128 * 1024;

impl KdfParams {
    fn check(self) -> Result<ArgonParams, VaultError> {
        let work = u64::from(self.m_kib) * u64::from(self.t);
        if !(8..=KDF_MAX_M_KIB).contains(&self.m_kib)
            || !(1..=KDF_MAX_T).contains(&self.t)
            || !(1..=KDF_MAX_P).contains(&self.p)
            || work > KDF_MAX_WORK
        {
            return Err(VaultError::Corrupt(format!(
                "Argon2id parameters m={} KiB, t={}, p={} are out of bounds (at most {} MiB, {KDF_MAX_T} passes, \
                 {KDF_MAX_P} lanes, {} MiB × passes)",
                self.m_kib,
                self.t,
                self.p,
                KDF_MAX_M_KIB / 1024,
                KDF_MAX_WORK / 1024
            )));
        }
        ArgonParams::new(self.m_kib, self.t, self.p, Some(32)).map_err(|e| VaultError::Corrupt(e.to_string()))
    }
}

// softtoken's own setting is inside the bounds.
const _: () = assert!(
    DEFAULT_KDF.m_kib <= KDF_MAX_M_KIB
        && DEFAULT_KDF.t <= KDF_MAX_T
        && DEFAULT_KDF.p <= KDF_MAX_P
        && DEFAULT_KDF.m_kib as u64 * DEFAULT_KDF.t as u64 <= KDF_MAX_WORK
);

/// Why a vault could not be opened or written. The file store adds the path.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultError {
    /// Not a vault, a newer version, or cut short; the reason says which.
    Corrupt(String),
    /// Authentication failed: wrong passphrase or key, or altered contents.
    WrongKey,
}

/// How the vault's key is obtained, as written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Argon2id { params: KdfParams, salt: [u8; SALT_LEN] },
    Raw,
}

/// A vault key with the header parameters that produced it.
pub struct VaultKey {
    key: Zeroizing<[u8; 32]>,
    kind: KeyKind,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey([redacted])")
    }
}

impl VaultKey {
    /// Derives a key for a **new** vault from a passphrase, with a fresh random salt.
    ///
    /// # Errors
    /// [`VaultError::Corrupt`] if the parameters are out of bounds.
    pub fn new_from_passphrase(passphrase: &SecretString, params: KdfParams) -> Result<VaultKey, VaultError> {
        let mut salt = [0u8; SALT_LEN];
        rand::fill(&mut salt);
        derive(passphrase, params, salt)
    }

    /// Derives the key of an **existing** vault from a passphrase, using the salt and parameters in its header.
    ///
    /// # Errors
    /// [`VaultError::Corrupt`] if the header is unreadable or the vault uses a raw key.
    pub fn for_existing(passphrase: &SecretString, vault: &[u8]) -> Result<VaultKey, VaultError> {
        match parse_header(vault)?.0 {
            KeyKind::Argon2id { params, salt } => derive(passphrase, params, salt),
            KeyKind::Raw => Err(VaultError::Corrupt(
                "this vault is opened with a keychain key, not a passphrase".into(),
            )),
        }
    }

    /// A raw 256-bit key (kept in the OS keychain by the caller).
    #[must_use]
    pub fn from_raw(key: &[u8; 32]) -> VaultKey {
        VaultKey {
            key: Zeroizing::new(*key),
            kind: KeyKind::Raw,
        }
    }

    /// Whether the vault bytes were written with a passphrase (as opposed to a raw key).
    ///
    /// # Errors
    /// [`VaultError::Corrupt`] if the header is unreadable.
    pub fn uses_passphrase(vault: &[u8]) -> Result<bool, VaultError> {
        Ok(matches!(parse_header(vault)?.0, KeyKind::Argon2id { .. }))
    }
}

fn derive(
    passphrase: &SecretString,
    params: KdfParams,
    salt: [u8; SALT_LEN],
) -> Result<VaultKey, VaultError> {
    let argon = Argon2::new(argon2::Algorithm::Argon2id, Version::V0x13, params.check()?);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose_secret().as_bytes(), &salt, key.as_mut())
        .map_err(|e| VaultError::Corrupt(e.to_string()))?;
    Ok(VaultKey {
        key,
        kind: KeyKind::Argon2id { params, salt },
    })
}

fn header_bytes(kind: &KeyKind, nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let mut h = Vec::with_capacity(10 + 28 + NONCE_LEN);
    h.extend_from_slice(MAGIC);
    h.push(VERSION);
    match kind {
        KeyKind::Argon2id { params, salt } => {
            h.push(KIND_ARGON2ID);
            h.extend_from_slice(&params.m_kib.to_le_bytes());
            h.extend_from_slice(&params.t.to_le_bytes());
            h.extend_from_slice(&params.p.to_le_bytes());
            h.extend_from_slice(salt);
        }
        KeyKind::Raw => h.push(KIND_RAW),
    }
    h.extend_from_slice(nonce);
    h
}

/// Splits a vault into (key kind, header length, nonce).
fn parse_header(bytes: &[u8]) -> Result<(KeyKind, usize, [u8; NONCE_LEN]), VaultError> {
    let short = || VaultError::Corrupt("the file is cut short".into());
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(VaultError::Corrupt(
            "it does not start with the softtoken vault signature".into(),
        ));
    }
    let version = *bytes.get(8).ok_or_else(short)?;
    if version != VERSION {
        return Err(VaultError::Corrupt(format!(
            "format version {version} is not supported (this build reads version {VERSION}; update softtoken)"
        )));
    }
    let u32_at = |o: usize| -> Result<u32, VaultError> {
        let b: [u8; 4] = bytes
            .get(o..o + 4)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?;
        Ok(u32::from_le_bytes(b))
    };
    let (kind, at) = match *bytes.get(9).ok_or_else(short)? {
        KIND_ARGON2ID => {
            let params = KdfParams {
                m_kib: u32_at(10)?,
                t: u32_at(14)?,
                p: u32_at(18)?,
            };
            params.check()?;
            let salt: [u8; SALT_LEN] = bytes
                .get(22..22 + SALT_LEN)
                .ok_or_else(short)?
                .try_into()
                .map_err(|_| short())?;
            (KeyKind::Argon2id { params, salt }, 22 + SALT_LEN)
        }
        KIND_RAW => (KeyKind::Raw, 10),
        other => return Err(VaultError::Corrupt(format!("unknown key kind {other}"))),
    };
    let nonce: [u8; NONCE_LEN] = bytes
        .get(at..at + NONCE_LEN)
        .ok_or_else(short)?
        .try_into()
        .map_err(|_| short())?;
    let header_len = at + NONCE_LEN;
    if bytes.len() < header_len + TAG_LEN {
        return Err(short());
    }
    Ok((kind, header_len, nonce))
}

#[derive(Serialize, Deserialize)]
struct Entry {
    info: TokenInfo,
    seed: Zeroizing<String>,
}

#[derive(Serialize, Deserialize)]
struct Payload_ {
    tokens: Vec<Entry>,
}

/// Encrypts `tokens` into vault bytes with a fresh nonce.
///
/// # Errors
/// [`VaultError::Corrupt`] if serialisation fails (it does not for valid tokens).
pub fn seal(key: &VaultKey, tokens: &[(TokenInfo, Seed)]) -> Result<Vec<u8>, VaultError> {
    let payload = Payload_ {
        tokens: tokens
            .iter()
            .map(|(info, seed)| Entry {
                info: info.clone(),
                seed: seed.to_base32(),
            })
            .collect(),
    };
    // Serialise into a buffer that is large enough up front (so it is not reallocated, leaving copies behind) and
    // zeroized on drop.
    let mut plain = Zeroizing::new(Vec::with_capacity(256 + 512 * tokens.len()));
    serde_json::to_writer(&mut *plain, &payload).map_err(|e| VaultError::Corrupt(e.to_string()))?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce);
    let header = header_bytes(&key.kind, &nonce);
    let cipher = XChaCha20Poly1305::new(key.key.as_ref().into());
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &header,
            },
        )
        .map_err(|_| VaultError::Corrupt("encryption failed".into()))?;
    let mut out = header;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts vault bytes.
///
/// # Errors
/// [`VaultError::Corrupt`] for a bad header or payload, [`VaultError::WrongKey`] when authentication fails.
pub fn open(key: &VaultKey, bytes: &[u8]) -> Result<Vec<(TokenInfo, Seed)>, VaultError> {
    let (kind, header_len, nonce) = parse_header(bytes)?;
    if kind != key.kind {
        // Same salt and parameters are part of the key's identity; a different header cannot authenticate.
        return Err(VaultError::WrongKey);
    }
    let cipher = XChaCha20Poly1305::new(key.key.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &bytes[header_len..],
                    aad: &bytes[..header_len],
                },
            )
            .map_err(|_| VaultError::WrongKey)?,
    );
    let payload: Payload_ = serde_json::from_slice(&plain)
        // serde_json's message can quote the decrypted text; say only that it is invalid.
        .map_err(|_| VaultError::Corrupt("the decrypted contents are not a valid token list".into()))?;
    payload
        .tokens
        .into_iter()
        .map(|e| {
            let seed = Seed::from_base32(&e.seed)
                .map_err(|_| VaultError::Corrupt(format!("the seed of token {} is not valid", e.info.id)))?;
            Ok((e.info, seed))
        })
        .collect()
}

/// A new random raw key, for a vault whose key is kept in the OS keychain.
#[must_use]
pub fn random_raw_key() -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new([0u8; 32]);
    rand::fill(k.as_mut());
    k
}
