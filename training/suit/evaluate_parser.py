"""Scores the site's face-parsing engines against a LaPa-style labelled folder, in the source's format.

    python training/suit/evaluate_parser.py --data DIR [--split test] [--limit N] [--out report.json]

DIR holds LaPa's layout (``<split>/images/*.jpg`` and ``<split>/labels/*.png``, class indices 0..10).
The landmark engine (matte + face mesh + colour models, ``apps/suit/pipeline/parsing.py``) is always
scored; the U-Net too when ``ml_models/suit/face_parser.keras`` exists. The engine's own neck and
clothes labels count as background, as LaPa has neither. A photo where no single face is found scores
as all background and is counted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from training.common import log_to_console, setup_django

logger = logging.getLogger("training.suit.evaluate_parser")
LAPA_CLASS_COUNT = 11


def landmark_labels(rgb: np.ndarray) -> np.ndarray | None:
    """The site's landmark engine's LaPa labels at ``rgb``'s size, or None when it finds no single face."""
    from apps.core.imaging import resize_rgb, working_size
    from apps.idphoto.pipeline.matting import WORKING_SIDE
    from apps.idphoto.services import PhotoRejected, matte_photo
    from apps.suit.pipeline.parsing import parse_portrait

    try:
        photo = matte_photo(rgb)
    except PhotoRejected:
        return None
    height, width = rgb.shape[:2]
    work_h, work_w = working_size(height, width, WORKING_SIDE)
    small = resize_rgb(rgb, work_h, work_w)
    alpha = cv2.resize(photo.matte.alpha, (work_w, work_h), interpolation=cv2.INTER_AREA)
    labels = parse_portrait(small, alpha, photo.landmarks * (work_w / width)).labels
    labels = np.where(labels >= LAPA_CLASS_COUNT, 0, labels).astype(np.uint8)
    return cv2.resize(labels, (width, height), interpolation=cv2.INTER_NEAREST)


def evaluate(data: Path, split: str, limit: int | None) -> dict[str, Any]:
    from apps.suit import unet
    from training.suit.train_unet import load_sample, split_samples

    samples = split_samples(data / split)[:limit]
    engines: dict[str, Any] = {"landmarks": landmark_labels}
    if unet.face_parser_available():
        engines["unet"] = unet.parse_face
    truths: list[np.ndarray] = []
    predictions: dict[str, list[np.ndarray]] = {name: [] for name in engines}
    no_face = 0
    for sample in samples:
        rgb, truth = load_sample(sample)
        truths.append(truth)
        for name, engine in engines.items():
            labels = engine(rgb)
            if labels is None:
                no_face += 1
                labels = np.zeros_like(truth)
            predictions[name].append(labels)
    report: dict[str, Any] = {"data": str(data), "split": split, "images": len(samples), "no_face": no_face}
    for name in engines:
        report[name] = {"pooled": unet.f1_and_jaccard(truths, predictions[name]),
                        "per_image": unet.per_image_f1_and_jaccard(truths, predictions[name])}  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    setup_django()
    log_to_console(logger)
    from apps.suit.unet import format_report

    if not (args.data / args.split / "images").is_dir():
        logger.error("%s has no %s/images folder", args.data, args.split)
        return 2
    report = evaluate(args.data, args.split, args.limit)
    for name in ("landmarks", "unet"):
        if name in report:
            print(f"\n{name} engine, {report['images']} images ({report['no_face']} without a single face found)")
            print(format_report(report[name]["pooled"]))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
