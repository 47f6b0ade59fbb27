//! The audit trail: writing a row, and the admin's query by serial, contract or action, newest first.

use sqlx::Row;

pub use super::sql::audit_bucket;
use super::sql::{bucket_range, insert_audit};
use super::{db_err, Db, DbError};
use crate::model::AuditRow;

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

impl Db {
    pub async fn audit(&self, a: &AuditRow) -> Result<(), DbError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        insert_audit(&mut tx, a).await?;
        tx.commit().await.map_err(db_err)
    }

    /// The newest audit rows (at most `limit`) that match `f`, newest first. With a serial (or else a
    /// contract), its buckets newest first (migration 0003), and in each the rows of that range of the primary
    /// key that match, until there are `limit`; without, the primary key newest first.
    pub async fn audit_query(&self, f: &AuditFilter<'_>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
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
    async fn audit_rows(&self, sql: &str, values: Vec<&str>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
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

    /// Row counts per table, for tests and the admin status.
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, DbError> {
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
