//! A small in-memory rate limiter: at most N events per key per minute (fixed one-minute windows). Used for
//! internet-banking logins (per contract ID and per client address) and for provisioning.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<HashMap<(String, String), (u64, u32)>>,
}

impl Limiter {
    /// Counts one event for (`bucket`, `key`) and says whether it is within `per_minute`.
    pub fn allow(&self, bucket: &str, key: &str, per_minute: u32) -> bool {
        self.allow_at(bucket, key, per_minute, softtoken_core::now())
    }

    /// As [`Limiter::allow`] at Unix time `now`.
    pub fn allow_at(&self, bucket: &str, key: &str, per_minute: u32, now: u64) -> bool {
        let minute = now / 60;
        let Ok(mut w) = self.windows.lock() else {
            return false;
        };
        if w.len() > 100_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let e = w
            .entry((bucket.to_string(), key.to_string()))
            .or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 = e.1.saturating_add(1);
        e.1 <= per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_minute() {
        let l = Limiter::default();
        assert!((0..3).all(|_| l.allow_at("login", "a", 3, 60)));
        assert!(!l.allow_at("login", "a", 3, 61));
        assert!(l.allow_at("login", "b", 3, 61));
        assert!(l.allow_at("login", "a", 3, 120));
    }
}
