//! A publication: one closed period's results, frozen as the exact bytes of a JSON document
//! whose SHA-256 is published beside it. The document names the previous publication's hash,
//! so the publications form a chain: `sha256sum` of a downloaded file must equal its listed
//! hash, and its `previous_sha256` must equal the hash of the one before.

use analysis::{IndexEstimate, IndexReport};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::FormSpec;

pub const FORMAT: &str = "sipas-publication/1";

/// How the numbers were made, printed in every snapshot.
pub const METHOD: &str = "Desk QR stream (self-selected, not a random sample). Item index: share of valid answers of 4 or 5; no opinion and skipped answers excluded and reported as the missing rate. Factor index: the factor question's index. Overall SIPAS: mean of the five factor indices. 95% intervals, one method for every index: ratings clustered by desk within agency strata (linearised variance over desks; an agency with one desk centred at the grand mean, as R survey's lonely.psu = adjust; an estimate resting on one desk takes its ratings as independent), logit interval with Student t on the design's degrees of freedom (desks minus agencies, at least desks minus one). The overall SIPAS is not reported when any factor it averages is not. Below 30 valid answers an index is not reported.";

/// `METHOD` as the Vietnamese public page says it (the frozen document keeps the English).
pub const METHOD_VI: &str = "Đánh giá qua mã QR tại quầy (người dân tự nguyện gửi, không phải mẫu ngẫu nhiên). Chỉ số của một câu hỏi: tỷ lệ câu trả lời hợp lệ ở mức 4 hoặc 5; câu \"không có ý kiến\" và câu bỏ trống không tính, và được báo riêng thành tỷ lệ thiếu. Chỉ số của một yếu tố: chỉ số câu hỏi chung của yếu tố đó. SIPAS chung: trung bình chỉ số của năm yếu tố. Khoảng tin cậy 95%, một cách tính cho mọi chỉ số: phiếu được coi là theo cụm quầy trong từng cơ quan (phương sai tuyến tính hoá theo quầy; cơ quan chỉ có một quầy được lấy tâm ở trung bình chung, như lonely.psu = \"adjust\" của gói survey trong R; chỉ số chỉ dựa trên một quầy thì coi các phiếu là độc lập), khoảng logit với phân phối Student theo bậc tự do của thiết kế (số quầy trừ số cơ quan, ít nhất số quầy trừ một). SIPAS chung không công bố khi một yếu tố của nó không được công bố. Dưới 30 câu trả lời hợp lệ thì chỉ số không được công bố.";

#[derive(Serialize)]
pub struct Snapshot<'a> {
    pub format: &'static str,
    pub period: Period,
    pub channel: &'a str,
    pub instrument: &'a str,
    pub method: &'a str,
    pub level: f64,
    pub min_n: u64,
    pub published_at: DateTime<Utc>,
    pub previous_sha256: Option<&'a str>,
    pub agencies: Vec<AgencyResult>,
}

#[derive(Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Serialize, Deserialize)]
pub struct AgencyResult {
    pub code: String,
    pub name: String,
    pub responses: u64,
    pub overall: Estimate,
    pub factors: Vec<Named>,
    pub items: Vec<Named>,
}

#[derive(Serialize, Deserialize)]
pub struct Named {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// An index as published: no number below the minimum n, only `"suppressed": true`.
#[derive(Serialize, Deserialize, Clone, Copy)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub n: u64,
    pub suppressed: bool,
}

impl Estimate {
    fn from(e: Option<IndexEstimate>, n: u64) -> Estimate {
        match e {
            Some(e) if !e.suppressed => Estimate {
                estimate: Some(e.estimate),
                ci_low: Some(e.ci_low),
                ci_high: Some(e.ci_high),
                n: e.n,
                suppressed: false,
            },
            Some(e) => Estimate {
                estimate: None,
                ci_low: None,
                ci_high: None,
                n: e.n,
                suppressed: true,
            },
            None => Estimate {
                estimate: None,
                ci_low: None,
                ci_high: None,
                n,
                suppressed: true,
            },
        }
    }
}

/// One agency's published results from its report (`responses`: how many answered).
pub fn agency_result(
    code: String,
    name: String,
    form: &FormSpec,
    report: &IndexReport,
    responses: u64,
) -> AgencyResult {
    let mut factors = Vec::new();
    let mut items = Vec::new();
    let mut factor_index = 0;
    for (i, q) in form.questions.iter().enumerate() {
        let item = &report.items[i];
        let named = |estimate| Named {
            code: q.code.clone(),
            name_vi: q
                .factor_name_vi
                .clone()
                .unwrap_or_else(|| q.text_vi.clone()),
            name_en: q
                .factor_name_en
                .clone()
                .unwrap_or_else(|| q.text_en.clone()),
            estimate,
        };
        items.push(named(Estimate::from(item.index, item.valid_n)));
        if q.kind == "factor" {
            factors.push(named(Estimate::from(
                report.factors[factor_index],
                item.valid_n,
            )));
            factor_index += 1;
        }
    }
    AgencyResult {
        code,
        name,
        responses,
        overall: Estimate::from(report.overall, responses),
        factors,
        items,
    }
}

/// The canonical bytes of a snapshot: compact JSON, fields in declaration order.
pub fn canonical(snapshot: &Snapshot) -> String {
    serde_json::to_string(snapshot).expect("a snapshot always serialises")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a check of a stored publication found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Integrity {
    Intact,
    /// The stored bytes no longer hash to the stored hash.
    BodyAltered,
    /// The document does not name the publication before it.
    ChainBroken,
}

/// Checks each publication (oldest first): its bytes against its hash, and its link to the
/// one before.
pub fn verify_chain<'a>(
    publications: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> Vec<Integrity> {
    let mut previous: Option<&str> = None;
    publications
        .into_iter()
        .map(|(body, sha256, stored_previous)| {
            let named_previous = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["previous_sha256"].as_str().map(str::to_owned));
            let status = if sha256_hex(body.as_bytes()) != sha256 {
                Integrity::BodyAltered
            } else if named_previous.as_deref() != previous || stored_previous != previous {
                Integrity::ChainBroken
            } else {
                Integrity::Intact
            };
            previous = Some(sha256);
            status
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_the_sha256_of_the_bytes() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_chain_is_intact_until_a_byte_or_a_link_changes() {
        let first = r#"{"previous_sha256":null,"x":1}"#.to_owned();
        let h1 = sha256_hex(first.as_bytes());
        let second = format!(r#"{{"previous_sha256":"{h1}","x":2}}"#);
        let h2 = sha256_hex(second.as_bytes());
        let chain = |a: &str, b: &str| {
            verify_chain([(a, h1.as_str(), None), (b, h2.as_str(), Some(h1.as_str()))])
        };
        assert_eq!(
            chain(&first, &second),
            [Integrity::Intact, Integrity::Intact]
        );
        let altered = first.replace("1}", "9}");
        assert_eq!(
            chain(&altered, &second),
            [Integrity::BodyAltered, Integrity::Intact]
        );
        let relinked = second.replace(&h1, &"0".repeat(64));
        assert_eq!(
            verify_chain([
                (first.as_str(), h1.as_str(), None),
                (
                    relinked.as_str(),
                    sha256_hex(relinked.as_bytes()).as_str(),
                    Some(h1.as_str())
                )
            ]),
            [Integrity::Intact, Integrity::ChainBroken]
        );
    }
}

/// Why a period was not published.
#[derive(Debug, PartialEq, Eq)]
pub enum NotPublished {
    /// The period has not ended yet (Vietnamese calendar days): late ratings could still come.
    NotClosed,
    /// `from` is after `to`.
    Backwards,
    AlreadyPublished,
    /// It overlaps this published period (id, from, to) and they are not both calendar
    /// periods (`domain::period_kind`).
    Overlaps(i32, NaiveDate, NaiveDate),
}

/// Why the period `from`–`to` of `channel` cannot be published today, if it cannot: asked
/// before publishing (the confirmation page) and again as it is stored.
pub fn refusal(
    conn: &mut crate::db::Conn,
    from: NaiveDate,
    to: NaiveDate,
    channel: &str,
    today: NaiveDate,
) -> anyhow::Result<Option<NotPublished>> {
    use crate::db;
    Ok(if from > to {
        Some(NotPublished::Backwards)
    } else if to >= today {
        Some(NotPublished::NotClosed)
    } else if db::publications::exists(conn, from, to, channel)? {
        Some(NotPublished::AlreadyPublished)
    } else {
        db::publications::clashing(conn, from, to, channel)?
            .map(|(id, f, t)| NotPublished::Overlaps(id, f, t))
    })
}

/// What publishing a period would freeze, shown on the page that asks to confirm it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// The period as people write it ("quý III/2026").
    pub name: String,
    /// Agencies with counted ratings, and those ratings.
    pub agencies: i64,
    pub ratings: i64,
    /// Ratings of the period held for review: left out if published now.
    pub held: i64,
}

/// What publishing `from`–`to` would freeze, or why it cannot be published.
pub fn preview(
    conn: &mut crate::db::Conn,
    form: &FormSpec,
    from: NaiveDate,
    to: NaiveDate,
    channel: &str,
    today: NaiveDate,
) -> anyhow::Result<Result<Preview, NotPublished>> {
    use crate::db;
    if let Some(refused) = refusal(conn, from, to, channel, today)? {
        return Ok(Err(refused));
    }
    let period = db::results::Period {
        from,
        to,
        channel: channel.to_owned(),
        instrument_id: form.instrument_id,
    };
    let (agencies, ratings) = db::results::period_totals(conn, &period)?;
    let all: Vec<i32> = db::agencies::list_all(conn)?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let held = db::screening::held_counts(conn, &all, None, from, to)?
        .into_iter()
        .find(|h| h.reason == "all")
        .map_or(0, |h| h.ratings);
    Ok(Ok(Preview {
        name: crate::domain::period_kind::name_vi(from, to),
        agencies,
        ratings,
        held,
    }))
}

/// Computes every agency's results for a closed period from the raw ratings and stores them as
/// the next publication of the chain; audited. Returns the publication's id.
pub fn publish(
    conn: &mut crate::db::Conn,
    actor: &crate::db::audit::Actor,
    form: &FormSpec,
    from: NaiveDate,
    to: NaiveDate,
    channel: &str,
    today: NaiveDate,
) -> anyhow::Result<Result<i32, NotPublished>> {
    use crate::db;
    if let Some(refused) = refusal(conn, from, to, channel, today)? {
        return Ok(Err(refused));
    }
    let period = db::results::Period {
        from,
        to,
        channel: channel.to_owned(),
        instrument_id: form.instrument_id,
    };
    let names: std::collections::HashMap<i32, (String, String)> = db::agencies::list_all(conn)?
        .into_iter()
        .map(|a| (a.id, (a.code, a.name)))
        .collect();
    let mut agencies = Vec::new();
    for id in db::results::agencies_with_responses(conn, &period)? {
        let rows = db::results::answers_in_period(conn, id, &period)?;
        if let Some((report, responses)) = super::desk::report(form, &rows)? {
            let (code, name) = names.get(&id).cloned().unwrap_or_default();
            agencies.push(agency_result(code, name, form, &report, responses));
        }
    }
    agencies.sort_by(|a, b| a.code.cmp(&b.code));
    let what = What {
        from,
        to,
        channel,
        instrument: &form.instrument_code,
        instrument_id: form.instrument_id,
        method: METHOD,
        min_n: super::MIN_N,
    };
    chain(conn, actor, &what, agencies)
}

/// What a publication covers and how its numbers were made.
struct What<'a> {
    from: NaiveDate,
    to: NaiveDate,
    channel: &'a str,
    instrument: &'a str,
    instrument_id: i32,
    method: &'a str,
    min_n: u64,
}

/// Stores the agencies' results as the next publication of the chain, audited.
fn chain(
    conn: &mut crate::db::Conn,
    actor: &crate::db::audit::Actor,
    what: &What<'_>,
    mut agencies: Vec<AgencyResult>,
) -> anyhow::Result<Result<i32, NotPublished>> {
    use crate::db;
    // Another publisher may get in between; the chain must not fork, so try again on top.
    for _ in 0..3 {
        let previous = db::publications::chain_head(conn)?;
        let snapshot = Snapshot {
            format: FORMAT,
            period: Period {
                from: what.from,
                to: what.to,
            },
            channel: what.channel,
            instrument: what.instrument,
            method: what.method,
            level: analysis::DEFAULT_LEVEL,
            min_n: what.min_n,
            published_at: Utc::now(),
            previous_sha256: previous.as_deref(),
            agencies: std::mem::take(&mut agencies),
        };
        let body = canonical(&snapshot);
        let sha256 = sha256_hex(body.as_bytes());
        let stored = db::publications::insert_audited(
            conn,
            actor,
            &db::publications::NewPublication {
                period_from: what.from,
                period_to: what.to,
                channel: what.channel,
                instrument_id: what.instrument_id,
                published_by: actor.user_id,
                body: &body,
                sha256: &sha256,
                previous_sha256: previous.as_deref(),
            },
        )?;
        agencies = snapshot.agencies;
        match stored {
            Ok(id) => return Ok(Ok(id)),
            Err(db::publications::Refused::AlreadyPublished) => {
                return Ok(Err(NotPublished::AlreadyPublished))
            }
            Err(db::publications::Refused::Overlaps(id, f, t)) => {
                return Ok(Err(NotPublished::Overlaps(id, f, t)))
            }
            Err(db::publications::Refused::ChainMoved) => continue,
        }
    }
    anyhow::bail!("the publication chain kept moving; try again")
}

/// How the annual survey's numbers were made, printed in its publications.
pub const WAVE_METHOD: &str = "Annual sample survey: a stratified simple random sample of each agency's people and organisations who completed a procedure in the year (strata: agencies), invited by e-mail and by post, answered online or on paper. Weights N_h / r_h (non-response adjustment within strata). Item index: weighted share of valid answers of 4 or 5. Factor index: mean of its criteria's indices. Overall SIPAS: mean of the five factor indices. 95% intervals: Taylor linearisation with the finite population correction, logit, Student t on the design degrees of freedom (as R's survey package). Below 30 valid answers an index is not reported.";

/// `WAVE_METHOD` as the Vietnamese public page says it.
pub const WAVE_METHOD_VI: &str = "Khảo sát mẫu hằng năm: mẫu ngẫu nhiên đơn giản phân tầng từ danh sách người dân và tổ chức đã hoàn thành thủ tục tại từng cơ quan trong năm (mỗi cơ quan là một tầng), mời qua thư điện tử và thư giấy, trả lời trực tuyến hoặc trên phiếu giấy. Trọng số N_h / r_h (điều chỉnh cho người không trả lời trong từng tầng). Chỉ số của một câu hỏi: tỷ lệ có trọng số của câu trả lời hợp lệ ở mức 4 hoặc 5. Chỉ số của một yếu tố: trung bình chỉ số các tiêu chí của yếu tố. SIPAS chung: trung bình chỉ số của năm yếu tố. Khoảng tin cậy 95%: tuyến tính hoá Taylor có hiệu chỉnh tổng thể hữu hạn, khoảng logit, phân phối Student theo bậc tự do của thiết kế (như gói survey trong R). Dưới 30 câu trả lời hợp lệ thì chỉ số không được công bố.";

/// The method of a publication as a page in `vi` shows it: the Vietnamese of a method this
/// service wrote, else the frozen text itself.
pub fn method_vi(frozen: &str) -> &str {
    if frozen == METHOD {
        METHOD_VI
    } else if frozen == WAVE_METHOD {
        WAVE_METHOD_VI
    } else {
        frozen
    }
}

/// Publishes a closed wave's results (period: its year, channel `annual_sample`) as the next
/// publication of the chain; audited. One publication per year's wave.
pub fn publish_wave(
    conn: &mut crate::db::Conn,
    actor: &crate::db::audit::Actor,
    form: &FormSpec,
    year: i32,
    strata: &[(String, String, u64, Option<&IndexReport>)],
) -> anyhow::Result<Result<i32, NotPublished>> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Err(NotPublished::Backwards));
    };
    if crate::db::publications::exists(conn, from, to, "annual_sample")? {
        return Ok(Err(NotPublished::AlreadyPublished));
    }
    let agencies = strata
        .iter()
        .filter_map(|(code, name, n, report)| {
            report.map(|r| agency_result(code.clone(), name.clone(), form, r, *n))
        })
        .collect();
    let what = What {
        from,
        to,
        channel: "annual_sample",
        instrument: &form.instrument_code,
        instrument_id: form.instrument_id,
        method: WAVE_METHOD,
        min_n: super::MIN_N,
    };
    chain(conn, actor, &what, agencies)
}
