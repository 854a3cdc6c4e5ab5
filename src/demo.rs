//! A demo province: two levels of agencies, about a hundred desks and synthetic ratings with a
//! realistic spread (agencies differ; some items draw more "no opinion"). Reproducible by seed.

use std::fmt;

use anyhow::Result;
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::db::{self, demo_data::DemoResponse};

pub const PROVINCE_CODE: &str = "DEMO";

const DEPARTMENTS: &[&str] = &[
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Công Thương",
    "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Công an tỉnh",
    "Bảo hiểm xã hội tỉnh",
];

const COMMUNES: &[&str] = &[
    "Phường Long Xuyên",
    "Phường Bình Đức",
    "Phường Mỹ Thới",
    "Phường Châu Đốc",
    "Phường Vĩnh Tế",
    "Xã Mỹ Hòa Hưng",
    "Xã Bình Hòa",
    "Xã Cần Đăng",
    "Xã An Châu",
    "Xã Phú Tân",
    "Xã Chợ Mới",
    "Xã Tân Châu",
    "Xã Tịnh Biên",
    "Xã Tri Tôn",
    "Xã Ba Chúc",
    "Xã Óc Eo",
    "Xã Thoại Sơn",
    "Xã Châu Thành",
    "Xã An Phú",
    "Đặc khu Phú Quốc",
];

/// How much each factor weighs in a demo respondent's overall answer.
/// The share of demo ratings given by a dossier's receipt rather than at a desk poster.
const RECEIPT_SHARE: f64 = 0.2;

const FACTOR_WEIGHT: [f64; 5] = [0.1, 0.35, 0.3, 0.15, 0.1];

pub struct Summary {
    pub cells: usize,
    pub agencies: usize,
    pub desks: usize,
    pub responses: usize,
    pub seconds: f64,
    pub skipped: bool,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.skipped {
            write!(f, "demo data already loaded ({} agencies, {} desks); use --reset to load the responses again", self.agencies, self.desks)
        } else {
            write!(
                f,
                "demo province: {} agencies, {} desks, {} responses and {} aggregate cells loaded in {:.1} s",
                self.agencies, self.desks, self.responses, self.cells, self.seconds
            )
        }
    }
}

/// Loads the demo. Idempotent: the structure is created once; responses only when there are
/// none yet, or after `reset` deleted them.
///
/// The batches are written by one connection per core: PostgreSQL's foreign-key checks on a
/// million answers are CPU-bound in the server, and one connection uses one core.
pub fn load(
    database_url: &str,
    responses: usize,
    seed: u64,
    reset: bool,
    communes: usize,
) -> Result<Summary> {
    let started = std::time::Instant::now();
    let conn = &mut db::connect(database_url)?;
    let structure =
        db::demo_data::ensure_structure(conn, PROVINCE_CODE, DEPARTMENTS, COMMUNES, communes)?;
    if reset {
        db::demo_data::delete_responses(conn, &structure.agency_ids)?;
    } else if db::demo_data::count_responses(conn, &structure.agency_ids)? > 0 {
        return Ok(Summary {
            cells: 0,
            agencies: structure.agency_ids.len(),
            desks: structure.desks.len(),
            responses: 0,
            seconds: 0.0,
            skipped: true,
        });
    }
    let form = db::instruments::load_form(conn, "sipas-2017", db::instruments::Form::Desk)?;
    let item_ids: Vec<i32> = form.questions.iter().map(|q| q.item_id).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    // Each agency has its own quality; desks inherit it with a little noise.
    let mut agency_quality = std::collections::HashMap::new();
    for &a in &structure.agency_ids {
        agency_quality.insert(a, rng.gen_range(0.55..0.97));
    }
    let desk_quality: Vec<f64> = structure
        .desks
        .iter()
        .map(|&(_, agency)| {
            (agency_quality[&agency] + rng.gen_range(-0.04..0.04f64)).clamp(0.3, 0.99)
        })
        .collect();
    // Access (F1) and feedback handling (F5) score lower; F5 draws more "no opinion".
    let item_shift = [-0.06, -0.02, 0.02, 0.03, -0.08, 0.0];
    let factor_at: Vec<usize> = form
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.kind == "factor")
        .map(|(i, _)| i)
        .collect();
    let overall_at = form.questions.iter().position(|q| q.kind == "overall");
    let no_opinion = [0.02, 0.02, 0.01, 0.02, 0.12, 0.01];
    // Receipts (issue #19): a share of ratings come by a dossier's receipt, and each agency's
    // citizens rate some of their receipts — every receipt rated or not is a dossier handled.
    let mut response_rate = std::collections::HashMap::new();
    for &a in &structure.agency_ids {
        response_rate.insert(a, rng.gen_range(0.45..0.8));
    }
    let mut receipts: Vec<db::demo_data::DemoReceipt> = Vec::new();

    let bar = ProgressBar::new(responses as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("demo responses");
    let now = Utc::now();
    // The aggregates are built here, rating by rating, as the writer would have: far faster
    // than reading millions of answers back.
    let mut cells = crate::results::rollup::CellBuilder::new(&form);
    const BATCH: usize = 5_000;
    let writers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<DemoResponse>>(writers);
    let rx = std::sync::Mutex::new(rx);
    let instrument_id = form.instrument_id;
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..writers)
            .map(|_| {
                let rx = &rx;
                let bar = bar.clone();
                scope.spawn(move || -> Result<()> {
                    let mut conn = db::connect(database_url)?;
                    db::demo_data::prepare_bulk_session(&mut conn);
                    loop {
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(batch) = next else { return Ok(()) };
                        db::demo_data::insert_responses(&mut conn, instrument_id, &batch)?;
                        bar.inc(batch.len() as u64);
                    }
                })
            })
            .collect();
        let mut done = 0;
        // Ids in generation order (a random prefix for this run, then a serial number, then
        // random bits): the indexes on the ids then grow at their right edge instead of at
        // random pages, which keeps a load of millions of rows fast. Unrelated to the rating's
        // date, so the order of ids says nothing about when a rating was given.
        let run_prefix = u128::from(rng.gen::<u32>()) << 96;
        let mut serial: u32 = 0;
        while done < responses {
            let n = BATCH.min(responses - done);
            let mut batch = Vec::with_capacity(n);
            for _ in 0..n {
                let d = rng.gen_range(0..structure.desks.len());
                let (desk_id, agency_id) = structure.desks[d];
                // A respondent's mood moves all their factor answers together, and the overall
                // question follows the factors, procedures and civil servants weighing most:
                // so factors correlate with the overall question as in real surveys, and the
                // dashboard's importance view has something to show.
                // Receipts reach every citizen, not only the pleased ones who stop at a poster:
                // their ratings come out a little lower.
                let by_receipt = rng.gen_bool(RECEIPT_SHARE);
                let self_selection = if by_receipt { -0.06 } else { 0.0 };
                let q = (desk_quality[d] + self_selection + rng.gen_range(-0.15..0.15))
                    .clamp(0.05, 0.995);
                let mut answers: Vec<(i32, Option<i16>)> = item_ids
                    .iter()
                    .enumerate()
                    .map(|(i, &item)| {
                        let value = if rng.gen_bool(no_opinion[i.min(5)]) {
                            None
                        } else {
                            Some(draw_score(
                                &mut rng,
                                (q + item_shift[i.min(5)]).clamp(0.05, 0.995),
                            ))
                        };
                        (item, value)
                    })
                    .collect();
                if let Some(o) = overall_at {
                    let (mut sum, mut weight) = (0.0, 0.0);
                    for (f, &at) in factor_at.iter().enumerate() {
                        if let Some(v) = answers[at].1 {
                            sum += FACTOR_WEIGHT[f.min(4)] * f64::from(v);
                            weight += FACTOR_WEIGHT[f.min(4)];
                        }
                    }
                    if weight > 0.0 && answers[o].1.is_some() {
                        let v = (sum / weight + rng.gen_range(-0.6..0.6))
                            .round()
                            .clamp(1.0, 5.0);
                        answers[o].1 = Some(v as i16);
                    }
                }
                let comment = rng.gen_bool(0.02).then(|| {
                    [
                        "Cán bộ hướng dẫn tận tình.",
                        "Thời gian chờ hơi lâu.",
                        "Cần thêm ghế ngồi chờ.",
                        "Rất hài lòng.",
                    ][rng.gen_range(0..4)]
                    .to_owned()
                });
                serial = serial.wrapping_add(1);
                let submitted_at = now - Duration::seconds(rng.gen_range(0..365 * 24 * 3600));
                if by_receipt {
                    let rated_on = (submitted_at + Duration::hours(7)).date_naive();
                    let receipt = |rng: &mut StdRng| db::demo_data::DemoReceipt {
                        agency_id,
                        desk_id,
                        returned_on: rated_on - Duration::days(rng.gen_range(0..4)),
                        dossier_hash: rng.gen(),
                    };
                    receipts.push(receipt(&mut rng));
                    // The dossiers of the same days nobody rated.
                    while rng.gen_bool(1.0 - response_rate[&agency_id]) {
                        receipts.push(receipt(&mut rng));
                    }
                }
                let channel = if by_receipt { "receipt_qr" } else { "desk_qr" };
                let organisation = rng.gen_bool(0.12);
                let scores: Vec<Option<u8>> = answers
                    .iter()
                    .map(|(_, v)| v.and_then(|v| u8::try_from(v).ok()))
                    .collect();
                cells.add(
                    agency_id,
                    (submitted_at + Duration::hours(7)).date_naive(),
                    desk_id,
                    channel,
                    if organisation {
                        "organisation"
                    } else {
                        "individual"
                    },
                    &scores,
                )?;
                batch.push(DemoResponse {
                    id: Uuid::from_u128(
                        run_prefix | ((serial as u128) << 64) | u128::from(rng.gen::<u64>()),
                    ),
                    agency_id,
                    desk_id,
                    submitted_at,
                    organisation,
                    channel,
                    comment,
                    answer_values: form
                        .stored_answers(&answers)
                        .expect("the demo answers its own form with scores 1–5"),
                });
            }
            done += n;
            if tx.send(batch).is_err() {
                break; // a writer failed; its error is reported below
            }
        }
        drop(tx);
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a demo writer panicked"))??;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    for chunk in receipts.chunks(50_000) {
        db::demo_data::insert_receipts(conn, chunk)?;
    }
    let cells = cells.finish()?;
    let cell_count = crate::results::rollup::install(conn, &form, &structure.agency_ids, &cells)?;
    db::demo_data::analyze(conn)?;
    Ok(Summary {
        cells: cell_count,
        agencies: structure.agency_ids.len(),
        desks: structure.desks.len(),
        responses,
        seconds: started.elapsed().as_secs_f64(),
        skipped: false,
    })
}

/// A score whose chance of being 4 or 5 is `q`.
fn draw_score(rng: &mut StdRng, q: f64) -> i16 {
    if rng.gen_bool(q) {
        if rng.gen_bool(0.42) {
            5
        } else {
            4
        }
    } else {
        match rng.gen_range(0.0..1.0) {
            x if x < 0.62 => 3,
            x if x < 0.88 => 2,
            _ => 1,
        }
    }
}

/// A wave of the annual survey for the demo, when there is none: a frame of 300 dossiers for
/// each of eight departments (a third with an e-mail address), designed (Yamane ±5%, proportional), drawn,
/// in fieldwork, and about 60% of the invited answered online or on paper. Its id, or `None`
/// when a wave exists already.
pub fn ensure_wave(conn: &mut db::Conn, seed: u64) -> Result<Option<i32>> {
    use crate::survey::{self, design, draw};
    if !db::waves::list(conn)?.is_empty() {
        return Ok(None);
    }
    let actor = db::audit::Actor::command_line("sipas demo");
    let all = db::agencies::list_all(conn)?;
    let Some(province) = all.iter().find(|a| a.code == PROVINCE_CODE).map(|a| a.id) else {
        return Ok(None);
    };
    // Eight departments: a wave of a size a reader can follow (2,400 dossiers).
    let departments: Vec<&db::agencies::AgencyRow> = all
        .iter()
        .filter(|a| a.parent_id == Some(province))
        .take(8)
        .collect();
    let id = survey::create(
        conn,
        &actor,
        "Khảo sát SIPAS 2026 (dữ liệu minh hoạ)",
        2026,
        "sipas-2017",
    )?;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED);
    let mut csv = String::from(
        "dossier_code,agency_code,procedure_code,completed_on,respondent_kind,name,phone,email,address\n",
    );
    for (d, a) in departments.iter().enumerate() {
        for i in 0..300 {
            let email = if i % 3 == 0 {
                format!("nguoi.{d}.{i}@example.vn")
            } else {
                String::new()
            };
            csv.push_str(&format!(
                "DEMO-{d:02}-{i:04},{},,2026-{:02}-{:02},{},Người dân {d}-{i},09{:08},{email},\"Số {i}, phường {d}\"\n",
                a.code,
                rng.gen_range(1..=10),
                rng.gen_range(1..=28),
                if i % 7 == 0 { "organisation" } else { "individual" },
                rng.gen_range(0..100_000_000u32),
            ));
        }
    }
    survey::import_frame(
        conn,
        &actor,
        id,
        "demo-frame.csv",
        csv.as_bytes(),
        10,
        &mut |_, _, _| {},
    )?;
    let params = design::DesignParams {
        size: design::SizeRule::Yamane,
        margin: 0.05,
        level: 0.95,
        deff: 1.0,
        response_rate: 0.6,
        allocation: design::AllocationRule::Proportional,
        min: 30,
    };
    survey::design_wave(conn, &actor, id, &params, false)?;
    survey::draw_wave(conn, &actor, id, 2026, draw::Method::Srs, 0.2)?;
    survey::start_fieldwork(conn, &actor, id, &[14, 28])?;

    let form = survey::full_form(conn, id)?;
    for (unit, agency_id) in db::fieldwork::invited_units(conn, id)? {
        if !rng.gen_bool(0.6) {
            continue;
        }
        // Each department its own level of satisfaction, as in the desk stream.
        let q = 0.45 + 0.4 * ((agency_id as f64 * 0.37).sin().abs());
        let mut values = vec![None; form.item_count];
        for question in &form.questions {
            values[question.slot] = if rng.gen_bool(0.04) {
                Some(0)
            } else {
                Some(draw_score(&mut rng, q))
            };
        }
        let mut choices = Vec::new();
        for c in &form.choices {
            let n = c.options.len();
            if c.multiple {
                for o in &c.options {
                    if rng.gen_bool(0.3) {
                        choices.push((c.id, o.value));
                    }
                }
            } else if rng.gen_bool(0.9) {
                choices.push((c.id, c.options[rng.gen_range(0..n)].value));
            }
        }
        let response = db::fieldwork::UnitResponse {
            id: uuid::Uuid::new_v4(),
            unit_id: unit,
            instrument_id: form.instrument_id,
            channel: if rng.gen_bool(0.7) {
                "paper"
            } else {
                "annual_sample"
            },
            respondent_kind: "individual",
            comment: None,
            answer_values: &values,
            choices: &choices,
        };
        db::transaction(conn, |c| db::fieldwork::store_unit_response(c, &response))?;
    }
    Ok(Some(id))
}
