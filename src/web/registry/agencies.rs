//! The agencies' pages: the list, a new agency, an agency's edit page, disabling and enabling.

use super::*;

const LIST: &str = "/admin/agencies";

async fn agency_choices(state: &AppState) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    staff_query(state, |c| {
        let levels = db::agencies::levels(c)?
            .into_iter()
            .map(|l| Choice::new(l.id.to_string(), l.name_vi))
            .collect();
        let parents = db::agencies::list_all(c)?
            .into_iter()
            .map(|a| Choice::new(a.id.to_string(), format!("{} – {}", a.code, a.name)))
            .collect();
        Ok((levels, parents))
    })
    .await
}

async fn agencies_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: AgencyForm,
    done: Option<&str>,
) -> StaffResult {
    let list = staff_query(state, db::agencies::list_all).await?;
    let rows = ("registry_agencies.html", AgencyView::list(&list));
    list_page(state, admin, status, rows, form, done)
}

pub async fn agencies(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<Notice>,
) -> StaffResult {
    let (levels, parents) = agency_choices(&state).await?;
    let form = AgencyForm::blank(levels, parents);
    agencies_page(&state, &admin, StatusCode::OK, form, q.done.as_deref()).await
}

/// Reads the agency form: the fields when every one passed, and the form to show again.
async fn read_agency(
    state: &AppState,
    form: &[(String, String)],
) -> Result<(Option<AgencyFields>, AgencyForm), PageError> {
    let (levels, parents) = agency_choices(state).await?;
    let mut check = Checked(Vec::new());
    let code = check.take(registry::code("code", field(form, "code")));
    let name = check.take(registry::name("name", field(form, "name")));
    let level = field(form, "level").trim().parse::<i32>().ok();
    if level.is_none() {
        check.0.push(pick("level", "Vui lòng chọn cấp hành chính."));
    }
    let parent = id_or_none(field(form, "parent"));
    if parent.is_err() {
        check.0.push(pick(
            "parent",
            "Vui lòng chọn cơ quan cấp trên có trong danh sách.",
        ));
    }
    let shown = AgencyForm {
        code: field(form, "code").to_owned(),
        name: field(form, "name").to_owned(),
        level: field(form, "level").to_owned(),
        parent: field(form, "parent").to_owned(),
        levels,
        parents,
        errors: check.messages(),
    };
    let fields = match (code, name, level, parent) {
        (Some(code), Some(name), Some(level_id), Ok(parent_id)) => Some(AgencyFields {
            code,
            name,
            level_id,
            parent_id,
        }),
        _ => None,
    };
    Ok((fields, shown))
}

pub async fn create_agency(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: Fields,
) -> StaffResult {
    let (fields, mut shown) = read_agency(&state, &form).await?;
    if let Some(fields) = fields {
        let actor = admin.0.actor();
        let outcome = staff_query(&state, move |c| {
            db::agencies::create_audited(c, &actor, &fields)
        })
        .await?;
        if let Some(done) = settle(refusal(outcome)?, LIST, "created", &mut shown.errors) {
            return Ok(done);
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    agencies_page(&state, &admin, status, shown, None).await
}

pub async fn agency(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
) -> StaffResult {
    let id = *id;
    let row = staff_query(&state, move |c| db::agencies::find_row(c, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    let (levels, parents) = agency_choices(&state).await?;
    let form = AgencyForm {
        code: row.code,
        name: row.name,
        level: row.level_id.to_string(),
        parent: row.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        levels,
        parents: parents
            .into_iter()
            .filter(|p| p.value != id.to_string())
            .collect(),
        errors: Vec::new(),
    };
    let record = (Some(id.to_string()), row.active);
    record_page(
        &state,
        &admin,
        StatusCode::OK,
        "registry_agency.html",
        record,
        form,
    )
}

pub async fn update_agency(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = *id;
    let (fields, mut shown) = read_agency(&state, &form).await?;
    if let Some(fields) = fields {
        let actor = admin.0.actor();
        let outcome = staff_query(&state, move |c| {
            db::agencies::update_audited(c, &actor, id, &fields)
        })
        .await?;
        if let Some(done) = settle(refusal(outcome)?, LIST, "updated", &mut shown.errors) {
            return Ok(done);
        }
    }
    let active = staff_query(&state, move |c| db::agencies::find_row(c, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?
        .active;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let record = (Some(id.to_string()), active);
    record_page(
        &state,
        &admin,
        status,
        "registry_agency.html",
        record,
        shown,
    )
}

pub async fn set_agency_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = *id;
    switch(&state, &admin, &form, LIST, move |c, actor, active| {
        Ok(db::agencies::set_active(c, actor, id, active)?.is_ok())
    })
    .await
}
