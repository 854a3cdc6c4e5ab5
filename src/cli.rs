//! The `sipas` command line: serve, migrate, demo, qr, rotate-key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::{prepare_database, Application};
use crate::{accounts, analyze, db, demo, posters, views::Views};

#[derive(Parser)]
#[command(
    name = "sipas",
    version,
    about = "SIPAS: satisfaction with public administrative services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (address from SIPAS_BIND, default 127.0.0.1:8080).
    Serve,
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Load a demo province (agencies, desks, synthetic responses); with --serve, then serve it.
    Demo {
        /// Number of synthetic responses.
        #[arg(long, default_value_t = 200_000)]
        responses: usize,
        /// Seed of the synthetic data, for reproducible demos.
        #[arg(long, default_value_t = 2017)]
        seed: u64,
        /// Delete the demo's responses first and load them again.
        #[arg(long)]
        reset: bool,
        /// Start the server afterwards.
        #[arg(long)]
        serve: bool,
    },
    /// Write QR codes and A5 posters for every desk: <desk-id>.svg/.png/.html and index.csv.
    Qr {
        #[arg(long)]
        out: PathBuf,
        /// Only desks of this agency and the agencies below it.
        #[arg(long)]
        agency: Option<String>,
    },
    /// Create a staff account, or set a new password (ending its sessions). The password is read
    /// from SIPAS_PASSWORD or, if unset, from the first line of standard input.
    User {
        username: String,
        /// `admin` (Home Affairs: every agency) or `agency` (one agency and those below it).
        #[arg(long, default_value = "admin")]
        role: String,
        /// The agency of an `agency` user.
        #[arg(long)]
        agency: Option<String>,
    },
    /// Estimate a share, mean, total or ratio from a CSV file, for a simple sample or a survey design.
    Analyze(Box<AnalyzeArgs>),
    /// Revoke every printed QR code of a desk by moving it to a new key version.
    RotateKey {
        /// The desk's id (first column of index.csv).
        desk_id: i32,
    },
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["measure", "mean", "total", "ratio"])))]
struct AnalyzeArgs {
    /// CSV file with a header row (`-` for standard input).
    #[arg(long)]
    input: PathBuf,
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

fn analyze_command(a: AnalyzeArgs) -> Result<()> {
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
    let rows = if a.input.as_os_str() == "-" {
        analyze::run(std::io::stdin().lock(), &opts)?
    } else {
        let file = std::fs::File::open(&a.input)
            .with_context(|| format!("cannot open {}", a.input.display()))?;
        analyze::run(std::io::BufReader::new(file), &opts)?
    };
    print!("{}", analyze::render(&rows, a.format)?);
    Ok(())
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sipas: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIPAS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> Result<()> {
    if let Command::Analyze(args) = cli.command {
        return analyze_command(*args);
    }
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Analyze(_) => unreachable!("handled above: it needs no database"),
        Command::Serve => serve(settings, None),
        Command::Migrate => {
            let prepared = prepare_database(&settings)?;
            println!(
                "database ready: {}",
                db::bootstrap::redact(&prepared.database_url)
            );
            Ok(())
        }
        Command::Demo {
            responses,
            seed,
            reset,
            serve: then_serve,
        } => {
            let prepared = prepare_database(&settings)?;
            let summary = demo::load(&prepared.database_url, responses, seed, reset)?;
            println!("{summary}");
            let mut conn = db::connect(&prepared.database_url)?;
            if let Some(password) = accounts::ensure_demo_admin(&mut conn)? {
                println!("admin sign-in: user 'admin', password '{password}' (shown once; change it with `sipas user admin`)");
            }
            let mut settings = settings;
            settings.database_url = Some(prepared.database_url.clone());
            if then_serve {
                serve(settings, Some(prepared))
            } else {
                print_links(&settings, &prepared)?;
                Ok(())
            }
        }
        Command::Qr { out, agency } => {
            let prepared = prepare_database(&settings)?;
            let mut conn = db::connect(&prepared.database_url)?;
            let ids = match &agency {
                Some(code) => {
                    let ids = db::agencies::subtree_ids(&mut conn, code)?;
                    if ids.is_empty() {
                        bail!("no agency has the code '{code}'");
                    }
                    Some(ids)
                }
                None => None,
            };
            let desks = db::desks::list_active(&mut conn, ids.as_deref())?;
            let n = posters::write_all(
                &Views::load()?,
                &desks,
                &settings.public_base(),
                &prepared.key,
                &out,
            )?;
            println!(
                "wrote QR codes and posters for {n} desks to {}",
                out.display()
            );
            Ok(())
        }
        Command::User {
            username,
            role,
            agency,
        } => {
            let password = match std::env::var("SIPAS_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let prepared = prepare_database(&settings)?;
            let mut conn = db::connect(&prepared.database_url)?;
            let created =
                accounts::set_user(&mut conn, &username, &password, &role, agency.as_deref())?;
            println!(
                "{} user '{username}' ({role})",
                if created { "created" } else { "updated" }
            );
            Ok(())
        }
        Command::RotateKey { desk_id } => {
            let prepared = prepare_database(&settings)?;
            let mut conn = db::connect(&prepared.database_url)?;
            let Some(v) = db::desks::rotate_key(&mut conn, desk_id)? else {
                bail!("no desk has the id {desk_id}");
            };
            println!("desk {desk_id} is now on key version {v}: its old QR codes no longer work; print new ones with `sipas qr`");
            Ok(())
        }
    }
}

fn print_links(settings: &Settings, prepared: &crate::startup::Prepared) -> Result<()> {
    let mut conn = db::connect(&prepared.database_url)?;
    if let Some(desk) = db::desks::list_active(&mut conn, None)?.into_iter().next() {
        let base = settings.public_base();
        println!(
            "desk form:   {}",
            crate::qr::desk_url(&base, &desk, &prepared.key)
        );
        println!("desk poster: {base}/admin/desks/{}/poster", desk.id);
    }
    Ok(())
}

fn serve(settings: Settings, prepared: Option<crate::startup::Prepared>) -> Result<()> {
    let app = Application::build(settings.clone())?;
    let mut shown = settings.clone();
    shown.bind.set_port(app.port());
    if let Some(p) = prepared {
        print_links(&shown, &p)?;
    }
    println!("serving on http://{}", shown.bind);
    actix_web::rt::System::new()
        .block_on(app.run())
        .context("the server stopped with an error")
}
