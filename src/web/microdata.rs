//! `/admin/microdata.csv`: the anonymised response microdata of a dashboard selection, one row
//! per response — the date without the time, agency and desk codes, channel, respondent kind,
//! one column per question (empty: no opinion or skipped) — and the comment only when asked
//! for (`comments=1`; hidden comments never). Nothing else: no submission id, no time of day,
//! no procedure code. Rows are ordered by day, agency, desk and then at random. The same scope
//! rules as the dashboard apply; running `sipas analyze` on this file gives the dashboard's
//! item indices (tested).

use actix_web::web;
use serde::Deserialize;

use super::dashboard::results_for;
use super::export::{self, ExportFormat, Sheet, Value};
use super::filters::{nonempty, PeriodQuery};
use super::guard::StaffUser;
use super::{staff_query, StaffResult};
use crate::db::{self, results::MicrodataQuery};
use crate::domain::privacy;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct MicroQuery {
    agency: Option<String>,
    desk: Option<String>,
    comments: Option<String>,
    #[serde(flatten)]
    period: PeriodQuery,
}

pub async fn microdata(
    state: web::Data<AppState>,
    staff: StaffUser,
    q: web::Query<MicroQuery>,
) -> StaffResult {
    // The same resolution of agency, desk and scope as the dashboard.
    let r = results_for(&state, &staff, &q.agency, &q.desk, &q.period).await?;
    let with_comments = matches!(nonempty(&q.comments), Some("1" | "true" | "on"));
    let form = state.ingest.desk_form.clone();
    let query = MicrodataQuery {
        slice: r.slice.clone(),
        from: r.filter.from,
        to: r.filter.to,
    };
    let rows = staff_query(&state, move |c| db::results::microdata(c, &query)).await?;
    let mut header = export::header(&["date", "agency", "desk", "channel", "kind"]);
    header.extend(form.questions.iter().map(|q| q.code.clone()));
    if with_comments {
        header.push("comment".into());
    }
    let sheet = Sheet {
        about: Vec::new(),
        name: format!(
            "sipas-microdata-{}-{}-{}",
            r.agency.code, r.filter.from, r.filter.to
        ),
        header,
        rows: rows
            .iter()
            .map(|m| {
                let mut row = vec![
                    Value::text(m.day.to_string()),
                    Value::text(&m.agency_code),
                    m.desk_code.as_deref().map_or(Value::Empty, Value::text),
                    Value::text(&m.channel),
                    Value::text(&m.respondent_kind),
                ];
                row.extend(form.questions.iter().map(|q| {
                    m.answers
                        .iter()
                        .find(|(item, _)| *item == q.item_id)
                        .and_then(|(_, v)| *v)
                        .map_or(Value::Empty, |v| Value::Int(i64::from(v)))
                }));
                if with_comments {
                    row.push(
                        m.comment
                            .as_deref()
                            .map_or(Value::Empty, |c| Value::text(privacy::mask_personal(c))),
                    );
                }
                row
            })
            .collect(),
    };
    export::download(&sheet, ExportFormat::Csv, crate::views::Lang::Vi)
}
