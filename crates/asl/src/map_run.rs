//! Map Runs: what a Distributed Map state reports about itself and its
//! child executions (`DescribeMapRun`, `ListMapRuns`,
//! `ListExecutions(mapRunArn)`), and what `UpdateMapRun` may change while it
//! runs.
//!
//! The interpreter keeps one [`MapRun`] per Distributed Map attempt (a
//! retried Map state starts a new Map Run, as on AWS). Everything here is
//! derived from signals the execution already received, so a replayed
//! execution rebuilds its Map Runs exactly.

use serde_json::Value;

use crate::execution::Rng;
use crate::history::{HistoryEvent, Millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl MapRunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MapRunStatus::Running => "RUNNING",
            MapRunStatus::Succeeded => "SUCCEEDED",
            MapRunStatus::Failed => "FAILED",
            MapRunStatus::Aborted => "ABORTED",
        }
    }
}

/// A child workflow execution's status (AWS's `ExecutionStatus` subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl ChildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChildStatus::Running => "RUNNING",
            ChildStatus::Succeeded => "SUCCEEDED",
            ChildStatus::Failed => "FAILED",
            ChildStatus::Aborted => "ABORTED",
        }
    }
}

/// One child workflow execution of a Map Run: one item (no `ItemBatcher`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChildExecution {
    /// The item's index in the Map's input.
    pub index: usize,
    /// A UUID, as AWS names Map Run children.
    pub name: String,
    /// Items it processes (more than 1 with an `ItemBatcher`).
    pub item_count: usize,
    pub status: ChildStatus,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// How many times a redrive of the parent ran this child again.
    pub redrive_count: u32,
    pub redrive_date: Option<Millis>,
    /// Index of its history in the interpreter.
    pub(crate) history: usize,
}

/// What happened to Distributed Map child executions, for a runtime that
/// keeps them as executions of their own (`ExecutionInfo::child_executions`):
/// each can then be described and its history read like any execution.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildChange {
    Started {
        execution_arn: String,
        name: String,
        /// The labelled state machine (`…:stateMachine:<name>/<label>`).
        state_machine_arn: String,
        map_run_arn: String,
        input: Value,
        /// Items it processes (more than 1 with an `ItemBatcher`).
        item_count: usize,
        start_date: Millis,
    },
    /// One event of the child's own history (ids start at 1 per child).
    Event {
        execution_arn: String,
        event: HistoryEvent,
    },
    Closed {
        execution_arn: String,
        status: ChildStatus,
        output: Option<Value>,
        error: Option<String>,
        cause: Option<String>,
        stop_date: Millis,
    },
    /// The parent's redrive runs the child again.
    Redriven {
        execution_arn: String,
        redrive_count: u32,
        redrive_date: Millis,
    },
}

/// The settings `UpdateMapRun` may change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapRunUpdate {
    pub max_concurrency: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
    pub tolerated_failure_count: Option<u64>,
}

/// Counters in the shape of AWS's `MapRunItemCounts` and
/// `MapRunExecutionCounts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
    pub total: u64,
    pub results_written: u64,
    pub failures_not_redrivable: u64,
    pub pending_redrive: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapRun {
    /// `arn:…:mapRun:<stateMachineName>/<label>:<uuid>`.
    pub arn: String,
    /// The labelled state machine its children run as:
    /// `arn:…:stateMachine:<stateMachineName>/<label>`.
    pub state_machine_arn: String,
    /// The Map state's name.
    pub state_name: String,
    pub status: MapRunStatus,
    pub start_date: Millis,
    pub stop_date: Option<Millis>,
    /// 0 means no limit.
    pub max_concurrency: u64,
    pub tolerated_failure_percentage: f64,
    pub tolerated_failure_count: u64,
    pub redrive_count: u32,
    pub redrive_date: Option<Millis>,
    /// Items the Map Run processes.
    pub item_total: usize,
    /// Children started so far, in start order.
    pub children: Vec<ChildExecution>,
    /// Seeds the children's names, so naming them draws nothing from the
    /// execution's own generator (`States.UUID` results stay as they were).
    name_seed: u64,
}

impl MapRun {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        arn: String,
        state_machine_arn: String,
        state_name: String,
        start_date: Millis,
        max_concurrency: u64,
        tolerated_failure_percentage: f64,
        tolerated_failure_count: u64,
        item_total: usize,
        name_seed: u64,
    ) -> MapRun {
        MapRun {
            arn,
            state_machine_arn,
            state_name,
            status: MapRunStatus::Running,
            start_date,
            stop_date: None,
            max_concurrency,
            tolerated_failure_percentage,
            tolerated_failure_count,
            redrive_count: 0,
            redrive_date: None,
            item_total,
            children: Vec::new(),
            name_seed,
        }
    }

    /// The ARN of child execution `name`:
    /// `arn:…:execution:<stateMachineName>/<label>:<name>`.
    pub fn child_arn(&self, name: &str) -> String {
        format!(
            "{}:{name}",
            self.state_machine_arn
                .replacen(":stateMachine:", ":execution:", 1)
        )
    }

    /// Records that item `index` started as a child execution whose
    /// history is the interpreter's `history`; returns the child.
    pub(crate) fn child_started(
        &mut self,
        index: usize,
        item_count: usize,
        now: Millis,
        history: usize,
    ) -> &ChildExecution {
        let mut rng = Rng::new(self.name_seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.children.push(ChildExecution {
            index,
            name: rng.uuid(),
            item_count,
            status: ChildStatus::Running,
            start_date: now,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
            history,
        });
        &self.children[self.children.len() - 1]
    }

    /// A redrive runs child `index` again; returns it.
    pub(crate) fn child_rerun(&mut self, index: usize, now: Millis) -> Option<&ChildExecution> {
        let c = self.child_mut(index)?;
        c.status = ChildStatus::Running;
        c.stop_date = None;
        c.redrive_count += 1;
        c.redrive_date = Some(now);
        Some(c)
    }

    /// Closes child `index` unless it already has; returns it when it did.
    pub(crate) fn child_ended(
        &mut self,
        index: usize,
        status: ChildStatus,
        now: Millis,
    ) -> Option<&ChildExecution> {
        let c = self.child_mut(index)?;
        if c.status != ChildStatus::Running {
            return None;
        }
        c.status = status;
        c.stop_date = Some(now);
        Some(c)
    }

    pub(crate) fn end(&mut self, status: MapRunStatus, now: Millis) {
        if self.status == MapRunStatus::Running {
            self.status = status;
            self.stop_date = Some(now);
        }
    }

    pub(crate) fn redriven(&mut self, now: Millis) {
        self.status = MapRunStatus::Running;
        self.stop_date = None;
        self.redrive_count += 1;
        self.redrive_date = Some(now);
    }

    /// Child `index` (children start in index order).
    pub fn child(&self, index: usize) -> Option<&ChildExecution> {
        match self.children.get(index) {
            Some(c) if c.index == index => Some(c),
            _ => self.children.iter().find(|c| c.index == index),
        }
    }

    fn child_mut(&mut self, index: usize) -> Option<&mut ChildExecution> {
        // Children start in index order, so the position is usually the index.
        match self.children.get(index) {
            Some(c) if c.index == index => self.children.get_mut(index),
            _ => self.children.iter_mut().find(|c| c.index == index),
        }
    }

    /// `executionCounts`: the child executions started so far.
    pub fn execution_counts(&self) -> MapRunCounts {
        let mut n = MapRunCounts::default();
        for c in &self.children {
            match c.status {
                ChildStatus::Running => n.running += 1,
                ChildStatus::Succeeded => n.succeeded += 1,
                ChildStatus::Failed => n.failed += 1,
                ChildStatus::Aborted => n.aborted += 1,
            }
        }
        n.total = self.children.len() as u64;
        if self.status != MapRunStatus::Running {
            // Once the Map Run has closed, its unsuccessful children wait
            // for a redrive of the parent.
            n.pending_redrive = n.failed + n.aborted;
        }
        n
    }

    /// `itemCounts`: every item, started or not, counted through the
    /// child that carries it.
    pub fn item_counts(&self) -> MapRunCounts {
        let mut n = MapRunCounts::default();
        let mut started = 0;
        for c in &self.children {
            let k = c.item_count as u64;
            started += k;
            match c.status {
                ChildStatus::Running => n.running += k,
                ChildStatus::Succeeded => n.succeeded += k,
                ChildStatus::Failed => n.failed += k,
                ChildStatus::Aborted => n.aborted += k,
            }
        }
        n.total = self.item_total as u64;
        n.pending = n.total.saturating_sub(started);
        if self.status != MapRunStatus::Running {
            n.pending_redrive = n.failed + n.aborted;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(total: usize) -> MapRun {
        MapRun::new(
            "arn:aws:states:us-east-1:123456789012:mapRun:sm/L:u".into(),
            "arn:aws:states:us-east-1:123456789012:stateMachine:sm/L".into(),
            "Map".into(),
            1_000,
            2,
            0.0,
            0,
            total,
            42,
        )
    }

    #[test]
    fn counts_follow_children_and_pending_items() {
        let mut r = run(5);
        r.child_started(0, 1, 1_001, 0);
        r.child_started(1, 1, 1_002, 1);
        r.child_ended(0, ChildStatus::Succeeded, 1_010);
        r.child_ended(1, ChildStatus::Failed, 1_011);
        r.child_started(2, 1, 1_012, 2);
        let items = r.item_counts();
        assert_eq!(
            (
                items.total,
                items.pending,
                items.running,
                items.succeeded,
                items.failed
            ),
            (5, 2, 1, 1, 1)
        );
        let execs = r.execution_counts();
        assert_eq!(
            (execs.total, execs.pending, execs.pending_redrive),
            (3, 0, 0)
        );
        r.child_ended(2, ChildStatus::Aborted, 1_020);
        r.end(MapRunStatus::Failed, 1_020);
        assert_eq!(r.execution_counts().pending_redrive, 2);
        assert_eq!(r.stop_date, Some(1_020));
    }

    #[test]
    fn child_names_are_distinct_uuids_and_stable() {
        let mut a = run(3);
        let mut b = run(3);
        for i in 0..3 {
            a.child_started(i, 1, 0, i);
            b.child_started(i, 1, 0, i);
        }
        assert_eq!(a.children, b.children);
        assert_ne!(a.children[0].name, a.children[1].name);
        assert_eq!(a.children[0].name.len(), 36);
        assert_eq!(
            a.child_arn(&a.children[0].name),
            format!(
                "arn:aws:states:us-east-1:123456789012:execution:sm/L:{}",
                a.children[0].name
            )
        );
    }

    #[test]
    fn a_rerun_child_counts_its_redrive_and_a_closed_child_stays_closed() {
        let mut r = run(1);
        r.child_started(0, 1, 0, 0);
        assert!(r.child_ended(0, ChildStatus::Failed, 5).is_some());
        assert!(r.child_ended(0, ChildStatus::Succeeded, 6).is_none());
        assert_eq!(r.children[0].status, ChildStatus::Failed);
        r.child_rerun(0, 10);
        assert_eq!(
            (
                r.children[0].status,
                r.children[0].redrive_count,
                r.children[0].stop_date
            ),
            (ChildStatus::Running, 1, None)
        );
    }
}
