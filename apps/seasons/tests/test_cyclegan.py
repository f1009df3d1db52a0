from __future__ import annotations

import numpy as np
import pytest

from apps.core import ml as registry
from apps.seasons import cyclegan
from apps.seasons.pipeline.types import DIRECTIONS


def _images(size: int, n: int = 1, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, 3)).astype(np.float32)


def test_the_full_generator_keeps_the_shape_and_range():
    generator = cyclegan.build_generator(64)
    out = np.asarray(generator(_images(64, 2), training=False))
    assert out.shape == (2, 64, 64, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0
    assert generator.count_params() == 11_383_427  # the paper's ResNet-9 generator (the size does not change it)


def test_the_slim_generator_keeps_the_shape_and_range():
    generator = cyclegan.build_generator(64, filters=32, residual_blocks=6)
    out = np.asarray(generator(_images(64), training=False))
    assert out.shape == (1, 64, 64, 3)
    assert out.min() >= -1.0 and out.max() <= 1.0
    assert generator.count_params() < 2_000_000


def test_the_upsampling_is_tensorflows_same_padding_spelled_the_same_way_for_every_backend():
    """Keras 3.10's torch backend computes a "same" stride-2 transposed convolution one pixel off.

    The generator spells TensorFlow's "same" as "valid" less the last row and column, which every
    backend computes alike, so a generator trained on a GPU under torch serves unchanged here.
    """
    import keras

    x = _images(9, 2)
    kernel = np.random.default_rng(1).normal(0, 0.1, (3, 3, 5, 3)).astype(np.float32)
    same = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="same", use_bias=False)
    valid = keras.layers.Conv2DTranspose(5, 3, strides=2, padding="valid", use_bias=False)
    for layer in (same, valid):
        layer.build(x.shape)
        layer.set_weights([kernel])
    cropped = keras.layers.Cropping2D(((0, 1), (0, 1)))(valid(x))
    np.testing.assert_allclose(np.asarray(cropped), np.asarray(same(x)), atol=1e-6)
    generator = cyclegan.build_generator(32, filters=4, residual_blocks=1)
    transposed = [layer for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert len(transposed) == 2 and all(layer.padding == "valid" for layer in transposed)


def test_it_rejects_a_size_not_divisible_by_four():
    with pytest.raises(ValueError):
        cyclegan.build_generator(30, filters=4, residual_blocks=1)


def test_the_discriminator_outputs_a_patch_map():
    assert cyclegan.build_discriminator(256, filters=8).output_shape == (None, 30, 30, 1)  # the 70x70 PatchGAN's 30x30
    discriminator = cyclegan.build_discriminator(64, filters=8)
    assert np.asarray(discriminator(_images(64, 2), training=False)).shape == (2, 6, 6, 1)


def test_the_image_pool_stores_until_full_then_swaps_half_the_time():
    pool = cyclegan.ImagePool(size=5, seed=1)
    first = [np.full((1, 2, 2, 3), i, np.float32) for i in range(5)]
    for batch in first:
        np.testing.assert_array_equal(pool.query(batch), batch)
    seen = {float(b[0, 0, 0, 0]) for b in first}
    new_returned = 0
    for i in range(5, 1005):
        out = pool.query(np.full((1, 2, 2, 3), i, np.float32))
        value = float(out[0, 0, 0, 0])
        assert value == i or value in seen  # either the new image or a stored past one
        new_returned += value == i
        seen.add(float(i))
    assert 450 <= new_returned <= 550
    assert len(pool.images) == 5


def test_the_image_pool_is_seeded():
    def run(seed: int) -> list[float]:
        pool = cyclegan.ImagePool(size=2, seed=seed)
        return [float(pool.query(np.full((1, 1, 1, 1), i, np.float32))[0, 0, 0, 0]) for i in range(30)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_the_losses_have_the_papers_values():
    ones, zeros = np.ones((1, 4, 4, 1), np.float32), np.zeros((1, 4, 4, 1), np.float32)
    assert float(cyclegan.adversarial_loss(ones, True)) == 0.0
    assert float(cyclegan.adversarial_loss(zeros, False)) == 0.0
    assert float(cyclegan.adversarial_loss(zeros, True)) == pytest.approx(1.0)
    assert float(cyclegan.adversarial_loss(np.full((1, 4, 4, 1), 0.5, np.float32), False)) == pytest.approx(0.25)
    assert float(cyclegan.discriminator_loss(ones, zeros)) == 0.0
    assert float(cyclegan.discriminator_loss(zeros, ones)) == pytest.approx(1.0)  # 0.5 * (1 + 1)
    real = _images(8)
    assert float(cyclegan.cycle_loss(real, real + 0.1)) == pytest.approx(1.0, rel=1e-4)  # 10 * L1
    assert float(cyclegan.identity_loss(real, real - 0.1)) == pytest.approx(0.5, rel=1e-4)  # 5 * L1


def test_a_train_step_returns_every_loss():
    model = cyclegan.CycleGAN(size=32, filters=4, residual_blocks=1, disc_filters=4, pool_size=2)
    losses = model.train_step(_images(32), _images(32, seed=1))
    assert set(losses) == {"g_total", "g_adv_a2b", "g_adv_b2a", "cycle", "identity", "d_a", "d_b"}
    assert all(np.isfinite(v) for v in losses.values())
    assert int(model.g_optimizer.iterations.numpy()) == 1


def test_preprocess_and_postprocess_round_trip():
    rgb = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    x = cyclegan.preprocess(rgb)
    assert x.dtype == np.float32 and x.min() == -1.0 and x.max() == 1.0
    np.testing.assert_array_equal(cyclegan.postprocess(x), rgb)
    np.testing.assert_array_equal(cyclegan.postprocess(x[None]), rgb)
    assert cyclegan.postprocess(np.full((2, 2, 3), 3.0)).max() == 255


def test_generator_path_follows_the_setting(settings, tmp_path):
    settings.ML_MODELS_DIR = tmp_path
    assert cyclegan.generator_path("summer2winter") == tmp_path / "seasons" / "summer2winter.keras"


def test_it_registers_one_optional_spec_per_direction(seasons_models):
    for key in DIRECTIONS:
        spec = registry.get_spec(f"seasons.cyclegan.{key}")
        assert spec.optional and spec.path == seasons_models / f"{key}.keras"
        assert "train_cyclegan.py" in spec.training_command


def test_translate_returns_none_without_a_file(seasons_models):
    assert cyclegan.translate("day2night", np.zeros((256, 256, 3), np.uint8)) is None


def test_translate_rejects_an_unknown_direction(seasons_models):
    with pytest.raises(ValueError):
        cyclegan.translate("day2summer", np.zeros((256, 256, 3), np.uint8))


def test_translate_runs_an_exported_generator(seasons_models):
    cyclegan.build_generator(32, filters=4, residual_blocks=1).save(seasons_models / "summer2winter.keras")
    out = cyclegan.translate("summer2winter", np.full((256, 256, 3), 128, np.uint8))
    assert out is not None and out.dtype == np.uint8 and out.shape == (32, 32, 3)
    loaded = registry.get_model("seasons.cyclegan.summer2winter").model
    kinds = {type(layer).__name__ for layer in loaded.layers}
    assert {"InstanceNormalization", "ReflectionPadding2D"} <= kinds
    assert cyclegan.translate("winter2summer", np.zeros((256, 256, 3), np.uint8)) is None


def test_translate_raises_model_unavailable_on_a_corrupt_file(seasons_models):
    (seasons_models / "night2day.keras").write_bytes(b"not a keras file")
    with pytest.raises(registry.ModelUnavailable):
        cyclegan.translate("night2day", np.zeros((256, 256, 3), np.uint8))


def test_importing_the_module_does_not_import_keras():
    import subprocess
    import sys

    code = "import apps.seasons.cyclegan, sys; print('keras' in sys.modules or 'tensorflow' in sys.modules)"
    env = {"DJANGO_SETTINGS_MODULE": "emopic.settings", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=_repo_root())
    assert done.stdout.strip() == "False", done.stderr


def _repo_root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[3])


# The generators ml_models/seasons ships, on real held-out Yosemite photos, as the site runs them.


def _yosemite(folder: str, count: int) -> list[np.ndarray]:
    from tests.images import SHARED_DATA, shared_photo

    paths = sorted((SHARED_DATA / "summer2winter_yosemite" / folder).glob("*.jpg"))[::25][:count]
    if len(paths) < count:
        pytest.skip(f"summer2winter_yosemite/{folder} is absent from {SHARED_DATA}")
    return [shared_photo(str(p.relative_to(SHARED_DATA))) for p in paths]


def _shipped_translation(direction: str, photos: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    from apps.core.timing import Timer
    from apps.seasons.services import translate_square

    pairs = []
    for rgb in photos:
        out, engine = translate_square(rgb, direction, Timer())
        assert engine == cyclegan.engine_name(direction), f"{direction} did not run the shipped generator"
        pairs.append((rgb, out))
    return pairs


def _lab_change(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Mean change of a*, b* and chroma spread, and the mean SSIM of L*, over (input, output) pairs."""
    import cv2
    from skimage.metrics import structural_similarity

    rows = []
    for before, after in pairs:
        lab_in, lab_out = (cv2.cvtColor(x.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab) for x in (before, after))
        rows.append((
            lab_out[..., 1].mean() - lab_in[..., 1].mean(),
            lab_out[..., 2].mean() - lab_in[..., 2].mean(),
            lab_out[..., 1:].std() - lab_in[..., 1:].std(),
            structural_similarity(lab_in[..., 0], lab_out[..., 0], data_range=100.0),
        ))  # fmt: skip
    da, db, dspread, ssim = np.mean(rows, axis=0)
    return {"a": float(da), "b": float(db), "spread": float(dspread), "ssim": float(ssim)}


def test_the_shipped_summer2winter_generator_cools_real_summer_photos_and_keeps_them():
    change = _lab_change(_shipped_translation("summer2winter", _yosemite("testA", 12)))
    assert change["b"] < -1.0  # bluer: b* falls (measured -2.6)
    assert change["ssim"] > 0.55  # still the same photo (measured 0.65)


def test_the_shipped_winter2summer_generator_makes_real_winter_photos_greener_and_more_colourful():
    change = _lab_change(_shipped_translation("winter2summer", _yosemite("testB", 10)))
    assert change["a"] < -0.3  # greener: a* falls (measured -0.9)
    assert change["spread"] > 1.0  # more colourful (measured +3.2)
    assert change["ssim"] > 0.55  # still the same photo (measured 0.61)
