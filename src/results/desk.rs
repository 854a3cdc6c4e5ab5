//! The indices of the desk stream, computed from the raw answers with
//! `analysis::IndexAccumulator`. Ratings cluster by desk (the same staff, the same day), so the
//! stream's design has desks as clusters within agency strata: linearised variance over desks,
//! R's "adjust" rule for an agency with one desk, logit intervals with Student t on the
//! design's degrees of freedom for every index alike (docs/statistics.md).

use analysis::{
    DesignMethod, IndexAccumulator, IndexReport, IndexSpec, IntervalKind, LonelyPsu, ReportOptions,
    Respondent,
};

use crate::domain::FormSpec;

use super::MIN_N;

/// How the desk form's questions become an index: each factor-level question is its factor's
/// one item; the overall question is an item of its own, outside the overall SIPAS.
pub fn spec(form: &FormSpec) -> IndexSpec {
    IndexSpec {
        items: form.questions.len(),
        factors: form
            .questions
            .iter()
            .enumerate()
            .filter(|(_, q)| q.kind == "factor")
            .map(|(i, _)| vec![i])
            .collect(),
        threshold: 4,
    }
}

pub fn options() -> ReportOptions {
    ReportOptions {
        // One method for every index, item or composite: a factor asked by one question is
        // that question's estimate, with the same interval.
        interval: IntervalKind::Design(DesignMethod::Logit),
        min_n: MIN_N,
        // An agency with one desk: centred at the grand mean, as R's survey.lonely.psu =
        // "adjust" (an estimate resting on one desk alone takes its ratings as independent).
        lonely: LonelyPsu::Adjust,
        ..ReportOptions::default()
    }
}

/// An agency as a stratum of the stream's design.
pub fn stratum(agency_id: i32) -> u32 {
    u32::try_from(agency_id).unwrap_or(0)
}

/// A desk as a cluster of the stream's design.
pub fn cluster(desk_id: i32) -> u64 {
    u64::try_from(desk_id).unwrap_or(0)
}

/// The desk form's answers of one rating, in question order (`None`: skipped or no opinion).
pub fn answers_in_form_order(
    form: &FormSpec,
    answers: impl IntoIterator<Item = (i32, Option<i16>)>,
) -> Vec<Option<u8>> {
    let mut out = vec![None; form.questions.len()];
    for (item, value) in answers {
        if let (Some(i), Some(v)) = (form.questions.iter().position(|q| q.item_id == item), value) {
            out[i] = u8::try_from(v).ok();
        }
    }
    out
}

/// A rating as a cell's simple stream holds it: stratum 0, its own unit, weight 1 (the cell
/// knows its agency and desk).
pub fn respondent(answers: &[Option<u8>]) -> Respondent<'_> {
    Respondent {
        stratum: 0,
        psu: None,
        weight: 1.0,
        pop_size: None,
        answers,
    }
}

/// The report of responses under the stream's design. `rows` are (response, agency, desk,
/// item id, value) grouped by response, as `db::results::answers_in_period` returns them.
/// `None` when there are none.
pub fn report(
    form: &FormSpec,
    rows: &[crate::db::results::RatedAnswer],
) -> analysis::Result<Option<(IndexReport, u64)>> {
    let mut acc = IndexAccumulator::new(spec(form), true)?;
    let mut responses = 0u64;
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let (_, agency, desk, _, _) = group[0];
        let answers = answers_in_form_order(
            form,
            group.iter().map(|&(_, _, _, item, value)| (item, value)),
        );
        acc.add(&Respondent {
            stratum: stratum(agency),
            psu: Some(cluster(desk.unwrap_or(0))),
            ..respondent(&answers)
        })?;
        responses += 1;
    }
    if responses == 0 {
        return Ok(None);
    }
    Ok(Some((acc.report(None, &options())?, responses)))
}

/// Sums per factor question for its importance (its correlation with the overall question),
/// over ratings that answered both: n, Σx, Σy, Σx², Σy², Σxy, with x the factor's score and y
/// the overall question's. Stored after the accumulator's statistics in every aggregate cell,
/// so that any period's importance is a sum of cells like its indices.
pub const PAIR_TERMS: usize = 6;

pub fn pairs_len(form: &FormSpec) -> usize {
    form.factor_count() * PAIR_TERMS
}

/// Adds one rating's terms to `sums` (of `pairs_len`).
pub fn add_pairs(form: &FormSpec, answers: &[Option<u8>], sums: &mut [f64]) {
    let Some(y) = form
        .questions
        .iter()
        .position(|q| q.kind == "overall")
        .and_then(|i| answers.get(i).copied().flatten())
    else {
        return;
    };
    let y = f64::from(y);
    let factors = form
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind == "factor");
    for (f, (i, _)) in factors.enumerate() {
        if let Some(x) = answers.get(i).copied().flatten() {
            let x = f64::from(x);
            let s = &mut sums[f * PAIR_TERMS..(f + 1) * PAIR_TERMS];
            s[0] += 1.0;
            s[1] += x;
            s[2] += y;
            s[3] += x * x;
            s[4] += y * y;
            s[5] += x * y;
        }
    }
}

/// A factor's importance: Pearson's r between its score and the overall question's, over the
/// `n` ratings that answered both, with its 95% interval by Fisher's z.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Importance {
    pub r: f64,
    pub n: u64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Below this many ratings answering both, a factor's importance is shown with its interval
/// but no quadrant of "what to improve first" is claimed: at 30 the interval of r is about
/// ±0.35 wide, at 100 still about ±0.2.
pub const IMPORTANCE_MIN_N: u64 = 100;

/// Each factor's importance (see `Importance`); `None` below the minimum n or without spread.
pub fn importance(form: &FormSpec, sums: &[f64]) -> Vec<Option<Importance>> {
    (0..form.factor_count())
        .map(|f| {
            let s = sums.get(f * PAIR_TERMS..(f + 1) * PAIR_TERMS)?;
            let (n, sx, sy, sxx, syy, sxy) = (s[0], s[1], s[2], s[3], s[4], s[5]);
            if n < MIN_N as f64 {
                return None;
            }
            let vx = n * sxx - sx * sx;
            let vy = n * syy - sy * sy;
            if vx <= 0.0 || vy <= 0.0 {
                return None;
            }
            let r = (n * sxy - sx * sy) / (vx * vy).sqrt();
            let (ci_low, ci_high) = analysis::compare::correlation_interval(r, n, 0.95)
                .ok()
                .flatten()?;
            Some(Importance {
                r,
                n: n as u64,
                ci_low,
                ci_high,
            })
        })
        .collect()
}
