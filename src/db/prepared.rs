//! Raw SQL that PostgreSQL plans once per connection.
//!
//! diesel's `sql_query` sends its text as an unnamed statement every time, so PostgreSQL
//! parses and plans it on every call; for the ingest path's statements that was a third of the
//! database's time per batch. A [`Prepared`] statement is the same text with typed binds, but
//! diesel keeps it in the connection's statement cache (keyed by the SQL text and bind types),
//! so each connection parses it once and PostgreSQL can reuse its plan. Only for SQL whose
//! text is fixed: a `&'static str` cannot carry values spliced in at run time.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A fixed SQL text and its binds, run like `diesel::sql_query` (results by name).
pub struct Prepared<'f> {
    sql: &'static str,
    binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'f>>,
}

pub fn prepared(sql: &'static str) -> Prepared<'static> {
    Prepared {
        sql,
        binds: Vec::new(),
    }
}

impl<'f> Prepared<'f> {
    /// Binds the next `$n` as SQL type `ST`.
    pub fn bind<'g, ST, V>(self, value: V) -> Prepared<'g>
    where
        'f: 'g,
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'g,
        ST: 'g,
    {
        let mut binds: Vec<Box<dyn QueryFragment<Pg> + Send + 'g>> =
            self.binds.into_iter().map(|b| b as Box<_>).collect();
        binds.push(Box::new(Bind::<ST, V> {
            value,
            sql_type: PhantomData,
        }));
        Prepared {
            sql: self.sql,
            binds,
        }
    }
}

struct Bind<ST, V> {
    value: V,
    // fn() -> ST: the marker is Send whatever ST is (it is only a type tag).
    sql_type: PhantomData<fn() -> ST>,
}

impl<ST, V> QueryFragment<Pg> for Bind<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        pass.push_bind_param(&self.value)?;
        pass.push_sql(" ");
        Ok(())
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // Unlike diesel's own raw query, this does not mark itself unsafe to cache: its text
        // is fixed, so the cached statement is always the right one. diesel's public way to
        // bind a value also writes its placeholder (`$1`, `$2` …) into the text; the text
        // already has them where they belong, so those go into a trailing comment.
        out.push_sql(self.sql);
        out.push_sql(" /* ");
        for b in &self.binds {
            b.walk_ast(out.reborrow())?;
        }
        out.push_sql("*/");
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::Int4;

    #[test]
    fn the_text_keeps_its_placeholders_and_the_binds_follow_in_a_comment() {
        let q = prepared("SELECT $1 + $2")
            .bind::<Int4, _>(1)
            .bind::<Int4, _>(2);
        let sql = diesel::debug_query::<Pg, _>(&q).to_string();
        assert!(sql.starts_with("SELECT $1 + $2 /* $1 $2 */"), "{sql}");
        assert!(q.is_safe_to_cache_prepared(&Pg).unwrap());
    }
}
