"""Matting turns a coarse person mask into a soft full-resolution matte without the old background."""

from __future__ import annotations

import cv2
import numpy as np

from apps.core.imaging import working_size
from apps.idphoto.pipeline.matting import (
    UNKNOWN,
    composite,
    cutout_rgba,
    estimate_foreground,
    make_trimap,
    refine_matte,
)


def disc_scene(size: int = 240, radius: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """A warm 'person' disc on a green background, with a soft one-pixel-wide blend."""
    yy, xx = np.mgrid[:size, :size]
    dist = np.hypot(yy - size / 2, xx - size / 2)
    alpha = np.clip(radius + 0.5 - dist, 0, 1).astype(np.float32)
    person = np.array([200, 150, 120], np.float32)
    green = np.array([30, 200, 40], np.float32)
    rgb = alpha[..., None] * person + (1 - alpha[..., None]) * green
    return rgb.astype(np.uint8), alpha


def test_working_size_keeps_the_aspect_and_never_upscales():
    assert working_size(1000, 2000) == (256, 512)
    assert working_size(100, 50) == (100, 50)


def test_trimap_has_sure_person_sure_background_and_a_band_between():
    coarse = np.zeros((100, 100), np.float32)
    coarse[30:70, 30:70] = 1.0
    trimap = make_trimap(coarse, band_px=6)
    assert trimap[50, 50] == 1.0 and trimap[5, 5] == 0.0
    assert trimap[30, 50] == UNKNOWN and trimap[27, 50] == UNKNOWN


def test_trimap_drops_detached_specks_of_background():
    coarse = np.zeros((100, 100), np.float32)
    coarse[20:90, 20:80] = 1.0
    coarse[2:5, 90:93] = 1.0  # a speck on a bright window
    assert make_trimap(coarse, band_px=3)[3, 91] == 0.0


def test_refinement_recovers_the_true_outline_from_a_blurry_low_resolution_mask():
    rgb, true_alpha = disc_scene()
    # What a low-resolution segmentation model gives: the shape, with a wide blurry edge.
    coarse = cv2.resize(cv2.resize(true_alpha, (30, 30), interpolation=cv2.INTER_AREA), (240, 240))
    result = refine_matte(rgb, coarse)
    assert result.alpha.shape == rgb.shape[:2] and result.alpha.dtype == np.float32
    assert np.abs(result.alpha - true_alpha).mean() < np.abs(coarse - true_alpha).mean() / 2
    assert result.alpha[120, 120] > 0.99 and result.alpha[5, 5] < 0.01


def test_foreground_estimation_removes_the_old_background_colour_from_edges():
    rgb, alpha = disc_scene()
    foreground = estimate_foreground(rgb, alpha)
    edge = (alpha > 0.2) & (alpha < 0.8)
    # The green of the old background is gone from the soft edge's colours.
    assert foreground[edge][:, 1].mean() < rgb[edge][:, 1].mean() - 10
    assert np.array_equal(foreground[alpha == 1], rgb[alpha == 1])


def test_composite_puts_the_person_over_the_colour():
    rgb, alpha = disc_scene()
    out = composite(rgb, alpha, (10, 20, 250))
    assert tuple(out[2, 2]) == (10, 20, 250)
    assert tuple(out[120, 120]) == tuple(rgb[120, 120])


def test_cutout_carries_the_matte_as_alpha():
    rgb, alpha = disc_scene()
    rgba = cutout_rgba(rgb, alpha)
    assert rgba.shape == (240, 240, 4) and rgba[2, 2, 3] == 0 and rgba[120, 120, 3] == 255


def test_pipeline_functions_do_not_modify_their_inputs():
    rgb, alpha = disc_scene()
    rgb_copy, alpha_copy = rgb.copy(), alpha.copy()
    refine_matte(rgb, alpha)
    composite(rgb, alpha, (0, 0, 0))
    assert np.array_equal(rgb, rgb_copy) and np.array_equal(alpha, alpha_copy)
