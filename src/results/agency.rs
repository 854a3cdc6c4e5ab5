//! One agency's results for a period — what the dashboard, its downloads, the microdata page
//! and the read API show — computed once, here, so they cannot disagree.

use chrono::NaiveDate;

use super::dossiers::Dossiers;
use super::periods::{self, PeriodFilter, Report};
use super::rollup;
use super::sums::{self, PastSums, Slice};
use super::ResultsError;
use crate::db::agencies::AgencyRow;
use crate::db::desks::DeskInfo;
use crate::db::{self, users::Scope, Conn};
use crate::domain::{Channel, FormSpec};

/// Which agency a results query is about.
#[derive(Clone)]
pub enum Which {
    /// The reader's own agency (Home Affairs: the province).
    Default,
    Id(i32),
    Code(String),
}

/// One agency's results for a period, within the reader's scope: what the dashboard, its
/// export and the API show.
pub struct AgencyResults {
    pub agency: AgencyRow,
    /// Every agency the reader may choose.
    pub visible: Vec<AgencyRow>,
    /// The agency and every unit below it.
    pub subtree: Vec<i32>,
    /// The desks of the agency and the units below it.
    pub desks: Vec<DeskInfo>,
    pub desk_id: Option<i32>,
    pub filter: PeriodFilter,
    /// `None` when nothing was rated; else the report and the number of ratings.
    pub report: Report,
    /// The period of the same length just before, and the same days a year earlier.
    pub previous: Report,
    pub year_ago: Report,
    /// The twelve months up to the period's end.
    pub trend: Vec<periods::Month>,
    /// The target for the agency's overall SIPAS (its own, else its level's).
    pub target: Option<f64>,
    /// Each factor's importance in the period (its correlation with the overall question).
    pub importance: Vec<Option<super::desk::Importance>>,
    /// What was selected, days aside (the microdata of the same results reads it).
    pub slice: Slice,
    /// Decision 766's counts from receipts in the period (every channel filter aside).
    pub dossiers: Dossiers,
    /// The period's report of each channel of the stream (the kind and desk filters apply),
    /// so that the page can say how the receipt stream differs from the posters.
    pub streams: Vec<(Channel, Report)>,
    /// Ratings of the selection held for review (not decided), per reason and in all.
    pub held: Vec<db::screening::HeldCount>,
}

/// Computes an agency's results on one connection. An agency or desk outside the reader's
/// scope is `NotFound`, exactly as one that does not exist: the scope is applied in the
/// queries. `cache` holds the sums of final days; `today` (Vietnam's calendar) is read fresh.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "results", skip_all)]
pub fn agency_results(
    c: &mut Conn,
    cache: &PastSums,
    form: &FormSpec,
    scope: Scope,
    which: &Which,
    desk: Option<&str>,
    filter: PeriodFilter,
    today: NaiveDate,
) -> Result<AgencyResults, ResultsError> {
    let visible = db::agencies::visible(c, scope)?;
    let visible_desks = db::desks::list_visible(c, scope)?;
    let desk_agency = desk
        .and_then(|d| d.parse::<i32>().ok())
        .and_then(|d| visible_desks.iter().find(|x| x.id == d))
        .map(|d| d.agency_id);
    let agency = match which {
        // A desk alone (a direct link to a desk's results): the desk's own agency.
        Which::Default if desk_agency.is_some() => {
            visible.iter().find(|a| Some(a.id) == desk_agency)
        }
        Which::Default => match scope {
            Scope::Agency(root) => visible.iter().find(|a| a.id == root),
            Scope::All => visible.iter().find(|a| a.parent_id.is_none()),
        },
        Which::Id(id) => visible.iter().find(|a| a.id == *id),
        Which::Code(code) => visible.iter().find(|a| &a.code == code),
    }
    .ok_or(ResultsError::NotFound)?
    .clone();
    let agency_id = agency.id;
    let subtree = db::agencies::subtree_ids_of(c, agency_id)?;
    let ids = subtree.clone();
    let desks = visible_desks
        .into_iter()
        .filter(|d| ids.contains(&d.agency_id))
        .collect::<Vec<_>>();
    let desk_id = match desk {
        None => None,
        Some(s) => {
            let id = s.parse::<i32>().map_err(|_| ResultsError::NotFound)?;
            if !desks.iter().any(|d| d.id == id) {
                return Err(ResultsError::NotFound);
            }
            Some(id)
        }
    };
    // The period, the periods it is compared with and the trend months, summed from the
    // aggregates (final days from this process's memory, the last two days fresh).
    let (from, to) = (filter.from, filter.to);
    let mut ranges = vec![
        (from, to),
        periods::previous_period(from, to),
        periods::year_earlier(from, to),
    ];
    ranges.extend(periods::trend_ranges(to));
    let mut agency_ids = subtree.clone();
    agency_ids.sort_unstable();
    let slice = Slice {
        instrument_id: form.instrument_id,
        agency_ids,
        desk_id,
        channel: filter.channel.clone(),
        respondent_kind: filter.kind.clone(),
    };
    let per_range = sums::per_period(c, cache, &slice, &ranges, today)?;
    let target = db::targets::for_agency(c, agency_id)?;
    let report_at = |i: usize| {
        rollup::report_of(
            form,
            per_range[i]
                .iter()
                .map(|((a, d), (n, v))| (*a, *d, *n, v.as_slice())),
        )
    };
    let report = report_at(0)?;
    let previous = report_at(1)?;
    let year_ago = report_at(2)?;
    let trend = ranges[3..]
        .iter()
        .enumerate()
        .map(|(k, (first, _))| Ok(periods::Month::of(*first, report_at(3 + k)?)))
        .collect::<Result<Vec<_>, ResultsError>>()?;
    let importance = rollup::importance_of(form, per_range[0].values().map(|(_, v)| v.as_slice()))?;
    let dossiers = Dossiers::of(&db::receipts::dossier_counts(
        c,
        form,
        &slice.agency_ids,
        desk_id,
        from,
        to,
    )?);
    let held = db::screening::held_counts(c, &slice.agency_ids, desk_id, from, to)?;
    let streams = Channel::STREAM
        .iter()
        .map(|channel| {
            let by_channel = Slice {
                channel: Some(channel.as_str().to_owned()),
                ..slice.clone()
            };
            let sums = sums::per_period(c, cache, &by_channel, &[(from, to)], today)?;
            let report = rollup::report_of(
                form,
                sums[0]
                    .iter()
                    .map(|((a, d), (n, v))| (*a, *d, *n, v.as_slice())),
            )?;
            Ok((*channel, report))
        })
        .collect::<Result<Vec<_>, ResultsError>>()?;
    Ok(AgencyResults {
        agency,
        visible,
        subtree,
        desks,
        desk_id,
        filter,
        report,
        previous,
        year_ago,
        trend,
        target,
        importance,
        slice,
        dossiers,
        streams,
        held,
    })
}
