//! A posted form's body (`application/x-www-form-urlencoded`), read strictly: text that is not
//! valid UTF-8 once decoded, or a broken `%` escape, refuses the whole body — as the JSON door
//! refuses invalid UTF-8 — instead of being silently replaced by U+FFFD.

/// The fields in order, or `None` for a body that is not a well-formed form in UTF-8.
pub fn pairs(body: &[u8]) -> Option<Vec<(String, String)>> {
    body.split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut kv = part.splitn(2, |&b| b == b'=');
            let key = decode(kv.next().unwrap_or_default())?;
            let value = decode(kv.next().unwrap_or_default())?;
            Some((key, value))
        })
        .collect()
}

fn decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::pairs;

    #[test]
    fn a_form_is_read_in_utf8_or_not_at_all() {
        let ok = pairs(b"a.F1=5&comment=Th%E1%BB%A7+t%E1%BB%A5c&&empty=&flag").unwrap();
        let expected = [
            ("a.F1", "5"),
            ("comment", "Thủ tục"),
            ("empty", ""),
            ("flag", ""),
        ];
        let got: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, expected);
        assert_eq!(pairs(b"").unwrap(), Vec::new());
        for bad in [
            &b"comment=%FF"[..],
            b"comment=%E1%BB",
            b"a=%zz",
            b"a=%4",
            b"\xff=1",
            b"a=%",
        ] {
            assert_eq!(pairs(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
