//! A wave's design-based results (METHODOLOGY.md §3–§4): a stratified simple random sample of
//! each agency's frame, with a non-response adjustment within strata (each respondent of
//! stratum h weighs N_h / r_h), the finite population correction (1 − r_h / N_h), and Taylor
//! linearisation through `analysis::IndexAccumulator` — what R's `survey` computes with
//! `svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population)`
//! (`analysis/reference/make-wave-reference.R` proves it on an exported wave).
//!
//! On the full form a factor index is the mean of its criteria's indices, and the overall
//! SIPAS the mean of the five factor indices; the factor-level questions and the overall
//! question are reported as items.

use std::collections::HashMap;

use analysis::{IndexAccumulator, IndexReport, IndexSpec, LonelyPsu, ReportOptions, Respondent};

use crate::db::wave_results::{WaveRespondent, WaveStratum};
use crate::domain::FormSpec;
use crate::views::sheet::{header, Sheet, Value};

use crate::results::MIN_N;

/// How the full form's questions become indices: every question an item; each factor the mean
/// of its criteria.
pub fn spec(form: &FormSpec) -> IndexSpec {
    let mut factors: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, q) in form.questions.iter().enumerate() {
        if q.kind != "criterion" {
            continue;
        }
        let code = q.factor_code.clone().unwrap_or_default();
        match factors.iter_mut().find(|(c, _)| *c == code) {
            Some((_, members)) => members.push(i),
            None => factors.push((code, vec![i])),
        }
    }
    IndexSpec {
        items: form.questions.len(),
        factors: factors.into_iter().map(|(_, m)| m).collect(),
        threshold: 4,
    }
}

/// The desk form's SIPAS computed on the full form: the mean of the five factor-level
/// questions, which both forms ask. The only annual figure that compares with the desk
/// stream's SIPAS (the annual SIPAS averages the 22 criteria instead).
pub fn comparable_spec(form: &FormSpec) -> IndexSpec {
    // The desk stream's own definition, applied to the full form's answers.
    crate::results::desk::spec(form)
}

/// The questions `comparable_spec` averages, by code.
pub fn comparable_questions(form: &FormSpec) -> Vec<String> {
    form.questions
        .iter()
        .filter(|q| q.kind == "factor")
        .map(|q| q.code.clone())
        .collect()
}

/// The factor codes in the order of `spec`'s factors.
pub fn factor_codes(form: &FormSpec) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for q in form.questions.iter().filter(|q| q.kind == "criterion") {
        let code = q.factor_code.clone().unwrap_or_default();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

pub fn options() -> ReportOptions {
    ReportOptions {
        min_n: MIN_N,
        // A stratum with a single respondent has no variance of its own to estimate: it is left
        // out of the variance (R: options(survey.lonely.psu = "remove")), and its own indices
        // fall below the minimum n anyway.
        lonely: LonelyPsu::Remove,
        ..ReportOptions::default()
    }
}

/// One stratum's result.
#[derive(Debug, Clone)]
pub struct StratumResult {
    pub stratum: WaveStratum,
    pub respondents: u64,
    /// The non-response-adjusted weight of its respondents: N_h / r_h.
    pub weight: Option<f64>,
    pub report: Option<IndexReport>,
    /// The desk form's SIPAS on this stratum's respondents (`comparable_spec`).
    pub comparable: Option<analysis::IndexEstimate>,
}

#[derive(Debug, Clone)]
pub struct WaveResults {
    pub strata: Vec<StratumResult>,
    pub province: Option<IndexReport>,
    /// The desk form's SIPAS on every respondent (`comparable_spec`).
    pub province_comparable: Option<analysis::IndexEstimate>,
    pub respondents: u64,
    /// For each question with several answers (what to improve first): the share choosing
    /// each option.
    pub shares: Vec<ChoiceShares>,
}

/// The weighted share of respondents choosing each option of a multiple-choice question,
/// among those who chose any (a ratio estimate, like `svyratio` in R), per stratum and for
/// the province.
#[derive(Debug, Clone)]
pub struct ChoiceShares {
    pub code: String,
    /// (option value, Vietnamese label).
    pub options: Vec<(i16, String)>,
    pub province: Vec<Option<analysis::IndexEstimate>>,
    /// In the order of `WaveResults::strata`.
    pub strata: Vec<Vec<Option<analysis::IndexEstimate>>>,
}

/// A ratio estimate with its logit interval (t on the design df), as an index is shown.
fn share(acc: &analysis::TaylorAccumulator, k: usize) -> Option<analysis::IndexEstimate> {
    let e = acc.ratio(k, LonelyPsu::Remove).ok()?;
    if e.n == 0 || !e.estimate.is_finite() {
        return None;
    }
    let ci = analysis::design_interval(&e, analysis::DesignMethod::Logit, analysis::DEFAULT_LEVEL)
        .ok()?;
    Some(analysis::IndexEstimate {
        estimate: e.estimate,
        se: e.se,
        ci_low: ci.low,
        ci_high: ci.high,
        n: e.n,
        df: e.df,
        deff: e.deff,
        suppressed: e.n < MIN_N,
    })
}

/// The shares of every multiple-choice question of the form.
fn choice_shares(
    form: &FormSpec,
    strata: &[WaveStratum],
    respondents: &[WaveRespondent],
    weights: &HashMap<i32, f64>,
) -> analysis::Result<Vec<ChoiceShares>> {
    let mut out = Vec::new();
    for q in form.choices.iter().filter(|q| q.multiple) {
        let k = q.options.len();
        let mut province = analysis::TaylorAccumulator::new(false);
        let mut per: Vec<analysis::TaylorAccumulator> = strata
            .iter()
            .map(|_| analysis::TaylorAccumulator::new(false))
            .collect();
        for r in respondents {
            let Some(h) = strata.iter().position(|s| s.agency_id == r.agency_id) else {
                continue;
            };
            let Some(&w) = weights.get(&r.agency_id) else {
                continue;
            };
            let chosen: Vec<i16> = r
                .choices
                .iter()
                .filter(|&&c| c / 100 == q.id)
                .filter_map(|&c| i16::try_from(c % 100).ok())
                .collect();
            let answered = if chosen.is_empty() { 0.0 } else { 1.0 };
            let values: Vec<(usize, f64, f64)> = q
                .options
                .iter()
                .enumerate()
                .map(|(j, o)| (j, f64::from(u8::from(chosen.contains(&o.value))), answered))
                .collect();
            let obs = analysis::Observation {
                stratum: h as u32,
                psu: None,
                weight: w,
                pop_size: Some(f64::from(strata[h].population)),
                domain: 0,
                values: &values,
            };
            province.add(&obs)?;
            // A stratum alone gives its own estimates exactly (strata are independent).
            per[h].add(&obs)?;
        }
        out.push(ChoiceShares {
            code: q.code.clone(),
            options: q
                .options
                .iter()
                .map(|o| (o.value, o.label_vi.clone()))
                .collect(),
            province: (0..k).map(|j| share(&province, j)).collect(),
            strata: per
                .iter()
                .map(|acc| (0..k).map(|j| share(acc, j)).collect())
                .collect(),
        });
    }
    Ok(out)
}

/// The full form's answers of a stored response, in question order.
fn answers(form: &FormSpec, stored: &[Option<i16>]) -> Vec<Option<u8>> {
    form.answers_from_stored(stored)
}

/// Respondents per stratum, and so each respondent's adjusted weight N_h / r_h.
pub fn adjusted_weights(
    strata: &[WaveStratum],
    respondents: &[WaveRespondent],
) -> HashMap<i32, f64> {
    let mut r: HashMap<i32, u64> = HashMap::new();
    for x in respondents {
        *r.entry(x.agency_id).or_default() += 1;
    }
    strata
        .iter()
        .filter_map(|s| {
            r.get(&s.agency_id)
                .map(|&n| (s.agency_id, f64::from(s.population) / n as f64))
        })
        .collect()
}

pub fn compute(
    form: &FormSpec,
    strata: Vec<WaveStratum>,
    respondents: &[WaveRespondent],
) -> analysis::Result<WaveResults> {
    let weights = adjusted_weights(&strata, respondents);
    let index: HashMap<i32, u32> = strata
        .iter()
        .enumerate()
        .map(|(h, s)| (s.agency_id, h as u32))
        .collect();
    let population: HashMap<i32, f64> = strata
        .iter()
        .map(|s| (s.agency_id, f64::from(s.population)))
        .collect();
    let mut acc = IndexAccumulator::new(spec(form), false)?;
    // The same respondents under the desk form's definition, for the comparison with the
    // desk stream (a form without factor-level questions has no comparable figure).
    let mut comparable = IndexAccumulator::new(comparable_spec(form), false).ok();
    let mut count: HashMap<i32, u64> = HashMap::new();
    for r in respondents {
        let (Some(&h), Some(&w)) = (index.get(&r.agency_id), weights.get(&r.agency_id)) else {
            continue; // a response outside the design's strata cannot be weighted
        };
        let a = answers(form, &r.answer_values);
        let respondent = Respondent {
            stratum: h,
            psu: None,
            weight: w,
            pop_size: population.get(&r.agency_id).copied(),
            answers: &a,
        };
        acc.add(&respondent)?;
        if let Some(c) = comparable.as_mut() {
            c.add(&respondent)?;
        }
        *count.entry(r.agency_id).or_default() += 1;
    }
    let opts = options();
    let total: u64 = count.values().sum();
    let shares = choice_shares(form, &strata, respondents, &weights)?;
    let province = if total > 0 {
        Some(acc.report(None, &opts)?)
    } else {
        None
    };
    let comparable_of = |only: Option<u32>| -> analysis::Result<Option<analysis::IndexEstimate>> {
        match comparable.as_ref() {
            Some(c) if total > 0 => Ok(c.report(only, &opts)?.overall),
            _ => Ok(None),
        }
    };
    let province_comparable = comparable_of(None)?;
    let mut out = Vec::with_capacity(strata.len());
    for (h, s) in strata.into_iter().enumerate() {
        let n = count.get(&s.agency_id).copied().unwrap_or(0);
        let (report, comparable) = if n > 0 {
            (
                Some(acc.report(Some(h as u32), &opts)?),
                comparable_of(Some(h as u32))?,
            )
        } else {
            (None, None)
        };
        out.push(StratumResult {
            weight: weights.get(&s.agency_id).copied(),
            respondents: n,
            report,
            comparable,
            stratum: s,
        });
    }
    Ok(WaveResults {
        strata: out,
        province,
        province_comparable,
        respondents: total,
        shares,
    })
}

/// The wave's responses for analysis elsewhere (R, Stata): stratum, its population, the base
/// and the adjusted weight, channel, kind, and one column per question (1–5, empty for no
/// opinion or not answered). No contact data, no dossier, no unit id.
pub fn responses_sheet(
    wave_id: i32,
    form: &FormSpec,
    strata: &[WaveStratum],
    respondents: &[WaveRespondent],
) -> Sheet {
    let weights = adjusted_weights(strata, respondents);
    let by_id: HashMap<i32, &WaveStratum> = strata.iter().map(|s| (s.agency_id, s)).collect();
    let mut names = vec![
        "stratum",
        "population",
        "base_weight",
        "weight",
        "channel",
        "respondent_kind",
    ];
    names.extend(form.questions.iter().map(|q| q.code.as_str()));
    // Choice questions after the rated ones: a profile question's option number; one 0/1
    // column per option of a question with several (EXPECT.1 … EXPECT.5).
    let mut choice_names: Vec<String> = Vec::new();
    for q in &form.choices {
        if q.multiple {
            choice_names.extend(q.options.iter().map(|o| format!("{}.{}", q.code, o.value)));
        } else {
            choice_names.push(q.code.clone());
        }
    }
    names.extend(choice_names.iter().map(String::as_str));
    let rows = respondents
        .iter()
        .filter_map(|r| {
            let s = by_id.get(&r.agency_id)?;
            let mut row = vec![
                Value::text(&s.code),
                Value::Int(i64::from(s.population)),
                Value::Number(r.base_weight, 12),
                Value::Number(weights.get(&r.agency_id).copied().unwrap_or(0.0), 12),
                Value::text(&r.channel),
                Value::text(&r.respondent_kind),
            ];
            row.extend(
                answers(form, &r.answer_values)
                    .into_iter()
                    .map(|a| match a {
                        Some(v) => Value::Int(i64::from(v)),
                        None => Value::Empty,
                    }),
            );
            for q in &form.choices {
                let picked: Vec<i64> = r
                    .choices
                    .iter()
                    .filter(|&&c| c / 100 == q.id)
                    .map(|&c| i64::from(c % 100))
                    .collect();
                if q.multiple {
                    row.extend(
                        q.options
                            .iter()
                            .map(|o| Value::Int(i64::from(picked.contains(&i64::from(o.value))))),
                    );
                } else {
                    row.push(picked.first().map_or(Value::Empty, |&v| Value::Int(v)));
                }
            }
            Some(row)
        })
        .collect();
    Sheet {
        about: Vec::new(),
        name: format!("sipas-wave-{wave_id}-responses"),
        header: header(&names),
        rows,
    }
}

/// Every index of the wave, per agency and for the province: level, agency, index (`SIPAS`,
/// `factor:F1`, `item:F1.1` — `item:F1` is the factor-level question), estimate, SE, interval, valid n, design df, reported?
pub fn results_sheet(wave_id: i32, form: &FormSpec, results: &WaveResults) -> Sheet {
    let factors = factor_codes(form);
    let mut rows = Vec::new();
    let mut push =
        |level: &str, agency: &str, name: &str, e: Option<analysis::IndexEstimate>, n: u64| {
            let num = |x: f64| Value::Percent(x, 8);
            rows.push(match e {
                Some(e) => vec![
                    Value::text(level),
                    Value::text(agency),
                    Value::text(name),
                    num(e.estimate),
                    num(e.se),
                    num(e.ci_low),
                    num(e.ci_high),
                    Value::Int(i64::try_from(e.n).unwrap_or(i64::MAX)),
                    Value::Number(e.df, 0),
                    Value::text(if e.suppressed { "no" } else { "yes" }),
                ],
                None => vec![
                    Value::text(level),
                    Value::text(agency),
                    Value::text(name),
                    Value::Empty,
                    Value::Empty,
                    Value::Empty,
                    Value::Empty,
                    Value::Int(i64::try_from(n).unwrap_or(i64::MAX)),
                    Value::Empty,
                    Value::text("no"),
                ],
            });
        };
    let mut report = |level: &str,
                      agency: &str,
                      r: Option<&IndexReport>,
                      comparable: Option<analysis::IndexEstimate>,
                      n: u64| {
        let Some(r) = r else {
            push(level, agency, "SIPAS", None, n);
            return;
        };
        push(level, agency, "SIPAS", r.overall, n);
        // The desk form's SIPAS on these respondents: what the desk stream is compared with.
        push(level, agency, "comparable", comparable, n);
        for (code, f) in factors.iter().zip(&r.factors) {
            push(level, agency, &format!("factor:{code}"), *f, n);
        }
        for (q, item) in form.questions.iter().zip(&r.items) {
            push(
                level,
                agency,
                &format!("item:{}", q.code),
                item.index,
                item.valid_n,
            );
        }
    };
    report(
        "province",
        "",
        results.province.as_ref(),
        results.province_comparable,
        results.respondents,
    );
    for s in &results.strata {
        report(
            "agency",
            &s.stratum.code,
            s.report.as_ref(),
            s.comparable,
            s.respondents,
        );
    }
    // The share choosing each area to improve (`choice:EXPECT.1` …), among those who chose any.
    for c in &results.shares {
        for (j, (value, _)) in c.options.iter().enumerate() {
            let name = format!("choice:{}.{value}", c.code);
            push("province", "", &name, c.province[j], 0);
            for (s, per) in results.strata.iter().zip(&c.strata) {
                push("agency", &s.stratum.code, &name, per[j], 0);
            }
        }
    }
    Sheet {
        about: vec![("wave", Value::Int(i64::from(wave_id)))],
        name: format!("sipas-wave-{wave_id}-results"),
        header: header(&[
            "level",
            "agency",
            "index",
            "estimate_percent",
            "se_percent",
            "ci_low_percent",
            "ci_high_percent",
            "n",
            "df",
            "reported",
        ]),
        rows,
    }
}
