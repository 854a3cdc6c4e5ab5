//! A table to download (dashboard, ranking, PAR points, microdata, a survey's sample) as CSV
//! or XLSX from one [`Sheet`], built by the same function that feeds its page: CSV is UTF-8
//! with a byte-order mark (Excel then reads Vietnamese names correctly), XLSX has typed numeric
//! cells; both neutralise text that a spreadsheet would run as a formula. No web framework
//! here: the command line writes the same sheets to files.

use rust_xlsxwriter::{Format, Workbook};

/// A text cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a
/// leading apostrophe, so a name typed as `=HYPERLINK(…)` stays text (OWASP "CSV injection").
pub fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// One cell of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    /// A number shown with `decimals` decimals in CSV (full precision in XLSX).
    Number(f64, usize),
    Int(i64),
    Empty,
}

impl Value {
    pub fn text(s: impl AsRef<str>) -> Value {
        Value::Text(cell(s.as_ref()))
    }

    fn csv(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(x, d) => format!("{x:.*}", d),
            Value::Int(i) => i.to_string(),
            Value::Empty => String::new(),
        }
    }
}

/// A table to download: a name (the file's stem and the worksheet's), a header, rows.
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl Sheet {
    pub fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&self.header)?;
            for r in &self.rows {
                w.write_record(r.iter().map(Value::csv))?;
            }
            w.flush()?;
        }
        Ok(out)
    }

    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        // Worksheet names: at most 31 characters, none of []:*?/\
        let name: String = self
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(&name)?;
        let bold = Format::new().set_bold();
        for (c, h) in self.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Value::Number(x, _) => {
                        sheet.write_number(r, c, *x)?;
                    }
                    Value::Int(i) => {
                        sheet.write_number(r, c, *i as f64)?;
                    }
                    Value::Empty => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(book.save_to_buffer()?)
    }
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
        assert_eq!(cell("Sở Tư pháp"), "Sở Tư pháp");
        assert_eq!(cell(""), "");
    }

    #[test]
    fn csv_and_xlsx_hold_the_same_table() {
        let sheet = Sheet {
            name: "t".into(),
            header: header(&["code", "index"]),
            rows: vec![vec![Value::text("=A1"), Value::Number(0.123456, 2)]],
        };
        let csv = String::from_utf8(sheet.csv().unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}code,index\n'=A1,0.12\n");
        let xlsx = sheet.xlsx().unwrap();
        assert_eq!(&xlsx[..2], b"PK", "a zip container");
    }
}
