//! The durable runtime end to end over a store: executions start, wait,
//! call activities and callbacks, and survive a restart by journal replay.

use std::sync::Arc;
use std::time::Duration;

use engine::durable::{Engine, EngineConfig, EngineError, NoIntegrations, StartRequest};
use store::{ExecutionStatus, MachineType, MemoryStore, SqliteStore, StateMachineRecord, Store};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

fn machine(name: &str, definition: &str, machine_type: MachineType) -> StateMachineRecord {
    StateMachineRecord {
        arn: format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"),
        name: name.into(),
        definition: definition.into(),
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/r"),
        machine_type,
        created: 0,
        updated: 0,
        revision_id: "r1".into(),
        version: None,
        description: None,
        logging_configuration: None,
        tracing_configuration: None,
        encryption_configuration: None,
        tags: Vec::new(),
    }
}

fn config(time_scale: f64) -> EngineConfig {
    EngineConfig {
        region: REGION.into(),
        account: ACCOUNT.into(),
        time_scale,
        ..Default::default()
    }
}

async fn open(store: Arc<dyn Store>, time_scale: f64) -> Engine {
    Engine::open(store, config(time_scale), Arc::new(NoIntegrations))
        .await
        .expect("engine opens")
}

fn start(arn: &str, name: &str, input: &str) -> StartRequest {
    StartRequest {
        state_machine_arn: arn.into(),
        name: Some(name.into()),
        input: Some(input.into()),
        trace_header: None,
    }
}

async fn wait_closed(store: &Arc<dyn Store>, arn: &str) -> store::ExecutionRecord {
    for _ in 0..500 {
        if let Some(r) = store.get_execution(arn).unwrap()
            && r.status != ExecutionStatus::Running
        {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("execution {arn} did not finish");
}

#[tokio::test]
async fn a_pass_chain_finishes_inside_start_execution_and_its_history_is_stored() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let sm = machine(
        "chain",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"Next":"B"},"B":{"Type":"Pass","End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let started = engine
        .start_execution(start(&sm.arn, "e1", "{}"))
        .await
        .unwrap();
    assert_eq!(
        started.execution_arn,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:execution:chain:e1")
    );
    let record = store
        .get_execution(&started.execution_arn)
        .unwrap()
        .unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_deref(), Some(r#"{"x":1}"#));
    let history = store
        .history(&started.execution_arn, 0, 100, false)
        .unwrap();
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    // AWS name idempotency: a closed execution's name cannot be reused.
    let again = engine.start_execution(start(&sm.arn, "e1", "{}")).await;
    assert!(matches!(again, Err(EngineError::ExecutionAlreadyExists(_))));
}

#[tokio::test]
async fn a_running_execution_with_the_same_name_and_input_is_the_same_execution() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let sm = machine(
        "waits",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let a = engine
        .start_execution(start(&sm.arn, "same", r#"{"a":1}"#))
        .await
        .unwrap();
    let b = engine
        .start_execution(start(&sm.arn, "same", r#"{"a":1}"#))
        .await
        .unwrap();
    assert_eq!(a, b);
    let c = engine
        .start_execution(start(&sm.arn, "same", r#"{"a":2}"#))
        .await;
    assert!(matches!(c, Err(EngineError::ExecutionAlreadyExists(_))));
    let stop = engine
        .stop_execution(&a.execution_arn, Some("E".into()), None)
        .await
        .unwrap();
    let record = store.get_execution(&a.execution_arn).unwrap().unwrap();
    assert_eq!(record.status, ExecutionStatus::Aborted);
    assert_eq!(record.stop_date, Some(stop));
}

#[tokio::test]
async fn an_activity_is_handed_to_a_worker_and_completed_with_its_token() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:work");
    store
        .put_activity(&store::ActivityRecord {
            arn: activity.clone(),
            name: "work".into(),
            created: 0,
            tags: Vec::new(),
        })
        .unwrap();
    let sm = machine(
        "act",
        &format!(
            r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
        ),
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let started = engine
        .start_execution(start(&sm.arn, "a1", r#"{"job":7}"#))
        .await
        .unwrap();
    let (token, input) = engine
        .get_activity_task(&activity, Some("worker-1".into()), Duration::from_secs(5))
        .await
        .unwrap()
        .expect("a task");
    assert_eq!(input, r#"{"job":7}"#);
    engine
        .send_task_success(&token, r#"{"done":true}"#)
        .await
        .unwrap();
    let record = wait_closed(&store, &started.execution_arn).await;
    assert_eq!(record.output.as_deref(), Some(r#"{"done":true}"#));
    let history = store
        .history(&started.execution_arn, 0, 100, false)
        .unwrap();
    let worker = history
        .iter()
        .find(|e| e.event_type == asl::EventType::ActivityStarted)
        .and_then(|e| e.detail_str("workerName").map(str::to_string));
    assert_eq!(worker.as_deref(), Some("worker-1"));
    // The token is spent.
    assert!(matches!(
        engine.send_task_success(&token, "{}").await,
        Err(EngineError::TaskTimedOut)
    ));
    assert!(matches!(
        engine.send_task_success("garbage", "{}").await,
        Err(EngineError::InvalidToken(_))
    ));
    // No task: the long poll returns nothing.
    let none = engine
        .get_activity_task(&activity, None, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn express_executions_run_synchronously_and_leave_no_history() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let sm = machine(
        "fast",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},"P":{"Type":"Pass","Result":"done","End":true}}}"#,
        MachineType::Express,
    );
    store.put_state_machine(&sm).unwrap();
    // 1000x: the two-second Wait takes two milliseconds.
    let engine = open(Arc::clone(&store), 1000.0).await;
    let out = engine
        .start_sync_execution(start(&sm.arn, "x", "{}"))
        .await
        .unwrap();
    assert_eq!(out.status, "SUCCEEDED");
    assert_eq!(out.output.as_deref(), Some(r#""done""#));
    assert!(
        out.stop_date - out.start_date >= 2000,
        "execution time is scaled"
    );
    assert!(out.execution_arn.contains(":express:fast:x:"));
    assert!(store.get_execution(&out.execution_arn).unwrap().is_none());
    let standard = machine(
        "std",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&standard).unwrap();
    assert!(matches!(
        engine
            .start_sync_execution(start(&standard.arn, "y", "{}"))
            .await,
        Err(EngineError::StateMachineTypeNotSupported)
    ));
}

#[tokio::test]
async fn bad_requests_get_aws_errors() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let sm = machine(
        "m",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    assert!(matches!(
        engine
            .start_execution(start(&sm.arn, "bad name", "{}"))
            .await,
        Err(EngineError::InvalidName(_))
    ));
    assert!(matches!(
        engine
            .start_execution(start(&sm.arn, "ok", "{not json"))
            .await,
        Err(EngineError::InvalidExecutionInput(_))
    ));
    let missing = format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:nope");
    assert!(matches!(
        engine.start_execution(start(&missing, "ok", "{}")).await,
        Err(EngineError::StateMachineDoesNotExist(_))
    ));
    assert!(matches!(
        engine
            .start_execution(start("not-an-arn", "ok", "{}"))
            .await,
        Err(EngineError::InvalidArn(_))
    ));
}

/// A restart resumes running executions from the journal: the Wait keeps its
/// original due time and the callback token handed out before the restart
/// still completes the task.
#[test]
fn executions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let sm = machine(
        "durable",
        r#"{"StartAt":"W","States":{
            "W":{"Type":"Wait","Seconds":1,"Next":"T"},
            "T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}"#,
        MachineType::Standard,
    );
    let arn;
    {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, Default::default()).unwrap());
        store.put_state_machine(&sm).unwrap();
        arn = rt.block_on(async {
            let engine = open(Arc::clone(&store), 1.0).await;
            engine
                .start_execution(start(&sm.arn, "r1", "{}"))
                .await
                .unwrap()
                .execution_arn
        });
        store.flush().unwrap();
        // The runtime is dropped with the execution mid-Wait: a crash, as far
        // as the execution can tell.
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, Default::default()).unwrap());
    rt.block_on(async {
        // 10x so the remaining part of the one-second Wait passes quickly.
        let engine = open(Arc::clone(&store), 10.0).await;
        assert_eq!(engine.running(), 1, "the execution was resumed");
        // The Wait fires, then the callback task is dispatched (and fails in
        // NoIntegrations, since nothing can send an SQS message locally).
        let record = wait_closed(&store, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Failed);
        let history = store.history(&arn, 0, 100, false).unwrap();
        let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "ExecutionStarted",
                "WaitStateEntered",
                "WaitStateExited",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskFailed",
                "ExecutionFailed"
            ]
        );
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            (1..=8).collect::<Vec<u64>>(),
            "no event missing or doubled"
        );
    });
}

/// `arn:aws:states:::states:startExecution.sync:2` starts a child execution,
/// waits for it and returns its DescribeExecution with parsed Output; a
/// failing child fails the task with `States.TaskFailed`.
#[tokio::test]
async fn a_task_can_run_another_state_machine_and_wait_for_it() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let child = machine(
        "child",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"C"},
            "C":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"F"}],"Default":"P"},
            "F":{"Type":"Fail","Error":"ChildError","Cause":"asked to"},
            "P":{"Type":"Pass","Parameters":{"doubled.$":"States.MathAdd($.n, $.n)"},"End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&child).unwrap();
    let parent = machine(
        "parent",
        &format!(
            r#"{{"StartAt":"Run","States":{{"Run":{{"Type":"Task",
                "Resource":"arn:aws:states:::states:startExecution.sync:2",
                "Parameters":{{"StateMachineArn":"{}","Input.$":"$"}},
                "OutputPath":"$.Output","End":true}}}}}}"#,
            child.arn
        ),
        MachineType::Standard,
    );
    store.put_state_machine(&parent).unwrap();
    let engine = open(Arc::clone(&store), 100.0).await;
    let ok = engine
        .start_execution(start(&parent.arn, "p1", r#"{"n":21,"fail":false}"#))
        .await
        .unwrap();
    let record = wait_closed(&store, &ok.execution_arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(record.output.as_deref(), Some(r#"{"doubled":42}"#));

    let bad = engine
        .start_execution(start(&parent.arn, "p2", r#"{"n":1,"fail":true}"#))
        .await
        .unwrap();
    let record = wait_closed(&store, &bad.execution_arn).await;
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(record.error.as_deref(), Some("States.TaskFailed"));
    let cause: serde_json::Value = serde_json::from_str(record.cause.as_deref().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "ChildError");
}

/// `--clock virtual`: an hour-long Wait and a retry back-off finish at once,
/// while the history shows the hour.
#[tokio::test]
async fn the_virtual_clock_jumps_to_the_next_timer_when_idle() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let sm = machine(
        "slow",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = Engine::open(
        Arc::clone(&store),
        EngineConfig {
            virtual_clock: true,
            ..config(1.0)
        },
        Arc::new(NoIntegrations),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let run = engine
        .start_execution(start(&sm.arn, "v", "{}"))
        .await
        .unwrap();
    let record = wait_closed(&store, &run.execution_arn).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no real waiting"
    );
    let history = store.history(&run.execution_arn, 0, 100, false).unwrap();
    let entered = history[1].timestamp;
    let exited = history[2].timestamp;
    assert_eq!(exited - entered, 3_600_000, "the history shows the hour");
}

/// RedriveExecution: a failed execution continues at its failed activity
/// task, survives a restart in between (the redrive is journalled like any
/// signal), and ends SUCCEEDED with one continuous history.
#[test]
fn a_failed_execution_is_redriven_and_the_redrive_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:flaky");
    let sm = machine(
        "redrive",
        &format!(
            r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Result":{{"n":1}},"Next":"T"}},
               "T":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}"#
        ),
        MachineType::Standard,
    );
    let arn;
    {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, Default::default()).unwrap());
        store.put_state_machine(&sm).unwrap();
        store
            .put_activity(&store::ActivityRecord {
                arn: activity.clone(),
                name: "flaky".into(),
                created: 0,
                tags: Vec::new(),
            })
            .unwrap();
        arn = rt.block_on(async {
            let engine = open(Arc::clone(&store), 1.0).await;
            let arn = engine
                .start_execution(start(&sm.arn, "rd1", "{}"))
                .await
                .unwrap()
                .execution_arn;
            let (token, _) = engine
                .get_activity_task(&activity, None, Duration::from_secs(5))
                .await
                .unwrap()
                .expect("a task");
            engine
                .send_task_failure(&token, Some("Down".into()), Some("db down".into()))
                .await
                .unwrap();
            let failed = wait_closed(&store, &arn).await;
            assert_eq!(failed.status, ExecutionStatus::Failed);
            // Not yet: a running or succeeded execution cannot be redriven.
            assert!(matches!(
                engine
                    .redrive_execution(
                        "arn:aws:states:us-east-1:123456789012:execution:redrive:nope",
                        None
                    )
                    .await,
                Err(EngineError::ExecutionDoesNotExist(_))
            ));
            let date = engine.redrive_execution(&arn, Some("tok-1")).await.unwrap();
            // The same client token answers the same.
            assert_eq!(
                engine.redrive_execution(&arn, Some("tok-1")).await.unwrap(),
                date
            );
            assert!(matches!(
                engine.redrive_execution(&arn, None).await,
                Err(EngineError::ExecutionNotRedrivable(m)) if m.contains("RUNNING")
            ));
            let record = store.get_execution(&arn).unwrap().unwrap();
            assert_eq!(record.status, ExecutionStatus::Running);
            assert_eq!(record.redrive_count, 1);
            assert_eq!(record.redrive_date, Some(date));
            assert_eq!(record.error, None);
            arn
        });
        store.flush().unwrap();
        // Crash while the redriven task waits for a worker.
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, Default::default()).unwrap());
    rt.block_on(async {
        let engine = open(Arc::clone(&store), 1.0).await;
        assert_eq!(engine.running(), 1, "the redriven execution was resumed");
        let (token, input) = engine
            .get_activity_task(&activity, None, Duration::from_secs(5))
            .await
            .unwrap()
            .expect("the task is offered again");
        assert_eq!(input, r#"{"n":1}"#, "the failed state's own input");
        engine.send_task_success(&token, r#""ok""#).await.unwrap();
        let record = wait_closed(&store, &arn).await;
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(record.output.as_deref(), Some(r#""ok""#));
        assert_eq!(record.redrive_count, 1);
        let history = store.history(&arn, 0, 100, false).unwrap();
        let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "ExecutionStarted",
                "PassStateEntered",
                "PassStateExited",
                "TaskStateEntered",
                "ActivityScheduled",
                "ActivityStarted",
                "ActivityFailed",
                "ExecutionFailed",
                "ExecutionRedriven",
                "TaskStateEntered",
                "ActivityScheduled",
                "ActivityStarted",
                "ActivitySucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..=15).collect::<Vec<u64>>(), "no event missing or doubled");
        assert!(matches!(
            engine.redrive_execution(&arn, None).await,
            Err(EngineError::ExecutionNotRedrivable(m)) if m == "Execution is SUCCEEDED and cannot be redriven"
        ));
    });
}

/// A Distributed Map's Map Run is described while it runs (from memory),
/// updated through a restart (the update is journaled), and described again
/// once the execution has closed (rebuilt from the journal).
#[test]
fn a_map_run_is_described_updated_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.sqlite3");
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:item");
    let sm = machine(
        "fanout",
        &format!(
            r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","Label":"Items","MaxConcurrency":1,"End":true,
                "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}},
                  "StartAt":"W","States":{{"W":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}}}}}}}"#
        ),
        MachineType::Standard,
    );
    let open_store =
        || -> Arc<dyn Store> { Arc::new(SqliteStore::open(&path, Default::default()).unwrap()) };
    let take = |engine: Engine| {
        let activity = activity.clone();
        async move {
            engine
                .get_activity_task(&activity, None, Duration::from_secs(5))
                .await
                .unwrap()
                .expect("an item")
        }
    };
    let (arn, run_arn);
    {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = open_store();
        store.put_state_machine(&sm).unwrap();
        store
            .put_activity(&store::ActivityRecord {
                arn: activity.clone(),
                name: "item".into(),
                created: 0,
                tags: Vec::new(),
            })
            .unwrap();
        (arn, run_arn) = rt.block_on(async {
            let engine = open(Arc::clone(&store), 1.0).await;
            let arn = engine
                .start_execution(start(&sm.arn, "m1", "[1,2,3]"))
                .await
                .unwrap()
                .execution_arn;
            let runs = engine.list_map_runs(&arn).await.unwrap();
            assert_eq!(runs.len(), 1);
            let run_arn = runs[0].arn.clone();
            let (execution, run) = engine.describe_map_run(&run_arn).await.unwrap();
            assert_eq!(execution, arn);
            assert_eq!(run.max_concurrency, 1);
            assert_eq!(
                (run.item_counts().running, run.item_counts().pending),
                (1, 2)
            );
            let (token, input) = take(engine.clone()).await;
            assert_eq!(input, "1");
            engine.send_task_success(&token, "10").await.unwrap();
            engine
                .update_map_run(
                    &run_arn,
                    asl::MapRunUpdate {
                        max_concurrency: Some(5),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let (_, run) = engine.describe_map_run(&run_arn).await.unwrap();
            assert_eq!(run.max_concurrency, 5);
            assert_eq!(run.item_counts().running, 2, "both waiting items started");
            assert!(matches!(
                engine.describe_map_run(&format!("{run_arn}x")).await,
                Err(EngineError::MapRunDoesNotExist(_))
            ));
            (arn, run_arn)
        });
        store.flush().unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = open_store();
    rt.block_on(async {
        let engine = open(Arc::clone(&store), 1.0).await;
        // Replayed with the update: two items run at once.
        let (_, run) = engine.describe_map_run(&run_arn).await.unwrap();
        assert_eq!((run.max_concurrency, run.item_counts().running), (5, 2));
        for _ in 0..2 {
            let (token, input) = take(engine.clone()).await;
            let n: u32 = input.parse().unwrap();
            engine
                .send_task_success(&token, &(n * 10).to_string())
                .await
                .unwrap();
        }
        let record = wait_closed(&store, &arn).await;
        assert_eq!(record.output.as_deref(), Some("[10,20,30]"));
        assert_eq!(engine.running(), 0);
        let (_, run) = engine.describe_map_run(&run_arn).await.unwrap();
        assert_eq!(run.status, asl::MapRunStatus::Succeeded);
        assert_eq!(run.execution_counts().succeeded, 3);
        assert_eq!(run.children.len(), 3);
        assert!(matches!(
            engine
                .update_map_run(&run_arn, asl::MapRunUpdate::default())
                .await,
            Err(EngineError::MapRunCompleted(_))
        ));
        assert_eq!(engine.list_map_runs(&arn).await.unwrap().len(), 1);
        // The children were stored as executions of their own, each once,
        // across the restart, with complete histories.
        let children = store
            .list_executions(
                &store::ExecutionFilter {
                    map_run_arn: Some(run_arn.clone()),
                    ..Default::default()
                },
                None,
                10,
            )
            .unwrap();
        assert_eq!(children.len(), 3);
        let mut outputs: Vec<String> = children
            .iter()
            .map(|c| c.output.clone().unwrap_or_default())
            .collect();
        outputs.sort();
        assert_eq!(outputs, ["10", "20", "30"]);
        for c in &children {
            assert_eq!(c.status, ExecutionStatus::Succeeded);
            let history = store.history(&c.arn, 0, 100, false).unwrap();
            let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
            assert_eq!(ids, (1..=history.len() as u64).collect::<Vec<_>>());
            assert_eq!(
                history.first().unwrap().event_type,
                asl::EventType::ExecutionStarted
            );
            assert_eq!(
                history.last().unwrap().event_type,
                asl::EventType::ExecutionSucceeded
            );
        }
    });
}

/// An in-memory store that keeps only the newest closed executions counts a
/// parent that finished inside StartExecution as newer than its children,
/// so the parent stays readable.
#[tokio::test]
async fn a_parent_outlives_its_children_under_memory_retention() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::with_retention(2));
    let sm = machine(
        "fan",
        r#"{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
            "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
              "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}"#,
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let arn = engine
        .start_execution(start(&sm.arn, "f1", "[1,2,3,4]"))
        .await
        .unwrap()
        .execution_arn;
    let record = store
        .get_execution(&arn)
        .unwrap()
        .expect("the parent is kept");
    assert_eq!(record.status, ExecutionStatus::Succeeded);
}

/// A closed execution's Map Run is read from a replay (then from a cache);
/// a redrive reopens it, so what DescribeMapRun says follows the redrive.
#[tokio::test]
async fn a_redrive_refreshes_a_closed_map_run() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:cell");
    store
        .put_activity(&store::ActivityRecord {
            arn: activity.clone(),
            name: "cell".into(),
            created: 0,
            tags: Vec::new(),
        })
        .unwrap();
    let sm = machine(
        "cells",
        &format!(
            r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,
                "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}},
                  "StartAt":"W","States":{{"W":{{"Type":"Task","Resource":"{activity}","End":true}}}}}}}}}}}}"#
        ),
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let arn = engine
        .start_execution(start(&sm.arn, "c1", "[1]"))
        .await
        .unwrap()
        .execution_arn;
    let take = || engine.get_activity_task(&activity, None, Duration::from_secs(5));
    let (token, _) = take().await.unwrap().expect("a task");
    engine
        .send_task_failure(&token, Some("Bad".into()), None)
        .await
        .unwrap();
    assert_eq!(
        wait_closed(&store, &arn).await.status,
        ExecutionStatus::Failed
    );
    let run_arn = engine.list_map_runs(&arn).await.unwrap()[0].arn.clone();
    for _ in 0..2 {
        let (_, run) = engine.describe_map_run(&run_arn).await.unwrap();
        assert_eq!(run.status, asl::MapRunStatus::Failed);
    }
    engine.redrive_execution(&arn, None).await.unwrap();
    let (token, _) = take().await.unwrap().expect("the item again");
    engine.send_task_success(&token, "1").await.unwrap();
    assert_eq!(
        wait_closed(&store, &arn).await.status,
        ExecutionStatus::Succeeded
    );
    let (_, run) = engine.describe_map_run(&run_arn).await.unwrap();
    assert_eq!(
        (run.status, run.redrive_count),
        (asl::MapRunStatus::Succeeded, 1)
    );
}

/// A store whose next commit fails (a dropped database connection, a full
/// disk), to see what the engine does when a step is not stored.
struct FailNextCommit {
    inner: MemoryStore,
    armed: std::sync::atomic::AtomicBool,
}

impl FailNextCommit {
    fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Store for FailNextCommit {
    fn commit(&self, batch: store::Batch, done: store::CommitDone) {
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return done(Err(store::StoreError::Io("injected failure".into())));
        }
        self.inner.commit(batch, done)
    }
    fn put_state_machine(&self, sm: &StateMachineRecord) -> Result<(), store::StoreError> {
        self.inner.put_state_machine(sm)
    }
    fn get_state_machine(
        &self,
        arn: &str,
    ) -> Result<Option<StateMachineRecord>, store::StoreError> {
        self.inner.get_state_machine(arn)
    }
    fn list_state_machines(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StateMachineRecord>, store::StoreError> {
        self.inner.list_state_machines(after, limit)
    }
    fn list_versions(&self, arn: &str) -> Result<Vec<StateMachineRecord>, store::StoreError> {
        self.inner.list_versions(arn)
    }
    fn delete_state_machine(&self, arn: &str) -> Result<(), store::StoreError> {
        self.inner.delete_state_machine(arn)
    }
    fn put_alias(&self, alias: &store::AliasRecord) -> Result<(), store::StoreError> {
        self.inner.put_alias(alias)
    }
    fn get_alias(&self, arn: &str) -> Result<Option<store::AliasRecord>, store::StoreError> {
        self.inner.get_alias(arn)
    }
    fn list_aliases(&self, arn: &str) -> Result<Vec<store::AliasRecord>, store::StoreError> {
        self.inner.list_aliases(arn)
    }
    fn delete_alias(&self, arn: &str) -> Result<(), store::StoreError> {
        self.inner.delete_alias(arn)
    }
    fn put_activity(&self, a: &store::ActivityRecord) -> Result<(), store::StoreError> {
        self.inner.put_activity(a)
    }
    fn get_activity(&self, arn: &str) -> Result<Option<store::ActivityRecord>, store::StoreError> {
        self.inner.get_activity(arn)
    }
    fn list_activities(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<store::ActivityRecord>, store::StoreError> {
        self.inner.list_activities(after, limit)
    }
    fn delete_activity(&self, arn: &str) -> Result<(), store::StoreError> {
        self.inner.delete_activity(arn)
    }
    fn get_execution(
        &self,
        arn: &str,
    ) -> Result<Option<store::ExecutionRecord>, store::StoreError> {
        self.inner.get_execution(arn)
    }
    fn list_executions(
        &self,
        filter: &store::ExecutionFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<store::ExecutionRecord>, store::StoreError> {
        self.inner.list_executions(filter, after, limit)
    }
    fn history(
        &self,
        arn: &str,
        cursor: u64,
        limit: usize,
        reverse: bool,
    ) -> Result<Vec<asl::HistoryEvent>, store::StoreError> {
        self.inner.history(arn, cursor, limit, reverse)
    }
    fn open_executions(&self) -> Result<Vec<store::OpenExecution>, store::StoreError> {
        self.inner.open_executions()
    }
    fn execution_with_journal(
        &self,
        arn: &str,
    ) -> Result<Option<store::OpenExecution>, store::StoreError> {
        self.inner.execution_with_journal(arn)
    }
    fn map_run_execution(&self, arn: &str) -> Result<Option<String>, store::StoreError> {
        self.inner.map_run_execution(arn)
    }
    fn map_runs_of(&self, arn: &str) -> Result<Vec<String>, store::StoreError> {
        self.inner.map_runs_of(arn)
    }
    fn flush(&self) -> Result<(), store::StoreError> {
        self.inner.flush()
    }
}

/// A step whose commit fails is not half-remembered: the execution is
/// rebuilt from what was stored, the caller's retry then succeeds, and the
/// history and journal have no gap.
#[tokio::test]
async fn a_failed_commit_reloads_the_execution_from_the_store() {
    let flaky = Arc::new(FailNextCommit {
        inner: MemoryStore::new(),
        armed: std::sync::atomic::AtomicBool::new(false),
    });
    let store: Arc<dyn Store> = flaky.clone();
    let activity = format!("arn:aws:states:{REGION}:{ACCOUNT}:activity:flaky");
    store
        .put_activity(&store::ActivityRecord {
            arn: activity.clone(),
            name: "flaky".into(),
            created: 0,
            tags: Vec::new(),
        })
        .unwrap();
    let sm = machine(
        "flaky",
        &format!(
            r#"{{"StartAt":"T","States":{{"T":{{"Type":"Task","Resource":"{activity}","Next":"W"}},
                "W":{{"Type":"Wait","Seconds":0,"End":true}}}}}}"#
        ),
        MachineType::Standard,
    );
    store.put_state_machine(&sm).unwrap();
    let engine = open(Arc::clone(&store), 1.0).await;
    let run = engine
        .start_execution(start(&sm.arn, "f1", r#"{"n":1}"#))
        .await
        .unwrap()
        .execution_arn;
    let (token, _) = engine
        .get_activity_task(&activity, Some("w".into()), Duration::from_secs(5))
        .await
        .unwrap()
        .expect("a task");
    flaky.arm();
    let failed = engine.send_task_success(&token, r#"{"ok":1}"#).await;
    assert!(matches!(failed, Err(EngineError::Store(_))), "{failed:?}");
    // The worker retries; once the execution is back, the token works.
    let mut retried = Err(EngineError::TaskTimedOut);
    for _ in 0..200 {
        retried = engine.send_task_success(&token, r#"{"ok":2}"#).await;
        if !matches!(
            retried,
            Err(EngineError::TaskTimedOut | EngineError::ExecutionDoesNotExist(_))
        ) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    retried.unwrap();
    let record = wait_closed(&store, &run).await;
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output.as_deref(), Some(r#"{"ok":2}"#));
    let history = store.history(&run, 0, 100, false).unwrap();
    let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        history
            .iter()
            .filter(|e| e.event_type == asl::EventType::ActivitySucceeded)
            .count(),
        1
    );
    let journal = store.execution_with_journal(&run).unwrap().unwrap().journal;
    let seqs: Vec<u64> = journal.iter().map(|j| j.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}
