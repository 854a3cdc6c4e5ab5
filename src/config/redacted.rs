//! How settings print (`Debug`): every secret redacted — the database URL, the key, the SMTP
//! password, a Redis URL — so that a settings value may be logged whole.

use std::fmt;

use super::{RateStore, Settings, Smtp};

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("mode", &self.mode)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("bind", &self.bind)
            .field("metrics_bind", &self.metrics_bind)
            .field("public_url", &self.public_url)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("desk_instrument", &self.desk_instrument)
            .field("rate_per_client", &self.rate_per_client)
            .field("rate_per_desk", &self.rate_per_desk)
            .field("rate_login", &self.rate_login)
            .field("rate_search", &self.rate_search)
            .field("connection_limits", &self.connection_limits)
            .field(
                "rate_store",
                &match &self.rate_store {
                    RateStore::Redis(_) => "redis (<url redacted>)",
                    RateStore::Postgres => "postgres",
                    RateStore::Memory => "memory",
                },
            )
            .field("trust_proxy", &self.trust_proxy)
            .field("db_pool_size", &self.db_pool_size)
            .field("statement_timeout", &self.statement_timeout)
            .field("db_writers", &self.db_writers)
            .field("ingest_queue", &self.ingest_queue)
            .field("workers", &self.workers)
            .field("smtp", &self.smtp)
            .field("mail_timing", &self.mail_timing)
            .field("session_timing", &self.session_timing)
            .field("receipt_days", &self.receipt_days)
            .field("screening", &self.screening)
            .finish()
    }
}
