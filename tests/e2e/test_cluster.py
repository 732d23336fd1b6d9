"""Several `baton serve` nodes on one PostgreSQL database: each runs the
executions it starts, answers for the others' (forwarding what only the
owner can do), and when a node dies another takes its executions over and
finishes them with intact histories. A node that was only paused comes
back fenced and stops instead of writing."""

import json
import signal
import time

from conftest import ACCOUNT, Server, client, postgres_url, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
LEASE = "1.5"


def node(tmp_path, name, schema):
    return Server(tmp_path / name, [
        "--database", postgres_url(), "--database-schema", schema, "--node-lease", LEASE,
    ]).start()


def assert_intact(sfn, arn):
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    ids = [e["id"] for e in events]
    assert ids == list(range(1, len(ids) + 1)), f"{arn}: events missing or doubled: {ids}"
    assert sum(e["type"] == "ExecutionStarted" for e in events) == 1
    return events


def test_nodes_share_work_and_take_over_a_dead_node(tmp_path, pg_schema):
    a = node(tmp_path, "a", pg_schema)
    b = node(tmp_path, "b", pg_schema)
    sfn_a, sfn_b = client(a.url), client(b.url)

    activity = sfn_a.create_activity(name="cluster-work")["activityArn"]
    waits = json.dumps({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"done.$": "$.n"}, "End": True}}})
    act = json.dumps({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": activity, "End": True}}})
    waits_arn = sfn_a.create_state_machine(name="c-waits", definition=waits, roleArn=ROLE)["stateMachineArn"]
    act_arn = sfn_a.create_state_machine(name="c-act", definition=act, roleArn=ROLE)["stateMachineArn"]
    # Definitions are shared: B starts executions of a machine A created.
    on_a = [sfn_a.start_execution(stateMachineArn=waits_arn, name=f"a{i}", input=json.dumps({"n": i}))["executionArn"]
            for i in range(8)]
    on_b = [sfn_b.start_execution(stateMachineArn=waits_arn, name=f"b{i}", input=json.dumps({"n": i}))["executionArn"]
            for i in range(4)]
    tasks = [sfn_a.start_execution(stateMachineArn=act_arn, name=f"t{i}", input=json.dumps({"n": i}))["executionArn"]
             for i in range(3)]
    listed = sfn_b.list_executions(stateMachineArn=waits_arn)["executions"]
    assert {e["executionArn"] for e in listed} == set(on_a + on_b)

    # B stops an execution A runs: the request is forwarded to A.
    time.sleep(0.3)  # one heartbeat, so B knows A's address
    sfn_b.stop_execution(executionArn=on_a[0], error="Halt", cause="stopped through B")
    stopped = sfn_b.describe_execution(executionArn=on_a[0])
    assert stopped["status"] == "ABORTED", stopped
    assert stopped["error"] == "Halt"
    # A worker polls B for a task queued on A (B takes it from A), and
    # reports through B, which finds the node that knows the token.
    task = sfn_b.get_activity_task(activityArn=activity, workerName="w")
    first = tasks.pop(json.loads(task["input"])["n"])
    sfn_b.send_task_success(taskToken=task["taskToken"], output=json.dumps({"via": "b"}))
    done = wait_status(sfn_b, first)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"via": "b"}, done
    bogus = "0" * 32
    try:
        sfn_b.send_task_success(taskToken=bogus, output="{}")
        raise AssertionError("an unknown token must fail")
    except sfn_b.exceptions.TaskTimedOut:
        pass

    # A dies. Within its lease B takes over its executions, waits and
    # activity tasks included, and finishes them.
    a.kill9()
    for i, arn in enumerate(on_a[1:], start=1):
        d = wait_status(sfn_b, arn, timeout=30)
        assert d["status"] == "SUCCEEDED", d
        assert json.loads(d["output"]) == {"done": i}
    for i, arn in enumerate(on_b):
        d = wait_status(sfn_b, arn, timeout=30)
        assert json.loads(d["output"]) == {"done": i}
    for _ in tasks:
        task = sfn_b.get_activity_task(activityArn=activity, workerName="after")
        assert "taskToken" in task, "B re-dispatched A's activity tasks"
        sfn_b.send_task_success(taskToken=task["taskToken"], output=task["input"])
    for arn in tasks:
        d = wait_status(sfn_b, arn, timeout=30)
        assert d["status"] == "SUCCEEDED" and json.loads(d["output"])["n"] in range(3), d
    for arn in on_a + on_b + tasks + [first]:
        assert_intact(sfn_b, arn)

    # A comes back under its id: it rejoins and runs new work.
    a = node(tmp_path, "a", pg_schema)
    sfn_a = client(a.url)
    again = sfn_a.start_execution(stateMachineArn=waits_arn, name="again", input=json.dumps({"n": 9}))["executionArn"]
    assert json.loads(wait_status(sfn_b, again, timeout=30)["output"]) == {"done": 9}
    a.stop()
    b.stop()


def test_a_paused_node_is_fenced_and_stops(tmp_path, pg_schema):
    a = node(tmp_path, "a", pg_schema)
    b = node(tmp_path, "b", pg_schema)
    sfn_a, sfn_b = client(a.url), client(b.url)
    waits = json.dumps({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 2, "End": True}}})
    machine = sfn_a.create_state_machine(name="f-waits", definition=waits, roleArn=ROLE)["stateMachineArn"]
    runs = [sfn_a.start_execution(stateMachineArn=machine, name=f"f{i}")["executionArn"] for i in range(3)]
    # A freezes (a long GC pause, a suspended VM) for longer than its lease.
    a.proc.send_signal(signal.SIGSTOP)
    for arn in runs:
        assert wait_status(sfn_b, arn, timeout=30)["status"] == "SUCCEEDED"
    a.proc.send_signal(signal.SIGCONT)
    # Its next heartbeat finds it fenced: it exits rather than write.
    assert a.proc.wait(timeout=15) != 0
    assert "restart it to rejoin" in a.proc.stderr.read().lower()
    for arn in runs:
        assert_intact(sfn_b, arn)
    b.stop()


def test_a_node_shut_down_hands_its_executions_over_before_its_lease(tmp_path, pg_schema):
    # A lease far longer than the test: only the hand-over can finish A's work.
    lease = ["--node-lease", "600"]
    a = Server(tmp_path / "a", ["--database", postgres_url(), "--database-schema", pg_schema, *lease]).start()
    b = Server(tmp_path / "b", ["--database", postgres_url(), "--database-schema", pg_schema, *lease]).start()
    sfn_a, sfn_b = client(a.url), client(b.url)
    waits = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
    machine = sfn_a.create_state_machine(name="h-waits", definition=waits, roleArn=ROLE)["stateMachineArn"]
    runs = [sfn_a.start_execution(stateMachineArn=machine, name=f"h{i}")["executionArn"] for i in range(3)]
    a.stop()  # SIGTERM: a graceful shutdown
    for arn in runs:
        assert wait_status(sfn_b, arn, timeout=30)["status"] == "SUCCEEDED"
    for arn in runs:
        assert_intact(sfn_b, arn)
    b.stop()
