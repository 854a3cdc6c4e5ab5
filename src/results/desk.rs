//! The indices of the desk stream (a convenience sample: binomial intervals for items, logit
//! intervals on the linearised variance for composites; METHODOLOGY.md §3–§4), computed from
//! the raw answers of one agency and period with `analysis::IndexAccumulator`.

use analysis::{
    BinomialMethod, IndexAccumulator, IndexReport, IndexSpec, IntervalKind, LonelyPsu,
    ReportOptions, Respondent,
};
use uuid::Uuid;

use crate::domain::FormSpec;

/// Minimum valid n below which an index is "not reported" (METHODOLOGY.md §4).
pub const MIN_N: u64 = 30;

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
        interval: IntervalKind::Binomial(BinomialMethod::Wilson),
        min_n: MIN_N,
        // The stream is one stratum of respondents; a period with a single respondent has no
        // variance to estimate (and is suppressed by the minimum n), not an error.
        lonely: LonelyPsu::Remove,
        ..ReportOptions::default()
    }
}

/// The report of one agency's responses. `rows` are (response, item id, value) grouped by
/// response, as `db::results::answers_in_period` returns them. `None` when there are none.
pub fn report(
    form: &FormSpec,
    rows: &[(Uuid, i32, Option<i16>)],
) -> analysis::Result<Option<(IndexReport, u64)>> {
    let mut acc = IndexAccumulator::new(spec(form), false)?;
    let position = |item: i32| form.questions.iter().position(|q| q.item_id == item);
    let mut answers = vec![None; form.questions.len()];
    let mut responses = 0u64;
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        answers.iter_mut().for_each(|a| *a = None);
        for &(_, item, value) in group {
            if let (Some(i), Some(v)) = (position(item), value) {
                answers[i] = u8::try_from(v).ok();
            }
        }
        // Each respondent of the stream is its own unit: one stratum, weight 1.
        acc.add(&Respondent {
            stratum: 0,
            psu: None,
            weight: 1.0,
            pop_size: None,
            answers: &answers,
        })?;
        responses += 1;
    }
    if responses == 0 {
        return Ok(None);
    }
    Ok(Some((acc.report(None, &options())?, responses)))
}
