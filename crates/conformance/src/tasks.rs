//! Task states in process: Lambda functions run on Baton's local Lambda
//! (`functions::Registry` behind the same `LambdaDispatcher` `baton serve`
//! uses); any other resource fails, as no-external-service cases expect.
//!
//! Time: the runner's clock is virtual (Waits and retry back-offs take no
//! real time), but a function really runs. Its real running time counts at
//! `time_scale` against the state's TimeoutSeconds, as under `baton serve
//! --time-scale`: with the default 100, a `TimeoutSeconds: 5` task whose
//! function has not answered after 50 ms times out, and the invocation is
//! abandoned (its runtime process killed). Tasks without TimeoutSeconds wait
//! for the function (whose own Timeout still applies).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use asl::TaskRequest;
use engine::durable::TaskDispatcher;
use engine::{TaskHandler, TaskResult};

use crate::lambdas::{self, Function};

/// The account and region of the corpus's ARNs.
pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "us-east-1";

/// No-external-service cases have nothing to call.
struct Unavailable;

impl TaskDispatcher for Unavailable {
    fn invoke(&self, request: TaskRequest) -> Pin<Box<dyn Future<Output = TaskResult> + Send>> {
        Box::pin(async move {
            TaskResult::Failed {
                error: Some("States.TaskFailed".into()),
                cause: Some(format!("no handler for {}", request.resource)),
            }
        })
    }
}

pub struct LocalTasks {
    runtime: tokio::runtime::Runtime,
    registry: functions::Registry,
    dispatcher: Arc<dyn TaskDispatcher>,
    /// Function name → the fixture file it runs now.
    deployed: HashMap<String, &'static str>,
    time_scale: f64,
}

impl LocalTasks {
    pub fn new(time_scale: f64) -> Result<LocalTasks> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let registry = functions::Registry::open(functions::Settings {
            data_dir: None,
            region: REGION.into(),
            account: ACCOUNT.into(),
            // The fixtures make no AWS calls.
            endpoint_url: "http://127.0.0.1:9".into(),
            python: None,
        })
        .context("cannot open the local Lambda registry")?;
        let dispatcher = Arc::new(functions::LambdaDispatcher::new(
            registry.clone(),
            Arc::new(Unavailable),
        ));
        Ok(LocalTasks {
            runtime,
            registry,
            dispatcher,
            deployed: HashMap::new(),
            time_scale: if time_scale > 0.0 { time_scale } else { 1.0 },
        })
    }

    pub fn arn(&self, name: &str) -> String {
        self.registry.arn(name)
    }

    /// Makes each function run its fixture, replacing a function of the same
    /// name that ran another one.
    pub fn deploy(&mut self, functions: &[Function]) -> Result<()> {
        let _in_runtime = self.runtime.enter();
        for f in functions {
            if self.deployed.get(&f.name) == Some(&f.fixture.file) {
                continue;
            }
            let _ = self.registry.delete(&f.name);
            self.deployed.remove(&f.name);
            self.registry
                .create(functions::CreateSpec {
                    name: f.name.clone(),
                    runtime: lambdas::RUNTIME.into(),
                    role: lambdas::ROLE.into(),
                    handler: lambdas::HANDLER.into(),
                    description: format!("conformance fixture {}", f.fixture.file),
                    timeout: Some(f.fixture.timeout),
                    memory_size: None,
                    environment: Default::default(),
                    code: functions::Code::Zip(lambdas::zip_of(f.fixture)),
                })
                .with_context(|| format!("deploying {} as {}", f.fixture.file, f.name))?;
            self.deployed.insert(f.name.clone(), f.fixture.file);
        }
        Ok(())
    }
}

impl TaskHandler for LocalTasks {
    fn handle(&mut self, request: &TaskRequest, _now: asl::Millis) -> TaskResult {
        let answer = self.dispatcher.invoke(request.clone());
        let budget = request
            .timeout_seconds
            .map(|t| Duration::from_secs_f64(t as f64 / self.time_scale));
        self.runtime.block_on(async move {
            match budget {
                // Not answered in time: the state's timeout timer decides.
                Some(b) => tokio::time::timeout(b, answer)
                    .await
                    .unwrap_or(TaskResult::NoAnswer),
                None => answer.await,
            }
        })
    }
}
