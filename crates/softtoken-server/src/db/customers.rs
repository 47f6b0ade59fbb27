//! Customers (contracts): their passwords' hashes and the login-OTP setting. Their failure counters are in
//! `lockouts.rs`.

use sqlx::Row;

use super::sql::insert_customer_on;
use super::{db_err, Db, DbError};
use crate::model::CustomerRow;

impl Db {
    pub async fn insert_customer(&self, c: &CustomerRow, now: i64) -> Result<bool, DbError> {
        Ok(insert_customer_on(&self.writer, c, now).await? == 1)
    }

    /// Inserts customers in one transaction (existing ones are left as they are); returns how many were new.
    pub async fn insert_customers(&self, rows: &[CustomerRow], now: i64) -> Result<u64, DbError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let mut n = 0;
        for c in rows {
            n += insert_customer_on(&mut *tx, c, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    pub async fn customer(&self, contract_id: &str) -> Result<Option<CustomerRow>, DbError> {
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

    pub async fn set_login_otp(&self, contract_id: &str, on: bool) -> Result<(), DbError> {
        sqlx::query("UPDATE customers SET login_otp = $1 WHERE contract_id = $2")
            .bind(i64::from(on))
            .bind(contract_id)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
