//! 振込 (a logged-in customer): payee, amount, the transfer password and a code. Transfers always need a code,
//! whatever the login-OTP setting.

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, trimmed, Kept, Secret};
use super::step::{Ctx, FormSpec, Outcome};
use crate::error::ApiError;
use crate::ib::proofs::{active_token, transfer_proofs};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;

/// The largest amount the demo bank moves, in yen.
const MAX_AMOUNT: u64 = 10_000_000;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Form {
    #[serde(default, deserialize_with = "trimmed")]
    payee: String,
    #[serde(default, deserialize_with = "trimmed")]
    amount: String,
    #[serde(default)]
    transfer_password: Secret,
    #[serde(default)]
    otp: Secret,
}

pub(super) fn form<'a>(lang: Lang, kept: &'a Kept) -> FormSpec<'a> {
    FormSpec {
        intro: t(lang, Key::TransferIntro),
        fields: vec![
            Field::Text {
                name: "payee",
                label: t(lang, Key::Payee),
                value: &kept.payee,
                autocomplete: "off",
            },
            Field::Text {
                name: "amount",
                label: t(lang, Key::Amount),
                value: &kept.amount,
                autocomplete: "off",
            },
            Field::Password {
                name: "transfer_password",
                label: t(lang, Key::TransferPassword),
                autocomplete: "off",
            },
            Field::Otp {
                name: "otp",
                label: t(lang, Key::Otp),
            },
        ],
        submit: Key::SubmitTransfer,
    }
}

pub(super) async fn submit(ctx: &Ctx<'_>, contract: &str, body: &Bytes) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: Form = parse(body);
    let kept = Kept {
        payee: form.payee.clone(),
        amount: form.amount.clone(),
        ..Kept::default()
    };
    let actor = format!("ib:{contract}");
    let Some(tok) = active_token(st, contract).await? else {
        return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), kept));
    };
    let amount = form
        .amount
        .parse::<u64>()
        .ok()
        .filter(|a| (1..=MAX_AMOUNT).contains(a));
    let payee_ok = !form.payee.is_empty() && form.payee.chars().count() <= 64;
    let (Some(amount), true) = (amount, payee_ok) else {
        return Ok(Outcome::Again(ctx.words(Key::ErrAmount), kept));
    };
    if let Some(words) = transfer_proofs(
        st,
        ctx.lang,
        &tok,
        &actor,
        "transfer",
        form.transfer_password.expose(),
        form.otp.expose(),
    )
    .await?
    {
        return Ok(Outcome::Again(words, kept));
    }
    st.svc
        .audit(
            &actor,
            "transfer",
            Some(&tok.serial),
            Some(contract),
            "ok",
            &format!("amount {amount}"),
        )
        .await?;
    Ok(Outcome::DoneHome(Key::DoneTransfer))
}
