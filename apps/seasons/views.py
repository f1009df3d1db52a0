from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.imageio import ImageInputError
from apps.core.jobs import generate
from apps.core.ml import ModelUnavailable
from apps.core.services import CreationNotSaved, session_owner

from .forms import SeasonsForm
from .models import SeasonsPhoto
from .pipeline.types import DIRECTIONS


def _form_context(**extra) -> dict:
    return {"directions": list(DIRECTIONS.values()), **extra}


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "seasons/new.html", _form_context())
    form = SeasonsForm.from_request(request)
    try:
        if not form.is_valid():
            raise form.first_error()
        made = generate(
            "seasons", image=request.image_intake.get(), owner=session_owner(request), params=form.job_params()
        )
    except ImageInputError as error:
        return render(request, "seasons/new.html", _form_context(error=error.message), status=error.status)
    except (ModelUnavailable, CreationNotSaved) as error:
        return render(request, "seasons/new.html", _form_context(error=str(error)), status=503)
    return redirect(made)  # the result, or the page that waits for a queued job


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    photo = get_object_or_404(SeasonsPhoto, token=token, owner_session=request.session.session_key or "-")
    return render(request, "seasons/result.html", {"photo": photo, "direction": photo.direction_info})
