//! The group-commit writer on PostgreSQL: a task on the server's runtime, one pooled connection per batch. The
//! batch's rows are read `FOR UPDATE` in serial order, and each round's updates are one statement for all its
//! accepts (a compare-and-set `UPDATE … FROM (VALUES …)`) and one for all its failures.

use std::collections::HashMap;
use std::sync::Arc;

use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::Policy;
use sqlx::{AnyPool, Row};
use tokio::sync::mpsc;

use super::{
    backoff, changed_under_us, plan, reply, Accept, BucketsSeen, Check, Failure, Op, MAX_BATCH, TRIES,
};
use crate::db::sql::{push_audit_rows, push_bucket_rows, token_row, BucketRow, Script, Val, TOKEN_COLS};
use crate::db::{db_err, DbError};
use crate::model::{now, TokenRow, Validation};

pub(super) async fn run(pool: AnyPool, master: Arc<MasterKey>, policy: Policy, mut rx: mpsc::Receiver<Op>) {
    let mut seen = BucketsSeen::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let ops = std::mem::take(&mut batch);
        let checks: Vec<&Check> = ops.iter().map(|o| &o.check).collect();
        let mut outcome = commit(&pool, &master, &policy, &checks, &mut seen).await;
        for attempt in 1..TRIES {
            if !matches!(outcome, Err(DbError::Busy(_))) {
                break;
            }
            // The aborted transaction changed nothing: decide the batch again on the state now committed.
            tracing::info!(attempt, "validation batch met another transaction; retrying");
            tokio::time::sleep(backoff(attempt)).await;
            outcome = commit(&pool, &master, &policy, &checks, &mut seen).await;
        }
        reply(ops, outcome);
    }
}

/// Runs one batch in one transaction on a connection of `pool`, committing it if it was decided and written, and
/// rolling it back otherwise.
async fn commit(
    pool: &AnyPool,
    master: &MasterKey,
    policy: &Policy,
    ops: &[&Check],
    seen: &mut BucketsSeen,
) -> Result<Vec<Result<Validation, DbError>>, DbError> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let outcome = match decide_and_write(&mut conn, master, policy, ops, seen).await {
        Ok((results, fresh)) => match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => {
                seen.committed(fresh);
                return Ok(results);
            }
            Err(e) => Err(db_err(e)),
        },
        Err(e) => Err(e),
    };
    if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
        // The connection's state is unknown (or no transaction had begun): do not give it back to the pool.
        drop(conn.detach());
    }
    outcome
}

/// One row an update returns: the statement's tag, the serial, and the token's failure count and lock after it.
type Changed = (i64, String, i64, bool);

async fn decide_and_write(
    conn: &mut sqlx::AnyConnection,
    master: &MasterKey,
    policy: &Policy,
    ops: &[&Check],
    seen: &BucketsSeen,
) -> Result<(Vec<Result<Validation, DbError>>, Vec<BucketRow>), DbError> {
    let t = now();
    let serials: Vec<&str> = ops.iter().map(|c| c.serial.as_str()).collect();
    let mut read = Script::new();
    read.push("BEGIN".to_string(), Vec::new());
    push_tokens_in(&mut read, &serials);
    let mut rows: HashMap<String, TokenRow> = HashMap::with_capacity(ops.len());
    for r in read.run(conn).await? {
        let row = token_row(&r).map_err(db_err)?;
        rows.insert(row.serial.clone(), row);
    }

    let plan = plan(&mut rows, ops, t, master, policy);
    let mut write = Script::new();
    let mut expected: Vec<Changed> = Vec::new();
    for (tag, round) in (0..).step_by(2).zip(&plan.rounds) {
        push_accepts(&mut write, tag, &round.accepts, t);
        push_failures(
            &mut write,
            tag + 1,
            &round.failures,
            i64::from(policy.max_failures),
            t,
        );
        expected.extend(round.accepts.iter().map(|a| (tag, a.serial.clone(), 0, false)));
        expected.extend(
            round
                .failures
                .iter()
                .map(|f| (tag + 1, f.serial.clone(), f.fail_count, f.locked)),
        );
    }
    push_audit_rows(&mut write, &plan.audits);
    // The audit rows' bucket rows (migration 0003) that this writer has not committed yet.
    let fresh = seen.fresh(&plan.audits);
    push_bucket_rows(&mut write, &fresh);
    let mut changed = Vec::with_capacity(expected.len());
    for r in write.run(conn).await? {
        changed.push((
            r.try_get::<i64, _>(0).map_err(db_err)?,
            r.try_get::<String, _>(1).map_err(db_err)?,
            r.try_get::<i64, _>(2).map_err(db_err)?,
            r.try_get::<i64, _>(3).map_err(db_err)? != 0,
        ));
    }
    changed.sort_unstable();
    expected.sort_unstable();
    if changed != expected {
        return Err(changed_under_us());
    }
    Ok((plan.results, fresh))
}

/// Adds the `SELECT … FOR UPDATE` of the tokens with these serials (500 per statement). The rows are locked in
/// serial order, so two server instances' batches queue instead of deadlocking.
fn push_tokens_in(script: &mut Script, serials: &[&str]) {
    let mut sorted = serials.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for chunk in sorted.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        script.push(
            format!(
                "SELECT {TOKEN_COLS} FROM tokens WHERE serial IN ({}) ORDER BY serial FOR UPDATE",
                marks.join(", ")
            ),
            chunk.iter().map(|s| Val::Text((*s).to_string())).collect(),
        );
    }
}

/// The groups of a VALUES list, placeholders numbered from `$first`, each value cast so PostgreSQL knows its type.
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

/// What the updates return, tagged with their round (see [`Changed`]).
fn returning(tag: i64) -> String {
    format!("RETURNING CAST({tag} AS BIGINT) AS tag, tokens.serial, tokens.fail_count, tokens.locked")
}

/// Adds one compare-and-set `UPDATE` for a round's accepts, per 200.
fn push_accepts(script: &mut Script, tag: i64, accepts: &[Accept], now: i64) {
    for chunk in accepts.chunks(200) {
        let mut args = vec![Val::Int(now)];
        for a in chunk {
            args.push(Val::Text(a.serial.clone()));
            args.push(Val::Int(a.step));
            args.push(Val::Int(a.drift));
            args.push(Val::Text(a.state.as_str().to_string()));
        }
        script.push(
            format!(
                "WITH v(serial, step, drift, state) AS (VALUES {}) \
                 UPDATE tokens SET last_step = v.step, drift = v.drift, fail_count = 0, \
                 updated_at = CAST($1 AS BIGINT) \
                 FROM v WHERE tokens.serial = v.serial AND tokens.state = v.state AND tokens.locked = 0 \
                 AND (tokens.last_step IS NULL OR tokens.last_step < v.step) {}",
                values_list(chunk.len(), &["TEXT", "BIGINT", "BIGINT", "TEXT"], 2),
                returning(tag)
            ),
            args,
        );
    }
}

/// Adds one `UPDATE` counting a failure for a round's tokens, locking at `max`, per 400.
fn push_failures(script: &mut Script, tag: i64, failures: &[Failure], max: i64, now: i64) {
    for chunk in failures.chunks(400) {
        let mut args = vec![Val::Int(max), Val::Int(now)];
        args.extend(chunk.iter().map(|f| Val::Text(f.serial.clone())));
        script.push(
            format!(
                "WITH v(serial) AS (VALUES {}) \
                 UPDATE tokens SET fail_count = tokens.fail_count + 1, \
                 locked = CASE WHEN tokens.fail_count + 1 >= CAST($1 AS BIGINT) THEN 1 \
                 ELSE tokens.locked END, updated_at = CAST($2 AS BIGINT) \
                 FROM v WHERE tokens.serial = v.serial {}",
                values_list(chunk.len(), &["TEXT"], 3),
                returning(tag)
            ),
            args,
        );
    }
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
