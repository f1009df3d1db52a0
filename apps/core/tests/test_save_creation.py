"""A creation is stored whole (files and row) or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from apps.core.services import CreationNotSaved, replace_files, save_creation
from apps.idphoto.models import IdPhoto

FILES = {
    "input_image": ("input.jpg", b"in"),
    "output_image": ("result.jpg", b"out"),
    "cutout_image": ("cutout.png", b"cut"),
}


@pytest.mark.django_db
def test_files_and_row_are_saved_together():
    photo = save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), FILES)
    stored = IdPhoto.objects.get(pk=photo.pk)
    assert stored.output_image.read() == b"out"
    assert stored.output_image.name.startswith(f"idphoto/{photo.token}/")


@pytest.mark.django_db
def test_tokens_are_long_random_and_unique():
    a = save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), FILES)
    b = save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), FILES)
    assert a.token != b.token and len(a.token) >= 22


@pytest.mark.django_db
def test_a_failed_storage_write_leaves_no_row_and_no_file(monkeypatch):
    saved_names = []
    original_save = default_storage.save

    def failing_save(name, content, max_length=None):
        if "cutout" in name:
            raise OSError("disk full")
        saved_names.append(original_save(name, content, max_length=max_length))
        return saved_names[-1]

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(CreationNotSaved):
        save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), FILES)
    assert IdPhoto.objects.count() == 0
    assert saved_names and not any(default_storage.exists(name) for name in saved_names)


@pytest.mark.django_db
def test_a_failed_row_write_removes_the_files(monkeypatch):
    photo = IdPhoto(owner_session="s", background_hex="#ffffff")

    def failing_save(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(photo, "save", failing_save)
    with pytest.raises(CreationNotSaved):
        save_creation(photo, FILES)
    assert not default_storage.exists(photo.input_image.name)
    assert not default_storage.exists(photo.cutout_image.name)


def test_an_engine_summary_longer_than_its_column_is_refused_in_any_database():
    photo = IdPhoto()
    photo.set_engines({"matting": "m" * 400, "background": "b" * 400})
    assert len(photo.engine) <= 1000
    with pytest.raises(ValueError, match="characters; the column holds 1000"):
        photo.set_engines({"matting": "m" * 600, "background": "b" * 600})


@pytest.mark.django_db
def test_replacing_several_files_is_all_or_none(monkeypatch):
    photo = save_creation(IdPhoto(owner_session="s", background_hex="#ffffff"), FILES)
    before = {name: getattr(photo, name).name for name in ("output_image", "cutout_image")}
    original_save = default_storage.save

    def failing_save(name, content, max_length=None):
        if "cutout" in name:
            raise OSError("disk full")
        return original_save(name, content, max_length=max_length)

    monkeypatch.setattr(default_storage, "save", failing_save)
    photo.background_hex = "#000000"
    with pytest.raises(CreationNotSaved, match="previous result is kept"):
        replace_files(photo, {"output_image": ("result.jpg", b"new out"), "cutout_image": ("cutout.png", b"new")},
                      ["background_hex"])  # fmt: skip
    stored = IdPhoto.objects.get(pk=photo.pk)
    assert stored.background_hex == "#ffffff"
    assert {name: getattr(stored, name).name for name in before} == before
    assert stored.output_image.read() == b"out"
    # The first new file, written before the second failed, is gone again: only the old files remain.
    folder = Path(default_storage.path(f"idphoto/{photo.token}"))
    assert sorted(path.name for path in folder.iterdir()) == ["cutout.png", "input.jpg", "result.jpg"]
