//! Signed session cookies for staff.
//!
//! The session cookie is `base64url(user id ‖ epoch ‖ expiry ‖ tag)`. It holds no secret and no
//! personal data; bumping the user's epoch (password change) ends all their sessions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::domain::signing;

const SESSION_DOMAIN: &[u8] = b"sipas/session/v1";
const TAG_LEN: usize = 16;

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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-k-k";

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
}
