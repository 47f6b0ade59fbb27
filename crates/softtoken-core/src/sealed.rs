//! Seeds at rest on the server: each seed sealed with ChaCha20-Poly1305 under the server's master key, with the
//! token's serial as associated data (a sealed seed copied onto another token's row does not open).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use data_encoding::BASE64URL_NOPAD;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::seed::Seed;

/// The server's 256-bit master key.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// A fresh random key.
    #[must_use]
    pub fn generate() -> MasterKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::fill(k.as_mut());
        MasterKey(k)
    }

    /// Reads the key from its text form: 43 base64url characters (what [`MasterKey::to_text`] writes), with
    /// surrounding whitespace ignored.
    ///
    /// # Errors
    /// [`Error::Sealed`] if it is not 32 bytes of base64url.
    pub fn from_text(text: &str) -> Result<MasterKey> {
        let bytes =
            Zeroizing::new(
                BASE64URL_NOPAD
                    .decode(text.trim().as_bytes())
                    .map_err(|_| Error::Sealed {
                        reason: "the master key is not base64url".into(),
                    })?,
            );
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::Sealed {
            reason: "the master key must be 32 bytes".into(),
        })?;
        Ok(MasterKey(Zeroizing::new(arr)))
    }

    /// The text form, for the key file. Zeroized on drop.
    #[must_use]
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64URL_NOPAD.encode(self.0.as_ref()))
    }

    /// Seals `seed` for the token `serial`: base64url of nonce ‖ ciphertext ‖ tag.
    ///
    /// # Errors
    /// [`Error::Sealed`] if encryption fails (it does not for valid inputs).
    pub fn seal(&self, serial: &str, seed: &Seed) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let ct = ChaCha20Poly1305::new(self.0.as_ref().into())
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: seed.expose(),
                    aad: serial.as_bytes(),
                },
            )
            .map_err(|_| Error::Sealed {
                reason: "encryption failed".into(),
            })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(BASE64URL_NOPAD.encode(&out))
    }

    /// Opens a sealed seed of token `serial`.
    ///
    /// # Errors
    /// [`Error::Sealed`] if it is malformed, was sealed under another key, or belongs to another serial.
    pub fn open(&self, serial: &str, sealed: &str) -> Result<Seed> {
        let bytes = BASE64URL_NOPAD
            .decode(sealed.as_bytes())
            .map_err(|_| Error::Sealed {
                reason: "not base64url".into(),
            })?;
        if bytes.len() < 12 + 16 {
            return Err(Error::Sealed {
                reason: "too short".into(),
            });
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = Zeroizing::new(
            ChaCha20Poly1305::new(self.0.as_ref().into())
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: serial.as_bytes(),
                    },
                )
                .map_err(|_| Error::Sealed {
                    reason: format!("the seed of {serial} does not authenticate"),
                })?,
        );
        Seed::from_bytes(&plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_bindings() {
        let k = MasterKey::generate();
        let seed = Seed::generate(20).unwrap();
        let s = k.seal("SKTN12345671", &seed).unwrap();
        assert!(k.open("SKTN12345671", &s).unwrap().ct_eq(&seed));
        assert_eq!(k.open("SKTN00000013", &s).unwrap_err().code(), "sealed");
        assert_eq!(
            MasterKey::generate().open("SKTN12345671", &s).unwrap_err().code(),
            "sealed"
        );
        let again = MasterKey::from_text(&k.to_text()).unwrap();
        assert!(again.open("SKTN12345671", &s).is_ok());
        assert_eq!(format!("{k:?}"), "MasterKey([redacted])");
    }
}
