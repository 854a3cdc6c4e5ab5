//! `sipas analyze sae`: Fay–Herriot small-area estimates from a CSV of direct estimates — one
//! row per area with its direct estimate, the estimate's sampling variance and covariates —
//! through `analysis::sae`. Prints each area's EBLUP and MSE as CSV. Bad input names the row
//! and the column.

use std::io::Read;

use anyhow::{anyhow, bail, Context, Result};

use crate::domain::cell::{csv_record, Csv};

/// What `sipas analyze sae` was asked.
#[derive(Clone, Debug)]
pub struct SaeOptions {
    pub estimate: String,
    pub variance: String,
    /// Numeric covariates, used as they are.
    pub covariates: Vec<String>,
    /// Categorical covariates: one indicator per level but the first (R's treatment contrasts,
    /// levels in R's order: numeric when every label is a number).
    pub factors: Vec<String>,
    /// The area's name or code; the row number without it.
    pub area: Option<String>,
}

/// One area's result.
#[derive(Clone, Debug, PartialEq)]
pub struct SaeRow {
    pub area: String,
    pub direct: f64,
    pub variance: f64,
    pub eblup: f64,
    pub mse: f64,
}

fn column(headers: &csv::StringRecord, name: &str) -> Result<usize> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| anyhow!("column '{name}' is not in the header row"))
}

fn number(record: &csv::StringRecord, c: usize, row: usize, name: &str) -> Result<f64> {
    let s = record.get(c).unwrap_or("").trim();
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ if s.is_empty() => bail!("row {row}, column '{name}': the value is empty"),
        _ => bail!(
            "row {row}, column '{name}': '{}' is not a number",
            s.chars().take(40).collect::<String>()
        ),
    }
}

/// Reads the CSV and fits the model.
pub fn run(input: impl Read, opts: &SaeOptions) -> Result<Vec<SaeRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .context("cannot read the header row")?
        .clone();
    let estimate = column(&headers, &opts.estimate)?;
    let variance = column(&headers, &opts.variance)?;
    let covariates = opts
        .covariates
        .iter()
        .map(|c| column(&headers, c).map(|i| (i, c.as_str())))
        .collect::<Result<Vec<_>>>()?;
    let factors = opts
        .factors
        .iter()
        .map(|c| column(&headers, c).map(|i| (i, c.as_str())))
        .collect::<Result<Vec<_>>>()?;
    let area = opts
        .area
        .as_deref()
        .map(|a| column(&headers, a))
        .transpose()?;

    let (mut names, mut y, mut d, mut numeric, mut labels) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, record) in reader.records().enumerate() {
        // Row numbers as a spreadsheet shows them: the header is row 1.
        let row = i + 2;
        let record = record.map_err(|e| anyhow!("row {row}: {e}"))?;
        let v = number(&record, variance, row, &opts.variance)?;
        if v <= 0.0 {
            bail!(
                "row {row}, column '{}': a sampling variance must be positive",
                opts.variance
            );
        }
        y.push(number(&record, estimate, row, &opts.estimate)?);
        d.push(v);
        numeric.push(
            covariates
                .iter()
                .map(|&(c, name)| number(&record, c, row, name))
                .collect::<Result<Vec<_>>>()?,
        );
        labels.push(
            factors
                .iter()
                .map(|&(c, name)| {
                    let s = record.get(c).unwrap_or("").trim().to_owned();
                    if s.is_empty() {
                        bail!("row {row}, column '{name}': the category is empty");
                    }
                    Ok(s)
                })
                .collect::<Result<Vec<_>>>()?,
        );
        let name = area.map_or_else(
            || (row - 1).to_string(),
            |c| record.get(c).unwrap_or("").trim().to_owned(),
        );
        // A label is printed back: a control character (NUL, a bell, …) is refused, named.
        if let Some((at, c)) = crate::domain::text::first_control(&name, false) {
            bail!(
                "row {row}, column '{}': character {} at position {at} is a control character",
                opts.area.as_deref().unwrap_or_default(),
                crate::domain::text::codepoint(c)
            );
        }
        names.push(name);
    }
    if y.is_empty() {
        bail!("the file has no areas");
    }
    // Each factor's levels in R's order; the first is the reference.
    let levels: Vec<Vec<String>> = (0..factors.len())
        .map(|f| {
            let mut seen: Vec<String> = labels
                .iter()
                .map(|l| l[f].clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if seen.iter().all(|s| s.parse::<f64>().is_ok()) {
                seen.sort_by(|a, b| {
                    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
                    num(a).total_cmp(&num(b))
                });
            }
            seen
        })
        .collect();
    let x: Vec<Vec<f64>> = numeric
        .iter()
        .zip(&labels)
        .map(|(nums, labs)| {
            let mut row = vec![1.0];
            row.extend(nums);
            for (f, lab) in labs.iter().enumerate() {
                row.extend(levels[f][1..].iter().map(|l| f64::from(u8::from(l == lab))));
            }
            row
        })
        .collect();
    let fit = analysis::sae::fay_herriot(&y, &d, &x).map_err(|e| anyhow!("{e}"))?;
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, area)| SaeRow {
            area,
            direct: y[i],
            variance: d[i],
            eblup: fit.eblup[i],
            mse: fit.mse[i],
        })
        .collect())
}

/// The results as CSV: area, direct, variance, eblup, mse.
pub fn render(rows: &[SaeRow]) -> String {
    let mut out = csv_record(&["area", "direct", "variance", "eblup", "mse"].map(Csv::Text));
    out.push('\n');
    for r in rows {
        let numbers = [
            r.direct.to_string(),
            r.variance.to_string(),
            r.eblup.to_string(),
            r.mse.to_string(),
        ];
        let mut cells = vec![Csv::Text(&r.area)];
        cells.extend(numbers.iter().map(|n| Csv::Number(n)));
        out.push_str(&csv_record(&cells));
        out.push('\n');
    }
    out
}
