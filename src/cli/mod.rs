//! The `sipas` command line: one file per subcommand (serve, migrate, demo, qr, user,
//! rotate-key, rollup, analyze, api-token, wave, frame, receipts, worker). Each parses its arguments with clap, then calls the feature modules.

mod analyze;
mod api_token;
mod check;
mod demo;
mod migrate;
mod qr;
mod receipts;
mod rollup;
mod rotate_key;
mod serve;
mod user;
mod wave;
mod worker;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::config::Settings;

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
    Demo(demo::Args),
    /// Write QR codes and A5 posters for every desk: <desk-id>.svg/.png/.html and index.csv.
    Qr(qr::Args),
    /// Create a staff account, or set a new password (ending its sessions). The password is read
    /// from SIPAS_PASSWORD or, if unset, from the first line of standard input.
    User(user::Args),
    /// Estimate a share, mean, total or ratio from a CSV file, for a simple sample or a survey design.
    Analyze(Box<analyze::Args>),
    /// Revoke every printed QR code of a desk by moving it to a new key version.
    RotateKey(rotate_key::Args),
    /// Bearer tokens for the read API: create (printed once), list, revoke.
    #[command(subcommand)]
    ApiToken(api_token::Action),
    /// The desk stream's daily aggregates: `sipas rollup rebuild` recomputes them.
    #[command(subcommand)]
    Rollup(rollup::Action),
    /// The annual sample survey's waves: create, list, status.
    #[command(subcommand)]
    Wave(wave::WaveAction),
    /// A wave's sampling frame: `sipas frame import --wave W FILE.csv`.
    #[command(subcommand)]
    Frame(wave::FrameAction),
    /// Receipts for a one-stop system that cannot call the API: `sipas receipts import FILE.csv --system NAME`.
    #[command(subcommand)]
    Receipts(receipts::Action),
    /// Send the e-mail outbox (invitations, reminders) over SMTP, retrying until accepted.
    Worker(worker::Args),
    /// Read the configuration and try the database, the rate-limit store and the SMTP server:
    /// one line each, exit status 1 when anything is wrong.
    Check,
}

pub fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    // `check` reports a configuration it cannot read as one of its lines.
    if matches!(cli.command, Command::Check) {
        return check::run();
    }
    match run(cli.command) {
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
        // Colour codes only for a person at a terminal, not in a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn run(command: Command) -> Result<()> {
    // `analyze` reads a file and needs no settings or database.
    let command = match command {
        Command::Analyze(args) => return analyze::run(*args),
        other => other,
    };
    let settings = Settings::from_env()?;
    match command {
        Command::Analyze(_) | Command::Check => unreachable!("handled above"),
        Command::Serve => serve::run(settings, None),
        Command::Migrate => migrate::run(&settings),
        Command::Demo(args) => demo::run(args, settings),
        Command::Qr(args) => qr::run(args, &settings),
        Command::User(args) => user::run(args, &settings),
        Command::RotateKey(args) => rotate_key::run(args, &settings),
        Command::Rollup(action) => rollup::run(action, &settings),
        Command::ApiToken(action) => api_token::run(action, &settings),
        Command::Wave(action) => wave::run_wave(action, &settings),
        Command::Frame(action) => wave::run_frame(action, &settings),
        Command::Worker(args) => worker::run(args, &settings),
        Command::Receipts(action) => receipts::run(action, &settings),
    }
}
