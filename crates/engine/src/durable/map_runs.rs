//! Map Runs through the API: `DescribeMapRun`, `ListMapRuns`,
//! `UpdateMapRun` and the child executions behind
//! `ListExecutions(mapRunArn)`.
//!
//! A Map Run lives in its parent execution's interpreter (see
//! [`asl::map_run`]); the store only indexes which execution started it.
//! A running execution answers from memory; a closed one is rebuilt by
//! replaying its journal (once: its Map Runs are kept in a small cache until
//! a redrive changes them), so nothing about a Map Run is stored twice and
//! closed executions stay out of RAM.

use std::sync::Arc;

use asl::history::to_json_text;
use asl::map_run::ChildChange;
use asl::{ChildStatus, Execution, MapRun, MapRunStatus, MapRunUpdate, Signal};
use serde_json::Value;
use store::{ExecutionRecord, ExecutionStatus, MachineType, Write};

use super::{Engine, EngineError, Replayed, lock};

impl Engine {
    /// The Map Run and the ARN of the execution that started it.
    pub async fn describe_map_run(
        &self,
        map_run_arn: &str,
    ) -> Result<(String, MapRun), EngineError> {
        let execution_arn = self.map_run_owner(map_run_arn)?;
        let run = self
            .map_runs_snapshot(&execution_arn)
            .await?
            .iter()
            .find(|r| r.arn == map_run_arn)
            .cloned()
            .ok_or_else(|| EngineError::MapRunDoesNotExist(map_run_arn.to_string()))?;
        Ok((execution_arn, run))
    }

    /// The Map Runs an execution started, oldest first.
    pub async fn list_map_runs(&self, execution_arn: &str) -> Result<Vec<MapRun>, EngineError> {
        if self.inner.store.get_execution(execution_arn)?.is_none() {
            return Err(EngineError::ExecutionDoesNotExist(
                execution_arn.to_string(),
            ));
        }
        // Most executions have none: answer without a replay.
        if self.inner.store.map_runs_of(execution_arn)?.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.map_runs_snapshot(execution_arn).await?.to_vec())
    }

    /// `UpdateMapRun`: journaled like any other signal, so a restart or a
    /// replay applies it at the same point.
    pub async fn update_map_run(
        &self,
        map_run_arn: &str,
        update: MapRunUpdate,
    ) -> Result<(), EngineError> {
        let (execution_arn, run) = self.describe_map_run(map_run_arn).await?;
        if run.status != MapRunStatus::Running {
            return Err(EngineError::MapRunCompleted(map_run_arn.to_string()));
        }
        let signal = Signal::UpdateMapRun {
            map_run_arn: map_run_arn.to_string(),
            update,
        };
        match self.signal(&execution_arn, signal).await {
            Ok(()) => Ok(()),
            // The parent closed in between.
            Err(EngineError::ExecutionDoesNotExist(_) | EngineError::TaskTimedOut) => {
                Err(EngineError::MapRunCompleted(map_run_arn.to_string()))
            }
            Err(e) => Err(e),
        }
    }

    fn map_run_owner(&self, map_run_arn: &str) -> Result<String, EngineError> {
        self.inner
            .store
            .map_run_execution(map_run_arn)?
            .ok_or_else(|| EngineError::MapRunDoesNotExist(map_run_arn.to_string()))
    }

    /// The execution's Map Runs: from the live interpreter while it runs,
    /// else from the cache or one rebuilt from the journal.
    async fn map_runs_snapshot(
        &self,
        execution_arn: &str,
    ) -> Result<Arc<Vec<MapRun>>, EngineError> {
        /// Closed executions whose Map Runs are kept.
        const CACHED: usize = 256;
        let live = lock(&self.inner.live).get(execution_arn).cloned();
        if let Some(live) = live {
            let guard = live.lock().await;
            if !guard.closed {
                return Ok(Arc::new(guard.exec.map_runs().to_vec()));
            }
        }
        let cached = lock(&self.inner.closed_map_runs)
            .get(execution_arn)
            .map(|(redrives, runs)| (*redrives, Arc::clone(runs)));
        if let Some((redrives, runs)) = cached {
            // A redrive here drops the entry; on a shared store another node
            // may have redriven it, so check it is still the closed run cached.
            let settled = self.inner.store.cluster().is_none()
                || self
                    .inner
                    .store
                    .get_execution(execution_arn)?
                    .is_some_and(|r| {
                        r.status != ExecutionStatus::Running && r.redrive_count == redrives
                    });
            if settled {
                return Ok(runs);
            }
            lock(&self.inner.closed_map_runs).remove(execution_arn);
        }
        let engine = self.clone();
        let arn = execution_arn.to_string();
        let runs = tokio::task::spawn_blocking(move || {
            let open = engine
                .inner
                .store
                .execution_with_journal(&arn)?
                .ok_or(EngineError::ExecutionDoesNotExist(arn))?;
            let Replayed { exec, .. } = engine.replay(&open)?;
            let closed = exec.status() != &asl::Status::Running;
            let redrives = exec.info().redrive_count.unwrap_or(0);
            Ok::<_, EngineError>((exec.map_runs().to_vec(), closed, redrives))
        })
        .await
        .map_err(|e| EngineError::Internal(format!("replay task failed: {e}")))??;
        let (runs, closed, redrives) = runs;
        let runs = Arc::new(runs);
        // Only a closed execution's Map Runs are settled, and only if no
        // redrive reopened it since it was read.
        let current = self
            .inner
            .store
            .get_execution(execution_arn)?
            .map(|r| r.redrive_count);
        if closed
            && current == Some(redrives)
            && !lock(&self.inner.live).contains_key(execution_arn)
        {
            let mut cache = lock(&self.inner.closed_map_runs);
            if cache.len() >= CACHED {
                cache.clear();
            }
            cache.insert(execution_arn.to_string(), (redrives, Arc::clone(&runs)));
        }
        Ok(runs)
    }
}

/// The store writes for what happened to an execution's Map Run children
/// during one step: each child is an execution record of its own (no
/// journal: it runs inside the parent), committed in the parent's batch.
pub(super) fn child_writes(exec: &mut Execution, parent: &ExecutionRecord) -> Vec<Write> {
    let changes = exec.take_child_changes();
    if changes.is_empty() {
        return Vec::new();
    }
    let mut writes: Vec<Write> = Vec::new();
    // The ItemProcessor each Map Run's children run, found once per step.
    let mut definitions: Vec<(String, String)> = Vec::new();
    for change in changes {
        match change {
            ChildChange::Started {
                execution_arn,
                name,
                state_machine_arn,
                map_run_arn,
                input,
                item_count,
                start_date,
            } => writes.push(Write::CreateExecution(ExecutionRecord {
                arn: execution_arn,
                name,
                state_machine_arn,
                version_arn: None,
                alias_arn: None,
                definition: child_definition(exec, parent, &map_run_arn, &mut definitions),
                machine_type: MachineType::Standard,
                role_arn: parent.role_arn.clone(),
                status: ExecutionStatus::Running,
                input: to_json_text(&input),
                output: None,
                error: None,
                cause: None,
                start_date,
                stop_date: None,
                seed: 0,
                redrive_count: 0,
                redrive_date: None,
                trace_header: None,
                map_run_arn: Some(map_run_arn),
                item_count: Some(item_count as u64),
            })),
            ChildChange::Event {
                execution_arn,
                event,
            } => match writes.last_mut() {
                // One append per child and step.
                Some(Write::AppendEvents {
                    execution_arn: arn,
                    events,
                }) if *arn == execution_arn => events.push(event),
                _ => writes.push(Write::AppendEvents {
                    execution_arn,
                    events: vec![event],
                }),
            },
            ChildChange::Closed {
                execution_arn,
                status,
                output,
                error,
                cause,
                stop_date,
            } => writes.push(Write::CloseExecution {
                execution_arn,
                status: match status {
                    ChildStatus::Running => ExecutionStatus::Running,
                    ChildStatus::Succeeded => ExecutionStatus::Succeeded,
                    ChildStatus::Failed => ExecutionStatus::Failed,
                    ChildStatus::Aborted => ExecutionStatus::Aborted,
                },
                output: output.as_ref().map(to_json_text),
                error,
                cause,
                stop_date,
            }),
            ChildChange::Redriven {
                execution_arn,
                redrive_count,
                redrive_date,
            } => writes.push(Write::ReopenExecution {
                execution_arn,
                redrive_count,
                redrive_date,
            }),
        }
    }
    writes
}

/// The definition a Map Run's children run: its Map state's `ItemProcessor`
/// (or legacy `Iterator`), as AWS shows for the labelled state machine;
/// the parent's whole definition if it cannot be found.
fn child_definition(
    exec: &Execution,
    parent: &ExecutionRecord,
    map_run_arn: &str,
    known: &mut Vec<(String, String)>,
) -> String {
    if let Some((_, d)) = known.iter().find(|(arn, _)| arn == map_run_arn) {
        return d.clone();
    }
    let state = exec
        .map_runs()
        .iter()
        .find(|r| r.arn == map_run_arn)
        .map(|r| r.state_name.as_str());
    let found = state.and_then(|name| {
        let root: Value = serde_json::from_str(&parent.definition).ok()?;
        processor_of(&root, name).map(Value::to_string)
    });
    let definition = found.unwrap_or_else(|| parent.definition.clone());
    known.push((map_run_arn.to_string(), definition.clone()));
    definition
}

/// Finds Map state `name` anywhere in a block (state names are unique in a
/// whole machine) and returns its processor.
fn processor_of<'a>(block: &'a Value, name: &str) -> Option<&'a Value> {
    let states = block.get("States")?.as_object()?;
    for (state_name, state) in states {
        if state_name == name && state.get("Type").and_then(Value::as_str) == Some("Map") {
            return state.get("ItemProcessor").or_else(|| state.get("Iterator"));
        }
        let nested = state
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(state.get("ItemProcessor"))
            .chain(state.get("Iterator"));
        for inner in nested {
            if let Some(found) = processor_of(inner, name) {
                return Some(found);
            }
        }
    }
    None
}
