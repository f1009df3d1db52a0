"""A person's proportions and the group's framing, measured on made-up landmarks and masks: no models."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from apps.composition.pipeline.measure import (
    LEFT_FOOT_INDEX,
    LEFT_HEEL,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_FOOT_INDEX,
    RIGHT_HEEL,
    RIGHT_SHOULDER,
    estimate_chin,
    frame_people,
    measure_person,
)

WIDTH, HEIGHT = 400, 500
# A person standing square to the camera, centred at x 200: eyes at y 80, mouth at 100, soles at 470.
STANDING = {
    0: (200, 90), 1: (205, 79), 2: (210, 80), 3: (215, 79), 4: (195, 79), 5: (190, 80), 6: (185, 79),
    7: (222, 84), 8: (178, 84), 9: (207, 100), 10: (193, 100),
    11: (240, 140), 12: (160, 140), 13: (250, 200), 14: (150, 200), 15: (255, 255), 16: (145, 255),
    17: (258, 265), 18: (142, 265), 19: (257, 268), 20: (143, 268), 21: (253, 262), 22: (147, 262),
    23: (222, 260), 24: (178, 260), 25: (220, 360), 26: (180, 360), 27: (220, 450), 28: (180, 450),
    29: (218, 462), 30: (182, 462), 31: (230, 470), 32: (170, 470),
}  # fmt: skip
FEET = (LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX)
# By hand: chin = mouth + 0.7 * (mouth - eyes) = 114; eyes to chin = 34; without a mask the head
# top is that far above the eyes (y 46).
CHIN_Y, HEAD_TOP_Y, FEET_Y, HIP_Y = 114.0, 46.0, 470.0, 260.0


def standing(dx: float = 0.0, dy: float = 0.0, visibility: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    points = np.array([STANDING[i] for i in range(33)], np.float32) + np.array([dx, dy], np.float32)
    return points, np.full(33, visibility, np.float32)


def rotated(points: np.ndarray, degrees: float) -> np.ndarray:
    """Turned about the body's middle; positive turns the image's right side down (y points down)."""
    centre = points.mean(axis=0)
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32)
    return (points - centre) @ rotation.T + centre


def silhouette(top: int = 40, bottom: int = 470, height: int = HEIGHT) -> np.ndarray:
    """A person mask: hair from ``top`` over a head, a body down to ``bottom``."""
    mask = np.zeros((height, WIDTH), np.float32)
    cv2.ellipse(mask, (200, (top + 116) // 2), (34, (116 - top) // 2), 0, 0, 360, 1.0, -1)
    cv2.rectangle(mask, (155, 116), (245, 300), 1.0, -1)
    cv2.rectangle(mask, (170, 300), (230, bottom), 1.0, -1)
    return mask


def test_it_finds_the_feet_below_the_chin_below_the_head_top():
    points, visibility = standing()

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))

    assert person is not None
    assert person.feet_y > person.chin_y > person.head_top_y
    assert person.feet_in_frame is True


def test_it_computes_the_head_and_leg_ratios_as_the_source_did():
    points, visibility = standing()

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))

    body = FEET_Y - HEAD_TOP_Y
    assert person.head_top_y == pytest.approx(HEAD_TOP_Y, abs=0.01)
    assert person.chin_y == pytest.approx(CHIN_Y, abs=0.01)
    assert person.feet_y == pytest.approx(FEET_Y)
    assert person.hip_y == pytest.approx(HIP_Y)
    assert person.head_ratio == pytest.approx((CHIN_Y - HEAD_TOP_Y) / body, abs=1e-4)
    assert person.leg_ratio == pytest.approx((FEET_Y - HIP_Y) / body, abs=1e-4)


def test_it_estimates_the_chin_below_the_mouth_along_the_face():
    points, visibility = standing()

    eyes, chin = estimate_chin(points, visibility)

    assert tuple(eyes) == pytest.approx((200.0, 80.0))
    assert tuple(chin) == pytest.approx((200.0, CHIN_Y))


def test_it_takes_the_head_top_from_the_mask_where_the_hair_ends():
    points, visibility = standing()

    person = measure_person(points, visibility, silhouette(top=40), (WIDTH, HEIGHT))

    assert person.head_top_y == pytest.approx(40, abs=1.5)
    assert person.box[1] == pytest.approx(40, abs=1.5)


def test_it_ignores_a_mask_that_runs_far_above_the_head():
    points, visibility = standing()
    mask = silhouette(top=40)
    mask[0:120, 180:220] = 1.0  # a raised arm, or someone behind

    person = measure_person(points, visibility, mask, (WIDTH, HEIGHT))

    assert person.head_top_y == pytest.approx(HEAD_TOP_Y, abs=0.01)


def test_a_head_running_into_the_top_edge_measures_at_or_above_it():
    points, visibility = standing(dy=-60)
    mask = silhouette(top=40)[60:]
    mask = np.vstack([mask, np.zeros((60, WIDTH), np.float32)])

    person = measure_person(points, visibility, mask, (WIDTH, HEIGHT))

    assert person.head_top_y <= 0


def test_feet_below_the_frame_are_out_of_frame_and_leave_the_ratios_unknown():
    points, visibility = standing()

    person = measure_person(points, visibility, None, (WIDTH, 455))

    assert person.feet_in_frame is False
    assert person.feet_y is None
    assert person.head_ratio is None and person.leg_ratio is None
    assert person.box[1] + person.box[3] == 455  # the body goes on below the bottom edge


def test_feet_the_model_does_not_see_are_out_of_frame_without_a_mask():
    points, visibility = standing()
    visibility[list(FEET)] = 0.1

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))

    assert person.feet_y is None and person.feet_in_frame is False


def test_the_masks_lowest_row_stands_in_for_hidden_feet_when_it_reaches_the_ankles():
    points, visibility = standing()
    visibility[list(FEET)] = 0.1

    person = measure_person(points, visibility, silhouette(bottom=468), (WIDTH, HEIGHT))

    assert person.feet_y == pytest.approx(468, abs=1)
    assert person.head_ratio is not None


def test_a_mask_that_runs_into_the_bottom_edge_does_not_stand_in_for_the_feet():
    points, visibility = standing()
    visibility[list(FEET)] = 0.1

    person = measure_person(points, visibility, silhouette(bottom=HEIGHT), (WIDTH, HEIGHT))

    assert person.feet_y is None


def test_foot_points_squeezed_up_against_the_knees_are_not_believed():
    # What the pose guesses for legs the frame cuts at the shins: feet just below the knees.
    points, visibility = standing()
    points[list(FEET), 1] = 400

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))

    assert person.feet_y is None


def test_a_body_cut_at_mid_thigh_shows_about_two_thirds_of_its_height():
    points, visibility = standing()

    person = measure_person(points, visibility, None, (WIDTH, 310))

    assert 0.55 < person.body_shown < 0.75
    assert measure_person(points, visibility, None, (WIDTH, HEIGHT)).body_shown == 1.0


def test_a_level_body_has_no_tilt():
    points, visibility = standing()

    assert measure_person(points, visibility, None, (WIDTH, HEIGHT)).tilt_deg == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("degrees", [6.0, -6.0])
def test_tilt_is_positive_when_the_images_right_side_is_lower(degrees):
    points, visibility = standing()

    person = measure_person(rotated(points, degrees), visibility, None, (WIDTH, HEIGHT))

    assert person.tilt_deg == pytest.approx(degrees, abs=0.1)


def test_without_trusted_hips_the_shoulders_alone_give_the_tilt():
    points, visibility = standing()
    visibility[[23, 24]] = 0.1  # hips hidden behind a table
    points[LEFT_SHOULDER, 1] += 10  # the image's right shoulder lower

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))

    assert person.hip_y is None and person.leg_ratio is None
    assert person.tilt_deg == pytest.approx(math.degrees(math.atan2(10, 80)), abs=0.1)
    assert person.landmarks[RIGHT_SHOULDER][:2] == (160.0, 140.0)


def test_without_eyes_or_nose_there_is_no_person_to_measure():
    points, visibility = standing()
    visibility[:11] = 0.1

    assert measure_person(points, visibility, None, (WIDTH, HEIGHT)) is None


def test_without_shoulders_there_is_no_person_to_measure():
    points, visibility = standing()
    visibility[[LEFT_SHOULDER, RIGHT_SHOULDER]] = 0.1

    assert measure_person(points, visibility, None, (WIDTH, HEIGHT)) is None


def test_it_keeps_all_33_landmarks_for_the_overlay_and_serialises_to_plain_values():
    points, visibility = standing()

    person = measure_person(points, visibility, None, (WIDTH, HEIGHT))
    data = person.to_dict()

    assert len(person.landmarks) == 33 and person.landmarks[NOSE] == pytest.approx((200.0, 90.0, 0.99))
    assert data["box"] == list(person.box) and all(isinstance(v, int) for v in data["box"])
    assert data["head_ratio"] == round(person.head_ratio, 4)


def test_it_leaves_its_inputs_alone():
    points, visibility = standing()
    mask = silhouette()
    before = points.copy(), visibility.copy(), mask.copy()

    measure_person(points, visibility, mask, (WIDTH, HEIGHT))

    assert all(np.array_equal(a, b) for a, b in zip(before, (points, visibility, mask), strict=True))


def test_the_group_framing_covers_both_people():
    left = measure_person(*standing(dx=-120), None, (WIDTH + 200, HEIGHT))
    right = measure_person(*standing(dx=180, dy=10), None, (WIDTH + 200, HEIGHT))

    framing = frame_people([left, right], (WIDTH + 200, HEIGHT))

    x, y, w, h = framing.box
    for person in (left, right):
        px, py, pw, ph = person.box
        assert x <= px and y <= py and px + pw <= x + w and py + ph <= y + h
    assert framing.headroom == pytest.approx(HEAD_TOP_Y / HEIGHT, abs=1e-3)  # the higher head
    assert framing.footroom == pytest.approx((HEIGHT - FEET_Y - 10) / HEIGHT, abs=1e-3)  # the lower feet
    assert framing.subject_height == pytest.approx(h / HEIGHT)
    assert framing.subject_width == pytest.approx(w / (WIDTH + 200))
    assert framing.centre_x == pytest.approx((x + w / 2) / (WIDTH + 200))
    assert framing.centre_x < 0.5 and framing.thirds_offset == pytest.approx(framing.centre_x - 1 / 3)  # nearer third


def test_the_group_has_no_footroom_when_anyones_feet_are_out_of_frame():
    inside = measure_person(*standing(dx=-100), None, (WIDTH, 480))
    cut = measure_person(*standing(dx=100, dy=30), None, (WIDTH, 480))

    framing = frame_people([inside, cut], (WIDTH, 480))

    assert inside.feet_in_frame and not cut.feet_in_frame
    assert framing.footroom is None


def test_the_group_tilt_is_the_mean_of_the_peoples():
    left = measure_person(rotated(standing(dx=-100)[0], 4.0), standing()[1], None, (WIDTH, HEIGHT))
    right = measure_person(rotated(standing(dx=100)[0], -2.0), standing()[1], None, (WIDTH, HEIGHT))

    assert frame_people([left, right], (WIDTH, HEIGHT)).tilt_deg == pytest.approx(1.0, abs=0.1)


def test_framing_nobody_is_an_error():
    with pytest.raises(ValueError):
        frame_people([], (WIDTH, HEIGHT))


def test_a_skeleton_squeezed_into_a_frame_that_cuts_the_legs_has_no_feet_and_no_readable_tilt():
    # What the pose can return for a photo cut near the knees: every joint pulled up into the frame.
    points, visibility = standing()
    points[23:, 1] = 190 + (points[23:, 1] - 260) * 0.55
    points[LEFT_SHOULDER, 1] += 10

    person = measure_person(points, visibility, None, (WIDTH, 330))

    assert person.feet_y is None and person.hip_y is None and person.head_ratio is None
    assert person.tilt_deg == 0.0


def test_a_short_torso_with_the_feet_inside_the_mask_is_a_small_child_not_a_squeezed_skeleton():
    points, visibility = standing()
    points[23:, 1] = 190 + (points[23:, 1] - 260) * 0.55  # hips at 190, soles at 305
    mask = silhouette(bottom=306)

    person = measure_person(points, visibility, mask, (WIDTH, HEIGHT))

    assert person.feet_y == pytest.approx(305, abs=0.5) and person.head_ratio is not None
