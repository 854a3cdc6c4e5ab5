//! The desks' pages: a new desk, a desk's edit page, disabling and enabling. Desks are listed
//! on the administrators' home page (`/admin`), where a change returns.

use super::*;
use crate::domain::opening_hours::OpeningHours;

const LIST: &str = "/admin";

async fn desk_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    record: (Option<i32>, bool),
    mut form: DeskForm,
) -> StaffResult {
    if record.0.is_none() {
        form.agencies = staff_query(state, db::agencies::list_all)
            .await?
            .into_iter()
            .filter(|a| a.active)
            .map(|a| Choice::new(a.id.to_string(), format!("{} – {}", a.code, a.name)))
            .collect();
    }
    let record = (record.0.map(|id| id.to_string()), record.1);
    record_page(state, admin, status, "registry_desk.html", record, form)
}

pub async fn new_desk(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    desk_page(
        &state,
        &admin,
        StatusCode::OK,
        (None, true),
        DeskForm::default(),
    )
    .await
}

fn read_desk(form: &[(String, String)], shown: &mut DeskForm) -> Option<DeskFields> {
    let mut check = Checked(Vec::new());
    let code = check.take(registry::code("code", field(form, "code")));
    let name = check.take(registry::name("name", field(form, "name")));
    let typed = field(form, "opening_hours").trim();
    let hours = match typed {
        "" => Ok(None),
        t => match OpeningHours::parse(t) {
            Ok(_) => Ok(Some(t.to_owned())),
            Err(e) => Err(FieldError::new(
                "opening_hours",
                format!("Giờ làm việc: {}", e.vi),
                format!("opening_hours: {}", e.en),
            )),
        },
    };
    let opening_hours = check.take(hours);
    shown.code = field(form, "code").to_owned();
    shown.name = field(form, "name").to_owned();
    shown.opening_hours = typed.to_owned();
    shown.errors = check.messages();
    Some(DeskFields {
        code: code?,
        name: name?,
        opening_hours: opening_hours?,
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
        if let Some(done) = settle(refusal(outcome)?, LIST, "created", &mut shown.errors) {
            return Ok(done);
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    desk_page(&state, &admin, status, (None, true), shown).await
}

/// The desk as its page shows it: its form (agency fixed) and whether it is open.
async fn existing(state: &AppState, id: i32) -> Result<(DeskForm, bool), PageError> {
    let d = staff_query(state, move |c| db::desks::find_visible(c, Scope::All, id))
        .await?
        .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    let form = DeskForm {
        agency: format!("{} – {}", d.agency_code, d.agency_name),
        code: d.code,
        name: d.name,
        opening_hours: d.opening_hours.unwrap_or_default(),
        ..DeskForm::default()
    };
    Ok((form, d.active))
}

pub async fn desk(state: web::Data<AppState>, admin: AdminUser, id: web::Path<i32>) -> StaffResult {
    let (form, active) = existing(&state, *id).await?;
    desk_page(&state, &admin, StatusCode::OK, (Some(*id), active), form).await
}

pub async fn update_desk(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = *id;
    let (mut shown, active) = existing(&state, id).await?;
    if let Some(fields) = read_desk(&form, &mut shown) {
        let actor = admin.0.actor();
        let outcome = staff_query(&state, move |c| {
            db::desks::update_audited(c, &actor, Scope::All, id, &fields)
        })
        .await?;
        if let Some(done) = settle(refusal(outcome)?, LIST, "updated", &mut shown.errors) {
            return Ok(done);
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    desk_page(&state, &admin, status, (Some(id), active), shown).await
}

pub async fn set_desk_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<i32>,
    form: Fields,
) -> StaffResult {
    let id = *id;
    switch(&state, &admin, &form, LIST, move |c, actor, active| {
        Ok(db::desks::set_active(c, actor, Scope::All, id, active)?.is_ok())
    })
    .await
}
