//! API bearer tokens: `sipas_` and 43 characters of base64url (256 random bits). Only the
//! SHA-256 is stored, so a copy of the database does not give anyone access.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "sipas_";

/// A new token, to be shown once.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a presented token; `None` when it cannot be a token at all (so that
/// garbage is refused without a database query).
pub fn digest(presented: &str) -> Option<[u8; 32]> {
    let body = presented.strip_prefix(PREFIX)?;
    if body.len() != 43 || URL_SAFE_NO_PAD.decode(body).map_or(true, |b| b.len() != 32) {
        return None;
    }
    Some(Sha256::digest(presented.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_well_formed_ones_are_hashed() {
        let a = generate();
        assert_ne!(a, generate());
        assert!(a.starts_with("sipas_") && a.len() == 49);
        assert_eq!(
            digest(&a).unwrap().to_vec(),
            Sha256::digest(a.as_bytes()).to_vec()
        );
        assert_eq!(digest("sipas_short"), None);
        assert_eq!(digest(&a.replace("sipas_", "other_")), None);
        assert_eq!(digest(&format!("{a}x")), None);
    }
}
