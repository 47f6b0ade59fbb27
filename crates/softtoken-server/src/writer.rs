//! Group commit of validations. Every validation (and resync) is queued to one writer task, which takes
//! everything waiting as a batch and, in one transaction:
//! 1. reads all the batch's tokens with one `SELECT … IN (…)`;
//! 2. decides the operations in queue order with softtoken-core's verifier, in rounds that hold at most one
//!    operation per token (later ones see the earlier one's result);
//! 3. writes each round with one compare-and-set `UPDATE … FROM (VALUES …)` for all its accepts and one counting
//!    `UPDATE` for all its failures, then all audit rows with one multi-row `INSERT`, and commits.
//!
//! Replies go out after the commit. Requests do no database I/O of their own, decisions are made on the state
//! they are committed against, and the accept stays a compare-and-set in SQL, so two server instances sharing a
//! PostgreSQL database still accept each step once. On PostgreSQL the batch's rows are locked `FOR UPDATE` in
//! serial order when read (other instances wait rather than deadlock), and a batch the database aborts anyway
//! (deadlock, serialization failure) is decided again from scratch, a few times, before its callers get a 503.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::{self, Decision, Policy, Reject, VerifierState};
use softtoken_core::{Digits, Params, Period, Totp};
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::db::{db_err, AuditRow, DbKind, TokenRow};
use crate::error::ApiError;
use crate::service::{audit_id, now, reason, Validation};

/// Most operations committed together.
const MAX_BATCH: usize = 512;

/// What to check. `Debug` never shows the codes.
#[derive(Clone)]
pub enum Kind {
    /// One code.
    Otp(String),
    /// Two consecutive codes (resync).
    Resync(String, String),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Otp(_) => "Otp(..)",
            Kind::Resync(..) => "Resync(..)",
        })
    }
}

/// One validation request.
#[derive(Debug, Clone)]
pub struct Check {
    /// Canonical serial.
    pub serial: String,
    /// The state the token must be in.
    pub required_state: String,
    pub kind: Kind,
    pub actor: String,
    pub action: String,
}

struct Op {
    check: Check,
    reply: oneshot::Sender<Result<Validation, ApiError>>,
}

/// The handle the service uses; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Op>,
}

fn gone() -> ApiError {
    ApiError::Internal("the database writer stopped".into())
}

impl Writer {
    /// Starts the writer task on `pool` (the database's write pool).
    pub fn start(pool: AnyPool, kind: DbKind, master: Arc<MasterKey>, policy: Policy) -> Writer {
        let (tx, rx) = mpsc::channel(8192);
        tokio::spawn(run(pool, kind, master, policy, rx));
        Writer { tx }
    }

    /// Decides and records one check.
    pub async fn check(&self, check: Check) -> Result<Validation, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Op { check, reply }).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

/// Times a batch is tried when PostgreSQL aborts it for meeting another transaction (deadlock 40P01,
/// serialization failure 40001), e.g. an IB exchange or another server instance's batch.
const TRIES: u32 = 5;

async fn run(
    pool: AnyPool,
    kind: DbKind,
    master: Arc<MasterKey>,
    policy: Policy,
    mut rx: mpsc::Receiver<Op>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let lock = kind == DbKind::Postgres;
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let ops = std::mem::take(&mut batch);
        let checks: Vec<&Check> = ops.iter().map(|o| &o.check).collect();
        let mut outcome = commit(&pool, lock, &master, &policy, &checks).await;
        for attempt in 1..TRIES {
            if !matches!(outcome, Err(ApiError::Busy(_))) {
                break;
            }
            // The aborted transaction changed nothing: decide the batch again on the state now committed.
            tracing::info!(attempt, "validation batch met another transaction; retrying");
            tokio::time::sleep(std::time::Duration::from_millis(
                u64::from(attempt) * 5 + rand::random::<u64>() % 10,
            ))
            .await;
            outcome = commit(&pool, lock, &master, &policy, &checks).await;
        }
        match outcome {
            Ok(results) => {
                for (op, r) in ops.into_iter().zip(results) {
                    let _ = op.reply.send(r);
                }
            }
            Err(e) => {
                // Nothing of the batch was committed; every caller hears the failure.
                for op in ops {
                    let _ = op.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

fn totp_of(master: &MasterKey, row: &TokenRow) -> Result<Totp, ApiError> {
    let seed = master.open(&row.serial, &row.seed_sealed)?;
    let params = Params {
        algorithm: row.algorithm.parse()?,
        digits: Digits::new(u32::try_from(row.digits).unwrap_or(0))?,
    };
    let period = Period::new(u64::try_from(row.period).unwrap_or(0))?;
    Ok(Totp::new(&seed, params, period))
}

fn audit(c: &Check, row: &TokenRow, at: i64, result: &str, detail: String) -> AuditRow {
    AuditRow {
        id: audit_id(),
        at,
        actor: c.actor.clone(),
        action: c.action.clone(),
        serial: Some(row.serial.clone()),
        contract_id: row.contract_id.clone(),
        result: result.to_string(),
        detail,
    }
}

type Results = Vec<Option<Result<Validation, ApiError>>>;

async fn commit(
    pool: &AnyPool,
    lock: bool,
    master: &MasterKey,
    policy: &Policy,
    ops: &[&Check],
) -> Result<Vec<Result<Validation, ApiError>>, ApiError> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let t = now();
    let t_u = u64::try_from(t).unwrap_or(0);
    let distinct: Vec<&str> = ops
        .iter()
        .map(|c| c.serial.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut rows = crate::db::tokens_in(&mut tx, &distinct, lock).await?;
    let mut totps: HashMap<String, Totp> = HashMap::new();
    let mut results: Results = (0..ops.len()).map(|_| None).collect();
    let mut audits: Vec<AuditRow> = Vec::with_capacity(ops.len() + 4);

    while results.iter().any(Option::is_none) {
        let mut seen = HashSet::new();
        let round: Vec<usize> = (0..ops.len())
            .filter(|&i| results[i].is_none() && seen.insert(ops[i].serial.as_str()))
            .collect();
        let mut accepts: Vec<(usize, i64, i64)> = Vec::new();
        let mut failures: Vec<(usize, Reject)> = Vec::new();
        for i in round {
            let c = ops[i];
            let Some(row) = rows.get(&c.serial) else {
                tracing::info!(serial = c.serial.as_str(), "unknown serial");
                results[i] = Some(Err(ApiError::not_found(
                    reason::UNKNOWN_SERIAL,
                    "no token has this serial number",
                )));
                continue;
            };
            if row.state != c.required_state {
                audits.push(audit(c, row, t, reason::NOT_ACTIVE, String::new()));
                results[i] = Some(Ok(Validation::refused(
                    &row.serial,
                    reason::NOT_ACTIVE,
                    None,
                    row.locked,
                )));
                continue;
            }
            if !totps.contains_key(&row.serial) {
                match totp_of(master, row) {
                    Ok(g) => {
                        totps.insert(row.serial.clone(), g);
                    }
                    Err(e) => {
                        results[i] = Some(Err(e));
                        continue;
                    }
                }
            }
            let Some(totp) = totps.get(&row.serial) else {
                continue;
            };
            let st = VerifierState {
                last_step: row.last_step.and_then(|s| u64::try_from(s).ok()),
                drift: row.drift,
                fail_count: u32::try_from(row.fail_count).unwrap_or(u32::MAX),
                locked: row.locked,
            };
            let decision = match &c.kind {
                Kind::Otp(code) => validation::check(totp, &st, code, t_u, policy),
                Kind::Resync(a, b) => validation::resync(totp, &st, a, b, t_u, policy),
            };
            match decision {
                Decision::Accept { step, drift } => match i64::try_from(step) {
                    Ok(step) => accepts.push((i, step, drift)),
                    Err(_) => results[i] = Some(Err(ApiError::Internal("step out of range".into()))),
                },
                Decision::Reject { reason, .. } if reason.counts() => failures.push((i, reason)),
                Decision::Reject { reason, .. } => {
                    audits.push(audit(c, row, t, reason.code(), String::new()));
                    results[i] = Some(Ok(Validation::refused(
                        &row.serial,
                        reason.code(),
                        None,
                        row.locked,
                    )));
                }
            }
        }

        if !accepts.is_empty() {
            let won = accept_round(&mut tx, ops, &accepts, t).await?;
            for (i, step, drift) in accepts {
                let c = ops[i];
                let Some(row) = rows.get_mut(&c.serial) else {
                    continue;
                };
                if won.contains(&c.serial) {
                    row.last_step = Some(step);
                    row.drift = drift;
                    row.fail_count = 0;
                    audits.push(audit(c, row, t, "ok", format!("drift {drift}")));
                    results[i] = Some(Ok(Validation::accepted(&row.serial, drift)));
                } else {
                    // Another server instance took this step (or changed the token) since the read.
                    audits.push(audit(c, row, t, Reject::Replayed.code(), String::new()));
                    results[i] = Some(Ok(Validation::refused(
                        &row.serial,
                        Reject::Replayed.code(),
                        None,
                        row.locked,
                    )));
                }
            }
        }

        if !failures.is_empty() {
            let max = i64::from(policy.max_failures);
            let counts = failure_round(&mut tx, ops, &failures, max, t).await?;
            for (i, reason) in failures {
                let c = ops[i];
                let Some(row) = rows.get_mut(&c.serial) else {
                    continue;
                };
                let Some(&(n, locked)) = counts.get(&c.serial) else {
                    results[i] = Some(Err(ApiError::Internal("a counted token vanished".into())));
                    continue;
                };
                let was_locked = row.locked;
                row.fail_count = n;
                row.locked = locked;
                audits.push(audit(c, row, t, reason.code(), format!("failures {n}")));
                if locked && !was_locked {
                    // This failure is the one that locked the token.
                    let mut lock = audit(c, row, t, "locked", "too many wrong codes".into());
                    lock.action = "lock".into();
                    audits.push(lock);
                }
                results[i] = Some(Ok(Validation::refused(
                    &row.serial,
                    reason.code(),
                    Some(n),
                    locked,
                )));
            }
        }
    }
    crate::db::insert_audits(&mut tx, &audits).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(ApiError::Internal("unfinished batch".into()))))
        .collect())
}

/// The groups of a VALUES list, placeholders numbered from `$first`, each value cast so PostgreSQL knows its type
/// (SQLite accepts the same `CAST … AS` spelling).
fn values_list(rows: usize, types: &[&str], first: usize) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(c, ty)| format!("CAST(${} AS {ty})", first + r * types.len() + c))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One compare-and-set `UPDATE` for many tokens (one accept each); returns the serials that were accepted.
async fn accept_round(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ops: &[&Check],
    accepts: &[(usize, i64, i64)],
    now: i64,
) -> Result<HashSet<String>, ApiError> {
    let mut won = HashSet::new();
    for chunk in accepts.chunks(200) {
        let sql = format!(
            "WITH v(serial, step, drift, state) AS (VALUES {}) \
             UPDATE tokens SET last_step = v.step, drift = v.drift, fail_count = 0, updated_at = CAST($1 AS BIGINT) \
             FROM v WHERE tokens.serial = v.serial AND tokens.state = v.state AND tokens.locked = 0 \
             AND (tokens.last_step IS NULL OR tokens.last_step < v.step) RETURNING tokens.serial",
            values_list(chunk.len(), &["TEXT", "BIGINT", "BIGINT", "TEXT"], 2)
        );
        let mut q = sqlx::query(&sql).bind(now);
        for &(i, step, drift) in chunk {
            q = q
                .bind(ops[i].serial.as_str())
                .bind(step)
                .bind(drift)
                .bind(ops[i].required_state.as_str());
        }
        for r in q.fetch_all(&mut **tx).await.map_err(db_err)? {
            won.insert(r.try_get::<String, _>(0).map_err(db_err)?);
        }
    }
    Ok(won)
}

/// One `UPDATE` counting a failure for many tokens (one each), locking at `max`; returns each token's count and
/// lock after it.
async fn failure_round(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ops: &[&Check],
    failures: &[(usize, Reject)],
    max: i64,
    now: i64,
) -> Result<HashMap<String, (i64, bool)>, ApiError> {
    let mut out = HashMap::new();
    for chunk in failures.chunks(400) {
        let sql = format!(
            "WITH v(serial) AS (VALUES {}) \
             UPDATE tokens SET fail_count = tokens.fail_count + 1, \
             locked = CASE WHEN tokens.fail_count + 1 >= CAST($1 AS BIGINT) THEN 1 ELSE tokens.locked END, \
             updated_at = CAST($2 AS BIGINT) FROM v WHERE tokens.serial = v.serial \
             RETURNING tokens.serial, tokens.fail_count, tokens.locked",
            values_list(chunk.len(), &["TEXT"], 3)
        );
        let mut q = sqlx::query(&sql).bind(max).bind(now);
        for &(i, _) in chunk {
            q = q.bind(ops[i].serial.as_str());
        }
        for r in q.fetch_all(&mut **tx).await.map_err(db_err)? {
            out.insert(
                r.try_get::<String, _>(0).map_err(db_err)?,
                (
                    r.try_get::<i64, _>(1).map_err(db_err)?,
                    r.try_get::<i64, _>(2).map_err(db_err)? != 0,
                ),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_after_the_fixed_ones() {
        assert_eq!(
            values_list(2, &["TEXT", "BIGINT"], 2),
            "(CAST($2 AS TEXT), CAST($3 AS BIGINT)), (CAST($4 AS TEXT), CAST($5 AS BIGINT))"
        );
    }
}
