//! Everything that speaks SQL. Nothing outside `db/` writes SQL or diesel DSL.
//!
//! Nothing outside `db/` names diesel either: callers hold a [`Conn`] and see [`QueryError`],
//! and `db/` knows no web framework.
//!
//! The driver is diesel's synchronous PostgreSQL connection (libpq) behind an r2d2 pool; async
//! handlers reach it through [`run`], which moves the work to tokio's blocking thread pool.

pub mod agencies;
pub mod api_tokens;
pub mod audit;
pub mod bootstrap;
pub mod client_marks;
pub mod comments;
pub mod copy;
pub mod demo_data;
pub mod desks;
pub mod digests;
pub mod fieldwork;
pub mod frame;
pub mod instruments;
pub mod nodes;
pub mod nullifiers;
pub mod outbox;
pub mod paper;
pub mod par_rules;
pub mod prepared;
pub mod publications;
pub mod ratelimit;
pub mod receipts;
pub mod responses;
pub mod results;
pub mod rollup;
pub mod sample;
pub mod schema;
pub mod screening;
pub mod secrets;
pub mod sessions;
pub mod slice;
pub mod targets;
pub mod users;
pub mod wave_results;
pub mod waves;

use anyhow::{Context, Result};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type DbPool = Pool<ConnectionManager<PgConnection>>;
/// One open connection, for the CLI, set-up and the writer threads.
pub type Conn = PgConnection;
/// What a query can fail with.
pub type QueryError = diesel::result::Error;

/// A step inside a transaction that failed outside SQL (computing cells): the transaction
/// rolls back, and the error is classified as a bug, not as a passing fault.
pub fn step_failed(message: String) -> QueryError {
    diesel::result::Error::QueryBuilderError(message.into())
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The URL libpq is given: `gssencmode=disable` unless the operator's URL says otherwise.
///
/// Why: with GSSAPI encryption allowed (libpq's default), every connection loads the Kerberos
/// library and asks it for credentials — a wasted round on a service that signs in with a
/// password, and a library whose mutexes aborted the test binary at exit.
pub fn libpq_url(url: &str) -> String {
    if url.contains("gssencmode") {
        return url.to_owned();
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}gssencmode=disable")
    } else {
        // A keyword=value connection string.
        format!("{url} gssencmode=disable")
    }
}

/// Opens one connection (CLI commands, set-up).
pub fn connect(url: &str) -> Result<PgConnection> {
    PgConnection::establish(&libpq_url(url))
        .with_context(|| format!("cannot connect to PostgreSQL at {}", bootstrap::redact(url)))
}

/// Opens one connection, giving up after `wait` if the server does not answer (`sipas check`).
pub fn connect_within(url: &str, wait: std::time::Duration) -> Result<PgConnection> {
    let secs = wait.as_secs().max(1);
    let url = if url.contains("connect_timeout") {
        url.to_owned()
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}connect_timeout={secs}")
    } else {
        format!("{url} connect_timeout={secs}")
    };
    connect(&url)
}

/// How many migrations this binary has that the database has not applied.
pub fn pending_migrations(conn: &mut PgConnection) -> Result<usize> {
    conn.pending_migrations(MIGRATIONS)
        .map(|p| p.len())
        .map_err(|e| anyhow::anyhow!("cannot read the applied migrations: {e}"))
}

/// Sets each pooled connection's statement deadline when it is opened.
#[derive(Debug)]
struct Deadline(std::time::Duration);

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for Deadline {
    fn on_acquire(&self, conn: &mut PgConnection) -> std::result::Result<(), diesel::r2d2::Error> {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "SET statement_timeout = {}",
            self.0.as_millis().max(1)
        ))
        .execute(conn)
        .map(|_| ())
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A pool of `size` connections whose statements are cancelled after `deadline`.
pub fn pool(url: &str, size: u32, deadline: std::time::Duration) -> Result<DbPool> {
    Pool::builder()
        .connection_customizer(Box::new(Deadline(deadline)))
        .max_size(size)
        .min_idle(Some(size.min(4)))
        // A request waits at most this long for a connection: when the database is down the
        // answer is a prompt 503 with Retry-After, not a hang.
        .connection_timeout(std::time::Duration::from_secs(3))
        .build(ConnectionManager::<PgConnection>::new(libpq_url(url)))
        .with_context(|| format!("cannot open a pool to {}", bootstrap::redact(url)))
}

/// Runs `job` in one transaction (committed if it returns `Ok`), for features that chain
/// several `db/` calls that must stand or fall together (a rebuild, a survey step).
pub fn transaction<T, E>(
    conn: &mut PgConnection,
    job: impl FnOnce(&mut PgConnection) -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(job)
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> Result<usize> {
    let done = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(done.len())
}

/// Reverts every migration (used by the migration-hygiene test).
pub fn revert_all(conn: &mut PgConnection) -> Result<()> {
    conn.revert_all_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
    Ok(())
}

/// Whether a failure is the database being away, busy or slow — a later retry may succeed, so
/// the answer is `503` with `Retry-After` — rather than a bug (a constraint or a query that
/// does not fit the schema: `500`). `None`: not a database error; the caller looks further down
/// the chain of causes.
///
/// Why by message as well as by kind: diesel names only some SQLSTATEs; a statement or lock
/// timeout, a server shutting down or a standby in recovery arrive as `Unknown` with
/// PostgreSQL's message, which is English unless the server's `lc_messages` says otherwise
/// (a non-English server turns those cases into 500s: set `lc_messages = 'C'` there).
pub fn is_transient(e: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if let Some(e) = e.downcast_ref::<DbError>() {
        return Some(match e {
            DbError::Pool(_) | DbError::Cancelled | DbError::Stalled(_) => true,
            DbError::Query(q) => query_is_transient(q),
        });
    }
    if let Some(q) = e.downcast_ref::<QueryError>() {
        return Some(query_is_transient(q));
    }
    if let Some(q) = e.downcast_ref::<std::sync::Arc<QueryError>>() {
        return Some(query_is_transient(q));
    }
    if e.is::<diesel::r2d2::PoolError>() || e.is::<diesel::ConnectionError>() {
        return Some(true);
    }
    None
}

fn query_is_transient(e: &QueryError) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    match e {
        diesel::result::Error::DatabaseError(kind, info) => match kind {
            K::ClosedConnection
            | K::UnableToSendCommand
            | K::SerializationFailure
            | K::ReadOnlyTransaction => true,
            K::Unknown => {
                let m = info.message();
                [
                    "canceling statement due to",
                    "terminating connection",
                    "the database system is",
                    "server closed the connection",
                    "no connection to the server",
                    "could not connect",
                    "connection to server",
                    "recovery is in progress",
                    "read-only transaction",
                    "deadlock detected",
                    "too many connections",
                ]
                .iter()
                .any(|t| m.contains(t))
            }
            _ => false,
        },
        diesel::result::Error::BrokenTransactionManager => true,
        _ => false,
    }
}

/// Errors of a blocking database job run from an async handler.
#[cfg(test)]
mod tests {
    use super::libpq_url;

    #[test]
    fn gssapi_is_off_unless_the_url_asks_for_it() {
        assert_eq!(
            libpq_url("postgres://u@h/sipas"),
            "postgres://u@h/sipas?gssencmode=disable"
        );
        assert_eq!(
            libpq_url("postgresql://h/sipas?sslmode=require"),
            "postgresql://h/sipas?sslmode=require&gssencmode=disable"
        );
        assert_eq!(
            libpq_url("host=h dbname=sipas"),
            "host=h dbname=sipas gssencmode=disable"
        );
        let asked = "postgres://h/sipas?gssencmode=require";
        assert_eq!(libpq_url(asked), asked);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database job was cancelled")]
    Cancelled,
    /// The database did not answer within the caller's deadline (a stalled server or network:
    /// a server-side statement timeout cannot fire when the server does not run).
    #[error("the database did not answer within {0:?}")]
    Stalled(std::time::Duration),
}

/// Runs a plain query `job` with a pooled connection on the blocking thread pool: [`run_job`]
/// with the database's own error.
pub async fn run<T, F>(pool: &DbPool, job: F) -> Result<T, DbError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    T: Send + 'static,
{
    run_job(pool, move |c| job(c).map_err(DbError::from)).await
}

/// Runs `job` with a pooled connection on the blocking thread pool, for a feature step whose
/// own error type says what else may go wrong (a refusal, nothing found); a pool that gives no
/// connection becomes that error through `From<DbError>`. [`run`] is this for a plain query.
pub async fn run_job<T, E, F>(pool: &DbPool, job: F) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        job(&mut conn)
    })
    .await
    .unwrap_or_else(|_| Err(DbError::Cancelled.into()))
}

/// [`run`] with a deadline of the caller's own: past it the caller gets `DbError::Stalled` at
/// once, while the blocking thread waits for the server on its own (and gives its connection
/// back when it answers). For the small queries a request makes before its real work (a rate
/// limit), so that a stalled database is a prompt 503, not a wait as long as the stall.
pub async fn run_within<T, F>(
    pool: &DbPool,
    deadline: std::time::Duration,
    job: F,
) -> Result<T, DbError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    T: Send + 'static,
{
    tokio::time::timeout(deadline, run(pool, job))
        .await
        .unwrap_or_else(|_| Err(stalled(deadline)))
}

fn stalled(deadline: std::time::Duration) -> DbError {
    DbError::Stalled(deadline)
}

/// [`run_job`] with a deadline (see [`run_within`]). Only for jobs that change nothing (a
/// page's reading): the job may still finish after the caller has been told it did not.
pub async fn run_job_within<T, E, F>(
    pool: &DbPool,
    deadline: std::time::Duration,
    job: F,
) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    tokio::time::timeout(deadline, run_job(pool, job))
        .await
        .unwrap_or_else(|_| Err(stalled(deadline).into()))
}

/// How long a request waits for a small lookup it needs before its real work (a session, an
/// API token): anything longer is a stalled database, answered 503 with Retry-After.
pub const LOOKUP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a results page (dashboard, ranking) waits for its reading of the database; a
/// healthy one takes well under a second (`scripts/bench-results`).
pub const PAGE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(8);

/// A round trip to the server (health checks).
/// Whether the database answers, waiting at most `wait` for a connection (the pool's own wait
/// is longer): readiness probes must not pile up threads waiting on a database that is down.
pub async fn ping_within(pool: &DbPool, wait: std::time::Duration) -> Result<(), DbError> {
    let pool = pool.clone();
    let probe = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get_timeout(wait)?;
        ping(&mut conn).map_err(DbError::from)
    });
    // A stalled server answers no query: the probe gives up after `wait` in all (a connection
    // and its round trip), not after the stall.
    match tokio::time::timeout(wait, probe).await {
        Ok(done) => done.map_err(|_| DbError::Cancelled)?,
        Err(_) => Err(DbError::Stalled(wait)),
    }
}

pub fn ping(conn: &mut PgConnection) -> Result<(), diesel::result::Error> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}
