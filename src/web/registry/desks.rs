//! The desks' pages: a new desk, a desk's edit page, disabling and enabling.

use super::*;

// ---- desks ----

async fn desk_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    mut form: DeskForm,
) -> StaffResult {
    if form.id.is_none() {
        form.agencies = staff_query(state, db::agencies::list_all)
            .await?
            .into_iter()
            .filter(|a| a.active)
            .map(|a| Choice::new(a.id.to_string(), format!("{} – {}", a.code, a.name)))
            .collect();
    }
    let page = crate::views::registry::DeskPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        form,
    };
    render(state, status, "registry_desk.html", &page).map_err(PageError::staff)
}

pub async fn new_desk(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    desk_page(&state, &admin, StatusCode::OK, DeskForm::default()).await
}

fn read_desk(form: &[(String, String)], shown: &mut DeskForm) -> Option<DeskFields> {
    let mut check = Checked(Vec::new());
    let code = check.take(registry::code("code", field(form, "code")));
    let name = check.take(registry::name("name", field(form, "name")));
    shown.code = field(form, "code").to_owned();
    shown.name = field(form, "name").to_owned();
    shown.errors = check.messages();
    Some(DeskFields {
        code: code?,
        name: name?,
    })
}

pub async fn create_desk(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: Fields,
) -> StaffResult {
    let mut shown = DeskForm {
        agency: field(&form, "agency").to_owned(),
        ..DeskForm::default()
    };
    let fields = read_desk(&form, &mut shown);
    let agency = field(&form, "agency").trim().parse::<i32>().ok();
    if agency.is_none() {
        shown
            .errors
            .push("Vui lòng chọn một cơ quan có trong danh sách.".into());
    }
    if let (Some(fields), Some(agency_id)) = (fields, agency) {
        let actor = admin.0.actor();
        let outcome = staff_query(&state, move |c| {
            db::desks::create_audited(c, &actor, Scope::All, agency_id, &fields)
        })
        .await?;
        match outcome {
            Ok(_) => return Ok(see_other("/admin?done=created")),
            Err(r) => shown.errors.push(refusal(r)?),
        }
    }
    desk_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

pub async fn desk(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> StaffResult {
    let id = *id;
    let d = staff_query(&state, move |c| db::desks::find_visible(c, Scope::All, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    let form = DeskForm {
        id: Some(d.id),
        active: d.active,
        agency: format!("{} – {}", d.agency_code, d.agency_name),
        code: d.code,
        name: d.name,
        ..DeskForm::default()
    };
    desk_page(&state, &admin, StatusCode::OK, form).await
}

pub async fn update_desk(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = *id;
    let d = staff_query(&state, move |c| db::desks::find_visible(c, Scope::All, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    let mut shown = DeskForm {
        id: Some(id),
        active: d.active,
        agency: format!("{} – {}", d.agency_code, d.agency_name),
        ..DeskForm::default()
    };
    if let Some(fields) = read_desk(&form, &mut shown) {
        let actor = admin.0.actor();
        let outcome = staff_query(&state, move |c| {
            db::desks::update_audited(c, &actor, Scope::All, id, &fields)
        })
        .await?;
        match outcome {
            Ok(()) => return Ok(see_other("/admin?done=updated")),
            Err(r) => shown.errors.push(refusal(r)?),
        }
    }
    desk_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, shown).await
}

pub async fn set_desk_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let (id, active) = (*id, wanted_state(&form)?);
    let actor = admin.0.actor();
    staff_query(&state, move |c| {
        db::desks::set_active(c, &actor, Scope::All, id, active)
    })
    .await?
    .map_err(|_| PageError::staff(Fault::NotFound))?;
    Ok(see_other(&format!("/admin?done={}", done_word(active))))
}
