"""Fixtures for end-to-end tests: a real `baton serve` process and real AWS clients."""

import os
import pathlib
import socket
import subprocess
import time

import boto3
import pytest
from botocore.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"


def baton_binary() -> pathlib.Path:
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "baton"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `baton serve` child process on its own port and data directory."""

    def __init__(self, data_dir: pathlib.Path, extra=()):
        self.data_dir = data_dir
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        cmd = [str(baton_binary()), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir), *self.extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError(f"baton did not start: {line!r} {err}")
        return self

    def kill9(self):
        self.proc.kill()  # SIGKILL: no graceful shutdown
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def postgres_url() -> str:
    """The PostgreSQL server tests use (`BATON_TEST_POSTGRES`), by default the
    local one every Baton CI machine runs."""
    return os.environ.get("BATON_TEST_POSTGRES", "host=127.0.0.1 user=postgres dbname=test")


@pytest.fixture
def pg_schema():
    """A PostgreSQL schema of the test's own, dropped afterwards."""
    schema = f"baton_e2e_{os.getpid()}_{free_port()}"
    yield schema
    subprocess.run(["psql", postgres_url(), "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"],
                   capture_output=True, check=False)


@pytest.fixture(params=["sqlite", "postgres"])
def store_args(request):
    """`baton serve` arguments for each durable store: the embedded SQLite
    file, or a PostgreSQL schema of the test's own."""
    if request.param == "sqlite":
        return []
    schema = request.getfixturevalue("pg_schema")
    return ["--database", postgres_url(), "--database-schema", schema]


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data").start()
    yield s
    s.stop()


def client(url: str, service: str = "stepfunctions", **config):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def sfn(server):
    return client(server.url)


def aws_cli(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs the real `aws` CLI (v1, from the test venv) against Baton."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    proc = subprocess.run(["aws", "--endpoint-url", url, *args], capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed: {proc.stderr}")
    return proc


def wait_status(sfn, arn: str, timeout: float = 20.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running after {timeout}s")
