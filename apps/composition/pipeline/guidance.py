"""What the photographer should do next, from the measures and a target profile.

Directions are the photographer's. ``move_left`` means "pan (or step) the camera to the left": it
is said when the group sits LEFT of where the profile wants it, because turning the camera towards
the group brings it right, towards the target. Likewise ``tilt_down`` (point the camera lower) is
said when there is too much room above the heads: tilting down moves the people up in the frame.
``lower_camera`` is said when the head is too big a part of the body: a camera held lower (at hip
height) shows the legs longer. ``hold_level`` with ``rotate_right`` means "turn the phone clockwise":
the people's shoulders and hips slope down to the image's right, so the camera is rolled anticlockwise.

A front camera faces the photographer, so its picture is reversed against a rear camera's: moving the
phone to the right moves the people right in it (left in a rear camera's), and rolling the phone
clockwise turns the picture clockwise (anticlockwise). The page shows a front camera as a mirror
(``mirrored``), which reverses it back: on that preview, moving and rolling the phone act as with a rear
camera. So for a mirrored preview the advice is worked out on the picture as the preview shows it
(``_as_seen``: horizontal offsets and slopes change sign), and the sideways advice says "move the phone",
since turning a phone that faces you moves the picture the other way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .measure import frame_people, nearest_third
from .types import Analysis, Framing, Guidance, PersonMeasure, Profile

MAX_GUIDANCE = 3
WIDE_GROUP = 2 / 3
NO_PERSON = Guidance("no_person", "No one in view: frame the person from head to feet", None)
HOLD = Guidance("hold", "Hold it there", None)


def horizontal_target(horizontal: str, centre_x: float, group_width: float = 0.0) -> float:
    """Where a group centred at ``centre_x`` should be centred, as a fraction of the frame's width.

    ``horizontal`` is a profile's: "centre", "left_third", "right_third", or "thirds" (the nearer one).
    A group wider than WIDE_GROUP (a fraction of the frame) cannot sit on a third line: it is centred."""
    if horizontal == "centre" or group_width > WIDE_GROUP:
        return 0.5
    if horizontal == "left_third":
        return 1 / 3
    if horizontal == "right_third":
        return 2 / 3
    if horizontal == "thirds":
        return nearest_third(centre_x)
    return 0.5


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def _a_little(deviation: float, tolerance: float) -> str:
    return " a little" if abs(deviation) < 2 * tolerance else ""


def _head_cut(framing: Framing, profile: Profile, feet_cut: bool) -> Guidance:
    """Tilt up when there is room to spare below the people, else step back."""
    if feet_cut:
        room_below = False
    elif framing.footroom is not None:
        room_below = framing.footroom > (profile.footroom or 0.0) + profile.tol("footroom")
    else:
        room_below = profile.body_shown is None or framing.body_shown >= profile.body_shown - profile.tol("body_shown")
    if room_below:
        return Guidance("head_cut", "The head is cut off: tilt the camera up", "up")
    return Guidance("head_cut", "The head is cut off: step back", "back")


def _size(framing: Framing, profile: Profile) -> Guidance | None:
    """Step closer or back: the body shown for a profile that cuts it, else the group's height."""
    if framing.footroom is None and profile.body_shown is not None:
        # More of the body in frame than wanted: the people are too small, the camera too far.
        deviation, tolerance = framing.body_shown - profile.body_shown, profile.tol("body_shown")
        too_far = deviation > tolerance
    elif framing.footroom is not None:
        deviation, tolerance = framing.subject_height - profile.subject_height, profile.tol("subject_height")
        too_far = deviation < -tolerance
    else:
        return None
    if abs(deviation) <= tolerance:
        return None
    little = _a_little(deviation, tolerance)
    if too_far:
        return Guidance("step_closer", f"Step closer{little}", "forward")
    return Guidance("step_back", f"Step back{little}", "back")


def _vertical(framing: Framing, profile: Profile) -> Guidance | None:
    """Tilt up or down: the room above the heads against the room below the feet (or the headroom alone)."""
    if framing.footroom is not None and profile.footroom is not None:
        deviation = (framing.headroom - profile.headroom) - (framing.footroom - profile.footroom)
        tolerance = max(profile.tol("headroom"), profile.tol("footroom"))
    else:
        deviation, tolerance = framing.headroom - profile.headroom, profile.tol("headroom")
    if abs(deviation) <= tolerance:
        return None
    little = _a_little(deviation, tolerance)
    if deviation > 0:
        return Guidance("tilt_down", f"Tilt the camera down{little}", "down")
    return Guidance("tilt_up", f"Tilt the camera up{little}", "up")


def _as_seen(value: float, mirrored: bool) -> float:
    """A horizontal offset or a slope in the camera's picture, as the photographer sees it on the preview."""
    return -value if mirrored else value


def _offset(framing: Framing, profile: Profile) -> float:
    """The group's centre minus the profile's horizontal target, in frame widths (negative: left of it)."""
    return framing.centre_x - horizontal_target(profile.horizontal, framing.centre_x, framing.subject_width)


def _horizontal(framing: Framing, profile: Profile, mirrored: bool) -> Guidance | None:
    offset, tolerance = _as_seen(_offset(framing, profile), mirrored), profile.tol("horizontal")
    if abs(offset) <= tolerance:
        return None
    little = _a_little(offset, tolerance)
    move = "Move the phone" if mirrored else "Pan the camera"
    if offset < 0:
        return Guidance("move_left", f"{move} left{little}", "left")
    return Guidance("move_right", f"{move} right{little}", "right")


def _camera_height(people: Sequence[PersonMeasure], profile: Profile) -> Guidance | None:
    """A head too big for the body (legs looking short) asks for a lower camera; the leg ratio decides otherwise."""
    lower = None
    head_ratio = _mean([p.head_ratio for p in people])
    leg_ratio = _mean([p.leg_ratio for p in people])
    if profile.head_ratio is not None and head_ratio is not None:
        deviation, tolerance = head_ratio - profile.head_ratio, profile.tol("head_ratio")
        if abs(deviation) > tolerance:
            lower = deviation > 0
    if lower is None and profile.leg_ratio is not None and leg_ratio is not None:
        deviation, tolerance = leg_ratio - profile.leg_ratio, profile.tol("leg_ratio")
        if abs(deviation) > tolerance:
            lower = deviation < 0
    if lower is None:
        return None
    if lower:
        return Guidance("lower_camera", "Lower the camera towards hip height: the legs will look longer", "down")
    return Guidance("raise_camera", "Raise the camera a little", "up")


def _level(framing: Framing, profile: Profile, mirrored: bool) -> Guidance | None:
    tilt = _as_seen(framing.tilt_deg, mirrored)
    if abs(tilt) <= profile.tol("tilt_deg"):
        return None
    return Guidance("hold_level", "Hold the phone level", "rotate_right" if tilt > 0 else "rotate_left")


def guide(
    people: Sequence[PersonMeasure],
    framing: Framing | None,
    profile: Profile,
    frame_size: tuple[int, int],
    mirrored: bool = False,
) -> tuple[tuple[Guidance, ...], bool]:
    """Up to MAX_GUIDANCE pieces of advice, most important first, and whether every measure is within tolerance.

    Order: feet out of frame, head cut, distance, tilt, pan, camera height, level. A cut body makes
    its height and room meaningless, so distance and tilt wait until the cut is fixed."""
    if not people or framing is None:
        return (NO_PERSON,), False
    advice: list[Guidance | None] = []
    feet_cut = framing.footroom is None and profile.needs_feet
    head_cut = framing.headroom <= 0
    if feet_cut:
        spare_headroom = framing.headroom > profile.headroom + profile.tol("headroom")
        arrow = "down" if spare_headroom and not head_cut else "back"
        advice.append(Guidance("feet_out_of_frame", "The feet are out of frame: step back or tilt down", arrow))
    if head_cut:
        advice.append(_head_cut(framing, profile, feet_cut))
    if not feet_cut and not head_cut:
        advice += [_size(framing, profile), _vertical(framing, profile)]
    advice += [
        _horizontal(framing, profile, mirrored),
        _camera_height(people, profile),
        _level(framing, profile, mirrored),
    ]
    found = [item for item in advice if item is not None]
    if not found:
        return (HOLD,), True
    return tuple(found[:MAX_GUIDANCE]), False


def aim(framing: Framing, profile: Profile) -> Framing:
    """The framing with ``thirds_offset`` measured to the profile's horizontal target."""
    return dataclasses.replace(framing, thirds_offset=_offset(framing, profile))


def assess(
    people: Sequence[PersonMeasure], profile: Profile, frame_size: tuple[int, int], mirrored: bool = False
) -> Analysis:
    """Measures of the people in a frame → framing and guidance against ``profile``. People are sorted left to right.

    Measures stay in the camera's picture; only the advice follows a ``mirrored`` preview."""
    ordered = tuple(sorted(people, key=lambda p: p.box[0] + p.box[2] / 2))
    framing = aim(frame_people(ordered, frame_size), profile) if ordered else None
    guidance, in_tolerance = guide(ordered, framing, profile, frame_size, mirrored)
    return Analysis(people=ordered, framing=framing, guidance=guidance, in_tolerance=in_tolerance,
                    frame_size=(int(frame_size[0]), int(frame_size[1])))  # fmt: skip
