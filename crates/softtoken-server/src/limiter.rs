//! A small in-memory rate limiter: about N events per key in any 60 seconds. Used for internet-banking logins
//! (per contract ID and per client address), new internet-banking sessions and provisioning (per client address
//! and overall).
//!
//! Per key it counts the events of the current clock minute and of the minute before, and weighs the earlier
//! count by the share of that minute still inside the last 60 seconds (a sliding-window counter). Counting per
//! whole minute alone would let 2N attempts through around a minute's end. Refused attempts count too, so a
//! client that keeps trying stays refused.
//!
//! Its memory is bounded: past [`MAX_KEYS`] keys at once, every new key of a bucket shares one overflow count,
//! so a flood from many addresses is still limited (as one client) instead of growing the map. A full map is swept
//! of stale keys at most once per clock minute, so a flood does not make every request scan the whole map under
//! the lock.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// Keys tracked at once, over all buckets (about 100 bytes each).
pub const MAX_KEYS: usize = 100_000;

/// The key under which a bucket counts new keys once the map is full.
const OVERFLOW: &str = "\u{0}overflow";

/// One key's counts: the events of clock minute `minute` and of the minute before it.
#[derive(Debug, Clone, Copy)]
struct Counts {
    minute: u64,
    previous: u32,
    current: u32,
}

impl Counts {
    /// Moves the counts on to `minute`. A clock that went back keeps the counts as they are.
    fn roll(&mut self, minute: u64) {
        if minute == self.minute + 1 {
            self.previous = self.current;
        } else if minute > self.minute {
            self.previous = 0;
        } else {
            return;
        }
        self.current = 0;
        self.minute = minute;
    }

    /// The events of the 60 seconds up to `second` (into the current minute): all of this minute's, and the
    /// previous minute's in proportion to the part of it still inside that span, rounded up.
    fn in_last_60s(&self, second: u64) -> u64 {
        (u64::from(self.previous) * (60 - second)).div_ceil(60) + u64::from(self.current)
    }
}

#[derive(Debug, Default)]
pub struct Limiter {
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    counts: HashMap<(String, String), Counts>,
    /// The clock minute of the last sweep of a full map, and how many sweeps there were (for tests).
    swept: Option<u64>,
    sweeps: u64,
}

impl Limiter {
    /// Counts one event for (`bucket`, `key`) and says whether it is within `per_minute` over the last 60 s.
    pub fn allow(&self, bucket: &str, key: &str, per_minute: u32) -> bool {
        self.allow_at(bucket, key, per_minute, softtoken_core::now())
    }

    /// As [`Limiter::allow`] at Unix time `now`.
    pub fn allow_at(&self, bucket: &str, key: &str, per_minute: u32, now: u64) -> bool {
        let minute = now / 60;
        let Ok(mut w) = self.windows.lock() else {
            return false;
        };
        let w = &mut *w;
        let mut id = (bucket.to_string(), key.to_string());
        if w.counts.len() >= MAX_KEYS && !w.counts.contains_key(&id) {
            // Counts older than the previous minute no longer weigh anything; a sweep in this minute already
            // dropped all there were until the next.
            if w.swept != Some(minute) {
                w.counts.retain(|_, c| c.minute + 1 >= minute);
                w.swept = Some(minute);
                w.sweeps += 1;
            }
            if w.counts.len() >= MAX_KEYS {
                id.1 = OVERFLOW.to_string();
            }
        }
        let c = w.counts.entry(id).or_insert(Counts {
            minute,
            previous: 0,
            current: 0,
        });
        c.roll(minute);
        c.current = c.current.saturating_add(1);
        c.in_last_60s(now % 60) <= u64::from(per_minute)
    }

    /// Keys tracked now (for tests).
    pub fn len(&self) -> usize {
        self.windows.lock().map(|w| w.counts.len()).unwrap_or(0)
    }

    /// Sweeps of a full map so far (for tests).
    #[cfg(test)]
    fn sweeps(&self) -> u64 {
        self.windows.lock().map(|w| w.sweeps).unwrap_or(0)
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The limiter key of a client address: the IPv4 address, or the /64 network of an IPv6 one (one customer's
/// line usually has a whole /64, so counting single IPv6 addresses would limit nothing). Empty when unknown
/// (in-process tests).
pub fn client_key(addr: Option<SocketAddr>) -> String {
    match addr.map(|a| a.ip()) {
        None => String::new(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_over_the_last_60_seconds() {
        let l = Limiter::default();
        // Ten at the end of one minute leave none for the start of the next (counts per whole minute alone
        // would let ten more through at once).
        assert!((0..10).all(|_| l.allow_at("login", "a", 10, 119)));
        assert!(!l.allow_at("login", "a", 10, 120));
        assert!(!l.allow_at("login", "a", 10, 121));
        // Other keys are counted on their own.
        assert!(l.allow_at("login", "b", 10, 120));
        // Half a minute on, the previous minute's ten weigh five, and this minute has had two attempts (refused,
        // but counted): three more pass.
        assert!((0..3).all(|_| l.allow_at("login", "a", 10, 150)));
        assert!(!l.allow_at("login", "a", 10, 150));
        // Two minutes on, nothing weighs any more.
        assert!((0..10).all(|_| l.allow_at("login", "a", 10, 240)));
        // A clock that steps back does not clear the counts.
        assert!(!l.allow_at("login", "a", 10, 100));
    }

    #[test]
    fn a_flood_of_keys_is_bounded_and_still_limited() {
        let l = Limiter::default();
        for i in 0..MAX_KEYS {
            assert!(l.allow_at("ip", &i.to_string(), 2, 60));
        }
        assert_eq!(l.len(), MAX_KEYS);
        // New keys in the same minute share the overflow count: two pass, then they are refused, and the map
        // does not grow.
        assert!(l.allow_at("ip", "new-1", 2, 61));
        assert!(l.allow_at("ip", "new-2", 2, 61));
        assert!(!l.allow_at("ip", "new-3", 2, 61));
        assert_eq!(l.len(), MAX_KEYS + 1);
        // The full map was swept once in this minute (nothing was stale), not once per new key.
        assert!((0..1000).all(|i| !l.allow_at("ip", &format!("more-{i}"), 2, 62)));
        assert_eq!(l.sweeps(), 1);
        // Keys already tracked keep their own count.
        assert!(l.allow_at("ip", "7", 2, 62));
        assert!(!l.allow_at("ip", "7", 2, 62));
        // Once the old keys' minute no longer weighs (two minutes on), they are dropped and new keys are counted
        // on their own again.
        assert!(!l.allow_at("ip", "new-4", 2, 120));
        assert!(l.allow_at("ip", "new-3", 2, 180));
        assert!(l.len() < 10);
        assert_eq!(l.sweeps(), 3, "a sweep in minutes 1, 2 and 3");
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: SocketAddr = "[2001:db8:1:2:aaaa::1]:5000".parse().unwrap();
        let b: SocketAddr = "[2001:db8:1:2:bbbb::9]:6000".parse().unwrap();
        let c: SocketAddr = "[2001:db8:1:3::1]:6000".parse().unwrap();
        let v4: SocketAddr = "192.0.2.7:80".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:80".parse().unwrap();
        assert_eq!(client_key(Some(a)), client_key(Some(b)));
        assert_ne!(client_key(Some(a)), client_key(Some(c)));
        assert_eq!(client_key(Some(a)), "2001:db8:1:2::/64");
        assert_eq!(client_key(Some(v4)), "192.0.2.7");
        assert_eq!(client_key(Some(mapped)), "192.0.2.7");
        assert_eq!(client_key(None), "");
    }
}
