"""Layering: the suit goes over the person's old clothes and under their face and hair."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.core.imageio import Matte, RGBImage

from .garments import SuitLayer


@dataclass(frozen=True)
class Dressed:
    foreground: RGBImage  # the dressed person's colours (meaningful where alpha > 0)
    alpha: Matte  # the dressed person's silhouette: the kept parts of the person plus the suit


def dress(foreground: RGBImage, kept: Matte, front: Matte, suit: SuitLayer) -> Dressed:
    """Bottom to top: what is kept of the person (face, hair, neck; ``kept``), the suit, then the
    face and hair again (``front`` ⊂ ``kept``), so hair lying over the shoulders stays over the jacket.
    The old clothes are in neither layer: where the suit does not reach, they are gone.
    ``kept`` and ``front`` are soft masks already multiplied by the person's matte."""
    # The neck, under the suit: the layer that, with face and hair over it, covers what ``kept`` covers.
    behind = np.clip((kept - front) / np.maximum(1.0 - front, 1e-4), 0.0, 1.0)
    alpha = front + behind * (1.0 - front)
    out = foreground.copy()
    # Above the suit's top row the person is only themselves: the layering changes nothing there.
    rows = np.flatnonzero(suit.alpha.max(axis=1) > 0)
    if len(rows):
        top = rows[0]
        colour = foreground[top:].astype(np.float32)
        a_behind, a_suit, a_front = behind[top:, :, None], suit.alpha[top:, :, None], front[top:, :, None]
        # Premultiplied "over", bottom to top: neck, suit, face and hair.
        premultiplied = suit.rgb[top:].astype(np.float32) * a_suit + colour * a_behind * (1.0 - a_suit)
        a_below = a_suit + a_behind * (1.0 - a_suit)
        premultiplied = colour * a_front + premultiplied * (1.0 - a_front)
        a_all = a_front + a_below * (1.0 - a_front)
        mixed = np.where(a_all > 1e-4, premultiplied / np.maximum(a_all, 1e-4), 0.0)
        out[top:] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        alpha[top:] = a_all[:, :, 0]
    return Dressed(foreground=out, alpha=alpha.astype(np.float32))
