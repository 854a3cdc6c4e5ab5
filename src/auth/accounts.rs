//! Staff accounts from the command line: checked input, argon2id hashes.

use anyhow::{anyhow, bail, Result};
use rand::RngCore;

use super::password;
use crate::db::{self, audit::Actor, Conn};
use crate::domain::{registry, Role};

/// Creates or updates a user; returns whether it is new. Errors name the offending argument.
pub fn set_user(
    conn: &mut Conn,
    actor: &Actor,
    username: &str,
    new_password: &str,
    role: Role,
    agency: Option<&str>,
) -> Result<bool> {
    let username = registry::username("username", username).map_err(|e| anyhow!(e.message_en))?;
    registry::password("password", new_password).map_err(|e| anyhow!(e.message_en))?;
    let agency_id = match (role, agency) {
        (Role::Admin, None) => None,
        (Role::Admin, Some(_)) => bail!("--agency is only for --role manager, viewer or system"),
        (_, Some(code)) => match db::agencies::id_by_code(conn, code)? {
            Some(id) => Some(id),
            None => bail!("no agency has the code '{code}'"),
        },
        (role, None) => bail!("--role {role} needs --agency CODE"),
    };
    let hash = password::hash_password(new_password)?;
    Ok(db::users::upsert(
        conn, actor, &username, &hash, role, agency_id,
    )?)
}

/// A long random password nobody is told: for accounts that never sign in (`Role::System`).
pub fn unusable_password() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates the demo's `admin` user with a random password, once. Returns the password when created.
pub fn ensure_demo_admin(conn: &mut Conn) -> Result<Option<String>> {
    if db::users::by_username(conn, "admin")?.is_some() {
        return Ok(None);
    }
    let mut bytes = [0u8; 9];
    rand::thread_rng().fill_bytes(&mut bytes);
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let actor = Actor::command_line("sipas demo");
    set_user(conn, &actor, "admin", &password, Role::Admin, None)?;
    Ok(Some(password))
}
