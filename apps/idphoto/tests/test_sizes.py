"""ID sizes: the head is scaled and placed by each document's rule, eyes level, at 300 DPI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.idphoto.pipeline.faces import FaceGeometry
from apps.idphoto.pipeline.sizes import ID_SIZES, find_crown, mm_to_px, placement, print_sheet, render_id_photo


def head_scene(roll_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray, FaceGeometry]:
    """A 600x800 'person': an oval head (crown at y=150, chin at y=400) on shoulders, optionally rolled."""
    height, width = 800, 600
    yy, xx = np.mgrid[:height, :width]
    head = ((xx - 300) / 100) ** 2 + ((yy - 275) / 125) ** 2 <= 1
    body = (yy > 380) & (np.abs(xx - 300) < 220)
    alpha = (head | body).astype(np.float32)
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[alpha > 0] = (190, 140, 120)
    geometry = FaceGeometry(
        box=(200, 180, 200, 220), left_eye=(345.0, 260.0), right_eye=(255.0, 260.0), chin=(300.0, 400.0),
        forehead=(300.0, 190.0), roll_deg=0.0,
    )  # fmt: skip
    if roll_deg:
        import cv2

        matrix = cv2.getRotationMatrix2D((300, 260), -roll_deg, 1.0)
        alpha = cv2.warpAffine(alpha, matrix, (width, height))
        rgb = cv2.warpAffine(rgb, matrix, (width, height))

        def rot(p):
            x, y = matrix @ np.array([p[0], p[1], 1.0])
            return (float(x), float(y))

        geometry = FaceGeometry(
            box=geometry.box, left_eye=rot(geometry.left_eye), right_eye=rot(geometry.right_eye),
            chin=rot(geometry.chin), forehead=rot(geometry.forehead), roll_deg=roll_deg,
        )  # fmt: skip
    return rgb, alpha, geometry


def test_sizes_are_the_standard_millimetres_at_300_dpi():
    assert (ID_SIZES["35x45"].width_px, ID_SIZES["35x45"].height_px) == (413, 531)
    assert (ID_SIZES["3x4"].width_px, ID_SIZES["3x4"].height_px) == (354, 472)
    assert (ID_SIZES["2x2in"].width_px, ID_SIZES["2x2in"].height_px) == (600, 600)


def test_the_crown_is_where_the_matte_ends_above_the_face():
    _, alpha, geometry = head_scene()
    crown = find_crown(geometry, alpha)
    assert abs(crown.point[0] - 300) < 1 and abs(crown.point[1] - 150) <= 2
    assert not crown.cut


def test_a_head_cut_by_the_top_edge_is_estimated_from_the_face_and_not_smeared():
    rgb, alpha, geometry = head_scene()
    rgb, alpha = rgb[170:], alpha[170:]  # the photo starts at the forehead
    shifted = FaceGeometry(
        box=geometry.box, left_eye=(345.0, 90.0), right_eye=(255.0, 90.0), chin=(300.0, 230.0),
        forehead=(300.0, 20.0), roll_deg=0.0,
    )  # fmt: skip
    crown = find_crown(shifted, alpha)
    assert crown.cut
    assert crown.point[1] < 0  # above the photo, where the head must have been
    size = ID_SIZES["35x45"]
    out = render_id_photo(rgb, alpha, shifted, size, (0, 0, 255))
    assert tuple(out[2, size.width_px // 2]) == (0, 0, 255)  # background above the head, not replicated skin


@pytest.mark.parametrize("key", ["35x45", "3x4"])
def test_head_height_and_crown_margin_follow_the_rule(key):
    size = ID_SIZES[key]
    rgb, alpha, geometry = head_scene()
    out = render_id_photo(rgb, alpha, geometry, size, (255, 255, 255))
    assert out.shape == (size.height_px, size.width_px, 3)
    person_rows = np.flatnonzero((out[:, size.width_px // 2] != 255).any(axis=1))
    crown_y = person_rows[0]
    matrix = placement(geometry, alpha, size)
    chin_y = (matrix @ np.array([300, 400, 1.0]))[1]
    assert abs(crown_y - mm_to_px(size.crown_margin_mm)) <= 3
    assert abs((chin_y - crown_y) - mm_to_px(size.head_mm)) <= 4


def test_us_size_puts_the_eyes_at_the_rule_height_from_the_bottom():
    size = ID_SIZES["2x2in"]
    _, alpha, geometry = head_scene()
    eyes_y = (placement(geometry, alpha, size) @ np.array([300, 260, 1.0]))[1]
    assert abs((size.height_px - eyes_y) - mm_to_px(31.75)) <= 1


def test_a_tilted_head_comes_out_level():
    size = ID_SIZES["35x45"]
    _, alpha, geometry = head_scene(roll_deg=12)
    matrix = placement(geometry, alpha, size)
    left = matrix @ np.array([*geometry.left_eye, 1.0])
    right = matrix @ np.array([*geometry.right_eye, 1.0])
    assert abs(math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))) < 0.5
    assert abs((left[0] + right[0]) / 2 - size.width_px / 2) < 1


def test_the_body_cut_by_the_photo_continues_to_the_bottom_edge():
    size = ID_SIZES["35x45"]
    rgb, alpha, geometry = head_scene()
    rgb, alpha = rgb[:520], alpha[:520]  # the photo ends at the chest
    out = render_id_photo(rgb, alpha, geometry, size, (0, 0, 255))
    assert tuple(out[-1, size.width_px // 2]) == (190, 140, 120)


def test_print_sheet_is_6x4_inches_with_whole_copies():
    photo = np.full((531, 413, 3), 90, np.uint8)
    sheet = print_sheet(photo, ID_SIZES["35x45"])
    assert sheet.shape == (1200, 1800, 3)
    copies = (sheet[:, :, 0] == 90).sum() / (531 * 413)
    assert 7.9 < copies <= 8.0  # 4 across, 2 down
