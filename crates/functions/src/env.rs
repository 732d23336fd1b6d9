//! Execution environments: one runtime process (awslambdaric or a custom
//! `bootstrap`) plus the Runtime API server it polls. An environment runs one
//! invocation at a time and is kept warm between invocations.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::runtime_api::{Invocation, RuntimeApi, RuntimeEvent};

/// What a runtime process is started with.
pub struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

/// How an invocation ended.
#[derive(Debug)]
pub enum Outcome {
    Success(Bytes),
    /// A function or platform error: the error JSON body.
    Error(Bytes),
}

pub struct Environment {
    pub revision: u64,
    api: RuntimeApi,
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    pub initialized: bool,
    /// Set when the environment must not be reused.
    pub dead: bool,
}

impl Environment {
    pub async fn start(launch: Launch, revision: u64) -> std::io::Result<Environment> {
        let api = RuntimeApi::start().await?;
        let mut cmd = Command::new(&launch.program);
        cmd.args(&launch.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in ["PATH", "LANG", "HOME", "SYSTEMROOT"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        for (k, v) in &launch.env {
            cmd.env(k, v);
        }
        cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string());
        let mut child = cmd.spawn()?;
        let output = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(pump(BufReader::new(out), Arc::clone(&output)));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(pump(BufReader::new(err), Arc::clone(&output)));
        }
        Ok(Environment {
            revision,
            api,
            child,
            output,
            initialized: false,
            dead: false,
        })
    }

    /// Runs one invocation to its end or its deadline.
    pub async fn invoke(&mut self, inv: Invocation, timeout: Duration) -> Outcome {
        let id = inv.request_id.clone();
        let deadline = Instant::now() + timeout;
        if self.api.invocations.send(inv).await.is_err() {
            self.dead = true;
            return Outcome::Error(platform_error(
                "Runtime.ExitError",
                &format!("RequestId: {id} Error: Runtime exited without providing a reason"),
            ));
        }
        let sleep = tokio::time::sleep_until(deadline.into());
        tokio::pin!(sleep);
        let outcome = loop {
            tokio::select! {
                biased;
                event = self.api.events.recv() => match event {
                    Some(RuntimeEvent::Response { request_id, body }) if request_id == id => {
                        break Outcome::Success(body);
                    }
                    Some(RuntimeEvent::Error { request_id, body, .. }) if request_id == id => {
                        break Outcome::Error(body);
                    }
                    Some(RuntimeEvent::InitError { body, .. }) => {
                        self.dead = true;
                        break Outcome::Error(body);
                    }
                    Some(_) => continue,
                    None => {
                        self.dead = true;
                        break Outcome::Error(platform_error(
                            "Runtime.ExitError",
                            &format!("RequestId: {id} Error: Runtime exited without providing a reason"),
                        ));
                    }
                },
                status = self.child.wait() => {
                    self.dead = true;
                    // An init error posted just before exiting wins.
                    if let Ok(RuntimeEvent::InitError { body, .. }) = self.api.events.try_recv() {
                        break Outcome::Error(body);
                    }
                    let reason = match status {
                        Ok(s) => match s.code() {
                            Some(code) => format!("exit status {code}"),
                            None => signal_text(&s),
                        },
                        Err(e) => e.to_string(),
                    };
                    break Outcome::Error(platform_error(
                        "Runtime.ExitError",
                        &format!("RequestId: {id} Error: Runtime exited with error: {reason}"),
                    ));
                }
                _ = &mut sleep => {
                    self.dead = true;
                    let _ = self.child.start_kill();
                    let secs = timeout.as_secs_f64();
                    self.push_line(format!("{} {id} Task timed out after {secs:.2} seconds", crate::log_timestamp()));
                    break Outcome::Error(platform_error(
                        "Sandbox.Timedout",
                        &format!("RequestId: {id} Error: Task timed out after {secs:.2} seconds"),
                    ));
                }
            }
        };
        self.initialized = true;
        outcome
    }

    fn push_line(&self, line: String) {
        self.output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }

    /// The output lines written since the last call.
    pub fn take_output(&self) -> Vec<String> {
        std::mem::take(&mut *self.output.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[cfg(unix)]
fn signal_text(s: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match s.signal() {
        Some(9) => "signal: killed".into(),
        Some(sig) => format!("signal: {sig}"),
        None => "unknown".into(),
    }
}

#[cfg(not(unix))]
fn signal_text(_: &std::process::ExitStatus) -> String {
    "unknown".into()
}

/// An error Lambda itself reports (timeouts, crashes), in AWS's key order.
pub fn platform_error(error_type: &str, message: &str) -> Bytes {
    let v = serde_json::json!({"errorType": error_type, "errorMessage": message});
    Bytes::from(v.to_string())
}

async fn pump<R: tokio::io::AsyncRead + Unpin>(
    reader: BufReader<R>,
    sink: Arc<Mutex<Vec<String>>>,
) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        sink.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}
