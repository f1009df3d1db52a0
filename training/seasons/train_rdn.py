"""Train the seasons tool's restoration RDN, self-supervised on clean photos.

Each step cuts random patches from clean photos, degrades them on the fly with
``apps.seasons.rdn.degrade`` (resample blur, noise, JPEG) and teaches the RDN to undo
that, with an L1 loss and Adam (1e-3, cosine decay). A seeded 10% of the photos (by
file) is held out; after every epoch the script reports, on those photos with one fixed
degradation each, the PSNR/SSIM of the degraded image itself (the baseline) and of the
RDN's output, and keeps the best model by held-out PSNR.

For example (it finds the repository from its own path, so any working directory does)::

    python training/seasons/train_rdn.py --data ../shared/data/summer2winter_yosemite/trainA \
        ../shared/data/summer2winter_yosemite/trainB --epochs 10 --steps-per-epoch 200

The model goes to ``ml_models/seasons/rdn.keras`` (no optimizer state) with an
``rdn.json`` sidecar.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.core.imageio import RGBImage
from apps.seasons.rdn import build_rdn, degrade, enhance

logger = logging.getLogger("training.seasons.train_rdn")

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
EVAL_CROP = 256  # held-out photos are scored on their centre crop, for speed


@dataclass(frozen=True)
class Split:
    train: list[Path]
    held_out: list[Path]


@dataclass(frozen=True)
class Scores:
    baseline_psnr: float
    baseline_ssim: float
    rdn_psnr: float
    rdn_ssim: float


def find_photos(folders: list[Path]) -> list[Path]:
    photos: set[Path] = set()
    for folder in folders:
        photos.update(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    return sorted(photos)


def split_photos(photos: list[Path], val_fraction: float, seed: int) -> Split:
    """A seeded split by file: a photo is either trained on or held out, never both."""
    order = np.random.default_rng(seed).permutation(len(photos))
    n_held = max(1, round(len(photos) * val_fraction)) if len(photos) > 1 else 0
    held = {int(i) for i in order[:n_held]}
    return Split(
        train=[p for i, p in enumerate(photos) if i not in held],
        held_out=[p for i, p in enumerate(photos) if i in held],
    )


def load_rgb(path: Path) -> RGBImage:
    with Image.open(path) as img:
        return np.ascontiguousarray(np.asarray(img.convert("RGB")))


def centre_crop(rgb: RGBImage, size: int) -> RGBImage:
    height, width = rgb.shape[:2]
    top, left = max(0, (height - size) // 2), max(0, (width - size) // 2)
    return np.ascontiguousarray(rgb[top : top + size, left : left + size])


def fixed_degradation(rgb: RGBImage, seed: int, index: int) -> RGBImage:
    """The one degradation a held-out photo always gets (seeded by its position), so epochs compare."""
    return degrade(rgb, np.random.default_rng([seed, index]))


def sample_batch(
    images: list[RGBImage], patch: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random (degraded, clean) float32 0..1 patch pairs, with random flips."""
    degraded = np.empty((batch_size, patch, patch, 3), np.float32)
    clean = np.empty_like(degraded)
    for i in range(batch_size):
        img = images[int(rng.integers(len(images)))]
        height, width = img.shape[:2]
        top = int(rng.integers(height - patch + 1))
        left = int(rng.integers(width - patch + 1))
        crop = img[top : top + patch, left : left + patch]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = np.ascontiguousarray(crop)
        clean[i] = crop / 255.0
        degraded[i] = degrade(crop, rng) / 255.0
    return degraded, clean


def evaluate(model: Any, pairs: list[tuple[RGBImage, RGBImage]]) -> Scores:
    """Mean PSNR/SSIM of the degraded images (baseline) and of the RDN's outputs against the clean ones."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    def run(batch: np.ndarray) -> Any:
        return model(batch, training=False)

    base_p, base_s, rdn_p, rdn_s = [], [], [], []
    for clean, degraded in pairs:
        restored = enhance(run, degraded, tile=None)
        base_p.append(peak_signal_noise_ratio(clean, degraded, data_range=255))
        rdn_p.append(peak_signal_noise_ratio(clean, restored, data_range=255))
        base_s.append(structural_similarity(clean, degraded, channel_axis=2, data_range=255))
        rdn_s.append(structural_similarity(clean, restored, channel_axis=2, data_range=255))
    return Scores(
        baseline_psnr=float(np.mean(base_p)),
        baseline_ssim=float(np.mean(base_s)),
        rdn_psnr=float(np.mean(rdn_p)),
        rdn_ssim=float(np.mean(rdn_s)),
    )


def train(
    *,
    data: list[Path],
    out: Path,
    patch: int = 64,
    batch_size: int = 16,
    steps_per_epoch: int = 200,
    epochs: int = 10,
    val_fraction: float = 0.1,
    val_limit: int = 64,
    seed: int = 0,
    learning_rate: float = 1e-3,
    features: int = 24,
    blocks: int = 3,
    layers_per_block: int = 3,
    growth: int = 16,
    scale: int = 2,
    max_seconds: float | None = None,
) -> dict[str, Any]:
    """Train, keep the best model by held-out PSNR at ``out`` and write ``out.with_suffix('.json')``."""
    import keras
    import tensorflow as tf

    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    photos = find_photos(data)
    split = split_photos(photos, val_fraction, seed)
    if not split.train or not split.held_out:
        raise ValueError(f"need at least 2 photos under {data}, found {len(photos)}")
    train_images = [img for img in map(load_rgb, split.train) if min(img.shape[:2]) >= patch]
    held_out = split.held_out[:val_limit]
    pairs = []
    for index, path in enumerate(held_out):
        clean = centre_crop(load_rgb(path), EVAL_CROP)
        pairs.append((clean, fixed_degradation(clean, seed, index)))
    logger.info(
        "%d photos: %d for training, %d held out (%d scored)",
        len(photos),
        len(train_images),
        len(split.held_out),
        len(pairs),
    )

    model = build_rdn(features=features, blocks=blocks, layers_per_block=layers_per_block, growth=growth, scale=scale)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * steps_per_epoch, alpha=0.1)
    optimizer = keras.optimizers.Adam(schedule)

    @tf.function
    def step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    out.parent.mkdir(parents=True, exist_ok=True)
    history: list[dict[str, float]] = []
    best: Scores | None = None
    best_epoch = 0
    epochs_run = 0
    for epoch in range(1, epochs + 1):
        losses = [float(step(*sample_batch(train_images, patch, batch_size, rng))) for _ in range(steps_per_epoch)]
        scores = evaluate(model, pairs)
        epochs_run = epoch
        history.append({"epoch": epoch, "train_l1": float(np.mean(losses)), **scores.__dict__})
        logger.info(
            "epoch %d: train L1 %.4f | held-out PSNR %.2f -> %.2f dB, SSIM %.4f -> %.4f",
            epoch,
            np.mean(losses),
            scores.baseline_psnr,
            scores.rdn_psnr,
            scores.baseline_ssim,
            scores.rdn_ssim,
        )
        if best is None or scores.rdn_psnr > best.rdn_psnr:
            best, best_epoch = scores, epoch
            model.save(out)  # never compiled, so no optimizer state goes in the file
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            logger.info("time budget of %.0fs spent after epoch %d", max_seconds, epoch)
            break

    assert best is not None
    sidecar = {
        "model": "RDN (Zhang et al. 2018), same-size restoration, global residual",
        "architecture": {
            "features": features,
            "blocks": blocks,
            "layers_per_block": layers_per_block,
            "growth": growth,
            "scale": scale,
        },
        "params": int(model.count_params()),
        "file_bytes": out.stat().st_size,
        "data": [str(d) for d in data],
        "degradation": "downscale x1.5-3 + bicubic up, Gaussian noise sigma 0-8, JPEG q30-80, random order",
        "counts": {"photos": len(photos), "train": len(train_images), "held_out": len(split.held_out)},
        "held_out_files": [str(p) for p in split.held_out],
        "held_out_scored": len(pairs),
        "eval": f"centre {EVAL_CROP}px crops, one seeded degradation each",
        "training": {
            "patch": patch,
            "batch_size": batch_size,
            "steps_per_epoch": steps_per_epoch,
            "epochs": epochs_run,
            "best_epoch": best_epoch,
            "learning_rate": learning_rate,
            "seed": seed,
        },
        "seconds": round(time.perf_counter() - started, 1),
        "held_out": {
            "baseline_psnr": round(best.baseline_psnr, 3),
            "rdn_psnr": round(best.rdn_psnr, 3),
            "psnr_gain": round(best.rdn_psnr - best.baseline_psnr, 3),
            "baseline_ssim": round(best.baseline_ssim, 4),
            "rdn_ssim": round(best.rdn_ssim, 4),
            "ssim_gain": round(best.rdn_ssim - best.baseline_ssim, 4),
        },
        "history": history,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    out.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return sidecar


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="folders of clean photos (recursive)")
    parser.add_argument("--out", type=Path, help="default: ML_MODELS_DIR/seasons/rdn.keras")
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps-per-epoch", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--val-limit", type=int, default=64, help="held-out photos scored each epoch")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--features", type=int, default=24)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--layers-per-block", type=int, default=3)
    parser.add_argument("--growth", type=int, default=16)
    parser.add_argument("--scale", type=int, default=2, help="pixel-unshuffle factor of the body (speed)")
    parser.add_argument("--max-seconds", type=float, help="stop after the epoch that crosses this budget")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
    django.setup()


def _log_to_console() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _setup_django()
    _log_to_console()
    from apps.seasons.rdn import model_path

    sidecar = train(
        data=args.data,
        out=args.out or model_path(),
        patch=args.patch,
        batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        val_fraction=args.val_fraction,
        val_limit=args.val_limit,
        seed=args.seed,
        learning_rate=args.learning_rate,
        features=args.features,
        blocks=args.blocks,
        layers_per_block=args.layers_per_block,
        growth=args.growth,
        scale=args.scale,
        max_seconds=args.max_seconds,
    )
    logger.info("held-out: %s", sidecar["held_out"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
