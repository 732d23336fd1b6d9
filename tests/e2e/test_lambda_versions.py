"""Lambda versions and aliases through boto3, and Task states that call a function by
version or alias; function errors name /var/task in their stack traces, as on AWS."""

import json
import os
import sys

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, Server, client, wait_status
from test_functions import create, zip_of

CODE = """import os
def handler(event, context):
    if event.get("fail"):
        raise ValueError("{tag} failed")
    return {{"tag": "{tag}", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ.setdefault("BATON_PYTHON", sys.executable)
    s = Server(tmp_path_factory.mktemp("versions") / "data").start()
    yield s
    s.stop()


def invoke(lam, name, payload=None, **kw):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kw)
    return r["ExecutedVersion"], json.loads(r["Payload"].read()), r.get("FunctionError")


def test_versions_aliases_and_qualified_calls(server):
    lam = client(server.url, "lambda")
    create(lam, "shop", CODE.format(tag="v1"))
    v1 = lam.publish_version(FunctionName="shop", Description="first")
    assert (v1["Version"], v1["Description"]) == ("1", "first")
    assert v1["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop:1"
    # Nothing changed since version 1: publishing again returns it.
    assert lam.publish_version(FunctionName="shop")["Version"] == "1"
    lam.update_function_code(FunctionName="shop", ZipFile=zip_of({"app.py": CODE.format(tag="v2")}))
    assert lam.publish_version(FunctionName="shop")["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName="shop")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]

    alias = lam.create_alias(FunctionName="shop", Name="live", FunctionVersion="1", Description="stable")
    assert alias["AliasArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop:live"
    assert lam.get_alias(FunctionName="shop", Name="live")["FunctionVersion"] == "1"
    assert [a["Name"] for a in lam.list_aliases(FunctionName="shop")["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="shop", Name="live", FunctionVersion="2")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(ClientError) as e:
        lam.get_alias(FunctionName="shop", Name="nope")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    assert invoke(lam, "shop") == ("$LATEST", {"tag": "v2", "version": "$LATEST"}, None)
    assert invoke(lam, "shop", Qualifier="1") == ("1", {"tag": "v1", "version": "1"}, None)
    assert invoke(lam, "shop:live") == ("1", {"tag": "v1", "version": "1"}, None)
    assert lam.get_function(FunctionName="shop", Qualifier="live")["Configuration"]["Version"] == "1"
    with pytest.raises(ClientError) as e:
        invoke(lam, "shop", Qualifier="9")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"

    lam.update_alias(FunctionName="shop", Name="live", FunctionVersion="2")
    assert invoke(lam, "shop:live")[1]["tag"] == "v2"

    # A function error's stack trace names /var/task, as AWS's does.
    _, body, error = invoke(lam, "shop:1", {"fail": True})
    assert error == "Unhandled" and body["errorType"] == "ValueError"
    assert body["stackTrace"][0].startswith('  File "/var/task/app.py", line 4, in handler')

    # Task states reach versions and aliases by ARN and by Qualifier.
    sfn = client(server.url)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop"
    definition = {
        "StartAt": "ByAlias",
        "States": {
            "ByAlias": {"Type": "Task", "Resource": f"{arn}:live", "ResultPath": "$.alias", "Next": "ByVersion"},
            "ByVersion": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "shop", "Qualifier": "1", "Payload": {}},
                "ResultSelector": {"payload.$": "$.Payload", "executed.$": "$.ExecutedVersion"},
                "ResultPath": "$.version",
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name="versions", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/r"
    )["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, input="{}")
    done = wait_status(sfn, run["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    out = json.loads(done["output"])
    assert out["alias"] == {"tag": "v2", "version": "2"}
    assert out["version"] == {"payload": {"tag": "v1", "version": "1"}, "executed": "1"}

    # A version an alias points at cannot be deleted; afterwards it can, alone.
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="shop", Qualifier="2")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    lam.delete_alias(FunctionName="shop", Name="live")
    assert lam.list_aliases(FunctionName="shop")["Aliases"] == []
    lam.delete_function(FunctionName="shop", Qualifier="2")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="shop")["Versions"]] == ["$LATEST", "1"]
    assert invoke(lam, "shop")[1]["tag"] == "v2"
