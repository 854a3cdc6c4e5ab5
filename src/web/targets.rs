//! Satisfaction targets (`/admin/targets`, Home Affairs only): one per agency level, or one for
//! a single agency, which wins over its level's. The dashboard judges the overall SIPAS
//! against the target by its interval. Every change is audited.

use crate::views::StaffFrame;
use actix_web::http::StatusCode;
use actix_web::web;
use serde::Serialize;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::registry::{field, Fields};
use super::{render, see_other, staff_query, StaffResult};
use crate::db::{self, targets::Subject};
use crate::state::AppState;
use crate::views::registry::Choice;
use crate::views::{percent, Lang};

#[derive(Serialize)]
struct TargetRow {
    subject: String,
    kind: &'static str,
    code: String,
    name: String,
    value: String,
}

#[derive(Serialize)]
struct TargetsPage {
    #[serde(flatten)]
    shell: StaffFrame,
    targets: Vec<TargetRow>,
    subjects: Vec<Choice>,
    error: Option<String>,
    notice: Option<&'static str>,
    value: String,
    subject: String,
}

/// A target typed as a percentage ("98", "98,5" or "98.5"); empty removes it.
pub fn parse_percent(raw: &str) -> Result<Option<f64>, &'static str> {
    let t = raw.trim().trim_end_matches('%').trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v: f64 = t
        .replace(',', ".")
        .parse()
        .map_err(|_| "Mục tiêu phải là một số phần trăm, ví dụ 98 hoặc 97,5.")?;
    if !(v > 0.0 && v <= 100.0 && v.is_finite()) {
        return Err("Mục tiêu phải lớn hơn 0 và không quá 100%.");
    }
    Ok(Some(v / 100.0))
}

fn parse_subject(raw: &str) -> Option<Subject> {
    let (kind, id) = raw.split_once(':')?;
    let id: i32 = id.parse().ok()?;
    match kind {
        "level" => Some(Subject::Level(id)),
        "agency" => Some(Subject::Agency(id)),
        _ => None,
    }
}

async fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
    typed: (&str, &str),
) -> StaffResult {
    let (targets, levels, agencies) = staff_query(state, |c| {
        Ok((
            db::targets::list(c)?,
            db::agencies::levels(c)?,
            db::agencies::list_all(c)?,
        ))
    })
    .await?;
    let subject_of = |s: Subject| match s {
        Subject::Level(id) => format!("level:{id}"),
        Subject::Agency(id) => format!("agency:{id}"),
    };
    let mut subjects: Vec<Choice> = levels
        .iter()
        .map(|l| Choice::new(format!("level:{}", l.id), format!("Cấp: {}", l.name_vi)))
        .collect();
    subjects.extend(agencies.iter().filter(|a| a.active).map(|a| {
        Choice::new(
            format!("agency:{}", a.id),
            format!("{} – {}", a.code, a.name),
        )
    }));
    let page = TargetsPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        targets: targets
            .iter()
            .map(|t| TargetRow {
                subject: subject_of(t.subject),
                kind: match t.subject {
                    Subject::Level(_) => "Cấp",
                    Subject::Agency(_) => "Cơ quan",
                },
                // A level's code is the service's own (`department`): its name says it.
                code: match t.subject {
                    Subject::Level(_) => String::new(),
                    Subject::Agency(_) => t.code.clone(),
                },
                name: t.name.clone(),
                value: format!("{}%", percent(t.value, Lang::Vi)),
            })
            .collect(),
        subjects,
        error,
        notice,
        subject: typed.0.to_owned(),
        value: typed.1.to_owned(),
    };
    render(state, status, "targets.html", &page).map_err(PageError::staff)
}

pub async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<Done>,
) -> StaffResult {
    let notice = q.done.as_deref().map(|_| "Đã lưu mục tiêu.");
    page(&state, &admin, StatusCode::OK, None, notice, ("", "")).await
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn set(state: web::Data<AppState>, admin: AdminUser, form: Fields) -> StaffResult {
    let raw_subject = field(&form, "subject");
    let raw_value = field(&form, "value");
    let Some(subject) = parse_subject(raw_subject) else {
        return page(
            &state,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Trường “Áp dụng cho”: hãy chọn một cấp hoặc một cơ quan trong danh sách.".into()),
            None,
            (raw_subject, raw_value),
        )
        .await;
    };
    let value = match parse_percent(raw_value) {
        Ok(v) => v,
        Err(why) => {
            return page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(format!("Trường “Mục tiêu”: {why}")),
                None,
                (raw_subject, raw_value),
            )
            .await
        }
    };
    let actor = admin.0.actor();
    let exists = staff_query(&state, move |c| {
        let known = match subject {
            Subject::Level(id) => db::agencies::levels(c)?.iter().any(|l| l.id == id),
            Subject::Agency(id) => db::agencies::find_row(c, id)?.is_some(),
        };
        if known {
            db::targets::set(c, &actor, subject, value)?;
        }
        Ok(known)
    })
    .await?;
    if !exists {
        return Err(PageError::staff(Fault::NotFound));
    }
    Ok(see_other("/admin/targets?done=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_typed_as_percentages() {
        assert_eq!(parse_percent("98"), Ok(Some(0.98)));
        assert_eq!(parse_percent(" 97,5 % "), Ok(Some(0.975)));
        assert_eq!(parse_percent("100"), Ok(Some(1.0)));
        assert_eq!(parse_percent(""), Ok(None));
        assert!(parse_percent("0").is_err());
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("NaN").is_err());
        assert!(parse_percent("9 8").is_err());
        assert_eq!(parse_subject("level:3"), Some(Subject::Level(3)));
        assert_eq!(parse_subject("agency:x"), None);
        assert_eq!(parse_subject("desk:1"), None);
    }
}
