//! The group-commit writer on SQLite: a thread of its own with a connection of its own (rusqlite), on which a
//! whole batch runs synchronously with cached one-row statements. Nothing inside a batch waits for another thread.
//! The internet-banking pages and the admin API write through sqlx's one-connection writer pool; the two
//! connections take turns at SQLite's write lock (`BEGIN IMMEDIATE`; this side retries every 200 µs, for up to
//! 10 s).
//!
//! A second thread, the checkpointer, copies the WAL back into the database file every 100 ms. Left to SQLite,
//! the writer's commit that filled the WAL to 1,000 pages did that copy and its two fsyncs itself, holding every
//! validation queued behind it for 10-25 ms.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use softtoken_core::sealed::MasterKey;
use softtoken_core::validation::Policy;
use tokio::sync::mpsc;

use super::{backoff, changed_under_us, plan, reply, BucketsSeen, Check, Op, MAX_BATCH, TRIES};
use crate::db::sql::{insert_bucket_sql, token_row_from, TOKEN_COLS};
use crate::db::DbError;
use crate::model::{now, TokenRow, Validation};

/// Starts the checkpointer, and then the writer, each on a thread of its own. The writer's connection never
/// checkpoints by itself, so it does not start without the checkpointer; when it ends, so does the checkpointer.
pub(super) fn start(
    path: PathBuf,
    master: Arc<MasterKey>,
    policy: Policy,
    rx: mpsc::Receiver<Op>,
) -> std::io::Result<()> {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let file = path.clone();
    std::thread::Builder::new()
        .name("softtoken-checkpoint".into())
        .spawn(move || checkpointer(&file, &stopped))?;
    std::thread::Builder::new()
        .name("softtoken-writer".into())
        .spawn(move || {
            let _stop = stop;
            run(&path, &master, &policy, rx);
        })?;
    Ok(())
}

fn run(path: &Path, master: &MasterKey, policy: &Policy, mut rx: mpsc::Receiver<Op>) {
    let mut conn: Option<Connection> = None;
    let mut seen = BucketsSeen::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
        let ops = std::mem::take(&mut batch);
        let checks: Vec<&Check> = ops.iter().map(|o| &o.check).collect();
        let mut outcome = commit(&mut conn, path, master, policy, &checks, &mut seen);
        for attempt in 1..TRIES {
            if !matches!(outcome, Err(DbError::Busy(_))) {
                break;
            }
            tracing::info!(attempt, "validation batch met another transaction; retrying");
            std::thread::sleep(backoff(attempt));
            outcome = commit(&mut conn, path, master, policy, &checks, &mut seen);
        }
        reply(ops, outcome);
    }
}

/// A database error as the API reports it: a busy or locked database (another writer held the lock for longer
/// than the busy timeout) is `Busy`, worth retrying; anything else is internal.
fn sql_err(e: rusqlite::Error) -> DbError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            DbError::Busy(e.to_string())
        }
        _ => DbError::Failed(e.to_string()),
    }
}

fn open(path: &Path) -> Result<Connection, DbError> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_handler(Some(wait_for_lock)).map_err(sql_err)?;
    // As the sqlx connections (db.rs): WAL, NORMAL sync, foreign keys. The checkpointer thread copies the WAL
    // back into the database, so this connection's commits do not wait for that copy and its fsyncs.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; \
         PRAGMA wal_autocheckpoint=0;",
    )
    .map_err(sql_err)?;
    Ok(conn)
}

/// Called by SQLite while another connection holds a lock this one needs (the other writer, a restarting
/// checkpoint): waits 200 µs and tries again, for up to 10 s. SQLite's own busy timeout sleeps 1, 2, 5, 10, 15,
/// 20 … ms between tries, so a lock held for 2 ms could cost the whole batch 8 ms or more.
fn wait_for_lock(tries: i32) -> bool {
    if tries >= 50_000 {
        return false;
    }
    std::thread::sleep(Duration::from_micros(200));
    true
}

/// The WAL size beyond which the checkpointer makes the writer wait, once, for a checkpoint of the whole WAL,
/// after which the WAL starts again from its beginning: the passive checkpoints did not keep up.
const WAL_RESTART_BYTES: i64 = 64 << 20;

/// [`WAL_RESTART_BYTES`] in WAL frames (one page each) of a database with pages of `page_size` bytes: 65,536
/// frames for the 1 KiB pages of a database created by this server, 16,384 for SQLite's default of 4 KiB.
fn restart_frames(page_size: i64) -> i64 {
    WAL_RESTART_BYTES / page_size.max(512)
}

/// Checkpoints the WAL every 100 ms until `stop` is dropped. A passive checkpoint copies what the writer has
/// committed while the writer goes on.
fn checkpointer(path: &Path, stop: &std::sync::mpsc::Receiver<()>) {
    let mut conn: Option<(Connection, i64)> = None;
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(Duration::from_millis(100))
    {
        let (c, limit) = match &mut conn {
            Some((c, limit)) => (&*c, *limit),
            None => match open(path).and_then(|c| {
                let page_size = c
                    .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
                    .map_err(sql_err)?;
                Ok((c, restart_frames(page_size)))
            }) {
                Ok(opened) => {
                    let (c, limit) = conn.insert(opened);
                    (&*c, *limit)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "checkpointer cannot open the database");
                    continue;
                }
            },
        };
        // The columns: busy (0 or 1), frames in the WAL, frames checkpointed.
        let checkpoint = |mode: &str| {
            c.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                r.get::<_, i64>(1)
            })
        };
        match checkpoint("PASSIVE") {
            Ok(frames) if frames > limit => {
                let started = std::time::Instant::now();
                match checkpoint("RESTART") {
                    Ok(_) => tracing::debug!(
                        frames,
                        took_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                        "the WAL is restarted"
                    ),
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// Runs one batch in one transaction, opening the connection first if there is none. After a failure the
/// connection is kept only if it is out of its transaction.
fn commit(
    conn: &mut Option<Connection>,
    path: &Path,
    master: &MasterKey,
    policy: &Policy,
    ops: &[&Check],
    seen: &mut BucketsSeen,
) -> Result<Vec<Result<Validation, DbError>>, DbError> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(open(path)?),
    };
    let outcome = decide_and_write(c, master, policy, ops, seen);
    if outcome.is_err() && !c.is_autocommit() {
        *conn = None;
    }
    outcome
}

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(token_row_from!(r, get))
}

fn decide_and_write(
    conn: &mut Connection,
    master: &MasterKey,
    policy: &Policy,
    ops: &[&Check],
    seen: &mut BucketsSeen,
) -> Result<Vec<Result<Validation, DbError>>, DbError> {
    // Dropped without a commit (any `?` below), the transaction rolls back.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_err)?;
    let t = now();
    let mut rows: HashMap<String, TokenRow> = HashMap::with_capacity(ops.len());
    {
        let mut read = tx
            .prepare_cached(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE serial = ?1"))
            .map_err(sql_err)?;
        for c in ops {
            if !rows.contains_key(&c.serial) {
                if let Some(row) = read
                    .query_row([&c.serial], token_row)
                    .optional()
                    .map_err(sql_err)?
                {
                    rows.insert(row.serial.clone(), row);
                }
            }
        }
    }

    let plan = plan(&mut rows, ops, t, master, policy);
    let fresh = seen.fresh(&plan.audits);
    {
        let mut accept = tx
            .prepare_cached(
                "UPDATE tokens SET last_step = ?2, drift = ?3, fail_count = 0, updated_at = ?5 \
                 WHERE serial = ?1 AND state = ?4 AND locked = 0 AND (last_step IS NULL OR last_step < ?2)",
            )
            .map_err(sql_err)?;
        let mut fail = tx
            .prepare_cached(
                "UPDATE tokens SET fail_count = fail_count + 1, \
                 locked = CASE WHEN fail_count + 1 >= ?2 THEN 1 ELSE locked END, updated_at = ?3 \
                 WHERE serial = ?1 RETURNING fail_count, locked",
            )
            .map_err(sql_err)?;
        let max = i64::from(policy.max_failures);
        for round in &plan.rounds {
            for a in &round.accepts {
                let n = accept
                    .execute(params![a.serial, a.step, a.drift, a.state.as_str(), t])
                    .map_err(sql_err)?;
                if n != 1 {
                    return Err(changed_under_us());
                }
            }
            for f in &round.failures {
                let (n, locked): (i64, i64) = fail
                    .query_row(params![f.serial, max, t], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(sql_err)?;
                if (n, locked != 0) != (f.fail_count, f.locked) {
                    return Err(changed_under_us());
                }
            }
        }
        let mut audit = tx
            .prepare_cached(
                "INSERT INTO audit (id, at, actor, action, serial, contract_id, result, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(sql_err)?;
        for a in &plan.audits {
            audit
                .execute(params![
                    a.id,
                    a.at,
                    a.actor,
                    a.action,
                    a.serial,
                    a.contract_id,
                    a.result,
                    a.detail
                ])
                .map_err(sql_err)?;
        }
        // The audit rows' bucket rows (migration 0003) that this writer has not committed yet.
        for (contract, key, bucket) in &fresh {
            tx.prepare_cached(insert_bucket_sql(*contract))
                .map_err(sql_err)?
                .execute(params![key, bucket])
                .map_err(sql_err)?;
        }
    }
    tx.commit().map_err(sql_err)?;
    seen.committed(fresh);
    Ok(plan.results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpointer_copies_the_writers_wal_into_the_database() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.db");
        // A connection as the writer's: it never checkpoints by itself.
        let conn = open(&path)?;
        conn.execute_batch("CREATE TABLE t (x BLOB)")?;
        for _ in 0..100 {
            conn.execute("INSERT INTO t VALUES (zeroblob(4000))", [])?;
        }
        let in_wal = std::fs::metadata(&path)?.len();
        assert!(
            in_wal < 100 * 4000,
            "the rows are still only in the WAL: {in_wal} bytes"
        );

        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let file = path.clone();
        let checkpointer = std::thread::spawn(move || checkpointer(&file, &stopped));
        let mut copied = in_wal;
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(50));
            copied = std::fs::metadata(&path)?.len();
            if copied >= 100 * 4000 {
                break;
            }
        }
        drop(stop);
        assert!(checkpointer.join().is_ok(), "the checkpointer ends when told");
        assert!(
            copied >= 100 * 4000,
            "the database file holds the rows: {copied} bytes"
        );
        let rows: i64 = conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(rows, 100);
        Ok(())
    }

    #[test]
    fn the_wal_restarts_at_the_same_size_whatever_the_page_size() {
        assert_eq!(restart_frames(1024), 65_536);
        assert_eq!(restart_frames(4096), 16_384);
        assert_eq!(restart_frames(65_536), 1_024);
        assert_eq!(
            restart_frames(0),
            131_072,
            "a nonsense page size still gives a bound"
        );
    }
}
