"""Train one emoticon attribute classifier (mask, glasses or frame shape): the source's 3-layer CNN.

The data folder holds one subfolder per class, named after the attribute's
classes (``mask``/``no_mask``; ``none``/``eyeglasses``/``sunglasses``;
``round``/``square``). ``with_mask``/``without_mask`` and ``no_glasses`` are
accepted as aliases. Each photo goes through the site's own face mesh, and the
classifier is trained on the very crop the site will show it (``face_crop``).

For example (it finds the repository from its own path, so any working directory does)::

    python training/emoticon/train_attribute.py --attribute mask --data ../shared/data/face_mask \\
        --cache /tmp/mask-cache --epochs 30

A stratified, seeded 20% of the photos is held out; its accuracy, per-class
precision and recall and confusion matrix go to a JSON sidecar beside the
model (``ml_models/emoticon/<attribute>.keras`` and ``<attribute>.json``). The
site uses the model from its next start.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import math
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.core.imageio import ImageInputError, Limits, RGBImage, decode_image_bytes
from apps.emoticon.classifiers import ATTRIBUTE_CLASSES, INPUT_SIZE, build_classifier, face_crop, model_path
from training.common import log_to_console, setup_django

logger = logging.getLogger("training.emoticon.train_attribute")

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Folder names other data sets use for our classes.
ALIASES: dict[str, dict[str, str]] = {
    "mask": {"with_mask": "mask", "without_mask": "no_mask"},
    "glasses": {"no_glasses": "none"},
    "frame_shape": {},
}
# Bump when face_crop() or photo_crop() changes: cached crops would no longer match.
CACHE_VERSION = 3
LOG_EVERY = 200
# Training reads scraped web photos, not uploads: accept anything a photo could be.
DATA_LIMITS = Limits(max_bytes=64 * 1024 * 1024, max_pixels=200_000_000, min_side=8)
UPSCALE_BELOW = 256  # long side in pixels; the face mesh misses small faces

LandmarksFn = Callable[[RGBImage], list[np.ndarray]]


@dataclass
class Dataset:
    images: np.ndarray  # N x size x size x 3 uint8: face_crop() outputs
    labels: np.ndarray  # N int64, indices into classes
    classes: tuple[str, ...]
    sources: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    metadata_path: Path
    val_accuracy: float | None
    best_epoch: int
    confusion: list[list[int]]


def class_folders(data: Path, attribute: str) -> list[tuple[Path, int]]:
    """(folder, class index) per subfolder of ``data``; a folder that names no class is an error."""
    classes = ATTRIBUTE_CLASSES[attribute]
    aliases = ALIASES[attribute]
    folders = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".")):
        label = aliases.get(folder.name, folder.name)
        if label not in classes:
            known = ", ".join([*classes, *aliases])
            raise ValueError(f"Folder {folder} names no {attribute} class; expected one of: {known}")
        folders.append((folder, classes.index(label)))
    if not folders:
        raise ValueError(f"{data} has no class subfolders")
    return folders


def site_landmarks(rgb: RGBImage) -> list[np.ndarray]:
    """The site's face mesh (needs django.setup())."""
    from apps.core.face_models import face_landmarks

    return face_landmarks(rgb)


def photo_crop(
    data: bytes, attribute: str, *, input_size: int, landmarks_fn: LandmarksFn
) -> tuple[np.ndarray | None, str]:
    """(crop, "") for a photo with a face, else (None, why): the largest face when there are several."""
    try:
        rgb = decode_image_bytes(data, DATA_LIMITS).rgb
    except ImageInputError as exc:
        return None, exc.code
    if max(rgb.shape[:2]) < UPSCALE_BELOW:
        rgb = cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    faces = landmarks_fn(rgb)
    if not faces:
        # Scraped data sets crop tightly round the face, and the face mesh's detector wants some
        # context: a black border brings back four in ten of the faces it missed.
        pad = max(rgb.shape[:2]) // 4
        padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = [points - np.float32(pad) for points in landmarks_fn(padded)]
    if not faces:
        return None, "no_face"
    largest = max(faces, key=lambda points: float(np.prod(points.max(axis=0) - points.min(axis=0))))
    return face_crop(rgb, largest, attribute, input_size), ""


def _cache_path(cache: Path, data: bytes, attribute: str, input_size: int) -> Path:
    # Keyed by content, not name; glasses and frame shape see the same eye band, so they share crops.
    region = "face" if attribute == "mask" else "eyes"
    digest = hashlib.sha256(data).hexdigest()[:32]
    return cache / f"v{CACHE_VERSION}-{region}-{input_size}px" / f"{digest}.npz"


def load_photo(
    path: Path, attribute: str, *, input_size: int, cache: Path | None, landmarks_fn: LandmarksFn
) -> tuple[np.ndarray | None, str]:
    data = path.read_bytes()
    cached = _cache_path(cache, data, attribute, input_size) if cache else None
    if cached is not None and cached.exists():
        with np.load(cached) as stored:
            rejected = str(stored["rejected"])
            return (None if rejected else stored["crop"]), rejected
    crop, rejected = photo_crop(data, attribute, input_size=input_size, landmarks_fn=landmarks_fn)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, crop=crop if crop is not None else np.zeros((0, 0, 3), np.uint8), rejected=rejected)
    return crop, rejected


def load_dataset(
    data: Path,
    attribute: str,
    *,
    input_size: int = INPUT_SIZE,
    cache: Path | None = None,
    landmarks_fn: LandmarksFn = site_landmarks,
) -> Dataset:
    """Crop every photo under ``data``'s class folders; count the unusable ones by reason."""
    jobs = [
        (path, label)
        for folder, label in class_folders(data, attribute)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix.lower() in PHOTO_SUFFIXES
    ]
    images, labels, sources = [], [], []
    skipped: Counter[str] = Counter()
    for done, (path, label) in enumerate(jobs, start=1):
        if done % LOG_EVERY == 0:
            logger.info(
                "Cropped %d of %d photos (%d without a usable face so far)", done, len(jobs), sum(skipped.values())
            )
        crop, rejected = load_photo(path, attribute, input_size=input_size, cache=cache, landmarks_fn=landmarks_fn)
        if crop is None:
            skipped[rejected] += 1
            continue
        images.append(crop)
        labels.append(label)
        sources.append(str(path))
    return Dataset(
        images=np.stack(images) if images else np.zeros((0, input_size, input_size, 3), np.uint8),
        labels=np.asarray(labels, np.int64),
        classes=ATTRIBUTE_CLASSES[attribute],
        sources=sources,
        skipped=skipped,
    )


def stratified_split(labels: np.ndarray, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices: the same fraction of every class held out, at least one of any class with two."""
    rng = np.random.default_rng(seed)
    train_rows, val_rows = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        n_val = 0 if val_split <= 0 or len(rows) < 2 else min(len(rows) - 1, max(1, round(len(rows) * val_split)))
        val_rows.append(rows[:n_val])
        train_rows.append(rows[n_val:])
    return rng.permutation(np.concatenate(train_rows)), np.sort(np.concatenate(val_rows))


def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training only: mirror half the crops, scale brightness by 0.8..1.2. Takes and gives float 0..1."""
    flip = rng.random(len(batch)) < 0.5
    batch[flip] = batch[flip, :, ::-1]
    batch *= rng.uniform(0.8, 1.2, size=(len(batch), 1, 1, 1)).astype(np.float32)
    return np.clip(batch, 0.0, 1.0, out=batch)


def _batches(
    images: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    batch_size: int,
    *,
    weights: np.ndarray | None,
    seed: int | None,
) -> Any:
    """``rows`` in batches, scaled to float one batch at a time; shuffled and augmented when ``seed`` is given."""
    import keras

    from apps.emoticon.classifiers import preprocess

    class Batches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.order = rows.copy()
            self.rng = np.random.default_rng(seed)
            self.on_epoch_end()

        def __len__(self) -> int:
            return math.ceil(len(self.order) / batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
            batch = self.order[index * batch_size : (index + 1) * batch_size]
            x = preprocess(images[batch])
            if seed is None:
                return x, labels[batch]
            return augment(x, self.rng), labels[batch], weights[labels[batch]]

        def on_epoch_end(self) -> None:
            if seed is not None:
                self.rng.shuffle(self.order)

    return Batches()


def evaluate(
    model: Any, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], batch_size: int
) -> dict[str, Any]:
    """Accuracy, per-class precision and recall, and the confusion matrix (rows: true class; columns: predicted)."""
    from apps.emoticon.classifiers import preprocess

    predicted = np.zeros(0, np.int64)
    for start in range(0, len(images), batch_size):
        probabilities = np.asarray(model(preprocess(images[start : start + batch_size]), training=False))
        predicted = np.concatenate([predicted, np.argmax(probabilities, axis=1)])
    confusion = np.zeros((len(classes), len(classes)), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {}
    for index, name in enumerate(classes):
        true_positive = int(confusion[index, index])
        said, actual = int(confusion[:, index].sum()), int(confusion[index].sum())
        per_class[name] = {
            "precision": true_positive / said if said else None,
            "recall": true_positive / actual if actual else None,
            "support": actual,
        }
    return {
        "accuracy": float(np.trace(confusion) / confusion.sum()) if confusion.sum() else None,
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
    }


def train(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    classes: tuple[str, ...],
    out: Path,
    epochs: int = 15,
    batch_size: int = 32,
    val_split: float = 0.2,
    seed: int = 0,
    learning_rate: float = 1e-3,
    metadata: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit with Adam and sparse categorical cross-entropy; save the best epoch to ``out`` plus a JSON sidecar.

    ``images`` are ``face_crop()`` outputs (uint8, N x s x s x 3); the input
    size is read from them. The held-out part is the test set: its accuracy
    picks the best epoch and is what the sidecar reports.
    """
    import keras

    started = time.perf_counter()
    labels = np.asarray(labels, np.int64)
    if len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"Need as many labels as images, and some: {len(images)} images, {len(labels)} labels")
    input_size = int(images.shape[1])
    keras.utils.set_random_seed(seed)
    train_rows, val_rows = stratified_split(labels, val_split, seed)
    counts = np.bincount(labels, minlength=len(classes))
    train_counts = np.bincount(labels[train_rows], minlength=len(classes))
    # Balanced class weights: a rare class (sunglasses) costs as much as a common one in the loss.
    weights = np.where(train_counts > 0, len(train_rows) / (len(classes) * np.maximum(train_counts, 1)), 0.0)

    train_batches = _batches(images, labels, train_rows, batch_size, weights=weights, seed=seed)
    # Cosine decay to a twentieth of the starting rate: the last epochs settle instead of
    # swinging, so the best epoch is not a lucky one.
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * len(train_batches), alpha=0.05)
    model = build_classifier(len(classes), input_size)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])  # fmt: skip
    best: dict[str, Any] = {"score": -math.inf, "epoch": 0, "weights": None}

    def on_epoch_end(epoch: int, logs: dict[str, float]) -> None:
        val_accuracy = logs.get("val_accuracy")
        logger.info("epoch %d/%d  loss %.4f  accuracy %.4f  val loss %s  val accuracy %s", epoch + 1, epochs,
                    logs["loss"], logs["accuracy"], _fmt(logs.get("val_loss")), _fmt(val_accuracy))  # fmt: skip
        # Without a held-out set the best epoch can only be judged on training accuracy.
        score = logs["accuracy"] if val_accuracy is None else val_accuracy
        if score > best["score"]:
            best.update(score=score, epoch=epoch + 1, weights=model.get_weights())

    history = model.fit(
        train_batches,
        validation_data=_batches(images, labels, val_rows, batch_size, weights=None, seed=None)
        if len(val_rows)
        else None,
        epochs=epochs,
        verbose=0,
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)],
    ).history

    # A fresh, uncompiled copy: the served file carries no optimizer state.
    serving = build_classifier(len(classes), input_size)
    serving.set_weights(best["weights"])
    out.parent.mkdir(parents=True, exist_ok=True)
    serving.save(out)

    held_out = evaluate(serving, images[val_rows], labels[val_rows], classes, batch_size)
    metadata_path = out.with_suffix(".json")
    sidecar = {
        "model": "3 x (Conv3x3 32/64/128 + BatchNorm + ReLU + MaxPool) + GAP + Dense(64) + Dropout 0.4 + softmax",
        "classes": list(classes),
        "input_size": input_size,
        "counts": {name: int(n) for name, n in zip(classes, counts, strict=True)},
        "train_count": len(train_rows),
        "val_count": len(val_rows),
        "val_split": val_split,
        "val_accuracy": held_out["accuracy"],
        "val_per_class": held_out["per_class"],
        "confusion_matrix": held_out["confusion_matrix"],
        "confusion_matrix_axes": "rows: true class, columns: predicted, in the order of classes",
        "best_epoch_chosen_on": "held-out accuracy" if len(val_rows) else "training accuracy",
        "epochs": epochs,
        "best_epoch": best["epoch"],
        # The best epoch is picked on the held-out set itself; the last epoch's score shows how much that flatters.
        "last_epoch_val_accuracy": float(history["val_accuracy"][-1]) if "val_accuracy" in history else None,
        "history": {key: [float(v) for v in values] for key, values in history.items()},
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "optimizer": "Adam; learning rate on a cosine decay to 5% of its start",
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        **(metadata or {}),
    }
    metadata_path.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    if held_out["accuracy"] is not None:
        logger.info("Held-out accuracy %.4f at epoch %d; per class %s; confusion %s", held_out["accuracy"],
                    best["epoch"], _recalls(held_out["per_class"]), held_out["confusion_matrix"])  # fmt: skip
    logger.info("Saved %s and %s", out, metadata_path)
    return TrainResult(out, metadata_path, held_out["accuracy"], best["epoch"], held_out["confusion_matrix"])


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _recalls(per_class: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{name} recall {_fmt(stats['recall'])}" for name, stats in per_class.items())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attribute", required=True, choices=sorted(ATTRIBUTE_CLASSES))
    parser.add_argument("--data", required=True, type=Path, help="folder with one subfolder of photos per class")
    parser.add_argument("--out", type=Path, help="default: ML_MODELS_DIR/emoticon/<attribute>.keras")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-split", type=float, default=0.2, help="held-out fraction, stratified: the test set")
    parser.add_argument("--input-size", type=int, default=INPUT_SIZE)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, help="folder for face crops (npz): reruns skip the face mesh")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    log_to_console(logger)
    started = time.perf_counter()
    try:
        dataset = load_dataset(args.data, args.attribute, input_size=args.input_size, cache=args.cache)
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    crop_seconds = time.perf_counter() - started
    logger.info("%d usable photos in %.0fs; per class %s; skipped %s", len(dataset), crop_seconds,
                dict(zip(dataset.classes, np.bincount(dataset.labels, minlength=len(dataset.classes)).tolist(),
                         strict=True)), dict(dataset.skipped) or "none")  # fmt: skip
    if len(dataset) < 2:
        logger.error("Too few usable photos to train and test on")
        return 1
    train(
        dataset.images,
        dataset.labels,
        classes=dataset.classes,
        out=args.out or model_path(args.attribute),
        epochs=args.epochs,
        batch_size=args.batch_size,
        val_split=args.val_split,
        seed=args.seed,
        learning_rate=args.learning_rate,
        metadata={
            "attribute": args.attribute,
            "data_source": str(args.data.resolve()),
            "skipped": dict(dataset.skipped),
            "crop_seconds": round(crop_seconds, 1),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
