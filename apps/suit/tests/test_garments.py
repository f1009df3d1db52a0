"""The suit renderer (apps/suit/pipeline/garments.py).

Most checks render onto a 300x300 image with a level fit: neck points at y=150 (x 128 and 172, so the neck's
half-width n is 22 px), shoulder points at y=180 (x 60 and 240, shoulder width 180 px) and the chin at y=125.
"""

from __future__ import annotations

import io
import re
from dataclasses import astuple, replace
from xml.etree import ElementTree

import cairosvg
import numpy as np
import pytest
from PIL import Image

from apps.suit.pipeline.garments import DEFAULT_STYLE, STYLES, SuitFit, SuitLayer, render_suit, suit_svg

H = W = 300
LEVEL = SuitFit(
    neck_left=(128, 150), neck_right=(172, 150), shoulder_left=(60, 180), shoulder_right=(240, 180), chin=(150, 125)
)
NECK_Y, SHOULDER_Y, CHIN_Y, SHOULDER_WIDTH, N = 150, 180, 125, 180, 22
JACKETS = {"navy": "#1e2a45", "charcoal": "#3b3e44", "black": "#17181c"}
SIDE_CHEST = (slice(215, 260), slice(75, 95))  # rows, columns: jacket cloth on the image-left chest, clear of the lapel
HEX = re.compile(r"#[0-9a-f]{6}")
SHAPES = {"path", "rect", "circle", "ellipse"}


def render(fit: SuitFit = LEVEL, key: str = DEFAULT_STYLE, height: int = H, width: int = W) -> SuitLayer:
    return render_suit(STYLES[key], fit, height, width)


def rgb(hex_: str) -> np.ndarray:
    return np.array([int(hex_[i : i + 2], 16) for i in (1, 3, 5)], float)


def moved(fit: SuitFit, dx: float, dy: float) -> SuitFit:
    return SuitFit(*((x + dx, y + dy) for x, y in astuple(fit)))


def covered_columns(alpha: np.ndarray, row: int) -> tuple[int, int]:
    """First and last column where the suit covers ``row``."""
    columns = np.flatnonzero(alpha[row] > 0.5)
    return int(columns[0]), int(columns[-1])


def top_edge(alpha: np.ndarray, column: int) -> int:
    """The first row the suit covers in ``column``."""
    return int(np.flatnonzero(alpha[:, column] > 0.5)[0])


# -- the styles -----------------------------------------------------------------------------------


def test_there_are_at_least_six_styles_with_each_jacket_colour_in_both_cuts():
    assert len(STYLES) >= 6
    assert DEFAULT_STYLE in STYLES
    assert all(key == style.key and style.label for key, style in STYLES.items())
    for name, jacket in JACKETS.items():
        cuts = {style.cut for style in STYLES.values() if style.jacket == jacket and style.key.startswith(name)}
        assert cuts == {"men", "women"}, name


def test_men_wear_ties_and_women_none():
    assert any(style.tie for style in STYLES.values() if style.cut == "men")
    assert all(style.tie is None for style in STYLES.values() if style.cut == "women")


def test_every_style_colour_is_a_hex_colour():
    for style in STYLES.values():
        for colour in (style.jacket, style.shirt, style.tie or "#000000"):
            assert HEX.fullmatch(colour), (style.key, colour)


@pytest.mark.parametrize(
    "change",
    [
        {"jacket": 'red"/><script>'},
        {"shirt": "#fff"},
        {"tie": "url(#x)"},
        {"cut": "kids"},
        {"lapel": "peak"},
        {"cut": "women", "tie": "#7b2030"},
    ],
)
def test_a_style_refuses_anything_but_known_values_and_hex_colours(change):
    with pytest.raises(ValueError):
        replace(STYLES[DEFAULT_STYLE], **change)


# -- what a render covers -------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(STYLES))
def test_every_style_renders_inside_the_frame(key):
    layer = render(key=key)
    below_collar = layer.alpha[NECK_Y + N :, 128:173]
    between_shoulders = layer.alpha[SHOULDER_Y + 10 :, 70:231]
    assert below_collar.min() > 0.99 and between_shoulders.min() > 0.99
    assert layer.alpha[H - 1, 60:241].min() > 0.99  # runs off the bottom edge
    assert layer.alpha[:CHIN_Y].max() == 0
    assert layer.alpha[:, :40].max() == 0 and layer.alpha[:, 261:].max() == 0


@pytest.mark.parametrize("key", list(STYLES))
def test_jacket_cloth_is_nearest_its_own_jacket_colour(key):
    style = STYLES[key]
    mean = render(key=key).rgb[SIDE_CHEST].reshape(-1, 3).mean(axis=0)
    distances = {hex_: np.linalg.norm(mean - rgb(hex_)) for hex_ in JACKETS.values()}
    assert min(distances, key=distances.get) == style.jacket
    assert distances[style.jacket] < 15


@pytest.mark.parametrize("key", list(STYLES))
def test_the_shirt_or_blouse_is_its_own_colour(key):
    layer = render(key=key)
    # a man's shirt collar (its left leaf); a woman's blouse, in the V below the neckline
    region = (slice(168, 172), slice(133, 137)) if STYLES[key].cut == "men" else (slice(194, 216), slice(145, 156))
    median = np.median(layer.rgb[region].reshape(-1, 3), axis=0)
    assert np.linalg.norm(median - rgb(STYLES[key].shirt)) < 40


@pytest.mark.parametrize("key", [key for key, style in STYLES.items() if style.tie])
def test_the_tie_hangs_below_the_knot_in_its_own_colour(key):
    blade = render(key=key).rgb[NECK_Y + 3 * N, 146:155].reshape(-1, 3).mean(axis=0)
    assert np.linalg.norm(blade - rgb(STYLES[key].tie)) < 35


def test_wider_shoulders_give_a_wider_suit():
    broad = replace(LEVEL, shoulder_left=(40, 180), shoulder_right=(260, 180))
    left, right = covered_columns(render().alpha, 250)
    broad_left, broad_right = covered_columns(render(broad).alpha, 250)
    assert broad_left <= left - 15 and broad_right >= right + 15


@pytest.mark.parametrize("key", list(STYLES))
def test_the_collar_meets_the_neck_at_the_neck_points(key):
    alpha = render(key=key).alpha
    for column in (128, 172):
        assert NECK_Y - 0.2 * N <= top_edge(alpha, column) <= NECK_Y + 0.1 * N


def test_a_tilted_fit_gives_a_tilted_suit():
    tilted = replace(LEVEL, shoulder_right=(240, 220))
    level, tilt = render().alpha, render(tilted).alpha
    assert abs(top_edge(level, 90) - top_edge(level, 210)) <= 1
    assert top_edge(tilt, 210) - top_edge(tilt, 90) > 20


def test_a_turned_head_keeps_the_collar_between_the_neck_points():
    turned = replace(LEVEL, neck_left=(148, 150), neck_right=(192, 150), chin=(170, 125))
    collar = render(turned).collar
    columns = np.nonzero(collar > 0.5)[1]
    assert abs(columns.mean() - 170) < 2


def test_a_fit_partly_outside_the_frame_renders_what_shows():
    layer = render(moved(LEVEL, -118, 0))
    assert layer.alpha[:, 0].max() > 0.99 and layer.alpha[:, 200:].max() == 0
    assert render(moved(LEVEL, 0, 300)).alpha.max() == 0  # wholly below the image


# -- the fit controls -----------------------------------------------------------------------------


def test_lift_moves_the_whole_suit_up_by_a_share_of_the_shoulder_width():
    lifted, step = LEVEL.adjusted(lift=0.1), 0.1 * SHOULDER_WIDTH
    assert lifted.neck_left == pytest.approx((128, NECK_Y - step))
    assert lifted.shoulder_right == pytest.approx((240, SHOULDER_Y - step))
    assert lifted.chin == LEVEL.chin
    for column in (100, 200):  # on the shoulder line
        assert top_edge(render().alpha, column) - top_edge(render(lifted).alpha, column) == pytest.approx(step, abs=1)


def test_lift_down_moves_the_suit_down():
    lowered = LEVEL.adjusted(lift=-0.15)
    assert lowered.neck_right == pytest.approx((172, NECK_Y + 0.15 * SHOULDER_WIDTH))


def test_lift_stops_the_collar_line_at_the_chin():
    lifted = LEVEL.adjusted(lift=0.15)  # 27 px asked for, 25 px of room
    assert lifted.neck_left[1] == pytest.approx(CHIN_Y) and lifted.neck_right[1] == pytest.approx(CHIN_Y)
    assert lifted.shoulder_left[1] == pytest.approx(SHOULDER_Y - 25)
    assert render(lifted).alpha[:CHIN_Y].max() == 0


def test_widen_spreads_the_shoulders_about_their_centre_and_keeps_the_neck():
    wide = LEVEL.adjusted(widen=0.2)
    assert wide.shoulder_left == pytest.approx((42, SHOULDER_Y)) and wide.shoulder_right == pytest.approx((258, 180))
    assert (wide.neck_left, wide.neck_right) == (LEVEL.neck_left, LEVEL.neck_right)
    left, right = covered_columns(render().alpha, SHOULDER_Y + 5)
    wide_left, wide_right = covered_columns(render(wide).alpha, SHOULDER_Y + 5)
    assert left - wide_left == pytest.approx(18, abs=2) and wide_right - right == pytest.approx(18, abs=2)


def test_narrowing_follows_the_same_rule():
    narrow = LEVEL.adjusted(widen=-0.2)
    assert narrow.shoulder_left == pytest.approx((78, SHOULDER_Y))
    assert narrow.shoulder_right == pytest.approx((222, SHOULDER_Y))


# -- the collar mask ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(STYLES))
def test_the_collar_mask_lies_within_alpha_around_the_neck(key):
    layer = render(key=key)
    assert (layer.collar <= layer.alpha + 1e-6).all()
    rows, columns = np.nonzero(layer.collar > 0)
    assert columns.min() >= 128 - N // 2 and columns.max() <= 172 + N // 2
    assert rows.min() >= CHIN_Y and rows.max() <= NECK_Y + 2 * N + 1
    # the shirt collar (or the blouse's neckline band) over the front of the neck is in the mask
    assert layer.collar[NECK_Y + 11, 150 - 13] > 0.99


# -- output contract ------------------------------------------------------------------------------


def test_the_layer_has_the_requested_shape_and_types():
    layer = render(height=240, width=320)
    assert layer.rgb.shape == (240, 320, 3) and layer.rgb.dtype == np.uint8
    assert layer.alpha.shape == layer.collar.shape == (240, 320)
    assert layer.alpha.dtype == layer.collar.dtype == np.float32
    assert 0 <= layer.alpha.min() and layer.alpha.max() <= 1
    assert (layer.rgb[layer.alpha == 0] == 0).all()


def test_the_same_inputs_give_identical_bytes():
    tilted = replace(LEVEL, shoulder_right=(240, 220))
    first, second = render(tilted, "charcoal-women"), render(tilted, "charcoal-women")
    for a, b in ((first.rgb, second.rgb), (first.alpha, second.alpha), (first.collar, second.collar)):
        assert a.tobytes() == b.tobytes()
    assert suit_svg(STYLES["navy-tie"], tilted, H, W) == suit_svg(STYLES["navy-tie"], tilted, H, W)


def test_the_svg_is_the_drawing_render_suit_rasterises():
    svg = suit_svg(STYLES["navy-tie"], LEVEL, H, W)
    root = ElementTree.fromstring(svg)
    assert (root.get("width"), root.get("height")) == (str(W), str(H))
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert tags <= {"svg", "defs", "g", "clipPath", "linearGradient", "radialGradient", "stop"} | SHAPES
    png = cairosvg.svg2png(bytestring=svg.encode(), unsafe=False)
    alpha = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3] / 255
    assert np.abs(alpha - render().alpha).max() < 0.01


def test_numpy_coordinates_are_accepted():
    fit = SuitFit(*(tuple(np.float32(c) for c in point) for point in astuple(LEVEL)))
    assert render(fit).alpha.tobytes() == render().alpha.tobytes()


@pytest.mark.parametrize(
    "fit",
    [
        replace(LEVEL, shoulder_left=(240, 180), shoulder_right=(60, 180)),  # swapped
        replace(LEVEL, shoulder_right=(62, 180)),  # no width
        replace(LEVEL, chin=(float("nan"), 125)),
        replace(LEVEL, neck_left=(1e9, 150)),
    ],
)
def test_nonsense_fits_are_refused(fit):
    with pytest.raises(ValueError):
        render(fit)


@pytest.mark.parametrize("size", [(0, 300), (300, 0), (9000, 300)])
def test_impossible_image_sizes_are_refused(size):
    with pytest.raises(ValueError):
        render(height=size[0], width=size[1])
