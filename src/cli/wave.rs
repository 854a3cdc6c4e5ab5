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
    /// Size and allocate the sample over the strata (agencies) and show it per stratum;
    /// stored (the wave becomes `designed`) unless --preview.
    Design(DesignArgs),
    /// Draw the designed sample, reproducibly, with a reserve for replacements.
    Draw {
        #[arg(long)]
        wave: i32,
        /// Any whole number; stored with the wave: the same frame and seed give the same sample.
        #[arg(long)]
        seed: u64,
        #[arg(long, default_value = "srs", value_parser = ["srs", "systematic"])]
        method: String,
        /// Reserve units per invited one, in each stratum.
        #[arg(long, default_value_t = 0.2)]
        reserve: f64,
    },
    /// Start the fieldwork: invite the main sample and queue the invitation e-mails.
    Start {
        #[arg(long)]
        wave: i32,
        /// Reminder rounds, in days after the invitation.
        #[arg(long, value_delimiter = ',', default_value = "14,28")]
        remind_days: Vec<i16>,
    },
    /// The post office's returns: `sipas wave returns import --wave W FILE.csv`.
    #[command(subcommand)]
    Returns(ReturnsAction),
    /// Replace refused and undeliverable units by the next reserve units of their stratum.
    Replace {
        #[arg(long)]
        wave: i32,
    },
    /// Send the reminder rounds that are due now (the server does this on its own every minute).
    Remind,
    /// Print the invitation letters (one A4 page per person, with QR) into DIR as one HTML file.
    Letters {
        #[arg(long)]
        wave: i32,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Who signs the letters.
        #[arg(long, default_value = "Sở Nội vụ")]
        sender: String,
        /// Only the people without an e-mail address.
        #[arg(long)]
        without_email: bool,
    },
    /// End the fieldwork: invitations close, results become final.
    Close {
        #[arg(long)]
        wave: i32,
    },
    /// Publish a closed wave's results (the public pages, the read API, the hash chain).
    Publish {
        #[arg(long)]
        wave: i32,
    },
    /// Delete a closed wave's contact data and frame rows (responses keep stratum and weight).
    PurgeContacts {
        #[arg(long)]
        wave: i32,
    },
    /// The design-based indices per agency and for the province, with intervals.
    Results {
        #[arg(long)]
        wave: i32,
        #[arg(long, value_parser = ["csv", "xlsx"], default_value = "csv")]
        format: String,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// The wave's responses with stratum, population and weights (no contact data), for R.
    ExportResponses {
        #[arg(long)]
        wave: i32,
        #[arg(long, value_parser = ["csv", "xlsx"], default_value = "csv")]
        format: String,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Write the sampled units (stratum, inclusion probability, weight; no contact data).
    ExportSample {
        #[arg(long)]
        wave: i32,
        #[arg(long, value_parser = ["csv", "xlsx"], default_value = "csv")]
        format: String,
        /// The file to write (default: standard output, CSV only).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(clap::Args)]
pub struct DesignArgs {
    #[arg(long)]
    wave: i32,
    /// yamane (MoHA's guidance) or cochran (with finite population correction).
    #[arg(long, value_parser = ["yamane", "cochran"])]
    size: String,
    #[arg(long, default_value_t = 0.05)]
    margin: f64,
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    #[arg(long, default_value_t = 1.0)]
    deff: f64,
    #[arg(long, default_value_t = 0.6)]
    response_rate: f64,
    #[arg(long, value_parser = ["proportional", "neyman", "equal", "quota"])]
    allocation: String,
    /// Respondents per stratum, with --allocation quota.
    #[arg(long)]
    quota: Option<u64>,
    /// At least this many respondents per stratum (or all of a smaller one).
    #[arg(long, default_value_t = 30)]
    min: u64,
    /// Show the plan without storing it.
    #[arg(long)]
    preview: bool,
}

#[derive(clap::Subcommand)]
pub enum ReturnsAction {
    /// Record undeliverable, refused and returned letters (CSV: invitation_code,outcome,date):
    /// every row or none.
    Import {
        #[arg(long)]
        wave: i32,
        file: std::path::PathBuf,
        #[arg(long, default_value_t = 100)]
        max_errors: usize,
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
            if !s.design.is_empty() {
                println!("design (agency, N_h, n_h, invite, margin):");
                for (agency, d) in &s.design {
                    println!(
                        "  {agency}\t{}\t{}\t{}\t{}",
                        d.population,
                        d.respondents,
                        d.invited,
                        d.margin
                            .map_or("-".to_owned(), |m| format!("±{:.1}%", 100.0 * m))
                    );
                }
            }
            let fieldwork = survey::fieldwork(&mut conn, wave)?;
            if fieldwork.iter().any(|f| f.counts.invited > 0) {
                println!("fieldwork (agency, invited, responded, refused, undeliverable, returned, waiting, replaced, RR1):");
                for f in &fieldwork {
                    let c = &f.counts;
                    println!(
                        "  {}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        if c.agency.is_empty() {
                            "total"
                        } else {
                            &c.agency
                        },
                        c.invited,
                        c.responded,
                        c.refused,
                        c.undeliverable,
                        c.returned,
                        c.waiting,
                        c.replaced,
                        f.rr1
                            .map_or("-".to_owned(), |r| format!("{:.1}%", 100.0 * r))
                    );
                }
                println!("  {}", survey::RR1_FORMULA);
            }
            println!("next: {}", s.wave.state.next_step());
        }
        WaveAction::Design(args) => design(&mut conn, args)?,
        WaveAction::Draw {
            wave,
            seed,
            method,
            reserve,
        } => {
            let method = if method == "systematic" {
                survey::draw::Method::Systematic
            } else {
                survey::draw::Method::Srs
            };
            let actor = Actor::command_line("sipas wave draw");
            let summary = survey::draw_wave(&mut conn, &actor, wave, seed, method, reserve)?;
            println!("agency\tmain\treserve");
            for (agency, main, reserve) in &summary.strata {
                println!("{agency}\t{main}\t{reserve}");
            }
            println!("wave {wave} drawn with seed {seed}");
        }
        WaveAction::Start { wave, remind_days } => {
            let actor = Actor::command_line("sipas wave start");
            let started = survey::start_fieldwork(&mut conn, &actor, wave, &remind_days)?;
            println!("invited\t{}", started.invited);
            println!("emails queued\t{}", started.emails);
            println!("letters to print\t{}", started.letters);
            println!("wave {wave} is in fieldwork");
        }
        WaveAction::Returns(ReturnsAction::Import {
            wave,
            file,
            max_errors,
        }) => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let actor = Actor::command_line("sipas wave returns import");
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let outcome = survey::import_returns(
                &mut conn,
                &actor,
                &prepared.key,
                wave,
                &name,
                &bytes,
                max_errors.max(1),
                crate::results::periods::today_in_vietnam(),
            )?;
            match outcome {
                survey::ReturnsImport::Recorded(undeliverable, refused, returned) => {
                    println!("undeliverable\t{undeliverable}");
                    println!("refused\t{refused}");
                    println!("returned\t{returned}");
                    println!("recorded for wave {wave}; replace lost units with: sipas wave replace --wave {wave}");
                }
                survey::ReturnsImport::Refused { errors, truncated } => {
                    report_refused(&file, &errors, truncated)?;
                }
            }
        }
        WaveAction::Replace { wave } => {
            let actor = Actor::command_line("sipas wave replace");
            let (replaced, without) = survey::replace_lost(&mut conn, &actor, wave)?;
            println!("replaced\t{replaced}");
            println!("without a reserve\t{without}");
        }
        WaveAction::Remind => {
            let (reminded, emails) = db::fieldwork::remind_due(&mut conn)?;
            println!("reminded\t{reminded}");
            println!("emails queued\t{emails}");
        }
        WaveAction::Letters {
            wave,
            out,
            sender,
            without_email,
        } => {
            let actor = Actor::command_line("sipas wave letters");
            let base = settings.public_base();
            let views = crate::views::Views::shared()?;
            let request = survey::letters::LetterRequest {
                wave_id: wave,
                sender: &sender,
                without_email,
                base_url: &base,
                today: crate::results::periods::today_in_vietnam(),
            };
            let (html, n) =
                survey::letters::letters_html(&mut conn, views, &prepared.key, &actor, &request)?;
            std::fs::create_dir_all(&out)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
            let file = out.join(format!("letters-wave-{wave}.html"));
            std::fs::write(&file, html)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
            println!("{n} letters in {}", file.display());
        }
        WaveAction::ExportSample { wave, format, out } => {
            write_sheet(&survey::sample_sheet(&mut conn, wave)?, &format, out)?
        }
        WaveAction::Close { wave } => {
            survey::close_wave(&mut conn, &Actor::command_line("sipas wave close"), wave)?;
            println!("wave {wave} is closed");
        }
        WaveAction::Publish { wave } => {
            let actor = Actor::command_line("sipas wave publish");
            match survey::publish_wave(&mut conn, &actor, wave)? {
                Ok(id) => println!("published as publication {id} (/public/{id})"),
                Err(_) => bail!("the results of wave {wave}'s year are published already"),
            }
        }
        WaveAction::PurgeContacts { wave } => {
            let actor = Actor::command_line("sipas wave purge-contacts");
            let n = survey::purge_contacts(&mut conn, &actor, wave)?;
            println!("deleted the contact data of {n} frame units of wave {wave}");
        }
        WaveAction::Results { wave, format, out } => {
            let (form, results) = survey::wave_results(&mut conn, wave)?;
            let sheet = survey::results::results_sheet(wave, &form, &results);
            write_sheet(&sheet, &format, out)?
        }
        WaveAction::ExportResponses { wave, format, out } => {
            write_sheet(&survey::responses_sheet(&mut conn, wave)?, &format, out)?
        }
    }
    Ok(())
}

fn design(conn: &mut db::Conn, a: DesignArgs) -> Result<()> {
    use survey::design::{AllocationRule, DesignParams, SizeRule};
    let allocation = match (a.allocation.as_str(), a.quota) {
        ("quota", Some(q)) if q > 0 => AllocationRule::Quota(q),
        ("quota", _) => {
            bail!("--allocation quota needs --quota N (respondents per stratum, at least 1)")
        }
        (_, Some(_)) => bail!("--quota goes with --allocation quota"),
        ("neyman", None) => AllocationRule::Neyman,
        ("equal", None) => AllocationRule::Equal,
        _ => AllocationRule::Proportional,
    };
    let params = DesignParams {
        size: if a.size == "cochran" {
            SizeRule::Cochran
        } else {
            SizeRule::Yamane
        },
        margin: a.margin,
        level: a.level,
        deff: a.deff,
        response_rate: a.response_rate,
        allocation,
        min: a.min,
    };
    let actor = Actor::command_line("sipas wave design");
    let plan = survey::design_wave(conn, &actor, a.wave, &params, a.preview)?;
    println!("agency\tN_h\tn_h\tinvite\tmargin");
    for s in &plan.strata {
        println!(
            "{}\t{}\t{}\t{}\t{}",
            s.agency_code,
            s.population,
            s.respondents,
            s.invited,
            s.margin
                .map_or("-".to_owned(), |m| format!("±{:.1}%", 100.0 * m))
        );
    }
    println!(
        "total\t{}\t{}\t{}",
        plan.strata.iter().map(|s| s.population).sum::<u64>(),
        plan.total_respondents,
        plan.total_invited
    );
    if a.preview {
        println!("preview only: nothing stored");
    } else {
        println!("wave {} designed", a.wave);
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
        FrameImport::Refused { errors, truncated } => report_refused(&file, &errors, truncated),
    }
}

/// Prints every problem of a refused file and fails: nothing of it was imported.
fn report_refused(
    file: &std::path::Path,
    errors: &[survey::table::LineError],
    truncated: bool,
) -> Result<()> {
    for e in errors {
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

/// Writes a table as CSV (to standard output without --out) or XLSX (to --out).
fn write_sheet(
    sheet: &crate::views::sheet::Sheet,
    format: &str,
    out: Option<std::path::PathBuf>,
) -> Result<()> {
    let bytes = if format == "xlsx" {
        if out.is_none() {
            bail!("--format xlsx needs --out FILE");
        }
        sheet.xlsx()?
    } else {
        sheet.csv()?
    };
    match out {
        Some(path) => std::fs::write(&path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(&bytes)?;
            Ok(())
        }
    }
}
