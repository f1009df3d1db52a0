"""The Celery application of the job workers (EMOPIC_JOBS=celery): ``celery -A emopic worker``.

Its settings are the CELERY_* names of emopic.settings; its tasks are in each app's tasks.py.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")

app = Celery("emopic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
