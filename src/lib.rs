//! SIPAS: citizens rate public administrative services; agencies and Home Affairs see indices
//! with honest intervals. See ARCHITECTURE.md for the map.
//!
//! Layers: `web` (HTTP) and `cli` (commands) call the features, which call `domain` (valid
//! values) and `db` (all SQL); the exact order, checked by a test, is in ARCHITECTURE.md.
//! `views` holds the templates and page types; `analysis` (its own crate) the statistics.

pub mod analyze;
pub mod auth;
pub mod background;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod desks;
pub mod digest;
pub mod domain;
pub mod fuzzing;
pub mod ingest;
pub mod mail;
pub mod metrics;
pub mod results;
pub mod startup;
pub mod state;
pub mod survey;
pub mod views;
pub mod web;
