"""idphoto's use cases: make an emotional ID photo, change its background, render its sizes."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import cv2
import numpy as np

from apps.core.face_models import face_landmarks
from apps.core.imageio import DecodedImage, ImageInputError, RGBImage, encode_jpeg, encode_png
from apps.core.imaging import resize_rgb, working_size
from apps.core.ml import ModelUnavailable
from apps.core.services import replace_files, save_creation
from apps.core.timing import Timer

from . import ml
from .models import BackgroundChoice, IdPhoto
from .pipeline.colour import BackgroundCandidate, FaceNotMeasurable, analyse_personal_colour, recommend_backgrounds
from .pipeline.faces import FaceGeometry, face_geometry, scale_geometry
from .pipeline.matting import WORKING_SIDE, MatteResult, composite, cutout_rgba, refine_matte
from .pipeline.sizes import DPI, ID_SIZES, IdSize, find_crown, print_sheet, render_id_photo

logger = logging.getLogger(__name__)
MIN_FACE_HEIGHT_PX = 80  # below this, the head would be blown up past its detail in an ID size
ENGINE_MATTING = "mediapipe-selfie-segmentation + closed-form matting (pymatting) + guided upsampling"
ENGINE_PERSONAL_COLOUR = "personal-colour analysis (CIELAB, four seasons)"
ENGINE_REGRESSOR = "EfficientNet-B0 background regressor (ml_models/idphoto/background.keras)"


class PhotoRejected(ImageInputError):
    """A readable photo that this tool cannot use (no face, several faces...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=422)


@dataclass(frozen=True)
class PhotoMatte:
    matte: MatteResult
    geometry: FaceGeometry  # full-resolution pixel coordinates
    landmarks: np.ndarray  # Nx2 full-resolution pixels


def matte_photo(rgb: RGBImage, timer: Timer | None = None) -> PhotoMatte:
    """Find exactly one face and separate the person from the background."""
    timer = timer or Timer()
    height, width = rgb.shape[:2]
    work_h, work_w = working_size(height, width, WORKING_SIDE)
    small = resize_rgb(rgb, work_h, work_w)
    with timer.stage("faces"):
        faces = face_landmarks(small)
    if not faces:
        raise PhotoRejected("no_face", "No face was found. Use a photo where your face is clearly visible.")
    if len(faces) > 1:
        raise PhotoRejected(
            "multiple_faces", f"{len(faces)} faces were found. An ID photo needs exactly one person in the picture."
        )
    factor = width / work_w
    landmarks = faces[0] * factor
    geometry = face_geometry(landmarks)
    if geometry.box[3] < MIN_FACE_HEIGHT_PX:
        raise PhotoRejected(
            "face_too_small",
            "The face is too small to make a sharp ID photo. Move closer or use a higher-resolution photo.",
        )
    with timer.stage("segmentation"):
        coarse = segment_around_face(small, scale_geometry(geometry, 1 / factor))
    with timer.stage("matting"):
        matte = refine_matte(rgb, coarse)
    return PhotoMatte(matte=matte, geometry=geometry, landmarks=landmarks)


def segment_around_face(small: RGBImage, geometry: FaceGeometry) -> np.ndarray:
    """Segment an undistorted square: the model is square, and squeezing a wide photo into it
    smears the outline. Wide photos are cut to a square around the face; tall ones are padded."""
    height, width = small.shape[:2]
    side = max(height, width) if height >= width else height
    face_x = geometry.eye_mid[0]
    x0 = int(np.clip(round(face_x - side / 2), 0, max(0, width - side))) if width > side else 0
    square = np.zeros((side, side, 3), np.uint8)
    pad_x = (side - width) // 2 if width < side else 0
    crop = small[:, x0 : x0 + side] if width > side else small
    square[:, pad_x : pad_x + crop.shape[1]] = crop
    mask_square = ml.segment_person(square)
    mask = np.zeros((height, width), np.float32)
    if width > side:
        mask[:, x0 : x0 + side] = mask_square
    else:
        mask[:, :] = mask_square[:, pad_x : pad_x + width]
    return mask


@dataclass(frozen=True)
class Recommendation:
    candidates: list[BackgroundCandidate]  # best first
    profile: dict
    engine: str


def background_candidates(rgb: RGBImage, photo: PhotoMatte, timer: Timer) -> Recommendation:
    with timer.stage("colour_analysis"):
        try:
            profile = analyse_personal_colour(rgb, photo.matte.alpha, photo.landmarks)
        except FaceNotMeasurable as exc:
            raise PhotoRejected("face_unreadable", f"{exc} Try a photo with even light on the face.") from exc
        candidates = recommend_backgrounds(profile)
    if not ml.background_regressor_available():
        return Recommendation(candidates, profile.to_dict(), ENGINE_PERSONAL_COLOUR)
    from .background_regressor import regressor_candidate

    try:
        with timer.stage("background_regressor"):
            predicted = regressor_candidate(rgb, photo.matte.alpha, profile)
    except ModelUnavailable:
        # The regressor is optional: a broken weights file must not take the tool down.
        logger.exception("Background regressor unavailable; using the personal-colour engine")
        return Recommendation(candidates, profile.to_dict(), ENGINE_PERSONAL_COLOUR)
    others = [c for c in candidates if c.hex != predicted.hex]
    return Recommendation([predicted, *others], profile.to_dict(), ENGINE_REGRESSOR)


def idphoto_generate(*, image: DecodedImage, owner: str) -> IdPhoto:
    timer = Timer()
    started = time.perf_counter()
    rgb = image.rgb
    photo = matte_photo(rgb, timer)
    recommendation = background_candidates(rgb, photo, timer)
    candidates = recommendation.candidates
    chosen = candidates[0]
    with timer.stage("encode"):
        result = composite(photo.matte.foreground, photo.matte.alpha, chosen.rgb)
        files = {
            "input_image": ("input.jpg", encode_jpeg(rgb, quality=90)),
            "output_image": ("result.jpg", encode_jpeg(result, quality=92)),
            "cutout_image": ("cutout.png", encode_png(cutout_rgba(photo.matte.foreground, photo.matte.alpha))),
        }
    creation = IdPhoto(
        owner_session=owner,
        background_hex=chosen.hex,
        palette=chosen.palette,
        reason=chosen.reason,
        candidates=[c.to_dict() for c in candidates],
        profile=recommendation.profile,
        geometry=photo.geometry.to_dict(),
        params={"input_format": image.format, "input_source": image.source, "width": image.width,
                "height": image.height, "head_cut": find_crown(photo.geometry, photo.matte.alpha).cut},
    )  # fmt: skip
    creation.set_engines({"matting": ENGINE_MATTING, "background": recommendation.engine})
    timer.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    creation.timings_ms = timer.ms
    with timer.stage("store"):
        save_creation(creation, files)
    return creation


def parse_hex(value: str) -> tuple[int, int, int]:
    value = value.strip().lower()
    if len(value) != 7 or value[0] != "#" or any(ch not in "0123456789abcdef" for ch in value[1:]):
        raise ValueError(f"{value!r} is not a colour like #a1b2c3")
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def idphoto_choose_background(*, photo: IdPhoto, hex_colour: str) -> IdPhoto:
    """Re-render the result on another colour and keep the choice as a preference label."""
    rgb_colour = parse_hex(hex_colour)
    hex_colour = hex_colour.strip().lower()
    ranks = [c["hex"] for c in photo.candidates]
    if hex_colour in ranks:
        rank = ranks.index(hex_colour)
        kind = BackgroundChoice.Kind.RECOMMENDED if rank == 0 else BackgroundChoice.Kind.CANDIDATE
        candidate = photo.candidates[rank]
        palette, reason = candidate["palette"], candidate["reason"]
    else:
        rank, kind = None, BackgroundChoice.Kind.CUSTOM
        palette, reason = "custom", "Your own colour choice."
    foreground, alpha = load_cutout(photo)
    result = composite(foreground, alpha, rgb_colour)
    photo.background_hex, photo.palette, photo.reason = hex_colour, palette, reason
    replace_files(photo, {"output_image": ("result.jpg", encode_jpeg(result, quality=92))},
                  ["background_hex", "palette", "reason"])  # fmt: skip
    BackgroundChoice.objects.create(photo=photo, hex=hex_colour, kind=kind, candidate_rank=rank)
    return photo


def load_cutout(photo: IdPhoto) -> tuple[RGBImage, np.ndarray]:
    with photo.cutout_image.open("rb") as handle:
        data = handle.read()
    rgba = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"Cut-out of {photo.token} is unreadable")
    rgba = cv2.cvtColor(rgba, cv2.COLOR_BGRA2RGBA)
    return np.ascontiguousarray(rgba[:, :, :3]), rgba[:, :, 3].astype(np.float32) / 255.0


def render_size(*, photo: IdPhoto, size: IdSize, sheet: bool = False) -> bytes:
    foreground, alpha = load_cutout(photo)
    geometry = FaceGeometry.from_dict(photo.geometry)
    rendered = render_id_photo(foreground, alpha, geometry, size, parse_hex(photo.background_hex))
    if sheet:
        rendered = print_sheet(rendered, size)
    return encode_jpeg(rendered, quality=95, dpi=DPI)


def size_choices() -> list[IdSize]:
    return list(ID_SIZES.values())
