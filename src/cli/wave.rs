//! `sipas wave create|list|status` and `sipas frame import`: the annual sample survey's
//! waves and their sampling frames (issue #8).

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Settings;
use crate::db::{self, audit::Actor};
use crate::startup::prepare_database;
use crate::survey::{self, FrameImport};

#[derive(clap::Subcommand)]
pub enum WaveAction {
    /// Create a wave (state: draft) and print its id.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        year: i32,
        /// The instrument whose full form the respondents answer.
        #[arg(long, default_value = "sipas-2017")]
        instrument: String,
    },
    /// List the waves.
    List,
    /// Where a wave stands and what it needs next.
    Status {
        #[arg(long)]
        wave: i32,
    },
}

#[derive(clap::Subcommand)]
pub enum FrameAction {
    /// Import a frame file (CSV, UTF-8, with or without BOM) into a draft wave: every row or none.
    Import {
        #[arg(long)]
        wave: i32,
        file: std::path::PathBuf,
        /// List at most this many problems.
        #[arg(long, default_value_t = 100)]
        max_errors: usize,
    },
}

pub fn run_wave(action: WaveAction, settings: &Settings) -> Result<()> {
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    match action {
        WaveAction::Create {
            name,
            year,
            instrument,
        } => {
            let actor = Actor::command_line("sipas wave create");
            let id = survey::create(&mut conn, &actor, &name, year, &instrument)?;
            println!("{id}");
        }
        WaveAction::List => {
            println!("id\tyear\tstate\tname");
            for w in db::waves::list(&mut conn)? {
                println!("{}\t{}\t{}\t{}", w.id, w.year, w.state, w.name);
            }
        }
        WaveAction::Status { wave } => {
            let s = survey::status(&mut conn, wave)?;
            println!(
                "wave {}: {} ({})",
                s.wave.row.id, s.wave.row.name, s.wave.row.year
            );
            println!("state: {}", s.wave.state.as_str());
            println!("frame: {} units", s.frame_units);
            for (agency, n) in &s.frame_by_agency {
                println!("  {agency}\t{n}");
            }
            println!("next: {}", s.wave.state.next_step());
        }
    }
    Ok(())
}

pub fn run_frame(action: FrameAction, settings: &Settings) -> Result<()> {
    let FrameAction::Import {
        wave,
        file,
        max_errors,
    } = action;
    let bytes =
        std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let prepared = prepare_database(settings)?;
    let mut conn = db::connect(&prepared.database_url)?;
    let actor = Actor::command_line("sipas frame import");
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bar = ProgressBar::new(bytes.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:8} [{bar:40}] {pos}/{len} ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut stage = "";
    let outcome = survey::import_frame(
        &mut conn,
        &actor,
        wave,
        &name,
        &bytes,
        max_errors.max(1),
        &mut |now, done, total| {
            if now != stage {
                stage = now;
                bar.set_message(now);
                bar.set_length(total);
            }
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    match outcome? {
        FrameImport::Imported(n) => {
            println!("imported {n} frame units into wave {wave}");
            Ok(())
        }
        FrameImport::Refused { errors, truncated } => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            if truncated {
                eprintln!(
                    "… and more; only the first {} problems are listed",
                    errors.len()
                );
            }
            bail!(
                "nothing was imported: {} problem(s) in {}",
                if truncated {
                    format!("more than {}", errors.len())
                } else {
                    errors.len().to_string()
                },
                file.display()
            )
        }
    }
}
