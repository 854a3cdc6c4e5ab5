//! The registry pages of Home Affairs administrators: agencies, desks and staff accounts, and
//! the audit log. Every page takes an `AdminUser` (anyone else gets 404); every change is
//! checked by the same rules as the command line (`domain::registry`) and audited by the
//! `db/` function that makes it. A refused form comes back with the reasons, field by field,
//! and nothing changed.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDate;
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::{render, see_other, staff_query, StaffResult};
use crate::auth::password;
use crate::db::agencies::{AgencyFields, Refused};
use crate::db::desks::DeskFields;
use crate::db::{self, audit, users::Scope};
use crate::domain::{registry, FieldError, Role};
use crate::state::AppState;
use crate::views::registry::{
    AgenciesPage, AgencyForm, AgencyView, AuditPage, AuditRow, Choice, DeskForm, UserForm,
    UsersPage,
};
use crate::views::{Chrome, Lang};

/// Form fields as typed; a missing field reads as empty and is refused by its rule.
pub(super) type Fields = web::Form<Vec<(String, String)>>;

pub(super) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn chrome() -> Chrome {
    Chrome::new(Lang::Vi)
}

/// Collects each field's refusal; `Ok` only when every field passed.
struct Checked(Vec<FieldError>);

impl Checked {
    fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    fn messages(&self) -> Vec<String> {
        self.0.iter().map(|e| e.message_vi.clone()).collect()
    }
}

/// The reason a registry change was refused, for the form.
fn refusal(r: Refused) -> Result<String, PageError> {
    Ok(match r {
        Refused::NotFound => return Err(PageError::staff(Fault::NotFound)),
        Refused::Taken { .. } => "Mã này đã được dùng. Vui lòng chọn mã khác.".into(),
        Refused::Unknown { field: "level" } => {
            "Vui lòng chọn một cấp hành chính có trong danh sách.".into()
        }
        Refused::Unknown { field: "agency" } => {
            "Vui lòng chọn một cơ quan có trong danh sách.".into()
        }
        Refused::Unknown { .. } => "Vui lòng chọn cơ quan cấp trên có trong danh sách.".into(),
        Refused::Cycle => {
            "Cơ quan cấp trên không thể là chính cơ quan này hoặc một đơn vị trực thuộc nó.".into()
        }
    })
}

fn id_or_none(raw: &str) -> Result<Option<i32>, ()> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| ()),
    }
}

// ---- agencies ----

#[derive(Deserialize)]
pub struct Notice {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some("Đã thêm."),
        "updated" => Some("Đã lưu thay đổi."),
        "disabled" => Some("Đã ngừng hoạt động. Có thể mở lại bất cứ lúc nào."),
        "enabled" => Some("Đã mở lại."),
        _ => None,
    }
}

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
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
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

fn pick(field: &str, vi: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message_vi: vi.to_owned(),
        message_en: format!("{field} is not one of the choices"),
    }
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
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
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

/// `active=true` opens, `active=false` closes; anything else is a bad request.
fn wanted_state(form: &[(String, String)]) -> Result<bool, PageError> {
    match field(form, "active") {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(PageError::staff(Fault::BadRequest)),
    }
}

fn done_word(active: bool) -> &'static str {
    if active {
        "enabled"
    } else {
        "disabled"
    }
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
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
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

// ---- accounts ----

fn role_choices() -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str().to_owned(), r.label_vi().to_owned()))
        .collect()
}

async fn agency_codes(state: &AppState) -> Result<Vec<Choice>, PageError> {
    Ok(staff_query(state, db::agencies::list_all)
        .await?
        .into_iter()
        .map(|a| Choice::new(a.code.clone(), format!("{} – {}", a.code, a.name)))
        .collect())
}

async fn users_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: UserForm,
    done: Option<&str>,
) -> StaffResult {
    let accounts = staff_query(state, db::users::list_accounts).await?;
    let page = UsersPage {
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
        accounts: accounts.iter().map(Into::into).collect(),
        form,
        notice: notice(done),
    };
    render(state, status, "registry_users.html", &page).map_err(PageError::staff)
}

pub async fn users(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<Notice>,
) -> StaffResult {
    let form = UserForm::blank(role_choices(), agency_codes(&state).await?);
    users_page(&state, &admin, StatusCode::OK, form, q.done.as_deref()).await
}

/// The role, its agency and (if `password_required` or one was typed) a new password.
struct AccountInput {
    role: Role,
    agency_code: Option<String>,
    password: Option<String>,
}

fn read_account(
    form: &[(String, String)],
    password_required: bool,
    check: &mut Checked,
) -> Option<AccountInput> {
    let role = field(form, "role").parse::<Role>().ok();
    if role.is_none() {
        check.0.push(pick("role", "Vui lòng chọn vai trò."));
    }
    let agency = field(form, "agency").trim();
    let agency_code = match (role, agency) {
        (Some(Role::Admin), "") => Some(None),
        (Some(Role::Admin), _) => {
            check.0.push(pick(
                "agency",
                "Tài khoản quản trị (Sở Nội vụ) không gắn với một cơ quan.",
            ));
            None
        }
        (Some(_), "") => {
            check
                .0
                .push(pick("agency", "Vai trò này cần chọn một cơ quan."));
            None
        }
        (_, code) => Some(Some(code.to_owned())),
    };
    let typed = field(form, "password");
    let password = if typed.is_empty() && !password_required {
        Some(None)
    } else {
        check.take(registry::password("password", typed)).map(Some)
    };
    Some(AccountInput {
        role: role?,
        agency_code: agency_code?,
        password: password?,
    })
}

/// The agency's id for a code, or the form's refusal.
fn agency_id_of(
    c: &mut db::Conn,
    code: Option<&str>,
) -> Result<Result<Option<i32>, String>, db::QueryError> {
    match code {
        None => Ok(Ok(None)),
        Some(code) => Ok(db::agencies::id_by_code(c, code)?
            .map(Some)
            .ok_or_else(|| "Vui lòng chọn một cơ quan có trong danh sách.".to_owned())),
    }
}

async fn hash(password: Option<String>) -> Result<Option<String>, PageError> {
    match password {
        None => Ok(None),
        Some(p) => web::block(move || password::hash_password(&p))
            .await
            .map_err(|e| PageError::staff(Fault::Internal(e.into())))?
            .map(Some)
            .map_err(|e| PageError::staff(Fault::Internal(e))),
    }
}

pub async fn create_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: Fields,
) -> StaffResult {
    let mut check = Checked(Vec::new());
    let username = check.take(registry::username("username", field(&form, "username")));
    let input = read_account(&form, true, &mut check);
    let mut shown = UserForm::blank(role_choices(), agency_codes(&state).await?);
    shown.username = field(&form, "username").to_owned();
    shown.role = field(&form, "role").to_owned();
    shown.agency = field(&form, "agency").to_owned();
    shown.errors = check.messages();
    if let (Some(username), Some(input)) = (username, input) {
        let new_hash = hash(input.password)
            .await?
            .expect("required for a new account");
        let actor = admin.0.actor();
        let outcome = db::run(&state.pool, move |c| {
            let agency_id = match agency_id_of(c, input.agency_code.as_deref())? {
                Ok(id) => id,
                Err(why) => return Ok(Err(why)),
            };
            if db::users::by_username(c, &username)?.is_some() {
                return Ok(Err(
                    "Tên đăng nhập này đã có. Vui lòng chọn tên khác.".to_owned()
                ));
            }
            db::users::upsert(c, &actor, &username, &new_hash, input.role, agency_id).map(Ok)
        })
        .await
        .map_err(PageError::staff)?;
        match outcome {
            Ok(_) => return Ok(see_other("/admin/users?done=created")),
            Err(why) => shown.errors.push(why),
        }
    }
    users_page(
        &state,
        &admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
        None,
    )
    .await
}

async fn user_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    form: UserForm,
    active: bool,
) -> StaffResult {
    let page = crate::views::registry::UserPage {
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
        active,
        form,
    };
    render(state, status, "registry_user.html", &page).map_err(PageError::staff)
}

async fn account(state: &AppState, username: String) -> Result<db::users::Account, PageError> {
    db::run(&state.pool, move |c| {
        Ok(db::users::list_accounts(c)?
            .into_iter()
            .find(|a| a.username == username))
    })
    .await
    .map_err(PageError::staff)?
    .ok_or_else(|| PageError::staff(Fault::NotFound))
}

pub async fn user(
    state: web::Data<AppState>,
    admin: AdminUser,
    name: web::Path<String>,
) -> StaffResult {
    let a = account(&state, name.into_inner()).await?;
    let mut form = UserForm::blank(role_choices(), agency_codes(&state).await?);
    form.username = a.username;
    form.role = a.role.as_str().to_owned();
    form.agency = a.agency_code.unwrap_or_default();
    user_page(&state, &admin, StatusCode::OK, form, a.active).await
}

pub async fn update_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    name: web::Path<String>,
    form: Fields,
) -> StaffResult {
    let a = account(&state, name.into_inner()).await?;
    let mut check = Checked(Vec::new());
    let input = read_account(&form, false, &mut check);
    let mut shown = UserForm::blank(role_choices(), agency_codes(&state).await?);
    shown.username = a.username.clone();
    shown.role = field(&form, "role").to_owned();
    shown.agency = field(&form, "agency").to_owned();
    shown.errors = check.messages();
    if let Some(input) = input {
        let new_hash = hash(input.password).await?;
        let actor = admin.0.actor();
        let username = a.username.clone();
        let outcome = db::run(&state.pool, move |c| {
            let agency_id = match agency_id_of(c, input.agency_code.as_deref())? {
                Ok(id) => id,
                Err(why) => return Ok(Err(why)),
            };
            db::users::update_audited(
                c,
                &actor,
                &username,
                input.role,
                agency_id,
                new_hash.as_deref(),
            )
            .map(|_| Ok(()))
        })
        .await
        .map_err(PageError::staff)?;
        match outcome {
            Ok(()) => return Ok(see_other("/admin/users?done=updated")),
            Err(why) => shown.errors.push(why),
        }
    }
    user_page(
        &state,
        &admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        shown,
        a.active,
    )
    .await
}

pub async fn set_user_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    name: web::Path<String>,
    form: Fields,
) -> StaffResult {
    let active = wanted_state(&form)?;
    let username = name.into_inner();
    if username == admin.0.user.username && !active {
        // An administrator who locks themselves out needs the command line to get back in.
        return Err(PageError::staff(Fault::NotAllowed)
            .saying("Không thể tự khóa tài khoản của chính mình."));
    }
    let actor = admin.0.actor();
    staff_query(&state, move |c| {
        db::users::set_active(c, &actor, &username, active)
    })
    .await?
    .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    Ok(see_other(&format!(
        "/admin/users?done={}",
        done_word(active)
    )))
}

// ---- the audit log ----

#[derive(Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn date(raw: &Option<String>) -> Result<Option<NaiveDate>, PageError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                PageError::staff(Fault::BadRequest).saying("Ngày phải có dạng YYYY-MM-DD.")
            }),
    }
}

/// How many entries one page shows; the filters narrow it down.
const AUDIT_PAGE: i64 = 500;

pub async fn audit_log(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<AuditQuery>,
) -> StaffResult {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let filter = audit::Filter {
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        entity_id: nonempty(&q.entity),
        from: date(&q.from)?,
        to: date(&q.to)?,
    };
    let f = filter.clone();
    let entries = staff_query(&state, move |c| audit::list(c, &f, AUDIT_PAGE)).await?;
    let page = AuditPage {
        chrome: chrome(),
        username: &admin.0.user.username,
        csrf: &admin.0.csrf_token(&state.key),
        actions: [
            ("", "Tất cả"),
            ("agency", "Cơ quan"),
            ("desk", "Quầy"),
            ("desk.rotate_key", "Thu hồi mã QR"),
            ("user", "Tài khoản"),
        ]
        .into_iter()
        .map(|(v, l)| Choice::new(v.into(), l.into()))
        .collect(),
        truncated: entries.len() as i64 == AUDIT_PAGE,
        rows: entries.into_iter().map(AuditRow::from).collect(),
        actor: filter.actor.unwrap_or_default(),
        action: filter.action.unwrap_or_default(),
        entity: filter.entity_id.unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
    };
    render(&state, StatusCode::OK, "registry_audit.html", &page).map_err(PageError::staff)
}
