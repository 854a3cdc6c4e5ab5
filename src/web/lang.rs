//! The staff pages' language: Vietnamese unless the reader chose English with the switch on a
//! results page, which sets a cookie (`sipas_lang`, limited to `/admin`) and comes back.

use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::errors::{Fault, PageError};
use super::guard::StaffUser;
use super::{see_other, StaffResult};
use crate::state::AppState;
use crate::views::Lang;

pub const LANG_COOKIE: &str = "sipas_lang";

/// The language a staff reader chose (Vietnamese by default).
pub fn staff_lang(req: &HttpRequest) -> Lang {
    Lang::parse(req.cookie(LANG_COOKIE).as_ref().map(|c| c.value()))
}

/// Where the switch on a page at `here` leads.
pub fn switch_href(lang: Lang, here: &str) -> String {
    let back = serde_urlencoded::to_string([("back", here)]).unwrap_or_default();
    format!("/admin/lang/{}?{back}", lang.other().code())
}

/// A way back after switching: only a path of the staff site, never copied as typed.
fn back_to(raw: Option<&str>) -> &str {
    match raw {
        Some(b)
            if b.starts_with("/admin")
                && !b.starts_with("//")
                && !b.contains("://")
                && !b.chars().any(|c| c.is_control() || c == '\\') =>
        {
            b
        }
        _ => "/admin/dashboard",
    }
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

pub async fn switch(
    state: web::Data<AppState>,
    _staff: StaffUser,
    code: web::Path<String>,
    q: web::Query<Back>,
) -> StaffResult {
    let lang = match code.as_str() {
        "vi" => Lang::Vi,
        "en" => Lang::En,
        _ => return Err(PageError::staff(Fault::NotFound)),
    };
    let mut resp = see_other(back_to(q.back.as_deref()));
    let cookie = super::staff::staff_cookie(&state, LANG_COOKIE, lang.code().to_owned(), 24 * 365);
    resp.add_cookie(&cookie)
        .map_err(|e| PageError::staff(Fault::Internal(e.into())))?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_stays_on_the_staff_site() {
        assert_eq!(
            back_to(Some("/admin/ranking?level=x")),
            "/admin/ranking?level=x"
        );
        for bad in [
            "https://evil.example/admin",
            "//evil.example",
            "/admin\r\nX: y",
            "/public",
            "/admin\\x",
        ] {
            assert_eq!(back_to(Some(bad)), "/admin/dashboard", "{bad:?}");
        }
        assert_eq!(back_to(None), "/admin/dashboard");
    }
}
