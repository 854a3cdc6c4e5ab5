//! `sipas receipts import FILE.csv --system NAME [--output OUT.csv]`: receipts for a one-stop
//! system that cannot call the API. The file has the API's fields as columns
//! (`dossier_code,agency_code,desk_id,procedure_code,returned_at`; `desk_id` and
//! `procedure_code` may be empty); every problem is reported by line and column and a file with
//! any problem issues nothing. The receipts are issued as the system account `NAME` would
//! through the API (its agencies only; idempotent per dossier) and written as CSV —
//! `dossier_code,status,receipt_token,url,qr_svg_url,qr_png_url,expires_at` — for the system
//! to print or send.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use crate::config::Settings;
use crate::db::{self, audit::Actor};
use crate::desks::receipts::{self as issuing, IssueError, Issuer};
use crate::domain::receipt::{self, RequestError};
use crate::domain::Role;
use crate::results::periods::today_in_vietnam;
use crate::startup::prepare_database;
use crate::survey::table::{self, LineError, Parsed};
use crate::views::sheet::{header, Sheet, Value as Cell};

#[derive(clap::Subcommand)]
pub enum Action {
    /// Issue a receipt for every dossier of a CSV file, or none if any line is wrong.
    Import {
        file: PathBuf,
        /// The `system` account whose agencies the receipts belong to.
        #[arg(long)]
        system: String,
        /// Where to write the receipts (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

const COLUMNS: [&str; 5] = [
    "dossier_code",
    "agency_code",
    "desk_id",
    "procedure_code",
    "returned_at",
];

/// Problems listed before "and more".
const MAX_ERRORS: usize = 50;

pub fn run(action: Action, settings: &Settings) -> Result<()> {
    let Action::Import {
        file,
        system,
        output,
    } = action;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let today = today_in_vietnam();
    let days = settings.receipt_days;
    let mut seen = std::collections::HashMap::new();
    let parsed = table::read(
        &bytes,
        &COLUMNS,
        &[],
        MAX_ERRORS,
        &mut |_| {},
        &mut |line, fields| {
            let mut object = Map::new();
            let mut errors = Vec::new();
            for (name, value) in COLUMNS.iter().zip(fields) {
                if value.is_empty() {
                    continue;
                }
                let v = if *name == "desk_id" {
                    match value.parse::<i64>() {
                        Ok(n) => Value::from(n),
                        Err(_) => {
                            errors.push(LineError {
                                line,
                                column: Some("desk_id"),
                                message: "must be a positive whole number (or empty)".into(),
                            });
                            continue;
                        }
                    }
                } else {
                    Value::String((*value).to_owned())
                };
                object.insert((*name).to_owned(), v);
            }
            let request = match receipt::read_request(object, "", today, days) {
                Ok(r) => Some(r),
                Err(RequestError::Invalid(e)) => {
                    errors.extend(e.into_iter().map(|e| LineError {
                        line,
                        column: COLUMNS.iter().copied().find(|c| *c == e.field),
                        message: e.message_en,
                    }));
                    None
                }
                Err(RequestError::Malformed) => {
                    errors.push(LineError {
                        line,
                        column: None,
                        message: "not a receipt".into(),
                    });
                    None
                }
            };
            if let Some(r) = &request {
                if let Some(first) = seen.insert(r.dossier_code.clone(), line) {
                    errors.push(LineError {
                        line,
                        column: Some("dossier_code"),
                        message: format!("the same dossier is on line {first}"),
                    });
                }
            }
            match request {
                Some(r) if errors.is_empty() => Ok((line, r)),
                _ => Err(errors),
            }
        },
    );
    let rows = match parsed {
        Parsed::Valid(rows) => rows,
        Parsed::Invalid { errors, truncated } => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            if truncated {
                eprintln!("(and more; the first {MAX_ERRORS} are listed)");
            }
            bail!("nothing was issued: mend the lines above and import the file again");
        }
    };
    if rows.is_empty() {
        bail!("the file has a header and no dossier: nothing to issue");
    }
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let Some(user) = db::users::by_username(&mut conn, &system)? else {
        bail!("--system: no account is named '{system}'");
    };
    if user.role != Role::System || !user.active {
        bail!("--system: '{system}' is not an active account of role system");
    }
    let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
    let requests: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
    let base = settings.public_base();
    let issuer = Issuer {
        key: &prepared.key,
        base: &base,
        lifetime_days: days,
        today,
        actor: &Actor::command_line("sipas receipts import"),
        scope: user.scope(),
    };
    let position = |k: usize| format!("line {}: ", lines[k]);
    let issued = match issuing::issue(&mut conn, &issuer, &requests, position) {
        Ok(issued) => issued,
        Err(IssueError::Refused(errors)) => {
            for e in &errors {
                eprintln!("{}: {}: {}", file.display(), e.field, e.message_en);
            }
            bail!("nothing was issued: mend the lines above and import the file again");
        }
        Err(IssueError::Database(e)) => return Err(e.into()),
    };
    let mut out: Box<dyn Write> = match &output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    // Through the one cell writer (invariant 26): a dossier code cannot start a formula.
    let sheet = Sheet {
        about: Vec::new(),
        name: "receipts".to_owned(),
        header: header(&[
            "dossier_code",
            "status",
            "receipt_token",
            "url",
            "qr_svg_url",
            "qr_png_url",
            "expires_at",
        ]),
        rows: issued
            .iter()
            .map(|i| {
                vec![
                    Cell::text(&i.dossier_code),
                    Cell::text(if i.created { "created" } else { "existing" }),
                    Cell::text(&i.receipt_token),
                    Cell::text(&i.url),
                    Cell::text(&i.qr_svg_url),
                    Cell::text(&i.qr_png_url),
                    Cell::text(&i.expires_at),
                ]
            })
            .collect(),
    };
    out.write_all(&sheet.csv()?)?;
    out.flush()?;
    let created = issued.iter().filter(|i| i.created).count();
    eprintln!(
        "{} receipts: {created} new, {} the dossiers had already",
        issued.len(),
        issued.len() - created
    );
    Ok(())
}
