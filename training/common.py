"""What every training script does before its own work: Django set up, its logger on the console."""

from __future__ import annotations

import logging
import os


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
    django.setup()


def log_to_console(logger: logging.Logger) -> None:
    # Only the script's own logger: Django's LOGGING already prints the apps.* loggers (model loads).
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
