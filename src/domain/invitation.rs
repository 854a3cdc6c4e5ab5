//! Invitation codes of the annual survey: one per sampled unit, signed, printed on the letter
//! (in its QR code and as a short address to type) and sent by e-mail.
//!
//! `unit id (4 bytes) ‖ HMAC-SHA256(key, unit id)[..6]`, written in Crockford's base32: 16
//! characters, shown as `ABCD-EFGH-JKMN-PQRS`. Base32 because people type it from paper: one
//! case, no I/L/O/U, and the reader forgives `o`→0, `i`/`l`→1 and dashes or spaces. The 48-bit
//! tag cannot be guessed online (2^47 tries per unit on average, against rate limits). The code
//! is not secret from its holder and not single-use by itself: the database accepts one response
//! per unit (see migration `…_invitations`).

use super::signing;

const DOMAIN: &[u8] = b"sipas/invitation/v1";
const TAG_LEN: usize = 6;
const RAW_LEN: usize = 4 + TAG_LEN;
/// Characters of a code: 10 bytes in 5-bit groups.
pub const CODE_LEN: usize = RAW_LEN * 8 / 5;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The sampled unit an invitation code names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub unit_id: i64,
}

impl Invitation {
    /// The code, without dashes (as it goes into a URL).
    pub fn sign(&self, key: &[u8]) -> String {
        let id = u32::try_from(self.unit_id).expect("sampled unit ids fit in 32 bits");
        let mut raw = [0u8; RAW_LEN];
        raw[..4].copy_from_slice(&id.to_be_bytes());
        let tag = signing::tag(key, DOMAIN, &raw[..4]);
        raw[4..].copy_from_slice(&tag[..TAG_LEN]);
        encode(&raw)
    }

    /// The code in groups of four, for people: `ABCD-EFGH-JKMN-PQRS`.
    pub fn grouped(code: &str) -> String {
        code.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Reads a code as typed (any case, dashes or spaces, o/i/l for 0/1/1) and checks its
    /// signature; `None` for anything else.
    pub fn verify(typed: &str, key: &[u8]) -> Option<Invitation> {
        if typed.len() > 64 {
            return None;
        }
        let raw = decode(typed)?;
        if !signing::tag_matches(key, DOMAIN, &raw[..4], &raw[4..]) {
            return None;
        }
        let id = u32::from_be_bytes(raw[..4].try_into().expect("4 bytes"));
        (id > 0).then_some(Invitation {
            unit_id: i64::from(id),
        })
    }
}

fn encode(raw: &[u8; RAW_LEN]) -> String {
    let mut bits: u128 = 0;
    for &b in raw {
        bits = (bits << 8) | u128::from(b);
    }
    (0..CODE_LEN)
        .rev()
        .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

fn decode(typed: &str) -> Option<[u8; RAW_LEN]> {
    let mut bits: u128 = 0;
    let mut n = 0;
    for c in typed.chars() {
        let v = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => 0,
            'I' | 'L' => 1,
            c => ALPHABET.iter().position(|&a| a as char == c)? as u128,
        };
        n += 1;
        if n > CODE_LEN {
            return None;
        }
        bits = (bits << 5) | v;
    }
    if n != CODE_LEN {
        return None;
    }
    let mut raw = [0u8; RAW_LEN];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = (bits >> (8 * (RAW_LEN - 1 - i))) as u8;
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    #[test]
    fn a_code_round_trips_and_reads_as_people_type_it() {
        let inv = Invitation { unit_id: 123_456 };
        let code = inv.sign(KEY);
        assert_eq!(code.len(), 16);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(Invitation::verify(&code, KEY), Some(inv));
        let grouped = Invitation::grouped(&code);
        assert_eq!(grouped.len(), 19);
        assert_eq!(Invitation::verify(&grouped, KEY), Some(inv));
        assert_eq!(
            Invitation::verify(&grouped.to_lowercase().replace('-', " "), KEY),
            Some(inv)
        );
        // o, i and l are read as 0, 1 and 1.
        let sloppy: String = code
            .chars()
            .map(|c| match c {
                '0' => 'o',
                '1' => 'l',
                c => c,
            })
            .collect();
        assert_eq!(Invitation::verify(&sloppy, KEY), Some(inv));
    }

    #[test]
    fn a_changed_character_another_key_or_a_wrong_length_is_refused() {
        let code = Invitation { unit_id: 7 }.sign(KEY);
        for i in 0..code.len() {
            let mut bytes = code.clone().into_bytes();
            bytes[i] = if bytes[i] == b'Z' { b'Y' } else { b'Z' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(Invitation::verify(&changed, KEY), None, "{changed}");
        }
        assert_eq!(Invitation::verify(&code, b"another key"), None);
        assert_eq!(Invitation::verify(&code[..15], KEY), None);
        assert_eq!(Invitation::verify(&format!("{code}0"), KEY), None);
        assert_eq!(Invitation::verify("", KEY), None);
        assert_eq!(Invitation::verify("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ", KEY), None);
        assert_eq!(Invitation::verify(&"-".repeat(100), KEY), None);
    }
}
