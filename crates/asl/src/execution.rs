//! The interpreter: a deterministic state machine over one execution.
//!
//! `Execution` never sleeps, reads a clock or does I/O. The runtime feeds it
//! [`Signal`]s (a task finished, a timer fired, a stop was requested) with
//! the current time; it answers with history events (drained with
//! [`Execution::take_events`]) and [`Effect`]s for the runtime to carry out
//! (dispatch a task, set a timer). Given the same signals at the same times
//! and the same seed it produces the same events, which is what lets a durable
//! runtime rebuild an execution by replaying its journal.
//!
//! Control flow is a tree of *frames*: the root frame runs the machine's top
//! block, and each Parallel branch or Map iteration runs in a child frame with
//! its own variable scope. Runnable frames sit in a queue and run until they
//! block (on a task, a wait, a retry back-off or their children) or end.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{Failure, names};
use crate::expr::{self, Env, ExprFailure};
use crate::history::{Details, EventType, HistoryEvent, Millis, details, to_json_text};
use crate::map_run::{ChildChange, ChildStatus, MapRun, MapRunStatus, MapRunUpdate};
use crate::model::{
    BlockId, Catcher, ErrorText, Machine, Number, QueryLanguage, ResultPath, Retrier, Seconds,
    State, StateId, StateKind, Transition, Wait,
};
use crate::template::Template;
use crate::time::{format_millis, parse_timestamp};
use crate::{choice, resource};

/// 256 KiB: the largest input, output or result Step Functions carries.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// AWS's variable quotas: one variable, and everything one `Assign` sets,
/// at most 256 KiB; all variables an execution holds at most 10 MiB.
pub const MAX_VARIABLE_BYTES: usize = 256 * 1024;
pub const MAX_ASSIGN_BYTES: usize = 256 * 1024;
pub const MAX_VARIABLES_BYTES: usize = 10 * 1024 * 1024;
/// Standard executions fail when their history would exceed this many events.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

pub type TaskId = u64;
pub type TimerId = u64;
type FrameId = usize;

/// Who and what an execution is: the values behind `$$.Execution` and
/// `$$.StateMachine`.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub region: String,
    pub start_time: Millis,
    /// `None` for Express executions, which cannot be redriven and have no
    /// `RedriveCount` in their Context object.
    pub redrive_count: Option<u32>,
    /// Report Distributed Map children as executions of their own
    /// ([`Execution::take_child_changes`]); off, their histories are counted
    /// but not kept.
    pub child_executions: bool,
}

/// Work the runtime must do on the execution's behalf, after it has stored
/// the events that came with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartTask(TaskRequest),
    /// The task's result is no longer wanted (sibling failure, timeout, stop).
    CancelTask(TaskId),
    SetTimer {
        id: TimerId,
        due: Millis,
    },
    CancelTimer(TimerId),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    pub id: TaskId,
    pub state_name: String,
    pub resource: String,
    /// The resolved `Parameters`/`Arguments` (for a bare Lambda ARN: the payload).
    pub parameters: Value,
    /// Set for `.waitForTaskToken` resources and activities.
    pub task_token: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// 0 for the first attempt, then 1, 2, … for retries.
    pub attempt: u32,
}

/// What the outside world tells an execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// An activity worker took the task (`GetActivityTask`).
    TaskStarted {
        task: TaskId,
        worker: String,
    },
    /// A `.waitForTaskToken` request was sent; the task now waits for its token.
    TaskSubmitted {
        task: TaskId,
        output: Value,
    },
    TaskHeartbeat {
        task: TaskId,
    },
    TaskSucceeded {
        task: TaskId,
        output: Value,
    },
    TaskFailed {
        task: TaskId,
        error: Option<String>,
        cause: Option<String>,
    },
    TimerFired(TimerId),
    /// `StopExecution`.
    Stop {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `RedriveExecution`: a failed, timed-out or aborted execution continues
    /// from its unsuccessful states (ignored unless the execution has ended
    /// unsuccessfully).
    Redrive,
    /// `UpdateMapRun`: new concurrency and failure tolerance for a running
    /// Map Run (ignored once it has closed).
    UpdateMapRun {
        map_run_arn: String,
        update: MapRunUpdate,
    },
    /// `StopExecution` of one running Distributed Map child: it is aborted
    /// and counts as a failed child of its Map Run.
    StopChild {
        execution_arn: String,
        error: Option<String>,
        cause: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Succeeded { output: Value },
    Failed(Failure),
    TimedOut(Failure),
    Aborted(Failure),
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded { .. } => "SUCCEEDED",
            Status::Failed(_) => "FAILED",
            Status::TimedOut(_) => "TIMED_OUT",
            Status::Aborted(_) => "ABORTED",
        }
    }
}

/// A small deterministic generator (SplitMix64) for task tokens, jitter,
/// `States.UUID` and `States.MathRandom`: seeded by the runtime so replays
/// match.
#[derive(Debug, Clone, Copy)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A version-4 UUID (map run ids, TestState contexts): deterministic
    /// for a given seed, like every other draw.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A state being executed in a frame.
#[derive(Debug, Clone)]
struct Active {
    state: StateId,
    entered_id: u64,
    /// `previousEventId` of the entered event: AWS links `EvaluationFailed`
    /// to it.
    entered_prev: u64,
    entered_at: Millis,
    /// The state's input as it arrived (ResultPath writes into this).
    raw_input: Value,
    /// After InputPath (and, for Choice/Wait, what `Assign` sees).
    effective: Value,
    /// Attempts used per retrier, indexed like the state's `Retry`.
    retries: Vec<u64>,
    retry_count: u32,
}

#[derive(Debug)]
enum Step {
    /// About to enter `state` with this input.
    Enter {
        state: StateId,
        input: Value,
    },
    Task(TaskWait),
    Waiting {
        active: Active,
        timer: TimerId,
    },
    /// A retrier's back-off before the next attempt.
    Backoff {
        active: Active,
        timer: TimerId,
    },
    Children(Box<ChildrenWait>),
    /// The frame has ended; its parent has been told.
    Done,
}

#[derive(Debug)]
struct TaskWait {
    active: Active,
    task: TaskId,
    kind: resource::TaskKind,
    started: bool,
    /// The resolved TimeoutSeconds/HeartbeatSeconds, armed when the task starts.
    timeout_seconds: Option<u64>,
    heartbeat_seconds: Option<u64>,
    timeout: Option<(TimerId, u64)>,
    heartbeat: Option<(TimerId, u64)>,
}

#[derive(Debug)]
struct ChildrenWait {
    active: Active,
    is_map: bool,
    /// Map items (or, for Parallel, the branch input repeated).
    inputs: Vec<Value>,
    outputs: Vec<Option<Value>>,
    /// Running children: item index → frame.
    running: Vec<(usize, FrameId)>,
    next_index: usize,
    done: usize,
    failed: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    /// Distributed Map: the Map Run's `MapRunStarted` event; children run as
    /// child executions whose events stay out of this history.
    map_run: Option<u64>,
    /// Distributed Map: the Map Run's index in [`Execution::map_runs`].
    run: Option<usize>,
    /// How many children may run at once.
    concurrency: usize,
    /// Children that failed or were aborted: what a redrive runs again.
    unsuccessful: Vec<(usize, FrameId)>,
    /// With an `ItemBatcher`: how many items each child carries.
    batch_sizes: Option<Vec<usize>>,
    /// Items over all children (what the tolerated percentage is of).
    item_total: usize,
    /// Items in failed children (what the tolerated thresholds count).
    failed_items: usize,
}

impl ChildrenWait {
    /// Whether a Map's failed iterations stay within its
    /// ToleratedFailureCount or ToleratedFailurePercentage.
    fn within_tolerance(&self) -> bool {
        if !self.is_map {
            return false;
        }
        let total = self.item_total.max(1) as f64;
        let failed = self.failed_items;
        let by_count = self.tolerated_count.is_some_and(|c| failed as u64 <= c);
        let by_pct = self
            .tolerated_percentage
            .is_some_and(|p| (failed as f64) * 100.0 / total <= p);
        by_count || by_pct
    }

    /// Items child `index` carries (1 without an `ItemBatcher`).
    fn items_of(&self, index: usize) -> usize {
        self.batch_sizes
            .as_ref()
            .and_then(|s| s.get(index).copied())
            .unwrap_or(1)
    }
}

/// A Map Run's seed for naming its children, taken from its ARN's UUID.
fn name_seed_of(map_run_arn: &str) -> u64 {
    map_run_arn.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl Resume {
    fn reenter(active: Active) -> Resume {
        Resume::Enter {
            state: active.state,
            input: active.raw_input,
        }
    }
}

/// Where a frame picks up when its execution is redriven. Recorded only on
/// the (cold) failure paths, so a successful run pays nothing for it.
#[derive(Debug)]
enum Resume {
    /// Enter the state that failed again, with the input it had.
    Enter { state: StateId, input: Value },
    /// A Parallel or Map state: keep the children that succeeded, rerun the rest.
    Children(Box<ChildrenWait>),
}

#[derive(Debug)]
struct Frame {
    block: BlockId,
    parent: Option<(FrameId, usize)>,
    /// This scope's workflow variables; lookups fall back to the parent's.
    vars: Map<String, Value>,
    /// `previousEventId` for this frame's next event.
    last_event: u64,
    step: Step,
    /// Runs inside a Distributed Map child execution: its events belong to
    /// that child's own history (an index into `child_histories`), not to
    /// this one.
    history: Option<usize>,
    /// A Distributed Map child starts a fresh variable scope: it cannot read
    /// the parent's variables.
    scope_root: bool,
    /// Set when the frame ended unsuccessfully: where a redrive resumes it.
    redrive: Option<Resume>,
    /// JSON size of this scope's variables (counted against the execution's
    /// 10 MiB; released when the scope ends).
    var_bytes: usize,
}

/// Variable lookup through a frame and its ancestors' scopes.
struct ScopeVars<'a> {
    frames: &'a [Frame],
    fid: FrameId,
}

impl asl_path::Variables for ScopeVars<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        Execution::lookup_var(self.frames, self.fid, name)
    }
}

/// A running (or finished) execution.
pub struct Execution {
    machine: Arc<Machine>,
    info: ExecutionInfo,
    input: Value,
    frames: Vec<Frame>,
    runnable: VecDeque<FrameId>,
    events: Vec<HistoryEvent>,
    effects: Vec<Effect>,
    next_event_id: u64,
    next_handle: u64,
    tasks: HashMap<TaskId, FrameId>,
    timers: HashMap<TimerId, TimerOwner>,
    rng: Rng,
    status: Status,
    now: Millis,
    /// When the last `RedriveExecution` was applied (`$$.Execution.RedriveTime`).
    redrive_time: Option<Millis>,
    /// JSON size of every variable in every live scope.
    var_bytes: usize,
    /// Every Map Run a Distributed Map state started, in start order.
    map_runs: Vec<MapRun>,
    /// The histories of Distributed Map children, indexed by `Frame::history`.
    child_histories: Vec<ChildHistory>,
    /// What happened to children since the last `take_child_changes`
    /// (only with `ExecutionInfo::child_executions`).
    child_changes: Vec<ChildChange>,
}

/// Where a Distributed Map child's own history stands. Its name, dates and
/// redrive count live in its Map Run (`map_runs[run].child(index)`).
#[derive(Debug)]
struct ChildHistory {
    run: usize,
    index: usize,
    /// Kept: every event of the child carries it.
    arn: String,
    /// Its `$$.Execution.Input`.
    input: Value,
    next_id: u64,
    /// The last event recorded.
    last: u64,
}

/// How a child execution ended.
enum ChildEnd<'a> {
    Succeeded(&'a Value),
    Failed(&'a Failure),
    Aborted,
    /// Stopped on its own by `StopExecution`, with its error and cause.
    Stopped(&'a Failure),
}

#[derive(Debug, Clone, Copy)]
enum TimerOwner {
    Frame(FrameId),
    TaskTimeout(FrameId),
    Heartbeat(FrameId),
    Execution,
}

impl Execution {
    /// Starts an execution: records `ExecutionStarted` and runs until the
    /// first blocking point.
    pub fn start(machine: Arc<Machine>, info: ExecutionInfo, input: Value, seed: u64) -> Execution {
        let now = info.start_time;
        let root = machine.root;
        let start_at = machine.block(root).start_at;
        let mut exec = Execution {
            machine,
            info,
            input: input.clone(),
            frames: Vec::new(),
            runnable: VecDeque::new(),
            events: Vec::new(),
            effects: Vec::new(),
            next_event_id: 1,
            next_handle: 1,
            tasks: HashMap::new(),
            timers: HashMap::new(),
            rng: Rng::new(seed),
            status: Status::Running,
            now,
            redrive_time: None,
            var_bytes: 0,
            map_runs: Vec::new(),
            child_histories: Vec::new(),
            child_changes: Vec::new(),
        };
        let started = details::execution_started(&input, &exec.info.role_arn);
        exec.push_event(0, EventType::ExecutionStarted, Some(started));
        exec.frames.push(Frame {
            block: root,
            parent: None,
            vars: Map::new(),
            last_event: 0,
            step: Step::Enter {
                state: start_at,
                input,
            },
            history: None,
            scope_root: true,
            redrive: None,
            var_bytes: 0,
        });
        if let Some(secs) = exec.machine.timeout_seconds {
            let id = exec.handle();
            exec.timers.insert(id, TimerOwner::Execution);
            exec.effects.push(Effect::SetTimer {
                id,
                due: now.saturating_add((secs as i64).saturating_mul(1000)),
            });
        }
        exec.runnable.push_back(0);
        exec.run();
        exec
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    pub fn input(&self) -> &Value {
        &self.input
    }

    pub fn machine(&self) -> &Arc<Machine> {
        &self.machine
    }

    /// Events recorded since the last call, in id order. The runtime stores
    /// them before carrying out the effects from [`Execution::take_effects`].
    pub fn take_events(&mut self) -> Vec<HistoryEvent> {
        std::mem::take(&mut self.events)
    }

    /// Effects to carry out. After the execution ended only cancellations
    /// remain: work a step asked for before it hit its end is dropped.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.effects);
        if self.status != Status::Running {
            effects.retain(|e| matches!(e, Effect::CancelTask(_) | Effect::CancelTimer(_)));
        }
        effects
    }

    /// Child-execution changes since the last call, in order (empty unless
    /// `ExecutionInfo::child_executions`). Stored with the events of the same
    /// step.
    pub fn take_child_changes(&mut self) -> Vec<ChildChange> {
        std::mem::take(&mut self.child_changes)
    }

    /// The Map Runs of this execution's Distributed Map states, oldest first.
    pub fn map_runs(&self) -> &[MapRun] {
        &self.map_runs
    }

    /// Number of events recorded so far.
    pub fn event_count(&self) -> u64 {
        self.next_event_id - 1
    }

    /// Applies a signal at time `now`. Signals for tasks or timers the
    /// execution no longer waits for are ignored (the runtime may deliver a
    /// late result after a timeout or a sibling's failure).
    pub fn signal(&mut self, signal: Signal, now: Millis) {
        if signal == Signal::Redrive {
            // The one signal for an execution that has ended.
            self.now = now.max(self.now);
            self.redrive();
            self.run();
            return;
        }
        if self.status != Status::Running {
            return;
        }
        self.now = now.max(self.now);
        match signal {
            Signal::TimerFired(id) => self.timer_fired(id),
            Signal::Stop { error, cause } => self.abort(Failure { error, cause }),
            Signal::Redrive => {}
            Signal::UpdateMapRun {
                map_run_arn,
                update,
            } => self.update_map_run(&map_run_arn, update),
            Signal::StopChild {
                execution_arn,
                error,
                cause,
            } => {
                if let Some(h) = self
                    .child_histories
                    .iter()
                    .position(|c| c.arn == execution_arn)
                {
                    let failure = Failure { error, cause };
                    self.end_child_early(h, ChildEnd::Stopped(&failure), failure.clone());
                }
            }
            Signal::TaskStarted { task, worker } => self.task_started(task, worker),
            Signal::TaskSubmitted { task, output } => self.task_submitted(task, output),
            Signal::TaskHeartbeat { task } => self.task_heartbeat(task),
            Signal::TaskSucceeded { task, output } => {
                if let Some(fid) = self.tasks.remove(&task) {
                    self.task_succeeded(fid, output);
                }
            }
            Signal::TaskFailed { task, error, cause } => {
                if let Some(fid) = self.tasks.remove(&task) {
                    self.task_failed(fid, Failure { error, cause }, false);
                }
            }
        }
        self.run();
    }

    // ---- plumbing -------------------------------------------------------

    fn handle(&mut self) -> u64 {
        let h = self.next_handle;
        self.next_handle += 1;
        h
    }

    /// Appends an event. Once the execution has ended nothing more is
    /// recorded; the 25,000th event of a running execution is its
    /// `ExecutionFailed` (AWS caps Standard histories there).
    fn push_event(
        &mut self,
        previous: u64,
        event_type: EventType,
        details: impl Into<Details>,
    ) -> u64 {
        if self.status != Status::Running {
            return previous;
        }
        let terminal = matches!(
            event_type,
            EventType::ExecutionSucceeded
                | EventType::ExecutionFailed
                | EventType::ExecutionTimedOut
                | EventType::ExecutionAborted
        );
        if !terminal && self.next_event_id >= MAX_HISTORY_EVENTS {
            self.cancel_everything();
            self.finish_execution(
                previous,
                Status::Failed(Failure::new(
                    names::RUNTIME,
                    format!(
                        "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                    ),
                )),
            );
            return previous;
        }
        let id = self.next_event_id;
        self.next_event_id += 1;
        self.events.push(HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: self.now,
            event_type,
            details: details.into(),
        });
        id
    }

    /// Records an event in frame `fid`'s causal chain.
    fn emit(&mut self, fid: FrameId, event_type: EventType, details: impl Into<Details>) -> u64 {
        let prev = self.frames[fid].last_event;
        let id = self.record(fid, prev, event_type, details);
        self.frames[fid].last_event = id;
        id
    }

    /// Records an event that belongs to frame `owner`'s history: this
    /// execution's, or a Distributed Map child's own.
    fn record(
        &mut self,
        owner: FrameId,
        prev: u64,
        event_type: EventType,
        details: impl Into<Details>,
    ) -> u64 {
        if let Some(h) = self.frames[owner].history {
            return self.push_child_event(h, prev, event_type, details);
        }
        self.push_event(prev, event_type, details)
    }

    fn push_child_event(
        &mut self,
        history: usize,
        previous: u64,
        event_type: EventType,
        details: impl Into<Details>,
    ) -> u64 {
        let h = &mut self.child_histories[history];
        let id = h.next_id;
        h.next_id += 1;
        h.last = id;
        if self.info.child_executions {
            let event = HistoryEvent {
                id,
                previous_event_id: previous,
                timestamp: self.now,
                event_type,
                details: details.into(),
            };
            self.child_changes.push(ChildChange::Event {
                execution_arn: h.arn.clone(),
                event,
            });
        }
        id
    }

    /// Starts item `index` of Map Run `run` as a child execution: its record
    /// and its `ExecutionStarted`. Returns the child's history.
    fn start_child(&mut self, run: usize, index: usize, items: usize, input: &Value) -> usize {
        let history = self.child_histories.len();
        let record = &mut self.map_runs[run];
        let name = record
            .child_started(index, items, self.now, history)
            .name
            .clone();
        let arn = record.child_arn(&name);
        if self.info.child_executions {
            self.child_changes.push(ChildChange::Started {
                execution_arn: arn.clone(),
                name,
                state_machine_arn: record.state_machine_arn.clone(),
                map_run_arn: record.arn.clone(),
                input: input.clone(),
                item_count: items,
                start_date: self.now,
            });
        }
        self.child_histories.push(ChildHistory {
            run,
            index,
            arn,
            input: input.clone(),
            next_id: 1,
            last: 0,
        });
        let started = details::execution_started(input, &self.info.role_arn);
        self.push_child_event(history, 0, EventType::ExecutionStarted, Some(started));
        history
    }

    /// Closes child `index` of Map Run `run` (unless it already closed):
    /// its status, its closing event, its record.
    fn close_child(&mut self, run: usize, index: usize, end: ChildEnd<'_>) {
        let status = match end {
            ChildEnd::Succeeded(_) => ChildStatus::Succeeded,
            ChildEnd::Failed(_) => ChildStatus::Failed,
            ChildEnd::Aborted | ChildEnd::Stopped(_) => ChildStatus::Aborted,
        };
        let Some(child) = self.map_runs[run].child_ended(index, status, self.now) else {
            return;
        };
        let history = child.history;
        let prev = self.child_histories[history].last;
        let (ty, output, failure) = match end {
            ChildEnd::Succeeded(v) => (EventType::ExecutionSucceeded, Some(v), None),
            ChildEnd::Failed(f) => (EventType::ExecutionFailed, None, Some(f)),
            ChildEnd::Aborted => (EventType::ExecutionAborted, None, None),
            ChildEnd::Stopped(f) => (EventType::ExecutionAborted, None, Some(f)),
        };
        let error = failure.and_then(|f| f.error.clone());
        let cause = failure.and_then(|f| f.cause.clone());
        let d = match output {
            Some(v) => details::output(v),
            None => details::error(error.as_deref(), cause.as_deref()),
        };
        let output = output.cloned();
        self.push_child_event(history, prev, ty, Some(d));
        if self.info.child_executions {
            self.child_changes.push(ChildChange::Closed {
                execution_arn: self.child_histories[history].arn.clone(),
                status,
                output,
                error,
                cause,
                stop_date: self.now,
            });
        }
    }

    /// A redrive runs child `index` of Map Run `run` again: records
    /// `ExecutionRedriven` in its history and returns that event's id.
    fn rerun_child(&mut self, run: usize, index: usize) -> u64 {
        let now = self.now;
        let Some(child) = self.map_runs[run].child_rerun(index, now) else {
            return 0;
        };
        let (history, count) = (child.history, child.redrive_count);
        let prev = self.child_histories[history].last;
        let mut d = Map::new();
        d.insert("redriveCount".into(), json!(count));
        let id = self.push_child_event(history, prev, EventType::ExecutionRedriven, Some(d));
        if self.info.child_executions {
            self.child_changes.push(ChildChange::Redriven {
                execution_arn: self.child_histories[history].arn.clone(),
                redrive_count: count,
                redrive_date: now,
            });
        }
        id
    }

    fn state(&self, fid: FrameId, state: StateId) -> &State {
        &self.machine.block(self.frames[fid].block).states[state]
    }

    fn lookup_var<'a>(frames: &'a [Frame], fid: FrameId, name: &str) -> Option<&'a Value> {
        let mut cur = Some(fid);
        while let Some(f) = cur {
            if let Some(v) = frames[f].vars.get(name) {
                return Some(v);
            }
            if frames[f].scope_root {
                return None;
            }
            cur = frames[f].parent.map(|(p, _)| p);
        }
        None
    }

    /// The Context object (`$$`) for a state.
    fn context(&self, fid: FrameId, active: &Active, token: Option<&str>) -> Value {
        let state = self.state(fid, active.state);
        let mut ctx = json!({
            "Execution": {
                "Id": self.info.execution_arn,
                "Input": self.input,
                "StartTime": format_millis(self.info.start_time),
                "Name": self.info.name,
                "RoleArn": self.info.role_arn,
            },
            "StateMachine": {
                "Id": self.info.state_machine_arn,
                "Name": self.info.state_machine_name,
            },
            "State": {
                "Name": &*state.name,
                "EnteredTime": format_millis(active.entered_at),
            },
        });
        // Only states that can retry carry a retry count (recorded AWS context objects).
        if matches!(
            state.kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        ) {
            ctx["State"]["RetryCount"] = json!(active.retry_count);
        }
        if let Some(n) = self.info.redrive_count {
            ctx["Execution"]["RedriveCount"] = json!(n);
        }
        if let Some(t) = self.redrive_time {
            ctx["Execution"]["RedriveTime"] = json!(format_millis(t));
        }
        if let Some(h) = self.frames[fid].history.map(|h| &self.child_histories[h]) {
            // A Distributed Map child is an execution of its own.
            let run = &self.map_runs[h.run];
            if let Some(child) = run.child(h.index) {
                ctx["Execution"]["Id"] = json!(h.arn);
                ctx["Execution"]["Name"] = json!(child.name);
                ctx["Execution"]["Input"] = h.input.clone();
                ctx["Execution"]["StartTime"] = json!(format_millis(child.start_date));
                ctx["Execution"]["RedriveCount"] = json!(child.redrive_count);
                ctx["StateMachine"]["Id"] = json!(run.state_machine_arn);
                ctx["StateMachine"]["Name"] =
                    json!(run.state_machine_arn.rsplit(':').next().unwrap_or_default());
            }
        }
        if let Some(t) = token {
            ctx["Task"] = json!({ "Token": t });
        }
        ctx
    }

    /// Evaluates with an environment over `input`. Context is built only when
    /// `needs_context` (it allocates).
    fn with_env<T>(
        &mut self,
        fid: FrameId,
        active: &Active,
        input: &Value,
        needs_context: bool,
        extra_context: Option<(&str, Value)>,
        f: impl FnOnce(&mut Env<'_>) -> T,
    ) -> T {
        let mut context = if needs_context {
            self.context(fid, active, None)
        } else {
            Value::Null
        };
        if let Some((k, v)) = extra_context {
            context[k] = v;
        }
        self.eval_in(fid, input, &context, &Value::Null, f)
    }

    fn eval_in<T>(
        &mut self,
        fid: FrameId,
        input: &Value,
        context: &Value,
        states: &Value,
        f: impl FnOnce(&mut Env<'_>) -> T,
    ) -> T {
        let mut rng = self.rng;
        let vars = ScopeVars {
            frames: &self.frames,
            fid,
        };
        let mut random = || rng.next_u64();
        let mut env = Env {
            input,
            context,
            vars: &vars,
            random: &mut random,
            states,
            now: self.now,
        };
        let out = f(&mut env);
        self.rng = rng;
        out
    }

    /// Evaluates in a JSONata state: `$states` is `{input, context}` plus
    /// `result` (Task/Parallel/Map `Output` and `Assign`) or `errorOutput`
    /// (a Catcher's).
    fn with_states<T>(
        &mut self,
        fid: FrameId,
        active: &Active,
        extra: Option<(&str, &Value)>,
        extra_context: Option<(&str, Value)>,
        f: impl FnOnce(&mut Env<'_>) -> T,
    ) -> T {
        self.with_states_ctx(fid, active, extra, extra_context, true, f)
    }

    /// [`Self::with_states`] that builds `$states.context` only when
    /// `needs_context` (it is the costliest part of `$states`).
    fn with_states_ctx<T>(
        &mut self,
        fid: FrameId,
        active: &Active,
        extra: Option<(&str, &Value)>,
        extra_context: Option<(&str, Value)>,
        needs_context: bool,
        f: impl FnOnce(&mut Env<'_>) -> T,
    ) -> T {
        let mut context = if needs_context || extra_context.is_some() {
            self.context(fid, active, None)
        } else {
            Value::Null
        };
        if let Some((k, v)) = extra_context {
            context[k] = v;
        }
        let mut states = Map::new();
        states.insert("input".into(), active.raw_input.clone());
        states.insert("context".into(), context);
        if let Some((k, v)) = extra {
            states.insert(k.into(), v.clone());
        }
        let states = Value::Object(states);
        self.eval_in(fid, &Value::Null, &Value::Null, &states, f)
    }

    /// A `States.Runtime` failure of the current state.
    fn runtime_failure(&self, fid: FrameId, active: &Active, message: String) -> Failure {
        let name = &self.state(fid, active.state).name;
        Failure::in_state(names::RUNTIME, name, active.entered_id, message)
    }

    /// Turns an expression failure into the state's failure. A JSONata
    /// failure is first recorded as `EvaluationFailed` (linked, as AWS does,
    /// to the entered event's predecessor), and a Parallel/Map state then
    /// records its own failed event.
    fn fail_in_state(&mut self, fid: FrameId, active: &Active, e: ExprFailure) -> Failure {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let failure = Failure::in_state(&e.error, &state.name, active.entered_id, e.message);
        if e.error == names::QUERY_EVALUATION_ERROR {
            let mut d = details::error(failure.error.as_deref(), failure.cause.as_deref());
            if let Some(location) = e.location {
                d.insert("location".into(), json!(location));
            }
            d.insert("state".into(), json!(&*state.name));
            // Recorded: a Map's EvaluationFailed links to its entered event's
            // predecessor, a Wait's to the entered event itself.
            if matches!(state.kind, StateKind::Map(_)) {
                self.frames[fid].last_event = active.entered_prev;
            }
            self.emit(fid, EventType::EvaluationFailed, Some(d));
            match state.kind {
                StateKind::Map(_) => {
                    self.emit(fid, EventType::MapStateFailed, Details::None);
                }
                StateKind::Parallel(_) => {
                    self.emit(fid, EventType::ParallelStateFailed, Details::None);
                }
                _ => {}
            }
        }
        failure
    }

    // ---- the run loop ---------------------------------------------------

    fn run(&mut self) {
        while let Some(fid) = self.runnable.pop_front() {
            if self.status != Status::Running {
                self.runnable.clear();
                return;
            }
            self.advance(fid);
        }
    }

    /// Runs frame `fid` until it blocks or ends.
    fn advance(&mut self, fid: FrameId) {
        loop {
            if self.status != Status::Running {
                return;
            }
            if let Some(h) = self.frames[fid].history
                && self.child_histories[h].next_id >= MAX_HISTORY_EVENTS
                && matches!(self.frames[fid].step, Step::Enter { .. })
            {
                // A Map Run child is an execution of its own, with its own
                // 25,000-event history limit.
                let failure = Failure::new(
                    names::RUNTIME,
                    format!(
                        "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
                    ),
                );
                self.end_child_early(h, ChildEnd::Failed(&failure), failure.clone());
                return;
            }
            let step = std::mem::replace(&mut self.frames[fid].step, Step::Done);
            match step {
                Step::Enter { state, input } => {
                    if !self.enter(fid, state, input) {
                        return;
                    }
                }
                other => {
                    self.frames[fid].step = other;
                    return;
                }
            }
        }
    }

    /// Enters a state and runs it as far as it goes without waiting. Returns
    /// true when the frame should keep running (its step is `Enter` again).
    fn enter(&mut self, fid: FrameId, state_id: StateId, input: Value) -> bool {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[state_id];
        let entered_type = entered_event(&state.kind);
        let entered_prev = self.frames[fid].last_event;
        let entered_id = self.emit(
            fid,
            entered_type,
            details::state_entered(&state.name, &input),
        );
        let mut active = Active {
            state: state_id,
            entered_id,
            entered_prev,
            entered_at: self.now,
            raw_input: input,
            effective: Value::Null,
            retries: Vec::new(),
            retry_count: 0,
        };
        // InputPath (every type but Fail).
        if !matches!(state.kind, StateKind::Fail(_)) {
            let raw = active.raw_input.clone();
            match self.apply_path(fid, &active, state.input_path.as_ref(), raw) {
                Ok(v) => active.effective = v,
                Err(f) => return self.fail_at(fid, &active, f),
            }
        }
        if state.query_language == QueryLanguage::Jsonata
            && let Some(go_on) = self.enter_jsonata(fid, state, &mut active)
        {
            return go_on;
        }
        match &state.kind {
            StateKind::Pass(pass) => {
                let result = match (&pass.result, &pass.parameters) {
                    (Some(r), _) => Ok(r.clone()),
                    (None, Some(t)) => {
                        self.eval_template(fid, &active, t, &active.effective.clone())
                    }
                    (None, None) => Ok(std::mem::take(&mut active.effective)),
                };
                match result {
                    Ok(result) => self.complete(fid, active, result, &pass.result_path, None),
                    Err(f) => self.fail_at(fid, &active, f),
                }
            }
            StateKind::Choice(c) => {
                let effective = active.effective.clone();
                let mut chosen = None;
                for rule in &c.choices {
                    let r =
                        self.with_env(fid, &active, &effective, rule.needs_context, None, |env| {
                            choice::evaluate(&rule.condition, env)
                        });
                    match r {
                        Ok(true) => {
                            chosen = Some((rule.next, rule.assign.as_ref()));
                            break;
                        }
                        Ok(false) => {}
                        Err(e) => {
                            let f = self.fail_in_state(fid, &active, e);
                            return self.fail_at(fid, &active, f);
                        }
                    }
                }
                let (next, assign) = match chosen {
                    Some(c) => c,
                    None => match c.default {
                        Some(d) => (d, state.assign.as_ref()),
                        None => {
                            let f = Failure::in_state(
                                names::NO_CHOICE_MATCHED,
                                &state.name,
                                entered_id,
                                "No Matches!",
                            );
                            return self.fail_at(fid, &active, f);
                        }
                    },
                };
                self.exit_to(
                    fid,
                    active,
                    effective.clone(),
                    effective,
                    assign,
                    Some(next),
                )
            }
            StateKind::Wait(w) => match self.wait_due(fid, &active, w) {
                Ok(due) => {
                    let timer = self.handle();
                    self.timers.insert(timer, TimerOwner::Frame(fid));
                    self.effects.push(Effect::SetTimer { id: timer, due });
                    self.frames[fid].step = Step::Waiting { active, timer };
                    false
                }
                Err(f) => self.fail_at(fid, &active, f),
            },
            StateKind::Succeed => {
                let effective = std::mem::take(&mut active.effective);
                match self.apply_path(fid, &active, state.output_path.as_ref(), effective) {
                    Ok(out) => {
                        let exited = details::state_exited(&state.name, &out, None);
                        self.emit(fid, EventType::SucceedStateExited, exited);
                        self.end_frame(fid, Ok(out));
                        false
                    }
                    Err(f) => self.fail_at(fid, &active, f),
                }
            }
            StateKind::Fail(fail) => {
                let raw = active.raw_input.clone();
                let text = |me: &mut Self,
                            t: &Option<ErrorText>,
                            field: &str|
                 -> Result<Option<String>, Failure> {
                    match t {
                        None => Ok(None),
                        Some(ErrorText::Literal(s)) => Ok(Some(s.clone())),
                        Some(ErrorText::Path(p, text)) => {
                            let r = me.with_env(fid, &active, &raw, true, None, |env| {
                                expr::eval_path(p, env)
                            });
                            match r {
                                Ok(Value::String(s)) => Ok(Some(s)),
                                Ok(other) => Ok(Some(to_json_text(&other))),
                                Err(_) => Err(Failure::in_state(
                                    names::RUNTIME,
                                    &me.state(fid, active.state).name,
                                    active.entered_id,
                                    format!(
                                        "The JSONPath '{text}' specified for the field '{field}' could not be found in the input '{}'",
                                        to_json_text(&raw)
                                    ),
                                )),
                            }
                        }
                        // JSONata Fail states are handled by `enter_jsonata`.
                        Some(ErrorText::Jsonata(_)) => Ok(None),
                    }
                };
                let error = match text(self, &fail.error, "ErrorPath") {
                    Ok(e) => e,
                    Err(f) => return self.fail_at(fid, &active, f),
                };
                let cause = match text(self, &fail.cause, "CausePath") {
                    Ok(c) => c,
                    Err(f) => return self.fail_at(fid, &active, f),
                };
                self.fail_at(fid, &active, Failure { error, cause })
            }
            StateKind::Task(_) => {
                active.retries = vec![0; self.retriers(fid, &active).len()];
                self.dispatch_task(fid, active);
                false
            }
            StateKind::Parallel(_) | StateKind::Map(_) => {
                active.retries = vec![0; self.retriers(fid, &active).len()];
                self.start_children(fid, active);
                false
            }
        }
    }

    /// The JSONata-mode behaviour of Pass, Choice, Succeed and Fail (Wait,
    /// Task, Parallel and Map share the JSONPath code paths, which consult
    /// the query language where they differ). `None` = not handled here.
    fn enter_jsonata(&mut self, fid: FrameId, state: &State, active: &mut Active) -> Option<bool> {
        let next = match state.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        };
        Some(match &state.kind {
            StateKind::Pass(_) | StateKind::Succeed => self.jsonata_exit(
                fid,
                active.clone(),
                None,
                state.output.as_ref(),
                state.assign.as_ref(),
                next,
            ),
            StateKind::Choice(c) => {
                for rule in &c.choices {
                    let crate::model::Condition::Jsonata(cond) = &rule.condition else {
                        continue;
                    };
                    let r = self.with_states(fid, active, None, None, |env| cond.eval(env));
                    let matched = match r {
                        Ok(Value::Bool(b)) => b,
                        Ok(other) => {
                            let field = match cond {
                                Template::Jsonata { field, .. } => field.clone(),
                                _ => "Condition".into(),
                            };
                            let e = ExprFailure::query(
                                &field,
                                format!(
                                    "The JSONata expression specified for the field '{field}' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                                    expr::jsonata_type_name(&other),
                                    to_json_text(&other)
                                ),
                            );
                            let f = self.fail_in_state(fid, active, e);
                            return Some(self.fail_at(fid, active, f));
                        }
                        Err(e) => {
                            let f = self.fail_in_state(fid, active, e);
                            return Some(self.fail_at(fid, active, f));
                        }
                    };
                    if matched {
                        return Some(self.jsonata_exit(
                            fid,
                            active.clone(),
                            None,
                            rule.output.as_ref(),
                            rule.assign.as_ref(),
                            Some(rule.next),
                        ));
                    }
                }
                match c.default {
                    Some(d) => self.jsonata_exit(
                        fid,
                        active.clone(),
                        None,
                        state.output.as_ref(),
                        state.assign.as_ref(),
                        Some(d),
                    ),
                    None => {
                        let f = Failure::in_state(
                            names::NO_CHOICE_MATCHED,
                            &state.name,
                            active.entered_id,
                            "No Matches!",
                        );
                        self.fail_at(fid, active, f)
                    }
                }
            }
            StateKind::Fail(fail) => {
                let mut text = |t: &Option<ErrorText>| -> Result<Option<String>, ExprFailure> {
                    match t {
                        Some(ErrorText::Jsonata(t)) => {
                            let v = self.with_states(fid, active, None, None, |env| t.eval(env))?;
                            Ok(Some(match v {
                                Value::String(s) => s,
                                other => to_json_text(&other),
                            }))
                        }
                        Some(ErrorText::Literal(s)) => Ok(Some(s.clone())),
                        _ => Ok(None),
                    }
                };
                let error = text(&fail.error);
                let cause = text(&fail.cause);
                match (error, cause) {
                    (Ok(error), Ok(cause)) => self.fail_at(fid, active, Failure { error, cause }),
                    (Err(e), _) | (_, Err(e)) => {
                        let f = self.fail_in_state(fid, active, e);
                        self.fail_at(fid, active, f)
                    }
                }
            }
            _ => return None,
        })
    }

    /// InputPath/OutputPath: absent → the value itself, `null` → `{}`.
    /// Takes the value by value: with no path (the common case) it is passed
    /// on without a copy.
    fn apply_path(
        &mut self,
        fid: FrameId,
        active: &Active,
        path: Option<&Option<asl_path::PathExpr>>,
        value: Value,
    ) -> Result<Value, Failure> {
        match path {
            None => Ok(value),
            Some(None) => Ok(json!({})),
            Some(Some(p)) => {
                let needs_ctx = expr::uses_context(p);
                let r = self.with_env(fid, active, &value, needs_ctx, None, |env| {
                    expr::eval_path(p, env)
                });
                r.map_err(|e| {
                    let e = e.into_runtime_failure();
                    self.fail_in_state(fid, active, e)
                })
            }
        }
    }

    fn eval_template(
        &mut self,
        fid: FrameId,
        active: &Active,
        t: &Template,
        input: &Value,
    ) -> Result<Value, Failure> {
        let needs_ctx = t.uses_context();
        let r = self.with_env(fid, active, input, needs_ctx, None, |env| t.eval(env));
        r.map_err(|e| self.fail_in_state(fid, active, e))
    }

    /// Evaluates a template over the state's effective input (JSONPath) or
    /// `$states` (JSONata): `Parameters`/`Arguments`, `ItemSelector`.
    fn eval_input_template(
        &mut self,
        fid: FrameId,
        active: &Active,
        t: &Template,
        extra_context: Option<(&str, Value)>,
    ) -> Result<Value, Failure> {
        let jsonata = self.state(fid, active.state).query_language == QueryLanguage::Jsonata;
        let r = if jsonata {
            self.with_states(fid, active, None, extra_context, |env| t.eval(env))
        } else {
            let input = active.effective.clone();
            let needs_ctx = t.uses_context() || extra_context.is_some();
            self.with_env(fid, active, &input, needs_ctx, extra_context, |env| {
                t.eval(env)
            })
        };
        r.map_err(|e| self.fail_in_state(fid, active, e))
    }

    fn retriers(&self, fid: FrameId, active: &Active) -> &[Retrier] {
        retriers_of(&self.state(fid, active.state).kind)
    }

    /// A state produced `result`: ResultSelector → ResultPath → OutputPath →
    /// `…StateExited` → next. `Assign` sees the raw result.
    fn complete(
        &mut self,
        fid: FrameId,
        active: Active,
        result: Value,
        result_path: &ResultPath,
        result_selector: Option<&Template>,
    ) -> bool {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        if state.query_language == QueryLanguage::Jsonata {
            let next = match state.transition {
                Transition::Next(n) => Some(n),
                _ => None,
            };
            return self.jsonata_exit(
                fid,
                active,
                Some(("result", &result)),
                state.output.as_ref(),
                state.assign.as_ref(),
                next,
            );
        }
        // `Assign` sees the raw result; keep a copy only when there is one.
        let (selected, assign_input) = match (result_selector, state.assign.is_some()) {
            (Some(t), _) => match self.eval_template(fid, &active, t, &result) {
                Ok(v) => (v, result),
                Err(f) => return self.state_error(fid, active, f, None),
            },
            (None, true) => (result.clone(), result),
            (None, false) => (result, Value::Null),
        };
        let combined = match apply_result_path(result_path, &active.raw_input, selected) {
            Ok(v) => v,
            Err(msg) => {
                let f = Failure::in_state(
                    names::RESULT_PATH_MATCH_FAILURE,
                    &state.name,
                    active.entered_id,
                    msg,
                );
                return self.state_error(fid, active, f, None);
            }
        };
        let next = match state.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        };
        let assign = state.assign.as_ref();
        self.exit_to(fid, active, combined, assign_input, assign, next)
    }

    /// Applies OutputPath and `Assign`, records `…StateExited`, and moves the
    /// frame to `next` (or ends it).
    fn exit_to(
        &mut self,
        fid: FrameId,
        active: Active,
        output_before_path: Value,
        assign_input: Value,
        assign: Option<&Template>,
        next: Option<StateId>,
    ) -> bool {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let assigned = match assign {
            Some(t) => {
                let needs_ctx = t.uses_context();
                let r = self.with_env(fid, &active, &assign_input, needs_ctx, None, |env| {
                    t.eval_assign(env)
                });
                match r {
                    Ok(m) => Some(m),
                    Err(e) => {
                        let f = self.fail_in_state(fid, &active, e);
                        return self.fail_at(fid, &active, f);
                    }
                }
            }
            None => None,
        };
        let output =
            match self.apply_path(fid, &active, state.output_path.as_ref(), output_before_path) {
                Ok(v) => v,
                Err(f) => return self.fail_at(fid, &active, f),
            };
        self.finish_exit(fid, active, output, assigned, next)
    }

    /// JSONata exit: `Output` and `Assign`, both
    /// evaluated from the same `$states` (AWS: they see the same inputs).
    fn jsonata_exit(
        &mut self,
        fid: FrameId,
        mut active: Active,
        extra: Option<(&str, &Value)>,
        output: Option<&Template>,
        assign: Option<&Template>,
        next: Option<StateId>,
    ) -> bool {
        // Without `Output`, a state passes on its result (Task, Parallel,
        // Map) or its input (the others).
        let default_output = match extra {
            Some((_, v)) => v.clone(),
            None if output.is_none() && assign.is_none() => std::mem::take(&mut active.raw_input),
            None => active.raw_input.clone(),
        };
        if output.is_none() && assign.is_none() {
            return self.finish_exit(fid, active, default_output, None, next);
        }
        let needs_context = output.is_some_and(Template::uses_context)
            || assign.is_some_and(Template::uses_context);
        let evaluated = self.with_states_ctx(fid, &active, extra, None, needs_context, |env| {
            crate::template::eval_output_and_assign(output, assign, default_output, env)
        });
        match evaluated {
            Ok((output, assigned)) => self.finish_exit(fid, active, output, assigned, next),
            Err(e) => {
                let f = self.fail_in_state(fid, &active, e);
                self.state_error(fid, active, f, None)
            }
        }
    }

    /// Records `…StateExited`, applies the assigned variables and moves on.
    fn finish_exit(
        &mut self,
        fid: FrameId,
        active: Active,
        output: Value,
        assigned: Option<Map<String, Value>>,
        next: Option<StateId>,
    ) -> bool {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let exited = details::state_exited(&state.name, &output, assigned.as_ref());
        if exited
            .get_str("output")
            .is_some_and(|s| s.len() > MAX_PAYLOAD_BYTES)
        {
            let f = Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    state.name
                ),
            );
            return self.fail_at(fid, &active, f);
        }
        if let Err(f) = self.check_variable_quotas(fid, &state.name, &exited) {
            return self.fail_at(fid, &active, f);
        }
        self.emit(fid, exited_event(&state.kind), exited);
        if let Some(vars) = assigned {
            self.frames[fid].vars.extend(vars);
        }
        let next = match (next, state.transition) {
            (Some(n), _) => Some(n),
            (None, Transition::Next(n)) => Some(n),
            _ => None,
        };
        match next {
            Some(n) => {
                self.frames[fid].step = Step::Enter {
                    state: n,
                    input: output,
                };
                true
            }
            None => {
                self.end_frame(fid, Ok(output));
                false
            }
        }
    }

    /// A failure that no retrier or catcher of this state can see: the frame
    /// (branch, iteration or execution) fails.
    /// Checks an `Assign` against AWS's variable quotas before it takes
    /// effect, using the JSON texts the exited event already holds, and
    /// books the new sizes. Each variable and the whole `Assign` ≤ 256 KiB;
    /// all live variables ≤ 10 MiB.
    fn check_variable_quotas(
        &mut self,
        fid: FrameId,
        state_name: &str,
        exited: &Details,
    ) -> Result<(), Failure> {
        let Details::StateExited {
            assigned: Some(assigned),
            ..
        } = exited
        else {
            return Ok(());
        };
        let too_big = |what: String| {
            Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{state_name}' {what} exceeding the maximum number of bytes service limit."
                ),
            )
        };
        let mut added = 0usize;
        let mut released = 0usize;
        for (name, text) in assigned.iter() {
            if text.len() > MAX_VARIABLE_BYTES {
                return Err(too_big(format!(
                    "assigned a value to variable '{name}' with a size"
                )));
            }
            added += text.len();
            if let Some(old) = self.frames[fid].vars.get(name) {
                released += to_json_text(old).len();
            }
        }
        if added > MAX_ASSIGN_BYTES {
            return Err(too_big("assigned variables with a total size".into()));
        }
        let total = (self.var_bytes + added).saturating_sub(released);
        if total > MAX_VARIABLES_BYTES {
            return Err(too_big(
                "assigned variables making the execution's variables reach a total size".into(),
            ));
        }
        self.var_bytes = total;
        let frame = &mut self.frames[fid];
        frame.var_bytes = (frame.var_bytes + added).saturating_sub(released);
        Ok(())
    }

    /// Ends the frame with `failure` raised by the state `active`; a
    /// redrive enters that state again with the same input.
    fn fail_at(&mut self, fid: FrameId, active: &Active, failure: Failure) -> bool {
        self.frames[fid].redrive = Some(Resume::Enter {
            state: active.state,
            input: active.raw_input.clone(),
        });
        self.end_frame(fid, Err(failure));
        false
    }

    /// A failure inside a Task/Parallel/Map state: retry, catch, or fail the frame.
    /// `failed_event` (`ParallelStateFailed`/`MapStateFailed`) is recorded only
    /// when no retrier takes the failure: AWS re-emits `…StateStarted` for a
    /// retry without a failed event in between.
    fn state_error(
        &mut self,
        fid: FrameId,
        mut active: Active,
        failure: Failure,
        failed_event: Option<EventType>,
    ) -> bool {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let retriers = retriers_of(&state.kind);
        if let Some(i) = retriers
            .iter()
            .position(|r| failure.matches(&r.error_equals))
        {
            let r = &retriers[i];
            let used = active.retries.get(i).copied().unwrap_or(0);
            if used < r.max_attempts {
                let mut delay = r.interval_seconds * r.backoff_rate.powi(used as i32);
                if let Some(max) = r.max_delay_seconds {
                    delay = delay.min(max);
                }
                if r.full_jitter {
                    let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    delay *= u;
                }
                if let Some(slot) = active.retries.get_mut(i) {
                    *slot += 1;
                }
                active.retry_count += 1;
                let timer = self.handle();
                self.timers.insert(timer, TimerOwner::Frame(fid));
                let due = self.now + (delay * 1000.0).round() as i64;
                self.effects.push(Effect::SetTimer { id: timer, due });
                self.frames[fid].step = Step::Backoff { active, timer };
                return false;
            }
        }
        if let Some(ty) = failed_event {
            self.emit(fid, ty, Details::None);
        }
        if let Some(catcher) = catchers_of(&state.kind)
            .iter()
            .find(|c| failure.matches(&c.error_equals))
        {
            let error_output = failure.error_output();
            if state.query_language == QueryLanguage::Jsonata {
                let evaluated = self.with_states(
                    fid,
                    &active,
                    Some(("errorOutput", &error_output)),
                    None,
                    |env| {
                        let assigned = match &catcher.assign {
                            Some(t) => Some(t.eval_assign(env)?),
                            None => None,
                        };
                        let output = match &catcher.output {
                            Some(t) => t.eval(env)?,
                            None => error_output.clone(),
                        };
                        Ok::<_, ExprFailure>((output, assigned))
                    },
                );
                return match evaluated {
                    Ok((output, assigned)) => {
                        let go_on =
                            self.finish_exit(fid, active, output, assigned, Some(catcher.next));
                        if go_on {
                            self.runnable.push_back(fid);
                        }
                        false
                    }
                    Err(e) => {
                        let f = self.fail_in_state(fid, &active, e);
                        self.fail_at(fid, &active, f)
                    }
                };
            }
            let assigned = match &catcher.assign {
                Some(t) => {
                    let needs_ctx = t.uses_context();
                    let r = self.with_env(fid, &active, &error_output, needs_ctx, None, |env| {
                        t.eval_assign(env)
                    });
                    match r {
                        Ok(m) => Some(m),
                        Err(e) => {
                            let f = self.fail_in_state(fid, &active, e);
                            return self.fail_at(fid, &active, f);
                        }
                    }
                }
                None => None,
            };
            let output =
                match apply_result_path(&catcher.result_path, &active.raw_input, error_output) {
                    Ok(v) => v,
                    Err(msg) => {
                        let f = Failure::in_state(
                            names::RESULT_PATH_MATCH_FAILURE,
                            &state.name,
                            active.entered_id,
                            msg,
                        );
                        return self.fail_at(fid, &active, f);
                    }
                };
            let exited = details::state_exited(&state.name, &output, assigned.as_ref());
            if let Err(f) = self.check_variable_quotas(fid, &state.name, &exited) {
                return self.fail_at(fid, &active, f);
            }
            self.emit(fid, exited_event(&state.kind), exited);
            if let Some(vars) = assigned {
                self.frames[fid].vars.extend(vars);
            }
            self.frames[fid].step = Step::Enter {
                state: catcher.next,
                input: output,
            };
            self.runnable.push_back(fid);
            return false;
        }
        // A Parallel/Map whose children failed has already recorded which of
        // them a redrive reruns; anything else enters the state again.
        let children_recorded = matches!(
            &self.frames[fid].redrive,
            Some(Resume::Children(w)) if w.active.entered_id == active.entered_id
        );
        if children_recorded {
            self.end_frame(fid, Err(failure));
            return false;
        }
        self.fail_at(fid, &active, failure)
    }

    // ---- tasks ----------------------------------------------------------

    fn dispatch_task(&mut self, fid: FrameId, active: Active) {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let StateKind::Task(task) = &state.kind else {
            return;
        };
        let kind = resource::TaskKind::of(&task.resource);
        let token = if kind.needs_token() {
            Some(format!(
                "{:016x}{:016x}",
                self.rng.next_u64(),
                self.rng.next_u64()
            ))
        } else {
            None
        };
        let effective = active.effective.clone();
        let parameters = match &task.parameters {
            Some(t) => {
                // `$$.Task.Token` (JSONata: `$states.context.Task.Token`).
                let extra = token.as_ref().map(|tok| ("Task", json!({ "Token": tok })));
                let r = if state.query_language == QueryLanguage::Jsonata {
                    self.with_states(fid, &active, None, extra, |env| t.eval(env))
                } else {
                    let needs_ctx = t.uses_context() || token.is_some();
                    self.with_env(fid, &active, &effective, needs_ctx, extra, |env| {
                        t.eval(env)
                    })
                };
                match r {
                    Ok(v) => v,
                    Err(e) => {
                        let f = self.fail_in_state(fid, &active, e);
                        self.state_error(fid, active, f, None);
                        return;
                    }
                }
            }
            None => effective,
        };
        let timeout = match self.seconds(fid, &active, task.timeout.as_ref(), "TimeoutSecondsPath")
        {
            Ok(t) => t,
            Err(f) => {
                self.fail_at(fid, &active, f);
                return;
            }
        };
        let heartbeat = match self.seconds(
            fid,
            &active,
            task.heartbeat.as_ref(),
            "HeartbeatSecondsPath",
        ) {
            Ok(t) => t,
            Err(f) => {
                self.fail_at(fid, &active, f);
                return;
            }
        };
        let id = self.handle();
        let scheduled = kind.scheduled_details(
            &task.resource,
            &self.info.region,
            &parameters,
            timeout,
            heartbeat,
        );
        self.emit(fid, kind.scheduled_event(), Some(scheduled));
        let mut wait = TaskWait {
            active,
            task: id,
            kind: kind.clone(),
            started: false,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            timeout: None,
            heartbeat: None,
        };
        if !kind.waits_for_worker() {
            let started = kind.started_details(&task.resource, None);
            self.emit(fid, kind.started_event(), started);
            wait.started = true;
            wait.timeout = timeout.map(|s| (self.set_timer(TimerOwner::TaskTimeout(fid), s), s));
            wait.heartbeat = heartbeat.map(|s| (self.set_timer(TimerOwner::Heartbeat(fid), s), s));
        }
        self.tasks.insert(id, fid);
        self.effects.push(Effect::StartTask(TaskRequest {
            id,
            state_name: state.name.to_string(),
            resource: task.resource.clone(),
            parameters,
            task_token: token,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            attempt: wait.active.retry_count,
        }));
        self.frames[fid].step = Step::Task(wait);
    }

    /// A version-4 UUID from the execution's generator.
    fn uuid(&mut self) -> String {
        self.rng.uuid()
    }

    fn set_timer(&mut self, owner: TimerOwner, seconds: u64) -> TimerId {
        let id = self.handle();
        self.timers.insert(id, owner);
        let due = self
            .now
            .saturating_add((seconds as i64).saturating_mul(1000));
        self.effects.push(Effect::SetTimer { id, due });
        id
    }

    fn cancel_timer(&mut self, id: TimerId) {
        if self.timers.remove(&id).is_some() {
            self.effects.push(Effect::CancelTimer(id));
        }
    }

    fn seconds(
        &mut self,
        fid: FrameId,
        active: &Active,
        s: Option<&Seconds>,
        field: &str,
    ) -> Result<Option<u64>, Failure> {
        match s {
            None => Ok(None),
            Some(Seconds::Literal(n)) => Ok(Some(*n)),
            Some(Seconds::Path(p)) => {
                let input = active.effective.clone();
                let v = self
                    .with_env(fid, active, &input, true, None, |env| {
                        expr::eval_path(p, env)
                    })
                    .map_err(|e| self.fail_in_state(fid, active, e.into_runtime_failure()))?;
                match v.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(self.fail_in_state(
                        fid,
                        active,
                        ExprFailure::runtime(format!(
                            "The {field} parameter does not reference a positive integer: {}",
                            to_json_text(&v)
                        )),
                    )),
                }
            }
            Some(Seconds::Jsonata(t)) => {
                let v = self
                    .with_states(fid, active, None, None, |env| t.eval(env))
                    .map_err(|e| self.fail_in_state(fid, active, e))?;
                match v.as_f64() {
                    Some(n) if n >= 1.0 => Ok(Some(n as u64)),
                    _ => {
                        let name = field.trim_end_matches("Path");
                        Err(self.fail_in_state(
                            fid,
                            active,
                            ExprFailure::query(
                                name,
                                format!(
                                    "The {name} field must be a positive integer but was: {}",
                                    to_json_text(&v)
                                ),
                            ),
                        ))
                    }
                }
            }
        }
    }

    fn task_wait(&mut self, fid: FrameId) -> Option<&mut TaskWait> {
        match &mut self.frames[fid].step {
            Step::Task(w) => Some(w),
            _ => None,
        }
    }

    fn task_started(&mut self, task: TaskId, worker: String) {
        let Some(&fid) = self.tasks.get(&task) else {
            return;
        };
        let Some(w) = self.task_wait(fid) else {
            return;
        };
        if w.started {
            return;
        }
        w.started = true;
        let kind = w.kind.clone();
        let state_id = w.active.state;
        let (timeout, heartbeat) = (w.timeout_seconds, w.heartbeat_seconds);
        let resource = match &self.state(fid, state_id).kind {
            StateKind::Task(t) => t.resource.clone(),
            _ => String::new(),
        };
        let details = kind.started_details(&resource, Some(&worker));
        self.emit(fid, kind.started_event(), details);
        let timeout = timeout.map(|s| (self.set_timer(TimerOwner::TaskTimeout(fid), s), s));
        let heartbeat = heartbeat.map(|s| (self.set_timer(TimerOwner::Heartbeat(fid), s), s));
        if let Some(w) = self.task_wait(fid) {
            w.timeout = timeout;
            w.heartbeat = heartbeat;
        }
    }

    fn task_submitted(&mut self, task: TaskId, output: Value) {
        let Some(&fid) = self.tasks.get(&task) else {
            return;
        };
        let Some(w) = self.task_wait(fid) else {
            return;
        };
        let kind = w.kind.clone();
        let state_id = w.active.state;
        let resource = match &self.state(fid, state_id).kind {
            StateKind::Task(t) => t.resource.clone(),
            _ => String::new(),
        };
        let mut d = kind.resource_members(&resource);
        d.extend(details::output(&output));
        self.emit(fid, EventType::TaskSubmitted, Some(d));
    }

    fn task_heartbeat(&mut self, task: TaskId) {
        let Some(&fid) = self.tasks.get(&task) else {
            return;
        };
        let Some(w) = self.task_wait(fid) else {
            return;
        };
        if let Some((old, secs)) = w.heartbeat.take() {
            self.cancel_timer(old);
            let new = self.set_timer(TimerOwner::Heartbeat(fid), secs);
            if let Some(w) = self.task_wait(fid) {
                w.heartbeat = Some((new, secs));
            }
        }
    }

    fn clear_task_timers(&mut self, w: &TaskWait) {
        if let Some((t, _)) = w.timeout {
            self.cancel_timer(t);
        }
        if let Some((t, _)) = w.heartbeat {
            self.cancel_timer(t);
        }
    }

    fn take_task_wait(&mut self, fid: FrameId) -> Option<TaskWait> {
        match std::mem::replace(&mut self.frames[fid].step, Step::Done) {
            Step::Task(w) => Some(w),
            other => {
                self.frames[fid].step = other;
                None
            }
        }
    }

    fn task_succeeded(&mut self, fid: FrameId, output: Value) {
        let Some(w) = self.take_task_wait(fid) else {
            return;
        };
        self.clear_task_timers(&w);
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[w.active.state];
        let StateKind::Task(task) = &state.kind else {
            return;
        };
        let text = to_json_text(&output);
        if text.len() > MAX_PAYLOAD_BYTES {
            let f = Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    state.name
                ),
            );
            self.fail_at(fid, &w.active, f);
            self.runnable.push_back(fid);
            return;
        }
        let mut d = w.kind.resource_members(&task.resource);
        d.insert("output".into(), Value::String(text));
        d.insert("outputDetails".into(), json!({"truncated": false}));
        self.emit(fid, w.kind.succeeded_event(), Some(d));
        if self.complete(
            fid,
            w.active,
            output,
            &task.result_path,
            task.result_selector.as_ref(),
        ) {
            self.runnable.push_back(fid);
        }
    }

    fn task_failed(&mut self, fid: FrameId, failure: Failure, timed_out: bool) {
        let Some(w) = self.take_task_wait(fid) else {
            return;
        };
        self.clear_task_timers(&w);
        self.tasks.remove(&w.task);
        let resource = match &self.state(fid, w.active.state).kind {
            StateKind::Task(t) => t.resource.clone(),
            _ => String::new(),
        };
        let mut d = w.kind.resource_members(&resource);
        d.extend(details::error(
            failure.error.as_deref(),
            failure.cause.as_deref(),
        ));
        let ty = if timed_out {
            w.kind.timed_out_event()
        } else {
            w.kind.failed_event()
        };
        self.emit(fid, ty, Some(d));
        self.state_error(fid, w.active, failure, None);
        self.runnable.push_back(fid);
    }

    // ---- waits and timers ------------------------------------------------

    /// When a Wait ends. AWS refuses delays beyond 24,855 days (2^31 s).
    fn wait_due(&mut self, fid: FrameId, active: &Active, w: &Wait) -> Result<Millis, Failure> {
        const MAX_DELAY_MS: i64 = 24_855 * 24 * 3600 * 1000;
        let due = self.wait_due_unchecked(fid, active, w)?;
        if due.saturating_sub(self.now) > MAX_DELAY_MS {
            return Err(self.runtime_failure(fid, active, "Wait state delay is too long.".into()));
        }
        Ok(due)
    }

    fn wait_due_unchecked(
        &mut self,
        fid: FrameId,
        active: &Active,
        w: &Wait,
    ) -> Result<Millis, Failure> {
        let runtime = |me: &Self, msg: String| me.runtime_failure(fid, active, msg);
        let input = active.effective.clone();
        match w {
            Wait::Seconds(s) => Ok(self.now.saturating_add((*s as i64).saturating_mul(1000))),
            Wait::Timestamp(t) => parse_timestamp(t)
                .ok_or_else(|| runtime(self, format!("The Timestamp field cannot be parsed: {t}"))),
            Wait::SecondsPath(p, text) => {
                let v = self
                    .with_env(fid, active, &input, true, None, |env| expr::eval_path(p, env))
                    .map_err(|_| {
                        runtime(
                            self,
                            format!("The SecondsPath parameter does not reference an input value: {text}"),
                        )
                    })?;
                if let Some(n) = v.as_i64() {
                    if n < 0 {
                        return Err(runtime(
                            self,
                            format!(
                                "The SecondsPath parameter references a negative value: {text} == {n}"
                            ),
                        ));
                    }
                    return Ok(self.now.saturating_add(n.saturating_mul(1000)));
                }
                Err(runtime(
                    self,
                    format!(
                        "The SecondsPath parameter cannot be parsed as a long value: {text} == {}",
                        to_json_text(&v)
                    ),
                ))
            }
            Wait::TimestampPath(p, text) => {
                let v = self
                    .with_env(fid, active, &input, true, None, |env| expr::eval_path(p, env))
                    .map_err(|_| {
                        runtime(
                            self,
                            format!("The TimestampPath parameter does not reference an input value: {text}"),
                        )
                    })?;
                let shown = match &v {
                    Value::String(s) => s.clone(),
                    other => to_json_text(other),
                };
                v.as_str().and_then(parse_timestamp).ok_or_else(|| {
                    runtime(
                        self,
                        format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {text} == {shown}"
                        ),
                    )
                })
            }
            Wait::JsonataSeconds(t) => {
                let v = self
                    .with_states(fid, active, None, None, |env| t.eval(env))
                    .map_err(|e| self.fail_in_state(fid, active, e))?;
                match v.as_f64() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 => {
                        Ok(self.now.saturating_add((n as i64).saturating_mul(1000)))
                    }
                    _ => Err(self.fail_in_state(
                        fid,
                        active,
                        ExprFailure::query(
                            "Seconds",
                            format!(
                                "The Seconds field must be a non-negative integer but was: {}",
                                to_json_text(&v)
                            ),
                        ),
                    )),
                }
            }
            Wait::JsonataTimestamp(t) => {
                let v = self
                    .with_states(fid, active, None, None, |env| t.eval(env))
                    .map_err(|e| self.fail_in_state(fid, active, e))?;
                let text = match &v {
                    Value::String(s) => s.clone(),
                    other => to_json_text(other),
                };
                match v.as_str().and_then(parse_timestamp) {
                    Some(due) => Ok(due),
                    None => {
                        let msg = format!(
                            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {text}"
                        );
                        Err(self.fail_in_state(fid, active, ExprFailure::query("Timestamp", msg)))
                    }
                }
            }
        }
    }

    fn timer_fired(&mut self, id: TimerId) {
        let Some(owner) = self.timers.remove(&id) else {
            return;
        };
        match owner {
            TimerOwner::Execution => {
                let prev = self.last_event_anywhere();
                self.cancel_everything();
                self.finish_execution(
                    prev,
                    Status::TimedOut(Failure {
                        error: Some(names::TIMEOUT.into()),
                        cause: None,
                    }),
                );
            }
            TimerOwner::TaskTimeout(fid) | TimerOwner::Heartbeat(fid) => {
                let task = match &self.frames[fid].step {
                    Step::Task(w) => w.task,
                    _ => return,
                };
                self.tasks.remove(&task);
                self.effects.push(Effect::CancelTask(task));
                let failure = Failure {
                    error: Some(names::TIMEOUT.into()),
                    cause: None,
                };
                self.task_failed(fid, failure, true);
            }
            TimerOwner::Frame(fid) => {
                match std::mem::replace(&mut self.frames[fid].step, Step::Done) {
                    Step::Waiting { active, .. } => {
                        let effective = active.effective.clone();
                        let machine = Arc::clone(&self.machine);
                        let state = &machine.block(self.frames[fid].block).states[active.state];
                        let go_on = if state.query_language == QueryLanguage::Jsonata {
                            self.jsonata_exit(
                                fid,
                                active,
                                None,
                                state.output.as_ref(),
                                state.assign.as_ref(),
                                None,
                            )
                        } else {
                            let assign = state.assign.as_ref();
                            self.exit_to(fid, active, effective.clone(), effective, assign, None)
                        };
                        if go_on {
                            self.runnable.push_back(fid);
                        }
                    }
                    Step::Backoff { active, .. } => {
                        let kind = &self.state(fid, active.state).kind;
                        if matches!(kind, StateKind::Task(_)) {
                            self.dispatch_task(fid, active);
                        } else {
                            self.start_children(fid, active);
                        }
                        self.runnable.push_back(fid);
                    }
                    other => self.frames[fid].step = other,
                }
            }
        }
    }

    // ---- Parallel and Map -------------------------------------------------

    fn start_children(&mut self, fid: FrameId, active: Active) {
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[active.state];
        let effective = active.effective.clone();
        match &state.kind {
            StateKind::Parallel(p) => {
                let input = match &p.parameters {
                    Some(t) => match self.eval_input_template(fid, &active, t, None) {
                        Ok(v) => v,
                        Err(f) => {
                            self.state_error(fid, active, f, None);
                            return;
                        }
                    },
                    None => effective,
                };
                let started = self.emit(fid, EventType::ParallelStateStarted, Details::None);
                let n = p.branches.len();
                let mut wait = ChildrenWait {
                    active,
                    is_map: false,
                    inputs: vec![input; n],
                    outputs: vec![None; n],
                    running: Vec::with_capacity(n),
                    next_index: n,
                    done: 0,
                    failed: 0,
                    tolerated_count: None,
                    tolerated_percentage: None,
                    map_run: None,
                    run: None,
                    concurrency: n,
                    unsuccessful: Vec::new(),
                    batch_sizes: None,
                    item_total: n,
                    failed_items: 0,
                };
                for (i, &block) in p.branches.iter().enumerate() {
                    let child = self.spawn(fid, i, block, wait.inputs[i].clone(), started, None);
                    wait.running.push((i, child));
                }
                if n == 0 {
                    self.frames[fid].step = Step::Children(Box::new(wait));
                    self.children_finished(fid);
                    return;
                }
                self.frames[fid].step = Step::Children(Box::new(wait));
            }
            StateKind::Map(m) => {
                // Items from S3 and results to S3 need an S3 Baton does not
                // have: say so, catchably, rather than run on the wrong data.
                let s3 = [
                    (&m.item_reader, "States.ItemReaderFailed", "ItemReader"),
                    (
                        &m.result_writer,
                        "States.ResultWriterFailed",
                        "ResultWriter",
                    ),
                ];
                if let Some((Some(resource), error, field)) =
                    s3.into_iter().find(|(r, _, _)| r.is_some())
                {
                    let failure = Failure::new(
                        error,
                        format!(
                            "Baton cannot run the {field} of Map state '{}' ({resource}): there is no local S3 yet",
                            state.name
                        ),
                    );
                    self.state_error(fid, active, failure, None);
                    return;
                }
                let jsonata = state.query_language == QueryLanguage::Jsonata;
                let items_value = match (&m.items, &m.items_path) {
                    (Some(t), _) => {
                        match self.with_states(fid, &active, None, None, |env| t.eval(env)) {
                            Ok(v @ Value::Array(_)) => v,
                            Ok(other) => {
                                let src = match t {
                                    Template::Jsonata { expr, .. } => {
                                        expr.source().trim().to_string()
                                    }
                                    _ => to_json_text(&other),
                                };
                                let e = ExprFailure::query(
                                    "Items",
                                    format!(
                                        "The JSONata expression '{src}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                                        expr::jsonata_type_name(&other),
                                        to_json_text(&other)
                                    ),
                                );
                                let f = self.fail_in_state(fid, &active, e);
                                self.state_error(fid, active, f, None);
                                return;
                            }
                            Err(e) => {
                                let f = self.fail_in_state(fid, &active, e);
                                self.state_error(fid, active, f, None);
                                return;
                            }
                        }
                    }
                    (None, Some((p, _))) => {
                        let r = self.with_env(fid, &active, &effective, true, None, |env| {
                            expr::eval_path(p, env)
                        });
                        match r {
                            Ok(v) => v,
                            Err(e) => {
                                let f = self.fail_in_state(fid, &active, e.into_runtime_failure());
                                self.fail_at(fid, &active, f);
                                return;
                            }
                        }
                    }
                    (None, None) => effective.clone(),
                };
                let Value::Array(items) = items_value else {
                    let message = format!(
                        "Map state input must be an array but was: {}",
                        to_json_text(&items_value)
                    );
                    let e = if jsonata {
                        ExprFailure {
                            error: names::QUERY_EVALUATION_ERROR.into(),
                            message,
                            location: None,
                        }
                    } else {
                        ExprFailure::runtime(message)
                    };
                    let f = self.fail_in_state(fid, &active, e);
                    self.state_error(fid, active, f, None);
                    return;
                };
                let number = |me: &mut Self, n: &Option<Number>, field: &str, float: bool| {
                    me.map_number(fid, &active, &effective, n.as_ref(), field, float)
                };
                let max_concurrency =
                    match number(self, &m.max_concurrency, "MaxConcurrencyPath", false) {
                        Ok(v) => v.map(|v| v as usize).unwrap_or(0),
                        Err(f) => {
                            self.fail_at(fid, &active, f);
                            return;
                        }
                    };
                // A Distributed Map records MapStateStarted before it reads its
                // tolerated-failure thresholds (recorded AWS histories).
                let started_early = m.distributed;
                if started_early {
                    self.emit_map_started(fid, items.len());
                }
                let tolerated_count = match number(
                    self,
                    &m.tolerated_failure_count,
                    "ToleratedFailureCountPath",
                    false,
                ) {
                    Ok(v) => v,
                    Err(f) => {
                        self.fail_at(fid, &active, f);
                        return;
                    }
                };
                if tolerated_count.is_some_and(|c| c < 0.0) {
                    let f = self.fail_in_state(
                        fid,
                        &active,
                        ExprFailure::runtime("ToleratedFailureCount cannot be negative."),
                    );
                    self.fail_at(fid, &active, f);
                    return;
                }
                let tolerated_percentage = match number(
                    self,
                    &m.tolerated_failure_percentage,
                    "ToleratedFailurePercentagePath",
                    true,
                ) {
                    Ok(v) => v,
                    Err(f) => {
                        self.fail_at(fid, &active, f);
                        return;
                    }
                };
                if tolerated_percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
                    let f = self.fail_in_state(
                        fid,
                        &active,
                        ExprFailure::runtime(
                            "ToleratedFailurePercentage must be between 0 and 100.",
                        ),
                    );
                    self.fail_at(fid, &active, f);
                    return;
                }
                // ItemSelector with `$$.Map.Item`.
                let mut inputs = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    let input = match &m.item_selector {
                        Some(t) => {
                            let extra = json!({"Item": {"Index": index, "Value": item}});
                            match self.eval_input_template(fid, &active, t, Some(("Map", extra))) {
                                Ok(v) => v,
                                Err(f) => {
                                    self.state_error(fid, active, f, None);
                                    return;
                                }
                            }
                        }
                        None => item,
                    };
                    inputs.push(input);
                }
                let item_total = inputs.len();
                let mut batch_sizes = None;
                if let Some(b) = &m.item_batcher {
                    match self.batch_items(fid, &active, &effective, b, inputs) {
                        Ok((batches, sizes)) => {
                            inputs = batches;
                            batch_sizes = Some(sizes);
                        }
                        Err(f) => {
                            self.fail_at(fid, &active, f);
                            return;
                        }
                    }
                }
                let n = inputs.len();
                let name = state.name.clone();
                if !started_early {
                    self.emit_map_started(fid, n);
                }
                let mut wait = Box::new(ChildrenWait {
                    active,
                    is_map: true,
                    outputs: vec![None; n],
                    inputs,
                    running: Vec::new(),
                    next_index: 0,
                    done: 0,
                    failed: 0,
                    tolerated_count: tolerated_count.map(|c| c as u64),
                    tolerated_percentage,
                    map_run: None,
                    run: None,
                    concurrency: 0,
                    unsuccessful: Vec::new(),
                    batch_sizes,
                    item_total,
                    failed_items: 0,
                });
                if m.distributed {
                    let label = m.label.clone().unwrap_or_else(|| self.uuid());
                    let arn = format!(
                        "{}/{label}:{}",
                        self.info
                            .state_machine_arn
                            .replacen(":stateMachine:", ":mapRun:", 1),
                        self.uuid()
                    );
                    let mut d = Map::new();
                    d.insert("mapRunArn".into(), json!(arn));
                    wait.map_run = Some(self.emit(fid, EventType::MapRunStarted, Some(d)));
                    let labelled = format!("{}/{label}", self.info.state_machine_arn);
                    let name_seed = name_seed_of(&arn);
                    self.map_runs.push(MapRun::new(
                        arn,
                        labelled,
                        name.to_string(),
                        self.now,
                        max_concurrency as u64,
                        tolerated_percentage.unwrap_or(0.0),
                        tolerated_count.map_or(0, |c| c as u64),
                        item_total,
                        name_seed,
                    ));
                    wait.run = Some(self.map_runs.len() - 1);
                }
                let limit = if max_concurrency == 0 {
                    n
                } else {
                    max_concurrency.min(n)
                };
                wait.concurrency = limit;
                let anchor = self.frames[fid].last_event;
                for _ in 0..limit {
                    self.start_iteration(fid, &mut wait, m.processor, &name, anchor);
                }
                self.frames[fid].step = Step::Children(wait);
                if n == 0 {
                    self.children_finished(fid);
                }
            }
            _ => {}
        }
    }

    /// `ItemBatcher`: groups the (selected) items into child inputs
    /// `{"BatchInput": …, "Items": [...]}` of at most `MaxItemsPerBatch`
    /// items and `MaxInputBytesPerBatch` bytes (256 KiB when unset), in
    /// order. Returns the batches and how many items each holds.
    fn batch_items(
        &mut self,
        fid: FrameId,
        active: &Active,
        effective: &Value,
        b: &crate::model::ItemBatcher,
        items: Vec<Value>,
    ) -> Result<(Vec<Value>, Vec<usize>), Failure> {
        let max_items = self.map_number(
            fid,
            active,
            effective,
            b.max_items.as_ref(),
            "MaxItemsPerBatchPath",
            false,
        )?;
        let max_bytes = self.map_number(
            fid,
            active,
            effective,
            b.max_bytes.as_ref(),
            "MaxInputBytesPerBatchPath",
            false,
        )?;
        let bad = |me: &mut Self, message: String| {
            me.fail_in_state(fid, active, ExprFailure::runtime(message))
        };
        if max_items.is_some_and(|v| v < 1.0) {
            return Err(bad(self, "MaxItemsPerBatch must be at least 1.".into()));
        }
        if max_bytes.is_some_and(|v| !(1.0..=MAX_PAYLOAD_BYTES as f64).contains(&v)) {
            return Err(bad(
                self,
                format!("MaxInputBytesPerBatch must be between 1 and {MAX_PAYLOAD_BYTES}."),
            ));
        }
        let batch_input = match &b.batch_input {
            Some(t) => Some(self.eval_input_template(fid, active, t, None)?),
            None => None,
        };
        let max_items = max_items.map_or(usize::MAX, |v| v as usize);
        let max_bytes = max_bytes.map_or(MAX_PAYLOAD_BYTES, |v| v as usize);
        let batch = |items: Vec<Value>| {
            let mut m = Map::new();
            if let Some(bi) = &batch_input {
                m.insert("BatchInput".into(), bi.clone());
            }
            m.insert("Items".into(), Value::Array(items));
            Value::Object(m)
        };
        // Bytes of a batch with no items; each item adds its size and a comma.
        let empty = to_json_text(&batch(Vec::new())).len();
        let (mut batches, mut sizes) = (Vec::new(), Vec::new());
        let (mut current, mut bytes) = (Vec::new(), empty);
        for item in items {
            let size = to_json_text(&item).len();
            if empty + size > max_bytes {
                return Err(bad(
                    self,
                    format!(
                        "An item of {size} bytes does not fit in a batch of at most {max_bytes} bytes (MaxInputBytesPerBatch)."
                    ),
                ));
            }
            let comma = usize::from(!current.is_empty());
            if !current.is_empty()
                && (current.len() >= max_items || bytes + comma + size > max_bytes)
            {
                sizes.push(current.len());
                batches.push(batch(std::mem::take(&mut current)));
                bytes = empty;
            }
            bytes += usize::from(!current.is_empty()) + size;
            current.push(item);
        }
        if !current.is_empty() {
            sizes.push(current.len());
            batches.push(batch(current));
        }
        Ok((batches, sizes))
    }

    fn emit_map_started(&mut self, fid: FrameId, length: usize) {
        let mut d = Map::new();
        d.insert("length".into(), json!(length));
        self.emit(fid, EventType::MapStateStarted, Some(d));
    }

    fn map_number(
        &mut self,
        fid: FrameId,
        active: &Active,
        input: &Value,
        n: Option<&Number>,
        field: &str,
        float: bool,
    ) -> Result<Option<f64>, Failure> {
        match n {
            None => Ok(None),
            Some(Number::Literal(v)) => Ok(Some(*v)),
            Some(Number::Path(p, text)) => {
                let v = self
                    .with_env(fid, active, input, true, None, |env| {
                        expr::eval_path(p, env)
                    })
                    .map_err(|e| self.fail_in_state(fid, active, e.into_runtime_failure()))?;
                let ok = if float {
                    v.as_f64()
                } else {
                    v.as_i64().map(|i| i as f64)
                };
                ok.map(Some).ok_or_else(|| {
                    let shown = match &v {
                        Value::String(s) => s.clone(),
                        other => to_json_text(other),
                    };
                    self.fail_in_state(
                        fid,
                        active,
                        ExprFailure::runtime(format!(
                            "The {field} field refers to value \"{shown}\" which is not a valid {}: {text}",
                            if float { "float" } else { "integer" }
                        )),
                    )
                })
            }
            Some(Number::Jsonata(t)) => {
                let v = self
                    .with_states(fid, active, None, None, |env| t.eval(env))
                    .map_err(|e| self.fail_in_state(fid, active, e))?;
                let name = field.trim_end_matches("Path");
                v.as_f64().map(Some).ok_or_else(|| {
                    let msg = format!(
                        "The {name} field must be a number but was: {}",
                        to_json_text(&v)
                    );
                    self.fail_in_state(fid, active, ExprFailure::query(name, msg))
                })
            }
        }
    }

    fn start_iteration(
        &mut self,
        fid: FrameId,
        wait: &mut ChildrenWait,
        block: BlockId,
        name: &str,
        anchor: u64,
    ) {
        let index = wait.next_index;
        wait.next_index += 1;
        let items = wait.items_of(index);
        let child_history = wait
            .run
            .map(|run| self.start_child(run, index, items, &wait.inputs[index]));
        let started = if child_history.is_some() {
            // The child's first state links to 0, as an execution's does.
            0
        } else {
            self.record(
                fid,
                anchor,
                EventType::MapIterationStarted,
                Some(details::map_iteration(name, index)),
            )
        };
        // Each input is used once (a retry of the Map recomputes them).
        let child = self.spawn(
            fid,
            index,
            block,
            std::mem::take(&mut wait.inputs[index]),
            started,
            child_history,
        );
        wait.running.push((index, child));
    }

    fn spawn(
        &mut self,
        parent: FrameId,
        index: usize,
        block: BlockId,
        input: Value,
        last_event: u64,
        child_history: Option<usize>,
    ) -> FrameId {
        let start_at = self.machine.block(block).start_at;
        let id = self.frames.len();
        let history = child_history.or(self.frames[parent].history);
        self.frames.push(Frame {
            block,
            parent: Some((parent, index)),
            vars: Map::new(),
            last_event,
            step: Step::Enter {
                state: start_at,
                input,
            },
            history,
            scope_root: child_history.is_some(),
            redrive: None,
            var_bytes: 0,
        });
        self.runnable.push_back(id);
        id
    }

    /// Ends a frame: the execution, or a branch/iteration reporting to its parent.
    fn end_frame(&mut self, fid: FrameId, outcome: Result<Value, Failure>) {
        self.frames[fid].step = Step::Done;
        let last = self.frames[fid].last_event;
        match self.frames[fid].parent {
            None => {
                let status = match outcome {
                    Ok(output) => Status::Succeeded { output },
                    Err(f) => Status::Failed(f),
                };
                self.cancel_everything();
                self.finish_execution(last, status);
            }
            Some((parent, index)) => {
                // Free the child's memory: its scope vanishes with it.
                self.frames[fid].vars = Map::new();
                let freed = std::mem::take(&mut self.frames[fid].var_bytes);
                self.var_bytes = self.var_bytes.saturating_sub(freed);
                self.child_ended(parent, fid, index, last, outcome);
            }
        }
    }

    fn child_ended(
        &mut self,
        parent: FrameId,
        child: FrameId,
        index: usize,
        child_last: u64,
        outcome: Result<Value, Failure>,
    ) {
        let Step::Children(mut wait) = std::mem::replace(&mut self.frames[parent].step, Step::Done)
        else {
            return;
        };
        if let Some(i) = wait.running.iter().position(|&(_, f)| f == child) {
            wait.running.swap_remove(i);
        }
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[parent].block).states[wait.active.state];
        let name = state.name.clone();
        if let Some(run) = wait.run {
            let end = match &outcome {
                Ok(v) => ChildEnd::Succeeded(v),
                Err(f) => ChildEnd::Failed(f),
            };
            self.close_child(run, index, end);
        }
        match outcome {
            Ok(output) => {
                wait.outputs[index] = Some(output);
                wait.done += 1;
                if wait.map_run.is_some() {
                    if wait.next_index < wait.inputs.len()
                        && let StateKind::Map(m) = &state.kind
                    {
                        self.start_iteration(parent, &mut wait, m.processor, &name, child_last);
                    }
                } else if wait.is_map {
                    let ok = self.record(
                        parent,
                        child_last,
                        EventType::MapIterationSucceeded,
                        Some(details::map_iteration(&name, index)),
                    );
                    self.frames[parent].last_event = ok;
                    if wait.next_index < wait.inputs.len()
                        && let StateKind::Map(m) = &state.kind
                    {
                        self.start_iteration(parent, &mut wait, m.processor, &name, child_last);
                    }
                } else {
                    self.frames[parent].last_event = child_last;
                }
            }
            Err(failure) => {
                wait.failed += 1;
                wait.failed_items += wait.items_of(index);
                wait.done += 1;
                wait.unsuccessful.push((index, child));
                let tolerated = wait.within_tolerance();
                if wait.map_run.is_none() {
                    if wait.is_map {
                        self.record(
                            parent,
                            child_last,
                            EventType::MapIterationFailed,
                            Some(details::map_iteration(&name, index)),
                        );
                    }
                    // What follows links to the failing event itself, not to
                    // MapIterationFailed (recorded: `8 MapIterationFailed prev 7`,
                    // `9 MapStateStarted prev 7`).
                    self.frames[parent].last_event = child_last;
                }
                if tolerated {
                    wait.outputs[index] = Some(failure.error_output());
                    if wait.next_index < wait.inputs.len()
                        && let StateKind::Map(m) = &state.kind
                    {
                        self.start_iteration(parent, &mut wait, m.processor, &name, child_last);
                    }
                } else {
                    self.fail_children(parent, wait, failure);
                    return;
                }
            }
        }
        self.frames[parent].step = Step::Children(wait);
        self.children_finished(parent);
    }

    /// A Parallel branch or Map iteration failed beyond what the state
    /// tolerates: aborts the siblings still running, then fails the state
    /// with `failure` (or `States.ExceedToleratedFailureThreshold` when the
    /// Map sets a threshold).
    fn fail_children(&mut self, parent: FrameId, mut wait: Box<ChildrenWait>, failure: Failure) {
        let machine = Arc::clone(&self.machine);
        let name = machine.block(self.frames[parent].block).states[wait.active.state]
            .name
            .clone();
        // Abort the siblings, then fail the state.
        let anchor = self.frames[parent].last_event;
        let running = std::mem::take(&mut wait.running);
        for (i, f) in running {
            self.abort_frame(f, anchor);
            wait.unsuccessful.push((i, f));
            if let Some(run) = wait.run {
                self.close_child(run, i, ChildEnd::Aborted);
            }
            if wait.is_map && wait.map_run.is_none() {
                self.record(
                    parent,
                    anchor,
                    EventType::MapIterationAborted,
                    Some(details::map_iteration(&name, i)),
                );
            }
        }
        let failed_type = if wait.is_map {
            EventType::MapStateFailed
        } else {
            EventType::ParallelStateFailed
        };
        let failure = if wait.is_map
            && (wait.tolerated_count.is_some() || wait.tolerated_percentage.is_some())
        {
            Failure::new(
                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                format!("The specified tolerated failure threshold was exceeded for state {name}"),
            )
        } else {
            failure
        };
        if let Some(run) = wait.map_run {
            let mut d = Map::new();
            d.extend(details::error(
                failure.error.as_deref(),
                failure.cause.as_deref(),
            ));
            self.frames[parent].last_event = run;
            self.emit(parent, EventType::MapRunFailed, Some(d));
        }
        if let Some(run) = wait.run {
            self.map_runs[run].end(MapRunStatus::Failed, self.now);
        }
        let active = wait.active.clone();
        // Where a redrive resumes if the failure ends the frame
        // (a retry or catch below takes the frame elsewhere).
        self.frames[parent].redrive = Some(Resume::Children(wait));
        if failure.is_terminal() {
            self.emit(parent, failed_type, Details::None);
            self.end_frame(parent, Err(failure));
        } else {
            self.state_error(parent, active, failure, Some(failed_type));
        }
        self.runnable.push_back(parent);
    }

    /// If every child has ended, completes the Parallel/Map state.
    fn children_finished(&mut self, fid: FrameId) {
        let all_done = match &self.frames[fid].step {
            Step::Children(w) => w.done == w.inputs.len() && w.running.is_empty(),
            _ => false,
        };
        if !all_done {
            return;
        }
        let Step::Children(wait) = std::mem::replace(&mut self.frames[fid].step, Step::Done) else {
            return;
        };
        let wait = *wait;
        if let Some(run) = wait.map_run {
            self.frames[fid].last_event = run;
            self.emit(fid, EventType::MapRunSucceeded, Details::None);
        }
        if let Some(run) = wait.run {
            self.map_runs[run].end(MapRunStatus::Succeeded, self.now);
        }
        let anchor = self.frames[fid].last_event;
        let ty = if wait.is_map {
            EventType::MapStateSucceeded
        } else {
            EventType::ParallelStateSucceeded
        };
        self.record(fid, anchor, ty, Details::None);
        let result = Value::Array(
            wait.outputs
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
        );
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[wait.active.state];
        let (result_path, selector) = match &state.kind {
            StateKind::Parallel(p) => (&p.result_path, p.result_selector.as_ref()),
            StateKind::Map(m) => (&m.result_path, m.result_selector.as_ref()),
            _ => return,
        };
        if self.complete(fid, wait.active, result, result_path, selector) {
            self.runnable.push_back(fid);
        }
    }

    /// Stops a frame that is still running because a sibling failed: records
    /// the `…Aborted` event of its current state and cancels what it waits on.
    fn abort_frame(&mut self, fid: FrameId, anchor: u64) {
        self.runnable.retain(|&f| f != fid);
        let step = std::mem::replace(&mut self.frames[fid].step, Step::Done);
        let resume = match step {
            Step::Task(w) => {
                self.clear_task_timers(&w);
                self.tasks.remove(&w.task);
                self.effects.push(Effect::CancelTask(w.task));
                self.record(fid, anchor, EventType::TaskStateAborted, Details::None);
                Some(Resume::reenter(w.active))
            }
            Step::Waiting { active, timer } => {
                self.cancel_timer(timer);
                self.record(fid, anchor, EventType::WaitStateAborted, Details::None);
                Some(Resume::reenter(active))
            }
            Step::Backoff { active, timer } => {
                self.cancel_timer(timer);
                let ty = match self.state(fid, active.state).kind {
                    StateKind::Parallel(_) => EventType::ParallelStateAborted,
                    StateKind::Map(_) => EventType::MapStateAborted,
                    _ => EventType::TaskStateAborted,
                };
                self.record(fid, anchor, ty, Details::None);
                Some(Resume::reenter(active))
            }
            Step::Children(mut w) => {
                let running = std::mem::take(&mut w.running);
                for &(i, child) in &running {
                    self.abort_frame(child, anchor);
                    if let Some(run) = w.run {
                        self.close_child(run, i, ChildEnd::Aborted);
                    }
                }
                if let Some(run) = w.run {
                    self.map_runs[run].end(MapRunStatus::Aborted, self.now);
                }
                w.unsuccessful.extend(running);
                let ty = if w.is_map {
                    EventType::MapStateAborted
                } else {
                    EventType::ParallelStateAborted
                };
                self.record(fid, anchor, ty, Details::None);
                Some(Resume::Children(w))
            }
            Step::Enter { state, input } => Some(Resume::Enter { state, input }),
            Step::Done => None,
        };
        self.frames[fid].redrive = resume;
    }

    // ---- Map Runs -----------------------------------------------------------

    /// The frame whose Map state waits on Map Run `run`'s children.
    fn map_run_frame(&self, run: usize) -> Option<FrameId> {
        self.frames
            .iter()
            .position(|f| matches!(&f.step, Step::Children(w) if w.run == Some(run)))
    }

    /// `UpdateMapRun`: applies new settings to a running Map Run. More
    /// concurrency starts waiting items at once; a lower failure tolerance
    /// that the failures so far already exceed fails the Map state now.
    fn update_map_run(&mut self, arn: &str, update: MapRunUpdate) {
        let Some(run) = self.map_runs.iter().position(|r| r.arn == arn) else {
            return;
        };
        if self.map_runs[run].status != MapRunStatus::Running {
            return;
        }
        let Some(fid) = self.map_run_frame(run) else {
            return;
        };
        let Step::Children(mut wait) = std::mem::replace(&mut self.frames[fid].step, Step::Done)
        else {
            return;
        };
        let record = &mut self.map_runs[run];
        if let Some(c) = update.max_concurrency {
            record.max_concurrency = c;
            wait.concurrency = if c == 0 {
                wait.inputs.len()
            } else {
                (c as usize).min(wait.inputs.len())
            };
        }
        if let Some(p) = update.tolerated_failure_percentage {
            record.tolerated_failure_percentage = p;
            wait.tolerated_percentage = Some(p);
        }
        if let Some(c) = update.tolerated_failure_count {
            record.tolerated_failure_count = c;
            wait.tolerated_count = Some(c);
        }
        if wait.failed > 0 && !wait.within_tolerance() {
            // A Map Run that has failures and still runs has a threshold, so
            // `fail_children` reports States.ExceedToleratedFailureThreshold.
            let exceeded = Failure::new(names::EXCEED_TOLERATED_FAILURE_THRESHOLD, "");
            self.fail_children(fid, wait, exceeded);
            return;
        }
        let machine = Arc::clone(&self.machine);
        let state = &machine.block(self.frames[fid].block).states[wait.active.state];
        if let StateKind::Map(m) = &state.kind {
            let anchor = self.frames[fid].last_event;
            while wait.running.len() < wait.concurrency.max(1)
                && wait.next_index < wait.inputs.len()
            {
                self.start_iteration(fid, &mut wait, m.processor, &state.name, anchor);
            }
        }
        self.frames[fid].step = Step::Children(wait);
    }

    /// Ends a running child before it finishes (`StopExecution`, or its
    /// history reaching the 25,000-event limit): aborts what it runs, closes
    /// it as `end` says, and reports `failure` to its Map state as a failed
    /// child (which the tolerated thresholds may absorb).
    fn end_child_early(&mut self, history: usize, end: ChildEnd<'_>, failure: Failure) {
        let (run, index) = (
            self.child_histories[history].run,
            self.child_histories[history].index,
        );
        let Some(parent) = self.map_run_frame(run) else {
            return;
        };
        let Step::Children(w) = &self.frames[parent].step else {
            return;
        };
        // Only a running child has a frame to end.
        let Some(&(_, child)) = w.running.iter().find(|&&(i, _)| i == index) else {
            return;
        };
        let anchor = self.child_histories[history].last;
        self.abort_frame(child, anchor);
        self.close_child(run, index, end);
        let last = self.child_histories[history].last;
        self.child_ended(parent, child, index, last, Err(failure));
    }

    // ---- redrive ------------------------------------------------------------

    /// `RedriveExecution`: records `ExecutionRedriven` and resumes every frame
    /// at its unsuccessful state. States that succeeded keep their results
    /// and are not run again; Parallel branches and Map iterations that
    /// succeeded keep theirs. Retry counters and the execution's
    /// `TimeoutSeconds` start afresh.
    fn redrive(&mut self) {
        if matches!(self.status, Status::Running | Status::Succeeded { .. }) {
            return;
        }
        let count = self.info.redrive_count.unwrap_or(0) + 1;
        self.info.redrive_count = Some(count);
        self.redrive_time = Some(self.now);
        self.status = Status::Running;
        let mut d = Map::new();
        d.insert("redriveCount".into(), json!(count));
        let prev = self.last_event_anywhere();
        let anchor = self.push_event(prev, EventType::ExecutionRedriven, Some(d));
        if let Some(secs) = self.machine.timeout_seconds {
            let id = self.handle();
            self.timers.insert(id, TimerOwner::Execution);
            self.effects.push(Effect::SetTimer {
                id,
                due: self.now.saturating_add((secs as i64).saturating_mul(1000)),
            });
        }
        self.resume_frame(0, anchor);
    }

    /// Puts a frame back to work from where it stopped (see [`Resume`]).
    fn resume_frame(&mut self, fid: FrameId, anchor: u64) {
        self.frames[fid].last_event = anchor;
        let point = match self.frames[fid].redrive.take() {
            Some(p) => Some(p),
            // Stopped or timed out while running: its step is intact.
            None => match std::mem::replace(&mut self.frames[fid].step, Step::Done) {
                Step::Task(w) => Some(Resume::reenter(w.active)),
                Step::Waiting { active, .. } | Step::Backoff { active, .. } => {
                    Some(Resume::reenter(active))
                }
                Step::Children(w) => Some(Resume::Children(w)),
                Step::Enter { state, input } => Some(Resume::Enter { state, input }),
                Step::Done => None,
            },
        };
        match point {
            None => {}
            Some(Resume::Enter { state, input }) => {
                self.frames[fid].step = Step::Enter { state, input };
                self.runnable.push_back(fid);
            }
            Some(Resume::Children(mut wait)) => {
                let mut rerun = std::mem::take(&mut wait.unsuccessful);
                rerun.append(&mut wait.running);
                rerun.sort_unstable();
                rerun.dedup();
                for &(i, _) in &rerun {
                    wait.outputs[i] = None;
                }
                wait.done = wait.outputs[..wait.next_index]
                    .iter()
                    .filter(|o| o.is_some())
                    .count();
                wait.failed = 0;
                wait.failed_items = 0;
                let machine = Arc::clone(&self.machine);
                let state = &machine.block(self.frames[fid].block).states[wait.active.state];
                let name = state.name.clone();
                if let (Some(_), Some(run)) = (wait.map_run, wait.run) {
                    let run = &mut self.map_runs[run];
                    run.redriven(self.now);
                    let mut d = Map::new();
                    d.insert("mapRunArn".into(), json!(run.arn));
                    d.insert("redriveCount".into(), json!(run.redrive_count));
                    wait.map_run = Some(self.emit(fid, EventType::MapRunRedriven, Some(d)));
                }
                for (i, child) in rerun {
                    let start = if let Some(run) = wait.run {
                        self.rerun_child(run, i)
                    } else if wait.is_map {
                        self.record(
                            fid,
                            anchor,
                            EventType::MapIterationStarted,
                            Some(details::map_iteration(&name, i)),
                        )
                    } else {
                        anchor
                    };
                    self.resume_frame(child, start);
                    wait.running.push((i, child));
                }
                if let StateKind::Map(m) = &state.kind {
                    while wait.running.len() < wait.concurrency.max(1)
                        && wait.next_index < wait.inputs.len()
                    {
                        self.start_iteration(fid, &mut wait, m.processor, &name, anchor);
                    }
                }
                self.frames[fid].step = Step::Children(wait);
                self.children_finished(fid);
            }
        }
    }

    fn cancel_everything(&mut self) {
        let tasks: Vec<TaskId> = self.tasks.drain().map(|(t, _)| t).collect();
        for t in tasks {
            self.effects.push(Effect::CancelTask(t));
        }
        let timers: Vec<TimerId> = self.timers.drain().map(|(t, _)| t).collect();
        for t in timers {
            self.effects.push(Effect::CancelTimer(t));
        }
        self.runnable.clear();
    }

    fn last_event_anywhere(&self) -> u64 {
        self.next_event_id - 1
    }

    fn abort(&mut self, failure: Failure) {
        // AWS links ExecutionAborted to the predecessor of the running state's
        // entered event (recorded: `2 WaitStateEntered prev 0`, `3 ExecutionAborted prev 0`).
        let prev = self.frames.first().map_or(0, |root| match &root.step {
            Step::Task(w) => w.active.entered_prev,
            Step::Waiting { active, .. } | Step::Backoff { active, .. } => active.entered_prev,
            Step::Children(w) => w.active.entered_prev,
            Step::Enter { .. } | Step::Done => root.last_event,
        });
        self.cancel_everything();
        self.finish_execution(prev, Status::Aborted(failure));
    }

    fn finish_execution(&mut self, prev: u64, status: Status) {
        let (ty, details) = match &status {
            Status::Succeeded { output } => {
                (EventType::ExecutionSucceeded, details::output(output))
            }
            Status::Failed(f) => (
                EventType::ExecutionFailed,
                details::error(f.error.as_deref(), f.cause.as_deref()),
            ),
            Status::TimedOut(f) => (
                EventType::ExecutionTimedOut,
                details::error(f.error.as_deref(), f.cause.as_deref()),
            ),
            Status::Aborted(f) => (
                EventType::ExecutionAborted,
                details::error(f.error.as_deref(), f.cause.as_deref()),
            ),
            Status::Running => return,
        };
        // Map Runs still open when the execution ends unsuccessfully are
        // aborted with their running children.
        for run in 0..self.map_runs.len() {
            if self.map_runs[run].status != MapRunStatus::Running {
                continue;
            }
            let running: Vec<usize> = self.map_runs[run]
                .children
                .iter()
                .filter(|c| c.status == ChildStatus::Running)
                .map(|c| c.index)
                .collect();
            for index in running {
                self.close_child(run, index, ChildEnd::Aborted);
            }
            self.map_runs[run].end(MapRunStatus::Aborted, self.now);
        }
        self.push_event(prev, ty, Some(details));
        self.status = status;
    }
}

fn retriers_of(kind: &StateKind) -> &[Retrier] {
    match kind {
        StateKind::Task(t) => &t.retry,
        StateKind::Parallel(p) => &p.retry,
        StateKind::Map(m) => &m.retry,
        _ => &[],
    }
}

fn catchers_of(kind: &StateKind) -> &[Catcher] {
    match kind {
        StateKind::Task(t) => &t.catch,
        StateKind::Parallel(p) => &p.catch,
        StateKind::Map(m) => &m.catch,
        _ => &[],
    }
}

fn entered_event(kind: &StateKind) -> EventType {
    match kind {
        StateKind::Pass(_) => EventType::PassStateEntered,
        StateKind::Task(_) => EventType::TaskStateEntered,
        StateKind::Choice(_) => EventType::ChoiceStateEntered,
        StateKind::Wait(_) => EventType::WaitStateEntered,
        StateKind::Succeed => EventType::SucceedStateEntered,
        StateKind::Fail(_) => EventType::FailStateEntered,
        StateKind::Parallel(_) => EventType::ParallelStateEntered,
        StateKind::Map(_) => EventType::MapStateEntered,
    }
}

fn exited_event(kind: &StateKind) -> EventType {
    match kind {
        StateKind::Pass(_) => EventType::PassStateExited,
        StateKind::Task(_) => EventType::TaskStateExited,
        StateKind::Choice(_) => EventType::ChoiceStateExited,
        StateKind::Wait(_) => EventType::WaitStateExited,
        StateKind::Succeed => EventType::SucceedStateExited,
        StateKind::Fail(_) => EventType::FailStateEntered,
        StateKind::Parallel(_) => EventType::ParallelStateExited,
        StateKind::Map(_) => EventType::MapStateExited,
    }
}

/// ResultPath: where the (selected) result lands in the state's raw input.
pub fn apply_result_path(
    rp: &ResultPath,
    raw_input: &Value,
    result: Value,
) -> Result<Value, String> {
    match rp {
        ResultPath::Replace => Ok(result),
        ResultPath::Discard => Ok(raw_input.clone()),
        ResultPath::At(path) => path
            .set(raw_input.clone(), result)
            .map_err(|e| e.to_string()),
    }
}
