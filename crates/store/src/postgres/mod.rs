//! [`PostgresStore`]: the store for several Baton nodes sharing one database.
//!
//! # Threads, not the caller's runtime
//! The [`Store`] trait is synchronous and its callers run on tokio, where a
//! client that blocks on a runtime of its own may not run. So every
//! connection lives on a thread of the store's: a few **readers** (the sync
//! `postgres` client) and one **writer** (`tokio-postgres` on a runtime of
//! that thread, since pipelining needs the async client; see [`writer`]). A
//! call hands its work to one of them over a channel and waits for the
//! answer, exactly as a SQLite call waits for its disk.
//!
//! # Group commit
//! As with SQLite, the writer drains the queued jobs and applies them in one
//! transaction, so a burst of executions shares one WAL flush. PostgreSQL
//! aborts a transaction at its first error, and a savepoint per job would
//! cost two more round trips each, so the group is run optimistically: if
//! every job applies, one COMMIT makes all of them durable; if one fails, the
//! group is rolled back and each job is run again in a transaction of its
//! own, so the failing batch fails alone and no batch is ever half-applied.
//!
//! # Schema
//! Versioned in `baton_schema`; [`MIGRATIONS`] are applied in order in one
//! transaction under an advisory lock, so nodes starting together migrate
//! once. Timestamps are epoch milliseconds (`BIGINT`), JSON stays text (key
//! order is part of what the API returns), and ARNs sort bytewise
//! (`COLLATE "C"`) as in SQLite, so listings page identically.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use asl::HistoryEvent;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use crate::records::*;
use crate::rows::*;
use crate::writer_thread::{Work, WriterThread, call_done};
use crate::{Batch, Cluster, CommitDone, NodeStatus, Store, StoreError};

mod writer;

/// Where and how a [`PostgresStore`] connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOptions {
    /// A libpq-style connection string or `postgres://` URL.
    pub url: String,
    /// Keep Baton's tables in this schema (created if missing) instead of
    /// the connection's default: several Batons, or test runs, can share a
    /// database without seeing each other.
    pub schema: Option<String>,
    /// Read connections (each on its own thread).
    pub readers: usize,
    /// At most this many jobs share one transaction.
    pub max_group: usize,
    /// This node's id among the nodes sharing the database. A node that
    /// restarts with the same id owns its running executions again at once;
    /// `None` picks a fresh id, so its executions of an earlier run are only
    /// resumed once that run's lease expires and a node takes them over.
    pub node_id: Option<String>,
}

impl PostgresOptions {
    pub fn new(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            schema: None,
            readers: 4,
            max_group: 1024,
            node_id: None,
        }
    }
}

/// Schema scripts; `MIGRATIONS[i]` takes the version from `i` to `i + 1`.
/// Append only: a released script is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: everything SQLite's schema v6 holds.
    r#"
    CREATE TABLE state_machines (
        arn TEXT COLLATE "C" PRIMARY KEY,
        machine_arn TEXT COLLATE "C" NOT NULL,
        version BIGINT,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        machine_type TEXT NOT NULL,
        created BIGINT NOT NULL,
        updated BIGINT NOT NULL,
        revision_id TEXT NOT NULL,
        description TEXT,
        logging_configuration TEXT,
        tracing_configuration TEXT,
        encryption_configuration TEXT,
        tags TEXT NOT NULL
    );
    CREATE INDEX state_machines_by_machine ON state_machines (machine_arn, version);

    CREATE TABLE aliases (
        arn TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        state_machine_arn TEXT COLLATE "C" NOT NULL,
        description TEXT,
        routing TEXT NOT NULL,
        created BIGINT NOT NULL,
        updated BIGINT NOT NULL
    );
    CREATE INDEX aliases_by_machine ON aliases (state_machine_arn);

    CREATE TABLE activities (
        arn TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        created BIGINT NOT NULL,
        tags TEXT NOT NULL
    );

    CREATE TABLE executions (
        arn TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        state_machine_arn TEXT COLLATE "C" NOT NULL,
        version_arn TEXT COLLATE "C",
        alias_arn TEXT COLLATE "C",
        definition TEXT NOT NULL,
        machine_type TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        cause TEXT,
        start_date BIGINT NOT NULL,
        stop_date BIGINT,
        -- the u64 seed's bits as a (possibly negative) i64
        seed BIGINT NOT NULL,
        redrive_count BIGINT NOT NULL,
        trace_header TEXT,
        redrive_date BIGINT,
        map_run_arn TEXT COLLATE "C",
        item_count BIGINT
    );
    CREATE INDEX executions_by_start ON executions (start_date DESC, arn);
    CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date DESC, arn);
    CREATE INDEX executions_by_status ON executions (status, start_date DESC, arn);
    CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date DESC, arn)
        WHERE map_run_arn IS NOT NULL;

    -- No foreign keys: PostgreSQL checks one per inserted row (and locks
    -- the execution's row for each), which made event inserts the writer's
    -- main cost. Appends check the execution exists once, in the statement.
    CREATE TABLE events (
        execution_arn TEXT COLLATE "C" NOT NULL,
        id BIGINT NOT NULL,
        prev BIGINT NOT NULL,
        timestamp BIGINT NOT NULL,
        type TEXT NOT NULL,
        details TEXT,
        PRIMARY KEY (execution_arn, id)
    );

    CREATE TABLE journal (
        execution_arn TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        signal TEXT NOT NULL,
        PRIMARY KEY (execution_arn, seq)
    );

    CREATE TABLE map_runs (
        arn TEXT COLLATE "C" PRIMARY KEY,
        execution_arn TEXT COLLATE "C" NOT NULL,
        start_date BIGINT NOT NULL,
        -- insertion order breaks ties between runs started the same millisecond
        ordinal BIGSERIAL
    );
    CREATE INDEX map_runs_by_execution ON map_runs (execution_arn, start_date, ordinal);
    "#,
    // 2: several nodes. Each registers itself; a restart of the same node
    // bumps its incarnation, which fences the previous one.
    r#"
    CREATE TABLE nodes (
        id TEXT COLLATE "C" PRIMARY KEY,
        incarnation BIGINT NOT NULL,
        url TEXT NOT NULL,
        -- epoch milliseconds on the database's clock
        heartbeat BIGINT NOT NULL,
        fenced BOOLEAN NOT NULL
    );
    -- the node running the execution; NULL (rows from before nodes) is
    -- taken over by the first live node
    ALTER TABLE executions ADD COLUMN owner TEXT COLLATE "C";
    CREATE INDEX executions_running_by_owner ON executions (owner)
        WHERE status = 'RUNNING' AND map_run_arn IS NULL;
    "#,
];

/// A running execution whose owner is gone: fenced, or from before nodes.
const ORPHAN: &str = "status = 'RUNNING' AND map_run_arn IS NULL
    AND (owner IS NULL OR owner IN (SELECT id FROM nodes WHERE fenced))";

/// The database's clock in epoch milliseconds: every node measures leases
/// on it, so their own clocks need not agree.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::BIGINT";

/// Any constant: the advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x6261_746f_6e00;

/// A [`Store`] in a PostgreSQL database. See the module docs.
pub struct PostgresStore {
    node: Node,
    /// `None` only during `drop`, which stops the writer before the readers.
    writer: Option<WriterThread>,
    reads: Option<Sender<ReadJob>>,
    readers: Vec<JoinHandle<()>>,
}

/// Who this store writes as: every commit first checks, under a share lock
/// on the node's row, that this incarnation is still the live one.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    incarnation: i64,
}

type ReadJob = Box<dyn FnOnce(&mut Conn) + Send>;

/// A connection with its prepared statements. Reconnects when the server
/// closed it (a restart, an idle timeout), so one failure is one error, not
/// a dead thread.
struct Conn {
    options: PostgresOptions,
    client: Client,
    statements: HashMap<String, Statement>,
    /// The last call failed with an I/O error: the server may have closed
    /// the connection without the client having noticed yet.
    suspect: bool,
}

impl Conn {
    fn open(options: &PostgresOptions) -> Result<Conn, StoreError> {
        let mut client = postgres::Config::from(connect_config(options)?)
            .connect(NoTls)
            .map_err(|e| cannot_connect(options, e))?;
        if let Some(schema) = &options.schema {
            let quoted = quote_identifier(schema)?;
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {quoted}; SET search_path TO {quoted}"
                ))
                .map_err(db_error)?;
        }
        Ok(Conn {
            options: options.clone(),
            client,
            statements: HashMap::new(),
            suspect: false,
        })
    }

    /// Reconnects if the connection is gone, or after an I/O error if an
    /// empty query (one round trip, only then) shows it is.
    fn reopen_if_closed(&mut self) -> Result<(), StoreError> {
        let gone = self.client.is_closed()
            || (std::mem::take(&mut self.suspect) && self.client.simple_query("").is_err());
        if gone {
            *self = Conn::open(&self.options)?;
        }
        Ok(())
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(db_error)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        self.client.execute(&s, params).map_err(db_error)
    }

    fn query(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        self.client.query(&s, params).map_err(db_error)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(db_error)
    }
}

impl PostgresStore {
    /// Connects, brings the schema up to date and starts the store's threads.
    pub fn open(options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let mut setup = Conn::open(&options)?;
        migrate(&mut setup)?;
        let node = register(&mut setup, options.node_id.as_deref())?;
        drop(setup);
        let max_group = options.max_group;
        let writer_node = node.clone();
        let writer_options = options.clone();
        // The writer's connection and runtime are made on its own thread,
        // away from any runtime of the caller's.
        let (opened, opening) = mpsc::sync_channel(1);
        let writer =
            WriterThread::spawn("baton-pg-writer", move |queue| {
                match writer::Writer::open(&writer_options) {
                    Ok(conn) => {
                        let _ = opened.send(Ok(()));
                        writer::writer_loop(conn, writer_node, queue, max_group);
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                    }
                }
            })?;
        opening.recv().unwrap_or(Err(StoreError::Closed))?;
        let (reads, read_queue) = mpsc::channel::<ReadJob>();
        let read_queue = Arc::new(Mutex::new(read_queue));
        let mut readers = Vec::new();
        for i in 0..options.readers.max(1) {
            // Opened here so a bad URL or schema fails `open`, not a read.
            let conn = Conn::open(&options)?;
            let queue = read_queue.clone();
            readers.push(
                std::thread::Builder::new()
                    .name(format!("baton-pg-reader-{i}"))
                    .spawn(move || reader_loop(conn, queue))
                    .map_err(|e| StoreError::Io(format!("cannot start a reader thread: {e}")))?,
            );
        }
        Ok(PostgresStore {
            node,
            writer: Some(writer),
            reads: Some(reads),
            readers,
        })
    }

    fn writer(&self) -> Result<&WriterThread, StoreError> {
        self.writer.as_ref().ok_or(StoreError::Closed)
    }

    fn write_sync(&self, work: Work) -> Result<(), StoreError> {
        self.writer()?.write_sync(work)
    }

    /// Runs `f` on a reader thread's connection and waits for its answer.
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: ReadJob = Box::new(move |conn| {
            let result = conn.reopen_if_closed().and_then(|()| f(conn));
            conn.suspect = matches!(result, Err(StoreError::Io(_)));
            let _ = tx.send(result);
        });
        match &self.reads {
            Some(reads) if reads.send(job).is_ok() => {}
            _ => return Err(StoreError::Closed),
        }
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }
}

impl Drop for PostgresStore {
    /// As for SQLite: closing the channels lets the threads finish what is
    /// queued and stop, so every accepted batch is committed (or failed).
    fn drop(&mut self) {
        // The writer first: it commits what was accepted, then stops.
        self.writer.take();
        self.reads.take();
        let me = std::thread::current().id();
        for handle in self.readers.drain(..) {
            // A callback holding the last handle runs this drop on the
            // store's own thread, which stops by itself once its queue is empty.
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
    }
}

/// The connection settings of `options.url`, named `baton` in
/// `pg_stat_activity` unless the URL names the application itself.
fn connect_config(options: &PostgresOptions) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = options.url.parse().map_err(|e| {
        StoreError::Io(format!(
            "{} is not a PostgreSQL URL or connection string: {e}",
            redact(&options.url)
        ))
    })?;
    if config.get_application_name().is_none() {
        config.application_name("baton");
    }
    Ok(config)
}

fn cannot_connect(options: &PostgresOptions, e: postgres::Error) -> StoreError {
    StoreError::Io(format!(
        "cannot connect to PostgreSQL at {}: {e}",
        redact(&options.url)
    ))
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A string literal for a simple (parameterless) query. With
/// `standard_conforming_strings` (on since PostgreSQL 9.1) doubling quotes
/// is all escaping needs; a NUL cannot be sent at all, so it is dropped.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\0', "").replace('\'', "''"))
}

fn quote_identifier(name: &str) -> Result<String, StoreError> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return Err(StoreError::Io(format!(
            "schema name {name:?} must be 1-63 lowercase letters, digits or '_', not starting with a digit"
        )));
    }
    Ok(format!("\"{name}\""))
}

fn migrate(conn: &mut Conn) -> Result<(), StoreError> {
    conn.batch("BEGIN")?;
    let result = (|| {
        conn.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        conn.batch("CREATE TABLE IF NOT EXISTS baton_schema (version BIGINT NOT NULL)")?;
        let rows = conn.query("SELECT version FROM baton_schema", &[])?;
        let current = match rows.first() {
            Some(row) => get::<i64>(row, 0)?,
            None => {
                conn.execute("INSERT INTO baton_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        let latest = MIGRATIONS.len();
        let current = usize::try_from(current)
            .map_err(|_| StoreError::Corrupt(format!("negative schema version {current}")))?;
        if current > latest {
            return Err(StoreError::Corrupt(format!(
                "schema version {current} is newer than this build knows ({latest})"
            )));
        }
        for script in &MIGRATIONS[current..] {
            conn.batch(script)?;
        }
        conn.execute("UPDATE baton_schema SET version = $1", &[&(latest as i64)])?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.batch("COMMIT"),
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Registers this node (a new incarnation of it, if it ran before).
/// Bumping the incarnation waits for the previous incarnation's commit in
/// flight, if any, and fences it from then on.
fn register(conn: &mut Conn, id: Option<&str>) -> Result<Node, StoreError> {
    let sql = format!(
        "INSERT INTO nodes (id, incarnation, url, heartbeat, fenced)
         VALUES (COALESCE($1, gen_random_uuid()::TEXT), 1, '', {NOW_MS}, FALSE)
         ON CONFLICT (id) DO UPDATE SET incarnation = nodes.incarnation + 1,
            heartbeat = EXCLUDED.heartbeat, fenced = FALSE
         RETURNING id, incarnation"
    );
    let rows = conn.query(&sql, &[&id])?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Io("registering the node returned nothing".into()))?;
    Ok(Node {
        id: get(row, 0)?,
        incarnation: get(row, 1)?,
    })
}

/// Maps PostgreSQL failures onto the contract's errors.
fn db_error(e: postgres::Error) -> StoreError {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict(e.to_string()),
        Some(c) if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED => {
            StoreError::Corrupt(e.to_string())
        }
        _ if e.to_string().contains("error deserializing column") => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Io(e.to_string()),
    }
}

/// Turns a key violation into a `Conflict` that names what collided.
fn conflict_as(e: StoreError, message: impl FnOnce() -> String) -> StoreError {
    match e {
        StoreError::Conflict(_) => StoreError::Conflict(message()),
        other => other,
    }
}

// ---- decoding rows ---------------------------------------------------------

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

impl Columns for Row {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        get(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        get(self, i)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        get(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        get(self, i)
    }
}

fn decode_all<T>(
    rows: Vec<Row>,
    decode: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}

fn decode_first<T>(
    rows: Vec<Row>,
    decode: impl Fn(&Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    rows.first().map(decode).transpose()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// An execution's journal (in order) and event count, in the caller's snapshot.
fn with_journal(c: &mut Conn, record: ExecutionRecord) -> Result<OpenExecution, StoreError> {
    let sql =
        format!("SELECT {JOURNAL_COLUMNS} FROM journal WHERE execution_arn = $1 ORDER BY seq");
    let journal = decode_all(c.query(&sql, &[&record.arn])?, journal_row)?;
    let rows = c.query(
        "SELECT count(*) FROM events WHERE execution_arn = $1",
        &[&record.arn],
    )?;
    let event_count = decode_first(rows, |r| r.u64(0, "event count"))?.unwrap_or(0);
    Ok(OpenExecution {
        record,
        journal,
        event_count,
    })
}

/// Runs `f` in one read-only transaction, so it sees a single snapshot.
fn snapshot<T>(
    c: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    c.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let result = f(c);
    let ended = c.batch("COMMIT");
    let value = result?;
    ended?;
    Ok(value)
}

impl Store for PostgresStore {
    fn put_state_machine(&self, sm: &StateMachineRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutMachine(Box::new(sm.clone())))
    }

    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = $1");
            decode_first(c.query(&sql, &[&arn])?, machine_row)
        })
    }

    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {MACHINE_COLUMNS} FROM state_machines
                 WHERE version IS NULL AND arn > $1 ORDER BY arn LIMIT $2"
            );
            decode_all(c.query(&sql, &[&after, &sql_limit(limit)])?, machine_row)
        })
    }

    fn list_versions(
        &self,
        state_machine_arn: &str,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        let arn = state_machine_arn.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {MACHINE_COLUMNS} FROM state_machines
                 WHERE machine_arn = $1 AND version IS NOT NULL ORDER BY version DESC"
            );
            decode_all(c.query(&sql, &[&arn])?, machine_row)
        })
    }

    fn delete_state_machine(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteMachine(arn.to_owned()))
    }

    fn put_alias(&self, alias: &AliasRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutAlias(alias.clone()))
    }

    fn get_alias(&self, arn: &str) -> Result<Option<AliasRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = $1");
            decode_first(c.query(&sql, &[&arn])?, alias_row)
        })
    }

    fn list_aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>, StoreError> {
        let arn = state_machine_arn.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = $1
                 ORDER BY created DESC, arn"
            );
            decode_all(c.query(&sql, &[&arn])?, alias_row)
        })
    }

    fn delete_alias(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteAlias(arn.to_owned()))
    }

    fn put_activity(&self, activity: &ActivityRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutActivity(activity.clone()))
    }

    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = $1");
            let rows = c.query(&sql, &[&arn])?;
            decode_first(rows, activity_row)
        })
    }

    fn list_activities(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ActivityRecord>, StoreError> {
        let after = after.unwrap_or("").to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn > $1 ORDER BY arn LIMIT $2"
            );
            let rows = c.query(&sql, &[&after, &sql_limit(limit)])?;
            decode_all(rows, activity_row)
        })
    }

    fn delete_activity(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteActivity(arn.to_owned()))
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |c| {
            let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1");
            decode_first(c.query(&sql, &[&arn])?, execution_row)
        })
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionRecord>, StoreError> {
        let filter = filter.clone();
        let after = after.map(str::to_owned);
        self.read(move |c| {
            let mut sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE TRUE");
            let mut texts: Vec<String> = Vec::new();
            let mut equals = |sql: &mut String, column: &str, value: &str| {
                texts.push(value.to_owned());
                sql.push_str(&format!(" AND {column} = ${}", texts.len()));
            };
            if let Some(v) = &filter.state_machine_arn {
                equals(&mut sql, "state_machine_arn", v);
            }
            if let Some(v) = &filter.version_arn {
                equals(&mut sql, "version_arn", v);
            }
            if let Some(v) = &filter.alias_arn {
                equals(&mut sql, "alias_arn", v);
            }
            if let Some(v) = filter.status {
                equals(&mut sql, "status", v.as_str());
            }
            if let Some(v) = &filter.map_run_arn {
                equals(&mut sql, "map_run_arn", v);
            }
            let mut start = None;
            if let Some(cursor) = &after {
                let rows = c.query(
                    "SELECT start_date FROM executions WHERE arn = $1",
                    &[cursor],
                )?;
                // An unknown cursor cannot be placed in the order.
                let Some(date) = decode_first(rows, |r| get::<i64>(r, 0))? else {
                    return Ok(Vec::new());
                };
                start = Some(date);
                texts.push(cursor.clone());
                let (d, a) = (texts.len() + 1, texts.len());
                sql.push_str(&format!(
                    " AND start_date <= ${d} AND (start_date < ${d} OR arn > ${a})"
                ));
            }
            let mut params: Vec<&(dyn ToSql + Sync)> =
                texts.iter().map(|t| t as &(dyn ToSql + Sync)).collect();
            if let Some(date) = &start {
                params.push(date);
            }
            let limit = sql_limit(limit);
            params.push(&limit);
            sql.push_str(&format!(
                " ORDER BY start_date DESC, arn LIMIT ${}",
                params.len()
            ));
            decode_all(c.query(&sql, &params)?, execution_row)
        })
    }

    fn history(
        &self,
        execution_arn: &str,
        cursor: u64,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<HistoryEvent>, StoreError> {
        const COLUMNS: &str = EVENT_COLUMNS;
        let arn = execution_arn.to_owned();
        let limit = sql_limit(limit);
        self.read(move |c| {
            let rows = match (reverse, i64::try_from(cursor)) {
                (false, Ok(after)) => c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM events WHERE execution_arn = $1 AND id > $2
                         ORDER BY id LIMIT $3"
                    ),
                    &[&arn, &after, &limit],
                )?,
                // Stored ids fit an i64, so nothing comes after a larger cursor.
                (false, Err(_)) => return Ok(Vec::new()),
                (true, Ok(before)) => c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM events WHERE execution_arn = $1 AND id < $2
                         ORDER BY id DESC LIMIT $3"
                    ),
                    &[&arn, &before, &limit],
                )?,
                // ... and everything comes before it (`u64::MAX` = newest).
                (true, Err(_)) => c.query(
                    &format!(
                        "SELECT {COLUMNS} FROM events WHERE execution_arn = $1
                         ORDER BY id DESC LIMIT $2"
                    ),
                    &[&arn, &limit],
                )?,
            };
            decode_all(rows, event_row)
        })
    }

    /// This node's running executions only: the others' are theirs, and a
    /// dead node's come through [`Cluster::take_over`].
    fn open_executions(&self) -> Result<Vec<OpenExecution>, StoreError> {
        let me = self.node.id.clone();
        self.read(move |c| {
            snapshot(c, |c| {
                let sql = format!(
                    "SELECT {EXECUTION_COLUMNS} FROM executions
                     WHERE status = 'RUNNING' AND map_run_arn IS NULL AND owner = $1
                     ORDER BY start_date, arn"
                );
                let records = decode_all(c.query(&sql, &[&me])?, execution_row)?;
                records.into_iter().map(|r| with_journal(c, r)).collect()
            })
        })
    }

    fn execution_with_journal(&self, arn: &str) -> Result<Option<OpenExecution>, StoreError> {
        let arn = arn.to_owned();
        self.read(move |c| {
            snapshot(c, |c| {
                let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1");
                let record = decode_first(c.query(&sql, &[&arn])?, execution_row)?;
                record.map(|r| with_journal(c, r)).transpose()
            })
        })
    }

    fn map_run_execution(&self, map_run_arn: &str) -> Result<Option<String>, StoreError> {
        let arn = map_run_arn.to_owned();
        self.read(move |c| {
            let rows = c.query("SELECT execution_arn FROM map_runs WHERE arn = $1", &[&arn])?;
            decode_first(rows, |r| get(r, 0))
        })
    }

    fn map_runs_of(&self, execution_arn: &str) -> Result<Vec<String>, StoreError> {
        let arn = execution_arn.to_owned();
        self.read(move |c| {
            let rows = c.query(
                "SELECT arn FROM map_runs WHERE execution_arn = $1 ORDER BY start_date, ordinal",
                &[&arn],
            )?;
            decode_all(rows, |r| get(r, 0))
        })
    }

    fn commit(&self, batch: Batch, done: CommitDone) {
        match self.writer() {
            Ok(writer) => writer.commit(batch, done),
            Err(e) => call_done(done, Err(e)),
        }
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.writer()?.flush()
    }

    fn cluster(&self) -> Option<&dyn Cluster> {
        Some(self)
    }
}

fn fenced(node: &Node) -> StoreError {
    StoreError::Fenced(format!(
        "node {} (incarnation {}) was declared dead by another node, or restarted elsewhere",
        node.id, node.incarnation
    ))
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Cluster for PostgresStore {
    fn node_id(&self) -> &str {
        &self.node.id
    }

    fn heartbeat(&self, url: &str) -> Result<(), StoreError> {
        let node = self.node.clone();
        let url = url.to_owned();
        self.read(move |c| {
            let sql = format!(
                "UPDATE nodes SET heartbeat = {NOW_MS}, url = $3
                 WHERE id = $1 AND incarnation = $2 AND NOT fenced"
            );
            match c.execute(&sql, &[&node.id, &node.incarnation, &url])? {
                0 => Err(fenced(&node)),
                _ => Ok(()),
            }
        })
    }

    fn take_over(&self, lease: std::time::Duration) -> Result<Vec<OpenExecution>, StoreError> {
        let me = self.node.id.clone();
        let lease = millis(lease);
        self.read(move |c| {
            c.batch("BEGIN")?;
            let claimed = (|| {
                // Fencing a node waits for its commit in flight (it holds a
                // share lock on its row) and stops every later one.
                let sql = format!(
                    "UPDATE nodes SET fenced = TRUE
                     WHERE NOT fenced AND id <> $1 AND heartbeat < {NOW_MS} - $2
                     RETURNING id"
                );
                c.query(&sql, &[&me, &lease])?;
                // The work is shared: each live node takes its share of the
                // orphans per round, the others theirs on their rounds.
                let live = format!(
                    "SELECT count(*) FROM nodes WHERE NOT fenced AND heartbeat >= {NOW_MS} - $1"
                );
                let live = decode_first(c.query(&live, &[&lease])?, |r| get::<i64>(r, 0))?;
                let orphans = format!("SELECT count(*) FROM executions WHERE {ORPHAN}");
                let orphans = decode_first(c.query(&orphans, &[])?, |r| get::<i64>(r, 0))?;
                let (live, orphans) = (live.unwrap_or(1).max(1), orphans.unwrap_or(0));
                if orphans == 0 {
                    return Ok(Vec::new());
                }
                let share = (orphans + live - 1) / live;
                // SKIP LOCKED: two nodes claiming at once take different rows.
                let claim = format!(
                    "UPDATE executions SET owner = $1 WHERE arn IN (
                        SELECT arn FROM executions WHERE {ORPHAN}
                        ORDER BY start_date, arn LIMIT $2 FOR UPDATE SKIP LOCKED)
                     RETURNING arn"
                );
                decode_all(c.query(&claim, &[&me, &share])?, |r| get::<String>(r, 0))
            })();
            let arns = match claimed {
                Ok(arns) => {
                    c.batch("COMMIT")?;
                    arns
                }
                Err(e) => {
                    let _ = c.batch("ROLLBACK");
                    return Err(e);
                }
            };
            if arns.is_empty() {
                return Ok(Vec::new());
            }
            // Read after the commit: everything the fenced node committed
            // is in these journals, and it can add nothing more.
            snapshot(c, |c| {
                let sql = format!(
                    "SELECT {EXECUTION_COLUMNS} FROM executions
                     WHERE arn = ANY($1) AND owner = $2 AND status = 'RUNNING'
                     ORDER BY start_date, arn"
                );
                let records = decode_all(c.query(&sql, &[&arns, &me])?, execution_row)?;
                records.into_iter().map(|r| with_journal(c, r)).collect()
            })
        })
    }

    fn owner_url(&self, execution_arn: &str) -> Result<Option<String>, StoreError> {
        let me = self.node.id.clone();
        let arn = execution_arn.to_owned();
        self.read(move |c| {
            let rows = c.query(
                "SELECT n.url FROM executions e JOIN nodes n ON n.id = e.owner
                 WHERE e.arn = $1 AND e.status = 'RUNNING' AND n.id <> $2 AND NOT n.fenced
                    AND n.url <> ''",
                &[&arn, &me],
            )?;
            decode_first(rows, |r| get(r, 0))
        })
    }

    fn nodes(&self, lease: std::time::Duration) -> Result<Vec<NodeStatus>, StoreError> {
        let lease = millis(lease);
        self.read(move |c| {
            let sql = format!(
                "SELECT n.id, n.url, {NOW_MS} - n.heartbeat, n.fenced,
                    (SELECT count(*) FROM executions e
                     WHERE e.owner = n.id AND e.status = 'RUNNING' AND e.map_run_arn IS NULL)
                 FROM nodes n ORDER BY n.id"
            );
            decode_all(c.query(&sql, &[])?, |r| {
                let silent_for: i64 = get(r, 2)?;
                let fenced: bool = get(r, 3)?;
                Ok(NodeStatus {
                    id: get(r, 0)?,
                    url: get(r, 1)?,
                    silent_for,
                    live: !fenced && silent_for <= lease,
                    fenced,
                    running: r.u64(4, "running count")?,
                })
            })
        })
    }

    fn leave(&self) -> Result<(), StoreError> {
        let node = self.node.clone();
        self.read(move |c| {
            c.execute(
                "UPDATE nodes SET fenced = TRUE WHERE id = $1 AND incarnation = $2",
                &[&node.id, &node.incarnation],
            )
            .map(drop)
        })
    }

    fn peer_urls(&self, lease: std::time::Duration) -> Result<Vec<String>, StoreError> {
        let me = self.node.id.clone();
        let lease = millis(lease);
        self.read(move |c| {
            let sql = format!(
                "SELECT url FROM nodes
                 WHERE id <> $1 AND NOT fenced AND url <> '' AND heartbeat >= {NOW_MS} - $2
                 ORDER BY id"
            );
            decode_all(c.query(&sql, &[&me, &lease])?, |r| get(r, 0))
        })
    }
}

fn reader_loop(mut conn: Conn, queue: Arc<Mutex<Receiver<ReadJob>>>) {
    loop {
        // The lock is held only while waiting for a job, never while running one.
        let job = {
            let queue = queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.recv()
        };
        let Ok(job) = job else { return };
        // A panic (a decoding bug) fails that one read: its caller sees the
        // store closed; the thread and its connection serve the next.
        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut conn)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://baton:s3cret@db:5432/x"),
            "postgres://baton:***@db:5432/x"
        );
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact("host=db user=baton"), "host=db user=baton");
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert_eq!(quote_identifier("baton_1").unwrap(), "\"baton_1\"");
        for bad in ["", "1x", "a-b", "A", "x\"; DROP TABLE y; --"] {
            assert!(quote_identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literals_cannot_break_out() {
        assert_eq!(quote_literal("node-1"), "'node-1'");
        assert_eq!(
            quote_literal("o'; DROP TABLE x; --"),
            "'o''; DROP TABLE x; --'"
        );
    }
}
