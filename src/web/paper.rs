//! Keying returned paper questionnaires, keyboard first: type the invitation code printed on
//! the questionnaire, Enter; one key per answer (1–5, 0 for "no opinion", nothing for blank),
//! Tab to the next, Enter to save — and the screen is ready for the next code. With double
//! entry the second keyer sees nothing of the first keying; disagreements wait on their own
//! page for an administrator to read the paper again. Administrators only.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::registry::{field, Fields};
use super::{render, see_other, staff_query, StaffResult};
use crate::db;
use crate::domain::invitation::Invitation;
use crate::domain::FormSpec;
use crate::state::AppState;
use crate::survey::paper::{self, Checked, Keyed, Outcome};
use crate::survey::{self, StepError};
use crate::views::survey::{
    ChoiceKeyField, Conflict, ConflictsPage, KeyField, PaperPage, PaperUnit,
};
use crate::views::Lang;

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "counted" => "Đã lưu: phiếu được tính. Gõ mã của phiếu tiếp theo.",
            "first" => "Đã lưu lần nhập 1. Phiếu cần một người khác nhập lại (lần 2). Gõ mã của phiếu tiếp theo.",
            "disagree" => "Đã lưu lần nhập 2, nhưng hai lần nhập khác nhau: phiếu chờ đối chiếu với bản giấy.",
            "resolved" => "Đã đối chiếu: phiếu được tính.",
            "double_on" => "Đã bật nhập hai lần.",
            "double_off" => "Đã tắt nhập hai lần: mỗi phiếu được tính sau một lần nhập.",
            _ => return None,
        }
        .to_owned(),
    )
}

/// The questionnaire's fields, with what was typed (or agreed) and what two keyings said.
fn fields(
    form: &FormSpec,
    typed: &dyn Fn(&str) -> String,
    disagreement: &dyn Fn(&str) -> Option<String>,
) -> Vec<KeyField> {
    let mut last: Option<String> = None;
    form.questions
        .iter()
        .map(|q| {
            let part = q
                .factor_name_vi
                .clone()
                .unwrap_or_else(|| "Đánh giá chung".to_owned());
            let first = last.as_ref() != Some(&part);
            last = Some(part.clone());
            KeyField {
                code: q.code.clone(),
                text: q.text_vi.clone(),
                value: typed(&q.code),
                part: first.then_some(part),
                disagreement: disagreement(&q.code),
            }
        })
        .collect()
}

/// The choice questions' fields: what was typed (or agreed), and what two keyings said.
fn choice_fields(
    form: &FormSpec,
    typed: &dyn Fn(&str) -> String,
    disagreement: &dyn Fn(i32) -> Option<String>,
) -> Vec<ChoiceKeyField> {
    form.choices
        .iter()
        .map(|q| ChoiceKeyField {
            code: q.code.clone(),
            text: format!(
                "{}{}",
                q.text_vi,
                if q.multiple {
                    " (gõ số của mọi lựa chọn được đánh dấu, ví dụ 135)"
                } else {
                    ""
                }
            ),
            hint: q
                .options
                .iter()
                .map(|o| format!("{} {}", o.value, o.label_vi))
                .collect::<Vec<_>>()
                .join(" · "),
            value: typed(&q.code),
            maxlength: if q.multiple { q.options.len() } else { 2 },
            disagreement: disagreement(q.id),
        })
        .collect()
}

struct Loaded {
    wave: String,
    double_entry: bool,
    pending: usize,
    form: FormSpec,
}

async fn load(state: &AppState, id: i32) -> Result<Loaded, PageError> {
    let found = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        let w = match survey::find(c, id) {
            Ok(w) => w,
            Err(_) => return Ok(None),
        };
        let form = survey::full_form(c, id)?;
        Ok(Some(Loaded {
            wave: format!("{} ({})", w.row.name, w.row.year),
            double_entry: db::paper::double_entry(c, id)?,
            pending: db::paper::pending(c, id)?.len(),
            form,
        }))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    found.ok_or_else(|| PageError::staff(Fault::NotFound))
}

/// A code as printed (any case, dashes) checked against the key and the wave.
async fn unit_of(
    state: &AppState,
    id: i32,
    typed: &str,
) -> Result<Option<db::fieldwork::InvitedUnit>, PageError> {
    let Some(inv) = Invitation::verify(typed, &state.key) else {
        return Ok(None);
    };
    let unit = staff_query(state, move |c| db::fieldwork::invited_unit(c, inv.unit_id)).await?;
    Ok(unit.filter(|u| u.wave_id == id))
}

#[allow(clippy::too_many_arguments)]
fn show(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    l: &Loaded,
    status: StatusCode,
    unit: Option<PaperUnit>,
    errors: Vec<String>,
    typed: &[(String, String)],
    notice: Option<String>,
) -> StaffResult {
    let value = |name: &str| field(typed, name).to_owned();
    let page = PaperPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        id,
        wave: l.wave.clone(),
        double_entry: l.double_entry,
        notice,
        errors,
        pending: l.pending,
        fields: if unit.is_some() {
            fields(&l.form, &|code| value(&format!("k.{code}")), &|_| None)
        } else {
            Vec::new()
        },
        choice_fields: if unit.is_some() {
            choice_fields(&l.form, &|code| value(&format!("c.{code}")), &|_| None)
        } else {
            Vec::new()
        },
        unit,
        kind: value("kind"),
        comment: value("comment"),
        code: value("code"),
    };
    render(state, status, "admin_paper.html", &page).map_err(PageError::staff)
}

/// The code screen (and, with `?code=`, on to the questionnaire).
pub async fn start(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<CodeQuery>,
) -> StaffResult {
    let id = id.into_inner();
    let l = load(&state, id).await?;
    let typed = q.code.as_deref().unwrap_or("").trim().to_owned();
    if typed.is_empty() {
        return show(
            &state,
            &admin,
            id,
            &l,
            StatusCode::OK,
            None,
            Vec::new(),
            &[],
            notice(q.done.as_deref()),
        );
    }
    match unit_of(&state, id, &typed).await? {
        Some(u) => {
            let code = Invitation { unit_id: u.unit_id }.sign(&state.key);
            Ok(see_other(&format!("/admin/waves/{id}/paper/{code}")))
        }
        None => {
            let why =
                "Mã không đúng hoặc không thuộc đợt này. Kiểm tra lại 16 ký tự in trên phiếu."
                    .to_owned();
            let kept = vec![("code".to_owned(), typed)];
            show(
                &state,
                &admin,
                id,
                &l,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                vec![why],
                &kept,
                None,
            )
        }
    }
}

fn paper_unit(id: i32, code: &str, u: &db::fieldwork::InvitedUnit, entry: String) -> PaperUnit {
    PaperUnit {
        code: code.to_owned(),
        grouped: Invitation::grouped(code),
        agency: u.agency_name.clone(),
        entry,
        action: format!("/admin/waves/{id}/paper/{code}"),
    }
}

async fn entry_label(state: &AppState, unit_id: i64, double: bool) -> Result<String, PageError> {
    let n = staff_query(state, move |c| db::paper::entries(c, unit_id))
        .await?
        .len();
    Ok(match (double, n) {
        (false, _) => "Nhập một lần: phiếu được tính ngay khi lưu.".to_owned(),
        (true, 0) => "Lần nhập 1 (lần 2 do người khác nhập, không xem lần 1).".to_owned(),
        (true, 1) => "Lần nhập 2: nhập lại độc lập từ bản giấy.".to_owned(),
        (true, _) => "Phiếu đã được nhập hai lần và đang chờ đối chiếu.".to_owned(),
    })
}

pub async fn form(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(i32, String)>,
) -> StaffResult {
    let (id, code) = path.into_inner();
    let l = load(&state, id).await?;
    let Some(u) = unit_of(&state, id, &code).await? else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let entry = entry_label(&state, u.unit_id, l.double_entry).await?;
    let unit = paper_unit(id, &code, &u, entry);
    show(
        &state,
        &admin,
        id,
        &l,
        StatusCode::OK,
        Some(unit),
        Vec::new(),
        &[],
        None,
    )
}

fn keyed<'a>(form: &'a FormSpec, typed: &'a [(String, String)]) -> Keyed<'a> {
    Keyed {
        answers: form
            .questions
            .iter()
            .map(|q| {
                let name = format!("k.{}", q.code);
                let v = typed
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map_or("", |(_, v)| v.as_str());
                (q.code.as_str(), v)
            })
            .collect(),
        choices: form
            .choices
            .iter()
            .map(|q| (q.code.as_str(), field(typed, &format!("c.{}", q.code))))
            .collect(),
        kind: field(typed, "kind"),
        comment: field(typed, "comment"),
    }
}

pub async fn save(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(i32, String)>,
    typed: Fields,
) -> StaffResult {
    let (id, code) = path.into_inner();
    let l = load(&state, id).await?;
    let Some(u) = unit_of(&state, id, &code).await? else {
        return Err(PageError::staff(Fault::NotFound));
    };
    let typed = typed.into_inner();
    let checked = match paper::check(&l.form, &keyed(&l.form, &typed)) {
        Ok(c) => c,
        Err(errors) => {
            let entry = entry_label(&state, u.unit_id, l.double_entry).await?;
            let unit = paper_unit(id, &code, &u, entry);
            return show(
                &state,
                &admin,
                id,
                &l,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(unit),
                errors,
                &typed,
                None,
            );
        }
    };
    let actor = admin.0.actor();
    let keyer = admin.0.user.id;
    let unit_id = u.unit_id;
    let form = l.form.clone();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(paper::key(c, &actor, keyer, id, unit_id, &form, &checked))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let why = match outcome {
        Ok(Outcome::Counted) => return Ok(see_other(&format!("/admin/waves/{id}/paper?done=counted"))),
        Ok(Outcome::FirstOfTwo) => return Ok(see_other(&format!("/admin/waves/{id}/paper?done=first"))),
        Ok(Outcome::Disagree(_)) => return Ok(see_other(&format!("/admin/waves/{id}/paper?done=disagree"))),
        Ok(Outcome::SameKeyer) => "Bạn đã nhập lần 1 của phiếu này; lần 2 phải do một người khác nhập.".to_owned(),
        Ok(Outcome::AwaitingResolution) => "Phiếu này đã được nhập hai lần và đang chờ đối chiếu.".to_owned(),
        Ok(Outcome::AlreadyAnswered) => "Người này đã trả lời (trực tuyến, hoặc phiếu giấy đã được tính): phiếu này không được tính thêm.".to_owned(),
        Ok(Outcome::NotOpen) => "Đơn vị này không còn nhận phiếu (chưa được mời, hoặc đã được thay thế).".to_owned(),
        Err(StepError::Refused(why)) => why.vi,
        Err(StepError::Fault(e)) => return Err(PageError::staff(Fault::database(e))),
    };
    let unit = paper_unit(id, &code, &u, String::new());
    show(
        &state,
        &admin,
        id,
        &l,
        StatusCode::CONFLICT,
        Some(unit),
        vec![why],
        &typed,
        None,
    )
}

#[derive(Deserialize)]
pub struct DoubleForm {
    on: Option<String>,
}

/// Turns double entry on or off for the wave.
pub async fn set_double(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: web::Form<DoubleForm>,
) -> StaffResult {
    let id = id.into_inner();
    let on = form.on.as_deref() == Some("1");
    let actor = admin.0.actor();
    staff_query(&state, move |c| {
        db::paper::set_double_entry(c, &actor, id, on)
    })
    .await?;
    let done = if on { "double_on" } else { "double_off" };
    Ok(see_other(&format!("/admin/waves/{id}/paper?done={done}")))
}

/// Questionnaires keyed twice that disagree, each with a form to enter what the paper says.
pub async fn conflicts(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    q: web::Query<CodeQuery>,
) -> StaffResult {
    conflicts_page(
        &state,
        &admin,
        id.into_inner(),
        StatusCode::OK,
        Vec::new(),
        notice(q.done.as_deref()),
    )
    .await
}

async fn conflicts_page(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<String>,
) -> StaffResult {
    let l = load(state, id).await?;
    let units = staff_query(state, move |c| {
        let mut out = Vec::new();
        for unit_id in db::paper::pending(c, id)? {
            let Some(u) = db::fieldwork::invited_unit(c, unit_id)? else {
                continue;
            };
            out.push((u, db::paper::entries(c, unit_id)?));
        }
        Ok(out)
    })
    .await?;
    let conflicts = units
        .into_iter()
        .filter_map(|(u, entries)| {
            let [a, b] = entries.as_slice() else {
                return None;
            };
            let code = Invitation { unit_id: u.unit_id }.sign(&state.key);
            let slot = |c: &str| l.form.question(c).map(|q| q.slot);
            let agreed = |c: &str| {
                let s = slot(c)?;
                let (x, y) = (
                    a.answer_values.get(s).copied().flatten(),
                    b.answer_values.get(s).copied().flatten(),
                );
                (x == y).then(|| x.map_or(String::new(), |v| v.to_string()))
            };
            let differ = |c: &str| {
                let s = slot(c)?;
                let (x, y) = (
                    a.answer_values.get(s).copied().flatten(),
                    b.answer_values.get(s).copied().flatten(),
                );
                let shown = |v: Option<i16>| v.map_or("trống".to_owned(), |v| v.to_string());
                (x != y).then(|| format!("lần 1: {}, lần 2: {}", shown(x), shown(y)))
            };
            let picked = |e: &db::paper::Entry, q: i32| -> String {
                e.choices
                    .iter()
                    .filter(|&&c| c / 100 == q)
                    .map(|c| (c % 100).to_string())
                    .collect::<Vec<_>>()
                    .join("")
            };
            let choice_value = |code: &str| {
                let q = l.form.choice(code).map_or(0, |q| q.id);
                let (x, y) = (picked(a, q), picked(b, q));
                if x == y {
                    x
                } else {
                    String::new()
                }
            };
            let choice_differ = |q: i32| {
                let (x, y) = (picked(a, q), picked(b, q));
                let shown = |v: String| {
                    if v.is_empty() {
                        "trống".to_owned()
                    } else {
                        v
                    }
                };
                (x != y).then(|| format!("lần 1: {}, lần 2: {}", shown(x), shown(y)))
            };
            Some(Conflict {
                choice_fields: choice_fields(&l.form, &choice_value, &choice_differ),
                unit: PaperUnit {
                    action: format!("/admin/waves/{id}/paper-conflicts/{}", u.unit_id),
                    ..paper_unit(id, &code, &u, String::new())
                },
                keyers: format!("{} và {}", a.keyer, b.keyer),
                differences: paper::differences(&l.form, a, b),
                fields: fields(&l.form, &|c| agreed(c).unwrap_or_default(), &differ),
                kind: if a.respondent_kind == b.respondent_kind {
                    if a.respondent_kind == "organisation" {
                        "2".into()
                    } else {
                        "1".into()
                    }
                } else {
                    String::new()
                },
                comment: a.comment.clone().unwrap_or_default(),
            })
        })
        .collect();
    let page = ConflictsPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        id,
        wave: l.wave,
        notice,
        errors,
        conflicts,
    };
    render(state, status, "admin_paper_conflicts.html", &page).map_err(PageError::staff)
}

pub async fn resolve(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(i32, i64)>,
    typed: Fields,
) -> StaffResult {
    let (id, unit_id) = path.into_inner();
    let l = load(&state, id).await?;
    let typed = typed.into_inner();
    let checked: Checked = match paper::check(&l.form, &keyed(&l.form, &typed)) {
        Ok(c) => c,
        Err(errors) => {
            return conflicts_page(
                &state,
                &admin,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await
        }
    };
    let actor = admin.0.actor();
    let form = l.form.clone();
    let outcome = db::run_job::<_, crate::survey::StepError, _>(&state.pool, move |c| {
        Ok(paper::resolve(c, &actor, id, unit_id, &form, &checked))
    })
    .await
    .map_err(|e| PageError::staff(Fault::from(e)))?;
    let why = match outcome {
        Ok(Outcome::Counted) => {
            return Ok(see_other(&format!(
                "/admin/waves/{id}/paper-conflicts?done=resolved"
            )))
        }
        Ok(_) => "Người này đã trả lời: phiếu không được tính thêm.".to_owned(),
        Err(StepError::Refused(why)) => why.vi,
        Err(StepError::Fault(e)) => return Err(PageError::staff(Fault::database(e))),
    };
    conflicts_page(&state, &admin, id, StatusCode::CONFLICT, vec![why], None).await
}
