use actix_web::{web, HttpResponse};

use crate::db;
use crate::state::AppState;

/// Liveness and database reachability, for load balancers and the benchmark script.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, db::ping).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::error!("health check failed: {:#}", anyhow::Error::from(e));
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
