from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from apps.core.api import ErrorOut, image_request_body
from apps.core.jobs import generate
from apps.core.jobs_api import JobOut, created
from apps.core.services import session_owner

from .forms import SeasonsForm
from .models import SeasonsPhoto
from .pipeline.types import DIRECTIONS
from .services import seasons_guess

router = Router(tags=["seasons"])


class SeasonsOut(Schema):
    id: str
    direction: str
    engine: str
    enhanced: bool
    engines: dict[str, str]
    crop: dict[str, int]
    size: int
    original_url: str
    result_url: str
    page_url: str
    timings_ms: dict[str, float]


class GuessOut(Schema):
    domains: dict[str, float]
    domain: str
    suggested_direction: str


def _out(request: HttpRequest, photo: SeasonsPhoto) -> dict:
    return {
        "id": photo.token,
        "direction": photo.direction,
        "engine": photo.engines.get("translation", ""),
        "enhanced": photo.enhanced,
        "engines": photo.engines,
        "crop": photo.crop,
        "size": photo.params.get("size", 0),
        "original_url": request.build_absolute_uri(photo.before_image.url),
        "result_url": request.build_absolute_uri(photo.output_image.url),
        "page_url": request.build_absolute_uri(photo.get_absolute_url()),
        "timings_ms": photo.timings_ms,
    }


SEASONS_FIELDS = {
    "direction": {"type": "string", "enum": list(DIRECTIONS)},
    "crop": {
        "type": "object",
        "description": "Square crop in the photo's pixels; the largest centred square when left out. "
        "In a multipart form, send it as a JSON string, or as crop_x, crop_y and crop_size fields.",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}, "size": {"type": "integer"}},
    },
}


@router.post(
    "",
    response={201: SeasonsOut, 202: JobOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    openapi_extra=image_request_body(SEASONS_FIELDS),
    summary="Translate a landscape between day/night, spring/autumn or summer/winter",
)
def create_seasons(request: HttpRequest):
    """An unknown direction, or a crop outside the photo, is a 422 with a clear message."""
    form = SeasonsForm.from_request(request)
    if not form.is_valid():
        raise form.first_error()
    made = generate("seasons", image=request.image_intake.get(), owner=session_owner(request), params=form.job_params())
    return created(request, made, _out)


@router.post("/guess", response={200: GuessOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut},
             openapi_extra=image_request_body(), summary="Guess the photo's domain and suggest a direction")  # fmt: skip
def guess(request: HttpRequest):
    return 200, seasons_guess(image=request.image_intake.get())


@router.get("/{token}", response={200: SeasonsOut, 404: ErrorOut}, summary="A translation made earlier")
def get_seasons(request: HttpRequest, token: str):
    return 200, _out(request, get_object_or_404(SeasonsPhoto, token=token))
