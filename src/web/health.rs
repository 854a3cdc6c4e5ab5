//! Health for load balancers and operators: `/health/live` says the process answers (restart
//! it if not); `/health/ready` says it can serve, i.e. the database answers within a bound
//! (send it traffic only if so). A 503 always carries `Retry-After`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::{web, HttpResponse};

use crate::db;
use crate::state::AppState;

/// Longer than a healthy database ever takes to answer `SELECT 1`, short enough for a load
/// balancer's probe.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn live() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("live")
}

/// Ready when the database answers within the bound and, on a node that sends the outbox,
/// its worker is alive and the queue moves (a message due for longer than the lease that no
/// worker took means none is working: restart the node). The body says what was checked, one
/// line each; a node that sends no mail says how many messages wait for a worker elsewhere.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let ping = db::ping_within(&state.pool, READY_TIMEOUT);
    let unavailable = |why: &str| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .insert_header(("Retry-After", "2"))
            .body(format!("not ready: {why}"))
    };
    match tokio::time::timeout(READY_TIMEOUT, ping).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(
                "readiness: database unavailable: {:#}",
                anyhow::Error::from(e)
            );
            return unavailable("database unavailable");
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in {READY_TIMEOUT:?}");
            return unavailable("database not answering");
        }
    }
    let lease = state.settings.mail_timing.lease;
    let stalled = db::run(&state.pool, move |c| db::outbox::stalled(c, lease));
    let stalled = match tokio::time::timeout(READY_TIMEOUT, stalled).await {
        Ok(Ok(n)) => n,
        _ => return unavailable("database not answering"),
    };
    let mut lines = vec!["ready".to_owned(), "database: answers".to_owned()];
    lines.push(format!(
        "nodes: {} other live node(s) on this database; rate limits here: {}",
        state.peers.others(),
        state.peers.rate_store
    ));
    if let Some(w) = state.peers.warning_en() {
        lines.push(w);
    }
    match &state.outbox {
        Some(health) => {
            let restarts = health.restarts.load(Ordering::Relaxed);
            let panics = health.panics.load(Ordering::Relaxed);
            if let Some(problem) = health.problem() {
                tracing::warn!("readiness: {problem}");
                return unavailable(&problem);
            }
            if stalled > 0 {
                let problem = format!(
                    "{stalled} outbox message(s) due for longer than the lease and not taken"
                );
                tracing::warn!("readiness: {problem}");
                return unavailable(&problem);
            }
            lines.push(format!(
                "outbox worker: running (restarted {restarts} times, {panics} messages could not be built)"
            ));
        }
        None => lines.push(format!(
            "outbox worker: none on this node (SIPAS_SMTP_HOST not set); {stalled} message(s) waiting for a worker elsewhere"
        )),
    }
    HttpResponse::Ok()
        .content_type("text/plain")
        .body(lines.join("\n"))
}
