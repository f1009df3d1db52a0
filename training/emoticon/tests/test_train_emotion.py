"""The emotion training script: FER-style folders in, a servable model and a sidecar comparing it with fer out."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from apps.emoticon.pipeline.emotion import model_input, preprocess_fer
from apps.emoticon.pipeline.types import EMOTIONS
from training.emoticon.train_emotion import (
    default_engine,
    evaluate,
    load_split,
    main,
    matching_blur,
    parse_args,
    sharpness,
    stratified_split,
    train,
)


def write_fer_tree(
    root: Path, per_class: dict[str, int], seed: int = 0, suffix: str = ".png", blur: dict[str, float] | None = None
) -> None:
    """48 x 48 greyscale faces: noise plus a bright bar whose row depends on the emotion; ``blur``: a
    Gaussian sigma per split, as the shared copy of FER-2013 blurs its train split."""
    rng = np.random.default_rng(seed)
    for split, count in per_class.items():
        for label, emotion in enumerate(EMOTIONS):
            folder = root / split / emotion
            folder.mkdir(parents=True)
            for index in range(count):
                face = rng.normal(70, 15, (48, 48))
                face[4 + 6 * label : 10 + 6 * label, :] = 220
                face = np.clip(face, 0, 255).astype(np.uint8)
                if (blur or {}).get(split):
                    face = cv2.GaussianBlur(face, (0, 0), blur[split])
                cv2.imwrite(str(folder / f"{index:03d}{suffix}"), face)


def sharp_faces(count: int, seed: int) -> np.ndarray:
    """Random grey rectangles on a random background: hard edges, like the detail of a sharp photo."""
    rng = np.random.default_rng(seed)
    faces = rng.integers(40, 200, (count, 1, 1), dtype=np.uint8).repeat(48, 1).repeat(48, 2)
    for face in faces:
        for _ in range(12):
            y, x = rng.integers(0, 40, 2)
            h, w = rng.integers(3, 20, 2)
            face[y : y + h, x : x + w] = rng.integers(0, 256)
    return faces


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("fer")
    write_fer_tree(root / "data", {"train": 10, "test": 3})
    out = root / "models" / "emotion.keras"
    argv = ["--data", str(root / "data"), "--epochs", "2", "--batch-size", "16", "--val-fraction", "0.2"]
    assert main([*argv, "--input-size", "48", "--out", str(out), "--cache", str(root / "cache")]) == 0
    return out, json.loads(out.with_suffix(".json").read_text())


def test_it_saves_a_model_that_serves_like_ml_py(trained):
    import keras

    out, _ = trained
    model = keras.saving.load_model(out, compile=False)
    assert getattr(model, "optimizer", None) is None  # saved uncompiled: no optimizer state
    assert model.input_shape == (None, 48, 48, 1)
    face = np.full((48, 48), 128, np.uint8)
    probabilities = np.asarray(model(preprocess_fer(face), training=False))[0]
    assert probabilities.shape == (len(EMOTIONS),)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_it_writes_a_sidecar_with_test_scores_and_the_fer_comparison(trained):
    _, sidecar = trained
    assert sidecar["classes"] == list(EMOTIONS)
    assert sidecar["data"]["train_count"] == 56 and sidecar["data"]["val_count"] == 14
    assert sidecar["data"]["test_count"] == 21 and sidecar["epochs_run"] == 2
    assert 0 <= sidecar["best_val_accuracy"] <= 1 and sidecar["params"] > 0
    assert 0 <= sidecar["test_accuracy"] <= 1 and sidecar["test"]["count"] == 21
    assert set(sidecar["test"]["per_class"]) == set(EMOTIONS)
    assert np.asarray(sidecar["test"]["confusion"]).sum() == 21
    assert 0 <= sidecar["fer_test_accuracy"] <= 1 and sidecar["fer_test"]["count"] == 21
    assert sidecar["default_engine"] == default_engine(sidecar["test_accuracy"], sidecar["fer_test_accuracy"])
    assert sidecar["date"]


def test_it_reads_jpegs_and_the_cache_back_unchanged(tmp_path):
    write_fer_tree(tmp_path, {"train": 2}, suffix=".jpg")  # the shared copy of FER-2013 holds JPEGs
    first = load_split(tmp_path / "train", tmp_path / "cache")
    second = load_split(tmp_path / "train", tmp_path / "cache")
    assert first[0].shape == (14, 48, 48) and first[0].dtype == np.uint8
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], np.repeat(np.arange(7), 2))


def test_it_rejects_folders_that_name_no_emotion(tmp_path):
    (tmp_path / "train" / "happy").mkdir(parents=True)
    (tmp_path / "train" / "smug").mkdir()
    with pytest.raises(ValueError, match="smug"):
        load_split(tmp_path / "train")


def test_the_validation_split_is_stratified_seeded_and_disjoint():
    labels = np.repeat(np.arange(7), [40, 5, 30, 60, 50, 20, 45])
    train_rows, val_rows = stratified_split(labels, 0.1, seed=3)
    assert not set(train_rows) & set(val_rows)
    assert len(train_rows) + len(val_rows) == len(labels)
    assert np.bincount(labels[val_rows]).tolist() == [4, 1, 3, 6, 5, 2, 4]
    again = stratified_split(labels, 0.1, seed=3)
    np.testing.assert_array_equal(val_rows, again[1])
    assert not np.array_equal(val_rows, stratified_split(labels, 0.1, seed=4)[1])


def test_the_trained_model_is_the_default_only_when_strictly_better():
    assert default_engine(0.67, 0.653) == "trained"
    assert default_engine(0.653, 0.653) == "fer"
    assert default_engine(0.60, 0.653) == "fer"


def test_it_parses_the_documented_options():
    args = parse_args(["--data", "/d", "--input-size", "64", "--max-minutes", "25", "--cache", "/c"])
    assert args.input_size == 64 and args.max_minutes == 25 and args.batch_size == 64
    assert args.val_fraction == 0.1 and args.out is None and args.cache == Path("/c")
    with pytest.raises(SystemExit):
        parse_args(["--val-fraction", "1.5"])


def test_it_stops_at_max_minutes_and_keeps_the_best_epoch_so_far(tmp_path):
    write_fer_tree(tmp_path / "data", {"train": 4})
    images, labels = load_split(tmp_path / "data" / "train")
    out = tmp_path / "emotion.keras"

    facts = train(images, labels, out=out, epochs=50, batch_size=4, val_fraction=0.25, max_minutes=1e-6)

    assert facts["stopped_early"] and facts["epochs_run"] == 1 and facts["best_epoch"] == 1
    assert out.exists() and 0 <= facts["best_val_accuracy"] <= 1


def test_it_stops_when_the_train_faces_are_much_blurrier_than_the_test_faces(tmp_path):
    # The shared copy of FER-2013 blurs its train split only: trained on it, a model scored 50% on its
    # validation faces (blurred too) and 19% on the sharp test faces.
    write_fer_tree(tmp_path / "data", {"train": 4, "test": 2}, blur={"train": 4.0})
    out = tmp_path / "emotion.keras"

    assert main(["--data", str(tmp_path / "data"), "--epochs", "1", "--out", str(out)]) == 2
    assert not out.exists()


def test_the_matching_blur_brings_sharp_faces_to_the_blurred_faces_sharpness():
    sharp = sharp_faces(60, seed=1)
    blurred = np.stack([cv2.GaussianBlur(face, (0, 0), 3.0) for face in sharp_faces(60, seed=2)])

    sigma = matching_blur(blurred, sharp, 48)

    assert 2.4 <= sigma <= 3.6
    assert sharpness(sharp, 48, sigma) == pytest.approx(sharpness(blurred, 48), rel=0.1)
    assert matching_blur(sharp, sharp, 48) == pytest.approx(0.0, abs=0.2)


def test_a_model_trained_on_blurred_faces_is_scored_through_the_same_blur(tmp_path):
    import keras

    write_fer_tree(tmp_path / "data", {"train": 6, "test": 2}, blur={"train": 4.0})
    reference = tmp_path / "reference"
    reference.mkdir()
    for index, face in enumerate(sharp_faces(20, seed=3)):
        cv2.imwrite(str(reference / f"{index:02d}.png"), cv2.resize(face, (96, 96), interpolation=cv2.INTER_NEAREST))
    out = tmp_path / "emotion.keras"
    argv = ["--data", str(tmp_path / "data"), "--epochs", "1", "--batch-size", "8", "--val-fraction", "0.3"]

    assert main([*argv, "--out", str(out), "--sharp-reference", str(reference)]) == 0

    sidecar = json.loads(out.with_suffix(".json").read_text())
    sigma = sidecar["input_blur_sigma"]
    assert 2.0 <= sigma <= 6.0
    assert sidecar["sharpness"]["test"] > 10 * sidecar["sharpness"]["train"]
    model = keras.saving.load_model(out, compile=False)
    test_images, test_labels = load_split(tmp_path / "data" / "test")
    assert sidecar["test"] == evaluate(model, test_images, test_labels, sigma)
    # What was scored is what ml.classify_emotion serves: model_input with the sidecar's blur.
    face = test_images[0]
    blurred = cv2.GaussianBlur(face, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    np.testing.assert_array_equal(model_input(face, 48, sigma), preprocess_fer(blurred))

    assert main([*argv, "--out", str(out), "--sharp-reference", str(reference), "--evaluate-only"]) == 0
    again = json.loads(out.with_suffix(".json").read_text())
    assert again["test"] == sidecar["test"] and again["best_epoch"] == sidecar["best_epoch"]
