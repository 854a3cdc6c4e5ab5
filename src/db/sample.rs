//! A wave's drawn sample: the frame it is drawn from, storing the draw, exporting it.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{agencies, frame_units, sample_units, wave_strata, waves};

/// One stratum's frame: (agency id, agency code, invitations planned, frame unit ids in
/// dossier-code order — bytewise, so the order is the same under any locale).
pub type StratumUnits = (i32, String, i32, Vec<i64>);

/// Every stratum's frame, by agency code.
pub fn strata_frames(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<StratumUnits>> {
    let plan: Vec<(i32, String, i32)> = wave_strata::table
        .inner_join(agencies::table)
        .filter(wave_strata::wave_id.eq(wave_id))
        .order(agencies::code)
        .select((wave_strata::agency_id, agencies::code, wave_strata::invited))
        .load(conn)?;
    let units: Vec<(i32, i64)> = frame_units::table
        .filter(frame_units::wave_id.eq(wave_id))
        .order((
            frame_units::agency_id,
            diesel::dsl::sql::<diesel::sql_types::Text>("dossier_code COLLATE \"C\""),
        ))
        .select((frame_units::agency_id, frame_units::id))
        .load(conn)?;
    let mut by_agency: std::collections::HashMap<i32, Vec<i64>> = std::collections::HashMap::new();
    for (agency, id) in units {
        by_agency.entry(agency).or_default().push(id);
    }
    Ok(plan
        .into_iter()
        .map(|(agency, code, invited)| {
            let ids = by_agency.remove(&agency).unwrap_or_default();
            (agency, code, invited, ids)
        })
        .collect())
}

/// One unit to store.
pub struct NewSampleUnit {
    pub frame_unit_id: i64,
    pub agency_id: i32,
    pub reserve_rank: Option<i32>,
    pub inclusion_probability: f64,
    pub base_weight: f64,
}

/// Stores a draw and moves the wave to `drawn`, audited, in the caller's transaction.
pub fn save_draw(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    params: serde_json::Value,
    units: &[NewSampleUnit],
) -> QueryResult<()> {
    for chunk in units.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    sample_units::wave_id.eq(wave_id),
                    sample_units::frame_unit_id.eq(u.frame_unit_id),
                    sample_units::agency_id.eq(u.agency_id),
                    sample_units::reserve_rank.eq(u.reserve_rank),
                    sample_units::inclusion_probability.eq(u.inclusion_probability),
                    sample_units::base_weight.eq(u.base_weight),
                )
            })
            .collect();
        diesel::insert_into(sample_units::table)
            .values(&rows)
            .execute(conn)?;
    }
    diesel::update(waves::table.find(wave_id))
        .set((waves::draw.eq(Some(&params)), waves::state.eq("drawn")))
        .execute(conn)?;
    let main = units.iter().filter(|u| u.reserve_rank.is_none()).count();
    audit::record(
        conn,
        actor,
        "wave.draw",
        &wave_id.to_string(),
        Some(json!({"state": "designed"})),
        Some(
            json!({"state": "drawn", "draw": params, "main": main, "reserve": units.len() - main}),
        ),
    )
}

/// A sampled unit as exported: no contact data, no dossier code.
#[derive(Queryable, Debug)]
pub struct ExportedUnit {
    pub unit_id: i64,
    pub stratum: String,
    pub population: i32,
    pub reserve_rank: Option<i32>,
    pub inclusion_probability: f64,
    pub base_weight: f64,
    pub status: String,
}

pub fn export(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<ExportedUnit>> {
    sample_units::table
        .inner_join(agencies::table)
        .inner_join(
            wave_strata::table.on(wave_strata::wave_id
                .eq(sample_units::wave_id)
                .and(wave_strata::agency_id.eq(sample_units::agency_id))),
        )
        .filter(sample_units::wave_id.eq(wave_id))
        .order((
            agencies::code,
            sample_units::reserve_rank.asc().nulls_first(),
            sample_units::id,
        ))
        .select((
            sample_units::id,
            agencies::code,
            wave_strata::population,
            sample_units::reserve_rank,
            sample_units::inclusion_probability,
            sample_units::base_weight,
            sample_units::status,
        ))
        .load(conn)
}

/// Per stratum: (agency code, units in the main sample, units in the reserve).
pub fn summary(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(String, i64, i64)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    sample_units::table
        .inner_join(agencies::table)
        .filter(sample_units::wave_id.eq(wave_id))
        .group_by(agencies::code)
        .order(agencies::code)
        .select((
            agencies::code,
            sql::<BigInt>("count(*) FILTER (WHERE sample_units.reserve_rank IS NULL)"),
            sql::<BigInt>("count(*) FILTER (WHERE sample_units.reserve_rank IS NOT NULL)"),
        ))
        .load(conn)
}
