//! A wave's fieldwork: inviting its sample (and the e-mails that causes, in the same
//! transaction), and storing a response that arrives through an invitation.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Int8, Nullable, Text};
use serde_json::json;

use super::audit::{self, Actor};
use super::schema::{sample_units, waves};

/// What starting the fieldwork did.
#[derive(Debug, PartialEq, Eq)]
pub struct Started {
    /// Main-sample units invited.
    pub invited: i64,
    /// Invitation e-mails queued (units with an e-mail address).
    pub emails: i64,
    /// Units with a postal address (letters to print).
    pub letters: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Invites every main-sample unit, queues one invitation e-mail per unit that has an e-mail
/// address, and moves the wave to `fieldwork`; audited. In the caller's transaction (which
/// holds the wave's lock), so the e-mails exist exactly when the invitations do.
pub fn start(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    remind_days: &[i16],
) -> QueryResult<Started> {
    let invited = diesel::update(
        sample_units::table
            .filter(sample_units::wave_id.eq(wave_id))
            .filter(sample_units::reserve_rank.is_null())
            .filter(sample_units::status.eq("selected")),
    )
    .set((
        sample_units::status.eq("invited"),
        sample_units::invited_at.eq(diesel::dsl::now),
    ))
    .execute(conn)? as i64;
    let emails = queue(conn, wave_id, "invitation", "su.reserve_rank IS NULL")?;
    let letters = diesel::sql_query(
        "SELECT count(*) AS n FROM sample_units su JOIN frame_units f ON f.id = su.frame_unit_id \
         WHERE su.wave_id = $1 AND su.reserve_rank IS NULL AND f.address IS NOT NULL",
    )
    .bind::<Int4, _>(wave_id)
    .get_result::<Count>(conn)?
    .n;
    diesel::update(waves::table.find(wave_id))
        .set((
            waves::state.eq("fieldwork"),
            waves::fieldwork_started_at.eq(diesel::dsl::now),
            waves::reminder_days.eq(remind_days.iter().map(|&d| Some(d)).collect::<Vec<_>>()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "wave.fieldwork",
        &wave_id.to_string(),
        Some(json!({"state": "drawn"})),
        Some(
            json!({"state": "fieldwork", "invited": invited, "emails": emails, "letters": letters}),
        ),
    )?;
    Ok(Started {
        invited,
        emails,
        letters,
    })
}

/// Queues one message of `kind` for each unit of the wave matching `which` (SQL over `su`)
/// that has an e-mail address; how many.
fn queue(conn: &mut PgConnection, wave_id: i32, kind: &str, which: &str) -> QueryResult<i64> {
    Ok(diesel::sql_query(format!(
        "INSERT INTO outbox (kind, wave_id, sample_unit_id, message_id) \
         SELECT $2, su.wave_id, su.id, gen_random_uuid()::text \
         FROM sample_units su JOIN frame_units f ON f.id = su.frame_unit_id \
         WHERE su.wave_id = $1 AND f.email IS NOT NULL AND ({which})"
    ))
    .bind::<Int4, _>(wave_id)
    .bind::<Text, _>(kind)
    .execute(conn)? as i64)
}

/// A sampled unit as its invitation sees it.
#[derive(QueryableByName, Debug, Clone)]
pub struct InvitedUnit {
    #[diesel(sql_type = Int8)]
    pub unit_id: i64,
    #[diesel(sql_type = Int4)]
    pub wave_id: i32,
    #[diesel(sql_type = Text)]
    pub wave_name: String,
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    pub year: i16,
    #[diesel(sql_type = Text)]
    pub wave_state: String,
    #[diesel(sql_type = Text)]
    pub instrument_code: String,
    #[diesel(sql_type = Int4)]
    pub agency_id: i32,
    #[diesel(sql_type = Text)]
    pub agency_name: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    /// The response already stored for this unit, if any.
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub response_id: Option<uuid::Uuid>,
    /// Replaced by a reserve unit: its invitation no longer counts.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub replaced: bool,
}

impl InvitedUnit {
    /// Whether the invitation can be answered now.
    pub fn is_open(&self) -> bool {
        self.wave_state == "fieldwork"
            && !self.replaced
            && OPEN_STATUSES.contains(&self.status.as_str())
    }
}

const UNIT: &str = "SELECT su.id AS unit_id, w.id AS wave_id, w.name AS wave_name, w.year, \
        w.state AS wave_state, i.code AS instrument_code, su.agency_id, a.name AS agency_name, \
        su.status, r.id AS response_id, su.replaced_by IS NOT NULL AS replaced \
    FROM sample_units su \
    JOIN waves w ON w.id = su.wave_id \
    JOIN instruments i ON i.id = w.instrument_id \
    JOIN agencies a ON a.id = su.agency_id \
    LEFT JOIN responses r ON r.sample_unit_id = su.id \
    WHERE su.id = $1";

pub fn invited_unit(conn: &mut PgConnection, unit_id: i64) -> QueryResult<Option<InvitedUnit>> {
    diesel::sql_query(UNIT)
        .bind::<Int8, _>(unit_id)
        .get_result(conn)
        .optional()
}

/// A response to store for a unit.
pub struct UnitResponse<'a> {
    pub id: uuid::Uuid,
    pub unit_id: i64,
    pub instrument_id: i32,
    pub channel: &'a str,
    pub respondent_kind: &'a str,
    pub comment: Option<&'a str>,
    pub answer_values: &'a [Option<i16>],
    /// (choice question id, option value).
    pub choices: &'a [(i32, i16)],
}

/// What storing a unit's response did.
#[derive(Debug, PartialEq, Eq)]
pub enum UnitStored {
    Created,
    /// This same submission was stored before (a retry): nothing new.
    Repeated,
    /// The unit has another response already: the invitation was used.
    AlreadyAnswered,
    /// The unit cannot answer now (wave not in fieldwork, unit never invited or replaced).
    NotOpen,
    NoSuchUnit,
}

/// Units whose invitation can be answered: invited or reminded, and those marked refused or
/// undeliverable who answer after all. Not the reserve before it is used, nor replaced units.
pub const OPEN_STATUSES: [&str; 5] = [
    "invited",
    "reminded",
    "returned",
    "refused",
    "undeliverable",
];

/// Stores a unit's response, at most one per unit: the unit row is locked, the response
/// inserted and the unit marked responded in the caller's transaction.
pub fn store_unit_response(
    conn: &mut PgConnection,
    r: &UnitResponse<'_>,
) -> QueryResult<UnitStored> {
    let Some(unit) = diesel::sql_query(format!("{UNIT} FOR UPDATE OF su"))
        .bind::<Int8, _>(r.unit_id)
        .get_result::<InvitedUnit>(conn)
        .optional()?
    else {
        return Ok(UnitStored::NoSuchUnit);
    };
    match unit.response_id {
        Some(id) if id == r.id => return Ok(UnitStored::Repeated),
        Some(_) => return Ok(UnitStored::AlreadyAnswered),
        None => {}
    }
    if !unit.is_open() {
        return Ok(UnitStored::NotOpen);
    }
    let inserted = diesel::sql_query(
        "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, \
                                comment, answer_values, sample_unit_id, comment_search, \
                                comment_search_v) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind::<diesel::sql_types::Uuid, _>(r.id)
    .bind::<Int4, _>(r.instrument_id)
    .bind::<Int4, _>(unit.agency_id)
    .bind::<Text, _>(r.channel)
    .bind::<Text, _>(r.respondent_kind)
    .bind::<Nullable<Text>, _>(r.comment)
    .bind::<diesel::sql_types::Array<Nullable<diesel::sql_types::SmallInt>>, _>(r.answer_values)
    .bind::<Int8, _>(r.unit_id)
    .bind::<Nullable<Text>, _>(r.comment.map(crate::domain::search::key))
    .bind::<Nullable<diesel::sql_types::SmallInt>, _>(
        r.comment.map(|_| crate::domain::search::KEY_VERSION),
    )
    .execute(conn)?;
    if inserted == 0 {
        // The submission id belongs to another response (a desk rating, another unit): a
        // client reusing ids. Nothing is stored under it twice.
        return Ok(UnitStored::AlreadyAnswered);
    }
    if !r.choices.is_empty() {
        use super::schema::response_choices;
        let rows: Vec<_> = r
            .choices
            .iter()
            .map(|&(q, v)| {
                (
                    response_choices::response_id.eq(r.id),
                    response_choices::question_id.eq(q),
                    response_choices::value.eq(v),
                )
            })
            .collect();
        diesel::insert_into(response_choices::table)
            .values(&rows)
            .execute(conn)?;
    }
    diesel::update(sample_units::table.find(r.unit_id))
        .set((
            sample_units::status.eq("responded"),
            sample_units::responded_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(UnitStored::Created)
}

/// The wave's e-mails per status.
pub fn outbox_counts(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::outbox;
    outbox::table
        .filter(outbox::wave_id.eq(wave_id))
        .group_by(outbox::status)
        .order(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// A letter to print: who, where, and through which agency they were sampled.
#[derive(QueryableByName, Debug, Clone)]
pub struct LetterUnit {
    #[diesel(sql_type = Int8)]
    pub unit_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = Text)]
    pub agency_code: String,
    #[diesel(sql_type = Text)]
    pub agency_name: String,
}

/// The invited units (not yet answered) with a postal address, by agency then unit; with
/// `without_email`, only those the e-mail cannot reach.
pub fn letter_units(
    conn: &mut PgConnection,
    wave_id: i32,
    without_email: bool,
) -> QueryResult<Vec<LetterUnit>> {
    diesel::sql_query(
        "SELECT su.id AS unit_id, f.name, f.address, a.code AS agency_code, a.name AS agency_name \
         FROM sample_units su JOIN frame_units f ON f.id = su.frame_unit_id \
         JOIN agencies a ON a.id = su.agency_id \
         WHERE su.wave_id = $1 AND su.status IN ('invited', 'reminded') \
           AND f.address IS NOT NULL AND (NOT $2 OR f.email IS NULL) \
         ORDER BY a.code, su.id",
    )
    .bind::<Int4, _>(wave_id)
    .bind::<diesel::sql_types::Bool, _>(without_email)
    .load(conn)
}

/// The wave's sampled units and their status (for checking a returns file).
pub fn unit_statuses(
    conn: &mut PgConnection,
    wave_id: i32,
) -> QueryResult<std::collections::HashMap<i64, String>> {
    Ok(sample_units::table
        .filter(sample_units::wave_id.eq(wave_id))
        .select((sample_units::id, sample_units::status))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Records the post office's returns (in the caller's transaction), audited with the counts.
pub fn record_returns(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
    file_name: &str,
    returns: &[(i64, &str, chrono::NaiveDate)],
) -> QueryResult<()> {
    let ids: Vec<i64> = returns.iter().map(|r| r.0).collect();
    let outcomes: Vec<&str> = returns.iter().map(|r| r.1).collect();
    let days: Vec<chrono::NaiveDate> = returns.iter().map(|r| r.2).collect();
    diesel::sql_query(
        "UPDATE sample_units su SET status = r.outcome, outcome_on = r.day \
         FROM unnest($2::int8[], $3::text[], $4::date[]) AS r(id, outcome, day) \
         WHERE su.id = r.id AND su.wave_id = $1 AND su.status <> 'responded'",
    )
    .bind::<Int4, _>(wave_id)
    .bind::<diesel::sql_types::Array<Int8>, _>(&ids)
    .bind::<diesel::sql_types::Array<Text>, _>(&outcomes)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Date>, _>(&days)
    .execute(conn)?;
    let count = |o: &str| outcomes.iter().filter(|&&x| x == o).count();
    audit::record(
        conn,
        actor,
        "wave.returns",
        &wave_id.to_string(),
        None,
        Some(json!({
            "file": file_name,
            "undeliverable": count("undeliverable"),
            "refused": count("refused"),
            "returned": count("returned"),
        })),
    )
}

/// Replaces every refused or undeliverable unit not yet replaced by the next reserve unit of
/// its stratum (in the reserve's random order), invites the replacements and queues their
/// e-mails; audited. (replaced, left without a replacement because the stratum's reserve is
/// used up.)
pub fn replace_lost(
    conn: &mut PgConnection,
    actor: &Actor,
    wave_id: i32,
) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        replaced: i64,
        #[diesel(sql_type = BigInt)]
        lost: i64,
    }
    let c: Counts = diesel::sql_query(
        "WITH lost AS ( \
             SELECT id, agency_id, row_number() OVER (PARTITION BY agency_id ORDER BY id) AS k \
             FROM sample_units WHERE wave_id = $1 AND status IN ('refused', 'undeliverable') \
               AND replaced_by IS NULL), \
         spare AS ( \
             SELECT id, agency_id, row_number() OVER (PARTITION BY agency_id ORDER BY reserve_rank) AS k \
             FROM sample_units WHERE wave_id = $1 AND reserve_rank IS NOT NULL AND status = 'selected'), \
         pairs AS (SELECT lost.id AS lost_id, spare.id AS spare_id \
                   FROM lost JOIN spare USING (agency_id, k)), \
         invited AS (UPDATE sample_units s SET status = 'invited', invited_at = now() \
                     FROM pairs WHERE s.id = pairs.spare_id RETURNING s.id), \
         linked AS (UPDATE sample_units s SET replaced_by = pairs.spare_id \
                    FROM pairs WHERE s.id = pairs.lost_id RETURNING s.id) \
         SELECT (SELECT count(*) FROM invited) AS replaced, (SELECT count(*) FROM lost) AS lost",
    )
    .bind::<Int4, _>(wave_id)
    .get_result(conn)?;
    let emails = queue(
        conn,
        wave_id,
        "invitation",
        "su.reserve_rank IS NOT NULL AND su.status = 'invited' AND NOT EXISTS \
         (SELECT 1 FROM outbox o WHERE o.sample_unit_id = su.id AND o.kind = 'invitation')",
    )?;
    if c.replaced > 0 {
        audit::record(
            conn,
            actor,
            "wave.replace",
            &wave_id.to_string(),
            None,
            Some(
                json!({"replaced": c.replaced, "without_reserve": c.lost - c.replaced, "emails": emails}),
            ),
        )?;
    }
    Ok((c.replaced, c.lost - c.replaced))
}

/// Sends the reminder rounds that are due in every wave in fieldwork: a unit still waiting
/// (invited or reminded) gets round k once `reminder_days[k]` days have passed since its
/// invitation; its reminder e-mail is queued in the same statement. Safe to run on several
/// nodes at once (a unit moves from round k − 1 to k once). (units reminded, e-mails queued.)
pub fn remind_due(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = BigInt)]
        reminded: i64,
        #[diesel(sql_type = BigInt)]
        emails: i64,
    }
    let c: Counts = diesel::sql_query(
        "WITH due AS ( \
             SELECT su.id, su.reminders + 1 AS round FROM sample_units su \
             JOIN waves w ON w.id = su.wave_id \
             WHERE w.state = 'fieldwork' AND su.status IN ('invited', 'reminded') \
               AND su.reminders < cardinality(w.reminder_days) \
               AND su.invited_at <= now() - make_interval(days => w.reminder_days[su.reminders + 1])), \
         done AS ( \
             UPDATE sample_units s SET reminders = due.round, status = 'reminded', reminded_at = now() \
             FROM due WHERE s.id = due.id AND s.reminders = due.round - 1 \
               AND s.status IN ('invited', 'reminded') \
             RETURNING s.id, s.wave_id, s.frame_unit_id), \
         mail AS ( \
             INSERT INTO outbox (kind, wave_id, sample_unit_id, message_id) \
             SELECT 'reminder', done.wave_id, done.id, gen_random_uuid()::text \
             FROM done JOIN frame_units f ON f.id = done.frame_unit_id WHERE f.email IS NOT NULL \
             RETURNING 1) \
         SELECT (SELECT count(*) FROM done) AS reminded, (SELECT count(*) FROM mail) AS emails",
    )
    .get_result(conn)?;
    Ok((c.reminded, c.emails))
}

/// A stratum's dispositions, for the response rate.
#[derive(QueryableByName, Debug, Clone, Default, PartialEq, Eq)]
pub struct Dispositions {
    #[diesel(sql_type = Text)]
    pub agency: String,
    /// Units ever invited (main sample and replacements).
    #[diesel(sql_type = BigInt)]
    pub invited: i64,
    #[diesel(sql_type = BigInt)]
    pub responded: i64,
    #[diesel(sql_type = BigInt)]
    pub refused: i64,
    #[diesel(sql_type = BigInt)]
    pub undeliverable: i64,
    /// Paper questionnaires back, not keyed yet.
    #[diesel(sql_type = BigInt)]
    pub returned: i64,
    /// No answer yet (invited or reminded).
    #[diesel(sql_type = BigInt)]
    pub waiting: i64,
    #[diesel(sql_type = BigInt)]
    pub replaced: i64,
    #[diesel(sql_type = BigInt)]
    pub reserve_left: i64,
}

pub fn dispositions(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<Dispositions>> {
    diesel::sql_query(
        "SELECT a.code AS agency, \
                count(*) FILTER (WHERE su.status <> 'selected') AS invited, \
                count(*) FILTER (WHERE su.status = 'responded') AS responded, \
                count(*) FILTER (WHERE su.status = 'refused') AS refused, \
                count(*) FILTER (WHERE su.status = 'undeliverable') AS undeliverable, \
                count(*) FILTER (WHERE su.status = 'returned') AS returned, \
                count(*) FILTER (WHERE su.status IN ('invited', 'reminded')) AS waiting, \
                count(*) FILTER (WHERE su.replaced_by IS NOT NULL) AS replaced, \
                count(*) FILTER (WHERE su.status = 'selected') AS reserve_left \
         FROM sample_units su JOIN agencies a ON a.id = su.agency_id \
         WHERE su.wave_id = $1 GROUP BY a.code ORDER BY a.code",
    )
    .bind::<Int4, _>(wave_id)
    .load(conn)
}

/// Ends the fieldwork (the wave becomes `closed`), audited; in the caller's transaction.
pub fn close(conn: &mut PgConnection, actor: &Actor, wave_id: i32) -> QueryResult<()> {
    diesel::update(waves::table.find(wave_id))
        .set((
            waves::state.eq("closed"),
            waves::closed_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "wave.close",
        &wave_id.to_string(),
        Some(json!({"state": "fieldwork"})),
        Some(json!({"state": "closed"})),
    )
}

/// Deletes a closed wave's contact data: its sampled units stop naming a frame row, and the
/// frame rows (names, phones, e-mail and postal addresses, dossier codes) are deleted.
/// Audited with the counts; in the caller's transaction. (frame rows deleted.)
pub fn purge_contacts(conn: &mut PgConnection, actor: &Actor, wave_id: i32) -> QueryResult<i64> {
    use super::schema::frame_units;
    diesel::update(sample_units::table.filter(sample_units::wave_id.eq(wave_id)))
        .set(sample_units::frame_unit_id.eq(None::<i64>))
        .execute(conn)?;
    let deleted = diesel::delete(frame_units::table.filter(frame_units::wave_id.eq(wave_id)))
        .execute(conn)? as i64;
    diesel::update(waves::table.find(wave_id))
        .set(waves::contacts_purged_at.eq(diesel::dsl::now))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        "wave.purge_contacts",
        &wave_id.to_string(),
        Some(json!({"frame_units": deleted})),
        Some(json!({"frame_units": 0})),
    )?;
    Ok(deleted)
}

/// The invited units of a wave (unit id, agency id), in id order.
pub fn invited_units(conn: &mut PgConnection, wave_id: i32) -> QueryResult<Vec<(i64, i32)>> {
    sample_units::table
        .filter(sample_units::wave_id.eq(wave_id))
        .filter(sample_units::status.eq_any(["invited", "reminded"]))
        .order(sample_units::id)
        .select((sample_units::id, sample_units::agency_id))
        .load(conn)
}
