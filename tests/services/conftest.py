"""Tests against the scale-out services on loopback: Redis and an S3 API server (moto's server mode).

`make test-services` starts both (`make services`) and sets ``EMOPIC_REDIS_URL`` and ``EMOPIC_S3_*``.
Every test in this folder carries the ``services`` mark. Without those variables, or when a server does
not answer, the tests skip and say why, so the embedded default suite passes on a machine without
them; ``EMOPIC_SERVICES_REQUIRED=True`` (set by `make test-services`) turns those skips into failures,
so that a server that died cannot pass CI as a row of skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m services` deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.services)


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the services are required (`make test-services`)."""
    if os.getenv("EMOPIC_SERVICES_REQUIRED", "") == "True":
        pytest.fail(f"{reason} (EMOPIC_SERVICES_REQUIRED=True)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Redis


def redis_answers(url: str) -> str:
    """Why the server at ``url`` does not answer PING; empty when it does."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"{type(error).__name__}: {error}"
    finally:
        client.close()
    return ""


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a Redis server that answers PING (``EMOPIC_REDIS_URL``), or a skip that says why."""
    url = os.getenv("EMOPIC_REDIS_URL", "")
    if not url:
        unavailable("EMOPIC_REDIS_URL is unset: `make test-services` starts Redis on loopback and sets it")
    if problem := redis_answers(url):
        unavailable(f"Redis at {url} does not answer PING ({problem}): start it with `make services`")
    return url


@dataclass
class PrivateRedis:
    """A Redis server of one test's own, on a free loopback port, that the test may stop and start again."""

    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize", "yes", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder), "--pidfile", str(self.folder / "redis.pid"),
             "--logfile", str(self.folder / "redis.log")],
            check=True,
        )  # fmt: skip
        self._wait(up=True)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True, check=False)  # fmt: skip
        self._wait(up=False)

    def _wait(self, *, up: bool) -> None:
        deadline = time.monotonic() + 10
        while (redis_answers(self.url) == "") != up:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis on :{self.port} did not {'start' if up else 'stop'}")
            time.sleep(0.1)


@pytest.fixture
def private_redis(redis_url, tmp_path) -> Iterator[PrivateRedis]:
    """A Redis to stop and restart, so that the shared one stays up for the other tests."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed here: `make services` installs Debian's package")
    server = PrivateRedis(port=free_port(), folder=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# S3


@dataclass(frozen=True)
class S3Bucket:
    """A bucket on the S3 API server, with a boto3 client to look inside it."""

    client: Any
    name: str
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str

    def keys(self, prefix: str = "") -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def storage(self, **options: Any) -> dict:
        """A STORAGES entry for django-storages' S3Storage on this bucket, as the settings build it."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.name,
                "endpoint_url": self.endpoint_url,
                "region_name": self.region,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "querystring_auth": True,
                "file_overwrite": False,
                **options,
            },
        }


@pytest.fixture(scope="session")
def s3_bucket() -> S3Bucket:
    """The bucket named by ``EMOPIC_S3_BUCKET`` on ``EMOPIC_S3_ENDPOINT_URL``, created if missing; or a skip."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    name = os.getenv("EMOPIC_S3_BUCKET", "")
    endpoint = os.getenv("EMOPIC_S3_ENDPOINT_URL", "")
    if not name or not endpoint:
        unavailable("EMOPIC_S3_BUCKET or EMOPIC_S3_ENDPOINT_URL is unset: `make test-services` starts an S3 API "
                    "server (moto) on loopback and sets them")  # fmt: skip
    bucket = S3Bucket(
        client=None,
        name=name,
        endpoint_url=endpoint,
        region=os.getenv("EMOPIC_S3_REGION") or "us-east-1",
        access_key=os.getenv("EMOPIC_S3_ACCESS_KEY") or "testing",
        secret_key=os.getenv("EMOPIC_S3_SECRET_KEY") or "testing",
    )
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=bucket.region,
        aws_access_key_id=bucket.access_key,
        aws_secret_access_key=bucket.secret_key,
        config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}),
    )
    try:
        existing = {item["Name"] for item in client.list_buckets().get("Buckets", [])}
        if name not in existing:
            client.create_bucket(Bucket=name)
    except (BotoCoreError, ClientError) as error:
        unavailable(f"The S3 server at {endpoint} does not answer ({error}): start it with `make services`")
    return S3Bucket(**{**bucket.__dict__, "client": client})


@pytest.fixture
def s3_storage(s3_bucket, settings) -> Iterator[S3Bucket]:
    """Media in the S3 bucket for this test, whatever the settings chose at import time; the objects the
    test made are deleted afterwards.

    Changing STORAGES through pytest-django's ``settings`` resets ``default_storage`` (Django's
    ``storages_changed`` signal), and the FileFields use that lazy object, so they follow.
    """
    before = s3_bucket.keys()
    settings.STORAGES = {**settings.STORAGES, "default": s3_bucket.storage()}
    yield s3_bucket
    for key in s3_bucket.keys() - before:
        s3_bucket.client.delete_object(Bucket=s3_bucket.name, Key=key)
