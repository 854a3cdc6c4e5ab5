//! What every request handler shares. Built once by `startup::Application::build`.

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::Settings;
use crate::db::DbPool;
use crate::domain::FormSpec;
use crate::ingest::ratelimit::Buckets;
use crate::ingest::writer::Writer;
use crate::views::Views;

pub struct AppState {
    pub settings: Settings,
    pub pool: DbPool,
    /// Key for desk tokens (from `SIPAS_SECRET`, or generated and kept in the database locally).
    pub key: Vec<u8>,
    /// The desk form's questions; instruments are frozen once used, so loading once is safe.
    pub desk_form: Arc<FormSpec>,
    pub views: &'static Views,
    /// Batches desk submissions into single statements.
    pub writer: Writer,
    pub per_client: Buckets<IpAddr>,
    pub per_desk: Buckets<i32>,
    /// Sign-in attempts per client address.
    pub login_limiter: Buckets<IpAddr>,
}
