//! The token's shared secret ("seed"): held in a [`SecretBox`], zeroized on drop, never printed.

use std::fmt;

use data_encoding::{Encoding, Specification};
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// RFC 4226 §4 R6: the shared secret must be at least 128 bits, and at least 80 bits in practice (real bank and
/// service QR codes carry 80-bit secrets). We refuse anything shorter than 80 bits.
pub const MIN_SEED_BITS: usize = 80;

/// The longest seed we accept (a SHA512 block is 128 bytes; longer keys are hashed by HMAC anyway).
pub const MAX_SEED_BYTES: usize = 1024;

/// A token's shared secret.
///
/// `Debug` prints only the length; there is no `Display`, `Serialize` or `Clone` into plain memory. The bytes are
/// reachable only through [`Seed::expose`], which callers use to hand them to HMAC or to an encrypting store.
pub struct Seed(SecretBox<[u8]>);

impl Seed {
    /// Wraps raw seed bytes, refusing seeds shorter than 80 bits.
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] if fewer than 10 bytes are given, [`Error::SecretTooLong`] over 1024.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() * 8 < MIN_SEED_BITS {
            return Err(Error::SecretTooShort {
                bits: bytes.len() * 8,
            });
        }
        if bytes.len() > MAX_SEED_BYTES {
            return Err(Error::SecretTooLong { bytes: bytes.len() });
        }
        Ok(Seed(SecretBox::new(bytes.to_vec().into_boxed_slice())))
    }

    /// Generates a fresh random seed of `len` bytes (20 is the RFC 4226 recommendation) from the OS RNG.
    ///
    /// # Errors
    /// [`Error::SecretTooShort`] if `len` is under 10 bytes.
    pub fn generate(len: usize) -> Result<Self> {
        let mut buf = Zeroizing::new(vec![0u8; len]);
        rand::fill(buf.as_mut_slice());
        Self::from_bytes(&buf)
    }

    /// Parses base32 as found in QR codes and typed by hand: case-insensitive, with or without `=` padding,
    /// spaces and hyphens ignored.
    ///
    /// # Errors
    /// [`Error::BadBase32`] for characters outside the alphabet, [`Error::SecretTooShort`] under 80 bits.
    pub fn from_base32(text: &str) -> Result<Self> {
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        for (i, ch) in text.chars().enumerate() {
            match ch {
                ' ' | '\t' | '\n' | '\r' | '-' => {}
                '=' => {}
                'a'..='z' | 'A'..='Z' | '2'..='7' => {
                    clean.push(ch.to_ascii_uppercase());
                    // Stop reading a pasted text as soon as it holds more than the longest secret, whatever its
                    // length: 1,024 bytes are 1,639 base32 characters.
                    if clean.len() > (MAX_SEED_BYTES * 8).div_ceil(5) {
                        return Err(Error::SecretTooLong {
                            bytes: clean.len() * 5 / 8,
                        });
                    }
                }
                '0' | '1' | '8' | '9' => {
                    return Err(Error::BadBase32 {
                        reason: format!(
                            "character {} is the digit '{ch}', which base32 does not use (did you mean O, I or B?)",
                            i + 1
                        ),
                    })
                }
                _ => {
                    return Err(Error::BadBase32 {
                        reason: format!("character {} is not a base32 letter or digit", i + 1),
                    })
                }
            }
        }
        if clean.is_empty() {
            return Err(Error::BadBase32 {
                reason: "it is empty".into(),
            });
        }
        // A base32 group of 8 characters is 5 bytes; lengths 1, 3 and 6 (mod 8) cannot end a valid encoding.
        if matches!(clean.len() % 8, 1 | 3 | 6) {
            return Err(Error::BadBase32 {
                reason: format!(
                    "{} characters cannot be a complete base32 value (a character is missing or extra)",
                    clean.len()
                ),
            });
        }
        let bytes =
            Zeroizing::new(
                lenient_base32()
                    .decode(clean.as_bytes())
                    .map_err(|e| Error::BadBase32 {
                        reason: format!("{}", e.kind),
                    })?,
            );
        Self::from_bytes(&bytes)
    }

    /// The canonical base32 form (upper case, no padding), for otpauth URIs and manual entry screens.
    /// The returned string is zeroized when dropped.
    #[must_use]
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::BASE32_NOPAD.encode(self.expose()))
    }

    /// The raw bytes. Keep the borrow short; never log or format them.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// Always false: a seed has at least 10 bytes. Present for API completeness.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// An explicit, deliberate copy (the store needs one when it writes a seed it also returns).
    #[must_use]
    pub fn duplicate(&self) -> Seed {
        Seed(SecretBox::new(self.expose().to_vec().into_boxed_slice()))
    }

    /// Constant-time equality, for tests and duplicate checks.
    #[must_use]
    pub fn ct_eq(&self, other: &Seed) -> bool {
        use subtle::ConstantTimeEq;
        self.expose().ct_eq(other.expose()).into()
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seed([redacted; {} bytes])", self.len())
    }
}

/// RFC 4648 base32 that tolerates non-zero trailing bits (some generators emit them).
fn lenient_base32() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.check_trailing_bits = false;
    // The specification is a constant that is known to be valid; fall back to the strict encoder otherwise.
    spec.encoding().unwrap_or(data_encoding::BASE32_NOPAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_forms_decode_to_the_same_seed() {
        let canonical = Seed::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        for form in [
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
            "gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====",
        ] {
            assert!(Seed::from_base32(form).unwrap().ct_eq(&canonical), "{form}");
        }
        assert_eq!(canonical.expose(), b"12345678901234567890");
    }

    #[test]
    fn eighty_bits_accepted_seventy_five_refused() {
        assert_eq!(Seed::from_base32("JBSWY3DPEHPK3PXP").unwrap().len(), 10);
        assert!(matches!(
            Seed::from_base32("JBSWY3DPEHPK3PX"),
            Err(Error::SecretTooShort { .. })
        ));
    }

    #[test]
    fn debug_never_shows_bytes() {
        let s = Seed::from_bytes(b"12345678901234567890").unwrap();
        let dbg = format!("{s:?}");
        assert_eq!(dbg, "Seed([redacted; 20 bytes])");
    }

    #[test]
    fn bad_characters_are_named_by_position_not_value() {
        let err = Seed::from_base32("JBSWY3DPEHPK3PX!").unwrap_err();
        assert_eq!(err.code(), "bad_base32");
        assert!(err.to_string().contains("character 16"), "{err}");
        let err = Seed::from_base32("JBSWY3DPEHPK3PX1").unwrap_err();
        assert!(err.to_string().contains("digit '1'"), "{err}");
    }
}
