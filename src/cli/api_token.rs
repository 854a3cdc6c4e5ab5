//! `sipas api-token create --user NAME [--label TEXT]`, `sipas api-token list`,
//! `sipas api-token revoke ID`: bearer tokens for the read API. A token acts as its user (same
//! role and scope); it is printed once and only its hash is stored. Audited.

use anyhow::{bail, Result};

use crate::auth::api_token;
use crate::config::Settings;
use crate::db::{self, audit::Actor};
use crate::startup::prepare_database;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Create a token for a user and print it (once).
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "province portal".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token by its id: it stops working at once.
    Revoke { id: i32 },
}

pub fn run(action: Action, settings: &Settings) -> Result<()> {
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let actor = |what: &str| Actor::command_line(&format!("sipas api-token {what}"));
    match action {
        Action::Create { user, label } => {
            if label.chars().count() > 200 {
                bail!("--label: at most 200 characters");
            }
            let token = api_token::generate();
            let digest = api_token::digest(&token).expect("a generated token is well formed");
            let Some(id) =
                db::api_tokens::create(&mut conn, &actor("create"), &user, &label, &digest)?
            else {
                bail!("no user is named '{user}'");
            };
            eprintln!(
                "token {id} for '{user}' (shown once; send it as `Authorization: Bearer …`):"
            );
            println!("{token}");
        }
        Action::List => {
            println!("id\tuser\tlabel\tcreated\trevoked\tlast_used");
            for t in db::api_tokens::list(&mut conn)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.username,
                    t.label,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.revoked_at
                        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    t.last_used_on.map(|d| d.to_string()).unwrap_or_default()
                );
            }
        }
        Action::Revoke { id } => {
            if !db::api_tokens::revoke(&mut conn, &actor("revoke"), id)? {
                bail!("no active token has the id {id}");
            }
            println!("token {id} revoked");
        }
    }
    Ok(())
}
