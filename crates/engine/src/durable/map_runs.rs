//! Map Runs through the API: `DescribeMapRun`, `ListMapRuns`,
//! `UpdateMapRun` and the child executions behind
//! `ListExecutions(mapRunArn)`.
//!
//! A Map Run lives in its parent execution's interpreter (see
//! [`asl::map_run`]); the store only indexes which execution started it.
//! A running execution answers from memory; a closed one is rebuilt by
//! replaying its journal, so nothing about a Map Run is stored twice and
//! closed executions stay out of RAM.

use asl::{Execution, MapRun, MapRunStatus, MapRunUpdate, Signal};

use super::{Engine, EngineError, Replayed, lock};

impl Engine {
    /// The Map Run and the ARN of the execution that started it.
    pub async fn describe_map_run(
        &self,
        map_run_arn: &str,
    ) -> Result<(String, MapRun), EngineError> {
        let execution_arn = self.map_run_owner(map_run_arn)?;
        let wanted = map_run_arn.to_string();
        let run = self
            .inspect(&execution_arn, move |exec| {
                exec.map_runs().iter().find(|r| r.arn == wanted).cloned()
            })
            .await?
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
        self.inspect(execution_arn, |exec| exec.map_runs().to_vec())
            .await
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

    /// Runs `f` on the execution's interpreter: the live one while it runs,
    /// else one rebuilt from the journal.
    async fn inspect<T: Send + 'static>(
        &self,
        execution_arn: &str,
        f: impl FnOnce(&Execution) -> T + Send + 'static,
    ) -> Result<T, EngineError> {
        let live = lock(&self.inner.live).get(execution_arn).cloned();
        if let Some(live) = live {
            let guard = live.lock().await;
            if !guard.closed {
                return Ok(f(&guard.exec));
            }
        }
        let engine = self.clone();
        let arn = execution_arn.to_string();
        tokio::task::spawn_blocking(move || {
            let open = engine
                .inner
                .store
                .execution_with_journal(&arn)?
                .ok_or(EngineError::ExecutionDoesNotExist(arn))?;
            let Replayed { exec, .. } = engine.replay(&open)?;
            Ok(f(&exec))
        })
        .await
        .map_err(|e| EngineError::Internal(format!("replay task failed: {e}")))?
    }
}
