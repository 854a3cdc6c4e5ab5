//! HMAC-SHA256 with a domain label, so a tag made for one purpose (a desk token, a session, a
//! CSRF token) is never valid for another.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub fn tag(key: &[u8], domain: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(domain);
    mac.update(&[0]);
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// Constant-time comparison of a received tag prefix with the expected one.
pub fn tag_matches(key: &[u8], domain: &[u8], payload: &[u8], received: &[u8]) -> bool {
    let expected = tag(key, domain, payload);
    !received.is_empty()
        && received.len() <= 32
        && bool::from(expected[..received.len()].ct_eq(received))
}
