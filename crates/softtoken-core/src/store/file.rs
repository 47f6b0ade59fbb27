//! The encrypted-file store: all tokens, seeds included, in one vault file (format in [`crate::vault`]), for
//! machines with no keychain and for testers.
//!
//! The vault is read and decrypted once when the store opens. Every change encrypts the new contents to a fresh
//! nonce and replaces the file atomically; the in-memory copy is updated only after the file is written, so a
//! failed write leaves both the file and the store as they were.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::seed::Seed;
use crate::store::atomic::{
    ensure_parent, lock_store, read_if_exists, write_atomic, StoreLock, MAX_VAULT_BYTES,
};
use crate::store::keychain::SecretBackend;
use crate::store::{check_duplicate, TokenStore};
use crate::token::{NewToken, TokenInfo};
use crate::uri::OtpKind;
use crate::vault::{self, KdfParams, VaultError, VaultKey};

/// All tokens in one encrypted file.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    key: VaultKey,
    tokens: Vec<(TokenInfo, Seed)>,
}

impl FileStore {
    /// Opens the vault at `path` with a passphrase, or prepares a new one there (written on the first change)
    /// with the given Argon2id parameters.
    ///
    /// # Errors
    /// [`Error::WrongPassphrase`], [`Error::VaultCorrupt`], [`Error::Io`].
    pub fn open_with_passphrase(
        path: impl Into<PathBuf>,
        passphrase: &SecretString,
        new_params: KdfParams,
    ) -> Result<FileStore> {
        let path = path.into();
        match read_if_exists(&path, "vault", MAX_VAULT_BYTES)? {
            Some(bytes) => {
                let key = VaultKey::for_existing(passphrase, &bytes).map_err(|e| map_vault(&path, e))?;
                let tokens = vault::open(&key, &bytes).map_err(|e| map_vault(&path, e))?;
                Ok(FileStore { path, key, tokens })
            }
            None => {
                let key =
                    VaultKey::new_from_passphrase(passphrase, new_params).map_err(|e| map_vault(&path, e))?;
                Ok(FileStore {
                    path,
                    key,
                    tokens: Vec::new(),
                })
            }
        }
    }

    /// Opens (or prepares) the vault at `path` with a random key kept in `keychain` under `key_name`. The key is
    /// created on first use and stored before the vault is ever written.
    ///
    /// # Errors
    /// Keychain errors, [`Error::WrongPassphrase`] if the key does not open the vault, [`Error::VaultCorrupt`],
    /// [`Error::Io`].
    pub fn open_with_keychain_key(
        path: impl Into<PathBuf>,
        keychain: &dyn SecretBackend,
        key_name: &str,
    ) -> Result<FileStore> {
        let path = path.into();
        let existing = read_if_exists(&path, "vault", MAX_VAULT_BYTES)?;
        let raw = match keychain.get(key_name)? {
            Some(k) => k,
            None if existing.is_some() => {
                return Err(Error::Keychain {
                    reason: format!("the key of vault {} is not in the keychain", path.display()),
                })
            }
            None => {
                let k = vault::random_raw_key();
                keychain.set(key_name, k.as_ref())?;
                zeroize::Zeroizing::new(k.to_vec())
            }
        };
        let raw: [u8; 32] = raw.as_slice().try_into().map_err(|_| Error::Keychain {
            reason: "the stored vault key has the wrong length".into(),
        })?;
        let key = VaultKey::from_raw(&raw);
        let tokens = match existing {
            Some(bytes) => vault::open(&key, &bytes).map_err(|e| map_vault(&path, e))?,
            None => Vec::new(),
        };
        Ok(FileStore { path, key, tokens })
    }

    /// The vault file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the store's lock and reads the vault again, so that a change starts from what another process (the
    /// app, the CLI) may have written since this one opened it.
    fn lock_and_reload(&mut self) -> Result<StoreLock> {
        let lock = lock_store(&self.path)?;
        if let Some(bytes) = read_if_exists(&self.path, "vault", MAX_VAULT_BYTES)? {
            self.tokens = vault::open(&self.key, &bytes).map_err(|e| map_vault(&self.path, e))?;
        }
        Ok(lock)
    }

    /// Encrypts `tokens` and replaces the file; only then adopts them as the store's contents.
    fn commit(&mut self, tokens: Vec<(TokenInfo, Seed)>) -> Result<()> {
        let bytes = vault::seal(&self.key, &tokens).map_err(|e| map_vault(&self.path, e))?;
        ensure_parent(&self.path)?;
        write_atomic(&self.path, &bytes)?;
        self.tokens = tokens;
        Ok(())
    }

    fn copy(&self) -> Vec<(TokenInfo, Seed)> {
        self.tokens
            .iter()
            .map(|(i, s)| (i.clone(), s.duplicate()))
            .collect()
    }

    fn position(&self, id: &str) -> Result<usize> {
        self.tokens
            .iter()
            .position(|(i, _)| i.id == id)
            .ok_or_else(|| Error::TokenNotFound {
                query: id.to_string(),
            })
    }
}

fn map_vault(path: &Path, e: VaultError) -> Error {
    match e {
        VaultError::WrongKey => Error::WrongPassphrase {
            path: path.to_path_buf(),
        },
        VaultError::Corrupt(reason) => Error::VaultCorrupt {
            path: path.to_path_buf(),
            reason,
        },
    }
}

impl TokenStore for FileStore {
    fn list(&self) -> Result<Vec<TokenInfo>> {
        Ok(self.tokens.iter().map(|(i, _)| i.clone()).collect())
    }

    fn add(&mut self, token: NewToken, now: u64) -> Result<TokenInfo> {
        let _lock = self.lock_and_reload()?;
        check_duplicate(&self.list()?, &token)?;
        let info = token.info(now);
        let mut next = self.copy();
        next.push((info.clone(), token.seed));
        self.commit(next)?;
        Ok(info)
    }

    fn seed(&self, id: &str) -> Result<Seed> {
        Ok(self.tokens[self.position(id)?].1.duplicate())
    }

    fn remove(&mut self, id: &str) -> Result<()> {
        let _lock = self.lock_and_reload()?;
        let pos = self.position(id)?;
        let mut next = self.copy();
        next.remove(pos);
        self.commit(next)
    }

    fn update_kind(&mut self, id: &str, change: &mut dyn FnMut(&mut OtpKind) -> bool) -> Result<()> {
        let _lock = self.lock_and_reload()?;
        let pos = self.position(id)?;
        let mut next = self.copy();
        if change(&mut next[pos].0.kind) {
            self.commit(next)?;
        }
        Ok(())
    }
}
