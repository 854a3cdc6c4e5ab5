//! `sipas qr`: QR codes and A5 posters for every desk (or one agency's subtree), and index.csv.
//! The operator runs it with the database in hand, so it lists desks without a staff scope.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::config::Settings;
use crate::db;
use crate::desks::posters;
use crate::startup::prepare_database;
use crate::views::Views;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    out: PathBuf,
    /// Only desks of this agency and the agencies below it.
    #[arg(long)]
    agency: Option<String>,
}

pub fn run(a: Args, settings: &Settings) -> Result<()> {
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let ids = match &a.agency {
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
        Views::shared()?,
        &desks,
        &settings.public_base(),
        &prepared.key,
        &a.out,
    )?;
    println!(
        "wrote QR codes and posters for {n} desks to {}",
        a.out.display()
    );
    Ok(())
}
