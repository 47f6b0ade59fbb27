//! The statements shared by the database layer and the validation writer: token rows, multi-row scripts, audit
//! rows and their buckets (migration 0003), activation codes and customers.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::{db_err, DbError};
use crate::model::{AuditRow, CustomerRow, TokenRow};

pub(crate) const TOKEN_COLS: &str =
    "serial, contract_id, state, seed_sealed, algorithm, digits, period, last_step, drift, \
                          fail_count, locked, source, created_at, updated_at";

/// A [`TokenRow`] from a row of `SELECT {TOKEN_COLS}`, `$get` being the row's getter by column name: sqlx's
/// `try_get` in [`token_row`], rusqlite's `get` in the SQLite writer. One list of the fields for both.
macro_rules! token_row_from {
    ($r:expr, $get:ident) => {
        $crate::model::TokenRow {
            serial: $r.$get("serial")?,
            contract_id: $r.$get("contract_id")?,
            state: {
                let state: String = $r.$get("state")?;
                $crate::model::TokenState::from_db(&state)
            },
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
pub(super) async fn insert_token_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    t: &TokenRow,
) -> Result<u64, DbError> {
    let r = sqlx::query(
        "INSERT INTO tokens (serial, contract_id, state, seed_sealed, algorithm, digits, period, last_step, drift, \
         fail_count, locked, source, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (serial) DO NOTHING",
    )
    .bind(&t.serial)
    .bind(&t.contract_id)
    .bind(t.state.as_str())
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
    pub(crate) async fn run(self, conn: &mut sqlx::AnyConnection) -> Result<Vec<AnyRow>, DbError> {
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
pub(super) async fn insert_activation_on(
    conn: &mut sqlx::AnyConnection,
    code_hash: &str,
    contract_id: &str,
    expires_at: i64,
) -> Result<u64, DbError> {
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
pub(super) async fn insert_customer_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    c: &CustomerRow,
    now: i64,
) -> Result<u64, DbError> {
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
pub(super) async fn insert_audit(conn: &mut sqlx::AnyConnection, a: &AuditRow) -> Result<(), DbError> {
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
pub(super) fn bucket_range(bucket: &str) -> (String, Option<String>) {
    let next = u32::from_str_radix(bucket, 16)
        .ok()
        .and_then(|b| b.checked_add(1))
        .map(|n| format!("{n:08x}"));
    (bucket.to_string(), next)
}
