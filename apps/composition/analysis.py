"""Runs the models on a frame and hands their output to the pure measurement and guidance.

MediaPipe's pose finds one person per call (the most prominent), so several people are found
through their faces: BlazeFace (full range) finds the faces, and the pose runs once per face on a
crop around it, reaching down to the bottom edge, with the other faces greyed out so the pose
settles on this one. The person mask comes from the selfie segmenter run on a square around each
body: a 256 px model sees a small full-length figure much better cropped than in the whole frame.
"""

from __future__ import annotations

import math

import numpy as np

from apps.core.body_models import NOSE, BodyLandmarks, body_landmarks
from apps.core.face_models import FaceBox, face_boxes
from apps.core.imageio import Matte, RGBImage
from apps.idphoto.ml import segment_person

from .pipeline.guidance import assess
from .pipeline.measure import measure_person
from .pipeline.types import Analysis, Profile

MAX_PEOPLE = 4
FACE_CONFIDENCE = 0.6
CROP_SIDES = 2.5  # face widths each side of a face: room for outstretched arms
CROP_ABOVE = 1.0  # face heights above a face: room for the hair
SAME_PERSON = 0.5  # noses nearer than this many face widths belong to one person
BYSTANDER_SIZE = 0.55  # of the largest face's width
OTHER_FACE_GREY = 128
MASK_MARGIN = 0.15  # of the body's landmark height, around it, for the segmentation square


def find_bodies(rgb: RGBImage, max_people: int = MAX_PEOPLE) -> list[BodyLandmarks]:
    """Everyone's pose, in ``rgb``'s pixels: one per face found, or the most prominent person's."""
    faces = face_boxes(rgb, FACE_CONFIDENCE, far=True) if max_people > 1 else []
    if faces:
        # Faces much smaller than the largest belong to passers-by further back, not to the group posing.
        largest = max(face.width for face in faces)
        faces = [face for face in faces if face.width >= BYSTANDER_SIZE * largest][:max_people]
    if len(faces) < 2:
        body = body_landmarks(rgb)
        return [body] if body is not None else []
    bodies: list[BodyLandmarks] = []
    for face in faces:
        body = _body_under(rgb, face, faces)
        if body is None:
            continue
        nose = body.points[NOSE]
        if any(np.linalg.norm(nose - other.points[NOSE]) < SAME_PERSON * face.width for other in bodies):
            continue
        bodies.append(body)
    if not bodies:
        body = body_landmarks(rgb)
        return [body] if body is not None else []
    return bodies


def _body_under(rgb: RGBImage, face: FaceBox, faces: list[FaceBox]) -> BodyLandmarks | None:
    height, width = rgb.shape[:2]
    x0 = max(0, math.floor(face.x - CROP_SIDES * face.width))
    x1 = min(width, math.ceil(face.x + (1 + CROP_SIDES) * face.width))
    y0 = max(0, math.floor(face.y - CROP_ABOVE * face.height))
    crop = rgb[y0:, x0:x1].copy()
    for other in faces:
        if other is not face:
            crop[max(0, other.y - y0) : max(0, other.y + other.height - y0),
                 max(0, other.x - x0) : max(0, other.x + other.width - x0)] = OTHER_FACE_GREY  # fmt: skip
    body = body_landmarks(crop)
    if body is None:
        return None
    points = body.points + np.array([x0, y0], dtype=np.float32)
    # The pose may still have settled on someone else in the crop: keep it only if its nose is in this face.
    nx, ny = points[NOSE]
    if not (face.x - 0.5 * face.width <= nx <= face.x + 1.5 * face.width
            and face.y - 0.5 * face.height <= ny <= face.y + 1.5 * face.height):  # fmt: skip
        return None
    return BodyLandmarks(points=points, visibility=body.visibility)


def person_mask(rgb: RGBImage, body: BodyLandmarks) -> Matte:
    """The person's probability at frame size, segmented in a box around the body (zero outside it).

    The box is tight, not square: a square around a full-length figure takes in the people beside it,
    and the segmenter then spends its 256 pixels on whoever is biggest."""
    height, width = rgb.shape[:2]
    points = np.clip(body.points, [0, 0], [width - 1, height - 1])
    (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
    margin = MASK_MARGIN * max(bottom - top, right - left, 1.0)
    # The eyes are the highest landmarks; the hair is about another tenth of the body above them.
    top, bottom = top - 1.5 * margin, bottom + margin
    # Not narrower than half its height: the segmenter squeezes any box into a square.
    half_width = max((right - left) / 2 + margin, (bottom - top) / 4)
    centre = (left + right) / 2
    x0, x1 = max(0, math.floor(centre - half_width)), min(width, math.ceil(centre + half_width))
    y0, y1 = max(0, math.floor(top)), min(height, math.ceil(bottom))
    mask = np.zeros((height, width), np.float32)
    mask[y0:y1, x0:x1] = segment_person(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    return mask


def analyse_frame(rgb: RGBImage, profile: Profile, max_people: int = MAX_PEOPLE, mirrored: bool = False) -> Analysis:
    """Measures, framing and guidance for one RGB frame (coordinates in its pixels; advice for a ``mirrored``
    preview if it is one)."""
    height, width = rgb.shape[:2]
    people = []
    for body in find_bodies(rgb, max_people):
        measured = measure_person(body.points, body.visibility, person_mask(rgb, body), (width, height))
        if measured is not None:
            people.append(measured)
    return assess(people[:max_people], profile, (width, height), mirrored)
