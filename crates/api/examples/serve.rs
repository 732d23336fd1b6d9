//! A throwaway server for trying clients against the API by hand, until
//! `baton serve` exists: `cargo run -p api --example serve -- 127.0.0.1:8083`.
//! In-memory store; runs until killed.

use std::sync::Arc;

use api::{ApiConfig, AppState};
use engine::durable::{Engine, EngineConfig, NoIntegrations};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8083".into());
    let store: Arc<dyn store::Store> = Arc::new(store::MemoryStore::new());
    let engine = Engine::open(store, EngineConfig::default(), Arc::new(NoIntegrations))
        .await
        .map_err(std::io::Error::other)?;
    let config = ApiConfig::for_engine(&engine);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("listening on http://{addr}");
    api::serve(
        listener,
        AppState::new(engine, config),
        std::future::pending(),
    )
    .await
}
