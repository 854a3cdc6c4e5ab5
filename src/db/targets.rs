//! Satisfaction targets: per agency level, or per agency (which wins). Set and removed with an
//! audit entry in the same transaction.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{agencies, agency_levels, targets};

/// What a target is set for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Level(i32),
    Agency(i32),
}

#[derive(Clone, Debug)]
pub struct Target {
    pub subject: Subject,
    /// The level's or agency's code and name, for pages.
    pub code: String,
    pub name: String,
    pub value: f64,
}

/// Every target: levels first, then agencies, by code.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Target>> {
    let levels: Vec<(i32, String, String, f64)> = targets::table
        .inner_join(agency_levels::table.on(targets::level_id.eq(agency_levels::id.nullable())))
        .order(agency_levels::position)
        .select((
            agency_levels::id,
            agency_levels::code,
            agency_levels::name_vi,
            targets::value,
        ))
        .load(conn)?;
    let agencies: Vec<(i32, String, String, f64)> = targets::table
        .inner_join(agencies::table.on(targets::agency_id.eq(agencies::id.nullable())))
        .order(agencies::code)
        .select((agencies::id, agencies::code, agencies::name, targets::value))
        .load(conn)?;
    Ok(levels
        .into_iter()
        .map(|(id, code, name, value)| Target {
            subject: Subject::Level(id),
            code,
            name,
            value,
        })
        .chain(agencies.into_iter().map(|(id, code, name, value)| Target {
            subject: Subject::Agency(id),
            code,
            name,
            value,
        }))
        .collect())
}

/// The target that applies to an agency: its own, else its level's.
pub fn for_agency(conn: &mut PgConnection, agency_id: i32) -> QueryResult<Option<f64>> {
    let own: Option<f64> = targets::table
        .filter(targets::agency_id.eq(agency_id))
        .select(targets::value)
        .first(conn)
        .optional()?;
    if own.is_some() {
        return Ok(own);
    }
    targets::table
        .inner_join(agencies::table.on(targets::level_id.eq(agencies::level_id.nullable())))
        .filter(agencies::id.eq(agency_id))
        .select(targets::value)
        .first(conn)
        .optional()
}

fn current(conn: &mut PgConnection, subject: Subject) -> QueryResult<Option<f64>> {
    let q = targets::table.select(targets::value).into_boxed();
    let q = match subject {
        Subject::Level(id) => q.filter(targets::level_id.eq(id)),
        Subject::Agency(id) => q.filter(targets::agency_id.eq(id)),
    };
    q.first(conn).optional()
}

fn entity(subject: Subject) -> String {
    match subject {
        Subject::Level(id) => format!("level:{id}"),
        Subject::Agency(id) => format!("agency:{id}"),
    }
}

/// Sets (`Some`) or removes (`None`) a target. The caller has checked that the level or agency
/// exists (a foreign key refuses it otherwise).
pub fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    subject: Subject,
    value: Option<f64>,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        let before = current(conn, subject)?;
        if before == value {
            return Ok(());
        }
        let (level_id, agency_id) = match subject {
            Subject::Level(id) => (Some(id), None),
            Subject::Agency(id) => (None, Some(id)),
        };
        match subject {
            Subject::Level(id) => {
                diesel::delete(targets::table.filter(targets::level_id.eq(id))).execute(conn)?
            }
            Subject::Agency(id) => {
                diesel::delete(targets::table.filter(targets::agency_id.eq(id))).execute(conn)?
            }
        };
        if let Some(v) = value {
            diesel::insert_into(targets::table)
                .values((
                    targets::level_id.eq(level_id),
                    targets::agency_id.eq(agency_id),
                    targets::value.eq(v),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            "target.set",
            &entity(subject),
            before.map(|v| json!({ "target": v })),
            value.map(|v| json!({ "target": v })),
        )
    })
}
