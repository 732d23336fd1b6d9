//! Stored rows decoded into records, shared by the SQL stores. The column
//! lists and what each column means live here once; each store only says
//! how its driver reads one column ([`Columns`]). A value that does not
//! decode (wrong type, unknown status, bad JSON) is `StoreError::Corrupt`,
//! never a panic.

use asl::{EventType, HistoryEvent};
use serde_json::{Map, Value};

use crate::StoreError;
use crate::records::*;

/// One row as a driver reads it, column by index.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;

    fn u64(&self, i: usize, what: &str) -> Result<u64, StoreError> {
        let v = self.int(i)?;
        u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}: {v}")))
    }

    fn json(&self, i: usize, what: &str) -> Result<Option<Value>, StoreError> {
        self.opt_text(i)?
            .map(|s| {
                serde_json::from_str(&s)
                    .map_err(|e| StoreError::Corrupt(format!("{what} is not JSON: {e}")))
            })
            .transpose()
    }

    fn tags(&self, i: usize) -> Result<Vec<(String, String)>, StoreError> {
        serde_json::from_str(&self.text(i)?)
            .map_err(|e| StoreError::Corrupt(format!("bad tags: {e}")))
    }

    fn machine_type(&self, i: usize) -> Result<MachineType, StoreError> {
        let s = self.text(i)?;
        MachineType::parse(&s)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown machine type {s}")))
    }
}

pub(crate) const MACHINE_COLUMNS: &str = "arn, version, name, definition, role_arn, machine_type,
    created, updated, revision_id, description, logging_configuration, tracing_configuration,
    encryption_configuration, tags";

pub(crate) fn machine_row(row: &impl Columns) -> Result<StateMachineRecord, StoreError> {
    Ok(StateMachineRecord {
        arn: row.text(0)?,
        version: row
            .opt_int(1)?
            .map(|v| {
                u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative version {v}")))
            })
            .transpose()?,
        name: row.text(2)?,
        definition: row.text(3)?,
        role_arn: row.text(4)?,
        machine_type: row.machine_type(5)?,
        created: row.int(6)?,
        updated: row.int(7)?,
        revision_id: row.text(8)?,
        description: row.opt_text(9)?,
        logging_configuration: row.json(10, "loggingConfiguration")?,
        tracing_configuration: row.json(11, "tracingConfiguration")?,
        encryption_configuration: row.json(12, "encryptionConfiguration")?,
        tags: row.tags(13)?,
    })
}

pub(crate) const ALIAS_COLUMNS: &str =
    "arn, name, state_machine_arn, description, routing, created, updated";

pub(crate) fn alias_row(row: &impl Columns) -> Result<AliasRecord, StoreError> {
    Ok(AliasRecord {
        arn: row.text(0)?,
        name: row.text(1)?,
        state_machine_arn: row.text(2)?,
        description: row.opt_text(3)?,
        routing: serde_json::from_str(&row.text(4)?)
            .map_err(|e| StoreError::Corrupt(format!("alias routing: {e}")))?,
        created: row.int(5)?,
        updated: row.int(6)?,
    })
}

pub(crate) const ACTIVITY_COLUMNS: &str = "arn, name, created, tags";

pub(crate) fn activity_row(row: &impl Columns) -> Result<ActivityRecord, StoreError> {
    Ok(ActivityRecord {
        arn: row.text(0)?,
        name: row.text(1)?,
        created: row.int(2)?,
        tags: row.tags(3)?,
    })
}

pub(crate) const EXECUTION_COLUMNS: &str = "arn, name, state_machine_arn, version_arn, alias_arn,
    definition, machine_type, role_arn, status, input, output, error, cause, start_date,
    stop_date, seed, redrive_count, trace_header, redrive_date, map_run_arn, item_count";

pub(crate) fn execution_row(row: &impl Columns) -> Result<ExecutionRecord, StoreError> {
    let status = row.text(8)?;
    let redrive = row.int(16)?;
    Ok(ExecutionRecord {
        arn: row.text(0)?,
        name: row.text(1)?,
        state_machine_arn: row.text(2)?,
        version_arn: row.opt_text(3)?,
        alias_arn: row.opt_text(4)?,
        definition: row.text(5)?,
        machine_type: row.machine_type(6)?,
        role_arn: row.text(7)?,
        status: ExecutionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown execution status {status}")))?,
        input: row.text(9)?,
        output: row.opt_text(10)?,
        error: row.opt_text(11)?,
        cause: row.opt_text(12)?,
        start_date: row.int(13)?,
        stop_date: row.opt_int(14)?,
        // The u64 seed's bits, stored as an i64.
        seed: row.int(15)? as u64,
        redrive_count: u32::try_from(redrive)
            .map_err(|_| StoreError::Corrupt(format!("bad redrive count {redrive}")))?,
        trace_header: row.opt_text(17)?,
        redrive_date: row.opt_int(18)?,
        map_run_arn: row.opt_text(19)?,
        item_count: row.opt_int(20)?.map(|n| n as u64),
    })
}

pub(crate) const EVENT_COLUMNS: &str = "id, prev, timestamp, type, details";

pub(crate) fn event_row(row: &impl Columns) -> Result<HistoryEvent, StoreError> {
    let kind = row.text(3)?;
    let details = row
        .opt_text(4)?
        .map(|text| {
            serde_json::from_str::<Map<String, Value>>(&text)
                .map_err(|e| StoreError::Corrupt(format!("event details: {e}")))
        })
        .transpose()?;
    Ok(HistoryEvent {
        id: row.u64(0, "event id")?,
        previous_event_id: row.u64(1, "previous event id")?,
        timestamp: row.int(2)?,
        event_type: EventType::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown event type {kind}")))?,
        // NULL for events without details.
        details: details.into(),
    })
}

pub(crate) const JOURNAL_COLUMNS: &str = "seq, at, signal";

pub(crate) fn journal_row(row: &impl Columns) -> Result<JournalEntry, StoreError> {
    Ok(JournalEntry {
        seq: row.u64(0, "journal seq")?,
        at: row.int(1)?,
        signal: row.text(2)?,
    })
}
