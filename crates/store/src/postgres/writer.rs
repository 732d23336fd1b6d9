//! The writer thread: group commit with every statement of a group
//! **pipelined**.
//!
//! A group's writes become a plan of statements ([`Op`]s), each with what
//! its outcome means (a key violation, no row changed). They are sent in one
//! go behind `BEGIN` and the fence check, and their answers read back in
//! order, so a group costs two round trips to the database (the statements,
//! then `COMMIT`) whatever its size. Sending them one by one made a
//! 10,000-item Distributed Map wait for 20,000 round trips.
//!
//! PostgreSQL aborts a transaction at its first error; statements after it
//! fail too and are ignored. The plan's first failure is the group's, the
//! group is rolled back, and (see the store's docs) each job is run again
//! in a transaction of its own, so only the failing batch fails.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::mpsc::Receiver;

use postgres::types::ToSql;
use serde_json::Value;
use tokio_postgres::{Client, NoTls, Statement};

use super::{
    Node, PostgresOptions, conflict_as, db_error, fenced, quote_identifier, quote_literal,
};
use crate::StoreError;
use crate::memory::machine_arn_of;
use crate::records::*;
use crate::shared::{missing, tags_json, to_i64};
use crate::writer_thread::{Job, Work, call_done, next_group};

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement of a plan and how to read its outcome.
struct Op {
    sql: Cow<'static, str>,
    params: Vec<Param>,
    /// What a key violation means here (`None`: a plain conflict).
    conflict: Option<String>,
    /// The error if the statement changes (or, for a SELECT, returns) no row.
    if_none: Option<StoreError>,
}

impl Op {
    fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Param>) -> Op {
        Op {
            sql: sql.into(),
            params,
            conflict: None,
            if_none: None,
        }
    }

    fn conflict(mut self, message: String) -> Op {
        self.conflict = Some(message);
        self
    }

    fn if_none(mut self, error: StoreError) -> Op {
        self.if_none = Some(error);
        self
    }
}

/// The writer's connection: a tokio-postgres client on a runtime of the
/// writer thread's own (pipelining needs the async client).
pub(super) struct Writer {
    options: PostgresOptions,
    runtime: tokio::runtime::Runtime,
    client: Client,
    statements: HashMap<String, Statement>,
    /// The last transaction failed with an I/O error (see `Conn::suspect`).
    suspect: bool,
}

impl Writer {
    pub(super) fn open(options: &PostgresOptions) -> Result<Writer, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Io(format!("cannot start the writer's runtime: {e}")))?;
        let client = runtime.block_on(async {
            let (client, connection) = super::connect_config(options)?
                .connect(NoTls)
                .await
                .map_err(|e| super::cannot_connect(options, e))?;
            // Driven whenever the thread blocks on the runtime, i.e. while
            // it waits for an answer.
            tokio::spawn(connection);
            if let Some(schema) = &options.schema {
                client
                    .batch_execute(&format!("SET search_path TO {}", quote_identifier(schema)?))
                    .await
                    .map_err(db_error)?;
            }
            Ok::<_, StoreError>(client)
        })?;
        Ok(Writer {
            options: options.clone(),
            runtime,
            client,
            statements: HashMap::new(),
            suspect: false,
        })
    }

    fn reopen_if_closed(&mut self) -> Result<(), StoreError> {
        let gone = self.client.is_closed()
            || (std::mem::take(&mut self.suspect)
                && self.runtime.block_on(self.client.simple_query("")).is_err());
        if gone {
            *self = Writer::open(&self.options)?;
        }
        Ok(())
    }

    /// Runs `ops` in one transaction as `node`: all applied, or none.
    fn transaction(&mut self, node: &Node, ops: &[&Op]) -> Result<(), StoreError> {
        let result = self.pipelined(node, ops);
        self.suspect = matches!(result, Err(StoreError::Io(_)));
        result
    }

    fn pipelined(&mut self, node: &Node, ops: &[&Op]) -> Result<(), StoreError> {
        let Writer {
            runtime,
            client,
            statements,
            ..
        } = self;
        runtime.block_on(async {
            // Preparing is one round trip per new statement text, once.
            for op in ops {
                if !statements.contains_key(op.sql.as_ref()) {
                    let prepared = client.prepare(&op.sql).await.map_err(db_error)?;
                    statements.insert(op.sql.to_string(), prepared);
                }
            }
            let begin = format!(
                "BEGIN; SELECT 1 FROM nodes WHERE id = {} AND incarnation = {} AND NOT fenced FOR SHARE",
                quote_literal(&node.id),
                node.incarnation
            );
            let client = &*client;
            let runs = ops.iter().map(|op| {
                let statement = &statements[op.sql.as_ref()];
                let params: Vec<&(dyn ToSql + Sync)> = op
                    .params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                async move { client.execute(statement, &params).await }
            });
            // Polled in order, so sent in order, in one pipeline.
            let (begun, answers) =
                futures_util::join!(client.simple_query(&begin), futures_util::future::join_all(runs));
            let outcome = begun
                .map_err(db_error)
                .and_then(|messages| {
                    let live = messages
                        .iter()
                        .any(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)));
                    if live { Ok(()) } else { Err(fenced(node)) }
                })
                .and_then(|()| {
                    ops.iter()
                        .zip(answers)
                        .try_for_each(|(op, answer)| read_answer(op, answer))
                });
            match outcome {
                Ok(()) => client.batch_execute("COMMIT").await.map_err(db_error),
                Err(e) => {
                    let _ = client.batch_execute("ROLLBACK").await;
                    Err(e)
                }
            }
        })
    }
}

fn read_answer(op: &Op, answer: Result<u64, tokio_postgres::Error>) -> Result<(), StoreError> {
    let changed = answer.map_err(|e| match &op.conflict {
        Some(message) => conflict_as(db_error(e), || message.clone()),
        None => db_error(e),
    })?;
    match &op.if_none {
        Some(error) if changed == 0 => Err(error.clone()),
        _ => Ok(()),
    }
}

pub(super) fn writer_loop(mut writer: Writer, node: Node, queue: Receiver<Job>, max_group: usize) {
    let mut group = Vec::with_capacity(max_group.min(1024));
    // Ends once the store is dropped *and* the queue is empty.
    while next_group(&queue, max_group, &mut group) {
        run_group(&mut writer, &node, std::mem::take(&mut group));
    }
}

/// Applies a group of jobs in one transaction; if one of them fails, each
/// is applied again in a transaction of its own.
fn run_group(writer: &mut Writer, node: &Node, group: Vec<Job>) {
    let mut flushes = Vec::new();
    let mut jobs = Vec::new();
    for job in group {
        match job {
            // A job that cannot even be planned (a number out of range)
            // fails alone, before anything is sent.
            Job::Apply(work, done) => match plan(node, &work) {
                Ok(ops) => jobs.push((ops, done)),
                Err(e) => call_done(done, Err(e)),
            },
            Job::Flush(done) => flushes.push(done),
        }
    }
    if let Err(e) = writer.reopen_if_closed() {
        for (_, done) in jobs {
            call_done(done, Err(e.clone()));
        }
        for done in flushes {
            call_done(done, Err(e.clone()));
        }
        return;
    }
    let all: Vec<&Op> = jobs.iter().flat_map(|(ops, _)| ops).collect();
    let together = if jobs.is_empty() {
        Ok(())
    } else {
        writer.transaction(node, &all)
    };
    match together {
        Ok(()) => {
            for (_, done) in jobs {
                call_done(done, Ok(()));
            }
        }
        // Alone, a single job's failure is its own; and once fenced, no
        // job may be written.
        Err(e) if jobs.len() == 1 || matches!(e, StoreError::Fenced(_)) => {
            for (_, done) in jobs {
                call_done(done, Err(e.clone()));
            }
        }
        Err(_) => {
            for (ops, done) in jobs {
                let result = writer
                    .reopen_if_closed()
                    .and_then(|()| writer.transaction(node, &ops.iter().collect::<Vec<_>>()));
                call_done(done, result);
            }
        }
    }
    for done in flushes {
        call_done(done, Ok(()));
    }
}

// ---- plans -----------------------------------------------------------------

fn plan(node: &Node, work: &Work) -> Result<Vec<Op>, StoreError> {
    let mut ops = Vec::new();
    match work {
        Work::Batch(batch) => {
            for write in batch {
                plan_write(node, write, &mut ops)?;
            }
        }
        Work::PutMachine(sm) => ops.push(put_machine(sm)?),
        Work::DeleteMachine(arn) => ops.push(Op::new(
            "DELETE FROM state_machines WHERE machine_arn = $1 OR arn = $1",
            vec![Box::new(arn.clone())],
        )),
        Work::PutActivity(a) => ops.push(Op::new(
            "INSERT INTO activities (arn, name, created, tags) VALUES ($1, $2, $3, $4)
             ON CONFLICT (arn) DO UPDATE SET name = EXCLUDED.name,
                created = EXCLUDED.created, tags = EXCLUDED.tags",
            vec![
                Box::new(a.arn.clone()),
                Box::new(a.name.clone()),
                Box::new(a.created),
                Box::new(tags_json(&a.tags)),
            ],
        )),
        Work::DeleteActivity(arn) => ops.push(Op::new(
            "DELETE FROM activities WHERE arn = $1",
            vec![Box::new(arn.clone())],
        )),
        Work::PutAlias(a) => {
            let routing =
                serde_json::to_string(&a.routing).map_err(|e| StoreError::Io(e.to_string()))?;
            ops.push(Op::new(
                "INSERT INTO aliases
                    (arn, name, state_machine_arn, description, routing, created, updated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (arn) DO UPDATE SET name = EXCLUDED.name,
                    state_machine_arn = EXCLUDED.state_machine_arn,
                    description = EXCLUDED.description, routing = EXCLUDED.routing,
                    created = EXCLUDED.created, updated = EXCLUDED.updated",
                vec![
                    Box::new(a.arn.clone()),
                    Box::new(a.name.clone()),
                    Box::new(a.state_machine_arn.clone()),
                    Box::new(a.description.clone()),
                    Box::new(routing),
                    Box::new(a.created),
                    Box::new(a.updated),
                ],
            ));
        }
        Work::DeleteAlias(arn) => ops.push(Op::new(
            "DELETE FROM aliases WHERE arn = $1",
            vec![Box::new(arn.clone())],
        )),
    }
    Ok(ops)
}

fn put_machine(sm: &StateMachineRecord) -> Result<Op, StoreError> {
    let version = sm
        .version
        .map(|v| to_i64(v, "version number"))
        .transpose()?;
    let json = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    Ok(Op::new(
        "INSERT INTO state_machines (arn, machine_arn, version, name, definition, role_arn,
            machine_type, created, updated, revision_id, description, logging_configuration,
            tracing_configuration, encryption_configuration, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (arn) DO UPDATE SET machine_arn = EXCLUDED.machine_arn,
            version = EXCLUDED.version, name = EXCLUDED.name,
            definition = EXCLUDED.definition, role_arn = EXCLUDED.role_arn,
            machine_type = EXCLUDED.machine_type, created = EXCLUDED.created,
            updated = EXCLUDED.updated, revision_id = EXCLUDED.revision_id,
            description = EXCLUDED.description,
            logging_configuration = EXCLUDED.logging_configuration,
            tracing_configuration = EXCLUDED.tracing_configuration,
            encryption_configuration = EXCLUDED.encryption_configuration,
            tags = EXCLUDED.tags",
        vec![
            Box::new(sm.arn.clone()),
            Box::new(machine_arn_of(sm).to_owned()),
            Box::new(version),
            Box::new(sm.name.clone()),
            Box::new(sm.definition.clone()),
            Box::new(sm.role_arn.clone()),
            Box::new(sm.machine_type.as_str()),
            Box::new(sm.created),
            Box::new(sm.updated),
            Box::new(sm.revision_id.clone()),
            Box::new(sm.description.clone()),
            Box::new(json(&sm.logging_configuration)),
            Box::new(json(&sm.tracing_configuration)),
            Box::new(json(&sm.encryption_configuration)),
            Box::new(tags_json(&sm.tags)),
        ],
    ))
}

fn plan_write(node: &Node, write: &Write, ops: &mut Vec<Op>) -> Result<(), StoreError> {
    match write {
        Write::CreateExecution(r) => ops.push(
            Op::new(
                "INSERT INTO executions (arn, name, state_machine_arn, version_arn, alias_arn,
                    definition, machine_type, role_arn, status, input, output, error, cause,
                    start_date, stop_date, seed, redrive_count, trace_header, redrive_date,
                    map_run_arn, item_count, owner)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                    $16, $17, $18, $19, $20, $21, $22)",
                vec![
                    Box::new(r.arn.clone()),
                    Box::new(r.name.clone()),
                    Box::new(r.state_machine_arn.clone()),
                    Box::new(r.version_arn.clone()),
                    Box::new(r.alias_arn.clone()),
                    Box::new(r.definition.clone()),
                    Box::new(r.machine_type.as_str()),
                    Box::new(r.role_arn.clone()),
                    Box::new(r.status.as_str()),
                    Box::new(r.input.clone()),
                    Box::new(r.output.clone()),
                    Box::new(r.error.clone()),
                    Box::new(r.cause.clone()),
                    Box::new(r.start_date),
                    Box::new(r.stop_date),
                    Box::new(r.seed as i64),
                    Box::new(i64::from(r.redrive_count)),
                    Box::new(r.trace_header.clone()),
                    Box::new(r.redrive_date),
                    Box::new(r.map_run_arn.clone()),
                    Box::new(r.item_count.map(|n| n as i64)),
                    Box::new(node.id.clone()),
                ],
            )
            .conflict(format!("execution already exists: {}", r.arn)),
        ),
        Write::AppendEvents {
            execution_arn,
            events,
        } => {
            for ev in events {
                if let Some(run) = started_map_run(ev) {
                    ops.push(
                        Op::new(
                            "INSERT INTO map_runs (arn, execution_arn, start_date)
                             VALUES ($1, $2, $3)",
                            vec![
                                Box::new(run.clone()),
                                Box::new(execution_arn.clone()),
                                Box::new(ev.timestamp),
                            ],
                        )
                        .conflict(format!("Map Run already exists: {run}")),
                    );
                }
            }
            if events.is_empty() {
                ops.push(
                    Op::new(
                        "SELECT 1 FROM executions WHERE arn = $1",
                        vec![Box::new(execution_arn.clone())],
                    )
                    .if_none(missing(execution_arn)),
                );
                return Ok(());
            }
            // One statement for the whole append, whatever its length, and
            // one look-up of its execution (a foreign key would check, and
            // lock, the execution row once per event).
            let mut ids = Vec::with_capacity(events.len());
            let mut prevs = Vec::with_capacity(events.len());
            let mut times = Vec::with_capacity(events.len());
            let mut types = Vec::with_capacity(events.len());
            let mut details = Vec::with_capacity(events.len());
            for ev in events {
                ids.push(to_i64(ev.id, "event id")?);
                prevs.push(to_i64(ev.previous_event_id, "previous event id")?);
                times.push(ev.timestamp);
                types.push(ev.event_type.as_str());
                details.push((!ev.details.is_none()).then(|| ev.details.to_json()));
            }
            ops.push(
                Op::new(
                    "INSERT INTO events (execution_arn, id, prev, timestamp, type, details)
                     SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::BIGINT[],
                        $5::TEXT[], $6::TEXT[])
                     WHERE EXISTS (SELECT 1 FROM executions WHERE arn = $1)",
                    vec![
                        Box::new(execution_arn.clone()),
                        Box::new(ids),
                        Box::new(prevs),
                        Box::new(times),
                        Box::new(types),
                        Box::new(details),
                    ],
                )
                .conflict(format!("an event already exists in {execution_arn}"))
                .if_none(missing(execution_arn)),
            );
        }
        Write::AppendJournal {
            execution_arn,
            entry,
        } => ops.push(
            Op::new(
                "INSERT INTO journal (execution_arn, seq, at, signal)
                 SELECT $1, $2, $3, $4
                 WHERE EXISTS (SELECT 1 FROM executions WHERE arn = $1)",
                vec![
                    Box::new(execution_arn.clone()),
                    Box::new(to_i64(entry.seq, "journal seq")?),
                    Box::new(entry.at),
                    Box::new(entry.signal.clone()),
                ],
            )
            .conflict(format!(
                "journal entry {} already exists in {execution_arn}",
                entry.seq
            ))
            .if_none(missing(execution_arn)),
        ),
        Write::ReopenExecution {
            execution_arn,
            redrive_count,
            redrive_date,
        } => ops.push(
            Op::new(
                "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL,
                    cause = NULL, stop_date = NULL, redrive_count = $2, redrive_date = $3,
                    owner = $4
                 WHERE arn = $1",
                vec![
                    Box::new(execution_arn.clone()),
                    Box::new(i64::from(*redrive_count)),
                    Box::new(*redrive_date),
                    Box::new(node.id.clone()),
                ],
            )
            .if_none(missing(execution_arn)),
        ),
        Write::CloseExecution {
            execution_arn,
            status,
            output,
            error,
            cause,
            stop_date,
        } => ops.push(
            Op::new(
                "UPDATE executions SET status = $2, output = $3, error = $4, cause = $5,
                    stop_date = $6 WHERE arn = $1",
                vec![
                    Box::new(execution_arn.clone()),
                    Box::new(status.as_str()),
                    Box::new(output.clone()),
                    Box::new(error.clone()),
                    Box::new(cause.clone()),
                    Box::new(*stop_date),
                ],
            )
            .if_none(missing(execution_arn)),
        ),
    }
    Ok(())
}
