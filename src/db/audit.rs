//! The append-only audit log of administrative changes: who, what, when, before and after (as
//! JSON). Every change is recorded by the same transaction that makes it, so the log cannot
//! miss a change or record one that did not happen; the database refuses UPDATE and DELETE.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::schema::audit_log;

/// Who made a change.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The signed-in user; `None` for the command line.
    pub user_id: Option<i32>,
    /// The username, or the command for the command line (kept even if the user is renamed).
    pub name: String,
}

impl Actor {
    pub fn user(id: i32, username: &str) -> Actor {
        Actor {
            user_id: Some(id),
            name: username.to_owned(),
        }
    }

    /// A command run on the server, e.g. `sipas user`.
    pub fn command_line(command: &str) -> Actor {
        Actor {
            user_id: None,
            name: format!("{command} (CLI)"),
        }
    }
}

/// Appends one entry. Call it inside the transaction that makes the change.
pub fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    entity_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.user_id),
            audit_log::actor.eq(&actor.name),
            audit_log::action.eq(action),
            audit_log::entity_id.eq(entity_id),
            audit_log::before.eq(before),
            audit_log::after.eq(after),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// What the audit page filters by; every part optional.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub actor: Option<String>,
    /// `agency`, `desk`, `user`, … or a whole action such as `desk.rotate_key`; none lists
    /// every change but sign-ins (`session`, `login`), which are asked for by name.
    pub action: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<NaiveDate>,
    /// Inclusive.
    pub to: Option<NaiveDate>,
}

/// The actions of signing in and out (and of a sign-in held back): listed apart, since they
/// outnumber every change.
const SIGN_INS: [&str; 2] = ["session.%", "login.%"];

/// The newest entries first, at most `limit`.
pub fn list(conn: &mut PgConnection, f: &Filter, limit: i64) -> QueryResult<Vec<Entry>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(actor) = &f.actor {
        q = q.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(action) = &f.action {
        q = if action.contains('.') {
            q.filter(audit_log::action.eq(action.clone()))
        } else {
            q.filter(audit_log::action.like(format!("{}.%", escape_like(action))))
        };
    } else {
        for pattern in SIGN_INS {
            q = q.filter(audit_log::action.not_like(pattern));
        }
    }
    if let Some(id) = &f.entity_id {
        q = q.filter(audit_log::entity_id.eq(id.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_log::at.ge(vietnam_midnight(from)));
    }
    if let Some(to) = f.to.and_then(|d| d.succ_opt()) {
        q = q.filter(audit_log::at.lt(vietnam_midnight(to)));
    }
    q.order(audit_log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)
}

/// The start of a calendar day in Vietnam (UTC+7 all year), as an instant.
pub fn vietnam_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc() - chrono::Duration::hours(7)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
