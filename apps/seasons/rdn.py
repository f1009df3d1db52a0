"""The seasons tool's quality restoration: a small Residual Dense Network (Zhang et al. 2018).

The RDN runs on the full-resolution translated image (up to 1024 px a side), so it is a
same-size restoration network, not a super-resolver: it predicts a residual that is added
to its input (global residual learning). To stay fast on CPU it can work on a
pixel-unshuffled copy of the image (``scale=2``: a 2x2-strided conv in, a 2x2-strided
transposed conv out), which cuts its cost by the square of ``scale``.

It learns self-supervised: clean photos are degraded by ``degrade`` (resampling blur, noise,
JPEG) and the network learns to undo that. Keras is imported inside functions only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.conf import settings

from apps.core import ml as registry
from apps.core.imageio import RGBImage

RDN = "seasons.rdn"
ENGINE_RDN = "RDN restoration (ml_models/seasons/rdn.keras)"
TRAINING_COMMAND = (
    "python training/seasons/train_rdn.py --data ../shared/data/summer2winter_yosemite/trainA "
    "../shared/data/summer2winter_yosemite/trainB"
)
# Inputs are padded (reflect) to a multiple of this before the model, and cropped after,
# so a model built with scale 1, 2 or 4 accepts any size.
_PAD_MULTIPLE = 4
# Whole-image inference up to the delivered 1024 px: measured faster on 2 cores than 512-px
# tiles (215 vs 305 ms at 1024x1024 for the trained size) and well within memory; larger
# inputs are tiled.
WHOLE_IMAGE_MAX = 1024
# The degradations, applied in one of these orders (fixed set, so the task stays learnable).
_ORDERS: tuple[tuple[str, ...], ...] = (
    ("resize", "noise", "jpeg"),
    ("resize", "jpeg", "noise"),
    ("noise", "resize", "jpeg"),
    ("jpeg", "resize", "noise"),
)
Batch = npt.NDArray[np.float32]  # NxHxWx3, RGB, 0..1


def build_rdn(
    features: int = 32,
    blocks: int = 4,
    layers_per_block: int = 4,
    growth: int = 16,
    scale: int = 1,
) -> Any:
    """A fully convolutional RDN: (N, H, W, 3) float 0..1 in, the same shape out.

    ``scale`` > 1 runs the body on an (H/scale, W/scale) grid; H and W must then be
    multiples of ``scale`` (``enhance`` pads for you). The last layer is zero-initialised,
    so an untrained model is the identity.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None, None, 3), name="image")
    if scale > 1:
        f_minus = layers.Conv2D(features, scale, strides=scale, name="sfe1")(inputs)
    else:
        f_minus = layers.Conv2D(features, 3, padding="same", name="sfe1")(inputs)
    x = layers.Conv2D(features, 3, padding="same", name="sfe2")(f_minus)

    block_outputs = []
    for d in range(blocks):
        local = [x]
        for c in range(layers_per_block):
            concat = local[0] if len(local) == 1 else layers.Concatenate(name=f"rdb{d}_cat{c}")(local)
            local.append(layers.Conv2D(growth, 3, padding="same", activation="relu", name=f"rdb{d}_conv{c}")(concat))
        fused = layers.Conv2D(features, 1, name=f"rdb{d}_lff")(layers.Concatenate(name=f"rdb{d}_cat")(local))
        x = layers.Add(name=f"rdb{d}_res")([x, fused])
        block_outputs.append(x)

    gff = block_outputs[0] if blocks == 1 else layers.Concatenate(name="gff_cat")(block_outputs)
    gff = layers.Conv2D(features, 1, name="gff1")(gff)
    gff = layers.Conv2D(features, 3, padding="same", name="gff2")(gff)
    dense = layers.Add(name="global_res")([f_minus, gff])

    if scale > 1:
        residual = layers.Conv2DTranspose(3, scale, strides=scale, kernel_initializer="zeros", name="recon")(dense)
    else:
        residual = layers.Conv2D(3, 3, padding="same", kernel_initializer="zeros", name="recon")(dense)
    outputs = layers.Add(name="restored")([inputs, residual])
    return keras.Model(inputs, outputs, name="rdn")


def preprocess(rgb: RGBImage) -> Batch:
    """HxWx3 uint8 RGB -> a 1xHxWx3 float32 batch in 0..1."""
    return (np.asarray(rgb, np.float32) / 255.0)[None]


def postprocess(batch: Any) -> RGBImage:
    """The model's 1xHxWx3 float output -> HxWx3 uint8 RGB (clipped, rounded)."""
    out = np.asarray(batch, np.float32)[0]
    return np.ascontiguousarray(np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8))


def _run_padded(model_callable: Callable[[Batch], Any], rgb: RGBImage) -> npt.NDArray[np.float32]:
    height, width = rgb.shape[:2]
    pad_h = (-height) % _PAD_MULTIPLE
    pad_w = (-width) % _PAD_MULTIPLE
    batch = preprocess(rgb)
    if pad_h or pad_w:
        mode = "reflect" if height > pad_h and width > pad_w else "edge"
        batch = np.pad(batch, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    out = np.asarray(model_callable(batch), np.float32)
    return out[0, :height, :width]


def enhance(
    model_callable: Callable[[Batch], Any], rgb: RGBImage, tile: int | None = WHOLE_IMAGE_MAX, overlap: int = 16
) -> RGBImage:
    """Restore ``rgb`` with the model, tile by tile when it is larger than ``tile``.

    Tiles overlap by ``overlap`` pixels of context on each side; only each tile's centre is
    kept, so the seams match whole-image inference up to the receptive field's edge.
    ``tile=None`` runs the whole image at once.
    """
    height, width = rgb.shape[:2]
    if tile is None or (height <= tile and width <= tile):
        return postprocess(_run_padded(model_callable, rgb)[None])
    out = np.empty((height, width, 3), np.float32)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            y0, x0 = max(top - overlap, 0), max(left - overlap, 0)
            y1, x1 = min(bottom + overlap, height), min(right + overlap, width)
            restored = _run_padded(model_callable, rgb[y0:y1, x0:x1])
            out[top:bottom, left:right] = restored[top - y0 : bottom - y0, left - x0 : right - x0]
    return postprocess(out[None])


def degrade(rgb: RGBImage, rng: np.random.Generator) -> RGBImage:
    """The self-supervised degradation: resample blur, Gaussian noise and JPEG, in a random order.

    Random downscale by 1.5-3x then bicubic upscale back, noise sigma 0-8, JPEG quality
    30-80. Same size out; deterministic given the generator's state.
    """
    order = _ORDERS[int(rng.integers(len(_ORDERS)))]
    factor = float(rng.uniform(1.5, 3.0))
    sigma = float(rng.uniform(0.0, 8.0))
    quality = int(rng.integers(30, 81))
    noise_seed = int(rng.integers(2**31))
    height, width = rgb.shape[:2]
    img = np.ascontiguousarray(rgb, np.uint8)
    for step in order:
        if step == "resize":
            small = (max(1, round(width / factor)), max(1, round(height / factor)))
            img = cv2.resize(img, small, interpolation=cv2.INTER_AREA)
            img = cv2.resize(img, (width, height), interpolation=cv2.INTER_CUBIC)
        elif step == "noise":
            noise = np.random.default_rng(noise_seed).normal(0.0, sigma, img.shape)
            img = np.clip(img.astype(np.float32) + noise, 0, 255).round().astype(np.uint8)
        else:  # jpeg; OpenCV encodes BGR, so convert there and back to keep chroma handling right
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            img = cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(img)


def model_path() -> Path:
    return settings.ML_MODELS_DIR / "seasons" / "rdn.keras"


def register_models() -> None:
    registry.register(
        registry.ModelSpec(
            name=RDN,
            app="seasons",
            description="Quality restoration after translation (small RDN, trained by this repo on Yosemite)",
            loader=registry.load_keras,
            path=model_path(),
            training_command=TRAINING_COMMAND,
            warmup=registry.warm_keras,
            optional=True,
            input_shape=(None, None, None, 3),  # any size of RGB image in, the same size out
            output_shape=(None, None, None, 3),
        )
    )


def restore(rgb: RGBImage) -> RGBImage | None:
    """The RDN-restored image, or None when no weights were trained (a broken file raises ModelUnavailable)."""
    try:
        spec = registry.get_spec(RDN)
    except KeyError:
        register_models()
        spec = registry.get_spec(RDN)
    if not spec.available():
        return None
    loaded = registry.get_model(RDN)
    return enhance(loaded.predict, rgb)
