//! `sipas check`: reads the configuration and tries every service it names — the database
//! (and whether its migrations are applied), the shared rate-limit store, the SMTP server —
//! printing one line each, `ok` or what is wrong. Exit status 1 when anything is wrong, so a
//! deployment script can stop before starting a node that would not work.

use std::process::ExitCode;
use std::time::Duration;

use crate::config::{RateStore, Settings};
use crate::db;

/// One line of the report.
struct Line {
    what: &'static str,
    ok: bool,
    said: String,
}

fn line(what: &'static str, result: Result<String, String>) -> Line {
    match result {
        Ok(said) => Line {
            what,
            ok: true,
            said,
        },
        Err(said) => Line {
            what,
            ok: false,
            said,
        },
    }
}

/// The first line of an error, without the secrets of a URL.
fn one_line(e: impl std::fmt::Display) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn database(settings: &Settings) -> Result<String, String> {
    // The database named, never one created for the occasion (as `serve` would).
    let url = settings
        .database_url
        .clone()
        .unwrap_or_else(|| format!("{}/sipas", db::bootstrap::LOCAL_SERVER));
    let shown = db::bootstrap::redact(&url);
    let mut conn = db::connect_within(&url, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to {shown}: {}", one_line(e)))?;
    let pending = db::pending_migrations(&mut conn).map_err(one_line)?;
    if pending > 0 {
        return Err(format!(
            "{shown} answers, but {pending} migration(s) are not applied: run `sipas migrate` (one node) first"
        ));
    }
    Ok(format!("{shown} answers; migrations applied"))
}

fn rate_store(settings: &Settings) -> Result<String, String> {
    match &settings.rate_store {
        RateStore::Memory => Ok(
            "in this node's memory: right for one node; several nodes need SIPAS_RATE_STORE=postgres or SIPAS_REDIS_URL"
                .into(),
        ),
        RateStore::Postgres => Ok("shared in PostgreSQL (the database above)".into()),
        RateStore::Redis(url) => {
            let client = redis::Client::open(url.as_str()).map_err(one_line)?;
            let mut conn = client
                .get_connection_with_timeout(Duration::from_secs(3))
                .map_err(|e| format!("Redis does not answer: {}", one_line(e)))?;
            let pong: String = redis::cmd("PING")
                .query(&mut conn)
                .map_err(|e| format!("Redis does not answer PING: {}", one_line(e)))?;
            Ok(format!("shared in Redis ({pong})"))
        }
    }
}

fn smtp(settings: &Settings) -> Result<String, String> {
    let Some(smtp) = &settings.smtp else {
        return Ok(
            "not configured (SIPAS_SMTP_HOST unset): invitations and digests wait in the outbox"
                .into(),
        );
    };
    smtp.from
        .parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("SIPAS_MAIL_FROM is not an address: {e}"))?;
    let at = format!("{}:{}", smtp.host, smtp.port);
    crate::mail::smtp::Sender::new(smtp.clone())
        .check()
        .map(|()| {
            format!(
                "{at} accepts a connection{}",
                if smtp.username.is_some() {
                    " and the sign-in"
                } else {
                    ""
                }
            )
        })
        .map_err(|e| format!("{at}: {e}"))
}

pub fn run() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            println!("configuration: {}", one_line(e));
            return ExitCode::from(1);
        }
    };
    let lines = [
        line(
            "configuration",
            Ok(format!("read (listening on {})", settings.bind)),
        ),
        line("database", database(&settings)),
        line("rate limits", rate_store(&settings)),
        line("smtp", smtp(&settings)),
    ];
    for l in &lines {
        let mark = if l.ok { "ok" } else { "PROBLEM" };
        println!("{}: {mark}: {}", l.what, l.said);
    }
    if lines.iter().all(|l| l.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
