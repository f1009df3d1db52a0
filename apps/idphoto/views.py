from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.imageio import ImageInputError
from apps.core.jobs import generate
from apps.core.ml import ModelUnavailable
from apps.core.models import Creation
from apps.core.services import CreationNotSaved, session_owner

from .forms import BackgroundForm
from .models import IdPhoto
from .pipeline.sizes import DPI, ID_SIZES, IdSize
from .services import idphoto_choose_background, render_size


def _own_photo(request: HttpRequest, token: str) -> IdPhoto:
    # Someone else's creation is answered exactly like a missing one.
    return get_object_or_404(IdPhoto, token=token, owner_session=request.session.session_key or "-")


def size_links(creation: Creation, chosen: str | None = None) -> list[dict]:
    """Every ID size of a creation (idphoto's or another tool's that renders them), the chosen one first."""
    sizes = sorted(ID_SIZES.values(), key=lambda size: size.key != chosen)
    return [
        {
            "key": size.key,
            "label": size.label,
            "width_mm": size.width_mm,
            "height_mm": size.height_mm,
            "width_px": size.width_px,
            "height_px": size.height_px,
            "dpi": DPI,
            "chosen": size.key == chosen,
            "url": reverse(f"{creation.TOOL}:size", args=[creation.token, size.key]),
            "sheet_url": reverse(f"{creation.TOOL}:sheet", args=[creation.token, size.key]),
        }
        for size in sizes
    ]


def size_response(body: bytes, creation: Creation, size: IdSize, sheet: bool) -> HttpResponse:
    """A rendered size as a download; never cached by the browser or a proxy (it is someone's face)."""
    response = HttpResponse(body, content_type="image/jpeg")
    kind = "print-sheet-4x6in" if sheet else "id"
    prefix = "emopic" if creation.TOOL == "idphoto" else f"emopic-{creation.TOOL}"
    response["Content-Disposition"] = f'attachment; filename="{prefix}-{kind}-{size.key}.jpg"'
    response["Cache-Control"] = "private, no-store"
    return response


def _result_context(photo: IdPhoto) -> dict:
    chosen = next((c for c in photo.candidates if c["hex"] == photo.background_hex), None)
    return {"photo": photo, "sizes": size_links(photo), "chosen": chosen}


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "idphoto/new.html")
    try:
        made = generate("idphoto", image=request.image_intake.get(), owner=session_owner(request))
    except ImageInputError as error:
        return render(request, "idphoto/new.html", {"error": error.message}, status=error.status)
    except (ModelUnavailable, CreationNotSaved) as error:
        return render(request, "idphoto/new.html", {"error": str(error)}, status=503)
    return redirect(made)  # the result, or the page that waits for a queued job


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    photo = _own_photo(request, token)
    return render(request, "idphoto/result.html", _result_context(photo))


@require_POST
def choose_background(request: HttpRequest, token: str) -> HttpResponse:
    photo = _own_photo(request, token)
    form = BackgroundForm(request.POST)
    if not form.is_valid():
        context = {**_result_context(photo), "error": form.errors["colour"][0]}
        return render(request, "idphoto/result.html", context, status=422)
    try:
        idphoto_choose_background(photo=photo, hex_colour=form.cleaned_data["colour"])
    except CreationNotSaved as error:
        context = {**_result_context(_own_photo(request, token)), "error": str(error)}  # as stored, unchanged
        return render(request, "idphoto/result.html", context, status=503)
    return redirect(photo)


@require_GET
def download_size(request: HttpRequest, token: str, size_key: str, sheet: bool = False) -> HttpResponse:
    # Capability URL: the unguessable token is the permission, as for the media files,
    # so API clients without a session can fetch their sizes too.
    photo = get_object_or_404(IdPhoto, token=token)
    size = ID_SIZES.get(size_key)
    if size is None:
        raise Http404("Unknown size")
    return size_response(render_size(photo=photo, size=size, sheet=sheet), photo, size, sheet)
