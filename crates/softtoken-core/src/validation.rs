//! The verifier's decisions, as pure functions of the token's state, the typed code and the time. The server
//! stores the state and applies a decision with one atomic compare-and-set; everything that decides is here.
//!
//! - A code is looked for in the steps `T + drift - window ..= T + drift + window` (T = now / period; drift is
//!   what earlier accepts measured, so a phone whose clock runs slow keeps working).
//! - RFC 6238 §5.2: a code is accepted once. Only steps **after** the last accepted step count; a code that
//!   matches only an already-used step is a replay.
//! - Every wrong or malformed code counts towards the lockout; at `max_failures` consecutive failures the token
//!   locks until the bank unlocks it. An accept resets the count. A replay is refused but does not count: it is
//!   not a guess (its code was right), and counting it would let a double-submitted form lock a customer out.
//! - Resync: two consecutive codes, found anywhere within `resync_window` steps, re-measure the drift.

use serde::{Deserialize, Serialize};

use crate::otp::{Code, Totp};

/// How strict the verifier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Steps accepted either side of the expected one (1 = ±30 s for 30-second tokens).
    pub window: u64,
    /// Consecutive failures that lock the token.
    pub max_failures: u32,
    /// How far (in steps, either side) resync looks for the two consecutive codes.
    pub resync_window: u64,
}

impl Default for Policy {
    fn default() -> Self {
        // ±1 step (RFC 6238's recommendation), 5 failures, resync within ±12 hours of 30-second steps.
        Policy {
            window: 1,
            max_failures: 5,
            resync_window: 1440,
        }
    }
}

/// What the verifier remembers about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VerifierState {
    /// The last accepted step, if any.
    pub last_step: Option<u64>,
    /// Measured clock drift of the token, in steps (positive: the token runs ahead).
    pub drift: i64,
    /// Consecutive failures so far.
    pub fail_count: u32,
    /// Locked until the bank unlocks it.
    pub locked: bool,
}

/// Why a code was refused. The codes are stable and shown to bank systems as `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reject {
    /// The token is locked after too many failures.
    Locked,
    /// The code was right but its step was already used.
    Replayed,
    /// The code matches no step in the window.
    WrongOtp,
    /// Not 6-8 digits.
    BadFormat,
}

impl Reject {
    /// Whether this rejection counts towards the lockout (wrong and malformed codes do; replays and refusals of
    /// a locked token do not).
    #[must_use]
    pub fn counts(self) -> bool {
        matches!(self, Reject::WrongOtp | Reject::BadFormat)
    }

    /// The stable reason code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Reject::Locked => "locked",
            Reject::Replayed => "replayed",
            Reject::WrongOtp => "wrong_otp",
            Reject::BadFormat => "bad_format",
        }
    }
}

/// The verifier's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Accept: store `step` as the last accepted step (only if it is still later than the stored one: the
    /// compare-and-set), `drift`, and reset the failure count.
    Accept {
        /// The matched step.
        step: u64,
        /// The drift measured by this accept.
        drift: i64,
    },
    /// Refuse: add one failure; lock if `locks` (the count reached the policy's maximum).
    Reject {
        /// Why.
        reason: Reject,
        /// Whether this failure locks the token.
        locks: bool,
    },
}

fn expected_step(totp: &Totp, now: u64, drift: i64) -> u64 {
    totp.step_at(now).saturating_add_signed(drift)
}

fn reject(state: &VerifierState, policy: &Policy, reason: Reject) -> Decision {
    let locks = reason.counts() && !state.locked && state.fail_count.saturating_add(1) >= policy.max_failures;
    Decision::Reject { reason, locks }
}

/// Decides on a typed `code` at Unix time `now`.
#[must_use]
pub fn check(totp: &Totp, state: &VerifierState, code: &str, now: u64, policy: &Policy) -> Decision {
    if state.locked {
        return Decision::Reject {
            reason: Reject::Locked,
            locks: false,
        };
    }
    let Ok(code) = Code::parse(code, totp.params().digits) else {
        return reject(state, policy, Reject::BadFormat);
    };
    let centre = expected_step(totp, now, state.drift);
    let (from, to) = (
        centre.saturating_sub(policy.window),
        centre.saturating_add(policy.window),
    );
    // Every step of the window is computed and compared (constant time per comparison); the earliest unused
    // matching step wins.
    let mut fresh = None;
    let mut used = false;
    for step in from..=to {
        if totp.code_for_step(step).ct_eq(&code) {
            if state.last_step.is_some_and(|last| step <= last) {
                used = true;
            } else if fresh.is_none() {
                fresh = Some(step);
            }
        }
    }
    match fresh {
        Some(step) => Decision::Accept {
            step,
            drift: step as i64 - totp.step_at(now) as i64,
        },
        None if used => reject(state, policy, Reject::Replayed),
        None => reject(state, policy, Reject::WrongOtp),
    }
}

/// Resynchronises with two consecutive codes (`first` then `second`, as the app shows them 30 s apart). On
/// success the decision accepts the second code's step, which re-measures the drift.
#[must_use]
pub fn resync(
    totp: &Totp,
    state: &VerifierState,
    first: &str,
    second: &str,
    now: u64,
    policy: &Policy,
) -> Decision {
    if state.locked {
        return Decision::Reject {
            reason: Reject::Locked,
            locks: false,
        };
    }
    let digits = totp.params().digits;
    let (Ok(c1), Ok(c2)) = (Code::parse(first, digits), Code::parse(second, digits)) else {
        return reject(state, policy, Reject::BadFormat);
    };
    let now_step = totp.step_at(now);
    let from = now_step.saturating_sub(policy.resync_window);
    let to = now_step.saturating_add(policy.resync_window);
    let mut found = None;
    let mut next = totp.code_for_step(from);
    for step in from..to {
        let this = next;
        next = totp.code_for_step(step + 1);
        if this.ct_eq(&c1) && next.ct_eq(&c2) && found.is_none() {
            found = Some(step + 1);
        }
    }
    match found {
        Some(step) if state.last_step.is_some_and(|last| step <= last) => {
            reject(state, policy, Reject::Replayed)
        }
        Some(step) => Decision::Accept {
            step,
            drift: step as i64 - now_step as i64,
        },
        None => reject(state, policy, Reject::WrongOtp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Params, Period, Seed};

    fn totp() -> Totp {
        Totp::new(
            &Seed::from_bytes(b"12345678901234567890").unwrap(),
            Params::default(),
            Period::THIRTY,
        )
    }

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn accepts_once_then_replay() {
        let t = totp();
        let p = Policy::default();
        let code = t.code_at(NOW);
        let mut s = VerifierState::default();
        let Decision::Accept { step, drift } = check(&t, &s, code.as_str(), NOW, &p) else {
            panic!()
        };
        assert_eq!((step, drift), (t.step_at(NOW), 0));
        s.last_step = Some(step);
        assert_eq!(
            check(&t, &s, code.as_str(), NOW + 5, &p),
            Decision::Reject {
                reason: Reject::Replayed,
                locks: false
            }
        );
        // The previous step's code is also used up once a later step was accepted.
        let prev = t.code_for_step(step - 1);
        assert!(matches!(
            check(&t, &s, prev.as_str(), NOW, &p),
            Decision::Reject {
                reason: Reject::Replayed,
                ..
            }
        ));
        // The next step's code is fine.
        let next = t.code_for_step(step + 1);
        assert!(matches!(
            check(&t, &s, next.as_str(), NOW, &p),
            Decision::Accept { .. }
        ));
    }

    #[test]
    fn window_and_drift() {
        let t = totp();
        let p = Policy::default();
        let s = VerifierState::default();
        let two_ahead = t.code_for_step(t.step_at(NOW) + 2);
        assert!(matches!(
            check(&t, &s, two_ahead.as_str(), NOW, &p),
            Decision::Reject {
                reason: Reject::WrongOtp,
                ..
            }
        ));
        let s = VerifierState { drift: 2, ..s };
        assert_eq!(
            check(&t, &s, two_ahead.as_str(), NOW, &p),
            Decision::Accept {
                step: t.step_at(NOW) + 2,
                drift: 2
            }
        );
    }

    #[test]
    fn lockout_on_the_fifth_failure() {
        let t = totp();
        let p = Policy::default();
        let mut s = VerifierState::default();
        for i in 1..=5 {
            let d = check(&t, &s, "000000", NOW, &p);
            let Decision::Reject { locks, .. } = d else {
                panic!("{d:?}")
            };
            assert_eq!(locks, i == 5);
            s.fail_count = i;
            s.locked = locks;
        }
        let right = t.code_at(NOW);
        assert_eq!(
            check(&t, &s, right.as_str(), NOW, &p),
            Decision::Reject {
                reason: Reject::Locked,
                locks: false
            }
        );
    }

    #[test]
    fn resync_measures_drift() {
        let t = totp();
        let p = Policy::default();
        let s = VerifierState::default();
        let base = t.step_at(NOW) + 40; // the token's clock runs 20 minutes ahead
        let (c1, c2) = (t.code_for_step(base), t.code_for_step(base + 1));
        assert_eq!(
            resync(&t, &s, c1.as_str(), c2.as_str(), NOW, &p),
            Decision::Accept {
                step: base + 1,
                drift: 41
            }
        );
        assert!(matches!(
            resync(&t, &s, c2.as_str(), c1.as_str(), NOW, &p),
            Decision::Reject { .. }
        ));
        assert!(matches!(
            check(&t, &s, "12a456", NOW, &p),
            Decision::Reject {
                reason: Reject::BadFormat,
                ..
            }
        ));
    }
}
