from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Schema

from apps.core.api import ErrorOut, image_request_body
from apps.core.jobs import generate
from apps.core.jobs_api import JobOut, created
from apps.core.services import session_owner

from .models import Emoticon

router = Router(tags=["emoticon"])


class FaceBoxOut(Schema):
    x: int
    y: int
    width: int
    height: int
    confidence: float


class EmotionOut(Schema):
    label: str
    scores: dict[str, float]
    note: str


class SkinToneOut(Schema):
    hex: str
    scale_step: int
    scale: str


class AttributesOut(Schema):
    mask: bool
    mask_confidence: float
    glasses: str
    glasses_confidence: float
    frame_shape: str
    frame_confidence: float
    skin_tone: SkinToneOut
    hair_hex: str | None
    engines: dict[str, str]


class EmoticonOut(Schema):
    id: str
    face_box: FaceBoxOut
    emotion: EmotionOut
    attributes: AttributesOut
    emoticon_png_url: str
    emoticon_svg_url: str
    sticker_pack_url: str
    page_url: str
    engines: dict[str, str]
    timings_ms: dict[str, float]


class FaceErrorDetail(Schema):
    code: str
    message: str
    faces: list[FaceBoxOut] = []


class FaceErrorOut(Schema):
    error: FaceErrorDetail


def _out(request: HttpRequest, emoticon: Emoticon) -> dict:
    attributes = emoticon.attributes
    return {
        "id": emoticon.token,
        "face_box": emoticon.face_box,
        "emotion": {"label": emoticon.emotion, "scores": emoticon.emotion_scores,
                    "note": emoticon.params.get("emotion_note", "")},
        "attributes": {
            **{key: attributes[key] for key in ("mask", "mask_confidence", "glasses", "glasses_confidence",
                                                "frame_shape", "frame_confidence", "hair_hex", "engines")},
            "skin_tone": {"hex": attributes["skin_hex"], "scale_step": attributes["skin_step"],
                          "scale": "Monk Skin Tone scale (1 lightest - 10 darkest)"},
        },
        "emoticon_png_url": request.build_absolute_uri(emoticon.output_image.url),
        "emoticon_svg_url": request.build_absolute_uri(emoticon.svg_file.url),
        "sticker_pack_url": request.build_absolute_uri(reverse("emoticon:stickers", args=[emoticon.token])),
        "page_url": request.build_absolute_uri(emoticon.get_absolute_url()),
        "engines": emoticon.engines,
        "timings_ms": emoticon.timings_ms,
    }  # fmt: skip


@router.post(
    "",
    response={
        201: EmoticonOut,
        202: JobOut,
        400: ErrorOut,
        413: ErrorOut,
        415: ErrorOut,
        422: FaceErrorOut,
        503: ErrorOut,
    },
    openapi_extra=image_request_body(),
    summary="Make an emoticon of the face in a photo",
)
def create_emoticon(request: HttpRequest):
    """Finds exactly one face, reads its expression (7 emotions), mask, glasses, frame shape and skin tone,
    and draws a personalised emoticon. No face, several faces or a face too small is a 422 with
    `code` (`no_face`, `multiple_faces`, `face_too_small`) and the `faces` found."""
    made = generate("emoticon", image=request.image_intake.get(), owner=session_owner(request))
    return created(request, made, _out)


@router.get("/{token}", response={200: EmoticonOut, 404: ErrorOut}, summary="An emoticon made earlier")
def get_emoticon(request: HttpRequest, token: str):
    return 200, _out(request, get_object_or_404(Emoticon, token=token))
