//! State machine aliases: a name that routes executions to one or two
//! published versions by weight (`CreateStateMachineAlias` and friends).

use serde_json::{Value, json};
use store::AliasRecord;

use super::{arn, machines, store};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, Str, shapes, timestamp};

/// AWS: 1..80 characters, letters, digits, `-`, `_`, `.`, not all digits.
fn valid_alias_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.chars().all(|c| c.is_ascii_digit())
}

fn routing_error(message: impl Into<String>) -> ApiError {
    ApiError::service_validation(message).with("reason", "INVALID_ROUTING_CONFIGURATION")
}

/// Reads and checks `routingConfiguration`: one or two versions of
/// `machine_arn` that exist, weights 0..=100 summing to 100.
fn routing(
    state: &AppState,
    raw: &Value,
    machine_arn: &str,
) -> Result<Vec<(String, u32)>, ApiError> {
    let items = raw
        .as_array()
        .filter(|a| (1..=2).contains(&a.len()))
        .ok_or_else(|| routing_error("Routing configuration must contain one or two versions."))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let version = item
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .ok_or_else(|| routing_error("Each route needs a stateMachineVersionArn."))?;
        let weight = item
            .get("weight")
            .and_then(Value::as_u64)
            .filter(|w| *w <= 100)
            .ok_or_else(|| routing_error("Each route needs a weight between 0 and 100."))?;
        match arn::parse_machine(version)? {
            arn::MachineRef::Version { machine_arn: m, .. } if m == machine_arn => {}
            _ => {
                return Err(routing_error(format!(
                    "The version {version} does not belong to the state machine {machine_arn}."
                )));
            }
        }
        if store(state).get_state_machine(version)?.is_none() {
            return Err(ApiError::sfn(
                "ResourceNotFound",
                format!("Resource not found: '{version}'"),
            )
            .with("resourceName", version));
        }
        if out.iter().any(|(v, _): &(String, u32)| v == version) {
            return Err(routing_error(
                "A version may appear only once in a routing configuration.",
            ));
        }
        out.push((version.to_string(), weight as u32));
    }
    if out.iter().map(|(_, w)| *w).sum::<u32>() != 100 {
        return Err(routing_error(
            "The weights of a routing configuration must sum to 100.",
        ));
    }
    Ok(out)
}

fn alias_ref(alias_arn: &str) -> Result<(String, String), ApiError> {
    match arn::parse_machine(alias_arn)? {
        arn::MachineRef::Alias {
            machine_arn, alias, ..
        } => Ok((machine_arn, alias)),
        _ => Err(ApiError::invalid_arn(format!("Invalid Arn: '{alias_arn}'"))),
    }
}

fn get_alias(state: &AppState, alias_arn: &str) -> Result<AliasRecord, ApiError> {
    store(state).get_alias(alias_arn)?.ok_or_else(|| {
        ApiError::sfn(
            "ResourceNotFound",
            format!("Resource not found: '{alias_arn}'"),
        )
        .with("resourceName", alias_arn)
    })
}

fn describe_json(a: &AliasRecord) -> Value {
    let mut v = json!({
        "stateMachineAliasArn": a.arn,
        "name": a.name,
        "routingConfiguration": a.routing.iter()
            .map(|(v, w)| json!({"stateMachineVersionArn": v, "weight": w}))
            .collect::<Vec<_>>(),
        "creationDate": timestamp(a.created),
        "updateDate": timestamp(a.updated),
    });
    if let Some(d) = &a.description {
        v["description"] = json!(d);
    }
    v
}

/// `CreateStateMachineAlias`: idempotent for an identical request.
pub fn create(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let name = p.string("name", shapes::NAME);
    let description = p.string("description", Str::opt(0, 256));
    let raw_routing = p.list("routingConfiguration");
    p.finish()?;
    let name = name.unwrap_or_default();
    if !valid_alias_name(&name) {
        return Err(ApiError::invalid_name(&name));
    }
    let raw_routing = raw_routing.unwrap_or(Value::Null);
    // The machine is the one the first version belongs to.
    let first = raw_routing
        .get(0)
        .and_then(|r| r.get("stateMachineVersionArn"))
        .and_then(Value::as_str)
        .ok_or_else(|| routing_error("Routing configuration must contain one or two versions."))?;
    let machine_arn = match arn::parse_machine(first)? {
        arn::MachineRef::Version { machine_arn, .. } => machine_arn,
        _ => {
            return Err(routing_error(format!(
                "{first} is not a state machine version ARN."
            )));
        }
    };
    machines::get_machine(state, &machine_arn)?;
    let routing = routing(state, &raw_routing, &machine_arn)?;
    let alias_arn = format!("{machine_arn}:{name}");
    if let Some(existing) = store(state).get_alias(&alias_arn)? {
        if existing.routing == routing && existing.description == description {
            return Ok(
                json!({"stateMachineAliasArn": existing.arn, "creationDate": timestamp(existing.created)}),
            );
        }
        return Err(ApiError::sfn(
            "ConflictException",
            format!("Alias {alias_arn} already exists with a different configuration."),
        ));
    }
    let now = state.engine.now();
    let record = AliasRecord {
        arn: alias_arn.clone(),
        name,
        state_machine_arn: machine_arn,
        description,
        routing,
        created: now,
        updated: now,
    };
    store(state).put_alias(&record)?;
    Ok(json!({"stateMachineAliasArn": alias_arn, "creationDate": timestamp(now)}))
}

pub fn describe(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineAliasArn", shapes::LONG_ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    alias_ref(&arn)?;
    Ok(describe_json(&get_alias(state, &arn)?))
}

pub fn update(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineAliasArn", shapes::LONG_ARN);
    let description = p.string("description", Str::opt(0, 256));
    let raw_routing = p.list("routingConfiguration");
    p.finish()?;
    let arn = arn.unwrap_or_default();
    let (machine_arn, _) = alias_ref(&arn)?;
    let mut alias = get_alias(state, &arn)?;
    if description.is_none() && raw_routing.is_none() {
        return Err(ApiError::sfn(
            "ValidationException",
            "Either the description or the RoutingConfiguration must be specified",
        )
        .with("reason", "MISSING_REQUIRED_PARAMETER"));
    }
    if let Some(r) = raw_routing {
        alias.routing = routing(state, &r, &machine_arn)?;
    }
    if description.is_some() {
        alias.description = description;
    }
    alias.updated = state.engine.now();
    store(state).put_alias(&alias)?;
    Ok(json!({"updateDate": timestamp(alias.updated)}))
}

/// `DeleteStateMachineAlias`: idempotent.
pub fn delete(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineAliasArn", shapes::LONG_ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    alias_ref(&arn)?;
    store(state).delete_alias(&arn)?;
    Ok(json!({}))
}

pub fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("stateMachineArn", shapes::ARN);
    let limit = p.page_size("maxResults", 1000, 100);
    let _next = p.string("nextToken", shapes::PAGE_TOKEN);
    p.finish()?;
    let machine_arn = arn::parse_unqualified_machine(&arn.unwrap_or_default())?;
    machines::get_machine(state, &machine_arn)?;
    let items: Vec<Value> = store(state)
        .list_aliases(&machine_arn)?
        .iter()
        .take(limit)
        .map(|a| json!({"stateMachineAliasArn": a.arn, "creationDate": timestamp(a.created)}))
        .collect();
    Ok(json!({"stateMachineAliases": items}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_follow_aws_rules() {
        assert!(valid_alias_name("prod"));
        assert!(valid_alias_name("v1.2-beta_3"));
        assert!(!valid_alias_name("123"));
        assert!(!valid_alias_name("has space"));
        assert!(!valid_alias_name(""));
    }
}
