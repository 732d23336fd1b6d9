//! Baton's HTTP layer: every AWS wire protocol Baton speaks, on one port.
//!
//! Today that is Step Functions (`awsJson1_0`, `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Operation>`). Later services share the
//! same port and the same [`router`]: DynamoDB (`X-Amz-Target:
//! DynamoDB_20120810.*`), SNS (`awsQuery` form posts to `/`) and Lambda
//! (`restJson1` under `/2015-03-31/functions`). The dispatcher in
//! [`protocol`] picks the service from the target prefix; each service lives
//! in its own module (`sfn/` now) and only sees parsed parameters.
//!
//! State machines, activities, tags and execution *reads* go straight to the
//! [`store::Store`]; anything that changes a running execution goes through
//! the [`engine::durable::Engine`], which owns the interpreter and its journal.

mod auth;
mod cluster;
mod ddb;
mod error;
mod lambda;
mod protocol;
mod sfn;
mod sns;

use std::future::Future;

use axum::Router;
use axum::response::Response;
use axum::routing::{any, get, post};

pub use auth::Credentials;
pub use error::ApiError;

/// Settings of the API server that are not the engine's.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Region put into minted ARNs (`arn:aws:states:<region>:…`).
    pub region: String,
    /// Account id put into minted ARNs.
    pub account: String,
    /// When set, every request must be SigV4-signed with one of these
    /// access keys (see [`auth::verify`], which every request passes). When
    /// `None`, any credentials are accepted (local development).
    pub credentials: Option<Vec<Credentials>>,
    /// How long `GetActivityTask` waits for work before answering with no
    /// task. AWS holds the request for 60 s (clients should allow 65 s).
    pub activity_poll: std::time::Duration,
}

impl ApiConfig {
    /// AWS's defaults for `region` and `account`, no credentials.
    pub fn new(region: impl Into<String>, account: impl Into<String>) -> ApiConfig {
        ApiConfig {
            region: region.into(),
            account: account.into(),
            credentials: None,
            activity_poll: std::time::Duration::from_secs(60),
        }
    }

    /// Settings matching `engine`'s region and account. Use this: the
    /// engine mints execution ARNs and this crate mints state machine and
    /// activity ARNs, so the two must agree.
    pub fn for_engine(engine: &engine::durable::Engine) -> ApiConfig {
        let c = engine.config();
        ApiConfig::new(c.region.clone(), c.account.clone())
    }
}

/// What every handler gets: the engine (which also hands out the store) and
/// the API settings. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub engine: engine::durable::Engine,
    pub config: std::sync::Arc<ApiConfig>,
    /// DynamoDB tables (in memory unless [`AppState::with_tables`] says otherwise).
    pub tables: std::sync::Arc<tables::Tables>,
    /// Lambda functions; without them the Lambda API answers ServiceException.
    pub functions: Option<functions::Registry>,
    /// SNS topics; without them the SNS API answers InternalError.
    pub topics: Option<topics::Topics>,
    /// Forwards requests to the node running their execution.
    pub forwarder: cluster::Forwarder,
}

impl AppState {
    pub fn new(engine: engine::durable::Engine, config: ApiConfig) -> AppState {
        AppState {
            engine,
            config: std::sync::Arc::new(config),
            tables: std::sync::Arc::new(tables::Tables::in_memory()),
            functions: None,
            topics: None,
            forwarder: cluster::forwarder(),
        }
    }

    /// Serves DynamoDB from `tables` (e.g. SQLite-backed).
    pub fn with_tables(mut self, tables: std::sync::Arc<tables::Tables>) -> AppState {
        self.tables = tables;
        self
    }

    /// Serves the SNS API (and the mailbox) from `topics`.
    pub fn with_topics(mut self, topics: topics::Topics) -> AppState {
        self.topics = Some(topics);
        self
    }

    /// Serves the Lambda API from `functions`.
    pub fn with_functions(mut self, functions: functions::Registry) -> AppState {
        self.functions = Some(functions);
        self
    }
}

/// The whole HTTP surface. Deliberately without a request-timeout layer:
/// `GetActivityTask` long-polls for up to 60 s and must not be cut short.
pub fn router(state: AppState) -> Router {
    router_with(state, console::Closing::new())
}

/// [`router`], with the console's live streams ending when `closing` is
/// closed (they would otherwise hold a graceful shutdown open).
fn router_with(state: AppState, closing: console::Closing) -> Router {
    let console = console::router(
        console::Console::new(state.engine.clone(), state.functions.clone()).with_closing(closing),
    );
    Router::new()
        .route("/", post(protocol::dispatch).get(root_get))
        .route(
            "/_baton/mailbox",
            get(sns::mailbox).delete(sns::clear_mailbox),
        )
        .route(
            "/_baton/sns/SimpleNotificationService.pem",
            get(sns::signing_cert),
        )
        .route("/2015-03-31/functions", any(lambda::handle))
        .route("/2015-03-31/functions/{*rest}", any(lambda::handle))
        .fallback(protocol::not_found)
        .layer(axum::middleware::from_fn(protocol::request_id))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
        .merge(console)
}

/// `GET /`: the web console, unless the query names an `Action` (AWS's
/// query-API GET form, e.g. SNS's subscription confirmation links).
async fn root_get(
    state: axum::extract::State<AppState>,
    request: axum::extract::Request,
) -> Response {
    let has_action = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "Action" || p.starts_with("Action="));
    if has_action {
        sns::get(state, request).await
    } else {
        console::app_page()
    }
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then stops
/// accepting connections and waits for in-flight requests (a pending
/// `GetActivityTask` long poll can hold this up to 60 s). The console's
/// live streams end at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = console::Closing::new();
    let app = router_with(state, closing.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.close();
        })
        .await
}
