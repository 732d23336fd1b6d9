//! One behaviour suite, run against every `Store` implementation, so they
//! cannot drift apart.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use store::*;

fn suite(store: &dyn Store) {
    aliases(store);
    machines(store);
    activities(store);
    executions_listing(store);
    history_paging(store);
    journal_and_open(store);
    atomic_batches(store);
    grouped_batches_fail_alone(store);
    concurrent_commits(store);
    read_your_writes(store);
    map_runs(store);
    store.flush().unwrap();
}

fn map_run_started(id: u64, run: &str) -> asl::HistoryEvent {
    let mut details = serde_json::Map::new();
    details.insert("mapRunArn".into(), serde_json::json!(run));
    asl::HistoryEvent {
        id,
        previous_event_id: id - 1,
        timestamp: 5_000 + id as i64,
        event_type: asl::EventType::MapRunStarted,
        details: asl::history::Details::Other(details),
    }
}

/// Map Runs are found from their MapRunStarted events, and a batch that
/// fails takes its Map Runs back with it.
fn map_runs(store: &dyn Store) {
    let arn = exec_arn(SM, "with-map-runs");
    let run = |n: u32| format!("arn:aws:states:us-east-1:123456789012:mapRun:Main/L:{n}");
    commit_wait(
        store,
        vec![
            Write::CreateExecution(execution(SM, "with-map-runs", 500)),
            events(&arn, 1..=2),
            Write::AppendEvents {
                execution_arn: arn.clone(),
                events: vec![map_run_started(3, &run(1)), event(4, 5_004)],
            },
        ],
    )
    .unwrap();
    commit_wait(
        store,
        vec![Write::AppendEvents {
            execution_arn: arn.clone(),
            events: vec![map_run_started(5, &run(2))],
        }],
    )
    .unwrap();
    assert_eq!(store.map_run_execution(&run(1)).unwrap(), Some(arn.clone()));
    assert_eq!(store.map_runs_of(&arn).unwrap(), vec![run(1), run(2)]);
    assert_eq!(store.map_run_execution(&run(9)).unwrap(), None);
    assert!(store.map_runs_of(&exec_arn(SM, "nope")).unwrap().is_empty());
    // A batch that fails after indexing a Map Run leaves no trace of it.
    let err = commit_wait(
        store,
        vec![
            Write::AppendEvents {
                execution_arn: arn.clone(),
                events: vec![map_run_started(6, &run(3))],
            },
            events(&arn, 2..=2),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.map_run_execution(&run(3)).unwrap(), None);
    assert_eq!(store.map_runs_of(&arn).unwrap().len(), 2);

    // A child execution is listed under its Map Run, not its labelled
    // machine's parent, and is never resumed by itself.
    let labelled = format!("{SM}/L");
    let mut child = execution(&labelled, "c-1", 600);
    child.map_run_arn = Some(run(1));
    child.item_count = Some(3);
    let mut other = execution(&labelled, "c-2", 601);
    other.map_run_arn = Some(run(2));
    commit_wait(
        store,
        vec![
            Write::CreateExecution(child.clone()),
            Write::CreateExecution(other),
        ],
    )
    .unwrap();
    let filter = ExecutionFilter {
        map_run_arn: Some(run(1)),
        ..Default::default()
    };
    assert_eq!(
        store.list_executions(&filter, None, 10).unwrap(),
        vec![child.clone()]
    );
    assert_eq!(
        store.get_execution(&child.arn).unwrap(),
        Some(child.clone())
    );
    let open = store.open_executions().unwrap();
    assert!(open.iter().all(|o| o.record.map_run_arn.is_none()));
}

fn machines(store: &dyn Store) {
    let a = format!("{SM}A");
    let b = format!("{SM}B");
    let c = format!("{SM}C");
    for arn in [&c, &a, &b] {
        store.put_state_machine(&machine(arn, None)).unwrap();
    }
    for v in [1, 3, 2] {
        store
            .put_state_machine(&machine(&format!("{a}:{v}"), Some(v)))
            .unwrap();
    }
    store
        .put_state_machine(&machine(&format!("{b}:1"), Some(1)))
        .unwrap();

    assert_eq!(
        store.get_state_machine(&a).unwrap(),
        Some(machine(&a, None))
    );
    assert_eq!(
        store.get_state_machine(&format!("{a}:2")).unwrap(),
        Some(machine(&format!("{a}:2"), Some(2)))
    );
    assert_eq!(store.get_state_machine(&format!("{SM}Z")).unwrap(), None);

    // Listing: machines only, by ARN, with a cursor.
    let arns = |v: Vec<StateMachineRecord>| v.into_iter().map(|m| m.arn).collect::<Vec<_>>();
    assert_eq!(
        arns(store.list_state_machines(None, 10).unwrap()),
        [a.as_str(), &b, &c]
    );
    assert_eq!(
        arns(store.list_state_machines(None, 2).unwrap()),
        [a.as_str(), &b]
    );
    assert_eq!(
        arns(store.list_state_machines(Some(&b), 2).unwrap()),
        [c.as_str()]
    );
    assert!(store.list_state_machines(Some(&c), 2).unwrap().is_empty());
    assert!(store.list_state_machines(None, 0).unwrap().is_empty());

    let versions = store.list_versions(&a).unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [Some(3), Some(2), Some(1)]
    );
    assert_eq!(store.list_versions(&b).unwrap().len(), 1);
    assert!(store.list_versions(&c).unwrap().is_empty());

    // Replace.
    let mut updated = machine(&a, None);
    updated.definition = "{}".into();
    updated.revision_id = "rev-2".into();
    updated.tags.clear();
    store.put_state_machine(&updated).unwrap();
    assert_eq!(store.get_state_machine(&a).unwrap(), Some(updated));

    // Delete takes the versions along, and nothing else.
    store.delete_state_machine(&a).unwrap();
    assert_eq!(store.get_state_machine(&a).unwrap(), None);
    assert_eq!(store.get_state_machine(&format!("{a}:1")).unwrap(), None);
    assert!(store.list_versions(&a).unwrap().is_empty());
    assert_eq!(
        arns(store.list_state_machines(None, 10).unwrap()),
        [b.as_str(), &c]
    );
    assert_eq!(store.list_versions(&b).unwrap().len(), 1);
    store.delete_state_machine(&b).unwrap();
    store.delete_state_machine(&c).unwrap();
    store.delete_state_machine(&c).unwrap(); // deleting nothing is fine
    assert!(store.list_state_machines(None, 10).unwrap().is_empty());
}

fn aliases(store: &dyn Store) {
    let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    let alias = |name: &str, created: i64| AliasRecord {
        arn: format!("{machine}:{name}"),
        name: name.into(),
        state_machine_arn: machine.into(),
        description: Some("d".into()),
        routing: vec![(format!("{machine}:1"), 70), (format!("{machine}:2"), 30)],
        created,
        updated: created,
    };
    store.put_alias(&alias("old", 1)).unwrap();
    store.put_alias(&alias("new", 2)).unwrap();
    assert_eq!(
        store.get_alias(&format!("{machine}:old")).unwrap(),
        Some(alias("old", 1))
    );
    let names: Vec<String> = store
        .list_aliases(machine)
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["new", "old"], "newest first");
    assert!(
        store
            .list_aliases("arn:aws:states:us-east-1:1:stateMachine:other")
            .unwrap()
            .is_empty()
    );
    store.delete_alias(&format!("{machine}:old")).unwrap();
    assert_eq!(store.get_alias(&format!("{machine}:old")).unwrap(), None);
}

fn activities(store: &dyn Store) {
    let arn = |n: &str| format!("arn:aws:states:us-east-1:123456789012:activity:{n}");
    for n in ["b", "a", "c"] {
        store
            .put_activity(&ActivityRecord {
                arn: arn(n),
                name: n.into(),
                created: 5,
                tags: vec![("k".into(), n.into())],
            })
            .unwrap();
    }
    let got = store.get_activity(&arn("b")).unwrap().unwrap();
    assert_eq!(got.name, "b");
    assert_eq!(got.tags, [("k".to_string(), "b".to_string())]);
    let names = |v: Vec<ActivityRecord>| v.into_iter().map(|a| a.name).collect::<Vec<_>>();
    assert_eq!(names(store.list_activities(None, 2).unwrap()), ["a", "b"]);
    assert_eq!(
        names(store.list_activities(Some(&arn("b")), 2).unwrap()),
        ["c"]
    );
    store.delete_activity(&arn("b")).unwrap();
    assert_eq!(store.get_activity(&arn("b")).unwrap(), None);
    assert_eq!(names(store.list_activities(None, 10).unwrap()), ["a", "c"]);
}

fn executions_listing(store: &dyn Store) {
    let m = format!("{SM}List");
    let m2 = format!("{SM2}List");
    // Start dates with ties; created out of order.
    let specs = [
        (&m, "e3", 300),
        (&m, "e1", 100),
        (&m2, "x2", 200),
        (&m, "e2b", 200),
        (&m, "e2a", 200),
        (&m2, "x4", 400),
    ];
    for (machine, name, start) in specs {
        let mut rec = execution(machine, name, start);
        if name == "e2a" {
            rec.version_arn = Some(format!("{m}:1"));
            rec.alias_arn = Some(format!("{m}:prod"));
        }
        commit_wait(store, vec![Write::CreateExecution(rec)]).unwrap();
    }
    let names = |v: &[ExecutionRecord]| v.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    let only = |f: ExecutionFilter| {
        let all = store.list_executions(&f, None, 100).unwrap();
        all.into_iter()
            .filter(|e| e.state_machine_arn == m || e.state_machine_arn == m2)
            .collect::<Vec<_>>()
    };
    let mine = ExecutionFilter {
        state_machine_arn: Some(m.clone()),
        ..Default::default()
    };
    let all = store.list_executions(&mine, None, 100).unwrap();
    assert_eq!(names(&all), ["e3", "e2a", "e2b", "e1"]);
    assert_eq!(all[1], {
        let mut r = execution(&m, "e2a", 200);
        r.version_arn = Some(format!("{m}:1"));
        r.alias_arn = Some(format!("{m}:prod"));
        r
    });

    // No filter: both machines interleaved by date, ties by ARN.
    assert_eq!(
        names(&only(ExecutionFilter::default())),
        ["x4", "e3", "e2a", "e2b", "x2", "e1"]
    );

    // Paging with every page size gives the same sequence.
    for page in 1..=5 {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let got = store
                .list_executions(&mine, cursor.as_deref(), page)
                .unwrap();
            assert!(got.len() <= page);
            if got.is_empty() {
                break;
            }
            cursor = Some(got.last().unwrap().arn.clone());
            seen.extend(got);
        }
        assert_eq!(seen, all, "page size {page}");
    }
    // Unknown cursor.
    assert!(
        store
            .list_executions(&mine, Some("arn:nope"), 10)
            .unwrap()
            .is_empty()
    );

    // Close one, then filter by status.
    let e2b = exec_arn(&m, "e2b");
    commit_wait(store, vec![close(&e2b, ExecutionStatus::Failed, 999)]).unwrap();
    let failed = only(ExecutionFilter {
        status: Some(ExecutionStatus::Failed),
        ..Default::default()
    });
    assert_eq!(names(&failed), ["e2b"]);
    let rec = &failed[0];
    assert_eq!(rec.status, ExecutionStatus::Failed);
    assert_eq!(rec.stop_date, Some(999));
    assert_eq!(rec.output.as_deref(), Some(r#"{"done":true}"#));
    let running_mine = store
        .list_executions(
            &ExecutionFilter {
                status: Some(ExecutionStatus::Running),
                ..mine.clone()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(names(&running_mine), ["e3", "e2a", "e1"]);
    // Cursor combined with a filter.
    let after = store
        .list_executions(
            &ExecutionFilter {
                status: Some(ExecutionStatus::Running),
                ..mine.clone()
            },
            Some(&exec_arn(&m, "e3")),
            1,
        )
        .unwrap();
    assert_eq!(names(&after), ["e2a"]);
    for f in [
        ExecutionFilter {
            version_arn: Some(format!("{m}:1")),
            ..Default::default()
        },
        ExecutionFilter {
            alias_arn: Some(format!("{m}:prod")),
            ..Default::default()
        },
    ] {
        assert_eq!(
            names(&store.list_executions(&f, None, 10).unwrap()),
            ["e2a"]
        );
    }
    assert_eq!(
        names(&only(ExecutionFilter {
            state_machine_arn: Some(m2.clone()),
            ..Default::default()
        })),
        ["x4", "x2"]
    );
    assert_eq!(store.get_execution("arn:nope").unwrap(), None);

    // Close with an error and cause.
    let x2 = exec_arn(&m2, "x2");
    commit_wait(
        store,
        vec![Write::CloseExecution {
            execution_arn: x2.clone(),
            status: ExecutionStatus::TimedOut,
            output: None,
            error: Some("States.Timeout".into()),
            cause: Some("too slow".into()),
            stop_date: 1234,
        }],
    )
    .unwrap();
    let got = store.get_execution(&x2).unwrap().unwrap();
    assert_eq!(got.status, ExecutionStatus::TimedOut);
    assert_eq!(got.error.as_deref(), Some("States.Timeout"));
    assert_eq!(got.cause.as_deref(), Some("too slow"));
    assert_eq!(got.output, None);
    assert_eq!(got.stop_date, Some(1234));
    assert_eq!(got.seed, 0xdead_beef_cafe_f00d);
}

fn history_paging(store: &dyn Store) {
    let arn = exec_arn(SM, "history");
    commit_wait(
        store,
        vec![
            Write::CreateExecution(execution(SM, "history", 50)),
            events(&arn, 1..=4),
        ],
    )
    .unwrap();
    commit_wait(store, vec![events(&arn, 5..=10)]).unwrap();
    let ids = |v: Vec<asl::HistoryEvent>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();

    let all = store.history(&arn, 0, 100, false).unwrap();
    assert_eq!(all.len(), 10);
    for (i, e) in all.iter().enumerate() {
        let want = event(i as u64 + 1, 1_001 + i as i64);
        assert_eq!(e, &want);
        // IndexMap equality ignores order; the serialised text does not.
        assert_eq!(e.details.to_json(), want.details.to_json());
    }
    let keys: Vec<_> = all[0].details.to_map().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["name", "input", "inputDetails"]);
    let nested: Vec<_> = all[0].details.to_map().unwrap()["inputDetails"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(nested, ["truncated", "b", "a"]);

    assert_eq!(ids(store.history(&arn, 3, 4, false).unwrap()), [4, 5, 6, 7]);
    assert_eq!(ids(store.history(&arn, 8, 100, false).unwrap()), [9, 10]);
    assert!(store.history(&arn, 10, 100, false).unwrap().is_empty());
    assert!(
        store
            .history(&arn, u64::MAX, 100, false)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(store.history(&arn, u64::MAX, 3, true).unwrap()),
        [10, 9, 8]
    );
    assert_eq!(ids(store.history(&arn, 8, 3, true).unwrap()), [7, 6, 5]);
    assert_eq!(ids(store.history(&arn, 3, 10, true).unwrap()), [2, 1]);
    assert!(store.history(&arn, 1, 10, true).unwrap().is_empty());
    assert!(store.history(&arn, 0, 0, false).unwrap().is_empty());
    assert!(store.history("arn:nope", 0, 10, false).unwrap().is_empty());
}

fn journal_and_open(store: &dyn Store) {
    let run = exec_arn(SM, "open-run");
    let done = exec_arn(SM, "open-done");
    let entry = |seq: u64| JournalEntry {
        seq,
        at: 7_000 + seq as i64,
        signal: format!(r#"{{"kind":"TaskSucceeded","n":{seq}}}"#),
    };
    let journal = |arn: &str, seq: u64| Write::AppendJournal {
        execution_arn: arn.into(),
        entry: entry(seq),
    };
    commit_wait(
        store,
        vec![
            Write::CreateExecution(execution(SM, "open-run", 60)),
            Write::CreateExecution(execution(SM, "open-done", 61)),
            journal(&run, 1),
            events(&run, 1..=3),
            journal(&done, 1),
        ],
    )
    .unwrap();
    // Out of order within a batch: the store orders by seq.
    commit_wait(
        store,
        vec![journal(&run, 3), journal(&run, 2), events(&run, 4..=5)],
    )
    .unwrap();
    commit_wait(store, vec![close(&done, ExecutionStatus::Succeeded, 70)]).unwrap();

    let open = store.open_executions().unwrap();
    assert!(
        open.iter()
            .all(|o| o.record.status == ExecutionStatus::Running)
    );
    assert!(!open.iter().any(|o| o.record.arn == done));
    let mine = open.iter().find(|o| o.record.arn == run).unwrap();
    assert_eq!(mine.record, execution(SM, "open-run", 60));
    assert_eq!(mine.journal, [entry(1), entry(2), entry(3)]);
    assert_eq!(mine.event_count, 5);
    // History-only executions are open too, with an empty journal.
    let hist = open
        .iter()
        .find(|o| o.record.arn == exec_arn(SM, "history"))
        .unwrap();
    assert!(hist.journal.is_empty());
    assert_eq!(hist.event_count, 10);
}

fn atomic_batches(store: &dyn Store) {
    let fresh = exec_arn(SM, "atomic-fresh");
    let existing = exec_arn(SM, "atomic-existing");
    commit_wait(
        store,
        vec![
            Write::CreateExecution(execution(SM, "atomic-existing", 80)),
            events(&existing, 1..=2),
        ],
    )
    .unwrap();

    // A duplicate CreateExecution fails the whole batch, including the
    // writes before it.
    let err = commit_wait(
        store,
        vec![
            Write::CreateExecution(execution(SM, "atomic-fresh", 81)),
            events(&fresh, 1..=3),
            events(&existing, 3..=4),
            Write::CreateExecution(execution(SM, "atomic-existing", 82)),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.get_execution(&fresh).unwrap(), None);
    assert!(store.history(&fresh, 0, 10, false).unwrap().is_empty());
    assert_eq!(store.history(&existing, 0, 10, false).unwrap().len(), 2);
    assert_eq!(
        store.get_execution(&existing).unwrap().unwrap().start_date,
        80
    );

    // A duplicate event id, after a close: the close is undone too.
    let err = commit_wait(
        store,
        vec![
            close(&existing, ExecutionStatus::Succeeded, 90),
            events(&existing, 3..=3),
            events(&existing, 2..=2),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let rec = store.get_execution(&existing).unwrap().unwrap();
    assert_eq!(rec.status, ExecutionStatus::Running);
    assert_eq!(rec.stop_date, None);
    assert_eq!(store.history(&existing, 0, 10, false).unwrap().len(), 2);

    // Duplicate journal seq, and writes to an execution that does not exist.
    let j = |seq| Write::AppendJournal {
        execution_arn: existing.clone(),
        entry: JournalEntry {
            seq,
            at: 1,
            signal: "{}".into(),
        },
    };
    commit_wait(store, vec![j(1)]).unwrap();
    assert!(matches!(
        commit_wait(store, vec![j(2), j(1)]),
        Err(StoreError::Conflict(_))
    ));
    for bad in [
        events("arn:nope", 1..=1),
        close("arn:nope", ExecutionStatus::Aborted, 1),
        Write::AppendJournal {
            execution_arn: "arn:nope".into(),
            entry: JournalEntry {
                seq: 1,
                at: 1,
                signal: "{}".into(),
            },
        },
    ] {
        assert!(matches!(
            commit_wait(store, vec![bad]),
            Err(StoreError::Conflict(_))
        ));
    }
    let open = store.open_executions().unwrap();
    let rec = open.iter().find(|o| o.record.arn == existing).unwrap();
    assert_eq!(rec.journal.len(), 1);
    // An empty batch is fine.
    commit_wait(store, vec![]).unwrap();
}

/// Many batches in flight at once (so SQLite groups them into one
/// transaction), one of them conflicting: only that one fails.
fn grouped_batches_fail_alone(store: &dyn Store) {
    let pending: Vec<_> = (0..50)
        .map(|i| {
            let name = if i == 25 {
                "group-0".to_string() // duplicate of the first
            } else {
                format!("group-{i}")
            };
            let arn = exec_arn(SM, &name);
            commit_async(
                store,
                vec![
                    Write::CreateExecution(execution(SM, &name, 100 + i)),
                    events(&arn, 1..=3),
                ],
            )
        })
        .collect();
    for (i, rx) in pending.into_iter().enumerate() {
        let result = rx.recv().unwrap();
        if i == 25 {
            assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        } else {
            assert_eq!(result, Ok(()), "batch {i}");
        }
    }
    for i in 0..50 {
        if i == 25 {
            continue;
        }
        let arn = exec_arn(SM, &format!("group-{i}"));
        let rec = store.get_execution(&arn).unwrap().unwrap();
        // group-0 keeps its own start date, not the duplicate's.
        assert_eq!(rec.start_date, 100 + i);
        assert_eq!(store.history(&arn, 0, 10, false).unwrap().len(), 3);
    }
    assert_eq!(
        store.get_execution(&exec_arn(SM, "group-25")).unwrap(),
        None
    );
}

fn concurrent_commits(store: &dyn Store) {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 100;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                // Half waited for one by one, half pipelined.
                let mut pending = Vec::new();
                for i in 0..PER_THREAD {
                    let name = format!("conc-{t}-{i}");
                    let arn = exec_arn(SM2, &name);
                    let batch = vec![
                        Write::CreateExecution(execution(SM2, &name, 1_000)),
                        events(&arn, 1..=4),
                        close(&arn, ExecutionStatus::Succeeded, 2_000),
                    ];
                    if i.is_multiple_of(2) {
                        commit_wait(store, batch).unwrap();
                    } else {
                        pending.push(commit_async(store, batch));
                    }
                }
                for rx in pending {
                    rx.recv().unwrap().unwrap();
                }
            });
        }
    });
    let listed = store
        .list_executions(
            &ExecutionFilter {
                state_machine_arn: Some(SM2.into()),
                status: Some(ExecutionStatus::Succeeded),
                ..Default::default()
            },
            None,
            10_000,
        )
        .unwrap();
    let names: HashSet<_> = listed
        .iter()
        .filter(|e| e.name.starts_with("conc-"))
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(names.len(), THREADS * PER_THREAD);
    for t in 0..THREADS {
        let arn = exec_arn(SM2, &format!("conc-{t}-{}", PER_THREAD - 1));
        assert_eq!(store.history(&arn, 0, 10, false).unwrap().len(), 4);
    }
}

/// Once `done` ran, every read sees the batch, from any thread, including
/// from inside the callback itself.
fn read_your_writes(store: &dyn Store) {
    for i in 0..20 {
        let name = format!("ryw-{i}");
        let arn = exec_arn(SM, &name);
        commit_wait(
            store,
            vec![
                Write::CreateExecution(execution(SM, &name, 5)),
                events(&arn, 1..=1),
            ],
        )
        .unwrap();
        assert!(store.get_execution(&arn).unwrap().is_some());
        assert_eq!(store.history(&arn, 0, 5, false).unwrap().len(), 1);
    }
}

#[test]
fn memory_store() {
    suite(&MemoryStore::new());
}

#[test]
fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("baton.db"), SqliteOptions::default()).unwrap();
    suite(&store);
}

#[test]
fn sqlite_store_small_groups() {
    // Groups of two: the conflicting batch shares a transaction with others
    // in many different positions.
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        max_group: 2,
        synchronous_full: false,
        ..Default::default()
    };
    let store = SqliteStore::open(&dir.path().join("baton.db"), options).unwrap();
    suite(&store);
}

#[test]
fn sqlite_persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    // Parent directories are created.
    let path = dir.path().join("nested/deeper/baton.db");
    persists_across_reopen(&|| {
        Box::new(SqliteStore::open(&path, SqliteOptions::default()).unwrap())
    });
}

#[test]
fn postgres_persists_across_reopen() {
    let schema = PgSchema::new();
    persists_across_reopen(&|| Box::new(schema.open()));
}

/// What one store committed, the next one opened on the same data reads back.
fn persists_across_reopen(open: &dyn Fn() -> Box<dyn Store>) {
    let arn = exec_arn(SM, "persist");
    {
        let store = open();
        store.put_state_machine(&machine(SM, None)).unwrap();
        store
            .put_state_machine(&machine(&format!("{SM}:1"), Some(1)))
            .unwrap();
        store
            .put_activity(&ActivityRecord {
                arn: "arn:aws:states:us-east-1:123456789012:activity:act".into(),
                name: "act".into(),
                created: 1,
                tags: vec![],
            })
            .unwrap();
        commit_wait(
            store.as_ref(),
            vec![
                Write::CreateExecution(execution(SM, "persist", 9)),
                events(&arn, 1..=3),
                Write::AppendJournal {
                    execution_arn: arn.clone(),
                    entry: JournalEntry {
                        seq: 1,
                        at: 2,
                        signal: "{}".into(),
                    },
                },
            ],
        )
        .unwrap();
        // Not waited for: dropping the store must still commit it.
        store.commit(vec![events(&arn, 4..=4)], Box::new(|r| r.unwrap()));
    }
    let store = open();
    assert_eq!(
        store.get_state_machine(SM).unwrap(),
        Some(machine(SM, None))
    );
    assert_eq!(store.list_versions(SM).unwrap().len(), 1);
    assert!(
        store
            .get_activity("arn:aws:states:us-east-1:123456789012:activity:act")
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.get_execution(&arn).unwrap(),
        Some(execution(SM, "persist", 9))
    );
    let history = store.history(&arn, 0, 10, false).unwrap();
    assert_eq!(
        history,
        (1..=4)
            .map(|i| event(i, 1_000 + i as i64))
            .collect::<Vec<_>>()
    );
    let open = store.open_executions().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].journal.len(), 1);
    assert_eq!(open[0].event_count, 4);
}

#[test]
fn postgres_store() {
    let schema = PgSchema::new();
    suite(&schema.open());
}

#[test]
fn postgres_store_small_groups() {
    // As for SQLite: a failing batch in many positions of a group, each
    // group rolled back and replayed job by job.
    let schema = PgSchema::new();
    let store = PostgresStore::open(PostgresOptions {
        max_group: 2,
        ..schema.options()
    })
    .unwrap();
    suite(&store);
}

#[test]
fn postgres_schema_is_versioned_and_idempotent() {
    let schema = PgSchema::new();
    drop(schema.open());
    // Two stores opening together migrate once and agree.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| node(&schema, "first"));
        let b = s.spawn(|| node(&schema, "second"));
        (a.join().unwrap(), b.join().unwrap())
    });
    commit_wait(&a, vec![Write::CreateExecution(execution(SM, "shared", 1))]).unwrap();
    assert!(b.get_execution(&exec_arn(SM, "shared")).unwrap().is_some());
    let version: i64 = schema
        .client()
        .query_one("SELECT version FROM baton_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 2);
    // A database from a newer Baton is refused, not misread.
    schema
        .client()
        .batch_execute("UPDATE baton_schema SET version = 99")
        .unwrap();
    let Err(e) = PostgresStore::open(schema.options()) else {
        panic!("a newer schema must be refused");
    };
    assert!(e.to_string().contains("newer"), "{e}");
}

fn node(schema: &PgSchema, id: &str) -> PostgresStore {
    PostgresStore::open(PostgresOptions {
        node_id: Some(id.into()),
        ..schema.options()
    })
    .unwrap()
}

fn running_arns(open: Vec<OpenExecution>) -> Vec<String> {
    open.into_iter().map(|o| o.record.arn).collect()
}

/// Each node resumes only its own executions; a silent node is fenced by
/// the one that takes its executions over, and cannot write any more.
#[test]
fn postgres_nodes_own_executions_and_take_over_the_dead() {
    let schema = PgSchema::new();
    let a = node(&schema, "node-a");
    let b = node(&schema, "node-b");
    let (ca, cb) = (a.cluster().unwrap(), b.cluster().unwrap());
    assert_eq!(ca.node_id(), "node-a");
    let arn = exec_arn(SM, "owned-by-a");
    commit_wait(
        &a,
        vec![
            Write::CreateExecution(execution(SM, "owned-by-a", 1)),
            events(&arn, 1..=2),
            Write::AppendJournal {
                execution_arn: arn.clone(),
                entry: JournalEntry {
                    seq: 1,
                    at: 1,
                    signal: "{}".into(),
                },
            },
        ],
    )
    .unwrap();
    assert_eq!(
        running_arns(a.open_executions().unwrap()),
        vec![arn.clone()]
    );
    assert!(b.open_executions().unwrap().is_empty());
    // B learns where A serves once A says so.
    assert_eq!(cb.owner_url(&arn).unwrap(), None);
    ca.heartbeat("http://a:1").unwrap();
    cb.heartbeat("http://b:2").unwrap();
    assert_eq!(cb.owner_url(&arn).unwrap().as_deref(), Some("http://a:1"));
    assert_eq!(ca.owner_url(&arn).unwrap(), None, "A runs it itself");
    assert_eq!(
        cb.peer_urls(Duration::from_secs(60)).unwrap(),
        ["http://a:1"]
    );
    // Within the lease nobody is taken over.
    assert!(cb.take_over(Duration::from_secs(60)).unwrap().is_empty());
    let summary = |c: &dyn Cluster| -> Vec<(String, bool, bool, u64)> {
        c.nodes(Duration::from_secs(60))
            .unwrap()
            .into_iter()
            .map(|n| (n.id, n.live, n.fenced, n.running))
            .collect()
    };
    assert_eq!(
        summary(cb),
        [
            ("node-a".to_string(), true, false, 1),
            ("node-b".to_string(), true, false, 0)
        ]
    );

    // A falls silent; B fences it and owns its execution, journal and all.
    std::thread::sleep(Duration::from_millis(30));
    cb.heartbeat("http://b:2").unwrap();
    let taken = cb.take_over(Duration::from_millis(20)).unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].record.arn, arn);
    assert_eq!(taken[0].journal.len(), 1);
    assert_eq!(taken[0].event_count, 2);
    assert_eq!(
        running_arns(b.open_executions().unwrap()),
        vec![arn.clone()]
    );
    assert!(cb.peer_urls(Duration::from_secs(60)).unwrap().is_empty());
    assert_eq!(
        summary(cb),
        [
            ("node-a".to_string(), false, true, 0),
            ("node-b".to_string(), true, false, 1)
        ]
    );
    // A, only paused, wakes up: it may neither write nor claim to be alive.
    let late = commit_wait(&a, vec![events(&arn, 3..=3)]);
    assert!(matches!(late, Err(StoreError::Fenced(_))), "{late:?}");
    assert!(matches!(
        ca.heartbeat("http://a:1"),
        Err(StoreError::Fenced(_))
    ));
    assert_eq!(b.history(&arn, 0, 10, false).unwrap().len(), 2);
    commit_wait(
        &b,
        vec![
            events(&arn, 3..=3),
            close(&arn, ExecutionStatus::Succeeded, 9),
        ],
    )
    .unwrap();
    // Nothing is taken twice.
    assert!(cb.take_over(Duration::from_millis(20)).unwrap().is_empty());
}

/// A dead node's executions are shared among the live nodes, not all
/// taken by the first to notice.
#[test]
fn postgres_live_nodes_share_a_dead_nodes_executions() {
    let schema = PgSchema::new();
    let a = node(&schema, "share-a");
    let b = node(&schema, "share-b");
    let c = node(&schema, "share-c");
    let batch = (0..10)
        .map(|i| Write::CreateExecution(execution(SM, &format!("orphan-{i}"), i)))
        .collect();
    commit_wait(&a, batch).unwrap();
    let lease = Duration::from_millis(300);
    std::thread::sleep(lease + Duration::from_millis(50));
    // As the engine's loop does: heartbeat, then take over.
    let round = |n: &PostgresStore| {
        let cluster = n.cluster().unwrap();
        cluster.heartbeat("http://n").unwrap();
        cluster.take_over(lease).unwrap()
    };
    c.cluster().unwrap().heartbeat("http://c").unwrap();
    let first = round(&b);
    assert_eq!(first.len(), 5, "B takes its half, not everything");
    let mut taken = running_arns(first);
    // Each round takes the rounded-up share of what is left.
    let mut rounds = 0;
    loop {
        let mut round_total = 0;
        for n in [&c, &b] {
            let got = round(n);
            round_total += got.len();
            taken.extend(running_arns(got));
        }
        rounds += 1;
        if round_total == 0 || rounds > 10 {
            break;
        }
    }
    let all = taken.len();
    taken.sort();
    taken.dedup();
    assert_eq!(
        (all, taken.len()),
        (10, 10),
        "each execution taken exactly once"
    );
    assert!(!c.open_executions().unwrap().is_empty(), "C has a share");
    drop(a);
}

/// A node shutting down hands its executions over at once: the others do
/// not wait for its lease to run out. Restarted, it rejoins.
#[test]
fn postgres_a_node_that_leaves_is_taken_over_at_once() {
    let schema = PgSchema::new();
    let a = node(&schema, "leave-a");
    let b = node(&schema, "leave-b");
    commit_wait(&a, vec![Write::CreateExecution(execution(SM, "handed", 1))]).unwrap();
    let an_hour = Duration::from_secs(3600);
    assert!(b.cluster().unwrap().take_over(an_hour).unwrap().is_empty());
    a.cluster().unwrap().leave().unwrap();
    let taken = b.cluster().unwrap().take_over(an_hour).unwrap();
    assert_eq!(running_arns(taken), vec![exec_arn(SM, "handed")]);
    let late = commit_wait(&a, vec![events(&exec_arn(SM, "handed"), 1..=1)]);
    assert!(matches!(late, Err(StoreError::Fenced(_))), "{late:?}");
    drop(a);
    let again = node(&schema, "leave-a");
    again.cluster().unwrap().heartbeat("http://a").unwrap();
    assert!(again.open_executions().unwrap().is_empty(), "B runs it now");
}

/// A node restarting under its id owns its running executions again at
/// once, and its previous incarnation (were it still alive) is fenced.
#[test]
fn postgres_a_restarted_node_keeps_its_executions() {
    let schema = PgSchema::new();
    let first = node(&schema, "node-r");
    commit_wait(
        &first,
        vec![Write::CreateExecution(execution(SM, "mine", 1))],
    )
    .unwrap();
    let second = node(&schema, "node-r");
    assert_eq!(
        running_arns(second.open_executions().unwrap()),
        [exec_arn(SM, "mine")]
    );
    let stale = commit_wait(&first, vec![events(&exec_arn(SM, "mine"), 1..=1)]);
    assert!(matches!(stale, Err(StoreError::Fenced(_))), "{stale:?}");
    commit_wait(&second, vec![events(&exec_arn(SM, "mine"), 1..=1)]).unwrap();
    // A redrive moves an execution to the node that redrives it.
    let other = node(&schema, "node-s");
    commit_wait(
        &second,
        vec![close(&exec_arn(SM, "mine"), ExecutionStatus::Failed, 5)],
    )
    .unwrap();
    commit_wait(
        &other,
        vec![Write::ReopenExecution {
            execution_arn: exec_arn(SM, "mine"),
            redrive_count: 1,
            redrive_date: 6,
        }],
    )
    .unwrap();
    assert!(second.open_executions().unwrap().is_empty());
    assert_eq!(running_arns(other.open_executions().unwrap()).len(), 1);
}

/// The database drops every connection (a restart, a failover, an admin's
/// pg_terminate_backend): calls in flight fail cleanly, nothing is
/// half-written, and the store reconnects for the next ones.
#[test]
fn postgres_reconnects_after_its_connections_are_killed() {
    let schema = PgSchema::new();
    let app = format!("{}_app", schema.name);
    let store = PostgresStore::open(PostgresOptions {
        url: format!("{} application_name={app}", postgres_url()),
        readers: 1,
        ..schema.options()
    })
    .unwrap();
    let arn = exec_arn(SM, "survivor");
    commit_wait(
        &store,
        vec![Write::CreateExecution(execution(SM, "survivor", 1))],
    )
    .unwrap();
    let killed: i64 = schema
        .client()
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 2, "the writer and the reader");
    // Each connection finds out at its next use: that call fails (or, had
    // the server told it first, reconnects at once); the one after works.
    let first = commit_wait(&store, vec![events(&arn, 1..=3)]);
    if first.is_err() {
        assert!(
            store
                .history(&arn, 0, 10, false)
                .unwrap_or_default()
                .is_empty()
        );
    }
    let _ = store.get_execution(&arn);
    let next = if first.is_ok() { 4..=5 } else { 1..=2 };
    commit_wait(&store, vec![events(&arn, next.clone())]).unwrap();
    let stored = store.history(&arn, 0, 10, false).unwrap();
    assert_eq!(stored.last().unwrap().id, *next.end());
    assert!(stored.iter().enumerate().all(|(i, e)| e.id == i as u64 + 1));
}

#[test]
fn postgres_unreachable_server_is_a_clear_error() {
    let Err(e) = PostgresStore::open(PostgresOptions::new(
        "postgres://baton:hunter2@127.0.0.1:1/none?connect_timeout=2",
    )) else {
        panic!("nothing listens on port 1");
    };
    let message = e.to_string();
    assert!(
        message.contains("cannot connect to PostgreSQL"),
        "{message}"
    );
    assert!(
        !message.contains("hunter2"),
        "the password leaked: {message}"
    );
}

#[test]
fn postgres_corrupt_rows_are_errors_not_panics() {
    let schema = PgSchema::new();
    let store = schema.open();
    commit_wait(
        &store,
        vec![
            Write::CreateExecution(execution(SM, "bad", 1)),
            events(&exec_arn(SM, "bad"), 1..=2),
        ],
    )
    .unwrap();
    schema
        .client()
        .batch_execute(
            "UPDATE executions SET status = 'SIDEWAYS';
             UPDATE events SET type = 'NoSuchEvent' WHERE id = 2",
        )
        .unwrap();
    let arn = exec_arn(SM, "bad");
    assert!(matches!(
        store.get_execution(&arn),
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.history(&arn, 0, 10, false),
        Err(StoreError::Corrupt(_))
    ));
    // The store keeps serving.
    assert_eq!(store.history(&arn, 0, 1, false).unwrap().len(), 1);
}

#[test]
fn postgres_survives_a_panicking_callback() {
    let schema = PgSchema::new();
    let store = schema.open();
    store.commit(
        vec![Write::CreateExecution(execution(SM, "p", 1))],
        Box::new(|_| panic!("callback bug")),
    );
    commit_wait(&store, vec![Write::CreateExecution(execution(SM, "q", 1))]).unwrap();
    assert!(store.get_execution(&exec_arn(SM, "p")).unwrap().is_some());
    store.flush().unwrap();
}

#[test]
fn sqlite_flush_waits_for_queued_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("b.db"), SqliteOptions::default()).unwrap();
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for i in 0..200 {
        let name = format!("flush-{i}");
        let acked = acked.clone();
        store.commit(
            vec![Write::CreateExecution(execution(SM, &name, i))],
            Box::new(move |r| {
                r.unwrap();
                acked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }),
        );
    }
    store.flush().unwrap();
    assert_eq!(acked.load(std::sync::atomic::Ordering::SeqCst), 200);
}

#[test]
fn sqlite_survives_a_panicking_callback() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("b.db"), SqliteOptions::default()).unwrap();
    store.commit(
        vec![Write::CreateExecution(execution(SM, "p", 1))],
        Box::new(|_| panic!("callback bug")),
    );
    commit_wait(&store, vec![Write::CreateExecution(execution(SM, "q", 1))]).unwrap();
    assert!(store.get_execution(&exec_arn(SM, "p")).unwrap().is_some());
}

#[test]
fn sqlite_schema_is_versioned_and_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    drop(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    drop(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        v, 6,
        "initial schema + aliases + redrive date + map runs + map run children + item counts"
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A newer schema than this build knows is refused, not mangled.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        SqliteStore::open(&path, SqliteOptions::default()),
        Err(StoreError::Corrupt(_))
    ));
}

/// A database from before Map Runs were indexed gets its index built from
/// the MapRunStarted events it already holds.
#[test]
fn sqlite_upgrade_indexes_existing_map_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let arn = exec_arn(SM, "old");
    let run = "arn:aws:states:us-east-1:123456789012:mapRun:Main/L:1";
    {
        let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
        commit_wait(
            &store,
            vec![
                Write::CreateExecution(execution(SM, "old", 1)),
                events(&arn, 1..=1),
                Write::AppendEvents {
                    execution_arn: arn.clone(),
                    events: vec![map_run_started(2, run)],
                },
            ],
        )
        .unwrap();
    }
    // Back to version 3, as an older Baton left it.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE map_runs; DROP INDEX executions_by_map_run;
         ALTER TABLE executions DROP COLUMN map_run_arn;
         ALTER TABLE executions DROP COLUMN item_count; PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert_eq!(store.map_run_execution(run).unwrap(), Some(arn.clone()));
    assert_eq!(store.map_runs_of(&arn).unwrap(), vec![run.to_string()]);
}

#[test]
fn sqlite_rejects_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

#[test]
fn sqlite_corrupt_rows_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let arn = exec_arn(SM, "corrupt");
    commit_wait(
        &store,
        vec![
            Write::CreateExecution(execution(SM, "corrupt", 1)),
            events(&arn, 1..=3),
            Write::AppendJournal {
                execution_arn: arn.clone(),
                entry: JournalEntry {
                    seq: 1,
                    at: 1,
                    signal: "{}".into(),
                },
            },
        ],
    )
    .unwrap();
    store.put_state_machine(&machine(SM, None)).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let corrupt = |sql: &str| raw.execute(sql, []).unwrap();
    let is_corrupt = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
    };

    corrupt("UPDATE events SET type = 'NoSuchEvent' WHERE id = 1");
    corrupt("UPDATE events SET details = '{not json' WHERE id = 2");
    corrupt("UPDATE events SET prev = -4 WHERE id = 3");
    is_corrupt(store.history(&arn, 0, 1, false).map(drop));
    is_corrupt(store.history(&arn, 1, 1, false).map(drop));
    is_corrupt(store.history(&arn, 2, 1, false).map(drop));

    corrupt("UPDATE executions SET status = 'NAPPING'");
    is_corrupt(store.get_execution(&arn).map(drop));
    is_corrupt(
        store
            .list_executions(&ExecutionFilter::default(), None, 5)
            .map(drop),
    );
    corrupt("UPDATE executions SET status = 'RUNNING', redrive_count = -1");
    is_corrupt(store.open_executions().map(drop));
    corrupt("UPDATE executions SET redrive_count = 0, input = x'ff00'");
    is_corrupt(store.get_execution(&arn).map(drop));
    corrupt("UPDATE executions SET input = '{}'");
    corrupt("UPDATE journal SET seq = -1");
    is_corrupt(store.open_executions().map(drop));

    corrupt("UPDATE state_machines SET tags = '{}'");
    is_corrupt(store.get_state_machine(SM).map(drop));
    corrupt("UPDATE state_machines SET tags = '[]', machine_type = 'TURBO'");
    is_corrupt(store.list_state_machines(None, 5).map(drop));
    corrupt("UPDATE state_machines SET machine_type = 'EXPRESS', created = 'yesterday'");
    is_corrupt(store.get_state_machine(SM).map(drop));
}

#[test]
fn sqlite_dropped_from_its_own_callback() {
    // The last handle to the store released inside a `done`: the drop then
    // runs on the writer thread and must neither hang nor lose the batch.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let store = std::sync::Arc::new(SqliteStore::open(&path, SqliteOptions::default()).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let held = store.clone();
    store.commit(
        vec![Write::CreateExecution(execution(SM, "self-drop", 1))],
        Box::new(move |r| {
            drop(held);
            let _ = tx.send(r);
        }),
    );
    drop(store);
    rx.recv().unwrap().unwrap();
    let reopened = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    assert!(
        reopened
            .get_execution(&exec_arn(SM, "self-drop"))
            .unwrap()
            .is_some()
    );
}

/// With a retention limit the oldest closed executions are forgotten, so a
/// long-running `--in-memory` server does not grow without bound; running
/// ones are kept.
#[test]
fn memory_retention_forgets_the_oldest_closed_executions() {
    let store = MemoryStore::with_retention(2);
    let running = execution("m", "running", 0);
    commit_wait(&store, vec![Write::CreateExecution(running)]).unwrap();
    for i in 1..=4 {
        let mut r = execution("m", &format!("e{i}"), i);
        r.status = ExecutionStatus::Succeeded;
        commit_wait(&store, vec![Write::CreateExecution(r)]).unwrap();
    }
    let present = |n: &str| store.get_execution(&exec_arn("m", n)).unwrap().is_some();
    assert!(present("running"));
    assert!(!present("e1") && !present("e2"));
    assert!(present("e3") && present("e4"));
    let listed = store
        .list_executions(&ExecutionFilter::default(), None, 10)
        .unwrap();
    assert_eq!(listed.len(), 3);
}

/// The writer never checkpoints inside COMMIT (`wal_autocheckpoint = 0`);
/// the checkpoint thread moves committed pages into the database file, so
/// the WAL does not grow without bound. Polls (bounded) for the database
/// file to grow, which only a checkpoint does.
#[test]
fn sqlite_checkpoints_the_wal_off_the_writer_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();
    for i in 0..200 {
        commit_wait(
            &store,
            vec![Write::CreateExecution(execution(SM, &format!("c{i}"), i))],
        )
        .unwrap();
    }
    let grown = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::metadata(&path).unwrap().len() > before
    });
    assert!(grown, "no checkpoint moved pages into {}", path.display());
}
