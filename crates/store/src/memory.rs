//! [`MemoryStore`]: everything in RAM behind one lock. For tests and
//! `--in-memory`; nothing survives the process, so `commit` is "durable" as
//! soon as it is applied and calls `done` right away.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use asl::HistoryEvent;

use crate::records::*;
use crate::shared::missing;
use crate::{Batch, CommitDone, Store, StoreError};

/// An in-memory [`Store`]. Same semantics as [`crate::SqliteStore`] (the
/// shared behaviour tests run against both), minus persistence.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Machines and versions by ARN; a version's ARN is its machine's plus `:N`.
    machines: BTreeMap<String, StateMachineRecord>,
    activities: BTreeMap<String, ActivityRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    executions: HashMap<String, Execution>,
    /// Map Run ARN → the execution that started it.
    map_runs: HashMap<String, String>,
    /// Listing order of executions: newest `start_date` first, then ARN.
    /// `start_date` never changes after creation, so the key is stable.
    by_start: BTreeSet<(Reverse<asl::Millis>, String)>,
    /// Closed executions in the order they closed, for the retention limit.
    closed: std::collections::VecDeque<String>,
    /// Keep at most this many closed executions (`None`: keep all). Without
    /// a limit a long-running `--in-memory` server grows by every execution.
    retention: Option<usize>,
}

struct Execution {
    record: ExecutionRecord,
    events: BTreeMap<u64, HistoryEvent>,
    journal: BTreeMap<u64, JournalEntry>,
}

/// How to take back one applied [`Write`] when a later write of the same
/// batch fails: batches are all-or-nothing.
enum Undo {
    Created(String),
    Events(String, Vec<u64>),
    Journal(String, u64),
    Closed(Box<ExecutionRecord>),
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store that forgets the oldest closed executions (record, history and
    /// journal) beyond `max_closed`, so memory stays bounded under sustained
    /// load. Running executions are never dropped.
    pub fn with_retention(max_closed: usize) -> MemoryStore {
        let store = MemoryStore::default();
        store.lock().retention = Some(max_closed);
        store
    }

    /// A panic while the lock was held cannot leave a batch half-applied (the
    /// undo log runs before any early return, and nothing in `apply` panics),
    /// so a poisoned lock still guards consistent data.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// The machine a record belongs to: itself, or for a version its ARN without
/// the trailing `:N` (names cannot contain `:`, so this is unambiguous).
pub(crate) fn machine_arn_of(sm: &StateMachineRecord) -> &str {
    match sm.version {
        Some(_) => sm.arn.rsplit_once(':').map_or(&sm.arn[..], |(m, _)| m),
        None => &sm.arn,
    }
}

pub(crate) fn matches_filter(record: &ExecutionRecord, filter: &ExecutionFilter) -> bool {
    filter
        .state_machine_arn
        .as_ref()
        .is_none_or(|a| *a == record.state_machine_arn)
        && filter
            .version_arn
            .as_ref()
            .is_none_or(|a| Some(a) == record.version_arn.as_ref())
        && filter
            .alias_arn
            .as_ref()
            .is_none_or(|a| Some(a) == record.alias_arn.as_ref())
        && filter.status.is_none_or(|s| s == record.status)
        && filter
            .map_run_arn
            .as_ref()
            .is_none_or(|a| Some(a) == record.map_run_arn.as_ref())
}

impl Inner {
    /// Applies `batch` in order; on the first failing write, undoes what was
    /// applied and returns the error.
    fn forget_map_runs<'a>(&mut self, events: impl Iterator<Item = &'a HistoryEvent>) {
        for run in events.filter_map(started_map_run) {
            self.map_runs.remove(&run);
        }
    }

    fn apply(&mut self, batch: Batch) -> Result<(), StoreError> {
        let mut undo = Vec::new();
        let mut closed = Vec::new();
        for write in batch {
            match &write {
                Write::CloseExecution { execution_arn, .. } => closed.push(execution_arn.clone()),
                Write::CreateExecution(r) if r.status != crate::ExecutionStatus::Running => {
                    closed.push(r.arn.clone())
                }
                _ => {}
            }
            if let Err(e) = self.apply_one(write, &mut undo) {
                self.undo(undo);
                return Err(e);
            }
        }
        if let Some(limit) = self.retention {
            self.closed.extend(closed);
            while self.closed.len() > limit {
                if let Some(arn) = self.closed.pop_front()
                    && let Some(exec) = self.executions.remove(&arn)
                {
                    self.forget_map_runs(exec.events.values());
                    self.by_start
                        .remove(&(Reverse(exec.record.start_date), arn));
                }
            }
        }
        Ok(())
    }

    fn apply_one(&mut self, write: Write, undo: &mut Vec<Undo>) -> Result<(), StoreError> {
        match write {
            Write::CreateExecution(record) => {
                if self.executions.contains_key(&record.arn) {
                    return Err(StoreError::Conflict(format!(
                        "execution already exists: {}",
                        record.arn
                    )));
                }
                let arn = record.arn.clone();
                self.by_start
                    .insert((Reverse(record.start_date), arn.clone()));
                self.executions.insert(
                    arn.clone(),
                    Execution {
                        record,
                        events: BTreeMap::new(),
                        journal: BTreeMap::new(),
                    },
                );
                undo.push(Undo::Created(arn));
            }
            Write::AppendEvents {
                execution_arn,
                events,
            } => {
                let exec = self
                    .executions
                    .get_mut(&execution_arn)
                    .ok_or_else(|| missing(&execution_arn))?;
                let mut added = Vec::with_capacity(events.len());
                let mut failed = None;
                for event in events {
                    if exec.events.contains_key(&event.id) {
                        failed = Some(event.id);
                        break;
                    }
                    added.push(event.id);
                    if let Some(run) = started_map_run(&event) {
                        self.map_runs.insert(run, execution_arn.clone());
                    }
                    exec.events.insert(event.id, event);
                }
                // Recorded before checking `failed` so the caller's undo also
                // removes the events this write inserted before the duplicate.
                undo.push(Undo::Events(execution_arn.clone(), added));
                if let Some(id) = failed {
                    return Err(StoreError::Conflict(format!(
                        "event {id} already exists in {execution_arn}"
                    )));
                }
            }
            Write::AppendJournal {
                execution_arn,
                entry,
            } => {
                let exec = self
                    .executions
                    .get_mut(&execution_arn)
                    .ok_or_else(|| missing(&execution_arn))?;
                if exec.journal.contains_key(&entry.seq) {
                    return Err(StoreError::Conflict(format!(
                        "journal entry {} already exists in {execution_arn}",
                        entry.seq
                    )));
                }
                let seq = entry.seq;
                exec.journal.insert(seq, entry);
                undo.push(Undo::Journal(execution_arn, seq));
            }
            Write::CloseExecution {
                execution_arn,
                status,
                output,
                error,
                cause,
                stop_date,
            } => {
                let exec = self
                    .executions
                    .get_mut(&execution_arn)
                    .ok_or_else(|| missing(&execution_arn))?;
                undo.push(Undo::Closed(Box::new(exec.record.clone())));
                let r = &mut exec.record;
                r.status = status;
                r.output = output;
                r.error = error;
                r.cause = cause;
                r.stop_date = Some(stop_date);
            }
            Write::ReopenExecution {
                execution_arn,
                redrive_count,
                redrive_date,
            } => {
                let exec = self
                    .executions
                    .get_mut(&execution_arn)
                    .ok_or_else(|| missing(&execution_arn))?;
                undo.push(Undo::Closed(Box::new(exec.record.clone())));
                let r = &mut exec.record;
                r.status = crate::ExecutionStatus::Running;
                r.output = None;
                r.error = None;
                r.cause = None;
                r.stop_date = None;
                r.redrive_count = redrive_count;
                r.redrive_date = Some(redrive_date);
                // Running again: no longer a candidate for eviction.
                self.closed.retain(|a| a != &execution_arn);
            }
        }
        Ok(())
    }

    fn undo(&mut self, undo: Vec<Undo>) {
        for step in undo.into_iter().rev() {
            match step {
                Undo::Created(arn) => {
                    if let Some(exec) = self.executions.remove(&arn) {
                        self.forget_map_runs(exec.events.values());
                        self.by_start
                            .remove(&(Reverse(exec.record.start_date), arn));
                    }
                }
                Undo::Events(arn, ids) => {
                    if let Some(exec) = self.executions.get_mut(&arn) {
                        let removed: Vec<HistoryEvent> =
                            ids.iter().filter_map(|id| exec.events.remove(id)).collect();
                        self.forget_map_runs(removed.iter());
                    }
                }
                Undo::Journal(arn, seq) => {
                    if let Some(exec) = self.executions.get_mut(&arn) {
                        exec.journal.remove(&seq);
                    }
                }
                Undo::Closed(record) => {
                    if let Some(exec) = self.executions.get_mut(&record.arn) {
                        exec.record = *record;
                    }
                }
            }
        }
    }
}

impl Store for MemoryStore {
    fn put_state_machine(&self, sm: &StateMachineRecord) -> Result<(), StoreError> {
        self.lock().machines.insert(sm.arn.clone(), sm.clone());
        Ok(())
    }

    fn get_state_machine(&self, arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        Ok(self.lock().machines.get(arn).cloned())
    }

    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .machines
            .values()
            .filter(|sm| after.is_none_or(|a| sm.arn.as_str() > a))
            .filter(|sm| sm.version.is_none())
            .take(limit)
            .cloned()
            .collect())
    }

    fn list_versions(
        &self,
        state_machine_arn: &str,
    ) -> Result<Vec<StateMachineRecord>, StoreError> {
        let inner = self.lock();
        let mut versions: Vec<StateMachineRecord> = inner
            .machines
            .values()
            .filter(|sm| sm.version.is_some() && machine_arn_of(sm) == state_machine_arn)
            .cloned()
            .collect();
        versions.sort_by_key(|sm| Reverse(sm.version));
        Ok(versions)
    }

    fn delete_state_machine(&self, arn: &str) -> Result<(), StoreError> {
        self.lock()
            .machines
            .retain(|_, sm| machine_arn_of(sm) != arn && sm.arn != arn);
        Ok(())
    }

    fn put_alias(&self, alias: &AliasRecord) -> Result<(), StoreError> {
        self.lock().aliases.insert(alias.arn.clone(), alias.clone());
        Ok(())
    }

    fn get_alias(&self, arn: &str) -> Result<Option<AliasRecord>, StoreError> {
        Ok(self.lock().aliases.get(arn).cloned())
    }

    fn list_aliases(&self, state_machine_arn: &str) -> Result<Vec<AliasRecord>, StoreError> {
        let mut out: Vec<AliasRecord> = self
            .lock()
            .aliases
            .values()
            .filter(|a| a.state_machine_arn == state_machine_arn)
            .cloned()
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.arn.cmp(&b.arn)));
        Ok(out)
    }

    fn delete_alias(&self, arn: &str) -> Result<(), StoreError> {
        self.lock().aliases.remove(arn);
        Ok(())
    }

    fn put_activity(&self, activity: &ActivityRecord) -> Result<(), StoreError> {
        self.lock()
            .activities
            .insert(activity.arn.clone(), activity.clone());
        Ok(())
    }

    fn get_activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
        Ok(self.lock().activities.get(arn).cloned())
    }

    fn list_activities(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ActivityRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .activities
            .values()
            .filter(|a| after.is_none_or(|after| a.arn.as_str() > after))
            .take(limit)
            .cloned()
            .collect())
    }

    fn delete_activity(&self, arn: &str) -> Result<(), StoreError> {
        self.lock().activities.remove(arn);
        Ok(())
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        Ok(self.lock().executions.get(arn).map(|e| e.record.clone()))
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionRecord>, StoreError> {
        let inner = self.lock();
        let start = match after {
            None => None,
            Some(arn) => match inner.executions.get(arn) {
                Some(e) => Some((Reverse(e.record.start_date), arn.to_owned())),
                // An unknown cursor cannot be placed in the order; SQLite
                // behaves the same (its subquery finds no row).
                None => return Ok(Vec::new()),
            },
        };
        let keys: Box<dyn Iterator<Item = &(Reverse<asl::Millis>, String)>> = match &start {
            None => Box::new(inner.by_start.iter()),
            Some(key) => Box::new(
                inner
                    .by_start
                    .range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded)),
            ),
        };
        Ok(keys
            .filter_map(|(_, arn)| inner.executions.get(arn))
            .map(|e| &e.record)
            .filter(|r| matches_filter(r, filter))
            .take(limit)
            .cloned()
            .collect())
    }

    fn history(
        &self,
        execution_arn: &str,
        cursor: u64,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<HistoryEvent>, StoreError> {
        let inner = self.lock();
        let Some(exec) = inner.executions.get(execution_arn) else {
            return Ok(Vec::new());
        };
        Ok(if reverse {
            exec.events
                .range(..cursor)
                .rev()
                .take(limit)
                .map(|(_, e)| e.clone())
                .collect()
        } else {
            exec.events
                .range((
                    std::ops::Bound::Excluded(cursor),
                    std::ops::Bound::Unbounded,
                ))
                .take(limit)
                .map(|(_, e)| e.clone())
                .collect()
        })
    }

    fn open_executions(&self) -> Result<Vec<OpenExecution>, StoreError> {
        let inner = self.lock();
        let mut open: Vec<OpenExecution> = inner
            .executions
            .values()
            // Map Run children resume with their parent.
            .filter(|e| {
                e.record.status == ExecutionStatus::Running && e.record.map_run_arn.is_none()
            })
            .map(|e| OpenExecution {
                record: e.record.clone(),
                journal: e.journal.values().cloned().collect(),
                event_count: e.events.len() as u64,
            })
            .collect();
        // Deterministic order (oldest first) so restarts resume alike.
        open.sort_by(|a, b| {
            (a.record.start_date, &a.record.arn).cmp(&(b.record.start_date, &b.record.arn))
        });
        Ok(open)
    }

    fn execution_with_journal(&self, arn: &str) -> Result<Option<OpenExecution>, StoreError> {
        let inner = self.lock();
        Ok(inner.executions.get(arn).map(|e| OpenExecution {
            record: e.record.clone(),
            journal: e.journal.values().cloned().collect(),
            event_count: e.events.len() as u64,
        }))
    }

    fn map_run_execution(&self, map_run_arn: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().map_runs.get(map_run_arn).cloned())
    }

    fn map_runs_of(&self, execution_arn: &str) -> Result<Vec<String>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .executions
            .get(execution_arn)
            .map(|e| e.events.values().filter_map(started_map_run).collect())
            .unwrap_or_default())
    }

    fn commit(&self, batch: Batch, done: CommitDone) {
        let result = self.lock().apply(batch);
        // Called after the lock is released: `done` may read the store.
        done(result);
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
