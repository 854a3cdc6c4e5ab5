//! Staff authentication: accounts (`accounts`), argon2id passwords (`password`), session ids
//! whose sessions live in the database (`session`, `db::sessions`), CSRF tokens (`csrf`), and
//! the read API's bearer tokens (`api_token`). Who may see what is `db::users::Scope`,
//! applied inside the queries; the web guard that enforces sign-in and CSRF for the whole staff
//! scope is `web::staff_guard`.

pub mod accounts;
pub mod api_token;
pub mod csrf;
pub mod password;
pub mod session;
