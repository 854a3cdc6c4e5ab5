//! Templates, compiled into the binary and parsed once. Every page has its own serialisable
//! context type (`citizen`, `staff`, `poster`), never a database row; HTML templates end in
//! `.html`, so tera escapes every value. Only this module knows tera.

pub mod audit_words;
pub mod chart;
pub mod citizen;
pub mod dashboard;
pub mod dashboard_charts;
pub mod dossiers;
pub mod downloads;
pub mod held;
pub mod i18n;
pub mod outbox;
pub mod par;
pub mod poster;
pub mod public;
pub mod ranking;
pub mod ranking_charts;
pub mod registry;
pub mod sheet;
pub mod sheet_labels;
pub mod staff;
pub mod staff_texts;
pub mod standing;
pub mod survey;

use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera};

pub use i18n::{Lang, Texts};

const TEMPLATES: &[(&str, &str)] = &[
    ("style.css", include_str!("../../templates/style.css")),
    ("base.html", include_str!("../../templates/base.html")),
    ("form.html", include_str!("../../templates/form.html")),
    ("thanks.html", include_str!("../../templates/thanks.html")),
    ("notice.html", include_str!("../../templates/notice.html")),
    (
        "dashboard_annual.html",
        include_str!("../../templates/dashboard_annual.html"),
    ),
    (
        "admin_wave_results.html",
        include_str!("../../templates/admin_wave_results.html"),
    ),
    (
        "admin_paper_fields.html",
        include_str!("../../templates/admin_paper_fields.html"),
    ),
    (
        "admin_paper.html",
        include_str!("../../templates/admin_paper.html"),
    ),
    (
        "admin_paper_conflicts.html",
        include_str!("../../templates/admin_paper_conflicts.html"),
    ),
    (
        "admin_outbox.html",
        include_str!("../../templates/admin_outbox.html"),
    ),
    (
        "admin_held.html",
        include_str!("../../templates/admin_held.html"),
    ),
    (
        "admin_confirm.html",
        include_str!("../../templates/admin_confirm.html"),
    ),
    ("mail.txt", include_str!("../../templates/mail.txt")),
    ("digest.txt", include_str!("../../templates/digest.txt")),
    ("digest.html", include_str!("../../templates/digest.html")),
    (
        "mail_settings.html",
        include_str!("../../templates/mail_settings.html"),
    ),
    ("letters.html", include_str!("../../templates/letters.html")),
    ("mail.html", include_str!("../../templates/mail.html")),
    (
        "enter_code.html",
        include_str!("../../templates/enter_code.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    ("poster.html", include_str!("../../templates/poster.html")),
    (
        "admin_base.html",
        include_str!("../../templates/admin_base.html"),
    ),
    (
        "admin_login.html",
        include_str!("../../templates/admin_login.html"),
    ),
    (
        "admin_desks.html",
        include_str!("../../templates/admin_desks.html"),
    ),
    (
        "admin_waves.html",
        include_str!("../../templates/admin_waves.html"),
    ),
    (
        "admin_wave.html",
        include_str!("../../templates/admin_wave.html"),
    ),
    (
        "admin_nav.html",
        include_str!("../../templates/admin_nav.html"),
    ),
    (
        "admin_logout.html",
        include_str!("../../templates/admin_logout.html"),
    ),
    (
        "registry_agency_form.html",
        include_str!("../../templates/registry_agency_form.html"),
    ),
    (
        "registry_agencies.html",
        include_str!("../../templates/registry_agencies.html"),
    ),
    (
        "registry_agency.html",
        include_str!("../../templates/registry_agency.html"),
    ),
    (
        "registry_desk.html",
        include_str!("../../templates/registry_desk.html"),
    ),
    (
        "registry_user_form.html",
        include_str!("../../templates/registry_user_form.html"),
    ),
    (
        "registry_users.html",
        include_str!("../../templates/registry_users.html"),
    ),
    (
        "registry_user.html",
        include_str!("../../templates/registry_user.html"),
    ),
    (
        "registry_audit.html",
        include_str!("../../templates/registry_audit.html"),
    ),
    (
        "registry_publications.html",
        include_str!("../../templates/registry_publications.html"),
    ),
    (
        "public_base.html",
        include_str!("../../templates/public_base.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("ranking.html", include_str!("../../templates/ranking.html")),
    ("targets.html", include_str!("../../templates/targets.html")),
    ("par.html", include_str!("../../templates/par.html")),
    (
        "public_list.html",
        include_str!("../../templates/public_list.html"),
    ),
    (
        "methodology.html",
        include_str!("../../templates/methodology.html"),
    ),
    (
        "public_period.html",
        include_str!("../../templates/public_period.html"),
    ),
];

pub struct Views {
    tera: Tera,
    /// The thank-you page in Vietnamese and English: the same bytes for every rating, and
    /// the answer to every accepted submission, so it is rendered once (rendering it per
    /// request was a third of the server's time under the ingest benchmark).
    thanks: [String; 2],
}

static SHARED: OnceLock<Views> = OnceLock::new();

impl Views {
    /// The templates, parsed on first use. They are constants of the binary, so one parsed copy
    /// serves the whole process, including error responses built without the app's state.
    /// `startup` calls this first, so a broken template stops the start, not a request.
    pub fn shared() -> anyhow::Result<&'static Views> {
        if let Some(v) = SHARED.get() {
            return Ok(v);
        }
        let loaded = Views::load()?;
        Ok(SHARED.get_or_init(|| loaded))
    }

    fn load() -> anyhow::Result<Views> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        tera.autoescape_on(vec![".html"]);
        let thanks = |lang: Lang| -> anyhow::Result<String> {
            let ctx = Context::from_serialize(citizen::ThanksPage {
                chrome: Chrome::new(lang),
            })?;
            Ok(tera.render("thanks.html", &ctx)?)
        };
        let thanks = [thanks(Lang::Vi)?, thanks(Lang::En)?];
        Ok(Views { tera, thanks })
    }

    pub fn render<T: Serialize>(&self, name: &str, page: &T) -> anyhow::Result<String> {
        let ctx = Context::from_serialize(page)?;
        Ok(self.tera.render(name, &ctx)?)
    }

    /// The thank-you page (see `thanks`).
    pub fn thanks(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.thanks[0],
            Lang::En => &self.thanks[1],
        }
    }
}

/// A share as a percentage with two decimals, as MoHA's tables print it (comma decimals in
/// Vietnamese), without the sign.
pub fn percent(x: f64, lang: Lang) -> String {
    let s = crate::domain::published::percent_text(x);
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// An index as a reader sees it: a percentage with two decimals and its interval, or nothing
/// (the page then says "not enough answers"), always with its n.
#[derive(Serialize)]
pub struct Shown {
    pub value: Option<String>,
    pub interval: Option<String>,
    pub n: u64,
    /// The desks' design effect, where estimated ("2,1"): how much wider than independent
    /// ratings the clustering makes the interval's variance.
    pub deff: Option<String>,
}

impl Shown {
    /// `reported`: (estimate, low, high) of an index that is reported, `None` below the
    /// minimum n or without data.
    pub fn new(reported: Option<(f64, f64, f64)>, n: u64, lang: Lang) -> Shown {
        Shown {
            value: reported.map(|(v, _, _)| format!("{}%", percent(v, lang))),
            interval: reported
                .map(|(_, lo, hi)| format!("{}–{}%", percent(lo, lang), percent(hi, lang))),
            n,
            deff: None,
        }
    }

    /// With the estimate's design effect (one decimal), when it was estimated.
    pub fn with_deff(mut self, deff: Option<f64>, lang: Lang) -> Shown {
        self.deff = deff.filter(|d| d.is_finite()).map(|d| {
            let s = format!("{d:.1}");
            match lang {
                Lang::Vi => s.replace('.', ","),
                Lang::En => s,
            }
        });
        self
    }
}

/// What every staff page shows around its content, built once (`web::guard::StaffUser::frame`)
/// and flattened into each page's context: the chrome, who is signed in, the token its forms
/// carry, and whether the administrators' tabs show.
#[derive(Serialize)]
pub struct StaffFrame {
    #[serde(flatten)]
    pub chrome: Chrome,
    pub username: String,
    pub csrf: String,
    pub is_admin: bool,
    /// The navigation tab this page belongs to (its path), shown as the current one.
    pub current: &'static str,
    /// A warning for administrators about how the service runs, on every staff page.
    pub notice: Option<String>,
}

/// The navigation's tabs, by path.
const TABS: [&str; 10] = [
    "/admin",
    "/admin/dashboard",
    "/admin/ranking",
    "/admin/agencies",
    "/admin/users",
    "/admin/targets",
    "/admin/par",
    "/admin/audit",
    "/admin/publications",
    "/admin/waves",
];

/// The tab a staff path belongs to: the tab it starts with as a whole segment
/// (`/admin/waves/3/paper` is the survey's tab); the desks' pages (`/admin/desks/4`) are the
/// first tab's, at `/admin`; a page of no tab (the outbox) marks none.
pub fn current_tab(path: &str) -> &'static str {
    if path == "/admin" || path.starts_with("/admin/desks") {
        return TABS[0];
    }
    TABS[1..]
        .iter()
        .copied()
        .find(|t| {
            path.strip_prefix(t)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .unwrap_or("")
}

#[cfg(test)]
mod tab_tests {
    use super::current_tab;

    #[test]
    fn every_staff_page_marks_its_own_tab() {
        for (path, tab) in [
            ("/admin", "/admin"),
            ("/admin/desks/4", "/admin"),
            ("/admin/dashboard", "/admin/dashboard"),
            ("/admin/dashboard/annual", "/admin/dashboard"),
            ("/admin/waves/3/paper", "/admin/waves"),
            ("/admin/par", "/admin/par"),
            ("/admin/parx", ""),
            ("/admin/outbox", ""),
            ("/admin/users/lan.nguyen", "/admin/users"),
        ] {
            assert_eq!(current_tab(path), tab, "{path}");
        }
    }
}

/// Shared by every citizen page.
#[derive(Serialize)]
pub struct Chrome {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub t: &'static Texts,
    /// The staff pages' texts (`staff_texts`).
    pub s: &'static staff_texts::StaffTexts,
}

impl Chrome {
    pub fn new(lang: Lang) -> Chrome {
        Chrome {
            lang: lang.code(),
            other_lang: lang.other().code(),
            t: lang.texts(),
            s: staff_texts::staff_texts(lang),
        }
    }
}

/// A desk as pages show it: names and codes for people, the id for links. Built from the
/// database's `DeskInfo`, so a new column there never reaches a template by accident.
#[derive(Serialize)]
pub struct DeskView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub key_version: i16,
    pub active: bool,
    pub agency_code: String,
    pub agency_name: String,
}

impl From<&crate::db::desks::DeskInfo> for DeskView {
    fn from(d: &crate::db::desks::DeskInfo) -> DeskView {
        DeskView {
            id: d.id,
            code: d.code.clone(),
            name: d.name.clone(),
            key_version: d.key_version,
            active: d.active && d.agency_active,
            agency_code: d.agency_code.clone(),
            agency_name: d.agency_name.clone(),
        }
    }
}
