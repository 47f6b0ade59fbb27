//! What every step of a flow shares: its context, its answer and its form.

use super::form::Kept;
use crate::client::ClientAddr;
use crate::ib::proofs::NewToken;
use crate::ib::session::{Session, Stage, NEW_TOKEN_TRIES};
use crate::ib::text::{t, Key, Lang};
use crate::ib::view::Field;
use crate::AppState;

/// What one request of a flow needs besides the session.
pub struct Ctx<'a> {
    pub st: &'a AppState,
    pub addr: &'a ClientAddr,
    pub lang: Lang,
}

impl Ctx<'_> {
    /// The words of `key` in the page's language.
    pub fn words(&self, key: Key) -> String {
        t(self.lang, key).to_string()
    }
}

/// What a step answers.
pub enum Outcome {
    /// The form of the session's (new) stage, as a step forward.
    Next,
    /// The form of the session's stage again, with what went wrong; the contract ID, payee, amount and serial
    /// the customer typed are kept (passwords and codes never are).
    Again(String, Kept),
    /// The flow ended: a result page with the way back to the login.
    Done(Key),
    /// A logged-in action is done: a result page with the way back home.
    DoneHome(Key),
    /// The login is complete: on to the home page.
    Home,
}

/// A form's step of one flow: its intro, fields and button.
pub struct FormSpec<'a> {
    pub intro: &'a str,
    pub fields: Vec<Field<'a>>,
    pub submit: Key,
}

/// A wrong proof of a new token in this session: the form again with `words`, or after [`NEW_TOKEN_TRIES`] of
/// them the end of the procedure, said alone (the customer starts again from the login).
fn wrong_new_token(ctx: &Ctx<'_>, s: &mut Session, words: String, kept: Kept) -> Outcome {
    let tries = match &mut s.stage {
        Stage::Proved { tries, .. } | Stage::ExchangeNew { tries, .. } => {
            *tries += 1;
            *tries
        }
        _ => NEW_TOKEN_TRIES,
    };
    if tries < NEW_TOKEN_TRIES {
        return Outcome::Again(words, kept);
    }
    s.stage = Stage::Start;
    Outcome::Again(ctx.words(Key::ErrNewTokenTries), Kept::default())
}

/// The serial of a proved new token (利用登録, 交換), or the step's answer when the proof failed: a typo said as
/// such, a refusal counted toward the session's [`NEW_TOKEN_TRIES`], a contract whose registrations wait for the
/// bank ending the procedure.
pub fn proved_serial(ctx: &Ctx<'_>, s: &mut Session, proof: NewToken, kept: Kept) -> Result<String, Outcome> {
    match proof {
        NewToken::Proved(serial) => Ok(serial),
        NewToken::Typo(words) => Err(Outcome::Again(words, kept)),
        NewToken::Refused(words) => Err(wrong_new_token(ctx, s, words, kept)),
        NewToken::Locked(words) => {
            s.stage = Stage::Start;
            Err(Outcome::Again(words, Kept::default()))
        }
    }
}
