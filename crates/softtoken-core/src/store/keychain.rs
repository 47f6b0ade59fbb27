//! The keychain store: each seed in the OS keychain, the non-secret metadata in a JSON index file.
//!
//! The keychain is reached through a [`SecretBackend`]: [`OsKeychain`] uses keyring-core with the platform's own
//! store crate (Secret Service on Linux and the BSDs, Keychain on macOS, the data-protection keychain on iOS,
//! Credential Manager on Windows, Keystore-backed storage on Android); [`MemoryBackend`] is the in-memory double
//! for unit tests, and can be told to fail so the rollback paths are tested.
//!
//! Order of writes, so that a failure leaves the store as it was, and a process killed at any moment leaves no
//! keychain entry behind for good:
//! - add: the new id into the index's `pending` list, then the seed into the keychain, then the index with the
//!   token and without the pending id; if the keychain or the index write fails, the keychain entry is deleted.
//! - remove: the index without the token and with its id pending, then the keychain entry, then the index without
//!   the pending id; if the keychain delete fails, the old index is written back.
//!
//! Every write first deletes the keychain entries of pending ids that no token has (an add or a removal that was
//! cut short), so an entry left by a killed process lasts until the store's next write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::seed::Seed;
use crate::store::atomic::{ensure_parent, lock_store, read_if_exists, write_atomic, MAX_INDEX_BYTES};
use crate::store::{check_duplicate, TokenStore};
use crate::token::{NewToken, TokenInfo};
use crate::uri::OtpKind;

/// The keychain "service" under which softtoken keeps its seeds; the "user" is the token id.
pub const KEYCHAIN_SERVICE: &str = "softtoken";

/// Holds secrets by name. Implementations must not log or format the secret.
pub trait SecretBackend: Send + Sync {
    /// Stores `secret` under `name`, replacing any previous value.
    ///
    /// # Errors
    /// [`Error::KeychainUnavailable`] or [`Error::Keychain`].
    fn set(&self, name: &str, secret: &[u8]) -> Result<()>;
    /// The secret under `name`, or `None`.
    ///
    /// # Errors
    /// [`Error::KeychainUnavailable`] or [`Error::Keychain`].
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Deletes `name`; deleting a missing name is not an error.
    ///
    /// # Errors
    /// [`Error::KeychainUnavailable`] or [`Error::Keychain`].
    fn delete(&self, name: &str) -> Result<()>;
}

/// The platform keychain through keyring-core.
pub struct OsKeychain {
    store: Arc<keyring_core::CredentialStore>,
    service: String,
}

impl std::fmt::Debug for OsKeychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsKeychain")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl OsKeychain {
    /// Connects to this platform's keychain, with entries under `service`.
    ///
    /// # Errors
    /// [`Error::KeychainUnavailable`] when the platform has no keychain or it cannot be reached.
    pub fn new(service: &str) -> Result<OsKeychain> {
        let store = platform_store().map_err(|e| Error::KeychainUnavailable {
            reason: e.to_string(),
        })?;
        Ok(OsKeychain {
            store,
            service: service.to_string(),
        })
    }

    /// Checks that the keychain answers (a lookup of a name that does not exist).
    ///
    /// # Errors
    /// [`Error::KeychainUnavailable`] when it does not.
    pub fn probe(&self) -> Result<()> {
        self.get("softtoken-probe").map(|_| ())
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry> {
        self.store
            .build(&self.service, name, entry_modifiers().as_ref())
            .map_err(map_keyring)
    }
}

/// How each entry is made, where the platform needs more than the store's defaults.
///
/// iOS: "when unlocked, this device only" (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`). The `protected` store's
/// default is `WhenUnlocked`, which an encrypted backup carries to another iPhone; a seed must never leave this one
/// (a new phone gets a new token by 交換). The store does not sync with iCloud unless asked to (`cloud-sync`).
fn entry_modifiers() -> Option<HashMap<&'static str, &'static str>> {
    #[cfg(target_os = "ios")]
    {
        Some(HashMap::from([(
            "access-policy",
            "when-unlocked-this-device-only",
        )]))
    }
    #[cfg(not(target_os = "ios"))]
    {
        None
    }
}

/// The platform's own credential store.
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    #[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
    {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }
    #[cfg(target_os = "macos")]
    {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }
    #[cfg(target_os = "ios")]
    {
        Ok(apple_native_keyring_store::protected::Store::new()?)
    }
    #[cfg(target_os = "windows")]
    {
        Ok(windows_native_keyring_store::Store::new()?)
    }
    #[cfg(target_os = "android")]
    {
        // Needs the NDK context, which the Tauri/Android runtime initialises before our code runs.
        Ok(android_native_keyring_store::Store::new()?)
    }
    #[cfg(not(any(unix, windows)))]
    {
        Err(keyring_core::Error::NotSupportedByStore(
            "no keychain on this platform".into(),
        ))
    }
}

fn map_keyring(e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    match e {
        K::NoStorageAccess(p) => Error::KeychainUnavailable {
            reason: p.to_string(),
        },
        K::NoDefaultStore => Error::KeychainUnavailable {
            reason: "no credential store".into(),
        },
        K::NotSupportedByStore(s) => Error::KeychainUnavailable { reason: s },
        // BadEncoding/BadDataFormat carry the stored bytes: never put them in a message.
        K::BadEncoding(_) | K::BadDataFormat(..) => Error::Keychain {
            reason: "the stored value is malformed".into(),
        },
        K::PlatformFailure(p) => {
            let msg = p.to_string();
            // zbus reports a missing session bus or Secret Service as a platform failure.
            if msg.contains("org.freedesktop") || msg.to_lowercase().contains("dbus") || msg.contains("D-Bus")
            {
                Error::KeychainUnavailable { reason: msg }
            } else {
                Error::Keychain { reason: msg }
            }
        }
        other => Error::Keychain {
            reason: other.to_string(),
        },
    }
}

impl SecretBackend for OsKeychain {
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        self.entry(name)?.set_secret(secret).map_err(map_keyring)
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match self.entry(name)?.get_secret() {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }
}

/// Which operation of a [`MemoryBackend`] should fail next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// `set`.
    Set,
    /// `get`.
    Get,
    /// `delete`.
    Delete,
}

/// An in-memory [`SecretBackend`] for unit tests, with failure injection.
#[derive(Default)]
pub struct MemoryBackend {
    entries: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
    fail: Mutex<Option<FailOn>>,
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl MemoryBackend {
    /// An empty backend.
    #[must_use]
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// Makes the next call of `op` fail with [`Error::Keychain`].
    pub fn fail_next(&self, op: FailOn) {
        if let Ok(mut f) = self.fail.lock() {
            *f = Some(op);
        }
    }

    /// How many secrets it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, op: FailOn) -> Result<()> {
        let mut f = self.fail.lock().map_err(|_| Error::Keychain {
            reason: "poisoned".into(),
        })?;
        if *f == Some(op) {
            *f = None;
            return Err(Error::Keychain {
                reason: format!("injected failure of {op:?}"),
            });
        }
        Ok(())
    }

    fn map(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Zeroizing<Vec<u8>>>>> {
        self.entries.lock().map_err(|_| Error::Keychain {
            reason: "poisoned".into(),
        })
    }
}

impl SecretBackend for MemoryBackend {
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        self.check(FailOn::Set)?;
        self.map()?
            .insert(name.to_string(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.check(FailOn::Get)?;
        Ok(self.map()?.get(name).cloned())
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.check(FailOn::Delete)?;
        self.map()?.remove(name);
        Ok(())
    }
}

impl<T: SecretBackend + ?Sized> SecretBackend for Arc<T> {
    fn set(&self, name: &str, secret: &[u8]) -> Result<()> {
        (**self).set(name, secret)
    }
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        (**self).get(name)
    }
    fn delete(&self, name: &str) -> Result<()> {
        (**self).delete(name)
    }
}

#[derive(Serialize, Deserialize)]
struct Index {
    version: u32,
    tokens: Vec<TokenInfo>,
    /// Ids whose keychain entry may exist without a token: an add or a removal in progress, or cut short.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending: Vec<String>,
}

const INDEX_VERSION: u32 = 1;

/// Seeds in a [`SecretBackend`], metadata in an index file.
#[derive(Debug)]
pub struct KeychainStore<B: SecretBackend> {
    index_path: PathBuf,
    backend: B,
}

impl<B: SecretBackend> KeychainStore<B> {
    /// A store whose index is at `index_path` (created on the first add).
    #[must_use]
    pub fn new(index_path: impl Into<PathBuf>, backend: B) -> KeychainStore<B> {
        KeychainStore {
            index_path: index_path.into(),
            backend,
        }
    }

    /// The index file.
    #[must_use]
    pub fn index_path(&self) -> &Path {
        &self.index_path
    }

    fn read_index(&self) -> Result<Vec<TokenInfo>> {
        Ok(self.read_full()?.0)
    }

    /// The tokens and the pending ids.
    fn read_full(&self) -> Result<(Vec<TokenInfo>, Vec<String>)> {
        let Some(bytes) = read_if_exists(&self.index_path, "token index", MAX_INDEX_BYTES)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let index: Index = serde_json::from_slice(&bytes).map_err(|e| Error::IndexCorrupt {
            path: self.index_path.clone(),
            reason: e.to_string(),
        })?;
        if index.version != INDEX_VERSION {
            return Err(Error::IndexCorrupt {
                path: self.index_path.clone(),
                reason: format!(
                    "version {} is not supported (this build reads version {INDEX_VERSION})",
                    index.version
                ),
            });
        }
        Ok((index.tokens, index.pending))
    }

    fn write_index(&self, tokens: &[TokenInfo], pending: &[String]) -> Result<()> {
        ensure_parent(&self.index_path)?;
        let bytes = serde_json::to_vec_pretty(&Index {
            version: INDEX_VERSION,
            tokens: tokens.to_vec(),
            pending: pending.to_vec(),
        })
        .map_err(|e| Error::IndexCorrupt {
            path: self.index_path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.index_path, &bytes)
    }

    /// Deletes the keychain entries of pending ids that no token has (left by an add or a removal that was cut
    /// short); returns the ids still pending (those whose delete failed: tried again at the next write).
    fn sweep(&self, tokens: &[TokenInfo], pending: Vec<String>) -> Vec<String> {
        pending
            .into_iter()
            .filter(|id| !tokens.iter().any(|t| &t.id == id) && self.backend.delete(id).is_err())
            .collect()
    }
}

impl<B: SecretBackend> TokenStore for KeychainStore<B> {
    fn list(&self) -> Result<Vec<TokenInfo>> {
        self.read_index()
    }

    fn add(&mut self, token: NewToken, now: u64) -> Result<TokenInfo> {
        let _lock = lock_store(&self.index_path)?;
        let (mut tokens, pending) = self.read_full()?;
        let pending = self.sweep(&tokens, pending);
        check_duplicate(&tokens, &token)?;
        let info = token.info(now);
        let mut intent = pending.clone();
        intent.push(info.id.clone());
        self.write_index(&tokens, &intent)?;
        if let Err(e) = self.backend.set(&info.id, token.seed.expose()) {
            // The entry may exist in part; its id stays pending, so the next write deletes it if this does not.
            if self.backend.delete(&info.id).is_ok() {
                let _ = self.write_index(&tokens, &pending);
            }
            return Err(e);
        }
        tokens.push(info.clone());
        if let Err(e) = self.write_index(&tokens, &pending) {
            // Undo the keychain write; the index still names the id as pending, so if this delete fails too the
            // next write deletes the entry.
            let _ = self.backend.delete(&info.id);
            return Err(e);
        }
        Ok(info)
    }

    fn seed(&self, id: &str) -> Result<Seed> {
        let tokens = self.read_index()?;
        if !tokens.iter().any(|t| t.id == id) {
            return Err(Error::TokenNotFound {
                query: id.to_string(),
            });
        }
        let bytes = self
            .backend
            .get(id)?
            .ok_or_else(|| Error::SeedMissing { id: id.to_string() })?;
        Seed::from_bytes(&bytes)
    }

    fn remove(&mut self, id: &str) -> Result<()> {
        let _lock = lock_store(&self.index_path)?;
        let (before, pending) = self.read_full()?;
        let pending = self.sweep(&before, pending);
        if !before.iter().any(|t| t.id == id) {
            return Err(Error::TokenNotFound {
                query: id.to_string(),
            });
        }
        let after: Vec<TokenInfo> = before.iter().filter(|t| t.id != id).cloned().collect();
        let mut intent = pending.clone();
        intent.push(id.to_string());
        self.write_index(&after, &intent)?;
        if let Err(e) = self.backend.delete(id) {
            // Put the token back so that it is still usable, and report the failure.
            self.write_index(&before, &pending)?;
            return Err(e);
        }
        // The removal is done; if clearing the pending id fails, the next write clears it.
        let _ = self.write_index(&after, &pending);
        Ok(())
    }

    fn update_kind(&mut self, id: &str, change: &mut dyn FnMut(&mut OtpKind) -> bool) -> Result<()> {
        let _lock = lock_store(&self.index_path)?;
        let (mut tokens, pending) = self.read_full()?;
        let swept = self.sweep(&tokens, pending.clone());
        let t = tokens
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or_else(|| Error::TokenNotFound {
                query: id.to_string(),
            })?;
        if change(&mut t.kind) || swept != pending {
            self.write_index(&tokens, &swept)?;
        }
        Ok(())
    }
}
