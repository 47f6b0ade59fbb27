//! Secrets on the command line: a base32 secret, an otpauth URI (which holds one) and an activation code. An
//! argument is visible to every user of the machine (`ps`) and stays in the shell's history, so each can be given as
//! `-`: then it is read from standard input (one line), e.g. `printf %s "$SECRET" | softtoken add --secret - …`.
//! `Debug` never shows one.

use std::io::BufRead;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::CliError;

/// A secret argument as given: its text, or `-` for standard input.
#[derive(Clone)]
pub struct SecretArg(Zeroizing<String>);

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_stdin() {
            "SecretArg(-)"
        } else {
            "SecretArg([redacted])"
        })
    }
}

impl FromStr for SecretArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(Zeroizing::new(s.to_string())))
    }
}

impl SecretArg {
    /// Whether it is to be read from standard input.
    #[must_use]
    pub fn is_stdin(&self) -> bool {
        self.0.as_str() == "-"
    }

    /// The secret: the argument, or the first line of standard input for `-` (`what` names it in errors).
    ///
    /// # Errors
    /// [`CliError::Usage`] when standard input gives nothing.
    pub fn read(&self, what: &str) -> Result<Zeroizing<String>, CliError> {
        if !self.is_stdin() {
            return Ok(self.0.clone());
        }
        read_line(&mut std::io::stdin().lock(), what)
    }
}

/// The longest line read from standard input, in bytes: far above any secret, URI (4 KiB) or activation code, so
/// that an endless input without a line break is refused instead of filling the memory.
const MAX_LINE: usize = 64 * 1024;

/// The first line of `input`, without its line ending.
fn read_line(input: &mut impl BufRead, what: &str) -> Result<Zeroizing<String>, CliError> {
    let mut line = Zeroizing::new(String::new());
    std::io::Read::take(&mut *input, MAX_LINE as u64 + 1)
        .read_line(&mut line)
        .map_err(|e| CliError::Io(format!("cannot read {what} from standard input: {e}")))?;
    let text = line.trim_end_matches(['\r', '\n']);
    if text.len() > MAX_LINE {
        return Err(CliError::Usage(format!(
            "{what} on standard input is over {MAX_LINE} bytes without a line break: give the value alone on one line"
        )));
    }
    let text = Zeroizing::new(text.to_string());
    if text.trim().is_empty() {
        return Err(CliError::Usage(format!(
            "{what} is `-` but standard input gave nothing: pipe it in, e.g. printf %s \"$VALUE\" | softtoken …"
        )));
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s: SecretArg = "JBSWY3DPEHPK3PXP".parse().unwrap();
        assert_eq!(format!("{s:?}"), "SecretArg([redacted])");
        assert_eq!(s.read("the secret").unwrap().as_str(), "JBSWY3DPEHPK3PXP");
        let dash: SecretArg = "-".parse().unwrap();
        assert_eq!(format!("{dash:?}"), "SecretArg(-)");
    }

    #[test]
    fn standard_input_gives_its_first_line() {
        let mut input = std::io::Cursor::new(b"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\r\nmore\n".to_vec());
        assert_eq!(
            read_line(&mut input, "the URI").unwrap().as_str(),
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"
        );
        let mut empty = std::io::Cursor::new(Vec::new());
        assert!(matches!(
            read_line(&mut empty, "the secret"),
            Err(CliError::Usage(_))
        ));
        // A line up to the limit is read; an endless one is refused after the limit, not read to its end.
        let mut longest = std::io::Cursor::new([vec![b'A'; MAX_LINE], b"\n".to_vec()].concat());
        assert_eq!(read_line(&mut longest, "the secret").unwrap().len(), MAX_LINE);
        let mut endless = std::io::Read::take(std::io::repeat(b'A'), u64::MAX);
        let mut endless = std::io::BufReader::new(&mut endless);
        let refused = read_line(&mut endless, "the secret").err();
        assert!(
            matches!(&refused, Some(CliError::Usage(msg)) if msg.contains("over 65536 bytes")),
            "{refused:?}"
        );
    }
}
