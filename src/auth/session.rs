//! Staff session ids: 32 random bytes in the cookie, their SHA-256 in the database
//! (`db::sessions`). The id says nothing by itself; the server's row is the session, so the
//! server can end it, and a fresh one is drawn at every sign-in.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new session id, as the cookie carries it.
pub fn new_id() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// What the database stores of a cookie's id; `None` for a value no sign-in ever issued
/// (wrong length or alphabet), which therefore costs no query.
pub fn id_hash(cookie: &str) -> Option<[u8; 32]> {
    let raw = URL_SAFE_NO_PAD.decode(cookie).ok()?;
    (raw.len() == 32).then(|| Sha256::digest(&raw).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fresh_and_only_issued_shapes_are_looked_up() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(id_hash(&a).is_some());
        assert_ne!(id_hash(&a), id_hash(&b));
        for bad in ["", "abc", &a[..42], &format!("{a}A"), "!!!!"] {
            assert_eq!(id_hash(bad), None, "{bad:?}");
        }
    }
}
