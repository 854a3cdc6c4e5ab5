//! A ranking as a query asks for it — its source, level, measure, period and seed — and the
//! desk stream's table; the annual survey's is `survey::ranking::annual_table`. The page, its
//! CSV, the read API and the PAR points all take their table from here.

use chrono::{Datelike, Months, NaiveDate};

use super::periods::PeriodFilter;
use super::ranking::{self, Measure, Ranking};
use super::sums::{self, PastSums, Slice};
use super::ResultsError;
use crate::db::{self, users::Scope, Conn};
use crate::domain::FormSpec;

/// Where a ranking's numbers come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The desk QR stream's daily aggregates for the period and channel.
    Desk,
    /// The design-based results of the annual survey of the period's year (its agencies are
    /// its strata; the level, channel and kind do not apply).
    Annual,
}

impl Source {
    pub fn parse(raw: Option<&str>) -> Result<Source, ResultsError> {
        match raw {
            None | Some("desk") => Ok(Source::Desk),
            Some("annual") => Ok(Source::Annual),
            Some(_) => Err(invalid(
                "source",
                "Trường source: “desk” (luồng QR) hoặc “annual” (khảo sát hằng năm).".into(),
                "source must be desk or annual".into(),
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Source::Desk => "desk",
            Source::Annual => "annual",
        }
    }
}

/// A ranking with what it was asked for, as the page and the CSV show it.
pub struct Table {
    pub source: Source,
    /// The annual survey's wave ranked, with `Source::Annual`.
    pub wave: Option<(i32, String)>,
    pub level_code: String,
    pub measure: String,
    pub filter: PeriodFilter,
    pub ranking: Ranking,
}

pub fn measure_of(form: &FormSpec, raw: Option<&str>) -> Result<(Measure, String), ResultsError> {
    match raw {
        None | Some("overall") => Ok((Measure::Overall, "overall".into())),
        Some(code) => form
            .questions
            .iter()
            .position(|q| q.code == code)
            .map(|i| (Measure::Question(i), code.to_owned()))
            .ok_or_else(|| {
                invalid(
                    "measure",
                    format!("Trường measure: không có chỉ số “{code}”."),
                    format!("measure: no index is named '{code}' (overall or a question code)"),
                )
            }),
    }
}

/// The seed of the rank simulation: as given, or derived from what the table shows.
pub fn seed_of(raw: Option<&str>, derived: impl FnOnce() -> u64) -> Result<u64, ResultsError> {
    match raw {
        None => Ok(derived()),
        Some(s) => s.parse::<u64>().map_err(|_| {
            invalid(
                "seed",
                "Trường seed: phải là một số nguyên không âm.".into(),
                "seed must be a non-negative integer".into(),
            )
        }),
    }
}

/// The desk stream's ranking a query asks for, within the reader's scope, on one connection.
/// Shared by the page, the CSV, the read API and the PAR points, so that they cannot disagree.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "ranking", skip_all, fields(level = ?level))]
pub fn desk_table(
    c: &mut Conn,
    cache: &PastSums,
    form: &FormSpec,
    scope: Scope,
    level: Option<&str>,
    measure: Option<&str>,
    seed: Option<&str>,
    filter: PeriodFilter,
    today: NaiveDate,
) -> Result<Table, ResultsError> {
    let (measure, measure_code) = measure_of(form, measure)?;
    let levels = db::agencies::levels(c)?;
    let level = match level {
        // Default: the first level below the province (departments in the demo).
        None => levels.get(1).or(levels.first()),
        Some(code) => Some(levels.iter().find(|l| l.code == code).ok_or_else(|| {
            invalid(
                "level",
                format!("Trường level: không có cấp “{code}”."),
                format!("level: no agency level has the code '{code}'"),
            )
        })?),
    }
    .ok_or(ResultsError::NotFound)?
    .clone();
    let seed = seed_of(seed, || {
        ranking::default_seed(&[
            &level.code,
            &measure_code,
            &filter.from.to_string(),
            &filter.to.to_string(),
            filter.channel.as_deref().unwrap_or(""),
            filter.kind.as_deref().unwrap_or(""),
        ])
    })?;
    let agencies = db::agencies::visible(c, scope)?;
    let mut agency_ids: Vec<i32> = agencies.iter().map(|a| a.id).collect();
    agency_ids.sort_unstable();
    let slice = Slice {
        instrument_id: form.instrument_id,
        agency_ids,
        desk_id: None,
        channel: filter.channel.clone(),
        respondent_kind: filter.kind.clone(),
    };
    // The small-area model's covariates: the same dates a year earlier (29 February becomes
    // the 28th) and the frame sizes of the latest designed wave.
    let year_before = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
    let periods = [
        (filter.from, filter.to),
        (year_before(filter.from), year_before(filter.to)),
    ];
    let mut per_period = sums::per_period(c, cache, &slice, &periods, today)?.into_iter();
    let per_agency = per_period.next().unwrap_or_default();
    let year = i16::try_from(filter.to.year()).unwrap_or(i16::MAX);
    let prior = ranking::Prior {
        frame_sizes: db::wave_results::latest_stratum_sizes(c, year)?,
        last_year: per_period.next().unwrap_or_default(),
    };
    let ranking = ranking::rank(
        form,
        &agencies,
        (level.id, measure),
        &per_agency,
        &prior,
        seed,
    )
    .map_err(ResultsError::Other)?;
    Ok(Table {
        source: Source::Desk,
        wave: None,
        level_code: level.code,
        measure: measure_code,
        filter,
        ranking,
    })
}

/// A refused parameter of a results query, named, in Vietnamese and English.
pub fn invalid(field: &str, vi: String, en: String) -> ResultsError {
    ResultsError::Invalid(vec![crate::domain::FieldError::new(field, vi, en)])
}
