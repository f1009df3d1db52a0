"""The vocabulary the coach's stages share: what was measured, how the group is framed, what to do next.

Coordinates are pixels of the analysed frame, y downwards; ratios are fractions (0.13, not 13 %).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

GUIDANCE_CODES: tuple[str, ...] = (
    "no_person", "feet_out_of_frame", "head_cut", "step_back", "step_closer", "tilt_up", "tilt_down",
    "move_left", "move_right", "lower_camera", "raise_camera", "hold_level", "hold",
)  # fmt: skip
ARROWS: tuple[str, ...] = ("up", "down", "left", "right", "rotate_left", "rotate_right", "back", "forward")
HORIZONTAL_TARGETS: tuple[str, ...] = ("centre", "thirds", "left_third", "right_third")

# How far a measure may stray from its target before the coach says something. A profile's own
# tolerances override these; a profile made from references never goes below them.
DEFAULT_TOLERANCE: dict[str, float] = {
    "head_ratio": 0.012,
    "leg_ratio": 0.025,
    "headroom": 0.04,
    "footroom": 0.04,
    "subject_height": 0.06,
    "body_shown": 0.07,
    "horizontal": 0.05,
    "tilt_deg": 4.0,
}


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True)
class PersonMeasure:
    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels: the person mask and the visible landmarks
    head_top_y: float  # top of the hair; negative (or 0) when the head is cut by the top edge
    chin_y: float  # estimated: BlazePose has no chin point (see measure.estimate_chin)
    feet_y: float | None  # the soles; None when the feet are out of frame
    hip_y: float | None
    head_ratio: float | None  # (chin - head top) / (feet - head top): the source's "head / body"; None without feet
    leg_ratio: float | None  # (feet - hip) / (feet - head top); None without feet or hips
    tilt_deg: float  # mean angle of the shoulder and hip lines; positive = the image's right side lower
    feet_in_frame: bool
    landmarks: tuple[tuple[float, float, float], ...]  # 33 BlazePose points (x, y, visibility), for the overlay
    body_shown: float = 1.0  # fraction of the body's (estimated) height inside the frame, head top down

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [int(v) for v in self.box],
            "head_top_y": _round(self.head_top_y, 1),
            "chin_y": _round(self.chin_y, 1),
            "feet_y": _round(self.feet_y, 1),
            "hip_y": _round(self.hip_y, 1),
            "head_ratio": _round(self.head_ratio, 4),
            "leg_ratio": _round(self.leg_ratio, 4),
            "tilt_deg": _round(self.tilt_deg, 1),
            "feet_in_frame": self.feet_in_frame,
            "body_shown": _round(self.body_shown, 3),
            "landmarks": [[round(x, 1), round(y, 1), round(v, 2)] for x, y, v in self.landmarks],
        }


@dataclass(frozen=True)
class Framing:
    box: tuple[int, int, int, int]  # the group: union of the people's boxes
    headroom: float  # highest head top / frame height; <= 0 when a head is cut
    footroom: float | None  # (frame height - lowest feet) / frame height; None when anyone's feet are out of frame
    subject_height: float  # group box height / frame height
    centre_x: float  # group box centre / frame width, 0..1
    thirds_offset: float  # centre_x minus the horizontal target (the profile's, or the nearest third line)
    tilt_deg: float  # mean of the people's tilt
    body_shown: float = 1.0  # mean of the people's body_shown: 1 head to feet, about 0.65 cut mid-thigh
    subject_width: float = 0.0  # group box width / frame width

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [int(v) for v in self.box],
            "headroom": _round(self.headroom, 4),
            "footroom": _round(self.footroom, 4),
            "subject_height": _round(self.subject_height, 4),
            "centre_x": _round(self.centre_x, 4),
            "thirds_offset": _round(self.thirds_offset, 4),
            "tilt_deg": _round(self.tilt_deg, 1),
            "body_shown": _round(self.body_shown, 3),
            "subject_width": _round(self.subject_width, 4),
        }


@dataclass(frozen=True)
class Guidance:
    code: str  # one of GUIDANCE_CODES
    text: str  # short and imperative, for the photographer
    arrow: str | None = None  # one of ARROWS

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "arrow": self.arrow}


@dataclass(frozen=True)
class Profile:
    """A target look. A measure whose target is None is not coached; footroom None means feet are not required."""

    key: str
    name: str
    head_ratio: float | None
    leg_ratio: float | None
    headroom: float
    footroom: float | None
    subject_height: float
    horizontal: str  # one of HORIZONTAL_TARGETS; "thirds" = whichever third line is nearer
    tolerance: dict[str, float] = field(default_factory=dict)  # absolute, per measure; DEFAULT_TOLERANCE fills gaps
    description: str = ""
    body_shown: float | None = None  # for profiles without feet: where the bottom edge should cut the body

    @property
    def needs_feet(self) -> bool:
        return self.footroom is not None

    def tol(self, measure: str) -> float:
        return float(self.tolerance.get(measure, DEFAULT_TOLERANCE[measure]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "head_ratio": _round(self.head_ratio, 4),
            "leg_ratio": _round(self.leg_ratio, 4),
            "headroom": _round(self.headroom, 4),
            "footroom": _round(self.footroom, 4),
            "subject_height": _round(self.subject_height, 4),
            "body_shown": _round(self.body_shown, 3),
            "horizontal": self.horizontal,
            "tolerance": {name: round(float(value), 4) for name, value in self.tolerance.items()},
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """The inverse of to_dict; unknown keys are ignored and a missing tolerance falls back to the defaults."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in ("head_ratio", "leg_ratio", "footroom", "body_shown"):
            values[name] = None if values.get(name) is None else float(values[name])
        for name in ("headroom", "subject_height"):
            values[name] = float(values[name])
        horizontal = values.get("horizontal") or "centre"
        if horizontal not in HORIZONTAL_TARGETS:
            raise ValueError(f"Unknown horizontal target '{horizontal}': use one of {', '.join(HORIZONTAL_TARGETS)}")
        values["horizontal"] = horizontal
        tolerance = values.get("tolerance") or {}
        values["tolerance"] = {str(k): float(v) for k, v in tolerance.items() if k in DEFAULT_TOLERANCE}
        values["key"], values["name"] = str(values["key"]), str(values["name"])
        values["description"] = str(values.get("description") or "")
        return cls(**values)


@dataclass(frozen=True)
class Analysis:
    people: tuple[PersonMeasure, ...]  # left to right
    framing: Framing | None  # None without people
    guidance: tuple[Guidance, ...]  # most important first, at most 3
    in_tolerance: bool
    frame_size: tuple[int, int]  # (width, height)

    def to_dict(self) -> dict[str, Any]:
        return {
            "people": [person.to_dict() for person in self.people],
            "framing": self.framing.to_dict() if self.framing is not None else None,
            "guidance": [item.to_dict() for item in self.guidance],
            "in_tolerance": self.in_tolerance,
            "frame_size": [int(self.frame_size[0]), int(self.frame_size[1])],
        }
