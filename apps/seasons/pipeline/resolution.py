"""Carrying a low-resolution translation to the full-resolution crop."""

from __future__ import annotations

import cv2
import numpy as np

from apps.core.imageio import RGBImage


def apply_change(full: RGBImage, small_before: RGBImage, small_after: RGBImage) -> RGBImage:
    """Apply the colour change ``small_before -> small_after`` to ``full``, keeping its detail.

    The change is upsampled and then refined with a guided filter whose guide is the
    full-resolution photo, so it follows the photo's edges instead of blurring across them.
    """
    height, width = full.shape[:2]
    change = small_after.astype(np.float32) - small_before.astype(np.float32)
    change_up = cv2.resize(change, (width, height), interpolation=cv2.INTER_LINEAR)
    if (height, width) != small_before.shape[:2]:
        radius = max(2, round(width / small_before.shape[1] * 2))
        change_up = cv2.ximgproc.guidedFilter(full, change_up, radius, 1e-2 * 255 * 255)
    return np.clip(full.astype(np.float32) + change_up + 0.5, 0, 255).astype(np.uint8)
