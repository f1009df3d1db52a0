from __future__ import annotations

import json

import numpy as np
from PIL import Image

from apps.seasons.tests.test_rdn import _photo_like
from training.seasons import train_rdn


def _write_photos(folder, count, size=40):
    folder.mkdir(parents=True)
    for i in range(count):
        suffix = "png" if i % 2 else "jpg"
        Image.fromarray(_photo_like(size, size + 8, seed=i)).save(folder / f"photo{i}.{suffix}")


def test_it_trains_and_writes_a_model_and_a_sidecar(tmp_path):
    _write_photos(tmp_path / "a", 6)
    _write_photos(tmp_path / "b" / "nested", 4)
    out = tmp_path / "models" / "rdn.keras"
    sidecar = train_rdn.train(
        data=[tmp_path / "a", tmp_path / "b"],
        out=out,
        patch=16,
        batch_size=4,
        steps_per_epoch=3,
        epochs=2,
        val_fraction=0.2,
        features=8,
        blocks=1,
        layers_per_block=2,
        growth=4,
        scale=2,
    )
    assert out.exists()
    written = json.loads(out.with_suffix(".json").read_text())
    assert written == sidecar
    assert written["counts"] == {"photos": 10, "train": 8, "held_out": 2}
    held = written["held_out"]
    for key in ("baseline_psnr", "rdn_psnr", "psnr_gain", "baseline_ssim", "rdn_ssim"):
        assert np.isfinite(held[key])
    assert written["training"]["epochs"] == 2
    assert len(written["history"]) == 2


def test_held_out_photos_are_never_trained_on(tmp_path):
    photos = [tmp_path / f"p{i}.jpg" for i in range(50)]
    split = train_rdn.split_photos(photos, 0.1, seed=3)
    assert len(split.held_out) == 5
    assert not set(split.train) & set(split.held_out)
    assert set(split.train) | set(split.held_out) == set(photos)
    assert train_rdn.split_photos(photos, 0.1, seed=3) == split


def test_it_finds_photos_recursively(tmp_path):
    _write_photos(tmp_path / "x" / "y", 3)
    (tmp_path / "x" / "notes.txt").write_text("not a photo")
    assert len(train_rdn.find_photos([tmp_path / "x"])) == 3


def test_parse_args_defaults():
    args = train_rdn.parse_args(["--data", "a", "b"])
    assert [str(d) for d in args.data] == ["a", "b"]
    assert (args.patch, args.batch_size, args.val_fraction) == (64, 16, 0.1)
