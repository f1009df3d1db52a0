"""The vector emoticon renderer (apps/emoticon/pipeline/render.py).

Pixel checks read the 512 px PNG at places fixed by the default face proportions: the face is
centred at x=256, eyes at about y=262 (x = 256 +- 80), brows above them near y=205 and the
mouth near y=371.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from dataclasses import replace
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from apps.emoticon.pipeline.render import render_png, render_svg, sticker_pack
from apps.emoticon.pipeline.types import EMOTIONS, MONK_SCALE, EmoticonSpec, FaceShape

SVG_NS = "{http://www.w3.org/2000/svg}"
LIGHT, DARK = MONK_SCALE[0], MONK_SCALE[9]
HAIR = "#4a3020"

EYES = (slice(215, 310), slice(140, 372))  # rows, columns: both eyes
BROWS_AND_EYES = (slice(140, 300), slice(120, 392))  # everything a mask leaves visible
MOUTH = (slice(330, 440), slice(120, 392))
WHOLE = (slice(None), slice(None))


def spec(**changes) -> EmoticonSpec:
    base = EmoticonSpec(
        emotion="neutral", mask=False, glasses="none", frame_shape="none", skin_hex=MONK_SCALE[2], hair_hex=HAIR
    )
    return replace(base, **changes)


def pixels(s: EmoticonSpec, size: int = 512) -> np.ndarray:
    """The rendered PNG as an HxWx4 int array (RGBA)."""
    image = Image.open(io.BytesIO(render_png(render_svg(s), size)))
    assert image.mode == "RGBA"
    return np.asarray(image).astype(int)


def rgb(hex_: str) -> np.ndarray:
    return np.array([int(hex_[i : i + 2], 16) for i in (1, 3, 5)])


def changed(a: np.ndarray, b: np.ndarray, region=WHOLE) -> float:
    """The share of pixels in ``region`` that differ clearly between two renders."""
    return float((np.abs(a[region] - b[region]).max(axis=2) > 40).mean())


def luminance(px: np.ndarray) -> np.ndarray:
    return px[..., :3] @ np.array([0.2126, 0.7152, 0.0722])


def dark_extent(px: np.ndarray, region) -> tuple[int, int]:
    """Leftmost and rightmost columns with dark feature pixels in ``region`` (on light skin)."""
    rows, cols = region
    dark = (luminance(px[rows, cols]) < 90) & (px[rows, cols][..., 3] == 255)
    xs = np.nonzero(dark.any(axis=0))[0] + cols.start
    return int(xs.min()), int(xs.max())


# -- the document ---------------------------------------------------------------------------------


def test_it_writes_a_standalone_svg_with_the_viewbox():
    root = ElementTree.fromstring(render_svg(spec()))

    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 512 512"
    assert (root.get("width"), root.get("height")) == ("512", "512")


def test_it_scales_with_size_but_keeps_the_viewbox():
    svg = render_svg(spec(), size=128)
    root = ElementTree.fromstring(svg)

    assert (root.get("width"), root.get("viewBox")) == ("128", "0 0 512 512")
    assert Image.open(io.BytesIO(render_png(svg, 128))).size == (128, 128)


@pytest.mark.parametrize("size", [0, 8, 10_000, 1.5, True])
def test_it_rejects_a_bad_size(size):
    with pytest.raises(ValueError):
        render_svg(spec(), size=size)


@pytest.mark.parametrize(
    "s",
    [
        spec(),
        spec(emotion="happy", mask=True, glasses="eyeglasses", frame_shape="square", skin_hex=DARK),
        spec(emotion="sad", glasses="sunglasses", frame_shape="round", hair_hex=None),
    ],
)
def test_it_has_no_script_or_external_reference(s):
    svg = render_svg(s)

    assert "<script" not in svg.lower()
    assert "href" not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert svg.count("url(") == svg.count("url(#")  # only references into its own <defs>


@pytest.mark.parametrize(
    "bad", ["#fff", "red", "#12345g", "#1234567", "", " #123456", '#123456"/><script>alert(1)</script>', None, 0x123456]
)
def test_it_rejects_a_bad_skin_hex(bad):
    with pytest.raises(ValueError):
        render_svg(spec(skin_hex=bad))


@pytest.mark.parametrize("bad", ["#abc", "brown", '#000000" onload="alert(1)'])
def test_it_rejects_a_bad_hair_hex(bad):
    with pytest.raises(ValueError):
        render_svg(spec(hair_hex=bad))


def test_it_writes_hex_colours_only_as_validated_lowercase():
    svg = render_svg(spec(skin_hex="#A07E56", hair_hex="#1E1A18"))

    assert "#a07e56" in svg and "#A07E56" not in svg


@pytest.mark.parametrize(
    "change",
    [
        {"emotion": "smug"},
        {"glasses": "monocle"},
        {"frame_shape": "cat-eye"},
        {"shape": FaceShape(aspect=float("nan"))},
        {"shape": FaceShape(eye_size=float("inf"))},
    ],
)
def test_it_rejects_unknown_values(change):
    with pytest.raises(ValueError):
        render_svg(spec(**change))


def test_it_keeps_extreme_proportions_on_the_canvas():
    wild = FaceShape(aspect=3.0, eye_spacing=0.9, eye_size=0.5, mouth_width=0.9, eye_line=0.1, mouth_line=0.99)
    px = pixels(spec(emotion="happy", shape=wild, glasses="eyeglasses", frame_shape="square"))

    assert (px[:8, :, 3] == 0).all() and (px[-8:, :, 3] == 0).all()
    assert (px[:, :8, 3] == 0).all() and (px[:, -8:, 3] == 0).all()


# -- the picture ----------------------------------------------------------------------------------


def test_the_png_is_512_rgba_transparent_at_the_corners_and_opaque_in_the_centre():
    image = Image.open(io.BytesIO(render_png(render_svg(spec()))))
    px = np.asarray(image)

    assert image.size == (512, 512) and image.mode == "RGBA"
    for y, x in [(0, 0), (0, 511), (511, 0), (511, 511), (20, 20), (490, 490)]:
        assert px[y, x, 3] == 0
    assert px[256, 256, 3] == 255


@pytest.mark.parametrize("skin", MONK_SCALE)
def test_the_face_has_the_skin_colour(skin):
    px = pixels(spec(skin_hex=skin))
    cheek = px[305:340, 140:180].reshape(-1, 4)

    assert (cheek[:, 3] == 255).all()
    assert np.abs(np.median(cheek[:, :3], axis=0) - rgb(skin)).max() <= 10


@pytest.mark.parametrize(
    "variant, region",
    [
        ({}, WHOLE),
        ({"mask": True}, BROWS_AND_EYES),  # only eyes and brows carry the emotion
        ({"glasses": "sunglasses"}, WHOLE),  # brows and mouth carry it
        ({"mask": True, "glasses": "eyeglasses", "frame_shape": "round"}, BROWS_AND_EYES),
        ({"skin_hex": DARK, "hair_hex": None}, WHOLE),
    ],
)
def test_every_emotion_looks_different(variant, region):
    renders = {e: pixels(spec(emotion=e, **variant)) for e in EMOTIONS}

    for a, b in itertools.combinations(EMOTIONS, 2):
        assert changed(renders[a], renders[b], region) > 0.008, (a, b)


def test_every_emotion_looks_different_at_64_px():
    renders = {e: pixels(spec(emotion=e), size=64) for e in EMOTIONS}

    for a, b in itertools.combinations(EMOTIONS, 2):
        assert changed(renders[a], renders[b]) > 0.02, (a, b)


def test_the_mask_covers_the_lower_face_in_light_blue():
    plain, masked = pixels(spec(emotion="happy")), pixels(spec(emotion="happy", mask=True))
    lower = masked[350:430, 190:322].reshape(-1, 4)[:, :3]

    r, g, b = np.median(lower, axis=0)
    assert b > r + 15 and b > 200 and r > 150  # pale blue
    assert changed(plain, masked, MOUTH) > 0.5
    assert changed(plain, masked, (slice(215, 285), EYES[1])) < 0.01  # the eyes stay as they were


@pytest.mark.parametrize("frame_shape", ["none", "round", "square"])
def test_sunglasses_darken_the_eye_region(frame_shape):
    left_eye = (slice(235, 295), slice(135, 215))
    plain, sun = (pixels(spec(skin_hex=LIGHT, glasses=g, frame_shape=frame_shape)) for g in ("none", "sunglasses"))

    assert (luminance(sun[left_eye]) < 80).mean() > 0.85
    assert (luminance(plain[left_eye]) < 80).mean() < 0.6


def test_sunglasses_hide_the_eye_whites_on_dark_skin():
    left_eye = (slice(235, 295), slice(135, 215))
    plain, sun = (pixels(spec(skin_hex=DARK, glasses=g)) for g in ("none", "sunglasses"))

    # eye whites are near-white; the gold frame and the lens glare are not
    assert (luminance(plain[left_eye]) > 200).mean() > 0.1
    assert (luminance(sun[left_eye]) > 200).mean() < 0.01


@pytest.mark.parametrize("frame_shape", ["round", "square", "none"])
def test_eyeglasses_ring_the_eyes_and_leave_them_visible(frame_shape):
    plain = pixels(spec(skin_hex=LIGHT))
    glasses = pixels(spec(skin_hex=LIGHT, glasses="eyeglasses", frame_shape=frame_shape))
    pupil = (slice(255, 270), slice(170, 186))

    assert changed(plain, glasses, EYES) > 0.05
    assert luminance(glasses[pupil]).mean() < 90  # the eye still shows through the lens


def test_round_and_square_frames_differ():
    round_, square = (pixels(spec(glasses="eyeglasses", frame_shape=f)) for f in ("round", "square"))

    assert changed(round_, square, EYES) > 0.03


def test_hair_colours_the_top_of_the_head():
    hair = "#3a5fcd"  # an unlikely colour, so nothing else could produce it
    with_hair, bald = pixels(spec(hair_hex=hair)), pixels(spec(hair_hex=None))
    crown = (slice(85, 115), slice(290, 330))

    assert np.abs(np.median(with_hair[crown].reshape(-1, 4)[:, :3], axis=0) - rgb(hair)).max() < 60
    assert np.abs(np.median(bald[crown].reshape(-1, 4)[:, :3], axis=0) - rgb(MONK_SCALE[2])).max() < 25
    assert with_hair[42, 256, 3] == 255  # hair has volume above the skull
    assert bald[42, 256, 3] == 0


def test_a_wider_mouth_reaches_further():
    narrow = dark_extent(pixels(spec(emotion="happy", shape=FaceShape(mouth_width=0.3))), MOUTH)
    wide = dark_extent(pixels(spec(emotion="happy", shape=FaceShape(mouth_width=0.48))), MOUTH)

    assert wide[0] < narrow[0] - 15 and wide[1] > narrow[1] + 15


def test_wider_eye_spacing_moves_the_eyes_apart():
    close = dark_extent(pixels(spec(shape=FaceShape(eye_spacing=0.36))), EYES)
    apart = dark_extent(pixels(spec(shape=FaceShape(eye_spacing=0.48))), EYES)

    assert apart[0] < close[0] - 15 and apart[1] > close[1] + 15


def test_a_lower_mouth_line_moves_the_mouth_down():
    def mouth_top(line: float) -> int:
        px = pixels(spec(emotion="surprise", hair_hex=None, shape=FaceShape(mouth_line=line)))
        dark = luminance(px[320:470, 236:276]) < 90
        return int(np.nonzero(dark.any(axis=1))[0].min())

    assert mouth_top(0.79) > mouth_top(0.70) + 20  # the 5-95% range measured on real faces


@pytest.mark.parametrize("skin", [MONK_SCALE[0], MONK_SCALE[4], MONK_SCALE[7], MONK_SCALE[9]])
@pytest.mark.parametrize("emotion", EMOTIONS)
def test_the_eyes_stand_out_on_every_skin(skin, emotion):
    px = pixels(spec(skin_hex=skin, emotion=emotion, hair_hex=None))
    skin_l = luminance(rgb(skin))
    eyes = luminance(px[EYES])

    # A solid share of the eye region is far from the skin's lightness (dark eyes or light whites).
    assert (np.abs(eyes - skin_l) > 100).mean() > 0.06


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_the_brows_stand_out_on_the_darkest_skin(emotion):
    # with sunglasses the brows carry the emotion; they sit above the frames, in rows 150-208
    px = pixels(spec(skin_hex=DARK, hair_hex=None, glasses="sunglasses", emotion=emotion))
    brows = luminance(px[150:208, 150:362])

    assert (brows - luminance(rgb(DARK)) > 100).mean() > 0.05


# -- the sticker pack -----------------------------------------------------------------------------


def test_the_sticker_pack_holds_a_png_and_an_svg_per_emotion_and_a_readme():
    data = sticker_pack(spec(glasses="eyeglasses", frame_shape="round"))

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = set(zf.namelist())
        expected = {f"emoticon-{e}.{ext}" for e in EMOTIONS for ext in ("png", "svg")} | {"README.txt"}
        assert names == expected
        for e in EMOTIONS:
            image = Image.open(io.BytesIO(zf.read(f"emoticon-{e}.png")))
            assert image.size == (512, 512) and image.mode == "RGBA"
            ElementTree.fromstring(zf.read(f"emoticon-{e}.svg"))
        assert "sticker pack" in zf.read("README.txt").decode()


def test_the_output_is_deterministic():
    s = spec(emotion="fear", mask=True, glasses="eyeglasses", frame_shape="square", skin_hex=MONK_SCALE[6])

    assert render_svg(s) == render_svg(s)
    assert render_png(render_svg(s)) == render_png(render_svg(s))
    assert sticker_pack(s, size=64) == sticker_pack(s, size=64)
