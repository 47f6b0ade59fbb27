//! ログイン時ワンタイムパスワード利用設定 (a logged-in customer): login OTP on or off, confirmed with a code.

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, Kept, Secret};
use super::step::{Ctx, FormSpec, Outcome};
use crate::error::ApiError;
use crate::ib::proofs::{active_token, refusal};
use crate::ib::session::Session;
use crate::ib::text::{t, Key};
use crate::ib::view::Field;
use crate::model::TokenState;

/// The setting chosen.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum OnOff {
    On,
    #[default]
    Off,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Form {
    #[serde(default)]
    login_otp: OnOff,
    #[serde(default)]
    otp: Secret,
}

pub(super) async fn form<'a>(ctx: &Ctx<'_>, s: &Session) -> Result<FormSpec<'a>, ApiError> {
    let lang = ctx.lang;
    let on = match s.logged_in() {
        Some(c) => ctx.st.svc.db.customer(c).await?.is_some_and(|c| c.login_otp),
        None => true,
    };
    Ok(FormSpec {
        intro: t(lang, Key::LoginOtpSettingIntro),
        fields: vec![
            Field::Radio {
                name: "login_otp",
                options: vec![("on", t(lang, Key::On), on), ("off", t(lang, Key::Off), !on)],
            },
            Field::Otp {
                name: "otp",
                label: t(lang, Key::Otp),
            },
        ],
        submit: Key::Save,
    })
}

pub(super) async fn submit(ctx: &Ctx<'_>, contract: &str, body: &Bytes) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: Form = parse(body);
    let actor = format!("ib:{contract}");
    let Some(tok) = active_token(st, contract).await? else {
        return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), Kept::default()));
    };
    let v = st
        .svc
        .validate(
            &tok.serial,
            form.otp.expose(),
            TokenState::Active,
            &actor,
            "ib_login_otp_setting",
        )
        .await?;
    if !v.valid {
        return Ok(Outcome::Again(refusal(st, ctx.lang, &v), Kept::default()));
    }
    let on = form.login_otp == OnOff::On;
    st.svc.db.set_login_otp(contract, on).await?;
    st.svc
        .audit(
            &actor,
            "login_otp_setting",
            None,
            Some(contract),
            "ok",
            if on { "on" } else { "off" },
        )
        .await?;
    Ok(Outcome::DoneHome(Key::DoneSetting))
}
