"""Lambda functions on Baton: the Lambda API through boto3, real Python code run
by awslambdaric over the Runtime API, and Task states that call functions.

Needs a Python with awslambdaric and boto3 for the functions: BATON_PYTHON
(scripts/test.sh passes the test venv's), else Baton's managed environment."""

import base64
import io
import json
import os
import sys
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, Server, client, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

# The seed's Lottery-InputWinners function, verbatim.
INPUT_WINNERS = '''import json
class CustomError(Exception): pass
def lambda_handler(event, context):
    num_of_winners = event['input']
    # Trigger the Failed process
    if 'exception' in event:
        raise CustomError("An error occurred!!")
    return {"body": {"num_of_winners": num_of_winners}}'''


def zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    os.environ.setdefault("BATON_PYTHON", sys.executable)
    s = Server(tmp_path_factory.mktemp("fn") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def lam(server):
    return client(server.url, "lambda")


def create(lam, name, code, handler="app.handler", timeout=3, **extra):
    return lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler=handler,
        Code={"ZipFile": zip_of({"app.py": code}) if isinstance(code, str) else code},
        Timeout=timeout, **extra)


def test_create_get_list_update_delete(lam):
    c = create(lam, "crud", "def handler(e, c):\n    return 1\n", Environment={"Variables": {"A": "1"}})
    assert c["State"] == "Active"
    assert c["FunctionArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:crud"
    assert c["Environment"]["Variables"] == {"A": "1"}
    assert lam.get_function(FunctionName="crud")["Configuration"]["Handler"] == "app.handler"
    assert "crud" in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    u = lam.update_function_configuration(FunctionName="crud", Timeout=9, MemorySize=256)
    assert (u["Timeout"], u["MemorySize"]) == (9, 256)
    lam.update_function_code(FunctionName="crud", ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 2\n"}))
    assert json.loads(lam.invoke(FunctionName="crud")["Payload"].read()) == 2
    with pytest.raises(ClientError) as e:
        create(lam, "crud", "x = 1\n")
    assert e.value.response["Error"]["Code"] == "ResourceConflictException"
    lam.delete_function(FunctionName="crud")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.get_function(FunctionName="crud")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Function not found" in e.value.response["Error"]["Message"]


def test_invoke_result_error_and_log_tail(lam):
    create(lam, "echo", "import os\nclass CustomError(Exception): pass\n"
                        "def handler(event, context):\n"
                        "    print('got', event)\n"
                        "    if 'boom' in event:\n        raise CustomError('bad thing')\n"
                        "    return {'event': event, 'name': context.function_name,\n"
                        "            'region': os.environ['AWS_DEFAULT_REGION']}\n")
    r = lam.invoke(FunctionName="echo", Payload=b'{"a": 1}', LogType="Tail")
    assert r["StatusCode"] == 200
    assert r["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in r
    assert json.loads(r["Payload"].read()) == {"event": {"a": 1}, "name": "echo", "region": REGION}
    log = base64.b64decode(r["LogResult"]).decode()
    assert log.startswith("START RequestId: ")
    assert "got {'a': 1}" in log and "END RequestId: " in log and "REPORT RequestId: " in log

    r = lam.invoke(FunctionName="echo", Payload=b'{"boom": 1}')
    assert r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == "CustomError" and body["errorMessage"] == "bad thing"
    assert body["stackTrace"]

    assert lam.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="nope")


def test_function_boto3_reaches_baton(lam, server):
    code = ("import boto3\n"
            "def handler(event, context):\n"
            "    sfn = boto3.client('stepfunctions')\n"
            "    return [m['name'] for m in sfn.list_state_machines()['stateMachines']]\n")
    create(lam, "usesboto", code, timeout=20)
    r = lam.invoke(FunctionName="usesboto")
    assert "FunctionError" not in r, r["Payload"].read()
    assert isinstance(json.loads(r["Payload"].read()), list)


def test_syntax_error_and_missing_module(lam):
    create(lam, "syntax", "def handler(e, c)\n    return 1\n")
    r = lam.invoke(FunctionName="syntax")
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] in ("Runtime.UserCodeSyntaxError", "Runtime.ImportModuleError")

    create(lam, "nomodule", "def handler(e, c):\n    return 1\n", handler="missing.handler")
    r = lam.invoke(FunctionName="nomodule")
    assert json.loads(r["Payload"].read())["errorType"] == "Runtime.ImportModuleError"


def test_timeout_kills_and_replaces_environment(lam):
    create(lam, "sleepy", "import time\ndef handler(e, c):\n    time.sleep(e.get('s', 0))\n    return 'ok'\n", timeout=1)
    r = lam.invoke(FunctionName="sleepy", Payload=b'{"s": 5}')
    assert r["FunctionError"] == "Unhandled"
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    r = lam.invoke(FunctionName="sleepy", Payload=b'{"s": 0}')
    assert json.loads(r["Payload"].read()) == "ok"


def test_bad_zips_refused(lam):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../escape.py", "x = 1")
    with pytest.raises(ClientError) as e:
        create(lam, "evil", buf.getvalue())
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        create(lam, "broken", b"not a zip")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


# The seed's Lottery state machine (lottery-tutorial.zh.txt), verbatim but for the ARNs.
SEED_MACHINE = """{
 "Comment": "A simple AWS Step Functions state machine that simulates the lottery session",
 "StartAt": "Input Lottery Winners",
 "States": {
  "Input Lottery Winners": {
   "Type": "Task",
   "Resource": "<InputWinners:ARN>",
   "ResultPath": "$",
   "Catch": [
    {
     "ErrorEquals": [
      "CustomError"
     ],
     "Next": "Failed"
    },
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "Next": "Failed"
    }
   ],
   "Next": "Random Select Winners"
  },
  "Random Select Winners": {
   "Type": "Task",
   "InputPath": "$.body",
   "Resource": "<RandomSelectWinners:ARN>",
   "Catch": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "Next": "Failed"
    }
   ],
   "Retry": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "IntervalSeconds": 1,
     "MaxAttempts": 2
    }
   ],
   "Next": "Validate Winners"
  },
  "Validate Winners": {
   "Type": "Task",
   "InputPath": "$.body",
   "Resource": "<ValidateWinners:ARN>",
   "Catch": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "Next": "Failed"
    }
   ],
   "Retry": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "IntervalSeconds": 1,
     "MaxAttempts": 2
    }
   ],
   "Next": "Is Winner In Past Draw"
  },
  "Is Winner In Past Draw": {
   "Type": "Choice",
   "Choices": [
    {
     "Variable": "$.status",
     "NumericEquals": 0,
     "Next": "Send SNS and Record In Dynamodb"
    },
    {
     "Variable": "$.status",
     "NumericEquals": 1,
     "Next": "Random Select Winners"
    }
   ]
  },
  "Send SNS and Record In Dynamodb": {
   "Type": "Parallel",
   "End": true,
   "Catch": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "Next": "Failed"
    }
   ],
   "Retry": [
    {
     "ErrorEquals": [
      "States.ALL"
     ],
     "IntervalSeconds": 1,
     "MaxAttempts": 2
    }
   ],
   "Branches": [
    {
     "StartAt": "Notify Winners",
     "States": {
      "Notify Winners": {
       "Type": "Task",
       "Resource": "arn:aws:states:::sns:publish",
       "Parameters": {
        "TopicArn": "<Notification:ARN>",
        "Message.$": "$.sns"
       },
       "End": true
      }
     }
    },
    {
     "StartAt": "Record Winner Queue",
     "States": {
      "Record Winner Queue": {
       "Type": "Task",
       "InputPath": "$.body",
       "Resource": "<RecordWinners:ARN>",
       "TimeoutSeconds": 300,
       "End": true
      }
     }
    }
   ]
  },
  "Failed": {
   "Type": "Fail"
  }
 }
}"""


def lottery_machine(fn_arn):
    arns = {
        "<InputWinners:ARN>": fn_arn,
        "<RandomSelectWinners:ARN>": fn_arn.replace("InputWinners", "RandomSelectWinners"),
        "<ValidateWinners:ARN>": fn_arn.replace("InputWinners", "ValidateWinners"),
        "<RecordWinners:ARN>": fn_arn.replace("InputWinners", "RecordWinners"),
        "<Notification:ARN>": f"arn:aws:sns:{REGION}:{ACCOUNT}:Lottery-Notification",
    }
    text = SEED_MACHINE
    for k, v in arns.items():
        text = text.replace(k, v)
    return text


def test_seed_input_winners_from_state_machine(lam, server):
    fn = lam.create_function(FunctionName="Lottery-InputWinners", Runtime="python3.7", Role=ROLE,
                             Handler="lambda_function.lambda_handler",
                             Code={"ZipFile": zip_of({"lambda_function.py": INPUT_WINNERS})})["FunctionArn"]
    sfn = client(server.url)
    arn = sfn.create_state_machine(name="Lottery", definition=lottery_machine(fn), roleArn=ROLE)["stateMachineArn"]

    r = client(server.url, "lambda").invoke(FunctionName="Lottery-InputWinners", Payload=b'{"input": 2}')
    assert json.loads(r["Payload"].read()) == {"body": {"num_of_winners": 2}}

    bad = sfn.start_execution(stateMachineArn=arn, input='{"input": 2, "exception": 1}')["executionArn"]
    d = wait_status(sfn, bad)
    assert d["status"] == "FAILED"
    events = sfn.get_execution_history(executionArn=bad)["events"]
    failed = [e for e in events if e["type"] == "LambdaFunctionFailed"]
    assert failed, [e["type"] for e in events]
    detail = failed[0]["lambdaFunctionFailedEventDetails"]
    assert detail["error"] == "CustomError"
    cause = json.loads(detail["cause"])
    assert cause["errorMessage"] == "An error occurred!!" and cause["errorType"] == "CustomError"
    assert '"errorType": "CustomError"' in detail["cause"]  # verbatim, Python spacing
    entered = [e for e in events if e["type"] == "FailStateEntered"]
    assert entered and entered[0]["stateEnteredEventDetails"]["name"] == "Failed"
    caught = json.loads(entered[0]["stateEnteredEventDetails"]["input"])
    assert caught == {"Error": "CustomError", "Cause": detail["cause"]}


def test_lambda_invoke_integration_and_missing_function(lam, server):
    create(lam, "adder", "def handler(e, c):\n    if e.get('fail'):\n        raise ValueError('no')\n    return e['a'] + e['b']\n")
    sfn = client(server.url)
    definition = json.dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "adder", "Payload.$": "$"}, "End": True}}})
    arn = sfn.create_state_machine(name="invoke-adder", definition=definition, roleArn=ROLE)["stateMachineArn"]
    d = wait_status(sfn, sfn.start_execution(stateMachineArn=arn, input='{"a": 2, "b": 3}')["executionArn"])
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["Payload"] == 5 and out["StatusCode"] == 200 and out["ExecutedVersion"] == "$LATEST"
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200

    d = wait_status(sfn, sfn.start_execution(stateMachineArn=arn, input='{"fail": true}')["executionArn"])
    assert d["status"] == "FAILED" and d["error"] == "ValueError"
    assert d["cause"].startswith('{"errorMessage":"no","errorType":"ValueError"')  # re-serialised

    missing = json.dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:no_such_fn", "End": True}}})
    arn = sfn.create_state_machine(name="missing-fn", definition=missing, roleArn=ROLE)["stateMachineArn"]
    d = wait_status(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert d["error"] == "Lambda.ResourceNotFoundException"
    assert d["cause"].startswith(f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:no_such_fn:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ")


# A custom runtime: an executable `bootstrap` speaking the Runtime API itself.
BOOTSTRAP = '''#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
        assert r.headers["Lambda-Runtime-Deadline-Ms"].isdigit()
    if event.get("fail"):
        body, path, headers = {"errorType": "Custom.Bad", "errorMessage": "failed"}, "/error", {"Lambda-Runtime-Function-Error-Type": "unhandled"}
    else:
        body, path, headers = {"echo": event, "fn": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}, "/response", {}
    req = urllib.request.Request(api + rid + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    urllib.request.urlopen(req).read()
'''


def zip_with_bootstrap(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, text)
    return buf.getvalue()


def test_provided_runtime_bootstrap(lam):
    lam.create_function(FunctionName="custom", Runtime="provided.al2023", Role=ROLE, Handler="unused",
                        Code={"ZipFile": zip_with_bootstrap(BOOTSTRAP)})
    for i in range(3):  # warm reuse
        r = lam.invoke(FunctionName="custom", Payload=json.dumps({"i": i}).encode())
        assert json.loads(r["Payload"].read()) == {"echo": {"i": i}, "fn": "custom"}
    r = lam.invoke(FunctionName="custom", Payload=b'{"fail": true}')
    assert r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "Custom.Bad"

    lam.create_function(FunctionName="crasher", Runtime="provided", Role=ROLE, Handler="unused",
                        Code={"ZipFile": zip_with_bootstrap("#!/bin/sh\nexit 2\n")})
    r = lam.invoke(FunctionName="crasher")
    body = json.loads(r["Payload"].read())
    assert r["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 2")


def test_concurrent_invocations(lam):
    from concurrent.futures import ThreadPoolExecutor
    from botocore.config import Config
    import boto3
    create(lam, "conc", "import time\ndef handler(e, c):\n    time.sleep(0.05)\n    return e['n'] * 2\n", timeout=30)
    lam2 = boto3.client("lambda", endpoint_url=lam.meta.endpoint_url, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=50, read_timeout=60))

    def call(n):
        r = lam2.invoke(FunctionName="conc", Payload=json.dumps({"n": n}).encode())
        assert "FunctionError" not in r, r["Payload"].read()
        return json.loads(r["Payload"].read())

    with ThreadPoolExecutor(50) as pool:
        assert list(pool.map(call, range(50))) == [n * 2 for n in range(50)]


def test_local_folder_function_sees_edits(lam, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "app.py").write_text("def handler(e, c):\n    return 'v1'\n")
    lam.create_function(FunctionName="folder-fn", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"S3Bucket": "hot-reload", "S3Key": str(folder)})
    assert json.loads(lam.invoke(FunctionName="folder-fn")["Payload"].read()) == "v1"
    (folder / "app.py").write_text("def handler(e, c):\n    return 'v2'\n")
    assert json.loads(lam.invoke(FunctionName="folder-fn")["Payload"].read()) == "v2"


def test_functions_survive_restart(tmp_path):
    os.environ.setdefault("BATON_PYTHON", sys.executable)
    data = tmp_path / "data"
    s = Server(data).start()
    try:
        create(client(s.url, "lambda"), "kept", "def handler(e, c):\n    return 'still here'\n")
    finally:
        s.stop()
    s = Server(data).start()
    try:
        lam = client(s.url, "lambda")
        assert lam.get_function_configuration(FunctionName="kept")["State"] == "Active"
        assert json.loads(lam.invoke(FunctionName="kept")["Payload"].read()) == "still here"
    finally:
        s.stop()
    assert (data / "functions" / "kept" / "config.json").exists()


def test_wait_for_task_token_function_calls_back(lam, server):
    code = ("import boto3, json\n"
            "def handler(event, context):\n"
            "    boto3.client('stepfunctions').send_task_success(\n"
            "        taskToken=event['token'], output=json.dumps({'got': event['v']}))\n"
            "    return 'sent'\n")
    create(lam, "callback", code, timeout=20)
    sfn = client(server.url)
    definition = json.dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "callback", "Payload": {"token.$": "$$.Task.Token", "v.$": "$.v"}},
        "End": True}}})
    arn = sfn.create_state_machine(name="callback-sm", definition=definition, roleArn=ROLE)["stateMachineArn"]
    d = wait_status(sfn, sfn.start_execution(stateMachineArn=arn, input='{"v": 7}')["executionArn"])
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"got": 7}
