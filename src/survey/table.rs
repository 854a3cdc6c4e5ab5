//! Reading the CSV files officers bring (the frame, the post office's returns): UTF-8 with or
//! without the byte-order mark Excel writes, CRLF or LF, an exact header. Every problem is
//! reported with its line (the header is line 1) and column, up to a cap; a file with any
//! problem yields no rows at all, so nothing of it is imported.

use std::fmt;

use crate::domain::text;

/// One problem: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub column: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The outcome of reading a file: its rows, or its problems (capped; `truncated` says whether
/// more were found than listed).
#[derive(Debug)]
pub enum Parsed<T> {
    Valid(Vec<T>),
    Invalid {
        errors: Vec<LineError>,
        truncated: bool,
    },
}

/// Checks one row (its trimmed fields, one per column); every problem of the row, not only the
/// first.
pub type RowCheck<'a, T> = dyn FnMut(u64, &[&str]) -> Result<T, Vec<LineError>> + 'a;

/// Reads a whole file against `columns`; `multiline` names the columns whose values may hold
/// line breaks (inside quotes), every other value must be one line. In any value a control
/// character or a bidi control is a problem of its own, named by line, column and position:
/// what is imported ends up in e-mail headers, letters and pages, and must not be able to
/// break or reorder them. `progress` is called with the bytes read so far, now and then.
pub fn read<T>(
    bytes: &[u8],
    columns: &[&'static str],
    multiline: &[&'static str],
    max_errors: usize,
    progress: &mut dyn FnMut(u64),
    check: &mut RowCheck<'_, T>,
) -> Parsed<T> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let one = |line: u64, message: String| Parsed::Invalid {
        errors: vec![LineError {
            line,
            column: None,
            message,
        }],
        truncated: false,
    };
    let mut errors = Vec::new();
    let mut truncated = false;
    let mut push = |errors: &mut Vec<LineError>, e: LineError| {
        if errors.len() < max_errors {
            errors.push(e);
        } else {
            truncated = true;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    match records.next() {
        None => {
            return one(
                1,
                format!(
                    "the file is empty; its first line must be the header {}",
                    columns.join(",")
                ),
            )
        }
        Some(Err(e)) => return one(1, format!("not readable as CSV: {e}")),
        Some(Ok(header)) => {
            let names: Vec<String> = header
                .iter()
                .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
                .collect();
            if names != columns {
                return one(1, header_problem(columns, &names));
            }
        }
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(bytes);
    for (i, record) in records.enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(i as u64 + 2, |p| lines.line_at(p.byte()));
                push(
                    &mut errors,
                    LineError {
                        line,
                        column: None,
                        message: format!("not readable as CSV: {e}"),
                    },
                );
                continue;
            }
        };
        let line = record
            .position()
            .map_or(i as u64 + 2, |p| lines.line_at(p.byte()));
        if i % 65_536 == 0 {
            progress(record.position().map_or(0, |p| p.byte()));
        }
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // a blank line (Excel leaves some at the end)
        }
        if record.len() != columns.len() {
            push(
                &mut errors,
                LineError {
                    line,
                    column: None,
                    message: format!(
                        "{} fields where the header has {} (a comma inside a value must be quoted)",
                        record.len(),
                        columns.len()
                    ),
                },
            );
            continue;
        }
        let mut fields: Vec<&str> = Vec::with_capacity(columns.len());
        let mut unreadable = false;
        for (k, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => {
                    let s = s.trim();
                    if let Some(message) = refused_characters(s, multiline.contains(&columns[k])) {
                        push(
                            &mut errors,
                            LineError {
                                line,
                                column: Some(columns[k]),
                                message,
                            },
                        );
                    }
                    fields.push(s);
                }
                Err(_) => {
                    fields.push("");
                    push(
                        &mut errors,
                        LineError {
                            line,
                            column: Some(columns[k]),
                            message: "not valid UTF-8 (save the file as \"CSV UTF-8\")".into(),
                        },
                    );
                    unreadable = true;
                }
            }
        }
        if unreadable {
            continue;
        }
        match check(line, &fields) {
            Ok(row) => rows.push(row),
            Err(row_errors) => {
                for e in row_errors {
                    push(&mut errors, e);
                }
            }
        }
    }
    progress(bytes.len() as u64);
    if !errors.is_empty() || truncated {
        return Parsed::Invalid { errors, truncated };
    }
    if rows.is_empty() {
        return one(2, "the file has a header but no rows".into());
    }
    Parsed::Valid(rows)
}

/// What is wrong with the characters of a value, if anything: a control character (a line
/// break only where the column allows several lines) or a bidi control.
fn refused_characters(s: &str, multiline: bool) -> Option<String> {
    let separator = s
        .chars()
        .enumerate()
        .find(|&(_, c)| !multiline && matches!(c, '\u{2028}' | '\u{2029}'));
    if let Some((at, c)) = text::first_control(s, multiline).or(separator.map(|(i, c)| (i + 1, c)))
    {
        let what = if matches!(c, '\r' | '\n' | '\u{2028}' | '\u{2029}') {
            "a line break, which this column does not allow"
        } else {
            "a control character"
        };
        return Some(format!(
            "holds {what} ({}) at character {at}: remove it",
            text::codepoint(c)
        ));
    }
    s.chars()
        .enumerate()
        .find(|&(_, c)| text::is_invisible(c))
        .map(|(at, c)| {
            let what = if text::is_bidi_control(c) {
                "a text-direction control"
            } else {
                "an invisible character"
            };
            format!(
                "holds {what} ({}) at character {}: remove it",
                text::codepoint(c),
                at + 1
            )
        })
}

/// Line numbers from byte offsets. The csv crate's own line count lags by one after a CRLF
/// (Excel's line ending), and its byte offset may point at the previous line's `\n`; counting
/// the newlines before the record's first byte is exact either way.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    /// The line of a record said to start at `byte` (offsets only grow).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.at {
            self.line += self.bytes[self.at..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = start;
        }
        self.line
    }
}

fn header_problem(columns: &[&str], names: &[String]) -> String {
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !names.iter().any(|n| n == c))
        .collect();
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !columns.contains(n))
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing column(s) {}", missing.join(", ")));
    }
    if !unknown.is_empty() {
        // A file may have any number of columns: name a few, count the rest.
        const NAMED: usize = 5;
        let mut named: Vec<String> = unknown.iter().take(NAMED).map(|n| clip(n)).collect();
        if unknown.len() > NAMED {
            named.push(format!("and {} more", unknown.len() - NAMED));
        }
        parts.push(format!("unknown column(s) {}", named.join(", ")));
    }
    if parts.is_empty() {
        parts.push("the columns are in another order".into());
    }
    format!(
        "the header must be exactly {} ({})",
        columns.join(","),
        parts.join("; ")
    )
}

/// At most 40 characters of a value, for a message (control and invisible characters shown
/// as their code points).
pub fn clip(s: &str) -> String {
    text::clip(s, 40)
}
