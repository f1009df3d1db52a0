"""seasons' use cases: translate a square crop of a photo and restore its quality."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from apps.core.imageio import DecodedImage, ImageInputError, RGBImage, encode_jpeg
from apps.core.imaging import resize_rgb, working_size
from apps.core.ml import ModelUnavailable
from apps.core.services import save_creation
from apps.core.timing import Timer

from . import cyclegan, rdn
from .models import SeasonsPhoto
from .pipeline import photographic
from .pipeline.resolution import apply_change
from .pipeline.types import DIRECTIONS, MAX_OUTPUT, MODEL_SIZE

logger = logging.getLogger(__name__)
MIN_CROP = 64


class SeasonsRejected(ImageInputError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=422)


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    size: int

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "size": self.size}


def default_crop(width: int, height: int) -> Crop:
    """The largest centred square: what the crop editor starts from."""
    size = min(width, height)
    return Crop((width - size) // 2, (height - size) // 2, size)


def check_crop(crop: Crop, width: int, height: int) -> Crop:
    if crop.size < MIN_CROP:
        raise SeasonsRejected("crop_too_small", f"The crop must be at least {MIN_CROP} pixels square.")
    if crop.x < 0 or crop.y < 0 or crop.x + crop.size > width or crop.y + crop.size > height:
        raise SeasonsRejected(
            "crop_outside_image",
            f"The crop {crop.size}×{crop.size} at ({crop.x}, {crop.y}) does not fit inside the {width}×{height} photo.",
        )
    return crop


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        choices = ", ".join(DIRECTIONS)
        raise SeasonsRejected("unknown_direction", f"Unknown direction '{direction}'. Choose one of: {choices}.")
    return direction


def translate_square(square: RGBImage, direction: str, timer: Timer) -> tuple[RGBImage, str]:
    """The engine the held-out evaluation chose for this direction; the engine that ran is returned.

    A direction's CycleGAN serves when its file exists and the evaluation (``translation.json``,
    see ``cyclegan.evaluation_allows_generator``) did not find the photographic engine better;
    otherwise, and when the generator fails to load, the photographic engine does.
    """
    small = resize_rgb(square, MODEL_SIZE, MODEL_SIZE)
    translated = None
    with timer.stage("translate"):
        try:
            if cyclegan.evaluation_allows_generator(direction):
                translated = cyclegan.translate(direction, small)
        except ModelUnavailable:
            logger.exception("The %s generator is unavailable; using the photographic engine", direction)
    if translated is None:
        with timer.stage("translate"):  # replaces the look-up's time: this is the translation that ran
            # Resolution-independent: graded at full size directly, no upsampling needed.
            return photographic.translate(square, direction), photographic.ENGINE_PHOTOGRAPHIC
    with timer.stage("upsample"):
        translated = resize_rgb(translated, MODEL_SIZE, MODEL_SIZE)
        return apply_change(square, small, translated), cyclegan.engine_name(direction)


def restore_quality(rgb: RGBImage, timer: Timer) -> tuple[RGBImage, bool]:
    with timer.stage("restore"):
        try:
            restored = rdn.restore(rgb)
        except ModelUnavailable:
            logger.exception("The RDN is unavailable; delivering the unrestored image")
            restored = None
    return (rgb, False) if restored is None else (restored, True)


def seasons_generate(*, image: DecodedImage, direction: str, crop: Crop | None, owner: str) -> SeasonsPhoto:
    timer = Timer()
    started = time.perf_counter()
    direction = check_direction(direction)
    rgb = image.rgb
    height, width = rgb.shape[:2]
    crop = check_crop(crop or default_crop(width, height), width, height)
    side = min(crop.size, MAX_OUTPUT)
    square = resize_rgb(rgb[crop.y : crop.y + crop.size, crop.x : crop.x + crop.size], side, side)
    result, engine = translate_square(square, direction, timer)
    result, enhanced = restore_quality(result, timer)
    with timer.stage("encode"):
        files = {
            "input_image": ("input.jpg", encode_jpeg(rgb, quality=90)),
            "before_image": ("before.jpg", encode_jpeg(square, quality=92)),
            "output_image": (f"{direction}.jpg", encode_jpeg(result, quality=92)),
        }
    creation = SeasonsPhoto(
        owner_session=owner,
        direction=direction,
        crop=crop.to_dict(),
        enhanced=enhanced,
        params={"input_format": image.format, "input_source": image.source, "width": width, "height": height,
                "size": side},
    )  # fmt: skip
    creation.set_engines({"translation": engine, "restoration": rdn.ENGINE_RDN if enhanced else "none"})
    timer.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    creation.timings_ms = timer.ms
    save_creation(creation, files)
    return creation


def seasons_guess(*, image: DecodedImage) -> dict:
    """Which domain the photo looks like, and the direction that leads away from it."""
    small = resize_rgb(image.rgb, *working_size(image.height, image.width, MODEL_SIZE))
    scores = photographic.guess_domains(small)
    domain = max(scores, key=scores.get)
    suggested = next(d.key for d in DIRECTIONS.values() if d.source == domain)
    return {"domains": {k: round(v, 3) for k, v in scores.items()}, "domain": domain, "suggested_direction": suggested}
