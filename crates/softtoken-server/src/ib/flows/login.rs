//! ログイン: the contract ID and login password (also the first step of 利用登録, 交換 and 利用停止), then a
//! one-time password when the customer has login OTP on.
//!
//! Guessing is slowed per client address (in memory) and per contract and client address (in the database,
//! `db/lockouts.rs`), never per contract alone, which would let anyone keep a known contract out of its internet
//! banking.

use axum::body::Bytes;
use serde::Deserialize;

use super::form::{parse, trimmed, Kept, Secret};
use super::step::{Ctx, FormSpec, Outcome};
use crate::error::ApiError;
use crate::ib::flow::Flow;
use crate::ib::password::verify_password;
use crate::ib::proofs::{active_token, refusal};
use crate::ib::session::{Session, Stage};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;
use crate::model::{now, TokenState};

/// Login attempts one client address may make per minute, whatever the contract.
pub const LOGINS_PER_MINUTE_PER_ADDRESS: u32 = 30;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Credentials {
    #[serde(default, deserialize_with = "trimmed")]
    contract_id: String,
    #[serde(default)]
    password: Secret,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Code {
    #[serde(default)]
    otp: Secret,
}

pub(super) fn credentials_form(lang: Lang, flow: Flow, kept: &Kept) -> FormSpec<'_> {
    let (intro, submit) = if flow == Flow::Login {
        (Key::LoginIntro, Key::Login)
    } else {
        (Key::Step1Intro, Key::Next)
    };
    FormSpec {
        intro: t(lang, intro),
        fields: vec![
            Field::Text {
                name: "contract_id",
                label: t(lang, Key::ContractId),
                value: &kept.contract_id,
                autocomplete: "username",
            },
            Field::Password {
                name: "password",
                label: t(lang, Key::LoginPassword),
                autocomplete: "current-password",
            },
        ],
        submit,
    }
}

pub(super) fn code_form(lang: Lang) -> FormSpec<'static> {
    FormSpec {
        intro: t(lang, Key::LoginOtpIntro),
        fields: vec![Field::Otp {
            name: "otp",
            label: t(lang, Key::Otp),
        }],
        submit: Key::Login,
    }
}

/// The words for a client that must wait before its next login password; after `wrong`, the password was wrong
/// too. (During the wait the password is not looked at, so nothing is said about it.)
fn wait_words(lang: Lang, seconds: i64, wrong: bool) -> String {
    let wait = t(lang, Key::ErrLoginWait).replace("{n}", &seconds.to_string());
    match (wrong, lang) {
        (false, _) => wait,
        (true, Lang::Ja) => format!("{}{wait}", t(lang, Key::ErrLogin)),
        (true, Lang::En) => format!("{} {wait}", t(lang, Key::ErrLogin)),
    }
}

/// The first step of login, 利用登録, 交換 and 利用停止: the contract ID and login password.
pub(super) async fn credentials(
    ctx: &Ctx<'_>,
    s: &mut Session,
    flow: Flow,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: Credentials = parse(body);
    let contract = form.contract_id.as_str();
    let kept = Kept {
        contract_id: contract.to_string(),
        ..Kept::default()
    };
    let ip = crate::limiter::client_key(ctx.addr.0);
    // The client's address is limited first; only an identifier that could exist is counted, looked up or
    // recorded (a junk one cannot grow the limiter or reach the audit table).
    let plausible = crate::sane_id(contract);
    if !st.limiter.allow("login-ip", &ip, LOGINS_PER_MINUTE_PER_ADDRESS) {
        st.svc
            .audit(
                "ib",
                "ib_auth",
                None,
                plausible.then_some(contract),
                "rate_limited",
                flow.name(),
            )
            .await?;
        return Ok(Outcome::Again(ctx.words(Key::ErrRate), kept));
    }
    let customer = if plausible {
        st.svc.db.customer(contract).await?
    } else {
        None
    };
    if let Some(c) = &customer {
        let wait = st.svc.db.login_blocked_until(&c.contract_id, &ip).await? - now();
        if wait > 0 {
            st.svc
                .audit(
                    "ib",
                    "ib_auth",
                    None,
                    Some(&c.contract_id),
                    "login_waiting",
                    &format!("{} from {ip}", flow.name()),
                )
                .await?;
            return Ok(Outcome::Again(wait_words(ctx.lang, wait, false), kept));
        }
    }
    // An unknown contract ID costs the same Argon2 verification as a wrong password, so the answer's timing does
    // not tell which contract IDs exist.
    let hash = customer.as_ref().map(|c| c.password_hash.as_str());
    let ok = verify_password(form.password.expose(), hash).await?;
    let customer = match customer {
        Some(c) if ok => c,
        other => {
            // With the contract ID when it exists (so that guessing against one contract shows in its audit), and
            // the client's address (its /64 for IPv6).
            let known = other.map(|c| c.contract_id);
            st.svc
                .audit(
                    "ib",
                    "ib_auth",
                    None,
                    known.as_deref(),
                    "bad_credentials",
                    &format!("{} from {ip}", flow.name()),
                )
                .await?;
            if let Some(c) = &known {
                let wait = st.svc.db.login_failed(c, &ip, now()).await?;
                if wait > 0 {
                    return Ok(Outcome::Again(wait_words(ctx.lang, wait, true), kept));
                }
            }
            return Ok(Outcome::Again(ctx.words(Key::ErrLogin), kept));
        }
    };
    let contract = customer.contract_id.as_str();
    st.svc.db.login_passed(contract, &ip).await?;
    let actor = format!("ib:{contract}");
    st.svc
        .audit(&actor, "ib_auth", None, Some(contract), "ok", flow.name())
        .await?;
    s.renew(st, contract).await?;
    let active = active_token(st, contract).await?;
    s.stage = match flow {
        Flow::Login if customer.login_otp && active.is_some() => Stage::LoginCode,
        Flow::Login => {
            s.stage = Stage::LoggedIn;
            st.svc
                .audit(&actor, "ib_login", None, Some(contract), "ok", "no otp")
                .await?;
            return Ok(Outcome::Home);
        }
        Flow::Register if active.is_some() => {
            s.stage = Stage::Start;
            return Ok(Outcome::Again(ctx.words(Key::ErrHasToken), Kept::default()));
        }
        Flow::Exchange | Flow::Stop if active.is_none() => {
            s.stage = Stage::Start;
            return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), Kept::default()));
        }
        _ => Stage::Proved { flow, tries: 0 },
    };
    Ok(Outcome::Next)
}

/// The login's second step when login OTP is on: a code of the contract's active token.
pub(super) async fn code(
    ctx: &Ctx<'_>,
    s: &mut Session,
    contract: &str,
    body: &Bytes,
) -> Result<Outcome, ApiError> {
    let st = ctx.st;
    let form: Code = parse(body);
    let Some(tok) = active_token(st, contract).await? else {
        s.stage = Stage::Start;
        return Ok(Outcome::Again(ctx.words(Key::ErrNoToken), Kept::default()));
    };
    let v = st
        .svc
        .validate(
            &tok.serial,
            form.otp.expose(),
            TokenState::Active,
            &format!("ib:{contract}"),
            "ib_login",
        )
        .await?;
    if !v.valid {
        return Ok(Outcome::Again(refusal(st, ctx.lang, &v), Kept::default()));
    }
    s.stage = Stage::LoggedIn;
    Ok(Outcome::Home)
}
