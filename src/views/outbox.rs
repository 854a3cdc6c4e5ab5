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
pub struct OutboxFilter {
    pub code: &'static str,
    pub label: &'static str,
    pub count: String,
    pub current: bool,
}

#[derive(Serialize)]
pub struct OutboxPage {
    #[serde(flatten)]
    pub shell: StaffFrame,
    pub configured: bool,
    pub notice: Option<&'static str>,
    /// One filter per status (with its count), then the whole queue.
    pub filters: Vec<OutboxFilter>,
    pub all: String,
    /// The status shown ("" for all), and the page of it.
    pub status: &'static str,
    pub page: i64,
    pub pages: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
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
