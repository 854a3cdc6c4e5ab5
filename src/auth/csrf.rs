//! CSRF tokens: an HMAC of what the form is bound to (a session cookie, or before sign-in a
//! random nonce kept in its own cookie), so a page of another site cannot produce one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::domain::signing;

const CSRF_DOMAIN: &[u8] = b"sipas/csrf/v1";
const TAG_LEN: usize = 16;

/// The CSRF token for forms of one session (or, before sign-in, of one pre-session nonce).
pub fn token(key: &[u8], bound_to: &str) -> String {
    URL_SAFE_NO_PAD.encode(&signing::tag(key, CSRF_DOMAIN, bound_to.as_bytes())[..TAG_LEN])
}

pub fn verify(key: &[u8], bound_to: &str, token: &str) -> bool {
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
    fn csrf_tokens_are_bound_to_their_session() {
        let t = token(KEY, "session-a");
        assert!(verify(KEY, "session-a", &t));
        assert!(!verify(KEY, "session-b", &t));
        assert!(!verify(KEY, "session-a", ""));
        assert!(!verify(b"another key entirely", "session-a", &t));
    }
}
