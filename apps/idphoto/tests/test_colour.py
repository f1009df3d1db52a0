"""Personal-colour analysis and background recommendation (apps/idphoto/pipeline/colour.py).

The fast tests paint a cartoon portrait whose skin, hair, eyes, lips and clothes have known colours,
laid out on a face-mesh landmark set built by hand. The tests marked ``models`` run mediapipe on
real photos.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace

import cv2
import numpy as np
import pytest

from apps.idphoto.pipeline import colour
from apps.idphoto.pipeline.colour import (
    PALETTES,
    ColourProfile,
    analyse_personal_colour,
    recommend_backgrounds,
    rgb_to_lab,
)
from apps.idphoto.pipeline.faces import FACE_OVAL
from apps.idphoto.services import matte_photo
from tests.images import astronaut, shared_photo

OBAMA = "faces/face_recognition/examples/obama.jpg"
# Long copper hair on a dark backdrop: side-lit, cropped at the crown (img1); under flash (img2).
ROSE = (
    "faces/face_recognition/examples/knn_examples/train/rose_leslie/img1.jpg",
    "faces/face_recognition/examples/knn_examples/train/rose_leslie/img2.jpg",
)
ALEX = "faces/face_recognition/examples/knn_examples/test/alex_lacamoire1.jpg"  # black curls

WARM_SKIN = (226, 186, 146)  # Lab about (78, 9, 26): hue 71°, yellow-leaning
PINK_SKIN = (232, 184, 186)  # Lab about (79, 18, 6): hue 18°, pink-leaning
BLACK_HAIR = (28, 24, 24)
BLONDE_HAIR = (222, 190, 125)
LIT_COPPER = (144, 95, 71)  # Lab about (45, 17, 22): copper hair where the light falls on it
SHADOWED_COPPER = (56, 32, 20)  # Lab about (15, 10, 13): the same hair in shadow
BLACK_HAIR_SHEEN = (95, 90, 90)  # Lab about (39, 2, 1): light on black hair, a grey with no colour of its own
LIPS = (185, 85, 100)
TEETH = (235, 230, 220)
BLUE_IRIS = (70, 110, 150)
SCLERA = (240, 240, 235)
NAVY = (28, 36, 72)
POWDER_BLUE = (198, 217, 234)
GREEN_SCREEN = (60, 170, 80)  # the old background, outside the matte


@dataclass(frozen=True)
class Portrait:
    rgb: np.ndarray
    alpha: np.ndarray
    landmarks: np.ndarray


def lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    return tuple(float(v) for v in rgb_to_lab(np.asarray([rgb], np.uint8))[0])


def delta_e(first, second) -> float:
    return math.dist(first, second)


def ellipse(centre: tuple[float, float], half: tuple[float, float], count: int, start_deg: float = 0.0) -> np.ndarray:
    angles = np.radians(start_deg + np.arange(count) * 360.0 / count)
    return np.stack([centre[0] + half[0] * np.cos(angles), centre[1] + half[1] * np.sin(angles)], axis=1)


def cartoon_landmarks(with_iris: bool = True) -> np.ndarray:
    """A 400x400 frontal face: oval from (140, 95) to (260, 255), eyes at y 155, mouth at y 225.

    Only the points the analysis reads are placed; the rest sit at the face centre.
    """
    points = np.tile(np.float32([200, 175]), (478, 1))

    def place(indices: tuple[int, ...], xy: np.ndarray) -> None:
        points[list(indices)] = xy

    place(colour.RIGHT_CHEEK, ellipse((170, 190), (12, 10), len(colour.RIGHT_CHEEK)))
    place(colour.LEFT_CHEEK, ellipse((230, 190), (12, 10), len(colour.LEFT_CHEEK)))
    # The forehead patch's upper edge is the oval's top, placed below; these close it at y 130.
    place((299, 337, 151, 108, 69), np.float32([[230, 128], [215, 130], [200, 130], [185, 130], [170, 128]]))
    place(colour.LIPS_OUTER, ellipse((200, 225), (24, 10), len(colour.LIPS_OUTER)))
    place(colour.LIPS_INNER, ellipse((200, 225), (16, 4), len(colour.LIPS_INNER)))
    for contour, iris, x in ((colour.RIGHT_EYE, colour.RIGHT_IRIS, 175), (colour.LEFT_EYE, colour.LEFT_IRIS, 225)):
        place(contour, ellipse((x, 155), (14, 6), len(contour)))
        place(iris, np.float32([[x, 155], [x + 5.5, 155], [x, 149.5], [x - 5.5, 155], [x, 160.5]]))
    # FACE_OVAL runs clockwise from the top (landmark 10) to the chin (152) and back.
    place(FACE_OVAL, ellipse((200, 175), (60, 80), len(FACE_OVAL), start_deg=-90))
    return points if with_iris else points[:468].copy()


def paint_portrait(
    skin: tuple[int, int, int] = WARM_SKIN,
    hair: tuple[int, int, int] | None = BLACK_HAIR,
    clothing: tuple[int, int, int] = NAVY,
    iris: tuple[int, int, int] = BLUE_IRIS,
    with_iris: bool = True,
) -> Portrait:
    """The cartoon face painted with known colours; ``hair=None`` paints a bald head."""
    landmarks = cartoon_landmarks(with_iris)
    full = cartoon_landmarks(True)
    rgb = np.full((400, 400, 3), GREEN_SCREEN, np.uint8)
    alpha = np.zeros((400, 400), np.float32)
    cv2.ellipse(alpha, (200, 160), (80, 100), 0, 0, 360, 1.0, -1)
    cv2.ellipse(rgb, (200, 160), (80, 100), 0, 0, 360, hair or skin, -1)
    alpha[240:, 180:221] = 1.0
    rgb[240:, 180:221] = skin
    alpha[265:, 70:331] = 1.0
    rgb[265:, 70:331] = clothing
    cv2.fillPoly(rgb, [np.round(full[list(FACE_OVAL)]).astype(np.int32)], skin)
    cv2.fillPoly(rgb, [np.round(full[list(colour.LIPS_OUTER)]).astype(np.int32)], LIPS)
    cv2.fillPoly(rgb, [np.round(full[list(colour.LIPS_INNER)]).astype(np.int32)], TEETH)
    for contour, x in ((colour.RIGHT_EYE, 175), (colour.LEFT_EYE, 225)):
        cv2.fillPoly(rgb, [np.round(full[list(contour)]).astype(np.int32)], SCLERA)
        cv2.circle(rgb, (x, 155), 5, iris, -1)
        cv2.circle(rgb, (x, 155), 2, (5, 5, 5), -1)
        rgb[152, x + 2] = (255, 255, 255)
    return Portrait(rgb=rgb, alpha=alpha, landmarks=landmarks)


def profile(**changes) -> ColourProfile:
    """A fair, cool, light person with no clothes measured; tests change what they are about."""
    base = ColourProfile(
        skin_lab=(80.0, 14.0, 12.0),
        hair_lab=(45.0, 4.0, 12.0),
        eye_lab=(45.0, -2.0, -20.0),
        lip_lab=(55.0, 35.0, 12.0),
        clothing_lab=None,
        undertone="cool",
        value="light",
        chroma="muted",
        contrast="medium",
        season="summer",
    )
    return replace(base, **changes)


def candidate_labs(candidates) -> list[tuple[float, float, float]]:
    return [lab(c.rgb) for c in candidates]


# --- Measuring ------------------------------------------------------------------------------------


def test_it_measures_each_painted_region_as_its_own_colour():
    portrait = paint_portrait(skin=WARM_SKIN, hair=BLACK_HAIR, clothing=NAVY, iris=BLUE_IRIS)

    result = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    assert delta_e(result.skin_lab, lab(WARM_SKIN)) < 1
    assert delta_e(result.hair_lab, lab(BLACK_HAIR)) < 1
    assert delta_e(result.lip_lab, lab(LIPS)) < 1
    assert delta_e(result.clothing_lab, lab(NAVY)) < 1
    assert delta_e(result.eye_lab, lab(BLUE_IRIS)) < 3  # not the pupil, the catch-light or the white


def test_it_measures_the_eyes_without_iris_landmarks():
    portrait = paint_portrait(with_iris=False)

    result = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    assert len(portrait.landmarks) == 468
    assert delta_e(result.eye_lab, lab(BLUE_IRIS)) < 3


def test_it_ignores_the_old_background_outside_the_matte():
    portrait = paint_portrait()
    other = portrait.rgb.copy()
    other[portrait.alpha < 0.5] = (250, 20, 200)

    assert analyse_personal_colour(other, portrait.alpha, portrait.landmarks) == analyse_personal_colour(
        portrait.rgb, portrait.alpha, portrait.landmarks
    )


def test_a_bald_head_has_no_hair_colour_and_contrast_falls_back_to_the_eyes():
    portrait = paint_portrait(skin=WARM_SKIN, hair=None, iris=(40, 30, 25))

    result = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    assert result.hair_lab is None
    assert result.contrast == "high"  # dark brown eyes (L* ~13) on light skin (L* ~78)


def test_a_face_too_small_to_measure_is_refused():
    portrait = paint_portrait()
    tiny = (portrait.landmarks - 200) * 0.02 + 200

    with pytest.raises(ValueError, match="too small"):
        analyse_personal_colour(portrait.rgb, portrait.alpha, tiny)


def test_a_face_cut_off_by_the_frame_still_gets_a_profile():
    portrait = paint_portrait()
    landmarks = portrait.landmarks - (0, 120)  # the photo starts at the brows: no crown, no forehead

    result = analyse_personal_colour(portrait.rgb[120:], portrait.alpha[120:], landmarks)

    assert delta_e(result.skin_lab, lab(WARM_SKIN)) < 1
    assert delta_e(result.hair_lab, lab(BLACK_HAIR)) < 1  # still seen at the temples
    assert len(recommend_backgrounds(result)) == 6

    at_the_eyes = analyse_personal_colour(portrait.rgb[152:], portrait.alpha[152:], portrait.landmarks - (0, 152))

    assert at_the_eyes.hair_lab is None


def grained(colour: tuple[int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """``colour`` with a deterministic grain of -2..2 per channel, so lightness percentiles fall between
    pixels as they do in a photo rather than on one flat value."""
    ys, xs = np.indices(shape)
    return np.clip(np.asarray(colour) + ((ys + 2 * xs) % 5 - 2)[..., None], 0, 255).astype(np.uint8)


def test_long_hair_is_measured_where_it_is_lit_not_in_its_shadowed_crown():
    portrait = paint_portrait(hair=SHADOWED_COPPER)
    rgb, alpha = portrait.rgb.copy(), portrait.alpha.copy()
    crown = np.all(rgb == SHADOWED_COPPER, axis=2)
    # Lit hair falls beside the face from the eyes to the chin; the crown in shadow is still most of it.
    falls = np.zeros(alpha.shape, bool)
    falls[150:256, 120:150] = falls[150:256, 250:280] = True
    falls &= crown | (alpha == 0)
    rgb[crown] = grained(SHADOWED_COPPER, alpha.shape)[crown]
    rgb[falls], alpha[falls] = grained(LIT_COPPER, alpha.shape)[falls], 1.0

    result = analyse_personal_colour(rgb, alpha, portrait.landmarks)

    assert delta_e(result.hair_lab, lab(LIT_COPPER)) < 2


def test_sheen_on_black_hair_does_not_lighten_it():
    portrait = paint_portrait(hair=BLACK_HAIR)
    rgb = portrait.rgb.copy()
    hair = np.all(rgb == BLACK_HAIR, axis=2)
    sheen = hair.copy()
    sheen[1::3] = sheen[2::3] = False  # a third of the hair catches the light
    rgb[hair] = grained(BLACK_HAIR, hair.shape)[hair]
    rgb[sheen] = grained(BLACK_HAIR_SHEEN, hair.shape)[sheen]

    result = analyse_personal_colour(rgb, portrait.alpha, portrait.landmarks)

    assert delta_e(result.hair_lab, lab(BLACK_HAIR)) < 2


def test_it_leaves_its_inputs_untouched_and_gives_the_same_answer_twice():
    portrait = paint_portrait()
    rgb, alpha, landmarks = portrait.rgb.copy(), portrait.alpha.copy(), portrait.landmarks.copy()

    first = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)
    second = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)
    recommend_backgrounds(first)

    assert first == second
    assert recommend_backgrounds(first) == recommend_backgrounds(second)
    np.testing.assert_array_equal(portrait.rgb, rgb)
    np.testing.assert_array_equal(portrait.alpha, alpha)
    np.testing.assert_array_equal(portrait.landmarks, landmarks)


def test_a_big_photo_is_measured_like_its_smaller_copy():
    portrait = paint_portrait()
    big = cv2.resize(portrait.rgb, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)
    big_alpha = cv2.resize(portrait.alpha, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)

    small = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)
    large = analyse_personal_colour(big, big_alpha, portrait.landmarks * 4 + 1.5)

    assert delta_e(large.skin_lab, small.skin_lab) < 1
    assert delta_e(large.hair_lab, small.hair_lab) < 1
    assert delta_e(large.clothing_lab, small.clothing_lab) < 1
    assert (large.undertone, large.value, large.season) == (small.undertone, small.value, small.season)


# --- Classifying ----------------------------------------------------------------------------------


def test_yellowish_skin_reads_warm():
    portrait = paint_portrait(skin=WARM_SKIN)

    assert analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks).undertone == "warm"


def test_pinkish_skin_reads_cool():
    portrait = paint_portrait(skin=PINK_SKIN)

    assert analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks).undertone == "cool"


def test_undertone_follows_the_skin_hue_angle():
    assert colour.classify_undertone((70.0, 10.0, 25.0)) == "warm"  # 68°
    assert colour.classify_undertone((70.0, 15.0, 17.0)) == "neutral"  # 49°
    assert colour.classify_undertone((70.0, 16.0, 10.0)) == "cool"  # 32°


def test_value_reads_the_skin_with_a_quarter_of_the_hair():
    assert colour.classify_value((80.0, 10.0, 15.0), (70.0, 3.0, 25.0)) == "light"
    assert colour.classify_value((72.0, 10.0, 15.0), (10.0, 1.0, 1.0)) == "medium"  # dark hair deepens it
    assert colour.classify_value((45.0, 12.0, 20.0), None) == "deep"


def test_contrast_is_the_lightness_gap_between_hair_and_skin():
    skin = (75.0, 12.0, 18.0)

    assert colour.classify_contrast(skin, (15.0, 1.0, 1.0), None) == "high"
    assert colour.classify_contrast(skin, (50.0, 5.0, 20.0), None) == "medium"
    assert colour.classify_contrast(skin, (68.0, 3.0, 28.0), None) == "low"
    assert colour.classify_contrast(skin, None, (30.0, 5.0, 10.0)) == "high"
    assert colour.classify_contrast(skin, None, None) == "medium"


@pytest.mark.parametrize(
    ("undertone", "value", "chroma", "contrast", "season"),
    [
        ("warm", "light", "bright", "medium", "spring"),
        ("cool", "light", "muted", "low", "summer"),
        ("warm", "deep", "muted", "medium", "autumn"),
        ("cool", "deep", "bright", "high", "winter"),
        ("warm", "medium", "muted", "low", "autumn"),
        ("cool", "medium", "bright", "high", "winter"),
    ],
)
def test_the_four_seasons_follow_undertone_then_value_chroma_and_contrast(undertone, value, chroma, contrast, season):
    skin = (70.0, 12.0, 20.0)

    assert colour.classify_season(undertone, value, chroma, contrast, skin) == season


def test_a_neutral_undertone_is_decided_by_the_other_traits():
    neutral_skin = (70.0, 15.0, 17.0)

    assert colour.classify_season("neutral", "light", "muted", "low", neutral_skin) == "summer"
    assert colour.classify_season("neutral", "deep", "bright", "high", neutral_skin) == "winter"
    assert colour.classify_season("neutral", "deep", "muted", "medium", neutral_skin) == "autumn"
    assert colour.classify_season("neutral", "light", "bright", "medium", neutral_skin) == "spring"


def test_measured_colours_get_plain_names_for_the_reasons():
    assert colour.colour_name(lab(NAVY)) == "dark navy"
    assert colour.colour_name(lab((235, 110, 40))) == "orange"
    assert colour.colour_name(lab((200, 200, 200))) == "light grey"
    assert colour.colour_name(lab(POWDER_BLUE)) == "light blue"
    assert colour.hair_name(lab(BLACK_HAIR)) == "black"
    assert colour.hair_name(lab(BLONDE_HAIR)) == "blonde"
    assert colour.hair_name(lab((100, 70, 45))) == "dark brown"
    assert colour.hair_name(lab(LIT_COPPER)) == "auburn"
    assert colour.hair_name(lab((150, 150, 150))) == "grey"
    assert colour.hair_name((63.0, 8.0, 14.0)) == "silver"  # white hair under warm light


def test_a_profile_survives_a_round_trip_through_json():
    portrait = paint_portrait()
    result = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    stored = json.loads(json.dumps(result.to_dict()))
    restored = ColourProfile.from_dict(stored)

    assert stored["season"] == result.season
    assert stored["hair_lab"] == [round(v, 2) for v in result.hair_lab]
    assert delta_e(restored.skin_lab, result.skin_lab) < 0.01
    assert restored.season == result.season


# --- Recommending ---------------------------------------------------------------------------------


def test_it_returns_distinct_well_formed_candidates_best_first():
    candidates = recommend_backgrounds(profile())

    assert len(candidates) >= 5
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert len({c.hex for c in candidates}) == len(candidates)
    labs = candidate_labs(candidates)
    assert min(delta_e(a, b) for i, a in enumerate(labs) for b in labs[i + 1 :]) >= colour.DISTINCT_DE
    for candidate in candidates:
        assert re.fullmatch(r"#[0-9a-f]{6}", candidate.hex)
        assert candidate.rgb == tuple(int(candidate.hex[i : i + 2], 16) for i in (1, 3, 5))
        assert candidate.palette in colour.SEASONS
        assert 0 < candidate.score <= 1
        assert json.loads(json.dumps(candidate.to_dict()))["hex"] == candidate.hex


def test_count_sets_how_many_come_back():
    assert len(recommend_backgrounds(profile(), count=10)) == 10
    assert len(recommend_backgrounds(profile(), count=1)) == 1
    with pytest.raises(ValueError):
        recommend_backgrounds(profile(), count=0)


@pytest.mark.parametrize("season", colour.SEASONS)
def test_the_best_background_comes_from_the_persons_own_season(season):
    person = profile(season=season, undertone=colour.SEASON_UNDERTONE[season], value=colour.SEASON_VALUE[season])

    assert recommend_backgrounds(person)[0].palette == season


def test_no_background_is_close_to_navy_clothes():
    portrait = paint_portrait(clothing=NAVY)
    person = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    assert all(delta_e(background, lab(NAVY)) > 30 for background in candidate_labs(recommend_backgrounds(person)))


def test_a_background_the_clothes_would_dissolve_into_is_dropped():
    near_powder_blue = [
        c.hex for c in recommend_backgrounds(profile()) if delta_e(lab(c.rgb), lab(POWDER_BLUE)) < colour.CLOTHING_DE[0]
    ]
    in_powder_blue = recommend_backgrounds(profile(clothing_lab=lab(POWDER_BLUE)))

    assert near_powder_blue, "without clothes measured, powder blue suits this summer person"
    assert all(delta_e(background, lab(POWDER_BLUE)) > 10 for background in candidate_labs(in_powder_blue))
    assert len(in_powder_blue) == 6


def test_black_hair_gets_no_dark_background():
    winter = profile(undertone="cool", value="medium", chroma="bright", contrast="high", season="winter")
    grey_haired = recommend_backgrounds(replace(winter, hair_lab=(75.0, 0.0, 4.0)))
    black_haired = recommend_backgrounds(replace(winter, hair_lab=(12.0, 1.0, 1.0)))

    assert any(background[0] < 50 for background in candidate_labs(grey_haired)), "slate suits a grey-haired winter"
    assert all(background[0] > 50 for background in candidate_labs(black_haired))


def test_blonde_hair_gets_no_near_white_background():
    spring = profile(skin_lab=(80.0, 9.0, 24.0), undertone="warm", chroma="bright", contrast="low", season="spring")
    dark_haired = recommend_backgrounds(replace(spring, hair_lab=(25.0, 6.0, 10.0)))
    blonde = recommend_backgrounds(replace(spring, hair_lab=lab(BLONDE_HAIR)))

    assert any(background[0] > 93 for background in candidate_labs(dark_haired)), "ivory suits a dark-haired spring"
    assert all(background[0] <= 93 for background in candidate_labs(blonde))


def test_each_reason_names_the_measured_traits_and_what_sets_the_person_apart():
    portrait = paint_portrait(skin=PINK_SKIN, hair=BLACK_HAIR, clothing=NAVY)
    person = analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)

    for candidate in recommend_backgrounds(person):
        reason = candidate.reason
        assert reason.endswith(".") and reason.count(".") == 1
        for trait in (person.undertone, person.value, person.chroma, person.contrast, person.season):
            assert trait in reason
        assert "navy clothes" in reason
        assert "black hair" in reason


def test_reasons_differ_with_the_person():
    pale_blonde = recommend_backgrounds(profile(hair_lab=lab(BLONDE_HAIR), clothing_lab=lab(NAVY)))
    dark_haired = recommend_backgrounds(profile(hair_lab=(12.0, 1.0, 1.0), clothing_lab=lab(POWDER_BLUE)))

    assert "blonde hair" in pale_blonde[0].reason and "navy clothes" in pale_blonde[0].reason
    assert "black hair" in dark_haired[0].reason and "light blue clothes" in dark_haired[0].reason


def test_without_hair_or_clothes_the_reason_still_says_why_it_stands_out():
    reason = recommend_backgrounds(profile(hair_lab=None, clothing_lab=None))[0].reason

    assert "your face stands out clearly against it" in reason


def test_the_palettes_are_plain_id_backgrounds():
    labs = [lab(colour.hex_to_rgb(c.hex)) for c in PALETTES]

    assert {c.palette for c in PALETTES} == set(colour.SEASONS)
    assert len({c.hex for c in PALETTES}) == len(PALETTES)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c.hex) for c in PALETTES)
    assert all(background[0] >= 40 for background in labs)  # nothing near black
    assert {"#ffffff", "#e3e5e8", "#aecbe8"} <= {c.hex for c in PALETTES}  # ID white, light grey, light blue


# --- Real photos, real models ---------------------------------------------------------------------


def mediapipe_portrait(rgb: np.ndarray) -> Portrait:
    mp = pytest.importorskip("mediapipe")
    height, width = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=True) as mesh:
        found = mesh.process(rgb)
    assert found.multi_face_landmarks, "mediapipe found no face"
    landmarks = np.float32([(p.x * width, p.y * height) for p in found.multi_face_landmarks[0].landmark])
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as segmentation:
        alpha = segmentation.process(rgb).segmentation_mask
    return Portrait(rgb=rgb, alpha=np.asarray(alpha, np.float32), landmarks=landmarks)


@pytest.fixture(scope="module")
def real_astronaut() -> Portrait:
    return mediapipe_portrait(astronaut())


@pytest.fixture(scope="module")
def real_obama() -> Portrait:
    return mediapipe_portrait(shared_photo(OBAMA))


def analysed(portrait: Portrait) -> ColourProfile:
    return analyse_personal_colour(portrait.rgb, portrait.alpha, portrait.landmarks)


def mesh_rings(connections: frozenset[tuple[int, int]]) -> list[list[int]]:
    """The closed loops of a mediapipe connection set, each in walking order."""
    neighbours: dict[int, list[int]] = {}
    for a, b in connections:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    rings, seen = [], set()
    for start in sorted(neighbours):
        if start in seen:
            continue
        ring, previous, point = [start], None, start
        while True:
            following = next(n for n in neighbours[point] if n != previous)
            if following == start:
                break
            ring.append(following)
            previous, point = point, following
        seen.update(ring)
        rings.append(ring)
    return rings


@pytest.mark.models
def test_skin_lips_and_irises_come_only_from_their_own_parts_of_a_real_face(real_astronaut):
    # Features painted over mediapipe's own contour sets, not over this module's index lists.
    from mediapipe.python.solutions import face_mesh_connections as mesh

    points = real_astronaut.landmarks
    skin, feature, lips, mouth = (200, 150, 120), (90, 60, 40), (185, 85, 100), (235, 230, 220)
    rgb = np.full_like(real_astronaut.rgb, skin)
    for part in (
        mesh.FACEMESH_LEFT_EYE,
        mesh.FACEMESH_RIGHT_EYE,
        mesh.FACEMESH_LEFT_EYEBROW,
        mesh.FACEMESH_RIGHT_EYEBROW,
        mesh.FACEMESH_NOSE,
    ):
        indices = sorted({i for edge in part for i in edge})
        cv2.fillConvexPoly(rgb, cv2.convexHull(np.round(points[indices]).astype(np.int32)), feature)
    outer, inner = sorted(mesh_rings(mesh.FACEMESH_LIPS), key=lambda ring: -cv2.contourArea(points[ring]))
    cv2.fillPoly(rgb, [np.round(points[outer]).astype(np.int32)], lips)
    cv2.fillPoly(rgb, [np.round(points[inner]).astype(np.int32)], mouth)

    skin_pixels = colour.skin_pixels(rgb, points)
    lip_pixels = colour.lip_pixels(rgb, points)
    iris_pixels = colour.iris_pixels(rgb, points)

    assert len(skin_pixels) > 500 and np.all(skin_pixels == skin)
    assert len(lip_pixels) > 100 and np.all(lip_pixels == lips)
    assert len(iris_pixels) > 20 and not np.any(np.all(iris_pixels == skin, axis=1))


@pytest.mark.models
def test_the_astronaut_wears_orange(real_astronaut):
    lightness, a, b = analysed(real_astronaut).clothing_lab

    assert a > 15 and b > 20


@pytest.mark.models
def test_obama_wears_dark_clothes(real_obama):
    assert analysed(real_obama).clothing_lab[0] < 35


@pytest.mark.models
def test_the_astronauts_hair_is_lighter_and_warmer_than_obamas(real_astronaut, real_obama):
    hers, his = analysed(real_astronaut).hair_lab, analysed(real_obama).hair_lab

    assert hers[0] > his[0]
    assert hers[2] > his[2] + 10  # b*: golden brown against grey-black


@pytest.mark.models
def test_real_skin_is_measured_as_plausible_skin(real_astronaut, real_obama):
    for person in (analysed(real_astronaut), analysed(real_obama)):
        lightness, a, b = person.skin_lab
        assert 40 < lightness < 90 and 0 < a < b  # every photographed skin is more yellow than red in Lab


@pytest.mark.models
def test_real_candidates_stay_clear_of_the_clothes(real_astronaut, real_obama):
    for person in (analysed(real_astronaut), analysed(real_obama)):
        candidates = recommend_backgrounds(person)

        assert len(candidates) >= 5
        assert all(delta_e(background, person.clothing_lab) > 25 for background in candidate_labs(candidates))
        assert all(person.season in c.reason for c in candidates)


def matted(rgb: np.ndarray) -> ColourProfile:
    """The profile the site computes: the service's own face mesh and matte, not mediapipe's raw mask."""
    photo = matte_photo(rgb)
    return analyse_personal_colour(rgb, photo.matte.alpha, photo.landmarks)


@pytest.fixture(scope="module", params=ROSE, ids=("side-lit", "flash"))
def copper_haired(request) -> ColourProfile:
    return matted(shared_photo(request.param))


@pytest.mark.models
def test_long_copper_hair_reads_warm_and_not_dark(copper_haired):
    lightness, a, b = copper_haired.hair_lab

    assert lightness > 25 and b > 15
    assert 20 < colour.hue_deg(copper_haired.hair_lab) < 75


@pytest.mark.models
def test_the_reasons_do_not_call_copper_hair_black_or_dark(copper_haired):
    name = colour.hair_name(copper_haired.hair_lab)

    assert "black" not in name and "dark" not in name
    assert all(f"your {name} hair keeps" in c.reason for c in recommend_backgrounds(copper_haired))


@pytest.mark.models
def test_black_and_greying_short_hair_still_read_dark():
    alex, obama = matted(shared_photo(ALEX)), matted(shared_photo(OBAMA))

    assert alex.hair_lab[0] < 35 and colour.hair_name(alex.hair_lab) == "black"
    assert obama.hair_lab[0] < 45 and colour.chroma_of(obama.hair_lab) < 8  # grey-black: not lifted, not brown


@pytest.mark.models
def test_the_astronauts_hair_reads_light_brown_through_the_site_pipeline():
    hair = matted(astronaut()).hair_lab

    assert colour.hair_name(hair) in {"brown", "light brown"}
    assert 70 < colour.hue_deg(hair) < 100  # golden, not red
