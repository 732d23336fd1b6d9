//! An acknowledged commit survives the process being killed. The test runs
//! its own binary again as a writer child (selected by an environment
//! variable), SIGKILLs it mid-stream, reopens the file and checks that every
//! batch the child saw acknowledged is there, complete.

mod common;

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};

use common::*;
use store::*;

const CHILD_ENV: &str = "BATON_STORE_KILL_TEST_DB";
const EVENTS: u64 = 5;

fn batch(i: u64) -> Batch {
    let name = format!("kill-{i}");
    let arn = exec_arn(SM, &name);
    vec![
        Write::CreateExecution(execution(SM, &name, i as i64)),
        events(&arn, 1..=EVENTS),
        Write::AppendJournal {
            execution_arn: arn,
            entry: JournalEntry {
                seq: 1,
                at: i as i64,
                signal: "{}".into(),
            },
        },
    ]
}

/// The writer child; does nothing in a normal test run.
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(path.as_ref(), SqliteOptions::default()).unwrap();
    // Up to 64 batches in flight, so the writer groups them.
    let mut in_flight = VecDeque::new();
    for i in 0..1_000_000u64 {
        if in_flight.len() == 64 {
            let rx: std::sync::mpsc::Receiver<()> = in_flight.pop_front().unwrap();
            let _ = rx.recv();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        store.commit(
            batch(i),
            Box::new(move |r| {
                r.unwrap();
                // Printed only once the batch is durable.
                let mut out = std::io::stdout().lock();
                writeln!(out, "ack {i}").unwrap();
                out.flush().unwrap();
                let _ = tx.send(());
            }),
        );
        in_flight.push_back(rx);
    }
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kill.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = HashSet::new();
    let mut killed = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(i) = line.strip_prefix("ack ") {
            acked.insert(i.parse::<u64>().unwrap());
        }
        if acked.len() >= 2_000 {
            child.kill().unwrap(); // SIGKILL on Unix
            killed = true;
            break;
        }
    }
    // Acks already in the pipe were printed before the kill: they count.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(i) = line.strip_prefix("ack ") {
            acked.insert(i.parse::<u64>().unwrap());
        }
    }
    let status = child.wait().unwrap();
    assert!(killed, "the child stopped on its own: {status:?}");

    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    for &i in &acked {
        let arn = exec_arn(SM, &format!("kill-{i}"));
        assert!(
            store.get_execution(&arn).unwrap().is_some(),
            "acknowledged batch {i} was lost"
        );
    }
    // And nothing is half there: every stored execution has its whole batch.
    let all = store
        .list_executions(&ExecutionFilter::default(), None, usize::MAX)
        .unwrap();
    assert!(all.len() >= acked.len());
    let open = store.open_executions().unwrap();
    assert_eq!(open.len(), all.len());
    for o in &open {
        assert_eq!(o.event_count, EVENTS, "{}", o.record.arn);
        assert_eq!(o.journal.len(), 1, "{}", o.record.arn);
    }
    eprintln!(
        "acknowledged {} batches before SIGKILL, {} stored",
        acked.len(),
        all.len()
    );
}
