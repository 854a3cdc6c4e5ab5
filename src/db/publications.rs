//! Published, frozen results: the exact bytes of each snapshot and their SHA-256, chained.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use super::audit::{self, Actor};
use super::schema::{instruments, publications};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Publication {
    #[diesel(select_expression = publications::id)]
    pub id: i32,
    #[diesel(select_expression = publications::period_from)]
    pub period_from: NaiveDate,
    #[diesel(select_expression = publications::period_to)]
    pub period_to: NaiveDate,
    #[diesel(select_expression = publications::channel)]
    pub channel: String,
    #[diesel(select_expression = instruments::code)]
    pub instrument: String,
    #[diesel(select_expression = publications::published_at)]
    pub published_at: DateTime<Utc>,
    #[diesel(select_expression = publications::body)]
    pub body: String,
    #[diesel(select_expression = publications::sha256)]
    pub sha256: String,
    #[diesel(select_expression = publications::previous_sha256)]
    pub previous_sha256: Option<String>,
}

/// A publication to store; `body` is hashed by the caller and stored byte for byte.
pub struct NewPublication<'a> {
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub channel: &'a str,
    pub instrument_id: i32,
    pub published_by: Option<i32>,
    pub body: &'a str,
    pub sha256: &'a str,
    pub previous_sha256: Option<&'a str>,
}

/// Why a publication was not stored.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// This period and channel were published before.
    AlreadyPublished,
    /// Another publication was made meanwhile: the chain moved on; compute again.
    ChainMoved,
    /// A published period of the channel that this one may not stand beside (its id, from, to).
    Overlaps(i32, NaiveDate, NaiveDate),
}

/// The newest publication's hash: the next one chains to it.
pub fn chain_head(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    publications::table
        .order(publications::id.desc())
        .select(publications::sha256)
        .first(conn)
        .optional()
}

pub fn exists(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    channel: &str,
) -> QueryResult<bool> {
    let n: i64 = publications::table
        .filter(publications::period_from.eq(from))
        .filter(publications::period_to.eq(to))
        .filter(publications::channel.eq(channel))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The first published period of the channel that `from`–`to` may not stand beside
/// (`domain::period_kind`): its id and days.
pub fn clashing(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    channel: &str,
) -> QueryResult<Option<(i32, NaiveDate, NaiveDate)>> {
    let periods: Vec<(i32, NaiveDate, NaiveDate)> = publications::table
        .filter(publications::channel.eq(channel))
        .order(publications::id)
        .select((
            publications::id,
            publications::period_from,
            publications::period_to,
        ))
        .load(conn)?;
    Ok(periods
        .into_iter()
        .find(|(_, f, t)| !crate::domain::period_kind::may_stand_beside((from, to), (*f, *t))))
}

/// Stores a publication if it still chains to the newest one and no published period of its
/// channel forbids it; audited. Returns its id.
pub fn insert_audited(
    conn: &mut PgConnection,
    actor: &Actor,
    p: &NewPublication,
) -> QueryResult<Result<i32, Refused>> {
    conn.transaction(|conn| {
        // One publisher at a time, so two cannot both chain to the same predecessor.
        diesel::sql_query("LOCK TABLE publications IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        if chain_head(conn)?.as_deref() != p.previous_sha256 {
            return Ok(Err(Refused::ChainMoved));
        }
        if exists(conn, p.period_from, p.period_to, p.channel)? {
            return Ok(Err(Refused::AlreadyPublished));
        }
        if let Some((id, from, to)) = clashing(conn, p.period_from, p.period_to, p.channel)? {
            return Ok(Err(Refused::Overlaps(id, from, to)));
        }
        let id: i32 = diesel::insert_into(publications::table)
            .values((
                publications::period_from.eq(p.period_from),
                publications::period_to.eq(p.period_to),
                publications::channel.eq(p.channel),
                publications::instrument_id.eq(p.instrument_id),
                publications::published_by.eq(p.published_by),
                publications::body.eq(p.body),
                publications::sha256.eq(p.sha256),
                publications::previous_sha256.eq(p.previous_sha256),
            ))
            .returning(publications::id)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "publication.create",
            &id.to_string(),
            None,
            Some(serde_json::json!({
                "period_from": p.period_from, "period_to": p.period_to, "channel": p.channel,
                "sha256": p.sha256, "previous_sha256": p.previous_sha256,
            })),
        )?;
        Ok(Ok(id))
    })
}

/// Every publication, oldest first (the order of the chain).
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Publication>> {
    publications::table
        .inner_join(instruments::table)
        .order(publications::id)
        .select(Publication::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i32) -> QueryResult<Option<Publication>> {
    publications::table
        .inner_join(instruments::table)
        .filter(publications::id.eq(id))
        .select(Publication::as_select())
        .first(conn)
        .optional()
}
