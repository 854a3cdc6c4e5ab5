//! The PAR-points rule of each year, set by Home Affairs (audited).

use diesel::prelude::*;
use serde_json::{json, Value};

use super::audit::{self, Actor};
use super::schema::par_rules;
use crate::domain::par::{Bracket, Rule};

fn to_row(rule: &Rule) -> (f64, &'static str, Value) {
    match rule {
        Rule::Linear { max_points } => (*max_points, "linear", json!([])),
        Rule::Brackets {
            max_points,
            brackets,
        } => (
            *max_points,
            "brackets",
            serde_json::to_value(brackets).unwrap_or_else(|_| json!([])),
        ),
    }
}

fn from_row(max_points: f64, rule: &str, brackets: Value) -> Rule {
    match rule {
        "brackets" => Rule::Brackets {
            max_points,
            brackets: serde_json::from_value::<Vec<Bracket>>(brackets).unwrap_or_default(),
        },
        _ => Rule::Linear { max_points },
    }
}

pub fn for_year(conn: &mut PgConnection, year: i32) -> QueryResult<Option<Rule>> {
    let row: Option<(f64, String, Value)> = par_rules::table
        .find(year)
        .select((par_rules::max_points, par_rules::rule, par_rules::brackets))
        .first(conn)
        .optional()?;
    Ok(row.map(|(m, r, b)| from_row(m, &r, b)))
}

pub fn set(conn: &mut PgConnection, actor: &Actor, year: i32, rule: &Rule) -> QueryResult<()> {
    conn.transaction(|conn| {
        let before = for_year(conn, year)?.map(|r| {
            let (m, k, b) = to_row(&r);
            json!({ "max_points": m, "rule": k, "brackets": b })
        });
        let (max_points, kind, brackets) = to_row(rule);
        diesel::insert_into(par_rules::table)
            .values((
                par_rules::year.eq(year),
                par_rules::max_points.eq(max_points),
                par_rules::rule.eq(kind),
                par_rules::brackets.eq(&brackets),
            ))
            .on_conflict(par_rules::year)
            .do_update()
            .set((
                par_rules::max_points.eq(max_points),
                par_rules::rule.eq(kind),
                par_rules::brackets.eq(&brackets),
                par_rules::set_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "par_rule.set",
            &year.to_string(),
            before,
            Some(json!({ "max_points": max_points, "rule": kind, "brackets": brackets })),
        )
    })
}
