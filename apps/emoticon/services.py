"""emoticon's use cases: read a face and draw it, correct what was read, pack the stickers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings

from apps.core.face_models import FaceBox, Landmarks, face_boxes, face_landmarks
from apps.core.imageio import DecodedImage, ImageInputError, RGBImage, encode_jpeg
from apps.core.imaging import resize_rgb, working_size
from apps.core.ml import ModelUnavailable
from apps.core.services import replace_files, save_creation
from apps.core.timing import Timer
from apps.idphoto.pipeline.colour import FaceNotMeasurable

from . import classifiers, ml
from .models import Emoticon
from .pipeline.attributes import face_shape, measure_attributes
from .pipeline.emotion import EmotionResult, aligned_face
from .pipeline.render import render_png, render_svg, sticker_pack
from .pipeline.types import Attributes, EmoticonSpec, FaceShape

logger = logging.getLogger(__name__)
WORKING_SIDE = 1024  # detection and landmarks need no more; the face crop is taken at full size
MIN_FACE_PX = 48  # FER-2013 faces are 48 px: below this the expression cannot be read


class FaceRejected(ImageInputError):
    """No face, several faces, or a face too small: a 422 that lists the faces found."""

    def __init__(self, code: str, message: str, faces: list[FaceBox]) -> None:
        super().__init__(code, message, status=422, details={"faces": [f.to_dict() for f in faces]})
        self.faces = faces


@dataclass(frozen=True)
class FaceReading:
    box: FaceBox  # in the photo's pixels
    landmarks: Landmarks  # in the photo's pixels


def min_face_confidence() -> float:
    return float(getattr(settings, "EMOPIC_EMOTICON_MIN_FACE_CONFIDENCE", 0.5))


def read_face(rgb: RGBImage, timer: Timer) -> FaceReading:
    """Exactly one face, with its landmarks; otherwise a FaceRejected that says what was found."""
    height, width = rgb.shape[:2]
    work_h, work_w = working_size(height, width, side=WORKING_SIDE)
    small = resize_rgb(rgb, work_h, work_w)
    factor = width / work_w
    with timer.stage("detect"):
        boxes = face_boxes(small, min_face_confidence()) or face_boxes(small, min_face_confidence(), far=True)
    boxes = [_scale_box(box, factor) for box in boxes]
    if not boxes:
        raise FaceRejected("no_face", "No face was found. Face the camera in good light, or try another photo.", [])
    if len(boxes) > 1:
        raise FaceRejected(
            "multiple_faces",
            f"{len(boxes)} faces were found. An emoticon is drawn for one person: crop the photo or try alone.",
            boxes,
        )
    box = boxes[0]
    if box.height < MIN_FACE_PX:
        raise FaceRejected(
            "face_too_small",
            f"The face is only {box.height} px tall; at least {MIN_FACE_PX} px are needed to read an expression. "
            "Move closer or use a larger photo.",
            boxes,
        )
    with timer.stage("landmarks"):
        meshes = [points * factor for points in face_landmarks(small)]
    centre = np.array([box.x + box.width / 2, box.y + box.height / 2])
    inside = [m for m in meshes if np.linalg.norm(m.mean(axis=0) - centre) < max(box.width, box.height) * 0.6]
    if not inside:
        raise FaceRejected(
            "face_unreadable", "A face was found but its features could not be traced. Try a clearer photo.", boxes
        )
    return FaceReading(box=box, landmarks=inside[0])


def _scale_box(box: FaceBox, factor: float) -> FaceBox:
    return FaceBox(round(box.x * factor), round(box.y * factor), round(box.width * factor),
                   round(box.height * factor), box.confidence)  # fmt: skip


def read_attributes(rgb: RGBImage, landmarks: Landmarks) -> Attributes:
    """The measured engine for every attribute, replaced by a trained classifier where one exists."""
    measured = measure_attributes(rgb, landmarks)
    values = measured.to_dict()
    engines = dict(values.pop("engines"))
    for attribute in ("mask", "glasses", "frame_shape"):
        if attribute == "frame_shape" and values["glasses"] == "none":
            break  # no frames to classify
        try:
            result = classifiers.classify(attribute, rgb, landmarks)
        except ModelUnavailable:
            logger.exception("The %s classifier is unavailable; using the measured engine", attribute)
            continue
        if result is None:
            continue
        label, probability = result
        if attribute == "mask":
            values["mask"], values["mask_confidence"] = label == "mask", probability
        elif attribute == "glasses":
            values["glasses"], values["glasses_confidence"] = label, probability
        else:
            values["frame_shape"], values["frame_confidence"] = label, probability
        engines[attribute] = classifiers.ENGINE_CLASSIFIER
    if values["glasses"] == "none":
        values["frame_shape"], values["frame_confidence"] = "none", 1.0
    return Attributes(**values, engines=engines)


def emotion_note(emotion: EmotionResult, masked: bool) -> str:
    percent = round(emotion.confidence * 100)
    if masked:
        return (f"Read from the eyes and brows only: the mask hides the mouth, so this is less certain "
                f"({percent}% for {emotion.label}).")  # fmt: skip
    return f"{percent}% {emotion.label}."


def emoticon_generate(*, image: DecodedImage, owner: str) -> Emoticon:
    timer = Timer()
    started = time.perf_counter()
    rgb = image.rgb
    reading = read_face(rgb, timer)
    with timer.stage("emotion"):
        emotion, emotion_engine = ml.classify_emotion(aligned_face(rgb, reading.landmarks))
    with timer.stage("attributes"):
        try:
            attributes = read_attributes(rgb, reading.landmarks)
        except FaceNotMeasurable as exc:
            raise FaceRejected("face_unreadable", f"{exc} Try a photo with even light on the face.",
                               [reading.box]) from exc  # fmt: skip
        shape = face_shape(reading.landmarks)
    spec = EmoticonSpec(
        emotion=emotion.label,
        mask=attributes.mask,
        glasses=attributes.glasses,
        frame_shape=attributes.frame_shape,
        skin_hex=attributes.skin_hex,
        hair_hex=attributes.hair_hex,
        shape=shape,
    )
    with timer.stage("render"):
        svg = render_svg(spec)
        png = render_png(svg)
    with timer.stage("encode"):
        files = {
            "input_image": ("input.jpg", encode_jpeg(rgb, quality=90)),
            "output_image": ("emoticon.png", png),
            "svg_file": ("emoticon.svg", svg.encode("utf-8")),
        }
    creation = Emoticon(
        owner_session=owner,
        face_box=reading.box.to_dict(),
        emotion=emotion.label,
        emotion_scores=emotion.scores,
        attributes=attributes.to_dict(),
        spec=spec.to_dict(),
        params={"input_format": image.format, "input_source": image.source, "width": image.width,
                "height": image.height, "emotion_note": emotion_note(emotion, attributes.mask)},
    )  # fmt: skip
    creation.set_engines({"face": "MediaPipe BlazeFace + face mesh", "emotion": emotion_engine, **attributes.engines})
    timer.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    creation.timings_ms = timer.ms
    save_creation(creation, files)
    return creation


CORRECTABLE = ("emotion", "mask", "glasses", "frame_shape", "skin_hex", "hair_hex")


def spec_of(emoticon: Emoticon) -> EmoticonSpec:
    data = dict(emoticon.spec)
    return EmoticonSpec(**{**data, "shape": FaceShape(**data.get("shape", {}))})


def emoticon_correct(*, emoticon: Emoticon, corrections: dict) -> Emoticon:
    """Apply the user's corrections (already validated by the form) and redraw."""
    unknown = set(corrections) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"cannot correct {sorted(unknown)}")
    spec = replace(spec_of(emoticon), **corrections)
    if spec.glasses == "none":
        spec = replace(spec, frame_shape="none")
    elif spec.frame_shape == "none":
        spec = replace(spec, frame_shape="round")
    svg = render_svg(spec)
    emoticon.spec = spec.to_dict()
    emoticon.corrections = {**emoticon.corrections, **corrections}
    emoticon.emotion = spec.emotion
    files = {"svg_file": ("emoticon.svg", svg.encode("utf-8")), "output_image": ("emoticon.png", render_png(svg))}
    replace_files(emoticon, files, ["spec", "corrections", "emotion"])
    return emoticon


def emoticon_sticker_pack(*, emoticon: Emoticon) -> bytes:
    return sticker_pack(spec_of(emoticon))
