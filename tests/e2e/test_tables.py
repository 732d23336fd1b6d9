"""DynamoDB through real clients (boto3 client and resource, aws CLI): the seed tutorial's flow."""

import json
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import REGION, Server, aws_cli, client


def resource(url):
    return boto3.resource(
        "dynamodb",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def create_lottery_tables(ddb):
    ddb.create_table(
        TableName="Lottery-Employee",
        AttributeDefinitions=[
            {"AttributeName": "employee_id", "AttributeType": "S"},
            {"AttributeName": "lottery_serial", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "employee_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "lottery_serial-index",
                "KeySchema": [{"AttributeName": "lottery_serial", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            }
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    )
    ddb.create_table(
        TableName="Lottery-Winners",
        AttributeDefinitions=[{"AttributeName": "employee_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "employee_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def load_employees(url, tmp_path):
    requests = [
        {
            "PutRequest": {
                "Item": {
                    "employee_id": {"S": f"E{i:03d}"},
                    "lottery_serial": {"N": str(i)},
                    "employee_name": {"S": f"Employee {i}"},
                }
            }
        }
        for i in range(1, 11)
    ]
    path = tmp_path / "request-items.json"
    path.write_text(json.dumps({"Lottery-Employee": requests}))
    out = aws_cli(url, "dynamodb", "batch-write-item", "--request-items", f"file://{path}")
    assert json.loads(out.stdout) == {"UnprocessedItems": {}}


@pytest.fixture
def ddb(server):
    return client(server.url, service="dynamodb")


def test_lottery_flow(server, ddb, tmp_path):
    create_lottery_tables(ddb)
    desc = ddb.describe_table(TableName="Lottery-Employee")["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["GlobalSecondaryIndexes"][0]["IndexName"] == "lottery_serial-index"
    assert sorted(ddb.list_tables()["TableNames"]) == ["Lottery-Employee", "Lottery-Winners"]

    load_employees(server.url, tmp_path)

    employees = resource(server.url).Table("Lottery-Employee")
    r = employees.query(KeyConditionExpression=Key("lottery_serial").eq(3), IndexName="lottery_serial-index")
    assert r["Count"] == 1
    assert r["Items"] == [
        {"employee_id": "E003", "lottery_serial": Decimal(3), "employee_name": "Employee 3"}
    ]

    winners = resource(server.url).Table("Lottery-Winners")
    winners.put_item(Item={"employee_id": "E003", "employee_name": "Employee 3", "draw": 1})
    r = winners.query(KeyConditionExpression=Key("employee_id").eq("E003"))
    assert r["Items"] == [{"employee_id": "E003", "employee_name": "Employee 3", "draw": Decimal(1)}]
    assert winners.query(KeyConditionExpression=Key("employee_id").eq("E999"))["Items"] == []

    # The CLI sees the same data.
    out = aws_cli(server.url, "dynamodb", "scan", "--table-name", "Lottery-Employee", "--select", "COUNT")
    assert json.loads(out.stdout)["Count"] == 10


def test_conditional_put_fails(server, ddb):
    create_lottery_tables(ddb)
    table = resource(server.url).Table("Lottery-Winners")
    table.put_item(Item={"employee_id": "E1"}, ConditionExpression=Attr("employee_id").not_exists())
    with pytest.raises(ClientError) as e:
        table.put_item(Item={"employee_id": "E1"}, ConditionExpression=Attr("employee_id").not_exists())
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert e.value.response["Error"]["Message"] == "The conditional request failed"
    # The modeled exception class works too.
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(
            TableName="Lottery-Winners",
            Item={"employee_id": {"S": "E1"}},
            ConditionExpression="attribute_not_exists(employee_id)",
        )


def test_errors_have_dynamodb_shapes(server, ddb):
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.get_item(TableName="Nope", Key={"k": {"S": "x"}})
    create_lottery_tables(ddb)
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName="Lottery-Employee", Item={"employee_id": {"S": "x"}, "lottery_serial": {"S": "3"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "Type mismatch for Index Key lottery_serial" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ddb.query(
            TableName="Lottery-Employee",
            KeyConditionExpression="employee_id = :v",
            ExpressionAttributeValues={":v": {"S": "x"}, ":unused": {"S": "y"}},
        )
    assert e.value.response["Error"]["Message"] == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
    )
    deep = "(" * 200 + "employee_id = :v" + ")" * 200
    with pytest.raises(ClientError) as e:
        ddb.query(TableName="Lottery-Employee", KeyConditionExpression=deep, ExpressionAttributeValues={":v": {"S": "x"}})
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_update_item_and_numbers(server, ddb):
    create_lottery_tables(ddb)
    table = resource(server.url).Table("Lottery-Winners")
    big = Decimal("12345678901234567890123456789012345678")
    table.put_item(Item={"employee_id": "E1", "n": big})
    r = table.update_item(
        Key={"employee_id": "E1"},
        UpdateExpression="SET n = n - :one, wins = if_not_exists(wins, :zero) + :one ADD tags :t",
        ExpressionAttributeValues={":one": 1, ":zero": 0, ":t": {"a", "b"}},
        ReturnValues="ALL_NEW",
    )
    attrs = r["Attributes"]
    assert attrs["n"] == Decimal("12345678901234567890123456789012345677")  # exact, 38 digits
    assert attrs["wins"] == 1
    assert attrs["tags"] == {"a", "b"}
    got = table.get_item(Key={"employee_id": "E1"}, ProjectionExpression="wins")["Item"]
    assert got == {"wins": 1}


def test_pagination_with_limit(server, ddb, tmp_path):
    ddb.create_table(
        TableName="Tickets",
        AttributeDefinitions=[
            {"AttributeName": "draw", "AttributeType": "S"},
            {"AttributeName": "num", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "draw", "KeyType": "HASH"}, {"AttributeName": "num", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = resource(server.url).Table("Tickets")
    with table.batch_writer() as w:
        for n in [5, 40, 1, 300, 2, 10, 7]:
            w.put_item(Item={"draw": "d1", "num": n, "status": "open" if n % 2 else "closed"})
    seen, kwargs = [], {}
    while True:
        r = table.query(KeyConditionExpression=Key("draw").eq("d1"), Limit=3, **kwargs)
        seen += [int(i["num"]) for i in r["Items"]]
        if "LastEvaluatedKey" not in r:
            break
        kwargs["ExclusiveStartKey"] = r["LastEvaluatedKey"]
    assert seen == [1, 2, 5, 7, 10, 40, 300]
    r = table.query(
        KeyConditionExpression=Key("draw").eq("d1") & Key("num").between(2, 40),
        FilterExpression=Attr("status").eq("open"),
        ScanIndexForward=False,
    )
    assert [int(i["num"]) for i in r["Items"]] == [7, 5]
    assert r["ScannedCount"] == 5
    paginator = ddb.get_paginator("scan")
    items = [i for page in paginator.paginate(TableName="Tickets", Limit=2) for i in page["Items"]]
    assert len(items) == 7
    got = ddb.batch_get_item(RequestItems={"Tickets": {"Keys": [{"draw": {"S": "d1"}, "num": {"N": "300"}}]}})
    assert got["Responses"]["Tickets"][0]["num"] == {"N": "300"}


def test_data_survives_restart(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        ddb = client(s.url, service="dynamodb")
        create_lottery_tables(ddb)
        load_employees(s.url, tmp_path)
    finally:
        s.kill9()
    s = Server(tmp_path / "data").start()
    try:
        employees = resource(s.url).Table("Lottery-Employee")
        r = employees.query(KeyConditionExpression=Key("lottery_serial").eq(7), IndexName="lottery_serial-index")
        assert [i["employee_id"] for i in r["Items"]] == ["E007"]
        assert employees.item_count == 10
    finally:
        s.stop()


def test_transactions(server, ddb):
    create_lottery_tables(ddb)
    ddb.put_item(TableName="Lottery-Winners", Item={"employee_id": {"S": "E1"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as e:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "Lottery-Winners", "Item": {"employee_id": {"S": "E2"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "Lottery-Winners",
                        "Key": {"employee_id": {"S": "E1"}},
                        "ConditionExpression": "attribute_not_exists(employee_id)",
                    }
                },
            ]
        )
    reasons = e.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    got = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": "Lottery-Winners", "Key": {"employee_id": {"S": "E1"}}}},
            {"Get": {"TableName": "Lottery-Winners", "Key": {"employee_id": {"S": "E2"}}}},
        ]
    )
    assert got["Responses"] == [{"Item": {"employee_id": {"S": "E1"}}}, {}]
