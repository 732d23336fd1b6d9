//! Baton's web console, served by `baton serve` on the API's own port.
//!
//! The page is a small single-page app made of our own ES modules and CSS
//! (`web/`), compiled into the binary with `include_str!`: nothing is
//! fetched from the network, and `cargo build` needs no Node. The browser
//! talks to the AWS APIs Baton already speaks (Step Functions, Lambda,
//! DynamoDB) exactly as an SDK would; this crate only adds what those APIs
//! cannot give:
//!
//! - `GET /` (the app shell; the API crate routes here when the query has no
//!   `Action`) and `GET /console/*` (assets);
//! - `GET /_baton/console/machines`: every state machine with its execution
//!   counts by status and its last run (one call instead of hundreds);
//! - `GET /_baton/console/live?arn=…&after=N`: server-sent events carrying an
//!   execution's history events as they are written, then its final status;
//! - `GET /_baton/console/logs?function=…&from=…&to=…`: a function's log lines
//!   grouped by invocation (START … REPORT), for the step panel;
//! - `GET /_baton/console/diagram.svg?arn=…`: the machine's (or the
//!   execution's definition's) diagram, drawn by the `diagram` crate (and
//!   `POST` with a definition: the editor's preview).

mod assets;
mod drawing;
mod error;
mod live;
mod logs;
mod nodes;
mod overview;
mod query;

use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub use error::ConsoleError;

/// What the console's endpoints read: the engine (and through it the store)
/// and, when `baton serve` runs them, the local Lambda functions.
#[derive(Clone)]
pub struct Console {
    engine: engine::durable::Engine,
    functions: Option<functions::Registry>,
    closing: Closing,
}

impl Console {
    pub fn new(engine: engine::durable::Engine, functions: Option<functions::Registry>) -> Console {
        Console {
            engine,
            functions,
            closing: Closing::new(),
        }
    }

    /// Ends the live streams when `closing` is closed.
    pub fn with_closing(mut self, closing: Closing) -> Console {
        self.closing = closing;
        self
    }
}

/// Tells the live streams that the server is shutting down: a page watching
/// a running execution would otherwise keep a graceful shutdown waiting
/// until that execution ends.
#[derive(Clone, Debug)]
pub struct Closing(std::sync::Arc<tokio::sync::watch::Sender<bool>>);

impl Closing {
    pub fn new() -> Closing {
        Closing(std::sync::Arc::new(tokio::sync::watch::channel(false).0))
    }

    pub fn close(&self) {
        self.0.send_replace(true);
    }

    fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }
}

impl Default for Closing {
    fn default() -> Closing {
        Closing::new()
    }
}

/// The console's routes (`/console/*` and `/_baton/console/*`), ready to be
/// merged into the API router. `GET /` is served by [`app_page`], which the
/// API router calls itself because `GET /?Action=…` belongs to SNS.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/console/{*file}", get(assets::serve))
        .route("/_baton/console/machines", get(overview::machines))
        .route("/_baton/console/nodes", get(nodes::nodes))
        .route("/_baton/console/live", get(live::stream))
        .route("/_baton/console/logs", get(logs::invocations))
        .route(
            "/_baton/console/diagram.svg",
            get(drawing::stored).post(drawing::preview),
        )
        .with_state(console)
}

/// The app shell for `GET /` (every page of the console is this document;
/// the view comes from the URL hash).
pub fn app_page() -> Response {
    assets::index()
}
