//! `sipas rotate-key DESK_ID`: revoke every printed QR code of a desk.

use anyhow::{bail, Result};

use crate::config::Settings;
use crate::db::{self, audit::Actor};
use crate::startup::prepare_database;

#[derive(clap::Args)]
pub struct Args {
    /// The desk's id (first column of index.csv).
    desk_id: i32,
}

pub fn run(a: Args, settings: &Settings) -> Result<()> {
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let Some(v) = db::desks::rotate_key(
        &mut conn,
        &Actor::command_line("sipas rotate-key"),
        a.desk_id,
    )?
    else {
        bail!("no desk has the id {}", a.desk_id);
    };
    println!(
        "desk {} is now on key version {v}: its old QR codes no longer work; print new ones with `sipas qr`",
        a.desk_id
    );
    Ok(())
}
