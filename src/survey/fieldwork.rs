//! Where a wave's fieldwork stands: each stratum's dispositions and AAPOR's response rate RR1.

use super::*;

/// One stratum's fieldwork with its response rate.
pub struct StratumFieldwork {
    pub counts: db::fieldwork::Dispositions,
    /// AAPOR RR1, `None` before anyone is invited.
    pub rr1: Option<f64>,
}

/// The formula behind the response rates, as printed next to them.
pub const RR1_FORMULA: &str = "RR1 = I / (I + P + R + NC + O + UH + UO): completed questionnaires over every unit invited (main sample and replacements; a replaced unit keeps its disposition; no partial interviews; units not heard from count as eligible).";

/// The fieldwork per stratum and in total (the last line, agency "").
pub fn fieldwork(
    conn: &mut Conn,
    wave_id: i32,
) -> std::result::Result<Vec<StratumFieldwork>, db::QueryError> {
    let per = db::fieldwork::dispositions(conn, wave_id)?;
    let mut total = db::fieldwork::Dispositions::default();
    for d in &per {
        total.invited += d.invited;
        total.responded += d.responded;
        total.refused += d.refused;
        total.undeliverable += d.undeliverable;
        total.returned += d.returned;
        total.waiting += d.waiting;
        total.replaced += d.replaced;
        total.reserve_left += d.reserve_left;
    }
    let rate = |d: &db::fieldwork::Dispositions| {
        (d.invited > 0).then(|| d.responded as f64 / d.invited as f64)
    };
    let mut out: Vec<StratumFieldwork> = per
        .into_iter()
        .map(|counts| StratumFieldwork {
            rr1: rate(&counts),
            counts,
        })
        .collect();
    if !out.is_empty() {
        out.push(StratumFieldwork {
            rr1: rate(&total),
            counts: total,
        });
    }
    Ok(out)
}
