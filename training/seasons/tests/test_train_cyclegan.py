from __future__ import annotations

import csv
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.core import ml as registry
from apps.seasons import cyclegan
from training.seasons import train_cyclegan

TINY = ["--size", "32", "--filters", "8", "--blocks", "1", "--disc-filters", "8", "--steps-per-epoch", "2"]


def _tfds_importable() -> str | None:
    # tensorflow_datasets imports lazily: only touching tfds.testing shows whether it works. Here it
    # does not: tensorflow-metadata 1.21 (unpinned) needs protobuf >= 5, requirements pin 4.25.8.
    try:
        import tensorflow_datasets as tfds

        tfds.testing.mock_data  # noqa: B018
    except (ImportError, AttributeError) as exc:
        return f"tensorflow_datasets does not import here: {exc!r}"
    return None


def _write_photos(folder: Path, n: int, colour: tuple[int, int, int], size: int = 40) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(sum(colour))
    for i in range(n):
        noise = rng.integers(-20, 20, (size, size + 4 * i, 3))
        pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"photo{i}.{'png' if i % 2 else 'jpg'}")
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two CLI runs on tiny photos: one epoch with a checkpoint, then a resume to two epochs and an export."""
    root = tmp_path_factory.mktemp("cyclegan")
    folder_a = _write_photos(root / "summer", 3, (40, 160, 40))
    folder_b = _write_photos(root / "winter", 3, (230, 230, 240))
    common = [
        "--pair",
        "summer_winter",
        "--folder-a",
        str(folder_a),
        "--folder-b",
        str(folder_b),
        *TINY,
        "--checkpoint-dir",
        str(root / "ckpt"),
        "--log",
        str(root / "losses.csv"),
    ]
    assert train_cyclegan.main([*common, "--epochs", "1"]) == 0
    first_checkpoints = sorted(p.name for p in (root / "ckpt").glob("ckpt-*.index"))
    out_dir = root / "ml_models" / "seasons"
    assert train_cyclegan.main([*common, "--epochs", "2", "--resume", "--export", "--out-dir", str(out_dir)]) == 0
    return root, first_checkpoints


def test_load_tfds_works_under_mock_data():
    reason = _tfds_importable()
    if reason:
        pytest.skip(reason)
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=4, policy=tfds.testing.MockPolicy.USE_CODE):
        images_a, images_b = train_cyclegan.load_tfds("cycle_gan/summer2winter_yosemite")
        batch_a = list(images_a)
        assert len(batch_a) == 4 and batch_a[0].dtype.name == "uint8" and batch_a[0].shape[-1] == 3
        assert len(list(images_b)) == 4


def test_load_tfds_reads_both_splits_images(monkeypatch):
    import tensorflow as tf

    calls = []

    def fake_load(name, split, data_dir=None, shuffle_files=False):
        calls.append((name, split))
        label = 0 if split.endswith("A") else 1
        images = np.full((2, 8, 8, 3), label * 255, np.uint8)
        return tf.data.Dataset.from_tensor_slices({"image": images, "label": np.full(2, label)})

    monkeypatch.setitem(sys.modules, "tensorflow_datasets", types.SimpleNamespace(load=fake_load))
    images_a, images_b = train_cyclegan.load_tfds("cycle_gan/summer2winter_yosemite")
    assert [int(np.asarray(i).max()) for i in images_a] == [0, 0]
    assert [int(np.asarray(i).max()) for i in images_b] == [255, 255]
    assert calls == [("cycle_gan/summer2winter_yosemite", "trainA"), ("cycle_gan/summer2winter_yosemite", "trainB")]


def test_load_folders_decodes_jpeg_and_png(tmp_path):
    folder_a = _write_photos(tmp_path / "a", 3, (200, 10, 10))
    folder_b = _write_photos(tmp_path / "b", 2, (10, 10, 200))
    images_a, images_b = train_cyclegan.load_folders(folder_a, folder_b)
    decoded = [np.asarray(i) for i in images_a]
    assert len(decoded) == 3 and len(list(images_b)) == 2
    assert decoded[0].dtype == np.uint8 and decoded[0].shape == (40, 40, 3)
    assert decoded[0][..., 0].mean() > 150  # RGB order: the red photo is red


def test_load_folders_keeps_big_photos_in_memory_at_most_1024_px_a_side(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    Image.fromarray(np.full((3000, 2000, 3), 90, np.uint8)).save(folder / "phone.jpg", quality=90)
    images_a, _ = train_cyclegan.load_folders(folder, folder)
    assert images_a[0].shape == (1024, 683, 3) and int(images_a[0].mean()) in range(88, 93)


def test_load_folders_rejects_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError):
        train_cyclegan.load_folders(tmp_path / "empty", tmp_path / "empty")


def test_make_dataset_jitters_and_preprocesses(tmp_path):
    images_a, images_b = train_cyclegan.load_folders(
        _write_photos(tmp_path / "a", 2, (0, 0, 0)), _write_photos(tmp_path / "b", 2, (255, 255, 255))
    )
    a, b = next(train_cyclegan.make_dataset(images_a, images_b, size=32, batch_size=2))
    assert a.shape == (2, 32, 32, 3) and a.dtype.name == "float32"
    assert float(a.min()) >= -1.0 and float(b.max()) <= 1.0
    assert float(a.mean()) < -0.5 < 0.5 < float(b.mean())


def test_the_jitter_crops_a_random_window_and_sometimes_mirrors_it():
    columns = np.broadcast_to(np.arange(36, dtype=np.uint8)[None, :, None], (36, 36, 3))  # pixel value = x
    rng = np.random.default_rng(0)
    crops = [train_cyclegan.jitter(columns, 32, rng) for _ in range(40)]
    assert all(c.shape == (32, 32, 3) for c in crops)
    assert len({int(c[0].min()) for c in crops}) > 2  # the window moves
    mirrored = [c for c in crops if c[0, 0, 0] > c[0, -1, 0]]
    assert 0 < len(mirrored) < 40  # some mirrored, not all
    assert train_cyclegan.load_size(256) == 286 and train_cyclegan.load_size(128) == 143


def test_the_cli_rejects_two_data_sources():
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--pair", "day_night", "--tfds", "x", "--folder-a", "a", "--folder-b", "b"])
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--pair", "day_night", "--folder-a", "a"])


def test_checkpoints_are_for_the_tensorflow_backend_only():
    folders = ["--pair", "summer_winter", "--folder-a", "a", "--folder-b", "b"]
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args([*folders, "--backend", "torch", "--checkpoint-dir", "ckpt"])
    assert train_cyclegan.parse_args([*folders, "--backend", "torch"]).backend == "torch"
    assert train_cyclegan.parse_args(folders).backend == "tensorflow"


def test_a_running_keras_is_not_switched_to_another_backend(monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    train_cyclegan.use_backend(keras.backend.backend())  # the same one: nothing to do
    with pytest.raises(RuntimeError, match="new process"):
        train_cyclegan.use_backend("torch")


def test_the_pairs_directions():
    assert train_cyclegan.directions_of("summer_winter") == ("summer2winter", "winter2summer")
    assert train_cyclegan.directions_of("day_night") == ("day2night", "night2day")


def test_it_checkpoints_and_resumes(trained):
    root, first_checkpoints = trained
    assert first_checkpoints == ["ckpt-1.index"]
    assert sorted(p.name for p in (root / "ckpt").glob("ckpt-*.index")) == ["ckpt-1.index", "ckpt-2.index"]
    sidecar = json.loads((root / "ml_models" / "seasons" / "summer2winter.json").read_text())
    assert sidecar["epochs"] == 2 and sidecar["steps_this_run"] == 2  # resumed at epoch 1, ran epoch 2 only


def test_it_logs_every_step_to_csv(trained):
    root, _ = trained
    with (root / "losses.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["epoch"], r["step"]) for r in rows] == [("1", "1"), ("1", "2"), ("2", "1"), ("2", "2")]
    assert all(float(r["cycle"]) > 0 and float(r["d_a"]) >= 0 for r in rows)


def test_it_exports_both_generators_with_sidecars(trained):
    root, _ = trained
    for direction in ("summer2winter", "winter2summer"):
        path = root / "ml_models" / "seasons" / f"{direction}.keras"
        assert 0 < path.stat().st_size < train_cyclegan.MAX_EXPORT_BYTES
        sidecar = json.loads(path.with_suffix(".json").read_text())
        assert sidecar["pair"] == "summer_winter" and sidecar["direction"] == direction
        assert (sidecar["size"], sidecar["filters"], sidecar["blocks"]) == (32, 8, 1)
        assert sidecar["data_source"].startswith("folders:") and "g_total" in sidecar["final_losses"]


def test_the_site_translates_with_the_exported_generators(trained, settings):
    root, _ = trained
    originals = {key: spec for key, spec in registry._REGISTRY.items() if key.startswith(cyclegan.MODEL_PREFIX)}
    registry.forget_loaded()
    settings.ML_MODELS_DIR = root / "ml_models"
    cyclegan.register_models()
    try:
        photo = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
        for direction in ("summer2winter", "winter2summer"):
            out = cyclegan.translate(direction, photo)
            assert out is not None and out.dtype == np.uint8 and out.shape == (32, 32, 3)
        assert cyclegan.translate("day2night", photo) is None
    finally:
        registry.forget_loaded()
        for key in [key for key in registry._REGISTRY if key.startswith(cyclegan.MODEL_PREFIX)]:
            del registry._REGISTRY[key]
        registry._REGISTRY.update(originals)


def test_the_decay_holds_then_falls_linearly_to_zero():
    assert train_cyclegan.decayed_rate(2e-4, 0, 100) == 2e-4
    assert train_cyclegan.decayed_rate(2e-4, 50, 100) == 2e-4
    assert train_cyclegan.decayed_rate(2e-4, 75, 100) == pytest.approx(1e-4)
    assert train_cyclegan.decayed_rate(2e-4, 100, 100) == 0.0
    assert train_cyclegan.decayed_rate(2e-4, 130, 100) == 0.0


def test_the_cli_rejects_a_decay_without_a_budget():
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--pair", "day_night", "--folder-a", "a", "--folder-b", "b", "--decay"])
    with pytest.raises(SystemExit):
        train_cyclegan.parse_args(["--pair", "day_night", "--folder-a", "a", "--folder-b", "b", "--max-minutes", "0"])


def test_a_learning_rate_set_between_steps_reaches_the_compiled_step():
    model = cyclegan.CycleGAN(size=32, filters=4, residual_blocks=1, disc_filters=4, pool_size=0)
    batch = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    model.train_step(batch, batch)  # traced with the initial rate
    before = [w.copy() for w in model.g_ab.get_weights()]
    model.g_optimizer.learning_rate = 0.0
    model.d_optimizer.learning_rate = 0.0
    model.train_step(batch, batch)
    for old, new in zip(before, model.g_ab.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    model.g_optimizer.learning_rate = 1e-3
    model.train_step(batch, batch)
    assert any(not np.array_equal(o, n) for o, n in zip(before, model.g_ab.get_weights(), strict=True))


def test_a_time_budget_stops_inside_the_epoch_then_checkpoints_and_exports(tmp_path):
    folder_a = _write_photos(tmp_path / "summer", 2, (40, 160, 40))
    folder_b = _write_photos(tmp_path / "winter", 2, (230, 230, 240))
    out_dir, disc_dir = tmp_path / "gen", tmp_path / "disc"
    argv = ["--pair", "summer_winter", "--folder-a", str(folder_a), "--folder-b", str(folder_b), *TINY[:-1], "50",
            "--epochs", "3", "--max-minutes", "0.0001", "--decay", "--checkpoint-dir", str(tmp_path / "ckpt"),
            "--export", "--out-dir", str(out_dir), "--discriminator-dir", str(disc_dir)]  # fmt: skip
    assert train_cyclegan.main(argv) == 0
    sidecar = json.loads((out_dir / "winter2summer.json").read_text())
    assert sidecar["steps_this_run"] == 1 and sidecar["stopped_by_time_budget"] is True
    assert sidecar["epochs"] == 0 and sidecar["seconds_this_run"] > 0  # the partial epoch is not counted
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("ckpt-*.index")) == ["ckpt-1.index"]
    for domain in ("summer", "winter"):
        critic = registry.load_keras(
            registry.ModelSpec(
                name=domain,
                app="t",
                description="",
                loader=registry.load_keras,
                path=disc_dir / f"discriminator_{domain}.keras",
            )
        )
        assert critic.output_shape[-1] == 1
