//! 交換 (a new phone): after the contract ID and login password, a code of the old token, then the new token's
//! serial and code. The old token stays active until the new one is registered, in one transaction
//! (`Db::exchange`).

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, trimmed, Kept, Secret};
use super::step::{proved_serial, Ctx, FormSpec, Outcome};
use crate::error::ApiError;
use crate::ib::proofs::{active_token, prove_new_token, refusal};
use crate::ib::session::{Session, Stage};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;
use crate::model::{now, TokenState};

#[derive(Debug, Default, Deserialize)]
pub(super) struct OldToken {
    #[serde(default)]
    otp: Secret,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct NewTokenForm {
    #[serde(default, deserialize_with = "trimmed")]
    serial: String,
    #[serde(default)]
    otp: Secret,
}

pub(super) fn old_token_form(lang: Lang) -> FormSpec<'static> {
    FormSpec {
        intro: t(lang, Key::ExchangeOldIntro),
        fields: vec![Field::Otp {
            name: "otp",
            label: t(lang, Key::OtpOld),
        }],
        submit: Key::Next,
    }
}

pub(super) fn new_token_form<'a>(lang: Lang, kept: &'a Kept) -> FormSpec<'a> {
    FormSpec {
        intro: t(lang, Key::ExchangeNewIntro),
        fields: vec![
            Field::Text {
                name: "serial",
                label: t(lang, Key::SerialNew),
                value: &kept.serial,
                autocomplete: "off",
            },
            Field::Otp {
                name: "otp",
                label: t(lang, Key::OtpNew),
            },
        ],
        submit: Key::SubmitRegister,
    }
}

/// The old token's code.
pub(super) async fn old_token(
    ctx: &Ctx<'_>,
    s: &mut Session,
    contract: &str,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: OldToken = parse(body);
    let Some(old) = active_token(st, contract).await? else {
        s.stage = Stage::Start;
        return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), Kept::default()));
    };
    let v = st
        .svc
        .validate(
            &old.serial,
            form.otp.expose(),
            TokenState::Active,
            &format!("ib:{contract}"),
            "ib_exchange_old",
        )
        .await?;
    if !v.valid {
        return Ok(Outcome::Again(refusal(st, ctx.lang, &v), Kept::default()));
    }
    s.stage = Stage::ExchangeNew {
        old_serial: old.serial,
        tries: 0,
    };
    Ok(Outcome::Next)
}

/// The new token's serial and code: it replaces `old_serial`.
pub(super) async fn new_token(
    ctx: &Ctx<'_>,
    s: &mut Session,
    contract: &str,
    old_serial: &str,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: NewTokenForm = parse(body);
    let kept = Kept {
        serial: form.serial.clone(),
        ..Kept::default()
    };
    let actor = format!("ib:{contract}");
    let proof = prove_new_token(
        st,
        ctx.lang,
        contract,
        &form.serial,
        form.otp.expose(),
        &actor,
        "ib_exchange_new",
    )
    .await?;
    let serial = match proved_serial(ctx, s, proof, kept.clone()) {
        Ok(serial) => serial,
        Err(outcome) => return Ok(outcome),
    };
    if !st.svc.db.exchange(contract, old_serial, &serial, now()).await? {
        s.stage = Stage::Start;
        return Ok(Outcome::Again(ctx.words(Key::ErrSerialTaken), Kept::default()));
    }
    st.svc
        .audit(
            &actor,
            "exchange",
            Some(&serial),
            Some(contract),
            "ok",
            &format!("replaced {old_serial}"),
        )
        .await?;
    s.stage = Stage::Start;
    Ok(Outcome::Done(Key::DoneExchange))
}
