//! The transfer password (振込用パスワード) and the proofs that stopping a token, moving money and binding a token
//! (利用登録) need. The transfer password is short and the login password may be phished, so its consecutive
//! failures are counted per contract in the database (db/lockouts.rs) and lock it at `--max-transfer-failures`,
//! across restarts and instances, until the bank unlocks it. A wrong transfer password and a wrong one-time
//! password get the same words; the audit says which.

use softtoken_core::validation::Reject;
use softtoken_core::Error as CoreError;

use super::password::verify_password;
use super::text::{t, Key, Lang};
use crate::db::lockouts::MAX_REGISTER_FAILURES;
use crate::db::DbError;
use crate::error::ApiError;
use crate::model::{Refusal, TokenRow, TokenState, Validation};
use crate::service::ServiceError;
use crate::AppState;

/// The contract's token in use, if it has one.
pub(super) async fn active_token(st: &AppState, contract: &str) -> Result<Option<TokenRow>, ApiError> {
    Ok(st
        .svc
        .db
        .tokens_of(contract)
        .await?
        .into_iter()
        .find(|t| t.state == TokenState::Active))
}

/// The message for a refused code, with how many tries are left when that is useful.
pub(super) fn refusal(st: &AppState, lang: Lang, v: &Validation) -> String {
    let key = match v.reason {
        Some(Refusal::Code(Reject::Locked)) => Key::ErrLocked,
        Some(Refusal::Code(Reject::Replayed)) => Key::ErrReplayed,
        Some(Refusal::Code(Reject::BadFormat)) => Key::ErrBadFormat,
        Some(Refusal::UnknownSerial) => Key::ErrUnknownSerial,
        Some(Refusal::NotActive) => Key::ErrNotActive,
        Some(Refusal::Code(_)) | None => Key::ErrWrongOtp,
    };
    if v.locked {
        return t(lang, Key::ErrLocked).to_string();
    }
    let mut msg = t(lang, key).to_string();
    if let Some(n) = v.fail_count {
        let left = i64::from(st.svc.settings.policy.max_failures) - n;
        if left > 0 && left <= 3 {
            if lang == Lang::En {
                msg.push(' ');
            }
            msg.push_str(&t(lang, Key::TriesLeft).replace("{n}", &left.to_string()));
        }
    }
    msg
}

/// The words for a serial the customer mistyped (its check digit is wrong, or it is not a serial at all), or
/// `None` when `e` is not about the serial's form.
pub(super) fn serial_typo(lang: Lang, e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Core(CoreError::SerialCheckDigit { .. }) => {
            Some(t(lang, Key::ErrSerialTypo).to_string())
        }
        ServiceError::Core(CoreError::BadSerial { .. }) => Some(t(lang, Key::ErrSerialFormat).to_string()),
        _ => None,
    }
}

/// What a proof of a new token came to.
pub(super) enum NewToken {
    /// The token's stored serial.
    Proved(String),
    /// A typo in the serial, said as such and not counted.
    Typo(String),
    /// Refused (unknown, taken or a wrong code: the same words) and counted.
    Refused(String),
    /// The contract's registrations wait for the bank.
    Locked(String),
}

/// The step 利用登録 and 交換 share: the customer proves they hold a new, not yet registered token by its typed
/// serial and a current code (see `Service::resolve_serial`: a token the bank imported from another vendor keeps
/// that vendor's serial).
///
/// An unknown serial, a taken one and a wrong code get the same words, so that nobody learns which serials exist
/// or belong to someone; and a wrong code does not count toward locking the token (it is nobody's yet, and the one
/// typing may not be its owner: the writer counts failures only for active tokens). Instead the contract that
/// types it counts its failures (db/lockouts.rs): at `MAX_REGISTER_FAILURES` in a row its registrations and
/// exchanges wait for the bank, which bounds the guessing of someone else's unregistered token's code.
pub(super) async fn prove_new_token(
    st: &AppState,
    lang: Lang,
    contract: &str,
    typed_serial: &str,
    otp: &str,
    actor: &str,
    action: &str,
) -> Result<NewToken, ApiError> {
    let locked = || async {
        st.svc
            .audit(actor, action, None, Some(contract), "registration_locked", "")
            .await
            .map(|()| NewToken::Locked(t(lang, Key::ErrRegisterLocked).to_string()))
    };
    if st
        .svc
        .db
        .customer(contract)
        .await?
        .is_some_and(|c| c.register_failures >= MAX_REGISTER_FAILURES)
    {
        return Ok(locked().await?);
    }
    let serial = match st.svc.resolve_serial(typed_serial).await {
        Ok(serial) => serial,
        Err(e) => {
            return match serial_typo(lang, &e) {
                Some(words) => Ok(NewToken::Typo(words)),
                None => Err(e.into()),
            }
        }
    };
    let proved = match st
        .svc
        .validate(serial.as_str(), otp, TokenState::Issued, actor, action)
        .await
    {
        Err(ServiceError::Db(DbError::UnknownSerial)) => false,
        other => other?.valid,
    };
    if proved {
        st.svc.db.register_passed(contract).await?;
        return Ok(NewToken::Proved(serial));
    }
    if st.svc.db.register_failed(contract).await? >= MAX_REGISTER_FAILURES {
        return Ok(locked().await?);
    }
    Ok(NewToken::Refused(t(lang, Key::ErrNewTokenRefused).to_string()))
}

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
        .validate(
            &tok.serial,
            otp,
            TokenState::Active,
            actor,
            &format!("ib_{action}"),
        )
        .await?;
    if v.valid {
        st.svc.db.transfer_password_passed(contract).await?;
        return Ok(None);
    }
    // The code's own words (tries left, replayed…) would say that the transfer password was right; only a token
    // that has just locked is said, since the customer must call the bank either way.
    let words = if v.locked || v.reason == Some(Refusal::Code(Reject::Locked)) {
        refusal(st, lang, &v)
    } else {
        t(lang, Key::ErrProofs).to_string()
    };
    Ok(Some(words))
}
