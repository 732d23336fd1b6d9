//! Baton's DynamoDB-compatible tables.
//!
//! - [`number`]: DynamoDB's exact 38-digit decimal `Number`.
//! - [`value`]: `AttributeValue`, items, their wire JSON and key ordering.
//! - [`schema`]: table definitions, key schemas, GSIs and LSIs.
//! - [`expr`]: the expression language (conditions, filters, key
//!   conditions, projections, updates) with placeholders.
//! - [`storage`]: the [`storage::Storage`] trait, in memory and in SQLite.
//! - [`service`]: the operations ([`Tables::handle`]), JSON in and out.
//! - [`dispatch`]: Step Functions' DynamoDB integrations
//!   ([`TablesDispatcher`]).

pub mod dispatch;
pub mod expr;
pub mod number;
pub mod schema;
pub mod service;
pub mod storage;
pub mod value;

pub use dispatch::TablesDispatcher;
pub use service::{DdbError, Tables};
pub use storage::{MemoryStorage, SqliteStorage, Storage};
