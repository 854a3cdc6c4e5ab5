//! `sipas demo`: the demo province, loaded idempotently; with `--serve`, then served.

use anyhow::Result;

use crate::auth::accounts;
use crate::config::Settings;
use crate::startup::prepare_database;
use crate::{db, demo};

#[derive(clap::Args)]
pub struct Args {
    /// Number of synthetic responses.
    #[arg(long, default_value_t = 200_000)]
    responses: usize,
    /// Seed of the synthetic data, for reproducible demos.
    #[arg(long, default_value_t = 2017)]
    seed: u64,
    /// Delete the demo's responses first and load them again.
    #[arg(long)]
    reset: bool,
    /// Communes in the demo province: the 20 named ones, then synthetic ones up to this number
    /// (e.g. 3321, the country's communes after the 2025 reform, to measure a ranking).
    #[arg(long, default_value_t = 20)]
    communes: usize,
    /// Start the server afterwards.
    #[arg(long)]
    serve: bool,
}

pub fn run(a: Args, mut settings: Settings) -> Result<()> {
    let prepared = prepare_database(&settings)?;
    let summary = demo::load(
        &prepared.database_url,
        a.responses,
        a.seed,
        a.reset,
        a.communes,
    )?;
    println!("{summary}");
    let mut conn = db::connect(&prepared.database_url)?;
    if let Some(wave) = demo::ensure_wave(&mut conn, a.seed)? {
        println!("annual survey: demo wave {wave} in fieldwork (/admin/waves/{wave})");
    }
    if let Some(password) = accounts::ensure_demo_admin(&mut conn)? {
        println!("admin sign-in: user 'admin', password '{password}' (shown once; change it with `sipas user admin`)");
    }
    settings.database_url = Some(prepared.database_url.clone());
    if a.serve {
        super::serve::run(settings, Some(prepared))
    } else {
        super::serve::print_links(&settings, &prepared)
    }
}
