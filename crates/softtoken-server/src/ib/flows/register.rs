//! 利用登録: after the contract ID and login password, the new token's serial and current code, and the transfer
//! password. Binding a token needs the factor the customer already holds besides the login password: without it,
//! a phished login password would be enough to bind the attacker's token.

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, trimmed, Kept, Secret};
use super::step::{proved_serial, Ctx, FormSpec, Outcome};
use crate::db::DbError;
use crate::error::ApiError;
use crate::ib::proofs::{self, prove_new_token};
use crate::ib::session::{Session, Stage};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;
use crate::model::{now, TokenState};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Form {
    #[serde(default, deserialize_with = "trimmed")]
    serial: String,
    #[serde(default)]
    otp: Secret,
    #[serde(default)]
    transfer_password: Secret,
}

pub(super) fn form<'a>(lang: Lang, kept: &'a Kept) -> FormSpec<'a> {
    FormSpec {
        intro: t(lang, Key::RegisterIntro),
        fields: vec![
            Field::Text {
                name: "serial",
                label: t(lang, Key::Serial),
                value: &kept.serial,
                autocomplete: "off",
            },
            Field::Otp {
                name: "otp",
                label: t(lang, Key::Otp),
            },
            Field::Password {
                name: "transfer_password",
                label: t(lang, Key::TransferPassword),
                autocomplete: "off",
            },
        ],
        submit: Key::SubmitRegister,
    }
}

pub(super) async fn submit(
    ctx: &Ctx<'_>,
    s: &mut Session,
    contract: &str,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let (st, lang) = (ctx.st, ctx.lang);
    let form: Form = parse(body);
    let kept = Kept {
        serial: form.serial.clone(),
        ..Kept::default()
    };
    let actor = format!("ib:{contract}");
    // A mistyped serial is said first: its check digit is public, and checking it spends nothing.
    if let Err(e) = st.svc.resolve_serial(&form.serial).await {
        if let Some(words) = proofs::serial_typo(lang, &e) {
            return Ok(Outcome::Again(words, kept));
        }
    }
    if let Some(words) = proofs::transfer_password(
        st,
        lang,
        contract,
        None,
        &actor,
        "register",
        form.transfer_password.expose(),
    )
    .await?
    {
        return Ok(Outcome::Again(words, kept));
    }
    let proof = prove_new_token(
        st,
        lang,
        contract,
        &form.serial,
        form.otp.expose(),
        &actor,
        "ib_register",
    )
    .await?;
    let serial = match proved_serial(ctx, s, proof, kept.clone()) {
        Ok(serial) => serial,
        Err(outcome) => return Ok(outcome),
    };
    // The database allows a contract one active token: a registration racing another one loses here.
    match st
        .svc
        .db
        .set_state(
            &serial,
            &[TokenState::Issued],
            TokenState::Active,
            Some(contract),
            now(),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => return Ok(Outcome::Again(ctx.words(Key::ErrSerialTaken), kept)),
        Err(DbError::HasActiveToken) => {
            return Ok(Outcome::Again(ctx.words(Key::ErrHasToken), Kept::default()))
        }
        Err(e) => return Err(e.into()),
    }
    st.svc.db.transfer_password_passed(contract).await?;
    st.svc
        .audit(&actor, "register", Some(&serial), Some(contract), "ok", "")
        .await?;
    s.stage = Stage::Start;
    Ok(Outcome::Done(Key::DoneRegister))
}
