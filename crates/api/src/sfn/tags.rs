//! Tags on state machines and activities. Tags live on the resource's own
//! record, so tagging is read-modify-write of that record.

use serde_json::{Value, json};

use super::arn::{self, Taggable};
use super::machines::{MAX_TAGS, too_many_tags};
use super::store;
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, shapes};

fn not_found(arn: &str) -> ApiError {
    ApiError::sfn("ResourceNotFound", format!("Resource not found: '{arn}'"))
        .with("resourceName", arn)
}

/// Applies `change` to the tags of the resource `arn` and stores it.
fn modify(
    state: &AppState,
    arn: &str,
    change: impl FnOnce(&mut Vec<(String, String)>),
) -> Result<(), ApiError> {
    match arn::parse_taggable(arn)? {
        Taggable::Machine(a) => {
            let mut sm = store(state)
                .get_state_machine(&a)?
                .ok_or_else(|| not_found(arn))?;
            change(&mut sm.tags);
            if sm.tags.len() > MAX_TAGS {
                return Err(too_many_tags(arn));
            }
            store(state).put_state_machine(&sm)?;
        }
        Taggable::Activity(a) => {
            let mut act = store(state)
                .get_activity(&a)?
                .ok_or_else(|| not_found(arn))?;
            change(&mut act.tags);
            if act.tags.len() > MAX_TAGS {
                return Err(too_many_tags(arn));
            }
            store(state).put_activity(&act)?;
        }
    }
    Ok(())
}

/// `TagResource`: adds tags, overwriting values of existing keys.
pub fn tag(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("resourceArn", shapes::ARN);
    let tags = p.tags("tags", true);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    modify(state, &arn, |existing| {
        for (k, v) in tags.unwrap_or_default() {
            match existing.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) => slot.1 = v,
                None => existing.push((k, v)),
            }
        }
    })?;
    Ok(json!({}))
}

/// `UntagResource`: removes the keys given (absent keys are ignored).
pub fn untag(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("resourceArn", shapes::ARN);
    let keys = p.string_list("tagKeys", true, shapes::TAG_KEY);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    let keys = keys.unwrap_or_default();
    modify(state, &arn, |existing| {
        existing.retain(|(k, _)| !keys.contains(k))
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("resourceArn", shapes::ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    let tags = match arn::parse_taggable(&arn)? {
        Taggable::Machine(a) => {
            store(state)
                .get_state_machine(&a)?
                .ok_or_else(|| not_found(&arn))?
                .tags
        }
        Taggable::Activity(a) => {
            store(state)
                .get_activity(&a)?
                .ok_or_else(|| not_found(&arn))?
                .tags
        }
    };
    let tags: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    Ok(json!({"tags": tags}))
}
