"""Where the suit goes: shoulders from the body pose, the collar line and neck width from the parsing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .garments import SuitFit
from .parsing import BACKGROUND, CLOTHES, NECK, Parsing

# Pose gives the shoulder joints; the cloth sits outside and above them. Measured from the old
# clothes where they show; these are the fallbacks (long hair over the shoulders hides them).
SHOULDER_OUTSET = 0.10  # of the shoulder span, outwards
SHOULDER_RISE = 0.15  # of the shoulder span, upwards
# In a front view a shirt collar meets the neck a little below the chin: this far from the chin
# towards the shoulder line.
COLLAR_DEPTH = 0.22
NECK_WIDTH = (0.45, 0.72)  # of the jaw's width: narrower or wider readings are noise (shadow, hair)
MIN_VISIBILITY = 0.5
# A chest-up photo: some room below the chin, and at the bottom edge a body wider than the face.
MIN_BELOW_CHIN = 0.35  # face widths
MIN_BODY_WIDTH = 1.6  # face widths


class ShouldersNotVisible(ValueError):
    """The photo does not show both shoulders: a suit cannot be fitted."""


@dataclass(frozen=True)
class Shoulders:
    left: tuple[float, float]  # the image's left
    right: tuple[float, float]


def visible_shoulders(
    points: npt.NDArray[np.float32], visibility: npt.NDArray[np.float32], parsing: Parsing
) -> Shoulders:
    """Both shoulder joints (pose indices 11 and 12) in view, below the chin; image-left first.

    The pose model also guesses shoulders it cannot see, from the head alone, so the photo must
    agree: room below the chin, and a body that widens past the face at the bottom edge."""
    height, width = parsing.labels.shape
    chin_y, face_width = parsing.chin[1], parsing.face_width
    if height - chin_y < MIN_BELOW_CHIN * face_width:
        raise ShouldersNotVisible("The photo ends at the chin.")
    body_width = np.count_nonzero(parsing.labels[-1] != BACKGROUND)
    if body_width < MIN_BODY_WIDTH * face_width:
        raise ShouldersNotVisible("The shoulders are not in the photo.")
    joints = []
    for index in (11, 12):
        x, y = float(points[index, 0]), float(points[index, 1])
        if visibility[index] < MIN_VISIBILITY or not (math.isfinite(x) and math.isfinite(y)):
            raise ShouldersNotVisible("The shoulders are not visible.")
        joints.append((x, y))
    (ax, ay), (bx, by) = sorted(joints)
    span = bx - ax
    # A joint just below the edge is fine: the shoulder's top is above it, in view.
    if max(ay, by) > height + 0.08 * span or ax < -0.25 * span or bx > width + 0.25 * span:
        raise ShouldersNotVisible("The shoulders are cut off by the edge of the photo.")
    if min(ay, by) <= chin_y or span <= 0:
        raise ShouldersNotVisible("The shoulders could not be told apart from the head.")
    return Shoulders(left=(ax, ay), right=(bx, by))


def measure_fit(parsing: Parsing, shoulders: Shoulders) -> SuitFit:
    """The suit's anchor points, in the parsing's pixels."""
    (lx, ly), (rx, ry) = shoulders.left, shoulders.right
    span = rx - lx
    slope = (ry - ly) / span  # the body's tilt: the collar line runs parallel to the shoulders
    chin_x, chin_y = parsing.chin
    shoulder_y_at_chin = ly + slope * (chin_x - lx)
    collar_y = chin_y + COLLAR_DEPTH * max(shoulder_y_at_chin - chin_y, 0.05 * span)
    left_x, right_x = _neck_edges(parsing, chin_x, collar_y)
    return SuitFit(
        neck_left=(left_x, collar_y + slope * (left_x - chin_x)),
        neck_right=(right_x, collar_y + slope * (right_x - chin_x)),
        shoulder_left=_shoulder_point(parsing, (lx, ly), span, -1),
        shoulder_right=_shoulder_point(parsing, (rx, ry), span, +1),
        chin=parsing.chin,
    )


def _shoulder_point(parsing: Parsing, joint: tuple[float, float], span: float, outwards: int) -> tuple[float, float]:
    """The top of the old clothes above the joint, and their outer edge at that height."""
    labels = parsing.labels
    height, width = labels.shape
    x, y = joint
    rise = SHOULDER_RISE * span
    column = round(min(max(x, 0), width - 1))
    top = max(0, round(y - 0.35 * span))
    rows = np.flatnonzero(labels[top : max(top, min(height, round(y))), column] == CLOTHES)
    if len(rows):
        rise = float(np.clip(y - (top + rows[0]), 0.05 * span, 0.3 * span))
    shoulder_y = y - rise
    outset = SHOULDER_OUTSET * span
    row = round(min(max(shoulder_y + 0.5 * rise, 0), height - 1))
    edge = x + outwards * np.arange(0, round(0.3 * span))
    inside = (edge >= 0) & (edge < width)
    clothes = labels[row, edge[inside].astype(int)] == CLOTHES
    if inside.all() and clothes.any():
        outset = float(np.clip(np.flatnonzero(clothes)[-1], 0.03 * span, 0.25 * span))
    return (x + outwards * outset, shoulder_y)


def _neck_edges(parsing: Parsing, centre_x: float, collar_y: float) -> tuple[float, float]:
    """The neck's edges a little above the collar line, where the skin is not yet hidden by a shirt."""
    labels = parsing.labels
    face_width = parsing.face_width
    half_min, half_max = NECK_WIDTH[0] * face_width / 2, NECK_WIDTH[1] * face_width / 2
    chin_y = parsing.chin[1]
    rows = range(max(0, round(chin_y + 0.6 * (collar_y - chin_y))), min(labels.shape[0], round(collar_y) + 1))
    widths, centres = [], []
    for row in rows:
        xs = np.flatnonzero(labels[row] == NECK)
        xs = xs[np.abs(xs - centre_x) <= half_max * 1.2]
        if len(xs) >= 2:
            widths.append(xs[-1] - xs[0])
            centres.append((xs[-1] + xs[0]) / 2)
    if widths:
        half = float(np.clip(np.median(widths) / 2, half_min, half_max))
        centre = float(np.median(centres))
    else:
        half, centre = (half_min + half_max) / 2, centre_x
    return centre - half, centre + half
