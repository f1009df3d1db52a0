"""Where the suit goes, and how it is layered: on made-up labels and arrays, no models."""

from __future__ import annotations

import numpy as np
import pytest

from apps.suit.pipeline.dress import dress
from apps.suit.pipeline.fit import NECK_WIDTH, ShouldersNotVisible, measure_fit, visible_shoulders
from apps.suit.pipeline.garments import SuitLayer
from apps.suit.pipeline.parsing import CLOTHES, HAIR, NECK, NOSE, SKIN, Parsing, _connected_to, replace_face_parts

HEIGHT, WIDTH = 400, 400


def pose(left: tuple[float, float], right: tuple[float, float], visibility: float = 0.99):
    points = np.zeros((33, 2), np.float32)
    points[11], points[12] = right, left  # pose's "left shoulder" is the person's left: the image's right
    return points, np.full(33, visibility, np.float32)


def portrait_labels(neck_half_width: int = 30) -> Parsing:
    """A face from y 60 to the chin at 200, a neck below it, clothes from y 260."""
    labels = np.zeros((HEIGHT, WIDTH), np.uint8)
    labels[60:200, 140:260] = SKIN
    labels[200:270, 200 - neck_half_width : 200 + neck_half_width] = NECK
    labels[260:, 60:340] = CLOTHES
    return Parsing(labels=labels, face_width=120.0, chin=(200.0, 200.0),
                   jaw_angles=((150.0, 170.0), (250.0, 170.0)), hair_model_pixels=0)  # fmt: skip


def test_visible_shoulders_are_returned_image_left_first():
    points, visibility = pose((100, 300), (300, 300))

    shoulders = visible_shoulders(points, visibility, portrait_labels())

    assert shoulders.left == (100, 300) and shoulders.right == (300, 300)


@pytest.mark.parametrize(
    ("left", "right", "visibility"),
    [
        ((100, 300), (300, 300), 0.2),  # the model does not believe in them
        ((100, 420), (300, 420), 0.99),  # below the bottom edge: a guess from the head
        ((100, 150), (300, 150), 0.99),  # above the chin: not shoulders
        ((-300, 300), (300, 300), 0.99),  # far outside the frame
    ],
)
def test_shoulders_that_are_not_really_in_view_are_refused(left, right, visibility):
    points, vis = pose(left, right, visibility)

    with pytest.raises(ShouldersNotVisible):
        visible_shoulders(points, vis, portrait_labels())


def test_a_photo_that_ends_at_the_chin_has_no_shoulders_whatever_the_pose_guesses():
    parsing = portrait_labels()
    cut = Parsing(labels=parsing.labels[:230], face_width=120.0, chin=(200.0, 200.0),
                  jaw_angles=parsing.jaw_angles, hair_model_pixels=0)  # fmt: skip
    points, visibility = pose((100, 225), (300, 225))

    with pytest.raises(ShouldersNotVisible, match="ends at the chin"):
        visible_shoulders(points, visibility, cut)


def test_a_body_no_wider_than_the_face_at_the_bottom_edge_has_no_shoulders():
    parsing = portrait_labels()
    parsing.labels[260:, :] = 0
    parsing.labels[260:, 140:260] = CLOTHES  # a narrow column under the head
    points, visibility = pose((100, 320), (300, 320))

    with pytest.raises(ShouldersNotVisible, match="not in the photo"):
        visible_shoulders(points, visibility, parsing)


def test_the_collar_line_lies_between_the_chin_and_the_shoulders():
    points, visibility = pose((100, 320), (300, 320))
    fit = measure_fit(portrait_labels(), visible_shoulders(points, visibility, portrait_labels()))

    assert 200 < fit.neck_left[1] < 320 and 200 < fit.neck_right[1] < 320
    assert fit.shoulder_left[0] < 100 and fit.shoulder_right[0] > 300  # the cloth sits outside the joints
    assert fit.chin == (200.0, 200.0)


def test_the_neck_width_is_measured_from_the_neck_labels():
    points, visibility = pose((100, 320), (300, 320))
    shoulders = visible_shoulders(points, visibility, portrait_labels())

    narrow = measure_fit(portrait_labels(neck_half_width=30), shoulders)
    wide = measure_fit(portrait_labels(neck_half_width=40), shoulders)

    assert narrow.neck_right[0] - narrow.neck_left[0] == pytest.approx(60, abs=2)
    assert wide.neck_right[0] - wide.neck_left[0] == pytest.approx(80, abs=2)


def test_an_implausible_neck_reading_is_held_to_a_human_range():
    points, visibility = pose((100, 320), (300, 320))
    fit = measure_fit(portrait_labels(neck_half_width=100), visible_shoulders(points, visibility, portrait_labels()))

    assert fit.neck_right[0] - fit.neck_left[0] == pytest.approx(NECK_WIDTH[1] * 120, abs=1)


def test_tilted_shoulders_tilt_the_collar_line_the_same_way():
    points, visibility = pose((100, 300), (300, 340))
    fit = measure_fit(portrait_labels(), visible_shoulders(points, visibility, portrait_labels()))

    assert fit.neck_right[1] > fit.neck_left[1]
    slope = (fit.neck_right[1] - fit.neck_left[1]) / (fit.neck_right[0] - fit.neck_left[0])
    assert slope == pytest.approx(40 / 200, abs=1e-6)


def test_hair_below_the_chin_counts_only_when_it_hangs_from_the_head():
    seeds = np.zeros((10, 10), bool)
    seeds[0, 0:3] = True
    candidates = np.zeros((10, 10), bool)
    candidates[1:6, 1] = True  # joined to the hair above
    candidates[7:9, 7:9] = True  # a dark patch on the jacket, on its own

    hanging = _connected_to(candidates, seeds)

    assert hanging[1:6, 1].all() and not hanging[7:9, 7:9].any()


def test_a_face_parser_replaces_face_parts_and_hair_but_not_the_body():
    labels = np.full((20, 20), SKIN, np.uint8)
    labels[15:, :] = CLOTHES
    labels[10:12, 5:8] = 0  # background, by the matte
    parsed = np.full((10, 10), HAIR, np.uint8)
    parsed[:, 8:] = 0  # the parser calls some of the face background
    parsed[7:, 5:8] = NOSE  # ... and some of the clothes a nose

    out = replace_face_parts(labels, parsed, (5, 10, 10, 10))

    assert (out[12:15, 5:13] == HAIR).all()  # the parser's reading wins on the head
    assert (out[15:20, 5:10] == HAIR).all()  # ... and its hair over the clothes too
    assert (out[17:20, 10:13] == CLOTHES).all()  # but nothing else of the body changes
    assert (out[10:15, 13:15] == SKIN).all()  # its "background" changes nothing: the matte decides
    assert (out[10:12, 5:8] == 0).all()  # nor is the matte's background made person
    assert (out[:10] == SKIN).all()  # outside its box nothing changes


def layer(alpha: np.ndarray, colour: tuple[int, int, int]) -> SuitLayer:
    rgb = np.zeros((*alpha.shape, 3), np.uint8)
    rgb[:] = colour
    return SuitLayer(rgb=rgb, alpha=alpha.astype(np.float32), collar=np.zeros_like(alpha, np.float32))


def test_the_suit_goes_over_the_kept_neck_but_under_face_and_hair():
    foreground = np.full((4, 4, 3), 200, np.uint8)
    kept = np.zeros((4, 4), np.float32)
    kept[0:2] = 1.0  # row 0: hair (front), row 1: neck
    front = np.zeros((4, 4), np.float32)
    front[0] = 1.0
    suit = layer(np.ones((4, 4)), (10, 20, 30))

    dressed = dress(foreground, kept, front, suit)

    assert (dressed.foreground[0] == 200).all()  # hair stays over the suit
    assert (dressed.foreground[1] == (10, 20, 30)).all()  # the collar covers the neck where it reaches
    assert (dressed.foreground[2:] == (10, 20, 30)).all()
    assert np.allclose(dressed.alpha, 1.0)


def test_old_clothes_the_suit_does_not_reach_are_removed():
    foreground = np.full((2, 2, 3), 90, np.uint8)
    kept = np.zeros((2, 2), np.float32)  # all clothes
    front = np.zeros((2, 2), np.float32)
    suit = layer(np.array([[1.0, 0.0], [1.0, 0.0]]), (10, 20, 30))

    dressed = dress(foreground, kept, front, suit)

    assert dressed.alpha[:, 1].max() == 0.0
    assert dressed.alpha[:, 0].min() == 1.0


def test_where_the_face_fades_into_the_neck_the_person_stays_opaque():
    foreground = np.full((1, 3, 3), 120, np.uint8)
    kept = np.ones((1, 3), np.float32)  # face above, neck below: all of it kept
    front = np.array([[1.0, 0.5, 0.0]], np.float32)  # the face's soft lower edge
    no_suit = layer(np.zeros((1, 3)), (0, 0, 0))

    dressed = dress(foreground, kept, front, no_suit)

    assert np.allclose(dressed.alpha, 1.0)
    assert (dressed.foreground == 120).all()


def test_soft_hair_edges_blend_over_the_suit():
    foreground = np.full((1, 1, 3), 200, np.uint8)
    half = np.full((1, 1), 0.5, np.float32)
    suit = layer(np.ones((1, 1)), (0, 0, 0))

    dressed = dress(foreground, half, half, suit)

    assert dressed.alpha[0, 0] == pytest.approx(1.0)
    assert dressed.foreground[0, 0, 0] == pytest.approx(100, abs=1)
