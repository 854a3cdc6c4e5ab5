//! Agencies form a tree (province → departments, communes, service centres …). Levels are rows.

use diesel::prelude::*;
use diesel::sql_types::Int4;

use super::schema::{agencies, agency_levels};

/// Inserts the level if missing and returns its id.
pub fn ensure_level(
    conn: &mut PgConnection,
    code: &str,
    name_vi: &str,
    name_en: &str,
    position: i16,
) -> QueryResult<i32> {
    diesel::insert_into(agency_levels::table)
        .values((
            agency_levels::code.eq(code),
            agency_levels::name_vi.eq(name_vi),
            agency_levels::name_en.eq(name_en),
            agency_levels::position.eq(position),
        ))
        .on_conflict(agency_levels::code)
        .do_nothing()
        .execute(conn)?;
    agency_levels::table
        .filter(agency_levels::code.eq(code))
        .select(agency_levels::id)
        .get_result(conn)
}

pub fn create(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    level_id: i32,
    parent_id: Option<i32>,
) -> QueryResult<i32> {
    diesel::insert_into(agencies::table)
        .values((
            agencies::code.eq(code),
            agencies::name.eq(name),
            agencies::level_id.eq(level_id),
            agencies::parent_id.eq(parent_id),
        ))
        .returning(agencies::id)
        .get_result(conn)
}

pub fn id_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<i32>> {
    agencies::table
        .filter(agencies::code.eq(code))
        .select(agencies::id)
        .first(conn)
        .optional()
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Int4)]
    id: i32,
}

/// The agency with `code` and every agency below it; empty when the code is unknown.
pub fn subtree_ids(conn: &mut PgConnection, code: &str) -> QueryResult<Vec<i32>> {
    match id_by_code(conn, code)? {
        Some(id) => subtree_ids_of(conn, id),
        None => Ok(Vec::new()),
    }
}

/// The agency `root` and every agency below it.
pub fn subtree_ids_of(conn: &mut PgConnection, root: i32) -> QueryResult<Vec<i32>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE t AS ( \
             SELECT id FROM agencies WHERE id = $1 \
             UNION \
             SELECT a.id FROM agencies a JOIN t ON a.parent_id = t.id) \
         SELECT id FROM t",
    )
    .bind::<Int4, _>(root)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
