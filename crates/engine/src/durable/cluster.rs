//! Several nodes on one shared store (see [`store::Cluster`]).
//!
//! Each node runs a loop that, every quarter lease (at most every 2 s),
//! proves it is alive and
//! takes over the running executions of nodes silent for longer than the
//! lease, resuming them exactly as a restarted node resumes its own (by
//! replaying their journals). A node the others fenced stops: its store
//! refuses its writes, and [`Engine::fenced`] tells its server to exit.

use std::sync::{Arc, Weak};
use std::time::Duration;

use store::StoreError;

use super::{Engine, Inner, lock};

/// The shortest pause between two rounds (a tiny lease in tests).
const MIN_ROUND: Duration = Duration::from_millis(50);
/// The longest: a long lease tolerates long pauses of a node, but a node
/// that left (or an orphan's share left over) is still picked up promptly.
const MAX_ROUND: Duration = Duration::from_secs(2);

impl Engine {
    /// Resolves with the reason once other nodes declared this one dead (it
    /// must stop serving: its executions run elsewhere now). Never resolves
    /// for a store only this process uses.
    pub async fn fenced(&self) -> String {
        let mut rx = self.inner.fenced.subscribe();
        loop {
            if let Some(reason) = rx.borrow_and_update().clone() {
                return reason;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Whether this node holds `execution_arn` running in memory.
    pub fn runs_here(&self, execution_arn: &str) -> bool {
        lock(&self.inner.live).contains_key(execution_arn)
    }

    /// Whether a task token was handed out by an execution running here.
    pub fn knows_token(&self, token: &str) -> bool {
        lock(&self.inner.tokens).contains_key(token)
    }

    /// The node serving `execution_arn`, when it is another live node.
    pub async fn owner_url(&self, execution_arn: &str) -> Result<Option<String>, StoreError> {
        if self.runs_here(execution_arn) {
            return Ok(None);
        }
        let store = Arc::clone(&self.inner.store);
        let arn = execution_arn.to_string();
        blocking(move || match store.cluster() {
            Some(c) => c.owner_url(&arn),
            None => Ok(None),
        })
        .await
    }

    /// The other live nodes' URLs (none without a shared store).
    pub async fn peer_urls(&self) -> Result<Vec<String>, StoreError> {
        let store = Arc::clone(&self.inner.store);
        let lease = self.inner.config.node_lease;
        blocking(move || match store.cluster() {
            Some(c) => c.peer_urls(lease),
            None => Ok(Vec::new()),
        })
        .await
    }

    /// Starts the heartbeat and take-over loop if the store is shared.
    pub(super) fn start_cluster_loop(&self) {
        if self.inner.store.cluster().is_some() {
            tokio::spawn(cluster_loop(Arc::downgrade(&self.inner)));
        }
    }
}

/// Runs a store call on the blocking pool: it waits on the database.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(StoreError::Io(format!("store task failed: {e}"))))
}

async fn cluster_loop(inner: Weak<Inner>) {
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let engine = Engine { inner };
        let lease = engine.inner.config.node_lease;
        let url = engine.inner.config.node_url.clone();
        let store = Arc::clone(&engine.inner.store);
        let round = blocking(move || {
            let cluster = store.cluster().expect("checked when the loop started");
            cluster.heartbeat(&url)?;
            cluster.take_over(lease)
        })
        .await;
        match round {
            Ok(taken) => {
                for open in taken {
                    let arn = open.record.arn.clone();
                    match engine.resume(open).await {
                        Ok(()) => tracing::info!(execution = %arn, "taken over from a dead node"),
                        Err(e) => {
                            tracing::error!(execution = %arn, error = %e, "cannot resume a taken-over execution")
                        }
                    }
                }
            }
            Err(StoreError::Fenced(reason)) => {
                tracing::error!(%reason, "fenced by the other nodes: stopping");
                engine.inner.fenced.send_replace(Some(reason));
                return;
            }
            // A lost connection or a busy database: the next round retries.
            // Missing rounds for a whole lease gets this node fenced, which
            // is the safe outcome.
            Err(e) => tracing::warn!(error = %e, "cluster heartbeat failed"),
        }
        drop(engine);
        tokio::time::sleep((lease / 4).clamp(MIN_ROUND, MAX_ROUND)).await;
    }
}
