//! Paper questionnaires as keyed: each keying with who made it (see migration `…_paper_entry`).

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{paper_entries, users, waves};

/// One keying of a questionnaire.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub entry_no: i16,
    pub keyed_by: i32,
    pub keyer: String,
    pub respondent_kind: String,
    pub comment: Option<String>,
    pub answer_values: Vec<Option<i16>>,
    /// Choices as question id × 100 + option value, sorted.
    pub choices: Vec<i32>,
}

/// The keyings of a unit, in order.
pub fn entries(conn: &mut PgConnection, unit_id: i64) -> QueryResult<Vec<Entry>> {
    Ok(paper_entries::table
        .inner_join(users::table)
        .filter(paper_entries::sample_unit_id.eq(unit_id))
        .order(paper_entries::entry_no)
        .select((
            paper_entries::entry_no,
            paper_entries::keyed_by,
            users::username,
            paper_entries::respondent_kind,
            paper_entries::comment,
            paper_entries::answer_values,
            paper_entries::choices,
        ))
        .load::<(
            i16,
            i32,
            String,
            String,
            Option<String>,
            Vec<Option<i16>>,
            Vec<i32>,
        )>(conn)?
        .into_iter()
        .map(
            |(entry_no, keyed_by, keyer, respondent_kind, comment, answer_values, choices)| Entry {
                entry_no,
                keyed_by,
                keyer,
                respondent_kind,
                comment,
                answer_values,
                choices,
            },
        )
        .collect())
}

/// Records a keying (in the caller's transaction, which holds the unit's lock), audited.
pub fn add(conn: &mut PgConnection, actor: &Actor, unit_id: i64, entry: &Entry) -> QueryResult<()> {
    diesel::insert_into(paper_entries::table)
        .values((
            paper_entries::sample_unit_id.eq(unit_id),
            paper_entries::entry_no.eq(entry.entry_no),
            paper_entries::keyed_by.eq(entry.keyed_by),
            paper_entries::respondent_kind.eq(&entry.respondent_kind),
            paper_entries::comment.eq(&entry.comment),
            paper_entries::answer_values.eq(&entry.answer_values),
            paper_entries::choices.eq(&entry.choices),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "paper.key",
        &unit_id.to_string(),
        None,
        Some(json!({"entry": entry.entry_no})),
    )
}

/// Whether a wave asks for double entry.
pub fn double_entry(conn: &mut PgConnection, wave_id: i32) -> QueryResult<bool> {
    waves::table
        .find(wave_id)
        .select(waves::double_entry)
        .first(conn)
}

/// Sets whether a wave asks for double entry, audited.
pub fn set_double_entry(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    on: bool,
) -> QueryResult<()> {
    let before = double_entry(conn, wave_id)?;
    diesel::update(waves::table.find(wave_id))
        .set(waves::double_entry.eq(on))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "wave.double_entry",
        &wave_id.to_string(),
        Some(json!({"double_entry": before})),
        Some(json!({"double_entry": on})),
    )
}

/// Units of the wave keyed twice whose keyings disagree and that have no response yet.
pub fn pending(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<i64>> {
    use diesel::sql_types::{BigInt, Int4};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    Ok(diesel::sql_query(
        "SELECT su.id FROM sample_units su \
         WHERE su.wave_id = $1 \
           AND (SELECT count(*) FROM paper_entries p WHERE p.sample_unit_id = su.id) = 2 \
           AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.sample_unit_id = su.id) \
         ORDER BY su.id",
    )
    .bind::<Int4, _>(wave_id)
    .load::<Row>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect())
}
