//! A citizen's submission, parsed from the desk form or the JSON API into a value that can only
//! be valid: known items of the form's instrument, scores 1–5 or "no opinion", bounded text.

use std::collections::HashSet;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::{text, FormSpec};

pub const COMMENT_MAX_CHARS: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RespondentKind {
    Individual,
    Organisation,
}

impl RespondentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RespondentKind::Individual => "individual",
            RespondentKind::Organisation => "organisation",
        }
    }

    /// A stored spelling back (`responses.respondent_kind`).
    pub fn parse(s: &str) -> Option<RespondentKind> {
        match s {
            "individual" => Some(RespondentKind::Individual),
            "organisation" => Some(RespondentKind::Organisation),
            _ => None,
        }
    }
}

/// How a response reached us. Desk QR and kiosk streams are convenience samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    DeskQr,
    Kiosk,
    /// Rated from a receipt bound to one completed dossier (issue #19).
    ReceiptQr,
}

impl Channel {
    /// The desk stream's channels: every rating the aggregates and the dashboards count.
    pub const STREAM: [Channel; 3] = [Channel::DeskQr, Channel::Kiosk, Channel::ReceiptQr];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::DeskQr => "desk_qr",
            Channel::Kiosk => "kiosk",
            Channel::ReceiptQr => "receipt_qr",
        }
    }

    /// A stored spelling of a desk-stream channel back (`responses.channel`).
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::STREAM.into_iter().find(|c| c.as_str() == s)
    }
}

/// One answer as it arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum RawAnswer {
    Score(i64),
    NoOpinion,
    /// Neither a number nor "no opinion": kept to name it in the error.
    Unreadable(String),
}

/// Fields as they arrived, before any check.
#[derive(Clone, Debug, Default)]
pub struct RawSubmission {
    pub submission_id: Option<String>,
    pub respondent_kind: Option<String>,
    pub procedure_code: Option<String>,
    pub comment: Option<String>,
    pub answers: Vec<(String, RawAnswer)>,
    /// Choice questions' answers as (question code, option value typed).
    pub choices: Vec<(String, String)>,
}

impl RawSubmission {
    /// The fields of a posted form (`a.<item>` answers, `c.<question>` choices, and the named
    /// fields); anything else is ignored.
    pub fn from_form_pairs(pairs: &[(String, String)]) -> RawSubmission {
        let mut raw = RawSubmission::default();
        for (k, v) in pairs {
            match k.as_str() {
                "submission_id" => raw.submission_id = Some(v.clone()),
                "respondent_kind" => raw.respondent_kind = Some(v.clone()),
                "procedure_code" => raw.procedure_code = Some(v.clone()),
                "comment" => raw.comment = Some(v.clone()),
                _ if k.starts_with("c.") => raw.choices.push((k[2..].to_owned(), v.clone())),
                _ => {
                    if let Some(code) = k.strip_prefix("a.") {
                        let answer = match v.trim() {
                            "na" => RawAnswer::NoOpinion,
                            s => s
                                .parse::<i64>()
                                .map(RawAnswer::Score)
                                .unwrap_or_else(|_| RawAnswer::Unreadable(s.to_owned())),
                        };
                        raw.answers.push((code.to_owned(), answer));
                    }
                }
            }
        }
        raw
    }
}

/// What is wrong with one field, in Vietnamese for citizens and English for integrators.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message_vi: String,
    pub message_en: String,
}

impl FieldError {
    pub(crate) fn new(
        field: impl Into<String>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            message_vi: vi.into(),
            message_en: en.into(),
        }
    }
}

/// A valid submission: every answer names an item of the form, every score is 1–5.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub id: Uuid,
    pub respondent_kind: RespondentKind,
    pub procedure_code: Option<String>,
    pub comment: Option<String>,
    /// (item id, score); `None` is "Không có ý kiến", stored as NULL, never as a score.
    pub answers: Vec<(i32, Option<i16>)>,
    /// (choice question id, option value), for the full form's choice questions.
    pub choices: Vec<(i32, i16)>,
}

impl Submission {
    pub fn parse(raw: RawSubmission, form: &FormSpec) -> Result<Submission, Vec<FieldError>> {
        let mut errors = Vec::new();

        let id = match raw.submission_id.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new(
                    "submission_id",
                    "Thiếu mã lượt gửi. Vui lòng tải lại trang và gửi lại.",
                    "submission_id is required (a UUID chosen by the client)",
                ));
                None
            }
            Some(s) => match Uuid::parse_str(s) {
                Ok(id) if !id.is_nil() => Some(id),
                _ => {
                    errors.push(FieldError::new(
                        "submission_id",
                        "Mã lượt gửi không hợp lệ. Vui lòng tải lại trang và gửi lại.",
                        "submission_id must be a non-nil UUID",
                    ));
                    None
                }
            },
        };

        let respondent_kind = match raw.respondent_kind.as_deref().map(str::trim) {
            None | Some("") | Some("individual") => RespondentKind::Individual,
            Some("organisation") | Some("organization") => RespondentKind::Organisation,
            Some(other) => {
                errors.push(FieldError::new(
                    "respondent_kind",
                    "Đối tượng phải là “cá nhân” hoặc “tổ chức”.",
                    format!(
                        "respondent_kind must be 'individual' or 'organisation', not '{}'",
                        clip(other)
                    ),
                ));
                RespondentKind::Individual
            }
        };

        let procedure_code = match raw.procedure_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) if is_procedure_code(code) => Some(code.to_owned()),
            Some(_) => {
                errors.push(FieldError::new(
                    "procedure_code",
                    "Mã thủ tục chỉ gồm chữ, số và các dấu . _ / - (tối đa 64 ký tự).",
                    "procedure_code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'",
                ));
                None
            }
        };

        // The same rule at every door: normalised to NFC (a phone may send "ủ" as u + two
        // combining marks), then counted; a control character other than a line break or a
        // tab is refused (a browser's text box cannot type one); then bidi controls are
        // removed and the text trimmed (`text::clean_multiline`).
        let comment = match raw.comment.as_deref().map(|c| c.nfc().collect::<String>()) {
            None => None,
            Some(c) if c.chars().count() > COMMENT_MAX_CHARS => {
                errors.push(FieldError::new(
                    "comment",
                    format!("Ý kiến góp ý dài quá {COMMENT_MAX_CHARS} ký tự. Vui lòng rút gọn."),
                    format!("comment is longer than {COMMENT_MAX_CHARS} characters"),
                ));
                None
            }
            Some(c) => match text::first_control(&c, true) {
                Some((at, bad)) => {
                    let code = text::codepoint(bad);
                    errors.push(FieldError::new(
                        "comment",
                        format!("Ý kiến góp ý có ký tự điều khiển {code} ở ký tự thứ {at}. Vui lòng xoá ký tự này."),
                        format!("comment holds the control character {code} at character {at}"),
                    ));
                    None
                }
                None => Some(text::clean_multiline(&c)).filter(|c| !c.is_empty()),
            },
        };

        let mut answers = Vec::with_capacity(raw.answers.len());
        let mut seen = HashSet::new();
        for (code, answer) in raw.answers {
            let field = format!("answers.{}", clip(&code));
            let Some(question) = form.question(&code) else {
                errors.push(FieldError::new(
                    field,
                    "Câu hỏi không có trong phiếu này.",
                    format!(
                        "'{}' is not an item of instrument {}'s form",
                        clip(&code),
                        form.instrument_code
                    ),
                ));
                continue;
            };
            if !seen.insert(question.item_id) {
                errors.push(FieldError::new(
                    field,
                    "Một câu hỏi chỉ được trả lời một lần.",
                    "the item is answered more than once",
                ));
                continue;
            }
            match answer {
                RawAnswer::Score(v) if (1..=5).contains(&v) => {
                    answers.push((question.item_id, Some(v as i16)))
                }
                RawAnswer::NoOpinion => answers.push((question.item_id, None)),
                RawAnswer::Score(_) | RawAnswer::Unreadable(_) => errors.push(FieldError::new(
                    field,
                    "Mức đánh giá phải từ 1 đến 5, hoặc “Không có ý kiến”.",
                    "a score must be a whole number from 1 to 5, or null for no opinion",
                )),
            }
        }
        let choices = parse_choices(&raw.choices, form, &mut errors);
        if answers.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "answers",
                "Vui lòng trả lời ít nhất một câu hỏi.",
                "Please answer at least one question.",
            ));
        }

        match (errors.is_empty(), id) {
            (true, Some(id)) => Ok(Submission {
                id,
                respondent_kind,
                procedure_code,
                comment,
                answers,
                choices,
            }),
            _ => Err(errors),
        }
    }
}

/// The choices of a submission: each an option of a choice question of the form, one option
/// at most for a single-choice question; repeats of the same option count once.
fn parse_choices(
    raw: &[(String, String)],
    form: &FormSpec,
    errors: &mut Vec<FieldError>,
) -> Vec<(i32, i16)> {
    let mut out: Vec<(i32, i16)> = Vec::new();
    for (code, value) in raw {
        let field = format!("choices.{}", clip(code));
        let Some(q) = form.choice(code) else {
            errors.push(FieldError::new(
                field,
                "Câu hỏi không có trong phiếu này.",
                format!("'{}' is not a choice question of this form", clip(code)),
            ));
            continue;
        };
        let Some(v) = value
            .trim()
            .parse::<i16>()
            .ok()
            .filter(|v| q.options.iter().any(|o| o.value == *v))
        else {
            errors.push(FieldError::new(
                field,
                "Vui lòng chọn một lựa chọn có trong câu hỏi.",
                format!("'{}' is not an option of {}", clip(value), q.code),
            ));
            continue;
        };
        if out.contains(&(q.id, v)) {
            continue;
        }
        if !q.multiple && out.iter().any(|&(id, _)| id == q.id) {
            errors.push(FieldError::new(
                field,
                "Câu hỏi này chỉ chọn một lựa chọn.",
                format!("{} takes one option", q.code),
            ));
            continue;
        }
        out.push((q.id, v));
    }
    out
}

/// A procedure code as the national database writes it (also the API schema's pattern).
pub(crate) fn is_procedure_code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
}

/// Echoing attacker-controlled text into an error: keep it short and on one line.
fn clip(s: &str) -> String {
    text::clip(s, 40)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::instrument::{Question, ScaleLevel};

    fn form() -> FormSpec {
        let q = |id: i32, code: &str| Question {
            item_id: id,
            code: code.into(),
            kind: "factor".into(),
            factor_code: Some(code.into()),
            factor_name_vi: None,
            factor_name_en: None,
            text_vi: String::new(),
            text_en: String::new(),
            slot: (id - 10) as usize,
        };
        let scale = (1..=5)
            .map(|v| ScaleLevel {
                value: v,
                label_vi: String::new(),
                label_en: String::new(),
            })
            .collect();
        FormSpec::new(1, "t".into(), scale, vec![q(10, "F1"), q(11, "F2")], 2)
    }

    fn raw(answers: Vec<(&str, RawAnswer)>) -> RawSubmission {
        RawSubmission {
            submission_id: Some(Uuid::new_v4().to_string()),
            answers: answers
                .into_iter()
                .map(|(c, a)| (c.to_owned(), a))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn no_opinion_is_kept_as_missing() {
        let s = Submission::parse(
            raw(vec![
                ("F1", RawAnswer::Score(5)),
                ("F2", RawAnswer::NoOpinion),
            ]),
            &form(),
        )
        .unwrap();
        assert_eq!(s.answers, vec![(10, Some(5)), (11, None)]);
    }

    #[test]
    fn out_of_range_unknown_and_repeated_answers_are_refused() {
        for bad in [
            vec![("F1", RawAnswer::Score(6))],
            vec![("F1", RawAnswer::Score(0))],
            vec![("F1", RawAnswer::Unreadable("x".into()))],
            vec![("F9", RawAnswer::Score(3))],
            vec![("F1", RawAnswer::Score(3)), ("F1", RawAnswer::Score(4))],
            vec![],
        ] {
            assert!(
                Submission::parse(raw(bad.clone()), &form()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn comments_are_bounded_and_cleaned() {
        let mut r = raw(vec![("F1", RawAnswer::Score(4))]);
        r.comment = Some("x".repeat(COMMENT_MAX_CHARS + 1));
        let errs = Submission::parse(r.clone(), &form()).unwrap_err();
        assert_eq!(errs[0].field, "comment");
        r.comment = Some(format!("  tốt\r\n\u{202E}lắm {}", "ă".repeat(1980)));
        let s = Submission::parse(r.clone(), &form()).unwrap();
        assert!(
            s.comment.unwrap().starts_with("tốt\nlắm"),
            "bidi controls removed"
        );
        r.comment = Some("tốt\u{0}lắm".into());
        let errs = Submission::parse(r.clone(), &form()).unwrap_err();
        assert_eq!(errs[0].field, "comment");
        assert!(
            errs[0].message_en.contains("U+0000 at character 4"),
            "{errs:?}"
        );
        // "Thủ tục" typed with combining marks (NFD, 9 code points) is stored as NFC (7) and
        // counted as NFC: 2000 decomposed letters of 3 code points each are 2000 characters.
        r.comment = Some("Thu\u{0309} tu\u{0323}c".into());
        let s = Submission::parse(r.clone(), &form()).unwrap();
        assert_eq!(s.comment.as_deref(), Some("Thủ tục"));
        r.comment = Some("u\u{031B}\u{0309}".repeat(COMMENT_MAX_CHARS));
        assert!(Submission::parse(r.clone(), &form()).is_ok());
        // A control character is refused, whatever the length.
        r.comment = Some(format!("{}\u{7}", "x".repeat(COMMENT_MAX_CHARS - 1)));
        assert!(Submission::parse(r, &form()).is_err());
    }

    #[test]
    fn the_submission_id_must_be_a_uuid() {
        let mut r = raw(vec![("F1", RawAnswer::Score(4))]);
        r.submission_id = Some("not-a-uuid".into());
        assert_eq!(
            Submission::parse(r, &form()).unwrap_err()[0].field,
            "submission_id"
        );
    }
}
