"""The seed's lottery tutorial end to end: `examples/lottery/run-with-aws-cli.sh`
(the tutorial's steps with the plain aws CLI against `baton serve`) and `baton
demo --no-serve` (the README's first command), each from a clean data directory.

Needs a Python with awslambdaric and boto3 for the functions: BATON_PYTHON
(scripts/test.sh passes the test venv's), else Baton's managed environment."""

import io
import json
import os
import pathlib
import re
import subprocess
import sys
import urllib.parse
import zipfile

import pytest

from conftest import ROOT, Server, baton_binary, client, free_port

EXAMPLE = ROOT / "examples" / "lottery"
SEED = ROOT.parent / "shared" / "seed" / "lottery-tutorial.zh.txt"
CONGRATS = re.compile(r"Congrats! \[(\w+) (\w+)\] You have selected as the Lucky Champ!")
EMAIL = "lottery-winners@example.com"


@pytest.fixture(autouse=True)
def functions_python(monkeypatch):
    monkeypatch.setenv("BATON_PYTHON", os.environ.get("BATON_PYTHON", sys.executable))


def mailbox(url: str) -> list:
    import urllib.request

    with urllib.request.urlopen(f"{url}/_baton/mailbox") as r:
        return json.load(r)["messages"]


def winners(url: str) -> list:
    ddb = client(url, "dynamodb")
    return sorted(i["employee_id"]["S"] for i in ddb.scan(TableName="Lottery-Winners")["Items"])


def demo(data_dir: pathlib.Path, *flags: str, port: int = 0, timeout: float = 180):
    port = port or free_port()
    cmd = [str(baton_binary()), "demo", "--no-serve", "--port", str(port), "--data-dir", str(data_dir), *flags]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_the_functions_are_the_seeds_own_code():
    """Only line breaks, indentation and region_name differ from the seed's text."""
    if not SEED.exists():
        pytest.skip("the seed is not next to this checkout")
    seed = re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))
    for fn in ["Lottery-InputWinners", "Lottery-RandomSelectWinners", "Lottery-ValidateWinners", "Lottery-RecordWinners"]:
        code = (EXAMPLE / "functions" / fn / "lambda_function.py").read_text()
        squeezed = re.sub(r"\s+", "", code).replace("region_name='us-east-1'", "region_name=''")
        assert squeezed in seed, f"{fn} differs from the seed"


def test_the_definition_is_the_seeds_own():
    if not SEED.exists():
        pytest.skip("the seed is not next to this checkout")
    seed = SEED.read_text(encoding="utf-8")
    start = seed.index('{\n"Comment"')
    end = seed.index("\n1.在状态机定义栏目的右侧")
    original = json.loads(seed[start:end])
    assert json.loads((EXAMPLE / "lottery.template.json").read_text()) == original


def test_the_aws_cli_script_follows_the_tutorial(tmp_path, store_args):
    # On each durable store: the executions in SQLite, or in PostgreSQL.
    server = Server(tmp_path / "data", store_args).start()
    try:
        env = dict(os.environ, BATON_ENDPOINT=server.url, PATH=f"{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}")
        proc = subprocess.run(["bash", str(EXAMPLE / "run-with-aws-cli.sh")], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "Execution SUCCEEDED" in proc.stdout

        won = winners(server.url)
        assert len(won) == 2
        sns = client(server.url, "sns")
        topic = sns.create_topic(Name="Lottery-Notification")["TopicArn"]  # idempotent: the same topic
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "Lottery"
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", EMAIL)]
        assert subs[0]["SubscriptionArn"].startswith(topic + ":"), "the confirmation link was not followed"

        mail = [m for m in mailbox(server.url) if m["topicArn"] == topic and CONGRATS.search(m["body"])]
        assert len(mail) == 1 and mail[0]["to"] == EMAIL
        # The names in the mail are the winners recorded in the table.
        employees = {i["employee_id"]["S"]: i["employee_name"]["S"]
                     for i in client(server.url, "dynamodb").scan(TableName="Lottery-Employee")["Items"]}
        assert sorted(CONGRATS.search(mail[0]["body"]).groups()) == sorted(employees[w] for w in won)
        assert CONGRATS.search(proc.stdout), "the script prints the mailbox"
    finally:
        server.stop()


def test_demo_draws_then_reuses_everything_on_a_second_run(tmp_path):
    data = tmp_path / "data"
    first = demo(data)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    for what in ["Lottery-Winners", "Lottery-Employee", "Lottery-InputWinners", "Lottery-RecordWinners", "state machine Lottery"]:
        assert re.search(rf"{what}\s+created", out), f"{what} not created:\n{out}"
    assert "confirmed (followed the link in the mailbox)" in out
    for state in ["Input Lottery Winners", "Random Select Winners", "Validate Winners", "Is Winner In Past Draw",
                  "Record Winner Queue", "Send SNS and Record In Dynamodb"]:
        assert f"✓ {state}" in out, f"no progress line for {state}:\n{out}"
    assert "Execution SUCCEEDED" in out
    assert CONGRATS.search(out), out
    console = re.search(r"Console: (http://127\.0\.0\.1:\d+/#/execution/(arn%3Aaws%3Astates%3A\S+))", out)
    assert console, out

    second = demo(data)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    out2 = second.stdout
    assert "created" not in out2, f"the second run re-created something:\n{out2}"
    assert re.search(r"Lottery-InputWinners\s+unchanged", out2)
    assert re.search(r"state machine Lottery\s+unchanged", out2)
    assert "confirmed earlier" in out2
    assert CONGRATS.search(out2)

    # Both draws are in the store, and their four winners are distinct.
    server = Server(data).start()
    try:
        assert len(winners(server.url)) == 4
        sfn = client(server.url)
        machine = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "Lottery"]
        assert len(machine) == 1
        runs = sfn.list_executions(stateMachineArn=machine[0]["stateMachineArn"])["executions"]
        assert [r["status"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"]
        assert urllib.parse.unquote(console.group(2)) in [r["executionArn"] for r in runs]
        lam = client(server.url, "lambda")
        assert len(lam.list_functions()["Functions"]) == 4
        # Someone changes a function's code: the next demo puts the seed's back.
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("lambda_function.py", "def lambda_handler(event, context):\n    return {}\n")
        lam.update_function_code(FunctionName="Lottery-InputWinners", ZipFile=buf.getvalue())
    finally:
        server.stop()
    third = demo(data)
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    assert re.search(r"Lottery-InputWinners\s+code updated", third.stdout)
    assert re.search(r"Lottery-RecordWinners\s+unchanged", third.stdout)
    assert "Execution SUCCEEDED" in third.stdout


def test_demo_exception_takes_the_custom_error_path_into_failed(tmp_path):
    proc = demo(tmp_path / "data", "--exception")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "Execution FAILED" in out
    assert "CustomError" in out and "An error occurred!!" in out
    assert "✗ Failed" in out
    assert "Random Select Winners" not in out.split("Drawing:")[1]
    assert not CONGRATS.search(out)


def test_demo_reset_clears_past_winners_and_a_full_table_ends_at_the_history_limit(tmp_path):
    data = tmp_path / "data"
    assert demo(data).returncode == 0
    # Everyone has won: as on AWS, the Choice loop redraws until the
    # execution's history reaches 25,000 events; the demo says so.
    server = Server(data).start()
    try:
        ddb = client(server.url, "dynamodb")
        for n in range(1, 11):
            ddb.put_item(TableName="Lottery-Winners", Item={"employee_id": {"S": f"E{n:03d}"}})
    finally:
        server.stop()
    looped = demo(data, timeout=400)
    out = looped.stdout
    assert looped.returncode == 1, out[-3000:] + looped.stderr[-3000:]
    assert "10 of the 10 employees have already won" in out
    assert "baton demo --reset" in out
    assert "Execution FAILED" in out and "States.Runtime" in out
    assert "maximum number of history events (25000)" in out

    reset = demo(data, "--reset")
    assert reset.returncode == 0, reset.stdout[-3000:]
    assert "10 past winners cleared" in reset.stdout
    assert "Execution SUCCEEDED" in reset.stdout
    server = Server(data).start()
    try:
        assert len(winners(server.url)) == 2
        sfn = client(server.url)
        failed = [e for e in sfn.list_executions(stateMachineArn=sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"])["executions"]
                  if e["status"] == "FAILED"]
        assert len(failed) == 1
        history = sfn.get_execution_history(executionArn=failed[0]["executionArn"], reverseOrder=True, maxResults=1)
        assert history["events"][0]["id"] == 25000
        assert history["events"][0]["type"] == "ExecutionFailed"
    finally:
        server.stop()


def test_a_second_demo_draws_on_the_demo_that_is_serving(tmp_path):
    port = free_port()
    cmd = [str(baton_binary()), "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in first.stdout:
            lines.append(line)
            if "keeps serving" in line:
                break
        assert "keeps serving" in lines[-1], "".join(lines)
        second = demo(tmp_path / "unused", port=port)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        assert f"A Baton already serves on http://127.0.0.1:{port}" in second.stdout
        assert "Execution SUCCEEDED" in second.stdout
        assert not (tmp_path / "unused").exists()
        assert len(winners(f"http://127.0.0.1:{port}")) == 4
        # The console link the demo prints is served by the running Baton.
        link = re.search(r"Console: (http://\S+)", second.stdout).group(1)
        import urllib.request

        with urllib.request.urlopen(link.split("#")[0]) as page:
            assert page.status == 200 and "<html" in page.read().decode().lower()
    finally:
        first.terminate()
        assert first.wait(timeout=20) == 0
