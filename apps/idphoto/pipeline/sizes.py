"""Standard ID photo sizes: head placed by face geometry, rendered at 300 DPI."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from apps.core.imageio import Matte, RGBImage

from .faces import FaceGeometry
from .matting import composite

DPI = 300
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class IdSize:
    key: str
    label: str
    width_mm: float
    height_mm: float
    head_mm: float  # crown (top of the hair) to chin
    crown_margin_mm: float | None = None  # crown below the top edge, or ...
    eyes_from_bottom_mm: float | None = None  # ... the eye line above the bottom edge

    @property
    def width_px(self) -> int:
        return mm_to_px(self.width_mm)

    @property
    def height_px(self) -> int:
        return mm_to_px(self.height_mm)


# Head heights and margins are the middle of each document rule's tolerance.
ID_SIZES: dict[str, IdSize] = {
    size.key: size
    for size in (
        IdSize("35x45", "3.5 × 4.5 cm passport (EU, UK, Korea, ICAO)", 35, 45, head_mm=34, crown_margin_mm=4),
        IdSize("3x4", "3 × 4 cm (résumé, ID card)", 30, 40, head_mm=27, crown_margin_mm=4),
        IdSize("2x2in", "2 × 2 in (US passport and visa)", 50.8, 50.8, head_mm=30, eyes_from_bottom_mm=31.75),
    )
}
SHEET_MM = (152.4, 101.6)  # 6 × 4 in print, landscape
SHEET_GAP_MM = 3.0
SHEET_MARGIN_MM = 1.0


def mm_to_px(mm: float, dpi: int = DPI) -> int:
    return round(mm / MM_PER_INCH * dpi)


# Landmark 10 (upper forehead) to chin is about 78% of crown to chin on an adult head.
FOREHEAD_TO_HEAD = 0.78


@dataclass(frozen=True)
class Crown:
    point: tuple[float, float]
    cut: bool  # the photo cuts the top of the head off: the crown is estimated from the face


def find_crown(geometry: FaceGeometry, alpha: Matte) -> Crown:
    """Top of the head: walk from the chin up the face's axis until the matte ends."""
    cx, cy = geometry.chin
    fx, fy = geometry.forehead
    face_len = math.hypot(fx - cx, fy - cy)
    if face_len < 1:
        return Crown(geometry.forehead, cut=False)
    ux, uy = (fx - cx) / face_len, (fy - cy) / face_len
    height, width = alpha.shape
    crown_t, cut = face_len, False
    for t in np.arange(face_len, 2.2 * face_len, 1.0):
        x, y = round(cx + ux * t), round(cy + uy * t)
        if not (0 <= x < width and 0 <= y < height):
            cut = bool(alpha[min(max(y, 0), height - 1), min(max(x, 0), width - 1)] >= 0.5)
            break
        if alpha[y, x] >= 0.5:
            crown_t = t
        elif t - crown_t > 0.08 * face_len:
            break  # a gap well above the last hair: the head ended
    if cut:
        # The hair runs off the photo: the head is at least this tall, and usually about this tall.
        crown_t = max(crown_t, face_len / FOREHEAD_TO_HEAD)
    return Crown((cx + ux * crown_t, cy + uy * crown_t), cut=cut)


def placement(geometry: FaceGeometry, alpha: Matte, size: IdSize) -> npt.NDArray[np.float64]:
    """2x3 affine matrix from cut-out pixels to the ID photo's pixels: eyes level, head to rule."""
    crown = find_crown(geometry, alpha).point
    head_px = math.dist(crown, geometry.chin)
    scale = mm_to_px(size.head_mm) / max(head_px, 1.0)
    ex, ey = geometry.eye_mid
    matrix = cv2.getRotationMatrix2D((ex, ey), geometry.roll_deg, scale)
    # Where the eyes and the crown land after rotation and scaling.
    eyes_out = matrix @ np.array([ex, ey, 1.0])
    crown_out = matrix @ np.array([crown[0], crown[1], 1.0])
    target_x = size.width_px / 2
    if size.crown_margin_mm is not None:
        shift_y = mm_to_px(size.crown_margin_mm) - crown_out[1]
    else:
        shift_y = size.height_px - mm_to_px(size.eyes_from_bottom_mm or 0) - eyes_out[1]
    matrix[0, 2] += target_x - eyes_out[0]
    matrix[1, 2] += shift_y
    return matrix


def render_id_photo(
    foreground: RGBImage, alpha: Matte, geometry: FaceGeometry, size: IdSize, background: tuple[int, int, int]
) -> RGBImage:
    matrix = placement(geometry, alpha, size)
    dsize = (size.width_px, size.height_px)
    # Replicating the border continues shoulders and chest that the photo cut off,
    # instead of leaving a band of background under a floating torso.
    fg = cv2.warpAffine(foreground, matrix, dsize, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    a = cv2.warpAffine(alpha, matrix, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # ...but nothing is continued above the photo's top edge: no smeared hair over the head.
    inverse = cv2.invertAffineTransform(matrix)
    xs, ys = np.meshgrid(np.arange(dsize[0], dtype=np.float32), np.arange(dsize[1], dtype=np.float32))
    source_y = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    a = np.where(source_y < 0, 0.0, a).astype(np.float32)
    return composite(fg, np.clip(a, 0.0, 1.0), background)


def print_sheet(photo: RGBImage, size: IdSize) -> RGBImage:
    """As many copies as fit on a 6 × 4 in sheet, with grey cut marks between them."""
    sheet_w, sheet_h = mm_to_px(SHEET_MM[0]), mm_to_px(SHEET_MM[1])
    gap = mm_to_px(SHEET_GAP_MM)
    ph, pw = photo.shape[:2]
    margin = mm_to_px(SHEET_MARGIN_MM)
    cols = max(1, (sheet_w - 2 * margin + gap) // (pw + gap))
    rows = max(1, (sheet_h - 2 * margin + gap) // (ph + gap))
    sheet = np.full((sheet_h, sheet_w, 3), 255, np.uint8)
    grid_w, grid_h = cols * pw + (cols - 1) * gap, rows * ph + (rows - 1) * gap
    x0, y0 = (sheet_w - grid_w) // 2, (sheet_h - grid_h) // 2
    for row in range(rows):
        for col in range(cols):
            x, y = x0 + col * (pw + gap), y0 + row * (ph + gap)
            sheet[y : y + ph, x : x + pw] = photo[: sheet_h - y, : sheet_w - x]
            cv2.rectangle(sheet, (x - 1, y - 1), (x + pw, y + ph), (200, 200, 200), 1)
    return sheet
