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

/// An agency as the registry page lists it.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct AgencyRow {
    #[diesel(select_expression = agencies::id)]
    pub id: i32,
    #[diesel(select_expression = agencies::code)]
    pub code: String,
    #[diesel(select_expression = agencies::name)]
    pub name: String,
    #[diesel(select_expression = agencies::level_id)]
    pub level_id: i32,
    #[diesel(select_expression = agency_levels::name_vi)]
    pub level_name: String,
    #[diesel(select_expression = agencies::parent_id)]
    pub parent_id: Option<i32>,
    #[diesel(select_expression = agencies::active)]
    pub active: bool,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = agency_levels, check_for_backend(diesel::pg::Pg))]
pub struct Level {
    pub id: i32,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

/// What an administrator sets on an agency.
#[derive(Clone, Debug)]
pub struct AgencyFields {
    pub code: String,
    pub name: String,
    pub level_id: i32,
    pub parent_id: Option<i32>,
}

/// Why a registry change was not made.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    NotFound,
    /// Another row already has this code (`field` names the form field).
    Taken {
        field: &'static str,
    },
    /// A level or parent that does not exist (`field` names the form field).
    Unknown {
        field: &'static str,
    },
    /// The parent is the agency itself or one below it.
    Cycle,
}

pub fn levels(conn: &mut PgConnection) -> QueryResult<Vec<Level>> {
    agency_levels::table
        .order((agency_levels::position, agency_levels::code))
        .select(Level::as_select())
        .load(conn)
}

/// Every agency, active or not, by code.
pub fn list_all(conn: &mut PgConnection) -> QueryResult<Vec<AgencyRow>> {
    agencies::table
        .inner_join(agency_levels::table)
        .order(agencies::code)
        .select(AgencyRow::as_select())
        .load(conn)
}

/// Every agency a reader with `scope` may see (the whole tree, or one subtree), by code.
pub fn visible(conn: &mut PgConnection, scope: super::users::Scope) -> QueryResult<Vec<AgencyRow>> {
    let all = list_all(conn)?;
    Ok(match scope {
        super::users::Scope::All => all,
        super::users::Scope::Agency(root) => {
            let ids = subtree_ids_of(conn, root)?;
            all.into_iter().filter(|a| ids.contains(&a.id)).collect()
        }
    })
}

pub fn find_row(conn: &mut PgConnection, id: i32) -> QueryResult<Option<AgencyRow>> {
    agencies::table
        .inner_join(agency_levels::table)
        .filter(agencies::id.eq(id))
        .select(AgencyRow::as_select())
        .first(conn)
        .optional()
}

fn audit_json(row: &Option<AgencyRow>) -> Option<serde_json::Value> {
    row.as_ref().and_then(|r| serde_json::to_value(r).ok())
}

/// Checks the level and parent exist, and that the parent is not `id` or below it.
fn check_links(
    conn: &mut PgConnection,
    id: Option<i32>,
    f: &AgencyFields,
) -> QueryResult<Result<(), Refused>> {
    let level: i64 = agency_levels::table
        .filter(agency_levels::id.eq(f.level_id))
        .count()
        .get_result(conn)?;
    if level == 0 {
        return Ok(Err(Refused::Unknown { field: "level" }));
    }
    if let Some(p) = f.parent_id {
        if find_row(conn, p)?.is_none() {
            return Ok(Err(Refused::Unknown { field: "parent" }));
        }
        if let Some(id) = id {
            if subtree_ids_of(conn, id)?.contains(&p) {
                return Ok(Err(Refused::Cycle));
            }
        }
    }
    let taken: i64 = agencies::table
        .filter(agencies::code.eq(&f.code))
        .filter(agencies::id.ne(id.unwrap_or(-1)))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(Err(Refused::Taken { field: "code" }));
    }
    Ok(Ok(()))
}

/// Creates an agency; audited. Returns its id.
pub fn create_audited(
    conn: &mut PgConnection,
    actor: &super::audit::Actor,
    f: &AgencyFields,
) -> QueryResult<Result<i32, Refused>> {
    conn.transaction(|conn| {
        if let Err(r) = check_links(conn, None, f)? {
            return Ok(Err(r));
        }
        let id = create(conn, &f.code, &f.name, f.level_id, f.parent_id)?;
        let after = audit_json(&find_row(conn, id)?);
        super::audit::record(conn, actor, "agency.create", &f.code, None, after)?;
        Ok(Ok(id))
    })
}

/// Changes an agency's code, name, level and parent; audited.
pub fn update_audited(
    conn: &mut PgConnection,
    actor: &super::audit::Actor,
    id: i32,
    f: &AgencyFields,
) -> QueryResult<Result<(), Refused>> {
    conn.transaction(|conn| {
        let before = find_row(conn, id)?;
        if before.is_none() {
            return Ok(Err(Refused::NotFound));
        }
        if let Err(r) = check_links(conn, Some(id), f)? {
            return Ok(Err(r));
        }
        diesel::update(agencies::table.find(id))
            .set((
                agencies::code.eq(&f.code),
                agencies::name.eq(&f.name),
                agencies::level_id.eq(f.level_id),
                agencies::parent_id.eq(f.parent_id),
            ))
            .execute(conn)?;
        let after = audit_json(&find_row(conn, id)?);
        super::audit::record(
            conn,
            actor,
            "agency.update",
            &f.code,
            audit_json(&before),
            after,
        )?;
        Ok(Ok(()))
    })
}

/// Disables (or enables again) an agency; a disabled agency's desks stop taking ratings, but
/// its history stays. Audited.
pub fn set_active(
    conn: &mut PgConnection,
    actor: &super::audit::Actor,
    id: i32,
    active: bool,
) -> QueryResult<Result<(), Refused>> {
    conn.transaction(|conn| {
        let before = find_row(conn, id)?;
        let Some(code) = before.as_ref().map(|b| b.code.clone()) else {
            return Ok(Err(Refused::NotFound));
        };
        diesel::update(agencies::table.find(id))
            .set(agencies::active.eq(active))
            .execute(conn)?;
        let after = audit_json(&find_row(conn, id)?);
        let action = if active {
            "agency.enable"
        } else {
            "agency.disable"
        };
        super::audit::record(conn, actor, action, &code, audit_json(&before), after)?;
        Ok(Ok(()))
    })
}
