//! `GET /_baton/console/diagram.svg?arn=<state machine, version or execution>`:
//! the diagram of a stored definition (an execution's is its snapshot, so a
//! machine updated since still shows what that execution ran), and
//! `POST /_baton/console/diagram.svg` with a definition as the body (the
//! editor's preview). Drawn by the `diagram` crate; the page colours the
//! states with `status-…` classes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};

use crate::query::Query;
use crate::{Console, ConsoleError};

pub async fn stored(State(console): State<Console>, uri: Uri) -> Response {
    let q = Query::of(&uri);
    match q
        .required("arn")
        .and_then(|arn| definition_of(&console, arn))
    {
        Ok(definition) => svg(&definition),
        Err(e) => e.into_response(),
    }
}

pub async fn preview(body: Bytes) -> Response {
    svg(&String::from_utf8_lossy(&body))
}

fn definition_of(console: &Console, arn: &str) -> Result<String, ConsoleError> {
    let store = console.engine.store();
    if arn.contains(":execution:") || arn.contains(":express:") {
        return store
            .get_execution(arn)?
            .map(|e| e.definition)
            .ok_or_else(|| ConsoleError::ExecutionDoesNotExist(arn.to_string()));
    }
    store
        .get_state_machine(arn)?
        .map(|m| m.definition)
        .ok_or_else(|| ConsoleError::StateMachineDoesNotExist(arn.to_string()))
}

fn svg(definition: &str) -> Response {
    let drawn = serde_json::from_str(definition)
        .map_err(|e| ConsoleError::Diagram(format!("the definition is not JSON: {e}")))
        .and_then(|v| {
            diagram::Diagram::from_definition(&v).map_err(|e| ConsoleError::Diagram(e.to_string()))
        });
    match drawn {
        Ok(d) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            d.to_svg(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
