"""Celery tasks of the job workers (EMOPIC_JOBS=celery); the logic is in apps.core.jobs."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from . import jobs

logger = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 5


@shared_task(name="emopic.run_job")
def run_job(job_id: int) -> str:
    """Run one queued job; a passing fault (a model or the storage briefly unavailable) sends it again."""
    try:
        job = jobs.claim(job_id)
    except DatabaseError:
        # The database is briefly out of reach: try again soon (if even sending fails, the recovery finds the
        # job, still queued, within minutes). The message is acknowledged, so it must not simply be dropped.
        logger.exception("Could not claim job %s; sending it again", job_id)
        jobs.send_id(job_id, countdown=RETRY_DELAY_SECONDS)
        return "retry"
    if job is None:
        return "skipped"  # ended already, or running elsewhere: a duplicate delivery
    outcome = jobs.run_claimed(job)
    if outcome == "retry":
        jobs.send(job, countdown=RETRY_DELAY_SECONDS)
    return outcome


@shared_task(name="emopic.recover_stalled_jobs")
def recover_stalled_jobs() -> int:
    """Run every minute by ``celery beat``: jobs whose worker died, or whose message was lost, are sent again."""
    return jobs.recover_stalled_jobs()
