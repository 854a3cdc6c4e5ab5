//! Desk QR tokens: `base64url(desk_id ‖ key_version ‖ HMAC-SHA256(...)[..10])`, 22 characters.
//!
//! Small enough for a low-density QR code that a cheap phone reads from across a counter. The
//! 80-bit tag cannot be guessed online (submissions are rate limited); the key version lets an
//! administrator revoke every printed code of one desk without touching the others.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::signing;

const TAG_LEN: usize = 10;
const RAW_LEN: usize = 4 + 2 + TAG_LEN;
const DOMAIN: &[u8] = b"sipas/desk-token/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeskToken {
    pub desk_id: i32,
    pub key_version: i16,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not well formed")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
}

impl DeskToken {
    pub fn sign(&self, key: &[u8]) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[..4].copy_from_slice(&self.desk_id.to_be_bytes());
        raw[4..6].copy_from_slice(&self.key_version.to_be_bytes());
        let tag = signing::tag(key, DOMAIN, &raw[..6]);
        raw[6..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks the signature only; whether the key version is still current is the database's call.
    pub fn verify(token: &str, key: &[u8]) -> Result<DeskToken, TokenError> {
        if token.len() != 22 {
            return Err(TokenError::Malformed);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| TokenError::Malformed)?;
        if raw.len() != RAW_LEN {
            return Err(TokenError::Malformed);
        }
        if !signing::tag_matches(key, DOMAIN, &raw[..6], &raw[6..]) {
            return Err(TokenError::BadSignature);
        }
        let desk_id = i32::from_be_bytes(raw[..4].try_into().expect("4 bytes"));
        let key_version = i16::from_be_bytes(raw[4..6].try_into().expect("2 bytes"));
        if desk_id <= 0 || key_version <= 0 {
            return Err(TokenError::Malformed);
        }
        Ok(DeskToken {
            desk_id,
            key_version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    #[test]
    fn a_signed_token_round_trips_and_is_short() {
        let t = DeskToken {
            desk_id: 12345,
            key_version: 3,
        };
        let s = t.sign(KEY);
        assert_eq!(s.len(), 22);
        assert_eq!(DeskToken::verify(&s, KEY), Ok(t));
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let s = DeskToken {
            desk_id: 7,
            key_version: 1,
        }
        .sign(KEY);
        assert_eq!(
            DeskToken::verify(&s, b"another key"),
            Err(TokenError::BadSignature)
        );
        // Changing the desk id without the key breaks the tag.
        let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
        raw[3] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(raw);
        assert_eq!(
            DeskToken::verify(&forged, KEY),
            Err(TokenError::BadSignature)
        );
        assert_eq!(DeskToken::verify("short", KEY), Err(TokenError::Malformed));
        assert_eq!(
            DeskToken::verify("!!!!!!!!!!!!!!!!!!!!!!", KEY),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn a_new_key_version_gives_a_different_token() {
        let a = DeskToken {
            desk_id: 7,
            key_version: 1,
        }
        .sign(KEY);
        let b = DeskToken {
            desk_id: 7,
            key_version: 2,
        }
        .sign(KEY);
        assert_ne!(a, b);
    }
}
