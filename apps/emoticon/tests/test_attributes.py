"""Mask, glasses, frame shape, skin tone, hair and proportions measured from landmarks and pixels
(apps/emoticon/pipeline/attributes.py).

Glasses, masks and beards are drawn onto real faces with the face's own landmarks, so each test
knows the truth; the undrawn photo is the control. Two tests measure accuracy on real photos from
../shared/data/face_mask: masks on the first 150 images of each class, and glasses on the first 150
unmasked faces, labelled by eye for this test. Tests marked ``models`` run mediapipe's face mesh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from apps.emoticon.pipeline import attributes
from apps.emoticon.pipeline.attributes import (
    ENGINE_LANDMARK_PIXEL,
    FaceNotMeasurable,
    detect_glasses,
    detect_mask,
    face_shape,
    frame_shape,
    hair_colour,
    measure_attributes,
    skin_tone,
)
from apps.emoticon.pipeline.types import FRAME_SHAPES, GLASSES, MONK_SCALE, Attributes
from apps.idphoto.pipeline.colour import LEFT_CHEEK, LIPS_OUTER, RIGHT_CHEEK, hex_to_rgb, rgb_to_lab
from apps.idphoto.pipeline.faces import (
    CHIN,
    FACE_OVAL,
    LEFT_EYE_CORNERS,
    LEFT_IRIS,
    RIGHT_EYE_CORNERS,
    RIGHT_IRIS,
)
from tests.images import SHARED_DATA, astronaut, shared_photo

OBAMA = "faces/face_recognition/examples/obama.jpg"
BIDEN = "faces/face_recognition/examples/biden.jpg"
LACAMOIRE = "faces/face_recognition/examples/alex-lacamoire.png"  # short beard, no glasses
# Two photos of Kit Harington with a full dark beard, and a short one.
BEARDS = (
    "faces/face_recognition/examples/knn_examples/train/kit_harington/john2.jpeg",
    "faces/face_recognition/examples/knn_examples/test/johnsnow_test1.jpg",
    LACAMOIRE,
)
FACE_MASK = SHARED_DATA / "face_mask"
SAMPLE_SIZE = 150  # per class, the first by file name
# Glasses in the first 150 of face_mask/without_mask, by eye; every other face there wears none.
LABELLED_GLASSES = {
    "0_0_anhu_0209.jpg": "sunglasses",
    "0_0_dongchengpeng_0001.jpg": "eyeglasses",
    "0_0_dongchengpeng_0005.jpg": "eyeglasses",
    "0_0_dongchengpeng_0021.jpg": "eyeglasses",
    "0_0_dongchengpeng_0042.jpg": "eyeglasses",
    "0_0_huxia_0097.jpg": "eyeglasses",
    "0_0_huxia_0121.jpg": "eyeglasses",
    "0_0_linyilun_0046.jpg": "eyeglasses",
    "0_0_lixingliang_0013.jpg": "eyeglasses",
    "0_0_lixingliang_0033.jpg": "eyeglasses",
}
# From under the nose round the jaw: where a drawn beard grows.
LOWER_FACE_OUTLINE = (
    2, 97, 98, 203, 206, 216, 212, 202, 210, 169, 150, 149, 176, 148, 152,
    377, 400, 378, 379, 394, 430, 422, 432, 436, 426, 423, 327, 326,
)  # fmt: skip
SURGICAL_MASK_OUTLINE = (93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288,
                         361, 323, 425, 327, 2, 98, 205)  # fmt: skip
LIGHT_BLUE = (150, 195, 225)

Finder = Callable[[np.ndarray], "np.ndarray | None"]


# --- Real faces, found once per module -------------------------------------------------------------


@pytest.fixture(scope="module")
def find_landmarks() -> Iterator[Finder]:
    mp = pytest.importorskip("mediapipe")
    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.3
    )

    def find(rgb: np.ndarray) -> np.ndarray | None:
        found = mesh.process(rgb)
        if not found.multi_face_landmarks:
            return None
        height, width = rgb.shape[:2]
        return np.float32([(p.x * width, p.y * height) for p in found.multi_face_landmarks[0].landmark])

    yield find
    mesh.close()


def portrait(find: Finder, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    landmarks = find(rgb)
    assert landmarks is not None, "mediapipe found no face"
    return rgb, landmarks


@pytest.fixture(scope="module")
def astronaut_face(find_landmarks) -> tuple[np.ndarray, np.ndarray]:
    return portrait(find_landmarks, astronaut())


@pytest.fixture(scope="module")
def obama_face(find_landmarks) -> tuple[np.ndarray, np.ndarray]:
    return portrait(find_landmarks, shared_photo(OBAMA))


@pytest.fixture(scope="module", params=["astronaut", "obama"])
def face(request) -> tuple[np.ndarray, np.ndarray]:
    return request.getfixturevalue(f"{request.param}_face")


def small_photo_landmarks(find: Finder, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """face_mask photos are at most 256 px: the mesh finds far more faces in them at twice the size."""
    rgb = np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB")))
    if max(rgb.shape[:2]) < 256:
        rgb = cv2.resize(rgb, (rgb.shape[1] * 2, rgb.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
    return rgb, find(rgb)


def face_mask_sample(find: Finder, kind: str) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    folder = FACE_MASK / kind
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the shared data folder is not beside this checkout")
    names = sorted(path.name for path in folder.iterdir())[:SAMPLE_SIZE]
    return [(name, *small_photo_landmarks(find, folder / name)) for name in names]


@pytest.fixture(scope="module")
def masked_sample(find_landmarks):
    return face_mask_sample(find_landmarks, "with_mask")


@pytest.fixture(scope="module")
def unmasked_sample(find_landmarks):
    return face_mask_sample(find_landmarks, "without_mask")


# --- Drawing accessories with the face's own landmarks ------------------------------------------------


def eyes(landmarks: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """(pupil, eye width) for the person's right then left eye."""
    return [
        (landmarks[iris].astype(np.float64), float(np.linalg.norm(landmarks[a] - landmarks[b])))
        for iris, (a, b) in ((RIGHT_IRIS, RIGHT_EYE_CORNERS), (LEFT_IRIS, LEFT_EYE_CORNERS))
    ]


def draw_glasses(
    rgb: np.ndarray,
    landmarks: np.ndarray,
    shape: str,
    thickness: int = 4,
    colour: tuple[int, int, int] = (25, 25, 28),
    lens: tuple[int, int, int] | None = None,
) -> np.ndarray:
    """Two rims ("round" circles or "square" rectangles) around the eyes, a bridge, optionally tinted lenses."""
    out = rgb.copy()
    (right, width_r), (left, width_l) = eyes(landmarks)
    width = (width_r + width_l) / 2
    roll = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    along = np.array([np.cos(np.radians(roll)), np.sin(np.radians(roll))])
    inner_ends = []
    for pupil, side in ((right, 1), (left, -1)):
        centre = pupil + (0.0, 0.12 * width)
        half = (0.8 * width, 0.8 * width) if shape == "round" else (0.9 * width, 0.62 * width)
        if shape == "round":
            outline = cv2.ellipse2Poly(tuple(np.round(centre).astype(int)), tuple(round(h) for h in half), round(roll),
                                       0, 360, 5)  # fmt: skip
        else:
            outline = np.round(cv2.boxPoints(((centre[0], centre[1]), (2 * half[0], 2 * half[1]), roll))).astype(int)
        if lens is not None:
            tinted = out.copy()
            cv2.fillPoly(tinted, [outline], lens)
            out = cv2.addWeighted(tinted, 0.9, out, 0.1, 0)
        cv2.polylines(out, [outline], True, colour, thickness, cv2.LINE_AA)
        inner_ends.append(centre + side * along * half[0] - (0.0, 0.15 * width))
    ends = [tuple(int(v) for v in np.round(end)) for end in inner_ends]
    cv2.line(out, ends[0], ends[1], colour, thickness, cv2.LINE_AA)
    return out


def fill(rgb: np.ndarray, landmarks: np.ndarray, indices: tuple[int, ...], colour: np.ndarray | tuple) -> np.ndarray:
    out = rgb.copy()
    region = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(region, [np.round(landmarks[list(indices)]).astype(np.int32)], 1)
    out[region.astype(bool)] = colour if isinstance(colour, tuple) else colour[region.astype(bool)]
    return out


def draw_surgical_mask(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A flat light-blue mask from just below the nose over the lower face to the chin, pleats included."""
    out = fill(rgb, landmarks, SURGICAL_MASK_OUTLINE, LIGHT_BLUE)
    top, chin = landmarks[2], landmarks[CHIN]
    right, left = landmarks[205], landmarks[425]
    for t in (0.3, 0.5, 0.7):  # pleats: faint darker lines across
        a = right + (chin - top) * t * 0.8
        b = left + (chin - top) * t * 0.8
        cv2.line(out, tuple(int(v) for v in a), tuple(int(v) for v in b), (125, 170, 200), 2, cv2.LINE_AA)
    return out


def draw_beard(rgb: np.ndarray, landmarks: np.ndarray, seed: int = 0) -> np.ndarray:
    """Dark brown, rough noise over the chin, jaw and upper lip, leaving the lips bare."""
    noise = np.random.default_rng(seed).normal(0.0, 28.0, rgb.shape[:2])[..., None]
    hair = np.clip(np.float32((48, 36, 28)) + noise, 0, 255).astype(np.uint8)
    bearded = fill(rgb, landmarks, LOWER_FACE_OUTLINE, hair)
    lips = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(landmarks[list(LIPS_OUTER)]).astype(np.int32)], 1)
    bearded[lips.astype(bool)] = rgb[lips.astype(bool)]
    return bearded


def monk_distance(first: int, second: int) -> int:
    return abs(first - second)


def lab(hex_colour: str) -> np.ndarray:
    return rgb_to_lab(np.uint8([hex_to_rgb(hex_colour)]))[0]


# --- Inputs -------------------------------------------------------------------------------------------


def test_it_rejects_an_image_that_is_not_rgb_uint8():
    landmarks = np.zeros((478, 2), np.float32)
    with pytest.raises(ValueError, match="uint8"):
        measure_attributes(np.zeros((64, 64, 3), np.float32), landmarks)
    with pytest.raises(ValueError, match="HxWx3"):
        detect_mask(np.zeros((64, 64), np.uint8), landmarks)


def test_it_rejects_landmarks_that_are_not_a_face_mesh():
    rgb = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="face-mesh"):
        detect_glasses(rgb, np.zeros((68, 2), np.float32))
    with pytest.raises(ValueError, match="face-mesh"):
        face_shape(np.zeros((478, 3), np.float32))
    with pytest.raises(ValueError, match="finite"):
        skin_tone(rgb, np.full((478, 2), np.nan, np.float32), masked=False)


def test_the_engine_is_named_for_what_it_measures():
    assert ENGINE_LANDMARK_PIXEL == "face-mesh landmarks + pixel statistics"


# --- Everything at once on real faces ------------------------------------------------------------------


@pytest.mark.models
def test_a_bare_real_face_has_no_mask_no_glasses_and_plausible_colours(face):
    rgb, landmarks = face

    result = measure_attributes(rgb, landmarks)

    assert isinstance(result, Attributes)
    assert result.mask is False and 0.5 <= result.mask_confidence <= 1.0
    assert result.glasses == "none" and result.frame_shape == "none"
    assert result.skin_hex.startswith("#") and len(result.skin_hex) == 7
    assert 2 <= result.skin_step <= 8
    assert result.hair_hex is not None
    assert set(result.engines) == {"mask", "glasses", "frame_shape", "skin_tone", "hair_colour"}
    assert set(result.engines.values()) == {ENGINE_LANDMARK_PIXEL}


@pytest.mark.models
def test_every_real_face_photo_without_accessories_reads_bare(find_landmarks):
    for photo in (OBAMA, BIDEN, *BEARDS):
        rgb, landmarks = portrait(find_landmarks, shared_photo(photo))

        result = measure_attributes(rgb, landmarks)

        assert (result.mask, result.glasses) == (False, "none"), photo


@pytest.mark.models
def test_it_is_deterministic_and_leaves_its_inputs_alone(astronaut_face):
    rgb, landmarks = astronaut_face
    rgb_before, landmarks_before = rgb.copy(), landmarks.copy()

    first = measure_attributes(rgb, landmarks)
    second = measure_attributes(rgb, landmarks)

    assert first == second
    assert np.array_equal(rgb, rgb_before) and np.array_equal(landmarks, landmarks_before)
    assert face_shape(landmarks) == face_shape(landmarks.copy())


@pytest.mark.models
def test_each_attribute_function_agrees_with_measure_attributes(astronaut_face):
    rgb, landmarks = draw_glasses(*astronaut_face, "square"), astronaut_face[1]

    together = measure_attributes(rgb, landmarks)

    assert detect_mask(rgb, landmarks) == (together.mask, together.mask_confidence)
    assert detect_glasses(rgb, landmarks) == (together.glasses, together.glasses_confidence)
    assert frame_shape(rgb, landmarks) == (together.frame_shape, together.frame_confidence)
    assert skin_tone(rgb, landmarks, together.mask) == (together.skin_hex, together.skin_step)
    assert hair_colour(rgb, landmarks) == together.hair_hex


@pytest.mark.models
def test_a_mesh_without_iris_points_gives_the_same_readings(astronaut_face):
    rgb, landmarks = astronaut_face
    wearing = draw_glasses(rgb, landmarks, "square")

    full, plain = measure_attributes(wearing, landmarks), measure_attributes(wearing, landmarks[:468])

    assert (plain.mask, plain.glasses, plain.frame_shape) == (full.mask, full.glasses, full.frame_shape)
    assert abs(plain.skin_step - full.skin_step) <= 1


@pytest.mark.models
def test_a_face_outside_the_photo_cannot_be_measured(astronaut_face):
    rgb, landmarks = astronaut_face

    with pytest.raises(FaceNotMeasurable):
        measure_attributes(rgb, landmarks + np.float32([5000, 5000]))


# --- Proportions ---------------------------------------------------------------------------------------


@pytest.mark.models
def test_real_faces_have_human_proportions(face):
    shape = face_shape(face[1])

    assert 1.0 < shape.aspect < 1.5
    assert 0.35 < shape.eye_spacing < 0.55
    assert 0.14 < shape.eye_size < 0.26
    assert 0.3 < shape.mouth_width < 0.6
    assert 0.2 < shape.eye_line < 0.45 < 0.6 < shape.mouth_line < 0.85


@pytest.mark.models
def test_a_face_stretched_sideways_is_wider_and_keeps_its_lines(astronaut_face):
    landmarks = astronaut_face[1]
    wider = landmarks * np.float32([1.3, 1.0])

    normal, stretched = face_shape(landmarks), face_shape(wider)

    assert stretched.aspect == pytest.approx(normal.aspect / 1.3, rel=0.05)
    assert stretched.eye_line == pytest.approx(normal.eye_line, abs=0.02)
    assert stretched.eye_spacing == pytest.approx(normal.eye_spacing, abs=0.02)  # widths scale together


@pytest.mark.models
def test_a_face_stretched_upwards_is_longer_and_its_lines_stay_put(astronaut_face):
    landmarks = astronaut_face[1]

    normal, taller = face_shape(landmarks), face_shape(landmarks * np.float32([1.0, 1.25]))

    assert taller.aspect > normal.aspect * 1.15
    assert taller.mouth_line == pytest.approx(normal.mouth_line, abs=0.02)
    assert taller.eye_spacing == pytest.approx(normal.eye_spacing, abs=0.02)


@pytest.mark.models
def test_a_tilted_head_has_the_same_shape(astronaut_face):
    landmarks = astronaut_face[1]
    centre = landmarks.mean(axis=0)
    angle = np.radians(20)
    rotation = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    tilted = (landmarks - centre) @ rotation.T + centre

    normal, turned = face_shape(landmarks).to_dict(), face_shape(tilted).to_dict()

    assert all(turned[key] == pytest.approx(value, abs=0.005) for key, value in normal.items())


# --- Mask ----------------------------------------------------------------------------------------------


@pytest.mark.models
def test_a_surgical_mask_drawn_over_the_lower_face_is_a_mask(face):
    rgb, landmarks = face

    masked, confidence = detect_mask(draw_surgical_mask(rgb, landmarks), landmarks)

    assert masked and confidence > 0.8


@pytest.mark.models
def test_a_beard_is_not_a_mask_and_does_not_darken_the_skin(face):
    rgb, landmarks = face
    bare_hex, bare_step = skin_tone(rgb, landmarks, masked=False)
    bearded = draw_beard(rgb, landmarks)

    masked, confidence = detect_mask(bearded, landmarks)
    beard_hex, beard_step = skin_tone(bearded, landmarks, masked=False)

    assert not masked and confidence > 0.8
    assert monk_distance(beard_step, bare_step) <= 1
    assert abs(lab(beard_hex)[0] - lab(bare_hex)[0]) < 5  # L*


@pytest.mark.models
def test_real_beards_are_not_masks(find_landmarks):
    for photo in BEARDS:
        masked, confidence = detect_mask(*portrait(find_landmarks, shared_photo(photo)))

        assert not masked and confidence > 0.8, photo


@pytest.mark.models
def test_a_masked_face_is_toned_from_above_the_mask(face):
    rgb, landmarks = face
    bare_hex, bare_step = skin_tone(rgb, landmarks, masked=False)
    masked_rgb = draw_surgical_mask(rgb, landmarks)

    result = measure_attributes(masked_rgb, landmarks)

    assert result.mask
    assert monk_distance(result.skin_step, bare_step) <= 1


@pytest.mark.models
def test_mask_accuracy_on_real_photos(masked_sample, unmasked_sample):
    """face_mask, the first 150 images of each class by file name; faces the mesh cannot find are
    left out and counted. Measured when the thresholds were set (fitted on the other images of the
    set, where they score 0.954): masked 116/127 = 0.913, unmasked 147/149 = 0.987, overall
    263/276 = 0.953; the mesh found no face in 23 masked photos and 1 unmasked one. The bounds
    below leave a few photos' room for other library versions."""
    results = {}
    for kind, sample, wanted in (("masked", masked_sample, True), ("unmasked", unmasked_sample, False)):
        found = [(name, rgb, landmarks) for name, rgb, landmarks in sample if landmarks is not None]
        right = sum(detect_mask(rgb, landmarks)[0] == wanted for _, rgb, landmarks in found)
        results[kind] = (right, len(found), len(sample) - len(found))

    right = sum(r for r, _, _ in results.values())
    total = sum(n for _, n, _ in results.values())
    assert total >= 250, results
    assert right / total >= 0.92, results
    assert all(r / n >= 0.88 for r, n, _ in results.values()), results


# --- Glasses and frames -------------------------------------------------------------------------------


@pytest.mark.models
def test_dark_round_rims_are_round_eyeglasses(face):
    rgb, landmarks = face
    wearing = draw_glasses(rgb, landmarks, "round")

    glasses, confidence = detect_glasses(wearing, landmarks)
    shape, shape_confidence = frame_shape(wearing, landmarks)

    assert glasses == "eyeglasses" and confidence > 0.8
    assert shape == "round" and 0.5 < shape_confidence <= attributes.FRAME_MAX_CONFIDENCE


@pytest.mark.models
def test_rectangular_rims_are_square_eyeglasses(face):
    rgb, landmarks = face
    wearing = draw_glasses(rgb, landmarks, "square")

    glasses, confidence = detect_glasses(wearing, landmarks)
    shape, shape_confidence = frame_shape(wearing, landmarks)

    assert glasses == "eyeglasses" and confidence > 0.8
    assert shape == "square" and 0.5 < shape_confidence <= attributes.FRAME_MAX_CONFIDENCE


@pytest.mark.models
def test_thin_light_rims_are_still_eyeglasses(face):
    rgb, landmarks = face

    glasses, _ = detect_glasses(draw_glasses(rgb, landmarks, "round", thickness=2, colour=(90, 90, 95)), landmarks)

    assert glasses == "eyeglasses"


@pytest.mark.models
def test_dark_tinted_lenses_are_sunglasses_with_their_shape(face):
    rgb, landmarks = face

    for shape in ("round", "square"):
        wearing = draw_glasses(rgb, landmarks, shape, lens=(28, 32, 38))
        result = measure_attributes(wearing, landmarks)

        assert result.glasses == "sunglasses" and result.glasses_confidence > 0.8
        assert result.frame_shape == shape


@pytest.mark.models
def test_glasses_do_not_change_the_skin_tone(face):
    rgb, landmarks = face
    _, bare_step = skin_tone(rgb, landmarks, masked=False)

    for lens in (None, (28, 32, 38)):
        _, step = skin_tone(draw_glasses(rgb, landmarks, "square", lens=lens), landmarks, masked=False)

        assert monk_distance(step, bare_step) <= 1


@pytest.mark.models
def test_measure_attributes_reports_no_frame_without_glasses_and_a_frame_with_them(astronaut_face):
    rgb, landmarks = astronaut_face

    bare = measure_attributes(rgb, landmarks)
    wearing = measure_attributes(draw_glasses(rgb, landmarks, "round"), landmarks)

    assert bare.frame_shape == "none" and bare.frame_confidence == bare.glasses_confidence
    assert wearing.frame_shape == "round"
    assert {bare.glasses, wearing.glasses} <= set(GLASSES)
    assert {bare.frame_shape, wearing.frame_shape} <= set(FRAME_SHAPES)


@pytest.mark.models
def test_glasses_accuracy_on_real_photos(unmasked_sample):
    """The first 150 unmasked faces of face_mask, labelled by eye (LABELLED_GLASSES): 9 eyeglasses,
    1 sunglasses, the rest none; the mesh finds 149 of them (not 0_0_huxia_0121, in glasses).
    Measured: 148/149 = 0.993, no false alarm; the miss is thick frames in a cap's shadow on a
    turned head (0_0_dongchengpeng_0005). These photos were looked at while the glasses thresholds
    were set, so this is a check, not a held-out figure."""
    found = [(name, rgb, landmarks) for name, rgb, landmarks in unmasked_sample if landmarks is not None]
    wrong = [
        (name, label)
        for name, rgb, landmarks in found
        if (label := detect_glasses(rgb, landmarks)[0]) != LABELLED_GLASSES.get(name, "none")
    ]

    assert len(found) >= 140
    assert 1 - len(wrong) / len(found) >= 0.96, wrong
    assert not [name for name, label in wrong if name not in LABELLED_GLASSES], wrong  # no false alarms


# --- Skin tone -----------------------------------------------------------------------------------------


@pytest.mark.models
def test_a_face_painted_in_a_monk_swatch_reads_as_that_step(astronaut_face):
    _, landmarks = astronaut_face

    for step, swatch in enumerate(MONK_SCALE, start=1):
        painted = np.full((512, 512, 3), hex_to_rgb(swatch), np.uint8)

        skin_hex, found = skin_tone(painted, landmarks, masked=False)

        assert found == step, swatch
        assert np.abs(np.subtract(hex_to_rgb(skin_hex), hex_to_rgb(swatch))).max() <= 3


@pytest.mark.models
def test_darker_skin_reads_as_a_darker_step(obama_face, astronaut_face):
    _, obama_step = skin_tone(*obama_face, masked=False)
    _, astronaut_step = skin_tone(*astronaut_face, masked=False)

    assert obama_step >= astronaut_step


@pytest.mark.models
def test_the_skin_colour_is_the_colour_of_the_lit_cheek(face):
    rgb, landmarks = face
    cheeks = []
    for outline in (RIGHT_CHEEK, LEFT_CHEEK):
        region = np.zeros(rgb.shape[:2], np.uint8)
        cv2.fillPoly(region, [np.round(landmarks[list(outline)]).astype(np.int32)], 1)
        cheeks.append(np.median(rgb_to_lab(rgb[region.astype(bool)]), axis=0))

    skin_hex, _ = skin_tone(rgb, landmarks, masked=False)

    assert min(np.linalg.norm(lab(skin_hex) - cheek) for cheek in cheeks) < 5  # ΔE


# --- Hair ----------------------------------------------------------------------------------------------


@pytest.mark.models
def test_the_astronauts_hair_is_lighter_and_warmer_than_obamas(astronaut_face, obama_face):
    hers, his = (lab(hair_colour(*face)) for face in (astronaut_face, obama_face))

    assert hers[0] > his[0] + 10
    assert hers[2] > his[2] + 10  # b*: golden brown against grey-black


@pytest.mark.models
def test_no_hair_when_the_photo_is_cut_at_the_forehead(astronaut_face):
    rgb, landmarks = astronaut_face
    top = int(landmarks[10, 1]) - 2
    cropped = np.ascontiguousarray(rgb[top:])

    assert hair_colour(cropped, landmarks - np.float32([0, top])) is None


@pytest.mark.models
def test_no_hair_on_a_bald_head(astronaut_face):
    rgb, landmarks = astronaut_face
    skin_hex, _ = skin_tone(rgb, landmarks, masked=False)
    top = landmarks[10]
    height = float(np.linalg.norm(landmarks[CHIN] - top))
    width = float(np.ptp(landmarks[list(FACE_OVAL), 0]))
    bald = rgb.copy()
    cv2.ellipse(bald, tuple(int(v) for v in top), (int(0.62 * width), int(0.5 * height)), 0, 180, 360,
                hex_to_rgb(skin_hex), -1)  # fmt: skip

    assert hair_colour(bald, landmarks) is None


@pytest.mark.models
def test_hair_dyed_blue_reads_blue(astronaut_face):
    rgb, landmarks = astronaut_face
    top = landmarks[10]
    height = float(np.linalg.norm(landmarks[CHIN] - top))
    width = float(np.ptp(landmarks[list(FACE_OVAL), 0]))
    cap = np.zeros(rgb.shape[:2], np.uint8)
    cv2.ellipse(cap, tuple(int(v) for v in top), (int(0.62 * width), int(0.45 * height)), 0, 180, 360, 1, -1)
    oval = np.zeros_like(cap)
    cv2.fillPoly(oval, [np.round(landmarks[list(FACE_OVAL)]).astype(np.int32)], 1)
    dyed = rgb.copy()
    dyed[(cap > 0) & (oval == 0)] = (40, 70, 160)

    lightness, _, b = lab(hair_colour(dyed, landmarks))

    assert b < -25 and lightness < 50
