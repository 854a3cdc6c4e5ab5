//! A table to download (dashboard, ranking, PAR points, microdata, a survey's sample) as CSV
//! or XLSX from one [`Sheet`], built by the same function that feeds its page: CSV is UTF-8
//! with a byte-order mark (Excel then reads Vietnamese names correctly), XLSX has typed numeric
//! cells; both neutralise text that a spreadsheet would run as a formula. No web framework
//! here: the command line writes the same sheets to files.

use super::sheet_labels as labels;
use super::Lang;
use chrono::Datelike;
use rust_xlsxwriter::{Format, Workbook};

/// A text cell a spreadsheet cannot run (`domain::cell::neutralise`: an apostrophe before a
/// formula start at the beginning and after every `,` `;` tab or line break inside), the
/// bidi controls removed. The same text goes to CSV (quoted) and XLSX.
pub fn cell(text: &str) -> String {
    crate::domain::cell::neutralise(&crate::domain::text::without_bidi_controls(text))
}

/// One cell of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    /// A number shown with `decimals` decimals in CSV (full precision in XLSX).
    Number(f64, usize),
    /// A share given as a proportion (0–1). Every download writes shares as percent, one
    /// convention for all (issue #20): the CSV holds 100·v with `decimals` decimals (columns
    /// named `…_percent`), the XLSX cell the proportion in a `0.00%` format, so Excel shows
    /// the same percent and computes with the exact value.
    Percent(f64, usize),
    /// A day: ISO 8601 in CSV, a date cell shown dd/mm/yyyy in XLSX.
    Date(chrono::NaiveDate),
    Int(i64),
    /// A name in both languages (a question, a factor): the CSV holds the Vietnamese, so that
    /// it is the same file whoever downloads it; the XLSX the reader's language.
    Words {
        vi: String,
        en: String,
    },
    Empty,
}

impl Value {
    pub fn text(s: impl AsRef<str>) -> Value {
        Value::Text(cell(s.as_ref()))
    }

    pub fn words(vi: impl AsRef<str>, en: impl AsRef<str>) -> Value {
        Value::Words {
            vi: cell(vi.as_ref()),
            en: cell(en.as_ref()),
        }
    }

    /// The cell in a CSV record: text always quoted (already neutralised by [`Value::text`]),
    /// numbers bare.
    fn csv(&self) -> String {
        match self {
            // Neutralised again (it is idempotent) for a cell built without `Value::text`.
            Value::Text(s) | Value::Words { vi: s, .. } => quoted(&cell(s)),
            Value::Number(x, d) => format!("{x:.*}", d),
            Value::Percent(x, d) => format!("{:.*}", d, 100.0 * x),
            Value::Date(d) => d.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Empty => String::new(),
        }
    }
}

/// A table to download: a name (the file's stem and the worksheet's), a header of machine
/// column names (the CSV's, documented and stable), rows, and what was selected (the XLSX's
/// "about" sheet, with the method).
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// The selection: (column-name-like key, value), e.g. ("agency", "SO-TP"), ("from", …).
    pub about: Vec<(&'static str, Value)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl Sheet {
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = String::from("\u{FEFF}");
        // Column names are the service's own: quoted only when they are more than a name.
        let header: Vec<String> = self
            .header
            .iter()
            .map(|h| {
                let plain = h
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'));
                if plain && !h.is_empty() {
                    h.clone()
                } else {
                    quoted(&cell(h))
                }
            })
            .collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for r in &self.rows {
            let record: Vec<String> = r.iter().map(Value::csv).collect();
            out.push_str(&record.join(","));
            out.push('\n');
        }
        Ok(out.into_bytes())
    }

    /// The table as a workbook in Vietnamese (the command line's default).
    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        self.xlsx_in(Lang::Vi)
    }

    /// The table as a workbook that reads like a report, in `lang`: the header in words (the
    /// CSV's column name where there is none), bold, wrapped and frozen; every number shown
    /// with the decimals of the CSV (full precision kept in the cell), shares as percent,
    /// counts with thousands separators, days as dates; columns as wide as their contents (up
    /// to 300 px); then a second sheet saying what was selected, how the figures were made,
    /// and the column names of the CSV.
    pub fn xlsx_in(&self, lang: Lang) -> anyhow::Result<Vec<u8>> {
        let mut book = Workbook::new();
        let formats = Formats::new();
        let sheet = book.add_worksheet();
        sheet.set_name(worksheet_name(&self.name))?;
        for (c, h) in self.header.iter().enumerate() {
            let shown = labels::column(h, lang).unwrap_or(h);
            sheet.write_string_with_format(0, c as u16, shown, &formats.header)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let column = self.header.get(c).map_or("", String::as_str);
                formats.write(sheet, r as u32 + 1, c as u16, &in_words(column, v, lang))?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.set_autofit_max_width(300);
        sheet.autofit();

        let about = book.add_worksheet();
        about.set_name(labels::about_title(lang))?;
        let mut r = 0;
        for (key, v) in &self.about {
            let shown = labels::column(key, lang).unwrap_or(key);
            about.write_string_with_format(r, 0, shown, &formats.header)?;
            formats.write(about, r, 1, &in_words(key, v, lang))?;
            r += 1;
        }
        for (label, text) in labels::about_lines(lang) {
            about.write_string_with_format(r, 0, label, &formats.header)?;
            about.write_string_with_format(r, 1, text, &formats.wrapped)?;
            r += 1;
        }
        // The CSV's names of the columns, for whoever reads both.
        about.write_string_with_format(r, 0, labels::columns_title(lang), &formats.header)?;
        let names = self
            .header
            .iter()
            .map(|h| match labels::column(h, lang) {
                Some(shown) => format!("{shown} = {h}"),
                None => h.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        about.write_string_with_format(r, 1, cell(&names), &formats.wrapped)?;
        about.set_column_width(0, 28)?;
        about.set_column_width(1, 100)?;
        Ok(book.save_to_buffer()?)
    }
}

/// A coded text cell ("not_different", "all") in words for the workbook; anything else as it is.
fn in_words(column: &str, v: &Value, lang: Lang) -> Value {
    match v {
        Value::Text(t) => labels::code(column, t, lang).map_or_else(|| v.clone(), Value::text),
        Value::Words { vi, en } => Value::text(match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }),
        _ => v.clone(),
    }
}

/// The cell formats of a workbook.
struct Formats {
    header: Format,
    wrapped: Format,
    count: Format,
    percent: Format,
    date: Format,
    decimals: Vec<Format>,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(rust_xlsxwriter::FormatAlign::Top),
            wrapped: Format::new()
                .set_text_wrap()
                .set_align(rust_xlsxwriter::FormatAlign::Top),
            count: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.00%"),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            decimals: (0..=6)
                .map(|d| {
                    let pattern = if d == 0 {
                        "#,##0".to_owned()
                    } else {
                        format!("#,##0.{}", "0".repeat(d))
                    };
                    Format::new().set_num_format(pattern)
                })
                .collect(),
        }
    }

    fn write(
        &self,
        sheet: &mut rust_xlsxwriter::Worksheet,
        r: u32,
        c: u16,
        v: &Value,
    ) -> anyhow::Result<()> {
        match v {
            Value::Text(s) | Value::Words { vi: s, .. } => {
                sheet.write_string(r, c, cell(s))?;
            }
            Value::Number(x, d) => {
                let format = &self.decimals[(*d).min(self.decimals.len() - 1)];
                sheet.write_number_with_format(r, c, *x, format)?;
            }
            Value::Percent(x, _) => {
                sheet.write_number_with_format(r, c, *x, &self.percent)?;
            }
            Value::Date(d) => {
                let day = rust_xlsxwriter::ExcelDateTime::from_ymd(
                    u16::try_from(d.year()).unwrap_or(0),
                    d.month() as u8,
                    d.day() as u8,
                );
                // Excel has no day before 1900 or after 9999: such a day is written as text.
                match day {
                    Ok(day) => sheet.write_datetime_with_format(r, c, &day, &self.date)?,
                    Err(_) => sheet.write_string(r, c, d.to_string())?,
                };
            }
            Value::Int(i) => {
                sheet.write_number_with_format(r, c, *i as f64, &self.count)?;
            }
            Value::Empty => {}
        }
        Ok(())
    }
}

/// A worksheet name Excel accepts: at most 31 UTF-16 units, none of `[]:*?/\`, no control
/// characters, not starting or ending with an apostrophe, not blank, not "History".
fn worksheet_name(name: &str) -> String {
    // Excel counts UTF-16 units: an emoji outside the BMP is two of its 31.
    let mut units = 0;
    let kept: String = name
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control())
        .take_while(|c| {
            units += c.len_utf16();
            units <= 31
        })
        .collect();
    // Excel refuses a name that begins or ends with an apostrophe; trimming spaces could
    // uncover one ("=cmd|' "), so both go together.
    let kept = kept.trim_matches(|c: char| c == '\'' || c.is_whitespace());
    if kept.is_empty() || kept.eq_ignore_ascii_case("history") {
        "Sheet1".to_owned()
    } else {
        kept.to_owned()
    }
}

/// Text in double quotes, its quotes doubled (RFC 4180).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A header from column names.
pub fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_stay_text() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-5"), "'-5");
        assert_eq!(cell("Tốt;=cmd|' /C calc'!A0"), "Tốt;'=cmd|' /C calc'!A0");
        assert_eq!(cell("Sở Tư pháp"), "Sở Tư pháp");
        assert_eq!(cell("a\u{202E}b"), "ab");
        assert_eq!(cell(""), "");
    }

    /// Found by the cell writer's fuzz target: trimming apostrophes, then spaces, left an
    /// apostrophe at the end, and Excel's rule made the XLSX fail.
    #[test]
    fn a_sheet_name_never_begins_or_ends_with_an_apostrophe() {
        for name in ["Tốt =cmd|' ", " 'Sở Nội vụ' ", "'\u{3000}'", "''"] {
            let shown = worksheet_name(name);
            assert!(
                !shown.starts_with('\'') && !shown.ends_with('\''),
                "{name:?}: {shown:?}"
            );
            let sheet = Sheet {
                name: name.into(),
                header: header(&["a"]),
                rows: vec![],
                about: vec![],
            };
            sheet.xlsx().expect("written");
        }
    }

    #[test]
    fn csv_and_xlsx_hold_the_same_table() {
        let sheet = Sheet {
            name: "t".into(),
            header: header(&["code", "index"]),
            rows: vec![vec![Value::text("=A1"), Value::Number(0.123456, 2)]],
            about: vec![],
        };
        let csv = String::from_utf8(sheet.csv().unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}code,index\n\"'=A1\",0.12\n");
        let xlsx = sheet.xlsx().unwrap();
        assert_eq!(&xlsx[..2], b"PK", "a zip container");
        let part = |name: &str| {
            use std::io::Read;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&xlsx)).unwrap();
            let mut text = String::new();
            zip.by_name(name)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        // Numbers shown with the CSV's decimals, columns sized to their contents, the header
        // frozen.
        let styles = part("xl/styles.xml");
        assert!(styles.contains(r##"formatCode="#,##0.00""##), "{styles}");
        let worksheet = part("xl/worksheets/sheet1.xml");
        assert!(worksheet.contains("<cols>"), "{worksheet}");
        assert!(worksheet.contains(r#"ySplit="1""#), "{worksheet}");
    }
}
