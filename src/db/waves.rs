//! Waves of the annual sample survey: creation, state, and what a status report needs.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{frame_units, instruments, wave_strata, waves};

#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = waves)]
pub struct WaveRow {
    pub id: i32,
    pub name: String,
    pub year: i16,
    pub instrument_id: i32,
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub contacts_purged_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What creating a wave did.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Wave(i32),
    NoSuchInstrument,
    /// A wave of that year already has that name.
    NameTaken,
}

/// Creates a wave in state `draft` (audited).
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    name: &str,
    year: i16,
    instrument_code: &str,
) -> QueryResult<Created> {
    conn.transaction(|conn| {
        let Some(instrument_id) = instruments::table
            .filter(instruments::code.eq(instrument_code))
            .select(instruments::id)
            .first::<i32>(conn)
            .optional()?
        else {
            return Ok(Created::NoSuchInstrument);
        };
        let inserted: Option<i32> = diesel::insert_into(waves::table)
            .values((
                waves::name.eq(name),
                waves::year.eq(year),
                waves::instrument_id.eq(instrument_id),
            ))
            .on_conflict((waves::year, waves::name))
            .do_nothing()
            .returning(waves::id)
            .get_result(conn)
            .optional()?;
        let Some(id) = inserted else {
            return Ok(Created::NameTaken);
        };
        audit::record(
            conn,
            actor,
            "wave.create",
            &id.to_string(),
            None,
            Some(json!({"name": name, "year": year, "instrument": instrument_code, "state": "draft"})),
        )?;
        Ok(Created::Wave(id))
    })
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<WaveRow>> {
    waves::table
        .find(id)
        .select(WaveRow::as_select())
        .first(conn)
        .optional()
}

/// The wave, locked until the end of the caller's transaction: a step that checks the state
/// and then changes the wave cannot race another step.
pub fn lock(conn: &mut PgConnection, id: i32) -> QueryResult<Option<WaveRow>> {
    waves::table
        .find(id)
        .select(WaveRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<WaveRow>> {
    waves::table
        .order((waves::year.desc(), waves::id.desc()))
        .select(WaveRow::as_select())
        .load(conn)
}

/// Frame units per agency code: (agency code, units), by code.
pub fn frame_by_agency(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::agencies;
    frame_units::table
        .inner_join(agencies::table)
        .filter(frame_units::wave_id.eq(wave_id))
        .group_by(agencies::code)
        .select((agencies::code, diesel::dsl::count_star()))
        .order(agencies::code)
        .load(conn)
}

/// Frame units per agency: (agency id, agency code, units), by code.
pub fn strata_sizes(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(i32, String, i64)>> {
    use super::schema::agencies;
    frame_units::table
        .inner_join(agencies::table)
        .filter(frame_units::wave_id.eq(wave_id))
        .group_by((agencies::id, agencies::code))
        .select((agencies::id, agencies::code, diesel::dsl::count_star()))
        .order(agencies::code)
        .load(conn)
}

/// Per agency: (ratings whose overall question was 4 or 5, ratings that answered it) in the
/// desk stream during `year`: the expected share a Neyman allocation starts from.
pub fn desk_overall_share(
    conn: &mut PgConnection,
    year: i32,
) -> QueryResult<std::collections::HashMap<i32, (i64, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        agency_id: i32,
        #[diesel(sql_type = diesel::sql_types::Int8)]
        satisfied: i64,
        #[diesel(sql_type = diesel::sql_types::Int8)]
        answered: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT r.agency_id, count(*) FILTER (WHERE a.value >= 4) AS satisfied, count(a.value) AS answered \
         FROM responses r JOIN answers a ON a.response_id = r.id \
         JOIN items i ON i.id = a.item_id AND i.kind = 'overall' \
         WHERE r.channel = 'desk_qr' \
           AND r.submitted_at >= make_timestamptz($1, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh') \
           AND r.submitted_at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, 'Asia/Ho_Chi_Minh') \
         GROUP BY r.agency_id",
    )
    .bind::<diesel::sql_types::Int4, _>(year)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.agency_id, (r.satisfied, r.answered)))
        .collect())
}

/// One stratum's stored plan.
#[derive(Clone, Debug, PartialEq)]
pub struct StratumRow {
    pub agency_id: i32,
    pub population: i32,
    pub respondents: i32,
    pub invited: i32,
    pub margin: Option<f64>,
}

/// Stores a wave's design (replacing an earlier one) and moves it to `designed`, audited, in
/// the caller's transaction.
pub fn save_design(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    params: serde_json::Value,
    strata: &[StratumRow],
    previous_state: &str,
) -> QueryResult<()> {
    diesel::delete(wave_strata::table.filter(wave_strata::wave_id.eq(wave_id))).execute(conn)?;
    let rows: Vec<_> = strata
        .iter()
        .map(|s| {
            (
                wave_strata::wave_id.eq(wave_id),
                wave_strata::agency_id.eq(s.agency_id),
                wave_strata::population.eq(s.population),
                wave_strata::respondents.eq(s.respondents),
                wave_strata::invited.eq(s.invited),
                wave_strata::margin.eq(s.margin),
            )
        })
        .collect();
    diesel::insert_into(wave_strata::table)
        .values(&rows)
        .execute(conn)?;
    diesel::update(waves::table.find(wave_id))
        .set((waves::design.eq(Some(&params)), waves::state.eq("designed")))
        .execute(conn)?;
    let respondents: i64 = strata.iter().map(|s| i64::from(s.respondents)).sum();
    let invited: i64 = strata.iter().map(|s| i64::from(s.invited)).sum();
    audit::record(
        conn,
        actor,
        "wave.design",
        &wave_id.to_string(),
        Some(json!({"state": previous_state})),
        Some(
            json!({"state": "designed", "design": params, "strata": strata.len(),
                    "respondents": respondents, "invited": invited}),
        ),
    )
}

/// The stored plan of a wave, by agency code: (code, row).
pub fn design_strata(
    conn: &mut PgConnection,
    wave_id: i32,
) -> QueryResult<Vec<(String, StratumRow)>> {
    use super::schema::agencies;
    let rows: Vec<(String, i32, i32, i32, i32, Option<f64>)> = wave_strata::table
        .inner_join(agencies::table)
        .filter(wave_strata::wave_id.eq(wave_id))
        .order(agencies::code)
        .select((
            agencies::code,
            wave_strata::agency_id,
            wave_strata::population,
            wave_strata::respondents,
            wave_strata::invited,
            wave_strata::margin,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(code, agency_id, population, respondents, invited, margin)| {
                (
                    code,
                    StratumRow {
                        agency_id,
                        population,
                        respondents,
                        invited,
                        margin,
                    },
                )
            },
        )
        .collect())
}

/// Frame units per wave.
pub fn frame_counts(conn: &mut PgConnection) -> QueryResult<std::collections::HashMap<i32, i64>> {
    Ok(frame_units::table
        .group_by(frame_units::wave_id)
        .select((frame_units::wave_id, diesel::dsl::count_star()))
        .load::<(i32, i64)>(conn)?
        .into_iter()
        .collect())
}

/// The stored design and draw parameters (the draw's seed as text), once made.
pub type StepParams = (Option<serde_json::Value>, Option<serde_json::Value>);

pub fn step_params(conn: &mut PgConnection, wave_id: i32) -> QueryResult<StepParams> {
    Ok(waves::table
        .find(wave_id)
        .select((waves::design, waves::draw))
        .first::<StepParams>(conn)
        .optional()?
        .unwrap_or((None, None)))
}
