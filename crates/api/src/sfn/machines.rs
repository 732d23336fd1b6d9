//! State machines and their versions: plain Store records, no engine.
//!
//! A machine's *revision* (`revisionId`) changes whenever an update changes
//! anything; a published version snapshots one revision, and publishing the
//! same revision twice returns the existing version (AWS's idempotency).

use serde_json::{Value, json};
use store::{MachineType, StateMachineRecord};

use super::arn::{self, MachineRef};
use super::{arns, store, token, validate};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, Str, shapes, timestamp};

/// AWS's cap on published versions per state machine.
const MAX_VERSIONS: usize = 1000;
/// AWS's cap on tags per resource.
pub const MAX_TAGS: usize = 50;

fn new_revision() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn does_not_exist(arn: &str) -> ApiError {
    ApiError::sfn(
        "StateMachineDoesNotExist",
        format!("State Machine Does Not Exist: '{arn}'"),
    )
}

pub fn too_many_tags(arn: &str) -> ApiError {
    ApiError::sfn(
        "TooManyTags",
        format!("Too many tags for resource: '{arn}'"),
    )
    .with("resourceName", arn)
}

/// The logging configuration AWS reports when none was given.
fn logging_or_default(v: &Option<Value>) -> Value {
    v.clone()
        .unwrap_or_else(|| json!({"level": "OFF", "includeExecutionData": false}))
}

/// The tracing configuration AWS reports when none was given.
fn tracing_or_default(v: &Option<Value>) -> Value {
    v.clone().unwrap_or_else(|| json!({"enabled": false}))
}

/// `loggingConfiguration.level` must be a LogLevel; any level but OFF needs
/// a destination (AWS: `InvalidLoggingConfiguration`).
fn check_logging(v: &Option<Value>) -> Result<(), ApiError> {
    let Some(cfg) = v else { return Ok(()) };
    let level = cfg.get("level").and_then(Value::as_str).unwrap_or("OFF");
    if !["ALL", "ERROR", "FATAL", "OFF"].contains(&level) {
        return Err(ApiError::validation(&[format!(
            "Value '{level}' at 'loggingConfiguration.level' failed to satisfy constraint: \
             Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]"
        )]));
    }
    let has_destination = cfg
        .get("destinations")
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty());
    if level != "OFF" && !has_destination {
        return Err(ApiError::sfn(
            "InvalidLoggingConfiguration",
            "Invalid Logging Configuration: Must specify exactly one Log Destination.",
        ));
    }
    Ok(())
}

/// The role must at least look like an ARN; AWS also checks it names an IAM
/// role, which means nothing locally.
fn check_role(role: &str) -> Result<(), ApiError> {
    if role.starts_with("arn:") {
        Ok(())
    } else {
        Err(ApiError::invalid_arn(format!("Invalid ARN prefix: {role}")))
    }
}

/// Reads a machine by its unqualified ARN, or `StateMachineDoesNotExist`.
pub fn get_machine(state: &AppState, arn: &str) -> Result<StateMachineRecord, ApiError> {
    store(state)
        .get_state_machine(arn)?
        .ok_or_else(|| does_not_exist(arn))
}

/// Publishes the machine's current revision unless a version of it exists.
/// Returns the version record.
fn publish(
    state: &AppState,
    machine: &StateMachineRecord,
    description: Option<String>,
) -> Result<StateMachineRecord, ApiError> {
    let versions = store(state).list_versions(&machine.arn)?;
    if let Some(v) = versions
        .iter()
        .find(|v| v.revision_id == machine.revision_id)
    {
        return Ok(v.clone());
    }
    if versions.len() >= MAX_VERSIONS {
        return Err(ApiError::sfn(
            "ServiceQuotaExceededException",
            format!(
                "The maximum number of versions ({MAX_VERSIONS}) has been reached for state machine '{}'",
                machine.arn
            ),
        ));
    }
    let number = versions.iter().filter_map(|v| v.version).max().unwrap_or(0) + 1;
    let now = state.engine.now();
    let version = StateMachineRecord {
        arn: arn::version_arn(&machine.arn, number),
        version: Some(number),
        description,
        created: now,
        updated: now,
        tags: Vec::new(),
        ..machine.clone()
    };
    store(state).put_state_machine(&version)?;
    Ok(version)
}

/// `CreateStateMachine`.
pub fn create(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let name = p.string("name", shapes::NAME);
    let definition = p.string("definition", shapes::DEFINITION);
    let role_arn = p.string("roleArn", shapes::ARN);
    let machine_type = p.enumeration("type", false, &["STANDARD", "EXPRESS"]);
    let logging = p.object("loggingConfiguration");
    let tracing = p.object("tracingConfiguration");
    let encryption = p.object("encryptionConfiguration");
    let tags = p.tags("tags", false).unwrap_or_default();
    let publish_flag = p.boolean("publish").unwrap_or(false);
    let version_description = p.string("versionDescription", shapes::VERSION_DESCRIPTION);
    p.finish()?;
    let (name, definition, role_arn) = (
        name.unwrap_or_default(),
        definition.unwrap_or_default(),
        role_arn.unwrap_or_default(),
    );
    let machine_type = machine_type
        .as_deref()
        .and_then(MachineType::parse)
        .unwrap_or(MachineType::Standard);

    arn::check_name(&name)?;
    check_role(&role_arn)?;
    if version_description.is_some() && !publish_flag {
        return Err(ApiError::service_validation(
            "Version description can only be set when publish is true",
        ));
    }
    check_logging(&logging)?;
    validate::check_definition(&definition, machine_type)?;
    let arn = arns(state).state_machine(&name);
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags(&arn));
    }

    if let Some(existing) = store(state).get_state_machine(&arn)? {
        // Idempotent only for an identical configuration; role and tags are
        // not compared (and not applied), as AWS documents.
        let same = existing.definition == definition
            && existing.machine_type == machine_type
            && logging_or_default(&existing.logging_configuration) == logging_or_default(&logging)
            && tracing_or_default(&existing.tracing_configuration) == tracing_or_default(&tracing)
            && existing.encryption_configuration == encryption;
        if !same {
            return Err(ApiError::sfn(
                "StateMachineAlreadyExists",
                format!("State Machine Already Exists: '{arn}'"),
            ));
        }
        let mut out = json!({"stateMachineArn": arn, "creationDate": timestamp(existing.created)});
        if publish_flag {
            let version = publish(state, &existing, version_description)?;
            out["stateMachineVersionArn"] = json!(version.arn);
        }
        return Ok(out);
    }

    let now = state.engine.now();
    let record = StateMachineRecord {
        arn: arn.clone(),
        name,
        definition,
        role_arn,
        machine_type,
        created: now,
        updated: now,
        revision_id: new_revision(),
        version: None,
        description: None,
        logging_configuration: logging,
        tracing_configuration: tracing,
        encryption_configuration: encryption,
        tags,
    };
    store(state).put_state_machine(&record)?;
    let mut out = json!({"stateMachineArn": arn, "creationDate": timestamp(now)});
    if publish_flag {
        let version = publish(state, &record, version_description)?;
        out["stateMachineVersionArn"] = json!(version.arn);
    }
    Ok(out)
}

/// The `DescribeStateMachine` body for a machine or version record.
pub fn describe_record(sm: &StateMachineRecord) -> Value {
    let mut out = json!({
        "stateMachineArn": sm.arn,
        "name": sm.name,
        "status": "ACTIVE",
        "definition": sm.definition,
        "roleArn": sm.role_arn,
        "type": sm.machine_type.as_str(),
        "creationDate": timestamp(sm.created),
        "loggingConfiguration": logging_or_default(&sm.logging_configuration),
        "tracingConfiguration": tracing_or_default(&sm.tracing_configuration),
        "revisionId": sm.revision_id,
    });
    if let Some(d) = &sm.description {
        out["description"] = json!(d);
    }
    if let Some(e) = &sm.encryption_configuration {
        out["encryptionConfiguration"] = e.clone();
    }
    out
}

/// `DescribeStateMachine` (machine or version ARN).
pub fn describe(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    p.enumeration("includedData", false, &["ALL_DATA", "METADATA_ONLY"]);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    match arn::parse_machine(&arn)? {
        MachineRef::Machine { arn } | MachineRef::Version { arn, .. } => {
            let sm = store(state)
                .get_state_machine(&arn)?
                .ok_or_else(|| does_not_exist(&arn))?;
            Ok(describe_record(&sm))
        }
        // Aliases are not supported yet, so none exists; labelled
        // (Distributed Map child) machines are not stored.
        MachineRef::Alias { arn, .. } | MachineRef::Labelled { arn } => Err(does_not_exist(&arn)),
    }
}

/// `UpdateStateMachine`.
pub fn update(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    let definition = p.string(
        "definition",
        Str {
            required: false,
            ..shapes::DEFINITION
        },
    );
    let role_arn = p.string(
        "roleArn",
        Str {
            required: false,
            ..shapes::ARN
        },
    );
    let logging = p.object("loggingConfiguration");
    let tracing = p.object("tracingConfiguration");
    let encryption = p.object("encryptionConfiguration");
    let publish_flag = p.boolean("publish").unwrap_or(false);
    let version_description = p.string("versionDescription", shapes::VERSION_DESCRIPTION);
    p.finish()?;
    let arn = arn::parse_unqualified_machine(&arn.unwrap_or_default())?;
    if definition.is_none()
        && role_arn.is_none()
        && logging.is_none()
        && tracing.is_none()
        && encryption.is_none()
    {
        return Err(ApiError::sfn(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        ));
    }
    if version_description.is_some() && !publish_flag {
        return Err(ApiError::service_validation(
            "Version description can only be set when publish is true",
        ));
    }
    let mut sm = get_machine(state, &arn)?;
    if let Some(role) = &role_arn {
        check_role(role)?;
    }
    check_logging(&logging)?;
    if let Some(d) = &definition {
        validate::check_definition(d, sm.machine_type)?;
    }

    let before = sm.clone();
    if let Some(d) = definition {
        sm.definition = d;
    }
    if let Some(r) = role_arn {
        sm.role_arn = r;
    }
    if logging.is_some() {
        sm.logging_configuration = logging;
    }
    if tracing.is_some() {
        sm.tracing_configuration = tracing;
    }
    if encryption.is_some() {
        sm.encryption_configuration = encryption;
    }
    if sm != before {
        sm.revision_id = new_revision();
        sm.updated = state.engine.now();
        store(state).put_state_machine(&sm)?;
    }
    let mut out = json!({"updateDate": timestamp(sm.updated), "revisionId": sm.revision_id});
    if publish_flag {
        let version = publish(state, &sm, version_description)?;
        out["stateMachineVersionArn"] = json!(version.arn);
    }
    Ok(out)
}

/// `DeleteStateMachine`: succeeds for machines that do not exist (AWS's
/// delete is idempotent). Executions are left alone; the engine finishes
/// running ones on the definition they started with.
pub fn delete(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    p.finish()?;
    let arn = arn::parse_unqualified_machine(&arn.unwrap_or_default())?;
    store(state).delete_state_machine(&arn)?;
    Ok(json!({}))
}

/// `ListStateMachines`, ordered by ARN.
pub fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let limit = p.page_size("maxResults", 1000, 100);
    let next = p.string("nextToken", shapes::PAGE_TOKEN);
    p.finish()?;
    const SCOPE: &str = "ListStateMachines";
    let after = next
        .as_deref()
        .map(|t| token::decode_str(t, SCOPE))
        .transpose()?;
    let mut page = store(state).list_state_machines(after.as_deref(), limit + 1)?;
    let more = page.len() > limit;
    page.truncate(limit);
    let items: Vec<Value> = page
        .iter()
        .map(|sm| {
            json!({
                "stateMachineArn": sm.arn,
                "name": sm.name,
                "type": sm.machine_type.as_str(),
                "creationDate": timestamp(sm.created),
            })
        })
        .collect();
    let mut out = json!({"stateMachines": items});
    if more && let Some(last) = page.last() {
        out["nextToken"] = json!(token::encode(SCOPE, json!(last.arn)));
    }
    Ok(out)
}

/// `PublishStateMachineVersion`.
pub fn publish_version(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    let revision = p.string("revisionId", Str::opt(0, usize::MAX));
    let description = p.string("description", shapes::VERSION_DESCRIPTION);
    p.finish()?;
    let arn = arn::parse_unqualified_machine(&arn.unwrap_or_default())?;
    let sm = get_machine(state, &arn)?;
    if let Some(r) = &revision
        && *r != sm.revision_id
    {
        return Err(ApiError::sfn(
            "ConflictException",
            format!(
                "Failed to publish the State Machine version for revision {r}. The current State Machine revision is {}.",
                sm.revision_id
            ),
        ));
    }
    let version = publish(state, &sm, description)?;
    Ok(json!({"creationDate": timestamp(version.created), "stateMachineVersionArn": version.arn}))
}

/// `ListStateMachineVersions`, newest first.
pub fn list_versions(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    let limit = p.page_size("maxResults", 1000, 100);
    let next = p.string("nextToken", shapes::PAGE_TOKEN);
    p.finish()?;
    let arn = arn::parse_unqualified_machine(&arn.unwrap_or_default())?;
    let scope = format!("ListStateMachineVersions {arn}");
    let before = next
        .as_deref()
        .map(|t| token::decode_u64(t, &scope))
        .transpose()?;
    let versions = store(state).list_versions(&arn)?;
    let mut page: Vec<&StateMachineRecord> = versions
        .iter()
        .filter(|v| before.is_none_or(|b| v.version.unwrap_or(0) < b))
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let items: Vec<Value> = page
        .iter()
        .map(|v| json!({"stateMachineVersionArn": v.arn, "creationDate": timestamp(v.created)}))
        .collect();
    let mut out = json!({"stateMachineVersions": items});
    if more && let Some(last) = page.last() {
        out["nextToken"] = json!(token::encode(&scope, json!(last.version.unwrap_or(0))));
    }
    Ok(out)
}

/// `DeleteStateMachineVersion`: idempotent like the other deletes.
pub fn delete_version(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineVersionArn", shapes::LONG_ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    match arn::parse_machine(&arn)? {
        MachineRef::Version { arn, .. } => {
            store(state).delete_state_machine(&arn)?;
            Ok(json!({}))
        }
        _ => Err(ApiError::service_validation(format!(
            "Invalid State Machine Version Arn: '{arn}'"
        ))),
    }
}
