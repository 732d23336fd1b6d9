//! Behaviour tests of the pure interpreter, driven by hand: every task is
//! answered and every timer fired explicitly, at explicit times.
//!
//! AWS's behaviour is the specification. Comments cite the rule under test in
//! `shared/reference/step-functions.md` (§2 history events, §3.5 variables,
//! §3.6 states, §3.7 Retry/Catch, §3.8 context object, §5.2 quotas) or an
//! AWS recording in `shared/conformance/sfn/cases/`.

mod common;

use asl::{EventType as E, Signal, Status, TaskRequest};
use common::*;
use serde_json::{Value, json};

/// `T` (the state under test) → `Done`; catchers may go to `Handler` or
/// `Other` (included only when referenced: unreachable states don't validate).
fn with_task(task: Value) -> Value {
    let text = task.to_string();
    let mut states = json!({"T": task, "Done": {"Type": "Pass", "End": true}});
    for extra in ["Handler", "Other"] {
        if text.contains(&format!("\"{extra}\"")) {
            states[extra] = json!({"Type": "Pass", "End": true});
        }
    }
    json!({"StartAt": "T", "States": states})
}

/// Fails the pending task of `T` with `error` and returns the back-off delay
/// (ms) of the timer this armed, if any.
fn fail_t(d: &mut Driver, error: &str) -> Option<i64> {
    let before: Vec<u64> = d.timers.keys().copied().collect();
    d.fail("T", error, "boom");
    let new: Vec<i64> = d
        .timers
        .iter()
        .filter(|(id, _)| !before.contains(id))
        .map(|(_, &due)| due)
        .collect();
    assert!(new.len() <= 1, "at most one back-off timer");
    new.first().map(|&due| due - d.now)
}

// ---------------------------------------------------------------------------
// 1. Retry
// ---------------------------------------------------------------------------

/// §3.7: interval for retry n = IntervalSeconds × BackoffRate^(n-1), capped by
/// MaxDelaySeconds; after MaxAttempts retries the error propagates.
#[test]
fn retry_backoff_grows_geometrically_and_is_capped_by_max_delay() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3.0,
                   "MaxAttempts": 4, "MaxDelaySeconds": 10}]
    }));
    let mut d = Driver::start(&def, json!({}));
    let mut delays = Vec::new();
    for _ in 0..4 {
        d.after(secs(1));
        delays.push(fail_t(&mut d, "Boom").expect("a back-off timer"));
        let due = d.fire_next_timer();
        // The retry is dispatched exactly at the due time.
        assert_eq!(d.last().timestamp, due);
    }
    assert_eq!(delays, vec![secs(2), secs(6), secs(10), secs(10)]);
    d.after(secs(1));
    assert_eq!(fail_t(&mut d, "Boom"), None, "no fifth retry");
    assert_eq!(d.failure().0, "Boom");
    assert_eq!(d.dispatched.len(), 5);
    let attempts: Vec<u32> = d.dispatched.iter().map(|t| t.attempt).collect();
    assert_eq!(attempts, vec![0, 1, 2, 3, 4]);
}

/// §3.7: MaxAttempts 0 = never retry.
#[test]
fn retry_with_max_attempts_zero_never_retries() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]
    }));
    let mut d = Driver::start(&def, json!({}));
    assert_eq!(fail_t(&mut d, "Boom"), None);
    assert_eq!(d.dispatched.len(), 1);
    assert_eq!(d.failure().0, "Boom");
    assert_eq!(d.last().event_type, E::ExecutionFailed);
}

/// §3.7: "each retrier keeps its own attempt count across the state
/// execution": alternating errors advance two independent counters and
/// back-offs.
#[test]
fn each_retrier_keeps_its_own_counter() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Retry": [
            {"ErrorEquals": ["A"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 2},
            {"ErrorEquals": ["B"], "IntervalSeconds": 10, "BackoffRate": 2, "MaxAttempts": 2}
        ]
    }));
    let mut d = Driver::start(&def, json!({}));
    let mut delays = Vec::new();
    for err in ["A", "B", "A", "B"] {
        delays.push(fail_t(&mut d, err));
        d.fire_next_timer();
    }
    assert_eq!(
        delays,
        vec![Some(secs(1)), Some(secs(10)), Some(secs(2)), Some(secs(20))]
    );
    // Both retriers are spent now: a third A is not retried.
    assert_eq!(fail_t(&mut d, "A"), None);
    assert_eq!(d.failure().0, "A");
    assert_eq!(d.dispatched.len(), 5);
}

/// §3.7: retriers are scanned in order and the *first matching* one applies;
/// when it is exhausted a later, broader retrier is not consulted: the error
/// goes to Catch.
#[test]
fn first_matching_retrier_wins_even_when_exhausted_then_catch() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Retry": [
            {"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5}
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    assert_eq!(fail_t(&mut d, "Boom"), Some(secs(1)));
    d.fire_next_timer();
    assert_eq!(fail_t(&mut d, "Boom"), None);
    assert_eq!(d.dispatched.len(), 2, "the States.ALL retrier never ran");
    assert_eq!(d.output(), json!({"Error": "Boom", "Cause": "boom"}));
    assert_eq!(d.entered("Handler").len(), 1);
}

/// §3.8: `$$.State.RetryCount` is 0 on the first attempt and counts retries.
#[test]
fn retry_count_is_visible_in_parameters_on_each_attempt() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f", "Payload": {"n.$": "$$.State.RetryCount"}},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    }));
    let mut d = Driver::start(&def, json!({}));
    fail_t(&mut d, "Boom");
    d.fire_next_timer();
    fail_t(&mut d, "Boom");
    d.fire_next_timer();
    d.succeed("T", json!("ok"));
    let counts: Vec<Value> = d
        .dispatched
        .iter()
        .map(|t| t.parameters["Payload"]["n"].clone())
        .collect();
    assert_eq!(counts, vec![json!(0), json!(1), json!(2)]);
    // The history shows the resolved Parameters of each attempt (§2.2).
    let recorded: Vec<Value> = d
        .all(E::TaskScheduled)
        .iter()
        .map(|e| json_detail(e, "parameters")["Payload"]["n"].clone())
        .collect();
    assert_eq!(recorded, counts);
    assert_eq!(d.output(), json!("ok"));
}

/// §2.3: a retry adds no state events: `TaskScheduled → TaskStarted →
/// TaskFailed` repeats, each new `TaskScheduled` linked to the previous
/// `TaskFailed`; the back-off itself is invisible.
#[test]
fn retry_history_repeats_task_events_linked_to_the_previous_failure() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    }));
    let mut d = Driver::start(&def, json!({}));
    fail_t(&mut d, "Exception");
    d.fire_next_timer();
    fail_t(&mut d, "Exception");
    d.fire_next_timer();
    fail_t(&mut d, "Exception");
    assert_eq!(
        d.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "ExecutionFailed"
        ]
    );
    d.assert_well_formed();
    for e in &d.events[2..] {
        assert_eq!(e.previous_event_id, e.id - 1, "a single causal chain");
    }
    let failed = d.all(E::TaskFailed);
    assert_eq!(failed[0].detail_str("resourceType"), Some("lambda"));
    assert_eq!(failed[0].detail_str("resource"), Some("invoke"));
    assert_eq!(failed[0].detail_str("error"), Some("Exception"));
    assert_eq!(d.last().detail_str("error"), Some("Exception"));
    assert_eq!(d.last().detail_str("cause"), Some("boom"));
}

/// §2.4 B (recorded `test_lambda_invoke_with_retry_base`): a bare Lambda ARN
/// retries with `LambdaFunction*` events; when retries are exhausted the
/// catcher's `TaskStateExited` links to the last `LambdaFunctionFailed`.
#[test]
fn lambda_retry_then_catch_matches_the_recorded_history() {
    let def = with_task(json!({
        "Type": "Task", "Resource": LAMBDA, "Next": "Done",
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    for _ in 0..3 {
        fail_t(&mut d, "Exception");
        d.fire_next_timer();
    }
    fail_t(&mut d, "Exception");
    let expected = [
        (1, "ExecutionStarted", 0),
        (2, "TaskStateEntered", 0),
        (3, "LambdaFunctionScheduled", 2),
        (4, "LambdaFunctionStarted", 3),
        (5, "LambdaFunctionFailed", 4),
        (6, "LambdaFunctionScheduled", 5),
        (7, "LambdaFunctionStarted", 6),
        (8, "LambdaFunctionFailed", 7),
        (9, "LambdaFunctionScheduled", 8),
        (10, "LambdaFunctionStarted", 9),
        (11, "LambdaFunctionFailed", 10),
        (12, "LambdaFunctionScheduled", 11),
        (13, "LambdaFunctionStarted", 12),
        (14, "LambdaFunctionFailed", 13),
        (15, "TaskStateExited", 14),
        (16, "PassStateEntered", 15),
        (17, "PassStateExited", 16),
        (18, "ExecutionSucceeded", 17),
    ];
    let got: Vec<(u64, &str, u64)> = d
        .events
        .iter()
        .map(|e| (e.id, e.event_type.as_str(), e.previous_event_id))
        .collect();
    assert_eq!(got, expected, "\n{}", d.history_text());
    assert_eq!(
        d.event(3).detail_str("resource"),
        Some(LAMBDA),
        "bare ARN recorded as resource"
    );
    assert_eq!(
        json_detail(d.event(15), "output"),
        json!({"Error": "Exception", "Cause": "boom"})
    );
}

// ---------------------------------------------------------------------------
// 2. Catch
// ---------------------------------------------------------------------------

/// §3.7: a catcher's ResultPath places the Error Output `{Error, Cause}` into
/// the state's input.
#[test]
fn catch_result_path_keeps_the_input_and_adds_the_error() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({"order": 42}));
    d.fail("T", "Oops", "it broke");
    let expected = json!({"order": 42, "error": {"Error": "Oops", "Cause": "it broke"}});
    // §2.3: when caught, TaskStateExited carries that output and follows the
    // failure event.
    let exited = d.exited("T");
    assert_eq!(json_detail(exited, "output"), expected);
    assert_eq!(
        exited.previous_event_id,
        d.one(E::TaskFailed).id,
        "\n{}",
        d.history_text()
    );
    assert_eq!(json_detail(d.entered("Handler")[0], "input"), expected);
    assert_eq!(d.output(), expected);
}

/// §3.7: a catcher's ResultPath defaults to `$`: the Error Output replaces
/// the input.
#[test]
fn catch_default_result_path_replaces_the_input() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["Oops"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({"order": 42}));
    d.fail("T", "Oops", "it broke");
    assert_eq!(d.output(), json!({"Error": "Oops", "Cause": "it broke"}));
    assert!(d.entered("Done").is_empty());
}

/// An error no catcher names fails the execution without `TaskStateExited`
/// (§2.3).
#[test]
fn uncaught_error_fails_without_state_exit() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["SomethingElse"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    d.fail("T", "Oops", "it broke");
    assert_eq!(d.failure(), ("Oops".to_string(), "it broke".to_string()));
    assert_eq!(d.count(E::TaskStateExited), 0);
    assert_eq!(d.last().previous_event_id, d.one(E::TaskFailed).id);
}

fn timeout_catchers() -> Value {
    with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done", "TimeoutSeconds": 5,
        "Parameters": {"FunctionName": "f"},
        "Catch": [
            {"ErrorEquals": ["States.TaskFailed"], "Next": "Handler"},
            {"ErrorEquals": ["States.Timeout"], "Next": "Other"}
        ]
    }))
}

/// §3.7: `States.TaskFailed` matches any task error …
#[test]
fn task_failed_catcher_takes_task_errors() {
    let mut d = Driver::start(&timeout_catchers(), json!({}));
    d.fail("T", "Lambda.Unknown", "x");
    assert_eq!(d.entered("Handler").len(), 1);
    assert!(d.entered("Other").is_empty());
}

/// … but not `States.Timeout`, which falls through to the next catcher.
#[test]
fn task_failed_catcher_does_not_take_timeouts() {
    let mut d = Driver::start(&timeout_catchers(), json!({}));
    d.fire_next_timer();
    assert!(d.entered("Handler").is_empty());
    assert_eq!(d.entered("Other").len(), 1);
    assert_eq!(d.output()["Error"], json!("States.Timeout"));
}

/// §3.7: `States.ALL` matches timeouts too.
#[test]
fn states_all_catches_timeouts() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done", "TimeoutSeconds": 5,
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    d.fire_next_timer();
    assert_eq!(d.entered("Handler").len(), 1);
    assert_eq!(d.output()["Error"], json!("States.Timeout"));
}

/// §3.10 and recording `test_catch_states_runtime`: a bad OutputPath raises
/// `States.Runtime`, which no catcher sees, not even one naming it; the
/// failure follows the task's success event.
#[test]
fn states_runtime_from_output_path_is_never_caught() {
    let def = json!({
        "StartAt": "RaiseRuntime",
        "States": {
            "RaiseRuntime": {
                "Type": "Task", "Resource": LAMBDA,
                "OutputPath": "$.no.such.result.path",
                "Catch": [
                    {"ErrorEquals": ["States.Runtime"], "Next": "CaughtRuntime"},
                    {"ErrorEquals": ["States.ALL"], "Next": "CaughtRuntime"}
                ],
                "Next": "Final"
            },
            "CaughtRuntime": {"Type": "Pass", "End": true},
            "Final": {"Type": "Pass", "End": true}
        }
    });
    let mut d = Driver::start(&def, json!({}));
    d.succeed("RaiseRuntime", json!({}));
    assert_eq!(
        d.types(),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "ExecutionFailed"
        ]
    );
    assert_eq!(d.last().previous_event_id, 5);
    assert_eq!(
        d.failure(),
        (
            "States.Runtime".to_string(),
            "An error occurred while executing the state 'RaiseRuntime' (entered at the event id #2). Invalid path '$.no.such.result.path' : Missing property in path $['no']".to_string()
        )
    );
}

/// §3.5: a Catcher's `Assign` runs (against the Error Output) instead of the
/// state's own `Assign`; the values show in `TaskStateExited.assignedVariables`
/// and are readable in the catcher's target.
#[test]
fn catcher_assign_replaces_the_state_assign() {
    let def = json!({
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task", "Resource": INVOKE, "Next": "Done",
                "Parameters": {"FunctionName": "f"},
                "Assign": {"fromState": "never"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler",
                           "Assign": {"err.$": "$.Error", "why.$": "$.Cause"}}]
            },
            "Done": {"Type": "Pass", "End": true},
            "Handler": {"Type": "Pass", "Parameters": {"e.$": "$err", "w.$": "$why"}, "End": true}
        }
    });
    let mut d = Driver::start(&def, json!({}));
    d.fail("T", "Oops", "it broke");
    let exited = d.exited("T");
    let assigned = &exited.details.to_map().unwrap()["assignedVariables"];
    assert_eq!(assigned, &json!({"err": "\"Oops\"", "why": "\"it broke\""}));
    assert_eq!(d.output(), json!({"e": "Oops", "w": "it broke"}));
}

// ---------------------------------------------------------------------------
// 3. Task timeouts and heartbeats
// ---------------------------------------------------------------------------

/// Recording `test_fixed_timeout_lambda` (§2.4 H): a bare Lambda with
/// TimeoutSeconds 5 times out at exactly start + 5 s with
/// `LambdaFunctionTimedOut{error: States.Timeout}` and the task is cancelled.
#[test]
fn lambda_timeout_fires_at_start_plus_timeout_seconds() {
    let def = json!({
        "StartAt": "Start",
        "States": {"Start": {"Type": "Task", "TimeoutSeconds": 5, "Resource": LAMBDA,
                              "Parameters": {"Payload.$": "$.Payload"}, "End": true}}
    });
    let mut d = Driver::start(&def, json!({"Payload": null}));
    let task = d.task("Start");
    assert_eq!(task.timeout_seconds, Some(5));
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(5));
    d.fire_next_timer();
    let got: Vec<(&str, u64)> = d
        .events
        .iter()
        .map(|e| (e.event_type.as_str(), e.previous_event_id))
        .collect();
    assert_eq!(
        got,
        vec![
            ("ExecutionStarted", 0),
            ("TaskStateEntered", 0),
            ("LambdaFunctionScheduled", 2),
            ("LambdaFunctionStarted", 3),
            ("LambdaFunctionTimedOut", 4),
            ("ExecutionFailed", 5)
        ]
    );
    assert_eq!(
        d.event(3).details.to_map().unwrap()["timeoutInSeconds"],
        json!(5)
    );
    let timed_out = d.one(E::LambdaFunctionTimedOut);
    assert_eq!(timed_out.detail_str("error"), Some("States.Timeout"));
    assert_eq!(timed_out.timestamp, T0 + secs(5));
    assert_eq!(d.failure().0, "States.Timeout");
    assert_eq!(d.cancelled_tasks, vec![task.id]);
}

/// §2.4 H: an integration times out with `TaskTimedOut` carrying
/// `resourceType`/`resource`; the clock starts at `TaskStarted`, not entry.
#[test]
fn service_task_timeout_records_task_timed_out() {
    let def = json!({
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 7, "Next": "T"},
            "T": {"Type": "Task", "Resource": INVOKE, "TimeoutSeconds": 5,
                  "Parameters": {"FunctionName": "f"}, "End": true}
        }
    });
    let mut d = Driver::start(&def, json!({}));
    d.fire_next_timer();
    let started = d.one(E::TaskStarted).timestamp;
    assert_eq!(started, T0 + secs(7));
    assert_eq!(d.fire_next_timer(), started + secs(5));
    let e = d.one(E::TaskTimedOut);
    assert_eq!(e.detail_str("error"), Some("States.Timeout"));
    assert_eq!(e.detail_str("resourceType"), Some("lambda"));
    assert_eq!(e.detail_str("resource"), Some("invoke"));
    assert_eq!(d.failure().0, "States.Timeout");
}

/// §3.6 HeartbeatSeconds: each heartbeat restarts the heartbeat clock; only
/// silence for HeartbeatSeconds times the task out (reported as
/// `States.Timeout`, §2.4 G).
#[test]
fn heartbeats_postpone_the_heartbeat_timeout() {
    let def = with_task(json!({
        "Type": "Task", "Resource": SQS_TOKEN, "Next": "Done",
        "HeartbeatSeconds": 10, "TimeoutSeconds": 100,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}
    }));
    let mut d = Driver::start(&def, json!({}));
    let task = d.task("T");
    assert_eq!(task.heartbeat_seconds, Some(10));
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(10));
    d.at(T0 + secs(8))
        .signal(Signal::TaskHeartbeat { task: task.id });
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(18));
    d.at(T0 + secs(17))
        .signal(Signal::TaskHeartbeat { task: task.id });
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(27));
    assert!(d.running());
    assert_eq!(d.fire_next_timer(), T0 + secs(27));
    let e = d.one(E::TaskTimedOut);
    assert_eq!(e.timestamp, T0 + secs(27));
    assert_eq!(e.detail_str("error"), Some("States.Timeout"));
    assert_eq!(d.failure().0, "States.Timeout");
    assert!(d.timers.is_empty(), "the TimeoutSeconds timer is disarmed");
}

/// A result that arrives after the task timed out is ignored (the execution
/// has moved on to the catcher).
#[test]
fn late_success_after_timeout_is_ignored() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done", "TimeoutSeconds": 5,
        "Parameters": {"FunctionName": "f"},
        "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    let task = d.task("T");
    d.fire_next_timer();
    let before = d.events.len();
    let output = d.output();
    d.after(secs(1)).signal(Signal::TaskSucceeded {
        task: task.id,
        output: json!("too late"),
    });
    assert_eq!(d.events.len(), before);
    assert_eq!(d.output(), output);
    assert_eq!(d.count(E::TaskSucceeded), 0);
}

// ---------------------------------------------------------------------------
// 4. Activities
// ---------------------------------------------------------------------------

/// §2.4 I and §3.6: an activity is scheduled, but only a worker taking it
/// (`GetActivityTask`) starts it; TimeoutSeconds/HeartbeatSeconds count from
/// `ActivityStarted`, not from scheduling.
#[test]
fn activity_starts_when_a_worker_takes_it_and_times_out_from_start() {
    let def = with_task(json!({
        "Type": "Task", "Resource": ACTIVITY, "Next": "Done",
        "TimeoutSeconds": 30, "HeartbeatSeconds": 20
    }));
    let mut d = Driver::start(&def, json!({"job": 1}));
    let task = d.task("T");
    assert!(task.task_token.is_some(), "activities carry a task token");
    let scheduled = d.one(E::ActivityScheduled).clone();
    assert_eq!(scheduled.detail_str("resource"), Some(ACTIVITY));
    assert_eq!(json_detail(&scheduled, "input"), json!({"job": 1}));
    let sd = scheduled.details.to_map().unwrap();
    assert_eq!(sd["timeoutInSeconds"], json!(30));
    assert_eq!(sd["heartbeatInSeconds"], json!(20));
    assert_eq!(d.count(E::ActivityStarted), 0);
    assert!(
        d.timers.is_empty(),
        "no clock runs before a worker starts it"
    );

    // Sitting in the queue for an hour is not a timeout.
    d.at(T0 + secs(3600)).signal(Signal::TaskStarted {
        task: task.id,
        worker: "worker-1".into(),
    });
    let started = d.one(E::ActivityStarted);
    assert_eq!(started.detail_str("workerName"), Some("worker-1"));
    assert_eq!(started.previous_event_id, scheduled.id);
    assert_eq!(started.timestamp, T0 + secs(3600));
    // The heartbeat (20 s) is due before the timeout (30 s).
    let mut dues: Vec<i64> = d.timers.values().copied().collect();
    dues.sort();
    assert_eq!(dues, vec![T0 + secs(3620), T0 + secs(3630)]);
    d.fire_next_timer();
    let e = d.one(E::ActivityTimedOut);
    assert_eq!(e.timestamp, T0 + secs(3620));
    assert_eq!(d.failure().0, "States.Timeout");
}

/// §3.6 Task: `TimeoutSeconds | TimeoutSecondsPath` … "counts from
/// TaskStarted/LambdaFunctionStarted/ActivityStarted"; for activities the
/// heartbeat is "counted from ActivityStarted". The `…Path` forms must arm
/// the same clocks as the literals when a worker starts the activity.
#[test]
fn activity_timeout_and_heartbeat_paths_count_from_activity_started() {
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": ACTIVITY, "End": true,
        "TimeoutSecondsPath": "$.timeout", "HeartbeatSecondsPath": "$.heartbeat"}}});
    let mut d = Driver::start(&def, json!({"timeout": 30, "heartbeat": 20}));
    let task = d.task("T");
    assert_eq!(task.timeout_seconds, Some(30));
    assert_eq!(task.heartbeat_seconds, Some(20));
    d.at(T0 + secs(100)).signal(Signal::TaskStarted {
        task: task.id,
        worker: "w".into(),
    });
    let mut dues: Vec<i64> = d.timers.values().copied().collect();
    dues.sort();
    assert_eq!(dues, vec![T0 + secs(120), T0 + secs(130)]);
    d.fire_next_timer();
    assert_eq!(d.one(E::ActivityTimedOut).timestamp, T0 + secs(120));
    assert_eq!(d.failure().0, "States.Timeout");
}

/// §2.4 I: `ActivitySucceeded{output}` then `TaskStateExited`.
#[test]
fn activity_success_flows_into_the_state_output() {
    let def = with_task(json!({
        "Type": "Task", "Resource": ACTIVITY, "Next": "Done", "ResultPath": "$.r"
    }));
    let mut d = Driver::start(&def, json!({"job": 1}));
    let task = d.task("T");
    d.signal(Signal::TaskStarted {
        task: task.id,
        worker: "w".into(),
    });
    d.succeed("T", json!({"ok": true}));
    let tail: Vec<&str> = d.types()[1..6].to_vec();
    assert_eq!(
        tail,
        vec![
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited"
        ]
    );
    assert_eq!(d.output(), json!({"job": 1, "r": {"ok": true}}));
}

// ---------------------------------------------------------------------------
// 5. .waitForTaskToken
// ---------------------------------------------------------------------------

/// §3.8 `$$.Task.Token` and §2.4 G: the token placed in Parameters is the one
/// the callback must present; `TaskSubmitted` records the send's response,
/// and the task completes only with the callback.
#[test]
fn wait_for_task_token_puts_the_token_in_parameters() {
    let def = with_task(json!({
        "Type": "Task", "Resource": SQS_TOKEN, "Next": "Done",
        "Parameters": {"QueueUrl": "https://sqs/q", "MessageBody": {"token.$": "$$.Task.Token", "id.$": "$.id"}}
    }));
    let mut d = Driver::start(&def, json!({"id": 9}));
    let task = d.task("T");
    let token = task.task_token.clone().expect("a task token");
    assert!(!token.is_empty());
    assert_eq!(
        task.parameters,
        json!({"QueueUrl": "https://sqs/q", "MessageBody": {"token": token, "id": 9}})
    );
    let scheduled = d.one(E::TaskScheduled);
    assert_eq!(scheduled.detail_str("resourceType"), Some("sqs"));
    assert_eq!(
        scheduled.detail_str("resource"),
        Some("sendMessage.waitForTaskToken")
    );
    assert_eq!(json_detail(scheduled, "parameters"), task.parameters);

    d.signal(Signal::TaskSubmitted {
        task: task.id,
        output: json!({"MessageId": "m-1"}),
    });
    let submitted = d.one(E::TaskSubmitted);
    assert_eq!(
        json_detail(submitted, "output"),
        json!({"MessageId": "m-1"})
    );
    assert_eq!(submitted.detail_str("resourceType"), Some("sqs"));
    assert!(d.running(), "submitting does not complete the task");

    d.succeed("T", json!({"approved": true}));
    assert_eq!(
        d.types()[1..7].to_vec(),
        vec![
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited"
        ]
    );
    assert_eq!(d.output(), json!({"approved": true}));
}

/// §3.8: the token is regenerated when a callback task is retried.
#[test]
fn retried_callback_task_gets_a_fresh_token() {
    let def = with_task(json!({
        "Type": "Task", "Resource": SQS_TOKEN, "Next": "Done",
        "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    }));
    let mut d = Driver::start(&def, json!({}));
    fail_t(&mut d, "Rejected");
    d.fire_next_timer();
    let t: Vec<(String, Value)> = d
        .dispatched
        .iter()
        .map(|t| {
            (
                t.task_token.clone().unwrap(),
                t.parameters["MessageBody"].clone(),
            )
        })
        .collect();
    assert_eq!(t.len(), 2);
    assert_ne!(t[0].0, t[1].0);
    assert_eq!(t[1].1, json!(t[1].0));
}

// ---------------------------------------------------------------------------
// 6. Wait, execution timeout, stop
// ---------------------------------------------------------------------------

fn wait_sm(wait: Value) -> Value {
    json!({"StartAt": "WaitState", "States": {"WaitState": wait}})
}

/// §3.6 Wait `Seconds`: the state exits exactly N seconds after entry.
#[test]
fn wait_seconds_exits_after_exactly_n_seconds() {
    let mut d = Driver::start(
        &wait_sm(json!({"Type": "Wait", "Seconds": 90, "End": true})),
        json!({"a": 1}),
    );
    assert!(d.running());
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(90));
    d.fire_next_timer();
    let exited = d.one(E::WaitStateExited);
    assert_eq!(exited.timestamp, T0 + secs(90));
    assert_eq!(d.output(), json!({"a": 1}));
}

/// §3.6 Wait `Timestamp`: waits until that instant.
#[test]
fn wait_timestamp_in_the_future_waits_until_then() {
    // T0 = 2023-11-14T22:13:20Z.
    let d = Driver::start(
        &wait_sm(json!({"Type": "Wait", "Timestamp": "2023-11-14T23:13:20Z", "End": true})),
        json!({}),
    );
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(3600));
}

/// §3.6: a past timestamp proceeds immediately.
#[test]
fn wait_timestamp_in_the_past_proceeds_immediately() {
    let mut d = Driver::start(
        &wait_sm(json!({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true})),
        json!({}),
    );
    if d.running() {
        let (_, due) = d.next_timer().expect("a timer");
        assert!(due <= T0, "due time is not in the future");
        d.fire_next_timer();
    }
    assert_eq!(d.one(E::WaitStateExited).timestamp, T0);
    assert_eq!(d.output(), json!({}));
}

/// §3.6 Wait `SecondsPath` / `TimestampPath` read the effective input.
#[test]
fn wait_seconds_path_and_timestamp_path_read_the_input() {
    let d = Driver::start(
        &wait_sm(json!({"Type": "Wait", "SecondsPath": "$.s", "End": true})),
        json!({"s": 3}),
    );
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(3));
    let d = Driver::start(
        &wait_sm(json!({"Type": "Wait", "TimestampPath": "$.ts", "End": true})),
        json!({"ts": "2023-11-14T22:13:50Z"}),
    );
    assert_eq!(d.next_timer().unwrap().1, T0 + secs(30));
}

fn runtime_cause(state: &str, message: &str) -> (String, String) {
    (
        "States.Runtime".into(),
        format!(
            "An error occurred while executing the state '{state}' (entered at the event id #2). {message}"
        ),
    )
}

/// §3.6 Wait, recorded AWS runtime errors for `SecondsPath` (logs tests).
#[test]
fn wait_seconds_path_errors_are_aws_runtime_errors() {
    let def = wait_sm(json!({"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": true}));
    let cases = [
        (
            json!({}),
            "The SecondsPath parameter does not reference an input value: $.input.waitSeconds",
        ),
        (
            json!({"input": {"waitSeconds": -1}}),
            "The SecondsPath parameter references a negative value: $.input.waitSeconds == -1",
        ),
        (
            json!({"input": {"waitSeconds": 1.5}}),
            "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5",
        ),
    ];
    for (input, message) in cases {
        let d = Driver::start(&def, input);
        assert_eq!(d.failure(), runtime_cause("WaitState", message));
        assert_eq!(
            d.types(),
            vec!["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]
        );
        assert_eq!(d.last().previous_event_id, 2);
    }
}

/// Recordings `test_wait_timestamp_path_*`: malformed timestamps.
#[test]
fn wait_timestamp_path_errors_are_aws_runtime_errors() {
    let def = json!({"StartAt": "WaitUntil", "States": {
        "WaitUntil": {"Type": "Wait", "TimestampPath": "$.TimestampValue", "End": true}}});
    for ts in [
        "2016-13-05T21:29:29Z",
        "05-12-2016T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05 21:29:29Z",
        "2016-12-05T21:29:29",
    ] {
        let d = Driver::start(&def, json!({"TimestampValue": ts}));
        assert_eq!(
            d.failure(),
            runtime_cause(
                "WaitUntil",
                &format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.TimestampValue == {ts}"
                )
            ),
            "{ts}"
        );
    }
    // Nanosecond precision is valid (recorded `NANOSECONDS` case).
    let d = Driver::start(
        &def,
        json!({"TimestampValue": "2016-03-05T21:29:29.243167252Z"}),
    );
    assert!(d.running());
}

/// §3.1/§5.2: the machine's `TimeoutSeconds` ends the execution with
/// `ExecutionTimedOut` (error `States.Timeout`) at start + N, cancelling
/// whatever it waited on.
#[test]
fn execution_timeout_times_the_execution_out() {
    let def = json!({
        "TimeoutSeconds": 60,
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "End": true}}
    });
    let mut d = Driver::start(&def, json!({}));
    let task = d.task("T");
    assert_eq!(d.fire_next_timer(), T0 + secs(60));
    assert!(matches!(d.status(), Status::TimedOut(_)));
    let e = d.last();
    assert_eq!(e.event_type, E::ExecutionTimedOut);
    assert_eq!(e.timestamp, T0 + secs(60));
    assert_eq!(e.detail_str("error"), Some("States.Timeout"));
    assert!(d.cancelled_tasks.contains(&task.id));
    // Nothing happens after the end.
    let n = d.events.len();
    d.signal(Signal::TaskSucceeded {
        task: task.id,
        output: json!(1),
    });
    assert_eq!(d.events.len(), n);
}

/// `StopExecution` (§1.4, §2.4 J): `ExecutionAborted` with the given
/// error/cause; the pending Wait is disarmed.
#[test]
fn stop_aborts_the_execution() {
    let def = wait_sm(json!({"Type": "Wait", "Seconds": 100, "End": true}));
    let mut d = Driver::start(&def, json!({}));
    d.at(T0 + secs(5)).signal(Signal::Stop {
        error: Some("Manual".into()),
        cause: Some("operator".into()),
    });
    assert!(matches!(d.status(), Status::Aborted(_)));
    assert_eq!(
        d.types(),
        vec!["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    let e = d.last();
    assert_eq!(e.detail_str("error"), Some("Manual"));
    assert_eq!(e.detail_str("cause"), Some("operator"));
    assert!(d.timers.is_empty());
}

// ---------------------------------------------------------------------------
// 7. Parallel and Map
// ---------------------------------------------------------------------------

fn branch(task_name: &str) -> Value {
    json!({"StartAt": task_name, "States": {task_name: {
        "Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": task_name}, "End": true}}})
}

/// §3.6 Parallel: the result lists branch outputs in `Branches` order, not
/// in completion order.
#[test]
fn parallel_outputs_follow_branch_order() {
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": true, "Branches": [branch("A"), branch("B"), branch("C")]}}});
    let mut d = Driver::start(&def, json!({}));
    assert_eq!(d.pending.len(), 3, "branches run concurrently");
    d.succeed("C", json!("c"))
        .succeed("A", json!("a"))
        .succeed("B", json!("b"));
    assert_eq!(d.output(), json!(["a", "b", "c"]));
    // §2.3: each branch's first event points to ParallelStateStarted.
    let started = d.one(E::ParallelStateStarted).id;
    for name in ["A", "B", "C"] {
        assert_eq!(d.entered(name)[0].previous_event_id, started);
    }
    assert_eq!(d.count(E::ParallelStateSucceeded), 1);
    d.assert_well_formed();
}

/// §2.4 D (recorded): when a branch fails, a sibling still waiting on a task
/// is closed with `TaskStateAborted` (linked to the failure) and its task is
/// cancelled; `ParallelStateFailed` also links to the failure event; the
/// branch's own error propagates.
#[test]
fn failing_branch_aborts_siblings_and_cancels_their_tasks() {
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": true, "Branches": [branch("Slow"), branch("Bad")]}}});
    let mut d = Driver::start(&def, json!({}));
    let slow = d.task("Slow");
    d.fail("Bad", "FailureType", "Cause description");
    let failed = d.one(E::TaskFailed).id;
    let aborted = d.one(E::TaskStateAborted);
    assert_eq!(aborted.previous_event_id, failed);
    assert_eq!(d.one(E::ParallelStateFailed).previous_event_id, failed);
    assert!(d.cancelled_tasks.contains(&slow.id));
    assert_eq!(
        d.failure(),
        ("FailureType".to_string(), "Cause description".to_string())
    );
    // The aborted task's late result changes nothing.
    let n = d.events.len();
    d.signal(Signal::TaskSucceeded {
        task: slow.id,
        output: json!(1),
    });
    assert_eq!(d.events.len(), n);
}

/// §2.4 D: a caught branch failure exits the Parallel with the Error Output.
#[test]
fn parallel_failure_can_be_caught() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
                branch("Busy"),
                {"StartAt": "Branch1", "States": {"Branch1": {"Type": "Fail", "Error": "FailureType", "Cause": "Cause description"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]},
        "Done": {"Type": "Pass", "End": true},
        "Handler": {"Type": "Pass", "End": true}}});
    let d = Driver::start(&def, json!({}));
    assert_eq!(
        d.output(),
        json!({"Error": "FailureType", "Cause": "Cause description"})
    );
    assert_eq!(d.count(E::ParallelStateFailed), 1);
    assert_eq!(d.count(E::TaskStateAborted), 1);
}

/// §2.4 D (recorded `test_parallel_state_retry`): a retried Parallel re-runs
/// all branches and re-emits `ParallelStateStarted` per attempt, with no
/// failed event in between; `ParallelStateFailed` comes once, at the end.
#[test]
fn parallel_retry_reruns_branches_with_a_new_started_event() {
    let def = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "Branch1", "States": {"Branch1": {
            "Type": "Fail", "Error": "FailureType", "Cause": "Cause description"}}}],
        "Retry": [{"ErrorEquals": ["FailureType"], "IntervalSeconds": 1, "MaxAttempts": 2}]}}});
    let mut d = Driver::start(&def, json!({}));
    d.run_timers();
    assert_eq!(
        d.types(),
        vec![
            "ExecutionStarted",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "FailStateEntered",
            "ParallelStateStarted",
            "FailStateEntered",
            "ParallelStateStarted",
            "FailStateEntered",
            "ParallelStateFailed",
            "ExecutionFailed"
        ]
    );
    assert_eq!(
        d.failure(),
        ("FailureType".to_string(), "Cause description".to_string())
    );
}

/// §2.4 E (recorded `test_map_state_catch_empty_fail`): an iteration failure
/// records `MapIterationFailed` and `MapStateFailed`, both linked to the
/// failing event; a Fail state without Error/Cause fails with neither.
#[test]
fn map_iteration_failure_matches_the_recorded_links() {
    let def = json!({"StartAt": "StartState", "States": {
        "StartState": {"Type": "Pass", "Result": [1], "ResultPath": "$.arr", "Next": "MapState"},
        "MapState": {"Type": "Map", "ResultPath": null, "InputPath": "$.arr", "MaxConcurrency": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "HandleItemFail",
                "States": {"HandleItemFail": {"Type": "Fail"}}},
            "End": true}}});
    let d = Driver::start(&def, json!({}));
    let got: Vec<(u64, &str, u64)> = d
        .events
        .iter()
        .map(|e| (e.id, e.event_type.as_str(), e.previous_event_id))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "ExecutionStarted", 0),
            (2, "PassStateEntered", 0),
            (3, "PassStateExited", 2),
            (4, "MapStateEntered", 3),
            (5, "MapStateStarted", 4),
            (6, "MapIterationStarted", 5),
            (7, "FailStateEntered", 6),
            (8, "MapIterationFailed", 7),
            (9, "MapStateFailed", 7),
            (10, "ExecutionFailed", 9)
        ]
    );
    assert_eq!(d.last().details.to_map().map(|m| m.len()), Some(0));
    assert!(matches!(d.status(), Status::Failed(f) if f.error.is_none() && f.cause.is_none()));
}

fn map_def(extra: Value) -> Value {
    let mut m = json!({
        "Type": "Map", "End": true, "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": INVOKE,
            "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true}}}
    });
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    json!({"StartAt": "M", "States": {"M": m}})
}

/// §3.6 Map: MaxConcurrency 1 runs iterations strictly one after another,
/// in item order.
#[test]
fn map_with_max_concurrency_one_is_sequential() {
    let mut d = Driver::start(
        &map_def(json!({"MaxConcurrency": 1})),
        json!({"items": ["a", "b", "c"]}),
    );
    let mut seen = Vec::new();
    while d.running() {
        assert_eq!(d.pending.len(), 1, "one iteration at a time");
        let t = d.task("Work");
        seen.push(t.parameters["Payload"].clone());
        let out = json!(format!("{}!", t.parameters["Payload"].as_str().unwrap()));
        d.succeed("Work", out);
    }
    assert_eq!(seen, vec![json!("a"), json!("b"), json!("c")]);
    assert_eq!(d.output(), json!(["a!", "b!", "c!"]));
    assert_eq!(
        d.one(E::MapStateStarted).details.to_map().unwrap()["length"],
        json!(3)
    );
}

/// §3.6 Map: MaxConcurrency 0 = unlimited: every iteration starts at once;
/// results keep item order whatever the completion order.
#[test]
fn map_with_max_concurrency_zero_runs_all_at_once() {
    let mut d = Driver::start(
        &map_def(json!({"MaxConcurrency": 0})),
        json!({"items": [1, 2, 3]}),
    );
    assert_eq!(d.pending.len(), 3);
    assert_eq!(d.count(E::MapIterationStarted), 3);
    let ids: Vec<u64> = d.pending.keys().rev().copied().collect();
    for id in ids {
        let p = d.pending[&id].parameters["Payload"].as_i64().unwrap();
        d.signal(Signal::TaskSucceeded {
            task: id,
            output: json!(p * 10),
        });
    }
    assert_eq!(d.output(), json!([10, 20, 30]));
}

/// §3.8: `$$.Map.Item.Index` / `$$.Map.Item.Value` in ItemSelector, which
/// also sees the Map's effective input.
#[test]
fn map_item_selector_sees_index_value_and_state_input() {
    let def = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true, "ItemsPath": "$.items",
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
        "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}}}}});
    let d = Driver::start(&def, json!({"tag": "t", "items": ["x", {"y": 1}]}));
    assert_eq!(
        d.output(),
        json!([{"i": 0, "v": "x", "tag": "t"}, {"i": 1, "v": {"y": 1}, "tag": "t"}])
    );
}

/// §3.6 Map: failures up to ToleratedFailureCount let the Map succeed.
#[test]
fn map_tolerates_failures_up_to_the_count() {
    let mut d = Driver::start(
        &map_def(json!({"ToleratedFailureCount": 1})),
        json!({"items": [0, 1, 2]}),
    );
    let ids: Vec<u64> = d.pending.keys().copied().collect();
    d.signal(Signal::TaskSucceeded {
        task: ids[0],
        output: json!("ok0"),
    });
    d.signal(Signal::TaskFailed {
        task: ids[1],
        error: Some("E".into()),
        cause: None,
    });
    d.signal(Signal::TaskSucceeded {
        task: ids[2],
        output: json!("ok2"),
    });
    let out = d.output();
    assert_eq!(out[0], json!("ok0"));
    assert_eq!(out[2], json!("ok2"));
    assert_eq!(d.count(E::MapIterationFailed), 1);
}

/// … and one more failure fails it with `States.ExceedToleratedFailureThreshold`.
#[test]
fn map_fails_when_failures_exceed_the_count() {
    let mut d = Driver::start(
        &map_def(json!({"ToleratedFailureCount": 1})),
        json!({"items": [0, 1, 2]}),
    );
    let ids: Vec<u64> = d.pending.keys().copied().collect();
    d.signal(Signal::TaskFailed {
        task: ids[0],
        error: Some("E".into()),
        cause: None,
    });
    assert!(d.running());
    d.signal(Signal::TaskFailed {
        task: ids[1],
        error: Some("E".into()),
        cause: None,
    });
    assert_eq!(d.failure().0, "States.ExceedToleratedFailureThreshold");
    assert_eq!(
        d.count(E::MapIterationAborted),
        1,
        "the third iteration is aborted"
    );
    assert!(d.cancelled_tasks.contains(&ids[2]));
}

/// §3.6 Map: ToleratedFailurePercentage is a share of all items.
#[test]
fn map_tolerated_failure_percentage() {
    let run = |failures: usize| {
        let mut d = Driver::start(
            &map_def(json!({"ToleratedFailurePercentage": 50})),
            json!({"items": [0, 1, 2, 3]}),
        );
        let ids: Vec<u64> = d.pending.keys().copied().collect();
        for (n, id) in ids.into_iter().enumerate() {
            if n < failures {
                d.signal(Signal::TaskFailed {
                    task: id,
                    error: Some("E".into()),
                    cause: None,
                });
            } else {
                d.signal(Signal::TaskSucceeded {
                    task: id,
                    output: json!(n),
                });
            }
        }
        d
    };
    assert_eq!(
        run(2).status().name(),
        "SUCCEEDED",
        "2 of 4 = 50% is tolerated"
    );
    assert_eq!(run(3).failure().0, "States.ExceedToleratedFailureThreshold");
}

// ---------------------------------------------------------------------------
// 8. Variables
// ---------------------------------------------------------------------------

/// §3.5: every expression in `Assign` sees values as of state entry; new
/// values become visible in the next state (the DG's x/nextX example), and
/// `assignedVariables` in the exited event lists them as JSON text.
#[test]
fn assign_sees_values_as_of_state_entry() {
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": 3, "a": 6}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"x.$": "$a", "nextX.$": "$x"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"x.$": "$x", "nextX.$": "$nextX"}, "End": true}}});
    let d = Driver::start(&def, json!({}));
    assert_eq!(d.output(), json!({"x": 6, "nextX": 3}));
    let swap = d.exited("Swap").details.to_map().unwrap();
    assert_eq!(swap["assignedVariables"], json!({"x": "6", "nextX": "3"}));
    assert_eq!(
        swap["assignedVariablesDetails"],
        json!({"truncated": false})
    );
    assert!(
        !d.exited("Show")
            .details
            .to_map()
            .unwrap()
            .contains_key("assignedVariables"),
        "no assignedVariables without Assign"
    );
}

/// ARCHITECTURE/§3.5: a Task's `Assign` is evaluated against its result
/// (`$` = the task result), not the state input.
#[test]
fn task_assign_reads_the_task_result() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"},
              "ResultPath": null, "Assign": {"got.$": "$.v"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"got.$": "$got", "in.$": "$.v"}, "End": true}}});
    let mut d = Driver::start(&def, json!({"v": "input"}));
    d.succeed("T", json!({"v": "result"}));
    assert_eq!(d.output(), json!({"got": "result", "in": "input"}));
}

/// §3.5 Scope: Parallel branches and Map iterations can read outer variables.
#[test]
fn branches_and_iterations_read_outer_variables() {
    let def = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"outer": "o"}, "Next": "P"},
        "P": {"Type": "Parallel", "Next": "M", "ResultPath": "$.p", "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": true}}}]},
        "M": {"Type": "Map", "End": true, "ItemsPath": "$.list", "ResultPath": "$.m",
              "ItemProcessor": {"StartAt": "I", "States": {"I": {
                  "Type": "Pass", "Parameters": {"v.$": "$outer", "item.$": "$"}, "End": true}}}}}});
    let d = Driver::start(&def, json!({"list": [1, 2]}));
    assert_eq!(
        d.output(),
        json!({"list": [1, 2], "p": [{"v": "o"}], "m": [{"v": "o", "item": 1}, {"v": "o", "item": 2}]})
    );
}

// ---------------------------------------------------------------------------
// 9. Limits
// ---------------------------------------------------------------------------

/// §3.10/§5.2 and recording `test_start_large_input`: a state output over
/// 256 KiB fails the execution with `States.DataLimitExceeded`, right after
/// the entered event.
#[test]
fn pass_output_over_256_kib_is_data_limit_exceeded() {
    let big = "a".repeat(256 * 1024 + 1);
    let def = json!({"StartAt": "State_1", "States": {"State_1": {
        "Type": "Pass", "Result": {"Arg1": big}, "End": true}}});
    let d = Driver::start(&def, json!({}));
    assert_eq!(
        d.failure(),
        (
            "States.DataLimitExceeded".to_string(),
            "The state/task 'State_1' returned a result with a size exceeding the maximum number of bytes service limit.".to_string()
        )
    );
    assert_eq!(
        d.types(),
        vec!["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]
    );
    assert_eq!(d.last().previous_event_id, 2);
}

/// §3.7/§3.10: a task result over 256 KiB is `States.DataLimitExceeded`,
/// which even `States.ALL` does not catch.
#[test]
fn task_result_over_256_kib_is_not_caught() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Parameters": {"FunctionName": "f"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    }));
    let mut d = Driver::start(&def, json!({}));
    d.succeed("T", json!({"blob": "x".repeat(300 * 1024)}));
    assert_eq!(d.failure().0, "States.DataLimitExceeded");
    assert!(d.entered("Handler").is_empty());
    assert_eq!(d.dispatched.len(), 1, "not retried");
}

/// §2.1/§5.2: a standard execution that never ends (Pass → Choice loop) is
/// failed by the history limit instead of running forever.
#[test]
fn endless_loop_is_stopped_by_the_history_limit() {
    let def = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.stop", "BooleanEquals": true, "Next": "End"}], "Default": "Loop"},
        "End": {"Type": "Succeed"}}});
    let d = Driver::start(&def, json!({"stop": false}));
    assert!(matches!(d.status(), Status::Failed(_)));
    assert_eq!(d.last().event_type, E::ExecutionFailed);
    // Within a state transition or two of the cap.
    let n = d.events.len() as u64;
    assert!((24_990..=25_010).contains(&n), "{n} events");
    assert_eq!(d.exec.event_count(), n);
}

// ---------------------------------------------------------------------------
// 10. Determinism
// ---------------------------------------------------------------------------

fn busy_machine() -> Value {
    json!({"StartAt": "Ids", "States": {
        "Ids": {"Type": "Pass", "Parameters": {"u.$": "States.UUID()", "r.$": "States.MathRandom(1, 1000000)"},
                "ResultPath": "$.ids", "Next": "Fanout"},
        "Fanout": {"Type": "Map", "ItemsPath": "$.items", "Next": "Cb",
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
                "Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "End": true,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 4, "MaxAttempts": 2, "JitterStrategy": "FULL"}]}}}},
        "Cb": {"Type": "Task", "Resource": SQS_TOKEN, "End": true,
               "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}}}}})
}

/// Drives `busy_machine` with a fixed script of signals.
fn run_script(seed: u64) -> Driver {
    let mut d = Driver::start_seeded(&busy_machine(), json!({"items": [1, 2]}), seed);
    let ids: Vec<u64> = d.pending.keys().copied().collect();
    d.after(secs(1)).signal(Signal::TaskFailed {
        task: ids[0],
        error: Some("E".into()),
        cause: None,
    });
    d.signal(Signal::TaskSucceeded {
        task: ids[1],
        output: json!("two"),
    });
    d.fire_next_timer();
    d.after(secs(1)).succeed("Work", json!("one"));
    let cb = d.task("Cb");
    d.signal(Signal::TaskSubmitted {
        task: cb.id,
        output: json!({}),
    });
    d.after(secs(1)).succeed("Cb", json!("done"));
    d
}

/// ARCHITECTURE invariant: same machine, input, seed and signals → the same
/// events, byte for byte (and the same effects).
#[test]
fn same_seed_and_signals_give_identical_histories() {
    let a = run_script(42);
    let b = run_script(42);
    assert_eq!(a.output(), json!("done"));
    assert_eq!(a.events, b.events);
    assert_eq!(a.effects, b.effects);
    a.assert_well_formed();
}

/// Randomness comes from the seed: different seeds mint different task
/// tokens (and UUIDs).
#[test]
fn different_seeds_give_different_tokens() {
    let a = run_script(1);
    let b = run_script(2);
    let token = |d: &Driver| d.dispatched.last().unwrap().task_token.clone().unwrap();
    assert_ne!(token(&a), token(&b));
    let uuid = |d: &Driver| json_detail(d.exited("Ids"), "output")["ids"]["u"].clone();
    assert_ne!(uuid(&a), uuid(&b));
}

// ---- limits and links fixed after they were found as gaps ----

/// §2.4 J (recorded StopExecution during a Wait): `1 ExecutionStarted,
/// 2 WaitStateEntered prev 0, 3 ExecutionAborted prev 0`.
///
/// A runtime stores events as soon as a step returns them (ARCHITECTURE:
/// "a history event is recorded before its effect is visible"), so the
/// entered event has been drained before the stop arrives. The link must
/// not depend on that.
#[test]
fn stop_during_first_wait_links_aborted_to_the_entered_events_predecessor() {
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let mut d = Driver::start(&def, json!({}));
    d.at(T0 + secs(1)).signal(Signal::Stop {
        error: None,
        cause: None,
    });
    assert_eq!(
        d.types(),
        vec!["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    );
    assert_eq!(d.last().previous_event_id, 0, "\n{}", d.history_text());
}

/// §2.1/§5.2: "Standard history is capped at 25,000 events (execution fails
/// when reached)" — the history never holds more than 25,000 events.
#[test]
fn state_loop_history_never_exceeds_25000_events() {
    let def = json!({"StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.stop", "BooleanEquals": true, "Next": "End"}], "Default": "Loop"},
        "End": {"Type": "Succeed"}}});
    let d = Driver::start(&def, json!({"stop": false}));
    assert_eq!(d.last().event_type, E::ExecutionFailed);
    assert!(
        d.events.len() <= 25_000,
        "history holds {} events",
        d.events.len()
    );
}

/// §2.1/§5.2 (same quota): retries add events too (§2.3: each retry repeats
/// Scheduled/Started/Failed), so a task retried without end must also be
/// stopped at 25,000 events.
#[test]
fn retry_storm_is_stopped_by_the_history_limit() {
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": INVOKE, "Parameters": {"FunctionName": "f"}, "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 1,
                   "MaxAttempts": 99999999}]}}});
    let mut d = Driver::start(&def, json!({}));
    while d.running() && d.events.len() <= 25_100 {
        if d.pending.is_empty() {
            d.fire_next_timer();
        } else {
            d.fail("T", "Boom", "again");
        }
    }
    assert!(
        matches!(d.status(), Status::Failed(_)),
        "still running after {} events",
        d.events.len()
    );
    assert_eq!(d.last().event_type, E::ExecutionFailed);
    assert!(d.events.len() <= 25_000);
}

/// §3.6 Wait (recorded AWS runtime errors): a timestamp "more than 24,855
/// days (~2^31 s) ahead → 'Wait state delay is too long.'" (`States.Runtime`).
#[test]
fn wait_timestamp_too_far_ahead_is_a_runtime_error() {
    // T0 is 2023-11-14; 24,855 days later is in 2091.
    let def = json!({"StartAt": "W", "States": {"W": {
        "Type": "Wait", "Timestamp": "2100-01-01T00:00:00Z", "End": true}}});
    let d = Driver::start(&def, json!({}));
    assert!(
        !d.running(),
        "waits {} days",
        (d.next_timer().map(|t| t.1).unwrap_or(T0) - T0) / 86_400_000
    );
    let (error, cause) = d.failure();
    assert_eq!(error, "States.Runtime");
    assert!(cause.ends_with("Wait state delay is too long."), "{cause}");
}

// ---------------------------------------------------------------------------
// Redrive (§3.11, [DG] redrive-executions)
// ---------------------------------------------------------------------------

fn redrive_count(e: &asl::HistoryEvent) -> Value {
    e.details.to_map().expect("details")["redriveCount"].clone()
}

/// "If your workflow execution fails at the Task state, and you redrive the
/// execution, the execution reschedules and then reruns the Task state":
/// the Pass before it is not run again, the Task gets the same input, and
/// `ExecutionRedriven` carries the count; `$$.Execution.RedriveCount` shows it.
#[test]
fn redrive_reruns_the_failed_task_with_its_input_and_keeps_earlier_states() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": {"x": 1}, "Next": "T"},
        "T": {"Type": "Task", "Resource": INVOKE, "End": true,
              "Parameters": {"in.$": "$", "count.$": "$$.Execution.RedriveCount"}}}});
    let mut d = Driver::start(&def, json!({}));
    assert_eq!(d.task("T").parameters, json!({"in": {"x": 1}, "count": 0}));
    d.fail("T", "Boom", "down");
    assert_eq!(d.failure().0, "Boom");
    let failed_at = d.events.len() as u64;
    d.after(secs(60)).signal(Signal::Redrive);
    assert!(d.running());
    let redriven = d.one(E::ExecutionRedriven);
    assert_eq!(redriven.id, failed_at + 1);
    assert_eq!(redriven.previous_event_id, failed_at);
    assert_eq!(redrive_count(redriven), json!(1));
    // P is not entered again; T is, right after the redrive event.
    assert_eq!(d.entered("P").len(), 1);
    let t_entries = d.entered("T");
    assert_eq!(t_entries.len(), 2);
    assert_eq!(t_entries[1].previous_event_id, redriven.id);
    assert_eq!(d.task("T").parameters, json!({"in": {"x": 1}, "count": 1}));
    d.succeed("T", json!("ok"));
    assert_eq!(d.output(), json!("ok"));
    d.assert_well_formed();
}

/// Retry counters start afresh after a redrive; a second redrive counts 2.
#[test]
fn redrive_resets_retry_counters_and_counts_redrives() {
    let def = with_task(json!({
        "Type": "Task", "Resource": INVOKE, "Next": "Done",
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    }));
    let mut d = Driver::start(&def, json!({}));
    for round in 0..3 {
        assert!(fail_t(&mut d, "Boom").is_some(), "round {round}: one retry");
        d.fire_next_timer();
        assert_eq!(fail_t(&mut d, "Boom"), None, "round {round}: exhausted");
        assert!(!d.running());
        d.after(secs(5)).signal(Signal::Redrive);
    }
    let counts: Vec<Value> = d
        .all(E::ExecutionRedriven)
        .iter()
        .map(|e| redrive_count(e))
        .collect();
    assert_eq!(counts, vec![json!(1), json!(2), json!(3)]);
    d.succeed("T", json!({}));
    assert!(matches!(d.status(), Status::Succeeded { .. }));
}

/// "For workflows that include an Inline Map or Parallel state, redrive
/// reschedules only the iterations and branches that failed or aborted."
#[test]
fn redrive_of_a_parallel_reruns_only_the_failed_and_aborted_branches() {
    let branch = |name: &str| json!({"StartAt": name, "States": {name: {"Type": "Task", "Resource": INVOKE, "End": true}}});
    let def = json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true,
        "Branches": [branch("A"), branch("B"), branch("C")]}}});
    let mut d = Driver::start(&def, json!({"v": 1}));
    d.succeed("A", json!("a"));
    d.fail("B", "Boom", "b broke");
    // C was aborted by B's failure.
    assert_eq!(d.count(E::TaskStateAborted), 1);
    assert_eq!(d.failure().0, "Boom");
    d.signal(Signal::Redrive);
    assert_eq!(d.entered("A").len(), 1, "A succeeded: not rerun");
    assert_eq!(d.entered("B").len(), 2);
    assert_eq!(d.entered("C").len(), 2);
    d.succeed("C", json!("c")).succeed("B", json!("b"));
    assert_eq!(d.output(), json!(["a", "b", "c"]));
    d.assert_well_formed();
}

/// Inline Map: succeeded iterations keep their results.
#[test]
fn redrive_of_an_inline_map_reruns_only_unsuccessful_iterations() {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Task", "Resource": INVOKE, "End": true}}}}}});
    let mut d = Driver::start(&def, json!([10, 20, 30]));
    let tasks: Vec<_> = d.pending.values().cloned().collect();
    assert_eq!(tasks.len(), 3);
    d.signal(Signal::TaskSucceeded {
        task: tasks[0].id,
        output: json!(1),
    });
    d.signal(Signal::TaskFailed {
        task: tasks[1].id,
        error: Some("Boom".into()),
        cause: None,
    });
    assert!(!d.running());
    let started_before = d.count(E::MapIterationStarted);
    d.signal(Signal::Redrive);
    assert_eq!(d.count(E::MapIterationStarted), started_before + 2);
    let again: Vec<_> = d.pending.values().cloned().collect();
    let inputs: Vec<Value> = again.iter().map(|t| t.parameters.clone()).collect();
    assert_eq!(inputs, vec![json!(20), json!(30)]);
    for t in again {
        let out = json!(t.parameters.as_i64().unwrap() / 10);
        d.signal(Signal::TaskSucceeded {
            task: t.id,
            output: out,
        });
    }
    assert_eq!(d.output(), json!([1, 2, 3]));
    d.assert_well_formed();
}

/// A stopped (ABORTED) execution resumes at the state that was running; a
/// SUCCEEDED one ignores the signal.
#[test]
fn redrive_of_an_aborted_execution_resumes_the_running_state() {
    let def = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 10, "Next": "T"},
        "T": {"Type": "Task", "Resource": INVOKE, "End": true}}});
    let mut d = Driver::start(&def, json!({"k": "v"}));
    d.fire_next_timer();
    d.signal(Signal::Stop {
        error: Some("Stopped".into()),
        cause: None,
    });
    assert!(matches!(d.status(), Status::Aborted(_)));
    assert!(d.pending.is_empty() || d.cancelled_tasks.len() == 1);
    d.signal(Signal::Redrive);
    assert_eq!(d.entered("W").len(), 1);
    assert_eq!(d.task("T").parameters, json!({"k": "v"}));
    d.succeed("T", json!(5));
    assert_eq!(d.output(), json!(5));
    let n = d.events.len();
    d.signal(Signal::Redrive);
    assert_eq!(
        d.events.len(),
        n,
        "a SUCCEEDED execution cannot be redriven"
    );
}

/// The execution-level TimeoutSeconds starts again from the redrive.
#[test]
fn redrive_rearms_the_execution_timeout() {
    let def = json!({"StartAt": "T", "TimeoutSeconds": 30, "States": {
        "T": {"Type": "Task", "Resource": INVOKE, "End": true}}});
    let mut d = Driver::start(&def, json!({}));
    d.fire_next_timer();
    assert!(matches!(d.status(), Status::TimedOut(_)));
    d.after(secs(100)).signal(Signal::Redrive);
    let redrive_at = d.now;
    assert_eq!(d.next_timer().map(|t| t.1), Some(redrive_at + secs(30)));
    d.succeed("T", json!(1));
    assert_eq!(d.output(), json!(1));
}

// ---------------------------------------------------------------------------
// Variable quotas (§3.5: 256 KiB per variable and per Assign, 10 MiB in all)
// ---------------------------------------------------------------------------

fn big(kib: usize) -> Value {
    json!("x".repeat(kib * 1024))
}

#[test]
fn a_variable_over_256_kib_fails_the_state_with_data_limit_exceeded() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"v": {"a.$": "$.s", "b.$": "$.s"}}, "End": true}}});
    let d = Driver::start(&def, json!({"s": big(129)}));
    assert!(!d.running());
    let (error, cause) = d.failure();
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("variable 'v'"), "{cause}");
    assert_eq!(d.count(E::PassStateExited), 0, "nothing assigned half-way");
    // Just under the limit is fine.
    let ok = Driver::start(&def, json!({"s": big(127)}));
    assert!(matches!(ok.status(), Status::Succeeded { .. }));
}

#[test]
fn one_assign_over_256_kib_in_total_fails_even_if_each_variable_fits() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"a.$": "$.s", "b.$": "$.s"}, "End": true}}});
    let d = Driver::start(&def, json!({"s": big(150)}));
    let (error, cause) = d.failure();
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("total size"), "{cause}");
}

/// Sixty Map iterations each holding a 200 KiB variable while they wait
/// on a task: together past 10 MiB, so the Map fails; scopes that ended
/// give their bytes back (a sequential run of the same Map succeeds).
#[test]
fn all_live_variables_are_capped_at_10_mib_and_ended_scopes_release_theirs() {
    let map = |concurrency: u64| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemsPath": "$.items", "MaxConcurrency": concurrency,
            "ItemSelector": {"b.$": "$.big"},
            "ItemProcessor": {"StartAt": "Keep", "States": {
                "Keep": {"Type": "Pass", "Assign": {"v.$": "$.b"}, "Next": "T"},
                "T": {"Type": "Task", "Resource": INVOKE, "Parameters": {}, "End": true}}}}}})
    };
    let input = json!({"items": (0..60).collect::<Vec<_>>(), "big": big(200)});
    let all_at_once = Driver::start(&map(0), input.clone());
    let (error, cause) = all_at_once.failure();
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("total size"), "{cause}");

    let mut one_by_one = Driver::start(&map(1), input);
    for _ in 0..60 {
        let t = one_by_one.task("T");
        one_by_one.signal(Signal::TaskSucceeded {
            task: t.id,
            output: json!(0),
        });
    }
    assert!(matches!(one_by_one.status(), Status::Succeeded { .. }));
}

// ---------------------------------------------------------------------------
// Map Runs (DescribeMapRun / UpdateMapRun, [API] MapRunExecutionCounts)
// ---------------------------------------------------------------------------

fn distributed(extra: Value) -> Value {
    let mut map = json!({"Type": "Map", "End": true, "Label": "Items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": INVOKE, "End": true}}}});
    for (k, v) in extra.as_object().unwrap() {
        map[k] = v.clone();
    }
    json!({"StartAt": "Map", "States": {"Map": map}})
}

fn pending_works(d: &Driver) -> Vec<TaskRequest> {
    d.pending
        .values()
        .filter(|t| t.state_name == "Work")
        .cloned()
        .collect()
}

fn answer(d: &mut Driver, task: &TaskRequest, ok: bool) {
    if ok {
        d.signal(Signal::TaskSucceeded {
            task: task.id,
            output: task.parameters.clone(),
        });
    } else {
        d.signal(Signal::TaskFailed {
            task: task.id,
            error: Some("Boom".into()),
            cause: Some("item failed".into()),
        });
    }
}

/// A Distributed Map keeps a Map Run whose counters follow its children:
/// items not yet started are pending, each started item is one child
/// execution with its own UUID name under the labelled state machine.
#[test]
fn a_map_run_counts_items_and_child_executions_as_they_progress() {
    let def = distributed(json!({"MaxConcurrency": 2}));
    let mut d = Driver::start(&def, json!([1, 2, 3, 4, 5]));
    let run = d.exec.map_runs()[0].clone();
    let started = d.one(E::MapRunStarted);
    assert_eq!(json_detail_str(started, "mapRunArn"), run.arn);
    assert!(run.arn.contains(":mapRun:") && run.arn.contains("/Items:"));
    assert_eq!(
        run.state_machine_arn,
        format!("{}/Items", info().state_machine_arn)
    );
    assert_eq!(run.max_concurrency, 2);
    let items = run.item_counts();
    assert_eq!((items.total, items.pending, items.running), (5, 3, 2));
    assert_eq!(run.execution_counts().total, 2);
    let works = pending_works(&d);
    answer(&mut d, &works[0], true);
    answer(&mut d, &works[1], true);
    let run = &d.exec.map_runs()[0];
    assert_eq!(run.item_counts().succeeded, 2);
    assert_eq!(run.item_counts().running, 2);
    let names: std::collections::HashSet<_> = run.children.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names.len(), 4, "each child has its own name");
    while let Some(t) = pending_works(&d).first().cloned() {
        answer(&mut d, &t, true);
    }
    let run = &d.exec.map_runs()[0];
    assert_eq!(run.status, asl::MapRunStatus::Succeeded);
    assert_eq!(run.item_counts().succeeded, 5);
    assert!(run.stop_date.is_some());
    assert_eq!(d.output(), json!([1, 2, 3, 4, 5]));
}

fn json_detail_str(e: &asl::HistoryEvent, key: &str) -> String {
    e.details.to_map().expect("details")[key]
        .as_str()
        .expect("a string")
        .to_string()
}

/// UpdateMapRun raising MaxConcurrency starts waiting items at once.
#[test]
fn update_map_run_raises_concurrency_for_waiting_items() {
    let def = distributed(json!({"MaxConcurrency": 1}));
    let mut d = Driver::start(&def, json!([1, 2, 3, 4]));
    assert_eq!(pending_works(&d).len(), 1);
    let arn = d.exec.map_runs()[0].arn.clone();
    d.signal(Signal::UpdateMapRun {
        map_run_arn: arn,
        update: asl::MapRunUpdate {
            max_concurrency: Some(3),
            ..Default::default()
        },
    });
    assert_eq!(pending_works(&d).len(), 3);
    assert_eq!(d.exec.map_runs()[0].max_concurrency, 3);
    while let Some(t) = pending_works(&d).first().cloned() {
        answer(&mut d, &t, true);
    }
    assert_eq!(d.output(), json!([1, 2, 3, 4]));
}

/// Lowering the tolerated failures below what already failed fails the Map
/// Run at once with States.ExceedToleratedFailureThreshold, aborting the
/// children still running.
#[test]
fn update_map_run_lowering_tolerance_below_failures_fails_the_map_run() {
    let def = distributed(json!({"ToleratedFailureCount": 5}));
    let mut d = Driver::start(&def, json!([1, 2, 3]));
    let works = pending_works(&d);
    answer(&mut d, &works[0], false);
    assert!(d.running(), "one failure is tolerated");
    let arn = d.exec.map_runs()[0].arn.clone();
    d.signal(Signal::UpdateMapRun {
        map_run_arn: arn.clone(),
        update: asl::MapRunUpdate {
            tolerated_failure_count: Some(0),
            ..Default::default()
        },
    });
    assert_eq!(d.failure().0, "States.ExceedToleratedFailureThreshold");
    assert_eq!(d.count(E::MapRunFailed), 1);
    let run = &d.exec.map_runs()[0];
    assert_eq!(run.status, asl::MapRunStatus::Failed);
    assert_eq!(run.tolerated_failure_count, 0);
    let counts = run.execution_counts();
    assert_eq!(
        (counts.failed, counts.aborted, counts.pending_redrive),
        (1, 2, 3)
    );
    // A closed Map Run ignores further updates.
    d.signal(Signal::UpdateMapRun {
        map_run_arn: arn,
        update: asl::MapRunUpdate {
            max_concurrency: Some(9),
            ..Default::default()
        },
    });
    assert_eq!(d.exec.map_runs()[0].max_concurrency, 0);
}

/// Stopping the parent aborts its open Map Run and running children; a
/// redrive reruns them under the same names and records MapRunRedriven.
#[test]
fn stop_aborts_the_map_run_and_redrive_reruns_its_children() {
    let def = distributed(json!({}));
    let mut d = Driver::start(&def, json!(["a", "b"]));
    let works = pending_works(&d);
    answer(&mut d, &works[0], true);
    d.signal(Signal::Stop {
        error: None,
        cause: None,
    });
    let run = d.exec.map_runs()[0].clone();
    assert_eq!(run.status, asl::MapRunStatus::Aborted);
    assert_eq!(
        (
            run.execution_counts().succeeded,
            run.execution_counts().aborted
        ),
        (1, 1)
    );
    d.after(secs(1)).signal(Signal::Redrive);
    let redriven = d.one(E::MapRunRedriven);
    assert_eq!(json_detail_str(redriven, "mapRunArn"), run.arn);
    assert_eq!(redrive_count(redriven), json!(1));
    let again = d.exec.map_runs()[0].clone();
    assert_eq!(again.status, asl::MapRunStatus::Running);
    assert_eq!(again.redrive_count, 1);
    assert_eq!(again.children[1].name, run.children[1].name);
    assert_eq!(again.children[1].redrive_count, 1);
    assert_eq!(pending_works(&d).len(), 1);
    let t = pending_works(&d)[0].clone();
    answer(&mut d, &t, true);
    assert_eq!(d.output(), json!(["a", "b"]));
    assert_eq!(d.exec.map_runs()[0].status, asl::MapRunStatus::Succeeded);
}

/// Each Distributed Map child has a history of its own, from
/// `ExecutionStarted` (id 1) to its closing event, none of it in the
/// parent's history; a redrive continues it with `ExecutionRedriven`.
#[test]
fn map_run_children_have_histories_of_their_own() {
    use asl::map_run::ChildChange;
    let def = distributed(json!({}));
    let mut d = Driver::start(&def, json!(["a", "b"]));
    assert_eq!(
        d.count(E::TaskStateEntered),
        0,
        "child events stay out of the parent"
    );
    let works = pending_works(&d);
    answer(&mut d, &works[0], true);
    answer(&mut d, &works[1], false);
    assert_eq!(d.failure().0, "Boom");
    d.after(secs(1)).signal(Signal::Redrive);
    let t = pending_works(&d)[0].clone();
    answer(&mut d, &t, true);
    assert_eq!(d.output(), json!(["a", "b"]));

    let changes = d.exec.take_child_changes();
    let run = d.exec.map_runs()[0].clone();
    let second = run.child_arn(&run.children[1].name);
    let mut started = Vec::new();
    let mut history = Vec::new();
    let mut closed = Vec::new();
    let mut redriven = Vec::new();
    for c in &changes {
        match c {
            ChildChange::Started {
                execution_arn,
                input,
                map_run_arn,
                state_machine_arn,
                ..
            } => {
                assert_eq!(map_run_arn, &run.arn);
                assert_eq!(state_machine_arn, &run.state_machine_arn);
                started.push((execution_arn.clone(), input.clone()));
            }
            ChildChange::Event {
                execution_arn,
                event,
            } if execution_arn == &second => {
                history.push((event.id, event.previous_event_id, event.event_type.as_str()));
            }
            ChildChange::Event { .. } => {}
            ChildChange::Closed {
                execution_arn,
                status,
                error,
                ..
            } => {
                closed.push((execution_arn.clone(), status.as_str(), error.clone()));
            }
            ChildChange::Redriven {
                execution_arn,
                redrive_count,
                ..
            } => {
                redriven.push((execution_arn.clone(), *redrive_count));
            }
        }
    }
    assert_eq!(started.len(), 2);
    assert_eq!(started[1], (second.clone(), json!("b")));
    assert_eq!(
        history,
        vec![
            (1, 0, "ExecutionStarted"),
            (2, 0, "TaskStateEntered"),
            (3, 2, "TaskScheduled"),
            (4, 3, "TaskStarted"),
            (5, 4, "TaskFailed"),
            (6, 5, "ExecutionFailed"),
            (7, 6, "ExecutionRedriven"),
            (8, 7, "TaskStateEntered"),
            (9, 8, "TaskScheduled"),
            (10, 9, "TaskStarted"),
            (11, 10, "TaskSucceeded"),
            (12, 11, "TaskStateExited"),
            (13, 12, "ExecutionSucceeded"),
        ]
    );
    assert_eq!(
        closed.iter().map(|c| c.1).collect::<Vec<_>>(),
        ["SUCCEEDED", "FAILED", "SUCCEEDED"]
    );
    assert_eq!(closed[1].2.as_deref(), Some("Boom"));
    assert_eq!(redriven, vec![(second, 1)]);
}

/// Inside a Distributed Map child, `$$.Execution` and `$$.StateMachine` are
/// the child's own: its ARN, name, input and the labelled state machine.
#[test]
fn a_map_run_child_sees_itself_in_the_context_object() {
    let def = json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true, "Label": "L",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Who", "States": {"Who": {"Type": "Pass", "End": true, "Parameters": {
                "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name",
                "input.$": "$$.Execution.Input", "machine.$": "$$.StateMachine.Id"}}}}}}});
    let d = Driver::start(&def, json!([{"k": 1}]));
    let run = &d.exec.map_runs()[0];
    let child = &run.children[0];
    assert_eq!(
        d.output(),
        json!([{
            "id": run.child_arn(&child.name),
            "name": child.name,
            "input": {"k": 1},
            "machine": format!("{}/L", info().state_machine_arn),
        }])
    );
}

// ---------------------------------------------------------------------------
// ItemBatcher, ItemReader, ResultWriter ([DG] input-output-itembatcher)
// ---------------------------------------------------------------------------

/// "Step Functions adds the items to an Items array. It then passes the
/// array as input to each child workflow execution", with `BatchInput`
/// beside it; the Map's result is each child's output, and the Map Run
/// counts items and child executions apart.
#[test]
fn item_batcher_groups_items_into_child_inputs() {
    let def = json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true,
        "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"run.$": "$.run", "fixed": 1}},
        "ItemsPath": "$.rows",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let d = Driver::start(&def, json!({"run": "r1", "rows": [1, 2, 3, 4, 5]}));
    assert_eq!(
        d.output(),
        json!([
            {"BatchInput": {"run": "r1", "fixed": 1}, "Items": [1, 2]},
            {"BatchInput": {"run": "r1", "fixed": 1}, "Items": [3, 4]},
            {"BatchInput": {"run": "r1", "fixed": 1}, "Items": [5]},
        ])
    );
    let run = &d.exec.map_runs()[0];
    assert_eq!(
        (run.item_counts().total, run.item_counts().succeeded),
        (5, 5)
    );
    assert_eq!(run.execution_counts().total, 3);
    assert_eq!(
        run.children
            .iter()
            .map(|c| c.item_count)
            .collect::<Vec<_>>(),
        [2, 2, 1]
    );
}

/// MaxInputBytesPerBatch bounds each child's input; an item that cannot fit
/// even alone fails the Map state.
#[test]
fn item_batcher_respects_max_input_bytes() {
    let def = |bytes: u64| {
        json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true,
            "ItemBatcher": {"MaxInputBytesPerBatch": bytes},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
    };
    // `{"Items":[]}` is 12 bytes; "aaaa" is 6, so two fit in 25 (12 + 6 + 1 + 6).
    let items = json!(["aaaa", "bbbb", "cccc"]);
    let d = Driver::start(&def(25), items.clone());
    assert_eq!(
        d.output(),
        json!([{"Items": ["aaaa", "bbbb"]}, {"Items": ["cccc"]}])
    );
    for out in d.output().as_array().unwrap() {
        assert!(serde_json::to_string(out).unwrap().len() <= 25);
    }
    let d = Driver::start(&def(17), items);
    let (error, cause) = d.failure();
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("does not fit"), "{cause}");
}

/// A failed batch fails every item in it: the tolerated count is of items.
#[test]
fn tolerated_failures_count_the_items_of_a_failed_batch() {
    let def = |count: u64| {
        json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true,
            "ToleratedFailureCount": count,
            "ItemBatcher": {"MaxItemsPerBatch": 3},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": INVOKE, "End": true}}}}}})
    };
    for (count, tolerated) in [(2, false), (3, true)] {
        let mut d = Driver::start(&def(count), json!([1, 2, 3, 4, 5, 6]));
        let works = pending_works(&d);
        assert_eq!(works.len(), 2, "two batches of three");
        answer(&mut d, &works[0], false);
        if tolerated {
            answer(&mut d, &works[1], true);
            assert!(
                matches!(d.status(), Status::Succeeded { .. }),
                "count {count}"
            );
        } else {
            assert_eq!(d.failure().0, "States.ExceedToleratedFailureThreshold");
        }
    }
}

/// Items from S3 and results to S3 need an S3 Baton does not have: the Map
/// fails with the reader's or writer's error, which a Catch can take.
#[test]
fn item_reader_and_result_writer_fail_clearly_and_can_be_caught() {
    let def = json!({"StartAt": "Map", "States": {
        "Map": {"Type": "Map", "Next": "Done",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "b", "Key": "k"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": true},
        "Done": {"Type": "Pass", "End": true}}});
    let d = Driver::start(&def, json!({}));
    let out = d.output();
    assert_eq!(out["Error"], "States.ItemReaderFailed");
    assert!(out["Cause"].as_str().unwrap().contains("s3:getObject"));
    let def = json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true,
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let d = Driver::start(&def, json!([1]));
    assert_eq!(d.failure().0, "States.ResultWriterFailed");
}

/// StopExecution of one child: its task is cancelled, it closes ABORTED
/// with the stop's error, and its Map Run counts it as a failed item,
/// which a tolerance absorbs (or, without one, fails the Map state).
#[test]
fn stopping_one_child_aborts_it_and_counts_against_the_tolerance() {
    use asl::map_run::ChildChange;
    for (tolerance, survives) in [
        (json!({"ToleratedFailureCount": 1}), true),
        (json!({}), false),
    ] {
        let mut d = Driver::start(&distributed(tolerance), json!(["a", "b"]));
        let works = pending_works(&d);
        let run = d.exec.map_runs()[0].clone();
        let first = run.child_arn(&run.children[0].name);
        d.exec.take_child_changes();
        d.signal(Signal::StopChild {
            execution_arn: first.clone(),
            error: Some("Operator".into()),
            cause: Some("not needed".into()),
        });
        assert!(
            d.cancelled_tasks.contains(&works[0].id),
            "its task is cancelled"
        );
        let changes = d.exec.take_child_changes();
        let types: Vec<&str> = changes
            .iter()
            .filter_map(|c| match c {
                ChildChange::Event {
                    execution_arn,
                    event,
                } if *execution_arn == first => Some(event.event_type.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(types, ["TaskStateAborted", "ExecutionAborted"]);
        assert!(changes.iter().any(|c| matches!(c,
            ChildChange::Closed { status: asl::ChildStatus::Aborted, error: Some(e), .. } if e == "Operator")));
        if survives {
            assert!(d.running());
            answer(&mut d, &works[1], true);
            assert!(matches!(d.status(), Status::Succeeded { .. }));
            assert_eq!(d.exec.map_runs()[0].execution_counts().aborted, 1);
        } else {
            assert_eq!(d.failure().0, "Operator");
        }
    }
}

/// A Map Run child is an execution with its own 25,000-event limit: a child
/// that loops forever fails with States.Runtime instead of spinning, and
/// its Map state sees a failed child.
#[test]
fn a_looping_map_run_child_fails_at_its_own_history_limit() {
    let def = json!({"StartAt": "Map", "States": {"Map": {"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Spin", "States": {
                "Spin": {"Type": "Pass", "Next": "Again"},
                "Again": {"Type": "Choice", "Choices": [
                    {"Variable": "$", "IsPresent": true, "Next": "Spin"}], "Default": "Done"},
                "Done": {"Type": "Succeed"}}}}}});
    let mut d = Driver::start(&def, json!([1]));
    let (error, cause) = d.failure();
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("25000"), "{cause}");
    assert!(d.events.len() < 20, "the parent's history stays small");
    let changes = d.exec.take_child_changes();
    let child_events = changes
        .iter()
        .filter(|c| matches!(c, asl::map_run::ChildChange::Event { .. }))
        .count();
    assert!((25_000..25_010).contains(&child_events), "{child_events}");
    assert_eq!(d.exec.map_runs()[0].execution_counts().failed, 1);
}
