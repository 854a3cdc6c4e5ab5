//! One-stop desks and their QR key versions.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{agencies, desks};
use super::users::Scope;

/// What a desk's form and poster show.
#[derive(Clone, Debug, Queryable, Serialize)]
pub struct DeskInfo {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub key_version: i16,
    pub active: bool,
    pub agency_id: i32,
    pub agency_code: String,
    pub agency_name: String,
}

type DeskInfoColumns = (
    desks::id,
    desks::code,
    desks::name,
    desks::key_version,
    desks::active,
    agencies::id,
    agencies::code,
    agencies::name,
);

const DESK_INFO: DeskInfoColumns = (
    desks::id,
    desks::code,
    desks::name,
    desks::key_version,
    desks::active,
    agencies::id,
    agencies::code,
    agencies::name,
);

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
    q.select(DESK_INFO).first(conn).optional()
}

/// Every active desk `scope` may see.
pub fn list_visible(conn: &mut PgConnection, scope: Scope) -> QueryResult<Vec<DeskInfo>> {
    match scope {
        Scope::All => list_active(conn, None),
        Scope::Agency(root) => {
            let ids = super::agencies::subtree_ids_of(conn, root)?;
            list_active(conn, Some(&ids))
        }
    }
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<DeskInfo>> {
    desks::table
        .inner_join(agencies::table)
        .filter(desks::id.eq(id))
        .select(DESK_INFO)
        .first(conn)
        .optional()
}

/// Active desks, optionally only those of the given agencies, ordered by agency then desk.
pub fn list_active(
    conn: &mut PgConnection,
    agency_ids: Option<&[i32]>,
) -> QueryResult<Vec<DeskInfo>> {
    let mut q = desks::table
        .inner_join(agencies::table)
        .filter(desks::active)
        .into_boxed();
    if let Some(ids) = agency_ids {
        q = q.filter(desks::agency_id.eq_any(ids.to_vec()));
    }
    q.order((agencies::code, desks::code))
        .select(DESK_INFO)
        .load(conn)
}

/// Bumps the key version: every QR code printed for this desk so far stops working.
pub fn rotate_key(conn: &mut PgConnection, id: i32) -> QueryResult<Option<i16>> {
    diesel::update(desks::table.find(id))
        .set(desks::key_version.eq(desks::key_version + 1))
        .returning(desks::key_version)
        .get_result(conn)
        .optional()
}
