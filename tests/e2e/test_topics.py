"""SNS on Baton: topics, subscriptions and publish through boto3 and the aws
CLI (awsQuery wire, AWS's error XML), e-mail into the built-in mailbox with a
working confirmation link, a state machine's sns:publish task delivering to
a real SMTP server, HTTP/S delivery whose signatures verify with the served
certificate, Lambda subscribers, and a kill -9 during a publish burst with no
acknowledged message lost."""

import base64
import http.server
import io
import json
import os
import sys
import threading
import time
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import ACCOUNT, REGION, Server, client, aws_cli, free_port, wait_status

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def mailbox(url):
    with urllib.request.urlopen(f"{url}/_baton/mailbox") as r:
        return json.loads(r.read())["messages"]


class Recorder:
    """An HTTP endpoint that records every POST (headers and body)."""

    def __init__(self, status=200):
        self.requests = []
        self.lock = threading.Lock()
        self.status = status
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                status = recorder.status
                if status < 300:  # an endpoint that is down takes nothing in
                    with recorder.lock:
                        recorder.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def of_type(self, kind):
        with self.lock:
            return [(h, b) for h, b in self.requests if h.get("x-amz-sns-message-type") == kind]

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("sns") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def sns(server):
    return client(server.url, "sns")


def test_topic_lifecycle(sns):
    arn = sns.create_topic(Name="lottery", Attributes={"DisplayName": "Lottery"},
                           Tags=[{"Key": "team", "Value": "draws"}])["TopicArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:lottery"
    # Idempotent for the same name and attributes; an error for different ones.
    assert sns.create_topic(Name="lottery", Attributes={"DisplayName": "Lottery"})["TopicArn"] == arn
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="lottery", Attributes={"DisplayName": "Other"})
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert "already exists with different attributes" in e.value.response["Error"]["Message"]

    assert arn in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Lottery"
    assert attrs["Owner"] == ACCOUNT
    assert attrs["SubscriptionsConfirmed"] == "0"
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Lucky")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Lucky"

    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "draws", "env": "test"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]

    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # deleting a missing topic is not an error
    with pytest.raises(sns.exceptions.NotFoundException) as e:
        sns.get_topic_attributes(TopicArn=arn)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert e.value.response["Error"] == {"Type": "Sender", "Code": "NotFound", "Message": "Topic does not exist"}


def test_list_topics_pages(sns):
    arns = [sns.create_topic(Name=f"page-{i:03}")["TopicArn"] for i in range(105)]
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    listed = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert set(arns) <= set(listed)
    for a in arns:
        sns.delete_topic(TopicArn=a)


def test_email_confirmation_link_publish_and_filter(server, sns):
    arn = sns.create_topic(Name="mail", Attributes={"DisplayName": "Lottery"})["TopicArn"]
    urllib.request.urlopen(urllib.request.Request(f"{server.url}/_baton/mailbox", method="DELETE"))
    assert sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="winner@example.com")["SubscriptionArn"] == "pending confirmation"
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert subs == [{"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email",
                     "Endpoint": "winner@example.com", "TopicArn": arn}]

    confirm = wait_for(lambda: [m for m in mailbox(server.url) if m["to"] == "winner@example.com"], what="confirmation mail")[0]
    assert confirm["subject"] == "AWS Notification - Subscription Confirmation"
    assert confirm["from"] == "Lottery <no-reply@sns.amazonaws.com>"
    link = next(line for line in confirm["body"].splitlines() if "Action=ConfirmSubscription" in line)
    assert link.startswith(f"{server.url}/?Action=ConfirmSubscription&TopicArn=")
    with urllib.request.urlopen(link) as r:  # the link works without credentials
        xml = r.read().decode()
    assert "<ConfirmSubscriptionResponse" in xml and f"<SubscriptionArn>{arn}:" in xml
    sub_arn = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"][0]["SubscriptionArn"]
    assert sub_arn.startswith(arn + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["ConfirmationWasAuthenticated"] == "false"

    # A second subscriber that only wants big draws (filter policy).
    picky = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="picky@example.com", ReturnSubscriptionArn=True,
                          Attributes={"FilterPolicy": json.dumps({"size": [{"numeric": [">=", 100]}]})})["SubscriptionArn"]
    token = wait_for(lambda: [m for m in mailbox(server.url) if m["to"] == "picky@example.com"], what="mail")[0]["body"]
    token = token.split("Token=")[1].split()[0]
    assert sns.confirm_subscription(TopicArn=arn, Token=token)["SubscriptionArn"] == picky
    with pytest.raises(sns.exceptions.InvalidParameterException) as e:
        sns.confirm_subscription(TopicArn=arn, Token="nope")
    assert e.value.response["Error"]["Message"] == "Invalid parameter: Token"

    sns.publish(TopicArn=arn, Message="small draw", Subject="Draw",
                MessageAttributes={"size": {"DataType": "Number", "StringValue": "5"}})
    sns.publish(TopicArn=arn, Message="big draw", Subject="Draw",
                MessageAttributes={"size": {"DataType": "Number", "StringValue": "500"}})
    mails = wait_for(lambda: (lambda ms: len(ms) >= 3 and ms)([m for m in mailbox(server.url) if m["subject"] == "Draw"]),
                     what="three draw mails")
    time.sleep(0.3)  # nothing else arrives (the filter held the small draw back from picky)
    mails = [m for m in mailbox(server.url) if m["subject"] == "Draw"]
    got = [m for m in mails if m["to"] == "picky@example.com"]
    assert sorted((m["to"], m["body"].split("\n")[0]) for m in mails) == [
        ("picky@example.com", "big draw"), ("winner@example.com", "big draw"), ("winner@example.com", "small draw")]
    assert "If you wish to stop receiving notifications from this topic" in got[0]["body"]
    assert got[0]["subscriptionArn"] == picky and got[0]["topicArn"] == arn
    assert got[0]["sentAt"].endswith("Z")

    # `baton mail` lists the same mailbox, from the server and from the data directory.
    import subprocess
    from conftest import baton_binary
    listed = json.loads(subprocess.run([str(baton_binary()), "mail", "--endpoint", server.url, "--json"],
                                       capture_output=True, text=True, check=True).stdout)["messages"]
    assert listed == mailbox(server.url)
    text = subprocess.run([str(baton_binary()), "mail", "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, check=True).stdout
    assert "To: picky@example.com" in text and "Subject: Draw" in text and "big draw" in text

    # Unsubscribe through the footer link.
    unsubscribe = next(line for line in got[0]["body"].splitlines() if "Action=Unsubscribe" in line)
    urllib.request.urlopen(unsubscribe).read()
    assert [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]] == ["winner@example.com"]
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsDeleted"] == "1"


def test_publish_variants(sns):
    arn = sns.create_topic(Name="variants")["TopicArn"]
    r = sns.publish(TopicArn=arn, Message=json.dumps({"default": "d", "email": "e"}), MessageStructure="json")
    assert len(r["MessageId"]) == 36
    r = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "one"},
        {"Id": "b", "Message": "two", "MessageAttributes": {"x": {"DataType": "Bogus", "StringValue": "1"}}},
    ])
    assert [s["Id"] for s in r["Successful"]] == ["a"]
    assert r["Failed"][0]["Id"] == "b" and r["Failed"][0]["Code"] == "ParameterValueInvalid" and r["Failed"][0]["SenderFault"]
    with pytest.raises(ClientError) as e:
        sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=[{"Id": "a", "Message": "1"}, {"Id": "a", "Message": "2"}])
    assert e.value.response["Error"]["Code"] == "BatchEntryIdsNotDistinct"
    fifo = sns.create_topic(Name="draws.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    r = sns.publish(TopicArn=fifo, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    assert r["SequenceNumber"].isdigit()


def test_errors_are_aws_shaped(server, sns):
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:missing"
    arn = sns.create_topic(Name="errors")["TopicArn"]
    cases = [
        (lambda: sns.publish(TopicArn=missing, Message="x"), "NotFound", 404, "Topic does not exist"),
        (lambda: sns.subscribe(TopicArn=missing, Protocol="email", Endpoint="a@b.co"), "NotFound", 404, "Topic does not exist"),
        (lambda: sns.subscribe(TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x"), "InvalidParameter", 400,
         "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"),
        (lambda: sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="not-an-address"), "InvalidParameter", 400,
         "Invalid parameter: Email address"),
        (lambda: sns.subscribe(TopicArn=arn, Protocol="http", Endpoint="https://example.com/"), "InvalidParameter", 400,
         "Invalid parameter: Endpoint must match the specified protocol"),
        (lambda: sns.publish(TopicArn=arn, Message="x" * (256 * 1024 + 1)), "InvalidParameter", 400,
         "Invalid parameter: Message too long"),
        (lambda: sns.publish(TopicArn=arn, Message="x", MessageAttributes={"a": {"DataType": "Date", "StringValue": "1"}}),
         "ParameterValueInvalid", 400, None),
        (lambda: sns.publish(TopicArn=arn, Message="{}", MessageStructure="json"), "InvalidParameter", 400,
         "Invalid parameter: Message Structure - No default entry in JSON message body"),
        (lambda: sns.create_topic(Name="bad name!"), "InvalidParameter", 400, "Invalid parameter: Topic Name"),
        (lambda: sns.get_topic_attributes(TopicArn="not-an-arn"), "InvalidParameter", 400, "Invalid parameter: TopicArn"),
        (lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="Nope", AttributeValue="1"), "InvalidParameter", 400,
         "Invalid parameter: AttributeName"),
        (lambda: sns.get_subscription_attributes(SubscriptionArn=arn + ":0b5a9c3e-0000-4000-8000-000000000000"), "NotFound", 404,
         "Subscription does not exist"),
        (lambda: sns.list_tags_for_resource(ResourceArn=missing), "ResourceNotFound", 404, "Resource does not exist"),
    ]
    for call, code, status, message in cases:
        with pytest.raises(ClientError) as e:
            call()
        err = e.value.response["Error"]
        assert (err["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status), err
        assert err["Type"] == "Sender"
        if message:
            assert err["Message"] == message
    # A 256 KB message exactly is fine.
    sns.publish(TopicArn=arn, Message="x" * (256 * 1024))
    # The raw wire: AWS's ErrorResponse document and request id header.
    req = urllib.request.Request(server.url + "/", data=b"Action=Frobnicate&Version=2010-03-31",
                                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    try:
        urllib.request.urlopen(req)
        raise AssertionError("expected an error")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        assert e.code == 400
        assert body.startswith('<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
                               '<Code>InvalidAction</Code>')
        assert f"<RequestId>{e.headers['x-amzn-RequestId']}</RequestId>" in body


def test_aws_cli(server):
    arn = json.loads(aws_cli(server.url, "sns", "create-topic", "--name", "cli-topic").stdout)["TopicArn"]
    out = json.loads(aws_cli(server.url, "sns", "subscribe", "--topic-arn", arn, "--protocol", "email",
                             "--notification-endpoint", "cli@example.com").stdout)
    assert out["SubscriptionArn"] == "pending confirmation"
    out = json.loads(aws_cli(server.url, "sns", "publish", "--topic-arn", arn, "--message", "hello",
                             "--subject", "Hi").stdout)
    assert "MessageId" in out
    subs = json.loads(aws_cli(server.url, "sns", "list-subscriptions-by-topic", "--topic-arn", arn).stdout)
    assert subs["Subscriptions"][0]["SubscriptionArn"] == "PendingConfirmation"
    bad = aws_cli(server.url, "sns", "publish", "--topic-arn", arn + "-nope", "--message", "x", check=False)
    assert bad.returncode != 0 and "NotFound" in bad.stderr and "Topic does not exist" in bad.stderr


def verify(envelope, cert_pem):
    """Checks an envelope's signature the way AWS's SDK validators do."""
    keys = (["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] if envelope["Type"] == "Notification"
            else ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"])
    text = "".join(f"{k}\n{envelope[k]}\n" for k in keys if k in envelope)
    digest = hashes.SHA256() if envelope["SignatureVersion"] == "2" else hashes.SHA1()
    cert = x509.load_pem_x509_certificate(cert_pem)
    cert.public_key().verify(base64.b64decode(envelope["Signature"]), text.encode(), padding.PKCS1v15(), digest)


def test_http_delivery_handshake_and_signatures(server, sns):
    hook = Recorder()
    try:
        arn = sns.create_topic(Name="hooks")["TopicArn"]
        assert sns.subscribe(TopicArn=arn, Protocol="http", Endpoint=hook.url)["SubscriptionArn"] == "pending confirmation"
        headers, body = wait_for(lambda: hook.of_type("SubscriptionConfirmation"), what="confirmation")[0]
        confirmation = json.loads(body)
        assert headers["x-amz-sns-topic-arn"] == arn
        assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
        assert confirmation["Message"].startswith(f"You have chosen to subscribe to the topic {arn}.")
        with urllib.request.urlopen(confirmation["SigningCertURL"]) as r:
            cert = r.read()
        verify(confirmation, cert)
        urllib.request.urlopen(confirmation["SubscribeURL"]).read()

        sns.publish(TopicArn=arn, Message="Congrats!", Subject="Winner",
                    MessageAttributes={"draw": {"DataType": "String", "StringValue": "2024-01"},
                                       "bin": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}})
        headers, body = wait_for(lambda: hook.of_type("Notification"), what="notification")[0]
        note = json.loads(body)
        assert note["Message"] == "Congrats!" and note["Subject"] == "Winner" and note["TopicArn"] == arn
        assert note["SignatureVersion"] == "1"
        assert note["MessageAttributes"] == {"bin": {"Type": "Binary", "Value": "AQI="},
                                             "draw": {"Type": "String", "Value": "2024-01"}}
        assert headers["x-amz-sns-message-id"] == note["MessageId"]
        assert headers["x-amz-sns-subscription-arn"].startswith(arn + ":")
        assert headers["content-type"] == "text/plain; charset=UTF-8"
        verify(note, cert)

        # SignatureVersion 2 (SHA256withRSA), then raw delivery.
        sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
        sns.publish(TopicArn=arn, Message="second")
        note = json.loads(wait_for(lambda: hook.of_type("Notification")[1:], what="second")[0][1])
        assert note["SignatureVersion"] == "2" and "Subject" not in note
        verify(note, cert)
        tampered = dict(note, Message="forged")
        with pytest.raises(Exception):
            verify(tampered, cert)
        sub = headers["x-amz-sns-subscription-arn"]
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
        sns.publish(TopicArn=arn, Message="raw body")
        headers, body = wait_for(lambda: hook.of_type("Notification")[2:], what="raw")[0]
        assert body == "raw body" and headers["x-amz-sns-rawdelivery"] == "true"
    finally:
        hook.close()


LOTTERY_NOTIFY = {
    "StartAt": "Notify Winners",
    "States": {"Notify Winners": {
        "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:Lottery-Notification", "Message.$": "$.sns"},
        "End": True}},
}


def test_state_machine_publish_reaches_a_real_smtp_server(tmp_path):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = Server(tmp_path / "data", ["--smtp-url", f"smtp://127.0.0.1:{smtp_port}", "--auto-confirm"]).start()
    try:
        sns = client(server.url, "sns")
        sfn = client(server.url)
        topic = sns.create_topic(Name="Lottery-Notification", Attributes={"DisplayName": "Lottery"})["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="alice@example.com")["SubscriptionArn"]
        assert sub.startswith(topic + ":")  # --auto-confirm
        sm = sfn.create_state_machine(name="notify", definition=json.dumps(LOTTERY_NOTIFY), roleArn=ROLE)["stateMachineArn"]
        message = "Congrats! [Alice Bob] You have selected as the Lucky Champ!"
        run = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"sns": message}))["executionArn"]
        d = wait_status(sfn, run)
        assert d["status"] == "SUCCEEDED", d
        out = json.loads(d["output"])
        assert set(out) == {"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}
        assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
        mail_from, rcpt, content = wait_for(lambda: received, what="SMTP delivery")[0]
        assert rcpt == ["alice@example.com"] and mail_from == "no-reply@sns.amazonaws.com"
        assert message in content and "Subject: AWS Notification Message" in content
        assert "From: Lottery <no-reply@sns.amazonaws.com>" in content

        # An object Message is sent as JSON text; a missing topic fails like AWS.
        obj = json.loads(json.dumps(LOTTERY_NOTIFY))
        obj["States"]["Notify Winners"]["Parameters"] = {"TopicArn": topic, "Message": {"winners": ["Alice"]}}
        sm2 = sfn.create_state_machine(name="notify-obj", definition=json.dumps(obj), roleArn=ROLE)["stateMachineArn"]
        assert wait_status(sfn, sfn.start_execution(stateMachineArn=sm2)["executionArn"])["status"] == "SUCCEEDED"
        wait_for(lambda: any('{"winners":["Alice"]}' in c for _, _, c in received), what="JSON message")
        obj["States"]["Notify Winners"]["Parameters"] = {"TopicArn": topic + "-gone", "Message": "x"}
        sm3 = sfn.create_state_machine(name="notify-missing", definition=json.dumps(obj), roleArn=ROLE)["stateMachineArn"]
        d = wait_status(sfn, sfn.start_execution(stateMachineArn=sm3)["executionArn"])
        assert d["status"] == "FAILED" and d["error"] == "SNS.NotFoundException"
        assert d["cause"].startswith("Topic does not exist (Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: ")
        # The mailbox stays empty when SMTP is configured.
        assert mailbox(server.url) == []
    finally:
        server.stop()
        controller.stop()


def test_lambda_subscriber_gets_the_sns_event(tmp_path):
    os.environ.setdefault("BATON_PYTHON", sys.executable)
    server = Server(tmp_path / "data").start()
    try:
        sns = client(server.url, "sns")
        lam = client(server.url, "lambda")
        out = tmp_path / "events.jsonl"
        code = ("import json, os\n"
                "def handler(event, context):\n"
                "    with open(os.environ['OUT'], 'a') as f:\n"
                "        f.write(json.dumps(event) + '\\n')\n"
                "    return 'ok'\n")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", code)
        fn = lam.create_function(FunctionName="on-draw", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": buf.getvalue()},
                                 Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
        topic = sns.create_topic(Name="draws")["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)["SubscriptionArn"]
        assert sub.startswith(topic + ":")  # no confirmation for lambda
        sns.publish(TopicArn=topic, Message="drawn", MessageAttributes={"n": {"DataType": "Number", "StringValue": "3"}})
        ev = wait_for(lambda: out.exists() and out.read_text().strip() and json.loads(out.read_text().splitlines()[0]),
                      timeout=60, what="lambda event")
        record = ev["Records"][0]
        assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == sub
        assert record["Sns"]["Message"] == "drawn" and record["Sns"]["TopicArn"] == topic
        assert record["Sns"]["MessageAttributes"] == {"n": {"Type": "Number", "Value": "3"}}
        assert record["Sns"]["Subject"] is None
    finally:
        server.stop()


def test_kill_9_during_publish_burst_loses_no_acknowledged_message(tmp_path):
    hook = Recorder()
    data = tmp_path / "data"
    server = Server(data, ["--auto-confirm"]).start()
    try:
        sns = client(server.url, "sns")
        topic = sns.create_topic(Name="burst")["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)["SubscriptionArn"]
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
        # Retry every second; the endpoint is down (503) during the burst, so
        # the messages pile up in the outbox when the server is killed.
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
            {"healthyRetryPolicy": {"numRetries": 100, "minDelayTarget": 1, "maxDelayTarget": 1}}))
        hook.status = 503
        acked = []
        stop = threading.Event()

        def publish():
            for i in range(1000):
                try:
                    sns.publish(TopicArn=topic, Message=f"m{i}")
                except (ClientError, EndpointConnectionError, Exception):
                    stop.set()
                    return
                acked.append(f"m{i}")

        t = threading.Thread(target=publish)
        t.start()
        wait_for(lambda: len(acked) >= 300, timeout=60, what="300 publishes")
        server.kill9()
        t.join(timeout=30)
        assert 300 <= len(acked) < 1000, len(acked)
        assert hook.requests == []
        server = Server(data, ["--auto-confirm"]).start()
        hook.status = 200

        def delivered():
            with hook.lock:
                return {b for _, b in hook.requests}
        wait_for(lambda: set(acked) <= delivered(), timeout=60, what="every acknowledged message delivered")
    finally:
        server.stop()
        hook.close()


def test_wait_for_task_token_round_trip_through_an_http_subscriber(tmp_path):
    hook = Recorder()
    server = Server(tmp_path / "data", ["--auto-confirm"]).start()
    try:
        sns = client(server.url, "sns")
        sfn = client(server.url)
        topic = sns.create_topic(Name="approvals")["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url,
                            Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
        assert sub.startswith(topic + ":")
        definition = {"StartAt": "Ask", "States": {"Ask": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": topic, "Message": {"token.$": "$$.Task.Token", "question": "pay out?"}},
            "End": True}}}
        sm = sfn.create_state_machine(name="approve", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=sm)["executionArn"]
        _, body = wait_for(lambda: hook.of_type("Notification"), what="the question")[0]
        message = json.loads(body)
        assert message["question"] == "pay out?"
        assert sfn.describe_execution(executionArn=run)["status"] == "RUNNING"
        sfn.send_task_success(taskToken=message["token"], output=json.dumps({"answer": "yes"}))
        d = wait_status(sfn, run)
        assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"answer": "yes"}
    finally:
        server.stop()
        hook.close()


def test_add_and_remove_permission(sns):
    arn = sns.create_topic(Name="shared")["TopicArn"]
    sns.add_permission(TopicArn=arn, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish", "Subscribe"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    partner = [s for s in policy["Statement"] if s["Sid"] == "partner"][0]
    assert partner["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert partner["Action"] == ["SNS:Publish", "SNS:Subscribe"] and partner["Resource"] == arn
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.add_permission(TopicArn=arn, Label="partner", AWSAccountId=["1"], ActionName=["Publish"])
    sns.remove_permission(TopicArn=arn, Label="partner")
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["__default_statement_ID"]


def test_email_json_gets_signed_envelopes(server, sns):
    arn = sns.create_topic(Name="json-mail")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email-json", Endpoint="robot@example.com")
    confirm = wait_for(lambda: [m for m in mailbox(server.url) if m["to"] == "robot@example.com"], what="mail")[0]
    envelope = json.loads(confirm["body"])
    assert envelope["Type"] == "SubscriptionConfirmation" and envelope["TopicArn"] == arn
    with urllib.request.urlopen(envelope["SigningCertURL"]) as r:
        cert = r.read()
    verify(envelope, cert)
    urllib.request.urlopen(envelope["SubscribeURL"]).read()
    sns.publish(TopicArn=arn, Message="machine-readable", Subject="For robots")
    mail = wait_for(lambda: [m for m in mailbox(server.url) if m["to"] == "robot@example.com"][1:], what="notification")[0]
    note = json.loads(mail["body"])
    assert mail["subject"] == "For robots"
    assert (note["Type"], note["Message"], note["Subject"]) == ("Notification", "machine-readable", "For robots")
    verify(note, cert)
