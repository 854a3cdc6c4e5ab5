//! Black-box tests against a real PostgreSQL: each test owns its database and its server.

mod admin;
mod analyze;
mod api;
mod bad_input;
mod browser;
mod citizen_path;
mod helpers;
mod qr_export;
mod schema;
