"""The face parser's training script: LaPa-style folders in, a U-Net the site serves and its scores out."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from apps.core import ml as registry
from apps.suit import unet
from apps.suit.unet import LAPA_CLASSES, SOURCE_FILTERS, SOURCE_INPUT_SIZE
from training.suit import train_unet
from training.suit.train_unet import MIRRORED_CLASS, Sample, held_out_split, load_sample, mirror, parse_args

TINY = ["--size", "32", "--filters", "4,8,16,32,64", "--batch", "4", "--workers", "1"]
CLASS = {name: index for index, name in enumerate(LAPA_CLASSES)}
# Each class's colour in the generated photos: a network can learn them in a few steps.
COLOUR = {
    "background": (40, 90, 160),
    "skin": (225, 180, 150),
    "left_eyebrow": (70, 40, 20),
    "right_eyebrow": (75, 45, 25),
    "left_eye": (20, 20, 20),
    "right_eye": (25, 25, 25),
    "nose": (210, 160, 130),
    "upper_lip": (190, 80, 90),
    "inner_mouth": (90, 20, 30),
    "lower_lip": (200, 90, 100),
    "hair": (50, 30, 10),
}


def synthetic_face(rng: np.random.Generator, side: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """A cartoon face and its LaPa labels, drawn together (left classes on the image's left)."""
    rgb = np.zeros((side, side, 3), np.uint8)
    labels = np.zeros((side, side), np.uint8)
    cx, cy = side // 2 + int(rng.integers(-3, 4)), side // 2 + int(rng.integers(-2, 3))

    def draw(name: str, shape: str, *args) -> None:
        for canvas, value in ((rgb, COLOUR[name]), (labels, CLASS[name])):
            if shape == "ellipse":
                cv2.ellipse(canvas, *args, 0, 0, 360, value, -1)
            else:
                cv2.rectangle(canvas, *args, value, -1)

    rgb[:] = COLOUR["background"]
    draw("hair", "ellipse", (cx, cy - 6), (24, 24))
    draw("skin", "ellipse", (cx, cy + 4), (18, 22))
    for side_name, dx in (("left", -8), ("right", 8)):
        draw(f"{side_name}_eyebrow", "rectangle", (cx + dx - 4, cy - 7), (cx + dx + 4, cy - 6))
        draw(f"{side_name}_eye", "ellipse", (cx + dx, cy - 2), (3, 2))
    draw("nose", "rectangle", (cx - 2, cy), (cx + 2, cy + 7))
    draw("upper_lip", "rectangle", (cx - 6, cy + 11), (cx + 6, cy + 12))
    draw("inner_mouth", "rectangle", (cx - 5, cy + 13), (cx + 5, cy + 13))
    draw("lower_lip", "rectangle", (cx - 6, cy + 14), (cx + 6, cy + 15))
    noise = rng.integers(-12, 13, rgb.shape)
    return np.clip(rgb.astype(int) + noise, 0, 255).astype(np.uint8), labels


def write_lapa(root: Path, counts: dict[str, int]) -> Path:
    """A LaPa-style folder: <split>/images/<stem>.jpg and <split>/labels/<stem>.png."""
    rng = np.random.default_rng(0)
    for split, count in counts.items():
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir()
        for i in range(count):
            rgb, labels = synthetic_face(rng)
            Image.fromarray(rgb).save(root / split / "images" / f"{split}{i}.jpg", quality=95)
            Image.fromarray(labels).save(root / split / "labels" / f"{split}{i}.png")
    return root


def test_a_mirrored_face_has_its_left_and_right_classes_swapped():
    labels = np.array([[CLASS["left_eye"], CLASS["nose"], CLASS["right_eyebrow"], CLASS["hair"]]], np.uint8)
    image = np.arange(4 * 3, dtype=np.uint8).reshape(1, 4, 3)

    flipped_image, flipped = mirror(image, labels)

    assert flipped.tolist() == [[CLASS["hair"], CLASS["left_eyebrow"], CLASS["nose"], CLASS["right_eye"]]]
    assert np.array_equal(flipped_image, image[:, ::-1])
    swapped = {LAPA_CLASSES[i]: LAPA_CLASSES[j] for i, j in enumerate(MIRRORED_CLASS) if i != j}
    assert swapped == {
        "left_eyebrow": "right_eyebrow",
        "right_eyebrow": "left_eyebrow",
        "left_eye": "right_eye",
        "right_eye": "left_eye",
    }


def test_mirroring_twice_gives_back_the_labels():
    _, labels = synthetic_face(np.random.default_rng(1))
    assert np.array_equal(mirror(*mirror(np.zeros((*labels.shape, 3)), labels))[1], labels)


def test_without_a_val_folder_a_seeded_tenth_of_train_is_held_out():
    samples = [Sample(Path(f"{i}.jpg"), Path(f"{i}.png")) for i in range(20)]
    kept, held = held_out_split(samples, 0.1, seed=0)
    assert len(held) == 2 and len(kept) == 18 and not set(kept) & set(held)
    assert held_out_split(samples, 0.1, seed=0) == (kept, held)
    assert held_out_split(samples[:2], 0.1, seed=0)[1] != []  # one held out even from two
    assert held_out_split(samples[:1], 0.1, seed=0) == (samples[:1], [])


def test_a_photo_without_its_label_png_is_an_error(tmp_path):
    write_lapa(tmp_path, {"train": 2})
    (tmp_path / "train" / "labels" / "train1.png").unlink()
    with pytest.raises(ValueError, match="1 images .* have no label PNG, e.g. train1.jpg"):
        train_unet.split_samples(tmp_path / "train")


def test_labels_must_match_their_photo_and_lie_in_lapas_classes(tmp_path):
    write_lapa(tmp_path, {"train": 1})
    sample = train_unet.split_samples(tmp_path / "train")[0]
    rgb, labels = load_sample(sample)
    assert rgb.shape == (64, 64, 3) and labels.shape == (64, 64) and labels.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(11))

    Image.fromarray(np.full((64, 64), 11, np.uint8)).save(sample.labels)
    with pytest.raises(ValueError, match="has class 11"):
        load_sample(sample)
    Image.fromarray(np.zeros((64, 32), np.uint8)).save(sample.labels)
    with pytest.raises(ValueError, match=r"is \(32, 64\) but its photo \(64, 64\)"):
        load_sample(sample)


def test_the_cli_defaults_to_the_sources_network_and_checks_the_size(tmp_path):
    (tmp_path / "train").mkdir()
    args = parse_args(["--data", str(tmp_path)])
    assert (args.size, args.filters) == (SOURCE_INPUT_SIZE, SOURCE_FILTERS) == (512, (64, 128, 256, 512, 1024))
    assert (args.batch, args.learning_rate, args.patience, args.out) == (8, 1e-4, 20, None)
    assert parse_args(["--data", str(tmp_path), "--filters", "16,32,64"]).filters == (16, 32, 64)
    for wrong in (["--size", "100"], ["--filters", "16,x"], ["--filters", "16"]):
        with pytest.raises(SystemExit):
            parse_args(["--data", str(tmp_path), *wrong])
    with pytest.raises(SystemExit):
        parse_args(["--data", str(tmp_path / "missing")])


def test_a_trained_face_parser_is_saved_with_its_scores_and_the_site_picks_it_up(tmp_path, settings):
    data = write_lapa(tmp_path / "lapa", {"train": 8, "val": 2, "test": 2})
    settings.ML_MODELS_DIR = tmp_path / "ml_models"
    original = next((spec for spec in registry.registered() if spec.name == unet.FACE_PARSER), None)
    registry.forget_loaded()
    try:
        assert train_unet.main(["--data", str(data), *TINY, "--epochs", "1", "--steps-per-epoch", "2"]) == 0

        model_path = tmp_path / "ml_models" / "suit" / "face_parser.keras"
        sidecar = json.loads(model_path.with_suffix(".json").read_text())
        assert sidecar["classes"] == list(LAPA_CLASSES)
        assert (sidecar["input_size"], sidecar["filters"]) == (32, [4, 8, 16, 32, 64])
        assert (sidecar["train_count"], sidecar["val_count"], sidecar["test_count"]) == (8, 2, 2)
        assert sidecar["scored_on"] == "test" and sidecar["epochs_run"] == 1 and sidecar["best_epoch"] == 1
        pooled, per_image = sidecar["metrics"]["pooled"], sidecar["metrics"]["per_image"]
        assert pooled["images"] == 2 and pooled["pixels"] == 2 * 64 * 64  # scored at the photos' own size
        assert set(pooled["per_class"]) == set(LAPA_CLASSES) and 0 <= pooled["mean_f1_with_background"] <= 1
        assert per_image["protocol"] == "mean over images"
        assert sidecar["data_source"] == str(data.resolve()) and "--data" in sidecar["command"]
        assert sidecar["training_seconds"] > 0 and sidecar["parameters"] > 0

        unet.register_models()  # as the app config does at the next start
        assert unet.face_parser_available()
        labels = unet.parse_face(np.zeros((48, 40, 3), np.uint8))
        assert labels.shape == (48, 40) and labels.dtype == np.uint8 and labels.max() <= 10
    finally:
        registry.forget_loaded()
        if original is not None:
            registry.register(original)
        else:
            registry._REGISTRY.pop(unet.FACE_PARSER, None)


def test_with_train_alone_it_holds_out_a_tenth_and_scores_on_it(tmp_path):
    data = write_lapa(tmp_path / "lapa", {"train": 6})
    out = tmp_path / "elsewhere" / "parser.keras"

    assert train_unet.main(["--data", str(data), *TINY, "--epochs", "1", "--limit", "5", "--out", str(out)]) == 0

    sidecar = json.loads((tmp_path / "elsewhere" / "parser.json").read_text())
    assert (sidecar["train_count"], sidecar["val_count"], sidecar["test_count"]) == (4, 1, 0)
    assert sidecar["val_source"] == "10% of train, seed 0" and sidecar["scored_on"] == "validation"
    assert sidecar["metrics"]["pooled"]["images"] == 1 and out.exists()


def test_a_data_error_is_reported_and_exits_2(tmp_path):
    data = write_lapa(tmp_path / "lapa", {"train": 2})
    (data / "train" / "labels" / "train0.png").unlink()
    assert train_unet.main(["--data", str(data), *TINY, "--out", str(tmp_path / "parser.keras")]) == 2
    assert not (tmp_path / "parser.keras").exists()
