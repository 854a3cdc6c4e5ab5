//! Signed-in staff: argon2id password hashes, signed session cookies and CSRF tokens.
//!
//! The session cookie is `base64url(user id ‖ epoch ‖ expiry ‖ tag)`. It holds no secret and no
//! personal data; bumping the user's epoch (password change) ends all their sessions.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::signing;

const SESSION_DOMAIN: &[u8] = b"sipas/session/v1";
const CSRF_DOMAIN: &[u8] = b"sipas/csrf/v1";
const TAG_LEN: usize = 16;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a new password: long enough to resist guessing, not absurdly long.
pub fn check_new_password(password: &str) -> Result<(), &'static str> {
    match password.chars().count() {
        0..=11 => Err("the password must have at least 12 characters"),
        12..=256 => Ok(()),
        _ => Err("the password must have at most 256 characters"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub user_id: i32,
    pub epoch: i32,
    /// Unix seconds.
    pub expires: i64,
}

impl Session {
    pub fn encode(&self, key: &[u8]) -> String {
        let mut raw = Vec::with_capacity(16 + TAG_LEN);
        raw.extend_from_slice(&self.user_id.to_be_bytes());
        raw.extend_from_slice(&self.epoch.to_be_bytes());
        raw.extend_from_slice(&self.expires.to_be_bytes());
        let tag = signing::tag(key, SESSION_DOMAIN, &raw);
        raw.extend_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// A valid, unexpired session, or `None`.
    pub fn decode(value: &str, key: &[u8], now: i64) -> Option<Session> {
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        if raw.len() != 16 + TAG_LEN
            || !signing::tag_matches(key, SESSION_DOMAIN, &raw[..16], &raw[16..])
        {
            return None;
        }
        let s = Session {
            user_id: i32::from_be_bytes(raw[0..4].try_into().ok()?),
            epoch: i32::from_be_bytes(raw[4..8].try_into().ok()?),
            expires: i64::from_be_bytes(raw[8..16].try_into().ok()?),
        };
        (s.expires > now).then_some(s)
    }
}

/// The CSRF token for forms of one session (or, before sign-in, of one pre-session nonce).
pub fn csrf_token(key: &[u8], bound_to: &str) -> String {
    URL_SAFE_NO_PAD.encode(&signing::tag(key, CSRF_DOMAIN, bound_to.as_bytes())[..TAG_LEN])
}

pub fn csrf_ok(key: &[u8], bound_to: &str, token: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(token)
        .map(|t| {
            t.len() == TAG_LEN && signing::tag_matches(key, CSRF_DOMAIN, bound_to.as_bytes(), &t)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-k";

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn sessions_expire_and_resist_tampering() {
        let s = Session {
            user_id: 7,
            epoch: 2,
            expires: 1_000,
        };
        let v = s.encode(KEY);
        assert_eq!(Session::decode(&v, KEY, 999), Some(s));
        assert_eq!(Session::decode(&v, KEY, 1_000), None, "expired");
        assert_eq!(Session::decode(&v, b"other key", 999), None);
        let mut raw = URL_SAFE_NO_PAD.decode(&v).unwrap();
        raw[3] = 8; // another user id
        assert_eq!(
            Session::decode(&URL_SAFE_NO_PAD.encode(raw), KEY, 999),
            None
        );
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let t = csrf_token(KEY, "session-a");
        assert!(csrf_ok(KEY, "session-a", &t));
        assert!(!csrf_ok(KEY, "session-b", &t));
        assert!(!csrf_ok(KEY, "session-a", ""));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
    }
}
