//! Instruments: seeding from the bundled files, and loading one form's questions.

use diesel::prelude::*;

use super::schema::{choice_options, choice_questions, factors, instruments, items, scale_levels};
use crate::domain::instrument::{
    ChoiceOption, ChoiceQuestion, InstrumentFile, Question, ScaleLevel, BUNDLED_INSTRUMENTS,
};
use crate::domain::FormSpec;

/// Inserts each bundled instrument that is not in the database yet. Returns how many were added.
pub fn seed_bundled(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let mut added = 0;
    for text in BUNDLED_INSTRUMENTS {
        let file = InstrumentFile::parse(text)?;
        if seed(conn, &file)? {
            added += 1;
        }
        seed_choices(conn, &file)?;
    }
    Ok(added)
}

/// A choice question to insert: code, kind, several answers?, texts, options (value, texts).
type NewChoice<'a> = (
    &'a str,
    &'a str,
    bool,
    &'a str,
    &'a str,
    Vec<(i16, &'a str, &'a str)>,
);

/// Adds an instrument's choice questions when it has none yet (an instrument seeded before
/// they existed): they change no rating and no published number.
pub fn seed_choices(conn: &mut PgConnection, file: &InstrumentFile) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let Some(instrument_id) = instruments::table
            .filter(instruments::code.eq(&file.code))
            .select(instruments::id)
            .first::<i32>(conn)
            .optional()?
        else {
            return Ok(0);
        };
        let existing: i64 = choice_questions::table
            .filter(choice_questions::instrument_id.eq(instrument_id))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        let mut questions: Vec<NewChoice<'_>> = Vec::new();
        if let Some(e) = &file.expectation {
            let options = file
                .factors
                .iter()
                .enumerate()
                .map(|(i, f)| (i as i16 + 1, f.name_vi.as_str(), f.name_en.as_str()))
                .collect();
            questions.push((
                &e.code,
                "expectation",
                true,
                &e.question_vi,
                &e.question_en,
                options,
            ));
        }
        for p in &file.profile {
            let options = p
                .options
                .iter()
                .map(|o| (o.value, o.vi.as_str(), o.en.as_str()))
                .collect();
            questions.push((
                &p.code,
                "profile",
                false,
                &p.question_vi,
                &p.question_en,
                options,
            ));
        }
        for (position, (code, kind, multiple, vi, en, options)) in questions.iter().enumerate() {
            let id: i32 = diesel::insert_into(choice_questions::table)
                .values((
                    choice_questions::instrument_id.eq(instrument_id),
                    choice_questions::code.eq(code),
                    choice_questions::kind.eq(kind),
                    choice_questions::multiple.eq(multiple),
                    choice_questions::position.eq(position as i16 + 1),
                    choice_questions::text_vi.eq(vi),
                    choice_questions::text_en.eq(en),
                ))
                .returning(choice_questions::id)
                .get_result(conn)?;
            for (value, vi, en) in options {
                diesel::insert_into(choice_options::table)
                    .values((
                        choice_options::question_id.eq(id),
                        choice_options::value.eq(value),
                        choice_options::label_vi.eq(vi),
                        choice_options::label_en.eq(en),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(questions.len())
    })
}

/// An instrument's choice questions with their options, in order.
pub fn choices(conn: &mut PgConnection, instrument_id: i32) -> QueryResult<Vec<ChoiceQuestion>> {
    let questions: Vec<(i32, String, String, bool, String, String)> = choice_questions::table
        .filter(choice_questions::instrument_id.eq(instrument_id))
        .order(choice_questions::position)
        .select((
            choice_questions::id,
            choice_questions::code,
            choice_questions::kind,
            choice_questions::multiple,
            choice_questions::text_vi,
            choice_questions::text_en,
        ))
        .load(conn)?;
    let ids: Vec<i32> = questions.iter().map(|q| q.0).collect();
    let options: Vec<(i32, i16, String, String)> = choice_options::table
        .filter(choice_options::question_id.eq_any(&ids))
        .order((choice_options::question_id, choice_options::value))
        .select((
            choice_options::question_id,
            choice_options::value,
            choice_options::label_vi,
            choice_options::label_en,
        ))
        .load(conn)?;
    Ok(questions
        .into_iter()
        .map(
            |(id, code, kind, multiple, text_vi, text_en)| ChoiceQuestion {
                options: options
                    .iter()
                    .filter(|o| o.0 == id)
                    .map(|o| ChoiceOption {
                        value: o.1,
                        label_vi: o.2.clone(),
                        label_en: o.3.clone(),
                    })
                    .collect(),
                id,
                code,
                kind,
                multiple,
                text_vi,
                text_en,
            },
        )
        .collect())
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
    let spec = FormSpec::new(instrument_id, code, scale, questions, all_items.len());
    Ok(match form {
        Form::Desk => spec,
        Form::Full => spec.with_choices(choices(conn, instrument_id)?),
    })
}
