//! Group commit for the validation hot path. Accepts and failure counts, each with its audit rows, are queued to
//! one writer task, which commits everything waiting in a single transaction: one `BEGIN`/`COMMIT` and one
//! multi-row audit `INSERT` per batch instead of per validation. Every operation keeps its own compare-and-set
//! `UPDATE`, run in queue order inside the transaction, so two accepts of the same step in one batch still give
//! one success; an operation's reply is sent only after the batch has committed.

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::db::AuditRow;
use crate::error::ApiError;

/// Most operations committed together.
const MAX_BATCH: usize = 256;

type AuditFn = Box<dyn FnOnce(i64, bool) -> Vec<AuditRow> + Send + Sync>;

enum Op {
    Accept {
        serial: String,
        state: String,
        step: i64,
        drift: i64,
        now: i64,
        audit: AuditRow,
        reply: oneshot::Sender<Result<bool, ApiError>>,
    },
    Failure {
        serial: String,
        max_failures: i64,
        now: i64,
        audit: Option<AuditFn>,
        reply: oneshot::Sender<Result<(i64, bool), ApiError>>,
    },
}

/// The handle the service uses; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Op>,
}

fn gone() -> ApiError {
    ApiError::Internal("the database writer stopped".into())
}

fn db_err(e: sqlx::Error) -> ApiError {
    ApiError::Internal(format!("database: {e}"))
}

impl Writer {
    /// Starts the writer task on `pool` (the database's write pool).
    pub fn start(pool: AnyPool) -> Writer {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(pool, rx));
        Writer { tx }
    }

    /// The compare-and-set of an accept with its audit row; true if this call won the step.
    pub async fn accept(
        &self,
        serial: &str,
        state: &str,
        step: i64,
        drift: i64,
        now: i64,
        audit: AuditRow,
    ) -> Result<bool, ApiError> {
        let (reply, rx) = oneshot::channel();
        let op = Op::Accept {
            serial: serial.into(),
            state: state.into(),
            step,
            drift,
            now,
            audit,
            reply,
        };
        self.tx.send(op).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Counts a failure (locking at `max_failures`) with the audit rows `audit(fail_count, locked)` makes.
    pub async fn failure(
        &self,
        serial: &str,
        max_failures: i64,
        now: i64,
        audit: impl FnOnce(i64, bool) -> Vec<AuditRow> + Send + Sync + 'static,
    ) -> Result<(i64, bool), ApiError> {
        let (reply, rx) = oneshot::channel();
        let op = Op::Failure {
            serial: serial.into(),
            max_failures,
            now,
            audit: Some(Box::new(audit)),
            reply,
        };
        self.tx.send(op).await.map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }
}

async fn run(pool: AnyPool, mut rx: mpsc::Receiver<Op>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut ops = std::mem::take(&mut batch);
        match commit(&pool, &mut ops).await {
            Ok(results) => {
                for (op, r) in ops.into_iter().zip(results) {
                    match (op, r) {
                        (Op::Accept { reply, .. }, Outcome::Accepted(won)) => {
                            let _ = reply.send(Ok(won));
                        }
                        (Op::Failure { reply, .. }, Outcome::Failed(n, locked)) => {
                            let _ = reply.send(Ok((n, locked)));
                        }
                        (Op::Accept { reply, .. }, _) => {
                            let _ = reply.send(Err(ApiError::Internal("writer outcome mismatch".into())));
                        }
                        (Op::Failure { reply, .. }, _) => {
                            let _ = reply.send(Err(ApiError::Internal("writer outcome mismatch".into())));
                        }
                    }
                }
            }
            Err(e) => {
                // Nothing of the batch was committed; every caller hears the failure.
                let msg = e.to_string();
                for op in ops {
                    let err = || ApiError::Internal(msg.clone());
                    match op {
                        Op::Accept { reply, .. } => {
                            let _ = reply.send(Err(err()));
                        }
                        Op::Failure { reply, .. } => {
                            let _ = reply.send(Err(err()));
                        }
                    }
                }
            }
        }
    }
}

enum Outcome {
    Accepted(bool),
    Failed(i64, bool),
}

/// Runs the batch in one transaction. Operations are taken in rounds: each round holds at most one operation per
/// token (the earliest queued; later ones wait for the next round, which sees its result), and costs one
/// statement for all its accepts and one for all its failures, whatever their number.
async fn commit(pool: &AnyPool, ops: &mut [Op]) -> Result<Vec<Outcome>, ApiError> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let mut outcomes: Vec<Option<Outcome>> = (0..ops.len()).map(|_| None).collect();
    let mut audits: Vec<AuditRow> = Vec::with_capacity(ops.len() + 4);
    while outcomes.iter().any(Option::is_none) {
        // This round: the first pending operation of each token.
        let mut seen = std::collections::HashSet::new();
        let round: Vec<usize> = (0..ops.len())
            .filter(|&i| outcomes[i].is_none())
            .filter(|&i| seen.insert(serial_of(&ops[i]).to_string()))
            .collect();
        let accepts: Vec<usize> = round
            .iter()
            .copied()
            .filter(|&i| matches!(ops[i], Op::Accept { .. }))
            .collect();
        let failures: Vec<usize> = round
            .iter()
            .copied()
            .filter(|&i| matches!(ops[i], Op::Failure { .. }))
            .collect();
        for chunk in accepts.chunks(200) {
            let won = accept_round(&mut tx, ops, chunk).await?;
            for &i in chunk {
                let ok = won.contains(serial_of(&ops[i]));
                if ok {
                    if let Op::Accept { audit, .. } = &ops[i] {
                        audits.push(audit.clone());
                    }
                }
                outcomes[i] = Some(Outcome::Accepted(ok));
            }
        }
        for chunk in failures.chunks(200) {
            let counts = failure_round(&mut tx, ops, chunk).await?;
            for &i in chunk {
                let (n, locked) = counts
                    .get(serial_of(&ops[i]))
                    .copied()
                    .ok_or_else(|| ApiError::Internal("a counted token vanished".into()))?;
                if let Op::Failure { audit, .. } = &mut ops[i] {
                    if let Some(make) = audit.take() {
                        audits.extend(make(n, locked));
                    }
                }
                outcomes[i] = Some(Outcome::Failed(n, locked));
            }
        }
    }
    crate::db::insert_audits(&mut tx, &audits).await?;
    tx.commit().await.map_err(db_err)?;
    outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| ApiError::Internal("unfinished batch".into())))
        .collect()
}

fn serial_of(op: &Op) -> &str {
    match op {
        Op::Accept { serial, .. } | Op::Failure { serial, .. } => serial,
    }
}

/// `$1, $2, …` groups for a VALUES list, each value cast so PostgreSQL knows its type (SQLite accepts the same
/// `CAST … AS` spelling).
fn values_list(rows: usize, types: &[&str]) -> String {
    (0..rows)
        .map(|r| {
            let cols: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(c, ty)| format!("CAST(${} AS {ty})", r * types.len() + c + 1))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One compare-and-set `UPDATE` for many tokens (one operation each); returns the serials that were accepted.
async fn accept_round(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ops: &[Op],
    idx: &[usize],
) -> Result<std::collections::HashSet<String>, ApiError> {
    let sql = format!(
        "WITH v(serial, step, drift, state, now) AS (VALUES {}) \
         UPDATE tokens SET last_step = v.step, drift = v.drift, fail_count = 0, updated_at = v.now FROM v \
         WHERE tokens.serial = v.serial AND tokens.state = v.state AND tokens.locked = 0 \
         AND (tokens.last_step IS NULL OR tokens.last_step < v.step) RETURNING tokens.serial",
        values_list(idx.len(), &["TEXT", "BIGINT", "BIGINT", "TEXT", "BIGINT"])
    );
    let mut q = sqlx::query(&sql);
    for &i in idx {
        if let Op::Accept {
            serial,
            state,
            step,
            drift,
            now,
            ..
        } = &ops[i]
        {
            q = q
                .bind(serial.as_str())
                .bind(*step)
                .bind(*drift)
                .bind(state.as_str())
                .bind(*now);
        }
    }
    let rows = q.fetch_all(&mut **tx).await.map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(db_err))
        .collect()
}

/// One `UPDATE` counting a failure for many tokens (one operation each, locking at each one's limit); returns
/// each token's count and lock after it.
async fn failure_round(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ops: &[Op],
    idx: &[usize],
) -> Result<std::collections::HashMap<String, (i64, bool)>, ApiError> {
    let sql = format!(
        "WITH v(serial, max_failures, now) AS (VALUES {}) \
         UPDATE tokens SET fail_count = tokens.fail_count + 1, \
         locked = CASE WHEN tokens.fail_count + 1 >= v.max_failures THEN 1 ELSE tokens.locked END, \
         updated_at = v.now FROM v WHERE tokens.serial = v.serial \
         RETURNING tokens.serial, tokens.fail_count, tokens.locked",
        values_list(idx.len(), &["TEXT", "BIGINT", "BIGINT"])
    );
    let mut q = sqlx::query(&sql);
    for &i in idx {
        if let Op::Failure {
            serial,
            max_failures,
            now,
            ..
        } = &ops[i]
        {
            q = q.bind(serial.as_str()).bind(*max_failures).bind(*now);
        }
    }
    let rows = q.fetch_all(&mut **tx).await.map_err(db_err)?;
    rows.iter()
        .map(|r| -> Result<(String, (i64, bool)), ApiError> {
            Ok((
                r.try_get::<String, _>(0).map_err(db_err)?,
                (
                    r.try_get::<i64, _>(1).map_err(db_err)?,
                    r.try_get::<i64, _>(2).map_err(db_err)? != 0,
                ),
            ))
        })
        .collect()
}
