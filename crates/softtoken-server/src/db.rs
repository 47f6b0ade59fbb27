//! The database: one schema and one set of queries for SQLite (embedded default) and PostgreSQL, through
//! sqlx's `Any` driver. Every state change that must not race is a single conditional `UPDATE` whose affected-row
//! count says whether it won.

use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::error::ApiError;

pub mod lockouts;

/// Embedded migrations (`migrations/`), the same for both databases.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A token row, seed still sealed.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub serial: String,
    pub contract_id: Option<String>,
    pub state: String,
    pub seed_sealed: String,
    pub algorithm: String,
    pub digits: i64,
    pub period: i64,
    pub last_step: Option<i64>,
    pub drift: i64,
    pub fail_count: i64,
    pub locked: bool,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A customer row. `Debug` shows neither password hash.
#[derive(Clone)]
pub struct CustomerRow {
    pub contract_id: String,
    pub name: String,
    pub password_hash: String,
    pub transfer_password_hash: String,
    pub login_otp: bool,
    /// Too many wrong transfer passwords: locked until the bank unlocks it (db/lockouts.rs).
    pub transfer_locked: bool,
    /// Wrong proofs of a new token in a row (利用登録, 交換): at `lockouts::MAX_REGISTER_FAILURES` they wait for the
    /// bank.
    pub register_failures: i64,
}

impl std::fmt::Debug for CustomerRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerRow")
            .field("contract_id", &self.contract_id)
            .field("login_otp", &self.login_otp)
            .finish_non_exhaustive()
    }
}

/// An audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub serial: Option<String>,
    pub contract_id: Option<String>,
    pub result: String,
    pub detail: String,
}

/// What the admin audit query matches; `None` matches any value.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    pub serial: Option<&'a str>,
    pub contract_id: Option<&'a str>,
    pub action: Option<&'a str>,
    /// Only rows older than this audit id: the last id of the previous page.
    pub before: Option<&'a str>,
}

/// The SQL of one read of `Db::audit_query`, and the values to bind in order; the limit is bound after them.
/// Only the filters given appear. With `bucket` (its first id and the next bucket's), the read is that range
/// of the primary key; without, the primary key newest first (`before` is a range of it too). Either way the
/// rows come in id order, with no sort.
pub fn audit_sql<'a>(
    f: &AuditFilter<'a>,
    bucket: Option<(&'a str, Option<&'a str>)>,
) -> (String, Vec<&'a str>) {
    let mut conditions: Vec<(&str, &'a str)> = Vec::new();
    if let Some((first, next)) = bucket {
        conditions.push(("id >=", first));
        conditions.extend(next.map(|n| ("id <", n)));
    }
    conditions.extend(
        [
            ("serial =", f.serial),
            ("contract_id =", f.contract_id),
            ("action =", f.action),
            ("id <", f.before),
        ]
        .into_iter()
        .filter_map(|(c, v)| Some((c, v?))),
    );
    let terms: Vec<String> = (1..)
        .zip(&conditions)
        .map(|(n, (c, _))| format!("{c} ${n}"))
        .collect();
    let values: Vec<&'a str> = conditions.into_iter().map(|(_, v)| v).collect();
    let filter = if terms.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", terms.join(" AND "))
    };
    (
        format!(
            "SELECT id, at, actor, action, serial, contract_id, result, detail FROM audit{filter} \
             ORDER BY id DESC LIMIT ${}",
            values.len() + 1
        ),
        values,
    )
}

/// A session row. `Debug` shows neither the session id (the cookie) nor the CSRF token.
#[derive(Clone)]
pub struct SessionRow {
    pub id: String,
    pub contract_id: Option<String>,
    pub csrf: String,
    pub stage: String,
    pub data: String,
    pub lang: String,
    pub expires_at: i64,
    /// When the session started (its login), Unix seconds: it ends [`SESSION_MAX_SECONDS`] later at the latest.
    pub started_at: i64,
}

/// The longest an internet-banking session lasts, however active (the idle limit is shorter).
pub const SESSION_MAX_SECONDS: i64 = 2 * 60 * 60;

/// What the sessions table stores for a session id: its SHA-256, so that a copy of the database opens no session.
fn session_key(id: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(id.as_bytes()))
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("contract_id", &self.contract_id)
            .field("stage", &self.stage)
            .field("lang", &self.lang)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

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

/// States a token moves through.
pub mod state {
    pub const ISSUED: &str = "issued";
    pub const ACTIVE: &str = "active";
    pub const REPLACED: &str = "replaced";
    pub const STOPPED: &str = "stopped";
    pub const REVOKED: &str = "revoked";
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

/// The refusal when a contract would get a second token in use.
pub fn has_active_token() -> ApiError {
    ApiError::conflict(
        "has_active_token",
        "the contract already has a token in use: exchange it (交換) or stop it (利用停止) first, \
         or have the bank revoke it",
    )
}

/// A database error as the API reports it: the one-active-token rule is a 409, a deadlock or serialization
/// failure (PostgreSQL 40P01 / 40001, worth retrying) is `Busy`, anything else is internal.
pub(crate) fn db_err(e: sqlx::Error) -> ApiError {
    if let sqlx::Error::Database(d) = &e {
        // PostgreSQL names the index; SQLite names its column.
        if d.is_unique_violation()
            && (d.constraint() == Some(ONE_ACTIVE_INDEX) || d.message().contains("tokens.contract_id"))
        {
            return has_active_token();
        }
        if matches!(d.code().as_deref(), Some("40P01" | "40001")) {
            return ApiError::Busy(d.message().to_string());
        }
    }
    ApiError::Internal(format!("database: {e}"))
}

pub(crate) const TOKEN_COLS: &str =
    "serial, contract_id, state, seed_sealed, algorithm, digits, period, last_step, drift, \
                          fail_count, locked, source, created_at, updated_at";

/// A [`TokenRow`] from a row of `SELECT {TOKEN_COLS}`, `$get` being the row's getter by column name: sqlx's
/// `try_get` in [`token_row`], rusqlite's `get` in the SQLite writer. One list of the fields for both.
macro_rules! token_row_from {
    ($r:expr, $get:ident) => {
        $crate::db::TokenRow {
            serial: $r.$get("serial")?,
            contract_id: $r.$get("contract_id")?,
            state: $r.$get("state")?,
            seed_sealed: $r.$get("seed_sealed")?,
            algorithm: $r.$get("algorithm")?,
            digits: $r.$get("digits")?,
            period: $r.$get("period")?,
            last_step: $r.$get("last_step")?,
            drift: $r.$get("drift")?,
            fail_count: $r.$get("fail_count")?,
            locked: {
                let locked: i64 = $r.$get("locked")?;
                locked != 0
            },
            source: $r.$get("source")?,
            created_at: $r.$get("created_at")?,
            updated_at: $r.$get("updated_at")?,
        }
    };
}
pub(crate) use token_row_from;

pub(crate) fn token_row(r: &AnyRow) -> Result<TokenRow, sqlx::Error> {
    Ok(token_row_from!(r, try_get))
}

/// `INSERT` of a token row (skipped if the serial exists); returns the rows inserted (0 or 1).
async fn insert_token_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    t: &TokenRow,
) -> Result<u64, ApiError> {
    let r = sqlx::query(
        "INSERT INTO tokens (serial, contract_id, state, seed_sealed, algorithm, digits, period, last_step, drift, \
         fail_count, locked, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (serial) DO NOTHING",
    )
    .bind(&t.serial)
    .bind(&t.contract_id)
    .bind(&t.state)
    .bind(&t.seed_sealed)
    .bind(&t.algorithm)
    .bind(t.digits)
    .bind(t.period)
    .bind(t.last_step)
    .bind(t.drift)
    .bind(t.fail_count)
    .bind(i64::from(t.locked))
    .bind(&t.source)
    .bind(t.created_at)
    .bind(t.updated_at)
    .execute(e)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// A value bound to one of a [`Script`]'s placeholders.
#[derive(Clone)]
pub(crate) enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

/// Statements built with their values and run in order on one connection, returning every row they return.
pub(crate) struct Script {
    stmts: Vec<(String, Vec<Val>)>,
}

impl Script {
    pub(crate) fn new() -> Script {
        Script { stmts: Vec::new() }
    }

    /// Adds a statement whose placeholders `$1`, `$2` … take `args` in order.
    pub(crate) fn push(&mut self, sql: String, args: Vec<Val>) {
        self.stmts.push((sql, args));
    }

    /// Runs the statements in order. Their SQL varies with the number of rows, so it is not kept in the
    /// connection's statement cache.
    pub(crate) async fn run(self, conn: &mut sqlx::AnyConnection) -> Result<Vec<AnyRow>, ApiError> {
        let mut rows = Vec::new();
        for (sql, args) in self.stmts {
            let mut q = sqlx::query(&sql).persistent(false);
            for v in args {
                q = match v {
                    Val::Text(t) => q.bind(t),
                    Val::OptText(t) => q.bind(t),
                    Val::Int(i) => q.bind(i),
                };
            }
            rows.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
        }
        Ok(rows)
    }
}

/// Adds a multi-row `INSERT` per 100 audit rows, then their bucket rows (migration 0003).
pub(crate) fn push_audits(script: &mut Script, rows: &[AuditRow]) {
    push_audit_rows(script, rows);
    push_bucket_rows(script, &bucket_rows(rows));
}

/// Adds a multi-row `INSERT` per 100 audit rows.
pub(crate) fn push_audit_rows(script: &mut Script, rows: &[AuditRow]) {
    for chunk in rows.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let marks: Vec<String> = (1..=8).map(|c| format!("${}", i * 8 + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        script.push(
            format!(
                "INSERT INTO audit (id, at, actor, action, serial, contract_id, result, detail) VALUES {}",
                values.join(", ")
            ),
            chunk
                .iter()
                .flat_map(|a| {
                    [
                        Val::Text(a.id.clone()),
                        Val::Int(a.at),
                        Val::Text(a.actor.clone()),
                        Val::Text(a.action.clone()),
                        Val::OptText(a.serial.clone()),
                        Val::OptText(a.contract_id.clone()),
                        Val::Text(a.result.clone()),
                        Val::Text(a.detail.clone()),
                    ]
                })
                .collect(),
        );
    }
}

/// A bucket row (migration 0003): whether it is a contract's (else a serial's), the serial or contract ID,
/// and the bucket.
pub(crate) type BucketRow = (bool, String, String);

/// The bucket rows of these audit rows, each once.
pub(crate) fn bucket_rows(rows: &[AuditRow]) -> Vec<BucketRow> {
    let pairs = rows.iter().flat_map(|a| {
        let bucket = audit_bucket(&a.id);
        [(false, &a.serial), (true, &a.contract_id)]
            .into_iter()
            .filter_map(move |(contract, key)| Some((contract, key.clone()?, bucket.to_string())))
    });
    let set: std::collections::BTreeSet<BucketRow> = pairs.collect();
    set.into_iter().collect()
}

/// Adds a multi-row `INSERT … ON CONFLICT DO NOTHING` per 200 bucket rows of each table.
pub(crate) fn push_bucket_rows(script: &mut Script, rows: &[BucketRow]) {
    for (contract, table, column) in [
        (false, "audit_serial_buckets", "serial"),
        (true, "audit_contract_buckets", "contract_id"),
    ] {
        let keys: Vec<&BucketRow> = rows.iter().filter(|r| r.0 == contract).collect();
        for chunk in keys.chunks(200) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            script.push(
                format!(
                    "INSERT INTO {table} ({column}, bucket) VALUES {} ON CONFLICT DO NOTHING",
                    marks.join(", ")
                ),
                chunk
                    .iter()
                    .flat_map(|(_, k, b)| [Val::Text(k.clone()), Val::Text(b.clone())])
                    .collect(),
            );
        }
    }
}

/// A new activation code of `contract_id`, which revokes the contract's earlier unused ones: only the code the
/// bank handed out last can provision (a reissue after a lost letter or QR leaves nothing else valid). Returns how
/// many were revoked.
async fn insert_activation_on(
    conn: &mut sqlx::AnyConnection,
    code_hash: &str,
    contract_id: &str,
    expires_at: i64,
) -> Result<u64, ApiError> {
    let revoked = sqlx::query("DELETE FROM activation_codes WHERE contract_id = $1 AND used_at IS NULL")
        .bind(contract_id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    sqlx::query("INSERT INTO activation_codes (code_hash, contract_id, expires_at) VALUES ($1, $2, $3)")
        .bind(code_hash)
        .bind(contract_id)
        .bind(expires_at)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(revoked)
}

/// `INSERT` of a customer (skipped if the contract ID exists); returns the rows inserted (0 or 1).
async fn insert_customer_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    c: &CustomerRow,
    now: i64,
) -> Result<u64, ApiError> {
    let r = sqlx::query(
        "INSERT INTO customers (contract_id, name, password_hash, transfer_password_hash, login_otp, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contract_id) DO NOTHING",
    )
    .bind(&c.contract_id)
    .bind(&c.name)
    .bind(&c.password_hash)
    .bind(&c.transfer_password_hash)
    .bind(i64::from(c.login_otp))
    .bind(now)
    .execute(e)
    .await
    .map_err(db_err)?;
    Ok(r.rows_affected())
}

/// `INSERT` of an audit row, and of its serial's and contract's bucket rows (migration 0003) where new.
async fn insert_audit(conn: &mut sqlx::AnyConnection, a: &AuditRow) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO audit (id, at, actor, action, serial, contract_id, result, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&a.id)
    .bind(a.at)
    .bind(&a.actor)
    .bind(&a.action)
    .bind(&a.serial)
    .bind(&a.contract_id)
    .bind(&a.result)
    .bind(&a.detail)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    for (contract, key, bucket) in bucket_rows(std::slice::from_ref(a)) {
        sqlx::query(insert_bucket_sql(contract))
            .bind(key)
            .bind(bucket)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The `INSERT` of one bucket row (migration 0003) of a contract's (`true`) or of a serial's; SQLite and
/// PostgreSQL both take `ON CONFLICT DO NOTHING`.
pub(crate) fn insert_bucket_sql(contract: bool) -> &'static str {
    if contract {
        "INSERT INTO audit_contract_buckets (contract_id, bucket) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "INSERT INTO audit_serial_buckets (serial, bucket) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    }
}

/// The bucket of an audit id: its first 8 hex digits, 2^32 µs of time (about 72 minutes).
pub fn audit_bucket(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// The ids of a bucket: `[bucket, next)`, `next` the following bucket (none after `ffffffff`).
fn bucket_range(bucket: &str) -> (String, Option<String>) {
    let next = u32::from_str_radix(bucket, 16)
        .ok()
        .and_then(|b| b.checked_add(1))
        .map(|n| format!("{n:08x}"));
    (bucket.to_string(), next)
}

impl Db {
    /// Connects (creating the SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, ApiError> {
        sqlx::any::install_default_drivers();
        let kind = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbKind::Postgres
        } else if url.starts_with("sqlite:") {
            DbKind::Sqlite
        } else {
            return Err(ApiError::Internal(format!(
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
                    return Err(ApiError::Internal(
                        "an in-memory SQLite database cannot be shared by the server's connections: give a file, \
                         sqlite:PATH"
                            .into(),
                    ));
                }
                sqlite_file = Some(opts.get_filename().to_path_buf());
                crate::files::private_database(opts.get_filename())?;
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
            .map_err(|e| ApiError::Internal(format!("migrations: {e}")))?;
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

    /// Where the validations' group-commit writer writes.
    pub fn writer_target(&self) -> crate::writer::Target {
        match &self.sqlite_file {
            Some(f) => crate::writer::Target::Sqlite(f.clone()),
            None => crate::writer::Target::Postgres(self.writer.clone()),
        }
    }

    // ---- tokens ----

    /// Inserts all rows or none: returns the first serial that already exists (nothing inserted then).
    pub async fn insert_tokens_all(&self, rows: &[TokenRow]) -> Result<Option<String>, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        for t in rows {
            if insert_token_on(&mut *tx, t).await? != 1 {
                tx.rollback().await.map_err(db_err)?;
                return Ok(Some(t.serial.clone()));
            }
        }
        tx.commit().await.map_err(db_err)?;
        Ok(None)
    }

    pub async fn token(&self, serial: &str) -> Result<Option<TokenRow>, ApiError> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE serial = $1"))
            .bind(serial)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(token_row).transpose().map_err(db_err)
    }

    pub async fn tokens_of(&self, contract_id: &str) -> Result<Vec<TokenRow>, ApiError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLS} FROM tokens WHERE contract_id = $1 ORDER BY created_at, serial"
        ))
        .bind(contract_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(token_row)
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    /// Moves a token from one of `from` states to `to`, optionally binding it to a contract. Returns whether it
    /// moved (false: it was not in any of those states any more).
    pub async fn set_state(
        &self,
        serial: &str,
        from: &[&str],
        to: &str,
        contract_id: Option<&str>,
        now: i64,
    ) -> Result<bool, ApiError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "UPDATE tokens SET state = $1, contract_id = COALESCE($2, contract_id), updated_at = $3 \
             WHERE serial = $4 AND state IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(to)
            .bind(contract_id)
            .bind(now)
            .bind(serial);
        for f in from {
            q = q.bind(*f);
        }
        Ok(q.execute(&self.writer).await.map_err(db_err)?.rows_affected() == 1)
    }

    pub async fn unlock(&self, serial: &str, now: i64) -> Result<bool, ApiError> {
        let r =
            sqlx::query("UPDATE tokens SET locked = 0, fail_count = 0, updated_at = $1 WHERE serial = $2")
                .bind(now)
                .bind(serial)
                .execute(&self.writer)
                .await
                .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }

    /// Exchange (交換): in one transaction, the new token becomes the contract's active token and the old one is
    /// marked replaced. Fails (returns false, nothing changed) if either has moved on meanwhile.
    pub async fn exchange(
        &self,
        contract_id: &str,
        old: &str,
        new: &str,
        now: i64,
    ) -> Result<bool, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        if self.kind == DbKind::Postgres {
            // Both rows locked in serial order, as the validation writer locks its rows: no deadlock with it.
            sqlx::query("SELECT serial FROM tokens WHERE serial IN ($1, $2) ORDER BY serial FOR UPDATE")
                .bind(old)
                .bind(new)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let a = sqlx::query(
            "UPDATE tokens SET state = 'replaced', updated_at = $1 WHERE serial = $2 AND contract_id = $3 AND state = 'active'",
        )
        .bind(now)
        .bind(old)
        .bind(contract_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let b = sqlx::query(
            "UPDATE tokens SET state = 'active', contract_id = $1, updated_at = $2 WHERE serial = $3 AND state = 'issued'",
        )
        .bind(contract_id)
        .bind(now)
        .bind(new)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if a.rows_affected() == 1 && b.rows_affected() == 1 {
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        } else {
            tx.rollback().await.map_err(db_err)?;
            Ok(false)
        }
    }

    // ---- customers ----

    pub async fn insert_customer(&self, c: &CustomerRow, now: i64) -> Result<bool, ApiError> {
        Ok(insert_customer_on(&self.writer, c, now).await? == 1)
    }

    /// Inserts customers in one transaction (existing ones are left as they are); returns how many were new.
    pub async fn insert_customers(&self, rows: &[CustomerRow], now: i64) -> Result<u64, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let mut n = 0;
        for c in rows {
            n += insert_customer_on(&mut *tx, c, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    pub async fn customer(&self, contract_id: &str) -> Result<Option<CustomerRow>, ApiError> {
        let row = sqlx::query(
            "SELECT contract_id, name, password_hash, transfer_password_hash, login_otp, transfer_locked, register_failures \
             FROM customers WHERE contract_id = $1",
        )
        .bind(contract_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| -> Result<CustomerRow, sqlx::Error> {
            Ok(CustomerRow {
                contract_id: r.try_get("contract_id")?,
                name: r.try_get("name")?,
                password_hash: r.try_get("password_hash")?,
                transfer_password_hash: r.try_get("transfer_password_hash")?,
                login_otp: r.try_get::<i64, _>("login_otp")? != 0,
                transfer_locked: r.try_get::<i64, _>("transfer_locked")? != 0,
                register_failures: r.try_get("register_failures")?,
            })
        })
        .transpose()
        .map_err(db_err)
    }

    pub async fn set_login_otp(&self, contract_id: &str, on: bool) -> Result<(), ApiError> {
        sqlx::query("UPDATE customers SET login_otp = $1 WHERE contract_id = $2")
            .bind(i64::from(on))
            .bind(contract_id)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    // ---- activation codes ----

    /// Stores a new token and its audit row in one transaction. With `activation` (an activation code's hash),
    /// the code is used up in the same transaction and the token becomes the active token of the code's contract
    /// (which the audit row then names). Any refusal changes nothing.
    pub async fn insert_token_audited(
        &self,
        t: &TokenRow,
        activation: Option<&str>,
        audit: &AuditRow,
    ) -> Result<Inserted, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let mut t = t.clone();
        let mut a = audit.clone();
        if let Some(code_hash) = activation {
            let row = sqlx::query(
                "UPDATE activation_codes SET used_at = $1, serial = $2 \
                 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING contract_id",
            )
            .bind(t.created_at)
            .bind(&t.serial)
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let Some(row) = row else {
                tx.rollback().await.map_err(db_err)?;
                return Ok(Inserted::CodeUnusable);
            };
            let contract: String = row.try_get("contract_id").map_err(db_err)?;
            t.state = state::ACTIVE.to_string();
            t.contract_id = Some(contract.clone());
            a.contract_id = Some(contract);
        }
        // A second active token for the contract fails here (has_active_token); dropping `tx` rolls back.
        if insert_token_on(&mut *tx, &t).await? != 1 {
            tx.rollback().await.map_err(db_err)?;
            return Ok(Inserted::SerialTaken);
        }
        insert_audit(&mut tx, &a).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Inserted::Done(t.contract_id))
    }

    /// Reissue in one transaction: every active token of the contract is revoked, a new activation code (by its
    /// hash) is stored, and the audit rows are written (one `revoke` per token, then `reissue_audit`). Returns the
    /// revoked serials.
    pub async fn reissue(
        &self,
        contract_id: &str,
        code_hash: &str,
        expires_at: i64,
        revoke_audit: &AuditRow,
        reissue_audit: &AuditRow,
    ) -> Result<Vec<String>, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let now = reissue_audit.at;
        let rows = sqlx::query(
            "UPDATE tokens SET state = 'revoked', updated_at = $1 WHERE contract_id = $2 AND state = 'active' \
             RETURNING serial",
        )
        .bind(now)
        .bind(contract_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut revoked = Vec::with_capacity(rows.len());
        for r in &rows {
            let serial: String = r.try_get("serial").map_err(db_err)?;
            let mut a = revoke_audit.clone();
            a.id = crate::service::audit_id();
            a.serial = Some(serial.clone());
            insert_audit(&mut tx, &a).await?;
            revoked.push(serial);
        }
        let codes = insert_activation_on(&mut tx, code_hash, contract_id, expires_at).await?;
        let mut a = reissue_audit.clone();
        a.detail = format!(
            "revoked {} tokens, {codes} unused activation codes",
            revoked.len()
        );
        insert_audit(&mut tx, &a).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(revoked)
    }

    /// A new activation code (by its hash) and its audit row, in one transaction.
    pub async fn insert_activation_audited(
        &self,
        code_hash: &str,
        contract_id: &str,
        expires_at: i64,
        audit: &AuditRow,
    ) -> Result<(), ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let codes = insert_activation_on(&mut tx, code_hash, contract_id, expires_at).await?;
        let mut audit = audit.clone();
        if codes > 0 {
            audit.detail = format!("revoked {codes} unused activation codes");
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)
    }

    // ---- audit ----

    pub async fn audit(&self, a: &AuditRow) -> Result<(), ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The newest audit rows (at most `limit`) that match `f`, newest first. With a serial (or else a
    /// contract), its buckets newest first (migration 0003), and in each the rows of that range of the primary
    /// key that match, until there are `limit`; without, the primary key newest first.
    pub async fn audit_query(&self, f: &AuditFilter<'_>, limit: i64) -> Result<Vec<AuditRow>, ApiError> {
        let lead = match (f.serial, f.contract_id) {
            (Some(s), _) => Some(("audit_serial_buckets", "serial", s)),
            (None, Some(c)) => Some(("audit_contract_buckets", "contract_id", c)),
            (None, None) => None,
        };
        let Some((table, column, key)) = lead else {
            let (sql, values) = audit_sql(f, None);
            return self.audit_rows(&sql, values, limit).await;
        };
        let buckets: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT bucket FROM {table} WHERE {column} = $1 ORDER BY bucket DESC"
        ))
        .bind(key)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut rows = Vec::new();
        let newest = f.before.map(audit_bucket);
        for b in buckets.iter().filter(|b| newest.is_none_or(|n| b.as_str() <= n)) {
            let left = limit.saturating_sub(i64::try_from(rows.len()).unwrap_or(i64::MAX));
            if left <= 0 {
                break;
            }
            let (first, next) = bucket_range(b);
            let (sql, values) = audit_sql(f, Some((&first, next.as_deref())));
            rows.extend(self.audit_rows(&sql, values, left).await?);
        }
        Ok(rows)
    }

    /// Runs one read made by [`audit_sql`].
    async fn audit_rows(&self, sql: &str, values: Vec<&str>, limit: i64) -> Result<Vec<AuditRow>, ApiError> {
        let mut q = sqlx::query(sql);
        for v in values {
            q = q.bind(v);
        }
        let rows = q.bind(limit).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter()
            .map(|r| -> Result<AuditRow, sqlx::Error> {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    serial: r.try_get("serial")?,
                    contract_id: r.try_get("contract_id")?,
                    result: r.try_get("result")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(db_err)
    }

    // ---- sessions ----

    pub async fn put_session(&self, s: &SessionRow) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO sessions (id, contract_id, csrf, stage, data, lang, expires_at, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET contract_id = $2, csrf = $3, stage = $4, data = $5, lang = $6, \
             expires_at = $7, started_at = $8",
        )
        .bind(session_key(&s.id))
        .bind(&s.contract_id)
        .bind(&s.csrf)
        .bind(&s.stage)
        .bind(&s.data)
        .bind(&s.lang)
        .bind(s.expires_at)
        .bind(s.started_at)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The live session `id` (the cookie's value): not idle past its expiry, and started within
    /// [`SESSION_MAX_SECONDS`].
    pub async fn session(&self, id: &str, now: i64) -> Result<Option<SessionRow>, ApiError> {
        let row = sqlx::query(
            "SELECT contract_id, csrf, stage, data, lang, expires_at, started_at FROM sessions \
             WHERE id = $1 AND expires_at > $2 AND started_at > $3",
        )
        .bind(session_key(id))
        .bind(now)
        .bind(now - SESSION_MAX_SECONDS)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|r| -> Result<SessionRow, sqlx::Error> {
            Ok(SessionRow {
                id: id.to_string(),
                contract_id: r.try_get("contract_id")?,
                csrf: r.try_get("csrf")?,
                stage: r.try_get("stage")?,
                data: r.try_get("data")?,
                lang: r.try_get("lang")?,
                expires_at: r.try_get("expires_at")?,
                started_at: r.try_get("started_at")?,
            })
        })
        .transpose()
        .map_err(db_err)
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), ApiError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_key(id))
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Deletes the sessions that expired by `now`, in one statement. Returns how many.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, ApiError> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR started_at <= $2")
                .bind(now)
                .bind(now - SESSION_MAX_SECONDS)
                .execute(&self.writer)
                .await
                .map_err(db_err)?
                .rows_affected(),
        )
    }

    /// Deletes up to `limit` tokens that were provisioned online (`source = 'provision'`), are still `issued`
    /// (never registered, bound to no contract) and were created before `before`, each with an audit row
    /// `token_expire` made by `audit_for`, in one transaction. Tokens the bank imported (PSKC) wait for their
    /// customers however long it takes. The state is checked again by the `DELETE` itself, so a token registered
    /// meanwhile is kept. Returns the deleted serials.
    pub async fn purge_unregistered(
        &self,
        before: i64,
        limit: i64,
        audit_for: impl Fn(&str) -> AuditRow,
    ) -> Result<Vec<String>, ApiError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let rows = sqlx::query(
            "DELETE FROM tokens WHERE state = $1 AND contract_id IS NULL AND source = 'provision' AND serial IN \
             (SELECT serial FROM tokens WHERE state = $1 AND contract_id IS NULL AND source = 'provision' \
              AND created_at < $2 ORDER BY serial LIMIT $3) \
             RETURNING serial",
        )
        .bind(state::ISSUED)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let serials = rows
            .iter()
            .map(|r| r.try_get::<String, _>("serial"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        let audits: Vec<AuditRow> = serials.iter().map(|s| audit_for(s)).collect();
        let mut script = Script::new();
        push_audits(&mut script, &audits);
        script.run(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(serials)
    }

    /// Row counts per table, for tests and the admin status.
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, ApiError> {
        let mut out = Vec::new();
        for t in ["customers", "tokens", "activation_codes", "audit", "sessions"] {
            let r = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {t}"))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            out.push((t.to_string(), r.try_get::<i64, _>("n").map_err(db_err)?));
        }
        Ok(out)
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
