//! The outbox page: messages per status, those that need a decision, the latest others.

use crate::views::StaffFrame;
use serde::Serialize;

#[derive(Serialize)]
pub struct OutboxLine {
    pub id: i64,
    pub kind: &'static str,
    pub wave: String,
    pub agency: String,
    /// Masked: `ng•••@example.vn`.
    pub to: String,
    pub status: &'static str,
    /// The status's code, for which actions apply.
    pub status_code: String,
    pub attempts: i32,
    pub last_error: String,
    pub when: String,
}

#[derive(Serialize)]
pub struct OutboxPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub configured: bool,
    pub notice: Option<&'static str>,
    pub counts: Vec<(&'static str, String)>,
    pub messages: Vec<OutboxLine>,
}

/// An address with most of its local part hidden: enough to tell messages apart on the page.
pub fn masked(email: Option<&str>) -> String {
    let Some(email) = email else {
        return "–".to_owned();
    };
    match email.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_is_shown_masked() {
        assert_eq!(
            super::masked(Some("nguyen.van.a@example.vn")),
            "ng•••@example.vn"
        );
        assert_eq!(super::masked(Some("a@b.vn")), "a•••@b.vn");
        assert_eq!(super::masked(None), "–");
    }
}
