from __future__ import annotations

import json

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio

from apps.core import ml as registry
from apps.seasons import rdn
from tests.images import REPO, shared_photo

YOSEMITE_TEST = "summer2winter_yosemite/testA"


def _photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth gradients plus texture: something a resampler and JPEG visibly change."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width * 200, yy / height * 200, (xx + yy) / (width + height) * 255], axis=-1)
    texture = rng.normal(0, 25, (height, width, 3))
    return np.clip(base + texture, 0, 255).astype(np.uint8)


@pytest.fixture
def rdn_spec(settings, tmp_path):
    """A temporary ML_MODELS_DIR with the seasons.rdn spec registered against it; originals restored."""
    original = registry._REGISTRY.get(rdn.RDN)
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    registry.forget_loaded()
    rdn.register_models()
    yield rdn.model_path()
    registry.forget_loaded()
    if original is None:
        registry._REGISTRY.pop(rdn.RDN, None)
    else:
        registry.register(original)


def test_it_keeps_odd_sizes():
    model = rdn.build_rdn(features=8, blocks=2, layers_per_block=2, growth=4)
    out = np.asarray(model(np.zeros((1, 37, 53, 3), np.float32), training=False))
    assert out.shape == (1, 37, 53, 3)


def test_enhance_keeps_odd_sizes_with_a_strided_body():
    model = rdn.build_rdn(features=8, blocks=1, layers_per_block=2, growth=4, scale=2)
    out = rdn.enhance(lambda b: model(b, training=False), _photo_like(37, 53))
    assert out.shape == (37, 53, 3) and out.dtype == np.uint8


@pytest.mark.parametrize("scale", [1, 2])
def test_an_untrained_model_is_the_identity(scale):
    model = rdn.build_rdn(features=8, blocks=2, layers_per_block=2, growth=4, scale=scale)
    rgb = _photo_like(40, 48)
    out = rdn.enhance(lambda b: model(b, training=False), rgb)
    assert np.abs(out.astype(int) - rgb.astype(int)).max() <= 1


def test_degrade_is_deterministic_per_seed_and_degrades():
    clean = _photo_like(96, 128)
    a = rdn.degrade(clean, np.random.default_rng(7))
    b = rdn.degrade(clean, np.random.default_rng(7))
    c = rdn.degrade(clean, np.random.default_rng(8))
    assert a.shape == clean.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    psnr = peak_signal_noise_ratio(clean, a, data_range=255)
    assert np.isfinite(psnr) and psnr < 40


def test_degrade_leaves_its_input_alone():
    clean = _photo_like(32, 32)
    before = clean.copy()
    rdn.degrade(clean, np.random.default_rng(0))
    assert np.array_equal(clean, before)


def test_tiled_enhance_matches_whole_image():
    model = rdn.build_rdn(features=8, blocks=2, layers_per_block=2, growth=4, scale=2)
    # Random weights in the last layer too, so the model is not the identity.
    recon = model.get_layer("recon")
    recon.set_weights([np.random.default_rng(0).normal(0, 0.05, w.shape) for w in recon.get_weights()])
    rgb = _photo_like(300, 300)

    def run(b):
        return model(b, training=False)

    whole = rdn.enhance(run, rgb, tile=None)
    tiled = rdn.enhance(run, rgb, tile=128, overlap=16)
    assert not np.array_equal(whole, rgb)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 2


def test_restore_returns_none_without_weights(rdn_spec):
    assert not rdn_spec.exists()
    assert rdn.restore(_photo_like(32, 32)) is None


def test_restore_runs_a_saved_model(rdn_spec):
    rdn_spec.parent.mkdir(parents=True)
    rdn.build_rdn(features=8, blocks=1, layers_per_block=2, growth=4, scale=2).save(rdn_spec)
    rgb = _photo_like(45, 61)
    out = rdn.restore(rgb)
    assert out is not None
    assert out.shape == rgb.shape and out.dtype == np.uint8


def test_restore_raises_on_a_corrupt_file(rdn_spec):
    rdn_spec.parent.mkdir(parents=True)
    rdn_spec.write_bytes(b"not a keras file")
    with pytest.raises(registry.ModelUnavailable):
        rdn.restore(_photo_like(32, 32))


def test_register_models_names_the_training_script(rdn_spec):
    spec = registry.get_spec(rdn.RDN)
    assert spec.optional
    assert "training/seasons/train_rdn.py" in spec.training_command
    assert spec.path == rdn_spec


def _held_out_photos() -> list[np.ndarray]:
    sidecar = REPO / "ml_models" / "seasons" / "rdn.json"
    if sidecar.exists():
        held = [p for p in json.loads(sidecar.read_text())["held_out_files"] if "summer2winter_yosemite" in p]
        relative = [p[p.index("summer2winter_yosemite") :] for p in held[:8]]
    else:
        relative = []
    if len(relative) < 8:
        folder = REPO.parent / "shared" / "data" / YOSEMITE_TEST
        names = sorted(p.name for p in folder.glob("*.jpg"))[:8] if folder.exists() else ["missing.jpg"]
        relative = [f"{YOSEMITE_TEST}/{name}" for name in names]
    return [shared_photo(r) for r in relative]


@pytest.mark.models
def test_trained_rdn_beats_the_degraded_baseline_on_held_out_photos():
    path = REPO / "ml_models" / "seasons" / "rdn.keras"
    if not path.exists():
        pytest.skip(f"{path} is absent: {rdn.TRAINING_COMMAND}")
    import keras

    model = keras.saving.load_model(path, compile=False)
    base, restored = [], []
    for index, clean in enumerate(_held_out_photos()):
        degraded = rdn.degrade(clean, np.random.default_rng([1234, index]))
        out = rdn.enhance(lambda b: model(b, training=False), degraded, tile=None)
        base.append(peak_signal_noise_ratio(clean, degraded, data_range=255))
        restored.append(peak_signal_noise_ratio(clean, out, data_range=255))
    assert np.mean(restored) > np.mean(base)
