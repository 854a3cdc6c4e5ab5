//! Screening ratings that come without a receipt (issue #19, point 4): why a rating is held
//! for review, and the signed time a form was rendered at, so that a fill time is measured on
//! the server's clock alone.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use uuid::Uuid;

use super::signing;

/// Why a rating is held (`held_ratings.reasons`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Sent sooner after the form was shown than anyone reads it.
    FastFill,
    /// Posted to the form's address without a form this server rendered for it.
    NoRender,
    /// More ratings at its desk in ten minutes than the desk's own history makes plausible.
    Burst,
    /// More ratings at one desk in one day from one device than the limit.
    OneClient,
    /// A run of identical answers at a desk longer than its own share of those answers makes
    /// plausible.
    Identical,
    /// Given outside its desk's opening hours (more than the grace before or after).
    AfterHours,
}

impl Reason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::FastFill => "fast_fill",
            Reason::NoRender => "no_render",
            Reason::Burst => "burst",
            Reason::OneClient => "one_client",
            Reason::Identical => "identical",
            Reason::AfterHours => "after_hours",
        }
    }
}

/// One reason to hold a rating, with the numbers it was decided on.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub reason: Reason,
    pub details: Value,
}

const STAMP_DOMAIN: &[u8] = b"sipas/form-rendered/v1";
const CLIENT_DOMAIN: &[u8] = b"sipas/client-of-the-day/v1";

/// A client's name for one day: a keyed hash of its address under the day's salt. Without the
/// salt (deleted when the day ends) it cannot be matched with an address.
pub fn client_of_the_day(salt: &[u8], address: std::net::IpAddr) -> [u8; 32] {
    let bytes = match address {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    signing::tag(salt, CLIENT_DOMAIN, &bytes)
}
/// 8 bytes of time, 16 of tag.
const STAMP_RAW: usize = 24;

/// The time (Unix seconds) a form was rendered for one submission id, signed: a client can
/// neither move it nor reuse it for another rating.
pub fn sign_stamp(key: &[u8], submission_id: Uuid, rendered_at: i64) -> String {
    let mut raw = [0u8; STAMP_RAW];
    raw[..8].copy_from_slice(&rendered_at.to_be_bytes());
    let tag = signing::tag(key, STAMP_DOMAIN, &payload(submission_id, rendered_at));
    raw[8..].copy_from_slice(&tag[..16]);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The render time a stamp carries, if this server signed it for this submission id.
pub fn verify_stamp(key: &[u8], submission_id: Uuid, stamp: &str) -> Option<i64> {
    if stamp.len() != 32 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(stamp).ok()?;
    if raw.len() != STAMP_RAW {
        return None;
    }
    let rendered_at = i64::from_be_bytes(raw[..8].try_into().ok()?);
    signing::tag_matches(
        key,
        STAMP_DOMAIN,
        &payload(submission_id, rendered_at),
        &raw[8..],
    )
    .then_some(rendered_at)
}

fn payload(submission_id: Uuid, rendered_at: i64) -> [u8; 24] {
    let mut p = [0u8; 24];
    p[..16].copy_from_slice(submission_id.as_bytes());
    p[16..].copy_from_slice(&rendered_at.to_be_bytes());
    p
}

/// How a rating reached the service, as far as its fill time goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// Through the desk's form, with the stamp it carried back (if any).
    Form { stamp: Option<String> },
    /// Through the API (a kiosk or an app): no form of ours was shown.
    Api,
}

/// The fill-time flag of a rating posted at `now` (Unix seconds): none through the API; on
/// the form, `NoRender` without a valid stamp, `FastFill` under `min_seconds`.
pub fn fill_flag(
    key: &[u8],
    arrival: &Arrival,
    submission_id: Uuid,
    now: i64,
    min_seconds: u32,
) -> Option<Flag> {
    let Arrival::Form { stamp } = arrival else {
        return None;
    };
    let Some(rendered_at) = stamp
        .as_deref()
        .and_then(|s| verify_stamp(key, submission_id, s))
    else {
        return Some(Flag {
            reason: Reason::NoRender,
            details: serde_json::json!({ "stamp": if stamp.is_some() { "invalid" } else { "missing" } }),
        });
    };
    let seconds = now - rendered_at;
    (seconds < i64::from(min_seconds)).then(|| Flag {
        reason: Reason::FastFill,
        details: serde_json::json!({ "seconds": seconds, "min_seconds": min_seconds }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key-test-key-test-key-test-key";

    #[test]
    fn a_stamp_is_bound_to_its_submission_and_cannot_be_moved() {
        let id = Uuid::new_v4();
        let stamp = sign_stamp(KEY, id, 1_800_000_000);
        assert_eq!(stamp.len(), 32);
        assert_eq!(verify_stamp(KEY, id, &stamp), Some(1_800_000_000));
        assert_eq!(
            verify_stamp(KEY, Uuid::new_v4(), &stamp),
            None,
            "another rating"
        );
        assert_eq!(verify_stamp(b"another key", id, &stamp), None);
        // An earlier time with the same tag: refused.
        let mut raw = URL_SAFE_NO_PAD.decode(&stamp).unwrap();
        raw[7] ^= 0x40;
        assert_eq!(verify_stamp(KEY, id, &URL_SAFE_NO_PAD.encode(raw)), None);
        for junk in ["", "ờ", "🙂🙂🙂🙂🙂🙂🙂🙂", &"A".repeat(32), &stamp[..31]] {
            assert_eq!(verify_stamp(KEY, id, junk), None, "{junk}");
        }
    }

    #[test]
    fn the_fill_time_is_measured_on_the_server_clock_only() {
        let id = Uuid::new_v4();
        let form = |stamp: Option<String>| Arrival::Form { stamp };
        let stamp = sign_stamp(KEY, id, 1_000);
        assert_eq!(
            fill_flag(KEY, &form(Some(stamp.clone())), id, 1_030, 5),
            None
        );
        let fast = fill_flag(KEY, &form(Some(stamp)), id, 1_002, 5).unwrap();
        assert_eq!(fast.reason, Reason::FastFill);
        assert_eq!(fast.details["seconds"], 2);
        assert_eq!(
            fill_flag(KEY, &form(None), id, 1_002, 5).unwrap().reason,
            Reason::NoRender
        );
        assert_eq!(
            fill_flag(KEY, &form(Some("x".into())), id, 1_002, 5)
                .unwrap()
                .details["stamp"],
            "invalid"
        );
        assert_eq!(fill_flag(KEY, &Arrival::Api, id, 1_002, 5), None);
    }
}
