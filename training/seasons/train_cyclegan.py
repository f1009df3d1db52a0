"""Train a CycleGAN for one season pair and export its two generators for the site.

Data is unpaired: domain A and domain B images, from TFDS (splits trainA/trainB) or from
two folders (jpg/png, searched recursively), decoded into memory once. Training images get
the paper's jitter: resized (once) to 286/256 of the training size, then a random crop back
to it and a random horizontal flip at every step. Pixels go through
``apps.seasons.cyclegan.preprocess``, the function serving uses.

For example (it finds the repository from its own path, so any working directory does)::

    python training/seasons/train_cyclegan.py --pair summer_winter \\
        --tfds cycle_gan/summer2winter_yosemite --epochs 100 --checkpoint-dir ~/ckpt/sw --export
    python training/seasons/train_cyclegan.py --pair day_night --folder-a ~/day --folder-b ~/night \\
        --checkpoint-dir ~/ckpt/dn --resume --log ~/ckpt/dn/losses.csv --export

The shipped summer/winter generators were trained on one GPU under Keras's PyTorch backend
(the command is in docs/models/seasons.md)::

    KERAS_BACKEND=torch python training/seasons/train_cyclegan.py --backend torch --pair summer_winter \\
        --folder-a DATA/trainA --folder-b DATA/trainB --filters 32 --blocks 9 --batch-size 8 \\
        --steps-per-epoch 154 --epochs 1000 --max-minutes 16 --decay --export --out-dir GEN --discriminator-dir DISC

``--backend`` picks Keras's backend: ``tensorflow`` (the default: what the site runs, and what
the suite tests) or ``torch`` (for a CUDA GPU machine with PyTorch, where TensorFlow is not
installed; Django is not needed there either when ``--out-dir`` is given). Both train the same
networks and export the same ``.keras`` files. Checkpoints (``--checkpoint-dir``, ``--resume``)
are TensorFlow's, so the torch backend trains one run and exports at its end.

``--epochs`` is the total: with ``--resume`` training continues from the latest checkpoint's
epoch up to it. ``--max-minutes`` stops earlier, after the step that crosses that much wall
time: a checkpoint of the partial epoch is saved (a resume runs that epoch again in full) and
the export still happens. With ``--decay``, the learning rates then fall linearly to zero over
the budget's second half, as the paper's do over its second half of epochs. ``--export``
writes ``ML_MODELS_DIR/seasons/<a2b>.keras`` and ``<b2a>.keras`` (e.g. summer2winter and
winter2summer), inference-only, each with a JSON sidecar; ``--discriminator-dir`` also saves
the two discriminators (``discriminator_<domain>.keras``, the critic of that domain's
images), which ``evaluate_translation.py`` uses to score both engines. They are for
evaluation only: the site never loads them. Sizes at float32: the default slim generator
(filters 32, 6 blocks: 2.0 M parameters) is about 8 MB a file, the shipped 32 x 9 one 11.2 MB,
the paper's full one (``--filters 64 --blocks 9``: 11.4 M) about 46 MB, over the repository's
16 MB per-file limit, so keep that one out of git.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.seasons.cyclegan import LEARNING_RATE, TFDS_DATASETS, UPSAMPLINGS, CycleGAN, preprocess
from apps.seasons.pipeline.types import DIRECTIONS, MODEL_SIZE
from training.common import log_to_console, setup_django

logger = logging.getLogger("training.seasons.train_cyclegan")

PAIRS = tuple(sorted({d.pair for d in DIRECTIONS.values()}))
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
LOG_FIELDS = ("epoch", "step", "g_total", "g_adv_a2b", "g_adv_b2a", "cycle", "identity", "d_a", "d_b")
MAX_EXPORT_BYTES = 16 * 1024 * 1024
BACKENDS = ("tensorflow", "torch")
MAX_DECODED_SIDE = 1024  # training photos are kept in memory at most this big (4 x the 256 px crop)


@dataclass
class TrainResult:
    model: CycleGAN
    epochs: int  # the epoch counter after training: the total trained, resumed runs included
    steps: int  # steps run by this call
    final_losses: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0  # wall time of this call's training loop (pauses of the process included)
    batch_size: int = 1
    stopped_by_time_budget: bool = False


def directions_of(pair: str) -> tuple[str, str]:
    """The pair's (A->B, B->A) direction keys: A is the pair's first domain ("summer" of summer_winter)."""
    source = pair.split("_")[0]
    a2b = next(k for k, d in DIRECTIONS.items() if d.pair == pair and d.source == source)
    b2a = next(k for k, d in DIRECTIONS.items() if d.pair == pair and d.source != source)
    return a2b, b2a


def load_tfds(name: str, split_a: str = "trainA", split_b: str = "trainB", data_dir: str | None = None) -> tuple:
    """Two lists of HxWx3 uint8 RGB images from a TFDS ``cycle_gan/*`` config's two splits."""
    import tensorflow_datasets as tfds

    def images(split: str) -> list[np.ndarray]:
        ds = tfds.load(name, split=split, data_dir=data_dir, shuffle_files=False)
        return [np.asarray(example["image"], np.uint8) for example in ds]

    return images(split_a), images(split_b)


def _image_files(folder: Path) -> list[Path]:
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise ValueError(f"no .jpg/.png images under {folder}")
    return files


def _decode(path: Path) -> np.ndarray:
    """The photo in RGB, at most ``MAX_DECODED_SIDE`` a side: every image is held in memory, and the
    jitter shrinks it to a few hundred pixels anyway, so a folder of 12 MP phone photos must not be
    held at full size."""
    with Image.open(path) as image:
        image.draft("RGB", (MAX_DECODED_SIDE, MAX_DECODED_SIDE))  # JPEG: decode at a reduced scale, faster
        image = image.convert("RGB")
        image.thumbnail((MAX_DECODED_SIDE, MAX_DECODED_SIDE), Image.Resampling.LANCZOS)
        return np.asarray(image)


def load_folders(folder_a: Path, folder_b: Path) -> tuple:
    """Two lists of HxWx3 uint8 RGB images from two folders of photos."""
    return [_decode(p) for p in _image_files(folder_a)], [_decode(p) for p in _image_files(folder_b)]


def load_size(size: int) -> int:
    """The paper's jitter first resizes to 286 for a 256 crop: the same ratio at any ``size``."""
    return round(size * 286 / 256)


def jitter(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The paper's augmentation of an image already at ``load_size(size)``: a random ``size`` crop, a random flip."""
    top, left = (int(rng.integers(0, edge - size + 1)) for edge in image.shape[:2])
    crop = image[top : top + size, left : left + size]
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def make_dataset(images_a: list, images_b: list, size: int, batch_size: int, seed: int = 0) -> Iterator[tuple]:
    """Endless batches of (A, B) float32 training pairs, jittered and preprocessed, shuffled independently.

    Every image is resized to the jitter's load size once, up front (bilinear, aspect not kept,
    as in the paper), so a step only crops and flips: no data pipeline is needed to keep a GPU
    busy. That holds ``load_size(size)``² x 3 bytes per image in memory: 0.25 MB at 256.
    """
    load = load_size(size)
    rng = np.random.default_rng(seed)

    def endless(images: list) -> Iterator[np.ndarray]:
        resized = [cv2.resize(np.asarray(i, np.uint8), (load, load), interpolation=cv2.INTER_LINEAR) for i in images]
        while True:
            for index in rng.permutation(len(resized)):
                # The serving preprocess, not a re-implementation.
                yield preprocess(jitter(resized[index], size, rng))

    stream_a, stream_b = endless(images_a), endless(images_b)
    while True:
        batch_a = np.stack([next(stream_a) for _ in range(batch_size)])
        batch_b = np.stack([next(stream_b) for _ in range(batch_size)])
        yield batch_a, batch_b


class Checkpoints:
    """TensorFlow checkpoints of the four networks, both optimisers and the epoch counter.

    Only under the TensorFlow backend: a GPU run under PyTorch is one session's budget and
    exports its generators at the end (``--max-minutes``), with nothing to resume.
    """

    def __init__(self, model: CycleGAN, directory: Path, resume: bool) -> None:
        if model.backend != "tensorflow":
            raise ValueError("checkpoints need the tensorflow backend; a torch run only exports")
        import tensorflow as tf

        self.epoch = tf.Variable(0, dtype=tf.int64, name="epoch")
        checkpoint = tf.train.Checkpoint(
            g_ab=model.g_ab,
            g_ba=model.g_ba,
            d_a=model.d_a,
            d_b=model.d_b,
            g_optimizer=model.g_optimizer,
            d_optimizer=model.d_optimizer,
            epoch=self.epoch,
        )
        self.manager = tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=3)
        if resume and self.manager.latest_checkpoint:
            checkpoint.restore(self.manager.latest_checkpoint).assert_existing_objects_matched()
            logger.info("Resumed from %s at epoch %d", self.manager.latest_checkpoint, self.epochs_done)
        elif resume:
            logger.warning("No checkpoint in %s; starting from scratch", directory)

    @property
    def epochs_done(self) -> int:
        return int(self.epoch.numpy())

    def save(self, number: int, epochs_done: int) -> None:
        self.epoch.assign(epochs_done)
        self.manager.save(checkpoint_number=number)


def decayed_rate(base: float, elapsed: float, budget: float) -> float:
    """The paper's schedule on a time budget: ``base`` for the first half, then linearly down to 0."""
    return base * min(1.0, max(0.0, 2.0 * (1.0 - elapsed / budget)))


def train(
    *,
    images_a: Any,
    images_b: Any,
    size: int = MODEL_SIZE,
    filters: int = 32,
    blocks: int = 6,
    disc_filters: int = 64,
    upsampling: str = "transposed",
    epochs: int = 1,
    steps_per_epoch: int = 1000,
    batch_size: int = 1,
    checkpoint_dir: Path | None = None,
    resume: bool = False,
    log_path: Path | None = None,
    seed: int = 0,
    max_seconds: float | None = None,
    decay: bool = False,
    log_every: int = 100,
) -> TrainResult:
    """Train (or with ``resume``, continue training) until the epoch counter reaches ``epochs``.

    A checkpoint of the four networks, both optimisers and the epoch counter is saved after
    every epoch when ``checkpoint_dir`` is given. ``log_path`` gets one CSV row per step
    (appended to when it exists). ``max_seconds`` stops after the first step that ends past
    that much wall time, saving a checkpoint of the partial epoch (its counter not advanced);
    with ``decay`` the learning rates follow ``decayed_rate`` over that budget.
    """
    import keras

    keras.utils.set_random_seed(seed)
    if decay and max_seconds is None:
        raise ValueError("decay needs a time budget (max_seconds)")
    model = CycleGAN(
        size=size,
        filters=filters,
        residual_blocks=blocks,
        disc_filters=disc_filters,
        seed=seed,
        upsampling=upsampling,
    )
    if model.backend == "torch":
        import torch

        torch.backends.cudnn.benchmark = True  # fixed input shapes: let cuDNN pick its fastest convolutions
    checkpoints = None if checkpoint_dir is None else Checkpoints(model, checkpoint_dir, resume)
    epochs_done = 0 if checkpoints is None else checkpoints.epochs_done
    batches = iter(make_dataset(images_a, images_b, size, batch_size, seed))
    log_file = writer = None
    if log_path is not None:
        new = not log_path.exists()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = log_path.open("a", newline="")
        writer = csv.DictWriter(log_file, fieldnames=LOG_FIELDS)
        if new:
            writer.writeheader()
    steps = 0
    losses: dict[str, float] = {}
    started = time.monotonic()
    out_of_time = False
    try:
        while epochs_done < epochs and not out_of_time:
            current = epochs_done + 1
            for step in range(1, steps_per_epoch + 1):
                real_a, real_b = next(batches)
                losses = model.train_step(real_a, real_b)
                steps += 1
                if writer is not None:
                    writer.writerow({"epoch": current, "step": step, **{k: f"{v:.6f}" for k, v in losses.items()}})
                elapsed = time.monotonic() - started
                if decay:
                    rate = decayed_rate(LEARNING_RATE, elapsed, max_seconds)
                    model.g_optimizer.learning_rate = rate
                    model.d_optimizer.learning_rate = rate
                if log_every and steps % log_every == 0:
                    logger.info("Step %d (epoch %d), %.0f s: cycle %.3f", steps, current, elapsed, losses["cycle"])
                if max_seconds is not None and elapsed >= max_seconds:
                    out_of_time = True
                    break
            if out_of_time:
                logger.info("Time budget of %.0f s reached in epoch %d after %d steps", max_seconds, current, steps)
                if checkpoints is not None:
                    checkpoints.save(current, epochs_done)  # the partial epoch's weights; its counter not advanced
                break
            epochs_done += 1
            logger.info("Epoch %d/%d: %s", current, epochs, ", ".join(f"{k} {v:.3f}" for k, v in losses.items()))
            if checkpoints is not None:
                checkpoints.save(current, epochs_done)
            if log_file is not None:
                log_file.flush()
    finally:
        if log_file is not None:
            log_file.close()
    return TrainResult(
        model=model,
        epochs=epochs_done,
        steps=steps,
        final_losses=losses,
        seconds=round(time.monotonic() - started, 1),
        stopped_by_time_budget=out_of_time,
        batch_size=batch_size,
    )


def domains_of(pair: str) -> tuple[str, str]:
    """The pair's (A, B) domains: ("summer", "winter") for summer_winter."""
    a, b = pair.split("_")
    return a, b


def export_discriminators(result: TrainResult, *, pair: str, out_dir: Path) -> list[Path]:
    """Save both discriminators as ``out_dir/discriminator_<domain>.keras`` (for evaluation, never served)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for domain, discriminator in zip(domains_of(pair), (result.model.d_a, result.model.d_b), strict=True):
        path = out_dir / f"discriminator_{domain}.keras"
        discriminator.save(path)
        logger.info("Exported %s", path)
        written.append(path)
    return written


def trained_with(backend: str) -> str:
    """The backend and the device it trained on, for the sidecar: "torch on NVIDIA H100 80GB HBM3"."""
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"keras {backend} on {torch.cuda.get_device_name()}"
    return f"keras {backend} on CPU"


def export(result: TrainResult, *, pair: str, out_dir: Path, data_source: str, steps_per_epoch: int) -> list[Path]:
    """Save both generators (no optimiser state) as ``out_dir/<direction>.keras`` plus a JSON sidecar each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model = result.model
    written = []
    for direction, generator in zip(directions_of(pair), (model.g_ab, model.g_ba), strict=True):
        path = out_dir / f"{direction}.keras"
        generator.save(path)  # never compiled, so the file holds no optimiser state
        size_bytes = path.stat().st_size
        if size_bytes > MAX_EXPORT_BYTES:
            logger.warning("%s is %.1f MB, over the 16 MB limit for files in git", path, size_bytes / 2**20)
        sidecar = {
            "pair": pair,
            "direction": direction,
            "size": model.size,
            "filters": model.filters,
            "blocks": model.residual_blocks,
            "upsampling": model.upsampling,
            "parameters": int(generator.count_params()),
            "bytes": size_bytes,
            "epochs": result.epochs,
            "steps_per_epoch": steps_per_epoch,
            "batch_size": result.batch_size,
            "steps_this_run": result.steps,
            "seconds_this_run": result.seconds,
            "stopped_by_time_budget": result.stopped_by_time_budget,
            "final_losses": result.final_losses,
            "data_source": data_source,
            "trained_with": trained_with(model.backend),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n")
        logger.info("Exported %s (%.1f MB)", path, size_bytes / 2**20)
        written.append(path)
    return written


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pair", required=True, choices=PAIRS)
    parser.add_argument("--tfds", help=f"a TFDS config, e.g. {TFDS_DATASETS['summer_winter']}")
    parser.add_argument("--tfds-data-dir", help="where TFDS keeps its data (default: ~/tensorflow_datasets)")
    parser.add_argument("--folder-a", type=Path, help="photos of the pair's first domain (summer of summer_winter)")
    parser.add_argument("--folder-b", type=Path, help="photos of the pair's second domain")
    parser.add_argument("--size", type=int, default=MODEL_SIZE)
    parser.add_argument("--filters", type=int, default=32, help="generator width: 32 slim (default), 64 full")
    parser.add_argument("--blocks", type=int, default=6, help="residual blocks: 6 slim (default), 9 full")
    parser.add_argument("--disc-filters", type=int, default=64)
    parser.add_argument(
        "--upsampling",
        choices=UPSAMPLINGS,
        default="transposed",
        help="the generator's upsampling: the paper's transposed convolutions, or resize then convolve",
    )
    parser.add_argument("--epochs", type=int, default=100, help="total epochs, resumed ones included")
    parser.add_argument("--steps-per-epoch", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="tensorflow",
        help="Keras backend: tensorflow (CPU, checkpoints) or torch (a CUDA GPU; exports only)",
    )
    parser.add_argument("--max-minutes", type=float, help="stop (checkpoint, then export) after this much wall time")
    parser.add_argument("--decay", action="store_true", help="linear decay to 0 over the budget's second half")
    parser.add_argument("--log-every", type=int, default=100, help="log progress every N steps (0: never)")
    parser.add_argument("--checkpoint-dir", type=Path)
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint-dir's latest checkpoint")
    parser.add_argument("--log", type=Path, help="CSV of per-step losses (appended to)")
    parser.add_argument("--export", action="store_true", help="write both generators to ML_MODELS_DIR/seasons/")
    parser.add_argument("--out-dir", type=Path, help="export folder (default: ML_MODELS_DIR/seasons)")
    parser.add_argument("--discriminator-dir", type=Path, help="also save both discriminators here (evaluation only)")
    args = parser.parse_args(argv)
    if bool(args.tfds) == bool(args.folder_a or args.folder_b):
        parser.error("give either --tfds NAME or both --folder-a and --folder-b")
    if not args.tfds and not (args.folder_a and args.folder_b):
        parser.error("--folder-a and --folder-b go together")
    if args.resume and args.checkpoint_dir is None:
        parser.error("--resume needs --checkpoint-dir")
    if args.backend != "tensorflow" and args.checkpoint_dir is not None:
        parser.error("--checkpoint-dir needs --backend tensorflow (a torch run exports at its end instead)")
    if args.size % 4:
        parser.error("--size must be a multiple of 4")
    if args.max_minutes is not None and args.max_minutes <= 0:
        parser.error("--max-minutes must be positive")
    if args.decay and args.max_minutes is None:
        parser.error("--decay needs --max-minutes")
    return args


def use_backend(name: str) -> None:
    """Make ``name`` Keras's backend; Keras reads it once, at its first import."""
    if "keras" in sys.modules:
        current = sys.modules["keras"].backend.backend()
        if current != name:
            raise RuntimeError(f"Keras is already running on {current}; start a new process for {name}")
    os.environ["KERAS_BACKEND"] = name


def default_out_dir() -> Path:
    setup_django()
    from django.conf import settings

    return settings.ML_MODELS_DIR / "seasons"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log_to_console(logger)
    use_backend(args.backend)
    # Django only for its models folder, so a GPU machine without Django can train with --out-dir.
    out_dir = args.out_dir or (default_out_dir() if args.export else None)
    if args.tfds:
        images_a, images_b = load_tfds(args.tfds, data_dir=args.tfds_data_dir)
        data_source = f"tfds:{args.tfds} (trainA, trainB)"
    else:
        images_a, images_b = load_folders(args.folder_a, args.folder_b)
        data_source = f"folders:{args.folder_a} | {args.folder_b}"
    result = train(
        images_a=images_a,
        images_b=images_b,
        size=args.size,
        filters=args.filters,
        blocks=args.blocks,
        disc_filters=args.disc_filters,
        upsampling=args.upsampling,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        batch_size=args.batch_size,
        checkpoint_dir=args.checkpoint_dir,
        resume=args.resume,
        log_path=args.log,
        seed=args.seed,
        max_seconds=None if args.max_minutes is None else args.max_minutes * 60,
        decay=args.decay,
        log_every=args.log_every,
    )
    if args.export:
        export(
            result,
            pair=args.pair,
            out_dir=out_dir,
            data_source=data_source,
            steps_per_epoch=args.steps_per_epoch,
        )
    if args.discriminator_dir is not None:
        export_discriminators(result, pair=args.pair, out_dir=args.discriminator_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
