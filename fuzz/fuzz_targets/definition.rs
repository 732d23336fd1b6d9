//! Arbitrary bytes as a state machine definition: validate, and when the
//! validator accepts it, compile and run it with input `{}`. Tasks answer
//! with their parameters (every third one fails), timers fire in order.
//! Must never panic or hang.
#![no_main]

use std::sync::Arc;

use asl::{Effect, Execution, ExecutionInfo, Signal, Status};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

/// Give up on an execution after this many history events.
const MAX_EVENTS: u64 = 10_000;
/// ... or after this many signals.
const MAX_SIGNALS: usize = 2_000;

fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:fuzz:run".into(),
        name: "run".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz".into(),
        state_machine_name: "fuzz".into(),
        role_arn: "arn:aws:iam::123456789012:role/fuzz".into(),
        region: "us-east-1".into(),
        start_time: 1_700_000_000_000,
        redrive_count: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let diagnostics = asl::validate_str(text);
    if diagnostics.iter().any(|d| d.is_error()) {
        return;
    }
    let Ok(machine) = asl::load(text) else {
        return;
    };
    let mut exec = Execution::start(Arc::new(machine), info(), json!({}), 1);
    let mut now = exec.info().start_time;
    let mut pending = Vec::new();
    let mut timers = Vec::new();
    let mut signals = 0usize;
    let mut answered = 0u64;
    loop {
        let _ = exec.take_events();
        for effect in exec.take_effects() {
            match effect {
                Effect::StartTask(req) => pending.push(req),
                Effect::CancelTask(id) => pending.retain(|t| t.id != id),
                Effect::SetTimer { id, due } => timers.push((due, id)),
                Effect::CancelTimer(id) => timers.retain(|&(_, t)| t != id),
            }
        }
        if *exec.status() != Status::Running
            || exec.event_count() >= MAX_EVENTS
            || signals >= MAX_SIGNALS
        {
            break;
        }
        signals += 1;
        if !pending.is_empty() {
            let req = pending.remove(0);
            answered += 1;
            let signal = if answered % 3 == 0 {
                Signal::TaskFailed {
                    task: req.id,
                    error: Some("Fuzz.Error".into()),
                    cause: Some("fuzz".into()),
                }
            } else {
                Signal::TaskSucceeded {
                    task: req.id,
                    output: req.parameters,
                }
            };
            exec.signal(signal, now);
            continue;
        }
        timers.sort();
        if timers.is_empty() {
            exec.signal(
                Signal::Stop {
                    error: None,
                    cause: None,
                },
                now,
            );
            continue;
        }
        let (due, id) = timers.remove(0);
        now = now.max(due);
        exec.signal(Signal::TimerFired(id), now);
    }
});
