"""What the emoticon shows besides the expression, measured from face-mesh landmarks and pixels. No Django here.

The source system read each attribute with its own 128x128 CNN. This module measures them
instead, so every decision can be explained from the photo: a mask is cloth where the lower face
should be skin, glasses are rims (lines where a bare face has none) or dark lenses over the eyes,
and the frame shape is the outline the rims draw around each eye. Trained classifiers replace
single attributes once their weights exist; ``Attributes.engines`` records which engine decided what.

Inputs everywhere: ``rgb`` is HxWx3 uint8 RGB and ``landmarks`` the Nx2 float32 pixel (x, y)
points of mediapipe's face mesh (478 with iris refinement; 468 works too). Nothing here mutates
its inputs, and the same inputs always give the same answer.

All work happens on one working crop: the face rotated so the eyes are level and scaled so it is
WORKING_FACE_HEIGHT pixels from forehead (landmark 10) to chin. That makes every threshold below a
fixed number of pixels or a fixed Lab difference, whatever the photo's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import RGBImage
from apps.idphoto.pipeline.colour import (
    FOREHEAD,
    LEFT_CHEEK,
    LEFT_EYE,
    LIPS_INNER,
    LIPS_OUTER,
    RIGHT_CHEEK,
    RIGHT_EYE,
    FaceNotMeasurable,
    hex_to_rgb,
    rgb_to_lab,
)
from apps.idphoto.pipeline.faces import (
    CHIN,
    FACE_OVAL,
    FOREHEAD_TOP,
    LEFT_EYE_CORNERS,
    LEFT_IRIS,
    RIGHT_EYE_CORNERS,
    RIGHT_IRIS,
    Landmarks,
)

from .types import MONK_SCALE, Attributes, FaceShape

__all__ = [
    "ENGINE_LANDMARK_PIXEL",
    "FaceNotMeasurable",
    "detect_glasses",
    "detect_mask",
    "face_shape",
    "frame_shape",
    "hair_colour",
    "measure_attributes",
    "skin_tone",
]

ENGINE_LANDMARK_PIXEL = "face-mesh landmarks + pixel statistics"

Lab = npt.NDArray[np.float32]  # (3,) L*, a*, b*
Mask = npt.NDArray[np.bool_]

# --- Face-mesh points and regions (mediapipe topology; "right" is the person's right, image left) -----
RIGHT_CHEEKBONE, LEFT_CHEEKBONE = 234, 454  # the widest points of the face oval
MOUTH_CORNERS = (61, 291)
UPPER_LIP, LOWER_LIP = 0, 17
# Below the nostrils, inside the jaw: where a mask sits and a beard grows.
LOWER_FACE = (
    2, 97, 98, 203, 206, 216, 212, 202, 210, 169, 170, 140, 171, 175,
    396, 369, 395, 394, 430, 422, 432, 436, 426, 423, 327, 326,
)  # fmt: skip
# The lower half of the nose, tip and wings: a mask covers it, a beard never does.
NOSE_LOWER = (5, 281, 363, 360, 279, 358, 327, 326, 2, 97, 98, 129, 49, 131, 134, 51)
# Between the brows and the upper bridge: skin under every mask, and under most fringes and caps.
GLABELLA = (9, 336, 285, 417, 168, 193, 55, 107)
NOSE_BRIDGE = (168, 417, 351, 6, 122, 193)
REFERENCE_REGIONS = (FOREHEAD, GLABELLA, NOSE_BRIDGE)
CHEEKS = (RIGHT_CHEEK, LEFT_CHEEK)
TEXTURE_REGIONS = (FOREHEAD, *CHEEKS)
# Down each cheek, from just under the lower lid to the mouth's level: a mask's upper edge crosses it.
CHEEK_PROFILES = ((230, 216), (450, 436))
EYES = ((RIGHT_EYE_CORNERS, RIGHT_EYE), (LEFT_EYE_CORNERS, LEFT_EYE))  # corners, opening contour

# --- Working crop ------------------------------------------------------------------------------------
WORKING_FACE_HEIGHT = 256  # px from landmark 10 to the chin
CROP_SIDE = 0.2  # face widths beside the oval
CROP_ABOVE = 0.65  # face heights above the oval's top: room for the hair
CROP_BELOW = 0.05  # face heights below the chin
CLIPPED_LOW, CLIPPED_HIGH = 4, 252  # 8-bit peaks outside this carry no colour (crushed shadow, blown highlight)
MIN_PIXELS = 25  # a region with fewer usable pixels says nothing

# --- Thresholds, and why ------------------------------------------------------------------------------
# Lab is CIE L*a*b* (D65) from sRGB; ΔE is CIE76. Gradients are 3x3 Sobel magnitudes of L* on the
# working crop (about 4x the L* step between neighbouring pixels). "Texture" is the median gradient
# of this person's plain skin (forehead and cheeks, pixels of the skin's colour only), and edge
# thresholds are multiples of it, so soft, small or noisy photos are judged against themselves.
#
# Skin. Photographed skin of every depth sits at L* 20..95, C* 6..50 and a hue angle of 15..85°
# (more yellow than red), which a colour cast can shift by 20°. Black and grey hair have C* < 6,
# brows and beards are far darker than the skin beside them, and nothing blue, green or purple is
# skin. The reference skin comes from above anything a mask or beard covers (forehead, between
# the brows, upper nose bridge; each region one vote, so a fringe over the large forehead cannot
# outvote the others): the trimmed median around the mode of their plausible pixels. When a fringe,
# a cap or thick frames hide those too, the cheeks take over (see _cheeks_are_the_skin). Distances
# to the skin forgive lightness three times more than colour: shading moves L* by 30 across a
# face, while cloth, hair and lenses change a* and b*.
SKIN_L = (20.0, 95.0)
SKIN_CHROMA = (6.0, 50.0)
SKIN_HUE_DEG = (-5.0, 100.0)  # wide, for any photo: a cast moves it (see _plausible_skin)
TYPICAL_SKIN_HUE_DEG = (15.0, 85.0)  # without a cast
SKIN_HUE_SPREAD = 35.0  # degrees either side of this photo's own skin hue
SKIN_LIGHTNESS_WEIGHT = 1 / 3
GREY_PHOTO_CHROMA = 4.0  # C*: a photo whose GREY_PHOTO_PERCENTILE pixel is greyer has no colour ...
GREY_PHOTO_PERCENTILE = 90
GREY_LIGHTNESS_WEIGHT = 0.7  # ... and lightness is all there is to tell cloth from skin
SKIN_LIKE_DE = 12.0  # shading-tolerant distance below which a pixel is this person's skin
SKIN_CLUSTER_DE = 20.0  # around the skin's histogram mode: all its shading, no fringe, brow or beard
CHEEKS_MORE_PLAUSIBLE = 0.35  # share by which the cheeks must look more like skin to replace the forehead,
CHEEKS_AS_PLAUSIBLE = 0.1  # ... or, looking about as much like skin, be smoother by CHEEKS_SMOOTHER
CHEEKS_SMOOTHER = 1.5
SKIN_TRIM = (15, 85)  # L* percentiles kept before the median: pores, shadow and shine out
MIN_TEXTURE = 3.0  # floor for the skin's texture, so a flawless (or blurred) skin divides safely
# Lab histogram bins for the dominant colour of skin and hair: twice as long along L*, because
# shading and curls spread one colour over a wide range of lightness but little of hue.
HISTOGRAM_BIN = (16.0, 8.0, 8.0)
MAX_SAMPLES = 4000  # pixels of a region kept for its histogram
#
# Mask. Six pieces of evidence, each 0..1, from the lower face (below the nostrils, lips cut out)
# against the reference skin:
#   not_skin      share of lower-face pixels unlike this person's skin (a beard counts too),
#   nose          the same share on the lower nose, which a mask covers and a beard never does,
#   lips          share of the lip ring neither skin- nor lip-coloured: a mask hides the mouth, a
#                 beard frames it,
#   cloth_colour  share of pixels no skin or hair has in this photo: blue, green, purple, white or
#                 grey, or more saturated than skin,
#   smooth        1 - the lower face's texture relative to the skin's (negative when rougher):
#                 cloth is smooth, stubble and beards are rough,
#   border        the sharpest colour step down the cheeks (ramped over BORDER_STEP_DE), where a
#                 mask's upper edge crosses them,
# and one against: beard, the share of lower-face pixels that are dark, greyish-brown and rough.
# score = MASK_BIAS + Σ weight x evidence; masked above 0; the confidence is a logistic of |score|.
# The weights are a logistic fit, rounded, on the face_mask images outside the test sample (the
# first 150 of each class are kept for the accuracy test) plus 284 synthetic beards drawn on
# unmasked faces. A beard scores on not_skin and border but hardly on nose, lips, cloth_colour or
# smooth, and pays for beard, so it stays well below 0.
MASK_WEIGHTS = {
    "not_skin": 1.7, "nose": 2.3, "lips": 3.5, "cloth_colour": 2.4, "smooth": 1.1, "border": 2.4, "beard": -2.4,
}  # fmt: skip
MASK_BIAS = -4.4
HAIR_DARKER = 10.0  # L* below the skin for a pixel to pass as hair or shadow ...
HAIR_CHROMA = 20.0  # ... and no more colourful than this
ROUGH = 2.0  # gradient, x texture, above which a pixel is rough
BORDER_STEP_DE = (6.0, 30.0)
LIP_HUE_SPREAD = 60.0  # degrees redder than the skin a lip (or lipstick) may be
LIP_LIGHTNESS = 30.0  # in a grey photo, L* from the skin's within which a visible lip stays
MASK_CONFIDENCE_SLOPE = 1.0  # 0.5 at the threshold, 0.73 at |score| 1, 0.95 at 3
#
# Glasses. Rays are cast from each pupil, sideways and downwards (-25°..205°, y down; the upper
# rim hides in the brows), from outside the eye opening (RAY_START, an ellipse in eye widths, and
# never within EYE_MARGIN of the lids) to where a frame can still be (RAY_END). Along a ray a rim
# is a line: darker (or, for metal and white frames, lighter) than what lies on both sides of it
# within RIM_WIDEST, by RIM_LINE x texture and at least RIM_LINE_MIN L*. A shadow's edge or the
# lower lid is a step, dark on one side only, and does not count. The smoothest path through all
# the rays' line scores is the candidate outline (_rays); "rims" is the share of rays where it lies
# on a real line, which a closed frame gives on almost every ray and a bare face's scattered
# creases do not. "bridge" is the share of columns between the inner eye corners crossed by a
# horizontal bar in BRIDGE_BAND. score = GLASSES_BIAS + Σ weight x evidence; eyeglasses above 0.
# Weights were set with frames drawn (black, brown, grey and gold, 2..4 px) on face_mask faces
# outside the test sample against the bare faces there, and checked on the test sample, whose
# glasses were labelled by eye (see the tests).
RAY_ANGLES_DEG = (-25.0, 205.0)
RAY_COUNT = 47
RAY_START = (0.5, 0.25)  # eye widths, horizontal and vertical semi-axes
RAY_END = (1.35, 1.2)
EYE_MARGIN = 0.2  # eye widths around the eye opening left out of the rays
OVAL_MARGIN = 0.3  # eye widths beyond the face oval a frame may still reach
RIM_WIDEST = 0.15  # eye widths: half the thickest rim
RIM_LINE = 2.0
RIM_LINE_MIN = 8.0
RIM_JUMP = 0.1  # eye widths the outline may move between neighbouring rays (5° apart)
RIM_JUMP_COST = 0.05  # score given up per pixel moved, so a straight run beats a zigzag
RIM_SATURATION = 2.0  # one very strong line counts no more than two ordinary ones
BRIDGE_BAND = (-0.4, 0.25)  # eye widths around the eye line
BRIDGE_EDGE, BRIDGE_EDGE_MIN = 6.0, 25.0  # each side of the bar: vertical gradient, x texture, and at least
BRIDGE_BAR = 0.3  # eye widths: the thickest bar counted
BRIDGE_INSET = 0.3  # of the gap between the inner corners, left out at each end (the corners' own edges)
GLASSES_WEIGHTS = {"rims": 6.0, "bridge": 4.0}
GLASSES_BIAS = -4.0
GLASSES_CONFIDENCE_SLOPE = 1.0
# Sunglasses. Three pieces of evidence, each ramped to 0..1 and summed: the skin around each eye
# (lids and under-eye, the eye itself left out) much darker than the reference skin, and mostly no
# longer skin-coloured, and the eye opening without the contrast of white against iris (a visible
# eye has 15..60 L* between its 10th and 90th percentiles even in a small photo; behind a dark
# lens 2..12 are left). Darkness alone is not enough: a cap's shadow darkens the eyes too.
LENS_AREA = (0.75, 0.5)  # eye widths, semi-axes of the ellipse read as the lens
LENS_DROP = 0.1  # eye widths the lens centre sits below the pupil
LENS_EDGE, LENS_EDGE_MIN = 6.0, 25.0  # a dark lens's outline, for its shape: gradient, x texture, and at least
SUNGLASSES_DARKER = (12.0, 35.0)  # L* below the skin: not dark at all, surely dark
SUNGLASSES_NOT_SKIN = (0.3, 0.8)  # share of that area unlike the skin: none, nearly all
EYE_CONTRAST = (30.0, 10.0)  # L* between the percentiles below: an eye in view, an eye hidden
EYE_CONTRAST_PERCENTILES = (10, 90)
SUNGLASSES_SPLIT = 2.0  # of the sum (0..3)
SUNGLASSES_SLOPE = 5.0
#
# Frame shape. The traced outline around each eye (for sunglasses, the dark lens's own outline,
# rim or not) is closed by a chord across its top and compared with its minimum-area rectangle.
# An ellipse cut like that fills 0.76..0.85 of it, a rectangle all of it; drawn rectangles with
# the corners the rays cut measured 0.83..0.95 (median 0.90), drawn circles and ovals 0.76..0.845.
# FRAME_SPLIT is between. Each eye votes with the weight of how much outline it found. The
# confidence grows with the margin but never exceeds FRAME_MAX_CONFIDENCE: this was the source's
# weakest attribute and it is still the least certain one here.
FRAME_SPLIT = 0.85
FRAME_SPREAD = 0.05  # margin from the split at which a vote is as sure as it gets
FRAME_MAX_CONFIDENCE = 0.8
FRAME_MIN_OUTLINE = 0.5  # share of rays on a real line below which an eye does not vote
#
# Hair. Looked for in the top of the head: half an ellipse as wide as the face (HAIR_CAP_WIDTH either
# side of landmark 10) reaching HAIR_CAP_HEIGHT face heights above a point just below landmark 10,
# outside the face oval. Short hair fills it and long hair too; background shows mostly at its rim,
# which counts less, so the dominant non-skin colour there is the hair. None when the cap is mostly
# skin (bald, shaved, a high hairline) or when the photo's edge cuts it. A hat is read as hair.
HAIR_CAP_WIDTH = 0.55  # face widths
HAIR_CAP_HEIGHT = 0.38  # face heights
HAIR_CAP_DROP = 0.05  # face heights the ellipse's centre sits below landmark 10
HAIR_NOT_SKIN_DE = 15.0
HAIR_MIN_SHARE = 0.35  # non-skin share of the cap below which there is no hair to see
HAIR_MIN_VISIBLE = 0.6  # share of the cap inside the photo
HAIR_RIM_WEIGHT = 0.25  # weight of a pixel on the cap's rim; one just above the forehead weighs 1.25
HAIR_BLOWN_L = 97.0  # L*: blown highlights carry no colour
HAIR_RADIUS = 14.0  # ΔE around the histogram mode counted as the hair colour


# --- The working crop ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    """Pixels of a polygon or ellipse, found inside a window so no full-size mask is ever built."""

    rows: slice
    cols: slice
    inside: Mask

    def of(self, image: np.ndarray) -> np.ndarray:
        return image[self.rows, self.cols][self.inside]

    @property
    def size(self) -> int:
        return int(np.count_nonzero(self.inside))


@dataclass(frozen=True)
class _Face:
    rgb: RGBImage  # the crop, eyes level, face WORKING_FACE_HEIGHT px high
    lab8: npt.NDArray[np.uint8]  # HxWx3 OpenCV 8-bit Lab; Lab values come from colours()
    lightness: npt.NDArray[np.float32]  # HxW L*
    gradient: npt.NDArray[np.float32]  # HxW Sobel magnitude of L*
    gradient_y: npt.NDArray[np.float32]  # HxW d L* / dy, signed: horizontal edges
    valid: Mask  # False where the crop reaches beyond the photo
    unclipped: Mask  # inside the photo and neither crushed nor blown out
    grey: bool  # a greyscale (or nearly colourless) photo: skin has no colour to measure
    points: Landmarks  # the landmarks in crop pixels
    width: float  # cheekbone to cheekbone, px

    def colours(self, region: _Region) -> npt.NDArray[np.float32]:
        """Nx3 float L*a*b* of a region's pixels."""
        return _lab8_to_float(region.of(self.lab8))

    def window(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice] | None:
        height, width = self.valid.shape
        c0, r0 = max(0, math.floor(x0)), max(0, math.floor(y0))
        c1, r1 = min(width, math.ceil(x1) + 1), min(height, math.ceil(y1) + 1)
        if c1 <= c0 or r1 <= r0:
            return None
        return slice(r0, r1), slice(c0, c1)

    def _finish(self, window: tuple[slice, slice] | None, mask: np.ndarray | None, usable: bool) -> _Region:
        if window is None or mask is None:
            return _Region(slice(0, 0), slice(0, 0), np.zeros((0, 0), bool))
        rows, cols = window
        keep = (self.unclipped if usable else self.valid)[rows, cols]
        return _Region(rows, cols, mask.astype(bool) & keep)

    def polygon(
        self, indices: tuple[int, ...], without: tuple[int, ...] = (), margin: int = 0, usable: bool = True
    ) -> _Region:
        """The polygon through ``indices``, less the polygon ``without`` grown by ``margin`` px."""
        points = self.points[list(indices)]
        window = self.window(*points.min(axis=0), *points.max(axis=0))
        if window is None:
            return self._finish(None, None, usable)
        mask = self.polygon_mask(indices, *window)
        if without:
            hole = self.polygon_mask(without, *window, margin=margin)
            mask &= ~hole
        return self._finish(window, mask, usable)

    def polygon_mask(self, indices: tuple[int, ...], rows: slice, cols: slice, margin: int = 0) -> Mask:
        """The polygon through ``indices``, grown by ``margin`` px, as a mask of the window rows x cols."""
        mask = np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.uint8)
        outline = np.round(self.points[list(indices)] - (cols.start, rows.start)).astype(np.int32)
        cv2.fillPoly(mask, [outline], 1)
        if margin:
            cv2.polylines(mask, [outline], True, 1, thickness=2 * margin + 1)
        return mask.astype(bool)

    def ellipse(
        self, centre: np.ndarray, axes: tuple[float, float], upper_half: bool = False, usable: bool = True
    ) -> _Region:
        cx, cy = float(centre[0]), float(centre[1])
        ax, ay = axes
        window = self.window(cx - ax, cy - ay, cx + ax, cy if upper_half else cy + ay)
        if window is None:
            return self._finish(None, None, usable)
        rows, cols = window
        ys, xs = np.ogrid[rows, cols]
        mask = ((xs - cx) / max(ax, 1e-6)) ** 2 + ((ys - cy) / max(ay, 1e-6)) ** 2 <= 1.0
        if upper_half:
            mask = mask & (ys <= cy)
        return self._finish(window, mask, usable)


def _check_inputs(rgb: RGBImage, landmarks: Landmarks) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be HxWx3 uint8, not {rgb.shape} {rgb.dtype}")
    if landmarks.ndim != 2 or landmarks.shape[1] != 2 or len(landmarks) < 468:
        raise ValueError(f"landmarks must be Nx2 face-mesh points with N >= 468, not {landmarks.shape}")
    if not np.all(np.isfinite(landmarks)):
        raise ValueError("landmarks must be finite")


def _pupils(points: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    """The person's right and left pupil (image left and right)."""
    if len(points) > LEFT_IRIS:
        return points[RIGHT_IRIS], points[LEFT_IRIS]
    return points[list(RIGHT_EYE_CORNERS)].mean(axis=0), points[list(LEFT_EYE_CORNERS)].mean(axis=0)


def _levelled_crop(rgb: RGBImage, points: Landmarks) -> tuple[RGBImage, Mask, np.ndarray]:
    """The working crop, where in it the photo is, and the 2x3 photo-to-crop transform."""
    height = max(float(np.linalg.norm(points[CHIN] - points[FOREHEAD_TOP])), 1.0)
    scale = WORKING_FACE_HEIGHT / height
    right, left = _pupils(points)
    angle = math.degrees(math.atan2(float(left[1] - right[1]), float(left[0] - right[0])))
    rotate = np.vstack([cv2.getRotationMatrix2D((float(right[0]), float(right[1])), angle, 1.0), [0, 0, 1]])
    oval = np.hstack([points[list(FACE_OVAL)], np.ones((len(FACE_OVAL), 1), np.float32)]) @ rotate[:2].T
    span = float(np.ptp(oval[:, 0]))
    x0, x1 = oval[:, 0].min() - CROP_SIDE * span, oval[:, 0].max() + CROP_SIDE * span
    y0, y1 = oval[:, 1].min() - CROP_ABOVE * height, oval[:, 1].max() + CROP_BELOW * height
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    photo_to_crop = np.array([[scale, 0, -scale * x0], [0, scale, -scale * y0], [0, 0, 1]]) @ rotate
    # Only the part of the photo the crop can reach is used; a big photo is shrunk first with area
    # averaging, which a rotation's bilinear sampling would skip, aliasing the texture measured later.
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ np.linalg.inv(rotate)[:2].T
    limits = rgb.shape[1::-1]
    sx0, sy0 = (int(np.clip(math.floor(v) - 1, 0, n)) for v, n in zip(corners.min(axis=0), limits, strict=True))
    sx1, sy1 = (int(np.clip(math.ceil(v) + 2, 0, n)) for v, n in zip(corners.max(axis=0), limits, strict=True))
    source = rgb[sy0:sy1, sx0:sx1]
    pre = 1.0
    if scale < 1 and source.size:
        shrunk = (max(1, round(source.shape[1] * scale)), max(1, round(source.shape[0] * scale)))
        pre = shrunk[0] / source.shape[1]
        source = cv2.resize(source, shrunk, interpolation=cv2.INTER_AREA)
    source_to_crop = (photo_to_crop @ np.array([[1 / pre, 0, sx0], [0, 1 / pre, sy0], [0, 0, 1]]))[:2]
    if source.size:
        crop = cv2.warpAffine(source, source_to_crop, size, flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    else:
        crop = np.zeros((size[1], size[0], 3), np.uint8)
    # The photo's own outline in the crop, shrunk by a pixel so no blend with the black border counts.
    photo = np.array([[0, 0, 1], [limits[0], 0, 1], [limits[0], limits[1], 1], [0, limits[1], 1]])
    inside = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillConvexPoly(inside, np.round(photo @ photo_to_crop[:2].T).astype(np.int32), 1)
    return crop, cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool), photo_to_crop[:2]


def _working_face(rgb: RGBImage, landmarks: Landmarks) -> _Face:
    points = np.asarray(landmarks, np.float32)
    _check_inputs(rgb, points)
    crop, valid, photo_to_crop = _levelled_crop(rgb, points)
    crop_points = (np.hstack([points, np.ones((len(points), 1), np.float32)]) @ photo_to_crop.T).astype(np.float32)
    # 8-bit Lab is ten times faster than float and within 2 ΔE of it: far inside every margin here.
    lab8 = cv2.cvtColor(crop, cv2.COLOR_RGB2Lab)
    lightness = lab8[..., 0].astype(np.float32) * np.float32(100 / 255)
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
    # Colourless if even the most colourful pixels of the crop are grey (a white mask is grey; the
    # face around it is not).
    _, a, b = cv2.split(lab8)
    chroma = np.hypot(a[valid][::7].astype(np.float32) - 128, b[valid][::7].astype(np.float32) - 128)
    grey = len(chroma) == 0 or float(np.percentile(chroma, GREY_PHOTO_PERCENTILE)) < GREY_PHOTO_CHROMA
    red, green, blue = cv2.split(crop)
    peak = cv2.max(cv2.max(red, green), blue)
    return _Face(
        rgb=crop,
        lab8=lab8,
        lightness=lightness,
        gradient=cv2.magnitude(gx, gy),
        gradient_y=gy,
        valid=valid,
        unclipped=valid & (peak > CLIPPED_LOW) & (peak < CLIPPED_HIGH),
        grey=grey,
        points=crop_points,
        width=float(np.linalg.norm(crop_points[LEFT_CHEEKBONE] - crop_points[RIGHT_CHEEKBONE])),
    )


# --- Colour ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Skin:
    lab: Lab  # the reference skin colour, from above any mask or beard
    texture: float  # median gradient of plain skin of that colour (forehead and cheeks)
    grey_photo: bool


def _ramp(value: float, zero_at: float, one_at: float) -> float:
    return float(np.clip((value - zero_at) / (one_at - zero_at), 0.0, 1.0))


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def _lab8_to_float(values: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    lab = values.reshape(-1, 3).astype(np.float32)
    lab -= np.float32([0, 128, 128])
    lab[:, 0] *= np.float32(100 / 255)
    return lab


def _plausible_skin(
    lab: npt.NDArray[np.float32], grey_photo: bool = False, skin: Lab | None = None
) -> npt.NDArray[np.bool_]:
    """Pixels whose colour skin can have: in general, or, given the measured ``skin``, in this photo.

    Knowing the skin lets the hue window follow the photo's colour cast (a magenta-tinted selfie
    puts real skin at a hue of 0°) while staying narrow enough that blue or green cloth never fits.
    """
    lightness = lab[..., 0]
    keep = (lightness >= SKIN_L[0]) & (lightness <= SKIN_L[1])
    if grey_photo:
        return keep
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    if skin is None:
        in_hue = (hue >= SKIN_HUE_DEG[0]) & (hue <= SKIN_HUE_DEG[1])
    else:
        centre = math.degrees(math.atan2(float(skin[2]), float(skin[1])))
        in_hue = np.abs((hue - centre + 180.0) % 360.0 - 180.0) <= SKIN_HUE_SPREAD
    return keep & (chroma >= SKIN_CHROMA[0]) & (chroma <= SKIN_CHROMA[1]) & in_hue


def _skin_distance(
    lab: npt.NDArray[np.float32], skin: Lab, lightness_weight: float = SKIN_LIGHTNESS_WEIGHT
) -> npt.NDArray[np.float32]:
    """ΔE to the skin that forgives shading: lightness counts ``lightness_weight`` as much as colour."""
    diff = lab - skin
    return np.sqrt((diff[..., 0] * lightness_weight) ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2)


def _hair_like(lab: npt.NDArray[np.float32], skin: Lab) -> npt.NDArray[np.bool_]:
    """Darker than the skin and greyish to brown: hair, beard, stubble or shadow, never cloth colour."""
    return (lab[..., 0] < skin[0] - HAIR_DARKER) & (np.hypot(lab[..., 1], lab[..., 2]) < HAIR_CHROMA)


def _dominant(
    lab: npt.NDArray[np.float32], radius: float, weights: npt.NDArray[np.float64] | None = None
) -> Lab | None:
    """The trimmed median of the pixels within ``radius`` of the mode of a coarse Lab histogram.

    The histogram is summed over neighbouring bins first, so a colour that straddles a bin edge is
    not outvoted by a smaller one that falls inside a single bin.
    """
    if len(lab) < MIN_PIXELS:
        return None
    # An evenly spread subset finds the same mode as every pixel of a large region.
    stride = max(1, len(lab) // MAX_SAMPLES)
    lab = lab[::stride]
    weights = None if weights is None else weights[::stride]
    # a* and b* beyond ±64 are rare in faces and hair; they share the outermost bins.
    low = np.array([0.0, -64.0, -64.0], np.float32)
    size = np.array(HISTOGRAM_BIN, np.float32)
    sides = np.ceil(np.array([100.0, 128.0, 128.0]) / size).astype(np.int64) + 1
    bins = np.clip(np.floor((lab - low) / size).astype(np.int64), 0, sides - 1)
    keys = (bins[:, 0] * sides[1] + bins[:, 1]) * sides[2] + bins[:, 2]
    counts = np.pad(np.bincount(keys, weights, minlength=int(np.prod(sides))).reshape(tuple(sides)), 1)
    smoothed = sum(
        counts[1 + dl : sides[0] + 1 + dl, 1 + da : sides[1] + 1 + da, 1 + db : sides[2] + 1 + db]
        for dl in (-1, 0, 1)
        for da in (-1, 0, 1)
        for db in (-1, 0, 1)
    )
    mode = np.array(np.unravel_index(int(np.argmax(smoothed)), smoothed.shape))
    centre = lab[np.all(np.abs(bins - mode) <= 1, axis=1)].mean(axis=0)
    near = lab[np.linalg.norm(lab - centre, axis=1) <= radius]
    if len(near) < MIN_PIXELS:
        return None
    return _trimmed_median(near)


def _trimmed_median(lab: npt.NDArray[np.float32]) -> Lab:
    low, high = np.percentile(lab[:, 0], SKIN_TRIM)
    kept = lab[(lab[:, 0] >= low) & (lab[:, 0] <= high)]
    return np.median(kept if len(kept) else lab, axis=0).astype(np.float32)


@dataclass(frozen=True)
class _SkinSample:
    lab: Lab
    plausible: float  # share of the regions (each weighted equally) that looks like uncast skin
    texture: float  # median gradient of the pixels of that colour: skin is smooth, a fringe is not


def _weighted_skin(face: _Face, regions: tuple[tuple[int, ...], ...]) -> _SkinSample | None:
    """The skin colour of ``regions``, each with an equal vote; fringe, brows, beard and shadow out."""
    samples, gradients, weights = [], [], []
    for indices in regions:
        region = face.polygon(indices)
        if region.size:
            samples.append(face.colours(region))
            gradients.append(region.of(face.gradient))
            weights.append(np.full(region.size, 1.0 / region.size))
    if sum(len(lab) for lab in samples) < MIN_PIXELS:
        return None
    lab, gradient, weight = np.concatenate(samples), np.concatenate(gradients), np.concatenate(weights)
    grey = face.grey
    plausible = _plausible_skin(lab, grey)
    # Judged with the hue range of skin in a photo without a cast: a pink mask over the cheeks must
    # not look as much like skin as the forehead does.
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    typical = plausible & (grey | ((hue >= TYPICAL_SKIN_HUE_DEG[0]) & (hue <= TYPICAL_SKIN_HUE_DEG[1])))
    share = float(weight[typical].sum() / weight.sum())
    found = _dominant(lab[plausible], SKIN_CLUSTER_DE, weight[plausible]) if plausible.sum() >= MIN_PIXELS else None
    # A strong colour cast can push real skin outside the plausible range; these regions are skin
    # by construction, so measure them as they are rather than fail.
    colour = _trimmed_median(lab) if found is None else found
    near = np.linalg.norm(lab - colour, axis=1) <= SKIN_CLUSTER_DE
    texture = float(np.median(gradient[near])) if near.any() else float(np.median(gradient))
    return _SkinSample(colour, share, texture)


def _cheeks_are_the_skin(upper: _SkinSample, cheeks: _SkinSample) -> bool:
    """Whether the cheeks, not the forehead and bridge, show this person's skin.

    Only when the two disagree: then a fringe, a cap's shadow or thick frames over the forehead
    make it look less like skin than the cheeks (white, black and blue masks make the cheeks look
    less like skin, so a mask never wins this way), or, when both look as much like skin, make it
    rough where skin is smooth (a brown fringe is skin-coloured but not skin-smooth).
    """
    if float(np.linalg.norm(upper.lab - cheeks.lab)) <= SKIN_CLUSTER_DE:
        return False
    if cheeks.plausible > upper.plausible + CHEEKS_MORE_PLAUSIBLE:
        return True
    return cheeks.plausible > upper.plausible - CHEEKS_AS_PLAUSIBLE and upper.texture > CHEEKS_SMOOTHER * cheeks.texture


def _reference_skin(face: _Face) -> _Skin:
    """The person's skin, from above anything a mask or beard covers unless that is hidden too."""
    upper = _weighted_skin(face, REFERENCE_REGIONS)
    cheeks = _weighted_skin(face, CHEEKS)
    if upper is None and cheeks is None:
        raise FaceNotMeasurable("Too little of the face is in the photo, and well enough exposed, to measure its skin.")
    if upper is None:
        chosen = cheeks
    elif cheeks is None:
        chosen = upper
    else:
        chosen = cheeks if _cheeks_are_the_skin(upper, cheeks) else upper
    lab = chosen.lab
    grey = face.grey
    # Texture of the broad, plain skin alone: a fringe over the forehead, or a brow or a glasses
    # bridge between the eyes, would make every rim look faint beside it.
    weight = GREY_LIGHTNESS_WEIGHT if grey else SKIN_LIGHTNESS_WEIGHT
    gradients = []
    for indices in TEXTURE_REGIONS:
        region = face.polygon(indices)
        skin_like = _skin_distance(face.colours(region), lab, weight) <= SKIN_LIKE_DE
        gradients.append(region.of(face.gradient)[skin_like])
    gradient = np.concatenate(gradients)
    texture = float(np.median(gradient)) if len(gradient) >= MIN_PIXELS else MIN_TEXTURE
    return _Skin(lab=lab, texture=max(texture, MIN_TEXTURE), grey_photo=grey)


def _lab_to_hex(lab: Lab) -> str:
    pixel = np.asarray(lab, np.float32).reshape(1, 1, 3)
    rgb = np.clip(np.round(cv2.cvtColor(pixel, cv2.COLOR_Lab2RGB).reshape(3) * 255), 0, 255).astype(int)
    return "#{:02x}{:02x}{:02x}".format(*rgb)


_MONK_LAB = rgb_to_lab(np.array([hex_to_rgb(h) for h in MONK_SCALE], np.uint8))


def _monk_step(lab: Lab) -> int:
    return int(np.argmin(np.linalg.norm(_MONK_LAB - lab, axis=1))) + 1


# --- Proportions -------------------------------------------------------------------------------------


def face_shape(landmarks: Landmarks) -> FaceShape:
    """The face's proportions, measured along its own axes so a tilted head gives the same shape."""
    points = np.asarray(landmarks, np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) < 468:
        raise ValueError(f"landmarks must be Nx2 face-mesh points with N >= 468, not {points.shape}")
    top, chin = points[FOREHEAD_TOP], points[CHIN]
    height = max(float(np.linalg.norm(chin - top)), 1e-6)
    down = (chin - top) / height
    width = max(float(np.linalg.norm(points[LEFT_CHEEKBONE] - points[RIGHT_CHEEKBONE])), 1e-6)
    right, left = _pupils(points)
    eye_width = float(
        np.mean([np.linalg.norm(points[a] - points[b]) for a, b in (RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS)])
    )
    mouth = (points[UPPER_LIP] + points[LOWER_LIP]) / 2

    def line(point: np.ndarray) -> float:
        return float(np.dot(point - top, down)) / height

    return FaceShape(
        aspect=round(height / width, 4),
        eye_spacing=round(float(np.linalg.norm(left - right)) / width, 4),
        eye_size=round(eye_width / width, 4),
        mouth_width=round(float(np.linalg.norm(points[MOUTH_CORNERS[1]] - points[MOUTH_CORNERS[0]])) / width, 4),
        eye_line=round(line((left + right) / 2), 4),
        mouth_line=round(line(mouth), 4),
    )


# --- Mask ----------------------------------------------------------------------------------------------


def _border_step(face: _Face) -> float:
    """The largest colour step down either cheek, between samples a sixth of the profile apart."""
    radius = max(2, round(0.03 * WORKING_FACE_HEIGHT))
    steps = []
    for start, end in CHEEK_PROFILES:
        a, b = face.points[start], face.points[end]
        samples = []
        for t in np.linspace(0.0, 1.0, 12):
            region = face.ellipse(a + (b - a) * t, (radius, radius))
            if region.size < radius:
                break
            samples.append(np.median(face.colours(region), axis=0))
        else:
            lab = np.array(samples)
            steps.append(float(_skin_distance(lab[2:], lab[:-2]).max()))
    return float(np.mean(steps)) if steps else 0.0


def _lip_coloured(lab: npt.NDArray[np.float32], skin: _Skin) -> npt.NDArray[np.bool_]:
    """Pixels a visible mouth can have: the skin's own hue or redder (lips, lipstick), any lightness.

    Darker or browner lips than the skin count as visible too: the test is against the colour of
    cloth (white, grey, black, blue), not against any one shade of lips.
    """
    if skin.grey_photo:
        return (lab[:, 0] >= SKIN_L[0]) & (np.abs(lab[:, 0] - skin.lab[0]) <= LIP_LIGHTNESS)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    skin_hue = math.degrees(math.atan2(float(skin.lab[2]), float(skin.lab[1])))
    offset = (hue - skin_hue + 180.0) % 360.0 - 180.0
    return (
        (lab[:, 0] >= SKIN_L[0])
        & (chroma >= SKIN_CHROMA[0])
        & (offset >= -LIP_HUE_SPREAD)
        & (offset <= SKIN_HUE_SPREAD)
    )


def _mask_evidence(face: _Face, skin: _Skin) -> dict[str, float]:
    margin = max(1, round(0.03 * WORKING_FACE_HEIGHT))
    lower = face.polygon(LOWER_FACE, without=LIPS_OUTER, margin=margin)
    lab = face.colours(lower)
    if len(lab) < MIN_PIXELS:
        return dict.fromkeys(MASK_WEIGHTS, 0.0)
    weight = GREY_LIGHTNESS_WEIGHT if skin.grey_photo else SKIN_LIGHTNESS_WEIGHT
    not_skin = float(np.mean(_skin_distance(lab, skin.lab, weight) > SKIN_LIKE_DE))
    nose = face.colours(face.polygon(NOSE_LOWER))
    nose_off = float(np.mean(_skin_distance(nose, skin.lab, weight) > SKIN_LIKE_DE)) if len(nose) else not_skin
    hair_like = _hair_like(lab, skin.lab)
    gradient = lower.of(face.gradient)
    lips = face.colours(face.polygon(LIPS_OUTER, without=LIPS_INNER))
    lips_hidden = float(np.mean(~_lip_coloured(lips, skin))) if len(lips) >= MIN_PIXELS else not_skin
    return {
        "not_skin": not_skin,
        "nose": nose_off,
        "lips": lips_hidden,
        "cloth_colour": float(np.mean(~_plausible_skin(lab, skin.grey_photo, skin.lab) & ~hair_like)),
        "smooth": float(np.clip(1.0 - np.median(gradient) / skin.texture, -1.0, 1.0)),
        "border": _ramp(_border_step(face), *BORDER_STEP_DE),
        "beard": float(np.mean(hair_like & (gradient > ROUGH * skin.texture))),
    }


def _mask_score(face: _Face, skin: _Skin) -> float:
    evidence = _mask_evidence(face, skin)
    return MASK_BIAS + sum(weight * evidence[name] for name, weight in MASK_WEIGHTS.items())


def _mask_decision(score: float) -> tuple[bool, float]:
    return score > 0, round(_logistic(MASK_CONFIDENCE_SLOPE * abs(score)), 4)


def detect_mask(rgb: RGBImage, landmarks: Landmarks) -> tuple[bool, float]:
    """(masked, confidence of that decision, 0.5..1)."""
    face = _working_face(rgb, landmarks)
    return _mask_decision(_mask_score(face, _reference_skin(face)))


# --- Glasses -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Eye:
    pupil: np.ndarray
    width: float  # corner to corner, px
    opening: tuple[int, ...]  # the eye-opening contour's landmark indices


def _eyes(face: _Face) -> tuple[_Eye, _Eye]:
    right, left = _pupils(face.points)
    found = []
    for (corners, opening), pupil in zip(EYES, (right, left), strict=True):
        width = float(np.linalg.norm(face.points[corners[0]] - face.points[corners[1]]))
        found.append(_Eye(pupil=pupil.astype(np.float64), width=max(width, 1.0), opening=opening))
    return found[0], found[1]


def _ellipse_radius(axes: tuple[float, float], angles: np.ndarray) -> np.ndarray:
    a, b = axes
    return a * b / np.sqrt((b * np.cos(angles)) ** 2 + (a * np.sin(angles)) ** 2)


@dataclass(frozen=True)
class _Rays:
    angles: np.ndarray  # radians, image axes (y down)
    radii: np.ndarray  # px from the pupil to the traced outline, one per ray
    on_edge: np.ndarray  # bool per ray: the outline lies on a rim-strength line (or lens edge) there


def _rays(face: _Face, skin: _Skin, eye: _Eye, lens_edge: bool = False) -> _Rays:
    """The smoothest strong outline around the eye, one radius per ray (dynamic programming).

    Each ray's profile is a column of scores; the path through them that collects the most score,
    moving at most RIM_JUMP eye widths between neighbouring rays, is the outline. A rim is a closed
    curve, so the path finds it on almost every ray; a bare face's few scattered lines (lid creases,
    laughter lines) cannot be joined into one smooth path. Rims are scored as lines across the ray
    (see _bar_strength); with ``lens_edge`` the score is the plain gradient instead, which also
    finds the outline of a dark lens that has no rim.
    """
    angles = np.radians(np.linspace(*RAY_ANGLES_DEG, RAY_COUNT))
    start = _ellipse_radius((RAY_START[0] * eye.width, RAY_START[1] * eye.width), angles)
    end = _ellipse_radius((RAY_END[0] * eye.width, RAY_END[1] * eye.width), angles)
    radii = np.arange(math.floor(start.min()), math.ceil(end.max()) + 1, dtype=np.float64)
    xs = (eye.pupil[0] + radii[None, :] * np.cos(angles)[:, None]).astype(np.float32)
    ys = (eye.pupil[1] + radii[None, :] * np.sin(angles)[:, None]).astype(np.float32)
    usable = cv2.remap(face.valid.astype(np.uint8), xs, ys, cv2.INTER_NEAREST, borderValue=0) > 0
    usable &= (radii[None, :] >= start[:, None]) & (radii[None, :] <= end[:, None])
    reach = eye.width * max(RAY_END)
    window = face.window(eye.pupil[0] - reach, eye.pupil[1] - reach, eye.pupil[0] + reach, eye.pupil[1] + reach)
    if window is not None:
        # The eye's own edges (lids, lashes, corners) are not a rim, so the opening, grown a little,
        # is skipped; well beyond the face oval are hair, ears and background, which no rim makes.
        opening = face.polygon_mask(eye.opening, *window, margin=max(1, round(EYE_MARGIN * eye.width)))
        oval = face.polygon_mask(FACE_OVAL, *window, margin=max(1, round(OVAL_MARGIN * eye.width)))
        origin = np.float32([window[1].start, window[0].start])
        allowed = (oval & ~opening).astype(np.uint8)
        usable &= cv2.remap(allowed, xs - origin[0], ys - origin[1], cv2.INTER_NEAREST) > 0
    if lens_edge:
        strength = cv2.remap(face.gradient, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        threshold = max(LENS_EDGE * skin.texture, LENS_EDGE_MIN)
    else:
        profile = cv2.remap(face.lightness, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        strength = _bar_strength(profile, max(2, round(RIM_WIDEST * eye.width)))
        threshold = max(RIM_LINE * skin.texture, RIM_LINE_MIN)
    score = np.where(usable, np.minimum(strength / threshold, RIM_SATURATION), 0.0)
    path = _smoothest_path(score, max(1, round(RIM_JUMP * eye.width)), RIM_JUMP_COST)
    return _Rays(angles=angles, radii=radii[path], on_edge=score[np.arange(len(angles)), path] >= 1.0)


def _bar_strength(profile: np.ndarray, widest: int) -> np.ndarray:
    """Per sample, how far it is darker (or lighter) than both sides at some distance up to ``widest``:
    a rim is a line across the ray, while a shadow's or a crease's edge is a step, dark on one side only."""
    strength = np.zeros_like(profile)
    for reach in range(2, widest + 1):
        padded = np.pad(profile, ((0, 0), (reach, reach)), mode="edge")
        before, after = padded[:, : -2 * reach], padded[:, 2 * reach :]
        dark = np.minimum(before, after) - profile
        light = profile - np.maximum(before, after)
        strength = np.maximum(strength, np.maximum(dark, light))
    return strength


def _smoothest_path(score: np.ndarray, jump: int, jump_cost: float) -> np.ndarray:
    """Per row, the column of the path that maximises total score minus jump_cost per column moved."""
    rows, columns = score.shape
    shifts = np.arange(-jump, jump + 1)
    penalty = jump_cost * np.abs(shifts)
    # padded[sources[c, s]] is the total at column c + shifts[s]; outside the columns, -inf.
    sources = np.arange(columns)[:, None] + np.arange(len(shifts))[None, :]
    padded = np.full(columns + 2 * jump, -np.inf)
    everywhere = np.arange(columns)
    total = score[0].copy()
    choices = np.zeros((rows, columns), np.int64)
    for row in range(1, rows):
        padded[jump : jump + columns] = total
        candidates = padded[sources] - penalty
        best = np.argmax(candidates, axis=1)
        choices[row] = everywhere + shifts[best]
        total = candidates[everywhere, best] + score[row]
    path = np.zeros(rows, np.int64)
    path[-1] = int(np.argmax(total))
    for row in range(rows - 1, 0, -1):
        path[row - 1] = choices[row, path[row]]
    return path


def _bridge(face: _Face, skin: _Skin, right: _Eye, left: _Eye) -> float:
    """Share of the columns between the inner eye corners crossed by a horizontal bar.

    A bar, not an edge: going down a column, a step one way followed within BRIDGE_BAR eye widths
    by a step back. The lower edge of a fringe or a cap's shadow is a single step and does not count.
    """
    inner_right, inner_left = face.points[RIGHT_EYE_CORNERS[1]], face.points[LEFT_EYE_CORNERS[1]]
    gap = float(inner_left[0] - inner_right[0])
    if gap <= 4:
        return 0.0
    eye_y = (right.pupil[1] + left.pupil[1]) / 2
    width = (right.width + left.width) / 2
    x0, x1 = inner_right[0] + BRIDGE_INSET * gap, inner_left[0] - BRIDGE_INSET * gap
    window = face.window(x0, eye_y + BRIDGE_BAND[0] * width, x1, eye_y + BRIDGE_BAND[1] * width)
    if window is None:
        return 0.0
    slope = face.gradient_y[window] * face.valid[window]
    darker, lighter = np.maximum(-slope, 0), np.maximum(slope, 0)
    reach = max(1, round(BRIDGE_BAR * width))
    kernel = np.ones((reach, 1), np.uint8)
    # The strongest step of each sign in the next `reach` rows below each row.
    lighter_below = cv2.dilate(np.pad(lighter, ((0, reach), (0, 0)))[1:], kernel, anchor=(0, 0))[: len(slope)]
    darker_below = cv2.dilate(np.pad(darker, ((0, reach), (0, 0)))[1:], kernel, anchor=(0, 0))[: len(slope)]
    bar = np.maximum(np.minimum(darker, lighter_below), np.minimum(lighter, darker_below))
    return float(np.mean(bar.max(axis=0) > max(BRIDGE_EDGE * skin.texture, BRIDGE_EDGE_MIN)))


def _lens_evidence(face: _Face, skin: _Skin, eye: _Eye) -> tuple[float, float, float]:
    """Behind a dark lens the skin around the eye turns dark and colourless, and the eye itself loses
    its white-against-iris contrast. Returns (L* below the skin, share unlike the skin, eye contrast)."""
    axes = (LENS_AREA[0] * eye.width, LENS_AREA[1] * eye.width)
    lens = face.ellipse(eye.pupil + (0.0, LENS_DROP * eye.width), axes)
    opening = face.colours(face.polygon(eye.opening, usable=False))
    if lens.size < MIN_PIXELS or len(opening) < 4:
        return 0.0, 0.0, EYE_CONTRAST[0]
    margin = max(1, round(EYE_MARGIN * eye.width))
    around = lens.inside & ~face.polygon_mask(eye.opening, lens.rows, lens.cols, margin=margin)
    lab = _lab8_to_float(face.lab8[lens.rows, lens.cols][around])
    if len(lab) < MIN_PIXELS:
        return 0.0, 0.0, EYE_CONTRAST[0]
    darker = skin.lab[0] - float(np.median(lab[:, 0]))
    weight = GREY_LIGHTNESS_WEIGHT if skin.grey_photo else SKIN_LIGHTNESS_WEIGHT
    not_skin = float(np.mean(_skin_distance(lab, skin.lab, weight) > SKIN_LIKE_DE))
    low, high = np.percentile(opening[:, 0], EYE_CONTRAST_PERCENTILES)
    return darker, not_skin, float(high - low)


def _sunglasses_evidence(face: _Face, skin: _Skin, eye: _Eye) -> float:
    darker, not_skin, contrast = _lens_evidence(face, skin, eye)
    return _ramp(darker, *SUNGLASSES_DARKER) + _ramp(not_skin, *SUNGLASSES_NOT_SKIN) + _ramp(contrast, *EYE_CONTRAST)


@dataclass(frozen=True)
class _GlassesReading:
    label: str
    confidence: float
    rays: tuple[_Rays, _Rays]


def _read_glasses(face: _Face, skin: _Skin) -> _GlassesReading:
    right, left = _eyes(face)
    rays = (_rays(face, skin, right), _rays(face, skin, left))
    rims = float(np.mean([r.on_edge.mean() for r in rays]))
    score = GLASSES_BIAS + GLASSES_WEIGHTS["rims"] * rims + GLASSES_WEIGHTS["bridge"] * _bridge(face, skin, right, left)
    sun = float(np.mean([_sunglasses_evidence(face, skin, eye) for eye in (right, left)]))
    p_sun = _logistic(SUNGLASSES_SLOPE * (sun - SUNGLASSES_SPLIT))
    p_rims = _logistic(GLASSES_CONFIDENCE_SLOPE * score)
    probabilities = {"none": (1 - p_sun) * (1 - p_rims), "eyeglasses": (1 - p_sun) * p_rims, "sunglasses": p_sun}
    label = max(probabilities, key=lambda name: probabilities[name])
    return _GlassesReading(label=label, confidence=round(probabilities[label], 4), rays=rays)


def detect_glasses(rgb: RGBImage, landmarks: Landmarks) -> tuple[str, float]:
    """("none" | "eyeglasses" | "sunglasses", confidence of that decision)."""
    face = _working_face(rgb, landmarks)
    reading = _read_glasses(face, _reference_skin(face))
    return reading.label, reading.confidence


def _outline_fill(rays: _Rays, pupil: np.ndarray) -> float | None:
    """How much of its minimum-area rectangle the traced lens outline fills (None: too little outline)."""
    if rays.on_edge.mean() < FRAME_MIN_OUTLINE:
        return None
    points = np.stack([pupil[0] + rays.radii * np.cos(rays.angles), pupil[1] + rays.radii * np.sin(rays.angles)], 1)
    contour = points.astype(np.float32).reshape(-1, 1, 2)
    (_, _), (w, h), _ = cv2.minAreaRect(contour)
    if w * h <= 0:
        return None
    return float(cv2.contourArea(contour)) / (w * h)


def _frame_from(rays: tuple[_Rays, _Rays], eyes: tuple[_Eye, _Eye]) -> tuple[str, float]:
    votes, weights = [], []
    for eye_rays, eye in zip(rays, eyes, strict=True):
        fill = _outline_fill(eye_rays, eye.pupil)
        if fill is not None:
            votes.append(fill)
            weights.append(float(eye_rays.on_edge.mean()))
    if not votes:
        return "round", 0.5  # no outline to read: a guess, and it says so
    fill = float(np.average(votes, weights=weights))
    label = "square" if fill >= FRAME_SPLIT else "round"
    sureness = min(1.0, abs(fill - FRAME_SPLIT) / FRAME_SPREAD) * min(1.0, float(np.mean(weights)) / 0.8)
    return label, round(0.5 + (FRAME_MAX_CONFIDENCE - 0.5) * sureness, 4)


def _frame(face: _Face, skin: _Skin, glasses: _GlassesReading) -> tuple[str, float]:
    eyes = _eyes(face)
    if glasses.label == "sunglasses":  # the dark lens's own outline, rim or not
        return _frame_from((_rays(face, skin, eyes[0], True), _rays(face, skin, eyes[1], True)), eyes)
    return _frame_from(glasses.rays, eyes)


def frame_shape(rgb: RGBImage, landmarks: Landmarks) -> tuple[str, float]:
    """("round" | "square", confidence); only meaningful when the face wears glasses."""
    face = _working_face(rgb, landmarks)
    skin = _reference_skin(face)
    return _frame(face, skin, _read_glasses(face, skin))


# --- Skin tone -----------------------------------------------------------------------------------------


def _skin_tone(face: _Face, skin: _Skin, masked: bool) -> tuple[str, int]:
    """Every plausible skin pixel near the reference skin, so beard, brows and shadow stay out."""
    regions = REFERENCE_REGIONS if masked else (*REFERENCE_REGIONS, *CHEEKS)
    lab = np.concatenate([face.colours(face.polygon(indices)) for indices in regions])
    lab = lab[
        _plausible_skin(lab, skin.grey_photo, skin.lab) & (np.linalg.norm(lab - skin.lab, axis=1) <= SKIN_CLUSTER_DE)
    ]
    tone = _trimmed_median(lab) if len(lab) >= MIN_PIXELS else skin.lab
    return _lab_to_hex(tone), _monk_step(tone)


def skin_tone(rgb: RGBImage, landmarks: Landmarks, masked: bool) -> tuple[str, int]:
    """(the measured skin colour as "#rrggbb", the nearest Monk Skin Tone step 1..10 in CIELAB).

    A colour, never a category of people. With ``masked`` only the forehead, the skin between the
    brows and the upper nose bridge are measured; otherwise the cheeks too.
    """
    face = _working_face(rgb, landmarks)
    return _skin_tone(face, _reference_skin(face), masked)


# --- Hair ----------------------------------------------------------------------------------------------


def _hair_region(face: _Face) -> tuple[_Region, npt.NDArray[np.float32], float]:
    """The top of the head above the face oval, each pixel's weight, and how much of it is in the photo.

    Pixels weigh more the closer they are to the forehead: short hair hugs the skull and the
    background shows only at the cap's rim.
    """
    top = face.points[FOREHEAD_TOP]
    centre = top + (0.0, HAIR_CAP_DROP * WORKING_FACE_HEIGHT)
    axes = (HAIR_CAP_WIDTH * face.width, HAIR_CAP_HEIGHT * WORKING_FACE_HEIGHT)
    window = face.window(centre[0] - axes[0], centre[1] - axes[1], centre[0] + axes[0], centre[1])
    if window is None:
        return _Region(slice(0, 0), slice(0, 0), np.zeros((0, 0), bool)), np.zeros(0, np.float32), 0.0
    rows, cols = window
    ys, xs = np.ogrid[rows, cols]
    reach = np.sqrt(((xs - centre[0]) / axes[0]) ** 2 + ((ys - centre[1]) / axes[1]) ** 2)
    cap = (reach <= 1.0) & (ys <= centre[1]) & ~face.polygon_mask(FACE_OVAL, rows, cols)
    oval = face.points[list(FACE_OVAL)].copy()
    oval[:, 1] = np.minimum(oval[:, 1], centre[1])  # the part of the face oval inside the half ellipse
    expected = math.pi * axes[0] * axes[1] / 2 - float(cv2.contourArea(oval.astype(np.float32)))
    in_photo = cap & face.valid[rows, cols]
    visible = float(np.count_nonzero(in_photo)) / max(1.0, expected)
    # Crushed blacks are kept (black hair often is), blown highlights are not.
    keep = in_photo & (face.lightness[rows, cols] < HAIR_BLOWN_L)
    weights = (1.0 - reach + HAIR_RIM_WEIGHT)[keep].astype(np.float32)
    return _Region(rows, cols, keep), weights, min(visible, 1.0)


def _hair(face: _Face, skin: _Skin) -> str | None:
    region, weights, visible = _hair_region(face)
    if visible < HAIR_MIN_VISIBLE:
        return None  # the photo's edge cuts through where the hair would be
    lab = face.colours(region)
    if len(lab) < MIN_PIXELS:
        return None
    not_skin = np.linalg.norm(lab - skin.lab, axis=1) > HAIR_NOT_SKIN_DE
    if np.average(not_skin, weights=weights) < HAIR_MIN_SHARE:
        return None  # scalp or forehead where hair would be: bald, shaved or a very high hairline
    found = _dominant(lab[not_skin], HAIR_RADIUS, weights[not_skin].astype(np.float64))
    return None if found is None else _lab_to_hex(found)


def hair_colour(rgb: RGBImage, landmarks: Landmarks) -> str | None:
    """The hair's colour as "#rrggbb", or None when no hair is visible above the forehead."""
    face = _working_face(rgb, landmarks)
    return _hair(face, _reference_skin(face))


# --- Everything at once --------------------------------------------------------------------------------


def measure_attributes(rgb: RGBImage, landmarks: Landmarks) -> Attributes:
    """Every attribute from one working crop; the frame shape is "none" without glasses.

    Raises FaceNotMeasurable when too little of the face is in the photo, or exposed well enough.
    """
    face = _working_face(rgb, landmarks)
    skin = _reference_skin(face)
    masked, mask_confidence = _mask_decision(_mask_score(face, skin))
    glasses = _read_glasses(face, skin)
    if glasses.label == "none":
        frame, frame_confidence = "none", glasses.confidence
    else:
        frame, frame_confidence = _frame(face, skin, glasses)
    skin_hex, skin_step = _skin_tone(face, skin, masked)
    engines = dict.fromkeys(("mask", "glasses", "frame_shape", "skin_tone", "hair_colour"), ENGINE_LANDMARK_PIXEL)
    return Attributes(
        mask=masked,
        mask_confidence=mask_confidence,
        glasses=glasses.label,
        glasses_confidence=glasses.confidence,
        frame_shape=frame,
        frame_confidence=frame_confidence,
        skin_hex=skin_hex,
        skin_step=skin_step,
        hair_hex=_hair(face, skin),
        engines=engines,
    )
