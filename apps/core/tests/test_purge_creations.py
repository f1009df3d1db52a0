"""Retention: `manage.py purge_creations` deletes old creations of every tool, files first, and keeps the rest."""

from __future__ import annotations

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.core.models import Creation
from apps.core.services import save_creation
from apps.emoticon.models import Emoticon
from apps.idphoto.models import BackgroundChoice, IdPhoto


def make(model: type[Creation], days_ago: int) -> Creation:
    """A stored creation with every one of its files, made ``days_ago`` days ago."""
    if model is IdPhoto:
        creation = IdPhoto(owner_session="visitor", background_hex="#aabbcc")
        names = {"input_image": "input.jpg", "output_image": "result.jpg", "cutout_image": "cutout.png"}
    else:
        creation = Emoticon(owner_session="visitor", emotion="happy")
        names = {"input_image": "input.jpg", "output_image": "emoticon.png", "svg_file": "emoticon.svg"}
    creation = save_creation(creation, {field: (name, b"bytes of " + name.encode()) for field, name in names.items()})
    model.objects.filter(pk=creation.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return creation


def file_names(creation: Creation) -> list[str]:
    return [field_file.name for field_file in creation.file_fields()]


def stored(creation: Creation) -> bool:
    return type(creation).objects.filter(pk=creation.pk).exists()


def purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_creations", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _thirty_days(settings):
    settings.EMOPIC_RETENTION_DAYS = 30


@pytest.mark.django_db
def test_it_deletes_old_creations_of_every_tool_with_their_files_and_keeps_recent_ones():
    old_photo, old_emoticon = make(IdPhoto, days_ago=31), make(Emoticon, days_ago=40)
    new_photo, new_emoticon = make(IdPhoto, days_ago=0), make(Emoticon, days_ago=29)
    BackgroundChoice.objects.create(photo=old_photo, hex="#000000", kind="custom")
    old_files = file_names(old_photo) + file_names(old_emoticon)
    assert len(old_files) == 6 and all(default_storage.exists(name) for name in old_files)

    out = purge()

    assert "idphoto: 1 deleted, 0 kept" in out and "emoticon: 1 deleted, 0 kept" in out
    assert not stored(old_photo) and not stored(old_emoticon)
    assert not any(default_storage.exists(name) for name in old_files)
    assert BackgroundChoice.objects.count() == 0
    assert stored(new_photo) and stored(new_emoticon)
    assert all(default_storage.exists(name) for name in file_names(new_photo) + file_names(new_emoticon))
    assert IdPhoto.objects.get(pk=new_photo.pk).owner_session == "visitor"


@pytest.mark.django_db
def test_days_overrides_the_setting():
    week_old, day_old = make(IdPhoto, days_ago=8), make(IdPhoto, days_ago=1)
    purge("--days", "7")
    assert not stored(week_old) and stored(day_old)


@pytest.mark.django_db
def test_it_works_through_several_batches():
    photos = [make(IdPhoto, days_ago=31 + n) for n in range(3)]
    out = purge("--batch-size", "1")
    assert "idphoto: 3 deleted, 0 kept" in out
    assert not any(stored(photo) for photo in photos)


@pytest.mark.django_db
def test_a_dry_run_counts_per_tool_and_changes_nothing():
    old = [make(IdPhoto, days_ago=31), make(IdPhoto, days_ago=35), make(Emoticon, days_ago=60)]
    make(Emoticon, days_ago=1)

    out = purge("--dry-run")

    assert "idphoto: 2 older than 30 days would be deleted" in out
    assert "emoticon: 1 older than 30 days would be deleted" in out
    assert IdPhoto.objects.count() == 2 and Emoticon.objects.count() == 2
    assert all(default_storage.exists(name) for creation in old for name in file_names(creation))
    assert set(IdPhoto.objects.values_list("owner_session", flat=True)) == {"visitor"}


@pytest.mark.django_db
def test_zero_days_keeps_everything(settings):
    ancient = make(IdPhoto, days_ago=3650)
    settings.EMOPIC_RETENTION_DAYS = 0
    assert "nothing to purge" in purge()
    settings.EMOPIC_RETENTION_DAYS = 30
    assert "nothing to purge" in purge("--days", "0")
    assert stored(ancient) and all(default_storage.exists(name) for name in file_names(ancient))


@pytest.mark.django_db
def test_a_file_already_missing_does_not_stop_the_purge():
    half_gone, whole = make(IdPhoto, days_ago=31), make(Emoticon, days_ago=31)
    default_storage.delete(half_gone.output_image.name)

    out = purge()

    assert "idphoto: 1 deleted, 0 kept" in out
    assert not stored(half_gone) and not stored(whole)
    assert not any(default_storage.exists(name) for name in file_names(half_gone) + file_names(whole))


@pytest.mark.django_db
def test_a_storage_that_fails_to_delete_keeps_the_row_for_the_next_run(monkeypatch, caplog):
    stuck, other = make(IdPhoto, days_ago=31), make(Emoticon, days_ago=31)
    original_delete = default_storage.delete

    def failing_delete(name: str) -> None:
        if name == stuck.cutout_image.name:
            raise OSError("bucket unreachable")
        original_delete(name)

    monkeypatch.setattr(default_storage, "delete", failing_delete)
    with caplog.at_level(logging.ERROR), pytest.raises(CommandError, match="1 creations kept"):
        purge()

    assert stored(stuck) and default_storage.exists(stuck.cutout_image.name)
    assert f"Could not delete {stuck.cutout_image.name}" in caplog.text
    # The kept row is detached from its visitor at once, so their pages no longer show a half-deleted creation.
    assert IdPhoto.objects.get(pk=stuck.pk).owner_session == ""
    assert not stored(other)

    monkeypatch.setattr(default_storage, "delete", original_delete)
    assert "idphoto: 1 deleted, 0 kept" in purge()
    assert not stored(stuck) and not default_storage.exists(stuck.cutout_image.name)


@pytest.mark.django_db
def test_it_refuses_a_negative_number_of_days():
    with pytest.raises(CommandError, match="--days"):
        purge("--days", "-1")


@pytest.mark.django_db
def test_files_no_row_names_are_deleted_once_old_and_a_creation_being_written_is_left_alone():
    from django.core.files.base import ContentFile

    from apps.core.services import orphans_purge

    kept = make(IdPhoto, days_ago=0)
    default_storage.save("idphoto/left-by-a-killed-worker/result.jpg", ContentFile(b"half a creation"))
    default_storage.save("idphoto/left-by-a-killed-worker/input.jpg", ContentFile(b"its photo"))

    assert orphans_purge(older_than=timezone.now() - timedelta(hours=1)) == 0  # could still be being written
    assert orphans_purge(older_than=timezone.now() + timedelta(seconds=1)) == 2

    assert default_storage.listdir("idphoto/left-by-a-killed-worker") == ([], [])
    assert all(default_storage.exists(name) for name in file_names(kept))
