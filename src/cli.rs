//! The `sipas` command line: serve, migrate, demo, qr, rotate-key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::{prepare_database, Application};
use crate::{accounts, db, demo, posters, views::Views};

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
    /// Revoke every printed QR code of a desk by moving it to a new key version.
    RotateKey {
        /// The desk's id (first column of index.csv).
        desk_id: i32,
    },
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
    let settings = Settings::from_env()?;
    match cli.command {
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
