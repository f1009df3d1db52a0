"""The background regressor sees the person, never the old background, and serves its prediction as a candidate."""

from __future__ import annotations

import re

import numpy as np
import pytest

from apps.core import ml as registry
from apps.idphoto import ml
from apps.idphoto.background_regressor import (
    INPUT_SIZE,
    NEUTRAL_GREY,
    background_label,
    build_model,
    preprocess,
    regressor_candidate,
)
from apps.idphoto.pipeline.colour import ColourProfile

RED = (230, 20, 20)
GREEN = (20, 200, 40)
BLUE_SHIRT = (30, 60, 200)


def portrait(
    background: tuple[int, int, int], height: int = 120, width: int = 100, soft: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A blue ellipse 'person' blended onto ``background`` as a camera would see it, and its matte."""
    ys, xs = np.mgrid[:height, :width]
    distance = np.hypot((xs - width / 2) / (width * 0.3), (ys - height * 0.6) / (height * 0.35))
    alpha = np.clip((1.2 - distance) / 0.4, 0, 1).astype(np.float32)  # 1 inside, a soft band, then 0
    if not soft:
        alpha = (alpha > 0.5).astype(np.float32)
    blend = alpha[:, :, None] * BLUE_SHIRT + (1 - alpha[:, :, None]) * np.asarray(background)
    return np.round(blend).astype(np.uint8), alpha


def profile(season: str = "autumn") -> ColourProfile:
    return ColourProfile(
        skin_lab=(65.0, 14.0, 20.0),
        hair_lab=(25.0, 5.0, 8.0),
        eye_lab=None,
        lip_lab=None,
        clothing_lab=None,
        undertone="warm",
        value="medium",
        chroma="muted",
        contrast="high",
        season=season,
    )


def test_preprocess_gives_a_square_float32_image_of_whole_pixel_values():
    rgb, alpha = portrait(RED)
    image = preprocess(rgb, alpha)
    assert image.shape == (INPUT_SIZE, INPUT_SIZE, 3) and image.dtype == np.float32
    assert image.min() >= 0 and image.max() <= 255
    assert np.array_equal(image, np.round(image))  # so the training cache can hold it as uint8


def test_preprocess_keeps_pixels_in_0_255_because_keras_efficientnet_rescales_them_itself(small_model):
    import keras

    backbone = small_model.get_layer("efficientnetb0")
    rescaling = next(layer for layer in backbone.layers if isinstance(layer, keras.layers.Rescaling))
    assert rescaling.scale == pytest.approx(1 / 255)


def test_the_old_background_does_not_reach_the_model():
    rgb, alpha = portrait(RED)
    image = preprocess(rgb, alpha, size=64)
    assert np.all(image[0] == NEUTRAL_GREY) and np.all(image[-1] == NEUTRAL_GREY)
    assert np.all(image[:, 0] == NEUTRAL_GREY) and np.all(image[:, -1] == NEUTRAL_GREY)
    # The person is blue on grey: any red would be the old background, leaking through the soft edge.
    redness = image[:, :, 0] - image[:, :, 2]
    assert redness.max() <= 8


def test_with_a_hard_matte_the_input_is_the_same_whatever_the_background():
    on_red, alpha = portrait(RED, 64, 64, soft=False)
    on_green, _ = portrait(GREEN, 64, 64, soft=False)
    assert np.array_equal(preprocess(on_red, alpha, size=64), preprocess(on_green, alpha, size=64))


def test_a_wide_photo_is_letterboxed_not_stretched():
    rgb = np.full((100, 200, 3), BLUE_SHIRT, np.uint8)
    image = preprocess(rgb, np.ones((100, 200), np.float32), size=64)
    assert np.all(image[:16] == NEUTRAL_GREY) and np.all(image[48:] == NEUTRAL_GREY)
    assert np.all(image[16:48] == BLUE_SHIRT)


def test_preprocess_rejects_a_matte_of_another_size():
    with pytest.raises(ValueError):
        preprocess(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 11), np.float32))


def test_the_label_is_the_mean_background_colour_over_255():
    rgb, alpha = portrait((40, 120, 200))
    label = background_label(rgb, alpha)
    assert label == pytest.approx((40 / 255, 120 / 255, 200 / 255), abs=1e-3)


def test_a_photo_that_is_nearly_all_person_has_no_label():
    rgb = np.full((100, 100, 3), 90, np.uint8)
    alpha = np.ones((100, 100), np.float32)
    alpha[:2] = 0  # 2% background
    assert background_label(rgb, alpha) is None


@pytest.fixture(scope="module")
def small_model():
    return build_model(64)


def test_the_model_predicts_one_rgb_colour_in_0_1(small_model):
    prediction = np.asarray(small_model(np.full((1, 64, 64, 3), 128, np.float32), training=False))
    assert small_model.name == "background_regressor"
    assert prediction.shape == (1, 3)
    assert np.all((prediction >= 0) & (prediction <= 1))


@pytest.fixture
def served_model(settings, tmp_path):
    """A real regressor whose head always answers #336699, saved where the site looks for it."""
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    model = build_model(INPUT_SIZE)
    head = model.get_layer("rgb")
    target = np.array([0.2, 0.4, 0.6], np.float32)
    head.set_weights([np.zeros_like(head.get_weights()[0]), np.log(target / (1 - target))])
    ml.background_regressor_path().parent.mkdir(parents=True)
    model.save(ml.background_regressor_path())
    original = registry.get_spec(ml.BACKGROUND_REGRESSOR)
    registry.forget_loaded()
    ml.register_models()
    yield
    registry.forget_loaded()
    registry.register(original)


def test_the_candidate_is_the_colour_the_served_model_predicts(served_model):
    rgb, alpha = portrait(RED)
    candidate = regressor_candidate(rgb, alpha, profile("autumn"))
    assert re.fullmatch(r"#[0-9a-f]{6}", candidate.hex)
    assert candidate.hex == "#336699" and candidate.rgb == (0x33, 0x66, 0x99)
    assert candidate.palette == "learned"
    assert "autumn" in candidate.reason
    assert 0 <= candidate.score <= 1


@pytest.mark.models
@pytest.mark.django_db
def test_the_site_uses_the_regressor_when_its_weights_exist_and_says_so(served_model):
    from apps.core.imageio import DecodedImage
    from apps.idphoto.services import ENGINE_REGRESSOR, idphoto_generate
    from tests.images import astronaut

    photo = idphoto_generate(image=DecodedImage(astronaut(), "jpeg", "upload"), owner="me")
    assert photo.engines["background"] == ENGINE_REGRESSOR
    assert photo.background_hex == "#336699" and photo.candidates[0]["palette"] == "learned"
    assert len(photo.candidates) >= 6


@pytest.fixture
def corrupt_model(settings, tmp_path):
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    ml.background_regressor_path().parent.mkdir(parents=True)
    ml.background_regressor_path().write_bytes(b"truncated download")
    original = registry.get_spec(ml.BACKGROUND_REGRESSOR)
    registry.forget_loaded()
    ml.register_models()
    yield
    registry.forget_loaded()
    registry.register(original)


@pytest.mark.models
@pytest.mark.django_db
def test_a_corrupt_regressor_file_falls_back_to_personal_colour_and_says_so(corrupt_model):
    from apps.core.imageio import DecodedImage
    from apps.idphoto.services import ENGINE_PERSONAL_COLOUR, idphoto_generate
    from tests.images import astronaut

    photo = idphoto_generate(image=DecodedImage(astronaut(), "jpeg", "upload"), owner="me")
    assert photo.engines["background"] == ENGINE_PERSONAL_COLOUR
    assert photo.candidates[0]["palette"] != "learned"
