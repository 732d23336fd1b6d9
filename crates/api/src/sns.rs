//! SNS over awsQuery: form-encoded `POST /` (or `GET /?Action=…`) with
//! `Action=<Operation>`, answered with AWS's XML (`<{Op}Response>` with
//! `<{Op}Result>` and `ResponseMetadata/RequestId`) or `<ErrorResponse>`
//! with AWS's status. The work is done by [`topics::Topics`].
//!
//! Also here: the mailbox (`GET`/`DELETE /_baton/mailbox`) and the signing
//! certificate (`GET /_baton/sns/SimpleNotificationService.pem`).

use std::collections::BTreeMap;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;
use topics::{MessageAttribute, PublishInput, SnsError, Topics};

use crate::AppState;

const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

type Params = BTreeMap<String, String>;

/// Escapes text for XML element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

fn el(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", escape(value))
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

fn xml(status: StatusCode, body: String, request_id: &str) -> Response {
    with_request_id(
        (status, [(header::CONTENT_TYPE, "text/xml")], body).into_response(),
        request_id,
    )
}

/// `<ErrorResponse>` with AWS's status for the code.
pub fn error_response(e: &SnsError, request_id: &str) -> Response {
    if e.status() >= 500 {
        tracing::error!(code = e.code, message = %e.message, "SNS request failed");
    }
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        e.fault(),
        e.code,
        escape(&e.message)
    );
    xml(
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
        body,
        request_id,
    )
}

fn ok_response(action: &str, result: Option<String>, request_id: &str) -> Response {
    let result = match result {
        Some(r) => format!("<{action}Result>{r}</{action}Result>"),
        None => String::new(),
    };
    xml(
        StatusCode::OK,
        format!(
            "<{action}Response xmlns=\"{XMLNS}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        ),
        request_id,
    )
}

/// Reads a form (`a=b&c=d`) into a map.
pub fn parse_form(bytes: &[u8]) -> Params {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// Whether a `POST /` body is an awsQuery request.
pub fn is_query(content_type: Option<&str>, body: &[u8]) -> bool {
    content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        || body.starts_with(b"Action=")
}

/// `POST /` with a form body.
pub async fn handle(state: &AppState, params: Params) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(topics) = state.topics.clone() else {
        return error_response(
            &SnsError::internal("SNS is not enabled on this server"),
            &request_id,
        );
    };
    let action = params.get("Action").cloned().unwrap_or_default();
    let outcome = tokio::task::spawn_blocking({
        let action = action.clone();
        move || run(&topics, &action, &params, true)
    })
    .await;
    match outcome {
        Ok(Ok(result)) => ok_response(&action, result, &request_id),
        Ok(Err(e)) => error_response(&e, &request_id),
        Err(e) => error_response(&SnsError::internal(e.to_string()), &request_id),
    }
}

/// `GET /?Action=…`: the confirmation and unsubscribe links (no
/// credentials needed, as on AWS); other actions need the usual auth.
pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let params = parse_form(parts.uri.query().unwrap_or("").as_bytes());
    let action = params.get("Action").map(String::as_str).unwrap_or("");
    if action.is_empty() {
        return crate::protocol::not_found().await;
    }
    if !matches!(action, "ConfirmSubscription" | "Unsubscribe")
        && let Err(e) = crate::auth::verify(
            &state.config,
            parts.method.as_str(),
            &parts.uri,
            &parts.headers,
            &[],
        )
    {
        return e.into_response();
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(topics) = state.topics.clone() else {
        return error_response(
            &SnsError::internal("SNS is not enabled on this server"),
            &request_id,
        );
    };
    let action = action.to_string();
    let outcome = tokio::task::spawn_blocking({
        let action = action.clone();
        move || run(&topics, &action, &params, false)
    })
    .await;
    match outcome {
        Ok(Ok(result)) => ok_response(&action, result, &request_id),
        Ok(Err(e)) => error_response(&e, &request_id),
        Err(e) => error_response(&SnsError::internal(e.to_string()), &request_id),
    }
}

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, SnsError> {
    p.get(name).map(String::as_str).ok_or_else(|| {
        let mut member = name.to_string();
        if let Some(first) = member.get_mut(0..1) {
            first.make_ascii_lowercase();
        }
        SnsError::missing(&member)
    })
}

/// Members `prefix.N.rest` grouped by N (in N order), each as `rest → value`.
fn indexed(p: &Params, prefix: &str) -> Vec<Params> {
    let mut groups: BTreeMap<usize, Params> = BTreeMap::new();
    let lead = format!("{prefix}.");
    for (k, v) in p {
        let Some(rest) = k.strip_prefix(&lead) else {
            continue;
        };
        let Some((n, field)) = rest.split_once('.') else {
            continue;
        };
        if let Ok(n) = n.parse::<usize>() {
            groups
                .entry(n)
                .or_default()
                .insert(field.to_string(), v.clone());
        }
    }
    groups.into_values().collect()
}

/// A list of strings `prefix.N` in N order.
fn indexed_values(p: &Params, prefix: &str) -> Vec<String> {
    let lead = format!("{prefix}.");
    let mut items: Vec<(usize, String)> = p
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&lead)?.parse::<usize>().ok()?, v.clone())))
        .collect();
    items.sort();
    items.into_iter().map(|(_, v)| v).collect()
}

/// A `String → String` map member (`Attributes.entry.N.key/value`).
fn map_member(p: &Params, prefix: &str) -> BTreeMap<String, String> {
    indexed(p, &format!("{prefix}.entry"))
        .into_iter()
        .filter_map(|mut e| Some((e.remove("key")?, e.remove("value").unwrap_or_default())))
        .collect()
}

fn tags_member(p: &Params, prefix: &str) -> Vec<(String, String)> {
    indexed(p, &format!("{prefix}.member"))
        .into_iter()
        .filter_map(|mut e| Some((e.remove("Key")?, e.remove("Value").unwrap_or_default())))
        .collect()
}

fn message_attributes(
    p: &Params,
    prefix: &str,
) -> Result<BTreeMap<String, MessageAttribute>, SnsError> {
    let mut out = BTreeMap::new();
    for mut e in indexed(p, &format!("{prefix}.entry")) {
        let Some(name) = e.remove("Name") else {
            continue;
        };
        let binary_value = match e.remove("Value.BinaryValue") {
            Some(b) => Some(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_err(|_| {
                        SnsError::invalid_value(format!(
                            "The message attribute '{name}' has an invalid binary value."
                        ))
                    })?,
            ),
            None => None,
        };
        out.insert(
            name,
            MessageAttribute {
                data_type: e.remove("Value.DataType").unwrap_or_default(),
                string_value: e.remove("Value.StringValue"),
                binary_value,
            },
        );
    }
    Ok(out)
}

fn publish_input(p: &Params, prefix: &str) -> Result<PublishInput, SnsError> {
    let get = |k: &str| p.get(&format!("{prefix}{k}")).cloned();
    Ok(PublishInput {
        topic_arn: get("TopicArn"),
        target_arn: get("TargetArn"),
        phone_number: get("PhoneNumber"),
        message: get("Message"),
        subject: get("Subject"),
        message_structure: get("MessageStructure"),
        attributes: message_attributes(p, &format!("{prefix}MessageAttributes"))?,
        group_id: get("MessageGroupId"),
        deduplication_id: get("MessageDeduplicationId"),
    })
}

fn attributes_xml(attributes: &BTreeMap<String, String>) -> String {
    let entries: String = attributes
        .iter()
        .map(|(k, v)| format!("<entry>{}{}</entry>", el("key", k), el("value", v)))
        .collect();
    format!("<Attributes>{entries}</Attributes>")
}

fn next_token_xml(next: Option<String>) -> String {
    next.map(|t| el("NextToken", &t)).unwrap_or_default()
}

fn subscriptions_xml(subs: &[topics::Subscription]) -> String {
    let members: String = subs
        .iter()
        .map(|s| {
            format!(
                "<member>{}{}{}{}{}</member>",
                el("TopicArn", &s.topic_arn),
                el("Protocol", &s.protocol),
                el("SubscriptionArn", s.listed_arn()),
                el("Owner", &s.owner),
                el("Endpoint", &s.endpoint)
            )
        })
        .collect();
    format!("<Subscriptions>{members}</Subscriptions>")
}

fn flag(p: &Params, name: &str) -> bool {
    p.get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Runs one action; `Some(xml)` is the content of `<{Action}Result>`.
fn run(
    t: &Topics,
    action: &str,
    p: &Params,
    authenticated: bool,
) -> Result<Option<String>, SnsError> {
    let result = match action {
        "CreateTopic" => {
            let arn = t.create_topic(
                required(p, "Name")?,
                map_member(p, "Attributes"),
                tags_member(p, "Tags"),
            )?;
            el("TopicArn", &arn)
        }
        "DeleteTopic" => {
            t.delete_topic(required(p, "TopicArn")?)?;
            return Ok(None);
        }
        "ListTopics" => {
            let (arns, next) = t.list_topics(p.get("NextToken").map(String::as_str))?;
            let members: String = arns
                .iter()
                .map(|a| format!("<member>{}</member>", el("TopicArn", a)))
                .collect();
            format!("<Topics>{members}</Topics>{}", next_token_xml(next))
        }
        "GetTopicAttributes" => attributes_xml(&t.topic_attributes(required(p, "TopicArn")?)?),
        "SetTopicAttributes" => {
            t.set_topic_attribute(
                required(p, "TopicArn")?,
                required(p, "AttributeName")?,
                p.get("AttributeValue").cloned(),
            )?;
            return Ok(None);
        }
        "Subscribe" => {
            let arn = t.subscribe(
                required(p, "TopicArn")?,
                required(p, "Protocol")?,
                p.get("Endpoint").map(String::as_str),
                map_member(p, "Attributes"),
                flag(p, "ReturnSubscriptionArn"),
            )?;
            el("SubscriptionArn", &arn)
        }
        "ConfirmSubscription" => {
            let arn = t.confirm_subscription(
                required(p, "TopicArn")?,
                required(p, "Token")?,
                authenticated,
                flag(p, "AuthenticateOnUnsubscribe"),
            )?;
            el("SubscriptionArn", &arn)
        }
        "Unsubscribe" => {
            t.unsubscribe(required(p, "SubscriptionArn")?, authenticated)?;
            return Ok(None);
        }
        "ListSubscriptions" => {
            let (subs, next) =
                t.list_subscriptions(None, p.get("NextToken").map(String::as_str))?;
            format!("{}{}", subscriptions_xml(&subs), next_token_xml(next))
        }
        "ListSubscriptionsByTopic" => {
            let (subs, next) = t.list_subscriptions(
                Some(required(p, "TopicArn")?),
                p.get("NextToken").map(String::as_str),
            )?;
            format!("{}{}", subscriptions_xml(&subs), next_token_xml(next))
        }
        "GetSubscriptionAttributes" => {
            attributes_xml(&t.subscription_attributes(required(p, "SubscriptionArn")?)?)
        }
        "SetSubscriptionAttributes" => {
            t.set_subscription_attribute(
                required(p, "SubscriptionArn")?,
                required(p, "AttributeName")?,
                p.get("AttributeValue").cloned(),
            )?;
            return Ok(None);
        }
        "Publish" => {
            let published = t.publish(publish_input(p, "")?)?;
            let seq = published
                .sequence_number
                .map(|s| el("SequenceNumber", &s))
                .unwrap_or_default();
            format!("{}{seq}", el("MessageId", &published.message_id))
        }
        "PublishBatch" => {
            let topic_arn = required(p, "TopicArn")?;
            let mut entries = Vec::new();
            let mut n = 1;
            while p
                .keys()
                .any(|k| k.starts_with(&format!("PublishBatchRequestEntries.member.{n}.")))
            {
                let prefix = format!("PublishBatchRequestEntries.member.{n}.");
                let id = p.get(&format!("{prefix}Id")).cloned().unwrap_or_default();
                entries.push((id, publish_input(p, &prefix)?));
                n += 1;
            }
            let (ok, failed) = t.publish_batch(topic_arn, entries)?;
            let ok: String = ok
                .iter()
                .map(|(id, r)| {
                    let seq = r
                        .sequence_number
                        .as_deref()
                        .map(|s| el("SequenceNumber", s))
                        .unwrap_or_default();
                    format!(
                        "<member>{}{}{seq}</member>",
                        el("Id", id),
                        el("MessageId", &r.message_id)
                    )
                })
                .collect();
            let failed: String = failed
                .iter()
                .map(|(id, e)| {
                    format!(
                        "<member>{}{}{}{}</member>",
                        el("Id", id),
                        el("Code", e.code),
                        el("Message", &e.message),
                        el(
                            "SenderFault",
                            if e.status() < 500 { "true" } else { "false" }
                        )
                    )
                })
                .collect();
            format!("<Successful>{ok}</Successful><Failed>{failed}</Failed>")
        }
        "AddPermission" => {
            let list = |prefix: &str| -> Vec<String> { indexed_values(p, prefix) };
            t.add_permission(
                required(p, "TopicArn")?,
                required(p, "Label")?,
                &list("AWSAccountId.member"),
                &list("ActionName.member"),
            )?;
            return Ok(None);
        }
        "RemovePermission" => {
            t.remove_permission(required(p, "TopicArn")?, required(p, "Label")?)?;
            return Ok(None);
        }
        "TagResource" => {
            t.tag_resource(required(p, "ResourceArn")?, tags_member(p, "Tags"))?;
            String::new()
        }
        "UntagResource" => {
            let keys = indexed_values(p, "TagKeys.member");
            t.untag_resource(required(p, "ResourceArn")?, &keys)?;
            String::new()
        }
        "ListTagsForResource" => {
            let tags = t.list_tags(required(p, "ResourceArn")?)?;
            let members: String = tags
                .iter()
                .map(|(k, v)| format!("<member>{}{}</member>", el("Key", k), el("Value", v)))
                .collect();
            format!("<Tags>{members}</Tags>")
        }
        "" => return Err(SnsError::new("MissingAction", "Missing Action")),
        other => {
            return Err(SnsError::new(
                "InvalidAction",
                format!("Could not find operation {other} for version 2010-03-31"),
            ));
        }
    };
    Ok(Some(result))
}

/// `GET /_baton/mailbox`: every e-mail delivered to the built-in mailbox,
/// oldest first.
pub async fn mailbox(State(state): State<AppState>) -> Response {
    let Some(topics) = state.topics.clone() else {
        return crate::sns::json_ok(&json!({"messages": []}));
    };
    match tokio::task::spawn_blocking(move || topics.mailbox()).await {
        Ok(Ok(items)) => json_ok(&json!({"messages": items})),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn json_ok(value: &serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// `DELETE /_baton/mailbox`: empties it.
pub async fn clear_mailbox(State(state): State<AppState>) -> Response {
    let Some(topics) = state.topics.clone() else {
        return StatusCode::NO_CONTENT.into_response();
    };
    match tokio::task::spawn_blocking(move || topics.clear_mailbox()).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `GET /_baton/sns/SimpleNotificationService.pem`: the certificate whose
/// key signs deliveries.
pub async fn signing_cert(State(state): State<AppState>) -> Response {
    let Some(topics) = state.topics.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::task::spawn_blocking(move || topics.signer().map(|s| s.cert_pem().to_string()))
        .await
    {
        Ok(Ok(pem)) => {
            ([(header::CONTENT_TYPE, "application/x-x509-ca-cert")], pem).into_response()
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_members_and_maps() {
        let p = parse_form(b"Action=CreateTopic&Name=t&Attributes.entry.2.key=B&Attributes.entry.2.value=2&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Lottery+%26+Co&Tags.member.1.Key=k&Tags.member.1.Value=v");
        let attrs = map_member(&p, "Attributes");
        assert_eq!(attrs["DisplayName"], "Lottery & Co");
        assert_eq!(attrs["B"], "2");
        assert_eq!(
            tags_member(&p, "Tags"),
            vec![("k".to_string(), "v".to_string())]
        );
    }

    #[test]
    fn message_attributes_decode_binary() {
        let p = parse_form(b"MessageAttributes.entry.1.Name=bin&MessageAttributes.entry.1.Value.DataType=Binary&MessageAttributes.entry.1.Value.BinaryValue=AQI%3D");
        let a = message_attributes(&p, "MessageAttributes").unwrap();
        assert_eq!(a["bin"].binary_value.as_deref(), Some(&[1u8, 2][..]));
    }

    #[test]
    fn escapes_xml() {
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
    }
}
