//! The rules for what staff type into the registry of agencies, desks and accounts, shared by
//! the command line and the administration pages so both refuse the same input with the same
//! reason (Vietnamese for the pages, English for the command line).

use super::FieldError;

fn refuse(field: &str, vi: &str, en: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message_vi: vi.to_owned(),
        message_en: en.to_owned(),
    }
}

/// A sign-in name: 3–64 of a–z, 0–9, '.', '_', '-' (lower-cased and trimmed first).
pub fn username(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(refuse(
            field,
            "Tên đăng nhập gồm 3–64 ký tự a–z, 0–9, dấu chấm, gạch dưới hoặc gạch ngang.",
            "username must be 3-64 characters of a-z, 0-9, '.', '_', '-'",
        ))
    }
}

/// A new password: long enough to resist guessing, not absurdly long.
pub fn password(field: &str, raw: &str) -> Result<String, FieldError> {
    match raw.chars().count() {
        0..=11 => Err(refuse(
            field,
            "Mật khẩu phải có ít nhất 12 ký tự.",
            "the password must have at least 12 characters",
        )),
        12..=256 if is_common_password(raw) => Err(refuse(
            field,
            "Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn một cụm từ khác (ví dụ vài từ ngẫu nhiên).",
            "this password is on the list of common passwords; choose another (a few random words)",
        )),
        12..=256 => Ok(raw.to_owned()),
        _ => Err(refuse(
            field,
            "Mật khẩu không được dài quá 256 ký tự.",
            "the password must have at most 256 characters",
        )),
    }
}

/// The passwords refused as too common (`seeds/common-passwords.txt`, shipped in the binary).
const COMMON_PASSWORDS: &str = include_str!("../../seeds/common-passwords.txt");

/// Whether a password is on the common list (ignoring case and surrounding spaces), or is one
/// character repeated, or a run of consecutive characters such as `123456789012` or
/// `abcdefghijklm` (forwards or backwards) — the guesses an attacker tries first. No
/// composition rules: ASVS 2.1.9 forbids them.
pub fn is_common_password(raw: &str) -> bool {
    let p = raw.trim().to_lowercase();
    let chars: Vec<char> = p.chars().collect();
    // Digits run round the keyboard's row: 8, 9, 0, 1 is a run too.
    let step = |a: char, b: char| match (a.to_digit(10), b.to_digit(10)) {
        (Some(x), Some(y)) => match (10 + y - x) % 10 {
            9 => -1,
            d => i64::from(d),
        },
        _ => i64::from(u32::from(b)) - i64::from(u32::from(a)),
    };
    let steps: std::collections::HashSet<i64> =
        chars.windows(2).map(|w| step(w[0], w[1])).collect();
    let run = steps.len() == 1 && steps.iter().all(|d| d.abs() <= 1);
    run || COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == p)
}

/// An agency or desk code, as printed on posters and in exports: 1–64 of A–Z, a–z, 0–9,
/// '.', '_', '-' (the database checks the same pattern).
pub fn code(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim();
    let ok = (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(code.to_owned())
    } else {
        Err(refuse(
            field,
            "Mã gồm 1–64 ký tự chữ không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.",
            "a code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'",
        ))
    }
}

/// A name people read: trimmed, 1–300 characters, on one line, with no control character and
/// no invisible or bidi character (which would let a name read otherwise than it is stored,
/// or hide a formula start from a spreadsheet).
pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 {
        return Err(refuse(field, "Vui lòng nhập tên.", "a name is required"));
    }
    if count > 300 {
        return Err(refuse(
            field,
            "Tên không được dài quá 300 ký tự.",
            "a name must have at most 300 characters",
        ));
    }
    if name.chars().any(|c| {
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') || super::text::is_invisible(c)
    }) {
        return Err(refuse(
            field,
            "Tên không được chứa ký tự điều khiển, xuống dòng hay ký tự ẩn.",
            "a name must not contain control characters, line breaks or invisible characters",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_reads_as_it_is_stored() {
        assert_eq!(name("name", " Sở Tư pháp ").unwrap(), "Sở Tư pháp");
        for bad in [
            "Tốt;\u{202E}=1+1",
            "Quầy\u{200B}1",
            "A\u{2028}B",
            "A\u{0}",
            "A\u{FEFF}",
        ] {
            assert!(name("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usernames_are_normalised_then_checked() {
        assert_eq!(username("u", "  Snv.Admin ").unwrap(), "snv.admin");
        assert!(username("u", "ab").is_err());
        assert!(username("u", "có.dấu").is_err());
        assert!(username("u", &"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords_need_twelve_characters_counted_as_characters() {
        assert!(password("p", &"xy".repeat(5)).is_err());
        assert!(
            password("p", &"ýa".repeat(6)).is_ok(),
            "12 characters, 18 bytes"
        );
        assert!(password("p", &"x".repeat(257)).is_err());
    }

    #[test]
    fn common_passwords_repeats_and_runs_are_refused_whatever_their_case() {
        for common in [
            "password1234",
            "  Password1234 ",
            "MATKHAU123456",
            "anhyeuem123456",
            "123456789012",
            "210987654321",
            "abcdefghijklmn",
            "zzzzzzzzzzzz",
            "ảảảảảảảảảảảả",
        ] {
            assert!(password("p", common).is_err(), "{common:?}");
        }
        for fine in [
            "a long enough password",
            "ngựa vằn uống trà chiều",
            "password1234 but longer",
            "1234567890135",
            "02468135791357",
        ] {
            assert!(password("p", fine).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn codes_and_names_follow_the_database_rules() {
        assert_eq!(code("c", " SNV.01 ").unwrap(), "SNV.01");
        for bad in ["", "có dấu", "a b", "x/y", &"a".repeat(65)] {
            assert!(code("c", bad).is_err(), "{bad:?}");
        }
        assert_eq!(name("n", "  Sở Nội vụ ").unwrap(), "Sở Nội vụ");
        assert!(name("n", "   ").is_err());
        assert!(name("n", "a\u{7}b").is_err());
        assert!(name("n", &"ơ".repeat(301)).is_err());
        assert!(name("n", &"ơ".repeat(300)).is_ok());
    }
}
