"""The suit tool's U-Net face parser: the source's network, its scores, and serving through the model registry."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from apps.core import ml as registry
from apps.suit import unet
from apps.suit.unet import (
    FACE_PARSER,
    LAPA_CLASSES,
    SOURCE_FILTERS,
    SOURCE_INPUT_SIZE,
    build_unet,
    f1_and_jaccard,
    face_parser_available,
    face_parser_path,
    format_report,
    parse_face,
    per_image_f1_and_jaccard,
    predict_labels,
    preprocess,
    resize_labels,
)
from tests.images import REPO

SMALL = 32
TINY = (4, 8, 16, 32, 64)  # the source's four levels, a sixteenth of its widths
SKIN, HAIR = LAPA_CLASSES.index("skin"), LAPA_CLASSES.index("hair")


def expected_parameters(filters: tuple[int, ...], classes: int = 11) -> int:
    """Counted by hand from the source's description, independently of Keras."""

    def conv(cin: int, cout: int, kernel: int) -> int:
        return kernel * kernel * cin * cout + cout

    def conv_block(cin: int, width: int) -> int:
        return conv(cin, width, 3) + conv(width, width, 3) + 2 * 4 * width  # BatchNorm: gamma, beta, mean, variance

    total, channels = 0, 3
    for width in filters:
        total += conv_block(channels, width)
        channels = width
    for width in reversed(filters[:-1]):
        total += conv(channels, width, 2) + conv_block(2 * width, width)  # transposed conv, then after the concat
        channels = width
    return total + conv(channels, classes, 1)


def layers_of(model, kind: str) -> list:
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def test_the_unet_has_the_sources_four_pooling_levels_and_answers_a_softmax_per_pixel():
    model = build_unet(SMALL, TINY)

    assert model.name == "face_parser_unet"
    assert model.input_shape == (None, SMALL, SMALL, 3) and model.output_shape == (None, SMALL, SMALL, 11)
    assert len(layers_of(model, "MaxPooling2D")) == 4 and len(layers_of(model, "Conv2DTranspose")) == 4
    convolutions = [layer.filters for layer in layers_of(model, "Conv2D")]
    assert convolutions == [4, 4, 8, 8, 16, 16, 32, 32, 64, 64, 32, 32, 16, 16, 8, 8, 4, 4, 11]
    assert [layer.filters for layer in layers_of(model, "Conv2DTranspose")] == [32, 16, 8, 4]
    assert len(layers_of(model, "BatchNormalization")) == 18 and len(layers_of(model, "Concatenate")) == 4
    probabilities = np.asarray(model(np.random.default_rng(0).random((2, SMALL, SMALL, 3), np.float32)))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert model.count_params() == expected_parameters(TINY)


def test_the_source_unet_is_the_classic_31_million_parameter_one_at_512_px():
    assert SOURCE_FILTERS == (64, 128, 256, 512, 1024) and SOURCE_INPUT_SIZE == 512
    model = unet.source_unet_for_benchmark()
    assert model.input_shape == (None, 512, 512, 3) and model.output_shape == (None, 512, 512, 11)
    assert model.count_params() == expected_parameters(SOURCE_FILTERS) == 31_055_947


def test_an_input_size_the_pooling_cannot_halve_four_times_is_refused():
    with pytest.raises(ValueError, match="divisible by 16"):
        build_unet(40, TINY)


def test_importing_the_module_does_not_import_tensorflow():
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'emopic.settings'; import django; django.setup(); "
        "import apps.suit.unet; sys.exit('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60).returncode == 0


def test_preprocess_gives_a_float32_square_in_0_1_whatever_the_photo_shape():
    photo = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    photo[0, 0], photo[-1, -1] = 0, 255
    before = photo.copy()
    for size in (32, 128):
        x = preprocess(photo, size)
        assert x.shape == (size, size, 3) and x.dtype == np.float32
        assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_allclose(preprocess(np.full((8, 8, 3), 255, np.uint8), 4), 1.0)
    assert np.array_equal(photo, before)


def test_resized_labels_hold_only_classes_that_were_there():
    labels = np.zeros((50, 70), np.uint8)
    labels[:, 35:] = HAIR  # blending 0 and 10 would make skin, eyes and lips along the border
    resized = resize_labels(labels, 32)
    assert resized.shape == (32, 32) and resized.dtype == np.uint8
    assert set(np.unique(resized)) == {0, HAIR}


class HalfAndHalf:
    """A stand-in network: skin on the left half of whatever it sees, hair on the right."""

    def __init__(self, side: int = 4) -> None:
        self.input_shape = (None, side, side, 3)
        self.output_shape = (None, side, side, 11)
        self.seen: list[tuple[int, ...]] = []
        self.probabilities = np.zeros((1, side, side, 11), np.float32)
        self.probabilities[:, :, : side // 2, SKIN] = 1.0
        self.probabilities[:, :, side // 2 :, HAIR] = 1.0

    def __call__(self, batch: np.ndarray, training: bool = False) -> np.ndarray:
        self.seen.append(batch.shape)
        return self.probabilities


def test_predicted_labels_come_back_at_the_photos_own_size_from_the_models_own_input_size():
    model = HalfAndHalf(side=4)
    labels = predict_labels(model, np.zeros((20, 30, 3), np.uint8))
    assert model.seen == [(1, 4, 4, 3)]
    assert labels.shape == (20, 30) and labels.dtype == np.uint8
    assert np.all(labels[:, :15] == SKIN) and np.all(labels[:, 15:] == HAIR)


def test_a_real_unet_labels_every_pixel_with_a_lapa_class():
    labels = predict_labels(build_unet(SMALL, TINY), np.zeros((37, 53, 3), np.uint8))
    assert labels.shape == (37, 53) and labels.dtype == np.uint8 and labels.max() <= 10


def test_perfect_labels_score_1_and_a_class_absent_from_both_is_left_out():
    labels = np.array([[0, 0, 1, 1], [0, 1, 1, HAIR]], np.uint8)
    metrics = f1_and_jaccard(labels, labels.copy())
    assert metrics["per_class"]["skin"] == {"f1": 1.0, "jaccard": 1.0, "true_pixels": 4, "predicted_pixels": 4}
    assert metrics["per_class"]["nose"]["f1"] is None and metrics["per_class"]["nose"]["jaccard"] is None
    assert metrics["mean_f1"] == metrics["mean_jaccard"] == 1.0  # skin and hair only, not 8 absent zeros
    assert metrics["mean_f1_with_background"] == 1.0 and metrics["pixels"] == 8 and metrics["images"] == 1


def test_a_region_predicted_half_a_region_off_scores_a_half_and_a_third():
    true = np.zeros((4, 4), np.uint8)
    true[:, :2] = SKIN
    predicted = np.zeros((4, 4), np.uint8)
    predicted[:, 1:3] = SKIN
    # skin: 4 right, 4 too many, 4 missed. F1 = 2*4 / (2*4 + 4 + 4); Jaccard = 4 / (4 + 4 + 4).
    # Background, columns 2-3 true and 0 and 3 predicted, is the mirror case.
    metrics = f1_and_jaccard(true, predicted)
    for name in ("skin", "background"):
        assert metrics["per_class"][name]["f1"] == pytest.approx(0.5)
        assert metrics["per_class"][name]["jaccard"] == pytest.approx(1 / 3)
    assert metrics["mean_f1"] == pytest.approx(0.5) and metrics["mean_jaccard"] == pytest.approx(1 / 3)


def test_a_class_predicted_but_never_present_scores_0():
    true = np.zeros((2, 2), np.uint8)
    predicted = np.array([[0, 0], [0, 6]], np.uint8)
    metrics = f1_and_jaccard(true, predicted)
    assert metrics["per_class"]["nose"]["f1"] == 0.0 and metrics["mean_f1"] == 0.0
    assert metrics["per_class"]["background"]["f1"] == pytest.approx(6 / 7)


def test_a_set_is_scored_on_its_pixels_pooled_and_on_the_sources_per_image_mean():
    face = np.array([[0, SKIN], [SKIN, SKIN]], np.uint8)
    hair_only = np.array([[0, 0, HAIR], [0, HAIR, HAIR]], np.uint8)  # maps may differ in size
    pooled = f1_and_jaccard([face, hair_only], [face, hair_only])
    assert pooled["per_class"]["skin"]["f1"] == 1.0 and pooled["per_class"]["hair"]["f1"] == 1.0
    assert pooled["images"] == 2 and pooled["pixels"] == 10 and pooled["mean_f1"] == 1.0

    # The source's protocol: scikit-learn per image with zero_division=0, so a class missing from an
    # image counts 0 there, however right the parser was.
    source = per_image_f1_and_jaccard([face, hair_only], [face, hair_only])
    assert source["per_class"]["background"]["f1"] == 1.0
    assert source["per_class"]["skin"]["f1"] == 0.5 and source["per_class"]["hair"]["f1"] == 0.5
    assert source["per_class"]["nose"]["f1"] == 0.0
    assert source["mean_f1_with_background"] == pytest.approx(2 / 11)
    assert source["mean_f1"] == pytest.approx(1 / 10)


def test_labels_of_different_sizes_or_beyond_the_classes_are_refused():
    with pytest.raises(ValueError, match="differ in size"):
        f1_and_jaccard(np.zeros((2, 3), np.uint8), np.zeros((3, 2), np.uint8))
    with pytest.raises(ValueError, match=r"0\.\.10"):
        f1_and_jaccard(np.full((2, 2), 11, np.uint8), np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="2 true label maps but 1"):
        f1_and_jaccard([np.zeros((1, 1))] * 2, [np.zeros((1, 1))])


def test_the_report_is_a_class_table_with_both_means_named():
    true = np.array([[0, SKIN, SKIN, HAIR]], np.uint8)
    report = format_report(f1_and_jaccard(true, np.array([[0, SKIN, 0, HAIR]], np.uint8)))
    lines = report.splitlines()
    assert lines[1].split() == ["class", "F1", "Jaccard"]
    assert lines[3].split() == ["background", "0.6667", "0.5000"]
    assert lines[4].split() == ["skin", "0.6667", "0.5000"]
    assert "nose" in report and "neither present nor predicted" in report
    assert "mean F1         0.8333   over the 10 face classes (LaPa papers' mean)" in report
    assert "mean Jaccard    0.7500   over the 10 face classes" in report
    assert "mean F1         0.7778   over all 11 classes, with background (the source's mean)" in report
    assert "mean Jaccard" in lines[-1] and "all 11 classes" in lines[-1]


@pytest.fixture
def models_dir(settings, tmp_path):
    """ML_MODELS_DIR in tmp with the face parser registered there; the app's own spec restored afterwards."""
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    original = next((spec for spec in registry.registered() if spec.name == FACE_PARSER), None)
    registry.forget_loaded()
    unet.register_models()
    yield settings.ML_MODELS_DIR
    registry.forget_loaded()
    if original is not None:
        registry.register(original)
    else:
        del registry._REGISTRY[FACE_PARSER]


def test_the_face_parser_is_an_optional_model_that_names_its_training_command(models_dir):
    spec = registry.get_spec(FACE_PARSER)
    assert spec.optional and spec.app == "suit" and spec.path == models_dir / "suit" / "face_parser.keras"
    assert spec.path == face_parser_path()
    assert spec.loader is registry.load_keras and spec.warmup is registry.warm_keras
    assert spec.training_command == "python training/suit/train_unet.py --data DIR"


def test_without_weights_the_parser_is_unavailable_and_says_how_to_train_it(models_dir):
    assert not face_parser_available()
    with pytest.raises(registry.ModelUnavailable, match="train_unet.py --data DIR"):
        parse_face(np.zeros((8, 8, 3), np.uint8))


def test_a_model_trained_at_any_size_serves_at_the_photos_size(models_dir):
    face_parser_path().parent.mkdir(parents=True)
    build_unet(SMALL, TINY).save(face_parser_path())
    assert face_parser_available()
    labels = parse_face(np.zeros((45, 61, 3), np.uint8))
    assert labels.shape == (45, 61) and labels.dtype == np.uint8 and labels.max() <= 10


def test_a_model_answering_other_classes_than_lapas_is_unavailable(models_dir):
    face_parser_path().parent.mkdir(parents=True)
    build_unet(SMALL, TINY, classes=3).save(face_parser_path())
    with pytest.raises(
        registry.ModelUnavailable, match=r"its output shape is \(None, \d+, \d+, 3\), not \(None, None, None, 11\)"
    ):
        parse_face(np.zeros((8, 8, 3), np.uint8))
