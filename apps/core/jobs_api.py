"""The API of queued jobs (EMOPIC_JOBS=celery): a photo endpoint answers 202 with a job to follow."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from .api import ErrorDetail, ErrorOut, api, error_json
from .jobs import GenerationBusy, JobQueueUnavailable, followed, job_error
from .models import Creation, Job

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: str
    tool: str
    status: str  # queued | running | done | failed
    attempts: int
    url: str  # GET it until status is done or failed
    page_url: str
    creation_url: str | None  # when done: the tool's API resource of the creation
    error: ErrorDetail | None  # when failed
    error_status: int | None  # when failed: the HTTP status the request would have had inline


def job_out(request: HttpRequest, job: Job) -> dict:
    error = job_error(job)
    # The tool's routers are mounted at /api/<tool>/ (apps.core.api), each with GET /{token}.
    creation_url = request.build_absolute_uri(f"/api/{job.tool}/{job.creation_token}") if job.creation_token else None
    return {
        "id": job.token,
        "tool": job.tool,
        "status": job.status,
        "attempts": job.attempts,
        "url": request.build_absolute_uri(f"/api/jobs/{job.token}"),
        "page_url": request.build_absolute_uri(job.get_absolute_url()),
        "creation_url": creation_url,
        "error": {"code": error.code, "message": error.message} if error else None,
        "error_status": error.status if error else None,
    }


def created(request: HttpRequest, made: Creation | Job, out: Callable[[HttpRequest, Creation], dict]):
    """A photo endpoint's answer: 201 with the creation (made in the request), or 202 with the queued job."""
    if isinstance(made, Job):
        return 202, job_out(request, made)
    return 201, out(request, made)


@router.get(
    "/{token}",
    response={200: JobOut, 404: ErrorOut},
    url_name="get_job",
    summary="A queued job: follow it until it ends",
)
def get_job(request: HttpRequest, token: str):
    """`status` goes queued → running → done (with `creation_url`) or failed (with `error`). A job whose worker
    died is run again, up to a few attempts, then failed: it never stays queued or running for ever."""
    return 200, job_out(request, followed(get_object_or_404(Job, token=token)))


@api.exception_handler(JobQueueUnavailable)
def _queue_unavailable(request: HttpRequest, exc: JobQueueUnavailable):
    return error_json(request, "queue_unavailable", str(exc), 503)


@api.exception_handler(GenerationBusy)
def _busy(request: HttpRequest, exc: GenerationBusy):
    response = error_json(request, "busy", str(exc), 503)
    response["Retry-After"] = "30"
    return response
