"""The attribute classifier's training script: class folders, face crops, a model the site can serve."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.images import astronaut, encode, flat_image
from training.emoticon import train_attribute
from training.emoticon.train_attribute import (
    class_folders,
    load_dataset,
    parse_args,
    photo_crop,
    stratified_split,
    train,
)

SIZE = 32  # tiny crops keep training to a few seconds


def two_kinds_of_crop(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy crops: class 0 dark, class 1 bright; any working network tells them apart."""
    rng = np.random.default_rng(0)
    labels = np.arange(count) % 2
    images = rng.normal(60 + 130 * labels[:, None, None, None], 20, (count, SIZE, SIZE, 3))
    return np.clip(images, 0, 255).astype(np.uint8), labels


def test_training_saves_a_servable_model_and_a_sidecar_with_the_held_out_scores(tmp_path):
    import keras

    images, labels = two_kinds_of_crop(40)
    out = tmp_path / "emoticon" / "mask.keras"

    result = train(images, labels, classes=("mask", "no_mask"), out=out, epochs=2, batch_size=8, metadata={"x": 1})

    model = keras.saving.load_model(out)
    assert getattr(model, "optimizer", None) is None  # saved uncompiled: no optimizer state
    assert model.input_shape == (None, SIZE, SIZE, 3)
    probabilities = np.asarray(model(images[:4].astype(np.float32) / 255, training=False))
    assert probabilities.shape == (4, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    sidecar = json.loads(result.metadata_path.read_text())
    assert result.metadata_path == tmp_path / "emoticon" / "mask.json"
    assert sidecar["classes"] == ["mask", "no_mask"] and sidecar["counts"] == {"mask": 20, "no_mask": 20}
    assert sidecar["val_count"] == 8 and sidecar["train_count"] == 32
    assert 0 <= sidecar["val_accuracy"] <= 1 and sidecar["val_accuracy"] == result.val_accuracy
    assert np.array(sidecar["confusion_matrix"]).shape == (2, 2) and np.sum(sidecar["confusion_matrix"]) == 8
    assert set(sidecar["val_per_class"]["mask"]) == {"precision", "recall", "support"}
    assert sidecar["epochs"] == 2 and len(sidecar["history"]["loss"]) == 2 and sidecar["x"] == 1


def test_the_held_out_split_is_stratified_and_seeded():
    labels = np.array([0] * 10 + [1] * 30 + [2] * 1)
    train_rows, val_rows = stratified_split(labels, 0.2, seed=3)
    assert np.bincount(labels[val_rows], minlength=3).tolist() == [2, 6, 0]
    assert sorted(np.concatenate([train_rows, val_rows]).tolist()) == list(range(len(labels)))
    again = stratified_split(labels, 0.2, seed=3)
    assert np.array_equal(again[0], train_rows) and np.array_equal(again[1], val_rows)


def test_the_shared_data_folder_names_are_aliases_of_the_mask_classes(tmp_path):
    for name in ("without_mask", "with_mask", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "README.md").write_text("not a class")
    assert [(folder.name, label) for folder, label in class_folders(tmp_path, "mask")] == [
        ("with_mask", 0),
        ("without_mask", 1),
    ]
    (tmp_path / "eyeglasses").mkdir()
    with pytest.raises(ValueError, match="names no mask class"):
        class_folders(tmp_path, "mask")


@pytest.mark.models
def test_real_photos_are_cropped_round_the_face_and_those_without_one_are_counted(tmp_path):
    data = tmp_path / "data"
    (data / "with_mask").mkdir(parents=True)
    (data / "without_mask").mkdir()
    (data / "with_mask" / "astronaut.jpg").write_bytes(encode(astronaut()))
    (data / "without_mask" / "astronaut.png").write_bytes(encode(astronaut(), "PNG"))
    (data / "without_mask" / "wall.png").write_bytes(encode(flat_image(300, 300), "PNG"))
    (data / "without_mask" / "notes.txt").write_text("not a photo")

    dataset = load_dataset(data, "mask", input_size=SIZE, cache=tmp_path / "cache")

    assert dataset.images.shape == (2, SIZE, SIZE, 3) and dataset.images.dtype == np.uint8
    assert dataset.labels.tolist() == [0, 1] and dataset.classes == ("mask", "no_mask")
    assert dataset.skipped == {"no_face": 1}

    def no_face_mesh(rgb):
        raise AssertionError("a cached photo went through the face mesh again")

    again = load_dataset(data, "mask", input_size=SIZE, cache=tmp_path / "cache", landmarks_fn=no_face_mesh)
    assert np.array_equal(again.images, dataset.images) and again.skipped == dataset.skipped


def test_a_tightly_cropped_face_is_looked_for_again_on_a_border_and_mapped_back(monkeypatch):
    seen: list[tuple[int, ...]] = []
    point = np.array([[150.0, 150.0]], np.float32)

    def mesh_that_wants_context(rgb):
        seen.append(rgb.shape)
        return [point] if rgb.shape[0] > 300 else []  # finds the face only once padded

    monkeypatch.setattr(train_attribute, "face_crop", lambda rgb, landmarks, attribute, size: (rgb.shape, landmarks))
    (shape, landmarks), why = photo_crop(
        encode(flat_image(300, 300)), "mask", input_size=SIZE, landmarks_fn=mesh_that_wants_context
    )
    assert why == "" and seen == [(300, 300, 3), (450, 450, 3)]
    assert shape == (300, 300, 3)  # cropped from the photo itself, not the padded copy
    np.testing.assert_allclose(landmarks, [[75.0, 75.0]])  # 150 - a quarter of the long side


def test_the_cli_knows_only_the_three_attributes(tmp_path):
    args = parse_args(["--attribute", "glasses", "--data", str(tmp_path)])
    assert args.val_split == 0.2 and args.input_size == 128 and args.out is None
    with pytest.raises(SystemExit):
        parse_args(["--attribute", "hat", "--data", str(tmp_path)])
