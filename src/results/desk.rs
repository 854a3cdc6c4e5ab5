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

pub fn respondent(answers: &[Option<u8>]) -> Respondent<'_> {
    // Each rating of the stream is its own unit: one stratum, weight 1.
    Respondent {
        stratum: 0,
        psu: None,
        weight: 1.0,
        pop_size: None,
        answers,
    }
}

/// The report of one agency's responses. `rows` are (response, item id, value) grouped by
/// response, as `db::results::answers_in_period` returns them. `None` when there are none.
pub fn report(
    form: &FormSpec,
    rows: &[(Uuid, i32, Option<i16>)],
) -> analysis::Result<Option<(IndexReport, u64)>> {
    let mut acc = IndexAccumulator::new(spec(form), false)?;
    let mut responses = 0u64;
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let answers =
            answers_in_form_order(form, group.iter().map(|&(_, item, value)| (item, value)));
        acc.add(&respondent(&answers))?;
        responses += 1;
    }
    if responses == 0 {
        return Ok(None);
    }
    Ok(Some((acc.report(None, &options())?, responses)))
}
