//! What a wave's design-based results need: its strata (with N_h) and its respondents (stratum,
//! base weight, channel, answers). No contact data and no frame row.

use diesel::prelude::*;
use diesel::sql_types::{Array, Double, Int4, Nullable, SmallInt, Text};

/// A stratum of the wave's design.
#[derive(QueryableByName, Debug, Clone)]
pub struct WaveStratum {
    #[diesel(sql_type = Int4)]
    pub agency_id: i32,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    /// N_h: frame units.
    #[diesel(sql_type = Int4)]
    pub population: i32,
}

pub fn strata(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<WaveStratum>> {
    diesel::sql_query(
        "SELECT s.agency_id, a.code, a.name, s.population FROM wave_strata s \
         JOIN agencies a ON a.id = s.agency_id WHERE s.wave_id = $1 ORDER BY a.code",
    )
    .bind::<Int4, _>(wave_id)
    .load(conn)
}

/// One respondent of the wave.
#[derive(QueryableByName, Debug, Clone)]
pub struct WaveRespondent {
    #[diesel(sql_type = Int4)]
    pub agency_id: i32,
    #[diesel(sql_type = Double)]
    pub base_weight: f64,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub respondent_kind: String,
    #[diesel(sql_type = Array<Nullable<SmallInt>>)]
    pub answer_values: Vec<Option<i16>>,
    /// Choices as question id × 100 + option value.
    #[diesel(sql_type = Array<Int4>)]
    pub choices: Vec<i32>,
}

/// Every response of the wave's sampled units, by stratum code then unit (a stable order, so
/// an export is the same file every time).
pub fn respondents(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<WaveRespondent>> {
    diesel::sql_query(
        "SELECT su.agency_id, su.base_weight, r.channel, r.respondent_kind, r.answer_values, \
                ARRAY(SELECT c.question_id * 100 + c.value FROM response_choices c \
                      WHERE c.response_id = r.id ORDER BY 1) AS choices \
         FROM sample_units su JOIN responses r ON r.sample_unit_id = su.id \
         JOIN agencies a ON a.id = su.agency_id \
         WHERE su.wave_id = $1 ORDER BY a.code, su.id",
    )
    .bind::<Int4, _>(wave_id)
    .load(conn)
}

/// Each agency's frame size N_h in the latest wave of `year` or before that has a design (the
/// small-area model's size covariate); empty when no wave has one.
pub fn latest_stratum_sizes(
    conn: &mut PgConnection,
    year: i16,
) -> QueryResult<std::collections::HashMap<i32, i64>> {
    use super::schema::{wave_strata, waves};
    use diesel::dsl::exists;
    let wave: Option<i32> = waves::table
        .filter(waves::year.le(year))
        .filter(exists(
            wave_strata::table.filter(wave_strata::wave_id.eq(waves::id)),
        ))
        .order((waves::year.desc(), waves::id.desc()))
        .select(waves::id)
        .first(conn)
        .optional()?;
    let Some(wave) = wave else {
        return Ok(Default::default());
    };
    Ok(wave_strata::table
        .filter(wave_strata::wave_id.eq(wave))
        .select((wave_strata::agency_id, wave_strata::population))
        .load::<(i32, i32)>(conn)?
        .into_iter()
        .map(|(a, n)| (a, i64::from(n)))
        .collect())
}
