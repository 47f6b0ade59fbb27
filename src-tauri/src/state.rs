//! The app's state behind the commands: the open token store, a cache of loaded tokens, the settings and the
//! folders. Only Rust code sees it; the webview gets views made by `view.rs`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::SecretString;
use softtoken_core::store::file::FileStore;
use softtoken_core::store::keychain::{KeychainStore, OsKeychain};
use softtoken_core::vault::KdfParams;
use softtoken_core::{NewToken, Token, TokenInfo, TokenStore};
use zeroize::Zeroizing;

use crate::applock::AppLock;
use crate::error::{AppError, AppResult, ErrorView};
use crate::link::{LinkView, Pending};
use crate::settings::{self, Settings, DEFAULT_SERVICE_URL};

/// The keychain service of the app's seeds: the CLI's, so that `softtoken --home <app folder>` can list, script
/// or back up the app's tokens (entries are named by random token ids, so separate lists never collide).
pub use softtoken_core::store::keychain::KEYCHAIN_SERVICE;
/// Shortest passphrase accepted for a new vault (the CLI's too).
pub const MIN_PASSPHRASE: usize = softtoken_core::vault::MIN_NEW_PASSPHRASE;

/// Which store holds the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// The OS keychain (seeds) plus an index file (metadata).
    Keychain,
    /// The encrypted vault file.
    File,
}

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The keychain store's index of tokens (metadata only).
    pub index: PathBuf,
    /// The encrypted vault, when the keychain cannot be used.
    pub vault: PathBuf,
    /// settings.json.
    pub settings: PathBuf,
}

impl Paths {
    /// The app's files in `data` (tokens) and `config` (settings); both folders are created.
    ///
    /// # Errors
    /// When a folder cannot be created.
    pub fn in_dirs(data: &std::path::Path, config: &std::path::Path) -> std::io::Result<Paths> {
        std::fs::create_dir_all(data)?;
        std::fs::create_dir_all(config)?;
        Ok(Paths {
            index: data.join("tokens.json"),
            vault: data.join("tokens.vault"),
            settings: config.join("settings.json"),
        })
    }
}

type BoxedStore = Box<dyn TokenStore + Send>;

/// The system clock in Unix milliseconds (0 before 1970); the shells' one clock reading, like core's `now()`.
pub fn system_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Everything the commands share.
pub struct App {
    store: Mutex<Option<(Storage, BoxedStore)>>,
    /// Loaded tokens (with seeds, zeroized on drop), so that codes do not cost a keychain round trip each time.
    cache: Mutex<Option<Vec<Token>>>,
    /// Why the keychain cannot be used, if it cannot.
    pub keychain_error: Option<ErrorView>,
    /// Files.
    pub paths: Paths,
    settings: Mutex<Settings>,
    /// The start-up benchmark's marks (feature `startup-bench` only).
    #[cfg(feature = "startup-bench")]
    pub startup: crate::startup::Marks,
    /// Bumped by every copy, so that a clear timer only clears its own copy.
    pub clipboard_generation: AtomicU64,
    /// Desktop builds only: tester mode.
    pub tester_available: bool,
    /// The last code shown of each counter-based token, so that copying it does not use up another counter.
    last_hotp: Mutex<std::collections::HashMap<String, Zeroizing<String>>>,
    /// The app lock (off unless the customer turned it on).
    app_lock: Mutex<AppLock>,
    /// An activation link that arrived from outside and waits for the customer's yes (link.rs).
    pending_link: Mutex<Option<Pending>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("storage", &self.storage())
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave these values half-written (each is replaced whole), so a poisoned
    // lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    /// Opens the keychain store if the OS keychain answers and no vault file was chosen before; otherwise the app
    /// starts locked and asks for the vault's passphrase.
    pub fn start(paths: Paths, tester_available: bool) -> App {
        let settings = settings::load(&paths.settings, tester_available);
        let app_lock = Mutex::new(AppLock::new(settings.app_lock));
        #[cfg(feature = "startup-bench")]
        let probe = std::time::Instant::now();
        let (store, keychain_error) = if paths.vault.exists() {
            (None, None)
        } else {
            match OsKeychain::new(KEYCHAIN_SERVICE).and_then(|k| k.probe().map(|()| k)) {
                Ok(k) => {
                    let s: BoxedStore = Box::new(KeychainStore::new(paths.index.clone(), k));
                    (Some((Storage::Keychain, s)), None)
                }
                Err(e) => {
                    tracing::warn!("the OS keychain cannot be used: {e}");
                    (None, Some(ErrorView::from(&AppError::Core(e))))
                }
            }
        };
        App {
            #[cfg(feature = "startup-bench")]
            startup: crate::startup::Marks::ready(probe.elapsed()),
            store: Mutex::new(store),
            cache: Mutex::new(None),
            keychain_error,
            paths,
            settings: Mutex::new(settings),
            clipboard_generation: AtomicU64::new(0),
            tester_available,
            last_hotp: Mutex::new(std::collections::HashMap::new()),
            app_lock,
            pending_link: Mutex::new(None),
        }
    }

    /// Which store is open, if any.
    pub fn storage(&self) -> Option<Storage> {
        lock(&self.store).as_ref().map(|(s, _)| *s)
    }

    /// Opens (or creates) the vault file with `passphrase`. Slow on purpose (Argon2id): call it off the UI thread.
    ///
    /// # Errors
    /// `wrong_passphrase`, `vault_corrupt`, `weak_passphrase` (new vault) or an I/O error; the store stays locked.
    pub fn unlock_vault(&self, passphrase: SecretString) -> AppResult<()> {
        use secrecy::ExposeSecret;
        if !self.paths.vault.exists() && passphrase.expose_secret().chars().count() < MIN_PASSPHRASE {
            return Err(AppError::WeakPassphrase { min: MIN_PASSPHRASE });
        }
        let store = FileStore::open_with_passphrase(&self.paths.vault, &passphrase, KdfParams::default())?;
        *lock(&self.store) = Some((Storage::File, Box::new(store)));
        *lock(&self.cache) = None;
        Ok(())
    }

    /// Runs `f` on the open store.
    fn with_store<T>(&self, f: impl FnOnce(&mut BoxedStore) -> AppResult<T>) -> AppResult<T> {
        let mut guard = lock(&self.store);
        let (_, store) = guard.as_mut().ok_or(AppError::StoreLocked)?;
        f(store)
    }

    /// Every token's metadata.
    pub fn list(&self) -> AppResult<Vec<TokenInfo>> {
        self.with_store(|s| Ok(s.list()?))
    }

    /// Runs `f` on the loaded tokens (loading them on first use).
    pub fn with_tokens<T>(&self, f: impl FnOnce(&[Token]) -> T) -> AppResult<T> {
        let mut cache = lock(&self.cache);
        if cache.is_none() {
            #[cfg(feature = "startup-bench")]
            let t0 = std::time::Instant::now();
            let tokens = self.with_store(|s| {
                let infos = s.list()?;
                let mut out = Vec::with_capacity(infos.len());
                for info in infos {
                    let seed = s.seed(&info.id)?;
                    out.push(Token::new(info, seed));
                }
                Ok(out)
            })?;
            *cache = Some(tokens);
            #[cfg(feature = "startup-bench")]
            self.startup.store_read(t0.elapsed());
        }
        Ok(f(cache.as_deref().unwrap_or_default()))
    }

    /// Stores a new token.
    pub fn add(&self, token: NewToken, now: u64) -> AppResult<TokenInfo> {
        let info = self.with_store(|s| Ok(s.add(token, now)?))?;
        *lock(&self.cache) = None;
        Ok(info)
    }

    /// Deletes a token and its seed.
    pub fn remove(&self, id: &str) -> AppResult<()> {
        self.with_store(|s| Ok(s.remove(id)?))?;
        *lock(&self.cache) = None;
        lock(&self.last_hotp).remove(id);
        Ok(())
    }

    /// The next HOTP code of a counter-based token (advances its stored counter, and the cached token's with it,
    /// so that the other tokens need no new keychain read).
    pub fn hotp_next(&self, id: &str, now: u64) -> AppResult<String> {
        let (info, code) = self.with_store(|s| Ok(s.next_code(id, now)?))?;
        if let Some(t) = lock(&self.cache)
            .as_mut()
            .and_then(|ts| ts.iter_mut().find(|t| t.info.id == id))
        {
            t.info = info;
        }
        lock(&self.last_hotp).insert(id.to_string(), Zeroizing::new(code.as_str().to_string()));
        Ok(code.as_str().to_string())
    }

    /// The code to copy for token `id` at `now_ms`: the current TOTP code, or the HOTP code shown last.
    pub fn code_to_copy(&self, id: &str, now_ms: u64) -> AppResult<Zeroizing<String>> {
        let totp = self.with_tokens(|ts| {
            ts.iter()
                .find(|t| t.info.id == id)
                .map(|t| crate::view::code_view(t, now_ms, false).code)
        })?;
        match totp {
            None => Err(softtoken_core::Error::TokenNotFound {
                query: id.to_string(),
            }
            .into()),
            Some(Some(code)) => Ok(Zeroizing::new(code)),
            Some(None) => lock(&self.last_hotp)
                .get(id)
                .cloned()
                .ok_or(AppError::NoCodeShown),
        }
    }

    /// A copy of the settings.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Validates, saves and applies new settings (the app lock stays as it is: see [`App::set_app_lock`]).
    pub fn set_settings(&self, new: Settings) -> AppResult<Settings> {
        let mut new = new.validated(self.tester_available)?;
        new.app_lock = self.settings().app_lock;
        settings::save(&self.paths.settings, &new)?;
        *lock(&self.settings) = new.clone();
        Ok(new)
    }

    /// The app's clock (Unix milliseconds, tester shift included).
    pub fn now_ms(&self) -> u64 {
        crate::view::shifted_now_ms(system_ms(), self.settings().shift())
    }

    /// Bumps the clipboard generation and returns the new value.
    pub fn next_clipboard_generation(&self) -> u64 {
        self.clipboard_generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The app lock's gate: every command but those in `OPEN_WHILE_LOCKED` (src-tauri/ipc_commands.rs) passes it
    /// first (lib.rs).
    ///
    /// # Errors
    /// [`AppError::AppLocked`] while the app is locked.
    pub fn guard(&self) -> AppResult<()> {
        lock(&self.app_lock).check(system_ms())
    }

    /// Whether the app lock is on, and whether the app is locked now.
    pub fn lock_state(&self) -> (bool, bool) {
        let l = lock(&self.app_lock);
        (l.enabled(), l.is_locked(system_ms()))
    }

    /// The customer passed the OS's check.
    pub fn authenticated(&self) {
        lock(&self.app_lock).authenticated();
    }

    /// Turns the app lock on or off (after the OS's check) and saves the choice.
    ///
    /// # Errors
    /// When the settings cannot be saved; the lock is then unchanged.
    pub fn set_app_lock(&self, enabled: bool) -> AppResult<Settings> {
        let mut settings = lock(&self.settings);
        let new = Settings {
            app_lock: enabled,
            ..settings.clone()
        };
        settings::save(&self.paths.settings, &new)?;
        *settings = new.clone();
        lock(&self.app_lock).set_enabled(enabled);
        Ok(new)
    }

    /// The app left the foreground.
    pub fn left_foreground(&self) {
        lock(&self.app_lock).left(system_ms());
    }

    /// The app is back in the foreground; returns whether it is locked now.
    pub fn returned_to_foreground(&self) -> bool {
        lock(&self.app_lock).returned(system_ms())
    }

    /// An activation link handed over by the OS: kept until the customer decides (a newer link replaces it).
    pub fn offer_link(&self, text: &str) {
        let pending = Pending::read(text, self.settings().tester_mode);
        *lock(&self.pending_link) = Some(pending);
    }

    /// The waiting link's view, if any; a refused link is reported once and forgotten.
    ///
    /// # Errors
    /// The refused link's error.
    pub fn link_offer(&self) -> AppResult<Option<LinkView>> {
        let service = self.settings().service_url;
        let mut pending = lock(&self.pending_link);
        let offer = crate::link::offer(pending.as_ref(), &[service.as_str(), DEFAULT_SERVICE_URL]);
        if offer.is_err() {
            *pending = None;
        }
        offer
    }

    /// The waiting link, to provision with (it stays until [`App::dismiss_link`], so a failed attempt can be
    /// retried).
    ///
    /// # Errors
    /// [`AppError::NoPendingLink`].
    pub fn pending_activation(&self) -> AppResult<softtoken_core::provisioning::ActivationLink> {
        match lock(&self.pending_link).as_ref() {
            Some(Pending::Link(l)) => Ok(l.clone()),
            _ => Err(AppError::NoPendingLink),
        }
    }

    /// Forgets the waiting link.
    pub fn dismiss_link(&self) {
        *lock(&self.pending_link) = None;
    }
}
