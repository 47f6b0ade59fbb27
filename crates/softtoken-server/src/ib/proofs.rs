//! The transfer password (振込用パスワード) and the proofs that stopping a token, moving money and binding a token
//! (利用登録) need. The transfer password is short and the login password may be phished, so its consecutive
//! failures are counted per contract in the database (db/lockouts.rs) and lock it at `--max-transfer-failures`,
//! across restarts and instances, until the bank unlocks it. A wrong transfer password and a wrong one-time
//! password get the same words; the audit says which.

use super::text::{t, Key, Lang};
use super::{refusal, verify_password};
use crate::db::{state, TokenRow};
use crate::error::ApiError;
use crate::AppState;

/// Checks `contract`'s transfer password, counting a failure. `None` when it holds; otherwise the words to show.
/// Audited under `action` when it does not hold (`serial`: the token concerned, if any).
pub(super) async fn transfer_password(
    st: &AppState,
    lang: Lang,
    contract: &str,
    serial: Option<&str>,
    actor: &str,
    action: &str,
    password: &str,
) -> Result<Option<String>, ApiError> {
    let customer = st.svc.db.customer(contract).await?;
    let audit = |result: &'static str| st.svc.audit(actor, action, serial, Some(contract), result, "");
    if customer.as_ref().is_some_and(|c| c.transfer_locked) {
        audit("transfer_password_locked").await?;
        return Ok(Some(t(lang, Key::ErrTransferLocked).to_string()));
    }
    let hash = customer.as_ref().map(|c| c.transfer_password_hash.as_str());
    if verify_password(password, hash).await? {
        return Ok(None);
    }
    let locked = st
        .svc
        .db
        .transfer_password_failed(contract, st.svc.settings.max_transfer_failures)
        .await?;
    if locked {
        audit("bad_transfer_password_now_locked").await?;
        return Ok(Some(t(lang, Key::ErrTransferLocked).to_string()));
    }
    audit("bad_transfer_password").await?;
    Ok(Some(t(lang, Key::ErrProofs).to_string()))
}

/// The two proofs that stopping the token and moving money need: the transfer password and a fresh one-time
/// password of the contract's active token `tok`. `None` when both hold; otherwise the words to show, which do not
/// tell which of the two was wrong.
pub(super) async fn transfer_proofs(
    st: &AppState,
    lang: Lang,
    tok: &TokenRow,
    actor: &str,
    action: &str,
    password: &str,
    otp: &str,
) -> Result<Option<String>, ApiError> {
    let Some(contract) = tok.contract_id.as_deref() else {
        return Ok(Some(t(lang, Key::ErrProofs).to_string()));
    };
    // A locked token is said first, before the transfer password is looked at, so that this message never tells
    // whether the transfer password was right.
    if tok.locked {
        st.svc
            .audit(
                actor,
                action,
                Some(&tok.serial),
                Some(contract),
                "token_locked",
                "",
            )
            .await?;
        return Ok(Some(t(lang, Key::ErrLocked).to_string()));
    }
    if let Some(words) =
        self::transfer_password(st, lang, contract, Some(&tok.serial), actor, action, password).await?
    {
        return Ok(Some(words));
    }
    let v = st
        .svc
        .validate(&tok.serial, otp, state::ACTIVE, actor, &format!("ib_{action}"))
        .await?;
    if v.valid {
        st.svc.db.transfer_password_passed(contract).await?;
        return Ok(None);
    }
    // The code's own words (tries left, replayed…) would say that the transfer password was right; only a token
    // that has just locked is said, since the customer must call the bank either way.
    let words = if v.locked || v.reason == Some("locked") {
        refusal(st, lang, &v)
    } else {
        t(lang, Key::ErrProofs).to_string()
    };
    Ok(Some(words))
}
