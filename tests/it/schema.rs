//! The database itself guards the numbers: constraints, frozen instruments, reversible migrations.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::helpers::{answer_array_sql, fixture, store_rating_on, TestDb};

/// The constraint a refused statement broke, by name: so a test cannot pass on another error.
fn broken_constraint(r: QueryResult<usize>) -> String {
    match r {
        Err(diesel::result::Error::DatabaseError(_, info)) => info
            .constraint_name()
            .unwrap_or_else(|| panic!("no constraint named in: {}", info.message()))
            .to_owned(),
        other => panic!("expected a constraint violation, got {other:?}"),
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[test]
fn migrations_run_revert_and_run_again() {
    let db = TestDb::new();
    let mut conn = db.conn();
    sipas::db::revert_all(&mut conn).unwrap();
    assert_eq!(db.count("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'responses'"), 0);
    assert!(sipas::db::migrate(&mut conn).unwrap() >= 1);
    assert_eq!(sipas::db::instruments::seed_bundled(&mut conn).unwrap(), 1);
    assert_eq!(
        sipas::db::instruments::seed_bundled(&mut conn).unwrap(),
        0,
        "seeding is idempotent"
    );
}

/// Every answer as text, in a fixed order: (response, item code, value or "-" for no opinion).
fn all_answers(conn: &mut PgConnection) -> String {
    diesel::sql_query(
        "SELECT coalesce(string_agg(a.response_id || ':' || i.code || ':' || coalesce(a.value::text, '-'), ',' \
                ORDER BY a.response_id, i.position), '') AS name \
         FROM answers a JOIN items i ON i.id = a.item_id",
    )
    .get_result::<Name>(conn)
    .unwrap()
    .name
}

#[test]
fn moving_answers_into_the_rating_row_and_back_keeps_every_answer() {
    use diesel_migrations::MigrationHarness;
    let db = TestDb::new();
    let f = fixture(&db);
    store_rating_on(
        &db,
        f.desk_id,
        "2026-03-01",
        &[("F1", Some(5)), ("F2", None)],
    );
    store_rating_on(
        &db,
        f.desk_id,
        "2026-03-02",
        &[("F3", Some(1)), ("OVERALL", Some(4))],
    );
    store_rating_on(&db, f.desk_id, "2026-03-03", &[("F1.2", Some(2))]);
    let mut conn = db.conn();
    let before = all_answers(&mut conn);
    assert_eq!(before.split(',').count(), 5, "{before}");
    // Down to before the migration that moved the answers (and any later one): `answers` is a
    // table of one row per answer again, holding the same answers.
    loop {
        let reverted = conn
            .revert_last_migration(sipas::db::MIGRATIONS)
            .unwrap()
            .to_string();
        if reverted == "20261128000011" {
            break;
        }
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'answers'"),
        1
    );
    assert_eq!(all_answers(&mut conn), before);
    // Up again: back into the arrays, unchanged.
    sipas::db::migrate(&mut conn).unwrap();
    assert_eq!(
        db.count("SELECT count(*) AS n FROM pg_views WHERE viewname = 'answers'"),
        1
    );
    assert_eq!(all_answers(&mut conn), before);
}

#[test]
fn every_foreign_key_has_an_index() {
    let db = TestDb::new();
    // A foreign key is covered when some index leads with its first column: that is what lets
    // PostgreSQL find the referencing rows by index when a referenced row is deleted or
    // updated.
    let missing: Vec<Name> = diesel::sql_query(
        "SELECT c.conname::text AS name FROM pg_constraint c \
         WHERE c.contype = 'f' AND NOT EXISTS ( \
           SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid \
             AND (i.indkey::int2[])[0] = c.conkey[1])",
    )
    .load(&mut db.conn())
    .unwrap();
    let names: Vec<&str> = missing.iter().map(|m| m.name.as_str()).collect();
    assert!(names.is_empty(), "foreign keys without an index: {names:?}");
}

#[test]
fn the_seeded_instrument_has_five_factors_and_twenty_two_criteria() {
    let db = TestDb::new();
    assert_eq!(db.count("SELECT count(*) AS n FROM factors f JOIN instruments i ON i.id = f.instrument_id WHERE i.code = 'sipas-2017'"), 5);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM items WHERE kind = 'criterion'"),
        22
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM items WHERE kind = 'factor'"),
        5
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM items WHERE kind = 'overall'"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM items WHERE on_desk_form"),
        6
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM scale_levels WHERE value = 4 AND label_vi = 'Hài lòng' AND label_en = 'Satisfied'"), 1);
}

#[test]
fn an_instrument_with_responses_cannot_be_edited() {
    let db = TestDb::new();
    let f = fixture(&db);
    let mut conn = db.conn();
    // Before any response the wording may still be corrected.
    diesel::sql_query("UPDATE items SET text_en = text_en || ' ' WHERE code = 'F1.1'")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, answer_values) \
         SELECT gen_random_uuid(), i.id, {}, {}, 'desk_qr', 'individual', {} FROM instruments i WHERE i.code = 'sipas-2017'",
        f.agency_id,
        f.desk_id,
        answer_array_sql(&[("F1", Some(4))])
    ))
    .execute(&mut conn)
    .unwrap();
    for sql in [
        "UPDATE items SET text_vi = 'khác' WHERE code = 'F1.1'",
        "DELETE FROM items WHERE code = 'F1.1'",
        "UPDATE scale_levels SET label_vi = 'x' WHERE value = 1",
        "UPDATE factors SET name_vi = 'x' WHERE code = 'F1'",
        "UPDATE instruments SET satisfied_threshold = 3",
        "INSERT INTO items (instrument_id, factor_id, code, kind, position, text_vi, text_en) \
         SELECT instrument_id, id, 'F1.9', 'criterion', 99, 'x', 'x' FROM factors WHERE code = 'F1'",
    ] {
        let err = diesel::sql_query(sql).execute(&mut conn).unwrap_err();
        assert!(err.to_string().contains("cannot be edited"), "{sql}: {err}");
    }
}

#[test]
fn the_database_refuses_scores_out_of_range_and_answers_shaped_for_another_instrument() {
    let db = TestDb::new();
    let f = fixture(&db);
    let mut conn = db.conn();
    // A response with `answers` as its answer array (a SQL expression over instrument `i`).
    let insert = |answers: &str, conn: &mut PgConnection| {
        diesel::sql_query(format!(
            "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, answer_values) \
             SELECT gen_random_uuid(), i.id, {}, {}, 'desk_qr', 'individual', {answers} \
             FROM instruments i WHERE i.code = 'sipas-2017'",
            f.agency_id, f.desk_id
        ))
        .execute(conn)
    };
    assert_eq!(
        broken_constraint(insert(&answer_array_sql(&[("F1", Some(6))]), &mut conn)),
        "responses_answer_values_check"
    );
    assert_eq!(
        broken_constraint(insert(&answer_array_sql(&[("F1", Some(-1))]), &mut conn)),
        "responses_answer_values_check"
    );
    assert!(insert(
        &answer_array_sql(&[("F1", None), ("F2", Some(5))]),
        &mut conn
    )
    .is_ok());
    // Read back through the `answers` view: "no opinion" is NULL, an item not asked has no row.
    assert_eq!(
        db.count("SELECT count(*) AS n FROM answers a JOIN items i ON i.id = a.item_id WHERE i.code = 'F1' AND a.value IS NULL"),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM answers a JOIN items i ON i.id = a.item_id WHERE i.code = 'F2' AND a.value = 5"),
        1
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM answers"), 2);

    // An answer array of another length than the instrument's item count (an array shaped
    // for another instrument version, or cut short) is refused.
    assert_eq!(
        broken_constraint(insert("'{5,4}'::int2[]", &mut conn)),
        "responses_instrument_id_answer_count_fkey"
    );
    let one_more = format!("{} || NULL::int2", answer_array_sql(&[("F1", Some(4))]));
    assert_eq!(
        broken_constraint(insert(&one_more, &mut conn)),
        "responses_instrument_id_answer_count_fkey"
    );

    // The item count follows the items of an instrument that has no responses yet.
    let mut other = sipas::domain::instrument::InstrumentFile::parse(
        sipas::domain::instrument::BUNDLED_INSTRUMENTS[0],
    )
    .unwrap();
    other.code = "other-version".into();
    sipas::db::instruments::seed(&mut conn, &other).unwrap();
    assert_eq!(
        db.count("SELECT count(*) AS n FROM instruments i WHERE i.code = 'other-version' AND i.item_count = (SELECT count(*) FROM items WHERE instrument_id = i.id) AND i.item_count > 0"),
        1
    );

    // A response's agency must be its desk's agency.
    let level =
        sipas::db::agencies::ensure_level(&mut conn, "province", "Tỉnh", "Province", 1).unwrap();
    let stranger = sipas::db::agencies::create(&mut conn, "T2", "Tỉnh khác", level, None).unwrap();
    let r = diesel::sql_query(format!(
        "INSERT INTO responses (id, instrument_id, agency_id, desk_id, channel, respondent_kind, answer_values) \
         SELECT gen_random_uuid(), i.id, {stranger}, {}, 'desk_qr', 'individual', {} FROM instruments i WHERE i.code = 'sipas-2017'",
        f.desk_id,
        answer_array_sql(&[("F1", Some(4))])
    ))
    .execute(&mut conn);
    assert_eq!(broken_constraint(r), "responses_desk_id_agency_id_fkey");
}

#[test]
fn no_client_address_is_stored_with_responses() {
    let db = TestDb::new();
    let cols: Vec<Name> = diesel::sql_query(
        "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name IN ('responses', 'answers') \
         AND (data_type IN ('inet', 'cidr') OR column_name ~* '(ip|addr|user_agent)')",
    )
    .load(&mut db.conn())
    .unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn without_a_server_a_private_cluster_is_created_and_used() {
    // What `sipas` does on a machine where nothing answers on 5432: initdb and start a cluster
    // of its own (as the postgres user when run as root), then create the database and migrate.
    let bin =
        sipas::db::bootstrap::postgres_bin_dir().expect("PostgreSQL's programs are installed");
    let tmp = crate::helpers::TempDir::new("pg");
    let dir = tmp.join("cluster");
    // Below Linux's ephemeral range (32768–60999): under the whole suite's load a port in it
    // may be held by some client connection at the moment the cluster binds, and it failed so.
    let port = (0..2_000u32)
        .map(|k| 20_000 + ((std::process::id() + k) % 10_000) as u16)
        .find(|&p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        .expect("a free port below the ephemeral range");
    sipas::db::bootstrap::start_private_cluster(&bin, &dir, port).unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{port}/sipas_private");
    let mut settings = sipas::config::Settings::local();
    settings.database_url = Some(url.clone());
    let outcome = std::panic::catch_unwind(|| {
        sipas::startup::prepare_database(&settings).unwrap();
        let mut conn = sipas::db::connect(&url).unwrap();
        let n: i64 = diesel::sql_query("SELECT count(*) AS n FROM instruments")
            .get_result::<crate::helpers::CountRow>(&mut conn)
            .unwrap()
            .n;
        assert_eq!(n, 1, "migrated and seeded");
    });
    sipas::db::bootstrap::stop_private_cluster(&bin, &dir).unwrap();
    outcome.unwrap();
}
