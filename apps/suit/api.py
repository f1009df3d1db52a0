from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from apps.core.api import ErrorOut, image_request_body
from apps.core.jobs import generate
from apps.core.jobs_api import JobOut, created
from apps.core.services import session_owner
from apps.idphoto.api import SizeOut
from apps.idphoto.pipeline.sizes import ID_SIZES
from apps.idphoto.views import size_links

from .forms import RefitForm, SuitForm
from .models import SuitPhoto
from .pipeline.garments import STYLES
from .services import LIFT_RANGE, WIDEN_RANGE, suit_refit

router = Router(tags=["suit"])


class BackgroundOut(Schema):
    hex: str
    palette: str
    reason: str


class SuitOut(Schema):
    id: str
    style: str
    style_label: str
    background: str
    background_candidates: list[BackgroundOut]
    size: str
    lift: float
    widen: float
    result_url: str
    page_url: str
    sizes: list[SizeOut]
    engines: dict[str, str]
    timings_ms: dict[str, float]


class RefitIn(Schema):
    style: str | None = None
    lift: float | None = None
    widen: float | None = None
    background: str | None = None


def _out(request: HttpRequest, photo: SuitPhoto) -> dict:
    return {
        "id": photo.token,
        "style": photo.style,
        "style_label": STYLES[photo.style].label,
        "background": photo.background_hex,
        "background_candidates": photo.candidates,
        "size": photo.size_key,
        "lift": photo.lift,
        "widen": photo.widen,
        "result_url": request.build_absolute_uri(photo.output_image.url),
        "page_url": request.build_absolute_uri(photo.get_absolute_url()),
        "sizes": [{**link, "url": request.build_absolute_uri(link["url"]),
                   "sheet_url": request.build_absolute_uri(link["sheet_url"])}
                  for link in size_links(photo, photo.size_key)],
        "engines": photo.engines,
        "timings_ms": photo.timings_ms,
    }  # fmt: skip


SUIT_FIELDS = {
    "style": {"type": "string", "enum": list(STYLES)},
    "size": {"type": "string", "enum": list(ID_SIZES), "description": "The ID size offered first; 35x45 if left out."},
    "background": {"type": "string", "description": "#rrggbb; the personal-colour recommendation if left out."},
}


@router.post(
    "",
    response={201: SuitOut, 202: JobOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    openapi_extra=image_request_body(SUIT_FIELDS),
    summary="Dress the person on an ID photo in a suit",
)
def create_suit(request: HttpRequest):
    """The face, neck and hair are kept; the old clothes are replaced by the chosen suit. A photo without
    both shoulders in view is a 422 with code `shoulders_not_visible`; an unknown style, `unknown_style`."""
    form = SuitForm.from_request(request)
    if not form.is_valid():
        raise form.first_error()
    made = generate("suit", image=request.image_intake.get(), owner=session_owner(request), params=form.job_params())
    return created(request, made, _out)


@router.get("/{token}", response={200: SuitOut, 404: ErrorOut}, summary="A suit photo made earlier")
def get_suit(request: HttpRequest, token: str):
    return 200, _out(request, get_object_or_404(SuitPhoto, token=token))


@router.post(
    "/{token}/refit",
    response={200: SuitOut, 404: ErrorOut, 422: ErrorOut},
    summary=f"Adjust the fit (lift {LIFT_RANGE[0]}..{LIFT_RANGE[1]} shoulder widths, widen "
    f"{WIDEN_RANGE[0]}..{WIDEN_RANGE[1]}), the style or the background, and redraw",
)
def refit_suit(request: HttpRequest, token: str, payload: RefitIn):
    photo = get_object_or_404(SuitPhoto, token=token)
    form = RefitForm({key: value for key, value in payload.dict().items() if value is not None})
    if not form.is_valid():
        raise form.first_error()
    return 200, _out(request, suit_refit(photo=photo, **form.cleaned_data))
