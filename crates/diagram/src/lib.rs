//! State machine diagrams, laid out and drawn in Rust.
//!
//! `Diagram::from_definition` reads an ASL definition (raw JSON), orders its states in flow
//! order from `StartAt` ([`model`]), lays each scope out in layers ([`rank`] → [`order`] →
//! [`position`] → [`route`], driven by [`layered`]; Parallel branches and Map iterators are
//! laid out first and then placed as one big box by [`layout`]), and renders the result as
//! SVG, Graphviz DOT, Mermaid or layout JSON ([`render`]). Pure: no I/O.
//!
//! The layout depends only on the graph, not on the order of the `States` keys, so the same
//! machine always looks the same.

pub mod condition;
pub mod layered;
pub mod layout;
pub mod model;
pub mod order;
pub mod position;
pub mod rank;
pub mod render;
pub mod route;
pub mod text;

use serde_json::Value;

pub use layout::{ContainerBox, EdgeLine, Geometry, NodeBox};
pub use model::EdgeKind;

/// Why a definition could not be drawn. Locations are JSON Pointers into the definition
/// (`/States/My State`), `/` for the document itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{location}: expected a JSON object")]
    NotAnObject { location: String },
    #[error("{location}: missing or invalid field '{field}'")]
    Missing {
        location: String,
        field: &'static str,
    },
    #[error("{location}: no state named '{name}' in this scope")]
    UnknownState { location: String, name: String },
}

/// A laid-out state machine diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    geometry: Geometry,
    comment: Option<String>,
}

impl Diagram {
    /// Reads and lays out a definition given as parsed JSON.
    pub fn from_definition(definition: &Value) -> Result<Diagram, Error> {
        let scope = model::read_scope(definition, "")?;
        Ok(Diagram {
            geometry: layout::geometry(&scope),
            comment: definition
                .get("Comment")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Everything placed: boxes, routed edges and containers, in absolute coordinates.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The definition's `Comment`, used as the drawing's title.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// A standalone SVG document (also fine inline in HTML); colours come from CSS classes
    /// and variables, with a dark palette.
    pub fn to_svg(&self) -> String {
        render::svg::render(self)
    }

    /// Graphviz DOT, with Parallel/Map states as clusters.
    pub fn to_dot(&self) -> String {
        render::dot::render(self)
    }

    /// A Mermaid flowchart, with Parallel/Map states as subgraphs.
    pub fn to_mermaid(&self) -> String {
        render::mermaid::render(self)
    }

    /// The layout as JSON: `nodes`, `edges` and `containers` with coordinates.
    pub fn to_json(&self) -> Value {
        render::json::render(self)
    }
}
