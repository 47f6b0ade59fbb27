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

type AuditFn = Box<dyn FnOnce(i64, bool) -> Vec<AuditRow> + Send>;

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
        audit: impl FnOnce(i64, bool) -> Vec<AuditRow> + Send + 'static,
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

/// Runs the batch in one transaction: each operation's own `UPDATE` in queue order, then all audit rows.
async fn commit(pool: &AnyPool, ops: &mut [Op]) -> Result<Vec<Outcome>, ApiError> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let mut outcomes = Vec::with_capacity(ops.len());
    let mut audits: Vec<AuditRow> = Vec::with_capacity(ops.len() + 4);
    for op in ops.iter_mut() {
        match op {
            Op::Accept {
                serial,
                state,
                step,
                drift,
                now,
                audit,
                ..
            } => {
                let r = sqlx::query(
                    "UPDATE tokens SET last_step = $1, drift = $2, fail_count = 0, updated_at = $3 \
                     WHERE serial = $4 AND state = $5 AND locked = 0 AND (last_step IS NULL OR last_step < $1)",
                )
                .bind(*step)
                .bind(*drift)
                .bind(*now)
                .bind(serial.as_str())
                .bind(state.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let won = r.rows_affected() == 1;
                if won {
                    audits.push(audit.clone());
                }
                outcomes.push(Outcome::Accepted(won));
            }
            Op::Failure {
                serial,
                max_failures,
                now,
                audit,
                ..
            } => {
                let row = sqlx::query(
                    "UPDATE tokens SET fail_count = fail_count + 1, \
                     locked = CASE WHEN fail_count + 1 >= $1 THEN 1 ELSE locked END, updated_at = $2 \
                     WHERE serial = $3 RETURNING fail_count, locked",
                )
                .bind(*max_failures)
                .bind(*now)
                .bind(serial.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let n: i64 = row.try_get("fail_count").map_err(db_err)?;
                let locked = row.try_get::<i64, _>("locked").map_err(db_err)? != 0;
                if let Some(make) = audit.take() {
                    audits.extend(make(n, locked));
                }
                outcomes.push(Outcome::Failed(n, locked));
            }
        }
    }
    crate::db::insert_audits(&mut tx, &audits).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(outcomes)
}
