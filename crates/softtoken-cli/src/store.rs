//! Opening the store named by `--store`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use softtoken_core::store::file::FileStore;
use softtoken_core::store::keychain::{KeychainStore, OsKeychain, KEYCHAIN_SERVICE};
use softtoken_core::store::memory::MemoryStore;
use softtoken_core::vault::{KdfParams, MIN_NEW_PASSPHRASE};
use softtoken_core::{Error, TokenStore};

use crate::CliError;

/// Environment variable holding the vault passphrase for `--store file:PATH`.
pub const PASSPHRASE_ENV: &str = "SOFTTOKEN_PASSPHRASE";

/// Which store `--store` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    Keychain,
    File(PathBuf),
    Memory,
}

impl StoreSpec {
    pub fn parse(s: &str) -> Result<StoreSpec, CliError> {
        match s {
            "keychain" => Ok(StoreSpec::Keychain),
            "memory" => Ok(StoreSpec::Memory),
            _ => match s.strip_prefix("file:") {
                Some(p) if !p.is_empty() => Ok(StoreSpec::File(PathBuf::from(p))),
                _ => Err(CliError::Usage(format!(
                    "--store must be keychain, file:PATH or memory, not '{}'",
                    s.chars().take(60).collect::<String>()
                ))),
            },
        }
    }
}

fn default_home() -> Result<PathBuf, CliError> {
    directories::ProjectDirs::from("jp", "softtoken", "softtoken")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| CliError::Usage("no home folder found: set SOFTTOKEN_HOME or --home".into()))
}

/// Opens the store. `home` holds the keychain store's index.
pub fn open(spec: &StoreSpec, home: Option<&Path>) -> Result<Box<dyn TokenStore>, CliError> {
    match spec {
        StoreSpec::Memory => Ok(Box::new(MemoryStore::new())),
        StoreSpec::Keychain => {
            let home = match home {
                Some(h) => h.to_path_buf(),
                None => default_home()?,
            };
            let keychain = OsKeychain::new(KEYCHAIN_SERVICE)?;
            keychain.probe()?;
            Ok(Box::new(KeychainStore::new(home.join("tokens.json"), keychain)))
        }
        StoreSpec::File(path) => {
            let passphrase = passphrase(!path.exists())?;
            Ok(Box::new(FileStore::open_with_passphrase(
                path,
                &passphrase,
                KdfParams::default(),
            )?))
        }
    }
}

/// The vault passphrase: from the environment, or typed at the terminal (twice for a new vault).
fn passphrase(new_vault: bool) -> Result<SecretString, CliError> {
    use secrecy::ExposeSecret;
    let p = passphrase_given(new_vault)?;
    if new_vault && p.expose_secret().chars().count() < MIN_NEW_PASSPHRASE {
        return Err(CliError::Usage(format!(
            "a new vault's passphrase must be at least {MIN_NEW_PASSPHRASE} characters (as in the app); nothing was created"
        )));
    }
    Ok(p)
}

/// The passphrase from the environment or the terminal.
fn passphrase_given(new_vault: bool) -> Result<SecretString, CliError> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if p.is_empty() {
            return Err(CliError::Usage(format!("{PASSPHRASE_ENV} is set but empty")));
        }
        return Ok(SecretString::from(p));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::PassphraseRequired.into());
    }
    let first = rpassword::prompt_password("Vault passphrase: ").map_err(|_| Error::PassphraseRequired)?;
    if first.is_empty() {
        return Err(Error::PassphraseRequired.into());
    }
    if new_vault {
        let again = rpassword::prompt_password("New vault: type the passphrase again: ")
            .map_err(|_| Error::PassphraseRequired)?;
        if again != first {
            return Err(CliError::Usage(
                "the two passphrases differ; nothing was created".into(),
            ));
        }
    }
    Ok(SecretString::from(first))
}
