"""Target looks: the built-in ones, and profiles measured from photos the user likes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .guidance import horizontal_target
from .types import Analysis, Profile

BUILT_IN_PROFILES: dict[str, Profile] = {
    profile.key: profile
    for profile in (
        Profile(
            key="long-legs",
            name="Long legs",
            # Shot from about hip height, further back and zoomed in: the head is a smaller part of
            # the body than at eye level, and the feet sit near the bottom edge.
            head_ratio=0.125,
            leg_ratio=0.52,
            headroom=0.05,
            footroom=0.03,
            subject_height=0.92,
            horizontal="centre",
            tolerance={
                "head_ratio": 0.01,
                "leg_ratio": 0.025,
                "headroom": 0.035,
                "footroom": 0.03,
                "subject_height": 0.06,
                "horizontal": 0.05,
                "tilt_deg": 3.0,
            },  # fmt: skip
            description="Full body from a low camera: feet close to the bottom edge, little room above the head, "
            "centred. Holding the camera at hip height makes the legs look longer.",
        ),
        Profile(
            key="centred-full-body",
            name="Centred full body",
            head_ratio=0.14,
            leg_ratio=0.5,
            headroom=0.1,
            footroom=0.07,
            subject_height=0.83,
            horizontal="centre",
            tolerance={
                "head_ratio": 0.02,
                "leg_ratio": 0.035,
                "headroom": 0.04,
                "footroom": 0.04,
                "subject_height": 0.07,
                "horizontal": 0.05,
                "tilt_deg": 3.0,
            },  # fmt: skip
            description="The classic full-length portrait from eye level: head to feet with room around them, "
            "in the middle of the frame.",
        ),
        Profile(
            key="three-quarter",
            name="Three-quarter",
            head_ratio=None,
            leg_ratio=None,
            headroom=0.07,
            footroom=None,
            subject_height=0.93,
            body_shown=0.64,
            horizontal="thirds",
            tolerance={"headroom": 0.04, "body_shown": 0.07, "horizontal": 0.06, "tilt_deg": 3.0},
            description="From the head to mid-thigh, on a third line: the feet stay out of the picture and the "
            "people fill the frame.",
        ),
    )
}
DEFAULT_PROFILE = "long-legs"

# A reference set's spread widens the tolerance (1.5 standard deviations) but never below these
# floors: one reference, or several identical ones, still leaves room to frame by hand.
SPREAD_FACTOR = 1.5
TOLERANCE_FLOORS: dict[str, float] = {
    "head_ratio": 0.01,
    "leg_ratio": 0.02,
    "headroom": 0.03,
    "footroom": 0.03,
    "subject_height": 0.05,
    "body_shown": 0.06,
    "horizontal": 0.05,
    "tilt_deg": 3.0,
}
TOLERANCE_CEILINGS: dict[str, float] = {name: 3 * floor for name, floor in TOLERANCE_FLOORS.items()}
CENTRE_BAND = 1 / 12  # a group centred within this of the middle counts as centred
MAX_TILT_TOLERANCE = 15.0  # degrees: beyond it a reference is a Dutch angle, not a level shot


def _tolerance(name: str, values: list[float]) -> float:
    spread = SPREAD_FACTOR * float(np.std(values)) if len(values) > 1 else 0.0
    return float(np.clip(spread, TOLERANCE_FLOORS[name], TOLERANCE_CEILINGS[name]))


def _horizontal(centres: list[float]) -> str:
    places = ["centre" if abs(c - 0.5) <= CENTRE_BAND else "left_third" if c < 0.5 else "right_third" for c in centres]
    if places.count("centre") * 2 > len(places):
        return "centre"
    sides = {place for place in places if place != "centre"}
    return sides.pop() if len(sides) == 1 else "thirds"


def profile_from_references(analyses: Sequence[Analysis], key: str, name: str) -> Profile:
    """The mean of the references' measures, tolerances from their spread (with floors).

    Framing measures come from each reference's group; head and leg ratios from its people's mean.
    A reference without feet gives only what it has (headroom, size, position, tilt). Feet are
    required when at least half the references show them; otherwise the profile keeps the share
    of the body the references show (``body_shown``) instead of footroom.
    Raises ValueError when no reference has a measurable person."""
    usable = [a for a in analyses if a.people and a.framing is not None]
    if not usable:
        raise ValueError("No person was found in the reference photos: use photos that show someone from head to feet.")
    framings = [a.framing for a in usable if a.framing is not None]
    head_ratios = [r for a in usable if (r := _people_mean(a, "head_ratio")) is not None]
    leg_ratios = [r for a in usable if (r := _people_mean(a, "leg_ratio")) is not None]
    with_feet = [f for f in framings if f.footroom is not None]
    without_feet = [f for f in framings if f.footroom is None]
    needs_feet = len(with_feet) * 2 >= len(framings)
    centres = [f.centre_x for f in framings]
    horizontal = _horizontal(centres)
    offsets = [f.centre_x - horizontal_target(horizontal, f.centre_x, f.subject_width) for f in framings]

    samples: dict[str, list[float]] = {
        "head_ratio": head_ratios,
        "leg_ratio": leg_ratios,
        "headroom": [f.headroom for f in framings],
        "subject_height": [f.subject_height for f in (with_feet if needs_feet else framings)],
        "footroom": [f.footroom for f in with_feet if f.footroom is not None] if needs_feet else [],
        "body_shown": [] if needs_feet else [f.body_shown for f in without_feet],
        "horizontal": offsets,
    }
    means = {measure: float(np.mean(values)) if values else None for measure, values in samples.items()}
    tolerance = {measure: _tolerance(measure, values) for measure, values in samples.items() if values}
    # The target is a line (centre or a third), not the references' own spot: leave room to reach them.
    tolerance["horizontal"] = max(tolerance["horizontal"], float(np.max(np.abs(offsets))) + 0.02)
    # Tilt has no target but level: a reference that leans (a posed hip, a slanted shot) widens it.
    tilts = [abs(f.tilt_deg) for f in framings]
    tolerance["tilt_deg"] = float(np.clip(max(tilts) + 1.0, TOLERANCE_FLOORS["tilt_deg"], MAX_TILT_TOLERANCE))
    count = len(usable)
    return Profile(
        key=key,
        name=name,
        head_ratio=means["head_ratio"],
        leg_ratio=means["leg_ratio"],
        headroom=float(means["headroom"]),  # type: ignore[arg-type]
        footroom=means["footroom"],
        subject_height=float(means["subject_height"]),  # type: ignore[arg-type]
        body_shown=means["body_shown"],
        horizontal=horizontal,
        tolerance=tolerance,
        description=f"Measured from {count} photo{'s' if count != 1 else ''} you like.",
    )


def _people_mean(analysis: Analysis, measure: str) -> float | None:
    values = [getattr(p, measure) for p in analysis.people if getattr(p, measure) is not None]
    return float(np.mean(values)) if values else None
