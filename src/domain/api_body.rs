//! The JSON body of `POST /api/v1/responses`, read into the same [`RawSubmission`] the desk
//! form gives, so both doors then apply one set of rules (`Submission::parse`).

use std::cell::RefCell;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::submission::{is_procedure_code, RawAnswer};
use super::{text, Channel, FieldError, RawSubmission};

/// What a rating is given for: a desk (its poster's signed token) or one dossier (its
/// receipt's single-use token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RatedBy {
    Desk(String),
    Receipt(String),
}

/// A body of the documented shape, not yet checked field by field.
#[derive(Debug)]
pub struct ApiBody {
    pub rated_by: RatedBy,
    pub channel: Channel,
    pub raw: RawSubmission,
}

#[derive(Debug, PartialEq)]
pub enum BodyError {
    /// Not JSON, or not an object of the documented shape (a missing or unknown member, a
    /// member of the wrong type).
    Malformed,
    /// The documented shape with values the rules refuse.
    Invalid(Vec<FieldError>),
}

/// The members `openapi.json` documents; any other is refused.
const MEMBERS: [&str; 8] = [
    "submission_id",
    "desk_token",
    "receipt_token",
    "channel",
    "respondent_kind",
    "procedure_code",
    "comment",
    "answers",
];

/// Reads a body exactly as the schema documents it: an object of the documented members, each
/// of its type (else [`BodyError::Malformed`], 400), and the values whose form the schema
/// fixes in that form — a hyphenated UUID, a channel or kind from its list, a procedure code
/// of its pattern, untrimmed (else [`BodyError::Invalid`], 422, naming the member). What the
/// form and the API share (scores, comments, the nil UUID) is left to `Submission::parse`.
pub fn parse(bytes: &[u8]) -> Result<ApiBody, BodyError> {
    let Value::Object(mut body) = strict_json(bytes)? else {
        return Err(BodyError::Malformed);
    };
    if body.keys().any(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(BodyError::Malformed);
    }
    let mut text = |name: &str, required: bool| match body.remove(name) {
        None if required => Err(BodyError::Malformed),
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BodyError::Malformed),
    };
    let submission_id = text("submission_id", true)?.unwrap_or_default();
    let desk_token = text("desk_token", false)?;
    let receipt_token = text("receipt_token", false)?;
    let channel = text("channel", false)?;
    let respondent_kind = text("respondent_kind", false)?;
    let procedure_code = text("procedure_code", false)?;
    let comment = text("comment", false)?;
    let Some(Value::Object(answers)) = body.remove("answers") else {
        return Err(BodyError::Malformed);
    };

    let mut errors = Vec::new();
    let rated_by = match (desk_token, receipt_token) {
        (Some(d), None) => RatedBy::Desk(d),
        (None, Some(r)) => RatedBy::Receipt(r),
        (None, None) => return Err(BodyError::Malformed),
        (Some(d), Some(_)) => {
            errors.push(FieldError::new(
                "receipt_token",
                "Chỉ gửi một trong hai: desk_token (mã quầy) hoặc receipt_token (biên nhận hồ sơ).",
                "send desk_token or receipt_token, not both",
            ));
            RatedBy::Desk(d)
        }
    };
    if !is_hyphenated_uuid(&submission_id) {
        errors.push(FieldError::new(
            "submission_id",
            "Mã lượt gửi phải là một UUID dạng 8-4-4-4-12.",
            "submission_id must be a UUID written 8-4-4-4-12 with hyphens",
        ));
    }
    let channel = match (&rated_by, channel.as_deref()) {
        // A receipt's rating is of the receipt channel, whatever device sends it.
        (RatedBy::Receipt(_), None | Some("receipt_qr")) => Channel::ReceiptQr,
        (RatedBy::Desk(_), None | Some("kiosk")) => Channel::Kiosk,
        (RatedBy::Desk(_), Some("desk_qr")) => Channel::DeskQr,
        (RatedBy::Receipt(_), Some(_)) => {
            errors.push(FieldError::new(
                "channel",
                "Đánh giá theo biên nhận có kênh receipt_qr (có thể bỏ trống).",
                "a rating with receipt_token has the channel 'receipt_qr' (or none)",
            ));
            Channel::ReceiptQr
        }
        (RatedBy::Desk(_), Some(_)) => {
            errors.push(FieldError::new(
                "channel",
                "Kênh phải là kiosk hoặc desk_qr.",
                "channel must be 'kiosk' or 'desk_qr'",
            ));
            Channel::Kiosk
        }
    };
    if respondent_kind
        .as_deref()
        .is_some_and(|k| k != "individual" && k != "organisation")
    {
        errors.push(FieldError::new(
            "respondent_kind",
            "Đối tượng phải là individual hoặc organisation.",
            "respondent_kind must be 'individual' or 'organisation'",
        ));
    }
    if procedure_code
        .as_deref()
        .is_some_and(|c| !is_procedure_code(c))
    {
        errors.push(FieldError::new(
            "procedure_code",
            "Mã thủ tục chỉ gồm chữ, số và các dấu . _ / - (1–64 ký tự).",
            "procedure_code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'",
        ));
    }
    if !errors.is_empty() {
        return Err(BodyError::Invalid(errors));
    }
    Ok(ApiBody {
        rated_by,
        channel,
        raw: RawSubmission {
            submission_id: Some(submission_id),
            respondent_kind,
            procedure_code,
            comment,
            answers: answers
                .into_iter()
                .map(|(code, v)| (code, raw_answer(v)))
                .collect(),
            choices: Vec::new(),
        },
    })
}

/// JSON with every member of an object once: `{"desk_token": forged, "desk_token": valid}`
/// is refused (422, naming the member) instead of letting the last one win, so a body means
/// one thing to every reader of it (RFC 8259 §4: names "SHOULD be unique").
pub(crate) fn strict_json(bytes: &[u8]) -> Result<Value, BodyError> {
    let repeated = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed {
        path: "",
        repeated: &repeated,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    match (value, repeated.into_inner()) {
        (_, Some(path)) => {
            let field = text::clip(&path, 60);
            Err(BodyError::Invalid(vec![FieldError::new(
                field.clone(),
                format!("Trường “{field}” xuất hiện nhiều lần: mỗi trường chỉ được gửi một lần."),
                format!("'{field}' appears more than once; each member must appear once"),
            )]))
        }
        (Ok(v), None) => Ok(v),
        (Err(_), None) => Err(BodyError::Malformed),
    }
}

/// A JSON value at `path`, read with its objects' members checked for repeats.
struct Seed<'a> {
    path: &'a str,
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let path = format!("{}[{}]", self.path, out.len());
            let seed = Seed {
                path: &path,
                repeated: self.repeated,
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if out.contains_key(&key) {
                *self.repeated.borrow_mut() = Some(path);
                return Err(serde::de::Error::custom("a member appears twice"));
            }
            let value = map.next_value_seed(Seed {
                path: &path,
                repeated: self.repeated,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

fn is_hyphenated_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn raw_answer(v: Value) -> RawAnswer {
    match v {
        Value::Null => RawAnswer::NoOpinion,
        // JSON Schema counts 5.0 as an integer, so the API does too.
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => RawAnswer::Score(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => RawAnswer::Score(f as i64),
            _ => RawAnswer::Unreadable(n.to_string()),
        },
        other => RawAnswer::Unreadable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b7e6f0a-4c2d-4e5f-9a1b-2c3d4e5f6a7b";

    fn body(extra: &str) -> String {
        format!(r#"{{"submission_id":"{ID}","desk_token":"t","answers":{{"F1":5}}{extra}}}"#)
    }

    #[test]
    fn the_documented_shape_is_read_and_nothing_else() {
        let ok = parse(body(r#","channel":"desk_qr","comment":"Tốt""#).as_bytes()).unwrap();
        assert_eq!(ok.channel, Channel::DeskQr);
        assert_eq!(ok.raw.comment.as_deref(), Some("Tốt"));
        let five = parse(
            format!(r#"{{"submission_id":"{ID}","desk_token":"t","answers":{{"F1":5.0}}}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert!(matches!(five.raw.answers[0].1, RawAnswer::Score(5)));
        for malformed in [
            "[]".to_owned(),
            "{".to_owned(),
            body(r#","extra":1"#),
            body(r#","channel":null"#),
            body(r#","comment":5"#),
            r#"{"desk_token":"t","answers":{}}"#.to_owned(),
            format!(r#"{{"submission_id":"{ID}","desk_token":"t","answers":[]}}"#),
        ] {
            assert_eq!(
                parse(malformed.as_bytes()).unwrap_err(),
                BodyError::Malformed,
                "{malformed}"
            );
        }
    }

    #[test]
    fn a_member_given_twice_is_refused_by_name() {
        for (json, field) in [
            (
                format!(
                    r#"{{"submission_id":"{ID}","desk_token":"forged","desk_token":"t","answers":{{"F1":5}}}}"#
                ),
                "desk_token",
            ),
            (
                format!(
                    r#"{{"submission_id":"{ID}","desk_token":"t","answers":{{"F1":1,"F1":5}}}}"#
                ),
                "answers.F1",
            ),
            (
                format!(
                    r#"{{"submission_id":"{ID}","desk_token":"t","answers":{{"F1":5}},"comment":"a","comment":"b"}}"#
                ),
                "comment",
            ),
        ] {
            match parse(json.as_bytes()) {
                Err(BodyError::Invalid(e)) => assert_eq!(e[0].field, field, "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
        assert_eq!(
            parse(format!("{} x", body("")).as_bytes()).unwrap_err(),
            BodyError::Malformed,
            "trailing text"
        );
    }

    #[test]
    fn values_the_schema_fixes_are_taken_only_in_that_form() {
        for (extra, field) in [
            (r#","channel":"KIOSK""#, "channel"),
            (r#","respondent_kind":"organization""#, "respondent_kind"),
            (r#","respondent_kind":" individual""#, "respondent_kind"),
            (r#","procedure_code":" 1.001""#, "procedure_code"),
            (r#","procedure_code":"""#, "procedure_code"),
        ] {
            match parse(body(extra).as_bytes()) {
                Err(BodyError::Invalid(e)) => assert_eq!(e[0].field, field, "{extra}"),
                other => panic!("{extra}: {other:?}"),
            }
        }
        for id in [
            "{0b7e6f0a-4c2d-4e5f-9a1b-2c3d4e5f6a7b}",
            "0b7e6f0a4c2d4e5f9a1b2c3d4e5f6a7b",
            "urn:uuid:0b7e6f0a-4c2d-4e5f-9a1b-2c3d4e5f6a7b",
            " 0b7e6f0a-4c2d-4e5f-9a1b-2c3d4e5f6a7b",
        ] {
            let b = format!(r#"{{"submission_id":"{id}","desk_token":"t","answers":{{"F1":5}}}}"#);
            assert!(
                matches!(parse(b.as_bytes()), Err(BodyError::Invalid(_))),
                "{id}"
            );
        }
    }
}
