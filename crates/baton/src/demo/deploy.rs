//! Deploys the lottery tutorial's resources through Baton's own APIs, as the
//! tutorial's user would with the console or the CLI. Idempotent: what
//! exists is reused, changed function code and definitions are updated.

use std::io::Write;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use hyper::Method;
use serde_json::{Value, json};
use sha2::Digest;

use super::aws::{self, Client};

/// The four functions of the seed, from `examples/lottery/functions`.
pub const FUNCTIONS: [(&str, &str); 4] = [
    (
        "Lottery-InputWinners",
        include_str!(
            "../../../../examples/lottery/functions/Lottery-InputWinners/lambda_function.py"
        ),
    ),
    (
        "Lottery-RandomSelectWinners",
        include_str!(
            "../../../../examples/lottery/functions/Lottery-RandomSelectWinners/lambda_function.py"
        ),
    ),
    (
        "Lottery-ValidateWinners",
        include_str!(
            "../../../../examples/lottery/functions/Lottery-ValidateWinners/lambda_function.py"
        ),
    ),
    (
        "Lottery-RecordWinners",
        include_str!(
            "../../../../examples/lottery/functions/Lottery-RecordWinners/lambda_function.py"
        ),
    ),
];

/// The seed's state machine definition, with its five ARN placeholders.
pub const TEMPLATE: &str = include_str!("../../../../examples/lottery/lottery.template.json");

/// The ten employees, in BatchWriteItem's `RequestItems` shape.
pub const EMPLOYEES: &str = include_str!("../../../../examples/lottery/request-items.json");

pub const WINNERS_TABLE: &str = "Lottery-Winners";
pub const EMPLOYEE_TABLE: &str = "Lottery-Employee";
pub const SERIAL_INDEX: &str = "lottery_serial-index";
pub const TOPIC: &str = "Lottery-Notification";
pub const STATE_MACHINE: &str = "Lottery";

/// What the draw needs to know about the deployed resources.
pub struct Deployed {
    pub state_machine_arn: String,
    pub topic_arn: String,
}

fn say(line: impl AsRef<str>) {
    println!("{}", line.as_ref());
    let _ = std::io::stdout().flush();
}

/// One deployed resource and what was done to it, in aligned columns.
fn row(resource: impl std::fmt::Display, what: impl std::fmt::Display) {
    say(format!("  ✓ {:<48} {what}", resource.to_string()));
}

pub async fn deploy(c: &Client, account: &str, email: &str) -> Result<Deployed> {
    say("Deploying the tutorial's resources through Baton's APIs:");
    tables(c).await?;
    let arns = functions(c, account).await?;
    let topic_arn = topic(c, email).await?;
    let state_machine_arn = state_machine(c, account, &arns, &topic_arn).await?;
    Ok(Deployed {
        state_machine_arn,
        topic_arn,
    })
}

async fn tables(c: &Client) -> Result<()> {
    let key = |name: &str| {
        json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "employee_id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "employee_id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })
    };
    for name in [WINNERS_TABLE, EMPLOYEE_TABLE] {
        let made = ignore_code(
            c.json("DynamoDB_20120810.CreateTable", key(name)).await,
            "ResourceInUseException",
        )?;
        row(
            format!("DynamoDB table {name}"),
            if made { "created" } else { "exists" },
        );
    }
    let items: Value = serde_json::from_str(EMPLOYEES).context("request-items.json")?;
    let count = items[EMPLOYEE_TABLE].as_array().map_or(0, Vec::len);
    c.json(
        "DynamoDB_20120810.BatchWriteItem",
        json!({ "RequestItems": items }),
    )
    .await?;
    say(format!(
        "  ✓ {count} employees written (batch-write-item, request-items.json)"
    ));
    // The tutorial adds the index once the employees are loaded.
    let described = c
        .json(
            "DynamoDB_20120810.DescribeTable",
            json!({ "TableName": EMPLOYEE_TABLE }),
        )
        .await?;
    let has_index = described["Table"]["GlobalSecondaryIndexes"]
        .as_array()
        .is_some_and(|gs| gs.iter().any(|g| g["IndexName"] == SERIAL_INDEX));
    if !has_index {
        c.json(
            "DynamoDB_20120810.UpdateTable",
            json!({
                "TableName": EMPLOYEE_TABLE,
                "AttributeDefinitions": [{"AttributeName": "lottery_serial", "AttributeType": "N"}],
                "GlobalSecondaryIndexUpdates": [{"Create": {
                    "IndexName": SERIAL_INDEX,
                    "KeySchema": [{"AttributeName": "lottery_serial", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }}],
            }),
        )
        .await?;
    }
    row(
        format!("index {SERIAL_INDEX} on {EMPLOYEE_TABLE}"),
        if has_index { "exists" } else { "created" },
    );
    Ok(())
}

/// A zip of one `lambda_function.py`, byte-for-byte the same for the same
/// code (fixed timestamp), so its CodeSha256 tells whether code changed.
pub fn zip_of(code: &str) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        z.start_file("lambda_function.py", options)?;
        z.write_all(code.as_bytes())?;
        z.finish()?;
    }
    Ok(buf.into_inner())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Creates or updates the four functions; returns their ARNs in order.
async fn functions(c: &Client, account: &str) -> Result<Vec<String>> {
    let mut arns = Vec::new();
    for (name, code) in FUNCTIONS {
        let zip = zip_of(code)?;
        let sha = b64(&sha2::Sha256::digest(&zip));
        let path = format!("/2015-03-31/functions/{name}");
        let existing = c.rest("GetFunction", Method::GET, &path, None).await;
        let (arn, what) = match existing {
            Ok(found) if found["Configuration"]["CodeSha256"] == sha.as_str() => {
                (found["Configuration"]["FunctionArn"].clone(), "unchanged")
            }
            Ok(_) => {
                let updated = c
                    .rest(
                        "UpdateFunctionCode",
                        Method::PUT,
                        &format!("{path}/code"),
                        Some(json!({ "ZipFile": b64(&zip) })),
                    )
                    .await?;
                (updated["FunctionArn"].clone(), "code updated")
            }
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                let created = c
                    .rest(
                        "CreateFunction",
                        Method::POST,
                        "/2015-03-31/functions",
                        Some(json!({
                            "FunctionName": name,
                            "Runtime": "python3.12",
                            "Role": format!("arn:aws:iam::{account}:role/lottery-lambda-role"),
                            "Handler": "lambda_function.lambda_handler",
                            "Code": { "ZipFile": b64(&zip) },
                            "Timeout": 30,
                        })),
                    )
                    .await?;
                (created["FunctionArn"].clone(), "created")
            }
            Err(e) => return Err(e.into()),
        };
        let arn = arn
            .as_str()
            .ok_or_else(|| anyhow!("Lambda answered without a FunctionArn for {name}"))?
            .to_string();
        row(format!("Lambda function {name}"), what);
        arns.push(arn);
    }
    Ok(arns)
}

/// The topic, and its e-mail subscription confirmed through the link in the
/// confirmation mail (as the tutorial's reader does in their mail client).
async fn topic(c: &Client, email: &str) -> Result<String> {
    let created = c
        .query(
            "CreateTopic",
            &[
                ("Name", TOPIC),
                ("Attributes.entry.1.key", "DisplayName"),
                ("Attributes.entry.1.value", "Lottery"),
            ],
        )
        .await?;
    let topic_arn =
        aws::xml_text(&created, "TopicArn").ok_or_else(|| anyhow!("CreateTopic: no TopicArn"))?;
    row(format!("SNS topic {TOPIC}"), &topic_arn);
    let listed = c
        .query("ListSubscriptionsByTopic", &[("TopicArn", &topic_arn)])
        .await?;
    let confirmed = aws::xml_blocks(&listed, "member").into_iter().any(|m| {
        aws::xml_text(m, "Protocol").as_deref() == Some("email")
            && aws::xml_text(m, "Endpoint").as_deref() == Some(email)
            && aws::xml_text(m, "SubscriptionArn").is_some_and(|a| a.starts_with("arn:"))
    });
    if confirmed {
        say(format!(
            "  ✓ e-mail subscription {email:<27} confirmed earlier"
        ));
        return Ok(topic_arn);
    }
    let before = mailbox(c).await?.len();
    c.query(
        "Subscribe",
        &[
            ("TopicArn", &topic_arn),
            ("Protocol", "email"),
            ("Endpoint", email),
        ],
    )
    .await?;
    let link = confirmation_link(c, email, before).await?;
    let (status, body) = c.get("ConfirmSubscription", &link).await?;
    if status != 200 {
        bail!("following the confirmation link answered HTTP {status}: {body}");
    }
    row(
        format!("e-mail subscription {email}"),
        "confirmed (followed the link in the mailbox)",
    );
    Ok(topic_arn)
}

/// The mailbox's messages (`GET /_baton/mailbox`), oldest first.
pub async fn mailbox(c: &Client) -> Result<Vec<Value>> {
    let (status, body) = c.get("mailbox", "/_baton/mailbox").await?;
    if status != 200 {
        bail!("GET /_baton/mailbox answered HTTP {status}: {body}");
    }
    let value: Value = serde_json::from_str(&body).context("the mailbox is not JSON")?;
    Ok(value["messages"].as_array().cloned().unwrap_or_default())
}

/// The confirmation link of the first new mail to `email` (SNS sends it
/// as the subscription is made; allow it a moment).
async fn confirmation_link(c: &Client, email: &str, skip: usize) -> Result<String> {
    for _ in 0..100 {
        for m in mailbox(c).await?.iter().skip(skip) {
            if m["to"] != email {
                continue;
            }
            if let Some(link) = m["body"].as_str().and_then(find_confirm_link) {
                return Ok(link);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("no subscription confirmation mail for {email} arrived in the mailbox")
}

/// The `…?Action=ConfirmSubscription&…` URL in a mail body.
pub fn find_confirm_link(body: &str) -> Option<String> {
    let at = body.find("Action=ConfirmSubscription")?;
    let start = body[..at]
        .rfind("http://")
        .or_else(|| body[..at].rfind("https://"))?;
    let end = body[start..]
        .find(|ch: char| ch.is_whitespace() || matches!(ch, '"' | '<' | '>' | '\''))
        .map_or(body.len(), |n| start + n);
    Some(body[start..end].replace("&amp;", "&"))
}

/// The template with the five ARNs put in, as the tutorial asks.
pub fn definition(function_arns: &[String], topic_arn: &str) -> String {
    let mut text = TEMPLATE.to_string();
    for (placeholder, arn) in [
        "<InputWinners:ARN>",
        "<RandomSelectWinners:ARN>",
        "<ValidateWinners:ARN>",
        "<RecordWinners:ARN>",
    ]
    .into_iter()
    .zip(function_arns)
    {
        text = text.replace(placeholder, arn);
    }
    text.replace("<Notification:ARN>", topic_arn)
}

async fn state_machine(
    c: &Client,
    account: &str,
    function_arns: &[String],
    topic_arn: &str,
) -> Result<String> {
    let definition = definition(function_arns, topic_arn);
    let mut token: Option<String> = None;
    let existing = loop {
        let mut req = json!({ "maxResults": 1000 });
        if let Some(t) = &token {
            req["nextToken"] = json!(t);
        }
        let page = c.json("AWSStepFunctions.ListStateMachines", req).await?;
        let found = page["stateMachines"].as_array().and_then(|all| {
            all.iter()
                .find(|m| m["name"] == STATE_MACHINE)
                .and_then(|m| m["stateMachineArn"].as_str().map(String::from))
        });
        token = page["nextToken"].as_str().map(String::from);
        if found.is_some() || token.is_none() {
            break found;
        }
    };
    let (arn, what) = match existing {
        Some(arn) => {
            let described = c
                .json(
                    "AWSStepFunctions.DescribeStateMachine",
                    json!({ "stateMachineArn": arn }),
                )
                .await?;
            if described["definition"] == definition.as_str() {
                (arn, "unchanged")
            } else {
                c.json(
                    "AWSStepFunctions.UpdateStateMachine",
                    json!({ "stateMachineArn": arn, "definition": definition }),
                )
                .await?;
                (arn, "definition updated")
            }
        }
        None => {
            let created = c
                .json(
                    "AWSStepFunctions.CreateStateMachine",
                    json!({
                        "name": STATE_MACHINE,
                        "definition": definition,
                        "roleArn": format!("arn:aws:iam::{account}:role/MyStepFunctionsExecutionRole"),
                    }),
                )
                .await?;
            let arn = created["stateMachineArn"]
                .as_str()
                .ok_or_else(|| anyhow!("CreateStateMachine answered without an ARN"))?
                .to_string();
            (arn, "created")
        }
    };
    row(format!("state machine {STATE_MACHINE}"), what);
    Ok(arn)
}

/// `Ok(true)` when the call succeeded, `Ok(false)` when it failed with
/// `code` (the resource already exists).
fn ignore_code(result: Result<Value, aws::AwsError>, code: &str) -> Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(code) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_gets_all_five_arns_and_is_valid_asl() {
        let arns: Vec<String> = FUNCTIONS
            .iter()
            .map(|(n, _)| format!("arn:aws:lambda:us-east-1:123456789012:function:{n}"))
            .collect();
        let text = definition(
            &arns,
            "arn:aws:sns:us-east-1:123456789012:Lottery-Notification",
        );
        assert!(!text.contains(":ARN>"), "a placeholder is left: {text}");
        let diagnostics = asl::validate_str(&text);
        assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
        // The same machine as the mocked example the README runs.
        let mocked: Value = serde_json::from_str(include_str!(
            "../../../../examples/lottery/lottery.asl.json"
        ))
        .unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), mocked);
    }

    #[test]
    fn zips_are_reproducible_so_unchanged_code_is_not_redeployed() {
        let a = zip_of(FUNCTIONS[0].1).unwrap();
        assert_eq!(a, zip_of(FUNCTIONS[0].1).unwrap());
        assert_ne!(a, zip_of(FUNCTIONS[1].1).unwrap());
    }

    #[test]
    fn the_confirmation_link_is_found_in_a_mail_body() {
        let body = "You have chosen to subscribe to the topic:\narn:aws:sns:us-east-1:1:T\n\nTo confirm this subscription, click or visit the link below:\nhttp://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn%3Aaws&Token=abc\n\nThanks";
        assert_eq!(
            find_confirm_link(body).as_deref(),
            Some("http://127.0.0.1:4566/?Action=ConfirmSubscription&TopicArn=arn%3Aaws&Token=abc")
        );
        assert_eq!(find_confirm_link("no link here"), None);
    }

    #[test]
    fn the_employees_have_serials_one_to_ten() {
        let items: Value = serde_json::from_str(EMPLOYEES).unwrap();
        let mut serials: Vec<u32> = items[EMPLOYEE_TABLE]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["PutRequest"]["Item"]["lottery_serial"]["N"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        serials.sort();
        assert_eq!(serials, (1..=10).collect::<Vec<_>>());
    }
}
