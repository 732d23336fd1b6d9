//! The JSON policies a topic reports: its default access policy and the
//! effective HTTP/S delivery policy.

use serde_json::{Value, json};

pub(crate) fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
    .to_string()
}

pub(crate) fn effective_delivery_policy(set: Option<&String>) -> String {
    let mut default = json!({"http": {
        "defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
            "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"},
        "disableSubscriptionOverrides": false,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}
    }});
    if let Some(Ok(Value::Object(p))) = set.map(|s| serde_json::from_str::<Value>(s)) {
        if let Some(Value::Object(http)) = p.get("http") {
            for (k, v) in http {
                default["http"][k] = v.clone();
            }
        } else if let Some(h) = p.get("healthyRetryPolicy") {
            default["http"]["defaultHealthyRetryPolicy"] = h.clone();
        }
    }
    default.to_string()
}
