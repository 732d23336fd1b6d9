"""Step Functions through real clients: boto3 and the aws CLI, unchanged."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, aws_cli, client, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})


def test_boto3_state_machine_lifecycle(sfn):
    created = sfn.create_state_machine(name="hello", definition=PASS, roleArn=ROLE)
    arn = created["stateMachineArn"]
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:hello"
    # Idempotent on an identical request.
    assert sfn.create_state_machine(name="hello", definition=PASS, roleArn=ROLE)["stateMachineArn"] == arn
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["definition"] == PASS and described["type"] == "STANDARD"
    names = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    assert "hello" in names

    run = sfn.start_execution(stateMachineArn=arn, name="first", input='{"a": 1}')
    d = wait_status(sfn, run["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert json.loads(d["output"]) == {"ok": True}
    assert json.loads(d["input"]) == {"a": 1}

    events = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert events[1]["previousEventId"] == 0 and events[2]["previousEventId"] == 2
    reverse = sfn.get_execution_history(executionArn=run["executionArn"], reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [4, 3, 2, 1]

    listed = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]
    assert [e["name"] for e in listed] == ["first"]
    sfn.delete_state_machine(stateMachineArn=arn)


def test_boto3_errors_are_aws_shaped(sfn):
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="bad", definition='{"StartAt": "Nope", "States": {}}', roleArn=ROLE)
    assert e.value.response["Error"]["Code"] == "InvalidDefinition"
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine(name="has space", definition=PASS, roleArn=ROLE)
    assert e.value.response["Error"]["Code"] == "InvalidName"
    arn = sfn.create_state_machine(name="m", definition=PASS, roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(ClientError) as e:
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    assert e.value.response["Error"]["Code"] == "InvalidExecutionInput"
    with pytest.raises(ClientError) as e:
        sfn.describe_execution(executionArn=arn.replace("stateMachine", "execution") + ":missing")
    assert e.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    with pytest.raises(ClientError) as e:
        sfn.send_task_success(taskToken="0" * 32, output="{}")
    assert e.value.response["Error"]["Code"] == "TaskTimedOut"


def test_activity_worker_round_trip(sfn):
    activity = sfn.create_activity(name="work")["activityArn"]
    definition = json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})
    arn = sfn.create_state_machine(name="act", definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input='{"n": 3}')
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"n": 3}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"n": 4}')
    d = wait_status(sfn, run["executionArn"])
    assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"n": 4}


def test_stop_execution(sfn):
    definition = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    arn = sfn.create_state_machine(name="waits", definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, name="long")
    sfn.stop_execution(executionArn=run["executionArn"], error="Stopped", cause="by the test")
    d = sfn.describe_execution(executionArn=run["executionArn"])
    assert d["status"] == "ABORTED"
    events = sfn.get_execution_history(executionArn=run["executionArn"])["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Stopped", "cause": "by the test"}


def test_express_sync_execution_through_boto3(server):
    sfn = client(server.url, inject_host_prefix=False)
    arn = sfn.create_state_machine(name="x", definition=PASS, roleArn=ROLE, type="EXPRESS")["stateMachineArn"]
    out = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"ok": True}


def test_aws_cli_runs_a_state_machine(server, tmp_path):
    definition = tmp_path / "def.json"
    definition.write_text(PASS)
    created = json.loads(aws_cli(server.url, "stepfunctions", "create-state-machine", "--name", "cli",
                                 "--definition", f"file://{definition}", "--role-arn", ROLE).stdout)
    run = json.loads(aws_cli(server.url, "stepfunctions", "start-execution", "--state-machine-arn",
                             created["stateMachineArn"], "--input", '{"x": 1}').stdout)
    sfn = client(server.url)
    assert wait_status(sfn, run["executionArn"])["status"] == "SUCCEEDED"
    history = json.loads(aws_cli(server.url, "stepfunctions", "get-execution-history", "--execution-arn",
                                 run["executionArn"]).stdout)
    assert history["events"][-1]["type"] == "ExecutionSucceeded"
    bad = aws_cli(server.url, "stepfunctions", "describe-execution", "--execution-arn", "nope", check=False)
    assert bad.returncode != 0 and "InvalidArn" in bad.stderr


def test_versions_and_aliases_route_executions(sfn):
    arn = sfn.create_state_machine(name="aliased", definition=PASS, roleArn=ROLE, publish=True)["stateMachineArn"]
    v1 = f"{arn}:1"
    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
    assert alias == f"{arn}:prod"
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]] == [alias]
    run = sfn.start_execution(stateMachineArn=alias, input="{}")
    d = wait_status(sfn, run["executionArn"])
    assert d["status"] == "SUCCEEDED"
    assert d.get("stateMachineAliasArn") == alias and d.get("stateMachineVersionArn") == v1
    started = sfn.get_execution_history(executionArn=run["executionArn"])["events"][0]
    assert started["executionStartedEventDetails"]["stateMachineAliasArn"] == alias
    assert started["executionStartedEventDetails"]["stateMachineVersionArn"] == v1
    with pytest.raises(ClientError) as e:
        sfn.create_state_machine_alias(
            name="bad", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 60}])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(ClientError) as e:
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"


def test_redrive_a_failed_execution(sfn):
    """RedriveExecution: the failed Task runs again with its own input; the
    Pass before it does not; Describe/List/History show the redrive."""
    activity = sfn.create_activity(name="flaky")["activityArn"]
    definition = json.dumps({"StartAt": "Prep", "States": {
        "Prep": {"Type": "Pass", "Result": {"job": 42}, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": activity, "End": True}}})
    arn = sfn.create_state_machine(name="redrivable", definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, name="try")["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_failure(taskToken=task["taskToken"], error="Down", cause="db down")
    failed = wait_status(sfn, run)
    assert failed["status"] == "FAILED" and failed["redriveStatus"] == "REDRIVABLE"

    redriven = sfn.redrive_execution(executionArn=run, clientToken="once")
    assert "redriveDate" in redriven
    with pytest.raises(ClientError) as e:
        sfn.redrive_execution(executionArn=run)
    assert e.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING"

    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    assert json.loads(task["input"]) == {"job": 42}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    done = wait_status(sfn, run)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"done": True}
    assert done["redriveCount"] == 1 and "redriveDate" in done
    assert done["redriveStatus"] == "NOT_REDRIVABLE"

    events = sfn.get_execution_history(executionArn=run)["events"]
    types = [e["type"] for e in events]
    assert types.count("PassStateEntered") == 1 and types.count("TaskStateEntered") == 2
    redrive = next(e for e in events if e["type"] == "ExecutionRedriven")
    assert redrive["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert redrive["previousEventId"] == redrive["id"] - 1
    listed = sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]
    assert [x["name"] for x in listed] == ["try"] and listed[0]["redriveCount"] == 1
    with pytest.raises(ClientError) as e:
        sfn.redrive_execution(executionArn=run)
    assert e.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "SUCCEEDED" in e.value.response["Error"]["Message"]


def test_map_run_apis_through_boto3_and_the_cli(server, sfn):
    """A Distributed Map's Map Run, watched and steered while it runs:
    ListMapRuns, DescribeMapRun, UpdateMapRun (more concurrency), the child
    executions through ListExecutions(mapRunArn), then the closed run."""
    activity = sfn.create_activity(name="item")["activityArn"]
    definition = json.dumps({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Rows", "MaxConcurrency": 1, "ToleratedFailureCount": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}}}})
    arn = sfn.create_state_machine(name="rows", definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3, 4]")["executionArn"]

    runs = sfn.list_map_runs(executionArn=run)["mapRuns"]
    assert len(runs) == 1 and runs[0]["executionArn"] == run
    assert runs[0]["stateMachineArn"] == f"{arn}/Rows"
    map_run = runs[0]["mapRunArn"]
    d = sfn.describe_map_run(mapRunArn=map_run)
    assert d["status"] == "RUNNING" and d["maxConcurrency"] == 1 and d["toleratedFailureCount"] == 1
    assert d["itemCounts"]["total"] == 4 and d["itemCounts"]["pending"] == 3
    assert d["executionCounts"]["running"] == 1

    first = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_failure(taskToken=first["taskToken"], error="Bad", cause="row 1")
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=3)
    assert sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 3
    for _ in range(3):
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    done = wait_status(sfn, run)
    assert done["status"] == "SUCCEEDED"

    d = sfn.describe_map_run(mapRunArn=map_run)
    assert d["status"] == "SUCCEEDED" and d["maxConcurrency"] == 3 and "stopDate" in d
    assert d["executionCounts"]["succeeded"] == 3 and d["executionCounts"]["failed"] == 1
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    assert len(children) == 4 and all(c["mapRunArn"] == map_run for c in children)
    assert all(c["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:execution:rows/Rows:") for c in children)
    failed = sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED")["executions"]
    assert len(failed) == 1
    # Each child is an execution: described and with a history of its own.
    child = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert child["status"] == "FAILED" and child["error"] == "Bad" and child["mapRunArn"] == map_run
    assert child["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN" and json.loads(child["input"]) == 1
    events = sfn.get_execution_history(executionArn=failed[0]["executionArn"])["events"]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionFailed"
    assert events[-1]["executionFailedEventDetails"] == {"error": "Bad", "cause": "row 1"}
    with pytest.raises(ClientError) as e:
        sfn.update_map_run(mapRunArn=map_run, maxConcurrency=5)
    assert e.value.response["Error"]["Code"] == "ValidationException"

    # The aws CLI reads the same Map Run.
    cli = json.loads(aws_cli(server.url, "stepfunctions", "describe-map-run", "--map-run-arn", map_run).stdout)
    assert cli["itemCounts"]["total"] == 4 and cli["status"] == "SUCCEEDED"
    listed = json.loads(aws_cli(server.url, "stepfunctions", "list-executions", "--map-run-arn", map_run).stdout)
    assert len(listed["executions"]) == 4


def test_stop_one_map_run_child(sfn):
    """StopExecution of one running child: it ends ABORTED with the given
    error, its Map Run counts it, and a tolerated failure lets the parent go on."""
    activity = sfn.create_activity(name="stoppable")["activityArn"]
    definition = json.dumps({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ToleratedFailureCount": 1, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}}}})
    arn = sfn.create_state_machine(name="stoppable", definition=definition, roleArn=ROLE)["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn, input="[1, 2]")["executionArn"]
    map_run = sfn.list_map_runs(executionArn=run)["mapRuns"][0]["mapRunArn"]
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    victim = children[0]["executionArn"]
    sfn.stop_execution(executionArn=victim, error="Operator", cause="not needed")
    stopped = sfn.describe_execution(executionArn=victim)
    assert stopped["status"] == "ABORTED" and stopped["error"] == "Operator"
    assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING"
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    assert wait_status(sfn, run)["status"] == "SUCCEEDED"
    counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert counts["aborted"] == 1 and counts["succeeded"] == 1
