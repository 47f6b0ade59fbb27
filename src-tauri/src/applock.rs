//! The app lock: optional, off by default, turned on in Settings. While it is on, the codes, the token list and
//! every change wait until the customer passes the OS's biometric or device-credential check: when the app starts,
//! and again when it comes back after [`RELOCK_AFTER_MS`] away from the foreground.
//!
//! The lock is a state of Rust, not of the webview: every command but the few that a locked app needs calls
//! [`AppLock::check`] first (tests/ipc_commands.rs checks that they do). Pure: time is a parameter; the OS check
//! itself is in commands/lock.rs.

use crate::error::{AppError, AppResult};

/// How long the app may be away from the foreground before it asks again (two minutes: long enough to copy a code
/// into the bank's page and come back, short enough that a phone left unlocked does not show codes).
pub const RELOCK_AFTER_MS: u64 = 2 * 60 * 1000;

/// Where the lock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The customer must authenticate before anything else.
    Locked,
    /// In the foreground, authenticated (or the lock is off).
    Open,
    /// Authenticated, then sent to the background at this time (Unix ms).
    Away {
        /// When the app left the foreground.
        since_ms: u64,
    },
}

/// The lock's state. `enabled` comes from the settings; the phase from what happened since the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppLock {
    enabled: bool,
    phase: Phase,
}

impl AppLock {
    /// A lock as the app starts: locked if the customer turned the lock on.
    #[must_use]
    pub fn new(enabled: bool) -> AppLock {
        AppLock {
            enabled,
            phase: if enabled { Phase::Locked } else { Phase::Open },
        }
    }

    /// Whether the customer turned the lock on.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the app is locked at `now_ms` (it locks itself once it has been away for [`RELOCK_AFTER_MS`], even if
    /// the OS never said that it came back).
    #[must_use]
    pub fn is_locked(&self, now_ms: u64) -> bool {
        self.enabled
            && match self.phase {
                Phase::Locked => true,
                Phase::Open => false,
                Phase::Away { since_ms } => now_ms.saturating_sub(since_ms) >= RELOCK_AFTER_MS,
            }
    }

    /// The gate of the commands.
    ///
    /// # Errors
    /// [`AppError::AppLocked`] while the app is locked.
    pub fn check(&mut self, now_ms: u64) -> AppResult<()> {
        if self.is_locked(now_ms) {
            self.phase = Phase::Locked;
            return Err(AppError::AppLocked);
        }
        Ok(())
    }

    /// The customer passed the OS's check.
    pub fn authenticated(&mut self) {
        self.phase = Phase::Open;
    }

    /// The app left the foreground (Android `onPause`, iOS `sceneWillResignActive`, a desktop window's focus).
    pub fn left(&mut self, now_ms: u64) {
        if self.phase == Phase::Open {
            self.phase = Phase::Away { since_ms: now_ms };
        }
    }

    /// The app came back to the foreground; returns whether it is locked now.
    pub fn returned(&mut self, now_ms: u64) -> bool {
        if self.is_locked(now_ms) {
            self.phase = Phase::Locked;
            return true;
        }
        if matches!(self.phase, Phase::Away { .. }) {
            self.phase = Phase::Open;
        }
        false
    }

    /// Turns the lock on or off. Only after the customer passed the OS's check (commands/lock.rs), so the app is
    /// open afterwards either way.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.phase = Phase::Open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_800_000_000_000;

    #[test]
    fn off_by_default_never_locks() {
        let mut l = AppLock::new(false);
        assert!(l.check(T).is_ok());
        l.left(T);
        assert!(!l.returned(T + 10 * RELOCK_AFTER_MS));
        assert!(l.check(T + 10 * RELOCK_AFTER_MS).is_ok());
    }

    #[test]
    fn on_it_starts_locked_until_authenticated() {
        let mut l = AppLock::new(true);
        assert_eq!(l.check(T).map_err(|e| e.code()), Err("app_locked"));
        l.authenticated();
        assert!(l.check(T).is_ok());
    }

    #[test]
    fn a_short_absence_keeps_it_open_a_long_one_locks_it() {
        let mut l = AppLock::new(true);
        l.authenticated();
        l.left(T);
        assert!(!l.returned(T + RELOCK_AFTER_MS - 1));
        assert!(l.check(T + RELOCK_AFTER_MS - 1).is_ok());
        l.left(T + RELOCK_AFTER_MS);
        assert!(l.returned(T + 2 * RELOCK_AFTER_MS));
        assert!(l.check(T + 2 * RELOCK_AFTER_MS).is_err());
        // Still locked later, whatever else happens, until the customer authenticates.
        l.left(T + 3 * RELOCK_AFTER_MS);
        assert!(l.returned(T + 3 * RELOCK_AFTER_MS));
        l.authenticated();
        assert!(l.check(T + 3 * RELOCK_AFTER_MS).is_ok());
    }

    #[test]
    fn it_locks_even_when_the_return_is_never_reported() {
        let mut l = AppLock::new(true);
        l.authenticated();
        l.left(T);
        assert!(l.check(T + RELOCK_AFTER_MS).is_err());
        // And stays locked: coming back does not open it.
        assert!(l.returned(T + RELOCK_AFTER_MS + 1));
    }

    #[test]
    fn a_clock_going_backwards_does_not_lock_or_open() {
        let mut l = AppLock::new(true);
        l.authenticated();
        l.left(T);
        assert!(!l.returned(T - 60_000));
        let mut locked = AppLock::new(true);
        assert!(locked.returned(T - 60_000));
    }

    #[test]
    fn turning_it_on_or_off_leaves_the_app_open() {
        let mut l = AppLock::new(false);
        l.set_enabled(true);
        assert!(l.enabled());
        assert!(l.check(T).is_ok());
        l.left(T);
        assert!(l.check(T + RELOCK_AFTER_MS).is_err());
        l.authenticated();
        l.set_enabled(false);
        assert!(!l.enabled());
        assert!(l.check(T).is_ok());
    }
}
