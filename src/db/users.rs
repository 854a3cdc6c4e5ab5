//! Staff accounts, and the rule of who sees what, applied in the queries themselves.

use diesel::prelude::*;

use super::schema::users;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: i32,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub agency_id: Option<i32>,
    pub session_epoch: i32,
}

/// Whose data a signed-in user may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Home Affairs: every agency.
    All,
    /// Agency staff: this agency and every agency below it.
    Agency(i32),
}

impl User {
    pub fn scope(&self) -> Scope {
        match (self.role.as_str(), self.agency_id) {
            ("admin", _) => Scope::All,
            (_, Some(a)) => Scope::Agency(a),
            // The database forbids an agency user without an agency; see nothing if it happens.
            _ => Scope::Agency(-1),
        }
    }
}

/// Creates the user, or sets a new password (and role) for an existing one, ending their
/// sessions. Returns whether the user is new.
pub fn upsert(
    conn: &mut PgConnection,
    username: &str,
    password_hash: &str,
    role: &str,
    agency_id: Option<i32>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let updated = diesel::update(users::table.filter(users::username.eq(username)))
            .set((
                users::password_hash.eq(password_hash),
                users::role.eq(role),
                users::agency_id.eq(agency_id),
                users::session_epoch.eq(users::session_epoch + 1),
            ))
            .execute(conn)?;
        if updated > 0 {
            return Ok(false);
        }
        diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::password_hash.eq(password_hash),
                users::role.eq(role),
                users::agency_id.eq(agency_id),
            ))
            .execute(conn)?;
        Ok(true)
    })
}

pub fn by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut PgConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}
