//! Internet-banking sessions, stored under the SHA-256 of their id.

use sqlx::Row;

use super::{db_err, Db, DbError};
use crate::model::SessionRow;

/// The longest an internet-banking session lasts, however active (the idle limit is shorter).
pub const SESSION_MAX_SECONDS: i64 = 2 * 60 * 60;

/// What the sessions table stores for a session id: its SHA-256, so that a copy of the database opens no session.
fn session_key(id: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(id.as_bytes()))
}

impl Db {
    pub async fn put_session(&self, s: &SessionRow) -> Result<(), DbError> {
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
    pub async fn session(&self, id: &str, now: i64) -> Result<Option<SessionRow>, DbError> {
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

    pub async fn delete_session(&self, id: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_key(id))
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Deletes the sessions that expired by `now`, in one statement. Returns how many.
    pub async fn purge_sessions(&self, now: i64) -> Result<u64, DbError> {
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
}
