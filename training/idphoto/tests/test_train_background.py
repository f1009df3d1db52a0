"""The background regressor's training script: data from portraits or exported choices, a model that serves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from apps.idphoto.services import PhotoRejected
from tests.images import astronaut, encode, flat_image
from training.idphoto.train_background import build_dataset, parse_args, split_indices, train

SIZE = 64  # small inputs keep EfficientNet fast on a laptop CPU


def centre_matte(rgb: np.ndarray) -> np.ndarray:
    """A stand-in for the site's matting: an ellipse 'person' in the middle, the rest background."""
    height, width = rgb.shape[:2]
    ys, xs = np.mgrid[:height, :width]
    inside = np.hypot((xs - width / 2) / (width * 0.25), (ys - height / 2) / (height * 0.3)) <= 1
    return inside.astype(np.float32)


def photo_on(background: tuple[int, int, int], side: int = 96) -> np.ndarray:
    rgb = flat_image(side, side, background)
    rgb[centre_matte(rgb) > 0.5] = (200, 160, 130)
    return rgb


def write_choices(folder: Path, rows: list[tuple[str, str]]) -> Path:
    path = folder / "choices.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "hex", "kind", "candidate_rank", "created_at", "token"])
        for image, hex_colour in rows:
            writer.writerow([image, hex_colour, "custom", "", "2025-01-01T00:00:00+00:00", image])
    return path


def test_exported_choices_are_labelled_with_the_colour_the_user_chose(tmp_path):
    (tmp_path / "images").mkdir()
    for name, colour in (("a.jpg", (10, 20, 30)), ("b.jpg", (90, 90, 90)), ("c.png", (250, 250, 240))):
        (tmp_path / "images" / name).write_bytes(encode(photo_on(colour), "PNG" if name.endswith("png") else "JPEG"))
    csv_path = write_choices(
        tmp_path,
        [("images/a.jpg", "#336699"), ("images/b.jpg", "#ffffff"), ("images/c.png", "#000000"),
         ("images/gone.jpg", "#123456"), ("images/a.jpg", "blue")],
    )  # fmt: skip

    dataset = build_dataset(choices=csv_path, input_size=SIZE, matte=centre_matte)

    assert len(dataset) == 3
    assert dataset.images.shape == (3, SIZE, SIZE, 3) and dataset.images.dtype == np.uint8
    np.testing.assert_allclose(dataset.labels, [[0x33 / 255, 0x66 / 255, 0x99 / 255], [1, 1, 1], [0, 0, 0]], atol=1e-6)
    assert dataset.skipped == {"missing_file": 1, "bad_hex": 1}


def test_portraits_are_labelled_with_their_own_background_and_unusable_ones_are_counted(tmp_path):
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "blue.png").write_bytes(encode(photo_on((40, 120, 200)), "PNG"))
    (tmp_path / "no_face.png").write_bytes(encode(photo_on((1, 2, 3)), "PNG"))
    (tmp_path / "all_person.png").write_bytes(encode(photo_on((4, 5, 6)), "PNG"))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (tmp_path / "notes.txt").write_text("not a photo")

    def matte(rgb: np.ndarray) -> np.ndarray:
        if tuple(rgb[0, 0]) == (1, 2, 3):
            raise PhotoRejected("no_face", "No face was found.")
        if tuple(rgb[0, 0]) == (4, 5, 6):
            return np.ones(rgb.shape[:2], np.float32)
        return centre_matte(rgb)

    dataset = build_dataset(portraits=tmp_path, input_size=SIZE, matte=matte)

    assert len(dataset) == 1 and dataset.sources == [str(tmp_path / "nested" / "blue.png")]
    np.testing.assert_allclose(dataset.labels[0], [40 / 255, 120 / 255, 200 / 255], atol=1e-3)
    assert dataset.skipped == {"no_face": 1, "little_background": 1, "corrupt": 1}


def test_a_second_run_with_a_cache_does_not_matte_again(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(2):
        (photos / f"{index}.png").write_bytes(encode(photo_on((index * 50, 100, 150)), "PNG"))
    (photos / "rejected.png").write_bytes(encode(photo_on((1, 2, 3)), "PNG"))
    calls: list[int] = []

    def counting_matte(rgb: np.ndarray) -> np.ndarray:
        calls.append(1)
        if tuple(rgb[0, 0]) == (1, 2, 3):
            raise PhotoRejected("multiple_faces", "2 faces were found.")
        return centre_matte(rgb)

    first = build_dataset(portraits=photos, input_size=SIZE, cache=tmp_path / "cache", matte=counting_matte)
    second = build_dataset(portraits=photos, input_size=SIZE, cache=tmp_path / "cache", matte=counting_matte)

    assert len(calls) == 3
    assert np.array_equal(first.images, second.images) and np.array_equal(first.labels, second.labels)
    assert second.skipped == {"multiple_faces": 1}


@pytest.mark.models
def test_a_real_portrait_is_matted_and_labelled_and_a_photo_without_a_face_is_skipped(tmp_path):
    (tmp_path / "astronaut.jpg").write_bytes(encode(astronaut(), "JPEG", quality=92))
    (tmp_path / "wall.jpg").write_bytes(encode(flat_image(300, 300), "JPEG"))

    dataset = build_dataset(portraits=tmp_path, input_size=SIZE)

    assert len(dataset) == 1 and dataset.sources[0].endswith("astronaut.jpg")
    assert dataset.images.shape == (1, SIZE, SIZE, 3)
    assert np.all((dataset.labels >= 0) & (dataset.labels <= 1))
    assert dataset.skipped == {"no_face": 1}


def test_the_validation_split_is_disjoint_and_never_empty():
    train_rows, val_rows = split_indices(8, 0.1, seed=3)
    assert len(val_rows) == 1 and len(train_rows) == 7
    assert sorted([*train_rows, *val_rows]) == list(range(8))
    assert len(split_indices(8, 0.0, seed=3)[1]) == 0


def test_training_saves_the_best_model_and_a_sidecar_that_describes_it(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, SIZE, SIZE, 3), dtype=np.uint8)
    labels = rng.random((8, 3), dtype=np.float32)
    out = tmp_path / "idphoto" / "background.keras"

    result = train(images, labels, out=out, epochs=2, batch_size=4, val_split=0.25, run_eagerly=True)

    model = keras.saving.load_model(out, compile=False)
    prediction = np.asarray(model(images[:2].astype(np.float32), training=False))
    assert prediction.shape == (2, 3) and np.all((prediction >= 0) & (prediction <= 1))
    sidecar = json.loads((tmp_path / "idphoto" / "background.json").read_text())
    assert sidecar["data_count"] == 8 and sidecar["val_count"] == 2
    assert sidecar["epochs"] == 2 and sidecar["input_size"] == SIZE
    assert sidecar["val_l1"] == pytest.approx(min(sidecar["history"]["val_loss"]))
    assert sidecar["best_epoch"] == result.best_epoch and sidecar["trained_at"]
    assert result.best_val_l1 == sidecar["val_l1"]


def test_the_command_line_needs_portraits_or_choices():
    with pytest.raises(SystemExit):
        parse_args(["--epochs", "3"])
    args = parse_args(["--choices", "export/choices.csv", "--input-size", "64"])
    assert args.choices == Path("export/choices.csv") and args.input_size == 64 and args.val_split == 0.1
