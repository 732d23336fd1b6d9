//! Storage behind one trait, so the engine never knows which database it
//! runs on. Three implementations ship: [`MemoryStore`] (tests,
//! `--in-memory`), [`SqliteStore`] (the embedded default) and
//! [`PostgresStore`] (a database several nodes can share); nothing here may
//! assume a single process.
//!
//! # What is stored
//! - state machines (and their published versions, as separate records) and
//!   activities: plain metadata rows;
//! - executions: one row each, plus their **history events** (what
//!   `GetExecutionHistory` returns) and their **journal** (the signals the
//!   interpreter was fed, with the time of each). An execution is rebuilt
//!   after a restart by replaying its journal through the deterministic
//!   interpreter; the stored events are what that replay must reproduce.
//!
//! # Durability
//! [`Store::commit`] applies a [`Batch`] atomically and calls `done` only
//! after the batch is durable (for SQLite: after the transaction that holds it
//! was fsynced). Implementations group concurrent batches into one
//! transaction (group commit): the disk manages a few hundred fsyncs per
//! second, and thousands of executions per second must share them.

mod error;
mod memory;
mod postgres;
mod records;
mod rows;
mod shared;
mod sqlite;
mod writer_thread;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use postgres::{PostgresOptions, PostgresStore};
pub use records::*;
pub use sqlite::{SqliteOptions, SqliteStore};

/// Callback for [`Store::commit`]: runs once the batch is durable (or failed).
pub type CommitDone = Box<dyn FnOnce(Result<(), StoreError>) + Send + 'static>;

/// Everything Baton persists. All methods are synchronous and fast (reads are
/// indexed lookups); `commit` returns at once and reports durability through
/// its callback, so async callers can await a oneshot channel.
pub trait Store: Send + Sync + 'static {
    // ---- state machines -------------------------------------------------
    /// Inserts or replaces by ARN (versions are records whose ARN ends `:N`).
    fn put_state_machine(&self, sm: &StateMachineRecord) -> Result<(), StoreError>;
    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError>;
    /// State machines (not versions), ordered by ARN, those after `after`.
    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StateMachineRecord>, StoreError>;
    /// Published versions of a state machine, newest (highest number) first.
    fn list_versions(&self, state_machine_arn: &str)
    -> Result<Vec<StateMachineRecord>, StoreError>;
    /// Deletes a state machine and its versions. Executions stay.
    fn delete_state_machine(&self, arn: &str) -> Result<(), StoreError>;

    // ---- aliases --------------------------------------------------------
    /// Inserts or replaces an alias by ARN.
    fn put_alias(&self, alias: &AliasRecord) -> Result<(), StoreError>;
    fn get_alias(&self, arn: &str) -> Result<Option<AliasRecord>, StoreError>;
    /// Aliases of a state machine, newest first.
    fn list_aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>, StoreError>;
    fn delete_alias(&self, arn: &str) -> Result<(), StoreError>;

    // ---- activities -----------------------------------------------------
    fn put_activity(&self, activity: &ActivityRecord) -> Result<(), StoreError>;
    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError>;
    fn list_activities(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ActivityRecord>, StoreError>;
    fn delete_activity(&self, arn: &str) -> Result<(), StoreError>;

    // ---- executions -----------------------------------------------------
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError>;
    /// Executions matching `filter`, newest `start_date` first (ties by ARN),
    /// starting after the execution `after` (a pagination cursor).
    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionRecord>, StoreError>;
    /// History events with `id > after_id` ascending, or `id < before_id`
    /// descending when `reverse` (`before_id` = `u64::MAX` for the newest).
    fn history(
        &self,
        execution_arn: &str,
        cursor: u64,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<asl::HistoryEvent>, StoreError>;
    /// Every RUNNING execution with its journal in order: what a restarted
    /// node must resume.
    fn open_executions(&self) -> Result<Vec<OpenExecution>, StoreError>;
    /// One execution (open or closed) with its journal, as
    /// [`Store::open_executions`] gives them: what a redrive replays.
    fn execution_with_journal(&self, arn: &str) -> Result<Option<OpenExecution>, StoreError>;

    // ---- Map Runs -------------------------------------------------------
    /// The execution that started Map Run `map_run_arn` (indexed from its
    /// `MapRunStarted` event as the event is stored).
    fn map_run_execution(&self, map_run_arn: &str) -> Result<Option<String>, StoreError>;
    /// The ARNs of the Map Runs an execution started, oldest first.
    fn map_runs_of(&self, execution_arn: &str) -> Result<Vec<String>, StoreError>;

    /// Applies `batch` atomically; `done` runs once it is durable.
    fn commit(&self, batch: Batch, done: CommitDone);

    /// Finishes pending commits (graceful shutdown).
    fn flush(&self) -> Result<(), StoreError>;

    /// The store's node registry when several nodes share it; `None` for a
    /// store only one process uses.
    fn cluster(&self) -> Option<&dyn Cluster> {
        None
    }
}

/// One node as the others see it (the console's Nodes table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub id: String,
    pub url: String,
    /// Milliseconds since its last heartbeat, on the store's clock.
    pub silent_for: i64,
    /// Heartbeating within the lease and not fenced.
    pub live: bool,
    /// Declared dead by another node, or left.
    pub fenced: bool,
    /// Running executions it owns.
    pub running: u64,
}

/// Several Baton nodes sharing one store: which node runs which execution.
///
/// Every running execution has an **owner**, the node that started (or
/// redrove, or took over) it, and only the owner holds it in memory and
/// writes for it. A node proves it is alive with [`Cluster::heartbeat`];
/// one silent for longer than the lease is **fenced** by the first live node
/// that notices ([`Cluster::take_over`]), which in the same transaction
/// becomes the owner of its running executions. A fenced node's commits
/// fail with [`StoreError::Fenced`], so a node that was only paused cannot
/// write after its executions moved on.
pub trait Cluster: Send + Sync {
    /// This node's id (stable across restarts of the same node).
    fn node_id(&self) -> &str;
    /// Records that this node is alive and serves its API at `url`.
    /// Fails with [`StoreError::Fenced`] once other nodes took it over.
    fn heartbeat(&self, url: &str) -> Result<(), StoreError>;
    /// Fences every node whose last heartbeat is older than `lease`
    /// (measured on the store's clock, so nodes' clocks need not agree) and
    /// makes this node the owner of its share of the running executions
    /// fenced nodes left (the orphans divided by the live nodes, rounded
    /// up; the other nodes take theirs on their own rounds). They are
    /// returned with their journals, ready to resume.
    fn take_over(&self, lease: std::time::Duration) -> Result<Vec<OpenExecution>, StoreError>;
    /// The URL of the live node (not this one) that runs `execution_arn`,
    /// or `None` if this node owns it or it is not running.
    fn owner_url(&self, execution_arn: &str) -> Result<Option<String>, StoreError>;
    /// The URLs of the other live nodes.
    fn peer_urls(&self, lease: std::time::Duration) -> Result<Vec<String>, StoreError>;
    /// Every node the store knows, this one included, ordered by id.
    fn nodes(&self, lease: std::time::Duration) -> Result<Vec<NodeStatus>, StoreError>;
    /// Leaves the cluster on a graceful shutdown: this node fences itself,
    /// so the live nodes take its running executions over at their next
    /// round instead of after the lease. Its own later commits fail.
    fn leave(&self) -> Result<(), StoreError>;
}
