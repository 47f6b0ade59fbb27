//! Token serial numbers (シリアル番号 / トークンID).
//!
//! A serial is a 4-letter issuer prefix and 8 digits, the last of which is a **Damm** check digit over the 7
//! before it: `SKTN 1234 5670`. Damm was chosen over Luhn because it catches every single-digit typo *and* every
//! swap of two adjacent digits (Luhn misses `09` ↔ `90`), with no extra character (ISO 7064 mod 11 may need `X`).
//! The prefix is the issuer's fixed value and is checked by the bank, not by the check digit.
//!
//! Parsing is forgiving of the ways people type: lowercase, spaces, hyphens, and full-width letters, digits,
//! spaces and dashes from Japanese input methods (`ＳＫＴＮ－１２３４－５６７０`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The prefix softtoken's reference server gives its tokens.
pub const DEFAULT_PREFIX: &str = "SKTN";

/// The largest 7-digit payload.
pub const MAX_NUMBER: u32 = 9_999_999;

const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// The Damm check digit of a string of ASCII digits.
#[must_use]
pub fn damm_check_digit(digits: &[u8]) -> u8 {
    digits
        .iter()
        // Callers pass ASCII digits; anything else is folded into 0-9 rather than panicking.
        .fold(0u8, |interim, d| {
            DAMM[interim as usize][usize::from(d.wrapping_sub(b'0')) % 10]
        })
}

/// A well-formed serial number with a valid check digit.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Serial {
    /// `PPPP` + 8 digits, upper case, no separators.
    canonical: String,
}

impl Serial {
    /// Builds the serial with `prefix` and the 7-digit `number` (0..=9 999 999), adding the check digit.
    ///
    /// # Errors
    /// [`Error::BadSerial`] if the prefix is not 4 ASCII letters or the number has more than 7 digits.
    pub fn new(prefix: &str, number: u32) -> Result<Serial> {
        let prefix = prefix.to_ascii_uppercase();
        if prefix.len() != 4 || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::BadSerial {
                input: prefix,
                reason: "the prefix must be 4 letters A-Z",
            });
        }
        if number > MAX_NUMBER {
            return Err(Error::BadSerial {
                input: number.to_string(),
                reason: "the number has more than 7 digits",
            });
        }
        let digits = format!("{number:07}");
        let check = damm_check_digit(digits.as_bytes());
        Ok(Serial {
            canonical: format!("{prefix}{digits}{check}"),
        })
    }

    /// A random serial with `prefix`, from the OS RNG (the server checks it is unused).
    ///
    /// # Errors
    /// As [`Serial::new`] for a bad prefix.
    pub fn random(prefix: &str) -> Result<Serial> {
        Serial::new(prefix, rand::random_range(0..=MAX_NUMBER))
    }

    /// Parses a typed serial (see the module docs for what is accepted).
    ///
    /// # Errors
    /// [`Error::BadSerial`] if it does not have the shape of a serial, [`Error::SerialCheckDigit`] if it has the
    /// shape but a digit is mistyped or two are swapped.
    pub fn parse(input: &str) -> Result<Serial> {
        let shown: String = input.chars().take(40).collect();
        let mut clean = String::with_capacity(12);
        for ch in input.chars().map(fold_width) {
            match ch {
                // Separators people type: spaces, ASCII and Unicode hyphens and dashes, the katakana long mark
                // that Japanese IMEs produce for '-'.
                ' '
                | '\t'
                | '-'
                | '_'
                | '.'
                | '\u{2010}'..='\u{2015}'
                | '\u{2212}'
                | '\u{30FC}'
                | '\u{FF70}' => {}
                c if c.is_ascii_alphanumeric() => clean.push(c.to_ascii_uppercase()),
                _ => {
                    return Err(Error::BadSerial {
                        input: shown,
                        reason: "it contains a character that is not a letter, digit, space or hyphen",
                    })
                }
            }
        }
        let bytes = clean.as_bytes();
        if bytes.len() != 12 {
            return Err(Error::BadSerial {
                input: shown,
                reason: "it does not have 12 letters and digits",
            });
        }
        let (prefix, digits) = bytes.split_at(4);
        if !prefix.iter().all(u8::is_ascii_uppercase) {
            return Err(Error::BadSerial {
                input: shown,
                reason: "it must start with 4 letters",
            });
        }
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::BadSerial {
                input: shown,
                reason: "the last 8 characters must be digits",
            });
        }
        if damm_check_digit(digits) != 0 {
            return Err(Error::SerialCheckDigit { input: shown });
        }
        Ok(Serial { canonical: clean })
    }

    /// `SKTN12345670`: what is stored and sent to the bank.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The issuer prefix, e.g. `SKTN`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.canonical[..4]
    }

    /// `SKTN 1234 5670`: what screens show.
    #[must_use]
    pub fn grouped(&self) -> String {
        let c = &self.canonical;
        format!("{} {} {}", &c[..4], &c[4..8], &c[8..])
    }
}

impl fmt::Display for Serial {
    /// The grouped form; use [`Serial::as_str`] for the canonical one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.canonical)
    }
}

impl FromStr for Serial {
    type Err = Error;
    fn from_str(s: &str) -> Result<Serial> {
        Serial::parse(s)
    }
}

impl TryFrom<String> for Serial {
    type Error = Error;
    fn try_from(s: String) -> Result<Serial> {
        Serial::parse(&s)
    }
}

impl From<Serial> for String {
    fn from(s: Serial) -> String {
        s.canonical
    }
}

/// Folds the full-width forms Japanese input methods type (`Ａ`-`Ｚ`, `ａ`-`ｚ`, `０`-`９`, `－`, the ideographic
/// space, the small hyphen-minus, the no-break space) to ASCII. Deliberately narrower than NFKC, which would also read `①` or `²` as digits.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        '\u{FE63}' => '-',
        _ => c,
    }
}

/// Shows a serial the way screens do: grouped when it is one of ours, as given otherwise (a token imported from
/// another issuer, e.g. privacyIDEA's `TOTP0001A2B3`, keeps its own form).
#[must_use]
pub fn display_serial(raw: &str) -> String {
    Serial::parse(raw)
        .map(|s| s.grouped())
        .unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damm_known_value() {
        // The textbook example: 572 has check digit 4.
        assert_eq!(damm_check_digit(b"572"), 4);
        assert_eq!(damm_check_digit(b"5724"), 0);
    }

    #[test]
    fn build_and_parse_round_trip() {
        let s = Serial::new("sktn", 1_234_567).unwrap();
        assert_eq!(s.as_str(), "SKTN12345671");
        assert_eq!(s.grouped(), "SKTN 1234 5671");
        assert_eq!(Serial::parse(&s.grouped()).unwrap(), s);
    }

    #[test]
    fn japanese_input_forms() {
        let s = Serial::new("SKTN", 1_234_567).unwrap();
        for typed in [
            "ＳＫＴＮ　１２３４　５６７１",
            "sktn-1234-5671",
            "ｓｋｔｎ－１２３４ー５６７１",
            " SKTN12345671 ",
        ] {
            assert_eq!(Serial::parse(typed).unwrap(), s, "{typed}");
        }
    }

    #[test]
    fn every_single_typo_and_adjacent_swap_is_caught() {
        let s = Serial::new("SKTN", 3_141_592).unwrap();
        let digits: Vec<u8> = s.as_str().as_bytes()[4..].to_vec();
        for i in 0..8 {
            for d in b'0'..=b'9' {
                if d == digits[i] {
                    continue;
                }
                let mut t = digits.clone();
                t[i] = d;
                assert_ne!(damm_check_digit(&t), 0, "typo at {i}");
            }
            if i < 7 && digits[i] != digits[i + 1] {
                let mut t = digits.clone();
                t.swap(i, i + 1);
                assert_ne!(damm_check_digit(&t), 0, "swap at {i}");
            }
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(
            Serial::parse("SKTN 1234 5672").unwrap_err().code(),
            "serial_check_digit"
        );
        assert_eq!(Serial::parse("SKTN 1234 567").unwrap_err().code(), "bad_serial");
        assert_eq!(Serial::parse("1234 1234 5671").unwrap_err().code(), "bad_serial");
        assert_eq!(Serial::parse("SKTN 1234 567A").unwrap_err().code(), "bad_serial");
        assert_eq!(Serial::parse("SKTN/1234/5671").unwrap_err().code(), "bad_serial");
        // Circled and superscript digits are not digits a person types into a serial field.
        assert_eq!(Serial::parse("SKTN 1234 567①").unwrap_err().code(), "bad_serial");
        assert_eq!(Serial::parse("SKTN 1234 567¹").unwrap_err().code(), "bad_serial");
        assert!(Serial::new("SKT", 1).is_err());
        assert!(Serial::new("SKTN", 10_000_000).is_err());
    }
}
