//! The desk stream's daily aggregates (`db::rollup`): what a batch of stored ratings adds,
//! how they are rebuilt from raw rows, and how a set of cells becomes a report. Every path
//! goes through `analysis::IndexAccumulator`, so a report from cells is the report of the
//! rows they count (tested against `desk::report` on raw rows).

use analysis::{IndexAccumulator, IndexReport};

use super::desk::{self, answers_in_form_order, respondent};
use crate::db::responses::PendingDesk;
use crate::db::rollup::{Cell, CellDelta};
use crate::db::{self, Conn};
use crate::domain::FormSpec;

/// The cells a batch of newly stored ratings adds, one per desk, channel and kind.
pub fn deltas(form: &FormSpec, stored: &[&PendingDesk]) -> analysis::Result<Vec<CellDelta>> {
    deltas_of(
        form,
        stored.iter().map(|p| {
            (
                (
                    p.desk_id,
                    p.channel.as_str(),
                    p.submission.respondent_kind.as_str(),
                ),
                answers_in_form_order(form, p.submission.answers.iter().copied()),
            )
        }),
    )
}

/// The cells of stored ratings as `responses` holds them (desk, channel, kind, answer array):
/// what taking them out of the aggregates subtracts. Ratings of a channel or kind the service
/// does not know are skipped (none is stored: the database checks both).
pub fn stored_deltas(form: &FormSpec, rows: &[StoredRating]) -> analysis::Result<Vec<CellDelta>> {
    deltas_of(
        form,
        rows.iter().filter_map(|(desk, channel, kind, stored)| {
            let channel = crate::domain::Channel::parse(channel)?;
            let kind = crate::domain::RespondentKind::parse(kind)?;
            Some((
                (*desk, channel.as_str(), kind.as_str()),
                form.answers_from_stored(stored),
            ))
        }),
    )
}

/// A stored rating as the cells see it: desk, channel, respondent kind, `answer_values`.
pub type StoredRating = (i32, String, String, Vec<Option<i16>>);

type Key = (i32, &'static str, &'static str);

fn deltas_of(
    form: &FormSpec,
    ratings: impl Iterator<Item = (Key, Vec<Option<u8>>)>,
) -> analysis::Result<Vec<CellDelta>> {
    let mut cells: Vec<(Key, IndexAccumulator, i64, Vec<f64>)> = Vec::new();
    for (key, answers) in ratings {
        let at = match cells.iter().position(|(k, ..)| *k == key) {
            Some(at) => at,
            None => {
                cells.push((
                    key,
                    IndexAccumulator::new(desk::spec(form), false)?,
                    0,
                    vec![0.0; desk::pairs_len(form)],
                ));
                cells.len() - 1
            }
        };
        cells[at].1.add(&respondent(&answers))?;
        cells[at].2 += 1;
        desk::add_pairs(form, &answers, &mut cells[at].3);
    }
    cells
        .into_iter()
        .map(
            |((desk_id, channel, respondent_kind), acc, responses, pairs)| {
                Ok(CellDelta {
                    desk_id,
                    channel,
                    respondent_kind,
                    responses,
                    stats: cell_stats(&acc, &pairs)?,
                })
            },
        )
        .collect()
}

/// What a cell stores: the accumulator's statistics, then the importance sums
/// (`desk::add_pairs`).
fn cell_stats(acc: &IndexAccumulator, pairs: &[f64]) -> analysis::Result<Vec<f64>> {
    let mut stats = acc.stats()?;
    stats.extend_from_slice(pairs);
    Ok(stats)
}

/// The length of a cell's statistics for this form.
pub fn cell_len(form: &FormSpec) -> usize {
    IndexAccumulator::stats_len(&desk::spec(form)) + desk::pairs_len(form)
}

/// Each factor's importance over a set of cells (see `desk::importance`).
pub fn importance_of<'a>(
    form: &FormSpec,
    cells: impl IntoIterator<Item = &'a [f64]>,
) -> analysis::Result<Vec<Option<desk::Importance>>> {
    let from = IndexAccumulator::stats_len(&desk::spec(form));
    let mut sums = vec![0.0; desk::pairs_len(form)];
    for stats in cells {
        if stats.len() != cell_len(form) {
            return Err(analysis::AnalysisError::ShapeMismatch);
        }
        for (t, x) in sums.iter_mut().zip(&stats[from..]) {
            *t += x;
        }
    }
    Ok(desk::importance(form, &sums))
}

/// The report of a set of cells, read back by `analysis` under the stream's design (desks as
/// clusters within agency strata, `desk::options`). `None` when the cells hold no rating.
pub fn report(form: &FormSpec, cells: &[Cell]) -> analysis::Result<Option<(IndexReport, u64)>> {
    report_of(
        form,
        cells
            .iter()
            .map(|c| (c.agency_id, c.desk_id, c.responses, c.stats.as_slice())),
    )
}

/// One cell (or a sum of cells of one desk) as a report reads it:
/// (agency, desk, ratings, statistics).
pub type ClusterCell<'a> = (i32, i32, i64, &'a [f64]);

/// As `report`, from cells such as `db::rollup::selected` or `sums::per_period` give: each
/// agency a stratum, each desk a cluster.
pub fn report_of<'a>(
    form: &FormSpec,
    cells: impl IntoIterator<Item = ClusterCell<'a>>,
) -> analysis::Result<Option<(IndexReport, u64)>> {
    let spec = desk::spec(form);
    let len = IndexAccumulator::stats_len(&spec);
    let mut acc = IndexAccumulator::new(spec, true)?;
    let mut responses = 0u64;
    for (agency, desk, n, stats) in cells {
        if stats.len() != cell_len(form) {
            return Err(analysis::AnalysisError::ShapeMismatch);
        }
        // The importance sums after the accumulator's statistics are not part of the report.
        acc.add_cell(desk::stratum(agency), desk::cluster(desk), &stats[..len])?;
        responses += n.max(0) as u64;
    }
    if responses == 0 {
        return Ok(None);
    }
    Ok(Some((acc.report(None, &desk::options())?, responses)))
}

/// The day whose month is the first not to compact: two days back, so that a clock on this
/// machine ahead of the database's cannot close a month the database still writes to.
pub fn compaction_day() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7) - chrono::Duration::days(2)).date_naive()
}

/// Compacts the closed months of the desk form's instrument (see
/// `db::rollup::compact_closed_months`).
pub fn compact(conn: &mut Conn, form: &FormSpec) -> anyhow::Result<usize> {
    Ok(db::rollup::compact_closed_months(
        conn,
        form.instrument_id,
        compaction_day(),
    )?)
}

/// Cells built in memory from ratings given one by one (a rebuild or a bulk load): one
/// accumulator per cell, exactly as the writer builds a batch's cells.
pub struct CellBuilder<'f> {
    form: &'f FormSpec,
    cells: std::collections::HashMap<CellKey, Building>,
}

type CellKey = (i32, chrono::NaiveDate, i32, String, String);

struct Building {
    acc: IndexAccumulator,
    pairs: Vec<f64>,
    responses: i64,
}

impl<'f> CellBuilder<'f> {
    pub fn new(form: &'f FormSpec) -> CellBuilder<'f> {
        CellBuilder {
            form,
            cells: std::collections::HashMap::new(),
        }
    }

    /// Adds one rating (answers in the form's order) to its cell.
    pub fn add(
        &mut self,
        agency_id: i32,
        day: chrono::NaiveDate,
        desk_id: i32,
        channel: &str,
        respondent_kind: &str,
        answers: &[Option<u8>],
    ) -> analysis::Result<()> {
        let key = (
            agency_id,
            day,
            desk_id,
            channel.to_owned(),
            respondent_kind.to_owned(),
        );
        let cell = match self.cells.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Building {
                acc: IndexAccumulator::new(desk::spec(self.form), false)?,
                pairs: vec![0.0; desk::pairs_len(self.form)],
                responses: 0,
            }),
        };
        cell.acc.add(&respondent(answers))?;
        desk::add_pairs(self.form, answers, &mut cell.pairs);
        cell.responses += 1;
        Ok(())
    }

    /// The cells, by agency (then in no particular order).
    pub fn finish(self) -> analysis::Result<Vec<Cell>> {
        let mut out = Vec::with_capacity(self.cells.len());
        for ((agency_id, day, desk_id, channel, respondent_kind), b) in self.cells {
            out.push(Cell {
                agency_id,
                day,
                desk_id,
                channel,
                respondent_kind,
                responses: b.responses,
                stats: cell_stats(&b.acc, &b.pairs)?,
            });
        }
        out.sort_by_key(|c| c.agency_id);
        Ok(out)
    }
}

/// Replaces the cells of `agencies` with `cells` (sorted by agency, as `CellBuilder::finish`
/// gives them) in one transaction, marks the aggregates fresh and sums the closed months
/// again. Returns the cells written.
pub fn install(
    conn: &mut Conn,
    form: &FormSpec,
    agencies: &[i32],
    cells: &[Cell],
) -> anyhow::Result<usize> {
    db::transaction(conn, |conn| {
        for &agency_id in agencies {
            let from = cells.partition_point(|c| c.agency_id < agency_id);
            let to = cells.partition_point(|c| c.agency_id <= agency_id);
            db::rollup::replace_agency(conn, agency_id, form.instrument_id, &cells[from..to])?;
        }
        db::rollup::mark_fresh(conn)?;
        db::rollup::forget_months(conn, form.instrument_id)?;
        db::rollup::compact_closed_months(conn, form.instrument_id, compaction_day())?;
        Ok::<_, anyhow::Error>(cells.len())
    })
}

/// Recomputes every agency's cells of the desk form's instrument from the raw rows, in one
/// transaction (readers see the old cells or the new ones, never a mix), and the closed
/// months from them. Returns (cells, ratings).
pub fn rebuild(conn: &mut Conn, form: &FormSpec) -> anyhow::Result<(usize, u64)> {
    let agencies: Vec<i32> = db::agencies::list_all(conn)?
        .into_iter()
        .map(|a| a.id)
        .collect();
    db::transaction(conn, |conn| {
        let (mut cells_written, mut ratings) = (0, 0);
        // One agency at a time, so that memory holds one agency's raw answers.
        for &agency_id in &agencies {
            let rows = db::rollup::raw_ratings(conn, agency_id, form.instrument_id)?;
            let mut builder = CellBuilder::new(form);
            for (day, desk_id, channel, kind, stored) in &rows {
                let answers = form.answers_from_stored(stored);
                builder.add(agency_id, *day, *desk_id, channel, kind, &answers)?;
                ratings += 1;
            }
            let cells = builder.finish()?;
            db::rollup::replace_agency(conn, agency_id, form.instrument_id, &cells)?;
            cells_written += cells.len();
        }
        db::rollup::mark_fresh(conn)?;
        // The months are summed again from the new daily cells.
        db::rollup::forget_months(conn, form.instrument_id)?;
        db::rollup::compact_closed_months(conn, form.instrument_id, compaction_day())?;
        Ok((cells_written, ratings))
    })
}
