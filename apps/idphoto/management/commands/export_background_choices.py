"""Export users' background choices as training data for the background regressor.

Writes ``OUT/images/<token>.jpg`` (each photo as uploaded) and ``OUT/choices.csv``
with one row per photo: the last colour its user settled on, which is their
final decision. ``training/idphoto/train_background.py --choices OUT/choices.csv``
reads it; image paths are relative to the CSV's folder.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path, PurePosixPath

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from apps.core.models import ReviewStatus

from ...models import BackgroundChoice

COLUMNS = ("image", "hex", "kind", "candidate_rank", "created_at", "token")


def latest_choices(*, since: datetime.date | None = None, approved_only: bool = False) -> QuerySet[BackgroundChoice]:
    """Each photo's most recent choice, optionally only those made since ``since`` and on approved photos."""
    newest = BackgroundChoice.objects.filter(photo=OuterRef("photo")).order_by("-created_at", "-pk").values("pk")[:1]
    choices = BackgroundChoice.objects.filter(pk=Subquery(newest)).select_related("photo")
    if since is not None:
        # Filtering the latest choice is the same as taking the latest of those since: it is the newest.
        choices = choices.filter(created_at__gte=timezone.make_aware(datetime.datetime.combine(since, datetime.time())))
    if approved_only:
        choices = choices.filter(photo__review_status=ReviewStatus.APPROVED)
    return choices.order_by("created_at", "pk")


def _parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--since must be a date like 2025-01-31, not {value!r}") from exc


class Command(BaseCommand):
    help = "Export each ID photo's final background choice (image + colour) for training the regressor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="folder for choices.csv and images/")
        parser.add_argument("--since", type=_parse_date, help="only choices made on or after this date (YYYY-MM-DD)")
        parser.add_argument("--approved-only", action="store_true", help="only photos a reviewer approved")

    def handle(
        self, *args: object, out: Path, since: datetime.date | None, approved_only: bool, **options: object
    ) -> None:
        images = out / "images"
        images.mkdir(parents=True, exist_ok=True)
        written = missing = 0
        with (out / "choices.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for choice in latest_choices(since=since, approved_only=approved_only).iterator():
                photo = choice.photo
                suffix = PurePosixPath(photo.input_image.name).suffix.lower() or ".jpg"
                relative = f"images/{photo.token}{suffix}"
                try:
                    with photo.input_image.open("rb") as source:
                        (out / relative).write_bytes(source.read())
                except (FileNotFoundError, ValueError):  # ValueError: the row has no file at all
                    missing += 1
                    self.stderr.write(f"Skipped {photo.token}: its input photo is missing from storage")
                    continue
                writer.writerow(
                    {
                        "image": relative,
                        "hex": choice.hex,
                        "kind": choice.kind,
                        "candidate_rank": "" if choice.candidate_rank is None else choice.candidate_rank,
                        "created_at": choice.created_at.isoformat(),
                        "token": photo.token,
                    }
                )
                written += 1
        skipped = f" ({missing} skipped: input photo missing)" if missing else ""
        self.stdout.write(f"Wrote {written} rows to {out / 'choices.csv'}{skipped}")
