//! Failure counts that must outlive a restart and hold across instances: the transfer password (振込用パスワード)
//! per contract, and login passwords per contract and client address.

use sqlx::Row;

use super::{db_err, Db, DbError};

impl Db {
    /// Counts a wrong transfer password of `contract_id`; at `max` consecutive ones it locks. Returns whether the
    /// transfer password is locked now (`false` for an unknown contract). One statement, so that racing requests,
    /// on one instance or several, each count once.
    pub async fn transfer_password_failed(&self, contract_id: &str, max: u32) -> Result<bool, DbError> {
        let row = sqlx::query(
            "UPDATE customers SET transfer_failures = transfer_failures + 1, \
             transfer_locked = CASE WHEN transfer_failures + 1 >= $2 THEN 1 ELSE transfer_locked END \
             WHERE contract_id = $1 RETURNING transfer_locked",
        )
        .bind(contract_id)
        .bind(i64::from(max))
        .fetch_optional(&self.writer)
        .await
        .map_err(db_err)?;
        let locked = row
            .map(|r| r.try_get::<i64, _>("transfer_locked"))
            .transpose()
            .map_err(db_err)?;
        Ok(locked.is_some_and(|l| l != 0))
    }

    /// Both proofs held: the count of wrong transfer passwords starts again.
    pub async fn transfer_password_passed(&self, contract_id: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE customers SET transfer_failures = 0 WHERE contract_id = $1 AND transfer_failures <> 0",
        )
        .bind(contract_id)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// The bank unlocks the contract's transfer password. Returns whether the contract exists.
    pub async fn unlock_transfer_password(&self, contract_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE customers SET transfer_failures = 0, transfer_locked = 0 WHERE contract_id = $1",
        )
        .bind(contract_id)
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Wrong proofs of a new token in a row after which a contract's registrations and exchanges wait for the bank.
pub const MAX_REGISTER_FAILURES: i64 = 10;

impl Db {
    /// Counts a wrong proof of a new token by `contract_id`; returns how many in a row.
    pub async fn register_failed(&self, contract_id: &str) -> Result<i64, DbError> {
        let row = sqlx::query(
            "UPDATE customers SET register_failures = register_failures + 1 WHERE contract_id = $1 \
             RETURNING register_failures",
        )
        .bind(contract_id)
        .fetch_optional(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("register_failures"))
            .transpose()
            .map_err(db_err)?
            .unwrap_or(0))
    }

    /// A new token proved, or the bank unlocked: the count starts again. Returns whether the contract exists.
    pub async fn register_passed(&self, contract_id: &str) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE customers SET register_failures = 0 WHERE contract_id = $1")
            .bind(contract_id)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The wrong login password in a row, from one client address, after which that address waits.
pub const LOGIN_FREE_FAILURES: i64 = 5;
/// The wait after the last free failure, in seconds; it doubles after each further one.
pub const LOGIN_FIRST_WAIT: i64 = 30;
/// The longest wait, in seconds.
pub const LOGIN_MAX_WAIT: i64 = 60 * 60;

/// How long a client waits after `failures` wrong login passwords in a row: 0 for the first four, then 30 s,
/// 60 s, 120 s… up to an hour.
#[must_use]
pub fn login_wait(failures: i64) -> i64 {
    if failures < LOGIN_FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from((failures - LOGIN_FREE_FAILURES).min(20)).unwrap_or(20);
    LOGIN_FIRST_WAIT
        .saturating_mul(1 << doublings)
        .min(LOGIN_MAX_WAIT)
}

impl Db {
    /// Until when (Unix seconds) `client` must wait before trying `contract_id`'s login password again; 0: now.
    pub async fn login_blocked_until(&self, contract_id: &str, client: &str) -> Result<i64, DbError> {
        let row =
            sqlx::query("SELECT blocked_until FROM login_failures WHERE contract_id = $1 AND client = $2")
                .bind(contract_id)
                .bind(client)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("blocked_until"))
            .transpose()
            .map_err(db_err)?
            .unwrap_or(0))
    }

    /// Counts a wrong login password of `contract_id` from `client` and sets its wait; returns the wait in seconds.
    pub async fn login_failed(&self, contract_id: &str, client: &str, now: i64) -> Result<i64, DbError> {
        let row = sqlx::query(
            "INSERT INTO login_failures (contract_id, client, failures, blocked_until) VALUES ($1, $2, 1, 0) \
             ON CONFLICT (contract_id, client) DO UPDATE SET failures = login_failures.failures + 1 \
             RETURNING failures",
        )
        .bind(contract_id)
        .bind(client)
        .fetch_one(&self.writer)
        .await
        .map_err(db_err)?;
        let failures: i64 = row.try_get("failures").map_err(db_err)?;
        let wait = login_wait(failures);
        if wait > 0 {
            sqlx::query(
                "UPDATE login_failures SET blocked_until = $3 WHERE contract_id = $1 AND client = $2",
            )
            .bind(contract_id)
            .bind(client)
            .bind(now.saturating_add(wait))
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        }
        Ok(wait)
    }

    /// The right login password: this client's count starts again.
    pub async fn login_passed(&self, contract_id: &str, client: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM login_failures WHERE contract_id = $1 AND client = $2")
            .bind(contract_id)
            .bind(client)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_starts_after_the_free_failures_and_doubles_up_to_an_hour() {
        let waits: Vec<i64> = (1..=12).map(login_wait).collect();
        assert_eq!(waits, vec![0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]);
        assert_eq!(login_wait(1_000_000), LOGIN_MAX_WAIT);
        assert_eq!(login_wait(i64::MAX), LOGIN_MAX_WAIT);
    }
}
