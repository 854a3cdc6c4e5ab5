//! The staff accounts' pages: the list, a new account, an account's edit page, disabling and enabling.

use super::*;

const LIST: &str = "/admin/users";

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
    let rows: Vec<AccountRow> = accounts.iter().map(Into::into).collect();
    list_page(
        state,
        admin,
        status,
        ("registry_users.html", rows),
        form,
        done,
    )
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
        if let Some(done) = settle(outcome, LIST, "created", &mut shown.errors) {
            return Ok(done);
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    users_page(&state, &admin, status, shown, None).await
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
    fill_mail(&state, &mut form).await?;
    let record = (Some(form.username.clone()), a.active);
    record_page(
        &state,
        &admin,
        StatusCode::OK,
        "registry_user.html",
        record,
        form,
    )
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
    fill_mail(&state, &mut shown).await?;
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
        if let Some(done) = settle(outcome, LIST, "updated", &mut shown.errors) {
            return Ok(done);
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let record = (Some(a.username), a.active);
    record_page(&state, &admin, status, "registry_user.html", record, shown)
}

pub async fn set_user_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    name: web::Path<String>,
    form: Fields,
) -> StaffResult {
    let username = name.into_inner();
    if username == admin.0.user.username && field(&form, "active") == "false" {
        // An administrator who locks themselves out needs the command line to get back in.
        return Err(PageError::staff(Fault::NotAllowed)
            .saying("Không thể tự khóa tài khoản của chính mình."));
    }
    switch(&state, &admin, &form, LIST, move |c, actor, active| {
        Ok(db::users::set_active(c, actor, &username, active)?.is_some())
    })
    .await
}

/// The account's mail settings into its edit page.
async fn fill_mail(state: &AppState, form: &mut UserForm) -> Result<(), PageError> {
    let username = form.username.clone();
    let choice = staff_query(state, move |c| {
        Ok(match db::users::by_username(c, &username)? {
            Some(u) => db::digests::choice_of(c, u.id)?,
            None => None,
        })
    })
    .await?
    .ok_or_else(|| PageError::staff(Fault::NotFound))?;
    form.email = choice.email.clone().unwrap_or_default();
    form.digest = choice.cadence().as_str().to_owned();
    form.mail_lang = choice.lang;
    Ok(())
}

/// POST /admin/users/{name}/mail: the account's address, digest cadence and mail language.
pub async fn update_mail(
    state: web::Data<AppState>,
    admin: AdminUser,
    name: web::Path<String>,
    form: Fields,
) -> StaffResult {
    let a = account(&state, name.into_inner()).await?;
    let mut errors = Vec::new();
    let typed = field(&form, "email").trim().to_owned();
    let email = if typed.is_empty() {
        Some(None)
    } else {
        match crate::domain::email::Email::parse(&typed) {
            Ok(e) => Some(Some(e.as_str().to_owned())),
            Err(why) => {
                errors.push(format!("Địa chỉ thư điện tử: địa chỉ {why}."));
                None
            }
        }
    };
    let cadence = db::digests::Cadence::parse(field(&form, "digest"));
    if cadence.is_none() {
        errors.push("Bản tin: vui lòng chọn hằng tuần, hằng tháng hoặc không nhận.".to_owned());
    }
    let lang = match field(&form, "mail_lang") {
        "vi" => Some("vi"),
        "en" => Some("en"),
        _ => {
            errors.push("Ngôn ngữ của thư: vui lòng chọn Tiếng Việt hoặc English.".to_owned());
            None
        }
    };
    if let (Some(email), Some(cadence), Some(lang)) = (email, cadence, lang) {
        if a.role == Role::System && cadence != db::digests::Cadence::Off {
            errors.push("Tài khoản hệ thống không nhận bản tin.".to_owned());
        } else {
            let actor = admin.0.actor();
            let username = a.username.clone();
            db::run(&state.pool, move |c| {
                let Some(u) = db::users::by_username(c, &username)? else {
                    return Ok(false);
                };
                db::digests::set_choice(c, &actor, u.id, cadence, lang, Some(email.as_deref()))
            })
            .await
            .map_err(PageError::staff)?;
            return Ok(super::see_other(&format!("{LIST}?done=updated")));
        }
    }
    let mut shown = UserForm::blank(role_choices(), agency_codes(&state).await?);
    shown.username = a.username.clone();
    shown.role = a.role.as_str().to_owned();
    shown.agency = a.agency_code.clone().unwrap_or_default();
    shown.email = typed;
    shown.digest = field(&form, "digest").to_owned();
    shown.mail_lang = field(&form, "mail_lang").to_owned();
    shown.mail_errors = errors;
    let record = (Some(a.username), a.active);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    record_page(&state, &admin, status, "registry_user.html", record, shown)
}
