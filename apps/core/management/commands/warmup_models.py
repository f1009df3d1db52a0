from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.core import ml


class Command(BaseCommand):
    help = "Load and warm up every available model once (a smoke test of the weights and packages)."

    def handle(self, *args, **options) -> None:
        for spec in ml.registered():
            if not spec.available():
                self.stdout.write(f"skip {spec.name}: {spec.missing_message()}")
                continue
            loaded = ml.get_model(spec.name)
            self.stdout.write(f"{spec.name}: loaded and warmed in {loaded.load_seconds:.2f}s")
