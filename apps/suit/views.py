from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.imageio import ImageInputError
from apps.core.jobs import generate
from apps.core.ml import ModelUnavailable
from apps.core.services import CreationNotSaved, session_owner
from apps.idphoto.pipeline.sizes import ID_SIZES
from apps.idphoto.views import size_links, size_response

from .forms import RefitForm, SuitForm
from .models import SuitPhoto
from .pipeline.garments import STYLES
from .services import LIFT_RANGE, WIDEN_RANGE, render_size, style_preview_png, suit_refit


def _own_photo(request: HttpRequest, token: str) -> SuitPhoto:
    # Someone else's creation is answered exactly like a missing one.
    return get_object_or_404(SuitPhoto, token=token, owner_session=request.session.session_key or "-")


def _new_context(form: SuitForm | None = None, error: str | None = None) -> dict:
    data = form.data if form is not None else {}
    return {"styles": STYLES.values(), "sizes": ID_SIZES.values(), "chosen_style": data.get("style"),
            "chosen_size": data.get("size"), "error": error}  # fmt: skip


def _result_context(photo: SuitPhoto, error: str | None = None) -> dict:
    return {"photo": photo, "sizes": size_links(photo, photo.size_key), "styles": STYLES.values(),
            "style": STYLES[photo.style],
            "lift_range": LIFT_RANGE, "widen_range": WIDEN_RANGE, "error": error}  # fmt: skip


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "suit/new.html", _new_context())
    form = SuitForm.from_request(request)
    if not form.is_valid():
        return render(request, "suit/new.html", _new_context(form, form.first_error().message), status=422)
    try:
        made = generate(
            "suit", image=request.image_intake.get(), owner=session_owner(request), params=form.job_params()
        )
    except ImageInputError as error:
        return render(request, "suit/new.html", _new_context(form, error.message), status=error.status)
    except (ModelUnavailable, CreationNotSaved) as error:
        return render(request, "suit/new.html", _new_context(form, str(error)), status=503)
    return redirect(made)  # the result, or the page that waits for a queued job


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    return render(request, "suit/result.html", _result_context(_own_photo(request, token)))


@require_POST
def refit(request: HttpRequest, token: str) -> HttpResponse:
    photo = _own_photo(request, token)
    form = RefitForm(request.POST)
    if not form.is_valid():
        return render(request, "suit/result.html", _result_context(photo, form.first_error().message), status=422)
    try:
        suit_refit(photo=photo, **form.cleaned_data)
    except CreationNotSaved as error:
        return render(request, "suit/result.html", _result_context(_own_photo(request, token), str(error)), status=503)
    return redirect(photo)


@require_GET
@cache_control(max_age=86400)
def style_preview(request: HttpRequest, style: str) -> HttpResponse:
    if style not in STYLES:
        raise Http404("Unknown style")
    return HttpResponse(style_preview_png(style), content_type="image/png")


@require_GET
def download_size(request: HttpRequest, token: str, size_key: str, sheet: bool = False) -> HttpResponse:
    # Capability URL: the unguessable token is the permission, as for the media files.
    photo = get_object_or_404(SuitPhoto, token=token)
    size = ID_SIZES.get(size_key)
    if size is None:
        raise Http404("Unknown size")
    return size_response(render_size(photo=photo, size=size, sheet=sheet), photo, size, sheet)
