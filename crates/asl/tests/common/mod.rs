//! A hand-cranked runtime for `asl::Execution`: it records every history
//! event and keeps the tasks and timers the interpreter asked for, so a test
//! can answer tasks, fire timers at their due time and then read the history.
//! Nothing sleeps; time only moves when the test says so.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use asl::{
    Effect, EventType, Execution, ExecutionInfo, HistoryEvent, Millis, Signal, Status, TaskId,
    TaskRequest, TimerId,
};
use serde_json::Value;

/// 2023-11-14T22:13:20Z: every execution starts here.
pub const T0: Millis = 1_700_000_000_000;
pub const SEED: u64 = 7;

pub const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";
pub const INVOKE: &str = "arn:aws:states:::lambda:invoke";
pub const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:a";
pub const SQS_TOKEN: &str = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";

pub fn secs(s: i64) -> Millis {
    s * 1000
}

pub fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:sm:run-1".into(),
        name: "run-1".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm".into(),
        state_machine_name: "sm".into(),
        role_arn: "arn:aws:iam::123456789012:role/sfn".into(),
        region: "us-east-1".into(),
        start_time: T0,
        redrive_count: Some(0),
        child_executions: true,
    }
}

/// Loads a definition, failing the test with the diagnostics if it does not.
pub fn machine(definition: &Value) -> Arc<asl::Machine> {
    match asl::load(&definition.to_string()) {
        Ok(m) => Arc::new(m),
        Err(d) => panic!("definition does not load: {d:#?}"),
    }
}

/// One execution plus everything the runtime would remember about it.
pub struct Driver {
    pub exec: Execution,
    pub now: Millis,
    /// Every event recorded so far, in order.
    pub events: Vec<HistoryEvent>,
    /// Tasks dispatched and neither answered nor cancelled.
    pub pending: BTreeMap<TaskId, TaskRequest>,
    /// Every task ever dispatched, in dispatch order.
    pub dispatched: Vec<TaskRequest>,
    /// Armed timers: id → due time.
    pub timers: BTreeMap<TimerId, Millis>,
    pub cancelled_tasks: Vec<TaskId>,
    pub cancelled_timers: Vec<TimerId>,
    /// Every effect, in order (for determinism checks).
    pub effects: Vec<Effect>,
}

impl Driver {
    pub fn start(definition: &Value, input: Value) -> Driver {
        Driver::start_seeded(definition, input, SEED)
    }

    pub fn start_seeded(definition: &Value, input: Value, seed: u64) -> Driver {
        let exec = Execution::start(machine(definition), info(), input, seed);
        let mut d = Driver {
            exec,
            now: T0,
            events: Vec::new(),
            pending: BTreeMap::new(),
            dispatched: Vec::new(),
            timers: BTreeMap::new(),
            cancelled_tasks: Vec::new(),
            cancelled_timers: Vec::new(),
            effects: Vec::new(),
        };
        d.drain();
        d
    }

    fn drain(&mut self) {
        self.events.extend(self.exec.take_events());
        for e in self.exec.take_effects() {
            self.effects.push(e.clone());
            match e {
                Effect::StartTask(t) => {
                    self.dispatched.push(t.clone());
                    self.pending.insert(t.id, t);
                }
                Effect::CancelTask(id) => {
                    self.pending.remove(&id);
                    self.cancelled_tasks.push(id);
                }
                Effect::SetTimer { id, due } => {
                    self.timers.insert(id, due);
                }
                Effect::CancelTimer(id) => {
                    self.timers.remove(&id);
                    self.cancelled_timers.push(id);
                }
            }
        }
    }

    /// Moves the clock forward (never back).
    pub fn at(&mut self, t: Millis) -> &mut Self {
        assert!(t >= self.now, "time cannot go back ({t} < {})", self.now);
        self.now = t;
        self
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn after(&mut self, ms: Millis) -> &mut Self {
        self.now += ms;
        self
    }

    /// Delivers a signal at the current time and records what follows.
    pub fn signal(&mut self, s: Signal) -> &mut Self {
        // An answered task is no longer pending.
        if let Signal::TaskSucceeded { task, .. } | Signal::TaskFailed { task, .. } = &s {
            self.pending.remove(task);
        }
        self.exec.signal(s, self.now);
        self.drain();
        self
    }

    /// The earliest armed timer (id, due).
    pub fn next_timer(&self) -> Option<(TimerId, Millis)> {
        self.timers
            .iter()
            .map(|(&id, &due)| (id, due))
            .min_by_key(|&(id, due)| (due, id))
    }

    /// Fires the earliest timer at its due time (or now, if it is overdue)
    /// and returns its due time.
    pub fn fire_next_timer(&mut self) -> Millis {
        let (id, due) = self.next_timer().expect("no timer is armed");
        self.timers.remove(&id);
        self.now = self.now.max(due);
        self.signal(Signal::TimerFired(id));
        due
    }

    /// Fires timers in due order while nothing else (a task) is pending and
    /// the execution still runs.
    pub fn run_timers(&mut self) {
        while self.pending.is_empty() && self.running() && self.next_timer().is_some() {
            self.fire_next_timer();
        }
    }

    /// The single pending task of state `name`.
    pub fn task(&self, name: &str) -> TaskRequest {
        let matching: Vec<&TaskRequest> = self
            .pending
            .values()
            .filter(|t| t.state_name == name)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "expected exactly one pending task for {name}, pending: {:?}",
            self.pending
                .values()
                .map(|t| &t.state_name)
                .collect::<Vec<_>>()
        );
        matching[0].clone()
    }

    pub fn succeed(&mut self, name: &str, output: Value) -> &mut Self {
        let t = self.task(name);
        self.signal(Signal::TaskSucceeded { task: t.id, output })
    }

    pub fn fail(&mut self, name: &str, error: &str, cause: &str) -> &mut Self {
        let t = self.task(name);
        self.signal(Signal::TaskFailed {
            task: t.id,
            error: Some(error.into()),
            cause: Some(cause.into()),
        })
    }

    pub fn running(&self) -> bool {
        *self.exec.status() == Status::Running
    }

    pub fn status(&self) -> &Status {
        self.exec.status()
    }

    pub fn output(&self) -> Value {
        match self.exec.status() {
            Status::Succeeded { output } => output.clone(),
            other => panic!(
                "execution did not succeed: {other:?}\n{}",
                self.history_text()
            ),
        }
    }

    /// `(error, cause)` of a failed execution.
    pub fn failure(&self) -> (String, String) {
        match self.exec.status() {
            Status::Failed(f) => (
                f.error.clone().unwrap_or_default(),
                f.cause.clone().unwrap_or_default(),
            ),
            other => panic!("execution did not fail: {other:?}\n{}", self.history_text()),
        }
    }

    pub fn types(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.event_type.as_str()).collect()
    }

    pub fn count(&self, ty: EventType) -> usize {
        self.events.iter().filter(|e| e.event_type == ty).count()
    }

    /// All events of a type.
    pub fn all(&self, ty: EventType) -> Vec<&HistoryEvent> {
        self.events.iter().filter(|e| e.event_type == ty).collect()
    }

    /// The only event of a type.
    pub fn one(&self, ty: EventType) -> &HistoryEvent {
        let all = self.all(ty);
        assert_eq!(all.len(), 1, "expected one {ty:?}\n{}", self.history_text());
        all[0]
    }

    pub fn last(&self) -> &HistoryEvent {
        self.events.last().expect("no events")
    }

    pub fn event(&self, id: u64) -> &HistoryEvent {
        &self.events[(id - 1) as usize]
    }

    /// The exited event of state `name` (the only one).
    pub fn exited(&self, name: &str) -> &HistoryEvent {
        let all: Vec<&HistoryEvent> = self
            .events
            .iter()
            .filter(|e| {
                e.event_type.as_str().ends_with("StateExited") && e.detail_str("name") == Some(name)
            })
            .collect();
        assert_eq!(all.len(), 1, "expected one exit of {name}");
        all[0]
    }

    /// The entered event(s) of state `name`.
    pub fn entered(&self, name: &str) -> Vec<&HistoryEvent> {
        self.events
            .iter()
            .filter(|e| {
                e.event_type.as_str().ends_with("StateEntered")
                    && e.detail_str("name") == Some(name)
            })
            .collect()
    }

    /// A compact listing, for assertion messages.
    pub fn history_text(&self) -> String {
        self.events
            .iter()
            .map(|e| {
                format!(
                    "{:>3} {:<26} prev {:>3} t+{}ms {}",
                    e.id,
                    e.event_type.as_str(),
                    e.previous_event_id,
                    e.timestamp - T0,
                    e.details
                        .to_map()
                        .map(|d| Value::Object(d).to_string())
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// §2.1: ids start at 1 and increase by one; every `previousEventId`
    /// names an earlier event (or 0).
    pub fn assert_well_formed(&self) {
        for (i, e) in self.events.iter().enumerate() {
            assert_eq!(e.id, i as u64 + 1, "ids are consecutive");
            assert!(
                e.previous_event_id < e.id,
                "event {} links forward\n{}",
                e.id,
                self.history_text()
            );
        }
    }
}

/// A JSON-text detail (input/output/parameters) parsed back into a value.
pub fn json_detail(e: &HistoryEvent, key: &str) -> Value {
    let text = e
        .detail_str(key)
        .unwrap_or_else(|| panic!("{:?} has no {key}", e.event_type));
    serde_json::from_str(text).expect("detail is JSON text")
}
