"""Heavy generation as jobs: in the request (EMOPIC_JOBS=inline) or on Celery workers (EMOPIC_JOBS=celery).

Each tool registers one generator, ``(image, owner, params) -> Creation``, from its AppConfig.ready().
``generate()`` is what a view calls: inline, it returns the creation (or raises the tool's own errors, as
before); queued, it stores the photo and a ``Job`` row, hands the job's id to the broker and returns the job,
which the page and the API then follow.

A job's row is its truth. A worker claims a job with a conditional update, so a job runs at most once at a
time even when the broker delivers its message twice; a job ends done (with its creation, saved in the same
transaction) or failed (with the code, message and HTTP status the visitor is shown). A job whose worker
died, or whose message was lost, is found by ``recover_stalled_jobs`` and queued again, up to
EMOPIC_JOB_MAX_ATTEMPTS attempts, then failed: never silently lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cv2
import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .creations import creation_key
from .hangups import client_gone
from .imageio import DecodedImage, ImageInputError, encode_png
from .ml import ModelUnavailable
from .models import Creation, Job, JobStatus
from .services import CreationNotSaved

logger = logging.getLogger(__name__)

Generator = Callable[[DecodedImage, str, dict[str, Any]], Creation]
# A queued job that no worker has started in this long had its message lost (say, Redis restarted empty).
QUEUED_TOO_LONG = timedelta(minutes=5)
HANG_UP_POLL_SECONDS = 0.5  # how often a request waiting for a generation slot checks that its client is there


def stalled_before(now: datetime) -> datetime:
    """A running attempt started before this has outlived Celery's hard time limit: its worker is gone."""
    return now - timedelta(seconds=settings.EMOPIC_JOB_TIME_LIMIT * 1.25 + 5)


class GenerationBusy(CreationNotSaved):
    """Every generation slot of this process stayed taken for the whole wait; nothing was kept."""


class ClientGone(CreationNotSaved):
    """The client hung up while its photo waited for a generation slot; the photo was never generated."""


class JobQueueUnavailable(CreationNotSaved):
    """The broker could not be reached; nothing was kept (a CreationNotSaved, so every view answers 503)."""


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    status: int


_generators: dict[str, Generator] = {}
_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def generation_slots() -> threading.BoundedSemaphore:
    """The process's inline generation slots: EMOPIC_GENERATION_SLOTS at a time, the others wait their turn.

    Under ASGI every request runs in its own thread, so without a limit 16 uploads run 16 generations at
    once: each gets an eighth of a 2-core machine, each holds ~100 MB, and a model that serialises its calls
    (the RDN) becomes a queue behind which one tool waits ten times longer than the others (bench/load.py).
    """
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.EMOPIC_GENERATION_SLOTS)
        return _slots


def register_generator(tool: str, generator: Generator) -> None:
    _generators[tool] = generator


def generate(tool: str, *, image: DecodedImage, owner: str, params: dict[str, Any] | None = None) -> Creation | Job:
    """Make a creation now, or queue it: a ``Creation`` when inline, a queued ``Job`` otherwise.

    Check the request's own parameters before calling this: a queued job should fail only on what the
    photo shows (no face...), never on a typo the request could have been told about at once.
    """
    params = params or {}
    generator = _generators[tool]
    if settings.EMOPIC_JOBS == "inline":
        slots = _wait_for_slot()
        try:
            return generator(image, owner, params)
        finally:
            slots.release()
    return _enqueue(tool, image, owner, params)


def _wait_for_slot() -> threading.BoundedSemaphore:
    """A generation slot, taken: waited for up to EMOPIC_GENERATION_WAIT_SECONDS, given up as soon as the
    client hangs up (under load, abandoned requests would otherwise take slots from the living)."""
    slots = generation_slots()
    deadline = time.monotonic() + settings.EMOPIC_GENERATION_WAIT_SECONDS
    while True:
        if client_gone():
            logger.info("The client hung up while waiting for a generation slot; not generating")
            raise ClientGone("The connection was closed before your photo could be started; nothing was kept.")
        remaining = deadline - time.monotonic()
        if slots.acquire(timeout=max(0.0, min(HANG_UP_POLL_SECONDS, remaining))):
            if not client_gone():
                return slots
            slots.release()
        elif remaining <= HANG_UP_POLL_SECONDS:
            raise GenerationBusy("We are very busy right now and could not start on your photo; nothing was kept. "
                                 "Please try again in a minute.")  # fmt: skip


def _enqueue(tool: str, image: DecodedImage, owner: str, params: dict[str, Any]) -> Job:
    job = Job(tool=tool, owner_session=owner, params=params, input_format=image.format, input_source=image.source)
    try:
        # PNG at low compression: lossless (the worker sees exactly the pixels an inline run would) and fast.
        job.input_file.save("input.png", ContentFile(encode_png_fast(image.rgb)), save=False)
        job.enqueued_at = timezone.now()
        job.save()
    except Exception as exc:
        _delete_input(job)
        logger.exception("Storing a %s job failed", tool)
        raise CreationNotSaved(
            "The photo could not be stored for processing; nothing was kept. Please try again."
        ) from exc
    try:
        send(job)
    except Exception as exc:
        logger.exception("The job queue is unreachable; dropping %s", job)
        _delete_input(job)
        job.delete()
        raise JobQueueUnavailable("The service is busy and could not take your photo; nothing was kept. "
                                  "Please try again in a minute.") from exc  # fmt: skip
    return job


def encode_png_fast(rgb: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return buffer.tobytes() if ok else encode_png(rgb)


def send(job: Job, countdown: float | None = None) -> None:
    send_id(job.pk, countdown)


def send_id(job_id: int, countdown: float | None = None) -> None:
    """Hand a job's id to the broker named by the settings (read now, so a test or a reload can change it)."""
    from emopic.celery import app

    from .tasks import run_job

    with app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
        run_job.apply_async(args=[job_id], connection=broker, queue=settings.EMOPIC_JOB_QUEUE, countdown=countdown,
                            retry=True)  # fmt: skip


def _delete_input(job: Job) -> None:
    if job.input_file:
        try:
            job.input_file.storage.delete(job.input_file.name)
        except Exception:  # kept data is reported, not hidden; the purge removes it later
            logger.exception("Could not delete the input of %s", job)


# --- The worker side ---------------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, started_at__lt=stalled_before(now))


def claim(job_id: int) -> Job | None:
    """Start an attempt: the job, now running, or None when it is not ours to run (ended, or running elsewhere)."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(_claimable(now), pk=job_id).first()
        if job is None:
            return None
        if job.attempts >= settings.EMOPIC_JOB_MAX_ATTEMPTS:
            _fail(job, JobError("worker_lost", "Making this stopped unexpectedly several times. Please try again "
                                "with another photo, or later.", 503))  # fmt: skip
            return None
        job.status, job.started_at, job.attempts = JobStatus.RUNNING, now, job.attempts + 1
        job.save(update_fields=["status", "started_at", "attempts"])
    return job


def run_claimed(job: Job) -> str:
    """Run one attempt of a claimed job: "done", "failed", "retry" (a passing fault: send it again) or
    "superseded" (this attempt ran past its time and another one owns the job)."""
    creation = None
    try:
        image = _load_input(job)
        with transaction.atomic():
            creation = _generators[job.tool](image, job.owner_session, job.params)
            _finish(job, creation)
    except AttemptSuperseded:
        # The row was rolled back with the transaction; its files were written before it and go now.
        logger.warning("%s: attempt %d finished after it was superseded; its result is dropped", job, job.attempts)
        for field_file in creation.file_fields() if creation is not None else []:
            field_file.storage.delete(field_file.name)
        return "superseded"
    except ImageInputError as error:
        _fail(job, JobError(error.code, error.message, error.status))
        return "failed"
    except (ModelUnavailable, CreationNotSaved) as error:
        if job.attempts >= settings.EMOPIC_JOB_MAX_ATTEMPTS:
            _fail(job, JobError("unavailable", str(error), 503))
            return "failed"
        Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, enqueued_at=timezone.now())
        logger.warning("%s: attempt %d failed (%s); queued again", job, job.attempts, error)
        return "retry"
    except Exception:
        logger.exception("%s failed", job)
        _fail(job, JobError("generation_failed", "Something went wrong while making this. Please try again.", 500))
        return "failed"
    _delete_input(job)
    return "done"


def _load_input(job: Job) -> DecodedImage:
    with job.input_file.open("rb") as stored:
        data = np.frombuffer(stored.read(), np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ImageInputError("input_lost", "The photo waiting for processing could not be read. Please send it "
                              "again.", status=503)  # fmt: skip
    return DecodedImage(rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), format=job.input_format, source=job.input_source)


class AttemptSuperseded(RuntimeError):
    """This attempt outlived its time and the job was handed to another attempt: its result is dropped."""


def _finish(job: Job, creation: Creation) -> None:
    """Mark the job done with ``creation``; called inside the transaction that saved the creation's row."""
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.creation_key, job.creation_token = creation_key(creation), creation.token
    mine = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
    if not mine.update(status=job.status, finished_at=job.finished_at, creation_key=job.creation_key,
                       creation_token=job.creation_token):  # fmt: skip
        raise AttemptSuperseded(str(job))


def _fail(job: Job, error: JobError) -> None:
    job.status, job.finished_at = JobStatus.FAILED, timezone.now()
    job.error_code, job.error_message, job.error_status = error.code, error.message, error.status
    job.save(update_fields=["status", "finished_at", "error_code", "error_message", "error_status"])
    _delete_input(job)


def job_error(job: Job) -> JobError | None:
    if job.status != JobStatus.FAILED:
        return None
    return JobError(job.error_code, job.error_message, job.error_status or 500)


def job_creation(job: Job) -> Creation | None:
    """The creation a done job made (None before, or if it has since been deleted)."""
    if job.status != JobStatus.DONE or not job.creation_key:
        return None
    from .creations import creation_from_key

    return creation_from_key(job.creation_key)


# --- Recovery ------------------------------------------------------------------------------------------


def followed(job: Job) -> Job:
    """``job`` as someone following it should see it: sent again first if it has stalled."""
    if not job.finished and recover_stalled_jobs(Job.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return job


def recover_stalled_jobs(jobs: Any = None) -> int:
    """Queue again every job whose worker died mid-attempt or whose message was lost; the number queued.

    ``jobs`` narrows the search (a queryset of Job), e.g. to the one job a visitor is waiting for.
    """
    now = timezone.now()
    stalled_running = Q(status=JobStatus.RUNNING, started_at__lt=stalled_before(now))
    lost_queued = Q(status=JobStatus.QUEUED, enqueued_at__lt=now - QUEUED_TOO_LONG)
    queued = 0
    for job in (Job.objects.all() if jobs is None else jobs).filter(stalled_running | lost_queued):
        # Only one recoverer re-sends a job: the one whose update still sees it stalled.
        if (
            Job.objects.filter(stalled_running | lost_queued, pk=job.pk).update(
                status=JobStatus.QUEUED, enqueued_at=now
            )
            != 1
        ):
            continue
        logger.warning("%s stalled (attempt %d); sending it again", job, job.attempts)
        try:
            send(job)
        except Exception:
            logger.exception("Could not send %s again; the next recovery retries it", job)
            continue
        queued += 1
    return queued


def jobs_purge(*, older_than: datetime) -> tuple[int, int]:
    """Delete the job rows made before ``older_than``, any photo still waiting in them first: (deleted, kept).

    A row whose photo could not be deleted is kept, for the next purge to retry.
    """
    deleted = kept = 0
    for job in Job.objects.filter(created_at__lt=older_than).only("pk", "input_file").iterator():
        try:
            if job.input_file:
                job.input_file.storage.delete(job.input_file.name)
        except Exception:
            logger.exception("Could not delete the photo of %s; its row is kept for the next purge", job)
            kept += 1
            continue
        job.delete()
        deleted += 1
    return deleted, kept
