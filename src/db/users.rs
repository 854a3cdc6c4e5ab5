//! Staff accounts, and the rule of who sees what, applied in the queries themselves.

use diesel::prelude::*;

use super::audit::{self, Actor};
use super::schema::{agencies, users};
use crate::domain::Role;

/// A staff account. The role is parsed when the row is read: a value the database's CHECK
/// would refuse cannot reach the rest of the program.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub agency_id: Option<i32>,
    /// A disabled account cannot sign in, and its sessions end.
    pub active: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: i32,
    username: String,
    password_hash: String,
    role: String,
    agency_id: Option<i32>,
    active: bool,
}

impl TryFrom<UserRow> for User {
    type Error = diesel::result::Error;

    fn try_from(r: UserRow) -> QueryResult<User> {
        let role = r
            .role
            .parse()
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok(User {
            id: r.id,
            username: r.username,
            password_hash: r.password_hash,
            role,
            agency_id: r.agency_id,
            active: r.active,
        })
    }
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
        match (self.role, self.agency_id) {
            (Role::Admin, _) => Scope::All,
            (Role::Manager | Role::Viewer | Role::System, Some(a)) => Scope::Agency(a),
            // The database forbids an agency user without an agency; see nothing if it happens.
            _ => Scope::Agency(-1),
        }
    }
}

/// Creates the user, or sets a new password (and role) for an existing one, ending their
/// sessions; audited in the same transaction. Returns whether the user is new.
pub fn upsert(
    conn: &mut PgConnection,
    actor: &Actor,
    username: &str,
    password_hash: &str,
    role: Role,
    agency_id: Option<i32>,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let before = audit_view(conn, username)?;
        let updated = diesel::update(users::table.filter(users::username.eq(username)))
            .set((
                users::password_hash.eq(password_hash),
                users::role.eq(role.as_str()),
                users::agency_id.eq(agency_id),
            ))
            .execute(conn)?;
        super::sessions::end_all(conn, username)?;
        if updated == 0 {
            diesel::insert_into(users::table)
                .values((
                    users::username.eq(username),
                    users::password_hash.eq(password_hash),
                    users::role.eq(role.as_str()),
                    users::agency_id.eq(agency_id),
                    // Managers and administrators receive the weekly digest (once they have an
                    // address); viewers and systems choose to.
                    users::digest.eq(match role {
                        Role::Admin | Role::Manager => "weekly",
                        Role::Viewer | Role::System => "off",
                    }),
                ))
                .execute(conn)?;
        }
        let mut after = audit_view(conn, username)?;
        if let Some(a) = after.as_mut() {
            a["password_set"] = serde_json::Value::Bool(true);
        }
        let action = if updated == 0 {
            "user.create"
        } else {
            "user.update"
        };
        audit::record(conn, actor, action, username, before, after)?;
        Ok(updated == 0)
    })
}

/// Enables or disables an account; disabling ends its sessions. Audited. `None` if no such user.
pub fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    username: &str,
    active: bool,
) -> QueryResult<Option<()>> {
    conn.transaction(|conn| {
        let Some(before) = audit_view(conn, username)? else {
            return Ok(None);
        };
        diesel::update(users::table.filter(users::username.eq(username)))
            .set(users::active.eq(active))
            .execute(conn)?;
        super::sessions::end_all(conn, username)?;
        let after = audit_view(conn, username)?;
        let action = if active {
            "user.enable"
        } else {
            "user.disable"
        };
        audit::record(conn, actor, action, username, Some(before), after)?;
        Ok(Some(()))
    })
}

/// What the audit log keeps of a user: never the password hash.
fn audit_view(conn: &mut PgConnection, username: &str) -> QueryResult<Option<serde_json::Value>> {
    let row: Option<(i32, String, Option<String>, bool)> = users::table
        .left_join(agencies::table)
        .filter(users::username.eq(username))
        .select((
            users::id,
            users::role,
            agencies::code.nullable(),
            users::active,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, role, agency, active)| {
        serde_json::json!({ "id": id, "username": username, "role": role, "agency": agency, "active": active })
    }))
}

pub fn by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn by_id(conn: &mut PgConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

/// An account as the registry page lists it (never the password hash).
#[derive(Clone, Debug)]
pub struct Account {
    pub username: String,
    pub role: Role,
    pub agency_id: Option<i32>,
    pub agency_code: Option<String>,
    pub active: bool,
}

/// Every account, by username.
pub fn list_accounts(conn: &mut PgConnection) -> QueryResult<Vec<Account>> {
    type Row = (String, String, Option<i32>, Option<String>, bool);
    let rows: Vec<Row> = users::table
        .left_join(agencies::table)
        .order(users::username)
        .select((
            users::username,
            users::role,
            users::agency_id,
            agencies::code.nullable(),
            users::active,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(username, role, agency_id, agency_code, active)| {
            let role = role
                .parse()
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            Ok(Account {
                username,
                role,
                agency_id,
                agency_code,
                active,
            })
        })
        .collect()
}

/// Changes an existing account's role and agency, and its password when `new_hash` is given
/// (ending its sessions); audited. `None` if no such user.
pub fn update_audited(
    conn: &mut PgConnection,
    actor: &Actor,
    username: &str,
    role: Role,
    agency_id: Option<i32>,
    new_hash: Option<&str>,
) -> QueryResult<Option<()>> {
    conn.transaction(|conn| {
        let Some(before) = audit_view(conn, username)? else {
            return Ok(None);
        };
        let target = users::table.filter(users::username.eq(username));
        diesel::update(target)
            .set((
                users::role.eq(role.as_str()),
                users::agency_id.eq(agency_id),
            ))
            .execute(conn)?;
        super::sessions::end_all(conn, username)?;
        if let Some(hash) = new_hash {
            diesel::update(target)
                .set(users::password_hash.eq(hash))
                .execute(conn)?;
        }
        let mut after = audit_view(conn, username)?;
        if let (Some(a), true) = (after.as_mut(), new_hash.is_some()) {
            a["password_set"] = serde_json::Value::Bool(true);
        }
        audit::record(conn, actor, "user.update", username, Some(before), after)?;
        Ok(Some(()))
    })
}
