//! Instruments: seeding from the bundled files, and loading one form's questions.

use diesel::prelude::*;

use super::schema::{factors, instruments, items, scale_levels};
use crate::domain::instrument::{InstrumentFile, Question, ScaleLevel, BUNDLED_INSTRUMENTS};
use crate::domain::FormSpec;

/// Inserts each bundled instrument that is not in the database yet. Returns how many were added.
pub fn seed_bundled(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let mut added = 0;
    for text in BUNDLED_INSTRUMENTS {
        let file = InstrumentFile::parse(text)?;
        if seed(conn, &file)? {
            added += 1;
        }
    }
    Ok(added)
}

/// Inserts one instrument in a single transaction; `false` when its code already exists.
pub fn seed(conn: &mut PgConnection, file: &InstrumentFile) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let exists: i64 = instruments::table
            .filter(instruments::code.eq(&file.code))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Ok(false);
        }
        let instrument_id: i32 = diesel::insert_into(instruments::table)
            .values((
                instruments::code.eq(&file.code),
                instruments::name_vi.eq(&file.name_vi),
                instruments::name_en.eq(&file.name_en),
                instruments::source.eq(&file.source),
                instruments::satisfied_threshold.eq(file.satisfied_threshold),
            ))
            .returning(instruments::id)
            .get_result(conn)?;
        for level in &file.scale {
            diesel::insert_into(scale_levels::table)
                .values((
                    scale_levels::instrument_id.eq(instrument_id),
                    scale_levels::value.eq(level.value),
                    scale_levels::label_vi.eq(&level.vi),
                    scale_levels::label_en.eq(&level.en),
                ))
                .execute(conn)?;
        }
        let on_desk = |code: &str| file.forms.desk.iter().any(|c| c == code);
        let mut position: i16 = 0;
        let mut insert_item = |conn: &mut PgConnection,
                               factor_id: Option<i32>,
                               code: &str,
                               kind: &str,
                               vi: &str,
                               en: &str|
         -> QueryResult<()> {
            position += 1;
            diesel::insert_into(items::table)
                .values((
                    items::instrument_id.eq(instrument_id),
                    items::factor_id.eq(factor_id),
                    items::code.eq(code),
                    items::kind.eq(kind),
                    items::position.eq(position),
                    items::text_vi.eq(vi),
                    items::text_en.eq(en),
                    items::on_desk_form.eq(on_desk(code)),
                    items::on_full_form.eq(true),
                ))
                .execute(conn)
                .map(|_| ())
        };
        for (i, factor) in file.factors.iter().enumerate() {
            let factor_id: i32 = diesel::insert_into(factors::table)
                .values((
                    factors::instrument_id.eq(instrument_id),
                    factors::code.eq(&factor.code),
                    factors::position.eq(i as i16 + 1),
                    factors::name_vi.eq(&factor.name_vi),
                    factors::name_en.eq(&factor.name_en),
                ))
                .returning(factors::id)
                .get_result(conn)?;
            insert_item(
                conn,
                Some(factor_id),
                &factor.code,
                "factor",
                &factor.question_vi,
                &factor.question_en,
            )?;
            for c in &factor.criteria {
                insert_item(conn, Some(factor_id), &c.code, "criterion", &c.vi, &c.en)?;
            }
        }
        let o = &file.overall;
        insert_item(
            conn,
            None,
            &o.code,
            "overall",
            &o.question_vi,
            &o.question_en,
        )?;
        Ok(true)
    })
}

/// Every instrument: (code, Vietnamese name), by code.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<(String, String)>> {
    instruments::table
        .order(instruments::code)
        .select((instruments::code, instruments::name_vi))
        .load(conn)
}

/// An instrument's code by id.
pub fn code_of(conn: &mut PgConnection, id: i32) -> QueryResult<String> {
    instruments::table
        .find(id)
        .select(instruments::code)
        .first(conn)
}

/// Which questions a form shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Desk,
    Full,
}

/// Loads the questions of `instrument_code`'s form in display order.
pub fn load_form(
    conn: &mut PgConnection,
    instrument_code: &str,
    form: Form,
) -> QueryResult<FormSpec> {
    let (instrument_id, code): (i32, String) = instruments::table
        .filter(instruments::code.eq(instrument_code))
        .select((instruments::id, instruments::code))
        .get_result(conn)?;
    let scale = scale_levels::table
        .filter(scale_levels::instrument_id.eq(instrument_id))
        .order(scale_levels::value)
        .select((
            scale_levels::value,
            scale_levels::label_vi,
            scale_levels::label_en,
        ))
        .load::<(i16, String, String)>(conn)?
        .into_iter()
        .map(|(value, label_vi, label_en)| ScaleLevel {
            value,
            label_vi,
            label_en,
        })
        .collect();
    let mut query = items::table
        .left_join(factors::table.on(factors::id.nullable().eq(items::factor_id)))
        .filter(items::instrument_id.eq(instrument_id))
        .into_boxed();
    query = match form {
        Form::Desk => query.filter(items::on_desk_form),
        Form::Full => query.filter(items::on_full_form),
    };
    let rows = query
        .order(items::position)
        .select((
            items::id,
            items::code,
            items::kind,
            factors::code.nullable(),
            factors::name_vi.nullable(),
            factors::name_en.nullable(),
            items::text_vi,
            items::text_en,
        ))
        .load::<(
            i32,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            String,
        )>(conn)?;
    // A question's slot is its item's index among all the instrument's items (the order
    // `responses.answer_values` and the `answers` view use).
    let all_items: Vec<i32> = items::table
        .filter(items::instrument_id.eq(instrument_id))
        .order((items::position, items::id))
        .select(items::id)
        .load(conn)?;
    let questions = rows
        .into_iter()
        .map(
            |(
                item_id,
                code,
                kind,
                factor_code,
                factor_name_vi,
                factor_name_en,
                text_vi,
                text_en,
            )| Question {
                item_id,
                code,
                kind,
                factor_code,
                factor_name_vi,
                factor_name_en,
                text_vi,
                text_en,
                slot: all_items
                    .iter()
                    .position(|&id| id == item_id)
                    .expect("the form's items are items of its instrument"),
            },
        )
        .collect();
    Ok(FormSpec::new(
        instrument_id,
        code,
        scale,
        questions,
        all_items.len(),
    ))
}
