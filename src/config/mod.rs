//! Settings: read once from the environment into one value that is passed down explicitly.
//! There is no global settings object. Secrets are never printed (see `redacted.rs`).

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};

/// Whether the service runs on a developer's machine or in production.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Local,
    Production,
}

/// A token bucket: `burst` requests at once, refilled at `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_minute: f64,
    pub burst: u32,
}

#[derive(Clone)]
pub struct Settings {
    pub mode: Mode,
    /// `None`: use the local PostgreSQL server, or start a private cluster under `./var/pg`.
    pub database_url: Option<String>,
    pub bind: SocketAddr,
    /// Where `/metrics` is served (`SIPAS_METRICS_BIND`): its own address, never the public
    /// one; `None` serves no metrics.
    pub metrics_bind: Option<SocketAddr>,
    /// Base of the URLs printed in QR codes, e.g. `https://sipas.example.gov.vn`.
    pub public_url: Option<String>,
    /// Key for desk tokens. `None` in local mode: generated once and kept in the database.
    pub secret: Option<Vec<u8>>,
    /// Code of the instrument the desk form uses.
    pub desk_instrument: String,
    pub rate_per_client: RateLimit,
    pub rate_per_desk: RateLimit,
    /// Sign-in attempts per client address.
    pub rate_login: RateLimit,
    /// Comment searches per staff account (`SIPAS_RATE_SEARCH`).
    pub rate_search: RateLimit,
    /// Where the rate limits' buckets live (`SIPAS_RATE_STORE`, `SIPAS_REDIS_URL`).
    pub rate_store: RateStore,
    /// Take the client's address from the last entry of `X-Forwarded-For`, the one the
    /// operator's own reverse proxy appended (earlier entries are whatever the client sent).
    pub trust_proxy: bool,
    pub db_pool_size: u32,
    /// The longest a statement of a request may run before PostgreSQL cancels it (the request
    /// then answers 503 with `Retry-After`): a locked table or a runaway query cannot hold a
    /// worker forever.
    pub statement_timeout: std::time::Duration,
    /// Threads (and connections) that write batches of ratings.
    pub db_writers: usize,
    /// Submissions that may wait for a writer; beyond it new ones are answered 503 "busy".
    pub ingest_queue: usize,
    /// Memory for the sums of final days that dashboards and rankings reuse, in MiB
    /// (`SIPAS_RESULTS_CACHE_MB`).
    pub results_cache_mb: usize,
    pub workers: Option<usize>,
    /// Where e-mail goes (`SIPAS_SMTP_*`); `None`: messages wait in the outbox.
    pub smtp: Option<Smtp>,
    /// The outbox's retry timing (`SIPAS_MAIL_RETRY_SECS`, `SIPAS_MAIL_LEASE_SECS`).
    pub mail_timing: MailTiming,
    /// When a staff session ends (`SIPAS_SESSION_IDLE_MINUTES`, `SIPAS_SESSION_HOURS`).
    pub session_timing: SessionTiming,
    /// Deadlines for slow clients and the cap of connections per address.
    pub connection_limits: ConnectionLimits,
    /// Days a receipt may be used after the day its result was returned
    /// (`SIPAS_RECEIPT_DAYS`, 1–365, default 30).
    pub receipt_days: u32,
    /// Holding ratings that look like gaming (`SIPAS_SCREENING`, …).
    pub screening: Screening,
}

/// What a client may take of a node's connections: deadlines for a request's head and body
/// (`SIPAS_HEAD_TIMEOUT_SECS`, `SIPAS_BODY_TIMEOUT_SECS`, `SIPAS_BODY_MIN_RATE`), and open
/// connections per address (`SIPAS_MAX_CONNECTIONS_PER_ADDRESS`, 0 for no cap; off behind a
/// trusted proxy, which applies its own).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionLimits {
    pub head_timeout: std::time::Duration,
    /// The body may take this long at any rate…
    pub body_grace: std::time::Duration,
    /// …and after that must have come at this many bytes a second on average.
    pub body_min_rate: f64,
    pub per_address: u32,
    /// How long a connection may wait for its next request; `None`: one request per
    /// connection. actix's head deadline holds for a connection's first request only, so a
    /// kept-alive connection could trickle its second head forever: off unless a reverse proxy,
    /// which applies its own header deadline, is in front (`SIPAS_KEEP_ALIVE_SECS`).
    pub keep_alive: Option<std::time::Duration>,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        // Apache's mod_reqtimeout defaults (header=20-40,MinRate=500 body=20,MinRate=500),
        // with a shorter head: a phone's request head is a few hundred bytes.
        ConnectionLimits {
            head_timeout: std::time::Duration::from_secs(10),
            body_grace: std::time::Duration::from_secs(20),
            body_min_rate: 500.0,
            // A one-stop centre's phones may share one address (its Wi-Fi, a carrier's NAT),
            // each browser with a few connections.
            per_address: 128,
            keep_alive: None,
        }
    }
}

/// A staff session ends after this long without a request, or this long after sign-in
/// (OWASP ASVS 3.3: 30 minutes idle, 12 hours at most at level 2).
#[derive(Clone, Copy, Debug)]
pub struct SessionTiming {
    pub idle: std::time::Duration,
    pub absolute: std::time::Duration,
}

impl SessionTiming {
    /// No session outlives this, whatever the settings say (ANSSI and OWASP advise ending
    /// administrative sessions within a working day).
    pub const ABSOLUTE_CAP: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

    /// The absolute lifetime a new session gets: the setting, at most the cap.
    pub fn absolute(&self) -> std::time::Duration {
        self.absolute.min(Self::ABSOLUTE_CAP)
    }

    /// The idle time that ends a session: the setting, at most its absolute lifetime.
    pub fn idle(&self) -> std::time::Duration {
        self.idle.min(self.absolute())
    }
}

impl Default for SessionTiming {
    fn default() -> SessionTiming {
        SessionTiming {
            idle: std::time::Duration::from_secs(30 * 60),
            absolute: std::time::Duration::from_secs(8 * 3600),
        }
    }
}

/// Where the rate limits' buckets live: one node's memory (the default), or shared by every
/// node of the service in PostgreSQL or Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RateStore {
    Memory,
    Postgres,
    /// The Redis URL (it may hold a password: never printed).
    Redis(String),
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain, upgraded with STARTTLS (refused if the server does not offer it).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: only for a relay on the same machine or a test server.
    None,
}

/// The SMTP server. The password never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `From:`, e.g. `Sở Nội vụ <khaosat@snv.example.gov.vn>`.
    pub from: String,
    pub timeout: std::time::Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct MailTiming {
    /// The first retry waits this long; each next one twice as long (at most 6 hours).
    pub retry_base: std::time::Duration,
    /// How long a worker may hold a message it is sending before others consider it dead.
    pub lease: std::time::Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
}

impl Default for MailTiming {
    fn default() -> MailTiming {
        MailTiming {
            retry_base: std::time::Duration::from_secs(60),
            lease: std::time::Duration::from_secs(300),
            max_attempts: 10,
        }
    }
}

/// Defaults sized for a real counter: one person finishes a procedure every minute or two, and
/// the people in a service centre often share the centre's Wi-Fi (one address for many phones).
pub const DEFAULT_RATE_PER_CLIENT: RateLimit = RateLimit {
    per_minute: 20.0,
    burst: 10,
};
pub const DEFAULT_RATE_PER_DESK: RateLimit = RateLimit {
    per_minute: 30.0,
    burst: 20,
};

/// Ratings that may wait for a writer thread: about a second of the benchmark's peak rate.
pub const DEFAULT_INGEST_QUEUE: usize = 8_192;

impl Settings {
    /// Safe local defaults, for the CLI and for tests.
    pub fn local() -> Settings {
        Settings {
            mode: Mode::Local,
            database_url: None,
            bind: "127.0.0.1:8080".parse().expect("valid literal address"),
            metrics_bind: None,
            public_url: None,
            secret: None,
            desk_instrument: "sipas-2017".to_owned(),
            rate_per_client: DEFAULT_RATE_PER_CLIENT,
            rate_per_desk: DEFAULT_RATE_PER_DESK,
            rate_login: RateLimit {
                per_minute: 10.0,
                burst: 5,
            },
            rate_search: RateLimit {
                per_minute: 30.0,
                burst: 10,
            },
            rate_store: RateStore::Memory,
            trust_proxy: false,
            db_pool_size: 16,
            statement_timeout: std::time::Duration::from_secs(60),
            db_writers: 2,
            ingest_queue: DEFAULT_INGEST_QUEUE,
            results_cache_mb: 256,
            workers: None,
            smtp: None,
            mail_timing: MailTiming::default(),
            session_timing: SessionTiming::default(),
            connection_limits: ConnectionLimits::default(),
            receipt_days: 30,
            screening: Screening::default(),
        }
    }

    /// Whether browsers reach the service over HTTPS: in production, or whenever the public URL
    /// is `https://`. Then cookies are `Secure` and responses carry HSTS; only a local service
    /// on plain HTTP (a developer's machine) goes without.
    pub fn https(&self) -> bool {
        self.mode == Mode::Production
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }

    /// Reads `SIPAS_*` and `DATABASE_URL`; any malformed value is an error that names the variable.
    pub fn from_env() -> Result<Settings> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings> {
        let mut s = Settings::local();
        let nonempty = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        if let Some(mode) = nonempty("SIPAS_ENV") {
            s.mode = match mode.as_str() {
                "local" | "development" => Mode::Local,
                "production" => Mode::Production,
                other => bail!("SIPAS_ENV must be 'local' or 'production', not '{other}'"),
            };
        }
        s.database_url = nonempty("DATABASE_URL");
        if let Some(bind) = nonempty("SIPAS_BIND") {
            s.bind = bind.parse().with_context(|| {
                format!("SIPAS_BIND must be an address like 127.0.0.1:8080, not '{bind}'")
            })?;
        }
        if let Some(bind) = nonempty("SIPAS_METRICS_BIND") {
            let addr: SocketAddr = bind.parse().with_context(|| {
                format!("SIPAS_METRICS_BIND must be an address like 127.0.0.1:9090, not '{bind}'")
            })?;
            if addr == s.bind {
                bail!("SIPAS_METRICS_BIND must differ from SIPAS_BIND: metrics are never public");
            }
            s.metrics_bind = Some(addr);
        }
        s.public_url = nonempty("SIPAS_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(url) = &s.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("SIPAS_PUBLIC_URL must start with http:// or https://");
            }
        }
        if let Some(secret) = nonempty("SIPAS_SECRET") {
            if secret.len() < 32 {
                bail!("SIPAS_SECRET must be at least 32 characters long");
            }
            s.secret = Some(secret.into_bytes());
        }
        if s.mode == Mode::Production {
            if s.secret.is_none() {
                bail!("SIPAS_SECRET is required when SIPAS_ENV=production");
            }
            if s.database_url.is_none() {
                bail!("DATABASE_URL is required when SIPAS_ENV=production");
            }
        }
        if let Some(code) = nonempty("SIPAS_DESK_INSTRUMENT") {
            s.desk_instrument = code;
        }
        if let Some(v) = nonempty("SIPAS_RATE_PER_CLIENT") {
            s.rate_per_client = parse_rate("SIPAS_RATE_PER_CLIENT", &v)?;
        }
        if let Some(v) = nonempty("SIPAS_RATE_PER_DESK") {
            s.rate_per_desk = parse_rate("SIPAS_RATE_PER_DESK", &v)?;
        }
        if let Some(v) = nonempty("SIPAS_RATE_SEARCH") {
            s.rate_search = parse_rate("SIPAS_RATE_SEARCH", &v)?;
        }
        let redis = nonempty("SIPAS_REDIS_URL");
        s.rate_store = match (nonempty("SIPAS_RATE_STORE").as_deref(), redis) {
            (None | Some("redis"), Some(url)) => {
                if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                    bail!("SIPAS_REDIS_URL must start with redis:// or rediss://");
                }
                RateStore::Redis(url)
            }
            (Some("redis"), None) => bail!("SIPAS_RATE_STORE=redis needs SIPAS_REDIS_URL"),
            (None | Some("memory"), None) => RateStore::Memory,
            (Some("postgres"), None) => RateStore::Postgres,
            (Some("memory" | "postgres"), Some(_)) => {
                bail!("SIPAS_REDIS_URL is set but SIPAS_RATE_STORE is not 'redis'")
            }
            (Some(other), _) => {
                bail!("SIPAS_RATE_STORE must be 'memory', 'postgres' or 'redis', not '{other}'")
            }
        };
        if let Some(v) = nonempty("SIPAS_SESSION_IDLE_MINUTES") {
            let minutes: u64 = v
                .parse()
                .ok()
                .filter(|n| (1..=720).contains(n))
                .context("SIPAS_SESSION_IDLE_MINUTES must be a whole number from 1 to 720")?;
            s.session_timing.idle = std::time::Duration::from_secs(minutes * 60);
        }
        if let Some(v) = nonempty("SIPAS_RECEIPT_DAYS") {
            s.receipt_days = v
                .parse()
                .ok()
                .filter(|n| (1..=365).contains(n))
                .context("SIPAS_RECEIPT_DAYS must be a whole number of days from 1 to 365")?;
        }
        s.screening = Screening::read(&nonempty)?;
        if let Some(v) = nonempty("SIPAS_SESSION_HOURS") {
            let hours: u64 = v
                .parse()
                .ok()
                .filter(|n| (1..=12).contains(n))
                .context("SIPAS_SESSION_HOURS must be a whole number from 1 to 12")?;
            s.session_timing.absolute = std::time::Duration::from_secs(hours * 3600);
        }
        let secs = |key: &str, v: &str| -> Result<std::time::Duration> {
            v.parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(std::time::Duration::from_secs)
                .with_context(|| format!("{key} must be a whole number of seconds from 1 to 3600"))
        };
        if let Some(v) = nonempty("SIPAS_HEAD_TIMEOUT_SECS") {
            s.connection_limits.head_timeout = secs("SIPAS_HEAD_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = nonempty("SIPAS_BODY_TIMEOUT_SECS") {
            s.connection_limits.body_grace = secs("SIPAS_BODY_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = nonempty("SIPAS_BODY_MIN_RATE") {
            s.connection_limits.body_min_rate = v
                .parse::<f64>()
                .ok()
                .filter(|r| (1.0..=1e9).contains(r))
                .context("SIPAS_BODY_MIN_RATE must be bytes per second, at least 1")?;
        }
        if let Some(v) = nonempty("SIPAS_KEEP_ALIVE_SECS") {
            s.connection_limits.keep_alive = match v.trim() {
                "0" => None,
                _ => Some(secs("SIPAS_KEEP_ALIVE_SECS", &v)?),
            };
        }
        if let Some(v) = nonempty("SIPAS_MAX_CONNECTIONS_PER_ADDRESS") {
            s.connection_limits.per_address = v
                .parse()
                .context("SIPAS_MAX_CONNECTIONS_PER_ADDRESS must be a whole number (0: no cap)")?;
        }
        if let Some(v) = nonempty("SIPAS_TRUST_PROXY") {
            s.trust_proxy = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = nonempty("SIPAS_DB_POOL") {
            s.db_pool_size = v
                .parse()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .context("SIPAS_DB_POOL must be a whole number from 1 to 500")?;
        }
        if let Some(v) = nonempty("SIPAS_STATEMENT_TIMEOUT_SECS") {
            s.statement_timeout = v
                .parse()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .map(std::time::Duration::from_secs)
                .context("SIPAS_STATEMENT_TIMEOUT_SECS must be a whole number from 1 to 3600")?;
        }
        if let Some(v) = nonempty("SIPAS_DB_WRITERS") {
            s.db_writers = v
                .parse()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .context("SIPAS_DB_WRITERS must be a whole number from 1 to 64")?;
        }
        if let Some(v) = nonempty("SIPAS_INGEST_QUEUE") {
            s.ingest_queue = v
                .parse()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .context("SIPAS_INGEST_QUEUE must be a whole number from 1 to 1000000")?;
        }
        if let Some(v) = nonempty("SIPAS_RESULTS_CACHE_MB") {
            s.results_cache_mb = v
                .parse()
                .ok()
                .filter(|n| (0..=65_536).contains(n))
                .context("SIPAS_RESULTS_CACHE_MB must be a whole number from 0 to 65536")?;
        }
        if let Some(v) = nonempty("SIPAS_WORKERS") {
            s.workers = Some(
                v.parse()
                    .ok()
                    .filter(|n| (1..=256).contains(n))
                    .context("SIPAS_WORKERS must be a whole number from 1 to 256")?,
            );
        }
        s.smtp = smtp_from(&nonempty)?;
        let secs = |key: &str, max: u64| -> Result<Option<std::time::Duration>> {
            nonempty(key)
                .map(|v| {
                    v.parse::<u64>()
                        .ok()
                        .filter(|n| (1..=max).contains(n))
                        .map(std::time::Duration::from_secs)
                        .with_context(|| {
                            format!("{key} must be a whole number of seconds from 1 to {max}")
                        })
                })
                .transpose()
        };
        if let Some(d) = secs("SIPAS_MAIL_RETRY_SECS", 86_400)? {
            s.mail_timing.retry_base = d;
        }
        if let Some(d) = secs("SIPAS_MAIL_LEASE_SECS", 86_400)? {
            s.mail_timing.lease = d;
        }
        Ok(s)
    }

    /// The base URL for links printed on posters.
    pub fn public_base(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
    }
}

/// The SMTP settings, when `SIPAS_SMTP_HOST` is set; every other variable is checked and named.
fn smtp_from(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Smtp>> {
    let Some(host) = get("SIPAS_SMTP_HOST") else {
        return Ok(None);
    };
    let tls = match get("SIPAS_SMTP_TLS").as_deref().unwrap_or("starttls") {
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Implicit,
        "none" => SmtpTls::None,
        other => bail!("SIPAS_SMTP_TLS must be 'starttls', 'tls' or 'none', not '{other}'"),
    };
    let port = match get("SIPAS_SMTP_PORT") {
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .context("SIPAS_SMTP_PORT must be a port number from 1 to 65535")?,
        None => match tls {
            SmtpTls::StartTls => 587,
            SmtpTls::Implicit => 465,
            SmtpTls::None => 25,
        },
    };
    let Some(from) = get("SIPAS_MAIL_FROM") else {
        bail!("SIPAS_MAIL_FROM is required with SIPAS_SMTP_HOST (e.g. 'Sở Nội vụ <khaosat@snv.example.gov.vn>')");
    };
    if from.parse::<lettre::message::Mailbox>().is_err() {
        bail!("SIPAS_MAIL_FROM must be an address like 'Sở Nội vụ <khaosat@snv.example.gov.vn>'");
    }
    let username = get("SIPAS_SMTP_USER");
    let password = get("SIPAS_SMTP_PASSWORD");
    if username.is_some() != password.is_some() {
        bail!("SIPAS_SMTP_USER and SIPAS_SMTP_PASSWORD go together");
    }
    let timeout = match get("SIPAS_SMTP_TIMEOUT_SECS") {
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .map(std::time::Duration::from_secs)
            .context("SIPAS_SMTP_TIMEOUT_SECS must be a whole number from 1 to 600")?,
        None => std::time::Duration::from_secs(30),
    };
    Ok(Some(Smtp {
        host,
        port,
        tls,
        username,
        password,
        from,
        timeout,
    }))
}

/// `"20/min"` or `"20/min,burst=10"`; a bare number means per minute.
pub fn parse_rate(var: &str, value: &str) -> Result<RateLimit> {
    let mut parts = value.split(',');
    let rate = parts.next().unwrap_or("").trim();
    let per_minute: f64 = rate
        .trim_end_matches("/min")
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .with_context(|| format!("{var}: '{rate}' is not a rate like 20/min"))?;
    let mut burst = per_minute.ceil().clamp(1.0, u32::MAX as f64) as u32;
    for part in parts {
        let Some(b) = part.trim().strip_prefix("burst=") else {
            bail!("{var}: unknown option '{part}' (expected burst=N)");
        };
        burst = b
            .parse()
            .ok()
            .filter(|b| *b >= 1)
            .with_context(|| format!("{var}: burst must be a whole number of at least 1"))?;
    }
    Ok(RateLimit { per_minute, burst })
}

mod redacted;
mod screening;
pub use screening::Screening;

#[cfg(test)]
mod tests;
