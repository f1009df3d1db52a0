"""The whole analysis on real photos (marked ``models``), and the overlay drawn over its result."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from apps.composition.analysis import analyse_frame
from apps.composition.pipeline.guidance import assess
from apps.composition.pipeline.overlay import draw_overlay, target_box
from apps.composition.pipeline.profiles import BUILT_IN_PROFILES, DEFAULT_PROFILE, profile_from_references
from apps.composition.pipeline.types import PersonMeasure
from tests.images import flat_image, opencv_sample, shared_photo

FULL_BODY = BUILT_IN_PROFILES["long-legs"]
KIT_WITH_ROSE = "faces/face_recognition/examples/knn_examples/test/kit_with_rose.jpg"


def inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    (ix, iy, iw, ih), (ox, oy, ow, oh) = inner, outer
    return ox <= ix and oy <= iy and ix + iw <= ox + ow and iy + ih <= oy + oh


@pytest.fixture(scope="module")
def basketball():
    return opencv_sample("basketball1.png")


# --- Real photos ---------------------------------------------------------------------------------


@pytest.mark.models
def test_a_man_standing_head_to_feet_measures_like_an_adult(basketball):
    analysis = analyse_frame(basketball, FULL_BODY)

    assert analysis.frame_size == (640, 480) and len(analysis.people) == 1
    man = analysis.people[0]
    assert man.feet_in_frame and man.feet_y > man.chin_y > man.head_top_y > 0
    assert 0.10 <= man.head_ratio <= 0.20
    assert 0.40 <= man.leg_ratio <= 0.60
    assert abs(man.tilt_deg) < 5
    assert man.box[0] < 100 < man.box[0] + man.box[2]  # the man on the left, not the one cut by the edge


@pytest.mark.models
def test_a_footballer_in_a_lunge_is_measured_head_to_feet():
    # Lunging, the body is shorter than standing: its head ratio is above a standing adult's 0.10-0.20.
    analysis = analyse_frame(opencv_sample("messi5.jpg"), FULL_BODY)

    assert len(analysis.people) == 1
    player = analysis.people[0]
    assert player.feet_in_frame and player.feet_y > player.chin_y > player.head_top_y > 0
    assert 0.15 <= player.head_ratio <= 0.32
    assert 0.25 <= player.leg_ratio <= 0.60


@pytest.mark.models
def test_a_photo_cut_above_the_knees_has_its_feet_out_of_frame(basketball):
    cut = np.ascontiguousarray(basketball[:330])

    analysis = analyse_frame(cut, FULL_BODY)

    man = analysis.people[0]
    assert man.feet_in_frame is False and man.feet_y is None and man.head_ratio is None
    assert analysis.framing.footroom is None
    assert analysis.guidance[0].code == "feet_out_of_frame" and analysis.in_tolerance is False


@pytest.mark.models
def test_the_same_cut_photo_is_no_error_for_the_three_quarter_look(basketball):
    analysis = analyse_frame(np.ascontiguousarray(basketball[:330]), BUILT_IN_PROFILES["three-quarter"])

    assert "feet_out_of_frame" not in [g.code for g in analysis.guidance]


@pytest.mark.models
def test_a_reference_photo_made_into_a_profile_is_on_target_for_itself(basketball):
    reference = analyse_frame(basketball, BUILT_IN_PROFILES[DEFAULT_PROFILE])
    profile = profile_from_references([reference], key="mine-1", name="Basketball")

    again = analyse_frame(basketball, profile)

    assert [g.code for g in again.guidance] == ["hold"] and again.in_tolerance is True


@pytest.mark.models
def test_two_people_side_by_side_are_both_found_and_framed_together():
    photo = shared_photo(KIT_WITH_ROSE)

    analysis = analyse_frame(photo, FULL_BODY)

    assert len(analysis.people) == 2
    left, right = analysis.people
    assert left.box[0] + left.box[2] / 2 < photo.shape[1] / 2 < right.box[0] + right.box[2] / 2
    assert all(inside(p.box, analysis.framing.box) for p in analysis.people)
    assert all(p.chin_y > p.head_top_y for p in analysis.people)
    # Cut at the shins: a full-body look asks for the feet.
    assert analysis.guidance[0].code == "feet_out_of_frame"


@pytest.mark.models
def test_max_people_caps_how_many_are_measured():
    analysis = analyse_frame(shared_photo(KIT_WITH_ROSE), FULL_BODY, max_people=1)

    assert len(analysis.people) == 1


@pytest.mark.models
def test_a_flat_image_has_no_one_to_coach():
    analysis = analyse_frame(flat_image(320, 240), FULL_BODY)

    assert analysis.people == () and analysis.framing is None
    assert [g.code for g in analysis.guidance] == ["no_person"] and analysis.in_tolerance is False


@pytest.mark.models
def test_the_analysis_is_plain_json_and_leaves_the_frame_alone(basketball):
    before = basketball.copy()

    data = analyse_frame(basketball, FULL_BODY).to_dict()

    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"people", "framing", "guidance", "in_tolerance", "frame_size"}
    assert len(data["people"][0]["landmarks"]) == 33
    assert np.array_equal(basketball, before)


@pytest.mark.models
def test_the_overlay_of_a_real_photo_is_drawn_on_a_copy(basketball):
    analysis = analyse_frame(basketball, FULL_BODY)
    before = basketball.copy()

    drawn = draw_overlay(basketball, analysis, FULL_BODY)

    assert drawn.shape == basketball.shape and drawn.dtype == np.uint8
    assert np.array_equal(basketball, before) and not np.array_equal(drawn, basketball)


# --- The overlay, on made-up measures --------------------------------------------------------------


def made_up_person() -> PersonMeasure:
    landmarks = tuple((160.0 + (i % 3) * 10, 40.0 + i * 6, 0.9) for i in range(33))
    return PersonMeasure(box=(140, 30, 60, 200), head_top_y=30.0, chin_y=58.0, feet_y=230.0, hip_y=130.0,
                         head_ratio=0.14, leg_ratio=0.5, tilt_deg=1.0, feet_in_frame=True, landmarks=landmarks)  # fmt: skip


@pytest.mark.parametrize("size", [(320, 240), (1000, 750)])
def test_the_overlay_draws_at_any_size_without_touching_the_frame(size):
    width, height = size
    frame = flat_image(width, height)
    scale = width / 320
    person = made_up_person()
    person = dataclasses.replace(
        person, box=tuple(round(v * scale) for v in person.box), head_top_y=30 * scale, chin_y=58 * scale,
        feet_y=230 * scale, landmarks=tuple((x * scale, y * scale, v) for x, y, v in person.landmarks),
    )  # fmt: skip
    analysis = assess([person], FULL_BODY, size)

    drawn = draw_overlay(frame, analysis, FULL_BODY)

    assert drawn.shape == frame.shape and (frame == flat_image(width, height)).all()
    assert (drawn != frame).any(axis=2).mean() > 0.02


def test_without_people_the_overlay_still_shows_the_target_and_the_advice():
    frame = flat_image(320, 240)
    analysis = assess([], FULL_BODY, (320, 240))

    drawn = draw_overlay(frame, analysis, FULL_BODY)

    assert (drawn != frame).any()
    x, y, w, h = target_box(analysis, FULL_BODY)
    assert y == round(FULL_BODY.headroom * 240) and y + h == round((1 - FULL_BODY.footroom) * 240)
    assert abs(x + w / 2 - 160) <= 1  # centred


def test_the_target_box_sits_on_the_profiles_third_line():
    analysis = assess([made_up_person()], BUILT_IN_PROFILES["three-quarter"], (320, 240))

    x, _, w, h = target_box(analysis, BUILT_IN_PROFILES["three-quarter"])

    assert abs(x + w / 2 - 320 / 3) <= 1 or abs(x + w / 2 - 640 / 3) <= 1
    assert h == 240 - round(BUILT_IN_PROFILES["three-quarter"].headroom * 240)  # down to the bottom edge
