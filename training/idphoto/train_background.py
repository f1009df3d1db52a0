"""Train the background-colour regressor: EfficientNet-B0 + regression head, L1 loss (the source paper's).

Two kinds of data, alone or together:

* ``--portraits DIR``: portrait photos (jpg/png/webp, searched recursively). Each
  is matted as the site does, and its label is its own background's colour,
  the paper's label: which colour people chose to be photographed against.
* ``--choices CSV``: what ``manage.py export_background_choices`` writes: the
  site's users' photos with the background colour each one settled on.

For example (it finds the repository from its own path, so any working directory does)::

    python training/idphoto/train_background.py --portraits ~/portraits --cache ~/.cache/emopic-bg
    python training/idphoto/train_background.py --choices export/choices.csv --epochs 20

The best model (by validation L1) goes to ``ml_models/idphoto/background.keras``
with a ``background.json`` sidecar; the site uses it from the next start, at
whatever ``--input-size`` it was trained (224, the paper's, by default).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import json
import logging
import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.core.imageio import ImageInputError, Limits, Matte, RGBImage, decode_image_bytes
from apps.core.intake import intake_limits
from apps.idphoto.background_regressor import INPUT_SIZE, background_label, build_model, preprocess
from training.common import log_to_console, setup_django

logger = logging.getLogger("training.idphoto.train_background")

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Bump when preprocess() or the matting changes: cached inputs would no longer match.
CACHE_VERSION = 1
LOG_EVERY = 100

MatteFn = Callable[[RGBImage], Matte]


@dataclass
class Dataset:
    images: np.ndarray  # N x size x size x 3 uint8: preprocess() output, whole numbers already
    labels: np.ndarray  # N x 3 float32: RGB / 255
    sources: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Sample:
    """What matting one photo gives; cached per file, whatever it is used for."""

    image: np.ndarray | None  # the model input as uint8, None when the photo was rejected
    background: tuple[float, float, float] | None  # the photo's own background colour / 255
    rejected: str = ""  # the rejection code (no_face, corrupt...) or ""


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    metadata_path: Path
    history: dict[str, list[float]]
    best_epoch: int
    best_val_l1: float | None


def matte_portrait(rgb: RGBImage) -> Matte:
    """The site's own matting (face check, segmentation, closed-form matting)."""
    from apps.idphoto.services import matte_photo  # imports the models: needs django.setup()

    return matte_photo(rgb).matte.alpha


def portrait_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)


def load_sample(path: Path, *, matte: MatteFn, limits: Limits, input_size: int, cache: Path | None) -> Sample:
    data = path.read_bytes()
    cached = _cache_path(cache, data, input_size) if cache else None
    if cached is not None and cached.exists():
        return _read_cached(cached)
    sample = _matte_sample(data, matte=matte, limits=limits, input_size=input_size)
    if cached is not None:
        _write_cached(cached, sample)
    return sample


def _matte_sample(data: bytes, *, matte: MatteFn, limits: Limits, input_size: int) -> Sample:
    try:
        rgb = decode_image_bytes(data, limits).rgb
        alpha = matte(rgb)
    except ImageInputError as exc:  # PhotoRejected is one: no face, several faces, face too small
        return Sample(image=None, background=None, rejected=exc.code)
    image = preprocess(rgb, alpha, input_size).astype(np.uint8)
    return Sample(image=image, background=background_label(rgb, alpha))


def _cache_path(cache: Path, data: bytes, input_size: int) -> Path:
    # Keyed by content, not by name: renamed or re-exported photos are not matted again.
    digest = hashlib.sha256(data).hexdigest()[:32]
    return cache / f"v{CACHE_VERSION}-{input_size}px" / f"{digest}.npz"


def _read_cached(path: Path) -> Sample:
    with np.load(path) as stored:
        rejected = str(stored["rejected"])
        background = stored["background"]
        return Sample(
            image=None if rejected else stored["image"],
            background=None if np.isnan(background).any() else tuple(float(v) for v in background),
            rejected=rejected,
        )


def _write_cached(path: Path, sample: Sample) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    background = sample.background if sample.background is not None else (math.nan,) * 3
    image = sample.image if sample.image is not None else np.zeros((0, 0, 3), np.uint8)
    np.savez(path, image=image, background=np.asarray(background, np.float64), rejected=np.asarray(sample.rejected))


def read_choices(csv_path: Path) -> list[tuple[Path, tuple[float, float, float] | None]]:
    """(image path, chosen colour / 255) per row; None for a colour that does not parse."""
    from apps.idphoto.services import parse_hex

    rows = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                label = tuple(v / 255.0 for v in parse_hex(row["hex"]))
            except ValueError:
                label = None
            rows.append((csv_path.parent / row["image"], label))
    return rows


def build_dataset(
    *,
    portraits: Path | None = None,
    choices: Path | None = None,
    input_size: int = INPUT_SIZE,
    cache: Path | None = None,
    matte: MatteFn = matte_portrait,
    limits: Limits | None = None,
) -> Dataset:
    """Matte, preprocess and label every usable photo; count the others by reason."""
    limits = limits or intake_limits()
    jobs: list[tuple[Path, str, tuple[float, float, float] | None]] = []
    if portraits is not None:
        jobs += [(path, "portrait", None) for path in portrait_paths(portraits)]
    if choices is not None:
        jobs += [(path, "choice", label) for path, label in read_choices(choices)]

    images, labels, sources = [], [], []
    skipped: Counter[str] = Counter()
    for done, (path, kind, chosen) in enumerate(jobs, start=1):
        if done % LOG_EVERY == 0:
            logger.info("Prepared %d of %d photos", done, len(jobs))
        if kind == "choice" and chosen is None:
            skipped["bad_hex"] += 1
            continue
        if not path.is_file():
            skipped["missing_file"] += 1
            continue
        sample = load_sample(path, matte=matte, limits=limits, input_size=input_size, cache=cache)
        label = chosen if kind == "choice" else sample.background
        if sample.image is None:
            skipped[sample.rejected] += 1
        elif label is None:
            skipped["little_background"] += 1
        else:
            images.append(sample.image)
            labels.append(label)
            sources.append(str(path))
    return Dataset(
        images=np.stack(images) if images else np.zeros((0, input_size, input_size, 3), np.uint8),
        labels=np.asarray(labels, np.float32).reshape(-1, 3),
        sources=sources,
        skipped=skipped,
    )


def split_indices(count: int, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices, shuffled; at least one of each once there are two samples."""
    order = np.random.default_rng(seed).permutation(count)
    n_val = 0 if val_split <= 0 or count < 2 else min(count - 1, max(1, round(count * val_split)))
    return order[n_val:], order[:n_val]


def _batches(
    images: np.ndarray, labels: np.ndarray, rows: np.ndarray, batch_size: int, shuffle_seed: int | None
) -> Any:
    """``rows`` of the data in batches, cast to float32 one batch at a time: the whole
    data set in float32 would take four times the memory of the uint8 one."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.order = rows.copy()
            self.rng = np.random.default_rng(shuffle_seed)
            self.on_epoch_end()

        def __len__(self) -> int:
            return math.ceil(len(self.order) / batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            batch = self.order[index * batch_size : (index + 1) * batch_size]
            return images[batch].astype(np.float32), labels[batch]

        def on_epoch_end(self) -> None:
            if shuffle_seed is not None:
                self.rng.shuffle(self.order)

    return Batches()


def train(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    out: Path,
    epochs: int = 30,
    batch_size: int = 32,
    val_split: float = 0.1,
    seed: int = 0,
    learning_rate: float = 1e-3,
    run_eagerly: bool = False,
    metadata: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit with L1 and Adam; save the best epoch's model to ``out`` and a JSON sidecar beside it.

    ``images`` are ``preprocess()`` outputs (uint8 or float, N x s x s x 3); the
    input size is read from them. ``run_eagerly`` skips tracing the training
    step, which costs longer than a few steps on tiny data (tests).
    """
    import keras

    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"Need as many labels as images, and some: {len(images)} images, {len(labels)} labels")
    input_size = int(images.shape[1])
    keras.utils.set_random_seed(seed)
    train_rows, val_rows = split_indices(len(labels), val_split, seed)
    labels = np.asarray(labels, np.float32)

    model = build_model(input_size)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mean_absolute_error", run_eagerly=run_eagerly)
    best: dict[str, Any] = {"l1": math.inf, "epoch": 0, "weights": None}

    def on_epoch_end(epoch: int, logs: dict[str, float]) -> None:
        train_l1, val_l1 = logs["loss"], logs.get("val_loss")
        logger.info("epoch %d/%d  train L1 %.4f  val L1 %s", epoch + 1, epochs, train_l1,
                    "-" if val_l1 is None else f"{val_l1:.4f}")  # fmt: skip
        # Without a validation set the best epoch can only be judged on training loss.
        judged = train_l1 if val_l1 is None else val_l1
        if judged < best["l1"]:
            best.update(l1=judged, epoch=epoch + 1, weights=model.get_weights())

    history = model.fit(
        _batches(images, labels, train_rows, batch_size, shuffle_seed=seed),
        validation_data=_batches(images, labels, val_rows, batch_size, shuffle_seed=None) if len(val_rows) else None,
        epochs=epochs,
        verbose=0,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)],
    ).history

    if best["weights"] is None:
        raise RuntimeError("Training diverged: the loss was NaN in every epoch; try a lower --learning-rate")
    # A fresh, uncompiled copy: the served file carries no optimizer state (a third of the size).
    serving = build_model(input_size)
    serving.set_weights(best["weights"])
    out.parent.mkdir(parents=True, exist_ok=True)
    serving.save(out)

    best_val_l1 = float(best["l1"]) if len(val_rows) else None
    metadata_path = out.with_suffix(".json")
    sidecar = {
        "model": "EfficientNet-B0 (weights=None) + global average pooling + dropout 0.2 + dense(3, sigmoid)",
        "loss": "L1 on RGB / 255",
        "input_size": input_size,
        "data_count": len(labels),
        "train_count": len(train_rows),
        "val_count": len(val_rows),
        "epochs": epochs,
        "best_epoch": best["epoch"],
        "val_l1": best_val_l1,
        "history": {key: [float(v) for v in values] for key, values in history.items()},
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **(metadata or {}),
    }
    metadata_path.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    if best_val_l1 is not None:
        logger.info("Best val L1 %.4f (about %.1f of 255) at epoch %d; the paper reports 0.034",
                    best_val_l1, best_val_l1 * 255, best["epoch"])  # fmt: skip
    logger.info("Saved %s and %s", out, metadata_path)
    return TrainResult(out, metadata_path, sidecar["history"], best["epoch"], best_val_l1)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portraits", type=Path, help="folder of portrait photos, searched recursively")
    parser.add_argument("--choices", type=Path, help="choices.csv from manage.py export_background_choices")
    parser.add_argument("--out", type=Path, help="default: ML_MODELS_DIR/idphoto/background.keras")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-split", type=float, default=0.1)
    parser.add_argument("--input-size", type=int, default=INPUT_SIZE)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, help="folder for matted, preprocessed photos: reruns skip matting")
    args = parser.parse_args(argv)
    if args.portraits is None and args.choices is None:
        parser.error("give --portraits DIR, --choices CSV or both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    log_to_console(logger)
    dataset = build_dataset(
        portraits=args.portraits, choices=args.choices, input_size=args.input_size, cache=args.cache
    )
    logger.info("%d usable photos; skipped %s", len(dataset), dict(dataset.skipped) or "none")
    if len(dataset) < 2:
        logger.error("Too few usable photos to train and validate on")
        return 1
    train(
        dataset.images,
        dataset.labels,
        out=args.out or settings.ML_MODELS_DIR / "idphoto" / "background.keras",
        epochs=args.epochs,
        batch_size=args.batch_size,
        val_split=args.val_split,
        seed=args.seed,
        learning_rate=args.learning_rate,
        metadata={
            "sources": {"portraits": str(args.portraits or ""), "choices": str(args.choices or "")},
            "skipped": dict(dataset.skipped),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
