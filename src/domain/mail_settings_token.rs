//! The link in every digest to its reader's mail settings (and one-click unsubscribe): signed,
//! so that it works without signing in — a manager reads mail on a phone that is not signed in
//! — and names only the account. It can change that account's digests and nothing else.
//!
//! `user id (4 bytes) ‖ HMAC-SHA256(key, user id)[..12]`, base64url: 22 characters.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::signing;

const DOMAIN: &[u8] = b"sipas/mail-settings/v1";
const TAG_LEN: usize = 12;
const RAW_LEN: usize = 4 + TAG_LEN;

/// The account a mail-settings link names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MailSettingsToken {
    pub user_id: i32,
}

impl MailSettingsToken {
    pub fn sign(&self, key: &[u8]) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[..4].copy_from_slice(&self.user_id.to_be_bytes());
        let tag = signing::tag(key, DOMAIN, &raw[..4]);
        raw[4..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// `None` for anything but a token this key signed.
    pub fn verify(token: &str, key: &[u8]) -> Option<MailSettingsToken> {
        if token.len() != 22 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != RAW_LEN || !signing::tag_matches(key, DOMAIN, &raw[..4], &raw[4..]) {
            return None;
        }
        let user_id = i32::from_be_bytes(raw[..4].try_into().ok()?);
        (user_id > 0).then_some(MailSettingsToken { user_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    #[test]
    fn a_link_names_its_account_and_nothing_else_passes() {
        let t = MailSettingsToken { user_id: 42 }.sign(KEY);
        assert_eq!(t.len(), 22);
        assert_eq!(
            MailSettingsToken::verify(&t, KEY),
            Some(MailSettingsToken { user_id: 42 })
        );
        assert_eq!(MailSettingsToken::verify(&t, b"another key entirely"), None);
        // Another account's id with this account's tag.
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        raw[..4].copy_from_slice(&43i32.to_be_bytes());
        let forged = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(MailSettingsToken::verify(&forged, KEY), None);
        for bad in ["", "ABC", "Đường-tới-cài-đặt-thư!", &"A".repeat(22)] {
            assert_eq!(MailSettingsToken::verify(bad, KEY), None, "{bad}");
        }
    }
}
