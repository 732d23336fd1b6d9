//! Task states that call DynamoDB: the optimized integrations
//! (`arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`) and
//! the AWS SDK ones (`arn:aws:states:::aws-sdk:dynamodb:<action>`, any
//! DynamoDB action in camelCase). Everything else goes to the fallback.
//!
//! Parameters are the DynamoDB API's (PascalCase, AttributeValue JSON), so
//! they go to [`Tables::handle`] as they are. What differs is what Step
//! Functions makes of the answer, as AWS records it:
//!
//! - optimized: the API response plus the Java SDK v1 metadata
//!   (`SdkHttpMetadata`, `SdkResponseMetadata`); errors are
//!   `DynamoDB.<Exception>` for DynamoDB's modeled errors and
//!   `DynamoDB.AmazonDynamoDBException` for the rest (e.g. a
//!   ValidationException), with the SDK v1 cause
//!   `<message> (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: <code>; Request ID: <id>; Proxy: null)`;
//! - AWS SDK: the API response alone; errors are `DynamoDb.<Exception>`
//!   (the SDK v2 class; `DynamoDb.DynamoDbException` when unmodeled) with
//!   the SDK v2 cause `<message> (Service: DynamoDb, Status Code: 400, Request ID: <id>)`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use engine::TaskResult;
use engine::durable::TaskDispatcher;
use serde_json::{Map, Value, json};

use crate::{DdbError, Tables};

/// The optimized integration's actions.
const OPTIMIZED: &[&str] = &["getItem", "putItem", "updateItem", "deleteItem"];

/// DynamoDB's modeled errors (botocore `dynamodb/2012-08-10`): these get a
/// class of their own in the Java SDKs, and so a name of their own in Step
/// Functions; any other code is the generic service exception.
const MODELED: &[&str] = &[
    "BackupInUseException",
    "BackupNotFoundException",
    "ConditionalCheckFailedException",
    "ContinuousBackupsUnavailableException",
    "DuplicateItemException",
    "ExportConflictException",
    "ExportNotFoundException",
    "GlobalTableAlreadyExistsException",
    "GlobalTableNotFoundException",
    "IdempotentParameterMismatchException",
    "ImportConflictException",
    "ImportNotFoundException",
    "IndexNotFoundException",
    "InternalServerError",
    "InvalidExportTimeException",
    "InvalidRestoreTimeException",
    "ItemCollectionSizeLimitExceededException",
    "LimitExceededException",
    "PointInTimeRecoveryUnavailableException",
    "PolicyNotFoundException",
    "ProvisionedThroughputExceededException",
    "ReplicaAlreadyExistsException",
    "ReplicaNotFoundException",
    "ReplicatedWriteConflictException",
    "RequestLimitExceeded",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "TableAlreadyExistsException",
    "TableInUseException",
    "TableNotFoundException",
    "ThrottlingException",
    "TransactionCanceledException",
    "TransactionConflictException",
    "TransactionInProgressException",
];

/// Which DynamoDB integration a Task resource names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Integration {
    /// `arn:aws:states:::dynamodb:<action>`.
    Optimized(String),
    /// `arn:aws:states:::aws-sdk:dynamodb:<action>`.
    Sdk(String),
}

impl Integration {
    fn of(resource: &str) -> Option<Integration> {
        let parts: Vec<&str> = resource.split(':').collect();
        // arn : partition : states : (region) : (account) : service... : action
        if parts.len() < 7 || parts[0] != "arn" || parts[2] != "states" {
            return None;
        }
        match &parts[5..] {
            ["dynamodb", action] if OPTIMIZED.contains(action) => {
                Some(Integration::Optimized(action.to_string()))
            }
            ["aws-sdk", "dynamodb", action]
                if action
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase())
                    && action.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                Some(Integration::Sdk(action.to_string()))
            }
            _ => None,
        }
    }

    /// The DynamoDB operation (`putItem` → `PutItem`).
    fn operation(&self) -> String {
        let action = match self {
            Integration::Optimized(a) | Integration::Sdk(a) => a,
        };
        let mut chars = action.chars();
        match chars.next() {
            Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
            None => String::new(),
        }
    }
}

/// The Java SDKs' class name of an error code: modeled errors end in
/// `Exception` (`InternalServerError` → `InternalServerErrorException`).
fn modeled_class(code: &str) -> Option<String> {
    MODELED.contains(&code).then(|| {
        if code.ends_with("Exception") {
            code.to_string()
        } else {
            format!("{code}Exception")
        }
    })
}

/// A DynamoDB request id: 52 characters of `[0-9A-Z]`.
fn request_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let bytes: Vec<u8> = (0..4)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .collect();
    bytes
        .iter()
        .take(52)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// What Step Functions reports for a failed DynamoDB call.
fn failure(integration: &Integration, e: &DdbError) -> TaskResult {
    let status = if e.is_server() { 500 } else { 400 };
    let id = request_id();
    let (error, cause) = match integration {
        Integration::Optimized(_) => (
            format!(
                "DynamoDB.{}",
                modeled_class(e.code).unwrap_or_else(|| "AmazonDynamoDBException".into())
            ),
            format!(
                "{} (Service: AmazonDynamoDBv2; Status Code: {status}; Error Code: {}; Request ID: {id}; Proxy: null)",
                e.message, e.code
            ),
        ),
        Integration::Sdk(_) => (
            format!(
                "DynamoDb.{}",
                modeled_class(e.code).unwrap_or_else(|| "DynamoDbException".into())
            ),
            format!(
                "{} (Service: DynamoDb, Status Code: {status}, Request ID: {id})",
                e.message
            ),
        ),
    };
    TaskResult::Failed {
        error: Some(error),
        cause: Some(cause),
    }
}

/// The optimized integration's result: the response with the Java SDK v1's
/// HTTP metadata, headers in the order AWS lists them.
fn with_sdk_metadata(response: Value) -> Value {
    let body = response.to_string();
    let length = body.len().to_string();
    let crc = crc32fast::hash(body.as_bytes()).to_string();
    let id = request_id();
    let date = http_date();
    let mut out = match response {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("Response".into(), other);
            m
        }
    };
    out.insert(
        "SdkHttpMetadata".into(),
        json!({
            "AllHttpHeaders": {
                "Server": ["Server"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [id],
                "x-amz-crc32": [crc],
                "Content-Length": [length],
                "Date": [date],
                "Content-Type": ["application/x-amz-json-1.0"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": length,
                "Content-Type": "application/x-amz-json-1.0",
                "Date": date,
                "Server": "Server",
                "x-amz-crc32": crc,
                "x-amzn-RequestId": id,
            },
            "HttpStatusCode": 200,
        }),
    );
    out.insert("SdkResponseMetadata".into(), json!({ "RequestId": id }));
    Value::Object(out)
}

/// Carries out DynamoDB Task states on [`Tables`]; other resources go to
/// the fallback dispatcher.
pub struct TablesDispatcher {
    tables: Arc<Tables>,
    fallback: Arc<dyn TaskDispatcher>,
}

impl TablesDispatcher {
    pub fn new(tables: Arc<Tables>, fallback: Arc<dyn TaskDispatcher>) -> TablesDispatcher {
        TablesDispatcher { tables, fallback }
    }

    async fn run(tables: Arc<Tables>, integration: Integration, parameters: Value) -> TaskResult {
        let operation = integration.operation();
        // SQLite work stays off the async workers.
        let answer =
            tokio::task::spawn_blocking(move || tables.handle(&operation, &parameters)).await;
        match answer {
            Ok(Ok(response)) => TaskResult::Succeeded(match integration {
                Integration::Optimized(_) => with_sdk_metadata(response),
                Integration::Sdk(_) => response,
            }),
            Ok(Err(e)) => failure(&integration, &e),
            Err(_) => failure(
                &integration,
                &DdbError::new("InternalServerError", "Internal server error"),
            ),
        }
    }
}

impl TaskDispatcher for TablesDispatcher {
    fn invoke(
        &self,
        request: asl::TaskRequest,
    ) -> Pin<Box<dyn Future<Output = TaskResult> + Send>> {
        match Integration::of(&request.resource) {
            Some(integration) => Box::pin(Self::run(
                Arc::clone(&self.tables),
                integration,
                request.parameters,
            )),
            None => self.fallback.invoke(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        assert_eq!(
            Integration::of("arn:aws:states:::dynamodb:putItem"),
            Some(Integration::Optimized("putItem".into()))
        );
        assert_eq!(
            Integration::of("arn:aws-us-gov:states:::dynamodb:getItem"),
            Some(Integration::Optimized("getItem".into()))
        );
        assert_eq!(
            Integration::of("arn:aws:states:::aws-sdk:dynamodb:batchWriteItem"),
            Some(Integration::Sdk("batchWriteItem".into()))
        );
        assert_eq!(
            Integration::of("arn:aws:states:::aws-sdk:dynamodb:query")
                .unwrap()
                .operation(),
            "Query"
        );
        // Not an optimized action; a callback pattern DynamoDB does not offer.
        assert_eq!(Integration::of("arn:aws:states:::dynamodb:query"), None);
        assert_eq!(
            Integration::of("arn:aws:states:::dynamodb:putItem.waitForTaskToken"),
            None
        );
        assert_eq!(Integration::of("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(
            Integration::of("arn:aws:lambda:us-east-1:1:function:dynamodb"),
            None
        );
    }

    #[test]
    fn error_names() {
        let optimized = Integration::Optimized("putItem".into());
        let sdk = Integration::Sdk("putItem".into());
        let check =
            |i: &Integration, code: &'static str| match failure(i, &DdbError::new(code, "m")) {
                TaskResult::Failed { error, cause } => (error.unwrap(), cause.unwrap()),
                _ => unreachable!(),
            };
        let (e, c) = check(&optimized, "ConditionalCheckFailedException");
        assert_eq!(e, "DynamoDB.ConditionalCheckFailedException");
        assert!(
            c.starts_with("m (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: ")
                && c.ends_with("; Proxy: null)"),
            "{c}"
        );
        assert_eq!(
            check(&optimized, "ValidationException").0,
            "DynamoDB.AmazonDynamoDBException"
        );
        assert_eq!(
            check(&optimized, "InternalServerError").0,
            "DynamoDB.InternalServerErrorException"
        );
        let (e, c) = check(&sdk, "ResourceNotFoundException");
        assert_eq!(e, "DynamoDb.ResourceNotFoundException");
        assert!(
            c.starts_with("m (Service: DynamoDb, Status Code: 400, Request ID: ")
                && c.ends_with(')'),
            "{c}"
        );
        assert_eq!(
            check(&sdk, "ValidationException").0,
            "DynamoDb.DynamoDbException"
        );
    }

    #[test]
    fn optimized_results_carry_the_sdk_metadata() {
        let v = with_sdk_metadata(json!({}));
        let meta = &v["SdkHttpMetadata"];
        assert_eq!(meta["HttpStatusCode"], 200);
        assert_eq!(meta["HttpHeaders"]["Content-Length"], "2");
        // crc32 of "{}", as DynamoDB's x-amz-crc32 header would say.
        assert_eq!(meta["HttpHeaders"]["x-amz-crc32"], "2745614147");
        let id = v["SdkResponseMetadata"]["RequestId"].as_str().unwrap();
        assert_eq!(id.len(), 52);
        assert_eq!(meta["AllHttpHeaders"]["x-amzn-RequestId"][0], id);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["SdkHttpMetadata", "SdkResponseMetadata"]);
    }
}
