//! SIPAS: citizens rate public administrative services; agencies and Home Affairs see indices
//! with honest intervals. See ARCHITECTURE.md for the map.

pub mod accounts;
pub mod analyze;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod ingest;
pub mod posters;
pub mod qr;
pub mod ratelimit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod views;
pub mod writer;
