"""export_background_choices: each photo's final background choice, with its photo, for training."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.core.models import ReviewStatus
from apps.core.services import save_creation
from apps.idphoto.models import BackgroundChoice, IdPhoto
from tests.images import encode, flat_image
from training.idphoto.train_background import read_choices

pytestmark = pytest.mark.django_db


def stored_photo(colour: tuple[int, int, int], review_status: str = ReviewStatus.PENDING) -> IdPhoto:
    photo = IdPhoto(owner_session="s", background_hex="#aabbcc", review_status=review_status)
    return save_creation(
        photo,
        {
            "input_image": ("input.jpg", encode(flat_image(80, 100, colour), "JPEG")),
            "output_image": ("result.jpg", encode(flat_image(80, 100), "JPEG")),
            "cutout_image": ("cutout.png", encode(flat_image(80, 100), "PNG")),
        },
    )


def choose(photo: IdPhoto, hex_colour: str, kind: str, when: datetime.datetime, rank: int | None = None) -> None:
    choice = BackgroundChoice.objects.create(photo=photo, hex=hex_colour, kind=kind, candidate_rank=rank)
    BackgroundChoice.objects.filter(pk=choice.pk).update(created_at=when)  # auto_now_add ignores a given time


def day(number: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2025, 3, number, 12, 0))


def export(out: Path, *args: str) -> tuple[list[dict[str, str]], str]:
    stdout = io.StringIO()
    call_command("export_background_choices", "--out", str(out), *args, stdout=stdout, stderr=io.StringIO())
    with (out / "choices.csv").open(newline="") as handle:
        return list(csv.DictReader(handle)), stdout.getvalue()


@pytest.fixture
def photos() -> dict[str, IdPhoto]:
    changed_mind = stored_photo((200, 30, 30), ReviewStatus.APPROVED)
    choose(changed_mind, "#e3e5e8", BackgroundChoice.Kind.RECOMMENDED, day(1), rank=0)
    choose(changed_mind, "#123456", BackgroundChoice.Kind.CUSTOM, day(5))
    candidate = stored_photo((30, 200, 30))
    choose(candidate, "#aecbe8", BackgroundChoice.Kind.CANDIDATE, day(3), rank=2)
    stored_photo((30, 30, 200))  # never chose a background: nothing to learn from
    return {"changed_mind": changed_mind, "candidate": candidate}


def test_it_exports_each_photos_latest_choice_with_its_photo(photos, tmp_path):
    rows, output = export(tmp_path / "export")

    assert [(row["token"], row["hex"], row["kind"], row["candidate_rank"]) for row in rows] == [
        (photos["candidate"].token, "#aecbe8", "candidate", "2"),
        (photos["changed_mind"].token, "#123456", "custom", ""),
    ]
    assert list(rows[0]) == ["image", "hex", "kind", "candidate_rank", "created_at", "token"]
    assert datetime.datetime.fromisoformat(rows[1]["created_at"]) == day(5)
    for row in rows:
        assert row["image"] == f"images/{row['token']}.jpg"
    with photos["candidate"].input_image.open("rb") as stored:
        assert (tmp_path / "export" / rows[0]["image"]).read_bytes() == stored.read()
    assert "Wrote 2 rows" in output


def test_approved_only_keeps_photos_a_reviewer_approved(photos, tmp_path):
    rows, output = export(tmp_path / "export", "--approved-only")
    assert [row["token"] for row in rows] == [photos["changed_mind"].token]
    assert "Wrote 1 rows" in output


def test_since_keeps_photos_whose_final_choice_was_made_on_or_after_that_day(photos, tmp_path):
    rows, _ = export(tmp_path / "export", "--since", "2025-03-04")
    assert [(row["token"], row["hex"]) for row in rows] == [(photos["changed_mind"].token, "#123456")]


def test_a_since_that_is_not_a_date_is_refused(tmp_path):
    with pytest.raises(CommandError):
        call_command("export_background_choices", "--out", str(tmp_path), "--since", "last week")


def test_a_photo_missing_from_storage_is_skipped_and_reported(photos, tmp_path):
    photos["candidate"].input_image.storage.delete(photos["candidate"].input_image.name)
    rows, output = export(tmp_path / "export")
    assert [row["token"] for row in rows] == [photos["changed_mind"].token]
    assert "1 skipped" in output


def test_the_export_is_what_the_training_script_reads(photos, tmp_path):
    export(tmp_path / "export")
    choices = read_choices(tmp_path / "export" / "choices.csv")
    assert [path.exists() for path, _ in choices] == [True, True]
    assert choices[1][1] == pytest.approx((0x12 / 255, 0x34 / 255, 0x56 / 255))
