"""The attribute classifiers: what each one sees, the network, and serving through the model registry."""

from __future__ import annotations

import numpy as np
import pytest

from apps.core import ml as registry
from apps.emoticon import classifiers
from apps.emoticon.classifiers import (
    ATTRIBUTE_CLASSES,
    INPUT_SIZE,
    build_classifier,
    classify,
    crop_transform,
    face_crop,
    model_name,
    model_path,
    preprocess,
)
from tests.images import astronaut

NAMES = [model_name(attribute) for attribute in ATTRIBUTE_CLASSES]
SMALL = 32  # a tiny served model keeps these tests fast


@pytest.fixture(scope="module")
def astronaut_face() -> tuple[np.ndarray, np.ndarray]:
    import mediapipe as mp

    rgb = astronaut()
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        face = mesh.process(rgb).multi_face_landmarks[0]
    height, width = rgb.shape[:2]
    return rgb, np.array([(p.x * width, p.y * height) for p in face.landmark], np.float32)


@pytest.mark.models
@pytest.mark.parametrize("attribute", list(ATTRIBUTE_CLASSES))
def test_each_crop_is_a_uint8_square_of_the_input_size(astronaut_face, attribute):
    rgb, landmarks = astronaut_face
    for size in (INPUT_SIZE, 48):
        crop = face_crop(rgb, landmarks, attribute, size)
        assert crop.shape == (size, size, 3) and crop.dtype == np.uint8
    assert crop.std() > 10  # a face, not a flat border


@pytest.mark.models
def test_the_glasses_crop_holds_both_eyes_level_and_the_mask_crop_the_whole_face(astronaut_face):
    rgb, landmarks = astronaut_face

    def mapped(attribute: str, indices: list[int]) -> np.ndarray:
        transform = crop_transform(landmarks, attribute, INPUT_SIZE)
        return landmarks[indices] @ transform[:, :2].T + transform[:, 2]

    irises = mapped("glasses", [classifiers.RIGHT_IRIS, classifiers.LEFT_IRIS])
    assert np.all((irises > 0.1 * INPUT_SIZE) & (irises < 0.9 * INPUT_SIZE))
    assert irises[0, 0] < INPUT_SIZE / 2 < irises[1, 0]  # the person's right eye on the image's left
    assert abs(irises[0, 1] - irises[1, 1]) < 1.0  # levelled
    chin_and_forehead = mapped("mask", [152, 10])
    assert np.all((chin_and_forehead > 0) & (chin_and_forehead < INPUT_SIZE))
    chin_in_band = mapped("glasses", [152])
    assert chin_in_band[0, 1] > INPUT_SIZE  # the eye band stops above the mouth


@pytest.mark.models
def test_the_mask_classifier_sees_the_face_oval_and_nothing_around_it(astronaut_face):
    crop = face_crop(*astronaut_face, "mask")
    corners = crop[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.all(corners == classifiers.OUTSIDE_GREY)  # background and collar hidden
    centre = crop[48:80, 48:80]
    assert np.abs(centre.astype(int) - classifiers.OUTSIDE_GREY).mean() > 20  # the face kept


def test_a_crop_of_an_unknown_attribute_is_refused():
    with pytest.raises(ValueError, match="Unknown attribute"):
        face_crop(np.zeros((64, 64, 3), np.uint8), np.zeros((478, 2), np.float32), "hat")


def test_preprocess_scales_to_0_1_as_float32():
    crop = np.array([[[0, 128, 255]]], np.uint8)
    x = preprocess(crop)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[[0.0, 128 / 255, 1.0]]])


def test_the_network_answers_one_probability_per_class():
    model = build_classifier(3, SMALL)
    probabilities = np.asarray(model(np.random.default_rng(0).random((2, SMALL, SMALL, 3), np.float32)))
    assert model.input_shape == (None, SMALL, SMALL, 3)
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert build_classifier(2).count_params() < 500_000  # a small file, whatever the input size


@pytest.fixture
def models_dir(settings, tmp_path):
    """ML_MODELS_DIR in tmp, with this module's specs registered there; the originals restored afterwards."""
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    model_path("mask").parent.mkdir(parents=True)
    originals = [spec for spec in registry.registered() if spec.name in NAMES]
    registry.forget_loaded()
    classifiers.register_models()
    yield model_path
    registry.forget_loaded()
    for spec in originals:  # the app config's, pointing at the real ML_MODELS_DIR
        registry.register(spec)


def test_classify_returns_none_without_weights(models_dir):
    rgb, landmarks = np.zeros((64, 64, 3), np.uint8), np.zeros((478, 2), np.float32)
    assert classify("mask", rgb, landmarks) is None
    assert not registry.is_loaded(model_name("mask"))


@pytest.mark.models
def test_classify_answers_a_class_and_its_probability_with_weights(models_dir, astronaut_face):
    build_classifier(len(ATTRIBUTE_CLASSES["glasses"]), SMALL).save(models_dir("glasses"))

    label, probability = classify("glasses", *astronaut_face)

    assert label in ATTRIBUTE_CLASSES["glasses"]
    assert 1 / 3 <= probability <= 1
    assert classify("mask", *astronaut_face) is None  # each attribute on its own weights


def test_a_corrupt_weights_file_raises_model_unavailable(models_dir):
    models_dir("mask").write_bytes(b"truncated download")
    with pytest.raises(registry.ModelUnavailable, match="failed to load"):
        classify("mask", np.zeros((64, 64, 3), np.uint8), np.zeros((478, 2), np.float32))


def test_a_model_with_the_wrong_number_of_classes_raises_model_unavailable(models_dir, astronaut_face):
    build_classifier(3, SMALL).save(models_dir("mask"))
    with pytest.raises(registry.ModelUnavailable, match=r"output shape is \(None, 3\)"):
        classify("mask", *astronaut_face)


def test_specs_name_the_training_command_and_are_optional(models_dir):
    spec = registry.get_spec(model_name("frame_shape"))
    assert spec.optional and spec.path == models_dir("frame_shape")
    assert "train_attribute.py --attribute frame_shape" in spec.training_command
