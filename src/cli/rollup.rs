//! `sipas rollup rebuild`: recompute the desk stream's daily aggregates from the raw ratings
//! (after a restore, a bulk import, or to check them).

use anyhow::{Context, Result};

use crate::config::Settings;
use crate::db::{self, instruments::Form};
use crate::results::rollup;
use crate::startup::prepare_database;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Recompute every cell from the raw ratings, in one transaction.
    Rebuild,
}

pub fn run(action: Action, settings: &Settings) -> Result<()> {
    match action {
        Action::Rebuild => {
            let prepared = prepare_database(settings)?;
            let mut conn = db::connect(&prepared.database_url)?;
            let form = db::instruments::load_form(&mut conn, &settings.desk_instrument, Form::Desk)
                .with_context(|| {
                    format!(
                        "instrument '{}' is not in the database",
                        settings.desk_instrument
                    )
                })?;
            let started = std::time::Instant::now();
            let (cells, ratings) = rollup::rebuild(&mut conn, &form)?;
            println!(
                "rebuilt {cells} daily cells from {ratings} ratings in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}
