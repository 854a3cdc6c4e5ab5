//! `sipas user NAME --role admin|manager|viewer|system [--agency CODE]`: create a staff account
//! or set a new password (ending the user's sessions). The password never appears on the
//! command line. A `system` account (a one-stop electronic system, which issues receipts with
//! an API token and never signs in) gets a random password that nobody is told.

use anyhow::Result;

use crate::auth::accounts;
use crate::config::Settings;
use crate::db::{self, audit::Actor};
use crate::domain::Role;
use crate::startup::prepare_database;

#[derive(clap::Args)]
pub struct Args {
    username: String,
    /// `admin` (Home Affairs: the whole province), `manager` or `viewer` (one agency and the
    /// units below it; a viewer only reads), `system` (a one-stop system issuing receipts for
    /// one agency and the units below it; then `sipas api-token create --user NAME`).
    #[arg(long, default_value = "admin", value_parser = parse_role)]
    role: Role,
    /// The agency of a manager or viewer.
    #[arg(long)]
    agency: Option<String>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: crate::domain::role::UnknownRole| e.to_string())
}

pub fn run(a: Args, settings: &Settings) -> Result<()> {
    let password = match std::env::var("SIPAS_PASSWORD") {
        _ if a.role == Role::System => accounts::unusable_password(),
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let created = accounts::set_user(
        &mut conn,
        &Actor::command_line("sipas user"),
        &a.username,
        &password,
        a.role,
        a.agency.as_deref(),
    )?;
    println!(
        "{} user '{}' ({})",
        if created { "created" } else { "updated" },
        a.username,
        a.role
    );
    Ok(())
}
