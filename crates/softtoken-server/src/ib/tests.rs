//! Unit tests of the IB module's private parts.
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
