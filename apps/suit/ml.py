"""suit's models: the body pose (shared, apps.core.body_models), idphoto's matting, and the
source's Keras U-Net face parser, used when this repo has trained weights for it.

The U-Net's architecture, pre-processing and loading live in ``unet.py`` so the training
script imports exactly what the site serves.
"""

from __future__ import annotations

from .unet import LAPA_CLASSES, face_parser_available, face_parser_path, parse_face, register_models

__all__ = ["LAPA_CLASSES", "face_parser_available", "face_parser_path", "parse_face", "register_models"]
