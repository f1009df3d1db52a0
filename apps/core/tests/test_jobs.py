"""Queued generation (EMOPIC_JOBS=celery) without a broker: what is sent is recorded, and the worker's task
is called in-process, so every step of a job's life runs here with the real models on a real photo.
tests/services/test_jobs_celery.py runs the same against a real Redis and a real worker process."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.core import jobs
from apps.core.imageio import decode_image_bytes
from apps.core.intake import intake_limits
from apps.core.ml import ModelUnavailable
from apps.core.models import Job, JobStatus
from apps.core.tasks import run_job
from apps.idphoto.models import IdPhoto
from apps.seasons.models import SeasonsPhoto
from tests.images import astronaut, encode, flat_image

pytestmark = pytest.mark.django_db
ASTRONAUT_JPEG = encode(astronaut(), "JPEG", quality=92)
NO_FACE_JPEG = encode(flat_image(300, 300), "JPEG")


def upload(data: bytes, **fields) -> dict:
    return {"image": SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"), **fields}


@pytest.fixture
def sent(settings, monkeypatch) -> list[int]:
    """Queue mode, with the broker replaced by a list of the job ids handed to it."""
    settings.EMOPIC_JOBS = "celery"
    ids: list[int] = []
    monkeypatch.setattr(jobs, "send_id", lambda job_id, countdown=None: ids.append(job_id))
    return ids


def media_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def make_stalled(job: Job, settings) -> None:
    """As a worker killed mid-attempt leaves it: running, started longer ago than any attempt may last."""
    started = timezone.now() - timedelta(seconds=settings.EMOPIC_JOB_TIME_LIMIT * 2 + 10)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=started, attempts=job.attempts + 1)


def test_inline_mode_makes_the_creation_in_the_request(client, settings):
    assert settings.EMOPIC_JOBS == "inline"
    response = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG))
    assert response.status_code == 201
    assert Job.objects.count() == 0


def test_a_queued_photo_is_a_202_job_that_a_worker_turns_into_the_creation(client, sent, settings):
    response = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG))
    assert response.status_code == 202, response.content
    body = response.json()
    job = Job.objects.get(token=body["id"])
    assert sent == [job.pk]
    assert (body["status"], body["tool"], body["creation_url"], body["error"]) == ("queued", "idphoto", None, None)
    assert IdPhoto.objects.count() == 0
    assert media_files(settings) == [f"jobs/{job.token}/input.png"]

    assert run_job(job.pk) == "done"

    followed = client.get(body["url"]).json()
    assert (followed["status"], followed["attempts"]) == ("done", 1)
    photo = IdPhoto.objects.get()
    assert followed["creation_url"].endswith(f"/api/idphoto/{photo.token}")
    assert client.get(followed["creation_url"]).json()["id"] == photo.token
    # The waiting photo is gone; the creation has its own files.
    assert not any(name.startswith("jobs/") for name in media_files(settings))


@pytest.mark.parametrize(
    ("endpoint", "fields"),
    [
        ("/api/idphoto/", {}),
        ("/api/emoticon/", {}),
        ("/api/seasons/", {"direction": "spring2autumn", "crop_x": 0, "crop_y": 0, "crop_size": 400}),
        ("/api/suit/", {"style": "charcoal-women", "size": "2x2in", "background": "#aabbcc"}),
    ],
)
def test_every_tool_queued_makes_its_creation_with_the_choices_sent(client, sent, endpoint, fields):
    job = client.post(endpoint, upload(ASTRONAUT_JPEG, **fields)).json()
    assert run_job(Job.objects.get(token=job["id"]).pk) == "done"
    made = client.get(client.get(job["url"]).json()["creation_url"]).json()
    assert made["engines"] and made["page_url"]
    creation = jobs.job_creation(Job.objects.get(token=job["id"]))
    assert creation.params["input_format"] == "jpeg" and creation.params["input_source"] == "upload"
    for name, value in fields.items():
        if name == "crop_size":
            assert creation.crop == {"x": 0, "y": 0, "size": 400}
        elif name in ("direction", "style", "background"):
            assert getattr(creation, "background_hex" if name == "background" else name) == value
        elif name == "size":
            assert creation.size_key == value


def test_the_worker_sees_exactly_the_pixels_an_inline_run_would(client, sent):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])
    image = jobs._load_input(job)
    decoded = decode_image_bytes(ASTRONAUT_JPEG, intake_limits())
    assert (image.rgb == decoded.rgb).all()
    assert (image.format, image.source) == ("jpeg", "upload")


def test_the_page_waits_on_the_job_and_moves_on_to_the_result(client, sent):
    response = client.post("/idphoto/", upload(ASTRONAUT_JPEG))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.token}/"
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200
    assert b"Making your emotional ID photo" in waiting.content
    assert waiting["Cache-Control"].startswith("max-age=0")

    run_job(job.pk)

    done = client.get(response["Location"])
    assert done.status_code == 302 and done["Location"] == IdPhoto.objects.get().get_absolute_url()


def test_a_photo_the_tool_cannot_use_ends_as_a_failed_job_with_the_inline_error(client, sent, settings):
    body = client.post("/api/idphoto/", upload(NO_FACE_JPEG)).json()
    job = Job.objects.get(token=body["id"])

    assert run_job(job.pk) == "failed"

    followed = client.get(body["url"]).json()
    assert followed["status"] == "failed"
    assert followed["error"]["code"] == "no_face" and "No face" in followed["error"]["message"]
    assert followed["error_status"] == 422
    page = client.get(f"/jobs/{job.token}/")
    assert page.status_code == 422 and b"No face was found" in page.content
    assert IdPhoto.objects.count() == 0 and media_files(settings) == []


def test_a_job_delivered_twice_runs_once(client, sent):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])
    assert run_job(job.pk) == "done"
    assert run_job(job.pk) == "skipped"
    assert IdPhoto.objects.count() == 1


def test_a_job_whose_worker_died_is_found_when_followed_and_run_again(client, sent, settings):
    body = client.post("/api/seasons/", upload(ASTRONAUT_JPEG, direction="summer2winter")).json()
    job = Job.objects.get(token=body["id"])
    make_stalled(job, settings)

    followed = client.get(body["url"]).json()

    assert followed["status"] == "queued" and followed["attempts"] == 1
    assert sent == [job.pk, job.pk]
    assert run_job(job.pk) == "done"
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert SeasonsPhoto.objects.get().direction == "summer2winter"


def test_a_job_the_database_could_not_claim_is_sent_again_not_dropped(client, sent, monkeypatch):
    from django.db import OperationalError

    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])

    def locked(job_id):
        raise OperationalError("database is locked")

    monkeypatch.setattr(jobs, "claim", locked)
    assert run_job(job.pk) == "retry"
    assert sent == [job.pk, job.pk]
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_a_running_job_within_its_time_is_left_alone(client, sent):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])
    assert jobs.claim(job.pk) is not None
    assert jobs.recover_stalled_jobs() == 0
    assert run_job(job.pk) == "skipped"  # a duplicate delivery while the first attempt runs
    assert sent == [job.pk]


def test_a_job_that_keeps_dying_is_failed_after_the_last_attempt(client, sent, settings):
    settings.EMOPIC_JOB_MAX_ATTEMPTS = 2
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])
    make_stalled(job, settings)
    job.refresh_from_db()
    make_stalled(job, settings)  # the second attempt died as well

    assert run_job(job.pk) == "skipped"

    followed = client.get(body["url"]).json()
    assert followed["status"] == "failed" and followed["error"]["code"] == "worker_lost"
    assert followed["error_status"] == 503
    assert not any(name.startswith("jobs/") for name in media_files(settings))


def test_a_lost_message_is_sent_again(client, sent):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    Job.objects.filter(token=body["id"]).update(enqueued_at=timezone.now() - jobs.QUEUED_TOO_LONG * 2)
    assert jobs.recover_stalled_jobs() == 1
    assert len(sent) == 2
    assert jobs.recover_stalled_jobs() == 0  # sent again just now: not again at once


def test_a_passing_model_fault_queues_the_job_again_then_fails_it_clearly(client, sent, settings, monkeypatch):
    settings.EMOPIC_JOB_MAX_ATTEMPTS = 2
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = Job.objects.get(token=body["id"])

    def unavailable(image, owner, params):
        raise ModelUnavailable("The face model could not be loaded.")

    monkeypatch.setitem(jobs._generators, "idphoto", unavailable)
    assert run_job(job.pk) == "retry"
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED and sent == [job.pk, job.pk]
    assert run_job(job.pk) == "failed"
    followed = client.get(body["url"]).json()
    assert (followed["status"], followed["error"]["code"], followed["error_status"]) == ("failed", "unavailable", 503)


def test_an_attempt_that_outlived_its_time_keeps_nothing_when_another_took_over(client, sent, settings):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    job = jobs.claim(Job.objects.get(token=body["id"]).pk)
    Job.objects.filter(pk=job.pk).update(attempts=job.attempts + 1)  # recovered and claimed by another worker

    assert jobs.run_claimed(job) == "superseded"

    assert IdPhoto.objects.count() == 0
    assert [name for name in media_files(settings) if name.startswith("idphoto/")] == []


def test_with_the_broker_unreachable_the_request_is_a_503_and_nothing_is_kept(client, settings):
    settings.EMOPIC_JOBS = "celery"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there
    response = client.post("/api/suit/", upload(ASTRONAUT_JPEG, style="navy-tie"))
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "queue_unavailable"
    assert Job.objects.count() == 0 and media_files(settings) == []
    page = client.post("/idphoto/", upload(ASTRONAUT_JPEG))
    assert page.status_code == 503 and b"could not take your photo" in page.content


def test_request_mistakes_are_told_at_once_not_queued(client, sent):
    response = client.post("/api/seasons/", upload(ASTRONAUT_JPEG, direction="summer2spring"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "unknown_direction"
    response = client.post("/api/idphoto/", {"image": SimpleUploadedFile("a.jpg", b"not a photo")})
    assert response.status_code in (400, 415)
    assert Job.objects.count() == 0 and sent == []


def test_another_visitors_job_page_is_a_404_but_the_api_token_is_a_capability(client, sent, django_user_model):
    from django.test import Client

    body = client.post("/api/emoticon/", json.dumps({"image": "data:image/jpeg;base64,"}),
                       content_type="application/json")  # fmt: skip
    assert body.status_code == 400  # an empty data URL: refused before any job
    job_body = client.post("/api/emoticon/", upload(ASTRONAUT_JPEG)).json()
    stranger = Client()
    assert stranger.get(f"/jobs/{job_body['id']}/").status_code == 404
    assert stranger.get(f"/api/jobs/{job_body['id']}").status_code == 200
    assert client.get("/api/jobs/nope").status_code == 404


def test_the_purge_removes_old_jobs_and_any_photo_still_waiting(client, sent, settings):
    body = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).json()
    Job.objects.filter(token=body["id"]).update(created_at=timezone.now() - timedelta(days=40))
    assert jobs.jobs_purge(older_than=timezone.now() - timedelta(days=30)) == (1, 0)
    assert Job.objects.count() == 0 and media_files(settings) == []


def test_inline_generations_wait_for_a_free_slot_and_a_long_wait_is_a_clear_503(client, settings, monkeypatch):
    import threading

    settings.EMOPIC_GENERATION_WAIT_SECONDS = 1
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(jobs, "_slots", slots)
    slots.acquire()  # another request is generating

    response = client.post("/api/idphoto/", upload(ASTRONAUT_JPEG))

    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "busy"
    assert IdPhoto.objects.count() == 0
    slots.release()  # it finished: the next request goes ahead
    assert client.post("/api/idphoto/", upload(ASTRONAUT_JPEG)).status_code == 201
    assert slots.acquire(blocking=False)  # and gave its slot back
