//! `GET /metrics` on the metrics address (`SIPAS_METRICS_BIND`): what `crate::metrics`
//! recorded, and what the pool and the database say now (the outbox by status, held ratings,
//! whether the database answered, the other live nodes).

use actix_web::{web, HttpResponse};

use crate::db;
use crate::metrics::Gauge;
use crate::state::AppState;

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    let mut gauges = vec![
        Gauge {
            name: "sipas_db_pool_connections",
            help: "Connections of this node's database pool, by state.",
            label: Some(("state", "in_use".into())),
            value: f64::from(pool.connections - pool.idle_connections),
        },
        Gauge {
            name: "sipas_db_pool_connections",
            help: "",
            label: Some(("state", "idle".into())),
            value: f64::from(pool.idle_connections),
        },
        Gauge {
            name: "sipas_peer_nodes",
            help: "Other live nodes on this database, at the last heartbeat.",
            label: None,
            value: state.peers.others() as f64,
        },
    ];
    let read = db::run_within(&state.pool, db::LOOKUP_DEADLINE, |c| {
        Ok((db::outbox::counts(c)?, db::screening::undecided(c)?))
    })
    .await;
    gauges.push(Gauge {
        name: "sipas_database_up",
        help: "Whether the database answered this scrape within 3 s.",
        label: None,
        value: if read.is_ok() { 1.0 } else { 0.0 },
    });
    if let Ok((outbox, held)) = read {
        for status in ["queued", "sending", "sent", "failed", "uncertain"] {
            let n = outbox
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            gauges.push(Gauge {
                name: "sipas_outbox_messages",
                help: "Messages of the mail outbox, by status (failed and uncertain wait for an administrator).",
                label: Some(("status", status.to_owned())),
                value: n as f64,
            });
        }
        gauges.push(Gauge {
            name: "sipas_held_ratings",
            help: "Ratings held by screening and not yet released or rejected.",
            label: None,
            value: held as f64,
        });
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&gauges))
}
