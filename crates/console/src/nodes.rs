//! `GET /_baton/console/nodes`: the Baton nodes sharing this one's database
//! (`{"nodes": []}` for a server with a store of its own), so the console
//! can show which are live, which were fenced and how much each runs.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::{Console, ConsoleError};

pub async fn nodes(State(console): State<Console>) -> Response {
    let store = std::sync::Arc::clone(console.engine.store());
    let lease = console.engine.config().node_lease;
    // The store waits on the database: keep it off the runtime's threads.
    let listed = tokio::task::spawn_blocking(move || -> Result<Value, ConsoleError> {
        let Some(cluster) = store.cluster() else {
            return Ok(json!({ "nodes": [] }));
        };
        let me = cluster.node_id().to_string();
        let nodes: Vec<Value> = cluster
            .nodes(lease)?
            .into_iter()
            .map(|n| {
                json!({
                    "id": n.id,
                    "url": n.url,
                    "self": n.id == me,
                    "live": n.live,
                    "fenced": n.fenced,
                    "silentForMs": n.silent_for,
                    "running": n.running,
                })
            })
            .collect();
        Ok(json!({ "self": me, "leaseMs": lease.as_millis() as u64, "nodes": nodes }))
    })
    .await;
    match listed {
        Ok(Ok(v)) => crate::error::json_ok(&v),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ConsoleError::Store(store::StoreError::Io(e.to_string())).into_response(),
    }
}
