from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core import ml


class Command(BaseCommand):
    help = "List every model the site uses with its source, version and load time; fail when one is missing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-load", action="store_true", help="Only list; do not load (fast).")
        parser.add_argument("--strict", action="store_true", help="Fail on missing optional models too.")

    def handle(self, *args, no_load: bool = False, strict: bool = False, **options) -> None:
        failures = []
        for spec in ml.registered():
            status, seconds = "ok", ""
            if not spec.available():
                status = "MISSING (optional: the site uses its fallback engine)" if spec.optional else "MISSING"
                if strict or not spec.optional:
                    failures.append(spec.missing_message())
                else:
                    status += f"; train with: {spec.training_command}"
            elif not no_load:
                try:
                    seconds = f"{ml.get_model(spec.name).load_seconds:.2f}s"
                except ml.ModelUnavailable as exc:
                    status = "FAILED"
                    failures.append(str(exc))
            self.stdout.write(
                f"{spec.name}\n  {spec.description}\n  source: {spec.source}\n  version: {spec.version()}\n"
                f"  status: {status}{'  load: ' + seconds if seconds else ''}"
            )
        if failures:
            raise CommandError("\n".join(failures))
