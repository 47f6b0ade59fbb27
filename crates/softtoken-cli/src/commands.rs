//! What each subcommand does: parse its arguments into core types, call softtoken-core, print.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

use serde_json::json;
use softtoken_core::otp::{unix_seconds, Generator};
use softtoken_core::serial::display_serial;
use softtoken_core::{
    qr, Digits, NewToken, OtpAuthUri, OtpKind, Params, Period, Seed, Serial, Token, TokenInfo, Totp,
};

use crate::args::{AdHoc, AddArgs, Cli, CodeArgs, Command, QrCommand, SerialCommand, WatchArgs};
use crate::store::{self, StoreSpec};
use crate::CliError;

/// The most codes `--count` prints.
const MAX_COUNT: u64 = 100_000_000;

pub fn run(cli: Cli) -> Result<(), CliError> {
    let spec = StoreSpec::parse(&cli.store)?;
    let open = || store::open(&spec, cli.home.as_deref());
    match cli.command {
        Command::Code(a) => code(a, open),
        Command::Qr(q) => qr_cmd(q),
        Command::Add(a) => add(a, open()?),
        Command::List { json } => list(&*open()?, json),
        Command::Serial {
            check: Some(SerialCommand::Check { serial, json }),
            ..
        } => serial_check(&serial, json),
        Command::Serial {
            check: None,
            token: Some(t),
            json,
        } => serial_show(&*open()?, &t, json),
        Command::Serial {
            check: None,
            token: None,
            ..
        } => Err(CliError::Usage(
            "give a token (NAME_OR_SERIAL) or use `softtoken serial check SERIAL`".into(),
        )),
        Command::Watch(a) => watch(a, open),
        Command::Remove { token, yes } => remove(open()?, &token, yes),
        Command::Provision {
            server,
            activation_code,
            allow_http,
            json,
        } => {
            // The URL is checked before the store is opened (and its passphrase asked for).
            let base = crate::provision::service_url(&server, allow_http)?;
            let code = activation_code
                .map(|c| c.read("the activation code"))
                .transpose()?;
            crate::provision::provision(open()?, &base, code.as_ref().map(|c| c.as_str()), json)
        }
    }
}

pub(crate) fn stdout() -> BufWriter<std::io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 16, std::io::stdout().lock())
}

pub(crate) fn print_json(v: &serde_json::Value) -> Result<(), CliError> {
    let mut out = stdout();
    serde_json::to_writer_pretty(&mut out, v).map_err(|e| CliError::Io(e.to_string()))?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Builds a token from `--secret …` or `--uri …`.
fn adhoc_token(a: &AdHoc, issuer: Option<String>) -> Result<Option<Token>, CliError> {
    let new = if let Some(uri) = &a.uri {
        NewToken::from(OtpAuthUri::parse(&uri.read("the otpauth URI")?)?)
    } else if let Some(secret) = &a.secret {
        let params = Params {
            algorithm: a.algorithm.map(Into::into).unwrap_or_default(),
            digits: Digits::new(a.digits.unwrap_or(6))?,
        };
        let period = Period::new(a.period.unwrap_or(30))?;
        NewToken {
            issuer,
            account: String::new(),
            serial: None,
            kind: OtpKind::Totp { period },
            params,
            seed: Seed::from_base32(&secret.read("the secret")?)?,
        }
    } else {
        return Ok(None);
    };
    let info = new.info(0);
    Ok(Some(Token::new(info, new.seed)))
}

fn code(
    a: CodeArgs,
    open: impl FnOnce() -> Result<Box<dyn softtoken_core::TokenStore>, CliError>,
) -> Result<(), CliError> {
    if a.count == 0 || a.count > MAX_COUNT {
        return Err(CliError::Usage(format!("--count must be 1 to {MAX_COUNT}")));
    }
    let now = match a.at {
        Some(t) => unix_seconds(t)?,
        None => softtoken_core::now(),
    };
    let adhoc = adhoc_token(&a.adhoc, None)?;
    let (token, mut store) = match (adhoc, &a.token) {
        (Some(t), _) => (t, None),
        (None, Some(q)) => {
            let store = open()?;
            (store.load(q)?, Some(store))
        }
        (None, None) => {
            return Err(CliError::Usage(
                "say which token: NAME_OR_SERIAL, --secret BASE32 or --uri URI".into(),
            ))
        }
    };
    let params = token.info.params();
    let (gen_first, period) = match token.info.kind {
        OtpKind::Totp { period } => {
            let totp = Totp::new(token.seed(), params, period);
            (totp.step_at(now), Some(period))
        }
        OtpKind::Hotp { counter } => (counter, None),
    };
    let generator = Generator::new(token.seed(), params);
    // A stored HOTP token's counters are used up by showing their codes. They are taken from the store as it is
    // now, under its lock, so a code shown by the app meanwhile is not shown again.
    let gen_first = match (token.info.kind, store.as_mut()) {
        (OtpKind::Hotp { .. }, Some(store)) => {
            store.use_counters(&token.info.id, a.count)?.unwrap_or(gen_first)
        }
        _ => gen_first,
    };
    let last = gen_first.saturating_add(a.count - 1);
    if a.json {
        let codes: Vec<serde_json::Value> = (gen_first..=last)
            .map(|step| {
                let mut v = json!({ "code": generator.code_for_counter(step).as_str() });
                match period {
                    Some(p) => {
                        let from = step.saturating_mul(p.seconds());
                        v["step"] = json!(step);
                        v["valid_from"] = json!(from);
                        v["valid_until"] = json!(from.saturating_add(p.seconds()));
                        if step == gen_first {
                            v["seconds_left"] = json!(p.seconds() - now % p.seconds());
                        }
                    }
                    None => v["counter"] = json!(step),
                }
                v
            })
            .collect();
        let mut out = json!({
            "name": token.info.name(),
            "serial": token.info.serial_display(),
            "type": token.info.kind.to_string(),
            "digits": params.digits.get(),
            "algorithm": params.algorithm.as_str(),
            "codes": codes,
        });
        if a.token.is_none() {
            out.as_object_mut().map(|o| o.remove("name"));
        }
        return print_json(&out);
    }
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut out = stdout();
    generator.write_range(gen_first, a.count, threads, &mut out)?;
    out.flush()?;
    Ok(())
}

fn qr_cmd(q: QrCommand) -> Result<(), CliError> {
    match q {
        QrCommand::Encode { text, out } => {
            let ext = out
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let bytes = match ext.as_deref() {
                Some("png") => qr::render_png(&text)?,
                Some("svg") => qr::render_svg(&text)?.into_bytes(),
                _ => return Err(CliError::Usage("--out must end in .png or .svg".into())),
            };
            std::fs::write(&out, bytes)
                .map_err(|e| CliError::Io(format!("cannot write {}: {e}", out.display())))
        }
        QrCommand::Decode { file } => {
            let bytes = read_image(&file)?;
            let mut out = stdout();
            for text in qr::decode(&bytes)? {
                writeln!(out, "{text}")?;
            }
            out.flush()?;
            Ok(())
        }
    }
}

/// An image file for the QR decoder, read only up to one byte over the decoder's limit: a larger file (or a device
/// such as /dev/zero) is then refused by [`qr::decode`] with its typed error, without first being read whole.
fn read_image(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| CliError::Io(format!("cannot read {}: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(qr::MAX_DECODE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    Ok(bytes)
}

pub(crate) fn info_json(t: &TokenInfo) -> serde_json::Value {
    let (period, counter) = match t.kind {
        OtpKind::Totp { period } => (Some(period.seconds()), None),
        OtpKind::Hotp { counter } => (None, Some(counter)),
    };
    json!({
        "id": t.id,
        "name": t.name(),
        "issuer": t.issuer,
        "account": t.account,
        "serial": t.serial,
        "serial_display": t.serial_display(),
        "type": t.kind.to_string(),
        "algorithm": t.algorithm.as_str(),
        "digits": t.digits.get(),
        "period": period,
        "counter": counter,
        "created": t.created,
    })
}

fn add(a: AddArgs, mut store: Box<dyn softtoken_core::TokenStore>) -> Result<(), CliError> {
    let new = if let Some(uri) = &a.uri {
        NewToken::from(OtpAuthUri::parse(&uri.read("the otpauth URI")?)?)
    } else if let Some(path) = &a.qr {
        let texts = qr::decode(&read_image(path)?)?;
        let uris: Vec<&String> = texts
            .iter()
            .filter(|t| t.trim().to_ascii_lowercase().starts_with("otpauth://"))
            .collect();
        match uris.as_slice() {
            [one] => NewToken::from(OtpAuthUri::parse(one)?),
            [] => {
                return Err(softtoken_core::Error::BadUri {
                    reason: format!(
                        "the image's QR code{} no otpauth:// URI",
                        if texts.len() > 1 { "s hold" } else { " holds" }
                    ),
                }
                .into())
            }
            many => {
                return Err(CliError::Usage(format!(
                    "the image holds {} provisioning QR codes; crop it to the one to add",
                    many.len()
                )))
            }
        }
    } else if let Some(secret) = &a.secret {
        let kind = match a.counter {
            Some(counter) => OtpKind::Hotp { counter },
            None => OtpKind::Totp {
                period: Period::new(a.period.unwrap_or(30))?,
            },
        };
        let serial = match &a.serial {
            // Our own serials are checked (a typo is caught here); other issuers' are kept as given.
            Some(s) if s.trim().len() >= 12 && s.trim().chars().take(4).all(|c| c.is_ascii_alphabetic()) => {
                Some(Serial::parse(s).map(String::from).or_else(|e| match e {
                    softtoken_core::Error::SerialCheckDigit { .. } => Err(e),
                    _ => Ok(s.trim().to_string()),
                })?)
            }
            Some(s) => Some(s.trim().to_string()),
            None => None,
        };
        NewToken {
            issuer: a.issuer.clone(),
            account: a.account.clone(),
            serial,
            kind,
            params: Params {
                algorithm: a.algorithm.map(Into::into).unwrap_or_default(),
                digits: Digits::new(a.digits.unwrap_or(6))?,
            },
            seed: Seed::from_base32(&secret.read("the secret")?)?,
        }
    } else {
        return Err(CliError::Usage(
            "give an otpauth URI, --qr FILE, or --secret BASE32 --issuer NAME".into(),
        ));
    };
    let info = store.add(new, softtoken_core::now())?;
    if a.json {
        return print_json(&info_json(&info));
    }
    let mut out = stdout();
    writeln!(out, "added {}", printable(&info.name()))?;
    if let Some(s) = info.serial_display() {
        writeln!(out, "serial {}", printable(&s))?;
    }
    out.flush()?;
    Ok(())
}

fn list(store: &dyn softtoken_core::TokenStore, json: bool) -> Result<(), CliError> {
    let tokens = store.list()?;
    if json {
        return print_json(&serde_json::Value::Array(tokens.iter().map(info_json).collect()));
    }
    let mut out = stdout();
    if tokens.is_empty() {
        writeln!(out, "no tokens (add one with `softtoken add`)")?;
    }
    for t in &tokens {
        let kind = match t.kind {
            OtpKind::Totp { period } => format!("totp/{}s", period.seconds()),
            OtpKind::Hotp { counter } => format!("hotp#{counter}"),
        };
        writeln!(
            out,
            "{:<16}  {:<16}  {:<10}  {}",
            printable(&t.serial_display().unwrap_or_else(|| "-".into())),
            kind,
            format!("{}/{}", t.algorithm, t.digits.get()),
            printable(&t.name())
        )?;
    }
    out.flush()?;
    Ok(())
}

fn serial_show(store: &dyn softtoken_core::TokenStore, query: &str, json: bool) -> Result<(), CliError> {
    let t = store.find(query)?;
    let Some(serial) = &t.serial else {
        return Err(CliError::Io(format!(
            "{} has no serial number",
            printable(&t.name())
        )));
    };
    if json {
        return print_json(&json!({ "name": t.name(), "serial": serial, "display": display_serial(serial) }));
    }
    let mut out = stdout();
    writeln!(out, "{}", printable(&display_serial(serial)))?;
    out.flush()?;
    Ok(())
}

fn serial_check(typed: &str, json: bool) -> Result<(), CliError> {
    let result = Serial::parse(typed);
    if json {
        let v = match &result {
            Ok(s) => json!({ "valid": true, "canonical": s.as_str(), "display": s.grouped() }),
            Err(e) => json!({ "valid": false, "reason": e.code(), "message": e.to_string() }),
        };
        print_json(&v)?;
        return result.map(|_| ()).map_err(CliError::from);
    }
    let s = result?;
    let mut out = stdout();
    writeln!(out, "valid: {}", s.as_str())?;
    writeln!(out, "{}", s.grouped())?;
    out.flush()?;
    Ok(())
}

fn remove(mut store: Box<dyn softtoken_core::TokenStore>, query: &str, yes: bool) -> Result<(), CliError> {
    let t = store.find(query)?;
    let what = match t.serial_display() {
        Some(s) => format!("{} (serial {})", printable(&t.name()), printable(&s)),
        None => printable(&t.name()),
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "not a terminal: add --yes to delete without asking".into(),
            ));
        }
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "Delete {what}?\n\
             If your bank still uses this token, register the new token first (交換) or stop this one \
             (利用停止) in internet banking. A deleted token cannot be recovered; the bank must reissue it.\n\
             Type 'yes' to delete: "
        )?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            writeln!(err, "not deleted")?;
            return Ok(());
        }
    }
    store.remove(&t.id)?;
    let mut out = stdout();
    writeln!(out, "removed {what}")?;
    out.flush()?;
    Ok(())
}

fn watch(
    a: WatchArgs,
    open: impl FnOnce() -> Result<Box<dyn softtoken_core::TokenStore>, CliError>,
) -> Result<(), CliError> {
    let tokens: Vec<Token> = match adhoc_token(&a.adhoc, a.issuer.clone())? {
        Some(t) => vec![t],
        None => {
            let store = open()?;
            match &a.token {
                Some(q) => vec![store.load(q)?],
                None => {
                    let all = store.list()?;
                    if all.is_empty() {
                        return Err(softtoken_core::Error::TokenNotFound {
                            query: "(any)".into(),
                        }
                        .into());
                    }
                    all.iter().map(|t| store.load(&t.id)).collect::<Result<_, _>>()?
                }
            }
        }
    };
    let totps: Vec<(String, Totp)> = tokens
        .iter()
        .map(|t| {
            let label = match t.info.serial_display() {
                Some(s) => format!("{} [{}]", printable(&t.info.name()), printable(&s)),
                None => printable(&t.info.name()),
            };
            let label = if label.is_empty() {
                "(token)".to_string()
            } else {
                label
            };
            match t.totp() {
                Some(totp) => Ok((label, totp)),
                None => Err(CliError::Usage(format!(
                    "{label} is an HOTP token: use `softtoken code` for its next code"
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    let tty = std::io::stdout().is_terminal();
    let started = std::time::Instant::now();
    let mut shown_steps: Option<Vec<u64>> = None;
    let mut out = std::io::stdout().lock();
    loop {
        let now = softtoken_core::now();
        let steps: Vec<u64> = totps.iter().map(|(_, t)| t.step_at(now)).collect();
        if tty {
            // Redraw every second: one line per token, moving the cursor back up between frames.
            if shown_steps.is_some() {
                write!(out, "\x1b[{}F", totps.len())?;
            }
            for (label, totp) in &totps {
                writeln!(out, "\x1b[2K{}", render_line(label, totp, now))?;
            }
            out.flush()?;
            shown_steps = Some(steps);
        } else if shown_steps.as_ref() != Some(&steps) {
            // Not a terminal (a pipe or a log): a line per token each time a code changes.
            for (label, totp) in &totps {
                writeln!(out, "{}", render_line(label, totp, now))?;
            }
            out.flush()?;
            shown_steps = Some(steps);
        }
        if a.duration
            .is_some_and(|d| started.elapsed() >= Duration::from_secs(d))
        {
            return Ok(());
        }
        // Wake just after the next whole second so the countdown and the code flip on the clock's boundary.
        let sub = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_millis())
            .unwrap_or(0);
        std::thread::sleep(Duration::from_millis(u64::from(1000 - sub.min(999)) + 5));
    }
}

/// `text` as one printable line: names come from QR codes and files, errors quote what the user typed or a server
/// sent, and a control character (an escape sequence, a carriage return) must not rewrite the terminal. A newline
/// becomes a space; other control characters are shown escaped (`\u{1b}`). JSON output needs none of this.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => " ".to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// `しんきんデモ [SKTN 1234 5671]  287 082  ▕██████████░░░░░▏ 12s`
fn render_line(label: &str, totp: &Totp, now: u64) -> String {
    let left = totp.seconds_left(now);
    let period = totp.period().seconds();
    let width = 20u64;
    let filled = (left * width).div_ceil(period).min(width);
    let bar: String = (0..width).map(|i| if i < filled { '█' } else { '░' }).collect();
    format!("{label}  {}  ▕{bar}▏ {left:>2}s", totp.code_at(now).grouped())
}
