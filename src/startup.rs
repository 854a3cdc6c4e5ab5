//! The single way to construct the service, shared by `sipas serve`, the CLI and the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{middleware, App, HttpServer};
use anyhow::{Context, Result};

use crate::background::Background;
use crate::config::Settings;
use crate::db::{self, instruments::Form};
use crate::ingest::ratelimit::Limiter;
use crate::ingest::writer::Writer;
use crate::ingest::Ingest;
use crate::state::AppState;
use crate::views::Views;
use crate::web;

/// A database that is ready: created, migrated, instruments seeded, signing key known.
pub struct Prepared {
    pub database_url: String,
    pub key: Vec<u8>,
}

/// Finds or creates the database, runs pending migrations, seeds the bundled instruments.
pub fn prepare_database(settings: &Settings) -> Result<Prepared> {
    let database_url = db::bootstrap::database_url(settings.database_url.as_deref())?;
    let mut conn = db::connect(&database_url)?;
    db::migrate(&mut conn)?;
    db::instruments::seed_bundled(&mut conn)?;
    rebuild_stale_aggregates(&mut conn, settings)?;
    let key = match &settings.secret {
        Some(k) => k.clone(),
        None => db::secrets::get_or_create(&mut conn, "desk-token-key")?,
    };
    Ok(Prepared { database_url, key })
}

/// A migration that changes the aggregates' layout empties them and marks them stale: rebuild
/// them from the raw ratings before anything reads them.
fn rebuild_stale_aggregates(conn: &mut db::Conn, settings: &Settings) -> Result<()> {
    if !db::rollup::is_stale(conn)? {
        return Ok(());
    }
    let form = db::instruments::load_form(conn, &settings.desk_instrument, Form::Desk)
        .with_context(|| {
            format!(
                "instrument '{}' is not in the database",
                settings.desk_instrument
            )
        })?;
    tracing::info!("the aggregates' layout changed: rebuilding them from the raw ratings");
    let (cells, ratings) = crate::results::rollup::rebuild(conn, &form)?;
    tracing::info!(cells, ratings, "aggregates rebuilt");
    Ok(())
}

/// Compacts closed months into the monthly aggregates now and then every hour, on a thread of
/// its own (a failure is logged and retried at the next round; readers fall back to the daily
/// cells of any month not compacted).
fn start_compaction(bg: &Background, pool: db::DbPool, form: Arc<crate::domain::FormSpec>) {
    bg.spawn("sipas-compaction", move |stop| loop {
        let result = pool
            .get()
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| {
                // A day's device marks go once the day is over, even if nobody rates today.
                let today = crate::results::periods::today_in_vietnam();
                db::client_marks::forget_before(&mut conn, today)?;
                crate::results::rollup::compact(&mut conn, &form)
            });
        match result {
            Ok(0) => {}
            Ok(months) => tracing::info!(months, "monthly aggregates compacted"),
            Err(e) => tracing::warn!("compacting monthly aggregates failed: {e:#}"),
        }
        if !stop.sleep(std::time::Duration::from_secs(3600)) {
            break;
        }
    });
}

/// How often a node writes its heartbeat (`db::nodes`).
const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// This node's first heartbeat, now, so that it says at start whether other nodes share the
/// database while rate limits are kept in memory (loudly: each node then gives the full
/// allowance). A database that does not answer is not a reason to stop starting.
fn first_heartbeat(pool: &db::DbPool, peers: &crate::state::Peers) {
    beat(pool, peers);
    if let Some(w) = peers.warning_en() {
        tracing::warn!("{w}");
        eprintln!("{w}");
    }
}

/// One heartbeat: this node's row refreshed, what it saw of the others kept in `peers` (a
/// failure is logged; the next beat tries again).
fn beat(pool: &db::DbPool, peers: &crate::state::Peers) {
    let seen = pool.get().map_err(anyhow::Error::from).and_then(|mut c| {
        Ok(db::nodes::beat(
            &mut c,
            &peers.id,
            peers.rate_store,
            VERSION,
        )?)
    });
    match seen {
        Ok(seen) => peers.saw(seen),
        Err(e) => tracing::warn!("heartbeat failed: {e:#}"),
    }
}

/// Writes this node's heartbeat every ten seconds, and removes its row when the node stops.
fn start_heartbeat(bg: &Background, pool: db::DbPool, peers: Arc<crate::state::Peers>) {
    bg.spawn("sipas-heartbeat", move |stop| {
        let mut warned = peers.warning_en().is_some();
        while stop.sleep(HEARTBEAT_EVERY) {
            beat(&pool, &peers);
            // Said once when it begins, not every ten seconds.
            match peers.warning_en() {
                Some(w) if !warned => {
                    tracing::warn!("{w}");
                    warned = true;
                }
                Some(_) => {}
                None => warned = false,
            }
        }
        if let Ok(mut c) = pool.get() {
            let _ = db::nodes::leave(&mut c, &peers.id);
        }
    });
}

/// The version nodes report in their heartbeat.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How often the used-receipt nullifiers are mixed: the longest a nullifier and its rating
/// share a transaction id on disk.
const MIXING_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Mixes the used-receipt nullifiers now and then every ten minutes, on a thread of its own
/// (`db::nullifiers::mix`; several nodes may do it, they take turns).
fn start_nullifier_mixing(bg: &Background, pool: db::DbPool) {
    bg.spawn("sipas-nullifier-mixing", move |stop| loop {
        let result = pool
            .get()
            .map_err(anyhow::Error::from)
            .and_then(|mut conn| Ok(db::nullifiers::mix(&mut conn)?));
        match result {
            Ok(0) => {}
            Ok(rows) => tracing::info!(rows, "used-receipt nullifiers mixed"),
            Err(e) => tracing::warn!("mixing the used-receipt nullifiers failed: {e:#}"),
        }
        if !stop.sleep(MIXING_EVERY) {
            break;
        }
    });
}

/// Gives comments written before the search rules changed (or by an older version) their
/// search key, a batch at a time, on a thread of its own: until then such a comment is simply
/// not found by a search (never found by what masking hides). Several nodes may do it at once.
fn start_search_keys(bg: &Background, pool: db::DbPool) {
    bg.spawn("sipas-search-keys", move |stop| {
        let mut keyed = 0usize;
        while !stop.is_set() {
            let result = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| Ok(db::comments::key_stale(&mut conn, 2_000)?));
            match result {
                Ok(0) => break,
                Ok(n) => keyed += n,
                Err(e) => {
                    tracing::warn!("keying comments for search failed: {e:#}");
                    stop.sleep(std::time::Duration::from_secs(30));
                }
            }
        }
        if keyed > 0 {
            tracing::info!(comments = keyed, "comments keyed for search");
        }
    });
}

/// Scheduled jobs, every minute: fieldwork's reminder rounds, and every quarter of an hour the
/// managers' digests and alerts. Safe on several nodes at once: each unit moves to its next
/// round once (see `db::fieldwork::remind_due`), and each digest is stored once (`digest`).
fn start_scheduler(bg: &Background, pool: db::DbPool, digests: DigestJob) {
    bg.spawn("sipas-scheduler", move |stop| {
        let mut last_digests: Option<std::time::Instant> = None;
        loop {
            let result = pool
                .get()
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| Ok(db::fieldwork::remind_due(&mut conn)?));
            match result {
                Ok((0, _)) => {}
                Ok((reminded, emails)) => tracing::info!(reminded, emails, "reminders due"),
                Err(e) => tracing::warn!("scheduled reminders failed: {e:#}"),
            }
            if last_digests.is_none_or(|t| t.elapsed() >= DIGESTS_EVERY) {
                last_digests = Some(std::time::Instant::now());
                match digests.pass(&pool) {
                    Ok(q) if q.digests + q.alerts > 0 => {
                        tracing::info!(digests = q.digests, alerts = q.alerts, "digests queued")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("composing digests failed: {e:#}"),
                }
            }
            if !stop.sleep(std::time::Duration::from_secs(60)) {
                break;
            }
        }
    });
}

/// How often a node looks for digests and alerts to compose.
const DIGESTS_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// What the scheduler needs to compose digests.
struct DigestJob {
    form: Arc<crate::domain::FormSpec>,
    key: Vec<u8>,
    base: String,
}

impl DigestJob {
    fn pass(&self, pool: &db::DbPool) -> Result<crate::digest::Queued> {
        let mut conn = pool.get()?;
        let now = chrono::Utc::now() + chrono::Duration::hours(7);
        let composer = crate::digest::Composer {
            form: &self.form,
            key: &self.key,
            base: &self.base,
            views: Views::shared()?,
        };
        use chrono::Timelike;
        composer.pass(&mut conn, now.date_naive(), now.hour())
    }
}

pub struct Application {
    listener: TcpListener,
    /// `/metrics`' own address (`SIPAS_METRICS_BIND`), when set.
    metrics_listener: Option<TcpListener>,
    state: actix_web::web::Data<AppState>,
    workers: Option<usize>,
    background: Arc<Background>,
}

impl Application {
    pub fn build(settings: Settings) -> Result<Application> {
        let prepared = prepare_database(&settings)?;
        let pool = db::pool(
            &prepared.database_url,
            settings.db_pool_size,
            settings.statement_timeout,
        )?;
        let mut conn = pool.get().context("cannot take a database connection")?;
        let desk_form =
            db::instruments::load_form(&mut conn, &settings.desk_instrument, Form::Desk)
                .with_context(|| {
                    format!(
                        "instrument '{}' (SIPAS_DESK_INSTRUMENT) is not in the database",
                        settings.desk_instrument
                    )
                })?;
        drop(conn);
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let metrics_listener = match settings.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} (SIPAS_METRICS_BIND)"))?,
            ),
            None => None,
        };
        let mut settings = settings;
        if settings.public_url.is_none() {
            // Port 0 binds an ephemeral port: links must name the port actually bound.
            settings.public_url = Some(format!("http://{}", listener.local_addr()?));
        }
        let desk_form = Arc::new(desk_form);
        let background = Arc::new(Background::default());
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let writer = Writer::start(
            &background,
            &prepared.database_url,
            Arc::clone(&desk_form),
            settings.db_writers,
            settings.ingest_queue,
            settings.screening.clone(),
            Arc::clone(&metrics),
        );
        start_compaction(&background, pool.clone(), Arc::clone(&desk_form));
        start_scheduler(
            &background,
            pool.clone(),
            DigestJob {
                form: Arc::clone(&desk_form),
                key: prepared.key.clone(),
                base: settings.public_base(),
            },
        );
        start_search_keys(&background, pool.clone());
        start_nullifier_mixing(&background, pool.clone());
        let (mut outbox, mut outbox_stop) = (None, None);
        if let Some(smtp) = settings.smtp.clone() {
            // The outbox is sent from inside the server when SMTP is configured; other nodes
            // and `sipas worker` may run too (claims never overlap).
            let worker = crate::mail::worker::Worker::new(
                pool.clone(),
                prepared.key.clone(),
                settings.public_base(),
                smtp,
                settings.mail_timing,
            )?;
            let (stop, health) = crate::mail::worker::spawn(&background, worker);
            outbox = Some(health);
            outbox_stop = Some(crate::state::StopOnDrop(stop));
        }
        let limits = Arc::new(Limiter::new(
            &settings,
            &pool,
            &prepared.key,
            Arc::clone(&metrics),
        )?);
        let peers = Arc::new(crate::state::Peers::new(match settings.rate_store {
            crate::config::RateStore::Memory => "memory",
            crate::config::RateStore::Postgres => "postgres",
            crate::config::RateStore::Redis(_) => "redis",
        }));
        first_heartbeat(&pool, &peers);
        start_heartbeat(&background, pool.clone(), Arc::clone(&peers));
        let state = actix_web::web::Data::new(AppState {
            ingest: Ingest {
                pool: pool.clone(),
                key: prepared.key.clone(),
                desk_form,
                writer,
                limits: Arc::clone(&limits),
                screening: settings.screening.clone(),
            },
            limits,
            past_sums: Arc::new(crate::results::sums::PastSums::new(
                settings.results_cache_mb * 1024 * 1024,
            )),
            pool,
            key: prepared.key,
            views: Views::shared()?,
            settings: settings.clone(),
            outbox,
            outbox_stop,
            peers,
            metrics,
        });
        Ok(Application {
            listener,
            metrics_listener,
            state,
            workers: settings.workers,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port `/metrics` is served on, when it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// Serves until the process is stopped, on a runtime of its own.
    pub fn run_until_stopped(self) -> std::io::Result<()> {
        actix_web::rt::System::new()
            .block_on(self.serve(|_| {}))
            .map(|_| ())
    }

    /// Serves until the server is stopped (by a signal, or by the handle given to `started`),
    /// then stops this node's own threads and waits for them, so that none is inside libpq
    /// while the process exits. Returns how many threads did not stop in time.
    pub async fn serve(
        self,
        started: impl FnOnce(actix_web::dev::ServerHandle),
    ) -> std::io::Result<usize> {
        let background = Arc::clone(&self.background);
        let metrics = self.metrics_server()?;
        let server = self.server()?;
        started(server.handle());
        let metrics_handle = metrics.map(|m| {
            let handle = m.handle();
            actix_web::rt::spawn(m);
            handle
        });
        let served = server.await;
        if let Some(h) = metrics_handle {
            h.stop(true).await;
        }
        // The writers end when the last sender of their queue is gone with the state; the
        // others wake on the stop signal.
        let left = background.stop_and_join(std::time::Duration::from_secs(10));
        served.map(|()| left)
    }

    /// The metrics' own server (one worker, `/metrics` only), when an address is set.
    fn metrics_server(&self) -> std::io::Result<Option<actix_web::dev::Server>> {
        let Some(listener) = &self.metrics_listener else {
            return Ok(None);
        };
        let state = self.state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/metrics", actix_web::web::get().to(web::metrics::metrics))
        })
        .workers(1)
        .disable_signals()
        .listen(listener.try_clone()?)?
        .run();
        Ok(Some(server))
    }

    /// The server, not yet polled; its `handle()` stops it.
    fn server(self) -> std::io::Result<actix_web::dev::Server> {
        let state = self.state.clone();
        let limits = state.settings.connection_limits;
        // Behind the operator's proxy every connection is the proxy's: no cap per address.
        let count_connections = !state.settings.trust_proxy && limits.per_address > 0;
        let connections = web::input::ConnectionCount::default();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(web::input::guard_input))
                .wrap(actix_web::middleware::from_fn(
                    web::headers::security_headers,
                ))
                .wrap(middleware::Compress::default())
                // Outermost: every answer, refusals at the door included, has its id and line.
                .wrap(actix_web::middleware::from_fn(web::trace::trace_request))
                .configure(web::configure)
        })
        .on_connect(move |conn, data| {
            if !count_connections {
                return;
            }
            let peer = conn
                .downcast_ref::<actix_web::rt::net::TcpStream>()
                .and_then(|s| s.peer_addr().ok());
            if let Some(peer) = peer {
                data.insert(connections.open(peer.ip()));
            }
        })
        .client_request_timeout(limits.head_timeout)
        .keep_alive(match limits.keep_alive {
            Some(d) => actix_web::http::KeepAlive::Timeout(d),
            None => actix_web::http::KeepAlive::Disabled,
        })
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .listen(self.listener)?;
        if let Some(w) = self.workers {
            server = server.workers(w);
        }
        Ok(server.run())
    }
}
