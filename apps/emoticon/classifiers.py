"""Trained CNN classifiers for the emoticon's attributes: mask, glasses and frame shape.

The source system (a 2020 report) trained one small CNN per attribute on
128x128 colour crops. The site uses such a classifier instead of the measured
engine (``pipeline.attributes``) for an attribute whenever its weights exist
at ``ML_MODELS_DIR/emoticon/<attribute>.keras``; they are trained by
``training/emoticon/train_attribute.py``.

Training and serving both build the network's input with ``face_crop`` and
``preprocess`` and nothing else, so the two cannot drift apart. Keras is
imported inside the functions that need it: importing TensorFlow costs seconds
and must not happen when Django starts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt

from apps.core import ml as registry
from apps.core.imageio import RGBImage

if TYPE_CHECKING:
    import keras

ATTRIBUTE_CLASSES: dict[str, tuple[str, ...]] = {
    "mask": ("mask", "no_mask"),
    "glasses": ("none", "eyeglasses", "sunglasses"),
    "frame_shape": ("round", "square"),
}
INPUT_SIZE = 128  # the source's input size
ENGINE_CLASSIFIER = "Keras CNN (128 px, 3 conv layers) trained by training/emoticon/train_attribute.py"

Crop = npt.NDArray[np.uint8]  # size x size x 3, RGB
ModelInput = npt.NDArray[np.float32]  # the same, scaled to 0..1

# Indices in mediapipe's 468/478-point face mesh topology.
RIGHT_IRIS, LEFT_IRIS = 468, 473  # the person's right eye is on the image's left
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (263, 362)
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
BROWS_UPPER = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)
TEMPLES = (127, 234, 356, 454)  # the face's sides at eye level: where glasses' hinges sit
NOSE_BRIDGE = 195  # a third of the way down the nose: the lower rim of most frames

FACE_MARGIN = 0.12  # each side of the face oval's longer side: keeps the mask's edge and the chin in view
OVAL_WIDENING = 1.08  # about its centre: a mask's edge stands a little proud of the jaw
OUTSIDE_GREY = 128  # what the mask classifier sees outside the face oval
BAND_MARGIN_X = 0.04  # of the band's width, each side
BAND_MARGIN_TOP = 0.15  # of the band's height, above the brows: thick frames reach past them
BAND_MARGIN_BOTTOM = 0.20  # below the nose-bridge point: large sunglasses reach lower


def model_name(attribute: str) -> str:
    return f"emoticon.{attribute}_classifier"


def model_path(attribute: str) -> Path:
    from django.conf import settings  # read when called: tests point ML_MODELS_DIR elsewhere

    return settings.ML_MODELS_DIR / "emoticon" / f"{attribute}.keras"


def build_classifier(classes: int, input_size: int = INPUT_SIZE) -> keras.Model:
    """The source's network: (Conv 3x3 - ReLU - MaxPool) x 3 with 32/64/128 filters, then softmax.

    Two changes from the 2020 report, for a few thousand web photos on a CPU:

    * BatchNorm after each convolution (before the ReLU): training converges in
      a handful of epochs at Adam's default rate instead of dozens. Its momentum
      is 0.9, not Keras' 0.99: a few thousand photos make only ~50 steps an
      epoch, too few for 0.99's running statistics to catch up, and the served
      model (which uses them) then scores far below the training accuracy.
    * Global average pooling instead of Flatten, then Dense(64) and Dropout 0.4.
      Flatten at 128 px gives 16x16x128 = 32,768 features, so a Dense(128) head
      alone has 4.2 M weights (a 17 MB file) that overfit a small data set; the
      pooled head keeps the whole model near 100 k weights, under half a megabyte.
    """
    import keras

    inputs = keras.Input(shape=(input_size, input_size, 3), name="crop")
    x = inputs
    for block, filters in enumerate((32, 64, 128), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{block}")(x)
        x = keras.layers.ReLU(name=f"relu{block}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(64, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(0.4, name="dropout")(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="attribute_classifier")


def _eye_centres(landmarks: npt.NDArray[np.float32]) -> tuple[np.ndarray, np.ndarray]:
    """(right eye, left eye) centres: the irises when refined, else the eye corners' midpoints."""
    if len(landmarks) > LEFT_IRIS:
        return landmarks[RIGHT_IRIS].astype(np.float64), landmarks[LEFT_IRIS].astype(np.float64)
    right = landmarks[list(RIGHT_EYE_CORNERS)].mean(axis=0).astype(np.float64)
    left = landmarks[list(LEFT_EYE_CORNERS)].mean(axis=0).astype(np.float64)
    return right, left


def _levelling(landmarks: npt.NDArray[np.float32]) -> np.ndarray:
    """2x3 affine rotating the photo about the eyes' midpoint so the eyes lie level."""
    right, left = _eye_centres(landmarks)
    angle = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    centre = (right + left) / 2
    return cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)


def _region(levelled: np.ndarray, attribute: str) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of what ``attribute``'s classifier sees, in levelled coordinates."""
    if attribute == "mask":
        oval = levelled[list(FACE_OVAL)]
        (x0, y0), (x1, y1) = oval.min(axis=0), oval.max(axis=0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = max(x1 - x0, y1 - y0) * (0.5 + FACE_MARGIN)
        return cx - half, cy - half, cx + half, cy + half
    if attribute in ("glasses", "frame_shape"):
        temples = levelled[list(TEMPLES)]
        x0, x1 = float(temples[:, 0].min()), float(temples[:, 0].max())
        top = float(levelled[list(BROWS_UPPER), 1].min())
        bottom = float(levelled[NOSE_BRIDGE, 1])
        height = max(bottom - top, 1.0)
        width = max(x1 - x0, 1.0)
        return (
            x0 - width * BAND_MARGIN_X,
            top - height * BAND_MARGIN_TOP,
            x1 + width * BAND_MARGIN_X,
            bottom + height * BAND_MARGIN_BOTTOM,
        )
    raise ValueError(f"Unknown attribute {attribute!r}; expected one of {', '.join(ATTRIBUTE_CLASSES)}")


def crop_transform(landmarks: npt.NDArray[np.float32], attribute: str, input_size: int = INPUT_SIZE) -> np.ndarray:
    """2x3 affine from photo pixels to ``face_crop``'s pixels (tests map landmarks with it)."""
    levelling = _levelling(landmarks)
    levelled = landmarks.astype(np.float64) @ levelling[:, :2].T + levelling[:, 2]
    x0, y0, x1, y1 = _region(levelled, attribute)
    scale = np.array([[input_size / (x1 - x0), 0.0], [0.0, input_size / (y1 - y0)]])
    linear = scale @ levelling[:, :2]
    offset = scale @ (levelling[:, 2] - np.array([x0, y0]))
    return np.hstack([linear, offset[:, None]])


def face_crop(rgb: RGBImage, landmarks: npt.NDArray[np.float32], attribute: str, input_size: int = INPUT_SIZE) -> Crop:
    """What ``attribute``'s classifier sees: an ``input_size`` square, RGB uint8, eyes level.

    ``mask``: the whole face, a square around the face oval with a margin; only the
    face oval (slightly widened) keeps its pixels, the rest is mid grey.
    ``glasses`` and ``frame_shape``: the eye band, temple to temple and from
    above the brows to below the nose bridge, stretched into the square.
    Parts outside the photo repeat its edge pixels. ``landmarks`` are Nx2 face
    mesh points in ``rgb``'s pixels (468 or 478 of them).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"Expected an HxWx3 RGB image, got shape {rgb.shape}")
    if attribute not in ATTRIBUTE_CLASSES:
        raise ValueError(f"Unknown attribute {attribute!r}; expected one of {', '.join(ATTRIBUTE_CLASSES)}")
    transform = crop_transform(landmarks, attribute, input_size)
    crop = _warp(rgb, transform, input_size)
    if attribute == "mask":
        # Scraped mask data sets show masked faces with their surroundings and bare faces cropped
        # tight; a classifier that sees past the jaw learns "collar below the chin means mask"
        # (it called the astronaut masked). Inside the oval is where a mask is, and all it sees.
        oval = landmarks[list(FACE_OVAL)].astype(np.float64) @ transform[:, :2].T + transform[:, 2]
        centre = oval.mean(axis=0)
        widened = centre + (oval - centre) * OVAL_WIDENING
        inside = np.zeros((input_size, input_size), np.uint8)
        cv2.fillPoly(inside, [np.round(widened * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
        crop[inside == 0] = OUTSIDE_GREY
    return crop


def _warp(rgb: RGBImage, transform: np.ndarray, input_size: int) -> Crop:
    # Shrinking straight to the crop would alias (warpAffine has no area filter): warp at the
    # region's own resolution first, then shrink with INTER_AREA. Each row of the linear part
    # is a rotation row times that axis's scale, so its norm is crop pixels per photo pixel.
    scales = np.linalg.norm(transform[:, :2], axis=1)
    native = [input_size if s >= 1 else min(4096, math.ceil(input_size / s)) for s in scales]
    if native == [input_size, input_size]:
        return cv2.warpAffine(rgb, transform, (input_size, input_size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    to_native = transform * np.array([[native[0] / input_size], [native[1] / input_size]])
    large = cv2.warpAffine(rgb, to_native, (native[0], native[1]), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    return cv2.resize(large, (input_size, input_size), interpolation=cv2.INTER_AREA)


def preprocess(crop: Crop) -> ModelInput:
    """``face_crop`` output (or a batch of them) as float32 in 0..1, the network's input."""
    return np.asarray(crop, dtype=np.float32) / 255.0


def register_models() -> None:
    for attribute, classes in ATTRIBUTE_CLASSES.items():
        registry.register(
            registry.ModelSpec(
                name=model_name(attribute),
                app="emoticon",
                description=f"{attribute.replace('_', ' ').capitalize()} classifier ({' / '.join(classes)}): "
                "3-layer CNN, the 2020 source's",
                loader=registry.load_keras,
                path=model_path(attribute),
                training_command=f"python training/emoticon/train_attribute.py --attribute {attribute} --data DIR",
                warmup=registry.warm_keras,
                optional=True,
                # A square RGB crop of a size fixed by the file (model_input_size reads it), one score per class.
                input_shape=(None, registry.FIXED, registry.FIXED, 3),
                output_shape=(None, len(classes)),
            )
        )


def preferred(attribute: str) -> bool:
    """Whether the trained classifier should decide ``attribute``.

    Yes when its weights exist, unless its sidecar records that the measured engine did
    better on the same held-out photos (``"default_engine": "measured"``, written by
    training/emoticon/evaluate.py): a trained model is used only where it earns it.
    """
    path = model_path(attribute)
    if not path.exists():
        return False
    sidecar = path.with_suffix(".json")
    try:
        default = (
            json.loads(sidecar.read_text()).get("default_engine", "classifier") if sidecar.exists() else "classifier"
        )
    except (OSError, ValueError):
        default = "classifier"
    return default == "classifier"


def classify(attribute: str, rgb: RGBImage, landmarks: npt.NDArray[np.float32]) -> tuple[str, float] | None:
    """(label, probability) from ``attribute``'s trained classifier; None when it has no weights
    or its evaluation chose the measured engine (see ``preferred``).

    A weights file that exists but cannot be loaded raises ``ModelUnavailable``;
    the caller falls back to the measured engine and says so.
    """
    classes = ATTRIBUTE_CLASSES[attribute]
    name = model_name(attribute)
    if name not in {spec.name for spec in registry.registered()}:
        register_models()  # the app config normally has; scripts and shells may not
    if not registry.get_spec(name).available() or not preferred(attribute):
        return None
    loaded = registry.get_model(name)
    size = int(loaded.model.input_shape[1])
    probabilities = loaded.predict(preprocess(face_crop(rgb, landmarks, attribute, size))[None])[0]
    if probabilities.shape != (len(classes),):
        raise registry.ModelUnavailable(
            f"Model '{name}' answers {probabilities.shape[-1]} classes; {attribute} has {len(classes)}. "
            f"Retrain it with: python training/emoticon/train_attribute.py --attribute {attribute} --data DIR"
        )
    best = int(np.argmax(probabilities))
    return classes[best], float(probabilities[best])
