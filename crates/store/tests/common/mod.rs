//! Record builders shared by the integration tests.
#![allow(dead_code)]

use std::sync::mpsc;

use asl::{EventType, HistoryEvent};
use serde_json::{Map, Value, json};
use store::*;

pub const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Main";
pub const SM2: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:Other";

pub fn exec_arn(machine: &str, name: &str) -> String {
    let short = machine.rsplit(':').next().unwrap();
    format!("arn:aws:states:us-east-1:123456789012:execution:{short}:{name}")
}

pub fn execution(machine: &str, name: &str, start_date: i64) -> ExecutionRecord {
    ExecutionRecord {
        arn: exec_arn(machine, name),
        name: name.into(),
        state_machine_arn: machine.into(),
        version_arn: None,
        alias_arn: None,
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#.into(),
        machine_type: MachineType::Standard,
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        status: ExecutionStatus::Running,
        input: r#"{"n":1}"#.into(),
        output: None,
        error: None,
        cause: None,
        start_date,
        stop_date: None,
        // Above i64::MAX on purpose: the SQLite store keeps the bits.
        seed: 0xdead_beef_cafe_f00d,
        redrive_count: 0,
        redrive_date: None,
        trace_header: None,
        map_run_arn: None,
        item_count: None,
    }
}

/// An event whose details have keys in non-alphabetical order, nesting,
/// floats and non-ASCII text, so a lossy round trip shows.
pub fn event(id: u64, timestamp: i64) -> HistoryEvent {
    let mut details = Map::new();
    details.insert("name".into(), json!(format!("State{id}")));
    details.insert("input".into(), json!(r#"{"z":1,"a":[1.5,2e-7,"é"]}"#));
    details.insert(
        "inputDetails".into(),
        json!({"truncated": false, "b": 0.1, "a": null}),
    );
    HistoryEvent {
        id,
        previous_event_id: id.saturating_sub(1),
        timestamp,
        event_type: if id == 1 {
            EventType::ExecutionStarted
        } else {
            EventType::PassStateEntered
        },
        details: if id.is_multiple_of(5) {
            asl::history::Details::None
        } else {
            asl::history::Details::Other(details)
        },
    }
}

pub fn events(arn: &str, ids: std::ops::RangeInclusive<u64>) -> Write {
    Write::AppendEvents {
        execution_arn: arn.into(),
        events: ids.map(|id| event(id, 1_000 + id as i64)).collect(),
    }
}

pub fn close(arn: &str, status: ExecutionStatus, stop: i64) -> Write {
    Write::CloseExecution {
        execution_arn: arn.into(),
        status,
        output: Some(r#"{"done":true}"#.into()),
        error: None,
        cause: None,
        stop_date: stop,
    }
}

/// Commits and waits for durability.
pub fn commit_wait(store: &dyn Store, batch: Batch) -> Result<(), StoreError> {
    let (tx, rx) = mpsc::channel();
    store.commit(
        batch,
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    );
    rx.recv().expect("done was never called")
}

/// Commits without waiting; the receiver yields the result.
pub fn commit_async(store: &dyn Store, batch: Batch) -> mpsc::Receiver<Result<(), StoreError>> {
    let (tx, rx) = mpsc::channel();
    store.commit(
        batch,
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    );
    rx
}

pub fn machine(arn: &str, version: Option<u64>) -> StateMachineRecord {
    StateMachineRecord {
        arn: arn.into(),
        name: arn
            .rsplit(':')
            .nth(version.map_or(0, |_| 1))
            .unwrap()
            .into(),
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        machine_type: MachineType::Standard,
        created: 10,
        updated: 10,
        revision_id: "rev-1".into(),
        version,
        description: version.map(|v| format!("version {v}")),
        logging_configuration: Some(json!({"level": "OFF", "includeExecutionData": false})),
        tracing_configuration: None,
        encryption_configuration: Some(Value::Null),
        tags: vec![("z".into(), "1".into()), ("a".into(), "2".into())],
    }
}

/// The PostgreSQL server the tests use: `BATON_TEST_POSTGRES` (a connection
/// string), by default the local server every Baton CI machine runs.
pub fn postgres_url() -> String {
    std::env::var("BATON_TEST_POSTGRES")
        .unwrap_or_else(|_| "host=127.0.0.1 user=postgres dbname=test".into())
}

/// A schema of its own for one test, dropped when the test ends, so tests
/// run in parallel on one database without seeing each other.
pub struct PgSchema {
    pub name: String,
}

impl PgSchema {
    pub fn new() -> PgSchema {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        PgSchema {
            name: format!("baton_test_{}_{n}", std::process::id()),
        }
    }

    pub fn options(&self) -> PostgresOptions {
        PostgresOptions {
            schema: Some(self.name.clone()),
            // One node, restarted: it resumes what it left running.
            node_id: Some("test-node".into()),
            ..PostgresOptions::new(postgres_url())
        }
    }

    pub fn open(&self) -> PostgresStore {
        PostgresStore::open(self.options()).unwrap_or_else(|e| {
            panic!(
                "{e}\nThese tests need PostgreSQL: set BATON_TEST_POSTGRES to a connection string"
            )
        })
    }

    /// A plain client on the schema, to look at (or damage) rows directly.
    pub fn client(&self) -> postgres::Client {
        let mut c = postgres::Client::connect(&postgres_url(), postgres::NoTls).unwrap();
        c.batch_execute(&format!("SET search_path TO {}", self.name))
            .unwrap();
        c
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&postgres_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
