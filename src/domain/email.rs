//! An e-mail address the outbox may send to: RFC 5321's practical subset, checked once where
//! the address enters (a frame file) and again before a message is built.
//!
//! Accepted: `local@domain` in ASCII; the local part a dot-atom of letters, digits and
//! ``!#$&'*+/=?^_`{|}~-`` without `%` (source routing through a relay, `a%b@c`) and `!`
//! (UUCP bang paths), no leading, trailing or double dots, at most 64 characters; the domain
//! two or more labels of letters, digits and hyphens (1–63 characters, not starting or ending
//! with a hyphen), the last one letters only or an IDN `xn--` label, at most 253 characters;
//! at most 254 in all. Refused with a reason: spaces of any kind, control and invisible
//! characters (a zero-width space copied from a web page), non-ASCII letters (write the
//! domain in its `xn--` form), quoted local parts, address literals (`[192.0.2.1]`).

use std::fmt;

/// A valid address (parse, don't validate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

/// Why an address was refused, for a message naming the line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailError {
    NoAt,
    Invisible,
    NotAscii,
    Space,
    Routing,
    Local,
    Domain,
    TooLong,
}

impl fmt::Display for EmailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EmailError::NoAt => "has no single @ between a name and a domain",
            EmailError::Invisible => {
                "holds an invisible or control character (often copied from a web page): type it again"
            }
            EmailError::NotAscii => {
                "holds a non-ASCII character: write an internationalised domain in its xn-- form"
            }
            EmailError::Space => "holds a space",
            EmailError::Routing => "uses % or ! routing, which mail relays must not follow",
            EmailError::Local => "the part before @ is not a plain name (letters, digits, . _ + -)",
            EmailError::Domain => "the part after @ is not a domain name like example.gov.vn",
            EmailError::TooLong => "is longer than 254 characters (64 before the @)",
        })
    }
}

const LOCAL_SPECIALS: &str = "#$&'*+/=?^_`{|}~-";

impl Email {
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        if s.chars()
            .any(|c| c.is_control() || super::text::is_invisible(c))
        {
            return Err(EmailError::Invisible);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(EmailError::Space);
        }
        if !s.is_ascii() {
            return Err(EmailError::NotAscii);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::NoAt);
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(EmailError::NoAt);
        }
        if s.len() > 254 || local.len() > 64 {
            return Err(EmailError::TooLong);
        }
        if local.contains(['%', '!']) {
            return Err(EmailError::Routing);
        }
        let atom = |a: &str| {
            !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || LOCAL_SPECIALS.contains(c))
        };
        if !local.split('.').all(atom) {
            return Err(EmailError::Local);
        }
        let label = |l: &str| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let labels: Vec<&str> = domain.split('.').collect();
        let last = labels.last().copied().unwrap_or_default();
        let tld = (last.len() >= 2 && last.chars().all(|c| c.is_ascii_alphabetic()))
            || (last.starts_with("xn--") && label(last));
        if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(|l| label(l)) || !tld {
            return Err(EmailError::Domain);
        }
        Ok(Email(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;

    #[test]
    fn plain_addresses_pass() {
        for ok in [
            "a@example.vn",
            "nguyen.van.a+hs@gmail.com",
            "o'brien@snv.hanoi.gov.vn",
            "x_y-z@xn--ngha-9ra.vn",
            "A1@B2.COM",
        ] {
            assert_eq!(Email::parse(ok).map(|e| e.to_string()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn what_a_mail_relay_could_misread_is_refused_with_its_reason() {
        for (bad, why) in [
            ("a%b@c.vn", EmailError::Routing),
            ("a!b@c.vn", EmailError::Routing),
            ("an\u{200B}@gmail.com", EmailError::Invisible),
            ("an@gmail.com\r\nBcc: x@y.vn", EmailError::Invisible),
            ("an@gmail\u{FEFF}.com", EmailError::Invisible),
            ("nguyễn@gmail.com", EmailError::NotAscii),
            ("an @gmail.com", EmailError::Space),
            ("an\u{A0}@gmail.com", EmailError::Space),
            ("an.gmail.com", EmailError::NoAt),
            ("a@b@c.vn", EmailError::NoAt),
            (".a@c.vn", EmailError::Local),
            ("a..b@c.vn", EmailError::Local),
            ("\"a b\"@c.vn", EmailError::Space),
            ("\"ab\"@c.vn", EmailError::Local),
            ("a@[192.0.2.1]", EmailError::Domain),
            ("a@localhost", EmailError::Domain),
            ("a@-x.vn", EmailError::Domain),
            ("a@x.v", EmailError::Domain),
            ("a@x.123", EmailError::Domain),
            ("a@x..vn", EmailError::Domain),
        ] {
            assert_eq!(Email::parse(bad), Err(why), "{bad:?}");
        }
        assert_eq!(
            Email::parse(&format!("{}@c.vn", "a".repeat(65))),
            Err(EmailError::TooLong)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

        /// Whatever is typed, an accepted address is one line of plain ASCII that lettre
        /// reads as the same address.
        #[test]
        fn an_accepted_address_is_safe_in_a_header(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            for s in [vietnamese::text(&bytes), format!("{}@{}.vn", vietnamese::text(&bytes), "snv")] {
                if let Ok(e) = Email::parse(&s) {
                    prop_assert!(e.as_str().chars().all(|c| c.is_ascii_graphic()));
                    prop_assert!(!e.as_str().contains(['%', '!', '"', '(', ')', '<', '>', ',', ';', ':', '\\', '[', ']']));
                    let parsed = e.as_str().parse::<lettre::Address>();
                    prop_assert!(parsed.is_ok(), "{:?}", e);
                }
            }
        }
    }
}
