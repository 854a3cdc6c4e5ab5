//! Receipts (issue #19): one single-use rating link per completed dossier, issued by the
//! province's one-stop system.
//!
//! - A receipt token is `base64url(receipt id ‖ HMAC tag[..10])`, 24 characters, so its URL
//!   fits an SMS. The tag makes tokens unguessable; the id finds the receipt's agency and desk.
//! - A receipt's *nullifier* is a keyed hash of its token: the one trace of its use, stored in
//!   a table of its own with nothing else, so that a receipt rates once and a copy of the
//!   database cannot tell which rating it gave.
//! - A dossier is stored only as a keyed hash of its code, which makes issuing idempotent per
//!   dossier without keeping the code.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::signing;
use super::submission::is_procedure_code;
use super::FieldError;

const TAG_LEN: usize = 10;
const RAW_LEN: usize = 8 + TAG_LEN;
/// Characters of a token.
pub const TOKEN_LEN: usize = 24;
const TOKEN_DOMAIN: &[u8] = b"sipas/receipt-token/v1";
const NULLIFIER_DOMAIN: &[u8] = b"sipas/receipt-nullifier/v1";
const DOSSIER_DOMAIN: &[u8] = b"sipas/dossier/v1";

/// The most receipts one batch request or import may carry.
pub const BATCH_MAX: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptToken {
    pub receipt_id: i64,
}

impl ReceiptToken {
    pub fn sign(&self, key: &[u8]) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[..8].copy_from_slice(&self.receipt_id.to_be_bytes());
        let tag = signing::tag(key, TOKEN_DOMAIN, &raw[..8]);
        raw[8..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks the signature only; whether the receipt exists, expired or was used is the
    /// database's call.
    pub fn verify(token: &str, key: &[u8]) -> Option<ReceiptToken> {
        if token.len() != TOKEN_LEN {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != RAW_LEN || !signing::tag_matches(key, TOKEN_DOMAIN, &raw[..8], &raw[8..]) {
            return None;
        }
        let receipt_id = i64::from_be_bytes(raw[..8].try_into().ok()?);
        (receipt_id > 0).then_some(ReceiptToken { receipt_id })
    }

    /// The keyed hash stored when the receipt is used. Without the key, it cannot be computed
    /// from a receipt's row, nor turned back into one.
    pub fn nullifier(&self, key: &[u8]) -> [u8; 32] {
        signing::tag(key, NULLIFIER_DOMAIN, &self.receipt_id.to_be_bytes())
    }
}

/// The keyed hash a dossier code is stored as, within its agency: the same code at two
/// agencies is two dossiers, so a system cannot learn from a refusal that another agency has a
/// dossier of that code, nor take the code before it.
pub fn dossier_hash(key: &[u8], agency_code: &str, dossier_code: &str) -> [u8; 32] {
    // Neither code can hold a NUL (`is_dossier_code`, the registry's code rule).
    let payload = [agency_code.as_bytes(), &[0], dossier_code.as_bytes()].concat();
    signing::tag(key, DOSSIER_DOMAIN, &payload)
}

/// A dossier code as the one-stop systems write it: 1–64 of A–Z, a–z, 0–9, '.', '_', '/', '-'
/// (the same rule as the sampling frame's).
pub fn is_dossier_code(s: &str) -> bool {
    is_procedure_code(s)
}

/// A receipt asked for, checked field by field, not yet placed (the agency code and the desk
/// are the database's to resolve within the system's scope).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiptRequest {
    pub dossier_code: String,
    pub agency_code: String,
    pub desk_id: Option<i32>,
    pub procedure_code: Option<String>,
    /// The day in Vietnam the result was returned.
    pub returned_on: NaiveDate,
}

/// Why a receipt body cannot be read at all (400), or which of its fields the rules refuse
/// (422, each named with `prefix`).
#[derive(Debug, PartialEq)]
pub enum RequestError {
    Malformed,
    Invalid(Vec<FieldError>),
}

const MEMBERS: [&str; 5] = [
    "dossier_code",
    "agency_code",
    "desk_id",
    "procedure_code",
    "returned_at",
];

/// Reads one receipt object. `prefix` names its fields in errors (`receipts[3].` in a batch);
/// `today` is the day in Vietnam and `lifetime` the days a receipt lives: a result returned in
/// the future, or longer ago than a receipt lives, is refused.
pub fn read_request(
    object: Map<String, Value>,
    prefix: &str,
    today: NaiveDate,
    lifetime: u32,
) -> Result<ReceiptRequest, RequestError> {
    if object.keys().any(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(RequestError::Malformed);
    }
    let text = |name: &str| match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RequestError::Malformed),
    };
    let dossier = text("dossier_code")?;
    let agency = text("agency_code")?;
    let procedure = text("procedure_code")?;
    let returned = text("returned_at")?;
    let desk_id = match object.get("desk_id") {
        None | Some(Value::Null) => None,
        // JSON Schema counts 3.0 as an integer, so the API does too.
        Some(Value::Number(n)) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
            _ => 0,
        }),
        Some(_) => return Err(RequestError::Malformed),
    };
    let mut errors = Vec::new();
    let mut refuse = |field: &str, vi: &str, en: &str| {
        errors.push(FieldError::new(format!("{prefix}{field}"), vi, en));
    };
    match dossier.as_deref() {
        Some(c) if is_dossier_code(c) => {}
        Some(_) => refuse(
            "dossier_code",
            "Mã hồ sơ gồm 1–64 ký tự chữ không dấu, số và các dấu . _ / -.",
            "dossier_code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'",
        ),
        None => refuse(
            "dossier_code",
            "Thiếu mã hồ sơ.",
            "dossier_code is required",
        ),
    }
    let agency_code = match agency.as_deref() {
        Some(c) => match super::registry::code(&format!("{prefix}agency_code"), c) {
            // Exactly as the registry spells it: no surrounding space either.
            Ok(code) if code == c => code,
            Ok(_) | Err(_) => {
                refuse(
                    "agency_code",
                    "Mã cơ quan gồm 1–64 ký tự chữ không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.",
                    "agency_code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'",
                );
                String::new()
            }
        },
        None => {
            refuse(
                "agency_code",
                "Thiếu mã cơ quan.",
                "agency_code is required",
            );
            String::new()
        }
    };
    let desk_id = match desk_id {
        None => None,
        Some(d) => match i32::try_from(d) {
            Ok(d) if d > 0 => Some(d),
            _ => {
                refuse(
                    "desk_id",
                    "Mã quầy phải là số nguyên dương.",
                    "desk_id must be a positive integer",
                );
                None
            }
        },
    };
    if procedure.as_deref().is_some_and(|c| !is_procedure_code(c)) {
        refuse(
            "procedure_code",
            "Mã thủ tục gồm 1–64 ký tự chữ không dấu, số và các dấu . _ / -.",
            "procedure_code must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '/', '-'",
        );
    }
    let returned_on = match returned.as_deref().map(DateTime::parse_from_rfc3339) {
        Some(Ok(t)) => {
            let day = in_vietnam(t);
            if day > today {
                refuse(
                    "returned_at",
                    "Thời điểm trả kết quả ở tương lai.",
                    "returned_at is in the future",
                );
            } else if (today - day).num_days() > i64::from(lifetime) {
                refuse(
                    "returned_at",
                    "Kết quả đã trả quá lâu: biên nhận sẽ hết hạn trước khi được dùng.",
                    "returned_at is older than a receipt lives (SIPAS_RECEIPT_DAYS)",
                );
            }
            Some(day)
        }
        Some(Err(_)) => {
            refuse(
                "returned_at",
                "Thời điểm trả kết quả phải theo RFC 3339, ví dụ 2026-12-07T09:30:00+07:00.",
                "returned_at must be an RFC 3339 date-time, e.g. 2026-12-07T09:30:00+07:00",
            );
            None
        }
        None => {
            refuse(
                "returned_at",
                "Thiếu thời điểm trả kết quả.",
                "returned_at is required",
            );
            None
        }
    };
    match returned_on {
        Some(returned_on) if errors.is_empty() => Ok(ReceiptRequest {
            dossier_code: dossier.unwrap_or_default(),
            agency_code,
            desk_id,
            procedure_code: procedure,
            returned_on,
        }),
        _ => Err(RequestError::Invalid(errors)),
    }
}

/// The day in Vietnam (UTC+7, no daylight saving) of an instant.
fn in_vietnam(t: DateTime<FixedOffset>) -> NaiveDate {
    let vn = FixedOffset::east_opt(7 * 3600).expect("a valid offset");
    t.with_timezone(&Utc).with_timezone(&vn).date_naive()
}

/// The last instant a receipt expiring on `day` is valid: the day's end in Vietnam.
pub fn expires_at(day: NaiveDate) -> String {
    format!("{day}T23:59:59+07:00")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    #[test]
    fn a_token_round_trips_is_short_and_cannot_be_forged() {
        let t = ReceiptToken {
            receipt_id: 987_654,
        };
        let s = t.sign(KEY);
        assert_eq!(s.len(), TOKEN_LEN);
        assert_eq!(ReceiptToken::verify(&s, KEY), Some(t));
        assert_eq!(ReceiptToken::verify(&s, b"another key"), None);
        let mut raw = URL_SAFE_NO_PAD.decode(&s).unwrap();
        raw[7] ^= 1;
        assert_eq!(
            ReceiptToken::verify(&URL_SAFE_NO_PAD.encode(raw), KEY),
            None
        );
        assert_eq!(ReceiptToken::verify("short", KEY), None);
        // A desk token is not a receipt token, nor the reverse: the domains differ.
        let desk = super::super::DeskToken {
            desk_id: 1,
            key_version: 1,
        }
        .sign(KEY);
        assert_eq!(ReceiptToken::verify(&desk, KEY), None);
        assert!(super::super::DeskToken::verify(&s, KEY).is_err());
    }

    #[test]
    fn nullifiers_and_dossier_hashes_are_keyed() {
        let t = ReceiptToken { receipt_id: 5 };
        assert_ne!(t.nullifier(KEY), t.nullifier(b"other"));
        assert_ne!(
            t.nullifier(KEY),
            ReceiptToken { receipt_id: 6 }.nullifier(KEY)
        );
        assert_eq!(
            dossier_hash(KEY, "SO-TP", "H12.34-2026/001"),
            dossier_hash(KEY, "SO-TP", "H12.34-2026/001")
        );
        assert_ne!(
            dossier_hash(KEY, "SO-TP", "H12.34-2026/001"),
            dossier_hash(b"other", "SO-TP", "H12.34-2026/001")
        );
        assert_ne!(
            dossier_hash(KEY, "SO-TP", "H12.34-2026/001"),
            dossier_hash(KEY, "SO-KHAC", "H12.34-2026/001"),
            "the same code at another agency is another dossier"
        );
    }

    fn read(v: Value) -> Result<ReceiptRequest, RequestError> {
        let Value::Object(m) = v else { panic!() };
        read_request(m, "", NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), 30)
    }

    #[test]
    fn a_request_is_read_with_its_day_in_vietnam() {
        let r = read(json!({
            "dossier_code": "000.00.17.H12-261207-0001",
            "agency_code": "SO-TP",
            "desk_id": 3,
            "procedure_code": "1.001234",
            // 18:30 UTC on the 6th is 01:30 on the 7th in Vietnam.
            "returned_at": "2026-12-06T18:30:00Z",
        }))
        .unwrap();
        assert_eq!(r.returned_on, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(r.desk_id, Some(3));
    }

    #[test]
    fn each_refused_field_is_named() {
        let Err(RequestError::Invalid(errors)) = read(json!({
            "dossier_code": "hồ sơ 1",
            "agency_code": "SỞ TP",
            "desk_id": 0,
            "procedure_code": "a b",
            "returned_at": "07/12/2026",
        })) else {
            panic!("refused")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "dossier_code",
                "agency_code",
                "desk_id",
                "procedure_code",
                "returned_at"
            ]
        );
        let future = read(
            json!({"dossier_code": "A1", "agency_code": "SO", "returned_at": "2026-12-09T08:00:00+07:00"}),
        );
        assert!(matches!(future, Err(RequestError::Invalid(e)) if e[0].field == "returned_at"));
        let stale = read(
            json!({"dossier_code": "A1", "agency_code": "SO", "returned_at": "2026-10-01T08:00:00+07:00"}),
        );
        assert!(matches!(stale, Err(RequestError::Invalid(e)) if e[0].field == "returned_at"));
        // A member of the wrong type, or an unknown one, is not the documented shape.
        assert_eq!(
            read(json!({"dossier_code": 5})),
            Err(RequestError::Malformed)
        );
        assert_eq!(
            read(
                json!({"dossier_code": "A", "agency_code": "S", "returned_at": "2026-12-07T08:00:00Z", "citizen_phone": "0912345678"})
            ),
            Err(RequestError::Malformed)
        );
    }
}
