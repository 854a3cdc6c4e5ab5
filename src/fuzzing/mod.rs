//! Entry points for the fuzz targets (`fuzz/fuzz_targets/`) and their regression tests: one
//! per parser that takes outside input. Each takes arbitrary bytes, runs the same code the
//! service runs on them, and checks what must hold whatever the input — it never panics on
//! its own, so any panic is a bug the fuzzer found. No I/O, no database.
//!
//! The properties, beyond "does not crash":
//! - the desk form and the JSON API agree: a body the API reads gives the same verdict (and
//!   the same rating) as the same fields posted through the form;
//! - an accepted rating holds only scores 1–5 or "no opinion", a comment within its length;
//! - a desk token is accepted only in the exact spelling the service issued, and no typo in a
//!   token or an invitation code ever names another desk or another person;
//! - a refused file names a line for every problem, and an accepted one only known agencies,
//!   the wave's year, invited units.

pub mod text;
pub mod vietnamese;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;

use crate::analyze;
use crate::domain::instrument::{InstrumentFile, BUNDLED_INSTRUMENTS};
use crate::domain::invitation::Invitation;
use crate::domain::submission::{RawAnswer, COMMENT_MAX_CHARS};
use crate::domain::{api_body, DeskToken, FormSpec, Question, RawSubmission, Submission};
use crate::survey::{frame, returns, table::Parsed};

const KEY: &[u8] = b"fuzzing-key-fuzzing-key-fuzzing-key!";

/// A fuzz target: arbitrary bytes in, a panic if a property fails.
pub type Target = fn(&[u8]);

/// Every target, by the name its fuzz binary and corpus folder carry.
pub const TARGETS: &[(&str, Target)] = &[
    ("form_body", form_body),
    ("api_body", api_body),
    ("desk_token", desk_token),
    ("invitation_code", invitation_code),
    ("instrument", instrument),
    ("analyze_csv", analyze_csv),
    ("frame_csv", frame_csv),
    ("returns_csv", returns_csv),
    ("masker", text::masker),
    ("search", text::search),
    ("csv_cell", text::csv_cell),
    ("mail", text::mail),
];

/// The bundled instrument's desk form, as the database would give it (item ids by position).
pub fn desk_form() -> &'static FormSpec {
    static FORM: OnceLock<FormSpec> = OnceLock::new();
    FORM.get_or_init(|| {
        let file = InstrumentFile::parse(BUNDLED_INSTRUMENTS[0]).expect("bundled instrument");
        let items: Vec<&str> = file.item_codes().collect();
        let questions = file
            .forms
            .desk
            .iter()
            .map(|code| {
                let slot = items.iter().position(|c| c == code).expect("desk item");
                Question {
                    item_id: slot as i32 + 1,
                    code: code.clone(),
                    kind: "factor".into(),
                    factor_code: None,
                    factor_name_vi: None,
                    factor_name_en: None,
                    text_vi: String::new(),
                    text_en: String::new(),
                    slot,
                }
            })
            .collect();
        FormSpec::new(1, file.code.clone(), Vec::new(), questions, items.len())
    })
}

/// What must hold of an accepted rating.
fn check_accepted(s: &Submission) {
    assert!(!s.id.is_nil());
    for (item, score) in &s.answers {
        assert!(desk_form().questions.iter().any(|q| q.item_id == *item));
        assert!(score.is_none_or(|v| (1..=5).contains(&v)), "{score:?}");
    }
    if let Some(c) = &s.comment {
        assert!(!c.is_empty() && c.chars().count() <= COMMENT_MAX_CHARS);
        assert!(!c
            .chars()
            .any(|ch| ch.is_control() && ch != '\n' && ch != '\t'));
    }
    desk_form()
        .stored_answers(&s.answers)
        .expect("an accepted rating can be stored");
}

fn verdict(raw: RawSubmission) -> Result<Submission, Vec<String>> {
    Submission::parse(raw, desk_form()).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                assert!(
                    !e.field.is_empty() && !e.message_vi.is_empty() && !e.message_en.is_empty()
                );
                e.field
            })
            .collect()
    })
}

/// The desk form's body (`application/x-www-form-urlencoded`).
pub fn form_body(data: &[u8]) {
    let Some(pairs) = crate::domain::form_body::pairs(data) else {
        return;
    };
    if let Ok(s) = verdict(RawSubmission::from_form_pairs(&pairs)) {
        check_accepted(&s);
    }
}

/// The form fields that carry the same values as an API body.
fn as_form_pairs(raw: &RawSubmission) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            pairs.push((k.to_owned(), v.clone()));
        }
    };
    put("submission_id", &raw.submission_id);
    put("respondent_kind", &raw.respondent_kind);
    put("procedure_code", &raw.procedure_code);
    put("comment", &raw.comment);
    for (code, answer) in &raw.answers {
        let value = match answer {
            RawAnswer::Score(v) => v.to_string(),
            RawAnswer::NoOpinion => "na".to_owned(),
            RawAnswer::Unreadable(s) => s.clone(),
        };
        pairs.push((format!("a.{code}"), value));
    }
    pairs
}

/// The JSON body of `POST /api/v1/responses`; and the form, given the same fields, agrees.
pub fn api_body(data: &[u8]) {
    let Ok(body) = api_body::parse(data) else {
        return;
    };
    let through_form = RawSubmission::from_form_pairs(&as_form_pairs(&body.raw));
    let (api, form) = (verdict(body.raw), verdict(through_form));
    match (&api, &form) {
        (Ok(a), Ok(f)) => {
            check_accepted(a);
            assert_eq!(
                (a.id, &a.answers, &a.comment, &a.procedure_code),
                (f.id, &f.answers, &f.comment, &f.procedure_code),
                "the two doors stored different ratings"
            );
        }
        (Err(a), Err(f)) => {
            let (a, f): (HashSet<_>, HashSet<_>) = (a.iter().collect(), f.iter().collect());
            assert_eq!(a, f, "the two doors refused different fields");
        }
        _ => panic!("the API said {api:?} where the form said {form:?}"),
    }
}

/// Applies edits (position, byte) taken from `edits` to an ASCII string.
fn edited(original: &str, edits: &[u8]) -> String {
    let mut bytes = original.as_bytes().to_vec();
    for e in edits.chunks_exact(2) {
        if bytes.is_empty() {
            break;
        }
        let at = usize::from(e[0]) % (bytes.len() + 1);
        match e[1] {
            // Remove, insert or replace a character.
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            b @ 0x20..=0x7e if at == bytes.len() || e[0] & 0x80 != 0 => bytes.insert(at, b),
            b @ 0x20..=0x7e => bytes[at] = b,
            _ => {}
        }
    }
    String::from_utf8(bytes).expect("ASCII edits of an ASCII string")
}

/// A desk token as typed or scanned: only the exact issued spelling names a desk. Input
/// starting with `V` builds a valid token from the next bytes and edits it with the rest.
pub fn desk_token(data: &[u8]) {
    if let [b'V', a, b, c, d, v, edits @ ..] = data {
        let desk_id = (i32::from_be_bytes([*a, *b, *c, *d]) & 0x7fff_ffff).max(1);
        let original = DeskToken {
            desk_id,
            key_version: i16::from(*v) + 1,
        };
        let issued = original.sign(KEY);
        assert_eq!(DeskToken::verify(&issued, KEY).ok(), Some(original));
        let typed = edited(&issued, edits);
        if let Ok(t) = DeskToken::verify(&typed, KEY) {
            assert_eq!(t, original, "a typo named another desk");
            assert_eq!(typed, issued, "a second spelling of a token was accepted");
        }
        return;
    }
    let typed = String::from_utf8_lossy(data);
    if let Ok(t) = DeskToken::verify(&typed, KEY) {
        assert_eq!(t.sign(KEY), typed, "only the issued spelling is accepted");
    }
}

/// An invitation code as typed from a letter (any case, dashes, o/i/l for 0/1/1): no typo
/// names another person. Input starting with `V` edits a valid code.
pub fn invitation_code(data: &[u8]) {
    if let [b'V', a, b, c, d, edits @ ..] = data {
        let unit_id = i64::from(u32::from_be_bytes([*a, *b, *c, *d]).max(1));
        let original = Invitation { unit_id };
        let code = original.sign(KEY);
        assert_eq!(Invitation::verify(&code, KEY), Some(original));
        assert_eq!(
            Invitation::verify(&Invitation::grouped(&code).to_lowercase(), KEY),
            Some(original)
        );
        if let Some(found) = Invitation::verify(&edited(&code, edits), KEY) {
            assert_eq!(found, original, "a typo named another person");
        }
        return;
    }
    if let Some(found) = Invitation::verify(&String::from_utf8_lossy(data), KEY) {
        assert_eq!(Invitation::verify(&found.sign(KEY), KEY), Some(found));
    }
}

/// An instrument file (TOML).
pub fn instrument(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = InstrumentFile::parse(text) {
        let codes: Vec<&str> = file.item_codes().collect();
        let unique: HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(codes.len(), unique.len(), "item codes are unique");
        assert!(file.forms.desk.iter().all(|c| unique.contains(c.as_str())));
    }
}

/// `sipas analyze`'s CSV, under each kind of estimate (the first byte chooses).
pub fn analyze_csv(data: &[u8]) {
    let Some((&choice, csv)) = data.split_first() else {
        return;
    };
    let column = || "y".to_owned();
    let target = match choice % 4 {
        0 => analyze::Target::Measure {
            column: column(),
            threshold: 4.0,
        },
        1 => analyze::Target::Mean { column: column() },
        2 => analyze::Target::Total { column: column() },
        _ => analyze::Target::Ratio {
            numerator: column(),
            denominator: "x".into(),
        },
    };
    let design = choice & 4 != 0;
    let opts = analyze::Options {
        target,
        strata: design.then(|| "stratum".into()),
        cluster: (choice & 8 != 0).then(|| "psu".into()),
        weight: design.then(|| "w".into()),
        fpc: (design && choice & 16 != 0).then(|| "fpc".into()),
        by: (choice & 32 != 0).then(|| "group".into()),
        method: None,
        level: 0.95,
        lonely_psu: analyze::Lonely::Adjust,
    };
    if let Ok(rows) = analyze::run(csv, &opts) {
        for r in &rows {
            assert!(!r.estimate.is_infinite(), "{r:?}");
        }
        let _ = analyze::render(&rows, analyze::Format::Json);
    }
}

/// Where every refused file's problems point.
fn check_refusal<T>(parsed: &Parsed<T>, max_errors: usize) {
    if let Parsed::Invalid { errors, .. } = parsed {
        assert!(!errors.is_empty() && errors.len() <= max_errors);
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }
}

/// A sampling frame file.
pub fn frame_csv(data: &[u8]) {
    let agencies: HashMap<String, i32> = [("T1".to_owned(), 1), ("SNV.02".to_owned(), 2)].into();
    let existing: HashSet<String> = ["HS-OLD".to_owned()].into();
    let rules = frame::FrameRules {
        agencies: &agencies,
        year: 2026,
        existing: &existing,
        max_errors: 20,
    };
    let parsed = frame::parse(data, &rules, &mut |_| {});
    check_refusal(&parsed, 20);
    if let Parsed::Valid(rows) = parsed {
        let mut codes = HashSet::new();
        for r in rows {
            assert!(agencies.values().any(|id| *id == r.agency_id));
            assert_eq!(chrono::Datelike::year(&r.completed_on), 2026);
            assert!(!existing.contains(&r.dossier_code) && codes.insert(r.dossier_code));
        }
    }
}

/// A returns file from the post office (invitation code, outcome, date).
pub fn returns_csv(data: &[u8]) {
    let units: HashMap<i64, String> = [
        (1, "invited".to_owned()),
        (2, "responded".to_owned()),
        (3, "returned".to_owned()),
    ]
    .into();
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
    let rules = returns::ReturnRules {
        key: KEY,
        units: &units,
        today,
        max_errors: 20,
    };
    let parsed = returns::parse(data, &rules);
    check_refusal(&parsed, 20);
    if let Parsed::Valid(rows) = parsed {
        for r in rows {
            assert!(units.contains_key(&r.unit_id) && r.on <= today);
        }
    }
}

/// The seed of a corpus: inputs that reach past the first checks of each target.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let token = DeskToken {
        desk_id: 7,
        key_version: 1,
    }
    .sign(KEY);
    let code = Invitation { unit_id: 2 }.sign(KEY);
    let id = "0b7e6f0a-4c2d-4e5f-9a1b-2c3d4e5f6a7b";
    let text: Vec<String> = match target {
        "form_body" => vec![
            format!("submission_id={id}&a.F1=5&a.F2=na&a.OVERALL=4&comment=T%E1%BB%91t&lang=vi"),
            format!("submission_id={id}&a.F1=9&respondent_kind=organisation&procedure_code=1.001"),
            "a.F1=&submission_id=&website=x".into(),
        ],
        "api_body" => vec![
            format!(r#"{{"submission_id":"{id}","desk_token":"{token}","answers":{{"F1":5,"F2":null}}}}"#),
            format!(r#"{{"submission_id":"{id}","desk_token":"{token}","channel":"desk_qr","respondent_kind":"organisation","procedure_code":"2.000/a","comment":"Rất tốt","answers":{{"OVERALL":4}}}}"#),
            format!(r#"{{"submission_id":"{}","desk_token":"x","answers":{{"F1":"5","F9":7}}}}"#, id.to_uppercase()),
        ],
        "desk_token" => vec![token.clone(), format!("{token}="), "V\0\0\0\x07\0\x05A".into()],
        "invitation_code" => vec![code.clone(), Invitation::grouped(&code), "V\0\0\0\x02\x03O".into()],
        "instrument" => vec![BUNDLED_INSTRUMENTS[0].to_owned()],
        "analyze_csv" => vec![
            "\0y,group\n5,a\n4,a\n2,b\n".into(),
            "\x05stratum,psu,w,y\n1,1,10,5\n1,2,10,3\n2,3,5,4\n2,4,5,1\n".into(),
            "\x03y,x\n3,4\n5,5\n".into(),
        ],
        "frame_csv" => vec![
            "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address\n\
             HS-1,T1,1.001,2026-03-04,individual,Nguyễn Văn A,0912345678,a@example.vn,Hà Nội\n\
             HS-2,SNV.02,,2026-05-06,organisation,Công ty B,,,\n".into(),
            "dossier_code,agency_code\nHS-1,NOPE\n".into(),
        ],
        "returns_csv" => vec![
            format!("invitation_code,outcome,date\n{code},returned,2026-11-20\n"),
            "invitation_code,outcome,date\nAAAA-BBBB,lost,2027-01-01\n".into(),
        ],
        // The text targets: an odd first byte reads the rest as UTF-8.
        "masker" => vec![
            "\x01Quầy số 1+2 làm nhanh".into(),
            "\x01SĐT 0912 345 678, email nguyen.van.a@gmail.com, CCCD 079123456789".into(),
            "\x01(028) 3829 1234 · +84 912 345 678 · 100.000.000 đồng".into(),
            "\x00\x0e\x05\x0e\x06\x07\x03\x07\x04\x09\x01\x07\x02".into(),
        ],
        "search" => vec![
            "\x07\x01can bo\x01Cán bộ hẹn gọi 0912 345 678".into(),
            "\x04\x01DUONG\x01Đường Lê Lợi, chờ lâu".into(),
        ],
        "csv_cell" => vec![
            "\x01Tốt;=cmd|' /C calc'!A0".into(),
            "\x01=HYPERLINK(\"http://evil.example\",\"Xem\")".into(),
            "\x10-2+3+cmd|' /C calc'!A0".into(),
        ],
        "mail" => vec![
            "Nguyễn\x1fSở Tư pháp\x1fKhảo sát 2026\x1flan@example.vn".into(),
            "Lan\r\nBcc: x@y.vn\x1fA\x1fB\x1fa@b.vn".into(),
        ],
        _ => Vec::new(),
    };
    text.into_iter().map(String::into_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_takes_its_seeds_and_odd_bytes() {
        for (name, target) in TARGETS {
            let seeds = seeds(name);
            assert!(!seeds.is_empty(), "{name} has seeds");
            for s in seeds {
                target(&s);
            }
            for odd in [
                &b""[..],
                b"\xff\xfe",
                b"\0",
                b"V",
                b"V\xff\xff\xff\xff\xff\xff\x00",
            ] {
                target(odd);
            }
        }
    }

    #[test]
    fn the_form_and_the_api_agree_on_a_valid_and_an_invalid_rating() {
        for body in seeds("api_body") {
            api_body(&body);
        }
    }
}
