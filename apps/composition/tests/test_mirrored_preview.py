"""A front camera's preview is a mirror: its advice about left and right is given as the photographer sees it.

A group left of the target in the camera's picture is right of it on the mirror, and moving the phone to the
right moves it left there, as a rear camera's picture moves: so the advice is the one a rear camera showing
the mirror image would get, with "move the phone" for the sideways move. Slopes are read off the mirror too.
"""

from __future__ import annotations

import pytest

from apps.composition.pipeline.guidance import assess, guide
from apps.composition.pipeline.types import Guidance

from .test_guidance import FRAME, PROFILE, framing, person


def advice(frame, mirrored: bool) -> list[Guidance]:
    return list(guide([person(tilt_deg=frame.tilt_deg)], frame, PROFILE, FRAME, mirrored=mirrored)[0])


def test_a_group_left_of_the_target_in_the_picture_is_right_of_it_on_a_mirror_so_the_phone_moves_right():
    left_in_picture = framing(centre_x=0.35)

    assert advice(left_in_picture, mirrored=False)[0] == Guidance("move_left", "Pan the camera left", "left")
    assert advice(left_in_picture, mirrored=True)[0] == Guidance("move_right", "Move the phone right", "right")


def test_a_group_right_of_the_target_a_little_asks_the_mirror_to_move_the_phone_left_a_little():
    assert advice(framing(centre_x=0.58), mirrored=True)[0] == Guidance(
        "move_left", "Move the phone left a little", "left"
    )


@pytest.mark.parametrize(("tilt", "arrow"), [(6.0, "rotate_left"), (-6.0, "rotate_right")])
def test_a_slope_is_read_off_the_mirror(tilt, arrow):
    assert advice(framing(tilt_deg=tilt), mirrored=True)[0] == Guidance("hold_level", "Hold the phone level", arrow)


@pytest.mark.parametrize("centre_x", [0.2, 0.35, 0.44, 0.53, 0.7, 0.9])
@pytest.mark.parametrize("tilt", [-9.0, -2.0, 0.0, 4.0])
def test_a_mirrored_picture_gets_the_advice_its_mirror_image_gets_from_a_rear_camera(centre_x, tilt):
    """What the photographer sees on a mirror is the picture flipped: the advice is that picture's."""
    seen = advice(framing(centre_x=centre_x, tilt_deg=tilt), mirrored=True)
    flipped = advice(framing(centre_x=1 - centre_x, tilt_deg=-tilt), mirrored=False)

    assert [(a.code, a.arrow) for a in seen] == [(a.code, a.arrow) for a in flipped]


def test_a_mirror_changes_no_advice_but_left_and_right():
    off = framing(subject_height=0.7, headroom=0.25, footroom=0.05, centre_x=0.5)
    people = [person(head_ratio=0.2)]

    assert guide(people, off, PROFILE, FRAME, mirrored=True) == guide(people, off, PROFILE, FRAME)


def test_the_measures_stay_in_the_cameras_picture():
    people = [person(box=(100, 80, 100, 680))]

    plain, mirrored = assess(people, PROFILE, FRAME), assess(people, PROFILE, FRAME, mirrored=True)

    assert mirrored.framing == plain.framing and mirrored.people == plain.people
    assert (plain.guidance[0].code, mirrored.guidance[0].code) == ("move_left", "move_right")
