//! Group commit of validations. Every validation (and resync) is queued to one writer, which takes everything
//! waiting as a batch and, in one transaction:
//! 1. reads all the batch's tokens so that nobody else can change them until the commit: on SQLite the
//!    transaction is `BEGIN IMMEDIATE`, which takes the database's write lock; on PostgreSQL the rows are locked
//!    `FOR UPDATE` in serial order (two instances' batches then queue instead of deadlocking);
//! 2. decides the operations in queue order with softtoken-core's verifier ([`plan`]), in rounds that hold at
//!    most one operation per token (later ones see the earlier one's result);
//! 3. writes each round's accepts as compare-and-set `UPDATE`s and its failures as counting `UPDATE`s, then the
//!    audit rows, checks that the updates changed exactly the rows decided, and commits.
//!
//! Replies go out after the commit. Requests do no database I/O of their own, and the accept stays a
//! compare-and-set in SQL: if an update ever changes other rows than decided, the batch is rolled back and
//! decided again from scratch, as is a batch the database aborts (PostgreSQL deadlock or serialization failure,
//! SQLite busy), a few times before its callers get a 503.
//!
//! The two databases get one writer each ([`sqlite`], [`postgres`]). On SQLite the writer is a thread of its own
//! with its own connection, on which the whole batch runs synchronously. Through sqlx's driver every statement
//! is a round trip between an async task and the connection's thread. The writer holds the database's one write
//! lock for the whole batch, so those round trips were the server's throughput on SQLite
//! (docs/benchmarks-history.md, session 6).

mod postgres;
mod sqlite;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::{self, Decision, Policy, VerifierState};
use softtoken_core::{Digits, Params, Period, Totp};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::db::sql::{bucket_rows, BucketRow};
use crate::db::{Db, DbError};
use crate::model::{audit_id, AuditRow, Refusal, TokenRow, TokenState, Validation};

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
    pub required_state: TokenState,
    pub kind: Kind,
    pub actor: String,
    pub action: String,
}

struct Op {
    check: Check,
    reply: oneshot::Sender<Result<Validation, DbError>>,
}

/// The handle the service uses; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Op>,
}

fn gone() -> DbError {
    DbError::Failed("the database writer stopped".into())
}

/// Where the writer writes.
#[derive(Debug, Clone)]
pub enum Target {
    /// This SQLite file, through a connection of the writer's own.
    Sqlite(PathBuf),
    /// This PostgreSQL pool.
    Postgres(AnyPool),
}

impl Target {
    /// Where the validations of `db` are written: its SQLite file, or its PostgreSQL pool.
    pub fn of(db: &Db) -> Target {
        match db.sqlite_file() {
            Some(f) => Target::Sqlite(f.to_path_buf()),
            None => Target::Postgres(db.writer_pool().clone()),
        }
    }
}

impl Writer {
    /// Starts the writer: a thread for SQLite, a task for PostgreSQL.
    pub fn start(target: Target, master: Arc<MasterKey>, policy: Policy) -> Result<Writer, DbError> {
        let (tx, rx) = mpsc::channel(8192);
        match target {
            Target::Sqlite(path) => {
                sqlite::start(path, master, policy, rx)
                    .map_err(|e| DbError::Failed(format!("cannot start the database writer: {e}")))?;
            }
            Target::Postgres(pool) => {
                tokio::spawn(postgres::run(pool, master, policy, rx));
            }
        }
        Ok(Writer { tx })
    }

    /// Decides and records one check.
    pub async fn check(&self, check: Check) -> Result<Validation, DbError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Op { check, reply }).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

/// Times a batch is tried when the database aborts it for meeting another transaction (PostgreSQL deadlock
/// 40P01 or serialization failure 40001, e.g. an IB exchange or another server instance's batch; SQLite busy).
const TRIES: u32 = 5;

/// The pause before try `attempt` + 1 of a batch: a little longer each time, and random, so that two writers
/// that met do not meet again.
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(u64::from(attempt) * 5 + rand::random::<u64>() % 10)
}

/// Bucket rows (migration 0003) kept in memory at most; past that, a new bucket's rows are written every time.
const SEEN_MAX: usize = 200_000;

/// The bucket rows this writer has committed, so that a batch sends only the others: after a token's first
/// validation in a bucket (about 72 minutes) there are none. Only the newest bucket's rows are kept, at most
/// [`SEEN_MAX`]. A row forgotten, or committed by another writer, is only written again: `ON CONFLICT DO
/// NOTHING`. Rows are remembered after their commit, never before, so a failed batch leaves none behind.
#[derive(Debug, Default)]
struct BucketsSeen {
    bucket: String,
    rows: HashSet<BucketRow>,
}

impl BucketsSeen {
    /// The bucket rows of `audits` not known to be committed.
    fn fresh(&self, audits: &[AuditRow]) -> Vec<BucketRow> {
        bucket_rows(audits)
            .into_iter()
            .filter(|r| !self.rows.contains(r))
            .collect()
    }

    /// Remembers `rows`, just committed.
    fn committed(&mut self, rows: Vec<BucketRow>) {
        for r in rows {
            if r.2 > self.bucket {
                self.bucket.clone_from(&r.2);
                self.rows.clear();
            }
            if r.2 == self.bucket && self.rows.len() < SEEN_MAX {
                self.rows.insert(r);
            }
        }
    }
}

/// Sends each caller its result, or, if the batch failed (nothing of it was committed), the failure.
fn reply(ops: Vec<Op>, outcome: Result<Vec<Result<Validation, DbError>>, DbError>) {
    match outcome {
        Ok(results) => {
            for (op, r) in ops.into_iter().zip(results) {
                let _ = op.reply.send(r);
            }
        }
        Err(e) => {
            for op in ops {
                let _ = op.reply.send(Err(e.clone()));
            }
        }
    }
}

/// The generator of a stored token. A row that cannot be opened (another master key, a damaged row) fails its
/// validations without naming anything secret.
fn totp_of(master: &MasterKey, row: &TokenRow) -> Result<Totp, DbError> {
    let unusable = |e: softtoken_core::Error| {
        DbError::Failed(format!("the stored token {} cannot be used: {e}", row.serial))
    };
    let seed = master.open(&row.serial, &row.seed_sealed).map_err(unusable)?;
    let params = Params {
        algorithm: row.algorithm.parse().map_err(unusable)?,
        digits: Digits::new(u32::try_from(row.digits).unwrap_or(0)).map_err(unusable)?,
    };
    let period = Period::new(u64::try_from(row.period).unwrap_or(0)).map_err(unusable)?;
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

/// What a batch does to the database, decided on its tokens' rows as read.
struct Plan {
    /// Each operation's result, in queue order, valid once the plan is committed.
    results: Vec<Result<Validation, DbError>>,
    /// The updates, round by round.
    rounds: Vec<Round>,
    audits: Vec<AuditRow>,
}

/// At most one operation per token.
#[derive(Default)]
struct Round {
    accepts: Vec<Accept>,
    failures: Vec<Failure>,
}

/// A compare-and-set: the token is in `state`, unlocked, and its last accepted step is before `step`.
struct Accept {
    serial: String,
    state: TokenState,
    step: i64,
    drift: i64,
}

/// One more failure, after which the token has `fail_count` of them and is `locked` or not.
struct Failure {
    serial: String,
    fail_count: i64,
    locked: bool,
}

/// Decides `ops` (all made at `t`, Unix seconds) in queue order on `rows`, which it brings up to date with every
/// change the plan makes. Pure apart from the audit rows' ids.
fn plan(
    rows: &mut HashMap<String, TokenRow>,
    ops: &[&Check],
    t: i64,
    master: &MasterKey,
    policy: &Policy,
) -> Plan {
    let t_u = u64::try_from(t).unwrap_or(0);
    let max = i64::from(policy.max_failures);
    let mut totps: HashMap<String, Totp> = HashMap::new();
    let mut results: Vec<Option<Result<Validation, DbError>>> = (0..ops.len()).map(|_| None).collect();
    let mut audits: Vec<AuditRow> = Vec::with_capacity(ops.len() + 4);
    let mut rounds = Vec::new();
    while results.iter().any(Option::is_none) {
        let mut seen = HashSet::new();
        let now: Vec<usize> = (0..ops.len())
            .filter(|&i| results[i].is_none() && seen.insert(ops[i].serial.as_str()))
            .collect();
        let mut round = Round::default();
        for i in now {
            let c = ops[i];
            let Some(row) = rows.get_mut(&c.serial) else {
                tracing::info!(serial = c.serial.as_str(), "unknown serial");
                results[i] = Some(Err(DbError::UnknownSerial));
                continue;
            };
            if row.state != c.required_state {
                audits.push(audit(c, row, t, Refusal::NotActive.code(), String::new()));
                results[i] = Some(Ok(Validation::refused(
                    &row.serial,
                    Refusal::NotActive,
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
                    Ok(step) => {
                        row.last_step = Some(step);
                        row.drift = drift;
                        row.fail_count = 0;
                        audits.push(audit(c, row, t, "ok", format!("drift {drift}")));
                        results[i] = Some(Ok(Validation::accepted(&row.serial, drift)));
                        round.accepts.push(Accept {
                            serial: row.serial.clone(),
                            state: c.required_state,
                            step,
                            drift,
                        });
                    }
                    Err(_) => results[i] = Some(Err(DbError::Failed("step out of range".into()))),
                },
                // A token that is nobody's yet (利用登録 and 交換 prove one) does not count failures: the one typing
                // may not be its owner, and must not be able to lock it (the typing contract counts them instead,
                // src/ib/proofs.rs `prove_new_token`).
                Decision::Reject { reason, .. }
                    if reason.counts() && c.required_state != TokenState::Issued =>
                {
                    let was_locked = row.locked;
                    row.fail_count += 1;
                    row.locked = was_locked || row.fail_count >= max;
                    let n = row.fail_count;
                    audits.push(audit(c, row, t, reason.code(), format!("failures {n}")));
                    if row.locked && !was_locked {
                        // This failure is the one that locked the token.
                        let mut lock = audit(c, row, t, "locked", "too many wrong codes".into());
                        lock.action = "lock".into();
                        audits.push(lock);
                    }
                    results[i] = Some(Ok(Validation::refused(
                        &row.serial,
                        Refusal::Code(reason),
                        Some(n),
                        row.locked,
                    )));
                    round.failures.push(Failure {
                        serial: row.serial.clone(),
                        fail_count: n,
                        locked: row.locked,
                    });
                }
                Decision::Reject { reason, .. } => {
                    audits.push(audit(c, row, t, reason.code(), String::new()));
                    results[i] = Some(Ok(Validation::refused(
                        &row.serial,
                        Refusal::Code(reason),
                        None,
                        row.locked,
                    )));
                }
            }
        }
        rounds.push(round);
    }
    Plan {
        results: results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(DbError::Failed("unfinished batch".into()))))
            .collect(),
        rounds,
        audits,
    }
}

/// The refusal of a batch whose updates changed other rows than its plan: it cannot happen while the batch holds
/// its rows, and if it ever does, the batch is rolled back and decided again.
fn changed_under_us() -> DbError {
    DbError::Busy("a token changed while its validations were decided".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit_in(bucket: &str, serial: &str, contract: Option<&str>) -> AuditRow {
        AuditRow {
            id: format!("{bucket}00000000{:016x}", rand::random::<u64>()),
            at: 0,
            actor: "api".into(),
            action: "validate".into(),
            serial: Some(serial.into()),
            contract_id: contract.map(String::from),
            result: "ok".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn a_batch_sends_only_the_bucket_rows_not_yet_committed() {
        let mut seen = BucketsSeen::default();
        let batch = [
            audit_in("0001a000", "S1", Some("C1")),
            audit_in("0001a000", "S1", Some("C1")),
        ];
        let fresh = seen.fresh(&batch);
        assert_eq!(fresh.len(), 2, "one serial row and one contract row: {fresh:?}");
        // Not committed (the batch failed): still fresh.
        assert_eq!(seen.fresh(&batch), fresh);
        seen.committed(fresh);
        assert!(seen.fresh(&batch).is_empty());
        assert_eq!(seen.fresh(&[audit_in("0001a000", "S2", None)]).len(), 1);
        // A newer bucket: its rows are fresh, and the older bucket's are forgotten (written again if need be).
        let next = [audit_in("0001a001", "S1", Some("C1"))];
        assert_eq!(seen.fresh(&next).len(), 2);
        seen.committed(seen.fresh(&next));
        assert!(seen.fresh(&next).is_empty());
        assert_eq!(seen.fresh(&batch).len(), 2);
    }
}
