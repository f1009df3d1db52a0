"""Heavy generation on a real Celery worker process, through the real Redis broker (EMOPIC_JOBS=celery).

The worker is a separate process, so it must share the database with the test: these tests need PostgreSQL
(`make test-services` sets it up), and commit their rows (``transactional_db``). Storage is whatever the
environment chose (S3 on the S3 server under `make test-services`), the same for the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.core.models import Job, JobStatus
from apps.idphoto.models import IdPhoto
from tests.images import astronaut, encode
from tests.services.conftest import unavailable

REPO = Path(__file__).resolve().parents[2]
TIME_LIMIT = 8  # seconds an attempt may run: a dead worker's job is taken up again about 15 s after it started
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)


@pytest.fixture
def queue(redis_url, settings, transactional_db) -> str:
    """Queue mode on a queue of this test's own, so nothing left in the shared Redis reaches its workers."""
    if connection.vendor != "postgresql":
        unavailable("a worker process cannot share the in-memory SQLite test database: run with EMOPIC_POSTGRES_*")
    name = f"test-{uuid.uuid4().hex[:8]}"
    settings.EMOPIC_JOBS = "celery"
    settings.EMOPIC_JOB_TIME_LIMIT = TIME_LIMIT
    settings.CELERY_BROKER_URL = redis_url
    settings.EMOPIC_JOB_QUEUE = name
    return name


@pytest.fixture
def start_worker(queue, redis_url, settings, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start a `celery worker` process on the test's queue and database; every one is stopped at the end."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "EMOPIC_JOBS": "celery",
            "EMOPIC_REDIS_URL": redis_url,
            "EMOPIC_POSTGRES_DB": connection.settings_dict["NAME"],  # the test database
            "EMOPIC_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMOPIC_JOB_TIME_LIMIT": str(TIME_LIMIT),
            "EMOPIC_JOB_QUEUE": queue,
        }
        log = open(tmp_path / f"worker{len(started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "emopic", "worker", "--pool=solo",
             "-n", f"{queue}-{len(started)}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-l", "INFO"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def follow(client, url: str, timeout: float = 120) -> dict:
    """GET the job until it ends, as a client of the API does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"the job did not end in {timeout} s: {job}")


def upload() -> dict:
    return {"image": SimpleUploadedFile("photo.jpg", ASTRONAUT_JPEG, content_type="image/jpeg")}


def assert_whole(photo: IdPhoto) -> None:
    for field_file in photo.file_fields():
        assert field_file.storage.exists(field_file.name), field_file.name


def test_a_worker_process_makes_the_queued_photo(client, start_worker):
    start_worker()
    response = client.post("/api/idphoto/", upload())
    assert response.status_code == 202, response.content

    job = follow(client, response.json()["url"])

    assert (job["status"], job["attempts"]) == ("done", 1), job
    created = client.get(job["creation_url"])
    assert created.status_code == 200
    photo = IdPhoto.objects.get(token=created.json()["id"])
    assert_whole(photo)
    stored = Job.objects.get(token=job["id"])
    assert not stored.input_file or not stored.input_file.storage.exists(stored.input_file.name)


def test_a_job_whose_worker_is_killed_mid_job_is_run_again_by_another(client, start_worker):
    first = start_worker()
    response = client.post("/api/idphoto/", upload())
    token = response.json()["id"]
    deadline = time.monotonic() + 60
    while Job.objects.get(token=token).status != JobStatus.RUNNING:
        assert time.monotonic() < deadline and first.poll() is None, "the first worker never started the job"
        time.sleep(0.05)

    first.kill()  # SIGKILL: no clean-up, the job is left running and its message unacknowledged
    first.wait()
    assert Job.objects.get(token=token).status == JobStatus.RUNNING
    start_worker()

    job = follow(client, response.json()["url"])

    assert (job["status"], job["attempts"]) == ("done", 2), job
    photos = IdPhoto.objects.filter(token=client.get(job["creation_url"]).json()["id"])
    assert photos.count() == 1
    assert_whole(photos.get())
    assert IdPhoto.objects.count() == 1  # the killed attempt left no creation behind


def test_with_redis_gone_a_photo_is_refused_clearly_and_nothing_is_kept(client, queue, private_redis, settings):
    settings.CELERY_BROKER_URL = private_redis.url
    private_redis.stop()

    response = client.post("/api/idphoto/", upload())

    assert response.status_code == 503 and response.json()["error"]["code"] == "queue_unavailable"
    assert Job.objects.count() == 0
