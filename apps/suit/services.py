"""suit's use cases: dress the person on an ID photo in a suit, refit it, render its ID sizes."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time

import cv2
import numpy as np

from apps.core.body_models import body_landmarks
from apps.core.imageio import DecodedImage, ImageInputError, RGBImage, encode_jpeg, encode_png
from apps.core.imaging import resize_rgb, working_size
from apps.core.ml import ModelUnavailable
from apps.core.services import replace_files, save_creation
from apps.core.timing import Timer
from apps.idphoto.pipeline.faces import FaceGeometry
from apps.idphoto.pipeline.matting import WORKING_SIDE, composite
from apps.idphoto.pipeline.sizes import DPI, ID_SIZES, IdSize, print_sheet, render_id_photo
from apps.idphoto.services import PhotoMatte, PhotoRejected, background_candidates, matte_photo, parse_hex

from . import ml
from .models import SuitPhoto
from .pipeline.dress import Dressed, dress
from .pipeline.fit import ShouldersNotVisible, measure_fit, visible_shoulders
from .pipeline.garments import STYLES, SuitFit, render_suit
from .pipeline.parsing import (
    FRONT_LABELS,
    KEPT_LABELS,
    Parsing,
    colourise,
    label_neck,
    parse_portrait,
    replace_face_parts,
    soft_layers,
)

logger = logging.getLogger(__name__)
ENGINE_PARSING = "face mesh parts + BlazePose shoulders + hair/skin colour models on the matte"
ENGINE_PARSING_UNET = "Keras U-Net face parser (ml_models/suit/face_parser.keras) + BlazePose shoulders"
ENGINE_MATTING = "mediapipe-selfie-segmentation + closed-form matting (pymatting) + guided upsampling"
ENGINE_SUIT = "vector suit drawn by this repo (SVG via cairosvg), fitted to shoulders, neck and chin"
DEFAULT_SIZE = "35x45"
LIFT_RANGE = (-0.15, 0.15)
WIDEN_RANGE = (-0.2, 0.2)
# Offered beside the personal-colour recommendations: the backgrounds ID rules usually ask for.
CLASSIC_BACKGROUNDS = (
    {"hex": "#ffffff", "palette": "classic", "reason": "Plain white, accepted for most documents."},
    {"hex": "#e9ebee", "palette": "classic", "reason": "Light grey: neutral and accepted for passports."},
    {"hex": "#dbe7f3", "palette": "classic", "reason": "Pale blue, the usual résumé and ID-card background."},
)


class SuitRejected(ImageInputError):
    """A readable photo or request this tool cannot use: no shoulders, unknown style..."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=422)


@dataclasses.dataclass(frozen=True)
class Layers:
    foreground: RGBImage  # the person, old background removed
    alpha: np.ndarray
    front: np.ndarray  # face and hair: over the suit
    kept: np.ndarray  # face, hair and neck: what stays of the photo


def check_style(style: str) -> str:
    if style not in STYLES:
        raise SuitRejected("unknown_style", f"Unknown style '{style}'. Choose one of: {', '.join(STYLES)}.")
    return style


def check_size(size_key: str) -> IdSize:
    size = ID_SIZES.get(size_key)
    if size is None:
        raise SuitRejected("unknown_size", f"Unknown size '{size_key}'. Choose one of: {', '.join(ID_SIZES)}.")
    return size


def check_background(hex_colour: str) -> str:
    try:
        parse_hex(hex_colour)
    except ValueError as exc:
        raise SuitRejected("bad_background", "The background must be a colour like #a1b2c3.") from exc
    return hex_colour.strip().lower()


def parse_photo(rgb: RGBImage, photo: PhotoMatte, timer: Timer) -> tuple[Parsing, SuitFit, str]:
    """Labels (at the working size) and the suit's fit (in ``rgb``'s pixels) of a matted photo."""
    height, width = rgb.shape[:2]
    work_h, work_w = working_size(height, width, WORKING_SIDE)
    factor = width / work_w
    small = resize_rgb(rgb, work_h, work_w)
    alpha_small = cv2.resize(photo.matte.alpha, (work_w, work_h), interpolation=cv2.INTER_AREA)
    landmarks_small = photo.landmarks / factor
    with timer.stage("pose"):
        body = body_landmarks(small)
    if body is None:
        raise SuitRejected("shoulders_not_visible", _shoulders_message("No body was found below the face."))
    with timer.stage("parsing"):
        parsing = parse_portrait(small, alpha_small, landmarks_small)
        engine = ENGINE_PARSING
        if ml.face_parser_available():
            try:
                parsing = _with_face_parser(small, parsing, photo.geometry, factor)
                engine = ENGINE_PARSING_UNET
            except ModelUnavailable:
                # Optional: a broken weights file must not take the tool down (the registry logged why).
                logger.warning("Face parser unavailable; parsing with the face mesh and colour models")
    try:
        shoulders = visible_shoulders(body.points, body.visibility, parsing)
    except ShouldersNotVisible as exc:
        raise SuitRejected("shoulders_not_visible", _shoulders_message(str(exc))) from exc
    fit_small = measure_fit(parsing, shoulders)
    return label_neck(parsing, fit_small), scale_fit(fit_small, factor), engine


def _shoulders_message(reason: str) -> str:
    return f"{reason} A suit needs both shoulders in the photo: step back or use a photo framed from the chest up."


def _with_face_parser(small: RGBImage, parsing: Parsing, geometry: FaceGeometry, factor: float) -> Parsing:
    """The trained U-Net's face parts and hair, in a square around the head, replace the mesh-drawn ones."""
    x, y, w, h = (value / factor for value in geometry.box)
    side = 1.6 * max(w, h)
    cx, cy = x + w / 2, y + h / 2 - 0.1 * h
    height, width = parsing.labels.shape
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x1, y1 = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return parsing
    parsed = ml.parse_face(np.ascontiguousarray(small[y0:y1, x0:x1]))
    labels = replace_face_parts(parsing.labels, parsed, (x0, y0, x1 - x0, y1 - y0))
    return dataclasses.replace(parsing, labels=labels)


def scale_fit(fit: SuitFit, factor: float) -> SuitFit:
    return SuitFit(**{name: (point[0] * factor, point[1] * factor) for name, point in dataclasses.asdict(fit).items()})


def fit_from_dict(data: dict) -> SuitFit:
    return SuitFit(**{name: tuple(point) for name, point in data.items()})


def dress_layers(layers: Layers, style: str, fit: SuitFit, lift: float, widen: float) -> Dressed:
    height, width = layers.alpha.shape
    suit = render_suit(STYLES[style], fit.adjusted(lift=lift, widen=widen), height, width)
    return dress(layers.foreground, layers.kept, layers.front, suit)


def suit_generate(
    *, image: DecodedImage, owner: str, style: str, size_key: str = DEFAULT_SIZE, background: str | None = None
) -> SuitPhoto:
    check_style(style)
    check_size(size_key)
    background = check_background(background) if background else None
    timer = Timer()
    started = time.perf_counter()
    rgb = image.rgb
    photo = matte_photo(rgb, timer)
    parsing, fit, parsing_engine = parse_photo(rgb, photo, timer)
    with timer.stage("layers"):
        alpha = photo.matte.alpha
        front, kept = soft_layers(parsing.labels, (FRONT_LABELS, KEPT_LABELS), rgb, alpha)
        layers = Layers(photo.matte.foreground, alpha, front, kept)
    candidates, background_engine = _background_candidates(rgb, photo, timer)
    chosen = background or candidates[0]["hex"]
    with timer.stage("suit"):
        dressed = dress_layers(layers, style, fit, 0.0, 0.0)
    with timer.stage("encode"):
        result = composite(dressed.foreground, dressed.alpha, parse_hex(chosen))
        files = {
            "input_image": ("input.jpg", encode_jpeg(rgb, quality=90)),
            "output_image": ("result.jpg", encode_jpeg(result, quality=92)),
            # The foreground as JPEG and the matte in the masks' PNG: a third of the time of one RGBA PNG.
            "foreground_image": ("foreground.jpg", encode_jpeg(photo.matte.foreground, quality=95)),
            "layers_image": ("layers.png", encode_png(_pack_layers(layers))),
            "parsing_image": ("parsing.png", encode_png(colourise(parsing.labels))),
        }
    creation = SuitPhoto(
        owner_session=owner, style=style, background_hex=chosen, size_key=size_key,
        fit=dataclasses.asdict(fit), geometry=photo.geometry.to_dict(), candidates=candidates,
        params={"input_format": image.format, "input_source": image.source, "width": image.width,
                "height": image.height, "hair_model_pixels": parsing.hair_model_pixels},
    )  # fmt: skip
    creation.set_engines({"matting": ENGINE_MATTING, "parsing": parsing_engine, "suit": ENGINE_SUIT,
                          "background": "your choice" if background else background_engine})  # fmt: skip
    timer.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    creation.timings_ms = timer.ms
    with timer.stage("store"):
        save_creation(creation, files)
    return creation


def _background_candidates(rgb: RGBImage, photo: PhotoMatte, timer: Timer) -> tuple[list[dict], str]:
    try:
        recommendation = background_candidates(rgb, photo, timer)
    except PhotoRejected:
        # Colour analysis needs an evenly lit face; the suit does not. Offer the classic backgrounds.
        return list(CLASSIC_BACKGROUNDS), "classic ID backgrounds (the face's colouring could not be read)"
    recommended = [{"hex": c.hex, "palette": c.palette, "reason": c.reason} for c in recommendation.candidates[:4]]
    seen = {c["hex"] for c in recommended}
    return recommended + [c for c in CLASSIC_BACKGROUNDS if c["hex"] not in seen], recommendation.engine


def _pack_layers(layers: Layers) -> np.ndarray:
    masks = (layers.alpha, layers.front, layers.kept)
    return np.dstack([np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8) for mask in masks])


def load_layers(photo: SuitPhoto) -> Layers:
    foreground = _read_rgb(photo.foreground_image)
    packed = _read_rgb(photo.layers_image).astype(np.float32) / 255.0
    if packed.shape[:2] != foreground.shape[:2]:
        raise ValueError(f"The stored layers of {photo.token} do not match its foreground")
    return Layers(foreground=foreground, alpha=packed[:, :, 0], front=packed[:, :, 1], kept=packed[:, :, 2])


def _read_rgb(field) -> RGBImage:
    with field.open("rb") as handle:
        data = handle.read()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{field.name} is unreadable")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def suit_refit(
    *, photo: SuitPhoto, style: str | None = None, lift: float | None = None, widen: float | None = None,
    background: str | None = None,
) -> SuitPhoto:  # fmt: skip
    """Redraw with other fit controls, style or background; nothing is measured again."""
    photo.style = check_style(style) if style else photo.style
    photo.background_hex = check_background(background) if background else photo.background_hex
    photo.lift = float(np.clip(lift, *LIFT_RANGE)) if lift is not None else photo.lift
    photo.widen = float(np.clip(widen, *WIDEN_RANGE)) if widen is not None else photo.widen
    dressed = dress_layers(load_layers(photo), photo.style, fit_from_dict(photo.fit), photo.lift, photo.widen)
    result = composite(dressed.foreground, dressed.alpha, parse_hex(photo.background_hex))
    replace_files(photo, {"output_image": ("result.jpg", encode_jpeg(result, quality=92))},
                  ["style", "background_hex", "lift", "widen"])  # fmt: skip
    return photo


def render_size(*, photo: SuitPhoto, size: IdSize, sheet: bool = False) -> bytes:
    dressed = dress_layers(load_layers(photo), photo.style, fit_from_dict(photo.fit), photo.lift, photo.widen)
    geometry = FaceGeometry.from_dict(photo.geometry)
    rendered = render_id_photo(dressed.foreground, dressed.alpha, geometry, size, parse_hex(photo.background_hex))
    if sheet:
        rendered = print_sheet(rendered, size)
    return encode_jpeg(rendered, quality=95, dpi=DPI)


@functools.lru_cache(maxsize=len(STYLES))
def style_preview_png(style: str) -> bytes:
    """A style's swatch for the pickers: the suit alone, on a fixed torso."""
    check_style(style)
    width, height = 240, 200
    fit = SuitFit(neck_left=(101.0, 62.0), neck_right=(139.0, 62.0), shoulder_left=(22.0, 96.0),
                  shoulder_right=(218.0, 96.0), chin=(120.0, 40.0))  # fmt: skip
    suit = render_suit(STYLES[style], fit, height, width)
    canvas = composite(suit.rgb, suit.alpha, (236, 238, 241))
    return encode_png(canvas)
