/// A storage failure. The engine reports these as `InternalFailure` (500).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("storage I/O failed: {0}")]
    Io(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is closed")]
    Closed,
    #[error("conflict: {0}")]
    Conflict(String),
    /// Other nodes declared this one dead and took its executions over; it
    /// must not write again (restart it to rejoin).
    #[error("this node was fenced: {0}")]
    Fenced(String),
}
