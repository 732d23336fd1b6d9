"""Step Functions' DynamoDB integrations through boto3: a state machine puts, gets and updates
an item on Baton's own tables and catches DynamoDB's errors by AWS's names."""

import json

from conftest import ACCOUNT, client, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"

DEFINITION = {
    "StartAt": "Put",
    "States": {
        "Put": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {
                "TableName": "Orders",
                "Item": {"id": {"S.$": "$.id"}, "total": {"N": "10"}, "status": {"S": "NEW"}},
                "ConditionExpression": "attribute_not_exists(id)",
            },
            "ResultSelector": {"status.$": "$.SdkHttpMetadata.HttpStatusCode"},
            "ResultPath": "$.put",
            "Next": "Get",
        },
        "Get": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": "Orders", "Key": {"id": {"S.$": "$.id"}}},
            "ResultSelector": {"item.$": "$.Item"},
            "ResultPath": "$.got",
            "Next": "Pay",
        },
        "Pay": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": "Orders",
                "Key": {"id": {"S.$": "$.id"}},
                "UpdateExpression": "SET #s = :paid, #t = #t + :tip",
                "ConditionExpression": "#s = :new",
                "ExpressionAttributeNames": {"#s": "status", "#t": "total"},
                "ExpressionAttributeValues": {":paid": {"S": "PAID"}, ":new": {"S": "NEW"}, ":tip": {"N": "2.5"}},
                "ReturnValues": "ALL_NEW",
            },
            "ResultSelector": {"after.$": "$.Attributes"},
            "ResultPath": "$.paid",
            "Next": "PayAgain",
        },
        "PayAgain": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": "Orders",
                "Key": {"id": {"S.$": "$.id"}},
                "UpdateExpression": "SET #s = :paid",
                "ConditionExpression": "#s = :new",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":paid": {"S": "PAID"}, ":new": {"S": "NEW"}},
            },
            "Catch": [
                {
                    "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                    "ResultPath": "$.already",
                    "Next": "Count",
                }
            ],
            "Next": "Unexpected",
        },
        "Count": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:scan",
            "Parameters": {"TableName": "Orders", "Select": "COUNT"},
            "ResultSelector": {"n.$": "$.Count"},
            "ResultPath": "$.count",
            "Next": "Reserved",
        },
        "Reserved": {
            "Type": "Task",
            "Resource": "arn:aws:states:::dynamodb:updateItem",
            "Parameters": {
                "TableName": "Orders",
                "Key": {"id": {"S.$": "$.id"}},
                "UpdateExpression": "SET total = :z",
                "ExpressionAttributeValues": {":z": {"N": "0"}},
            },
            "Catch": [{"ErrorEquals": ["DynamoDB.AmazonDynamoDBException"], "ResultPath": "$.reserved", "Next": "Done"}],
            "Next": "Unexpected",
        },
        "Done": {"Type": "Succeed"},
        "Unexpected": {"Type": "Fail", "Error": "Unexpected"},
    },
}


def test_a_state_machine_puts_gets_updates_and_catches_a_failed_condition(server):
    ddb = client(server.url, "dynamodb")
    ddb.create_table(
        TableName="Orders",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sfn = client(server.url)
    arn = sfn.create_state_machine(name="orders", definition=json.dumps(DEFINITION), roleArn=ROLE)[
        "stateMachineArn"
    ]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"id": "o-1"}))
    done = wait_status(sfn, run["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    out = json.loads(done["output"])
    assert out["put"] == {"status": 200}
    assert out["got"]["item"] == {"id": {"S": "o-1"}, "total": {"N": "10"}, "status": {"S": "NEW"}}
    assert out["paid"]["after"] == {"id": {"S": "o-1"}, "total": {"N": "12.5"}, "status": {"S": "PAID"}}
    assert out["already"]["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert out["already"]["Cause"].startswith(
        "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; "
        "Error Code: ConditionalCheckFailedException; Request ID: "
    )
    assert out["count"] == {"n": 1}
    assert out["reserved"]["Error"] == "DynamoDB.AmazonDynamoDBException"
    assert out["reserved"]["Cause"].startswith(
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: total "
        "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; "
    )
    # The writes are the table's: boto3 reads them back.
    item = ddb.get_item(TableName="Orders", Key={"id": {"S": "o-1"}})["Item"]
    assert item["status"] == {"S": "PAID"}

    history = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    scheduled = [e["taskScheduledEventDetails"] for e in history if e["type"] == "TaskScheduled"]
    assert [(s["resourceType"], s["resource"]) for s in scheduled] == [
        ("dynamodb", "putItem"),
        ("dynamodb", "getItem"),
        ("dynamodb", "updateItem"),
        ("dynamodb", "updateItem"),
        ("aws-sdk:dynamodb", "scan"),
        ("dynamodb", "updateItem"),
    ]


def test_sdk_integration_errors_use_the_sdk_service_name(server):
    sfn = client(server.url)
    definition = {
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "Missing", "Key": {"id": {"S": "x"}}},
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(name="missing", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    run = sfn.start_execution(stateMachineArn=arn, input="{}")
    done = wait_status(sfn, run["executionArn"])
    assert done["status"] == "FAILED"
    assert done["error"] == "DynamoDb.ResourceNotFoundException"
    assert done["cause"].startswith("Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: ")
