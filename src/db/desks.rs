//! One-stop desks and their QR key versions.

use diesel::prelude::*;

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
    #[diesel(select_expression = agencies::id)]
    pub agency_id: i32,
    #[diesel(select_expression = agencies::code)]
    pub agency_code: String,
    #[diesel(select_expression = agencies::name)]
    pub agency_name: String,
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
        .select(DeskInfo::as_select())
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
