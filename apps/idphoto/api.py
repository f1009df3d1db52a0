from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from apps.core.api import ErrorOut, image_request_body
from apps.core.jobs import generate
from apps.core.jobs_api import JobOut, created
from apps.core.services import session_owner

from .forms import BackgroundForm
from .models import IdPhoto
from .services import PhotoRejected, idphoto_choose_background
from .views import size_links

router = Router(tags=["idphoto"])


class BackgroundOut(Schema):
    hex: str
    palette: str
    reason: str


class CandidateOut(Schema):
    hex: str
    palette: str
    reason: str


class SizeOut(Schema):
    key: str
    label: str
    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    dpi: int
    chosen: bool
    url: str
    sheet_url: str


class IdPhotoOut(Schema):
    id: str
    background: BackgroundOut
    candidates: list[str]
    candidate_details: list[CandidateOut]
    profile: dict
    result_url: str
    cutout_url: str
    page_url: str
    sizes: list[SizeOut]
    engines: dict[str, str]
    timings_ms: dict[str, float]


class BackgroundIn(Schema):
    colour: str


def _out(request: HttpRequest, photo: IdPhoto) -> dict:
    return {
        "id": photo.token,
        "background": {"hex": photo.background_hex, "palette": photo.palette, "reason": photo.reason},
        "candidates": [c["hex"] for c in photo.candidates],
        "candidate_details": photo.candidates,
        "profile": photo.profile,
        "result_url": request.build_absolute_uri(photo.output_image.url),
        "cutout_url": request.build_absolute_uri(photo.cutout_image.url),
        "page_url": request.build_absolute_uri(photo.get_absolute_url()),
        "sizes": [{**s, "url": request.build_absolute_uri(s["url"]),
                   "sheet_url": request.build_absolute_uri(s["sheet_url"])} for s in size_links(photo)],
        "engines": photo.engines,
        "timings_ms": photo.timings_ms,
    }  # fmt: skip


@router.post(
    "",
    response={201: IdPhotoOut, 202: JobOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    openapi_extra=image_request_body(),
    summary="Make an emotional ID photo",
)
def create_idphoto(request: HttpRequest):
    """The person is matted out of the photo and placed on the background colour that suits them.
    A photo with no face or several faces is a 422 with a code and a message."""
    made = generate("idphoto", image=request.image_intake.get(), owner=session_owner(request))
    return created(request, made, _out)


@router.get("/{token}", response={200: IdPhotoOut, 404: ErrorOut}, summary="An ID photo made earlier")
def get_idphoto(request: HttpRequest, token: str):
    return 200, _out(request, get_object_or_404(IdPhoto, token=token))


@router.post(
    "/{token}/background",
    response={200: IdPhotoOut, 404: ErrorOut, 422: ErrorOut},
    summary="Put the person on another background colour (kept as a preference label)",
)
def set_background(request: HttpRequest, token: str, payload: BackgroundIn):
    photo = get_object_or_404(IdPhoto, token=token)
    form = BackgroundForm({"colour": payload.colour})
    if not form.is_valid():
        raise PhotoRejected("bad_colour", "Send a colour like #a1b2c3.")
    return 200, _out(request, idphoto_choose_background(photo=photo, hex_colour=form.cleaned_data["colour"]))
