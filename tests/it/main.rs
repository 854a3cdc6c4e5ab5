//! Black-box tests against a real PostgreSQL: each test owns its database and its server.

mod analyze;
mod api;
mod audit;
mod authz;
mod bad_input;
mod browser;
mod citizen_path;
mod cli;
mod dashboard;
mod errors;
mod exports;
mod fieldwork;
mod helpers;
mod ingest;
mod invariants;
mod mail;
mod publication;
mod qr_export;
mod ranking;
mod read_api;
mod registry;
mod rollup;
mod schema;
mod staff;
mod survey;
mod webdriver;
