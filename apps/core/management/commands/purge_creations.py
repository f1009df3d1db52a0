"""Delete creations older than the retention period (EMOPIC_RETENTION_DAYS): run it daily, from cron or a timer."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.core.jobs import jobs_purge
from apps.core.services import creations_purge, orphans_purge

ORPHAN_GRACE = timedelta(hours=1)  # a creation still being written has no row yet


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError as exc:
        raise CommandError(f"--days must be a whole number of days, not {value!r}") from exc
    if days < 0:
        raise CommandError("--days must be 0 (keep everything) or more")
    return days


class Command(BaseCommand):
    help = "Delete every tool's creations, files and rows, and queued jobs, older than EMOPIC_RETENTION_DAYS (0 keeps them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=_days, help="override EMOPIC_RETENTION_DAYS for this run")
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, per tool")
        parser.add_argument("--batch-size", type=int, default=200, help="rows read and deleted at a time")

    def handle(self, *args: object, days: int | None, dry_run: bool, batch_size: int, **options: object) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more")
        days = settings.EMOPIC_RETENTION_DAYS if days is None else days
        if days == 0:
            self.stdout.write("Retention is 0 days: every creation is kept, nothing to purge.")
            return
        older_than = timezone.now() - timedelta(days=days)
        counts = creations_purge(older_than=older_than, dry_run=dry_run, batch_size=batch_size)
        for count in counts:
            if dry_run:
                self.stdout.write(f"{count.tool}: {count.found} older than {days} days would be deleted")
            else:
                self.stdout.write(f"{count.tool}: {count.deleted} deleted, {count.kept} kept")
        jobs_kept = 0
        if not dry_run:
            jobs_deleted, jobs_kept = jobs_purge(older_than=older_than)
            self.stdout.write(f"jobs: {jobs_deleted} deleted, {jobs_kept} kept")
            # Files of creations that were never saved whole (a process killed mid-write): no row names them.
            orphans = orphans_purge(older_than=timezone.now() - ORPHAN_GRACE)
            self.stdout.write(f"files no row names: {orphans} deleted")
        if kept := sum(count.kept for count in counts) + jobs_kept:
            # A non-zero exit so that cron or systemd reports it; the next run retries these rows.
            raise CommandError(f"{kept} creations kept: some of their files could not be deleted (see the log)")
