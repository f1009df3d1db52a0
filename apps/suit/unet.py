"""The suit tool's optional face parser: the source's Keras U-Net trained on LaPa (11 classes).

Architecture as in the source: ``conv_block`` is two 3x3 convolutions, each followed by
BatchNorm and ReLU; the encoder has four such blocks, each followed by a 2x2 max-pool; a
bottleneck block; the decoder has four 2x2 stride-2 transposed convolutions, each
concatenated with the encoder block of the same size and followed by a ``conv_block``; a
1x1 convolution with a softmax over the classes. ``build_unet`` makes it at any filter sizes
(``16,32,64,128,256`` is a slim one that trains on a CPU) and any input size divisible by 16.

The site uses a trained model when ``ML_MODELS_DIR/suit/face_parser.keras`` exists
(``training/suit/train_unet.py`` writes it), else the landmark-based parser. Keras and
TensorFlow are imported inside functions only: importing them costs seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.conf import settings

from apps.core import ml as registry
from apps.core.imageio import RGBImage

FACE_PARSER = "suit.face_parser"

# LaPa's label order: the value of a pixel in a LaPa label PNG is the index into this tuple.
LAPA_CLASSES: tuple[str, ...] = (
    "background",
    "skin",
    "left_eyebrow",
    "right_eyebrow",
    "left_eye",
    "right_eye",
    "nose",
    "upper_lip",
    "inner_mouth",
    "lower_lip",
    "hair",
)
BACKGROUND = 0

# The source's code is not public. Its description (conv_block = two 3x3 conv + BN + ReLU,
# 2x2 max-pool, 2x2 transposed conv with skip concatenation, softmax over LaPa's 11 classes,
# a per-class "F1, Jaccard" report) matches, layer for layer, the widely copied Keras LaPa U-Net
# of nikhilroxtomar/Human-Face-Segmentation-in-TensorFlow (UNET/unet.py, train.py, test.py),
# also found again in sidstar007/LaPa-UNET: filters 64-128-256-512 plus a 1024 bottleneck at
# 512x512 input. We take both numbers from there; that the source used this very tutorial
# is an inference from the match, not something its authors state.
SOURCE_FILTERS: tuple[int, ...] = (64, 128, 256, 512, 1024)
SOURCE_INPUT_SIZE = 512

Labels = npt.NDArray[np.uint8]  # HxW, class indices into LAPA_CLASSES


def build_unet(
    input_size: int = SOURCE_INPUT_SIZE,
    filters: tuple[int, ...] = SOURCE_FILTERS,
    classes: int = len(LAPA_CLASSES),
    name: str = "face_parser_unet",
) -> Any:
    """The U-Net: (N, input_size, input_size, 3) floats in 0..1 -> (N, input_size, input_size, classes) softmax.

    ``filters`` lists the encoder blocks' widths, the last one being the bottleneck's: five
    entries give the source's four pooling levels.
    """
    import keras
    from keras import layers

    levels = len(filters) - 1
    if levels < 1:
        raise ValueError(f"filters needs at least two sizes (one level and the bottleneck), got {filters}")
    if input_size % 2**levels:
        raise ValueError(f"input_size must be divisible by {2**levels} for {levels} pooling levels, got {input_size}")

    def conv_block(x: Any, width: int, label: str) -> Any:
        for i in (1, 2):
            x = layers.Conv2D(width, 3, padding="same", name=f"{label}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"{label}_bn{i}")(x)
            x = layers.Activation("relu", name=f"{label}_relu{i}")(x)
        return x

    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    x = inputs
    skips = []
    for level, width in enumerate(filters[:-1], start=1):
        x = conv_block(x, width, f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    x = conv_block(x, filters[-1], "bottleneck")
    for level in range(levels, 0, -1):
        width = filters[level - 1]
        x = layers.Conv2DTranspose(width, 2, strides=2, padding="same", name=f"dec{level}_up")(x)
        x = layers.Concatenate(name=f"dec{level}_concat")([x, skips[level - 1]])
        x = conv_block(x, width, f"dec{level}")
    outputs = layers.Conv2D(classes, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name=name)


def source_unet_for_benchmark() -> Any:
    """The source's U-Net at its own filters and input size, with random weights (for timing only)."""
    return build_unet(SOURCE_INPUT_SIZE, SOURCE_FILTERS, len(LAPA_CLASSES), name="source_face_parser_unet")


def preprocess(rgb: RGBImage, input_size: int) -> npt.NDArray[np.float32]:
    """HxWx3 uint8 RGB -> input_size x input_size x 3 float32 in 0..1, for training and serving alike.

    The photo is stretched to a square, as the source does; give it a square face crop to keep proportions.
    """
    height, width = rgb.shape[:2]
    shrinking = input_size < height or input_size < width
    resized = cv2.resize(rgb, (input_size, input_size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    return resized.astype(np.float32) / np.float32(255)


def resize_labels(labels: Labels, size: int) -> Labels:
    """A label map resized to size x size; nearest neighbour, since blending class indices makes other classes."""
    return cv2.resize(labels, (size, size), interpolation=cv2.INTER_NEAREST)


def model_input_size(model: Any) -> int:
    """The square side ``model`` was built for, so a slim model trained at 128 px serves as well as the source's."""
    side = model.input_shape[1]
    return int(side) if side else SOURCE_INPUT_SIZE


def predict_labels(model: Any, rgb: RGBImage) -> Labels:
    """The class of each pixel of ``rgb`` (HxW uint8), whatever input size ``model`` was trained at.

    The class probabilities are resized to the photo bilinearly and the argmax taken there, which
    gives smoother borders than resizing the argmax with nearest neighbour.
    """
    height, width = rgb.shape[:2]
    batch = preprocess(rgb, model_input_size(model))[np.newaxis]
    probabilities = np.asarray(model(batch, training=False))[0]
    full = cv2.resize(probabilities, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.argmax(full.reshape(height, width, -1), axis=-1).astype(np.uint8)


def face_parser_path() -> Path:
    return settings.ML_MODELS_DIR / "suit" / "face_parser.keras"


def register_models() -> None:
    # register() replaces a spec of the same name, so calling this again (tests do) is harmless.
    registry.register(
        registry.ModelSpec(
            name=FACE_PARSER,
            app="suit",
            description="Face parser: the source's U-Net trained on LaPa (11 classes)",
            loader=registry.load_keras,
            path=face_parser_path(),
            training_command="python training/suit/train_unet.py --data DIR",
            warmup=registry.warm_keras,
            optional=True,
            input_shape=(None, None, None, 3),  # any square side: model_input_size
            output_shape=(None, None, None, len(LAPA_CLASSES)),  # a LaPa class score per pixel
        )
    )


def _ensure_registered() -> None:
    if FACE_PARSER not in {spec.name for spec in registry.registered()}:
        register_models()  # the app config normally has; scripts and shells may not


def face_parser_available() -> bool:
    _ensure_registered()
    return registry.get_spec(FACE_PARSER).available()


def parse_face(rgb: RGBImage) -> Labels:
    """LaPa class per pixel of ``rgb``, HxW uint8.

    Raises ``ModelUnavailable`` when there is no trained model, it does not load, or it is
    not a parser of LaPa's classes (the spec's shapes); the caller falls back to the landmark parser.
    """
    _ensure_registered()
    loaded = registry.get_model(FACE_PARSER)
    return loaded.run(lambda model: predict_labels(model, rgb))


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray, classes: int) -> npt.NDArray[np.int64]:
    """Pixel counts: rows are the true class, columns the predicted one."""
    if np.shape(true_labels) != np.shape(predicted_labels):
        raise ValueError(f"Label maps differ in size: {np.shape(true_labels)} vs {np.shape(predicted_labels)}")
    true = np.asarray(true_labels, np.int64).ravel()
    predicted = np.asarray(predicted_labels, np.int64).ravel()
    for which, values in (("true", true), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= classes):
            raise ValueError(f"{which} labels must lie in 0..{classes - 1}, found {values.min()}..{values.max()}")
    return np.bincount(true * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def _as_maps(labels: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    return [labels] if isinstance(labels, np.ndarray) else list(labels)


def class_names(classes: int) -> tuple[str, ...]:
    return LAPA_CLASSES if classes == len(LAPA_CLASSES) else tuple(f"class_{i}" for i in range(classes))


def _scores(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F1, Jaccard, defined) per class; a class neither present nor predicted is undefined (0/0)."""
    true_positive = np.diag(confusion).astype(np.float64)
    wrong = confusion.sum(axis=0) + confusion.sum(axis=1) - 2 * true_positive  # false positives + negatives
    defined = (true_positive + wrong) > 0
    f1 = np.divide(2 * true_positive, 2 * true_positive + wrong, out=np.zeros_like(true_positive), where=defined)
    jaccard = np.divide(true_positive, true_positive + wrong, out=np.zeros_like(true_positive), where=defined)
    return f1, jaccard, defined


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def _metrics(
    f1: list[float | None], jaccard: list[float | None], confusion: np.ndarray, protocol: str, images: int
) -> dict[str, Any]:
    names = class_names(len(f1))
    face = [i for i in range(len(f1)) if i != BACKGROUND]
    return {
        "protocol": protocol,
        "classes": list(names),
        "images": images,
        "pixels": int(confusion.sum()),
        "per_class": {
            name: {
                "f1": f1[i],
                "jaccard": jaccard[i],
                "true_pixels": int(confusion[i].sum()),
                "predicted_pixels": int(confusion[:, i].sum()),
            }
            for i, name in enumerate(names)
        },
        # LaPa papers average over the face classes; the source's test script over all 11.
        "mean_f1": _mean([f1[i] for i in face]),
        "mean_jaccard": _mean([jaccard[i] for i in face]),
        "mean_f1_with_background": _mean(f1),
        "mean_jaccard_with_background": _mean(jaccard),
    }


def f1_and_jaccard(
    true_labels: np.ndarray | Sequence[np.ndarray],
    predicted_labels: np.ndarray | Sequence[np.ndarray],
    classes: int = len(LAPA_CLASSES),
) -> dict[str, Any]:
    """Per-class F1 (Dice) and Jaccard (IoU) over all pixels of a set of label maps, pooled, plus their means.

    Either argument is one label map or a sequence of them (sizes may differ between maps). A
    class that is neither present nor predicted anywhere in the set has no score: its F1 and
    Jaccard are None and it is left out of the means, rather than counted as a perfect 1 or a failed 0.
    ``mean_f1``/``mean_jaccard`` average the face classes (all but background), as LaPa papers
    do; the ``*_with_background`` means average all classes.
    """
    return pooled_scores(_confusions(true_labels, predicted_labels, classes))


def per_image_f1_and_jaccard(
    true_labels: Sequence[np.ndarray], predicted_labels: Sequence[np.ndarray], classes: int = len(LAPA_CLASSES)
) -> dict[str, Any]:
    """The source's own protocol, to compare with its reported numbers: scores per image, then averaged over images.

    As the source's test script (scikit-learn, ``zero_division=0``) does, a class absent from an
    image and not predicted there scores 0 for that image. Classes often absent (inner mouth,
    hair) so pull these means well below the pooled ones of ``f1_and_jaccard``.
    """
    return per_image_scores(_confusions(true_labels, predicted_labels, classes))


def _confusions(
    true_labels: np.ndarray | Sequence[np.ndarray], predicted_labels: np.ndarray | Sequence[np.ndarray], classes: int
) -> list[np.ndarray]:
    trues, predictions = _as_maps(true_labels), _as_maps(predicted_labels)
    if len(trues) != len(predictions):
        raise ValueError(f"{len(trues)} true label maps but {len(predictions)} predicted ones")
    return [confusion_matrix(true, predicted, classes) for true, predicted in zip(trues, predictions, strict=True)]


def pooled_scores(confusions: Sequence[np.ndarray]) -> dict[str, Any]:
    """``f1_and_jaccard`` from per-image confusion matrices (a big test set need not stay in memory)."""
    if len(confusions) == 0:
        raise ValueError("No label maps to score")
    confusion = np.sum(confusions, axis=0)
    f1, jaccard, defined = _scores(confusion)
    return _metrics(
        [float(v) if ok else None for v, ok in zip(f1, defined, strict=True)],
        [float(v) if ok else None for v, ok in zip(jaccard, defined, strict=True)],
        confusion,
        "pixels pooled over the set",
        len(confusions),
    )


def per_image_scores(confusions: Sequence[np.ndarray]) -> dict[str, Any]:
    """``per_image_f1_and_jaccard`` from per-image confusion matrices."""
    if len(confusions) == 0:
        raise ValueError("No label maps to score")
    per_image = [_scores(confusion)[:2] for confusion in confusions]
    f1 = np.mean([scores[0] for scores in per_image], axis=0)
    jaccard = np.mean([scores[1] for scores in per_image], axis=0)
    confusion = np.sum(confusions, axis=0)
    return _metrics([float(v) for v in f1], [float(v) for v in jaccard], confusion, "mean over images", len(confusions))


def format_report(metrics: dict[str, Any]) -> str:
    """The per-class table (class, F1, Jaccard) and the mean lines, as text."""

    def score(value: float | None) -> str:
        return f"{value:8.4f}" if value is not None else "       -"

    classes = len(metrics["classes"])
    lines = [
        f"Face parsing on {metrics['images']} images ({metrics['protocol']})",
        f"{'class':<14} {'F1':>8} {'Jaccard':>8}",
        "-" * 32,
    ]
    for name, scores in metrics["per_class"].items():
        absent = "  (neither present nor predicted)" if scores["f1"] is None else ""
        lines.append(f"{name:<14} {score(scores['f1'])} {score(scores['jaccard'])}{absent}")
    lines += [
        "-" * 32,
        f"mean F1       {score(metrics['mean_f1'])}   over the {classes - 1} face classes (LaPa papers' mean)",
        f"mean Jaccard  {score(metrics['mean_jaccard'])}   over the {classes - 1} face classes",
        f"mean F1       {score(metrics['mean_f1_with_background'])}   over all {classes} classes, with background "
        "(the source's mean)",
        f"mean Jaccard  {score(metrics['mean_jaccard_with_background'])}   over all {classes} classes, with background",
    ]
    return "\n".join(lines)
