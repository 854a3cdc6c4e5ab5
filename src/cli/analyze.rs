//! `sipas analyze`: estimates from a CSV file; needs no database.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::analyze;

#[derive(clap::Args)]
#[command(
    group(clap::ArgGroup::new("target").required(true).args(["measure", "mean", "total", "ratio"])),
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Args {
    #[command(subcommand)]
    model: Option<Model>,
    /// CSV file with a header row (`-` for standard input).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Share of non-empty values at or above --threshold.
    #[arg(long)]
    measure: Option<String>,
    #[arg(long, default_value_t = 4.0, requires = "measure")]
    threshold: f64,
    /// Mean of the column.
    #[arg(long)]
    mean: Option<String>,
    /// Population total of the column (needs a design).
    #[arg(long)]
    total: Option<String>,
    /// Ratio of this column's total to --denominator's total (needs a design).
    #[arg(long, requires = "denominator")]
    ratio: Option<String>,
    #[arg(long, requires = "ratio")]
    denominator: Option<String>,
    #[arg(long)]
    strata: Option<String>,
    /// PSU (cluster) column; clusters are nested in strata.
    #[arg(long)]
    cluster: Option<String>,
    #[arg(long)]
    weight: Option<String>,
    /// Stratum population size (PSUs in the population with --cluster), as R's svydesign(fpc=).
    #[arg(long)]
    fpc: Option<String>,
    /// One result per value of this column (domain estimates, like R's svyby).
    #[arg(long)]
    by: Option<String>,
    #[arg(long, value_enum)]
    method: Option<analyze::Method>,
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    #[arg(long, value_enum, default_value = "fail")]
    lonely_psu: analyze::Lonely,
    #[arg(long, value_enum, default_value = "table")]
    format: analyze::Format,
}

/// Model-based estimates.
#[derive(clap::Subcommand)]
enum Model {
    /// Fay–Herriot small-area estimates (EBLUP by REML, Prasad–Rao MSE) from one row per area:
    /// its direct estimate, that estimate's sampling variance and covariates. Prints CSV.
    Sae(SaeArgs),
}

#[derive(clap::Args)]
struct SaeArgs {
    /// CSV file with a header row (`-` for standard input).
    #[arg(long)]
    input: PathBuf,
    /// The direct estimate's column.
    #[arg(long)]
    estimate: String,
    /// The column of the direct estimate's sampling variance (se², not se).
    #[arg(long)]
    variance: String,
    /// Numeric covariates, comma-separated (an intercept is always included).
    #[arg(long, value_delimiter = ',')]
    covariates: Vec<String>,
    /// Categorical covariates, comma-separated: one indicator per level but the first.
    #[arg(long, value_delimiter = ',')]
    factors: Vec<String>,
    /// The area's code or name column (else the row number).
    #[arg(long)]
    area: Option<String>,
}

fn open(input: &std::path::Path) -> Result<Box<dyn std::io::Read>> {
    Ok(if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(input)
            .with_context(|| format!("cannot open {}", input.display()))?;
        Box::new(std::io::BufReader::new(file))
    })
}

pub fn run(a: Args) -> Result<()> {
    if let Some(Model::Sae(s)) = a.model {
        let opts = analyze::sae::SaeOptions {
            estimate: s.estimate,
            variance: s.variance,
            covariates: s.covariates,
            factors: s.factors,
            area: s.area,
        };
        let rows = analyze::sae::run(open(&s.input)?, &opts)?;
        print!("{}", analyze::sae::render(&rows));
        return Ok(());
    }
    let Some(input) = a.input else {
        bail!("--input is required");
    };
    let target = match (a.measure, a.mean, a.total, a.ratio, a.denominator) {
        (Some(column), ..) => analyze::Target::Measure {
            column,
            threshold: a.threshold,
        },
        (_, Some(column), ..) => analyze::Target::Mean { column },
        (_, _, Some(column), ..) => analyze::Target::Total { column },
        (_, _, _, Some(numerator), Some(denominator)) => analyze::Target::Ratio {
            numerator,
            denominator,
        },
        _ => bail!("give one of --measure, --mean, --total, --ratio"),
    };
    let opts = analyze::Options {
        target,
        strata: a.strata,
        cluster: a.cluster,
        weight: a.weight,
        fpc: a.fpc,
        by: a.by,
        method: a.method,
        level: a.level,
        lonely_psu: a.lonely_psu,
    };
    let rows = analyze::run(open(&input)?, &opts)?;
    print!("{}", analyze::render(&rows, a.format)?);
    Ok(())
}
