"""The six translations and the domains they connect."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Direction:
    key: str  # "day2night"
    source: str  # "day"
    target: str  # "night"
    pair: str  # "day_night": the CycleGAN pair that serves both directions
    reveal: str  # how the result page reveals it: "scratch" | "hover" | "scroll"
    label: str  # "Day → night"


DIRECTIONS: dict[str, Direction] = {
    d.key: d
    for d in (
        Direction("day2night", "day", "night", "day_night", "scratch", "Day → night"),
        Direction("night2day", "night", "day", "day_night", "scratch", "Night → day"),
        Direction("spring2autumn", "spring", "autumn", "spring_autumn", "hover", "Spring → autumn"),
        Direction("autumn2spring", "autumn", "spring", "spring_autumn", "hover", "Autumn → spring"),
        Direction("summer2winter", "summer", "winter", "summer_winter", "scroll", "Summer → winter"),
        Direction("winter2summer", "winter", "summer", "summer_winter", "scroll", "Winter → summer"),
    )
}
DOMAINS: tuple[str, ...] = ("day", "night", "spring", "autumn", "summer", "winter")
MODEL_SIZE = 256  # the CycleGAN works at 256 x 256, as the source's did
MAX_OUTPUT = 1024  # the delivered image is the crop's resolution, up to this many pixels a side
