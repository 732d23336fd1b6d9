//! The `baton` command line.

mod demo;
mod diagram;
mod mail;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use asl::{EventType, ExecutionInfo, HistoryEvent, Status};
use clap::{Parser, Subcommand};
use engine::{Clock, MockConfig, MockHandler, Runner, TaskHandler, TaskResult};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "An AWS Step Functions-compatible workflow system"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The seed's lottery tutorial, deployed and drawn on a local Baton.
    Demo(demo::DemoArgs),
    /// Serve the AWS APIs (Step Functions today) on one port, durably.
    Serve(serve::ServeArgs),
    /// List the e-mails SNS delivered to Baton's mailbox.
    Mail(mail::MailArgs),
    /// Check state machine definitions the way CreateStateMachine does.
    Validate {
        /// Definition files (ASL JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print the diagnostics as JSON (ValidateStateMachineDefinition's shape).
        #[arg(long)]
        json: bool,
    },
    /// Draw a definition as a diagram (SVG, Graphviz DOT, Mermaid or layout JSON).
    Diagram(diagram::DiagramArgs),
    /// Run a definition once, in memory, and print its output.
    Run {
        /// Definition file (ASL JSON).
        file: PathBuf,
        /// Execution input: JSON text, or @path to read it from a file.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Task results from a Step Functions Local mock file: FILE#TestCase.
        #[arg(long)]
        mock: Option<String>,
        /// Let Waits and retry back-offs take real time (default: a virtual
        /// clock that jumps to the next timer).
        #[arg(long)]
        real_time: bool,
        /// Print the full execution history as JSON (GetExecutionHistory's shape).
        #[arg(long)]
        history: bool,
        /// Execution name.
        #[arg(long, default_value = "local")]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::serve(args).map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => demo::demo(args),
        Command::Mail(args) => mail::mail(args).map(|()| ExitCode::SUCCESS),
        Command::Validate { files, json } => validate(&files, json),
        Command::Diagram(args) => diagram::diagram(args),
        Command::Run {
            file,
            input,
            mock,
            real_time,
            history,
            name,
        } => run(&file, &input, mock.as_deref(), real_time, history, &name),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn validate(files: &[PathBuf], as_json: bool) -> Result<ExitCode> {
    let mut failed = false;
    let mut report = Vec::new();
    for file in files {
        let text = read(file)?;
        let diagnostics = asl::validate_str(&text);
        failed |= diagnostics.iter().any(|d| d.is_error());
        if as_json {
            report.push(json!({
                "file": file.display().to_string(),
                "result": if diagnostics.iter().any(|d| d.is_error()) { "FAIL" } else { "OK" },
                "diagnostics": diagnostics.iter().map(|d| json!({
                    "severity": d.severity.as_aws_str(),
                    "code": d.code.aws_code(),
                    "message": d.message,
                    "location": d.location,
                })).collect::<Vec<_>>(),
            }));
        } else if diagnostics.is_empty() {
            println!("{}: OK", file.display());
        } else {
            for d in &diagnostics {
                println!(
                    "{}: {} {} at {}: {}",
                    file.display(),
                    d.severity.as_aws_str(),
                    d.code.aws_code(),
                    d.location,
                    d.message
                );
            }
        }
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Tasks when no mock file is given: there is nothing local to call yet.
struct NoHandler;

impl TaskHandler for NoHandler {
    fn handle(&mut self, request: &asl::TaskRequest, _now: asl::Millis) -> TaskResult {
        TaskResult::Failed {
            error: Some("States.TaskFailed".into()),
            cause: Some(format!(
                "No handler for resource '{}' in state '{}': pass --mock FILE#TestCase to give Task states results.",
                request.resource, request.state_name
            )),
        }
    }
}

fn run(
    file: &Path,
    input: &str,
    mock: Option<&str>,
    real_time: bool,
    print_history: bool,
    name: &str,
) -> Result<ExitCode> {
    let text = read(file)?;
    let machine = match asl::load(&text) {
        Ok(m) => Arc::new(m),
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!(
                    "{}: {} at {}: {}",
                    file.display(),
                    d.code.aws_code(),
                    d.location,
                    d.message
                );
            }
            return Ok(ExitCode::from(1));
        }
    };
    let input_text = match input.strip_prefix('@') {
        Some(path) => read(Path::new(path))?,
        None => input.to_string(),
    };
    let input: Value = serde_json::from_str(&input_text).context("--input is not valid JSON")?;
    let mut handler: Box<dyn TaskHandler> = match mock {
        Some(spec) => {
            let (path, case) = spec
                .split_once('#')
                .ok_or_else(|| anyhow!("--mock takes FILE#TestCase"))?;
            let config = MockConfig::parse(&read(Path::new(path))?, case)?;
            Box::new(MockHandler::new(config))
        }
        None => Box::new(NoHandler),
    };
    let machine_name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "machine".into());
    let region = "us-east-1";
    let account = "123456789012";
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let info = ExecutionInfo {
        execution_arn: format!("arn:aws:states:{region}:{account}:execution:{machine_name}:{name}"),
        name: name.to_string(),
        state_machine_arn: format!("arn:aws:states:{region}:{account}:stateMachine:{machine_name}"),
        state_machine_name: machine_name.clone(),
        role_arn: format!("arn:aws:iam::{account}:role/baton-local"),
        region: region.into(),
        start_time: start,
        redrive_count: Some(0),
        child_executions: false,
    };
    let clock = if real_time {
        Clock::Real
    } else {
        Clock::Virtual
    };
    let mut runner = Runner::new(handler.as_mut(), clock);
    let mut progress = |e: &HistoryEvent| print_progress(e, start);
    let outcome = runner.run(machine, info, input, start as u64, &mut progress);
    if print_history {
        let events: Vec<Value> = outcome
            .history
            .iter()
            .map(|e| e.to_aws_json(true))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "events": events }))?
        );
    }
    Ok(match outcome.status {
        Status::Succeeded { output } => {
            if !print_history {
                println!("{}", serde_json::to_string_pretty(&output)?);
            }
            ExitCode::SUCCESS
        }
        Status::Running => {
            eprintln!("execution is still running: it waits for a task that did not answer");
            ExitCode::from(1)
        }
        other => {
            let f = match &other {
                Status::Failed(f) | Status::TimedOut(f) | Status::Aborted(f) => f.clone(),
                _ => unreachable!("handled above"),
            };
            eprintln!("execution {}", other.name());
            eprintln!("  error: {}", f.error.unwrap_or_default());
            if let Some(c) = f.cause {
                eprintln!("  cause: {c}");
            }
            ExitCode::from(1)
        }
    })
}

/// One line per state as it ends, with the (possibly virtual) time offset.
fn print_progress(e: &HistoryEvent, start: i64) {
    let t = (e.timestamp - start) as f64 / 1000.0;
    let name = e.detail_str("name").unwrap_or("");
    let ty = e.event_type.as_str();
    if ty.ends_with("StateExited") {
        eprintln!("  +{t:>8.3}s  ✓ {name}");
    } else if e.event_type == EventType::FailStateEntered {
        eprintln!("  +{t:>8.3}s  ✗ {name}");
    } else if ty.ends_with("Failed") || ty.ends_with("TimedOut") {
        let err = e.detail_str("error").unwrap_or("");
        if !err.is_empty() {
            eprintln!("  +{t:>8.3}s  ! {ty}: {err}");
        }
    }
}
