//! Baton's SNS-compatible topics.
//!
//! - [`service::Topics`]: the operations (topics, subscriptions, attributes,
//!   tags, Publish, PublishBatch, the mailbox), over [`db`], one SQLite
//!   file (`<data-dir>/topics.sqlite3`) or an in-memory database.
//! - [`validate`]: input checks with AWS's messages; [`policy`]: the
//!   default access policy and effective delivery policy.
//! - [`filter`]: subscription filter policies.
//! - [`delivery`]: the workers carrying the outbox to endpoints, with
//!   AWS's retry policies ([`retry`]).
//! - [`envelope`]: what endpoints receive (JSON envelope, string to sign,
//!   Lambda event, e-mail texts); [`signing`]: the key and certificate.
//! - [`dispatch::SnsDispatcher`]: the Step Functions `sns:publish` task.

pub mod db;
pub mod delivery;
pub mod dispatch;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod model;
pub mod policy;
pub mod retry;
pub mod service;
pub mod signing;
pub mod validate;

pub use dispatch::SnsDispatcher;
pub use error::SnsError;
pub use model::{MailItem, MessageAttribute, PublishInput, Published, Subscription, Topic};
pub use service::{Settings, Topics};
