"""The coach's advice, one rule at a time, on measures made up to sit on (or off) a profile's targets."""

from __future__ import annotations

import dataclasses

import pytest

from apps.composition.pipeline.guidance import MAX_GUIDANCE, assess, guide, horizontal_target
from apps.composition.pipeline.profiles import BUILT_IN_PROFILES
from apps.composition.pipeline.types import ARROWS, GUIDANCE_CODES, Framing, PersonMeasure, Profile

FRAME = (600, 800)
PROFILE = Profile(
    key="test", name="Test", head_ratio=0.14, leg_ratio=0.5, headroom=0.1, footroom=0.05, subject_height=0.85,
    horizontal="centre",
    tolerance={"head_ratio": 0.01, "leg_ratio": 0.02, "headroom": 0.04, "footroom": 0.04, "subject_height": 0.05,
               "horizontal": 0.05, "tilt_deg": 3.0},
)  # fmt: skip
THREE_QUARTER = BUILT_IN_PROFILES["three-quarter"]


def person(**changes) -> PersonMeasure:
    """One person exactly on PROFILE's targets."""
    top, feet = 80.0, 760.0
    body = feet - top
    values = dict(
        box=(250, 80, 100, 680), head_top_y=top, chin_y=top + 0.14 * body, feet_y=feet, hip_y=feet - 0.5 * body,
        head_ratio=0.14, leg_ratio=0.5, tilt_deg=0.0, feet_in_frame=True, landmarks=((0.0, 0.0, 0.0),) * 33,
    )  # fmt: skip
    values.update(changes)
    return PersonMeasure(**values)


def framing(**changes) -> Framing:
    """A group framed exactly as PROFILE wants."""
    values = dict(box=(250, 80, 100, 680), headroom=0.1, footroom=0.05, subject_height=0.85, centre_x=0.5,
                  thirds_offset=0.0, tilt_deg=0.0)  # fmt: skip
    values.update(changes)
    return Framing(**values)


def codes(people=None, frame=None, profile=PROFILE) -> list[str]:
    advice, _ = guide([person()] if people is None else people, frame or framing(), profile, FRAME)
    return [item.code for item in advice]


def test_it_says_hold_when_every_measure_is_on_target():
    advice, in_tolerance = guide([person()], framing(), PROFILE, FRAME)

    assert [(a.code, a.text) for a in advice] == [("hold", "Hold it there")]
    assert in_tolerance is True


def test_it_says_hold_when_every_measure_is_just_within_tolerance():
    near = framing(subject_height=0.89, headroom=0.12, footroom=0.03, centre_x=0.54, tilt_deg=2.5)

    assert codes([person(head_ratio=0.149, leg_ratio=0.49)], near) == ["hold"]


def test_without_people_it_asks_for_someone_in_view():
    advice, in_tolerance = guide([], None, PROFILE, FRAME)

    assert [a.code for a in advice] == ["no_person"] and in_tolerance is False


def test_feet_out_of_frame_ask_to_step_back_or_tilt_down():
    cut = framing(footroom=None, subject_height=0.9)

    advice, in_tolerance = guide([person(feet_y=None, feet_in_frame=False, head_ratio=None)], cut, PROFILE, FRAME)

    assert advice[0].code == "feet_out_of_frame" and in_tolerance is False
    assert advice[0].text == "The feet are out of frame: step back or tilt down"
    assert advice[0].arrow == "back"


def test_feet_out_of_frame_with_room_above_the_head_point_the_camera_down():
    cut = framing(footroom=None, headroom=0.3)

    advice, _ = guide([person(feet_y=None, feet_in_frame=False)], cut, PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("feet_out_of_frame", "down")


def test_a_profile_without_feet_does_not_ask_for_them():
    cut = framing(footroom=None, headroom=0.07, subject_height=0.93, body_shown=0.64, centre_x=1 / 3)

    assert codes([person(feet_y=None, feet_in_frame=False)], cut, THREE_QUARTER) == ["hold"]


def test_a_head_above_the_frame_is_cut():
    cut = framing(headroom=-0.02, footroom=0.17)

    advice, _ = guide([person(head_top_y=-16.0)], cut, PROFILE, FRAME)

    assert advice[0].code == "head_cut"
    assert advice[0].arrow == "up"  # room to spare below the feet: tilting up is enough


def test_a_head_cut_with_no_room_below_asks_to_step_back():
    cut = framing(headroom=0.0, footroom=0.01, subject_height=0.99)

    advice, _ = guide([person()], cut, PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("head_cut", "back")


def test_a_subject_too_tall_for_the_profile_asks_to_step_back():
    advice, _ = guide([person()], framing(subject_height=0.97, headroom=0.03, footroom=0.0), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("step_back", "back")
    assert advice[0].text == "Step back"


def test_a_subject_too_small_for_the_profile_asks_to_step_closer():
    advice, _ = guide([person()], framing(subject_height=0.78, headroom=0.13, footroom=0.09), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("step_closer", "forward")
    assert advice[0].text == "Step closer a little"


def test_a_cut_body_showing_more_than_the_profile_wants_asks_to_step_closer():
    cut = framing(footroom=None, headroom=0.07, subject_height=0.93, body_shown=0.9, centre_x=1 / 3)

    assert codes([person(feet_y=None, feet_in_frame=False)], cut, THREE_QUARTER)[0] == "step_closer"


def test_too_much_room_above_the_heads_asks_to_tilt_down():
    advice, _ = guide([person()], framing(headroom=0.2, footroom=-0.0), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("tilt_down", "down")


def test_too_much_room_below_the_feet_asks_to_tilt_up():
    advice, _ = guide([person()], framing(headroom=0.02, footroom=0.13), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("tilt_up", "up")


def test_a_group_left_of_the_target_asks_to_pan_left():
    advice, _ = guide([person()], framing(centre_x=0.35), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("move_left", "left")


def test_a_group_right_of_the_target_asks_to_pan_right():
    advice, _ = guide([person()], framing(centre_x=0.7), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("move_right", "right")


def test_on_a_thirds_profile_the_target_is_the_nearer_third_line():
    assert horizontal_target("thirds", 0.2) == pytest.approx(1 / 3)
    assert horizontal_target("thirds", 0.6) == pytest.approx(2 / 3)
    assert horizontal_target("left_third", 0.9) == pytest.approx(1 / 3)
    assert horizontal_target("centre", 0.9) == 0.5


def test_a_group_too_wide_for_a_third_line_is_kept_centred():
    wide = framing(centre_x=0.5, subject_width=0.9, footroom=None, headroom=0.07, subject_height=0.93, body_shown=0.64)

    assert horizontal_target("thirds", 0.5, group_width=0.9) == 0.5
    assert codes([person(feet_y=None, feet_in_frame=False)], wide, THREE_QUARTER) == ["hold"]


def test_a_head_too_big_for_the_body_asks_for_a_lower_camera():
    advice, _ = guide([person(head_ratio=0.16)], framing(), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("lower_camera", "down")


def test_a_head_too_small_for_the_body_asks_for_a_higher_camera():
    advice, _ = guide([person(head_ratio=0.12)], framing(), PROFILE, FRAME)

    assert (advice[0].code, advice[0].arrow) == ("raise_camera", "up")


def test_short_looking_legs_ask_for_a_lower_camera_when_the_head_ratio_is_on_target():
    assert codes([person(leg_ratio=0.45)]) == ["lower_camera"]


def test_the_camera_height_follows_the_groups_mean_head_ratio():
    assert codes([person(head_ratio=0.13), person(head_ratio=0.15)]) == ["hold"]
    assert codes([person(head_ratio=0.15), person(head_ratio=0.17)]) == ["lower_camera"]


@pytest.mark.parametrize(("tilt", "arrow"), [(6.0, "rotate_right"), (-6.0, "rotate_left")])
def test_sloping_shoulders_and_hips_ask_to_hold_the_phone_level(tilt, arrow):
    advice, _ = guide([person(tilt_deg=tilt)], framing(tilt_deg=tilt), PROFILE, FRAME)

    assert (advice[0].code, advice[0].text, advice[0].arrow) == ("hold_level", "Hold the phone level", arrow)


def test_it_gives_at_most_three_pieces_of_advice_most_important_first():
    off = framing(subject_height=0.7, headroom=0.25, footroom=0.05, centre_x=0.2, tilt_deg=9.0)

    advice, in_tolerance = guide([person(head_ratio=0.2)], off, PROFILE, FRAME)

    assert [a.code for a in advice] == ["step_closer", "tilt_down", "move_left"]
    assert len(advice) == MAX_GUIDANCE and in_tolerance is False


def test_every_piece_of_advice_uses_the_known_codes_and_arrows():
    cases = [framing(headroom=-0.1), framing(footroom=None), framing(centre_x=0.1), framing(tilt_deg=-20)]
    for case in cases:
        for item in guide([person()], case, PROFILE, FRAME)[0]:
            assert item.code in GUIDANCE_CODES and (item.arrow is None or item.arrow in ARROWS)
            assert item.text and item.text[0].isupper()


def test_assess_sorts_people_left_to_right_and_aims_the_offset_at_the_profiles_target():
    right, left = person(box=(400, 80, 100, 680)), person(box=(100, 80, 100, 680))

    analysis = assess([right, left], PROFILE, FRAME)

    assert [p.box[0] for p in analysis.people] == [100, 400]
    assert analysis.framing.thirds_offset == pytest.approx(analysis.framing.centre_x - 0.5)
    assert analysis.to_dict()["guidance"][0]["code"] == analysis.guidance[0].code


def test_assess_without_people_has_no_framing():
    analysis = assess([], PROFILE, FRAME)

    assert analysis.framing is None and analysis.guidance[0].code == "no_person" and analysis.frame_size == FRAME


def test_a_framing_can_be_changed_only_by_making_a_new_one():
    with pytest.raises(dataclasses.FrozenInstanceError):
        framing().headroom = 0.5  # type: ignore[misc]
