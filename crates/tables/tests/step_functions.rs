//! Step Functions' DynamoDB integrations end to end through the durable
//! engine: state machines put, get, update and query items on [`Tables`]
//! and catch DynamoDB's errors by the names AWS gives them.

use std::sync::Arc;

use engine::durable::{Engine, EngineConfig, NoIntegrations, StartRequest, SyncOutcome};
use serde_json::{Value, json};
use store::{MachineType, MemoryStore, StateMachineRecord, Store};
use tables::{Tables, TablesDispatcher};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

async fn run(tables: &Arc<Tables>, name: &str, definition: Value, input: Value) -> SyncOutcome {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let record = StateMachineRecord {
        arn: format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"),
        name: name.into(),
        definition: definition.to_string(),
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/r"),
        machine_type: MachineType::Express,
        created: 0,
        updated: 0,
        revision_id: "r1".into(),
        version: None,
        description: None,
        logging_configuration: None,
        tracing_configuration: None,
        encryption_configuration: None,
        tags: Vec::new(),
    };
    store.put_state_machine(&record).unwrap();
    let dispatcher = TablesDispatcher::new(Arc::clone(tables), Arc::new(NoIntegrations));
    let engine = Engine::open(
        store,
        EngineConfig {
            region: REGION.into(),
            account: ACCOUNT.into(),
            ..Default::default()
        },
        Arc::new(dispatcher),
    )
    .await
    .unwrap();
    engine
        .start_sync_execution(StartRequest {
            state_machine_arn: record.arn.clone(),
            name: Some("e".into()),
            input: Some(input.to_string()),
            trace_header: None,
        })
        .await
        .unwrap()
}

fn output(outcome: &SyncOutcome) -> Value {
    assert_eq!(
        outcome.status, "SUCCEEDED",
        "{:?} {:?}",
        outcome.error, outcome.cause
    );
    serde_json::from_str(outcome.output.as_deref().unwrap()).unwrap()
}

fn tables_with_counters() -> Arc<Tables> {
    let tables = Arc::new(Tables::in_memory());
    tables
        .handle(
            "CreateTable",
            &json!({
                "TableName": "Counters",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        )
        .unwrap();
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_update_and_catch_a_failed_condition() {
    let tables = tables_with_counters();
    let put = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {
            "TableName": "Counters",
            "Item": {"id": {"S.$": "$.id"}, "count": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(id)",
        },
    });
    let mut first_put = put.clone();
    first_put["ResultPath"] = json!("$.put");
    first_put["Next"] = json!("Get");
    let mut second_put = put;
    second_put["ResultPath"] = json!(null);
    second_put["Catch"] = json!([{
        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
        "ResultPath": "$.error",
        "Next": "Caught",
    }]);
    second_put["Next"] = json!("NotCaught");
    let definition = json!({
        "StartAt": "Put",
        "States": {
            "Put": first_put,
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "Counters", "Key": {"id": {"S.$": "$.id"}}},
                "ResultSelector": {"item.$": "$.Item", "status.$": "$.SdkHttpMetadata.HttpStatusCode"},
                "ResultPath": "$.got",
                "Next": "Increment",
            },
            "Increment": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem",
                "Parameters": {
                    "TableName": "Counters",
                    "Key": {"id": {"S.$": "$.id"}},
                    "UpdateExpression": "SET #c = #c + :one",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                    "ReturnValues": "UPDATED_NEW",
                },
                "ResultPath": "$.updated",
                "Next": "PutAgain",
            },
            "PutAgain": second_put,
            "Caught": {"Type": "Pass", "End": true},
            "NotCaught": {"Type": "Fail", "Error": "NotCaught"},
        },
    });
    let out = output(&run(&tables, "counters", definition, json!({"id": "a"})).await);
    // Optimized integrations answer with the API response plus SDK metadata.
    assert_eq!(out["put"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(
        out["put"]["SdkResponseMetadata"]["RequestId"]
            .as_str()
            .unwrap()
            .len(),
        52
    );
    assert_eq!(
        out["got"],
        json!({"item": {"id": {"S": "a"}, "count": {"N": "1"}}, "status": 200})
    );
    // The AWS SDK integration answers with the API response alone.
    assert_eq!(out["updated"], json!({"Attributes": {"count": {"N": "2"}}}));
    assert_eq!(
        out["error"]["Error"],
        "DynamoDB.ConditionalCheckFailedException"
    );
    let cause = out["error"]["Cause"].as_str().unwrap();
    assert!(
        cause.starts_with(
            "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: "
        ),
        "{cause}"
    );
    // The failed put left the item as the update made it.
    let item = tables
        .handle(
            "GetItem",
            &json!({"TableName": "Counters", "Key": {"id": {"S": "a"}}}),
        )
        .unwrap();
    assert_eq!(item["Item"]["count"], json!({"N": "2"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_actions_and_sdk_error_names() {
    let tables = tables_with_counters();
    let definition = json!({
        "StartAt": "Load",
        "States": {
            "Load": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:batchWriteItem",
                "Parameters": {"RequestItems": {"Counters": [
                    {"PutRequest": {"Item": {"id": {"S": "x"}, "count": {"N": "5"}}}},
                    {"PutRequest": {"Item": {"id": {"S": "y"}, "count": {"N": "7"}}}},
                ]}},
                "ResultPath": "$.batch",
                "Next": "Scan",
            },
            "Scan": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:scan",
                "Parameters": {"TableName": "Counters", "Select": "COUNT"},
                "ResultSelector": {"count.$": "$.Count"},
                "ResultPath": "$.scan",
                "Next": "Query",
            },
            "Query": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:query",
                "Parameters": {
                    "TableName": "Counters",
                    "KeyConditionExpression": "id = :id",
                    "ExpressionAttributeValues": {":id": {"S": "y"}},
                },
                "ResultSelector": {"items.$": "$.Items"},
                "ResultPath": "$.query",
                "Next": "Missing",
            },
            "Missing": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "NoSuchTable", "Key": {"id": {"S": "x"}}},
                "Catch": [{
                    "ErrorEquals": ["DynamoDb.ResourceNotFoundException"],
                    "ResultPath": "$.missing",
                    "Next": "Invalid",
                }],
                "End": true,
            },
            "Invalid": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "Counters", "Key": {"id": {"N": "1"}}},
                "Catch": [{
                    "ErrorEquals": ["DynamoDB.AmazonDynamoDBException"],
                    "ResultPath": "$.invalid",
                    "Next": "Done",
                }],
                "End": true,
            },
            "Done": {"Type": "Pass", "End": true},
        },
    });
    let out = output(&run(&tables, "sdk", definition, json!({})).await);
    assert_eq!(out["batch"], json!({"UnprocessedItems": {}}));
    assert_eq!(out["scan"], json!({"count": 2}));
    assert_eq!(
        out["query"],
        json!({"items": [{"id": {"S": "y"}, "count": {"N": "7"}}]})
    );
    assert_eq!(
        out["missing"]["Error"],
        "DynamoDb.ResourceNotFoundException"
    );
    let cause = out["missing"]["Cause"].as_str().unwrap();
    assert!(
        cause.starts_with(
            "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: "
        ),
        "{cause}"
    );
    assert_eq!(out["invalid"]["Error"], "DynamoDB.AmazonDynamoDBException");
    assert!(
        out["invalid"]["Cause"]
            .as_str()
            .unwrap()
            .contains("Error Code: ValidationException"),
        "{}",
        out["invalid"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_resources_go_to_the_fallback() {
    let tables = tables_with_counters();
    let definition = json!({
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": "t", "Message": "m"}, "End": true}},
    });
    let outcome = run(&tables, "other", definition, json!({})).await;
    assert_eq!(outcome.status, "FAILED");
    assert!(
        outcome
            .cause
            .as_deref()
            .unwrap_or("")
            .contains("sns:publish"),
        "{:?}",
        outcome.cause
    );
}
