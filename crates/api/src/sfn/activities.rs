//! Activities: named queues of work that external workers poll
//! (`GetActivityTask`, in `tasks.rs`). Metadata only here.

use serde_json::{Value, json};
use store::ActivityRecord;

use super::machines::{MAX_TAGS, too_many_tags};
use super::{arn, arns, store, token};
use crate::AppState;
use crate::error::ApiError;
use crate::protocol::{Params, shapes, timestamp};

pub fn does_not_exist(arn: &str) -> ApiError {
    ApiError::sfn(
        "ActivityDoesNotExist",
        format!("Activity Does Not Exist: '{arn}'"),
    )
}

/// `CreateActivity`: idempotent on the name; differing tags on a repeat are
/// ignored, as AWS documents.
pub fn create(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let name = p.string("name", shapes::NAME);
    let tags = p.tags("tags", false).unwrap_or_default();
    let encryption = p.object("encryptionConfiguration");
    p.finish()?;
    let name = name.unwrap_or_default();
    arn::check_name(&name)?;
    let arn = arns(state).activity(&name);
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags(&arn));
    }
    let _ = encryption; // accepted, not stored: ActivityRecord has no field for it
    if let Some(existing) = store(state).get_activity(&arn)? {
        return Ok(json!({"activityArn": arn, "creationDate": timestamp(existing.created)}));
    }
    let now = state.engine.now();
    store(state).put_activity(&ActivityRecord {
        arn: arn.clone(),
        name,
        created: now,
        tags,
    })?;
    Ok(json!({"activityArn": arn, "creationDate": timestamp(now)}))
}

/// `DescribeActivity`.
pub fn describe(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("activityArn", shapes::ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_activity(&arn)?;
    let a = store(state)
        .get_activity(&arn)?
        .ok_or_else(|| does_not_exist(&arn))?;
    Ok(json!({"activityArn": a.arn, "name": a.name, "creationDate": timestamp(a.created)}))
}

/// `DeleteActivity`: succeeds whether or not the activity exists.
pub fn delete(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let arn = p.string("activityArn", shapes::ARN);
    p.finish()?;
    let arn = arn.unwrap_or_default();
    arn::parse_activity(&arn)?;
    store(state).delete_activity(&arn)?;
    Ok(json!({}))
}

/// `ListActivities`, ordered by ARN.
pub fn list(state: &AppState, mut p: Params) -> Result<Value, ApiError> {
    let limit = p.page_size("maxResults", 1000, 100);
    let next = p.string("nextToken", shapes::PAGE_TOKEN);
    p.finish()?;
    const SCOPE: &str = "ListActivities";
    let after = next
        .as_deref()
        .map(|t| token::decode_str(t, SCOPE))
        .transpose()?;
    let mut page = store(state).list_activities(after.as_deref(), limit + 1)?;
    let more = page.len() > limit;
    page.truncate(limit);
    let items: Vec<Value> = page
        .iter()
        .map(
            |a| json!({"activityArn": a.arn, "name": a.name, "creationDate": timestamp(a.created)}),
        )
        .collect();
    let mut out = json!({"activities": items});
    if more && let Some(last) = page.last() {
        out["nextToken"] = json!(token::encode(SCOPE, json!(last.arn)));
    }
    Ok(out)
}
