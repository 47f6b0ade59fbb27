//! Where tokens live: the [`TokenStore`] trait and its three stores.
//!
//! - [`keychain::KeychainStore`]: seeds in the OS keychain, metadata in a small JSON index file.
//! - [`file::FileStore`]: everything in one encrypted vault file (see [`crate::vault`]).
//! - [`memory::MemoryStore`]: in memory, for unit tests of the layers above.
//!
//! Every mutating call either completes or leaves the store exactly as it was: files are replaced atomically
//! ([`atomic::write_atomic`]), and a keychain write is undone when the index write after it fails.

pub mod atomic;
pub mod file;
pub mod keychain;
pub mod memory;

use crate::error::{Error, Result};
use crate::otp::{Code, Hotp};
use crate::seed::Seed;
use crate::token::{NewToken, Token, TokenInfo};
use crate::uri::OtpKind;

/// A place tokens are kept. Implementations never put a seed into an error, a log line or a `Debug` string.
pub trait TokenStore {
    /// All tokens' metadata, oldest first.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn list(&self) -> Result<Vec<TokenInfo>>;

    /// Stores a new token; `now` (Unix seconds) becomes its creation time.
    ///
    /// # Errors
    /// [`Error::DuplicateToken`] when a token with the same serial is stored; storage errors otherwise. On error
    /// nothing was stored.
    fn add(&mut self, token: NewToken, now: u64) -> Result<TokenInfo>;

    /// The seed of the token with internal id `id`.
    ///
    /// # Errors
    /// [`Error::TokenNotFound`], [`Error::SeedMissing`], or a storage error.
    fn seed(&self, id: &str) -> Result<Seed>;

    /// Deletes the token with internal id `id`, seed included.
    ///
    /// # Errors
    /// [`Error::TokenNotFound`] or a storage error; on error nothing was deleted.
    fn remove(&mut self, id: &str) -> Result<()>;

    /// Changes the kind (the HOTP counter) of the token with internal id `id` in one step under the store's lock,
    /// on the store as it is now (another process may have changed it). `change` says whether it changed
    /// anything; when it did not, nothing is written.
    ///
    /// # Errors
    /// [`Error::TokenNotFound`] or a storage error; on error nothing was changed.
    fn update_kind(&mut self, id: &str, change: &mut dyn FnMut(&mut OtpKind) -> bool) -> Result<()>;

    /// Sets an HOTP token's next counter (a TOTP token is left as it is).
    ///
    /// # Errors
    /// As [`TokenStore::update_kind`].
    fn set_counter(&mut self, id: &str, counter: u64) -> Result<()> {
        self.update_kind(id, &mut |kind| match kind {
            OtpKind::Hotp { counter: c } => {
                *c = counter;
                true
            }
            OtpKind::Totp { .. } => false,
        })
    }

    /// Uses up `count` counters of the HOTP token with internal id `id`: returns the first of them and stores
    /// the one after the last, in one step under the store's lock, so that two processes (the app and the CLI)
    /// never get the same counter. `None` for a TOTP token, which is left as it is.
    ///
    /// # Errors
    /// As [`TokenStore::update_kind`]; on error the counter is unchanged.
    fn use_counters(&mut self, id: &str, count: u64) -> Result<Option<u64>> {
        let mut first = None;
        self.update_kind(id, &mut |kind| match kind {
            OtpKind::Hotp { counter } => {
                first = Some(*counter);
                *counter = counter.saturating_add(count);
                true
            }
            OtpKind::Totp { .. } => false,
        })?;
        Ok(first)
    }

    /// The one token that `query` names (id, serial, `issuer:account`, issuer or account).
    ///
    /// # Errors
    /// [`Error::TokenNotFound`] or [`Error::AmbiguousToken`].
    fn find(&self, query: &str) -> Result<TokenInfo> {
        let all = self.list()?;
        if let Some(exact) = all.iter().find(|t| t.id == query.trim()) {
            return Ok(exact.clone());
        }
        let mut hits: Vec<TokenInfo> = all.into_iter().filter(|t| t.matches(query)).collect();
        match hits.len() {
            0 => Err(Error::TokenNotFound {
                query: query.chars().take(64).collect(),
            }),
            1 => Ok(hits.remove(0)),
            count => Err(Error::AmbiguousToken {
                query: query.chars().take(64).collect(),
                count,
            }),
        }
    }

    /// The token that `query` names, with its seed.
    ///
    /// # Errors
    /// As [`TokenStore::find`] and [`TokenStore::seed`].
    fn load(&self, query: &str) -> Result<Token> {
        let info = self.find(query)?;
        let seed = self.seed(&info.id)?;
        Ok(Token::new(info, seed))
    }

    /// The code to show for the token `query` names at Unix time `now`. For HOTP this uses up the counter: the
    /// stored counter is advanced before the code is returned, so a code is never shown twice.
    ///
    /// # Errors
    /// As [`TokenStore::load`] and [`TokenStore::set_counter`].
    fn next_code(&mut self, query: &str, now: u64) -> Result<(TokenInfo, Code)> {
        let token = self.load(query)?;
        match token.info.kind {
            OtpKind::Totp { .. } => {
                let code = token.code_at(now);
                Ok((token.info, code))
            }
            OtpKind::Hotp { .. } => {
                // The counter stored now, not the one `load` read: another process may have used it since.
                let counter = self
                    .use_counters(&token.info.id, 1)?
                    .ok_or_else(|| Error::TokenNotFound {
                        query: query.chars().take(64).collect(),
                    })?;
                let code = Hotp::new(token.seed(), token.info.params()).code(counter);
                let mut info = token.info;
                info.kind = OtpKind::Hotp {
                    counter: counter.saturating_add(1),
                };
                Ok((info, code))
            }
        }
    }
}

/// Refuses a second token with the same serial, however either was typed (`SKTN 1234 5671`, `sktn-1234-5671`,
/// full-width): serials of ours are compared in canonical form, others as given, ignoring ASCII case.
pub(crate) fn check_duplicate(existing: &[TokenInfo], new: &NewToken) -> Result<()> {
    let canonical = |s: &str| {
        crate::serial::Serial::parse(s)
            .map(String::from)
            .unwrap_or_else(|_| s.to_string())
    };
    if let Some(serial) = &new.serial {
        let wanted = canonical(serial);
        if existing.iter().any(|t| {
            t.serial
                .as_deref()
                .is_some_and(|s| canonical(s).eq_ignore_ascii_case(&wanted))
        }) {
            return Err(Error::DuplicateToken {
                what: format!("serial {}", crate::serial::display_serial(serial)),
            });
        }
    }
    Ok(())
}
