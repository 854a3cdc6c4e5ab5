//! Health for load balancers and operators: `/health/live` says the process answers (restart
//! it if not); `/health/ready` says it can serve, i.e. the database answers within a bound
//! (send it traffic only if so). A 503 always carries `Retry-After`.

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

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let ping = db::ping_within(&state.pool, READY_TIMEOUT);
    let unavailable = |why: &str| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .insert_header(("Retry-After", "2"))
            .body(format!("not ready: {why}"))
    };
    match tokio::time::timeout(READY_TIMEOUT, ping).await {
        Ok(Ok(())) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Ok(Err(e)) => {
            tracing::warn!(
                "readiness: database unavailable: {:#}",
                anyhow::Error::from(e)
            );
            unavailable("database unavailable")
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in {READY_TIMEOUT:?}");
            unavailable("database not answering")
        }
    }
}
