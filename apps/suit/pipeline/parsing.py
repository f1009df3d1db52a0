"""Per-pixel labels of a portrait: what the suit must replace and what must stay on top of it.

Built from three models' outputs, no training needed: the person matte (idphoto's),
the face mesh (face oval, brows, eyes, nose, lips) and the body pose (shoulders).
Hair and neck are then read from colour: a skin model from the cheeks and a hair model
from above the forehead, so hair that falls over the shoulders is told from the clothes
it lies on. The first eleven labels are LaPa's, so a trained face parser's output
(``apps/suit/unet.py``) can replace the mesh-drawn face parts and hair directly.

Everything here works at the working size (long side 512 px); coordinates are its pixels.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import Matte, RGBImage
from apps.core.imaging import resize_rgb, working_size

from .garments import SuitFit

Labels = npt.NDArray[np.uint8]  # HxW, values index PARSE_CLASSES
Mask = npt.NDArray[np.bool_]

# LaPa's eleven classes ("left" is the person's left, the image's right), then the body's.
PARSE_CLASSES: tuple[str, ...] = (
    "background", "skin", "left_eyebrow", "right_eyebrow", "left_eye", "right_eye",
    "nose", "upper_lip", "inner_mouth", "lower_lip", "hair", "neck", "clothes",
)  # fmt: skip
BACKGROUND, SKIN, L_BROW, R_BROW, L_EYE, R_EYE, NOSE, UPPER_LIP, INNER_MOUTH, LOWER_LIP, HAIR, NECK, CLOTHES = range(13)
FACE_LABELS = (SKIN, L_BROW, R_BROW, L_EYE, R_EYE, NOSE, UPPER_LIP, INNER_MOUTH, LOWER_LIP)
# What the suit must never cover: drawn again over it.
FRONT_LABELS = (*FACE_LABELS, HAIR)
# What the result keeps of the original photo (the neck goes under the collar).
KEPT_LABELS = (*FRONT_LABELS, NECK)

# Colours for the staff's review view of a parsing.
LABEL_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (240, 190, 160), (120, 60, 20), (160, 80, 30), (40, 120, 255), (0, 190, 255), (255, 230, 0),
    (230, 40, 80), (130, 0, 40), (255, 110, 150), (110, 50, 180), (250, 140, 60), (40, 170, 90),
)  # fmt: skip

# Polygons in mediapipe's face mesh topology.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
JAW = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454)
LEFT_BROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
NOSE_POINTS = (168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 97, 326, 327, 129, 358, 49, 279, 48, 278, 64, 294, 102, 331)
UPPER_LIP_RING = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191, 78)
LOWER_LIP_RING = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78)
INNER_MOUTH_RING = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
CHEEKS = ((50, 101, 118, 117, 123, 147, 187, 205), (280, 330, 347, 346, 352, 376, 411, 425))
CHIN = 152
JAW_ANGLES = (58, 288)
FOREHEAD_TOP = 10

HAIR_COLOUR_DISTANCE = 3.5  # Mahalanobis, in the hair model's own spread
SKIN_COLOUR_DISTANCE = 3.0


@dataclass(frozen=True)
class Parsing:
    labels: Labels
    face_width: float  # px, jaw width
    chin: tuple[float, float]
    jaw_angles: tuple[tuple[float, float], tuple[float, float]]  # image-left first
    hair_model_pixels: int  # how many pixels the hair colour came from (0: no hair seen)


def parse_portrait(rgb: RGBImage, alpha: Matte, landmarks: npt.NDArray[np.float32]) -> Parsing:
    """Labels for every pixel of ``rgb`` (working size), from its matte and its face-mesh landmarks."""
    height, width = alpha.shape
    person = alpha > 0.5
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    labels = np.zeros((height, width), np.uint8)

    face = _fill(landmarks, FACE_OVAL, (height, width))
    labels[face] = SKIN
    _draw_face_parts(labels, landmarks)

    chin = (float(landmarks[CHIN, 0]), float(landmarks[CHIN, 1]))
    jaw = landmarks[list(JAW)]
    face_width = float(jaw[:, 0].max() - jaw[:, 0].min())
    below_jaw = _below_polyline(jaw, (height, width))

    # Skin in shadow (under the chin, the neck) is much darker than the cheeks but of the same hue.
    skin_model = _colour_model(lab, _fill_many(landmarks, CHEEKS, (height, width)), floor=(150.0, 4.0, 4.0))
    skin_like = _within(lab, skin_model, SKIN_COLOUR_DISTANCE)

    # Sure hair: the person above and beside the face, down to the eyes, that is not skin-coloured.
    forehead_y = float(landmarks[FOREHEAD_TOP, 1])
    eye_y = float(landmarks[list(LEFT_EYE + RIGHT_EYE), 1].mean())
    head_zone = np.zeros((height, width), bool)
    centre_x = float(jaw[:, 0].mean())
    x0, x1 = _clip_span(centre_x - 0.95 * face_width, centre_x + 0.95 * face_width, width)
    head_zone[: max(0, round(eye_y)), x0:x1] = True
    sure_hair = person & head_zone & ~face & ~skin_like
    sure_hair &= _rows_above(forehead_y + 0.35 * (eye_y - forehead_y), (height, width)) | ~_columns_between(
        float(jaw[:, 0].min()), float(jaw[:, 0].max()), (height, width)
    )
    hair_model = _colour_model(lab, sure_hair, min_pixels=max(40, round(0.02 * face_width**2)))

    # Above the jaw every person pixel that is not face is hair (or an ear, kept as skin).
    head = person & ~below_jaw & (labels == BACKGROUND)
    if hair_model is not None:
        hair_like = _within(lab, hair_model, HAIR_COLOUR_DISTANCE)
        labels[head & ~skin_like] = HAIR
        labels[head & skin_like] = SKIN
    else:
        hair_like = np.zeros((height, width), bool)
        labels[head] = SKIN

    # Ear lobes beside the jaw, above the chin: part of the head, not of the clothes.
    near_jaw = _columns_between(
        jaw[:, 0].min() - 0.15 * face_width, jaw[:, 0].max() + 0.15 * face_width, (height, width)
    )
    ears = person & below_jaw & skin_like & near_jaw & _rows_above(chin[1], (height, width)) & (labels == BACKGROUND)
    labels[ears] = SKIN
    neck = _neck(person, skin_like, below_jaw, landmarks, face_width, (height, width))
    body = person & below_jaw & (labels == BACKGROUND)
    if hair_model is not None:
        clothes_model = _colour_model(lab, body & ~neck & ~hair_like & _lower_middle(centre_x, face_width, body.shape))
        # Hair that falls below the chin hangs beside the neck, not in front of it: a white collar
        # under white hair, or a dark tie under dark hair, is clothing. (Continuing strands into the
        # neck's column was tried: it kept a beaded neckline under red hair as "hair".)
        beside_neck = ~_columns_between(chin[0] - 0.3 * face_width, chin[0] + 0.3 * face_width, (height, width))
        long_hair = body & hair_like & ~neck & beside_neck
        if clothes_model is not None:
            long_hair &= _distance(lab, hair_model) < _distance(lab, clothes_model)
        long_hair = _connected_to(long_hair, labels == HAIR)
        labels[long_hair] = HAIR
    labels[neck & (labels == BACKGROUND)] = NECK
    labels[person & (labels == BACKGROUND)] = CLOTHES
    left_angle, right_angle = sorted(
        ((float(landmarks[i, 0]), float(landmarks[i, 1])) for i in JAW_ANGLES), key=lambda point: point[0]
    )
    return Parsing(labels=labels, face_width=face_width, chin=chin, jaw_angles=(left_angle, right_angle),
                   hair_model_pixels=int(sure_hair.sum()))  # fmt: skip


def label_neck(parsing: Parsing, fit: SuitFit) -> Parsing:
    """The whole neck, from the jaw's angles down to a little below the suit's collar line, between
    the neck's edges: kept whatever its colour (a beard's shadow, an open shirt), so no gap opens
    between the jaw and the new collar."""
    labels = parsing.labels.copy()
    (lx, ly), (rx, ry) = fit.neck_left, fit.neck_right
    below = 0.25 * (rx - lx)
    left_angle, right_angle = parsing.jaw_angles
    polygon = np.round([left_angle, right_angle, (rx, ry + below), (lx, ly + below)]).astype(np.int32)
    region = np.zeros(labels.shape, np.uint8)
    cv2.fillPoly(region, [polygon], 1)
    labels[region.astype(bool) & np.isin(labels, (CLOTHES, NECK))] = NECK
    return dataclasses.replace(parsing, labels=labels)


def replace_face_parts(labels: Labels, parsed: Labels, box: tuple[int, int, int, int]) -> Labels:
    """A trained face parser's LaPa labels for the crop ``box`` (x, y, w, h) replace the mesh-drawn
    face parts and the hair there. The matte still decides what is person (the parser's
    "background" changes nothing), and the body's labels (neck, clothes) stay unless it sees hair."""
    x, y, w, h = box
    out = labels.copy()
    region = out[y : y + h, x : x + w]
    keep = (parsed == BACKGROUND) | (region == BACKGROUND) | (np.isin(region, (NECK, CLOTHES)) & (parsed != HAIR))
    region[:] = np.where(keep, region, parsed)
    return out


SOFT_LAYER_SIDE = 640  # the guided filter's working size: the matte (full size) keeps the outer edges sharp


def soft_layers(labels: Labels, groups: tuple[tuple[int, ...], ...], guide: RGBImage, alpha: Matte) -> list[Matte]:
    """One mask per group of classes at ``guide``'s (full) size, with edges that follow the photo: hair
    strands over a jacket are soft, not stair-stepped. Only the band along each outline is filtered,
    so the inside of a region (a face) stays exactly whole. One guided filter serves every group, at
    up to SOFT_LAYER_SIDE px: the inner edges it draws (hair over cloth) need no more, and the person's
    outline comes from the full-size matte they are multiplied by."""
    height, width = guide.shape[:2]
    mid_h, mid_w = working_size(height, width, SOFT_LAYER_SIDE)
    kernel = np.ones((3, 3), np.uint8)
    small = [np.isin(labels, classes).astype(np.uint8) for classes in groups]
    masks = cv2.merge([cv2.resize(m.astype(np.float32), (mid_w, mid_h), interpolation=cv2.INTER_LINEAR) for m in small])
    radius = max(2, round(max(mid_h, mid_w) / 256))
    refined = cv2.ximgproc.guidedFilter(resize_rgb(guide, mid_h, mid_w), masks, radius, 1e-3 * 255 * 255)
    refined = cv2.resize(refined, (width, height), interpolation=cv2.INTER_LINEAR).reshape(height, width, len(groups))
    layers = []
    for index, mask in enumerate(small):
        inside = cv2.resize(cv2.erode(mask, kernel), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        near = cv2.resize(cv2.dilate(mask, kernel), (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        soft = np.where(inside, 1.0, np.where(near, np.clip(refined[:, :, index], 0.0, 1.0), 0.0))
        layers.append((soft * alpha).astype(np.float32))
    return layers


def colourise(labels: Labels) -> RGBImage:
    palette = np.array(LABEL_COLOURS, np.uint8)
    return palette[labels]


def _draw_face_parts(labels: Labels, landmarks: npt.NDArray[np.float32]) -> None:
    shape = labels.shape
    nose = cv2.convexHull(np.round(landmarks[list(NOSE_POINTS)]).astype(np.int32))
    nose_mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(nose_mask, [nose], 1)
    labels[nose_mask.astype(bool)] = NOSE
    for ring, label in ((LEFT_BROW, L_BROW), (RIGHT_BROW, R_BROW), (LEFT_EYE, L_EYE), (RIGHT_EYE, R_EYE),
                        (UPPER_LIP_RING, UPPER_LIP), (LOWER_LIP_RING, LOWER_LIP), (INNER_MOUTH_RING, INNER_MOUTH)):  # fmt: skip
        labels[_fill(landmarks, ring, shape)] = label


def _fill(landmarks: npt.NDArray[np.float32], ring: tuple[int, ...], shape: tuple[int, int]) -> Mask:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[list(ring)]).astype(np.int32)], 1)
    return mask.astype(bool)


def _fill_many(landmarks: npt.NDArray[np.float32], rings: tuple[tuple[int, ...], ...], shape: tuple[int, int]) -> Mask:
    mask = np.zeros(shape, bool)
    for ring in rings:
        mask |= _fill(landmarks, ring, shape)
    return mask


def _below_polyline(points: npt.NDArray[np.float32], shape: tuple[int, int]) -> Mask:
    """Pixels below the jaw line, continued horizontally beyond its ends."""
    height, width = shape
    order = np.argsort(points[:, 0])
    xs, ys = points[order, 0], points[order, 1]
    line = np.interp(np.arange(width), xs, ys)
    return np.arange(height)[:, None] > line[None, :]


def _rows_above(y: float, shape: tuple[int, int]) -> Mask:
    return np.broadcast_to((np.arange(shape[0]) < y)[:, None], shape)


def _columns_between(x0: float, x1: float, shape: tuple[int, int]) -> Mask:
    xs = np.arange(shape[1])
    return np.broadcast_to(((xs >= x0) & (xs <= x1))[None, :], shape)


def _clip_span(x0: float, x1: float, width: int) -> tuple[int, int]:
    return max(0, math.floor(x0)), min(width, math.ceil(x1))


def _lower_middle(centre_x: float, face_width: float, shape: tuple[int, int]) -> Mask:
    """The chest: the bottom fifth of the photo, a face-width either side of the face's centre."""
    height, width = shape
    mask = np.zeros(shape, bool)
    x0, x1 = _clip_span(centre_x - 0.6 * face_width, centre_x + 0.6 * face_width, width)
    mask[round(height * 0.8) :, x0:x1] = True
    return mask


@dataclass(frozen=True)
class ColourModel:
    mean: npt.NDArray[np.float32]
    inverse_covariance: npt.NDArray[np.float32]


def _colour_model(
    lab: npt.NDArray[np.float32], mask: Mask, min_pixels: int = 40, floor: tuple[float, float, float] = (16.0, 4.0, 4.0)
) -> ColourModel | None:
    samples = lab[mask]
    if len(samples) < min_pixels:
        return None
    mean = samples.mean(axis=0)
    # A floor on the spread: flat regions (a plain shirt) would otherwise reject their own shading.
    covariance = np.cov(samples, rowvar=False) + np.diag(floor)
    return ColourModel(mean.astype(np.float32), np.linalg.inv(covariance).astype(np.float32))


def _distance(lab: npt.NDArray[np.float32], model: ColourModel) -> npt.NDArray[np.float32]:
    delta = lab - model.mean
    return np.sqrt(np.einsum("...i,ij,...j->...", delta, model.inverse_covariance, delta))


def _within(lab: npt.NDArray[np.float32], model: ColourModel | None, limit: float) -> Mask:
    if model is None:
        return np.zeros(lab.shape[:2], bool)
    return _distance(lab, model) < limit


def _connected_to(candidates: Mask, seeds: Mask) -> Mask:
    """The parts of ``candidates`` that touch ``seeds`` (8-connected, through candidates and seeds)."""
    joined = (candidates | seeds).astype(np.uint8)
    count, components = cv2.connectedComponents(joined, connectivity=8)
    if count <= 1:
        return np.zeros_like(candidates)
    touching = np.unique(components[seeds & joined.astype(bool)])
    touching = touching[touching > 0]
    return candidates & np.isin(components, touching)


def _neck(
    person: Mask,
    skin_like: Mask,
    below_jaw: Mask,
    landmarks: npt.NDArray[np.float32],
    face_width: float,
    shape: tuple[int, int],
) -> Mask:
    """Skin below the jaw, joined to the face, in a column no wider than the jaw."""
    jaw = landmarks[list(JAW)]
    centre_x = float(landmarks[CHIN, 0])
    x0, x1 = _clip_span(centre_x - 0.5 * face_width, centre_x + 0.5 * face_width, shape[1])
    column = np.zeros(shape, bool)
    chin_y = float(landmarks[CHIN, 1])
    column[: min(shape[0], round(chin_y + 0.9 * face_width)), x0:x1] = True
    candidates = person & below_jaw & skin_like & column
    jaw_line = np.zeros(shape, np.uint8)
    cv2.polylines(jaw_line, [np.round(jaw).astype(np.int32)], False, 1, thickness=3)
    neck = _connected_to(candidates, jaw_line.astype(bool) & person)
    neck = cv2.morphologyEx(neck.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)).astype(bool)
    return neck & person & below_jaw
