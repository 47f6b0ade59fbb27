//! 利用停止: after the contract ID and login password, a code of the token and the transfer password.

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, Kept, Secret};
use super::step::{Ctx, FormSpec, Outcome};
use crate::error::ApiError;
use crate::ib::proofs::{active_token, transfer_proofs};
use crate::ib::session::{Session, Stage};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;
use crate::model::{now, TokenState};

#[derive(Debug, Default, Deserialize)]
pub(super) struct Form {
    #[serde(default)]
    otp: Secret,
    #[serde(default)]
    transfer_password: Secret,
}

pub(super) fn form(lang: Lang) -> FormSpec<'static> {
    FormSpec {
        intro: t(lang, Key::StopIntro),
        fields: vec![
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
        submit: Key::SubmitStop,
    }
}

pub(super) async fn submit(
    ctx: &Ctx<'_>,
    s: &mut Session,
    contract: &str,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: Form = parse(body);
    let actor = format!("ib:{contract}");
    let Some(tok) = active_token(st, contract).await? else {
        s.stage = Stage::Start;
        return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), Kept::default()));
    };
    if let Some(words) = transfer_proofs(
        st,
        ctx.lang,
        &tok,
        &actor,
        "stop",
        form.transfer_password.expose(),
        form.otp.expose(),
    )
    .await?
    {
        return Ok(Outcome::Again(words, Kept::default()));
    }
    let stopped = st
        .svc
        .db
        .set_state(
            &tok.serial,
            &[TokenState::Active],
            TokenState::Stopped,
            None,
            now(),
        )
        .await?;
    s.stage = Stage::Start;
    if !stopped {
        // The token changed (revoked, replaced) between the code check and now: nothing was stopped.
        st.svc
            .audit(
                &actor,
                "stop",
                Some(&tok.serial),
                Some(contract),
                "not_active",
                "",
            )
            .await?;
        return Ok(Outcome::Again(ctx.words(Key::ErrNotActive), Kept::default()));
    }
    st.svc
        .audit(&actor, "stop", Some(&tok.serial), Some(contract), "ok", "")
        .await?;
    Ok(Outcome::Done(Key::DoneStop))
}
