"""Train the suit tool's face parser: the source's U-Net on a LaPa-style folder.

The data folder is laid out as LaPa is::

    DIR/train/images/*.jpg   DIR/train/labels/*.png   (same stem; a label pixel is its class index 0..10)
    DIR/val/...              DIR/test/...             (optional)

Without ``val`` a seeded 10% of ``train`` is held out for early stopping; the final scores
come from ``test``, else from the held-out images. For example (it finds the repository from
its own path, so any working directory does)::

    python training/suit/train_unet.py --data ../shared/data/LaPa --size 256 --filters 16,32,64,128,256

The source's own settings (``--size 512``, filters 64..1024, 31 M parameters) are the defaults;
they need a GPU. The best epoch (lowest held-out loss) is saved uncompiled to
``ml_models/suit/face_parser.keras`` with a ``face_parser.json`` sidecar (classes, input size,
filters, per-class F1 and Jaccard, timings, data path, command). The site uses it from its next start.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.suit.unet import (
    LAPA_CLASSES,
    SOURCE_FILTERS,
    SOURCE_INPUT_SIZE,
    build_unet,
    confusion_matrix,
    face_parser_path,
    format_report,
    per_image_scores,
    pooled_scores,
    predict_labels,
    preprocess,
    resize_labels,
)
from training.common import log_to_console, setup_django

logger = logging.getLogger("training.suit.train_unet")

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
HOLD_OUT = 0.1  # of train, when there is no val folder
LOG_EVERY = 500  # test images

# A mirrored face has its left eyebrow and eye where the right ones were: a horizontal flip
# must relabel them, or the network learns that either side may be either.
MIRRORED_CLASS = np.arange(len(LAPA_CLASSES), dtype=np.uint8)
for _index, _name in enumerate(LAPA_CLASSES):
    if _name.startswith("left_"):
        _other = LAPA_CLASSES.index("right_" + _name.removeprefix("left_"))
        MIRRORED_CLASS[_index], MIRRORED_CLASS[_other] = _other, _index


@dataclass(frozen=True)
class Sample:
    image: Path
    labels: Path


def split_samples(folder: Path) -> list[Sample]:
    """The (image, label PNG) pairs of one split folder, by stem; an image without its labels is an error."""
    images = sorted(p for p in (folder / "images").glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    labels = {p.stem: p for p in (folder / "labels").glob("*.png")}
    unlabelled = [p.name for p in images if p.stem not in labels]
    if unlabelled:
        raise ValueError(f"{len(unlabelled)} images in {folder / 'images'} have no label PNG, e.g. {unlabelled[0]}")
    return [Sample(p, labels[p.stem]) for p in images]


def load_sample(sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """(RGB uint8 HxWx3, labels uint8 HxW) at the photo's own size."""
    with Image.open(sample.image) as image:
        rgb = np.asarray(image.convert("RGB"))
    with Image.open(sample.labels) as label_image:
        # LaPa's PNGs are greyscale; a palette PNG's pixel values are already class indices.
        labels = np.asarray(label_image if label_image.mode in ("L", "P") else label_image.convert("L"))
    if labels.shape != rgb.shape[:2]:
        raise ValueError(f"{sample.labels.name} is {labels.shape[::-1]} but its photo {rgb.shape[1::-1]}")
    if labels.max() >= len(LAPA_CLASSES):
        raise ValueError(f"{sample.labels.name} has class {labels.max()}; LaPa's are 0..{len(LAPA_CLASSES) - 1}")
    return np.ascontiguousarray(rgb), np.ascontiguousarray(labels, dtype=np.uint8)


def mirror(image: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A horizontal flip of a photo (HxWxC) and its labels (HxW), left and right classes swapped."""
    return image[:, ::-1].copy(), MIRRORED_CLASS[labels[:, ::-1]]


def held_out_split(samples: list[Sample], fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """(train, held out): a seeded ``fraction`` held out, at least one sample when there are two or more."""
    order = np.random.default_rng(seed).permutation(len(samples))
    n_held = 0 if len(samples) < 2 else min(len(samples) - 1, max(1, round(len(samples) * fraction)))
    held = sorted(order[:n_held].tolist())
    kept = sorted(order[n_held:].tolist())
    return [samples[i] for i in kept], [samples[i] for i in held]


def _batches(
    samples: list[Sample], size: int, batch_size: int, *, seed: int | None, steps: int | None, workers: int
) -> Any:
    """Batches read from disk through ``preprocess``; shuffled and mirrored at random when ``seed`` is given."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__(workers=workers, use_multiprocessing=False)
            self.order = np.arange(len(samples))
            self.rng = np.random.default_rng(seed)
            self.on_epoch_end()

        def __len__(self) -> int:
            return steps or math.ceil(len(samples) / batch_size)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            # With --steps-per-epoch an epoch may be more or fewer batches than the data: wrap round.
            rows = self.order[np.arange(index * batch_size, (index + 1) * batch_size) % len(samples)]
            if steps is None:
                rows = rows[: max(0, len(samples) - index * batch_size)]
            x = np.zeros((len(rows), size, size, 3), np.float32)
            y = np.zeros((len(rows), size, size), np.uint8)
            for i, row in enumerate(rows):
                rgb, labels = load_sample(samples[row])
                rgb, labels = preprocess(rgb, size), resize_labels(labels, size)
                if seed is not None and self.rng.random() < 0.5:
                    rgb, labels = mirror(rgb, labels)
                x[i], y[i] = rgb, labels
            return x, y

        def on_epoch_end(self) -> None:
            if seed is not None:
                self.rng.shuffle(self.order)

    return Batches()


def evaluate(model: Any, samples: list[Sample]) -> dict[str, Any]:
    """Scores at each photo's own size, from the same ``predict_labels`` the site calls.

    Both protocols: pixels pooled over the set (the honest one), and the source's per-image mean.
    """
    confusions = []
    for done, sample in enumerate(samples, start=1):
        rgb, labels = load_sample(sample)
        confusions.append(confusion_matrix(labels, predict_labels(model, rgb), len(LAPA_CLASSES)))
        if done % LOG_EVERY == 0:
            logger.info("Evaluated %d of %d images", done, len(samples))
    return {"pooled": pooled_scores(confusions), "per_image": per_image_scores(confusions)}


def train(args: argparse.Namespace, command: str) -> dict[str, Any]:
    import keras

    started = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    train_samples = split_samples(args.data / "train")[: args.limit]
    val_samples = split_samples(args.data / "val")[: args.limit] if (args.data / "val").is_dir() else []
    test_samples = split_samples(args.data / "test")[: args.limit] if (args.data / "test").is_dir() else []
    val_source = "val folder"
    if not val_samples:
        train_samples, val_samples = held_out_split(train_samples, HOLD_OUT, args.seed)
        val_source = f"{HOLD_OUT:.0%} of train, seed {args.seed}"
    if not train_samples:
        raise ValueError(f"{args.data / 'train'} has no image with labels")
    logger.info("%d training, %d validation (%s), %d test images", len(train_samples), len(val_samples),
                val_source, len(test_samples))  # fmt: skip

    model = build_unet(args.size, args.filters, len(LAPA_CLASSES))
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="sparse_categorical_crossentropy")
    monitor = "val_loss" if val_samples else "loss"

    def log_epoch(epoch: int, logs: dict[str, float]) -> None:
        val_loss = f"{logs['val_loss']:.4f}" if "val_loss" in logs else "-"
        logger.info("epoch %d/%d  loss %.4f  val loss %s", epoch + 1, args.epochs, logs["loss"], val_loss)

    callbacks = [
        # The source's schedule: the rate divided by 10 after 5 flat epochs, stop after 20.
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.1, patience=5, min_lr=1e-7),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=args.patience, restore_best_weights=True),
        keras.callbacks.LambdaCallback(on_epoch_end=log_epoch),
    ]
    common = {"size": args.size, "batch_size": args.batch, "workers": args.workers}
    history = model.fit(
        _batches(train_samples, seed=args.seed, steps=args.steps_per_epoch, **common),
        validation_data=_batches(val_samples, seed=None, steps=None, **common) if val_samples else None,
        epochs=args.epochs,
        verbose=0,
        callbacks=callbacks,
    ).history
    best_epoch = int(np.argmin(history[monitor])) + 1
    fit_seconds = time.perf_counter() - started

    # A fresh, uncompiled copy of the best epoch: the served file carries no optimizer state.
    serving = build_unet(args.size, args.filters, len(LAPA_CLASSES))
    serving.set_weights(model.get_weights())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    serving.save(args.out)

    scored_on, scored = ("test", test_samples) if test_samples else ("validation", val_samples)
    metrics = evaluate(serving, scored) if scored else None
    if metrics is not None:
        logger.info("Scores on the %s images:\n%s\n\n%s", scored_on, format_report(metrics["pooled"]),
                    format_report(metrics["per_image"]))  # fmt: skip
    sidecar = {
        "model": "U-Net: conv_block (2 x Conv3x3 + BatchNorm + ReLU), 2x2 max-pool, 2x2 transposed conv + skip, "
        "softmax",
        "classes": list(LAPA_CLASSES),
        "input_size": args.size,
        "filters": list(args.filters),
        "parameters": int(serving.count_params()),
        "preprocess": "RGB resized to input_size x input_size (stretched), float 0..1: apps.suit.unet.preprocess",
        "scored_on": scored_on if metrics is not None else None,
        "metrics": metrics,
        "train_count": len(train_samples),
        "val_count": len(val_samples),
        "val_source": val_source,
        "test_count": len(test_samples),
        "epochs": args.epochs,
        "epochs_run": len(history["loss"]),
        "best_epoch": best_epoch,
        "best_epoch_chosen_on": monitor,
        "history": {key: [float(v) for v in values] for key, values in history.items()},
        "batch_size": args.batch,
        "steps_per_epoch": args.steps_per_epoch,
        "learning_rate": args.learning_rate,
        "optimizer": "Adam; rate x0.1 after 5 epochs without improvement; early stopping restores the best epoch",
        "augmentation": "horizontal flip (left/right classes swapped), p = 0.5",
        "seed": args.seed,
        "limit": args.limit,
        "training_seconds": round(fit_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "trained_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "data_source": str(args.data.resolve()),
        "command": command,
    }
    metadata_path = args.out.with_suffix(".json")
    metadata_path.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    logger.info("Saved %s and %s", args.out, metadata_path)
    return sidecar


def _filters(text: str) -> tuple[int, ...]:
    try:
        filters = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if len(filters) < 2 or min(filters) < 1:
        raise argparse.ArgumentTypeError("expected at least two positive sizes (levels plus the bottleneck)")
    return filters


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="LaPa-style folder: train/, optional val/ and test/")
    parser.add_argument("--size", type=int, default=SOURCE_INPUT_SIZE, help="square input side in pixels")
    parser.add_argument("--filters", type=_filters, default=SOURCE_FILTERS,
                        help="comma list, last one the bottleneck's; 16,32,64,128,256 trains on a CPU")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps-per-epoch", type=int, help="default: the whole training split once")
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--patience", type=int, default=20, help="epochs without a better held-out loss")
    parser.add_argument("--limit", type=int, help="use only the first N images of each split (quick runs)")
    parser.add_argument("--workers", type=int, default=2, help="threads reading and resizing images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="default: ML_MODELS_DIR/suit/face_parser.keras")
    args = parser.parse_args(argv)
    if not (args.data / "train").is_dir():
        parser.error(f"--data {args.data} has no train/ folder")
    levels = len(args.filters) - 1
    if args.size % 2**levels:
        parser.error(f"--size must be divisible by {2**levels} for {levels} pooling levels")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    setup_django()
    log_to_console(logger)
    args.out = args.out or face_parser_path()
    try:
        train(args, command=" ".join(["python", "training/suit/train_unet.py", *argv]))
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
