//! `sipas migrate`: create the database if missing and apply pending migrations.

use anyhow::Result;

use crate::config::Settings;
use crate::db;
use crate::startup::prepare_database;

pub fn run(settings: &Settings) -> Result<()> {
    let prepared = prepare_database(settings)?;
    println!(
        "database ready: {}",
        db::bootstrap::redact(&prepared.database_url)
    );
    Ok(())
}
