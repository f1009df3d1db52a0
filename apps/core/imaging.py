"""Small image helpers every pipeline shares. Pure numpy/OpenCV, no Django."""

from __future__ import annotations

import cv2

from .imageio import RGBImage


def working_size(height: int, width: int, side: int = 512) -> tuple[int, int]:
    """(height, width) scaled so the long side is at most ``side``; never upscaled."""
    scale = min(1.0, side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_rgb(rgb: RGBImage, height: int, width: int) -> RGBImage:
    """Area averaging to shrink; bicubic to enlarge (area "enlarges" by repeating pixels: blocks)."""
    if rgb.shape[:2] == (height, width):
        return rgb
    enlarging = height * width > rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_CUBIC if enlarging else cv2.INTER_AREA)
