"""Crash test: kill -9 the server mid-flight, restart it, and every execution
finishes with the right output and an intact history (no event missing or
doubled)."""

import json
import time

from conftest import ACCOUNT, Server, client, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


def test_executions_survive_repeated_kill_9(tmp_path, store_args):
    data = tmp_path / "data"
    args = ["--time-scale", "10", *store_args]
    server = Server(data, args).start()
    sfn = client(server.url)
    activity = sfn.create_activity(name="crash-work")["activityArn"]
    waits = json.dumps({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"done.$": "$.n"}, "End": True}}})
    act = json.dumps({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": activity, "End": True}}})
    waits_arn = sfn.create_state_machine(name="crash-waits", definition=waits, roleArn=ROLE)["stateMachineArn"]
    act_arn = sfn.create_state_machine(name="crash-act", definition=act, roleArn=ROLE)["stateMachineArn"]
    runs = [sfn.start_execution(stateMachineArn=waits_arn, name=f"w{i}", input=json.dumps({"n": i}))["executionArn"]
            for i in range(20)]
    act_runs = [sfn.start_execution(stateMachineArn=act_arn, name=f"a{i}", input=json.dumps({"n": i}))["executionArn"]
                for i in range(5)]
    # A Distributed Map whose children wait: its child executions are
    # records of their own, written with the parent's steps.
    fan = json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 4, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "W", "States": {
                              "W": {"Type": "Wait", "Seconds": 2, "Next": "P"},
                              "P": {"Type": "Pass", "Parameters": {"item.$": "$"}, "End": True}}}}}})
    fan_arn = sfn.create_state_machine(name="crash-fan", definition=fan, roleArn=ROLE)["stateMachineArn"]
    fan_run = sfn.start_execution(stateMachineArn=fan_arn, name="fan", input=json.dumps(list(range(12))))["executionArn"]

    for _ in range(3):
        time.sleep(0.1)
        server.kill9()
        server = Server(data, args).start()
        sfn = client(server.url)

    # Finish the activity tasks on the restarted server.
    for _ in act_runs:
        task = sfn.get_activity_task(activityArn=activity, workerName="after-crash")
        sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])

    for i, arn in enumerate(runs):
        d = wait_status(sfn, arn, timeout=30)
        assert d["status"] == "SUCCEEDED", d
        assert json.loads(d["output"]) == {"done": i}
    for i, arn in enumerate(act_runs):
        d = wait_status(sfn, arn, timeout=30)
        assert json.loads(d["output"]) == {"n": i}
    d = wait_status(sfn, fan_run, timeout=30)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == [{"item": i} for i in range(12)]
    map_run = sfn.list_map_runs(executionArn=fan_run)["mapRuns"][0]["mapRunArn"]
    counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert counts["succeeded"] == 12 and counts["total"] == 12, counts
    children = [c["executionArn"] for c in sfn.list_executions(mapRunArn=map_run)["executions"]]
    assert len(children) == 12, "each child stored once"
    for arn in runs + act_runs + [fan_run] + children:
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        ids = [e["id"] for e in events]
        assert ids == list(range(1, len(ids) + 1)), f"{arn}: events missing or doubled: {ids}"
        assert events[-1]["type"] == "ExecutionSucceeded"
        assert sum(e["type"] == "ExecutionStarted" for e in events) == 1
    server.stop()
