# The Celery application loads with Django, so that tasks queued from a web process use its settings.
from .celery import app as celery_app

__all__ = ("celery_app",)
