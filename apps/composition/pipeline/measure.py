"""A person's proportions from BlazePose landmarks and a person mask, and the group's framing.

The source system read them from BodyPix part labels: the first and last rows labelled head, the
last row labelled foot. Here the pose gives the joints and the face; the mask gives what the
joints cannot: the top of the hair, and the soles when the foot points are hidden.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from apps.core.imageio import Matte

from .types import Framing, PersonMeasure

Points = npt.NDArray[np.float32]  # 33x2 (x, y) BlazePose landmarks in frame pixels
Visibility = npt.NDArray[np.float32]  # 33

# BlazePose's topology ("left" is the person's left: the image's right in a front view).
NOSE = 0
LEFT_EYE, RIGHT_EYE = 2, 5
LEFT_EAR, RIGHT_EAR = 7, 8
MOUTH_LEFT, MOUTH_RIGHT = 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX = 31, 32
SKELETON: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
)  # fmt: skip
# Per leg: hip, knee, and the points that mark the sole.
LEGS = ((LEFT_HIP, LEFT_KNEE, (LEFT_HEEL, LEFT_FOOT_INDEX)), (RIGHT_HIP, RIGHT_KNEE, (RIGHT_HEEL, RIGHT_FOOT_INDEX)))

MIN_VISIBILITY = 0.5
MASK_THRESHOLD = 0.5
# Adult faces (Farkas' anthropometry): pupils to lips about 6.8 cm, lips to chin about 4.8 cm.
CHIN_BELOW_MOUTH = 0.7  # of the eyes-to-mouth distance
CHIN_FROM_NOSE = 2.6  # of the eyes-to-nose-tip distance, measured from the eyes
CHIN_BELOW_EARS = 0.7  # of the ear-to-ear distance (a head seen from behind)
EYES_ABOVE_NOSE = 1.7  # of the nose-tip-to-mouth distance (eyes hidden: sunglasses, a cap's shadow)
# The eyes sit about halfway down the head; hair adds a little. Used when the mask cannot tell.
HEAD_TOP_ABOVE_EYES = 1.0  # of the eyes-to-chin distance
# What the mask may say: a head top nearer the eyes than this missed the hair; further, it is a hat,
# a raised hand or someone behind.
HEAD_TOP_RANGE = (0.6, 2.2)  # of the eyes-to-chin distance, above the eyes
# A foot point predicted from a leg cut by the frame lands too near the knee: shin and foot are
# about as long as the thigh, so a shorter one is not trusted.
MIN_SHIN_TO_THIGH = 0.7
# Where, down a standing body from the head top, BlazePose's hips and shoulders lie (measured on
# full-body photos); they estimate the whole height of a body the frame cuts.
# On a body cut above the knees BlazePose places the hips a little higher than on the whole body.
HIP_DOWN_BODY = 0.5
SHOULDER_DOWN_BODY = 0.2
# Shoulders to hips is about 4 eyes-to-chin units (3.1 to 4.2 measured). On a body cut near the
# knees BlazePose may squeeze the whole skeleton into what it sees, hips at the waist: such a
# skeleton's hips, feet and slope are not used.
MIN_TORSO = 2.8  # eyes-to-chin units


def _visible(points: Points, visibility: Visibility, index: int) -> bool:
    x, y = points[index]
    return bool(visibility[index] >= MIN_VISIBILITY and math.isfinite(x) and math.isfinite(y))


def _mean_visible(points: Points, visibility: Visibility, indices: tuple[int, ...]) -> npt.NDArray | None:
    seen = [points[i] for i in indices if _visible(points, visibility, i)]
    return np.mean(seen, axis=0).astype(np.float64) if seen else None


def estimate_chin(points: Points, visibility: Visibility) -> tuple[npt.NDArray, npt.NDArray] | None:
    """(eyes, chin) points; BlazePose has no chin, so it is extrapolated along the face.

    From the mouth: the chin lies 0.7 of the eyes-to-mouth distance below the mouth, on the same
    line (so a tilted head tilts the estimate). Without the mouth, from the nose tip; without the
    nose, below the ears. Hidden eyes are placed above the nose and mouth. None without eyes, or
    without nose and mouth."""
    eyes = _mean_visible(points, visibility, (LEFT_EYE, RIGHT_EYE))
    nose = _mean_visible(points, visibility, (NOSE,))
    mouth = _mean_visible(points, visibility, (MOUTH_LEFT, MOUTH_RIGHT))
    if eyes is None:
        if nose is None or mouth is None:
            return None
        eyes = nose - EYES_ABOVE_NOSE * (mouth - nose)
    if mouth is not None and np.linalg.norm(mouth - eyes) > 0:
        return eyes, mouth + CHIN_BELOW_MOUTH * (mouth - eyes)
    if nose is not None and np.linalg.norm(nose - eyes) > 0:
        return eyes, eyes + CHIN_FROM_NOSE * (nose - eyes)
    if _visible(points, visibility, LEFT_EAR) and _visible(points, visibility, RIGHT_EAR):
        span = float(np.linalg.norm(points[LEFT_EAR] - points[RIGHT_EAR]))
        ears = (points[LEFT_EAR] + points[RIGHT_EAR]).astype(np.float64) / 2
        return eyes, np.array([ears[0], ears[1] + CHIN_BELOW_EARS * span])
    return None


def _head_top(eyes: npt.NDArray, head_x: float, unit: float, mask: Matte | None) -> float:
    """The top of the hair: walk up the mask from the eyes in a narrow band over the head.

    Negative or 0 when the head runs into the top edge (then the landmark estimate, if higher)."""
    estimate = float(eyes[1] - HEAD_TOP_ABOVE_EYES * unit)
    if mask is None:
        return estimate
    height, width = mask.shape
    eye_row = round(eyes[1])
    half = max(1, round(0.3 * unit))
    x0, x1 = max(0, round(head_x) - half), min(width, round(head_x) + half + 1)
    if x1 <= x0 or not 0 <= eye_row < height:
        return estimate
    highest = max(0, math.floor(eyes[1] - HEAD_TOP_RANGE[1] * unit))
    rows = mask[highest : eye_row + 1, x0:x1] > MASK_THRESHOLD
    inside = rows.mean(axis=1) >= 0.25
    if not inside[-1]:
        return estimate  # the mask missed this head
    outside = np.flatnonzero(~inside[::-1])
    if len(outside) == 0:
        # Person all the way up the search: cut by the top edge, or something above the head.
        return min(estimate, 0.0) if highest == 0 else estimate
    top = float(eye_row - outside[0] + 1)
    if top > eyes[1] - HEAD_TOP_RANGE[0] * unit:
        return estimate
    return top


def _feet(points: Points, visibility: Visibility, frame_size: tuple[int, int]) -> float | None:
    """The lowest sole point that is visible, inside the frame and at a believable distance from its knee."""
    width, height = frame_size
    lowest = None
    for hip, knee, soles in LEGS:
        thigh = None
        if _visible(points, visibility, hip) and _visible(points, visibility, knee):
            thigh = float(np.linalg.norm(points[hip] - points[knee]))
        for index in soles:
            x, y = (float(v) for v in points[index])
            if not _visible(points, visibility, index) or not (0 <= x < width and 0 <= y < height - 1):
                continue
            if thigh is not None and np.linalg.norm(points[index] - points[knee]) < MIN_SHIN_TO_THIGH * thigh:
                continue
            lowest = y if lowest is None else max(lowest, y)
    return lowest


def _feet_from_mask(points: Points, visibility: Visibility, mask: Matte | None, unit: float) -> float | None:
    """The mask's lowest row under the knees, when it clearly reaches the ankles and stops above the bottom edge."""
    if mask is None:
        return None
    height, width = mask.shape
    knees = [points[i] for i in (LEFT_KNEE, RIGHT_KNEE) if _visible(points, visibility, i)]
    hips = _mean_visible(points, visibility, (LEFT_HIP, RIGHT_HIP))
    if not knees:
        return None
    knees_arr = np.array(knees, dtype=np.float64)
    knee_y = float(knees_arr[:, 1].mean())
    if not 0 <= knee_y < height:
        return None
    thigh = knee_y - hips[1] if hips is not None and knee_y > hips[1] else 2.0 * unit
    x0 = max(0, round(knees_arr[:, 0].min() - 1.5 * unit))
    x1 = min(width, round(knees_arr[:, 0].max() + 1.5 * unit) + 1)
    if x1 <= x0:
        return None
    covered = (mask[round(knee_y) :, x0:x1] > MASK_THRESHOLD).sum(axis=1) >= 2
    gaps = np.flatnonzero(~covered)
    run = int(gaps[0]) if len(gaps) else len(covered)  # rows of person straight down from the knees
    bottom = round(knee_y) + run - 1
    if run == 0 or bottom >= height - 2 or bottom - knee_y < 0.8 * thigh:
        return None
    return float(bottom)


def _runs_off_bottom(points: Points, visibility: Visibility, mask: Matte | None, unit: float) -> bool:
    """Whether the person's mask reaches the bottom edge under the hips; True without a mask (cannot tell)."""
    if mask is None:
        return True
    height, width = mask.shape
    hips = [points[i, 0] for i in (LEFT_HIP, RIGHT_HIP) if _visible(points, visibility, i)]
    x0, x1 = max(0, round(min(hips) - unit)), min(width, round(max(hips) + unit) + 1)
    return x1 > x0 and int((mask[-1, x0:x1] > MASK_THRESHOLD).sum()) >= max(2, round(0.3 * unit))


def _line_angle(points: Points, visibility: Visibility, a: int, b: int, min_span: float) -> float | None:
    if not (_visible(points, visibility, a) and _visible(points, visibility, b)):
        return None
    (lx, ly), (rx, ry) = sorted((tuple(points[a]), tuple(points[b])))
    if rx - lx < min_span:
        return None  # a body turned sideways: its shoulder line says nothing about the camera
    return math.degrees(math.atan2(ry - ly, rx - lx))


def _box(
    points: Points, visibility: Visibility, mask: Matte | None, top: float, bottom: float, unit: float,
    frame_size: tuple[int, int],
) -> tuple[int, int, int, int]:  # fmt: skip
    """Visible landmarks, widened by the mask near them (hair, clothes), from the head top to the feet."""
    width, height = frame_size
    seen = np.array([p for i, p in enumerate(points) if _visible(points, visibility, i)], dtype=np.float64)
    x0, x1 = float(seen[:, 0].min()), float(seen[:, 0].max())
    y0, y1 = max(0.0, top), min(float(height), bottom)
    if mask is not None and y1 > y0:
        margin = 0.6 * unit
        c0, c1 = max(0, math.floor(x0 - margin)), min(width, math.ceil(x1 + margin) + 1)
        columns = np.flatnonzero((mask[math.floor(y0) : math.ceil(y1), c0:c1] > MASK_THRESHOLD).any(axis=0))
        if len(columns):
            x0, x1 = min(x0, c0 + columns[0]), max(x1, c0 + columns[-1] + 1)
    x0, x1 = max(0.0, x0), min(float(width), x1)
    return round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))


def _hips(points: Points, visibility: Visibility, unit: float) -> npt.NDArray | None:
    hips = _mean_visible(points, visibility, (LEFT_HIP, RIGHT_HIP))
    shoulders = _mean_visible(points, visibility, (LEFT_SHOULDER, RIGHT_SHOULDER))
    if hips is None or shoulders is None or hips[1] - shoulders[1] < MIN_TORSO * unit:
        return None
    return hips


def _estimated_height(shoulder_y: float, hip_y: float | None, head_top: float) -> float:
    """A cut body's whole height, from where its shoulders (and hips, when trusted) lie below the head top."""
    estimates = [(shoulder_y - head_top) / SHOULDER_DOWN_BODY]
    if hip_y is not None:
        estimates.append((hip_y - head_top) / HIP_DOWN_BODY)
    return max(1.0, float(np.mean(estimates)))


def measure_person(
    points: Points, visibility: Visibility, mask: Matte | None, frame_size: tuple[int, int]
) -> PersonMeasure | None:
    """One person's proportions in frame pixels; None without a usable head (no eyes or nose, or no shoulder).

    ``mask`` is this person's probability at frame size (other people best left out); None measures from
    the landmarks alone."""
    width, height = frame_size
    points = np.asarray(points, dtype=np.float32)
    visibility = np.asarray(visibility, dtype=np.float32)
    face = estimate_chin(points, visibility)
    shoulders = [i for i in (LEFT_SHOULDER, RIGHT_SHOULDER) if _visible(points, visibility, i)]
    if face is None or not shoulders:
        return None
    eyes, chin = face
    unit = float(np.linalg.norm(chin - eyes))  # eyes to chin: about half the head's height
    span = float(np.linalg.norm(points[LEFT_SHOULDER] - points[RIGHT_SHOULDER])) if len(shoulders) == 2 else 0.0
    unit = max(unit, 0.2 * span, 1.0)
    head_x = _mean_visible(points, visibility, (NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR))
    head_top = _head_top(eyes, float(head_x[0]), unit, mask)
    chin_y = float(chin[1])

    hips = _hips(points, visibility, unit)
    hip_y = float(hips[1]) if hips is not None else None
    # Hips squeezed up to the waist, on a body the mask shows running on below the bottom edge, mean
    # the whole skeleton was squeezed into a frame that cuts the legs: its feet are inside the frame,
    # and wrong, and its shoulders slope where the body does not. (A small child's short torso, with
    # its feet in the frame, is not squeezed.)
    high_hips = hips is None and _mean_visible(points, visibility, (LEFT_HIP, RIGHT_HIP)) is not None
    squeezed = high_hips and _runs_off_bottom(points, visibility, mask, unit)
    feet_y = None if squeezed else _feet(points, visibility, frame_size)
    if feet_y is None and not squeezed:
        feet_y = _feet_from_mask(points, visibility, mask, unit)
    if feet_y is not None and feet_y <= chin_y + unit:
        feet_y = None  # a sole at the chin is no sole: a crouch or a misread

    head_ratio = leg_ratio = None
    if feet_y is not None:
        body = feet_y - head_top
        head_ratio = (chin_y - head_top) / body
        if hip_y is not None and head_top < hip_y < feet_y:
            leg_ratio = (feet_y - hip_y) / body
        body_shown = 1.0
    else:
        shoulder_y = float(np.mean([points[i, 1] for i in shoulders]))
        body_shown = min(1.0, (height - head_top) / _estimated_height(shoulder_y, hip_y, head_top))

    lines = [(LEFT_SHOULDER, RIGHT_SHOULDER)] + ([(LEFT_HIP, RIGHT_HIP)] if hips is not None else [])
    angles = [_line_angle(points, visibility, a, b, min_span=0.5 * unit) for a, b in lines] if not squeezed else []
    angles = [angle for angle in angles if angle is not None]
    tilt = float(np.mean(angles)) if angles else 0.0

    # Without feet in frame the body goes on below the bottom edge.
    box = _box(points, visibility, mask, head_top, feet_y if feet_y is not None else height, unit, frame_size)
    landmarks = tuple((float(x), float(y), float(v)) for (x, y), v in zip(points, visibility, strict=True))
    return PersonMeasure(
        box=box, head_top_y=head_top, chin_y=chin_y, feet_y=feet_y, hip_y=hip_y, head_ratio=head_ratio,
        leg_ratio=leg_ratio, tilt_deg=tilt, feet_in_frame=feet_y is not None, landmarks=landmarks,
        body_shown=float(body_shown),
    )  # fmt: skip


def nearest_third(centre_x: float) -> float:
    return 1 / 3 if centre_x < 0.5 else 2 / 3


def frame_people(people: tuple[PersonMeasure, ...] | list[PersonMeasure], frame_size: tuple[int, int]) -> Framing:
    """The group's framing; ``thirds_offset`` is measured to the nearest third line (guidance re-aims it)."""
    if not people:
        raise ValueError("frame_people needs at least one person")
    width, height = frame_size
    x0 = min(p.box[0] for p in people)
    y0 = min(p.box[1] for p in people)
    x1 = max(p.box[0] + p.box[2] for p in people)
    y1 = max(p.box[1] + p.box[3] for p in people)
    feet = [p.feet_y for p in people]
    footroom = None if any(f is None for f in feet) else (height - max(feet)) / height  # type: ignore[type-var]
    centre_x = (x0 + x1) / 2 / width
    return Framing(
        box=(x0, y0, x1 - x0, y1 - y0),
        headroom=min(p.head_top_y for p in people) / height,
        footroom=footroom,
        subject_height=(y1 - y0) / height,
        centre_x=centre_x,
        thirds_offset=centre_x - nearest_third(centre_x),
        tilt_deg=float(np.mean([p.tilt_deg for p in people])),
        body_shown=float(np.mean([p.body_shown for p in people])),
        subject_width=(x1 - x0) / width,
    )
