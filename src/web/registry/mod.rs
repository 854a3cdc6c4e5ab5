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
    AccountRow, AgencyForm, AgencyView, AuditPage, AuditRow, Choice, DeskForm, ListPage,
    RecordPage, UserForm,
};
use crate::views::Lang;

mod agencies;
mod audit_log;
mod desks;
mod users;

pub use agencies::{agencies, agency, create_agency, set_agency_active, update_agency};
pub use audit_log::{audit_log, AuditQuery};
pub use desks::{create_desk, desk, new_desk, set_desk_active, update_desk};
pub use users::{create_user, set_user_active, update_mail, update_user, user, users};

/// Form fields as typed; a missing field reads as empty and is refused by its rule.
pub(super) type Fields = web::Form<Vec<(String, String)>>;

pub(super) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
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

/// The reason a registry change was refused, for the form; a record gone meanwhile is 404.
fn refusal<T>(outcome: Result<T, Refused>) -> Result<Result<T, String>, PageError> {
    let r = match outcome {
        Ok(t) => return Ok(Ok(t)),
        Err(r) => r,
    };
    Ok(Err(match r {
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
    }))
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

/// A registry list with its "add" form (`registry_agencies.html`, `registry_users.html`).
fn list_page<R: serde::Serialize, F: serde::Serialize>(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    (template, rows): (&str, Vec<R>),
    form: F,
    done: Option<&str>,
) -> StaffResult {
    let page = ListPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        rows,
        form,
        notice: notice(done),
    };
    render(state, status, template, &page).map_err(PageError::staff)
}

/// One record's page, its form as typed and its switch.
fn record_page<F: serde::Serialize>(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    template: &str,
    (key, active): (Option<String>, bool),
    form: F,
) -> StaffResult {
    let page = RecordPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        key,
        active,
        form,
    };
    render(state, status, template, &page).map_err(PageError::staff)
}

/// A change's outcome: done → back to `list` with its notice; refused → the reason joins the
/// form's and the caller shows the form again.
fn settle<T>(
    outcome: Result<T, String>,
    list: &str,
    done: &str,
    errors: &mut Vec<String>,
) -> Option<actix_web::HttpResponse> {
    match outcome {
        Ok(_) => Some(see_other(&format!("{list}?done={done}"))),
        Err(why) => {
            errors.push(why);
            None
        }
    }
}

/// Disables or enables one record (`active=true|false` in the form; anything else is a bad
/// request). `change` answers whether the record was there to change.
async fn switch<F>(
    state: &AppState,
    admin: &AdminUser,
    form: &[(String, String)],
    list: &str,
    change: F,
) -> StaffResult
where
    F: FnOnce(&mut db::Conn, &audit::Actor, bool) -> Result<bool, db::QueryError> + Send + 'static,
{
    let active = match field(form, "active") {
        "true" => true,
        "false" => false,
        _ => return Err(PageError::staff(Fault::BadRequest)),
    };
    let actor = admin.0.actor();
    if !staff_query(state, move |c| change(c, &actor, active)).await? {
        return Err(PageError::staff(Fault::NotFound));
    }
    let done = if active { "enabled" } else { "disabled" };
    Ok(see_other(&format!("{list}?done={done}")))
}

fn pick(field: &str, vi: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message_vi: vi.to_owned(),
        message_en: format!("{field} is not one of the choices"),
    }
}
