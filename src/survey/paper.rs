//! Keying returned paper questionnaires (channel `paper`). One key per answer: 1–5 a score,
//! 0 "no opinion", nothing for a question left blank. With double entry, a second person keys
//! the same questionnaire blind; the response counts when both keyings agree, or once an
//! administrator resolves what they disagree on.

use super::{lock, Result, WaveState};
use crate::db::{self, audit::Actor, fieldwork::UnitStored, paper::Entry, Conn};
use crate::domain::FormSpec;

/// A questionnaire as keyed, before any check.
pub struct Keyed<'a> {
    /// `(question code, key typed)`.
    pub answers: Vec<(&'a str, &'a str)>,
    /// `(choice question code, keys typed)`: the numbers of the options ticked ("135").
    pub choices: Vec<(&'a str, &'a str)>,
    /// `1` individual, `2` organisation (empty: individual).
    pub kind: &'a str,
    pub comment: &'a str,
}

/// A keyed questionnaire that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub values: Vec<Option<i16>>,
    /// (choice question id, option value).
    pub choices: Vec<(i32, i16)>,
    pub kind: &'static str,
    pub comment: Option<String>,
}

impl Checked {
    /// The choices as a keying stores them: question id × 100 + value, sorted.
    pub fn encoded_choices(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .choices
            .iter()
            .map(|&(q, x)| q * 100 + i32::from(x))
            .collect();
        v.sort_unstable();
        v
    }
}

/// Reads the keys: every bad key named by its question, in Vietnamese (for the keyer).
pub fn check(form: &FormSpec, k: &Keyed<'_>) -> Result<Checked, Vec<String>> {
    let mut errors = Vec::new();
    let mut values = vec![None; form.item_count];
    for q in &form.questions {
        let typed = k
            .answers
            .iter()
            .find(|(code, _)| *code == q.code)
            .map_or("", |(_, v)| v.trim());
        values[q.slot] = match typed {
            "" => None,
            "0" => Some(0),
            "1" | "2" | "3" | "4" | "5" => typed.parse().ok(),
            other => {
                errors.push(format!(
                    "Câu {}: gõ một phím 1–5, 0 (không có ý kiến) hoặc để trống, không phải “{}”.",
                    q.code,
                    other.chars().take(10).collect::<String>()
                ));
                None
            }
        };
    }
    let mut choices = Vec::new();
    for q in &form.choices {
        let typed = k
            .choices
            .iter()
            .find(|(code, _)| *code == q.code)
            .map_or("", |(_, v)| v.trim());
        // Several options are keyed as their numbers one after another ("135"); one option
        // as its number.
        let keys: Vec<String> = if q.multiple {
            typed
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(String::from)
                .collect()
        } else if typed.is_empty() {
            Vec::new()
        } else {
            vec![typed.to_owned()]
        };
        for key in keys {
            match key
                .parse::<i16>()
                .ok()
                .filter(|v| q.options.iter().any(|o| o.value == *v))
            {
                Some(v) if !choices.contains(&(q.id, v)) => choices.push((q.id, v)),
                Some(_) => {}
                None => errors.push(format!(
                    "{}: “{}” không phải số của một lựa chọn (1–{}).",
                    q.text_vi,
                    key.chars().take(10).collect::<String>(),
                    q.options.len()
                )),
            }
        }
    }
    let kind = match k.kind.trim() {
        "" | "1" => "individual",
        "2" => "organisation",
        _ => {
            errors.push("Đối tượng: 1 (cá nhân) hoặc 2 (tổ chức).".into());
            "individual"
        }
    };
    let comment = k.comment.trim();
    if comment.chars().count() > crate::domain::submission::COMMENT_MAX_CHARS {
        errors.push("Góp ý dài quá 2.000 ký tự.".into());
    }
    if values.iter().all(Option::is_none) && errors.is_empty() {
        errors.push("Phiếu trống: hãy gõ ít nhất một câu trả lời.".into());
    }
    if errors.is_empty() {
        Ok(Checked {
            values,
            choices,
            kind,
            comment: (!comment.is_empty()).then(|| comment.to_owned()),
        })
    } else {
        Err(errors)
    }
}

/// What keying a questionnaire did.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The response counts now.
    Counted,
    /// The first of two keyings: another person keys it next.
    FirstOfTwo,
    /// The second keying disagrees with the first on these (Vietnamese, one per line).
    Disagree(Vec<String>),
    /// Keyed twice already: waiting for the resolution.
    AwaitingResolution,
    /// This person keyed the first entry: the second must be someone else.
    SameKeyer,
    /// The person answered already (online, or this paper was counted before).
    AlreadyAnswered,
    /// The unit's invitation is not open (not invited, replaced).
    NotOpen,
}

/// The differences between two keyings, in the questionnaire's order.
pub fn differences(form: &FormSpec, a: &Entry, b: &Entry) -> Vec<String> {
    let shown = |v: Option<i16>| match v {
        None => "trống".to_owned(),
        Some(0) => "0 (không ý kiến)".to_owned(),
        Some(x) => x.to_string(),
    };
    let mut out = Vec::new();
    for q in &form.questions {
        let (x, y) = (
            a.answer_values.get(q.slot).copied().flatten(),
            b.answer_values.get(q.slot).copied().flatten(),
        );
        if x != y {
            out.push(format!(
                "Câu {}: lần 1 {}, lần 2 {}",
                q.code,
                shown(x),
                shown(y)
            ));
        }
    }
    for q in &form.choices {
        let of = |e: &Entry| -> Vec<String> {
            e.choices
                .iter()
                .filter(|&&c| c / 100 == q.id)
                .map(|c| (c % 100).to_string())
                .collect()
        };
        let (x, y) = (of(a), of(b));
        if x != y {
            let shown = |v: Vec<String>| {
                if v.is_empty() {
                    "trống".to_owned()
                } else {
                    v.join(",")
                }
            };
            out.push(format!(
                "{}: lần 1 {}, lần 2 {}",
                q.code,
                shown(x),
                shown(y)
            ));
        }
    }
    if a.respondent_kind != b.respondent_kind {
        out.push(format!(
            "Đối tượng: lần 1 {}, lần 2 {}",
            a.respondent_kind, b.respondent_kind
        ));
    }
    if a.comment.as_deref().map(str::trim) != b.comment.as_deref().map(str::trim) {
        out.push("Góp ý: hai lần nhập khác nhau".into());
    }
    out
}

fn store(
    conn: &mut Conn,
    form: &FormSpec,
    unit_id: i64,
    c: &Checked,
) -> Result<UnitStored, db::QueryError> {
    db::fieldwork::store_unit_response(
        conn,
        &db::fieldwork::UnitResponse {
            id: uuid::Uuid::new_v4(),
            unit_id,
            instrument_id: form.instrument_id,
            channel: "paper",
            respondent_kind: c.kind,
            comment: c.comment.as_deref(),
            answer_values: &c.values,
            choices: &c.choices,
        },
    )
}

fn outcome_of(stored: UnitStored) -> Outcome {
    match stored {
        UnitStored::Created | UnitStored::Repeated => Outcome::Counted,
        UnitStored::AlreadyAnswered => Outcome::AlreadyAnswered,
        UnitStored::NotOpen | UnitStored::NoSuchUnit => Outcome::NotOpen,
    }
}

/// Keys one questionnaire of a wave in fieldwork for `unit_id`, as user `keyer`.
pub fn key(
    conn: &mut Conn,
    actor: &Actor,
    keyer: i32,
    wave_id: i32,
    unit_id: i64,
    form: &FormSpec,
    c: &Checked,
) -> Result<Outcome> {
    db::transaction(conn, |conn| {
        let w = lock(conn, wave_id)?;
        if w.state != WaveState::Fieldwork {
            refuse!(
                "wave {wave_id} is {}: questionnaires are keyed during its fieldwork",
                w.state.as_str();
                "Đợt {wave_id} đang ở trạng thái “{}”: chỉ nhập phiếu giấy trong thời gian khảo sát",
                w.state.label_vi()
            );
        }
        let Some(unit) =
            db::fieldwork::invited_unit(conn, unit_id)?.filter(|u| u.wave_id == wave_id)
        else {
            return Ok(Outcome::NotOpen);
        };
        if unit.response_id.is_some() {
            return Ok(Outcome::AlreadyAnswered);
        }
        if !unit.is_open() {
            return Ok(Outcome::NotOpen);
        }
        let entries = db::paper::entries(conn, unit_id)?;
        let entry = |no: i16| Entry {
            entry_no: no,
            keyed_by: keyer,
            keyer: String::new(),
            respondent_kind: c.kind.to_owned(),
            comment: c.comment.clone(),
            answer_values: c.values.clone(),
            choices: c.encoded_choices(),
        };
        if !db::paper::double_entry(conn, wave_id)? {
            if entries.is_empty() {
                db::paper::add(conn, actor, unit_id, &entry(1))?;
            }
            return Ok(outcome_of(store(conn, form, unit_id, c)?));
        }
        match entries.as_slice() {
            [] => {
                db::paper::add(conn, actor, unit_id, &entry(1))?;
                Ok(Outcome::FirstOfTwo)
            }
            [first] if first.keyed_by == keyer => Ok(Outcome::SameKeyer),
            [first] => {
                let second = entry(2);
                db::paper::add(conn, actor, unit_id, &second)?;
                let diff = differences(form, first, &second);
                if diff.is_empty() {
                    Ok(outcome_of(store(conn, form, unit_id, c)?))
                } else {
                    Ok(Outcome::Disagree(diff))
                }
            }
            _ => Ok(Outcome::AwaitingResolution),
        }
    })
}

/// An administrator's resolution of a questionnaire keyed twice with disagreements: the values
/// read again from the paper. Audited; the response counts.
pub fn resolve(
    conn: &mut Conn,
    actor: &Actor,
    wave_id: i32,
    unit_id: i64,
    form: &FormSpec,
    c: &Checked,
) -> Result<Outcome> {
    db::transaction(conn, |conn| {
        if lock(conn, wave_id)?.state != WaveState::Fieldwork {
            refuse!(
                "wave {wave_id} is not in fieldwork";
                "Đợt {wave_id} không trong thời gian khảo sát"
            );
        }
        if db::paper::entries(conn, unit_id)?.len() != 2 {
            refuse!(
                "this questionnaire is not waiting for a resolution";
                "Phiếu này không chờ đối chiếu"
            );
        }
        let stored = store(conn, form, unit_id, c)?;
        if stored == UnitStored::Created {
            db::audit::record(
                conn,
                actor,
                "paper.resolve",
                &unit_id.to_string(),
                None,
                Some(serde_json::json!({"wave": wave_id})),
            )?;
        }
        Ok(outcome_of(stored))
    })
}
