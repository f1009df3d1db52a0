"""The shared resize: area averaging when shrinking, a smooth enlargement (never blocks) when enlarging."""

from __future__ import annotations

import numpy as np

from apps.core.imaging import resize_rgb


def test_shrinking_averages_areas():
    checker = np.indices((64, 64)).sum(axis=0) % 2 * 255
    rgb = np.repeat(checker[..., None], 3, axis=2).astype(np.uint8)
    small = resize_rgb(rgb, 32, 32)
    assert small.shape == (32, 32, 3)
    assert np.abs(small.astype(int) - 127).max() <= 1  # each 2x2 block averaged to grey, no aliasing


def test_enlarging_is_smooth_not_repeated_pixels():
    ramp = np.tile(np.linspace(0, 255, 16).astype(np.uint8)[None, :, None], (16, 1, 3))
    large = resize_rgb(ramp, 32, 32)
    assert large.shape == (32, 32, 3)
    row = large[16, :, 0].astype(int)
    # Repeated pixels would make every other step zero; a smooth enlargement rises at (nearly) every pixel.
    assert (np.diff(row)[1:-1] > 0).mean() > 0.9
