//! An in-memory store, for unit tests of the layers above the store.

use crate::error::{Error, Result};
use crate::seed::Seed;
use crate::store::{check_duplicate, TokenStore};
use crate::token::{NewToken, TokenInfo};
use crate::uri::OtpKind;

/// Tokens in a `Vec`, gone when dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Vec<(TokenInfo, Seed)>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> MemoryStore {
        MemoryStore::default()
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

impl TokenStore for MemoryStore {
    fn list(&self) -> Result<Vec<TokenInfo>> {
        Ok(self.tokens.iter().map(|(i, _)| i.clone()).collect())
    }

    fn add(&mut self, token: NewToken, now: u64) -> Result<TokenInfo> {
        check_duplicate(&self.list()?, &token)?;
        let info = token.info(now);
        self.tokens.push((info.clone(), token.seed));
        Ok(info)
    }

    fn seed(&self, id: &str) -> Result<Seed> {
        Ok(self.tokens[self.position(id)?].1.duplicate())
    }

    fn remove(&mut self, id: &str) -> Result<()> {
        let pos = self.position(id)?;
        self.tokens.remove(pos);
        Ok(())
    }

    fn update_kind(&mut self, id: &str, change: &mut dyn FnMut(&mut OtpKind) -> bool) -> Result<()> {
        let pos = self.position(id)?;
        change(&mut self.tokens[pos].0.kind);
        Ok(())
    }
}
