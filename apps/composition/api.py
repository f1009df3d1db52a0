from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from apps.core.api import ErrorOut, image_request_body
from apps.core.services import session_owner

from .forms import ShotForm
from .models import CompositionShot
from .pipeline.profiles import BUILT_IN_PROFILES
from .services import composition_shoot, resolve_profile

router = Router(tags=["composition"])


class PersonOut(Schema):
    box: list[int]
    head_top_y: float
    chin_y: float
    feet_y: float | None
    head_ratio: float | None
    leg_ratio: float | None
    tilt_deg: float
    feet_in_frame: bool


class GuidanceOut(Schema):
    code: str
    text: str
    arrow: str | None


class CompositionOut(Schema):
    id: str
    profile: str
    people: list[PersonOut]
    framing: dict | None
    guidance: list[GuidanceOut]
    in_tolerance: bool
    frame_size: list[int]
    overlay_url: str
    page_url: str
    engines: dict[str, str]
    timings_ms: dict[str, float]


def _out(request: HttpRequest, shot: CompositionShot) -> dict:
    analysis = shot.analysis
    return {
        "id": shot.token,
        "profile": shot.profile_key,
        "people": analysis.get("people", []),
        "framing": analysis.get("framing"),
        "guidance": analysis.get("guidance", []),
        "in_tolerance": shot.in_tolerance,
        "frame_size": analysis.get("frame_size", [0, 0]),
        "overlay_url": request.build_absolute_uri(shot.output_image.url),
        "page_url": request.build_absolute_uri(shot.get_absolute_url()),
        "engines": shot.engines,
        "timings_ms": shot.timings_ms,
    }


COMPOSITION_FIELDS = {
    "profile": {
        "type": "string",
        "description": f"A built-in profile ({', '.join(BUILT_IN_PROFILES)}) or one of "
        "yours (mine-<id>); the default full-body profile if left out.",
    },  # fmt: skip
}


@router.post(
    "",
    response={201: CompositionOut, 400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    openapi_extra=image_request_body(COMPOSITION_FIELDS),
    summary="Measure the people in one photo and say how to reframe it",
)
def analyse_photo(request: HttpRequest):
    """Coordinates are pixels of the analysed image (`frame_size`, at most 1024 px a side). A photo
    without a person is a 422 with code `no_person`; an unknown profile, `unknown_profile`."""
    form = ShotForm(request.image_intake.fields())
    form.is_valid()
    owner = session_owner(request)
    profile = resolve_profile(form.cleaned_data.get("profile"), owner)
    shot = composition_shoot(image=request.image_intake.get(), owner=owner, profile=profile,
                             trigger=CompositionShot.Trigger.UPLOAD)  # fmt: skip
    return 201, _out(request, shot)


@router.get("/{token}", response={200: CompositionOut, 404: ErrorOut}, summary="An analysed photo")
def get_analysis(request: HttpRequest, token: str):
    return 200, _out(request, get_object_or_404(CompositionShot, token=token))
