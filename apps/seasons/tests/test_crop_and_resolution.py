"""The crop is validated against the photo, and a low-resolution change reaches the full-size crop."""

from __future__ import annotations

import numpy as np
import pytest

from apps.seasons.pipeline.resolution import apply_change
from apps.seasons.services import Crop, SeasonsRejected, check_crop, check_direction, default_crop


def test_the_default_crop_is_the_largest_centred_square():
    assert default_crop(800, 600) == Crop(100, 0, 600)
    assert default_crop(300, 500) == Crop(0, 100, 300)


@pytest.mark.parametrize("crop", [Crop(-1, 0, 100), Crop(0, -5, 100), Crop(750, 0, 100), Crop(0, 0, 601)])
def test_a_crop_outside_the_photo_is_a_422(crop):
    with pytest.raises(SeasonsRejected) as info:
        check_crop(crop, 800, 600)
    assert info.value.status == 422 and info.value.code == "crop_outside_image"
    assert "800×600" in info.value.message


def test_a_tiny_crop_is_refused():
    with pytest.raises(SeasonsRejected) as info:
        check_crop(Crop(0, 0, 10), 800, 600)
    assert info.value.code == "crop_too_small"


def test_an_unknown_direction_is_a_422_that_lists_the_six():
    with pytest.raises(SeasonsRejected) as info:
        check_direction("summer2spring")
    assert info.value.code == "unknown_direction" and "day2night" in info.value.message
    assert check_direction("winter2summer") == "winter2summer"


def test_a_low_resolution_change_is_applied_at_full_resolution_keeping_detail():
    rng = np.random.default_rng(0)
    full = rng.integers(60, 200, (512, 512, 3), dtype=np.uint8)  # fine texture the small image cannot hold
    small = full[::4, ::4].copy()
    darker = (small * 0.5).astype(np.uint8)
    out = apply_change(full, small, darker)
    assert out.shape == full.shape and out.dtype == np.uint8
    assert out.mean() < full.mean() * 0.65  # the change arrived
    # The texture survived: neighbouring pixels still differ as much as in the original.
    assert np.abs(np.diff(out.astype(int), axis=1)).mean() > 0.4 * np.abs(np.diff(full.astype(int), axis=1)).mean()
