//! The durable runtime behind `baton serve`.
//!
//! Every running Standard execution lives in memory as an
//! [`asl::Execution`] guarded by its own lock, and on disk as its history and
//! its **journal** (the signals it was fed, with their times). One signal is
//! handled at a time per execution: apply it to the interpreter, commit the
//! journal entry and the new events in one batch, wait until the store says
//! the batch is durable, and only then carry out the effects (arm timers,
//! dispatch tasks). So a history event is always stored before its effect is
//! visible, and after a crash replaying the journal rebuilds exactly the
//! state that was acknowledged.
//!
//! Express executions run in memory only (at-least-once, as on AWS).

mod clock;
mod cluster;
mod codec;
mod error;
mod map_runs;
mod nested;

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asl::{Effect, Execution, ExecutionInfo, Machine, Millis, Signal, Status, TaskId, TaskRequest};
use serde_json::Value;
use store::{
    Batch, ExecutionRecord, ExecutionStatus, JournalEntry, MachineType, OpenExecution, Store, Write,
};
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;

pub use clock::EngineClock;
pub use error::EngineError;

use crate::local::TaskResult;

/// Largest execution input or task output Step Functions accepts.
const MAX_PAYLOAD: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub region: String,
    pub account: String,
    /// 1.0 = real time; 60.0 = a minute of execution time per real second.
    pub time_scale: f64,
    /// Virtual time: the clock stands still while work is in flight and jumps
    /// to the next due timer when the engine is idle (tests, `--clock virtual`).
    pub virtual_clock: bool,
    /// On a store several nodes share: the URL the other nodes reach this
    /// one at (they forward requests for its executions there).
    pub node_url: String,
    /// On a shared store: how long a node may stay silent before another
    /// takes its executions over. Heartbeats go out every quarter of it (at
    /// most every 2 s).
    pub node_lease: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            time_scale: 1.0,
            virtual_clock: false,
            node_url: String::new(),
            node_lease: Duration::from_secs(10),
        }
    }
}

/// Carries out Task states whose resource the engine does not handle itself
/// (Lambda, DynamoDB, SNS… as the local services arrive). Activities,
/// `.waitForTaskToken` callbacks and their tokens are the engine's own.
pub trait TaskDispatcher: Send + Sync + 'static {
    fn invoke(&self, request: TaskRequest) -> Pin<Box<dyn Future<Output = TaskResult> + Send>>;
}

/// The dispatcher used when nothing else is plugged in: every integration
/// fails the task with a message naming the resource.
pub struct NoIntegrations;

impl TaskDispatcher for NoIntegrations {
    fn invoke(&self, request: TaskRequest) -> Pin<Box<dyn Future<Output = TaskResult> + Send>> {
        Box::pin(async move {
            TaskResult::Failed {
                error: Some("States.TaskFailed".into()),
                cause: Some(format!(
                    "Baton has no local implementation of the resource '{}' yet.",
                    request.resource
                )),
            }
        })
    }
}

pub struct StartRequest {
    pub state_machine_arn: String,
    pub name: Option<String>,
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub start_date: Millis,
    pub stop_date: Millis,
    /// SUCCEEDED | FAILED | TIMED_OUT
    pub status: &'static str,
    pub input: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// The Step Functions runtime: cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: EngineConfig,
    clock: EngineClock,
    dispatcher: Arc<dyn TaskDispatcher>,
    live: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Live>>>>,
    /// Task token → (execution, task).
    tokens: Mutex<HashMap<String, (String, TaskId)>>,
    /// Activity ARN → tasks waiting for a worker.
    activities: Mutex<HashMap<String, ActivityQueue>>,
    /// Compiled machines by definition text.
    machines: Mutex<HashMap<String, Arc<Machine>>>,
    /// Virtual clock only: armed timers by due time.
    virtual_timers: Mutex<std::collections::BTreeSet<(Millis, String, u64)>>,
    /// Signals being applied and tasks being carried out: the virtual clock
    /// moves only when this is zero.
    busy: std::sync::atomic::AtomicUsize,
    /// RedriveExecution's `clientToken`s: (execution, token) → redrive date.
    redrive_tokens: Mutex<HashMap<(String, String), Millis>>,
    /// Map Runs of closed executions, rebuilt by a replay once: they change
    /// only if the execution is redriven, which drops its entry.
    closed_map_runs: Mutex<HashMap<String, ClosedMapRuns>>,
    /// Set once other nodes fenced this one (see `cluster`).
    fenced: tokio::sync::watch::Sender<Option<String>>,
}

/// A closed execution's Map Runs, with the redrive count they were read at
/// (another node's redrive changes it).
type ClosedMapRuns = (u32, Arc<Vec<asl::MapRun>>);

/// Counts one unit of in-flight work while alive.
struct Busy<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Busy<'a> {
    fn new(counter: &'a std::sync::atomic::AtomicUsize) -> Busy<'a> {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Busy(counter)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// An armed timer: a sleeping task (real clock) or an entry in the virtual
/// timer queue.
enum TimerHandle {
    Real(AbortHandle),
    Virtual(Millis),
}

#[derive(Default)]
struct ActivityQueue {
    waiting: VecDeque<ActivityTask>,
    notify: Arc<Notify>,
}

struct ActivityTask {
    execution_arn: String,
    task: TaskId,
    token: String,
    input: String,
}

struct Live {
    exec: Execution,
    record: ExecutionRecord,
    /// Last journal sequence number used.
    seq: u64,
    timers: HashMap<u64, TimerHandle>,
    /// Task tokens this execution handed out (dropped when it closes).
    tokens: Vec<String>,
    /// StartSyncExecution callers waiting for the end.
    waiters: Vec<oneshot::Sender<Status>>,
    closed: bool,
}

impl Engine {
    /// Opens the engine on `store` and resumes every running execution.
    pub async fn open(
        store: Arc<dyn Store>,
        config: EngineConfig,
        dispatcher: Arc<dyn TaskDispatcher>,
    ) -> Result<Engine, EngineError> {
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                clock: if config.virtual_clock {
                    EngineClock::virtual_clock()
                } else {
                    EngineClock::new(config.time_scale)
                },
                config,
                dispatcher,
                live: Mutex::new(HashMap::new()),
                tokens: Mutex::new(HashMap::new()),
                activities: Mutex::new(HashMap::new()),
                machines: Mutex::new(HashMap::new()),
                virtual_timers: Mutex::new(std::collections::BTreeSet::new()),
                busy: std::sync::atomic::AtomicUsize::new(0),
                redrive_tokens: Mutex::new(HashMap::new()),
                closed_map_runs: Mutex::new(HashMap::new()),
                fenced: tokio::sync::watch::Sender::new(None),
            }),
        };
        if engine.inner.clock.is_virtual() {
            tokio::spawn(advance_virtual_clock(Arc::downgrade(&engine.inner)));
        }
        let open = engine.inner.store.open_executions()?;
        for execution in open {
            let arn = execution.record.arn.clone();
            if let Err(e) = engine.resume(execution).await {
                tracing::error!(execution = %arn, error = %e, "cannot resume execution");
            }
        }
        engine.start_cluster_loop();
        Ok(engine)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    /// Number of executions currently held in memory (running ones).
    pub fn running(&self) -> usize {
        lock(&self.inner.live).len()
    }

    /// Finishes pending writes.
    /// Finishes pending writes; on a shared store, then hands this node's
    /// running executions to the other nodes (see `Cluster::leave`).
    pub async fn shutdown(&self) {
        let store = Arc::clone(&self.inner.store);
        let _ = tokio::task::spawn_blocking(move || {
            store.flush()?;
            match store.cluster() {
                Some(cluster) => cluster.leave(),
                None => Ok(()),
            }
        })
        .await;
    }

    // ---- starting -------------------------------------------------------

    pub async fn start_execution(&self, req: StartRequest) -> Result<Started, EngineError> {
        let (started, _) = self.start(req, false).await?;
        Ok(started)
    }

    /// StartSyncExecution: runs an Express execution to its end.
    pub async fn start_sync_execution(
        &self,
        req: StartRequest,
    ) -> Result<SyncOutcome, EngineError> {
        let (started, ended) = self.start(req, true).await?;
        let (record, status) = match ended {
            Ended::Now(record, status) => (record, status),
            Ended::Later(record, rx) => {
                let status = rx
                    .await
                    .map_err(|_| EngineError::Internal("the execution was dropped".into()))?;
                (record, status)
            }
        };
        let stop_date = self.now().max(started.start_date);
        let (status_name, output, error, cause) = match status {
            Status::Succeeded { output } => (
                "SUCCEEDED",
                Some(asl::history::to_json_text(&output)),
                None,
                None,
            ),
            Status::TimedOut(f) => ("TIMED_OUT", None, f.error, f.cause),
            Status::Failed(f) | Status::Aborted(f) => ("FAILED", None, f.error, f.cause),
            Status::Running => ("FAILED", None, None, None),
        };
        Ok(SyncOutcome {
            execution_arn: started.execution_arn,
            state_machine_arn: record.state_machine_arn,
            name: record.name,
            start_date: started.start_date,
            stop_date,
            status: status_name,
            input: record.input,
            output,
            error,
            cause,
        })
    }

    async fn start(&self, req: StartRequest, sync: bool) -> Result<(Started, Ended), EngineError> {
        let inner = &self.inner;
        let _busy = Busy::new(&inner.busy);
        let (machine_arn, qualifier) = split_qualified(&req.state_machine_arn)?;
        let (lookup_arn, alias_arn) = match &qualifier {
            Some(q) if q.chars().all(|c| c.is_ascii_digit()) => {
                (req.state_machine_arn.clone(), None)
            }
            Some(_) => {
                // An alias: route to one of its versions by weight.
                let alias = inner
                    .store
                    .get_alias(&req.state_machine_arn)?
                    .ok_or_else(|| {
                        EngineError::StateMachineDoesNotExist(req.state_machine_arn.clone())
                    })?;
                let roll = (uuid::Uuid::new_v4().as_u64_pair().0 % 100) as u32;
                let mut acc = 0;
                let version = alias
                    .routing
                    .iter()
                    .find(|(_, w)| {
                        acc += w;
                        roll < acc
                    })
                    .or(alias.routing.last())
                    .map(|(v, _)| v.clone())
                    .ok_or_else(|| {
                        EngineError::StateMachineDoesNotExist(req.state_machine_arn.clone())
                    })?;
                (version, Some(alias.arn))
            }
            None => (machine_arn.clone(), None),
        };
        let sm = inner
            .store
            .get_state_machine(&lookup_arn)?
            .ok_or_else(|| EngineError::StateMachineDoesNotExist(req.state_machine_arn.clone()))?;
        let express = sm.machine_type == MachineType::Express;
        if sync && !express {
            return Err(EngineError::StateMachineTypeNotSupported);
        }
        let name = match req.name {
            Some(n) => {
                check_name(&n)?;
                n
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let input_text = req.input.unwrap_or_else(|| "{}".into());
        if input_text.len() > MAX_PAYLOAD {
            return Err(EngineError::InvalidExecutionInput(format!(
                "Input exceeds the maximum size of {MAX_PAYLOAD} bytes"
            )));
        }
        let input: Value = serde_json::from_str(&input_text)
            .map_err(|e| EngineError::InvalidExecutionInput(e.to_string()))?;
        let prefix = format!(
            "arn:aws:states:{}:{}:",
            inner.config.region, inner.config.account
        );
        let execution_arn = if express {
            format!(
                "{prefix}express:{}:{name}:{}",
                sm.name,
                uuid::Uuid::new_v4()
            )
        } else {
            format!("{prefix}execution:{}:{name}", sm.name)
        };
        if !express && let Some(existing) = self.existing(&execution_arn)? {
            // AWS: same name and input while RUNNING → the same execution.
            if existing.status == ExecutionStatus::Running && existing.input == input_text {
                let started = Started {
                    execution_arn,
                    start_date: existing.start_date,
                };
                return Ok((started, Ended::Now(existing, Status::Running)));
            }
            return Err(EngineError::ExecutionAlreadyExists(execution_arn));
        }
        let machine = self.compile(&sm.definition)?;
        let now = self.now();
        let seed = uuid::Uuid::new_v4().as_u64_pair().0;
        let info = ExecutionInfo {
            execution_arn: execution_arn.clone(),
            name: name.clone(),
            state_machine_arn: machine_arn.clone(),
            state_machine_name: sm.name.clone(),
            role_arn: sm.role_arn.clone(),
            region: inner.config.region.clone(),
            start_time: now,
            redrive_count: (!express).then_some(0),
            child_executions: !express,
        };
        let mut record = ExecutionRecord {
            arn: execution_arn.clone(),
            name,
            state_machine_arn: machine_arn,
            version_arn: sm.version.map(|_| sm.arn.clone()),
            alias_arn,
            definition: sm.definition.clone(),
            machine_type: sm.machine_type,
            role_arn: sm.role_arn.clone(),
            status: ExecutionStatus::Running,
            input: input_text,
            output: None,
            error: None,
            cause: None,
            start_date: now,
            stop_date: None,
            seed,
            redrive_count: 0,
            redrive_date: None,
            trace_header: req.trace_header,
            map_run_arn: None,
            item_count: None,
        };
        let mut exec = Execution::start(machine, info, input, seed);
        let mut events = exec.take_events();
        name_version_and_alias(&mut events, &record);
        let effects = exec.take_effects();
        let status = exec.status().clone();
        close_record(&mut record, &status, now);
        // Express executions are not stored. Map Run children first: a store
        // that keeps only the newest closed executions then counts a parent
        // that already ended as the newest.
        let batch = (!express).then(|| {
            let mut batch = map_runs::child_writes(&mut exec, &record);
            batch.extend([
                Write::CreateExecution(record.clone()),
                Write::AppendEvents {
                    execution_arn: execution_arn.clone(),
                    events,
                },
            ]);
            batch
        });
        let started = Started {
            execution_arn: execution_arn.clone(),
            start_date: now,
        };
        if status != Status::Running {
            if let Some(batch) = batch {
                self.commit(batch)
                    .await
                    .map_err(|e| map_conflict(e, &started.execution_arn))?;
            }
            return Ok((started, Ended::Now(record, status)));
        }
        let (tx, rx) = oneshot::channel();
        let live = Arc::new(tokio::sync::Mutex::new(Live {
            exec,
            record: record.clone(),
            seq: 0,
            timers: HashMap::new(),
            tokens: Vec::new(),
            waiters: vec![tx],
            closed: false,
        }));
        let mut guard = live.lock().await;
        {
            let mut map = lock(&inner.live);
            if map.contains_key(&execution_arn) {
                return Err(EngineError::ExecutionAlreadyExists(execution_arn));
            }
            map.insert(execution_arn.clone(), Arc::clone(&live));
        }
        if let Some(batch) = batch {
            let committed = self.commit(batch).await;
            if let Err(e) = committed {
                lock(&inner.live).remove(&execution_arn);
                return Err(map_conflict(e, &execution_arn));
            }
        }
        self.carry_out(&execution_arn, &mut guard, effects, &HashSet::new());
        drop(guard);
        Ok((started, Ended::Later(record, rx)))
    }

    fn existing(&self, arn: &str) -> Result<Option<ExecutionRecord>, EngineError> {
        Ok(self.inner.store.get_execution(arn)?)
    }

    fn compile(&self, definition: &str) -> Result<Arc<Machine>, EngineError> {
        if let Some(m) = lock(&self.inner.machines).get(definition) {
            return Ok(Arc::clone(m));
        }
        let machine = asl::load(definition).map_err(|d| {
            EngineError::Internal(format!(
                "stored definition no longer compiles: {}",
                d.first().map(|d| d.to_string()).unwrap_or_default()
            ))
        })?;
        let machine = Arc::new(machine);
        let mut cache = lock(&self.inner.machines);
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(definition.to_string(), Arc::clone(&machine));
        Ok(machine)
    }

    async fn commit(&self, batch: Batch) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.inner.store.commit(
            batch,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        rx.await
            .map_err(|_| EngineError::Internal("the store stopped".into()))?
            .map_err(EngineError::Store)
    }

    // ---- signals ----------------------------------------------------------

    /// Feeds one signal to a running execution: interpreter step, durable
    /// commit of journal entry + events, then the effects.
    async fn signal(&self, execution_arn: &str, signal: Signal) -> Result<(), EngineError> {
        let _busy = Busy::new(&self.inner.busy);
        let live = lock(&self.inner.live)
            .get(execution_arn)
            .cloned()
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(execution_arn.to_string()))?;
        let mut guard = live.lock().await;
        if guard.closed {
            return Err(EngineError::TaskTimedOut);
        }
        let now = self.now();
        guard.exec.signal(signal.clone(), now);
        guard.seq += 1;
        let events = guard.exec.take_events();
        let effects = guard.exec.take_effects();
        let status = guard.exec.status().clone();
        let Live { exec, record, .. } = &mut *guard;
        let children = map_runs::child_writes(exec, record);
        if guard.record.machine_type == MachineType::Standard {
            let mut batch = vec![Write::AppendJournal {
                execution_arn: execution_arn.to_string(),
                entry: JournalEntry {
                    seq: guard.seq,
                    at: now,
                    signal: codec::encode(&signal),
                },
            }];
            if !events.is_empty() {
                batch.push(Write::AppendEvents {
                    execution_arn: execution_arn.to_string(),
                    events,
                });
            }
            batch.extend(children);
            if status != Status::Running {
                batch.push(close_write(&guard.record, &status, now));
            }
            if let Err(e) = self.commit(batch).await {
                self.unload_and_reload(execution_arn, &mut guard, &e);
                return Err(e);
            }
        }
        let finished_task = match &signal {
            Signal::TaskSucceeded { task, .. } | Signal::TaskFailed { task, .. } => Some(*task),
            _ => None,
        };
        if let Some(task) = finished_task {
            self.forget_task(&mut guard, task);
        }
        self.carry_out(execution_arn, &mut guard, effects, &HashSet::new());
        if status != Status::Running {
            self.close(execution_arn, &mut guard, status, now);
        }
        Ok(())
    }

    fn close(&self, execution_arn: &str, live: &mut Live, status: Status, now: Millis) {
        close_record(&mut live.record, &status, now);
        self.release(execution_arn, live);
        for w in live.waiters.drain(..) {
            let _ = w.send(status.clone());
        }
    }

    /// Takes an execution out of memory: its timers, task tokens and queued
    /// activity tasks go with it.
    fn release(&self, execution_arn: &str, live: &mut Live) {
        live.closed = true;
        for (id, t) in live.timers.drain() {
            self.cancel_timer_handle(execution_arn, id, t);
        }
        {
            let mut tokens = lock(&self.inner.tokens);
            for t in live.tokens.drain(..) {
                tokens.remove(&t);
            }
        }
        {
            let mut activities = lock(&self.inner.activities);
            for q in activities.values_mut() {
                q.waiting.retain(|t| t.execution_arn != execution_arn);
            }
        }
        lock(&self.inner.live).remove(execution_arn);
    }

    /// A step's commit failed: the interpreter in memory is ahead of the
    /// store, and its next steps would be journaled on a state the store
    /// never had. So it is dropped, as a crash would drop it, and rebuilt
    /// from the store in the background (retried while the store is down),
    /// as a restart would rebuild it: the failed step's signal is lost to
    /// the caller, who got an error, and timers and tasks are armed and
    /// dispatched again from the durable state. A fenced node only drops it:
    /// another node runs it now.
    fn unload_and_reload(&self, execution_arn: &str, live: &mut Live, error: &EngineError) {
        tracing::warn!(execution = %execution_arn, %error, "a commit failed: reloading the execution from the store");
        self.release(execution_arn, live);
        if matches!(error, EngineError::Store(store::StoreError::Fenced(_))) {
            return;
        }
        let engine = self.clone();
        let arn = execution_arn.to_string();
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(50);
            loop {
                let loaded = engine.inner.store.execution_with_journal(&arn);
                match loaded {
                    Ok(Some(open)) if open.record.status == ExecutionStatus::Running => {
                        match engine.resume(open).await {
                            Ok(()) => return,
                            Err(e) => {
                                lock(&engine.inner.live).remove(&arn);
                                tracing::warn!(execution = %arn, error = %e, "reload failed; retrying");
                            }
                        }
                    }
                    // Closed (the failed commit had landed after all) or gone.
                    Ok(_) => return,
                    Err(e) => {
                        tracing::warn!(execution = %arn, error = %e, "reload failed; retrying")
                    }
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        });
    }

    fn cancel_timer_handle(&self, execution_arn: &str, id: u64, handle: TimerHandle) {
        match handle {
            TimerHandle::Real(h) => h.abort(),
            TimerHandle::Virtual(due) => {
                lock(&self.inner.virtual_timers).remove(&(due, execution_arn.to_string(), id));
            }
        }
    }

    fn forget_task(&self, live: &mut Live, task: TaskId) {
        let mut tokens = lock(&self.inner.tokens);
        live.tokens.retain(|t| match tokens.get(t) {
            Some((_, id)) if *id == task => {
                tokens.remove(t);
                false
            }
            _ => true,
        });
    }

    /// Carries out effects after their events are durable. `started` lists
    /// tasks a worker already took (on resume they are not queued again).
    fn carry_out(
        &self,
        execution_arn: &str,
        live: &mut Live,
        effects: Vec<Effect>,
        started: &HashSet<TaskId>,
    ) {
        for effect in effects {
            match effect {
                Effect::SetTimer { id, due } if self.inner.clock.is_virtual() => {
                    lock(&self.inner.virtual_timers).insert((due, execution_arn.to_string(), id));
                    live.timers.insert(id, TimerHandle::Virtual(due));
                }
                Effect::SetTimer { id, due } => {
                    let engine = self.clone();
                    let arn = execution_arn.to_string();
                    let delay = self.inner.clock.real_delay_until(due);
                    let handle = tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        if let Err(e) = engine.signal(&arn, Signal::TimerFired(id)).await {
                            tracing::debug!(execution = %arn, error = %e, "timer signal dropped");
                        }
                    });
                    live.timers
                        .insert(id, TimerHandle::Real(handle.abort_handle()));
                }
                Effect::CancelTimer(id) => {
                    if let Some(h) = live.timers.remove(&id) {
                        self.cancel_timer_handle(execution_arn, id, h);
                    }
                }
                Effect::StartTask(req) => {
                    self.dispatch(execution_arn, live, req, started);
                }
                Effect::CancelTask(task) => {
                    self.forget_task(live, task);
                    let mut activities = lock(&self.inner.activities);
                    for q in activities.values_mut() {
                        q.waiting
                            .retain(|t| !(t.execution_arn == execution_arn && t.task == task));
                    }
                }
            }
        }
    }

    fn dispatch(
        &self,
        execution_arn: &str,
        live: &mut Live,
        req: TaskRequest,
        started: &HashSet<TaskId>,
    ) {
        if let Some(token) = &req.task_token {
            lock(&self.inner.tokens).insert(token.clone(), (execution_arn.to_string(), req.id));
            live.tokens.push(token.clone());
        }
        let kind = asl::resource::TaskKind::of(&req.resource);
        if kind == asl::resource::TaskKind::Activity {
            if started.contains(&req.id) {
                return; // a worker holds it; its token stays valid
            }
            let mut activities = lock(&self.inner.activities);
            let q = activities.entry(req.resource.clone()).or_default();
            q.waiting.push_back(ActivityTask {
                execution_arn: execution_arn.to_string(),
                task: req.id,
                token: req.task_token.clone().unwrap_or_default(),
                input: asl::history::to_json_text(&req.parameters),
            });
            q.notify.notify_one();
            return;
        }
        let callback = req.resource.ends_with(".waitForTaskToken");
        if callback && started.contains(&req.id) {
            return; // the request part was already sent; wait for the token
        }
        let engine = self.clone();
        let arn = execution_arn.to_string();
        let dispatcher = Arc::clone(&self.inner.dispatcher);
        // Counted from dispatch until its result has been applied.
        self.inner
            .busy
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(async move {
            let _busy = BusyOwned(Arc::clone(&engine.inner));
            let task = req.id;
            let result = match nested::Pattern::of(&req.resource) {
                Some(pattern) => engine.start_nested(&arn, &req, pattern).await,
                None => dispatcher.invoke(req).await,
            };
            let signal = match (result, callback) {
                (TaskResult::Succeeded(output), true) => Signal::TaskSubmitted { task, output },
                (TaskResult::Succeeded(output), false) => Signal::TaskSucceeded { task, output },
                (TaskResult::Failed { error, cause }, _) => {
                    Signal::TaskFailed { task, error, cause }
                }
                (TaskResult::NoAnswer, _) => return,
            };
            if let Err(e) = engine.signal(&arn, signal).await {
                tracing::debug!(execution = %arn, error = %e, "task result dropped");
            }
        });
    }

    // ---- resuming after a restart ----------------------------------------

    /// Rebuilds an execution's interpreter by replaying its journal, and
    /// works out what it still waits for.
    fn replay(&self, open: &OpenExecution) -> Result<Replayed, EngineError> {
        let OpenExecution {
            record,
            journal,
            event_count,
        } = open;
        let machine = self.compile(&record.definition)?;
        let input: Value = serde_json::from_str(&record.input)
            .map_err(|e| EngineError::Internal(format!("stored input is not JSON: {e}")))?;
        let (machine_arn, _) = split_qualified(&record.state_machine_arn)?;
        let sm_name = machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let info = ExecutionInfo {
            execution_arn: record.arn.clone(),
            name: record.name.clone(),
            state_machine_arn: machine_arn,
            state_machine_name: sm_name,
            role_arn: record.role_arn.clone(),
            region: self.inner.config.region.clone(),
            start_time: record.start_date,
            // Counted up again by the journal's redrive signals.
            redrive_count: Some(0),
            child_executions: true,
        };
        let mut exec = Execution::start(machine, info, input, record.seed);
        // What is still outstanding once the journal has been replayed.
        let mut timers: HashMap<u64, Millis> = HashMap::new();
        let mut tasks: HashMap<TaskId, TaskRequest> = HashMap::new();
        let mut started: HashSet<TaskId> = HashSet::new();
        let track = |effects: Vec<Effect>,
                     timers: &mut HashMap<u64, Millis>,
                     tasks: &mut HashMap<TaskId, TaskRequest>| {
            for e in effects {
                match e {
                    Effect::SetTimer { id, due } => {
                        timers.insert(id, due);
                    }
                    Effect::CancelTimer(id) => {
                        timers.remove(&id);
                    }
                    Effect::StartTask(r) => {
                        tasks.insert(r.id, r);
                    }
                    Effect::CancelTask(id) => {
                        tasks.remove(&id);
                    }
                }
            }
        };
        let mut produced = exec.take_events().len() as u64;
        // Already stored: a replay only rebuilds the interpreter.
        exec.take_child_changes();
        track(exec.take_effects(), &mut timers, &mut tasks);
        let mut seq = 0;
        for entry in journal {
            let signal = codec::decode(&entry.signal).ok_or_else(|| {
                EngineError::Internal(format!("unreadable journal entry {}", entry.seq))
            })?;
            match &signal {
                Signal::TimerFired(id) => {
                    timers.remove(id);
                }
                Signal::TaskSucceeded { task, .. } | Signal::TaskFailed { task, .. } => {
                    tasks.remove(task);
                }
                Signal::TaskStarted { task, .. } | Signal::TaskSubmitted { task, .. } => {
                    started.insert(*task);
                }
                _ => {}
            }
            exec.signal(signal, entry.at);
            produced += exec.take_events().len() as u64;
            exec.take_child_changes();
            track(exec.take_effects(), &mut timers, &mut tasks);
            seq = entry.seq;
        }
        if produced != *event_count {
            tracing::warn!(
                execution = %record.arn,
                stored = event_count,
                replayed = produced,
                "replay produced a different number of events than were stored"
            );
        }
        Ok(Replayed {
            exec,
            seq,
            timers,
            tasks,
            started,
        })
    }

    async fn resume(&self, open: OpenExecution) -> Result<(), EngineError> {
        let Replayed {
            exec,
            seq,
            timers,
            tasks,
            started,
        } = self.replay(&open)?;
        let record = open.record;
        let status = exec.status().clone();
        let live = Arc::new(tokio::sync::Mutex::new(Live {
            exec,
            record: record.clone(),
            seq,
            timers: HashMap::new(),
            tokens: Vec::new(),
            waiters: Vec::new(),
            closed: false,
        }));
        let mut guard = live.lock().await;
        lock(&self.inner.live).insert(record.arn.clone(), Arc::clone(&live));
        if status != Status::Running {
            // The journal ends in a closing step whose close was not stored.
            let now = self.now();
            self.commit(vec![close_write(&record, &status, now)])
                .await?;
            self.close(&record.arn, &mut guard, status, now);
            return Ok(());
        }
        let mut effects: Vec<Effect> = timers
            .into_iter()
            .map(|(id, due)| Effect::SetTimer { id, due })
            .collect();
        let mut pending: Vec<TaskRequest> = tasks.into_values().collect();
        pending.sort_by_key(|r| r.id);
        effects.extend(pending.into_iter().map(Effect::StartTask));
        self.carry_out(&record.arn, &mut guard, effects, &started);
        tracing::info!(execution = %record.arn, "resumed");
        Ok(())
    }

    // ---- API operations on running executions -------------------------------

    /// StopExecution. Returns the stop date.
    pub async fn stop_execution(
        &self,
        execution_arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<Millis, EngineError> {
        if execution_arn.contains(":express:") {
            return Err(EngineError::InvalidArn(
                "Resource type not valid in this context: express".into(),
            ));
        }
        let running = lock(&self.inner.live).contains_key(execution_arn);
        if !running
            && let Some(child) = self.existing(execution_arn)?
            && let Some(map_run) = &child.map_run_arn
            && child.status == ExecutionStatus::Running
        {
            // A Map Run child runs inside its parent: the parent stops it.
            if let Some(parent) = self.inner.store.map_run_execution(map_run)? {
                let signal = Signal::StopChild {
                    execution_arn: execution_arn.to_string(),
                    error,
                    cause,
                };
                match self.signal(&parent, signal).await {
                    Ok(())
                    | Err(EngineError::TaskTimedOut | EngineError::ExecutionDoesNotExist(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            let record = self
                .existing(execution_arn)?
                .ok_or_else(|| EngineError::ExecutionDoesNotExist(execution_arn.to_string()))?;
            return Ok(record.stop_date.unwrap_or_else(|| self.now()));
        }
        if running {
            match self
                .signal(execution_arn, Signal::Stop { error, cause })
                .await
            {
                Ok(()) | Err(EngineError::TaskTimedOut) => {}
                Err(e) => return Err(e),
            }
        } else if self.inner.store.cluster().is_some()
            && self
                .existing(execution_arn)?
                .is_some_and(|r| r.status == ExecutionStatus::Running && r.map_run_arn.is_none())
        {
            // Running on a node that did not answer the forwarded request:
            // saying "stopped" would be a lie. A client retries; by then the
            // node answers or its executions were taken over.
            return Err(EngineError::Internal(format!(
                "{execution_arn} runs on another node, which is not answering; retry"
            )));
        }
        let record = self
            .existing(execution_arn)?
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(execution_arn.to_string()))?;
        Ok(record.stop_date.unwrap_or_else(|| self.now()))
    }

    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution
    /// continues from its unsuccessful states (`asl::Signal::Redrive`).
    /// Returns the redrive date; a repeated `client_token` gets the first
    /// answer again.
    pub async fn redrive_execution(
        &self,
        execution_arn: &str,
        client_token: Option<&str>,
    ) -> Result<Millis, EngineError> {
        const REDRIVABLE_FOR: Millis = 14 * 24 * 3600 * 1000;
        const MAX_REDRIVES: u32 = 1000;
        /// The history must leave room for `ExecutionRedriven` and one more event.
        const MAX_EVENTS: u64 = 24_999;
        let not = |why: String| Err(EngineError::ExecutionNotRedrivable(why));
        if execution_arn.contains(":express:") {
            return not("Execution is of type EXPRESS and cannot be redriven".into());
        }
        let token_key = client_token.map(|t| (execution_arn.to_string(), t.to_string()));
        if let Some(key) = &token_key
            && let Some(date) = lock(&self.inner.redrive_tokens).get(key)
        {
            return Ok(*date);
        }
        let _busy = Busy::new(&self.inner.busy);
        let open = self
            .inner
            .store
            .execution_with_journal(execution_arn)?
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(execution_arn.to_string()))?;
        let record = &open.record;
        if record.machine_type == MachineType::Express {
            return not("Execution is of type EXPRESS and cannot be redriven".into());
        }
        if let Some(run) = &record.map_run_arn {
            return not(format!(
                "Execution was started by Map Run {run}: redrive its parent execution to rerun it"
            ));
        }
        if matches!(
            record.status,
            ExecutionStatus::Running | ExecutionStatus::Succeeded
        ) {
            return not(format!(
                "Execution is {} and cannot be redriven",
                record.status.as_str()
            ));
        }
        let now = self.now();
        if record
            .stop_date
            .is_some_and(|stop| now.saturating_sub(stop) > REDRIVABLE_FOR)
        {
            return not(
                "Execution can no longer be redriven: it closed more than 14 days ago".into(),
            );
        }
        if open.event_count >= MAX_EVENTS {
            return not(format!(
                "Execution has {} history events and cannot be redriven (the limit is 25000)",
                open.event_count
            ));
        }
        if record.redrive_count >= MAX_REDRIVES {
            return not(format!(
                "Execution has been redriven {MAX_REDRIVES} times and cannot be redriven again"
            ));
        }
        let Replayed { mut exec, seq, .. } = self.replay(&open)?;
        exec.signal(Signal::Redrive, now);
        let events = exec.take_events();
        let children = map_runs::child_writes(&mut exec, &open.record);
        let effects = exec.take_effects();
        let status = exec.status().clone();
        let mut reopened = open.record.clone();
        reopened.status = ExecutionStatus::Running;
        reopened.output = None;
        reopened.error = None;
        reopened.cause = None;
        reopened.stop_date = None;
        reopened.redrive_count += 1;
        reopened.redrive_date = Some(now);
        let live = Arc::new(tokio::sync::Mutex::new(Live {
            exec,
            record: reopened.clone(),
            seq: seq + 1,
            timers: HashMap::new(),
            tokens: Vec::new(),
            waiters: Vec::new(),
            closed: false,
        }));
        let mut guard = live.lock().await;
        {
            let mut running = lock(&self.inner.live);
            if running.contains_key(execution_arn) {
                return not("Execution is RUNNING and cannot be redriven".into());
            }
            running.insert(execution_arn.to_string(), Arc::clone(&live));
        }
        // Its Map Runs change again.
        lock(&self.inner.closed_map_runs).remove(execution_arn);
        let mut batch = vec![
            Write::ReopenExecution {
                execution_arn: execution_arn.to_string(),
                redrive_count: reopened.redrive_count,
                redrive_date: now,
            },
            Write::AppendJournal {
                execution_arn: execution_arn.to_string(),
                entry: JournalEntry {
                    seq: seq + 1,
                    at: now,
                    signal: codec::encode(&Signal::Redrive),
                },
            },
            Write::AppendEvents {
                execution_arn: execution_arn.to_string(),
                events,
            },
        ];
        batch.extend(children);
        if status != Status::Running {
            // Ended again at once (a Fail state fails again).
            batch.push(close_write(&reopened, &status, now));
        }
        if let Err(e) = self.commit(batch).await {
            lock(&self.inner.live).remove(execution_arn);
            // A conflict: another redrive of this execution got there first.
            return match e {
                EngineError::Store(store::StoreError::Conflict(_)) => {
                    not("Execution is RUNNING and cannot be redriven".into())
                }
                other => Err(other),
            };
        }
        if let Some(key) = token_key {
            let mut tokens = lock(&self.inner.redrive_tokens);
            if tokens.len() >= 10_000 {
                tokens.clear();
            }
            tokens.insert(key, now);
        }
        self.carry_out(execution_arn, &mut guard, effects, &HashSet::new());
        if status != Status::Running {
            self.close(execution_arn, &mut guard, status, now);
        }
        Ok(now)
    }

    fn token_target(&self, token: &str) -> Result<(String, TaskId), EngineError> {
        if let Some(t) = lock(&self.inner.tokens).get(token) {
            return Ok(t.clone());
        }
        if token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err(EngineError::TaskTimedOut)
        } else {
            Err(EngineError::InvalidToken("Invalid token".into()))
        }
    }

    pub async fn send_task_success(
        &self,
        task_token: &str,
        output: &str,
    ) -> Result<(), EngineError> {
        if output.len() > MAX_PAYLOAD {
            return Err(EngineError::InvalidOutput(format!(
                "Output exceeds the maximum size of {MAX_PAYLOAD} bytes"
            )));
        }
        let output: Value =
            serde_json::from_str(output).map_err(|e| EngineError::InvalidOutput(e.to_string()))?;
        let (arn, task) = self.token_target(task_token)?;
        self.signal(&arn, Signal::TaskSucceeded { task, output })
            .await
    }

    pub async fn send_task_failure(
        &self,
        task_token: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<(), EngineError> {
        let (arn, task) = self.token_target(task_token)?;
        self.signal(&arn, Signal::TaskFailed { task, error, cause })
            .await
    }

    pub async fn send_task_heartbeat(&self, task_token: &str) -> Result<(), EngineError> {
        let (arn, task) = self.token_target(task_token)?;
        self.signal(&arn, Signal::TaskHeartbeat { task }).await
    }

    /// GetActivityTask: a task for a worker, or `None` after `wait`.
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<String>,
        wait: Duration,
    ) -> Result<Option<(String, String)>, EngineError> {
        if self.inner.store.get_activity(activity_arn)?.is_none() {
            return Err(EngineError::ActivityDoesNotExist(activity_arn.to_string()));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Take a task (or the queue's notifier) with the lock held, and
            // release it before any await.
            let (task, notify) = {
                let mut activities = lock(&self.inner.activities);
                let q = activities.entry(activity_arn.to_string()).or_default();
                (q.waiting.pop_front(), Arc::clone(&q.notify))
            };
            if let Some(task) = task {
                let worker = worker_name.clone().unwrap_or_default();
                let started = Signal::TaskStarted {
                    task: task.task,
                    worker,
                };
                // Recorded even if this poller has gone away meanwhile: the
                // task then waits for its heartbeat or timeout, as on AWS.
                let engine = self.clone();
                let arn = task.execution_arn.clone();
                let recorded = tokio::spawn(async move { engine.signal(&arn, started).await })
                    .await
                    .map_err(|e| EngineError::Internal(e.to_string()))?;
                match recorded {
                    Ok(()) => return Ok(Some((task.token, task.input))),
                    Err(_) => continue, // the execution ended meanwhile
                }
            }
            if tokio::time::timeout_at(deadline, notify.notified())
                .await
                .is_err()
            {
                return Ok(None);
            }
        }
    }
}

/// Like [`Busy`] for work that outlives a borrow: already counted when made.
struct BusyOwned(Arc<Inner>);

impl Drop for BusyOwned {
    fn drop(&mut self) {
        self.0
            .busy
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The virtual clock's driver: when no signal is being applied and no task
/// is being carried out for a little while, jump to the earliest timer and
/// fire it. Ends when the engine is dropped.
async fn advance_virtual_clock(inner: std::sync::Weak<Inner>) {
    let mut idle_rounds = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if inner.busy.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            idle_rounds = 0;
            continue;
        }
        idle_rounds += 1;
        if idle_rounds < 3 {
            continue;
        }
        let next = lock(&inner.virtual_timers).pop_first();
        let Some((due, arn, id)) = next else {
            continue;
        };
        idle_rounds = 0;
        inner.clock.advance_to(due);
        let engine = Engine { inner };
        inner_fire(engine, arn, id).await;
    }
}

async fn inner_fire(engine: Engine, arn: String, id: u64) {
    if let Err(e) = engine.signal(&arn, Signal::TimerFired(id)).await {
        tracing::debug!(execution = %arn, error = %e, "timer signal dropped");
    }
}

enum Ended {
    Now(ExecutionRecord, Status),
    Later(ExecutionRecord, oneshot::Receiver<Status>),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A conflicting insert means another request created the same execution
/// first.
fn map_conflict(e: EngineError, arn: &str) -> EngineError {
    match e {
        EngineError::Store(store::StoreError::Conflict(_)) => {
            EngineError::ExecutionAlreadyExists(arn.to_string())
        }
        other => other,
    }
}

/// `ExecutionStarted` names the version and alias an execution was started
/// through (`executionStartedEventDetails.stateMachineVersionArn` /
/// `stateMachineAliasArn`); the interpreter doesn't know them.
fn name_version_and_alias(events: &mut [asl::HistoryEvent], record: &ExecutionRecord) {
    let Some(first) = events.first_mut() else {
        return;
    };
    if first.event_type != asl::EventType::ExecutionStarted {
        return;
    }
    if let asl::history::Details::Other(m) = &mut first.details {
        if let Some(alias) = &record.alias_arn {
            m.insert("stateMachineAliasArn".into(), Value::String(alias.clone()));
        }
        if let Some(version) = &record.version_arn {
            m.insert(
                "stateMachineVersionArn".into(),
                Value::String(version.clone()),
            );
        }
    }
}

/// An execution rebuilt from its journal.
struct Replayed {
    exec: Execution,
    /// The journal's last sequence number.
    seq: u64,
    /// Armed timers and undelivered tasks after the replay.
    timers: HashMap<u64, Millis>,
    tasks: HashMap<TaskId, TaskRequest>,
    /// Tasks a worker took or a callback request went out for.
    started: HashSet<TaskId>,
}

/// The store write that closes `record` with `status` at `now`.
fn close_write(record: &ExecutionRecord, status: &Status, now: Millis) -> Write {
    let mut closed = record.clone();
    close_record(&mut closed, status, now);
    Write::CloseExecution {
        execution_arn: closed.arn,
        status: closed.status,
        output: closed.output,
        error: closed.error,
        cause: closed.cause,
        stop_date: now,
    }
}

/// Writes the final status into a record.
fn close_record(record: &mut ExecutionRecord, status: &Status, now: Millis) {
    let (st, output, failure) = match status {
        Status::Running => return,
        Status::Succeeded { output } => (
            ExecutionStatus::Succeeded,
            Some(asl::history::to_json_text(output)),
            None,
        ),
        Status::Failed(f) => (ExecutionStatus::Failed, None, Some(f)),
        Status::TimedOut(f) => (ExecutionStatus::TimedOut, None, Some(f)),
        Status::Aborted(f) => (ExecutionStatus::Aborted, None, Some(f)),
    };
    record.status = st;
    record.output = output;
    record.error = failure.and_then(|f| f.error.clone());
    record.cause = failure.and_then(|f| f.cause.clone());
    record.stop_date = Some(now);
}

/// `…:stateMachine:name[:qualifier]` → (unqualified ARN, qualifier).
pub fn split_qualified(arn: &str) -> Result<(String, Option<String>), EngineError> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name] if !name.is_empty() => {
            Ok((arn.to_string(), None))
        }
        ["arn", _, "states", _, _, "stateMachine", name, q]
            if !name.is_empty() && !q.is_empty() =>
        {
            Ok((parts[..7].join(":"), Some(q.to_string())))
        }
        _ => Err(EngineError::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

/// Step Functions name rules (state machines, executions, activities).
pub fn check_name(name: &str) -> Result<(), EngineError> {
    let bad = name.is_empty()
        || name.chars().count() > 80
        || name.chars().any(|c| {
            c.is_whitespace()
                || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c)
                || ('\u{0}'..='\u{1f}').contains(&c)
                || ('\u{7f}'..='\u{9f}').contains(&c)
        });
    if bad {
        Err(EngineError::InvalidName(name.to_string()))
    } else {
        Ok(())
    }
}
