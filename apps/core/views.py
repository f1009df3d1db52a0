from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .creations import creations_of
from .imageio import ImageInputError
from .intake import error_response, wants_json
from .jobs import followed, job_error
from .models import Job, JobStatus
from .tools import TOOLS


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@require_GET
def my_creations(request: HttpRequest) -> HttpResponse:
    creations = creations_of(request.session.session_key or "")
    return render(request, "core/my_creations.html", {"creations": creations})


@require_GET
@never_cache
def job(request: HttpRequest, token: str) -> HttpResponse:
    """The page a visitor waits on while a worker makes their creation; it moves on to the result by itself."""
    waiting = followed(get_object_or_404(Job, token=token, owner_session=request.session.session_key or "-"))
    if waiting.status == JobStatus.DONE:
        return redirect(waiting.creation_page_url())
    tool = next(tool for tool in TOOLS if tool.key == waiting.tool)
    error = job_error(waiting)
    context = {"job": waiting, "tool": tool, "error": error}
    return render(request, "core/job.html", context, status=error.status if error else 200)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler: a request refused before any view ran, said plainly, as a page or as JSON.

    The CSRF check reads a page form's body before the view does, so a body over Django's size cap (a
    webcam capture of a huge photo) fails there, and Django's own answer is a bare "Bad Request (400)".
    """
    return error_response(request, refusal(exception))


def refusal(exception: Exception | None) -> ImageInputError:
    """What a request that Django refused before the view means for the visitor."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.EMOPIC_MAX_IMAGE_BYTES / 1e6
        return ImageInputError(
            "too_large",
            f"This photo is too large: the limit is {limit:.0f} MB. Nothing was kept; try a smaller copy.",
            413,
        )
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError)):
        return ImageInputError(
            "bad_form", "The form data could not be read. Nothing was kept; reload the page and try again."
        )
    return ImageInputError(
        "bad_request", "This request could not be read. Nothing was kept; reload the page and try again."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a page form whose security token is missing or stale (an old tab, cleared cookies)."""
    error = ImageInputError(
        "form_expired",
        "This page's form has expired, so your photo was not sent and nothing was kept. "
        "Reload the page and send it again.",
        403,
    )
    if wants_json(request):
        return error_response(request, error)
    return render(request, "core/form_expired.html", {"error": error}, status=error.status)
