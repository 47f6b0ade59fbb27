//! Password hashing for the internet-banking pages: Argon2id, on tokio's blocking pool, in a bounded number of
//! slots.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ApiError;

/// Argon2id PHC string of a password.
pub fn hash_password(pw: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A hash to verify against when the contract ID is unknown (made once, on the blocking pool like every
/// Argon2 computation).
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("softtoken-no-such-contract").unwrap_or_default())
}

/// How long a request waits for an Argon2 slot before the server answers 503 `busy` (nothing was done; try again).
const ARGON2_QUEUE: std::time::Duration = std::time::Duration::from_secs(5);

/// The Argon2 verifications that may run at once: twice the cores. Each takes 19 MiB and tens of milliseconds of
/// a core; more at once would only wait inside the OS while holding their memory (tokio's blocking pool alone
/// would allow 512, about 10 GiB).
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(2 * cores)
    })
}

/// Whether `pw` matches the Argon2id PHC string (`None`: a dummy hash, for an unknown contract ID, so that the
/// answer takes as long). Argon2 is made to be slow (tens of milliseconds of CPU), so it runs on tokio's blocking
/// pool, not on the threads that serve every other request, and at most [`argon2_slots`] at once.
///
/// # Errors
/// [`ApiError::Busy`] when no slot frees up within [`ARGON2_QUEUE`].
pub(super) async fn verify_password(pw: &str, phc: Option<&str>) -> Result<bool, ApiError> {
    verify_in(argon2_slots(), ARGON2_QUEUE, pw, phc).await
}

async fn verify_in(
    slots: &tokio::sync::Semaphore,
    queue: std::time::Duration,
    pw: &str,
    phc: Option<&str>,
) -> Result<bool, ApiError> {
    let permit = tokio::time::timeout(queue, slots.acquire())
        .await
        .map_err(|_| ApiError::Busy("every password check is taken: try again in a moment".into()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let pw = zeroize::Zeroizing::new(pw.to_string());
    let phc = phc.map(str::to_string);
    let ok = tokio::task::spawn_blocking(move || {
        let phc = phc.as_deref().unwrap_or_else(|| dummy_hash());
        PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false);
    drop(permit);
    Ok(ok)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    /// Argon2 runs in a bounded number of slots: when all are taken longer than the queue's wait, the request gets
    /// `busy` (503) instead of queueing without bound; a freed slot serves the next one; every slot comes back.
    #[tokio::test]
    async fn a_full_argon2_queue_answers_busy_and_frees_up() {
        let slots = tokio::sync::Semaphore::new(1);
        let phc = hash_password("right").unwrap();
        let held = slots.acquire().await.unwrap();
        let e = verify_in(&slots, Duration::from_millis(50), "right", Some(&phc))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "busy");
        drop(held);
        assert!(verify_in(&slots, Duration::from_millis(50), "right", Some(&phc))
            .await
            .unwrap());
        assert!(!verify_in(&slots, Duration::from_millis(50), "wrong", Some(&phc))
            .await
            .unwrap());
        assert_eq!(slots.available_permits(), 1);
    }
}
