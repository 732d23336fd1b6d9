"""`baton serve --auth FILE`: SigV4 verification against real AWS clients."""

import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import REGION, Server, baton_binary, client

KEY_ID = "AKIDBATONTEST"
SECRET = "baton/secret+key"

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture
def auth_server(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([
        {"accessKeyId": KEY_ID, "secretAccessKey": SECRET},
        {"accessKeyId": "AKIDOTHER", "secretAccessKey": "other"},
    ]))
    s = Server(tmp_path / "data", ["--auth", str(keys)]).start()
    yield s
    s.stop()


def signed_client(url, key_id=KEY_ID, secret=SECRET, service="stepfunctions"):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response


def signed_request(url, body: bytes, when=None, key_id=KEY_ID, secret=SECRET):
    """A ListStateMachines request signed by botocore, optionally at another time."""
    req = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
    })
    signer = SigV4Auth(Credentials(key_id, secret), "states", REGION)
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(req)
    return req


def post(url, headers, body: bytes):
    """Posts with urllib; returns (status, parsed JSON body)."""
    r = urllib.request.Request(url + "/", data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_right_key_is_accepted(auth_server):
    sfn = signed_client(auth_server.url)
    assert sfn.list_state_machines()["stateMachines"] == []
    # Any configured key works, and the usual work goes through.
    other = signed_client(auth_server.url, "AKIDOTHER", "other")
    created = other.create_state_machine(
        name="m", roleArn="arn:aws:iam::123456789012:role/r",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    assert sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])["name"] == "m"


def test_wrong_secret_is_invalid_signature(auth_server):
    r = error_of(lambda: signed_client(auth_server.url, secret="wrong").list_state_machines())
    assert r["Error"]["Code"] == "InvalidSignatureException"
    assert r["Error"]["Message"] == MISMATCH
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_key_is_unrecognized_client(auth_server):
    r = error_of(lambda: client(auth_server.url).list_state_machines())  # conftest's "test" key
    assert r["Error"]["Code"] == "UnrecognizedClientException"
    assert r["Error"]["Message"] == "The security token included in the request is invalid."


def test_tampered_body_is_rejected(auth_server):
    req = signed_request(auth_server.url, b'{"maxResults": 10}')
    status, body = post(auth_server.url, req.headers.items(), b'{"maxResults": 10}')
    assert status == 200 and body["stateMachines"] == []
    status, body = post(auth_server.url, req.headers.items(), b'{"maxResults": 11}')
    assert status == 400
    assert body == {"__type": "com.amazon.coral.service#InvalidSignatureException", "message": MISMATCH}


def test_unsigned_request_is_rejected(auth_server):
    status, body = post(auth_server.url, {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines",
    }, b"{}")
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#MissingAuthenticationTokenException"


def test_old_signature_has_expired(auth_server):
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    req = signed_request(auth_server.url, b"{}", when=when)
    status, body = post(auth_server.url, req.headers.items(), b"{}")
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    assert body["message"].startswith(f"Signature expired: {stamp} is now earlier than "), body
    assert body["message"].endswith(" - 15 min.)"), body


def test_signature_within_the_window_is_accepted(auth_server):
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    req = signed_request(auth_server.url, b"{}", when=when)
    status, _ = post(auth_server.url, req.headers.items(), b"{}")
    assert status == 200


def aws_binary() -> str:
    venv_aws = pathlib.Path(sys.executable).parent / "aws"
    return str(venv_aws) if venv_aws.exists() else (shutil.which("aws") or "aws")


def aws_cli(url, key_id, secret, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION=REGION)
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return subprocess.run([aws_binary(), "--endpoint-url", url, *args], capture_output=True, text=True, env=env)


def test_aws_cli_with_the_right_credentials(auth_server):
    ok = aws_cli(auth_server.url, KEY_ID, SECRET, "stepfunctions", "list-state-machines")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["stateMachines"] == []
    bad = aws_cli(auth_server.url, KEY_ID, "wrong", "stepfunctions", "list-state-machines")
    assert bad.returncode != 0
    assert "InvalidSignatureException" in bad.stderr


def test_without_auth_any_credentials_work(server):
    assert signed_client(server.url, "anything", "at-all").list_state_machines()["stateMachines"] == []
    status, _ = post(server.url, {"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}, b"{}")
    assert status == 200


def test_bad_auth_file_stops_the_server(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text('[{"accessKeyId": "A"}]')
    proc = subprocess.run([str(baton_binary()), "serve", "--in-memory", "--port", "0", "--auth", str(keys)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert '"secretAccessKey" must be a non-empty string' in proc.stderr
