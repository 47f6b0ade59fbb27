//! The database: one schema and one set of queries for SQLite (embedded default) and PostgreSQL, through
//! sqlx's `Any` driver. Every state change that must not race is a single conditional `UPDATE` whose affected-row
//! count says whether it won.

//!
//! One file per table group: `tokens.rs` (tokens and activation codes), `customers.rs`, `lockouts.rs` (the
//! customers' failure counters), `audit.rs`, `sessions.rs`; `sql.rs` holds the statements they share with the
//! validation writer. Every function returns [`DbError`], which the HTTP edge turns into its answer.

use std::str::FromStr;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

mod audit;
mod customers;
pub mod lockouts;
mod sessions;
pub(crate) mod sql;
mod tokens;

pub use audit::{audit_bucket, audit_sql, AuditFilter};
pub use sessions::SESSION_MAX_SECONDS;

/// Embedded migrations (`migrations/`), the same for both databases.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What `Db::insert_token_audited` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored (bound to this contract, if an activation code named one).
    Done(Option<String>),
    /// The serial exists already: nothing stored; try another.
    SerialTaken,
    /// The activation code is wrong, used or expired: nothing stored.
    CodeUnusable,
}

/// Reads go to `pool`; every write goes to `writer`, except the validations' (the group-commit writer,
/// `writer/`, which on SQLite has a connection of its own, on `sqlite_file`). On SQLite the writer pool is a
/// single connection, so the pages' and admin writes queue fairly in the async pool instead of contending for
/// SQLite's one write lock (whose busy handler sleeps); on PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    writer: AnyPool,
    sqlite_file: Option<std::path::PathBuf>,
    pub kind: DbKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// The partial unique index (migration 0002) that allows a contract one active token.
const ONE_ACTIVE_INDEX: &str = "tokens_one_active";

/// What went wrong in the database. The messages name no secret and no value of a row.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The contract would get a second token in use (the partial unique index of migration 0002).
    #[error(
        "the contract already has a token in use: exchange it (交換) or stop it (利用停止) first, \
         or have the bank revoke it"
    )]
    HasActiveToken,
    /// No token has the serial a validation named.
    #[error("no token has this serial number")]
    UnknownSerial,
    /// The database gave up on a transaction that met another (PostgreSQL deadlock 40P01 or serialization
    /// failure 40001, SQLite busy), or a batch's rows changed under it: nothing was changed; worth retrying.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The database URL names no database this server supports, or an in-memory one.
    #[error("{0}")]
    Url(String),
    /// The database could not be opened, migrated or reached, or refused a statement.
    #[error("database: {0}")]
    Failed(String),
}

/// A database error as [`DbError`]: the one-active-token rule is `HasActiveToken`, a deadlock or serialization
/// failure (worth retrying) is `Busy`, anything else `Failed`.
pub(crate) fn db_err(e: sqlx::Error) -> DbError {
    if let sqlx::Error::Database(d) = &e {
        // PostgreSQL names the index; SQLite names its column.
        if d.is_unique_violation()
            && (d.constraint() == Some(ONE_ACTIVE_INDEX) || d.message().contains("tokens.contract_id"))
        {
            return DbError::HasActiveToken;
        }
        if matches!(d.code().as_deref(), Some("40P01" | "40001")) {
            return DbError::Busy(d.message().to_string());
        }
    }
    DbError::Failed(e.to_string())
}

impl Db {
    /// Connects (creating the SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbKind::Postgres
        } else if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else {
            return Err(DbError::Url(format!(
                "unsupported database URL '{}': use sqlite:PATH or postgres://…",
                url.split('@').next_back().unwrap_or("")
            )));
        };
        let mut sqlite_file = None;
        let (pool, writer) = match kind {
            DbKind::Sqlite => {
                // WAL lets readers run beside the one writer; NORMAL sync is durable across application crashes
                // and loses at most the last transactions on power loss, as SQLite documents for WAL.
                // A new database gets 1 KiB pages instead of 4 KiB: a validation changes its token row, at a
                // scattered place in the token table, and every changed page is a frame in the WAL, so smaller
                // pages write a quarter of the bytes (docs/benchmarks-history.md, session 7). An existing database keeps its
                // page size.
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(db_err)?
                    .create_if_missing(true)
                    .page_size(1024)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
                if opts.get_filename() == std::path::Path::new(":memory:") {
                    return Err(DbError::Url(
                        "an in-memory SQLite database cannot be shared by the server's connections: give a file, \
                         sqlite:PATH"
                            .into(),
                    ));
                }
                sqlite_file = Some(opts.get_filename().to_path_buf());
                crate::files::private_database(opts.get_filename())
                    .map_err(|e| DbError::Failed(e.to_string()))?;
                // Create the file through the SQLite driver, then use the same URL through Any.
                let pool = sqlx::SqlitePool::connect_with(opts).await.map_err(db_err)?;
                pool.close().await;
                let any_url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let make = |n: u32| {
                    // A local file needs no liveness ping before each use (a round trip to the connection's thread).
                    AnyPoolOptions::new()
                        .max_connections(n)
                        .test_before_acquire(false)
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                use sqlx::Executor;
                                conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; \
                                 PRAGMA busy_timeout=10000;",
                            )
                            .await?;
                                Ok(())
                            })
                        })
                };
                let readers = make(8).connect(&any_url).await.map_err(db_err)?;
                let writer = make(1).connect(&any_url).await.map_err(db_err)?;
                (readers, writer)
            }
            DbKind::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .connect(url)
                    .await
                    .map_err(db_err)?;
                (pool.clone(), pool)
            }
        };
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| DbError::Failed(format!("migrations: {e}")))?;
        Ok(Db {
            pool,
            writer,
            sqlite_file,
            kind,
        })
    }
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The SQLite file the validations' writer opens a connection of its own on (`None` on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The pool every write but the validations' goes through.
    pub fn writer_pool(&self) -> &AnyPool {
        &self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_sqlite_database_has_small_pages_and_a_wal() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("new.db").display())).await?;
        let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(db.pool())
            .await?;
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(db.pool())
            .await?;
        assert_eq!((page_size, journal.as_str()), (1024, "wal"));
        Ok(())
    }
}
