"""The photographic engine: contracts first, then what each direction does to real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from apps.seasons.pipeline.photographic import ENGINE_PHOTOGRAPHIC, guess_domains, translate
from apps.seasons.pipeline.types import DIRECTIONS, DOMAINS
from tests.images import SHARED_DATA, shared_photo

YOSEMITE = SHARED_DATA / "summer2winter_yosemite"


def _photos(folder: str, count: int) -> list[np.ndarray]:
    paths = sorted((YOSEMITE / folder).glob("*.jpg"))[:count]
    if len(paths) < count:
        pytest.skip(f"{YOSEMITE / folder} is absent or has fewer than {count} photos")
    return [shared_photo(str(p.relative_to(SHARED_DATA))) for p in paths]


def _summer() -> np.ndarray:
    return _photos("testA", 2)[1]  # El Capitan above a band of green pines


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def _chroma(rgb: np.ndarray) -> float:
    lab = _lab(rgb)
    return float(np.hypot(lab[..., 1], lab[..., 2]).mean())


def _hsv(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)  # H in degrees


def _green(rgb: np.ndarray) -> np.ndarray:
    hsv = _hsv(rgb)
    return (hsv[..., 0] > 70) & (hsv[..., 0] < 170) & (hsv[..., 1] > 0.2) & (hsv[..., 2] > 0.1)


def _near_white(rgb: np.ndarray) -> float:
    hsv = _hsv(rgb)
    return float(((hsv[..., 2] > 0.75) & (hsv[..., 1] < 0.15)).mean())


# -- contracts -------------------------------------------------------------------------------------


def test_it_names_its_engine():
    assert "photographic" in ENGINE_PHOTOGRAPHIC


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_it_keeps_shape_and_dtype(direction):
    rgb = np.ascontiguousarray(data.coffee()[:150, :230])  # not square, not a power of two
    out = translate(rgb, direction)
    assert out.shape == rgb.shape
    assert out.dtype == np.uint8
    assert out.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_it_is_deterministic_and_does_not_mutate(direction):
    rgb = np.ascontiguousarray(data.chelsea()[::2, ::2])
    before = rgb.copy()
    first = translate(rgb, direction)
    second = translate(rgb, direction)
    np.testing.assert_array_equal(rgb, before)
    np.testing.assert_array_equal(first, second)
    assert first is not rgb


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_it_copes_with_tiny_and_flat_images(direction):
    for rgb in (np.zeros((1, 1, 3), np.uint8), np.full((8, 5, 3), 255, np.uint8)):
        assert translate(rgb, direction).shape == rgb.shape


def test_it_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match="unknown direction"):
        translate(data.coffee(), "summer2autumn")


def test_it_rejects_a_non_rgb_array():
    with pytest.raises(ValueError):
        translate(np.zeros((10, 10), np.uint8), "day2night")


# -- day and night ---------------------------------------------------------------------------------


def test_day2night_is_darker_and_bluer():
    for rgb in (_summer(), data.coffee()):
        night = translate(rgb, "day2night")
        day_lab, night_lab = _lab(rgb), _lab(night)
        assert night_lab[..., 0].mean() <= day_lab[..., 0].mean() - 20
        assert night_lab[..., 2].mean() < day_lab[..., 2].mean()


def test_day2night_darkens_the_sky_more_than_the_ground():
    rgb = _summer()
    night = translate(rgb, "day2night")
    drop = _lab(rgb)[..., 0] - _lab(night)[..., 0]
    assert drop[:40].mean() > drop[-60:].mean()  # the top rows are sky, the bottom rows are pines


def test_night2day_brightens_a_night_image():
    for rgb in (_summer(), data.coffee()):
        night = translate(rgb, "day2night")
        day = translate(night, "night2day")
        assert _lab(day)[..., 0].mean() >= _lab(night)[..., 0].mean() + 20
        assert _chroma(day) > _chroma(night)


# -- spring and autumn -----------------------------------------------------------------------------


def test_spring2autumn_turns_foliage_red_orange_yellow():
    for rgb in _photos("testA", 4):
        foliage = _green(rgb)
        if foliage.mean() < 0.05:
            continue
        autumn = translate(rgb, "spring2autumn")
        hue_before = _hsv(rgb)[..., 0][foliage].mean()
        hue_after = _hsv(autumn)[..., 0][foliage].mean()
        green_drop = 1.0 - _green(autumn)[foliage].mean()
        assert hue_after <= hue_before - 25 or green_drop >= 0.6, (hue_before, hue_after, green_drop)


def test_spring2autumn_leaves_a_photo_without_foliage_mostly_alone():
    rgb = data.coffee()
    autumn = translate(rgb, "spring2autumn")
    assert abs(_lab(autumn)[..., 0].mean() - _lab(rgb)[..., 0].mean()) < 10


def test_autumn2spring_brings_the_green_back():
    autumn = translate(_summer(), "spring2autumn")
    spring = translate(autumn, "autumn2spring")
    assert _green(spring).mean() > _green(autumn).mean() + 0.05


# -- summer and winter -----------------------------------------------------------------------------


def test_summer2winter_is_brighter_paler_and_snowier():
    for rgb in _photos("testA", 6):
        winter = translate(rgb, "summer2winter")
        assert _lab(winter)[..., 0].mean() > _lab(rgb)[..., 0].mean()
        assert _chroma(winter) < _chroma(rgb)
        assert _near_white(winter) > _near_white(rgb)


def test_winter2summer_is_more_saturated_with_less_snow():
    for rgb in _photos("testB", 6):
        summer = translate(rgb, "winter2summer")
        assert _chroma(summer) > _chroma(rgb)
        assert _near_white(summer) < _near_white(rgb) or _near_white(rgb) < 0.01


# -- guessing the domain ---------------------------------------------------------------------------


def test_guess_domains_scores_every_domain_between_0_and_1():
    scores = guess_domains(data.astronaut())
    assert set(scores) == set(DOMAINS)
    assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_guess_domains_tells_summer_from_winter():
    summers = [guess_domains(rgb) for rgb in _photos("testA", 20)]
    winters = [guess_domains(rgb) for rgb in _photos("testB", 20)]
    assert sum(s["summer"] > s["winter"] for s in summers) >= 14
    assert sum(s["winter"] > s["summer"] for s in winters) >= 14


def test_guess_domains_sees_night_in_a_night_graded_photo():
    rgb = _summer()
    assert guess_domains(rgb)["day"] > guess_domains(rgb)["night"]
    night = guess_domains(translate(rgb, "day2night"))
    assert night["night"] > night["day"]


def test_guess_domains_sees_autumn_after_spring2autumn():
    rgb = _summer()
    assert guess_domains(translate(rgb, "spring2autumn"))["autumn"] > guess_domains(rgb)["autumn"]
