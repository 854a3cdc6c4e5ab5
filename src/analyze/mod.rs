//! `sipas analyze`: the analysts' door to the statistics crate. Reads a CSV with a header row,
//! estimates a proportion (`--measure`), a mean, a total or a ratio, overall or per group
//! (`--by`), for a simple sample (binomial intervals) or a survey design (Taylor linearisation).
//!
//! Bad input is one line naming the row and the column, and exit status 2 (see `cli/analyze.rs`).

use std::collections::HashMap;
use std::io::Read;

use analysis::{
    binomial, design_interval, mean_interval, BinomialMethod, DesignMethod, LonelyPsu, Observation,
    TaylorAccumulator,
};
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use crate::domain::cell::{csv_record, Csv};

pub mod sae;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Wilson,
    ClopperPearson,
    Jeffreys,
    AgrestiCoull,
    Logit,
    Beta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Table,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lonely {
    Fail,
    Certainty,
    Remove,
    Adjust,
    Average,
}

/// What to estimate.
#[derive(Clone, Debug)]
pub enum Target {
    /// Share of non-empty values ≥ threshold.
    Measure {
        column: String,
        threshold: f64,
    },
    Mean {
        column: String,
    },
    Total {
        column: String,
    },
    Ratio {
        numerator: String,
        denominator: String,
    },
}

#[derive(Clone, Debug)]
pub struct Options {
    pub target: Target,
    pub strata: Option<String>,
    pub cluster: Option<String>,
    pub weight: Option<String>,
    pub fpc: Option<String>,
    pub by: Option<String>,
    pub method: Option<Method>,
    pub level: f64,
    pub lonely_psu: Lonely,
}

/// One output row: the keys `sipas analyze --format json` promises.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResultRow {
    pub group: Option<String>,
    pub estimate: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub n: u64,
    pub df: Option<f64>,
    pub deff: Option<f64>,
}

impl Options {
    fn is_design(&self) -> bool {
        self.strata.is_some()
            || self.cluster.is_some()
            || self.weight.is_some()
            || self.fpc.is_some()
    }
}

struct Columns {
    value: usize,
    denominator: Option<usize>,
    strata: Option<usize>,
    cluster: Option<usize>,
    weight: Option<usize>,
    fpc: Option<usize>,
    by: Option<usize>,
}

fn find(headers: &csv::StringRecord, name: &str) -> Result<usize> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| anyhow!("column '{name}' is not in the header row"))
}

/// Reads the CSV and estimates. Errors are one line: "row N, column 'C': …".
pub fn run(input: impl Read, opts: &Options) -> Result<Vec<ResultRow>> {
    analysis::error::check_level(opts.level).map_err(|e| anyhow!("--level: {e}"))?;
    let design = opts.is_design() || matches!(opts.method, Some(Method::Logit | Method::Beta));
    let simple_method = simple_method(opts, design)?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers = reader
        .headers()
        .context("cannot read the header row")?
        .clone();
    let cols = columns(&headers, opts)?;
    let mut tallies = Tallies::new(cols.cluster.is_some());
    for (i, record) in reader.records().enumerate() {
        // Row numbers as a spreadsheet shows them: the header is row 1.
        let row = i + 2;
        let record = record.map_err(|e| anyhow!("row {row}: {e}"))?;
        let fields = Row {
            number: row,
            record: &record,
            headers: &headers,
        };
        tallies.add(&fields, &cols, opts, design)?;
    }
    tallies.estimate(opts, design, simple_method)
}

/// The binomial method for a simple sample, or `None` with a design (or for a mean).
fn simple_method(opts: &Options, design: bool) -> Result<Option<Method>> {
    Ok(match (opts.method, &opts.target) {
        (
            Some(
                m @ (Method::Wilson
                | Method::ClopperPearson
                | Method::Jeffreys
                | Method::AgrestiCoull),
            ),
            Target::Measure { .. },
        ) => {
            if design {
                bail!("--method {m:?} is for simple samples; with --strata, --cluster, --weight or --fpc use logit or beta");
            }
            Some(m)
        }
        (Some(_), Target::Measure { .. }) => None,
        (Some(_), _) => bail!("--method applies to --measure only"),
        (None, Target::Measure { .. }) if !design => Some(Method::Wilson),
        (None, _) => None,
    })
}

/// Where each named column is; a name not in the header is an error naming it.
fn columns(headers: &csv::StringRecord, opts: &Options) -> Result<Columns> {
    let (value, denominator) = match &opts.target {
        Target::Measure { column, .. } | Target::Mean { column } | Target::Total { column } => {
            (find(headers, column)?, None)
        }
        Target::Ratio {
            numerator,
            denominator,
        } => (find(headers, numerator)?, Some(find(headers, denominator)?)),
    };
    let optional = |c: &Option<String>| c.as_deref().map(|c| find(headers, c)).transpose();
    Ok(Columns {
        value,
        denominator,
        strata: optional(&opts.strata)?,
        cluster: optional(&opts.cluster)?,
        weight: optional(&opts.weight)?,
        fpc: optional(&opts.fpc)?,
        by: optional(&opts.by)?,
    })
}

/// One data row, for reading fields with errors that name the row and the column.
struct Row<'a> {
    number: usize,
    record: &'a csv::StringRecord,
    headers: &'a csv::StringRecord,
}

impl Row<'_> {
    fn field(&self, c: usize) -> &str {
        self.record.get(c).unwrap_or("").trim()
    }

    fn name(&self, c: usize) -> &str {
        self.headers.get(c).unwrap_or("?")
    }

    /// A number, or `None` for an empty cell or `NA`.
    fn number(&self, c: usize) -> Result<Option<f64>> {
        let s = self.field(c);
        if s.is_empty() || s == "NA" {
            return Ok(None);
        }
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => bail!(
                "row {}, column '{}': '{}' is not a number",
                self.number,
                self.name(c),
                clip(s)
            ),
        }
    }
}

/// Ids assigned to labels in order of first appearance.
#[derive(Default)]
struct Labels {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Labels {
    fn id(&mut self, label: &str) -> (u32, bool) {
        if let Some(&id) = self.ids.get(label) {
            return (id, false);
        }
        let id = self.names.len() as u32;
        self.ids.insert(label.to_owned(), id);
        self.names.push(label.to_owned());
        (id, true)
    }
}

/// Everything read so far: the design accumulator, or simple tallies per group.
struct Tallies {
    acc: TaylorAccumulator,
    strata: Labels,
    /// Clusters are nested in strata: the same label in two strata is two PSUs.
    clusters: HashMap<u32, Labels>,
    clusters_seen: u64,
    cluster_ids: HashMap<(u32, u32), u64>,
    groups: Labels,
    /// Simple-sample tallies per group: (valid n, successes, Σy, Σy²).
    simple: Vec<(u64, u64, f64, f64)>,
}

impl Tallies {
    fn new(clustered: bool) -> Tallies {
        Tallies {
            acc: TaylorAccumulator::new(clustered),
            strata: Labels::default(),
            clusters: HashMap::new(),
            clusters_seen: 0,
            cluster_ids: HashMap::new(),
            groups: Labels::default(),
            simple: Vec::new(),
        }
    }

    fn add(&mut self, row: &Row, cols: &Columns, opts: &Options, design: bool) -> Result<()> {
        let group = self.group(row, cols);
        let value = row.number(cols.value)?;
        let (y, x) = match (&opts.target, value) {
            (_, None) => (0.0, 0.0),
            (Target::Measure { threshold, .. }, Some(v)) => {
                (if v >= *threshold { 1.0 } else { 0.0 }, 1.0)
            }
            (Target::Mean { .. } | Target::Total { .. }, Some(v)) => (v, 1.0),
            (Target::Ratio { .. }, Some(v)) => {
                match row.number(cols.denominator.expect("ratio has a denominator"))? {
                    Some(d) => (v, d),
                    None => (0.0, 0.0),
                }
            }
        };
        if !design {
            if value.is_some() {
                let s = &mut self.simple[group as usize];
                s.0 += 1;
                s.1 += (y == 1.0) as u64;
                s.2 += y;
                s.3 += y * y;
            }
            return Ok(());
        }
        let weight = match cols.weight {
            Some(c) => match row.number(c)? {
                Some(w) if w >= 0.0 => w,
                Some(w) => bail!(
                    "row {}, column '{}': weight {w} is negative",
                    row.number,
                    row.name(c)
                ),
                None => bail!(
                    "row {}, column '{}': the weight is empty",
                    row.number,
                    row.name(c)
                ),
            },
            None => 1.0,
        };
        let stratum = cols.strata.map_or(0, |c| self.strata.id(row.field(c)).0);
        let psu = cols.cluster.map(|c| self.psu(stratum, row.field(c)));
        let pop_size = match cols.fpc {
            Some(c) => match row.number(c)? {
                Some(n) if n > 0.0 => Some(n),
                _ => bail!(
                    "row {}, column '{}': the population size must be a positive number",
                    row.number,
                    row.name(c)
                ),
            },
            None => None,
        };
        let values = [(group as usize, y, x)];
        self.acc
            .add(&Observation {
                stratum,
                psu,
                weight,
                pop_size,
                domain: group,
                values: &values,
            })
            .map_err(|e| anyhow!("row {}: {e}", row.number))
    }

    /// The row's group (0 without `--by`), creating its tallies on first sight.
    fn group(&mut self, row: &Row, cols: &Columns) -> u32 {
        let label = cols.by.map_or("", |c| row.field(c));
        let (g, new) = self.groups.id(label);
        if new {
            self.simple.push((0, 0, 0.0, 0.0));
        }
        g
    }

    /// A PSU id unique across strata.
    fn psu(&mut self, stratum: u32, label: &str) -> u64 {
        let (local, new) = self.clusters.entry(stratum).or_default().id(label);
        if new {
            self.clusters_seen += 1;
            self.cluster_ids
                .insert((stratum, local), self.clusters_seen);
        }
        self.cluster_ids[&(stratum, local)]
    }

    /// One row per group, in R's `svyby` order.
    fn estimate(
        &self,
        opts: &Options,
        design: bool,
        simple_method: Option<Method>,
    ) -> Result<Vec<ResultRow>> {
        let names = &self.groups.names;
        if names.is_empty() {
            bail!("the file has no data rows");
        }
        let mut order: Vec<usize> = (0..names.len()).collect();
        sort_groups(&mut order, names);
        order
            .into_iter()
            .map(|g| {
                let group = opts.by.as_ref().map(|_| names[g].clone());
                if design {
                    design_row(&self.acc, g, group, opts)
                } else {
                    simple_row(
                        group,
                        self.simple[g],
                        &opts.target,
                        simple_method,
                        opts.level,
                    )
                }
            })
            .collect()
    }
}

fn lonely_psu(l: Lonely) -> LonelyPsu {
    match l {
        Lonely::Fail => LonelyPsu::Fail,
        Lonely::Certainty => LonelyPsu::Certainty,
        Lonely::Remove => LonelyPsu::Remove,
        Lonely::Adjust => LonelyPsu::Adjust,
        Lonely::Average => LonelyPsu::Average,
    }
}

/// A design-based estimate with its interval (logit or beta for a share, t for the rest).
fn design_row(
    acc: &TaylorAccumulator,
    g: usize,
    group: Option<String>,
    opts: &Options,
) -> Result<ResultRow> {
    let lonely = lonely_psu(opts.lonely_psu);
    let est = match &opts.target {
        Target::Measure { .. } | Target::Mean { .. } => acc.mean(g, lonely),
        Target::Total { .. } => acc.total(g, lonely),
        Target::Ratio { .. } => acc.ratio(g, lonely),
    }
    .map_err(|e| anyhow!("{}{e}", group_label(&group)))?;
    let ci = match &opts.target {
        Target::Measure { .. } => {
            let m = match opts.method {
                Some(Method::Beta) => DesignMethod::Beta,
                _ => DesignMethod::Logit,
            };
            design_interval(&est, m, opts.level)
        }
        _ => mean_interval(&est, opts.level),
    }
    .map_err(|e| anyhow!("{}{e}", group_label(&group)))?;
    Ok(ResultRow {
        group,
        estimate: est.estimate,
        se: est.se,
        ci_low: ci.low,
        ci_high: ci.high,
        n: est.n,
        df: Some(est.df),
        deff: est.deff.filter(|d| d.is_finite()),
    })
}

fn group_label(group: &Option<String>) -> String {
    match group {
        Some(g) => format!("group '{g}': "),
        None => String::new(),
    }
}

/// R's svyby orders groups as factor levels: numerically when every label is a number.
fn sort_groups(order: &mut [usize], names: &[String]) {
    let numeric: Option<Vec<f64>> = names.iter().map(|n| n.parse::<f64>().ok()).collect();
    match numeric {
        Some(v) => order.sort_by(|a, b| v[*a].total_cmp(&v[*b])),
        None => order.sort_by(|a, b| names[*a].cmp(&names[*b])),
    }
}

/// A simple random sample: binomial intervals for a share; a t interval for a mean.
fn simple_row(
    group: Option<String>,
    (n, x, sy, syy): (u64, u64, f64, f64),
    target: &Target,
    method: Option<Method>,
    level: f64,
) -> Result<ResultRow> {
    if n == 0 {
        bail!(
            "{}no non-empty values to estimate from",
            group_label(&group)
        );
    }
    let nf = n as f64;
    match target {
        Target::Measure { .. } => {
            let m = match method {
                Some(Method::ClopperPearson) => BinomialMethod::ClopperPearson,
                Some(Method::Jeffreys) => BinomialMethod::Jeffreys,
                Some(Method::AgrestiCoull) => BinomialMethod::AgrestiCoull,
                _ => BinomialMethod::Wilson,
            };
            let ci = binomial::interval(m, x, n, level)?;
            let p = x as f64 / nf;
            Ok(ResultRow {
                group,
                estimate: p,
                se: (p * (1.0 - p) / nf).sqrt(),
                ci_low: ci.low,
                ci_high: ci.high,
                n,
                df: None,
                deff: None,
            })
        }
        Target::Mean { .. } => {
            let mean = sy / nf;
            let var = if n > 1 {
                ((syy - nf * mean * mean) / (nf - 1.0)).max(0.0)
            } else {
                0.0
            };
            let se = (var / nf).sqrt();
            let t = analysis::proportion::t_quantile(1.0 - (1.0 - level) / 2.0, nf - 1.0);
            Ok(ResultRow {
                group,
                estimate: mean,
                se,
                ci_low: mean - t * se,
                ci_high: mean + t * se,
                n,
                df: Some(nf - 1.0),
                deff: None,
            })
        }
        Target::Total { .. } | Target::Ratio { .. } => {
            bail!("--total and --ratio need a design: give at least --weight (a simple sample has no population to total)")
        }
    }
}

fn clip(s: &str) -> String {
    crate::domain::text::clip(s, 40)
}

/// Writes the rows in the chosen format.
pub fn render(rows: &[ResultRow], format: Format) -> Result<String> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(rows)? + "\n"),
        Format::Csv => {
            // Group labels come from the input file: the one cell rule (quoted, no formula).
            let mut out = csv_record(
                &[
                    "group", "estimate", "se", "ci_low", "ci_high", "n", "df", "deff",
                ]
                .map(Csv::Text),
            );
            out.push('\n');
            for r in rows {
                let numbers = [
                    r.estimate.to_string(),
                    r.se.to_string(),
                    r.ci_low.to_string(),
                    r.ci_high.to_string(),
                    r.n.to_string(),
                    r.df.map(|d| d.to_string()).unwrap_or_default(),
                    r.deff.map(|d| d.to_string()).unwrap_or_default(),
                ];
                let group = r.group.clone().unwrap_or_default();
                let mut cells = vec![Csv::Text(&group)];
                cells.extend(numbers.iter().map(|n| Csv::Number(n)));
                out.push_str(&csv_record(&cells));
                out.push('\n');
            }
            Ok(out)
        }
        Format::Table => {
            let mut s = format!(
                "{:<16} {:>12} {:>10} {:>12} {:>12} {:>8} {:>7} {:>7}\n",
                "group", "estimate", "se", "ci_low", "ci_high", "n", "df", "deff"
            );
            for r in rows {
                s += &format!(
                    "{:<16} {:>12.6} {:>10.6} {:>12.6} {:>12.6} {:>8} {:>7} {:>7}\n",
                    r.group.as_deref().unwrap_or("(all)"),
                    r.estimate,
                    r.se,
                    r.ci_low,
                    r.ci_high,
                    r.n,
                    r.df.map(|d| format!("{d:.0}"))
                        .unwrap_or_else(|| "-".into()),
                    r.deff
                        .map(|d| format!("{d:.3}"))
                        .unwrap_or_else(|| "-".into()),
                );
            }
            Ok(s)
        }
    }
}
