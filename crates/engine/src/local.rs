//! Drives one execution to its end in memory.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asl::{
    Effect, Execution, ExecutionInfo, HistoryEvent, Machine, Millis, Signal, Status, TaskRequest,
};
use serde_json::Value;

/// How a task ended, as a [`TaskHandler`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskResult {
    Succeeded(Value),
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// The task does not answer (it will time out if it has a timeout, or the
    /// execution stays running).
    NoAnswer,
}

/// Carries out Task states: a mock, a local Lambda, an AWS-service emulation.
pub trait TaskHandler {
    fn handle(&mut self, request: &TaskRequest, now: Millis) -> TaskResult;
}

/// Where time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Starts at the execution's start time and jumps to the next due timer
    /// when nothing else can happen.
    Virtual,
    /// Wall-clock time; timers really wait.
    Real,
}

/// The end (or the stuck point) of a run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub status: Status,
    pub history: Vec<HistoryEvent>,
    /// The clock when the run stopped.
    pub now: Millis,
}

/// Runs executions in memory.
pub struct Runner<'h> {
    handler: &'h mut dyn TaskHandler,
    clock: Clock,
}

impl<'h> Runner<'h> {
    pub fn new(handler: &'h mut dyn TaskHandler, clock: Clock) -> Self {
        Runner { handler, clock }
    }

    /// Starts an execution and runs it until it ends or nothing more can
    /// happen without outside help (a task that never answers). Each event is
    /// passed to `on_event` as it is recorded.
    pub fn run(
        &mut self,
        machine: Arc<Machine>,
        info: ExecutionInfo,
        input: Value,
        seed: u64,
        on_event: &mut dyn FnMut(&HistoryEvent),
    ) -> RunOutcome {
        let wall_start = Instant::now();
        let start_ms = info.start_time;
        let mut now = start_ms;
        let mut history = Vec::new();
        let mut exec = Execution::start(machine, info, input, seed);
        let mut timers: BTreeSet<(Millis, u64)> = BTreeSet::new();
        let mut timer_due: HashMap<u64, Millis> = HashMap::new();
        let mut tasks: VecDeque<TaskRequest> = VecDeque::new();
        loop {
            for e in exec.take_events() {
                on_event(&e);
                history.push(e);
            }
            for effect in exec.take_effects() {
                match effect {
                    Effect::SetTimer { id, due } => {
                        timers.insert((due, id));
                        timer_due.insert(id, due);
                    }
                    Effect::CancelTimer(id) => {
                        if let Some(due) = timer_due.remove(&id) {
                            timers.remove(&(due, id));
                        }
                    }
                    Effect::StartTask(req) => tasks.push_back(req),
                    Effect::CancelTask(id) => tasks.retain(|t| t.id != id),
                }
            }
            if *exec.status() != Status::Running {
                break;
            }
            if let Some(req) = tasks.pop_front() {
                let signal = match self.handler.handle(&req, now) {
                    TaskResult::Succeeded(output) => Signal::TaskSucceeded {
                        task: req.id,
                        output,
                    },
                    TaskResult::Failed { error, cause } => Signal::TaskFailed {
                        task: req.id,
                        error,
                        cause,
                    },
                    TaskResult::NoAnswer => continue,
                };
                if self.clock == Clock::Real {
                    now = start_ms + wall_start.elapsed().as_millis() as Millis;
                }
                exec.signal(signal, now);
                continue;
            }
            let Some(&(due, id)) = timers.iter().next() else {
                break; // waiting on the outside world
            };
            timers.remove(&(due, id));
            timer_due.remove(&id);
            match self.clock {
                Clock::Virtual => now = now.max(due),
                Clock::Real => {
                    let elapsed = wall_start.elapsed().as_millis() as Millis;
                    let wait = due - start_ms - elapsed;
                    if wait > 0 {
                        std::thread::sleep(Duration::from_millis(wait as u64));
                    }
                    now = start_ms + wall_start.elapsed().as_millis() as Millis;
                }
            }
            exec.signal(Signal::TimerFired(id), now);
        }
        RunOutcome {
            status: exec.status().clone(),
            history,
            now,
        }
    }
}
