//! [`SqliteStore`]: the embedded default, one SQLite file in WAL mode.
//!
//! # Group commit
//! A disk manages a few hundred fsyncs per second, so one transaction per
//! [`Store::commit`] would cap Baton at a few hundred state transitions per
//! second. Instead every write goes over a channel to one **writer thread**,
//! which takes the first queued job, drains whatever else is already queued
//! (up to [`SqliteOptions::max_group`]), applies all of it in one
//! transaction, commits (one fsync for the whole group) and only then calls
//! each job's `done`. Each batch runs inside its own `SAVEPOINT`, so a batch
//! that fails (say, a duplicate execution ARN) is rolled back alone and only
//! its `done` sees the error; the rest of the group still commits. A batch is
//! never half-applied: either its savepoint is released into a transaction
//! that then commits, or none of it is visible.
//!
//! # Reads
//! Reads use their own connections (a small pool) so they never queue behind
//! the writer; WAL lets them run while it writes. A read started after a
//! `done` returned sees that batch, because `done` only runs after `COMMIT`.
//!
//! # Schema
//! Versioned with `PRAGMA user_version`; [`MIGRATIONS`] holds one script per
//! version, applied in order inside one `BEGIN IMMEDIATE` transaction so two
//! processes opening the same new file cannot both migrate it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use asl::HistoryEvent;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, params, params_from_iter};
use serde_json::Value;

use crate::memory::machine_arn_of;
use crate::records::*;
use crate::rows::*;
use crate::shared::{missing, tags_json, to_i64};
use crate::writer_thread::{Job, Work, WriterThread, call_done, next_group};
use crate::{Batch, CommitDone, Store, StoreError};

/// How a [`SqliteStore`] trades durability for speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// `PRAGMA synchronous = FULL` (the default): a committed batch survives
    /// power loss. `false` selects `NORMAL`, which in WAL mode still survives
    /// a crash of the process but may lose the last commits on power loss.
    pub synchronous_full: bool,
    /// How long a connection waits on a lock held by another connection
    /// (another process using the same file, or a checkpoint) before failing.
    pub busy_timeout: Duration,
    /// At most this many jobs share one transaction, bounding its size and
    /// the latency of the first job in it.
    pub max_group: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous_full: true,
            busy_timeout: Duration::from_secs(5),
            max_group: 1024,
        }
    }
}

/// Schema scripts; `MIGRATIONS[i]` takes `user_version` from `i` to `i + 1`.
/// Append only: a released script is never edited.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    "
    CREATE TABLE IF NOT EXISTS state_machines (
        arn TEXT PRIMARY KEY NOT NULL,
        -- the unqualified machine ARN: the row's own ARN, or for a version
        -- its ARN without the trailing ':N'
        machine_arn TEXT NOT NULL,
        -- NULL for the machine itself
        version INTEGER,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        machine_type TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        revision_id TEXT NOT NULL,
        description TEXT,
        logging_configuration TEXT,
        tracing_configuration TEXT,
        encryption_configuration TEXT,
        -- JSON array of [key, value] pairs
        tags TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS state_machines_by_machine
        ON state_machines (machine_arn, version);

    CREATE TABLE IF NOT EXISTS activities (
        arn TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        tags TEXT NOT NULL
    );

    CREATE TABLE IF NOT EXISTS executions (
        arn TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        state_machine_arn TEXT NOT NULL,
        version_arn TEXT,
        alias_arn TEXT,
        definition TEXT NOT NULL,
        machine_type TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        cause TEXT,
        start_date INTEGER NOT NULL,
        stop_date INTEGER,
        -- the u64 seed's bits, stored as a (possibly negative) i64
        seed INTEGER NOT NULL,
        redrive_count INTEGER NOT NULL,
        trace_header TEXT
    );
    -- Each listing order is served straight from an index (with the ARN
    -- last so keyset pagination can seek to the cursor).
    CREATE INDEX IF NOT EXISTS executions_by_start
        ON executions (start_date DESC, arn);
    CREATE INDEX IF NOT EXISTS executions_by_machine
        ON executions (state_machine_arn, start_date DESC, arn);
    CREATE INDEX IF NOT EXISTS executions_by_status
        ON executions (status, start_date DESC, arn);

    CREATE TABLE IF NOT EXISTS events (
        execution_arn TEXT NOT NULL,
        id INTEGER NOT NULL,
        prev INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        type TEXT NOT NULL,
        -- JSON object text, key order as produced
        details TEXT,
        PRIMARY KEY (execution_arn, id)
    );

    CREATE TABLE IF NOT EXISTS journal (
        execution_arn TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        signal TEXT NOT NULL,
        PRIMARY KEY (execution_arn, seq)
    );
    ",
    // 2: state machine aliases.
    "
    CREATE TABLE IF NOT EXISTS aliases (
        arn TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        state_machine_arn TEXT NOT NULL,
        description TEXT,
        -- JSON array of [version ARN, weight] pairs
        routing TEXT NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS aliases_by_machine ON aliases (state_machine_arn);
    ",
    // 3: RedriveExecution's date.
    "
    ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
    ",
    // 4: Map Runs, indexed from their MapRunStarted events (and backfilled
    // from the events already stored).
    "
    CREATE TABLE IF NOT EXISTS map_runs (
        arn TEXT PRIMARY KEY NOT NULL,
        execution_arn TEXT NOT NULL,
        start_date INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS map_runs_by_execution ON map_runs (execution_arn, start_date);
    INSERT OR IGNORE INTO map_runs (arn, execution_arn, start_date)
        SELECT json_extract(details, '$.mapRunArn'), execution_arn, timestamp FROM events
        WHERE type = 'MapRunStarted' AND json_extract(details, '$.mapRunArn') IS NOT NULL;
    ",
    // 5: Map Run children as executions of their own.
    "
    ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
    CREATE INDEX IF NOT EXISTS executions_by_map_run
        ON executions (map_run_arn, start_date DESC, arn) WHERE map_run_arn IS NOT NULL;
    ",
    // 6: how many items a Map Run child processes (ItemBatcher).
    "
    ALTER TABLE executions ADD COLUMN item_count INTEGER;
    ",
];

/// Read connections kept for reuse; more may be open during a burst of
/// concurrent reads, but only this many are kept afterwards.
const MAX_IDLE_READERS: usize = 8;

/// Room for every distinct statement (listing builds up to 32 variants).
const STATEMENT_CACHE: usize = 96;

/// A [`Store`] in one SQLite file. See the module docs for how commits are
/// grouped.
pub struct SqliteStore {
    path: PathBuf,
    options: SqliteOptions,
    /// Dropped before the readers: every accepted batch is committed first.
    writer: WriterThread,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating it, and its parent directory, if needed) the database
    /// at `path`, bringing its schema up to date.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Io(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let writer = open_connection(path, &options, true)?;
        migrate(&writer)?;
        // One reader now, so a file that is not a database fails here rather
        // than at the first read.
        let reader = open_connection(path, &options, false)?;
        // Checkpoints move WAL pages into the database file on their own
        // thread: inside COMMIT (SQLite's default) they made every group
        // wait for them (10 % of the writer's time, docs/benchmarks.md).
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(db_error)?;
        let checkpoints = open_checkpointer(path, &options)?;
        let (wake, wakeups) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("baton-store-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoints, wakeups))
            .map_err(|e| StoreError::Io(format!("cannot start the checkpoint thread: {e}")))?;
        let max_group = options.max_group;
        let writer = WriterThread::spawn("baton-store-writer", move |queue| {
            writer_loop(writer, queue, max_group, wake)
        })?;
        Ok(SqliteStore {
            path: path.to_owned(),
            options,
            writer,
            readers: Mutex::new(vec![reader]),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_sync(&self, work: Work) -> Result<(), StoreError> {
        self.writer.write_sync(work)
    }

    fn readers(&self) -> MutexGuard<'_, Vec<Connection>> {
        // The pool is a plain Vec; a panic elsewhere cannot corrupt it.
        self.readers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on a pooled read connection.
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers().pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_connection(&self.path, &self.options, false)?,
        };
        let result = f(&conn);
        // A connection left inside a transaction (an error between BEGIN and
        // COMMIT) would pin an old snapshot; drop it instead of reusing it.
        if conn.is_autocommit() {
            let mut pool = self.readers();
            if pool.len() < MAX_IDLE_READERS {
                pool.push(conn);
            }
        }
        result
    }
}

// ---- connections and schema ------------------------------------------------

fn open_connection(
    path: &Path,
    options: &SqliteOptions,
    writer: bool,
) -> Result<Connection, StoreError> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(db_error)?;
    conn.busy_timeout(options.busy_timeout).map_err(db_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if writer {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io(format!(
                "cannot switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        let sync = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(db_error)?;
    } else {
        // Reads only: a bug that writes through a reader fails loudly
        // instead of bypassing group commit.
        conn.pragma_update(None, "query_only", true)
            .map_err(db_error)?;
        // Touch the schema so a file that is not a database fails now.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(db_error)?;
    }
    Ok(conn)
}

fn user_version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_error)?;
    usize::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative schema version {v}")))
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let latest = MIGRATIONS.len();
    if user_version(conn)? == latest {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db_error)?;
    let result = (|| {
        // Read again under the write lock: another process may have just
        // migrated the file.
        let current = user_version(conn)?;
        if current > latest {
            return Err(StoreError::Corrupt(format!(
                "schema version {current} is newer than this build knows ({latest})"
            )));
        }
        for script in &MIGRATIONS[current..] {
            conn.execute_batch(script).map_err(db_error)?;
        }
        conn.pragma_update(None, "user_version", latest as i64)
            .map_err(db_error)
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(db_error),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Maps SQLite failures onto the contract's errors: bad bytes in a column or
/// a damaged file are `Corrupt`, a violated key is `Conflict`, the rest I/O.
fn db_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match &e {
        E::FromSqlConversionFailure(..)
        | E::InvalidColumnType(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(..) => StoreError::Corrupt(e.to_string()),
        E::SqliteFailure(f, _) => match f.code {
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                StoreError::Corrupt(e.to_string())
            }
            ErrorCode::ConstraintViolation => StoreError::Conflict(e.to_string()),
            _ => StoreError::Io(e.to_string()),
        },
        _ => StoreError::Io(e.to_string()),
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(db_error)
}

// ---- the writer thread -----------------------------------------------------

/// A connection that only runs `PRAGMA wal_checkpoint`.
fn open_checkpointer(path: &Path, options: &SqliteOptions) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db_error)?;
    conn.busy_timeout(options.busy_timeout).map_err(db_error)?;
    Ok(conn)
}

/// The least time between two checkpoints: under load the writer commits
/// hundreds of groups a second, and one checkpoint per commit would only
/// compete with it for the disk.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs a PASSIVE checkpoint (it never blocks the writer or readers) after
/// commits, at most every [`CHECKPOINT_EVERY`]; wake-ups that arrive
/// meanwhile are coalesced. Ends when the writer does.
fn checkpoint_loop(conn: Connection, wakeups: Receiver<()>) {
    while wakeups.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        while wakeups.try_recv().is_ok() {}
        // A failure (e.g. SQLITE_BUSY) only leaves the WAL longer for the
        // next round; nothing is lost.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

fn writer_loop(
    conn: Connection,
    queue: Receiver<Job>,
    max_group: usize,
    checkpoint: mpsc::SyncSender<()>,
) {
    let mut group = Vec::with_capacity(max_group.min(1024));
    // Ends once the store is dropped *and* the queue is empty, so
    // everything accepted is still committed on shutdown.
    while next_group(&queue, max_group, &mut group) {
        run_group(&conn, group.drain(..));
        // Full means a checkpoint is already due.
        let _ = checkpoint.try_send(());
    }
}

/// Applies a group of jobs in one transaction, then reports to each.
fn run_group(conn: &Connection, group: impl Iterator<Item = Job>) {
    let mut outcomes: Vec<(CommitDone, Result<(), StoreError>)> = Vec::new();
    let begun = exec(conn, "BEGIN IMMEDIATE");
    // Set when the transaction as a whole is lost: nothing of the group may
    // then be applied (SQLite would run later statements in autocommit mode,
    // making each of them durable on its own).
    let mut fatal = begun.err();
    for job in group {
        match job {
            Job::Flush(done) => outcomes.push((done, Ok(()))),
            Job::Apply(work, done) => {
                if fatal.is_some() {
                    outcomes.push((done, Ok(())));
                    continue;
                }
                match apply_in_savepoint(conn, &work) {
                    Ok(result) => outcomes.push((done, result)),
                    Err(e) => {
                        fatal = Some(e);
                        outcomes.push((done, Ok(())));
                    }
                }
            }
        }
    }
    let committed = match fatal {
        Some(e) => Err(e),
        None => exec(conn, "COMMIT"),
    };
    if let Err(e) = committed {
        if !conn.is_autocommit() {
            let _ = exec(conn, "ROLLBACK");
        }
        for (done, _) in outcomes {
            call_done(done, Err(e.clone()));
        }
        return;
    }
    for (done, result) in outcomes {
        call_done(done, result);
    }
}

/// Runs `work` in a savepoint: `Ok(Ok)` applied, `Ok(Err)` rolled back alone
/// (the group goes on), `Err` the whole transaction is lost.
fn apply_in_savepoint(
    conn: &Connection,
    work: &Work,
) -> Result<Result<(), StoreError>, StoreError> {
    exec(conn, "SAVEPOINT batch")?;
    match apply_work(conn, work) {
        Ok(()) => {
            exec(conn, "RELEASE batch")?;
            Ok(Ok(()))
        }
        Err(e) => {
            // Some errors (I/O, disk full) make SQLite roll back the whole
            // transaction by itself; then there is no savepoint to return to.
            if conn.is_autocommit() {
                return Err(e);
            }
            exec(conn, "ROLLBACK TO batch")?;
            exec(conn, "RELEASE batch")?;
            Ok(Err(e))
        }
    }
}

fn apply_work(conn: &Connection, work: &Work) -> Result<(), StoreError> {
    match work {
        Work::Batch(batch) => {
            for write in batch {
                apply_write(conn, write)?;
            }
            Ok(())
        }
        Work::PutMachine(sm) => put_machine(conn, sm),
        Work::DeleteMachine(arn) => conn
            .prepare_cached("DELETE FROM state_machines WHERE machine_arn = ?1 OR arn = ?1")
            .and_then(|mut s| s.execute([arn]))
            .map(|_| ())
            .map_err(db_error),
        Work::PutActivity(a) => conn
            .prepare_cached(
                "INSERT OR REPLACE INTO activities (arn, name, created, tags)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![a.arn, a.name, a.created, tags_json(&a.tags)]))
            .map(|_| ())
            .map_err(db_error),
        Work::DeleteActivity(arn) => conn
            .prepare_cached("DELETE FROM activities WHERE arn = ?1")
            .and_then(|mut s| s.execute([arn]))
            .map(|_| ())
            .map_err(db_error),
        Work::PutAlias(a) => {
            let routing =
                serde_json::to_string(&a.routing).map_err(|e| StoreError::Io(e.to_string()))?;
            conn.prepare_cached(
                "INSERT OR REPLACE INTO aliases
                 (arn, name, state_machine_arn, description, routing, created, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.arn,
                    a.name,
                    a.state_machine_arn,
                    a.description,
                    routing,
                    a.created,
                    a.updated
                ])
            })
            .map(|_| ())
            .map_err(db_error)
        }
        Work::DeleteAlias(arn) => conn
            .prepare_cached("DELETE FROM aliases WHERE arn = ?1")
            .and_then(|mut s| s.execute([arn]))
            .map(|_| ())
            .map_err(db_error),
    }
}

fn put_machine(conn: &Connection, sm: &StateMachineRecord) -> Result<(), StoreError> {
    let version = sm
        .version
        .map(|v| to_i64(v, "version number"))
        .transpose()?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO state_machines (arn, machine_arn, version, name,
                definition, role_arn, machine_type, created, updated, revision_id,
                description, logging_configuration, tracing_configuration,
                encryption_configuration, tags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .map_err(db_error)?;
    stmt.execute(params![
        sm.arn,
        machine_arn_of(sm),
        version,
        sm.name,
        sm.definition,
        sm.role_arn,
        sm.machine_type.as_str(),
        sm.created,
        sm.updated,
        sm.revision_id,
        sm.description,
        sm.logging_configuration.as_ref().map(Value::to_string),
        sm.tracing_configuration.as_ref().map(Value::to_string),
        sm.encryption_configuration.as_ref().map(Value::to_string),
        tags_json(&sm.tags),
    ])
    .map_err(db_error)?;
    Ok(())
}

fn execution_exists(conn: &Connection, arn: &str) -> Result<bool, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT 1 FROM executions WHERE arn = ?1")
        .map_err(db_error)?;
    stmt.exists([arn]).map_err(db_error)
}

/// Turns a key violation into a `Conflict` that names what collided.
fn conflict_as(e: rusqlite::Error, message: impl FnOnce() -> String) -> StoreError {
    match db_error(e) {
        StoreError::Conflict(_) => StoreError::Conflict(message()),
        other => other,
    }
}

fn apply_write(conn: &Connection, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::CreateExecution(r) => {
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO executions (arn, name, state_machine_arn, version_arn,
                        alias_arn, definition, machine_type, role_arn, status, input, output,
                        error, cause, start_date, stop_date, seed, redrive_count, trace_header,
                        redrive_date, map_run_arn, item_count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                        ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                )
                .map_err(db_error)?;
            stmt.execute(params![
                r.arn,
                r.name,
                r.state_machine_arn,
                r.version_arn,
                r.alias_arn,
                r.definition,
                r.machine_type.as_str(),
                r.role_arn,
                r.status.as_str(),
                r.input,
                r.output,
                r.error,
                r.cause,
                r.start_date,
                r.stop_date,
                r.seed as i64,
                r.redrive_count,
                r.trace_header,
                r.redrive_date,
                r.map_run_arn,
                r.item_count.map(|n| n as i64),
            ])
            .map_err(|e| conflict_as(e, || format!("execution already exists: {}", r.arn)))?;
        }
        Write::AppendEvents {
            execution_arn,
            events,
        } => {
            if !execution_exists(conn, execution_arn)? {
                return Err(missing(execution_arn));
            }
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO events (execution_arn, id, prev, timestamp, type, details)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(db_error)?;
            for ev in events {
                if let Some(run) = started_map_run(ev) {
                    conn.prepare_cached(
                        "INSERT INTO map_runs (arn, execution_arn, start_date) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(db_error)?
                    .execute(params![run, execution_arn, ev.timestamp])
                    .map_err(|e| conflict_as(e, || format!("Map Run already exists: {run}")))?;
                }
                // NULL for events without details, as before the typed form.
                let details = (!ev.details.is_none()).then(|| ev.details.to_json());
                stmt.execute(params![
                    execution_arn,
                    to_i64(ev.id, "event id")?,
                    to_i64(ev.previous_event_id, "previous event id")?,
                    ev.timestamp,
                    ev.event_type.as_str(),
                    details,
                ])
                .map_err(|e| {
                    conflict_as(e, || {
                        format!("event {} already exists in {execution_arn}", ev.id)
                    })
                })?;
            }
        }
        Write::AppendJournal {
            execution_arn,
            entry,
        } => {
            if !execution_exists(conn, execution_arn)? {
                return Err(missing(execution_arn));
            }
            let mut stmt = conn
                .prepare_cached(
                    "INSERT INTO journal (execution_arn, seq, at, signal) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db_error)?;
            stmt.execute(params![
                execution_arn,
                to_i64(entry.seq, "journal seq")?,
                entry.at,
                entry.signal
            ])
            .map_err(|e| {
                conflict_as(e, || {
                    format!(
                        "journal entry {} already exists in {execution_arn}",
                        entry.seq
                    )
                })
            })?;
        }
        Write::ReopenExecution {
            execution_arn,
            redrive_count,
            redrive_date,
        } => {
            let changed = conn
                .prepare_cached(
                    "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL,
                        cause = NULL, stop_date = NULL, redrive_count = ?2, redrive_date = ?3
                     WHERE arn = ?1",
                )
                .map_err(db_error)?
                .execute(params![execution_arn, redrive_count, redrive_date])
                .map_err(db_error)?;
            if changed == 0 {
                return Err(missing(execution_arn));
            }
        }
        Write::CloseExecution {
            execution_arn,
            status,
            output,
            error,
            cause,
            stop_date,
        } => {
            let mut stmt = conn
                .prepare_cached(
                    "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5,
                        stop_date = ?6 WHERE arn = ?1",
                )
                .map_err(db_error)?;
            let changed = stmt
                .execute(params![
                    execution_arn,
                    status.as_str(),
                    output,
                    error,
                    cause,
                    stop_date
                ])
                .map_err(db_error)?;
            if changed == 0 {
                return Err(missing(execution_arn));
            }
        }
    }
    Ok(())
}

// ---- decoding rows ---------------------------------------------------------

fn col<T: rusqlite::types::FromSql>(row: &Row<'_>, i: usize) -> Result<T, StoreError> {
    row.get(i).map_err(db_error)
}

impl Columns for Row<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        col(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        col(self, i)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        col(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        col(self, i)
    }
}

/// An execution's journal (in order) and event count, read in the caller's snapshot.
fn with_journal(c: &Connection, record: ExecutionRecord) -> Result<OpenExecution, StoreError> {
    let journal = query_all(
        c,
        &format!("SELECT {JOURNAL_COLUMNS} FROM journal WHERE execution_arn = ?1 ORDER BY seq"),
        [&record.arn],
        |r| journal_row(r),
    )?;
    let event_count = query_one(
        c,
        "SELECT count(*) FROM events WHERE execution_arn = ?1",
        [&record.arn],
        |r| r.u64(0, "event count"),
    )?
    .unwrap_or(0);
    Ok(OpenExecution {
        record,
        journal,
        event_count,
    })
}

/// Runs a cached query and decodes every row.
fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

fn query_one<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    decode: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query(params).map_err(db_error)?;
    rows.next().map_err(db_error)?.map(decode).transpose()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Runs `f` in one read transaction, so it sees a single snapshot.
fn snapshot<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    exec(conn, "BEGIN")?;
    let result = f();
    // Ending a read transaction cannot lose data; if it fails the pool
    // drops the connection (it is not in autocommit mode).
    let ended = exec(conn, "COMMIT");
    let value = result?;
    ended?;
    Ok(value)
}

impl Store for SqliteStore {
    fn put_state_machine(&self, sm: &StateMachineRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutMachine(Box::new(sm.clone())))
    }

    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        self.read(|c| {
            query_one(
                c,
                &format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1"),
                [arn],
                |r| machine_row(r),
            )
        })
    }

    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        self.read(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {MACHINE_COLUMNS} FROM state_machines
                     WHERE version IS NULL AND arn > ?1 ORDER BY arn LIMIT ?2"
                ),
                params![after.unwrap_or(""), sql_limit(limit)],
                |r| machine_row(r),
            )
        })
    }

    fn list_versions(
        &self,
        state_machine_arn: &str,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        self.read(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {MACHINE_COLUMNS} FROM state_machines
                     WHERE machine_arn = ?1 AND version IS NOT NULL ORDER BY version DESC"
                ),
                [state_machine_arn],
                |r| machine_row(r),
            )
        })
    }

    fn delete_state_machine(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteMachine(arn.to_owned()))
    }

    fn put_activity(&self, activity: &ActivityRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutActivity(activity.clone()))
    }

    fn put_alias(&self, alias: &AliasRecord) -> Result<(), StoreError> {
        self.write_sync(Work::PutAlias(alias.clone()))
    }

    fn get_alias(&self, arn: &str) -> Result<Option<AliasRecord>, StoreError> {
        self.read(|c| {
            query_one(
                c,
                &format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = ?1"),
                [arn],
                |r| alias_row(r),
            )
        })
    }

    fn list_aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>, StoreError> {
        self.read(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = ?1
                     ORDER BY created DESC, arn"
                ),
                [state_machine_arn],
                |r| alias_row(r),
            )
        })
    }

    fn delete_alias(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteAlias(arn.to_owned()))
    }

    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
        self.read(|c| {
            query_one(
                c,
                &format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = ?1"),
                [arn],
                |r| activity_row(r),
            )
        })
    }

    fn list_activities(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ActivityRecord>, StoreError> {
        self.read(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {ACTIVITY_COLUMNS} FROM activities
                     WHERE arn > ?1 ORDER BY arn LIMIT ?2"
                ),
                params![after.unwrap_or(""), sql_limit(limit)],
                |r| activity_row(r),
            )
        })
    }

    fn delete_activity(&self, arn: &str) -> Result<(), StoreError> {
        self.write_sync(Work::DeleteActivity(arn.to_owned()))
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        self.read(|c| {
            query_one(
                c,
                &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"),
                [arn],
                |r| execution_row(r),
            )
        })
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionRecord>, StoreError> {
        self.read(|c| {
            let mut sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE 1");
            let mut args: Vec<SqlValue> = Vec::new();
            let mut text = |sql: &mut String, clause: &str, value: &str| {
                args.push(SqlValue::Text(value.to_owned()));
                sql.push_str(&format!(" AND {clause} = ?{}", args.len()));
            };
            if let Some(v) = &filter.state_machine_arn {
                text(&mut sql, "state_machine_arn", v);
            }
            if let Some(v) = &filter.version_arn {
                text(&mut sql, "version_arn", v);
            }
            if let Some(v) = &filter.alias_arn {
                text(&mut sql, "alias_arn", v);
            }
            if let Some(v) = filter.status {
                text(&mut sql, "status", v.as_str());
            }
            if let Some(v) = &filter.map_run_arn {
                text(&mut sql, "map_run_arn", v);
            }
            if let Some(cursor) = after {
                let start: Option<i64> = query_one(
                    c,
                    "SELECT start_date FROM executions WHERE arn = ?1",
                    [cursor],
                    |r| col(r, 0),
                )?;
                // An unknown cursor cannot be placed in the order.
                let Some(start) = start else {
                    return Ok(Vec::new());
                };
                args.push(SqlValue::Integer(start));
                args.push(SqlValue::Text(cursor.to_owned()));
                let (d, a) = (args.len() - 1, args.len());
                // `start_date <= ?` alone lets SQLite seek in the index; the
                // second term then skips the cursor's ties up to and
                // including the cursor itself.
                sql.push_str(&format!(
                    " AND start_date <= ?{d} AND (start_date < ?{d} OR arn > ?{a})"
                ));
            }
            args.push(SqlValue::Integer(sql_limit(limit)));
            sql.push_str(&format!(
                " ORDER BY start_date DESC, arn LIMIT ?{}",
                args.len()
            ));
            query_all(c, &sql, params_from_iter(args), |r| execution_row(r))
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
        let limit = sql_limit(limit);
        self.read(|c| match (reverse, i64::try_from(cursor)) {
            (false, Ok(after)) => query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE execution_arn = ?1 AND id > ?2
                     ORDER BY id LIMIT ?3"
                ),
                params![execution_arn, after, limit],
                |r| event_row(r),
            ),
            // Stored ids fit an i64, so nothing comes after a larger cursor.
            (false, Err(_)) => Ok(Vec::new()),
            (true, Ok(before)) => query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE execution_arn = ?1 AND id < ?2
                     ORDER BY id DESC LIMIT ?3"
                ),
                params![execution_arn, before, limit],
                |r| event_row(r),
            ),
            // ... and everything comes before it (`u64::MAX` = newest).
            (true, Err(_)) => query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE execution_arn = ?1
                     ORDER BY id DESC LIMIT ?2"
                ),
                params![execution_arn, limit],
                |r| event_row(r),
            ),
        })
    }

    fn open_executions(&self) -> Result<Vec<OpenExecution>, StoreError> {
        self.read(|c| {
            snapshot(c, || {
                let records = query_all(
                    c,
                    &format!(
                        "SELECT {EXECUTION_COLUMNS} FROM executions
                         WHERE status = 'RUNNING' AND map_run_arn IS NULL
                         ORDER BY start_date, arn"
                    ),
                    [],
                    |r| execution_row(r),
                )?;
                records
                    .into_iter()
                    .map(|record| with_journal(c, record))
                    .collect()
            })
        })
    }

    fn execution_with_journal(&self, arn: &str) -> Result<Option<OpenExecution>, StoreError> {
        self.read(|c| {
            snapshot(c, || {
                let record = query_one(
                    c,
                    &format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1"),
                    [arn],
                    |r| execution_row(r),
                )?;
                record.map(|r| with_journal(c, r)).transpose()
            })
        })
    }

    fn map_run_execution(&self, map_run_arn: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            query_one(
                c,
                "SELECT execution_arn FROM map_runs WHERE arn = ?1",
                [map_run_arn],
                |r| r.get(0).map_err(db_error),
            )
        })
    }

    fn map_runs_of(&self, execution_arn: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT arn FROM map_runs WHERE execution_arn = ?1 ORDER BY start_date, rowid",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([execution_arn], |r| r.get(0))
                .map_err(db_error)?;
            rows.collect::<Result<Vec<String>, _>>().map_err(db_error)
        })
    }

    fn commit(&self, batch: Batch, done: CommitDone) {
        self.writer.commit(batch, done);
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.writer.flush()
    }
}
