//! Tokens and activation codes: issue, register, exchange, stop, revoke, reissue, and the purge of tokens nobody
//! registered.

use sqlx::Row;

use super::sql::{
    insert_activation_on, insert_audit, insert_token_on, push_audits, token_row, Script, TOKEN_COLS,
};
use super::{db_err, Db, DbError, DbKind, Inserted};
use crate::model::{audit_id, AuditRow, TokenRow, TokenState};

impl Db {
    /// Inserts all rows or none: returns the first serial that already exists (nothing inserted then).
    pub async fn insert_tokens_all(&self, rows: &[TokenRow]) -> Result<Option<String>, DbError> {
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

    pub async fn token(&self, serial: &str) -> Result<Option<TokenRow>, DbError> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM tokens WHERE serial = $1"))
            .bind(serial)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(token_row).transpose().map_err(db_err)
    }

    pub async fn tokens_of(&self, contract_id: &str) -> Result<Vec<TokenRow>, DbError> {
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
        from: &[TokenState],
        to: TokenState,
        contract_id: Option<&str>,
        now: i64,
    ) -> Result<bool, DbError> {
        let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
        let sql = format!(
            "UPDATE tokens SET state = $1, contract_id = COALESCE($2, contract_id), updated_at = $3 \
             WHERE serial = $4 AND state IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(to.as_str())
            .bind(contract_id)
            .bind(now)
            .bind(serial);
        for f in from {
            q = q.bind(f.as_str());
        }
        Ok(q.execute(&self.writer).await.map_err(db_err)?.rows_affected() == 1)
    }

    pub async fn unlock(&self, serial: &str, now: i64) -> Result<bool, DbError> {
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
    pub async fn exchange(&self, contract_id: &str, old: &str, new: &str, now: i64) -> Result<bool, DbError> {
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

    // ---- activation codes ----

    /// Stores a new token and its audit row in one transaction. With `activation` (an activation code's hash),
    /// the code is used up in the same transaction and the token becomes the active token of the code's contract
    /// (which the audit row then names). Any refusal changes nothing.
    pub async fn insert_token_audited(
        &self,
        t: &TokenRow,
        activation: Option<&str>,
        audit: &AuditRow,
    ) -> Result<Inserted, DbError> {
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
            t.state = TokenState::Active;
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
    ) -> Result<Vec<String>, DbError> {
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
            a.id = audit_id();
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
    ) -> Result<(), DbError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let codes = insert_activation_on(&mut tx, code_hash, contract_id, expires_at).await?;
        let mut audit = audit.clone();
        if codes > 0 {
            audit.detail = format!("revoked {codes} unused activation codes");
        }
        insert_audit(&mut tx, &audit).await?;
        tx.commit().await.map_err(db_err)
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
    ) -> Result<Vec<String>, DbError> {
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let rows = sqlx::query(
            "DELETE FROM tokens WHERE state = $1 AND contract_id IS NULL AND source = 'provision' AND serial IN \
             (SELECT serial FROM tokens WHERE state = $1 AND contract_id IS NULL AND source = 'provision' \
              AND created_at < $2 ORDER BY serial LIMIT $3) \
             RETURNING serial",
        )
        .bind(TokenState::Issued.as_str())
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
}
