//! One-stop desks and their QR key versions.

use diesel::prelude::*;

use super::agencies::Refused;
use super::audit::{self, Actor};
use super::schema::{agencies, desks};
use super::users::Scope;

/// A desk joined with its agency: what the form, the poster and the desk list are built from.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct DeskInfo {
    #[diesel(select_expression = desks::id)]
    pub id: i32,
    #[diesel(select_expression = desks::code)]
    pub code: String,
    #[diesel(select_expression = desks::name)]
    pub name: String,
    #[diesel(select_expression = desks::key_version)]
    pub key_version: i16,
    #[diesel(select_expression = desks::active)]
    pub active: bool,
    /// A disabled agency's desks take no ratings either.
    #[diesel(select_expression = agencies::active)]
    pub agency_active: bool,
    #[diesel(select_expression = agencies::id)]
    pub agency_id: i32,
    #[diesel(select_expression = agencies::code)]
    pub agency_code: String,
    #[diesel(select_expression = agencies::name)]
    pub agency_name: String,
    /// As typed (`domain::opening_hours`); none for the default.
    #[diesel(select_expression = desks::opening_hours)]
    pub opening_hours: Option<String>,
}

pub fn create(conn: &mut PgConnection, agency_id: i32, code: &str, name: &str) -> QueryResult<i32> {
    diesel::insert_into(desks::table)
        .values((
            desks::agency_id.eq(agency_id),
            desks::code.eq(code),
            desks::name.eq(name),
        ))
        .returning(desks::id)
        .get_result(conn)
}

/// The desk, if `scope` may see it: authorisation is part of the query, not of the template.
pub fn find_visible(
    conn: &mut PgConnection,
    scope: Scope,
    id: i32,
) -> QueryResult<Option<DeskInfo>> {
    let mut q = desks::table
        .inner_join(agencies::table)
        .filter(desks::id.eq(id))
        .into_boxed();
    if let Scope::Agency(root) = scope {
        q = q.filter(desks::agency_id.eq_any(super::agencies::subtree_ids_of(conn, root)?));
    }
    q.select(DeskInfo::as_select()).first(conn).optional()
}

/// Every desk `scope` may see, active or not, ordered by agency then desk.
pub fn list_visible(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<DeskInfo>> {
    let mut q = desks::table.inner_join(agencies::table).into_boxed();
    if let Scope::Agency(root) = scope {
        q = q.filter(desks::agency_id.eq_any(super::agencies::subtree_ids_of(conn, root)?));
    }
    q.order((agencies::code, desks::code))
        .select(DeskInfo::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<DeskInfo>> {
    desks::table
        .inner_join(agencies::table)
        .filter(desks::id.eq(id))
        .select(DeskInfo::as_select())
        .first(conn)
        .optional()
}

/// Desks taking ratings (the desk and its agency active), optionally only those of the given
/// agencies, ordered by agency then desk.
pub fn list_active(
    conn: &mut PgConnection,
    agency_ids: Option<&[i32]>,
) -> QueryResult<Vec<DeskInfo>> {
    let mut q = desks::table
        .inner_join(agencies::table)
        .filter(desks::active.and(agencies::active))
        .into_boxed();
    if let Some(ids) = agency_ids {
        q = q.filter(desks::agency_id.eq_any(ids.to_vec()));
    }
    q.order((agencies::code, desks::code))
        .select(DeskInfo::as_select())
        .load(conn)
}

/// Bumps the key version: every QR code printed for this desk so far stops working. Audited.
pub fn rotate_key(conn: &mut PgConnection, actor: &Actor, id: i32) -> QueryResult<Option<i16>> {
    conn.transaction(|conn| {
        let version: Option<i16> = diesel::update(desks::table.find(id))
            .set(desks::key_version.eq(desks::key_version + 1))
            .returning(desks::key_version)
            .get_result(conn)
            .optional()?;
        if let Some(v) = version {
            audit::record(
                conn,
                actor,
                "desk.rotate_key",
                &id.to_string(),
                Some(serde_json::json!({ "key_version": v - 1 })),
                Some(serde_json::json!({ "key_version": v })),
            )?;
        }
        Ok(version)
    })
}

/// What an administrator sets on a desk. A desk stays with its agency: its responses name both.
#[derive(Clone, Debug)]
pub struct DeskFields {
    pub code: String,
    pub name: String,
    /// Checked by `domain::opening_hours`; none for the default.
    pub opening_hours: Option<String>,
}

fn audit_json(d: &Option<DeskInfo>) -> Option<serde_json::Value> {
    d.as_ref().map(|d| {
        serde_json::json!({
            "id": d.id, "code": d.code, "name": d.name, "agency": d.agency_code,
            "key_version": d.key_version, "active": d.active, "opening_hours": d.opening_hours,
        })
    })
}

fn code_taken(
    conn: &mut PgConnection,
    agency_id: i32,
    code: &str,
    except: Option<i32>,
) -> QueryResult<bool> {
    let n: i64 = desks::table
        .filter(desks::agency_id.eq(agency_id))
        .filter(desks::code.eq(code))
        .filter(desks::id.ne(except.unwrap_or(-1)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Creates a desk of an agency `scope` may see; audited. Returns its id.
pub fn create_audited(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: Scope,
    agency_id: i32,
    f: &DeskFields,
) -> QueryResult<Result<i32, Refused>> {
    conn.transaction(|conn| {
        let visible = match scope {
            Scope::All => super::agencies::find_row(conn, agency_id)?.is_some(),
            Scope::Agency(root) => {
                super::agencies::subtree_ids_of(conn, root)?.contains(&agency_id)
            }
        };
        if !visible {
            return Ok(Err(Refused::Unknown { field: "agency" }));
        }
        if code_taken(conn, agency_id, &f.code, None)? {
            return Ok(Err(Refused::Taken { field: "code" }));
        }
        let id = create(conn, agency_id, &f.code, &f.name)?;
        diesel::update(desks::table.find(id))
            .set(desks::opening_hours.eq(f.opening_hours.as_deref()))
            .execute(conn)?;
        let after = audit_json(&find(conn, id)?);
        audit::record(conn, actor, "desk.create", &id.to_string(), None, after)?;
        Ok(Ok(id))
    })
}

/// Renames a desk `scope` may see; audited.
pub fn update_audited(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: Scope,
    id: i32,
    f: &DeskFields,
) -> QueryResult<Result<(), Refused>> {
    conn.transaction(|conn| {
        let before = find_visible(conn, scope, id)?;
        let Some(agency_id) = before.as_ref().map(|d| d.agency_id) else {
            return Ok(Err(Refused::NotFound));
        };
        if code_taken(conn, agency_id, &f.code, Some(id))? {
            return Ok(Err(Refused::Taken { field: "code" }));
        }
        diesel::update(desks::table.find(id))
            .set((
                desks::code.eq(&f.code),
                desks::name.eq(&f.name),
                desks::opening_hours.eq(f.opening_hours.as_deref()),
            ))
            .execute(conn)?;
        let after = audit_json(&find(conn, id)?);
        audit::record(
            conn,
            actor,
            "desk.update",
            &id.to_string(),
            audit_json(&before),
            after,
        )?;
        Ok(Ok(()))
    })
}

/// Closes a desk (its codes stop working, its history stays) or opens it again; audited.
pub fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: Scope,
    id: i32,
    active: bool,
) -> QueryResult<Result<(), Refused>> {
    conn.transaction(|conn| {
        let before = find_visible(conn, scope, id)?;
        if before.is_none() {
            return Ok(Err(Refused::NotFound));
        }
        diesel::update(desks::table.find(id))
            .set(desks::active.eq(active))
            .execute(conn)?;
        let after = audit_json(&find(conn, id)?);
        let action = if active {
            "desk.enable"
        } else {
            "desk.disable"
        };
        audit::record(
            conn,
            actor,
            action,
            &id.to_string(),
            audit_json(&before),
            after,
        )?;
        Ok(Ok(()))
    })
}

/// Each desk's opening hours as typed (none for the default).
pub fn opening_hours_of(
    conn: &mut PgConnection,
    ids: &[i32],
) -> QueryResult<Vec<(i32, Option<String>)>> {
    desks::table
        .filter(desks::id.eq_any(ids))
        .select((desks::id, desks::opening_hours))
        .load(conn)
}
