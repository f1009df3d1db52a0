"""The source paper's background-colour regressor: EfficientNet-B0 plus a regression head.

The paper labelled each crawled portrait with its own background colour (the
mean RGB of the background pixels once the person is matted out) and trained
the network to predict that colour from the person alone, with an L1 loss.
The site uses it only when ``ml_models/idphoto/background.keras`` exists; it
is trained by ``training/idphoto/train_background.py``.

Training and serving both build the network's input with ``preprocess`` and
nothing else, so the two cannot drift apart. Keras is imported inside the
functions that need it: importing TensorFlow costs seconds and must not happen
when Django starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import numpy.typing as npt

from apps.core import ml as registry
from apps.core.imageio import Matte, RGBImage

from . import ml
from .pipeline.colour import BackgroundCandidate, ColourProfile

if TYPE_CHECKING:
    import keras

INPUT_SIZE = 224  # EfficientNet-B0's native resolution
NEUTRAL_GREY = 128.0
BACKGROUND_ALPHA = 0.05  # below this a pixel is background, for the label
MIN_BACKGROUND_FRACTION = 0.05  # less background than this gives no trustworthy label
PALETTE = "learned"

ModelInput = npt.NDArray[np.float32]  # size x size x 3, RGB, 0..255


def build_model(input_size: int = INPUT_SIZE) -> keras.Model:
    """EfficientNet-B0 from scratch (no downloads) and a sigmoid head: RGB / 255."""
    import keras

    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    backbone = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_shape=(input_size, input_size, 3), name="efficientnetb0"
    )
    features = backbone(inputs)
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(features)
    dropped = keras.layers.Dropout(0.2, name="dropout")(pooled)
    outputs = keras.layers.Dense(3, activation="sigmoid", name="rgb")(dropped)
    return keras.Model(inputs, outputs, name="background_regressor")


def preprocess(rgb: RGBImage, alpha: Matte, size: int = INPUT_SIZE) -> ModelInput:
    """The person on neutral grey, letterboxed to ``size`` x ``size``: float32 RGB in 0..255.

    Keras' EfficientNet starts with its own ``Rescaling(1/255)`` (and, with
    ``weights=None``, an identity ``Normalization``), so it expects raw 0..255
    pixel values; scaling here as well would feed it 0..1/255. Values are
    rounded to whole numbers so the training cache can store them as uint8
    without changing what the network sees.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"Expected HxWx3 RGB and an HxW matte, got {rgb.shape} and {alpha.shape}")
    height, width = alpha.shape
    scale = size / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (new_w, new_h), interpolation=interpolation).astype(np.float32)
    small_alpha = cv2.resize(alpha.astype(np.float32), (new_w, new_h), interpolation=interpolation)
    # The label is the original background's colour, and the soft edge of a matte is
    # partly that background: composited as is, it would hand the network the answer
    # as a halo. Below half opacity a pixel becomes grey; above, its weight is stretched.
    weight = np.clip(2.0 * small_alpha - 1.0, 0.0, 1.0)[:, :, None]
    person = small * weight + NEUTRAL_GREY * (1.0 - weight)
    canvas = np.full((size, size, 3), NEUTRAL_GREY, np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = person
    return np.round(canvas)


def background_label(rgb: RGBImage, alpha: Matte) -> tuple[float, float, float] | None:
    """The paper's label: mean RGB / 255 of the background pixels, or None with too little background."""
    background = alpha < BACKGROUND_ALPHA
    if background.mean() < MIN_BACKGROUND_FRACTION:
        return None
    red, green, blue = rgb[background].mean(axis=0) / 255.0
    return float(red), float(green), float(blue)


def model_input_size(model: Any) -> int:
    """The square side a saved model was built for (training may use other sizes than 224)."""
    side = model.input_shape[1]
    return int(side) if side else INPUT_SIZE


def to_rgb8(prediction: npt.ArrayLike) -> tuple[int, int, int]:
    red, green, blue = (int(round(float(v) * 255.0)) for v in np.clip(np.asarray(prediction, np.float64), 0, 1))
    return red, green, blue


def regressor_candidate(rgb: RGBImage, alpha: Matte, profile: ColourProfile) -> BackgroundCandidate:
    """The background colour the trained regressor predicts for this person."""
    loaded = registry.get_model(ml.BACKGROUND_REGRESSOR)
    batch = preprocess(rgb, alpha, model_input_size(loaded.model))[None]
    colour = to_rgb8(loaded.predict(batch)[0])
    reason = (
        "Learned colour: the background that a model trained on portrait photos predicts for someone "
        f"who looks like you; your colouring reads as {profile.season}."
    )
    # The service puts this candidate first; it has no fit score of its own, so it takes the top one.
    return BackgroundCandidate(
        hex="#{:02x}{:02x}{:02x}".format(*colour),
        rgb=colour,
        palette=PALETTE,
        reason=reason,
        score=1.0,
        name="learned colour",
    )
