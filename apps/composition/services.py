"""composition's use cases: analyse a live frame, take and analyse a photo, make target profiles."""

from __future__ import annotations

import time
from collections.abc import Sequence

from apps.core.imageio import DecodedImage, ImageInputError, RGBImage, decode_image_bytes, encode_jpeg
from apps.core.imaging import resize_rgb, working_size
from apps.core.intake import intake_limits
from apps.core.services import save_creation
from apps.core.timing import Timer

from .analysis import analyse_frame
from .models import CompositionProfile, CompositionShot
from .pipeline.overlay import draw_overlay, target_box
from .pipeline.profiles import BUILT_IN_PROFILES, DEFAULT_PROFILE, profile_from_references
from .pipeline.types import Analysis, Profile

ENGINE_POSE = "MediaPipe BlazePose (full) per person, BlazeFace full range to find several people"
ENGINE_SEGMENTATION = "MediaPipe selfie segmentation (head top and feet from the person mask)"
LIVE_FRAME_SIDE = 480  # frames larger than this are shrunk before analysis: the coach needs proportions, not detail
ANALYSIS_SIDE = 1024  # a still photo is analysed at this size at most
MAX_REFERENCES = 8


class CompositionRejected(ImageInputError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=422)


def profile_choices(owner: str) -> list[Profile]:
    """The built-in looks, then the visitor's own profiles, newest first."""
    mine = [stored_profile(p) for p in CompositionProfile.objects.filter(owner_session=owner)] if owner else []
    return [*BUILT_IN_PROFILES.values(), *mine]


def stored_profile(profile: CompositionProfile) -> Profile:
    return Profile.from_dict({**profile.targets, "key": profile.key, "name": profile.name})


def resolve_profile(key: str | None, owner: str) -> Profile:
    """A built-in profile by key, or one of the visitor's own (``mine-<id>``); another visitor's is unknown."""
    key = key or DEFAULT_PROFILE
    if key in BUILT_IN_PROFILES:
        return BUILT_IN_PROFILES[key]
    if key.startswith("mine-") and key[5:].isdigit() and owner:
        stored = CompositionProfile.objects.filter(pk=int(key[5:]), owner_session=owner).first()
        if stored is not None:
            return stored_profile(stored)
    raise CompositionRejected("unknown_profile", f"Unknown profile '{key}'. Choose one of: {', '.join(BUILT_IN_PROFILES)} "
                              "or one of your own.")  # fmt: skip


def analyse_live_frame(data: bytes, profile: Profile, mirrored: bool = False) -> dict:
    """One camera frame from the coach's socket (JPEG, PNG or WebP bytes) → measures, guidance (for a
    ``mirrored`` preview if the page shows one) and the target box the photo's overlay draws.

    Nothing is stored: live frames are looked at once and dropped."""
    timer = Timer()
    with timer.stage("decode"):
        rgb = decode_image_bytes(data, intake_limits()).rgb
        height, width = rgb.shape[:2]
        small_h, small_w = working_size(height, width, LIVE_FRAME_SIDE)
        rgb = resize_rgb(rgb, small_h, small_w)
    with timer.stage("analysis"):
        analysis = analyse_frame(rgb, profile, mirrored=mirrored)
    return {**analysis.to_dict(), "target_box": list(target_box(analysis, profile)), "profile": profile.key,
            "timings_ms": timer.ms}  # fmt: skip


def _analyse_still(rgb: RGBImage, profile: Profile, timer: Timer) -> tuple[Analysis, RGBImage]:
    height, width = rgb.shape[:2]
    small_h, small_w = working_size(height, width, ANALYSIS_SIDE)
    small = resize_rgb(rgb, small_h, small_w)
    with timer.stage("analysis"):
        analysis = analyse_frame(small, profile)
    with timer.stage("overlay"):
        overlay = draw_overlay(small, analysis, profile)
    return analysis, overlay


def composition_shoot(*, image: DecodedImage, owner: str, profile: Profile, trigger: str) -> CompositionShot:
    """Analyse a photo (taken by the coach, by the shutter, or uploaded) and keep it with its overlay."""
    timer = Timer()
    started = time.perf_counter()
    analysis, overlay = _analyse_still(image.rgb, profile, timer)
    if not analysis.people:
        raise CompositionRejected("no_person", "No person was found in the photo. Frame one or more people, "
                                  "head to feet, and try again.")  # fmt: skip
    with timer.stage("encode"):
        files = {
            "input_image": ("photo.jpg", encode_jpeg(image.rgb, quality=92)),
            "output_image": ("overlay.jpg", encode_jpeg(overlay, quality=88)),
        }
    shot = CompositionShot(
        owner_session=owner, trigger=trigger, profile_key=profile.key, profile_name=profile.name,
        analysis=analysis.to_dict(), in_tolerance=analysis.in_tolerance, people_count=len(analysis.people),
        params={"input_format": image.format, "input_source": image.source, "width": image.width,
                "height": image.height},
    )  # fmt: skip
    shot.set_engines({"pose": ENGINE_POSE, "segmentation": ENGINE_SEGMENTATION})
    timer.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
    shot.timings_ms = timer.ms
    save_creation(shot, files)
    return shot


def composition_profile_create(*, images: Sequence[DecodedImage], owner: str, name: str) -> CompositionProfile:
    """A profile from the photos the user likes: their measures become the coach's targets."""
    if not images:
        raise CompositionRejected("no_reference", "Add at least one photo you like.")
    if len(images) > MAX_REFERENCES:
        raise CompositionRejected("too_many_references", f"Use at most {MAX_REFERENCES} photos.")
    analyses = []
    for image in images:
        analysis, _ = _analyse_still(image.rgb, BUILT_IN_PROFILES[DEFAULT_PROFILE], Timer())
        analyses.append(analysis)
    try:
        profile = profile_from_references(analyses, key="new", name=name)
    except ValueError as exc:
        raise CompositionRejected("no_person", str(exc)) from exc
    targets = {key: value for key, value in profile.to_dict().items() if key not in ("key", "name")}
    return CompositionProfile.objects.create(owner_session=owner, name=name, targets=targets,
                                             reference_count=len(images))  # fmt: skip


def composition_profile_update(
    *, profile: CompositionProfile, name: str, targets: dict[str, float | str | None]
) -> None:
    profile.name = name
    profile.targets = {**profile.targets, **targets}
    profile.save(update_fields=["name", "targets", "updated_at"])
