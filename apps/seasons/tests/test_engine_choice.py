"""The per-direction engine choice: the held-out evaluation's translation.json decides."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core import ml as registry
from apps.core.timing import Timer
from apps.seasons import cyclegan, services
from apps.seasons.pipeline.photographic import ENGINE_PHOTOGRAPHIC
from apps.seasons.pipeline.types import DIRECTIONS
from tests.images import encode


def _write_evaluation(folder, **chosen: str | tuple[str, str]) -> None:
    """translation.json with ``direction=engine`` or ``direction=(engine, generator sha256)``."""
    directions = {}
    for direction, choice in chosen.items():
        engine, digest = choice if isinstance(choice, tuple) else (choice, None)
        engines = {"photographic": {"colour_fd": 1.0}}
        if digest is not None:
            engines["cyclegan"] = {"colour_fd": 1.0, "generator": {"sha256": digest}}
        directions[direction] = {"chosen": engine, "engines": engines}
    (folder / cyclegan.EVALUATION_FILE).write_text(json.dumps({"directions": directions}))


def _save_generator(folder, direction: str) -> str:
    path = folder / f"{direction}.keras"
    cyclegan.build_generator(32, filters=4, residual_blocks=1, name=direction).save(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_without_an_evaluation_every_generator_may_serve(seasons_models):
    assert all(cyclegan.evaluation_allows_generator(d) for d in DIRECTIONS)


def test_a_direction_the_evaluation_gave_to_the_photographic_engine_does_not_use_its_generator(seasons_models):
    (seasons_models / "summer2winter.keras").write_bytes(b"whatever")
    _write_evaluation(seasons_models, summer2winter="photographic")
    assert not cyclegan.evaluation_allows_generator("summer2winter")
    assert cyclegan.evaluation_allows_generator("winter2summer")  # not evaluated: its file would serve


def test_the_cyclegan_serves_only_as_the_file_the_evaluation_scored(seasons_models):
    path = seasons_models / "winter2summer.keras"
    path.write_bytes(b"scored weights")
    _write_evaluation(seasons_models, winter2summer=("cyclegan", hashlib.sha256(b"scored weights").hexdigest()))
    assert cyclegan.evaluation_allows_generator("winter2summer")
    path.write_bytes(b"retrained weights, never scored")
    assert not cyclegan.evaluation_allows_generator("winter2summer")


def test_a_changed_evaluation_file_is_read_again(seasons_models):
    _write_evaluation(seasons_models, summer2winter="photographic")
    assert not cyclegan.evaluation_allows_generator("summer2winter")
    _write_evaluation(seasons_models, summer2winter=("cyclegan", "0" * 64))
    evaluation = seasons_models / cyclegan.EVALUATION_FILE
    stat = evaluation.stat()
    os.utime(evaluation, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a coarse clock's same-tick write
    (seasons_models / "summer2winter.keras").write_bytes(b"x")
    assert not cyclegan.evaluation_allows_generator("summer2winter")  # chosen, but the digest differs
    _write_evaluation(seasons_models, summer2winter=("cyclegan", hashlib.sha256(b"x").hexdigest()))
    os.utime(evaluation, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000))
    assert cyclegan.evaluation_allows_generator("summer2winter")


def test_an_unreadable_evaluation_leaves_the_generators_in_use(seasons_models):
    (seasons_models / cyclegan.EVALUATION_FILE).write_text("{not json")
    assert cyclegan.evaluation_allows_generator("summer2winter")


@pytest.mark.models
def test_translate_square_follows_the_evaluation_per_direction(seasons_models):
    digest = _save_generator(seasons_models, "summer2winter")
    _save_generator(seasons_models, "winter2summer")
    _write_evaluation(seasons_models, summer2winter=("cyclegan", digest), winter2summer="photographic")
    square = np.random.default_rng(0).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    out, engine = services.translate_square(square, "summer2winter", Timer())
    assert engine == cyclegan.engine_name("summer2winter") and out.shape == (96, 96, 3)
    out, engine = services.translate_square(square, "winter2summer", Timer())
    assert engine == ENGINE_PHOTOGRAPHIC and out.shape == (96, 96, 3)
    assert not registry.is_loaded(cyclegan.model_name("winter2summer"))  # never even loaded


@pytest.mark.models
@pytest.mark.django_db
def test_the_api_names_the_engine_the_evaluation_chose(client, seasons_models):
    digest = _save_generator(seasons_models, "summer2winter")
    _save_generator(seasons_models, "winter2summer")
    _write_evaluation(seasons_models, summer2winter=("cyclegan", digest), winter2summer="photographic")
    jpeg = encode(np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8), "JPEG")
    engines = {}
    for direction in ("summer2winter", "winter2summer"):
        upload = SimpleUploadedFile("view.jpg", jpeg, "image/jpeg")
        response = client.post("/api/seasons/", {"image": upload, "direction": direction})
        assert response.status_code == 201, response.content
        engines[direction] = response.json()["engine"]
    assert engines == {"summer2winter": cyclegan.engine_name("summer2winter"), "winter2summer": ENGINE_PHOTOGRAPHIC}
