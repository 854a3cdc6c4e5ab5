//! `sipas worker`: the outbox worker on its own (a second machine, or when `sipas serve` runs
//! without SMTP settings). `--until-idle` sends what is due and exits.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::config::Settings;
use crate::db;
use crate::mail::worker::Worker;
use crate::startup::prepare_database;

#[derive(clap::Args)]
pub struct Args {
    /// Send what is due now, print what happened, and exit.
    #[arg(long)]
    until_idle: bool,
}

pub fn run(args: Args, settings: &Settings) -> Result<()> {
    let smtp = settings.smtp.clone().context(
        "set SIPAS_SMTP_HOST and SIPAS_MAIL_FROM (see README, E-mail) to send the outbox",
    )?;
    let prepared = prepare_database(settings)?;
    let pool = db::pool(
        &prepared.database_url,
        2,
        std::time::Duration::from_secs(60),
    )?;
    let mut worker = Worker::new(
        pool,
        prepared.key,
        settings.public_base(),
        smtp,
        settings.mail_timing,
    )?;
    if args.until_idle {
        let pass = worker.pass()?;
        println!(
            "sent {}, to retry {}, failed {}, uncertain {}",
            pass.sent, pass.retried, pass.failed, pass.uncertain
        );
        return Ok(());
    }
    println!("outbox worker running");
    crate::mail::worker::supervise(worker, &AtomicBool::new(false), Duration::from_millis(500));
    Ok(())
}
