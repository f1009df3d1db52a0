"""Score both seasons translation engines per direction on held-out photos, and pick one per direction.

For a pair's two directions (summer2winter: testA's summer photos in, compared with testB's
winter photos; winter2summer the other way round) it runs the photographic engine and, where
a generator file exists, the CycleGAN, each as the site runs it at 256 px, and measures:

* **colour distance to the target domain** (decides): the Fréchet distance between two
  Gaussians fitted to per-photo colour statistics, the mean and standard deviation of L*, a*
  and b* (a 6-D vector per photo), of the engine's outputs and of the real target photos. It
  is FID's formula on an interpretable colour embedding: it grows when the outputs' average
  colour, contrast or colourfulness is off, and when their spread across photos differs from
  the real domain's (every photo given the same look scores badly). Squared Lab units.
* **histogram distance**: the 1-D Wasserstein distance (earth mover's, in Lab units) between the
  pooled pixel distributions of L*, a* and b*: how far colour mass must move. Reported only.
* **structure kept**: the SSIM of the output's L* against the input's, a check that the photo is
  still recognisably the same photo (a gate, below).
* **losses**, at the generator's own size: the cycle loss (10 x L1 of input and input translated
  there and back by the engine's own reverse direction), the identity loss (5 x L1 of a target
  photo and its translation) and, when the discriminators are given, the LSGAN adversarial loss
  (mean (D(x) - 1)^2) of the outputs against the CycleGAN's discriminator of the target domain,
  the same for both engines.

Baselines put the numbers in scale: the untranslated input photos ("unchanged") and, with
``--reference-a/-b``, other real photos of the target domain (its training photos): the
distance a perfect translator would still show, from sampling alone.

The rule: among engines whose structure SSIM is at least ``MIN_STRUCTURE``, the lower colour
distance wins the direction. The JSON written to ``--out`` (``ML_MODELS_DIR/seasons/translation.json``)
holds every figure and the choice; the site reads the choice from it
(``apps.seasons.cyclegan.evaluation_allows_generator``). ``--install`` also copies a winning
generator (and its sidecar) next to it and removes a losing one from there, so only winners ship.

For example::

    python training/seasons/evaluate_translation.py --pair summer_winter \\
        --test-a DATA/testA --test-b DATA/testB --reference-a DATA/trainA --reference-b DATA/trainB \\
        --generators /tmp/sw/gen --discriminators /tmp/sw/disc --install
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import shutil
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.core.imaging import resize_rgb
from apps.seasons import cyclegan
from apps.seasons.pipeline import photographic
from apps.seasons.pipeline.resolution import apply_change
from apps.seasons.pipeline.types import DIRECTIONS
from training.common import log_to_console, setup_django
from training.seasons.train_cyclegan import PAIRS, PHOTO_SUFFIXES, directions_of, domains_of

logger = logging.getLogger("training.seasons.evaluate_translation")

EVAL_SIZE = 256  # the site's translation size (MODEL_SIZE); the test photos are 256 px already
POOL_SIDE = 64  # photos are area-averaged to this side before their pixels are pooled for histograms
MIN_STRUCTURE = 0.5  # SSIM of L*: below this an output is no longer recognisably the input photo
PHOTOGRAPHIC, CYCLEGAN = "photographic", "cyclegan"
BATCH = 16

Image = np.ndarray  # HxWx3 uint8 RGB


# -- colour statistics ---------------------------------------------------------------------------


def to_lab(rgb: Image) -> np.ndarray:
    """HxWx3 uint8 RGB -> float32 CIELAB (L* 0..100, a*/b* about -128..127; D65, OpenCV)."""
    return cv2.cvtColor(np.asarray(rgb, np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def colour_features(images: Sequence[Image]) -> np.ndarray:
    """Nx6 float64: each photo's mean and standard deviation of L*, a*, b*."""
    rows = []
    for image in images:
        lab = to_lab(image).reshape(-1, 3).astype(np.float64)
        rows.append(np.concatenate([lab.mean(axis=0), lab.std(axis=0)]))
    return np.asarray(rows, np.float64)


def frechet_distance(x: np.ndarray, y: np.ndarray) -> float:
    """||mu_x - mu_y||^2 + Tr(S_x + S_y - 2 (S_x S_y)^1/2) between Gaussians fitted to the rows of x and y."""
    from scipy import linalg

    if len(x) < 2 or len(y) < 2:
        raise ValueError("the Fréchet distance needs at least two samples on each side")
    mu_x, mu_y = x.mean(axis=0), y.mean(axis=0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)  # a singular product is handled just below
        root = linalg.sqrtm(cov_x @ cov_y)
    if not np.isfinite(root).all():  # a near-singular product: regularise, as FID implementations do
        eps = np.eye(len(cov_x)) * 1e-6
        root = linalg.sqrtm((cov_x + eps) @ (cov_y + eps))
    root = np.real(root)
    return float(np.sum((mu_x - mu_y) ** 2) + np.trace(cov_x + cov_y - 2.0 * root))


def _pooled_lab(images: Sequence[Image]) -> np.ndarray:
    small = [cv2.resize(image, (POOL_SIDE, POOL_SIDE), interpolation=cv2.INTER_AREA) for image in images]
    return np.concatenate([to_lab(image).reshape(-1, 3) for image in small]).astype(np.float64)


def wasserstein_1d(x: np.ndarray, y: np.ndarray, quantiles: int = 1001) -> float:
    """W1 between two 1-D samples: the mean absolute gap between their quantile functions."""
    q = np.linspace(0.0, 1.0, quantiles)
    return float(np.mean(np.abs(np.quantile(x, q) - np.quantile(y, q))))


def histogram_distance(images: Sequence[Image], targets: Sequence[Image]) -> dict[str, float]:
    """Per-channel W1 between the pooled L*, a*, b* pixel distributions, and their mean."""
    x, y = _pooled_lab(images), _pooled_lab(targets)
    out = {name: round(wasserstein_1d(x[:, i], y[:, i]), 3) for i, name in enumerate(("L", "a", "b"))}
    out["mean"] = round(float(np.mean(list(out.values()))), 3)
    return out


def colour_summary(images: Sequence[Image]) -> dict[str, float]:
    """The set's average per-photo Lab mean and standard deviation, for the card."""
    features = colour_features(images).mean(axis=0)
    names = ("L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std")
    return {name: round(float(v), 2) for name, v in zip(names, features, strict=True)}


def structure_ssim(inputs: Sequence[Image], outputs: Sequence[Image]) -> float:
    """The mean SSIM of L* between each input and its output (same size)."""
    from skimage.metrics import structural_similarity

    scores = [
        structural_similarity(to_lab(a)[..., 0], to_lab(b)[..., 0], data_range=100.0)
        for a, b in zip(inputs, outputs, strict=True)
    ]
    return float(np.mean(scores))


def colour_metrics(outputs: Sequence[Image], targets: Sequence[Image]) -> dict[str, Any]:
    return {
        "colour_fd": round(frechet_distance(colour_features(outputs), colour_features(targets)), 3),
        "histogram_w1": histogram_distance(outputs, targets),
        "colour": colour_summary(outputs),
    }


# -- engines -------------------------------------------------------------------------------------


def load_photos(folder: Path, limit: int | None = None, size: int = EVAL_SIZE) -> list[Image]:
    """The folder's photos (sorted by name; the first ``limit``) as size x size RGB."""
    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise ValueError(f"no .jpg/.png images under {folder}")
    photos = []
    for path in files[:limit]:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"cannot read {path}")
        photos.append(resize_rgb(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), size, size))
    return photos


def to_model_input(images: Sequence[Image], side: int) -> np.ndarray:
    """NxSxSx3 float32 in -1..1: photos shrunk to a network's side, through the serving preprocess."""
    return np.stack([cyclegan.preprocess(cyclegan.fit_to(image, side)) for image in images])


def _batched(fn: Callable[[np.ndarray], Any], x: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(fn(x[i : i + BATCH])) for i in range(0, len(x), BATCH)])


def _network(model: Any) -> Callable[[np.ndarray], Any]:
    return lambda batch: model(batch, training=False)


def served_cyclegan(generator: Any, images: Sequence[Image]) -> list[Image]:
    """What the site delivers for 256 px squares: the generator at its size, carried back to 256 px."""
    side = int(generator.input_shape[1])
    raw = _batched(_network(generator), to_model_input(images, side))
    outputs = []
    for square, out in zip(images, raw, strict=True):
        translated = resize_rgb(cyclegan.postprocess(out), square.shape[0], square.shape[1])
        outputs.append(apply_change(square, square, translated))
    return outputs


def reverse_of(direction: str) -> str:
    d = DIRECTIONS[direction]
    return next(k for k, o in DIRECTIONS.items() if o.source == d.target and o.target == d.source)


def _resampled(image: Image, side: int) -> Image:
    return resize_rgb(cyclegan.fit_to(image, side), image.shape[0], image.shape[1])


def _l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a - b)))


def evaluate_direction(
    direction: str,
    sources: Sequence[Image],
    targets: Sequence[Image],
    *,
    generators: dict[str, Any],
    discriminator: Any | None = None,
    loss_side: int = 128,
) -> dict[str, Any]:
    """Every engine's figures for one direction, the baselines and the choice.

    ``generators`` maps direction keys to loaded Keras generators (empty: photographic only);
    the CycleGAN is scored when both this direction's and its reverse's are there.
    ``discriminator`` is the CycleGAN's critic of the target domain. Losses are computed at
    ``loss_side`` (the generator's size when there is one), where the networks work.
    """
    reverse = reverse_of(direction)
    have_cyclegan = direction in generators and reverse in generators
    if have_cyclegan:
        loss_side = int(generators[direction].input_shape[1])
    x_small = to_model_input(sources, loss_side)
    y_small = to_model_input(targets, loss_side)
    score = None if discriminator is None else _network(discriminator)

    def adversarial(batch: np.ndarray) -> float | None:
        if score is None:
            return None
        return round(float(np.mean((_batched(score, batch) - 1.0) ** 2)), 4)

    engines: dict[str, dict[str, Any]] = {}

    # The photographic engine, graded at full size as the site does; losses on shrunk copies.
    outputs = [photographic.translate(image, direction) for image in sources]
    back = [photographic.translate(image, reverse) for image in outputs]
    same = [photographic.translate(image, direction) for image in targets]
    out_small = to_model_input(outputs, loss_side)
    engines[PHOTOGRAPHIC] = {
        "engine": photographic.ENGINE_PHOTOGRAPHIC,
        **colour_metrics(outputs, targets),
        "structure_ssim": round(structure_ssim(sources, outputs), 4),
        "losses": {
            "adversarial": adversarial(out_small),
            "cycle": round(cyclegan.LAMBDA_CYCLE * _l1(x_small, to_model_input(back, loss_side)), 4),
            "identity": round(cyclegan.LAMBDA_IDENTITY * _l1(y_small, to_model_input(same, loss_side)), 4),
        },
    }
    if have_cyclegan:
        forward, backward = _network(generators[direction]), _network(generators[reverse])
        fake = _batched(forward, x_small)
        cycled = _batched(backward, fake)
        outputs = served_cyclegan(generators[direction], sources)
        engines[CYCLEGAN] = {
            "engine": cyclegan.engine_name(direction),
            **colour_metrics(outputs, targets),
            "structure_ssim": round(structure_ssim(sources, outputs), 4),
            "losses": {
                "adversarial": adversarial(fake),
                "cycle": round(cyclegan.LAMBDA_CYCLE * _l1(x_small, cycled), 4),
                "identity": round(cyclegan.LAMBDA_IDENTITY * _l1(y_small, _batched(forward, y_small)), 4),
            },
        }
    baselines = {
        "unchanged": {**colour_metrics(sources, targets), "losses": {"adversarial": adversarial(x_small)}},
        # The detail a generator at loss_side loses by resolution alone: SSIM of the photo shrunk and enlarged.
        "resampled": {"structure_ssim": round(structure_ssim(sources, [_resampled(s, loss_side) for s in sources]), 4)},
        "target_photos": {"colour": colour_summary(targets), "losses": {"adversarial": adversarial(y_small)}},
    }
    return {
        "source_photos": len(sources),
        "target_photos": len(targets),
        "loss_side": loss_side,
        "chosen": choose(engines),
        "engines": engines,
        "baselines": baselines,
    }


def choose(engines: dict[str, dict[str, Any]]) -> str:
    """The engine with the lowest colour distance among those that keep the photo's structure.

    When none keeps it, the photographic engine (deterministic, inspectable) is the fallback.
    """
    eligible = {name: e for name, e in engines.items() if e["structure_ssim"] >= MIN_STRUCTURE}
    if not eligible:
        return PHOTOGRAPHIC
    return min(eligible, key=lambda name: (eligible[name]["colour_fd"], name != PHOTOGRAPHIC))


# -- the run -------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_keras(path: Path) -> Any:
    import keras

    # The same harmless Keras 3.10 input-structure warning that apps.core.ml.load_keras silences.
    warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match", category=UserWarning)
    cyclegan.custom_layers()
    return keras.saving.load_model(path, compile=False)


def evaluate_pair(
    pair: str,
    *,
    test_a: Sequence[Image],
    test_b: Sequence[Image],
    generators_dir: Path | None,
    discriminators_dir: Path | None,
    reference_a: Sequence[Image] | None = None,
    reference_b: Sequence[Image] | None = None,
) -> dict[str, Any]:
    """Both directions of ``pair``: ``{direction: evaluate_direction(...) + generator facts}``."""
    a2b, b2a = directions_of(pair)
    domain_a, domain_b = domains_of(pair)
    generators: dict[str, Any] = {}
    files: dict[str, Path] = {}
    for direction in (a2b, b2a):
        path = None if generators_dir is None else generators_dir / f"{direction}.keras"
        if path is not None and path.exists():
            generators[direction], files[direction] = load_keras(path), path
    if len(generators) == 1:
        logger.warning("Only one of %s's generators exists; scoring the photographic engine alone", pair)
        generators.clear()
    critics: dict[str, Any] = {}
    for domain in (domain_a, domain_b):
        path = None if discriminators_dir is None else discriminators_dir / f"discriminator_{domain}.keras"
        if path is not None and path.exists():
            critics[domain] = load_keras(path)
    results: dict[str, Any] = {}
    for direction, sources, targets, target_domain, reference in (
        (a2b, test_a, test_b, domain_b, reference_b),
        (b2a, test_b, test_a, domain_a, reference_a),
    ):
        logger.info("Scoring %s: %d photos in, %d target photos", direction, len(sources), len(targets))
        result = evaluate_direction(
            direction, sources, targets, generators=generators, discriminator=critics.get(target_domain)
        )
        if reference is not None:
            result["baselines"]["target_reference"] = colour_metrics(reference, targets)
        if CYCLEGAN in result["engines"]:
            path = files[direction]
            sidecar = path.with_suffix(".json")
            result["engines"][CYCLEGAN]["generator"] = {
                "file": path.name,
                "sha256": sha256(path),
                "bytes": path.stat().st_size,
                "parameters": int(generators[direction].count_params()),
                "size": int(generators[direction].input_shape[1]),
                "training": json.loads(sidecar.read_text()) if sidecar.exists() else None,
            }
        results[direction] = result
    return results


def install(results: dict[str, Any], *, generators_dir: Path | None, out_dir: Path) -> None:
    """Put each winning generator (and its sidecar) in ``out_dir``; remove each losing one from there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for direction, result in results.items():
        target = out_dir / f"{direction}.keras"
        if result["chosen"] == CYCLEGAN:
            source = generators_dir / f"{direction}.keras"
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
                if source.with_suffix(".json").exists():
                    shutil.copyfile(source.with_suffix(".json"), target.with_suffix(".json"))
            logger.info("%s: the CycleGAN wins; installed %s", direction, target)
        else:
            for path in (target, target.with_suffix(".json")):
                if path.exists():
                    path.unlink()
                    logger.info("%s: the photographic engine wins; removed %s", direction, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pair", required=True, choices=PAIRS)
    parser.add_argument("--test-a", type=Path, required=True, help="held-out photos of the pair's first domain")
    parser.add_argument("--test-b", type=Path, required=True, help="held-out photos of the pair's second domain")
    parser.add_argument("--reference-a", type=Path, help="other photos of domain A (e.g. trainA), for a baseline")
    parser.add_argument("--reference-b", type=Path, help="other photos of domain B (e.g. trainB), for a baseline")
    parser.add_argument("--reference-limit", type=int, default=400, help="at most this many reference photos")
    parser.add_argument("--limit", type=int, help="at most this many test photos per domain (first by name)")
    parser.add_argument("--generators", type=Path, help="folder of <direction>.keras (default: ML_MODELS_DIR/seasons)")
    parser.add_argument("--discriminators", type=Path, help="folder of discriminator_<domain>.keras")
    parser.add_argument("--out", type=Path, help="the JSON written (default: ML_MODELS_DIR/seasons/translation.json)")
    parser.add_argument("--install", action="store_true", help="ship winning generators next to --out, drop losers")
    args = parser.parse_args(argv)
    if bool(args.reference_a) != bool(args.reference_b):
        parser.error("--reference-a and --reference-b go together")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    log_to_console(logger)
    out = args.out or settings.ML_MODELS_DIR / "seasons" / cyclegan.EVALUATION_FILE
    generators_dir = args.generators or out.parent
    test_a, test_b = load_photos(args.test_a, args.limit), load_photos(args.test_b, args.limit)
    reference_a = reference_b = None
    if args.reference_a:
        reference_a = load_photos(args.reference_a, args.reference_limit)
        reference_b = load_photos(args.reference_b, args.reference_limit)
    results = evaluate_pair(
        args.pair,
        test_a=test_a,
        test_b=test_b,
        generators_dir=generators_dir,
        discriminators_dir=args.discriminators,
        reference_a=reference_a,
        reference_b=reference_b,
    )
    if args.install:
        install(results, generators_dir=generators_dir, out_dir=out.parent)
    # Other pairs' entries are kept: one file holds the choice for every evaluated direction.
    report = json.loads(out.read_text()) if out.exists() else {}
    report.setdefault("directions", {}).update(results)
    report["rule"] = (
        f"per direction, the lowest colour_fd among engines with structure_ssim >= {MIN_STRUCTURE}; "
        "photographic when none qualifies"
    )
    report["size"] = EVAL_SIZE
    report.setdefault("evaluated", {})[args.pair] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "test_a": str(args.test_a),
        "test_b": str(args.test_b),
        "reference": None if args.reference_a is None else [str(args.reference_a), str(args.reference_b)],
        "limit": args.limit,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for direction, result in results.items():
        logger.info(
            "%s: %s (%s)",
            direction,
            result["chosen"],
            ", ".join(f"{name} colour_fd {e['colour_fd']}" for name, e in result["engines"].items()),
        )
    logger.info("Wrote %s", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
