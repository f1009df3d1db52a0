"""Models load lazily, exactly once per process, and a missing one fails clearly."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.management import CommandError, call_command

from apps.core import ml


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(ml, "_REGISTRY", {})
    monkeypatch.setattr(ml, "_LOADED", {})
    monkeypatch.setattr(ml, "_FAILED", {})


def counting_spec(name: str, calls: list[int], **kwargs) -> ml.ModelSpec:
    def loader(spec):
        calls.append(1)
        time.sleep(0.05)  # long enough for racing threads to overlap
        return lambda x: x * 2

    return ml.ModelSpec(name=name, app="test", description="doubles", loader=loader, package="numpy", **kwargs)


def test_a_model_is_loaded_once_even_when_threads_race(clean_registry):
    calls: list[int] = []
    ml.register(counting_spec("double", calls))
    results = []
    threads = [threading.Thread(target=lambda: results.append(ml.get_model("double"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(r) for r in results}) == 1
    assert results[0].run(lambda model: model(21)) == 42


def test_nothing_is_loaded_until_first_use(clean_registry):
    calls: list[int] = []
    ml.register(counting_spec("double", calls))
    assert calls == [] and not ml.is_loaded("double")


def test_warmup_runs_at_load(clean_registry):
    warmed = []
    calls: list[int] = []
    ml.register(counting_spec("double", calls, warmup=lambda model: warmed.append(model(1))))
    ml.get_model("double")
    assert warmed == [2]


def test_a_missing_weights_file_names_the_training_command(clean_registry, tmp_path):
    spec = ml.ModelSpec(
        name="absent", app="test", description="x", loader=ml.load_keras, path=tmp_path / "absent.keras",
        training_command="python training/x/train.py",
    )  # fmt: skip
    ml.register(spec)
    with pytest.raises(ml.ModelUnavailable, match="python training/x/train.py"):
        ml.get_model("absent")


def test_a_corrupt_weights_file_is_unavailable_not_a_crash(clean_registry, tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a keras file")
    ml.register(ml.ModelSpec(name="broken", app="test", description="x", loader=ml.load_keras, path=broken))
    with pytest.raises(ml.ModelUnavailable, match="failed to load"):
        ml.get_model("broken")


def test_list_models_lists_every_registered_model_without_loading(capsys):
    call_command("list_models", "--no-load")
    out = capsys.readouterr().out
    assert "idphoto.selfie_segmentation" in out and "core.face_mesh" in out and "core.face_detector" in out
    assert "package mediapipe" in out and "0.10.21" in out


def test_list_models_fails_when_a_required_model_is_missing(clean_registry, tmp_path):
    ml.register(
        ml.ModelSpec(name="needed", app="test", description="x", loader=ml.load_keras, path=tmp_path / "n.keras",
                     training_command="python training/n.py")
    )  # fmt: skip
    with pytest.raises(CommandError, match="python training/n.py"):
        call_command("list_models")


def test_list_models_reports_a_missing_optional_model_with_its_training_command(clean_registry, tmp_path, capsys):
    ml.register(
        ml.ModelSpec(name="extra", app="test", description="x", loader=ml.load_keras, path=tmp_path / "e.keras",
                     training_command="python training/e.py", optional=True)
    )  # fmt: skip
    call_command("list_models")
    assert "train with: python training/e.py" in capsys.readouterr().out


@pytest.mark.models
def test_list_models_loads_the_real_mediapipe_models(capsys):
    call_command("list_models")
    out = capsys.readouterr().out
    assert out.count("status: ok") >= 3 and "load:" in out


def test_background_warmup_loads_every_available_model_and_skips_missing_ones(clean_registry, tmp_path):
    calls: list[int] = []
    ml.register(counting_spec("double", calls))
    ml.register(ml.ModelSpec(name="absent", app="test", description="x", loader=ml.load_keras,
                             path=tmp_path / "absent.keras", optional=True))  # fmt: skip
    ml.warm_up_in_background().join(timeout=10)
    assert ml.is_loaded("double") and not ml.is_loaded("absent")


def test_a_failed_load_is_not_retried_until_the_file_changes(clean_registry, tmp_path):
    import os

    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a keras file")
    attempts: list[int] = []

    def loader(spec):
        attempts.append(1)
        raise ValueError("unreadable")

    ml.register(ml.ModelSpec(name="broken", app="test", description="x", loader=loader, path=broken))
    for _ in range(3):
        with pytest.raises(ml.ModelUnavailable):
            ml.get_model("broken")
    assert len(attempts) == 1
    os.utime(broken, (1, 1))  # a new file version
    with pytest.raises(ml.ModelUnavailable):
        ml.get_model("broken")
    assert len(attempts) == 2


def test_a_parallel_model_lends_one_copy_per_inference_thread_to_one_caller_at_a_time(clean_registry, settings):
    settings.EMOPIC_INFERENCE_THREADS = 2
    calls: list[int] = []
    ml.register(counting_spec("double", calls, parallel=True))
    loaded = ml.get_model("double")
    inside: list[int] = []
    most_inside = []
    lock = threading.Lock()

    def use(copy):
        with lock:
            inside.append(id(copy))
            most_inside.append(len(inside))
        time.sleep(0.05)
        with lock:
            inside.remove(id(copy))
        return copy(21)

    threads = [threading.Thread(target=lambda: loaded.run(use)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 2  # two copies loaded
    assert max(most_inside) == 2  # two callers at once, never more
    assert loaded.run(lambda copy: copy(21)) == 42


def test_a_model_that_is_not_parallel_has_one_copy_whatever_the_threads(clean_registry, settings):
    settings.EMOPIC_INFERENCE_THREADS = 4
    calls: list[int] = []
    ml.register(counting_spec("double", calls))

    ml.get_model("double")

    assert len(calls) == 1
