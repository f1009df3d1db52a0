"""The real models on real photos: the face and hair are kept, the old clothes become the suit."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from apps.core.imageio import DecodedImage
from apps.core.timing import Timer
from apps.idphoto.pipeline.sizes import ID_SIZES
from apps.idphoto.services import matte_photo
from apps.suit.pipeline.garments import STYLES
from apps.suit.pipeline.parsing import CLOTHES, FACE_OVAL, FRONT_LABELS, HAIR, KEPT_LABELS, NECK, _fill, soft_layers
from apps.suit.services import Layers, SuitRejected, dress_layers, parse_photo, render_size, suit_generate, suit_refit
from tests.images import shared_photo

pytestmark = [pytest.mark.models, pytest.mark.django_db]

ID_LIKE = "faces/face_recognition/examples/knn_examples/test/alex_lacamoire1.jpg"  # vest, shirt, tie; grey wall
LONG_HAIR = "faces/face_recognition/examples/knn_examples/train/rose_leslie/img2.jpg"  # hair over both shoulders


def decoded(rgb: np.ndarray) -> DecodedImage:
    return DecodedImage(rgb=rgb, format="jpeg", source="upload")


def read_rgb(field) -> np.ndarray:
    with field.open("rb") as handle:
        return np.asarray(Image.open(io.BytesIO(handle.read())).convert("RGB"))


def hex_rgb(value: str) -> np.ndarray:
    return np.array([int(value[i : i + 2], 16) for i in (1, 3, 5)], np.float32)


@pytest.fixture(scope="module")
def long_hair():
    rgb = shared_photo(LONG_HAIR)
    photo = matte_photo(rgb)
    parsing, fit, _ = parse_photo(rgb, photo, Timer())
    return rgb, photo, parsing, fit


@pytest.fixture
def id_like_suit(settings, tmp_path):
    rgb = shared_photo(ID_LIKE)
    return rgb, suit_generate(image=decoded(rgb), owner="someone", style="navy-tie", background="#dbe7f3")


def face_region(photo_matte, shape: tuple[int, int]) -> np.ndarray:
    """The face oval, shrunk a little: its edge is soft in the matte."""
    face = _fill(photo_matte.landmarks, FACE_OVAL, shape).astype(np.uint8)
    return cv2.erode(face, np.ones((9, 9), np.uint8)).astype(bool)


def test_the_face_is_unchanged(long_hair):
    rgb, photo, parsing, fit = long_hair
    alpha = photo.matte.alpha
    front, kept = soft_layers(parsing.labels, (FRONT_LABELS, KEPT_LABELS), rgb, alpha)
    layers = Layers(photo.matte.foreground, alpha, front, kept)
    dressed = dress_layers(layers, "navy-women", fit, lift=0.15, widen=0.2)  # the suit as high and wide as it goes
    face = face_region(photo, rgb.shape[:2])

    assert dressed.alpha[face].min() > 0.999
    assert np.abs(dressed.foreground[face].astype(int) - rgb[face].astype(int)).max() <= 1


def test_the_stored_result_keeps_the_face(id_like_suit):
    rgb, photo = id_like_suit
    output = read_rgb(photo.output_image)
    face = face_region(matte_photo(rgb), rgb.shape[:2])

    difference = np.abs(output[face].astype(int) - rgb[face].astype(int))
    assert difference.mean() < 3.5  # JPEG re-encoding only: the face is not redrawn


def test_below_the_chin_between_the_shoulders_is_now_the_suit(id_like_suit):
    rgb, photo = id_like_suit
    output = read_rgb(photo.output_image).astype(np.float32)
    (lx, ly), (rx, ry) = photo.fit["shoulder_left"], photo.fit["shoulder_right"]
    y0 = round(max(ly, ry) + 0.15 * (rx - lx))
    jacket = hex_rgb(STYLES["navy-tie"].jacket)
    # Each side of the chest (its centre is the shirt and tie): the blue shirt, then the black vest.
    for x0 in (lx + 0.12 * (rx - lx), rx - 0.3 * (rx - lx)):
        x0 = round(x0)
        patch = output[y0 : y0 + 30, x0 : x0 + 30].reshape(-1, 3).mean(axis=0)
        before = rgb[y0 : y0 + 30, x0 : x0 + 30].reshape(-1, 3).mean(axis=0).astype(np.float32)
        assert np.linalg.norm(patch - jacket) < 40
        assert np.linalg.norm(patch - jacket) < np.linalg.norm(patch - before) / 2


def test_hair_over_the_shoulders_stays_on_top_of_the_suit(long_hair):
    rgb, photo, parsing, fit = long_hair
    labels = parsing.labels
    chin_y = round(parsing.chin[1])
    below = np.zeros_like(labels, bool)
    below[chin_y + 20 :] = True
    hanging_hair = (labels == HAIR) & below
    # The premise: long hair lies over both shoulders in this photo.
    left_half = hanging_hair[:, : labels.shape[1] // 2].sum()
    right_half = hanging_hair[:, labels.shape[1] // 2 :].sum()
    assert left_half > 2000 and right_half > 2000

    creation = suit_generate(image=decoded(rgb), owner="someone", style="navy-women", background="#ffffff")
    output = read_rgb(creation.output_image)
    small = cv2.resize(output, (labels.shape[1], labels.shape[0]), interpolation=cv2.INTER_AREA)
    original = cv2.resize(rgb, (labels.shape[1], labels.shape[0]), interpolation=cv2.INTER_AREA)
    core = cv2.erode(hanging_hair.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    difference = np.abs(small[core].astype(int) - original[core].astype(int)).mean(axis=1)
    assert np.median(difference) < 8  # still the same reddish hair, not navy cloth
    assert (difference < 25).mean() > 0.9


def test_the_parsing_finds_neck_and_clothes_below_the_face(long_hair):
    _, _, parsing, fit = long_hair
    labels = parsing.labels
    chin_x, chin_y = (round(v) for v in parsing.chin)
    neck_y = round((fit.neck_left[1] + fit.neck_right[1]) / 2 * labels.shape[0] / long_hair[0].shape[0])
    assert (
        labels[chin_y + 5 : neck_y, chin_x - 5 : chin_x + 5].tolist()
        and (labels[chin_y + 5 : neck_y, chin_x - 5 : chin_x + 5] == NECK).mean() > 0.8
    )
    assert (labels[-20:, chin_x - 10 : chin_x + 10] == CLOTHES).mean() > 0.8


def test_a_photo_without_shoulders_is_refused_with_a_reason():
    rgb = shared_photo(LONG_HAIR)
    close_up = np.ascontiguousarray(rgb[60:420, 90:480])  # forehead to chin: the shoulders are cut away

    with pytest.raises(SuitRejected) as error:
        suit_generate(image=decoded(close_up), owner="someone", style="navy-tie")

    assert error.value.code == "shoulders_not_visible"
    assert "shoulders" in error.value.message


def test_every_style_renders_on_a_real_photo(id_like_suit):
    _, photo = id_like_suit
    previous = None
    for style in STYLES:
        suit_refit(photo=photo, style=style)
        output = read_rgb(photo.output_image)
        assert output.shape[:2] == (photo.params["height"], photo.params["width"])
        assert previous is None or not np.array_equal(output, previous)
        previous = output


def test_the_fit_controls_move_the_suit(id_like_suit):
    _, photo = id_like_suit
    before = read_rgb(photo.output_image).astype(int)
    suit_refit(photo=photo, lift=0.1)
    lifted = read_rgb(photo.output_image).astype(int)

    assert photo.lift == pytest.approx(0.1)
    assert np.abs(lifted - before).mean() > 1
    suit_refit(photo=photo, lift=5.0)  # out of range: held to the slider's end
    assert photo.lift == pytest.approx(0.15)


@pytest.mark.parametrize("size_key", list(ID_SIZES))
def test_the_id_size_has_the_requested_pixels_and_dpi(id_like_suit, size_key):
    _, photo = id_like_suit
    size = ID_SIZES[size_key]

    image = Image.open(io.BytesIO(render_size(photo=photo, size=size)))

    assert image.size == (size.width_px, size.height_px)
    assert image.info["dpi"] == pytest.approx((300, 300))
    pixels = np.asarray(image.convert("RGB")).astype(np.float32)
    # The bottom of an ID photo is the suit, not the background.
    assert np.linalg.norm(pixels[-5:, size.width_px // 5].mean(axis=0) - hex_rgb("#dbe7f3")) > 60


def test_the_print_sheet_is_six_by_four_inches(id_like_suit):
    _, photo = id_like_suit

    image = Image.open(io.BytesIO(render_size(photo=photo, size=ID_SIZES["35x45"], sheet=True)))

    assert image.size == (1800, 1200) and image.info["dpi"] == pytest.approx((300, 300))


@pytest.mark.parametrize("degrees", [-10, 10])
def test_a_tilted_photo_gets_a_suit_tilted_with_the_shoulders(degrees):
    rgb = shared_photo(ID_LIKE)
    height, width = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    tilted = cv2.warpAffine(rgb, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    _, fit, _ = parse_photo(tilted, matte_photo(tilted), Timer())

    def angle(a, b) -> float:
        return float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))

    # OpenCV turns the picture anticlockwise for a positive angle: its right side rises (y falls).
    assert angle(fit.shoulder_left, fit.shoulder_right) == pytest.approx(-degrees, abs=5)
    assert angle(fit.neck_left, fit.neck_right) == pytest.approx(-degrees, abs=5)  # the collar follows
