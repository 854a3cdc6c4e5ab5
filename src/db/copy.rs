//! Helpers for COPY in text format (bulk loads: the demo, a survey frame).

/// A value in COPY's text format: backslash, tab, newline and carriage return escaped.
pub fn copy_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// An I/O error while feeding COPY, as diesel's error.
pub fn io_error(e: std::io::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(e))
}
