//! Bulk writes for the demo province. Batches go through `unnest` so that each batch of
//! thousands of responses is two statements.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int2, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use super::schema::{desks, responses};
use super::{agencies as agency_q, desks as desk_q};

pub struct Structure {
    /// The province and every agency below it.
    pub agency_ids: Vec<i32>,
    /// (desk id, agency id) of every demo desk.
    pub desks: Vec<(i32, i32)>,
}

pub struct DemoResponse {
    pub id: Uuid,
    pub agency_id: i32,
    pub desk_id: i32,
    pub submitted_at: DateTime<Utc>,
    pub organisation: bool,
    pub comment: Option<String>,
    pub answers: Vec<(i32, Option<i16>)>,
}

/// Creates the demo province with its departments, communes, service centre and desks, once.
pub fn ensure_structure(
    conn: &mut PgConnection,
    province: &str,
    departments: &[&str],
    communes: &[&str],
) -> QueryResult<Structure> {
    conn.transaction(|conn| {
        if agency_q::id_by_code(conn, province)?.is_none() {
            let l_province =
                agency_q::ensure_level(conn, "province", "Tỉnh, thành phố", "Province", 1)?;
            let l_dept =
                agency_q::ensure_level(conn, "department", "Sở, ban, ngành", "Department", 2)?;
            let l_centre = agency_q::ensure_level(
                conn,
                "service-centre",
                "Trung tâm Phục vụ hành chính công",
                "Public administration service centre",
                2,
            )?;
            let l_commune =
                agency_q::ensure_level(conn, "commune", "Xã, phường, đặc khu", "Commune", 2)?;
            let root = agency_q::create(conn, province, "Tỉnh Demo", l_province, None)?;
            let centre = agency_q::create(
                conn,
                &format!("{province}.TTPVHCC"),
                "Trung tâm Phục vụ hành chính công tỉnh",
                l_centre,
                Some(root),
            )?;
            for i in 1..=20 {
                desk_q::create(conn, centre, &format!("Q{i:02}"), &format!("Quầy số {i}"))?;
            }
            for (i, name) in departments.iter().enumerate() {
                let id = agency_q::create(
                    conn,
                    &format!("{province}.S{:02}", i + 1),
                    name,
                    l_dept,
                    Some(root),
                )?;
                for d in 1..=2 {
                    desk_q::create(
                        conn,
                        id,
                        &format!("Q{d}"),
                        &format!("Bộ phận Một cửa – quầy {d}"),
                    )?;
                }
            }
            for (i, name) in communes.iter().enumerate() {
                let id = agency_q::create(
                    conn,
                    &format!("{province}.X{:02}", i + 1),
                    &format!("UBND {name}"),
                    l_commune,
                    Some(root),
                )?;
                for d in 1..=2 {
                    desk_q::create(
                        conn,
                        id,
                        &format!("Q{d}"),
                        &format!("Bộ phận Một cửa – quầy {d}"),
                    )?;
                }
            }
        }
        let agency_ids = agency_q::subtree_ids(conn, province)?;
        let desks: Vec<(i32, i32)> = desks::table
            .filter(desks::agency_id.eq_any(&agency_ids))
            .filter(desks::active)
            .order(desks::id)
            .select((desks::id, desks::agency_id))
            .load(conn)?;
        Ok(Structure { agency_ids, desks })
    })
}

pub fn count_responses(conn: &mut PgConnection, agency_ids: &[i32]) -> QueryResult<i64> {
    responses::table
        .filter(responses::agency_id.eq_any(agency_ids))
        .count()
        .get_result(conn)
}

pub fn delete_responses(conn: &mut PgConnection, agency_ids: &[i32]) -> QueryResult<usize> {
    diesel::delete(responses::table.filter(responses::agency_id.eq_any(agency_ids))).execute(conn)
}

/// Inserts one batch, responses and answers, in one transaction.
pub fn insert_responses(
    conn: &mut PgConnection,
    instrument_id: i32,
    batch: &[DemoResponse],
) -> QueryResult<()> {
    let ids: Vec<Uuid> = batch.iter().map(|r| r.id).collect();
    let agency: Vec<i32> = batch.iter().map(|r| r.agency_id).collect();
    let desk: Vec<i32> = batch.iter().map(|r| r.desk_id).collect();
    let at: Vec<DateTime<Utc>> = batch.iter().map(|r| r.submitted_at).collect();
    let org: Vec<bool> = batch.iter().map(|r| r.organisation).collect();
    let comment: Vec<Option<String>> = batch.iter().map(|r| r.comment.clone()).collect();
    let mut a_resp = Vec::new();
    let mut a_item = Vec::new();
    let mut a_value = Vec::new();
    for r in batch {
        for &(item, value) in &r.answers {
            a_resp.push(r.id);
            a_item.push(item);
            a_value.push(value);
        }
    }
    conn.transaction(|conn| {
        diesel::sql_query(
            "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, submitted_at, respondent_kind, comment) \
             SELECT id, $1, agency_id, desk_id, 'desk_qr', submitted_at, \
                    CASE WHEN org THEN 'organisation' ELSE 'individual' END, comment \
             FROM unnest($2::uuid[], $3::int4[], $4::int4[], $5::timestamptz[], $6::bool[], $7::text[]) \
                  AS x(id, agency_id, desk_id, submitted_at, org, comment)",
        )
        .bind::<Int4, _>(instrument_id)
        .bind::<Array<SqlUuid>, _>(&ids)
        .bind::<Array<Int4>, _>(&agency)
        .bind::<Array<Int4>, _>(&desk)
        .bind::<Array<Timestamptz>, _>(&at)
        .bind::<Array<Bool>, _>(&org)
        .bind::<Array<Nullable<Text>>, _>(&comment)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO answers (response_id, instrument_id, item_id, value) \
             SELECT response_id, $1, item_id, value \
             FROM unnest($2::uuid[], $3::int4[], $4::int2[]) AS x(response_id, item_id, value)",
        )
        .bind::<Int4, _>(instrument_id)
        .bind::<Array<SqlUuid>, _>(&a_resp)
        .bind::<Array<Int4>, _>(&a_item)
        .bind::<Array<Nullable<Int2>>, _>(&a_value)
        .execute(conn)?;
        Ok(())
    })
}
