//! The agencies' pages: the list, a new agency, an agency's edit page, disabling and enabling.

use super::*;

async fn agency_choices(state: &AppState) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    db::run(&state.pool, |c| {
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
    .map_err(PageError::staff)
}

async fn agencies_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: AgencyForm,
    done: Option<&str>,
) -> StaffResult {
    let list = staff_query(state, db::agencies::list_all).await?;
    let page = AgenciesPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        agencies: AgencyView::list(&list),
        form,
        notice: notice(done),
    };
    render(state, status, "registry_agencies.html", &page).map_err(PageError::staff)
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

/// Reads the agency form: (fields, what to show again, refusals).
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
    let Some(fields) = fields else {
        return agencies_page(
            &state,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown,
            None,
        )
        .await;
    };
    let actor = admin.0.actor();
    let outcome = staff_query(&state, move |c| {
        db::agencies::create_audited(c, &actor, &fields)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(see_other("/admin/agencies?done=created")),
        Err(r) => {
            shown.errors.push(refusal(r)?);
            agencies_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                None,
            )
            .await
        }
    }
}

fn agency_edit_page(
    state: &AppState,
    admin: &AdminUser,
    id: i32,
    active: bool,
    status: StatusCode,
    form: AgencyForm,
) -> StaffResult {
    let page = crate::views::registry::AgencyPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        id,
        active,
        form,
    };
    render(state, status, "registry_agency.html", &page).map_err(PageError::staff)
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
    agency_edit_page(&state, &admin, id, row.active, StatusCode::OK, form)
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
        match outcome {
            Ok(()) => return Ok(see_other("/admin/agencies?done=updated")),
            Err(r) => shown.errors.push(refusal(r)?),
        }
    }
    let active = staff_query(&state, move |c| db::agencies::find_row(c, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?
        .active;
    agency_edit_page(
        &state,
        &admin,
        id,
        active,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
    )
}

pub async fn set_agency_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let (id, active) = (*id, wanted_state(&form)?);
    let actor = admin.0.actor();
    staff_query(&state, move |c| {
        db::agencies::set_active(c, &actor, id, active)
    })
    .await?
    .map_err(|_| PageError::staff(Fault::NotFound))?;
    Ok(see_other(&format!(
        "/admin/agencies?done={}",
        done_word(active)
    )))
}
