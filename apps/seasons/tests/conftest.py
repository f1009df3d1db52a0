"""Fixtures shared by the seasons tests."""

from __future__ import annotations

import pytest

from apps.core import ml as registry
from apps.seasons import cyclegan


@pytest.fixture
def seasons_models(settings, tmp_path):
    """ML_MODELS_DIR in tmp, this module's specs registered against it; the originals restored after."""
    originals = {key: spec for key, spec in registry._REGISTRY.items() if key.startswith(cyclegan.MODEL_PREFIX)}
    registry.forget_loaded()
    settings.ML_MODELS_DIR = tmp_path
    (tmp_path / "seasons").mkdir()
    cyclegan.register_models()
    yield tmp_path / "seasons"
    registry.forget_loaded()
    for key in [key for key in registry._REGISTRY if key.startswith(cyclegan.MODEL_PREFIX)]:
        del registry._REGISTRY[key]
    registry._REGISTRY.update(originals)
