//! What the server removes on its own, so that nobody without a login can make its database grow for good:
//! - internet-banking sessions once they have expired (every page view of a new visitor stores one);
//! - tokens provisioned online but never registered at the bank (anyone may provision one), after
//!   [`Settings::unregistered_ttl`](crate::Settings); each gets an audit row `token_expire`, so the bank can
//!   still answer a customer who asks what became of a serial.
//!
//! [`spawn`] runs a pass at start and then every [`EVERY`]; a pass is also a plain function of the time, for tests.

use std::time::Duration;

use crate::error::ApiError;
use crate::model::AuditRow;
use crate::model::{audit_id, now};
use crate::service::{Service, Shared};

/// How often a pass runs.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// Tokens deleted per transaction (a pass goes on until none are left).
const BATCH: i64 = 1000;

/// What one pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Expired internet-banking sessions.
    pub sessions: u64,
    /// Unregistered tokens past their time.
    pub tokens: u64,
}

/// One pass at Unix time `now`.
pub async fn pass(svc: &Service, now: i64) -> Result<Purged, ApiError> {
    let mut purged = Purged {
        sessions: svc.db.purge_sessions(now).await?,
        tokens: 0,
    };
    let Some(ttl) = svc.settings.unregistered_ttl else {
        return Ok(purged);
    };
    let before = now.saturating_sub(ttl);
    let detail = format!("not registered within {} s of provisioning", ttl);
    loop {
        let gone = svc
            .db
            .purge_unregistered(before, BATCH, |serial| AuditRow {
                id: audit_id(),
                at: now,
                actor: "server".into(),
                action: "token_expire".into(),
                serial: Some(serial.to_string()),
                contract_id: None,
                result: "ok".into(),
                detail: detail.clone(),
            })
            .await?;
        purged.tokens += gone.len() as u64;
        if (gone.len() as i64) < BATCH {
            return Ok(purged);
        }
    }
}

/// Runs [`pass`] now and every [`EVERY`] until the runtime stops. A failed pass is logged and tried again at the
/// next tick; it changes nothing (each deletion is its own transaction).
pub fn spawn(svc: Shared) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match pass(&svc, now()).await {
                Ok(p) if p != Purged::default() => {
                    tracing::info!(sessions = p.sessions, tokens = p.tokens, "housekeeping removed")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; trying again later"),
            }
        }
    })
}
