//! The read API (`/api/v1/…`, documented in `openapi.json`): agencies, an agency's indices,
//! rankings and publications, as JSON. A client signs in with a bearer token
//! (`sipas api-token create`) or a staff session; either way it reads as its user, with the
//! same scope as the pages, through the same functions as the pages (`dashboard::
//! agency_results`, `ranking::table`), so page, export and API cannot disagree. Published
//! snapshots are public, as on `/public`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use analysis::IndexEstimate;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use super::dashboard::agency_results;
use super::errors::{ApiProblem, Fault};
use super::filters::{nonempty, today_in_vietnam, PeriodQuery};
use super::guard;
use super::ranking;
use crate::auth::api_token;
use crate::db::{self, users::User};
use crate::domain::FormSpec;
use crate::results::agency::Which;
use crate::results::publication::METHOD;
use crate::state::AppState;
use crate::views::ranking::tier_code;

/// The user an API request reads as.
pub struct ApiReader(pub User);

impl FromRequest for ApiReader {
    type Error = ApiProblem;
    type Future = LocalBoxFuture<'static, Result<ApiReader, ApiProblem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| Fault::Internal(anyhow::anyhow!("AppState missing")))?;
            if let Some(value) = req.headers().get(header::AUTHORIZATION) {
                // A presented token decides alone: a bad one is refused even with a session.
                let digest = value
                    .to_str()
                    .ok()
                    .and_then(bearer_token)
                    .and_then(api_token::digest)
                    .ok_or(Fault::Unauthenticated)?;
                let user = db::run_within(&state.pool, db::LOOKUP_DEADLINE, move |c| {
                    db::api_tokens::user_of(c, &digest)
                })
                .await?;
                let user = user.ok_or(Fault::Unauthenticated)?;
                // A one-stop system's token issues receipts and reads nothing.
                if !user.role.is_staff() {
                    return Err(Fault::NotAllowed.into());
                }
                return Ok(ApiReader(user));
            }
            match guard::signed_in(&req, &state).await {
                Ok(Some(staff)) => Ok(ApiReader(staff.user)),
                Ok(None) => Err(Fault::Unauthenticated.into()),
                Err(e) => Err(ApiProblem(e.fault)),
            }
        })
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme's name is
/// case-insensitive (RFC 9110 §11.1: "bearer", "BEARER"), and one or more spaces may follow it.
pub(super) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let token = rest.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// The read API takes its query exactly as `openapi.json` documents it, where the pages are
/// lenient with what a browser's form sends: each parameter at most once (else 400), none
/// empty, dates as YYYY-MM-DD within 2000–2099, integers written as integers (else 422, naming
/// the parameter). The documented enums and the rest are checked by the shared parsers.
fn strict_query(req: &HttpRequest, integers: &[&str]) -> Result<(), Fault> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| Fault::BadRequest)?;
    let mut seen = std::collections::HashSet::new();
    for (name, value) in &pairs {
        if !seen.insert(name.as_str()) {
            return Err(Fault::BadRequest);
        }
        let refuse = |vi: &str, en: &str| {
            Err(super::filters::invalid(
                name,
                format!("Trường {name}: {vi}"),
                format!("{name}: {en}"),
            ))
        };
        if value.is_empty() {
            return refuse("không được để trống.", "must not be empty");
        }
        let listed = match name.as_str() {
            "period" => Some(super::filters::PERIODS),
            "channel" => Some(super::filters::CHANNELS),
            "kind" => Some(super::filters::KINDS),
            _ => None,
        };
        let unknown_source = name == "source" && ranking::Source::parse(Some(value)).is_err();
        if unknown_source || listed.is_some_and(|values| !values.contains(&value.as_str())) {
            return refuse(
                "không có trong danh sách cho phép.",
                "is not one of the documented values",
            );
        }
        if name == "from" || name == "to" {
            let shaped = value.len() == 10
                && value.starts_with("20")
                && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
            if !shaped {
                return refuse(
                    "phải là một ngày YYYY-MM-DD từ năm 2000 đến 2099.",
                    "must be a date YYYY-MM-DD from 2000 to 2099",
                );
            }
        }
        if integers.contains(&name.as_str()) {
            let digits = value.strip_prefix('-').unwrap_or(value);
            let canonical = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            // Of any size: a desk id no desk has is simply not found.
            if !canonical {
                return refuse("phải là một số nguyên.", "must be an integer");
            }
        }
    }
    Ok(())
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// An estimate as the API gives it: no number below the minimum n, only `suppressed: true`.
/// Beside the interval, what it is made of: the standard error, the degrees of freedom of its
/// t and the design effect of the desks (null where not estimated: one desk, or the annual
/// survey's unclustered design).
fn estimate(e: Option<IndexEstimate>, n: u64, missing_rate: f64, method: &str) -> Value {
    match e {
        Some(e) if !e.suppressed => json!({
            "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high, "n": e.n,
            "se": e.se, "df": e.df, "deff": e.deff.filter(|d| d.is_finite()),
            "missing_rate": missing_rate, "method": method, "suppressed": false,
        }),
        other => json!({
            "estimate": null, "ci_low": null, "ci_high": null,
            "n": other.map_or(n, |e| e.n), "se": null, "df": null, "deff": null,
            "missing_rate": missing_rate, "method": method, "suppressed": true,
        }),
    }
}

use crate::results::ranking::missing_rate as missing;

/// Decision 766's counts as the API gives them: how satisfied the ratings were only at the
/// minimum n, like every other number.
fn receipts_of(t: &crate::results::dossiers::Tally) -> Value {
    let shown = t.shown();
    json!({
        "issued": t.issued, "rated": t.rated, "not_rated": t.not_rated(),
        "satisfied": shown.then_some(t.satisfied),
        "unsatisfied": shown.then_some(t.unsatisfied),
        "suppressed": !shown,
    })
}

/// The desk stream's intervals, every index alike: desks as clusters within agency strata,
/// logit, t on the design's df (docs/statistics.md).
const DESK_METHOD: &str = "desk-clustered-logit";
/// The annual survey's intervals: Taylor linearisation with the fpc, logit, t on the design df.
const DESIGN_METHOD: &str = "design-logit";

/// GET /api/v1/agencies: the agencies the reader may see.
pub async fn agencies(
    state: web::Data<AppState>,
    reader: ApiReader,
) -> Result<HttpResponse, ApiProblem> {
    let scope = reader.0.scope();
    let all = db::run_within(&state.pool, db::PAGE_DEADLINE, move |c| {
        db::agencies::visible(c, scope)
    })
    .await?;
    let code_of = |id: Option<i32>| {
        id.and_then(|id| all.iter().find(|a| a.id == id))
            .map(|a| a.code.clone())
    };
    let list: Vec<Value> = all
        .iter()
        .map(|a| {
            json!({
                "code": a.code, "name": a.name, "level": a.level_name,
                "parent_code": code_of(a.parent_id), "active": a.active,
            })
        })
        .collect();
    Ok(ok(json!({ "agencies": list })))
}

#[derive(Deserialize)]
pub struct IndicesQuery {
    desk: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

fn named(form: &FormSpec, i: usize, value: Value) -> Value {
    let q = &form.questions[i];
    let mut v = json!({
        "code": q.code,
        "name_vi": q.factor_name_vi.clone().unwrap_or_else(|| q.text_vi.clone()),
        "name_en": q.factor_name_en.clone().unwrap_or_else(|| q.text_en.clone()),
    });
    if let (Some(o), Value::Object(e)) = (v.as_object_mut(), value) {
        o.extend(e);
    }
    v
}

/// GET /api/v1/agencies/{code}/indices: the overall index, each factor and each item.
pub async fn indices(
    state: web::Data<AppState>,
    reader: ApiReader,
    code: web::Path<String>,
    q: web::Query<IndicesQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiProblem> {
    strict_query(&req, &["desk"])?;
    let filter = q
        .period
        .parse_either_order(today_in_vietnam())
        .map_err(Fault::from)?;
    let r = agency_results(
        &state,
        reader.0.scope(),
        Which::Code(code.clone()),
        nonempty(&q.desk),
        filter,
    )
    .await?;
    let form = &state.ingest.desk_form;
    let responses = r.report.as_ref().map_or(0, |(_, n)| *n);
    let report = r.report.as_ref().map(|(rep, _)| rep);
    let mut factors = Vec::new();
    let mut items = Vec::new();
    let mut factor_at = 0;
    for (i, question) in form.questions.iter().enumerate() {
        let item = report.map(|rep| &rep.items[i]);
        let missing_rate = item.map_or(0.0, |t| t.missing_rate);
        let valid = item.map_or(0, |t| t.valid_n);
        items.push(named(
            form,
            i,
            estimate(item.and_then(|t| t.index), valid, missing_rate, DESK_METHOD),
        ));
        if question.kind == "factor" {
            let f = report.and_then(|rep| rep.factors.get(factor_at).copied().flatten());
            factors.push(named(
                form,
                i,
                estimate(f, valid, missing(f, responses), DESK_METHOD),
            ));
            factor_at += 1;
        }
    }
    let overall = report.and_then(|rep| rep.overall);
    // The dashboard's change badges, with the raw and the adjusted p-value (issue #18, point 3).
    let factor_codes: Vec<&str> = form
        .questions
        .iter()
        .filter(|q| q.kind == "factor")
        .map(|q| q.code.as_str())
        .collect();
    let against = [
        (
            "previous",
            crate::results::periods::previous_period(r.filter.from, r.filter.to),
        ),
        (
            "year_ago",
            crate::results::periods::year_earlier(r.filter.from, r.filter.to),
        ),
    ];
    let changes: Vec<Value> = crate::results::periods::agency_changes(
        report,
        r.previous.as_ref().map(|(rep, _)| rep),
        r.year_ago.as_ref().map(|(rep, _)| rep),
        factor_codes.len(),
    )
    .map_err(|e| Fault::Internal(e.into()))?
    .into_iter()
    .enumerate()
    .filter_map(|(k, c)| {
        let c = c?;
        let (vs, (from, to)) = against[k % 2];
        let index = if k / 2 == 0 {
            "overall"
        } else {
            factor_codes[k / 2 - 1]
        };
        let d = c.difference;
        Some(json!({
            "index": index, "against": vs, "against_from": from, "against_to": to,
            "difference": d.estimate, "ci_low": d.ci_low, "ci_high": d.ci_high,
            "p_value": d.p_value, "p_adjusted": c.p_adjusted, "significant": d.significant,
        }))
    })
    .collect();
    Ok(ok(json!({
        "agency": { "code": r.agency.code, "name": r.agency.name },
        "from": r.filter.from,
        "to": r.filter.to,
        "channel": r.filter.channel,
        "kind": r.filter.kind,
        "desk": r.desk_id,
        "instrument": form.instrument_code,
        "responses": responses,
        "level": 0.95,
        "min_n": crate::results::MIN_N,
        "method": METHOD,
        "overall": estimate(overall, 0, missing(overall, responses), DESK_METHOD),
        "factors": factors,
        "items": items,
        "changes": changes,
        "dossier_satisfaction_rate": r.dossiers.total.satisfaction_rate(),
        "receipt_response_rate": r.dossiers.total.response_rate(),
        "receipts": receipts_of(&r.dossiers.total),
    })))
}

#[derive(Deserialize)]
pub struct RankingsQuery {
    source: Option<String>,
    level: Option<String>,
    measure: Option<String>,
    seed: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

/// GET /api/v1/rankings: the ranking table of one level, as the page shows it.
pub async fn rankings(
    state: web::Data<AppState>,
    reader: ApiReader,
    q: web::Query<RankingsQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiProblem> {
    strict_query(&req, &["seed"])?;
    let filter = q
        .period
        .parse_either_order(today_in_vietnam())
        .map_err(Fault::from)?;
    let source = ranking::Source::parse(nonempty(&q.source))?;
    let t = ranking::table(
        &state,
        reader.0.scope(),
        source,
        nonempty(&q.level),
        nonempty(&q.measure),
        nonempty(&q.seed),
        filter,
    )
    .await
    .map_err(|f| match f {
        // A level of the province's tree, or the annual survey of a year, that does not exist
        // is a resource not found, not a malformed query.
        Fault::Invalid(errors)
            if errors
                .iter()
                .any(|e| e.field == "level" || e.field == "source") =>
        {
            Fault::NotFound
        }
        other => other,
    })?;
    let method = match t.source {
        ranking::Source::Annual => DESIGN_METHOD,
        ranking::Source::Desk => DESK_METHOD,
    };
    let est = |e: Option<IndexEstimate>, n| estimate(e, n, missing(e, n), method);
    let ranked: Vec<Value> = t
        .ranking
        .ranked
        .iter()
        .map(|r| {
            json!({
                "rank": r.rank, "rank_low": r.rank_low, "rank_high": r.rank_high,
                "code": r.unit.code, "name": r.unit.name, "responses": r.unit.responses,
                "tier": tier_code(r.tier), "p_value": r.p_value, "p_adjusted": r.p_adjusted,
                "index": est(r.unit.index, r.unit.responses),
            })
        })
        .collect();
    let not_ranked: Vec<Value> = t
        .ranking
        .unranked
        .iter()
        .zip(t.ranking.model_based.iter())
        .map(|(u, m)| {
            json!({
                "model_based": m.map(|m| json!({
                    "method": "fay-herriot-eblup", "eblup": m.eblup, "mse": m.mse,
                })),
                "code": u.code, "name": u.name, "responses": u.responses,
                "n": u.index.map_or(0, |e| e.n), "missing_rate": missing(u.index, u.responses),
            })
        })
        .collect();
    Ok(ok(json!({
        "source": t.source.code(),
        "level": t.level_code,
        "measure": t.measure,
        "from": t.filter.from,
        "to": t.filter.to,
        "channel": t.filter.channel,
        "kind": t.filter.kind,
        "seed": t.ranking.seed,
        "simulations": t.ranking.simulations,
        "rule": analysis::compare::RANKING_RULE,
        "overdispersion": t.ranking.overdispersion.map(|od| json!({
            "phi": od.phi, "p_value": od.p_value, "tau2": od.tau2, "widened": od.widened(),
        })),
        "province": est(t.ranking.province, t.ranking.province_responses),
        "small_area_model": t.ranking.small_area_model.as_ref().map(|m| json!({
            "method": "fay-herriot-eblup",
            "covariates": m.covariates.iter().map(|c| c.code()).collect::<Vec<_>>(),
            "a": m.a, "units": m.units,
        })),
        "ranked": ranked,
        "not_ranked": not_ranked,
    })))
}

/// GET /api/v1/publications: every published period with its hash and integrity. Public.
pub async fn publications(state: web::Data<AppState>) -> Result<HttpResponse, ApiProblem> {
    let all = super::public::checked(&state).await?;
    let list: Vec<Value> = all
        .iter()
        .map(|(p, integrity)| {
            json!({
                "id": p.id, "from": p.period_from, "to": p.period_to, "channel": p.channel,
                "instrument": p.instrument, "published_at": p.published_at,
                "sha256": p.sha256, "previous_sha256": p.previous_sha256,
                "integrity": integrity,
            })
        })
        .collect();
    Ok(ok(json!({ "publications": list })))
}

/// GET /api/v1/publications/{id}: the snapshot's exact bytes (their SHA-256 is the published
/// hash), with the result of checking the chain in `X-Sipas-Integrity`. Public.
pub async fn publication(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiProblem> {
    // Only a canonical decimal id names a publication (no "+1", "01").
    let id: i32 = match id.parse::<i32>() {
        Ok(n) if n > 0 && n.to_string() == *id => n,
        _ => return Err(Fault::NotFound.into()),
    };
    let all = super::public::checked(&state).await?;
    let (p, integrity) = all
        .into_iter()
        .find(|(p, _)| p.id == id)
        .ok_or(Fault::NotFound)?;
    let integrity = serde_json::to_value(&integrity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("X-Sipas-Integrity", integrity))
        .body(p.body))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_read_whatever_its_case() {
        for v in ["Bearer abc", "bearer abc", "BEARER  abc", " bEaReR abc "] {
            assert_eq!(bearer_token(v), Some("abc"), "{v:?}");
        }
        for v in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", "Bearer a b"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
