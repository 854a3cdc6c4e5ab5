//! The registry pages of Home Affairs administrators: agencies, desks, accounts, audit log.

use crate::views::StaffFrame;
use serde::Serialize;

use crate::db::{agencies::AgencyRow, audit::Entry, users::Account};

/// A registry list with the form that adds to it: agencies, accounts.
#[derive(Serialize)]
pub struct ListPage<R, F> {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub rows: Vec<R>,
    pub form: F,
    /// What the last change did ("Đã thêm.", …), after its redirect.
    pub notice: Option<&'static str>,
}

/// One record's page: its form and its switch (disable/enable). `key` is none for a record
/// not yet created (a new desk).
#[derive(Serialize)]
pub struct RecordPage<F> {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub key: Option<String>,
    pub active: bool,
    pub form: F,
}

/// One entry of a select list.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

impl Choice {
    pub fn new(value: String, label: String) -> Choice {
        Choice { value, label }
    }
}

#[derive(Serialize)]
pub struct AgencyView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub active: bool,
}

impl AgencyView {
    pub fn list(rows: &[AgencyRow]) -> Vec<AgencyView> {
        let code_of = |id: i32| rows.iter().find(|r| r.id == id).map(|r| r.code.clone());
        rows.iter()
            .map(|r| AgencyView {
                id: r.id,
                code: r.code.clone(),
                name: r.name.clone(),
                level: r.level_name.clone(),
                parent_code: r.parent_id.and_then(code_of),
                active: r.active,
            })
            .collect()
    }
}

/// The agency form, as typed (so a refused form shows what was typed) with its choices.
#[derive(Serialize)]
pub struct AgencyForm {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent: String,
    pub levels: Vec<Choice>,
    pub parents: Vec<Choice>,
    pub errors: Vec<String>,
}

impl AgencyForm {
    pub fn blank(levels: Vec<Choice>, parents: Vec<Choice>) -> AgencyForm {
        AgencyForm {
            code: String::new(),
            name: String::new(),
            level: String::new(),
            parent: String::new(),
            levels,
            parents,
            errors: Vec::new(),
        }
    }
}

/// A new desk (the agency is chosen) or an existing one (the agency is shown).
#[derive(Default, Serialize)]
pub struct DeskForm {
    pub agency: String,
    pub agencies: Vec<Choice>,
    pub code: String,
    pub name: String,
    /// As typed; empty for the default hours.
    pub opening_hours: String,
    pub errors: Vec<String>,
}

#[derive(Serialize)]
pub struct AccountRow {
    pub username: String,
    pub role: &'static str,
    pub agency_code: Option<String>,
    pub active: bool,
}

impl From<&Account> for AccountRow {
    fn from(a: &Account) -> AccountRow {
        AccountRow {
            username: a.username.clone(),
            role: a.role.label_vi(),
            agency_code: a.agency_code.clone(),
            active: a.active,
        }
    }
}

#[derive(Serialize)]
pub struct UserForm {
    pub username: String,
    pub role: String,
    pub agency: String,
    pub roles: Vec<Choice>,
    pub agencies: Vec<Choice>,
    pub errors: Vec<String>,
    /// The account's digests (edit page only): address, cadence, language, and their refusals.
    pub email: String,
    pub digest: String,
    pub mail_lang: String,
    pub cadences: Vec<Choice>,
    pub mail_errors: Vec<String>,
}

impl UserForm {
    pub fn blank(roles: Vec<Choice>, agencies: Vec<Choice>) -> UserForm {
        UserForm {
            username: String::new(),
            role: String::new(),
            agency: String::new(),
            roles,
            agencies,
            errors: Vec::new(),
            email: String::new(),
            digest: String::new(),
            mail_lang: "vi".to_owned(),
            cadences: vec![
                Choice::new("weekly".into(), "Hằng tuần".into()),
                Choice::new("monthly".into(), "Hằng tháng".into()),
                Choice::new("off".into(), "Không nhận".into()),
            ],
            mail_errors: Vec::new(),
        }
    }
}

#[derive(Serialize)]
pub struct AuditRow {
    /// Local time in Vietnam (UTC+7), to the second, as people write it.
    pub at: String,
    /// The entry in words (`views::audit_words`).
    pub what: String,
    pub actor: String,
    pub action: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
}

impl From<Entry> for AuditRow {
    fn from(e: Entry) -> AuditRow {
        let local = e.at + chrono::Duration::hours(7);
        let json = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                .unwrap_or_default()
        };
        AuditRow {
            at: local.format("%d/%m/%Y %H:%M:%S").to_string(),
            what: super::audit_words::sentence(
                &e.actor,
                &e.action,
                &e.entity_id,
                e.before.as_ref(),
                e.after.as_ref(),
            ),
            before: json(&e.before),
            after: json(&e.after),
            actor: e.actor,
            action: e.action,
            entity_id: e.entity_id,
        }
    }
}

#[derive(Serialize)]
pub struct AuditPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    /// The kinds of change to filter by.
    pub actions: Vec<Choice>,
    pub rows: Vec<AuditRow>,
    /// The page holds the newest entries only: narrow the filters to see older ones.
    pub truncated: bool,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub from: String,
    pub to: String,
}

#[derive(Serialize)]
pub struct PublicationsPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    /// (id, period, sha256), newest first.
    pub published: Vec<(i32, String, String)>,
    pub errors: Vec<String>,
    pub from: String,
    pub to: String,
}

/// A page that asks to confirm an irreversible step and says what it will freeze.
#[derive(Serialize)]
pub struct ConfirmPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub title: String,
    /// What will happen, then the facts it will freeze, then what cannot be undone.
    pub lead: String,
    pub facts: Vec<String>,
    pub warning: String,
    /// Where the confirmed form goes, and the fields it carries (besides `csrf` and `confirm`).
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub button: String,
    /// Where "go back" leads.
    pub back: String,
}
